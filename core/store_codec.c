/* The store's encoding: big-endian binary keys, JSON records, counters and bounded inputs. */
#include "store_internal.h"

#include <errno.h>
#include <string.h>

void ativa_store__key_init(store_key *k)
{
    k->n = 0;
    k->overflow = false;
}

static void key_put(store_key *k, const void *p, size_t n)
{
    if (k->overflow || n > KEY_MAX - k->n) {
        k->overflow = true;
        return;
    }
    memcpy(k->b + k->n, p, n);
    k->n += n;
}

void ativa_store__key_u64(store_key *k, uint64_t v)
{
    unsigned char b[8];
    for (int i = 7; i >= 0; i--) {
        b[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
    key_put(k, b, 8);
}

void ativa_store__key_u32(store_key *k, uint32_t v)
{
    unsigned char b[4];
    for (int i = 3; i >= 0; i--) {
        b[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
    key_put(k, b, 4);
}

/* Flipping the sign bit makes negative times sort before positive ones in byte order. */
void ativa_store__key_i64(store_key *k, int64_t v)
{
    ativa_store__key_u64(k, (uint64_t)v ^ 0x8000000000000000ULL);
}

void ativa_store__key_str(store_key *k, const char *s)
{
    key_put(k, s, strlen(s) + 1);
}

void ativa_store__key_raw(store_key *k, const char *s)
{
    key_put(k, s, strlen(s));
}

uint64_t ativa_store__get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

uint32_t ativa_store__get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = (v << 8) | p[i];
    return v;
}

int64_t ativa_store__get_i64(const unsigned char *p)
{
    return (int64_t)(ativa_store__get_u64(p) ^ 0x8000000000000000ULL);
}

ativa_err ativa_store__lmdb_err(store_wtx *w, int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return ATIVA_OK;
    case MDB_NOTFOUND:
        return ATIVA_ERR_NOT_FOUND;
    case MDB_MAP_FULL:
        if (w != NULL)
            w->map_full = true;
        return ATIVA_ERR_STORE_IO;
    case ENOMEM:
        return ATIVA_ERR_NO_MEMORY;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
        return ATIVA_ERR_STORE_CORRUPT;
    default:
        return ATIVA_ERR_STORE_IO;
    }
}

static MDB_val key_val(const store_key *k)
{
    MDB_val v = {k->n, (void *)k->b};
    return v;
}

ativa_err ativa_store__get_raw(MDB_txn *txn, MDB_dbi dbi, const store_key *k, MDB_val *out)
{
    if (k->overflow || k->n == 0)
        return ATIVA_ERR_INVALID_ARGUMENT;
    MDB_val key = key_val(k);
    return ativa_store__lmdb_err(NULL, mdb_get(txn, dbi, &key, out));
}

ativa_err ativa_store__get_json(MDB_txn *txn, MDB_dbi dbi, const store_key *k, json_t **out_new)
{
    *out_new = NULL;
    MDB_val v;
    ativa_err e = ativa_store__get_raw(txn, dbi, k, &v);
    if (e != ATIVA_OK)
        return e;
    /* The bytes belong to the map: jansson copies them into its own values here. */
    json_t *j = json_loadb(v.mv_data, v.mv_size, JSON_REJECT_DUPLICATES, NULL);
    if (j == NULL)
        return ATIVA_ERR_STORE_CORRUPT;
    *out_new = j;
    return ATIVA_OK;
}

ativa_err ativa_store__put_raw(store_wtx *w, int db, const store_key *k, const void *v, size_t n)
{
    if (k->overflow || k->n == 0)
        return ATIVA_ERR_INVALID_ARGUMENT;
    MDB_val key = key_val(k);
    MDB_val val = {n, (void *)v};
    return ativa_store__lmdb_err(w, mdb_put(w->txn, w->st->dbi[db], &key, &val, 0));
}

ativa_err ativa_store__put_json(store_wtx *w, int db, const store_key *k, const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL)
        return ATIVA_ERR_NO_MEMORY;
    ativa_err e = ativa_store__put_raw(w, db, k, text, strlen(text));
    free(text);
    return e;
}

ativa_err ativa_store__del(store_wtx *w, int db, const store_key *k)
{
    if (k->overflow || k->n == 0)
        return ATIVA_ERR_INVALID_ARGUMENT;
    MDB_val key = key_val(k);
    int rc = mdb_del(w->txn, w->st->dbi[db], &key, NULL);
    if (rc == MDB_NOTFOUND)
        return ATIVA_OK;
    return ativa_store__lmdb_err(w, rc);
}

ativa_err ativa_store__next_id(store_wtx *w, const char *name, uint64_t *out)
{
    store_key k;
    ativa_store__key_init(&k);
    ativa_store__key_raw(&k, "next:");
    ativa_store__key_raw(&k, name);
    MDB_val v;
    uint64_t next = 1;
    ativa_err e = ativa_store__get_raw(w->txn, w->st->dbi[DB_META], &k, &v);
    if (e == ATIVA_OK) {
        if (v.mv_size != 8)
            return ATIVA_ERR_STORE_CORRUPT;
        next = ativa_store__get_u64(v.mv_data);
    } else if (e != ATIVA_ERR_NOT_FOUND) {
        return e;
    }
    store_key nv;
    ativa_store__key_init(&nv);
    ativa_store__key_u64(&nv, next + 1);
    e = ativa_store__put_raw(w, DB_META, &k, nv.b, nv.n);
    if (e == ATIVA_OK)
        *out = next;
    return e;
}

const char *ativa_store__jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

int64_t ativa_store__jint(const json_t *o, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

int ativa_store__jset_str(json_t *o, const char *key, const char *s)
{
    if (s == NULL) {
        json_object_del(o, key);
        return 0;
    }
    return json_object_set_new(o, key, json_string(s));
}

int ativa_store__jset_int(json_t *o, const char *key, int64_t v)
{
    return json_object_set_new(o, key, json_integer((json_int_t)v));
}

ativa_err ativa_store__check_str(const char *s, size_t max, bool required)
{
    if (s == NULL)
        return required ? ATIVA_ERR_INVALID_ARGUMENT : ATIVA_OK;
    if (required && s[0] == '\0')
        return ATIVA_ERR_INVALID_ARGUMENT;
    if (strnlen(s, max + 1) > max)
        return ATIVA_ERR_TOO_LARGE;
    /* jansson refuses invalid UTF-8; refusing it here keeps a bad input from failing later. */
    json_t *probe = json_string(s);
    if (probe == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    json_decref(probe);
    return ATIVA_OK;
}

ativa_err ativa_store__check_digits(const char *s, size_t max)
{
    if (s == NULL || s[0] == '\0')
        return ATIVA_ERR_INVALID_ARGUMENT;
    size_t n = strnlen(s, max + 1);
    if (n > max)
        return ATIVA_ERR_TOO_LARGE;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return ATIVA_ERR_INVALID_ARGUMENT;
    return ATIVA_OK;
}
