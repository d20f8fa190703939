/* Webhook bodies into store writes, answered after the commit; see ingest.h. */
#include "ingest.h"

#include "bridge.h"
#include "log.h"
#include "templates.h"

#include <ativa/meta.h>
#include <ativa/store.h>

#include <stdlib.h>
#include <string.h>

struct ingest_job {
    struct ativa_job job;
    struct ativa_ingest *owner;
    char text_pt[256]; /* the failure reason a status carries, kept alive until the commit */
};

struct ativa_ingest {
    ativa_meta_batch *batch; /* the ops borrow its strings until they are committed */
    struct ingest_job *jobs;
    size_t n_jobs, outstanding;
    bool store_failed;
    ativa_ingest_answer_fn answer;
    void *owner;
    bool detached;
};

static struct ativa_ingest_stats stats;

const struct ativa_ingest_stats *ativa_ingest_stats(void)
{
    return &stats;
}

static bool line_known(const struct ativa_server *srv, const char *phone_number_id)
{
    for (size_t i = 0; i < srv->cfg->n_lines; i++)
        if (strcmp(srv->cfg->lines[i].phone_number_id, phone_number_id) == 0)
            return true;
    return false;
}

static void finish(struct ativa_server *srv, struct ativa_ingest *in)
{
    if (!in->detached) {
        if (in->store_failed)
            in->answer(srv, in->owner, 503, "store unavailable, retry\n");
        else
            in->answer(srv, in->owner, 200, "ok\n");
    }
    if (in->store_failed)
        stats.failed++;
    else
        stats.accepted++;
    ativa_meta_batch_free(in->batch);
    free(in->jobs);
    free(in);
}

/* A redelivery, an older status, or a message for a conversation that is gone are answered 200:
 * Meta must not deliver them again. Only a failure to write asks Meta to retry. */
static bool must_retry(ativa_err err)
{
    return err == ATIVA_ERR_STORE_IO || err == ATIVA_ERR_STORE_CLOSED ||
           err == ATIVA_ERR_NO_MEMORY || err == ATIVA_ERR_INTERNAL;
}

static void job_done(struct ativa_server *srv, struct ativa_job *job)
{
    struct ingest_job *ij = lws_container_of(job, struct ingest_job, job);
    struct ativa_ingest *in = ij->owner;
    ativa_err err = job->op.result;
    bool is_message = job->op.kind == ATIVA_STORE_RECORD_INBOUND;

    if (err == ATIVA_OK)
        is_message ? stats.messages++ : stats.statuses++;
    else if (err == ATIVA_ERR_DUPLICATE || err == ATIVA_ERR_STATUS_STALE)
        stats.duplicates++;
    if (must_retry(err)) {
        in->store_failed = true;
        ativa_log_error("webhook event not stored", "kind=%s error=%s",
                        is_message ? "message" : "status", ativa_err_code(err));
    } else if (err && err != ATIVA_ERR_DUPLICATE && err != ATIVA_ERR_STATUS_STALE) {
        /* Refused for good (e.g. a status for a message this gateway never sent): logged,
         * acknowledged, never retried. */
        ativa_log_warn("webhook event ignored", "kind=%s error=%s wamid=%s",
                       is_message ? "message" : "status", ativa_err_code(err),
                       is_message ? job->op.in.inbound.wamid : job->op.in.status.wamid);
    }
    if (--in->outstanding == 0)
        finish(srv, in);
}

/* A template status change was committed (the offer itself changed at once). */
static void template_done(struct ativa_server *srv, void *arg, ativa_err err)
{
    struct ativa_ingest *in = arg;
    if (must_retry(err)) {
        in->store_failed = true;
        ativa_log_error("webhook event not stored", "kind=template error=%s", ativa_err_code(err));
    }
    if (--in->outstanding == 0)
        finish(srv, in);
}

static void prepare_message(struct ativa_server *srv, struct ingest_job *ij,
                            const ativa_meta_inbound *m, int64_t now_ms)
{
    ativa_store_in_inbound *in = &ij->job.op.in.inbound;
    ij->job.op.kind = ATIVA_STORE_RECORD_INBOUND;
    in->line = m->phone_number_id;
    in->from = m->from;
    in->profile_name = m->profile_name;
    in->wamid = m->wamid;
    in->ts_ms = m->timestamp_ms;
    in->kind = m->kind;
    in->text = m->text;
    in->now_ms = now_ms;
    in->window_ms = srv->cfg->window_ms;
}

