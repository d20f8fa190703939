/*
 * gateway/outbox.c — see outbox.h.
 *
 * A `struct send` is one attempt at one outbox entry. It is created when the pacer lets the entry
 * leave, lives in ob->sends (which is also the in-flight set, by outbox id) and goes through
 *   MARKING    OUTBOX_SENDING submitted; the request starts only once it is committed
 *   POSTING    the Graph request is under way
 *   RECORDING  the outcome (ACCEPTED, RETRY or FAILED) is submitted
 * and is freed when nothing refers to it any more: no store job pending and no request under way.
 * Everything runs on the loop thread.
 */
#include "outbox.h"

#include "bridge.h"
#include "graph_client.h"
#include "log.h"

#include <ativa/meta.h>
#include <ativa/pacing.h>
#include <ativa/store.h>

#include <openssl/rand.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest customer number kept (the store keeps wa_ids of at most 15 digits). */
#define TO_MAX 64

enum send_phase { PHASE_MARKING, PHASE_POSTING, PHASE_RECORDING };

struct ativa_outbox;

struct send {
    struct ativa_outbox *ob;
    struct send *next;
    uint64_t id;
    unsigned attempts; /* including this one */
    enum send_phase phase;
    unsigned jobs; /* store jobs submitted and not completed */
    bool posting;  /* a Graph request is under way */
    char line[ATIVA_STORE_ID_MAX + 1];
    char to[TO_MAX];
    char *body;
    size_t body_len;

    struct ativa_job job;  /* SENDING, then the outcome */
    struct ativa_job undo; /* RETRY when the gateway stops between SENDING and the request */

    /* The outcome's inputs: the job borrows them until it completes. */
    int http_status;
    long long code;
    char wamid[ATIVA_WAMID_MAX];
    char wa_id[sizeof((ativa_meta_send_result *)0)->wa_id];
    char title[ATIVA_META_FIELD_MAX];
    char details[ATIVA_META_FIELD_MAX];
    char text_pt[ATIVA_STORE_ERRTEXT_MAX];
};

struct ativa_outbox {
    struct ativa_server *srv;
    graph_client *client;
    ativa_pacer *pacer;
    struct send *sends;
    struct ativa_job recover;
    bool recover_pending;
    bool ready;                  /* OUTBOX_RECOVER committed: sending may begin */
    bool stopping;               /* ativa_outbox_stop was called */
    bool in_stop;                /* inside ativa_outbox_stop: not freed under its feet */
    lws_sorted_usec_list_t wake; /* the next due or paced instant */
    lws_sorted_usec_list_t poll;
    int64_t last_now_ms;
    struct ativa_outbox_counters counters;
};

static void pump(struct ativa_outbox *ob);

/* The loop's instant, never going back: callbacks of one turn may see an instant read before
 * lws waited, and the pacer's buckets must not run backwards. */
static int64_t now_ms(struct ativa_outbox *ob)
{
    int64_t now = ativa_server_now_ms(ob->srv);
    if (now < ob->last_now_ms)
        now = ob->last_now_ms;
    ob->last_now_ms = now;
    return now;
}

static uint32_t random_u32(void)
{
    uint32_t r;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
        r = (uint32_t)rand(); /* jitter only: any spread is better than none */
    return r;
}

/* The outbox is freed when stopped and no send is left: the last store completion does it. */
static void maybe_free_outbox(struct ativa_outbox *ob)
{
    if (!ob->stopping || ob->in_stop || ob->sends || ob->recover_pending)
        return;
    if (ob->srv->outbox == ob)
        ob->srv->outbox = NULL;
    ativa_pacer_free(ob->pacer);
    free(ob);
}

static void unlink_send(struct send *s)
{
    struct ativa_outbox *ob = s->ob;
    for (struct send **pp = &ob->sends; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            ob->counters.in_flight--;
            break;
        }
    }
}

/* Release a send nothing refers to any more. */
static void release(struct send *s)
{
    if (s->jobs || s->posting)
        return;
    struct ativa_outbox *ob = s->ob;
    unlink_send(s);
    free(s->body);
    free(s);
    maybe_free_outbox(ob);
}

static const char *phase_name(enum send_phase p)
{
    switch (p) {
    case PHASE_MARKING:
        return "marking";
    case PHASE_POSTING:
        return "posting";
    default:
        return "recording";
    }
}

/* ---- outcomes ---- */

