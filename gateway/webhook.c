/* /webhooks/whatsapp: Meta's verification handshake and event POSTs; see webhook.h. */
#include "webhook.h"

#include "http.h"
#include "ingest.h"
#include "metrics.h"
#include "clock.h"
#include "log.h"
#include "routes.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define WEBHOOK_PATH "/webhooks/whatsapp"

/* Real signatures are "sha256=" and 64 hex digits; anything much longer is not one. */
#define SIGNATURE_MAX 128
#define HUB_ARG_MAX   (ATIVA_WEBHOOK_CHALLENGE_MAX + 32)

struct webhook_pss {
    struct ativa_http_reply reply;
    char *body;
    size_t len;
    size_t expected; /* Content-Length */
    char signature[SIGNATURE_MAX + 1];
    bool has_signature;
    bool receiving; /* counted in the server's in-flight requests */
    struct lws *wsi;
    struct ativa_ingest *ingest; /* events being committed; the answer waits for them */
    unsigned pending_status;     /* the answer, once they are, sent from WRITEABLE */
    int64_t body_done_mono_ms;   /* for the acknowledgement latency */
    const char *pending_body;
};

static bool challenge_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > ATIVA_WEBHOOK_CHALLENGE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return false;
    }
    return true;
}

/* Compares digests, so the time taken says nothing about the token, not even its length. */
static bool token_equal(const char *given, const char *expected)
{
    unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)given, strlen(given), a);
    SHA256((const unsigned char *)expected, strlen(expected), b);
    return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

const char *ativa_webhook_check_verification(const char *mode, const char *token,
                                             const char *challenge, const char *expected)
{
    if (!mode)
        return "hub.mode missing";
    if (strcmp(mode, "subscribe") != 0)
        return "hub.mode is not subscribe";
    if (!token)
        return "hub.verify_token missing";
    if (!expected || !*expected || !token_equal(token, expected))
        return "hub.verify_token does not match webhook.verify_token";
    if (!challenge)
        return "hub.challenge missing";
    if (!challenge_ok(challenge))
        return "hub.challenge is not 1 to 128 letters or digits";
    return NULL;
}

static int verify(struct lws *wsi, struct webhook_pss *pss)
{
    struct ativa_server *srv = ativa_server_from_wsi(wsi);
    char mode_buf[HUB_ARG_MAX], token_buf[HUB_ARG_MAX], challenge_buf[HUB_ARG_MAX];
    const char *mode = lws_get_urlarg_by_name(wsi, "hub.mode=", mode_buf, sizeof mode_buf);
    const char *token =
        lws_get_urlarg_by_name(wsi, "hub.verify_token=", token_buf, sizeof token_buf);
    const char *challenge =
        lws_get_urlarg_by_name(wsi, "hub.challenge=", challenge_buf, sizeof challenge_buf);

    const char *refused =
        ativa_webhook_check_verification(mode, token, challenge, srv->cfg->webhook_verify_token);
    if (refused) {
        ativa_log_warn("webhook verification refused", "reason=%s", refused);
        return ativa_http_reply_text(wsi, &pss->reply, 403, "forbidden\n");
    }
    ativa_log_info("webhook verified", NULL);
    return ativa_http_reply_text(wsi, &pss->reply, 200, challenge);
}

static void reset(struct ativa_server *srv, struct webhook_pss *pss)
{
    if (pss->ingest) {
        /* The connection goes before its events are committed: they still will be, and Meta,
         * having no answer, delivers them again (changing nothing the second time). */
        ativa_ingest_detach(pss->ingest);
        pss->ingest = NULL;
        ativa_server_inflight_end(srv);
    }
    pss->pending_status = 0;
    pss->pending_body = NULL;
    ativa_http_reply_clear(&pss->reply);
    free(pss->body);
    pss->body = NULL;
    pss->len = pss->expected = 0;
    pss->has_signature = false;
    if (pss->receiving) {
        pss->receiving = false;
        ativa_server_inflight_end(srv);
    }
}

/* Loop thread, after the body's events are committed (or could not be). */
static void events_committed(struct ativa_server *srv, void *owner, unsigned status,
                             const char *body)
{
    struct webhook_pss *pss = owner;
    pss->ingest = NULL;
    ativa_server_inflight_end(srv);
    pss->pending_status = status;
    pss->pending_body = body;
    ativa_metrics_observe(ATIVA_HIST_WEBHOOK_ACK,
                          (double)(ativa_clock_monotonic_ms() - pss->body_done_mono_ms));
    lws_callback_on_writable(pss->wsi);
}

