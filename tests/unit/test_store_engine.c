/* The store engine: open and reopen, schema versions and migration, map growth, batching. */
#include "store_support.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void open_close_reopen_keeps_data(void **state)
{
    store_fixture *f = *state;
    assert_int_equal(put_line(f->st, LINE, WABA), ATIVA_OK);
    fixture_reopen(f);
    json_t *line = NULL;
    assert_int_equal(ativa_store_get_line(f->st, LINE, &line), ATIVA_OK);
    assert_string_equal(jstr(line, "waba_id"), WABA);
    assert_string_equal(jstr(line, "label"), "Vendas");
    json_decref(line);
    json_t *lines = NULL;
    assert_int_equal(put_line(f->st, LINE2, WABA), ATIVA_OK);
    assert_int_equal(ativa_store_list_lines(f->st, &lines), ATIVA_OK);
    assert_int_equal(json_array_size(lines), 2);
    assert_string_equal(jstr(json_array_get(lines, 0), "phone_number_id"), LINE);
    json_decref(lines);
    assert_int_equal(ativa_store_get_line(f->st, "999", &line), ATIVA_ERR_NOT_FOUND);
    assert_null(line);
    assert_int_equal(ativa_store_get_line(f->st, "12a", &line), ATIVA_ERR_INVALID_ARGUMENT);
}

static void open_refuses_bad_arguments(void **state)
{
    (void)state;
    ativa_store *st = (ativa_store *)1;
    assert_int_equal(ativa_store_open(NULL, &st), ATIVA_ERR_INVALID_ARGUMENT);
    ativa_store_config cfg = ativa_store_config_default("/nonexistent/ativa/dir");
    assert_int_equal(ativa_store_open(&cfg, &st), ATIVA_ERR_STORE_IO);
    assert_null(st);
    cfg.max_batch = ATIVA_STORE_BATCH_MAX + 1;
    assert_int_equal(ativa_store_open(&cfg, &st), ATIVA_ERR_INVALID_ARGUMENT);
    ativa_store_close(NULL);
}

/* Write the schema marker (and optionally a raw customer) with LMDB directly. */
static void write_raw(const char *dir, uint32_t version, const char *customer_key)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, customers;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", MDB_CREATE, &meta), 0);
    unsigned char v[4] = {(unsigned char)(version >> 24), (unsigned char)(version >> 16),
                          (unsigned char)(version >> 8), (unsigned char)version};
    MDB_val k = {strlen("schema_version"), "schema_version"}, val = {4, v};
    assert_int_equal(mdb_put(txn, meta, &k, &val, 0), 0);
    if (customer_key != NULL) {
        assert_int_equal(mdb_dbi_open(txn, "customers", MDB_CREATE, &customers), 0);
        const char *rec = "{\"key\":\"x\",\"profile_name\":\"Ana\",\"created_ms\":1}";
        MDB_val ck = {strlen(customer_key), (void *)customer_key};
        MDB_val cv = {strlen(rec), (void *)rec};
        assert_int_equal(mdb_put(txn, customers, &ck, &cv, 0), 0);
    }
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void newer_schema_is_refused(void **state)
{
    (void)state;
    char *dir = test_make_temp_dir("ativa-store-v");
    write_raw(dir, ATIVA_STORE_SCHEMA_VERSION + 1, NULL);
    ativa_store_config cfg = ativa_store_config_default(dir);
    ativa_store *st = NULL;
    assert_int_equal(ativa_store_open(&cfg, &st), ATIVA_ERR_STORE_VERSION);
    assert_null(st);
    test_remove_tree(dir);
    free(dir);
}

