/*
 * gateway/webhook.h — Meta's webhook endpoint, /webhooks/whatsapp.
 *
 * GET is Meta's verification handshake (hub.mode, hub.verify_token, hub.challenge). POST carries
 * events: webhook.c reads the body (refusing more than webhook.max_body_bytes with 413, without
 * buffering it) and hands it, with the X-Hub-Signature-256 header, to ingest.c, which answers
 * once the events are committed.
 *
 * Webhook POSTs are served over HTTP/1.1 only: lws 4.1.6 drops unknown headers such as
 * X-Hub-Signature-256 on HTTP/2 streams (and may miss the end of large HTTP/2 bodies), so an
 * HTTP/2 POST is answered 505.
 */
#ifndef ATIVA_GATEWAY_WEBHOOK_H
#define ATIVA_GATEWAY_WEBHOOK_H

#include "server.h"

#include <stddef.h>

/** The longest hub.challenge echoed back. */
#define ATIVA_WEBHOOK_CHALLENGE_MAX 128

/**
 * Check Meta's verification handshake.
 * @param[in] mode hub.mode (NULL when absent)
 * @param[in] token hub.verify_token (NULL when absent)
 * @param[in] challenge hub.challenge (NULL when absent)
 * @param[in] expected the configured webhook.verify_token
 * @return NULL when the handshake is valid (answer 200 with the challenge), otherwise the reason
 *         it is refused (answer 403), for the log
 */
const char *ativa_webhook_check_verification(const char *mode, const char *token,
                                             const char *challenge, const char *expected);

#endif
