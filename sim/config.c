#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_MAX_STR 4096

static int bad(const char *key, const char *what)
{
    fprintf(stderr, "ativa-meta-sim: config: key \"%s\" %s\n", key, what);
    return -1;
}

/* Copies the string at @p key; required keys must be present and non-empty. */
static int get_str(json_t *obj, const char *key, const char *label, int required, char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return required ? bad(label, "is missing") : 0;
    if (!json_is_string(v))
        return bad(label, "must be a string");
    size_t n = json_string_length(v);
    if (n == 0 && required)
        return bad(label, "must not be empty");
    if (n > SIM_MAX_STR)
        return bad(label, "is too long");
    *out = strdup(json_string_value(v));
    return *out ? 0 : bad(label, "could not be copied (out of memory)");
}

static int get_int(json_t *obj, const char *key, const char *label, long long min, long long max,
                   long long def, long long *out)
{
    json_t *v = json_object_get(obj, key);
    *out = def;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return bad(label, "must be an integer");
    long long x = json_integer_value(v);
    if (x < min || x > max) {
        char msg[100];
        snprintf(msg, sizeof(msg), "must be between %lld and %lld", min, max);
        return bad(label, msg);
    }
    *out = x;
    return 0;
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Paths in the config are relative to the config file's folder. */
static char *resolve_new(const struct sim_config *cfg, const char *path)
{
    if (path[0] == '/' || !cfg->config_dir)
        return strdup(path);
    size_t n = strlen(cfg->config_dir) + strlen(path) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", cfg->config_dir, path);
    return out;
}

static int resolve_in_place(const struct sim_config *cfg, char **path)
{
    if (!*path)
        return 0;
    char *r = resolve_new(cfg, *path);
    if (!r)
        return -1;
    free(*path);
    *path = r;
    return 0;
}

static int load_lines(struct sim_config *cfg, json_t *root)
{
    json_t *arr = json_object_get(root, "lines");
    char label[64];
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return bad("lines", "must be a non-empty array of {phone_number_id, "
                            "display_phone_number, waba_id}");
    if (json_array_size(arr) > 100)
        return bad("lines", "has more than 100 entries");
    cfg->lines = calloc(json_array_size(arr), sizeof(*cfg->lines));
    if (!cfg->lines)
        return -1;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *o = json_array_get(arr, i);
        struct sim_line *l = &cfg->lines[i];
        cfg->nlines = i + 1;
        if (!json_is_object(o)) {
            snprintf(label, sizeof(label), "lines[%zu]", i);
            return bad(label, "must be an object");
        }
        snprintf(label, sizeof(label), "lines[%zu].phone_number_id", i);
        if (get_str(o, "phone_number_id", label, 1, &l->phone_number_id))
            return -1;
        if (!all_digits(l->phone_number_id))
            return bad(label, "must contain digits only");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(cfg->lines[j].phone_number_id, l->phone_number_id))
                return bad(label, "repeats an earlier line");
        snprintf(label, sizeof(label), "lines[%zu].display_phone_number", i);
        if (get_str(o, "display_phone_number", label, 1, &l->display_phone_number))
            return -1;
        snprintf(label, sizeof(label), "lines[%zu].waba_id", i);
        if (get_str(o, "waba_id", label, 1, &l->waba_id))
            return -1;
        if (!all_digits(l->waba_id))
            return bad(label, "must contain digits only");
    }
    return 0;
}

static int load_catalog(struct sim_config *cfg, struct sim_waba *w, const char *label)
{
    json_error_t err;
    char *path = resolve_new(cfg, w->templates_file);
    if (!path)
        return -1;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        if (err.line > 0)
            fprintf(stderr, "ativa-meta-sim: config: key \"%s\": cannot read %s: %s (line %d)\n",
                    label, path, err.text, err.line);
        else
            fprintf(stderr, "ativa-meta-sim: config: key \"%s\": cannot read %s: %s\n", label, path,
                    err.text);
        free(path);
        return -1;
    }
    free(path);
    json_t *data = json_object_get(root, "data");
    if (!json_is_array(data)) {
        json_decref(root);
        return bad(label, "names a file without a \"data\" array (Meta's template list format)");
    }
    for (size_t i = 0; i < json_array_size(data); i++) {
        json_t *t = json_array_get(data, i);
        char tl[160];
        snprintf(tl, sizeof(tl), "%s: data[%zu]", label, i);
        if (!json_is_object(t) || !json_is_string(json_object_get(t, "name")) ||
            !json_is_string(json_object_get(t, "language")) ||
            !json_is_string(json_object_get(t, "status")) ||
            !json_is_array(json_object_get(t, "components"))) {
            json_decref(root);
            return bad(tl, "must have string name, language, status and a components array");
        }
        json_t *id = json_object_get(t, "id");
        if (!id) {
            /* Meta ids are numeric strings; the status webhook needs one as an integer. */
            char *nid = sim_numeric_id_new(16);
            json_object_set_new(t, "id", json_string(nid ? nid : "1"));
            free(nid);
        } else if (!json_is_string(id) || !all_digits(json_string_value(id)) ||
                   json_string_length(id) > 18) {
            json_decref(root);
            return bad(tl, "has an id that is not a string of at most 18 digits");
        }
    }
    w->initial = json_deep_copy(data);
    w->catalog = json_deep_copy(data);
    json_decref(root);
    return w->initial && w->catalog ? 0 : -1;
}

