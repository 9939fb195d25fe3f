/* session_store.h — a login session's record and its entry in the index of
 * sessions by user, written together.
 *
 * OKR_DB_SESSIONS holds SHA-256(token) -> SessionRecord: a request finds its
 * session by the token's hash. OKR_DB_IDX_USER_SESSIONS holds one key per
 * session, big-endian (user id, created_at, token hash), with an empty
 * value: a user's sessions are one range of keys, oldest first, so the cap
 * at login, a user's list and ending all of a user's sessions cost that
 * user's sessions, not everyone's. A created_at before 1970 (never written)
 * is filed at 0: the key is always computed from the record, so it need
 * only be the same every time.
 *
 * Every write of OKR_DB_SESSIONS goes through here, so the two stay in step
 * in one transaction; okrd --check verifies both ways (check.h). This is
 * the store's layer (it builds the index when a version-1 store is opened:
 * migrate.h); what sessions mean is in users.h and sessions.h.
 *
 * All functions take an open transaction; those that write need the
 * writer's. None keeps a pointer into the store past its return.
 */
#ifndef OKR_SESSION_STORE_H
#define OKR_SESSION_STORE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "keys.h"
#include "okr.pb-c.h"
#include "store.h"

#define OKR_SESSION_INDEX_KEY_LEN (2 * OKR_KEY_U64_LEN + OKR_TOKEN_HASH_LEN)

/* The index key of the session hashed as hash, of user_id, opened at
 * created_at (ms). */
void okr_session_index_key(uint8_t out[OKR_SESSION_INDEX_KEY_LEN], uint64_t user_id,
                           int64_t created_at, const uint8_t hash[OKR_TOKEN_HASH_LEN]);

/* Stores rec under hash and files it in the index; a session stored under
 * the same hash before is replaced and its entry removed. Returns 0,
 * OKR_E_FULL (the writer grows the map and retries) or OKR_E_INTERNAL. */
int okr_session_store_put(okr_store_t *s, MDB_txn *txn, const uint8_t hash[OKR_TOKEN_HASH_LEN],
                          const Okr__SessionRecord *rec);

/* Deletes the session filed as (user_id, created_at, hash): its record and
 * its index entry, either of which may be gone already. Returns 0,
 * OKR_E_FULL or OKR_E_INTERNAL. */
int okr_session_store_del(okr_store_t *s, MDB_txn *txn, uint64_t user_id, int64_t created_at,
                          const uint8_t hash[OKR_TOKEN_HASH_LEN]);

/* Called for each index entry of a user; a non-zero return stops the walk. */
typedef int (*okr_session_key_fn)(void *arg, int64_t created_at,
                                  const uint8_t hash[OKR_TOKEN_HASH_LEN]);

/* Calls fn for each index entry of user_id, newest first (equal times: the
 * higher hash first). fn must not write the index: collect, then write.
 * Returns 0, fn's first non-zero return, or OKR_E_INTERNAL. */
int okr_session_index_each(okr_store_t *s, MDB_txn *txn, uint64_t user_id, okr_session_key_fn fn,
                           void *arg);

/* Files every stored session in the index (the migration from schema 1,
 * whose stores have none). A record that does not unpack is left out, as
 * no request can use it (okrd --check reports it). *n is how many were
 * filed. Returns 0, OKR_E_FULL or OKR_E_INTERNAL. */
int okr_session_index_build(okr_store_t *s, MDB_txn *txn, uint64_t *n);

#endif
