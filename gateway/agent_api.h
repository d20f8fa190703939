/*
 * gateway/agent_api.h — what the agents' requests do, and who sees which event (ativa.v1,
 * docs/protocol.md), apart from the WebSocket transport (agents.c) that carries them.
 *
 * The transport authenticates the connection, decodes each frame with ativa_request_parse(),
 * answers `resume` itself (it owns the replay) and hands every other request here. A request's
 * reply may come at once (reads) or after a store commit (writes): either way `reply` is called
 * exactly once, on the loop thread, unless the connection goes first (ativa_api_conn_gone).
 */
#ifndef ATIVA_GATEWAY_AGENT_API_H
#define ATIVA_GATEWAY_AGENT_API_H

#include "server.h"

#include <ativa/protocol.h>
#include <ativa/store.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/** Longest login and display name, with NUL. */
#define ATIVA_AGENT_LOGIN_MAX 65
#define ATIVA_AGENT_NAME_MAX  129
/** Lines an agent may be given (phone_number_ids). */
#define ATIVA_AGENT_LINES_MAX 32

/** The authenticated agent of a connection (copied from the store at the upgrade). */
struct ativa_agent {
    uint64_t id;
    char login[ATIVA_AGENT_LOGIN_MAX];
    char name[ATIVA_AGENT_NAME_MAX];
    bool supervisor;
    /** The lines whose shared queue the agent sees; all_lines when the agent has no list. */
    bool all_lines;
    unsigned n_lines;
    char lines[ATIVA_AGENT_LINES_MAX][ATIVA_STORE_ID_MAX];
};

/** Fill an agent from the store's agent record ({id, login, name, role, lines}). @return 0/-1. */
int ativa_agent_from_record(const json_t *record, struct ativa_agent *out);

/** Whether the agent works on this line (its queue and its templates). */
bool ativa_agent_has_line(const struct ativa_agent *agent, const char *line);

/** Deliver a reply frame to the connection `conn` (the transport's). Steals `frame`. */
typedef void (*ativa_api_reply_fn)(struct ativa_server *srv, void *conn, json_t *frame);

/**
 * Handle one decoded request (not `resume`). Takes ownership of *req (cleared on return).
 * @param conn  the transport's connection, passed back to `reply`.
 */
void ativa_api_handle(struct ativa_server *srv, const struct ativa_agent *agent, void *conn,
                      ativa_request *req, ativa_api_reply_fn reply);

/** The connection is gone: replies still pending for it are dropped, never delivered. */
void ativa_api_conn_gone(struct ativa_server *srv, void *conn);

/**
 * The frame of one stored event (an element of ativa_store_events_after) as this agent may see
 * it: the full {"type":"event",...} frame, a reduced one (a conversation leaving the shared
 * queue for another agent: {"conversation":{"id","owner","queued":false}} only), or NULL when
 * the agent may not see it at all.
 */
json_t *ativa_api_event_frame_new(struct ativa_server *srv, const struct ativa_agent *agent,
                                  const json_t *event);

#endif
