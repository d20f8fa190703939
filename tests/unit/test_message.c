/* Message vocabulary: the forward-only status rule over every pair, and the names of kinds and
 * statuses. */
#include "support.h"

#include <string.h>

#include "ativa/message.h"

/*
 * advances[current][next], written out by hand from the rule in message.h rather than computed,
 * in the order NONE QUEUED SENDING UNKNOWN ACCEPTED SENT DELIVERED READ FAILED.
 */
static const int advances[ATIVA_STATUS__COUNT][ATIVA_STATUS__COUNT] = {
    /*              no qu se un ac se de re fa */
    /* NONE      */ {0, 0, 0, 0, 0, 0, 0, 0, 0},
    /* QUEUED    */ {0, 0, 1, 1, 1, 1, 1, 1, 1},
    /* SENDING   */ {0, 0, 0, 1, 1, 1, 1, 1, 1},
    /* UNKNOWN   */ {0, 0, 0, 0, 1, 1, 1, 1, 1},
    /* ACCEPTED  */ {0, 0, 0, 0, 0, 1, 1, 1, 1},
    /* SENT      */ {0, 0, 0, 0, 0, 0, 1, 1, 1},
    /* DELIVERED */ {0, 0, 0, 0, 0, 0, 0, 1, 1},
    /* READ      */ {0, 0, 0, 0, 0, 0, 0, 0, 1},
    /* FAILED    */ {0, 0, 0, 0, 0, 0, 0, 0, 0},
};

static void every_status_pair(void **state)
{
    (void)state;
    int failures = 0;
    for (int cur = 0; cur < ATIVA_STATUS__COUNT; cur++) {
        for (int next = 0; next < ATIVA_STATUS__COUNT; next++) {
            bool got = ativa_msg_status_advances((ativa_msg_status)cur, (ativa_msg_status)next);
            if (got != (advances[cur][next] != 0)) {
                print_error("%s -> %s: got %d\n", ativa_msg_status_name((ativa_msg_status)cur),
                            ativa_msg_status_name((ativa_msg_status)next), got);
                failures++;
            }
        }
    }
    assert_int_equal(failures, 0);
}

/* The named cases of the rule, so that a wrong table above cannot hide them. */
static void named_cases(void **state)
{
    (void)state;
    assert_true(ativa_msg_status_advances(ATIVA_STATUS_QUEUED, ATIVA_STATUS_SENDING));
    assert_true(ativa_msg_status_advances(ATIVA_STATUS_SENDING, ATIVA_STATUS_ACCEPTED));
    assert_true(ativa_msg_status_advances(ATIVA_STATUS_ACCEPTED, ATIVA_STATUS_SENT));
    assert_true(ativa_msg_status_advances(ATIVA_STATUS_SENT, ATIVA_STATUS_DELIVERED));
    assert_true(ativa_msg_status_advances(ATIVA_STATUS_DELIVERED, ATIVA_STATUS_READ));
    assert_true(ativa_msg_status_advances(ATIVA_STATUS_SENT, ATIVA_STATUS_READ)); /* skip */
    assert_false(ativa_msg_status_advances(ATIVA_STATUS_READ, ATIVA_STATUS_DELIVERED));
    assert_false(ativa_msg_status_advances(ATIVA_STATUS_DELIVERED, ATIVA_STATUS_DELIVERED));
    assert_false(ativa_msg_status_advances(ATIVA_STATUS_FAILED, ATIVA_STATUS_READ));
    assert_false(ativa_msg_status_advances(ATIVA_STATUS_FAILED, ATIVA_STATUS_FAILED));
    assert_true(ativa_msg_status_advances(ATIVA_STATUS_READ, ATIVA_STATUS_FAILED));
    assert_true(ativa_msg_status_advances(ATIVA_STATUS_UNKNOWN, ATIVA_STATUS_ACCEPTED));
    assert_true(ativa_msg_status_advances(ATIVA_STATUS_UNKNOWN, ATIVA_STATUS_READ));
    assert_true(ativa_msg_status_advances(ATIVA_STATUS_UNKNOWN, ATIVA_STATUS_FAILED));
    assert_false(ativa_msg_status_advances(ATIVA_STATUS_UNKNOWN, ATIVA_STATUS_SENDING));
    assert_false(ativa_msg_status_advances(ATIVA_STATUS_ACCEPTED, ATIVA_STATUS_UNKNOWN));
    assert_false(ativa_msg_status_advances(ATIVA_STATUS_NONE, ATIVA_STATUS_SENT));
    assert_false(ativa_msg_status_advances(ATIVA_STATUS_SENT, ATIVA_STATUS_NONE));
}

