/*
 * The agents' requests and the visibility of events; see agent_api.h and docs/protocol.md.
 *
 * Reads answer at once from the store. Writes build everything Meta will need (the Graph API body
 * with the rendered template) before submitting, so that the store commits the message and its
 * outbox entry together; the reply is sent when the commit completes on the loop.
 */
#include "agent_api.h"

#include "bridge.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "templates.h"

#include <ativa/meta.h>
#include <ativa/phone.h>
#include <ativa/store.h>
#include <ativa/store_agents.h>
#include <ativa/template.h>
#include <ativa/window.h>

#include <stdlib.h>
#include <string.h>

/* Messages sent with a conversation (its history); older ones are not needed on screen. */
#define HISTORY_MESSAGES 200

/* ---- agents ---- */

int ativa_agent_from_record(const json_t *record, struct ativa_agent *out)
{
    memset(out, 0, sizeof *out);
    json_t *id = json_object_get(record, "id");
    const char *login = json_string_value(json_object_get(record, "login"));
    const char *name = json_string_value(json_object_get(record, "name"));
    const char *role = json_string_value(json_object_get(record, "role"));
    if (!json_is_integer(id) || json_integer_value(id) <= 0 || !login || !role)
        return -1;
    out->id = (uint64_t)json_integer_value(id);
    snprintf(out->login, sizeof out->login, "%s", login);
    snprintf(out->name, sizeof out->name, "%s", name ? name : login);
    out->supervisor = strcmp(role, "supervisor") == 0;
    json_t *lines = json_object_get(record, "lines");
    if (!json_is_array(lines)) {
        out->all_lines = true;
        return 0;
    }
    size_t i;
    json_t *line;
    json_array_foreach(lines, i, line)
    {
        if (!json_is_string(line) || out->n_lines == ATIVA_AGENT_LINES_MAX)
            return -1;
        snprintf(out->lines[out->n_lines++], sizeof out->lines[0], "%s", json_string_value(line));
    }
    return 0;
}

bool ativa_agent_has_line(const struct ativa_agent *agent, const char *line)
{
    if (!line)
        return false;
    if (agent->all_lines || agent->supervisor)
        return true;
    for (unsigned i = 0; i < agent->n_lines; i++)
        if (strcmp(agent->lines[i], line) == 0)
            return true;
    return false;
}

static bool line_configured(const struct ativa_server *srv, const char *line)
{
    for (size_t i = 0; i < srv->cfg->n_lines; i++)
        if (strcmp(srv->cfg->lines[i].phone_number_id, line) == 0)
            return true;
    return false;
}

/* {id, name} of an agent, or null for 0 (the shared queue) and agents that are gone. */
static json_t *agent_brief_new(struct ativa_server *srv, uint64_t id)
{
    if (id == 0)
        return json_null();
    json_t *record = NULL;
    const char *name = NULL;
    if (ativa_store_get_agent(srv->store, id, &record) == ATIVA_OK)
        name = json_string_value(json_object_get(record, "name"));
    json_t *brief = json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", name ? name : "?");
    json_decref(record);
    return brief;
}

/* ---- protocol objects from store records ---- */

static json_int_t int_of(const json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

static const char *str_of(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* An instant, or null for "none" (0 or ATIVA_NEVER in the store). */
static json_t *instant(json_int_t ms)
{
    return ms > 0 ? json_integer(ms) : json_null();
}

static json_t *message_object_new(struct ativa_server *srv, const json_t *m)
{
    const json_t *tpl = json_object_get(m, "template");
    const json_t *err = json_object_get(m, "error");
    json_t *error = json_null();
    if (json_is_object(err))
        error = json_pack("{s:I, s:s}", "code", int_of(err, "code"), "text",
                          str_of(err, "text_pt") ? str_of(err, "text_pt") : "");
    json_t *tmpl = json_null();
    if (json_is_object(tpl))
        tmpl = json_pack("{s:s, s:s}", "name", str_of(tpl, "name") ? str_of(tpl, "name") : "",
                         "language", str_of(tpl, "language") ? str_of(tpl, "language") : "");
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:I, s:s, s:o, s:o, s:o, s:o}", "conversation_id",
                     int_of(m, "conv"), "seq", int_of(m, "seq"), "direction",
                     str_of(m, "direction") ? str_of(m, "direction") : "in", "kind",
                     str_of(m, "kind") ? str_of(m, "kind") : "text", "text",
                     str_of(m, "text") ? str_of(m, "text") : "", "ts_ms", int_of(m, "ts_ms"),
                     "status", str_of(m, "status") ? str_of(m, "status") : "none", "status_ms",
                     instant(int_of(m, "status_ms")), "template", tmpl, "error", error, "agent",
                     agent_brief_new(srv, (uint64_t)int_of(m, "agent")));
}

/* The messages of a conversation, the newest HISTORY_MESSAGES of them, as protocol objects. */
static json_t *messages_new(struct ativa_server *srv, const json_t *conv)
{
    json_int_t count = int_of(conv, "messages");
    uint32_t after = count > HISTORY_MESSAGES ? (uint32_t)(count - HISTORY_MESSAGES) : 0;
    json_t *stored = NULL;
    json_t *out = json_array();
    if (ativa_store_list_messages(srv->store, (uint64_t)int_of(conv, "id"), after, 1000, &stored) ==
        ATIVA_OK) {
        size_t i;
        json_t *m;
        json_array_foreach(stored, i, m) json_array_append_new(out, message_object_new(srv, m));
    }
    json_decref(stored);
    return out;
}

