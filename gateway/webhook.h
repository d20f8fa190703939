/*
 * gateway/webhook.h — Meta's webhook endpoint, /webhooks/whatsapp.
 *
 * GET is Meta's verification handshake (hub.mode, hub.verify_token, hub.challenge). POST carries
 * events: webhook.c reads the body (refusing more than webhook.max_body_bytes with 413, without
 * buffering it) and hands it, with the X-Hub-Signature-256 header, to ativa_webhook_handle_post.
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

/** What to answer to a webhook POST. Strings are static or owned by the callee's state. */
struct ativa_webhook_answer {
    unsigned status;          /**< HTTP status */
    const char *content_type; /**< e.g. "text/plain; charset=utf-8" */
    const char *body;         /**< NUL-terminated */
};

/**
 * Decide the answer to one webhook POST whose whole body has arrived.
 *
 * Today no store is attached, so every event is answered 503 "not ready" (Meta retries later).
 * The store plugs in here: verify the signature with core, parse, submit to the store writer,
 * and answer 200 only once the events are committed. An answer that must wait for the writer
 * will be left pending in the connection's state (webhook.c) and completed on the loop thread
 * when the writer's completion arrives (LWS_CALLBACK_EVENT_WAIT_CANCELLED), followed by
 * lws_callback_on_writable().
 *
 * @param srv the server (for the configuration and, later, the store)
 * @param[in] body the raw body, exactly as received (not NUL-terminated)
 * @param len its length, at most webhook.max_body_bytes
 * @param[in] signature the X-Hub-Signature-256 header's value; NULL when the header is absent,
 *            "" when it was too long to be a valid signature
 * @param[out] out the answer
 */
void ativa_webhook_handle_post(struct ativa_server *srv, const char *body, size_t len,
                               const char *signature, struct ativa_webhook_answer *out);

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
