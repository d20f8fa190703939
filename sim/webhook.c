/* Signed webhook delivery: an HTTPS client that POSTs each payload to the configured URL and
 * retries with backoff on anything but 200, as Meta does (bounded here). */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BACKOFF_MS 60000

struct sim_hook {
    struct sim_hook *next;
    struct sim *sim;
    lws_sorted_usec_list_t sul;
    int scheduled; /* the sul is pending */
    struct lws *wsi;
    char *body;
    size_t len;
    size_t written;
    char signature[80];
    int attempts;
    int http_status;
    int outcome_done; /* this attempt's result was recorded */
    int cancelled;
    int connecting; /* inside lws_client_connect_via_info(): results wait for it */
    int deferred;   /* a result arrived while connecting */
    int deferred_status;
    char deferred_error[128];
    json_t *log; /* own reference to the webhook log entry */
};

int sim_webhook_init(struct sim *sim)
{
    const char *url = sim->cfg.webhook_url;
    const char *prot = NULL, *ads = NULL, *path = NULL;
    int port = 0;
    if (!url) {
        fprintf(stderr, "ativa-meta-sim: no webhook_url configured: webhooks are logged only\n");
        return 0;
    }
    if (strlen(url) >= sizeof(sim->hook_buf) / 2) {
        fprintf(stderr, "ativa-meta-sim: config: key \"webhook_url\" is too long\n");
        return -1;
    }
    snprintf(sim->hook_buf, sizeof(sim->hook_buf), "%s", url);
    if (lws_parse_uri(sim->hook_buf, &prot, &ads, &port, &path) || !*ads ||
        (strcmp(prot, "https") && strcmp(prot, "http"))) {
        fprintf(stderr,
                "ativa-meta-sim: config: key \"webhook_url\" must be https://host[:port]/path\n");
        return -1;
    }
    sim->hook_scheme = prot;
    sim->hook_host = ads;
    sim->hook_port = port;
    /* lws_parse_uri drops the leading slash of the path */
    size_t used = strlen(url) + 2;
    char *p = sim->hook_buf + used;
    snprintf(p, sizeof(sim->hook_buf) - used, "/%s", path);
    sim->hook_path = p;
    int defport = !strcmp(prot, "https") ? 443 : 80;
    if (port == defport)
        snprintf(sim->hook_host_header, sizeof(sim->hook_host_header), "%s", ads);
    else
        snprintf(sim->hook_host_header, sizeof(sim->hook_host_header), "%s:%d", ads, port);
    return 0;
}

json_t *sim_envelope_new(const struct sim_line *line, json_t **value)
{
    char *display = sim_digits_new(line->display_phone_number);
    json_t *v = json_pack("{s:s, s:{s:s, s:s}}", "messaging_product", "whatsapp", "metadata",
                          "display_phone_number", display ? display : "", "phone_number_id",
                          line->phone_number_id);
    free(display);
    if (!v)
        return NULL;
    *value = v;
    return json_pack("{s:s, s:[{s:s, s:[{s:o, s:s}]}]}", "object", "whatsapp_business_account",
                     "entry", "id", line->waba_id, "changes", "value", v, "field", "messages");
}

static void hook_unlink_free(struct sim_hook *h)
{
    struct sim *sim = h->sim;
    for (struct sim_hook **pp = &sim->hooks; *pp; pp = &(*pp)->next) {
        if (*pp == h) {
            *pp = h->next;
            sim->nhooks--;
            break;
        }
    }
    json_decref(h->log);
    free(h->body);
    free(h);
}

static void log_state(struct sim_hook *h, const char *state)
{
    json_object_set_new(h->log, "state", json_string(state));
    json_object_set_new(h->log, "attempts", json_integer(h->attempts));
}

static void attempt(lws_sorted_usec_list_t *sul);

