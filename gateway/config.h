/*
 * gateway/config.h — the gateway's configuration: one JSON file plus secrets from the environment.
 *
 * Every key is documented in docs/configuration.md. Loading collects every problem (missing keys,
 * wrong types, out-of-range values, unknown keys) into one message, one line per problem, each
 * naming the key and how to fix it, e.g.
 *
 *     config: lines[1].phone_number_id is missing: give the line's Meta phone_number_id (digits)
 *
 * Relative file paths in the file are resolved against the directory of the configuration file.
 * The environment variables ATIVA_GRAPH_TOKEN, ATIVA_APP_SECRET and ATIVA_WEBHOOK_VERIFY_TOKEN
 * (when set and non-empty) replace graph.token, webhook.app_secret and webhook.verify_token;
 * ATIVA_LOG_LEVEL replaces log.level.
 */
#ifndef ATIVA_GATEWAY_CONFIG_H
#define ATIVA_GATEWAY_CONFIG_H

#include "log.h"

#include <ativa/error.h>

#include <stddef.h>
#include <stdint.h>

#define ATIVA_CONFIG_DEFAULT_ADDRESS       "127.0.0.1"
#define ATIVA_CONFIG_DEFAULT_GRAPH_VERSION "v23.0"
#define ATIVA_CONFIG_DEFAULT_TIMEOUT_MS    10000u
#define ATIVA_CONFIG_DEFAULT_PER_SECOND    80u
#define ATIVA_CONFIG_DEFAULT_MAX_BODY      (3u * 1024 * 1024)
#define ATIVA_CONFIG_MIN_MAX_BODY          1024u
#define ATIVA_CONFIG_MAX_MAX_BODY          (16u * 1024 * 1024)
#define ATIVA_CONFIG_DEFAULT_SYNC_S        3600u
#define ATIVA_CONFIG_DEFAULT_PAGE_SIZE     100u
#define ATIVA_CONFIG_WINDOW_MS             86400000LL
#define ATIVA_CONFIG_DEFAULT_SESSION_TTL_S 43200u
#define ATIVA_CONFIG_DEFAULT_MAX_QUEUED_FRAMES 512u
#define ATIVA_CONFIG_DEFAULT_MAX_QUEUED_BYTES  (8u * 1024 * 1024)
#define ATIVA_CONFIG_DEFAULT_MAX_FRAME_BYTES   65536u
#define ATIVA_CONFIG_DEFAULT_PING_INTERVAL_S   30u
#define ATIVA_CONFIG_DEFAULT_PING_TIMEOUT_S    60u
#define ATIVA_CONFIG_DEFAULT_REPLAY_MAX        10000u

/** One WhatsApp Business phone number served by this gateway. */
struct ativa_config_line {
    char *phone_number_id; /**< Meta's id of the number (digits); unique */
    char *display_number;  /**< the number itself, country code first, digits only */
    char *waba_id;         /**< the WhatsApp Business Account that owns the number (digits) */
    char *label;           /**< the name agents see, e.g. "Vendas SP" */
};

enum ativa_templates_source {
    ATIVA_TEMPLATES_GRAPH = 0, /**< fetched from the Graph API every sync_interval_s */
    ATIVA_TEMPLATES_FILE = 1,  /**< read from templates.file at start-up */
};

/** The whole configuration. Strings are heap copies owned by the struct. */
struct ativa_config {
    char *listen_address; /**< an IPv4 or IPv6 literal; "0.0.0.0" or "::" mean every address */
    unsigned listen_port;

    char *tls_cert_file; /**< absolute or resolved against the configuration's directory */
    char *tls_key_file;

    char *data_dir;

    char *graph_base_url; /**< https URL without a trailing slash */
    char *graph_version;  /**< e.g. "v23.0" */
    char *graph_token;    /**< secret */
    char *graph_ca_file;  /**< NULL when not set */
    unsigned graph_timeout_ms;
    unsigned graph_max_per_second;