static void prepare_status(struct ingest_job *ij, const ativa_meta_status *s, int64_t now_ms)
{
    ativa_store_in_status *in = &ij->job.op.in.status;
    ij->job.op.kind = ATIVA_STORE_APPLY_STATUS;
    in->wamid = s->wamid;
    in->status = s->status;
    in->ts_ms = s->timestamp_ms;
    in->now_ms = now_ms;
    if (s->status == ATIVA_STATUS_FAILED) {
        in->error.code = (int)s->error.code;
        in->error.title = s->error.title;
        in->error.details = s->error.details;
        in->error.text_pt =
            ativa_meta_error_describe_pt(s->error.code, ij->text_pt, sizeof ij->text_pt);
    }
}

void ativa_ingest_start(struct ativa_server *srv, const char *raw, size_t len,
                        const char *signature, ativa_ingest_answer_fn answer, void *owner,
                        struct ativa_ingest **out, unsigned *status, const char **body)
{
    *out = NULL;
    ativa_err err = ativa_meta_signature_verify(srv->cfg->webhook_app_secret, raw, len, signature);
    if (err) {
        /* Nothing of an unsigned body is trusted, stored or logged beyond its size. */
        ativa_log_warn("webhook refused", "reason=%s bytes=%zu", ativa_err_code(err), len);
        stats.refused++;
        *status = 401;
        *body = "bad signature\n";
        return;
    }
    ativa_meta_batch *batch = NULL;
    char reason[ATIVA_META_REASON_MAX];
    err = ativa_meta_webhook_parse(raw, len, &batch, reason);
    if (err) {
        ativa_log_warn("webhook refused", "reason=%s detail=%s bytes=%zu", ativa_err_code(err),
                       reason, len);
        stats.refused++;
        *status = err == ATIVA_ERR_NO_MEMORY ? 503 : 400;
        *body = err == ATIVA_ERR_NO_MEMORY ? "out of memory\n" : "malformed event\n";
        return;
    }

    struct ativa_ingest *in = calloc(1, sizeof *in);
    size_t max_jobs = batch->message_count + batch->status_count;
    struct ingest_job *jobs = max_jobs ? calloc(max_jobs, sizeof *jobs) : NULL;
    if (!in || (max_jobs && !jobs)) {
        free(in);
        free(jobs);
        ativa_meta_batch_free(batch);
        *status = 503;
        *body = "out of memory\n";
        return;
    }
    in->batch = batch;
    in->jobs = jobs;
    in->answer = answer;
    in->owner = owner;
    int64_t now_ms = ativa_server_now_ms(srv);

    for (size_t i = 0; i < batch->message_count; i++) {
        if (!line_known(srv, batch->messages[i].phone_number_id)) {
            stats.unknown_lines++;
            ativa_log_warn("webhook message for an unknown line", "phone_number_id=%s",
                           batch->messages[i].phone_number_id);
            continue;
        }
        prepare_message(srv, &jobs[in->n_jobs++], &batch->messages[i], now_ms);
    }
    for (size_t i = 0; i < batch->status_count; i++) {
        if (!line_known(srv, batch->statuses[i].phone_number_id)) {
            stats.unknown_lines++;
            continue;
        }
        prepare_status(&jobs[in->n_jobs++], &batch->statuses[i], now_ms);
    }

    /* Count them all before the first submit: a completion cannot run before we return to the
     * loop, but the count must be whole when it does. */
    in->outstanding = in->n_jobs + 1;
    for (size_t i = 0; i < in->n_jobs; i++) {
        jobs[i].owner = in;
        jobs[i].job.done = job_done;
        if (ativa_bridge_submit(srv, &jobs[i].job) != ATIVA_OK) {
            in->store_failed = true;
            in->outstanding--;
        }
    }
    for (size_t i = 0; i < batch->template_update_count; i++) {
        /* Counted before the call: the completion never runs inside it, but keep it simple. */
        in->outstanding++;
        ativa_err terr =
            ativa_templates_apply_status_then(srv, &batch->template_updates[i], template_done, in);
        if (terr != ATIVA_OK) {
            in->outstanding--;
            /* Unknown template or WABA: nothing to store (a sync was asked for); a store that
             * cannot take the write asks Meta to deliver it again. */
            if (must_retry(terr) || terr == ATIVA_ERR_STORE_CLOSED)
                in->store_failed = true;
            ativa_log_warn("template status not applied", "error=%s", ativa_err_code(terr));
        }
    }
    ativa_log_debug("webhook accepted for storage", "messages=%zu statuses=%zu templates=%zu",
                    batch->message_count, batch->status_count, batch->template_update_count);
    /* The "+1" held the ingest open while submitting. */
    if (--in->outstanding == 0) {
        /* Nothing to wait for (no events, or nothing could be submitted): answer now. */
        bool failed = in->store_failed;
        in->detached = true;
        finish(srv, in);
        *status = failed ? 503 : 200;
        *body = failed ? "store unavailable, retry\n" : "ok\n";
        return;
    }
    *out = in;
}

void ativa_ingest_detach(struct ativa_ingest *ingest)
{
    if (ingest)
        ingest->detached = true;
}
