/*
 * ativa/store.h — the durable store: one LMDB environment with named databases.
 *
 * Writes are operations (ativa_store_op) submitted to one writer thread, which applies them in
 * batches: one LMDB transaction per batch, one nested transaction per operation, so that a bad
 * operation fails alone and the others commit. After the batch commits (fsync'd unless the store
 * was opened with durable=false) the writer calls each operation's done callback, on the writer
 * thread. Every operation that changes something visible appends its events to the event log in
 * the same transaction and reports the range of sequence numbers it appended.
 *
 * Reads run on the caller's thread in their own read transaction and return copies (jansson
 * values whose reference the caller owns: "_new" below means the caller must json_decref).
 * A read never blocks the writer, except for the short moment the writer grows the map.
 *
 * Records are JSON objects (see each read for the fields); keys are big-endian binary.
 * The schema version lives in the "meta" database under the key "schema_version" as a 4-byte
 * big-endian unsigned number.
 */
#ifndef ATIVA_STORE_H
#define ATIVA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ativa/conversation.h"
#include "ativa/error.h"
#include "ativa/message.h"
#include "ativa/store_agents.h"

/** The schema this code writes. Older data directories are migrated at open. */
#define ATIVA_STORE_SCHEMA_VERSION 2u
/** Default and largest number of operations applied in one transaction. */
#define ATIVA_STORE_BATCH_DEFAULT 256
#define ATIVA_STORE_BATCH_MAX     4096
/** Largest page of attendances returned by one query. */
#define ATIVA_STORE_QUERY_LIMIT_MAX 200
/** Longest attendance cursor, NUL included. */
#define ATIVA_STORE_CURSOR_MAX 40

/* Bounds on stored strings (bytes). Longer inputs are refused with ATIVA_ERR_TOO_LARGE. */
#define ATIVA_STORE_ID_MAX      64    /**< phone_number_id, waba_id, template id */
#define ATIVA_STORE_LABEL_MAX   256   /**< line label, profile name, template name */
#define ATIVA_STORE_REASON_MAX  256   /**< contact reason */
#define ATIVA_STORE_ERRTEXT_MAX 1024  /**< error title, details, text */
#define ATIVA_STORE_BODY_MAX    65536 /**< a Graph API request body */

typedef struct ativa_store ativa_store;

typedef struct ativa_store_config {
    const char *path; /**< an existing directory for the environment files */
    size_t map_size;  /**< initial map size in bytes (0: 64 MiB); grows by doubling when full */
    /** true (the default through ativa_store_config_default) syncs every commit to disk; false
     *  (MDB_NOSYNC) loses the last commits on power loss and is only for benchmarks. */
    bool durable;
    unsigned max_batch; /**< operations per transaction (0: ATIVA_STORE_BATCH_DEFAULT) */
} ativa_store_config;

/** {path, 0, durable = true, 0}. */
ativa_store_config ativa_store_config_default(const char *path);

/*
 * The operations. Each applies in one nested transaction: on any error nothing of it remains
 * (outputs may still say why, e.g. out.conv of the conversation already open). Every op can also
 * fail with ATIVA_ERR_STORE_IO, ATIVA_ERR_STORE_CORRUPT or ATIVA_ERR_NO_MEMORY, and refuses
 * missing, malformed or oversized inputs with ATIVA_ERR_INVALID_ARGUMENT or ATIVA_ERR_TOO_LARGE.
 */
