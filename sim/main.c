/* ativa-meta-sim: process setup, the lws context and its two vhosts, the service loop. */
#include "sim.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* A signal does not always cut poll() short inside lws_service(); this bounds the exit latency. */
static void on_tick(lws_sorted_usec_list_t *sul)
{
    struct sim *sim = lws_container_of(sul, struct sim, tick);
    if (!interrupted)
        lws_sul_schedule(sim->context, 0, sul, on_tick, 100 * LWS_US_PER_MS);
}

static const struct lws_protocols server_protocols[] = {
    {"ativa-sim-http", sim_http_callback, sizeof(struct sim_req), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static const struct lws_protocols client_protocols[] = {
    {"ativa-sim-webhook", sim_webhook_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ativa-meta-sim --config FILE [--port N] [--webhook-url URL] [--verbose]\n"
            "  A local stand-in for Meta's WhatsApp Cloud API (see docs/simulator.md).\n"
            "  --port N          listen on N instead of the config's port (0 = any free port)\n"
            "  --webhook-url URL deliver webhooks to URL instead of the config's webhook_url\n"
            "  --verbose         log libwebsockets notices too\n");
}

static int parse_port(const char *s, int *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 65535)
        return -1;
    *out = (int)v;
    return 0;
}

int main(int argc, char **argv)
{
    const char *config = NULL, *webhook_url = NULL;
    int port_override = -1, verbose = 0, rc = 1;
    static struct sim sim;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config = argv[++i];
        else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            if (parse_port(argv[++i], &port_override)) {
                fprintf(stderr, "ativa-meta-sim: --port needs a number from 0 to 65535\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--webhook-url") && i + 1 < argc)
            webhook_url = argv[++i];
        else if (!strcmp(argv[i], "--verbose"))
            verbose = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!config) {
        usage(stderr);
        return 2;
    }

    lws_set_log_level(verbose ? LLL_ERR | LLL_WARN | LLL_NOTICE : LLL_ERR, NULL);
    if (sim_config_load(&sim.cfg, config))
        goto out;
    if (port_override >= 0)
        sim.cfg.port = port_override;
    if (sim.cfg.port < 0) {
        fprintf(stderr, "ativa-meta-sim: config: key \"port\" is missing (or pass --port)\n");
        goto out;
    }
    if (webhook_url) {
        free(sim.cfg.webhook_url);
        sim.cfg.webhook_url = strdup(webhook_url);
    }
    if (sim_webhook_init(&sim))
        goto out;
    sim.request_log = json_array();
    sim.webhook_log = json_array();
    if (!sim.request_log || !sim.webhook_log || sim_windows_reset(&sim, sim_now_ms()))
        goto out;

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.user = &sim;
    info.timeout_secs = 10;
    info.connect_timeout_secs = 5;
    sim.context = lws_create_context(&info);
    if (!sim.context) {
        fprintf(stderr, "ativa-meta-sim: cannot create the libwebsockets context\n");
        goto out;
    }

    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.vhost_name = "ativa-meta-sim";
    info.port = sim.cfg.port;
    info.iface = sim.cfg.listen_address;
    info.protocols = server_protocols;
    info.ssl_cert_filepath = sim.cfg.cert_file;
    info.ssl_private_key_filepath = sim.cfg.key_file;
    info.alpn = "http/1.1";
    info.keepalive_timeout = 30;
    info.user = &sim;
    sim.server_vhost = lws_create_vhost(sim.context, &info);
    if (!sim.server_vhost) {
        fprintf(stderr,
                "ativa-meta-sim: cannot listen on %s:%d with cert_file %s and key_file %s\n",
                sim.cfg.listen_address, sim.cfg.port, sim.cfg.cert_file, sim.cfg.key_file);
        goto out;
    }

    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.vhost_name = "ativa-meta-sim-webhooks";
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = client_protocols;
    info.client_ssl_ca_filepath = sim.cfg.webhook_ca_file;
    info.alpn = "http/1.1";
    info.user = &sim;
    sim.client_vhost = lws_create_vhost(sim.context, &info);
    if (!sim.client_vhost) {
        fprintf(stderr, "ativa-meta-sim: cannot set up the webhook client (webhook_ca_file %s)\n",
                sim.cfg.webhook_ca_file ? sim.cfg.webhook_ca_file : "(system)");
        goto out;
    }

    sim.port = lws_get_vhost_listen_port(sim.server_vhost);
    if (sim.cfg.public_url)
        snprintf(sim.base_url, sizeof(sim.base_url), "%s", sim.cfg.public_url);
    else
        snprintf(sim.base_url, sizeof(sim.base_url), "https://%s:%d",
                 strcmp(sim.cfg.listen_address, "0.0.0.0") ? sim.cfg.listen_address : "127.0.0.1",
                 sim.port);
    printf("ativa-meta-sim: listening on https://%s:%d\n", sim.cfg.listen_address, sim.port);
    fflush(stdout);

    lws_sul_schedule(sim.context, 0, &sim.tick, on_tick, 100 * LWS_US_PER_MS);
    while (!interrupted)
        if (lws_service(sim.context, 0) < 0)
            break;
    rc = 0;
    fprintf(stderr, "ativa-meta-sim: shutting down\n");

out:
    if (sim.context)
        lws_context_destroy(sim.context);
    sim_webhook_free_all(&sim);
    sim_windows_free(&sim);
    json_decref(sim.request_log);
    json_decref(sim.webhook_log);
    free(sim.last_webhook_body);
    sim_config_free(&sim.cfg);
    return rc;
}
