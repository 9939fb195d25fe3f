/* handle_session_list.c — a user's login sessions: list them, end one
 * (SessionListRequest, SessionRevokeRequest; protocol 1.5).
 *
 * Decisions, for the next reader:
 *   - A member sees and ends only their own sessions; an admin anyone's.
 *     A member naming someone else gets FORBIDDEN whether or not that user
 *     exists; a member's revoke looks among their own sessions only, so
 *     another's id is NOT_FOUND and never makes a prefix ambiguous.
 *   - Expired sessions are not listed and cannot be ended: they no longer
 *     open anything, and the sweep (session_sweep.h) deletes them.
 *   - The caller's current session is not ended here: LogoutRequest does
 *     that, and also forgets the token on the caller's side.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "okr_error.h"
#include "request.h"
#include "session_store.h"
#include "sessions.h"
#include "users.h"
#include "validate.h"

#define SESSION_LIST_MAX 1000 /* sessions in one answer (SessionList.total says how many) */

/* A session as sent; id is its storage (OKR_SESSION_ID_HEX + 1 bytes). */
static void session_list__msg(const okr_session_entry_t *e, const uint8_t *current, char *id,
                              Okr__Session *out)
{
    okr__session__init(out);
    okr_session_id(e->hash, id);
    out->id = id;
    out->user_id = e->user_id;
    out->created_at = e->created_at;
    out->expires_at = e->expires_at;
    out->peer = (char *)e->peer;
    out->current = memcmp(e->hash, current, OKR_TOKEN_HASH_LEN) == 0;
}

static int session_list__is_admin(const okr_req_t *r)
{
    return r->user->role == OKR__ROLE__ROLE_ADMIN;
}

/* ---- list ---- */

/* The user whose sessions are asked for, into *out: the caller, or the one
 * named (admins only). 0, or the request was refused. */
static int session_list__whose(okr_req_t *r, MDB_txn *txn, Okr__UserRecord **out)
{
    const char *name = r->msg->session_list->username;
    char msg[256];
    if (okr_check_string("username", name, 0, OKR_USERNAME_MAX, msg, sizeof msg) != 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return -1;
    }
    int rc = name[0] ? okr_users_find(r->srv->store, txn, name, out)
                     : okr_users_get(r->srv->store, txn, r->user->id, out);
    int other = rc == OKR_E_NOT_FOUND || (rc == 0 && (*out)->user->id != r->user->id);
    if (other && !session_list__is_admin(r)) {
        okr_req_fail(r, OKR_E_FORBIDDEN,
                     "only admins may see another user's sessions; yours: okr session list");
        rc = -1;
    } else if (rc == OKR_E_NOT_FOUND) {
        okr_req_fail(r, OKR_E_NOT_FOUND, "no user named \"%s\" (okr user list shows them)", name);
        rc = -1;
    } else if (rc != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the user");
        rc = -1;
    }
    if (rc != 0 && *out) {
        okr__user_record__free_unpacked(*out, NULL);
        *out = NULL;
    }
    return rc;
}

static void session_list__reply(okr_req_t *r, const Okr__User *user, const okr_session_entry_t *e,
                                size_t n)
{
    size_t shown = n > SESSION_LIST_MAX ? SESSION_LIST_MAX : n;
    Okr__Session *msgs = calloc(shown ? shown : 1, sizeof *msgs);
    Okr__Session **ptrs = calloc(shown ? shown : 1, sizeof *ptrs);
    char(*ids)[OKR_SESSION_ID_HEX + 1] = calloc(shown ? shown : 1, sizeof *ids);
    if (!msgs || !ptrs || !ids) {
        okr_req_fail(r, OKR_E_INTERNAL, "out of memory");
    } else {
        for (size_t i = 0; i < shown; i++) {
            session_list__msg(&e[i], r->conn->token_hash, ids[i], &msgs[i]);
            ptrs[i] = &msgs[i];
        }
        Okr__SessionList list = OKR__SESSION_LIST__INIT;
        list.sessions = ptrs;
        list.n_sessions = shown;
        list.total = n;
        list.user = (Okr__User *)user;
        Okr__Response resp = OKR__RESPONSE__INIT;
        resp.result_case = OKR__RESPONSE__RESULT_SESSION_LIST;
        resp.session_list = &list;
        okr_req_reply(r, &resp);
    }
    free(msgs);
    free(ptrs);
    free(ids);
}

