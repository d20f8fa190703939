/* Conversations: creation, sends, ownership, expiry and finalization, with their indexes. */
#include "store_internal.h"

#include "ativa/phone.h"
#include "ativa/window.h"

#include <string.h>

#define PREVIEW_MAX_CHARS 120

static void id_key(store_key *k, uint64_t id)
{
    ativa_store__key_init(k);
    ativa_store__key_u64(k, id);
}

ativa_err ativa_store_conv_state(const json_t *conv, ativa_conv_state *out)
{
    if (conv == NULL || out == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    ativa_conv_phase phase;
    if (ativa_conv_phase_parse(ativa_store__jstr(conv, "phase"), &phase) != ATIVA_OK)
        return ATIVA_ERR_STORE_CORRUPT;
    int64_t window_ms = ativa_store__jint(conv, "window_ms", 0);
    if (window_ms <= 0)
        return ATIVA_ERR_STORE_CORRUPT;
    out->phase = phase;
    out->last_inbound_ms = ativa_store__jint(conv, "last_inbound_ms", ATIVA_NEVER);
    out->window_ms = window_ms;
    return ATIVA_OK;
}

json_t *ativa_store_conv_with_view_new(const json_t *conv, int64_t now_ms)
{
    ativa_conv_state s;
    if (ativa_store_conv_state(conv, &s) != ATIVA_OK)
        return NULL;
    ativa_conv_view v = ativa_conv_view_at(&s, now_ms);
    ativa_conv_state later = s;
    ativa_conv_advance(&later, now_ms);
    json_t *view = json_pack(
        "{s:s, s:b, s:I, s:b, s:b, s:b, s:I}", "phase", ativa_conv_phase_name(v.phase),
        "window_open", v.window_open, "expires_at_ms", (json_int_t)v.expires_at_ms,
        "composer_enabled", v.composer_enabled, "alert", v.alert, "offer_template",
        v.offer_template, "next_change_ms", (json_int_t)ativa_conv_next_change_ms(&later));
    json_t *copy = json_deep_copy(conv);
    if (view == NULL || copy == NULL || json_object_set_new(copy, "view", view) != 0) {
        json_decref(copy);
        return NULL;
    }
    return copy;
}

ativa_err ativa_store__conv_load(MDB_txn *txn, ativa_store *st, uint64_t id, json_t **out_new)
{
    if (id == 0)
        return ATIVA_ERR_NOT_FOUND;
    store_key k;
    id_key(&k, id);
    return ativa_store__get_json(txn, st->dbi[DB_CONVS], &k, out_new);
}

ativa_err ativa_store__conv_save(store_wtx *w, json_t *conv, const ativa_conv_state *s,
                                 int64_t now_ms)
{
    if (s != NULL) {
        ativa_store__jset_str(conv, "phase", ativa_conv_phase_name(s->phase));
        ativa_store__jset_int(conv, "last_inbound_ms", s->last_inbound_ms);
        ativa_store__jset_int(conv, "window_ms", s->window_ms);
    }
    ativa_store__jset_int(conv, "updated_ms", now_ms);
    store_key k;
    id_key(&k, (uint64_t)ativa_store__jint(conv, "id", 0));
    return ativa_store__put_json(w, DB_CONVS, &k, conv);
}

ativa_err ativa_store__conv_new(store_wtx *w, const char *line, const char *key, const char *wa_id,
                                uint64_t owner, const ativa_conv_state *s, int64_t now_ms,
                                json_t **out_new)
{
    uint64_t id;
    ativa_err e = ativa_store__next_id(w, "conversation", &id);
    if (e != ATIVA_OK)
        return e;
    json_t *conv =
        json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "id", (json_int_t)id, "line",
                  line, "customer", key, "wa_id", wa_id, "owner", (json_int_t)owner, "created_ms",
                  (json_int_t)now_ms, "finalized_ms", (json_int_t)0, "finalized_by", (json_int_t)0,
                  "messages", (json_int_t)0);
    if (conv == NULL)
        return ATIVA_ERR_NO_MEMORY;
    if ((e = ativa_store__conv_save(w, conv, s, now_ms)) != ATIVA_OK)
        goto fail;
    store_key pair, idk, idv;
    ativa_store__pair_key(&pair, line, key);
    id_key(&idv, id);
    if ((e = ativa_store__put_raw(w, DB_CONV_OPEN, &pair, idv.b, idv.n)) != ATIVA_OK ||
        (e = ativa_store__put_raw(w, DB_CONV_LAST, &pair, idv.b, idv.n)) != ATIVA_OK)
        goto fail;
    id_key(&idk, id);
    if ((e = ativa_store__put_raw(w, DB_CONV_OPEN_IDS, &idk, "", 0)) != ATIVA_OK)
        goto fail;
    w->out->conv = id;
    w->out->owner = owner;
    *out_new = conv;
    return ATIVA_OK;
fail:
    json_decref(conv);
    return e;
}

