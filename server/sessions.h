/* sessions.h — looking after the login sessions in the store: purging the
 * expired, keeping a user under a cap, listing a user's, ending all of a
 * user's, finding one by the short id people type.
 *
 * Sessions live in OKR_DB_SESSIONS, SHA-256(token) -> SessionRecord, and
 * are filed by user in OKR_DB_IDX_USER_SESSIONS, (user, created_at, hash),
 * both written together by session_store.h (okr_session_store_put opens
 * one); a session is ended and checked by users.h (okr_sessions_delete,
 * okr_session_check). The cap runs at every login, on the writer thread:
 * with a scan it read every session of everyone (30,000 for 10,000 people
 * on 3 devices) and held up every other write; the index makes it, a
 * user's list and ending a user's sessions cost only that user's, at the
 * price of one more key per session written in the same transaction. The
 * sweep still walks the sessions themselves, in rounds: it looks for the
 * expired of everyone. A session's id on the wire is its token hash in
 * hex: not a secret (a hash cannot log in), and sorted as the keys are, so
 * a prefix of it is found with one seek.
 *
 * All functions take an open transaction; those that delete need the
 * writer's. None keeps a pointer into the store past its return.
 */
#ifndef OKR_SESSIONS_H
#define OKR_SESSIONS_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "okr.pb-c.h"
#include "store.h"

/* Hex digits of a session id as sent (SessionList) and the fewest a
 * revoke accepts: okr shows 8, and 6 keep a prefix's range of keys tiny. */
#define OKR_SESSION_ID_HEX     16
#define OKR_SESSION_ID_MIN_HEX 6

/* The sessions one round of the sweep walks at most: the round is one
 * write transaction, and the writer's other writes wait behind it. */
#define OKR_SESSION_SWEEP_BATCH 1000

/* One session, copied out of the store. */
typedef struct okr_session_entry {
    uint8_t hash[OKR_TOKEN_HASH_LEN];
    uint64_t user_id;
    int64_t created_at;
    int64_t expires_at;
    char peer[64]; /* the address it was opened from (cut to fit) */
} okr_session_entry_t;

/* One round of the sweep: walks at most limit sessions, from the first key
 * at or after from (NULL: the first of all), and deletes those expired at
 * now. *deleted is how many it deleted. If sessions are left after those
 * walked, *more is 1 and next holds the key the next round starts from;
 * else *more is 0 (the walk reached the end). Returns 0 or an okr_err_t. */
int okr_sessions_sweep(okr_store_t *s, MDB_txn *txn, int64_t now, const uint8_t *from, size_t limit,
                       size_t *deleted, uint8_t next[OKR_TOKEN_HASH_LEN], int *more);

/* The live (not expired at now) sessions of user_id, newest first (by
 * created_at; equal times in the index's order, the higher hash first), in
 * *out (malloc'd, the caller frees; NULL when *n is 0). Returns 0 or an
 * okr_err_t. */
int okr_sessions_of_user(okr_store_t *s, MDB_txn *txn, uint64_t user_id, int64_t now,
                         okr_session_entry_t **out, size_t *n);

/* Keeps user_id at most max live sessions: deletes the oldest (by
 * created_at) beyond max, never the one hashed as keep (may be NULL; the
 * session just opened), and every expired one of that user on the way.
 * The hashes of the live ones deleted are in *evicted (malloc'd, the
 * caller frees; NULL when *n is 0): their connections are to be ended.
 * max 0 keeps every one. Returns 0 or an okr_err_t. */
int okr_sessions_cap_user(okr_store_t *s, MDB_txn *txn, uint64_t user_id, uint64_t max,
                          const uint8_t *keep, int64_t now, uint8_t (**evicted)[OKR_TOKEN_HASH_LEN],
                          size_t *n);

/* Deletes every session of user_id (expired ones too) except the one
 * hashed as keep (may be NULL). Returns 0 or an okr_err_t. */
int okr_sessions_delete_for_user(okr_store_t *s, MDB_txn *txn, uint64_t user_id,
                                 const uint8_t *keep);

/* Finds the live session whose id starts with hex (OKR_SESSION_ID_MIN_HEX
 * to 2 * OKR_TOKEN_HASH_LEN lowercase or uppercase hex digits), among
 * user_id's only if user_id is not 0 (the others do not exist for the
 * caller, not even to make an id ambiguous). On 0, *out is that session.
 * Returns 0, OKR_E_BAD_REQUEST (not such an id), OKR_E_NOT_FOUND,
 * OKR_E_CONFLICT (more than one starts so), or another okr_err_t. */
int okr_sessions_find(okr_store_t *s, MDB_txn *txn, const char *hex, uint64_t user_id, int64_t now,
                      okr_session_entry_t *out);

/* 0 if hex may be (the start of) a session id: OKR_SESSION_ID_MIN_HEX to
 * 2 * OKR_TOKEN_HASH_LEN hex digits, either case; else OKR_E_BAD_REQUEST. */
int okr_session_id_check(const char *hex);

/* The id of a session as sent: the first OKR_SESSION_ID_HEX hex digits
 * of its hash, lowercase, NUL-terminated. */
void okr_session_id(const uint8_t hash[OKR_TOKEN_HASH_LEN], char out[OKR_SESSION_ID_HEX + 1]);

#endif
