/* Token buckets, the per-line and per-pair pacer, and retry back-off (see pacing.h). */
#include "ativa/pacing.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- token bucket ---- */

static void bucket_init(ativa_bucket *b, int64_t interval_us, int64_t burst, int64_t now_ms)
{
    b->interval_us = interval_us > 0 ? interval_us : 1;
    b->burst = burst >= 1 ? burst : 1;
    b->level_us = b->interval_us * b->burst;
    b->updated_ms = now_ms;
}

void ativa_bucket_init_rate(ativa_bucket *b, double per_second, int64_t burst, int64_t now_ms)
{
    int64_t interval_us = per_second > 0 ? (int64_t)(1e6 / per_second + 0.5) : 1000000;
    bucket_init(b, interval_us, burst, now_ms);
}

void ativa_bucket_init_interval(ativa_bucket *b, int64_t interval_ms, int64_t burst, int64_t now_ms)
{
    bucket_init(b, interval_ms > 0 ? interval_ms * 1000 : 1000, burst, now_ms);
}

/* Refill for the time elapsed; a clock that went back refills nothing. */
static int64_t level_at(const ativa_bucket *b, int64_t now_ms)
{
    int64_t capacity = b->interval_us * b->burst;
    if (now_ms <= b->updated_ms)
        return b->level_us;
    int64_t elapsed_ms = now_ms - b->updated_ms;
    if (elapsed_ms >= capacity / 1000 + 1)
        return capacity;
    int64_t level = b->level_us + elapsed_ms * 1000;
    return level < capacity ? level : capacity;
}

int64_t ativa_bucket_ready_at(const ativa_bucket *b, int64_t now_ms)
{
    int64_t level = level_at(b, now_ms);
    if (level >= b->interval_us)
        return now_ms;
    int64_t missing_us = b->interval_us - level;
    return now_ms + (missing_us + 999) / 1000;
}

int64_t ativa_bucket_take(ativa_bucket *b, int64_t now_ms)
{
    int64_t level = level_at(b, now_ms);
    if (level < b->interval_us)
        return ativa_bucket_ready_at(b, now_ms);
    b->level_us = level - b->interval_us;
    if (now_ms > b->updated_ms)
        b->updated_ms = now_ms;
    return 0;
}

int ativa_bucket_is_full(const ativa_bucket *b, int64_t now_ms)
{
    return level_at(b, now_ms) >= b->interval_us * b->burst;
}

/* ---- pacer: a small open-addressing table of buckets keyed by text ---- */

#define KEY_MAX 64

typedef struct slot {
    char key[KEY_MAX]; /* "" = empty */
    ativa_bucket bucket;
} slot;

typedef struct table {
    slot *slots;
    size_t cap; /* power of two */
    size_t count;
} table;

struct ativa_pacer {
    double line_per_second;
    int64_t pair_interval_ms;
    int64_t pair_burst;
    table lines;
    table pairs;
};

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static int table_init(table *t, size_t cap)
{
    t->slots = calloc(cap, sizeof *t->slots);
    t->cap = cap;
    t->count = 0;
    return t->slots ? 0 : -1;
}

static slot *table_probe(const table *t, const char *key)
{
    size_t i = (size_t)hash_key(key) & (t->cap - 1);
    while (t->slots[i].key[0] && strcmp(t->slots[i].key, key) != 0)
        i = (i + 1) & (t->cap - 1);
    return &t->slots[i];
}

static int table_rehash(table *t, size_t cap)
{
    table grown;
    if (table_init(&grown, cap))
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].key[0])
            continue;
        *table_probe(&grown, t->slots[i].key) = t->slots[i];
        grown.count++;
    }
    free(t->slots);
    *t = grown;
    return 0;
}

/* The bucket for key, created full when new. NULL when out of memory. */
static ativa_bucket *table_bucket(table *t, const char *key, int64_t interval_us, int64_t burst,
                                  int64_t now_ms)
{
    if ((t->count + 1) * 10 > t->cap * 7 && table_rehash(t, t->cap * 2))
        return NULL;
    slot *s = table_probe(t, key);
    if (!s->key[0]) {
        strcpy(s->key, key);
        bucket_init(&s->bucket, interval_us, burst, now_ms);
        t->count++;
    }
    return &s->bucket;
}

