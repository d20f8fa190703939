/* The template offer: catalog, store, Graph API sync, file source, status updates; see
 * templates.h. */
#include "templates.h"

#include "bridge.h"
#include "graph_client.h"
#include "log.h"

#include <ativa/store.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The store's bound on a status string (TEMPLATE_STATUS refuses longer ones). */
#define STATUS_MAX 32

struct ativa_templates {
    struct ativa_server *srv;
    ativa_template_catalog *cat;
    /* Every (waba, name, language) ever put in the catalog, for the per-status counts: the
     * catalog itself offers no walk over all of its templates. Keys: waba \n name \n language
     * folded as the catalog compares it. */
    json_t *known;

    char **wabas; /* the distinct WABAs of the lines */
    size_t n_wabas;

    graph_client *client;
    lws_sorted_usec_list_t sul;
    bool stopping;

    /* The sync under way. */
    bool syncing;
    size_t waba_i;
    unsigned pages;
    size_t received;
    json_t *seen; /* keys of the templates Meta listed for wabas[waba_i] */
    bool failed;
    ativa_err first_error;
    unsigned consecutive_failures;

    ativa_templates_change last;
    int64_t last_sync_ms, last_success_ms;
    bool last_ok;
    ativa_err last_error;
    uint64_t syncs_ok, syncs_failed;
};

/* A store write of ours. The store borrows every input until done has run. */
struct tpl_job {
    struct ativa_job job;
    json_t *tmpl;
    char *waba_id, *id, *name, *language, *status;
    ativa_templates_done_fn then; /* the caller's, after the commit; may be NULL */
    void *then_arg;
};

/* ---- pure parts ---- */

static const char *lang_fold(const char *language, char *buf, size_t size)
{
    size_t i = 0;
    for (; language[i] && i + 1 < size; i++)
        buf[i] = language[i] == '-' ? '_' : (char)tolower((unsigned char)language[i]);
    buf[i] = '\0';
    return buf;
}

/* The identity of a template as the catalog sees it, as one string (caller frees). */
static char *template_key_new(const char *waba, const char *name, const char *language)
{
    char folded[ATIVA_TEMPLATE_LANGUAGE_MAX * 2];
    lang_fold(language, folded, sizeof folded);
    size_t n = strlen(waba) + strlen(name) + strlen(folded) + 3;
    char *key = malloc(n);
    if (key)
        snprintf(key, n, "%s\n%s\n%s", waba, name, folded);
    return key;
}

json_t *ativa_templates_offer_item_new(const ativa_template *tpl)
{
    if (!tpl)
        return NULL;
    const char *reason = NULL;
    bool sendable = ativa_template_sendable(tpl, &reason) == ATIVA_OK;
    char *text = ativa_template_render_new(tpl, NULL);
    json_t *slots = ativa_template_slots_to_json_new(tpl);
    json_t *item = NULL;
    if (text && slots)
        item = json_pack("{s:s, s:s, s:s, s:s, s:O, s:b, s:s?}", "name", tpl->name, "language",
                         tpl->language, "category", ativa_template_category_name(tpl->category),
                         "text", text, "slots", slots, "sendable", sendable,
                         "unsupported_reason", sendable ? NULL : reason);
    free(text);
    json_decref(slots);
    return item;
}

json_t *ativa_templates_offer_from_catalog_new(const ativa_template_catalog *cat,
                                               const char *waba_id)
{
    if (!cat || !waba_id)
        return NULL;
    size_t n = ativa_template_catalog_list_approved(cat, waba_id, NULL, 0);
    const ativa_template **list = n ? calloc(n, sizeof *list) : NULL;
    json_t *offer = json_array();
    if ((n && !list) || !offer)
        goto fail;
    ativa_template_catalog_list_approved(cat, waba_id, list, n);
    for (size_t i = 0; i < n; i++) {
        json_t *item = ativa_templates_offer_item_new(list[i]);
        if (!item || json_array_append_new(offer, item))
            goto fail;
    }
    free(list);
    return offer;
fail:
    free(list);
    json_decref(offer);
    return NULL;
}

static void set_error(char *errbuf, size_t errlen, const char *fmt, const char *arg)
{
    if (errbuf && errlen)
        snprintf(errbuf, errlen, fmt, arg ? arg : "");
}

/* One {"data":[...]} object through the Graph API page parser, so a file is read exactly as
 * Meta's answers are. */
static ativa_err parse_list(const json_t *list, const char *where, ativa_template_page *page,
                            char *errbuf, size_t errlen)
{
    if (!json_is_object(list) || !json_is_array(json_object_get(list, "data"))) {
        set_error(errbuf, errlen, "%s is not an object {\"data\":[...]}", where);
        return ATIVA_ERR_TEMPLATE_MALFORMED;
    }
    char *text = json_dumps(list, JSON_COMPACT);
    if (!text)
        return ATIVA_ERR_NO_MEMORY;
    char why[ATIVA_TEMPLATE_ERRBUF];
    ativa_err err = ativa_template_page_parse(text, strlen(text), page, why, sizeof why);
    free(text);
    if (err && errbuf && errlen)
        snprintf(errbuf, errlen, "%s: %s", where, why);
    return err;
}

