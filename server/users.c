#include "users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "domain.h"
#include "keys.h"
#include "okr_error.h"
#include "session_store.h"
#include "validate.h"

int okr_username_check(const char *name, char *msg, size_t msglen)
{
    size_t len = strlen(name);
    int ok = len >= 1 && len <= OKR_USERNAME_MAX;
    for (size_t i = 0; ok && i < len; i++) {
        char ch = name[i];
        int alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        ok = alnum || (i > 0 && (ch == '.' || ch == '_' || ch == '-'));
    }
    if (!ok) {
        snprintf(msg, msglen,
                 "username must be 1 to %d characters: letters, digits, '.', '_' or '-', "
                 "starting with a letter or digit",
                 OKR_USERNAME_MAX);
        return OKR_E_BAD_REQUEST;
    }
    return 0;
}

int okr_display_name_check(const char *name, int allow_empty, char *msg, size_t msglen)
{
    if (okr_check_string("display_name", name, allow_empty ? 0 : 1, OKR_DISPLAY_NAME_MAX, msg,
                         msglen))
        return OKR_E_BAD_REQUEST;
    /* Valid UTF-8 by now: a C1 control is U+0080..U+009F, bytes C2 80..C2 9F.
     * Text-direction overrides and isolates (U+202A..U+202E, U+2066..U+2069:
     * E2 80 AA..AE, E2 81 A6..A9) and the line and paragraph separators
     * (U+2028, U+2029: E2 80 A8..A9) would let a name make the text after it
     * on a screen read as something else: refused as well. */
    const unsigned char *p = (const unsigned char *)name;
    for (size_t i = 0; p[i]; i++) {
        int c0 = p[i] < 0x20 || p[i] == 0x7f;
        int c1 = p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f;
        int layout = p[i] == 0xe2 && ((p[i + 1] == 0x80 && p[i + 2] >= 0xa8 && p[i + 2] <= 0xae) ||
                                      (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9));
        if (c0 || c1 || layout) {
            snprintf(msg, msglen,
                     "display_name must not contain control characters, line breaks or "
                     "text-direction overrides (found one at byte %zu)",
                     i);
            return OKR_E_BAD_REQUEST;
        }
    }
    return 0;
}

Okr__User *okr_user_dup(const Okr__User *u)
{
    size_t n = okr__user__get_packed_size(u);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return NULL;
    okr__user__pack(u, buf);
    Okr__User *copy = okr__user__unpack(NULL, n, buf);
    free(buf);
    return copy;
}

int okr_users_get(okr_store_t *s, MDB_txn *txn, uint64_t id, Okr__UserRecord **out)
{
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, id);
    return okr_store_get_msg(s, txn, OKR_DB_USERS, key, sizeof key, &okr__user_record__descriptor,
                             (ProtobufCMessage **)out);
}

/* Looks the folded name up in the index: 0 with *id, or OKR_E_NOT_FOUND. */
static int users__id_by_name(okr_store_t *s, MDB_txn *txn, const char *folded, uint64_t *id)
{
    MDB_val v;
    int rc = okr_store_get(s, txn, OKR_DB_USERS_BY_NAME, folded, strlen(folded), &v);
    if (rc != 0)
        return rc;
    if (v.mv_size != OKR_KEY_U64_LEN)
        return OKR_E_INTERNAL;
    *id = okr_key_get_u64(v.mv_data);
    return 0;
}

int okr_users_find(okr_store_t *s, MDB_txn *txn, const char *username, Okr__UserRecord **out)
{
    char *folded = okr_key_fold_name(username);
    if (!folded)
        return OKR_E_NOT_FOUND;
    uint64_t id;
    int rc = users__id_by_name(s, txn, folded, &id);
    free(folded);
    return rc != 0 ? rc : okr_users_get(s, txn, id, out);
}

/* Stores the record and logs the change (the User part only: no hash). */
static int users__store(okr_store_t *s, MDB_txn *txn, Okr__UserRecord *rec, uint64_t actor_id,
                        Okr__ChangeOp op)
{
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, rec->user->id);
    int rc = okr_store_put_msg(s, txn, OKR_DB_USERS, key, sizeof key, &rec->base);
    if (rc != 0)
        return rc;
    return okr_change_record(s, txn, actor_id, op, OKR__ENTITY_KIND__ENTITY_KIND_USER,
                             rec->user->id, &rec->user->base, NULL, NULL);
}

