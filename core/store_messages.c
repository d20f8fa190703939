/* Messages: inbound recording (deduplicated by wamid) and delivery statuses that only advance. */
#include "store_internal.h"

#include "ativa/phone.h"

#include <string.h>

#define INBOUND_TEXT_MAX   65536
#define MESSAGES_LIMIT_MAX 1000

static void msg_key(store_key *k, uint64_t conv, uint32_t seq)
{
    ativa_store__key_init(k);
    ativa_store__key_u64(k, conv);
    ativa_store__key_u32(k, seq);
}

static void wamid_key(store_key *k, const char *wamid)
{
    ativa_store__key_init(k);
    ativa_store__key_raw(k, wamid);
}

ativa_err ativa_store__msg_load(MDB_txn *txn, ativa_store *st, uint64_t conv, uint32_t seq,
                                json_t **out_new)
{
    store_key k;
    msg_key(&k, conv, seq);
    return ativa_store__get_json(txn, st->dbi[DB_MESSAGES], &k, out_new);
}

ativa_err ativa_store__msg_save(store_wtx *w, const json_t *msg)
{
    store_key k;
    msg_key(&k, (uint64_t)ativa_store__jint(msg, "conv", 0),
            (uint32_t)ativa_store__jint(msg, "seq", 0));
    return ativa_store__put_json(w, DB_MESSAGES, &k, msg);
}

ativa_err ativa_store__msg_append(store_wtx *w, json_t *conv, json_t *msg, uint32_t *seq)
{
    int64_t count = ativa_store__jint(conv, "messages", 0);
    if (count < 0 || count >= (int64_t)UINT32_MAX)
        return ATIVA_ERR_TOO_LARGE;
    *seq = (uint32_t)count + 1;
    ativa_store__jset_int(conv, "messages", *seq);
    ativa_store__jset_int(msg, "conv", ativa_store__jint(conv, "id", 0));
    ativa_store__jset_int(msg, "seq", *seq);
    return ativa_store__msg_save(w, msg);
}

json_t *ativa_store__msg_error_new(const ativa_store_msg_error *err)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    ativa_store__jset_int(o, "code", err->code);
    ativa_store__jset_str(o, "title", err->title);
    ativa_store__jset_str(o, "details", err->details);
    ativa_store__jset_str(o, "text_pt", err->text_pt);
    return o;
}

static ativa_err check_error(const ativa_store_msg_error *err)
{
    ativa_err e;
    if ((e = ativa_store__check_str(err->title, ATIVA_STORE_ERRTEXT_MAX, false)) != ATIVA_OK ||
        (e = ativa_store__check_str(err->details, ATIVA_STORE_ERRTEXT_MAX, false)) != ATIVA_OK ||
        (e = ativa_store__check_str(err->text_pt, ATIVA_STORE_ERRTEXT_MAX, false)) != ATIVA_OK)
        return e;
    return ATIVA_OK;
}

json_t *ativa_store__template_msg_new(const ativa_store_template_send *t)
{
    json_t *tmpl = json_pack("{s:s, s:s}", "name", t->name, "language", t->language);
    if (tmpl == NULL)
        return NULL;
    if (t->components != NULL)
        json_object_set_new(tmpl, "components", json_deep_copy(t->components));
    json_t *msg =
        json_pack("{s:s, s:o}", "kind", ativa_msg_kind_name(ATIVA_MSG_TEMPLATE), "template", tmpl);
    if (msg != NULL && t->text != NULL)
        ativa_store__jset_str(msg, "text", t->text);
    return msg;
}

ativa_err ativa_store__msg_set_status(store_wtx *w, json_t *msg, ativa_msg_status status,
                                      int64_t ts_ms, const ativa_store_msg_error *err)
{
    ativa_store__jset_str(msg, "status", ativa_msg_status_name(status));
    ativa_store__jset_int(msg, "status_ms", ts_ms);
    if (status == ATIVA_STATUS_FAILED && err != NULL) {
        json_t *eo = ativa_store__msg_error_new(err);
        if (eo == NULL || json_object_set_new(msg, "error", eo) != 0)
            return ATIVA_ERR_NO_MEMORY;
    }
    return ativa_store__msg_save(w, msg);
}