static void schema_zero_is_migrated(void **state)
{
    (void)state;
    char *dir = test_make_temp_dir("ativa-store-m");
    /* Schema 0 keyed a customer by the 12-digit wa_id. */
    write_raw(dir, 0, "551199998888");
    ativa_store_config cfg = ativa_store_config_default(dir);
    ativa_store *st = NULL;
    assert_int_equal(ativa_store_open(&cfg, &st), ATIVA_OK);
    json_t *c = NULL;
    assert_int_equal(ativa_store_get_customer(st, "5511999998888", &c), ATIVA_OK);
    assert_string_equal(jstr(c, "key"), "5511999998888");
    assert_string_equal(jstr(c, "wa_id"), "551199998888");
    assert_string_equal(jstr(c, "profile_name"), "Ana");
    json_decref(c);
    assert_int_equal(db_entries(st, "customers"), 1);
    ativa_store_close(st);
    /* The marker now says the current version: a second open migrates nothing. */
    assert_int_equal(ativa_store_open(&cfg, &st), ATIVA_OK);
    assert_int_equal(db_entries(st, "customers"), 1);
    ativa_store_close(st);
    test_remove_tree(dir);
    free(dir);
}

typedef struct reader_arg {
    ativa_store *st;
    atomic_int stop;
    int reads, errors;
} reader_arg;

/* Reads all along while the writer grows the map under it. */
static void *read_loop(void *p)
{
    reader_arg *r = p;
    while (!r->stop) {
        json_t *j = NULL;
        ativa_err e = ativa_store_list_messages(r->st, 1, 0, 3, &j);
        if (e != ATIVA_OK)
            r->errors++;
        json_decref(j);
        r->reads++;
        usleep(100);
    }
    return NULL;
}

static void map_grows_from_64_kib(void **state)
{
    (void)state;
    char *dir = test_make_temp_dir("ativa-store-g");
    ativa_store_config cfg = ativa_store_config_default(dir);
    cfg.map_size = 64 * 1024;
    cfg.durable = false;
    ativa_store *st = NULL;
    assert_int_equal(ativa_store_open(&cfg, &st), ATIVA_OK);
    assert_int_equal(put_line(st, LINE, WABA), ATIVA_OK);
    reader_arg r = {.st = st, .stop = 0, .reads = 0, .errors = 0};
    pthread_t reader;
    assert_int_equal(pthread_create(&reader, NULL, read_loop, &r), 0);
    char text[10001];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    char wamid[32];
    for (int i = 0; i < 300; i++) {
        snprintf(wamid, sizeof wamid, "wamid.grow.%d", i);
        assert_int_equal(inbound(st, LINE, "5511999990001", wamid, T0 + i, text, NULL), ATIVA_OK);
    }
    r.stop = 1;
    pthread_join(reader, NULL);
    assert_true(r.reads > 0);
    assert_int_equal(r.errors, 0);
    ativa_store_stats s;
    assert_int_equal(ativa_store_stats_get(st, &s), ATIVA_OK);
    assert_true(s.map_size >= 4u << 20);
    assert_true(s.map_grows >= 5);
    assert_true(s.pages_used * s.page_size > 3u << 20);
    assert_int_equal(db_entries(st, "messages"), 300);
    ativa_store_close(st);
    /* Reopening with the small configured size keeps the grown file usable. */
    assert_int_equal(ativa_store_open(&cfg, &st), ATIVA_OK);
    json_t *m = NULL;
    assert_int_equal(ativa_store_get_message_by_wamid(st, "wamid.grow.299", &m), ATIVA_OK);
    assert_int_equal(strlen(jstr(m, "text")), 10000);
    json_decref(m);
    assert_int_equal(inbound(st, LINE, "5511999990001", "wamid.grow.more", T0 + 5000, text, NULL),
                     ATIVA_OK);
    ativa_store_close(st);
    test_remove_tree(dir);
    free(dir);
}

#if !defined(__SANITIZE_ADDRESS__)
/*
 * In a child limited in address space, the map cannot grow: the op that needed the room fails
 * with ATIVA_ERR_STORE_IO and so does everything after it (LMDB has no map left), without a crash.
 * Exit codes of the child say which check failed.
 */
