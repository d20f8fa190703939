/*
 * ativa-meta-sim: a local stand-in for Meta's WhatsApp Cloud API and for the customers behind it.
 *
 * It is deliberately independent of ativa's core library: it re-derives Meta's wire formats from
 * docs/simulator.md and Meta's documentation so that it checks the gateway instead of sharing its
 * assumptions. Everything runs on the single lws service thread; no locking is needed.
 */
#ifndef ATIVA_SIM_H
#define ATIVA_SIM_H

#include <libwebsockets.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds on everything that arrives from outside. */
#define SIM_MAX_BODY       (256 * 1024) /* request bodies (Graph and control API) */
#define SIM_MAX_LOG        1000         /* entries kept in the request and webhook logs */
#define SIM_MAX_PENDING    10000        /* webhooks scheduled or in flight */
#define SIM_MAX_TEXT_CHARS 4096         /* Meta's limit on text.body */

struct sim_line {
    char *phone_number_id;
    char *display_phone_number;
    char *waba_id;
};

struct sim_waba {
    char *waba_id;
    char *templates_file;
    json_t *initial; /* the file's "data" array as loaded; reset restores it */
    json_t *catalog; /* the live array, changed by template status commands */
};

struct sim_customer {
    char *number; /* digits only */
    char *wa_id;  /* digits only; may be the 12-digit Brazilian form */
    char *name;
    int has_last_inbound;
    long long last_inbound_ago_s;
    char *line; /* phone_number_id the last inbound applies to, NULL = every line */
};

struct sim_config {
    char *config_dir;
    char *listen_address;
    int port;
    char *cert_file;
    char *key_file;
    char *graph_version;
    char *access_token;
    char *control_token;
    char *app_secret;
    char *webhook_url;
    char *webhook_ca_file;
    char *public_url;
    int webhook_max_attempts;
    int webhook_retry_ms;
    int delay_sent_ms;
    int delay_delivered_ms;
    int delay_read_ms;
    struct sim_line *lines;
    size_t nlines;
    struct sim_waba *wabas;
    size_t nwabas;
    struct sim_customer *customers;
    size_t ncustomers;
};

struct sim_window {
    char *line; /* phone_number_id */
    char *wa_id;
    int64_t last_inbound_ms;
};

enum sim_fail_mode {
    SIM_FAIL_NONE = 0,
    SIM_FAIL_500,     /* HTTP 500, code 131000 */
    SIM_FAIL_503,     /* HTTP 503, code 2 */
    SIM_FAIL_TIMEOUT, /* hold the request; answer after delay_ms, or never when 0 */
    SIM_FAIL_RATE,    /* code 130429 */
};

struct sim_hook;

struct sim {
    struct sim_config cfg;
    struct lws_context *context;
    struct lws_vhost *server_vhost;
    struct lws_vhost *client_vhost;
    int port; /* the port actually listened on */
    char base_url[300];

    /* webhook target, split once at startup */
    char hook_buf[1024];
    const char *hook_scheme;
    const char *hook_host;
    const char *hook_path;
    int hook_port;
    char hook_host_header[300];

    struct sim_window *windows;
    size_t nwindows;

    enum sim_fail_mode fail_mode;
    int fail_count;
    int fail_status;   /* overrides the HTTP status of 5xx/rate failures when non-zero */
    int fail_delay_ms; /* timeout mode: answer after this long, 0 = never */
    int out_of_order_count;

    json_t *request_log; /* array of Graph API requests received */
    json_t *webhook_log; /* array of webhooks delivered or pending */
    long long request_seq;
    long long webhook_seq;
    char *last_webhook_body;

    lws_sorted_usec_list_t tick; /* wakes the loop to notice signals */
    struct sim_hook *hooks;      /* every scheduled or in-flight webhook */
    size_t nhooks;
};

/* One HTTP transaction on the server (the lws per-session data). */
struct sim_req {
    struct sim *sim;
    struct lws *wsi;
    int is_post;
    int handled; /* the request was dispatched; later BODY callbacks are ignored */
    char path[512];
    char query[1024];
    char authorization[512];
    char content_type[128];
    char *body;
    size_t body_len;
    int body_too_large;

    /* response */
    int responding;
    int headers_sent;
    unsigned int status;
    char *resp;
    size_t resp_len;
    size_t resp_off;
    char www_authenticate[200];

    json_t *log_entry; /* this request's entry in sim->request_log (own reference) */

    /* delayed answer (timeout failure mode) */
    lws_sorted_usec_list_t sul;
    int delayed;
    int held;
};

/* ---- config.c ---- */

/**
 * Loads and validates the configuration file. On failure prints an error naming the offending key
 * to stderr and returns -1; @p cfg must then still be released with sim_config_free().
 */
int sim_config_load(struct sim_config *cfg, const char *path);
/** Releases everything sim_config_load() allocated. */
void sim_config_free(struct sim_config *cfg);

/* ---- util.c ---- */

