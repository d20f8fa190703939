/*
 * gateway/templates.h — the message templates agents may send: the offer of each line.
 *
 * The templates of every WABA of the configured lines live in one in-memory catalog (template.h),
 * which is what agents are offered and what sends are built from, and in the store
 * (PUT_TEMPLATE), so that after a restart the offer is back at once, before Meta answers.
 *
 * Where they come from (templates.source):
 *   "graph"  GET /{graph.version}/{waba_id}/message_templates?limit={templates.page_size}, page
 *            after page (paging.cursors.after while paging.next is present, at most
 *            ATIVA_TEMPLATES_MAX_PAGES pages), for each WABA, at start-up and every
 *            templates.sync_interval_s. A failed sync keeps the offer as it was and is tried again
 *            sooner (ATIVA_TEMPLATES_RETRY_FIRST_S, doubling, at most the interval). After a
 *            complete sync of a WABA, a stored template Meta no longer lists is marked DELETED.
 *   "file"   templates.file, read once at start-up (see ativa_templates_file_parse); the file is
 *            the whole list, so stored templates it does not hold are marked DELETED too.
 * Between syncs, message_template_status_update webhooks change a template's status at once
 * (ativa_templates_apply_status).
 *
 * Only APPROVED templates are offered. Every change of the offer (a template starts or stops
 * being offered, or an offered one changes its definition) bumps a generation number and writes
 * one log line:
 *     msg="template offer changed" waba=2001 name=boas_vindas language=pt_BR status=PAUSED
 *     offered=false source=webhook
 *
 * Everything here runs on the loop thread.
 */
#ifndef ATIVA_GATEWAY_TEMPLATES_H
#define ATIVA_GATEWAY_TEMPLATES_H

#include "server.h"

#include <ativa/meta.h>
#include <ativa/template.h>

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Most pages fetched per WABA in one sync; a longer list makes the sync incomplete. */
#define ATIVA_TEMPLATES_MAX_PAGES 50
/** First retry delay after a failed sync, in seconds (doubles, at most sync_interval_s). */
#define ATIVA_TEMPLATES_RETRY_FIRST_S 5
/** Largest templates.file read. */
#define ATIVA_TEMPLATES_FILE_MAX ATIVA_TEMPLATE_JSON_MAX
/** Longest cursor followed. */
#define ATIVA_TEMPLATES_CURSOR_MAX 512
/** Room for a Graph API path built here. */
#define ATIVA_TEMPLATES_PATH_MAX 2048

/* ---- the running offer (srv->templates) ---- */

/**
 * Create srv->templates: load the stored templates of every configured WABA into the catalog,
 * then read templates.file (source "file") or arm the first Graph API sync (source "graph").
 * Call after the store and the bridge are attached, before the loop runs.
 * @return ATIVA_OK; ATIVA_ERR_NO_MEMORY; ATIVA_ERR_NOT_FOUND (templates.file unreadable);
 *         ATIVA_ERR_TOO_LARGE, ATIVA_ERR_BAD_JSON, ATIVA_ERR_TEMPLATE_MALFORMED (templates.file
 *         is not a template list: see ativa_templates_file_parse); ATIVA_ERR_INTERNAL (no Graph
 *         API client). Each failure is logged with what to do about it.
 */
ativa_err ativa_templates_start(struct ativa_server *srv);

/** Cancel the sync timer and any request under way, free srv->templates. Safe when not started.
 *  Writes already submitted complete on their own. */
void ativa_templates_stop(struct ativa_server *srv);

/**
 * Apply a message_template_status_update to the catalog at once (the offer changes before the
 * store has committed) and submit TEMPLATE_STATUS to the store. The template is found by id, or
 * by name and language. FLAGGED changes no status; REINSTATED means APPROVED. Writes are applied
 * in the order they are submitted; to answer only after the commit, use
 * ativa_templates_apply_status_then.
 * @return ATIVA_OK (also for FLAGGED); ATIVA_ERR_INVALID_ARGUMENT (no templates, no update, no
 *         waba_id); ATIVA_ERR_NOT_FOUND (the WABA is no line's); ATIVA_ERR_WEBHOOK_MALFORMED (no
 *         event or one over 32 bytes, neither an id nor name and language);
 *         ATIVA_ERR_TEMPLATE_NOT_FOUND (unknown template: a sync is scheduled to learn it);
 *         ATIVA_ERR_NO_MEMORY; ATIVA_ERR_STORE_CLOSED (the write could not be queued; the catalog
 *         has changed all the same).
 */
ativa_err ativa_templates_apply_status(struct ativa_server *srv,
                                       const ativa_meta_template_update *u);

/** Runs on the loop once a write of ativa_templates_apply_status_then is committed (result
 *  ATIVA_OK, also when the store already held that status) or has failed (the store's error). */
typedef void (*ativa_templates_done_fn)(struct ativa_server *srv, void *arg, ativa_err result);

/**
 * ativa_templates_apply_status, and then tell when the store has committed it, so that a webhook
 * is acknowledged only then. When this returns ATIVA_OK, `then` (if not NULL) runs exactly once,
 * later, on the loop; otherwise it never runs. A FLAGGED event writes the unchanged status, so
 * it too is answered after a commit.
 * @return as ativa_templates_apply_status.
 */
ativa_err ativa_templates_apply_status_then(struct ativa_server *srv,
                                            const ativa_meta_template_update *u,
                                            ativa_templates_done_fn then, void *then_arg);

/**
 * The offer of a line: its WABA's APPROVED templates as the protocol's Template objects
 * (docs/protocol.md), ordered by name then language.
 * @param line  a configured phone_number_id
 * @param[out] out_new  a new array (caller json_decref); NULL on error
 * @return ATIVA_OK; ATIVA_ERR_INVALID_ARGUMENT; ATIVA_ERR_NOT_FOUND (no such line);
 *         ATIVA_ERR_NO_MEMORY
 */
