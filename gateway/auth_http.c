/* /api/login, /api/logout, /api/session; see auth_http.h and docs/protocol.md §1. */
#include "auth_http.h"

#include "agents.h"
#include "bridge.h"
#include "http.h"
#include "log.h"
#include "routes.h"

#include <ativa/auth.h>
#include <ativa/store.h>

#include <openssl/crypto.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_PREFIX     "/api"
#define COOKIE_CLEAR   "ativa_session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0"
#define DUMMY_PASSWORD "no agent has this password"
#define HEADER_MAX     512
/* Password checks waiting for the worker: a flood of logins is refused rather than queued. */
#define WORKER_QUEUE_MAX 64

enum req_kind { REQ_LOGIN = 1, REQ_LOGOUT };

struct api_pss;

/* A login or logout on its way through the worker and the store. */
struct auth_req {
    struct auth_req *next; /* the worker's queues */
    enum req_kind kind;
    struct api_pss *pss; /* NULL once the connection is gone */
    struct ativa_job job;
    bool known; /* an enabled agent with that login */
    bool login_valid;
    uint64_t agent_id;
    json_t *agent; /* {id, login, name, role} for the answer */
    char login[ATIVA_AGENT_LOGIN_MAX];
    char password[ATIVA_AUTH_PASSWORD_MAX + 1];
    char hash[ATIVA_AUTH_HASH_MAX];
    ativa_err verdict; /* the worker's */
    char token[ATIVA_AUTH_TOKEN_MAX];
    char token_hash[ATIVA_AUTH_TOKEN_HASH_MAX];
    int64_t expires_ms;
};

struct api_pss {
    struct ativa_http_reply reply;
    struct lws *wsi;
    char *body;
    size_t len, expected;
    bool receiving;
    struct auth_req *pending;
    /* An answer decided off the callback, sent from WRITEABLE. */
    unsigned answer_status;
    char *answer_body;
    char cookie[160];
    char retry_after[24];
};

static struct {
    pthread_t thread;
    bool running;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct auth_req *todo, *done; /* LIFO is fine: each login is independent */
    bool stop;
    struct lws_context *context;
    unsigned queued; /* handed to the worker, not yet back on the loop (loop thread only) */
    char dummy_hash[ATIVA_AUTH_HASH_MAX];
} worker = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* ---- the password worker ---- */

static void *worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&worker.lock);
    for (;;) {
        while (!worker.todo && !worker.stop)
            pthread_cond_wait(&worker.cond, &worker.lock);
        if (worker.stop)
            break;
        struct auth_req *r = worker.todo;
        worker.todo = r->next;
        pthread_mutex_unlock(&worker.lock);
        /* The same work whether or not the login exists. */
        ativa_err v =
            ativa_auth_verify_password(r->password, r->known ? r->hash : worker.dummy_hash);
        r->verdict = r->known ? v : ATIVA_ERR_BAD_CREDENTIALS;
        OPENSSL_cleanse(r->password, sizeof r->password);
        pthread_mutex_lock(&worker.lock);
        r->next = worker.done;
        worker.done = r;
        lws_cancel_service(worker.context);
    }
    pthread_mutex_unlock(&worker.lock);
    return NULL;
}

static void req_free(struct auth_req *r)
{
    if (!r)
        return;
    json_decref(r->agent);
    OPENSSL_cleanse(r, sizeof *r);
    free(r);
}

ativa_err ativa_auth_start(struct ativa_server *srv)
{
    if (worker.running)
        return ATIVA_OK;
    ativa_err err = ativa_auth_hash_password(DUMMY_PASSWORD, NULL, worker.dummy_hash);
    if (err)
        return err;
    worker.context = srv->context;
    worker.stop = false;
    if (pthread_create(&worker.thread, NULL, worker_main, NULL) != 0)
        return ATIVA_ERR_INTERNAL;
    worker.running = true;
    return ATIVA_OK;
}

void ativa_auth_stop(struct ativa_server *srv)
{
    (void)srv;
    if (!worker.running)
        return;
    pthread_mutex_lock(&worker.lock);
    worker.stop = true;
    pthread_cond_signal(&worker.cond);
    pthread_mutex_unlock(&worker.lock);
    pthread_join(worker.thread, NULL);
    worker.running = false;
    worker.queued = 0;
    struct auth_req *lists[2] = {worker.todo, worker.done};
    worker.todo = worker.done = NULL;
    for (int i = 0; i < 2; i++)
        while (lists[i]) {
            struct auth_req *next = lists[i]->next;
            if (lists[i]->pss)
                lists[i]->pss->pending = NULL;
            req_free(lists[i]);
            lists[i] = next;
        }
}

