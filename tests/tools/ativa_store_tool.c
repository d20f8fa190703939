/*
 * ativa-store-tool — reads and writes a gateway's data directory directly, for tests.
 *
 *     ativa-store-tool send-text     --data DIR --line L --to N [--to N...] --text T [--text T...]
 *                                    [--agent A]
 *     ativa-store-tool send-template --data DIR --line L --to N --name X --language LANG
 *                                    [--components JSON] [--agent A]
 *     ativa-store-tool outbox        --data DIR
 *     ativa-store-tool outbox-entry  --data DIR --id ID
 *     ativa-store-tool message       --data DIR --wamid W
 *     ativa-store-tool messages      --data DIR --line L --to N
 *
 * send-text queues one message per (to, text), in that order, through the same store operations
 * an agent's send uses, with the body built by ativa_meta_send_text_new. When the customer has
 * no open conversation on the line, the tool first records an inbound message from them (which
 * opens the conversation and the 24-hour window), then the agent takes the conversation.
 * send-template opens the conversation with the template (CREATE_CONVERSATION), or sends it in
 * the open one. Each queued message prints one line {"conv","seq","outbox","to"}.
 * outbox prints the queued entries (due or not), message and messages print stored messages.
 *
 * LMDB lets this process use the environment while a gateway has it open; the gateway notices
 * the new queued messages at its next poll. Exit status: 0, 1 on a store error, 2 on usage.
 */
#include <ativa/meta.h>
#include <ativa/store.h>

#include <openssl/rand.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REPEAT 64

struct args {
    const char *cmd;
    const char *data, *line, *name, *language, *components, *wamid;
    const char *to[MAX_REPEAT];
    size_t n_to;
    const char *text[MAX_REPEAT];
    size_t n_text;
    uint64_t agent, id;
};

static void usage(void)
{
    fputs("usage: ativa-store-tool COMMAND --data DIR [options]\n"
          "  send-text     --line L --to N [--to N...] --text T [--text T...] [--agent A]\n"
          "  send-template --line L --to N --name X --language LANG [--components JSON]"
          " [--agent A]\n"
          "  outbox\n"
          "  outbox-entry  --id ID\n"
          "  message       --wamid W\n"
          "  messages      --line L --to N\n",
          stderr);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(const char *what, ativa_err err)
{
    fprintf(stderr, "ativa-store-tool: %s: %s (%s)\n", what, ativa_err_code(err),
            ativa_strerror(err));
    return 1;
}

static int print_new(json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    if (!s)
        return fail("output", ATIVA_ERR_NO_MEMORY);
    puts(s);
    free(s);
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || v == 0)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof *a);
    a->agent = 1;
    if (argc < 2)
        return -1;
    a->cmd = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *k = argv[i];
        if (i + 1 >= argc)
            return -1;
        const char *v = argv[++i];
        if (!strcmp(k, "--data"))
            a->data = v;
        else if (!strcmp(k, "--line"))
            a->line = v;
        else if (!strcmp(k, "--name"))
            a->name = v;
        else if (!strcmp(k, "--language"))
            a->language = v;
        else if (!strcmp(k, "--components"))
            a->components = v;
        else if (!strcmp(k, "--wamid"))
            a->wamid = v;
        else if (!strcmp(k, "--to") && a->n_to < MAX_REPEAT)
            a->to[a->n_to++] = v;
        else if (!strcmp(k, "--text") && a->n_text < MAX_REPEAT)
            a->text[a->n_text++] = v;
        else if (!strcmp(k, "--agent")) {
            if (parse_u64(v, &a->agent))
                return -1;
        } else if (!strcmp(k, "--id")) {
            if (parse_u64(v, &a->id))
                return -1;
        } else
            return -1;
    }
    return a->data ? 0 : -1;
}

static int print_queued(const ativa_store_op *op, const char *to)
{
    return print_new(json_pack("{s:I, s:I, s:I, s:s}", "conv", (json_int_t)op->out.conv, "seq",
                               (json_int_t)op->out.seq, "outbox", (json_int_t)op->out.outbox, "to",
                               to));
}

