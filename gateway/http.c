/* Two-step HTTP answers; see http.h. */
#include "http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool ativa_http_is_h2(struct lws *wsi)
{
    /* Only HTTP/2 carries the :method pseudo-header. */
    return lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_COLON_METHOD) > 0;
}

enum ativa_http_method ativa_http_method(struct lws *wsi)
{
    char m[16];
    if (ativa_http_is_h2(wsi)) {
        if (lws_hdr_copy(wsi, m, sizeof m, WSI_TOKEN_HTTP_COLON_METHOD) <= 0)
            return ATIVA_HTTP_OTHER;
        if (strcasecmp(m, "GET") == 0)
            return ATIVA_HTTP_GET;
        if (strcasecmp(m, "POST") == 0)
            return ATIVA_HTTP_POST;
        if (strcasecmp(m, "HEAD") == 0)
            return ATIVA_HTTP_HEAD;
        return ATIVA_HTTP_OTHER;
    }
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
        return ATIVA_HTTP_GET;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
        return ATIVA_HTTP_POST;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI))
        return ATIVA_HTTP_HEAD;
    return ATIVA_HTTP_OTHER;
}

bool ativa_http_path_is(struct lws *wsi, const char *path)
{
    char *uri = NULL;
    int len = 0;
    /* The callback's `in` is not usable here: lws passes the whole path for some methods and
     * only what follows the mount point for others. */
    if (lws_http_get_uri_and_method(wsi, &uri, &len) < 0 || !uri || len < 0)
        return false;
    const char *q = memchr(uri, '?', (size_t)len);
    size_t ulen = q ? (size_t)(q - uri) : (size_t)len;
    size_t n = strlen(path);
    if (ulen < n || strncmp(uri, path, n) != 0)
        return false;
    return ulen == n || (ulen == n + 1 && uri[n] == '/');
}

int ativa_http_reply_start(struct lws *wsi, struct ativa_http_reply *r, unsigned status,
                           const char *content_type, const void *body, size_t len)
{
    return ativa_http_reply_start_with(wsi, r, status, content_type, body, len, NULL);
}

int ativa_http_reply_start_with(struct lws *wsi, struct ativa_http_reply *r, unsigned status,
                                const char *content_type, const void *body, size_t len,
                                const char *const *extra)
{
    unsigned char hdr[LWS_PRE + 1024];
    unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;

    if (r->started || len > ATIVA_HTTP_REPLY_MAX)
        return -1;
    ativa_http_reply_clear(r);
    r->buf = malloc(LWS_PRE + len + 1);
    if (!r->buf)
        return -1;
    if (len)
        memcpy(r->buf + LWS_PRE, body, len);
    r->len = len;
    r->status = status;

    if (lws_add_http_common_headers(wsi, status, content_type, (lws_filepos_t)len, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)"no-store", 8, &p, end)) {
        ativa_http_reply_clear(r);
        return -1;
    }
    for (size_t i = 0; extra && extra[i]; i += 2) {
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)extra[i],
                                        (const unsigned char *)extra[i + 1],
                                        (int)strlen(extra[i + 1]), &p, end)) {
            ativa_http_reply_clear(r);
            return -1;
        }
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end)) {
        ativa_http_reply_clear(r);
        return -1;
    }
    r->started = true;
    lws_callback_on_writable(wsi);
    return 0;
}

int ativa_http_reply_text(struct lws *wsi, struct ativa_http_reply *r, unsigned status,
                          const char *text)
{
    return ativa_http_reply_start(wsi, r, status, "text/plain; charset=utf-8", text, strlen(text));
}

int ativa_http_reply_writeable(struct lws *wsi, struct ativa_http_reply *r)
{
    if (!r->started || !r->buf)
        return 0; /* a spurious WRITEABLE before the answer is ready */
    int n = lws_write(wsi, r->buf + LWS_PRE, r->len, LWS_WRITE_HTTP_FINAL);
    ativa_http_reply_clear(r);
    if (n < 0)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

void ativa_http_reply_clear(struct ativa_http_reply *r)
{
    free(r->buf);
    r->buf = NULL;
    r->len = 0;
    r->started = false;
}

int ativa_http_get_route(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len, const char *path, ativa_http_answer_fn answer)
{
    struct ativa_http_reply *reply = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return 1; /* HTTP only: no WebSocket by this protocol's name */
    case LWS_CALLBACK_HTTP:
        ativa_http_reply_clear(reply);
        if (!ativa_http_path_is(wsi, path))
            return ativa_http_reply_text(wsi, reply, 404, "not found\n");
        if (ativa_http_method(wsi) != ATIVA_HTTP_GET)
            return ativa_http_reply_text(wsi, reply, 405, "use GET\n");
        return answer(wsi, reply);
    case LWS_CALLBACK_HTTP_BODY:
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        /* A body sent with the request is ignored (lws discards it once the answer completes). */
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return ativa_http_reply_writeable(wsi, reply);
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (reply)
            ativa_http_reply_clear(reply);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}
