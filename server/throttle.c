/* throttle.c — login throttling: a bounded table of failure counts.
 *
 * A chained hash table finds a key; a doubly linked list keeps the entries in
 * the order of their latest failure (oldest at the head). Each failure moves
 * its entry to the tail, so the oldest entry — the one to evict when the table
 * is full, or to forget when idle — is always the head: O(1) either way.
 * This relies on now_ms never going backwards (okr_mono_ms); if it did, the
 * head would be the least recently failed entry, which is still a fair choice.
 *
 * Keys are chosen by clients, so the hash is seeded from the CSPRNG; even with
 * collisions a lookup costs at most `capacity` comparisons, which is small
 * next to the argon2id verification every attempt already pays for.
 */
#include "throttle.h"

#include <limits.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

typedef struct throttle__entry {
    struct throttle__entry *chain;       /* next in the same bucket */
    struct throttle__entry *prev, *next; /* failure-time order */
    uint64_t hash;
    uint64_t last_fail_ms;
    unsigned failures;
    char key[]; /* NUL-terminated */
} throttle__entry_t;

struct okr_throttle {
    okr_throttle_params_t params;
    uint64_t seed;
    throttle__entry_t **buckets;
    size_t nbuckets; /* a power of two */
    size_t size;
    throttle__entry_t *oldest, *newest;
};

#define THROTTLE__MIN_BUCKETS 16

void okr_throttle_params_default(okr_throttle_params_t *p)
{
    p->free_failures = 3;
    p->base_ms = 1000;
    p->max_ms = 300000;
    p->capacity = 10000;
}

okr_throttle_t *okr_throttle_new(const okr_throttle_params_t *p)
{
    okr_throttle_t *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    if (p != NULL)
        t->params = *p;
    else
        okr_throttle_params_default(&t->params);
    t->nbuckets = THROTTLE__MIN_BUCKETS;
    t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
    if (t->buckets == NULL) {
        free(t);
        return NULL;
    }
    if (RAND_bytes((unsigned char *)&t->seed, sizeof t->seed) != 1)
        t->seed = 0x9e3779b97f4a7c15u; /* still correct, only easier to collide */
    return t;
}

void okr_throttle_free(okr_throttle_t *t)
{
    if (t == NULL)
        return;
    throttle__entry_t *e = t->oldest;
    while (e != NULL) {
        throttle__entry_t *next = e->next;
        free(e);
        e = next;
    }
    free(t->buckets);
    free(t);
}

/* FNV-1a over the seed and the key, then a final mix (splitmix64) so the
 * low bits used for the bucket depend on every byte. */
static uint64_t throttle__hash(const okr_throttle_t *t, const char *key)
{
    uint64_t h = 0xcbf29ce484222325u ^ t->seed;
    for (const unsigned char *s = (const unsigned char *)key; *s != '\0'; s++) {
        h ^= *s;
        h *= 0x100000001b3u;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebu;
    h ^= h >> 31;
    return h;
}

static throttle__entry_t *throttle__find(const okr_throttle_t *t, const char *key, uint64_t hash)
{
    for (throttle__entry_t *e = t->buckets[hash & (t->nbuckets - 1)]; e != NULL; e = e->chain) {
        if (e->hash == hash && strcmp(e->key, key) == 0)
            return e;
    }
    return NULL;
}

static void throttle__list_unlink(okr_throttle_t *t, throttle__entry_t *e)
{
    if (e->prev != NULL)
        e->prev->next = e->next;
    else
        t->oldest = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
    else
        t->newest = e->prev;
    e->prev = e->next = NULL;
}

static void throttle__list_append(okr_throttle_t *t, throttle__entry_t *e)
{
    e->prev = t->newest;
    e->next = NULL;
    if (t->newest != NULL)
        t->newest->next = e;
    else
        t->oldest = e;
    t->newest = e;
}

static void throttle__remove(okr_throttle_t *t, throttle__entry_t *e)
{
    throttle__entry_t **pp = &t->buckets[e->hash & (t->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->chain;
    *pp = e->chain;
    throttle__list_unlink(t, e);
    t->size--;
    free(e);
}

/* Keeps the load factor at most 1. A failed allocation keeps the old,
 * fuller table: slower, still correct. */
static void throttle__grow(okr_throttle_t *t)
{
    if (t->size < t->nbuckets || t->nbuckets > SIZE_MAX / 2 / sizeof *t->buckets)
        return;
    size_t n = t->nbuckets * 2;
    throttle__entry_t **b = calloc(n, sizeof *b);
    if (b == NULL)
        return;
    for (throttle__entry_t *e = t->oldest; e != NULL; e = e->next) {
        size_t i = e->hash & (n - 1);
        e->chain = b[i];
        b[i] = e;
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

/* Forgets entries whose latest failure is more than max_ms ago. */
static void throttle__expire(okr_throttle_t *t, uint64_t now_ms)
{
    while (t->oldest != NULL && now_ms > t->oldest->last_fail_ms &&
           now_ms - t->oldest->last_fail_ms > t->params.max_ms)
        throttle__remove(t, t->oldest);
}

/* base_ms * 2^(extra - 1), capped at max_ms, without overflowing. */
static uint64_t throttle__delay(const okr_throttle_params_t *p, unsigned extra)
{
    uint64_t d = p->base_ms < p->max_ms ? p->base_ms : p->max_ms;
    for (unsigned i = 1; i < extra && d < p->max_ms; i++)
        d = d > p->max_ms / 2 ? p->max_ms : d * 2;
    return d;
}

uint64_t okr_throttle_wait_ms(okr_throttle_t *t, const char *key, uint64_t now_ms)
{
    throttle__expire(t, now_ms);
    throttle__entry_t *e = throttle__find(t, key, throttle__hash(t, key));
    if (e == NULL || e->failures <= t->params.free_failures)
        return 0;
    uint64_t delay = throttle__delay(&t->params, e->failures - t->params.free_failures);
    uint64_t since = now_ms > e->last_fail_ms ? now_ms - e->last_fail_ms : 0;
    return since >= delay ? 0 : delay - since;
}

void okr_throttle_fail(okr_throttle_t *t, const char *key, uint64_t now_ms)
{
    if (t->params.capacity == 0)
        return; /* a table of no keys throttles nothing */
    throttle__expire(t, now_ms);

    uint64_t hash = throttle__hash(t, key);
    throttle__entry_t *e = throttle__find(t, key, hash);
    if (e != NULL) {
        if (e->failures < UINT_MAX)
            e->failures++;
        e->last_fail_ms = now_ms;
        throttle__list_unlink(t, e);
        throttle__list_append(t, e);
        return;
    }

    if (t->size >= t->params.capacity)
        throttle__remove(t, t->oldest);
    size_t len = strlen(key);
    e = malloc(sizeof *e + len + 1);
    if (e == NULL)
        return; /* out of memory: this failure goes uncounted */
    memcpy(e->key, key, len + 1);
    e->hash = hash;
    e->last_fail_ms = now_ms;
    e->failures = 1;
    size_t i = hash & (t->nbuckets - 1);
    e->chain = t->buckets[i];
    t->buckets[i] = e;
    throttle__list_append(t, e);
    t->size++;
    throttle__grow(t);
}

void okr_throttle_success(okr_throttle_t *t, const char *key)
{
    throttle__entry_t *e = throttle__find(t, key, throttle__hash(t, key));
    if (e != NULL)
        throttle__remove(t, e);
}

size_t okr_throttle_size(const okr_throttle_t *t)
{
    return t->size;
}