static int load_wabas(struct sim_config *cfg, json_t *root)
{
    json_t *arr = json_object_get(root, "wabas");
    char label[64];
    if (!arr)
        arr = json_array();
    else
        json_incref(arr);
    if (!json_is_array(arr) || json_array_size(arr) > 100) {
        json_decref(arr);
        return bad("wabas", "must be an array of at most 100 {waba_id, templates_file}");
    }
    cfg->wabas = calloc(json_array_size(arr) + cfg->nlines, sizeof(*cfg->wabas));
    if (!cfg->wabas) {
        json_decref(arr);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *o = json_array_get(arr, i);
        struct sim_waba *w = &cfg->wabas[i];
        cfg->nwabas = i + 1;
        snprintf(label, sizeof(label), "wabas[%zu].waba_id", i);
        if (!json_is_object(o) || get_str(o, "waba_id", label, 1, &w->waba_id))
            goto fail;
        snprintf(label, sizeof(label), "wabas[%zu].templates_file", i);
        if (get_str(o, "templates_file", label, 1, &w->templates_file) ||
            load_catalog(cfg, w, label))
            goto fail;
    }
    json_decref(arr);
    /* A line's WABA without a templates file has an empty catalog. */
    for (size_t i = 0; i < cfg->nlines; i++) {
        int found = 0;
        for (size_t j = 0; j < cfg->nwabas; j++)
            found |= !strcmp(cfg->wabas[j].waba_id, cfg->lines[i].waba_id);
        if (found)
            continue;
        struct sim_waba *w = &cfg->wabas[cfg->nwabas++];
        w->waba_id = strdup(cfg->lines[i].waba_id);
        w->initial = json_array();
        w->catalog = json_array();
        if (!w->waba_id || !w->initial || !w->catalog)
            return -1;
    }
    return 0;
fail:
    json_decref(arr);
    return -1;
}

static int load_customers(struct sim_config *cfg, json_t *root)
{
    json_t *arr = json_object_get(root, "customers");
    char label[64];
    if (!arr)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > 10000)
        return bad("customers", "must be an array of at most 10000 {number, wa_id, name}");
    cfg->customers = calloc(json_array_size(arr) + 1, sizeof(*cfg->customers));
    if (!cfg->customers)
        return -1;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *o = json_array_get(arr, i);
        struct sim_customer *c = &cfg->customers[i];
        long long ago;
        cfg->ncustomers = i + 1;
        if (!json_is_object(o)) {
            snprintf(label, sizeof(label), "customers[%zu]", i);
            return bad(label, "must be an object");
        }
        snprintf(label, sizeof(label), "customers[%zu].number", i);
        if (get_str(o, "number", label, 1, &c->number))
            return -1;
        if (!all_digits(c->number) || strlen(c->number) < 8 || strlen(c->number) > 15)
            return bad(label, "must be 8 to 15 digits (country code first, no +)");
        snprintf(label, sizeof(label), "customers[%zu].wa_id", i);
        if (get_str(o, "wa_id", label, 0, &c->wa_id))
            return -1;
        if (!c->wa_id && !(c->wa_id = strdup(c->number)))
            return -1;
        if (!all_digits(c->wa_id) || strlen(c->wa_id) < 8 || strlen(c->wa_id) > 15)
            return bad(label, "must be 8 to 15 digits");
        snprintf(label, sizeof(label), "customers[%zu].name", i);
        if (get_str(o, "name", label, 0, &c->name))
            return -1;
        if (!c->name && !(c->name = strdup("")))
            return -1;
        snprintf(label, sizeof(label), "customers[%zu].last_inbound_ago_s", i);
        c->has_last_inbound = json_object_get(o, "last_inbound_ago_s") != NULL &&
                              !json_is_null(json_object_get(o, "last_inbound_ago_s"));
        if (get_int(o, "last_inbound_ago_s", label, 0, 10LL * 365 * 86400, 0, &ago))
            return -1;
        c->last_inbound_ago_s = ago;
        snprintf(label, sizeof(label), "customers[%zu].line", i);
        if (get_str(o, "line", label, 0, &c->line))
            return -1;
        if (c->line) {
            int found = 0;
            for (size_t j = 0; j < cfg->nlines; j++)
                found |= !strcmp(cfg->lines[j].phone_number_id, c->line);
            if (!found)
                return bad(label, "names no configured line's phone_number_id");
        }
    }
    return 0;
}

