/*
 * ativa/message.h — vocabulary shared by every module that handles a WhatsApp message:
 * its direction, its kind and its delivery status, with the rule that a status never goes back.
 */
#ifndef ATIVA_MESSAGE_H
#define ATIVA_MESSAGE_H

#include <stdbool.h>

#include "ativa/error.h"

/** Longest wamid we accept (Meta's are ~60 characters of base64), plus NUL. */
#define ATIVA_WAMID_MAX 256
/** Longest free-text body WhatsApp accepts, in characters. */
#define ATIVA_TEXT_MAX_CHARS 4096

typedef enum ativa_msg_direction {
    ATIVA_DIR_IN = 0, /**< from the customer */
    ATIVA_DIR_OUT,    /**< from an agent */
} ativa_msg_direction;

typedef enum ativa_msg_kind {
    ATIVA_MSG_TEXT = 0,
    ATIVA_MSG_TEMPLATE,    /**< outbound template */
    ATIVA_MSG_BUTTON,      /**< template quick-reply tap */
    ATIVA_MSG_INTERACTIVE, /**< interactive button_reply or list_reply */
    ATIVA_MSG_IMAGE,
    ATIVA_MSG_AUDIO,
    ATIVA_MSG_VIDEO,
    ATIVA_MSG_DOCUMENT,
    ATIVA_MSG_STICKER,
    ATIVA_MSG_LOCATION,
    ATIVA_MSG_CONTACTS,
    ATIVA_MSG_REACTION,
    ATIVA_MSG_ORDER,
    ATIVA_MSG_UNSUPPORTED,
    ATIVA_MSG__KIND_COUNT
} ativa_msg_kind;

/*
 * Delivery status of an outbound message, in the order it can only move forward:
 * QUEUED -> SENDING -> ACCEPTED (Meta answered 200 with a wamid) -> SENT -> DELIVERED -> READ.
 * FAILED is final from any state. UNKNOWN marks a send interrupted after its request left and
 * before its answer was stored: it is never resent silently; a later status webhook resolves it.
 */
typedef enum ativa_msg_status {
    ATIVA_STATUS_NONE = 0, /**< inbound messages have no delivery status */
    ATIVA_STATUS_QUEUED,
    ATIVA_STATUS_SENDING,
    ATIVA_STATUS_UNKNOWN,
    ATIVA_STATUS_ACCEPTED,
    ATIVA_STATUS_SENT,
    ATIVA_STATUS_DELIVERED,
    ATIVA_STATUS_READ,
    ATIVA_STATUS_FAILED,
    ATIVA_STATUS__COUNT
} ativa_msg_status;

/**
 * Would moving from `current` to `next` go forward? False for the same status (a redelivery),
 * for any move backwards (read -> delivered) and for any move out of FAILED.
 * UNKNOWN may move to any status from ACCEPTED on, or to FAILED; QUEUED and SENDING may move to
 * UNKNOWN. NONE (inbound) is neither left nor reached, and values outside the enum never advance.
 */
bool ativa_msg_status_advances(ativa_msg_status current, ativa_msg_status next);

/**
 * "text", "template", "button", ... (protocol and storage spelling: Meta's "type" words);
 * "invalid" outside the enum. A static string, never NULL.
 */
const char *ativa_msg_kind_name(ativa_msg_kind kind);
/**
 * Exact inverse of ativa_msg_kind_name ("invalid" is not a name).
 * @return ATIVA_OK; ATIVA_ERR_INVALID_ARGUMENT for NULL or an unknown name (out unchanged).
 */
ativa_err ativa_msg_kind_parse(const char *name, ativa_msg_kind *out);

/**
 * "none", "queued", "sending", "unknown", "accepted", "sent", "delivered", "read", "failed";
 * "invalid" outside the enum. A static string, never NULL.
 */
const char *ativa_msg_status_name(ativa_msg_status status);
/**
 * Exact inverse of ativa_msg_status_name ("invalid" is not a name).
 * @return ATIVA_OK; ATIVA_ERR_INVALID_ARGUMENT for NULL or an unknown name (out unchanged).
 */
ativa_err ativa_msg_status_parse(const char *name, ativa_msg_status *out);

#endif
