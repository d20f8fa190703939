/*
 * ativa/error.h — the one error enum of ativa.
 *
 * Every fallible function in core returns an ativa_err; 0 (ATIVA_OK) is success. The table below
 * is the single place where an error gets its stable protocol code (sent to consoles and written
 * in logs), the HTTP status the gateway answers with, an English text for operators and logs, and
 * the Portuguese (pt-BR) text an agent reads in the console. Add new errors here only.
 */
#ifndef ATIVA_ERROR_H
#define ATIVA_ERROR_H

/* X(NAME, "stable_code", http_status, "English text", "texto em português") */
#define ATIVA_ERROR_TABLE(X)                                                                       \
    X(OK, "ok", 200, "success", "sucesso")                                                         \
    /* generic */                                                                                  \
    X(ERR_INVALID_ARGUMENT, "invalid_argument", 400, "an argument is missing or invalid",         \
      "um dado obrigatório está ausente ou é inválido")                                            \
    X(ERR_NO_MEMORY, "no_memory", 503, "out of memory", "o servidor está sem memória; tente de novo") \
    X(ERR_TOO_LARGE, "too_large", 413, "the input is larger than allowed",                        \
      "o conteúdo é maior que o permitido")                                                        \
    X(ERR_INTERNAL, "internal", 500, "internal error", "erro interno do servidor")                 \
    X(ERR_NOT_FOUND, "not_found", 404, "not found", "não encontrado")                              \
    X(ERR_EXISTS, "exists", 409, "already exists", "já existe")                                    \
    X(ERR_BAD_JSON, "bad_json", 400, "the JSON is malformed", "o JSON enviado está malformado")    \
    /* phone numbers */                                                                            \
    X(ERR_PHONE_EMPTY, "phone_empty", 400, "the phone number is empty",                           \
      "informe o número do cliente")                                                               \
    X(ERR_PHONE_NON_DIGIT, "phone_non_digit", 400,                                                 \
      "the phone number has characters other than digits",                                        \
      "o número deve ter apenas dígitos (código do país, DDD e número, sem espaços)")              \
    X(ERR_PHONE_TOO_SHORT, "phone_too_short", 400,                                                 \
      "the phone number is too short: it needs country code, area code and number",               \
      "número curto demais: informe código do país, DDD e número, ex.: 5511999999999")             \
    X(ERR_PHONE_TOO_LONG, "phone_too_long", 400,                                                   \
      "the phone number is too long (at most 15 digits)",                                          \
      "número longo demais: no máximo 15 dígitos")                                                 \
    X(ERR_PHONE_BAD_COUNTRY, "phone_bad_country", 400,                                             \
      "the phone number must start with a country code (not 0)",                                   \
      "o número deve começar pelo código do país (não por 0)")                                     \
    X(ERR_PHONE_UNKNOWN_DDD, "phone_unknown_ddd", 400, "unknown Brazilian area code (DDD)",        \
      "DDD inexistente no Brasil")                                                                 \
    X(ERR_PHONE_BR_LENGTH, "phone_br_length", 400,                                                 \
      "a Brazilian number has 55, a 2-digit DDD and 8 (landline) or 9 (mobile) digits",            \
      "número brasileiro: 55 + DDD (2 dígitos) + 8 dígitos (fixo) ou 9 dígitos (celular)")         \
    X(ERR_PHONE_BR_MOBILE, "phone_br_mobile", 400,                                                 \
      "a Brazilian mobile number has 9 digits starting with 9",                                    \
      "celular brasileiro tem 9 dígitos e começa com 9")                                           \
    X(ERR_PHONE_BR_LANDLINE, "phone_br_landline", 400,                                             \
      "a Brazilian landline has 8 digits starting with 2, 3, 4 or 5",                             \
      "telefone fixo brasileiro tem 8 dígitos e começa com 2, 3, 4 ou 5")                          \
    /* conversation state */                                                                       \
    X(ERR_WINDOW_CLOSED, "window_closed", 409,                                                     \
      "the 24-hour window is closed: only an approved template can be sent",                      \
      "Já se passaram mais de 24 horas desde a última mensagem do cliente: envie um modelo "       \
      "aprovado (+Selecionar Template)")                                                           \
    X(ERR_AWAITING_REPLY, "awaiting_reply", 409,                                                   \
      "a template was sent; free text is possible only after the customer replies",               \
      "Aguardando resposta do cliente ao modelo enviado; o texto livre será liberado quando ele "  \
      "responder")                                                                                 \
    X(ERR_TEMPLATE_REQUIRED, "template_required", 409,                                             \
      "the 24-hour window is closed: choose an approved template to start the conversation",      \
      "Já se passaram mais de 24 horas desde a última mensagem do cliente: escolha um modelo")     \
    X(ERR_CONVERSATION_FINALIZED, "conversation_finalized", 409,                                   \
      "the conversation is already finalized", "este atendimento já foi finalizado")              \
    X(ERR_CONVERSATION_OPEN, "conversation_open", 409,                                             \
      "there is already an open conversation with this customer on this line",                    \
      "já existe um atendimento aberto com este cliente nesta linha")                             \
    /* templates */                                                                                \
    X(ERR_TEMPLATE_MALFORMED, "template_malformed", 400, "the template definition is malformed",  \
      "a definição do modelo está malformada")                                                     \
    X(ERR_TEMPLATE_NOT_FOUND, "template_not_found", 404,                                           \
      "no template with that name and language on this line",                                      \
      "modelo não encontrado para esta linha e idioma")                                            \
    X(ERR_TEMPLATE_NOT_APPROVED, "template_not_approved", 409,                                     \
      "the template is not approved by Meta and cannot be sent",                                   \
      "este modelo não está aprovado pela Meta e não pode ser enviado")                            \
    X(ERR_TEMPLATE_UNSUPPORTED, "template_unsupported", 422,                                       \
      "the template needs a media header or a special button that the console cannot send",       \
      "este modelo exige mídia no cabeçalho ou um botão especial, que o console não envia")         \
    X(ERR_PARAM_MISSING, "param_missing", 400, "a template parameter has no value",               \
      "preencha todos os campos do modelo")                                                        \
    X(ERR_PARAM_UNKNOWN, "param_unknown", 400, "a value was given for a parameter the template "  \
      "does not have", "foi informado um campo que o modelo não possui")                           \
    X(ERR_PARAM_NEWLINE_TAB, "param_newline_tab", 400,                                             \
      "a template parameter cannot contain a new line or a tab",                                  \
      "os campos do modelo não podem ter quebra de linha nem tabulação")                           \
    X(ERR_PARAM_SPACES, "param_spaces", 400,                                                       \
      "a template parameter cannot have more than 4 consecutive spaces",                          \
      "os campos do modelo não podem ter mais de 4 espaços seguidos")                              \
    X(ERR_PARAM_TOO_LONG, "param_too_long", 400, "a template parameter is too long",              \
      "um campo do modelo é longo demais")                                                         \
    X(ERR_TEXT_TOO_LONG, "text_too_long", 400, "the text is longer than WhatsApp allows",         \
      "o texto é maior que o permitido pelo WhatsApp")                                             \
    X(ERR_TEXT_EMPTY, "text_empty", 400, "the message text is empty", "digite uma mensagem")      \
    /* Meta wire formats */                                                                        \
    X(ERR_SIGNATURE_MISSING, "signature_missing", 401, "the X-Hub-Signature-256 header is missing", \
      "assinatura ausente")                                                                        \
    X(ERR_SIGNATURE_MALFORMED, "signature_malformed", 401,                                         \
      "the X-Hub-Signature-256 header is not 'sha256=' followed by 64 hex digits",                \
      "assinatura malformada")                                                                     \
    X(ERR_SIGNATURE_MISMATCH, "signature_mismatch", 401,                                           \
      "the X-Hub-Signature-256 does not match the body and the app secret", "assinatura inválida") \
    X(ERR_WEBHOOK_MALFORMED, "webhook_malformed", 400, "the webhook body is not a WhatsApp event", \
      "notificação do WhatsApp malformada")                                                        \
    X(ERR_META_RESPONSE_MALFORMED, "meta_response_malformed", 502,                                 \
      "the Graph API answer could not be understood", "resposta do WhatsApp incompreensível")      \
    X(ERR_GRAPH_UNREACHABLE, "graph_unreachable", 503,                                             \
      "the Graph API could not be reached or did not answer in time",                             \
      "não foi possível falar com o WhatsApp; tente de novo")                                      \
    X(ERR_GRAPH_REFUSED, "graph_refused", 502, "the Graph API answered with an error",            \
      "o WhatsApp respondeu com um erro")                                                          \
    /* store */                                                                                    \
    X(ERR_STORE_IO, "store_io", 503, "the store could not read or write its files",               \
      "falha ao gravar os dados; tente de novo")                                                   \
    X(ERR_STORE_VERSION, "store_version", 500,                                                     \
      "the data directory was written by an incompatible version of ativa",                       \
      "versão de dados incompatível")                                                              \
    X(ERR_STORE_CORRUPT, "store_corrupt", 500, "a stored record could not be decoded",            \
      "registro armazenado ilegível")                                                              \
    X(ERR_STORE_CLOSED, "store_closed", 503, "the store is closing", "o servidor está encerrando") \
    X(ERR_STATUS_STALE, "status_stale", 200,                                                       \
      "the status is older than the one stored and was ignored", "status antigo ignorado")        \
    X(ERR_DUPLICATE, "duplicate", 200, "already recorded (redelivery)", "já registrado")          \
    /* agents and sessions */                                                                      \
    X(ERR_UNAUTHENTICATED, "unauthenticated", 401, "login required or the session has expired",   \
      "sessão expirada: entre novamente")                                                          \
    X(ERR_BAD_CREDENTIALS, "bad_credentials", 401, "wrong login or password",                     \
      "usuário ou senha incorretos")                                                               \
    X(ERR_FORBIDDEN, "forbidden", 403, "not allowed for this agent",                              \
      "você não tem permissão para esta ação")                                                     \
    X(ERR_RATE_LIMITED, "rate_limited", 429, "too many attempts; wait and try again",             \
      "muitas tentativas; aguarde e tente de novo")                                                \
    X(ERR_UNKNOWN_REQUEST, "unknown_request", 400, "unknown request type",                        \
      "requisição desconhecida")                                                                   \
    /* sending */                                                                                  \
    X(ERR_SEND_FAILED, "send_failed", 502, "WhatsApp refused the message",                        \
      "o WhatsApp recusou a mensagem")                                                             \
    X(ERR_SEND_UNKNOWN, "send_unknown", 502,                                                       \
      "the send was interrupted and its outcome is unknown",                                       \
      "o envio foi interrompido e não se sabe se a mensagem chegou; confira antes de reenviar")

typedef enum ativa_err {
#define ATIVA_ERR_ENUM_(name, code, http, en, pt) ATIVA_##name,
    ATIVA_ERROR_TABLE(ATIVA_ERR_ENUM_)
#undef ATIVA_ERR_ENUM_
        ATIVA_ERR__COUNT
} ativa_err;

/** English description for logs and operators. Never NULL (unknown values give "unknown error"). */
const char *ativa_strerror(ativa_err err);

/** Portuguese (pt-BR) text for the agent's console. Never NULL. */
const char *ativa_err_text_pt(ativa_err err);

/** Stable snake_case code used in protocol replies and logs, e.g. "window_closed". Never NULL. */
const char *ativa_err_code(ativa_err err);

/** HTTP status the gateway answers with for this error (200 for ATIVA_OK). */
int ativa_err_http_status(ativa_err err);

#endif
