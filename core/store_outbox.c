/* The outbox: sends waiting for, or in the middle of, their Graph API request. */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

#define OUTBOX_LIMIT_MAX 1000

static void id_key(store_key *k, uint64_t id)
{
    ativa_store__key_init(k);
    ativa_store__key_u64(k, id);
}

static void due_key(store_key *k, int64_t at, uint64_t id)
{
    ativa_store__key_init(k);
    ativa_store__key_i64(k, at);
    ativa_store__key_u64(k, id);
}

ativa_err ativa_store__outbox_add(store_wtx *w, const json_t *conv, uint32_t seq, const char *body,
                                  int64_t now_ms, uint64_t *id)
{
    ativa_err e = ativa_store__next_id(w, "outbox", id);
    if (e != ATIVA_OK)
        return e;
    json_t *rec =
        json_pack("{s:I, s:I, s:I, s:s?, s:s?, s:s, s:s, s:I, s:I, s:I}", "id", (json_int_t)*id,
                  "conv", (json_int_t)ativa_store__jint(conv, "id", 0), "seq", (json_int_t)seq,
                  "line", ativa_store__jstr(conv, "line"), "to", ativa_store__jstr(conv, "wa_id"),
                  "body", body, "state", "queued", "attempts", (json_int_t)0, "next_attempt_ms",
                  (json_int_t)now_ms, "created_ms", (json_int_t)now_ms);
    if (rec == NULL)
        return ATIVA_ERR_NO_MEMORY;
    store_key k, dk;
    id_key(&k, *id);
    due_key(&dk, now_ms, *id);
    if ((e = ativa_store__put_json(w, DB_OUTBOX, &k, rec)) == ATIVA_OK)
        e = ativa_store__put_raw(w, DB_OUTBOX_DUE, &dk, "", 0);
    json_decref(rec);
    return e;
}

/* Remove an entry and, while queued, its place in the due order. */
static ativa_err outbox_remove(store_wtx *w, const json_t *rec)
{
    uint64_t id = (uint64_t)ativa_store__jint(rec, "id", 0);
    store_key k, dk;
    id_key(&k, id);
    due_key(&dk, ativa_store__jint(rec, "next_attempt_ms", 0), id);
    ativa_err e = ativa_store__del(w, DB_OUTBOX_DUE, &dk);
    if (e == ATIVA_OK)
        e = ativa_store__del(w, DB_OUTBOX, &k);
    return e;
}

/* Move the entry's message to a status (if that goes forward) and log the change. */
static ativa_err update_message(store_wtx *w, const json_t *rec, ativa_msg_status status,
                                const ativa_store_msg_error *err, int64_t now_ms, const char *wamid,
                                const char *wa_id)
{
    uint64_t conv_id = (uint64_t)ativa_store__jint(rec, "conv", 0);
    uint32_t seq = (uint32_t)ativa_store__jint(rec, "seq", 0);
    json_t *msg = NULL, *conv = NULL;
    ativa_err e;
    w->out->conv = conv_id;
    w->out->seq = seq;
    if ((e = ativa_store__msg_load(w->txn, w->st, conv_id, seq, &msg)) != ATIVA_OK ||
        (e = ativa_store__conv_load(w->txn, w->st, conv_id, &conv)) != ATIVA_OK) {
        if (e == ATIVA_ERR_NOT_FOUND)
            e = ATIVA_ERR_STORE_CORRUPT;
        goto done;
    }
    w->out->owner = (uint64_t)ativa_store__jint(conv, "owner", 0);
    ativa_msg_status cur;
    if (ativa_msg_status_parse(ativa_store__jstr(msg, "status"), &cur) != ATIVA_OK) {
        e = ATIVA_ERR_STORE_CORRUPT;
        goto done;
    }
    if (wamid != NULL) {
        store_key wk, loc;
        ativa_store__key_init(&wk);
        ativa_store__key_raw(&wk, wamid);
        MDB_val v;
        e = ativa_store__get_raw(w->txn, w->st->dbi[DB_WAMIDS], &wk, &v);
        if (e == ATIVA_OK) {
            e = ATIVA_ERR_EXISTS;
            goto done;
        }
        if (e != ATIVA_ERR_NOT_FOUND)
            goto done;
        ativa_store__key_init(&loc);
        ativa_store__key_u64(&loc, conv_id);
        ativa_store__key_u32(&loc, seq);
        if ((e = ativa_store__put_raw(w, DB_WAMIDS, &wk, loc.b, loc.n)) != ATIVA_OK)
            goto done;
        ativa_store__jset_str(msg, "wamid", wamid);
    }
    if (ativa_msg_status_advances(cur, status)) {
        if ((e = ativa_store__msg_set_status(w, msg, status, now_ms, err)) != ATIVA_OK)
            goto done;
    } else if ((e = ativa_store__msg_save(w, msg)) != ATIVA_OK) {
        goto done;
    }
    if (wamid != NULL && (e = ativa_store__apply_pending(w, msg, now_ms)) != ATIVA_OK)
        goto done;
    if (wa_id != NULL && wa_id[0] != '\0') {
        const char *old = ativa_store__jstr(conv, "wa_id");
        if (old == NULL || strcmp(old, wa_id) != 0) {
            ativa_store__jset_str(conv, "wa_id", wa_id);
            if ((e = ativa_store__conv_save(w, conv, NULL, now_ms)) != ATIVA_OK ||
                (e = ativa_store__upsert_customer(w, ativa_store__jstr(conv, "customer"), wa_id,
                                                  NULL, now_ms)) != ATIVA_OK)
                goto done;
        }
    }
    e = ativa_store__event_msg(w, "status", conv, msg, now_ms);
done:
    json_decref(msg);
    json_decref(conv);
    return e;
}

