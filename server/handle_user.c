/* handle_user.c — user administration (admin only: dispatch checks the role). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "log.h"
#include "okr_error.h"
#include "password_policy.h"
#include "request.h"
#include "sessions.h"
#include "users.h"
#include "validate.h"

#define USER_LIST_DEFAULT 100
#define USER_LIST_MAX     500

typedef struct user_state user_state_t;

/* One admin change to a loaded user record (update__apply): 0, or an error
 * with st->message set. */
typedef int (*user_change_fn)(okr_req_t *r, okr_store_t *store, MDB_txn *txn, Okr__UserRecord *rec);

/* What a user write hands back from the writer thread. */
struct user_state {
    Okr__UserRecord *rec; /* the record as stored (create) or loaded and updated */
    char message[256];    /* why apply refused, for the reply */
    char new_hash[OKR_HASH_ENCODED_MAX];
    uint64_t target_id;      /* update__apply's user: by id, or by name if 0 */
    const char *target_name; /* points into the request */
    user_change_fn change;   /* what update__apply does to it */
};

static void user_state__free(void *arg)
{
    user_state_t *st = arg;
    if (st->rec)
        okr__user_record__free_unpacked(st->rec, NULL);
    free(st);
}

static user_state_t *user_state__attach(okr_req_t *r)
{
    user_state_t *st = calloc(1, sizeof *st);
    if (!st) {
        okr_req_fail(r, OKR_E_INTERNAL, "out of memory");
        return NULL;
    }
    r->state = st;
    r->state_free = user_state__free;
    return st;
}

static void user__reply(okr_req_t *r, Okr__User *user)
{
    Okr__Response resp = OKR__RESPONSE__INIT;
    resp.result_case = OKR__RESPONSE__RESULT_USER;
    resp.user = user;
    okr_req_reply(r, &resp);
}

/* Replies with the stored user, or with apply's refusal. */
static void user__committed(okr_write_t *w, int status)
{
    okr_req_t *r = okr_req_of_write(w);
    user_state_t *st = r->state;
    if (status != 0) {
        okr_req_fail(r, status, "%s", st->message[0] ? st->message : okr_strerror(status));
        return;
    }
    okr_info("conn %llu %s: %s %s by %s", (unsigned long long)r->conn->id, r->conn->peer,
             r->op->name, st->rec->user->username, r->user->username);
    user__reply(r, st->rec->user);
}

static int role_valid(Okr__Role role)
{
    return role == OKR__ROLE__ROLE_ADMIN || role == OKR__ROLE__ROLE_MEMBER;
}

/* ---- create ---- */

static int create__apply(okr_write_t *w, okr_store_t *store, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    user_state_t *st = r->state;
    const Okr__UserCreateRequest *in = r->msg->user_create;
    /* apply may run again after a map growth: start from scratch each time. */
    if (st->rec) {
        okr__user_record__free_unpacked(st->rec, NULL);
        st->rec = NULL;
    }
    Okr__User user = OKR__USER__INIT;
    user.username = in->username;
    user.display_name = in->display_name[0] ? in->display_name : in->username;
    user.role = in->role == OKR__ROLE__ROLE_UNSPECIFIED ? OKR__ROLE__ROLE_MEMBER : in->role;
    user.active = 1;
    Okr__UserRecord rec = OKR__USER_RECORD__INIT;
    rec.user = &user;
    rec.password_hash = st->new_hash;
    int rc = okr_users_insert(store, txn, &rec, r->user->id);
    if (rc == OKR_E_CONFLICT) {
        snprintf(st->message, sizeof st->message, "a user named \"%s\" already exists",
                 in->username);
        return rc;
    }
    if (rc != 0)
        return rc;
    return okr_users_get(store, txn, user.id, &st->rec);
}

/* The hasher's answer for a new password: keeps the hash in the state and
 * submits the write that stores it. */
static void user__hashed_write(okr_req_t *r, int status, const char *encoded,
                               okr_write_apply_fn apply, okr_write_done_fn done)
{
    user_state_t *st = r->state;
    if (status != 0 || strlen(encoded) >= sizeof st->new_hash) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot hash the password");
        return;
    }
    strcpy(st->new_hash, encoded);
    okr_req_submit_write(r, apply, done);
}

static void create__hashed(void *arg, int status, const char *encoded)
{
    user__hashed_write(arg, status, encoded, create__apply, user__committed);
}