    char *webhook_verify_token; /**< secret */
    char *webhook_app_secret;   /**< secret */
    size_t webhook_max_body_bytes;

    struct ativa_config_line *lines;
    size_t n_lines;

    char **contact_reasons;
    size_t n_contact_reasons;

    enum ativa_templates_source templates_source;
    char *templates_file; /**< set only when templates_source is ATIVA_TEMPLATES_FILE */
    unsigned templates_sync_interval_s;
    unsigned templates_page_size; /**< templates asked for per page of the Graph API list */

    int64_t window_ms; /**< 24 h in production; shorter only for tests and demonstrations */

    char **allowed_origins; /**< "https://host[:port]", no trailing slash */
    size_t n_allowed_origins;
    char *static_dir;
    unsigned session_ttl_s;
    unsigned max_queued_frames; /**< frames waiting to be sent to one console */
    size_t max_queued_bytes;    /**< their bytes */
    unsigned max_frame_bytes;   /**< largest frame accepted from a console */
    unsigned ping_interval_s;   /**< idle time before the gateway pings a console */
    unsigned ping_timeout_s;    /**< silence after which a console is dropped */
    unsigned replay_max_events; /**< longest replay on resume before a resync */

    enum ativa_log_level log_level;
};

/** Looks an environment variable up; getenv-compatible. Lets tests supply their own environment. */
typedef const char *(*ativa_config_getenv_fn)(const char *name);

/**
 * Parse and validate a configuration held in memory.
 * @param[in] text the JSON text (need not be NUL-terminated)
 * @param len its length in bytes (at most 1 MiB)
 * @param[in] base_dir directory that relative paths are resolved against (NULL: the current one)
 * @param getenv_fn environment lookup, NULL for getenv
 * @param[out] out the new configuration on success (free with ativa_config_free), NULL otherwise
 * @param[out] errors_new on failure, the problems, one "config: ..." line each, newline-separated
 *             and newline-terminated (caller frees); NULL on success. May be NULL when the caller
 *             does not want them.
 * @return ATIVA_OK;
 *         ATIVA_ERR_BAD_JSON when the text is not JSON (the message gives line and column);
 *         ATIVA_ERR_TOO_LARGE when @p len exceeds 1 MiB;
 *         ATIVA_ERR_INVALID_ARGUMENT when one or more keys are missing, wrong or unknown;
 *         ATIVA_ERR_NO_MEMORY.
 */
ativa_err ativa_config_parse_new(const char *text, size_t len, const char *base_dir,
                                 ativa_config_getenv_fn getenv_fn, struct ativa_config **out,
                                 char **errors_new);

/**
 * Read and parse a configuration file (see ativa_config_parse_new; base_dir is the file's
 * directory).
 * @return as ativa_config_parse_new, plus ATIVA_ERR_NOT_FOUND when the file cannot be read (the
 *         message says why).
 */
ativa_err ativa_config_load_new(const char *path, ativa_config_getenv_fn getenv_fn,
                                struct ativa_config **out, char **errors_new);

/**
 * Check what parsing cannot: that the files and directories named exist and can be read
 * (tls.cert_file, tls.key_file, graph.ca_file, templates.file, console.static_dir), and that
 * data_dir is a directory or can be created (its parent exists).
 * @param[out] errors_new as in ativa_config_parse_new
 * @return ATIVA_OK, ATIVA_ERR_INVALID_ARGUMENT or ATIVA_ERR_NO_MEMORY
 */
ativa_err ativa_config_check_files(const struct ativa_config *cfg, char **errors_new);

/**
 * Describe the configuration as "key=value" lines in a fixed order, secrets shown only as
 * "(set)", for the start-up log and for tests.
 * @return a new string (caller frees), or NULL when out of memory
 */
char *ativa_config_describe_new(const struct ativa_config *cfg);

/** Free a configuration and everything it owns; NULL is allowed. */
void ativa_config_free(struct ativa_config *cfg);

#endif
