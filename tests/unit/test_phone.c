/*
 * Phone numbers: every row of tests/fixtures/phone/{clean,validate,key}.tsv, the DDD table, and the
 * ninth-digit equivalence.
 */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ativa/phone.h"

/* A fixture row: input (escapes decoded) and the expected column as written. */
struct row {
    int line;
    char input[256];
    char expected[64];
};

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode \t \n \r \v \f \\ and \xHH so that the TSV can carry tabs and non-ASCII bytes. */
static void unescape(const char *src, size_t len, char *dst, size_t cap, int line)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '\\') {
            if (i + 1 >= len)
                fail_msg("line %d: dangling backslash", line);
            char e = src[++i];
            switch (e) {
            case 't':
                c = '\t';
                break;
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case 'v':
                c = '\v';
                break;
            case 'f':
                c = '\f';
                break;
            case '\\':
                c = '\\';
                break;
            case 'x': {
                if (i + 2 >= len || hex_value(src[i + 1]) < 0 || hex_value(src[i + 2]) < 0)
                    fail_msg("line %d: bad \\x escape", line);
                c = (char)(hex_value(src[i + 1]) * 16 + hex_value(src[i + 2]));
                i += 2;
                break;
            }
            default:
                fail_msg("line %d: unknown escape \\%c", line, e);
            }
        }
        if (n + 1 >= cap)
            fail_msg("line %d: input too long for the test buffer", line);
        dst[n++] = c;
    }
    dst[n] = '\0';
}

/* Read every non-blank, non-comment row of a fixture; fails the test if there is none. */
static struct row *read_rows(const char *relative, size_t *count_out)
{
    char *text = test_read_fixture(relative, NULL);
    size_t cap = 16, count = 0;
    struct row *rows = calloc(cap, sizeof *rows);
    assert_non_null(rows);
    int line = 0;
    for (char *p = text; *p != '\0';) {
        char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        line++;
        if (len > 0 && p[0] != '#') {
            char *tab = memchr(p, '\t', len);
            if (tab == NULL)
                fail_msg("%s:%d: no tab", relative, line);
            size_t in_len = (size_t)(tab - p);
            size_t exp_len = len - in_len - 1;
            if (memchr(tab + 1, '\t', exp_len) != NULL)
                fail_msg("%s:%d: more than two columns", relative, line);
            if (exp_len == 0 || exp_len >= sizeof rows[0].expected)
                fail_msg("%s:%d: bad expected column", relative, line);
            if (count == cap) {
                cap *= 2;
                rows = realloc(rows, cap * sizeof *rows);
                assert_non_null(rows);
            }
            struct row *r = &rows[count++];
            r->line = line;
            unescape(p, in_len, r->input, sizeof r->input, line);
            memcpy(r->expected, tab + 1, exp_len);
            r->expected[exp_len] = '\0';
        }
        p = end ? end + 1 : p + len;
    }
    free(text);
    if (count == 0)
        fail_msg("%s has no rows", relative);
    *count_out = count;
    return rows;
}

static const char *kind_word(ativa_phone_kind kind)
{
    switch (kind) {
    case ATIVA_PHONE_OTHER:
        return "other";
    case ATIVA_PHONE_BR_MOBILE:
        return "mobile";
    case ATIVA_PHONE_BR_LANDLINE:
        return "landline";
    }
    return "?";
}

/* Rows whose expected column is digits expect success with that output, else an error code. */
typedef ativa_err (*digits_fn)(const char *, char[ATIVA_PHONE_MAX]);

static void run_digits_fixture(const char *relative, digits_fn fn)
{
    size_t count = 0;
    struct row *rows = read_rows(relative, &count);
    int failures = 0;
    for (size_t i = 0; i < count; i++) {
        const struct row *r = &rows[i];
        char out[ATIVA_PHONE_MAX];
        memset(out, 'X', sizeof out);
        ativa_err err = fn(r->input, out);
        bool want_ok = r->expected[0] >= '0' && r->expected[0] <= '9';
        const char *want_out = want_ok ? r->expected : "";
        const char *want_code = want_ok ? "ok" : r->expected;
        if (strcmp(ativa_err_code(err), want_code) != 0 || memchr(out, '\0', sizeof out) == NULL ||
            strcmp(out, want_out) != 0) {
            print_error("%s:%d: input \"%s\": got %s \"%.*s\", want %s \"%s\"\n", relative, r->line,
                        r->input, ativa_err_code(err), (int)sizeof out, out, want_code, want_out);
            failures++;
        }
    }
    free(rows);
    assert_int_equal(failures, 0);
}

static void clean_fixture(void **state)
{
    (void)state;
    run_digits_fixture("phone/clean.tsv", ativa_phone_clean);
}

static void key_fixture(void **state)
{
    (void)state;
    run_digits_fixture("phone/key.tsv", ativa_phone_key);
}

static void validate_fixture(void **state)
{
    (void)state;
    size_t count = 0;
    struct row *rows = read_rows("phone/validate.tsv", &count);
    int failures = 0;
    for (size_t i = 0; i < count; i++) {
        const struct row *r = &rows[i];
        ativa_phone_kind kind = (ativa_phone_kind)-1;
        ativa_err err = ativa_phone_validate(r->input, &kind);
        char got[64];
        if (err == ATIVA_OK)
            snprintf(got, sizeof got, "ok:%s", kind_word(kind));
        else
            snprintf(got, sizeof got, "%s", ativa_err_code(err));
        /* The kind is optional: the verdict must not depend on asking for it. */
        ativa_err without_kind = ativa_phone_validate(r->input, NULL);
        if (strcmp(got, r->expected) != 0 || without_kind != err) {
            print_error("phone/validate.tsv:%d: input \"%s\": got %s, want %s\n", r->line, r->input,
                        got, r->expected);
            failures++;
        }
    }
    free(rows);
    assert_int_equal(failures, 0);
}

