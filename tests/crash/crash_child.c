/*
 * The process the crash test kills: it writes through the store writer in a loop and reports a
 * record on stdout only from its done callback, that is, only after its batch has committed.
 *   usage: crash_child <dir> <round>
 * Lines: "ready" once open, then "in <wamid> <conv> <seq>", "out <conv> <seq> <outbox>" and
 * "fin <conv> <attendance>".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ativa/store.h"
#include "ativa/window.h"

#define LINE   "106540352242922"
#define WINDOW 16
#define T0     1700000000000LL

typedef struct slot {
    ativa_store_op op;
    char wamid[48];
    char from[16];
} slot;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int pending;

static void report(const char *line)
{
    /* One write per line: shorter than PIPE_BUF, so lines never interleave. */
    size_t n = strlen(line);
    if (write(STDOUT_FILENO, line, n) != (ssize_t)n)
        _exit(3);
}

static void inbound_done(ativa_store_op *op, void *user)
{
    slot *s = user;
    char line[128];
    if (op->result == ATIVA_OK) {
        snprintf(line, sizeof line, "in %s %llu %u\n", s->wamid, (unsigned long long)op->out.conv,
                 op->out.seq);
        report(line);
    } else {
        fprintf(stderr, "inbound %s: %s\n", s->wamid, ativa_strerror(op->result));
        _exit(4);
    }
    pthread_mutex_lock(&mu);
    pending--;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    int round = atoi(argv[2]);
    ativa_store_config cfg = ativa_store_config_default(argv[1]);
    cfg.map_size = 256 * 1024; /* small, so that growth happens under the knife too */
    ativa_store *st;
    if (ativa_store_open(&cfg, &st) != ATIVA_OK)
        return 5;
    ativa_store_op op = {.kind = ATIVA_STORE_PUT_LINE};
    op.in.line.phone_number_id = LINE;
    op.in.line.display_number = "15550783881";
    op.in.line.waba_id = "102290129340398";
    ativa_err e = ativa_store_execute(st, &op);
    if (e != ATIVA_OK)
        return 6;
    report("ready\n");
    slot slots[WINDOW];
    char line[128];
    int64_t now = T0 + (int64_t)round * 60000;
    for (int n = 0;; n++) {
        pthread_mutex_lock(&mu);
        pending = WINDOW;
        pthread_mutex_unlock(&mu);
        for (int i = 0; i < WINDOW; i++) {
            slot *s = &slots[i];
            memset(s, 0, sizeof *s);
            snprintf(s->wamid, sizeof s->wamid, "crash-%d-%d-%d", round, n, i);
            /* Alternate the ninth-digit forms: both must land on one customer. */
            int c = (n * WINDOW + i) % 23;
            if (c % 2)
                snprintf(s->from, sizeof s->from, "5511%08d", 90000000 + c);
            else
                snprintf(s->from, sizeof s->from, "55119%08d", 90000000 + c);
            s->op.kind = ATIVA_STORE_RECORD_INBOUND;
            s->op.in.inbound.line = LINE;
            s->op.in.inbound.from = s->from;
            s->op.in.inbound.wamid = s->wamid;
            s->op.in.inbound.ts_ms = now;
            s->op.in.inbound.kind = ATIVA_MSG_TEXT;
            s->op.in.inbound.text = "mensagem do cliente";
            s->op.in.inbound.now_ms = now;
            s->op.in.inbound.window_ms = ATIVA_WINDOW_DEFAULT_MS;
            s->op.done = inbound_done;
            s->op.user = s;
            if (ativa_store_submit(st, &s->op) != ATIVA_OK)
                return 7;
        }
        pthread_mutex_lock(&mu);
        while (pending > 0)
            pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        now += 10;

        /* An agent takes one conversation and answers; another conversation is finalized. */
        uint64_t conv = slots[n % WINDOW].op.out.conv;
        memset(&op, 0, sizeof op);
        op.kind = ATIVA_STORE_TAKE_CONVERSATION;
        op.in.conv.conv = conv;
        op.in.conv.agent = 7;
        op.in.conv.now_ms = now;
        e = ativa_store_execute(st, &op);
        if (e == ATIVA_OK || e == ATIVA_ERR_DUPLICATE) {
            memset(&op, 0, sizeof op);
            op.kind = ATIVA_STORE_SEND_TEXT;
            op.in.text.conv = conv;
            op.in.text.agent = 7;
            op.in.text.text = "resposta do atendente";
            op.in.text.graph_body = "{\"messaging_product\":\"whatsapp\"}";
            op.in.text.now_ms = now;
            if (ativa_store_execute(st, &op) == ATIVA_OK) {
                snprintf(line, sizeof line, "out %llu %u %llu\n", (unsigned long long)conv,
                         op.out.seq, (unsigned long long)op.out.outbox);
                report(line);
            }
        }
        if (n % 3 == 2) {
            conv = slots[(n + 5) % WINDOW].op.out.conv;
            memset(&op, 0, sizeof op);
            op.kind = ATIVA_STORE_FINALIZE;
            op.in.finalize.conv = conv;
            op.in.finalize.agent = 7;
            op.in.finalize.reason = "duvida";
            op.in.finalize.now_ms = now;
            if (ativa_store_execute(st, &op) == ATIVA_OK) {
                snprintf(line, sizeof line, "fin %llu %llu\n", (unsigned long long)conv,
                         (unsigned long long)op.out.attendance);
                report(line);
            }
        }
    }
}
