/*
 * ativa/pacing.h — sending at the pace WhatsApp allows, by waiting rather than failing.
 *
 * Meta limits each business number to a throughput (80 messages/s by default) and each
 * (business number, customer) pair to about one message every 6 s, with bursts of up to 45
 * borrowed from the future. Going over returns 130429 or 131056. The outbox asks a pacer when a
 * message may leave; the pacer answers "now" (and counts it) or "not before instant T".
 * Retries after a transient failure wait an exponentially growing, jittered delay.
 * Time is a parameter (ms); randomness is a parameter too, so that everything is testable.
 */
#ifndef ATIVA_PACING_H
#define ATIVA_PACING_H

#include <stddef.h>
#include <stdint.h>

#include "ativa/error.h"

/** A token bucket: `burst` tokens at most, refilled at one token every `interval_us`. */
typedef struct ativa_bucket {
    int64_t interval_us; /**< time to earn one token */
    int64_t burst;       /**< capacity in tokens */
    int64_t level_us;    /**< tokens held, in microseconds of refill (tokens * interval_us) */
    int64_t updated_ms;  /**< last refill instant */
} ativa_bucket;

/** A full bucket allowing `per_second` tokens a second (> 0) with the given burst (>= 1). */
void ativa_bucket_init_rate(ativa_bucket *b, double per_second, int64_t burst, int64_t now_ms);

/** A full bucket allowing one token every `interval_ms` (> 0), with the given burst (>= 1). */
void ativa_bucket_init_interval(ativa_bucket *b, int64_t interval_ms, int64_t burst,
                                int64_t now_ms);

/**
 * Take a token at now_ms if one is available.
 * @return 0 when taken; otherwise the instant (ms, > now_ms) at which one will be available,
 *         and nothing is taken.
 */
int64_t ativa_bucket_take(ativa_bucket *b, int64_t now_ms);

/** The instant at which a token is available without taking it (now_ms if one is). */
int64_t ativa_bucket_ready_at(const ativa_bucket *b, int64_t now_ms);

/** Whether the bucket is full at now_ms (an idle pair that can be forgotten). */
int ativa_bucket_is_full(const ativa_bucket *b, int64_t now_ms);

/** Meta's defaults. */
#define ATIVA_PACE_LINE_PER_SECOND  80.0
#define ATIVA_PACE_PAIR_INTERVAL_MS 6000
#define ATIVA_PACE_PAIR_BURST       45

typedef struct ativa_pacer ativa_pacer;

/**
 * A pacer for all lines: one bucket per line and one per (line, customer) pair.
 * @param line_per_second  throughput of each line (Meta's default: 80).
 * @param pair_interval_ms one message per this interval to a customer (6000) ...
 * @param pair_burst       ... with bursts of this many (45).
 * @return NULL on bad arguments or out of memory.
 */
ativa_pacer *ativa_pacer_new(double line_per_second, int64_t pair_interval_ms, int64_t pair_burst);
void ativa_pacer_free(ativa_pacer *p);

/**
 * May a message from `line` to `customer` leave at now_ms? Both the line's and the pair's
 * budgets must allow it; a message is counted against both only when it may leave.
 * @param[out] retry_at_ms  when refused, the earliest instant worth asking again.
 * @return ATIVA_OK (counted: send it now); ATIVA_ERR_RATE_LIMITED (wait until *retry_at_ms);
 *         ATIVA_ERR_INVALID_ARGUMENT; ATIVA_ERR_NO_MEMORY.
 */
ativa_err ativa_pacer_acquire(ativa_pacer *p, const char *line, const char *customer,
                              int64_t now_ms, int64_t *retry_at_ms);

/** Forget pairs whose budget is full again (bounded memory); returns how many were dropped. */
size_t ativa_pacer_sweep(ativa_pacer *p, int64_t now_ms);

/** Pairs currently tracked. */
size_t ativa_pacer_pair_count(const ativa_pacer *p);

/**
 * Delay before retry number `attempt` (1 for the first retry) after a transient failure:
 * "equal jitter" — uniform in [cap/2, cap] where cap = min(max_ms, base_ms * 2^(attempt-1)), so
 * that many senders failing together do not retry together, yet each waits at least half.
 * @param random  any uniformly distributed 32-bit value (from the caller's RNG).
 */
int64_t ativa_backoff_ms(unsigned attempt, int64_t base_ms, int64_t max_ms, uint32_t random);

#endif
