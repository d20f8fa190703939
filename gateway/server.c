/* The lws context, the HTTPS vhost, the mounts and the loop; see server.h. */
#include "server.h"

#include "clock.h"
#include "log.h"
#include "routes.h"

#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Mozilla's "intermediate" profile: forward secrecy and AEAD ciphers only. */
static const char tls12_ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const char tls13_ciphers[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

/*
 * Headers lws adds to every answer of the vhost (lws_add_http_header_status), which covers static
 * files and lws's own error pages as well as the routes. Lower case, as HTTP/2 requires.
 */
static const struct lws_protocol_vhost_options security_headers[] = {
    {&security_headers[1], NULL,
     "strict-transport-security:", "max-age=63072000; includeSubDomains"},
    {&security_headers[2], NULL, "x-content-type-options:", "nosniff"},
    {&security_headers[3], NULL, "content-security-policy:",
     "default-src 'self'; connect-src 'self' wss:; img-src 'self' data:; object-src 'none'; "
     "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"},
    {&security_headers[4], NULL, "referrer-policy:", "no-referrer"},
    {NULL, NULL, "x-frame-options:", "DENY"},
};

/* Types lws does not know by itself. */
static const struct lws_protocol_vhost_options extra_mimetypes[] = {
    {&extra_mimetypes[1], NULL, ".mjs", "text/javascript"},
    {NULL, NULL, ".webmanifest", "application/manifest+json"},
};

/* Every dynamic route family; the static files take the rest of "/". */
static const struct ativa_route *const routes[] = {
    &ativa_health_route,
    &ativa_webhook_route,
    &ativa_metrics_route,
    &ativa_loop_route,
    &ativa_graph_client_route,
    &ativa_agents_route,
    &ativa_auth_route,
};

#define N_ROUTES (sizeof routes / sizeof routes[0])

static volatile sig_atomic_t stop_flag;

void ativa_server_request_stop(int signo)
{
    (void)signo;
    stop_flag = 1;
}

bool ativa_server_stop_requested(void)
{
    return stop_flag != 0;
}

int64_t ativa_server_now_ms(struct ativa_server *srv)
{
    if (!srv->now_valid) {
        srv->now_ms = ativa_clock_now_ms();
        srv->now_valid = true;
    }
    return srv->now_ms;
}

struct ativa_server *ativa_server_from_wsi(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

void ativa_server_inflight_begin(struct ativa_server *srv)
{
    srv->inflight++;
}

void ativa_server_inflight_end(struct ativa_server *srv)
{
    if (srv->inflight)
        srv->inflight--;
}

static void tick(lws_sorted_usec_list_t *sul)
{
    struct ativa_server *srv = lws_container_of(sul, struct ativa_server, tick);
    int64_t mono = ativa_clock_monotonic_ms();
    srv->last_tick_mono_ms = mono;

    if (stop_flag && !srv->draining) {
        /*
         * From now on new connections are refused (callback_http) while the ones in progress
         * finish. lws_context_deprecate() would close the listener instead, but in lws 4.1.6 it
         * touches the listening wsi after freeing it.
         */
        ativa_log_info("stopping", "inflight=%u drain_ms=%d", srv->inflight, ATIVA_SERVER_DRAIN_MS);
        srv->draining = true;
        srv->drain_deadline_mono_ms = mono + ATIVA_SERVER_DRAIN_MS;
        if (srv->stop_hook.fn)
            srv->stop_hook.fn(srv, srv->stop_hook.arg);
    }
    if (srv->draining) {
        if (srv->inflight == 0 || mono >= srv->drain_deadline_mono_ms) {
            if (srv->inflight)
                ativa_log_warn("drain timed out", "inflight=%u", srv->inflight);
            srv->finished = true;
            /* Timers run before lws polls: wake that poll so ativa_server_run sees the flag. */
            lws_cancel_service(srv->context);
            return;
        }
    }
    lws_sul_schedule(srv->context, 0, &srv->tick, tick, (lws_usec_t)ATIVA_SERVER_TICK_MS * 1000);
}

/* The vhost's first protocol: lws's own HTTP handling (static files), and the door policy. */
static int callback_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    if (reason == LWS_CALLBACK_FILTER_NETWORK_CONNECTION) {
        struct ativa_server *srv = lws_context_user(lws_get_context(wsi));
        if (srv && srv->draining)
            return 1; /* stopping: accept no new connection */
        return 0;
    }
    /* An upgrade without a subprotocol we serve lands here: only ativa.v1 is a WebSocket. */
    if (reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION)
        return 1;
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static ativa_err build_tables(struct ativa_server *srv)
{
    const struct ativa_config *cfg = srv->cfg;
    srv->n_routes = N_ROUTES;
    /* protocols: lws's own HTTP handler first (it serves the files), the routes, a terminator. */
    srv->protocols = calloc(N_ROUTES + 2, sizeof *srv->protocols);
    srv->mounts = calloc(N_ROUTES + 1, sizeof *srv->mounts);
    if (!srv->protocols || !srv->mounts)
        return ATIVA_ERR_NO_MEMORY;

    srv->protocols[0].name = "http";
    srv->protocols[0].callback = callback_http;
    /*
     * An HTTP/2 connection writes through this protocol, and lws 4.1 cuts each socket write to
     * its tx_packet_size (default: 4 KiB). On a connection carrying a WebSocket (RFC 8441, as
     * Chromium opens it) the rest of a cut write is left buffered with POLLOUT never re-armed:
     * the console stalls and the loop spins on POLLIN. Whole frames of up to a WebSocket fragment
     * (agents.c) go out in one write.
     */
    srv->protocols[0].tx_packet_size = ATIVA_HTTP_TX_PACKET_BYTES;
    size_t n_mounts = 0;
    for (size_t i = 0; i < N_ROUTES; i++) {
        srv->protocols[i + 1] = routes[i]->protocol;
        if (!routes[i]->mountpoint)
            continue; /* a WebSocket protocol, chosen by name at the upgrade */
        struct lws_http_mount *m = &srv->mounts[n_mounts++];
        m->mountpoint = routes[i]->mountpoint;
        m->mountpoint_len = (unsigned char)strlen(routes[i]->mountpoint);
        m->origin = routes[i]->protocol.name;
        m->origin_protocol = LWSMPRO_CALLBACK;
    }
    for (size_t i = 0; i < n_mounts; i++)
        srv->mounts[i].mount_next = &srv->mounts[i + 1];
    struct lws_http_mount *files = &srv->mounts[n_mounts];
    files->mountpoint = "/";
    files->mountpoint_len = 1;
    files->origin = cfg->static_dir;
    files->def = "index.html";
    files->origin_protocol = LWSMPRO_FILE;
    files->extra_mimetypes = extra_mimetypes;
    return ATIVA_OK;
}

/*
 * lws does not fail when the listen address is not on this machine: it keeps the vhost without
 * a listener and retries in the background. A gateway that cannot be reached must not start, so
 * try a bind of our own first (port 0, closed at once).
 */
static int check_local_address(const char *address)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        sl = sizeof *v4;
    } else if (inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        sl = sizeof *v6;
    } else {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int rc = bind(fd, (struct sockaddr *)&ss, sl);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

ativa_err ativa_server_init(struct ativa_server *srv, const struct ativa_config *cfg)
{
    struct lws_context_creation_info info;
    ativa_err err;

    memset(srv, 0, sizeof *srv);
    srv->cfg = cfg;
    srv->started_mono_ms = ativa_clock_monotonic_ms();
    srv->last_tick_mono_ms = srv->started_mono_ms;

    if (check_local_address(cfg->listen_address) != 0) {
        ativa_log_error("cannot listen", "address=%s port=%u reason=%s hint=%s",
                        cfg->listen_address, cfg->listen_port, strerror(errno),
                        "give an address of this machine in listen.address, or 0.0.0.0");
        err = ATIVA_ERR_INTERNAL;
        goto fail;
    }
    err = build_tables(srv);
    if (err)
        goto fail;

    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.user = srv;
    info.protocols = srv->protocols;
    srv->context = lws_create_context(&info);
    if (!srv->context) {
        ativa_log_error("cannot create the lws context", NULL);
        err = ATIVA_ERR_INTERNAL;
        goto fail;
    }

    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.vhost_name = "ativa";
    info.port = (int)cfg->listen_port;
    /* lws listens on every address when iface is NULL. */
    if (strcmp(cfg->listen_address, "0.0.0.0") != 0 && strcmp(cfg->listen_address, "::") != 0)
        info.iface = cfg->listen_address;
    info.protocols = srv->protocols;
    info.mounts = srv->mounts;
    info.headers = security_headers;
    /* lws pings a connection silent for ping_interval_s and drops it after ping_timeout_s. */
    srv->retry.secs_since_valid_ping = (uint16_t)cfg->ping_interval_s;
    srv->retry.secs_since_valid_hangup = (uint16_t)cfg->ping_timeout_s;
    info.retry_and_idle_policy = &srv->retry;
    info.server_string = "ativa";
    info.ssl_cert_filepath = cfg->tls_cert_file;
    info.ssl_private_key_filepath = cfg->tls_key_file;
    info.ssl_cipher_list = tls12_ciphers;
    info.tls1_3_plus_cipher_list = tls13_ciphers;
    info.ssl_options_set = SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                           SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                           SSL_OP_CIPHER_SERVER_PREFERENCE;
    info.alpn = "h2,http/1.1";
    /* Client connections from this vhost (the Graph API) verify the server against the system's
     * trust store, or against this CA file (the development CA) when one is configured. */
    info.client_ssl_ca_filepath = cfg->graph_ca_file;
    info.keepalive_timeout = 5;
    info.timeout_secs = 20;
    srv->vhost = lws_create_vhost(srv->context, &info);
    if (!srv->vhost) {
        ativa_log_error("cannot listen", "address=%s port=%u hint=%s", cfg->listen_address,
                        cfg->listen_port,
                        "check the certificate and key files and that the port is free");
        err = ATIVA_ERR_INTERNAL;
        goto fail;
    }

    lws_sul_schedule(srv->context, 0, &srv->tick, tick, (lws_usec_t)ATIVA_SERVER_TICK_MS * 1000);
    ativa_log_info("listening", "address=%s port=%u static_dir=%s", cfg->listen_address,
                   cfg->listen_port, cfg->static_dir);
    return ATIVA_OK;

fail:
    ativa_server_destroy(srv);
    return err;
}

int ativa_server_run(struct ativa_server *srv)
{
    while (!srv->finished) {
        /* A new turn: the next ativa_server_now_ms() reads the clock afresh. */
        srv->now_valid = false;
        if (lws_service(srv->context, 0) < 0) {
            ativa_log_error("the event loop failed", NULL);
            return -1;
        }
    }
    return 0;
}

void ativa_server_destroy(struct ativa_server *srv)
{
    if (srv->context) {
        lws_sul_cancel(&srv->tick);
        lws_context_destroy(srv->context);
        srv->context = NULL;
    }
    free(srv->protocols);
    free(srv->mounts);
    srv->protocols = NULL;
    srv->mounts = NULL;
    srv->vhost = NULL;
}
