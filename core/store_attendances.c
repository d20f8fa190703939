/* Attendances (finished conversations) and their history queries, newest first with paging. */
#include "store_internal.h"

#include "ativa/phone.h"

#include <stdio.h>
#include <string.h>

#define QUERY_LIMIT_DEFAULT 50

static void att_index_key(store_key *k, int db, const json_t *att, int64_t ended, uint64_t id)
{
    ativa_store__key_init(k);
    switch (db) {
    case DB_ATT_CUSTOMER:
        ativa_store__key_str(k, ativa_store__jstr(att, "customer"));
        break;
    case DB_ATT_LINE:
        ativa_store__key_str(k, ativa_store__jstr(att, "line"));
        break;
    case DB_ATT_AGENT:
        ativa_store__key_u64(k, (uint64_t)ativa_store__jint(att, "agent", 0));
        break;
    default:
        break;
    }
    ativa_store__key_i64(k, ended);
    ativa_store__key_u64(k, id);
}

ativa_err ativa_store__attendance_write(store_wtx *w, const json_t *conv, const char *preview,
                                        uint64_t *id)
{
    ativa_err e = ativa_store__next_id(w, "attendance", id);
    if (e != ATIVA_OK)
        return e;
    int64_t ended = ativa_store__jint(conv, "finalized_ms", 0);
    json_t *att =
        json_pack("{s:I, s:I, s:s?, s:s?, s:s?, s:I, s:I, s:I, s:I, s:s}", "id", (json_int_t)*id,
                  "conversation", (json_int_t)ativa_store__jint(conv, "id", 0), "line",
                  ativa_store__jstr(conv, "line"), "customer", ativa_store__jstr(conv, "customer"),
                  "wa_id", ativa_store__jstr(conv, "wa_id"), "agent",
                  (json_int_t)ativa_store__jint(conv, "finalized_by", 0), "owner",
                  (json_int_t)ativa_store__jint(conv, "owner", 0), "started_ms",
                  (json_int_t)ativa_store__jint(conv, "created_ms", 0), "ended_ms",
                  (json_int_t)ended, "preview", preview);
    if (att == NULL)
        return ATIVA_ERR_NO_MEMORY;
    ativa_store__jset_str(att, "reason", ativa_store__jstr(conv, "reason"));
    ativa_store__jset_str(att, "description", ativa_store__jstr(conv, "description"));
    store_key k;
    ativa_store__key_init(&k);
    ativa_store__key_u64(&k, *id);
    if ((e = ativa_store__put_json(w, DB_ATT, &k, att)) != ATIVA_OK)
        goto done;
    static const int indexes[] = {DB_ATT_TIME, DB_ATT_CUSTOMER, DB_ATT_LINE, DB_ATT_AGENT};
    for (size_t i = 0; i < sizeof indexes / sizeof indexes[0]; i++) {
        att_index_key(&k, indexes[i], att, ended, *id);
        if ((e = ativa_store__put_raw(w, indexes[i], &k, "", 0)) != ATIVA_OK)
            goto done;
    }
done:
    json_decref(att);
    return e;
}

ativa_err ativa_store_get_attendance(ativa_store *st, uint64_t id, json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    store_key k;
    ativa_store__key_init(&k);
    ativa_store__key_u64(&k, id);
    return ativa_store__read_json(st, DB_ATT, &k, out_new);
}

/* The cursor is the (ended, id) of the last item returned, as 32 hex digits. */
static void cursor_encode(char out[ATIVA_STORE_CURSOR_MAX], int64_t ended, uint64_t id)
{
    snprintf(out, ATIVA_STORE_CURSOR_MAX, "%016llx%016llx",
             (unsigned long long)((uint64_t)ended ^ 0x8000000000000000ULL), (unsigned long long)id);
}

static bool cursor_decode(const char *s, int64_t *ended, uint64_t *id)
{
    if (strnlen(s, 33) != 32)
        return false;
    uint64_t parts[2] = {0, 0};
    for (int i = 0; i < 32; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return false;
        parts[i / 16] = (parts[i / 16] << 4) | d;
    }
    *ended = (int64_t)(parts[0] ^ 0x8000000000000000ULL);
    *id = parts[1];
    return true;
}

static int key_cmp(const MDB_val *a, const store_key *b)
{
    size_t n = a->mv_size < b->n ? a->mv_size : b->n;
    int c = memcmp(a->mv_data, b->b, n);
    if (c != 0)
        return c;
    return a->mv_size < b->n ? -1 : a->mv_size > b->n ? 1 : 0;
}

static bool matches(const json_t *att, const ativa_store_att_query *q, const char *key)
{
    const char *s;
    if (key != NULL && ((s = ativa_store__jstr(att, "customer")) == NULL || strcmp(s, key) != 0))
        return false;
    if (q->line != NULL && ((s = ativa_store__jstr(att, "line")) == NULL || strcmp(s, q->line)))
        return false;
    if (q->agent != 0 && (uint64_t)ativa_store__jint(att, "agent", 0) != q->agent)
        return false;
    if (q->reason != NULL &&
        ((s = ativa_store__jstr(att, "reason")) == NULL || strcmp(s, q->reason) != 0))
        return false;
    return true;
}

