/* session_store.c — a session's record and its index entry: see session_store.h. */
#include "session_store.h"

#include <string.h>

#include "okr_error.h"

void okr_session_index_key(uint8_t out[OKR_SESSION_INDEX_KEY_LEN], uint64_t user_id,
                           int64_t created_at, const uint8_t hash[OKR_TOKEN_HASH_LEN])
{
    okr_key_put_u64_pair(out, user_id, created_at > 0 ? (uint64_t)created_at : 0);
    memcpy(out + 2 * OKR_KEY_U64_LEN, hash, OKR_TOKEN_HASH_LEN);
}

static int session_store__unfile(okr_store_t *s, MDB_txn *txn, uint64_t user_id, int64_t created_at,
                                 const uint8_t hash[OKR_TOKEN_HASH_LEN])
{
    uint8_t key[OKR_SESSION_INDEX_KEY_LEN];
    okr_session_index_key(key, user_id, created_at, hash);
    int rc = okr_store_del(s, txn, OKR_DB_IDX_USER_SESSIONS, key, sizeof key);
    return rc == OKR_E_NOT_FOUND ? 0 : rc;
}

static int session_store__file(okr_store_t *s, MDB_txn *txn, uint64_t user_id, int64_t created_at,
                               const uint8_t hash[OKR_TOKEN_HASH_LEN])
{
    uint8_t key[OKR_SESSION_INDEX_KEY_LEN];
    okr_session_index_key(key, user_id, created_at, hash);
    return okr_store_put(s, txn, OKR_DB_IDX_USER_SESSIONS, key, sizeof key, "", 0);
}

int okr_session_store_put(okr_store_t *s, MDB_txn *txn, const uint8_t hash[OKR_TOKEN_HASH_LEN],
                          const Okr__SessionRecord *rec)
{
    /* Tokens are 256 random bits, so a hash already stored is next to
     * impossible; were it there, its entry must not outlive it. */
    MDB_val old;
    int rc = okr_store_get(s, txn, OKR_DB_SESSIONS, hash, OKR_TOKEN_HASH_LEN, &old);
    if (rc == 0) {
        Okr__SessionRecord *was = okr__session_record__unpack(NULL, old.mv_size, old.mv_data);
        if (was) {
            rc = session_store__unfile(s, txn, was->user_id, was->created_at, hash);
            okr__session_record__free_unpacked(was, NULL);
        }
    } else if (rc == OKR_E_NOT_FOUND) {
        rc = 0;
    }
    if (rc == 0)
        rc = okr_store_put_msg(s, txn, OKR_DB_SESSIONS, hash, OKR_TOKEN_HASH_LEN, &rec->base);
    if (rc == 0)
        rc = session_store__file(s, txn, rec->user_id, rec->created_at, hash);
    return rc;
}

int okr_session_store_del(okr_store_t *s, MDB_txn *txn, uint64_t user_id, int64_t created_at,
                          const uint8_t hash[OKR_TOKEN_HASH_LEN])
{
    int rc = okr_store_del(s, txn, OKR_DB_SESSIONS, hash, OKR_TOKEN_HASH_LEN);
    if (rc == 0 || rc == OKR_E_NOT_FOUND)
        rc = session_store__unfile(s, txn, user_id, created_at, hash);
    return rc;
}

/* Puts the cursor on the last entry of user_id, or past the start of the
 * index (MDB_NOTFOUND) if there is none: the entry just before the first
 * of user_id + 1, or the very last. */
static int session_store__seek_last(MDB_cursor *cur, uint64_t user_id, MDB_val *k)
{
    MDB_val v;
    uint8_t after[OKR_KEY_U64_LEN];
    int mrc = MDB_NOTFOUND;
    if (user_id < UINT64_MAX) {
        okr_key_put_u64(after, user_id + 1);
        *k = (MDB_val){sizeof after, after};
        mrc = mdb_cursor_get(cur, k, &v, MDB_SET_RANGE);
    }
    if (mrc == MDB_NOTFOUND)
        return mdb_cursor_get(cur, k, &v, MDB_LAST);
    return mrc == 0 ? mdb_cursor_get(cur, k, &v, MDB_PREV) : mrc;
}

int okr_session_index_each(okr_store_t *s, MDB_txn *txn, uint64_t user_id, okr_session_key_fn fn,
                           void *arg)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, okr_store_dbi(s, OKR_DB_IDX_USER_SESSIONS), &cur) != 0)
        return OKR_E_INTERNAL;
    MDB_val k, v;
    int rc = 0, mrc = session_store__seek_last(cur, user_id, &k);
    for (; rc == 0 && mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        const uint8_t *key = k.mv_data;
        if (k.mv_size < OKR_KEY_U64_LEN || okr_key_get_u64(key) != user_id)
            break;
        if (k.mv_size != OKR_SESSION_INDEX_KEY_LEN)
            continue; /* not an entry this build writes: okrd --check reports it */
        rc = fn(arg, (int64_t)okr_key_get_u64(key + OKR_KEY_U64_LEN), key + 2 * OKR_KEY_U64_LEN);
    }
    mdb_cursor_close(cur);
    if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = okr_store_err(mrc);
    return rc;
}

int okr_session_index_build(okr_store_t *s, MDB_txn *txn, uint64_t *n)
{
    *n = 0;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, okr_store_dbi(s, OKR_DB_SESSIONS), &cur) != 0)
        return OKR_E_INTERNAL;
    /* Writing another database while walking this one leaves the cursor
     * where it is. */
    MDB_val k, v;
    int rc = 0, mrc;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        Okr__SessionRecord *rec = k.mv_size == OKR_TOKEN_HASH_LEN
                                      ? okr__session_record__unpack(NULL, v.mv_size, v.mv_data)
                                      : NULL;
        if (!rec)
            continue;
        rc = session_store__file(s, txn, rec->user_id, rec->created_at, k.mv_data);
        okr__session_record__free_unpacked(rec, NULL);
        if (rc == 0)
            ++*n;
    }
    mdb_cursor_close(cur);
    if (rc == 0 && mrc != MDB_NOTFOUND)
        rc = okr_store_err(mrc);
    return rc;
}
