/* The gateway's clock; see clock.h. */
#include "clock.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#define MAX_OFFSET_MS (10LL * 366 * 24 * 3600 * 1000)

static int64_t offset_ms;

int ativa_clock_init(const char *value)
{
    offset_ms = 0;
    if (!value || !*value)
        return 0;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || *end || end == value || v > MAX_OFFSET_MS || v < -MAX_OFFSET_MS)
        return -1;
    offset_ms = v;
    return 0;
}

int64_t ativa_clock_offset_ms(void)
{
    return offset_ms;
}

static int64_t read_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ativa_clock_now_ms(void)
{
    return read_ms(CLOCK_REALTIME) + offset_ms;
}

int64_t ativa_clock_monotonic_ms(void)
{
    return read_ms(CLOCK_MONOTONIC);
}