static json_t *last_message_new(struct ativa_server *srv, const json_t *conv)
{
    json_int_t count = int_of(conv, "messages");
    json_t *stored = NULL, *out = json_null();
    if (count > 0 &&
        ativa_store_list_messages(srv->store, (uint64_t)int_of(conv, "id"), (uint32_t)(count - 1),
                                  1, &stored) == ATIVA_OK &&
        json_array_size(stored) == 1) {
        json_t *m = json_array_get(stored, 0);
        json_decref(out);
        out = json_pack("{s:s, s:s, s:s, s:I}", "direction",
                        str_of(m, "direction") ? str_of(m, "direction") : "in", "kind",
                        str_of(m, "kind") ? str_of(m, "kind") : "text", "text",
                        str_of(m, "text") ? str_of(m, "text") : "", "ts_ms", int_of(m, "ts_ms"));
    }
    json_decref(stored);
    return out;
}

/* A conversation record (plain, or with "view") as the protocol's Conversation at now_ms. */
static json_t *conversation_object_new(struct ativa_server *srv, const json_t *record,
                                       int64_t now_ms)
{
    json_t *with_view = ativa_store_conv_with_view_new(record, now_ms);
    if (!with_view)
        return NULL;
    const json_t *view = json_object_get(with_view, "view");
    json_t *customer = NULL;
    const char *name = NULL;
    if (ativa_store_get_customer(srv->store, str_of(record, "customer"), &customer) == ATIVA_OK)
        name = str_of(customer, "profile_name");
    json_int_t expires = int_of(view, "expires_at_ms");
    json_t *obj = json_pack(
        "{s:I, s:s, s:s, s:s?, s:o, s:s, s:b, s:o, s:b, s:b, s:b, s:I, s:I, s:o, s:o}", "id",
        int_of(record, "id"), "line", str_of(record, "line"), "customer",
        str_of(record, "customer"), "customer_name", name, "owner",
        agent_brief_new(srv, (uint64_t)int_of(record, "owner")), "phase", str_of(view, "phase"),
        "window_open", json_is_true(json_object_get(view, "window_open")), "expires_at_ms",
        instant(expires), "composer_enabled",
        json_is_true(json_object_get(view, "composer_enabled")), "alert",
        json_is_true(json_object_get(view, "alert")), "offer_template",
        json_is_true(json_object_get(view, "offer_template")), "created_ms",
        int_of(record, "created_ms"), "updated_ms", int_of(record, "updated_ms"), "finalized_ms",
        instant(int_of(record, "finalized_ms")), "last_message", last_message_new(srv, record));
    json_decref(customer);
    json_decref(with_view);
    return obj;
}

static json_t *attendance_object_new(struct ativa_server *srv, const json_t *a)
{
    json_t *customer = NULL;
    const char *name = NULL;
    if (ativa_store_get_customer(srv->store, str_of(a, "customer"), &customer) == ATIVA_OK)
        name = str_of(customer, "profile_name");
    json_t *obj =
        json_pack("{s:I, s:I, s:s, s:s, s:s?, s:o, s:I, s:I, s:s?, s:s?}", "id", int_of(a, "id"),
                  "conversation_id", int_of(a, "conversation"), "line", str_of(a, "line"),
                  "customer", str_of(a, "customer"), "customer_name", name, "agent",
                  agent_brief_new(srv, (uint64_t)int_of(a, "agent")), "started_ms",
                  int_of(a, "started_ms"), "ended_ms", int_of(a, "ended_ms"), "reason",
                  str_of(a, "reason"), "description", str_of(a, "description"));
    json_decref(customer);
    return obj;
}

/* ---- visibility ---- */

/* Full sight of a conversation: its owner, supervisors, and the agents of its line while it
 * waits in the shared queue. */
static bool sees_conversation(const struct ativa_agent *agent, uint64_t owner, const char *line)
{
    if (agent->supervisor || owner == agent->id)
        return true;
    return owner == 0 && ativa_agent_has_line(agent, line);
}

/* ---- pending writes ---- */

struct api_call {
    struct ativa_job job;
    struct api_call *prev, *next; /* every call under way, so that a closing connection can
                                     let go of its own */
    void *conn;
    ativa_api_reply_fn reply;
    char id[ATIVA_REQUEST_ID_MAX + 1];
    ativa_req_type type;
    struct ativa_agent agent;
    /* What the op borrows until it is committed. */
    char line[ATIVA_STORE_ID_MAX + 1];
    char customer[ATIVA_PHONE_MAX];
    char *text;
    char *graph_body;
    char *rendered;
    char tpl_name[ATIVA_TEMPLATE_NAME_MAX * 4 + 1];
    char tpl_language[ATIVA_TEMPLATE_LANGUAGE_MAX + 1];
    json_t *components;
    char *reason;
    char *description;
    ativa_store_template_send template_send; /* CREATE_CONVERSATION's optional template */
    int64_t started_mono_ms;
};

static struct api_call *calls; /* the loop thread's own list */

