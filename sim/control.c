/* The control API under /control/: customer replies, injected failures, template status changes,
 * the request and webhook logs, reset. Protected by the control token. */
#include "sim.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void reply_error(struct sim_req *req, unsigned int status, const char *msg)
{
    sim_respond(req, status, json_pack("{s:s}", "error", msg));
}

static int authorized(const struct sim_req *req)
{
    if (strncasecmp(req->authorization, "Bearer ", 7))
        return 0;
    const char *t = req->authorization + 7;
    while (*t == ' ')
        t++;
    return !strcmp(t, req->sim->cfg.control_token);
}

/* String member, or NULL; responds 400 (and returns -1) when present but not a string. */
static int opt_str(struct sim_req *req, json_t *o, const char *key, const char **out)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || json_string_length(v) > 8192) {
        char msg[160];
        snprintf(msg, sizeof(msg), "\"%s\" must be a string of at most 8192 bytes", key);
        reply_error(req, 400, msg);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

static int need_str(struct sim_req *req, json_t *o, const char *key, const char **out)
{
    if (opt_str(req, o, key, out))
        return -1;
    if (!*out || !**out) {
        char msg[160];
        snprintf(msg, sizeof(msg), "\"%s\" is required", key);
        reply_error(req, 400, msg);
        return -1;
    }
    return 0;
}

static int opt_int(struct sim_req *req, json_t *o, const char *key, long long min, long long max,
                   long long def, long long *out)
{
    json_t *v = json_object_get(o, key);
    *out = def;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        char msg[160];
        snprintf(msg, sizeof(msg), "\"%s\" must be an integer from %lld to %lld", key, min, max);
        reply_error(req, 400, msg);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

static const struct sim_line *pick_line(struct sim_req *req, json_t *body)
{
    const char *key;
    if (opt_str(req, body, "line", &key))
        return NULL;
    if (!key) {
        if (req->sim->cfg.nlines == 1)
            return &req->sim->cfg.lines[0];
        reply_error(req, 400, "\"line\" is required (a phone_number_id) when several lines exist");
        return NULL;
    }
    const struct sim_line *l = sim_line_find_any(req->sim, key);
    if (!l)
        reply_error(req, 404, "\"line\" names no configured line");
    return l;
}

static json_t *media_new(const char *mime)
{
    char *id = sim_numeric_id_new(16);
    char *sha = sim_hex_id_new(32);
    json_t *m = json_pack("{s:s, s:s, s:s}", "mime_type", mime, "sha256", sha ? sha : "", "id",
                          id ? id : "1");
    free(id);
    free(sha);
    return m;
}

/* Builds the inbound message's type-specific members into @p msg; responds on error. */
static int build_inbound(struct sim_req *req, json_t *body, const char *type, json_t *msg)
{
    const char *text, *payload, *id, *title, *desc, *caption, *filename, *mime;
    if (opt_str(req, body, "text", &text) || opt_str(req, body, "payload", &payload) ||
        opt_str(req, body, "id", &id) || opt_str(req, body, "title", &title) ||
        opt_str(req, body, "description", &desc) || opt_str(req, body, "caption", &caption) ||
        opt_str(req, body, "filename", &filename) || opt_str(req, body, "mime_type", &mime))
        return -1;
    if (!strcmp(type, "text")) {
        if (!text) {
            reply_error(req, 400, "\"text\" is required for a text reply");
            return -1;
        }
        json_object_set_new(msg, "type", json_string("text"));
        json_object_set_new(msg, "text", json_pack("{s:s}", "body", text));
    } else if (!strcmp(type, "button")) {
        if (!text) {
            reply_error(req, 400, "\"text\" (the button label) is required for a button reply");
            return -1;
        }
        json_object_set_new(msg, "type", json_string("button"));
        json_object_set_new(
            msg, "button",
            json_pack("{s:s, s:s}", "payload", payload ? payload : text, "text", text));
    } else if (!strcmp(type, "button_reply") || !strcmp(type, "list_reply")) {
        if (!title) {
            title = text;
        }
        if (!title) {
            reply_error(req, 400, "\"title\" is required for an interactive reply");
            return -1;
        }
        json_t *r = json_pack("{s:s, s:s}", "id", id ? id : title, "title", title);
        if (desc && !strcmp(type, "list_reply"))
            json_object_set_new(r, "description", json_string(desc));
        json_object_set_new(msg, "type", json_string("interactive"));
        json_object_set_new(msg, "interactive", json_pack("{s:s, s:o}", "type", type, type, r));
    } else if (!strcmp(type, "image") || !strcmp(type, "video") || !strcmp(type, "document") ||
               !strcmp(type, "audio") || !strcmp(type, "sticker")) {
        const char *def = !strcmp(type, "image")      ? "image/jpeg"
                          : !strcmp(type, "video")    ? "video/mp4"
                          : !strcmp(type, "document") ? "application/pdf"
                          : !strcmp(type, "audio")    ? "audio/ogg; codecs=opus"
                                                      : "image/webp";
        json_t *m = media_new(mime ? mime : def);
        if (caption && strcmp(type, "audio") && strcmp(type, "sticker"))
            json_object_set_new(m, "caption", json_string(caption));
        if (!strcmp(type, "document"))
            json_object_set_new(m, "filename", json_string(filename ? filename : "documento.pdf"));
        if (!strcmp(type, "audio"))
            json_object_set_new(m, "voice", json_true());
        json_object_set_new(msg, "type", json_string(type));
        json_object_set_new(msg, type, m);
    } else if (!strcmp(type, "location")) {
        json_t *lat = json_object_get(body, "latitude"), *lon = json_object_get(body, "longitude");
        const char *name, *address;
        if (!json_is_number(lat) || !json_is_number(lon)) {
            reply_error(req, 400, "\"latitude\" and \"longitude\" numbers are required");
            return -1;
        }
        if (opt_str(req, body, "location_name", &name) || opt_str(req, body, "address", &address))
            return -1;
        json_t *loc = json_pack("{s:f, s:f}", "latitude", json_number_value(lat), "longitude",
                                json_number_value(lon));
        if (name)
            json_object_set_new(loc, "name", json_string(name));
        if (address)
            json_object_set_new(loc, "address", json_string(address));
        json_object_set_new(msg, "type", json_string("location"));
        json_object_set_new(msg, "location", loc);
    } else if (!strcmp(type, "reaction")) {
        const char *mid, *emoji;
        if (need_str(req, body, "message_id", &mid) || need_str(req, body, "emoji", &emoji))
            return -1;
        json_object_set_new(msg, "type", json_string("reaction"));
        json_object_set_new(msg, "reaction",
                            json_pack("{s:s, s:s}", "message_id", mid, "emoji", emoji));
    } else {
        reply_error(req, 400,
                    "\"type\" must be text, button, button_reply, list_reply, image, video, "
                    "document, audio, sticker, location or reaction");
        return -1;
    }
    return 0;
}

static void do_reply(struct sim_req *req, json_t *body)
{
    struct sim *sim = req->sim;
    const char *from, *type, *name, *context_id;
    long long delay;
    if (need_str(req, body, "from", &from) || opt_str(req, body, "type", &type) ||
        opt_str(req, body, "name", &name) || opt_str(req, body, "context_id", &context_id) ||
        opt_int(req, body, "delay_ms", 0, 3600000, 0, &delay))
        return;
    json_t *dup = json_object_get(body, "duplicate");
    if (dup && !json_is_boolean(dup)) {
        reply_error(req, 400, "\"duplicate\" must be a boolean");
        return;
    }
    const struct sim_line *line = pick_line(req, body);
    if (!line)
        return;
    char *digits = sim_digits_new(from);
    if (!digits || strlen(digits) < 8 || strlen(digits) > 15) {
        free(digits);
        reply_error(req, 400, "\"from\" must be a phone number of 8 to 15 digits");
        return;
    }
    const struct sim_customer *c = sim_customer_find(sim, digits);
    char wa_id[20];
    snprintf(wa_id, sizeof(wa_id), "%s", c ? c->wa_id : digits);
    free(digits);
    if (!type)
        type = "text";

    int64_t now = sim_now_ms();
    char ts[32];
    snprintf(ts, sizeof(ts), "%lld", (long long)(now / 1000));
    char *wamid = sim_wamid_new();
    json_t *msg = json_pack("{s:s, s:s, s:s}", "from", wa_id, "id", wamid ? wamid : "wamid.x",
                            "timestamp", ts);
    if (context_id) {
        char *display = sim_digits_new(line->display_phone_number);
        json_object_set_new(
            msg, "context",
            json_pack("{s:s, s:s}", "from", display ? display : "", "id", context_id));
        free(display);
    }
    if (build_inbound(req, body, type, msg)) {
        json_decref(msg);
        free(wamid);
        return;
    }
    json_t *value = NULL;
    json_t *env = sim_envelope_new(line, &value);
    json_object_set_new(value, "contacts",
                        json_pack("[{s:{s:s}, s:s}]", "profile", "name",
                                  name ? name : (c && c->name[0] ? c->name : wa_id), "wa_id",
                                  wa_id));
    json_object_set_new(value, "messages", json_pack("[o]", msg));
    char kind[48];
    snprintf(kind, sizeof(kind), "message:%s", type);
    /* Reactions are not documented to reopen the window, so they do not here. */
    if (strcmp(type, "reaction"))
        sim_window_touch(sim, line->phone_number_id, wa_id, now);
    long long seq = sim_webhook_schedule(sim, env, (int)delay, kind);
    long long dseq = -1;
    if (seq > 0 && json_is_true(dup) && sim->last_webhook_body)
        dseq = sim_webhook_schedule_raw(sim, sim->last_webhook_body, (int)delay + 1, "duplicate");
    json_t *resp = json_pack("{s:s, s:s, s:s, s:I}", "wamid", wamid ? wamid : "", "wa_id", wa_id,
                             "line", line->phone_number_id, "webhook_seq", (json_int_t)seq);
    if (dseq > 0)
        json_object_set_new(resp, "duplicate_seq", json_integer(dseq));
    free(wamid);
    sim_respond(req, seq > 0 ? 200 : 503, resp);
}

static void do_fail_next(struct sim_req *req, json_t *body)
{
    struct sim *sim = req->sim;
    const char *mode;
    long long count, status, delay;
    if (need_str(req, body, "mode", &mode) || opt_int(req, body, "count", 0, 100000, 1, &count) ||
        opt_int(req, body, "status", 0, 599, 0, &status) ||
        opt_int(req, body, "delay_ms", 0, 3600000, 0, &delay))
        return;
    enum sim_fail_mode m;
    if (!strcmp(mode, "5xx") || !strcmp(mode, "500"))
        m = SIM_FAIL_500;
    else if (!strcmp(mode, "503"))
        m = SIM_FAIL_503;
    else if (!strcmp(mode, "timeout"))
        m = SIM_FAIL_TIMEOUT;
    else if (!strcmp(mode, "rate"))
        m = SIM_FAIL_RATE;
    else {
        reply_error(req, 400, "\"mode\" must be 5xx, 500, 503, timeout or rate");
        return;
    }
    if (status && status < 100) {
        reply_error(req, 400, "\"status\" must be an HTTP status");
        return;
    }
    sim->fail_mode = count ? m : SIM_FAIL_NONE;
    sim->fail_count = (int)count;
    sim->fail_status = (int)status;
    sim->fail_delay_ms = (int)delay;
    sim_respond(req, 200,
                json_pack("{s:s, s:I, s:I, s:I}", "mode", mode, "count", (json_int_t)count,
                          "status", (json_int_t)status, "delay_ms", (json_int_t)delay));
}

static const char *const template_events[] = {
    "APPROVED",  "REJECTED",         "PENDING", "PAUSED",     "DISABLED", "FLAGGED",
    "IN_APPEAL", "PENDING_DELETION", "DELETED", "REINSTATED", "ARCHIVED", "LIMIT_EXCEEDED",
    NULL};

static void do_template_status(struct sim_req *req, json_t *body)
{
    struct sim *sim = req->sim;
    const char *name, *lang, *event_in, *waba_id, *reason;
    if (need_str(req, body, "name", &name) || need_str(req, body, "language", &lang) ||
        need_str(req, body, "event", &event_in) || opt_str(req, body, "waba_id", &waba_id) ||
        opt_str(req, body, "reason", &reason))
        return;
    char event[32];
    size_t n = strlen(event_in);
    if (n >= sizeof(event)) {
        reply_error(req, 400, "unknown \"event\"");
        return;
    }
    for (size_t i = 0; i <= n; i++)
        event[i] = (char)toupper((unsigned char)event_in[i]);
    int known = 0;
    for (size_t i = 0; template_events[i]; i++)
        known |= !strcmp(template_events[i], event);
    if (!known) {
        reply_error(req, 400,
                    "\"event\" must be APPROVED, REJECTED, PENDING, PAUSED, DISABLED, FLAGGED, "
                    "IN_APPEAL, PENDING_DELETION, DELETED, REINSTATED, ARCHIVED or "
                    "LIMIT_EXCEEDED");
        return;
    }
    json_t *updated = json_array(), *seqs = json_array();
    int64_t now = sim_now_ms();
    for (size_t w = 0; w < sim->cfg.nwabas; w++) {
        struct sim_waba *wb = &sim->cfg.wabas[w];
        if (waba_id && strcmp(waba_id, wb->waba_id))
            continue;
        for (size_t i = 0; i < json_array_size(wb->catalog); i++) {
            json_t *t = json_array_get(wb->catalog, i);
            if (strcmp(json_string_value(json_object_get(t, "name")), name) ||
                strcmp(json_string_value(json_object_get(t, "language")), lang))
                continue;
            const char *tid = json_string_value(json_object_get(t, "id"));
            json_t *value = json_pack(
                "{s:s, s:I, s:s, s:s, s:s}", "event", event, "message_template_id",
                (json_int_t)strtoll(tid ? tid : "0", NULL, 10), "message_template_name", name,
                "message_template_language", lang, "reason",
                reason ? reason : (!strcmp(event, "REJECTED") ? "INVALID_FORMAT" : "NONE"));
            const char *cat = json_string_value(json_object_get(t, "category"));
            if (cat)
                json_object_set_new(value, "message_template_category", json_string(cat));
            if (!strcmp(event, "PAUSED"))
                json_object_set_new(value, "other_info",
                                    json_pack("{s:s, s:s}", "title", "FIRST_PAUSE", "description",
                                              "Your template has been paused for 3 hours due to "
                                              "low quality."));
            if (!strcmp(event, "DISABLED"))
                json_object_set_new(value, "disable_info",
                                    json_pack("{s:I}", "disable_date", (json_int_t)(now / 1000)));
            json_t *env =
                json_pack("{s:[{s:s, s:I, s:[{s:o, s:s}]}], s:s}", "entry", "id", wb->waba_id,
                          "time", (json_int_t)(now / 1000), "changes", "value", value, "field",
                          "message_template_status_update", "object", "whatsapp_business_account");
            const char *status = !strcmp(event, "REINSTATED") ? "APPROVED"
                                 : !strcmp(event, "FLAGGED")  ? NULL
                                                              : event;
            if (status)
                json_object_set_new(t, "status", json_string(status));
            json_array_append_new(updated, json_pack("{s:s, s:s, s:o}", "waba_id", wb->waba_id,
                                                     "id", tid ? tid : "", "status",
                                                     json_deep_copy(json_object_get(t, "status"))));
            long long seq = sim_webhook_schedule(sim, env, 0, "template_status");
            json_array_append_new(seqs, json_integer(seq));
            if (!strcmp(event, "DELETED")) {
                json_array_remove(wb->catalog, i);
                i--;
            }
        }
    }
    if (!json_array_size(updated)) {
        json_decref(updated);
        json_decref(seqs);
        reply_error(req, 404, "no template with that name and language");
        return;
    }
    sim_respond(req, 200, json_pack("{s:o, s:o}", "updated", updated, "webhook_seq", seqs));
}

static void do_set_window(struct sim_req *req, json_t *body)
{
    struct sim *sim = req->sim;
    const char *from;
    long long ago;
    if (need_str(req, body, "from", &from) ||
        opt_int(req, body, "last_inbound_ago_s", 0, 10LL * 365 * 86400, -1, &ago))
        return;
    if (ago < 0) {
        reply_error(req, 400, "\"last_inbound_ago_s\" is required");
        return;
    }
    const struct sim_line *line = pick_line(req, body);
    if (!line)
        return;
    char *digits = sim_digits_new(from);
    const struct sim_customer *c = digits ? sim_customer_find(sim, digits) : NULL;
    char wa_id[20];
    snprintf(wa_id, sizeof(wa_id), "%s", c ? c->wa_id : (digits ? digits : ""));
    free(digits);
    if (strlen(wa_id) < 8) {
        reply_error(req, 400, "\"from\" must be a phone number of 8 to 15 digits");
        return;
    }
    /* window_touch only moves forward; clear first by resetting this one entry */
    for (size_t i = 0; i < sim->nwindows; i++)
        if (!strcmp(sim->windows[i].line, line->phone_number_id) &&
            !strcmp(sim->windows[i].wa_id, wa_id))
            sim->windows[i].last_inbound_ms = 0;
    int64_t now = sim_now_ms();
    sim_window_touch(sim, line->phone_number_id, wa_id, now - ago * 1000);
    sim_respond(req, 200,
                json_pack("{s:s, s:s, s:b}", "line", line->phone_number_id, "wa_id", wa_id, "open",
                          sim_window_is_open(sim, line->phone_number_id, wa_id, now)));
}

static json_t *log_since_new(struct sim_req *req, json_t *log)
{
    json_t *q = sim_req_query_new(req);
    const char *s = json_string_value(json_object_get(q, "since"));
    long long since = s ? atoll(s) : 0;
    json_decref(q);
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(log); i++) {
        json_t *e = json_array_get(log, i);
        if (json_integer_value(json_object_get(e, "seq")) > since)
            json_array_append(out, e);
    }
    return out;
}

static void do_state(struct sim_req *req)
{
    struct sim *sim = req->sim;
    static const char *const modes[] = {"none", "500", "503", "timeout", "rate"};
    int64_t now = sim_now_ms();
    json_t *windows = json_array();
    for (size_t i = 0; i < sim->nwindows; i++)
        json_array_append_new(
            windows,
            json_pack("{s:s, s:s, s:I, s:b}", "line", sim->windows[i].line, "wa_id",
                      sim->windows[i].wa_id, "last_inbound_ms",
                      (json_int_t)sim->windows[i].last_inbound_ms, "open",
                      sim_window_is_open(sim, sim->windows[i].line, sim->windows[i].wa_id, now)));
    sim_respond(req, 200,
                json_pack("{s:s, s:i, s:i, s:I, s:o, s:s}", "fail_mode", modes[sim->fail_mode],
                          "fail_count", sim->fail_count, "out_of_order_count",
                          sim->out_of_order_count, "pending_webhooks", (json_int_t)sim->nhooks,
                          "windows", windows, "graph_version", sim->cfg.graph_version));
}

void sim_control_handle(struct sim_req *req)
{
    struct sim *sim = req->sim;
    if (!authorized(req)) {
        reply_error(req, 401, "missing or wrong control token (Authorization: Bearer ...)");
        return;
    }
    const char *cmd = req->path + strlen("/control");
    if (*cmd == '/')
        cmd++;
    if (!req->is_post) {
        if (!strcmp(cmd, "sent"))
            sim_respond(req, 200,
                        json_pack("{s:o}", "requests", log_since_new(req, sim->request_log)));
        else if (!strcmp(cmd, "webhooks"))
            sim_respond(req, 200,
                        json_pack("{s:o}", "webhooks", log_since_new(req, sim->webhook_log)));
        else if (!strcmp(cmd, "state"))
            do_state(req);
        else
            reply_error(req, 404, "unknown control command");
        return;
    }
    json_t *body = json_object();
    if (req->body_len) {
        json_error_t err;
        json_decref(body);
        body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
        if (!json_is_object(body)) {
            json_decref(body);
            char msg[300];
            snprintf(msg, sizeof(msg), "the body must be a JSON object (%s)", err.text);
            reply_error(req, 400, msg);
            return;
        }
    }
    if (!strcmp(cmd, "reply"))
        do_reply(req, body);
    else if (!strcmp(cmd, "fail-next"))
        do_fail_next(req, body);
    else if (!strcmp(cmd, "template-status"))
        do_template_status(req, body);
    else if (!strcmp(cmd, "set-window"))
        do_set_window(req, body);
    else if (!strcmp(cmd, "duplicate-last")) {
        if (!sim->last_webhook_body)
            reply_error(req, 409, "no webhook has been sent yet");
        else
            sim_respond(req, 200,
                        json_pack("{s:I}", "webhook_seq",
                                  (json_int_t)sim_webhook_schedule_raw(sim, sim->last_webhook_body,
                                                                       0, "duplicate")));
    } else if (!strcmp(cmd, "out-of-order-next")) {
        long long count;
        if (!opt_int(req, body, "count", 0, 100000, 1, &count)) {
            sim->out_of_order_count = (int)count;
            sim_respond(req, 200, json_pack("{s:i}", "out_of_order_count", (int)count));
        }
    } else if (!strcmp(cmd, "reset")) {
        sim_reset(sim);
        sim_respond(req, 200, json_pack("{s:b}", "reset", 1));
    } else {
        reply_error(req, 404, "unknown control command");
    }
    json_decref(body);
}
