/* Attendance history queries (each filter, periods, paging) and the event log's order. */
#include "store_support.h"

#define N_ATT 30

static const char *const customers[3] = {"5511987654321", "551187654322", "5521988887777"};
static const char *const keys[3] = {"5511987654321", "5511987654322", "5521988887777"};
static const char *const lines[2] = {LINE, LINE2};
static const char *const reasons[4] = {"duvida", "reclamacao", NULL, "venda"};

typedef struct expected {
    uint64_t id;
    int64_t ended;
    int customer, line;
    uint64_t agent;
    const char *reason;
} expected;

typedef struct att_fixture {
    store_fixture base;
    expected att[N_ATT];
} att_fixture;

static int setup_history(void **state)
{
    att_fixture *f = calloc(1, sizeof *f);
    f->base.dir = test_make_temp_dir("ativa-store-att");
    ativa_store_config cfg = ativa_store_config_default(f->base.dir);
    cfg.durable = false;
    if (ativa_store_open(&cfg, &f->base.st) != ATIVA_OK)
        return -1;
    ativa_store *st = f->base.st;
    if (put_line(st, LINE, WABA) != ATIVA_OK || put_line(st, LINE2, WABA) != ATIVA_OK)
        return -1;
    for (int i = 0; i < N_ATT; i++) {
        expected *e = &f->att[i];
        e->customer = i % 3;
        e->line = (i / 3) % 2;
        e->agent = 1 + (uint64_t)(i % 4);
        e->reason = reasons[(i / 2) % 4];
        /* Every ended time twice, so that ties are ordered by id. */
        e->ended = T0 + (int64_t)((i * 29) % 15) * 1000;
        char wamid[32];
        snprintf(wamid, sizeof wamid, "wamid.h.%d", i);
        ativa_store_out in, out;
        if (inbound(st, lines[e->line], customers[e->customer], wamid, T0 - 100000 + i, "oi",
                    &in) != ATIVA_OK)
            return -1;
        if (finalize(st, in.conv, e->agent, e->reason, NULL, e->ended, &out) != ATIVA_OK)
            return -1;
        e->id = out.attendance;
    }
    *state = f;
    return 0;
}

static int teardown_history(void **state)
{
    att_fixture *f = *state;
    ativa_store_close(f->base.st);
    test_remove_tree(f->base.dir);
    free(f->base.dir);
    free(f);
    return 0;
}

static bool newer(const expected *a, const expected *b)
{
    return a->ended != b->ended ? a->ended > b->ended : a->id > b->id;
}

/* Page through the query and compare with the model, in order, without repeats. */
static void check_query(att_fixture *f, ativa_store_att_query q, int customer, int line)
{
    const expected *want[N_ATT];
    size_t nwant = 0;
    for (int i = 0; i < N_ATT; i++) {
        const expected *e = &f->att[i];
        if (e->ended < q.from_ms || (q.to_ms != 0 && e->ended > q.to_ms))
            continue;
        if (customer >= 0 && e->customer != customer)
            continue;
        if (line >= 0 && e->line != line)
            continue;
        if (q.agent != 0 && e->agent != q.agent)
            continue;
        if (q.reason != NULL && (e->reason == NULL || strcmp(e->reason, q.reason) != 0))
            continue;
        want[nwant++] = e;
    }
    for (size_t i = 1; i < nwant; i++)
        for (size_t j = i; j > 0 && newer(want[j], want[j - 1]); j--) {
            const expected *t = want[j];
            want[j] = want[j - 1];
            want[j - 1] = t;
        }
    assert_true(nwant > 0); /* each case must select something to mean anything */

    size_t got = 0;
    char cursor[ATIVA_STORE_CURSOR_MAX] = "";
    int pages = 0;
    for (;;) {
        q.cursor = cursor[0] ? cursor : NULL;
        json_t *page = NULL;
        assert_int_equal(ativa_store_query_attendances(f->base.st, &q, &page), ATIVA_OK);
        json_t *items = json_object_get(page, "items");
        assert_true(json_array_size(items) <= q.limit);
        size_t i;
        json_t *att;
        json_array_foreach(items, i, att)
        {
            assert_true(got < nwant);
            assert_int_equal(jint(att, "id"), want[got]->id);
            assert_int_equal(jint(att, "ended_ms"), want[got]->ended);
            assert_string_equal(jstr(att, "customer"), keys[want[got]->customer]);
            got++;
        }
        pages++;
        json_t *next = json_object_get(page, "next");
        if (json_is_null(next)) {
            json_decref(page);
            break;
        }
        assert_int_equal(json_array_size(items), q.limit);
        snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        json_decref(page);
        assert_true(pages <= N_ATT);
    }
    assert_int_equal(got, nwant);
}

