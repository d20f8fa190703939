/*
 * ativa/phone.h — customer phone numbers.
 *
 * The canonical form is digits only: country code + area code + subscriber number
 * ("5511999999999"). Three separate steps, because they answer different questions:
 *   ativa_phone_clean()     what did the agent mean?   "+55 (11) 99999-9999" -> "5511999999999"
 *   ativa_phone_validate()  is this a callable number? strict, with a precise reason per failure
 *   ativa_phone_key()       who is this customer?      both ninth-digit forms give one key
 *
 * Brazil (country code 55): a two-digit DDD from the 67 in use, then 9 digits starting with 9
 * (mobile) or 8 digits starting with 2-5 (landline). Other countries: E.164 structure, 8 to 15
 * digits not starting with 0.
 */
#ifndef ATIVA_PHONE_H
#define ATIVA_PHONE_H

#include <stdbool.h>
#include <stddef.h>

#include "ativa/error.h"

/** Longest canonical number (E.164: 15 digits) plus the terminating NUL. */
#define ATIVA_PHONE_MAX 16

typedef enum ativa_phone_kind {
    ATIVA_PHONE_OTHER = 0,   /**< a valid non-Brazilian E.164 number */
    ATIVA_PHONE_BR_MOBILE,   /**< 55 + DDD + 9 digits starting with 9 */
    ATIVA_PHONE_BR_LANDLINE, /**< 55 + DDD + 8 digits starting with 2-5 */
} ativa_phone_kind;

/**
 * Strip the formatting people paste around a number: ASCII whitespace (space, tab, CR, LF, VT, FF),
 * '+', '-', '.', '(' and ')', wherever they appear. Letters or any other character (including
 * non-ASCII bytes such as a UTF-8 no-break space) are an error, not silently dropped.
 * @param[in]  input  NUL-terminated text typed or pasted by an agent; NULL counts as empty.
 * @param[out] out    the digits, NUL-terminated; set to "" on error.
 * @return ATIVA_OK; ATIVA_ERR_PHONE_EMPTY (no digits at all); ATIVA_ERR_PHONE_NON_DIGIT (another
 *         character); ATIVA_ERR_PHONE_TOO_LONG (more than 15 digits). A stray character is
 *         reported before the length.
 */
ativa_err ativa_phone_clean(const char *input, char out[ATIVA_PHONE_MAX]);

/**
 * Strictly validate a canonical number (digits only; no cleaning is done here).
 * Checks, first failure wins: empty, a non-digit, fewer than 8 digits, more than 15, a leading 0.
 * A number starting with 55 is Brazilian, whatever its length: a total other than 12 or 13 digits
 * is _BR_LENGTH, then the DDD is checked, then the subscriber part. 12 digits whose subscriber
 * part starts with 6-9 is a mobile written without the ninth digit: _BR_MOBILE, because an agent
 * must type the 9 (ativa_phone_key accepts that form from Meta). 12 digits starting with 0 or 1
 * after the DDD: _BR_LANDLINE. Any other country: valid E.164 structure, kind OTHER.
 * @param[in]  digits  NUL-terminated; NULL counts as empty.
 * @param[out] kind    may be NULL; set on success.
 * @return ATIVA_OK; ATIVA_ERR_PHONE_EMPTY, _NON_DIGIT, _TOO_SHORT, _TOO_LONG, _BAD_COUNTRY
 *         (starts with 0), _UNKNOWN_DDD, _BR_LENGTH, _BR_MOBILE, _BR_LANDLINE.
 */
ativa_err ativa_phone_validate(const char *digits, ativa_phone_kind *kind);

/** True when the two-digit Brazilian area code (11..99) is one of the 67 DDDs in use. */
bool ativa_phone_br_ddd_valid(int ddd);

/**
 * The equivalence key of a number: the one identity under which a customer is stored.
 * WhatsApp reports Brazilian mobiles registered before the ninth digit as a 12-digit wa_id without
 * the 9 ("551199999999"); the key of such a number inserts the 9 ("5511999999999"), so both forms
 * resolve to one customer. Every other number is its own key.
 * The input need not be strictly valid (a wa_id from Meta is trusted as Meta sends it), but it
 * must be digits only. The 9 is inserted only for 55 + a DDD in use + 8 digits starting with 6-9.
 * @param[out] out  the key, NUL-terminated; set to "" on error.
 * @return ATIVA_OK; ATIVA_ERR_PHONE_EMPTY, _NON_DIGIT or _TOO_LONG.
 */
ativa_err ativa_phone_key(const char *digits, char out[ATIVA_PHONE_MAX]);

#endif
