/* The consoles' WebSocket, ativa.v1; see agents.h and docs/protocol.md. */
#include "agents.h"

#include "agent_api.h"
#include "bridge.h"
#include "http.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"

#include <ativa/protocol.h>
#include <ativa/store.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WS_PATH      "/ws"
#define COOKIE_NAME  "ativa_session"
#define HEADER_MAX   512
#define FANOUT_CHUNK 500u
#define REPLAY_CHUNK 1000u
#define DISTINCT_MAX 4
#define CLOSE_SEND_S 5

#define CLOSE_SESSION         4001
#define CLOSE_SERVICE_RESTART 1012 /* RFC 6455 registry; lws 4.1 has no name for it */
#define REASON_TOO_SLOW       "too slow: resume from your last seq"
#define REASON_EXPIRED        "session expired"
#define REASON_REVOKED        "session revoked"
#define REASON_TOO_BIG        "frame too large"
#define REASON_BINARY         "binary frames are not accepted"
#define REASON_DRAINING       "service restart"

/*
 * lws 4.1.6 keeps the close opcode out of its public enum ("LWS_WRITE_CLOSE is handled by
 * lws_close_reason()"), leaving the gap at 4 that its own close path writes with.
 */
#define LWS_WRITE_CLOSE_FRAME ((enum lws_write_protocol)4)

/*
 * Largest WebSocket fragment written at once: a message longer than this goes out as several
 * fragments. Chromium carries WebSockets over HTTP/2 (RFC 8441) when the server offers it, as lws
 * does, and lws 4.1 puts each fragment, with its 4-byte header, in one DATA frame without
 * splitting it to the peer's SETTINGS_MAX_FRAME_SIZE (16384 unless the peer raises it): a larger
 * frame is a protocol error that ends the whole HTTP/2 connection. Over HTTP/1.1 a fragment is one
 * TLS record.
 */
#define WS_FRAGMENT_MAX (16384 - 4)

/* One serialized frame, shared by every connection it is queued on. */
struct frame {
    unsigned refs;
    size_t len;
    unsigned char buf[]; /* LWS_PRE bytes of headroom, then the text */
};

struct conn {
    struct lws *wsi;
    struct conn *prev, *next; /* the hub's list, once established */
    bool authenticated;       /* filled by the upgrade's filter */
    bool listed;
    struct ativa_agent agent;
    char token_hash[ATIVA_AUTH_TOKEN_HASH_MAX];
    int64_t expires_ms;

    bool resumed;      /* events flow only after resume */
    uint64_t last_seq; /* the last event considered for this connection */

    struct frame **q; /* ring of cfg->max_queued_frames */
    unsigned q_head, q_count, q_cap;
    size_t q_bytes;
    size_t q_head_sent; /* bytes of the head frame already written as fragments */

    char *rx; /* a message being reassembled */
    size_t rx_len;
    bool rx_skip; /* the rest of an over-long message */

    int close_code; /* non-zero: close once the queue is written */
    bool close_sent;
    bool peer_closed; /* the console's close frame came first; lws has answered it */
    const char *close_reason;
    bool counted_inflight; /* draining: the stop waits for the close */
    lws_sorted_usec_list_t expiry;
};

static struct {
    struct ativa_server *srv;
    struct conn *head;
    unsigned n;
    uint64_t last_seq; /* the last event fanned out */
    bool started;
    uint64_t events_pushed; /* event frames queued to consoles */
    uint64_t dropped_slow;  /* consoles disconnected for not keeping up */
} hub;

/* ---- frames and the queue ---- */

static struct frame *frame_new(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    if (!s)
        return NULL;
    size_t len = strlen(s);
    struct frame *f = malloc(sizeof *f + LWS_PRE + len + 1);
    if (f) {
        f->refs = 1;
        f->len = len;
        memcpy(f->buf + LWS_PRE, s, len + 1);
    }
    free(s);
    return f;
}

static void frame_unref(struct frame *f)
{
    if (f && --f->refs == 0)
        free(f);
}

static void queue_free(struct conn *c)
{
    while (c->q_count) {
        frame_unref(c->q[c->q_head]);
        c->q_head = (c->q_head + 1) % c->q_cap;
        c->q_count--;
    }
    free(c->q);
    c->q = NULL;
    c->q_cap = 0;
    c->q_bytes = 0;
    c->q_head_sent = 0;
}