void okr_handle_session_list(okr_req_t *r)
{
    okr_store_t *s = r->srv->store;
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    Okr__UserRecord *rec = NULL;
    okr_session_entry_t *e = NULL;
    size_t n = 0;
    if (session_list__whose(r, txn, &rec) == 0) {
        if (okr_sessions_of_user(s, txn, rec->user->id, okr_wall_ms(), &e, &n) != 0)
            okr_req_fail(r, OKR_E_INTERNAL, "cannot read the sessions");
        else
            session_list__reply(r, rec->user, e, n);
    }
    okr_store_read_end(s, txn);
    free(e);
    if (rec)
        okr__user_record__free_unpacked(rec, NULL);
}

/* ---- revoke ---- */

typedef struct revoke_state {
    uint8_t current[OKR_TOKEN_HASH_LEN]; /* a copy: the writer must not read the connection */
    uint64_t only_user;                  /* a member: their own; 0: an admin, anyone's */
    int64_t now;
    okr_session_entry_t ended; /* apply's: the session deleted */
} revoke_state_t;

static int revoke__apply(okr_write_t *w, okr_store_t *store, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    revoke_state_t *st = r->state;
    const char *id = r->msg->session_revoke->id;
    int rc = okr_sessions_find(store, txn, id, st->only_user, st->now, &st->ended);
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, rc, "no session %s%s (okr session list shows them)", id,
                              st->only_user ? " of yours" : "");
    if (rc == OKR_E_CONFLICT)
        return okr_req_refuse(r, rc, "more than one session id starts with %s: type more of it",
                              id);
    if (rc != 0)
        return okr_req_refuse(r, rc, "cannot read the sessions");
    if (memcmp(st->ended.hash, st->current, OKR_TOKEN_HASH_LEN) == 0)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                              "session %s is the one you are using now: end it with okr logout",
                              id);
    /* found above: its record need not be read again to find its entry */
    rc = okr_session_store_del(store, txn, st->ended.user_id, st->ended.created_at, st->ended.hash);
    if (rc != 0)
        return rc;
    char sid[OKR_SESSION_ID_HEX + 1];
    Okr__Session msg;
    session_list__msg(&st->ended, st->current, sid, &msg);
    return okr_req_set_result(r, OKR__RESPONSE__RESULT_SESSION, &msg.base);
}

/* Once committed, every connection using the session is logged out. */
static void revoke__committed(okr_write_t *w, int status)
{
    okr_req_t *r = okr_req_of_write(w);
    const revoke_state_t *st = r->state;
    if (status == 0) {
        okr_conn_end_sessions(r->srv, st->ended.user_id, &st->ended.hash, 1, NULL);
        char sid[OKR_SESSION_ID_HEX + 1];
        okr_session_id(st->ended.hash, sid);
        okr_info("conn %llu %s: session %.8s of user %llu ended by %s",
                 (unsigned long long)r->conn->id, r->conn->peer, sid,
                 (unsigned long long)st->ended.user_id, r->user->username);
    }
    okr_req_write_done(w, status);
}

void okr_handle_session_revoke(okr_req_t *r)
{
    if (okr_session_id_check(r->msg->session_revoke->id) != 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST,
                     "a session id is %d to %d hex digits, as okr session list shows them",
                     OKR_SESSION_ID_MIN_HEX, 2 * OKR_TOKEN_HASH_LEN);
        return;
    }
    revoke_state_t *st = calloc(1, sizeof *st);
    if (!st) {
        okr_req_fail(r, OKR_E_INTERNAL, "out of memory");
        return;
    }
    memcpy(st->current, r->conn->token_hash, OKR_TOKEN_HASH_LEN);
    st->only_user = session_list__is_admin(r) ? 0 : r->user->id;
    st->now = okr_wall_ms();
    r->state = st;
    r->state_free = free;
    okr_req_submit_write(r, revoke__apply, revoke__committed);
}
