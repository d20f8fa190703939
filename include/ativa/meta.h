/*
 * ativa/meta.h — the wire formats of Meta's WhatsApp Cloud API, and nothing else: no sockets, no
 * clock. Four parts, one source file each:
 *   signature  X-Hub-Signature-256 on webhook POSTs (core/meta_signature.c)
 *   webhook    a webhook body -> a batch of domain events (core/meta_webhook.c)
 *   send       Graph API /messages request bodies and their answers (core/meta_send.c)
 *   errors     Graph API error codes -> agent-facing pt-BR text and retry class
 * (core/meta_errors.c)
 */
#ifndef ATIVA_META_H
#define ATIVA_META_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ativa/error.h"
#include "ativa/message.h"

/* ---------------------------------------------------------------------------------------------
 * Signature
 * ------------------------------------------------------------------------------------------- */

/** "sha256=" + 64 hex digits + NUL. */
#define ATIVA_META_SIGNATURE_BUF 72

/**
 * Check an X-Hub-Signature-256 header against the raw body bytes as received. The HMAC covers
 * those exact bytes (Meta escapes non-ASCII as \uXXXX), so the body must never be re-serialized
 * before this check. Hex digits may be upper or lower case; the comparison is constant-time.
 * @param[in] app_secret  NUL-terminated, non-empty.
 * @param[in] body        raw body; may be NULL only when body_len is 0.
 * @param[in] header      the header value, or NULL when the request had none.
 * @return ATIVA_OK; ATIVA_ERR_SIGNATURE_MISSING (NULL or empty header);
 *         ATIVA_ERR_SIGNATURE_MALFORMED (not "sha256=" followed by exactly 64 hex digits);
 *         ATIVA_ERR_SIGNATURE_MISMATCH (well formed but wrong); ATIVA_ERR_INVALID_ARGUMENT (no
 *         secret, or NULL body with a length); ATIVA_ERR_INTERNAL (OpenSSL failed).
 */
ativa_err ativa_meta_signature_verify(const char *app_secret, const void *body, size_t body_len,
                                      const char *header);

/**
 * The header value Meta would send for a body: "sha256=" + 64 lowercase hex digits.
 * @param[out] out  NUL-terminated; set to "" on error.
 * @return ATIVA_OK; ATIVA_ERR_INVALID_ARGUMENT; ATIVA_ERR_INTERNAL.
 */
ativa_err ativa_meta_signature_compute(const char *app_secret, const void *body, size_t body_len,
                                       char out[ATIVA_META_SIGNATURE_BUF]);

/* ---------------------------------------------------------------------------------------------
 * Webhook events
 *
 * Every string below is a heap copy owned by the batch (freed by ativa_meta_batch_free); a NULL
 * pointer means "absent in the body". Timestamps are milliseconds since the epoch.
 * ------------------------------------------------------------------------------------------- */

/** Largest webhook body Meta sends (3 MB). */
#define ATIVA_META_WEBHOOK_MAX_BYTES (3u * 1024u * 1024u)
/** Deepest JSON nesting accepted in a webhook body; real payloads stay under 10 levels. */
#define ATIVA_META_WEBHOOK_MAX_DEPTH 32

/** The first entry of an errors[] array (Meta sends one). code 0 and NULL strings: none. */
typedef struct ativa_meta_error {
    long long code;
    char *title;
    char *message;
    char *details; /**< error_data.details */
} ativa_meta_error;

/** A message a customer sent to one of our lines. */
typedef struct ativa_meta_inbound {
    char *phone_number_id;      /**< our line (metadata.phone_number_id), never NULL */
    char *display_phone_number; /**< our line as digits (metadata.display_phone_number) */
    char *from;                 /**< the customer's wa_id, never NULL */
    char *from_user_id;         /**< business-scoped user id (BSUID) when Meta sends one */
    char *profile_name;         /**< value.contacts[] entry whose wa_id equals `from` */
    char wamid[ATIVA_WAMID_MAX];
    int64_t timestamp_ms;
    ativa_msg_kind kind;
    /**
     * What the console shows, never NULL: the text body; the tapped button or reply title; a
     * media caption or a bracketed pt-BR description ("[imagem]", "[documento: a.pdf]"); a
     * location's name and address or "lat,long"; contact names; a reaction's emoji.
     */
    char *text;
    char *payload;     /**< button payload, or interactive reply id */
    char *description; /**< list_reply description */
    char *media_id;
    char *mime_type;
    char *filename; /**< documents */
    bool voice;     /**< audio recorded as a voice note */
    bool has_location;
    double latitude;
    double longitude;
    char *reacted_wamid; /**< reactions: the message reacted to */
    char *context_id;    /**< the message this one replies to */
    bool forwarded;
    bool frequently_forwarded;
    ativa_meta_error error; /**< messages[].errors[0]; unsupported messages carry 131051 */
} ativa_meta_inbound;