static ativa_err recover(store_wtx *w, const ativa_store_in_outbox *in)
{
    MDB_cursor *cur = NULL;
    json_t *sending = json_array();
    ativa_err e = ATIVA_OK;
    if (sending == NULL)
        return ATIVA_ERR_NO_MEMORY;
    int rc = mdb_cursor_open(w->txn, w->st->dbi[DB_OUTBOX], &cur);
    MDB_val k, v;
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        if (rec == NULL) {
            e = ATIVA_ERR_STORE_CORRUPT;
            goto done;
        }
        const char *state = ativa_store__jstr(rec, "state");
        if (state != NULL && strcmp(state, "sending") == 0)
            json_array_append_new(sending, rec);
        else
            json_decref(rec);
    }
    if (rc != MDB_NOTFOUND) {
        e = ativa_store__lmdb_err(w, rc);
        goto done;
    }
    mdb_cursor_close(cur);
    cur = NULL;
    size_t i;
    json_t *rec;
    /* The request may have reached Meta: mark the message UNKNOWN rather than send it twice. */
    json_array_foreach(sending, i, rec)
    {
        if ((e = update_message(w, rec, ATIVA_STATUS_UNKNOWN, NULL, in->now_ms, NULL, NULL)) !=
                ATIVA_OK ||
            (e = outbox_remove(w, rec)) != ATIVA_OK)
            goto done;
        w->out->count++;
    }
done:
    if (cur != NULL)
        mdb_cursor_close(cur);
    json_decref(sending);
    return e;
}

