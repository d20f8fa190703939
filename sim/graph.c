/* The Graph API endpoints: POST /{version}/{phone_number_id}/messages and
 * GET /{version}/{waba_id}/message_templates, validated the way Meta validates them. */
#include "sim.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DETAILS_PARAM_TEXT                                                                         \
    "Param text cannot have new-line/tab characters or more than 4 consecutive spaces"
#define DEFAULT_PAGE_LIMIT 25
#define MAX_PAGE_LIMIT     1000

static char *fbtrace_new(void)
{
    char *id = sim_hex_id_new(9);
    char *b64 = NULL;
    if (id) {
        b64 = sim_base64_new((const unsigned char *)id, 18);
        free(id);
    }
    for (char *p = b64; p && *p; p++)
        if (!isalnum((unsigned char)*p))
            *p = 'A';
    if (b64 && strlen(b64) > 23)
        b64[23] = '\0';
    return b64;
}

json_t *sim_graph_error_new(int code, const char *type, const char *message, const char *details)
{
    char *trace = fbtrace_new();
    json_t *err = json_pack("{s:s, s:s, s:i}", "message", message, "type", type, "code", code);
    if (err && details)
        json_object_set_new(
            err, "error_data",
            json_pack("{s:s, s:s}", "messaging_product", "whatsapp", "details", details));
    if (err)
        json_object_set_new(err, "fbtrace_id", json_string(trace ? trace : "A"));
    free(trace);
    return err ? json_pack("{s:o}", "error", err) : NULL;
}

static void fail(struct sim_req *req, unsigned int status, int code, const char *message,
                 const char *details)
{
    sim_respond(req, status, sim_graph_error_new(code, "OAuthException", message, details));
}

static void fail_object(struct sim_req *req, const char *method, const char *id)
{
    char msg[400];
    snprintf(msg, sizeof(msg),
             "Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to "
             "missing permissions, or does not support this operation. Please read the Graph API "
             "documentation at https://developers.facebook.com/docs/graph-api",
             method, id);
    json_t *e = sim_graph_error_new(100, "GraphMethodException", msg, NULL);
    json_object_set_new(json_object_get(e, "error"), "error_subcode", json_integer(33));
    sim_respond(req, 400, e);
}

static void fail_required(struct sim_req *req, const char *param)
{
    char msg[200];
    snprintf(msg, sizeof(msg), "(#100) The parameter %s is required.", param);
    fail(req, 400, 100, msg, NULL);
}

static void fail_count(struct sim_req *req, const char *component, size_t got, size_t expected)
{
    char details[200];
    snprintf(details, sizeof(details),
             "%s: number of localizable_params (%zu) does not match the expected number of "
             "params (%zu)",
             component, got, expected);
    fail(req, 400, 132000,
         "(#132000) Number of parameters does not match the expected number of params", details);
}

static int authorized(const struct sim_req *req)
{
    const char *token = NULL;
    char qtoken[512] = "";
    if (!strncasecmp(req->authorization, "Bearer ", 7)) {
        token = req->authorization + 7;
        while (*token == ' ')
            token++;
    } else if (!req->authorization[0]) {
        json_t *q = sim_req_query_new(req);
        const char *t = json_string_value(json_object_get(q, "access_token"));
        if (t)
            snprintf(qtoken, sizeof(qtoken), "%s", t);
        json_decref(q);
        token = qtoken;
    }
    return token && *token && !strcmp(token, req->sim->cfg.access_token);
}

static int valid_version(const char *v)
{
    if (*v++ != 'v' || !isdigit((unsigned char)*v))
        return 0;
    while (isdigit((unsigned char)*v))
        v++;
    if (*v++ != '.' || !isdigit((unsigned char)*v))
        return 0;
    while (isdigit((unsigned char)*v))
        v++;
    return *v == '\0';
}

/* ---- statuses ---- */

struct send_info {
    const struct sim_line *line;
    const char *wamid;
    const char *wa_id;
    const char *category; /* pricing category: "service" or the template's, lowercase */
    int is_template;
    char conversation_id[40];
};

static void schedule_value_status(struct sim *sim, const struct sim_line *line, json_t *status,
                                  int delay_ms, const char *kind)
{
    json_t *value = NULL;
    json_t *env = sim_envelope_new(line, &value);
    if (!env) {
        json_decref(status);
        return;
    }
    json_object_set_new(value, "statuses", json_pack("[o]", status));
    sim_webhook_schedule(sim, env, delay_ms, kind);
}

