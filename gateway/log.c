/* Structured one-line logs; see log.h. */
#include "log.h"

#include <libwebsockets.h>

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048

static atomic_int current_level = ATIVA_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

bool ativa_log_level_parse(const char *name, enum ativa_log_level *out)
{
    if (!name)
        return false;
    for (int i = 0; i < (int)(sizeof level_names / sizeof level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum ativa_log_level)i;
            return true;
        }
    }
    return false;
}

const char *ativa_log_level_name(enum ativa_log_level level)
{
    if ((int)level < 0 || (int)level > ATIVA_LOG_DEBUG)
        return "info";
    return level_names[level];
}

void ativa_log_set_level(enum ativa_log_level level)
{
    atomic_store(&current_level, (int)level);
}

enum ativa_log_level ativa_log_get_level(void)
{
    return (enum ativa_log_level)atomic_load(&current_level);
}

bool ativa_log_enabled(enum ativa_log_level level)
{
    return (int)level <= atomic_load(&current_level);
}

/* A bounded output cursor: appends never overflow, the overflow is remembered. */
struct out {
    char *buf;
    size_t size; /* usable bytes, excluding room kept for the truncation marker */
    size_t len;
    bool cut;
};

static void out_putc(struct out *o, char c)
{
    if (o->len < o->size)
        o->buf[o->len++] = c;
    else
        o->cut = true;
}

static void out_puts(struct out *o, const char *s)
{
    while (*s)
        out_putc(o, *s++);
}

static bool needs_quotes(const char *s, size_t n)
{
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f)
            return true;
    }
    return false;
}

/* Values from outside may hold anything: quote them so one event stays one parseable line. */
static void out_value(struct out *o, const char *s, size_t n)
{
    if (!needs_quotes(s, n)) {
        for (size_t i = 0; i < n; i++)
            out_putc(o, s[i]);
        return;
    }
    out_putc(o, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        switch (c) {
        case '"':
            out_puts(o, "\\\"");
            break;
        case '\\':
            out_puts(o, "\\\\");
            break;
        case '\n':
            out_puts(o, "\\n");
            break;
        case '\r':
            out_puts(o, "\\r");
            break;
        case '\t':
            out_puts(o, "\\t");
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(esc, sizeof esc, "\\x%02x", c);
                out_puts(o, esc);
            } else {
                out_putc(o, (char)c);
            }
        }
    }
    out_putc(o, '"');
}

/*
 * printf for the key=value part. Each conversion is formatted by snprintf with its own
 * specification; only %s is routed through out_value so that it gets quoted.
 */
static void out_kv(struct out *o, const char *fmt, va_list *ap)
{
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            out_putc(o, *p);
            continue;
        }
        char spec[32];
        size_t sl = 0;
        int star_width = 0, star_prec = 0, has_star_width = 0, has_star_prec = 0;
        int precision = -1;
        spec[sl++] = '%';
        p++;
        while (*p && strchr("-+ #0", *p) && sl < 8)
            spec[sl++] = *p++;
        if (*p == '*') {
            has_star_width = 1;
            star_width = va_arg(*ap, int);
            spec[sl++] = '*';
            p++;
        } else {
            while (*p >= '0' && *p <= '9' && sl < 16)
                spec[sl++] = *p++;
        }
        if (*p == '.') {
            spec[sl++] = *p++;
            precision = 0;
            if (*p == '*') {
                has_star_prec = 1;
                star_prec = va_arg(*ap, int);
                precision = star_prec;
                spec[sl++] = '*';
                p++;
            } else {
                while (*p >= '0' && *p <= '9' && sl < 24) {
                    precision = precision * 10 + (*p - '0');
                    spec[sl++] = *p++;
                }
            }
        }
        char len1 = 0, len2 = 0;
        if (*p && strchr("hlzjt", *p)) {
            len1 = *p;
            spec[sl++] = *p++;
            if ((len1 == 'h' || len1 == 'l') && *p == len1) {
                len2 = *p;
                spec[sl++] = *p++;
            }
        }
        char conv = *p;
        if (!conv)
            return;
        spec[sl++] = conv;
        spec[sl] = '\0';

        char tmp[128];