/** A delivery status for a message one of our lines sent. */
typedef struct ativa_meta_status {
    char *phone_number_id;
    char *display_phone_number;
    char wamid[ATIVA_WAMID_MAX];
    /**
     * SENT, DELIVERED, READ or FAILED. Meta's "played" (a voice message was listened to) is
     * reported as READ with `played` set: it implies the message was read and must rank above
     * "delivered" in the forward-only status order.
     */
    ativa_msg_status status;
    bool played;
    int64_t timestamp_ms;
    char *recipient_id;
    ativa_meta_error error; /**< errors[0], for failed statuses */
} ativa_meta_status;

/** A message_template_status_update change. */
typedef struct ativa_meta_template_update {
    char *waba_id;     /**< entry.id */
    char *event;       /**< APPROVED, REJECTED, PAUSED, DISABLED, ... as sent */
    char *template_id; /**< message_template_id in decimal (Meta sends an integer) */
    char *name;
    char *language;
    char *reason;
    char *category;
} ativa_meta_template_update;

/** An entry of value.errors[]: recorded, never fatal. */
typedef struct ativa_meta_value_error {
    char *waba_id;         /**< entry.id */
    char *phone_number_id; /**< metadata.phone_number_id when present */
    ativa_meta_error error;
} ativa_meta_value_error;

/** Everything one webhook body carried, in body order within each array. */
typedef struct ativa_meta_batch {
    ativa_meta_inbound *messages;
    size_t message_count;
    ativa_meta_status *statuses;
    size_t status_count;
    ativa_meta_template_update *template_updates;
    size_t template_update_count;
    ativa_meta_value_error *errors;
    size_t error_count;
} ativa_meta_batch;

/** Room for a rejection reason from ativa_meta_webhook_parse. */
#define ATIVA_META_REASON_MAX 160

/**
 * Parse a webhook body (already signature-checked) into a batch.
 *
 * All or nothing: if any entry, change, message or status is malformed the whole body is
 * rejected and no batch is returned. Storing half a body and answering non-200 would make Meta
 * redeliver all of it, while answering 200 would silently lose the bad part; a rejected body is
 * redelivered whole, and redeliveries are deduplicated by wamid downstream.
 * Malformed: not JSON (duplicate keys included: which value would count is ambiguous), nested
 * deeper than ATIVA_META_WEBHOOK_MAX_DEPTH, `object` not "whatsapp_business_account", `entry` or
 * `changes` not arrays, a message without id, from or timestamp, a wamid or context id of
 * ATIVA_WAMID_MAX bytes or more, a timestamp that is not positive whole seconds (string or
 * integer), a message whose type object is missing or lacks what the console needs (text.body,
 * button.text, reaction.message_id), messages or statuses without metadata.phone_number_id.
 * Tolerated, not errors: unknown fields; messages without a type; changes whose `field` is not
 * "messages" or "message_template_status_update"; messages of an unknown type (kind UNSUPPORTED);
 * statuses with an unknown status word (skipped); value.errors[] (recorded in batch->errors).
 *
 * @param[in]  body    raw bytes, at most ATIVA_META_WEBHOOK_MAX_BYTES; need not be NUL-terminated.
 * @param[out] out     on ATIVA_OK a new batch (free with ativa_meta_batch_free); else NULL.
 * @param[out] reason  may be NULL; on ATIVA_ERR_WEBHOOK_MALFORMED an English reason, else "".
 * @return ATIVA_OK; ATIVA_ERR_WEBHOOK_MALFORMED; ATIVA_ERR_TOO_LARGE (body over 3 MB);
 *         ATIVA_ERR_INVALID_ARGUMENT (NULL body or out); ATIVA_ERR_NO_MEMORY.
 */
ativa_err ativa_meta_webhook_parse(const char *body, size_t body_len, ativa_meta_batch **out,
                                   char reason[ATIVA_META_REASON_MAX]);

/** Free a batch and every string in it. NULL is ignored. */
void ativa_meta_batch_free(ativa_meta_batch *batch);

/**
 * Canonical JSON rendering of a batch, for debug logs and the parser's fixtures:
 * {"messages":[...],"statuses":[...],"template_updates":[...],"errors":[...]} with absent
 * fields omitted, kinds and statuses by their message.h names and error objects as
 * {"code","title","message","details"}.
 * @return a new reference (caller json_decref), or NULL when out of memory or batch is NULL.
 */
json_t *ativa_meta_batch_to_json_new(const ativa_meta_batch *batch);

/* ---------------------------------------------------------------------------------------------
 * Sending
 * ------------------------------------------------------------------------------------------- */

/** Longest `to` accepted in a send body (digits plus the + - ( ) and spaces Meta allows). */
#define ATIVA_META_TO_MAX 32