static json_t *status_new(const struct sim *sim, const struct send_info *si, const char *st,
                          int64_t at_ms)
{
    char ts[32];
    snprintf(ts, sizeof(ts), "%lld", (long long)(at_ms / 1000));
    json_t *s = json_pack("{s:s, s:s, s:s, s:s}", "id", si->wamid, "status", st, "timestamp", ts,
                          "recipient_id", si->wa_id);
    if (!s)
        return NULL;
    int sent = !strcmp(st, "sent");
    if (!sent && strcmp(st, "delivered"))
        return s;
    /* conversation objects are gone from v24.0 on (per-message pricing) */
    if (atoi(sim->cfg.graph_version + 1) < 24) {
        json_t *conv = json_pack("{s:s}", "id", si->conversation_id);
        if (sent) {
            char exp[32];
            snprintf(exp, sizeof(exp), "%lld", (long long)(at_ms / 1000 + 86400));
            json_object_set_new(conv, "expiration_timestamp", json_string(exp));
        }
        json_object_set_new(conv, "origin", json_pack("{s:s}", "type", si->category));
        json_object_set_new(s, "conversation", conv);
    }
    json_object_set_new(s, "pricing",
                        json_pack("{s:b, s:s, s:s, s:s}", "billable", si->is_template,
                                  "pricing_model", "PMP", "type",
                                  si->is_template ? "regular" : "free_customer_service", "category",
                                  si->category));
    return s;
}

static void schedule_delivery(struct sim *sim, const struct send_info *si)
{
    int64_t now = sim_now_ms();
    const struct sim_config *c = &sim->cfg;
    int d_sent = c->delay_sent_ms, d_deliv = c->delay_delivered_ms, d_read = c->delay_read_ms;
    int at_sent = d_sent, at_deliv = d_deliv, at_read = d_read;
    if (sim->out_of_order_count > 0) {
        /* read first, then delivered, then sent; the timestamps still tell the true order */
        sim->out_of_order_count--;
        at_read = d_sent;
        at_deliv = d_deliv;
        at_sent = d_read > d_deliv ? d_read : d_deliv + 1;
    }
    schedule_value_status(sim, si->line, status_new(sim, si, "sent", now + d_sent), at_sent,
                          "status:sent");
    schedule_value_status(sim, si->line, status_new(sim, si, "delivered", now + d_deliv), at_deliv,
                          "status:delivered");
    schedule_value_status(sim, si->line, status_new(sim, si, "read", now + d_read), at_read,
                          "status:read");
}

static void schedule_reengagement_failure(struct sim *sim, const struct send_info *si)
{
    int64_t at = sim_now_ms() + sim->cfg.delay_sent_ms;
    json_t *s = status_new(sim, si, "failed", at);
    json_t *err = json_pack(
        "{s:i, s:s, s:s, s:{s:s}, s:s}", "code", 131047, "title", "Re-engagement message",
        "message", "Re-engagement message", "error_data", "details",
        "Message failed to send because more than 24 hours have passed since the customer last "
        "replied to this number.",
        "href", "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/");
    json_object_set_new(s, "errors", json_pack("[o]", err));
    schedule_value_status(sim, si->line, s, sim->cfg.delay_sent_ms, "status:failed");
}

/* ---- templates ---- */

/* Distinct {{variable}} names of @p text, in order of first appearance. */
static json_t *vars_new(const char *text)
{
    json_t *vars = json_array();
    const char *p = text;
    while (vars && p && (p = strstr(p, "{{")) != NULL) {
        const char *end = strstr(p + 2, "}}");
        if (!end)
            break;
        const char *a = p + 2, *b = end;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        char name[128];
        size_t n = (size_t)(b - a) < sizeof(name) - 1 ? (size_t)(b - a) : sizeof(name) - 1;
        memcpy(name, a, n);
        name[n] = '\0';
        int seen = 0;
        for (size_t i = 0; i < json_array_size(vars); i++)
            seen |= !strcmp(json_string_value(json_array_get(vars, i)), name);
        if (!seen && n > 0)
            json_array_append_new(vars, json_string(name));
        p = end + 2;
    }
    return vars;
}

static json_t *template_component(json_t *tpl, const char *type)
{
    json_t *comps = json_object_get(tpl, "components");
    for (size_t i = 0; i < json_array_size(comps); i++) {
        json_t *c = json_array_get(comps, i);
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && !strcasecmp(t, type))
            return c;
    }
    return NULL;
}

static int bad_param_text(const char *s)
{
    int spaces = 0;
    for (; *s; s++) {
        if (*s == '\n' || *s == '\t' || *s == '\r')
            return 1;
        spaces = *s == ' ' ? spaces + 1 : 0;
        if (spaces > 4)
            return 1;
    }
    return 0;
}

