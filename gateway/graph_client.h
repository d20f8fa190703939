/*
 * graph_client.h — HTTPS requests to Meta's Graph API (or the simulator), on the gateway's loop.
 *
 * One request is one libwebsockets client connection: the body is written when the connection is
 * writable, the answer is gathered up to a cap, and the caller's callback runs exactly once, on the
 * service thread, with the outcome. Certificate verification is always on; a development CA can be
 * added with the vhost's client CA file. Only the service thread may call these functions.
 */
#ifndef ATIVA_GATEWAY_GRAPH_CLIENT_H
#define ATIVA_GATEWAY_GRAPH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <libwebsockets.h>

/** Largest answer kept (a template page is well below it); longer answers are a failure. */
#define GRAPH_MAX_RESPONSE_BYTES (2u * 1024 * 1024)

typedef enum graph_outcome {
    GRAPH_ANSWERED = 0,   /**< an HTTP answer arrived: see http_status and body */
    GRAPH_CONNECT_FAILED, /**< no connection (DNS, refused, TLS or certificate failure): not sent */
    GRAPH_TIMED_OUT,      /**< no complete answer within the timeout */
    GRAPH_BROKEN,         /**< the connection closed before a complete answer */
} graph_outcome;

typedef struct graph_response {
    graph_outcome outcome;
    int http_status;  /**< 0 unless outcome is GRAPH_ANSWERED */
    const char *body; /**< NUL-terminated; valid only during the callback */
    size_t body_len;
    bool request_written; /**< the whole request left this process */
    const char *detail;   /**< words for logs when there is no answer (never NULL) */
} graph_response;

typedef void (*graph_done_fn)(void *user, const graph_response *response);

typedef struct graph_client graph_client;

/**
 * The lws protocol that carries the client connections; add it to the vhost's protocol list
 * (before the terminating entry) so that lws can route their callbacks.
 */
extern const struct lws_protocols graph_client_protocol;

/**
 * @param base_url   "https://host[:port][/prefix]"; plain http is refused.
 * @param token      bearer token sent as "Authorization: Bearer <token>"; copied.
 * @param timeout_ms whole-request timeout (connect, send, answer).
 * @return a client, or NULL with a reason in errbuf (bad URL, out of memory).
 */
graph_client *graph_client_new(struct lws_context *context, struct lws_vhost *vhost,
                               const char *base_url, const char *token, int timeout_ms,
                               char *errbuf, size_t errlen);

/** Cancels every request still under way (their callbacks run with GRAPH_BROKEN) and frees. */
void graph_client_destroy(graph_client *client);

/**
 * Start a request. The callback runs later, once, on the service thread (never inside this call).
 * @param method  "GET" or "POST".
 * @param path    path and query below the base URL, starting with '/'; copied.
 * @param body    JSON body for POST (may be NULL for GET); copied.
 * @return 0, or -1 when the request could not even be queued (out of memory, client closing).
 */
int graph_client_request(graph_client *client, const char *method, const char *path,
                         const char *body, size_t body_len, graph_done_fn done, void *user);

/** Requests under way now. */
unsigned graph_client_in_flight(const graph_client *client);

#endif
