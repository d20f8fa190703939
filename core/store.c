/* The store engine: environment, schema and migrations, the writer thread and its batches. */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include "store_internal.h"

#include "ativa/phone.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const ativa_store__db_names[DB__COUNT] = {
    [DB_META] = "meta",
    [DB_LINES] = "lines",
    [DB_CUSTOMERS] = "customers",
    [DB_WINDOWS] = "windows",
    [DB_CONVS] = "conversations",
    [DB_CONV_OPEN] = "conv_open",
    [DB_CONV_OPEN_IDS] = "conv_open_ids",
    [DB_CONV_LAST] = "conv_last",
    [DB_MESSAGES] = "messages",
    [DB_WAMIDS] = "wamids",
    [DB_PENDING] = "pending_status",
    [DB_TEMPLATES] = "templates",
    [DB_ATT] = "attendances",
    [DB_ATT_TIME] = "att_by_time",
    [DB_ATT_CUSTOMER] = "att_by_customer",
    [DB_ATT_LINE] = "att_by_line",
    [DB_ATT_AGENT] = "att_by_agent",
    [DB_OUTBOX] = "outbox",
    [DB_OUTBOX_DUE] = "outbox_due",
    [DB_EVENTS] = "events",
    [DB_AGENTS] = "agents",
    [DB_AGENT_LOGINS] = "agent_logins",
    [DB_SESSIONS] = "sessions",
    [DB_SESSION_AGENT] = "sessions_by_agent",
    [DB_LOGIN_FAILURES] = "login_failures",
};

#define DEFAULT_MAP_SIZE ((size_t)64 << 20)
#define SCHEMA_KEY       "schema_version"

ativa_store_config ativa_store_config_default(const char *path)
{
    ativa_store_config c = {.path = path, .map_size = 0, .durable = true, .max_batch = 0};
    return c;
}

/* ---- schema ---- */

typedef ativa_err (*migration_fn)(store_wtx *w);

/* migrations[n] turns schema n into n + 1. */
static const migration_fn migrations[ATIVA_STORE_SCHEMA_VERSION] = {
    ativa_store__migrate_0_to_1,
    ativa_store__migrate_1_to_2,
};

/*
 * Schema 0 keyed customers by the wa_id exactly as Meta sent it, so the two ninth-digit forms of
 * one Brazilian mobile could be two customers. Schema 1 keys them by ativa_phone_key: rekey every
 * record, keeping the older one when both forms exist.
 */
ativa_err ativa_store__migrate_0_to_1(store_wtx *w)
{
    MDB_cursor *cur = NULL;
    json_t *moved = json_object();
    ativa_err e = ATIVA_OK;
    if (moved == NULL)
        return ATIVA_ERR_NO_MEMORY;
    int rc = mdb_cursor_open(w->txn, w->st->dbi[DB_CUSTOMERS], &cur);
    if (rc != 0) {
        e = ativa_store__lmdb_err(w, rc);
        goto done;
    }
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char raw[ATIVA_PHONE_MAX];
        char key[ATIVA_PHONE_MAX];
        if (k.mv_size == 0 || k.mv_size >= sizeof raw) {
            e = ATIVA_ERR_STORE_CORRUPT;
            goto done;
        }
        memcpy(raw, k.mv_data, k.mv_size);
        raw[k.mv_size] = '\0';
        if (ativa_phone_key(raw, key) != ATIVA_OK) {
            e = ATIVA_ERR_STORE_CORRUPT;
            goto done;
        }
        if (strcmp(raw, key) == 0)
            continue;
        json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        if (rec == NULL) {
            e = ATIVA_ERR_STORE_CORRUPT;
            goto done;
        }
        ativa_store__jset_str(rec, "key", key);
        if (ativa_store__jstr(rec, "wa_id") == NULL)
            ativa_store__jset_str(rec, "wa_id", raw);
        json_object_set_new(moved, raw, rec);
    }
    mdb_cursor_close(cur);
    cur = NULL;
    const char *raw;
    json_t *rec;
    json_object_foreach(moved, raw, rec)
    {
        store_key old, nk;
        ativa_store__key_init(&old);
        ativa_store__key_raw(&old, raw);
        ativa_store__key_init(&nk);
        ativa_store__key_raw(&nk, ativa_store__jstr(rec, "key"));
        if ((e = ativa_store__del(w, DB_CUSTOMERS, &old)) != ATIVA_OK)
            goto done;
        json_t *existing = NULL;
        e = ativa_store__get_json(w->txn, w->st->dbi[DB_CUSTOMERS], &nk, &existing);
        if (e == ATIVA_OK) {
            json_decref(existing);
            continue;
        }
        if (e != ATIVA_ERR_NOT_FOUND)
            goto done;
        if ((e = ativa_store__put_json(w, DB_CUSTOMERS, &nk, rec)) != ATIVA_OK)
            goto done;
    }
    e = ATIVA_OK;
