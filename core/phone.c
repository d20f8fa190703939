/* Customer phone numbers: cleaning, strict validation and the customer key (see phone.h). */
#include "ativa/phone.h"

#include <string.h>

#define E164_MIN_DIGITS 8
#define E164_MAX_DIGITS 15
#define BR_COUNTRY      "55"
/* 55 + DDD + subscriber */
#define BR_MOBILE_DIGITS   13
#define BR_LANDLINE_DIGITS 12

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Formatting an agent may paste around a number; anything else is refused, not dropped. */
static bool is_formatting(char c)
{
    switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '\v':
    case '\f':
    case '+':
    case '-':
    case '.':
    case '(':
    case ')':
        return true;
    default:
        return false;
    }
}

/* Checks shared by validate and key. A stray character outranks the length: it is the real fault.
 */
static ativa_err check_digits(const char *digits, size_t *len_out)
{
    if (digits == NULL || digits[0] == '\0')
        return ATIVA_ERR_PHONE_EMPTY;
    size_t len = 0;
    bool too_long = false;
    for (const char *p = digits; *p != '\0'; p++) {
        if (!is_digit(*p))
            return ATIVA_ERR_PHONE_NON_DIGIT;
        if (++len > E164_MAX_DIGITS)
            too_long = true;
    }
    if (too_long)
        return ATIVA_ERR_PHONE_TOO_LONG;
    *len_out = len;
    return ATIVA_OK;
}

static int two_digits(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

ativa_err ativa_phone_clean(const char *input, char out[ATIVA_PHONE_MAX])
{
    out[0] = '\0';
    if (input == NULL)
        return ATIVA_ERR_PHONE_EMPTY;
    size_t n = 0;
    bool too_long = false;
    for (const char *p = input; *p != '\0'; p++) {
        if (is_formatting(*p))
            continue;
        if (!is_digit(*p)) {
            out[0] = '\0';
            return ATIVA_ERR_PHONE_NON_DIGIT;
        }
        if (n < E164_MAX_DIGITS)
            out[n++] = *p;
        else
            too_long = true;
    }
    if (too_long) {
        out[0] = '\0';
        return ATIVA_ERR_PHONE_TOO_LONG;
    }
    out[n] = '\0';
    return n == 0 ? ATIVA_ERR_PHONE_EMPTY : ATIVA_OK;
}

bool ativa_phone_br_ddd_valid(int ddd)
{
    /* The 67 area codes of Anatel's national numbering plan, indexed by ddd - 10. */
    static const char in_use[90] = {
        /* 10 */ 0, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        /* 20 */ 0, 1, 1, 0, 1, 0, 0, 1, 1, 0,
        /* 30 */ 0, 1, 1, 1, 1, 1, 0, 1, 1, 0,
        /* 40 */ 0, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        /* 50 */ 0, 1, 0, 1, 1, 1, 0, 0, 0, 0,
        /* 60 */ 0, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        /* 70 */ 0, 1, 0, 1, 1, 1, 0, 1, 0, 1,
        /* 80 */ 0, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        /* 90 */ 0, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    };
    if (ddd < 10 || ddd > 99)
        return false;
    return in_use[ddd - 10] != 0;
}

/* Brazil: the length says which kind is meant, then the DDD, then the subscriber's first digit. */
static ativa_err validate_br(const char *digits, size_t len, ativa_phone_kind *kind)
{
    if (len != BR_MOBILE_DIGITS && len != BR_LANDLINE_DIGITS)
        return ATIVA_ERR_PHONE_BR_LENGTH;
    if (!ativa_phone_br_ddd_valid(two_digits(digits + 2)))
        return ATIVA_ERR_PHONE_UNKNOWN_DDD;
    char first = digits[4];
    if (len == BR_MOBILE_DIGITS) {
        if (first != '9')
            return ATIVA_ERR_PHONE_BR_MOBILE;
        *kind = ATIVA_PHONE_BR_MOBILE;
        return ATIVA_OK;
    }
    /*
     * 8 digits starting with 6-9 is a mobile written without its ninth digit: WhatsApp still
     * reports some wa_ids that way, but an agent must type the 9, so it is refused as a mobile.
     */
    if (first >= '6')
        return ATIVA_ERR_PHONE_BR_MOBILE;
    if (first < '2')
        return ATIVA_ERR_PHONE_BR_LANDLINE;
    *kind = ATIVA_PHONE_BR_LANDLINE;
    return ATIVA_OK;
}

ativa_err ativa_phone_validate(const char *digits, ativa_phone_kind *kind)
{
    size_t len = 0;
    ativa_err err = check_digits(digits, &len);
    if (err != ATIVA_OK)
        return err;
    if (len < E164_MIN_DIGITS)
        return ATIVA_ERR_PHONE_TOO_SHORT;
    if (digits[0] == '0')
        return ATIVA_ERR_PHONE_BAD_COUNTRY;
    ativa_phone_kind found = ATIVA_PHONE_OTHER;
    if (strncmp(digits, BR_COUNTRY, 2) == 0) {
        err = validate_br(digits, len, &found);
        if (err != ATIVA_OK)
            return err;
    }
    if (kind != NULL)
        *kind = found;
    return ATIVA_OK;
}

ativa_err ativa_phone_key(const char *digits, char out[ATIVA_PHONE_MAX])
{
    out[0] = '\0';
    size_t len = 0;
    ativa_err err = check_digits(digits, &len);
    if (err != ATIVA_OK)
        return err;
    bool old_mobile = len == BR_LANDLINE_DIGITS && strncmp(digits, BR_COUNTRY, 2) == 0 &&
                      ativa_phone_br_ddd_valid(two_digits(digits + 2)) && digits[4] >= '6';
    if (!old_mobile) {
        memcpy(out, digits, len + 1);
        return ATIVA_OK;
    }
    memcpy(out, digits, 4);
    out[4] = '9';
    memcpy(out + 5, digits + 4, len - 4 + 1);
    return ATIVA_OK;
}
