/* Any bytes as a webhook body: the parser must answer, never crash, leak or read out of bounds;
 * every batch it accepts must render to JSON. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ativa/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ativa_meta_batch *batch = NULL;
    char reason[ATIVA_META_REASON_MAX];
    if (ativa_meta_webhook_parse((const char *)data, size, &batch, reason) == ATIVA_OK) {
        json_t *rendered = ativa_meta_batch_to_json_new(batch);
        if (!rendered)
            abort();
        json_decref(rendered);
    } else if (batch) {
        abort(); /* a refused body must not leave a batch behind */
    }
    ativa_meta_batch_free(batch);
    /* The same bytes as a Graph API answer. */
    ativa_meta_send_result result;
    ativa_meta_send_response_parse((const char *)data, size, &result);
    return 0;
}
