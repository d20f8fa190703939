/*
 * ativa-admin attendances — export finished attendances as JSON or CSV (RFC 4180, UTF-8);
 * ativa-admin backup — a consistent copy of the store while the gateway keeps writing.
 */
#include "admin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---- instants ---- */

/*
 * MS (digits), YYYY-MM-DD (midnight UTC; with end_of_day the day's last millisecond) or
 * YYYY-MM-DDTHH:MM[:SS]Z. Returns 0 or -1.
 */
static int parse_instant(const char *s, bool end_of_day, int64_t *out)
{
    uint64_t ms;
    if (strspn(s, "0123456789") == strlen(s))
        return admin_parse_u64(s, &ms) || ms > INT64_MAX ? -1 : (*out = (int64_t)ms, 0);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char tail[8] = "";
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    size_t len = strlen(s);
    if (len == 10) {
        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
            return -1;
    } else if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) == 5 && n == 16) {
        const char *rest = s + 16;
        if (rest[0] == ':') {
            int m = 0;
            if (sscanf(rest, ":%2d%n", &sec, &m) != 1 || m != 3)
                return -1;
            rest += 3;
        }
        if (strlen(rest) >= sizeof tail)
            return -1;
        strcpy(tail, rest);
        if (strcmp(tail, "Z") != 0)
            return -1;
        end_of_day = false;
    } else {
        return -1;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    /* timegm normalises 2026-02-31 into March: refuse dates that do not exist. */
    if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
        return -1;
    *out = (int64_t)t * 1000 + (end_of_day ? 24LL * 3600 * 1000 - 1 : 0);
    return 0;
}

/* ISO 8601 UTC to the second, e.g. 2026-11-23T20:56:08Z; "" for 0 (never). */
static void format_instant(int64_t ms, char out[32])
{
    out[0] = '\0';
    if (ms <= 0)
        return;
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- CSV (RFC 4180) ---- */

/* A field, quoted when it holds a comma, a quote or a line break; quotes doubled. */
static void csv_field(FILE *to, const char *s, bool last)
{
    if (s == NULL)
        s = "";
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, to);
    } else {
        fputc('"', to);
        for (const char *p = s; *p; p++) {
            if (*p == '"')
                fputc('"', to);
            fputc(*p, to);
        }
        fputc('"', to);
    }
    fputs(last ? "\r\n" : ",", to);
}

static void csv_int(FILE *to, json_int_t v)
{
    fprintf(to, "%" JSON_INTEGER_FORMAT ",", v);
}

/* ---- export ---- */

typedef struct export_ctx {
    ativa_store *st;
    bool csv;
    json_t *agents; /* id (decimal string) -> agent record, filled as they are met */
    unsigned written;
} export_ctx;

/* The agent record for an id, looked up once; NULL when unknown or 0. */
static const json_t *agent_of(export_ctx *x, json_int_t id)
{
    if (id <= 0)
        return NULL;
    char key[24];
    snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, id);
    json_t *a = json_object_get(x->agents, key);
    if (a)
        return json_is_null(a) ? NULL : a;
    if (ativa_store_get_agent(x->st, (uint64_t)id, &a) != ATIVA_OK)
        a = json_null();
    json_object_set_new(x->agents, key, a);
    return json_is_null(a) ? NULL : a;
}