/* Close once what is queued is written; the peer reads `reason` in the close frame. */
static void close_after_queue(struct conn *c, int code, const char *reason)
{
    if (c->close_code)
        return;
    c->close_code = code;
    c->close_reason = reason;
    /* A peer that reads nothing would never let the close frame out: do not wait forever. */
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, CLOSE_SEND_S);
    lws_callback_on_writable(c->wsi);
}

static void overflow(struct conn *c)
{
    struct ativa_server *srv = hub.srv;
    hub.dropped_slow++;
    ativa_log_warn("console too slow", "agent=%s queued=%u bytes=%zu max_frames=%u", c->agent.login,
                   c->q_count, c->q_bytes, srv->cfg->max_queued_frames);
    queue_free(c);
    close_after_queue(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, REASON_TOO_SLOW);
}

/* Takes a reference on f. */
static void enqueue(struct conn *c, struct frame *f)
{
    const struct ativa_config *cfg = hub.srv->cfg;
    if (c->close_code || !c->q)
        return; /* closing: nothing more goes out */
    if (c->q_count == c->q_cap || c->q_bytes + f->len > cfg->max_queued_bytes) {
        overflow(c);
        return;
    }
    f->refs++;
    c->q[(c->q_head + c->q_count) % c->q_cap] = f;
    c->q_count++;
    c->q_bytes += f->len;
    lws_callback_on_writable(c->wsi);
}

/* Steals j. */
static void enqueue_json(struct conn *c, json_t *j)
{
    if (!j)
        return;
    struct frame *f = frame_new(j);
    json_decref(j);
    if (!f) {
        ativa_log_error("cannot serialize a frame", "agent=%s", c->agent.login);
        return;
    }
    enqueue(c, f);
    frame_unref(f);
}

static void end_session(struct conn *c, const char *reason)
{
    enqueue_json(c, ativa_reply_error_new(NULL, ATIVA_ERR_UNAUTHENTICATED, NULL));
    close_after_queue(c, CLOSE_SESSION, reason);
}

/* ---- authentication at the upgrade ---- */

static bool origin_allowed(const struct ativa_config *cfg, const char *origin)
{
    for (size_t i = 0; i < cfg->n_allowed_origins; i++)
        if (strcmp(cfg->allowed_origins[i], origin) == 0)
            return true;
    return false;
}

/* The token of the request: the cookie (browsers) or Authorization: Bearer (other clients). */
static bool request_token(struct lws *wsi, char token[ATIVA_AUTH_TOKEN_MAX + 1])
{
    char buf[HEADER_MAX];
    size_t max = ATIVA_AUTH_TOKEN_MAX + 1;
    if (lws_http_cookie_get(wsi, COOKIE_NAME, token, &max) == 0 && token[0])
        return true;
    if (lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_AUTHORIZATION) <= 0)
        return false;
    if (strncasecmp(buf, "Bearer ", 7) != 0 || strlen(buf + 7) > ATIVA_AUTH_TOKEN_MAX)
        return false;
    strcpy(token, buf + 7);
    return true;
}

int ativa_agents_session_of_request(struct lws *wsi, struct ativa_server *srv,
                                    char token_hash[ATIVA_AUTH_TOKEN_HASH_MAX],
                                    struct ativa_agent *agent, int64_t *expires_ms)
{
    char token[ATIVA_AUTH_TOKEN_MAX + 1];
    ativa_store_session s;
    json_t *rec = NULL;
    if (!srv->store || !request_token(wsi, token) ||
        ativa_auth_token_hash(token, token_hash) != ATIVA_OK ||
        ativa_store_get_session(srv->store, token_hash, ativa_server_now_ms(srv), &s) != ATIVA_OK)
        return -1;
    int rc = -1;
    if (ativa_store_get_agent(srv->store, s.agent, &rec) == ATIVA_OK &&
        ativa_agent_from_record(rec, agent) == 0)
        rc = 0;
    json_decref(rec);
    *expires_ms = s.expires_ms;
    return rc;
}

/*
 * lws 4.1.6 gives the filter no way to answer the upgrade with a status of its own: refusing
 * closes the TCP connection without any HTTP answer. We write a complete HTTP/1.1 answer first
 * (lws_return_http_status), so that a client sees 401 or 403 before the close.
 */
static int refuse(struct lws *wsi, unsigned status, const char *why)
{
    ativa_log_info("console upgrade refused", "status=%u reason=%s", status, why);
    lws_return_http_status(wsi, status, NULL);
    return 1;
}

