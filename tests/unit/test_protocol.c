/* ativa.v1 request decoding (data-driven, tests/fixtures/protocol) and reply encoding. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ativa/protocol.h"

/* The decoded request as JSON, listing only what the type uses, for comparison with fixtures. */
static json_t *render(const ativa_request *r)
{
    json_t *o = json_pack("{s:s, s:s}", "type", ativa_req_type_name(r->type), "id", r->id);
    if (r->type == ATIVA_REQ_RESUME)
        json_object_set_new(o, "last_seq", json_integer((json_int_t)r->last_seq));
    if (r->line)
        json_object_set_new(o, "line", json_string(r->line));
    if (r->number)
        json_object_set_new(o, "number", json_string(r->number));
    if (r->has_template)
        json_object_set_new(o, "template",
                            json_pack("{s:s, s:s, s:O}", "name", r->template_choice.name,
                                      "language", r->template_choice.language, "values",
                                      r->template_choice.values));
    if (r->conversation_id)
        json_object_set_new(o, "conversation_id", json_integer((json_int_t)r->conversation_id));
    if (r->text)
        json_object_set_new(o, "text", json_string(r->text));
    if (r->reason)
        json_object_set_new(o, "reason", json_string(r->reason));
    if (r->description)
        json_object_set_new(o, "description", json_string(r->description));
    if (r->has_agent_id)
        json_object_set_new(o, "agent_id", json_integer((json_int_t)r->agent_id));
    if (r->type == ATIVA_REQ_HISTORY_SEARCH) {
        json_object_set_new(o, "from_ms", json_integer(r->from_ms));
        json_object_set_new(o, "to_ms", json_integer(r->to_ms));
        json_object_set_new(o, "limit", json_integer(r->limit));
    }
    if (r->cursor)
        json_object_set_new(o, "cursor", json_string(r->cursor));
    if (r->attendance_id)
        json_object_set_new(o, "attendance_id", json_integer((json_int_t)r->attendance_id));
    return o;
}

static void valid_frames_decode_as_expected(void **state)
{
    (void)state;
    char **cases = test_list_fixture_dir("protocol/valid");
    int count = 0;
    for (char **c = cases; *c; c++, count++) {
        char path[512];
        size_t len;
        snprintf(path, sizeof path, "protocol/valid/%s/frame.json", *c);
        char *frame = test_read_fixture(path, &len);
        snprintf(path, sizeof path, "protocol/valid/%s/expected.json", *c);
        char *expected_text = test_read_fixture(path, NULL);
        json_t *expected = json_loads(expected_text, 0, NULL);
        assert_non_null(expected);

        ativa_request req;
        char why[256];
        ativa_err err = ativa_request_parse(frame, len, &req, why, sizeof why);
        if (err != ATIVA_OK)
            fail_msg("case %s: %s (%s)", *c, ativa_err_code(err), why);
        json_t *got = render(&req);
        if (!json_equal(got, expected)) {
            char *g = json_dumps(got, JSON_SORT_KEYS);
            fail_msg("case %s: decoded %s", *c, g);
        }
        json_decref(got);
        json_decref(expected);
        ativa_request_clear(&req);
        free(frame);
        free(expected_text);
    }
    test_free_names(cases);
    assert_true(count >= 15);
}

static void invalid_frames_are_refused_with_reason(void **state)
{
    (void)state;
    char **cases = test_list_fixture_dir("protocol/invalid");
    int count = 0;
    for (char **c = cases; *c; c++, count++) {
        char path[512];
        size_t len;
        snprintf(path, sizeof path, "protocol/invalid/%s/frame.json", *c);
        char *frame = test_read_fixture(path, &len);
        snprintf(path, sizeof path, "protocol/invalid/%s/error", *c);
        char *expected = test_read_fixture(path, NULL);
        expected[strcspn(expected, "\n")] = '\0';
        char *colon = strstr(expected, ": ");
        assert_non_null(colon);
        *colon = '\0';
        const char *want_code = expected, *want_why = colon + 2;

        ativa_request req;
        char why[256];
        ativa_err err = ativa_request_parse(frame, len, &req, why, sizeof why);
        if (err == ATIVA_OK || strcmp(ativa_err_code(err), want_code) != 0 ||
            !strstr(why, want_why))
            fail_msg("case %s: got %s '%s', want %s '%s'", *c, ativa_err_code(err), why, want_code,
                     want_why);
        assert_null(req.root);
        /* The words must fit in a JSON reply (valid UTF-8). */
        json_t *reply = ativa_reply_error_new(req.id, err, why);
        if (!reply)
            fail_msg("case %s: reason is not valid UTF-8: %s", *c, why);
        json_decref(reply);
        ativa_request_clear(&req);
        free(frame);
        free(expected);
    }
    test_free_names(cases);
    assert_true(count >= 20);
}

