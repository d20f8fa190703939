/*
 * gateway/http.h — small HTTP answers shared by the route families.
 *
 * An answer is sent in two steps, as lws wants for HTTP/1.1 and HTTP/2 alike: the status line and
 * headers now (from LWS_CALLBACK_HTTP or LWS_CALLBACK_HTTP_BODY_COMPLETION), the body from the
 * next LWS_CALLBACK_HTTP_WRITEABLE in a single final write. The security headers come from the
 * vhost (see server.c) and are therefore on every answer, static files and lws's own errors too.
 *
 * A route that answers without reading the request body must return 0 for
 * LWS_CALLBACK_HTTP_BODY and LWS_CALLBACK_HTTP_BODY_COMPLETION rather than pass them to
 * lws_callback_http_dummy, which would end the transaction before the answer's body is written;
 * lws discards the unread body when ativa_http_reply_writeable ends the transaction.
 */
#ifndef ATIVA_GATEWAY_HTTP_H
#define ATIVA_GATEWAY_HTTP_H

#include <libwebsockets.h>

#include <stdbool.h>
#include <stddef.h>

/** The largest answer body built in memory by a route (bigger content is a static file). */
#define ATIVA_HTTP_REPLY_MAX (64 * 1024)

/** An answer in progress; lives in the route's per-session data, zeroed by lws. */
struct ativa_http_reply {
    unsigned char *buf; /* LWS_PRE bytes of headroom, then the body */
    size_t len;         /* body length */
    unsigned status;
    bool started; /* headers written; the body waits for WRITEABLE */
};

enum ativa_http_method {
    ATIVA_HTTP_OTHER = 0,
    ATIVA_HTTP_GET,
    ATIVA_HTTP_POST,
    ATIVA_HTTP_HEAD,
};

/** The request's method, for HTTP/1.1 and HTTP/2 alike. */
enum ativa_http_method ativa_http_method(struct lws *wsi);

/** true when the request arrived over HTTP/2. */
bool ativa_http_is_h2(struct lws *wsi);

/** true when the request's path (without the query) is exactly @p path, or @p path + "/". */
bool ativa_http_path_is(struct lws *wsi, const char *path);

/**
 * Start an answer: copy @p body, write the status and headers (content type, length,
 * cache-control: no-store) and ask for WRITEABLE to send the body.
 * @param status an HTTP status, e.g. 200
 * @param content_type e.g. "application/json"
 * @param body the body (copied); may be NULL when @p len is 0
 * @param len at most ATIVA_HTTP_REPLY_MAX
 * @return 0 when the answer is under way; -1 when it could not be started (out of memory, too
 *         large, or the headers could not be written): the caller returns -1 to close the
 *         connection
 */
int ativa_http_reply_start(struct lws *wsi, struct ativa_http_reply *r, unsigned status,
                           const char *content_type, const void *body, size_t len);

/**
 * ativa_http_reply_start with more headers.
 * @param extra  NULL, or pairs of lower-case header name with its colon ("set-cookie:") and
 *               value, ended by a NULL name
 */
int ativa_http_reply_start_with(struct lws *wsi, struct ativa_http_reply *r, unsigned status,
                                const char *content_type, const void *body, size_t len,
                                const char *const *extra);

/** ativa_http_reply_start with a text/plain body given as a C string. */
int ativa_http_reply_text(struct lws *wsi, struct ativa_http_reply *r, unsigned status,
                          const char *text);

/**
 * Call from LWS_CALLBACK_HTTP_WRITEABLE: write the body (one final write), free it, and end the
 * transaction.
 * @return what the callback must return: 0 to keep the connection, -1 to close it
 */
int ativa_http_reply_writeable(struct lws *wsi, struct ativa_http_reply *r);

/** Free what the answer holds; call from LWS_CALLBACK_HTTP_DROP_PROTOCOL / CLOSED_HTTP. */
void ativa_http_reply_clear(struct ativa_http_reply *r);

/** Build the answer of a GET route (see ativa_http_get_route); returns what the callback must. */
typedef int (*ativa_http_answer_fn)(struct lws *wsi, struct ativa_http_reply *reply);

/**
 * The whole callback of a route that answers GET on exactly one path: 404 for other paths, 405
 * for other methods, no WebSocket by its protocol's name, any request body ignored, the answer
 * sent and freed. The route's per-session data is one struct ativa_http_reply (`user`).
 */
int ativa_http_get_route(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len, const char *path, ativa_http_answer_fn answer);

#endif
