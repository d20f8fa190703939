/*
 * Templates in Meta's JSON format: parsing one template or one page of the list, plus the enum
 * spellings. Parsing derives the slots, so everything else works on a checked template.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ativa/template.h"
#include "template_internal.h"

/* Bounds on strings the definition carries besides the texts Meta limits itself. */
#define SHORT_FIELD_MAX 64  /* status, category, sub_category, format and button types */
#define BUTTON_TEXT_MAX 200 /* Meta allows 25; leave room for how it counts emoji */
#define PHONE_MAX       64
#define HANDLE_MAX      4096 /* example.header_handle: an upload URL */

/* ---- small helpers ---- */

size_t ativa_template__utf8_chars_n(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n && s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            chars++;
    return chars;
}

size_t ativa_template__utf8_chars(const char *s)
{
    return ativa_template__utf8_chars_n(s, (size_t)-1);
}

static const char *const status_names[] = {
    [ATIVA_TEMPLATE_APPROVED] = "APPROVED",
    [ATIVA_TEMPLATE_PENDING] = "PENDING",
    [ATIVA_TEMPLATE_REJECTED] = "REJECTED",
    [ATIVA_TEMPLATE_PAUSED] = "PAUSED",
    [ATIVA_TEMPLATE_DISABLED] = "DISABLED",
    [ATIVA_TEMPLATE_IN_APPEAL] = "IN_APPEAL",
    [ATIVA_TEMPLATE_PENDING_DELETION] = "PENDING_DELETION",
    [ATIVA_TEMPLATE_ARCHIVED] = "ARCHIVED",
    [ATIVA_TEMPLATE_LIMIT_EXCEEDED] = "LIMIT_EXCEEDED",
    [ATIVA_TEMPLATE_DELETED] = "DELETED",
    [ATIVA_TEMPLATE_STATUS_OTHER] = "OTHER",
};

const char *ativa_template_status_name(ativa_template_status status)
{
    if ((unsigned)status > ATIVA_TEMPLATE_STATUS_OTHER)
        return "OTHER";
    return status_names[status];
}

ativa_template_status ativa_template_status_parse(const char *name)
{
    if (name)
        for (int s = 0; s < ATIVA_TEMPLATE_STATUS_OTHER; s++)
            if (strcasecmp(name, status_names[s]) == 0)
                return (ativa_template_status)s;
    return ATIVA_TEMPLATE_STATUS_OTHER;
}

static const char *const category_names[] = {
    [ATIVA_TEMPLATE_MARKETING] = "MARKETING",
    [ATIVA_TEMPLATE_UTILITY] = "UTILITY",
    [ATIVA_TEMPLATE_AUTHENTICATION] = "AUTHENTICATION",
    [ATIVA_TEMPLATE_CATEGORY_OTHER] = "OTHER",
};

const char *ativa_template_category_name(ativa_template_category category)
{
    if ((unsigned)category > ATIVA_TEMPLATE_CATEGORY_OTHER)
        return "OTHER";
    return category_names[category];
}

ativa_template_category ativa_template_category_parse(const char *name)
{
    if (name)
        for (int c = 0; c < ATIVA_TEMPLATE_CATEGORY_OTHER; c++)
            if (strcasecmp(name, category_names[c]) == 0)
                return (ativa_template_category)c;
    return ATIVA_TEMPLATE_CATEGORY_OTHER;
}

const char *ativa_template_param_format_name(ativa_template_param_format format)
{
    return format == ATIVA_TEMPLATE_NAMED ? "NAMED" : "POSITIONAL";
}

const char *ativa_template_component_name(ativa_template_component component)
{
    switch (component) {
    case ATIVA_TEMPLATE_COMPONENT_HEADER:
        return "header";
    case ATIVA_TEMPLATE_COMPONENT_BUTTON:
        return "button";
    default:
        return "body";
    }
}

ativa_err ativa_template__set_status(ativa_template *tpl, const char *raw)
{
    char *copy = strdup(raw);
    if (!copy)
        return ATIVA_ERR_NO_MEMORY;
    free(tpl->status_raw);
    tpl->status_raw = copy;
    tpl->status = ativa_template_status_parse(raw);
    return ATIVA_OK;
}

