/*
 * ativa/auth.h — agents' credentials and sessions, without any storage or sockets.
 *
 * Passwords are kept only as salted, slow hashes (scrypt, from OpenSSL) in a self-describing
 * string: "scrypt$N$r$p$<salt base64>$<hash base64>", so that the cost can be raised later and
 * old hashes still verify. Session tokens are 32 random bytes shown once to the browser
 * (base64url); the store keeps only their SHA-256, so a stolen copy of the data cannot log in.
 * Failed logins are slowed down per login by a delay that doubles with each failure.
 */
#ifndef ATIVA_AUTH_H
#define ATIVA_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ativa/error.h"

/** Longest encoded password hash, with NUL. */
#define ATIVA_AUTH_HASH_MAX 160
/** A session token as given to the browser: 43 base64url characters + NUL. */
#define ATIVA_AUTH_TOKEN_MAX 44
/** The stored form of a token: SHA-256 in lowercase hex + NUL. */
#define ATIVA_AUTH_TOKEN_HASH_MAX 65
/** Passwords are 8 to 256 bytes. */
#define ATIVA_AUTH_PASSWORD_MIN 8
#define ATIVA_AUTH_PASSWORD_MAX 256

/** scrypt cost. The default takes tens of milliseconds; tests may use a cheaper one. */
typedef struct ativa_auth_cost {
    uint64_t n; /**< CPU/memory cost, a power of two */
    uint32_t r;
    uint32_t p;
} ativa_auth_cost;

extern const ativa_auth_cost ATIVA_AUTH_COST_DEFAULT; /* N=2^15, r=8, p=1 (32 MiB) */

/**
 * Hash a password with a fresh random salt.
 * @param cost  NULL for ATIVA_AUTH_COST_DEFAULT.
 * @return ATIVA_OK; ATIVA_ERR_INVALID_ARGUMENT (password shorter than 8 or longer than 256 bytes,
 *         bad cost); ATIVA_ERR_INTERNAL (the random source or scrypt failed).
 */
ativa_err ativa_auth_hash_password(const char *password, const ativa_auth_cost *cost,
                                   char out[ATIVA_AUTH_HASH_MAX]);

/**
 * Check a password against a stored hash, in time independent of where they differ.
 * @return ATIVA_OK; ATIVA_ERR_BAD_CREDENTIALS (wrong password);
 *         ATIVA_ERR_STORE_CORRUPT (the stored string is not a hash this code understands).
 */
ativa_err ativa_auth_verify_password(const char *password, const char *stored);

/**
 * A new session token and the hash to store for it.
 * @return ATIVA_OK or ATIVA_ERR_INTERNAL (no randomness).
 */
ativa_err ativa_auth_new_token(char token[ATIVA_AUTH_TOKEN_MAX],
                               char token_hash[ATIVA_AUTH_TOKEN_HASH_MAX]);

/**
 * The stored form of a token a browser presented.
 * @return ATIVA_OK; ATIVA_ERR_UNAUTHENTICATED when it is not shaped like a token (so that
 *         garbage never reaches a look-up).
 */
ativa_err ativa_auth_token_hash(const char *token, char token_hash[ATIVA_AUTH_TOKEN_HASH_MAX]);

/**
 * Login throttling: after `failures` consecutive failed logins for one login, the next attempt
 * is refused until last_failure_ms + delay. No delay for the first 3 failures, then 1 s, 2 s,
 * 4 s … capped at 5 min.
 * @return the instant before which an attempt is refused (<= now_ms means "go ahead").
 */
int64_t ativa_auth_retry_after_ms(uint32_t failures, int64_t last_failure_ms);

/** Logins are 1 to 64 characters of [a-z0-9._-]. @return ATIVA_OK or ATIVA_ERR_INVALID_ARGUMENT. */
ativa_err ativa_auth_login_valid(const char *login);

#endif
