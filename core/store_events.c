/* The append-only event log: seqs contiguous from 1, written in the transaction of the change. */
#include "store_internal.h"

#include <string.h>

#define EVENTS_LIMIT_MAX 10000

static ativa_err last_seq(MDB_txn *txn, MDB_dbi dbi, uint64_t *out)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0)
        return ativa_store__lmdb_err(NULL, rc);
    MDB_val k, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) {
        *out = 0;
        return ATIVA_OK;
    }
    if (rc != 0)
        return ativa_store__lmdb_err(NULL, rc);
    if (k.mv_size != 8)
        return ATIVA_ERR_STORE_CORRUPT;
    *out = ativa_store__get_u64(k.mv_data);
    return ATIVA_OK;
}

ativa_err ativa_store__event(store_wtx *w, int64_t ts_ms, const char *type, uint64_t conv,
                             const char *line, uint64_t owner, json_t *data)
{
    uint64_t seq;
    json_t *ev = NULL;
    ativa_err e = last_seq(w->txn, w->st->dbi[DB_EVENTS], &seq);
    if (e != ATIVA_OK)
        goto done;
    seq++;
    ev = json_pack("{s:I, s:I, s:s, s:I, s:s, s:I, s:O}", "seq", (json_int_t)seq, "ts_ms",
                   (json_int_t)ts_ms, "type", type, "conversation", (json_int_t)conv, "line",
                   line != NULL ? line : "", "owner", (json_int_t)owner, "data", data);
    if (ev == NULL) {
        e = ATIVA_ERR_NO_MEMORY;
        goto done;
    }
    store_key k;
    ativa_store__key_init(&k);
    ativa_store__key_u64(&k, seq);
    e = ativa_store__put_json(w, DB_EVENTS, &k, ev);
    if (e == ATIVA_OK && w->out != NULL) {
        if (w->out->event_first == 0)
            w->out->event_first = seq;
        w->out->event_last = seq;
    }
done:
    json_decref(ev);
    json_decref(data);
    return e;
}

ativa_err ativa_store__event_conv(store_wtx *w, const json_t *conv, int64_t now_ms)
{
    json_t *data = ativa_store_conv_with_view_new(conv, now_ms);
    if (data == NULL)
        return ATIVA_ERR_STORE_CORRUPT;
    return ativa_store__event(w, now_ms, "conversation", ativa_store__jint(conv, "id", 0),
                              ativa_store__jstr(conv, "line"), ativa_store__jint(conv, "owner", 0),
                              data);
}

ativa_err ativa_store__event_msg(store_wtx *w, const char *type, const json_t *conv,
                                 const json_t *msg, int64_t now_ms)
{
    json_t *data = json_deep_copy(msg);
    if (data == NULL)
        return ATIVA_ERR_NO_MEMORY;
    return ativa_store__event(w, now_ms, type, ativa_store__jint(conv, "id", 0),
                              ativa_store__jstr(conv, "line"), ativa_store__jint(conv, "owner", 0),
                              data);
}

ativa_err ativa_store_events_after(ativa_store *st, uint64_t after_seq, unsigned limit,
                                   json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL || limit == 0 || limit > EVENTS_LIMIT_MAX || after_seq == UINT64_MAX)
        return ATIVA_ERR_INVALID_ARGUMENT;
    store_key k;
    ativa_store__key_init(&k);
    ativa_store__key_u64(&k, after_seq + 1);
    return ativa_store__scan(st, DB_EVENTS, &k, limit, NULL, NULL, out_new);
}

ativa_err ativa_store_last_event_seq(ativa_store *st, uint64_t *out)
{
    if (st == NULL || out == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out = 0;
    MDB_txn *txn;
    ativa_err e = ativa_store__read_begin(st, &txn);
    if (e != ATIVA_OK)
        return e;
    e = last_seq(txn, st->dbi[DB_EVENTS], out);
    ativa_store__read_end(st, txn);
    return e;
}
