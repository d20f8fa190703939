/* Any bytes as an ativa.v1 frame: decoded or refused with a reason, never a crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ativa/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ativa_request req;
    char why[256];
    ativa_err err = ativa_request_parse((const char *)data, size, &req, why, sizeof why);
    if (err != ATIVA_OK && (req.root || why[0] == '\0'))
        abort(); /* a refusal always says why and holds nothing */
    json_t *reply =
        err ? ativa_reply_error_new(req.id, err, why) : ativa_reply_ok_new(req.id, NULL);
    if (!reply)
        abort();
    char *text = json_dumps(reply, 0);
    free(text);
    json_decref(reply);
    ativa_request_clear(&req);
    return 0;
}
