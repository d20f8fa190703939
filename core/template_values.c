/*
 * Values of a template's variables: the text the customer will see, Meta's parameter rules, and
 * the `components` array of a send. Works on parsed templates, whose placeholders are known good.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ativa/template.h"
#include "template_internal.h"

/* Meta refuses a parameter with more consecutive spaces than this. */
#define MAX_CONSECUTIVE_SPACES 4

int ativa_template_slot_find(const ativa_template *tpl, const char *key)
{
    if (!tpl || !key)
        return -1;
    for (size_t i = 0; i < tpl->n_slots; i++)
        if (strcmp(tpl->slots[i].key, key) == 0)
            return (int)i;
    return -1;
}

static int find_slot(const ativa_template *t, ativa_template_component comp, const char *name,
                     size_t n)
{
    for (size_t i = 0; i < t->n_slots; i++)
        if (t->slots[i].component == comp && strlen(t->slots[i].name) == n &&
            memcmp(t->slots[i].name, name, n) == 0)
            return (int)i;
    return -1;
}

json_t *ativa_template_slots_to_json_new(const ativa_template *tpl)
{
    if (!tpl)
        return NULL;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < tpl->n_slots; i++) {
        const ativa_template_slot *s = &tpl->slots[i];
        json_t *o = json_pack("{s:s,s:s,s:s,s:I}", "key", s->key, "component",
                              ativa_template_component_name(s->component), "name", s->name,
                              "max_chars", (json_int_t)s->max_chars);
        if (!o ||
            (s->button_index >= 0 &&
             json_object_set_new(o, "index", json_integer(s->button_index))) ||
            (s->example && json_object_set_new(o, "example", json_string(s->example))) ||
            json_array_append_new(arr, o)) {
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* ---- sendability ---- */

ativa_err ativa_template_sendable(const ativa_template *tpl, const char **reason_pt)
{
    const char *reason = NULL;
    ativa_err err = ATIVA_OK;
    if (!tpl)
        return ATIVA_ERR_INVALID_ARGUMENT;
    bool special_button = false;
    for (size_t i = 0; i < tpl->n_buttons; i++)
        if (tpl->buttons[i].type == ATIVA_TEMPLATE_BUTTON_OTHER)
            special_button = true;
    if (tpl->status != ATIVA_TEMPLATE_APPROVED) {
        err = ATIVA_ERR_TEMPLATE_NOT_APPROVED;
        reason = "Este modelo não está aprovado pela Meta e não pode ser enviado.";
    } else if (tpl->header_format != ATIVA_TEMPLATE_HEADER_NONE &&
               tpl->header_format != ATIVA_TEMPLATE_HEADER_TEXT) {
        err = ATIVA_ERR_TEMPLATE_UNSUPPORTED;
        reason = "Este modelo tem imagem, vídeo, documento ou localização no cabeçalho, que o "
                 "console ainda não envia.";
    } else if (special_button) {
        err = ATIVA_ERR_TEMPLATE_UNSUPPORTED;
        reason = "Este modelo tem um botão especial (por exemplo, copiar código), que o console "
                 "ainda não envia.";
    } else if (tpl->other_components) {
        err = ATIVA_ERR_TEMPLATE_UNSUPPORTED;
        reason = "Este modelo tem um componente (por exemplo, carrossel) que o console ainda não "
                 "envia.";
    }
    if (reason_pt)
        *reason_pt = reason;
    return err;
}

/* ---- rendering ---- */

typedef struct buf {
    char *data;
    size_t len, cap;
    bool failed;
} buf;

static void buf_add(buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* The usable value of a slot: a non-empty string, else NULL. */
static const char *slot_value(const ativa_template_slot *s, const json_t *values)
{
    const char *v = json_string_value(json_object_get(values, s->key));
    return v && *v ? v : NULL;
}

static void fill(buf *b, const ativa_template *t, const char *text, ativa_template_component comp,
                 const json_t *values)
{
    const char *p = text;
    const char *open;
    while ((open = strstr(p, "{{")) != NULL) {
        const char *name = open + 2;
        const char *close = strstr(name, "}}"); /* parsing guaranteed it */
        int i = find_slot(t, comp, name, (size_t)(close - name));
        const char *v = i >= 0 ? slot_value(&t->slots[i], values) : NULL;
        buf_add(b, p, (size_t)(open - p));
        if (v)
            buf_add(b, v, strlen(v));
        else
            buf_add(b, open, (size_t)(close + 2 - open));
        p = close + 2;
    }
    buf_add(b, p, strlen(p));
}

char *ativa_template_render_new(const ativa_template *tpl, const json_t *values)
{
    if (!tpl)
        return NULL;
    buf b = {0};
    buf_add(&b, "", 0);
    if (tpl->header_text) {
        fill(&b, tpl, tpl->header_text, ATIVA_TEMPLATE_COMPONENT_HEADER, values);
        buf_add(&b, "\n", 1);
    }
    fill(&b, tpl, tpl->body_text, ATIVA_TEMPLATE_COMPONENT_BODY, values);
    if (tpl->footer_text) {
        buf_add(&b, "\n", 1);
        buf_add(&b, tpl->footer_text, strlen(tpl->footer_text));
    }
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

/* ---- validation ---- */

void ativa_template_problems_clear(ativa_template_problems *problems)
{
    if (!problems)
        return;
    for (size_t i = 0; i < problems->count; i++) {
        free(problems->items[i].key);
        free(problems->items[i].message);
    }
    free(problems->items);
    problems->items = NULL;
    problems->count = 0;
}

json_t *ativa_template_problems_to_json_new(const ativa_template_problems *problems)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && problems && i < problems->count; i++) {
        const ativa_template_problem *p = &problems->items[i];
        json_t *o = json_pack("{s:o,s:s,s:s}", "slot", p->key ? json_string(p->key) : json_null(),
                              "code", ativa_err_code(p->err), "message", p->message);
        if (json_array_append_new(arr, o)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

typedef struct collector {
    ativa_template_problems list;
    size_t cap;
    bool failed;
} collector;

static void add_problem(collector *c, int slot, const char *key, ativa_err err, const char *fmt,
                        ...)
{
    if (c->failed)
        return;
    if (c->list.count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        ativa_template_problem *grown = realloc(c->list.items, cap * sizeof *grown);
        if (!grown) {
            c->failed = true;
            return;
        }
        c->list.items = grown;
        c->cap = cap;
    }
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    ativa_template_problem *p = &c->list.items[c->list.count];
    p->slot = slot;
    p->err = err;
    p->key = key ? strdup(key) : NULL;
    p->message = strdup(message);
    if (!p->message || (key && !p->key)) {
        free(p->key);
        free(p->message);
        c->failed = true;
        return;
    }
    c->list.count++;
}

/* How the console names a field to the agent, e.g. "{{1}} do corpo". */
static void describe(const ativa_template *t, const ativa_template_slot *s, char *out, size_t len)
{
    if (s->component == ATIVA_TEMPLATE_COMPONENT_BUTTON) {
        const char *label = t->buttons[s->button_index].text;
        if (label)
            snprintf(out, len, "do link do botão \"%.40s\"", label);
        else
            snprintf(out, len, "do link do botão %d", s->button_index + 1);
        return;
    }
    snprintf(out, len, "{{%.64s}} do %s", s->name,
             s->component == ATIVA_TEMPLATE_COMPONENT_HEADER ? "cabeçalho" : "corpo");
}

static bool blank(const char *v)
{
    for (; *v; v++)
        if (*v != ' ')
            return false;
    return true;
}

static bool too_many_spaces(const char *v)
{
    int run = 0;
    for (; *v; v++) {
        run = *v == ' ' ? run + 1 : 0;
        if (run > MAX_CONSECUTIVE_SPACES)
            return true;
    }
    return false;
}

static void check_slot(collector *c, const ativa_template *t, int i, const json_t *values)
{
    const ativa_template_slot *s = &t->slots[i];
    char field[128];
    describe(t, s, field, sizeof field);
    const json_t *v = json_object_get(values, s->key);
    if (v && !json_is_string(v)) {
        add_problem(c, i, s->key, ATIVA_ERR_INVALID_ARGUMENT, "O campo %s deve ser um texto.",
                    field);
        return;
    }
    const char *text = json_string_value(v);
    if (!text || blank(text)) {
        add_problem(c, i, s->key, ATIVA_ERR_PARAM_MISSING, "Preencha o campo %s.", field);
        return;
    }
    if (strlen(text) != json_string_length(v) || strpbrk(text, "\n\r\t"))
        add_problem(c, i, s->key, ATIVA_ERR_PARAM_NEWLINE_TAB,
                    "O campo %s não pode ter quebra de linha nem tabulação.", field);
    if (too_many_spaces(text))
        add_problem(c, i, s->key, ATIVA_ERR_PARAM_SPACES,
                    "O campo %s não pode ter mais de %d espaços seguidos.", field,
                    MAX_CONSECUTIVE_SPACES);
    size_t chars = ativa_template__utf8_chars(text);
    if (chars > s->max_chars)
        add_problem(c, i, s->key, ATIVA_ERR_PARAM_TOO_LONG,
                    "O campo %s tem %zu caracteres; o máximo é %zu.", field, chars, s->max_chars);
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void check_unknown(collector *c, const ativa_template *t, const json_t *values)
{
    size_t n = json_object_size(values);
    if (n == 0)
        return;
    const char **unknown = malloc(n * sizeof *unknown);
    if (!unknown) {
        c->failed = true;
        return;
    }
    size_t count = 0;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)values, key, v)
    {
        if (ativa_template_slot_find(t, key) < 0)
            unknown[count++] = key;
    }
    qsort(unknown, count, sizeof *unknown, compare_keys);
    for (size_t i = 0; i < count; i++)
        add_problem(c, -1, unknown[i], ATIVA_ERR_PARAM_UNKNOWN,
                    "O modelo não tem o campo \"%.64s\".", unknown[i]);
    free(unknown);
}

static void check_body_length(collector *c, const ativa_template *t, const json_t *values)
{
    for (size_t i = 0; i < t->n_slots; i++)
        if (t->slots[i].component == ATIVA_TEMPLATE_COMPONENT_BODY &&
            !slot_value(&t->slots[i], values))
            return; /* already reported as missing; a partial length means nothing */
    buf b = {0};
    fill(&b, t, t->body_text, ATIVA_TEMPLATE_COMPONENT_BODY, values);
    if (b.failed) {
        c->failed = true;
    } else {
        size_t chars = ativa_template__utf8_chars(b.data);
        if (chars > ATIVA_TEMPLATE_RENDERED_BODY_MAX)
            add_problem(c, -1, NULL, ATIVA_ERR_TEXT_TOO_LONG,
                        "O corpo da mensagem preenchido tem %zu caracteres; o máximo é %d.", chars,
                        ATIVA_TEMPLATE_RENDERED_BODY_MAX);
    }
    free(b.data);
}

ativa_err ativa_template_validate(const ativa_template *tpl, const json_t *values,
                                  ativa_template_problems *problems)
{
    /* An output parameter: its previous content is never read (it may be uninitialised). */
    if (problems)
        memset(problems, 0, sizeof *problems);
    if (!tpl || (values && !json_is_object(values)))
        return ATIVA_ERR_INVALID_ARGUMENT;
    collector c = {0};
    const char *reason = NULL;
    ativa_err sendable = ativa_template_sendable(tpl, &reason);
    if (sendable == ATIVA_ERR_TEMPLATE_NOT_APPROVED)
        add_problem(&c, -1, NULL, sendable,
                    "O modelo \"%.100s\" (%s) não está aprovado pela Meta (situação: %.32s) e não "
                    "pode ser enviado.",
                    tpl->name, tpl->language, tpl->status_raw ? tpl->status_raw : "desconhecida");
    else if (sendable)
        add_problem(&c, -1, NULL, sendable, "%s", reason);
    for (size_t i = 0; i < tpl->n_slots; i++)
        check_slot(&c, tpl, (int)i, values);
    check_unknown(&c, tpl, values);
    check_body_length(&c, tpl, values);
    ativa_err err = c.list.count ? c.list.items[0].err : ATIVA_OK;
    if (c.failed)
        err = ATIVA_ERR_NO_MEMORY;
    if (problems && !c.failed)
        *problems = c.list;
    else
        ativa_template_problems_clear(&c.list);
    return err;
}

/* ---- the components of a send ---- */

static bool is_number(const char *s)
{
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static json_t *text_param(const ativa_template *t, const ativa_template_slot *s, const char *v)
{
    json_t *p = json_pack("{s:s,s:s}", "type", "text", "text", v);
    /* Named templates name every value; a URL variable numbered {{1}} has no name to give. */
    if (p && t->parameter_format == ATIVA_TEMPLATE_NAMED && !is_number(s->name) &&
        json_object_set_new(p, "parameter_name", json_string(s->name))) {
        json_decref(p);
        return NULL;
    }
    return p;
}

/* {"type":"header"|"body","parameters":[...]} or NULL-with-ok when the component has none. */
static int add_text_component(json_t *out, const ativa_template *t, ativa_template_component comp,
                              const json_t *values)
{
    json_t *params = json_array();
    if (!params)
        return -1;
    for (size_t i = 0; i < t->n_slots; i++) {
        const ativa_template_slot *s = &t->slots[i];
        if (s->component == comp &&
            json_array_append_new(params, text_param(t, s, slot_value(s, values)))) {
            json_decref(params);
            return -1;
        }
    }
    if (json_array_size(params) == 0) {
        json_decref(params);
        return 0;
    }
    return json_array_append_new(
        out,
        json_pack("{s:s,s:o}", "type", ativa_template_component_name(comp), "parameters", params));
}

ativa_err ativa_template_components_new(const ativa_template *tpl, const json_t *values,
                                        json_t **components_new, ativa_template_problems *problems)
{
    if (!components_new)
        return ATIVA_ERR_INVALID_ARGUMENT;
    ativa_err err = ativa_template_validate(tpl, values, problems);
    if (err)
        return err;
    json_t *out = json_array();
    if (!out || add_text_component(out, tpl, ATIVA_TEMPLATE_COMPONENT_HEADER, values) ||
        add_text_component(out, tpl, ATIVA_TEMPLATE_COMPONENT_BODY, values))
        goto fail;
    for (size_t i = 0; i < tpl->n_buttons; i++) {
        const ativa_template_button *b = &tpl->buttons[i];
        if (b->slot < 0)
            continue;
        const ativa_template_slot *s = &tpl->slots[b->slot];
        char index[24];
        snprintf(index, sizeof index, "%zu", i);
        json_t *param = text_param(tpl, s, slot_value(s, values));
        if (!param || json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:[o]}", "type", "button",
                                                           "sub_type", "url", "index", index,
                                                           "parameters", param)))
            goto fail;
    }
    *components_new = out;
    return ATIVA_OK;
fail:
    json_decref(out);
    ativa_template_problems_clear(problems);
    return ATIVA_ERR_NO_MEMORY;
}
