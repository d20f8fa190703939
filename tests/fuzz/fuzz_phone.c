/* Any text as a typed phone number: clean, validate and key must agree with each other. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ativa/phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char input[128];
    if (size >= sizeof input)
        return 0;
    memcpy(input, data, size);
    input[size] = '\0';
    char digits[ATIVA_PHONE_MAX], key[ATIVA_PHONE_MAX], key2[ATIVA_PHONE_MAX];
    if (ativa_phone_clean(input, digits) != ATIVA_OK)
        return 0;
    if (strspn(digits, "0123456789") != strlen(digits))
        abort();
    ativa_phone_kind kind;
    ativa_err valid = ativa_phone_validate(digits, &kind);
    if (ativa_phone_key(digits, key) != ATIVA_OK)
        abort();
    /* The key is stable, and a valid number is its own key. */
    if (ativa_phone_key(key, key2) != ATIVA_OK || strcmp(key, key2) != 0)
        abort();
    if (valid == ATIVA_OK && strcmp(key, digits) != 0)
        abort();
    return 0;
}
