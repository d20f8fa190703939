/* Delivery statuses, the outbox and its recovery, and templates. */
#include "store_support.h"

static int setup_line(void **state)
{
    if (fixture_setup(state) != 0)
        return -1;
    store_fixture *f = *state;
    return put_line(f->st, LINE, WABA) == ATIVA_OK ? 0 : -1;
}

static json_t *msg_by_wamid(ativa_store *st, const char *wamid)
{
    json_t *m = NULL;
    assert_int_equal(ativa_store_get_message_by_wamid(st, wamid, &m), ATIVA_OK);
    return m;
}

/* A template sent to a new customer and accepted by Meta under wamid. */
static ativa_store_out sent_and_accepted(ativa_store *st, const char *customer, const char *wamid)
{
    ativa_store_out out, acc;
    assert_int_equal(create_conv(st, LINE, customer, 7, T0, true, &out), ATIVA_OK);
    assert_int_equal(outbox_op(st, ATIVA_STORE_OUTBOX_SENDING, out.outbox, NULL, T0 + 1, NULL),
                     ATIVA_OK);
    assert_int_equal(outbox_op(st, ATIVA_STORE_OUTBOX_ACCEPTED, out.outbox, wamid, T0 + 2, &acc),
                     ATIVA_OK);
    assert_int_equal(acc.conv, out.conv);
    return out;
}

static void outbox_lifecycle_to_accepted(void **state)
{
    store_fixture *f = *state;
    ativa_store_out out, r;
    assert_int_equal(create_conv(f->st, LINE, "5511999990001", 7, T0, true, &out), ATIVA_OK);
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_SENDING, out.outbox, NULL, T0 + 1, &r),
                     ATIVA_OK);
    assert_true(r.event_first != 0);
    json_t *ob = NULL;
    assert_int_equal(ativa_store_get_outbox(f->st, out.outbox, &ob), ATIVA_OK);
    assert_string_equal(jstr(ob, "state"), "sending");
    assert_int_equal(jint(ob, "attempts"), 1);
    json_decref(ob);
    json_t *due = NULL;
    assert_int_equal(ativa_store_list_due_outbox(f->st, T0 + 100, 10, &due), ATIVA_OK);
    assert_int_equal(json_array_size(due), 0);
    json_decref(due);
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_SENDING, out.outbox, NULL, T0 + 1, NULL),
                     ATIVA_ERR_DUPLICATE);

    /* A transient error: back to the queue, due later. */
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_RETRY, out.outbox, NULL, T0 + 2, NULL),
                     ATIVA_OK);
    assert_int_equal(ativa_store_list_due_outbox(f->st, T0 + 100, 10, &due), ATIVA_OK);
    assert_int_equal(json_array_size(due), 0);
    json_decref(due);
    assert_int_equal(ativa_store_list_due_outbox(f->st, T0 + 1002, 10, &due), ATIVA_OK);
    assert_int_equal(json_array_size(due), 1);
    assert_string_equal(jstr(json_array_get(due, 0), "last_error"), "Message undeliverable");
    json_decref(due);
    assert_int_equal(
        outbox_op(f->st, ATIVA_STORE_OUTBOX_SENDING, out.outbox, NULL, T0 + 1002, NULL), ATIVA_OK);
    ativa_store_op acc = {.kind = ATIVA_STORE_OUTBOX_ACCEPTED};
    acc.in.outbox.id = out.outbox;
    acc.in.outbox.wamid = "wamid.acc";
    acc.in.outbox.wa_id = "551199990001";
    acc.in.outbox.now_ms = T0 + 1003;
    assert_int_equal(ativa_store_execute(f->st, &acc), ATIVA_OK);
    assert_int_equal(ativa_store_get_outbox(f->st, out.outbox, &ob), ATIVA_ERR_NOT_FOUND);
    json_t *m = msg_by_wamid(f->st, "wamid.acc");
    assert_string_equal(jstr(m, "status"), "accepted");
    assert_int_equal(jint(m, "conv"), out.conv);
    json_decref(m);
    /* Meta's wa_id becomes the number the conversation and customer are answered on. */
    json_t *c = NULL;
    assert_int_equal(ativa_store_get_conversation(f->st, out.conv, &c), ATIVA_OK);
    assert_string_equal(jstr(c, "wa_id"), "551199990001");
    json_decref(c);
    assert_int_equal(ativa_store_get_customer(f->st, "5511999990001", &c), ATIVA_OK);
    assert_string_equal(jstr(c, "wa_id"), "551199990001");
    json_decref(c);
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_ACCEPTED, out.outbox, "w2", T0, NULL),
                     ATIVA_ERR_NOT_FOUND);
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_SENDING, 0, NULL, T0, NULL),
                     ATIVA_ERR_NOT_FOUND);
    check_events_contiguous(f->st);
}