static void query_without_filters(void **state)
{
    ativa_store_att_query q = {.limit = 4};
    check_query(*state, q, -1, -1);
    q.limit = 200;
    check_query(*state, q, -1, -1);
    q.limit = 1;
    check_query(*state, q, -1, -1);
}

static void query_by_customer_any_form(void **state)
{
    ativa_store_att_query q = {.limit = 3, .customer = "551187654321"}; /* 12-digit form */
    check_query(*state, q, 0, -1);
    q.customer = "5511987654322"; /* 13-digit form of a customer first seen with 12 */
    check_query(*state, q, 1, -1);
}

static void query_by_line_agent_reason(void **state)
{
    ativa_store_att_query q = {.limit = 4, .line = LINE2};
    check_query(*state, q, -1, 1);
    q = (ativa_store_att_query){.limit = 2, .agent = 3};
    check_query(*state, q, -1, -1);
    q = (ativa_store_att_query){.limit = 2, .reason = "venda"};
    check_query(*state, q, -1, -1);
    q = (ativa_store_att_query){.limit = 2, .line = LINE, .agent = 2};
    check_query(*state, q, -1, 0);
    q = (ativa_store_att_query){.limit = 5, .customer = "5521988887777", .reason = "duvida"};
    check_query(*state, q, 2, -1);
    q = (ativa_store_att_query){.limit = 2, .customer = "5511987654321", .agent = 1};
    check_query(*state, q, 0, -1);
    q = (ativa_store_att_query){.limit = 2, .customer = "5511987654321", .line = LINE2};
    check_query(*state, q, 0, 1);
}

static void query_within_a_period(void **state)
{
    ativa_store_att_query q = {.limit = 3, .from_ms = T0 + 3000, .to_ms = T0 + 9000};
    check_query(*state, q, -1, -1);
    q.line = LINE;
    check_query(*state, q, -1, 0);
    q = (ativa_store_att_query){.limit = 3, .from_ms = T0 + 5000, .to_ms = T0 + 5000};
    check_query(*state, q, -1, -1);
    q = (ativa_store_att_query){.limit = 3, .from_ms = T0 + 10000, .agent = 1};
    check_query(*state, q, -1, -1);
    att_fixture *f = *state;
    json_t *page = NULL;
    q = (ativa_store_att_query){.limit = 3, .from_ms = T0 + 100000};
    assert_int_equal(ativa_store_query_attendances(f->base.st, &q, &page), ATIVA_OK);
    assert_int_equal(json_array_size(json_object_get(page, "items")), 0);
    assert_true(json_is_null(json_object_get(page, "next")));
    json_decref(page);
}

