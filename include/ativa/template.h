/*
 * ativa/template.h — WhatsApp message templates: Meta's definitions, their parameter slots, the
 * text a customer will see, Meta's parameter rules, the `components` of a send, and an in-memory
 * catalog of the templates of one or more WhatsApp Business Accounts (WABAs).
 *
 * Definitions come in Meta's own JSON (GET /{WABA_ID}/message_templates): a page
 * {"data":[...],"paging":{...}} or one template object. The catalog persists them in that same
 * format (ativa_template_to_json_new), so what Meta says and what the store reloads never differ.
 *
 * Slots. Every distinct variable of a template is one slot, in this order: the header's variable,
 * the body's variables in order of first appearance, then each URL button's variable in button
 * order. A slot is addressed by its key:
 *     "header.<name>"    e.g. "header.1"
 *     "body.<name>"      e.g. "body.2", "body.first_name"
 *     "button.<index>"   the dynamic suffix of the URL button at that 0-based index
 * Keys are needed because positional numbering restarts in each component ({{1}} of the header
 * and {{1}} of the body are different values). Values are always given as a JSON object
 * key -> string, exactly what the console sends.
 *
 * Sendable. Only APPROVED templates are offered or sent. Templates whose send needs something the
 * console cannot provide are also refused, with a reason: a media header (IMAGE, VIDEO, DOCUMENT,
 * LOCATION needs a media parameter), a button type other than QUICK_REPLY/URL/PHONE_NUMBER (for
 * example COPY_CODE, OTP or FLOW need their own parameters) and component types other than
 * HEADER/BODY/FOOTER/BUTTONS (for example CAROUSEL). They are still parsed, stored and listed.
 *
 * Lengths are counted in characters (Unicode code points of the UTF-8 text), as Meta counts them.
 * Nothing here is thread-safe: a catalog belongs to one thread (the gateway's loop).
 */
#ifndef ATIVA_TEMPLATE_H
#define ATIVA_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "ativa/error.h"

/** Template name, in characters (Meta's limit). */
#define ATIVA_TEMPLATE_NAME_MAX 512
/** Language code such as "pt_BR", "en", "zh_HANT", in bytes. */
#define ATIVA_TEMPLATE_LANGUAGE_MAX 32
/** Template id (Meta's are ~16 digits), in bytes. */
#define ATIVA_TEMPLATE_ID_MAX 64
/** Body text of a definition, in characters. */
#define ATIVA_TEMPLATE_BODY_MAX 1024
/** Header text of a definition, in characters. */
#define ATIVA_TEMPLATE_HEADER_MAX 60
/** Footer text, in characters. */
#define ATIVA_TEMPLATE_FOOTER_MAX 60
/** Buttons per template. */
#define ATIVA_TEMPLATE_BUTTONS_MAX 10
/** A button URL (with its variable), in characters. */
#define ATIVA_TEMPLATE_URL_MAX 2000
/** Distinct variables per template; the body's 1024 characters allow at most ~200. */
#define ATIVA_TEMPLATE_SLOTS_MAX 256

/** Longest value of a header variable, in characters. */
#define ATIVA_TEMPLATE_HEADER_PARAM_MAX 60
/** Longest value of a body variable when the template has other components, in characters. */
#define ATIVA_TEMPLATE_BODY_PARAM_MAX 1024
/** Longest value of a body variable when BODY is the only component, in characters. */
#define ATIVA_TEMPLATE_BODY_ONLY_PARAM_MAX 32768
/**
 * Longest body after substitution, in characters (over it Meta answers 132005). It applies even
 * when BODY is the only component, so it is the bound that decides there in practice: a send Meta
 * would refuse is refused here first.
 */
#define ATIVA_TEMPLATE_RENDERED_BODY_MAX 1024
/*
 * The URL button suffix has no published limit of its own; the whole URL is at most 2000
 * characters, so the suffix may take what the fixed part of the URL leaves of those 2000.
 */

