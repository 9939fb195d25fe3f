/* key_table.c — a chained hash table of entries found by a byte string.
 *
 * One allocation per entry: the header (chain link, hash, key length), the
 * user's value at the next max_align_t boundary, then the key's bytes.
 * Chaining, rather than open addressing, is what lets a value stay at its
 * address through a resize, which throttle.c's order of failures needs.
 */
#include "key_table.h"

#include <openssl/rand.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

typedef struct key_table__entry {
    struct key_table__entry *chain; /* next in the same bucket */
    uint64_t hash;
    size_t len; /* of the key */
} key_table__entry_t;

/* Where the value starts in an entry: aligned for anything it may hold. */
#define KEY_TABLE__VALUE_AT                                                                        \
    ((sizeof(key_table__entry_t) + alignof(max_align_t) - 1) / alignof(max_align_t) *              \
     alignof(max_align_t))

struct okr_key_table {
    uint64_t seed;
    key_table__entry_t **buckets;
    size_t nbuckets; /* a power of two */
    size_t size;
    size_t value_size;
};

static void *key_table__value(key_table__entry_t *e)
{
    return (char *)e + KEY_TABLE__VALUE_AT;
}

static key_table__entry_t *key_table__entry_of(void *value)
{
    return (key_table__entry_t *)((char *)value - KEY_TABLE__VALUE_AT);
}

static const unsigned char *key_table__key(const okr_key_table_t *t, const key_table__entry_t *e)
{
    return (const unsigned char *)e + KEY_TABLE__VALUE_AT + t->value_size;
}

okr_key_table_t *okr_key_table_new(size_t value_size)
{
    okr_key_table_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->value_size = value_size;
    t->nbuckets = OKR_KEY_TABLE_MIN_BUCKETS;
    t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    if (RAND_bytes((unsigned char *)&t->seed, sizeof t->seed) != 1)
        t->seed = 0x9e3779b97f4a7c15u; /* still correct, only easier to collide */
    return t;
}

void okr_key_table_free(okr_key_table_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nbuckets; i++)
        for (key_table__entry_t *e = t->buckets[i], *next; e; e = next) {
            next = e->chain;
            free(e);
        }
    free(t->buckets);
    free(t);
}

/* FNV-1a over the seed and the key, then splitmix64's finaliser so that the
 * low bits (the bucket) depend on every byte. */
uint64_t okr_key_table_hash(const okr_key_table_t *t, const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 0xcbf29ce484222325u ^ t->seed;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3u;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebu;
    h ^= h >> 31;
    return h;
}

/* The link that points at key's entry (or at the NULL ending its bucket). */
static key_table__entry_t **key_table__slot(const okr_key_table_t *t, const void *key, size_t len,
                                            uint64_t hash)
{
    key_table__entry_t **pp = &t->buckets[hash & (t->nbuckets - 1)];
    while (*pp && !((*pp)->hash == hash && (*pp)->len == len &&
                    (len == 0 || memcmp(key_table__key(t, *pp), key, len) == 0)))
        pp = &(*pp)->chain;
    return pp;
}

/* Rehashes into n buckets. A failed allocation keeps the old buckets:
 * fuller or emptier than wanted, still correct. */
static void key_table__resize(okr_key_table_t *t, size_t n)
{
    key_table__entry_t **b = calloc(n, sizeof *b);
    if (!b)
        return;
    for (size_t i = 0; i < t->nbuckets; i++)
        for (key_table__entry_t *e = t->buckets[i], *next; e; e = next) {
            next = e->chain;
            size_t j = e->hash & (n - 1);
            e->chain = b[j];
            b[j] = e;
        }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

void *okr_key_table_find(const okr_key_table_t *t, const void *key, size_t len)
{
    key_table__entry_t *e = *key_table__slot(t, key, len, okr_key_table_hash(t, key, len));
    return e ? key_table__value(e) : NULL;
}

void *okr_key_table_add(okr_key_table_t *t, const void *key, size_t len, int *made)
{
    if (made)
        *made = 0;
    uint64_t hash = okr_key_table_hash(t, key, len);
    key_table__entry_t **pp = key_table__slot(t, key, len, hash);
    if (*pp)
        return key_table__value(*pp);
    if (len > SIZE_MAX - KEY_TABLE__VALUE_AT - t->value_size)
        return NULL;
    key_table__entry_t *e = malloc(KEY_TABLE__VALUE_AT + t->value_size + len);
    if (!e)
        return NULL;
    e->chain = NULL;
    e->hash = hash;
    e->len = len;
    memset(key_table__value(e), 0, t->value_size);
    if (len)
        memcpy((unsigned char *)key_table__value(e) + t->value_size, key, len);
    *pp = e;
    t->size++;
    if (t->size > t->nbuckets && t->nbuckets <= SIZE_MAX / 2 / sizeof *t->buckets)
        key_table__resize(t, t->nbuckets * 2);
    if (made)
        *made = 1;
    return key_table__value(e);
}

void okr_key_table_remove(okr_key_table_t *t, void *value)
{
    key_table__entry_t *e = key_table__entry_of(value);
    key_table__entry_t **pp = &t->buckets[e->hash & (t->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->chain;
    *pp = e->chain;
    free(e);
    t->size--;
    if (t->nbuckets > OKR_KEY_TABLE_MIN_BUCKETS && t->size < t->nbuckets / 4)
        key_table__resize(t, t->nbuckets / 2);
}

size_t okr_key_table_size(const okr_key_table_t *t)
{
    return t->size;
}

size_t okr_key_table_buckets(const okr_key_table_t *t)
{
    return t->nbuckets;
}
