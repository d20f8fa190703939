/*
 * ativa/conversation.h — the state of one conversation, as a pure state machine.
 *
 * The gateway and the console both follow it: it decides whether the agent's composer is enabled,
 * whether the "more than 24 hours" alert and "+Selecionar Template" are shown, and which sends are
 * allowed. Every refused transition returns a specific ativa_err and leaves the state unchanged.
 * Time is a parameter (ms since the epoch); nothing reads the clock.
 *
 *            start (window open) / customer writes first
 *   ──────────────────────────────────────────▶ OPEN ◀──────────────┐
 *   start with template (window closed)          │ expiry           │ customer replies
 *   ──────────────▶ AWAITING_REPLY ◀─template─ CLOSED               │ (window reopens)
 *                        │  ▲ template            │                 │
 *                        │  └─────────────────────┘                 │
 *                        └──────────────────────────────────────────┘
 *   any phase but FINALIZED ──finalize──▶ FINALIZED (nothing more is allowed)
 *
 * CLOSED is reached only by expiry: a conversation cannot be started with the window closed and no
 * template (ATIVA_ERR_TEMPLATE_REQUIRED).
 */
#ifndef ATIVA_CONVERSATION_H
#define ATIVA_CONVERSATION_H

#include <stdbool.h>
#include <stdint.h>

#include "ativa/error.h"

/** Longest "Descrição do Atendimento", in bytes of UTF-8. */
#define ATIVA_DESCRIPTION_MAX 4000

typedef enum ativa_conv_phase {
    ATIVA_CONV_OPEN = 0,       /**< window open: the agent writes freely */
    ATIVA_CONV_AWAITING_REPLY, /**< window closed, template sent: composer disabled until reply */
    ATIVA_CONV_CLOSED,         /**< window expired during the chat: a template is needed */
    ATIVA_CONV_FINALIZED,      /**< finished; nothing more can be sent */
} ativa_conv_phase;

/** The persistent state of a conversation (plain data: copy, store and compare freely). */
typedef struct ativa_conv_state {
    ativa_conv_phase phase;
    int64_t last_inbound_ms; /**< the customer's last inbound message on the line, or ATIVA_NEVER */
    int64_t window_ms;       /**< window length, normally ATIVA_WINDOW_DEFAULT_MS */
} ativa_conv_state;

/** What a console shows for a conversation at an instant. */
typedef struct ativa_conv_view {
    ativa_conv_phase phase; /**< the phase at that instant (expiry applied) */
    bool window_open;
    int64_t expires_at_ms; /**< window expiry, or ATIVA_NEVER if the customer never wrote */
    bool composer_enabled; /**< free text allowed */
    bool alert;            /**< the "more than 24 hours" alert is shown */
    bool offer_template;   /**< "+Selecionar Template" is offered */
} ativa_conv_view;

/**
 * Start a conversation created by an agent.
 * @param last_inbound_ms  the customer's last inbound message on that line, or ATIVA_NEVER (any
 *                         negative value is read as ATIVA_NEVER).
 * @param with_template    true when the creation sends a template.
 * @return ATIVA_OK (phase OPEN if the window is open, else AWAITING_REPLY);
 *         ATIVA_ERR_TEMPLATE_REQUIRED when the window is closed and no template is sent;
 *         ATIVA_ERR_INVALID_ARGUMENT for a non-positive window length.
 */
ativa_err ativa_conv_start(ativa_conv_state *st, int64_t last_inbound_ms, int64_t window_ms,
                           int64_t now_ms, bool with_template);

/**
 * Start a conversation because a customer wrote and had none open (it goes to the shared queue).
 * @return ATIVA_OK (phase OPEN, or CLOSED if the message is already older than the window);
 *         ATIVA_ERR_INVALID_ARGUMENT for a non-positive window length or a negative inbound_ms.
 */
ativa_err ativa_conv_start_inbound(ativa_conv_state *st, int64_t inbound_ms, int64_t window_ms,
                                   int64_t now_ms);

/**
 * Apply what time alone changes (the window expiring). Call before reading or acting at now_ms.
 * @return true if the phase changed (OPEN -> CLOSED).
 */
bool ativa_conv_advance(ativa_conv_state *st, int64_t now_ms);

/**
 * May the agent send free text at now_ms? Does not change the state.
 * @return ATIVA_OK; ATIVA_ERR_WINDOW_CLOSED (expired, including a send racing the expiry);
 *         ATIVA_ERR_AWAITING_REPLY; ATIVA_ERR_CONVERSATION_FINALIZED.
 */
ativa_err ativa_conv_check_text(const ativa_conv_state *st, int64_t now_ms);

/**
 * A template was sent at now_ms (allowed in every phase but FINALIZED).
 * @return ATIVA_OK (AWAITING_REPLY if the window is closed at now_ms, else unchanged OPEN);
 *         ATIVA_ERR_CONVERSATION_FINALIZED.
 */
ativa_err ativa_conv_template_sent(ativa_conv_state *st, int64_t now_ms);

/**
 * The customer wrote (message time inbound_ms, which may be older than now_ms when Meta delivers
 * late). The window runs from the newest inbound message seen.
 * A message too old to reopen the window leaves the phase as it was (expiry applied).
 * @return ATIVA_OK (phase OPEN if the window is open at now_ms); ATIVA_ERR_CONVERSATION_FINALIZED;
 *         ATIVA_ERR_INVALID_ARGUMENT for a negative inbound_ms (state unchanged).
 */
ativa_err ativa_conv_customer_replied(ativa_conv_state *st, int64_t inbound_ms, int64_t now_ms);

/**
 * Finish the conversation. The contact reason is checked by the caller against the configured
 * list; the description is optional.
 * @param description  may be NULL or "".
 * @return ATIVA_OK; ATIVA_ERR_CONVERSATION_FINALIZED; ATIVA_ERR_TOO_LARGE (description longer than
 *         ATIVA_DESCRIPTION_MAX bytes).
 */
ativa_err ativa_conv_finalize(ativa_conv_state *st, const char *description, int64_t now_ms);

/**
 * What a console shows at now_ms (expiry applied to a copy; st is not changed).
 * OPEN: composer enabled, no alert. AWAITING_REPLY and CLOSED: composer disabled, alert and
 * "+Selecionar Template" shown. FINALIZED: nothing enabled or shown.
 */
ativa_conv_view ativa_conv_view_at(const ativa_conv_state *st, int64_t now_ms);

/**
 * The next instant at which the state changes by itself: the window expiry while OPEN, else
 * ATIVA_NEVER. The gateway keeps one timer on it.
 */
int64_t ativa_conv_next_change_ms(const ativa_conv_state *st);

/**
 * "open", "awaiting_reply", "closed", "finalized" (protocol and storage spelling); "invalid" for a
 * value outside the enum. Static strings, never NULL.
 */
const char *ativa_conv_phase_name(ativa_conv_phase phase);

/** Inverse of ativa_conv_phase_name. @return ATIVA_OK or ATIVA_ERR_INVALID_ARGUMENT. */
ativa_err ativa_conv_phase_parse(const char *name, ativa_conv_phase *out);

#endif