static int unmappable_child(const char *dir)
{
    ativa_store_config cfg = ativa_store_config_default(dir);
    cfg.map_size = 64 * 1024;
    cfg.durable = false;
    ativa_store *st;
    if (ativa_store_open(&cfg, &st) != ATIVA_OK || put_line(st, LINE, WABA) != ATIVA_OK)
        return 10;
    long pages = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    if (statm == NULL || fscanf(statm, "%ld", &pages) != 1)
        return 11;
    fclose(statm);
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (4u << 20);
    if (setrlimit(RLIMIT_AS, &rl) != 0)
        return 12;
    char text[2001];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    char wamid[32];
    int ok = 0;
    ativa_err e = ATIVA_OK;
    for (int i = 0; i < 5000 && e == ATIVA_OK; i++) {
        snprintf(wamid, sizeof wamid, "wamid.nomap.%d", i);
        e = inbound(st, LINE, "5511999990001", wamid, T0 + i, text, NULL);
        ok += e == ATIVA_OK;
    }
    if (e != ATIVA_ERR_STORE_IO || ok < 10)
        return 13;
    json_t *j = NULL;
    if (ativa_store_get_line(st, LINE, &j) != ATIVA_ERR_STORE_IO || j != NULL)
        return 14;
    if (put_line(st, LINE2, WABA) != ATIVA_ERR_STORE_IO)
        return 15;
    ativa_store_close(st);
    return 0;
}
#endif

static void map_that_cannot_grow_fails_cleanly(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* the sanitizer's shadow memory needs an unlimited address space */
#else
    char *dir = test_make_temp_dir("ativa-store-nomap");
    pid_t pid = fork();
    if (pid == 0)
        exit(unmappable_child(dir)); /* exit, not _exit: coverage data is written at exit */
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* Without the limit, the data written before the failure is whole. */
    ativa_store_config cfg = ativa_store_config_default(dir);
    ativa_store *st = NULL;
    assert_int_equal(ativa_store_open(&cfg, &st), ATIVA_OK);
    assert_true(db_entries(st, "messages") >= 10);
    assert_int_equal(db_entries(st, "messages"), db_entries(st, "wamids"));
    check_events_contiguous(st);
    assert_int_equal(inbound(st, LINE, "5511999990001", "wamid.again", T0, "oi", NULL), ATIVA_OK);
    ativa_store_close(st);
    test_remove_tree(dir);
    free(dir);
#endif
}

typedef struct counter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, ok;
} counter;