static void outcome(struct sim_hook *h, struct lws *wsi, int status, const char *error)
{
    struct sim *sim = h->sim;
    if (h->outcome_done)
        return;
    h->outcome_done = 1;
    if (wsi)
        lws_set_opaque_user_data(wsi, NULL);
    h->wsi = NULL;
    if (h->connecting) {
        /* lws reported synchronously; attempt() applies it once the connect call returns */
        h->deferred = 1;
        h->deferred_status = status;
        snprintf(h->deferred_error, sizeof(h->deferred_error), "%s", error ? error : "");
        return;
    }
    json_object_set_new(h->log, "last_status", status ? json_integer(status) : json_null());
    if (error)
        json_object_set_new(h->log, "last_error", json_string(error));
    if (status == 200) {
        log_state(h, "delivered");
        json_object_set_new(h->log, "delivered_ms", json_integer(sim_now_ms()));
        hook_unlink_free(h);
        return;
    }
    if (h->cancelled || h->attempts >= sim->cfg.webhook_max_attempts) {
        log_state(h, h->cancelled ? "cancelled" : "failed");
        fprintf(stderr, "ativa-meta-sim: webhook %lld given up after %d attempt(s) (%s)\n",
                (long long)json_integer_value(json_object_get(h->log, "seq")), h->attempts,
                error ? error : "non-200 answer");
        hook_unlink_free(h);
        return;
    }
    long long backoff = (long long)sim->cfg.webhook_retry_ms << (h->attempts - 1);
    if (backoff > MAX_BACKOFF_MS)
        backoff = MAX_BACKOFF_MS;
    log_state(h, "retrying");
    h->scheduled = 1;
    lws_sul_schedule(sim->context, 0, &h->sul, attempt, (lws_usec_t)backoff * 1000);
}

static void attempt(lws_sorted_usec_list_t *sul)
{
    struct sim_hook *h = lws_container_of(sul, struct sim_hook, sul);
    struct sim *sim = h->sim;
    h->scheduled = 0;
    h->attempts++;
    h->outcome_done = 0;
    h->written = 0;
    h->http_status = 0;
    if (!sim->hook_host) {
        h->attempts = sim->cfg.webhook_max_attempts;
        outcome(h, NULL, 0, "no webhook_url configured");
        return;
    }
    log_state(h, "delivering");
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof(i));
    i.context = sim->context;
    i.vhost = sim->client_vhost;
    i.address = sim->hook_host;
    i.port = sim->hook_port;
    i.ssl_connection = !strcmp(sim->hook_scheme, "https") ? LCCSCF_USE_SSL : 0;
    i.path = sim->hook_path;
    i.host = sim->hook_host_header;
    i.origin = sim->hook_host_header;
    i.method = "POST";
    i.protocol = "ativa-sim-webhook";
    i.alpn = "http/1.1";
    i.opaque_user_data = h;
    h->connecting = 1;
    struct lws *wsi = lws_client_connect_via_info(&i);
    h->connecting = 0;
    if (h->deferred) {
        h->deferred = 0;
        h->outcome_done = 0;
        outcome(h, NULL, h->deferred_status, h->deferred_error[0] ? h->deferred_error : NULL);
    } else if (!wsi) {
        outcome(h, NULL, 0, "connect failed");
    } else {
        h->wsi = wsi;
    }
}

