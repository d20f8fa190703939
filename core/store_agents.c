/* Agents, their sessions and the failed logins that slow the next attempt down (schema 2). */
#include "store_internal.h"

#include "ativa/auth.h"

#include <string.h>

/* ---- keys ---- */

static void id_key(store_key *k, uint64_t id)
{
    ativa_store__key_init(k);
    ativa_store__key_u64(k, id);
}

static void login_key(store_key *k, const char *login)
{
    ativa_store__key_init(k);
    ativa_store__key_raw(k, login);
}

static void session_key(store_key *k, const char *token_hash)
{
    ativa_store__key_init(k);
    ativa_store__key_raw(k, token_hash);
}

static void session_agent_key(store_key *k, uint64_t agent, const char *token_hash)
{
    ativa_store__key_init(k);
    ativa_store__key_u64(k, agent);
    ativa_store__key_raw(k, token_hash);
}

/* What ativa_auth_token_hash writes: SHA-256 as 64 lowercase hex digits. */
static bool token_hash_valid(const char *h)
{
    if (h == NULL || strnlen(h, ATIVA_STORE_TOKEN_HASH_LEN + 1) != ATIVA_STORE_TOKEN_HASH_LEN)
        return false;
    for (size_t i = 0; i < ATIVA_STORE_TOKEN_HASH_LEN; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            return false;
    return true;
}

/* ---- records ---- */

static ativa_err agent_load(MDB_txn *txn, ativa_store *st, uint64_t id, json_t **out_new)
{
    store_key k;
    id_key(&k, id);
    ativa_err e = ativa_store__get_json(txn, st->dbi[DB_AGENTS], &k, out_new);
    if (e == ATIVA_OK &&
        (!json_is_object(*out_new) || ativa_store__jint(*out_new, "id", 0) != (int64_t)id)) {
        json_decref(*out_new);
        *out_new = NULL;
        return ATIVA_ERR_STORE_CORRUPT;
    }
    return e;
}

static ativa_err login_lookup(MDB_txn *txn, ativa_store *st, const char *login, uint64_t *id)
{
    store_key k;
    login_key(&k, login);
    MDB_val v;
    ativa_err e = ativa_store__get_raw(txn, st->dbi[DB_AGENT_LOGINS], &k, &v);
    if (e != ATIVA_OK)
        return e;
    if (v.mv_size != 8)
        return ATIVA_ERR_STORE_CORRUPT;
    *id = ativa_store__get_u64(v.mv_data);
    return ATIVA_OK;
}

static bool agent_disabled(const json_t *agent)
{
    return json_is_true(json_object_get(agent, "disabled"));
}

/* A session record's fields, or ATIVA_ERR_STORE_CORRUPT. */
static ativa_err session_decode(const json_t *s, ativa_store_session *out, int64_t *revoked_ms)
{
    json_t *agent = json_object_get(s, "agent"), *created = json_object_get(s, "created_ms"),
           *expires = json_object_get(s, "expires_ms"), *revoked = json_object_get(s, "revoked_ms");
    if (!json_is_integer(agent) || !json_is_integer(created) || !json_is_integer(expires) ||
        !json_is_integer(revoked))
        return ATIVA_ERR_STORE_CORRUPT;
    out->agent = (uint64_t)json_integer_value(agent);
    out->created_ms = (int64_t)json_integer_value(created);
    out->expires_ms = (int64_t)json_integer_value(expires);
    *revoked_ms = (int64_t)json_integer_value(revoked);
    return ATIVA_OK;
}

/* ---- writes ---- */

/* Mark one session revoked. skip_expired: leave it alone (ATIVA_ERR_DUPLICATE) if it has
 * expired anyway, so that counts say how many sessions were actually cut short. */
static ativa_err revoke_one(store_wtx *w, const char *token_hash, int64_t now_ms, bool skip_expired,
                            uint64_t *agent)
{
    store_key k;
    session_key(&k, token_hash);
    json_t *s = NULL;
    ativa_err e = ativa_store__get_json(w->txn, w->st->dbi[DB_SESSIONS], &k, &s);
    if (e != ATIVA_OK)
        return e;
    ativa_store_session sess;
    int64_t revoked;
    if ((e = session_decode(s, &sess, &revoked)) != ATIVA_OK)
        goto done;
    *agent = sess.agent;
    if (revoked != 0 || (skip_expired && now_ms >= sess.expires_ms)) {
        e = ATIVA_ERR_DUPLICATE;
        goto done;
    }
    /* A revocation at the very first instant still has to read as "revoked". */
    ativa_store__jset_int(s, "revoked_ms", now_ms > 0 ? now_ms : 1);
    e = ativa_store__put_json(w, DB_SESSIONS, &k, s);
done:
    json_decref(s);
    return e;
}

/* Revoke every session of the agent that is neither revoked nor expired yet. */
static ativa_err revoke_all(store_wtx *w, uint64_t agent, int64_t now_ms, unsigned *count)
{
    json_t *hashes = json_array();
    if (hashes == NULL)
        return ATIVA_ERR_NO_MEMORY;
    MDB_cursor *cur = NULL;
    ativa_err e = ATIVA_OK;
    int rc = mdb_cursor_open(w->txn, w->st->dbi[DB_SESSION_AGENT], &cur);
    if (rc != 0) {
        e = ativa_store__lmdb_err(w, rc);
        goto done;
    }
    store_key prefix;
    id_key(&prefix, agent);
    MDB_val k = {prefix.n, prefix.b}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8 + ATIVA_STORE_TOKEN_HASH_LEN || memcmp(k.mv_data, prefix.b, 8) != 0)
            break;
        json_array_append_new(
            hashes, json_stringn((const char *)k.mv_data + 8, ATIVA_STORE_TOKEN_HASH_LEN));
    }
    if (rc != 0 && rc != MDB_NOTFOUND) {
        e = ativa_store__lmdb_err(w, rc);
        goto done;
    }
    mdb_cursor_close(cur);
    cur = NULL;
    size_t i;
    json_t *h;
    json_array_foreach(hashes, i, h)
    {
        uint64_t owner = 0;
        const char *hash = json_string_value(h);
        if (hash == NULL || !token_hash_valid(hash)) {
            e = ATIVA_ERR_STORE_CORRUPT;
            goto done;
        }
        e = revoke_one(w, hash, now_ms, true, &owner);
        if (e == ATIVA_ERR_DUPLICATE || e == ATIVA_ERR_NOT_FOUND)
            continue; /* already revoked, or purged with its index entry left behind */
        if (e != ATIVA_OK)
            goto done;
        (*count)++;
    }
    e = ATIVA_OK;