/** Room for a parse error message (messages longer than the buffer are truncated). */
#define ATIVA_TEMPLATE_ERRBUF 256
/** Largest JSON text accepted by ativa_template_parse_new / ativa_template_page_parse. */
#define ATIVA_TEMPLATE_JSON_MAX (4u * 1024 * 1024)
/** Most templates in one page (Meta pages hold at most a few hundred). */
#define ATIVA_TEMPLATE_PAGE_MAX 1000

typedef enum ativa_template_status {
    ATIVA_TEMPLATE_APPROVED = 0,
    ATIVA_TEMPLATE_PENDING,
    ATIVA_TEMPLATE_REJECTED,
    ATIVA_TEMPLATE_PAUSED,
    ATIVA_TEMPLATE_DISABLED,
    ATIVA_TEMPLATE_IN_APPEAL,
    ATIVA_TEMPLATE_PENDING_DELETION,
    ATIVA_TEMPLATE_ARCHIVED,
    ATIVA_TEMPLATE_LIMIT_EXCEEDED,
    ATIVA_TEMPLATE_DELETED,
    ATIVA_TEMPLATE_STATUS_OTHER, /**< any other value; the raw string is kept in status_raw */
} ativa_template_status;

typedef enum ativa_template_category {
    ATIVA_TEMPLATE_MARKETING = 0,
    ATIVA_TEMPLATE_UTILITY,
    ATIVA_TEMPLATE_AUTHENTICATION,
    ATIVA_TEMPLATE_CATEGORY_OTHER, /**< other or absent; the raw string is kept in category_raw */
} ativa_template_category;

typedef enum ativa_template_param_format {
    ATIVA_TEMPLATE_POSITIONAL = 0, /**< {{1}}, {{2}}, ... (Meta's default) */
    ATIVA_TEMPLATE_NAMED,          /**< {{first_name}} */
} ativa_template_param_format;

typedef enum ativa_template_header_format {
    ATIVA_TEMPLATE_HEADER_NONE = 0, /**< no HEADER component */
    ATIVA_TEMPLATE_HEADER_TEXT,
    ATIVA_TEMPLATE_HEADER_IMAGE,
    ATIVA_TEMPLATE_HEADER_VIDEO,
    ATIVA_TEMPLATE_HEADER_DOCUMENT,
    ATIVA_TEMPLATE_HEADER_LOCATION,
    ATIVA_TEMPLATE_HEADER_OTHER, /**< the raw format is kept in header_format_raw */
} ativa_template_header_format;

typedef enum ativa_template_button_type {
    ATIVA_TEMPLATE_BUTTON_QUICK_REPLY = 0,
    ATIVA_TEMPLATE_BUTTON_URL,
    ATIVA_TEMPLATE_BUTTON_PHONE_NUMBER,
    ATIVA_TEMPLATE_BUTTON_OTHER, /**< e.g. COPY_CODE, OTP, FLOW; raw type kept in type_raw */
} ativa_template_button_type;

typedef enum ativa_template_component {
    ATIVA_TEMPLATE_COMPONENT_HEADER = 0,
    ATIVA_TEMPLATE_COMPONENT_BODY,
    ATIVA_TEMPLATE_COMPONENT_BUTTON,
} ativa_template_component;

/** One variable of a template. All strings belong to the template. */
typedef struct ativa_template_slot {
    ativa_template_component component;
    int button_index; /**< 0-based index of the button, -1 for header and body */
    char *name;       /**< "1", "2", ... or "first_name"; a URL button's is "1" (or its name) */
    char *key;        /**< "header.1", "body.first_name", "button.0" (see above) */
    char *example;    /**< the definition's example value, or NULL */
    size_t max_chars; /**< longest accepted value, in characters */
} ativa_template_slot;

typedef struct ativa_template_button {
    ativa_template_button_type type;
    char *type_raw;     /**< type as Meta spelled it, e.g. "QUICK_REPLY", "COPY_CODE" */
    char *text;         /**< label, or NULL */
    char *url;          /**< URL buttons: the URL with its optional trailing variable, else NULL */
    char *phone_number; /**< PHONE_NUMBER buttons, else NULL */
    char *url_example;  /**< URL buttons: the definition's example (a full URL), or NULL */
    int slot;           /**< index in slots of the URL variable, -1 when there is none */
} ativa_template_button;

