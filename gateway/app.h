/*
 * gateway/app.h — the parts of the gateway around the event loop, started and stopped in order.
 *
 * Start (after ativa_server_init, before ativa_server_run): open the store in data_dir, attach the
 * bridge, record the configured lines, then the template offer and the outbox.
 * Stop (after ativa_server_run returns): stop sending, close the store — which applies every
 * write already accepted — and hand the last completions to their owners while lws still runs.
 */
#ifndef ATIVA_GATEWAY_APP_H
#define ATIVA_GATEWAY_APP_H

#include "server.h"

/** @return ATIVA_OK, or the first failure (already logged with what to do about it). */
ativa_err ativa_app_start(struct ativa_server *srv);

/** Safe after a failed or partial start. */
void ativa_app_stop(struct ativa_server *srv);

#endif
