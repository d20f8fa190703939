/* Token buckets, the line and pair pacer, and retry back-off, at exact instants. */
#include "support.h"

#include <stdio.h>
#include <string.h>

#include "ativa/pacing.h"

static void bucket_allows_burst_then_paces(void **state)
{
    (void)state;
    ativa_bucket b;
    ativa_bucket_init_interval(&b, 6000, 3, 1000);
    assert_int_equal(ativa_bucket_take(&b, 1000), 0);
    assert_int_equal(ativa_bucket_take(&b, 1000), 0);
    assert_int_equal(ativa_bucket_take(&b, 1000), 0);
    /* Empty: the next token comes one interval later, and nothing is taken meanwhile. */
    assert_int_equal(ativa_bucket_take(&b, 1000), 7000);
    assert_int_equal(ativa_bucket_take(&b, 6999), 7000);
    assert_int_equal(ativa_bucket_take(&b, 7000), 0);
    assert_int_equal(ativa_bucket_take(&b, 7000), 13000);
    assert_false(ativa_bucket_is_full(&b, 7000));
    assert_true(ativa_bucket_is_full(&b, 7000 + 3 * 6000));
}

static void bucket_rate_is_exact_over_a_second(void **state)
{
    (void)state;
    ativa_bucket b;
    ativa_bucket_init_rate(&b, 80.0, 2, 0);
    /* Drain the burst, then ask every millisecond for ten seconds: no fraction of a token may
     * be lost to millisecond rounding, so exactly 80 a second go out. */
    while (ativa_bucket_take(&b, 0) == 0)
        ;
    int taken = 0;
    for (int64_t t = 1; t <= 10000; t++)
        if (ativa_bucket_take(&b, t) == 0)
            taken++;
    assert_int_equal(taken, 800);
}

static void bucket_ignores_a_clock_going_back(void **state)
{
    (void)state;
    ativa_bucket b;
    ativa_bucket_init_interval(&b, 1000, 1, 5000);
    assert_int_equal(ativa_bucket_take(&b, 5000), 0);
    assert_int_equal(ativa_bucket_take(&b, 4000), 5000);
    assert_int_equal(ativa_bucket_ready_at(&b, 5500), 6000);
    assert_int_equal(ativa_bucket_take(&b, 6000), 0);
}

static void pacer_paces_each_pair(void **state)
{
    (void)state;
    ativa_pacer *p = ativa_pacer_new(80.0, 6000, 2);
    assert_non_null(p);
    int64_t retry = 0;
    assert_int_equal(ativa_pacer_acquire(p, "1001", "5511999999999", 0, &retry), ATIVA_OK);
    assert_int_equal(ativa_pacer_acquire(p, "1001", "5511999999999", 0, &retry), ATIVA_OK);
    assert_int_equal(ativa_pacer_acquire(p, "1001", "5511999999999", 0, &retry),
                     ATIVA_ERR_RATE_LIMITED);
    assert_int_equal(retry, 6000);
    /* Another customer on the same line, and the same customer on another line, are free. */
    assert_int_equal(ativa_pacer_acquire(p, "1001", "5511988888888", 0, &retry), ATIVA_OK);
    assert_int_equal(ativa_pacer_acquire(p, "1002", "5511999999999", 0, &retry), ATIVA_OK);
    assert_int_equal(ativa_pacer_pair_count(p), 3);
    assert_int_equal(ativa_pacer_acquire(p, "1001", "5511999999999", 6000, &retry), ATIVA_OK);
    ativa_pacer_free(p);
}

static void pacer_holds_a_line_to_its_throughput(void **state)
{
    (void)state;
    ativa_pacer *p = ativa_pacer_new(10.0, 6000, 45);
    assert_non_null(p);
    char customer[32];
    int64_t retry = 0;
    int sent = 0;
    for (int i = 0; i < 100; i++) {
        snprintf(customer, sizeof customer, "55119%08d", i);
        if (ativa_pacer_acquire(p, "1001", customer, 0, &retry) == ATIVA_OK)
            sent++;
    }
    /* A burst of one second's worth, then one per 100 ms. */
    assert_int_equal(sent, 10);
    assert_int_equal(retry, 100);
    /* A refusal by the line does not spend the pair's budget. */
    assert_int_equal(ativa_pacer_pair_count(p), 100);
    assert_int_equal(ativa_pacer_acquire(p, "1001", customer, 100, &retry), ATIVA_OK);
    ativa_pacer_free(p);
}

