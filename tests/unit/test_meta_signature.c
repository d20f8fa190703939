/* X-Hub-Signature-256: data-driven cases from tests/fixtures/signature/<case>/ plus the API edges.
 */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ativa/meta.h"

static void strip_newline(char *s)
{
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        s[--len] = '\0';
}

static char *fixture_text(const char *name, const char *file, int required)
{
    char rel[256];
    snprintf(rel, sizeof rel, "signature/%s/%s", name, file);
    char *text = required ? test_read_fixture(rel, NULL) : test_read_fixture_optional(rel, NULL);
    if (text)
        strip_newline(text);
    return text;
}

static void fixture_cases(void **state)
{
    (void)state;
    char **names = test_list_fixture_dir("signature");
    int count = 0;
    for (char **name = names; *name; name++, count++) {
        char rel[256];
        size_t body_len = 0;
        snprintf(rel, sizeof rel, "signature/%s/body", *name);
        char *body = test_read_fixture(rel, &body_len);
        char *secret = fixture_text(*name, "secret", 1);
        char *header = fixture_text(*name, "header", 0); /* absent file: no header at all */
        char *expect = fixture_text(*name, "expect", 1);

        ativa_err err = ativa_meta_signature_verify(secret, body, body_len, header);
        if (strcmp(ativa_err_code(err), expect) != 0)
            fprintf(stderr, "signature case %s: got %s, expected %s\n", *name, ativa_err_code(err),
                    expect);
        assert_string_equal(ativa_err_code(err), expect);

        /* What we compute for a body must verify, and must be what Meta would send. */
        char computed[ATIVA_META_SIGNATURE_BUF];
        assert_int_equal(ativa_meta_signature_compute(secret, body, body_len, computed), ATIVA_OK);
        assert_int_equal(ativa_meta_signature_verify(secret, body, body_len, computed), ATIVA_OK);
        if (err == ATIVA_OK && header && strncmp(header + 7, computed + 7, 64) != 0) {
            /* Only the case of the hex digits may differ from the fixture's header. */
            for (size_t i = 7; i < 71; i++)
                assert_true((header[i] | 0x20) == computed[i]);
        }
        free(body);
        free(secret);
        free(header);
        free(expect);
    }
    test_free_names(names);
    assert_true(count >= 10);
}

static void compute_known_vector(void **state)
{
    (void)state;
    /* RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?". */
    const char *data = "what do ya want for nothing?";
    char out[ATIVA_META_SIGNATURE_BUF];
    assert_int_equal(ativa_meta_signature_compute("Jefe", data, strlen(data), out), ATIVA_OK);
    assert_string_equal(out,
                        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    assert_int_equal(strlen(out), ATIVA_META_SIGNATURE_BUF - 1);
}

static void invalid_arguments(void **state)
{
    (void)state;
    char out[ATIVA_META_SIGNATURE_BUF] = "x";
    assert_int_equal(ativa_meta_signature_compute(NULL, "a", 1, out), ATIVA_ERR_INVALID_ARGUMENT);
    assert_string_equal(out, "");
    assert_int_equal(ativa_meta_signature_compute("", "a", 1, out), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_signature_compute("s", NULL, 1, out), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_signature_compute("s", "a", 1, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_signature_compute("s", NULL, 0, out), ATIVA_OK);

    char good[ATIVA_META_SIGNATURE_BUF];
    assert_int_equal(ativa_meta_signature_compute("s", "a", 1, good), ATIVA_OK);
    assert_int_equal(ativa_meta_signature_verify("s", "a", 1, good), ATIVA_OK);
    assert_int_equal(ativa_meta_signature_verify(NULL, "a", 1, good), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_signature_verify("", "a", 1, good), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_signature_verify("s", NULL, 1, good), ATIVA_ERR_INVALID_ARGUMENT);
    /* The header is judged before the secret: a request without one is "missing" regardless. */
    assert_int_equal(ativa_meta_signature_verify(NULL, "a", 1, NULL), ATIVA_ERR_SIGNATURE_MISSING);
    /* A NUL inside the hex makes it short. */
    char cut[ATIVA_META_SIGNATURE_BUF];
    memcpy(cut, good, sizeof cut);
    cut[40] = '\0';
    assert_int_equal(ativa_meta_signature_verify("s", "a", 1, cut), ATIVA_ERR_SIGNATURE_MALFORMED);
}

static void body_bytes_not_strings(void **state)
{
    (void)state;
    /* The body is bytes: an embedded NUL is covered, so truncating at it must not verify. */
    const char body[] = {'{', '}', '\0', 'x'};
    char sig[ATIVA_META_SIGNATURE_BUF];
    assert_int_equal(ativa_meta_signature_compute("k", body, sizeof body, sig), ATIVA_OK);
    assert_int_equal(ativa_meta_signature_verify("k", body, sizeof body, sig), ATIVA_OK);
    assert_int_equal(ativa_meta_signature_verify("k", body, 2, sig), ATIVA_ERR_SIGNATURE_MISMATCH);
    assert_int_equal(ativa_meta_signature_verify("K", body, sizeof body, sig),
                     ATIVA_ERR_SIGNATURE_MISMATCH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixture_cases),
        cmocka_unit_test(compute_known_vector),
        cmocka_unit_test(invalid_arguments),
        cmocka_unit_test(body_bytes_not_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