static int filter(struct lws *wsi, struct conn *c)
{
    struct ativa_server *srv = ativa_server_from_wsi(wsi);
    char origin[HEADER_MAX];
    if (srv->draining)
        return refuse(wsi, 503, "stopping");
    if (!ativa_http_path_is(wsi, WS_PATH))
        return refuse(wsi, 404, "path is not /ws");
    if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0)
        return refuse(wsi, 403, "no origin");
    if (!origin_allowed(srv->cfg, origin))
        return refuse(wsi, 403, "origin not allowed");
    if (!c)
        return refuse(wsi, 500, "no session data");
    if (ativa_agents_session_of_request(wsi, srv, c->token_hash, &c->agent, &c->expires_ms))
        return refuse(wsi, 401, "no valid session");
    c->authenticated = true;
    return 0;
}

/* ---- session expiry ---- */

static void expiry_fired(lws_sorted_usec_list_t *sul)
{
    struct conn *c = lws_container_of(sul, struct conn, expiry);
    ativa_log_info("console session expired", "agent=%s", c->agent.login);
    end_session(c, REASON_EXPIRED);
}

static bool session_alive(struct conn *c)
{
    struct ativa_server *srv = hub.srv;
    ativa_store_session s;
    ativa_err err =
        ativa_store_get_session(srv->store, c->token_hash, ativa_server_now_ms(srv), &s);
    /* A store that cannot be read now is not a reason to drop the console. */
    return err != ATIVA_ERR_UNAUTHENTICATED;
}

/* ---- resume ---- */

static json_t *agent_json_new(const struct ativa_agent *a)
{
    return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)a->id, "login", a->login, "name",
                     a->name, "role", a->supervisor ? "supervisor" : "agent");
}

static void resync(struct conn *c, const char *reason)
{
    ativa_log_info("console resync", "agent=%s reason=%s", c->agent.login, reason);
    enqueue_json(c, json_pack("{s:s, s:s}", "type", "resync", "reason", reason));
}

/*
 * The frames after `after` up to the hub's last seq, as this agent sees them, or NULL (and
 * *too_many) when they would not fit in the free part of the queue.
 */
static struct frame **replay_frames(struct conn *c, uint64_t after, size_t *n_out, bool *too_many)
{
    struct ativa_server *srv = hub.srv;
    size_t room = c->q_cap - c->q_count, bytes_room = srv->cfg->max_queued_bytes - c->q_bytes;
    struct frame **out = calloc(room ? room : 1, sizeof *out);
    size_t n = 0, bytes = 0;
    *too_many = false;
    if (!out)
        return NULL;
    while (after < hub.last_seq) {
        json_t *evs = NULL, *ev;
        size_t i;
        if (ativa_store_events_after(srv->store, after, REPLAY_CHUNK, &evs) != ATIVA_OK)
            goto fail;
        if (json_array_size(evs) == 0) {
            json_decref(evs);
            break;
        }
        json_array_foreach(evs, i, ev)
        {
            uint64_t seq = (uint64_t)json_integer_value(json_object_get(ev, "seq"));
            if (seq > hub.last_seq)
                break;
            after = seq;
            json_t *j = ativa_api_event_frame_new(srv, &c->agent, ev);
            if (!j)
                continue;
            struct frame *f = frame_new(j);
            json_decref(j);
            if (!f || n == room || bytes + f->len > bytes_room) {
                frame_unref(f);
                json_decref(evs);
                *too_many = f != NULL;
                goto fail;
            }
            out[n++] = f;
            bytes += f->len;
        }
        json_decref(evs);
    }
    *n_out = n;
    return out;
fail:
    while (n)
        frame_unref(out[--n]);
    free(out);
    return NULL;
}

static void handle_resume(struct conn *c, ativa_request *req)
{
    struct ativa_server *srv = hub.srv;
    if (c->resumed) {
        enqueue_json(c, ativa_reply_error_new(req->id, ATIVA_ERR_INVALID_ARGUMENT,
                                              "resume já foi feito nesta conexão"));
        return;
    }
    json_t *data =
        json_pack("{s:o, s:I, s:I, s:I}", "agent", agent_json_new(&c->agent), "server_time_ms",
                  (json_int_t)ativa_server_now_ms(srv), "last_seq", (json_int_t)hub.last_seq,
                  "window_ms", (json_int_t)srv->cfg->window_ms);
    enqueue_json(c, ativa_reply_ok_new(req->id, data));
    c->resumed = true;
    c->last_seq = hub.last_seq;
    if (req->last_seq == 0 || req->last_seq >= hub.last_seq) {
        if (req->last_seq > hub.last_seq)
            resync(c, "ahead of the gateway's log");
        return;
    }
    if (hub.last_seq - req->last_seq > srv->cfg->replay_max_events) {
        resync(c, "too far behind");
        return;
    }
    size_t n = 0;
    bool too_many = false;
    struct frame **frames = replay_frames(c, req->last_seq, &n, &too_many);
    if (!frames) {
        resync(c, too_many ? "too far behind" : "cannot read the event log");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        enqueue(c, frames[i]);
        frame_unref(frames[i]);
    }
    free(frames);
    ativa_log_debug("console resumed", "agent=%s from=%llu replayed=%zu", c->agent.login,
                    (unsigned long long)req->last_seq, n);
}