static void failed_request_keeps_its_id_for_the_reply(void **state)
{
    (void)state;
    const char *frame = "{\"id\":\"r-77\",\"type\":\"message.send_text\",\"text\":\"oi\"}";
    ativa_request req;
    char why[128];
    assert_int_equal(ativa_request_parse(frame, strlen(frame), &req, why, sizeof why),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_string_equal(req.id, "r-77");
    assert_int_equal(req.type, ATIVA_REQ_SEND_TEXT);
    ativa_request_clear(&req);

    frame = "{\"id\":\"r-78\",\"type\":\"nope\"}";
    assert_int_equal(ativa_request_parse(frame, strlen(frame), &req, why, sizeof why),
                     ATIVA_ERR_UNKNOWN_REQUEST);
    assert_string_equal(req.id, "r-78");
    ativa_request_clear(&req);

    frame = "not json";
    assert_int_equal(ativa_request_parse(frame, strlen(frame), &req, why, sizeof why),
                     ATIVA_ERR_BAD_JSON);
    assert_string_equal(req.id, "");
}

static void frame_size_is_bounded(void **state)
{
    (void)state;
    size_t n = ATIVA_FRAME_MAX + 1;
    char *frame = malloc(n);
    memset(frame, ' ', n);
    ativa_request req;
    char why[128];
    assert_int_equal(ativa_request_parse(frame, n, &req, why, sizeof why), ATIVA_ERR_TOO_LARGE);
    assert_int_equal(ativa_request_parse(NULL, 0, &req, why, sizeof why), ATIVA_ERR_BAD_JSON);

    /* A frame exactly at the limit is read (padding is whitespace). */
    const char *body = "{\"id\":\"1\",\"type\":\"lines.list\"}";
    memset(frame, ' ', ATIVA_FRAME_MAX);
    memcpy(frame, body, strlen(body));
    assert_int_equal(ativa_request_parse(frame, ATIVA_FRAME_MAX, &req, why, sizeof why), ATIVA_OK);
    ativa_request_clear(&req);
    free(frame);
}

static void replies_and_events_have_the_documented_shape(void **state)
{
    (void)state;
    json_t *ok = ativa_reply_ok_new("17", json_pack("{s:i}", "n", 1));
    json_t *want =
        json_pack("{s:s, s:s, s:b, s:{s:i}}", "type", "reply", "id", "17", "ok", 1, "data", "n", 1);
    assert_true(json_equal(ok, want));
    json_decref(ok);
    json_decref(want);

    json_t *bad = ativa_reply_error_new(NULL, ATIVA_ERR_WINDOW_CLOSED, NULL);
    assert_true(json_is_null(json_object_get(bad, "id")));
    assert_false(json_is_true(json_object_get(bad, "ok")));
    json_t *error = json_object_get(bad, "error");
    assert_string_equal(json_string_value(json_object_get(error, "code")), "window_closed");
    assert_string_equal(json_string_value(json_object_get(error, "message")),
                        ativa_err_text_pt(ATIVA_ERR_WINDOW_CLOSED));
    json_decref(bad);

    bad = ativa_reply_error_new("", ATIVA_ERR_INVALID_ARGUMENT, "field 'x' is required");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(bad, "error"), "message")),
        "field 'x' is required");
    json_decref(bad);

    json_t *ev = ativa_event_frame_new(1208, "message", NULL);
    want = json_pack("{s:s, s:i, s:s, s:{}}", "type", "event", "seq", 1208, "event", "message",
                     "data");
    assert_true(json_equal(ev, want));
    json_decref(ev);
    json_decref(want);
}

static void type_names_round_trip(void **state)
{
    (void)state;
    for (int t = 0; t < ATIVA_REQ__COUNT; t++) {
        char frame[256];
        /* Every type is reachable by its name (fields aside). */
        snprintf(frame, sizeof frame, "{\"id\":\"x\",\"type\":\"%s\"}",
                 ativa_req_type_name((ativa_req_type)t));
        ativa_request req;
        ativa_err err = ativa_request_parse(frame, strlen(frame), &req, NULL, 0);
        assert_true(err == ATIVA_OK || err == ATIVA_ERR_INVALID_ARGUMENT);
        assert_int_equal(req.type, t);
        ativa_request_clear(&req);
    }
    assert_string_equal(ativa_req_type_name(ATIVA_REQ__COUNT), "invalid");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_frames_decode_as_expected),
        cmocka_unit_test(invalid_frames_are_refused_with_reason),
        cmocka_unit_test(failed_request_keeps_its_id_for_the_reply),
        cmocka_unit_test(frame_size_is_bounded),
        cmocka_unit_test(replies_and_events_have_the_documented_shape),
        cmocka_unit_test(type_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
