/* Graph API /messages: the request bodies ativa sends and the answers it reads (see meta.h). */
#include "ativa/meta.h"

#include <string.h>

/* Answers from Graph are small; anything bigger is not an answer we understand. */
#define RESPONSE_MAX_BYTES (64u * 1024u)

static ativa_err check_to(const char *to)
{
    if (!to)
        return ATIVA_ERR_INVALID_ARGUMENT;
    if (!*to)
        return ATIVA_ERR_PHONE_EMPTY;
    if (strlen(to) >= ATIVA_META_TO_MAX)
        return ATIVA_ERR_INVALID_ARGUMENT;
    /* Meta accepts digits with + - ( ) and spaces; anything else is a caller bug. */
    for (const char *c = to; *c; c++)
        if (!((*c >= '0' && *c <= '9') || strchr("+-() ", *c)))
            return ATIVA_ERR_INVALID_ARGUMENT;
    return ATIVA_OK;
}

/* Code points in valid UTF-8: every byte that is not a continuation byte starts one. */
static size_t utf8_code_points(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* {"messaging_product","recipient_type","to","type"}: the envelope every send shares. */
static json_t *envelope_new(const char *to, const char *type)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "messaging_product", "whatsapp", "recipient_type",
                     "individual", "to", to, "type", type);
}

ativa_err ativa_meta_send_text_new(const char *to, const char *text, json_t **out)
{
    if (!out)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out = NULL;
    ativa_err err = check_to(to);
    if (err)
        return err;
    if (!text)
        return ATIVA_ERR_INVALID_ARGUMENT;
    /* jansson validates UTF-8; the check comes first so the length count below is meaningful. */
    json_t *body_str = json_string(text);
    if (!body_str)
        return *text ? ATIVA_ERR_INVALID_ARGUMENT : ATIVA_ERR_NO_MEMORY;
    size_t chars = utf8_code_points(text);
    if (chars == 0) {
        json_decref(body_str);
        return ATIVA_ERR_TEXT_EMPTY;
    }
    if (chars > ATIVA_TEXT_MAX_CHARS) {
        json_decref(body_str);
        return ATIVA_ERR_TEXT_TOO_LONG;
    }
    /* json_pack's "o" consumes body_str even when packing fails. */
    json_t *payload = json_pack("{s:b, s:o}", "preview_url", 0, "body", body_str);
    json_t *msg = envelope_new(to, "text");
    if (!payload || !msg)
        goto fail;
    if (json_object_set_new(msg, "text", payload) != 0) {
        payload = NULL; /* consumed */
        goto fail;
    }
    *out = msg;
    return ATIVA_OK;
fail:
    json_decref(payload);
    json_decref(msg);
    return ATIVA_ERR_NO_MEMORY;
}

ativa_err ativa_meta_send_template_new(const char *to, const char *name, const char *language,
                                       json_t *components, json_t **out)
{
    if (!out)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out = NULL;
    ativa_err err = check_to(to);
    if (err)
        return err;
    if (!name || !*name || !language || !*language)
        return ATIVA_ERR_INVALID_ARGUMENT;
    if (components && !json_is_array(components))
        return ATIVA_ERR_INVALID_ARGUMENT;

    err = ATIVA_ERR_NO_MEMORY;
    json_t *msg = envelope_new(to, "template");
    json_t *tpl = json_pack("{s:s, s:{s:s}}", "name", name, "language", "code", language);
    if (!msg || !tpl) {
        /* json_pack also fails on invalid UTF-8 in name or language. */
        err = ATIVA_ERR_INVALID_ARGUMENT;
        goto fail;
    }
    if (components && json_array_size(components) > 0 &&
        json_object_set(tpl, "components", components) != 0)
        goto fail;
    if (json_object_set_new(msg, "template", tpl) != 0) {
        tpl = NULL; /* json_object_set_new consumed it even on failure */
        goto fail;
    }
    *out = msg;
    return ATIVA_OK;
fail:
    json_decref(tpl);
    json_decref(msg);
    return err;
}

/* Copy at most dst_size-1 bytes without cutting a UTF-8 sequence in half. */
static void copy_truncated(char *dst, size_t dst_size, const char *src)
{
    size_t len = src ? strlen(src) : 0;
    if (len >= dst_size) {
        len = dst_size - 1;
        while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
            len--;
    }
    if (len)
        memcpy(dst, src, len);
    dst[len] = '\0';
}

static json_t *load_response(const char *body, size_t body_len)
{
    if (body_len > RESPONSE_MAX_BYTES)
        return NULL;
    return json_loadb(body, body_len, JSON_REJECT_DUPLICATES, NULL);
}

ativa_err ativa_meta_send_response_parse(const char *body, size_t body_len,
                                         ativa_meta_send_result *out)
{
    if (!out || (!body && body_len))
        return ATIVA_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    json_t *root = load_response(body, body_len);
    const char *wamid = NULL, *status = NULL, *wa_id = NULL, *input = NULL;
    json_t *message = json_array_get(json_object_get(root, "messages"), 0);
    json_t *contact = json_array_get(json_object_get(root, "contacts"), 0);
    wamid = json_string_value(json_object_get(message, "id"));
    status = json_string_value(json_object_get(message, "message_status"));
    wa_id = json_string_value(json_object_get(contact, "wa_id"));
    input = json_string_value(json_object_get(contact, "input"));
    if (!wamid || !*wamid || strlen(wamid) >= ATIVA_WAMID_MAX) {
        json_decref(root);
        return ATIVA_ERR_META_RESPONSE_MALFORMED;
    }
    copy_truncated(out->wamid, sizeof out->wamid, wamid);
    copy_truncated(out->wa_id, sizeof out->wa_id, wa_id);
    copy_truncated(out->input, sizeof out->input, input);
    copy_truncated(out->message_status, sizeof out->message_status, status);
    json_decref(root);
    return ATIVA_OK;
}

ativa_err ativa_meta_graph_error_parse(const char *body, size_t body_len,
                                       ativa_meta_graph_error *out)
{
    if (!out || (!body && body_len))
        return ATIVA_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    json_t *root = load_response(body, body_len);
    json_t *error = json_object_get(root, "error");
    json_t *code = json_object_get(error, "code");
    if (!json_is_integer(code)) {
        json_decref(root);
        return ATIVA_ERR_META_RESPONSE_MALFORMED;
    }
    out->code = json_integer_value(code);
    out->subcode = json_integer_value(json_object_get(error, "error_subcode"));
    copy_truncated(out->message, sizeof out->message,
                   json_string_value(json_object_get(error, "message")));
    copy_truncated(out->type, sizeof out->type, json_string_value(json_object_get(error, "type")));
    copy_truncated(
        out->details, sizeof out->details,
        json_string_value(json_object_get(json_object_get(error, "error_data"), "details")));
    copy_truncated(out->fbtrace_id, sizeof out->fbtrace_id,
                   json_string_value(json_object_get(error, "fbtrace_id")));
    json_decref(root);
    return ATIVA_OK;
}