/* ---- requests ---- */

static void reply_to_conn(struct ativa_server *srv, void *conn, json_t *frame)
{
    (void)srv;
    enqueue_json(conn, frame);
}

static void handle_message(struct conn *c, const char *text, size_t len)
{
    struct ativa_server *srv = hub.srv;
    ativa_request req;
    char why[200];
    memset(&req, 0, sizeof req);
    if (!session_alive(c)) {
        end_session(c, REASON_EXPIRED);
        return;
    }
    ativa_err err = ativa_request_parse(text, len, &req, why, sizeof why);
    if (err) {
        char msg[320];
        snprintf(msg, sizeof msg, "%s (%s)", ativa_err_text_pt(err), why);
        enqueue_json(c, ativa_reply_error_new(req.id, err, msg));
        ativa_request_clear(&req);
        return;
    }
    if (req.type == ATIVA_REQ_RESUME) {
        handle_resume(c, &req);
        ativa_request_clear(&req);
        return;
    }
    ativa_api_handle(srv, &c->agent, c, &req, reply_to_conn);
}

static int receive(struct lws *wsi, struct conn *c, const char *in, size_t len)
{
    size_t max = hub.srv->cfg->max_frame_bytes;
    lws_validity_confirmed(wsi);
    if (lws_frame_is_binary(wsi)) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, (unsigned char *)REASON_BINARY,
                         strlen(REASON_BINARY));
        return -1;
    }
    if (lws_is_first_fragment(wsi))
        c->rx_len = 0;
    if (c->rx_len + len > max) {
        ativa_log_warn("console frame too large", "agent=%s max=%zu", c->agent.login, max);
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)REASON_TOO_BIG,
                         strlen(REASON_TOO_BIG));
        return -1;
    }
    if (!c->rx && !(c->rx = malloc(max)))
        return -1;
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (!lws_is_final_fragment(wsi))
        return 0;
    size_t n = c->rx_len;
    c->rx_len = 0;
    if (!c->close_code)
        handle_message(c, c->rx, n);
    return 0;
}

/* ---- connection life ---- */

static int established(struct lws *wsi, struct conn *c)
{
    struct ativa_server *srv = ativa_server_from_wsi(wsi);
    if (!c || !c->authenticated)
        return -1;
    if (!hub.srv)
        hub.srv = srv;
    c->wsi = wsi;
    c->q_cap = srv->cfg->max_queued_frames;
    c->q = calloc(c->q_cap, sizeof *c->q);
    if (!c->q)
        return -1;
    c->next = hub.head;
    if (hub.head)
        hub.head->prev = c;
    hub.head = c;
    c->listed = true;
    hub.n++;
    int64_t left = c->expires_ms - ativa_server_now_ms(srv);
    lws_sul_schedule(lws_get_context(wsi), 0, &c->expiry, expiry_fired,
                     (lws_usec_t)(left > 0 ? left : 0) * 1000);
    ativa_log_info("console connected", "agent=%s id=%llu consoles=%u", c->agent.login,
                   (unsigned long long)c->agent.id, hub.n);
    return 0;
}

static void closed(struct conn *c)
{
    struct ativa_server *srv = hub.srv;
    if (!c || !c->listed)
        return;
    lws_sul_cancel(&c->expiry);
    if (c->prev)
        c->prev->next = c->next;
    else
        hub.head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->listed = false;
    hub.n--;
    ativa_api_conn_gone(srv, c);
    queue_free(c);
    free(c->rx);
    c->rx = NULL;
    if (c->counted_inflight) {
        c->counted_inflight = false;
        ativa_server_inflight_end(srv);
    }
    ativa_log_info("console disconnected", "agent=%s consoles=%u", c->agent.login, hub.n);
}