/* ---- freeing ---- */

void ativa_template_free(ativa_template *tpl)
{
    if (!tpl)
        return;
    free(tpl->id);
    free(tpl->name);
    free(tpl->language);
    free(tpl->status_raw);
    free(tpl->category_raw);
    free(tpl->sub_category);
    free(tpl->header_format_raw);
    free(tpl->header_text);
    free(tpl->header_handle);
    free(tpl->body_text);
    free(tpl->footer_text);
    for (size_t i = 0; i < tpl->n_buttons; i++) {
        ativa_template_button *b = &tpl->buttons[i];
        free(b->type_raw);
        free(b->text);
        free(b->url);
        free(b->phone_number);
        free(b->url_example);
    }
    free(tpl->buttons);
    for (size_t i = 0; i < tpl->n_slots; i++) {
        free(tpl->slots[i].name);
        free(tpl->slots[i].key);
        free(tpl->slots[i].example);
    }
    free(tpl->slots);
    json_decref(tpl->other_components);
    free(tpl);
}

/* ---- parsing ---- */

/* A placeholder found in a text: kind and name, pointing into the text. */
enum var_kind { VAR_POSITIONAL = 1, VAR_NAMED = 2 };

typedef struct parse_ctx {
    ativa_template *t;
    char *errbuf;
    size_t errlen;
    size_t slots_cap;
    /* Which kinds the header and body used, to check them against parameter_format. */
    int kinds_seen;
    const char *first_named;  /* component where a named variable appeared */
    const char *first_number; /* component where a positional variable appeared */
} parse_ctx;

static ativa_err fail_msg(parse_ctx *ctx, const char *fmt, ...)
{
    if (ctx->errbuf && ctx->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->errbuf, ctx->errlen, fmt, ap);
        va_end(ap);
    }
    return ATIVA_ERR_TEMPLATE_MALFORMED;
}

/*
 * A string field: absent is fine unless required; present must be a string without NUL bytes,
 * non-empty, at most max_chars characters. *out is a heap copy or NULL when absent.
 */
static ativa_err get_string(parse_ctx *ctx, const json_t *obj, const char *field, const char *where,
                            bool required, size_t max_chars, char **out)
{
    *out = NULL;
    const json_t *v = json_object_get(obj, field);
    if (!v) {
        if (required)
            return fail_msg(ctx, "%s: missing \"%s\"", where, field);
        return ATIVA_OK;
    }
    if (!json_is_string(v))
        return fail_msg(ctx, "%s: \"%s\" must be a string", where, field);
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len)
        return fail_msg(ctx, "%s: \"%s\" contains a NUL character", where, field);
    if (len == 0)
        return fail_msg(ctx, "%s: \"%s\" is empty", where, field);
    size_t chars = ativa_template__utf8_chars(s);
    if (chars > max_chars)
        return fail_msg(ctx, "%s: \"%s\" has %zu characters, more than %zu", where, field, chars,
                        max_chars);
    *out = strdup(s);
    return *out ? ATIVA_OK : ATIVA_ERR_NO_MEMORY;
}

