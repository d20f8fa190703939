/*
 * Templates: Meta's definitions parsed from tests/fixtures/template/{valid,invalid,pages}, their
 * slots, rendered text, parameter rules and send components, the round trip through Meta's
 * format, and the catalog with its status updates.
 */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ativa/template.h"

/* ---- helpers ---- */

/* One canonical spelling of a JSON value, so that two values compare as strings. */
static char *canon(const json_t *v)
{
    char *s = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(s);
    return s;
}

static void assert_json_same(const json_t *actual, const json_t *expected, const char *what)
{
    char *a = canon(actual);
    char *e = canon(expected);
    if (strcmp(a, e) != 0) {
        fprintf(stderr, "%s differs\n  actual:   %s\n  expected: %s\n", what, a, e);
        free(a);
        free(e);
        fail();
    }
    free(a);
    free(e);
}

static json_t *load_fixture_json(const char *relative)
{
    char *text = test_read_fixture(relative, NULL);
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!v)
        fprintf(stderr, "%s: %s (line %d)\n", relative, jerr.text, jerr.line);
    assert_non_null(v);
    free(text);
    return v;
}

static ativa_template *parse_fixture(const char *relative)
{
    size_t len;
    char *text = test_read_fixture(relative, &len);
    ativa_template *t = NULL;
    char errbuf[ATIVA_TEMPLATE_ERRBUF];
    ativa_err err = ativa_template_parse_new(text, len, &t, errbuf, sizeof errbuf);
    if (err)
        fprintf(stderr, "%s: %s: %s\n", relative, ativa_err_code(err), errbuf);
    assert_int_equal(err, ATIVA_OK);
    free(text);
    return t;
}