static ativa_err msg_status(const json_t *msg, ativa_msg_status *out)
{
    if (ativa_msg_status_parse(ativa_store__jstr(msg, "status"), out) != ATIVA_OK)
        return ATIVA_ERR_STORE_CORRUPT;
    return ATIVA_OK;
}

ativa_err ativa_store__apply_pending(store_wtx *w, json_t *msg, int64_t now_ms)
{
    const char *wamid = ativa_store__jstr(msg, "wamid");
    if (wamid == NULL)
        return ATIVA_OK;
    store_key k;
    wamid_key(&k, wamid);
    json_t *p = NULL;
    ativa_err e = ativa_store__get_json(w->txn, w->st->dbi[DB_PENDING], &k, &p);
    if (e == ATIVA_ERR_NOT_FOUND)
        return ATIVA_OK;
    if (e != ATIVA_OK)
        return e;
    ativa_msg_status cur, next;
    if ((e = msg_status(msg, &cur)) != ATIVA_OK || (e = msg_status(p, &next)) != ATIVA_OK)
        goto done;
    if (ativa_msg_status_advances(cur, next)) {
        json_t *eo = json_object_get(p, "error");
        ativa_store_msg_error err = {
            .code = (int)ativa_store__jint(eo, "code", 0),
            .title = ativa_store__jstr(eo, "title"),
            .details = ativa_store__jstr(eo, "details"),
            .text_pt = ativa_store__jstr(eo, "text_pt"),
        };
        e = ativa_store__msg_set_status(w, msg, next, ativa_store__jint(p, "ts_ms", now_ms),
                                        eo != NULL ? &err : NULL);
        if (e != ATIVA_OK)
            goto done;
    }
    e = ativa_store__del(w, DB_PENDING, &k);
done:
    json_decref(p);
    return e;
}