/* When the request being answered arrived (loop thread only): set on entry for the replies given
 * at once, and from the call for the replies given after a commit. */
static int64_t request_started_mono_ms;

static void call_free(struct api_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (calls == c)
        calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c->text);
    free(c->graph_body);
    free(c->rendered);
    json_decref(c->components);
    free(c->reason);
    free(c->description);
    free(c);
}

static struct api_call *call_new(const struct ativa_agent *agent, void *conn,
                                 const ativa_request *req, ativa_api_reply_fn reply)
{
    struct api_call *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->conn = conn;
    c->reply = reply;
    c->started_mono_ms = request_started_mono_ms;
    c->agent = *agent;
    c->type = req->type;
    snprintf(c->id, sizeof c->id, "%s", req->id);
    c->next = calls;
    if (calls)
        calls->prev = c;
    calls = c;
    return c;
}

void ativa_api_conn_gone(struct ativa_server *srv, void *conn)
{
    (void)srv;
    for (struct api_call *c = calls; c; c = c->next)
        if (c->conn == conn)
            c->conn = NULL;
}

static void send_reply(struct ativa_server *srv, void *conn, ativa_api_reply_fn reply,
                       json_t *frame)
{
    ativa_metrics_observe(ATIVA_HIST_REQUEST,
                          (double)(ativa_clock_monotonic_ms() - request_started_mono_ms));
    if (conn && frame)
        reply(srv, conn, frame);
    else
        json_decref(frame);
}

static void reply_error(struct ativa_server *srv, void *conn, ativa_api_reply_fn reply,
                        const char *id, ativa_err err, const char *message)
{
    send_reply(srv, conn, reply, ativa_reply_error_new(id, err, message));
}

static void reply_ok(struct ativa_server *srv, void *conn, ativa_api_reply_fn reply, const char *id,
                     json_t *data)
{
    if (!data) {
        reply_error(srv, conn, reply, id, ATIVA_ERR_NO_MEMORY, NULL);
        return;
    }
    send_reply(srv, conn, reply, ativa_reply_ok_new(id, data));
}

/* ---- shared steps ---- */

/* The canonical number of what an agent typed, or the precise reason it is not one. */
static ativa_err canonical_number(const char *typed, char out[ATIVA_PHONE_MAX])
{
    ativa_err err = ativa_phone_clean(typed, out);
    if (err == ATIVA_OK)
        err = ativa_phone_validate(out, NULL);
    return err;
}

/* Where a send goes: the customer's wa_id as WhatsApp reported it, else the number. */
static void send_to(struct ativa_server *srv, const char *number, char out[64])
{
    json_t *customer = NULL;
    const char *wa_id = NULL;
    if (ativa_store_get_customer(srv->store, number, &customer) == ATIVA_OK)
        wa_id = str_of(customer, "wa_id");
    snprintf(out, 64, "%s", wa_id && *wa_id ? wa_id : number);
    json_decref(customer);
}

/*
 * Prepare a template send for a call: the template must be offered on the line and its values
 * must pass Meta's rules; then the components, the rendered text and the Graph API body.
 * @param[out] message  the first problem in words, for the reply (static or in problem_buf)
 */
static ativa_err prepare_template(struct ativa_server *srv, struct api_call *c, const char *line,
                                  const char *to, const ativa_template_choice *choice,
                                  ativa_store_template_send *send, const char **message,
                                  char *problem_buf, size_t problem_len)
{
    *message = NULL;
    const ativa_template *tpl = ativa_templates_find(srv, line, choice->name, choice->language);
    if (!tpl)
        return ATIVA_ERR_TEMPLATE_NOT_FOUND;
    const char *reason = NULL;
    ativa_err err = ativa_template_sendable(tpl, &reason);
    if (err) {
        *message = reason;
        return err;
    }
    ativa_template_problems problems;
    err = ativa_template_components_new(tpl, choice->values, &c->components, &problems);
    if (err) {
        if (problems.count && problems.items[0].message) {
            snprintf(problem_buf, problem_len, "%s", problems.items[0].message);
            *message = problem_buf;
        }
        ativa_template_problems_clear(&problems);
        return err;
    }
    ativa_template_problems_clear(&problems);
    c->rendered = ativa_template_render_new(tpl, choice->values);
    json_t *body = NULL;
    err = ativa_meta_send_template_new(to, tpl->name, tpl->language, c->components, &body);
    if (err)
        return err;
    c->graph_body = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!c->rendered || !c->graph_body)
        return ATIVA_ERR_NO_MEMORY;
    snprintf(c->tpl_name, sizeof c->tpl_name, "%s", tpl->name);
    snprintf(c->tpl_language, sizeof c->tpl_language, "%s", tpl->language);
    send->name = c->tpl_name;
    send->language = c->tpl_language;
    send->components = c->components;
    send->text = c->rendered;
    send->graph_body = c->graph_body;
    return ATIVA_OK;
}

/* The conversation as the agent may touch it: NOT_FOUND when the agent may not even see it
 * (another agent's conversation is invisible, not merely forbidden). */
