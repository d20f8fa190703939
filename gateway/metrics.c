/* Prometheus text exposition: collectors, histograms and the GET /metrics route; see metrics.h. */
#include "metrics.h"

#include "http.h"
#include "routes.h"

#include <ativa/store.h>

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define METRICS_PATH   "/metrics"
#define COLLECTORS_MAX 16

static const double bucket_ms[] = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000};
#define N_BUCKETS (sizeof bucket_ms / sizeof bucket_ms[0])

static const struct {
    const char *name;
    const char *help;
} hist_info[ATIVA_HIST__COUNT] = {
    [ATIVA_HIST_WEBHOOK_ACK] = {"ativa_webhook_ack_ms",
                                "Webhook body received to answer, committed events included"},
    [ATIVA_HIST_REQUEST] = {"ativa_agent_request_ms", "Agent request received to reply queued"},
    [ATIVA_HIST_EVENT_FANOUT] = {"ativa_event_fanout_ms",
                                 "Event committed to queued for every console that sees it"},
    [ATIVA_HIST_GRAPH_SEND] = {"ativa_graph_send_ms", "Graph API send request to answer"},
};

static struct {
    uint64_t buckets[N_BUCKETS + 1]; /* the last one is +Inf */
    uint64_t count;
    double sum;
} hists[ATIVA_HIST__COUNT];

static struct {
    ativa_metrics_collector_fn fn;
    void *arg;
} collectors[COLLECTORS_MAX];
static unsigned n_collectors;

void ativa_metrics_observe(enum ativa_histogram h, double ms)
{
    if ((int)h < 0 || h >= ATIVA_HIST__COUNT)
        return;
    size_t b = 0;
    while (b < N_BUCKETS && ms > bucket_ms[b])
        b++;
    hists[h].buckets[b]++;
    hists[h].count++;
    hists[h].sum += ms;
}

int ativa_metrics_register(ativa_metrics_collector_fn fn, void *arg)
{
    if (n_collectors == COLLECTORS_MAX)
        return -1;
    collectors[n_collectors].fn = fn;
    collectors[n_collectors].arg = arg;
    n_collectors++;
    return 0;
}

static void emit(struct ativa_metrics_out *out, const char *fmt, ...)
{
    if (out->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(out->buf ? out->buf + out->len : NULL, out->buf ? out->cap - out->len : 0,
                          fmt, ap);
        va_end(ap);
        if (n < 0) {
            out->failed = 1;
            return;
        }
        if (out->buf && (size_t)n < out->cap - out->len) {
            out->len += (size_t)n;
            return;
        }
        size_t cap = out->cap ? out->cap * 2 : 8192;
        while (cap < out->len + (size_t)n + 1)
            cap *= 2;
        char *grown = realloc(out->buf, cap);
        if (!grown) {
            out->failed = 1;
            return;
        }
        out->buf = grown;
        out->cap = cap;
    }
}

static void header(struct ativa_metrics_out *out, const char *name, const char *help,
                   const char *type)
{
    emit(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void ativa_metrics_sample(struct ativa_metrics_out *out, const char *name, const char *labels,
                          double value)
{
    if (labels && *labels)
        emit(out, "%s{%s} %.17g\n", name, labels, value);
    else
        emit(out, "%s %.17g\n", name, value);
}

void ativa_metrics_counter(struct ativa_metrics_out *out, const char *name, const char *help,
                           const char *labels, uint64_t value)
{
    header(out, name, help, "counter");
    ativa_metrics_sample(out, name, labels, (double)value);
}

void ativa_metrics_gauge(struct ativa_metrics_out *out, const char *name, const char *help,
                         const char *labels, double value)
{
    header(out, name, help, "gauge");
    ativa_metrics_sample(out, name, labels, value);
}

static void store_metrics(struct ativa_server *srv, struct ativa_metrics_out *out)
{
    ativa_store_stats s;
    if (!srv->store || ativa_store_stats_get(srv->store, &s) != ATIVA_OK)
        return;
    ativa_metrics_gauge(out, "ativa_store_map_bytes", "Bytes of the store's memory map", NULL,
                        (double)s.map_size);
    ativa_metrics_gauge(out, "ativa_store_used_bytes", "Bytes of the store's data file in use",
                        NULL, (double)(s.pages_used * s.page_size));
    ativa_metrics_counter(out, "ativa_store_commits_total",
                          "Store transactions committed since start", NULL, s.batches);
    ativa_metrics_counter(out, "ativa_store_ops_total", "Store writes applied since start", NULL,
                          s.ops);
    ativa_metrics_gauge(out, "ativa_event_log_last_seq", "Sequence number of the last event", NULL,
                        (double)s.last_event_seq);
    header(out, "ativa_store_entries", "Entries per named database", "gauge");
    for (unsigned i = 0; i < s.db_count; i++) {
        char labels[96];
        snprintf(labels, sizeof labels, "db=\"%s\"", s.dbs[i].name);
        ativa_metrics_sample(out, "ativa_store_entries", labels, (double)s.dbs[i].entries);
        if (strcmp(s.dbs[i].name, "outbox") == 0)
            ativa_metrics_gauge(out, "ativa_outbox_depth", "Messages waiting to be sent", NULL,
                                (double)s.dbs[i].entries);
    }
}

void ativa_metrics_render(struct ativa_server *srv, struct ativa_metrics_out *out)
{
    memset(out, 0, sizeof *out);
    store_metrics(srv, out);
    for (unsigned i = 0; i < n_collectors; i++)
        collectors[i].fn(srv, out, collectors[i].arg);
    for (int h = 0; h < ATIVA_HIST__COUNT; h++) {
        header(out, hist_info[h].name, hist_info[h].help, "histogram");
        uint64_t cumulative = 0;
        for (size_t b = 0; b < N_BUCKETS; b++) {
            cumulative += hists[h].buckets[b];
            emit(out, "%s_bucket{le=\"%g\"} %llu\n", hist_info[h].name, bucket_ms[b],
                 (unsigned long long)cumulative);
        }
        cumulative += hists[h].buckets[N_BUCKETS];
        emit(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.17g\n%s_count %llu\n", hist_info[h].name,
             (unsigned long long)cumulative, hist_info[h].name, hists[h].sum, hist_info[h].name,
             (unsigned long long)hists[h].count);
    }
}

/* Scrapes come from the same host; the metrics say a lot about the contact center's traffic. */
static int from_loopback(struct lws *wsi)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd = lws_get_socket_fd(lws_get_network_wsi(wsi));
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss.ss_family == AF_INET6) {
        const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return 0;
}

static int answer(struct lws *wsi, struct ativa_http_reply *reply)
{
    if (!from_loopback(wsi))
        return ativa_http_reply_text(wsi, reply, 403, "metrics are served to loopback only\n");
    struct ativa_metrics_out out;
    ativa_metrics_render(ativa_server_from_wsi(wsi), &out);
    int rc =
        out.failed || out.len > ATIVA_HTTP_REPLY_MAX
            ? ativa_http_reply_text(wsi, reply, 503, "metrics unavailable\n")
            : ativa_http_reply_start(wsi, reply, 200, "text/plain; version=0.0.4; charset=utf-8",
                                     out.buf, out.len);
    free(out.buf);
    return rc;
}

static int callback_metrics(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                            size_t len)
{
    return ativa_http_get_route(wsi, reason, user, in, len, METRICS_PATH, answer);
}

const struct ativa_route ativa_metrics_route = {
    .mountpoint = METRICS_PATH,
    .protocol = {.name = "ativa-metrics",
                 .callback = callback_metrics,
                 .per_session_data_size = sizeof(struct ativa_http_reply)},
};
