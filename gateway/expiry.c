/* Window expiry timers: a heap of (instant, conversation) and one lws timer; see expiry.h. */
#include "expiry.h"

#include "bridge.h"
#include "log.h"

#include <ativa/store.h>
#include <ativa/window.h>

#include <stdlib.h>
#include <string.h>

struct due {
    int64_t at_ms;
    uint64_t conv;
};

/* The current instant of each conversation, so that outdated heap entries (the window moved
 * when the customer wrote again) are skipped instead of committing a useless ADVANCE. */
struct slot {
    uint64_t conv; /* 0 = empty */
    int64_t at_ms;
};

struct advance_job {
    struct ativa_job job;
};

struct ativa_expiry {
    struct ativa_server *srv;
    struct due *heap;
    size_t n, cap;
    struct slot *slots;
    size_t n_slots, slot_cap; /* power of two */
    lws_sorted_usec_list_t sul;
    int64_t armed_ms;
    uint64_t last_seq; /* events read so far */
};

static struct ativa_expiry *expiry_of(const struct ativa_server *srv);

/* ---- conversation -> instant map (open addressing, tombstone-free: rebuilt on removal) ---- */

static struct slot *slot_find(struct ativa_expiry *e, uint64_t conv)
{
    size_t mask = e->slot_cap - 1, i = (size_t)(conv * 11400714819323198485ull) & mask;
    while (e->slots[i].conv && e->slots[i].conv != conv)
        i = (i + 1) & mask;
    return &e->slots[i];
}

static int slots_grow(struct ativa_expiry *e)
{
    size_t cap = e->slot_cap ? e->slot_cap * 2 : 64;
    struct slot *old = e->slots;
    size_t old_cap = e->slot_cap;
    e->slots = calloc(cap, sizeof *e->slots);
    if (!e->slots) {
        e->slots = old;
        return -1;
    }
    e->slot_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].conv)
            *slot_find(e, old[i].conv) = old[i];
    free(old);
    return 0;
}

static int slot_set(struct ativa_expiry *e, uint64_t conv, int64_t at_ms)
{
    if ((e->n_slots + 1) * 4 > e->slot_cap * 3 && slots_grow(e))
        return -1;
    struct slot *s = slot_find(e, conv);
    if (!s->conv) {
        s->conv = conv;
        e->n_slots++;
    }
    s->at_ms = at_ms;
    return 0;
}

/* ---- heap ---- */

static void heap_swap(struct due *a, struct due *b)
{
    struct due t = *a;
    *a = *b;
    *b = t;
}

static int heap_push(struct ativa_expiry *e, int64_t at_ms, uint64_t conv)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 64;
        struct due *h = realloc(e->heap, cap * sizeof *h);
        if (!h)
            return -1;
        e->heap = h;
        e->cap = cap;
    }
    size_t i = e->n++;
    e->heap[i] = (struct due){at_ms, conv};
    while (i && e->heap[(i - 1) / 2].at_ms > e->heap[i].at_ms) {
        heap_swap(&e->heap[(i - 1) / 2], &e->heap[i]);
        i = (i - 1) / 2;
    }
    return 0;
}

static struct due heap_pop(struct ativa_expiry *e)
{
    struct due top = e->heap[0];
    e->heap[0] = e->heap[--e->n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < e->n && e->heap[l].at_ms < e->heap[m].at_ms)
            m = l;
        if (r < e->n && e->heap[r].at_ms < e->heap[m].at_ms)
            m = r;
        if (m == i)
            break;
        heap_swap(&e->heap[i], &e->heap[m]);
        i = m;
    }
    return top;
}

/* ---- timer ---- */

static void on_timer(lws_sorted_usec_list_t *sul);

static void arm(struct ativa_expiry *e)
{
    /* Drop outdated entries at the top so that the timer is armed for a real change. */
    while (e->n) {
        struct slot *s = slot_find(e, e->heap[0].conv);
        if (s->conv && s->at_ms == e->heap[0].at_ms)
            break;
        heap_pop(e);
    }
    if (!e->n) {
        lws_sul_cancel(&e->sul);
        e->armed_ms = ATIVA_NEVER;
        return;
    }
    int64_t now = ativa_server_now_ms(e->srv);
    int64_t wait_ms = e->heap[0].at_ms - now;
    e->armed_ms = e->heap[0].at_ms;
    lws_sul_schedule(e->srv->context, 0, &e->sul, on_timer,
                     (lws_usec_t)(wait_ms > 0 ? wait_ms : 0) * 1000);
}

static void advance_done(struct ativa_server *srv, struct ativa_job *job)
{
    struct advance_job *a = lws_container_of(job, struct advance_job, job);
    if (job->op.result)
        ativa_log_warn("expiry not applied", "conversation=%llu error=%s",
                       (unsigned long long)job->op.in.conv.conv, ativa_err_code(job->op.result));
    free(a);
    (void)srv;
}