int sim_webhook_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    struct sim_hook *h = lws_get_opaque_user_data(wsi);

    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (h)
            outcome(h, wsi, 0, in ? (const char *)in : "connection error");
        return 0;
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        if (!h)
            return -1;
        unsigned char **p = (unsigned char **)in, *end = (*p) + len;
        static const char ct[] = "application/json";
        static const char ua[] = "facebookexternalua";
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                         (const unsigned char *)ct, (int)strlen(ct), p, end) ||
            lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_USER_AGENT, (const unsigned char *)ua,
                                         (int)strlen(ua), p, end) ||
            lws_add_http_header_content_length(wsi, h->len, p, end) ||
            lws_add_http_header_by_name(wsi, (const unsigned char *)"x-hub-signature-256:",
                                        (const unsigned char *)h->signature,
                                        (int)strlen(h->signature), p, end))
            return -1;
        lws_client_http_body_pending(wsi, 1);
        lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE: {
        if (!h || h->written >= h->len)
            return 0;
        size_t n = h->len - h->written;
        if (n > 16384)
            n = 16384;
        int last = h->written + n == h->len;
        unsigned char *buf = malloc(LWS_PRE + n);
        if (!buf)
            return -1;
        memcpy(buf + LWS_PRE, h->body + h->written, n);
        int w = lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
        free(buf);
        if (w < (int)n)
            return -1;
        h->written += n;
        if (last)
            lws_client_http_body_pending(wsi, 0);
        else
            lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        if (h)
            h->http_status = (int)lws_http_client_http_response(wsi);
        return 0;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buffer[1024 + LWS_PRE];
        char *px = buffer + LWS_PRE;
        int lenx = (int)sizeof(buffer) - LWS_PRE;
        if (lws_http_client_read(wsi, &px, &lenx) < 0)
            return -1;
        return 0;
    }
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        return 0; /* the gateway's answer body carries nothing Meta reads */
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        if (h)
            outcome(h, wsi, h->http_status, h->http_status == 200 ? NULL : "non-200 answer");
        return 0;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        if (h)
            outcome(h, wsi, h->http_status == 200 ? 200 : 0, "closed before an answer");
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static long long schedule_body(struct sim *sim, char *body, int delay_ms, const char *kind)
{
    if (sim->nhooks >= SIM_MAX_PENDING) {
        fprintf(stderr, "ativa-meta-sim: too many pending webhooks; dropping one (%s)\n", kind);
        free(body);
        return -1;
    }
    struct sim_hook *h = calloc(1, sizeof(*h));
    if (!h) {
        free(body);
        return -1;
    }
    h->sim = sim;
    h->body = body;
    h->len = strlen(body);
    sim_sign(sim->cfg.app_secret, body, h->len, h->signature);
    long long seq = ++sim->webhook_seq;
    h->log =
        json_pack("{s:I, s:s, s:s, s:i, s:n, s:I, s:s, s:s}", "seq", (json_int_t)seq, "kind", kind,
                  "state", "scheduled", "attempts", 0, "last_status", "due_ms",
                  (json_int_t)(sim_now_ms() + delay_ms), "signature", h->signature, "body", body);
    if (!h->log) {
        free(h->body);
        free(h);
        return -1;
    }
    sim_log_append(sim->webhook_log, json_incref(h->log));
    free(sim->last_webhook_body);
    sim->last_webhook_body = strdup(body);
    h->next = sim->hooks;
    sim->hooks = h;
    sim->nhooks++;
    h->scheduled = 1;
    lws_sul_schedule(sim->context, 0, &h->sul, attempt, (lws_usec_t)delay_ms * 1000);
    return seq;
}

long long sim_webhook_schedule(struct sim *sim, json_t *payload, int delay_ms, const char *kind)
{
    char *body = payload ? sim_json_dump_new(payload) : NULL;
    json_decref(payload);
    if (!body)
        return -1;
    return schedule_body(sim, body, delay_ms, kind);
}

long long sim_webhook_schedule_raw(struct sim *sim, const char *body, int delay_ms,
                                   const char *kind)
{
    char *copy = strdup(body);
    return copy ? schedule_body(sim, copy, delay_ms, kind) : -1;
}

void sim_webhook_cancel_pending(struct sim *sim)
{
    struct sim_hook *h = sim->hooks;
    while (h) {
        struct sim_hook *next = h->next;
        h->cancelled = 1;
        if (h->scheduled) {
            lws_sul_cancel(&h->sul);
            hook_unlink_free(h);
        }
        h = next;
    }
}

void sim_webhook_free_all(struct sim *sim)
{
    while (sim->hooks) {
        struct sim_hook *h = sim->hooks;
        sim->hooks = h->next;
        json_decref(h->log);
        free(h->body);
        free(h);
    }
    sim->nhooks = 0;
}