static void clear_pages(ativa_template_page *pages, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ativa_template_page_clear(&pages[i]);
}

ativa_err ativa_templates_file_parse(const char *text, size_t len, const char *const *wabas,
                                     size_t n_wabas, ativa_template_page *pages, char *errbuf,
                                     size_t errlen)
{
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!text || (n_wabas && (!wabas || !pages)))
        return ATIVA_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < n_wabas; i++)
        memset(&pages[i], 0, sizeof pages[i]);
    if (len > ATIVA_TEMPLATES_FILE_MAX) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "the file is larger than %u bytes",
                     (unsigned)ATIVA_TEMPLATES_FILE_MAX);
        return ATIVA_ERR_TOO_LARGE;
    }
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "not JSON: %s at line %d column %d", jerr.text, jerr.line,
                     jerr.column);
        return ATIVA_ERR_BAD_JSON;
    }
    ativa_err err = ATIVA_OK;
    json_t *data = json_object_get(root, "data");
    json_t *by_waba = json_object_get(root, "wabas");
    if (!json_is_object(root) || (data && by_waba) || (!data && !by_waba)) {
        set_error(errbuf, errlen, "%s",
                  "give either {\"data\":[...]} or {\"wabas\":{\"<waba_id>\":{\"data\":[...]}}}");
        err = ATIVA_ERR_TEMPLATE_MALFORMED;
        goto done;
    }
    if (data) {
        for (size_t i = 0; i < n_wabas && !err; i++)
            err = parse_list(root, "the file", &pages[i], errbuf, errlen);
        goto done;
    }
    if (!json_is_object(by_waba)) {
        set_error(errbuf, errlen, "%s", "wabas is not an object of WABA ids");
        err = ATIVA_ERR_TEMPLATE_MALFORMED;
        goto done;
    }
    const char *waba;
    json_t *list;
    json_object_foreach(by_waba, waba, list)
    {
        size_t i = 0;
        while (i < n_wabas && strcmp(wabas[i], waba) != 0)
            i++;
        char where[96];
        snprintf(where, sizeof where, "wabas[\"%.64s\"]", waba);
        if (i == n_wabas) {
            set_error(errbuf, errlen, "%s is not the WABA of any line (lines[].waba_id)", where);
            err = ATIVA_ERR_TEMPLATE_MALFORMED;
            goto done;
        }
        if ((err = parse_list(list, where, &pages[i], errbuf, errlen)))
            goto done;
    }
done:
    json_decref(root);
    if (err)
        clear_pages(pages, n_wabas);
    return err;
}

/* Versions ("v23.0") and WABA ids (digits) go into paths unescaped: allow nothing that could
 * change the path's shape. */
static bool path_safe(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_')
            return false;
    return true;
}

ativa_err ativa_templates_first_path(const char *version, const char *waba_id, unsigned limit,
                                     char *out, size_t outlen)
{
    if (!out || !outlen || !path_safe(version) || !path_safe(waba_id) || limit == 0)
        return ATIVA_ERR_INVALID_ARGUMENT;
    int n = snprintf(out, outlen, "/%s/%s/message_templates?limit=%u", version, waba_id, limit);
    if (n < 0 || (size_t)n >= outlen) {
        out[0] = '\0';
        return ATIVA_ERR_TOO_LARGE;
    }
    return ATIVA_OK;
}

ativa_err ativa_templates_next_path(const char *base_url, const char *version, const char *waba_id,
                                    unsigned limit, const ativa_template_page *page, char *out,
                                    size_t outlen)
{
    if (!base_url || !page || !out || !outlen)
        return ATIVA_ERR_INVALID_ARGUMENT;
    out[0] = '\0';
    if (!page->next)
        return ATIVA_OK;
    char first[ATIVA_TEMPLATES_PATH_MAX];
    ativa_err err = ativa_templates_first_path(version, waba_id, limit, first, sizeof first);
    if (err)
        return err;
    if (page->after && *page->after) {
        size_t n = strlen(page->after);
        if (n > ATIVA_TEMPLATES_CURSOR_MAX)
            return ATIVA_ERR_TOO_LARGE;
        char enc[ATIVA_TEMPLATES_CURSOR_MAX * 3 + 4];
        lws_urlencode(enc, page->after, (int)sizeof enc);
        int w = snprintf(out, outlen, "%s&after=%s", first, enc);
        if (w < 0 || (size_t)w >= outlen) {
            out[0] = '\0';
            return ATIVA_ERR_TOO_LARGE;
        }
        return ATIVA_OK;
    }
    /* No cursor: paging.next itself, but only below our own base URL and of this very list. */
    size_t base_len = strlen(base_url);
    while (base_len && base_url[base_len - 1] == '/')
        base_len--;
    const char *next = page->next;
    char list_prefix[ATIVA_TEMPLATES_PATH_MAX];
    snprintf(list_prefix, sizeof list_prefix, "/%s/%s/message_templates?", version, waba_id);
    if (strncmp(next, base_url, base_len) != 0 ||
        strncmp(next + base_len, list_prefix, strlen(list_prefix)) != 0)
        return ATIVA_ERR_META_RESPONSE_MALFORMED;
    const char *rest = next + base_len;
    for (const char *p = rest; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '#')
            return ATIVA_ERR_META_RESPONSE_MALFORMED;
    if (strlen(rest) >= outlen)
        return ATIVA_ERR_TOO_LARGE;
    memcpy(out, rest, strlen(rest) + 1);
    return ATIVA_OK;
}

