/* Graph API error codes: words for the agent and the retry rule. */
#include "support.h"

#include <stdio.h>
#include <string.h>

#include "ativa/meta.h"

/* The codes the product must explain, with the retry class each must have. */
static const struct {
    long long code;
    bool retryable;
} required[] = {
    {131047, false}, {131026, false}, {131049, false}, {131050, false}, {131051, false},
    {131056, true},  {130429, true},  {131048, false}, {131000, true},  {131008, false},
    {131009, false}, {131016, true},  {131057, true},  {132000, false}, {132001, false},
    {132005, false}, {132012, false}, {132015, false}, {132016, false}, {132018, false},
    {190, false},    {100, false},    {4, true},       {80007, true},   {1, true},
    {2, true},       {130472, false}, {133010, false},
};

static void required_codes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        const ativa_meta_error_info *info = ativa_meta_error_lookup(required[i].code);
        if (!info)
            fprintf(stderr, "code %lld is not in the table\n", required[i].code);
        assert_non_null(info);
        assert_int_equal(info->code, required[i].code);
        assert_int_equal(info->retryable, required[i].retryable);
        assert_true(strlen(info->text_pt) > 20);
        /* The class decides by itself, whatever HTTP status carried it. */
        assert_int_equal(ativa_meta_error_retryable(400, required[i].code), required[i].retryable);
        assert_int_equal(ativa_meta_error_retryable(500, required[i].code), required[i].retryable);
    }
}

static void table_is_sound(void **state)
{
    (void)state;
    size_t count = 0;
    const ativa_meta_error_info *table = ativa_meta_error_table(&count);
    assert_true(count >= sizeof required / sizeof required[0]);
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            assert_true(table[i - 1].code < table[i].code); /* sorted and unique */
        assert_ptr_equal(ativa_meta_error_lookup(table[i].code), &table[i]);
        assert_true(table[i].err > ATIVA_OK && table[i].err < ATIVA_ERR__COUNT);
        /* Texts end a sentence: the console shows them as they are. */
        size_t len = strlen(table[i].text_pt);
        assert_true(len > 0 && table[i].text_pt[len - 1] == '.');
        /* Retryable ones tell the agent nothing is needed from them; the others do not. */
        assert_int_equal(strstr(table[i].text_pt, "reenviada") != NULL, table[i].retryable);
    }
    assert_non_null(ativa_meta_error_table(NULL));
}

static void specific_texts(void **state)
{
    (void)state;
    char buf[256];
    assert_string_equal(ativa_meta_error_describe_pt(131047, buf, sizeof buf),
                        "Mais de 24 horas se passaram desde a última mensagem do cliente; envie "
                        "um modelo aprovado.");
    assert_int_equal(ativa_meta_error_lookup(131047)->err, ATIVA_ERR_WINDOW_CLOSED);
    assert_int_equal(ativa_meta_error_lookup(132001)->err, ATIVA_ERR_TEMPLATE_NOT_FOUND);
    assert_int_equal(ativa_meta_error_lookup(132015)->err, ATIVA_ERR_TEMPLATE_NOT_APPROVED);
    assert_int_equal(ativa_meta_error_lookup(131026)->err, ATIVA_ERR_SEND_FAILED);
    assert_non_null(strstr(ativa_meta_error_describe_pt(131050, buf, sizeof buf), "marketing"));
    assert_non_null(strstr(ativa_meta_error_describe_pt(190, buf, sizeof buf), "administrador"));
}

static void unknown_codes(void **state)
{
    (void)state;
    char buf[128];
    assert_null(ativa_meta_error_lookup(999999));
    assert_null(ativa_meta_error_lookup(0));
    assert_null(ativa_meta_error_lookup(-1));
    assert_string_equal(ativa_meta_error_describe_pt(999999, buf, sizeof buf),
                        "O WhatsApp recusou a mensagem (erro 999999).");
    assert_non_null(strstr(ativa_meta_error_describe_pt(135000, buf, sizeof buf), "135000"));
    /* Truncation keeps the buffer a string. */
    char tiny[8];
    assert_ptr_equal(ativa_meta_error_describe_pt(131047, tiny, sizeof tiny), tiny);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
    assert_null(ativa_meta_error_describe_pt(1, NULL, 10));
    /* An unknown code falls back to the HTTP status. */
    assert_true(ativa_meta_error_retryable(503, 999999));
    assert_true(ativa_meta_error_retryable(429, 999999));
    assert_false(ativa_meta_error_retryable(400, 999999));
    assert_false(ativa_meta_error_retryable(404, 0));
    assert_true(ativa_meta_error_retryable(502, 0));
}

static void http_status_rule(void **state)
{
    (void)state;
    static const struct {
        int status;
        bool retryable;
    } cases[] = {{500, true},  {502, true},  {503, true},  {504, true},  {599, true},
                 {429, true},  {400, false}, {401, false}, {403, false}, {404, false},
                 {408, false}, {413, false}, {200, false}, {0, false},   {600, false}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(ativa_meta_http_status_retryable(cases[i].status), cases[i].retryable);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(required_codes),   cmocka_unit_test(table_is_sound),
        cmocka_unit_test(specific_texts),   cmocka_unit_test(unknown_codes),
        cmocka_unit_test(http_status_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
