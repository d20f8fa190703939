/*
 * ativa/store_agents.h — agents, their sessions and the login throttle, in the store (schema 2).
 *
 * Included by ativa/store.h (the inputs below are members of ativa_store_op's union); it may also
 * be included alone. The operations are applied by the store's writer like every other
 * (ativa_store_submit / ativa_store_execute) and append no event: nothing here is shown to the
 * consoles through the event log.
 *
 * Records (JSON, like the rest of the store):
 * - agent: {id, login, name, role ("agent" | "supervisor"), lines (array of phone_number_ids, or
 *   null: every line), disabled (bool), created_ms, updated_ms, password_hash}. password_hash is
 *   the string of ativa_auth_hash_password; the reads leave it out unless asked for.
 * - session, keyed by the token's hash (ativa_auth_new_token / ativa_auth_token_hash: 64
 *   lowercase hex digits; the token itself is never stored): {agent, created_ms, expires_ms,
 *   revoked_ms (0 while not revoked)}.
 * - login failures, keyed by login, whether or not an agent has that login (so that the throttle
 *   does not tell which logins exist): {failures, last_failure_ms}. Stored, so a restart does not
 *   reset the throttle; ativa_auth_retry_after_ms turns them into a delay.
 */
#ifndef ATIVA_STORE_AGENTS_H
#define ATIVA_STORE_AGENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ativa/error.h"

typedef struct ativa_store ativa_store;

/** Longest display name of an agent, in bytes (UTF-8). */
#define ATIVA_STORE_AGENT_NAME_MAX 128
/** Most lines an agent may be limited to. */
#define ATIVA_STORE_AGENT_LINES_MAX 32
/** Length of a session token's stored hash (hex digits, without NUL). */
#define ATIVA_STORE_TOKEN_HASH_LEN 64
/** PURGE_SESSIONS deletes what expired or was revoked at least this long ago. */
#define ATIVA_STORE_PURGE_AFTER_MS (24LL * 3600 * 1000)

/** What PUT_AGENT does with an agent's line list. */
typedef enum ativa_store_agent_lines {
    ATIVA_STORE_LINES_KEEP = 0, /**< unchanged (a new agent gets every line) */
    ATIVA_STORE_LINES_ALL,      /**< every line (stored as null) */
    ATIVA_STORE_LINES_LIST,     /**< exactly lines[0 .. n_lines - 1] (may be none) */
} ativa_store_agent_lines;

/** What PUT_AGENT does with the disabled flag. */
typedef enum ativa_store_agent_state {
    ATIVA_STORE_AGENT_KEEP = 0, /**< unchanged (a new agent is enabled) */
    ATIVA_STORE_AGENT_ENABLE,
    ATIVA_STORE_AGENT_DISABLE, /**< also revokes every session of the agent */
} ativa_store_agent_state;

/**
 * ATIVA_STORE_PUT_AGENT. Borrowed like every input (see store.h). The agent is found by login:
 * a new login creates it, a known one updates it. Logins never change.
 */
typedef struct ativa_store_in_agent {
    const char *login; /**< ativa_auth_login_valid */
    const char *name;  /**< 1..ATIVA_STORE_AGENT_NAME_MAX bytes; NULL: keep (required
                        *   to create) */
    const char *role;  /**< "agent" or "supervisor"; NULL: keep (a new agent: "agent") */
    ativa_store_agent_lines lines_mode;
    const char *const *lines; /**< LINES_LIST: phone_number_ids (digits), no repeats; they need
                               *   not be known lines yet */
    size_t n_lines;           /**< LINES_LIST: 0..ATIVA_STORE_AGENT_LINES_MAX */
    ativa_store_agent_state state;
    const char *password_hash; /**< from ativa_auth_hash_password; NULL: keep (required to
                                *   create) */
    int64_t now_ms;
} ativa_store_in_agent;

/** ATIVA_STORE_CREATE_SESSION, ATIVA_STORE_REVOKE_SESSION, ATIVA_STORE_PURGE_SESSIONS. */
typedef struct ativa_store_in_session {
    /** CREATE: the new session's; REVOKE: the one to revoke, or NULL to revoke every session
     *  of `agent`. 64 lowercase hex digits. */
    const char *token_hash;
    uint64_t agent;     /**< CREATE; REVOKE without token_hash */
    int64_t now_ms;     /**< CREATE: created_ms; REVOKE: revoked_ms; PURGE: the present */
    int64_t expires_ms; /**< CREATE: after now_ms */
} ativa_store_in_session;

/** ATIVA_STORE_LOGIN_FAILED, ATIVA_STORE_LOGIN_SUCCEEDED. */
typedef struct ativa_store_in_login {
    const char *login; /**< ativa_auth_login_valid (an unknown login is fine) */
    int64_t now_ms;    /**< FAILED: last_failure_ms */
} ativa_store_in_login;

/** A live session (ativa_store_get_session). */
typedef struct ativa_store_session {
    uint64_t agent;
    int64_t created_ms;
    int64_t expires_ms;
} ativa_store_session;

/* ---- Reads. Each runs its own read transaction and returns copies (store.h's rules: on error
 * *out_new is NULL; ATIVA_ERR_STORE_IO, ATIVA_ERR_STORE_CORRUPT, ATIVA_ERR_NO_MEMORY). ---- */

/**
 * An agent by id, without password_hash.
 * @return ATIVA_OK; ATIVA_ERR_INVALID_ARGUMENT (NULL st or out_new, id 0); ATIVA_ERR_NOT_FOUND.
 */
ativa_err ativa_store_get_agent(ativa_store *st, uint64_t id, json_t **out_new);

/**
 * An agent by login. with_password_hash includes password_hash (for checking a login only:
 * never send it anywhere).
 * @return ATIVA_OK; ATIVA_ERR_INVALID_ARGUMENT (also a login ativa_auth_login_valid refuses);
 *         ATIVA_ERR_NOT_FOUND.
 */
ativa_err ativa_store_get_agent_by_login(ativa_store *st, const char *login,
                                         bool with_password_hash, json_t **out_new);

/** Array of every agent (disabled ones too), by id, without password_hash. */
ativa_err ativa_store_list_agents(ativa_store *st, json_t **out_new);

/**
 * The session of a token hash, if it may be used at now_ms.
 * @param[out] out  zeroed on error.
 * @return ATIVA_OK; ATIVA_ERR_INVALID_ARGUMENT (NULL st or out); ATIVA_ERR_UNAUTHENTICATED when
 *         token_hash is malformed or unknown, the session expired (now_ms >= expires_ms) or was
 *         revoked, or its agent is unknown or disabled; ATIVA_ERR_STORE_IO;
 *         ATIVA_ERR_STORE_CORRUPT.
 */
ativa_err ativa_store_get_session(ativa_store *st, const char *token_hash, int64_t now_ms,
                                  ativa_store_session *out);

/**
 * The consecutive failed logins recorded for a login (0 and 0 when none).
 * @return ATIVA_OK; ATIVA_ERR_INVALID_ARGUMENT (NULL argument or invalid login);
 *         ATIVA_ERR_STORE_IO; ATIVA_ERR_STORE_CORRUPT.
 */
ativa_err ativa_store_login_failures(ativa_store *st, const char *login, uint32_t *failures,
                                     int64_t *last_failure_ms);

#endif