/* ---- store writes ---- */

static void job_free(struct tpl_job *j)
{
    json_decref(j->tmpl);
    free(j->waba_id);
    free(j->id);
    free(j->name);
    free(j->language);
    free(j->status);
    free(j);
}

/* Runs on the loop after the commit; touches nothing but the job, so it may run after
 * ativa_templates_stop. */
static void job_done(struct ativa_server *srv, struct ativa_job *job)
{
    (void)srv;
    struct tpl_job *j = lws_container_of(job, struct tpl_job, job);
    ativa_err err = job->op.result;
    /* Already so in the store: what the caller wanted is committed. */
    if (err == ATIVA_ERR_DUPLICATE)
        err = ATIVA_OK;
    if (err)
        ativa_log_warn("template not stored", "waba=%s name=%s language=%s error=%s", j->waba_id,
                       j->name ? j->name : "", j->language ? j->language : "", ativa_err_code(err));
    if (j->then)
        j->then(srv, j->then_arg, err);
    job_free(j);
}

static ativa_err job_submit(struct ativa_server *srv, struct tpl_job *j)
{
    j->job.done = job_done;
    ativa_err err = ativa_bridge_submit(srv, &j->job);
    if (err) {
        ativa_log_warn("template not stored", "waba=%s name=%s error=%s", j->waba_id,
                       j->name ? j->name : "", ativa_err_code(err));
        job_free(j);
    }
    return err;
}

static void store_put(struct ativa_server *srv, const char *waba, const ativa_template *tpl,
                      json_t *json)
{
    struct tpl_job *j = calloc(1, sizeof *j);
    if (!j || !(j->waba_id = strdup(waba)) || !(j->name = strdup(tpl->name)) ||
        !(j->language = strdup(tpl->language))) {
        if (j)
            job_free(j);
        ativa_log_warn("template not stored", "waba=%s name=%s error=%s", waba, tpl->name,
                       ativa_err_code(ATIVA_ERR_NO_MEMORY));
        return;
    }
    j->tmpl = json_incref(json);
    j->job.op.kind = ATIVA_STORE_PUT_TEMPLATE;
    j->job.op.in.template_op.waba_id = j->waba_id;
    j->job.op.in.template_op.tmpl = j->tmpl;
    j->job.op.in.template_op.now_ms = ativa_server_now_ms(srv);
    job_submit(srv, j);
}

static ativa_err store_status(struct ativa_server *srv, const char *waba, const char *id,
                              const char *name, const char *language, const char *status,
                              ativa_templates_done_fn then, void *then_arg)
{
    struct tpl_job *j = calloc(1, sizeof *j);
    if (!j || !(j->waba_id = strdup(waba)) || (id && !(j->id = strdup(id))) ||
        !(j->name = strdup(name)) || !(j->language = strdup(language)) ||
        !(j->status = strdup(status))) {
        if (j)
            job_free(j);
        ativa_log_warn("template status not stored", "waba=%s name=%s error=%s", waba, name,
                       ativa_err_code(ATIVA_ERR_NO_MEMORY));
        return ATIVA_ERR_NO_MEMORY;
    }
    j->then = then;
    j->then_arg = then_arg;
    j->job.op.kind = ATIVA_STORE_TEMPLATE_STATUS;
    j->job.op.in.template_op.waba_id = j->waba_id;
    j->job.op.in.template_op.id = j->id;
    j->job.op.in.template_op.name = j->name;
    j->job.op.in.template_op.language = j->language;
    j->job.op.in.template_op.status = j->status;
    j->job.op.in.template_op.now_ms = ativa_server_now_ms(srv);
    return job_submit(srv, j);
}

/* ---- the catalog and the offer ---- */

static void remember(struct ativa_templates *t, const char *waba, const ativa_template *tpl)
{
    char *key = template_key_new(waba, tpl->name, tpl->language);
    if (key)
        json_object_set_new(t->known, key, json_pack("[s,s,s]", waba, tpl->name, tpl->language));
    free(key);
}

