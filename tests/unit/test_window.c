/* The 24-hour window: its edges to the millisecond, a customer who never wrote, clock skew. */
#include "support.h"

#include "ativa/window.h"

#define DAY ATIVA_WINDOW_DEFAULT_MS
#define T0  1700000000000LL /* an arbitrary instant (Nov 2023) */

static void default_length_is_24_hours(void **state)
{
    (void)state;
    assert_int_equal(DAY, 86400000LL);
}

static void open_one_millisecond_before_24_hours(void **state)
{
    (void)state;
    ativa_window w = ativa_window_at(T0, DAY, T0 + 86399999LL);
    assert_true(w.open);
    assert_int_equal(w.expires_at_ms, T0 + 86400000LL);
    assert_int_equal(w.remaining_ms, 1);
}

static void closed_at_exactly_24_hours(void **state)
{
    (void)state;
    ativa_window w = ativa_window_at(T0, DAY, T0 + 86400000LL);
    assert_false(w.open);
    assert_int_equal(w.expires_at_ms, T0 + 86400000LL);
    assert_int_equal(w.remaining_ms, 0);
}

static void closed_after_24_hours(void **state)
{
    (void)state;
    ativa_window w = ativa_window_at(T0, DAY, T0 + 86400001LL);
    assert_false(w.open);
    assert_int_equal(w.expires_at_ms, T0 + 86400000LL);
    assert_int_equal(w.remaining_ms, 0);
    w = ativa_window_at(T0, DAY, T0 + 30 * DAY);
    assert_false(w.open);
    assert_int_equal(w.remaining_ms, 0);
}

static void open_right_after_the_message(void **state)
{
    (void)state;
    ativa_window w = ativa_window_at(T0, DAY, T0);
    assert_true(w.open);
    assert_int_equal(w.remaining_ms, DAY);
    w = ativa_window_at(T0, DAY, T0 + 3600000LL);
    assert_true(w.open);
    assert_int_equal(w.remaining_ms, DAY - 3600000LL);
}

static void never_wrote_is_closed(void **state)
{
    (void)state;
    ativa_window w = ativa_window_at(ATIVA_NEVER, DAY, T0);
    assert_false(w.open);
    assert_int_equal(w.expires_at_ms, ATIVA_NEVER);
    assert_int_equal(w.remaining_ms, 0);
    /* Even at the epoch, when 0 + length would otherwise still be in the future. */
    w = ativa_window_at(ATIVA_NEVER, DAY, 0);
    assert_false(w.open);
    assert_int_equal(w.expires_at_ms, ATIVA_NEVER);
    w = ativa_window_at(-12345, DAY, 0);
    assert_false(w.open);
    assert_int_equal(w.expires_at_ms, ATIVA_NEVER);
}

static void inbound_in_the_future_is_open(void **state)
{
    (void)state;
    /* The customer's message is stamped 5 s after our clock: skew, not an error. */
    ativa_window w = ativa_window_at(T0 + 5000, DAY, T0);
    assert_true(w.open);
    assert_int_equal(w.expires_at_ms, T0 + 5000 + DAY);
    assert_int_equal(w.remaining_ms, DAY + 5000);
}

static void custom_short_length(void **state)
{
    (void)state;
    const int64_t len = 2000;
    ativa_window w = ativa_window_at(T0, len, T0 + 1999);
    assert_true(w.open);
    assert_int_equal(w.expires_at_ms, T0 + 2000);
    assert_int_equal(w.remaining_ms, 1);
    w = ativa_window_at(T0, len, T0 + 2000);
    assert_false(w.open);
    assert_int_equal(w.remaining_ms, 0);
    w = ativa_window_at(T0, 1, T0);
    assert_true(w.open);
    assert_int_equal(w.remaining_ms, 1);
}

static void non_positive_length_is_closed(void **state)
{
    (void)state;
    ativa_window w = ativa_window_at(T0, 0, T0);
    assert_false(w.open);
    assert_int_equal(w.expires_at_ms, T0);
    w = ativa_window_at(T0, -5000, T0 - 1);
    assert_true(w.open); /* expiry is last inbound itself; an earlier now is still before it */
    assert_int_equal(w.expires_at_ms, T0);
    assert_int_equal(w.remaining_ms, 1);
}

static void extreme_values_saturate(void **state)
{
    (void)state;
    ativa_window w = ativa_window_at(INT64_MAX - 10, DAY, T0);
    assert_true(w.open);
    assert_int_equal(w.expires_at_ms, INT64_MAX);
    assert_int_equal(w.remaining_ms, INT64_MAX - T0);
    w = ativa_window_at(INT64_MAX - 10, DAY, INT64_MIN);
    assert_true(w.open);
    assert_int_equal(w.remaining_ms, INT64_MAX);
    w = ativa_window_at(0, DAY, INT64_MAX);
    assert_false(w.open);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_length_is_24_hours),
        cmocka_unit_test(open_one_millisecond_before_24_hours),
        cmocka_unit_test(closed_at_exactly_24_hours),
        cmocka_unit_test(closed_after_24_hours),
        cmocka_unit_test(open_right_after_the_message),
        cmocka_unit_test(never_wrote_is_closed),
        cmocka_unit_test(inbound_in_the_future_is_open),
        cmocka_unit_test(custom_short_length),
        cmocka_unit_test(non_positive_length_is_closed),
        cmocka_unit_test(extreme_values_saturate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
