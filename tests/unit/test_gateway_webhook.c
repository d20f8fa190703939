/* Meta's webhook verification handshake as the gateway judges it. */
#include "support.h"

#include "webhook.h"

#include <string.h>

static void the_right_handshake_is_accepted(void **state)
{
    (void)state;
    assert_null(
        ativa_webhook_check_verification("subscribe", "verify-me", "1158201444", "verify-me"));
    assert_null(
        ativa_webhook_check_verification("subscribe", "verify-me", "abcXYZ019", "verify-me"));
    char longest[ATIVA_WEBHOOK_CHALLENGE_MAX + 1];
    memset(longest, '7', ATIVA_WEBHOOK_CHALLENGE_MAX);
    longest[ATIVA_WEBHOOK_CHALLENGE_MAX] = '\0';
    assert_null(ativa_webhook_check_verification("subscribe", "verify-me", longest, "verify-me"));
}

static void anything_else_is_refused_with_a_reason(void **state)
{
    (void)state;
    const char *t = "verify-me";
    assert_string_equal(ativa_webhook_check_verification(NULL, t, "1", t), "hub.mode missing");
    assert_string_equal(ativa_webhook_check_verification("unsubscribe", t, "1", t),
                        "hub.mode is not subscribe");
    assert_string_equal(ativa_webhook_check_verification("subscribe", NULL, "1", t),
                        "hub.verify_token missing");
    const char *mismatch = "hub.verify_token does not match webhook.verify_token";
    assert_string_equal(ativa_webhook_check_verification("subscribe", "verify-mf", "1", t),
                        mismatch);
    assert_string_equal(ativa_webhook_check_verification("subscribe", "verify-me2", "1", t),
                        mismatch);
    assert_string_equal(ativa_webhook_check_verification("subscribe", "", "1", t), mismatch);
    /* No configured token never matches, not even an empty one. */
    assert_string_equal(ativa_webhook_check_verification("subscribe", "", "1", ""), mismatch);
    assert_string_equal(ativa_webhook_check_verification("subscribe", "x", "1", NULL), mismatch);
    assert_string_equal(ativa_webhook_check_verification("subscribe", t, NULL, t),
                        "hub.challenge missing");
    const char *bad_challenge = "hub.challenge is not 1 to 128 letters or digits";
    assert_string_equal(ativa_webhook_check_verification("subscribe", t, "", t), bad_challenge);
    assert_string_equal(ativa_webhook_check_verification("subscribe", t, "<script>", t),
                        bad_challenge);
    assert_string_equal(ativa_webhook_check_verification("subscribe", t, "12 34", t),
                        bad_challenge);
    char too_long[ATIVA_WEBHOOK_CHALLENGE_MAX + 2];
    memset(too_long, '7', ATIVA_WEBHOOK_CHALLENGE_MAX + 1);
    too_long[ATIVA_WEBHOOK_CHALLENGE_MAX + 1] = '\0';
    assert_string_equal(ativa_webhook_check_verification("subscribe", t, too_long, t),
                        bad_challenge);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_right_handshake_is_accepted),
        cmocka_unit_test(anything_else_is_refused_with_a_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
