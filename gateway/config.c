/* Configuration loader; see config.h and docs/configuration.md. */
#include "config.h"

#include <jansson.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef ATIVA_DEFAULT_STATIC_DIR
#define ATIVA_DEFAULT_STATIC_DIR "web"
#endif

#define CONFIG_MAX_BYTES (1024 * 1024)
#define MAX_PROBLEMS     100
#define MAX_LINES        100
#define MAX_REASONS      100
#define MAX_ORIGINS      32
#define MAX_PATH_LEN     1024
#define MAX_URL_LEN      512
#define MAX_SECRET_LEN   1024
#define MAX_LABEL_LEN    64
#define MAX_REASON_LEN   100

/* Problems collected so far; allocation failure is remembered and reported once at the end. */
struct problems {
    char *buf;
    size_t len, cap;
    unsigned count;
    bool oom;
};

struct ctx {
    struct problems p;
    const char *base_dir;
    ativa_config_getenv_fn env;
    json_t *empty; /* stands in for a missing object so each member reports itself */
};

static void problem(struct problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct problems *p, const char *fmt, ...)
{
    p->count++;
    if (p->oom || p->count > MAX_PROBLEMS + 1)
        return;
    char line[1024];
    int n;
    if (p->count == MAX_PROBLEMS + 1) {
        n = snprintf(line, sizeof line, "config: too many problems; fix the ones above first\n");
    } else {
        va_list ap;
        va_start(ap, fmt);
        int head = snprintf(line, sizeof line, "config: ");
        n = head + vsnprintf(line + head, sizeof line - (size_t)head - 1, fmt, ap);
        va_end(ap);
        if (n > (int)sizeof line - 2)
            n = (int)sizeof line - 2;
        line[n++] = '\n';
        line[n] = '\0';
    }
    if (p->len + (size_t)n + 1 > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        while (cap < p->len + (size_t)n + 1)
            cap *= 2;
        char *b = realloc(p->buf, cap);
        if (!b) {
            p->oom = true;
            return;
        }
        p->buf = b;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, line, (size_t)n + 1);
    p->len += (size_t)n;
}

static const char *env_get(struct ctx *c, const char *name)
{
    const char *v = c->env ? c->env(name) : getenv(name);
    return v && *v ? v : NULL;
}

/* ---- value checks ---- */

static bool all_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool printable_no_space(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

static bool no_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < ' ' || (unsigned char)*s == 0x7f)
            return false;
    return true;
}

/* host[:port] as found in an https URL or origin; returns the length consumed, 0 if invalid. */
static size_t parse_authority(const char *s)
{
    size_t i = 0;
    if (s[0] == '[') {
        char addr[64];
        const char *close = strchr(s, ']');
        if (!close || (size_t)(close - s - 1) >= sizeof addr)
            return 0;
        memcpy(addr, s + 1, (size_t)(close - s - 1));
        addr[close - s - 1] = '\0';
        struct in6_addr a6;
        if (inet_pton(AF_INET6, addr, &a6) != 1)
            return 0;
        i = (size_t)(close - s + 1);
    } else {
        while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
               (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-')
            i++;
        if (i == 0 || i > 253)
            return 0;
    }
    if (s[i] == ':') {
        size_t start = ++i;
        unsigned long port = 0;
        while (s[i] >= '0' && s[i] <= '9' && i - start < 6)
            port = port * 10 + (unsigned long)(s[i++] - '0');
        if (i == start || port == 0 || port > 65535)
            return 0;
    }
    return i;
}

static bool valid_https_url(const char *s)
{
    if (strlen(s) > MAX_URL_LEN || strncmp(s, "https://", 8) != 0)
        return false;
    size_t n = parse_authority(s + 8);
    if (!n)
        return false;
    const char *rest = s + 8 + n;
    if (*rest && *rest != '/')
        return false;
    return printable_no_space(rest) && !strpbrk(rest, "?#");
}

static bool valid_origin(const char *s)
{
    if (strlen(s) > MAX_URL_LEN || strncmp(s, "https://", 8) != 0)
        return false;
    size_t n = parse_authority(s + 8);
    return n && s[8 + n] == '\0';
}

static bool valid_version(const char *s)
{
    if (*s++ != 'v')
        return false;
    size_t d = 0;
    while (*s >= '0' && *s <= '9' && d < 4)
        s++, d++;
    if (!d || *s++ != '.')
        return false;
    d = 0;
    while (*s >= '0' && *s <= '9' && d < 4)
        s++, d++;
    return d && !*s;
}

static bool valid_ip(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* ---- typed getters: each reports its own problem and leaves *out untouched on failure ---- */

static void key_path(char *buf, size_t size, const char *prefix, const char *key)
{
    snprintf(buf, size, "%s%s%s", prefix ? prefix : "", prefix && *prefix ? "." : "", key);
}

static json_t *get_object(struct ctx *c, json_t *parent, const char *key)
{
    json_t *v = json_object_get(parent, key);
    if (!v)
        return c->empty;
    if (!json_is_object(v)) {
        problem(&c->p, "%s must be an object ({...}): see docs/configuration.md", key);
        return c->empty;
    }
    return v;
}

static void check_known(struct ctx *c, json_t *obj, const char *prefix, const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool found = false;
        for (const char *const *k = known; *k && !found; k++)
            found = strcmp(*k, key) == 0;
        if (found)
            continue;
        char list[512] = "";
        size_t used = 0;
        for (const char *const *k = known; *k; k++) {
            int n = snprintf(list + used, sizeof list - used, "%s%s", k == known ? "" : ", ", *k);
            if (n < 0 || (size_t)n >= sizeof list - used)
                break;
            used += (size_t)n;
        }
        char path[256];
        key_path(path, sizeof path, prefix, key);
        problem(&c->p, "unknown key %s: remove it or correct its spelling (keys allowed %s%s: %s)",
                path, prefix && *prefix ? "in " : "at the top level", prefix ? prefix : "", list);
    }
}

/*
 * A string member. Missing: a problem only when required (with the hint). Returns true when
 * *out was set (to a heap copy).
 */
static bool get_string(struct ctx *c, json_t *obj, const char *prefix, const char *key,
                       bool required, size_t max_len, const char *hint, char **out)
{
    char path[256];
    key_path(path, sizeof path, prefix, key);
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            problem(&c->p, "%s is missing: %s", path, hint);
        return false;
    }
    if (!json_is_string(v)) {
        problem(&c->p, "%s must be a string: %s", path, hint);
        return false;
    }
    const char *s = json_string_value(v);
    if (!*s) {
        problem(&c->p, "%s is empty: %s", path, hint);
        return false;
    }
    if (strlen(s) != json_string_length(v)) {
        problem(&c->p, "%s holds a NUL character: %s", path, hint);
        return false;
    }
    if (strlen(s) > max_len) {
        problem(&c->p, "%s is longer than %zu bytes: %s", path, max_len, hint);
        return false;
    }
    char *copy = strdup(s);
    if (!copy) {
        c->p.oom = true;
        return false;
    }
    free(*out);
    *out = copy;
    return true;
}

