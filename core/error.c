/* The one place that turns an ativa_err into words, codes and HTTP statuses (see error.h). */
#include "ativa/error.h"

#include <stddef.h>

struct error_entry {
    const char *code;
    int http_status;
    const char *english;
    const char *portuguese;
};

static const struct error_entry error_table[] = {
#define ATIVA_ERR_ROW_(name, code, http, en, pt) {code, http, en, pt},
    ATIVA_ERROR_TABLE(ATIVA_ERR_ROW_)
#undef ATIVA_ERR_ROW_
};

static const struct error_entry unknown_error = {"unknown", 500, "unknown error",
                                                 "erro desconhecido"};

static const struct error_entry *entry_of(ativa_err err)
{
    if ((int)err < 0 || err >= ATIVA_ERR__COUNT)
        return &unknown_error;
    return &error_table[err];
}

const char *ativa_strerror(ativa_err err)
{
    return entry_of(err)->english;
}

const char *ativa_err_text_pt(ativa_err err)
{
    return entry_of(err)->portuguese;
}

const char *ativa_err_code(ativa_err err)
{
    return entry_of(err)->code;
}

int ativa_err_http_status(ativa_err err)
{
    return entry_of(err)->http_status;
}
