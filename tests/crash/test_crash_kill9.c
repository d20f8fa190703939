/*
 * crash_kill9: kill -9 a process in the middle of its commits, many times, and check after each
 * kill that the store opens cleanly, that everything it reported committed is there, and that
 * nothing is half-written (indexes, events and counts agree with the records).
 *   usage: test_crash_kill9 <path of crash_child>   (ATIVA_CRASH_SEED=<n> replays a run)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ativa/store.h"

#define ROUNDS 40

static int failures;

static void failf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("FAIL: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    failures++;
}

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            failf(__VA_ARGS__);                                                                    \
    } while (0)

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long jint(const json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s != NULL ? s : "";
}

/*
 * Run the child, kill it ms milliseconds after it starts (from_ready false: the kill may land
 * while it opens the store) or after it reports being open, and return everything it reported.
 */
static char *run_child(const char *child, const char *dir, int round, int ms, bool from_ready)
{
    int fds[2];
    if (pipe(fds) != 0)
        return NULL;
    char round_s[16];
    snprintf(round_s, sizeof round_s, "%d", round);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(child, child, dir, round_s, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    int64_t started = now_ms();
    int64_t deadline = from_ready ? INT64_MAX : started + ms;
    bool killed = false;
    for (;;) {
        if (deadline == INT64_MAX) {
            buf[len] = '\0';
            if (strstr(buf, "ready\n") != NULL)
                deadline = now_ms() + ms;
            else if (now_ms() - started > 10000)
                deadline = now_ms(); /* never got ready: the check below reports it */
        }
        int wait_ms = killed ? -1 : deadline == INT64_MAX ? 50 : (int)(deadline - now_ms());
        if (!killed && wait_ms <= 0) {
            kill(pid, SIGKILL);
            killed = true;
            continue;
        }
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int rc = poll(&p, 1, wait_ms);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc == 0)
            continue;
        if (len + 4096 + 1 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t n = read(fds[0], buf + len, 4096);
        if (n <= 0)
            break; /* EOF: the child is gone and the pipe drained */
        len += (size_t)n;
    }
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    if (!killed || !WIFSIGNALED(status))
        failf("round %d: the child ended by itself (status %d)", round, status);
    buf[len] = '\0';
    return buf;
}

/* Reported by the child: kept across rounds, checked after every kill. */
typedef struct reported {
    char kind[4];
    char wamid[48];
    unsigned long long a, b, c;
} reported;

static reported *reports;
static size_t nreports, capreports;

static void parse_reports(char *buf)
{
    for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (nreports == capreports) {
            capreports = capreports ? capreports * 2 : 1024;
            reports = realloc(reports, capreports * sizeof *reports);
        }
        reported *r = &reports[nreports];
        memset(r, 0, sizeof *r);
        int ok = 0;
        if (strcmp(line, "ready") == 0)
            continue;
        if (strncmp(line, "in ", 3) == 0)
            ok = sscanf(line, "in %47s %llu %llu", r->wamid, &r->a, &r->b) == 3;
        else if (strncmp(line, "out ", 4) == 0)
            ok = sscanf(line, "out %llu %llu %llu", &r->a, &r->b, &r->c) == 3;
        else if (strncmp(line, "fin ", 4) == 0)
            ok = sscanf(line, "fin %llu %llu", &r->a, &r->b) == 2;
        /* The last line may be cut by the kill only if write() was interrupted: never for a
         * single write shorter than PIPE_BUF. */
        CHECK(ok, "unparsable report line '%s'", line);
        if (ok) {
            memcpy(r->kind, line, 3);
            r->kind[3] = '\0';
            if (r->kind[2] == ' ')
                r->kind[2] = '\0';
            nreports++;
        }
    }
}

static uint64_t entries(const ativa_store_stats *s, const char *name)
{
    for (unsigned i = 0; i < s->db_count; i++)
        if (strcmp(s->dbs[i].name, name) == 0)
            return s->dbs[i].entries;
    failf("no database %s", name);
    return 0;
}

/* Reports from earlier rounds were checked then; they are rechecked every few rounds (and the
 * structural checks below cover every record each time) to keep the run short. */
