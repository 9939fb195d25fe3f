/* sessions.c — the login sessions' housekeeping: see sessions.h. */
#include "sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "okr_error.h"
#include "session_store.h"

/* The record under a cursor into e; 0, or -1 if it does not unpack (okrd
 * --check reports such a record; here it is left alone). */
static int sessions__entry(const MDB_val *k, const MDB_val *v, okr_session_entry_t *e)
{
    if (k->mv_size != OKR_TOKEN_HASH_LEN)
        return -1;
    Okr__SessionRecord *rec = okr__session_record__unpack(NULL, v->mv_size, v->mv_data);
    if (!rec)
        return -1;
    memcpy(e->hash, k->mv_data, OKR_TOKEN_HASH_LEN);
    e->user_id = rec->user_id;
    e->created_at = rec->created_at;
    e->expires_at = rec->expires_at;
    snprintf(e->peer, sizeof e->peer, "%s", rec->peer ? rec->peer : "");
    okr__session_record__free_unpacked(rec, NULL);
    return 0;
}

/* Entries are collected first and deleted after, so no cursor walks a page
 * that is changing. */
static int sessions__delete_all(okr_store_t *s, MDB_txn *txn, const okr_session_entry_t *e,
                                size_t n)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = okr_session_store_del(s, txn, e[i].user_id, e[i].created_at, e[i].hash);
    return rc;
}

int okr_sessions_sweep(okr_store_t *s, MDB_txn *txn, int64_t now, const uint8_t *from, size_t limit,
                       size_t *deleted, uint8_t next[OKR_TOKEN_HASH_LEN], int *more)
{
    *deleted = 0;
    *more = 0;
    if (limit == 0)
        return OKR_E_BAD_REQUEST;
    okr_session_entry_t *doomed = malloc(limit * sizeof *doomed);
    if (!doomed)
        return OKR_E_NOMEM;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, okr_store_dbi(s, OKR_DB_SESSIONS), &cur) != 0) {
        free(doomed);
        return OKR_E_INTERNAL;
    }
    MDB_val k = {OKR_TOKEN_HASH_LEN, (void *)from}, v;
    int mrc = mdb_cursor_get(cur, &k, &v, from ? MDB_SET_RANGE : MDB_FIRST);
    size_t walked = 0, n = 0;
    for (; mrc == 0 && walked < limit; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), walked++)
        if (sessions__entry(&k, &v, &doomed[n]) == 0 && doomed[n].expires_at <= now)
            n++;
    int rc = mrc == 0 || mrc == MDB_NOTFOUND ? 0 : okr_store_err(mrc);
    if (rc == 0 && mrc == 0 && k.mv_size == OKR_TOKEN_HASH_LEN) {
        memcpy(next, k.mv_data, OKR_TOKEN_HASH_LEN);
        *more = 1;
    }
    mdb_cursor_close(cur);
    if (rc == 0)
        rc = sessions__delete_all(s, txn, doomed, n);
    if (rc == 0)
        *deleted = n;
    free(doomed);
    return rc;
}

/* A user's sessions as collect() gathers them from the index. */
typedef struct sessions__of {
    okr_store_t *s;
    MDB_txn *txn;
    uint64_t user_id;
    int64_t now;
    okr_session_entry_t *e;
    size_t n, live, cap;
} sessions__of_t;

static int sessions__add(void *arg, int64_t created_at, const uint8_t hash[OKR_TOKEN_HASH_LEN])
{
    (void)created_at;
    sessions__of_t *o = arg;
    MDB_val k = {OKR_TOKEN_HASH_LEN, (void *)hash}, v;
    int rc = okr_store_get(o->s, o->txn, OKR_DB_SESSIONS, hash, OKR_TOKEN_HASH_LEN, &v);
    if (rc != 0)
        return rc == OKR_E_NOT_FOUND ? 0 : rc; /* no session: okrd --check reports the entry */
    okr_session_entry_t e;
    if (sessions__entry(&k, &v, &e) != 0 || e.user_id != o->user_id)
        return 0; /* not a session of this user's: the same */
    if (o->n == o->cap) {
        size_t ncap = o->cap ? o->cap * 2 : 8;
        okr_session_entry_t *grown = realloc(o->e, ncap * sizeof *grown);
        if (!grown)
            return OKR_E_NOMEM;
        o->e = grown;
        o->cap = ncap;
    }
    /* The live ones before the expired ones, each in the index's order. */
    size_t at = e.expires_at > o->now ? o->live++ : o->n;
    memmove(&o->e[at + 1], &o->e[at], (o->n - at) * sizeof e);
    o->e[at] = e;
    o->n++;
    return 0;
}

/* Every session of user_id, from the index: in *out newest first, the
 * *live ones not expired at now before the others; *n in all. */
static int sessions__collect(okr_store_t *s, MDB_txn *txn, uint64_t user_id, int64_t now,
                             okr_session_entry_t **out, size_t *n, size_t *live)
{
    sessions__of_t o = {.s = s, .txn = txn, .user_id = user_id, .now = now};
    int rc = okr_session_index_each(s, txn, user_id, sessions__add, &o);
    if (rc != 0 || o.n == 0) {
        free(o.e);
        o = (sessions__of_t){0};
    }
    *out = o.e;
    *n = o.n;
    *live = o.live;
    return rc;
}

