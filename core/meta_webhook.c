/*
 * Webhook bodies -> ativa_meta_batch (see meta.h for the contract, including why one malformed
 * item rejects the whole body).
 */
#include "ativa/meta.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Year 9999 in seconds: a larger timestamp is garbage, and its milliseconds would still fit. */
#define TIMESTAMP_MAX_S 253402300799LL
/* wa_ids are at most 15 digits, BSUIDs a few dozen characters; anything longer is not an id. */
#define ID_MAX_LEN 128

struct parser {
    ativa_meta_batch *batch;
    size_t message_cap, status_cap, template_cap, error_cap;
    bool oom;
    char *reason;
};

/* Our line, as the change's metadata names it. Strings borrowed from the parsed JSON. */
struct line {
    const char *waba_id;
    const char *phone_number_id;
    const char *display_phone_number;
};

static ativa_err malformed(struct parser *p, const char *fmt, ...)
{
    if (p->reason) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->reason, ATIVA_META_REASON_MAX, fmt, ap);
        va_end(ap);
    }
    return ATIVA_ERR_WEBHOOK_MALFORMED;
}

static char *pdup(struct parser *p, const char *s)
{
    if (!s)
        return NULL;
    char *copy = strdup(s);
    if (!copy)
        p->oom = true;
    return copy;
}