static void count_done(ativa_store_op *op, void *user)
{
    counter *c = user;
    pthread_mutex_lock(&c->mu);
    c->done++;
    if (op->result == ATIVA_OK)
        c->ok++;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

#define THREADS        4
#define OPS_PER_THREAD 200

typedef struct submitter {
    ativa_store *st;
    counter *c;
    int index;
    ativa_store_op ops[OPS_PER_THREAD];
    char wamids[OPS_PER_THREAD][32];
} submitter;

static void *submit_many(void *arg)
{
    submitter *s = arg;
    for (int i = 0; i < OPS_PER_THREAD; i++) {
        ativa_store_op *op = &s->ops[i];
        memset(op, 0, sizeof *op);
        snprintf(s->wamids[i], sizeof s->wamids[i], "wamid.t%d.%d", s->index, i);
        op->kind = ATIVA_STORE_RECORD_INBOUND;
        op->in.inbound.line = LINE;
        op->in.inbound.from = s->index % 2 ? "5511999990001" : "5521988887777";
        op->in.inbound.wamid = s->wamids[i];
        op->in.inbound.ts_ms = T0 + i;
        op->in.inbound.kind = ATIVA_MSG_TEXT;
        op->in.inbound.text = "oi";
        op->in.inbound.now_ms = T0 + i;
        op->in.inbound.window_ms = DAY;
        op->done = count_done;
        op->user = s->c;
        if (ativa_store_submit(s->st, op) != ATIVA_OK)
            return (void *)1;
    }
    return NULL;
}

static void concurrent_submissions_share_transactions(void **state)
{
    store_fixture *f = *state;
    assert_int_equal(put_line(f->st, LINE, WABA), ATIVA_OK);
    ativa_store_stats before;
    assert_int_equal(ativa_store_stats_get(f->st, &before), ATIVA_OK);
    counter c = {.done = 0, .ok = 0};
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    submitter *subs = calloc(THREADS, sizeof *subs);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        subs[i].st = f->st;
        subs[i].c = &c;
        subs[i].index = i;
        assert_int_equal(pthread_create(&th[i], NULL, submit_many, &subs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        assert_null(rv);
    }
    pthread_mutex_lock(&c.mu);
    while (c.done < THREADS * OPS_PER_THREAD)
        pthread_cond_wait(&c.cv, &c.mu);
    pthread_mutex_unlock(&c.mu);
    assert_int_equal(c.ok, THREADS * OPS_PER_THREAD);
    ativa_store_stats after;
    assert_int_equal(ativa_store_stats_get(f->st, &after), ATIVA_OK);
    uint64_t batches = after.batches - before.batches;
    assert_int_equal(after.ops - before.ops, THREADS * OPS_PER_THREAD);
    assert_true(batches < THREADS * OPS_PER_THREAD);
    assert_int_equal(db_entries(f->st, "messages"), THREADS * OPS_PER_THREAD);
    /* Two customers: two conversations, whatever the interleaving. */
    assert_int_equal(db_entries(f->st, "conversations"), 2);
    check_events_contiguous(f->st);
    free(subs);
    pthread_cond_destroy(&c.cv);
    pthread_mutex_destroy(&c.mu);
}

/* Hold the writer in a done callback so that the next ops pile up into one batch. */
typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, open;
    counter *c;
} gate;

static void gate_done(ativa_store_op *op, void *user)
{
    gate *g = user;
    pthread_mutex_lock(&g->mu);
    g->entered = true;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    count_done(op, g->c);
}

static void bad_op_fails_alone_in_its_batch(void **state)
{
    store_fixture *f = *state;
    assert_int_equal(put_line(f->st, LINE, WABA), ATIVA_OK);
    counter c = {.done = 0, .ok = 0};
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    gate g = {.entered = false, .open = false, .c = &c};
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);

    ativa_store_op first = {.kind = ATIVA_STORE_PUT_LINE, .done = gate_done, .user = &g};
    first.in.line.phone_number_id = LINE2;
    first.in.line.display_number = "1555";
    first.in.line.waba_id = WABA;
    assert_int_equal(ativa_store_submit(f->st, &first), ATIVA_OK);
    pthread_mutex_lock(&g.mu);
    while (!g.entered)
        pthread_cond_wait(&g.cv, &g.mu);
    pthread_mutex_unlock(&g.mu);

    ativa_store_stats before;
    assert_int_equal(ativa_store_stats_get(f->st, &before), ATIVA_OK);
    ativa_store_op ops[3];
    const char *wamids[3] = {"wamid.b.1", "wamid.b.2", "wamid.b.3"};
    for (int i = 0; i < 3; i++) {
        memset(&ops[i], 0, sizeof ops[i]);
        ops[i].kind = ATIVA_STORE_RECORD_INBOUND;
        ops[i].in.inbound.line = i == 1 ? "4040404" : LINE; /* an unknown line */
        ops[i].in.inbound.from = "5511999990001";
        ops[i].in.inbound.wamid = wamids[i];
        ops[i].in.inbound.ts_ms = T0;
        ops[i].in.inbound.now_ms = T0;
        ops[i].in.inbound.window_ms = DAY;
        ops[i].done = count_done;
        ops[i].user = &c;
        assert_int_equal(ativa_store_submit(f->st, &ops[i]), ATIVA_OK);
    }
    pthread_mutex_lock(&g.mu);
    g.open = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    pthread_mutex_lock(&c.mu);
    while (c.done < 4)
        pthread_cond_wait(&c.cv, &c.mu);
    pthread_mutex_unlock(&c.mu);

    assert_int_equal(ops[0].result, ATIVA_OK);
    assert_int_equal(ops[1].result, ATIVA_ERR_NOT_FOUND);
    assert_int_equal(ops[2].result, ATIVA_OK);
    assert_int_equal(ops[1].out.event_first, 0);
    ativa_store_stats after;
    assert_int_equal(ativa_store_stats_get(f->st, &after), ATIVA_OK);
    assert_int_equal(after.batches - before.batches, 1);
    json_t *m = NULL;
    assert_int_equal(ativa_store_get_message_by_wamid(f->st, "wamid.b.2", &m), ATIVA_ERR_NOT_FOUND);
    assert_int_equal(ativa_store_get_message_by_wamid(f->st, "wamid.b.3", &m), ATIVA_OK);
    assert_int_equal(jint(m, "seq"), 2);
    json_decref(m);
    check_events_contiguous(f->st);
    pthread_cond_destroy(&g.cv);
    pthread_mutex_destroy(&g.mu);
    pthread_cond_destroy(&c.cv);
    pthread_mutex_destroy(&c.mu);
}

