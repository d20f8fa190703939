/*
 * ativa/window.h — WhatsApp's customer-service window for one (line, customer) pair.
 *
 * The window is open for exactly ATIVA_WINDOW_DEFAULT_MS after the customer's last inbound
 * message on that line and closed if they never wrote. It is closed at exactly 24 h 00 min 00 s.
 * Time is always a parameter in milliseconds since the Unix epoch; nothing here reads the clock.
 * The length is a parameter too, so that a deployment's tests can run with a short window.
 */
#ifndef ATIVA_WINDOW_H
#define ATIVA_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#define ATIVA_WINDOW_DEFAULT_MS (24LL * 60 * 60 * 1000)

/** Value of last_inbound_ms meaning "the customer never wrote on this line". */
#define ATIVA_NEVER ((int64_t)-1)

typedef struct ativa_window {
    bool open;             /**< now < expires_at_ms */
    int64_t expires_at_ms; /**< last inbound + length; ATIVA_NEVER if the customer never wrote */
    int64_t remaining_ms;  /**< expires_at_ms - now when open, else 0 */
} ativa_window;

/**
 * The window at instant now_ms. A last inbound message later than now_ms (clock skew) gives an
 * open window with more than length_ms remaining. Sums that would overflow saturate at INT64_MAX.
 * @param last_inbound_ms  time of the customer's last inbound message, or ATIVA_NEVER (any negative
 *                         value is read as ATIVA_NEVER).
 * @param length_ms        window length (> 0), normally ATIVA_WINDOW_DEFAULT_MS; a non-positive
 *                         length gives a window that is already closed at last_inbound_ms.
 * @param now_ms           the instant to evaluate at.
 */
ativa_window ativa_window_at(int64_t last_inbound_ms, int64_t length_ms, int64_t now_ms);

#endif