/* Checks the values of one component's parameters; responds and returns -1 on error. */
static int check_params(struct sim_req *req, const char *component, json_t *params, json_t *vars,
                        int named)
{
    char details[300];
    for (size_t i = 0; i < json_array_size(params); i++) {
        json_t *p = json_array_get(params, i);
        const char *type = json_string_value(json_object_get(p, "type"));
        if (!json_is_object(p) || !type) {
            fail(req, 400, 100, "(#100) Invalid parameter",
                 "Each parameter needs a type (text, currency, date_time, image, document, "
                 "video, payload)");
            return -1;
        }
        if (!strcmp(type, "text")) {
            const char *text = json_string_value(json_object_get(p, "text"));
            if (!text) {
                fail(req, 400, 131008, "(#131008) Required parameter is missing",
                     "Parameter of type text is missing text value");
                return -1;
            }
            if (bad_param_text(text)) {
                fail(req, 400, 100, "(#100) Invalid parameter", DETAILS_PARAM_TEXT);
                return -1;
            }
        } else if (!strcmp(type, "payload")) {
            if (!json_is_string(json_object_get(p, "payload"))) {
                fail(req, 400, 131008, "(#131008) Required parameter is missing",
                     "Parameter of type payload is missing payload value");
                return -1;
            }
        } else if (!strcmp(type, "image") || !strcmp(type, "video") || !strcmp(type, "document")) {
            json_t *m = json_object_get(p, type);
            if (!json_is_object(m) || (!json_is_string(json_object_get(m, "id")) &&
                                       !json_is_string(json_object_get(m, "link")))) {
                snprintf(details, sizeof(details), "Parameter of type %s needs an id or a link",
                         type);
                fail(req, 400, 131008, "(#131008) Required parameter is missing", details);
                return -1;
            }
        } else if (strcmp(type, "currency") && strcmp(type, "date_time") &&
                   strcmp(type, "location") && strcmp(type, "coupon_code") &&
                   strcmp(type, "action")) {
            snprintf(details, sizeof(details), "Unknown parameter type (%.60s)", type);
            fail(req, 400, 100, "(#100) Invalid parameter", details);
            return -1;
        }
        if (!named || !vars)
            continue;
        const char *pname = json_string_value(json_object_get(p, "parameter_name"));
        if (!pname || !*pname) {
            snprintf(details, sizeof(details), "%s: parameter_name is missing or empty", component);
            fail(req, 400, 100, "(#100) Invalid parameter", details);
            return -1;
        }
        int known = 0;
        for (size_t j = 0; j < json_array_size(vars); j++)
            known |= !strcmp(json_string_value(json_array_get(vars, j)), pname);
        for (size_t j = 0; j < i; j++) {
            const char *other =
                json_string_value(json_object_get(json_array_get(params, j), "parameter_name"));
            if (other && !strcmp(other, pname))
                known = 0;
        }
        if (!known) {
            snprintf(details, sizeof(details),
                     "%s: parameter name (%.100s) does not exist in the template or is repeated",
                     component, pname);
            fail(req, 400, 100, "(#100) Invalid parameter", details);
            return -1;
        }
    }
    return 0;
}

static json_t *find_template(struct sim_waba *w, const char *name, const char *lang)
{
    for (size_t i = 0; w && i < json_array_size(w->catalog); i++) {
        json_t *t = json_array_get(w->catalog, i);
        if (!strcmp(json_string_value(json_object_get(t, "name")), name) &&
            !strcmp(json_string_value(json_object_get(t, "language")), lang))
            return t;
    }
    return NULL;
}

static const char *index_of(json_t *comp, char *buf, size_t len)
{
    json_t *ix = json_object_get(comp, "index");
    if (json_is_string(ix))
        return json_string_value(ix);
    if (json_is_integer(ix)) {
        snprintf(buf, len, "%lld", (long long)json_integer_value(ix));
        return buf;
    }
    return NULL;
}

