/* Decoding ativa.v1 requests and encoding replies (see protocol.h and docs/protocol.md). */
#include "ativa/protocol.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Bounds on fields, in bytes of UTF-8: generous for people, small for abuse. */
#define LINE_MAX_BYTES   64
#define NUMBER_MAX_BYTES 64
#define TEXT_MAX_BYTES   (4 * 4096) /* 4096 characters of up to 4 bytes; exact count later */
#define REASON_MAX_BYTES 200
#define DESCRIPTION_MAX_BYTES                                                                      \
    16000 /* the 4000-byte rule is the conversation's, with its own error */
#define CURSOR_MAX_BYTES        256
#define TEMPLATE_NAME_MAX_BYTES 512
#define LANGUAGE_MAX_BYTES      16

static const char *const type_names[ATIVA_REQ__COUNT] = {
    [ATIVA_REQ_RESUME] = "resume",
    [ATIVA_REQ_LINES_LIST] = "lines.list",
    [ATIVA_REQ_REASONS_LIST] = "reasons.list",
    [ATIVA_REQ_CUSTOMER_LOOKUP] = "customer.lookup",
    [ATIVA_REQ_TEMPLATES_LIST] = "templates.list",
    [ATIVA_REQ_CONVERSATION_CREATE] = "conversation.create",
    [ATIVA_REQ_CONVERSATION_LIST] = "conversation.list",
    [ATIVA_REQ_CONVERSATION_OPEN] = "conversation.open",
    [ATIVA_REQ_CONVERSATION_TAKE] = "conversation.take",
    [ATIVA_REQ_SEND_TEXT] = "message.send_text",
    [ATIVA_REQ_SEND_TEMPLATE] = "message.send_template",
    [ATIVA_REQ_CONVERSATION_FINALIZE] = "conversation.finalize",
    [ATIVA_REQ_HISTORY_SEARCH] = "history.search",
    [ATIVA_REQ_HISTORY_START] = "history.start",
};

const char *ativa_req_type_name(ativa_req_type type)
{
    if ((int)type < 0 || type >= ATIVA_REQ__COUNT)
        return "invalid";
    return type_names[type];
}

/* Cut a UTF-8 sequence that truncation left incomplete at the end of s, so that the words can
 * go into a JSON reply (jansson refuses invalid UTF-8). */
static void trim_partial_utf8(char *s)
{
    size_t n = strlen(s), i = n, continuation = 0;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80 && continuation < 3) {
        i--;
        continuation++;
    }
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
    if (lead >= 0xC0 && continuation < need)
        s[i - 1] = '\0';
}

/* Replace every byte that does not start a complete, valid UTF-8 sequence with '?': jansson's
 * parse errors quote the bytes near the error, which may be anything. */
static void sanitize_utf8(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t need = *p < 0x80             ? 0
                      : (*p & 0xE0) == 0xC0 ? 1
                      : (*p & 0xF0) == 0xE0 ? 2
                      : (*p & 0xF8) == 0xF0 ? 3
                                            : 4;
        size_t have = 0;
        while (need < 4 && have < need && (p[1 + have] & 0xC0) == 0x80)
            have++;
        /* Overlong and surrogate forms are left to jansson's own checks of real input: this
         * only has to keep the text printable and JSON-safe. */
        if (need == 4 || have < need || (need == 1 && *p < 0xC2)) {
            *p++ = '?';
            continue;
        }
        p += 1 + need;
    }
}

static ativa_err problem(char *why, size_t why_len, ativa_err err, const char *fmt, ...)
{
    if (why && why_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
        trim_partial_utf8(why);
        sanitize_utf8(why);
    }
    return err;
}

static int depth_of(json_t *value)
{
    int deepest = 0;
    if (json_is_object(value)) {
        const char *key;
        json_t *child;
        json_object_foreach(value, key, child)
        {
            int d = depth_of(child);
            if (d > deepest)
                deepest = d;
        }
        return deepest + 1;
    }
    if (json_is_array(value)) {
        size_t i;
        json_t *child;
        json_array_foreach(value, i, child)
        {
            int d = depth_of(child);
            if (d > deepest)
                deepest = d;
        }
        return deepest + 1;
    }
    return 0;
}

typedef struct field_ctx {
    json_t *obj;
    const char *prefix; /* "" or "template." for messages */
    char *why;
    size_t why_len;
} field_ctx;

/* A string field. Absent or null: *out = NULL, an error only when required. "" counts as given
 * unless empty_is_null. */