static void close_drains_then_refuses(void **state)
{
    store_fixture *f = *state;
    assert_int_equal(put_line(f->st, LINE, WABA), ATIVA_OK);
    counter c = {.done = 0, .ok = 0};
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    enum { N = 50 };
    ativa_store_op ops[N];
    char wamids[N][24];
    for (int i = 0; i < N; i++) {
        memset(&ops[i], 0, sizeof ops[i]);
        snprintf(wamids[i], sizeof wamids[i], "wamid.d.%d", i);
        ops[i].kind = ATIVA_STORE_RECORD_INBOUND;
        ops[i].in.inbound.line = LINE;
        ops[i].in.inbound.from = "5511999990001";
        ops[i].in.inbound.wamid = wamids[i];
        ops[i].in.inbound.ts_ms = T0;
        ops[i].in.inbound.now_ms = T0;
        ops[i].in.inbound.window_ms = DAY;
        ops[i].done = count_done;
        ops[i].user = &c;
        assert_int_equal(ativa_store_submit(f->st, &ops[i]), ATIVA_OK);
    }
    ativa_store_close(f->st);
    f->st = NULL;
    assert_int_equal(c.done, N);
    assert_int_equal(c.ok, N);
    fixture_reopen(f);
    assert_int_equal(db_entries(f->st, "messages"), N);
    pthread_cond_destroy(&c.cv);
    pthread_mutex_destroy(&c.mu);
}

typedef struct closer {
    ativa_store *st;
    gate *g;
} closer;

static void *close_thread(void *arg)
{
    closer *cl = arg;
    ativa_store_close(cl->st);
    return NULL;
}

