/*
 * gateway/metrics.h — GET /metrics in Prometheus' text format (version 0.0.4).
 *
 * Each part of the gateway that has something to count registers a collector at start-up; a
 * scrape calls every collector, on the loop thread, to write its lines. Latencies are kept in
 * fixed-bucket histograms (milliseconds) observed where the work happens.
 * /metrics answers only to the loopback interface: put a scraper on the same host (or a proxy).
 */
#ifndef ATIVA_GATEWAY_METRICS_H
#define ATIVA_GATEWAY_METRICS_H

#include "server.h"

#include <stddef.h>
#include <stdint.h>

/** Text being built for one scrape. */
struct ativa_metrics_out {
    char *buf;
    size_t len, cap;
    int failed; /* out of memory */
};

/** A counter or gauge line, with its HELP and TYPE. `labels` may be NULL or e.g.
 * "outcome=\"sent\"". */
void ativa_metrics_counter(struct ativa_metrics_out *out, const char *name, const char *help,
                           const char *labels, uint64_t value);
void ativa_metrics_gauge(struct ativa_metrics_out *out, const char *name, const char *help,
                         const char *labels, double value);
/** Only the sample line (for a second label set of a metric already introduced). */
void ativa_metrics_sample(struct ativa_metrics_out *out, const char *name, const char *labels,
                          double value);

typedef void (*ativa_metrics_collector_fn)(struct ativa_server *srv, struct ativa_metrics_out *out,
                                           void *arg);

/** Register a collector (start-up only). @return 0 or -1 when full. */
int ativa_metrics_register(ativa_metrics_collector_fn fn, void *arg);

/** Latency histograms, in milliseconds. */
enum ativa_histogram {
    ATIVA_HIST_WEBHOOK_ACK = 0, /**< webhook body complete -> answer (includes the commit) */
    ATIVA_HIST_REQUEST,         /**< agent request received -> reply queued */
    ATIVA_HIST_EVENT_FANOUT,    /**< event committed -> queued to every console */
    ATIVA_HIST_GRAPH_SEND,      /**< Graph API send -> answer */
    ATIVA_HIST__COUNT
};

void ativa_metrics_observe(enum ativa_histogram h, double ms);

/** The whole scrape (every collector, then the histograms). Caller frees out->buf. */
void ativa_metrics_render(struct ativa_server *srv, struct ativa_metrics_out *out);

#endif