static void accepted_refusals(void **state)
{
    store_fixture *f = *state;
    ativa_store_out a = sent_and_accepted(f->st, "5511999990001", "wamid.taken");
    ativa_store_out b;
    assert_int_equal(create_conv(f->st, LINE, "5511999990002", 7, T0, true, &b), ATIVA_OK);
    /* A wamid already recorded cannot be given to another message. */
    assert_int_equal(
        outbox_op(f->st, ATIVA_STORE_OUTBOX_ACCEPTED, b.outbox, "wamid.taken", T0, NULL),
        ATIVA_ERR_EXISTS);
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_ACCEPTED, b.outbox, NULL, T0, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    ativa_store_op op = {.kind = ATIVA_STORE_OUTBOX_ACCEPTED};
    op.in.outbox.id = b.outbox;
    op.in.outbox.wamid = "wamid.b";
    op.in.outbox.wa_id = "55x";
    assert_int_equal(ativa_store_execute(f->st, &op), ATIVA_ERR_INVALID_ARGUMENT);
    json_t *ob = NULL;
    assert_int_equal(ativa_store_get_outbox(f->st, b.outbox, &ob), ATIVA_OK);
    assert_string_equal(jstr(ob, "state"), "queued");
    json_decref(ob);
    (void)a;
}

static void outbox_failed_is_final(void **state)
{
    store_fixture *f = *state;
    ativa_store_out out, r;
    assert_int_equal(create_conv(f->st, LINE, "5511999990001", 7, T0, true, &out), ATIVA_OK);
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_SENDING, out.outbox, NULL, T0 + 1, NULL),
                     ATIVA_OK);
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_FAILED, out.outbox, NULL, T0 + 2, &r),
                     ATIVA_OK);
    assert_int_equal(r.conv, out.conv);
    assert_int_equal(r.seq, 1);
    json_t *msgs = NULL;
    assert_int_equal(ativa_store_list_messages(f->st, out.conv, 0, 10, &msgs), ATIVA_OK);
    json_t *m = json_array_get(msgs, 0);
    assert_string_equal(jstr(m, "status"), "failed");
    json_t *err = json_object_get(m, "error");
    assert_int_equal(jint(err, "code"), 131026);
    assert_string_equal(jstr(err, "text_pt"), "mensagem não entregue");
    json_decref(msgs);
    assert_int_equal(db_entries(f->st, "outbox"), 0);
    assert_int_equal(db_entries(f->st, "outbox_due"), 0);
    json_t *evs = NULL;
    assert_int_equal(ativa_store_events_after(f->st, r.event_first - 1, 10, &evs), ATIVA_OK);
    json_t *ev = json_array_get(evs, 0);
    assert_string_equal(jstr(ev, "type"), "status");
    assert_string_equal(jstr(json_object_get(ev, "data"), "status"), "failed");
    assert_int_equal(jint(ev, "owner"), 7);
    json_decref(evs);
}

static void recover_marks_sending_unknown(void **state)
{
    store_fixture *f = *state;
    ativa_store_out a, b, r;
    assert_int_equal(create_conv(f->st, LINE, "5511999990001", 7, T0, true, &a), ATIVA_OK);
    assert_int_equal(create_conv(f->st, LINE, "5511999990002", 7, T0, true, &b), ATIVA_OK);
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_SENDING, a.outbox, NULL, T0 + 1, NULL),
                     ATIVA_OK);
    /* The process dies here; at start-up: */
    fixture_reopen(f);
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_RECOVER, 0, NULL, T0 + 5, &r), ATIVA_OK);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.event_first, r.event_last);
    json_t *msgs = NULL;
    assert_int_equal(ativa_store_list_messages(f->st, a.conv, 0, 10, &msgs), ATIVA_OK);
    assert_string_equal(jstr(json_array_get(msgs, 0), "status"), "unknown");
    json_decref(msgs);
    json_t *ob = NULL;
    assert_int_equal(ativa_store_get_outbox(f->st, a.outbox, &ob), ATIVA_ERR_NOT_FOUND);
    /* The queued one was never sent: it stays to be sent. */
    assert_int_equal(ativa_store_get_outbox(f->st, b.outbox, &ob), ATIVA_OK);
    assert_string_equal(jstr(ob, "state"), "queued");
    json_decref(ob);
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_RECOVER, 0, NULL, T0 + 6, &r), ATIVA_OK);
    assert_int_equal(r.count, 0);
    check_events_contiguous(f->st);
}

