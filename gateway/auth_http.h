/*
 * gateway/auth_http.h — the consoles' login over HTTPS (docs/protocol.md §1): POST /api/login,
 * POST /api/logout, GET /api/session.
 *
 * Checking a password costs tens of milliseconds of scrypt, which the loop must not spend: a
 * worker thread does it and hands the outcome back through lws_cancel_service(), like the store's
 * writer does (bridge.h). An unknown login is checked against a dummy hash, so that it takes as
 * long and gets the same answer as a wrong password.
 */
#ifndef ATIVA_GATEWAY_AUTH_HTTP_H
#define ATIVA_GATEWAY_AUTH_HTTP_H

#include "server.h"

/** Largest login body accepted. */
#define ATIVA_AUTH_BODY_MAX 4096

/**
 * Start the password worker (after the store and the bridge).
 * @return ATIVA_OK; ATIVA_ERR_INTERNAL (no thread, no dummy hash); ATIVA_ERR_NO_MEMORY.
 */
ativa_err ativa_auth_start(struct ativa_server *srv);

/** Stop the worker; logins still queued are dropped. Safe when never started. */
void ativa_auth_stop(struct ativa_server *srv);

#endif
