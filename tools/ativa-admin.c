/*
 * ativa-admin — look into a gateway's data directory from the command line.
 *
 *     ativa-admin --data DIR COMMAND [ARGS]
 *
 * Read commands print JSON on stdout. They may run while the gateway runs (LMDB lets readers in
 * other processes see every committed write without blocking the gateway), and so may the agent
 * commands, the export and the backup: their writes are ordinary store operations.
 * Exit codes: 0 done, 1 failed (stderr says why), 2 wrong usage.
 */
#include "admin.h"

#include <inttypes.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *to)
{
    fputs("usage: ativa-admin --data DIR COMMAND [ARGS]\n"
          "commands (JSON on stdout):\n"
          "  lines                         the lines\n"
          "  customer NUMBER               a customer, by either ninth-digit form\n"
          "  window LINE NUMBER            the customer's last inbound time on the line\n"
          "  conversations                 the open conversations\n"
          "  conversation ID               a conversation, its view now and its messages\n"
          "  message WAMID                 the message sent or received under a wamid\n"
          "  events [AFTER [LIMIT]]        the event log after a sequence number\n"
          "  outbox                        messages waiting to be sent\n"
          "  templates WABA_ID             the templates stored for a WABA\n"
          "  stats                         store size, entries per database\n"
          "agents (the password is read from the terminal without echo, or one line of stdin):\n"
          "  agent add LOGIN --name NAME [--role agent|supervisor] [--lines ID,ID...]\n"
          "            [--password-stdin]\n"
          "  agent set LOGIN [--name NAME] [--role ROLE] [--lines ID,ID...|--all-lines]\n"
          "            [--disable|--enable]  (disabling ends the agent's sessions)\n"
          "  agent passwd LOGIN [--password-stdin]\n"
          "  agent list\n"
          "  agent revoke LOGIN            end every session of the agent\n"
          "attendances and backups:\n"
          "  attendances [--from DATE|MS] [--to DATE|MS] [--line ID] [--agent LOGIN]\n"
          "              [--customer NUMBER] [--reason TEXT] [--format json|csv] [--limit N]\n"
          "                                finished attendances, newest first; DATE is\n"
          "                                YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z (UTC)\n"
          "  backup DEST_DIR [--compact]   a consistent copy of the store, taken while the\n"
          "                                gateway runs (DEST_DIR without a data.mdb)\n"
          "write commands (stop the gateway first, or use them only for demonstrations):\n"
          "  seed-inbound LINE FROM NAME AGO_S TEXT\n"
          "                                record that customer FROM wrote TEXT on LINE AGO_S\n"
          "                                seconds ago (demo data: opens the window from then)\n"
          "  finalize LINE NUMBER AGENT_LOGIN [REASON [DESCRIPTION]]\n"
          "                                finish the customer's open conversation as that\n"
          "                                agent (taking it from the shared queue if needed)\n",
          to);
}

int admin_print_new(ativa_err err, json_t *doc)
{
    if (err) {
        fprintf(stderr, "ativa-admin: %s (%s)\n", ativa_strerror(err), ativa_err_code(err));
        json_decref(doc);
        return ADMIN_FAILED;
    }
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(doc);
    if (!text)
        return ADMIN_FAILED;
    puts(text);
    free(text);
    return ADMIN_OK;
}

static int vreport(const char *fmt, va_list ap)
{
    fputs("ativa-admin: ", stderr);
    int n = vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    return n;
}

int admin_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(fmt, ap);
    va_end(ap);
    return ADMIN_FAILED;
}

int admin_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(fmt, ap);
    va_end(ap);
    fputs("ativa-admin: see ativa-admin --help\n", stderr);
    return ADMIN_USAGE;
}

/* Takes the result and the document separately: C leaves the order of evaluation of a call's
 * arguments unspecified, so `print_new(read(&doc), doc)` could pass doc before read sets it. */
static int print_read(ativa_err err, json_t **doc)
{
    return admin_print_new(err, *doc);
}

int admin_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

int64_t admin_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A customer's message as if Meta had delivered it AGO_S seconds ago. The wamid says where it
 * came from, so that running the seed twice stores it once. */