static void get_uint(struct ctx *c, json_t *obj, const char *prefix, const char *key, bool required,
                     long long min, long long max, const char *hint, long long *out);

/* get_uint for an unsigned field: it keeps its default when the key is absent. */
static void get_unsigned(struct ctx *c, json_t *obj, const char *prefix, const char *key,
                         bool required, long long min, long long max, const char *hint,
                         unsigned *out)
{
    long long v = *out;
    get_uint(c, obj, prefix, key, required, min, max, hint, &v);
    *out = (unsigned)v;
}

static void get_uint(struct ctx *c, json_t *obj, const char *prefix, const char *key, bool required,
                     long long min, long long max, const char *hint, long long *out)
{
    char path[256];
    key_path(path, sizeof path, prefix, key);
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            problem(&c->p, "%s is missing: %s", path, hint);
        return;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        problem(&c->p, "%s must be an integer from %lld to %lld: %s", path, min, max, hint);
        return;
    }
    *out = json_integer_value(v);
}

/* A path member resolved against the configuration's directory. */
static bool get_path(struct ctx *c, json_t *obj, const char *prefix, const char *key, bool required,
                     const char *hint, char **out)
{
    char *raw = NULL;
    if (!get_string(c, obj, prefix, key, required, MAX_PATH_LEN, hint, &raw))
        return false;
    if (!no_control(raw)) {
        char path[256];
        key_path(path, sizeof path, prefix, key);
        problem(&c->p, "%s holds control characters: %s", path, hint);
        free(raw);
        return false;
    }
    if (raw[0] == '/' || !c->base_dir) {
        free(*out);
        *out = raw;
        return true;
    }
    size_t n = strlen(c->base_dir) + 1 + strlen(raw) + 1;
    char *full = malloc(n);
    if (!full) {
        c->p.oom = true;
        free(raw);
        return false;
    }
    snprintf(full, n, "%s/%s", c->base_dir, raw);
    free(raw);
    free(*out);
    *out = full;
    return true;
}

/* A secret: from the file, replaced by the environment variable when that is set. */
static void get_secret(struct ctx *c, json_t *obj, const char *prefix, const char *key,
                       const char *env_name, const char *what, char **out)
{
    char path[128], hint[512];
    key_path(path, sizeof path, prefix, key);
    snprintf(hint, sizeof hint, "give %s in %s or in the environment variable %s", what, path,
             env_name);
    const char *env = env_get(c, env_name);
    if (env) {
        if (strlen(env) > MAX_SECRET_LEN || !printable_no_space(env)) {
            problem(&c->p,
                    "the environment variable %s must be at most %d printable characters "
                    "without spaces: %s",
                    env_name, MAX_SECRET_LEN, hint);
            return;
        }
        char *copy = strdup(env);
        if (!copy) {
            c->p.oom = true;
            return;
        }
        free(*out);
        *out = copy;
        /* The file's value is overridden, but a malformed one is still a mistake worth naming. */
        json_t *v = json_object_get(obj, key);
        if (v && !json_is_string(v))
            problem(&c->p, "%s must be a string: %s", path, hint);
        return;
    }
    if (!get_string(c, obj, prefix, key, true, MAX_SECRET_LEN, hint, out))
        return;
    if (!printable_no_space(*out)) {
        problem(&c->p, "%s must hold printable characters without spaces: %s", path, hint);
        free(*out);
        *out = NULL;
    }
}