/* The id stored under (line, key) in an index of conversations, or 0. */
static ativa_err pair_lookup(MDB_txn *txn, ativa_store *st, int db, const char *line,
                             const char *key, uint64_t *id)
{
    store_key pair;
    ativa_store__pair_key(&pair, line, key);
    MDB_val v;
    *id = 0;
    ativa_err e = ativa_store__get_raw(txn, st->dbi[db], &pair, &v);
    if (e != ATIVA_OK)
        return e;
    if (v.mv_size != 8)
        return ATIVA_ERR_STORE_CORRUPT;
    *id = ativa_store__get_u64(v.mv_data);
    return ATIVA_OK;
}

static ativa_err check_template(const ativa_store_template_send *t)
{
    ativa_err e;
    if ((e = ativa_store__check_str(t->name, ATIVA_STORE_LABEL_MAX, true)) != ATIVA_OK ||
        (e = ativa_store__check_str(t->language, 16, true)) != ATIVA_OK ||
        (e = ativa_store__check_str(t->text, ATIVA_TEXT_MAX_CHARS * 4, false)) != ATIVA_OK ||
        (e = ativa_store__check_str(t->graph_body, ATIVA_STORE_BODY_MAX, true)) != ATIVA_OK)
        return e;
    if (t->components != NULL && !json_is_array(t->components))
        return ATIVA_ERR_INVALID_ARGUMENT;
    return ATIVA_OK;
}

/* Append an outbound message with its outbox entry; the conversation is saved by the caller. */
static ativa_err append_outbound(store_wtx *w, json_t *conv, json_t *msg, uint64_t agent,
                                 const char *body, int64_t now_ms)
{
    uint32_t seq;
    uint64_t outbox;
    ativa_err e;
    ativa_store__jset_str(msg, "direction", "out");
    ativa_store__jset_str(msg, "status", ativa_msg_status_name(ATIVA_STATUS_QUEUED));
    ativa_store__jset_int(msg, "ts_ms", now_ms);
    ativa_store__jset_int(msg, "status_ms", now_ms);
    ativa_store__jset_int(msg, "agent", (int64_t)agent);
    if ((e = ativa_store__msg_append(w, conv, msg, &seq)) != ATIVA_OK)
        return e;
    if ((e = ativa_store__outbox_add(w, conv, seq, body, now_ms, &outbox)) != ATIVA_OK)
        return e;
    ativa_store__jset_int(msg, "outbox", (int64_t)outbox);
    if ((e = ativa_store__msg_save(w, msg)) != ATIVA_OK)
        return e;
    w->out->seq = seq;
    w->out->outbox = outbox;
    return ATIVA_OK;
}