static void submit_after_close_started_is_refused(void **state)
{
    store_fixture *f = *state;
    counter c = {.done = 0, .ok = 0};
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    gate g = {.entered = false, .open = false, .c = &c};
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);
    ativa_store_op first = {.kind = ATIVA_STORE_PUT_LINE, .done = gate_done, .user = &g};
    first.in.line.phone_number_id = LINE;
    first.in.line.display_number = "1555";
    first.in.line.waba_id = WABA;
    assert_int_equal(ativa_store_submit(f->st, &first), ATIVA_OK);
    pthread_mutex_lock(&g.mu);
    while (!g.entered)
        pthread_cond_wait(&g.cv, &g.mu);
    pthread_mutex_unlock(&g.mu);
    closer cl = {.st = f->st, .g = &g};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, close_thread, &cl), 0);
    /* Until close has started, ops are accepted (and drained later): each try uses its own op. */
    enum { TRIES = 200 };
    ativa_store_op *late = calloc(TRIES, sizeof *late);
    ativa_err e = ATIVA_OK;
    int accepted = 0;
    for (int i = 0; i < TRIES; i++) {
        late[i].kind = ATIVA_STORE_PUT_LINE;
        late[i].in.line.phone_number_id = LINE2;
        late[i].in.line.display_number = "1";
        late[i].in.line.waba_id = WABA;
        late[i].done = count_done;
        late[i].user = &c;
        e = ativa_store_submit(f->st, &late[i]);
        if (e == ATIVA_ERR_STORE_CLOSED)
            break;
        accepted++;
        usleep(1000);
    }
    assert_int_equal(e, ATIVA_ERR_STORE_CLOSED);
    ativa_store_op sync = {.kind = ATIVA_STORE_PUT_LINE};
    assert_int_equal(ativa_store_execute(f->st, &sync), ATIVA_ERR_STORE_CLOSED);
    pthread_mutex_lock(&g.mu);
    g.open = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    pthread_join(th, NULL);
    f->st = NULL;
    assert_int_equal(c.done, accepted + 1);
    free(late);
    fixture_reopen(f);
    json_t *line = NULL;
    assert_int_equal(ativa_store_get_line(f->st, LINE, &line), ATIVA_OK);
    json_decref(line);
    pthread_cond_destroy(&g.cv);
    pthread_mutex_destroy(&g.mu);
    pthread_cond_destroy(&c.cv);
    pthread_mutex_destroy(&c.mu);
}

static void submit_checks_arguments(void **state)
{
    store_fixture *f = *state;
    ativa_store_op op = {.kind = ATIVA_STORE_PUT_LINE};
    assert_int_equal(ativa_store_submit(f->st, &op), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_submit(f->st, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_execute(f->st, NULL), ATIVA_ERR_INVALID_ARGUMENT);
    op.kind = (ativa_store_op_kind)999;
    assert_int_equal(ativa_store_execute(f->st, &op), ATIVA_ERR_INVALID_ARGUMENT);
    op.kind = ATIVA_STORE_PUT_LINE;
    op.in.line.phone_number_id = "12x";
    op.in.line.display_number = "1";
    op.in.line.waba_id = WABA;
    assert_int_equal(ativa_store_execute(f->st, &op), ATIVA_ERR_INVALID_ARGUMENT);
    op.in.line.phone_number_id = LINE;
    char label[ATIVA_STORE_LABEL_MAX + 2];
    memset(label, 'a', sizeof label - 1);
    label[sizeof label - 1] = '\0';
    op.in.line.label = label;
    assert_int_equal(ativa_store_execute(f->st, &op), ATIVA_ERR_TOO_LARGE);
    op.in.line.label = "\xff\xfe";
    assert_int_equal(ativa_store_execute(f->st, &op), ATIVA_ERR_INVALID_ARGUMENT);
    json_t *lines = NULL;
    assert_int_equal(ativa_store_list_lines(f->st, &lines), ATIVA_OK);
    assert_int_equal(json_array_size(lines), 0);
    json_decref(lines);
    ativa_store_stats s;
    assert_int_equal(ativa_store_stats_get(f->st, &s), ATIVA_OK);
    assert_true(s.db_count >= 20);
    assert_int_equal(s.last_event_seq, 0);
    assert_true(s.page_size >= 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(open_close_reopen_keeps_data, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test(open_refuses_bad_arguments),
        cmocka_unit_test(newer_schema_is_refused),
        cmocka_unit_test(schema_zero_is_migrated),
        cmocka_unit_test(map_grows_from_64_kib),
        cmocka_unit_test(map_that_cannot_grow_fails_cleanly),
        cmocka_unit_test_setup_teardown(concurrent_submissions_share_transactions,
                                        fixture_setup_fast, fixture_teardown),
        cmocka_unit_test_setup_teardown(bad_op_fails_alone_in_its_batch, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(close_drains_then_refuses, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(submit_after_close_started_is_refused, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(submit_checks_arguments, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