static void offer_changed(struct ativa_templates *t, const char *waba, const char *name,
                          const char *language, ativa_template_status status, bool offered,
                          const char *source)
{
    ativa_templates_change *c = &t->last;
    c->generation++;
    snprintf(c->waba_id, sizeof c->waba_id, "%s", waba);
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->language, sizeof c->language, "%s", language);
    c->status = status;
    c->offered = offered;
    ativa_log_info("template offer changed",
                   "waba=%s name=%s language=%s status=%s offered=%s source=%s generation=%llu",
                   waba, name, language, ativa_template_status_name(status),
                   offered ? "true" : "false", source, (unsigned long long)c->generation);
}

/*
 * Put a template in the catalog (taking it), log what that changes in the offer and, when
 * `store` is set, write it to the store in the catalog's own JSON.
 */
static void catalog_update(struct ativa_templates *t, const char *waba, ativa_template *tpl,
                           const char *source, bool store)
{
    json_t *json = ativa_template_to_json_new(tpl);
    if (!json) {
        ativa_log_warn("template skipped", "waba=%s name=%s error=%s", waba, tpl->name,
                       ativa_err_code(ATIVA_ERR_NO_MEMORY));
        ativa_template_free(tpl);
        return;
    }
    const ativa_template *old = ativa_template_catalog_find(t->cat, waba, tpl->name, tpl->language);
    bool was = old && old->status == ATIVA_TEMPLATE_APPROVED;
    bool same = false;
    if (old) {
        json_t *old_json = ativa_template_to_json_new(old);
        same = old_json && json_equal(old_json, json);
        json_decref(old_json);
    }
    /* The same id under another name or language is a renamed copy the put will drop. */
    const ativa_template *renamed =
        tpl->id ? ativa_template_catalog_find_id(t->cat, waba, tpl->id) : NULL;
    if (renamed && renamed != old && renamed->status == ATIVA_TEMPLATE_APPROVED)
        offer_changed(t, waba, renamed->name, renamed->language, ATIVA_TEMPLATE_DELETED, false,
                      source);
    bool is = tpl->status == ATIVA_TEMPLATE_APPROVED;
    ativa_err err = ativa_template_catalog_put(t->cat, waba, tpl);
    if (err) {
        ativa_log_warn("template skipped", "waba=%s name=%s error=%s", waba, tpl->name,
                       ativa_err_code(err));
        ativa_template_free(tpl);
        json_decref(json);
        return;
    }
    remember(t, waba, tpl);
    if (was != is || (is && !same))
        offer_changed(t, waba, tpl->name, tpl->language, tpl->status, is, source);
    if (store && !same)
        store_put(t->srv, waba, tpl, json);
    json_decref(json);
}

/* Set a status in the catalog and the store; `tpl` is the catalog's. On ATIVA_OK, `then` (if
 * any) runs after the commit. */
static ativa_err set_status(struct ativa_templates *t, const char *waba, const ativa_template *tpl,
                            const char *status, const char *source, ativa_templates_done_fn then,
                            void *then_arg)
{
    bool was = tpl->status == ATIVA_TEMPLATE_APPROVED;
    /* Copies: the catalog's strings belong to the template being changed. */
    char *name = strdup(tpl->name);
    char *language = strdup(tpl->language);
    ativa_err err = ATIVA_ERR_NO_MEMORY;
    if (!name || !language) {
        ativa_log_warn("template status not applied", "waba=%s name=%s error=%s", waba, tpl->name,
                       ativa_err_code(ATIVA_ERR_NO_MEMORY));
        goto done;
    }
    err = ativa_template_catalog_set_status(t->cat, waba, NULL, name, language, status);
    if (err) {
        ativa_log_warn("template status not applied", "waba=%s name=%s error=%s", waba, name,
                       ativa_err_code(err));
        goto done;
    }
    const ativa_template *now = ativa_template_catalog_find(t->cat, waba, name, language);
    bool is = now && now->status == ATIVA_TEMPLATE_APPROVED;
    if (was != is)
        offer_changed(t, waba, name, language,
                      now ? now->status : ativa_template_status_parse(status), is, source);
    /* By name and language: the store may hold a copy without an id. */
    err = store_status(t->srv, waba, NULL, name, language, status, then, then_arg);
done:
    free(name);
    free(language);
    return err;
}

/* Load what the store kept, so the offer is there before Meta answers. */
static void load_stored(struct ativa_templates *t)
{
    for (size_t w = 0; w < t->n_wabas; w++) {
        json_t *list = NULL;
        ativa_err err = ativa_store_list_templates(t->srv->store, t->wabas[w], &list);
        if (err) {
            ativa_log_warn("stored templates not read", "waba=%s error=%s", t->wabas[w],
                           ativa_err_code(err));
            continue;
        }
        size_t i, loaded = 0;
        json_t *item;
        json_array_foreach(list, i, item)
        {
            ativa_template *tpl = NULL;
            char why[ATIVA_TEMPLATE_ERRBUF];
            err = ativa_template_from_json_new(item, &tpl, why, sizeof why);
            if (err) {
                ativa_log_warn("stored template skipped", "waba=%s error=%s reason=%s", t->wabas[w],
                               ativa_err_code(err), why);
                continue;
            }
            catalog_update(t, t->wabas[w], tpl, "store", false);
            loaded++;
        }
        json_decref(list);
        ativa_log_info("stored templates loaded", "waba=%s templates=%zu approved=%zu", t->wabas[w],
                       loaded, ativa_template_catalog_list_approved(t->cat, t->wabas[w], NULL, 0));
    }
}