/* The open conversation of (line, to), owned by the agent; opened by an inbound message when
 * there is none. */
static ativa_err owned_conversation(ativa_store *st, const struct args *a, const char *to,
                                    json_t **conv)
{
    ativa_err err = ativa_store_open_conversation(st, a->line, to, conv);
    if (err == ATIVA_ERR_NOT_FOUND) {
        unsigned char rnd[12];
        char wamid[64];
        if (RAND_bytes(rnd, sizeof rnd) != 1)
            return ATIVA_ERR_INTERNAL;
        int n = snprintf(wamid, sizeof wamid, "wamid.tool.");
        for (size_t i = 0; i < sizeof rnd; i++)
            n += snprintf(wamid + n, sizeof wamid - (size_t)n, "%02x", rnd[i]);
        ativa_store_op op;
        memset(&op, 0, sizeof op);
        op.kind = ATIVA_STORE_RECORD_INBOUND;
        op.in.inbound.line = a->line;
        op.in.inbound.from = to;
        op.in.inbound.wamid = wamid;
        op.in.inbound.now_ms = op.in.inbound.ts_ms = wall_ms();
        op.in.inbound.kind = ATIVA_MSG_TEXT;
        op.in.inbound.text = "oi";
        op.in.inbound.window_ms = 86400000;
        if ((err = ativa_store_execute(st, &op)) != ATIVA_OK)
            return err;
        err = ativa_store_get_conversation(st, op.out.conv, conv);
    }
    if (err)
        return err;
    if ((uint64_t)json_integer_value(json_object_get(*conv, "owner")) != a->agent) {
        ativa_store_op op;
        memset(&op, 0, sizeof op);
        op.kind = ATIVA_STORE_TAKE_CONVERSATION;
        op.in.conv.conv = (uint64_t)json_integer_value(json_object_get(*conv, "id"));
        op.in.conv.agent = a->agent;
        op.in.conv.now_ms = wall_ms();
        if ((err = ativa_store_execute(st, &op)) != ATIVA_OK) {
            json_decref(*conv);
            *conv = NULL;
        }
    }
    return err;
}

static int send_text(ativa_store *st, const struct args *a)
{
    if (!a->line || !a->n_to || !a->n_text)
        return 2;
    for (size_t i = 0; i < a->n_to; i++) {
        for (size_t j = 0; j < a->n_text; j++) {
            json_t *conv = NULL, *body = NULL;
            ativa_err err = owned_conversation(st, a, a->to[i], &conv);
            if (err)
                return fail("conversation", err);
            const char *wa_id = json_string_value(json_object_get(conv, "wa_id"));
            if ((err = ativa_meta_send_text_new(wa_id ? wa_id : a->to[i], a->text[j], &body))) {
                json_decref(conv);
                return fail("body", err);
            }
            char *graph_body = json_dumps(body, JSON_COMPACT);
            json_decref(body);
            ativa_store_op op;
            memset(&op, 0, sizeof op);
            op.kind = ATIVA_STORE_SEND_TEXT;
            op.in.text.conv = (uint64_t)json_integer_value(json_object_get(conv, "id"));
            op.in.text.agent = a->agent;
            op.in.text.text = a->text[j];
            op.in.text.graph_body = graph_body;
            op.in.text.now_ms = wall_ms();
            err = graph_body ? ativa_store_execute(st, &op) : ATIVA_ERR_NO_MEMORY;
            free(graph_body);
            json_decref(conv);
            if (err)
                return fail("send-text", err);
            print_queued(&op, a->to[i]);
        }
    }
    return 0;
}