static void on_recorded(struct ativa_server *srv, struct ativa_job *job)
{
    struct send *s = lws_container_of(job, struct send, job);
    struct ativa_outbox *ob = s->ob;
    s->jobs--;
    const ativa_store_op *op = &job->op;
    if (op->result != ATIVA_OK) {
        /* The entry stays as it was (`sending`): at the next start it becomes UNKNOWN. */
        ativa_log_error("outbox outcome not stored", "outbox=%llu line=%s attempts=%u error=%s",
                        (unsigned long long)s->id, s->line, s->attempts,
                        ativa_err_code(op->result));
    } else if (op->kind == ATIVA_STORE_OUTBOX_ACCEPTED) {
        ob->counters.accepted++;
        ativa_log_info("outbox accepted", "outbox=%llu line=%s attempts=%u http_status=%d wamid=%s",
                       (unsigned long long)s->id, s->line, s->attempts, s->http_status, s->wamid);
    } else if (op->kind == ATIVA_STORE_OUTBOX_RETRY) {
        ob->counters.retried++;
        ativa_log_warn("outbox retry",
                       "outbox=%llu line=%s attempts=%u http_status=%d code=%lld "
                       "delay_ms=%lld reason=%s",
                       (unsigned long long)s->id, s->line, s->attempts, s->http_status, s->code,
                       (long long)(op->in.outbox.next_attempt_ms - op->in.outbox.now_ms), s->title);
    } else {
        ob->counters.failed++;
        if (s->code == 0 && s->http_status >= 200 && s->http_status <= 299)
            ob->counters.unknown++;
        ativa_log_warn("outbox failed",
                       "outbox=%llu line=%s attempts=%u http_status=%d code=%lld "
                       "reason=%s",
                       (unsigned long long)s->id, s->line, s->attempts, s->http_status, s->code,
                       s->title);
    }
    (void)srv;
    release(s);
}

static void record(struct send *s, ativa_store_op_kind kind, int64_t next_attempt_ms)
{
    struct ativa_outbox *ob = s->ob;
    s->phase = PHASE_RECORDING;
    memset(&s->job, 0, sizeof s->job);
    ativa_store_op *op = &s->job.op;
    op->kind = kind;
    op->in.outbox.id = s->id;
    op->in.outbox.now_ms = now_ms(ob);
    op->in.outbox.next_attempt_ms = next_attempt_ms;
    if (kind == ATIVA_STORE_OUTBOX_ACCEPTED) {
        op->in.outbox.wamid = s->wamid;
        op->in.outbox.wa_id = s->wa_id[0] ? s->wa_id : NULL;
    } else {
        op->in.outbox.error.code = (int)s->code;
        op->in.outbox.error.title = s->title[0] ? s->title : NULL;
        op->in.outbox.error.details = s->details[0] ? s->details : NULL;
        op->in.outbox.error.text_pt = s->text_pt[0] ? s->text_pt : NULL;
    }
    s->job.done = on_recorded;
    ativa_err err = ativa_bridge_submit(ob->srv, &s->job);
    if (err) {
        ativa_log_error("outbox outcome not stored", "outbox=%llu line=%s attempts=%u error=%s",
                        (unsigned long long)s->id, s->line, s->attempts, ativa_err_code(err));
        return;
    }
    s->jobs++;
}

/* A transient failure: queue the entry again, or give up after the last attempt. */
static void retry_or_give_up(struct send *s)
{
    if (s->attempts >= ATIVA_OUTBOX_MAX_ATTEMPTS) {
        snprintf(s->text_pt, sizeof s->text_pt,
                 "Não foi possível enviar a mensagem: o WhatsApp não respondeu com sucesso em %u "
                 "tentativas. Tente enviar de novo mais tarde.",
                 s->attempts);
        record(s, ATIVA_STORE_OUTBOX_FAILED, 0);
        return;
    }
    int64_t delay = ativa_backoff_ms(s->attempts, ATIVA_OUTBOX_BACKOFF_BASE_MS,
                                     ATIVA_OUTBOX_BACKOFF_MAX_MS, random_u32());
    if (s->code == 131056) {
        /* Meta's advice for the pair limit: wait 4^X seconds (X = retries so far), and never
         * less than the pair's own interval. */
        int64_t advice = 1000;
        for (unsigned i = 1; i < s->attempts && advice < ATIVA_OUTBOX_BACKOFF_MAX_MS; i++)
            advice *= 4;
        if (advice > ATIVA_OUTBOX_BACKOFF_MAX_MS)
            advice = ATIVA_OUTBOX_BACKOFF_MAX_MS;
        if (advice < ATIVA_PACE_PAIR_INTERVAL_MS)
            advice = ATIVA_PACE_PAIR_INTERVAL_MS;
        if (delay < advice)
            delay = advice;
    }
    record(s, ATIVA_STORE_OUTBOX_RETRY, now_ms(s->ob) + delay);
}