ativa_err ativa_store__apply_inbound(store_wtx *w, const ativa_store_in_inbound *in)
{
    ativa_err e;
    char key[ATIVA_PHONE_MAX];
    if ((e = ativa_store__check_digits(in->from, ATIVA_PHONE_MAX - 1)) != ATIVA_OK ||
        (e = ativa_store__check_str(in->profile_name, ATIVA_STORE_LABEL_MAX, false)) != ATIVA_OK ||
        (e = ativa_store__check_str(in->wamid, ATIVA_WAMID_MAX - 1, true)) != ATIVA_OK ||
        (e = ativa_store__check_str(in->text, INBOUND_TEXT_MAX, false)) != ATIVA_OK)
        return e;
    if ((unsigned)in->kind >= ATIVA_MSG__KIND_COUNT || in->window_ms <= 0 || in->ts_ms < 0)
        return ATIVA_ERR_INVALID_ARGUMENT;
    if ((e = ativa_phone_key(in->from, key)) != ATIVA_OK)
        return e;
    if ((e = ativa_store__line_exists(w->txn, w->st, in->line)) != ATIVA_OK)
        return e;
    store_key wk;
    wamid_key(&wk, in->wamid);
    MDB_val v;
    e = ativa_store__get_raw(w->txn, w->st->dbi[DB_WAMIDS], &wk, &v);
    if (e == ATIVA_OK) {
        if (v.mv_size == 12) {
            w->out->conv = ativa_store__get_u64(v.mv_data);
            w->out->seq = ativa_store__get_u32((const unsigned char *)v.mv_data + 8);
        }
        return ATIVA_ERR_DUPLICATE;
    }
    if (e != ATIVA_ERR_NOT_FOUND)
        return e;

    json_t *conv = NULL, *msg = NULL;
    ativa_conv_state s;
    if ((e = ativa_store__upsert_customer(w, key, in->from, in->profile_name, in->now_ms)) !=
            ATIVA_OK ||
        (e = ativa_store__window_touch(w, in->line, key, in->ts_ms)) != ATIVA_OK)
        return e;
    store_key pair;
    ativa_store__pair_key(&pair, in->line, key);
    e = ativa_store__get_raw(w->txn, w->st->dbi[DB_CONV_OPEN], &pair, &v);
    if (e == ATIVA_OK) {
        if (v.mv_size != 8)
            return ATIVA_ERR_STORE_CORRUPT;
        uint64_t id = ativa_store__get_u64(v.mv_data);
        if ((e = ativa_store__conv_load(w->txn, w->st, id, &conv)) != ATIVA_OK)
            return e == ATIVA_ERR_NOT_FOUND ? ATIVA_ERR_STORE_CORRUPT : e;
        if ((e = ativa_store_conv_state(conv, &s)) != ATIVA_OK ||
            (e = ativa_conv_customer_replied(&s, in->ts_ms, in->now_ms)) != ATIVA_OK)
            goto done;
        /* Answer on the form WhatsApp uses for this customer now. */
        ativa_store__jset_str(conv, "wa_id", in->from);
        w->out->conv = id;
        w->out->owner = (uint64_t)ativa_store__jint(conv, "owner", 0);
    } else if (e == ATIVA_ERR_NOT_FOUND) {
        /* A late delivery must not start the window before a newer message already seen. */
        int64_t last = ativa_store__window_last(w->txn, w->st, in->line, key);
        if ((e = ativa_conv_start_inbound(&s, last > in->ts_ms ? last : in->ts_ms, in->window_ms,
                                          in->now_ms)) != ATIVA_OK)
            return e;
        if ((e = ativa_store__conv_new(w, in->line, key, in->from, 0, &s, in->now_ms, &conv)) !=
            ATIVA_OK)
            return e;
        w->out->created = true;
    } else {
        return e;
    }
    msg =
        json_pack("{s:s, s:s, s:s, s:s, s:I}", "direction", "in", "kind",
                  ativa_msg_kind_name(in->kind), "status", ativa_msg_status_name(ATIVA_STATUS_NONE),
                  "wamid", in->wamid, "ts_ms", (json_int_t)in->ts_ms);
    if (msg == NULL) {
        e = ATIVA_ERR_NO_MEMORY;
        goto done;
    }
    if (in->text != NULL)
        ativa_store__jset_str(msg, "text", in->text);
    uint32_t seq;
    if ((e = ativa_store__msg_append(w, conv, msg, &seq)) != ATIVA_OK)
        goto done;
    store_key loc;
    msg_key(&loc, (uint64_t)ativa_store__jint(conv, "id", 0), seq);
    if ((e = ativa_store__put_raw(w, DB_WAMIDS, &wk, loc.b, loc.n)) != ATIVA_OK ||
        (e = ativa_store__conv_save(w, conv, &s, in->now_ms)) != ATIVA_OK ||
        (e = ativa_store__event_conv(w, conv, in->now_ms)) != ATIVA_OK ||
        (e = ativa_store__event_msg(w, "message", conv, msg, in->now_ms)) != ATIVA_OK)
        goto done;
    w->out->seq = seq;
done:
    json_decref(msg);
    json_decref(conv);
    return e;
}

