/*
 * The conversation state machine: every allowed transition, every refused one with its error and
 * an unchanged state, the console's view per phase and the expiry timer.
 */
#include "support.h"

#include <stdlib.h>
#include <string.h>

#include "ativa/conversation.h"
#include "ativa/window.h"

#define DAY ATIVA_WINDOW_DEFAULT_MS
#define T0  1700000000000LL /* the customer's message in most tests */

static ativa_conv_state state_of(ativa_conv_phase phase, int64_t last_inbound_ms)
{
    ativa_conv_state st = {.phase = phase, .last_inbound_ms = last_inbound_ms, .window_ms = DAY};
    return st;
}

static void assert_state(const ativa_conv_state *st, ativa_conv_phase phase, int64_t last_inbound,
                         int64_t window_ms)
{
    assert_int_equal(st->phase, phase);
    assert_int_equal(st->last_inbound_ms, last_inbound);
    assert_int_equal(st->window_ms, window_ms);
}

static void assert_same_state(const ativa_conv_state *a, const ativa_conv_state *b)
{
    assert_state(a, b->phase, b->last_inbound_ms, b->window_ms);
}

/* ---- start ---------------------------------------------------------------------------------- */

static void start_with_window_open(void **state)
{
    (void)state;
    ativa_conv_state st;
    assert_int_equal(ativa_conv_start(&st, T0, DAY, T0 + DAY - 1, false), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_OPEN, T0, DAY);
    /* A template sent into an open window is just a message: the chat is open. */
    assert_int_equal(ativa_conv_start(&st, T0, DAY, T0 + 10, true), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_OPEN, T0, DAY);
}

static void start_with_window_closed_sends_template(void **state)
{
    (void)state;
    ativa_conv_state st;
    assert_int_equal(ativa_conv_start(&st, T0, DAY, T0 + DAY, true), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_AWAITING_REPLY, T0, DAY);
    assert_int_equal(ativa_conv_start(&st, ATIVA_NEVER, DAY, T0, true), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_AWAITING_REPLY, ATIVA_NEVER, DAY);
    /* Any negative time means "never". */
    assert_int_equal(ativa_conv_start(&st, -77, DAY, T0, true), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_AWAITING_REPLY, ATIVA_NEVER, DAY);
}

static void start_refusals_change_nothing(void **state)
{
    (void)state;
    const ativa_conv_state before = state_of(ATIVA_CONV_CLOSED, 42);
    ativa_conv_state st = before;
    /* Closed at exactly 24 h, and for a customer who never wrote. */
    assert_int_equal(ativa_conv_start(&st, T0, DAY, T0 + DAY, false), ATIVA_ERR_TEMPLATE_REQUIRED);
    assert_same_state(&st, &before);
    assert_int_equal(ativa_conv_start(&st, ATIVA_NEVER, DAY, T0, false),
                     ATIVA_ERR_TEMPLATE_REQUIRED);
    assert_same_state(&st, &before);
    assert_int_equal(ativa_conv_start(&st, T0, 0, T0, true), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_conv_start(&st, T0, -DAY, T0, true), ATIVA_ERR_INVALID_ARGUMENT);
    assert_same_state(&st, &before);
    assert_int_equal(ativa_conv_start(NULL, T0, DAY, T0, true), ATIVA_ERR_INVALID_ARGUMENT);
}

