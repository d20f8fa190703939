/* Lines, customers (one per ninth-digit equivalence key) and windows per (line, customer). */
#include "store_internal.h"

#include "ativa/phone.h"
#include "ativa/window.h"

#include <string.h>

void ativa_store__pair_key(store_key *k, const char *line, const char *key)
{
    ativa_store__key_init(k);
    ativa_store__key_str(k, line);
    ativa_store__key_raw(k, key);
}

static void line_key(store_key *k, const char *line)
{
    ativa_store__key_init(k);
    ativa_store__key_raw(k, line);
}

ativa_err ativa_store__apply_put_line(store_wtx *w, const ativa_store_in_put_line *in)
{
    ativa_err e;
    if ((e = ativa_store__check_digits(in->phone_number_id, ATIVA_STORE_ID_MAX)) != ATIVA_OK ||
        (e = ativa_store__check_str(in->display_number, 32, true)) != ATIVA_OK ||
        (e = ativa_store__check_digits(in->waba_id, ATIVA_STORE_ID_MAX)) != ATIVA_OK ||
        (e = ativa_store__check_str(in->label, ATIVA_STORE_LABEL_MAX, false)) != ATIVA_OK)
        return e;
    json_t *rec = json_pack("{s:s, s:s, s:s, s:s}", "phone_number_id", in->phone_number_id,
                            "display_number", in->display_number, "waba_id", in->waba_id, "label",
                            in->label != NULL ? in->label : "");
    if (rec == NULL)
        return ATIVA_ERR_NO_MEMORY;
    store_key k;
    line_key(&k, in->phone_number_id);
    e = ativa_store__put_json(w, DB_LINES, &k, rec);
    json_decref(rec);
    return e;
}

ativa_err ativa_store__line_exists(MDB_txn *txn, ativa_store *st, const char *line)
{
    if (ativa_store__check_digits(line, ATIVA_STORE_ID_MAX) != ATIVA_OK)
        return ATIVA_ERR_INVALID_ARGUMENT;
    store_key k;
    line_key(&k, line);
    MDB_val v;
    return ativa_store__get_raw(txn, st->dbi[DB_LINES], &k, &v);
}

ativa_err ativa_store__upsert_customer(store_wtx *w, const char *key, const char *wa_id,
                                       const char *profile_name, int64_t now_ms)
{
    store_key k;
    ativa_store__key_init(&k);
    ativa_store__key_raw(&k, key);
    json_t *rec = NULL;
    ativa_err e = ativa_store__get_json(w->txn, w->st->dbi[DB_CUSTOMERS], &k, &rec);
    if (e == ATIVA_ERR_NOT_FOUND) {
        rec = json_pack("{s:s, s:I}", "key", key, "created_ms", (json_int_t)now_ms);
        if (rec == NULL)
            return ATIVA_ERR_NO_MEMORY;
    } else if (e != ATIVA_OK) {
        return e;
    }
    if (wa_id != NULL)
        ativa_store__jset_str(rec, "wa_id", wa_id);
    if (profile_name != NULL && profile_name[0] != '\0')
        ativa_store__jset_str(rec, "profile_name", profile_name);
    ativa_store__jset_int(rec, "updated_ms", now_ms);
    e = ativa_store__put_json(w, DB_CUSTOMERS, &k, rec);
    json_decref(rec);
    return e;
}

int64_t ativa_store__window_last(MDB_txn *txn, ativa_store *st, const char *line, const char *key)
{
    store_key k;
    ativa_store__pair_key(&k, line, key);
    json_t *rec = NULL;
    if (ativa_store__get_json(txn, st->dbi[DB_WINDOWS], &k, &rec) != ATIVA_OK)
        return ATIVA_NEVER;
    int64_t last = ativa_store__jint(rec, "last_inbound_ms", ATIVA_NEVER);
    json_decref(rec);
    return last;
}

ativa_err ativa_store__window_touch(store_wtx *w, const char *line, const char *key, int64_t ts_ms)
{
    int64_t last = ativa_store__window_last(w->txn, w->st, line, key);
    /* Meta delivers out of order: the window runs from the newest inbound message seen. */
    if (last != ATIVA_NEVER && last >= ts_ms)
        return ATIVA_OK;
    store_key k;
    ativa_store__pair_key(&k, line, key);
    json_t *rec = json_pack("{s:I}", "last_inbound_ms", (json_int_t)ts_ms);
    if (rec == NULL)
        return ATIVA_ERR_NO_MEMORY;
    ativa_err e = ativa_store__put_json(w, DB_WINDOWS, &k, rec);
    json_decref(rec);
    return e;
}

/* ---- reads ---- */

ativa_err ativa_store_get_line(ativa_store *st, const char *phone_number_id, json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL || ativa_store__check_digits(phone_number_id, ATIVA_STORE_ID_MAX) != ATIVA_OK)
        return ATIVA_ERR_INVALID_ARGUMENT;
    store_key k;
    line_key(&k, phone_number_id);
    return ativa_store__read_json(st, DB_LINES, &k, out_new);
}

ativa_err ativa_store_list_lines(ativa_store *st, json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    return ativa_store__scan(st, DB_LINES, NULL, SIZE_MAX, NULL, NULL, out_new);
}

ativa_err ativa_store_get_customer(ativa_store *st, const char *number, json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    char key[ATIVA_PHONE_MAX];
    if (st == NULL || number == NULL || ativa_phone_key(number, key) != ATIVA_OK)
        return ATIVA_ERR_INVALID_ARGUMENT;
    store_key k;
    ativa_store__key_init(&k);
    ativa_store__key_raw(&k, key);
    return ativa_store__read_json(st, DB_CUSTOMERS, &k, out_new);
}

ativa_err ativa_store_get_window(ativa_store *st, const char *line, const char *number,
                                 int64_t *last_inbound_ms)
{
    if (last_inbound_ms == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *last_inbound_ms = ATIVA_NEVER;
    char key[ATIVA_PHONE_MAX];
    if (st == NULL || ativa_store__check_digits(line, ATIVA_STORE_ID_MAX) != ATIVA_OK ||
        number == NULL || ativa_phone_key(number, key) != ATIVA_OK)
        return ATIVA_ERR_INVALID_ARGUMENT;
    MDB_txn *txn;
    ativa_err e = ativa_store__read_begin(st, &txn);
    if (e != ATIVA_OK)
        return e;
    *last_inbound_ms = ativa_store__window_last(txn, st, line, key);
    ativa_store__read_end(st, txn);
    return ATIVA_OK;
}
