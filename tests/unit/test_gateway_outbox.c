/* What the outbox stores after one attempt, for every kind of outcome. */
#include "support.h"

#include "graph_client.h"
#include "outbox.h"

#include <ativa/meta.h>
#include <ativa/pacing.h>

#include <string.h>

#define NOW 1700000000000LL

static const char accepted_body[] =
    "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"+5582999448232\","
    "\"wa_id\":\"558299448232\"}],\"messages\":[{\"id\":\"wamid.HBgMNTU4Mjk5NDQ4MjMyFQIAERgS\"}]}";

static graph_response answer(int status, const char *body)
{
    graph_response r = {.outcome = GRAPH_ANSWERED,
                        .http_status = status,
                        .body = body,
                        .body_len = strlen(body),
                        .request_written = true,
                        .detail = "answered"};
    return r;
}

static graph_response no_answer(graph_outcome outcome, bool written, const char *detail)
{
    graph_response r = {
        .outcome = outcome, .body = "", .request_written = written, .detail = detail};
    return r;
}

/* {"error":{...}} as Meta sends it. */
static char *graph_error(char *buf, size_t size, long long code, const char *message,
                         const char *details)
{
    snprintf(buf, size,
             "{\"error\":{\"message\":\"%s\",\"type\":\"OAuthException\",\"code\":%lld,"
             "\"error_data\":{\"messaging_product\":\"whatsapp\",\"details\":\"%s\"},"
             "\"fbtrace_id\":\"AbC\"}}",
             message, code, details);
    return buf;
}

static void a_200_with_a_message_id_is_accepted(void **state)
{
    (void)state;
    struct ativa_outbox_decision d;
    graph_response r = answer(200, accepted_body);
    ativa_outbox_decide(&r, 1, NOW, 0, &d);
    assert_int_equal(d.verdict, ATIVA_OUTBOX_ACCEPT);
    assert_string_equal(d.wamid, "wamid.HBgMNTU4Mjk5NDQ4MjMyFQIAERgS");
    assert_string_equal(d.wa_id, "558299448232");
    assert_int_equal(d.code, 0);
    assert_false(d.unknown);

    /* A wa_id the store would refuse is left out rather than failing the acceptance. */
    const char *odd = "{\"contacts\":[{\"input\":\"1\",\"wa_id\":\"55-82\"}],"
                      "\"messages\":[{\"id\":\"wamid.X\"}]}";
    r = answer(200, odd);
    ativa_outbox_decide(&r, 3, NOW, 0, &d);
    assert_int_equal(d.verdict, ATIVA_OUTBOX_ACCEPT);
    assert_string_equal(d.wamid, "wamid.X");
    assert_string_equal(d.wa_id, "");
}

static void a_200_without_a_message_id_fails_as_unknown(void **state)
{
    (void)state;
    const char *bodies[] = {"", "not json", "{\"messages\":[]}", "{\"messaging_product\":1}"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct ativa_outbox_decision d;
        graph_response r = answer(200, bodies[i]);
        ativa_outbox_decide(&r, 1, NOW, 0, &d);
        assert_int_equal(d.verdict, ATIVA_OUTBOX_FAIL);
        assert_true(d.unknown);
        assert_int_equal(d.code, 0);
        assert_non_null(strstr(d.title, "HTTP 200"));
        assert_non_null(strstr(d.text_pt, "pode ter chegado"));
    }
}

