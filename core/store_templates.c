/* Templates of each WABA, kept in Meta's own JSON, and their status changes. */
#include "store_internal.h"

#include <string.h>

#define TEMPLATE_JSON_MAX 65536
#define STATUS_MAX        32

static void template_key(store_key *k, const char *waba, const char *name, const char *language)
{
    ativa_store__key_init(k);
    ativa_store__key_str(k, waba);
    ativa_store__key_str(k, name);
    ativa_store__key_raw(k, language);
}

static ativa_err template_event(store_wtx *w, const char *waba, const json_t *tmpl, int64_t now_ms)
{
    json_t *data = json_pack("{s:s, s:O}", "waba_id", waba, "template", tmpl);
    if (data == NULL)
        return ATIVA_ERR_NO_MEMORY;
    return ativa_store__event(w, now_ms, "template", 0, "", 0, data);
}

ativa_err ativa_store__apply_put_template(store_wtx *w, const ativa_store_in_template *in)
{
    ativa_err e;
    if ((e = ativa_store__check_digits(in->waba_id, ATIVA_STORE_ID_MAX)) != ATIVA_OK)
        return e;
    if (!json_is_object(in->tmpl))
        return ATIVA_ERR_TEMPLATE_MALFORMED;
    const char *name = ativa_store__jstr(in->tmpl, "name");
    const char *language = ativa_store__jstr(in->tmpl, "language");
    const char *status = ativa_store__jstr(in->tmpl, "status");
    if (ativa_store__check_str(name, ATIVA_STORE_LABEL_MAX, true) != ATIVA_OK ||
        ativa_store__check_str(language, 16, true) != ATIVA_OK ||
        ativa_store__check_str(status, STATUS_MAX, true) != ATIVA_OK)
        return ATIVA_ERR_TEMPLATE_MALFORMED;
    char *text = json_dumps(in->tmpl, JSON_COMPACT);
    if (text == NULL)
        return ATIVA_ERR_NO_MEMORY;
    size_t len = strlen(text);
    free(text);
    if (len > TEMPLATE_JSON_MAX)
        return ATIVA_ERR_TOO_LARGE;
    store_key k;
    template_key(&k, in->waba_id, name, language);
    if (k.overflow)
        return ATIVA_ERR_TOO_LARGE;
    json_t *old = NULL;
    e = ativa_store__get_json(w->txn, w->st->dbi[DB_TEMPLATES], &k, &old);
    if (e == ATIVA_OK) {
        bool same = json_equal(old, (json_t *)in->tmpl);
        json_decref(old);
        if (same)
            return ATIVA_ERR_DUPLICATE;
    } else if (e != ATIVA_ERR_NOT_FOUND) {
        return e;
    }
    if ((e = ativa_store__put_json(w, DB_TEMPLATES, &k, in->tmpl)) != ATIVA_OK)
        return e;
    return template_event(w, in->waba_id, in->tmpl, in->now_ms);
}

static bool template_selected(const json_t *t, const ativa_store_in_template *in)
{
    const char *s;
    if (in->id != NULL) {
        json_t *id = json_object_get(t, "id");
        if (json_is_string(id))
            return strcmp(json_string_value(id), in->id) == 0;
        if (json_is_integer(id)) {
            char buf[32];
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(id));
            return strcmp(buf, in->id) == 0;
        }
        return false;
    }
    if ((s = ativa_store__jstr(t, "name")) == NULL || strcmp(s, in->name) != 0)
        return false;
    return in->language == NULL ||
           ((s = ativa_store__jstr(t, "language")) != NULL && strcmp(s, in->language) == 0);
}