/* ---- answers ---- */

static char *error_body_new(ativa_err err)
{
    json_t *j = json_pack("{s:{s:s, s:s}}", "error", "code", ativa_err_code(err), "message",
                          ativa_err_text_pt(err));
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

static int answer_now(struct lws *wsi, struct api_pss *pss, unsigned status, char *body_new,
                      const char *cookie, const char *retry_after)
{
    const char *extra[5] = {NULL};
    size_t n = 0;
    if (cookie) {
        extra[n++] = "set-cookie:";
        extra[n++] = cookie;
    }
    if (retry_after) {
        extra[n++] = "retry-after:";
        extra[n++] = retry_after;
    }
    const char *body = body_new ? body_new : "{}";
    int rc = ativa_http_reply_start_with(wsi, &pss->reply, status, "application/json", body,
                                         strlen(body), extra);
    free(body_new);
    return rc;
}

static int answer_error(struct lws *wsi, struct api_pss *pss, unsigned status, ativa_err err)
{
    return answer_now(wsi, pss, status, error_body_new(err), NULL, NULL);
}

/* From a completion: keep the answer until WRITEABLE. */
static void answer_later(struct api_pss *pss, unsigned status, char *body_new, const char *cookie)
{
    free(pss->answer_body);
    pss->answer_status = status;
    pss->answer_body = body_new;
    snprintf(pss->cookie, sizeof pss->cookie, "%s", cookie ? cookie : "");
    lws_callback_on_writable(pss->wsi);
}

/* ---- completions on the loop ---- */

static void login_recorded(struct ativa_server *srv, struct ativa_job *job)
{
    (void)srv;
    req_free(lws_container_of(job, struct auth_req, job));
}

static void session_created(struct ativa_server *srv, struct ativa_job *job)
{
    struct auth_req *r = lws_container_of(job, struct auth_req, job);
    if (r->pss) {
        r->pss->pending = NULL;
        if (job->op.result != ATIVA_OK) {
            answer_later(r->pss, 503, error_body_new(job->op.result), NULL);
        } else {
            char cookie[160];
            snprintf(cookie, sizeof cookie,
                     "ativa_session=%s; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=%u",
                     r->token, srv->cfg->session_ttl_s);
            json_t *j = json_pack("{s:s, s:I, s:O}", "token", r->token, "expires_ms",
                                  (json_int_t)r->expires_ms, "agent", r->agent);
            answer_later(r->pss, 200, j ? json_dumps(j, JSON_COMPACT) : NULL, cookie);
            json_decref(j);
        }
        r->pss = NULL;
    }
    if (job->op.result == ATIVA_OK) {
        ativa_log_info("login", "agent=%s", r->login);
        memset(&job->op, 0, sizeof job->op);
        job->op.kind = ATIVA_STORE_LOGIN_SUCCEEDED;
        job->op.in.login.login = r->login;
        job->op.in.login.now_ms = ativa_server_now_ms(srv);
        job->done = login_recorded;
        if (ativa_bridge_submit(srv, job) == ATIVA_OK)
            return;
    }
    req_free(r);
}

static void failure_recorded(struct ativa_server *srv, struct ativa_job *job)
{
    (void)srv;
    struct auth_req *r = lws_container_of(job, struct auth_req, job);
    if (r->pss) {
        r->pss->pending = NULL;
        answer_later(r->pss, 401, error_body_new(ATIVA_ERR_BAD_CREDENTIALS), NULL);
    }
    req_free(r);
}

static void verified(struct ativa_server *srv, struct auth_req *r)
{
    int64_t now = ativa_server_now_ms(srv);
    memset(&r->job.op, 0, sizeof r->job.op);
    if (r->verdict == ATIVA_OK) {
        if (ativa_auth_new_token(r->token, r->token_hash) == ATIVA_OK) {
            r->expires_ms = now + (int64_t)srv->cfg->session_ttl_s * 1000;
            r->job.op.kind = ATIVA_STORE_CREATE_SESSION;
            r->job.op.in.session.token_hash = r->token_hash;
            r->job.op.in.session.agent = r->agent_id;
            r->job.op.in.session.now_ms = now;
            r->job.op.in.session.expires_ms = r->expires_ms;
            r->job.done = session_created;
            if (ativa_bridge_submit(srv, &r->job) == ATIVA_OK)
                return;
        }
        if (r->pss) {
            r->pss->pending = NULL;
            answer_later(r->pss, 503, error_body_new(ATIVA_ERR_INTERNAL), NULL);
        }
        req_free(r);
        return;
    }
    ativa_log_info("login refused", "login=%s", r->login_valid ? r->login : "(malformed)");
    if (r->login_valid) {
        /* Counted for unknown logins too, so that the throttle tells nothing. The answer waits
         * for the count, so that the next attempt is judged by it. */
        r->job.op.kind = ATIVA_STORE_LOGIN_FAILED;
        r->job.op.in.login.login = r->login;
        r->job.op.in.login.now_ms = now;
        r->job.done = failure_recorded;
        if (ativa_bridge_submit(srv, &r->job) == ATIVA_OK)
            return;
    }
    failure_recorded(srv, &r->job);
}

static void drain_worker(struct ativa_server *srv)
{
    pthread_mutex_lock(&worker.lock);
    struct auth_req *r = worker.done;
    worker.done = NULL;
    pthread_mutex_unlock(&worker.lock);
    while (r) {
        struct auth_req *next = r->next;
        worker.queued--;
        verified(srv, r);
        r = next;
    }
}

/* ---- requests ---- */

static bool origin_refused(struct lws *wsi, const struct ativa_config *cfg)
{
    char origin[HEADER_MAX];
    int n = lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN);
    if (n <= 0)
        return lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) > 0; /* present but unreadable */
    for (size_t i = 0; i < cfg->n_allowed_origins; i++)
        if (strcmp(cfg->allowed_origins[i], origin) == 0)
            return false;
    return true;
}