static ativa_err get_string(field_ctx *f, const char *key, bool required, size_t max_bytes,
                            bool empty_is_null, const char **out)
{
    json_t *v = json_object_get(f->obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return problem(f->why, f->why_len, ATIVA_ERR_INVALID_ARGUMENT,
                           "field '%s%s' is required", f->prefix, key);
        return ATIVA_OK;
    }
    if (!json_is_string(v))
        return problem(f->why, f->why_len, ATIVA_ERR_INVALID_ARGUMENT,
                       "field '%s%s' must be a string", f->prefix, key);
    size_t len = json_string_length(v);
    if (len > max_bytes)
        return problem(f->why, f->why_len, ATIVA_ERR_INVALID_ARGUMENT,
                       "field '%s%s' is longer than %zu bytes", f->prefix, key, max_bytes);
    if (len == 0 && empty_is_null)
        return ATIVA_OK;
    if (len == 0 && required)
        return problem(f->why, f->why_len, ATIVA_ERR_INVALID_ARGUMENT,
                       "field '%s%s' must not be empty", f->prefix, key);
    *out = json_string_value(v);
    return ATIVA_OK;
}

/* A non-negative integer field (ids and sequence numbers). */
static ativa_err get_u64(field_ctx *f, const char *key, bool required, bool *present, uint64_t *out)
{
    json_t *v = json_object_get(f->obj, key);
    *out = 0;
    if (present)
        *present = false;
    if (!v || json_is_null(v)) {
        if (required)
            return problem(f->why, f->why_len, ATIVA_ERR_INVALID_ARGUMENT, "field '%s' is required",
                           key);
        return ATIVA_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return problem(f->why, f->why_len, ATIVA_ERR_INVALID_ARGUMENT,
                       "field '%s' must be a non-negative integer", key);
    *out = (uint64_t)json_integer_value(v);
    if (present)
        *present = true;
    return ATIVA_OK;
}

static ativa_err get_instant(field_ctx *f, const char *key, int64_t absent, int64_t *out)
{
    bool present;
    uint64_t v;
    ativa_err err = get_u64(f, key, false, &present, &v);
    if (err)
        return err;
    if (present && v > (uint64_t)INT64_MAX / 2)
        return problem(f->why, f->why_len, ATIVA_ERR_INVALID_ARGUMENT,
                       "field '%s' is not a plausible instant in milliseconds", key);
    *out = present ? (int64_t)v : absent;
    return ATIVA_OK;
}

static ativa_err get_template(field_ctx *f, bool required, ativa_request *req)
{
    json_t *t = json_object_get(f->obj, "template");
    if (!t || json_is_null(t)) {
        if (required)
            return problem(f->why, f->why_len, ATIVA_ERR_INVALID_ARGUMENT,
                           "field 'template' is required");
        return ATIVA_OK;
    }
    if (!json_is_object(t))
        return problem(f->why, f->why_len, ATIVA_ERR_INVALID_ARGUMENT,
                       "field 'template' must be an object with name, language and values");
    field_ctx tf = {t, "template.", f->why, f->why_len};
    ativa_err err;
    if ((err = get_string(&tf, "name", true, TEMPLATE_NAME_MAX_BYTES, false,
                          &req->template_choice.name)) ||
        (err = get_string(&tf, "language", true, LANGUAGE_MAX_BYTES, false,
                          &req->template_choice.language)))
        return err;
    json_t *values = json_object_get(t, "values");
    if (!values || json_is_null(values)) {
        values = json_object();
        if (!values || json_object_set_new(t, "values", values))
            return ATIVA_ERR_NO_MEMORY;
    }
    if (!json_is_object(values))
        return problem(f->why, f->why_len, ATIVA_ERR_INVALID_ARGUMENT,
                       "field 'template.values' must be an object of texts");
    const char *key;
    json_t *v;
    json_object_foreach(values, key, v)
    {
        if (!json_is_string(v))
            return problem(f->why, f->why_len, ATIVA_ERR_INVALID_ARGUMENT,
                           "field 'template.values.%s' must be a string", key);
    }
    req->template_choice.values = values;
    req->has_template = true;
    return ATIVA_OK;
}

static ativa_err decode_fields(ativa_request *req, char *why, size_t why_len)
{
    field_ctx f = {req->root, "", why, why_len};
    ativa_err err = ATIVA_OK;
    uint64_t limit;
    bool has_limit;

    switch (req->type) {
    case ATIVA_REQ_RESUME:
        return get_u64(&f, "last_seq", true, NULL, &req->last_seq);
    case ATIVA_REQ_LINES_LIST:
    case ATIVA_REQ_REASONS_LIST:
    case ATIVA_REQ_CONVERSATION_LIST:
        return ATIVA_OK;
    case ATIVA_REQ_CUSTOMER_LOOKUP:
        if ((err = get_string(&f, "line", true, LINE_MAX_BYTES, false, &req->line)))
            return err;
        return get_string(&f, "number", true, NUMBER_MAX_BYTES, false, &req->number);
    case ATIVA_REQ_TEMPLATES_LIST:
        return get_string(&f, "line", true, LINE_MAX_BYTES, false, &req->line);
    case ATIVA_REQ_CONVERSATION_CREATE:
        if ((err = get_string(&f, "line", true, LINE_MAX_BYTES, false, &req->line)) ||
            (err = get_string(&f, "number", true, NUMBER_MAX_BYTES, false, &req->number)))
            return err;
        return get_template(&f, false, req);
    case ATIVA_REQ_CONVERSATION_OPEN:
    case ATIVA_REQ_CONVERSATION_TAKE:
        return get_u64(&f, "conversation_id", true, NULL, &req->conversation_id);
    case ATIVA_REQ_SEND_TEXT:
        if ((err = get_u64(&f, "conversation_id", true, NULL, &req->conversation_id)))
            return err;
        /* An empty text is the conversation's text_empty error, not a malformed request. */
        if ((err = get_string(&f, "text", false, TEXT_MAX_BYTES, false, &req->text)))
            return err;
        if (!req->text)
            req->text = "";
        return ATIVA_OK;
    case ATIVA_REQ_SEND_TEMPLATE:
        if ((err = get_u64(&f, "conversation_id", true, NULL, &req->conversation_id)))
            return err;
        return get_template(&f, true, req);
    case ATIVA_REQ_CONVERSATION_FINALIZE:
        if ((err = get_u64(&f, "conversation_id", true, NULL, &req->conversation_id)) ||
            (err = get_string(&f, "reason", false, REASON_MAX_BYTES, true, &req->reason)))
            return err;
        return get_string(&f, "description", false, DESCRIPTION_MAX_BYTES, true, &req->description);
    case ATIVA_REQ_HISTORY_SEARCH:
        if ((err = get_string(&f, "number", false, NUMBER_MAX_BYTES, true, &req->number)) ||
            (err = get_string(&f, "line", false, LINE_MAX_BYTES, true, &req->line)) ||
            (err = get_string(&f, "reason", false, REASON_MAX_BYTES, true, &req->reason)) ||
            (err = get_string(&f, "cursor", false, CURSOR_MAX_BYTES, true, &req->cursor)) ||
            (err = get_u64(&f, "agent_id", false, &req->has_agent_id, &req->agent_id)) ||
            (err = get_instant(&f, "from_ms", 0, &req->from_ms)) ||
            (err = get_instant(&f, "to_ms", INT64_MAX, &req->to_ms)) ||
            (err = get_u64(&f, "limit", false, &has_limit, &limit)))
            return err;
        if (has_limit && (limit < 1 || limit > ATIVA_HISTORY_LIMIT_MAX))
            return problem(why, why_len, ATIVA_ERR_INVALID_ARGUMENT,
                           "field 'limit' must be between 1 and %d", ATIVA_HISTORY_LIMIT_MAX);
        req->limit = has_limit ? (unsigned)limit : ATIVA_HISTORY_LIMIT_DEFAULT;
        if (req->from_ms > req->to_ms)
            return problem(why, why_len, ATIVA_ERR_INVALID_ARGUMENT,
                           "field 'from_ms' is after 'to_ms'");
        return ATIVA_OK;
    case ATIVA_REQ_HISTORY_START:
        return get_u64(&f, "attendance_id", true, NULL, &req->attendance_id);
    case ATIVA_REQ__COUNT:
        break;
    }
    return ATIVA_ERR_UNKNOWN_REQUEST;
}

/* The id is read first, so that every later error can be answered to the right request. */
static ativa_err read_id(ativa_request *req, char *why, size_t why_len)
{
    json_t *id = json_object_get(req->root, "id");
    if (!id || !json_is_string(id) || json_string_length(id) == 0 ||
        json_string_length(id) > ATIVA_REQUEST_ID_MAX)
        return problem(why, why_len, ATIVA_ERR_INVALID_ARGUMENT,
                       "field 'id' must be a string of 1 to %d characters", ATIVA_REQUEST_ID_MAX);
    const char *text = json_string_value(id);
    if (memchr(text, '\0', json_string_length(id)))
        return problem(why, why_len, ATIVA_ERR_INVALID_ARGUMENT,
                       "field 'id' must not contain NUL characters");
    snprintf(req->id, sizeof req->id, "%s", text);
    return ATIVA_OK;
}

ativa_err ativa_request_parse(const char *frame, size_t len, ativa_request *out, char *why,
                              size_t why_len)
{
    memset(out, 0, sizeof *out);
    if (why && why_len)
        why[0] = '\0';
    if (!frame)
        return problem(why, why_len, ATIVA_ERR_BAD_JSON, "empty frame");
    if (len > ATIVA_FRAME_MAX)
        return problem(why, why_len, ATIVA_ERR_TOO_LARGE, "frame of %zu bytes is over %d", len,
                       ATIVA_FRAME_MAX);

    json_error_t jerr;
    out->root = json_loadb(frame, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!out->root)
        return problem(why, why_len, ATIVA_ERR_BAD_JSON, "not JSON: %s (column %d)", jerr.text,
                       jerr.column);
    ativa_err err;
    if (!json_is_object(out->root)) {
        err = problem(why, why_len, ATIVA_ERR_BAD_JSON, "a frame must be a JSON object");
        goto fail;
    }
    if (depth_of(out->root) > ATIVA_FRAME_MAX_DEPTH) {
        err = problem(why, why_len, ATIVA_ERR_BAD_JSON, "nested deeper than %d levels",
                      ATIVA_FRAME_MAX_DEPTH);
        goto fail;
    }
    json_t *type = json_object_get(out->root, "type");
    if (!json_is_string(type)) {
        err = problem(why, why_len, ATIVA_ERR_BAD_JSON, "field 'type' must be a string");
        goto fail;
    }
    /* A bad id is reported after the type check so that garbage is bad_json, not an id error. */
    if ((err = read_id(out, why, why_len)))
        goto fail;
    out->type = ATIVA_REQ__COUNT;
    for (int t = 0; t < ATIVA_REQ__COUNT; t++)
        if (strcmp(json_string_value(type), type_names[t]) == 0)
            out->type = (ativa_req_type)t;
    if (out->type == ATIVA_REQ__COUNT) {
        char shown[65];
        snprintf(shown, sizeof shown, "%s", json_string_value(type));
        trim_partial_utf8(shown);
        err = problem(why, why_len, ATIVA_ERR_UNKNOWN_REQUEST, "unknown request type '%s%s'", shown,
                      json_string_length(type) >= sizeof shown ? "…" : "");
        goto fail;
    }
    if ((err = decode_fields(out, why, why_len)))
        goto fail;
    return ATIVA_OK;

fail:
    json_decref(out->root);
    out->root = NULL;
    {
        char id[sizeof out->id];
        memcpy(id, out->id, sizeof id);
        ativa_req_type t = out->type;
        memset(out, 0, sizeof *out);
        memcpy(out->id, id, sizeof id);
        out->type = t;
    }
    return err;
}

void ativa_request_clear(ativa_request *req)
{
    if (!req)
        return;
    json_decref(req->root);
    memset(req, 0, sizeof *req);
}

static json_t *id_value(const char *id)
{
    return id && *id ? json_string(id) : json_null();
}

json_t *ativa_reply_ok_new(const char *id, json_t *data)
{
    if (!data)
        data = json_object();
    return json_pack("{s:s, s:o, s:b, s:o}", "type", "reply", "id", id_value(id), "ok", 1, "data",
                     data);
}

json_t *ativa_reply_error_new(const char *id, ativa_err err, const char *message)
{
    return json_pack("{s:s, s:o, s:b, s:{s:s, s:s}}", "type", "reply", "id", id_value(id), "ok", 0,
                     "error", "code", ativa_err_code(err), "message",
                     message ? message : ativa_err_text_pt(err));
}

json_t *ativa_event_frame_new(uint64_t seq, const char *name, json_t *data)
{
    if (!data)
        data = json_object();
    return json_pack("{s:s, s:I, s:s, s:o}", "type", "event", "seq", (json_int_t)seq, "event", name,
                     "data", data);
}