static bool valid_named(const char *s, size_t n)
{
    if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static bool valid_number(const char *s, size_t n)
{
    if (n == 0 || n > 3 || s[0] < '1' || s[0] > '9')
        return false;
    for (size_t i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int slot_index(const ativa_template *t, ativa_template_component comp, int button,
                      const char *name, size_t n)
{
    for (size_t i = 0; i < t->n_slots; i++) {
        const ativa_template_slot *s = &t->slots[i];
        if (s->component == comp && s->button_index == button && strlen(s->name) == n &&
            memcmp(s->name, name, n) == 0)
            return (int)i;
    }
    return -1;
}

static ativa_err add_slot(parse_ctx *ctx, ativa_template_component comp, int button,
                          const char *name, size_t n, size_t max_chars)
{
    ativa_template *t = ctx->t;
    if (t->n_slots >= ATIVA_TEMPLATE_SLOTS_MAX)
        return fail_msg(ctx, "more than %d variables", ATIVA_TEMPLATE_SLOTS_MAX);
    if (t->n_slots == ctx->slots_cap) {
        size_t cap = ctx->slots_cap ? ctx->slots_cap * 2 : 4;
        ativa_template_slot *grown = realloc(t->slots, cap * sizeof *grown);
        if (!grown)
            return ATIVA_ERR_NO_MEMORY;
        t->slots = grown;
        ctx->slots_cap = cap;
    }
    ativa_template_slot *s = &t->slots[t->n_slots];
    memset(s, 0, sizeof *s);
    s->component = comp;
    s->button_index = button;
    s->max_chars = max_chars;
    s->name = strndup(name, n);
    char key[64];
    if (comp == ATIVA_TEMPLATE_COMPONENT_BUTTON)
        snprintf(key, sizeof key, "button.%d", button);
    else
        snprintf(key, sizeof key, "%s.", ativa_template_component_name(comp));
    size_t klen = strlen(key);
    s->key = malloc(klen + (comp == ATIVA_TEMPLATE_COMPONENT_BUTTON ? 0 : n) + 1);
    if (!s->name || !s->key) {
        free(s->name);
        free(s->key);
        return ATIVA_ERR_NO_MEMORY;
    }
    memcpy(s->key, key, klen);
    if (comp != ATIVA_TEMPLATE_COMPONENT_BUTTON) {
        memcpy(s->key + klen, name, n);
        klen += n;
    }
    s->key[klen] = '\0';
    t->n_slots++;
    return ATIVA_OK;
}

/*
 * Find the placeholders of the header or body text, check them and add one slot per distinct
 * variable. Positional numbers restart at 1 in each component, as in Meta's send format.
 */
static ativa_err scan_text(parse_ctx *ctx, const char *text, ativa_template_component comp,
                           size_t max_vars, size_t max_chars)
{
    const char *where = ativa_template_component_name(comp);
    int kinds = 0;
    size_t distinct = 0;
    const char *p = text;
    const char *open;
    while ((open = strstr(p, "{{")) != NULL) {
        const char *name = open + 2;
        const char *close = strstr(name, "}}");
        if (!close)
            return fail_msg(ctx, "%s: unclosed \"{{\"", where);
        size_t n = (size_t)(close - name);
        if (n == 0)
            return fail_msg(ctx, "%s: empty placeholder \"{{}}\"", where);
        int kind;
        if (valid_number(name, n))
            kind = VAR_POSITIONAL;
        else if (valid_named(name, n))
            kind = VAR_NAMED;
        else
            return fail_msg(ctx,
                            "%s: malformed placeholder \"{{%.*s}}\" (use {{1}}, {{2}}... or "
                            "lowercase names such as {{first_name}})",
                            where, (int)(n > 40 ? 40 : n), name);
        kinds |= kind;
        if (kinds == (VAR_POSITIONAL | VAR_NAMED))
            return fail_msg(ctx, "%s: positional and named placeholders mixed", where);
        if (slot_index(ctx->t, comp, -1, name, n) < 0) {
            if (kind == VAR_POSITIONAL && (size_t)atoi(name) != distinct + 1)
                return fail_msg(ctx, "%s: placeholder {{%.*s}} out of order: expected {{%zu}}",
                                where, (int)n, name, distinct + 1);
            if (distinct == max_vars)
                return fail_msg(ctx, "%s: at most %zu variable(s) allowed", where, max_vars);
            ativa_err err = add_slot(ctx, comp, -1, name, n, max_chars);
            if (err)
                return err;
            distinct++;
        }
        p = close + 2;
    }
    if (kinds & VAR_NAMED && !ctx->first_named)
        ctx->first_named = where;
    if (kinds & VAR_POSITIONAL && !ctx->first_number)
        ctx->first_number = where;
    ctx->kinds_seen |= kinds;
    return ATIVA_OK;
}

static ativa_err set_example(ativa_template *t, ativa_template_component comp, const char *name,
                             const json_t *value)
{
    if (!json_is_string(value) || json_string_length(value) == 0)
        return ATIVA_OK;
    int i = slot_index(t, comp, -1, name, strlen(name));
    if (i < 0 || t->slots[i].example)
        return ATIVA_OK;
    t->slots[i].example = strdup(json_string_value(value));
    return t->slots[i].example ? ATIVA_OK : ATIVA_ERR_NO_MEMORY;
}

/*
 * Examples only help the agent, so an odd shape is ignored rather than hiding the template.
 * positional_key holds a flat array (header_text) or an array of one array (body_text).
 */
static ativa_err read_examples(ativa_template *t, const json_t *comp_obj,
                               ativa_template_component comp, const char *positional_key,
                               const char *named_key)
{
    const json_t *example = json_object_get(comp_obj, "example");
    if (!json_is_object(example))
        return ATIVA_OK;
    ativa_err err = ATIVA_OK;
    const json_t *pos = json_object_get(example, positional_key);
    if (json_is_array(pos) && json_is_array(json_array_get(pos, 0)))
        pos = json_array_get(pos, 0);
    if (json_is_array(pos)) {
        for (size_t i = 0; i < json_array_size(pos) && !err; i++) {
            char num[24];
            snprintf(num, sizeof num, "%zu", i + 1);
            err = set_example(t, comp, num, json_array_get(pos, i));
        }
    }
    const json_t *named = json_object_get(example, named_key);
    if (json_is_array(named)) {
        for (size_t i = 0; i < json_array_size(named) && !err; i++) {
            const json_t *item = json_array_get(named, i);
            const char *pname = json_string_value(json_object_get(item, "param_name"));
            if (pname)
                err = set_example(t, comp, pname, json_object_get(item, "example"));
        }
    }
    return err;
}

static const struct {
    const char *name;
    ativa_template_header_format format;
} header_formats[] = {
    {"TEXT", ATIVA_TEMPLATE_HEADER_TEXT},         {"IMAGE", ATIVA_TEMPLATE_HEADER_IMAGE},
    {"VIDEO", ATIVA_TEMPLATE_HEADER_VIDEO},       {"DOCUMENT", ATIVA_TEMPLATE_HEADER_DOCUMENT},
    {"LOCATION", ATIVA_TEMPLATE_HEADER_LOCATION},
};

static ativa_err parse_header(parse_ctx *ctx, const json_t *c)
{
    ativa_template *t = ctx->t;
    ativa_err err =
        get_string(ctx, c, "format", "header", true, SHORT_FIELD_MAX, &t->header_format_raw);
    if (err)
        return err;
    t->header_format = ATIVA_TEMPLATE_HEADER_OTHER;
    for (size_t i = 0; i < sizeof header_formats / sizeof header_formats[0]; i++)
        if (strcasecmp(t->header_format_raw, header_formats[i].name) == 0)
            t->header_format = header_formats[i].format;
    if (t->header_format != ATIVA_TEMPLATE_HEADER_TEXT) {
        if (!t->unsupported)
            t->unsupported = "the header needs a media or location parameter";
        const json_t *handle =
            json_array_get(json_object_get(json_object_get(c, "example"), "header_handle"), 0);
        if (json_is_string(handle) && json_string_length(handle) <= HANDLE_MAX) {
            t->header_handle = strdup(json_string_value(handle));
            if (!t->header_handle)
                return ATIVA_ERR_NO_MEMORY;
        }
        return ATIVA_OK;
    }
    err = get_string(ctx, c, "text", "header", true, ATIVA_TEMPLATE_HEADER_MAX, &t->header_text);
    if (!err)
        err = scan_text(ctx, t->header_text, ATIVA_TEMPLATE_COMPONENT_HEADER, 1,
                        ATIVA_TEMPLATE_HEADER_PARAM_MAX);
    if (!err)
        err = read_examples(t, c, ATIVA_TEMPLATE_COMPONENT_HEADER, "header_text",
                            "header_text_named_params");
    return err;
}

static ativa_err parse_body(parse_ctx *ctx, const json_t *c)
{
    ativa_template *t = ctx->t;
    ativa_err err =
        get_string(ctx, c, "text", "body", true, ATIVA_TEMPLATE_BODY_MAX, &t->body_text);
    /* The limit depends on the other components; fixed once they are all known. */
    if (!err)
        err = scan_text(ctx, t->body_text, ATIVA_TEMPLATE_COMPONENT_BODY, ATIVA_TEMPLATE_SLOTS_MAX,
                        ATIVA_TEMPLATE_BODY_PARAM_MAX);
    if (!err)
        err = read_examples(t, c, ATIVA_TEMPLATE_COMPONENT_BODY, "body_text",
                            "body_text_named_params");
    return err;
}

static ativa_err parse_footer(parse_ctx *ctx, const json_t *c)
{
    ativa_template *t = ctx->t;
    ativa_err err =
        get_string(ctx, c, "text", "footer", true, ATIVA_TEMPLATE_FOOTER_MAX, &t->footer_text);
    if (!err && strstr(t->footer_text, "{{"))
        err = fail_msg(ctx, "footer: variables are not allowed in the footer");
    return err;
}

static ativa_err parse_url(parse_ctx *ctx, ativa_template_button *b, int index, const json_t *bj)
{
    ativa_template *t = ctx->t;
    char where[32];
    snprintf(where, sizeof where, "button %d", index);
    ativa_err err = get_string(ctx, bj, "url", where, true, ATIVA_TEMPLATE_URL_MAX, &b->url);
    if (err)
        return err;
    const char *open = strstr(b->url, "{{");
    if (!open)
        return ATIVA_OK;
    const char *name = open + 2;
    const char *close = strstr(name, "}}");
    size_t n = close ? (size_t)(close - name) : 0;
    if (!close || close[2] != '\0')
        return fail_msg(ctx, "%s: the URL variable must be a single {{1}} at the end", where);
    /* Named templates may still number their URL variable. */
    if (!valid_number(name, n) && !valid_named(name, n))
        return fail_msg(ctx, "%s: malformed placeholder \"{{%.*s}}\" in the URL", where,
                        (int)(n > 40 ? 40 : n), name);
    if (valid_number(name, n) && !(n == 1 && name[0] == '1'))
        return fail_msg(ctx, "%s: the URL variable must be {{1}}", where);
    if (valid_named(name, n) && t->parameter_format != ATIVA_TEMPLATE_NAMED)
        return fail_msg(ctx, "%s: named URL variable {{%.*s}} but parameter_format is POSITIONAL",
                        where, (int)n, name);
    size_t prefix_chars = ativa_template__utf8_chars_n(b->url, (size_t)(open - b->url));
    b->slot = (int)t->n_slots;
    err = add_slot(ctx, ATIVA_TEMPLATE_COMPONENT_BUTTON, index, name, n,
                   ATIVA_TEMPLATE_URL_MAX - prefix_chars);
    if (err) {
        b->slot = -1;
        return err;
    }
    const json_t *ex = json_object_get(bj, "example");
    if (json_is_array(ex))
        ex = json_array_get(ex, 0);
    if (json_is_string(ex) && json_string_length(ex) > 0 &&
        json_string_length(ex) <= ATIVA_TEMPLATE_URL_MAX * 4) {
        const char *full = json_string_value(ex);
        b->url_example = strdup(full);
        size_t prefix = (size_t)(open - b->url);
        /* Meta's example is the whole URL; the agent types only the part after the prefix. */
        const char *suffix =
            strncmp(full, b->url, prefix) == 0 && full[prefix] ? full + prefix : full;
        t->slots[b->slot].example = strdup(suffix);
        if (!b->url_example || !t->slots[b->slot].example)
            return ATIVA_ERR_NO_MEMORY;
    }
    return ATIVA_OK;
}

static const struct {
    const char *name;
    ativa_template_button_type type;
} button_types[] = {
    {"QUICK_REPLY", ATIVA_TEMPLATE_BUTTON_QUICK_REPLY},
    {"URL", ATIVA_TEMPLATE_BUTTON_URL},
    {"PHONE_NUMBER", ATIVA_TEMPLATE_BUTTON_PHONE_NUMBER},
};

static ativa_err parse_buttons(parse_ctx *ctx, const json_t *c)
{
    ativa_template *t = ctx->t;
    const json_t *arr = json_object_get(c, "buttons");
    if (!json_is_array(arr))
        return fail_msg(ctx, "buttons: \"buttons\" must be an array");
    size_t n = json_array_size(arr);
    if (n > ATIVA_TEMPLATE_BUTTONS_MAX)
        return fail_msg(ctx, "buttons: %zu buttons, at most %d allowed", n,
                        ATIVA_TEMPLATE_BUTTONS_MAX);
    t->has_buttons_component = true;
    if (n == 0)
        return ATIVA_OK;
    t->buttons = calloc(n, sizeof *t->buttons);
    if (!t->buttons)
        return ATIVA_ERR_NO_MEMORY;
    for (size_t i = 0; i < n; i++) {
        const json_t *bj = json_array_get(arr, i);
        ativa_template_button *b = &t->buttons[i];
        b->slot = -1;
        t->n_buttons = i + 1; /* so that a failure frees what this button already holds */
        char where[32];
        snprintf(where, sizeof where, "button %zu", i);
        if (!json_is_object(bj))
            return fail_msg(ctx, "%s: must be an object", where);
        ativa_err err = get_string(ctx, bj, "type", where, true, SHORT_FIELD_MAX, &b->type_raw);
        if (err)
            return err;
        b->type = ATIVA_TEMPLATE_BUTTON_OTHER;
        for (size_t k = 0; k < sizeof button_types / sizeof button_types[0]; k++)
            if (strcasecmp(b->type_raw, button_types[k].name) == 0)
                b->type = button_types[k].type;
        bool known = b->type != ATIVA_TEMPLATE_BUTTON_OTHER;
        err = get_string(ctx, bj, "text", where, known, BUTTON_TEXT_MAX, &b->text);
        if (!err && b->type == ATIVA_TEMPLATE_BUTTON_URL)
            err = parse_url(ctx, b, (int)i, bj);
        if (!err && b->type == ATIVA_TEMPLATE_BUTTON_PHONE_NUMBER)
            err = get_string(ctx, bj, "phone_number", where, true, PHONE_MAX, &b->phone_number);
        if (err)
            return err;
        if (!known && !t->unsupported)
            t->unsupported = "a button type other than QUICK_REPLY, URL or PHONE_NUMBER";
    }
    return ATIVA_OK;
}

static ativa_err parse_components(parse_ctx *ctx, const json_t *comps)
{
    ativa_template *t = ctx->t;
    if (!comps)
        return fail_msg(ctx, "missing \"components\" (a BODY is required)");
    if (!json_is_array(comps))
        return fail_msg(ctx, "\"components\" must be an array");
    /* Header first, then body, then buttons, whatever order Meta lists them in: slot order. */
    const json_t *by_kind[4] = {NULL, NULL, NULL, NULL};
    static const char *const kinds[4] = {"HEADER", "BODY", "FOOTER", "BUTTONS"};
    size_t i;
    const json_t *c;
    json_array_foreach(comps, i, c)
    {
        if (!json_is_object(c))
            return fail_msg(ctx, "component %zu must be an object", i);
        const json_t *type = json_object_get(c, "type");
        if (!json_is_string(type))
            return fail_msg(ctx, "component %zu: \"type\" must be a string", i);
        int k = -1;
        for (int j = 0; j < 4; j++)
            if (strcasecmp(json_string_value(type), kinds[j]) == 0)
                k = j;
        if (k < 0) {
            if (!t->other_components && !(t->other_components = json_array()))
                return ATIVA_ERR_NO_MEMORY;
            if (json_array_append_new(t->other_components, json_deep_copy(c)))
                return ATIVA_ERR_NO_MEMORY;
            if (!t->unsupported)
                t->unsupported = "a component other than HEADER, BODY, FOOTER or BUTTONS";
            continue;
        }
        if (by_kind[k])
            return fail_msg(ctx, "more than one %s component", kinds[k]);
        by_kind[k] = c;
    }
    if (!by_kind[1])
        return fail_msg(ctx, "missing the BODY component");
    ativa_err err = ATIVA_OK;
    if (by_kind[0])
        err = parse_header(ctx, by_kind[0]);
    if (!err)
        err = parse_body(ctx, by_kind[1]);
    if (!err && by_kind[2])
        err = parse_footer(ctx, by_kind[2]);
    if (!err && ctx->kinds_seen) {
        bool named = t->parameter_format == ATIVA_TEMPLATE_NAMED;
        if (named && (ctx->kinds_seen & VAR_POSITIONAL))
            return fail_msg(ctx,
                            "%s: positional placeholder in a template with parameter_format "
                            "NAMED",
                            ctx->first_number);
        if (!named && (ctx->kinds_seen & VAR_NAMED))
            return fail_msg(ctx,
                            "%s: named placeholder in a template with parameter_format "
                            "POSITIONAL (set parameter_format NAMED or use {{1}}, {{2}}...)",
                            ctx->first_named);
    }
    if (!err && by_kind[3])
        err = parse_buttons(ctx, by_kind[3]);
    if (err)
        return err;
    bool body_only = !by_kind[0] && !by_kind[2] && !by_kind[3] && !t->other_components;
    if (body_only)
        for (size_t s = 0; s < t->n_slots; s++)
            t->slots[s].max_chars = ATIVA_TEMPLATE_BODY_ONLY_PARAM_MAX;
    return ATIVA_OK;
}

static bool valid_language(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || *s == '-'))
            return false;
    return true;
}

static ativa_err parse_id(parse_ctx *ctx, const json_t *obj)
{
    const json_t *v = json_object_get(obj, "id");
    if (!v)
        return ATIVA_OK;
    char buf[32];
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        ctx->t->id = strdup(buf);
        return ctx->t->id ? ATIVA_OK : ATIVA_ERR_NO_MEMORY;
    }
    if (!json_is_string(v))
        return fail_msg(ctx, "\"id\" must be a string");
    return get_string(ctx, obj, "id", "template", false, ATIVA_TEMPLATE_ID_MAX, &ctx->t->id);
}