/* ---- sections ---- */

static void parse_listen(struct ctx *c, json_t *root, struct ativa_config *cfg)
{
    static const char *const known[] = {"address", "port", NULL};
    json_t *o = get_object(c, root, "listen");
    check_known(c, o, "listen", known);
    if (get_string(c, o, "listen", "address", false, 64,
                   "give the IP address to listen on, e.g. \"127.0.0.1\" or \"0.0.0.0\"",
                   &cfg->listen_address) &&
        !valid_ip(cfg->listen_address))
        problem(&c->p,
                "listen.address \"%s\" is not an IP address: give an IPv4 or IPv6 address, e.g. "
                "\"0.0.0.0\" for every interface",
                cfg->listen_address);
    long long port = 0;
    get_uint(c, o, "listen", "port", true, 1, 65535, "give the TCP port for HTTPS, e.g. 8443",
             &port);
    cfg->listen_port = (unsigned)port;
}

static void parse_tls(struct ctx *c, json_t *root, struct ativa_config *cfg)
{
    static const char *const known[] = {"cert_file", "key_file", NULL};
    json_t *o = get_object(c, root, "tls");
    check_known(c, o, "tls", known);
    get_path(c, o, "tls", "cert_file", true,
             "give the PEM certificate (chain) file, e.g. certs/out/localhost.pem",
             &cfg->tls_cert_file);
    get_path(c, o, "tls", "key_file", true,
             "give the PEM private key file of the certificate, e.g. certs/out/localhost.key",
             &cfg->tls_key_file);
}

static void parse_graph(struct ctx *c, json_t *root, struct ativa_config *cfg)
{
    static const char *const known[] = {"base_url",   "version",        "token", "ca_file",
                                        "timeout_ms", "max_per_second", NULL};
    json_t *o = get_object(c, root, "graph");
    check_known(c, o, "graph", known);
    if (get_string(c, o, "graph", "base_url", true, MAX_URL_LEN,
                   "give the Graph API address, e.g. \"https://graph.facebook.com\"",
                   &cfg->graph_base_url)) {
        if (!valid_https_url(cfg->graph_base_url)) {
            problem(&c->p,
                    "graph.base_url \"%s\" is not an https URL: give e.g. "
                    "\"https://graph.facebook.com\" (no query, no spaces)",
                    cfg->graph_base_url);
        } else {
            size_t n = strlen(cfg->graph_base_url);
            while (n > 8 && cfg->graph_base_url[n - 1] == '/')
                cfg->graph_base_url[--n] = '\0';
        }
    }
    if (get_string(c, o, "graph", "version", false, 16, "give the API version, e.g. \"v23.0\"",
                   &cfg->graph_version) &&
        !valid_version(cfg->graph_version))
        problem(&c->p, "graph.version \"%s\" is not a Graph API version: give e.g. \"v23.0\"",
                cfg->graph_version);
    get_secret(c, o, "graph", "token", "ATIVA_GRAPH_TOKEN",
               "the Graph API access token (a system user token)", &cfg->graph_token);
    get_path(c, o, "graph", "ca_file", false,
             "give a PEM file of extra certificate authorities, or leave the key out",
             &cfg->graph_ca_file);
    get_unsigned(c, o, "graph", "timeout_ms", false, 100, 120000,
                 "give how long a Graph API request may take, in milliseconds",
                 &cfg->graph_timeout_ms);
    get_unsigned(c, o, "graph", "max_per_second", false, 1, 1000,
                 "give the most messages sent per second (Meta allows 80 by default)",
                 &cfg->graph_max_per_second);
}

static void parse_webhook(struct ctx *c, json_t *root, struct ativa_config *cfg)
{
    static const char *const known[] = {"verify_token", "app_secret", "max_body_bytes", NULL};
    json_t *o = get_object(c, root, "webhook");
    check_known(c, o, "webhook", known);
    get_secret(c, o, "webhook", "verify_token", "ATIVA_WEBHOOK_VERIFY_TOKEN",
               "the verify token typed in Meta's webhook settings", &cfg->webhook_verify_token);
    get_secret(c, o, "webhook", "app_secret", "ATIVA_APP_SECRET",
               "the Meta app secret (it signs webhook bodies)", &cfg->webhook_app_secret);
    long long v = (long long)cfg->webhook_max_body_bytes;
    get_uint(c, o, "webhook", "max_body_bytes", false, ATIVA_CONFIG_MIN_MAX_BODY,
             ATIVA_CONFIG_MAX_MAX_BODY, "give the largest webhook body accepted, in bytes", &v);
    cfg->webhook_max_body_bytes = (size_t)v;
}