/* Validates a template send; responds and returns NULL on error, else the catalog entry. */
static json_t *check_template(struct sim_req *req, const struct sim_line *line, json_t *tmsg)
{
    if (!json_is_object(tmsg)) {
        fail_required(req, "template");
        return NULL;
    }
    const char *name = json_string_value(json_object_get(tmsg, "name"));
    json_t *langobj = json_object_get(tmsg, "language");
    const char *lang = json_string_value(json_object_get(langobj, "code"));
    if (!name || !*name) {
        fail_required(req, "template['name']");
        return NULL;
    }
    if (!lang || !*lang) {
        fail_required(req, "template['language']");
        return NULL;
    }
    json_t *tpl = find_template(sim_waba_find(req->sim, line->waba_id), name, lang);
    const char *status = tpl ? json_string_value(json_object_get(tpl, "status")) : NULL;
    if (status && !strcmp(status, "PAUSED")) {
        fail(req, 400, 132015, "(#132015) Template is paused",
             "Template is paused due to low quality so it cannot be sent in a template message.");
        return NULL;
    }
    if (status && !strcmp(status, "DISABLED")) {
        fail(req, 400, 132016, "(#132016) Template has been disabled",
             "Template has been paused too many times due to low quality and is now permanently "
             "disabled.");
        return NULL;
    }
    if (!status || strcmp(status, "APPROVED")) {
        char details[700];
        snprintf(details, sizeof(details), "template name (%.300s) does not exist in %.100s", name,
                 lang);
        fail(req, 404, 132001, "(#132001) Template name does not exist in the translation",
             details);
        return NULL;
    }
    const char *fmt = json_string_value(json_object_get(tpl, "parameter_format"));
    int named = fmt && !strcasecmp(fmt, "NAMED");

    json_t *comps = json_object_get(tmsg, "components");
    if (comps && !json_is_array(comps)) {
        fail(req, 400, 100, "(#100) Invalid parameter", "template['components'] must be an array");
        return NULL;
    }
    json_t *req_header = NULL, *req_body = NULL;
    for (size_t i = 0; i < json_array_size(comps); i++) {
        json_t *c = json_array_get(comps, i);
        const char *t = json_string_value(json_object_get(c, "type"));
        json_t *params = json_object_get(c, "parameters");
        if (!json_is_object(c) || !t || (params && !json_is_array(params))) {
            fail(req, 400, 100, "(#100) Invalid parameter",
                 "Each component needs a type and a parameters array");
            return NULL;
        }
        if (!strcasecmp(t, "header"))
            req_header = c;
        else if (!strcasecmp(t, "body"))
            req_body = c;
        else if (strcasecmp(t, "button") && strcasecmp(t, "carousel") &&
                 strcasecmp(t, "limited_time_offer")) {
            char details[200];
            snprintf(details, sizeof(details), "Unknown component type (%.60s)", t);
            fail(req, 400, 100, "(#100) Invalid parameter", details);
            return NULL;
        }
    }

    /* header */
    json_t *th = template_component(tpl, "HEADER");
    const char *hformat = th ? json_string_value(json_object_get(th, "format")) : NULL;
    json_t *hparams = json_object_get(req_header, "parameters");
    if (hformat && strcasecmp(hformat, "TEXT")) {
        json_t *p0 = json_array_get(hparams, 0);
        const char *pt = json_string_value(json_object_get(p0, "type"));
        if (json_array_size(hparams) != 1 || !pt || strcasecmp(pt, hformat)) {
            char details[200], got[32] = "UNKNOWN";
            for (size_t i = 0; pt && pt[i] && i < sizeof(got) - 1; i++) {
                got[i] = (char)toupper((unsigned char)pt[i]);
                got[i + 1] = '\0';
            }
            snprintf(details, sizeof(details),
                     "header: Format mismatch, expected %.20s, received %s", hformat, got);
            fail(req, 400, 132012,
                 "(#132012) Parameter format does not match format in the created template",
                 details);
            return NULL;
        }
        if (check_params(req, "header", hparams, NULL, 0))
            return NULL;
    } else {
        json_t *hvars = vars_new(th ? json_string_value(json_object_get(th, "text")) : NULL);
        if (json_array_size(hparams) != json_array_size(hvars)) {
            fail_count(req, "header", json_array_size(hparams), json_array_size(hvars));
            json_decref(hvars);
            return NULL;
        }
        int r = check_params(req, "header", hparams, hvars, named);
        json_decref(hvars);
        if (r)
            return NULL;
    }

    /* body */
    json_t *tb = template_component(tpl, "BODY");
    json_t *bvars = vars_new(tb ? json_string_value(json_object_get(tb, "text")) : NULL);
    json_t *bparams = json_object_get(req_body, "parameters");
    if (json_array_size(bparams) != json_array_size(bvars)) {
        fail_count(req, "body", json_array_size(bparams), json_array_size(bvars));
        json_decref(bvars);
        return NULL;
    }
    int r = check_params(req, "body", bparams, bvars, named);
    json_decref(bvars);
    if (r)
        return NULL;

    /* buttons: a URL button with a variable needs its one parameter at its index */
    json_t *buttons = json_object_get(template_component(tpl, "BUTTONS"), "buttons");
    for (size_t i = 0; i < json_array_size(comps); i++) {
        json_t *c = json_array_get(comps, i);
        char ibuf[24];
        if (strcasecmp(json_string_value(json_object_get(c, "type")), "button"))
            continue;
        const char *ix = index_of(c, ibuf, sizeof(ibuf));
        char *end = NULL;
        long n = ix ? strtol(ix, &end, 10) : -1;
        if (!ix || *end || n < 0 || (size_t)n >= json_array_size(buttons)) {
            char details[200];
            snprintf(details, sizeof(details),
                     "button: index (%.20s) does not exist in the template", ix ? ix : "missing");
            fail(req, 400, 100, "(#100) Invalid parameter", details);
            return NULL;
        }
        if (check_params(req, "button", json_object_get(c, "parameters"), NULL, 0))
            return NULL;
    }
    for (size_t b = 0; b < json_array_size(buttons); b++) {
        json_t *tbtn = json_array_get(buttons, b);
        const char *bt = json_string_value(json_object_get(tbtn, "type"));
        if (!bt || strcasecmp(bt, "URL"))
            continue;
        json_t *uvars = vars_new(json_string_value(json_object_get(tbtn, "url")));
        size_t expected = json_array_size(uvars), got = 0;
        json_decref(uvars);
        for (size_t i = 0; i < json_array_size(comps); i++) {
            json_t *c = json_array_get(comps, i);
            char ibuf[24];
            const char *ix = index_of(c, ibuf, sizeof(ibuf));
            if (!strcasecmp(json_string_value(json_object_get(c, "type")), "button") && ix &&
                (size_t)atol(ix) == b)
                got = json_array_size(json_object_get(c, "parameters"));
        }
        if (got != expected) {
            fail_count(req, "button", got, expected);
            return NULL;
        }
    }
    return tpl;
}