static void start_inbound(void **state)
{
    (void)state;
    ativa_conv_state st;
    assert_int_equal(ativa_conv_start_inbound(&st, T0, DAY, T0 + 500), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_OPEN, T0, DAY);
    /* Meta delivered it a whole window late: the chat starts already closed. */
    assert_int_equal(ativa_conv_start_inbound(&st, T0, DAY, T0 + DAY), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_CLOSED, T0, DAY);
    assert_int_equal(ativa_conv_start_inbound(&st, T0, 3000, T0 + 2999), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_OPEN, T0, 3000);

    const ativa_conv_state before = st;
    assert_int_equal(ativa_conv_start_inbound(&st, T0, 0, T0), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_conv_start_inbound(&st, ATIVA_NEVER, DAY, T0),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_same_state(&st, &before);
    assert_int_equal(ativa_conv_start_inbound(NULL, T0, DAY, T0), ATIVA_ERR_INVALID_ARGUMENT);
}

/* ---- time ----------------------------------------------------------------------------------- */

static void expiry_closes_an_open_conversation(void **state)
{
    (void)state;
    ativa_conv_state st = state_of(ATIVA_CONV_OPEN, T0);
    assert_false(ativa_conv_advance(&st, T0 + DAY - 1));
    assert_int_equal(st.phase, ATIVA_CONV_OPEN);
    assert_true(ativa_conv_advance(&st, T0 + DAY));
    assert_state(&st, ATIVA_CONV_CLOSED, T0, DAY);
    assert_false(ativa_conv_advance(&st, T0 + DAY + 1)); /* already applied */
}

static void time_alone_moves_nothing_else(void **state)
{
    (void)state;
    const ativa_conv_phase phases[] = {ATIVA_CONV_AWAITING_REPLY, ATIVA_CONV_CLOSED,
                                       ATIVA_CONV_FINALIZED};
    const int64_t instants[] = {T0 - 1, T0, T0 + DAY - 1, T0 + DAY, T0 + 100 * DAY};
    for (size_t p = 0; p < 3; p++) {
        for (size_t i = 0; i < 5; i++) {
            ativa_conv_state st = state_of(phases[p], T0);
            const ativa_conv_state before = st;
            assert_false(ativa_conv_advance(&st, instants[i]));
            assert_same_state(&st, &before);
        }
    }
}

static void next_change_is_the_expiry_while_open(void **state)
{
    (void)state;
    ativa_conv_state st = state_of(ATIVA_CONV_OPEN, T0);
    assert_int_equal(ativa_conv_next_change_ms(&st), T0 + DAY);
    st.window_ms = 2500;
    assert_int_equal(ativa_conv_next_change_ms(&st), T0 + 2500);
    st = state_of(ATIVA_CONV_AWAITING_REPLY, T0);
    assert_int_equal(ativa_conv_next_change_ms(&st), ATIVA_NEVER);
    st = state_of(ATIVA_CONV_CLOSED, T0);
    assert_int_equal(ativa_conv_next_change_ms(&st), ATIVA_NEVER);
    st = state_of(ATIVA_CONV_FINALIZED, T0);
    assert_int_equal(ativa_conv_next_change_ms(&st), ATIVA_NEVER);

    /* The timer fires at the instant it was set for and the conversation closes then. */
    st = state_of(ATIVA_CONV_OPEN, T0);
    assert_int_equal(ativa_conv_customer_replied(&st, T0 + 60000, T0 + 60001), ATIVA_OK);
    int64_t at = ativa_conv_next_change_ms(&st);
    assert_int_equal(at, T0 + 60000 + DAY);
    assert_false(ativa_conv_advance(&st, at - 1));
    assert_true(ativa_conv_advance(&st, at));
    assert_int_equal(ativa_conv_next_change_ms(&st), ATIVA_NEVER);
}

/* ---- free text ------------------------------------------------------------------------------ */

static void text_allowed_only_while_open(void **state)
{
    (void)state;
    ativa_conv_state st = state_of(ATIVA_CONV_OPEN, T0);
    assert_int_equal(ativa_conv_check_text(&st, T0), ATIVA_OK);
    assert_int_equal(ativa_conv_check_text(&st, T0 + DAY - 1), ATIVA_OK);
    /* The send races the expiry: the timer has not fired yet, but the instant has come. */
    assert_int_equal(ativa_conv_check_text(&st, T0 + DAY), ATIVA_ERR_WINDOW_CLOSED);
    assert_int_equal(ativa_conv_check_text(&st, T0 + DAY + 1), ATIVA_ERR_WINDOW_CLOSED);
    assert_state(&st, ATIVA_CONV_OPEN, T0, DAY);

    st = state_of(ATIVA_CONV_CLOSED, T0);
    assert_int_equal(ativa_conv_check_text(&st, T0 + DAY), ATIVA_ERR_WINDOW_CLOSED);
    st = state_of(ATIVA_CONV_AWAITING_REPLY, ATIVA_NEVER);
    assert_int_equal(ativa_conv_check_text(&st, T0), ATIVA_ERR_AWAITING_REPLY);
    st = state_of(ATIVA_CONV_AWAITING_REPLY, T0);
    assert_int_equal(ativa_conv_check_text(&st, T0 + DAY + 5), ATIVA_ERR_AWAITING_REPLY);
    st = state_of(ATIVA_CONV_FINALIZED, T0);
    assert_int_equal(ativa_conv_check_text(&st, T0 + 1), ATIVA_ERR_CONVERSATION_FINALIZED);
    st = state_of((ativa_conv_phase)99, T0);
    assert_int_equal(ativa_conv_check_text(&st, T0 + 1), ATIVA_ERR_INVALID_ARGUMENT);
}

/* ---- templates ------------------------------------------------------------------------------ */

static void template_moves_a_closed_window_to_awaiting_reply(void **state)
{
    (void)state;
    ativa_conv_state st = state_of(ATIVA_CONV_CLOSED, T0);
    assert_int_equal(ativa_conv_template_sent(&st, T0 + DAY + 10), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_AWAITING_REPLY, T0, DAY);
    /* "+Selecionar Template" again: still awaiting. */
    assert_int_equal(ativa_conv_template_sent(&st, T0 + DAY + 20), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_AWAITING_REPLY, T0, DAY);
    /* An open conversation whose expiry timer has not fired yet: expiry is applied first. */
    st = state_of(ATIVA_CONV_OPEN, T0);
    assert_int_equal(ativa_conv_template_sent(&st, T0 + DAY), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_AWAITING_REPLY, T0, DAY);
}

static void template_in_an_open_window_keeps_it_open(void **state)
{
    (void)state;
    ativa_conv_state st = state_of(ATIVA_CONV_OPEN, T0);
    assert_int_equal(ativa_conv_template_sent(&st, T0 + DAY - 1), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_OPEN, T0, DAY);
    assert_int_equal(ativa_conv_check_text(&st, T0 + DAY - 1), ATIVA_OK);
}

/* ---- the customer writes -------------------------------------------------------------------- */

static void reply_reopens_awaiting_and_closed(void **state)
{
    (void)state;
    const int64_t now = T0 + 3 * DAY;
    ativa_conv_state st = state_of(ATIVA_CONV_AWAITING_REPLY, ATIVA_NEVER);
    assert_int_equal(ativa_conv_customer_replied(&st, now, now), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_OPEN, now, DAY);
    assert_int_equal(ativa_conv_check_text(&st, now + DAY - 1), ATIVA_OK);
    assert_int_equal(ativa_conv_next_change_ms(&st), now + DAY);

    st = state_of(ATIVA_CONV_CLOSED, T0);
    assert_int_equal(ativa_conv_customer_replied(&st, now, now + 3), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_OPEN, now, DAY);

    /* Replying to an open chat pushes the expiry forward. */
    st = state_of(ATIVA_CONV_OPEN, T0);
    assert_int_equal(ativa_conv_customer_replied(&st, T0 + 1000, T0 + 1000), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_OPEN, T0 + 1000, DAY);
    assert_int_equal(ativa_conv_next_change_ms(&st), T0 + 1000 + DAY);
}

static void late_inbound_does_not_move_the_window_back(void **state)
{
    (void)state;
    ativa_conv_state st = state_of(ATIVA_CONV_OPEN, T0 + 5000);
    assert_int_equal(ativa_conv_customer_replied(&st, T0, T0 + 6000), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_OPEN, T0 + 5000, DAY);
    assert_int_equal(ativa_conv_next_change_ms(&st), T0 + 5000 + DAY);
    assert_int_equal(ativa_conv_check_text(&st, T0 + DAY + 4999), ATIVA_OK);

    /* A closed chat is not reopened by a message that was already stale. */
    st = state_of(ATIVA_CONV_CLOSED, T0);
    assert_int_equal(ativa_conv_customer_replied(&st, T0 - 10, T0 + DAY + 1), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_CLOSED, T0, DAY);
}

static void late_inbound_within_the_window_still_reopens(void **state)
{
    (void)state;
    /* Sent 20 ms after the last one, delivered after the expiry of the older one. */
    ativa_conv_state st = state_of(ATIVA_CONV_CLOSED, T0);
    assert_int_equal(ativa_conv_customer_replied(&st, T0 + 20, T0 + DAY + 10), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_OPEN, T0 + 20, DAY);
    assert_int_equal(ativa_conv_next_change_ms(&st), T0 + 20 + DAY);
}

static void inbound_too_old_to_open_keeps_the_phase(void **state)
{
    (void)state;
    const int64_t now = T0 + 10 * DAY;
    /* Newer than the last one, but already a full window old. */
    ativa_conv_state st = state_of(ATIVA_CONV_AWAITING_REPLY, T0);
    assert_int_equal(ativa_conv_customer_replied(&st, now - DAY, now), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_AWAITING_REPLY, now - DAY, DAY);
    /* An open chat past its expiry (timer not fired) closes rather than staying open. */
    st = state_of(ATIVA_CONV_OPEN, T0);
    assert_int_equal(ativa_conv_customer_replied(&st, now - DAY - 1, now), ATIVA_OK);
    assert_state(&st, ATIVA_CONV_CLOSED, now - DAY - 1, DAY);
}

static void negative_inbound_is_refused(void **state)
{
    (void)state;
    const ativa_conv_state before = state_of(ATIVA_CONV_AWAITING_REPLY, T0);
    ativa_conv_state st = before;
    assert_int_equal(ativa_conv_customer_replied(&st, ATIVA_NEVER, T0 + 1),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_same_state(&st, &before);
}

/* ---- finalize ------------------------------------------------------------------------------- */

static void finalize_from_every_live_phase(void **state)
{
    (void)state;
    const ativa_conv_phase phases[] = {ATIVA_CONV_OPEN, ATIVA_CONV_AWAITING_REPLY,
                                       ATIVA_CONV_CLOSED};
    for (size_t i = 0; i < 3; i++) {
        ativa_conv_state st = state_of(phases[i], T0);
        assert_int_equal(ativa_conv_finalize(&st, NULL, T0 + 1), ATIVA_OK);
        assert_state(&st, ATIVA_CONV_FINALIZED, T0, DAY);
        st = state_of(phases[i], T0);
        assert_int_equal(ativa_conv_finalize(&st, "", T0 + 1), ATIVA_OK);
        assert_int_equal(st.phase, ATIVA_CONV_FINALIZED);
        st = state_of(phases[i], T0);
        assert_int_equal(ativa_conv_finalize(&st, "Cliente pediu 2ª via do boleto.", T0 + 1),
                         ATIVA_OK);
        assert_int_equal(st.phase, ATIVA_CONV_FINALIZED);
    }
}

static void description_size_limit(void **state)
{
    (void)state;
    char *text = malloc(ATIVA_DESCRIPTION_MAX + 2);
    assert_non_null(text);
    memset(text, 'a', ATIVA_DESCRIPTION_MAX);
    text[ATIVA_DESCRIPTION_MAX] = '\0';
    ativa_conv_state st = state_of(ATIVA_CONV_OPEN, T0);
    assert_int_equal(ativa_conv_finalize(&st, text, T0 + 1), ATIVA_OK);
    assert_int_equal(st.phase, ATIVA_CONV_FINALIZED);

    text[ATIVA_DESCRIPTION_MAX] = 'a';
    text[ATIVA_DESCRIPTION_MAX + 1] = '\0';
    const ativa_conv_phase phases[] = {ATIVA_CONV_OPEN, ATIVA_CONV_AWAITING_REPLY,
                                       ATIVA_CONV_CLOSED};
    for (size_t i = 0; i < 3; i++) {
        const ativa_conv_state before = state_of(phases[i], T0);
        st = before;
        assert_int_equal(ativa_conv_finalize(&st, text, T0 + 1), ATIVA_ERR_TOO_LARGE);
        assert_same_state(&st, &before);
    }
    free(text);

    /* Bytes, not characters: 2001 two-byte characters are 4002 bytes. */
    char *accented = malloc(2 * 2001 + 1);
    assert_non_null(accented);
    for (int i = 0; i < 2001; i++)
        memcpy(accented + 2 * i, "\xc3\xa9", 2);
    accented[2 * 2001] = '\0';
    st = state_of(ATIVA_CONV_OPEN, T0);
    assert_int_equal(ativa_conv_finalize(&st, accented, T0 + 1), ATIVA_ERR_TOO_LARGE);
    assert_int_equal(st.phase, ATIVA_CONV_OPEN);
    free(accented);
}

static void nothing_after_finalized(void **state)
{
    (void)state;
    const ativa_conv_state before = state_of(ATIVA_CONV_FINALIZED, T0);
    ativa_conv_state st = before;
    const int64_t instants[] = {T0 + 1, T0 + DAY, T0 + 5 * DAY};
    for (size_t i = 0; i < 3; i++) {
        int64_t now = instants[i];
        assert_int_equal(ativa_conv_check_text(&st, now), ATIVA_ERR_CONVERSATION_FINALIZED);
        assert_int_equal(ativa_conv_template_sent(&st, now), ATIVA_ERR_CONVERSATION_FINALIZED);
        assert_int_equal(ativa_conv_customer_replied(&st, now, now),
                         ATIVA_ERR_CONVERSATION_FINALIZED);
        assert_int_equal(ativa_conv_finalize(&st, NULL, now), ATIVA_ERR_CONVERSATION_FINALIZED);
        assert_int_equal(ativa_conv_finalize(&st, "again", now), ATIVA_ERR_CONVERSATION_FINALIZED);
        assert_false(ativa_conv_advance(&st, now));
        assert_same_state(&st, &before);
    }
    /* Finalized wins over a too-large description: the real reason is reported. */
    char *text = malloc(ATIVA_DESCRIPTION_MAX + 2);
    assert_non_null(text);
    memset(text, 'b', ATIVA_DESCRIPTION_MAX + 1);
    text[ATIVA_DESCRIPTION_MAX + 1] = '\0';
    assert_int_equal(ativa_conv_finalize(&st, text, T0), ATIVA_ERR_CONVERSATION_FINALIZED);
    free(text);
}

static void double_finalize(void **state)
{
    (void)state;
    ativa_conv_state st;
    assert_int_equal(ativa_conv_start(&st, T0, DAY, T0 + 1, false), ATIVA_OK);
    assert_int_equal(ativa_conv_finalize(&st, "ok", T0 + 2), ATIVA_OK);
    assert_int_equal(ativa_conv_finalize(&st, "ok", T0 + 3), ATIVA_ERR_CONVERSATION_FINALIZED);
    assert_state(&st, ATIVA_CONV_FINALIZED, T0, DAY);
}

/* ---- view ----------------------------------------------------------------------------------- */

static void assert_view(ativa_conv_view v, ativa_conv_phase phase, bool window_open,
                        int64_t expires, bool composer, bool alert, bool offer)
{
    assert_int_equal(v.phase, phase);
    assert_int_equal(v.window_open, window_open);
    assert_int_equal(v.expires_at_ms, expires);
    assert_int_equal(v.composer_enabled, composer);
    assert_int_equal(v.alert, alert);
    assert_int_equal(v.offer_template, offer);
}

static void view_per_phase(void **state)
{
    (void)state;
    ativa_conv_state st = state_of(ATIVA_CONV_OPEN, T0);
    assert_view(ativa_conv_view_at(&st, T0 + DAY - 1), ATIVA_CONV_OPEN, true, T0 + DAY, true, false,
                false);

    st = state_of(ATIVA_CONV_AWAITING_REPLY, ATIVA_NEVER);
    assert_view(ativa_conv_view_at(&st, T0), ATIVA_CONV_AWAITING_REPLY, false, ATIVA_NEVER, false,
                true, true);
    st = state_of(ATIVA_CONV_AWAITING_REPLY, T0);
    assert_view(ativa_conv_view_at(&st, T0 + 2 * DAY), ATIVA_CONV_AWAITING_REPLY, false, T0 + DAY,
                false, true, true);

    st = state_of(ATIVA_CONV_CLOSED, T0);
    assert_view(ativa_conv_view_at(&st, T0 + DAY), ATIVA_CONV_CLOSED, false, T0 + DAY, false, true,
                true);

    st = state_of(ATIVA_CONV_FINALIZED, T0);
    assert_view(ativa_conv_view_at(&st, T0 + 1), ATIVA_CONV_FINALIZED, true, T0 + DAY, false, false,
                false);
    assert_view(ativa_conv_view_at(&st, T0 + DAY), ATIVA_CONV_FINALIZED, false, T0 + DAY, false,
                false, false);
}

static void view_applies_expiry_to_a_copy(void **state)
{
    (void)state;
    const ativa_conv_state before = state_of(ATIVA_CONV_OPEN, T0);
    ativa_conv_state st = before;
    assert_view(ativa_conv_view_at(&st, T0 + DAY), ATIVA_CONV_CLOSED, false, T0 + DAY, false, true,
                true);
    assert_same_state(&st, &before);
}

/* ---- a whole conversation ------------------------------------------------------------------- */

static void full_story(void **state)
{
    (void)state;
    ativa_conv_state st;
    int64_t now = T0;
    assert_int_equal(ativa_conv_start(&st, ATIVA_NEVER, DAY, now, false),
                     ATIVA_ERR_TEMPLATE_REQUIRED);
    assert_int_equal(ativa_conv_start(&st, ATIVA_NEVER, DAY, now, true), ATIVA_OK);
    assert_int_equal(ativa_conv_check_text(&st, now), ATIVA_ERR_AWAITING_REPLY);
    now += 60000;
    assert_int_equal(ativa_conv_customer_replied(&st, now - 300, now), ATIVA_OK);
    assert_int_equal(st.phase, ATIVA_CONV_OPEN);
    int64_t expiry = ativa_conv_next_change_ms(&st);
    assert_int_equal(expiry, now - 300 + DAY);
    assert_int_equal(ativa_conv_check_text(&st, expiry - 1), ATIVA_OK);
    assert_true(ativa_conv_advance(&st, expiry));
    assert_int_equal(ativa_conv_check_text(&st, expiry), ATIVA_ERR_WINDOW_CLOSED);
    assert_true(ativa_conv_view_at(&st, expiry).offer_template);
    assert_int_equal(ativa_conv_template_sent(&st, expiry + 1000), ATIVA_OK);
    assert_int_equal(st.phase, ATIVA_CONV_AWAITING_REPLY);
    assert_int_equal(ativa_conv_customer_replied(&st, expiry + 5000, expiry + 5001), ATIVA_OK);
    assert_true(ativa_conv_view_at(&st, expiry + 5001).composer_enabled);
    assert_int_equal(ativa_conv_finalize(&st, "resolvido", expiry + 9000), ATIVA_OK);
    assert_int_equal(ativa_conv_check_text(&st, expiry + 9001), ATIVA_ERR_CONVERSATION_FINALIZED);
}

/* ---- names ---------------------------------------------------------------------------------- */

static void phase_names_round_trip(void **state)
{
    (void)state;
    const char *expected[] = {"open", "awaiting_reply", "closed", "finalized"};
    for (int p = ATIVA_CONV_OPEN; p <= ATIVA_CONV_FINALIZED; p++) {
        assert_string_equal(ativa_conv_phase_name((ativa_conv_phase)p), expected[p]);
        ativa_conv_phase back = (ativa_conv_phase)-1;
        assert_int_equal(ativa_conv_phase_parse(expected[p], &back), ATIVA_OK);
        assert_int_equal(back, p);
    }
    assert_string_equal(ativa_conv_phase_name((ativa_conv_phase)4), "invalid");
    assert_string_equal(ativa_conv_phase_name((ativa_conv_phase)-1), "invalid");
    const char *bad[] = {"", "OPEN", "Open", "opened", "open ", " open", "awaiting", "invalid"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ativa_conv_phase out = ATIVA_CONV_CLOSED;
        assert_int_equal(ativa_conv_phase_parse(bad[i], &out), ATIVA_ERR_INVALID_ARGUMENT);
        assert_int_equal(out, ATIVA_CONV_CLOSED);
    }
    ativa_conv_phase out = ATIVA_CONV_CLOSED;
    assert_int_equal(ativa_conv_phase_parse(NULL, &out), ATIVA_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(start_with_window_open),
        cmocka_unit_test(start_with_window_closed_sends_template),
        cmocka_unit_test(start_refusals_change_nothing),
        cmocka_unit_test(start_inbound),
        cmocka_unit_test(expiry_closes_an_open_conversation),
        cmocka_unit_test(time_alone_moves_nothing_else),
        cmocka_unit_test(next_change_is_the_expiry_while_open),
        cmocka_unit_test(text_allowed_only_while_open),
        cmocka_unit_test(template_moves_a_closed_window_to_awaiting_reply),
        cmocka_unit_test(template_in_an_open_window_keeps_it_open),
        cmocka_unit_test(reply_reopens_awaiting_and_closed),
        cmocka_unit_test(late_inbound_does_not_move_the_window_back),
        cmocka_unit_test(late_inbound_within_the_window_still_reopens),
        cmocka_unit_test(inbound_too_old_to_open_keeps_the_phase),
        cmocka_unit_test(negative_inbound_is_refused),
        cmocka_unit_test(finalize_from_every_live_phase),
        cmocka_unit_test(description_size_limit),
        cmocka_unit_test(nothing_after_finalized),
        cmocka_unit_test(double_finalize),
        cmocka_unit_test(view_per_phase),
        cmocka_unit_test(view_applies_expiry_to_a_copy),
        cmocka_unit_test(full_story),
        cmocka_unit_test(phase_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
