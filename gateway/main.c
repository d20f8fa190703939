/*
 * ativa-gateway — the process: configuration, logs, signals, and the event loop.
 *
 *     ativa-gateway --config FILE [--check-config]
 *
 * Exit status: 0 after a clean stop (SIGINT or SIGTERM) or a valid --check-config; 1 when the
 * configuration is wrong or the server cannot start; 2 for a usage error.
 */
#include "app.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "server.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to)
{
    fputs("usage: ativa-gateway --config FILE [--check-config]\n"
          "  --config FILE    the JSON configuration (see docs/configuration.md)\n"
          "  --check-config   validate the configuration and its files, then exit 0 or 1\n"
          "  --help           show this text\n",
          to);
}

static int install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = ativa_server_request_stop;
    if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
        return -1;
    /* A peer closing mid-write must not kill the process; lws sees the error instead. */
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv)
{
    const char *config_path = NULL;
    bool check_only = false;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strcmp(argv[i], "--check-config") == 0) {
            check_only = true;
        } else if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "ativa-gateway: unknown or incomplete argument \"%s\"\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!config_path) {
        fputs("ativa-gateway: --config FILE is required\n", stderr);
        usage(stderr);
        return 2;
    }

    enum ativa_log_level early;
    if (ativa_log_level_parse(getenv("ATIVA_LOG_LEVEL"), &early))
        ativa_log_set_level(early);
    ativa_log_route_lws();

    if (ativa_clock_init(getenv(ATIVA_CLOCK_OFFSET_ENV)) != 0) {
        fprintf(stderr, "ativa-gateway: %s must be a whole number of milliseconds (tests only)\n",
                ATIVA_CLOCK_OFFSET_ENV);
        return 1;
    }

    struct ativa_config *cfg = NULL;
    char *errors = NULL;
    ativa_err err = ativa_config_load_new(config_path, NULL, &cfg, &errors);
    if (err == ATIVA_OK)
        err = ativa_config_check_files(cfg, &errors);
    if (err != ATIVA_OK) {
        fputs(errors ? errors : "config: out of memory while reading the configuration\n", stderr);
        fprintf(stderr, "ativa-gateway: %s is not valid; nothing was started\n", config_path);
        free(errors);
        ativa_config_free(cfg);
        return 1;
    }
    if (check_only) {
        printf("config: %s is valid\n", config_path);
        ativa_config_free(cfg);
        return 0;
    }

    ativa_log_set_level(cfg->log_level);
    ativa_log_route_lws();
    ativa_log_info("starting", "config=%s level=%s", config_path,
                   ativa_log_level_name(cfg->log_level));
    if (ativa_log_enabled(ATIVA_LOG_DEBUG)) {
        char *desc = ativa_config_describe_new(cfg);
        for (char *line = desc ? strtok(desc, "\n") : NULL; line; line = strtok(NULL, "\n"))
            ativa_log_debug("config", "setting=%s", line);
        free(desc);
    }
    if (cfg->window_ms < ATIVA_CONFIG_WINDOW_MS)
        ativa_log_warn("window_ms is shorter than 24 hours: for tests and demonstrations only",
                       "window_ms=%lld", (long long)cfg->window_ms);
    if (ativa_clock_offset_ms() != 0)
        ativa_log_warn("the clock is shifted: for tests only", "offset_ms=%lld",
                       (long long)ativa_clock_offset_ms());

    if (install_signals() != 0) {
        ativa_log_error("cannot install signal handlers", NULL);
        ativa_config_free(cfg);
        return 1;
    }

    struct ativa_server srv;
    if (ativa_server_init(&srv, cfg) != ATIVA_OK) {
        ativa_config_free(cfg);
        return 1;
    }
    if (ativa_app_start(&srv) != ATIVA_OK) {
        ativa_app_stop(&srv);
        ativa_server_destroy(&srv);
        ativa_config_free(cfg);
        return 1;
    }
    int rc = ativa_server_run(&srv);
    ativa_app_stop(&srv);
    ativa_server_destroy(&srv);
    ativa_config_free(cfg);
    if (rc != 0)
        return 1;
    ativa_log_info("stopped", "status=%s", "clean");
    return 0;
}