static bool is_wa_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 15)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static void on_answered(struct send *s, const graph_response *r)
{
    s->http_status = r->http_status;
    if (r->http_status >= 200 && r->http_status <= 299) {
        ativa_meta_send_result res;
        if (ativa_meta_send_response_parse(r->body, r->body_len, &res) == ATIVA_OK) {
            snprintf(s->wamid, sizeof s->wamid, "%s", res.wamid);
            if (is_wa_id(res.wa_id))
                snprintf(s->wa_id, sizeof s->wa_id, "%s", res.wa_id);
            record(s, ATIVA_STORE_OUTBOX_ACCEPTED, 0);
            return;
        }
        /*
         * A success without a message id: Meta most likely has the message, but we cannot tell
         * and have no wamid to follow it by. Sending again could deliver it twice, so this is
         * final and the agent's reason says the outcome is unknown (code 0: not Meta's).
         */
        s->code = 0;
        snprintf(s->title, sizeof s->title, "HTTP %d answer without a message id", r->http_status);
        snprintf(s->text_pt, sizeof s->text_pt,
                 "O WhatsApp respondeu sem confirmar o envio: a mensagem pode ter chegado ao "
                 "cliente. Confira com o cliente antes de enviar de novo.");
        record(s, ATIVA_STORE_OUTBOX_FAILED, 0);
        return;
    }
    ativa_meta_graph_error ge;
    bool parsed = ativa_meta_graph_error_parse(r->body, r->body_len, &ge) == ATIVA_OK;
    s->code = parsed ? ge.code : 0;
    if (parsed) {
        snprintf(s->title, sizeof s->title, "%s", ge.message[0] ? ge.message : "Graph API error");
        snprintf(s->details, sizeof s->details, "%s", ge.details);
    } else {
        snprintf(s->title, sizeof s->title, "HTTP %d without a Graph API error", r->http_status);
    }
    bool retryable = parsed ? ativa_meta_error_retryable(r->http_status, s->code)
                            : ativa_meta_http_status_retryable(r->http_status);
    if (retryable) {
        retry_or_give_up(s);
        return;
    }
    if (parsed) {
        ativa_meta_error_describe_pt(s->code, s->text_pt, sizeof s->text_pt);
    } else {
        snprintf(s->text_pt, sizeof s->text_pt,
                 "O WhatsApp recusou a mensagem (HTTP %d); avise o administrador.", r->http_status);
    }
    record(s, ATIVA_STORE_OUTBOX_FAILED, 0);
}

static void on_response(void *user, const graph_response *r)
{
    struct send *s = user;
    struct ativa_outbox *ob = s->ob;
    s->posting = false;
    if (ob->stopping) {
        /* The entry stays `sending`: UNKNOWN at the next start, as Meta may have it. */
        ativa_log_warn("outbox stopped during a request",
                       "outbox=%llu line=%s attempts=%u written=%d", (unsigned long long)s->id,
                       s->line, s->attempts, r->request_written ? 1 : 0);
        release(s);
        return;
    }
    switch (r->outcome) {
    case GRAPH_ANSWERED:
        on_answered(s, r);
        break;
    case GRAPH_CONNECT_FAILED:
        /* Nothing left: safe to retry. */
        snprintf(s->title, sizeof s->title, "%s", r->detail);
        retry_or_give_up(s);
        break;
    case GRAPH_TIMED_OUT:
    case GRAPH_BROKEN:
    default:
        /*
         * Retried, as transient failures are. If the body had been written, Meta may have
         * accepted the message before the answer was lost, and the retry can deliver it twice:
         * the price of not leaving messages unsent on a slow or broken connection (see
         * docs/operations.md). A crash in the same spot does not retry: see outbox.h.
         */
        snprintf(s->title, sizeof s->title, "%s%s", r->detail,
                 r->request_written ? " (request written)" : "");
        retry_or_give_up(s);
        break;
    }
    release(s);
}

/* ---- starting a send ---- */

