/* counts.c — connections held per address, user or dashboard token.
 *
 * A chained hash table with a power-of-two number of buckets, resized to
 * keep between a quarter and one entry per bucket (never below
 * COUNTS__MIN_BUCKETS), so its memory follows the connections held now, not
 * the most ever held.
 *
 * Addresses are chosen by clients (an IPv6 client has a whole /64 to pick
 * from), so the hash is seeded from the CSPRNG, as throttle.c's is: nobody
 * can aim every key at one bucket without knowing the seed.
 */
#include "counts.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNTS__MIN_BUCKETS 16

/* The first byte of a key: what the rest is. */
enum { KEY_IPV4 = 4, KEY_IPV6 = 6, KEY_USER = 'u', KEY_DASHBOARD = 'd' };

typedef struct counts__entry {
    struct counts__entry *chain; /* next in the same bucket */
    uint64_t hash;
    uint64_t count;
    uint64_t logged_at; /* when a refusal was last logged; 0: never */
    uint64_t unlogged;  /* refusals since, not logged */
    okr_count_key_t key;
} counts__entry_t;

struct okr_counts {
    uint64_t seed;
    counts__entry_t **buckets;
    size_t nbuckets; /* a power of two */
    size_t size;
};

/* ---- keys ---- */

int okr_count_key_addr(const struct sockaddr *sa, okr_count_key_t *key)
{
    memset(key, 0, sizeof *key);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        key->bytes[0] = KEY_IPV4;
        memcpy(key->bytes + 1, &a->sin_addr, 4);
        key->len = 5;
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        /* ::ffff:a.b.c.d is an IPv4 client of a dual-stack listener: the
         * same client as a.b.c.d, so the same key. */
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
            key->bytes[0] = KEY_IPV4;
            memcpy(key->bytes + 1, a->sin6_addr.s6_addr + 12, 4);
            key->len = 5;
            return 0;
        }
        key->bytes[0] = KEY_IPV6;
        memcpy(key->bytes + 1, &a->sin6_addr, 16);
        key->len = 17;
        return 0;
    }
    return -1;
}

static void counts__key_id(uint8_t kind, uint64_t id, okr_count_key_t *key)
{
    memset(key, 0, sizeof *key);
    key->bytes[0] = kind;
    for (int i = 0; i < 8; i++)
        key->bytes[1 + i] = (uint8_t)(id >> (56 - 8 * i));
    key->len = 9;
}

void okr_count_key_user(uint64_t user_id, okr_count_key_t *key)
{
    counts__key_id(KEY_USER, user_id, key);
}

void okr_count_key_dashboard(uint64_t token_id, okr_count_key_t *key)
{
    counts__key_id(KEY_DASHBOARD, token_id, key);
}

int okr_count_key_equal(const okr_count_key_t *a, const okr_count_key_t *b)
{
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

const char *okr_count_key_name(const okr_count_key_t *key, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    char ip[INET6_ADDRSTRLEN];
    uint64_t id = 0;
    for (int i = 1; i < 9 && i < key->len; i++)
        id = id << 8 | key->bytes[i];
    if (key->len == 5 && key->bytes[0] == KEY_IPV4 &&
        inet_ntop(AF_INET, key->bytes + 1, ip, sizeof ip))
        snprintf(buf, len, "%s", ip);
    else if (key->len == 17 && key->bytes[0] == KEY_IPV6 &&
             inet_ntop(AF_INET6, key->bytes + 1, ip, sizeof ip))
        snprintf(buf, len, "%s", ip);
    else if (key->len == 9 && key->bytes[0] == KEY_USER)
        snprintf(buf, len, "user %llu", (unsigned long long)id);
    else if (key->len == 9 && key->bytes[0] == KEY_DASHBOARD)
        snprintf(buf, len, "dashboard token %llu", (unsigned long long)id);
    else
        snprintf(buf, len, "?");
    return buf;
}

/* ---- the table ---- */

okr_counts_t *okr_counts_new(void)
{
    okr_counts_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->nbuckets = COUNTS__MIN_BUCKETS;
    t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    if (RAND_bytes((unsigned char *)&t->seed, sizeof t->seed) != 1)
        t->seed = 0x9e3779b97f4a7c15u; /* still correct, only easier to collide */
    return t;
}

void okr_counts_free(okr_counts_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nbuckets; i++)
        for (counts__entry_t *e = t->buckets[i], *next; e; e = next) {
            next = e->chain;
            free(e);
        }
    free(t->buckets);
    free(t);
}