static int seed_inbound(ativa_store *st, const char *line, const char *from, const char *name,
                        int64_t ago_s, const char *text)
{
    int64_t now = admin_now_ms();
    char wamid[ATIVA_WAMID_MAX];
    snprintf(wamid, sizeof wamid, "wamid.seed.%s.%s.%lld", line, from, (long long)ago_s);
    ativa_store_op op;
    memset(&op, 0, sizeof op);
    op.kind = ATIVA_STORE_RECORD_INBOUND;
    op.in.inbound.line = line;
    op.in.inbound.from = from;
    op.in.inbound.profile_name = name;
    op.in.inbound.wamid = wamid;
    op.in.inbound.ts_ms = now - ago_s * 1000;
    op.in.inbound.kind = ATIVA_MSG_TEXT;
    op.in.inbound.text = text;
    op.in.inbound.now_ms = now;
    op.in.inbound.window_ms = 24LL * 3600 * 1000;
    ativa_err err = ativa_store_execute(st, &op);
    if (err && err != ATIVA_ERR_DUPLICATE)
        return admin_print_new(err, NULL);
    return admin_print_new(ATIVA_OK, json_pack("{s:s, s:I, s:b}", "wamid", wamid, "conversation",
                                               (json_int_t)op.out.conv, "duplicate",
                                               err == ATIVA_ERR_DUPLICATE));
}

/* An operator finishing a conversation nobody will finish (or the demo's history): as the
 * agent, who takes it from the shared queue first when it is there. */
static int finalize(ativa_store *st, const char *line, const char *number, const char *login,
                    const char *reason, const char *description)
{
    json_t *agent = NULL, *conv = NULL;
    ativa_err err = ativa_store_get_agent_by_login(st, login, false, &agent);
    if (err) {
        fprintf(stderr, "ativa-admin: no agent %s: create it with 'agent add'\n", login);
        return 1;
    }
    uint64_t agent_id = (uint64_t)json_integer_value(json_object_get(agent, "id"));
    json_decref(agent);
    err = ativa_store_open_conversation(st, line, number, &conv);
    if (err) {
        fprintf(stderr, "ativa-admin: %s has no open conversation on line %s\n", number, line);
        return 1;
    }
    uint64_t conv_id = (uint64_t)json_integer_value(json_object_get(conv, "id"));
    uint64_t owner = (uint64_t)json_integer_value(json_object_get(conv, "owner"));
    json_decref(conv);
    int64_t now = admin_now_ms();
    ativa_store_op op;
    if (owner == 0) {
        memset(&op, 0, sizeof op);
        op.kind = ATIVA_STORE_TAKE_CONVERSATION;
        op.in.conv.conv = conv_id;
        op.in.conv.agent = agent_id;
        op.in.conv.now_ms = now;
        if ((err = ativa_store_execute(st, &op)))
            return admin_print_new(err, NULL);
    }
    memset(&op, 0, sizeof op);
    op.kind = ATIVA_STORE_FINALIZE;
    op.in.finalize.conv = conv_id;
    op.in.finalize.agent = agent_id;
    op.in.finalize.reason = reason;
    op.in.finalize.description = description;
    op.in.finalize.now_ms = now;
    if ((err = ativa_store_execute(st, &op)))
        return admin_print_new(err, NULL);
    json_t *attendance = NULL;
    err = ativa_store_get_attendance(st, op.out.attendance, &attendance);
    return admin_print_new(err, attendance);
}