ativa_err ativa_template_from_json_new(const json_t *obj, ativa_template **out, char *errbuf,
                                       size_t errlen)
{
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!obj || !out)
        return ATIVA_ERR_INVALID_ARGUMENT;
    parse_ctx ctx = {.errbuf = errbuf, .errlen = errlen};
    if (!json_is_object(obj))
        return fail_msg(&ctx, "a template must be a JSON object");
    ativa_template *t = calloc(1, sizeof *t);
    if (!t)
        return ATIVA_ERR_NO_MEMORY;
    ctx.t = t;
    char *format = NULL;
    ativa_err err =
        get_string(&ctx, obj, "name", "template", true, ATIVA_TEMPLATE_NAME_MAX, &t->name);
    if (err)
        goto fail;
    err = get_string(&ctx, obj, "language", "template", true, ATIVA_TEMPLATE_LANGUAGE_MAX,
                     &t->language);
    if (err)
        goto fail;
    if (!valid_language(t->language)) {
        err = fail_msg(&ctx, "\"language\" must be a code such as \"pt_BR\"");
        goto fail;
    }
    if ((err = parse_id(&ctx, obj)))
        goto fail;
    if ((err = get_string(&ctx, obj, "status", "template", false, SHORT_FIELD_MAX, &t->status_raw)))
        goto fail;
    t->status = ativa_template_status_parse(t->status_raw);
    if ((err = get_string(&ctx, obj, "category", "template", false, SHORT_FIELD_MAX,
                          &t->category_raw)))
        goto fail;
    t->category = ativa_template_category_parse(t->category_raw);
    if ((err = get_string(&ctx, obj, "sub_category", "template", false, SHORT_FIELD_MAX,
                          &t->sub_category)))
        goto fail;
    if ((err = get_string(&ctx, obj, "parameter_format", "template", false, SHORT_FIELD_MAX,
                          &format)))
        goto fail;
    if (format) {
        t->parameter_format_given = true;
        if (strcasecmp(format, "NAMED") == 0) {
            t->parameter_format = ATIVA_TEMPLATE_NAMED;
        } else if (strcasecmp(format, "POSITIONAL") != 0) {
            err = fail_msg(&ctx, "\"parameter_format\" must be POSITIONAL or NAMED, not \"%.32s\"",
                           format);
            goto fail;
        }
    }
    if ((err = parse_components(&ctx, json_object_get(obj, "components"))))
        goto fail;
    free(format);
    *out = t;
    return ATIVA_OK;