/* FNV-1a over the seed and the key, then splitmix64's finaliser so that the
 * low bits (the bucket) depend on every byte. */
static uint64_t counts__hash(const okr_counts_t *t, const okr_count_key_t *key)
{
    uint64_t h = 0xcbf29ce484222325u ^ t->seed;
    for (size_t i = 0; i < key->len; i++) {
        h ^= key->bytes[i];
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
static counts__entry_t **counts__slot(const okr_counts_t *t, const okr_count_key_t *key,
                                      uint64_t hash)
{
    counts__entry_t **pp = &t->buckets[hash & (t->nbuckets - 1)];
    while (*pp && !((*pp)->hash == hash && okr_count_key_equal(&(*pp)->key, key)))
        pp = &(*pp)->chain;
    return pp;
}

static counts__entry_t *counts__find(const okr_counts_t *t, const okr_count_key_t *key)
{
    if (key->len == 0)
        return NULL;
    return *counts__slot(t, key, counts__hash(t, key));
}

/* Rehashes into n buckets. A failed allocation keeps the old table: fuller
 * or emptier than wanted, still correct. */
static void counts__resize(okr_counts_t *t, size_t n)
{
    counts__entry_t **b = calloc(n, sizeof *b);
    if (!b)
        return;
    for (size_t i = 0; i < t->nbuckets; i++)
        for (counts__entry_t *e = t->buckets[i], *next; e; e = next) {
            next = e->chain;
            size_t j = e->hash & (n - 1);
            e->chain = b[j];
            b[j] = e;
        }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

uint64_t okr_counts_get(const okr_counts_t *t, const okr_count_key_t *key)
{
    const counts__entry_t *e = counts__find(t, key);
    return e ? e->count : 0;
}

int okr_counts_add(okr_counts_t *t, const okr_count_key_t *key)
{
    if (key->len == 0 || key->len > OKR_COUNT_KEY_MAX)
        return -1;
    uint64_t hash = counts__hash(t, key);
    counts__entry_t **pp = counts__slot(t, key, hash);
    if (*pp) {
        (*pp)->count++;
        return 0;
    }
    counts__entry_t *e = calloc(1, sizeof *e);
    if (!e)
        return -1;
    e->hash = hash;
    e->count = 1;
    e->key = *key;
    *pp = e;
    t->size++;
    if (t->size > t->nbuckets && t->nbuckets <= SIZE_MAX / 2 / sizeof *t->buckets)
        counts__resize(t, t->nbuckets * 2);
    return 0;
}

void okr_counts_remove(okr_counts_t *t, const okr_count_key_t *key)
{
    if (key->len == 0)
        return;
    counts__entry_t **pp = counts__slot(t, key, counts__hash(t, key));
    counts__entry_t *e = *pp;
    if (!e || --e->count > 0)
        return;
    *pp = e->chain;
    free(e);
    t->size--;
    if (t->nbuckets > COUNTS__MIN_BUCKETS && t->size < t->nbuckets / 4)
        counts__resize(t, t->nbuckets / 2);
}

int okr_counts_refused(okr_counts_t *t, const okr_count_key_t *key, uint64_t now_ms,
                       uint64_t *refused)
{
    counts__entry_t *e = counts__find(t, key);
    if (!e) {
        *refused = 1;
        return 1;
    }
    if (e->logged_at && now_ms - e->logged_at < OKR_COUNTS_LOG_EVERY_MS && now_ms >= e->logged_at) {
        e->unlogged++;
        return 0;
    }
    *refused = e->unlogged + 1;
    e->unlogged = 0;
    /* 0 means "never": a monotonic clock at 0 is logged as 1 */
    e->logged_at = now_ms ? now_ms : 1;
    return 1;
}

size_t okr_counts_size(const okr_counts_t *t)
{
    return t->size;
}