static ativa_err visible_conversation(struct ativa_server *srv, const struct ativa_agent *agent,
                                      uint64_t id, json_t **out)
{
    ativa_err err = ativa_store_get_conversation(srv->store, id, out);
    if (err)
        return err;
    if (!sees_conversation(agent, (uint64_t)int_of(*out, "owner"), str_of(*out, "line"))) {
        json_decref(*out);
        *out = NULL;
        return ATIVA_ERR_NOT_FOUND;
    }
    return ATIVA_OK;
}

/* ---- completions of writes ---- */

static void conversation_reply(struct ativa_server *srv, struct api_call *c, uint64_t conv_id,
                               bool with_messages)
{
    json_t *record = NULL;
    ativa_err err = ativa_store_get_conversation(srv->store, conv_id, &record);
    if (err) {
        reply_error(srv, c->conn, c->reply, c->id, err, NULL);
        return;
    }
    json_t *data = json_pack("{s:o}", "conversation",
                             conversation_object_new(srv, record, ativa_server_now_ms(srv)));
    if (with_messages && data)
        json_object_set_new(data, "messages", messages_new(srv, record));
    json_decref(record);
    reply_ok(srv, c->conn, c->reply, c->id, data);
}

static void message_reply(struct ativa_server *srv, struct api_call *c, uint64_t conv_id,
                          uint32_t seq)
{
    json_t *stored = NULL;
    ativa_err err = ativa_store_list_messages(srv->store, conv_id, seq - 1, 1, &stored);
    if (err || json_array_size(stored) != 1) {
        json_decref(stored);
        reply_error(srv, c->conn, c->reply, c->id, err ? err : ATIVA_ERR_NOT_FOUND, NULL);
        return;
    }
    json_t *data =
        json_pack("{s:o}", "message", message_object_new(srv, json_array_get(stored, 0)));
    json_decref(stored);
    reply_ok(srv, c->conn, c->reply, c->id, data);
}

static void write_done(struct ativa_server *srv, struct ativa_job *job)
{
    struct api_call *c = lws_container_of(job, struct api_call, job);
    const ativa_store_op *op = &job->op;
    request_started_mono_ms = c->started_mono_ms;
    /* Taking a conversation one already owns is not an error for the console. */
    if (op->result &&
        !(op->result == ATIVA_ERR_DUPLICATE && c->type == ATIVA_REQ_CONVERSATION_TAKE)) {
        reply_error(srv, c->conn, c->reply, c->id, op->result, NULL);
        call_free(c);
        return;
    }
    switch (c->type) {
    case ATIVA_REQ_CONVERSATION_CREATE:
        conversation_reply(srv, c, op->out.conv, true);
        break;
    case ATIVA_REQ_CONVERSATION_TAKE:
        conversation_reply(srv, c, op->out.conv ? op->out.conv : op->in.conv.conv, false);
        break;
    case ATIVA_REQ_SEND_TEXT:
    case ATIVA_REQ_SEND_TEMPLATE:
        message_reply(srv, c, op->out.conv ? op->out.conv : op->in.text.conv, op->out.seq);
        break;
    case ATIVA_REQ_CONVERSATION_FINALIZE: {
        json_t *attendance = NULL;
        json_t *data = NULL;
        if (ativa_store_get_attendance(srv->store, op->out.attendance, &attendance) == ATIVA_OK)
            data = json_pack("{s:o, s:{s:b, s:s?}, s:{s:b}}", "attendance",
                             attendance_object_new(srv, attendance), "qualification", "saved",
                             c->reason != NULL, "reason", c->reason, "description", "saved",
                             c->description != NULL);
        json_decref(attendance);
        reply_ok(srv, c->conn, c->reply, c->id, data);
        break;
    }
    default:
        reply_error(srv, c->conn, c->reply, c->id, ATIVA_ERR_INTERNAL, NULL);
    }
    call_free(c);
}

static void submit(struct ativa_server *srv, struct api_call *c)
{
    c->job.done = write_done;
    ativa_err err = ativa_bridge_submit(srv, &c->job);
    if (err) {
        reply_error(srv, c->conn, c->reply, c->id, err, NULL);
        call_free(c);
    }
}

/* ---- requests ---- */

static json_t *lines_new(struct ativa_server *srv, const struct ativa_agent *agent)
{
    json_t *lines = json_array();
    for (size_t i = 0; i < srv->cfg->n_lines; i++) {
        const struct ativa_config_line *l = &srv->cfg->lines[i];
        if (!ativa_agent_has_line(agent, l->phone_number_id))
            continue;
        json_array_append_new(lines,
                              json_pack("{s:s, s:s, s:s, s:s}", "phone_number_id",
                                        l->phone_number_id, "display_number", l->display_number,
                                        "label", l->label, "waba_id", l->waba_id));
    }
    return json_pack("{s:o}", "lines", lines);
}

static json_t *reasons_new(struct ativa_server *srv)
{
    json_t *reasons = json_array();
    for (size_t i = 0; i < srv->cfg->n_contact_reasons; i++)
        json_array_append_new(reasons, json_string(srv->cfg->contact_reasons[i]));
    return json_pack("{s:o}", "reasons", reasons);
}