int okr_users_insert(okr_store_t *s, MDB_txn *txn, Okr__UserRecord *rec, uint64_t actor_id)
{
    char *folded = okr_key_fold_name(rec->user->username);
    if (!folded)
        return OKR_E_BAD_REQUEST;
    uint64_t existing;
    int rc = users__id_by_name(s, txn, folded, &existing);
    if (rc == 0) {
        free(folded);
        return OKR_E_CONFLICT;
    }
    if (rc != OKR_E_NOT_FOUND) {
        free(folded);
        return rc;
    }
    uint64_t id;
    rc = okr_store_next_id(s, txn, "user", &id);
    if (rc == 0) {
        uint8_t key[OKR_KEY_U64_LEN];
        okr_key_put_u64(key, id);
        rc = okr_store_put(s, txn, OKR_DB_USERS_BY_NAME, folded, strlen(folded), key, sizeof key);
    }
    free(folded);
    if (rc != 0)
        return rc;
    int64_t now = okr_wall_ms();
    rec->user->id = id;
    rec->user->version = 1;
    rec->user->created_at = now;
    rec->user->updated_at = now;
    return users__store(s, txn, rec, actor_id, OKR__CHANGE_OP__CHANGE_OP_CREATE);
}

int okr_users_update(okr_store_t *s, MDB_txn *txn, Okr__UserRecord *rec, uint64_t actor_id)
{
    rec->user->version++;
    rec->user->updated_at = okr_wall_ms();
    return users__store(s, txn, rec, actor_id, OKR__CHANGE_OP__CHANGE_OP_UPDATE);
}

/* Calls fn for every user record; stops at the first non-zero return. */
static int users__each(okr_store_t *s, MDB_txn *txn, int (*fn)(void *, Okr__UserRecord *),
                       void *arg)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, okr_store_dbi(s, OKR_DB_USERS), &cur) != 0)
        return OKR_E_INTERNAL;
    MDB_val k, v;
    int rc = 0, mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0 && mrc == 0) {
        Okr__UserRecord *rec = okr__user_record__unpack(NULL, v.mv_size, v.mv_data);
        if (!rec) {
            rc = OKR_E_INTERNAL;
            break;
        }
        rc = fn(arg, rec);
        okr__user_record__free_unpacked(rec, NULL);
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc;
}

static int users__count_admin(void *arg, Okr__UserRecord *rec)
{
    if (rec->user && rec->user->active && rec->user->role == OKR__ROLE__ROLE_ADMIN)
        ++*(uint64_t *)arg;
    return 0;
}

uint64_t okr_users_count_active_admins(okr_store_t *s, MDB_txn *txn)
{
    uint64_t n = 0;
    users__each(s, txn, users__count_admin, &n);
    return n;
}

uint64_t okr_users_count(okr_store_t *s, MDB_txn *txn)
{
    MDB_stat st;
    if (mdb_stat(txn, okr_store_dbi(s, OKR_DB_USERS), &st) != 0)
        return 0;
    return st.ms_entries;
}

int okr_sessions_delete(okr_store_t *s, MDB_txn *txn, const uint8_t hash[OKR_TOKEN_HASH_LEN])
{
    Okr__SessionRecord *rec;
    int rc = okr_store_get_msg(s, txn, OKR_DB_SESSIONS, hash, OKR_TOKEN_HASH_LEN,
                               &okr__session_record__descriptor, (ProtobufCMessage **)&rec);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    /* A record that does not unpack opens nothing, and no entry of the
     * index can be found for it: it goes alone. */
    if (rc != 0)
        return okr_store_del(s, txn, OKR_DB_SESSIONS, hash, OKR_TOKEN_HASH_LEN);
    rc = okr_session_store_del(s, txn, rec->user_id, rec->created_at, hash);
    okr__session_record__free_unpacked(rec, NULL);
    return rc;
}

int okr_session_check(okr_store_t *s, const uint8_t hash[OKR_TOKEN_HASH_LEN], Okr__User **user,
                      int64_t *expires_at)
{
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0)
        return OKR_E_UNAUTHENTICATED;
    int rc = OKR_E_UNAUTHENTICATED;
    Okr__SessionRecord *sess = NULL;
    Okr__UserRecord *rec = NULL;
    if (okr_store_get_msg(s, txn, OKR_DB_SESSIONS, hash, OKR_TOKEN_HASH_LEN,
                          &okr__session_record__descriptor, (ProtobufCMessage **)&sess) != 0)
        goto out;
    if (sess->expires_at <= okr_wall_ms())
        goto out;
    if (okr_users_get(s, txn, sess->user_id, &rec) != 0 || !rec->user || !rec->user->active)
        goto out;
    *user = okr_user_dup(rec->user);
    if (!*user)
        goto out;
    if (expires_at)
        *expires_at = sess->expires_at;
    rc = 0;
out:
    if (sess)
        okr__session_record__free_unpacked(sess, NULL);
    if (rec)
        okr__user_record__free_unpacked(rec, NULL);
    okr_store_read_end(s, txn);
    return rc;
}
