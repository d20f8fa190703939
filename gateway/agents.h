/*
 * gateway/agents.h — the consoles' WebSocket (`ativa.v1`, docs/protocol.md): authenticated
 * upgrades on /ws, a bounded outgoing queue per connection, resume with replay from the event log,
 * live fan-out of every committed event to the consoles entitled to see it, session expiry and
 * revocation, and the drain when the gateway stops.
 *
 * Every function runs on the loop thread.
 */
#ifndef ATIVA_GATEWAY_AGENTS_H
#define ATIVA_GATEWAY_AGENTS_H

#include "agent_api.h"
#include "server.h"

#include <ativa/auth.h>
#include <ativa/error.h>

/**
 * Attach the fan-out to the store (a bridge commit listener), starting after the log's current
 * last event, and the drain to the server's stop. Call once, after the bridge is attached.
 * @return ATIVA_OK; ATIVA_ERR_INTERNAL (no bridge, or no room for a listener); the store's read
 *         errors.
 */
ativa_err ativa_agents_start(struct ativa_server *srv);

/**
 * A session was revoked (logout): every console connected with it gets an `unauthenticated`
 * error and is closed with 4001 "session revoked".
 * @return how many connections are being closed.
 */
unsigned ativa_agents_session_revoked(struct ativa_server *srv, const char *token_hash);

/**
 * The session a request presents (cookie `ativa_session`, else `Authorization: Bearer`), if it
 * is valid now, with its agent.
 * @param[out] token_hash  the stored form of the token (filled whenever a token was readable)
 * @return 0, or -1 when there is no token, or it is unknown, expired or revoked, or its agent
 *         cannot be read.
 */
int ativa_agents_session_of_request(struct lws *wsi, struct ativa_server *srv,
                                    char token_hash[ATIVA_AUTH_TOKEN_HASH_MAX],
                                    struct ativa_agent *agent, int64_t *expires_ms);

/** Open console connections (for /metrics and tests). */
unsigned ativa_agents_connections(void);

/** Event frames queued to consoles since start (for /metrics). */
uint64_t ativa_agents_events_pushed(void);

/** Consoles disconnected because they did not keep up (for /metrics). */
uint64_t ativa_agents_dropped_slow(void);

/** The `ativa.v1` WebSocket protocol (no mount point: chosen by its name at the upgrade). */
extern const struct ativa_route ativa_agents_route;

#endif