ativa_err ativa_store__apply_template_status(store_wtx *w, const ativa_store_in_template *in)
{
    ativa_err e;
    if ((e = ativa_store__check_digits(in->waba_id, ATIVA_STORE_ID_MAX)) != ATIVA_OK ||
        (e = ativa_store__check_str(in->status, STATUS_MAX, true)) != ATIVA_OK ||
        (e = ativa_store__check_str(in->id, ATIVA_STORE_ID_MAX, false)) != ATIVA_OK ||
        (e = ativa_store__check_str(in->language, 16, false)) != ATIVA_OK)
        return e;
    if (in->id == NULL && (e = ativa_store__check_str(in->name, ATIVA_STORE_LABEL_MAX, true)))
        return e;
    store_key prefix;
    ativa_store__key_init(&prefix);
    ativa_store__key_str(&prefix, in->waba_id);
    json_t *hits = json_array();
    if (hits == NULL)
        return ATIVA_ERR_NO_MEMORY;
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(w->txn, w->st->dbi[DB_TEMPLATES], &cur);
    MDB_val k = {prefix.n, prefix.b}, v;
    size_t found = 0;
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < prefix.n || memcmp(k.mv_data, prefix.b, prefix.n) != 0)
            break;
        json_t *t = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        if (t == NULL) {
            e = ATIVA_ERR_STORE_CORRUPT;
            goto done;
        }
        if (!template_selected(t, in)) {
            json_decref(t);
            continue;
        }
        found++;
        const char *old = ativa_store__jstr(t, "status");
        if (old != NULL && strcmp(old, in->status) == 0)
            json_decref(t);
        else
            json_array_append_new(hits, t);
    }
    if (rc != 0 && rc != MDB_NOTFOUND) {
        e = ativa_store__lmdb_err(w, rc);
        goto done;
    }
    mdb_cursor_close(cur);
    cur = NULL;
    if (found == 0) {
        e = ATIVA_ERR_TEMPLATE_NOT_FOUND;
        goto done;
    }
    if (json_array_size(hits) == 0) {
        e = ATIVA_ERR_DUPLICATE;
        goto done;
    }
    size_t i;
    json_t *t;
    json_array_foreach(hits, i, t)
    {
        store_key tk;
        ativa_store__jset_str(t, "status", in->status);
        template_key(&tk, in->waba_id, ativa_store__jstr(t, "name"),
                     ativa_store__jstr(t, "language"));
        if ((e = ativa_store__put_json(w, DB_TEMPLATES, &tk, t)) != ATIVA_OK ||
            (e = template_event(w, in->waba_id, t, in->now_ms)) != ATIVA_OK)
            goto done;
    }
done:
    if (cur != NULL)
        mdb_cursor_close(cur);
    json_decref(hits);
    return e;
}

/* ---- reads ---- */

static bool template_item(MDB_txn *txn, const MDB_val *key, const MDB_val *val, void *ctx,
                          json_t **item_new, ativa_err *err)
{
    (void)txn;
    const store_key *prefix = ctx;
    if (key->mv_size < prefix->n || memcmp(key->mv_data, prefix->b, prefix->n) != 0)
        return false; /* past the WABA's templates */
    *err = ativa_store__decode(val, item_new);
    return *err == ATIVA_OK;
}

ativa_err ativa_store_list_templates(ativa_store *st, const char *waba_id, json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL || ativa_store__check_digits(waba_id, ATIVA_STORE_ID_MAX) != ATIVA_OK)
        return ATIVA_ERR_INVALID_ARGUMENT;
    store_key prefix;
    ativa_store__key_init(&prefix);
    ativa_store__key_str(&prefix, waba_id);
    return ativa_store__scan(st, DB_TEMPLATES, &prefix, SIZE_MAX, template_item, &prefix, out_new);
}

ativa_err ativa_store_get_template(ativa_store *st, const char *waba_id, const char *name,
                                   const char *language, json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL || ativa_store__check_digits(waba_id, ATIVA_STORE_ID_MAX) != ATIVA_OK ||
        ativa_store__check_str(name, ATIVA_STORE_LABEL_MAX, true) != ATIVA_OK ||
        ativa_store__check_str(language, 16, true) != ATIVA_OK)
        return ATIVA_ERR_INVALID_ARGUMENT;
    store_key k;
    template_key(&k, waba_id, name, language);
    ativa_err e = ativa_store__read_json(st, DB_TEMPLATES, &k, out_new);
    return e == ATIVA_ERR_NOT_FOUND ? ATIVA_ERR_TEMPLATE_NOT_FOUND : e;
}