/* customer.lookup and history.start: what "+Criar Conversa" needs to know. */
static ativa_err lookup_new(struct ativa_server *srv, const char *line, const char *number,
                            json_t **out)
{
    int64_t now = ativa_server_now_ms(srv);
    int64_t last_inbound = ATIVA_NEVER;
    ativa_err err = ativa_store_get_window(srv->store, line, number, &last_inbound);
    if (err)
        return err;
    ativa_window w = ativa_window_at(last_inbound, srv->cfg->window_ms, now);
    json_t *customer = NULL, *open = NULL, *last = NULL;
    const char *name = NULL;
    if (ativa_store_get_customer(srv->store, number, &customer) == ATIVA_OK)
        name = str_of(customer, "profile_name");
    json_t *open_id = json_null();
    if (ativa_store_open_conversation(srv->store, line, number, &open) == ATIVA_OK)
        open_id = json_integer(int_of(open, "id"));
    json_t *last_conv = json_null();
    if (ativa_store_last_conversation(srv->store, line, number, &last) == ATIVA_OK)
        last_conv = json_pack("{s:o, s:o}", "conversation", conversation_object_new(srv, last, now),
                              "messages", messages_new(srv, last));
    *out = json_pack("{s:s, s:s?, s:{s:b, s:o, s:I}, s:b, s:o, s:o}", "number", number,
                     "customer_name", name, "window", "open", w.open, "expires_at_ms",
                     instant(w.expires_at_ms), "remaining_ms", (json_int_t)w.remaining_ms,
                     "template_required", !w.open, "open_conversation_id", open_id,
                     "last_conversation", last_conv);
    json_decref(customer);
    json_decref(open);
    json_decref(last);
    return *out ? ATIVA_OK : ATIVA_ERR_NO_MEMORY;
}

static void handle_lookup(struct ativa_server *srv, const struct ativa_agent *agent, void *conn,
                          const ativa_request *req, ativa_api_reply_fn reply)
{
    char number[ATIVA_PHONE_MAX];
    if (!line_configured(srv, req->line) || !ativa_agent_has_line(agent, req->line)) {
        reply_error(srv, conn, reply, req->id, ATIVA_ERR_NOT_FOUND, "linha desconhecida");
        return;
    }
    ativa_err err = canonical_number(req->number, number);
    if (err) {
        reply_error(srv, conn, reply, req->id, err, NULL);
        return;
    }
    json_t *data = NULL;
    err = lookup_new(srv, req->line, number, &data);
    if (err)
        reply_error(srv, conn, reply, req->id, err, NULL);
    else
        reply_ok(srv, conn, reply, req->id, data);
}

static void handle_templates(struct ativa_server *srv, const struct ativa_agent *agent, void *conn,
                             const ativa_request *req, ativa_api_reply_fn reply)
{
    json_t *offer = NULL;
    ativa_err err = ativa_agent_has_line(agent, req->line)
                        ? ativa_templates_offer_new(srv, req->line, &offer)
                        : ATIVA_ERR_NOT_FOUND;
    if (err)
        reply_error(srv, conn, reply, req->id, err, NULL);
    else
        reply_ok(srv, conn, reply, req->id, json_pack("{s:o}", "templates", offer));
}

static void handle_create(struct ativa_server *srv, const struct ativa_agent *agent, void *conn,
                          const ativa_request *req, ativa_api_reply_fn reply)
{
    char number[ATIVA_PHONE_MAX];
    if (!line_configured(srv, req->line) || !ativa_agent_has_line(agent, req->line)) {
        reply_error(srv, conn, reply, req->id, ATIVA_ERR_NOT_FOUND, "linha desconhecida");
        return;
    }
    ativa_err err = canonical_number(req->number, number);
    if (err) {
        reply_error(srv, conn, reply, req->id, err, NULL);
        return;
    }
    struct api_call *c = call_new(agent, conn, req, reply);
    if (!c) {
        reply_error(srv, conn, reply, req->id, ATIVA_ERR_NO_MEMORY, NULL);
        return;
    }
    snprintf(c->line, sizeof c->line, "%s", req->line);
    snprintf(c->customer, sizeof c->customer, "%s", number);
    ativa_store_op *op = &c->job.op;
    op->kind = ATIVA_STORE_CREATE_CONVERSATION;
    op->in.create.line = c->line;
    op->in.create.customer = c->customer;
    op->in.create.agent = agent->id;
    op->in.create.now_ms = ativa_server_now_ms(srv);
    op->in.create.window_ms = srv->cfg->window_ms;
    if (req->has_template) {
        char to[64], problem[512];
        const char *message = NULL;
        send_to(srv, number, to);
        err = prepare_template(srv, c, c->line, to, &req->template_choice, &c->template_send,
                               &message, problem, sizeof problem);
        if (err) {
            reply_error(srv, conn, reply, req->id, err, message);
            call_free(c);
            return;
        }
        op->in.create.tmpl = &c->template_send;
    }
    submit(srv, c);
}

