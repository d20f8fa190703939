/* Any bytes as a template list page; every template accepted must render, list its slots,
 * validate empty values and survive a round trip through Meta's JSON. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ativa/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ativa_template_page page;
    char errbuf[ATIVA_TEMPLATE_ERRBUF];
    if (ativa_template_page_parse((const char *)data, size, &page, errbuf, sizeof errbuf) !=
        ATIVA_OK)
        return 0;
    json_t *values = json_object();
    for (size_t i = 0; i < page.count; i++) {
        ativa_template *tpl = page.items[i];
        char *text = ativa_template_render_new(tpl, values);
        json_t *slots = ativa_template_slots_to_json_new(tpl);
        json_t *back = ativa_template_to_json_new(tpl);
        if (!text || !slots || !back)
            abort();
        ativa_template *again = NULL;
        if (ativa_template_from_json_new(back, &again, errbuf, sizeof errbuf) != ATIVA_OK)
            abort(); /* what we write, we must be able to read */
        ativa_template_free(again);
        ativa_template_problems problems;
        ativa_template_validate(tpl, values, &problems);
        ativa_template_problems_clear(&problems);
        free(text);
        json_decref(slots);
        json_decref(back);
    }
    json_decref(values);
    ativa_template_page_clear(&page);
    return 0;
}
