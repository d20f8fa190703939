/* WhatsApp's 24-hour customer-service window (see window.h). */
#include "ativa/window.h"

ativa_window ativa_window_at(int64_t last_inbound_ms, int64_t length_ms, int64_t now_ms)
{
    ativa_window w = {.open = false, .expires_at_ms = ATIVA_NEVER, .remaining_ms = 0};
    if (last_inbound_ms < 0)
        return w;
    if (length_ms < 0)
        length_ms = 0;
    /* Saturate instead of overflowing: a bogus far-future timestamp must not wrap to the past. */
    w.expires_at_ms =
        last_inbound_ms > INT64_MAX - length_ms ? INT64_MAX : last_inbound_ms + length_ms;
    if (now_ms < w.expires_at_ms) {
        w.open = true;
        /* A negative now (never from a real clock) could overflow the difference. */
        w.remaining_ms = now_ms < 0 && w.expires_at_ms > INT64_MAX + now_ms
                             ? INT64_MAX
                             : w.expires_at_ms - now_ms;
    }
    return w;
}