#define FMT_ARG(type)                                                                              \
    do {                                                                                           \
        type v_ = va_arg(*ap, type);                                                               \
        if (has_star_width && has_star_prec)                                                       \
            snprintf(tmp, sizeof tmp, spec, star_width, star_prec, v_);                            \
        else if (has_star_width)                                                                   \
            snprintf(tmp, sizeof tmp, spec, star_width, v_);                                       \
        else if (has_star_prec)                                                                    \
            snprintf(tmp, sizeof tmp, spec, star_prec, v_);                                        \
        else                                                                                       \
            snprintf(tmp, sizeof tmp, spec, v_);                                                   \
        out_puts(o, tmp);                                                                          \
    } while (0)

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        switch (conv) {
        case '%':
            out_putc(o, '%');
            break;
        case 's': {
            const char *s = va_arg(*ap, const char *);
            if (!s)
                s = "(null)";
            size_t n = precision >= 0 ? strnlen(s, (size_t)precision) : strlen(s);
            out_value(o, s, n);
            break;
        }
        case 'c':
            FMT_ARG(int);
            break;
        case 'p':
            FMT_ARG(void *);
            break;
        case 'd':
        case 'i':
            if (len1 == 'l' && len2 == 'l')
                FMT_ARG(long long);
            else if (len1 == 'l')
                FMT_ARG(long);
            else if (len1 == 'z')
                FMT_ARG(ptrdiff_t); /* %zd: the signed type of size_t's width */
            else if (len1 == 'j')
                FMT_ARG(intmax_t);
            else if (len1 == 't')
                FMT_ARG(ptrdiff_t);
            else
                FMT_ARG(int); /* hh and h are promoted to int */
            break;
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            if (len1 == 'l' && len2 == 'l')
                FMT_ARG(unsigned long long);
            else if (len1 == 'l')
                FMT_ARG(unsigned long);
            else if (len1 == 'z')
                FMT_ARG(size_t);
            else if (len1 == 'j')
                FMT_ARG(uintmax_t);
            else if (len1 == 't')
                FMT_ARG(size_t);
            else
                FMT_ARG(unsigned int);
            break;
        default:
            /* Unsupported conversion (e.g. floating point): keep the line, mark the spot. */
            out_puts(o, "?");
            return;
        }
#pragma GCC diagnostic pop
#undef FMT_ARG
    }
}

static int vformat(char *buf, unsigned size, long long now_ms, enum ativa_log_level level,
                   const char *msg, const char *kv_fmt, va_list *ap)
{
    static const char marker[] = "...\n";
    if (size == 0)
        return 0;
    if (size < sizeof marker + 1) {
        buf[0] = '\0';
        return 0;
    }
    struct out o = {buf, size - sizeof marker, 0, false};

    time_t secs = (time_t)(now_ms / 1000);
    struct tm tm;
    char ts[96];
    gmtime_r(&secs, &tm);
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(now_ms % 1000));
    out_puts(&o, "ts=");
    out_puts(&o, ts);
    out_puts(&o, " level=");
    out_puts(&o, ativa_log_level_name(level));
    out_puts(&o, " msg=");
    out_value(&o, msg ? msg : "", msg ? strlen(msg) : 0);
    if (kv_fmt && *kv_fmt) {
        out_putc(&o, ' ');
        out_kv(&o, kv_fmt, ap);
    }
    if (o.cut) {
        memcpy(buf + o.len, marker, sizeof marker);
        return (int)(o.len + sizeof marker - 1);
    }
    buf[o.len++] = '\n';
    buf[o.len] = '\0';
    return (int)o.len;
}

int ativa_log_format(char *buf, unsigned size, long long now_ms, enum ativa_log_level level,
                     const char *msg, const char *kv_fmt, ...)
{
    va_list ap;
    va_start(ap, kv_fmt);
    int n = vformat(buf, size, now_ms, level, msg, kv_fmt, &ap);
    va_end(ap);
    return n;
}

void ativa_log(enum ativa_log_level level, const char *msg, const char *kv_fmt, ...)
{
    if (!ativa_log_enabled(level))
        return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long now_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;

    char line[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, kv_fmt);
    int n = vformat(line, sizeof line, now_ms, level, msg, kv_fmt, &ap);
    va_end(ap);
    /* One write per line keeps lines whole even if several threads log. */
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}

static void lws_emit(int lws_level, const char *line)
{
    enum ativa_log_level level = ATIVA_LOG_DEBUG;
    if (lws_level & LLL_ERR)
        level = ATIVA_LOG_ERROR;
    else if (lws_level & LLL_WARN)
        level = ATIVA_LOG_WARN;
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
        n--;
    ativa_log(level, "lws", "text=%.*s", (int)n, line);
}

void ativa_log_route_lws(void)
{
    int mask = LLL_ERR;
    switch (ativa_log_get_level()) {
    case ATIVA_LOG_ERROR:
        break;
    case ATIVA_LOG_WARN:
    case ATIVA_LOG_INFO:
        mask |= LLL_WARN;
        break;
    case ATIVA_LOG_DEBUG:
        mask |= LLL_WARN | LLL_NOTICE | LLL_INFO;
        break;
    }
    lws_set_log_level(mask, lws_emit);
}
