/*
 * Webhook parser: tests/fixtures/webhook/valid/<case>/{body.json,expected.json} compare the
 * canonical rendering of the parsed batch; invalid/<case>/{body.json,error} the rejection reason.
 */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ativa/meta.h"

static void print_json(const char *label, json_t *v)
{
    char *text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
    fprintf(stderr, "%s:\n%s\n", label, text ? text : "(null)");
    free(text);
}

/* Invariants every accepted batch keeps, whatever the case. */
static void check_invariants(const ativa_meta_batch *b)
{
    for (size_t i = 0; i < b->message_count; i++) {
        const ativa_meta_inbound *m = &b->messages[i];
        assert_non_null(m->phone_number_id);
        assert_non_null(m->from);
        assert_non_null(m->text);
        assert_true(strlen(m->wamid) > 0 && strlen(m->wamid) < ATIVA_WAMID_MAX);
        assert_true(m->timestamp_ms > 0 && m->timestamp_ms % 1000 == 0);
        assert_true(m->kind != ATIVA_MSG_TEMPLATE && m->kind < ATIVA_MSG__KIND_COUNT);
    }
    for (size_t i = 0; i < b->status_count; i++) {
        const ativa_meta_status *s = &b->statuses[i];
        assert_non_null(s->phone_number_id);
        assert_true(s->status == ATIVA_STATUS_SENT || s->status == ATIVA_STATUS_DELIVERED ||
                    s->status == ATIVA_STATUS_READ || s->status == ATIVA_STATUS_FAILED);
        assert_true(!s->played || s->status == ATIVA_STATUS_READ);
    }
    for (size_t i = 0; i < b->template_update_count; i++) {
        assert_non_null(b->template_updates[i].event);
        assert_non_null(b->template_updates[i].template_id);
    }
}

static void valid_fixtures(void **state)
{
    (void)state;
    char **names = test_list_fixture_dir("webhook/valid");
    int count = 0;
    for (char **name = names; *name; name++, count++) {
        char rel[256];
        size_t len = 0;
        snprintf(rel, sizeof rel, "webhook/valid/%s/body.json", *name);
        char *body = test_read_fixture(rel, &len);
        snprintf(rel, sizeof rel, "webhook/valid/%s/expected.json", *name);
        char *expected_text = test_read_fixture(rel, NULL);
        json_error_t jerr;
        json_t *expected = json_loads(expected_text, 0, &jerr);
        if (!expected)
            fprintf(stderr, "%s: expected.json: %s\n", *name, jerr.text);
        assert_non_null(expected);

        ativa_meta_batch *batch = NULL;
        char reason[ATIVA_META_REASON_MAX];
        ativa_err err = ativa_meta_webhook_parse(body, len, &batch, reason);
        if (err)
            fprintf(stderr, "%s: %s (%s)\n", *name, ativa_err_code(err), reason);
        assert_int_equal(err, ATIVA_OK);
        assert_non_null(batch);
        assert_string_equal(reason, "");
        check_invariants(batch);

        json_t *actual = ativa_meta_batch_to_json_new(batch);
        assert_non_null(actual);
        if (!json_equal(actual, expected)) {
            fprintf(stderr, "case %s differs\n", *name);
            print_json("actual", actual);
            print_json("expected", expected);
        }
        assert_true(json_equal(actual, expected));
        json_decref(actual);
        json_decref(expected);
        ativa_meta_batch_free(batch);
        free(expected_text);
        free(body);
    }
    test_free_names(names);
    assert_true(count >= 20);
}

static void invalid_fixtures(void **state)
{
    (void)state;
    char **names = test_list_fixture_dir("webhook/invalid");
    int count = 0;
    for (char **name = names; *name; name++, count++) {
        char rel[256];
        size_t len = 0;
        snprintf(rel, sizeof rel, "webhook/invalid/%s/body.json", *name);
        char *body = test_read_fixture(rel, &len);
        snprintf(rel, sizeof rel, "webhook/invalid/%s/error", *name);
        char *want = test_read_fixture(rel, NULL);
        want[strcspn(want, "\r\n")] = '\0';

        ativa_meta_batch *batch = (ativa_meta_batch *)&count; /* must be reset to NULL */
        char reason[ATIVA_META_REASON_MAX];
        ativa_err err = ativa_meta_webhook_parse(body, len, &batch, reason);
        if (err != ATIVA_ERR_WEBHOOK_MALFORMED || !strstr(reason, want))
            fprintf(stderr, "case %s: got %s \"%s\", expected reason containing \"%s\"\n", *name,
                    ativa_err_code(err), reason, want);
        assert_int_equal(err, ATIVA_ERR_WEBHOOK_MALFORMED);
        assert_null(batch);
        assert_non_null(strstr(reason, want));
        free(want);
        free(body);
    }
    test_free_names(names);
    assert_true(count >= 20);
}

