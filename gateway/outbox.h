/*
 * gateway/outbox.h — the durable outbox: messages stored as queued are POSTed to the Graph API.
 *
 * The store writes a message and its outbox entry (with the full Graph API body) in one
 * transaction before any byte leaves (CREATE_CONVERSATION, SEND_TEXT, SEND_TEMPLATE). The outbox
 * takes due entries from there, on the loop thread:
 *
 *   queued --(pacer allows; OUTBOX_SENDING committed)--> sending --POST--> one of
 *     200 with a wamid          OUTBOX_ACCEPTED: the message is "accepted", the entry leaves
 *     transient failure         OUTBOX_RETRY: queued again after a jittered exponential delay
 *     permanent failure         OUTBOX_FAILED: Meta's code, title, details and the agent's reason
 *     transient, too many times OUTBOX_FAILED with a reason saying it gave up after N attempts
 *
 * An entry is marked `sending` (durably) before its request starts. After a crash, entries left
 * `sending` may or may not have reached Meta: OUTBOX_RECOVER, the first thing submitted at start,
 * marks their messages UNKNOWN and removes them, so they are never sent twice behind the agent's
 * back; the agent decides. docs/operations.md ("Outbox and retries") tells operators the same.
 *
 * Pacing: a message leaves only when the pacer allows its line (graph.max_per_second) and its
 * (line, customer) pair; otherwise it waits, it never fails for that. Messages to one customer
 * leave in the order they were written: an entry waits while an older one to the same customer
 * is queued or in flight.
 *
 * Wake-ups: every store commit (a new queued message, a finished outbox write), a timer at the
 * next due or paced instant, and a poll every ATIVA_OUTBOX_POLL_MS that catches what nothing else
 * announced (e.g. a write by another process on the same data directory).
 */
#ifndef ATIVA_GATEWAY_OUTBOX_H
#define ATIVA_GATEWAY_OUTBOX_H

#include "server.h"

#include <ativa/error.h>

#include <stdint.h>

/** Due entries read per pass. */
#define ATIVA_OUTBOX_BATCH 128
/** Entries between OUTBOX_SENDING and their outcome's commit, at most. */
#define ATIVA_OUTBOX_MAX_IN_FLIGHT 64
/** Attempts (requests) per message before a transient failure becomes final. */
#define ATIVA_OUTBOX_MAX_ATTEMPTS 10
/** First retry delay and the largest one (before jitter). */
#define ATIVA_OUTBOX_BACKOFF_BASE_MS 1000
#define ATIVA_OUTBOX_BACKOFF_MAX_MS  (5 * 60 * 1000)
/** The safety-net poll. */
#define ATIVA_OUTBOX_POLL_MS 1000

/** What the outbox did since start, for /metrics. */
struct ativa_outbox_counters {
    uint64_t sent;      /**< requests started (each attempt counts) */
    uint64_t accepted;  /**< messages Meta accepted (wamid stored) */
    uint64_t retried;   /**< transient failures queued again */
    uint64_t failed;    /**< messages stored as failed (permanent, or attempts exhausted) */
    uint64_t unknown;   /**< outcomes unknown: recovered at start, or an unreadable 200 */
    unsigned in_flight; /**< entries being sent now */
};

/**
 * Start sending: create the Graph client and the pacer, submit OUTBOX_RECOVER (nothing is sent
 * before it commits), listen to the bridge's commits and arm the poll. Call from ativa_app_start
 * after the store and the bridge exist. Sets srv->outbox.
 * @return ATIVA_OK; ATIVA_ERR_INVALID_ARGUMENT (no store or bridge, or a base URL the client
 *         refuses: logged); ATIVA_ERR_NO_MEMORY; the store's refusal of OUTBOX_RECOVER.
 */
ativa_err ativa_outbox_start(struct ativa_server *srv);

/**
 * Stop sending (loop thread, before the store is closed; lws must still exist). Timers are
 * cancelled and the client destroyed: requests under way end without an outcome and their
 * entries stay `sending`, to be recovered as UNKNOWN at the next start (Meta may have them).
 * Entries marked `sending` whose request had not started are queued again. The outbox's memory
 * is released once its last store write has completed (ativa_bridge_drain after the store's
 * close); srv->outbox is NULL from then on. Safe when the outbox never started.
 */
void ativa_outbox_stop(struct ativa_server *srv);

/** The counters now (all zero when the outbox is not running). */
void ativa_outbox_counters_get(const struct ativa_server *srv, struct ativa_outbox_counters *out);

#endif
