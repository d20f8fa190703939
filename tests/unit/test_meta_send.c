/*
 * Send bodies (compared with json_equal to the exact documented shapes) and the answers to them:
 * tests/fixtures/meta_send/{response,error}/<case>/{body.json,expected.json}.
 */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ativa/meta.h"

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    if (!v)
        fprintf(stderr, "test JSON: %s\n", jerr.text);
    assert_non_null(v);
    return v;
}

static void assert_json(json_t *actual, const char *expected_text)
{
    json_t *expected = load(expected_text);
    if (!json_equal(actual, expected)) {
        char *a = json_dumps(actual, JSON_SORT_KEYS);
        fprintf(stderr, "actual:   %s\nexpected: %s\n", a ? a : "(null)", expected_text);
        free(a);
    }
    assert_true(json_equal(actual, expected));
    json_decref(expected);
}

/* n copies of a UTF-8 sequence. */
static char *repeat(const char *unit, size_t n)
{
    size_t len = strlen(unit);
    char *s = malloc(len * n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * len, unit, len);
    s[len * n] = '\0';
    return s;
}

static void text_body(void **state)
{
    (void)state;
    json_t *msg = NULL;
    assert_int_equal(ativa_meta_send_text_new("+16505551234", "Hello", &msg), ATIVA_OK);
    assert_json(msg, "{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
                     "\"to\":\"+16505551234\",\"type\":\"text\","
                     "\"text\":{\"preview_url\":false,\"body\":\"Hello\"}}");
    json_decref(msg);

    assert_int_equal(ativa_meta_send_text_new("5511999999999", "Olá, tudo bem?\nLinha 2", &msg),
                     ATIVA_OK);
    assert_json(msg,
                "{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
                "\"to\":\"5511999999999\",\"type\":\"text\","
                "\"text\":{\"preview_url\":false,\"body\":\"Ol\\u00e1, tudo bem?\\nLinha 2\"}}");
    json_decref(msg);
}

static void text_limits(void **state)
{
    (void)state;
    json_t *msg = (json_t *)state; /* must be reset to NULL on every error */
    assert_int_equal(ativa_meta_send_text_new("5511999999999", "", &msg), ATIVA_ERR_TEXT_EMPTY);
    assert_null(msg);

    /* 4096 characters is the limit, counted in code points, not bytes. */
    const char *units[] = {"a", "ã", "€", "😀"};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        char *at_limit = repeat(units[u], ATIVA_TEXT_MAX_CHARS);
        char *over = repeat(units[u], ATIVA_TEXT_MAX_CHARS + 1);
        assert_int_equal(ativa_meta_send_text_new("5511999999999", at_limit, &msg), ATIVA_OK);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(msg, "text"), "body")), at_limit);
        json_decref(msg);
        assert_int_equal(ativa_meta_send_text_new("5511999999999", over, &msg),
                         ATIVA_ERR_TEXT_TOO_LONG);
        assert_null(msg);
        free(at_limit);
        free(over);
    }
    /* Invalid UTF-8 is refused rather than sent for Meta to reject. */
    assert_int_equal(ativa_meta_send_text_new("5511999999999", "\xc3\x28", &msg),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_send_text_new("5511999999999", "ok\xff", &msg),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_null(msg);
}