static void transient_errors_are_retried_with_backoff(void **state)
{
    (void)state;
    char buf[512];
    struct {
        int status;
        long long code;
    } cases[] = {{500, 131000}, {503, 2}, {400, 130429}, {500, 1}, {400, 131057}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        graph_response r = answer(cases[i].status, graph_error(buf, sizeof buf, cases[i].code,
                                                               "(#1) Something", "later"));
        for (unsigned attempts = 1; attempts < ATIVA_OUTBOX_MAX_ATTEMPTS; attempts++) {
            struct ativa_outbox_decision d;
            uint32_t random = 0x9e3779b9u * attempts;
            ativa_outbox_decide(&r, attempts, NOW, random, &d);
            assert_int_equal(d.verdict, ATIVA_OUTBOX_RETRY);
            assert_int_equal(d.code, cases[i].code);
            assert_string_equal(d.title, "(#1) Something");
            assert_string_equal(d.details, "later");
            assert_int_equal(d.next_attempt_ms,
                             NOW + ativa_backoff_ms(attempts, ATIVA_OUTBOX_BACKOFF_BASE_MS,
                                                    ATIVA_OUTBOX_BACKOFF_MAX_MS, random));
        }
    }
    /* The first retry waits between half a second and a second. */
    graph_response r = answer(500, graph_error(buf, sizeof buf, 131000, "x", "y"));
    struct ativa_outbox_decision lo, hi;
    ativa_outbox_decide(&r, 1, NOW, 0, &lo);
    ativa_outbox_decide(&r, 1, NOW, UINT32_MAX, &hi);
    assert_true(lo.next_attempt_ms >= NOW + 500 && hi.next_attempt_ms <= NOW + 1000);
    assert_true(lo.next_attempt_ms <= hi.next_attempt_ms);
}

static void answers_without_a_graph_error_go_by_http_status(void **state)
{
    (void)state;
    struct ativa_outbox_decision d;
    graph_response r = answer(502, "<html>Bad Gateway</html>");
    ativa_outbox_decide(&r, 1, NOW, 0, &d);
    assert_int_equal(d.verdict, ATIVA_OUTBOX_RETRY);
    assert_string_equal(d.title, "HTTP 502 without a Graph API error");
    r = answer(429, "");
    ativa_outbox_decide(&r, 1, NOW, 0, &d);
    assert_int_equal(d.verdict, ATIVA_OUTBOX_RETRY);
    r = answer(404, "Not Found");
    ativa_outbox_decide(&r, 1, NOW, 0, &d);
    assert_int_equal(d.verdict, ATIVA_OUTBOX_FAIL);
    assert_false(d.unknown);
    assert_int_equal(d.code, 0);
    assert_string_equal(d.text_pt,
                        "O WhatsApp recusou a mensagem (HTTP 404); avise o administrador.");
}

static void permanent_errors_fail_with_the_agents_reason(void **state)
{
    (void)state;
    char buf[512];
    long long codes[] = {132000, 131047, 190, 100, 132001};
    int statuses[] = {400, 400, 401, 400, 404};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        struct ativa_outbox_decision d;
        graph_response r = answer(statuses[i], graph_error(buf, sizeof buf, codes[i],
                                                           "(#132000) Number of parameters",
                                                           "body: number of params"));
        ativa_outbox_decide(&r, 1, NOW, 0, &d);
        assert_int_equal(d.verdict, ATIVA_OUTBOX_FAIL);
        assert_false(d.unknown);
        assert_int_equal(d.code, codes[i]);
        assert_string_equal(d.title, "(#132000) Number of parameters");
        assert_string_equal(d.details, "body: number of params");
        char expected[1024];
        assert_string_equal(d.text_pt,
                            ativa_meta_error_describe_pt(codes[i], expected, sizeof expected));
    }
}

static void no_answer_is_retried_and_says_whether_the_request_left(void **state)
{
    (void)state;
    struct ativa_outbox_decision d;
    graph_response r = no_answer(GRAPH_TIMED_OUT, true, "no answer within the timeout");
    ativa_outbox_decide(&r, 2, NOW, 7, &d);
    assert_int_equal(d.verdict, ATIVA_OUTBOX_RETRY);
    assert_string_equal(d.title, "no answer within the timeout (request written)");
    assert_int_equal(d.next_attempt_ms, NOW + ativa_backoff_ms(2, ATIVA_OUTBOX_BACKOFF_BASE_MS,
                                                               ATIVA_OUTBOX_BACKOFF_MAX_MS, 7));
    r = no_answer(GRAPH_BROKEN, false, "connection closed before a complete answer");
    ativa_outbox_decide(&r, 1, NOW, 7, &d);
    assert_int_equal(d.verdict, ATIVA_OUTBOX_RETRY);
    assert_string_equal(d.title, "connection closed before a complete answer");
    r = no_answer(GRAPH_CONNECT_FAILED, false, "connection failed: refused");
    ativa_outbox_decide(&r, 1, NOW, 7, &d);
    assert_int_equal(d.verdict, ATIVA_OUTBOX_RETRY);
    assert_string_equal(d.title, "connection failed: refused");
    assert_int_equal(d.code, 0);
}

