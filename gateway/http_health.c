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

struct health_pss {
    struct ativa_http_reply reply;
};

static int answer(struct lws *wsi, struct health_pss *pss)
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
    int rc = ativa_http_reply_start(wsi, &pss->reply, code, "application/json", body, strlen(body));
    free(body);
    return rc;
}

static int callback_health(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len)
{
    struct health_pss *pss = user;

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return 1; /* HTTP only: no WebSocket by this protocol's name */
    case LWS_CALLBACK_HTTP:
        ativa_http_reply_clear(&pss->reply);
        if (!ativa_http_path_is(wsi, HEALTH_PATH))
            return ativa_http_reply_text(wsi, &pss->reply, 404, "not found\n");
        if (ativa_http_method(wsi) != ATIVA_HTTP_GET)
            return ativa_http_reply_text(wsi, &pss->reply, 405, "use GET\n");
        return answer(wsi, pss);

    case LWS_CALLBACK_HTTP_BODY:
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        /* A body sent to /healthz is ignored (lws discards it once the answer completes). */
        return 0;

    case LWS_CALLBACK_HTTP_WRITEABLE:
        return ativa_http_reply_writeable(wsi, &pss->reply);

    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (pss)
            ativa_http_reply_clear(&pss->reply);
        return 0;

    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

const struct ativa_route ativa_health_route = {
    .mountpoint = HEALTH_PATH,
    .protocol = {.name = "ativa-health",
                 .callback = callback_health,
                 .per_session_data_size = sizeof(struct health_pss)},
};