static void parse_lines(struct ctx *c, json_t *root, struct ativa_config *cfg)
{
    static const char *const known[] = {"phone_number_id", "display_number", "waba_id", "label",
                                        NULL};
    json_t *arr = json_object_get(root, "lines");
    if (!arr) {
        problem(&c->p, "lines is missing: list the WhatsApp numbers served, e.g. "
                       "[{\"phone_number_id\": \"...\", \"display_number\": \"5511...\", "
                       "\"waba_id\": \"...\", \"label\": \"...\"}]");
        return;
    }
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > MAX_LINES) {
        problem(&c->p, "lines must be an array of 1 to %d lines: list the WhatsApp numbers served",
                MAX_LINES);
        return;
    }
    size_t n = json_array_size(arr);
    cfg->lines = calloc(n, sizeof *cfg->lines);
    if (!cfg->lines) {
        c->p.oom = true;
        return;
    }
    cfg->n_lines = n;
    for (size_t i = 0; i < n; i++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "lines[%zu]", i);
        json_t *o = json_array_get(arr, i);
        struct ativa_config_line *l = &cfg->lines[i];
        if (!json_is_object(o)) {
            problem(&c->p,
                    "%s must be an object with phone_number_id, display_number, waba_id "
                    "and label",
                    prefix);
            continue;
        }
        check_known(c, o, prefix, known);
        if (get_string(c, o, prefix, "phone_number_id", true, 64,
                       "give the line's Meta phone_number_id (digits)", &l->phone_number_id) &&
            !all_digits(l->phone_number_id, 1, 32))
            problem(&c->p,
                    "%s.phone_number_id must be digits only: give the line's Meta "
                    "phone_number_id (digits)",
                    prefix);
        if (get_string(c, o, prefix, "display_number", true, 64,
                       "give the line's number with country code, digits only, e.g. "
                       "\"5511999990000\"",
                       &l->display_number) &&
            !all_digits(l->display_number, 8, 15))
            problem(&c->p,
                    "%s.display_number must be 8 to 15 digits: give the number with "
                    "country code, digits only, e.g. \"5511999990000\"",
                    prefix);
        if (get_string(c, o, prefix, "waba_id", true, 64,
                       "give the WhatsApp Business Account id that owns the line (digits)",
                       &l->waba_id) &&
            !all_digits(l->waba_id, 1, 32))
            problem(&c->p,
                    "%s.waba_id must be digits only: give the WhatsApp Business Account "
                    "id (digits)",
                    prefix);
        if (get_string(c, o, prefix, "label", true, MAX_LABEL_LEN,
                       "give the name agents see for the line, e.g. \"Vendas SP\"", &l->label) &&
            !no_control(l->label))
            problem(&c->p, "%s.label holds control characters: give a plain name", prefix);
        for (size_t j = 0; j < i && l->phone_number_id; j++) {
            if (cfg->lines[j].phone_number_id &&
                strcmp(cfg->lines[j].phone_number_id, l->phone_number_id) == 0) {
                problem(&c->p,
                        "%s.phone_number_id repeats lines[%zu]: each line needs its own "
                        "phone_number_id",
                        prefix, j);
                break;
            }
        }
    }
}

/* A non-empty array of unique strings. */
static void parse_string_list(struct ctx *c, json_t *arr, const char *key, size_t max_items,
                              size_t max_len, bool (*valid)(const char *), const char *hint,
                              char ***out, size_t *n_out)
{
    if (!arr) {
        problem(&c->p, "%s is missing: %s", key, hint);
        return;
    }
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > max_items) {
        problem(&c->p, "%s must be an array of 1 to %zu strings: %s", key, max_items, hint);
        return;
    }
    size_t n = json_array_size(arr);
    char **items = calloc(n, sizeof *items);
    if (!items) {
        c->p.oom = true;
        return;
    }
    *out = items;
    *n_out = n;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        const char *s = json_string_value(v);
        if (!s) {
            problem(&c->p, "%s[%zu] must be a string: %s", key, i, hint);
            continue;
        }
        if (!*s || strlen(s) != json_string_length(v) || strlen(s) > max_len) {
            problem(&c->p, "%s[%zu] must hold 1 to %zu bytes and no NUL: %s", key, i, max_len,
                    hint);
            continue;
        }
        if (!valid(s)) {
            problem(&c->p, "%s[%zu] \"%s\" is not valid: %s", key, i, s, hint);
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            if (items[j] && strcmp(items[j], s) == 0) {
                problem(&c->p, "%s[%zu] repeats %s[%zu] (\"%s\"): remove the duplicate", key, i,
                        key, j, s);
                break;
            }
        }
        items[i] = strdup(s);
        if (!items[i])
            c->p.oom = true;
    }
}