void okr_handle_user_create(okr_req_t *r)
{
    const Okr__UserCreateRequest *in = r->msg->user_create;
    char msg[256];
    if (okr_username_check(in->username, msg, sizeof msg) ||
        okr_display_name_check(in->display_name, 1, msg, sizeof msg) ||
        okr_check_string("password", in->password, 1, OKR_PASSWORD_MAX, msg, sizeof msg) ||
        okr_password_check_policy(in->password, in->username, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return;
    }
    if (in->role != OKR__ROLE__ROLE_UNSPECIFIED && !role_valid(in->role)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "role must be admin or member");
        return;
    }
    if (!user_state__attach(r))
        return;
    if (okr_hasher_hash(r->srv->hasher, in->password, create__hashed, r) != 0)
        okr_req_fail(r, OKR_E_UNAVAILABLE, "the server is busy hashing passwords; retry");
}

/* ---- list (paged by case-folded username) ---- */

void okr_handle_user_list(okr_req_t *r)
{
    const Okr__UserListRequest *in = r->msg->user_list;
    okr_store_t *store = r->srv->store;
    char msg[256];
    if (okr_check_string("after_username", in->after_username, 0, OKR_USERNAME_MAX, msg,
                         sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return;
    }
    uint32_t limit = in->limit == 0 ? USER_LIST_DEFAULT : in->limit;
    if (limit > USER_LIST_MAX)
        limit = USER_LIST_MAX;
    char *after = okr_key_fold_name(in->after_username);
    Okr__User **users = calloc(limit, sizeof *users);
    Okr__UserRecord **recs = calloc(limit, sizeof *recs);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    if (!after || !users || !recs || okr_store_read_begin(store, &txn) != 0 ||
        mdb_cursor_open(txn, okr_store_dbi(store, OKR_DB_USERS_BY_NAME), &cur) != 0) {
        if (txn)
            okr_store_read_end(store, txn);
        free(after);
        free(users);
        free(recs);
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the user list");
        return;
    }
    size_t n = 0;
    int more = 0;
    MDB_val k = {strlen(after), after}, v;
    int mrc = after[0] ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
                       : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    /* Skip the cursor name itself: the page starts after it. */
    if (mrc == 0 && after[0] && k.mv_size == strlen(after) &&
        memcmp(k.mv_data, after, k.mv_size) == 0)
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (v.mv_size != OKR_KEY_U64_LEN)
            continue;
        Okr__UserRecord *rec = NULL;
        if (okr_users_get(store, txn, okr_key_get_u64(v.mv_data), &rec) != 0)
            continue;
        if (!rec->user || (!rec->user->active && !in->include_inactive)) {
            okr__user_record__free_unpacked(rec, NULL);
            continue;
        }
        if (n == limit) {
            okr__user_record__free_unpacked(rec, NULL);
            more = 1;
            break;
        }
        recs[n] = rec;
        users[n] = rec->user;
        n++;
    }
    mdb_cursor_close(cur);
    okr_store_read_end(store, txn);
    Okr__UserList list = OKR__USER_LIST__INIT;
    list.n_users = n;
    list.users = users;
    list.next_after = (char *)(more && n > 0 ? users[n - 1]->username : "");
    Okr__Response resp = OKR__RESPONSE__INIT;
    resp.result_case = OKR__RESPONSE__RESULT_USER_LIST;
    resp.user_list = &list;
    okr_req_reply(r, &resp);
    for (size_t i = 0; i < n; i++)
        okr__user_record__free_unpacked(recs[i], NULL);
    free(recs);
    free(users);
    free(after);
}

/* ---- deactivate, set role, set password, activate, set name: load, check,
 * update in one transaction ---- */

/* Loads the user named by id, or by username when id is 0, into st->rec. */
static int update__load(okr_req_t *r, okr_store_t *store, MDB_txn *txn, uint64_t id,
                        const char *username)
{
    user_state_t *st = r->state;
    if (st->rec) {
        okr__user_record__free_unpacked(st->rec, NULL);
        st->rec = NULL;
    }
    int rc = id ? okr_users_get(store, txn, id, &st->rec)
                : okr_users_find(store, txn, username, &st->rec);
    if (rc == OKR_E_NOT_FOUND && id)
        snprintf(st->message, sizeof st->message, "no user with id %llu", (unsigned long long)id);
    else if (rc == OKR_E_NOT_FOUND)
        snprintf(st->message, sizeof st->message, "no user named \"%s\"", username);
    return rc;
}

/* The checks before an admin's change to a user named by id or username:
 * the name, then the op's own field (check may be NULL). Attaches the state
 * for update__apply, which will run change. 0, or the request has been
 * answered. */