/**
 * A parsed template. Read-only for users: create it with ativa_template_parse_new or
 * ativa_template_from_json_new, release it with ativa_template_free. Every string is owned by the
 * template; optional ones are NULL when absent.
 */
typedef struct ativa_template {
    char *id;       /**< Meta's id, or NULL when the source had none */
    char *name;     /**< never NULL */
    char *language; /**< never NULL, e.g. "pt_BR" */
    ativa_template_status status;
    char *status_raw; /**< as Meta spelled it, or NULL when absent (then status is OTHER) */
    ativa_template_category category;
    char *category_raw; /**< as Meta spelled it, or NULL */
    char *sub_category; /**< kept for the round trip, or NULL */
    ativa_template_param_format parameter_format;
    bool parameter_format_given; /**< the source had parameter_format (kept for the round trip) */
    ativa_template_header_format header_format;
    char *header_format_raw; /**< as Meta spelled it, or NULL without a header */
    char *header_text;       /**< TEXT headers, else NULL */
    char *header_handle;     /**< media headers: example.header_handle[0], or NULL */
    char *body_text;         /**< never NULL */
    char *footer_text;       /**< or NULL */
    size_t n_buttons;
    ativa_template_button *buttons;
    bool has_buttons_component; /**< a BUTTONS component was present (even empty) */
    size_t n_slots;
    ativa_template_slot *slots;
    /**
     * Components of other types (e.g. CAROUSEL, LIMITED_TIME_OFFER), kept as Meta sent them so
     * they survive the round trip; NULL when there are none.
     */
    json_t *other_components;
    /** Why the console cannot send it even when approved (English, for logs), or NULL. */
    const char *unsupported;
} ativa_template;

/**
 * Parse one template object of Meta's format.
 * Unknown fields are ignored. Required: name (string, 1..512 characters), language (string),
 * components with exactly one BODY (text 1..1024 characters). Known fields of the wrong type,
 * duplicated HEADER/BODY/FOOTER/BUTTONS, more than 10 buttons, over-long texts, malformed
 * placeholders ("{{ 1}}", "{{}}", unclosed "{{"), positional and named placeholders mixed or not
 * matching parameter_format, positional numbers not 1..N in order of first appearance in a
 * component, named ones not matching [a-z_][a-z0-9_]*, more than one header variable, a variable
 * in the footer or a URL variable anywhere but at the end of the URL are all rejected.
 * Malformed examples are ignored (they only feed hints to the console).
 * @param[in]  obj     a JSON object.
 * @param[out] out     the new template (caller frees with ativa_template_free); untouched on error.
 * @param[out] errbuf  may be NULL; on error receives an English message naming what is wrong.
 * @return ATIVA_OK
 * @return ATIVA_ERR_TEMPLATE_MALFORMED  the definition breaks a rule above (see errbuf)
 * @return ATIVA_ERR_INVALID_ARGUMENT    obj or out is NULL
 * @return ATIVA_ERR_NO_MEMORY
 */
ativa_err ativa_template_from_json_new(const json_t *obj, ativa_template **out, char *errbuf,
                                       size_t errlen);

/**
 * Parse one template from JSON text (at most ATIVA_TEMPLATE_JSON_MAX bytes).
 * @return as ativa_template_from_json_new, plus ATIVA_ERR_BAD_JSON (not JSON, not an object, or a
 *         key repeated in one object) and ATIVA_ERR_TOO_LARGE.
 */
ativa_err ativa_template_parse_new(const char *text, size_t len, ativa_template **out, char *errbuf,
                                   size_t errlen);

/** Release a template and everything it owns. NULL is allowed. */
void ativa_template_free(ativa_template *tpl);

/** A deep copy (caller frees), or NULL when out of memory or tpl is NULL. */
ativa_template *ativa_template_copy_new(const ativa_template *tpl);