static void recipient_checks(void **state)
{
    (void)state;
    json_t *msg = NULL;
    assert_int_equal(ativa_meta_send_text_new("", "oi", &msg), ATIVA_ERR_PHONE_EMPTY);
    assert_int_equal(ativa_meta_send_text_new(NULL, "oi", &msg), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_send_text_new("55119abc", "oi", &msg), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_send_text_new("1234567890123456789012345678901234", "oi", &msg),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_send_text_new("5511", NULL, &msg), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_send_text_new("5511", "oi", NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_null(msg);
    /* The punctuation Meta accepts in "to" passes through untouched. */
    assert_int_equal(ativa_meta_send_text_new("+1 (650) 555-1234", "oi", &msg), ATIVA_OK);
    assert_string_equal(json_string_value(json_object_get(msg, "to")), "+1 (650) 555-1234");
    json_decref(msg);
}

static const char positional_components[] =
    "[{\"type\":\"header\",\"parameters\":[{\"type\":\"text\",\"text\":\"Pablo\"}]},"
    "{\"type\":\"body\",\"parameters\":[{\"type\":\"text\",\"text\":\"Jessica\"},"
    "{\"type\":\"text\",\"text\":\"SKBUP2-4CPIG9\"}]},"
    "{\"type\":\"button\",\"sub_type\":\"quick_reply\",\"index\":\"0\","
    "\"parameters\":[{\"type\":\"payload\",\"payload\":\"STOP\"}]},"
    "{\"type\":\"button\",\"sub_type\":\"url\",\"index\":\"1\","
    "\"parameters\":[{\"type\":\"text\",\"text\":\"summer2023\"}]}]";

static void template_body(void **state)
{
    (void)state;
    json_t *components = load(positional_components);
    json_t *msg = NULL;
    assert_int_equal(ativa_meta_send_template_new("+16505551234", "order_confirmation", "en_US",
                                                  components, &msg),
                     ATIVA_OK);
    char expected[2048];
    snprintf(expected, sizeof expected,
             "{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
             "\"to\":\"+16505551234\",\"type\":\"template\",\"template\":{\"name\":"
             "\"order_confirmation\",\"language\":{\"code\":\"en_US\"},\"components\":%s}}",
             positional_components);
    assert_json(msg, expected);
    /* Borrowed: the caller's reference is still its own. */
    assert_int_equal(components->refcount, 2);
    json_decref(msg);
    assert_int_equal(components->refcount, 1);
    json_decref(components);
}

static void template_without_components(void **state)
{
    (void)state;
    const char *expected =
        "{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
        "\"to\":\"5511999999999\",\"type\":\"template\","
        "\"template\":{\"name\":\"hello_world\",\"language\":{\"code\":\"pt_BR\"}}}";
    json_t *msg = NULL;
    assert_int_equal(
        ativa_meta_send_template_new("5511999999999", "hello_world", "pt_BR", NULL, &msg),
        ATIVA_OK);
    assert_json(msg, expected);
    json_decref(msg);
    json_t *empty = json_array();
    assert_int_equal(
        ativa_meta_send_template_new("5511999999999", "hello_world", "pt_BR", empty, &msg),
        ATIVA_OK);
    assert_json(msg, expected);
    json_decref(msg);
    json_decref(empty);
}

static void template_checks(void **state)
{
    (void)state;
    json_t *msg = NULL;
    json_t *object = json_object();
    assert_int_equal(ativa_meta_send_template_new("5511", "t", "pt_BR", object, &msg),
                     ATIVA_ERR_INVALID_ARGUMENT);
    json_decref(object);
    assert_int_equal(ativa_meta_send_template_new("5511", "", "pt_BR", NULL, &msg),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_send_template_new("5511", "t", "", NULL, &msg),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_send_template_new("5511", NULL, "pt_BR", NULL, &msg),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_send_template_new("5511", "t\xff", "pt_BR", NULL, &msg),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_send_template_new("", "t", "pt_BR", NULL, &msg),
                     ATIVA_ERR_PHONE_EMPTY);
    assert_int_equal(ativa_meta_send_template_new("5511", "t", "pt_BR", NULL, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_null(msg);
}

static json_t *result_json(const ativa_meta_send_result *r)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "result", "ok", "wamid", r->wamid, "wa_id",
                     r->wa_id, "input", r->input, "message_status", r->message_status);
}

static json_t *graph_error_json(const ativa_meta_graph_error *e)
{
    return json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "result", "ok", "code",
                     (json_int_t)e->code, "subcode", (json_int_t)e->subcode, "message", e->message,
                     "type", e->type, "details", e->details, "fbtrace_id", e->fbtrace_id);
}

static void run_answer_fixtures(const char *dir, int is_error)
{
    char **names = test_list_fixture_dir(dir);
    int count = 0;
    for (char **name = names; *name; name++, count++) {
        char rel[256];
        size_t len = 0;
        snprintf(rel, sizeof rel, "%s/%s/body.json", dir, *name);
        char *body = test_read_fixture(rel, &len);
        snprintf(rel, sizeof rel, "%s/%s/expected.json", dir, *name);
        char *expected_text = test_read_fixture(rel, NULL);
        json_t *expected = load(expected_text);

        ativa_err err;
        json_t *actual;
        if (is_error) {
            ativa_meta_graph_error e;
            err = ativa_meta_graph_error_parse(body, len, &e);
            actual = err ? json_pack("{s:s}", "result", ativa_err_code(err)) : graph_error_json(&e);
            if (err)
                assert_int_equal(e.code, 0);
        } else {
            ativa_meta_send_result r;
            err = ativa_meta_send_response_parse(body, len, &r);
            actual = err ? json_pack("{s:s}", "result", ativa_err_code(err)) : result_json(&r);
            if (err)
                assert_string_equal(r.wamid, "");
        }
        assert_non_null(actual);
        if (!json_equal(actual, expected)) {
            char *a = json_dumps(actual, JSON_SORT_KEYS);
            fprintf(stderr, "%s/%s: actual %s\nexpected %s\n", dir, *name, a, expected_text);
            free(a);
        }
        assert_true(json_equal(actual, expected));
        json_decref(actual);
        json_decref(expected);
        free(expected_text);
        free(body);
    }
    test_free_names(names);
    assert_true(count >= 5);
}

static void response_fixtures(void **state)
{
    (void)state;
    run_answer_fixtures("meta_send/response", 0);
}

static void error_fixtures(void **state)
{
    (void)state;
    run_answer_fixtures("meta_send/error", 1);
}

static void answer_arguments(void **state)
{
    (void)state;
    ativa_meta_send_result r;
    ativa_meta_graph_error e;
    assert_int_equal(ativa_meta_send_response_parse(NULL, 3, &r), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_send_response_parse("{}", 2, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_graph_error_parse(NULL, 3, &e), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_meta_graph_error_parse("{}", 2, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    /* An answer far larger than Graph ever sends is not read. */
    size_t big_len = 70 * 1024;
    char *big = malloc(big_len);
    assert_non_null(big);
    memset(big, ' ', big_len);
    const char *ok = "{\"messages\":[{\"id\":\"wamid.X\"}]}";
    memcpy(big, ok, strlen(ok));
    assert_int_equal(ativa_meta_send_response_parse(big, strlen(ok), &r), ATIVA_OK);
    assert_string_equal(r.wamid, "wamid.X");
    assert_int_equal(ativa_meta_send_response_parse(big, big_len, &r),
                     ATIVA_ERR_META_RESPONSE_MALFORMED);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_body),
        cmocka_unit_test(text_limits),
        cmocka_unit_test(recipient_checks),
        cmocka_unit_test(template_body),
        cmocka_unit_test(template_without_components),
        cmocka_unit_test(template_checks),
        cmocka_unit_test(response_fixtures),
        cmocka_unit_test(error_fixtures),
        cmocka_unit_test(answer_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
