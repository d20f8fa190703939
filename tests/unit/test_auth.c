/* Password hashes, session tokens and login throttling. */
#include "support.h"

#include <stdio.h>
#include <string.h>

#include "ativa/auth.h"

/* Cheap cost so that the tests stay fast; the format and checks are the same. */
static const ativa_auth_cost cheap = {.n = 1024, .r = 8, .p = 1};

static void password_round_trip(void **state)
{
    (void)state;
    char stored[ATIVA_AUTH_HASH_MAX];
    assert_int_equal(ativa_auth_hash_password("correct horse", &cheap, stored), ATIVA_OK);
    assert_true(strncmp(stored, "scrypt$1024$8$1$", 16) == 0);
    assert_null(strstr(stored, "correct horse"));
    assert_int_equal(ativa_auth_verify_password("correct horse", stored), ATIVA_OK);
    assert_int_equal(ativa_auth_verify_password("correct horsf", stored),
                     ATIVA_ERR_BAD_CREDENTIALS);
    assert_int_equal(ativa_auth_verify_password("", stored), ATIVA_ERR_BAD_CREDENTIALS);

    /* A fresh salt each time: the same password never gives the same string. */
    char again[ATIVA_AUTH_HASH_MAX];
    assert_int_equal(ativa_auth_hash_password("correct horse", &cheap, again), ATIVA_OK);
    assert_string_not_equal(stored, again);
    assert_int_equal(ativa_auth_verify_password("correct horse", again), ATIVA_OK);
}

static void default_cost_is_slow_scrypt(void **state)
{
    (void)state;
    char stored[ATIVA_AUTH_HASH_MAX];
    assert_int_equal(ativa_auth_hash_password("senha-do-supervisor", NULL, stored), ATIVA_OK);
    assert_true(strncmp(stored, "scrypt$32768$8$1$", 17) == 0);
    assert_int_equal(ativa_auth_verify_password("senha-do-supervisor", stored), ATIVA_OK);
}