/**
 * The template in Meta's JSON format (id, name, language, status, category, sub_category,
 * parameter_format, components with their examples), such that parsing it gives back an equal
 * template. Caller owns the result (json_decref); NULL when out of memory.
 */
json_t *ativa_template_to_json_new(const ativa_template *tpl);

/** One page of GET /message_templates. */
typedef struct ativa_template_page {
    ativa_template **items; /**< count templates, owned by the page */
    size_t count;
    char *after; /**< paging.cursors.after, or NULL */
    char *next;  /**< paging.next (URL of the next page), or NULL on the last page */
    /**
     * Templates of data[] that were skipped because they are malformed: one bad definition must
     * not hide the others from the agents. first_rejection says which and why.
     */
    size_t rejected;
    char first_rejection[ATIVA_TEMPLATE_ERRBUF];
} ativa_template_page;

/**
 * Parse a page {"data":[...],"paging":{"cursors":{"after":...},"next":...}}.
 * paging is optional (absent on a single page). Malformed templates are skipped and counted.
 * @param[out] page  filled on success (free with ativa_template_page_clear); zeroed on error.
 * @return ATIVA_OK
 * @return ATIVA_ERR_BAD_JSON            not JSON / not an object / a key repeated in one object
 * @return ATIVA_ERR_TOO_LARGE           over ATIVA_TEMPLATE_JSON_MAX bytes or
 * ATIVA_TEMPLATE_PAGE_MAX templates
 * @return ATIVA_ERR_TEMPLATE_MALFORMED  data is missing or not an array, data[] has a non-object,
 *                                       or paging / cursors / after / next have the wrong type
 * @return ATIVA_ERR_INVALID_ARGUMENT, ATIVA_ERR_NO_MEMORY
 */
ativa_err ativa_template_page_parse(const char *text, size_t len, ativa_template_page *page,
                                    char *errbuf, size_t errlen);

/** Free what a page owns and zero it. NULL is allowed. */
void ativa_template_page_clear(ativa_template_page *page);

/* ---- enums <-> Meta's strings ---- */

/** "APPROVED", "PENDING", ...; "OTHER" for ATIVA_TEMPLATE_STATUS_OTHER. Never NULL. */
const char *ativa_template_status_name(ativa_template_status status);
/** Case-insensitive; unknown strings (and NULL) give ATIVA_TEMPLATE_STATUS_OTHER. */
ativa_template_status ativa_template_status_parse(const char *name);
/** "MARKETING", "UTILITY", "AUTHENTICATION" or "OTHER". Never NULL. */
const char *ativa_template_category_name(ativa_template_category category);
/** Case-insensitive; unknown strings (and NULL) give ATIVA_TEMPLATE_CATEGORY_OTHER. */
ativa_template_category ativa_template_category_parse(const char *name);
/** "POSITIONAL" or "NAMED". */
const char *ativa_template_param_format_name(ativa_template_param_format format);
/** "header", "body" or "button". */
const char *ativa_template_component_name(ativa_template_component component);

/* ---- sendability ---- */

/**
 * May this template be offered to agents and sent?
 * @param[out] reason_pt  may be NULL; on refusal a pt-BR sentence for the console (static).
 * @return ATIVA_OK
 * @return ATIVA_ERR_TEMPLATE_NOT_APPROVED  its status is not APPROVED
 * @return ATIVA_ERR_TEMPLATE_UNSUPPORTED   approved, but needs what the console cannot send
 *                                          (media header, special buttons, carousel; see above)
 * @return ATIVA_ERR_INVALID_ARGUMENT       tpl is NULL
 */
ativa_err ativa_template_sendable(const ativa_template *tpl, const char **reason_pt);

/** Index in tpl->slots of the slot with this key, or -1. */
int ativa_template_slot_find(const ativa_template *tpl, const char *key);

/**
 * The slots as a JSON array for the console: [{"key","component","index"(buttons only),"name",
 * "example"(when known),"max_chars"}] in slot order. Caller owns the result; NULL on no memory.
 */