/*
 * After a complete list of a WABA: every stored template it does not hold is gone at Meta.
 * Returns how many were marked.
 */
static size_t mark_missing(struct ativa_templates *t, const char *waba, const json_t *seen,
                           const char *source)
{
    json_t *list = NULL;
    ativa_err err = ativa_store_list_templates(t->srv->store, waba, &list);
    if (err) {
        ativa_log_warn("stored templates not read", "waba=%s error=%s", waba, ativa_err_code(err));
        return 0;
    }
    size_t i, marked = 0;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        const char *name = json_string_value(json_object_get(item, "name"));
        const char *language = json_string_value(json_object_get(item, "language"));
        const char *status = json_string_value(json_object_get(item, "status"));
        if (!name || !language || (status && strcmp(status, "DELETED") == 0))
            continue;
        char *key = template_key_new(waba, name, language);
        bool listed = !key || json_object_get(seen, key);
        free(key);
        if (listed)
            continue;
        const ativa_template *tpl = ativa_template_catalog_find(t->cat, waba, name, language);
        if (tpl)
            set_status(t, waba, tpl, "DELETED", source, NULL, NULL);
        else
            store_status(t->srv, waba, NULL, name, language, "DELETED", NULL, NULL);
        marked++;
    }
    json_decref(list);
    return marked;
}

/* Every template of a list into the catalog and the store; the page is emptied. */
static void take_page(struct ativa_templates *t, const char *waba, ativa_template_page *page,
                      json_t *seen, const char *source)
{
    for (size_t i = 0; i < page->count; i++) {
        ativa_template *tpl = page->items[i];
        page->items[i] = NULL;
        char *key = template_key_new(waba, tpl->name, tpl->language);
        if (key)
            json_object_set_new(seen, key, json_true());
        free(key);
        catalog_update(t, waba, tpl, source, true);
    }
    if (page->rejected)
        ativa_log_warn("templates skipped as malformed", "waba=%s count=%zu first=%s", waba,
                       page->rejected, page->first_rejection);
}

static const char *line_waba(const struct ativa_server *srv, const char *line)
{
    if (!line)
        return NULL;
    for (size_t i = 0; i < srv->cfg->n_lines; i++)
        if (strcmp(srv->cfg->lines[i].phone_number_id, line) == 0)
            return srv->cfg->lines[i].waba_id;
    return NULL;
}

static bool waba_configured(const struct ativa_templates *t, const char *waba)
{
    for (size_t i = 0; i < t->n_wabas; i++)
        if (strcmp(t->wabas[i], waba) == 0)
            return true;
    return false;
}

/* ---- file source ---- */

static ativa_err read_file(const char *path, char **text_new, size_t *len)
{
    *text_new = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ATIVA_ERR_NOT_FOUND;
    char *buf = malloc(ATIVA_TEMPLATES_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        return ATIVA_ERR_NO_MEMORY;
    }
    size_t n = fread(buf, 1, ATIVA_TEMPLATES_FILE_MAX + 1, f);
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return ATIVA_ERR_NOT_FOUND;
    }
    *text_new = buf;
    *len = n; /* one byte over the cap lets the parser say "too large" */
    return ATIVA_OK;
}

static ativa_err load_file(struct ativa_templates *t)
{
    const char *path = t->srv->cfg->templates_file;
    char *text = NULL;
    size_t len = 0;
    ativa_err err = read_file(path, &text, &len);
    if (err) {
        ativa_log_error("cannot read templates.file", "file=%s error=%s reason=%s", path,
                        ativa_err_code(err),
                        err == ATIVA_ERR_NO_MEMORY ? "out of memory" : strerror(errno));
        return err;
    }
    ativa_template_page *pages = calloc(t->n_wabas ? t->n_wabas : 1, sizeof *pages);
    if (!pages) {
        free(text);
        return ATIVA_ERR_NO_MEMORY;
    }
    char why[256];
    err = ativa_templates_file_parse(text, len, (const char *const *)t->wabas, t->n_wabas, pages,
                                     why, sizeof why);
    free(text);
    if (err) {
        ativa_log_error("templates.file is not a template list",
                        "file=%s error=%s reason=%s hint=%s", path, ativa_err_code(err), why,
                        "see the templates section of docs/configuration.md");
        free(pages);
        return err;
    }
    for (size_t w = 0; w < t->n_wabas; w++) {
        json_t *seen = json_object();
        if (!seen) {
            err = ATIVA_ERR_NO_MEMORY;
            break;
        }
        size_t count = pages[w].count;
        take_page(t, t->wabas[w], &pages[w], seen, "file");
        size_t deleted = mark_missing(t, t->wabas[w], seen, "file");
        json_decref(seen);
        ativa_log_info("templates loaded",
                       "waba=%s source=file templates=%zu approved=%zu "
                       "deleted=%zu",
                       t->wabas[w], count,
                       ativa_template_catalog_list_approved(t->cat, t->wabas[w], NULL, 0), deleted);
    }
    clear_pages(pages, t->n_wabas);
    free(pages);
    t->last_sync_ms = ativa_server_now_ms(t->srv);
    t->last_ok = err == ATIVA_OK;
    t->last_error = err;
    if (t->last_ok) {
        t->last_success_ms = t->last_sync_ms;
        t->syncs_ok++;
    } else {
        t->syncs_failed++;
    }
    return err;
}