done:
    if (cur != NULL)
        mdb_cursor_close(cur);
    json_decref(moved);
    return e;
}

/*
 * Schema 2 adds agents, sessions and login failures in databases of their own. open_dbs has
 * already created them (empty) before the schema is checked, and nothing older refers to them,
 * so there is nothing to convert; a v1 directory only needs its marker raised. An older binary
 * then refuses the directory (ATIVA_ERR_STORE_VERSION) instead of ignoring the agents.
 */
ativa_err ativa_store__migrate_1_to_2(store_wtx *w)
{
    static const int added[] = {DB_AGENTS, DB_AGENT_LOGINS, DB_SESSIONS, DB_SESSION_AGENT,
                                DB_LOGIN_FAILURES};
    for (size_t i = 0; i < sizeof added / sizeof added[0]; i++) {
        MDB_stat s;
        int rc = mdb_stat(w->txn, w->st->dbi[added[i]], &s);
        if (rc != 0)
            return ativa_store__lmdb_err(w, rc);
        /* A schema-1 directory cannot hold these: if one does, something else wrote it. */
        if (s.ms_entries != 0)
            return ATIVA_ERR_STORE_CORRUPT;
    }
    return ATIVA_OK;
}

static ativa_err schema_check(ativa_store *st)
{
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc != 0)
        return ativa_store__lmdb_err(NULL, rc);
    store_wtx w = {.st = st, .txn = txn};
    store_key k;
    ativa_store__key_init(&k);
    ativa_store__key_raw(&k, SCHEMA_KEY);
    MDB_val v;
    uint32_t version = ATIVA_STORE_SCHEMA_VERSION;
    ativa_err e = ativa_store__get_raw(txn, st->dbi[DB_META], &k, &v);
    if (e == ATIVA_OK) {
        if (v.mv_size != 4) {
            e = ATIVA_ERR_STORE_CORRUPT;
            goto fail;
        }
        version = ativa_store__get_u32(v.mv_data);
    } else if (e != ATIVA_ERR_NOT_FOUND) {
        goto fail;
    }
    if (version > ATIVA_STORE_SCHEMA_VERSION) {
        e = ATIVA_ERR_STORE_VERSION;
        goto fail;
    }
    for (uint32_t n = version; n < ATIVA_STORE_SCHEMA_VERSION; n++)
        if ((e = migrations[n](&w)) != ATIVA_OK)
            goto fail;
    store_key vv;
    ativa_store__key_init(&vv);
    ativa_store__key_u32(&vv, ATIVA_STORE_SCHEMA_VERSION);
    if ((e = ativa_store__put_raw(&w, DB_META, &k, vv.b, vv.n)) != ATIVA_OK)
        goto fail;
    rc = mdb_txn_commit(txn);
    return ativa_store__lmdb_err(NULL, rc);
fail:
    mdb_txn_abort(txn);
    return e;
}

/* ---- reads ---- */

