/* Shared by core/template_*.c only; not part of the public API. */
#ifndef ATIVA_TEMPLATE_INTERNAL_H
#define ATIVA_TEMPLATE_INTERNAL_H

#include <stddef.h>

#include "ativa/template.h"

/** Characters (Unicode code points) of a valid UTF-8 string. */
size_t ativa_template__utf8_chars(const char *s);

/** Characters of the first n bytes of a valid UTF-8 string. */
size_t ativa_template__utf8_chars_n(const char *s, size_t n);

/**
 * Replace the status of tpl with Meta's spelling `raw` (copied).
 * @return ATIVA_OK or ATIVA_ERR_NO_MEMORY (tpl unchanged).
 */
ativa_err ativa_template__set_status(ativa_template *tpl, const char *raw);

#endif
