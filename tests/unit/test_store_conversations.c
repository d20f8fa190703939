/* Conversations in the store: inbound messages, creation, sends, ownership, expiry, finalizing. */
#include "store_support.h"

#include "ativa/conversation.h"

static int setup_line(void **state)
{
    if (fixture_setup(state) != 0)
        return -1;
    store_fixture *f = *state;
    return put_line(f->st, LINE, WABA) == ATIVA_OK ? 0 : -1;
}

static json_t *conv_get(ativa_store *st, uint64_t id)
{
    json_t *c = NULL;
    assert_int_equal(ativa_store_get_conversation(st, id, &c), ATIVA_OK);
    return c;
}

static json_t *event_get(ativa_store *st, uint64_t seq)
{
    json_t *evs = NULL;
    assert_int_equal(ativa_store_events_after(st, seq - 1, 1, &evs), ATIVA_OK);
    assert_int_equal(json_array_size(evs), 1);
    json_t *ev = json_incref(json_array_get(evs, 0));
    json_decref(evs);
    return ev;
}

static void inbound_opens_shared_conversation(void **state)
{
    store_fixture *f = *state;
    ativa_store_out out;
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.1", T0, "Olá", &out), ATIVA_OK);
    assert_true(out.created);
    assert_int_equal(out.seq, 1);
    assert_int_equal(out.owner, 0);
    assert_int_equal(out.event_first, 1);
    assert_int_equal(out.event_last, 2);
    json_t *c = conv_get(f->st, out.conv);
    assert_int_equal(jint(c, "owner"), 0);
    assert_string_equal(jstr(c, "phase"), "open");
    assert_int_equal(jint(c, "last_inbound_ms"), T0);
    assert_string_equal(jstr(c, "customer"), "5511999990001");
    assert_int_equal(jint(c, "messages"), 1);
    json_decref(c);

    json_t *ev = event_get(f->st, 1);
    assert_string_equal(jstr(ev, "type"), "conversation");
    assert_int_equal(jint(ev, "conversation"), out.conv);
    assert_string_equal(jstr(ev, "line"), LINE);
    json_t *view = json_object_get(json_object_get(ev, "data"), "view");
    assert_true(json_is_true(json_object_get(view, "composer_enabled")));
    assert_int_equal(jint(view, "expires_at_ms"), T0 + DAY);
    json_decref(ev);
    ev = event_get(f->st, 2);
    assert_string_equal(jstr(ev, "type"), "message");
    assert_string_equal(jstr(json_object_get(ev, "data"), "text"), "Olá");
    assert_string_equal(jstr(json_object_get(ev, "data"), "direction"), "in");
    json_decref(ev);

    /* A second message joins the same conversation and moves the window. */
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.2", T0 + 5000, "?", &out),
                     ATIVA_OK);
    assert_false(out.created);
    assert_int_equal(out.seq, 2);
    int64_t last;
    assert_int_equal(ativa_store_get_window(f->st, LINE, "5511999990001", &last), ATIVA_OK);
    assert_int_equal(last, T0 + 5000);
    /* An older message delivered late does not pull the window back. */
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.0", T0 - 5000, "!", &out),
                     ATIVA_OK);
    assert_int_equal(ativa_store_get_window(f->st, LINE, "5511999990001", &last), ATIVA_OK);
    assert_int_equal(last, T0 + 5000);
    assert_int_equal(ativa_store_get_window(f->st, LINE2, "5511999990001", &last), ATIVA_OK);
    assert_int_equal(last, ATIVA_NEVER);

    json_t *msgs = NULL;
    assert_int_equal(ativa_store_list_messages(f->st, out.conv, 0, 10, &msgs), ATIVA_OK);
    assert_int_equal(json_array_size(msgs), 3);
    assert_string_equal(jstr(json_array_get(msgs, 2), "wamid"), "wamid.0");
    json_decref(msgs);
    assert_int_equal(ativa_store_list_messages(f->st, out.conv, 2, 10, &msgs), ATIVA_OK);
    assert_int_equal(json_array_size(msgs), 1);
    json_decref(msgs);
    assert_int_equal(ativa_store_list_messages(f->st, 999, 0, 10, &msgs), ATIVA_OK);
    assert_int_equal(json_array_size(msgs), 0);
    json_decref(msgs);
    assert_int_equal(ativa_store_list_messages(f->st, out.conv, 0, 0, &msgs),
                     ATIVA_ERR_INVALID_ARGUMENT);
    check_events_contiguous(f->st);
}