/* Another process may have grown the map; adopt its size (no transaction of ours is open). */
static int adopt_new_map_size(ativa_store *st)
{
    pthread_rwlock_wrlock(&st->map_lock);
    int rc = mdb_env_set_mapsize(st->env, 0);
    if (rc != 0)
        st->unmapped = true;
    pthread_rwlock_unlock(&st->map_lock);
    return rc;
}

static bool map_lost(ativa_store *st)
{
    pthread_rwlock_rdlock(&st->map_lock);
    bool lost = st->unmapped;
    pthread_rwlock_unlock(&st->map_lock);
    return lost;
}

ativa_err ativa_store__read_begin(ativa_store *st, MDB_txn **txn)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        pthread_rwlock_rdlock(&st->map_lock);
        if (st->unmapped) {
            pthread_rwlock_unlock(&st->map_lock);
            return ATIVA_ERR_STORE_IO;
        }
        int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
        if (rc == 0)
            return ATIVA_OK;
        pthread_rwlock_unlock(&st->map_lock);
        if (rc != MDB_MAP_RESIZED || adopt_new_map_size(st) != 0)
            return ativa_store__lmdb_err(NULL, rc);
    }
    return ATIVA_ERR_STORE_IO;
}

void ativa_store__read_end(ativa_store *st, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&st->map_lock);
}

ativa_err ativa_store__read_json(ativa_store *st, int db, const store_key *k, json_t **out_new)
{
    *out_new = NULL;
    MDB_txn *txn;
    ativa_err e = ativa_store__read_begin(st, &txn);
    if (e != ATIVA_OK)
        return e;
    e = ativa_store__get_json(txn, st->dbi[db], k, out_new);
    ativa_store__read_end(st, txn);
    return e;
}

ativa_err ativa_store__decode(const MDB_val *val, json_t **out_new)
{
    *out_new = json_loadb(val->mv_data, val->mv_size, 0, NULL);
    return *out_new != NULL ? ATIVA_OK : ATIVA_ERR_STORE_CORRUPT;
}

