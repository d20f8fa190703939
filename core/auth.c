/* Password hashing, session tokens and login throttling (see auth.h). */
#include "ativa/auth.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#define SALT_BYTES  16
#define KEY_BYTES   32
#define TOKEN_BYTES 32

const ativa_auth_cost ATIVA_AUTH_COST_DEFAULT = {.n = 1u << 15, .r = 8, .p = 1};

static bool cost_valid(const ativa_auth_cost *c)
{
    /* N a power of two in [2, 2^20]; r and p small: bounds what a stored string can make us do. */
    return c->n >= 2 && c->n <= (1u << 20) && (c->n & (c->n - 1)) == 0 && c->r >= 1 && c->r <= 32 &&
           c->p >= 1 && c->p <= 16;
}

static int derive(const char *password, const unsigned char *salt, const ativa_auth_cost *c,
                  unsigned char key[KEY_BYTES])
{
    uint64_t maxmem = 128 * (uint64_t)c->r * (c->n + (uint64_t)c->p + 2) + (1u << 20);
    return EVP_PBE_scrypt(password, strlen(password), salt, SALT_BYTES, c->n, c->r, c->p, maxmem,
                          key, KEY_BYTES) == 1
               ? 0
               : -1;
}

/* Standard base64 of exactly `len` bytes, decoded from text without padding tricks. */
static int decode_b64(const char *text, size_t text_len, unsigned char *out, size_t want)
{
    unsigned char buf[64];
    if (text_len == 0 || text_len % 4 || text_len / 4 * 3 > sizeof buf)
        return -1;
    int n = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)text_len);
    if (n < 0)
        return -1;
    size_t pad = 0;
    if (text[text_len - 1] == '=')
        pad++;
    if (text[text_len - 2] == '=')
        pad++;
    if ((size_t)n - pad != want)
        return -1;
    memcpy(out, buf, want);
    return 0;
}

ativa_err ativa_auth_hash_password(const char *password, const ativa_auth_cost *cost,
                                   char out[ATIVA_AUTH_HASH_MAX])
{
    out[0] = '\0';
    if (!cost)
        cost = &ATIVA_AUTH_COST_DEFAULT;
    if (!password || strlen(password) < ATIVA_AUTH_PASSWORD_MIN ||
        strlen(password) > ATIVA_AUTH_PASSWORD_MAX || !cost_valid(cost))
        return ATIVA_ERR_INVALID_ARGUMENT;
    unsigned char salt[SALT_BYTES], key[KEY_BYTES];
    if (RAND_bytes(salt, sizeof salt) != 1 || derive(password, salt, cost, key))
        return ATIVA_ERR_INTERNAL;
    char salt_b64[32], key_b64[48];
    EVP_EncodeBlock((unsigned char *)salt_b64, salt, sizeof salt);
    EVP_EncodeBlock((unsigned char *)key_b64, key, sizeof key);
    OPENSSL_cleanse(key, sizeof key);
    snprintf(out, ATIVA_AUTH_HASH_MAX, "scrypt$%" PRIu64 "$%" PRIu32 "$%" PRIu32 "$%s$%s", cost->n,
             cost->r, cost->p, salt_b64, key_b64);
    return ATIVA_OK;
}

ativa_err ativa_auth_verify_password(const char *password, const char *stored)
{
    if (!password || !stored || strlen(stored) >= ATIVA_AUTH_HASH_MAX)
        return stored ? ATIVA_ERR_STORE_CORRUPT : ATIVA_ERR_INVALID_ARGUMENT;
    ativa_auth_cost cost;
    char salt_b64[64], key_b64[64];
    int consumed = 0;
    if (sscanf(stored,
               "scrypt$%" SCNu64 "$%" SCNu32 "$%" SCNu32 "$%63[A-Za-z0-9+/=]$%63[A-Za-z0-9+/=]%n",
               &cost.n, &cost.r, &cost.p, salt_b64, key_b64, &consumed) != 5 ||
        stored[consumed] != '\0' || !cost_valid(&cost))
        return ATIVA_ERR_STORE_CORRUPT;
    unsigned char salt[SALT_BYTES], expected[KEY_BYTES], key[KEY_BYTES];
    if (decode_b64(salt_b64, strlen(salt_b64), salt, sizeof salt) ||
        decode_b64(key_b64, strlen(key_b64), expected, sizeof expected))
        return ATIVA_ERR_STORE_CORRUPT;
    if (strlen(password) > ATIVA_AUTH_PASSWORD_MAX)
        return ATIVA_ERR_BAD_CREDENTIALS;
    if (derive(password, salt, &cost, key))
        return ATIVA_ERR_INTERNAL;
    int differ = CRYPTO_memcmp(key, expected, sizeof key);
    OPENSSL_cleanse(key, sizeof key);
    return differ ? ATIVA_ERR_BAD_CREDENTIALS : ATIVA_OK;
}

static void hex_sha256(const char *text, char out[ATIVA_AUTH_TOKEN_HASH_MAX])
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)text, strlen(text), digest);
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

ativa_err ativa_auth_new_token(char token[ATIVA_AUTH_TOKEN_MAX],
                               char token_hash[ATIVA_AUTH_TOKEN_HASH_MAX])
{
    unsigned char raw[TOKEN_BYTES];
    char b64[48];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return ATIVA_ERR_INTERNAL;
    EVP_EncodeBlock((unsigned char *)b64, raw, sizeof raw);
    OPENSSL_cleanse(raw, sizeof raw);
    /* base64url without padding: safe in cookies, headers and URLs. */
    size_t n = 0;
    for (; b64[n] && b64[n] != '='; n++)
        token[n] = b64[n] == '+' ? '-' : b64[n] == '/' ? '_' : b64[n];
    token[n] = '\0';
    hex_sha256(token, token_hash);
    return ATIVA_OK;
}

ativa_err ativa_auth_token_hash(const char *token, char token_hash[ATIVA_AUTH_TOKEN_HASH_MAX])
{
    token_hash[0] = '\0';
    if (!token || strlen(token) != ATIVA_AUTH_TOKEN_MAX - 1)
        return ATIVA_ERR_UNAUTHENTICATED;
    for (const char *c = token; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_'))
            return ATIVA_ERR_UNAUTHENTICATED;
    hex_sha256(token, token_hash);
    return ATIVA_OK;
}

int64_t ativa_auth_retry_after_ms(uint32_t failures, int64_t last_failure_ms)
{
    const uint32_t free_failures = 3;
    const int64_t cap_ms = 5 * 60 * 1000;
    if (failures <= free_failures)
        return INT64_MIN;
    int64_t delay = 1000;
    for (uint32_t i = free_failures + 1; i < failures && delay < cap_ms; i++)
        delay *= 2;
    if (delay > cap_ms)
        delay = cap_ms;
    return last_failure_ms + delay;
}

ativa_err ativa_auth_login_valid(const char *login)
{
    size_t n = login ? strlen(login) : 0;
    if (n < 1 || n > 64)
        return ATIVA_ERR_INVALID_ARGUMENT;
    for (const char *c = login; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' ||
              *c == '-'))
            return ATIVA_ERR_INVALID_ARGUMENT;
    return ATIVA_OK;
}