static int start_login(struct lws *wsi, struct api_pss *pss)
{
    char cl[32];
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
        return answer_error(wsi, pss, 411, ATIVA_ERR_INVALID_ARGUMENT);
    if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
        return answer_error(wsi, pss, 400, ATIVA_ERR_INVALID_ARGUMENT);
    char *end = NULL;
    errno = 0;
    unsigned long long declared = strtoull(cl, &end, 10);
    if (errno || *end || cl[0] < '0' || cl[0] > '9')
        return answer_error(wsi, pss, 400, ATIVA_ERR_INVALID_ARGUMENT);
    if (declared > ATIVA_AUTH_BODY_MAX)
        return answer_error(wsi, pss, 413, ATIVA_ERR_TOO_LARGE);
    if (declared == 0)
        return answer_error(wsi, pss, 400, ATIVA_ERR_BAD_JSON);
    pss->expected = (size_t)declared;
    pss->body = malloc(pss->expected);
    if (!pss->body)
        return answer_error(wsi, pss, 503, ATIVA_ERR_NO_MEMORY);
    pss->receiving = true;
    return 0;
}

static int finish_login(struct lws *wsi, struct api_pss *pss)
{
    struct ativa_server *srv = ativa_server_from_wsi(wsi);
    json_error_t jerr;
    json_t *root = json_loadb(pss->body, pss->len, JSON_REJECT_DUPLICATES, &jerr);
    OPENSSL_cleanse(pss->body, pss->len);
    free(pss->body);
    pss->body = NULL;
    pss->receiving = false;
    if (!json_is_object(root)) {
        json_decref(root);
        return answer_error(wsi, pss, 400, ATIVA_ERR_BAD_JSON);
    }
    const char *login = json_string_value(json_object_get(root, "login"));
    const char *password = json_string_value(json_object_get(root, "password"));
    if (!login || !password || strlen(password) > ATIVA_AUTH_PASSWORD_MAX ||
        strlen(login) >= ATIVA_AGENT_LOGIN_MAX) {
        json_decref(root);
        return answer_error(wsi, pss, 400, ATIVA_ERR_INVALID_ARGUMENT);
    }
    if (worker.queued >= WORKER_QUEUE_MAX) {
        json_decref(root);
        ativa_log_warn("login refused", "reason=%s queued=%u", "too many logins at once",
                       worker.queued);
        return answer_now(wsi, pss, 429, error_body_new(ATIVA_ERR_RATE_LIMITED), NULL, "1");
    }
    struct auth_req *r = calloc(1, sizeof *r);
    if (!r) {
        json_decref(root);
        return answer_error(wsi, pss, 503, ATIVA_ERR_NO_MEMORY);
    }
    r->kind = REQ_LOGIN;
    strcpy(r->login, login);
    strcpy(r->password, password);
    json_decref(root);
    r->login_valid = ativa_auth_login_valid(r->login) == ATIVA_OK;

    int64_t now = ativa_server_now_ms(srv);
    if (r->login_valid) {
        uint32_t failures = 0;
        int64_t last = 0;
        if (ativa_store_login_failures(srv->store, r->login, &failures, &last) == ATIVA_OK) {
            int64_t until = ativa_auth_retry_after_ms(failures, last);
            if (until > now) {
                snprintf(pss->retry_after, sizeof pss->retry_after, "%lld",
                         (long long)((until - now + 999) / 1000));
                ativa_log_info("login throttled", "login=%s failures=%u", r->login, failures);
                req_free(r);
                return answer_now(wsi, pss, 429, error_body_new(ATIVA_ERR_RATE_LIMITED), NULL,
                                  pss->retry_after);
            }
        }
        json_t *rec = NULL;
        if (ativa_store_get_agent_by_login(srv->store, r->login, true, &rec) == ATIVA_OK) {
            const char *hash = json_string_value(json_object_get(rec, "password_hash"));
            if (hash && strlen(hash) < sizeof r->hash &&
                !json_is_true(json_object_get(rec, "disabled"))) {
                strcpy(r->hash, hash);
                r->known = true;
                r->agent_id = (uint64_t)json_integer_value(json_object_get(rec, "id"));
                r->agent =
                    json_pack("{s:I, s:O, s:O, s:O}", "id", (json_int_t)r->agent_id, "login",
                              json_object_get(rec, "login"), "name", json_object_get(rec, "name"),
                              "role", json_object_get(rec, "role"));
                if (!r->agent)
                    r->known = false;
            }
            json_decref(rec);
        }
    }
    r->pss = pss;
    pss->pending = r;
    worker.queued++;
    pthread_mutex_lock(&worker.lock);
    r->next = worker.todo;
    worker.todo = r;
    pthread_cond_signal(&worker.cond);
    pthread_mutex_unlock(&worker.lock);
    return 0;
}