ativa_err ativa_store__scan(ativa_store *st, int db, const store_key *from, size_t limit,
                            store_scan_fn fn, void *ctx, json_t **out_new)
{
    *out_new = NULL;
    json_t *arr = json_array();
    if (arr == NULL)
        return ATIVA_ERR_NO_MEMORY;
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    ativa_err e = ativa_store__read_begin(st, &txn);
    if (e != ATIVA_OK) {
        json_decref(arr);
        return e;
    }
    MDB_val k = {0, NULL}, v;
    if (from != NULL) {
        k.mv_size = from->n;
        k.mv_data = (void *)from->b;
    }
    int rc = mdb_cursor_open(txn, st->dbi[db], &cur);
    if (rc == 0)
        rc = mdb_cursor_get(cur, &k, &v, from != NULL ? MDB_SET_RANGE : MDB_FIRST);
    while (rc == 0 && json_array_size(arr) < limit) {
        json_t *item = NULL;
        bool more = true;
        if (fn != NULL)
            more = fn(txn, &k, &v, ctx, &item, &e);
        else
            more = (e = ativa_store__decode(&v, &item)) == ATIVA_OK;
        if (item != NULL && json_array_append_new(arr, item) != 0)
            e = ATIVA_ERR_NO_MEMORY;
        if (!more || e != ATIVA_OK)
            break;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (e == ATIVA_OK && rc != 0 && rc != MDB_NOTFOUND)
        e = ativa_store__lmdb_err(NULL, rc);
    if (cur != NULL)
        mdb_cursor_close(cur);
    ativa_store__read_end(st, txn);
    if (e != ATIVA_OK) {
        json_decref(arr);
        return e;
    }
    *out_new = arr;
    return ATIVA_OK;
}

/* ---- the writer ---- */

static ativa_err apply_op(store_wtx *w, ativa_store_op *op)
{
    switch (op->kind) {
    case ATIVA_STORE_PUT_LINE:
        return ativa_store__apply_put_line(w, &op->in.line);
    case ATIVA_STORE_RECORD_INBOUND:
        return ativa_store__apply_inbound(w, &op->in.inbound);
    case ATIVA_STORE_APPLY_STATUS:
        return ativa_store__apply_status(w, &op->in.status);
    case ATIVA_STORE_CREATE_CONVERSATION:
        return ativa_store__apply_create(w, &op->in.create);
    case ATIVA_STORE_SEND_TEXT:
        return ativa_store__apply_send_text(w, &op->in.text);
    case ATIVA_STORE_SEND_TEMPLATE:
        return ativa_store__apply_send_template(w, &op->in.tmpl);
    case ATIVA_STORE_TAKE_CONVERSATION:
        return ativa_store__apply_take(w, &op->in.conv);
    case ATIVA_STORE_ADVANCE:
        return ativa_store__apply_advance(w, &op->in.conv);
    case ATIVA_STORE_FINALIZE:
        return ativa_store__apply_finalize(w, &op->in.finalize);
    case ATIVA_STORE_OUTBOX_SENDING:
    case ATIVA_STORE_OUTBOX_ACCEPTED:
    case ATIVA_STORE_OUTBOX_RETRY:
    case ATIVA_STORE_OUTBOX_FAILED:
    case ATIVA_STORE_OUTBOX_RECOVER:
        return ativa_store__apply_outbox(w, op->kind, &op->in.outbox);
    case ATIVA_STORE_PUT_TEMPLATE:
        return ativa_store__apply_put_template(w, &op->in.template_op);
    case ATIVA_STORE_TEMPLATE_STATUS:
        return ativa_store__apply_template_status(w, &op->in.template_op);
    case ATIVA_STORE_PUT_AGENT:
        return ativa_store__apply_put_agent(w, &op->in.agent);
    case ATIVA_STORE_CREATE_SESSION:
    case ATIVA_STORE_REVOKE_SESSION:
    case ATIVA_STORE_PURGE_SESSIONS:
        return ativa_store__apply_session(w, op->kind, &op->in.session);
    case ATIVA_STORE_LOGIN_FAILED:
    case ATIVA_STORE_LOGIN_SUCCEEDED:
        return ativa_store__apply_login(w, op->kind, &op->in.login);
    }
    return ATIVA_ERR_INVALID_ARGUMENT;
}

/* Double the map. LMDB allows it only while this process has no transaction: readers hold
 * map_lock shared, so holding it exclusively is enough. */
static bool grow_map(ativa_store *st)
{
    pthread_rwlock_wrlock(&st->map_lock);
    /* Double what the environment maps now: another process may have grown it already. */
    MDB_envinfo info;
    int rc = mdb_env_info(st->env, &info);
    if (rc == 0)
        rc = info.me_mapsize > SIZE_MAX / 2 ? EINVAL
                                            : mdb_env_set_mapsize(st->env, info.me_mapsize * 2);
    if (rc != 0 && rc != EINVAL)
        st->unmapped = true;
    pthread_rwlock_unlock(&st->map_lock);
    if (rc != 0)
        return false;
    pthread_mutex_lock(&st->mu);
    st->grows++;
    pthread_mutex_unlock(&st->mu);
    return true;
}

static void fail_all(ativa_store_op **ops, size_t n, ativa_err e)
{
    for (size_t i = 0; i < n; i++)
        ops[i]->result = e;
}

static void run_batch(ativa_store *st, ativa_store_op **ops, size_t n)
{
    for (;;) {
        if (map_lost(st)) {
            fail_all(ops, n, ATIVA_ERR_STORE_IO);
            return;
        }
        MDB_txn *txn = NULL;
        int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
        if (rc == MDB_MAP_RESIZED && adopt_new_map_size(st) == 0)
            continue;
        if (rc != 0) {
            fail_all(ops, n, ativa_store__lmdb_err(NULL, rc));
            return;
        }
        bool map_full = false;
        for (size_t i = 0; i < n && !map_full; i++) {
            ativa_store_op *op = ops[i];
            memset(&op->out, 0, sizeof op->out);
            MDB_txn *child = NULL;
            rc = mdb_txn_begin(st->env, txn, 0, &child);
            if (rc != 0) {
                op->result = ativa_store__lmdb_err(NULL, rc);
                map_full = rc == MDB_MAP_FULL;
                continue;
            }
            store_wtx w = {.st = st, .txn = child, .out = &op->out};
            op->result = apply_op(&w, op);
            if (w.map_full) {
                mdb_txn_abort(child);
                map_full = true;
            } else if (op->result == ATIVA_OK) {
                rc = mdb_txn_commit(child);
                if (rc != 0) {
                    op->result = ativa_store__lmdb_err(&w, rc);
                    map_full = w.map_full;
                }
            } else {
                /* Refused: nothing it did may remain, but its outputs (e.g. the id of the
                 * conversation already open) still tell the caller why. */
                ativa_store_out keep = op->out;
                mdb_txn_abort(child);
                keep.event_first = keep.event_last = 0;
                op->out = keep;
            }
        }
        if (map_full) {
            mdb_txn_abort(txn);
            if (!grow_map(st)) {
                fail_all(ops, n, ATIVA_ERR_STORE_IO);
                return;
            }
            continue;
        }
        rc = mdb_txn_commit(txn);
        if (rc == MDB_MAP_FULL) {
            if (!grow_map(st)) {
                fail_all(ops, n, ATIVA_ERR_STORE_IO);
                return;
            }
            continue;
        }
        if (rc != 0) {
            fail_all(ops, n, ATIVA_ERR_STORE_IO);
            return;
        }
        pthread_mutex_lock(&st->mu);
        st->batches++;
        st->ops += n;
        pthread_mutex_unlock(&st->mu);
        return;
    }
}

static void *writer_main(void *arg)
{
    ativa_store *st = arg;
    for (;;) {
        pthread_mutex_lock(&st->mu);
        while (st->head == NULL && !st->closing)
            pthread_cond_wait(&st->cv, &st->mu);
        if (st->head == NULL) {
            pthread_mutex_unlock(&st->mu);
            break;
        }
        size_t n = 0;
        while (st->head != NULL && n < st->max_batch) {
            ativa_store_op *op = st->head;
            st->head = op->next_;
            op->next_ = NULL;
            st->batch[n++] = op;
        }
        if (st->head == NULL)
            st->tail = NULL;
        pthread_mutex_unlock(&st->mu);

        run_batch(st, st->batch, n);
        for (size_t i = 0; i < n; i++) {
            ativa_store_op *op = st->batch[i];
            op->done(op, op->user);
        }
    }
    return NULL;
}

ativa_err ativa_store_submit(ativa_store *st, ativa_store_op *op)
{
    if (st == NULL || op == NULL || op->done == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&st->mu);
    if (st->closing) {
        pthread_mutex_unlock(&st->mu);
        return ATIVA_ERR_STORE_CLOSED;
    }
    op->next_ = NULL;
    if (st->tail != NULL)
        st->tail->next_ = op;
    else
        st->head = op;
    st->tail = op;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
    return ATIVA_OK;
}

typedef struct sync_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
} sync_wait;

