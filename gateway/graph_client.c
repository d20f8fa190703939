/*
 * graph_client.c — see graph_client.h.
 *
 * Life of a request: it is linked into the client's list and a timer is armed for its timeout;
 * its connection carries the request struct as wsi user data. The outcome is delivered exactly
 * once (deliver()), from a wsi callback or from the timer; the struct is freed only when it has
 * been delivered AND its connection is gone, because lws may still call back on a connection
 * whose answer was already handed over.
 */
#include "graph_client.h"

#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Body bytes written per WRITEABLE callback (one lws_write each, as lws requires). */
#define BODY_CHUNK 4096

typedef struct graph_request {
    graph_client *client;
    struct graph_request *prev, *next;
    struct lws *wsi;
    bool wsi_alive;
    lws_sorted_usec_list_t sul;

    char method[8];
    char *path;
    char *body;
    size_t body_len, body_sent;
    bool written;

    char *resp;
    size_t resp_len, resp_cap;
    int http_status;
    bool completed, timed_out, overflowed;

    bool in_connect; /* inside lws_client_connect_via_info: delivery must wait for the timer */
    bool delivered;
    graph_outcome outcome;
    char detail[160];
    graph_done_fn done;
    void *user;
} graph_request;

struct graph_client {
    struct lws_context *context;
    struct lws_vhost *vhost;
    char host[256];
    char host_header[272];
    int port;
    char prefix[256];
    char *authorization;
    int timeout_ms;
    graph_request *requests;
    unsigned in_flight;
    bool closing;
};

static void unlink_request(graph_request *r)
{
    graph_client *c = r->client;
    if (r->prev)
        r->prev->next = r->next;
    else if (c->requests == r)
        c->requests = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

static void free_request(graph_request *r)
{
    lws_sul_cancel(&r->sul);
    free(r->path);
    free(r->body);
    free(r->resp);
    free(r);
}

/* Free once both the caller has its outcome and lws has let go of the connection. */
static void maybe_free(graph_request *r)
{
    if (r->delivered && !r->wsi_alive)
        free_request(r);
}

static void deliver(graph_request *r, graph_outcome outcome, const char *detail)
{
    if (r->delivered)
        return;
    r->delivered = true;
    lws_sul_cancel(&r->sul);
    graph_client *c = r->client;
    unlink_request(r);
    c->in_flight--;

    if (detail && detail != r->detail)
        snprintf(r->detail, sizeof r->detail, "%s", detail);
    graph_response response = {
        .outcome = outcome,
        .http_status = outcome == GRAPH_ANSWERED ? r->http_status : 0,
        .body = r->resp ? r->resp : "",
        .body_len = r->resp_len,
        .request_written = r->written,
        .detail = r->detail,
    };
    if (r->done)
        r->done(r->user, &response);
}

static int append_response(graph_request *r, const void *in, size_t len)
{
    if (r->resp_len + len > GRAPH_MAX_RESPONSE_BYTES) {
        r->overflowed = true;
        return -1;
    }
    if (r->resp_len + len + 1 > r->resp_cap) {
        size_t cap = r->resp_cap ? r->resp_cap : 4096;
        while (cap < r->resp_len + len + 1)
            cap *= 2;
        char *grown = realloc(r->resp, cap);
        if (!grown)
            return -1;
        r->resp = grown;
        r->resp_cap = cap;
    }
    memcpy(r->resp + r->resp_len, in, len);
    r->resp_len += len;
    r->resp[r->resp_len] = '\0';
    return 0;
}

static int add_headers(graph_request *r, struct lws *wsi, unsigned char **p, unsigned char *end)
{
    graph_client *c = r->client;
    if (lws_add_http_header_by_name(
            wsi, (const unsigned char *)"authorization:", (const unsigned char *)c->authorization,
            (int)strlen(c->authorization), p, end))
        return -1;
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)"accept:",
                                    (const unsigned char *)"application/json", 16, p, end))
        return -1;
    if (!r->body)
        return 0;
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)"content-type:",
                                    (const unsigned char *)"application/json", 16, p, end))
        return -1;
    /* lws does not add Content-Length to client requests by itself. */
    if (lws_add_http_header_content_length(wsi, r->body_len, p, end))
        return -1;
    lws_client_http_body_pending(wsi, 1);
    lws_callback_on_writable(wsi);
    return 0;
}

static int write_body_chunk(graph_request *r, struct lws *wsi)
{
    unsigned char buf[LWS_PRE + BODY_CHUNK];
    size_t left = r->body_len - r->body_sent;
    size_t n = left < BODY_CHUNK ? left : BODY_CHUNK;
    bool last = n == left;
    memcpy(buf + LWS_PRE, r->body + r->body_sent, n);
    if (last)
        lws_client_http_body_pending(wsi, 0);
    if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
        return -1;
    r->body_sent += n;
    if (last)
        r->written = true;
    else
        lws_callback_on_writable(wsi);
    return 0;
}