fail:
    free(format);
    ativa_template_free(t);
    return err;
}

ativa_err ativa_template_parse_new(const char *text, size_t len, ativa_template **out, char *errbuf,
                                   size_t errlen)
{
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!text || !out)
        return ATIVA_ERR_INVALID_ARGUMENT;
    if (len > ATIVA_TEMPLATE_JSON_MAX)
        return ATIVA_ERR_TOO_LARGE;
    json_error_t jerr;
    json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!obj || !json_is_object(obj)) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s", obj ? "not a JSON object" : jerr.text);
        json_decref(obj);
        return ATIVA_ERR_BAD_JSON;
    }
    ativa_err err = ativa_template_from_json_new(obj, out, errbuf, errlen);
    json_decref(obj);
    return err;
}

/* ---- pages ---- */

void ativa_template_page_clear(ativa_template_page *page)
{
    if (!page)
        return;
    for (size_t i = 0; i < page->count; i++)
        ativa_template_free(page->items[i]);
    free(page->items);
    free(page->after);
    free(page->next);
    memset(page, 0, sizeof *page);
}

ativa_err ativa_template_page_parse(const char *text, size_t len, ativa_template_page *page,
                                    char *errbuf, size_t errlen)
{
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!text || !page)
        return ATIVA_ERR_INVALID_ARGUMENT;
    memset(page, 0, sizeof *page);
    if (len > ATIVA_TEMPLATE_JSON_MAX)
        return ATIVA_ERR_TOO_LARGE;
    parse_ctx ctx = {.errbuf = errbuf, .errlen = errlen};
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    ativa_err err = ATIVA_OK;
    if (!root || !json_is_object(root)) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s", root ? "not a JSON object" : jerr.text);
        err = ATIVA_ERR_BAD_JSON;
        goto fail;
    }
    const json_t *data = json_object_get(root, "data");
    if (!json_is_array(data)) {
        err = fail_msg(&ctx, "page: \"data\" must be an array");
        goto fail;
    }
    size_t n = json_array_size(data);
    if (n > ATIVA_TEMPLATE_PAGE_MAX) {
        err = ATIVA_ERR_TOO_LARGE;
        goto fail;
    }
    const json_t *paging = json_object_get(root, "paging");
    if (paging) {
        if (!json_is_object(paging)) {
            err = fail_msg(&ctx, "page: \"paging\" must be an object");
            goto fail;
        }
        const json_t *cursors = json_object_get(paging, "cursors");
        if (cursors && !json_is_object(cursors)) {
            err = fail_msg(&ctx, "page: \"paging.cursors\" must be an object");
            goto fail;
        }
        if (cursors && (err = get_string(&ctx, cursors, "after", "page: paging.cursors", false,
                                         ATIVA_TEMPLATE_JSON_MAX, &page->after)))
            goto fail;
        if ((err = get_string(&ctx, paging, "next", "page: paging", false, ATIVA_TEMPLATE_JSON_MAX,
                              &page->next)))
            goto fail;
    }
    if (n && !(page->items = calloc(n, sizeof *page->items))) {
        err = ATIVA_ERR_NO_MEMORY;
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(data, i);
        if (!json_is_object(item)) {
            err = fail_msg(&ctx, "page: data[%zu] is not an object", i);
            goto fail;
        }
        char why[ATIVA_TEMPLATE_ERRBUF];
        err = ativa_template_from_json_new(item, &page->items[page->count], why, sizeof why);
        if (err == ATIVA_ERR_NO_MEMORY)
            goto fail;
        if (err) {
            if (page->rejected++ == 0) {
                const char *name = json_string_value(json_object_get(item, "name"));
                snprintf(page->first_rejection, sizeof page->first_rejection,
                         "data[%zu] (%.64s): %.150s", i, name ? name : "?", why);
            }
            err = ATIVA_OK;
            continue;
        }
        page->count++;
    }
    json_decref(root);
    return ATIVA_OK;
fail:
    json_decref(root);
    ativa_template_page_clear(page);
    return err;
}