static const char *str_or_null(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static void assert_optional_string(const char *actual, const char *expected, const char *what)
{
    if (!expected) {
        if (actual)
            fprintf(stderr, "%s: expected nothing, got \"%s\"\n", what, actual);
        assert_null(actual);
        return;
    }
    if (!actual || strcmp(actual, expected) != 0) {
        fprintf(stderr, "%s: expected \"%s\", got \"%s\"\n", what, expected,
                actual ? actual : "(null)");
        fail();
    }
}

static void assert_contains(const char *haystack, const char *needle, const char *what)
{
    if (!haystack || !strstr(haystack, needle)) {
        fprintf(stderr, "%s: \"%s\" does not contain \"%s\"\n", what,
                haystack ? haystack : "(null)", needle);
        fail();
    }
}

static ativa_err err_from_code(const char *code)
{
    for (int e = 0; e < ATIVA_ERR__COUNT; e++)
        if (strcmp(ativa_err_code((ativa_err)e), code) == 0)
            return (ativa_err)e;
    fprintf(stderr, "unknown error code \"%s\" in a fixture\n", code);
    fail();
    return ATIVA_ERR_INTERNAL;
}

/* ---- valid definitions ---- */

static void check_render(const ativa_template *t, const json_t *values, const char *expected,
                         const char *what)
{
    char *text = ativa_template_render_new(t, values);
    assert_optional_string(text, expected, what);
    free(text);
}

static void check_send(const ativa_template *t, const json_t *send, const char *where)
{
    const json_t *values = json_object_get(send, "values");
    check_render(t, values, str_or_null(send, "rendered"), where);
    const json_t *components = json_object_get(send, "components");
    const json_t *problems = json_object_get(send, "problems");
    ativa_template_problems found = {0};
    ativa_err err = ativa_template_validate(t, values, &found);
    json_t *built = NULL;
    ativa_template_problems again = {0};
    ativa_err build_err = ativa_template_components_new(t, values, &built, &again);
    assert_int_equal(build_err, err);
    assert_int_equal(again.count, found.count);
    ativa_template_problems_clear(&again);
    if (components) {
        if (err)
            fprintf(stderr, "%s: unexpected %s: %s\n", where, ativa_err_code(err),
                    found.count ? found.items[0].message : "");
        assert_int_equal(err, ATIVA_OK);
        assert_int_equal(found.count, 0);
        assert_non_null(built);
        assert_json_same(built, components, where);
        json_decref(built);
        return;
    }
    assert_non_null(problems);
    assert_null(built);
    if (found.count != json_array_size(problems)) {
        fprintf(stderr, "%s: %zu problems, expected %zu\n", where, found.count,
                json_array_size(problems));
        for (size_t i = 0; i < found.count; i++)
            fprintf(stderr, "  %s %s: %s\n", found.items[i].key ? found.items[i].key : "-",
                    ativa_err_code(found.items[i].err), found.items[i].message);
        fail();
    }
    size_t i;
    const json_t *p;
    json_array_foreach(problems, i, p)
    {
        const ativa_template_problem *got = &found.items[i];
        assert_optional_string(got->key, str_or_null(p, "slot"), where);
        assert_string_equal(ativa_err_code(got->err), str_or_null(p, "code"));
        assert_int_equal(got->err, err_from_code(str_or_null(p, "code")));
        assert_contains(got->message, str_or_null(p, "message"), where);
        int slot = got->key ? ativa_template_slot_find(t, got->key) : -1;
        assert_int_equal(got->slot, got->err == ATIVA_ERR_PARAM_UNKNOWN ? -1 : slot);
    }
    assert_int_equal(err, found.items[0].err);
    json_t *as_json = ativa_template_problems_to_json_new(&found);
    assert_int_equal(json_array_size(as_json), found.count);
    assert_string_equal(str_or_null(json_array_get(as_json, 0), "code"),
                        ativa_err_code(found.items[0].err));
    json_decref(as_json);
    ativa_template_problems_clear(&found);
    assert_null(found.items);
}

/* Serialise, parse back, serialise again: both serialisations and the slots must agree. */
static void check_round_trip(const ativa_template *t, const char *where)
{
    json_t *first = ativa_template_to_json_new(t);
    assert_non_null(first);
    char *text = canon(first);
    ativa_template *back = NULL;
    char errbuf[ATIVA_TEMPLATE_ERRBUF];
    ativa_err err = ativa_template_parse_new(text, strlen(text), &back, errbuf, sizeof errbuf);
    if (err)
        fprintf(stderr, "%s: round trip: %s\n", where, errbuf);
    assert_int_equal(err, ATIVA_OK);
    json_t *second = ativa_template_to_json_new(back);
    assert_json_same(second, first, where);
    json_t *slots1 = ativa_template_slots_to_json_new(t);
    json_t *slots2 = ativa_template_slots_to_json_new(back);
    assert_json_same(slots2, slots1, where);
    assert_int_equal(back->status, t->status);
    assert_int_equal(ativa_template_sendable(back, NULL), ativa_template_sendable(t, NULL));
    assert_optional_string(back->id, t->id, where);

    ativa_template *copy = ativa_template_copy_new(t);
    assert_non_null(copy);
    json_t *third = ativa_template_to_json_new(copy);
    assert_json_same(third, first, where);

    json_decref(first);
    json_decref(second);
    json_decref(third);
    json_decref(slots1);
    json_decref(slots2);
    free(text);
    ativa_template_free(back);
    ativa_template_free(copy);
}

static void valid_fixtures(void **state)
{
    (void)state;
    char **cases = test_list_fixture_dir("template/valid");
    size_t n = 0;
    for (char **c = cases; *c; c++, n++) {
        char path[512];
        snprintf(path, sizeof path, "template/valid/%s/input.json", *c);
        ativa_template *t = parse_fixture(path);
        snprintf(path, sizeof path, "template/valid/%s/expected.json", *c);
        json_t *exp = load_fixture_json(path);

        assert_string_equal(ativa_template_status_name(t->status), str_or_null(exp, "status"));
        if (json_object_get(exp, "status_raw"))
            assert_optional_string(t->status_raw, str_or_null(exp, "status_raw"), *c);
        assert_string_equal(ativa_template_category_name(t->category),
                            str_or_null(exp, "category"));
        if (json_object_get(exp, "category_raw"))
            assert_optional_string(t->category_raw, str_or_null(exp, "category_raw"), *c);
        assert_string_equal(ativa_template_param_format_name(t->parameter_format),
                            str_or_null(exp, "parameter_format"));
        const char *reason = NULL;
        ativa_err sendable = ativa_template_sendable(t, &reason);
        assert_string_equal(ativa_err_code(sendable), str_or_null(exp, "sendable"));
        if (sendable)
            assert_non_null(reason);
        else
            assert_null(reason);

        json_t *slots = ativa_template_slots_to_json_new(t);
        assert_json_same(slots, json_object_get(exp, "slots"), *c);
        json_decref(slots);
        for (size_t i = 0; i < t->n_slots; i++)
            assert_int_equal(ativa_template_slot_find(t, t->slots[i].key), (int)i);

        check_render(t, NULL, str_or_null(exp, "rendered_empty"), *c);
        json_t *empty = json_object();
        check_render(t, empty, str_or_null(exp, "rendered_empty"), *c);
        json_decref(empty);

        size_t i;
        const json_t *send;
        json_array_foreach(json_object_get(exp, "sends"), i, send)
        {
            char where[300];
            snprintf(where, sizeof where, "%s send %zu", *c, i);
            check_send(t, send, where);
        }
        check_round_trip(t, *c);
        json_decref(exp);
        ativa_template_free(t);
    }
    assert_true(n >= 10);
    test_free_names(cases);
}

/* ---- invalid definitions ---- */

static void invalid_fixtures(void **state)
{
    (void)state;
    char **cases = test_list_fixture_dir("template/invalid");
    size_t n = 0;
    for (char **c = cases; *c; c++, n++) {
        char path[512];
        size_t len;
        snprintf(path, sizeof path, "template/invalid/%s/input.json", *c);
        char *input = test_read_fixture(path, &len);
        snprintf(path, sizeof path, "template/invalid/%s/error", *c);
        char *expected = test_read_fixture(path, NULL);
        expected[strcspn(expected, "\n")] = '\0';

        ativa_template *t = NULL;
        char errbuf[ATIVA_TEMPLATE_ERRBUF];
        ativa_err err = ativa_template_parse_new(input, len, &t, errbuf, sizeof errbuf);
        assert_null(t);
        bool is_code = false;
        for (int e = 0; e < ATIVA_ERR__COUNT; e++)
            if (strcmp(ativa_err_code((ativa_err)e), expected) == 0)
                is_code = true;
        if (is_code) {
            if (strcmp(ativa_err_code(err), expected) != 0)
                fprintf(stderr, "%s: got %s\n", *c, ativa_err_code(err));
            assert_string_equal(ativa_err_code(err), expected);
        } else {
            if (err != ATIVA_ERR_TEMPLATE_MALFORMED)
                fprintf(stderr, "%s: got %s\n", *c, ativa_err_code(err));
            assert_int_equal(err, ATIVA_ERR_TEMPLATE_MALFORMED);
            assert_contains(errbuf, expected, *c);
        }
        /* The same input as a JSON value and without an error buffer fails the same way. */
        json_t *obj = json_loadb(input, len, 0, NULL);
        if (err == ATIVA_ERR_TEMPLATE_MALFORMED) {
            assert_true(json_is_object(obj));
            assert_int_equal(ativa_template_from_json_new(obj, &t, NULL, 0), err);
            assert_null(t);
        }
        json_decref(obj);
        free(input);
        free(expected);
    }
    assert_true(n >= 40);
    test_free_names(cases);
}

/* ---- pages ---- */

static void page_fixtures(void **state)
{
    (void)state;
    char **cases = test_list_fixture_dir("template/pages");
    size_t n = 0;
    for (char **c = cases; *c; c++, n++) {
        char path[512];
        size_t len;
        snprintf(path, sizeof path, "template/pages/%s/input.json", *c);
        char *input = test_read_fixture(path, &len);
        snprintf(path, sizeof path, "template/pages/%s/expected.json", *c);
        json_t *exp = load_fixture_json(path);

        ativa_template_page page;
        char errbuf[ATIVA_TEMPLATE_ERRBUF];
        ativa_err err = ativa_template_page_parse(input, len, &page, errbuf, sizeof errbuf);
        const char *error = str_or_null(exp, "error");
        if (error) {
            assert_string_equal(ativa_err_code(err), error);
            if (str_or_null(exp, "message"))
                assert_contains(errbuf, str_or_null(exp, "message"), *c);
            assert_int_equal(page.count, 0);
            assert_null(page.items);
            assert_null(page.after);
            assert_null(page.next);
        } else {
            if (err)
                fprintf(stderr, "%s: %s %s\n", *c, ativa_err_code(err), errbuf);
            assert_int_equal(err, ATIVA_OK);
            const json_t *names = json_object_get(exp, "names");
            assert_int_equal(page.count, json_array_size(names));
            for (size_t i = 0; i < page.count; i++)
                assert_string_equal(page.items[i]->name,
                                    json_string_value(json_array_get(names, i)));
            assert_optional_string(page.after, str_or_null(exp, "after"), *c);
            assert_optional_string(page.next, str_or_null(exp, "next"), *c);
            assert_int_equal(page.rejected, json_integer_value(json_object_get(exp, "rejected")));
            if (str_or_null(exp, "first_rejection"))
                assert_contains(page.first_rejection, str_or_null(exp, "first_rejection"), *c);
        }
        ativa_template_page_clear(&page);
        assert_int_equal(page.count, 0);
        json_decref(exp);
        free(input);
    }
    assert_true(n >= 8);
    test_free_names(cases);
}

/* ---- catalog ---- */

static void load_page_into(ativa_template_catalog *cat, const char *waba, const char *relative)
{
    size_t len;
    char *text = test_read_fixture(relative, &len);
    ativa_template_page page;
    assert_int_equal(ativa_template_page_parse(text, len, &page, NULL, 0), ATIVA_OK);
    assert_int_equal(page.rejected, 0);
    for (size_t i = 0; i < page.count; i++) {
        assert_int_equal(ativa_template_catalog_put(cat, waba, page.items[i]), ATIVA_OK);
        page.items[i] = NULL; /* now the catalog's */
    }
    ativa_template_page_clear(&page);
    free(text);
}

/* The approved list as "name/language,name/language". */
static char *approved_names(const ativa_template_catalog *cat, const char *waba)
{
    const ativa_template *list[32];
    size_t n = ativa_template_catalog_list_approved(cat, waba, list, 32);
    assert_true(n <= 32);
    char *out = calloc(1, 2048);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(list[i]->status, ATIVA_TEMPLATE_APPROVED);
        snprintf(out + strlen(out), 2048 - strlen(out), "%s%s/%s", i ? "," : "", list[i]->name,
                 list[i]->language);
    }
    return out;
}

