/*
 * gateway/expiry.h — one timer for the next instant a conversation changes by itself.
 *
 * A conversation's window expires at an instant known in advance (core's
 * ativa_conv_next_change_ms). The gateway keeps every open conversation's next change in a heap
 * and arms one lws timer for the earliest; when it fires, ADVANCE is committed for each
 * conversation due, and the resulting "conversation" event (alert shown, composer disabled)
 * reaches the consoles through the fan-out like any other change. A text send racing the expiry
 * is refused by the store itself, which applies the expiry before checking the send.
 * The heap is rebuilt from the store at start-up and kept current from the event log.
 */
#ifndef ATIVA_GATEWAY_EXPIRY_H
#define ATIVA_GATEWAY_EXPIRY_H

#include "server.h"

#include <stddef.h>

/** Read the open conversations, arm the timer, follow the event log. @return ATIVA_OK or the
 *  store's error. */
ativa_err ativa_expiry_start(struct ativa_server *srv);
void ativa_expiry_stop(struct ativa_server *srv);

/** Conversations with a pending change (for /metrics). */
size_t ativa_expiry_pending(const struct ativa_server *srv);
/** The armed timer's instant, or ATIVA_NEVER. */
int64_t ativa_expiry_next_ms(const struct ativa_server *srv);

#endif