static void redelivery_is_stored_once(void **state)
{
    store_fixture *f = *state;
    ativa_store_out first, again;
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.r", T0, "oi", &first), ATIVA_OK);
    uint64_t last_before;
    assert_int_equal(ativa_store_last_event_seq(f->st, &last_before), ATIVA_OK);
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.r", T0, "oi", &again),
                     ATIVA_ERR_DUPLICATE);
    assert_int_equal(again.conv, first.conv);
    assert_int_equal(again.seq, first.seq);
    assert_int_equal(again.event_first, 0);
    uint64_t last_after;
    assert_int_equal(ativa_store_last_event_seq(f->st, &last_after), ATIVA_OK);
    assert_int_equal(last_after, last_before);
    assert_int_equal(db_entries(f->st, "messages"), 1);
}

static void ninth_digit_forms_are_one_customer(void **state)
{
    store_fixture *f = *state;
    ativa_store_out created, in;
    /* The agent types the 13-digit number; WhatsApp answers from the 12-digit wa_id. */
    assert_int_equal(create_conv(f->st, LINE, "5511987654321", 7, T0, true, &created), ATIVA_OK);
    assert_int_equal(inbound(f->st, LINE, "551187654321", "wamid.n", T0 + 1000, "oi", &in),
                     ATIVA_OK);
    assert_false(in.created);
    assert_int_equal(in.conv, created.conv);
    assert_int_equal(db_entries(f->st, "customers"), 1);
    json_t *c = NULL;
    assert_int_equal(ativa_store_get_customer(f->st, "551187654321", &c), ATIVA_OK);
    assert_string_equal(jstr(c, "key"), "5511987654321");
    assert_string_equal(jstr(c, "wa_id"), "551187654321");
    assert_string_equal(jstr(c, "profile_name"), "Maria");
    json_decref(c);
    json_t *conv = conv_get(f->st, created.conv);
    assert_string_equal(jstr(conv, "wa_id"), "551187654321");
    assert_string_equal(jstr(conv, "phase"), "open"); /* the reply reopened the window */
    json_decref(conv);
    int64_t last;
    assert_int_equal(ativa_store_get_window(f->st, LINE, "5511987654321", &last), ATIVA_OK);
    assert_int_equal(last, T0 + 1000);
    assert_int_equal(ativa_store_open_conversation(f->st, LINE, "551187654321", &conv), ATIVA_OK);
    assert_int_equal(jint(conv, "id"), created.conv);
    json_decref(conv);

    /* After finalizing, a new conversation sends to the wa_id WhatsApp reported. */
    assert_int_equal(finalize(f->st, created.conv, 7, NULL, NULL, T0 + 2000, NULL), ATIVA_OK);
    ativa_store_out next;
    assert_int_equal(create_conv(f->st, LINE, "5511987654321", 7, T0 + 3000, false, &next),
                     ATIVA_OK);
    conv = conv_get(f->st, next.conv);
    assert_string_equal(jstr(conv, "wa_id"), "551187654321");
    json_decref(conv);
    assert_int_equal(ativa_store_get_customer(f->st, "12ab", &c), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_customer(f->st, "5511900000000", &c), ATIVA_ERR_NOT_FOUND);
}