static void pacer_sweeps_idle_pairs(void **state)
{
    (void)state;
    ativa_pacer *p = ativa_pacer_new(1000.0, 1000, 1);
    assert_non_null(p);
    char customer[32];
    int64_t retry;
    for (int i = 0; i < 600; i++) {
        snprintf(customer, sizeof customer, "55219%08d", i);
        assert_int_equal(ativa_pacer_acquire(p, "7", customer, i, &retry), ATIVA_OK);
    }
    assert_int_equal(ativa_pacer_pair_count(p), 600);
    /* At t=1000 the pairs that sent at t<=0 are full again; at t=1599 all are. */
    assert_int_equal(ativa_pacer_sweep(p, 1000), 1);
    assert_int_equal(ativa_pacer_sweep(p, 1599), 599);
    assert_int_equal(ativa_pacer_pair_count(p), 0);
    /* Still usable after the table shrank. */
    assert_int_equal(ativa_pacer_acquire(p, "7", "5521900000001", 2000, &retry), ATIVA_OK);
    assert_int_equal(ativa_pacer_acquire(p, "7", "5521900000001", 2000, &retry),
                     ATIVA_ERR_RATE_LIMITED);
    ativa_pacer_free(p);
}

static void pacer_refuses_bad_arguments(void **state)
{
    (void)state;
    assert_null(ativa_pacer_new(0, 6000, 1));
    assert_null(ativa_pacer_new(80, 0, 1));
    assert_null(ativa_pacer_new(80, 6000, 0));
    ativa_pacer *p = ativa_pacer_new(80, 6000, 1);
    int64_t retry;
    assert_int_equal(ativa_pacer_acquire(p, "", "1", 0, &retry), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_pacer_acquire(p, "1", NULL, 0, &retry), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_pacer_acquire(p, "1", "1", 0, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    char long_line[80];
    memset(long_line, '1', sizeof long_line - 1);
    long_line[sizeof long_line - 1] = '\0';
    assert_int_equal(ativa_pacer_acquire(p, long_line, "1", 0, &retry), ATIVA_ERR_INVALID_ARGUMENT);
    ativa_pacer_free(p);
    ativa_pacer_free(NULL);
    assert_int_equal(ativa_pacer_sweep(NULL, 0), 0);
}

static void backoff_grows_and_is_capped(void **state)
{
    (void)state;
    /* With the smallest and the largest random value, the bounds of each attempt. */
    assert_int_equal(ativa_backoff_ms(1, 1000, 60000, 0), 500);
    assert_int_equal(ativa_backoff_ms(1, 1000, 60000, UINT32_MAX), 500 + UINT32_MAX % 501);
    assert_int_equal(ativa_backoff_ms(3, 1000, 60000, 0), 2000);
    assert_int_equal(ativa_backoff_ms(10, 1000, 60000, 0), 30000);
    for (uint32_t r = 0; r < 5000; r += 7) {
        int64_t d = ativa_backoff_ms(4, 1000, 60000, r);
        assert_true(d >= 4000 && d <= 8000);
        d = ativa_backoff_ms(40, 1000, 60000, r);
        assert_true(d >= 30000 && d <= 60000);
    }
    assert_int_equal(ativa_backoff_ms(0, 0, 0, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bucket_allows_burst_then_paces),
        cmocka_unit_test(bucket_rate_is_exact_over_a_second),
        cmocka_unit_test(bucket_ignores_a_clock_going_back),
        cmocka_unit_test(pacer_paces_each_pair),
        cmocka_unit_test(pacer_holds_a_line_to_its_throughput),
        cmocka_unit_test(pacer_sweeps_idle_pairs),
        cmocka_unit_test(pacer_refuses_bad_arguments),
        cmocka_unit_test(backoff_grows_and_is_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