ativa_pacer *ativa_pacer_new(double line_per_second, int64_t pair_interval_ms, int64_t pair_burst)
{
    if (!(line_per_second > 0) || pair_interval_ms <= 0 || pair_burst < 1)
        return NULL;
    ativa_pacer *p = calloc(1, sizeof *p);
    if (!p)
        goto fail;
    p->line_per_second = line_per_second;
    p->pair_interval_ms = pair_interval_ms;
    p->pair_burst = pair_burst;
    if (table_init(&p->lines, 16) || table_init(&p->pairs, 256))
        goto fail;
    return p;

fail:
    ativa_pacer_free(p);
    return NULL;
}

void ativa_pacer_free(ativa_pacer *p)
{
    if (!p)
        return;
    free(p->lines.slots);
    free(p->pairs.slots);
    free(p);
}

ativa_err ativa_pacer_acquire(ativa_pacer *p, const char *line, const char *customer,
                              int64_t now_ms, int64_t *retry_at_ms)
{
    char pair_key[KEY_MAX];
    if (!p || !line || !customer || !*line || !*customer || !retry_at_ms ||
        strlen(line) + strlen(customer) + 2 > KEY_MAX)
        return ATIVA_ERR_INVALID_ARGUMENT;
    strcpy(pair_key, line);
    strcat(pair_key, "|");
    strcat(pair_key, customer);

    int64_t line_interval_us = (int64_t)(1e6 / p->line_per_second + 0.5);
    /* A line may burst one second's worth, as Meta measures throughput per second. */
    int64_t line_burst = (int64_t)p->line_per_second;
    ativa_bucket *line_bucket =
        table_bucket(&p->lines, line, line_interval_us, line_burst > 0 ? line_burst : 1, now_ms);
    if (!line_bucket)
        return ATIVA_ERR_NO_MEMORY;
    ativa_bucket *pair_bucket =
        table_bucket(&p->pairs, pair_key, p->pair_interval_ms * 1000, p->pair_burst, now_ms);
    if (!pair_bucket)
        return ATIVA_ERR_NO_MEMORY;

    /* Take from both or from neither. */
    int64_t line_ready = ativa_bucket_ready_at(line_bucket, now_ms);
    int64_t pair_ready = ativa_bucket_ready_at(pair_bucket, now_ms);
    if (line_ready > now_ms || pair_ready > now_ms) {
        *retry_at_ms = line_ready > pair_ready ? line_ready : pair_ready;
        return ATIVA_ERR_RATE_LIMITED;
    }
    ativa_bucket_take(line_bucket, now_ms);
    ativa_bucket_take(pair_bucket, now_ms);
    *retry_at_ms = now_ms;
    return ATIVA_OK;
}

size_t ativa_pacer_sweep(ativa_pacer *p, int64_t now_ms)
{
    if (!p)
        return 0;
    size_t dropped = 0;
    for (size_t i = 0; i < p->pairs.cap; i++) {
        slot *s = &p->pairs.slots[i];
        if (s->key[0] && ativa_bucket_is_full(&s->bucket, now_ms)) {
            s->key[0] = '\0';
            p->pairs.count--;
            dropped++;
        }
    }
    /* Removing from a linear-probing table breaks probe chains: rebuild it. */
    if (dropped) {
        size_t cap = p->pairs.cap;
        while (cap > 256 && p->pairs.count * 4 < cap)
            cap /= 2;
        if (table_rehash(&p->pairs, cap))
            return dropped; /* out of memory: a broken chain only makes a lookup start a fresh,
                               full bucket for its pair, which is what forgetting it means */
    }
    return dropped;
}

size_t ativa_pacer_pair_count(const ativa_pacer *p)
{
    return p ? p->pairs.count : 0;
}

int64_t ativa_backoff_ms(unsigned attempt, int64_t base_ms, int64_t max_ms, uint32_t random)
{
    if (base_ms <= 0)
        base_ms = 1;
    if (max_ms < base_ms)
        max_ms = base_ms;
    int64_t cap = base_ms;
    for (unsigned i = 1; i < attempt && cap < max_ms; i++)
        cap *= 2;
    if (cap > max_ms)
        cap = max_ms;
    int64_t half = cap / 2;
    return half + (int64_t)(random % (uint64_t)(cap - half + 1));
}