static char *pformat(struct parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *out = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (!out) {
        p->oom = true;
        return NULL;
    }
    va_start(ap, fmt);
    vsnprintf(out, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return out;
}

/* The string at obj[key], or NULL when absent or not a string. */
static const char *str_at(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static const char *nonempty_str_at(json_t *obj, const char *key)
{
    const char *s = str_at(obj, key);
    return s && *s ? s : NULL;
}

/* Grow one of the batch arrays by one zeroed element; NULL when out of memory. */
static void *push(struct parser *p, void **array, size_t *count, size_t *cap, size_t elem_size)
{
    if (*count == *cap) {
        size_t new_cap = *cap ? *cap * 2 : 4;
        void *grown = realloc(*array, new_cap * elem_size);
        if (!grown) {
            p->oom = true;
            return NULL;
        }
        *array = grown;
        *cap = new_cap;
    }
    void *elem = (char *)*array + *count * elem_size;
    memset(elem, 0, elem_size);
    (*count)++;
    return elem;
}

/* Meta sends seconds as a decimal string; older and simulated payloads send an integer. */
static bool parse_timestamp(json_t *value, int64_t *ms)
{
    long long seconds = 0;
    if (json_is_integer(value)) {
        seconds = json_integer_value(value);
    } else if (json_is_string(value)) {
        const char *s = json_string_value(value);
        size_t len = strlen(s);
        if (len == 0 || len > 12)
            return false;
        for (size_t i = 0; i < len; i++) {
            if (s[i] < '0' || s[i] > '9')
                return false;
            seconds = seconds * 10 + (s[i] - '0');
        }
    } else {
        return false;
    }
    if (seconds <= 0 || seconds > TIMESTAMP_MAX_S)
        return false;
    *ms = (int64_t)seconds * 1000;
    return true;
}

/* An id Meta sends as a string or as an integer (entry.id, message_template_id), as decimal. */
static bool id_text(json_t *value, char buf[32], const char **out)
{
    if (json_is_integer(value) && json_integer_value(value) >= 0) {
        snprintf(buf, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        *out = buf;
        return true;
    }
    const char *s = json_string_value(value);
    if (s && *s && strlen(s) <= ID_MAX_LEN) {
        *out = s;
        return true;
    }
    return false;
}

static void parse_error(struct parser *p, json_t *err, ativa_meta_error *out)
{
    if (!json_is_object(err))
        return;
    json_t *code = json_object_get(err, "code");
    out->code = json_is_integer(code) ? json_integer_value(code) : 0;
    out->title = pdup(p, str_at(err, "title"));
    out->message = pdup(p, str_at(err, "message"));
    out->details = pdup(p, str_at(json_object_get(err, "error_data"), "details"));
}

static void free_error(ativa_meta_error *e)
{
    free(e->title);
    free(e->message);
    free(e->details);
}

static const char *profile_name_of(json_t *contacts, const char *from, const char *from_user_id)
{
    size_t i;
    json_t *contact;
    json_array_foreach(contacts, i, contact)
    {
        const char *wa_id = str_at(contact, "wa_id");
        const char *user_id = str_at(contact, "user_id");
        if ((wa_id && strcmp(wa_id, from) == 0) ||
            (from_user_id && user_id && strcmp(user_id, from_user_id) == 0))
            return str_at(json_object_get(contact, "profile"), "name");
    }
    return NULL;
}

static void parse_media(struct parser *p, json_t *media, ativa_meta_inbound *m, const char *label)
{
    m->media_id = pdup(p, str_at(media, "id"));
    m->mime_type = pdup(p, str_at(media, "mime_type"));
    const char *caption = nonempty_str_at(media, "caption");
    if (m->kind == ATIVA_MSG_DOCUMENT)
        m->filename = pdup(p, nonempty_str_at(media, "filename"));
    if (m->kind == ATIVA_MSG_AUDIO)
        m->voice = json_is_true(json_object_get(media, "voice"));
    if (caption)
        m->text = pdup(p, caption);
    else if (m->filename)
        m->text = pformat(p, "[%s: %s]", label, m->filename);
    else
        m->text = pformat(p, "[%s]", label);
}

static void parse_location(struct parser *p, json_t *loc, ativa_meta_inbound *m)
{
    json_t *lat = json_object_get(loc, "latitude"), *lon = json_object_get(loc, "longitude");
    if (json_is_number(lat) && json_is_number(lon)) {
        m->has_location = true;
        m->latitude = json_number_value(lat);
        m->longitude = json_number_value(lon);
    }
    const char *name = nonempty_str_at(loc, "name"), *address = nonempty_str_at(loc, "address");
    if (name && address)
        m->text = pformat(p, "%s - %s", name, address);
    else if (name || address)
        m->text = pdup(p, name ? name : address);
    else if (m->has_location)
        m->text = pformat(p, "%.8g,%.8g", m->latitude, m->longitude);
    else
        m->text = pdup(p, "[localização]");
}

static const char *contact_name(json_t *contact)
{
    json_t *name = json_object_get(contact, "name");
    const char *formatted = nonempty_str_at(name, "formatted_name");
    return formatted ? formatted : nonempty_str_at(name, "first_name");
}

static void parse_contacts(struct parser *p, json_t *cards, ativa_meta_inbound *m)
{
    /* Names joined by ", "; measured first so the text is allocated once. */
    size_t i, total = 0, named = 0;
    json_t *card;
    json_array_foreach(cards, i, card)
    {
        const char *name = contact_name(card);
        if (name) {
            total += strlen(name) + 2;
            named++;
        }
    }
    if (named == 0) {
        m->text = pdup(p, "[contato]");
        return;
    }
    char *names = malloc(total + 1);
    if (!names) {
        p->oom = true;
        return;
    }
    names[0] = '\0';
    json_array_foreach(cards, i, card)
    {
        const char *name = contact_name(card);
        if (name) {
            if (names[0])
                strcat(names, ", ");
            strcat(names, name);
        }
    }
    m->text = pformat(p, "[%s: %s]", named == 1 ? "contato" : "contatos", names);
    free(names);
}

static void parse_interactive(struct parser *p, json_t *inter, ativa_meta_inbound *m)
{
    const char *type = str_at(inter, "type");
    json_t *reply = NULL;
    if (type && (strcmp(type, "button_reply") == 0 || strcmp(type, "list_reply") == 0))
        reply = json_object_get(inter, type);
    const char *title = nonempty_str_at(reply, "title");
    if (title) {
        m->text = pdup(p, title);
        m->payload = pdup(p, str_at(reply, "id"));
        m->description = pdup(p, str_at(reply, "description"));
    } else if (type && strcmp(type, "nfm_reply") == 0) {
        m->text = pdup(p, "[resposta de formulário]");
    } else {
        m->text = pdup(p, "[mensagem interativa]");
    }
}

static const struct {
    const char *type;
    ativa_msg_kind kind;
    const char *label; /* pt-BR, for media without a caption */
} inbound_types[] = {
    {"text", ATIVA_MSG_TEXT, NULL},
    {"button", ATIVA_MSG_BUTTON, NULL},
    {"interactive", ATIVA_MSG_INTERACTIVE, NULL},
    {"image", ATIVA_MSG_IMAGE, "imagem"},
    {"audio", ATIVA_MSG_AUDIO, "áudio"},
    {"video", ATIVA_MSG_VIDEO, "vídeo"},
    {"document", ATIVA_MSG_DOCUMENT, "documento"},
    {"sticker", ATIVA_MSG_STICKER, "figurinha"},
    {"location", ATIVA_MSG_LOCATION, NULL},
    {"contacts", ATIVA_MSG_CONTACTS, NULL},
    {"reaction", ATIVA_MSG_REACTION, NULL},
    {"order", ATIVA_MSG_ORDER, NULL},
};

/* Fills kind and text (and the kind's own fields); returns a reason when the message is bad. */
static const char *parse_content(struct parser *p, json_t *msg, ativa_meta_inbound *m)
{
    const char *type = str_at(msg, "type");
    const char *label = NULL;
    m->kind = ATIVA_MSG_UNSUPPORTED;
    for (size_t i = 0; type && i < sizeof inbound_types / sizeof inbound_types[0]; i++) {
        if (strcmp(type, inbound_types[i].type) == 0) {
            m->kind = inbound_types[i].kind;
            label = inbound_types[i].label;
            break;
        }
    }
    if (m->kind == ATIVA_MSG_UNSUPPORTED) {
        /* "unsupported" itself, and types newer than this parser: show them, never drop them. */
        m->text = pdup(p, "[mensagem não suportada]");
        return NULL;
    }
    json_t *content = json_object_get(msg, type);
    bool is_array = m->kind == ATIVA_MSG_CONTACTS;
    if (is_array ? !json_is_array(content) : !json_is_object(content))
        return "message content missing for its type";

    switch (m->kind) {
    case ATIVA_MSG_TEXT: {
        const char *body = str_at(content, "body");
        if (!body)
            return "text message without text.body";
        m->text = pdup(p, body);
        break;
    }
    case ATIVA_MSG_BUTTON: {
        const char *text = str_at(content, "text");
        if (!text)
            return "button message without button.text";
        m->text = pdup(p, text);
        m->payload = pdup(p, str_at(content, "payload"));
        break;
    }
    case ATIVA_MSG_INTERACTIVE:
        parse_interactive(p, content, m);
        break;
    case ATIVA_MSG_LOCATION:
        parse_location(p, content, m);
        break;
    case ATIVA_MSG_CONTACTS:
        parse_contacts(p, content, m);
        break;
    case ATIVA_MSG_REACTION: {
        const char *target = str_at(content, "message_id");
        if (!target || !*target || strlen(target) >= ATIVA_WAMID_MAX)
            return "reaction without a valid reaction.message_id";
        m->reacted_wamid = pdup(p, target);
        const char *emoji = nonempty_str_at(content, "emoji");
        /* An empty emoji is the customer taking the reaction back. */
        m->text = pdup(p, emoji ? emoji : "[reação removida]");
        break;
    }
    case ATIVA_MSG_ORDER: {
        size_t items = json_array_size(json_object_get(content, "product_items"));
        m->text = pformat(p, "[pedido: %zu %s]", items, items == 1 ? "item" : "itens");
        break;
    }
    default:
        parse_media(p, content, m, label);
        break;
    }
    return NULL;
}

static ativa_err parse_message(struct parser *p, json_t *msg, const struct line *line,
                               json_t *contacts, const char *where, size_t index)
{
    if (!json_is_object(msg))
        return malformed(p, "%s.messages[%zu]: not an object", where, index);
    const char *id = str_at(msg, "id");
    if (!id || !*id)
        return malformed(p, "%s.messages[%zu]: message without id", where, index);
    if (strlen(id) >= ATIVA_WAMID_MAX)
        return malformed(p, "%s.messages[%zu]: wamid too long", where, index);
    const char *from = str_at(msg, "from");
    if (!from || !*from || strlen(from) > ID_MAX_LEN)
        return malformed(p, "%s.messages[%zu]: message without a valid from", where, index);
    json_t *ts = json_object_get(msg, "timestamp");
    if (!ts)
        return malformed(p, "%s.messages[%zu]: message without timestamp", where, index);
    int64_t ts_ms;
    if (!parse_timestamp(ts, &ts_ms))
        return malformed(p, "%s.messages[%zu]: bad timestamp", where, index);
    json_t *context = json_object_get(msg, "context");
    const char *context_id = str_at(context, "id");
    if (context_id && strlen(context_id) >= ATIVA_WAMID_MAX)
        return malformed(p, "%s.messages[%zu]: context.id too long", where, index);

    ativa_meta_batch *b = p->batch;
    ativa_meta_inbound *m =
        push(p, (void **)&b->messages, &b->message_count, &p->message_cap, sizeof *m);
    if (!m)
        return ATIVA_ERR_NO_MEMORY;
    memcpy(m->wamid, id, strlen(id) + 1);
    m->timestamp_ms = ts_ms;
    m->phone_number_id = pdup(p, line->phone_number_id);
    m->display_phone_number = pdup(p, line->display_phone_number);
    m->from = pdup(p, from);
    const char *from_user_id = nonempty_str_at(msg, "from_user_id");
    m->from_user_id = pdup(p, from_user_id);
    m->profile_name = pdup(p, profile_name_of(contacts, from, from_user_id));
    m->context_id = pdup(p, context_id);
    m->forwarded = json_is_true(json_object_get(context, "forwarded"));
    m->frequently_forwarded = json_is_true(json_object_get(context, "frequently_forwarded"));
    parse_error(p, json_array_get(json_object_get(msg, "errors"), 0), &m->error);
    const char *bad = parse_content(p, msg, m);
    if (bad)
        return malformed(p, "%s.messages[%zu]: %s", where, index, bad);
    return p->oom ? ATIVA_ERR_NO_MEMORY : ATIVA_OK;
}

static ativa_err parse_status(struct parser *p, json_t *st, const struct line *line,
                              const char *where, size_t index)
{
    static const struct {
        const char *word;
        ativa_msg_status status;
    } words[] = {
        {"sent", ATIVA_STATUS_SENT},     {"delivered", ATIVA_STATUS_DELIVERED},
        {"read", ATIVA_STATUS_READ},     {"played", ATIVA_STATUS_READ},
        {"failed", ATIVA_STATUS_FAILED},
    };
    if (!json_is_object(st))
        return malformed(p, "%s.statuses[%zu]: not an object", where, index);
    const char *id = str_at(st, "id");
    if (!id || !*id)
        return malformed(p, "%s.statuses[%zu]: status without id", where, index);
    if (strlen(id) >= ATIVA_WAMID_MAX)
        return malformed(p, "%s.statuses[%zu]: wamid too long", where, index);
    const char *word = str_at(st, "status");
    if (!word)
        return malformed(p, "%s.statuses[%zu]: status without status", where, index);
    json_t *ts = json_object_get(st, "timestamp");
    if (!ts)
        return malformed(p, "%s.statuses[%zu]: status without timestamp", where, index);
    int64_t ts_ms;
    if (!parse_timestamp(ts, &ts_ms))
        return malformed(p, "%s.statuses[%zu]: bad timestamp", where, index);
    const char *recipient = str_at(st, "recipient_id");
    if (recipient && strlen(recipient) > ID_MAX_LEN)
        return malformed(p, "%s.statuses[%zu]: recipient_id too long", where, index);

    ativa_msg_status status = ATIVA_STATUS_NONE;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(word, words[i].word) == 0)
            status = words[i].status;
    if (status == ATIVA_STATUS_NONE)
        return ATIVA_OK; /* a status word newer than this parser: nothing to move forward */

    ativa_meta_batch *b = p->batch;
    ativa_meta_status *s =
        push(p, (void **)&b->statuses, &b->status_count, &p->status_cap, sizeof *s);
    if (!s)
        return ATIVA_ERR_NO_MEMORY;
    memcpy(s->wamid, id, strlen(id) + 1);
    s->status = status;
    s->played = strcmp(word, "played") == 0;
    s->timestamp_ms = ts_ms;
    s->phone_number_id = pdup(p, line->phone_number_id);
    s->display_phone_number = pdup(p, line->display_phone_number);
    s->recipient_id = pdup(p, recipient);
    parse_error(p, json_array_get(json_object_get(st, "errors"), 0), &s->error);
    return p->oom ? ATIVA_ERR_NO_MEMORY : ATIVA_OK;
}

static ativa_err parse_value_errors(struct parser *p, json_t *errors, const struct line *line)
{
    size_t i;
    json_t *err;
    json_array_foreach(errors, i, err)
    {
        if (!json_is_object(err))
            continue;
        ativa_meta_batch *b = p->batch;
        ativa_meta_value_error *e =
            push(p, (void **)&b->errors, &b->error_count, &p->error_cap, sizeof *e);
        if (!e)
            return ATIVA_ERR_NO_MEMORY;
        e->waba_id = pdup(p, line->waba_id);
        e->phone_number_id = pdup(p, line->phone_number_id);
        parse_error(p, err, &e->error);
    }
    return p->oom ? ATIVA_ERR_NO_MEMORY : ATIVA_OK;
}

/* Optional arrays must be arrays when present. */
static bool optional_array(json_t *obj, const char *key, json_t **out)
{
    *out = json_object_get(obj, key);
    return !*out || json_is_array(*out);
}

static ativa_err parse_messages_value(struct parser *p, json_t *value, const char *waba_id,
                                      const char *where)
{
    json_t *messages, *statuses, *contacts, *errors;
    if (!optional_array(value, "messages", &messages))
        return malformed(p, "%s.messages is not an array", where);
    if (!optional_array(value, "statuses", &statuses))
        return malformed(p, "%s.statuses is not an array", where);
    if (!optional_array(value, "contacts", &contacts))
        return malformed(p, "%s.contacts is not an array", where);
    if (!optional_array(value, "errors", &errors))
        return malformed(p, "%s.errors is not an array", where);

    json_t *metadata = json_object_get(value, "metadata");
    struct line line = {waba_id, nonempty_str_at(metadata, "phone_number_id"),
                        str_at(metadata, "display_phone_number")};
    if (line.phone_number_id && strlen(line.phone_number_id) > ID_MAX_LEN)
        return malformed(p, "%s.metadata.phone_number_id too long", where);
    if (!line.phone_number_id && (json_array_size(messages) || json_array_size(statuses)))
        return malformed(p, "%s: messages or statuses without metadata.phone_number_id", where);

    ativa_err err = ATIVA_OK;
    size_t i;
    json_t *item;
    json_array_foreach(messages, i, item)
    {
        if ((err = parse_message(p, item, &line, contacts, where, i)))
            return err;
    }
    json_array_foreach(statuses, i, item)
    {
        if ((err = parse_status(p, item, &line, where, i)))
            return err;
    }
    return parse_value_errors(p, errors, &line);
}

static ativa_err parse_template_value(struct parser *p, json_t *value, const char *waba_id,
                                      const char *where)
{
    const char *event = nonempty_str_at(value, "event");
    if (!event)
        return malformed(p, "%s: template status update without event", where);
    char id_buf[32];
    const char *template_id;
    if (!id_text(json_object_get(value, "message_template_id"), id_buf, &template_id))
        return malformed(p, "%s: template status update without a valid message_template_id",
                         where);
    ativa_meta_batch *b = p->batch;
    ativa_meta_template_update *t = push(p, (void **)&b->template_updates,
                                         &b->template_update_count, &p->template_cap, sizeof *t);
    if (!t)
        return ATIVA_ERR_NO_MEMORY;
    t->waba_id = pdup(p, waba_id);
    t->event = pdup(p, event);
    t->template_id = pdup(p, template_id);
    t->name = pdup(p, str_at(value, "message_template_name"));
    t->language = pdup(p, str_at(value, "message_template_language"));
    t->reason = pdup(p, str_at(value, "reason"));
    t->category = pdup(p, str_at(value, "message_template_category"));
    return p->oom ? ATIVA_ERR_NO_MEMORY : ATIVA_OK;
}

static ativa_err parse_entry(struct parser *p, json_t *entry, size_t e)
{
    if (!json_is_object(entry))
        return malformed(p, "entry[%zu] is not an object", e);
    char id_buf[32];
    const char *waba_id = NULL;
    json_t *id = json_object_get(entry, "id");
    if (id && !id_text(id, id_buf, &waba_id))
        return malformed(p, "entry[%zu].id is not a valid id", e);
    json_t *changes = json_object_get(entry, "changes");
    if (!json_is_array(changes))
        return malformed(p, "entry[%zu].changes is not an array", e);

    size_t c;
    json_t *change;
    json_array_foreach(changes, c, change)
    {
        char where[64];
        snprintf(where, sizeof where, "entry[%zu].changes[%zu].value", e, c);
        if (!json_is_object(change))
            return malformed(p, "entry[%zu].changes[%zu] is not an object", e, c);
        const char *field = str_at(change, "field");
        if (!field)
            return malformed(p, "entry[%zu].changes[%zu] without field", e, c);
        bool messages = strcmp(field, "messages") == 0;
        if (!messages && strcmp(field, "message_template_status_update") != 0)
            continue; /* a subscription we do not act on */
        json_t *value = json_object_get(change, "value");
        if (!json_is_object(value))
            return malformed(p, "%s is not an object", where);
        ativa_err err = messages ? parse_messages_value(p, value, waba_id, where)
                                 : parse_template_value(p, value, waba_id, where);
        if (err)
            return err;
    }
    return ATIVA_OK;
}

/* jansson bounds its own recursion; this keeps absurd nesting out of everything after it. */
static bool depth_within(json_t *v, int depth)
{
    if (depth > ATIVA_META_WEBHOOK_MAX_DEPTH)
        return false;
    size_t i;
    const char *key;
    json_t *child;
    if (json_is_object(v)) {
        json_object_foreach(v, key, child)
        {
            if (!depth_within(child, depth + 1))
                return false;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, child)
        {
            if (!depth_within(child, depth + 1))
                return false;
        }
    }
    return true;
}

ativa_err ativa_meta_webhook_parse(const char *body, size_t body_len, ativa_meta_batch **out,
                                   char reason[ATIVA_META_REASON_MAX])
{
    if (reason)
        reason[0] = '\0';
    if (!out)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (!body)
        return ATIVA_ERR_INVALID_ARGUMENT;
    if (body_len > ATIVA_META_WEBHOOK_MAX_BYTES)
        return ATIVA_ERR_TOO_LARGE;

    struct parser p = {.reason = reason};
    ativa_err err;
    json_t *root = json_loadb(body, body_len, JSON_REJECT_DUPLICATES, NULL);
    if (!root) {
        err = malformed(&p, "not JSON");
        goto fail;
    }
    if (!depth_within(root, 1)) {
        err = malformed(&p, "JSON nested too deeply");
        goto fail;
    }
    if (!json_is_object(root)) {
        err = malformed(&p, "not a JSON object");
        goto fail;
    }
    const char *object = str_at(root, "object");
    if (!object || strcmp(object, "whatsapp_business_account") != 0) {
        err = malformed(&p, "object is not whatsapp_business_account");
        goto fail;
    }
    json_t *entries = json_object_get(root, "entry");
    if (!json_is_array(entries)) {
        err = malformed(&p, "entry is not an array");
        goto fail;
    }
    p.batch = calloc(1, sizeof *p.batch);
    if (!p.batch) {
        err = ATIVA_ERR_NO_MEMORY;
        goto fail;
    }
    size_t e;
    json_t *entry;
    json_array_foreach(entries, e, entry)
    {
        if ((err = parse_entry(&p, entry, e)))
            goto fail;
    }
    json_decref(root);
    *out = p.batch;
    return ATIVA_OK;
fail:
    if (err != ATIVA_ERR_WEBHOOK_MALFORMED && reason)
        reason[0] = '\0';
    json_decref(root);
    ativa_meta_batch_free(p.batch);
    return err;
}

void ativa_meta_batch_free(ativa_meta_batch *batch)
{
    if (!batch)
        return;
    for (size_t i = 0; i < batch->message_count; i++) {
        ativa_meta_inbound *m = &batch->messages[i];
        free(m->phone_number_id);
        free(m->display_phone_number);
        free(m->from);
        free(m->from_user_id);
        free(m->profile_name);
        free(m->text);
        free(m->payload);
        free(m->description);
        free(m->media_id);
        free(m->mime_type);
        free(m->filename);
        free(m->reacted_wamid);
        free(m->context_id);
        free_error(&m->error);
    }
    for (size_t i = 0; i < batch->status_count; i++) {
        ativa_meta_status *s = &batch->statuses[i];
        free(s->phone_number_id);
        free(s->display_phone_number);
        free(s->recipient_id);
        free_error(&s->error);
    }
    for (size_t i = 0; i < batch->template_update_count; i++) {
        ativa_meta_template_update *t = &batch->template_updates[i];
        free(t->waba_id);
        free(t->event);
        free(t->template_id);
        free(t->name);
        free(t->language);
        free(t->reason);
        free(t->category);
    }
    for (size_t i = 0; i < batch->error_count; i++) {
        free(batch->errors[i].waba_id);
        free(batch->errors[i].phone_number_id);
        free_error(&batch->errors[i].error);
    }
    free(batch->messages);
    free(batch->statuses);
    free(batch->template_updates);
    free(batch->errors);
    free(batch);
}

/* ---- canonical JSON rendering ---- */

/* Each setter records a failure in *ok instead of returning it, to keep the renderers flat. */
static void put(json_t *obj, const char *key, json_t *value, bool *ok)
{
    if (!value || json_object_set_new(obj, key, value) != 0)
        *ok = false;
}

static void put_str(json_t *obj, const char *key, const char *s, bool *ok)
{
    if (s)
        put(obj, key, json_string(s), ok);
}

static void put_true(json_t *obj, const char *key, bool flag, bool *ok)
{
    if (flag)
        put(obj, key, json_true(), ok);
}

static void put_error(json_t *obj, const ativa_meta_error *e, bool *ok)
{
    if (!e->code && !e->title && !e->message && !e->details)
        return;
    json_t *err = json_object();
    if (!err) {
        *ok = false;
        return;
    }
    put(err, "code", json_integer(e->code), ok);
    put_str(err, "title", e->title, ok);
    put_str(err, "message", e->message, ok);
    put_str(err, "details", e->details, ok);
    put(obj, "error", err, ok);
}

static json_t *inbound_to_json(const ativa_meta_inbound *m, bool *ok)
{
    json_t *o = json_object();
    if (!o) {
        *ok = false;
        return NULL;
    }
    put_str(o, "phone_number_id", m->phone_number_id, ok);
    put_str(o, "display_phone_number", m->display_phone_number, ok);
    put_str(o, "from", m->from, ok);
    put_str(o, "from_user_id", m->from_user_id, ok);
    put_str(o, "profile_name", m->profile_name, ok);
    put_str(o, "wamid", m->wamid, ok);
    put(o, "timestamp_ms", json_integer(m->timestamp_ms), ok);
    put_str(o, "kind", ativa_msg_kind_name(m->kind), ok);
    put_str(o, "text", m->text, ok);
    put_str(o, "payload", m->payload, ok);
    put_str(o, "description", m->description, ok);
    put_str(o, "media_id", m->media_id, ok);
    put_str(o, "mime_type", m->mime_type, ok);
    put_str(o, "filename", m->filename, ok);
    put_true(o, "voice", m->voice, ok);
    if (m->has_location) {
        put(o, "latitude", json_real(m->latitude), ok);
        put(o, "longitude", json_real(m->longitude), ok);
    }
    put_str(o, "reacted_wamid", m->reacted_wamid, ok);
    put_str(o, "context_id", m->context_id, ok);
    put_true(o, "forwarded", m->forwarded, ok);
    put_true(o, "frequently_forwarded", m->frequently_forwarded, ok);
    put_error(o, &m->error, ok);
    return o;
}

static json_t *status_to_json(const ativa_meta_status *s, bool *ok)
{
    json_t *o = json_object();
    if (!o) {
        *ok = false;
        return NULL;
    }
    put_str(o, "phone_number_id", s->phone_number_id, ok);
    put_str(o, "display_phone_number", s->display_phone_number, ok);
    put_str(o, "wamid", s->wamid, ok);
    put_str(o, "status", ativa_msg_status_name(s->status),
            ok);
    put_true(o, "played", s->played, ok);
    put(o, "timestamp_ms", json_integer(s->timestamp_ms), ok);
    put_str(o, "recipient_id", s->recipient_id, ok);
    put_error(o, &s->error, ok);
    return o;
}

static json_t *template_to_json(const ativa_meta_template_update *t, bool *ok)
{
    json_t *o = json_object();
    if (!o) {
        *ok = false;
        return NULL;
    }
    put_str(o, "waba_id", t->waba_id, ok);
    put_str(o, "event", t->event, ok);
    put_str(o, "template_id", t->template_id, ok);
    put_str(o, "name", t->name, ok);
    put_str(o, "language", t->language, ok);
    put_str(o, "reason", t->reason, ok);
    put_str(o, "category", t->category, ok);
    return o;
}

static json_t *value_error_to_json(const ativa_meta_value_error *e, bool *ok)
{
    json_t *o = json_object();
    if (!o) {
        *ok = false;
        return NULL;
    }
    put_str(o, "waba_id", e->waba_id, ok);
    put_str(o, "phone_number_id", e->phone_number_id, ok);
    put_error(o, &e->error, ok);
    return o;
}

static void append(json_t *array, json_t *item, bool *ok)
{
    if (!item || json_array_append_new(array, item) != 0)
        *ok = false;
}

json_t *ativa_meta_batch_to_json_new(const ativa_meta_batch *batch)
{
    if (!batch)
        return NULL;
    bool ok = true;
    json_t *messages = json_array(), *statuses = json_array();
    json_t *templates = json_array(), *errors = json_array();
    json_t *root = json_object();
    if (!messages || !statuses || !templates || !errors || !root)
        ok = false;
    for (size_t i = 0; ok && i < batch->message_count; i++)
        append(messages, inbound_to_json(&batch->messages[i], &ok), &ok);
    for (size_t i = 0; ok && i < batch->status_count; i++)
        append(statuses, status_to_json(&batch->statuses[i], &ok), &ok);
    for (size_t i = 0; ok && i < batch->template_update_count; i++)
        append(templates, template_to_json(&batch->template_updates[i], &ok), &ok);
    for (size_t i = 0; ok && i < batch->error_count; i++)
        append(errors, value_error_to_json(&batch->errors[i], &ok), &ok);
    if (!ok) {
        json_decref(messages);
        json_decref(statuses);
        json_decref(templates);
        json_decref(errors);
        json_decref(root);
        return NULL;
    }
    put(root, "messages", messages, &ok);
    put(root, "statuses", statuses, &ok);
    put(root, "template_updates", templates, &ok);
    put(root, "errors", errors, &ok);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}
