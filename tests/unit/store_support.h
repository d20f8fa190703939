/* Helpers for the store's unit tests: a store in a fresh directory and one-line operations. */
#ifndef ATIVA_TEST_STORE_SUPPORT_H
#define ATIVA_TEST_STORE_SUPPORT_H

#include "support.h"

#include <stdlib.h>
#include <string.h>

#include "ativa/store.h"
#include "ativa/window.h"

#define T0    1700000000000LL /* an arbitrary instant */
#define DAY   ATIVA_WINDOW_DEFAULT_MS
#define LINE  "106540352242922"
#define LINE2 "106540352242999"
#define WABA  "102290129340398"

typedef struct store_fixture {
    char *dir;
    ativa_store *st;
} store_fixture;

static inline ativa_store *fixture_reopen(store_fixture *f)
{
    ativa_store_close(f->st);
    f->st = NULL;
    ativa_store_config cfg = ativa_store_config_default(f->dir);
    assert_int_equal(ativa_store_open(&cfg, &f->st), ATIVA_OK);
    return f->st;
}

static inline int fixture_setup(void **state)
{
    store_fixture *f = calloc(1, sizeof *f);
    f->dir = test_make_temp_dir("ativa-store");
    ativa_store_config cfg = ativa_store_config_default(f->dir);
    if (ativa_store_open(&cfg, &f->st) != ATIVA_OK)
        return -1;
    *state = f;
    return 0;
}

/* Without fsync: for tests about batching and volume, not durability. */
static inline int fixture_setup_fast(void **state)
{
    store_fixture *f = calloc(1, sizeof *f);
    f->dir = test_make_temp_dir("ativa-store");
    ativa_store_config cfg = ativa_store_config_default(f->dir);
    cfg.durable = false;
    if (ativa_store_open(&cfg, &f->st) != ATIVA_OK)
        return -1;
    *state = f;
    return 0;
}