static void logout_done(struct ativa_server *srv, struct ativa_job *job)
{
    struct auth_req *r = lws_container_of(job, struct auth_req, job);
    unsigned closed = ativa_agents_session_revoked(srv, r->token_hash);
    ativa_log_info("logout", "agent=%llu consoles_closed=%u", (unsigned long long)r->agent_id,
                   closed);
    if (r->pss) {
        r->pss->pending = NULL;
        answer_later(r->pss, 200, strdup("{}"), COOKIE_CLEAR);
    }
    req_free(r);
}

static int logout(struct lws *wsi, struct api_pss *pss)
{
    struct ativa_server *srv = ativa_server_from_wsi(wsi);
    struct ativa_agent agent;
    int64_t expires = 0;
    struct auth_req *r = calloc(1, sizeof *r);
    if (!r)
        return answer_error(wsi, pss, 503, ATIVA_ERR_NO_MEMORY);
    if (ativa_agents_session_of_request(wsi, srv, r->token_hash, &agent, &expires) != 0) {
        req_free(r);
        return answer_now(wsi, pss, 200, NULL, COOKIE_CLEAR, NULL); /* nothing to revoke */
    }
    r->kind = REQ_LOGOUT;
    r->agent_id = agent.id;
    r->job.op.kind = ATIVA_STORE_REVOKE_SESSION;
    r->job.op.in.session.token_hash = r->token_hash;
    r->job.op.in.session.agent = agent.id;
    r->job.op.in.session.now_ms = ativa_server_now_ms(srv);
    r->job.done = logout_done;
    if (ativa_bridge_submit(srv, &r->job) != ATIVA_OK) {
        req_free(r);
        return answer_error(wsi, pss, 503, ATIVA_ERR_STORE_CLOSED);
    }
    r->pss = pss;
    pss->pending = r;
    return 0;
}