static int answer_post(struct lws *wsi, struct webhook_pss *pss)
{
    struct ativa_server *srv = ativa_server_from_wsi(wsi);
    unsigned status = 500;
    const char *body = "internal error\n";
    struct ativa_ingest *ingest = NULL;

    pss->wsi = wsi;
    pss->body_done_mono_ms = ativa_clock_monotonic_ms();
    ativa_ingest_start(srv, pss->body ? pss->body : "", pss->len,
                       pss->has_signature ? pss->signature : NULL, events_committed, pss, &ingest,
                       &status, &body);
    free(pss->body);
    pss->body = NULL;
    if (ingest) {
        /* Still counted as in flight: a stop waits for the acknowledgement. */
        pss->ingest = ingest;
        pss->receiving = false;
        return 0;
    }
    if (pss->receiving) {
        pss->receiving = false;
        ativa_server_inflight_end(srv);
    }
    return ativa_http_reply_start(wsi, &pss->reply, status, "text/plain; charset=utf-8", body,
                                  strlen(body));
}

static int start_post(struct lws *wsi, struct webhook_pss *pss)
{
    struct ativa_server *srv = ativa_server_from_wsi(wsi);
    size_t max = srv->cfg->webhook_max_body_bytes;
    char cl[32];

    if (ativa_http_is_h2(wsi)) {
        ativa_log_warn("webhook refused", "reason=%s",
                       "HTTP/2 POST: lws cannot read X-Hub-Signature-256 over HTTP/2");
        return ativa_http_reply_text(wsi, &pss->reply, 505, "use HTTP/1.1\n");
    }
    /* Without Content-Length (a chunked body) the size cannot be judged before reading. */
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
        return ativa_http_reply_text(wsi, &pss->reply, 411, "content-length required\n");
    if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
        return ativa_http_reply_text(wsi, &pss->reply, 400, "bad content-length\n");
    char *end = NULL;
    errno = 0;
    unsigned long long declared = strtoull(cl, &end, 10);
    if (errno || *end || cl[0] < '0' || cl[0] > '9')
        return ativa_http_reply_text(wsi, &pss->reply, 400, "bad content-length\n");
    if (declared > max) {
        /* lws discards the unread body once the answer completes the transaction. */
        ativa_log_warn("webhook refused", "reason=%s bytes=%llu max=%zu", "body too large",
                       declared, max);
        return ativa_http_reply_text(wsi, &pss->reply, 413, "too large\n");
    }

    int sl = lws_hdr_custom_length(wsi, "x-hub-signature-256:", 20);
    if (sl >= 0) {
        pss->has_signature = true;
        if (sl > SIGNATURE_MAX || lws_hdr_custom_copy(wsi, pss->signature, sizeof pss->signature,
                                                      "x-hub-signature-256:", 20) < 0)
            pss->signature[0] = '\0';
    }
    if (declared == 0) /* no body means no BODY callbacks at all */
        return answer_post(wsi, pss);

    pss->expected = (size_t)declared;
    pss->body = malloc(pss->expected);
    if (!pss->body)
        return ativa_http_reply_text(wsi, &pss->reply, 503, "out of memory\n");
    pss->receiving = true;
    ativa_server_inflight_begin(srv);
    return 0;
}

static int callback_webhook(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                            size_t len)
{
    struct webhook_pss *pss = user;

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return 1; /* HTTP only: no WebSocket by this protocol's name */
    case LWS_CALLBACK_HTTP:
        reset(ativa_server_from_wsi(wsi), pss);
        if (!ativa_http_path_is(wsi, WEBHOOK_PATH))
            return ativa_http_reply_text(wsi, &pss->reply, 404, "not found\n");
        switch (ativa_http_method(wsi)) {
        case ATIVA_HTTP_GET:
            return verify(wsi, pss);
        case ATIVA_HTTP_POST:
            return start_post(wsi, pss);
        default:
            return ativa_http_reply_text(wsi, &pss->reply, 405, "use GET or POST\n");
        }

    case LWS_CALLBACK_HTTP_BODY:
        if (!pss->receiving)
            return 0; /* a body being discarded after an early answer */
        if (len > pss->expected - pss->len) {
            /* More than Content-Length announced: never buffer beyond it. */
            ativa_log_warn("webhook refused", "reason=%s", "body longer than content-length");
            return -1;
        }
        memcpy(pss->body + pss->len, in, len);
        pss->len += len;
        return 0;

    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (!pss->receiving)
            return 0;
        return answer_post(wsi, pss);

    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (pss->pending_status) {
            unsigned status = pss->pending_status;
            const char *body = pss->pending_body;
            pss->pending_status = 0;
            return ativa_http_reply_start(wsi, &pss->reply, status, "text/plain; charset=utf-8",
                                          body, strlen(body));
        }
        return ativa_http_reply_writeable(wsi, &pss->reply);

    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (pss)
            reset(ativa_server_from_wsi(wsi), pss);
        return 0;

    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

const struct ativa_route ativa_webhook_route = {
    .mountpoint = WEBHOOK_PATH,
    .protocol = {.name = "ativa-webhook",
                 .callback = callback_webhook,
                 .per_session_data_size = sizeof(struct webhook_pss)},
};
