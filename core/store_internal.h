/*
 * Shared between the store's source files only (not installed, not for the gateway).
 */
#ifndef ATIVA_STORE_INTERNAL_H
#define ATIVA_STORE_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>

#include "ativa/store.h"

/* Named databases. The order is the order of stats. */
enum {
    DB_META = 0,
    DB_LINES,         /* phone_number_id -> line */
    DB_CUSTOMERS,     /* phone key -> customer */
    DB_WINDOWS,       /* line \0 key -> {last_inbound_ms} */
    DB_CONVS,         /* u64 id -> conversation */
    DB_CONV_OPEN,     /* line \0 key -> u64 id of the open conversation */
    DB_CONV_OPEN_IDS, /* u64 id -> "" for every open conversation */
    DB_CONV_LAST,     /* line \0 key -> u64 id of the newest conversation */
    DB_MESSAGES,      /* u64 conv, u32 seq -> message */
    DB_WAMIDS,        /* wamid -> u64 conv, u32 seq */
    DB_PENDING,       /* wamid -> status not yet applicable */
    DB_TEMPLATES,     /* waba \0 name \0 language -> Meta's template */
    DB_ATT,           /* u64 id -> attendance */
    DB_ATT_TIME,      /* i64 ended, u64 id -> "" */
    DB_ATT_CUSTOMER,  /* key \0 i64 ended, u64 id -> "" */
    DB_ATT_LINE,      /* line \0 i64 ended, u64 id -> "" */
    DB_ATT_AGENT,     /* u64 agent, i64 ended, u64 id -> "" */
    DB_OUTBOX,        /* u64 id -> outbox entry */
    DB_OUTBOX_DUE,    /* i64 next attempt, u64 id -> "" (queued entries only) */
    DB_EVENTS,        /* u64 seq -> event JSON text */
    /* schema 2 */
    DB_AGENTS,         /* u64 id -> agent */
    DB_AGENT_LOGINS,   /* login -> u64 id */
    DB_SESSIONS,       /* token hash (64 hex) -> session */
    DB_SESSION_AGENT,  /* u64 agent, token hash -> "" */
    DB_LOGIN_FAILURES, /* login -> {failures, last_failure_ms} */
    DB__COUNT
};

extern const char *const ativa_store__db_names[DB__COUNT];

struct ativa_store {
    MDB_env *env;
    MDB_dbi dbi[DB__COUNT];
    unsigned max_batch;
    /* Readers hold it shared during their read transactions; the writer takes it exclusively to
     * resize the map, which LMDB allows only while this process has no transaction open. */
    pthread_rwlock_t map_lock;
    /* LMDB unmaps the environment before remapping it at a new size: if that mmap fails there is
     * no map left, so every later transaction must be refused (under map_lock). */
    bool unmapped;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ativa_store_op *head, *tail;
    bool closing;
    bool thread_started;
    pthread_t writer;
    ativa_store_op **batch;
    uint64_t batches, ops, grows; /* under mu */
};

/* A write in progress: one operation's nested transaction. */
typedef struct store_wtx {
    ativa_store *st;
    MDB_txn *txn;
    bool map_full; /* the op hit MDB_MAP_FULL: the whole batch is redone on a bigger map */
    ativa_store_out *out;
} store_wtx;

/* ---- codec (store_codec.c) ---- */
#define KEY_MAX 512

typedef struct store_key {
    unsigned char b[KEY_MAX];
    size_t n;
    bool overflow;
} store_key;

void ativa_store__key_init(store_key *k);
void ativa_store__key_u64(store_key *k, uint64_t v);
void ativa_store__key_u32(store_key *k, uint32_t v);
void ativa_store__key_i64(store_key *k, int64_t v);     /* order-preserving */
void ativa_store__key_str(store_key *k, const char *s); /* with its terminating NUL */
void ativa_store__key_raw(store_key *k, const char *s); /* without NUL */
uint64_t ativa_store__get_u64(const unsigned char *p);
uint32_t ativa_store__get_u32(const unsigned char *p);
int64_t ativa_store__get_i64(const unsigned char *p);