/* The connection is gone: hand over whatever we know, then release the struct if we may. */
static void connection_gone(graph_request *r)
{
    r->wsi_alive = false;
    r->wsi = NULL;
    if (r->completed)
        deliver(r, GRAPH_ANSWERED, "answered");
    else if (r->timed_out)
        deliver(r, GRAPH_TIMED_OUT, "no answer within the timeout");
    else if (r->overflowed)
        deliver(r, GRAPH_BROKEN, "answer larger than the limit");
    else
        deliver(r, GRAPH_BROKEN, "connection closed before a complete answer");
    maybe_free(r);
}

static int graph_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                          size_t len)
{
    graph_request *r = user;

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return 1; /* a client-only protocol: nobody may open it from outside */

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (!r)
            return 0;
        /* Some close paths call back again on this wsi: make sure they see no request. */
        lws_set_wsi_user(wsi, NULL);
        r->wsi_alive = false;
        r->wsi = NULL;
        snprintf(r->detail, sizeof r->detail, "connection failed: %s",
                 in ? (const char *)in : "unknown reason");
        r->outcome = r->timed_out ? GRAPH_TIMED_OUT : GRAPH_CONNECT_FAILED;
        if (r->in_connect)
            return 0; /* graph_client_request arms the timer that delivers it */
        deliver(r, r->timed_out ? GRAPH_TIMED_OUT : GRAPH_CONNECT_FAILED, NULL);
        maybe_free(r);
        return 0;

    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        if (!r)
            return -1;
        return add_headers(r, wsi, (unsigned char **)in, (*(unsigned char **)in) + len);

    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
        if (!r || !r->body || r->body_sent >= r->body_len)
            return 0;
        return write_body_chunk(r, wsi);

    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        if (!r)
            return -1;
        /* A GET has no body: the request is out once the headers are. */
        if (!r->body)
            r->written = true;
        r->http_status = (int)lws_http_client_http_response(wsi);
        return 0;

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        if (!r)
            return -1;
        return append_response(r, in, len);

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buf[LWS_PRE + 4096];
        char *p = buf + LWS_PRE;
        int n = (int)sizeof buf - LWS_PRE;
        if (lws_http_client_read(wsi, &p, &n) < 0)
            return -1;
        return 0;
    }

    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        if (!r)
            return 0;
        r->completed = true;
        deliver(r, GRAPH_ANSWERED, "answered");
        return 0;

    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        if (r) {
            lws_set_wsi_user(wsi, NULL);
            connection_gone(r);
        }
        return 0;

    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const struct lws_protocols graph_client_protocol = {
    .name = "ativa-graph-client",
    .callback = graph_callback,
    .per_session_data_size = 0,
    .rx_buffer_size = 0,
};

const struct ativa_route ativa_graph_client_route = {
    .mountpoint = NULL,
    .protocol = {.name = "ativa-graph-client", .callback = graph_callback},
};

static void on_timer(lws_sorted_usec_list_t *sul)
{
    graph_request *r = lws_container_of(sul, graph_request, sul);
    if (r->wsi_alive && r->wsi) {
        /* Closing is asynchronous; CLOSED_CLIENT_HTTP then delivers GRAPH_TIMED_OUT. */
        r->timed_out = true;
        lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return;
    }
    /* No connection at all (it failed inside connect): deliver what was recorded. */
    deliver(r, r->outcome, NULL);
    maybe_free(r);
}