static void on_timer(lws_sorted_usec_list_t *sul)
{
    struct ativa_expiry *e = lws_container_of(sul, struct ativa_expiry, sul);
    /* The timer is the clock here: a turn's cached instant may predate it. */
    int64_t now = ativa_server_now_ms(e->srv);
    if (e->armed_ms != ATIVA_NEVER && now < e->armed_ms)
        now = e->armed_ms;
    while (e->n && e->heap[0].at_ms <= now) {
        struct due d = heap_pop(e);
        struct slot *s = slot_find(e, d.conv);
        if (!s->conv || s->at_ms != d.at_ms)
            continue;           /* outdated */
        s->at_ms = ATIVA_NEVER; /* the ADVANCE's event sets the next one, if any */
        struct advance_job *a = calloc(1, sizeof *a);
        if (!a)
            continue;
        a->job.op.kind = ATIVA_STORE_ADVANCE;
        a->job.op.in.conv.conv = d.conv;
        a->job.op.in.conv.now_ms = d.at_ms;
        a->job.done = advance_done;
        if (ativa_bridge_submit(e->srv, &a->job) != ATIVA_OK)
            free(a);
    }
    arm(e);
}

static void track(struct ativa_expiry *e, uint64_t conv, int64_t at_ms)
{
    if (at_ms == ATIVA_NEVER || at_ms <= 0) {
        struct slot *s = slot_find(e, conv);
        if (s->conv)
            s->at_ms = ATIVA_NEVER;
        return;
    }
    if (slot_set(e, conv, at_ms) == 0)
        heap_push(e, at_ms, conv);
}

/* A conversation record with its view: when does it next change by itself? */
static void track_record(struct ativa_expiry *e, const json_t *record)
{
    uint64_t id = (uint64_t)json_integer_value(json_object_get(record, "id"));
    json_t *with_view = NULL;
    const json_t *view = json_object_get(record, "view");
    if (!view) {
        with_view = ativa_store_conv_with_view_new(record, ativa_server_now_ms(e->srv));
        view = json_object_get(with_view, "view");
    }
    json_t *next = json_object_get(view, "next_change_ms");
    if (id)
        track(e, id, json_is_integer(next) ? json_integer_value(next) : ATIVA_NEVER);
    json_decref(with_view);
}

/* After commits: conversation events carry the new next change. */
static void on_commit(struct ativa_server *srv, void *arg)
{
    struct ativa_expiry *e = arg;
    for (;;) {
        json_t *events = NULL;
        if (ativa_store_events_after(srv->store, e->last_seq, 1000, &events) != ATIVA_OK) {
            json_decref(events);
            break;
        }
        size_t n = json_array_size(events), i;
        json_t *ev;
        json_array_foreach(events, i, ev)
        {
            e->last_seq = (uint64_t)json_integer_value(json_object_get(ev, "seq"));
            const char *type = json_string_value(json_object_get(ev, "type"));
            if (type && strcmp(type, "conversation") == 0)
                track_record(e, json_object_get(ev, "data"));
        }
        json_decref(events);
        if (n < 1000)
            break;
    }
    arm(e);
}

ativa_err ativa_expiry_start(struct ativa_server *srv)
{
    struct ativa_expiry *e = calloc(1, sizeof *e);
    if (!e || slots_grow(e)) {
        free(e);
        return ATIVA_ERR_NO_MEMORY;
    }
    e->srv = srv;
    e->armed_ms = ATIVA_NEVER;
    json_t *open = NULL;
    ativa_err err = ativa_store_last_event_seq(srv->store, &e->last_seq);
    if (!err)
        err = ativa_store_list_open_conversations(srv->store, &open);
    if (err) {
        free(e->slots);
        free(e);
        return err;
    }
    size_t i;
    json_t *conv;
    json_array_foreach(open, i, conv) track_record(e, conv);
    json_decref(open);
    srv->expiry = e;
    ativa_bridge_listen(srv->bridge, on_commit, e);
    arm(e);
    ativa_log_info("expiry timers restored", "conversations=%zu next_ms=%lld", e->n_slots,
                   (long long)e->armed_ms);
    return ATIVA_OK;
}

void ativa_expiry_stop(struct ativa_server *srv)
{
    struct ativa_expiry *e = expiry_of(srv);
    if (!e)
        return;
    lws_sul_cancel(&e->sul);
    free(e->heap);
    free(e->slots);
    free(e);
    srv->expiry = NULL;
}

static struct ativa_expiry *expiry_of(const struct ativa_server *srv)
{
    return srv ? srv->expiry : NULL;
}

size_t ativa_expiry_pending(const struct ativa_server *srv)
{
    const struct ativa_expiry *e = expiry_of(srv);
    size_t n = 0;
    if (e)
        for (size_t i = 0; i < e->slot_cap; i++)
            n += e->slots[i].conv && e->slots[i].at_ms != ATIVA_NEVER;
    return n;
}

int64_t ativa_expiry_next_ms(const struct ativa_server *srv)
{
    const struct ativa_expiry *e = expiry_of(srv);
    return e ? e->armed_ms : ATIVA_NEVER;
}
