/*
 * The catalog: templates of several WABAs in one array kept sorted by (waba_id, name, language),
 * so lookups are binary searches and the approved list comes out in a stable order without
 * sorting. A WABA holds at most a few thousand templates; id lookups (webhooks) scan one WABA.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ativa/template.h"
#include "template_internal.h"

/* Longest status string kept (Meta's longest today is "PENDING_DELETION"). */
#define STATUS_MAX 64

typedef struct entry {
    char *waba_id;
    ativa_template *tpl;
} entry;

struct ativa_template_catalog {
    entry *items;
    size_t count, cap;
};

/* Languages: case-insensitive, '-' equal to '_'. */
static int lang_char(char c)
{
    return c == '-' ? '_' : tolower((unsigned char)c);
}

static int compare_language(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = lang_char(*a), cb = lang_char(*b);
        if (ca != cb || !ca)
            return ca - cb;
    }
}

static int compare_key(const entry *e, const char *waba, const char *name, const char *language)
{
    int c = strcmp(e->waba_id, waba);
    if (!c)
        c = strcmp(e->tpl->name, name);
    if (!c)
        c = compare_language(e->tpl->language, language);
    return c;
}

/* Index of the key if present (*found set), else where it would be inserted. */
static size_t lower_bound(const ativa_template_catalog *cat, const char *waba, const char *name,
                          const char *language, bool *found)
{
    size_t lo = 0, hi = cat->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (compare_key(&cat->items[mid], waba, name, language) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < cat->count && compare_key(&cat->items[lo], waba, name, language) == 0;
    return lo;
}

/* First entry of a WABA (entries of one WABA are contiguous). */
static size_t waba_start(const ativa_template_catalog *cat, const char *waba)
{
    size_t lo = 0, hi = cat->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(cat->items[mid].waba_id, waba) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Index of the entry of the WABA with this id, other than `skip`, or -1. */
static long find_id(const ativa_template_catalog *cat, const char *waba, const char *id, long skip)
{
    for (size_t i = waba_start(cat, waba);
         i < cat->count && strcmp(cat->items[i].waba_id, waba) == 0; i++)
        if ((long)i != skip && cat->items[i].tpl->id && strcmp(cat->items[i].tpl->id, id) == 0)
            return (long)i;
    return -1;
}

ativa_template_catalog *ativa_template_catalog_new(void)
{
    return calloc(1, sizeof(ativa_template_catalog));
}

static void remove_at(ativa_template_catalog *cat, size_t i)
{
    free(cat->items[i].waba_id);
    ativa_template_free(cat->items[i].tpl);
    memmove(&cat->items[i], &cat->items[i + 1], (cat->count - i - 1) * sizeof *cat->items);
    cat->count--;
}

void ativa_template_catalog_free(ativa_template_catalog *cat)
{
    if (!cat)
        return;
    for (size_t i = 0; i < cat->count; i++) {
        free(cat->items[i].waba_id);
        ativa_template_free(cat->items[i].tpl);
    }
    free(cat->items);
    free(cat);
}

ativa_err ativa_template_catalog_put(ativa_template_catalog *cat, const char *waba_id,
                                     ativa_template *tpl)
{
    if (!cat || !waba_id || !*waba_id || !tpl || !tpl->name || !tpl->language)
        return ATIVA_ERR_INVALID_ARGUMENT;
    bool found;
    size_t at = lower_bound(cat, waba_id, tpl->name, tpl->language, &found);
    if (found) {
        ativa_template *old = cat->items[at].tpl;
        cat->items[at].tpl = tpl;
        ativa_template_free(old);
        /* Another name or language with the same id is a stale copy of this template. */
        long dup = tpl->id ? find_id(cat, waba_id, tpl->id, (long)at) : -1;
        if (dup >= 0)
            remove_at(cat, (size_t)dup);
        return ATIVA_OK;
    }
    char *waba = strdup(waba_id);
    if (!waba)
        return ATIVA_ERR_NO_MEMORY;
    if (cat->count == cat->cap) {
        size_t cap = cat->cap ? cat->cap * 2 : 16;
        entry *grown = realloc(cat->items, cap * sizeof *grown);
        if (!grown) {
            free(waba);
            return ATIVA_ERR_NO_MEMORY;
        }
        cat->items = grown;
        cat->cap = cap;
    }
    /* An id seen under another name or language (a renamed copy): the new one replaces it. */
    long dup = tpl->id ? find_id(cat, waba_id, tpl->id, -1) : -1;
    if (dup >= 0) {
        remove_at(cat, (size_t)dup);
        if ((size_t)dup < at)
            at--;
    }
    memmove(&cat->items[at + 1], &cat->items[at], (cat->count - at) * sizeof *cat->items);
    cat->items[at].waba_id = waba;
    cat->items[at].tpl = tpl;
    cat->count++;
    return ATIVA_OK;
}

ativa_err ativa_template_catalog_remove(ativa_template_catalog *cat, const char *waba_id,
                                        const char *name, const char *language)
{
    if (!cat || !waba_id || !name || !language)
        return ATIVA_ERR_INVALID_ARGUMENT;
    bool found;
    size_t at = lower_bound(cat, waba_id, name, language, &found);
    if (!found)
        return ATIVA_ERR_TEMPLATE_NOT_FOUND;
    remove_at(cat, at);
    return ATIVA_OK;
}

const ativa_template *ativa_template_catalog_find(const ativa_template_catalog *cat,
                                                  const char *waba_id, const char *name,
                                                  const char *language)
{
    if (!cat || !waba_id || !name || !language)
        return NULL;
    bool found;
    size_t at = lower_bound(cat, waba_id, name, language, &found);
    return found ? cat->items[at].tpl : NULL;
}

const ativa_template *ativa_template_catalog_find_id(const ativa_template_catalog *cat,
                                                     const char *waba_id, const char *id)
{
    if (!cat || !waba_id || !id)
        return NULL;
    long i = find_id(cat, waba_id, id, -1);
    return i >= 0 ? cat->items[i].tpl : NULL;
}

size_t ativa_template_catalog_count(const ativa_template_catalog *cat, const char *waba_id)
{
    if (!cat)
        return 0;
    if (!waba_id)
        return cat->count;
    size_t n = 0;
    for (size_t i = waba_start(cat, waba_id);
         i < cat->count && strcmp(cat->items[i].waba_id, waba_id) == 0; i++)
        n++;
    return n;
}

static ativa_template *lookup(ativa_template_catalog *cat, const char *waba_id, const char *id,
                              const char *name, const char *language)
{
    long i = id ? find_id(cat, waba_id, id, -1) : -1;
    if (i >= 0)
        return cat->items[i].tpl;
    if (!name || !language)
        return NULL;
    bool found;
    size_t at = lower_bound(cat, waba_id, name, language, &found);
    return found ? cat->items[at].tpl : NULL;
}

ativa_err ativa_template_catalog_set_status(ativa_template_catalog *cat, const char *waba_id,
                                            const char *id, const char *name, const char *language,
                                            const char *status)
{
    if (!cat || !waba_id || !status || !*status || strlen(status) > STATUS_MAX ||
        (!id && (!name || !language)))
        return ATIVA_ERR_INVALID_ARGUMENT;
    ativa_template *t = lookup(cat, waba_id, id, name, language);
    if (!t)
        return ATIVA_ERR_TEMPLATE_NOT_FOUND;
    return ativa_template__set_status(t, status);
}

ativa_err ativa_template_catalog_apply_status_update(ativa_template_catalog *cat,
                                                     const char *waba_id, const json_t *value,
                                                     const ativa_template **changed)
{
    if (changed)
        *changed = NULL;
    if (!cat || !waba_id || !value)
        return ATIVA_ERR_INVALID_ARGUMENT;
    const char *event = json_string_value(json_object_get(value, "event"));
    const json_t *idj = json_object_get(value, "message_template_id");
    const char *name = json_string_value(json_object_get(value, "message_template_name"));
    const char *language = json_string_value(json_object_get(value, "message_template_language"));
    /* Meta sends the id as an integer here, but as a string in the template list. */
    char idbuf[32];
    const char *id = NULL;
    if (json_is_integer(idj)) {
        snprintf(idbuf, sizeof idbuf, "%" JSON_INTEGER_FORMAT, json_integer_value(idj));
        id = idbuf;
    } else if (json_is_string(idj)) {
        id = json_string_value(idj);
    }
    if (!event || !*event || strlen(event) > STATUS_MAX || (!id && (!name || !language)))
        return ATIVA_ERR_WEBHOOK_MALFORMED;
    ativa_template *t = lookup(cat, waba_id, id, name, language);
    if (!t)
        return ATIVA_ERR_TEMPLATE_NOT_FOUND;
    ativa_err err = ativa_template__set_status(t, event);
    if (!err && changed)
        *changed = t;
    return err;
}

size_t ativa_template_catalog_list_approved(const ativa_template_catalog *cat, const char *waba_id,
                                            const ativa_template **out, size_t cap)
{
    if (!cat || !waba_id)
        return 0;
    size_t n = 0;
    for (size_t i = waba_start(cat, waba_id);
         i < cat->count && strcmp(cat->items[i].waba_id, waba_id) == 0; i++) {
        if (cat->items[i].tpl->status != ATIVA_TEMPLATE_APPROVED)
            continue;
        if (n < cap)
            out[n] = cat->items[i].tpl;
        n++;
    }
    return n;
}
