/*
 * ativa-admin agent add|set|passwd|list|revoke — the agents who log in to the console.
 *
 * Passwords never come from the command line (other users see it in ps, shells keep it in their
 * history): from the terminal without echo, or one line of stdin. Only the scrypt hash is stored.
 */
#include "admin.h"

#include <ativa/auth.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* ---- options ---- */

typedef struct agent_opts {
    const char *name, *role, *lines;
    bool all_lines, disable, enable, password_stdin;
} agent_opts;

/* Parse argv[from..] (options only). Returns ADMIN_OK or ADMIN_USAGE (already reported). */
static int parse_opts(const char *sub, int argc, char **argv, int from, agent_opts *o,
                      const char *allowed)
{
    memset(o, 0, sizeof *o);
    for (int i = from; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strstr(allowed, a) == NULL || a[0] != '-')
            return admin_usage_error("agent %s: unexpected argument '%s'", sub, a);
        if (!strcmp(a, "--name") || !strcmp(a, "--role") || !strcmp(a, "--lines")) {
            if (!has_value)
                return admin_usage_error("agent %s: %s needs a value", sub, a);
            const char *v = argv[++i];
            if (!strcmp(a, "--name"))
                o->name = v;
            else if (!strcmp(a, "--role"))
                o->role = v;
            else
                o->lines = v;
        } else if (!strcmp(a, "--all-lines")) {
            o->all_lines = true;
        } else if (!strcmp(a, "--disable")) {
            o->disable = true;
        } else if (!strcmp(a, "--enable")) {
            o->enable = true;
        } else if (!strcmp(a, "--password-stdin")) {
            o->password_stdin = true;
        } else if (!strcmp(a, "--password")) {
            return admin_usage_error("agent %s: passwords are never taken from the command "
                                     "line; type it when asked, or pipe it with "
                                     "--password-stdin",
                                     sub);
        } else {
            return admin_usage_error("agent %s: unknown option '%s'", sub, a);
        }
    }
    if (o->role && strcmp(o->role, "agent") && strcmp(o->role, "supervisor"))
        return admin_usage_error("agent %s: --role must be 'agent' or 'supervisor', not '%s'", sub,
                                 o->role);
    if (o->lines && o->all_lines)
        return admin_usage_error("agent %s: give either --lines or --all-lines, not both", sub);
    if (o->disable && o->enable)
        return admin_usage_error("agent %s: give either --disable or --enable, not both", sub);
    return ADMIN_OK;
}

/* "1001,1002" into ids pointing into buf (a copy). Returns ADMIN_OK or reports and fails. */
static int split_lines(const char *sub, const char *text, char *buf, size_t bufsz, const char **ids,
                       size_t *n)
{
    *n = 0;
    if (strlen(text) >= bufsz)
        return admin_usage_error("agent %s: --lines is too long", sub);
    strcpy(buf, text);
    if (buf[0] == '\0')
        return ADMIN_OK; /* --lines '': no line at all */
    for (char *p = buf;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*n == ATIVA_STORE_AGENT_LINES_MAX)
            return admin_usage_error("agent %s: at most %d lines; use --all-lines for every line",
                                     sub, ATIVA_STORE_AGENT_LINES_MAX);
        if (*p == '\0' || strspn(p, "0123456789") != strlen(p))
            return admin_usage_error("agent %s: --lines takes phone_number_ids (digits) "
                                     "separated by commas, e.g. --lines 106540352242922,"
                                     "106540352242999; '%s' is not one",
                                     sub, p);
        for (size_t j = 0; j < *n; j++)
            if (!strcmp(ids[j], p))
                return admin_usage_error("agent %s: line %s is listed twice", sub, p);
        ids[(*n)++] = p;
        if (!comma)
            return ADMIN_OK;
        p = comma + 1;
    }
}

/* ---- passwords ---- */

/* One line of stdin into buf without its line break. -1 at EOF or when longer than the max. */
static int read_line(char *buf, size_t bufsz)
{
    if (!fgets(buf, (int)bufsz, stdin))
        return -1;
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    else if (!feof(stdin))
        return -1; /* longer than the buffer: refuse rather than cut it */
    if (n > 0 && buf[n - 1] == '\r')
        buf[--n] = '\0';
    return 0;
}