static void query_refusals(void **state)
{
    att_fixture *f = *state;
    json_t *page = (json_t *)1;
    ativa_store_att_query q = {.limit = ATIVA_STORE_QUERY_LIMIT_MAX + 1};
    assert_int_equal(ativa_store_query_attendances(f->base.st, &q, &page),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_null(page);
    q.limit = 10;
    const char *bad[] = {"", "zz", "0123456789abcdef0123456789abcdeg",
                         "0123456789ABCDEF0123456789abcdef", "0123456789abcdef0123456789abcdef0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        q.cursor = bad[i];
        assert_int_equal(ativa_store_query_attendances(f->base.st, &q, &page),
                         ATIVA_ERR_INVALID_ARGUMENT);
    }
    q.cursor = NULL;
    q.customer = "55a";
    assert_int_equal(ativa_store_query_attendances(f->base.st, &q, &page),
                     ATIVA_ERR_INVALID_ARGUMENT);
    q.customer = NULL;
    q.line = "x";
    assert_int_equal(ativa_store_query_attendances(f->base.st, &q, &page),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_query_attendances(f->base.st, NULL, &page),
                     ATIVA_ERR_INVALID_ARGUMENT);
    /* Default limit. */
    q = (ativa_store_att_query){.limit = 0};
    assert_int_equal(ativa_store_query_attendances(f->base.st, &q, &page), ATIVA_OK);
    assert_int_equal(json_array_size(json_object_get(page, "items")), N_ATT);
    json_decref(page);
    json_t *att = NULL;
    assert_int_equal(ativa_store_get_attendance(f->base.st, 999, &att), ATIVA_ERR_NOT_FOUND);
}

static void events_contiguous_and_in_order(void **state)
{
    att_fixture *f = *state;
    ativa_store *st = f->base.st;
    size_t total = check_events_contiguous(st);
    assert_true(total >= 3 * N_ATT); /* conversation + message + finalize per attendance */
    /* Each op reports the range it appended; ranges follow each other without gaps. */
    uint64_t last;
    assert_int_equal(ativa_store_last_event_seq(st, &last), ATIVA_OK);
    ativa_store_out a, b, c;
    assert_int_equal(inbound(st, LINE, "5511999990001", "wamid.ev.1", T0, "um", &a), ATIVA_OK);
    assert_int_equal(inbound(st, LINE, "5511999990001", "wamid.ev.2", T0 + 1, "dois", &b),
                     ATIVA_OK);
    assert_int_equal(finalize(st, a.conv, 5, NULL, NULL, T0 + 2, &c), ATIVA_OK);
    assert_int_equal(a.event_first, last + 1);
    assert_int_equal(b.event_first, a.event_last + 1);
    assert_int_equal(c.event_first, b.event_last + 1);
    assert_int_equal(c.event_last, c.event_first);
    json_t *evs = NULL;
    assert_int_equal(ativa_store_events_after(st, last, 100, &evs), ATIVA_OK);
    assert_int_equal(json_array_size(evs), c.event_last - last);
    assert_string_equal(jstr(json_object_get(json_array_get(evs, 1), "data"), "text"), "um");
    assert_string_equal(jstr(json_object_get(json_array_get(evs, 3), "data"), "text"), "dois");
    json_t *fin = json_array_get(evs, json_array_size(evs) - 1);
    assert_string_equal(jstr(fin, "type"), "conversation");
    assert_string_equal(jstr(json_object_get(fin, "data"), "phase"), "finalized");
    json_decref(evs);
    assert_int_equal(ativa_store_events_after(st, c.event_last, 100, &evs), ATIVA_OK);
    assert_int_equal(json_array_size(evs), 0);
    json_decref(evs);
    assert_int_equal(ativa_store_events_after(st, 0, 0, &evs), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_events_after(st, 0, 3, &evs), ATIVA_OK);
    assert_int_equal(json_array_size(evs), 3);
    assert_int_equal(jint(json_array_get(evs, 0), "seq"), 1);
    json_decref(evs);
    /* The log survives a reopen unchanged. */
    ativa_store_close(st);
    ativa_store_config cfg = ativa_store_config_default(f->base.dir);
    assert_int_equal(ativa_store_open(&cfg, &f->base.st), ATIVA_OK);
    uint64_t again;
    assert_int_equal(ativa_store_last_event_seq(f->base.st, &again), ATIVA_OK);
    assert_int_equal(again, c.event_last);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_history, teardown_history)
    const struct CMUnitTest tests[] = {
        T(query_without_filters),
        T(query_by_customer_any_form),
        T(query_by_line_agent_reason),
        T(query_within_a_period),
        T(query_refusals),
        T(events_contiguous_and_in_order),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