int sim_config_load(struct sim_config *cfg, const char *path)
{
    json_error_t err;
    long long v;
    memset(cfg, 0, sizeof(*cfg));
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        fprintf(stderr, "ativa-meta-sim: config: cannot read %s: %s (line %d, column %d)\n", path,
                err.text, err.line, err.column);
        return -1;
    }
    if (!json_is_object(root)) {
        fprintf(stderr, "ativa-meta-sim: config: %s must hold a JSON object\n", path);
        goto fail;
    }
    const char *slash = strrchr(path, '/');
    cfg->config_dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    if (!cfg->config_dir)
        goto fail;
    if (slash == path) {
        free(cfg->config_dir);
        cfg->config_dir = strdup("/");
    }

    if (get_str(root, "listen_address", "listen_address", 0, &cfg->listen_address))
        goto fail;
    if (!cfg->listen_address && !(cfg->listen_address = strdup("127.0.0.1")))
        goto fail;
    if (get_int(root, "port", "port", 0, 65535, -1, &v))
        goto fail;
    cfg->port = (int)v;
    if (get_str(root, "cert_file", "cert_file", 1, &cfg->cert_file) ||
        get_str(root, "key_file", "key_file", 1, &cfg->key_file) ||
        resolve_in_place(cfg, &cfg->cert_file) || resolve_in_place(cfg, &cfg->key_file))
        goto fail;
    if (get_str(root, "graph_version", "graph_version", 0, &cfg->graph_version))
        goto fail;
    if (!cfg->graph_version && !(cfg->graph_version = strdup("v21.0")))
        goto fail;
    if (cfg->graph_version[0] != 'v') {
        bad("graph_version", "must look like v21.0");
        goto fail;
    }
    if (get_str(root, "access_token", "access_token", 1, &cfg->access_token) ||
        get_str(root, "control_token", "control_token", 1, &cfg->control_token) ||
        get_str(root, "app_secret", "app_secret", 1, &cfg->app_secret) ||
        get_str(root, "webhook_url", "webhook_url", 0, &cfg->webhook_url) ||
        get_str(root, "webhook_ca_file", "webhook_ca_file", 0, &cfg->webhook_ca_file) ||
        resolve_in_place(cfg, &cfg->webhook_ca_file) ||
        get_str(root, "public_url", "public_url", 0, &cfg->public_url))
        goto fail;
    if (get_int(root, "webhook_max_attempts", "webhook_max_attempts", 1, 20, 5, &v))
        goto fail;
    cfg->webhook_max_attempts = (int)v;
    if (get_int(root, "webhook_retry_ms", "webhook_retry_ms", 10, 600000, 250, &v))
        goto fail;
    cfg->webhook_retry_ms = (int)v;

    cfg->delay_sent_ms = 150;
    cfg->delay_delivered_ms = 400;
    cfg->delay_read_ms = 1500;
    json_t *d = json_object_get(root, "status_delays_ms");
    if (d) {
        if (!json_is_object(d)) {
            bad("status_delays_ms", "must be an object {sent, delivered, read}");
            goto fail;
        }
        if (get_int(d, "sent", "status_delays_ms.sent", 0, 3600000, 150, &v))
            goto fail;
        cfg->delay_sent_ms = (int)v;
        if (get_int(d, "delivered", "status_delays_ms.delivered", 0, 3600000, 400, &v))
            goto fail;
        cfg->delay_delivered_ms = (int)v;
        if (get_int(d, "read", "status_delays_ms.read", 0, 3600000, 1500, &v))
            goto fail;
        cfg->delay_read_ms = (int)v;
    }
    if (load_lines(cfg, root) || load_wabas(cfg, root) || load_customers(cfg, root))
        goto fail;
    json_decref(root);
    return 0;
fail:
    json_decref(root);
    return -1;
}

void sim_config_free(struct sim_config *cfg)
{
    free(cfg->config_dir);
    free(cfg->listen_address);
    free(cfg->cert_file);
    free(cfg->key_file);
    free(cfg->graph_version);
    free(cfg->access_token);
    free(cfg->control_token);
    free(cfg->app_secret);
    free(cfg->webhook_url);
    free(cfg->webhook_ca_file);
    free(cfg->public_url);
    for (size_t i = 0; i < cfg->nlines; i++) {
        free(cfg->lines[i].phone_number_id);
        free(cfg->lines[i].display_phone_number);
        free(cfg->lines[i].waba_id);
    }
    free(cfg->lines);
    for (size_t i = 0; i < cfg->nwabas; i++) {
        free(cfg->wabas[i].waba_id);
        free(cfg->wabas[i].templates_file);
        json_decref(cfg->wabas[i].initial);
        json_decref(cfg->wabas[i].catalog);
    }
    free(cfg->wabas);
    for (size_t i = 0; i < cfg->ncustomers; i++) {
        free(cfg->customers[i].number);
        free(cfg->customers[i].wa_id);
        free(cfg->customers[i].name);
        free(cfg->customers[i].line);
    }
    free(cfg->customers);
    memset(cfg, 0, sizeof(*cfg));
}
