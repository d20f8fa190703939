/* Store completions handed from the writer thread to the loop; see bridge.h. */
#include "bridge.h"

#include "log.h"
#include "routes.h"

#include <stddef.h>
#include <string.h>

int ativa_bridge_init(struct ativa_bridge *b, struct lws_context *context)
{
    memset(b, 0, sizeof *b);
    b->context = context;
    return pthread_mutex_init(&b->lock, NULL) == 0 ? 0 : -1;
}

void ativa_bridge_destroy(struct ativa_bridge *b)
{
    pthread_mutex_destroy(&b->lock);
}

int ativa_bridge_listen(struct ativa_bridge *b, ativa_commit_listener_fn fn, void *arg)
{
    if (b->n_listeners == ATIVA_BRIDGE_LISTENERS_MAX)
        return -1;
    b->listeners[b->n_listeners].fn = fn;
    b->listeners[b->n_listeners].arg = arg;
    b->n_listeners++;
    return 0;
}

/* Writer thread: no lws call but lws_cancel_service, which is the one made for this. */
static void on_committed(ativa_store_op *op, void *user)
{
    struct ativa_bridge *b = user;
    struct ativa_job *job = lws_container_of(op, struct ativa_job, op);
    job->next_ = NULL;
    pthread_mutex_lock(&b->lock);
    if (b->tail)
        b->tail->next_ = job;
    else
        b->head = job;
    b->tail = job;
    pthread_mutex_unlock(&b->lock);
    lws_cancel_service(b->context);
}

ativa_err ativa_bridge_submit(struct ativa_server *srv, struct ativa_job *job)
{
    struct ativa_bridge *b = srv->bridge;
    if (!b || !srv->store || !job || !job->done)
        return ATIVA_ERR_INVALID_ARGUMENT;
    job->op.done = on_committed;
    job->op.user = b;
    ativa_err err = ativa_store_submit(srv->store, &job->op);
    if (err == ATIVA_OK)
        b->pending++;
    return err;
}

void ativa_bridge_drain(struct ativa_server *srv)
{
    struct ativa_bridge *b = srv->bridge;
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    struct ativa_job *job = b->head;
    b->head = b->tail = NULL;
    pthread_mutex_unlock(&b->lock);
    if (!job)
        return;
    while (job) {
        /* done may free the job: read the link first. */
        struct ativa_job *next = job->next_;
        b->pending--;
        b->completed++;
        job->done(srv, job);
        job = next;
    }
    /* At shutdown the store is closed before the last completions are handed over; listeners
     * read the store, and their owners are already stopped. */
    if (!srv->store)
        return;
    for (unsigned i = 0; i < b->n_listeners; i++)
        b->listeners[i].fn(srv, b->listeners[i].arg);
}

unsigned ativa_bridge_pending(const struct ativa_bridge *b)
{
    return b ? b->pending : 0;
}

static int callback_loop(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
        /* Broadcast once per vhost protocol, without a connection of ours: find the server
         * through the context. */
        struct ativa_server *srv = lws_context_user(lws_get_context(wsi));
        if (srv)
            ativa_bridge_drain(srv);
        return 0;
    }
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return 1; /* nobody may open this protocol from outside */
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

const struct ativa_route ativa_loop_route = {
    .mountpoint = NULL,
    .protocol = {.name = "ativa-loop", .callback = callback_loop, .per_session_data_size = 0},
};