/*
 * Writes the next fragment of the head frame (the whole frame when it is short). A frame shared
 * with other connections is written in place; a fragment is copied out first, because lws_write()
 * puts the fragment's header in the LWS_PRE bytes before it, which would overwrite the text of
 * the fragment before.
 */
static int write_head_fragment(struct lws *wsi, struct conn *c)
{
    struct frame *f = c->q[c->q_head];
    size_t left = f->len - c->q_head_sent;
    size_t n = left > WS_FRAGMENT_MAX ? WS_FRAGMENT_MAX : left;
    bool first = c->q_head_sent == 0, last = n == left;
    int wp = first ? LWS_WRITE_TEXT : LWS_WRITE_CONTINUATION;
    if (!last)
        wp |= LWS_WRITE_NO_FIN;
    unsigned char scratch[LWS_PRE + WS_FRAGMENT_MAX];
    unsigned char *p = f->buf + LWS_PRE;
    if (!(first && last)) {
        memcpy(scratch + LWS_PRE, f->buf + LWS_PRE + c->q_head_sent, n);
        p = scratch + LWS_PRE;
    }
    if (lws_write(wsi, p, n, (enum lws_write_protocol)wp) < (int)n)
        return -1;
    c->q_head_sent += n;
    if (last) {
        c->q_head = (c->q_head + 1) % c->q_cap;
        c->q_count--;
        c->q_bytes -= f->len;
        c->q_head_sent = 0;
        frame_unref(f);
    }
    return 0;
}

static int writeable(struct lws *wsi, struct conn *c)
{
    if (c->peer_closed)
        return 0; /* nothing may follow the close frame lws echoed */
    if (c->q_count) {
        if (write_head_fragment(wsi, c) < 0)
            return -1;
        if (c->q_count || c->close_code)
            lws_callback_on_writable(wsi);
        return 0;
    }
    if (c->close_code && !c->close_sent) {
        /*
         * The close frame is written here like any frame rather than by lws_close_reason() and a
         * return of -1: lws then closes the socket at once, and a console whose requests are
         * still arriving gets a TCP reset that discards the close frame (and its reason) before
         * it is read. Written this way, the socket stays open until the console answers the
         * close or closes its side, or the timeout set by close_after_queue() ends it.
         */
        unsigned char buf[LWS_PRE + 125];
        size_t rl = strlen(c->close_reason);
        if (rl > 123)
            rl = 123;
        buf[LWS_PRE] = (unsigned char)(c->close_code >> 8);
        buf[LWS_PRE + 1] = (unsigned char)(c->close_code & 0xff);
        memcpy(buf + LWS_PRE + 2, c->close_reason, rl);
        if (lws_write(wsi, buf + LWS_PRE, 2 + rl, LWS_WRITE_CLOSE_FRAME) < 0)
            return -1;
        c->close_sent = true;
    }
    return 0;
}

static int callback_agents(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len)
{
    struct conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return filter(wsi, c);
    case LWS_CALLBACK_ESTABLISHED:
        return established(wsi, c);
    case LWS_CALLBACK_RECEIVE:
        return receive(wsi, c, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return writeable(wsi, c);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        /*
         * lws does not know about a close frame written by writeable(): if ours went first, this
         * is the console's answer and the handshake is complete (a non-zero return closes the
         * socket instead of echoing a second close frame, which browsers reject as "Close
         * received after close"). Otherwise lws echoes the console's close, and nothing of ours
         * may be written after it.
         */
        if (!c)
            return 0;
        if (c->close_sent)
            return -1;
        c->peer_closed = true;
        return 0;
    case LWS_CALLBACK_CLOSED:
        closed(c);
        return 0;
    default:
        return 0;
    }
}

/* ---- fan-out ---- */

struct distinct {
    json_t *json;
    struct frame *frame;
};

/* The frame for j, serialized once per distinct content within one event. Steals j. */
static struct frame *shared_frame(struct distinct *d, unsigned *n, json_t *j)
{
    for (unsigned i = 0; i < *n; i++)
        if (json_equal(d[i].json, j)) {
            json_decref(j);
            d[i].frame->refs++;
            return d[i].frame;
        }
    struct frame *f = frame_new(j);
    if (f && *n < DISTINCT_MAX) {
        d[*n].json = j;
        d[*n].frame = f;
        f->refs++;
        (*n)++;
    } else {
        json_decref(j);
    }
    return f;
}

