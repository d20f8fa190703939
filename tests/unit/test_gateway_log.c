/* The gateway's structured log lines and its clock. */
#include "support.h"

#include "clock.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

/* 2026-11-23T20:17:38.123Z */
#define T0 1795465058123LL

static void line_has_time_level_message_and_values(void **state)
{
    (void)state;
    char buf[512];
    int n = ativa_log_format(buf, sizeof buf, T0, ATIVA_LOG_INFO, "listening", "port=%d addr=%s",
                             8443, "127.0.0.1");
    assert_string_equal(buf, "ts=2026-11-23T20:17:38.123Z level=info msg=listening port=8443 "
                             "addr=127.0.0.1\n");
    assert_int_equal(n, (int)strlen(buf));

    ativa_log_format(buf, sizeof buf, T0, ATIVA_LOG_WARN, "drain timed out", NULL);
    assert_string_equal(buf, "ts=2026-11-23T20:17:38.123Z level=warn msg=\"drain timed out\"\n");
}

static void outside_values_cannot_break_the_line(void **state)
{
    (void)state;
    char buf[512];
    ativa_log_format(buf, sizeof buf, T0, ATIVA_LOG_ERROR, "x", "v=%s w=%s e=%s",
                     "a b\nlevel=debug msg=forged", "say \"hi\"\\\t\x01", "");
    assert_string_equal(buf, "ts=2026-11-23T20:17:38.123Z level=error msg=x "
                             "v=\"a b\\nlevel=debug msg=forged\" w=\"say \\\"hi\\\"\\\\\\t\\x01\" "
                             "e=\"\"\n");
    assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1); /* one line, whatever came in */
}

static void numbers_and_precision_follow_printf(void **state)
{
    (void)state;
    char buf[512];
    const char *volatile nothing = NULL;
    ativa_log_format(buf, sizeof buf, T0, ATIVA_LOG_DEBUG, "n",
                     "a=%u b=%lld c=%zu d=%05d e=%x f=%.3s g=%.*s h=%% i=%ld j=%hhu k=%c l=%s", 42u,
                     -7LL, (size_t)9, 12, 255u, "abcdef", 2, "xyz", -3L, 300, 'Q', nothing);
    assert_string_equal(buf, "ts=2026-11-23T20:17:38.123Z level=debug msg=n a=42 b=-7 c=9 "
                             "d=00012 e=ff f=abc g=xy h=% i=-3 j=44 k=Q l=(null)\n");
}

static void long_lines_are_cut_and_still_end_the_line(void **state)
{
    (void)state;
    char big[300];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char buf[128];
    int n = ativa_log_format(buf, sizeof buf, T0, ATIVA_LOG_INFO, "m", "v=%s", big);
    assert_int_equal(n, (int)strlen(buf));
    assert_true(n < (int)sizeof buf);
    assert_string_equal(buf + n - 4, "...\n");
    /* Too small to be useful: empty, but NUL-terminated. */
    char tiny[4] = "abc";
    assert_int_equal(ativa_log_format(tiny, sizeof tiny, T0, ATIVA_LOG_INFO, "m", NULL), 0);
    assert_string_equal(tiny, "");
}

static void levels_parse_filter_and_name(void **state)
{
    (void)state;
    enum ativa_log_level l = ATIVA_LOG_INFO;
    assert_true(ativa_log_level_parse("debug", &l));
    assert_int_equal(l, ATIVA_LOG_DEBUG);
    assert_true(ativa_log_level_parse("error", &l));
    assert_int_equal(l, ATIVA_LOG_ERROR);
    assert_false(ativa_log_level_parse("DEBUG", &l));
    assert_false(ativa_log_level_parse(NULL, &l));
    assert_int_equal(l, ATIVA_LOG_ERROR);
    assert_string_equal(ativa_log_level_name(ATIVA_LOG_WARN), "warn");
    assert_string_equal(ativa_log_level_name((enum ativa_log_level)99), "info");

    ativa_log_set_level(ATIVA_LOG_WARN);
    assert_int_equal(ativa_log_get_level(), ATIVA_LOG_WARN);
    assert_true(ativa_log_enabled(ATIVA_LOG_ERROR));
    assert_true(ativa_log_enabled(ATIVA_LOG_WARN));
    assert_false(ativa_log_enabled(ATIVA_LOG_INFO));
    ativa_log_info("dropped", "k=%d", 1); /* below the level: writes nothing */
    ativa_log_set_level(ATIVA_LOG_INFO);
}

static void clock_offset_shifts_wall_time_only(void **state)
{
    (void)state;
    assert_int_equal(ativa_clock_init(NULL), 0);
    assert_int_equal(ativa_clock_offset_ms(), 0);
    int64_t before = ativa_clock_now_ms();
    assert_int_equal(ativa_clock_init("86400000"), 0);
    assert_int_equal(ativa_clock_offset_ms(), 86400000);
    int64_t shifted = ativa_clock_now_ms();
    assert_true(shifted - before >= 86400000 && shifted - before < 86400000 + 5000);
    assert_int_equal(ativa_clock_init("-1000"), 0);
    assert_int_equal(ativa_clock_offset_ms(), -1000);

    /* Malformed or absurd offsets are refused and leave no offset. */
    const char *bad[] = {"1h", "12 ", "", "99999999999999999999", "400000000000000", "+-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = ativa_clock_init(bad[i]);
        assert_true(rc == -1 || (bad[i][0] == '\0' && rc == 0));
        assert_int_equal(ativa_clock_offset_ms(), 0);
    }
    int64_t m1 = ativa_clock_monotonic_ms(), m2 = ativa_clock_monotonic_ms();
    assert_true(m2 >= m1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(line_has_time_level_message_and_values),
        cmocka_unit_test(outside_values_cannot_break_the_line),
        cmocka_unit_test(numbers_and_precision_follow_printf),
        cmocka_unit_test(long_lines_are_cut_and_still_end_the_line),
        cmocka_unit_test(levels_parse_filter_and_name),
        cmocka_unit_test(clock_offset_shifts_wall_time_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