static void sync_done(ativa_store_op *op, void *user)
{
    (void)op;
    sync_wait *sw = user;
    pthread_mutex_lock(&sw->mu);
    sw->done = true;
    pthread_cond_signal(&sw->cv);
    pthread_mutex_unlock(&sw->mu);
}

ativa_err ativa_store_execute(ativa_store *st, ativa_store_op *op)
{
    if (op == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    sync_wait sw = {.done = false};
    pthread_mutex_init(&sw.mu, NULL);
    pthread_cond_init(&sw.cv, NULL);
    op->done = sync_done;
    op->user = &sw;
    ativa_err e = ativa_store_submit(st, op);
    if (e == ATIVA_OK) {
        pthread_mutex_lock(&sw.mu);
        while (!sw.done)
            pthread_cond_wait(&sw.cv, &sw.mu);
        pthread_mutex_unlock(&sw.mu);
        e = op->result;
    } else {
        op->result = e;
    }
    pthread_cond_destroy(&sw.cv);
    pthread_mutex_destroy(&sw.mu);
    return e;
}

/* ---- open and close ---- */

static ativa_err open_dbs(ativa_store *st)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc != 0)
        return ativa_store__lmdb_err(NULL, rc);
    for (int i = 0; i < DB__COUNT; i++) {
        rc = mdb_dbi_open(txn, ativa_store__db_names[i], MDB_CREATE, &st->dbi[i]);
        if (rc != 0) {
            mdb_txn_abort(txn);
            return ativa_store__lmdb_err(NULL, rc);
        }
    }
    rc = mdb_txn_commit(txn);
    if (rc == MDB_MAP_FULL)
        return ATIVA_ERR_STORE_IO;
    return ativa_store__lmdb_err(NULL, rc);
}