static void handle_send_text(struct ativa_server *srv, const struct ativa_agent *agent, void *conn,
                             const ativa_request *req, ativa_api_reply_fn reply)
{
    json_t *conv = NULL;
    ativa_err err = visible_conversation(srv, agent, req->conversation_id, &conv);
    if (err) {
        reply_error(srv, conn, reply, req->id, err, NULL);
        return;
    }
    char to[64];
    snprintf(to, sizeof to, "%s", str_of(conv, "wa_id") ? str_of(conv, "wa_id") : "");
    json_decref(conv);
    json_t *body = NULL;
    err = ativa_meta_send_text_new(to, req->text, &body);
    if (err) {
        reply_error(srv, conn, reply, req->id, err, NULL);
        return;
    }
    struct api_call *c = call_new(agent, conn, req, reply);
    if (c) {
        c->text = strdup(req->text);
        c->graph_body = json_dumps(body, JSON_COMPACT);
    }
    json_decref(body);
    if (!c || !c->text || !c->graph_body) {
        reply_error(srv, conn, reply, req->id, ATIVA_ERR_NO_MEMORY, NULL);
        if (c)
            call_free(c);
        return;
    }
    ativa_store_op *op = &c->job.op;
    op->kind = ATIVA_STORE_SEND_TEXT;
    op->in.text.conv = req->conversation_id;
    op->in.text.agent = agent->id;
    op->in.text.text = c->text;
    op->in.text.graph_body = c->graph_body;
    op->in.text.now_ms = ativa_server_now_ms(srv);
    submit(srv, c);
}

static void handle_send_template(struct ativa_server *srv, const struct ativa_agent *agent,
                                 void *conn, const ativa_request *req, ativa_api_reply_fn reply)
{
    json_t *conv = NULL;
    ativa_err err = visible_conversation(srv, agent, req->conversation_id, &conv);
    if (err) {
        reply_error(srv, conn, reply, req->id, err, NULL);
        return;
    }
    struct api_call *c = call_new(agent, conn, req, reply);
    if (!c) {
        json_decref(conv);
        reply_error(srv, conn, reply, req->id, ATIVA_ERR_NO_MEMORY, NULL);
        return;
    }
    snprintf(c->line, sizeof c->line, "%s", str_of(conv, "line") ? str_of(conv, "line") : "");
    char to[64], problem[512];
    snprintf(to, sizeof to, "%s", str_of(conv, "wa_id") ? str_of(conv, "wa_id") : "");
    json_decref(conv);
    const char *message = NULL;
    ativa_store_op *op = &c->job.op;
    op->kind = ATIVA_STORE_SEND_TEMPLATE;
    err = prepare_template(srv, c, c->line, to, &req->template_choice, &op->in.tmpl.tmpl, &message,
                           problem, sizeof problem);
    if (err) {
        reply_error(srv, conn, reply, req->id, err, message);
        call_free(c);
        return;
    }
    op->in.tmpl.conv = req->conversation_id;
    op->in.tmpl.agent = agent->id;
    op->in.tmpl.now_ms = ativa_server_now_ms(srv);
    submit(srv, c);
}

static void handle_conv_op(struct ativa_server *srv, const struct ativa_agent *agent, void *conn,
                           const ativa_request *req, ativa_api_reply_fn reply,
                           ativa_store_op_kind kind)
{
    json_t *conv = NULL;
    ativa_err err = visible_conversation(srv, agent, req->conversation_id, &conv);
    json_decref(conv);
    if (err) {
        reply_error(srv, conn, reply, req->id, err, NULL);
        return;
    }
    if (kind == ATIVA_STORE_FINALIZE && req->reason) {
        bool known = false;
        for (size_t i = 0; i < srv->cfg->n_contact_reasons && !known; i++)
            known = strcmp(srv->cfg->contact_reasons[i], req->reason) == 0;
        if (!known) {
            reply_error(srv, conn, reply, req->id, ATIVA_ERR_INVALID_ARGUMENT,
                        "motivo de contato desconhecido: escolha um da lista");
            return;
        }
    }
    struct api_call *c = call_new(agent, conn, req, reply);
    if (!c) {
        reply_error(srv, conn, reply, req->id, ATIVA_ERR_NO_MEMORY, NULL);
        return;
    }
    ativa_store_op *op = &c->job.op;
    op->kind = kind;
    if (kind == ATIVA_STORE_FINALIZE) {
        c->reason = req->reason ? strdup(req->reason) : NULL;
        c->description = req->description ? strdup(req->description) : NULL;
        if ((req->reason && !c->reason) || (req->description && !c->description)) {
            reply_error(srv, conn, reply, req->id, ATIVA_ERR_NO_MEMORY, NULL);
            call_free(c);
            return;
        }
        op->in.finalize.conv = req->conversation_id;
        op->in.finalize.agent = agent->id;
        op->in.finalize.reason = c->reason;
        op->in.finalize.description = c->description;
        op->in.finalize.now_ms = ativa_server_now_ms(srv);
    } else {
        op->in.conv.conv = req->conversation_id;
        op->in.conv.agent = agent->id;
        op->in.conv.now_ms = ativa_server_now_ms(srv);
    }
    submit(srv, c);
}

static void handle_list(struct ativa_server *srv, const struct ativa_agent *agent, void *conn,
                        const ativa_request *req, ativa_api_reply_fn reply)
{
    json_t *open = NULL;
    ativa_err err = ativa_store_list_open_conversations(srv->store, &open);
    if (err) {
        reply_error(srv, conn, reply, req->id, err, NULL);
        return;
    }
    int64_t now = ativa_server_now_ms(srv);
    json_t *list = json_array();
    size_t i;
    json_t *conv;
    json_array_foreach(open, i, conv)
    {
        if (sees_conversation(agent, (uint64_t)int_of(conv, "owner"), str_of(conv, "line")))
            json_array_append_new(list, conversation_object_new(srv, conv, now));
    }
    json_decref(open);
    reply_ok(srv, conn, reply, req->id, json_pack("{s:o}", "conversations", list));
}

