/*
 * Graph API / WhatsApp error codes -> what the agent reads and whether the outbox retries.
 *
 * Retryable means "the same request, later, may succeed": throughput and pair rate limits, call
 * rate limits and Meta's transient failures. 131048 (spam rate limit) is deliberately permanent:
 * it follows blocks and spam reports, and sending again only lowers the number's quality.
 * Everything about the recipient, the template, the parameters or our credentials is permanent:
 * a person or a configuration change has to fix it first.
 */
#include "ativa/meta.h"

#include <stdio.h>

/* Sorted by code, for a binary search. */
static const ativa_meta_error_info error_table[] = {
    {1, true, ATIVA_ERR_SEND_FAILED,
     "O WhatsApp teve um erro desconhecido; a mensagem será reenviada automaticamente."},
    {2, true, ATIVA_ERR_SEND_FAILED,
     "O serviço do WhatsApp está temporariamente indisponível; a mensagem será reenviada "
     "automaticamente."},
    {3, false, ATIVA_ERR_SEND_FAILED,
     "A conta do WhatsApp Business não tem permissão para este recurso; avise o administrador."},
    {4, true, ATIVA_ERR_SEND_FAILED,
     "Limite de chamadas do aplicativo atingido; a mensagem será reenviada em instantes."},
    {10, false, ATIVA_ERR_SEND_FAILED,
     "Permissão negada pelo WhatsApp para esta linha; avise o administrador."},
    {100, false, ATIVA_ERR_SEND_FAILED,
     "O WhatsApp recusou um parâmetro inválido da mensagem; confira o texto e os campos do "
     "modelo."},
    {190, false, ATIVA_ERR_SEND_FAILED,
     "O acesso da linha ao WhatsApp expirou ou é inválido; avise o administrador."},
    {200, false, ATIVA_ERR_SEND_FAILED,
     "Permissão negada pelo WhatsApp para esta linha; avise o administrador."},
    {368, false, ATIVA_ERR_SEND_FAILED,
     "A conta foi temporariamente bloqueada por violar as políticas do WhatsApp; avise o "
     "administrador."},
    {80007, true, ATIVA_ERR_SEND_FAILED,
     "Limite de chamadas da conta do WhatsApp Business atingido; a mensagem será reenviada em "
     "instantes."},
    {130429, true, ATIVA_ERR_SEND_FAILED,
     "Limite de envio da linha atingido; a mensagem será reenviada em instantes."},
    {130472, false, ATIVA_ERR_SEND_FAILED,
     "O WhatsApp não entregou a mensagem porque o número do cliente participa de um experimento "
     "da Meta."},
    {131000, true, ATIVA_ERR_SEND_FAILED,
     "Algo deu errado no WhatsApp; a mensagem será reenviada automaticamente."},
    {131005, false, ATIVA_ERR_SEND_FAILED,
     "Acesso negado pelo WhatsApp para esta linha; avise o administrador."},
    {131008, false, ATIVA_ERR_SEND_FAILED,
     "Falta um dado obrigatório na mensagem; confira o texto e os campos do modelo."},
    {131009, false, ATIVA_ERR_SEND_FAILED,
     "Um dado da mensagem tem valor inválido; confira o número do cliente e os campos do "
     "modelo."},
    {131016, true, ATIVA_ERR_SEND_FAILED,
     "O serviço do WhatsApp está sobrecarregado; a mensagem será reenviada automaticamente."},
    {131021, false, ATIVA_ERR_SEND_FAILED,
     "O número do cliente é o mesmo da linha de envio; informe outro número."},
    {131026, false, ATIVA_ERR_SEND_FAILED,
     "Não foi possível entregar: o número pode não ter WhatsApp, o cliente pode não ter aceitado "
     "os termos ou usa uma versão antiga do aplicativo."},
    {131031, false, ATIVA_ERR_SEND_FAILED,
     "A conta do WhatsApp Business está bloqueada; avise o administrador."},
    {131042, false, ATIVA_ERR_SEND_FAILED,
     "Há um problema com a forma de pagamento da conta do WhatsApp Business; avise o "
     "administrador."},
    {131045, false, ATIVA_ERR_SEND_FAILED,
     "O número da linha não está registrado corretamente no WhatsApp; avise o administrador."},
    {131047, false, ATIVA_ERR_WINDOW_CLOSED,
     "Mais de 24 horas se passaram desde a última mensagem do cliente; envie um modelo "
     "aprovado."},
    {131048, false, ATIVA_ERR_SEND_FAILED,
     "Envio bloqueado pelo limite anti-spam do WhatsApp: muitas mensagens desta linha foram "
     "bloqueadas ou denunciadas. Aguarde antes de tentar de novo."},
    {131049, false, ATIVA_ERR_SEND_FAILED,
     "O WhatsApp não entregou este modelo para preservar a experiência do cliente (limite de "
     "mensagens de marketing); tente mais tarde."},
    {131050, false, ATIVA_ERR_SEND_FAILED,
     "O cliente optou por não receber mensagens de marketing desta empresa."},
    {131051, false, ATIVA_ERR_SEND_FAILED, "Tipo de mensagem não suportado pelo WhatsApp."},
    {131052, false, ATIVA_ERR_SEND_FAILED,
     "Não foi possível baixar a mídia enviada pelo cliente; peça que ele envie de novo."},
    {131053, false, ATIVA_ERR_SEND_FAILED,
     "Não foi possível enviar a mídia: formato ou tamanho não aceito pelo WhatsApp."},
    {131056, true, ATIVA_ERR_SEND_FAILED,
     "Muitas mensagens para este cliente em pouco tempo; a mensagem será reenviada em "
     "instantes."},
    {131057, true, ATIVA_ERR_SEND_FAILED,
     "A conta do WhatsApp Business está em manutenção; a mensagem será reenviada em instantes."},
    {132000, false, ATIVA_ERR_SEND_FAILED,
     "O número de campos preenchidos não corresponde ao modelo; confira os campos do modelo."},
    {132001, false, ATIVA_ERR_TEMPLATE_NOT_FOUND,
     "O modelo não existe neste idioma ou ainda não foi aprovado; escolha outro modelo."},
    {132005, false, ATIVA_ERR_SEND_FAILED,
     "O texto do modelo com os campos preenchidos ficou longo demais; encurte os campos."},
    {132007, false, ATIVA_ERR_SEND_FAILED,
     "O conteúdo do modelo viola as políticas do WhatsApp; escolha outro modelo."},
    {132012, false, ATIVA_ERR_SEND_FAILED,
     "Um campo do modelo está no formato errado (por exemplo, texto onde se espera imagem); "
     "confira os campos do modelo."},
    {132015, false, ATIVA_ERR_TEMPLATE_NOT_APPROVED,
     "O modelo está pausado pela Meta por baixa qualidade; escolha outro modelo."},
    {132016, false, ATIVA_ERR_TEMPLATE_NOT_APPROVED,
     "O modelo foi desativado pela Meta por baixa qualidade; escolha outro modelo."},
    {132018, false, ATIVA_ERR_SEND_FAILED,
     "Os campos do modelo têm um problema (quebra de linha, tabulação ou espaços demais); "
     "confira os campos."},
    {133010, false, ATIVA_ERR_SEND_FAILED,
     "O número da linha não está registrado no WhatsApp; avise o administrador."},
};

#define TABLE_SIZE (sizeof error_table / sizeof error_table[0])

const ativa_meta_error_info *ativa_meta_error_lookup(long long code)
{
    size_t lo = 0, hi = TABLE_SIZE;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (error_table[mid].code == code)
            return &error_table[mid];
        if (error_table[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const ativa_meta_error_info *ativa_meta_error_table(size_t *count)
{
    if (count)
        *count = TABLE_SIZE;
    return error_table;
}

const char *ativa_meta_error_describe_pt(long long code, char *buf, size_t size)
{
    if (!buf || size == 0)
        return buf;
    const ativa_meta_error_info *info = ativa_meta_error_lookup(code);
    if (info)
        snprintf(buf, size, "%s", info->text_pt);
    else
        snprintf(buf, size, "O WhatsApp recusou a mensagem (erro %lld).", code);
    return buf;
}

bool ativa_meta_http_status_retryable(int http_status)
{
    return http_status == 429 || (http_status >= 500 && http_status <= 599);
}

bool ativa_meta_error_retryable(int http_status, long long code)
{
    const ativa_meta_error_info *info = code ? ativa_meta_error_lookup(code) : NULL;
    if (info)
        return info->retryable;
    return ativa_meta_http_status_retryable(http_status);
}