static void fan_out_event(struct ativa_server *srv, const json_t *ev, uint64_t seq)
{
    struct distinct d[DISTINCT_MAX];
    unsigned nd = 0;
    for (struct conn *c = hub.head; c; c = c->next) {
        if (!c->resumed || c->close_code || seq <= c->last_seq)
            continue;
        c->last_seq = seq;
        json_t *j = ativa_api_event_frame_new(srv, &c->agent, ev);
        if (!j)
            continue;
        struct frame *f = shared_frame(d, &nd, j);
        if (f) {
            hub.events_pushed++;
            enqueue(c, f);
            frame_unref(f);
        }
    }
    for (unsigned i = 0; i < nd; i++) {
        json_decref(d[i].json);
        frame_unref(d[i].frame);
    }
}

static void on_commit(struct ativa_server *srv, void *arg)
{
    (void)arg;
    if (!srv->store)
        return;
    for (;;) {
        uint64_t last = 0;
        if (ativa_store_last_event_seq(srv->store, &last) != ATIVA_OK || last <= hub.last_seq)
            return;
        json_t *evs = NULL, *ev;
        size_t i;
        if (ativa_store_events_after(srv->store, hub.last_seq, FANOUT_CHUNK, &evs) != ATIVA_OK) {
            ativa_log_error("cannot read the event log", "after=%llu",
                            (unsigned long long)hub.last_seq);
            return;
        }
        if (json_array_size(evs) == 0) {
            json_decref(evs);
            return;
        }
        json_array_foreach(evs, i, ev)
        {
            uint64_t seq = (uint64_t)json_integer_value(json_object_get(ev, "seq"));
            if (hub.n) {
                fan_out_event(srv, ev, seq);
                /* From the instant the change was made (the op's now) to queued everywhere. */
                ativa_metrics_observe(ATIVA_HIST_EVENT_FANOUT,
                                      (double)(ativa_clock_now_ms() -
                                               json_integer_value(json_object_get(ev, "ts_ms"))));
            }
            hub.last_seq = seq;
        }
        json_decref(evs);
    }
}

/* ---- drain ---- */

static void on_stop(struct ativa_server *srv, void *arg)
{
    (void)arg;
    unsigned n = 0;
    for (struct conn *c = hub.head; c; c = c->next) {
        if (c->close_code)
            continue;
        enqueue_json(c, json_pack("{s:s, s:i}", "type", "draining", "retry_ms", 1000));
        close_after_queue(c, CLOSE_SERVICE_RESTART, REASON_DRAINING);
        if (!c->counted_inflight) {
            c->counted_inflight = true;
            ativa_server_inflight_begin(srv);
        }
        n++;
    }
    if (n)
        ativa_log_info("consoles told to reconnect", "consoles=%u", n);
}

ativa_err ativa_agents_start(struct ativa_server *srv)
{
    memset(&hub, 0, sizeof hub);
    hub.srv = srv;
    if (!srv->bridge || !srv->store)
        return ATIVA_ERR_INTERNAL;
    ativa_err err = ativa_store_last_event_seq(srv->store, &hub.last_seq);
    if (err)
        return err;
    if (ativa_bridge_listen(srv->bridge, on_commit, NULL))
        return ATIVA_ERR_INTERNAL;
    srv->stop_hook.fn = on_stop;
    srv->stop_hook.arg = NULL;
    hub.started = true;
    return ATIVA_OK;
}

unsigned ativa_agents_session_revoked(struct ativa_server *srv, const char *token_hash)
{
    (void)srv;
    unsigned n = 0;
    for (struct conn *c = hub.head; c; c = c->next)
        if (!c->close_code && strcmp(c->token_hash, token_hash) == 0) {
            end_session(c, REASON_REVOKED);
            n++;
        }
    return n;
}

unsigned ativa_agents_connections(void)
{
    return hub.n;
}

uint64_t ativa_agents_events_pushed(void)
{
    return hub.events_pushed;
}

uint64_t ativa_agents_dropped_slow(void)
{
    return hub.dropped_slow;
}

const struct ativa_route ativa_agents_route = {
    .mountpoint = NULL,
    .protocol = {.name = ATIVA_PROTOCOL_NAME,
                 .callback = callback_agents,
                 .per_session_data_size = sizeof(struct conn),
                 .rx_buffer_size = 0,
                 /* a whole fragment per socket write over HTTP/1.1 too (lws' default: 4 KiB) */
                 .tx_packet_size = ATIVA_HTTP_TX_PACKET_BYTES},
};
