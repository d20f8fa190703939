/*
 * GET /healthz — for load balancers and operators:
 *   {"status":"ok","store":"open","loop":"live","uptime_s":12}
 * 200 when everything is healthy, 503 otherwise (and while stopping).
 */
#include "clock.h"
#include "http.h"
#include "log.h"
#include "routes.h"

#include <jansson.h>

#include <stdlib.h>
#include <string.h>

/* The housekeeping timer runs every ATIVA_SERVER_TICK_MS; ten missed turns mean a stuck loop. */
#define HEALTH_PATH "/healthz"

#define LOOP_STALE_MS (10 * ATIVA_SERVER_TICK_MS)

static int answer(struct lws *wsi, struct ativa_http_reply *reply)
{
    struct ativa_server *srv = ativa_server_from_wsi(wsi);
    int64_t mono = ativa_clock_monotonic_ms();

    const char *store = "none";
    bool store_ok = true;
    if (srv->health.store_state) {
        store = srv->health.store_state(srv->health.store_arg);
        if (!store)
            store = "unknown";
        store_ok = strcmp(store, "open") == 0;
    }
    bool loop_ok = mono - srv->last_tick_mono_ms <= LOOP_STALE_MS;
    const char *status = "ok";
    if (srv->draining)
        status = "stopping";
    else if (!store_ok || !loop_ok)
        status = "unhealthy";

    json_t *doc = json_pack("{s:s, s:s, s:s, s:I}", "status", status, "store", store, "loop",
                            loop_ok ? "live" : "stalled", "uptime_s",
                            (json_int_t)((mono - srv->started_mono_ms) / 1000));
    char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!body)
        return -1;
    unsigned code = strcmp(status, "ok") == 0 ? 200 : 503;
    int rc = ativa_http_reply_start(wsi, reply, code, "application/json", body, strlen(body));
    free(body);
    return rc;
}

static int callback_health(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len)
{
    return ativa_http_get_route(wsi, reason, user, in, len, HEALTH_PATH, answer);
}

const struct ativa_route ativa_health_route = {
    .mountpoint = HEALTH_PATH,
    .protocol = {.name = "ativa-health",
                 .callback = callback_health,
                 .per_session_data_size = sizeof(struct ativa_http_reply)},
};