typedef enum ativa_store_op_kind {
    /** Create or replace a line. No event. */
    ATIVA_STORE_PUT_LINE = 1,
    /** A customer's message (webhook). Dedupes by wamid (ATIVA_ERR_DUPLICATE, out.conv/seq of the
     *  stored one), upserts the customer under its ninth-digit key, moves the window, joins the
     *  open conversation of (line, customer) or opens one in the shared queue (out.created).
     *  Events: "conversation", "message". ATIVA_ERR_NOT_FOUND: unknown line. */
    ATIVA_STORE_RECORD_INBOUND,
    /** A status webhook. Unknown wamid: kept pending (out.pending) and applied when the wamid is
     *  recorded. ATIVA_ERR_DUPLICATE (same status), ATIVA_ERR_STATUS_STALE (would go back or
     *  leave FAILED); ATIVA_ERR_INVALID_ARGUMENT for an inbound message. Event: "status". */
    ATIVA_STORE_APPLY_STATUS,
    /** An agent opens a conversation (owner = agent), optionally sending a template (message
     *  QUEUED + outbox entry). Phone errors of ativa_phone_validate; ATIVA_ERR_NOT_FOUND (line);
     *  ATIVA_ERR_CONVERSATION_OPEN (out.conv is the open one); ATIVA_ERR_TEMPLATE_REQUIRED.
     *  Events: "conversation" (+ "message"). */
    ATIVA_STORE_CREATE_CONVERSATION,
    /** Free text from the owner: message QUEUED + outbox entry. ATIVA_ERR_NOT_FOUND,
     *  ATIVA_ERR_FORBIDDEN (not the owner; a shared conversation must be taken first),
     *  ATIVA_ERR_TEXT_EMPTY, ATIVA_ERR_TEXT_TOO_LONG, and ativa_conv_check_text's errors.
     *  Event: "message". */
    ATIVA_STORE_SEND_TEXT,
    /** A template from the owner (ativa_conv_template_sent). Events: "message" (+ "conversation"
     *  when the phase changes). ATIVA_ERR_FORBIDDEN, ATIVA_ERR_CONVERSATION_FINALIZED. */
    ATIVA_STORE_SEND_TEMPLATE,
    /** An agent takes a shared-queue conversation. ATIVA_ERR_FORBIDDEN (another agent owns it;
     *  out.owner says who), ATIVA_ERR_DUPLICATE (already this agent's),
     *  ATIVA_ERR_CONVERSATION_FINALIZED. Event: "conversation". */
    ATIVA_STORE_TAKE_CONVERSATION,
    /** Apply expiry at now (the gateway's timer). ATIVA_OK with no event when nothing changed. */
    ATIVA_STORE_ADVANCE,
    /** Finish (by the owner, or anyone for a shared one): writes the attendance (out.attendance)
     *  and leaves the open indexes. ATIVA_ERR_FORBIDDEN, ATIVA_ERR_CONVERSATION_FINALIZED,
     *  ATIVA_ERR_TOO_LARGE. Event: "conversation". */
    ATIVA_STORE_FINALIZE,
    /** The request is about to leave: entry "sending", attempts + 1, message SENDING.
     *  ATIVA_ERR_DUPLICATE if already sending. Event: "status". */
    ATIVA_STORE_OUTBOX_SENDING,
    /** Meta answered 200: message ACCEPTED with its wamid (then any pending status), entry
     *  removed; a different wa_id becomes the conversation's and customer's. ATIVA_ERR_EXISTS
     *  (wamid already recorded). Event: "status". */
    ATIVA_STORE_OUTBOX_ACCEPTED,
    /** A transient failure: back to "queued", due at next_attempt_ms, error.title kept as
     *  last_error. The message stays SENDING (statuses never go back). No event. */
    ATIVA_STORE_OUTBOX_RETRY,
    /** Meta refused: message FAILED with the error, entry removed. Event: "status". */
    ATIVA_STORE_OUTBOX_FAILED,
    /** At start-up: every entry left "sending" may have reached Meta, so its message becomes
     *  UNKNOWN and the entry is removed (never sent twice). out.count. One "status" event each. */
    ATIVA_STORE_OUTBOX_RECOVER,
    /** Store a template (Meta's JSON with name, language, status). ATIVA_ERR_TEMPLATE_MALFORMED;
     *  ATIVA_ERR_DUPLICATE if identical. Event: "template". */
    ATIVA_STORE_PUT_TEMPLATE,
    /** Change a template's status by id, or by name (+ language). ATIVA_ERR_TEMPLATE_NOT_FOUND;
     *  ATIVA_ERR_DUPLICATE if unchanged. One "template" event per template changed. */
    ATIVA_STORE_TEMPLATE_STATUS,
    /* Agents and sessions (ativa/store_agents.h). No events. */
    /** Create (new login; out.created) or update an agent; out.agent is its id. Disabling an
     *  enabled agent revokes its sessions (out.count). ATIVA_ERR_INVALID_ARGUMENT also when
     *  creating without name or password_hash, for a role other than "agent"/"supervisor",
     *  repeated lines or an invalid login; ATIVA_ERR_TOO_LARGE (name, more than
     *  ATIVA_STORE_AGENT_LINES_MAX lines, password_hash of ATIVA_AUTH_HASH_MAX bytes or more). */
    ATIVA_STORE_PUT_AGENT,
    /** Record a session {agent, created_ms = now_ms, expires_ms}. ATIVA_ERR_NOT_FOUND (unknown
     *  agent), ATIVA_ERR_FORBIDDEN (disabled agent), ATIVA_ERR_EXISTS (token_hash already
     *  recorded), ATIVA_ERR_INVALID_ARGUMENT (expires_ms <= now_ms, malformed token_hash). */
    ATIVA_STORE_CREATE_SESSION,
    /** Revoke the session of token_hash (ATIVA_ERR_NOT_FOUND; ATIVA_ERR_DUPLICATE if already
     *  revoked), or with token_hash NULL every live session of agent (ATIVA_ERR_NOT_FOUND
     *  for an unknown agent). out.count: sessions revoked; out.agent: whose. */
    ATIVA_STORE_REVOKE_SESSION,
    /** A failed login for in.login.login: failures + 1, last at now_ms. out.count: failures. */
    ATIVA_STORE_LOGIN_FAILED,
    /** A successful login: its failures are forgotten (ATIVA_OK when there were none). */
    ATIVA_STORE_LOGIN_SUCCEEDED,
    /** Housekeeping at now_ms: deletes the sessions expired or revoked at least
     *  ATIVA_STORE_PURGE_AFTER_MS ago, and login failures as old (their delay is long over).
     *  out.count: sessions deleted. */
    ATIVA_STORE_PURGE_SESSIONS,
} ativa_store_op_kind;

