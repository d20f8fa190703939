#include "sim.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t sim_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *sim_digits_new(const char *s)
{
    size_t n = strlen(s), j = 0;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] >= '0' && s[i] <= '9')
            out[j++] = s[i];
    out[j] = '\0';
    return out;
}

static void random_bytes(unsigned char *buf, size_t n)
{
    if (RAND_bytes(buf, (int)n) != 1) {
        /* RAND_bytes only fails without entropy; ids need uniqueness, not secrecy. */
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)rand();
    }
}

char *sim_base64_new(const unsigned char *in, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (!out)
        return NULL;
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return out;
}

int sim_base64_decode(const char *in, char *out, size_t outlen)
{
    size_t n = strlen(in);
    if (n == 0 || n % 4 != 0 || (n / 4) * 3 >= outlen)
        return -1;
    int r = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in, (int)n);
    if (r < 0)
        return -1;
    /* EVP_DecodeBlock counts padding as zero bytes */
    if (n >= 1 && in[n - 1] == '=')
        r--;
    if (n >= 2 && in[n - 2] == '=')
        r--;
    out[r] = '\0';
    return r;
}

char *sim_wamid_new(void)
{
    /* Real wamids are base64 of a small binary record that starts with the bytes HBgM/HBgN. */
    unsigned char raw[30];
    raw[0] = 0x1c;
    raw[1] = 0x18;
    raw[2] = 0x0c;
    random_bytes(raw + 3, sizeof(raw) - 3);
    char *b64 = sim_base64_new(raw, sizeof(raw));
    if (!b64)
        return NULL;
    size_t n = strlen(b64);
    char *out = malloc(n + 7);
    if (out)
        snprintf(out, n + 7, "wamid.%s", b64);
    free(b64);
    return out;
}

char *sim_numeric_id_new(int ndigits)
{
    unsigned char raw[32];
    if (ndigits < 1 || ndigits > 32)
        return NULL;
    char *out = malloc((size_t)ndigits + 1);
    if (!out)
        return NULL;
    random_bytes(raw, (size_t)ndigits);
    for (int i = 0; i < ndigits; i++)
        out[i] = (char)('0' + raw[i] % 10);
    if (out[0] == '0')
        out[0] = '1';
    out[ndigits] = '\0';
    return out;
}

char *sim_hex_id_new(size_t nbytes)
{
    unsigned char raw[64];
    static const char hex[] = "0123456789abcdef";
    if (nbytes > sizeof(raw))
        return NULL;
    char *out = malloc(2 * nbytes + 1);
    if (!out)
        return NULL;
    random_bytes(raw, nbytes);
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * nbytes] = '\0';
    return out;
}

char *sim_json_dump_new(const json_t *root)
{
    char *s = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15));
    if (!s)
        return NULL;
    /*
     * jansson writes \u00E1; Meta writes \u00e1. Escapes come in pairs, so walking them pairwise
     * never mistakes an escaped backslash followed by 'u' for a \u escape.
     */
    for (char *p = s; *p; p++) {
        if (*p != '\\')
            continue;
        if (p[1] == 'u') {
            for (int i = 2; i < 6 && p[i]; i++)
                p[i] = (char)tolower((unsigned char)p[i]);
            p += 5;
        } else if (p[1]) {
            p++;
        }
    }
    return s;
}

void sim_sign(const char *secret, const char *body, size_t len, char *out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    static const char hex[] = "0123456789abcdef";
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, mac, &maclen);
    memcpy(out, "sha256=", 7);
    for (unsigned int i = 0; i < maclen; i++) {
        out[7 + 2 * i] = hex[mac[i] >> 4];
        out[7 + 2 * i + 1] = hex[mac[i] & 15];
    }
    out[7 + 2 * maclen] = '\0';
}

size_t sim_utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}
