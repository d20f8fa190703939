/*
 * gateway/clock.h — the one place the gateway reads the time.
 *
 * The event loop reads ativa_clock_now_ms() once per turn and passes that instant to core as
 * `now_ms` (see server.h, ativa_server_now_ms). For integration tests only, the environment
 * variable ATIVA_TEST_CLOCK_OFFSET_MS (a signed integer of milliseconds) shifts the wall clock,
 * so a test can make a running gateway believe that, say, 24 hours have passed. It is read once,
 * by ativa_clock_init(); never set it in production.
 */
#ifndef ATIVA_GATEWAY_CLOCK_H
#define ATIVA_GATEWAY_CLOCK_H

#include <stdint.h>

/** The name of the test-only offset variable. */
#define ATIVA_CLOCK_OFFSET_ENV "ATIVA_TEST_CLOCK_OFFSET_MS"

/**
 * Read ATIVA_TEST_CLOCK_OFFSET_MS once.
 * @param[in] value the variable's value (NULL or "" for no offset), normally getenv()'s answer
 * @return 0 on success; -1 when the value is not a decimal integer within ±10 years, in which
 *         case the offset stays 0
 */
int ativa_clock_init(const char *value);

/** The offset in force (0 unless a test set one). */
int64_t ativa_clock_offset_ms(void);

/** Wall-clock time in ms since the epoch, shifted by the test offset. */
int64_t ativa_clock_now_ms(void);

/** Monotonic time in ms (for durations such as uptime and deadlines; never shifted). */
int64_t ativa_clock_monotonic_ms(void);

#endif
