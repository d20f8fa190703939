/* X-Hub-Signature-256: HMAC-SHA256 of the raw webhook body with the app secret (see meta.h). */
#include "ativa/meta.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#define SIGNATURE_PREFIX     "sha256="
#define SIGNATURE_PREFIX_LEN 7
#define DIGEST_LEN           32

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static ativa_err hmac_body(const char *app_secret, const void *body, size_t body_len,
                           unsigned char digest[DIGEST_LEN])
{
    if (!app_secret || !*app_secret || (!body && body_len > 0))
        return ATIVA_ERR_INVALID_ARGUMENT;
    /* HMAC() with a NULL data pointer is fine for length 0, but give it a valid one anyway. */
    static const unsigned char empty = 0;
    const unsigned char *data = body ? body : &empty;
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), app_secret, (int)strlen(app_secret), data, body_len, digest, &len) ||
        len != DIGEST_LEN)
        return ATIVA_ERR_INTERNAL;
    return ATIVA_OK;
}

ativa_err ativa_meta_signature_compute(const char *app_secret, const void *body, size_t body_len,
                                       char out[ATIVA_META_SIGNATURE_BUF])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char digest[DIGEST_LEN];
    if (!out)
        return ATIVA_ERR_INVALID_ARGUMENT;
    out[0] = '\0';
    ativa_err err = hmac_body(app_secret, body, body_len, digest);
    if (err)
        return err;
    memcpy(out, SIGNATURE_PREFIX, SIGNATURE_PREFIX_LEN);
    for (size_t i = 0; i < DIGEST_LEN; i++) {
        out[SIGNATURE_PREFIX_LEN + 2 * i] = digits[digest[i] >> 4];
        out[SIGNATURE_PREFIX_LEN + 2 * i + 1] = digits[digest[i] & 0x0f];
    }
    out[SIGNATURE_PREFIX_LEN + 2 * DIGEST_LEN] = '\0';
    return ATIVA_OK;
}

ativa_err ativa_meta_signature_verify(const char *app_secret, const void *body, size_t body_len,
                                      const char *header)
{
    if (!header || !*header)
        return ATIVA_ERR_SIGNATURE_MISSING;
    if (strncmp(header, SIGNATURE_PREFIX, SIGNATURE_PREFIX_LEN) != 0)
        return ATIVA_ERR_SIGNATURE_MALFORMED;
    const char *hex = header + SIGNATURE_PREFIX_LEN;
    if (strlen(hex) != 2 * DIGEST_LEN)
        return ATIVA_ERR_SIGNATURE_MALFORMED;
    /* Decode to bytes rather than compare text, so the hex case does not matter. */
    unsigned char claimed[DIGEST_LEN];
    for (size_t i = 0; i < DIGEST_LEN; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return ATIVA_ERR_SIGNATURE_MALFORMED;
        claimed[i] = (unsigned char)(hi << 4 | lo);
    }
    unsigned char digest[DIGEST_LEN];
    ativa_err err = hmac_body(app_secret, body, body_len, digest);
    if (err)
        return err;
    return CRYPTO_memcmp(claimed, digest, DIGEST_LEN) == 0 ? ATIVA_OK
                                                           : ATIVA_ERR_SIGNATURE_MISMATCH;
}
