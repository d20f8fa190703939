/*
 * ativa/protocol.h — decoding the requests and encoding the replies of `ativa.v1`
 * (docs/protocol.md), without sockets.
 *
 * A frame is checked completely here — size, JSON, depth, the request type and the type and
 * bounds of every field it uses — so that the gateway's handlers receive only well-formed,
 * typed requests. Unknown fields are ignored (newer consoles may send more).
 */
#ifndef ATIVA_PROTOCOL_H
#define ATIVA_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ativa/error.h"

#define ATIVA_PROTOCOL_NAME "ativa.v1"
/** Largest frame accepted from a console. */
#define ATIVA_FRAME_MAX (64 * 1024)
/** Deepest nesting of objects and arrays accepted in a frame. */
#define ATIVA_FRAME_MAX_DEPTH 8
/** Longest request id, without NUL. */
#define ATIVA_REQUEST_ID_MAX 64
/** history.search page sizes. */
#define ATIVA_HISTORY_LIMIT_DEFAULT 50
#define ATIVA_HISTORY_LIMIT_MAX     200

typedef enum ativa_req_type {
    ATIVA_REQ_RESUME = 0,
    ATIVA_REQ_LINES_LIST,
    ATIVA_REQ_REASONS_LIST,
    ATIVA_REQ_CUSTOMER_LOOKUP,
    ATIVA_REQ_TEMPLATES_LIST,
    ATIVA_REQ_CONVERSATION_CREATE,
    ATIVA_REQ_CONVERSATION_LIST,
    ATIVA_REQ_CONVERSATION_OPEN,
    ATIVA_REQ_CONVERSATION_TAKE,
    ATIVA_REQ_SEND_TEXT,
    ATIVA_REQ_SEND_TEMPLATE,
    ATIVA_REQ_CONVERSATION_FINALIZE,
    ATIVA_REQ_HISTORY_SEARCH,
    ATIVA_REQ_HISTORY_START,
    ATIVA_REQ__COUNT
} ativa_req_type;

/** A template chosen for a send: values map slot keys ("body.1") to text. */
typedef struct ativa_template_choice {
    const char *name;
    const char *language;
    json_t *values; /**< borrowed from the request's root: an object of strings */
} ativa_template_choice;

/**
 * A decoded request. Every pointer is borrowed from `root` and valid until
 * ativa_request_clear(); fields a type does not use are zero/NULL.
 */
typedef struct ativa_request {
    ativa_req_type type;
    char id[ATIVA_REQUEST_ID_MAX + 1];
    json_t *root;

    uint64_t last_seq;  /**< resume */
    const char *line;   /**< lookup, templates.list, create; history filter */
    const char *number; /**< lookup, create (as typed: may carry formatting); filter */
    bool has_template;  /**< create (optional), send_template (required) */
    ativa_template_choice template_choice;
    uint64_t conversation_id; /**< open, take, send_*, finalize */
    const char *text;         /**< send_text */
    const char *reason;       /**< finalize (NULL = none); history filter */
    const char *description;  /**< finalize (NULL = none) */
    bool has_agent_id;        /**< history filter */
    uint64_t agent_id;
    int64_t from_ms, to_ms; /**< history period; 0 / INT64_MAX when not given */
    unsigned limit;         /**< history page size */
    const char *cursor;     /**< history paging (NULL = first page) */
    uint64_t attendance_id; /**< history.start */
} ativa_request;

/**
 * Decode one frame.
 * @param[out] out   filled on success; on failure out->id still holds the request id when one
 *                   could be read ("" otherwise), so that the error reply can carry it.
 * @param[out] why   on failure, English words naming the problem (e.g. "field 'text' must be a
 *                   string"), for the reply's message and the logs.
 * @return ATIVA_OK; ATIVA_ERR_TOO_LARGE (frame over ATIVA_FRAME_MAX); ATIVA_ERR_BAD_JSON (not a
 *         JSON object, too deep, no string "type"); ATIVA_ERR_UNKNOWN_REQUEST;
 *         ATIVA_ERR_INVALID_ARGUMENT (a missing or wrongly typed field, or a bad id).
 */
ativa_err ativa_request_parse(const char *frame, size_t len, ativa_request *out, char *why,
                              size_t why_len);

/** Release what ativa_request_parse() holds; safe on a zeroed or failed request. */
void ativa_request_clear(ativa_request *req);

/** "resume", "lines.list", … as in docs/protocol.md. */
const char *ativa_req_type_name(ativa_req_type type);

/**
 * {"type":"reply","id":…,"ok":true,"data":data}. Steals `data` (NULL gives {}).
 * @param id  NULL or "" gives "id": null.
 */
json_t *ativa_reply_ok_new(const char *id, json_t *data);

/**
 * {"type":"reply","id":…,"ok":false,"error":{"code":…,"message":…}}.
 * @param message  NULL to use the error's Portuguese text (ativa_err_text_pt).
 */
json_t *ativa_reply_error_new(const char *id, ativa_err err, const char *message);

/** {"type":"event","seq":seq,"event":name,"data":data}. Steals `data`. */
json_t *ativa_event_frame_new(uint64_t seq, const char *name, json_t *data);

#endif