static int run(ativa_store *st, int argc, char **argv)
{
    const char *cmd = argv[0];
    json_t *doc = NULL;
    uint64_t id = 0, limit = 1000;

    if (!strcmp(cmd, "lines") && argc == 1)
        return print_read(ativa_store_list_lines(st, &doc), &doc);
    if (!strcmp(cmd, "customer") && argc == 2)
        return print_read(ativa_store_get_customer(st, argv[1], &doc), &doc);
    if (!strcmp(cmd, "window") && argc == 3) {
        int64_t last = 0;
        ativa_err err = ativa_store_get_window(st, argv[1], argv[2], &last);
        return admin_print_new(err, err ? NULL
                                        : json_pack("{s:I}", "last_inbound_ms", (json_int_t)last));
    }
    if (!strcmp(cmd, "conversations") && argc == 1)
        return print_read(ativa_store_list_open_conversations(st, &doc), &doc);
    if (!strcmp(cmd, "conversation") && argc == 2 && !admin_parse_u64(argv[1], &id)) {
        json_t *conv = NULL, *messages = NULL;
        ativa_err err = ativa_store_get_conversation(st, id, &conv);
        if (!err)
            err = ativa_store_list_messages(st, id, 0, 1000, &messages);
        if (err) {
            json_decref(conv);
            return admin_print_new(err, NULL);
        }
        json_t *with_view = ativa_store_conv_with_view_new(conv, admin_now_ms());
        json_decref(conv);
        return admin_print_new(
            ATIVA_OK, json_pack("{s:o, s:o}", "conversation", with_view, "messages", messages));
    }
    if (!strcmp(cmd, "message") && argc == 2)
        return print_read(ativa_store_get_message_by_wamid(st, argv[1], &doc), &doc);
    if (!strcmp(cmd, "events") && argc <= 3 && (argc < 2 || !admin_parse_u64(argv[1], &id)) &&
        (argc < 3 || !admin_parse_u64(argv[2], &limit)))
        return print_read(ativa_store_events_after(st, id, (unsigned)limit, &doc), &doc);
    if (!strcmp(cmd, "outbox") && argc == 1)
        return print_read(ativa_store_list_due_outbox(st, INT64_MAX, 1000, &doc), &doc);
    if (!strcmp(cmd, "templates") && argc == 2)
        return print_read(ativa_store_list_templates(st, argv[1], &doc), &doc);
    if (!strcmp(cmd, "stats") && argc == 1) {
        ativa_store_stats s;
        ativa_err err = ativa_store_stats_get(st, &s);
        if (err)
            return admin_print_new(err, NULL);
        json_t *dbs = json_object();
        for (unsigned i = 0; i < s.db_count; i++)
            json_object_set_new(dbs, s.dbs[i].name, json_integer((json_int_t)s.dbs[i].entries));
        return admin_print_new(ATIVA_OK, json_pack("{s:I, s:I, s:I, s:I, s:o}", "map_size",
                                                   (json_int_t)s.map_size, "page_size",
                                                   (json_int_t)s.page_size, "pages_used",
                                                   (json_int_t)s.pages_used, "last_event_seq",
                                                   (json_int_t)s.last_event_seq, "entries", dbs));
    }
    if (!strcmp(cmd, "agent"))
        return admin_agent(st, argc, argv);
    if (!strcmp(cmd, "attendances"))
        return admin_attendances(st, argc, argv);
    if (!strcmp(cmd, "backup"))
        return admin_backup(st, argc, argv);
    if (!strcmp(cmd, "seed-inbound") && argc == 6 && !admin_parse_u64(argv[4], &id))
        return seed_inbound(st, argv[1], argv[2], argv[3], (int64_t)id, argv[5]);
    if (!strcmp(cmd, "finalize") && argc >= 4 && argc <= 6)
        return finalize(st, argv[1], argv[2], argv[3], argc > 4 ? argv[4] : NULL,
                        argc > 5 ? argv[5] : NULL);
    fprintf(stderr, "ativa-admin: unknown command or wrong arguments: %s\n", cmd);
    usage(stderr);
    return ADMIN_USAGE;
}

int main(int argc, char **argv)
{
    const char *data = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data = argv[++i];
        else if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else
            break;
    }
    if (!data || i >= argc) {
        usage(stderr);
        return 2;
    }
    ativa_store_config cfg = ativa_store_config_default(data);
    ativa_store *st = NULL;
    ativa_err err = ativa_store_open(&cfg, &st);
    if (err) {
        fprintf(stderr, "ativa-admin: cannot open the data directory %s: %s\n", data,
                ativa_strerror(err));
        return ADMIN_FAILED;
    }
    int rc = run(st, argc - i, argv + i);
    ativa_store_close(st);
    return rc;
}