ativa_err ativa_templates_offer_new(struct ativa_server *srv, const char *line, json_t **out_new);

/**
 * The catalog's template (any status: check it with ativa_template_sendable) of a line's WABA.
 * @return borrowed, valid until the catalog next changes (do not keep it across loop turns);
 *         NULL when the line or the template is unknown.
 */
const ativa_template *ativa_templates_find(struct ativa_server *srv, const char *line,
                                           const char *name, const char *language);

/** The last change of the offer. generation is 0 while nothing has changed since start-up. */
typedef struct ativa_templates_change {
    uint64_t generation; /**< bumped by every change of the offer */
    char waba_id[ATIVA_TEMPLATE_ID_MAX + 1];
    char name[ATIVA_TEMPLATE_NAME_MAX * 4 + 1];
    char language[ATIVA_TEMPLATE_LANGUAGE_MAX + 1];
    ativa_template_status status;
    bool offered;
} ativa_templates_change;

/** @return the last change, or NULL when srv has no templates. Borrowed. */
const ativa_templates_change *ativa_templates_last_change(const struct ativa_server *srv);

/** What /metrics shows. */
typedef struct ativa_templates_stats {
    size_t by_status[ATIVA_TEMPLATE_STATUS_OTHER + 1]; /**< catalog templates per status */
    size_t total;
    bool syncing;            /**< a Graph API sync is under way */
    int64_t last_sync_ms;    /**< end of the last sync or file load (0: none yet) */
    int64_t last_success_ms; /**< end of the last one that succeeded (0: none yet) */
    bool last_ok;            /**< the last one succeeded */
    ativa_err last_error;    /**< its first error (ATIVA_OK when it succeeded) */
    uint64_t syncs_ok, syncs_failed;
    uint64_t generation;
} ativa_templates_stats;

/** Fill *out (zeroed when srv has no templates). */
void ativa_templates_stats_get(struct ativa_server *srv, ativa_templates_stats *out);

/* ---- pure parts (no server, no I/O) ---- */

/** One template as the protocol's Template object (see below). NULL when out of memory. */
json_t *ativa_templates_offer_item_new(const ativa_template *tpl);

/**
 * The Template objects of a WABA's APPROVED templates in a catalog:
 * {name, language, category, text (rendered without values: "{{1}}" stays), slots, sendable,
 * unsupported_reason (pt-BR, or null)}.
 * @return a new array (caller json_decref); NULL when out of memory or on NULL arguments.
 */
json_t *ativa_templates_offer_from_catalog_new(const ativa_template_catalog *cat,
                                               const char *waba_id);

/**
 * Read a templates.file. Two forms:
 *   {"data":[...]}                                   Meta's list page: the templates of every
 *                                                    configured WABA
 *   {"wabas":{"<waba_id>":{"data":[...]}, ...}}       per WABA; a configured WABA left out has no
 *                                                    templates
 * Each list is read exactly as a Graph API page (ativa_template_page_parse): a malformed template
 * is skipped and counted, the others stay.
 * @param wabas    the configured WABAs (n_wabas of them)
 * @param[out] pages  n_wabas pages, pages[i] for wabas[i]; each is zeroed first and filled on
 *                    success (free each with ativa_template_page_clear); all zeroed on error.
 * @param[out] errbuf  may be NULL; on error an English message naming the problem
 * @return ATIVA_OK;
 *         ATIVA_ERR_TOO_LARGE (over ATIVA_TEMPLATES_FILE_MAX bytes, or a list over
 *         ATIVA_TEMPLATE_PAGE_MAX templates);
 *         ATIVA_ERR_BAD_JSON (not JSON, a key repeated in one object);
 *         ATIVA_ERR_TEMPLATE_MALFORMED (neither form, both forms, "wabas" naming a WABA of no
 *         line or not holding {"data":[...]}, data[] holding a non-object);
 *         ATIVA_ERR_INVALID_ARGUMENT; ATIVA_ERR_NO_MEMORY.
 */
ativa_err ativa_templates_file_parse(const char *text, size_t len, const char *const *wabas,
                                     size_t n_wabas, ativa_template_page *pages, char *errbuf,
                                     size_t errlen);

/**
 * The path and query (below graph.base_url) of the first page:
 * "/{version}/{waba_id}/message_templates?limit={limit}".
 * @return ATIVA_OK; ATIVA_ERR_INVALID_ARGUMENT (NULL, empty, or a version or WABA with
 *         characters other than letters, digits, '.' and '_'); ATIVA_ERR_TOO_LARGE.
 */
ativa_err ativa_templates_first_path(const char *version, const char *waba_id, unsigned limit,
                                     char *out, size_t outlen);

/**
 * The path and query of the page after `page`, or "" when it is the last one (no paging.next).
 * The cursor paging.cursors.after is preferred ("&after=" added to the first page's path, URL
 * encoded). Without it, paging.next is followed only when it is an address below base_url of
 * this same list ("{base_url}/{version}/{waba_id}/message_templates?..."): a host named in a
 * body is never contacted.
 * @return ATIVA_OK; ATIVA_ERR_META_RESPONSE_MALFORMED (paging.next present but neither a usable
 *         cursor nor an address of this list); ATIVA_ERR_TOO_LARGE (cursor over
 *         ATIVA_TEMPLATES_CURSOR_MAX bytes or path over outlen); ATIVA_ERR_INVALID_ARGUMENT.
 */
ativa_err ativa_templates_next_path(const char *base_url, const char *version, const char *waba_id,
                                    unsigned limit, const ativa_template_page *page, char *out,
                                    size_t outlen);

#endif