int okr_sessions_of_user(okr_store_t *s, MDB_txn *txn, uint64_t user_id, int64_t now,
                         okr_session_entry_t **out, size_t *n)
{
    size_t total;
    int rc = sessions__collect(s, txn, user_id, now, out, &total, n);
    if (*n == 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

int okr_sessions_cap_user(okr_store_t *s, MDB_txn *txn, uint64_t user_id, uint64_t max,
                          const uint8_t *keep, int64_t now, uint8_t (**evicted)[OKR_TOKEN_HASH_LEN],
                          size_t *n)
{
    *evicted = NULL;
    *n = 0;
    if (max == 0)
        return 0;
    okr_session_entry_t *e;
    size_t total, live;
    int rc = sessions__collect(s, txn, user_id, now, &e, &total, &live);
    if (rc != 0)
        return rc;
    /* The one kept counts against the cap and is never evicted: it is
     * moved to the front, whatever its time. */
    for (size_t i = 0; keep && i < live; i++)
        if (memcmp(e[i].hash, keep, OKR_TOKEN_HASH_LEN) == 0) {
            okr_session_entry_t t = e[i];
            memmove(e + 1, e, i * sizeof *e);
            e[0] = t;
            break;
        }
    /* The live ones beyond the cap go (they are returned), and the
     * expired ones of this user after them, which cost nothing more to
     * drop here. */
    size_t first_evicted = live > max ? (size_t)max : live;
    size_t nevicted = live - first_evicted;
    rc = sessions__delete_all(s, txn, e + first_evicted, total - first_evicted);
    if (rc == 0 && nevicted > 0 && !(*evicted = malloc(nevicted * sizeof **evicted)))
        rc = OKR_E_NOMEM;
    for (size_t i = 0; rc == 0 && i < nevicted; i++)
        memcpy((*evicted)[i], e[first_evicted + i].hash, OKR_TOKEN_HASH_LEN);
    if (rc == 0)
        *n = nevicted;
    free(e);
    return rc;
}

int okr_sessions_delete_for_user(okr_store_t *s, MDB_txn *txn, uint64_t user_id,
                                 const uint8_t *keep)
{
    okr_session_entry_t *e;
    size_t total, live;
    int rc = sessions__collect(s, txn, user_id, 0, &e, &total, &live);
    for (size_t i = 0; rc == 0 && i < total; i++)
        if (!keep || memcmp(e[i].hash, keep, OKR_TOKEN_HASH_LEN) != 0)
            rc = okr_session_store_del(s, txn, user_id, e[i].created_at, e[i].hash);
    free(e);
    return rc;
}

/* The value of a hex digit, or -1. */
static int sessions__nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* 1 if the key's first ndigits hex digits are those of prefix (bytes, the
 * last one's low nibble unused when ndigits is odd). */
static int sessions__starts_with(const uint8_t *key, const uint8_t *prefix, size_t ndigits)
{
    if (memcmp(key, prefix, ndigits / 2) != 0)
        return 0;
    return ndigits % 2 == 0 || (key[ndigits / 2] >> 4) == (prefix[ndigits / 2] >> 4);
}

int okr_session_id_check(const char *hex)
{
    size_t ndigits = strlen(hex);
    if (ndigits < OKR_SESSION_ID_MIN_HEX || ndigits > 2 * OKR_TOKEN_HASH_LEN)
        return OKR_E_BAD_REQUEST;
    for (size_t i = 0; i < ndigits; i++)
        if (sessions__nibble(hex[i]) < 0)
            return OKR_E_BAD_REQUEST;
    return 0;
}

int okr_sessions_find(okr_store_t *s, MDB_txn *txn, const char *hex, uint64_t user_id, int64_t now,
                      okr_session_entry_t *out)
{
    if (okr_session_id_check(hex) != 0)
        return OKR_E_BAD_REQUEST;
    size_t ndigits = strlen(hex);
    uint8_t prefix[OKR_TOKEN_HASH_LEN] = {0};
    for (size_t i = 0; i < ndigits; i++) {
        int v = sessions__nibble(hex[i]);
        prefix[i / 2] |= (uint8_t)(i % 2 ? v : v << 4);
    }
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, okr_store_dbi(s, OKR_DB_SESSIONS), &cur) != 0)
        return OKR_E_INTERNAL;
    /* The keys that start with the prefix follow one another from the
     * prefix padded with zeros. */
    MDB_val k = {OKR_TOKEN_HASH_LEN, prefix}, v;
    size_t found = 0;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; mrc == 0 && found < 2; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != OKR_TOKEN_HASH_LEN || !sessions__starts_with(k.mv_data, prefix, ndigits))
            break;
        okr_session_entry_t e;
        if (sessions__entry(&k, &v, &e) != 0 || e.expires_at <= now ||
            (user_id && e.user_id != user_id))
            continue;
        if (found++ == 0)
            *out = e;
    }
    mdb_cursor_close(cur);
    if (mrc != 0 && mrc != MDB_NOTFOUND)
        return okr_store_err(mrc);
    return found == 0 ? OKR_E_NOT_FOUND : found > 1 ? OKR_E_CONFLICT : 0;
}

void okr_session_id(const uint8_t hash[OKR_TOKEN_HASH_LEN], char out[OKR_SESSION_ID_HEX + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < OKR_SESSION_ID_HEX / 2; i++) {
        out[2 * i] = digits[hash[i] >> 4];
        out[2 * i + 1] = digits[hash[i] & 15];
    }
    out[OKR_SESSION_ID_HEX] = '\0';
}