static void post(struct send *s)
{
    struct ativa_outbox *ob = s->ob;
    const struct ativa_config *cfg = ob->srv->cfg;
    char path[sizeof s->line + 64];
    snprintf(path, sizeof path, "/%s/%s/messages", cfg->graph_version, s->line);
    s->phase = PHASE_POSTING;
    s->posting = true;
    if (graph_client_request(ob->client, "POST", path, s->body, s->body_len, on_response, s) != 0) {
        s->posting = false;
        snprintf(s->title, sizeof s->title, "the request could not be started");
        retry_or_give_up(s);
        return;
    }
    ob->counters.sent++;
    ativa_log_debug("outbox request", "outbox=%llu line=%s attempts=%u bytes=%zu",
                    (unsigned long long)s->id, s->line, s->attempts, s->body_len);
}

static void on_marked(struct ativa_server *srv, struct ativa_job *job)
{
    struct send *s = lws_container_of(job, struct send, job);
    struct ativa_outbox *ob = s->ob;
    (void)srv;
    s->jobs--;
    if (job->op.result != ATIVA_OK) {
        /* E.g. ATIVA_ERR_DUPLICATE: the entry is no longer queued (taken care of elsewhere). */
        ativa_log_warn("outbox entry not marked sending", "outbox=%llu line=%s error=%s",
                       (unsigned long long)s->id, s->line, ativa_err_code(job->op.result));
    } else if (!ob->stopping) {
        post(s);
    }
    release(s);
}

static void on_undone(struct ativa_server *srv, struct ativa_job *job)
{
    struct send *s = lws_container_of(job, struct send, undo);
    (void)srv;
    s->jobs--;
    if (job->op.result != ATIVA_OK)
        ativa_log_error("outbox entry not queued again", "outbox=%llu line=%s error=%s",
                        (unsigned long long)s->id, s->line, ativa_err_code(job->op.result));
    release(s);
}

static struct send *find_send(struct ativa_outbox *ob, uint64_t id)
{
    for (struct send *s = ob->sends; s; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

static bool pair_in_flight(struct ativa_outbox *ob, const char *line, const char *to)
{
    for (struct send *s = ob->sends; s; s = s->next)
        if (strcmp(s->line, line) == 0 && strcmp(s->to, to) == 0)
            return true;
    return false;
}

/* Is an older entry to the same customer in this listing (queued, due or not)? */
static bool older_queued(json_t *list, uint64_t id, const char *line, const char *to)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *l = json_string_value(json_object_get(e, "line"));
        const char *t = json_string_value(json_object_get(e, "to"));
        uint64_t other = (uint64_t)json_integer_value(json_object_get(e, "id"));
        if (other < id && l && t && strcmp(l, line) == 0 && strcmp(t, to) == 0)
            return true;
    }
    return false;
}

static void start_send(struct ativa_outbox *ob, uint64_t id, const char *line, const char *to,
                       const char *body, unsigned attempts_before)
{
    struct send *s = calloc(1, sizeof *s);
    if (!s || !(s->body = strdup(body))) {
        free(s);
        ativa_log_error("outbox out of memory", "outbox=%llu", (unsigned long long)id);
        return;
    }
    s->ob = ob;
    s->id = id;
    s->attempts = attempts_before + 1;
    s->body_len = strlen(body);
    snprintf(s->line, sizeof s->line, "%s", line);
    snprintf(s->to, sizeof s->to, "%s", to);
    s->phase = PHASE_MARKING;
    s->job.op.kind = ATIVA_STORE_OUTBOX_SENDING;
    s->job.op.in.outbox.id = id;
    s->job.op.in.outbox.now_ms = now_ms(ob);
    s->job.done = on_marked;
    ativa_err err = ativa_bridge_submit(ob->srv, &s->job);
    if (err) {
        ativa_log_error("outbox entry not marked sending", "outbox=%llu line=%s error=%s",
                        (unsigned long long)id, line, ativa_err_code(err));
        free(s->body);
        free(s);
        return;
    }
    s->jobs = 1;
    s->next = ob->sends;
    ob->sends = s;
    ob->counters.in_flight++;
}

/* ---- the pump ---- */

static void on_wake(lws_sorted_usec_list_t *sul)
{
    struct ativa_outbox *ob = lws_container_of(sul, struct ativa_outbox, wake);
    pump(ob);
}

static void on_poll(lws_sorted_usec_list_t *sul)
{
    struct ativa_outbox *ob = lws_container_of(sul, struct ativa_outbox, poll);
    ativa_pacer_sweep(ob->pacer, now_ms(ob));
    pump(ob);
    lws_sul_schedule(ob->srv->context, 0, &ob->poll, on_poll,
                     (lws_usec_t)ATIVA_OUTBOX_POLL_MS * 1000);
}

