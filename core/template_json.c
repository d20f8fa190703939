/*
 * Templates back to Meta's JSON format, which is how the store keeps them: what is written is
 * exactly what a later parse reads back (examples, media handles and unknown components included).
 */
#include <stdlib.h>

#include "ativa/template.h"

static int set_str(json_t *obj, const char *key, const char *value)
{
    return value ? json_object_set_new(obj, key, json_string(value)) : 0;
}

/* example for a header or body: positional as Meta nests it, named as param_name/example. */
static json_t *examples_json(const ativa_template *t, ativa_template_component comp)
{
    bool named = t->parameter_format == ATIVA_TEMPLATE_NAMED;
    json_t *list = json_array();
    if (!list)
        return NULL;
    for (size_t i = 0; i < t->n_slots; i++) {
        const ativa_template_slot *s = &t->slots[i];
        if (s->component != comp)
            continue;
        if (!s->example) {
            if (!named)
                break; /* positional examples cannot skip a variable */
            continue;
        }
        json_t *item = named ? json_pack("{s:s,s:s}", "param_name", s->name, "example", s->example)
                             : json_string(s->example);
        if (json_array_append_new(list, item)) {
            json_decref(list);
            return NULL;
        }
    }
    if (json_array_size(list) == 0) {
        json_decref(list);
        return json_object();
    }
    const char *key;
    if (comp == ATIVA_TEMPLATE_COMPONENT_HEADER)
        key = named ? "header_text_named_params" : "header_text";
    else
        key = named ? "body_text_named_params" : "body_text";
    if (!named && comp == ATIVA_TEMPLATE_COMPONENT_BODY)
        list = json_pack("[o]", list);
    return list ? json_pack("{s:o}", key, list) : NULL;
}

static json_t *component_json(const char *type, const char *text, json_t *example_new)
{
    json_t *c = json_pack("{s:s}", "type", type);
    if (!c || set_str(c, "text", text)) {
        json_decref(c);
        json_decref(example_new);
        return NULL;
    }
    if (example_new && json_object_size(example_new) == 0)
        json_decref(example_new);
    else if (example_new && json_object_set_new(c, "example", example_new)) {
        json_decref(c);
        return NULL;
    }
    return c;
}

static json_t *buttons_json(const ativa_template *t)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < t->n_buttons; i++) {
        const ativa_template_button *b = &t->buttons[i];
        json_t *bj = json_pack("{s:s}", "type", b->type_raw);
        if (bj && (set_str(bj, "text", b->text) || set_str(bj, "url", b->url) ||
                   set_str(bj, "phone_number", b->phone_number) ||
                   (b->url_example &&
                    json_object_set_new(bj, "example", json_pack("[s]", b->url_example))))) {
            json_decref(bj);
            bj = NULL;
        }
        if (json_array_append_new(arr, bj)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr ? json_pack("{s:s,s:o}", "type", "BUTTONS", "buttons", arr) : NULL;
}

json_t *ativa_template_to_json_new(const ativa_template *t)
{
    if (!t)
        return NULL;
    json_t *obj = json_object();
    json_t *comps = json_array();
    if (!obj || !comps)
        goto fail;
    if (set_str(obj, "id", t->id) || set_str(obj, "name", t->name) ||
        set_str(obj, "language", t->language) || set_str(obj, "status", t->status_raw) ||
        set_str(obj, "category", t->category_raw) || set_str(obj, "sub_category", t->sub_category))
        goto fail;
    if (t->parameter_format_given &&
        set_str(obj, "parameter_format", ativa_template_param_format_name(t->parameter_format)))
        goto fail;
    if (t->header_format != ATIVA_TEMPLATE_HEADER_NONE) {
        json_t *ex;
        if (t->header_format == ATIVA_TEMPLATE_HEADER_TEXT)
            ex = examples_json(t, ATIVA_TEMPLATE_COMPONENT_HEADER);
        else if (t->header_handle)
            ex = json_pack("{s:[s]}", "header_handle", t->header_handle);
        else
            ex = json_object();
        if (!ex)
            goto fail;
        json_t *h = component_json("HEADER", t->header_text, ex);
        if (h && set_str(h, "format", t->header_format_raw)) {
            json_decref(h);
            goto fail;
        }
        if (json_array_append_new(comps, h))
            goto fail;
    }
    json_t *body_example = examples_json(t, ATIVA_TEMPLATE_COMPONENT_BODY);
    if (!body_example ||
        json_array_append_new(comps, component_json("BODY", t->body_text, body_example)))
        goto fail;
    if (t->footer_text &&
        json_array_append_new(comps, component_json("FOOTER", t->footer_text, NULL)))
        goto fail;
    if (t->has_buttons_component && json_array_append_new(comps, buttons_json(t)))
        goto fail;
    if (t->other_components && json_array_extend(comps, t->other_components))
        goto fail;
    if (json_object_set_new(obj, "components", comps)) {
        comps = NULL;
        goto fail;
    }
    return obj;
fail:
    json_decref(comps);
    json_decref(obj);
    return NULL;
}

ativa_template *ativa_template_copy_new(const ativa_template *tpl)
{
    /* Through Meta's format: the copy is exactly what a store reload would give. */
    json_t *obj = ativa_template_to_json_new(tpl);
    ativa_template *copy = NULL;
    if (obj && ativa_template_from_json_new(obj, &copy, NULL, 0) != ATIVA_OK)
        copy = NULL;
    json_decref(obj);
    return copy;
}