/* ---- messages ---- */

static const char *const free_form_types[] = {"text",        "image",    "audio",    "document",
                                              "video",       "sticker",  "location", "contacts",
                                              "interactive", "reaction", NULL};

static void messages_process(struct sim_req *req, const struct sim_line *line)
{
    struct sim *sim = req->sim;
    json_error_t jerr;
    json_t *root = req->body ? json_loadb(req->body, req->body_len, 0, &jerr) : NULL;
    const char *mp = json_string_value(json_object_get(root, "messaging_product"));
    if (!json_is_object(root) || !mp || strcmp(mp, "whatsapp")) {
        fail(req, 400, 100, "(#100) The parameter messaging_product is required.", NULL);
        goto out;
    }

    /* mark-as-read shares the endpoint */
    const char *mstatus = json_string_value(json_object_get(root, "status"));
    if (mstatus) {
        if (strcmp(mstatus, "read") || !json_is_string(json_object_get(root, "message_id"))) {
            fail(req, 400, 100, "(#100) Invalid parameter",
                 "status must be \"read\" with a message_id");
            goto out;
        }
        sim_respond(req, 200, json_pack("{s:b}", "success", 1));
        goto out;
    }

    json_t *rt = json_object_get(root, "recipient_type");
    if (rt && (!json_is_string(rt) || strcmp(json_string_value(rt), "individual"))) {
        fail(req, 400, 100, "(#100) Invalid parameter", "recipient_type must be \"individual\"");
        goto out;
    }
    const char *to = json_string_value(json_object_get(root, "to"));
    if (!to || !*to) {
        fail_required(req, "to");
        goto out;
    }
    char *digits = sim_digits_new(to);
    size_t nd = digits ? strlen(digits) : 0;
    if (nd < 8 || nd > 15 || strspn(to, "+-() 0123456789") != strlen(to)) {
        free(digits);
        fail(req, 400, 100, "(#100) Invalid parameter", "Invalid phone number in parameter to");
        goto out;
    }
    const struct sim_customer *cust = sim_customer_find(sim, digits);
    char wa_id[20];
    snprintf(wa_id, sizeof(wa_id), "%s", cust ? cust->wa_id : digits);
    free(digits);

    json_t *jtype = json_object_get(root, "type");
    const char *type = jtype ? json_string_value(jtype) : "text";
    if (!type) {
        fail(req, 400, 100, "(#100) Invalid parameter", "type must be a string");
        goto out;
    }
    int is_template = !strcmp(type, "template"), known = is_template;
    for (size_t i = 0; free_form_types[i]; i++)
        known |= !strcmp(type, free_form_types[i]);
    if (!known) {
        char msg[300];
        snprintf(msg, sizeof(msg),
                 "(#100) Param type must be one of {AUDIO, CONTACTS, DOCUMENT, IMAGE, "
                 "INTERACTIVE, LOCATION, REACTION, STICKER, TEMPLATE, TEXT, VIDEO} - got "
                 "\"%.40s\".",
                 type);
        fail(req, 400, 100, msg, NULL);
        goto out;
    }
    json_t *payload = json_object_get(root, type);
    if (!is_template &&
        !(strcmp(type, "contacts") ? json_is_object(payload) : json_is_array(payload))) {
        fail_required(req, type);
        goto out;
    }

    struct send_info si;
    memset(&si, 0, sizeof(si));
    char category[40] = "service";
    if (is_template) {
        json_t *tpl = check_template(req, line, payload);
        if (!tpl)
            goto out;
        const char *cat = json_string_value(json_object_get(tpl, "category"));
        if (cat) {
            snprintf(category, sizeof(category), "%s", cat);
            for (char *p = category; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        }
    } else if (!strcmp(type, "text")) {
        const char *body = json_string_value(json_object_get(payload, "body"));
        if (!body) {
            fail_required(req, "text['body']");
            goto out;
        }
        if (sim_utf8_chars(body) > SIM_MAX_TEXT_CHARS) {
            fail(req, 400, 100, "(#100) Param text['body'] must be at most 4096 characters long.",
                 "Param text['body'] must be at most 4096 characters long.");
            goto out;
        }
    } else if (!strcmp(type, "image") || !strcmp(type, "audio") || !strcmp(type, "document") ||
               !strcmp(type, "video") || !strcmp(type, "sticker")) {
        if (!json_is_string(json_object_get(payload, "id")) &&
            !json_is_string(json_object_get(payload, "link"))) {
            char details[100];
            snprintf(details, sizeof(details), "%s needs an id or a link", type);
            fail(req, 400, 131008, "(#131008) Required parameter is missing", details);
            goto out;
        }
    } else if (!strcmp(type, "interactive")) {
        if (!json_is_string(json_object_get(payload, "type"))) {
            fail_required(req, "interactive['type']");
            goto out;
        }
    } else if (!strcmp(type, "reaction")) {
        if (!json_is_string(json_object_get(payload, "message_id"))) {
            fail_required(req, "reaction['message_id']");
            goto out;
        }
    }

    char *wamid = sim_wamid_new();
    char *conv = sim_hex_id_new(16);
    if (!wamid || !conv) {
        free(wamid);
        free(conv);
        fail(req, 500, 1, "An unknown error occurred", NULL);
        goto out;
    }
    si.line = line;
    si.wamid = wamid;
    si.wa_id = wa_id;
    si.category = category;
    si.is_template = is_template;
    snprintf(si.conversation_id, sizeof(si.conversation_id), "%s", conv);
    free(conv);

    json_t *msg = json_pack("{s:s}", "id", wamid);
    if (is_template)
        json_object_set_new(msg, "message_status", json_string("accepted"));
    json_t *resp = json_pack("{s:s, s:[{s:s, s:s}], s:[o]}", "messaging_product", "whatsapp",
                             "contacts", "input", to, "wa_id", wa_id, "messages", msg);
    if (req->log_entry)
        json_object_set_new(req->log_entry, "wamid", json_string(wamid));

    if (!is_template && !sim_window_is_open(sim, line->phone_number_id, wa_id, sim_now_ms()))
        schedule_reengagement_failure(sim, &si);
    else
        schedule_delivery(sim, &si);
    sim_respond(req, 200, resp);
    free(wamid);
out:
    json_decref(root);
}

static void delayed_answer(lws_sorted_usec_list_t *sul)
{
    struct sim_req *req = lws_container_of(sul, struct sim_req, sul);
    req->delayed = 0;
    char path[sizeof(req->path)];
    snprintf(path, sizeof(path), "%s", req->path);
    char *save = NULL;
    strtok_r(path, "/", &save);
    const char *id = strtok_r(NULL, "/", &save);
    const struct sim_line *line = id ? sim_line_find(req->sim, id) : NULL;
    if (line)
        messages_process(req, line);
}

static void messages(struct sim_req *req, const char *id)
{
    struct sim *sim = req->sim;
    const struct sim_line *line = sim_line_find(sim, id);
    if (!line) {
        fail_object(req, "post", id);
        return;
    }
    if (sim->fail_count > 0 && sim->fail_mode != SIM_FAIL_NONE) {
        sim->fail_count--;
        enum sim_fail_mode mode = sim->fail_mode;
        int status = sim->fail_status;
        if (sim->fail_count == 0)
            sim->fail_mode = SIM_FAIL_NONE;
        if (req->log_entry)
            json_object_set_new(req->log_entry, "injected_failure", json_true());
        switch (mode) {
        case SIM_FAIL_500:
            fail(req, status ? (unsigned)status : 500, 131000, "(#131000) Something went wrong",
                 "Something went wrong");
            return;
        case SIM_FAIL_503:
            sim_respond(req, status ? (unsigned)status : 503,
                        sim_graph_error_new(2, "OAuthException",
                                            "An unexpected error has occurred. Please retry your "
                                            "request later.",
                                            NULL));
            return;
        case SIM_FAIL_RATE:
            fail(req, status ? (unsigned)status : 400, 130429, "(#130429) Rate limit hit",
                 "Cloud API message throughput has been reached.");
            return;
        case SIM_FAIL_TIMEOUT:
            if (sim->fail_delay_ms > 0) {
                req->delayed = 1;
                lws_sul_schedule(sim->context, 0, &req->sul, delayed_answer,
                                 (lws_usec_t)sim->fail_delay_ms * 1000);
            } else {
                req->held = 1;
            }
            return;
        case SIM_FAIL_NONE:
            break;
        }
    }
    messages_process(req, line);
}

/* ---- message_templates ---- */

static int status_matches(const char *filter, const char *status)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", filter);
    char *save = NULL;
    for (char *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save))
        if (status && !strcasecmp(s, status))
            return 1;
    return 0;
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; hay && *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return 1;
    return n == 0;
}