/* ---- Graph API sync ---- */

static void sync_timer(lws_sorted_usec_list_t *sul);
static void request_page(struct ativa_templates *t, const char *path);

static void schedule_sync(struct ativa_templates *t, unsigned seconds)
{
    lws_usec_t us = seconds ? (lws_usec_t)seconds * LWS_US_PER_SEC : 1;
    lws_sul_schedule(t->srv->context, 0, &t->sul, sync_timer, us);
}

static void sync_end(struct ativa_templates *t)
{
    t->syncing = false;
    json_decref(t->seen);
    t->seen = NULL;
    t->last_sync_ms = ativa_server_now_ms(t->srv);
    t->last_ok = !t->failed;
    t->last_error = t->failed ? t->first_error : ATIVA_OK;
    unsigned interval = t->srv->cfg->templates_sync_interval_s;
    unsigned next = interval;
    if (t->failed) {
        t->syncs_failed++;
        t->consecutive_failures++;
        unsigned delay = ATIVA_TEMPLATES_RETRY_FIRST_S;
        for (unsigned i = 1; i < t->consecutive_failures && delay < interval; i++)
            delay *= 2;
        next = delay < interval ? delay : interval;
        ativa_log_warn("template sync failed: the offer stays as it was",
                       "error=%s retry_in_s=%u failures=%u", ativa_err_code(t->first_error), next,
                       t->consecutive_failures);
    } else {
        t->syncs_ok++;
        t->consecutive_failures = 0;
        t->last_success_ms = t->last_sync_ms;
    }
    if (!t->stopping)
        schedule_sync(t, next);
}

static void waba_begin(struct ativa_templates *t);

/* The current WABA is finished, completely or not: on to the next one. */
static void waba_end(struct ativa_templates *t, ativa_err err, const char *detail)
{
    const char *waba = t->wabas[t->waba_i];
    if (err) {
        if (!t->failed)
            t->first_error = err;
        t->failed = true;
        ativa_log_warn("template sync of a WABA failed", "waba=%s error=%s reason=%s pages=%u",
                       waba, ativa_err_code(err), detail ? detail : "", t->pages);
    } else {
        size_t deleted = mark_missing(t, waba, t->seen, "graph");
        ativa_log_info("templates synced",
                       "waba=%s templates=%zu approved=%zu pages=%u deleted=%zu", waba, t->received,
                       ativa_template_catalog_list_approved(t->cat, waba, NULL, 0), t->pages,
                       deleted);
    }
    t->waba_i++;
    if (t->waba_i < t->n_wabas)
        waba_begin(t);
    else
        sync_end(t);
}

static void waba_begin(struct ativa_templates *t)
{
    const struct ativa_config *cfg = t->srv->cfg;
    json_decref(t->seen);
    t->seen = json_object();
    t->pages = 0;
    t->received = 0;
    if (!t->seen) {
        waba_end(t, ATIVA_ERR_NO_MEMORY, "out of memory");
        return;
    }
    char path[ATIVA_TEMPLATES_PATH_MAX];
    ativa_err err = ativa_templates_first_path(cfg->graph_version, t->wabas[t->waba_i],
                                               cfg->templates_page_size, path, sizeof path);
    if (err) {
        waba_end(t, err, "cannot build the list's path");
        return;
    }
    request_page(t, path);
}