static void parse_templates(struct ctx *c, json_t *root, struct ativa_config *cfg)
{
    static const char *const known[] = {"source", "file", "sync_interval_s", "page_size", NULL};
    json_t *o = get_object(c, root, "templates");
    check_known(c, o, "templates", known);
    char *source = NULL;
    if (get_string(c, o, "templates", "source", false, 16,
                   "give \"graph\" (fetch from Meta) or \"file\" (read templates.file)", &source)) {
        if (strcmp(source, "graph") == 0)
            cfg->templates_source = ATIVA_TEMPLATES_GRAPH;
        else if (strcmp(source, "file") == 0)
            cfg->templates_source = ATIVA_TEMPLATES_FILE;
        else
            problem(&c->p,
                    "templates.source \"%s\" is unknown: give \"graph\" (fetch from Meta) "
                    "or \"file\" (read templates.file)",
                    source);
        free(source);
    }
    if (cfg->templates_source == ATIVA_TEMPLATES_FILE) {
        get_path(c, o, "templates", "file", true,
                 "give the JSON file of templates read when templates.source is \"file\"",
                 &cfg->templates_file);
    } else if (json_object_get(o, "file")) {
        problem(&c->p, "templates.file is only read when templates.source is \"file\": remove it "
                       "or set templates.source to \"file\"");
    }
    get_unsigned(c, o, "templates", "sync_interval_s", false, 60, 86400,
                 "give how often templates are fetched from Meta, in seconds",
                 &cfg->templates_sync_interval_s);
    get_unsigned(c, o, "templates", "page_size", false, 1, 1000,
                 "give how many templates to ask Meta for per page", &cfg->templates_page_size);
}

static void parse_console(struct ctx *c, json_t *root, struct ativa_config *cfg)
{
    static const char *const known[] = {"allowed_origins",   "static_dir",
                                        "session_ttl_s",     "max_queued_frames",
                                        "max_queued_bytes",  "max_frame_bytes",
                                        "ping_interval_s",   "ping_timeout_s",
                                        "replay_max_events", NULL};
    json_t *o = get_object(c, root, "console");
    check_known(c, o, "console", known);
    parse_string_list(c, json_object_get(o, "allowed_origins"), "console.allowed_origins",
                      MAX_ORIGINS, MAX_URL_LEN, valid_origin,
                      "list the https origins agents open the console from, e.g. "
                      "[\"https://atendimento.example.com\"] (no path, no trailing slash)",
                      &cfg->allowed_origins, &cfg->n_allowed_origins);
    get_path(c, o, "console", "static_dir", false,
             "give the directory of the console's files, or leave the key out for web/",
             &cfg->static_dir);
    get_unsigned(c, o, "console", "session_ttl_s", false, 2, 604800,
                 "give how long an agent's login lasts, in seconds", &cfg->session_ttl_s);
    get_unsigned(c, o, "console", "max_queued_frames", false, 8, 65536,
                 "give how many frames may wait for a slow console before it is disconnected",
                 &cfg->max_queued_frames);
    long long v = (long long)cfg->max_queued_bytes;
    get_uint(c, o, "console", "max_queued_bytes", false, 65536, 268435456,
             "give how many bytes may wait for a slow console before it is disconnected", &v);
    cfg->max_queued_bytes = (size_t)v;
    get_unsigned(c, o, "console", "max_frame_bytes", false, 1024, 65536,
                 "give the largest frame accepted from a console, in bytes (at most 65536)",
                 &cfg->max_frame_bytes);
    get_unsigned(c, o, "console", "ping_interval_s", false, 1, 3600,
                 "give how long a console may stay silent before it is pinged, in seconds",
                 &cfg->ping_interval_s);
    get_unsigned(c, o, "console", "ping_timeout_s", false, 2, 7200,
                 "give how long a silent console is kept before it is dropped, in seconds",
                 &cfg->ping_timeout_s);
    if (cfg->ping_timeout_s <= cfg->ping_interval_s)
        problem(&c->p,
                "console.ping_timeout_s (%u) must be longer than console.ping_interval_s "
                "(%u): a console needs time to answer the ping",
                cfg->ping_timeout_s, cfg->ping_interval_s);
    get_unsigned(c, o, "console", "replay_max_events", false, 1, 100000,
                 "give how many missed events a reconnecting console may be sent before it is "
                 "told to reload",
                 &cfg->replay_max_events);
}

static void parse_log(struct ctx *c, json_t *root, struct ativa_config *cfg)
{
    static const char *const known[] = {"level", NULL};
    json_t *o = get_object(c, root, "log");
    check_known(c, o, "log", known);
    char *level = NULL;
    if (get_string(c, o, "log", "level", false, 16, "give error, warn, info or debug", &level)) {
        if (!ativa_log_level_parse(level, &cfg->log_level))
            problem(&c->p, "log.level \"%s\" is unknown: give error, warn, info or debug", level);
        free(level);
    }
    const char *env = env_get(c, "ATIVA_LOG_LEVEL");
    if (env && !ativa_log_level_parse(env, &cfg->log_level))
        problem(&c->p, "the environment variable ATIVA_LOG_LEVEL must be error, warn, info or "
                       "debug");
}