static void the_last_attempt_gives_up_with_a_reason(void **state)
{
    (void)state;
    char buf[512];
    struct ativa_outbox_decision d;
    graph_response r = answer(500, graph_error(buf, sizeof buf, 131000, "(#131000) Oops", ""));
    ativa_outbox_decide(&r, ATIVA_OUTBOX_MAX_ATTEMPTS, NOW, 0, &d);
    assert_int_equal(d.verdict, ATIVA_OUTBOX_FAIL);
    assert_false(d.unknown);
    assert_int_equal(d.code, 131000);
    assert_string_equal(d.title, "(#131000) Oops");
    assert_non_null(strstr(d.text_pt, "em 10 tentativas"));
    r = no_answer(GRAPH_TIMED_OUT, true, "no answer within the timeout");
    ativa_outbox_decide(&r, ATIVA_OUTBOX_MAX_ATTEMPTS + 3, NOW, 0, &d);
    assert_int_equal(d.verdict, ATIVA_OUTBOX_FAIL);
    assert_non_null(strstr(d.text_pt, "em 13 tentativas"));
    /* One attempt before the last still retries. */
    ativa_outbox_decide(&r, ATIVA_OUTBOX_MAX_ATTEMPTS - 1, NOW, 0, &d);
    assert_int_equal(d.verdict, ATIVA_OUTBOX_RETRY);
}

static void the_pair_limit_waits_as_meta_advises(void **state)
{
    (void)state;
    char buf[512];
    graph_response r =
        answer(400, graph_error(buf, sizeof buf, 131056, "(#131056) pair rate limit hit", ""));
    /* Meta: 4^X seconds; never less than the pair interval; never more than the cap. */
    const int64_t expected_at_least[] = {0, 6000, 6000, 16000, 64000, 256000, 300000, 300000};
    for (unsigned attempts = 1; attempts < 8; attempts++) {
        struct ativa_outbox_decision d;
        ativa_outbox_decide(&r, attempts, NOW, 0, &d);
        assert_int_equal(d.verdict, ATIVA_OUTBOX_RETRY);
        int64_t delay = d.next_attempt_ms - NOW;
        assert_true(delay >= expected_at_least[attempts]);
        assert_true(delay <= ATIVA_OUTBOX_BACKOFF_MAX_MS);
        int64_t backoff = ativa_backoff_ms(attempts, ATIVA_OUTBOX_BACKOFF_BASE_MS,
                                           ATIVA_OUTBOX_BACKOFF_MAX_MS, 0);
        assert_int_equal(
            delay, backoff > expected_at_least[attempts] ? backoff : expected_at_least[attempts]);
    }
    assert_true(ATIVA_PACE_PAIR_INTERVAL_MS == 6000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_200_with_a_message_id_is_accepted),
        cmocka_unit_test(a_200_without_a_message_id_fails_as_unknown),
        cmocka_unit_test(transient_errors_are_retried_with_backoff),
        cmocka_unit_test(answers_without_a_graph_error_go_by_http_status),
        cmocka_unit_test(permanent_errors_fail_with_the_agents_reason),
        cmocka_unit_test(no_answer_is_retried_and_says_whether_the_request_left),
        cmocka_unit_test(the_last_attempt_gives_up_with_a_reason),
        cmocka_unit_test(the_pair_limit_waits_as_meta_advises),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