static void on_page(void *user, const graph_response *r)
{
    struct ativa_templates *t = user;
    if (t->stopping)
        return; /* graph_client_destroy hands back what was under way */
    const struct ativa_config *cfg = t->srv->cfg;
    const char *waba = t->wabas[t->waba_i];
    char detail[ATIVA_META_FIELD_MAX + 64];
    if (r->outcome != GRAPH_ANSWERED) {
        waba_end(t, ATIVA_ERR_GRAPH_UNREACHABLE, r->detail);
        return;
    }
    if (r->http_status != 200) {
        ativa_meta_graph_error ge;
        if (ativa_meta_graph_error_parse(r->body, r->body_len, &ge) == ATIVA_OK)
            snprintf(detail, sizeof detail, "HTTP %d, Graph API error %lld: %.400s", r->http_status,
                     ge.code, ge.message);
        else
            snprintf(detail, sizeof detail, "HTTP %d without a Graph API error", r->http_status);
        waba_end(t, ATIVA_ERR_GRAPH_REFUSED, detail);
        return;
    }
    ativa_template_page page;
    char why[ATIVA_TEMPLATE_ERRBUF];
    ativa_err err = ativa_template_page_parse(r->body, r->body_len, &page, why, sizeof why);
    if (err) {
        waba_end(t, ATIVA_ERR_META_RESPONSE_MALFORMED, why);
        return;
    }
    t->received += page.count;
    take_page(t, waba, &page, t->seen, "graph");
    char path[ATIVA_TEMPLATES_PATH_MAX];
    err = ativa_templates_next_path(cfg->graph_base_url, cfg->graph_version, waba,
                                    cfg->templates_page_size, &page, path, sizeof path);
    ativa_template_page_clear(&page);
    if (err) {
        waba_end(t, err, "paging.next is neither a cursor nor an address of this list");
        return;
    }
    if (!path[0]) {
        waba_end(t, ATIVA_OK, NULL);
        return;
    }
    if (t->pages >= ATIVA_TEMPLATES_MAX_PAGES) {
        /* Incomplete: nothing is marked DELETED on a partial list. */
        waba_end(t, ATIVA_ERR_TOO_LARGE, "more pages than ATIVA_TEMPLATES_MAX_PAGES");
        return;
    }
    request_page(t, path);
}

static void request_page(struct ativa_templates *t, const char *path)
{
    t->pages++;
    ativa_log_debug("template page requested", "waba=%s page=%u path=%s", t->wabas[t->waba_i],
                    t->pages, path);
    if (graph_client_request(t->client, "GET", path, NULL, 0, on_page, t) != 0)
        waba_end(t, ATIVA_ERR_NO_MEMORY, "the request could not be queued");
}

static void sync_begin(struct ativa_templates *t)
{
    if (t->syncing || t->stopping || !t->client)
        return;
    if (t->n_wabas == 0) {
        schedule_sync(t, t->srv->cfg->templates_sync_interval_s);
        return;
    }
    t->syncing = true;
    t->failed = false;
    t->first_error = ATIVA_OK;
    t->waba_i = 0;
    waba_begin(t);
}

static void sync_timer(lws_sorted_usec_list_t *sul)
{
    struct ativa_templates *t = lws_container_of(sul, struct ativa_templates, sul);
    sync_begin(t);
}

/* ---- the public functions ---- */

static ativa_err collect_wabas(struct ativa_templates *t, const struct ativa_config *cfg)
{
    t->wabas = calloc(cfg->n_lines ? cfg->n_lines : 1, sizeof *t->wabas);
    if (!t->wabas)
        return ATIVA_ERR_NO_MEMORY;
    for (size_t i = 0; i < cfg->n_lines; i++) {
        if (waba_configured(t, cfg->lines[i].waba_id))
            continue;
        if (!(t->wabas[t->n_wabas] = strdup(cfg->lines[i].waba_id)))
            return ATIVA_ERR_NO_MEMORY;
        t->n_wabas++;
    }
    return ATIVA_OK;
}

static void templates_free(struct ativa_templates *t)
{
    ativa_template_catalog_free(t->cat);
    json_decref(t->known);
    json_decref(t->seen);
    for (size_t i = 0; i < t->n_wabas; i++)
        free(t->wabas[i]);
    free(t->wabas);
    free(t);
}

ativa_err ativa_templates_start(struct ativa_server *srv)
{
    const struct ativa_config *cfg = srv->cfg;
    ativa_err err = ATIVA_ERR_NO_MEMORY;
    struct ativa_templates *t = calloc(1, sizeof *t);
    if (!t)
        return err;
    t->srv = srv;
    t->cat = ativa_template_catalog_new();
    t->known = json_object();
    if (!t->cat || !t->known || (err = collect_wabas(t, cfg)))
        goto fail;
    srv->templates = t;
    if (srv->store)
        load_stored(t);
    if (cfg->templates_source == ATIVA_TEMPLATES_FILE) {
        if ((err = load_file(t)))
            goto fail;
        return ATIVA_OK;
    }
    char why[256];
    t->client = graph_client_new(srv->context, srv->vhost, cfg->graph_base_url, cfg->graph_token,
                                 (int)cfg->graph_timeout_ms, why, sizeof why);
    if (!t->client) {
        ativa_log_error("cannot make the Graph API client for templates", "reason=%s", why);
        err = ATIVA_ERR_INTERNAL;
        goto fail;
    }
    /* From the loop, once it runs. */
    schedule_sync(t, 0);
    return ATIVA_OK;

fail:
    srv->templates = NULL;
    graph_client_destroy(t->client);
    templates_free(t);
    return err;
}

void ativa_templates_stop(struct ativa_server *srv)
{
    struct ativa_templates *t = srv->templates;
    if (!t)
        return;
    t->stopping = true;
    lws_sul_cancel(&t->sul);
    graph_client_destroy(t->client);
    t->client = NULL;
    srv->templates = NULL;
    templates_free(t);
}