static int session(struct lws *wsi, struct api_pss *pss)
{
    struct ativa_server *srv = ativa_server_from_wsi(wsi);
    struct ativa_agent a;
    char token_hash[ATIVA_AUTH_TOKEN_HASH_MAX];
    int64_t expires = 0;
    if (ativa_agents_session_of_request(wsi, srv, token_hash, &a, &expires) != 0)
        return answer_error(wsi, pss, 401, ATIVA_ERR_UNAUTHENTICATED);
    json_t *j = json_pack("{s:{s:I, s:s, s:s, s:s}, s:I}", "agent", "id", (json_int_t)a.id, "login",
                          a.login, "name", a.name, "role", a.supervisor ? "supervisor" : "agent",
                          "expires_ms", (json_int_t)expires);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return answer_now(wsi, pss, 200, body, NULL, NULL);
}

static void reset(struct api_pss *pss)
{
    if (pss->pending) {
        pss->pending->pss = NULL; /* it finishes without us */
        pss->pending = NULL;
    }
    if (pss->body) {
        OPENSSL_cleanse(pss->body, pss->len);
        free(pss->body);
        pss->body = NULL;
    }
    free(pss->answer_body);
    pss->answer_body = NULL;
    pss->answer_status = 0;
    pss->len = pss->expected = 0;
    pss->receiving = false;
    ativa_http_reply_clear(&pss->reply);
}

static int route(struct lws *wsi, struct api_pss *pss)
{
    struct ativa_server *srv = ativa_server_from_wsi(wsi);
    enum ativa_http_method m = ativa_http_method(wsi);
    pss->wsi = wsi;
    if (ativa_http_path_is(wsi, API_PREFIX "/login")) {
        if (m != ATIVA_HTTP_POST)
            return answer_error(wsi, pss, 405, ATIVA_ERR_INVALID_ARGUMENT);
        if (origin_refused(wsi, srv->cfg))
            return answer_error(wsi, pss, 403, ATIVA_ERR_FORBIDDEN);
        if (!srv->store || !worker.running)
            return answer_error(wsi, pss, 503, ATIVA_ERR_STORE_CLOSED);
        return start_login(wsi, pss);
    }
    if (ativa_http_path_is(wsi, API_PREFIX "/logout")) {
        if (m != ATIVA_HTTP_POST)
            return answer_error(wsi, pss, 405, ATIVA_ERR_INVALID_ARGUMENT);
        if (origin_refused(wsi, srv->cfg))
            return answer_error(wsi, pss, 403, ATIVA_ERR_FORBIDDEN);
        return logout(wsi, pss);
    }
    if (ativa_http_path_is(wsi, API_PREFIX "/session")) {
        if (m != ATIVA_HTTP_GET)
            return answer_error(wsi, pss, 405, ATIVA_ERR_INVALID_ARGUMENT);
        return session(wsi, pss);
    }
    return answer_error(wsi, pss, 404, ATIVA_ERR_NOT_FOUND);
}

static int callback_auth(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    struct api_pss *pss = user;
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
        struct ativa_server *srv = lws_context_user(lws_get_context(wsi));
        if (srv && worker.running)
            drain_worker(srv);
        return 0;
    }
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return 1; /* HTTP only */
    case LWS_CALLBACK_HTTP:
        reset(pss);
        return route(wsi, pss);
    case LWS_CALLBACK_HTTP_BODY:
        if (!pss->receiving)
            return 0;
        if (len > pss->expected - pss->len)
            return -1; /* more than Content-Length announced */
        memcpy(pss->body + pss->len, in, len);
        pss->len += len;
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (!pss->receiving)
            return 0;
        return finish_login(wsi, pss);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (pss->answer_status) {
            unsigned status = pss->answer_status;
            char *body = pss->answer_body;
            pss->answer_status = 0;
            pss->answer_body = NULL;
            return answer_now(wsi, pss, status, body, pss->cookie[0] ? pss->cookie : NULL, NULL);
        }
        return ativa_http_reply_writeable(wsi, &pss->reply);
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (pss)
            reset(pss);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

const struct ativa_route ativa_auth_route = {
    .mountpoint = API_PREFIX,
    .protocol = {.name = "ativa-auth",
                 .callback = callback_auth,
                 .per_session_data_size = sizeof(struct api_pss)},
};
