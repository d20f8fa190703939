#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 16384

static void req_free_buffers(struct sim_req *req)
{
    if (req->delayed) {
        lws_sul_cancel(&req->sul);
        req->delayed = 0;
    }
    free(req->body);
    req->body = NULL;
    req->body_len = 0;
    free(req->resp);
    req->resp = NULL;
    json_decref(req->log_entry);
    req->log_entry = NULL;
}

static void req_begin(struct sim_req *req, struct lws *wsi, const char *uri, size_t len)
{
    req_free_buffers(req);
    memset(req, 0, sizeof(*req));
    req->wsi = wsi;
    req->sim = lws_context_user(lws_get_context(wsi));
    if (len >= sizeof(req->path))
        len = sizeof(req->path) - 1;
    memcpy(req->path, uri, len);
    req->path[len] = '\0';
    req->is_post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;

    /* The argument fragments, rejoined for the request log. */
    char frag[512];
    size_t off = 0;
    for (int i = 0; i < 32; i++) {
        int n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0)
            break;
        int w = snprintf(req->query + off, sizeof(req->query) - off, "%s%s", i ? "&" : "", frag);
        if (w < 0 || (size_t)w >= sizeof(req->query) - off)
            break;
        off += (size_t)w;
    }
    if (lws_hdr_copy(wsi, req->authorization, sizeof(req->authorization),
                     WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
        req->authorization[0] = '\0';
    if (lws_hdr_copy(wsi, req->content_type, sizeof(req->content_type),
                     WSI_TOKEN_HTTP_CONTENT_TYPE) < 0)
        req->content_type[0] = '\0';
}

json_t *sim_req_query_new(const struct sim_req *req)
{
    json_t *q = json_object();
    char buf[sizeof(req->query)];
    if (!q)
        return NULL;
    memcpy(buf, req->query, sizeof(buf));
    char *save = NULL;
    for (char *kv = strtok_r(buf, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (eq)
            *eq = '\0';
        json_object_set_new(q, kv, json_string(eq ? eq + 1 : ""));
    }
    return q;
}

void sim_respond(struct sim_req *req, unsigned int status, json_t *body)
{
    if (req->responding) {
        json_decref(body);
        return;
    }
    free(req->resp);
    req->resp = body ? sim_json_dump_new(body) : NULL;
    json_decref(body);
    if (!req->resp) {
        req->resp = strdup("{}");
        status = 500;
    }
    req->resp_len = req->resp ? strlen(req->resp) : 0;
    if (req->log_entry) {
        json_object_set_new(req->log_entry, "response_status", json_integer(status));
        json_object_set_new(req->log_entry, "response_body", json_string(req->resp));
    }
    req->resp_off = 0;
    req->status = status;
    req->responding = 1;
    req->headers_sent = 0;
    lws_callback_on_writable(req->wsi);
}

static void dispatch(struct sim_req *req)
{
    req->handled = 1;
    if (req->body_too_large) {
        json_t *e = sim_graph_error_new(100, "OAuthException", "(#100) Request body is too large",
                                        "The request body exceeds 262144 bytes");
        sim_respond(req, 413, e);
        return;
    }
    if (!strncmp(req->path, "/control/", 9) || !strcmp(req->path, "/control"))
        sim_control_handle(req);
    else
        sim_graph_handle(req);
}

static int write_response(struct sim_req *req, struct lws *wsi)
{
    unsigned char hbuf[LWS_PRE + 2048];
    if (!req->headers_sent) {
        unsigned char *start = hbuf + LWS_PRE, *p = start, *end = hbuf + sizeof(hbuf) - 1;
        if (lws_add_http_common_headers(wsi, req->status, "application/json; charset=UTF-8",
                                        req->resp_len, &p, end))
            return -1;
        if (req->www_authenticate[0] &&
            lws_add_http_header_by_name(wsi, (const unsigned char *)"www-authenticate:",
                                        (const unsigned char *)req->www_authenticate,
                                        (int)strlen(req->www_authenticate), &p, end))
            return -1;
        if (lws_finalize_write_http_header(wsi, start, &p, end))
            return -1;
        req->headers_sent = 1;
        lws_callback_on_writable(wsi);
        return 0;
    }
    size_t left = req->resp_len - req->resp_off;
    size_t n = left > CHUNK ? CHUNK : left;
    int last = n == left;
    unsigned char *buf = malloc(LWS_PRE + n + 1);
    if (!buf)
        return -1;
    memcpy(buf + LWS_PRE, req->resp + req->resp_off, n);
    int w = lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
    free(buf);
    if (w < (int)n)
        return -1;
    req->resp_off += n;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    req->responding = 0;
    free(req->resp);
    req->resp = NULL;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int sim_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len)
{
    struct sim_req *req = user;

    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        req_begin(req, wsi, in ? (const char *)in : "/", in ? strlen((const char *)in) : 1);
        char cl[32] = "";
        int has_len = lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0;
        int chunked = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
        if (has_len && strtoll(cl, NULL, 10) > SIM_MAX_BODY)
            req->body_too_large = 1;
        if (chunked && req->is_post) {
            /* lws 4.1 does not decode chunked request bodies; say so instead of hanging */
            req->handled = 1;
            sim_respond(req, 411,
                        sim_graph_error_new(100, "OAuthException", "(#100) Length Required",
                                            "Send the body with a Content-Length header"));
            return 0;
        }
        /* Without a body lws sends no BODY callbacks: answer now. */
        if (!req->is_post || req->body_too_large || !has_len || atoll(cl) == 0)
            dispatch(req);
        return 0;
    }
    case LWS_CALLBACK_HTTP_BODY:
        if (req->handled || req->body_too_large)
            return 0;
        if (req->body_len + len > SIM_MAX_BODY) {
            req->body_too_large = 1;
            return 0;
        }
        {
            char *grown = realloc(req->body, req->body_len + len + 1);
            if (!grown)
                return -1;
            req->body = grown;
            memcpy(req->body + req->body_len, in, len);
            req->body_len += len;
            req->body[req->body_len] = '\0';
        }
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (!req->handled)
            dispatch(req);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!req || !req->responding)
            return 0;
        return write_response(req, wsi);
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (req)
            req_free_buffers(req);
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}