ativa_err ativa_store__apply_status(store_wtx *w, const ativa_store_in_status *in)
{
    ativa_err e;
    if ((e = ativa_store__check_str(in->wamid, ATIVA_WAMID_MAX - 1, true)) != ATIVA_OK ||
        (e = check_error(&in->error)) != ATIVA_OK)
        return e;
    if (in->status < ATIVA_STATUS_SENT || in->status > ATIVA_STATUS_FAILED)
        return ATIVA_ERR_INVALID_ARGUMENT;
    store_key wk;
    wamid_key(&wk, in->wamid);
    MDB_val v;
    e = ativa_store__get_raw(w->txn, w->st->dbi[DB_WAMIDS], &wk, &v);
    if (e == ATIVA_ERR_NOT_FOUND) {
        /* Meta's webhook can beat the storing of our send's answer: keep the status until the
         * wamid is recorded, the most advanced one winning. */
        json_t *p = NULL;
        e = ativa_store__get_json(w->txn, w->st->dbi[DB_PENDING], &wk, &p);
        if (e == ATIVA_OK) {
            ativa_msg_status cur;
            e = msg_status(p, &cur);
            json_decref(p);
            if (e != ATIVA_OK)
                return e;
            if (!ativa_msg_status_advances(cur, in->status))
                return cur == in->status ? ATIVA_ERR_DUPLICATE : ATIVA_ERR_STATUS_STALE;
        } else if (e != ATIVA_ERR_NOT_FOUND) {
            return e;
        }
        p = json_pack("{s:s, s:I}", "status", ativa_msg_status_name(in->status), "ts_ms",
                      (json_int_t)in->ts_ms);
        if (p == NULL)
            return ATIVA_ERR_NO_MEMORY;
        if (in->status == ATIVA_STATUS_FAILED)
            json_object_set_new(p, "error", ativa_store__msg_error_new(&in->error));
        e = ativa_store__put_json(w, DB_PENDING, &wk, p);
        json_decref(p);
        w->out->pending = true;
        return e;
    }
    if (e != ATIVA_OK)
        return e;
    if (v.mv_size != 12)
        return ATIVA_ERR_STORE_CORRUPT;
    uint64_t conv_id = ativa_store__get_u64(v.mv_data);
    uint32_t seq = ativa_store__get_u32((const unsigned char *)v.mv_data + 8);
    w->out->conv = conv_id;
    w->out->seq = seq;
    json_t *msg = NULL, *conv = NULL;
    ativa_msg_status cur;
    if ((e = ativa_store__msg_load(w->txn, w->st, conv_id, seq, &msg)) != ATIVA_OK ||
        (e = ativa_store__conv_load(w->txn, w->st, conv_id, &conv)) != ATIVA_OK) {
        if (e == ATIVA_ERR_NOT_FOUND)
            e = ATIVA_ERR_STORE_CORRUPT;
        goto done;
    }
    w->out->owner = (uint64_t)ativa_store__jint(conv, "owner", 0);
    if ((e = msg_status(msg, &cur)) != ATIVA_OK)
        goto done;
    if (cur == ATIVA_STATUS_NONE) {
        e = ATIVA_ERR_INVALID_ARGUMENT; /* an inbound message has no delivery status */
        goto done;
    }
    if (!ativa_msg_status_advances(cur, in->status)) {
        e = cur == in->status ? ATIVA_ERR_DUPLICATE : ATIVA_ERR_STATUS_STALE;
        goto done;
    }
    if ((e = ativa_store__msg_set_status(w, msg, in->status, in->ts_ms, &in->error)) == ATIVA_OK)
        e = ativa_store__event_msg(w, "status", conv, msg, in->now_ms);
done:
    json_decref(msg);
    json_decref(conv);
    return e;
}

/* ---- reads ---- */

static bool message_item(MDB_txn *txn, const MDB_val *key, const MDB_val *val, void *ctx,
                         json_t **item_new, ativa_err *err)
{
    (void)txn;
    if (key->mv_size != 12 || ativa_store__get_u64(key->mv_data) != *(const uint64_t *)ctx)
        return false; /* past the conversation's messages */
    *err = ativa_store__decode(val, item_new);
    return *err == ATIVA_OK;
}

ativa_err ativa_store_list_messages(ativa_store *st, uint64_t conv, uint32_t after_seq,
                                    unsigned limit, json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL || limit == 0 || limit > MESSAGES_LIMIT_MAX || after_seq == UINT32_MAX)
        return ATIVA_ERR_INVALID_ARGUMENT;
    store_key k;
    msg_key(&k, conv, after_seq + 1);
    return ativa_store__scan(st, DB_MESSAGES, &k, limit, message_item, &conv, out_new);
}

ativa_err ativa_store_get_message_by_wamid(ativa_store *st, const char *wamid, json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL || ativa_store__check_str(wamid, ATIVA_WAMID_MAX - 1, true) != ATIVA_OK)
        return ATIVA_ERR_INVALID_ARGUMENT;
    MDB_txn *txn;
    ativa_err e = ativa_store__read_begin(st, &txn);
    if (e != ATIVA_OK)
        return e;
    store_key wk;
    wamid_key(&wk, wamid);
    MDB_val v;
    e = ativa_store__get_raw(txn, st->dbi[DB_WAMIDS], &wk, &v);
    if (e == ATIVA_OK) {
        if (v.mv_size != 12) {
            e = ATIVA_ERR_STORE_CORRUPT;
        } else {
            e = ativa_store__msg_load(txn, st, ativa_store__get_u64(v.mv_data),
                                      ativa_store__get_u32((const unsigned char *)v.mv_data + 8),
                                      out_new);
            if (e == ATIVA_ERR_NOT_FOUND)
                e = ATIVA_ERR_STORE_CORRUPT;
        }
    }
    ativa_store__read_end(st, txn);
    return e;
}