/* Prompt on the terminal with echo off. */
static int read_hidden(const char *prompt, char *buf, size_t bufsz)
{
    struct termios old, quiet;
    fputs(prompt, stderr);
    fflush(stderr);
    bool restore = tcgetattr(STDIN_FILENO, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    int rc = read_line(buf, bufsz);
    if (restore)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    return rc;
}

/* Read a password (twice on a terminal) and hash it. Returns ADMIN_OK or ADMIN_FAILED. */
static int read_password_hash(const char *sub, bool from_stdin, char hash[ATIVA_AUTH_HASH_MAX])
{
    char pw[ATIVA_AUTH_PASSWORD_MAX + 2], again[ATIVA_AUTH_PASSWORD_MAX + 2];
    int rc = ADMIN_FAILED;
    bool tty = !from_stdin && isatty(STDIN_FILENO);
    if (tty) {
        if (read_hidden("Password: ", pw, sizeof pw) ||
            read_hidden("Again: ", again, sizeof again)) {
            admin_fail("agent %s: no password read (at most %d bytes)", sub,
                       ATIVA_AUTH_PASSWORD_MAX);
            goto done;
        }
        if (strcmp(pw, again)) {
            admin_fail("agent %s: the two passwords differ; nothing was changed", sub);
            goto done;
        }
    } else if (read_line(pw, sizeof pw)) {
        admin_fail("agent %s: expected the password as one line on stdin (%d to %d bytes), "
                   "e.g. printf '%%s\\n' \"$PASSWORD\" | ativa-admin ... --password-stdin",
                   sub, ATIVA_AUTH_PASSWORD_MIN, ATIVA_AUTH_PASSWORD_MAX);
        goto done;
    }
    size_t n = strlen(pw);
    if (n < ATIVA_AUTH_PASSWORD_MIN || n > ATIVA_AUTH_PASSWORD_MAX) {
        admin_fail("agent %s: the password must have %d to %d bytes (it has %zu)", sub,
                   ATIVA_AUTH_PASSWORD_MIN, ATIVA_AUTH_PASSWORD_MAX, n);
        goto done;
    }
    ativa_err e = ativa_auth_hash_password(pw, NULL, hash);
    if (e) {
        admin_fail("agent %s: could not hash the password: %s", sub, ativa_strerror(e));
        goto done;
    }
    rc = ADMIN_OK;
done:
    explicit_bzero(pw, sizeof pw);
    explicit_bzero(again, sizeof again);
    return rc;
}

/* ---- commands ---- */

static int store_failed(const char *sub, const char *login, ativa_err e)
{
    return admin_fail("agent %s %s: %s (%s)", sub, login, ativa_strerror(e), ativa_err_code(e));
}

/* Print the agent as stored now, with extra fields (stolen) merged in. */
static int print_agent(ativa_store *st, const char *login, json_t *extra)
{
    json_t *a = NULL;
    ativa_err e = ativa_store_get_agent_by_login(st, login, false, &a);
    if (e) {
        json_decref(extra);
        return store_failed("show", login, e);
    }
    if (extra) {
        json_object_update(a, extra);
        json_decref(extra);
    }
    return admin_print_new(ATIVA_OK, a);
}

/* Whether the login exists; ADMIN_FAILED (reported) when it cannot be told. */
static int agent_exists(ativa_store *st, const char *sub, const char *login, bool *exists)
{
    json_t *a = NULL;
    ativa_err e = ativa_store_get_agent_by_login(st, login, false, &a);
    json_decref(a);
    *exists = e == ATIVA_OK;
    if (e && e != ATIVA_ERR_NOT_FOUND)
        return store_failed(sub, login, e);
    return ADMIN_OK;
}

static int check_login(const char *sub, const char *login)
{
    if (ativa_auth_login_valid(login))
        return admin_usage_error("agent %s: '%s' is not a valid login: 1 to 64 characters of "
                                 "a-z, 0-9, '.', '_' and '-'",
                                 sub, login);
    return ADMIN_OK;
}

static int agent_put(ativa_store *st, const char *sub, int argc, char **argv)
{
    bool add = !strcmp(sub, "add");
    if (argc < 3)
        return admin_usage_error("agent %s: which login?", sub);
    const char *login = argv[2];
    agent_opts o;
    int rc = check_login(sub, login);
    if (rc == ADMIN_OK)
        rc = parse_opts(sub, argc, argv, 3, &o,
                        add ? "--name --role --lines --password-stdin --password"
                            : "--name --role --lines --all-lines --disable --enable --password");
    if (rc)
        return rc;
    if (add && !o.name)
        return admin_usage_error("agent add: --name is required (the name the console shows)");
    if (!add && !o.name && !o.role && !o.lines && !o.all_lines && !o.disable && !o.enable)
        return admin_usage_error("agent set: nothing to change; give --name, --role, --lines, "
                                 "--all-lines, --disable or --enable");
    char buf[ATIVA_STORE_AGENT_LINES_MAX * (ATIVA_STORE_ID_MAX + 1) + 1];
    const char *ids[ATIVA_STORE_AGENT_LINES_MAX];
    size_t n_ids = 0;
    if (o.lines && (rc = split_lines(sub, o.lines, buf, sizeof buf, ids, &n_ids)))
        return rc;
    bool exists;
    if ((rc = agent_exists(st, sub, login, &exists)))
        return rc;
    if (add && exists)
        return admin_fail("agent add: the login '%s' already exists; change it with "
                          "`agent set %s ...` or its password with `agent passwd %s`",
                          login, login, login);
    if (!add && !exists)
        return admin_fail("agent set: no agent has the login '%s'; create it with "
                          "`agent add %s --name NAME`",
                          login, login);
    char hash[ATIVA_AUTH_HASH_MAX];
    if (add && (rc = read_password_hash(sub, o.password_stdin, hash)))
        return rc;
    ativa_store_op op;
    memset(&op, 0, sizeof op);
    op.kind = ATIVA_STORE_PUT_AGENT;
    op.in.agent.login = login;
    op.in.agent.name = o.name;
    op.in.agent.role = o.role;
    op.in.agent.lines_mode = o.lines       ? ATIVA_STORE_LINES_LIST
                             : o.all_lines ? ATIVA_STORE_LINES_ALL
                                           : ATIVA_STORE_LINES_KEEP;
    op.in.agent.lines = ids;
    op.in.agent.n_lines = n_ids;
    op.in.agent.state = o.disable  ? ATIVA_STORE_AGENT_DISABLE
                        : o.enable ? ATIVA_STORE_AGENT_ENABLE
                                   : ATIVA_STORE_AGENT_KEEP;
    op.in.agent.password_hash = add ? hash : NULL;
    op.in.agent.now_ms = admin_now_ms();
    ativa_err e = ativa_store_execute(st, &op);
    if (e == ATIVA_ERR_TOO_LARGE)
        return admin_fail("agent %s: the name is longer than %d bytes", sub,
                          ATIVA_STORE_AGENT_NAME_MAX);
    if (e == ATIVA_ERR_INVALID_ARGUMENT)
        return admin_fail("agent %s: the name must not be empty and must be UTF-8 text", sub);
    if (e)
        return store_failed(sub, login, e);
    return print_agent(st, login,
                       o.disable ? json_pack("{s:I}", "sessions_revoked", (json_int_t)op.out.count)
                                 : NULL);
}

static int agent_passwd(ativa_store *st, int argc, char **argv)
{
    if (argc < 3)
        return admin_usage_error("agent passwd: which login?");
    const char *login = argv[2];
    agent_opts o;
    int rc = check_login("passwd", login);
    if (rc == ADMIN_OK)
        rc = parse_opts("passwd", argc, argv, 3, &o, "--password-stdin --password");
    if (rc)
        return rc;
    bool exists;
    if ((rc = agent_exists(st, "passwd", login, &exists)))
        return rc;
    if (!exists)
        return admin_fail("agent passwd: no agent has the login '%s'; see `agent list`", login);
    char hash[ATIVA_AUTH_HASH_MAX];
    if ((rc = read_password_hash("passwd", o.password_stdin, hash)))
        return rc;
    ativa_store_op op;
    memset(&op, 0, sizeof op);
    op.kind = ATIVA_STORE_PUT_AGENT;
    op.in.agent.login = login;
    op.in.agent.password_hash = hash;
    op.in.agent.now_ms = admin_now_ms();
    ativa_err e = ativa_store_execute(st, &op);
    if (e)
        return store_failed("passwd", login, e);
    return print_agent(st, login, json_pack("{s:b}", "password_changed", 1));
}

static int agent_revoke(ativa_store *st, int argc, char **argv)
{
    if (argc != 3)
        return admin_usage_error("agent revoke: give exactly one login");
    const char *login = argv[2];
    int rc = check_login("revoke", login);
    if (rc)
        return rc;
    json_t *a = NULL;
    ativa_err e = ativa_store_get_agent_by_login(st, login, false, &a);
    if (e == ATIVA_ERR_NOT_FOUND)
        return admin_fail("agent revoke: no agent has the login '%s'; see `agent list`", login);
    if (e)
        return store_failed("revoke", login, e);
    uint64_t id = (uint64_t)json_integer_value(json_object_get(a, "id"));
    json_decref(a);
    ativa_store_op op;
    memset(&op, 0, sizeof op);
    op.kind = ATIVA_STORE_REVOKE_SESSION;
    op.in.session.agent = id;
    op.in.session.now_ms = admin_now_ms();
    e = ativa_store_execute(st, &op);
    if (e)
        return store_failed("revoke", login, e);
    return admin_print_new(ATIVA_OK,
                           json_pack("{s:s, s:I, s:I}", "login", login, "agent", (json_int_t)id,
                                     "sessions_revoked", (json_int_t)op.out.count));
}

int admin_agent(ativa_store *st, int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    if (!strcmp(sub, "add") || !strcmp(sub, "set"))
        return agent_put(st, sub, argc, argv);
    if (!strcmp(sub, "passwd"))
        return agent_passwd(st, argc, argv);
    if (!strcmp(sub, "revoke"))
        return agent_revoke(st, argc, argv);
    if (!strcmp(sub, "list")) {
        if (argc != 2)
            return admin_usage_error("agent list takes no arguments");
        json_t *list = NULL;
        ativa_err e = ativa_store_list_agents(st, &list);
        return admin_print_new(e, list);
    }
    return admin_usage_error("agent: expected add, set, passwd, list or revoke, not '%s'", sub);
}
