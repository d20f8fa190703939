/*
 * gateway/server.h — the gateway's event loop: one lws context, one HTTPS vhost, the routes.
 *
 * Threads: only the thread that calls ativa_server_run() touches lws. Another thread (the store's
 * writer, later) hands work to the loop through its own queue and wakes it with
 * lws_cancel_service(); lws then broadcasts LWS_CALLBACK_EVENT_WAIT_CANCELLED, on the loop thread,
 * to every route's protocol callback, where the owner drains its queue.
 *
 * Routes: each family of URLs lives in one file (http_health.c, webhook.c, ...) and exports one
 * `struct ativa_route`: a mount point and the lws protocol whose callback serves it. Adding a route
 * family is: write the file, declare its route in routes.h, add it to the table in server.c.
 * Everything else under "/" is a static file from console.static_dir.
 *
 * Time: the loop reads the clock at most once per turn. Callbacks call ativa_server_now_ms()
 * and pass that instant to core as `now_ms`; all callbacks of one turn see the same instant.
 */
#ifndef ATIVA_GATEWAY_SERVER_H
#define ATIVA_GATEWAY_SERVER_H

#include "config.h"

#include <libwebsockets.h>

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/** How long, at most, requests already in progress may take to finish once a stop is asked. */
#define ATIVA_SERVER_DRAIN_MS 1000

/** The period of the loop's housekeeping timer (stop flag, liveness). */
#define ATIVA_SERVER_TICK_MS 100

/**
 * Largest socket write of an HTTP connection (lws' tx_packet_size of its HTTP protocol). It must
 * hold a whole HTTP/2 frame carrying a WebSocket fragment (agents.c): 16 KiB and headers.
 */
#define ATIVA_HTTP_TX_PACKET_BYTES 32768

/**
 * What /healthz reports beyond the loop itself. The owner of a component fills its hook once,
 * after ativa_server_init() and before ativa_server_run(); hooks run on the loop thread and must
 * not block.
 */
struct ativa_health {
    /**
     * The store's state: "open" when it accepts reads and writes, anything else (e.g. "closed",
     * "failed") makes /healthz answer 503. NULL while no store is attached: reported as "none",
     * and not counted against health.
     */
    const char *(*store_state)(void *arg);
    void *store_arg;
};

/** A family of routes served by one lws protocol. */
struct ativa_route {
    /**
     * The HTTP path served, e.g. "/healthz" (check the exact path with ativa_http_path_is: lws
     * also routes longer paths below it here). NULL for a WebSocket protocol, which lws picks by
     * its name in Sec-WebSocket-Protocol (e.g. "ativa.v1") rather than by path.
     */
    const char *mountpoint;
    struct lws_protocols protocol; /**< name, callback, per_session_data_size, rx_buffer_size */
};

struct ativa_server;

/**
 * Run once on the loop when a stop is requested, before the drain waits for in-flight requests:
 * the owner tells its long-lived connections to go (the consoles' WebSocket sends `draining` and
 * closes with 1012) and counts them in flight until they are closed.
 */
struct ativa_stop_hook {
    void (*fn)(struct ativa_server *srv, void *arg);
    void *arg;
};

struct ativa_store;
struct ativa_bridge;
struct ativa_outbox;
struct ativa_templates;
struct ativa_expiry;

struct ativa_server {
    const struct ativa_config *cfg; /**< borrowed; outlives the server */
    /**
     * The conversation store, opened and closed by main.c around the server's life and set
     * between ativa_server_init() and ativa_server_run(), like `health`. Route callbacks reach it
     * through ativa_server_from_wsi(wsi)->store. NULL until the store is part of the process.
     */
    struct ativa_store *store;
    struct ativa_bridge *bridge;       /**< store completions back to the loop (bridge.h) */
    struct ativa_outbox *outbox;       /**< sends to the Graph API (outbox.h); NULL until set */
    struct ativa_templates *templates; /**< the approved-template offer (templates.h) */
    struct ativa_expiry *expiry;       /**< window expiry timers (expiry.h) */
    struct lws_context *context;
    struct lws_vhost *vhost;
    struct ativa_health health;
    struct ativa_stop_hook stop_hook; /**< set at start-up, like health */
    /** The vhost's ping policy (console.ping_interval_s / ping_timeout_s); lws points to it. */
    lws_retry_bo_t retry;

    int64_t started_mono_ms;
    int64_t last_tick_mono_ms; /**< when the housekeeping timer last ran: proves the loop turns */

    int64_t now_ms; /**< this turn's instant, valid while now_valid */
    bool now_valid;

    lws_sorted_usec_list_t tick;
    bool draining;
    int64_t drain_deadline_mono_ms;
    unsigned inflight; /**< requests that span callbacks (e.g. a webhook body being read) */
    bool finished;

    /* Storage the lws context points into for its whole life. */
    struct lws_protocols *protocols;
    struct lws_http_mount *mounts;
    size_t n_routes;
};

/**
 * Create the lws context and the HTTPS vhost (TLS 1.2 or newer, HTTP/1.1 and HTTP/2 by ALPN)
 * with every route mounted. Listening starts here: when it returns ATIVA_OK, connections are
 * accepted as soon as ativa_server_run() services them.
 * @param[out] srv zeroed and filled by this call
 * @param[in] cfg a validated configuration; borrowed until ativa_server_destroy
 * @return ATIVA_OK; ATIVA_ERR_NO_MEMORY; ATIVA_ERR_INTERNAL when lws cannot create the context or
 *         the vhost (certificate unreadable, address in use...: lws's own log line says which)
 */
ativa_err ativa_server_init(struct ativa_server *srv, const struct ativa_config *cfg);

/**
 * Run the loop until a stop is requested and in-flight requests are done (or
 * ATIVA_SERVER_DRAIN_MS has passed).
 * @return 0 after a clean stop, -1 when lws failed
 */
int ativa_server_run(struct ativa_server *srv);

/** Destroy the context (closing every connection) and free what init allocated. */
void ativa_server_destroy(struct ativa_server *srv);

/**
 * Ask the loop to stop. Async-signal-safe: it only sets a flag, which the loop's housekeeping
 * timer notices within ATIVA_SERVER_TICK_MS. Usable directly as a signal handler.
 */
void ativa_server_request_stop(int signo);

/** true once a stop has been requested. */
bool ativa_server_stop_requested(void);

/** This turn's instant in ms since the epoch (read from clock.c at most once per turn). */
int64_t ativa_server_now_ms(struct ativa_server *srv);

/** The server a connection belongs to (the context's user pointer). */
struct ativa_server *ativa_server_from_wsi(struct lws *wsi);

/** Count a request that spans several callbacks, so that a stop waits for it (briefly). */
void ativa_server_inflight_begin(struct ativa_server *srv);
void ativa_server_inflight_end(struct ativa_server *srv);

#endif