static void arm_wake(struct ativa_outbox *ob, int64_t at_ms, int64_t now)
{
    lws_sul_cancel(&ob->wake);
    if (at_ms <= 0)
        return;
    int64_t delay_ms = at_ms > now ? at_ms - now : 1;
    lws_sul_schedule(ob->srv->context, 0, &ob->wake, on_wake, (lws_usec_t)delay_ms * 1000);
}

static void pump(struct ativa_outbox *ob)
{
    if (!ob->ready || ob->stopping || ativa_server_stop_requested() || !ob->srv->store)
        return;
    if (ob->counters.in_flight >= ATIVA_OUTBOX_MAX_IN_FLIGHT)
        return; /* each completion pumps again */
    int64_t now = now_ms(ob);
    json_t *list = NULL;
    /* Not-yet-due entries too: the first of them sets the timer, and an older entry to a
     * customer holds the newer ones back even while it waits for its retry. */
    ativa_err err =
        ativa_store_list_due_outbox(ob->srv->store, INT64_MAX, ATIVA_OUTBOX_BATCH, &list);
    if (err) {
        ativa_log_error("outbox cannot read the store", "error=%s", ativa_err_code(err));
        return;
    }
    int64_t wake_at = 0;
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (ob->counters.in_flight >= ATIVA_OUTBOX_MAX_IN_FLIGHT)
            break;
        uint64_t id = (uint64_t)json_integer_value(json_object_get(e, "id"));
        const char *line = json_string_value(json_object_get(e, "line"));
        const char *to = json_string_value(json_object_get(e, "to"));
        const char *body = json_string_value(json_object_get(e, "body"));
        int64_t due = json_integer_value(json_object_get(e, "next_attempt_ms"));
        json_int_t attempts = json_integer_value(json_object_get(e, "attempts"));
        if (due > now) {
            /* Sorted by due time: the rest are later still. */
            if (!wake_at || due < wake_at)
                wake_at = due;
            break;
        }
        if (!id || !line || !to || !body || strlen(line) > ATIVA_STORE_ID_MAX ||
            strlen(to) >= TO_MAX || attempts < 0) {
            ativa_log_error("outbox entry unreadable", "outbox=%llu", (unsigned long long)id);
            continue;
        }
        if (find_send(ob, id) || pair_in_flight(ob, line, to) || older_queued(list, id, line, to))
            continue;
        int64_t retry_at = 0;
        err = ativa_pacer_acquire(ob->pacer, line, to, now, &retry_at);
        if (err == ATIVA_ERR_RATE_LIMITED) {
            if (!wake_at || retry_at < wake_at)
                wake_at = retry_at;
            continue;
        }
        if (err) {
            ativa_log_error("outbox pacer refused", "outbox=%llu line=%s error=%s",
                            (unsigned long long)id, line, ativa_err_code(err));
            continue;
        }
        start_send(ob, id, line, to, body, (unsigned)attempts);
    }
    json_decref(list);
    arm_wake(ob, wake_at, now);
}

static void on_commit(struct ativa_server *srv, void *arg)
{
    (void)arg;
    if (srv->outbox)
        pump(srv->outbox);
}

static void on_recovered(struct ativa_server *srv, struct ativa_job *job)
{
    struct ativa_outbox *ob = lws_container_of(job, struct ativa_outbox, recover);
    (void)srv;
    ob->recover_pending = false;
    if (job->op.result != ATIVA_OK) {
        /* Sending before the leftovers are marked could send them twice: stay idle. */
        ativa_log_error("outbox recovery failed; nothing will be sent", "error=%s hint=%s",
                        ativa_err_code(job->op.result),
                        "check the store's health and restart the gateway");
        maybe_free_outbox(ob);
        return;
    }
    ob->counters.unknown += job->op.out.count;
    if (job->op.out.count)
        ativa_log_warn("outbox recovered messages of unknown outcome", "count=%u hint=%s",
                       job->op.out.count,
                       "they were being sent when the gateway stopped; agents decide whether to "
                       "send them again");
    else
        ativa_log_info("outbox ready", "max_per_second=%u timeout_ms=%u",
                       ob->srv->cfg->graph_max_per_second, ob->srv->cfg->graph_timeout_ms);
    if (ob->stopping) {
        maybe_free_outbox(ob);
        return;
    }
    ob->ready = true;
    pump(ob);
}