graph_client *graph_client_new(struct lws_context *context, struct lws_vhost *vhost,
                               const char *base_url, const char *token, int timeout_ms,
                               char *errbuf, size_t errlen)
{
    graph_client *c = NULL;
    char *copy = NULL;

    if (!context || !base_url || !token || timeout_ms <= 0) {
        snprintf(errbuf, errlen, "graph client: missing context, URL, token or timeout");
        goto fail;
    }
    c = calloc(1, sizeof *c);
    copy = strdup(base_url);
    if (!c || !copy) {
        snprintf(errbuf, errlen, "graph client: out of memory");
        goto fail;
    }
    const char *scheme, *address, *path;
    int port;
    if (lws_parse_uri(copy, &scheme, &address, &port, &path) || strcmp(scheme, "https") ||
        !*address) {
        snprintf(errbuf, errlen, "graph client: base URL '%s' is not https://host[:port][/path]",
                 base_url);
        goto fail;
    }
    if (strlen(address) >= sizeof c->host || strlen(path) + 1 >= sizeof c->prefix) {
        snprintf(errbuf, errlen, "graph client: base URL '%s' is too long", base_url);
        goto fail;
    }
    c->context = context;
    c->vhost = vhost;
    snprintf(c->host, sizeof c->host, "%s", address);
    snprintf(c->host_header, sizeof c->host_header, port == 443 ? "%s" : "%s:%d", address, port);
    c->port = port;
    /* lws_parse_uri drops the leading '/': keep a prefix without a trailing one. */
    snprintf(c->prefix, sizeof c->prefix, "%s%s", *path ? "/" : "", path);
    size_t plen = strlen(c->prefix);
    if (plen && c->prefix[plen - 1] == '/')
        c->prefix[plen - 1] = '\0';
    size_t alen = strlen(token) + sizeof "Bearer ";
    c->authorization = malloc(alen);
    if (!c->authorization) {
        snprintf(errbuf, errlen, "graph client: out of memory");
        goto fail;
    }
    snprintf(c->authorization, alen, "Bearer %s", token);
    c->timeout_ms = timeout_ms;
    free(copy);
    return c;

fail:
    free(copy);
    if (c)
        free(c->authorization);
    free(c);
    return NULL;
}

void graph_client_destroy(graph_client *c)
{
    if (!c)
        return;
    c->closing = true;
    while (c->requests) {
        graph_request *r = c->requests;
        deliver(r, GRAPH_BROKEN, "gateway shutting down");
        if (r->wsi_alive && r->wsi) {
            /* Detach: lws may still call back on this connection while it closes. */
            lws_set_wsi_user(r->wsi, NULL);
            lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
            r->wsi_alive = false;
        }
        maybe_free(r);
    }
    free(c->authorization);
    free(c);
}

int graph_client_request(graph_client *c, const char *method, const char *path, const char *body,
                         size_t body_len, graph_done_fn done, void *user)
{
    if (!c || c->closing || !method || !path || path[0] != '/' || strlen(method) >= 8)
        return -1;
    graph_request *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    size_t full_len = strlen(c->prefix) + strlen(path) + 1;
    r->path = malloc(full_len);
    if (!r->path)
        goto fail;
    snprintf(r->path, full_len, "%s%s", c->prefix, path);
    if (body) {
        r->body = malloc(body_len + 1);
        if (!r->body)
            goto fail;
        memcpy(r->body, body, body_len);
        r->body[body_len] = '\0';
        r->body_len = body_len;
    }
    snprintf(r->method, sizeof r->method, "%s", method);
    r->client = c;
    r->done = done;
    r->user = user;
    r->outcome = GRAPH_CONNECT_FAILED;
    snprintf(r->detail, sizeof r->detail, "connection failed");

    r->next = c->requests;
    if (c->requests)
        c->requests->prev = r;
    c->requests = r;
    c->in_flight++;

    struct lws_client_connect_info info;
    memset(&info, 0, sizeof info);
    info.context = c->context;
    info.vhost = c->vhost;
    info.address = c->host;
    info.port = c->port;
    info.ssl_connection = LCCSCF_USE_SSL;
    /* lws writes "/" before the path itself: give it without its leading slash, or the
     * request line would say "//v23.0/...". Host carries the port when it is not 443 (lws takes
     * the port off again for the certificate's name check); a server-to-server call has no
     * Origin. */
    info.path = r->path[0] == '/' ? r->path + 1 : r->path;
    info.host = c->host_header;
    info.origin = NULL;
    info.method = r->method;
    info.protocol = graph_client_protocol.name;
    info.local_protocol_name = graph_client_protocol.name;
    /* HTTP/1.1: lws 4.1's h2 client has known problems with POST bodies (see docs). */
    info.alpn = "http/1.1";
    info.userdata = r;
    info.pwsi = &r->wsi;

    r->wsi_alive = true;
    r->in_connect = true;
    struct lws *wsi = lws_client_connect_via_info(&info);
    r->in_connect = false;
    if (!wsi || !r->wsi_alive) {
        /* Failed inside connect: the caller hears of it from the timer, never from inside
         * this call. */
        r->wsi_alive = false;
        r->wsi = NULL;
        lws_sul_schedule(c->context, 0, &r->sul, on_timer, 1);
        return 0;
    }
    lws_sul_schedule(c->context, 0, &r->sul, on_timer, (lws_usec_t)c->timeout_ms * 1000);
    return 0;

fail:
    free(r->path);
    free(r->body);
    free(r);
    return -1;
}

unsigned graph_client_in_flight(const graph_client *c)
{
    return c ? c->in_flight : 0;
}