ativa_err ativa_templates_apply_status(struct ativa_server *srv,
                                       const ativa_meta_template_update *u)
{
    return ativa_templates_apply_status_then(srv, u, NULL, NULL);
}

ativa_err ativa_templates_apply_status_then(struct ativa_server *srv,
                                            const ativa_meta_template_update *u,
                                            ativa_templates_done_fn then, void *then_arg)
{
    struct ativa_templates *t = srv ? srv->templates : NULL;
    if (!t || !u || !u->waba_id)
        return ATIVA_ERR_INVALID_ARGUMENT;
    if (!waba_configured(t, u->waba_id)) {
        ativa_log_warn("template status for a WABA of no line ignored", "waba=%s", u->waba_id);
        return ATIVA_ERR_NOT_FOUND;
    }
    if (!u->event || !*u->event || strlen(u->event) > STATUS_MAX ||
        (!u->template_id && (!u->name || !u->language)))
        return ATIVA_ERR_WEBHOOK_MALFORMED;
    const ativa_template *tpl =
        u->template_id ? ativa_template_catalog_find_id(t->cat, u->waba_id, u->template_id) : NULL;
    if (!tpl && u->name && u->language)
        tpl = ativa_template_catalog_find(t->cat, u->waba_id, u->name, u->language);
    if (!tpl) {
        ativa_log_warn("template status for an unknown template: fetching the list again",
                       "waba=%s id=%s name=%s language=%s event=%s", u->waba_id,
                       u->template_id ? u->template_id : "", u->name ? u->name : "",
                       u->language ? u->language : "", u->event);
        if (t->client && !t->syncing && !t->stopping)
            schedule_sync(t, 0);
        return ATIVA_ERR_TEMPLATE_NOT_FOUND;
    }
    char status[STATUS_MAX + 1];
    size_t i = 0;
    for (; u->event[i]; i++)
        status[i] = (char)toupper((unsigned char)u->event[i]);
    status[i] = '\0';
    /* Events that are not statuses: FLAGGED warns of a coming pause (the status stays, and
     * writing it again gives the caller its commit); REINSTATED lifts a pause. */
    if (strcmp(status, "FLAGGED") == 0) {
        ativa_log_info("template flagged", "waba=%s name=%s language=%s", u->waba_id, tpl->name,
                       tpl->language);
        snprintf(status, sizeof status, "%s",
                 tpl->status_raw ? tpl->status_raw : ativa_template_status_name(tpl->status));
    } else if (strcmp(status, "REINSTATED") == 0) {
        snprintf(status, sizeof status, "APPROVED");
    }
    return set_status(t, u->waba_id, tpl, status, "webhook", then, then_arg);
}

ativa_err ativa_templates_offer_new(struct ativa_server *srv, const char *line, json_t **out_new)
{
    if (!out_new)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (!srv || !srv->templates || !line)
        return ATIVA_ERR_INVALID_ARGUMENT;
    const char *waba = line_waba(srv, line);
    if (!waba)
        return ATIVA_ERR_NOT_FOUND;
    *out_new = ativa_templates_offer_from_catalog_new(srv->templates->cat, waba);
    return *out_new ? ATIVA_OK : ATIVA_ERR_NO_MEMORY;
}

const ativa_template *ativa_templates_find(struct ativa_server *srv, const char *line,
                                           const char *name, const char *language)
{
    if (!srv || !srv->templates || !name || !language)
        return NULL;
    const char *waba = line_waba(srv, line);
    return waba ? ativa_template_catalog_find(srv->templates->cat, waba, name, language) : NULL;
}

const ativa_templates_change *ativa_templates_last_change(const struct ativa_server *srv)
{
    return srv && srv->templates ? &srv->templates->last : NULL;
}

void ativa_templates_stats_get(struct ativa_server *srv, ativa_templates_stats *out)
{
    memset(out, 0, sizeof *out);
    struct ativa_templates *t = srv ? srv->templates : NULL;
    if (!t)
        return;
    const char *key;
    json_t *v, *tmp;
    json_object_foreach_safe(t->known, tmp, key, v)
    {
        const ativa_template *tpl = ativa_template_catalog_find(
            t->cat, json_string_value(json_array_get(v, 0)),
            json_string_value(json_array_get(v, 1)), json_string_value(json_array_get(v, 2)));
        if (!tpl) {
            json_object_del(t->known, key); /* dropped from the catalog as a renamed copy */
            continue;
        }
        out->by_status[tpl->status]++;
        out->total++;
    }
    out->syncing = t->syncing;
    out->last_sync_ms = t->last_sync_ms;
    out->last_success_ms = t->last_success_ms;
    out->last_ok = t->last_ok;
    out->last_error = t->last_error;
    out->syncs_ok = t->syncs_ok;
    out->syncs_failed = t->syncs_failed;
    out->generation = t->last.generation;
}