/** A template being sent: what is stored with the message. */
typedef struct ativa_store_template_send {
    const char *name;         /**< template name */
    const char *language;     /**< e.g. "pt_BR" */
    const json_t *components; /**< Graph API components with parameters; may be NULL */
    const char *text;         /**< the rendered text the agent saw; may be NULL */
    const char *graph_body;   /**< the full Graph API JSON body to POST */
} ativa_store_template_send;

/** Meta's error for a failed message (any field may be NULL). */
typedef struct ativa_store_msg_error {
    int code;
    const char *title;
    const char *details;
    const char *text_pt; /**< the reason in words for the agent */
} ativa_store_msg_error;

/*
 * Inputs, one struct per kind. Every string, json_t and pointer is BORROWED: it must stay valid
 * and unchanged until the operation's done callback has run (ativa_store_execute satisfies this
 * trivially). The store never frees or changes them.
 */
typedef struct ativa_store_in_put_line {
    const char *phone_number_id, *display_number, *waba_id, *label; /**< label may be NULL */
} ativa_store_in_put_line;

typedef struct ativa_store_in_inbound {
    const char *line;         /**< phone_number_id the message arrived on (a known line) */
    const char *from;         /**< the sender's wa_id, digits */
    const char *profile_name; /**< may be NULL */
    const char *wamid;
    int64_t ts_ms; /**< Meta's message timestamp */
    ativa_msg_kind kind;
    const char *text; /**< body, caption or description; may be NULL */
    int64_t now_ms;
    int64_t window_ms; /**< window length for a new conversation */
} ativa_store_in_inbound;

typedef struct ativa_store_in_status {
    const char *wamid;
    ativa_msg_status status; /**< SENT, DELIVERED, READ or FAILED */
    int64_t ts_ms;
    ativa_store_msg_error error;
    int64_t now_ms;
} ativa_store_in_status;

typedef struct ativa_store_in_create {
    const char *line;
    const char *customer; /**< digits, strictly validated with ativa_phone_validate */
    uint64_t agent;       /**< the agent creating it becomes its owner */
    int64_t now_ms;
    int64_t window_ms;
    const ativa_store_template_send *tmpl; /**< NULL: no template is sent */
} ativa_store_in_create;

typedef struct ativa_store_in_send_text {
    uint64_t conv, agent;
    const char *text;
    const char *graph_body;
    int64_t now_ms;
} ativa_store_in_send_text;

typedef struct ativa_store_in_send_template {
    uint64_t conv, agent;
    ativa_store_template_send tmpl;
    int64_t now_ms;
} ativa_store_in_send_template;

typedef struct ativa_store_in_conv {
    uint64_t conv, agent; /**< agent unused by ADVANCE */
    int64_t now_ms;
} ativa_store_in_conv;