static void exactly_67_ddds_in_use(void **state)
{
    (void)state;
    int in_use = 0;
    for (int ddd = -1; ddd <= 120; ddd++) {
        if (ativa_phone_br_ddd_valid(ddd)) {
            assert_true(ddd >= 11 && ddd <= 99);
            assert_int_not_equal(ddd % 10, 0);
            in_use++;
        }
    }
    assert_int_equal(in_use, 67);
    assert_true(ativa_phone_br_ddd_valid(11));
    assert_true(ativa_phone_br_ddd_valid(99));
    assert_false(ativa_phone_br_ddd_valid(20));
    assert_false(ativa_phone_br_ddd_valid(1));
    assert_false(ativa_phone_br_ddd_valid(100));
}

/* Both ninth-digit forms of one customer give one key, and it is the strictly valid mobile. */
static void ninth_digit_forms_share_a_key(void **state)
{
    (void)state;
    for (int ddd = 11; ddd <= 99; ddd++) {
        if (!ativa_phone_br_ddd_valid(ddd))
            continue;
        for (char first = '6'; first <= '9'; first++) {
            char old_form[32], new_form[32];
            snprintf(old_form, sizeof old_form, "55%d%c1234567", ddd, first);
            snprintf(new_form, sizeof new_form, "55%d9%c1234567", ddd, first);
            char old_key[ATIVA_PHONE_MAX], new_key[ATIVA_PHONE_MAX];
            assert_int_equal(ativa_phone_key(old_form, old_key), ATIVA_OK);
            assert_int_equal(ativa_phone_key(new_form, new_key), ATIVA_OK);
            assert_string_equal(old_key, new_key);
            assert_string_equal(new_key, new_form);
            ativa_phone_kind kind = ATIVA_PHONE_OTHER;
            assert_int_equal(ativa_phone_validate(new_key, &kind), ATIVA_OK);
            assert_int_equal(kind, ATIVA_PHONE_BR_MOBILE);
            assert_int_equal(ativa_phone_validate(old_form, NULL), ATIVA_ERR_PHONE_BR_MOBILE);
        }
        /* A landline of the same DDD is its own key and distinct from any mobile. */
        char landline[32], key[ATIVA_PHONE_MAX];
        snprintf(landline, sizeof landline, "55%d31234567", ddd);
        assert_int_equal(ativa_phone_key(landline, key), ATIVA_OK);
        assert_string_equal(key, landline);
    }
}

/* The key of a key is itself: storing under the key and looking it up again agree. */
static void key_is_idempotent(void **state)
{
    (void)state;
    const char *inputs[] = {"551199999999", "5511999999999", "551133334444", "12025550123",
                            "447911123456"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char once[ATIVA_PHONE_MAX], twice[ATIVA_PHONE_MAX];
        assert_int_equal(ativa_phone_key(inputs[i], once), ATIVA_OK);
        assert_int_equal(ativa_phone_key(once, twice), ATIVA_OK);
        assert_string_equal(once, twice);
    }
}

static void null_inputs_are_empty(void **state)
{
    (void)state;
    char out[ATIVA_PHONE_MAX] = "junk";
    assert_int_equal(ativa_phone_clean(NULL, out), ATIVA_ERR_PHONE_EMPTY);
    assert_string_equal(out, "");
    assert_int_equal(ativa_phone_validate(NULL, NULL), ATIVA_ERR_PHONE_EMPTY);
    strcpy(out, "junk");
    assert_int_equal(ativa_phone_key(NULL, out), ATIVA_ERR_PHONE_EMPTY);
    assert_string_equal(out, "");
}

/* Clean then validate: what the console does with a pasted number. */
static void clean_then_validate(void **state)
{
    (void)state;
    char out[ATIVA_PHONE_MAX];
    ativa_phone_kind kind = ATIVA_PHONE_OTHER;
    assert_int_equal(ativa_phone_clean("+55 (11) 99999-9999", out), ATIVA_OK);
    assert_int_equal(ativa_phone_validate(out, &kind), ATIVA_OK);
    assert_int_equal(kind, ATIVA_PHONE_BR_MOBILE);
    assert_int_equal(ativa_phone_clean("+55 (11) 9999-9999", out), ATIVA_OK);
    assert_int_equal(ativa_phone_validate(out, &kind), ATIVA_ERR_PHONE_BR_MOBILE);
    assert_int_equal(ativa_phone_clean("+55 (21) 3456-7890", out), ATIVA_OK);
    assert_int_equal(ativa_phone_validate(out, &kind), ATIVA_OK);
    assert_int_equal(kind, ATIVA_PHONE_BR_LANDLINE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_fixture),
        cmocka_unit_test(validate_fixture),
        cmocka_unit_test(key_fixture),
        cmocka_unit_test(exactly_67_ddds_in_use),
        cmocka_unit_test(ninth_digit_forms_share_a_key),
        cmocka_unit_test(key_is_idempotent),
        cmocka_unit_test(null_inputs_are_empty),
        cmocka_unit_test(clean_then_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