/* The last finished conversation with the same customer on the same line, before this one. */
static json_t *previous_new(struct ativa_server *srv, const json_t *conv, int64_t now)
{
    ativa_store_att_query q = {0};
    q.customer = str_of(conv, "customer");
    q.line = str_of(conv, "line");
    q.limit = 5;
    json_t *page = NULL;
    json_t *out = json_null();
    if (ativa_store_query_attendances(srv->store, &q, &page) == ATIVA_OK) {
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(page, "items"), i, a)
        {
            json_int_t id = int_of(a, "conversation");
            if (id == int_of(conv, "id"))
                continue;
            json_t *prev = NULL;
            if (ativa_store_get_conversation(srv->store, (uint64_t)id, &prev) == ATIVA_OK) {
                json_decref(out);
                out =
                    json_pack("{s:o, s:o}", "conversation", conversation_object_new(srv, prev, now),
                              "messages", messages_new(srv, prev));
                json_decref(prev);
            }
            break;
        }
    }
    json_decref(page);
    return out;
}

static void handle_open(struct ativa_server *srv, const struct ativa_agent *agent, void *conn,
                        const ativa_request *req, ativa_api_reply_fn reply)
{
    json_t *conv = NULL;
    ativa_err err = visible_conversation(srv, agent, req->conversation_id, &conv);
    if (err) {
        reply_error(srv, conn, reply, req->id, err, NULL);
        return;
    }
    int64_t now = ativa_server_now_ms(srv);
    json_t *data =
        json_pack("{s:o, s:o, s:o}", "conversation", conversation_object_new(srv, conv, now),
                  "messages", messages_new(srv, conv), "previous", previous_new(srv, conv, now));
    json_decref(conv);
    reply_ok(srv, conn, reply, req->id, data);
}

static void handle_history(struct ativa_server *srv, const struct ativa_agent *agent, void *conn,
                           const ativa_request *req, ativa_api_reply_fn reply)
{
    char number[ATIVA_PHONE_MAX];
    ativa_store_att_query q = {0};
    if (req->number) {
        /* A search accepts what a number looks like, without the strict checks of a send. */
        ativa_err err = ativa_phone_clean(req->number, number);
        if (err) {
            reply_error(srv, conn, reply, req->id, err, NULL);
            return;
        }
        q.customer = number;
    }
    q.line = req->line;
    q.reason = req->reason;
    q.from_ms = req->from_ms;
    q.to_ms = req->to_ms == INT64_MAX ? 0 : req->to_ms;
    q.limit = req->limit;
    q.cursor = req->cursor;
    /* Agents see their own attendances; supervisors everyone's, or one agent's. */
    if (!agent->supervisor)
        q.agent = agent->id;
    else if (req->has_agent_id)
        q.agent = req->agent_id;
    json_t *page = NULL;
    ativa_err err = ativa_store_query_attendances(srv->store, &q, &page);
    if (err) {
        reply_error(srv, conn, reply, req->id, err,
                    err == ATIVA_ERR_INVALID_ARGUMENT ? "filtro ou página inválida" : NULL);
        return;
    }
    json_t *items = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(page, "items"), i, a)
        json_array_append_new(items, attendance_object_new(srv, a));
    json_t *next = json_object_get(page, "next");
    json_t *data =
        json_pack("{s:o, s:O}", "attendances", items, "next_cursor", next ? next : json_null());
    json_decref(page);
    reply_ok(srv, conn, reply, req->id, data);
}

static void handle_history_start(struct ativa_server *srv, const struct ativa_agent *agent,
                                 void *conn, const ativa_request *req, ativa_api_reply_fn reply)
{
    json_t *a = NULL;
    ativa_err err = ativa_store_get_attendance(srv->store, req->attendance_id, &a);
    if (!err && !agent->supervisor && (uint64_t)int_of(a, "agent") != agent->id)
        err = ATIVA_ERR_NOT_FOUND;
    if (!err && !ativa_agent_has_line(agent, str_of(a, "line")))
        err = ATIVA_ERR_NOT_FOUND;
    json_t *lookup = NULL;
    if (!err)
        err = lookup_new(srv, str_of(a, "line"), str_of(a, "customer"), &lookup);
    if (err) {
        json_decref(a);
        reply_error(srv, conn, reply, req->id, err, NULL);
        return;
    }
    json_t *data = json_pack("{s:s, s:s, s:o}", "line", str_of(a, "line"), "number",
                             str_of(a, "customer"), "lookup", lookup);
    json_decref(a);
    reply_ok(srv, conn, reply, req->id, data);
}