ativa_err ativa_store_open(const ativa_store_config *cfg, ativa_store **out)
{
    ativa_err e = ATIVA_ERR_STORE_IO;
    if (out != NULL)
        *out = NULL;
    if (cfg == NULL || cfg->path == NULL || out == NULL || cfg->max_batch > ATIVA_STORE_BATCH_MAX)
        return ATIVA_ERR_INVALID_ARGUMENT;
    ativa_store *st = calloc(1, sizeof *st);
    if (st == NULL)
        return ATIVA_ERR_NO_MEMORY;
    st->max_batch = cfg->max_batch ? cfg->max_batch : ATIVA_STORE_BATCH_DEFAULT;
    size_t map_size = cfg->map_size ? cfg->map_size : DEFAULT_MAP_SIZE;
    /* Prefer the writer: a steady stream of reads must not keep the map from growing. Reads
     * never nest, so a reader cannot wait on itself behind a queued writer. */
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&st->map_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    st->batch = calloc(st->max_batch, sizeof *st->batch);
    if (st->batch == NULL) {
        e = ATIVA_ERR_NO_MEMORY;
        goto fail;
    }
    if (mdb_env_create(&st->env) != 0)
        goto fail;
    if (mdb_env_set_maxdbs(st->env, DB__COUNT + 4) != 0 ||
        mdb_env_set_mapsize(st->env, map_size) != 0)
        goto fail;
    /* NOTLS: read transactions are begun on the caller's thread, writes on the writer thread. */
    unsigned flags = MDB_NOTLS;
    if (!cfg->durable)
        flags |= MDB_NOSYNC;
    int rc = mdb_env_open(st->env, cfg->path, flags, 0640);
    if (rc != 0) {
        e = rc == ENOENT || rc == EACCES ? ATIVA_ERR_STORE_IO : ativa_store__lmdb_err(NULL, rc);
        goto fail;
    }
    /* Reader slots left by a killed process would pin old pages forever. */
    int dead = 0;
    mdb_reader_check(st->env, &dead);
    for (;;) {
        e = open_dbs(st);
        if (e == ATIVA_OK)
            e = schema_check(st);
        if (e != ATIVA_ERR_STORE_IO || !grow_map(st))
            break;
    }
    if (e != ATIVA_OK)
        goto fail;
    st->grows = 0;
    if (pthread_create(&st->writer, NULL, writer_main, st) != 0) {
        e = ATIVA_ERR_STORE_IO;
        goto fail;
    }
    st->thread_started = true;
    *out = st;
    return ATIVA_OK;
fail:
    if (st->env != NULL)
        mdb_env_close(st->env);
    free(st->batch);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
    pthread_rwlock_destroy(&st->map_lock);
    free(st);
    return e;
}