static void password_bounds(void **state)
{
    (void)state;
    char stored[ATIVA_AUTH_HASH_MAX];
    assert_int_equal(ativa_auth_hash_password("1234567", &cheap, stored),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_string_equal(stored, "");
    assert_int_equal(ativa_auth_hash_password("12345678", &cheap, stored), ATIVA_OK);
    char longest[ATIVA_AUTH_PASSWORD_MAX + 2];
    memset(longest, 'x', sizeof longest);
    longest[ATIVA_AUTH_PASSWORD_MAX] = '\0';
    assert_int_equal(ativa_auth_hash_password(longest, &cheap, stored), ATIVA_OK);
    assert_int_equal(ativa_auth_verify_password(longest, stored), ATIVA_OK);
    longest[ATIVA_AUTH_PASSWORD_MAX] = 'x';
    longest[ATIVA_AUTH_PASSWORD_MAX + 1] = '\0';
    assert_int_equal(ativa_auth_hash_password(longest, &cheap, stored), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_auth_hash_password(NULL, &cheap, stored), ATIVA_ERR_INVALID_ARGUMENT);
    const ativa_auth_cost not_power_of_two = {.n = 1000, .r = 8, .p = 1};
    assert_int_equal(ativa_auth_hash_password("12345678", &not_power_of_two, stored),
                     ATIVA_ERR_INVALID_ARGUMENT);
}

static void stored_strings_that_are_not_hashes(void **state)
{
    (void)state;
    char stored[ATIVA_AUTH_HASH_MAX];
    assert_int_equal(ativa_auth_hash_password("correct horse", &cheap, stored), ATIVA_OK);
    const char *bad[] = {
        "",
        "correct horse",
        "bcrypt$10$abc",
        "scrypt$1024$8$1$short$short",
        "scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$4294967296$8$1$AAAAAAAAAAAAAAAAAAAAAA==$"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(ativa_auth_verify_password("correct horse", bad[i]),
                         ATIVA_ERR_STORE_CORRUPT);
    /* Trailing garbage after a good hash is corruption too. */
    char trailing[ATIVA_AUTH_HASH_MAX + 8];
    snprintf(trailing, sizeof trailing, "%s!", stored);
    assert_int_equal(ativa_auth_verify_password("correct horse", trailing),
                     ATIVA_ERR_STORE_CORRUPT);
}

static void tokens_are_random_and_stored_hashed(void **state)
{
    (void)state;
    char token[ATIVA_AUTH_TOKEN_MAX], hash[ATIVA_AUTH_TOKEN_HASH_MAX];
    char token2[ATIVA_AUTH_TOKEN_MAX], hash2[ATIVA_AUTH_TOKEN_HASH_MAX];
    assert_int_equal(ativa_auth_new_token(token, hash), ATIVA_OK);
    assert_int_equal(ativa_auth_new_token(token2, hash2), ATIVA_OK);
    assert_int_equal(strlen(token), 43);
    assert_int_equal(strlen(hash), 64);
    assert_string_not_equal(token, token2);
    assert_string_not_equal(hash, hash2);
    assert_null(strpbrk(token, "+/="));

    char again[ATIVA_AUTH_TOKEN_HASH_MAX];
    assert_int_equal(ativa_auth_token_hash(token, again), ATIVA_OK);
    assert_string_equal(again, hash);

    /* SHA-256 of a known 43-character token, as computed by sha256sum(1). */
    assert_int_equal(ativa_auth_token_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", again),
                     ATIVA_OK);
    assert_string_equal(again, "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a");
}

static void malformed_tokens_are_refused_before_look_up(void **state)
{
    (void)state;
    char hash[ATIVA_AUTH_TOKEN_HASH_MAX];
    assert_int_equal(ativa_auth_token_hash(NULL, hash), ATIVA_ERR_UNAUTHENTICATED);
    assert_int_equal(ativa_auth_token_hash("", hash), ATIVA_ERR_UNAUTHENTICATED);
    assert_int_equal(ativa_auth_token_hash("AAAA", hash), ATIVA_ERR_UNAUTHENTICATED);
    assert_int_equal(ativa_auth_token_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", hash),
                     ATIVA_ERR_UNAUTHENTICATED);
    assert_int_equal(ativa_auth_token_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"", hash),
                     ATIVA_ERR_UNAUTHENTICATED);
    assert_string_equal(hash, "");
}

static void failed_logins_slow_down(void **state)
{
    (void)state;
    for (uint32_t f = 0; f <= 3; f++)
        assert_true(ativa_auth_retry_after_ms(f, 10000) <= 10000);
    assert_int_equal(ativa_auth_retry_after_ms(4, 10000), 11000);
    assert_int_equal(ativa_auth_retry_after_ms(5, 10000), 12000);
    assert_int_equal(ativa_auth_retry_after_ms(6, 10000), 14000);
    assert_int_equal(ativa_auth_retry_after_ms(20, 10000), 10000 + 300000);
    assert_int_equal(ativa_auth_retry_after_ms(UINT32_MAX, 10000), 10000 + 300000);
}

static void login_names(void **state)
{
    (void)state;
    assert_int_equal(ativa_auth_login_valid("maria.silva"), ATIVA_OK);
    assert_int_equal(ativa_auth_login_valid("sup-01_b"), ATIVA_OK);
    assert_int_equal(ativa_auth_login_valid(""), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_auth_login_valid(NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_auth_login_valid("Maria"), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_auth_login_valid("maria silva"), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_auth_login_valid("joão"), ATIVA_ERR_INVALID_ARGUMENT);
    char longest[66];
    memset(longest, 'a', 65);
    longest[65] = '\0';
    assert_int_equal(ativa_auth_login_valid(longest), ATIVA_ERR_INVALID_ARGUMENT);
    longest[64] = '\0';
    assert_int_equal(ativa_auth_login_valid(longest), ATIVA_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(password_round_trip),
        cmocka_unit_test(default_cost_is_slow_scrypt),
        cmocka_unit_test(password_bounds),
        cmocka_unit_test(stored_strings_that_are_not_hashes),
        cmocka_unit_test(tokens_are_random_and_stored_hashed),
        cmocka_unit_test(malformed_tokens_are_refused_before_look_up),
        cmocka_unit_test(failed_logins_slow_down),
        cmocka_unit_test(login_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
