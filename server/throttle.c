/* throttle.c — login throttling: a bounded table of failure counts.
 *
 * A key_table (key_table.h) finds a key's entry; a doubly linked list keeps
 * the entries in the order of their latest failure (oldest at the head).
 * Each failure moves its entry to the tail, so the oldest entry — the one to
 * evict when the table is full, or to forget when idle — is always the
 * head: O(1) either way. This relies on now_ms never going backwards
 * (okr_mono_ms); if it did, the head would be the least recently failed
 * entry, which is still a fair choice.
 *
 * Keys are chosen by clients, so the table's hash is seeded from the
 * CSPRNG; even with collisions a lookup costs at most `capacity`
 * comparisons, which is small next to the argon2id verification every
 * attempt already pays for.
 */
#include "throttle.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "key_table.h"

/* A key's value in the table. */
typedef struct throttle__entry {
    struct throttle__entry *prev, *next; /* failure-time order */
    uint64_t last_fail_ms;
    unsigned failures;
} throttle__entry_t;

struct okr_throttle {
    okr_throttle_params_t params;
    okr_key_table_t *table;
    throttle__entry_t *oldest, *newest;
};

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
    t->table = okr_key_table_new(sizeof(throttle__entry_t));
    if (t->table == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

void okr_throttle_free(okr_throttle_t *t)
{
    if (t == NULL)
        return;
    okr_key_table_free(t->table);
    free(t);
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
    throttle__list_unlink(t, e);
    okr_key_table_remove(t->table, e);
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
    const throttle__entry_t *e = okr_key_table_find(t->table, key, strlen(key));
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

    int made;
    throttle__entry_t *e = okr_key_table_add(t->table, key, strlen(key), &made);
    if (e == NULL)
        return; /* out of memory: this failure goes uncounted */
    if (!made) {
        if (e->failures < UINT_MAX)
            e->failures++;
        e->last_fail_ms = now_ms;
        throttle__list_unlink(t, e);
        throttle__list_append(t, e);
        return;
    }
    /* Full: the oldest makes room (the new entry is not in the order yet). */
    if (okr_key_table_size(t->table) > t->params.capacity)
        throttle__remove(t, t->oldest);
    e->last_fail_ms = now_ms;
    e->failures = 1;
    throttle__list_append(t, e);
}

void okr_throttle_success(okr_throttle_t *t, const char *key)
{
    throttle__entry_t *e = okr_key_table_find(t->table, key, strlen(key));
    if (e != NULL)
        throttle__remove(t, e);
}

size_t okr_throttle_size(const okr_throttle_t *t)
{
    return okr_key_table_size(t->table);
}