json_t *ativa_template_slots_to_json_new(const ativa_template *tpl);

/* ---- values: render, validate, build ---- */

/**
 * The text the customer will see: header text, body and footer joined by "\n" (absent parts and
 * media headers are left out), with each variable replaced by its value. A variable whose value
 * is absent, empty or not a string stays as "{{name}}", so the console can render while typing.
 * Values are inserted as given (validation is separate).
 * @param values  object key -> string, or NULL for none.
 * @return a new heap string (caller frees), or NULL when out of memory or tpl is NULL.
 */
char *ativa_template_render_new(const ativa_template *tpl, const json_t *values);

/** One problem found by ativa_template_validate. */
typedef struct ativa_template_problem {
    int slot;  /**< index in slots, or -1 (unknown key, whole template, whole body) */
    char *key; /**< the slot key or the unknown key given, or NULL for the whole template */
    ativa_err err;
    char *message; /**< pt-BR, names the field, e.g. "O campo {{1}} do corpo ..." */
} ativa_template_problem;

typedef struct ativa_template_problems {
    ativa_template_problem *items;
    size_t count;
} ativa_template_problems;

/** Free the items of a problem list and zero it. NULL is allowed. */
void ativa_template_problems_clear(ativa_template_problems *problems);

/**
 * [{"slot": key or null, "code": ativa_err_code, "message": pt-BR}] for the console.
 * Caller owns the result; NULL when out of memory.
 */
json_t *ativa_template_problems_to_json_new(const ativa_template_problems *problems);

/**
 * Check a send of tpl with these values as Meta would, and report every problem, in this order:
 * not approved / unsupported (slot -1), then per slot in slot order: missing or blank
 * (PARAM_MISSING), not a string (INVALID_ARGUMENT), new line / carriage return / tab
 * (PARAM_NEWLINE_TAB), more than 4 consecutive spaces (PARAM_SPACES), longer than the slot's
 * max_chars (PARAM_TOO_LONG); then keys that are no slot (PARAM_UNKNOWN, sorted by key); then a
 * body longer than ATIVA_TEMPLATE_RENDERED_BODY_MAX characters once filled (TEXT_TOO_LONG,
 * checked only when every body value is present).
 * @param values        object key -> string, or NULL for none.
 * @param[out] problems may be NULL; else set to the list, without reading what it held
 *                     (caller clears it with ativa_template_problems_clear).
 * @return ATIVA_OK when there is no problem; ATIVA_ERR_TEMPLATE_NOT_APPROVED when not approved;
 *         else the error of the first problem. ATIVA_ERR_INVALID_ARGUMENT when tpl is NULL or
 *         values is neither NULL nor an object; ATIVA_ERR_NO_MEMORY.
 */
ativa_err ativa_template_validate(const ativa_template *tpl, const json_t *values,
                                  ativa_template_problems *problems);

/**
 * The `components` array of a send (see META_CLOUD_API.md section 1), after validating as
 * ativa_template_validate does: header text parameters, then body parameters in slot order, then
 * one {"type":"button","sub_type":"url","index":"<i>",...} per URL button with a variable.
 * Named templates add "parameter_name" to each body/header parameter (and to URL parameters whose
 * variable is named). Components without parameters are left out; a template without variables
 * gives an empty array, and the send body may then leave "components" out altogether.
 * @param[out] components_new  the new array (caller owns it); untouched on error.
 * @param[out] problems        may be NULL; as in ativa_template_validate.
 * @return ATIVA_OK, or any error of ativa_template_validate.
 */
ativa_err ativa_template_components_new(const ativa_template *tpl, const json_t *values,
                                        json_t **components_new, ativa_template_problems *problems);

/* ---- catalog ---- */

/**
 * Templates of one or more WABAs, keyed by (waba_id, name, language). Languages compare
 * case-insensitively with '-' equal to '_' ("en-US" is "en_US"), because Meta's webhooks and its
 * template list do not always spell them alike.
 */