ativa_err ativa_outbox_start(struct ativa_server *srv)
{
    const struct ativa_config *cfg = srv->cfg;
    struct ativa_outbox *ob = NULL;
    ativa_err err;
    char errbuf[256] = "";

    if (!srv->store || !srv->bridge || !srv->context)
        return ATIVA_ERR_INVALID_ARGUMENT;
    ob = calloc(1, sizeof *ob);
    if (!ob)
        return ATIVA_ERR_NO_MEMORY;
    ob->srv = srv;
    ob->pacer = ativa_pacer_new((double)cfg->graph_max_per_second, ATIVA_PACE_PAIR_INTERVAL_MS,
                                ATIVA_PACE_PAIR_BURST);
    if (!ob->pacer) {
        err = ATIVA_ERR_NO_MEMORY;
        goto fail;
    }
    ob->client = graph_client_new(srv->context, srv->vhost, cfg->graph_base_url, cfg->graph_token,
                                  (int)cfg->graph_timeout_ms, errbuf, sizeof errbuf);
    if (!ob->client) {
        ativa_log_error("cannot create the Graph API client", "reason=%s", errbuf);
        err = ATIVA_ERR_INVALID_ARGUMENT;
        goto fail;
    }
    if (ativa_bridge_listen(srv->bridge, on_commit, NULL) != 0) {
        err = ATIVA_ERR_INTERNAL;
        goto fail;
    }
    ob->recover.op.kind = ATIVA_STORE_OUTBOX_RECOVER;
    ob->recover.op.in.outbox.now_ms = now_ms(ob);
    ob->recover.done = on_recovered;
    if ((err = ativa_bridge_submit(srv, &ob->recover)) != ATIVA_OK) {
        ativa_log_error("cannot start the outbox", "error=%s", ativa_err_code(err));
        goto fail;
    }
    ob->recover_pending = true;
    srv->outbox = ob;
    lws_sul_schedule(srv->context, 0, &ob->poll, on_poll, (lws_usec_t)ATIVA_OUTBOX_POLL_MS * 1000);
    return ATIVA_OK;

fail:
    graph_client_destroy(ob->client);
    ativa_pacer_free(ob->pacer);
    free(ob);
    return err;
}

void ativa_outbox_stop(struct ativa_server *srv)
{
    struct ativa_outbox *ob = srv->outbox;
    if (!ob || ob->stopping)
        return;
    ob->stopping = true;
    ob->in_stop = true;
    lws_sul_cancel(&ob->wake);
    lws_sul_cancel(&ob->poll);
    ativa_log_info(
        "outbox stopping",
        "in_flight=%u sent=%llu accepted=%llu retried=%llu "
        "failed=%llu unknown=%llu",
        ob->counters.in_flight, (unsigned long long)ob->counters.sent,
        (unsigned long long)ob->counters.accepted, (unsigned long long)ob->counters.retried,
        (unsigned long long)ob->counters.failed, (unsigned long long)ob->counters.unknown);
    /* Entries being marked `sending` have not left: the store applies operations in order, so
     * a RETRY submitted now puts them back in the queue right after. */
    for (struct send *s = ob->sends; s; s = s->next) {
        if (s->phase != PHASE_MARKING)
            continue;
        memset(&s->undo, 0, sizeof s->undo);
        s->undo.op.kind = ATIVA_STORE_OUTBOX_RETRY;
        s->undo.op.in.outbox.id = s->id;
        s->undo.op.in.outbox.now_ms = now_ms(ob);
        s->undo.op.in.outbox.next_attempt_ms = s->undo.op.in.outbox.now_ms;
        s->undo.op.in.outbox.error.title = "not sent: the gateway stopped";
        s->undo.done = on_undone;
        if (ativa_bridge_submit(srv, &s->undo) == ATIVA_OK)
            s->jobs++;
        ativa_log_debug("outbox send withdrawn", "outbox=%llu phase=%s", (unsigned long long)s->id,
                        phase_name(s->phase));
    }
    /* Runs on_response (GRAPH_BROKEN) for every request under way, which releases its send. */
    graph_client *client = ob->client;
    ob->client = NULL;
    graph_client_destroy(client);
    ob->in_stop = false;
    maybe_free_outbox(ob);
}

void ativa_outbox_counters_get(const struct ativa_server *srv, struct ativa_outbox_counters *out)
{
    memset(out, 0, sizeof *out);
    if (srv && srv->outbox)
        *out = srv->outbox->counters;
}