done:
    if (cur != NULL)
        mdb_cursor_close(cur);
    json_decref(hashes);
    return e;
}

static ativa_err check_lines(const ativa_store_in_agent *in)
{
    if (in->n_lines > ATIVA_STORE_AGENT_LINES_MAX)
        return ATIVA_ERR_TOO_LARGE;
    if (in->n_lines > 0 && in->lines == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < in->n_lines; i++) {
        ativa_err e = ativa_store__check_digits(in->lines[i], ATIVA_STORE_ID_MAX);
        if (e != ATIVA_OK)
            return e;
        for (size_t j = 0; j < i; j++)
            if (strcmp(in->lines[i], in->lines[j]) == 0)
                return ATIVA_ERR_INVALID_ARGUMENT;
    }
    return ATIVA_OK;
}

static ativa_err check_agent_input(const ativa_store_in_agent *in)
{
    ativa_err e;
    if (ativa_auth_login_valid(in->login) != ATIVA_OK)
        return ATIVA_ERR_INVALID_ARGUMENT;
    if (in->name != NULL &&
        (e = ativa_store__check_str(in->name, ATIVA_STORE_AGENT_NAME_MAX, true)) != ATIVA_OK)
        return e;
    if (in->role != NULL && strcmp(in->role, "agent") != 0 && strcmp(in->role, "supervisor") != 0)
        return ATIVA_ERR_INVALID_ARGUMENT;
    switch (in->lines_mode) {
    case ATIVA_STORE_LINES_KEEP:
    case ATIVA_STORE_LINES_ALL:
        break;
    case ATIVA_STORE_LINES_LIST:
        if ((e = check_lines(in)) != ATIVA_OK)
            return e;
        break;
    default:
        return ATIVA_ERR_INVALID_ARGUMENT;
    }
    if (in->state != ATIVA_STORE_AGENT_KEEP && in->state != ATIVA_STORE_AGENT_ENABLE &&
        in->state != ATIVA_STORE_AGENT_DISABLE)
        return ATIVA_ERR_INVALID_ARGUMENT;
    if (in->password_hash != NULL &&
        (e = ativa_store__check_str(in->password_hash, ATIVA_AUTH_HASH_MAX - 1, true)) != ATIVA_OK)
        return e;
    return ATIVA_OK;
}