void ativa_api_handle(struct ativa_server *srv, const struct ativa_agent *agent, void *conn,
                      ativa_request *req, ativa_api_reply_fn reply)
{
    request_started_mono_ms = ativa_clock_monotonic_ms();
    if (!srv->store) {
        reply_error(srv, conn, reply, req->id, ATIVA_ERR_STORE_CLOSED, NULL);
        ativa_request_clear(req);
        return;
    }
    switch (req->type) {
    case ATIVA_REQ_LINES_LIST:
        reply_ok(srv, conn, reply, req->id, lines_new(srv, agent));
        break;
    case ATIVA_REQ_REASONS_LIST:
        reply_ok(srv, conn, reply, req->id, reasons_new(srv));
        break;
    case ATIVA_REQ_CUSTOMER_LOOKUP:
        handle_lookup(srv, agent, conn, req, reply);
        break;
    case ATIVA_REQ_TEMPLATES_LIST:
        handle_templates(srv, agent, conn, req, reply);
        break;
    case ATIVA_REQ_CONVERSATION_CREATE:
        handle_create(srv, agent, conn, req, reply);
        break;
    case ATIVA_REQ_CONVERSATION_LIST:
        handle_list(srv, agent, conn, req, reply);
        break;
    case ATIVA_REQ_CONVERSATION_OPEN:
        handle_open(srv, agent, conn, req, reply);
        break;
    case ATIVA_REQ_CONVERSATION_TAKE:
        handle_conv_op(srv, agent, conn, req, reply, ATIVA_STORE_TAKE_CONVERSATION);
        break;
    case ATIVA_REQ_SEND_TEXT:
        handle_send_text(srv, agent, conn, req, reply);
        break;
    case ATIVA_REQ_SEND_TEMPLATE:
        handle_send_template(srv, agent, conn, req, reply);
        break;
    case ATIVA_REQ_CONVERSATION_FINALIZE:
        handle_conv_op(srv, agent, conn, req, reply, ATIVA_STORE_FINALIZE);
        break;
    case ATIVA_REQ_HISTORY_SEARCH:
        handle_history(srv, agent, conn, req, reply);
        break;
    case ATIVA_REQ_HISTORY_START:
        handle_history_start(srv, agent, conn, req, reply);
        break;
    case ATIVA_REQ_RESUME:
    case ATIVA_REQ__COUNT:
        reply_error(srv, conn, reply, req->id, ATIVA_ERR_UNKNOWN_REQUEST, NULL);
        break;
    }
    ativa_request_clear(req);
}

/* ---- events ---- */

json_t *ativa_api_event_frame_new(struct ativa_server *srv, const struct ativa_agent *agent,
                                  const json_t *event)
{
    const char *type = str_of(event, "type");
    const char *line = str_of(event, "line");
    uint64_t owner = (uint64_t)int_of(event, "owner");
    uint64_t seq = (uint64_t)int_of(event, "seq");
    const json_t *data = json_object_get(event, "data");
    if (!type || !data)
        return NULL;

    if (strcmp(type, "template") == 0) {
        const char *waba = str_of(data, "waba_id");
        json_t *lines = json_array();
        for (size_t i = 0; i < srv->cfg->n_lines; i++)
            if (waba && strcmp(srv->cfg->lines[i].waba_id, waba) == 0 &&
                ativa_agent_has_line(agent, srv->cfg->lines[i].phone_number_id))
                json_array_append_new(lines, json_string(srv->cfg->lines[i].phone_number_id));
        ativa_template *tpl = NULL;
        char errbuf[ATIVA_TEMPLATE_ERRBUF];
        if (json_array_size(lines) == 0 ||
            ativa_template_from_json_new(json_object_get(data, "template"), &tpl, errbuf,
                                         sizeof errbuf) != ATIVA_OK) {
            json_decref(lines);
            return NULL;
        }
        json_t *frame =
            ativa_event_frame_new(seq, "template",
                                  json_pack("{s:o, s:o, s:b}", "lines", lines, "template",
                                            ativa_templates_offer_item_new(tpl), "offered",
                                            tpl->status == ATIVA_TEMPLATE_APPROVED));
        ativa_template_free(tpl);
        return frame;
    }

    bool full = sees_conversation(agent, owner, line);
    if (strcmp(type, "conversation") == 0) {
        if (full)
            return ativa_event_frame_new(
                seq, "conversation",
                json_pack("{s:o}", "conversation",
                          conversation_object_new(srv, data, int_of(event, "ts_ms"))));
        /* Taken by someone else: the line's other agents drop it from their queue. */
        if (ativa_agent_has_line(agent, line))
            return ativa_event_frame_new(seq, "conversation",
                                         json_pack("{s:{s:I, s:o, s:b}}", "conversation", "id",
                                                   int_of(data, "id"), "owner",
                                                   agent_brief_new(srv, owner), "queued", 0));
        return NULL;
    }
    if (!full)
        return NULL;
    if (strcmp(type, "message") == 0)
        return ativa_event_frame_new(seq, "message",
                                     json_pack("{s:o}", "message", message_object_new(srv, data)));
    if (strcmp(type, "status") == 0) {
        json_t *m = message_object_new(srv, data);
        if (!m)
            return NULL;
        json_t *frame = ativa_event_frame_new(
            seq, "status",
            json_pack("{s:O, s:O, s:O, s:O, s:O}", "conversation_id",
                      json_object_get(m, "conversation_id"), "seq", json_object_get(m, "seq"),
                      "status", json_object_get(m, "status"), "status_ms",
                      json_object_get(m, "status_ms"), "error", json_object_get(m, "error")));
        json_decref(m);
        return frame;
    }
    return NULL;
}