static void verify(const char *dir, int round, size_t first_new)
{
    ativa_store_config cfg = ativa_store_config_default(dir);
    ativa_store *st = NULL;
    ativa_err e = ativa_store_open(&cfg, &st);
    if (e != ATIVA_OK) {
        failf("round %d: open after kill: %s", round, ativa_strerror(e));
        return;
    }
    /* 1. Everything reported committed is there. */
    bool all = round % 8 == 7 || round == ROUNDS - 1;
    for (size_t i = all ? 0 : first_new; i < nreports; i++) {
        reported *r = &reports[i];
        json_t *j = NULL;
        if (strcmp(r->kind, "in") == 0) {
            e = ativa_store_get_message_by_wamid(st, r->wamid, &j);
            CHECK(e == ATIVA_OK, "round %d: reported %s lost (%s)", round, r->wamid,
                  ativa_strerror(e));
            if (e == ATIVA_OK)
                CHECK((unsigned long long)jint(j, "conv") == r->a &&
                          (unsigned long long)jint(j, "seq") == r->b,
                      "round %d: %s moved", round, r->wamid);
        } else if (strcmp(r->kind, "out") == 0) {
            e = ativa_store_list_messages(st, r->a, (uint32_t)r->b - 1, 1, &j);
            CHECK(e == ATIVA_OK && json_array_size(j) == 1, "round %d: sent message lost", round);
            if (e == ATIVA_OK && json_array_size(j) == 1)
                CHECK((unsigned long long)jint(json_array_get(j, 0), "outbox") == r->c,
                      "round %d: outbox id differs", round);
        } else {
            e = ativa_store_get_attendance(st, r->b, &j);
            CHECK(e == ATIVA_OK && (unsigned long long)jint(j, "conversation") == r->a,
                  "round %d: attendance %llu lost", round, r->b);
        }
        json_decref(j);
    }

    /* 2. Nothing half-written. */
    ativa_store_stats s;
    if (ativa_store_stats_get(st, &s) != ATIVA_OK) {
        failf("round %d: stats", round);
        ativa_store_close(st);
        return;
    }
    uint64_t convs = entries(&s, "conversations");
    uint64_t messages = 0, inbound = 0, outbound = 0, finalized = 0, open = 0;
    for (uint64_t id = 1; id <= convs; id++) {
        json_t *conv = NULL, *msgs = NULL;
        if (ativa_store_get_conversation(st, id, &conv) != ATIVA_OK) {
            failf("round %d: conversation %llu missing", round, (unsigned long long)id);
            continue;
        }
        if (jint(conv, "finalized_ms") != 0)
            finalized++;
        else
            open++;
        uint32_t after = 0;
        long long count = 0;
        do {
            if (ativa_store_list_messages(st, id, after, 1000, &msgs) != ATIVA_OK)
                break;
            size_t k;
            json_t *m;
            json_array_foreach(msgs, k, m)
            {
                count++;
                CHECK(jint(m, "seq") == count, "round %d: conv %llu seq gap", round,
                      (unsigned long long)id);
                if (strcmp(jstr(m, "direction"), "in") == 0) {
                    inbound++;
                    json_t *back = NULL;
                    CHECK(ativa_store_get_message_by_wamid(st, jstr(m, "wamid"), &back) ==
                                  ATIVA_OK &&
                              jint(back, "conv") == (long long)id && jint(back, "seq") == count,
                          "round %d: wamid index of %s", round, jstr(m, "wamid"));
                    json_decref(back);
                } else {
                    outbound++;
                    json_t *ob = NULL;
                    CHECK(ativa_store_get_outbox(st, (uint64_t)jint(m, "outbox"), &ob) == ATIVA_OK,
                          "round %d: outbox entry of conv %llu seq %lld missing", round,
                          (unsigned long long)id, count);
                    json_decref(ob);
                }
            }
            after = (uint32_t)count;
            k = json_array_size(msgs);
            json_decref(msgs);
            if (k == 0)
                break;
        } while (1);
        CHECK(count == jint(conv, "messages"), "round %d: conv %llu counts %lld messages, has %lld",
              round, (unsigned long long)id, jint(conv, "messages"), count);
        messages += (uint64_t)count;
        json_decref(conv);
    }
    CHECK(messages == entries(&s, "messages"), "round %d: message count", round);
    CHECK(inbound == entries(&s, "wamids"), "round %d: wamid index count", round);
    CHECK(outbound == entries(&s, "outbox"), "round %d: outbox count", round);
    CHECK(finalized == entries(&s, "attendances"), "round %d: attendance count", round);
    CHECK(open == entries(&s, "conv_open_ids") && open == entries(&s, "conv_open"),
          "round %d: open indexes", round);
    CHECK(finalized == entries(&s, "att_by_time") && finalized == entries(&s, "att_by_customer"),
          "round %d: attendance indexes", round);
    /* One customer per equivalence key: 23 in the child's rotation at most. */
    CHECK(entries(&s, "customers") <= 23, "round %d: ninth-digit duplicates", round);

    /* Events: contiguous from 1, one "message" per message. */
    uint64_t after = 0, msg_events = 0;
    for (;;) {
        json_t *evs = NULL;
        if (ativa_store_events_after(st, after, 5000, &evs) != ATIVA_OK) {
            failf("round %d: events", round);
            break;
        }
        size_t n = json_array_size(evs);
        for (size_t i = 0; i < n; i++) {
            json_t *ev = json_array_get(evs, i);
            CHECK((uint64_t)jint(ev, "seq") == after + 1, "round %d: event gap", round);
            after = (uint64_t)jint(ev, "seq");
            if (strcmp(jstr(ev, "type"), "message") == 0)
                msg_events++;
        }
        json_decref(evs);
        if (n == 0)
            break;
    }
    CHECK(after == s.last_event_seq, "round %d: last event", round);
    CHECK(msg_events == messages, "round %d: %llu message events for %llu messages", round,
          (unsigned long long)msg_events, (unsigned long long)messages);
    ativa_store_close(st);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <crash_child>\n", argv[0]);
        return 2;
    }
    const char *seed_env = getenv("ATIVA_CRASH_SEED");
    unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10)
                             : (unsigned)time(NULL) ^ (unsigned)getpid();
    printf("seed %u\n", seed);
    srand(seed);
    const char *tmp = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/ativa-crash-XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return 2;
    int64_t start = now_ms();
    for (int round = 0; round < ROUNDS && failures == 0; round++) {
        int ms = 10 + rand() % 141;
        char *out = run_child(argv[1], dir, round, ms, round % 2 == 1);
        if (out == NULL)
            return 2;
        size_t first_new = nreports;
        int64_t t_round = now_ms();
        parse_reports(out);
        free(out);
        verify(dir, round, first_new);
        if (getenv("ATIVA_CRASH_VERBOSE"))
            printf("round %d: %d ms, %zu reports, verified in %lld ms\n", round, ms,
                   nreports - first_new, (long long)(now_ms() - t_round));
    }
    printf("%d rounds, %zu commits reported, %lld ms, %d failures\n", ROUNDS, nreports,
           (long long)(now_ms() - start), failures);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    free(reports);
    return failures == 0 ? 0 : 1;
}