static int send_template(ativa_store *st, const struct args *a)
{
    if (!a->line || a->n_to != 1 || !a->name || !a->language)
        return 2;
    json_t *components = NULL, *conv = NULL, *body = NULL;
    char *graph_body = NULL;
    int rc = 1;
    if (a->components) {
        components = json_loads(a->components, 0, NULL);
        if (!json_is_array(components)) {
            fputs("ativa-store-tool: --components must be a JSON array\n", stderr);
            json_decref(components);
            return 2;
        }
    }
    const char *to = a->to[0];
    ativa_err err = ativa_store_open_conversation(st, a->line, to, &conv);
    if (err && err != ATIVA_ERR_NOT_FOUND) {
        rc = fail("conversation", err);
        goto done;
    }
    if (conv) {
        json_decref(conv);
        conv = NULL;
        if ((err = owned_conversation(st, a, to, &conv))) {
            rc = fail("conversation", err);
            goto done;
        }
        const char *wa_id = json_string_value(json_object_get(conv, "wa_id"));
        if (wa_id)
            to = wa_id;
    }
    if ((err = ativa_meta_send_template_new(to, a->name, a->language, components, &body))) {
        rc = fail("body", err);
        goto done;
    }
    graph_body = json_dumps(body, JSON_COMPACT);
    if (!graph_body) {
        rc = fail("body", ATIVA_ERR_NO_MEMORY);
        goto done;
    }
    ativa_store_template_send t = {.name = a->name,
                                   .language = a->language,
                                   .components = components,
                                   .text = NULL,
                                   .graph_body = graph_body};
    ativa_store_op op;
    memset(&op, 0, sizeof op);
    if (conv) {
        op.kind = ATIVA_STORE_SEND_TEMPLATE;
        op.in.tmpl.conv = (uint64_t)json_integer_value(json_object_get(conv, "id"));
        op.in.tmpl.agent = a->agent;
        op.in.tmpl.tmpl = t;
        op.in.tmpl.now_ms = wall_ms();
    } else {
        op.kind = ATIVA_STORE_CREATE_CONVERSATION;
        op.in.create.line = a->line;
        op.in.create.customer = to;
        op.in.create.agent = a->agent;
        op.in.create.now_ms = wall_ms();
        op.in.create.window_ms = 86400000;
        op.in.create.tmpl = &t;
    }
    if ((err = ativa_store_execute(st, &op))) {
        rc = fail("send-template", err);
        goto done;
    }
    rc = print_queued(&op, a->to[0]);
done:
    free(graph_body);
    json_decref(body);
    json_decref(conv);
    json_decref(components);
    return rc;
}

static int run(ativa_store *st, const struct args *a)
{
    json_t *out = NULL;
    ativa_err err;
    if (!strcmp(a->cmd, "send-text"))
        return send_text(st, a);
    if (!strcmp(a->cmd, "send-template"))
        return send_template(st, a);
    if (!strcmp(a->cmd, "outbox")) {
        if ((err = ativa_store_list_due_outbox(st, INT64_MAX, 1000, &out)))
            return fail("outbox", err);
    } else if (!strcmp(a->cmd, "outbox-entry")) {
        if (!a->id)
            return 2;
        if ((err = ativa_store_get_outbox(st, a->id, &out)))
            return fail("outbox-entry", err);
    } else if (!strcmp(a->cmd, "message")) {
        if (!a->wamid)
            return 2;
        if ((err = ativa_store_get_message_by_wamid(st, a->wamid, &out)))
            return fail("message", err);
    } else if (!strcmp(a->cmd, "messages")) {
        if (!a->line || a->n_to != 1)
            return 2;
        json_t *conv = NULL;
        if ((err = ativa_store_last_conversation(st, a->line, a->to[0], &conv)))
            return fail("messages", err);
        uint64_t id = (uint64_t)json_integer_value(json_object_get(conv, "id"));
        json_decref(conv);
        if ((err = ativa_store_list_messages(st, id, 0, 1000, &out)))
            return fail("messages", err);
    } else {
        return 2;
    }
    return print_new(out);
}

int main(int argc, char **argv)
{
    struct args a;
    if (parse_args(argc, argv, &a)) {
        usage();
        return 2;
    }
    ativa_store_config cfg = ativa_store_config_default(a.data);
    ativa_store *st = NULL;
    ativa_err err = ativa_store_open(&cfg, &st);
    if (err)
        return fail("open", err);
    int rc = run(st, &a);
    ativa_store_close(st);
    if (rc == 2)
        usage();
    return rc;
}