static bool set_default(char **field, const char *value, struct ctx *c)
{
    if (*field)
        return true;
    *field = strdup(value);
    if (!*field)
        c->p.oom = true;
    return *field != NULL;
}

static char *take_problems(struct ctx *c)
{
    if (c->p.oom) {
        free(c->p.buf);
        return NULL;
    }
    return c->p.buf;
}

ativa_err ativa_config_parse_new(const char *text, size_t len, const char *base_dir,
                                 ativa_config_getenv_fn getenv_fn, struct ativa_config **out,
                                 char **errors_new)
{
    struct ctx c = {.base_dir = base_dir, .env = getenv_fn};
    struct ativa_config *cfg = NULL;
    json_t *root = NULL;
    ativa_err err = ATIVA_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (errors_new)
        *errors_new = NULL;

    if (len > CONFIG_MAX_BYTES) {
        problem(&c.p, "the configuration is larger than 1 MiB: it holds settings only");
        err = ATIVA_ERR_TOO_LARGE;
        goto fail;
    }
    json_error_t jerr;
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        problem(&c.p, "line %d, column %d: %s: fix the JSON syntax", jerr.line, jerr.column,
                jerr.text);
        err = ATIVA_ERR_BAD_JSON;
        goto fail;
    }
    if (!json_is_object(root)) {
        problem(&c.p, "the configuration must be a JSON object ({...})");
        err = ATIVA_ERR_BAD_JSON;
        goto fail;
    }
    c.empty = json_object();
    cfg = calloc(1, sizeof *cfg);
    if (!c.empty || !cfg) {
        err = ATIVA_ERR_NO_MEMORY;
        goto fail;
    }
    cfg->graph_timeout_ms = ATIVA_CONFIG_DEFAULT_TIMEOUT_MS;
    cfg->graph_max_per_second = ATIVA_CONFIG_DEFAULT_PER_SECOND;
    cfg->webhook_max_body_bytes = ATIVA_CONFIG_DEFAULT_MAX_BODY;
    cfg->templates_source = ATIVA_TEMPLATES_GRAPH;
    cfg->templates_sync_interval_s = ATIVA_CONFIG_DEFAULT_SYNC_S;
    cfg->templates_page_size = ATIVA_CONFIG_DEFAULT_PAGE_SIZE;
    cfg->window_ms = ATIVA_CONFIG_WINDOW_MS;
    cfg->session_ttl_s = ATIVA_CONFIG_DEFAULT_SESSION_TTL_S;
    cfg->max_queued_frames = ATIVA_CONFIG_DEFAULT_MAX_QUEUED_FRAMES;
    cfg->max_queued_bytes = ATIVA_CONFIG_DEFAULT_MAX_QUEUED_BYTES;
    cfg->max_frame_bytes = ATIVA_CONFIG_DEFAULT_MAX_FRAME_BYTES;
    cfg->ping_interval_s = ATIVA_CONFIG_DEFAULT_PING_INTERVAL_S;
    cfg->ping_timeout_s = ATIVA_CONFIG_DEFAULT_PING_TIMEOUT_S;
    cfg->replay_max_events = ATIVA_CONFIG_DEFAULT_REPLAY_MAX;
    cfg->log_level = ATIVA_LOG_INFO;

    static const char *const known[] = {
        "listen",          "tls",       "data_dir",  "graph",   "webhook", "lines",
        "contact_reasons", "templates", "window_ms", "console", "log",     NULL};
    check_known(&c, root, NULL, known);
    parse_listen(&c, root, cfg);
    parse_tls(&c, root, cfg);
    get_path(&c, root, NULL, "data_dir", true,
             "give the directory where conversations are stored, e.g. \"/var/lib/ativa\"",
             &cfg->data_dir);
    parse_graph(&c, root, cfg);
    parse_webhook(&c, root, cfg);
    parse_lines(&c, root, cfg);
    parse_string_list(&c, json_object_get(root, "contact_reasons"), "contact_reasons", MAX_REASONS,
                      MAX_REASON_LEN, no_control,
                      "list the reasons agents pick when they start a conversation, e.g. "
                      "[\"Cobrança\", \"Suporte\"]",
                      &cfg->contact_reasons, &cfg->n_contact_reasons);
    parse_templates(&c, root, cfg);
    long long w = cfg->window_ms;
    get_uint(&c, root, NULL, "window_ms", false, 1000, ATIVA_CONFIG_WINDOW_MS,
             "leave it out for WhatsApp's 24 hours (86400000); shorter only for tests", &w);
    cfg->window_ms = w;
    parse_console(&c, root, cfg);
    parse_log(&c, root, cfg);

    if (c.p.count == 0) {
        set_default(&cfg->listen_address, ATIVA_CONFIG_DEFAULT_ADDRESS, &c);
        set_default(&cfg->graph_version, ATIVA_CONFIG_DEFAULT_GRAPH_VERSION, &c);
        set_default(&cfg->static_dir, ATIVA_DEFAULT_STATIC_DIR, &c);
    }
    if (c.p.oom) {
        err = ATIVA_ERR_NO_MEMORY;
        goto fail;
    }
    if (c.p.count)
        goto fail;

    json_decref(root);
    json_decref(c.empty);
    free(c.p.buf);
    *out = cfg;
    return ATIVA_OK;