/* Map an LMDB code; MDB_MAP_FULL also flags w->map_full. */
ativa_err ativa_store__lmdb_err(store_wtx *w, int rc);

/* Record access inside a write transaction. */
ativa_err ativa_store__get_json(MDB_txn *txn, MDB_dbi dbi, const store_key *k, json_t **out_new);
ativa_err ativa_store__put_json(store_wtx *w, int db, const store_key *k, const json_t *v);
ativa_err ativa_store__put_raw(store_wtx *w, int db, const store_key *k, const void *v, size_t n);
ativa_err ativa_store__get_raw(MDB_txn *txn, MDB_dbi dbi, const store_key *k, MDB_val *out);
ativa_err ativa_store__del(store_wtx *w, int db, const store_key *k); /* absent is OK */
/* Next id from the meta counter "next:<name>" (starting at 1). */
ativa_err ativa_store__next_id(store_wtx *w, const char *name, uint64_t *out);

/* JSON field helpers (jansson does the work; these only fix defaults). */
const char *ativa_store__jstr(const json_t *o, const char *key); /* NULL if absent or not string */
int64_t ativa_store__jint(const json_t *o, const char *key, int64_t dflt);
int ativa_store__jset_str(json_t *o, const char *key, const char *s); /* NULL s: key removed */
int ativa_store__jset_int(json_t *o, const char *key, int64_t v);

/* Bounded string checks. */
ativa_err ativa_store__check_str(const char *s, size_t max, bool required);
ativa_err ativa_store__check_digits(const char *s, size_t max);

/* ---- read transactions (store.c) ---- */
ativa_err ativa_store__read_begin(ativa_store *st, MDB_txn **txn);
void ativa_store__read_end(ativa_store *st, MDB_txn *txn);
ativa_err ativa_store__read_json(ativa_store *st, int db, const store_key *k, json_t **out_new);

/*
 * Called for each entry of a scan, in key order. Set *item_new to take a value (NULL skips the
 * entry); return false to stop. On error set *err and return false.
 */
typedef bool (*store_scan_fn)(MDB_txn *txn, const MDB_val *key, const MDB_val *val, void *ctx,
                              json_t **item_new, ativa_err *err);
/*
 * Collect up to limit values of db into a new array, starting at the first key >= from (NULL:
 * the first key), in one read transaction. fn NULL takes every value, decoded as JSON.
 */
ativa_err ativa_store__scan(ativa_store *st, int db, const store_key *from, size_t limit,
                            store_scan_fn fn, void *ctx, json_t **out_new);
/* A JSON value from the map, copied; STORE_CORRUPT if undecodable. */
ativa_err ativa_store__decode(const MDB_val *val, json_t **out_new);

/* ---- events (store_events.c) ---- */
/* Append one event; data is stolen (decref'd) whatever happens. */
ativa_err ativa_store__event(store_wtx *w, int64_t ts_ms, const char *type, uint64_t conv,
                             const char *line, uint64_t owner, json_t *data);
ativa_err ativa_store__event_conv(store_wtx *w, const json_t *conv, int64_t now_ms);
ativa_err ativa_store__event_msg(store_wtx *w, const char *type, const json_t *conv,
                                 const json_t *msg, int64_t now_ms);

/* ---- lines, customers, windows (store_lines.c) ---- */
ativa_err ativa_store__apply_put_line(store_wtx *w, const ativa_store_in_put_line *in);
ativa_err ativa_store__line_exists(MDB_txn *txn, ativa_store *st, const char *line);
ativa_err ativa_store__upsert_customer(store_wtx *w, const char *key, const char *wa_id,
                                       const char *profile_name, int64_t now_ms);
int64_t ativa_store__window_last(MDB_txn *txn, ativa_store *st, const char *line, const char *key);
ativa_err ativa_store__window_touch(store_wtx *w, const char *line, const char *key, int64_t ts_ms);
void ativa_store__pair_key(store_key *k, const char *line, const char *key);

