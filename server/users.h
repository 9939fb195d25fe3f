/* users.h — user and session records in the store.
 *
 * Users live in OKR_DB_USERS (id -> UserRecord) with a unique index
 * OKR_DB_USERS_BY_NAME (case-folded username -> id). Sessions live in
 * OKR_DB_SESSIONS keyed by SHA-256(token), filed by user in an index
 * (session_store.h); ending all of a user's is in sessions.h. Every user
 * write appends one Change (without the password hash) in the same
 * transaction.
 *
 * All functions take an open transaction; write functions need the writer's.
 * Returned records are unpacked copies the caller frees with
 * okr__user_record__free_unpacked(rec, NULL).
 */
#ifndef OKR_USERS_H
#define OKR_USERS_H

#include <lmdb.h>
#include <stdint.h>

#include "auth.h"
#include "okr.pb-c.h"
#include "store.h"

#define OKR_USERNAME_MAX     64
#define OKR_DISPLAY_NAME_MAX 128

/* Usernames: 1-64 bytes of ASCII letters, digits, '.', '_' and '-',
 * starting with a letter or digit (they appear in commands and logs).
 * Returns 0 or OKR_E_BAD_REQUEST with a message. */
int okr_username_check(const char *name, char *msg, size_t msglen);

/* Display names: 1 (0 with allow_empty) to OKR_DISPLAY_NAME_MAX bytes of
 * UTF-8 without control characters (C0, DEL or C1: they would move a
 * terminal's cursor or change its colours wherever the name is shown).
 * Returns 0 or OKR_E_BAD_REQUEST with a message. */
int okr_display_name_check(const char *name, int allow_empty, char *msg, size_t msglen);

int okr_users_get(okr_store_t *s, MDB_txn *txn, uint64_t id, Okr__UserRecord **out);

/* Case-insensitive lookup. 0, OKR_E_NOT_FOUND or an error. */
int okr_users_find(okr_store_t *s, MDB_txn *txn, const char *username, Okr__UserRecord **out);

/* Assigns rec->user->id, version 1 and the times; OKR_E_CONFLICT if the
 * name is taken. */
int okr_users_insert(okr_store_t *s, MDB_txn *txn, Okr__UserRecord *rec, uint64_t actor_id);

/* Bumps version and updated_at and stores rec (same username). */
int okr_users_update(okr_store_t *s, MDB_txn *txn, Okr__UserRecord *rec, uint64_t actor_id);

/* Number of users, and of active admins. */
uint64_t okr_users_count(okr_store_t *s, MDB_txn *txn);
uint64_t okr_users_count_active_admins(okr_store_t *s, MDB_txn *txn);

/* Deletes a session by its hash (and its entry in the index by user), a
 * session already gone being no error; it is stored with
 * okr_session_store_put (session_store.h). 0 or an okr_err_t. */
int okr_sessions_delete(okr_store_t *s, MDB_txn *txn, const uint8_t hash[OKR_TOKEN_HASH_LEN]);

/* Checks a session in its own read transaction: it exists, has not expired,
 * and its user is active. On success *user is the user (caller frees with
 * okr__user__free_unpacked) and *expires_at (if not NULL) its expiry.
 * Returns 0 or OKR_E_UNAUTHENTICATED. */
int okr_session_check(okr_store_t *s, const uint8_t hash[OKR_TOKEN_HASH_LEN], Okr__User **user,
                      int64_t *expires_at);

/* A deep copy of a User (free with okr__user__free_unpacked), or NULL. */
Okr__User *okr_user_dup(const Okr__User *u);

#endif