ativa_err ativa_store__apply_create(store_wtx *w, const ativa_store_in_create *in)
{
    char key[ATIVA_PHONE_MAX];
    json_t *cust = NULL, *conv = NULL, *msg = NULL;
    ativa_err e;
    if (in->agent == 0 || in->window_ms <= 0)
        return ATIVA_ERR_INVALID_ARGUMENT;
    if (in->customer == NULL)
        return ATIVA_ERR_PHONE_EMPTY;
    if ((e = ativa_phone_validate(in->customer, NULL)) != ATIVA_OK)
        return e;
    if ((e = ativa_phone_key(in->customer, key)) != ATIVA_OK)
        return e;
    if (in->tmpl != NULL && (e = check_template(in->tmpl)) != ATIVA_OK)
        return e;
    if ((e = ativa_store__line_exists(w->txn, w->st, in->line)) != ATIVA_OK)
        return e;
    uint64_t open_id;
    e = pair_lookup(w->txn, w->st, DB_CONV_OPEN, in->line, key, &open_id);
    if (e == ATIVA_OK) {
        w->out->conv = open_id;
        return ATIVA_ERR_CONVERSATION_OPEN;
    }
    if (e != ATIVA_ERR_NOT_FOUND)
        return e;

    ativa_conv_state s;
    int64_t last = ativa_store__window_last(w->txn, w->st, in->line, key);
    if ((e = ativa_conv_start(&s, last, in->window_ms, in->now_ms, in->tmpl != NULL)) != ATIVA_OK)
        return e;
    /* Send to the wa_id WhatsApp last reported for this customer: for an old Brazilian mobile it
     * is the 12-digit form, whichever form the agent typed. */
    store_key ck;
    ativa_store__key_init(&ck);
    ativa_store__key_raw(&ck, key);
    e = ativa_store__get_json(w->txn, w->st->dbi[DB_CUSTOMERS], &ck, &cust);
    if (e != ATIVA_OK && e != ATIVA_ERR_NOT_FOUND)
        return e;
    const char *send_to = cust != NULL && ativa_store__jstr(cust, "wa_id") != NULL
                              ? ativa_store__jstr(cust, "wa_id")
                              : in->customer;
    char to[ATIVA_PHONE_MAX];
    snprintf(to, sizeof to, "%s", send_to);
    json_decref(cust);
    if ((e = ativa_store__upsert_customer(w, key, to, NULL, in->now_ms)) != ATIVA_OK)
        return e;
    if ((e = ativa_store__conv_new(w, in->line, key, to, in->agent, &s, in->now_ms, &conv)) !=
        ATIVA_OK)
        return e;
    if (in->tmpl != NULL) {
        msg = ativa_store__template_msg_new(in->tmpl);
        if (msg == NULL) {
            e = ATIVA_ERR_NO_MEMORY;
            goto done;
        }
        e = append_outbound(w, conv, msg, in->agent, in->tmpl->graph_body, in->now_ms);
        if (e != ATIVA_OK)
            goto done;
        if ((e = ativa_store__conv_save(w, conv, NULL, in->now_ms)) != ATIVA_OK)
            goto done;
    }
    if ((e = ativa_store__event_conv(w, conv, in->now_ms)) != ATIVA_OK)
        goto done;
    if (msg != NULL)
        e = ativa_store__event_msg(w, "message", conv, msg, in->now_ms);
done:
    json_decref(msg);
    json_decref(conv);
    return e;
}

/* Load a conversation an agent acts on: it must exist and be the agent's. */
static ativa_err load_owned(store_wtx *w, uint64_t id, uint64_t agent, bool shared_ok,
                            json_t **conv, ativa_conv_state *s)
{
    if (agent == 0)
        return ATIVA_ERR_INVALID_ARGUMENT;
    ativa_err e = ativa_store__conv_load(w->txn, w->st, id, conv);
    if (e != ATIVA_OK)
        return e;
    w->out->conv = id;
    uint64_t owner = (uint64_t)ativa_store__jint(*conv, "owner", 0);
    w->out->owner = owner;
    if ((e = ativa_store_conv_state(*conv, s)) != ATIVA_OK)
        goto fail;
    if (owner != agent && !(shared_ok && owner == 0)) {
        e = s->phase == ATIVA_CONV_FINALIZED ? ATIVA_ERR_CONVERSATION_FINALIZED
                                             : ATIVA_ERR_FORBIDDEN;
        goto fail;
    }
    return ATIVA_OK;
fail:
    json_decref(*conv);
    *conv = NULL;
    return e;
}

/* Count UTF-8 characters (code points); the text was checked as valid UTF-8 already. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

ativa_err ativa_store__apply_send_text(store_wtx *w, const ativa_store_in_send_text *in)
{
    ativa_err e;
    if (in->text == NULL || in->text[0] == '\0')
        return ATIVA_ERR_TEXT_EMPTY;
    e = ativa_store__check_str(in->text, ATIVA_TEXT_MAX_CHARS * 4, true);
    if (e == ATIVA_ERR_TOO_LARGE || (e == ATIVA_OK && utf8_chars(in->text) > ATIVA_TEXT_MAX_CHARS))
        return ATIVA_ERR_TEXT_TOO_LONG;
    if (e != ATIVA_OK)
        return e;
    if ((e = ativa_store__check_str(in->graph_body, ATIVA_STORE_BODY_MAX, true)) != ATIVA_OK)
        return e;
    json_t *conv = NULL, *msg = NULL;
    ativa_conv_state s;
    if ((e = load_owned(w, in->conv, in->agent, false, &conv, &s)) != ATIVA_OK)
        return e;
    /* A phase change by expiry always refuses text, so a send that passes changes no phase. */
    if ((e = ativa_conv_check_text(&s, in->now_ms)) != ATIVA_OK)
        goto done;
    msg = json_pack("{s:s, s:s}", "kind", ativa_msg_kind_name(ATIVA_MSG_TEXT), "text", in->text);
    if (msg == NULL) {
        e = ATIVA_ERR_NO_MEMORY;
        goto done;
    }
    if ((e = append_outbound(w, conv, msg, in->agent, in->graph_body, in->now_ms)) != ATIVA_OK ||
        (e = ativa_store__conv_save(w, conv, &s, in->now_ms)) != ATIVA_OK ||
        (e = ativa_store__event_msg(w, "message", conv, msg, in->now_ms)) != ATIVA_OK)
        goto done;