static char *cursor_new(size_t index)
{
    char raw[48];
    int n = snprintf(raw, sizeof(raw), "ativa-sim-cursor:%zu", index);
    char *c = sim_base64_new((const unsigned char *)raw, (size_t)n);
    /* without padding, a cursor needs no escaping in a query string */
    for (char *p = c ? strchr(c, '=') : NULL; p && *p; p++)
        *p = '\0';
    return c;
}

static int cursor_parse(const char *c, size_t *index)
{
    char raw[64], padded[88];
    size_t n = strlen(c);
    if (n > 80)
        return -1;
    snprintf(padded, sizeof(padded), "%s%s", c, n % 4 == 2 ? "==" : n % 4 == 3 ? "=" : "");
    if (sim_base64_decode(padded, raw, sizeof(raw)) < 0 || strncmp(raw, "ativa-sim-cursor:", 17))
        return -1;
    char *end = NULL;
    unsigned long long v = strtoull(raw + 17, &end, 10);
    if (end == raw + 17 || *end)
        return -1;
    *index = (size_t)v;
    return 0;
}

static void append_param(char *url, size_t cap, const char *key, const char *value)
{
    char enc[1024];
    lws_urlencode(enc, value, (int)sizeof(enc));
    size_t n = strlen(url);
    snprintf(url + n, cap - n, "%s%s=%s", strchr(url, '?') ? "&" : "?", key, enc);
}