fail:
    json_decref(root);
    json_decref(c.empty);
    ativa_config_free(cfg);
    if (errors_new)
        *errors_new = take_problems(&c);
    else
        free(c.p.buf);
    return err;
}

ativa_err ativa_config_load_new(const char *path, ativa_config_getenv_fn getenv_fn,
                                struct ativa_config **out, char **errors_new)
{
    struct ctx c = {0};
    char *text = NULL, *dir = NULL;
    *out = NULL;
    if (errors_new)
        *errors_new = NULL;

    FILE *f = fopen(path, "rb");
    if (!f) {
        problem(&c.p, "cannot read %s: %s: give the path of the configuration file with --config",
                path, strerror(errno));
        goto fail;
    }
    text = malloc(CONFIG_MAX_BYTES + 1);
    if (!text) {
        fclose(f);
        goto oom;
    }
    size_t len = fread(text, 1, CONFIG_MAX_BYTES + 1, f);
    bool read_error = ferror(f);
    fclose(f);
    if (read_error) {
        problem(&c.p, "cannot read %s: give a readable configuration file", path);
        goto fail;
    }
    dir = strdup(path);
    if (!dir)
        goto oom;
    char *slash = strrchr(dir, '/');
    const char *base = ".";
    if (slash == dir)
        base = "/";
    else if (slash) {
        *slash = '\0';
        base = dir;
    }
    ativa_err err = ativa_config_parse_new(text, len, base, getenv_fn, out, errors_new);
    free(text);
    free(dir);
    return err;

oom:
    free(text);
    free(dir);
    free(c.p.buf);
    return ATIVA_ERR_NO_MEMORY;
fail:
    free(text);
    free(dir);
    if (errors_new)
        *errors_new = take_problems(&c);
    else
        free(c.p.buf);
    return ATIVA_ERR_NOT_FOUND;
}

static void check_readable(struct ctx *c, const char *key, const char *path, bool want_dir)
{
    struct stat st;
    if (!path)
        return;
    if (stat(path, &st) != 0) {
        problem(&c->p, "%s: cannot open %s: %s: give an existing %s", key, path, strerror(errno),
                want_dir ? "directory" : "file");
        return;
    }
    if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
        problem(&c->p, "%s: %s is not a %s", key, path, want_dir ? "directory" : "regular file");
        return;
    }
    if (access(path, want_dir ? R_OK | X_OK : R_OK) != 0)
        problem(&c->p, "%s: %s is not readable by this user: fix its permissions", key, path);
}

ativa_err ativa_config_check_files(const struct ativa_config *cfg, char **errors_new)
{
    struct ctx c = {0};
    if (errors_new)
        *errors_new = NULL;
    check_readable(&c, "tls.cert_file", cfg->tls_cert_file, false);
    check_readable(&c, "tls.key_file", cfg->tls_key_file, false);
    check_readable(&c, "graph.ca_file", cfg->graph_ca_file, false);
    check_readable(&c, "templates.file", cfg->templates_file, false);
    check_readable(&c, "console.static_dir", cfg->static_dir, true);

    struct stat st;
    if (stat(cfg->data_dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            problem(&c.p, "data_dir: %s is not a directory: give a directory for the store",
                    cfg->data_dir);
        else if (access(cfg->data_dir, R_OK | W_OK | X_OK) != 0)
            problem(&c.p, "data_dir: %s is not writable by this user: fix its permissions",
                    cfg->data_dir);
    } else {
        char *parent = strdup(cfg->data_dir);
        if (!parent)
            return ATIVA_ERR_NO_MEMORY;
        char *slash = strrchr(parent, '/');
        const char *p = ".";
        if (slash == parent)
            p = "/";
        else if (slash) {
            *slash = '\0';
            p = parent;
        }
        if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode) || access(p, W_OK | X_OK) != 0)
            problem(&c.p, "data_dir: %s does not exist and cannot be created in %s: create it",
                    cfg->data_dir, p);
        free(parent);
    }
    if (c.p.oom) {
        free(c.p.buf);
        return ATIVA_ERR_NO_MEMORY;
    }
    if (!c.p.count)
        return ATIVA_OK;
    if (errors_new)
        *errors_new = c.p.buf;
    else
        free(c.p.buf);
    return ATIVA_ERR_INVALID_ARGUMENT;
}