void ativa_store_close(ativa_store *st)
{
    if (st == NULL)
        return;
    pthread_mutex_lock(&st->mu);
    st->closing = true;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    if (st->thread_started)
        pthread_join(st->writer, NULL);
    mdb_env_close(st->env);
    free(st->batch);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
    pthread_rwlock_destroy(&st->map_lock);
    free(st);
}

ativa_err ativa_store_stats_get(ativa_store *st, ativa_store_stats *out)
{
    if (st == NULL || out == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    MDB_txn *txn;
    ativa_err e = ativa_store__read_begin(st, &txn);
    if (e != ATIVA_OK)
        return e;
    MDB_envinfo info;
    MDB_stat es;
    if (mdb_env_info(st->env, &info) != 0 || mdb_env_stat(st->env, &es) != 0) {
        ativa_store__read_end(st, txn);
        return ATIVA_ERR_STORE_IO;
    }
    out->map_size = info.me_mapsize;
    out->page_size = es.ms_psize;
    out->pages_used = info.me_last_pgno + 1;
    for (int i = 0; i < DB__COUNT && i < ATIVA_STORE_DB_COUNT_MAX; i++) {
        MDB_stat s;
        if (mdb_stat(txn, st->dbi[i], &s) != 0) {
            ativa_store__read_end(st, txn);
            return ATIVA_ERR_STORE_IO;
        }
        out->dbs[i].name = ativa_store__db_names[i];
        out->dbs[i].entries = s.ms_entries;
        out->db_count = (unsigned)i + 1;
    }
    MDB_cursor *cur;
    MDB_val k, v;
    if (mdb_cursor_open(txn, st->dbi[DB_EVENTS], &cur) == 0) {
        if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
            out->last_event_seq = ativa_store__get_u64(k.mv_data);
        mdb_cursor_close(cur);
    }
    ativa_store__read_end(st, txn);
    pthread_mutex_lock(&st->mu);
    out->batches = st->batches;
    out->ops = st->ops;
    out->map_grows = st->grows;
    pthread_mutex_unlock(&st->mu);
    return ATIVA_OK;
}

/* One attempt at copying into fd from its start. */
static int copy_to(ativa_store *st, int fd, bool compact)
{
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
        return errno;
    /* The copy runs its own read transaction: hold the map lock like any other reader. */
    pthread_rwlock_rdlock(&st->map_lock);
    int rc = st->unmapped ? EIO : mdb_env_copyfd2(st->env, fd, compact ? MDB_CP_COMPACT : 0);
    pthread_rwlock_unlock(&st->map_lock);
    return rc;
}

/* mdb_env_copy2 with a cleaner failure: LMDB's own leaves a partial data.mdb behind. */
ativa_err ativa_store_backup(ativa_store *st, const char *dest_dir, bool compact)
{
    if (st == NULL || dest_dir == NULL || dest_dir[0] == '\0')
        return ATIVA_ERR_INVALID_ARGUMENT;
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/data.mdb", dest_dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return ATIVA_ERR_INVALID_ARGUMENT;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return errno == EEXIST                       ? ATIVA_ERR_EXISTS
               : errno == ENOENT || errno == ENOTDIR ? ATIVA_ERR_NOT_FOUND
                                                     : ATIVA_ERR_STORE_IO;
    int rc = copy_to(st, fd, compact);
    /* Another process grew the map since we last looked: adopt its size and copy again. */
    if (rc == MDB_MAP_RESIZED && adopt_new_map_size(st) == 0)
        rc = copy_to(st, fd, compact);
    if (rc == 0 && fsync(fd) != 0)
        rc = errno;
    if (close(fd) != 0 && rc == 0)
        rc = errno;
    if (rc != 0) {
        unlink(path);
        return ATIVA_ERR_STORE_IO;
    }
    return ATIVA_OK;
}