static inline int fixture_teardown(void **state)
{
    store_fixture *f = *state;
    ativa_store_close(f->st);
    test_remove_tree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static inline ativa_err put_line(ativa_store *st, const char *id, const char *waba)
{
    ativa_store_op op = {.kind = ATIVA_STORE_PUT_LINE};
    op.in.line.phone_number_id = id;
    op.in.line.display_number = "15550783881";
    op.in.line.waba_id = waba;
    op.in.line.label = "Vendas";
    return ativa_store_execute(st, &op);
}

static inline ativa_err inbound(ativa_store *st, const char *line, const char *from,
                                const char *wamid, int64_t ts, const char *text,
                                ativa_store_out *out)
{
    ativa_store_op op = {.kind = ATIVA_STORE_RECORD_INBOUND};
    op.in.inbound.line = line;
    op.in.inbound.from = from;
    op.in.inbound.profile_name = "Maria";
    op.in.inbound.wamid = wamid;
    op.in.inbound.ts_ms = ts;
    op.in.inbound.kind = ATIVA_MSG_TEXT;
    op.in.inbound.text = text;
    op.in.inbound.now_ms = ts;
    op.in.inbound.window_ms = DAY;
    ativa_err e = ativa_store_execute(st, &op);
    if (out != NULL)
        *out = op.out;
    return e;
}

static inline ativa_err create_conv(ativa_store *st, const char *line, const char *customer,
                                    uint64_t agent, int64_t now, bool with_template,
                                    ativa_store_out *out)
{
    ativa_store_template_send t = {
        .name = "boas_vindas",
        .language = "pt_BR",
        .components = NULL,
        .text = "Olá! Podemos conversar?",
        .graph_body = "{\"messaging_product\":\"whatsapp\",\"type\":\"template\"}",
    };
    ativa_store_op op = {.kind = ATIVA_STORE_CREATE_CONVERSATION};
    op.in.create.line = line;
    op.in.create.customer = customer;
    op.in.create.agent = agent;
    op.in.create.now_ms = now;
    op.in.create.window_ms = DAY;
    op.in.create.tmpl = with_template ? &t : NULL;
    ativa_err e = ativa_store_execute(st, &op);
    if (out != NULL)
        *out = op.out;
    return e;
}

static inline ativa_err send_text(ativa_store *st, uint64_t conv, uint64_t agent, const char *text,
                                  int64_t now, ativa_store_out *out)
{
    ativa_store_op op = {.kind = ATIVA_STORE_SEND_TEXT};
    op.in.text.conv = conv;
    op.in.text.agent = agent;
    op.in.text.text = text;
    op.in.text.graph_body = "{\"messaging_product\":\"whatsapp\",\"type\":\"text\"}";
    op.in.text.now_ms = now;
    ativa_err e = ativa_store_execute(st, &op);
    if (out != NULL)
        *out = op.out;
    return e;
}

static inline ativa_err finalize(ativa_store *st, uint64_t conv, uint64_t agent, const char *reason,
                                 const char *description, int64_t now, ativa_store_out *out)
{
    ativa_store_op op = {.kind = ATIVA_STORE_FINALIZE};
    op.in.finalize.conv = conv;
    op.in.finalize.agent = agent;
    op.in.finalize.reason = reason;
    op.in.finalize.description = description;
    op.in.finalize.now_ms = now;
    ativa_err e = ativa_store_execute(st, &op);
    if (out != NULL)
        *out = op.out;
    return e;
}

static inline ativa_err outbox_op(ativa_store *st, ativa_store_op_kind kind, uint64_t id,
                                  const char *wamid, int64_t now, ativa_store_out *out)
{
    ativa_store_op op = {.kind = kind};
    op.in.outbox.id = id;
    op.in.outbox.now_ms = now;
    op.in.outbox.next_attempt_ms = now + 1000;
    op.in.outbox.wamid = wamid;
    op.in.outbox.error.code = 131026;
    op.in.outbox.error.title = "Message undeliverable";
    op.in.outbox.error.text_pt = "mensagem não entregue";
    ativa_err e = ativa_store_execute(st, &op);
    if (out != NULL)
        *out = op.out;
    return e;
}

static inline ativa_err apply_status(ativa_store *st, const char *wamid, ativa_msg_status status,
                                     int64_t ts, ativa_store_out *out)
{
    ativa_store_op op = {.kind = ATIVA_STORE_APPLY_STATUS};
    op.in.status.wamid = wamid;
    op.in.status.status = status;
    op.in.status.ts_ms = ts;
    op.in.status.now_ms = ts;
    if (status == ATIVA_STATUS_FAILED) {
        op.in.status.error.code = 131047;
        op.in.status.error.title = "Re-engagement message";
        op.in.status.error.text_pt = "mais de 24 horas";
    }
    ativa_err e = ativa_store_execute(st, &op);
    if (out != NULL)
        *out = op.out;
    return e;
}

static inline const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL ? s : "";
}

static inline long long jint(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* Every event from 1 to last exists in order with contiguous seqs. Returns the count. */
static inline size_t check_events_contiguous(ativa_store *st)
{
    uint64_t last = 0;
    assert_int_equal(ativa_store_last_event_seq(st, &last), ATIVA_OK);
    json_t *evs = NULL;
    size_t seen = 0;
    uint64_t after = 0;
    for (;;) {
        assert_int_equal(ativa_store_events_after(st, after, 1000, &evs), ATIVA_OK);
        size_t n = json_array_size(evs);
        for (size_t i = 0; i < n; i++) {
            json_t *ev = json_array_get(evs, i);
            assert_int_equal(jint(ev, "seq"), (long long)(after + 1));
            after++;
            seen++;
        }
        json_decref(evs);
        if (n == 0)
            break;
    }
    assert_int_equal(seen, last);
    return seen;
}

static inline uint64_t db_entries(ativa_store *st, const char *name)
{
    ativa_store_stats s;
    assert_int_equal(ativa_store_stats_get(st, &s), ATIVA_OK);
    for (unsigned i = 0; i < s.db_count; i++)
        if (strcmp(s.dbs[i].name, name) == 0)
            return s.dbs[i].entries;
    fail_msg("no database %s", name);
    return 0;
}

#endif