/* ---- describe ---- */

struct sbuf {
    char *buf;
    size_t len, cap;
    bool oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            b->oom = true;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static const char *secret(const char *s)
{
    return s ? "(set)" : "(unset)";
}

char *ativa_config_describe_new(const struct ativa_config *cfg)
{
    struct sbuf b = {0};
    sb_printf(&b, "listen.address=%s\n", cfg->listen_address);
    sb_printf(&b, "listen.port=%u\n", cfg->listen_port);
    sb_printf(&b, "tls.cert_file=%s\n", cfg->tls_cert_file);
    sb_printf(&b, "tls.key_file=%s\n", cfg->tls_key_file);
    sb_printf(&b, "data_dir=%s\n", cfg->data_dir);
    sb_printf(&b, "graph.base_url=%s\n", cfg->graph_base_url);
    sb_printf(&b, "graph.version=%s\n", cfg->graph_version);
    sb_printf(&b, "graph.token=%s\n", secret(cfg->graph_token));
    sb_printf(&b, "graph.ca_file=%s\n", cfg->graph_ca_file ? cfg->graph_ca_file : "");
    sb_printf(&b, "graph.timeout_ms=%u\n", cfg->graph_timeout_ms);
    sb_printf(&b, "graph.max_per_second=%u\n", cfg->graph_max_per_second);
    sb_printf(&b, "webhook.verify_token=%s\n", secret(cfg->webhook_verify_token));
    sb_printf(&b, "webhook.app_secret=%s\n", secret(cfg->webhook_app_secret));
    sb_printf(&b, "webhook.max_body_bytes=%zu\n", cfg->webhook_max_body_bytes);
    for (size_t i = 0; i < cfg->n_lines; i++) {
        const struct ativa_config_line *l = &cfg->lines[i];
        sb_printf(&b, "lines[%zu]=%s %s %s %s\n", i, l->phone_number_id, l->display_number,
                  l->waba_id, l->label);
    }
    for (size_t i = 0; i < cfg->n_contact_reasons; i++)
        sb_printf(&b, "contact_reasons[%zu]=%s\n", i, cfg->contact_reasons[i]);
    sb_printf(&b, "templates.source=%s\n",
              cfg->templates_source == ATIVA_TEMPLATES_FILE ? "file" : "graph");
    sb_printf(&b, "templates.file=%s\n", cfg->templates_file ? cfg->templates_file : "");
    sb_printf(&b, "templates.sync_interval_s=%u\n", cfg->templates_sync_interval_s);
    sb_printf(&b, "templates.page_size=%u\n", cfg->templates_page_size);
    sb_printf(&b, "window_ms=%lld\n", (long long)cfg->window_ms);
    for (size_t i = 0; i < cfg->n_allowed_origins; i++)
        sb_printf(&b, "console.allowed_origins[%zu]=%s\n", i, cfg->allowed_origins[i]);
    sb_printf(&b, "console.static_dir=%s\n", cfg->static_dir);
    sb_printf(&b, "console.session_ttl_s=%u\n", cfg->session_ttl_s);
    sb_printf(&b, "console.max_queued_frames=%u\n", cfg->max_queued_frames);
    sb_printf(&b, "console.max_queued_bytes=%zu\n", cfg->max_queued_bytes);
    sb_printf(&b, "console.max_frame_bytes=%u\n", cfg->max_frame_bytes);
    sb_printf(&b, "console.ping_interval_s=%u\n", cfg->ping_interval_s);
    sb_printf(&b, "console.ping_timeout_s=%u\n", cfg->ping_timeout_s);
    sb_printf(&b, "console.replay_max_events=%u\n", cfg->replay_max_events);
    sb_printf(&b, "log.level=%s\n", ativa_log_level_name(cfg->log_level));
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}

static void free_list(char **items, size_t n)
{
    for (size_t i = 0; items && i < n; i++)
        free(items[i]);
    free(items);
}

void ativa_config_free(struct ativa_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->listen_address);
    free(cfg->tls_cert_file);
    free(cfg->tls_key_file);
    free(cfg->data_dir);
    free(cfg->graph_base_url);
    free(cfg->graph_version);
    free(cfg->graph_token);
    free(cfg->graph_ca_file);
    free(cfg->webhook_verify_token);
    free(cfg->webhook_app_secret);
    for (size_t i = 0; cfg->lines && i < cfg->n_lines; i++) {
        free(cfg->lines[i].phone_number_id);
        free(cfg->lines[i].display_number);
        free(cfg->lines[i].waba_id);
        free(cfg->lines[i].label);
    }
    free(cfg->lines);
    free_list(cfg->contact_reasons, cfg->n_contact_reasons);
    free(cfg->templates_file);
    free_list(cfg->allowed_origins, cfg->n_allowed_origins);
    free(cfg->static_dir);
    free(cfg->graph_token == NULL ? NULL : NULL);
    free(cfg);
}