/* ---- conversations (store_conversations.c) ---- */
ativa_err ativa_store__conv_load(MDB_txn *txn, ativa_store *st, uint64_t id, json_t **out_new);
ativa_err ativa_store__conv_save(store_wtx *w, json_t *conv, const ativa_conv_state *s,
                                 int64_t now_ms);
ativa_err ativa_store__conv_new(store_wtx *w, const char *line, const char *key, const char *wa_id,
                                uint64_t owner, const ativa_conv_state *s, int64_t now_ms,
                                json_t **out_new);
ativa_err ativa_store__apply_create(store_wtx *w, const ativa_store_in_create *in);
ativa_err ativa_store__apply_send_text(store_wtx *w, const ativa_store_in_send_text *in);
ativa_err ativa_store__apply_send_template(store_wtx *w, const ativa_store_in_send_template *in);
ativa_err ativa_store__apply_take(store_wtx *w, const ativa_store_in_conv *in);
ativa_err ativa_store__apply_advance(store_wtx *w, const ativa_store_in_conv *in);
ativa_err ativa_store__apply_finalize(store_wtx *w, const ativa_store_in_finalize *in);

/* ---- messages (store_messages.c) ---- */
/* Append a message to the conversation (its seq is taken from and bumps conv.messages). */
ativa_err ativa_store__msg_append(store_wtx *w, json_t *conv, json_t *msg, uint32_t *seq);
ativa_err ativa_store__msg_load(MDB_txn *txn, ativa_store *st, uint64_t conv, uint32_t seq,
                                json_t **out_new);
ativa_err ativa_store__msg_save(store_wtx *w, const json_t *msg);
/* Set a message's status, error and wamid index, then apply any pending status for it. */
ativa_err ativa_store__msg_set_status(store_wtx *w, json_t *msg, ativa_msg_status status,
                                      int64_t ts_ms, const ativa_store_msg_error *err);
json_t *ativa_store__msg_error_new(const ativa_store_msg_error *err);
json_t *ativa_store__template_msg_new(const ativa_store_template_send *t);
ativa_err ativa_store__apply_inbound(store_wtx *w, const ativa_store_in_inbound *in);
ativa_err ativa_store__apply_status(store_wtx *w, const ativa_store_in_status *in);
ativa_err ativa_store__apply_pending(store_wtx *w, json_t *msg, int64_t now_ms);

/* ---- outbox (store_outbox.c) ---- */
ativa_err ativa_store__outbox_add(store_wtx *w, const json_t *conv, uint32_t seq, const char *body,
                                  int64_t now_ms, uint64_t *id);
ativa_err ativa_store__apply_outbox(store_wtx *w, ativa_store_op_kind kind,
                                    const ativa_store_in_outbox *in);

/* ---- attendances (store_attendances.c) ---- */
ativa_err ativa_store__attendance_write(store_wtx *w, const json_t *conv, const char *preview,
                                        uint64_t *id);

/* ---- templates (store_templates.c) ---- */
ativa_err ativa_store__apply_put_template(store_wtx *w, const ativa_store_in_template *in);
ativa_err ativa_store__apply_template_status(store_wtx *w, const ativa_store_in_template *in);

/* ---- agents, sessions, login failures (store_agents.c) ---- */
ativa_err ativa_store__apply_put_agent(store_wtx *w, const ativa_store_in_agent *in);
ativa_err ativa_store__apply_session(store_wtx *w, ativa_store_op_kind kind,
                                     const ativa_store_in_session *in);
ativa_err ativa_store__apply_login(store_wtx *w, ativa_store_op_kind kind,
                                   const ativa_store_in_login *in);

/* ---- schema (store.c) ---- */
ativa_err ativa_store__migrate_0_to_1(store_wtx *w);
ativa_err ativa_store__migrate_1_to_2(store_wtx *w);

#endif
