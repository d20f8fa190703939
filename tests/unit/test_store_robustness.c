/*
 * The store against what it does not control: undecodable records, a map grown by another
 * process, old data to migrate, and reads called with bad arguments.
 */
#include "store_support.h"

#include <lmdb.h>
#include <sys/wait.h>
#include <unistd.h>

/* Put raw bytes into a named database with LMDB directly (the store must be closed). */
static void raw_put(const char *dir, const char *db, const void *key, size_t klen, const void *val,
                    size_t vlen)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, db, MDB_CREATE, &dbi), 0);
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static const unsigned char ID1[8] = {0, 0, 0, 0, 0, 0, 0, 1};

static void close_store(store_fixture *f)
{
    ativa_store_close(f->st);
    f->st = NULL;
}

static void corrupt_conversation_is_reported(void **state)
{
    store_fixture *f = *state;
    ativa_store_out in;
    assert_int_equal(put_line(f->st, LINE, WABA), ATIVA_OK);
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.c", T0, "oi", &in), ATIVA_OK);
    assert_int_equal(in.conv, 1);
    close_store(f);
    raw_put(f->dir, "conversations", ID1, 8, "{not json", 9);
    fixture_reopen(f);
    json_t *j = NULL;
    assert_int_equal(ativa_store_get_conversation(f->st, 1, &j), ATIVA_ERR_STORE_CORRUPT);
    assert_null(j);
    assert_int_equal(ativa_store_list_open_conversations(f->st, &j), ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.c2", T0, "oi", NULL),
                     ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(send_text(f->st, 1, 7, "oi", T0, NULL), ATIVA_ERR_STORE_CORRUPT);
    /* A record that parses but lacks its state. */
    close_store(f);
    raw_put(f->dir, "conversations", ID1, 8, "{\"id\":1}", 8);
    fixture_reopen(f);
    assert_int_equal(send_text(f->st, 1, 7, "oi", T0, NULL), ATIVA_ERR_STORE_CORRUPT);
    ativa_store_op adv = {.kind = ATIVA_STORE_ADVANCE};
    adv.in.conv.conv = 1;
    assert_int_equal(ativa_store_execute(f->st, &adv), ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.c3", T0, "oi", NULL),
                     ATIVA_ERR_STORE_CORRUPT);
}

static void corrupt_logs_and_indexes_are_reported(void **state)
{
    store_fixture *f = *state;
    assert_int_equal(put_line(f->st, LINE, WABA), ATIVA_OK);
    ativa_store_out out;
    assert_int_equal(create_conv(f->st, LINE, "5511999990001", 7, T0, true, &out), ATIVA_OK);
    close_store(f);
    raw_put(f->dir, "events", ID1, 8, "[", 1);
    raw_put(f->dir, "outbox", ID1, 8, "x", 1);
    raw_put(f->dir, "lines", "1", 1, "?", 1);
    raw_put(f->dir, "wamids", "wamid.bad", 9, "short", 5);
    raw_put(f->dir, "messages", "\0\0\0\0\0\0\0\1\0\0\0\1", 12, "]", 1);
    raw_put(f->dir, "templates", WABA "\0x\0pt", sizeof WABA + 4, "{", 1);
    raw_put(f->dir, "conv_open_ids", "\0\0\0\0\0\0\0\x09", 8, "", 0);
    fixture_reopen(f);
    json_t *j = NULL;
    uint64_t last;
    assert_int_equal(ativa_store_events_after(f->st, 0, 10, &j), ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(ativa_store_last_event_seq(f->st, &last), ATIVA_OK);
    assert_int_equal(ativa_store_list_due_outbox(f->st, T0, 10, &j), ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(ativa_store_get_outbox(f->st, 1, &j), ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_SENDING, 1, NULL, T0, NULL),
                     ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_RECOVER, 0, NULL, T0, NULL),
                     ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(ativa_store_list_lines(f->st, &j), ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(ativa_store_get_message_by_wamid(f->st, "wamid.bad", &j),
                     ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(apply_status(f->st, "wamid.bad", ATIVA_STATUS_READ, T0, NULL),
                     ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(ativa_store_list_messages(f->st, 1, 0, 10, &j), ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(ativa_store_list_templates(f->st, WABA, &j), ATIVA_ERR_STORE_CORRUPT);
    ativa_store_op op = {.kind = ATIVA_STORE_TEMPLATE_STATUS};
    op.in.template_op.waba_id = WABA;
    op.in.template_op.name = "x";
    op.in.template_op.status = "APPROVED";
    assert_int_equal(ativa_store_execute(f->st, &op), ATIVA_ERR_STORE_CORRUPT);
    /* An index entry pointing nowhere. */
    assert_int_equal(ativa_store_list_open_conversations(f->st, &j), ATIVA_ERR_STORE_CORRUPT);
    assert_null(j);
}

static void malformed_keys_and_index_values_are_reported(void **state)
{
    store_fixture *f = *state;
    assert_int_equal(put_line(f->st, LINE, WABA), ATIVA_OK);
    close_store(f);
    raw_put(f->dir, "events", "\xff", 1, "{}", 2);
    raw_put(f->dir, "conv_open",
            LINE "\0"
                 "5511999990001",
            sizeof LINE + 13, "abc", 3);
    fixture_reopen(f);
    uint64_t last;
    assert_int_equal(ativa_store_last_event_seq(f->st, &last), ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(inbound(f->st, LINE, "5511999990002", "wamid.k", T0, "oi", NULL),
                     ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(create_conv(f->st, LINE, "5511999990001", 7, T0, true, NULL),
                     ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.k2", T0, "oi", NULL),
                     ATIVA_ERR_STORE_CORRUPT);
    json_t *c = NULL;
    assert_int_equal(ativa_store_open_conversation(f->st, LINE, "5511999990001", &c),
                     ATIVA_ERR_STORE_CORRUPT);
    assert_int_equal(db_entries(f->st, "messages"), 0);
}

static void corrupt_schema_marker_refuses_open(void **state)
{
    store_fixture *f = *state;
    close_store(f);
    raw_put(f->dir, "meta", "schema_version", 14, "\1", 1);
    ativa_store_config cfg = ativa_store_config_default(f->dir);
    assert_int_equal(ativa_store_open(&cfg, &f->st), ATIVA_ERR_STORE_CORRUPT);
    assert_null(f->st);
    raw_put(f->dir, "meta", "schema_version", 14, "\0\0\0\0", 4);
    raw_put(f->dir, "customers", "55a", 3, "{}", 2);
    assert_int_equal(ativa_store_open(&cfg, &f->st), ATIVA_ERR_STORE_CORRUPT);
    assert_null(f->st);
}

static void undecodable_old_customers_refuse_migration(void **state)
{
    store_fixture *f = *state;
    close_store(f);
    ativa_store_config cfg = ativa_store_config_default(f->dir);
    raw_put(f->dir, "meta", "schema_version", 14, "\0\0\0\0", 4);
    raw_put(f->dir, "customers", "551199998888", 12, "{oops", 5);
    assert_int_equal(ativa_store_open(&cfg, &f->st), ATIVA_ERR_STORE_CORRUPT);
    raw_put(f->dir, "customers", "551199998888", 12, "{}", 2);
    raw_put(f->dir, "customers", "12345678901234567890", 20, "{}", 2);
    assert_int_equal(ativa_store_open(&cfg, &f->st), ATIVA_ERR_STORE_CORRUPT);
    assert_null(f->st);
}

static void migration_merges_both_forms(void **state)
{
    store_fixture *f = *state;
    close_store(f);
    raw_put(f->dir, "meta", "schema_version", 14, "\0\0\0\0", 4);
    const char *older = "{\"key\":\"5511999998888\",\"profile_name\":\"Ana\",\"created_ms\":1}";
    const char *newer = "{\"profile_name\":\"Ana Maria\",\"created_ms\":2}";
    const char *other = "{\"key\":\"5521988887777\",\"created_ms\":3}";
    raw_put(f->dir, "customers", "5511999998888", 13, older, strlen(older));
    raw_put(f->dir, "customers", "551199998888", 12, newer, strlen(newer));
    raw_put(f->dir, "customers", "5521988887777", 13, other, strlen(other));
    fixture_reopen(f);
    assert_int_equal(db_entries(f->st, "customers"), 2);
    json_t *c = NULL;
    assert_int_equal(ativa_store_get_customer(f->st, "551199998888", &c), ATIVA_OK);
    assert_string_equal(jstr(c, "profile_name"), "Ana"); /* the existing record is kept */
    json_decref(c);
    assert_int_equal(ativa_store_get_customer(f->st, "5521988887777", &c), ATIVA_OK);
    json_decref(c);
}

static void map_grown_by_another_process_is_adopted(void **state)
{
    store_fixture *f = *state;
    close_store(f);
    ativa_store_config cfg = ativa_store_config_default(f->dir);
    cfg.map_size = 64 * 1024;
    assert_int_equal(ativa_store_open(&cfg, &f->st), ATIVA_OK);
    assert_int_equal(put_line(f->st, LINE, WABA), ATIVA_OK);
    pid_t pid = fork();
    if (pid == 0) {
        /* Another process (a tool, say) grows the map and fills it past our size. */
        MDB_env *env;
        MDB_txn *txn;
        MDB_dbi dbi;
        static char big[1 << 20];
        int ok = mdb_env_create(&env) == 0 && mdb_env_set_maxdbs(env, 32) == 0 &&
                 mdb_env_set_mapsize(env, 8u << 20) == 0 &&
                 mdb_env_open(env, f->dir, 0, 0640) == 0 &&
                 mdb_txn_begin(env, NULL, 0, &txn) == 0 && mdb_dbi_open(txn, "meta", 0, &dbi) == 0;
        MDB_val k = {6, "filler"}, v = {sizeof big, big};
        ok = ok && mdb_put(txn, dbi, &k, &v, 0) == 0 && mdb_txn_commit(txn) == 0;
        mdb_env_close(env);
        _exit(ok ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    json_t *line = NULL;
    assert_int_equal(ativa_store_get_line(f->st, LINE, &line), ATIVA_OK);
    json_decref(line);
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.after", T0, "oi", NULL),
                     ATIVA_OK);
    ativa_store_stats s;
    assert_int_equal(ativa_store_stats_get(f->st, &s), ATIVA_OK);
    assert_true(s.map_size >= 8u << 20);
}

static void reads_refuse_bad_arguments(void **state)
{
    store_fixture *f = *state;
    ativa_store *st = f->st;
    json_t *j = NULL;
    int64_t w;
    uint64_t u;
    assert_int_equal(ativa_store_get_line(st, NULL, &j), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_line(st, LINE, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_list_lines(NULL, &j), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_list_lines(st, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_customer(st, NULL, &j), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_customer(st, "1", NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_window(st, "x", "5511999990001", &w),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_window(st, LINE, "5511999990001", NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_conversation(NULL, 1, &j), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_conversation(st, 1, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_conversation(st, 0, &j), ATIVA_ERR_NOT_FOUND);
    assert_int_equal(ativa_store_open_conversation(st, LINE, "x", &j), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_open_conversation(st, LINE, "1", NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_last_conversation(st, LINE, "5511999990001", &j),
                     ATIVA_ERR_NOT_FOUND);
    assert_int_equal(ativa_store_list_open_conversations(NULL, &j), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_list_open_conversations(st, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_list_messages(st, 1, 0, 10, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_list_messages(st, 1, UINT32_MAX, 10, &j),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_message_by_wamid(st, NULL, &j), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_message_by_wamid(st, "w", NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_message_by_wamid(st, "w", &j), ATIVA_ERR_NOT_FOUND);
    assert_int_equal(ativa_store_list_templates(st, "x", &j), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_list_templates(st, WABA, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_template(st, WABA, "", "pt_BR", &j),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_template(st, WABA, "a", "pt_BR", NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_list_due_outbox(st, T0, 0, &j), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_list_due_outbox(st, T0, 1, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_outbox(NULL, 1, &j), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_outbox(st, 1, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_events_after(st, UINT64_MAX, 1, &j), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_events_after(st, 0, 1, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_last_event_seq(st, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_last_event_seq(NULL, &u), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_attendance(NULL, 1, &j), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_attendance(st, 1, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_query_attendances(st, NULL, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_stats_get(st, NULL), ATIVA_ERR_INVALID_ARGUMENT);
}

static void previews_of_finalized_conversations(void **state)
{
    store_fixture *f = *state;
    assert_int_equal(put_line(f->st, LINE, WABA), ATIVA_OK);
    /* No message at all: an empty preview. */
    ativa_store_out in, out;
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.p0", T0, "oi", &in), ATIVA_OK);
    assert_int_equal(finalize(f->st, in.conv, 7, NULL, NULL, T0 + 1, NULL), ATIVA_OK);
    assert_int_equal(create_conv(f->st, LINE, "5511999990001", 7, T0 + 2, false, &out), ATIVA_OK);
    assert_int_equal(finalize(f->st, out.conv, 7, NULL, NULL, T0 + 3, &out), ATIVA_OK);
    json_t *att = NULL;
    assert_int_equal(ativa_store_get_attendance(f->st, out.attendance, &att), ATIVA_OK);
    assert_string_equal(jstr(att, "preview"), "");
    assert_null(json_object_get(att, "reason"));
    json_decref(att);
    /* A message without text shows its kind. */
    ativa_store_op op = {.kind = ATIVA_STORE_RECORD_INBOUND};
    op.in.inbound.line = LINE;
    op.in.inbound.from = "5511999990002";
    op.in.inbound.wamid = "wamid.img";
    op.in.inbound.kind = ATIVA_MSG_IMAGE;
    op.in.inbound.ts_ms = T0;
    op.in.inbound.now_ms = T0;
    op.in.inbound.window_ms = DAY;
    assert_int_equal(ativa_store_execute(f->st, &op), ATIVA_OK);
    assert_int_equal(finalize(f->st, op.out.conv, 7, NULL, NULL, T0 + 1, &out), ATIVA_OK);
    assert_int_equal(ativa_store_get_attendance(f->st, out.attendance, &att), ATIVA_OK);
    assert_string_equal(jstr(att, "preview"), "image");
    json_decref(att);
    /* A long text is cut at 120 characters, never inside a character. */
    char text[400] = "";
    for (int i = 0; i < 130; i++)
        strcat(text, "é");
    assert_int_equal(inbound(f->st, LINE, "5511999990003", "wamid.long", T0, text, &in), ATIVA_OK);
    assert_int_equal(finalize(f->st, in.conv, 7, NULL, NULL, T0 + 1, &out), ATIVA_OK);
    assert_int_equal(ativa_store_get_attendance(f->st, out.attendance, &att), ATIVA_OK);
    assert_int_equal(strlen(jstr(att, "preview")), 120 * strlen("é"));
    json_decref(att);
}

static void more_refusals_change_nothing(void **state)
{
    store_fixture *f = *state;
    assert_int_equal(put_line(f->st, LINE, WABA), ATIVA_OK);
    uint64_t before;
    assert_int_equal(ativa_store_last_event_seq(f->st, &before), ATIVA_OK);
    /* A template larger than any Meta sends. */
    char *big = malloc(70000);
    memset(big, 'a', 69999);
    big[69999] = '\0';
    json_t *t = json_pack("{s:s, s:s, s:s, s:s}", "name", "x", "language", "pt_BR", "status",
                          "APPROVED", "text", big);
    ativa_store_op op = {.kind = ATIVA_STORE_PUT_TEMPLATE};
    op.in.template_op.waba_id = WABA;
    op.in.template_op.tmpl = t;
    assert_int_equal(ativa_store_execute(f->st, &op), ATIVA_ERR_TOO_LARGE);
    op.in.template_op.waba_id = "W";
    assert_int_equal(ativa_store_execute(f->st, &op), ATIVA_ERR_INVALID_ARGUMENT);
    json_decref(t);
    /* Error texts are bounded. */
    ativa_store_op st = {.kind = ATIVA_STORE_APPLY_STATUS};
    st.in.status.wamid = "wamid.x";
    st.in.status.status = ATIVA_STATUS_FAILED;
    st.in.status.error.details = big;
    assert_int_equal(ativa_store_execute(f->st, &st), ATIVA_ERR_TOO_LARGE);
    ativa_store_op ob = {.kind = ATIVA_STORE_OUTBOX_FAILED};
    ob.in.outbox.id = 1;
    ob.in.outbox.error.text_pt = big;
    assert_int_equal(ativa_store_execute(f->st, &ob), ATIVA_ERR_TOO_LARGE);
    /* An inbound text beyond any WhatsApp message. */
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.big", T0, big, NULL),
                     ATIVA_ERR_TOO_LARGE);
    free(big);
    ativa_store_out in;
    assert_int_equal(create_conv(f->st, LINE, "5511999990001", 7, T0, true, &in), ATIVA_OK);
    ativa_store_op tx = {.kind = ATIVA_STORE_SEND_TEXT};
    tx.in.text.conv = in.conv;
    tx.in.text.agent = 7;
    tx.in.text.text = "oi";
    assert_int_equal(ativa_store_execute(f->st, &tx), ATIVA_ERR_INVALID_ARGUMENT);
    tx.in.text.text = "\xc3";
    assert_int_equal(ativa_store_execute(f->st, &tx), ATIVA_ERR_INVALID_ARGUMENT);
    tx.in.text.text = "oi";
    tx.in.text.graph_body = "{}";
    tx.in.text.agent = 0;
    assert_int_equal(ativa_store_execute(f->st, &tx), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(create_conv(f->st, "L1", "5511999990002", 7, T0, true, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    /* RETRY of an entry still queued moves its due time. */
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_RETRY, in.outbox, NULL, T0 + 5000, NULL),
                     ATIVA_OK);
    json_t *due = NULL;
    assert_int_equal(ativa_store_list_due_outbox(f->st, T0 + 5999, 10, &due), ATIVA_OK);
    assert_int_equal(json_array_size(due), 0);
    json_decref(due);
    assert_int_equal(ativa_store_list_due_outbox(f->st, T0 + 6000, 10, &due), ATIVA_OK);
    assert_int_equal(json_array_size(due), 1);
    json_decref(due);
    assert_int_equal(db_entries(f->st, "outbox_due"), 1);
    assert_int_equal(db_entries(f->st, "templates"), 0);
    assert_int_equal(db_entries(f->st, "pending_status"), 0);
    assert_int_equal(db_entries(f->st, "outbox"), 1);
    assert_int_equal(db_entries(f->st, "messages"), 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(corrupt_conversation_is_reported),
        T(corrupt_logs_and_indexes_are_reported),
        T(malformed_keys_and_index_values_are_reported),
        T(corrupt_schema_marker_refuses_open),
        T(undecodable_old_customers_refuse_migration),
        T(migration_merges_both_forms),
        T(map_grown_by_another_process_is_adopted),
        T(reads_refuse_bad_arguments),
        T(previews_of_finalized_conversations),
        T(more_refusals_change_nothing),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