done:
    json_decref(msg);
    json_decref(conv);
    return e;
}

ativa_err ativa_store__apply_send_template(store_wtx *w, const ativa_store_in_send_template *in)
{
    ativa_err e = check_template(&in->tmpl);
    if (e != ATIVA_OK)
        return e;
    json_t *conv = NULL, *msg = NULL;
    ativa_conv_state s;
    if ((e = load_owned(w, in->conv, in->agent, false, &conv, &s)) != ATIVA_OK)
        return e;
    ativa_conv_phase before = s.phase;
    ativa_conv_advance(&s, in->now_ms);
    if ((e = ativa_conv_template_sent(&s, in->now_ms)) != ATIVA_OK)
        goto done;
    msg = ativa_store__template_msg_new(&in->tmpl);
    if (msg == NULL) {
        e = ATIVA_ERR_NO_MEMORY;
        goto done;
    }
    if ((e = append_outbound(w, conv, msg, in->agent, in->tmpl.graph_body, in->now_ms)) !=
            ATIVA_OK ||
        (e = ativa_store__conv_save(w, conv, &s, in->now_ms)) != ATIVA_OK ||
        (e = ativa_store__event_msg(w, "message", conv, msg, in->now_ms)) != ATIVA_OK)
        goto done;
    if (s.phase != before)
        e = ativa_store__event_conv(w, conv, in->now_ms);
done:
    json_decref(msg);
    json_decref(conv);
    return e;
}

ativa_err ativa_store__apply_take(store_wtx *w, const ativa_store_in_conv *in)
{
    json_t *conv = NULL;
    ativa_conv_state s;
    ativa_err e = load_owned(w, in->conv, in->agent, true, &conv, &s);
    if (e != ATIVA_OK)
        return e;
    if (s.phase == ATIVA_CONV_FINALIZED)
        e = ATIVA_ERR_CONVERSATION_FINALIZED;
    else if ((uint64_t)ativa_store__jint(conv, "owner", 0) == in->agent)
        e = ATIVA_ERR_DUPLICATE;
    if (e != ATIVA_OK)
        goto done;
    ativa_store__jset_int(conv, "owner", (int64_t)in->agent);
    w->out->owner = in->agent;
    if ((e = ativa_store__conv_save(w, conv, NULL, in->now_ms)) == ATIVA_OK)
        e = ativa_store__event_conv(w, conv, in->now_ms);
done:
    json_decref(conv);
    return e;
}

ativa_err ativa_store__apply_advance(store_wtx *w, const ativa_store_in_conv *in)
{
    json_t *conv = NULL;
    ativa_conv_state s;
    ativa_err e = ativa_store__conv_load(w->txn, w->st, in->conv, &conv);
    if (e != ATIVA_OK)
        return e;
    w->out->conv = in->conv;
    w->out->owner = (uint64_t)ativa_store__jint(conv, "owner", 0);
    if ((e = ativa_store_conv_state(conv, &s)) != ATIVA_OK)
        goto done;
    if (!ativa_conv_advance(&s, in->now_ms))
        goto done;
    if ((e = ativa_store__conv_save(w, conv, &s, in->now_ms)) == ATIVA_OK)
        e = ativa_store__event_conv(w, conv, in->now_ms);
done:
    json_decref(conv);
    return e;
}

/* The start of the last message's text, for the history list. */
static char *preview_new(store_wtx *w, const json_t *conv)
{
    uint32_t last = (uint32_t)ativa_store__jint(conv, "messages", 0);
    json_t *msg = NULL;
    if (last == 0 ||
        ativa_store__msg_load(w->txn, w->st, (uint64_t)ativa_store__jint(conv, "id", 0), last,
                              &msg) != ATIVA_OK)
        return strdup("");
    const char *text = ativa_store__jstr(msg, "text");
    if (text == NULL)
        text = ativa_store__jstr(msg, "kind");
    if (text == NULL)
        text = "";
    size_t bytes = 0, chars = 0;
    while (text[bytes] != '\0') {
        if (((unsigned char)text[bytes] & 0xC0) != 0x80 && chars++ == PREVIEW_MAX_CHARS)
            break;
        bytes++;
    }
    char *p = strndup(text, bytes);
    json_decref(msg);
    return p;
}

