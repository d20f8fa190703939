/* The error table: every error has a distinct code, words in both languages and an HTTP status. */
#include "support.h"

#include <string.h>

#include "ativa/error.h"

static void every_error_is_described(void **state)
{
    (void)state;
    for (int e = 0; e < ATIVA_ERR__COUNT; e++) {
        assert_true(strlen(ativa_err_code((ativa_err)e)) > 0);
        assert_true(strlen(ativa_strerror((ativa_err)e)) > 0);
        assert_true(strlen(ativa_err_text_pt((ativa_err)e)) > 0);
        int status = ativa_err_http_status((ativa_err)e);
        assert_true(status >= 200 && status < 600);
        for (int other = 0; other < e; other++)
            assert_string_not_equal(ativa_err_code((ativa_err)e), ativa_err_code((ativa_err)other));
    }
}

static void success_and_unknown_values(void **state)
{
    (void)state;
    assert_int_equal(ATIVA_OK, 0);
    assert_string_equal(ativa_err_code(ATIVA_OK), "ok");
    assert_int_equal(ativa_err_http_status(ATIVA_OK), 200);
    assert_string_equal(ativa_err_code((ativa_err)9999), "unknown");
    assert_string_equal(ativa_err_code((ativa_err)-1), "unknown");
    assert_string_equal(ativa_err_code(ATIVA_ERR_WINDOW_CLOSED), "window_closed");
    assert_int_equal(ativa_err_http_status(ATIVA_ERR_SIGNATURE_MISMATCH), 401);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_error_is_described),
        cmocka_unit_test(success_and_unknown_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