static void inbound_refusals_change_nothing(void **state)
{
    store_fixture *f = *state;
    assert_int_equal(inbound(f->st, "999", "5511999990001", "w", T0, "x", NULL),
                     ATIVA_ERR_NOT_FOUND);
    assert_int_equal(inbound(f->st, LINE, "55+11", "w", T0, "x", NULL), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "", T0, "x", NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "w", -1, "x", NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    char wamid[ATIVA_WAMID_MAX + 1];
    memset(wamid, 'w', sizeof wamid - 1);
    wamid[sizeof wamid - 1] = '\0';
    assert_int_equal(inbound(f->st, LINE, "5511999990001", wamid, T0, "x", NULL),
                     ATIVA_ERR_TOO_LARGE);
    ativa_store_op op = {.kind = ATIVA_STORE_RECORD_INBOUND};
    op.in.inbound.line = LINE;
    op.in.inbound.from = "5511999990001";
    op.in.inbound.wamid = "w";
    op.in.inbound.kind = ATIVA_MSG__KIND_COUNT;
    op.in.inbound.window_ms = DAY;
    assert_int_equal(ativa_store_execute(f->st, &op), ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(db_entries(f->st, "messages"), 0);
    assert_int_equal(db_entries(f->st, "customers"), 0);
    assert_int_equal(db_entries(f->st, "events"), 0);
}

static void create_with_window_open_and_closed(void **state)
{
    store_fixture *f = *state;
    ativa_store_out out;
    /* Never wrote: the window is closed, a template is required. */
    assert_int_equal(create_conv(f->st, LINE, "5511999990001", 7, T0, false, &out),
                     ATIVA_ERR_TEMPLATE_REQUIRED);
    assert_int_equal(db_entries(f->st, "conversations"), 0);
    assert_int_equal(create_conv(f->st, LINE, "5511999990001", 7, T0, true, &out), ATIVA_OK);
    assert_int_equal(out.owner, 7);
    assert_int_equal(out.seq, 1);
    assert_true(out.outbox != 0);
    json_t *c = conv_get(f->st, out.conv);
    assert_string_equal(jstr(c, "phase"), "awaiting_reply");
    assert_int_equal(jint(c, "owner"), 7);
    json_decref(c);
    json_t *msgs = NULL;
    assert_int_equal(ativa_store_list_messages(f->st, out.conv, 0, 10, &msgs), ATIVA_OK);
    json_t *m = json_array_get(msgs, 0);
    assert_string_equal(jstr(m, "kind"), "template");
    assert_string_equal(jstr(m, "status"), "queued");
    assert_string_equal(jstr(m, "direction"), "out");
    assert_string_equal(jstr(json_object_get(m, "template"), "name"), "boas_vindas");
    assert_int_equal(jint(m, "outbox"), out.outbox);
    json_decref(msgs);
    json_t *ob = NULL;
    assert_int_equal(ativa_store_get_outbox(f->st, out.outbox, &ob), ATIVA_OK);
    assert_string_equal(jstr(ob, "to"), "5511999990001");
    assert_string_equal(jstr(ob, "state"), "queued");
    assert_true(strstr(jstr(ob, "body"), "template") != NULL);
    json_decref(ob);
    /* Only one open conversation per (line, customer). */
    ativa_store_out dup;
    assert_int_equal(create_conv(f->st, LINE, "5511999990001", 8, T0, true, &dup),
                     ATIVA_ERR_CONVERSATION_OPEN);
    assert_int_equal(dup.conv, out.conv);
    assert_int_equal(dup.event_first, 0);
    check_events_contiguous(f->st);

    /* Window open: no template needed, the phase is open. */
    assert_int_equal(inbound(f->st, LINE, "5521988887777", "wamid.o", T0, "oi", &out), ATIVA_OK);
    assert_int_equal(finalize(f->st, out.conv, 9, NULL, NULL, T0 + 10, NULL), ATIVA_OK);
    assert_int_equal(create_conv(f->st, LINE, "5521988887777", 9, T0 + 20, false, &out), ATIVA_OK);
    c = conv_get(f->st, out.conv);
    assert_string_equal(jstr(c, "phase"), "open");
    assert_int_equal(jint(c, "messages"), 0);
    json_decref(c);
}

static void create_refusals(void **state)
{
    store_fixture *f = *state;
    assert_int_equal(create_conv(f->st, LINE, "1234567", 7, T0, true, NULL),
                     ATIVA_ERR_PHONE_TOO_SHORT);
    assert_int_equal(create_conv(f->st, LINE, "5500999990001", 7, T0, true, NULL),
                     ATIVA_ERR_PHONE_UNKNOWN_DDD);
    assert_int_equal(create_conv(f->st, LINE, "+5511999990001", 7, T0, true, NULL),
                     ATIVA_ERR_PHONE_NON_DIGIT);
    assert_int_equal(create_conv(f->st, LINE, NULL, 7, T0, true, NULL), ATIVA_ERR_PHONE_EMPTY);
    assert_int_equal(create_conv(f->st, "777", "5511999990001", 7, T0, true, NULL),
                     ATIVA_ERR_NOT_FOUND);
    assert_int_equal(create_conv(f->st, LINE, "5511999990001", 0, T0, true, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    ativa_store_template_send t = {.name = "x", .language = "pt_BR", .graph_body = NULL};
    ativa_store_op op = {.kind = ATIVA_STORE_CREATE_CONVERSATION};
    op.in.create.line = LINE;
    op.in.create.customer = "5511999990001";
    op.in.create.agent = 7;
    op.in.create.window_ms = DAY;
    op.in.create.tmpl = &t;
    assert_int_equal(ativa_store_execute(f->st, &op), ATIVA_ERR_INVALID_ARGUMENT);
    t.graph_body = "{}";
    json_t *not_array = json_object();
    t.components = not_array;
    assert_int_equal(ativa_store_execute(f->st, &op), ATIVA_ERR_INVALID_ARGUMENT);
    json_decref(not_array);
    assert_int_equal(db_entries(f->st, "conversations"), 0);
    assert_int_equal(db_entries(f->st, "customers"), 0);
    assert_int_equal(db_entries(f->st, "outbox"), 0);
}

static void send_text_follows_the_window(void **state)
{
    store_fixture *f = *state;
    ativa_store_out in, out;
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.s", T0, "oi", &in), ATIVA_OK);
    /* A shared-queue conversation must be taken first. */
    assert_int_equal(send_text(f->st, in.conv, 7, "olá", T0 + 10, &out), ATIVA_ERR_FORBIDDEN);
    ativa_store_op take = {.kind = ATIVA_STORE_TAKE_CONVERSATION};
    take.in.conv.conv = in.conv;
    take.in.conv.agent = 7;
    take.in.conv.now_ms = T0 + 5;
    assert_int_equal(ativa_store_execute(f->st, &take), ATIVA_OK);
    assert_int_equal(take.out.owner, 7);
    assert_int_equal(take.out.event_first, take.out.event_last);
    json_t *ev = event_get(f->st, take.out.event_first);
    assert_string_equal(jstr(ev, "type"), "conversation");
    assert_int_equal(jint(ev, "owner"), 7);
    json_decref(ev);
    assert_int_equal(ativa_store_execute(f->st, &take), ATIVA_ERR_DUPLICATE);
    take.in.conv.agent = 8;
    assert_int_equal(ativa_store_execute(f->st, &take), ATIVA_ERR_FORBIDDEN);
    assert_int_equal(take.out.owner, 7);
    take.in.conv.conv = 999;
    assert_int_equal(ativa_store_execute(f->st, &take), ATIVA_ERR_NOT_FOUND);

    assert_int_equal(send_text(f->st, in.conv, 8, "olá", T0 + 10, &out), ATIVA_ERR_FORBIDDEN);
    assert_int_equal(send_text(f->st, in.conv, 7, "", T0 + 10, &out), ATIVA_ERR_TEXT_EMPTY);
    char *big = malloc(ATIVA_TEXT_MAX_CHARS + 2);
    memset(big, 'a', ATIVA_TEXT_MAX_CHARS + 1);
    big[ATIVA_TEXT_MAX_CHARS + 1] = '\0';
    assert_int_equal(send_text(f->st, in.conv, 7, big, T0 + 10, &out), ATIVA_ERR_TEXT_TOO_LONG);
    big[ATIVA_TEXT_MAX_CHARS] = '\0';
    assert_int_equal(send_text(f->st, in.conv, 7, big, T0 + 10, &out), ATIVA_OK);
    free(big);
    assert_int_equal(send_text(f->st, in.conv, 7, "olá, tudo bem?", T0 + 20, &out), ATIVA_OK);
    assert_int_equal(out.seq, 3);
    json_t *due = NULL;
    assert_int_equal(ativa_store_list_due_outbox(f->st, T0 + 20, 10, &due), ATIVA_OK);
    assert_int_equal(json_array_size(due), 2);
    assert_int_equal(jint(json_array_get(due, 1), "id"), out.outbox);
    json_decref(due);
    assert_int_equal(ativa_store_list_due_outbox(f->st, T0 + 15, 10, &due), ATIVA_OK);
    assert_int_equal(json_array_size(due), 1);
    json_decref(due);

    /* At exactly 24 h the window is closed: the send races the expiry and is refused. */
    assert_int_equal(send_text(f->st, in.conv, 7, "ainda aí?", T0 + DAY, &out),
                     ATIVA_ERR_WINDOW_CLOSED);
    assert_int_equal(db_entries(f->st, "outbox"), 2);
    check_events_contiguous(f->st);
}

static void send_template_after_expiry_awaits_reply(void **state)
{
    store_fixture *f = *state;
    ativa_store_out in;
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.t", T0, "oi", &in), ATIVA_OK);
    ativa_store_op adv = {.kind = ATIVA_STORE_ADVANCE};
    adv.in.conv.conv = in.conv;
    adv.in.conv.now_ms = T0 + DAY - 1;
    assert_int_equal(ativa_store_execute(f->st, &adv), ATIVA_OK);
    assert_int_equal(adv.out.event_first, 0); /* nothing changed yet */
    adv.in.conv.now_ms = T0 + DAY;
    assert_int_equal(ativa_store_execute(f->st, &adv), ATIVA_OK);
    assert_true(adv.out.event_first != 0);
    json_t *ev = event_get(f->st, adv.out.event_first);
    json_t *view = json_object_get(json_object_get(ev, "data"), "view");
    assert_string_equal(jstr(view, "phase"), "closed");
    assert_true(json_is_true(json_object_get(view, "alert")));
    assert_true(json_is_true(json_object_get(view, "offer_template")));
    assert_false(json_is_true(json_object_get(view, "composer_enabled")));
    json_decref(ev);
    adv.in.conv.conv = 12345;
    assert_int_equal(ativa_store_execute(f->st, &adv), ATIVA_ERR_NOT_FOUND);

    ativa_store_op take = {.kind = ATIVA_STORE_TAKE_CONVERSATION};
    take.in.conv.conv = in.conv;
    take.in.conv.agent = 7;
    assert_int_equal(ativa_store_execute(f->st, &take), ATIVA_OK);
    ativa_store_op op = {.kind = ATIVA_STORE_SEND_TEMPLATE};
    op.in.tmpl.conv = in.conv;
    op.in.tmpl.agent = 7;
    op.in.tmpl.tmpl.name = "retomar";
    op.in.tmpl.tmpl.language = "pt_BR";
    op.in.tmpl.tmpl.graph_body = "{\"type\":\"template\"}";
    json_t *components = json_pack("[{s:s}]", "type", "body");
    op.in.tmpl.tmpl.components = components;
    op.in.tmpl.now_ms = T0 + DAY + 1000;
    assert_int_equal(ativa_store_execute(f->st, &op), ATIVA_OK);
    assert_true(op.out.event_last > op.out.event_first);
    json_t *c = conv_get(f->st, in.conv);
    assert_string_equal(jstr(c, "phase"), "awaiting_reply");
    json_decref(c);
    assert_int_equal(send_text(f->st, in.conv, 7, "oi", T0 + DAY + 2000, NULL),
                     ATIVA_ERR_AWAITING_REPLY);
    /* The customer replies: open again. */
    assert_int_equal(
        inbound(f->st, LINE, "5511999990001", "wamid.t2", T0 + DAY + 3000, "voltei", NULL),
        ATIVA_OK);
    c = conv_get(f->st, in.conv);
    assert_string_equal(jstr(c, "phase"), "open");
    json_decref(c);
    assert_int_equal(send_text(f->st, in.conv, 7, "que bom", T0 + DAY + 4000, NULL), ATIVA_OK);
    op.in.tmpl.agent = 8;
    assert_int_equal(ativa_store_execute(f->st, &op), ATIVA_ERR_FORBIDDEN);
    op.in.tmpl.agent = 7;
    op.in.tmpl.tmpl.name = NULL;
    assert_int_equal(ativa_store_execute(f->st, &op), ATIVA_ERR_INVALID_ARGUMENT);
    json_decref(components);
    check_events_contiguous(f->st);
}

static void finalize_writes_attendance(void **state)
{
    store_fixture *f = *state;
    ativa_store_out in, out;
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.f", T0, "quero ajuda", &in),
                     ATIVA_OK);
    ativa_store_op take = {.kind = ATIVA_STORE_TAKE_CONVERSATION};
    take.in.conv.conv = in.conv;
    take.in.conv.agent = 7;
    assert_int_equal(ativa_store_execute(f->st, &take), ATIVA_OK);
    assert_int_equal(finalize(f->st, in.conv, 8, "duvida", NULL, T0 + 100, NULL),
                     ATIVA_ERR_FORBIDDEN);
    char *desc = malloc(ATIVA_DESCRIPTION_MAX + 2);
    memset(desc, 'd', ATIVA_DESCRIPTION_MAX + 1);
    desc[ATIVA_DESCRIPTION_MAX + 1] = '\0';
    assert_int_equal(finalize(f->st, in.conv, 7, "duvida", desc, T0 + 100, NULL),
                     ATIVA_ERR_TOO_LARGE);
    free(desc);
    json_t *open = NULL;
    assert_int_equal(ativa_store_list_open_conversations(f->st, &open), ATIVA_OK);
    assert_int_equal(json_array_size(open), 1);
    json_decref(open);

    assert_int_equal(finalize(f->st, in.conv, 7, "duvida", "cliente atendido", T0 + 100, &out),
                     ATIVA_OK);
    assert_true(out.attendance != 0);
    json_t *att = NULL;
    assert_int_equal(ativa_store_get_attendance(f->st, out.attendance, &att), ATIVA_OK);
    assert_int_equal(jint(att, "conversation"), in.conv);
    assert_int_equal(jint(att, "agent"), 7);
    assert_int_equal(jint(att, "started_ms"), T0);
    assert_int_equal(jint(att, "ended_ms"), T0 + 100);
    assert_string_equal(jstr(att, "reason"), "duvida");
    assert_string_equal(jstr(att, "description"), "cliente atendido");
    assert_string_equal(jstr(att, "preview"), "quero ajuda");
    assert_string_equal(jstr(att, "customer"), "5511999990001");
    json_decref(att);
    json_t *c = conv_get(f->st, in.conv);
    assert_string_equal(jstr(c, "phase"), "finalized");
    assert_int_equal(jint(c, "finalized_by"), 7);
    json_decref(c);
    assert_int_equal(ativa_store_list_open_conversations(f->st, &open), ATIVA_OK);
    assert_int_equal(json_array_size(open), 0);
    json_decref(open);
    assert_int_equal(ativa_store_open_conversation(f->st, LINE, "5511999990001", &c),
                     ATIVA_ERR_NOT_FOUND);
    assert_int_equal(ativa_store_last_conversation(f->st, LINE, "5511999990001", &c), ATIVA_OK);
    assert_int_equal(jint(c, "id"), in.conv);
    json_decref(c);
    assert_int_equal(finalize(f->st, in.conv, 7, NULL, NULL, T0 + 200, NULL),
                     ATIVA_ERR_CONVERSATION_FINALIZED);
    assert_int_equal(send_text(f->st, in.conv, 7, "oi", T0 + 200, NULL),
                     ATIVA_ERR_CONVERSATION_FINALIZED);
    take.in.conv.agent = 7;
    assert_int_equal(ativa_store_execute(f->st, &take), ATIVA_ERR_CONVERSATION_FINALIZED);
    ativa_store_op adv = {.kind = ATIVA_STORE_ADVANCE};
    adv.in.conv.conv = in.conv;
    adv.in.conv.now_ms = T0 + 2 * DAY;
    assert_int_equal(ativa_store_execute(f->st, &adv), ATIVA_OK);
    assert_int_equal(adv.out.event_first, 0);

    /* The customer writes again: a new conversation in the shared queue. */
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.f2", T0 + 300, "oi", &out),
                     ATIVA_OK);
    assert_true(out.created);
    assert_true(out.conv != in.conv);
    assert_int_equal(ativa_store_last_conversation(f->st, LINE, "5511999990001", &c), ATIVA_OK);
    assert_int_equal(jint(c, "id"), out.conv);
    json_decref(c);
    /* A message older than the newest one seen, delivered late, opens the next conversation
     * with the window of the newest. */
    assert_int_equal(finalize(f->st, out.conv, 9, NULL, NULL, T0 + 350, NULL), ATIVA_OK);
    assert_int_equal(inbound(f->st, LINE, "5511999990001", "wamid.late", T0 - 9000, "?", &out),
                     ATIVA_OK);
    assert_true(out.created);
    assert_int_equal(ativa_store_get_conversation(f->st, out.conv, &c), ATIVA_OK);
    assert_int_equal(jint(c, "last_inbound_ms"), T0 + 300);
    json_decref(c);
    /* A shared conversation may be finalized by any agent. */
    assert_int_equal(finalize(f->st, out.conv, 9, NULL, NULL, T0 + 400, NULL), ATIVA_OK);
    assert_int_equal(db_entries(f->st, "attendances"), 3);
}

static void conversation_helpers(void **state)
{
    (void)state;
    ativa_conv_state s;
    json_t *bad = json_pack("{s:s}", "phase", "nonsense");
    assert_int_equal(ativa_store_conv_state(bad, &s), ATIVA_ERR_STORE_CORRUPT);
    assert_null(ativa_store_conv_with_view_new(bad, T0));
    json_decref(bad);
    bad = json_pack("{s:s, s:I}", "phase", "open", "window_ms", (json_int_t)0);
    assert_int_equal(ativa_store_conv_state(bad, &s), ATIVA_ERR_STORE_CORRUPT);
    json_decref(bad);
    assert_int_equal(ativa_store_conv_state(NULL, &s), ATIVA_ERR_INVALID_ARGUMENT);
    json_t *ok = json_pack("{s:s, s:I, s:I}", "phase", "open", "window_ms", (json_int_t)DAY,
                           "last_inbound_ms", (json_int_t)T0);
    assert_int_equal(ativa_store_conv_state(ok, &s), ATIVA_OK);
    assert_int_equal(s.phase, ATIVA_CONV_OPEN);
    assert_int_equal(s.last_inbound_ms, T0);
    json_t *v = ativa_store_conv_with_view_new(ok, T0 + 1);
    assert_int_equal(jint(json_object_get(v, "view"), "next_change_ms"), T0 + DAY);
    assert_null(json_object_get(ok, "view")); /* the input is not changed */
    json_decref(v);
    json_decref(ok);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_line, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(inbound_opens_shared_conversation),  T(redelivery_is_stored_once),
        T(ninth_digit_forms_are_one_customer), T(inbound_refusals_change_nothing),
        T(create_with_window_open_and_closed), T(create_refusals),
        T(send_text_follows_the_window),       T(send_template_after_expiry_awaits_reply),
        T(finalize_writes_attendance),         cmocka_unit_test(conversation_helpers),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