ativa_err ativa_store__apply_finalize(store_wtx *w, const ativa_store_in_finalize *in)
{
    ativa_err e;
    if ((e = ativa_store__check_str(in->reason, ATIVA_STORE_REASON_MAX, false)) != ATIVA_OK ||
        (e = ativa_store__check_str(in->description, ATIVA_DESCRIPTION_MAX, false)) != ATIVA_OK)
        return e;
    json_t *conv = NULL;
    char *preview = NULL;
    ativa_conv_state s;
    if ((e = load_owned(w, in->conv, in->agent, true, &conv, &s)) != ATIVA_OK)
        return e;
    if ((e = ativa_conv_finalize(&s, in->description, in->now_ms)) != ATIVA_OK)
        goto done;
    ativa_store__jset_int(conv, "finalized_ms", in->now_ms);
    ativa_store__jset_int(conv, "finalized_by", (int64_t)in->agent);
    if (in->reason != NULL && in->reason[0] != '\0')
        ativa_store__jset_str(conv, "reason", in->reason);
    if (in->description != NULL && in->description[0] != '\0')
        ativa_store__jset_str(conv, "description", in->description);
    store_key pair, idk;
    ativa_store__pair_key(&pair, ativa_store__jstr(conv, "line"),
                          ativa_store__jstr(conv, "customer"));
    id_key(&idk, in->conv);
    if ((e = ativa_store__del(w, DB_CONV_OPEN, &pair)) != ATIVA_OK ||
        (e = ativa_store__del(w, DB_CONV_OPEN_IDS, &idk)) != ATIVA_OK ||
        (e = ativa_store__conv_save(w, conv, &s, in->now_ms)) != ATIVA_OK)
        goto done;
    preview = preview_new(w, conv);
    if (preview == NULL) {
        e = ATIVA_ERR_NO_MEMORY;
        goto done;
    }
    if ((e = ativa_store__attendance_write(w, conv, preview, &w->out->attendance)) != ATIVA_OK)
        goto done;
    e = ativa_store__event_conv(w, conv, in->now_ms);
done:
    free(preview);
    json_decref(conv);
    return e;
}

/* ---- reads ---- */

ativa_err ativa_store_get_conversation(ativa_store *st, uint64_t id, json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    MDB_txn *txn;
    ativa_err e = ativa_store__read_begin(st, &txn);
    if (e != ATIVA_OK)
        return e;
    e = ativa_store__conv_load(txn, st, id, out_new);
    ativa_store__read_end(st, txn);
    return e;
}

static ativa_err conv_by_pair(ativa_store *st, int db, const char *line, const char *number,
                              json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    char key[ATIVA_PHONE_MAX];
    if (st == NULL || ativa_store__check_digits(line, ATIVA_STORE_ID_MAX) != ATIVA_OK ||
        number == NULL || ativa_phone_key(number, key) != ATIVA_OK)
        return ATIVA_ERR_INVALID_ARGUMENT;
    MDB_txn *txn;
    ativa_err e = ativa_store__read_begin(st, &txn);
    if (e != ATIVA_OK)
        return e;
    uint64_t id;
    e = pair_lookup(txn, st, db, line, key, &id);
    if (e == ATIVA_OK)
        e = ativa_store__conv_load(txn, st, id, out_new);
    ativa_store__read_end(st, txn);
    return e;
}

ativa_err ativa_store_open_conversation(ativa_store *st, const char *line, const char *number,
                                        json_t **out_new)
{
    return conv_by_pair(st, DB_CONV_OPEN, line, number, out_new);
}

ativa_err ativa_store_last_conversation(ativa_store *st, const char *line, const char *number,
                                        json_t **out_new)
{
    return conv_by_pair(st, DB_CONV_LAST, line, number, out_new);
}

static bool open_conv_item(MDB_txn *txn, const MDB_val *key, const MDB_val *val, void *ctx,
                           json_t **item_new, ativa_err *err)
{
    (void)val;
    if (key->mv_size != 8) {
        *err = ATIVA_ERR_STORE_CORRUPT;
        return false;
    }
    *err = ativa_store__conv_load(txn, ctx, ativa_store__get_u64(key->mv_data), item_new);
    if (*err == ATIVA_ERR_NOT_FOUND)
        *err = ATIVA_ERR_STORE_CORRUPT; /* an index entry without its record */
    return *err == ATIVA_OK;
}

ativa_err ativa_store_list_open_conversations(ativa_store *st, json_t **out_new)
{
    if (out_new == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    *out_new = NULL;
    if (st == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    return ativa_store__scan(st, DB_CONV_OPEN_IDS, NULL, SIZE_MAX, open_conv_item, st, out_new);
}