static void statuses_only_advance(void **state)
{
    store_fixture *f = *state;
    ativa_store_out s = sent_and_accepted(f->st, "5511999990001", "wamid.st");
    ativa_store_out r;
    assert_int_equal(apply_status(f->st, "wamid.st", ATIVA_STATUS_SENT, T0 + 10, &r), ATIVA_OK);
    assert_int_equal(r.conv, s.conv);
    assert_int_equal(apply_status(f->st, "wamid.st", ATIVA_STATUS_SENT, T0 + 10, &r),
                     ATIVA_ERR_DUPLICATE);
    assert_int_equal(r.event_first, 0);
    assert_int_equal(apply_status(f->st, "wamid.st", ATIVA_STATUS_READ, T0 + 30, NULL), ATIVA_OK);
    /* delivered arrives after read: read stays. */
    assert_int_equal(apply_status(f->st, "wamid.st", ATIVA_STATUS_DELIVERED, T0 + 20, NULL),
                     ATIVA_ERR_STATUS_STALE);
    json_t *m = msg_by_wamid(f->st, "wamid.st");
    assert_string_equal(jstr(m, "status"), "read");
    assert_int_equal(jint(m, "status_ms"), T0 + 30);
    json_decref(m);

    ativa_store_out t = sent_and_accepted(f->st, "5511999990002", "wamid.fail");
    (void)t;
    assert_int_equal(apply_status(f->st, "wamid.fail", ATIVA_STATUS_FAILED, T0 + 10, NULL),
                     ATIVA_OK);
    assert_int_equal(apply_status(f->st, "wamid.fail", ATIVA_STATUS_READ, T0 + 20, NULL),
                     ATIVA_ERR_STATUS_STALE);
    assert_int_equal(apply_status(f->st, "wamid.fail", ATIVA_STATUS_FAILED, T0 + 20, NULL),
                     ATIVA_ERR_DUPLICATE);
    m = msg_by_wamid(f->st, "wamid.fail");
    assert_string_equal(jstr(m, "status"), "failed");
    assert_int_equal(jint(json_object_get(m, "error"), "code"), 131047);
    json_decref(m);

    /* Inbound messages have no delivery status; bad inputs are refused. */
    assert_int_equal(inbound(f->st, LINE, "5511999990003", "wamid.in", T0, "oi", NULL), ATIVA_OK);
    assert_int_equal(apply_status(f->st, "wamid.in", ATIVA_STATUS_READ, T0, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(apply_status(f->st, "wamid.st", ATIVA_STATUS_QUEUED, T0, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(apply_status(f->st, "", ATIVA_STATUS_READ, T0, NULL),
                     ATIVA_ERR_INVALID_ARGUMENT);
    check_events_contiguous(f->st);
}

static void status_before_wamid_is_applied_later(void **state)
{
    store_fixture *f = *state;
    ativa_store_out out, r;
    assert_int_equal(create_conv(f->st, LINE, "5511999990001", 7, T0, true, &out), ATIVA_OK);
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_SENDING, out.outbox, NULL, T0 + 1, NULL),
                     ATIVA_OK);
    /* Meta's webhooks beat the storing of the send's answer. */
    assert_int_equal(apply_status(f->st, "wamid.early", ATIVA_STATUS_DELIVERED, T0 + 5, &r),
                     ATIVA_OK);
    assert_true(r.pending);
    assert_int_equal(apply_status(f->st, "wamid.early", ATIVA_STATUS_SENT, T0 + 4, NULL),
                     ATIVA_ERR_STATUS_STALE);
    assert_int_equal(apply_status(f->st, "wamid.early", ATIVA_STATUS_DELIVERED, T0 + 5, NULL),
                     ATIVA_ERR_DUPLICATE);
    assert_int_equal(apply_status(f->st, "wamid.early", ATIVA_STATUS_READ, T0 + 6, NULL), ATIVA_OK);
    assert_int_equal(db_entries(f->st, "pending_status"), 1);
    json_t *m = NULL;
    assert_int_equal(ativa_store_get_message_by_wamid(f->st, "wamid.early", &m),
                     ATIVA_ERR_NOT_FOUND);
    assert_int_equal(
        outbox_op(f->st, ATIVA_STORE_OUTBOX_ACCEPTED, out.outbox, "wamid.early", T0 + 7, &r),
        ATIVA_OK);
    m = msg_by_wamid(f->st, "wamid.early");
    assert_string_equal(jstr(m, "status"), "read");
    assert_int_equal(jint(m, "status_ms"), T0 + 6);
    json_decref(m);
    assert_int_equal(db_entries(f->st, "pending_status"), 0);
    /* The event reports the message as it ends up. */
    json_t *evs = NULL;
    assert_int_equal(ativa_store_events_after(f->st, r.event_last - 1, 1, &evs), ATIVA_OK);
    assert_string_equal(jstr(json_object_get(json_array_get(evs, 0), "data"), "status"), "read");
    json_decref(evs);

    /* A pending failure arrives with its error. */
    ativa_store_out b;
    assert_int_equal(create_conv(f->st, LINE, "5511999990002", 7, T0, true, &b), ATIVA_OK);
    assert_int_equal(apply_status(f->st, "wamid.early2", ATIVA_STATUS_FAILED, T0 + 5, NULL),
                     ATIVA_OK);
    assert_int_equal(outbox_op(f->st, ATIVA_STORE_OUTBOX_SENDING, b.outbox, NULL, T0 + 1, NULL),
                     ATIVA_OK);
    assert_int_equal(
        outbox_op(f->st, ATIVA_STORE_OUTBOX_ACCEPTED, b.outbox, "wamid.early2", T0 + 7, NULL),
        ATIVA_OK);
    m = msg_by_wamid(f->st, "wamid.early2");
    assert_string_equal(jstr(m, "status"), "failed");
    assert_string_equal(jstr(json_object_get(m, "error"), "title"), "Re-engagement message");
    json_decref(m);
}

static json_t *template_new(const char *name, const char *language, const char *status,
                            const char *id)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}", "name", name, "language",
                     language, "status", status, "category", "UTILITY", "id", id, "components",
                     "type", "BODY", "text", "Olá {{1}}");
}