ativa_err ativa_store_query_attendances(ativa_store *st, const ativa_store_att_query *q,
                                        json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL || q == NULL || q->limit > ATIVA_STORE_QUERY_LIMIT_MAX)
        return ATIVA_ERR_INVALID_ARGUMENT;
    unsigned limit = q->limit ? q->limit : QUERY_LIMIT_DEFAULT;
    char key[ATIVA_PHONE_MAX];
    if (q->customer != NULL && ativa_phone_key(q->customer, key) != ATIVA_OK)
        return ATIVA_ERR_INVALID_ARGUMENT;
    if (q->line != NULL && ativa_store__check_digits(q->line, ATIVA_STORE_ID_MAX) != ATIVA_OK)
        return ATIVA_ERR_INVALID_ARGUMENT;
    if (q->reason != NULL && ativa_store__check_str(q->reason, ATIVA_STORE_REASON_MAX, false))
        return ATIVA_ERR_INVALID_ARGUMENT;
    int64_t hi_ended = q->to_ms != 0 ? q->to_ms : INT64_MAX;
    uint64_t hi_id = UINT64_MAX;
    bool strict = false;
    if (q->cursor != NULL) {
        if (!cursor_decode(q->cursor, &hi_ended, &hi_id))
            return ATIVA_ERR_INVALID_ARGUMENT;
        strict = true;
    }

    /* The most selective index first: a customer has few attendances, an agent more, a line
     * many; the time index alone is the fallback. Other filters are checked on each record. */
    store_key prefix;
    ativa_store__key_init(&prefix);
    int db = DB_ATT_TIME;
    if (q->customer != NULL) {
        db = DB_ATT_CUSTOMER;
        ativa_store__key_str(&prefix, key);
    } else if (q->agent != 0) {
        db = DB_ATT_AGENT;
        ativa_store__key_u64(&prefix, q->agent);
    } else if (q->line != NULL) {
        db = DB_ATT_LINE;
        ativa_store__key_str(&prefix, q->line);
    }
    store_key seek = prefix;
    ativa_store__key_i64(&seek, hi_ended);
    ativa_store__key_u64(&seek, hi_id);

    json_t *items = json_array();
    json_t *result = NULL;
    if (items == NULL)
        return ATIVA_ERR_NO_MEMORY;
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    ativa_err e = ativa_store__read_begin(st, &txn);
    if (e != ATIVA_OK) {
        json_decref(items);
        return e;
    }
    int rc = mdb_cursor_open(txn, st->dbi[db], &cur);
    if (rc != 0) {
        e = ativa_store__lmdb_err(NULL, rc);
        goto done;
    }
    MDB_val k = {seek.n, seek.b}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    } else if (rc == 0) {
        int c = key_cmp(&k, &seek);
        if (c > 0 || (strict && c == 0))
            rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
    }
    bool more = false;
    int64_t last_ended = 0;
    uint64_t last_id = 0;
    for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        if (k.mv_size != prefix.n + 16 || memcmp(k.mv_data, prefix.b, prefix.n) != 0)
            break;
        const unsigned char *p = (const unsigned char *)k.mv_data + prefix.n;
        int64_t ended = ativa_store__get_i64(p);
        uint64_t id = ativa_store__get_u64(p + 8);
        if (ended < q->from_ms)
            break;
        store_key ak;
        ativa_store__key_init(&ak);
        ativa_store__key_u64(&ak, id);
        json_t *att = NULL;
        if ((e = ativa_store__get_json(txn, st->dbi[DB_ATT], &ak, &att)) != ATIVA_OK) {
            if (e == ATIVA_ERR_NOT_FOUND)
                e = ATIVA_ERR_STORE_CORRUPT;
            goto done;
        }
        if (!matches(att, q, q->customer != NULL ? key : NULL)) {
            json_decref(att);
            continue;
        }
        if (json_array_size(items) == limit) {
            json_decref(att);
            more = true;
            break;
        }
        json_array_append_new(items, att);
        last_ended = ended;
        last_id = id;
    }
    if (rc != 0 && rc != MDB_NOTFOUND) {
        e = ativa_store__lmdb_err(NULL, rc);
        goto done;
    }
    char next[ATIVA_STORE_CURSOR_MAX];
    cursor_encode(next, last_ended, last_id);
    result =
        json_pack("{s:O, s:o}", "items", items, "next", more ? json_string(next) : json_null());
    if (result == NULL)
        e = ATIVA_ERR_NO_MEMORY;
done:
    if (cur != NULL)
        mdb_cursor_close(cur);
    ativa_store__read_end(st, txn);
    json_decref(items);
    if (e != ATIVA_OK) {
        json_decref(result);
        return e;
    }
    *out_new = result;
    return ATIVA_OK;
}
