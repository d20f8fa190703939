/*
 * gateway/ingest.h — a verified webhook body becomes store writes, and its answer waits for them.
 *
 * The signature is checked on the raw bytes before anything is parsed; a body that fails it, or
 * is not a WhatsApp event, is refused at once (4xx) and nothing of it is stored or logged in
 * full. Otherwise every inbound message (RECORD_INBOUND) and status (APPLY_STATUS) of the body is
 * submitted to the store writer, which commits it together with other requests' writes; only
 * when all of this body's writes are committed is the answer given: 200, or 503 when the store
 * could not write (Meta then delivers the body again; redeliveries change nothing twice).
 */
#ifndef ATIVA_GATEWAY_INGEST_H
#define ATIVA_GATEWAY_INGEST_H

#include "server.h"

#include <stddef.h>

struct ativa_ingest;

/** The answer of one webhook POST, on the loop thread. */
typedef void (*ativa_ingest_answer_fn)(struct ativa_server *srv, void *owner, unsigned status,
                                       const char *body);

/**
 * Start handling one POST body.
 * @param[in] signature  the X-Hub-Signature-256 value, NULL when absent.
 * @param answer         called exactly once, later on the loop, unless the ingest is detached
 *                       first; never called when this returns an immediate answer.
 * @param[out] out       the ingest under way, to detach if the connection goes; NULL when the
 *                       answer is immediate.
 * @param[out] status, body   the immediate answer when *out is NULL (body is static text).
 */
void ativa_ingest_start(struct ativa_server *srv, const char *raw, size_t len,
                        const char *signature, ativa_ingest_answer_fn answer, void *owner,
                        struct ativa_ingest **out, unsigned *status, const char **body);

/** The connection went away: its writes still commit, but nobody is told. */
void ativa_ingest_detach(struct ativa_ingest *ingest);

/** Counters for /metrics. */
struct ativa_ingest_stats {
    uint64_t accepted;      /**< bodies answered 200 */
    uint64_t refused;       /**< bodies answered 4xx (signature, malformed) */
    uint64_t failed;        /**< bodies answered 5xx (store) */
    uint64_t messages;      /**< inbound messages recorded (first delivery) */
    uint64_t statuses;      /**< statuses applied */
    uint64_t duplicates;    /**< messages or statuses already known */
    uint64_t unknown_lines; /**< events for a phone_number_id that is not configured */
};

const struct ativa_ingest_stats *ativa_ingest_stats(void);

#endif