static int update__begin(okr_req_t *r, uint64_t id, const char *username,
                         int (*check)(const char *, char *, size_t), const char *value,
                         user_change_fn change)
{
    char msg[256];
    if (id == 0 && okr_check_string("username", username, 1, OKR_USERNAME_MAX, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "name a user by id or username: %s", msg);
        return -1;
    }
    if (check && check(value, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return -1;
    }
    user_state_t *st = user_state__attach(r);
    if (!st)
        return -1;
    st->target_id = id;
    st->target_name = username;
    st->change = change;
    return 0;
}

/* Loads the user update__begin named and applies its change. */
static int update__apply(okr_write_t *w, okr_store_t *store, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    user_state_t *st = r->state;
    st->message[0] = '\0'; /* apply may run again: no refusal from a try before */
    int rc = update__load(r, store, txn, st->target_id, st->target_name);
    return rc != 0 ? rc : st->change(r, store, txn, st->rec);
}

/* Replies like user__committed, after logging out the live connections of
 * the user whose sessions apply deleted: they stop receiving events at once
 * and their next request is UNAUTHENTICATED. */
static void user__committed_logout(okr_write_t *w, int status)
{
    okr_req_t *r = okr_req_of_write(w);
    user_state_t *st = r->state;
    if (status == 0)
        okr_conn_end_sessions(r->srv, st->rec->user->id, NULL, 0, NULL);
    user__committed(w, status);
}

static int deactivate__apply(okr_write_t *w, okr_store_t *store, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    user_state_t *st = r->state;
    int rc = update__load(r, store, txn, 0, r->msg->user_deactivate->username);
    if (rc != 0)
        return rc;
    Okr__User *u = st->rec->user;
    if (u->id == r->user->id) {
        snprintf(st->message, sizeof st->message,
                 "you cannot deactivate your own account; ask another admin");
        return OKR_E_BAD_REQUEST;
    }
    if (!u->active)
        return 0; /* already inactive: nothing to change, not an error */
    u->active = 0;
    rc = okr_users_update(store, txn, st->rec, r->user->id);
    if (rc == 0)
        rc = okr_sessions_delete_for_user(store, txn, u->id, NULL);
    return rc;
}

void okr_handle_user_deactivate(okr_req_t *r)
{
    char msg[256];
    if (okr_check_string("username", r->msg->user_deactivate->username, 1, OKR_USERNAME_MAX, msg,
                         sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return;
    }
    if (user_state__attach(r))
        okr_req_submit_write(r, deactivate__apply, user__committed_logout);
}

static int set_role__apply(okr_write_t *w, okr_store_t *store, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    user_state_t *st = r->state;
    const Okr__UserSetRoleRequest *in = r->msg->user_set_role;
    int rc = update__load(r, store, txn, 0, in->username);
    if (rc != 0)
        return rc;
    Okr__User *u = st->rec->user;
    if (in->version != 0 && in->version != u->version) {
        snprintf(st->message, sizeof st->message,
                 "%s was changed by someone else (version %llu, you named %llu); reload and "
                 "retry",
                 u->username, (unsigned long long)u->version, (unsigned long long)in->version);
        return OKR_E_CONFLICT;
    }
    if (u->role == in->role)
        return 0;
    if (u->role == OKR__ROLE__ROLE_ADMIN && u->active &&
        okr_users_count_active_admins(store, txn) <= 1) {
        snprintf(st->message, sizeof st->message,
                 "%s is the last active admin; make someone else admin first", u->username);
        return OKR_E_CONFLICT;
    }
    u->role = in->role;
    return okr_users_update(store, txn, st->rec, r->user->id);
}

void okr_handle_user_set_role(okr_req_t *r)
{
    const Okr__UserSetRoleRequest *in = r->msg->user_set_role;
    char msg[256];
    if (okr_check_string("username", in->username, 1, OKR_USERNAME_MAX, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return;
    }
    if (!role_valid(in->role)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "role must be admin or member");
        return;
    }
    if (user_state__attach(r))
        okr_req_submit_write(r, set_role__apply, user__committed);
}

/* ---- set password: an admin resets a user's password ---- */

static int set_password__change(okr_req_t *r, okr_store_t *store, MDB_txn *txn,
                                Okr__UserRecord *rec)
{
    user_state_t *st = r->state;
    Okr__User *u = rec->user;
    /* Changing one's own password needs the current one (a session left
     * open somewhere must not be enough): that is okr passwd. */
    if (u->id == r->user->id) {
        snprintf(st->message, sizeof st->message,
                 "to change your own password use 'okr passwd' (it asks for the current one)");
        return OKR_E_BAD_REQUEST;
    }
    char *old = rec->password_hash;
    rec->password_hash = st->new_hash;
    int rc = okr_users_update(store, txn, rec, r->user->id);
    rec->password_hash = old;
    if (rc == 0)
        rc = okr_sessions_delete_for_user(store, txn, u->id, NULL);
    return rc;
}

static void set_password__hashed(void *arg, int status, const char *encoded)
{
    user__hashed_write(arg, status, encoded, update__apply, user__committed_logout);
}

void okr_handle_user_set_password(okr_req_t *r)
{
    const Okr__UserSetPasswordRequest *in = r->msg->user_set_password;
    char msg[256];
    /* The name rule needs the name: okr sends it; a request by id alone
     * gets the other rules. */
    if (okr_check_string("new_password", in->new_password, 1, OKR_PASSWORD_MAX, msg, sizeof msg) ||
        okr_password_check_policy(in->new_password, in->username, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return;
    }
    if (update__begin(r, in->user_id, in->username, NULL, NULL, set_password__change) != 0)
        return;
    if (okr_hasher_hash(r->srv->hasher, in->new_password, set_password__hashed, r) != 0)
        okr_req_fail(r, OKR_E_UNAVAILABLE, "the server is busy hashing passwords; retry");
}

/* ---- activate: undoes deactivate (the user logs in again) ---- */

static int activate__change(okr_req_t *r, okr_store_t *store, MDB_txn *txn, Okr__UserRecord *rec)
{
    user_state_t *st = r->state;
    Okr__User *u = rec->user;
    if (u->active) {
        snprintf(st->message, sizeof st->message,
                 "%s is already active; only a deactivated user can be activated", u->username);
        return OKR_E_CONFLICT;
    }
    u->active = 1;
    return okr_users_update(store, txn, rec, r->user->id);
}

void okr_handle_user_activate(okr_req_t *r)
{
    const Okr__UserActivateRequest *in = r->msg->user_activate;
    if (update__begin(r, in->user_id, in->username, NULL, NULL, activate__change) == 0)
        okr_req_submit_write(r, update__apply, user__committed);
}

/* ---- set name: a new display name ---- */

static int set_name__change(okr_req_t *r, okr_store_t *store, MDB_txn *txn, Okr__UserRecord *rec)
{
    const Okr__UserSetNameRequest *in = r->msg->user_set_name;
    Okr__User *u = rec->user;
    /* Anyone may fix their own name; only an admin another's. */
    if (u->id != r->user->id && r->user->role != OKR__ROLE__ROLE_ADMIN) {
        user_state_t *st = r->state;
        snprintf(st->message, sizeof st->message,
                 "only an admin may change another user's display name (yours: okr user edit "
                 "%s --name NAME)",
                 r->user->username);
        return OKR_E_FORBIDDEN;
    }
    if (strcmp(u->display_name, in->display_name) == 0)
        return 0; /* unchanged: no new version, no change logged */
    char *old = u->display_name;
    u->display_name = in->display_name;
    int rc = okr_users_update(store, txn, rec, r->user->id);
    u->display_name = old; /* rec frees its own strings */
    if (rc != 0)
        return rc;
    /* Answer with the stored state: read it back, as create does. */
    user_state_t *st = r->state;
    uint64_t id = u->id;
    okr__user_record__free_unpacked(st->rec, NULL);
    st->rec = NULL;
    return okr_users_get(store, txn, id, &st->rec);
}

static int display_name__check(const char *name, char *msg, size_t msglen)
{
    return okr_display_name_check(name, 0, msg, msglen);
}

void okr_handle_user_set_name(okr_req_t *r)
{
    const Okr__UserSetNameRequest *in = r->msg->user_set_name;
    if (update__begin(r, in->user_id, in->username, display_name__check, in->display_name,
                      set_name__change) == 0)
        okr_req_submit_write(r, update__apply, user__committed);
}

/* ---- get: any logged-in user may look a user up by id or name ---- */

void okr_handle_user_get(okr_req_t *r)
{
    const Okr__UserGetRequest *in = r->msg->user_get;
    okr_store_t *store = r->srv->store;
    char msg[256];
    if (in->id == 0 &&
        okr_check_string("username", in->username, 1, OKR_USERNAME_MAX, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "name a user by id or username: %s", msg);
        return;
    }
    MDB_txn *txn;
    if (okr_store_read_begin(store, &txn) != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    Okr__UserRecord *rec = NULL;
    int rc = in->id ? okr_users_get(store, txn, in->id, &rec)
                    : okr_users_find(store, txn, in->username, &rec);
    okr_store_read_end(store, txn);
    if (rc == OKR_E_NOT_FOUND) {
        if (in->id)
            okr_req_fail(r, rc, "no user with id %llu", (unsigned long long)in->id);
        else
            okr_req_fail(r, rc, "no user named \"%s\"", in->username);
        return;
    }
    if (rc != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the user");
        return;
    }
    user__reply(r, rec->user);
    okr__user_record__free_unpacked(rec, NULL);
}