ativa_err ativa_store__apply_outbox(store_wtx *w, ativa_store_op_kind kind,
                                    const ativa_store_in_outbox *in)
{
    if (kind == ATIVA_STORE_OUTBOX_RECOVER)
        return recover(w, in);
    ativa_err e;
    if ((e = ativa_store__check_str(in->error.title, ATIVA_STORE_ERRTEXT_MAX, false)) != ATIVA_OK ||
        (e = ativa_store__check_str(in->error.details, ATIVA_STORE_ERRTEXT_MAX, false)) !=
            ATIVA_OK ||
        (e = ativa_store__check_str(in->error.text_pt, ATIVA_STORE_ERRTEXT_MAX, false)) != ATIVA_OK)
        return e;
    if (kind == ATIVA_STORE_OUTBOX_ACCEPTED) {
        if ((e = ativa_store__check_str(in->wamid, ATIVA_WAMID_MAX - 1, true)) != ATIVA_OK)
            return e;
        if (in->wa_id != NULL && (e = ativa_store__check_digits(in->wa_id, 15)) != ATIVA_OK)
            return e;
    }
    store_key k;
    id_key(&k, in->id);
    json_t *rec = NULL;
    if (in->id == 0)
        return ATIVA_ERR_NOT_FOUND;
    if ((e = ativa_store__get_json(w->txn, w->st->dbi[DB_OUTBOX], &k, &rec)) != ATIVA_OK)
        return e;
    w->out->outbox = in->id;
    const char *state = ativa_store__jstr(rec, "state");
    bool queued = state != NULL && strcmp(state, "queued") == 0;
    switch (kind) {
    case ATIVA_STORE_OUTBOX_SENDING: {
        if (!queued) {
            e = ATIVA_ERR_DUPLICATE;
            break;
        }
        store_key dk;
        due_key(&dk, ativa_store__jint(rec, "next_attempt_ms", 0), in->id);
        if ((e = ativa_store__del(w, DB_OUTBOX_DUE, &dk)) != ATIVA_OK)
            break;
        ativa_store__jset_str(rec, "state", "sending");
        ativa_store__jset_int(rec, "attempts", ativa_store__jint(rec, "attempts", 0) + 1);
        if ((e = ativa_store__put_json(w, DB_OUTBOX, &k, rec)) != ATIVA_OK)
            break;
        e = update_message(w, rec, ATIVA_STATUS_SENDING, NULL, in->now_ms, NULL, NULL);
        break;
    }
    case ATIVA_STORE_OUTBOX_ACCEPTED:
        if ((e = update_message(w, rec, ATIVA_STATUS_ACCEPTED, NULL, in->now_ms, in->wamid,
                                in->wa_id)) == ATIVA_OK)
            e = outbox_remove(w, rec);
        break;
    case ATIVA_STORE_OUTBOX_RETRY: {
        store_key dk;
        due_key(&dk, ativa_store__jint(rec, "next_attempt_ms", 0), in->id);
        if ((e = ativa_store__del(w, DB_OUTBOX_DUE, &dk)) != ATIVA_OK)
            break;
        ativa_store__jset_str(rec, "state", "queued");
        ativa_store__jset_int(rec, "next_attempt_ms", in->next_attempt_ms);
        ativa_store__jset_str(rec, "last_error", in->error.title);
        due_key(&dk, in->next_attempt_ms, in->id);
        if ((e = ativa_store__put_json(w, DB_OUTBOX, &k, rec)) == ATIVA_OK)
            e = ativa_store__put_raw(w, DB_OUTBOX_DUE, &dk, "", 0);
        break;
    }
    case ATIVA_STORE_OUTBOX_FAILED:
        if ((e = update_message(w, rec, ATIVA_STATUS_FAILED, &in->error, in->now_ms, NULL, NULL)) ==
            ATIVA_OK)
            e = outbox_remove(w, rec);
        break;
    default:
        e = ATIVA_ERR_INVALID_ARGUMENT;
    }
    json_decref(rec);
    return e;
}

/* ---- reads ---- */

typedef struct due_ctx {
    ativa_store *st;
    int64_t now_ms;
} due_ctx;

static bool due_item(MDB_txn *txn, const MDB_val *key, const MDB_val *val, void *ctx,
                     json_t **item_new, ativa_err *err)
{
    (void)val;
    const due_ctx *d = ctx;
    if (key->mv_size != 16) {
        *err = ATIVA_ERR_STORE_CORRUPT;
        return false;
    }
    if (ativa_store__get_i64(key->mv_data) > d->now_ms)
        return false; /* the rest is due later */
    store_key ik;
    id_key(&ik, ativa_store__get_u64((const unsigned char *)key->mv_data + 8));
    *err = ativa_store__get_json(txn, d->st->dbi[DB_OUTBOX], &ik, item_new);
    if (*err == ATIVA_ERR_NOT_FOUND)
        *err = ATIVA_ERR_STORE_CORRUPT;
    return *err == ATIVA_OK;
}

ativa_err ativa_store_list_due_outbox(ativa_store *st, int64_t now_ms, unsigned limit,
                                      json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL || limit == 0 || limit > OUTBOX_LIMIT_MAX)
        return ATIVA_ERR_INVALID_ARGUMENT;
    due_ctx d = {.st = st, .now_ms = now_ms};
    return ativa_store__scan(st, DB_OUTBOX_DUE, NULL, limit, due_item, &d, out_new);
}

ativa_err ativa_store_get_outbox(ativa_store *st, uint64_t id, json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    store_key k;
    id_key(&k, id);
    return ativa_store__read_json(st, DB_OUTBOX, &k, out_new);
}
