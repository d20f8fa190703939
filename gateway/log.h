/*
 * gateway/log.h — structured logs of the gateway process.
 *
 * One event is one line on stderr:
 *
 *     ts=2026-11-23T20:17:38.123Z level=info msg="listening" address=127.0.0.1 port=8443
 *
 * The key=value part is written with a printf-style format; every %s value is quoted and escaped
 * when it needs to be (spaces, quotes, '=', control characters), so input from outside can never
 * break a line in two or forge a key. Only the lws service thread and the start-up code log today;
 * the writer is still safe to call from any thread (one write(2) per line).
 */
#ifndef ATIVA_GATEWAY_LOG_H
#define ATIVA_GATEWAY_LOG_H

#include <stdbool.h>

enum ativa_log_level {
    ATIVA_LOG_ERROR = 0,
    ATIVA_LOG_WARN = 1,
    ATIVA_LOG_INFO = 2,
    ATIVA_LOG_DEBUG = 3,
};

/**
 * Parse "error", "warn", "info" or "debug".
 * @param[in] name the level name (case-sensitive); NULL is rejected
 * @param[out] out the level, written only on success
 * @return true when @p name is one of the four names, false otherwise
 */
bool ativa_log_level_parse(const char *name, enum ativa_log_level *out);

/** The name of a level ("error", ...); "info" for out-of-range values. */
const char *ativa_log_level_name(enum ativa_log_level level);

/** Set the most verbose level written; events above it are dropped. The default is info. */
void ativa_log_set_level(enum ativa_log_level level);

/** The current level. */
enum ativa_log_level ativa_log_get_level(void);

/** true when an event of @p level would be written (to skip building expensive values). */
bool ativa_log_enabled(enum ativa_log_level level);

/**
 * Send libwebsockets' own logs through ativa_log at a level that matches the current one:
 * lws errors as error, warnings as warn, notices and info as debug. Call again after changing the
 * level.
 */
void ativa_log_route_lws(void);

/**
 * Write one event.
 * @param level severity; dropped when above the current level
 * @param msg short fixed event name, e.g. "listening" (quoted when needed)
 * @param kv_fmt printf format of the key=value part, e.g. "port=%d path=%s", or NULL for none.
 *        Supported conversions: d i u x c s p and %% with the flags, width, precision and length
 *        modifiers (hh h l ll z j t) of printf. %s values are escaped as described above.
 */
void ativa_log(enum ativa_log_level level, const char *msg, const char *kv_fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ativa_log_error(msg, ...) ativa_log(ATIVA_LOG_ERROR, msg, __VA_ARGS__)
#define ativa_log_warn(msg, ...)  ativa_log(ATIVA_LOG_WARN, msg, __VA_ARGS__)
#define ativa_log_info(msg, ...)  ativa_log(ATIVA_LOG_INFO, msg, __VA_ARGS__)
#define ativa_log_debug(msg, ...) ativa_log(ATIVA_LOG_DEBUG, msg, __VA_ARGS__)

/**
 * Format one event line into @p buf without writing it (used by ativa_log and by tests).
 * @param[out] buf destination, always NUL-terminated when @p size > 0; a line longer than the
 *             buffer is cut, and then ends with "..." and the newline
 * @param size size of @p buf; at least 64 for a useful line
 * @param now_ms the event time, ms since the epoch
 * @return the length written, excluding the NUL
 */
int ativa_log_format(char *buf, unsigned size, long long now_ms, enum ativa_log_level level,
                     const char *msg, const char *kv_fmt, ...)
    __attribute__((format(printf, 6, 7)));

#endif