static json_t *page_url_new(const struct sim *sim, const char *version, const char *waba, json_t *q,
                            size_t limit, const char *dir, const char *cursor)
{
    char url[4096], lim[24];
    snprintf(url, sizeof(url), "%s/%s/%s/message_templates", sim->base_url, version, waba);
    const char *keep[] = {"fields", "status", "name", NULL};
    for (size_t i = 0; keep[i]; i++) {
        const char *v = json_string_value(json_object_get(q, keep[i]));
        if (v)
            append_param(url, sizeof(url), keep[i], v);
    }
    snprintf(lim, sizeof(lim), "%zu", limit);
    append_param(url, sizeof(url), "limit", lim);
    append_param(url, sizeof(url), dir, cursor);
    return json_string(url);
}

static json_t *project_fields(json_t *tpl, const char *fields)
{
    if (!fields)
        return json_deep_copy(tpl);
    json_t *out = json_object();
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", fields);
    char *save = NULL;
    for (char *f = strtok_r(buf, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        json_t *v = json_object_get(tpl, f);
        if (v)
            json_object_set_new(out, f, json_deep_copy(v));
    }
    json_object_set_new(out, "id", json_deep_copy(json_object_get(tpl, "id")));
    return out;
}

static void templates(struct sim_req *req, const char *version, const char *waba_id)
{
    struct sim *sim = req->sim;
    struct sim_waba *w = sim_waba_find(sim, waba_id);
    if (!w) {
        fail_object(req, "get", waba_id);
        return;
    }
    json_t *q = sim_req_query_new(req);
    const char *slimit = json_string_value(json_object_get(q, "limit"));
    const char *after = json_string_value(json_object_get(q, "after"));
    const char *before = json_string_value(json_object_get(q, "before"));
    const char *fstatus = json_string_value(json_object_get(q, "status"));
    const char *fname = json_string_value(json_object_get(q, "name"));
    const char *fields = json_string_value(json_object_get(q, "fields"));
    size_t limit = DEFAULT_PAGE_LIMIT;
    if (slimit) {
        char *end = NULL;
        long l = strtol(slimit, &end, 10);
        if (end == slimit || *end || l < 1) {
            fail(req, 400, 100, "(#100) Param limit must be a positive integer", NULL);
            json_decref(q);
            return;
        }
        limit = l > MAX_PAGE_LIMIT ? MAX_PAGE_LIMIT : (size_t)l;
    }
    json_t *matching = json_array();
    for (size_t i = 0; i < json_array_size(w->catalog); i++) {
        json_t *t = json_array_get(w->catalog, i);
        if (fstatus && !status_matches(fstatus, json_string_value(json_object_get(t, "status"))))
            continue;
        if (fname && !contains_nocase(json_string_value(json_object_get(t, "name")), fname))
            continue;
        json_array_append(matching, t);
    }
    size_t n = json_array_size(matching), start = 0, end = n, idx;
    if (after) {
        if (cursor_parse(after, &idx)) {
            fail(req, 400, 100, "(#100) Invalid cursor", "The after cursor is not valid");
            goto done;
        }
        start = idx + 1 > n ? n : idx + 1;
        end = start + limit > n ? n : start + limit;
    } else if (before) {
        if (cursor_parse(before, &idx)) {
            fail(req, 400, 100, "(#100) Invalid cursor", "The before cursor is not valid");
            goto done;
        }
        end = idx > n ? n : idx;
        start = end > limit ? end - limit : 0;
    } else {
        end = limit > n ? n : limit;
    }
    json_t *data = json_array();
    for (size_t i = start; i < end; i++)
        json_array_append_new(data, project_fields(json_array_get(matching, i), fields));
    json_t *resp = json_pack("{s:o}", "data", data);
    if (end > start) {
        char *cb = cursor_new(start), *ca = cursor_new(end - 1);
        json_t *paging = json_pack("{s:{s:s, s:s}}", "cursors", "before", cb, "after", ca);
        if (end < n)
            json_object_set_new(paging, "next",
                                page_url_new(sim, version, waba_id, q, limit, "after", ca));
        if (start > 0)
            json_object_set_new(paging, "previous",
                                page_url_new(sim, version, waba_id, q, limit, "before", cb));
        json_object_set_new(resp, "paging", paging);
        free(cb);
        free(ca);
    }
    sim_respond(req, 200, resp);
done:
    json_decref(matching);
    json_decref(q);
}

void sim_graph_handle(struct sim_req *req)
{
    struct sim *sim = req->sim;
    json_t *entry = json_pack(
        "{s:I, s:I, s:s, s:s, s:s, s:{s:s, s:s}, s:s?, s:n}", "seq", (json_int_t)++sim->request_seq,
        "time_ms", (json_int_t)sim_now_ms(), "method", req->is_post ? "POST" : "GET", "path",
        req->path, "query", req->query, "headers", "authorization", req->authorization,
        "content-type", req->content_type, "body", req->body, "response_status");
    if (entry) {
        req->log_entry = json_incref(entry);
        sim_log_append(sim->request_log, entry);
    }

    if (!authorized(req)) {
        snprintf(req->www_authenticate, sizeof(req->www_authenticate),
                 "OAuth \"Facebook Platform\" \"invalid_token\" \"Invalid OAuth access token - "
                 "Cannot parse access token\"");
        fail(req, 401, 190, "Invalid OAuth access token - Cannot parse access token", NULL);
        return;
    }
    char path[sizeof(req->path)];
    char *seg[4] = {NULL, NULL, NULL, NULL};
    int nseg = 0;
    snprintf(path, sizeof(path), "%s", req->path);
    char *save = NULL;
    for (char *s = strtok_r(path, "/", &save); s && nseg < 4; s = strtok_r(NULL, "/", &save))
        seg[nseg++] = s;
    if (nseg != 3 || !valid_version(seg[0])) {
        char msg[600];
        snprintf(msg, sizeof(msg), "Unknown path components: %.500s", req->path);
        fail(req, 400, 2500, msg, NULL);
        return;
    }
    if (!strcmp(seg[2], "messages") && req->is_post)
        messages(req, seg[1]);
    else if (!strcmp(seg[2], "message_templates") && !req->is_post)
        templates(req, seg[0], seg[1]);
    else
        fail_object(req, req->is_post ? "post" : "get", seg[1]);
}