static void size_limit(void **state)
{
    (void)state;
    const char *doc = "{\"object\":\"whatsapp_business_account\",\"entry\":[]}";
    size_t doc_len = strlen(doc);
    /* Exactly 3 MB: the document followed by whitespace padding is accepted. */
    char *big = malloc(ATIVA_META_WEBHOOK_MAX_BYTES + 1);
    assert_non_null(big);
    memset(big, ' ', ATIVA_META_WEBHOOK_MAX_BYTES + 1);
    memcpy(big, doc, doc_len);
    ativa_meta_batch *batch = NULL;
    char reason[ATIVA_META_REASON_MAX];
    assert_int_equal(ativa_meta_webhook_parse(big, ATIVA_META_WEBHOOK_MAX_BYTES, &batch, reason),
                     ATIVA_OK);
    assert_non_null(batch);
    assert_int_equal(batch->message_count + batch->status_count, 0);
    ativa_meta_batch_free(batch);
    /* One byte more is refused before parsing. */
    assert_int_equal(
        ativa_meta_webhook_parse(big, ATIVA_META_WEBHOOK_MAX_BYTES + 1, &batch, reason),
        ATIVA_ERR_TOO_LARGE);
    assert_null(batch);
    assert_string_equal(reason, "");
    free(big);
}

static void not_nul_terminated(void **state)
{
    (void)state;
    /* The parser reads exactly body_len bytes: the trailing garbage is outside the body. */
    const char text[] = "{\"object\":\"whatsapp_business_account\",\"entry\":[]}GARBAGE";
    ativa_meta_batch *batch = NULL;
    assert_int_equal(ativa_meta_webhook_parse(text, sizeof text - 1 - 7, &batch, NULL), ATIVA_OK);
    ativa_meta_batch_free(batch);
    batch = NULL;
    assert_int_equal(ativa_meta_webhook_parse(text, sizeof text - 1, &batch, NULL),
                     ATIVA_ERR_WEBHOOK_MALFORMED);
    assert_null(batch);
}

static void arguments(void **state)
{
    (void)state;
    ativa_meta_batch *batch = NULL;
    char reason[ATIVA_META_REASON_MAX] = "stale";
    assert_int_equal(ativa_meta_webhook_parse(NULL, 0, &batch, reason), ATIVA_ERR_INVALID_ARGUMENT);
    assert_string_equal(reason, "");
    assert_int_equal(ativa_meta_webhook_parse("{}", 2, NULL, reason), ATIVA_ERR_INVALID_ARGUMENT);
    assert_null(ativa_meta_batch_to_json_new(NULL));
    ativa_meta_batch_free(NULL);
}

static void parsed_fields_directly(void **state)
{
    (void)state;
    /* The struct itself, not only its rendering: what the gateway reads. */
    size_t len = 0;
    char *body = test_read_fixture("webhook/valid/batch_several/body.json", &len);
    ativa_meta_batch *b = NULL;
    assert_int_equal(ativa_meta_webhook_parse(body, len, &b, NULL), ATIVA_OK);
    assert_int_equal(b->message_count, 4);
    assert_int_equal(b->status_count, 4);
    assert_int_equal(b->template_update_count, 1);
    assert_int_equal(b->error_count, 0);
    assert_int_equal(b->messages[3].kind, ATIVA_MSG_STICKER);
    assert_string_equal(b->messages[3].from, "558299448232");
    assert_string_equal(b->messages[3].profile_name, "Maria");
    assert_string_equal(b->messages[3].phone_number_id, "109876543210987");
    assert_int_equal(b->statuses[3].status, ATIVA_STATUS_FAILED);
    assert_int_equal(b->statuses[3].error.code, 131026);
    assert_int_equal(b->statuses[0].timestamp_ms, 1750030073000LL);
    assert_string_equal(b->template_updates[0].template_id, "42");
    assert_string_equal(b->template_updates[0].waba_id, "200000000000001");
    ativa_meta_batch_free(b);
    free(body);

    body = test_read_fixture("webhook/valid/location_coordinates/body.json", &len);
    assert_int_equal(ativa_meta_webhook_parse(body, len, &b, NULL), ATIVA_OK);
    assert_true(b->messages[0].has_location);
    assert_true(b->messages[0].latitude < -23.55 && b->messages[0].latitude > -23.551);
    ativa_meta_batch_free(b);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_fixtures), cmocka_unit_test(invalid_fixtures),
        cmocka_unit_test(size_limit),     cmocka_unit_test(not_nul_terminated),
        cmocka_unit_test(arguments),      cmocka_unit_test(parsed_fields_directly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