typedef struct ativa_store_in_finalize {
    uint64_t conv, agent;
    const char *reason;      /**< may be NULL */
    const char *description; /**< may be NULL; at most ATIVA_DESCRIPTION_MAX bytes */
    int64_t now_ms;
} ativa_store_in_finalize;

typedef struct ativa_store_in_outbox {
    uint64_t id;
    int64_t now_ms;
    int64_t next_attempt_ms;     /**< RETRY */
    const char *wamid;           /**< ACCEPTED */
    const char *wa_id;           /**< ACCEPTED: Meta's contacts[0].wa_id; may be NULL */
    ativa_store_msg_error error; /**< RETRY (title as last error), FAILED */
} ativa_store_in_outbox;

typedef struct ativa_store_in_template {
    const char *waba_id;
    const json_t *tmpl;          /**< PUT_TEMPLATE: Meta's JSON (name, language, status, id...) */
    const char *id;              /**< TEMPLATE_STATUS: Meta's template id, or NULL to use name */
    const char *name, *language; /**< TEMPLATE_STATUS by name (language NULL: every language) */
    const char *status;          /**< TEMPLATE_STATUS: e.g. "APPROVED", "PAUSED" */
    int64_t now_ms;
} ativa_store_in_template;

/** Outputs, written by the store before done runs. 0 means "none". */
typedef struct ativa_store_out {
    uint64_t conv;       /**< the conversation concerned (also on CONVERSATION_OPEN/DUPLICATE) */
    uint32_t seq;        /**< the message's sequence in its conversation */
    bool created;        /**< RECORD_INBOUND: a conversation was opened; PUT_AGENT: created */
    bool pending;        /**< APPLY_STATUS: wamid unknown yet, status kept for later */
    uint64_t outbox;     /**< the outbox entry created (or concerned) */
    uint64_t attendance; /**< FINALIZE: the attendance written */
    uint64_t owner;      /**< the conversation's owner after the op */
    unsigned
        count;      /**< OUTBOX_RECOVER: entries marked UNKNOWN; live sessions revoked
                     *   (REVOKE_SESSION, PUT_AGENT), sessions purged; LOGIN_FAILED: failures so far */
    uint64_t agent; /**< PUT_AGENT, REVOKE_SESSION: the agent concerned */
    uint64_t event_first, event_last; /**< events appended (both 0 if none) */
} ativa_store_out;

typedef struct ativa_store_op ativa_store_op;
typedef void (*ativa_store_done_fn)(ativa_store_op *op, void *user);

/**
 * One write. Owned by the caller; the store reads the input, writes `out` and `result`, then calls
 * done (on the writer thread, after the commit) and never touches the op again. `next_` is the
 * store's; leave it alone. Zero-initialise, then set kind, the input of that kind and done.
 */
struct ativa_store_op {
    ativa_store_op_kind kind;
    union {
        ativa_store_in_put_line line;
        ativa_store_in_inbound inbound;
        ativa_store_in_status status;
        ativa_store_in_create create;
        ativa_store_in_send_text text;
        ativa_store_in_send_template tmpl;
        ativa_store_in_conv conv;
        ativa_store_in_finalize finalize;
        ativa_store_in_outbox outbox;
        ativa_store_in_template template_op;
        ativa_store_in_agent agent;
        ativa_store_in_session session;
        ativa_store_in_login login;
    } in;
    ativa_store_out out;
    ativa_err result;
    ativa_store_done_fn done;
    void *user;
    ativa_store_op *next_;
};

/**
 * Open (creating if needed) the store, check and migrate its schema, start the writer thread.
 * @param[in]  cfg  see ativa_store_config.
 * @param[out] out  the store; NULL on error.
 * @return ATIVA_OK; ATIVA_ERR_INVALID_ARGUMENT; ATIVA_ERR_STORE_VERSION (written by a newer
 *         version); ATIVA_ERR_STORE_IO (LMDB or thread failure); ATIVA_ERR_STORE_CORRUPT;
 *         ATIVA_ERR_NO_MEMORY.
 */
ativa_err ativa_store_open(const ativa_store_config *cfg, ativa_store **out);

/**
 * Stop accepting operations, apply every one already submitted, join the writer and close the
 * environment. No read may be running. NULL is ignored.
 */
void ativa_store_close(ativa_store *st);