static json_t *lines_new(const ativa_store_in_agent *in)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < in->n_lines; i++)
        if (json_array_append_new(arr, json_string(in->lines[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

ativa_err ativa_store__apply_put_agent(store_wtx *w, const ativa_store_in_agent *in)
{
    ativa_err e = check_agent_input(in);
    if (e != ATIVA_OK)
        return e;
    json_t *rec = NULL;
    uint64_t id = 0;
    e = login_lookup(w->txn, w->st, in->login, &id);
    if (e == ATIVA_ERR_NOT_FOUND) {
        if (in->name == NULL || in->password_hash == NULL)
            return ATIVA_ERR_INVALID_ARGUMENT;
        if ((e = ativa_store__next_id(w, "agent", &id)) != ATIVA_OK)
            return e;
        rec = json_pack("{s:I, s:s, s:s, s:n, s:b, s:I}", "id", (json_int_t)id, "login", in->login,
                        "role", "agent", "lines", "disabled", 0, "created_ms",
                        (json_int_t)in->now_ms);
        if (rec == NULL)
            return ATIVA_ERR_NO_MEMORY;
        store_key lk, idv;
        login_key(&lk, in->login);
        id_key(&idv, id);
        if ((e = ativa_store__put_raw(w, DB_AGENT_LOGINS, &lk, idv.b, idv.n)) != ATIVA_OK)
            goto done;
        w->out->created = true;
    } else if (e != ATIVA_OK) {
        return e;
    } else if ((e = agent_load(w->txn, w->st, id, &rec)) != ATIVA_OK) {
        /* The index names an agent that is not there. */
        return e == ATIVA_ERR_NOT_FOUND ? ATIVA_ERR_STORE_CORRUPT : e;
    }
    w->out->agent = id;
    bool was_disabled = agent_disabled(rec);
    if (in->name != NULL)
        ativa_store__jset_str(rec, "name", in->name);
    if (in->role != NULL)
        ativa_store__jset_str(rec, "role", in->role);
    if (in->lines_mode == ATIVA_STORE_LINES_ALL) {
        json_object_set_new(rec, "lines", json_null());
    } else if (in->lines_mode == ATIVA_STORE_LINES_LIST) {
        json_t *lines = lines_new(in);
        if (lines == NULL) {
            e = ATIVA_ERR_NO_MEMORY;
            goto done;
        }
        json_object_set_new(rec, "lines", lines);
    }
    if (in->state != ATIVA_STORE_AGENT_KEEP)
        json_object_set_new(rec, "disabled", json_boolean(in->state == ATIVA_STORE_AGENT_DISABLE));
    if (in->password_hash != NULL)
        ativa_store__jset_str(rec, "password_hash", in->password_hash);
    ativa_store__jset_int(rec, "updated_ms", in->now_ms);
    /* A disabled agent must be out at once, not when its sessions happen to expire. */
    if (!was_disabled && agent_disabled(rec) &&
        (e = revoke_all(w, id, in->now_ms, &w->out->count)) != ATIVA_OK)
        goto done;
    store_key k;
    id_key(&k, id);
    e = ativa_store__put_json(w, DB_AGENTS, &k, rec);
done:
    json_decref(rec);
    return e;
}

static ativa_err create_session(store_wtx *w, const ativa_store_in_session *in)
{
    if (!token_hash_valid(in->token_hash) || in->agent == 0 || in->expires_ms <= in->now_ms)
        return ATIVA_ERR_INVALID_ARGUMENT;
    json_t *agent = NULL;
    ativa_err e = agent_load(w->txn, w->st, in->agent, &agent);
    if (e != ATIVA_OK)
        return e;
    bool disabled = agent_disabled(agent);
    json_decref(agent);
    if (disabled)
        return ATIVA_ERR_FORBIDDEN;
    store_key k;
    session_key(&k, in->token_hash);
    MDB_val v;
    e = ativa_store__get_raw(w->txn, w->st->dbi[DB_SESSIONS], &k, &v);
    if (e == ATIVA_OK)
        return ATIVA_ERR_EXISTS;
    if (e != ATIVA_ERR_NOT_FOUND)
        return e;
    json_t *s = json_pack("{s:I, s:I, s:I, s:I}", "agent", (json_int_t)in->agent, "created_ms",
                          (json_int_t)in->now_ms, "expires_ms", (json_int_t)in->expires_ms,
                          "revoked_ms", (json_int_t)0);
    if (s == NULL)
        return ATIVA_ERR_NO_MEMORY;
    e = ativa_store__put_json(w, DB_SESSIONS, &k, s);
    json_decref(s);
    if (e != ATIVA_OK)
        return e;
    session_agent_key(&k, in->agent, in->token_hash);
    return ativa_store__put_raw(w, DB_SESSION_AGENT, &k, "", 0);
}

static ativa_err revoke_session(store_wtx *w, const ativa_store_in_session *in)
{
    if (in->token_hash != NULL) {
        if (!token_hash_valid(in->token_hash))
            return ATIVA_ERR_INVALID_ARGUMENT;
        ativa_err e = revoke_one(w, in->token_hash, in->now_ms, false, &w->out->agent);
        if (e == ATIVA_OK)
            w->out->count = 1;
        return e;
    }
    if (in->agent == 0)
        return ATIVA_ERR_INVALID_ARGUMENT;
    json_t *agent = NULL;
    ativa_err e = agent_load(w->txn, w->st, in->agent, &agent);
    json_decref(agent);
    if (e != ATIVA_OK)
        return e;
    w->out->agent = in->agent;
    return revoke_all(w, in->agent, in->now_ms, &w->out->count);
}

static bool older_than_purge(int64_t t, int64_t now_ms)
{
    return t <= now_ms - ATIVA_STORE_PURGE_AFTER_MS;
}

/* Collect the keys of db whose record `stale` says may go, then delete them (and, for
 * sessions, their index entries). */
static ativa_err purge_db(store_wtx *w, int db, int64_t now_ms, unsigned *count)
{
    json_t *gone = json_array();
    if (gone == NULL)
        return ATIVA_ERR_NO_MEMORY;
    MDB_cursor *cur = NULL;
    ativa_err e = ATIVA_OK;
    int rc = mdb_cursor_open(w->txn, w->st->dbi[db], &cur);
    if (rc != 0) {
        e = ativa_store__lmdb_err(w, rc);
        goto done;
    }
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        if (rec == NULL) {
            e = ATIVA_ERR_STORE_CORRUPT;
            goto done;
        }
        bool stale = false;
        uint64_t agent = 0;
        if (db == DB_SESSIONS) {
            ativa_store_session s;
            int64_t revoked;
            e = session_decode(rec, &s, &revoked);
            if (e == ATIVA_OK) {
                stale = older_than_purge(s.expires_ms, now_ms) ||
                        (revoked != 0 && older_than_purge(revoked, now_ms));
                agent = s.agent;
            }
        } else {
            stale = older_than_purge(ativa_store__jint(rec, "last_failure_ms", 0), now_ms);
        }
        json_decref(rec);
        if (e != ATIVA_OK)
            goto done;
        if (stale &&
            json_array_append_new(gone, json_pack("{s:s%, s:I}", "key", (const char *)k.mv_data,
                                                  k.mv_size, "agent", (json_int_t)agent)) != 0) {
            e = ATIVA_ERR_NO_MEMORY;
            goto done;
        }
    }
    if (rc != MDB_NOTFOUND) {
        e = ativa_store__lmdb_err(w, rc);
        goto done;
    }
    mdb_cursor_close(cur);
    cur = NULL;
    size_t i;
    json_t *g;
    json_array_foreach(gone, i, g)
    {
        const char *key = ativa_store__jstr(g, "key");
        store_key sk;
        login_key(&sk, key);
        if ((e = ativa_store__del(w, db, &sk)) != ATIVA_OK)
            goto done;
        if (db == DB_SESSIONS) {
            session_agent_key(&sk, (uint64_t)ativa_store__jint(g, "agent", 0), key);
            if ((e = ativa_store__del(w, DB_SESSION_AGENT, &sk)) != ATIVA_OK)
                goto done;
            (*count)++;
        }
    }
done:
    if (cur != NULL)
        mdb_cursor_close(cur);
    json_decref(gone);
    return e;
}

ativa_err ativa_store__apply_session(store_wtx *w, ativa_store_op_kind kind,
                                     const ativa_store_in_session *in)
{
    switch (kind) {
    case ATIVA_STORE_CREATE_SESSION:
        return create_session(w, in);
    case ATIVA_STORE_REVOKE_SESSION:
        return revoke_session(w, in);
    case ATIVA_STORE_PURGE_SESSIONS: {
        ativa_err e = purge_db(w, DB_SESSIONS, in->now_ms, &w->out->count);
        if (e == ATIVA_OK)
            e = purge_db(w, DB_LOGIN_FAILURES, in->now_ms, NULL);
        return e;
    }
    default:
        return ATIVA_ERR_INVALID_ARGUMENT;
    }
}

ativa_err ativa_store__apply_login(store_wtx *w, ativa_store_op_kind kind,
                                   const ativa_store_in_login *in)
{
    if (ativa_auth_login_valid(in->login) != ATIVA_OK)
        return ATIVA_ERR_INVALID_ARGUMENT;
    store_key k;
    login_key(&k, in->login);
    if (kind == ATIVA_STORE_LOGIN_SUCCEEDED)
        return ativa_store__del(w, DB_LOGIN_FAILURES, &k);
    json_t *rec = NULL;
    ativa_err e = ativa_store__get_json(w->txn, w->st->dbi[DB_LOGIN_FAILURES], &k, &rec);
    int64_t failures = 0;
    if (e == ATIVA_OK)
        failures = ativa_store__jint(rec, "failures", -1);
    else if (e != ATIVA_ERR_NOT_FOUND)
        return e;
    json_decref(rec);
    if (failures < 0 || failures > UINT32_MAX)
        return ATIVA_ERR_STORE_CORRUPT;
    if (failures < UINT32_MAX)
        failures++;
    rec = json_pack("{s:I, s:I}", "failures", (json_int_t)failures, "last_failure_ms",
                    (json_int_t)in->now_ms);
    if (rec == NULL)
        return ATIVA_ERR_NO_MEMORY;
    e = ativa_store__put_json(w, DB_LOGIN_FAILURES, &k, rec);
    json_decref(rec);
    if (e == ATIVA_OK)
        w->out->count = (unsigned)failures;
    return e;
}

/* ---- reads ---- */

ativa_err ativa_store_get_agent(ativa_store *st, uint64_t id, json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL || id == 0)
        return ATIVA_ERR_INVALID_ARGUMENT;
    MDB_txn *txn;
    ativa_err e = ativa_store__read_begin(st, &txn);
    if (e != ATIVA_OK)
        return e;
    e = agent_load(txn, st, id, out_new);
    ativa_store__read_end(st, txn);
    if (e == ATIVA_OK)
        json_object_del(*out_new, "password_hash");
    return e;
}

ativa_err ativa_store_get_agent_by_login(ativa_store *st, const char *login,
                                         bool with_password_hash, json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL || ativa_auth_login_valid(login) != ATIVA_OK)
        return ATIVA_ERR_INVALID_ARGUMENT;
    MDB_txn *txn;
    ativa_err e = ativa_store__read_begin(st, &txn);
    if (e != ATIVA_OK)
        return e;
    uint64_t id = 0;
    e = login_lookup(txn, st, login, &id);
    if (e == ATIVA_OK) {
        e = agent_load(txn, st, id, out_new);
        if (e == ATIVA_ERR_NOT_FOUND)
            e = ATIVA_ERR_STORE_CORRUPT;
    }
    ativa_store__read_end(st, txn);
    if (e == ATIVA_OK && !with_password_hash)
        json_object_del(*out_new, "password_hash");
    return e;
}

/* Each agent without its password hash. */
static bool agent_item(MDB_txn *txn, const MDB_val *key, const MDB_val *val, void *ctx,
                       json_t **item_new, ativa_err *err)
{
    (void)txn;
    (void)key;
    (void)ctx;
    if ((*err = ativa_store__decode(val, item_new)) != ATIVA_OK)
        return false;
    if (!json_is_object(*item_new)) {
        json_decref(*item_new);
        *item_new = NULL;
        *err = ATIVA_ERR_STORE_CORRUPT;
        return false;
    }
    json_object_del(*item_new, "password_hash");
    return true;
}

ativa_err ativa_store_list_agents(ativa_store *st, json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    return ativa_store__scan(st, DB_AGENTS, NULL, SIZE_MAX, agent_item, NULL, out_new);
}

ativa_err ativa_store_get_session(ativa_store *st, const char *token_hash, int64_t now_ms,
                                  ativa_store_session *out)
{
    if (out == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    if (st == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    if (!token_hash_valid(token_hash))
        return ATIVA_ERR_UNAUTHENTICATED;
    MDB_txn *txn;
    ativa_err e = ativa_store__read_begin(st, &txn);
    if (e != ATIVA_OK)
        return e;
    store_key k;
    session_key(&k, token_hash);
    json_t *s = NULL, *agent = NULL;
    ativa_store_session sess;
    int64_t revoked = 0;
    e = ativa_store__get_json(txn, st->dbi[DB_SESSIONS], &k, &s);
    if (e == ATIVA_OK)
        e = session_decode(s, &sess, &revoked);
    if (e == ATIVA_OK && (revoked != 0 || now_ms >= sess.expires_ms))
        e = ATIVA_ERR_UNAUTHENTICATED;
    if (e == ATIVA_OK) {
        e = agent_load(txn, st, sess.agent, &agent);
        if (e == ATIVA_OK && agent_disabled(agent))
            e = ATIVA_ERR_UNAUTHENTICATED;
    }
    ativa_store__read_end(st, txn);
    json_decref(s);
    json_decref(agent);
    if (e == ATIVA_ERR_NOT_FOUND)
        e = ATIVA_ERR_UNAUTHENTICATED;
    if (e == ATIVA_OK)
        *out = sess;
    return e;
}

ativa_err ativa_store_login_failures(ativa_store *st, const char *login, uint32_t *failures,
                                     int64_t *last_failure_ms)
{
    if (failures == NULL || last_failure_ms == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *failures = 0;
    *last_failure_ms = 0;
    if (st == NULL || ativa_auth_login_valid(login) != ATIVA_OK)
        return ATIVA_ERR_INVALID_ARGUMENT;
    store_key k;
    login_key(&k, login);
    json_t *rec = NULL;
    ativa_err e = ativa_store__read_json(st, DB_LOGIN_FAILURES, &k, &rec);
    if (e == ATIVA_ERR_NOT_FOUND)
        return ATIVA_OK;
    if (e != ATIVA_OK)
        return e;
    int64_t n = ativa_store__jint(rec, "failures", -1);
    int64_t last = ativa_store__jint(rec, "last_failure_ms", 0);
    json_decref(rec);
    if (n < 0 || n > UINT32_MAX)
        return ATIVA_ERR_STORE_CORRUPT;
    *failures = (uint32_t)n;
    *last_failure_ms = last;
    return ATIVA_OK;
}