static void assert_approved(const ativa_template_catalog *cat, const char *waba,
                            const char *expected)
{
    char *names = approved_names(cat, waba);
    assert_string_equal(names, expected);
    free(names);
}

static json_t *status_change(const char *relative)
{
    json_t *webhook = load_fixture_json(relative);
    json_t *value = json_object_get(
        json_array_get(
            json_object_get(json_array_get(json_object_get(webhook, "entry"), 0), "changes"), 0),
        "value");
    assert_non_null(value);
    json_incref(value);
    json_decref(webhook);
    return value;
}

#define ALL_APPROVED_111                                                                           \
    "catalogo_imagem/pt_BR,coupon_expiration_reminder_number_vars/en,pedido_enviado/en_US,"        \
    "pedido_enviado/pt_BR,rastreio_pedido/pt_BR"

static void catalog_status_updates(void **state)
{
    (void)state;
    ativa_template_catalog *cat = ativa_template_catalog_new();
    assert_non_null(cat);
    load_page_into(cat, "111", "template/catalog/waba_111.json");
    load_page_into(cat, "222", "template/catalog/waba_222.json");
    assert_int_equal(ativa_template_catalog_count(cat, "111"), 6);
    assert_int_equal(ativa_template_catalog_count(cat, "222"), 1);
    assert_int_equal(ativa_template_catalog_count(cat, NULL), 7);
    assert_int_equal(ativa_template_catalog_count(cat, "333"), 0);
    assert_approved(cat, "111", ALL_APPROVED_111);
    assert_approved(cat, "222", "boas_vindas/pt_BR");
    assert_approved(cat, "333", "");

    /* Lookups: the language as webhooks may spell it; WABAs do not leak into each other. */
    const ativa_template *pedido =
        ativa_template_catalog_find(cat, "111", "pedido_enviado", "pt-br");
    assert_non_null(pedido);
    assert_string_equal(pedido->language, "pt_BR");
    assert_ptr_equal(ativa_template_catalog_find_id(cat, "111", "778899001122"), pedido);
    assert_null(ativa_template_catalog_find(cat, "222", "pedido_enviado", "pt_BR"));
    assert_null(ativa_template_catalog_find_id(cat, "222", "778899001122"));
    assert_null(ativa_template_catalog_find(cat, "111", "pedido_enviado", "es"));

    /* PAUSED by integer id: gone from the approved list and unsendable at once. */
    json_t *paused = status_change("template/catalog/status_update_paused.json");
    const ativa_template *changed = NULL;
    assert_int_equal(ativa_template_catalog_apply_status_update(cat, "111", paused, &changed),
                     ATIVA_OK);
    assert_ptr_equal(changed, pedido);
    assert_int_equal(pedido->status, ATIVA_TEMPLATE_PAUSED);
    assert_approved(cat, "111",
                    "catalogo_imagem/pt_BR,coupon_expiration_reminder_number_vars/en,"
                    "pedido_enviado/en_US,rastreio_pedido/pt_BR");
    assert_int_equal(ativa_template_sendable(pedido, NULL), ATIVA_ERR_TEMPLATE_NOT_APPROVED);
    json_t *values = json_pack("{s:s,s:s}", "body.first_name", "Ana", "body.order_id", "1");
    json_t *components = NULL;
    assert_int_equal(ativa_template_components_new(pedido, values, &components, NULL),
                     ATIVA_ERR_TEMPLATE_NOT_APPROVED);
    assert_null(components);
    /* The same change for another WABA finds nothing there. */
    assert_int_equal(ativa_template_catalog_apply_status_update(cat, "222", paused, &changed),
                     ATIVA_ERR_TEMPLATE_NOT_FOUND);
    assert_null(changed);
    json_decref(paused);

    /* APPROVED by name and language when the id is unknown (language in another case). */
    json_t *approved = status_change("template/catalog/status_update_approved_by_name.json");
    assert_int_equal(ativa_template_catalog_apply_status_update(cat, "111", approved, NULL),
                     ATIVA_OK);
    json_decref(approved);
    assert_approved(cat, "111",
                    "catalogo_imagem/pt_BR,coupon_expiration_reminder_number_vars/en,"
                    "coupon_pending/en,pedido_enviado/en_US,rastreio_pedido/pt_BR");

    /* Back to approved by id; an unknown status string is kept and is not approved. */
    assert_int_equal(
        ativa_template_catalog_set_status(cat, "111", "778899001122", NULL, NULL, "APPROVED"),
        ATIVA_OK);
    assert_int_equal(ativa_template_components_new(pedido, values, &components, NULL), ATIVA_OK);
    json_decref(components);
    assert_int_equal(
        ativa_template_catalog_set_status(cat, "111", NULL, "coupon_pending", "en", "FLAGGED"),
        ATIVA_OK);
    const ativa_template *flagged = ativa_template_catalog_find(cat, "111", "coupon_pending", "en");
    assert_int_equal(flagged->status, ATIVA_TEMPLATE_STATUS_OTHER);
    assert_string_equal(flagged->status_raw, "FLAGGED");
    assert_approved(cat, "111", ALL_APPROVED_111);
    json_decref(values);

    /* Malformed or unknown updates change nothing. */
    json_t *bad = json_pack("{s:I}", "message_template_id", (json_int_t)778899001122);
    assert_int_equal(ativa_template_catalog_apply_status_update(cat, "111", bad, NULL),
                     ATIVA_ERR_WEBHOOK_MALFORMED);
    json_decref(bad);
    bad = json_pack("{s:s}", "event", "PAUSED");
    assert_int_equal(ativa_template_catalog_apply_status_update(cat, "111", bad, NULL),
                     ATIVA_ERR_WEBHOOK_MALFORMED);
    json_decref(bad);
    bad = json_pack("{s:s,s:s,s:s,s:s}", "event", "PAUSED", "message_template_id", "1",
                    "message_template_name", "nao_existe", "message_template_language", "pt_BR");
    assert_int_equal(ativa_template_catalog_apply_status_update(cat, "111", bad, NULL),
                     ATIVA_ERR_TEMPLATE_NOT_FOUND);
    json_decref(bad);
    bad = json_pack("{s:s,s:s}", "event", "DISABLED", "message_template_id", "778899001122");
    assert_int_equal(ativa_template_catalog_apply_status_update(cat, "111", bad, &changed),
                     ATIVA_OK);
    assert_int_equal(changed->status, ATIVA_TEMPLATE_DISABLED);
    json_decref(bad);
    assert_int_equal(ativa_template_catalog_set_status(cat, "111", "nope", NULL, NULL, "APPROVED"),
                     ATIVA_ERR_TEMPLATE_NOT_FOUND);
    assert_int_equal(ativa_template_catalog_set_status(cat, "111", NULL, NULL, NULL, "APPROVED"),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_template_catalog_set_status(cat, "111", "778899001122", NULL, NULL, ""),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_template_catalog_apply_status_update(cat, "111", NULL, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    char long_status[80];
    memset(long_status, 'A', sizeof long_status - 1);
    long_status[sizeof long_status - 1] = '\0';
    assert_int_equal(
        ativa_template_catalog_set_status(cat, "111", "778899001122", NULL, NULL, long_status),
        ATIVA_ERR_INVALID_ARGUMENT);
    bad = json_pack("{s:s,s:s}", "event", long_status, "message_template_id", "778899001122");
    assert_int_equal(ativa_template_catalog_apply_status_update(cat, "111", bad, NULL),
                     ATIVA_ERR_WEBHOOK_MALFORMED);
    json_decref(bad);
    assert_int_equal(ativa_template_catalog_find_id(cat, "111", "778899001122")->status,
                     ATIVA_TEMPLATE_DISABLED);

    /* A list shorter than the approved set: the count is still the full one. */
    const ativa_template *two[2] = {NULL, NULL};
    assert_int_equal(ativa_template_catalog_list_approved(cat, "111", two, 2), 4);
    assert_string_equal(two[0]->name, "catalogo_imagem");
    assert_int_equal(ativa_template_catalog_list_approved(cat, "111", NULL, 0), 4);
    ativa_template_catalog_free(cat);
}

static ativa_template *template_from(const char *json_text)
{
    ativa_template *t = NULL;
    char errbuf[ATIVA_TEMPLATE_ERRBUF];
    ativa_err err =
        ativa_template_parse_new(json_text, strlen(json_text), &t, errbuf, sizeof errbuf);
    if (err)
        fprintf(stderr, "%s\n", errbuf);
    assert_int_equal(err, ATIVA_OK);
    return t;
}

static void catalog_put_replace_remove(void **state)
{
    (void)state;
    ativa_template_catalog *cat = ativa_template_catalog_new();
    assert_int_equal(
        ativa_template_catalog_put(cat, "1",
                                   template_from("{\"id\":\"7\",\"name\":\"b\",\"language\":"
                                                 "\"pt_BR\",\"status\":\"APPROVED\","
                                                 "\"components\":[{\"type\":\"BODY\",\"text\":"
                                                 "\"v1\"}]}")),
        ATIVA_OK);
    assert_int_equal(
        ativa_template_catalog_put(cat, "1",
                                   template_from("{\"id\":8,\"name\":\"a\",\"language\":\"pt_BR\","
                                                 "\"status\":\"APPROVED\",\"components\":[{"
                                                 "\"type\":\"BODY\",\"text\":\"a\"}]}")),
        ATIVA_OK);
    assert_approved(cat, "1", "a/pt_BR,b/pt_BR");
    assert_non_null(ativa_template_catalog_find_id(cat, "1", "8"));

    /* Same key: replaced in place (a newer definition, now rejected). */
    assert_int_equal(
        ativa_template_catalog_put(cat, "1",
                                   template_from("{\"id\":\"7\",\"name\":\"b\",\"language\":"
                                                 "\"pt_BR\",\"status\":\"REJECTED\","
                                                 "\"components\":[{\"type\":\"BODY\",\"text\":"
                                                 "\"v2\"}]}")),
        ATIVA_OK);
    assert_int_equal(ativa_template_catalog_count(cat, "1"), 2);
    assert_string_equal(ativa_template_catalog_find(cat, "1", "b", "pt_BR")->body_text, "v2");
    assert_approved(cat, "1", "a/pt_BR");

    /* Same id under another name: the stale entry goes. */
    assert_int_equal(
        ativa_template_catalog_put(cat, "1",
                                   template_from("{\"id\":\"7\",\"name\":\"c\",\"language\":"
                                                 "\"pt_BR\",\"status\":\"APPROVED\","
                                                 "\"components\":[{\"type\":\"BODY\",\"text\":"
                                                 "\"v3\"}]}")),
        ATIVA_OK);
    assert_int_equal(ativa_template_catalog_count(cat, "1"), 2);
    assert_null(ativa_template_catalog_find(cat, "1", "b", "pt_BR"));
    assert_approved(cat, "1", "a/pt_BR,c/pt_BR");
    /* And back under the first name while "a" keeps its place. */
    assert_int_equal(
        ativa_template_catalog_put(cat, "1",
                                   template_from("{\"id\":\"7\",\"name\":\"a\",\"language\":"
                                                 "\"en\",\"status\":\"APPROVED\","
                                                 "\"components\":[{\"type\":\"BODY\",\"text\":"
                                                 "\"v4\"}]}")),
        ATIVA_OK);
    assert_approved(cat, "1", "a/en,a/pt_BR");

    /* A replacement of a key whose id moved: the key's entry and the id's entry merge. */
    assert_int_equal(
        ativa_template_catalog_put(cat, "1",
                                   template_from("{\"id\":\"8\",\"name\":\"a\",\"language\":"
                                                 "\"en\",\"status\":\"PAUSED\","
                                                 "\"components\":[{\"type\":\"BODY\",\"text\":"
                                                 "\"v5\"}]}")),
        ATIVA_OK);
    assert_int_equal(ativa_template_catalog_count(cat, "1"), 1);
    assert_approved(cat, "1", "");

    assert_int_equal(ativa_template_catalog_remove(cat, "1", "a", "EN"), ATIVA_OK);
    assert_int_equal(ativa_template_catalog_remove(cat, "1", "a", "en"),
                     ATIVA_ERR_TEMPLATE_NOT_FOUND);
    assert_int_equal(ativa_template_catalog_count(cat, NULL), 0);

    ativa_template *t = template_from("{\"name\":\"x\",\"language\":\"en\",\"components\":[{"
                                      "\"type\":\"BODY\",\"text\":\"x\"}]}");
    assert_int_equal(ativa_template_catalog_put(cat, "", t), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_template_catalog_put(cat, NULL, t), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_template_catalog_put(cat, "1", NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_template_catalog_remove(cat, NULL, "a", "en"),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_null(ativa_template_catalog_find(cat, "1", NULL, "en"));
    assert_null(ativa_template_catalog_find_id(cat, "1", NULL));
    assert_int_equal(ativa_template_catalog_list_approved(NULL, "1", NULL, 0), 0);
    assert_int_equal(ativa_template_catalog_count(NULL, NULL), 0);
    /* Without a status the template is never approved. */
    assert_int_equal(t->status, ATIVA_TEMPLATE_STATUS_OTHER);
    assert_null(t->status_raw);
    assert_int_equal(ativa_template_catalog_put(cat, "1", t), ATIVA_OK);
    assert_approved(cat, "1", "");
    ativa_template_catalog_free(cat);
    ativa_template_catalog_free(NULL);
}

/* The store persists templates in Meta's format: a reload gives the same catalog. */
static void catalog_persists_in_meta_format(void **state)
{
    (void)state;
    ativa_template_catalog *cat = ativa_template_catalog_new();
    load_page_into(cat, "111", "template/catalog/waba_111.json");
    json_t *paused = status_change("template/catalog/status_update_paused.json");
    assert_int_equal(ativa_template_catalog_apply_status_update(cat, "111", paused, NULL),
                     ATIVA_OK);
    json_decref(paused);

    const char *names[][2] = {
        {"catalogo_imagem", "pt_BR"}, {"coupon_expiration_reminder_number_vars", "en"},
        {"coupon_pending", "en"},     {"pedido_enviado", "en_US"},
        {"pedido_enviado", "pt_BR"},  {"rastreio_pedido", "pt_BR"}};
    json_t *data = json_array();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const ativa_template *t = ativa_template_catalog_find(cat, "111", names[i][0], names[i][1]);
        assert_non_null(t);
        json_array_append_new(data, ativa_template_to_json_new(t));
    }
    json_t *page_json = json_pack("{s:o}", "data", data);
    char *stored = canon(page_json);
    json_decref(page_json);

    ativa_template_page page;
    assert_int_equal(ativa_template_page_parse(stored, strlen(stored), &page, NULL, 0), ATIVA_OK);
    assert_int_equal(page.count, 6);
    ativa_template_catalog *reloaded = ativa_template_catalog_new();
    for (size_t i = 0; i < page.count; i++) {
        assert_int_equal(ativa_template_catalog_put(reloaded, "111", page.items[i]), ATIVA_OK);
        page.items[i] = NULL;
    }
    ativa_template_page_clear(&page);
    char *before = approved_names(cat, "111");
    char *after = approved_names(reloaded, "111");
    assert_string_equal(after, before);
    assert_int_equal(
        ativa_template_catalog_find(reloaded, "111", "pedido_enviado", "pt_BR")->status,
        ATIVA_TEMPLATE_PAUSED);
    free(before);
    free(after);
    free(stored);
    ativa_template_catalog_free(cat);
    ativa_template_catalog_free(reloaded);
}

/* ---- enums and arguments ---- */

static void enum_spellings(void **state)
{
    (void)state;
    for (int s = 0; s <= ATIVA_TEMPLATE_STATUS_OTHER; s++)
        assert_int_equal(ativa_template_status_parse(ativa_template_status_name(s)), s);
    assert_int_equal(ativa_template_status_parse("approved"), ATIVA_TEMPLATE_APPROVED);
    assert_int_equal(ativa_template_status_parse("Pending_Deletion"),
                     ATIVA_TEMPLATE_PENDING_DELETION);
    assert_int_equal(ativa_template_status_parse("LIMIT_EXCEEDED"), ATIVA_TEMPLATE_LIMIT_EXCEEDED);
    assert_int_equal(ativa_template_status_parse("FLAGGED"), ATIVA_TEMPLATE_STATUS_OTHER);
    assert_int_equal(ativa_template_status_parse(NULL), ATIVA_TEMPLATE_STATUS_OTHER);
    assert_string_equal(ativa_template_status_name(ATIVA_TEMPLATE_IN_APPEAL), "IN_APPEAL");
    assert_string_equal(ativa_template_status_name((ativa_template_status)99), "OTHER");

    for (int c = 0; c <= ATIVA_TEMPLATE_CATEGORY_OTHER; c++)
        assert_int_equal(ativa_template_category_parse(ativa_template_category_name(c)), c);
    assert_int_equal(ativa_template_category_parse("utility"), ATIVA_TEMPLATE_UTILITY);
    assert_int_equal(ativa_template_category_parse(NULL), ATIVA_TEMPLATE_CATEGORY_OTHER);
    assert_string_equal(ativa_template_category_name((ativa_template_category)99), "OTHER");
    assert_string_equal(ativa_template_category_name(ATIVA_TEMPLATE_AUTHENTICATION),
                        "AUTHENTICATION");

    assert_string_equal(ativa_template_param_format_name(ATIVA_TEMPLATE_NAMED), "NAMED");
    assert_string_equal(ativa_template_param_format_name(ATIVA_TEMPLATE_POSITIONAL), "POSITIONAL");
    assert_string_equal(ativa_template_component_name(ATIVA_TEMPLATE_COMPONENT_HEADER), "header");
    assert_string_equal(ativa_template_component_name(ATIVA_TEMPLATE_COMPONENT_BODY), "body");
    assert_string_equal(ativa_template_component_name(ATIVA_TEMPLATE_COMPONENT_BUTTON), "button");
}

static void arguments_and_bounds(void **state)
{
    (void)state;
    ativa_template *t = NULL;
    char errbuf[ATIVA_TEMPLATE_ERRBUF];
    assert_int_equal(ativa_template_parse_new(NULL, 0, &t, errbuf, sizeof errbuf),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_template_parse_new("{}", ATIVA_TEMPLATE_JSON_MAX + 1, &t, NULL, 0),
                     ATIVA_ERR_TOO_LARGE);
    assert_int_equal(ativa_template_from_json_new(NULL, &t, NULL, 0), ATIVA_ERR_INVALID_ARGUMENT);
    json_t *arr = json_array();
    assert_int_equal(ativa_template_from_json_new(arr, &t, errbuf, sizeof errbuf),
                     ATIVA_ERR_TEMPLATE_MALFORMED);
    assert_contains(errbuf, "must be a JSON object", "non-object");
    assert_null(t);
    /* jansson keeps a \u0000 only when asked to; a template built in memory may still hold one. */
    json_t *nul = json_pack("{s:s,s:s,s:[{s:s,s:s%}]}", "name", "x", "language", "en", "components",
                            "type", "BODY", "text", "a\0b", (size_t)3);
    assert_non_null(nul);
    assert_int_equal(ativa_template_from_json_new(nul, &t, errbuf, sizeof errbuf),
                     ATIVA_ERR_TEMPLATE_MALFORMED);
    assert_contains(errbuf, "body: \"text\" contains a NUL character", "nul");
    json_decref(nul);

    ativa_template_page page;
    assert_int_equal(ativa_template_page_parse("{}", ATIVA_TEMPLATE_JSON_MAX + 1, &page, NULL, 0),
                     ATIVA_ERR_TOO_LARGE);
    assert_int_equal(ativa_template_page_parse(NULL, 0, &page, NULL, 0),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_template_page_parse("[]", 2, &page, errbuf, sizeof errbuf),
                     ATIVA_ERR_BAD_JSON);
    ativa_template_page_clear(NULL);

    /* Too many templates in one page. */
    json_t *data = json_array();
    for (int i = 0; i <= ATIVA_TEMPLATE_PAGE_MAX; i++)
        json_array_append_new(data, json_object());
    json_t *big = json_pack("{s:o}", "data", data);
    char *big_text = canon(big);
    assert_int_equal(ativa_template_page_parse(big_text, strlen(big_text), &page, NULL, 0),
                     ATIVA_ERR_TOO_LARGE);
    free(big_text);
    json_decref(big);

    t = template_from("{\"id\":42,\"name\":\"x\",\"language\":\"en\",\"status\":\"APPROVED\","
                      "\"components\":[{\"type\":\"body\",\"text\":\"Hi {{1}}\"}]}");
    assert_string_equal(t->id, "42");
    assert_int_equal(ativa_template_validate(t, arr, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_template_validate(NULL, NULL, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_template_validate(t, NULL, NULL), ATIVA_ERR_PARAM_MISSING);
    assert_int_equal(ativa_template_components_new(t, NULL, NULL, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_null(ativa_template_render_new(NULL, NULL));
    assert_null(ativa_template_slots_to_json_new(NULL));
    assert_null(ativa_template_to_json_new(NULL));
    assert_null(ativa_template_copy_new(NULL));
    assert_int_equal(ativa_template_sendable(NULL, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_template_slot_find(t, "body.2"), -1);
    assert_int_equal(ativa_template_slot_find(t, NULL), -1);
    assert_int_equal(ativa_template_slot_find(NULL, "body.1"), -1);
    json_t *none = ativa_template_problems_to_json_new(NULL);
    assert_int_equal(json_array_size(none), 0);
    json_decref(none);
    ativa_template_problems_clear(NULL);
    ativa_template_free(NULL);
    ativa_template_free(t);
    json_decref(arr);
}

/* ---- jansson out of memory ---- */

static long allocations_left = -1; /* -1: never fail */

static void *failing_malloc(size_t size)
{
    if (allocations_left == 0)
        return NULL;
    if (allocations_left > 0)
        allocations_left--;
    return malloc(size);
}

/*
 * Run op with jansson failing its n-th allocation, for n = 0, 1, ... until op succeeds: every
 * failure must be reported (and, under the sanitizer build, leak nothing).
 */
typedef bool (*json_op)(const ativa_template *t, const json_t *values);

static void fail_allocations(json_op op, const ativa_template *t, const json_t *values)
{
    json_set_alloc_funcs(failing_malloc, free);
    bool ok = false;
    long n;
    for (n = 0; n < 10000 && !ok; n++) {
        allocations_left = n;
        ok = op(t, values);
    }
    allocations_left = -1;
    json_set_alloc_funcs(malloc, free);
    assert_true(ok);
    assert_true(n > 1); /* at least one run failed */
}

/* The last successful result, to check that success under pressure is not a partial result. */
static json_t *kept;

static bool op_to_json(const ativa_template *t, const json_t *values)
{
    (void)values;
    json_t *j = ativa_template_to_json_new(t);
    if (j) {
        json_decref(kept);
        kept = j;
    }
    return j != NULL;
}

static bool op_slots(const ativa_template *t, const json_t *values)
{
    (void)values;
    json_t *j = ativa_template_slots_to_json_new(t);
    json_decref(j);
    return j != NULL;
}

static bool op_components(const ativa_template *t, const json_t *values)
{
    json_t *j = NULL;
    ativa_err err = ativa_template_components_new(t, values, &j, NULL);
    assert_true(err == ATIVA_OK || err == ATIVA_ERR_NO_MEMORY);
    json_decref(j);
    return err == ATIVA_OK;
}

static bool op_problems(const ativa_template *t, const json_t *values)
{
    ativa_template_problems problems = {0};
    assert_int_not_equal(ativa_template_validate(t, values, &problems), ATIVA_OK);
    json_t *j = ativa_template_problems_to_json_new(&problems);
    ativa_template_problems_clear(&problems);
    json_decref(j);
    return j != NULL;
}

static bool op_copy(const ativa_template *t, const json_t *values)
{
    (void)values;
    ativa_template *copy = ativa_template_copy_new(t);
    ativa_template_free(copy);
    return copy != NULL;
}

static void out_of_memory_in_jansson(void **state)
{
    (void)state;
    const char *cases[] = {"header_body_url", "named_header_url", "media_header", "carousel"};
    json_t *values = json_pack("{s:s,s:s,s:s,s:s,s:s}", "header.1", "1", "body.1", "Ana",
                               "button.1", "x", "header.nome", "Ana", "body.cupom", "C");
    json_t *all =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "header.1", "1", "body.1", "Ana", "button.1", "x",
                  "header.nome", "Ana", "body.cupom", "C", "button.0", "y");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "template/valid/%s/input.json", cases[i]);
        ativa_template *t = parse_fixture(path);
        fail_allocations(op_to_json, t, NULL);
        json_t *reference = ativa_template_to_json_new(t);
        assert_json_same(kept, reference, cases[i]);
        json_decref(reference);
        json_decref(kept);
        kept = NULL;
        fail_allocations(op_slots, t, NULL);
        fail_allocations(op_copy, t, NULL);
        if (ativa_template_sendable(t, NULL) == ATIVA_OK) {
            json_t *mine = json_object();
            for (size_t s = 0; s < t->n_slots; s++)
                json_object_set(mine, t->slots[s].key, json_object_get(all, t->slots[s].key));
            fail_allocations(op_components, t, mine);
            json_decref(mine);
        }
        fail_allocations(op_problems, t, values);
        ativa_template_free(t);
    }
    json_decref(values);
    json_decref(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_fixtures),
        cmocka_unit_test(invalid_fixtures),
        cmocka_unit_test(page_fixtures),
        cmocka_unit_test(catalog_status_updates),
        cmocka_unit_test(catalog_put_replace_remove),
        cmocka_unit_test(catalog_persists_in_meta_format),
        cmocka_unit_test(enum_spellings),
        cmocka_unit_test(arguments_and_bounds),
        cmocka_unit_test(out_of_memory_in_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
