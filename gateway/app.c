/* Start-up and shut-down of the store, the bridge and what depends on them; see app.h. */
#include "app.h"

#include "agents.h"
#include "auth_http.h"
#include "bridge.h"
#include "expiry.h"
#include "ingest.h"
#include "metrics.h"
#include "templates.h"
#include "log.h"
#include "outbox.h"

#include <ativa/store.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

static const char *store_state(void *arg)
{
    struct ativa_server *srv = arg;
    return srv->store ? "open" : "closed";
}

/* The lines of the configuration are the lines of the store: written at every start, so that a
 * label or number changed in the file takes effect. */
static ativa_err put_lines(struct ativa_server *srv)
{
    for (size_t i = 0; i < srv->cfg->n_lines; i++) {
        const struct ativa_config_line *l = &srv->cfg->lines[i];
        ativa_store_op op;
        memset(&op, 0, sizeof op);
        op.kind = ATIVA_STORE_PUT_LINE;
        op.in.line.phone_number_id = l->phone_number_id;
        op.in.line.display_number = l->display_number;
        op.in.line.waba_id = l->waba_id;
        op.in.line.label = l->label;
        ativa_err err = ativa_store_execute(srv->store, &op);
        if (err) {
            ativa_log_error("cannot record a line", "phone_number_id=%s error=%s",
                            l->phone_number_id, ativa_err_code(err));
            return err;
        }
    }
    return ATIVA_OK;
}

static void gateway_metrics(struct ativa_server *srv, struct ativa_metrics_out *out, void *arg)
{
    (void)arg;
    const struct ativa_ingest_stats *w = ativa_ingest_stats();
    ativa_metrics_counter(out, "ativa_webhooks_total", "Webhook bodies by answer",
                          "result=\"accepted\"", w->accepted);
    ativa_metrics_sample(out, "ativa_webhooks_total", "result=\"refused\"", (double)w->refused);
    ativa_metrics_sample(out, "ativa_webhooks_total", "result=\"store_failed\"", (double)w->failed);
    ativa_metrics_counter(out, "ativa_webhook_events_total", "Webhook events by outcome",
                          "kind=\"message\"", w->messages);
    ativa_metrics_sample(out, "ativa_webhook_events_total", "kind=\"status\"", (double)w->statuses);
    ativa_metrics_sample(out, "ativa_webhook_events_total", "kind=\"duplicate\"",
                         (double)w->duplicates);
    ativa_metrics_sample(out, "ativa_webhook_events_total", "kind=\"unknown_line\"",
                         (double)w->unknown_lines);
    ativa_metrics_gauge(out, "ativa_console_connections", "Consoles connected", NULL,
                        (double)ativa_agents_connections());
    ativa_metrics_counter(out, "ativa_events_pushed_total", "Event frames queued to consoles", NULL,
                          ativa_agents_events_pushed());
    ativa_metrics_counter(out, "ativa_consoles_dropped_total",
                          "Consoles disconnected for not keeping up", "reason=\"too_slow\"",
                          ativa_agents_dropped_slow());
    ativa_metrics_gauge(out, "ativa_expiry_timers", "Open conversations with a pending expiry",
                        NULL, (double)ativa_expiry_pending(srv));
    ativa_templates_stats t;
    ativa_templates_stats_get(srv, &t);
    ativa_metrics_gauge(out, "ativa_templates", "Templates known", NULL, (double)t.total);
    ativa_metrics_counter(out, "ativa_template_syncs_total", "Template syncs by result",
                          "result=\"ok\"", t.syncs_ok);
    ativa_metrics_sample(out, "ativa_template_syncs_total", "result=\"failed\"",
                         (double)t.syncs_failed);
    struct ativa_outbox_counters o;
    ativa_outbox_counters_get(srv, &o);
    ativa_metrics_counter(out, "ativa_sends_total", "Graph API sends by outcome",
                          "outcome=\"attempted\"", o.sent);
    ativa_metrics_sample(out, "ativa_sends_total", "outcome=\"accepted\"", (double)o.accepted);
    ativa_metrics_sample(out, "ativa_sends_total", "outcome=\"retried\"", (double)o.retried);
    ativa_metrics_sample(out, "ativa_sends_total", "outcome=\"failed\"", (double)o.failed);
    ativa_metrics_sample(out, "ativa_sends_total", "outcome=\"unknown\"", (double)o.unknown);
    ativa_metrics_gauge(out, "ativa_sends_in_flight", "Graph API sends under way", NULL,
                        (double)o.in_flight);
    ativa_metrics_gauge(out, "ativa_store_writes_pending",
                        "Store writes submitted and not yet completed", NULL,
                        (double)ativa_bridge_pending(srv->bridge));
}

ativa_err ativa_app_start(struct ativa_server *srv)
{
    /* The data is the contact center's conversations: readable by this user only. */
    if (mkdir(srv->cfg->data_dir, 0700) != 0 && errno != EEXIST) {
        ativa_log_error("cannot create data_dir", "data_dir=%s reason=%s", srv->cfg->data_dir,
                        strerror(errno));
        return ATIVA_ERR_STORE_IO;
    }
    ativa_store_config sc = ativa_store_config_default(srv->cfg->data_dir);
    ativa_store *store = NULL;
    ativa_err err = ativa_store_open(&sc, &store);
    if (err) {
        ativa_log_error("cannot open the store", "data_dir=%s error=%s reason=%s hint=%s",
                        srv->cfg->data_dir, ativa_err_code(err), ativa_strerror(err),
                        "check data_dir: it must be a writable directory of this gateway's");
        return err;
    }
    srv->store = store;

    srv->bridge = calloc(1, sizeof *srv->bridge);
    if (!srv->bridge || ativa_bridge_init(srv->bridge, srv->context)) {
        free(srv->bridge);
        srv->bridge = NULL;
        return ATIVA_ERR_NO_MEMORY;
    }
    if ((err = put_lines(srv)))
        return err;

    srv->health.store_state = store_state;
    srv->health.store_arg = srv;
    uint64_t last_seq = 0;
    ativa_store_last_event_seq(store, &last_seq);
    ativa_log_info("store open", "data_dir=%s lines=%zu last_event_seq=%llu", srv->cfg->data_dir,
                   srv->cfg->n_lines, (unsigned long long)last_seq);

    /* Templates: the stored offer at once, then the file or the first Graph API sync. */
    if ((err = ativa_templates_start(srv)))
        return err;
    /* Window expiries of the open conversations, re-armed from the store. */
    if ((err = ativa_expiry_start(srv)))
        return err;
    /* The outbox: recovers what a crash left half-sent, then sends what is queued. */
    if ((err = ativa_outbox_start(srv)))
        return err;
    /* The consoles: live events from here on, and the login worker. */
    if ((err = ativa_agents_start(srv)))
        return err;
    if ((err = ativa_auth_start(srv)))
        return err;
    ativa_metrics_register(gateway_metrics, NULL);
    return ATIVA_OK;
}

void ativa_app_stop(struct ativa_server *srv)
{
    /* Before the store closes: their last writes (outcomes, withdrawn sends) are still
     * accepted. */
    ativa_auth_stop(srv);
    ativa_outbox_stop(srv);
    ativa_expiry_stop(srv);
    ativa_templates_stop(srv);
    if (srv->store) {
        /* Applies what was accepted; completions queue up in the bridge. */
        ativa_store_close(srv->store);
        srv->store = NULL;
        ativa_bridge_drain(srv);
    }
    if (srv->bridge) {
        ativa_bridge_destroy(srv->bridge);
        free(srv->bridge);
        srv->bridge = NULL;
    }
}