static ativa_err put_template(ativa_store *st, json_t *t, ativa_store_out *out)
{
    ativa_store_op op = {.kind = ATIVA_STORE_PUT_TEMPLATE};
    op.in.template_op.waba_id = WABA;
    op.in.template_op.tmpl = t;
    op.in.template_op.now_ms = T0;
    ativa_err e = ativa_store_execute(st, &op);
    if (out != NULL)
        *out = op.out;
    return e;
}

static ativa_err template_status(ativa_store *st, const char *id, const char *name,
                                 const char *language, const char *status)
{
    ativa_store_op op = {.kind = ATIVA_STORE_TEMPLATE_STATUS};
    op.in.template_op.waba_id = WABA;
    op.in.template_op.id = id;
    op.in.template_op.name = name;
    op.in.template_op.language = language;
    op.in.template_op.status = status;
    op.in.template_op.now_ms = T0;
    return ativa_store_execute(st, &op);
}

static void templates_and_their_status(void **state)
{
    store_fixture *f = *state;
    json_t *a = template_new("boas_vindas", "pt_BR", "APPROVED", "1001");
    json_t *b = template_new("boas_vindas", "en_US", "APPROVED", "1002");
    json_t *c = template_new("cobranca", "pt_BR", "PENDING", "1003");
    ativa_store_out out;
    assert_int_equal(put_template(f->st, a, &out), ATIVA_OK);
    assert_true(out.event_first != 0);
    assert_int_equal(put_template(f->st, b, NULL), ATIVA_OK);
    assert_int_equal(put_template(f->st, c, NULL), ATIVA_OK);
    assert_int_equal(put_template(f->st, a, &out), ATIVA_ERR_DUPLICATE);
    assert_int_equal(out.event_first, 0);
    json_t *list = NULL;
    assert_int_equal(ativa_store_list_templates(f->st, WABA, &list), ATIVA_OK);
    assert_int_equal(json_array_size(list), 3);
    assert_string_equal(jstr(json_array_get(list, 0), "language"), "en_US");
    assert_string_equal(jstr(json_array_get(list, 2), "name"), "cobranca");
    json_decref(list);
    assert_int_equal(ativa_store_list_templates(f->st, "1", &list), ATIVA_OK);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);

    /* By id, as Meta's message_template_status_update webhook says. */
    assert_int_equal(template_status(f->st, "1003", NULL, NULL, "APPROVED"), ATIVA_OK);
    json_t *t = NULL;
    assert_int_equal(ativa_store_get_template(f->st, WABA, "cobranca", "pt_BR", &t), ATIVA_OK);
    assert_string_equal(jstr(t, "status"), "APPROVED");
    json_decref(t);
    assert_int_equal(template_status(f->st, "1003", NULL, NULL, "APPROVED"), ATIVA_ERR_DUPLICATE);
    /* By name alone: every language. */
    assert_int_equal(template_status(f->st, NULL, "boas_vindas", NULL, "PAUSED"), ATIVA_OK);
    assert_int_equal(ativa_store_get_template(f->st, WABA, "boas_vindas", "en_US", &t), ATIVA_OK);
    assert_string_equal(jstr(t, "status"), "PAUSED");
    json_decref(t);
    assert_int_equal(template_status(f->st, NULL, "boas_vindas", "pt_BR", "APPROVED"), ATIVA_OK);
    assert_int_equal(ativa_store_get_template(f->st, WABA, "boas_vindas", "en_US", &t), ATIVA_OK);
    assert_string_equal(jstr(t, "status"), "PAUSED");
    json_decref(t);
    assert_int_equal(template_status(f->st, "9999", NULL, NULL, "APPROVED"),
                     ATIVA_ERR_TEMPLATE_NOT_FOUND);
    assert_int_equal(template_status(f->st, NULL, NULL, NULL, "APPROVED"),
                     ATIVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(ativa_store_get_template(f->st, WABA, "nada", "pt_BR", &t),
                     ATIVA_ERR_TEMPLATE_NOT_FOUND);

    /* A template event carries the template and its WABA. */
    uint64_t last;
    assert_int_equal(ativa_store_last_event_seq(f->st, &last), ATIVA_OK);
    json_t *evs = NULL;
    assert_int_equal(ativa_store_events_after(f->st, last - 1, 5, &evs), ATIVA_OK);
    json_t *ev = json_array_get(evs, 0);
    assert_string_equal(jstr(ev, "type"), "template");
    assert_string_equal(jstr(json_object_get(ev, "data"), "waba_id"), WABA);
    assert_string_equal(jstr(json_object_get(json_object_get(ev, "data"), "template"), "status"),
                        "APPROVED");
    json_decref(evs);

    /* Meta sends ids as integers in some payloads. */
    json_t *d = json_pack("{s:s, s:s, s:s, s:I}", "name", "numerico", "language", "pt_BR", "status",
                          "PENDING", "id", (json_int_t)1004);
    assert_int_equal(put_template(f->st, d, NULL), ATIVA_OK);
    assert_int_equal(template_status(f->st, "1004", NULL, NULL, "REJECTED"), ATIVA_OK);
    json_decref(d);

    json_t *bad = json_pack("{s:s}", "name", "sem_idioma");
    assert_int_equal(put_template(f->st, bad, NULL), ATIVA_ERR_TEMPLATE_MALFORMED);
    json_decref(bad);
    assert_int_equal(put_template(f->st, NULL, NULL), ATIVA_ERR_TEMPLATE_MALFORMED);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    check_events_contiguous(f->st);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_line, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(outbox_lifecycle_to_accepted), T(accepted_refusals),
        T(outbox_failed_is_final),       T(recover_marks_sending_unknown),
        T(statuses_only_advance),        T(status_before_wamid_is_applied_later),
        T(templates_and_their_status),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