/**
 * Build the /messages body of a free-text message (no link preview).
 * @param[in]  to    the recipient as Meta accepts it: digits with + - ( ) and spaces, non-empty,
 *                   shorter than ATIVA_META_TO_MAX bytes. Passed through unchanged.
 * @param[in]  text  UTF-8, 1..ATIVA_TEXT_MAX_CHARS code points.
 * @param[out] out   a new reference on ATIVA_OK, else NULL.
 * @return ATIVA_OK; ATIVA_ERR_PHONE_EMPTY; ATIVA_ERR_INVALID_ARGUMENT (NULL, `to` too long or
 *         with other characters, text not valid UTF-8); ATIVA_ERR_TEXT_EMPTY;
 *         ATIVA_ERR_TEXT_TOO_LONG; ATIVA_ERR_NO_MEMORY.
 */
ativa_err ativa_meta_send_text_new(const char *to, const char *text, json_t **out);

/**
 * Build the /messages body of a template message.
 * @param[in]  components  the template's components array, built by the caller; borrowed (this
 *                         function takes its own reference). NULL or [] omits "components".
 * @param[out] out         a new reference on ATIVA_OK, else NULL.
 * @return ATIVA_OK; ATIVA_ERR_PHONE_EMPTY; ATIVA_ERR_INVALID_ARGUMENT (empty or non-UTF-8 name
 *         or language, `to` invalid as above, components not an array); ATIVA_ERR_NO_MEMORY.
 */
ativa_err ativa_meta_send_template_new(const char *to, const char *name, const char *language,
                                       json_t *components, json_t **out);

/** Longest kept copy of a string from a Graph API answer; longer ones are cut (UTF-8 safe). */
#define ATIVA_META_FIELD_MAX 512

/** What a 200 answer to /messages says. Absent strings are "". */
typedef struct ativa_meta_send_result {
    char wamid[ATIVA_WAMID_MAX]; /**< messages[0].id, never "" on success */
    char wa_id[64];              /**< contacts[0].wa_id: may differ from `input` (Brazil) */
    char input[64];              /**< contacts[0].input */
    char message_status[48];     /**< messages[0].message_status: accepted, paused, ... */
} ativa_meta_send_result;

/**
 * Parse the body of a successful /messages answer.
 * @return ATIVA_OK; ATIVA_ERR_META_RESPONSE_MALFORMED (not JSON, no messages[0].id, wamid too
 *         long); ATIVA_ERR_INVALID_ARGUMENT; ATIVA_ERR_NO_MEMORY. `out` is zeroed on error.
 */
ativa_err ativa_meta_send_response_parse(const char *body, size_t body_len,
                                         ativa_meta_send_result *out);

/** A Graph API error answer. Absent strings are "", absent numbers 0. */
typedef struct ativa_meta_graph_error {
    long long code;
    long long subcode; /**< error_subcode: deprecated by Meta, still seen */
    char message[ATIVA_META_FIELD_MAX];
    char type[64];
    char details[ATIVA_META_FIELD_MAX]; /**< error_data.details */
    char fbtrace_id[64];
} ativa_meta_graph_error;

/**
 * Parse a Graph API error body {"error":{...}}.
 * @return ATIVA_OK; ATIVA_ERR_META_RESPONSE_MALFORMED (not JSON, no "error" object or no integer
 *         code); ATIVA_ERR_INVALID_ARGUMENT; ATIVA_ERR_NO_MEMORY. `out` is zeroed on error.
 */
ativa_err ativa_meta_graph_error_parse(const char *body, size_t body_len,
                                       ativa_meta_graph_error *out);

/* ---------------------------------------------------------------------------------------------
 * Error codes
 * ------------------------------------------------------------------------------------------- */

/** One known Graph API / WhatsApp error code. */
typedef struct ativa_meta_error_info {
    long long code;
    bool retryable;      /**< a later identical request may succeed (rate limits, transients) */
    ativa_err err;       /**< the ativa error it amounts to (WINDOW_CLOSED, SEND_FAILED, ...) */
    const char *text_pt; /**< what the agent reads */
} ativa_meta_error_info;

/** The entry for a code, or NULL when the code is not in the table. */
const ativa_meta_error_info *ativa_meta_error_lookup(long long code);

/** The whole table (for documentation and tests). @param[out] count entries. */
const ativa_meta_error_info *ativa_meta_error_table(size_t *count);

/**
 * Agent-facing pt-BR text for a code: the table's, or for an unknown code a generic sentence
 * that includes the number. Always NUL-terminated (truncated to `size`).
 * @return `buf`.
 */
const char *ativa_meta_error_describe_pt(long long code, char *buf, size_t size);

/**
 * Should the outbox retry a send that failed this way?
 * @param[in] http_status  the HTTP status of the answer (0 if none arrived).
 * @param[in] code         the Graph API error code, or 0 when the body had none.
 * A known code decides by itself. Otherwise the HTTP status decides: 5xx and 429 are retryable,
 * other statuses (4xx) are permanent. 0 (no answer at all) is not decided here: it is
 * ATIVA_STATUS_UNKNOWN, because the request may have been accepted.
 */
bool ativa_meta_error_retryable(int http_status, long long code);

/** The retry rule for an answer without a parseable body: 5xx and 429 yes, anything else no. */
bool ativa_meta_http_status_retryable(int http_status);

#endif
