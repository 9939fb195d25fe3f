/* counts.c — connections held per address, user or dashboard token.
 *
 * The entries live in a key_table (key_table.h), which frees them as they
 * are removed and shrinks with them, so the memory follows the connections
 * held now, not the most ever held; its seeded hash keeps addresses, which
 * clients choose (an IPv6 client has a whole /64 to pick from), from being
 * aimed at one bucket.
 */
#include "counts.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key_table.h"

/* The first byte of a key: what the rest is. */
enum { KEY_IPV4 = 4, KEY_IPV6 = 6, KEY_USER = 'u', KEY_DASHBOARD = 'd' };

/* A key's value in the table. */
typedef struct counts__entry {
    uint64_t count;
    uint64_t logged_at; /* when a refusal was last logged; 0: never */
    uint64_t unlogged;  /* refusals since, not logged */
} counts__entry_t;

struct okr_counts {
    okr_key_table_t *table;
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
    t->table = okr_key_table_new(sizeof(counts__entry_t));
    if (!t->table) {
        free(t);
        return NULL;
    }
    return t;
}

void okr_counts_free(okr_counts_t *t)
{
    if (!t)
        return;
    okr_key_table_free(t->table);
    free(t);
}

static counts__entry_t *counts__find(const okr_counts_t *t, const okr_count_key_t *key)
{
    if (key->len == 0)
        return NULL;
    return okr_key_table_find(t->table, key->bytes, key->len);
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
    counts__entry_t *e = okr_key_table_add(t->table, key->bytes, key->len, NULL);
    if (!e)
        return -1;
    e->count++;
    return 0;
}

void okr_counts_remove(okr_counts_t *t, const okr_count_key_t *key)
{
    counts__entry_t *e = counts__find(t, key);
    if (e && --e->count == 0)
        okr_key_table_remove(t->table, e);
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
    return okr_key_table_size(t->table);
}