static void export_one(export_ctx *x, json_t *att)
{
    const json_t *agent = agent_of(x, json_integer_value(json_object_get(att, "agent")));
    const char *login = agent ? json_string_value(json_object_get(agent, "login")) : NULL;
    const char *name = agent ? json_string_value(json_object_get(agent, "name")) : NULL;
    if (!x->csv) {
        json_object_set_new(att, "agent_login", login ? json_string(login) : json_null());
        json_object_set_new(att, "agent_name", name ? json_string(name) : json_null());
        char *text = json_dumps(att, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (text) {
            printf("%s%s", x->written ? ",\n" : "", text);
            free(text);
        }
    } else {
        char started[32], ended[32];
        format_instant(json_integer_value(json_object_get(att, "started_ms")), started);
        format_instant(json_integer_value(json_object_get(att, "ended_ms")), ended);
        csv_int(stdout, json_integer_value(json_object_get(att, "id")));
        csv_int(stdout, json_integer_value(json_object_get(att, "conversation")));
        csv_field(stdout, json_string_value(json_object_get(att, "line")), false);
        csv_field(stdout, json_string_value(json_object_get(att, "customer")), false);
        csv_field(stdout, login, false);
        csv_field(stdout, name, false);
        csv_field(stdout, started, false);
        csv_field(stdout, ended, false);
        csv_field(stdout, json_string_value(json_object_get(att, "reason")), false);
        csv_field(stdout, json_string_value(json_object_get(att, "description")), true);
    }
    x->written++;
}

int admin_attendances(ativa_store *st, int argc, char **argv)
{
    ativa_store_att_query q;
    memset(&q, 0, sizeof q);
    const char *format = "json", *agent_login = NULL;
    uint64_t limit = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc || a[0] != '-' || a[1] != '-')
            return admin_usage_error("attendances: unexpected argument '%s' (options take a "
                                     "value: --from DATE)",
                                     a);
        const char *v = argv[++i];
        if (!strcmp(a, "--from") || !strcmp(a, "--to")) {
            bool to = !strcmp(a, "--to");
            if (parse_instant(v, to, to ? &q.to_ms : &q.from_ms))
                return admin_usage_error("attendances: %s '%s' is not an instant: give "
                                         "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]Z (UTC) or "
                                         "milliseconds since 1970",
                                         a, v);
        } else if (!strcmp(a, "--line")) {
            q.line = v;
        } else if (!strcmp(a, "--agent")) {
            agent_login = v;
        } else if (!strcmp(a, "--customer")) {
            q.customer = v;
        } else if (!strcmp(a, "--reason")) {
            q.reason = v;
        } else if (!strcmp(a, "--format")) {
            format = v;
        } else if (!strcmp(a, "--limit")) {
            if (admin_parse_u64(v, &limit) || limit == 0)
                return admin_usage_error("attendances: --limit takes a positive whole number");
        } else {
            return admin_usage_error("attendances: unknown option '%s'", a);
        }
    }
    if (strcmp(format, "json") && strcmp(format, "csv"))
        return admin_usage_error("attendances: --format is json or csv, not '%s'", format);
    if (q.to_ms && q.to_ms < q.from_ms)
        return admin_usage_error("attendances: --to is before --from");
    if (agent_login) {
        json_t *a = NULL;
        ativa_err e = ativa_store_get_agent_by_login(st, agent_login, false, &a);
        if (e == ATIVA_ERR_NOT_FOUND || e == ATIVA_ERR_INVALID_ARGUMENT)
            return admin_fail("attendances: no agent has the login '%s'; see `agent list`",
                              agent_login);
        if (e)
            return admin_fail("attendances: %s", ativa_strerror(e));
        q.agent = (uint64_t)json_integer_value(json_object_get(a, "id"));
        json_decref(a);
    }
    export_ctx x = {.st = st, .csv = !strcmp(format, "csv"), .agents = json_object()};
    if (!x.agents)
        return admin_fail("attendances: out of memory");
    if (x.csv)
        fputs("id,conversation,line,customer,agent_login,agent_name,started,ended,reason,"
              "description\r\n",
              stdout);
    else
        fputs("[\n", stdout);
    /* Page through the whole result: the cursor of one page starts the next. */
    char cursor[ATIVA_STORE_CURSOR_MAX] = "";
    int rc = ADMIN_OK;
    for (;;) {
        uint64_t left = limit ? limit - x.written : ATIVA_STORE_QUERY_LIMIT_MAX;
        if (limit && left == 0)
            break;
        q.limit = left < ATIVA_STORE_QUERY_LIMIT_MAX ? (unsigned)left : ATIVA_STORE_QUERY_LIMIT_MAX;
        q.cursor = cursor[0] ? cursor : NULL;
        json_t *page = NULL;
        ativa_err e = ativa_store_query_attendances(st, &q, &page);
        if (e) {
            /* Said after what was printed: a partial export must not pass for a whole one. */
            rc = admin_fail("attendances: the export stopped after %u attendances: %s (%s)%s",
                            x.written, ativa_strerror(e), ativa_err_code(e),
                            e == ATIVA_ERR_INVALID_ARGUMENT
                                ? "; check --line (digits) and --customer (a phone number)"
                                : "");
            break;
        }
        size_t i;
        json_t *att;
        json_array_foreach(json_object_get(page, "items"), i, att) export_one(&x, att);
        const char *next = json_string_value(json_object_get(page, "next"));
        bool more = next && strlen(next) < sizeof cursor;
        if (more)
            strcpy(cursor, next);
        json_decref(page);
        if (!more)
            break;
    }
    if (!x.csv)
        fputs(x.written ? "\n]\n" : "]\n", stdout);
    json_decref(x.agents);
    if (fflush(stdout) != 0 || ferror(stdout))
        return admin_fail("attendances: could not write the output: %s", strerror(errno));
    return rc;
}

/* ---- backup ---- */

int admin_backup(ativa_store *st, int argc, char **argv)
{
    const char *dest = NULL;
    bool compact = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--compact"))
            compact = true;
        else if (argv[i][0] == '-' || dest)
            return admin_usage_error("backup: expected DEST_DIR [--compact], not '%s'", argv[i]);
        else
            dest = argv[i];
    }
    if (!dest)
        return admin_usage_error("backup: give the directory to write the copy into");
    if (mkdir(dest, 0750) != 0 && errno != EEXIST)
        return admin_fail("backup: cannot create %s: %s", dest, strerror(errno));
    ativa_err e = ativa_store_backup(st, dest, compact);
    if (e == ATIVA_ERR_EXISTS)
        return admin_fail("backup: %s already holds a data.mdb; choose a new or empty directory "
                          "(a copy is never written over another)",
                          dest);
    if (e == ATIVA_ERR_NOT_FOUND)
        return admin_fail("backup: %s is not a directory", dest);
    if (e)
        return admin_fail("backup: the copy into %s failed: %s; check the free space and "
                          "permissions there",
                          dest, ativa_strerror(e));
    char path[4096];
    snprintf(path, sizeof path, "%s/data.mdb", dest);
    struct stat sb;
    json_int_t bytes = stat(path, &sb) == 0 ? (json_int_t)sb.st_size : -1;
    return admin_print_new(
        ATIVA_OK, json_pack("{s:s, s:b, s:I}", "backup", path, "compact", compact, "bytes", bytes));
}