/* Forward-only means a strict order: never both ways, and two steps forward are one step forward.
 */
static void advances_is_a_strict_order(void **state)
{
    (void)state;
    for (int a = 0; a < ATIVA_STATUS__COUNT; a++) {
        for (int b = 0; b < ATIVA_STATUS__COUNT; b++) {
            bool ab = ativa_msg_status_advances((ativa_msg_status)a, (ativa_msg_status)b);
            bool ba = ativa_msg_status_advances((ativa_msg_status)b, (ativa_msg_status)a);
            assert_false(ab && ba);
            for (int c = 0; c < ATIVA_STATUS__COUNT; c++) {
                if (ab && ativa_msg_status_advances((ativa_msg_status)b, (ativa_msg_status)c))
                    assert_true(
                        ativa_msg_status_advances((ativa_msg_status)a, (ativa_msg_status)c));
            }
        }
    }
}

static void out_of_range_values(void **state)
{
    (void)state;
    const int bad[] = {-1, ATIVA_STATUS__COUNT, 1000};
    for (size_t i = 0; i < 3; i++) {
        for (int s = 0; s < ATIVA_STATUS__COUNT; s++) {
            assert_false(ativa_msg_status_advances((ativa_msg_status)bad[i], (ativa_msg_status)s));
            assert_false(ativa_msg_status_advances((ativa_msg_status)s, (ativa_msg_status)bad[i]));
        }
        assert_string_equal(ativa_msg_status_name((ativa_msg_status)bad[i]), "invalid");
    }
    assert_string_equal(ativa_msg_kind_name((ativa_msg_kind)-1), "invalid");
    assert_string_equal(ativa_msg_kind_name(ATIVA_MSG__KIND_COUNT), "invalid");
    assert_string_equal(ativa_msg_kind_name((ativa_msg_kind)1000), "invalid");
}

static void status_names_round_trip(void **state)
{
    (void)state;
    const char *names[ATIVA_STATUS__COUNT] = {"none", "queued",    "sending", "unknown", "accepted",
                                              "sent", "delivered", "read",    "failed"};
    for (int s = 0; s < ATIVA_STATUS__COUNT; s++) {
        assert_string_equal(ativa_msg_status_name((ativa_msg_status)s), names[s]);
        ativa_msg_status back = ATIVA_STATUS__COUNT;
        assert_int_equal(ativa_msg_status_parse(names[s], &back), ATIVA_OK);
        assert_int_equal(back, s);
    }
    const char *bad[] = {"", "READ", "Read", "reads", "read ", "invalid", "pending"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ativa_msg_status out = ATIVA_STATUS_SENT;
        assert_int_equal(ativa_msg_status_parse(bad[i], &out), ATIVA_ERR_INVALID_ARGUMENT);
        assert_int_equal(out, ATIVA_STATUS_SENT);
    }
    ativa_msg_status out = ATIVA_STATUS_SENT;
    assert_int_equal(ativa_msg_status_parse(NULL, &out), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(out, ATIVA_STATUS_SENT);
}

static void kind_names_round_trip(void **state)
{
    (void)state;
    const char *names[ATIVA_MSG__KIND_COUNT] = {
        "text",     "template", "button",   "interactive", "image",    "audio", "video",
        "document", "sticker",  "location", "contacts",    "reaction", "order", "unsupported"};
    for (int k = 0; k < ATIVA_MSG__KIND_COUNT; k++) {
        assert_string_equal(ativa_msg_kind_name((ativa_msg_kind)k), names[k]);
        ativa_msg_kind back = ATIVA_MSG__KIND_COUNT;
        assert_int_equal(ativa_msg_kind_parse(names[k], &back), ATIVA_OK);
        assert_int_equal(back, k);
    }
    const char *bad[] = {"", "TEXT", "texts", "contact", "invalid", "system", "unknown"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ativa_msg_kind out = ATIVA_MSG_AUDIO;
        assert_int_equal(ativa_msg_kind_parse(bad[i], &out), ATIVA_ERR_INVALID_ARGUMENT);
        assert_int_equal(out, ATIVA_MSG_AUDIO);
    }
    ativa_msg_kind out = ATIVA_MSG_AUDIO;
    assert_int_equal(ativa_msg_kind_parse(NULL, &out), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(out, ATIVA_MSG_AUDIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_status_pair),          cmocka_unit_test(named_cases),
        cmocka_unit_test(advances_is_a_strict_order), cmocka_unit_test(out_of_range_values),
        cmocka_unit_test(status_names_round_trip),    cmocka_unit_test(kind_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
