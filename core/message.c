/* Message vocabulary: kind and status names, and the forward-only status rule (see message.h). */
#include "ativa/message.h"

#include <stddef.h>
#include <string.h>

/* Meta's own "type" spelling, so that webhook and storage use one word per kind. */
static const char *const kind_names[ATIVA_MSG__KIND_COUNT] = {
    [ATIVA_MSG_TEXT] = "text",         [ATIVA_MSG_TEMPLATE] = "template",
    [ATIVA_MSG_BUTTON] = "button",     [ATIVA_MSG_INTERACTIVE] = "interactive",
    [ATIVA_MSG_IMAGE] = "image",       [ATIVA_MSG_AUDIO] = "audio",
    [ATIVA_MSG_VIDEO] = "video",       [ATIVA_MSG_DOCUMENT] = "document",
    [ATIVA_MSG_STICKER] = "sticker",   [ATIVA_MSG_LOCATION] = "location",
    [ATIVA_MSG_CONTACTS] = "contacts", [ATIVA_MSG_REACTION] = "reaction",
    [ATIVA_MSG_ORDER] = "order",       [ATIVA_MSG_UNSUPPORTED] = "unsupported",
};

static const char *const status_names[ATIVA_STATUS__COUNT] = {
    [ATIVA_STATUS_NONE] = "none",           [ATIVA_STATUS_QUEUED] = "queued",
    [ATIVA_STATUS_SENDING] = "sending",     [ATIVA_STATUS_UNKNOWN] = "unknown",
    [ATIVA_STATUS_ACCEPTED] = "accepted",   [ATIVA_STATUS_SENT] = "sent",
    [ATIVA_STATUS_DELIVERED] = "delivered", [ATIVA_STATUS_READ] = "read",
    [ATIVA_STATUS_FAILED] = "failed",
};

static bool status_in_range(ativa_msg_status s)
{
    return (unsigned)s < ATIVA_STATUS__COUNT;
}

bool ativa_msg_status_advances(ativa_msg_status current, ativa_msg_status next)
{
    if (!status_in_range(current) || !status_in_range(next))
        return false;
    /* Inbound messages have no delivery status, so NONE is neither left nor reached. */
    if (current == ATIVA_STATUS_NONE || next == ATIVA_STATUS_NONE)
        return false;
    if (current == ATIVA_STATUS_FAILED)
        return false;
    if (next == ATIVA_STATUS_FAILED)
        return true;
    /* The enum is declared in delivery order, UNKNOWN sitting between SENDING and ACCEPTED. */
    return next > current;
}

static ativa_err parse_name(const char *const *names, size_t count, const char *name, int *out)
{
    if (name == NULL)
        return ATIVA_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (int)i;
            return ATIVA_OK;
        }
    }
    return ATIVA_ERR_INVALID_ARGUMENT;
}

const char *ativa_msg_kind_name(ativa_msg_kind kind)
{
    if ((unsigned)kind >= ATIVA_MSG__KIND_COUNT)
        return "invalid";
    return kind_names[kind];
}

ativa_err ativa_msg_kind_parse(const char *name, ativa_msg_kind *out)
{
    int i = 0;
    ativa_err err = parse_name(kind_names, ATIVA_MSG__KIND_COUNT, name, &i);
    if (err == ATIVA_OK)
        *out = (ativa_msg_kind)i;
    return err;
}

const char *ativa_msg_status_name(ativa_msg_status status)
{
    if (!status_in_range(status))
        return "invalid";
    return status_names[status];
}

ativa_err ativa_msg_status_parse(const char *name, ativa_msg_status *out)
{
    int i = 0;
    ativa_err err = parse_name(status_names, ATIVA_STATUS__COUNT, name, &i);
    if (err == ATIVA_OK)
        *out = (ativa_msg_status)i;
    return err;
}
