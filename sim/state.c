#include "sim.h"

#include <stdlib.h>
#include <string.h>

#define WINDOW_MS   (24LL * 3600 * 1000)
#define MAX_WINDOWS 100000

const struct sim_line *sim_line_find(const struct sim *sim, const char *phone_number_id)
{
    for (size_t i = 0; i < sim->cfg.nlines; i++)
        if (!strcmp(sim->cfg.lines[i].phone_number_id, phone_number_id))
            return &sim->cfg.lines[i];
    return NULL;
}

const struct sim_line *sim_line_find_any(const struct sim *sim, const char *key)
{
    const struct sim_line *l = sim_line_find(sim, key);
    if (l)
        return l;
    char *d = sim_digits_new(key);
    for (size_t i = 0; d && *d && !l && i < sim->cfg.nlines; i++) {
        char *dd = sim_digits_new(sim->cfg.lines[i].display_phone_number);
        if (dd && !strcmp(dd, d))
            l = &sim->cfg.lines[i];
        free(dd);
    }
    free(d);
    return l;
}

struct sim_waba *sim_waba_find(const struct sim *sim, const char *waba_id)
{
    for (size_t i = 0; i < sim->cfg.nwabas; i++)
        if (!strcmp(sim->cfg.wabas[i].waba_id, waba_id))
            return &sim->cfg.wabas[i];
    return NULL;
}

const struct sim_customer *sim_customer_find(const struct sim *sim, const char *digits)
{
    for (size_t i = 0; i < sim->cfg.ncustomers; i++) {
        const struct sim_customer *c = &sim->cfg.customers[i];
        if (!strcmp(c->number, digits) || !strcmp(c->wa_id, digits))
            return c;
    }
    return NULL;
}

void sim_windows_free(struct sim *sim)
{
    for (size_t i = 0; i < sim->nwindows; i++) {
        free(sim->windows[i].line);
        free(sim->windows[i].wa_id);
    }
    free(sim->windows);
    sim->windows = NULL;
    sim->nwindows = 0;
}

static struct sim_window *window_find(const struct sim *sim, const char *line, const char *wa_id)
{
    for (size_t i = 0; i < sim->nwindows; i++)
        if (!strcmp(sim->windows[i].line, line) && !strcmp(sim->windows[i].wa_id, wa_id))
            return &sim->windows[i];
    return NULL;
}

static int window_set(struct sim *sim, const char *line, const char *wa_id, int64_t at_ms)
{
    struct sim_window *w = window_find(sim, line, wa_id);
    if (w) {
        if (at_ms > w->last_inbound_ms)
            w->last_inbound_ms = at_ms;
        return 0;
    }
    if (sim->nwindows >= MAX_WINDOWS)
        return -1;
    struct sim_window *grown = realloc(sim->windows, (sim->nwindows + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    sim->windows = grown;
    w = &sim->windows[sim->nwindows];
    w->line = strdup(line);
    w->wa_id = strdup(wa_id);
    w->last_inbound_ms = at_ms;
    if (!w->line || !w->wa_id) {
        free(w->line);
        free(w->wa_id);
        return -1;
    }
    sim->nwindows++;
    return 0;
}

int sim_windows_reset(struct sim *sim, int64_t now_ms)
{
    sim_windows_free(sim);
    for (size_t i = 0; i < sim->cfg.ncustomers; i++) {
        const struct sim_customer *c = &sim->cfg.customers[i];
        if (!c->has_last_inbound)
            continue;
        int64_t at = now_ms - (int64_t)c->last_inbound_ago_s * 1000;
        for (size_t j = 0; j < sim->cfg.nlines; j++) {
            const char *line = sim->cfg.lines[j].phone_number_id;
            if (c->line && strcmp(c->line, line))
                continue;
            if (window_set(sim, line, c->wa_id, at))
                return -1;
        }
    }
    return 0;
}

int sim_window_touch(struct sim *sim, const char *line, const char *wa_id, int64_t now_ms)
{
    return window_set(sim, line, wa_id, now_ms);
}

int sim_window_is_open(const struct sim *sim, const char *line, const char *wa_id, int64_t now_ms)
{
    const struct sim_window *w = window_find(sim, line, wa_id);
    return w && now_ms - w->last_inbound_ms < WINDOW_MS;
}

void sim_log_append(json_t *log, json_t *entry)
{
    json_array_append_new(log, entry);
    while (json_array_size(log) > SIM_MAX_LOG)
        json_array_remove(log, 0);
}

void sim_reset(struct sim *sim)
{
    for (size_t i = 0; i < sim->cfg.nwabas; i++) {
        struct sim_waba *w = &sim->cfg.wabas[i];
        json_t *copy = json_deep_copy(w->initial);
        if (copy) {
            json_decref(w->catalog);
            w->catalog = copy;
        }
    }
    sim_windows_reset(sim, sim_now_ms());
    sim->fail_mode = SIM_FAIL_NONE;
    sim->fail_count = 0;
    sim->fail_status = 0;
    sim->fail_delay_ms = 0;
    sim->out_of_order_count = 0;
    json_array_clear(sim->request_log);
    json_array_clear(sim->webhook_log);
    free(sim->last_webhook_body);
    sim->last_webhook_body = NULL;
    sim_webhook_cancel_pending(sim);
}
