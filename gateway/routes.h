/*
 * gateway/routes.h — the route families the server mounts (one source file each).
 * To add one: define its `struct ativa_route` in its own file, declare it here, and list it in
 * `routes[]` in server.c.
 */
#ifndef ATIVA_GATEWAY_ROUTES_H
#define ATIVA_GATEWAY_ROUTES_H

#include "server.h"

/** GET /healthz: the loop's and the store's health as JSON (http_health.c). */
extern const struct ativa_route ativa_health_route;

/** GET and POST /webhooks/whatsapp: Meta's verification handshake and events (webhook.c). */
extern const struct ativa_route ativa_webhook_route;

/** GET /metrics: Prometheus text, loopback only (metrics.c). */
extern const struct ativa_route ativa_metrics_route;

/** The loop's own protocol: store completions arrive through it (bridge.c). */
extern const struct ativa_route ativa_loop_route;

/** Client connections to the Graph API (graph_client.c); never served. */
extern const struct ativa_route ativa_graph_client_route;

/** The consoles' WebSocket, subprotocol ativa.v1 on /ws (agents.c). */
extern const struct ativa_route ativa_agents_route;

/** POST /api/login, POST /api/logout, GET /api/session (auth_http.c). */
extern const struct ativa_route ativa_auth_route;

#endif