typedef struct ativa_template_catalog ativa_template_catalog;

/** A new empty catalog, or NULL when out of memory. */
ativa_template_catalog *ativa_template_catalog_new(void);
/** Free the catalog and every template in it. NULL is allowed. */
void ativa_template_catalog_free(ativa_template_catalog *cat);

/**
 * Add a template, or replace the one with the same (waba_id, name, language) or the same id.
 * The catalog takes ownership of tpl on success only.
 * @return ATIVA_OK, ATIVA_ERR_INVALID_ARGUMENT (NULL or empty waba_id, NULL tpl),
 *         ATIVA_ERR_NO_MEMORY.
 */
ativa_err ativa_template_catalog_put(ativa_template_catalog *cat, const char *waba_id,
                                     ativa_template *tpl);

/**
 * Remove a template (and free it).
 * @return ATIVA_OK, ATIVA_ERR_TEMPLATE_NOT_FOUND, ATIVA_ERR_INVALID_ARGUMENT.
 */
ativa_err ativa_template_catalog_remove(ativa_template_catalog *cat, const char *waba_id,
                                        const char *name, const char *language);

/** The template, or NULL. Valid until the catalog changes. */
const ativa_template *ativa_template_catalog_find(const ativa_template_catalog *cat,
                                                  const char *waba_id, const char *name,
                                                  const char *language);

/** The template with this id in that WABA, or NULL. Valid until the catalog changes. */
const ativa_template *ativa_template_catalog_find_id(const ativa_template_catalog *cat,
                                                     const char *waba_id, const char *id);

/** Number of templates of the WABA (all statuses); of every WABA when waba_id is NULL. */
size_t ativa_template_catalog_count(const ativa_template_catalog *cat, const char *waba_id);

/**
 * Set the status of the template with this id, or when id is NULL or not found, of the one with
 * this name and language. The status string is Meta's (an unknown one gives STATUS_OTHER and is
 * kept as is). Takes effect at once for finds and listings.
 * @param id        may be NULL.
 * @param name, language  may be NULL when id is given.
 * @return ATIVA_OK, ATIVA_ERR_TEMPLATE_NOT_FOUND, ATIVA_ERR_INVALID_ARGUMENT (status NULL, empty or
 *         over 64 bytes, nothing to look up by), ATIVA_ERR_NO_MEMORY (the status is then
 * unchanged).
 */
ativa_err ativa_template_catalog_set_status(ativa_template_catalog *cat, const char *waba_id,
                                            const char *id, const char *name, const char *language,
                                            const char *status);

/**
 * Apply the value of a message_template_status_update webhook change:
 * {"event":"APPROVED","message_template_id":123 (integer or string),
 *  "message_template_name":"...","message_template_language":"..."}.
 * @param[out] changed  may be NULL; receives the updated template (valid until the catalog
 *                      changes).
 * @return ATIVA_OK, ATIVA_ERR_TEMPLATE_NOT_FOUND (unknown template: fetch the list again),
 *         ATIVA_ERR_WEBHOOK_MALFORMED (no event string, one over 64 bytes, or neither an id nor
 *         name + language),
 *         ATIVA_ERR_INVALID_ARGUMENT, ATIVA_ERR_NO_MEMORY.
 */
ativa_err ativa_template_catalog_apply_status_update(ativa_template_catalog *cat,
                                                     const char *waba_id, const json_t *value,
                                                     const ativa_template **changed);

/**
 * The APPROVED templates of a WABA, ordered by name (byte order) then language, the order the
 * console lists them in. Unsupported ones are included (the console shows them disabled with the
 * reason of ativa_template_sendable).
 * @param[out] out  array of at least cap pointers (may be NULL when cap is 0); pointers are valid
 *                  until the catalog changes.
 * @return the number of approved templates (which may exceed cap: only cap are written).
 */
size_t ativa_template_catalog_list_approved(const ativa_template_catalog *cat, const char *waba_id,
                                            const ativa_template **out, size_t cap);

#endif
