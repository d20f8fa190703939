/* The conversation state machine (see the diagram in conversation.h). */
#include "ativa/conversation.h"

#include <stddef.h>
#include <string.h>

#include "ativa/window.h"

static const char *const phase_names[] = {
    [ATIVA_CONV_OPEN] = "open",
    [ATIVA_CONV_AWAITING_REPLY] = "awaiting_reply",
    [ATIVA_CONV_CLOSED] = "closed",
    [ATIVA_CONV_FINALIZED] = "finalized",
};

#define PHASE_COUNT (sizeof phase_names / sizeof phase_names[0])

static bool window_open_at(const ativa_conv_state *st, int64_t now_ms)
{
    return ativa_window_at(st->last_inbound_ms, st->window_ms, now_ms).open;
}

ativa_err ativa_conv_start(ativa_conv_state *st, int64_t last_inbound_ms, int64_t window_ms,
                           int64_t now_ms, bool with_template)
{
    if (st == NULL || window_ms <= 0)
        return ATIVA_ERR_INVALID_ARGUMENT;
    ativa_conv_state next = {
        .phase = ATIVA_CONV_OPEN,
        .last_inbound_ms = last_inbound_ms < 0 ? ATIVA_NEVER : last_inbound_ms,
        .window_ms = window_ms,
    };
    if (!window_open_at(&next, now_ms)) {
        if (!with_template)
            return ATIVA_ERR_TEMPLATE_REQUIRED;
        next.phase = ATIVA_CONV_AWAITING_REPLY;
    }
    *st = next;
    return ATIVA_OK;
}

ativa_err ativa_conv_start_inbound(ativa_conv_state *st, int64_t inbound_ms, int64_t window_ms,
                                   int64_t now_ms)
{
    if (st == NULL || window_ms <= 0 || inbound_ms < 0)
        return ATIVA_ERR_INVALID_ARGUMENT;
    ativa_conv_state next = {
        .phase = ATIVA_CONV_OPEN,
        .last_inbound_ms = inbound_ms,
        .window_ms = window_ms,
    };
    if (!window_open_at(&next, now_ms))
        next.phase = ATIVA_CONV_CLOSED;
    *st = next;
    return ATIVA_OK;
}

bool ativa_conv_advance(ativa_conv_state *st, int64_t now_ms)
{
    if (st->phase != ATIVA_CONV_OPEN || window_open_at(st, now_ms))
        return false;
    st->phase = ATIVA_CONV_CLOSED;
    return true;
}

ativa_err ativa_conv_check_text(const ativa_conv_state *st, int64_t now_ms)
{
    switch (st->phase) {
    case ATIVA_CONV_OPEN:
        /* Checked against now, not the stored phase: a send may race the expiry timer. */
        return window_open_at(st, now_ms) ? ATIVA_OK : ATIVA_ERR_WINDOW_CLOSED;
    case ATIVA_CONV_AWAITING_REPLY:
        return ATIVA_ERR_AWAITING_REPLY;
    case ATIVA_CONV_CLOSED:
        return ATIVA_ERR_WINDOW_CLOSED;
    case ATIVA_CONV_FINALIZED:
        return ATIVA_ERR_CONVERSATION_FINALIZED;
    }
    return ATIVA_ERR_INVALID_ARGUMENT;
}

ativa_err ativa_conv_template_sent(ativa_conv_state *st, int64_t now_ms)
{
    if (st->phase == ATIVA_CONV_FINALIZED)
        return ATIVA_ERR_CONVERSATION_FINALIZED;
    if (!window_open_at(st, now_ms))
        st->phase = ATIVA_CONV_AWAITING_REPLY;
    return ATIVA_OK;
}

ativa_err ativa_conv_customer_replied(ativa_conv_state *st, int64_t inbound_ms, int64_t now_ms)
{
    if (st->phase == ATIVA_CONV_FINALIZED)
        return ATIVA_ERR_CONVERSATION_FINALIZED;
    if (inbound_ms < 0)
        return ATIVA_ERR_INVALID_ARGUMENT;
    /* Meta may deliver out of order: an older message must not pull the window back. */
    if (inbound_ms > st->last_inbound_ms)
        st->last_inbound_ms = inbound_ms;
    if (window_open_at(st, now_ms))
        st->phase = ATIVA_CONV_OPEN;
    else
        ativa_conv_advance(st, now_ms);
    return ATIVA_OK;
}

ativa_err ativa_conv_finalize(ativa_conv_state *st, const char *description, int64_t now_ms)
{
    if (st->phase == ATIVA_CONV_FINALIZED)
        return ATIVA_ERR_CONVERSATION_FINALIZED;
    if (description != NULL &&
        strnlen(description, ATIVA_DESCRIPTION_MAX + 1) > ATIVA_DESCRIPTION_MAX)
        return ATIVA_ERR_TOO_LARGE;
    st->phase = ATIVA_CONV_FINALIZED;
    return ATIVA_OK;
}

ativa_conv_view ativa_conv_view_at(const ativa_conv_state *st, int64_t now_ms)
{
    ativa_conv_state now_state = *st;
    ativa_conv_advance(&now_state, now_ms);
    ativa_window w = ativa_window_at(now_state.last_inbound_ms, now_state.window_ms, now_ms);
    bool waiting_for_template =
        now_state.phase == ATIVA_CONV_AWAITING_REPLY || now_state.phase == ATIVA_CONV_CLOSED;
    ativa_conv_view v = {
        .phase = now_state.phase,
        .window_open = w.open,
        .expires_at_ms = w.expires_at_ms,
        .composer_enabled = now_state.phase == ATIVA_CONV_OPEN,
        .alert = waiting_for_template,
        .offer_template = waiting_for_template,
    };
    return v;
}

int64_t ativa_conv_next_change_ms(const ativa_conv_state *st)
{
    if (st->phase != ATIVA_CONV_OPEN)
        return ATIVA_NEVER;
    /* Only the expiry is wanted, and it does not depend on the instant asked about. */
    return ativa_window_at(st->last_inbound_ms, st->window_ms, 0).expires_at_ms;
}

const char *ativa_conv_phase_name(ativa_conv_phase phase)
{
    if ((unsigned)phase >= PHASE_COUNT)
        return "invalid";
    return phase_names[phase];
}

ativa_err ativa_conv_phase_parse(const char *name, ativa_conv_phase *out)
{
    if (name == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < PHASE_COUNT; i++) {
        if (strcmp(name, phase_names[i]) == 0) {
            *out = (ativa_conv_phase)i;
            return ATIVA_OK;
        }
    }
    return ATIVA_ERR_INVALID_ARGUMENT;
}
