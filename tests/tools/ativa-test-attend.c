/*
 * ativa-test-attend — finished attendances written straight into a data directory, for the
 * integration tests of ativa-admin (the product has no other way to finish one without a
 * console).
 *
 *     ativa-test-attend DIR attend LINE CUSTOMER AGENT_LOGIN REASON DESCRIPTION
 *         a customer's message on LINE, then the agent finalizes the conversation; prints
 *         {"attendance": id}
 *     ativa-test-attend DIR churn LINE AGENT_LOGIN N
 *         N attendances one after the other, printing "wrote K" after each commit (for backups
 *         taken while another process writes)
 *
 * LINE is created when missing. Exit 0, or 1 with the reason on stderr.
 */
#include <ativa/store.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int failed(const char *what, ativa_err e)
{
    fprintf(stderr, "ativa-test-attend: %s: %s (%s)\n", what, ativa_strerror(e), ativa_err_code(e));
    return 1;
}

static ativa_err ensure_line(ativa_store *st, const char *line)
{
    json_t *l = NULL;
    ativa_err e = ativa_store_get_line(st, line, &l);
    json_decref(l);
    if (e != ATIVA_ERR_NOT_FOUND)
        return e;
    ativa_store_op op = {.kind = ATIVA_STORE_PUT_LINE};
    op.in.line.phone_number_id = line;
    op.in.line.display_number = "551140040000";
    op.in.line.waba_id = "102290129340398";
    op.in.line.label = "Teste";
    return ativa_store_execute(st, &op);
}

static ativa_err attend(ativa_store *st, const char *line, const char *customer, uint64_t agent,
                        const char *reason, const char *description, uint64_t *attendance)
{
    static unsigned serial;
    int64_t now = now_ms();
    char wamid[128];
    snprintf(wamid, sizeof wamid, "wamid.test.%s.%lld.%u", customer, (long long)now, serial++);
    ativa_store_op op = {.kind = ATIVA_STORE_RECORD_INBOUND};
    op.in.inbound.line = line;
    op.in.inbound.from = customer;
    op.in.inbound.profile_name = "Cliente";
    op.in.inbound.wamid = wamid;
    op.in.inbound.ts_ms = now;
    op.in.inbound.kind = ATIVA_MSG_TEXT;
    op.in.inbound.text = "Olá";
    op.in.inbound.now_ms = now;
    op.in.inbound.window_ms = 24LL * 3600 * 1000;
    ativa_err e = ativa_store_execute(st, &op);
    if (e)
        return e;
    uint64_t conv = op.out.conv;
    memset(&op, 0, sizeof op);
    op.kind = ATIVA_STORE_FINALIZE;
    op.in.finalize.conv = conv;
    op.in.finalize.agent = agent;
    op.in.finalize.reason = reason;
    op.in.finalize.description = description;
    op.in.finalize.now_ms = now + 1;
    e = ativa_store_execute(st, &op);
    *attendance = op.out.attendance;
    return e;
}

static int run(ativa_store *st, int argc, char **argv)
{
    const char *cmd = argv[2];
    bool one = !strcmp(cmd, "attend") && argc == 8;
    bool churn = !strcmp(cmd, "churn") && argc == 6;
    if (!one && !churn) {
        fputs("usage: ativa-test-attend DIR attend LINE CUSTOMER AGENT_LOGIN REASON DESCRIPTION\n"
              "       ativa-test-attend DIR churn LINE AGENT_LOGIN N\n",
              stderr);
        return 2;
    }
    const char *line = argv[3];
    ativa_err e = ensure_line(st, line);
    if (e)
        return failed("line", e);
    json_t *agent = NULL;
    if ((e = ativa_store_get_agent_by_login(st, one ? argv[5] : argv[4], false, &agent)))
        return failed("agent", e);
    uint64_t agent_id = (uint64_t)json_integer_value(json_object_get(agent, "id"));
    json_decref(agent);
    uint64_t att = 0;
    if (one) {
        if ((e = attend(st, line, argv[4], agent_id, argv[6], argv[7], &att)))
            return failed("attend", e);
        printf("{\"attendance\": %llu}\n", (unsigned long long)att);
        return 0;
    }
    long n = strtol(argv[5], NULL, 10);
    for (long i = 0; i < n; i++) {
        char customer[16];
        snprintf(customer, sizeof customer, "55119%08ld", 10000000 + i % 80000000);
        if ((e = attend(st, line, customer, agent_id, "churn", "written during a backup", &att)))
            return failed("churn", e);
        printf("wrote %ld\n", i + 1);
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: ativa-test-attend DIR attend|churn ...\n", stderr);
        return 2;
    }
    ativa_store_config cfg = ativa_store_config_default(argv[1]);
    ativa_store *st = NULL;
    ativa_err e = ativa_store_open(&cfg, &st);
    if (e)
        return failed(argv[1], e);
    int rc = run(st, argc, argv);
    ativa_store_close(st);
    return rc;
}