/**
 * Queue an operation. done will be called exactly once, on the writer thread, if and only if this
 * returns ATIVA_OK.
 * @return ATIVA_OK; ATIVA_ERR_INVALID_ARGUMENT (NULL op or done); ATIVA_ERR_STORE_CLOSED (close
 *         has started: the op is not queued and done is not called).
 */
ativa_err ativa_store_submit(ativa_store *st, ativa_store_op *op);

/**
 * Submit and wait for the commit (for tools and tests). op->done/user are replaced.
 * Must not be called from a done callback (the writer would wait for itself).
 * @return the operation's result (also in op->result), or ATIVA_ERR_STORE_CLOSED.
 */
ativa_err ativa_store_execute(ativa_store *st, ativa_store_op *op);

typedef struct ativa_store_db_count {
    const char *name;
    uint64_t entries;
} ativa_store_db_count;

#define ATIVA_STORE_DB_COUNT_MAX 32

typedef struct ativa_store_stats {
    uint64_t map_size; /**< bytes currently mapped */
    uint64_t page_size;
    uint64_t pages_used; /**< last used page number + 1 */
    uint64_t batches;    /**< transactions committed by the writer since open */
    uint64_t ops;        /**< operations applied since open */
    uint64_t map_grows;  /**< times the map was doubled since open */
    uint64_t last_event_seq;
    unsigned db_count;
    ativa_store_db_count dbs[ATIVA_STORE_DB_COUNT_MAX]; /**< entries per named database */
} ativa_store_stats;

/** @return ATIVA_OK; ATIVA_ERR_STORE_IO. */
ativa_err ativa_store_stats_get(ativa_store *st, ativa_store_stats *out);

/**
 * Copy the whole environment into dest_dir/data.mdb (LMDB's hot copy, mdb_env_copyfd2, fsync'd):
 * a consistent snapshot of the
 * last commit, taken in one read transaction, while this or another process keeps writing. The
 * copy is a data directory that ativa_store_open accepts as it is. While it runs the map cannot
 * grow, so a writer needing more room waits for the copy to finish.
 * @param dest_dir  an existing directory without a data.mdb.
 * @param compact   MDB_CP_COMPACT: leave free pages out and renumber (slower, smaller).
 * @return ATIVA_OK; ATIVA_ERR_INVALID_ARGUMENT (NULL); ATIVA_ERR_EXISTS (dest_dir already holds a
 *         data.mdb); ATIVA_ERR_NOT_FOUND (dest_dir does not exist); ATIVA_ERR_STORE_IO (any other
 *         failure, e.g. no room; the partial data.mdb is removed).
 */
ativa_err ativa_store_backup(ativa_store *st, const char *dest_dir, bool compact);

/* ---- Reads. Each runs its own read transaction and returns copies. ----
 * Common errors: ATIVA_ERR_INVALID_ARGUMENT (NULL or out-of-bounds input), ATIVA_ERR_NOT_FOUND,
 * ATIVA_ERR_STORE_IO (LMDB), ATIVA_ERR_STORE_CORRUPT (undecodable record), ATIVA_ERR_NO_MEMORY.
 * On error *out is set to NULL. */

/** Line: {phone_number_id, display_number, waba_id, label}. */
ativa_err ativa_store_get_line(ativa_store *st, const char *phone_number_id, json_t **out_new);
/** Array of every line, ordered by phone_number_id. */
ativa_err ativa_store_list_lines(ativa_store *st, json_t **out_new);

/** Customer by any ninth-digit form: {key, wa_id, profile_name, created_ms, updated_ms}. */
ativa_err ativa_store_get_customer(ativa_store *st, const char *number, json_t **out_new);

/** The customer's last inbound time on the line, or ATIVA_NEVER (then ATIVA_OK too). */
ativa_err ativa_store_get_window(ativa_store *st, const char *line, const char *number,
                                 int64_t *last_inbound_ms);

/**
 * Conversation: {id, line, customer (key), wa_id (to send to), owner, phase, last_inbound_ms,
 * window_ms, created_ms, updated_ms, finalized_ms (0 while open), reason, description,
 * finalized_by, messages (count)}.
 */
ativa_err ativa_store_get_conversation(ativa_store *st, uint64_t id, json_t **out_new);
/** The open (not finalized) conversation of (line, customer in any form). */
ativa_err ativa_store_open_conversation(ativa_store *st, const char *line, const char *number,
                                        json_t **out_new);