/** Current wall-clock time in ms since the epoch. */
int64_t sim_now_ms(void);
/** Returns a new string with the digits of @p s only (caller frees). */
char *sim_digits_new(const char *s);
/** Returns a new random wamid ("wamid." + base64; caller frees). */
char *sim_wamid_new(void);
/** Returns a new random decimal id of @p ndigits digits (caller frees). */
char *sim_numeric_id_new(int ndigits);
/** Returns a new random lowercase hex string of 2 * @p nbytes characters (caller frees). */
char *sim_hex_id_new(size_t nbytes);
/**
 * Serializes @p root compactly with every non-ASCII character escaped as a lowercase \uXXXX, as
 * Meta's payloads are. Returns a new string (caller frees) or NULL.
 */
char *sim_json_dump_new(const json_t *root);
/** Writes "sha256=<hex HMAC-SHA256(secret, body)>" into @p out (at least 72 bytes). */
void sim_sign(const char *secret, const char *body, size_t len, char *out);
/** Number of UTF-8 code points in @p s. */
size_t sim_utf8_chars(const char *s);
/** Base64 of @p in into a new string (caller frees). */
char *sim_base64_new(const unsigned char *in, size_t len);
/** Decodes base64 @p in into @p out (at most @p outlen - 1 bytes, NUL-terminated); -1 on error. */
int sim_base64_decode(const char *in, char *out, size_t outlen);

/* ---- state.c ---- */

/** Looks up a line by phone_number_id, or NULL. */
const struct sim_line *sim_line_find(const struct sim *sim, const char *phone_number_id);
/** Looks up a line by phone_number_id or display number, or NULL. */
const struct sim_line *sim_line_find_any(const struct sim *sim, const char *key);
/** Looks up a WABA, or NULL. */
struct sim_waba *sim_waba_find(const struct sim *sim, const char *waba_id);
/** Looks up a configured customer by number or wa_id (digits), or NULL. */
const struct sim_customer *sim_customer_find(const struct sim *sim, const char *digits);
/** (Re)builds the window records from the configured last-inbound times, relative to @p now_ms. */
int sim_windows_reset(struct sim *sim, int64_t now_ms);
/** Frees every window record. */
void sim_windows_free(struct sim *sim);
/** Records an inbound message from @p wa_id on @p line at @p now_ms. */
int sim_window_touch(struct sim *sim, const char *line, const char *wa_id, int64_t now_ms);
/** 1 when the customer's 24-hour window on @p line is open at @p now_ms. */
int sim_window_is_open(const struct sim *sim, const char *line, const char *wa_id, int64_t now_ms);
/** Appends @p entry (stolen) to @p log, dropping the oldest beyond SIM_MAX_LOG. */
void sim_log_append(json_t *log, json_t *entry);
/** Restores the catalogs, windows, failure modes and logs to their state at startup. */
void sim_reset(struct sim *sim);

/* ---- http.c ---- */

/** The lws protocol callback of the HTTPS server. */
int sim_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len);
/**
 * Queues the response for @p req: @p body (stolen) serialized with sim_json_dump_new().
 */
void sim_respond(struct sim_req *req, unsigned int status, json_t *body);
/** Parses the query string of @p req into a new object of name -> value strings. */
json_t *sim_req_query_new(const struct sim_req *req);

/* ---- graph.c ---- */

/** Handles a request under /{version}/... (the Graph API). */
void sim_graph_handle(struct sim_req *req);
/** Builds a new Graph API error object {"error":{...}}. @p details may be NULL. */
json_t *sim_graph_error_new(int code, const char *type, const char *message, const char *details);

/* ---- control.c ---- */

/** Handles a request under /control/. */
void sim_control_handle(struct sim_req *req);

/* ---- webhook.c ---- */

/** Splits the configured webhook URL; -1 (with a message) if it is not https://host[:port]/path. */
int sim_webhook_init(struct sim *sim);
/** The lws protocol callback of the webhook client. */
int sim_webhook_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len);
/**
 * Serializes, signs and schedules @p payload (stolen) for delivery after @p delay_ms.
 * @p kind labels it in the webhook log. Returns the webhook's sequence number, or -1.
 */
long long sim_webhook_schedule(struct sim *sim, json_t *payload, int delay_ms, const char *kind);
/** Schedules the exact bytes of an earlier webhook again (a duplicate delivery). */
long long sim_webhook_schedule_raw(struct sim *sim, const char *body, int delay_ms,
                                   const char *kind);
/** Cancels every webhook not yet in flight. */
void sim_webhook_cancel_pending(struct sim *sim);
/** Frees every webhook record; only after the lws context is destroyed. */
void sim_webhook_free_all(struct sim *sim);
/**
 * Builds a new Meta envelope for one change on @p line: {object, entry:[{id: waba, changes:
 * [{value: {messaging_product, metadata, ...}, field: "messages"}]}]}. Returns the new envelope
 * and sets *@p value to the (borrowed) value object for the caller to fill.
 */
json_t *sim_envelope_new(const struct sim_line *line, json_t **value);

#endif
