/*
 * gateway/bridge.h — store writes whose completions come back to the event loop.
 *
 * The store applies operations on its writer thread and calls each one's done callback there,
 * after the commit. The loop must never wait for that, and only the loop may touch lws, so the
 * bridge's done callback only queues the finished job (under a mutex) and wakes the loop with
 * lws_cancel_service(). On the loop, LWS_CALLBACK_EVENT_WAIT_CANCELLED drains the queue: each
 * job's own completion runs there, in commit order, and then every commit listener runs once
 * (the event fan-out, the outbox, the expiry timers), so that they see the new state together.
 */
#ifndef ATIVA_GATEWAY_BRIDGE_H
#define ATIVA_GATEWAY_BRIDGE_H

#include "server.h"

#include <ativa/store.h>

#include <pthread.h>

struct ativa_job;

/** Runs on the loop thread once the job's operation is committed (or has failed). */
typedef void (*ativa_job_done_fn)(struct ativa_server *srv, struct ativa_job *job);

/** One write. Embed it in the struct that needs the outcome and recover that with
 *  lws_container_of(job, struct yours, job). The struct must live until done has run. */
struct ativa_job {
    ativa_store_op op; /**< set kind and input; read out and result in done */
    ativa_job_done_fn done;
    struct ativa_job *next_; /**< the bridge's */
};

/** Called on the loop after each drain that completed at least one job. */
typedef void (*ativa_commit_listener_fn)(struct ativa_server *srv, void *arg);

#define ATIVA_BRIDGE_LISTENERS_MAX 8

struct ativa_bridge {
    pthread_mutex_t lock;
    struct ativa_job *head, *tail; /* completed, not yet handed to the loop */
    struct lws_context *context;
    struct {
        ativa_commit_listener_fn fn;
        void *arg;
    } listeners[ATIVA_BRIDGE_LISTENERS_MAX];
    unsigned n_listeners;
    unsigned pending;   /* submitted, not yet completed on the loop */
    uint64_t completed; /* completions handled on the loop since start */
};

/** @return 0, or -1 when the mutex cannot be made. */
int ativa_bridge_init(struct ativa_bridge *b, struct lws_context *context);
void ativa_bridge_destroy(struct ativa_bridge *b);

/** Add a listener (at start-up, before the loop runs). @return 0 or -1 when full. */
int ativa_bridge_listen(struct ativa_bridge *b, ativa_commit_listener_fn fn, void *arg);

/**
 * Submit a job to srv->store. On ATIVA_OK, job->done will run later on the loop, exactly once.
 * @return ATIVA_OK, or the store's refusal (ATIVA_ERR_STORE_CLOSED, ATIVA_ERR_INVALID_ARGUMENT):
 *         then done never runs.
 */
ativa_err ativa_bridge_submit(struct ativa_server *srv, struct ativa_job *job);

/** Loop thread: run the completions queued so far, then the listeners. */
void ativa_bridge_drain(struct ativa_server *srv);

/** Jobs submitted whose completion has not yet run on the loop. */
unsigned ativa_bridge_pending(const struct ativa_bridge *b);

/** The internal protocol that receives LWS_CALLBACK_EVENT_WAIT_CANCELLED; refuses connections. */
extern const struct ativa_route ativa_loop_route;

#endif