/** The most recently created conversation of (line, customer), open or finalized. */
ativa_err ativa_store_last_conversation(ativa_store *st, const char *line, const char *number,
                                        json_t **out_new);
/** Array of every open conversation, by id. */
ativa_err ativa_store_list_open_conversations(ativa_store *st, json_t **out_new);

/** The state machine's part of a conversation record. @return ATIVA_ERR_STORE_CORRUPT if bad. */
ativa_err ativa_store_conv_state(const json_t *conv, ativa_conv_state *out);
/** A copy of the conversation record with "view": {phase, window_open, expires_at_ms,
 *  composer_enabled, alert, offer_template, next_change_ms} at now_ms. NULL on bad input. */
json_t *ativa_store_conv_with_view_new(const json_t *conv, int64_t now_ms);

/**
 * Messages of a conversation with seq > after_seq, in order, at most limit (1..1000):
 * {conv, seq, direction ("in"/"out"), kind, status, wamid, ts_ms, status_ms, text, template
 * {name, language, components}, error {code, title, details, text_pt}, agent, outbox}.
 * Absent fields are omitted. An unknown conversation gives an empty array.
 */
ativa_err ativa_store_list_messages(ativa_store *st, uint64_t conv, uint32_t after_seq,
                                    unsigned limit, json_t **out_new);
/** The message recorded under a wamid. */
ativa_err ativa_store_get_message_by_wamid(ativa_store *st, const char *wamid, json_t **out_new);

/** Templates of a WABA (Meta's JSON objects), ordered by name then language. */
ativa_err ativa_store_list_templates(ativa_store *st, const char *waba_id, json_t **out_new);
/** One template. @return also ATIVA_ERR_TEMPLATE_NOT_FOUND. */
ativa_err ativa_store_get_template(ativa_store *st, const char *waba_id, const char *name,
                                   const char *language, json_t **out_new);

/**
 * Queued outbox entries whose next_attempt_ms <= now_ms, earliest first, at most limit:
 * {id, conv, seq, line, to, body, state, attempts, next_attempt_ms, created_ms, last_error}.
 */
ativa_err ativa_store_list_due_outbox(ativa_store *st, int64_t now_ms, unsigned limit,
                                      json_t **out_new);
/** One outbox entry (queued or sending). */
ativa_err ativa_store_get_outbox(ativa_store *st, uint64_t id, json_t **out_new);

/**
 * Events with seq > after_seq, in order, at most limit (1..10000): objects {seq, ts_ms, type,
 * conversation, line, owner, data}. type is "conversation" (data: the record with "view"),
 * "message" (data: the message), "status" (data: the message after the change) or "template"
 * (data: {waba_id, template}).
 */
ativa_err ativa_store_events_after(ativa_store *st, uint64_t after_seq, unsigned limit,
                                   json_t **out_new);
/** The last event's seq (0 when the log is empty). */
ativa_err ativa_store_last_event_seq(ativa_store *st, uint64_t *out);

/** Attendance: {id, conversation, line, customer, wa_id, agent, owner, started_ms, ended_ms,
 *  reason, description, preview}. */
ativa_err ativa_store_get_attendance(ativa_store *st, uint64_t id, json_t **out_new);

typedef struct ativa_store_att_query {
    int64_t from_ms, to_ms; /**< ended within [from_ms, to_ms]; to_ms 0 means no upper bound */
    const char *customer;   /**< any ninth-digit form, or NULL */
    const char *line;       /**< or NULL */
    uint64_t agent;         /**< who finalized; 0: any */
    const char *reason;     /**< exact reason, or NULL */
    unsigned limit;         /**< 1..ATIVA_STORE_QUERY_LIMIT_MAX (0: 50) */
    const char *cursor;     /**< "next" of the previous page, or NULL for the first */
} ativa_store_att_query;

/**
 * Finished attendances matching every filter, newest first (by ended time, then id).
 * @param[out] out_new  {"items": [attendance...], "next": cursor string or null}.
 * @return also ATIVA_ERR_INVALID_ARGUMENT for a malformed cursor or limit.
 */
ativa_err ativa_store_query_attendances(ativa_store *st, const ativa_store_att_query *q,
                                        json_t **out_new);

#endif
