/* handle_session.c — hello, login, token auth, logout, whoami, ping, passwd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "clock.h"
#include "dashboard.h"
#include "keys.h"
#include "log.h"
#include "okr_error.h"
#include "password_policy.h"
#include "protocol.h"
#include "request.h"
#include "session_store.h"
#include "sessions.h"
#include "users.h"
#include "validate.h"

#define PING_PAYLOAD_MAX 1024

/* ---- hello ---- */

void okr_handle_hello(okr_req_t *r)
{
    okr_conn_t *c = r->conn;
    const Okr__Hello *h = r->msg->hello;
    char msg[256];
    if (c->hello_done) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "Hello was already sent on this connection");
        return;
    }
    if (okr_check_string("client_name", h->client_name, 0, 128, msg, sizeof msg) != 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return;
    }
    if (h->version_major != OKR_SERVER_PROTOCOL_MAJOR) {
        okr_req_fail(r, OKR_E_UNSUPPORTED,
                     "protocol version %u is not supported: this server speaks %d.%d; "
                     "install a matching okr client",
                     h->version_major, OKR_SERVER_PROTOCOL_MAJOR, OKR_SERVER_PROTOCOL_MINOR);
        okr_conn_shutdown(c);
        return;
    }
    c->hello_done = 1;
    okr_debug("conn %llu %s: hello from \"%s\" %u.%u", (unsigned long long)c->id, c->peer,
              h->client_name, h->version_major, h->version_minor);
    Okr__HelloResult res = OKR__HELLO_RESULT__INIT;
    res.version_major = OKR_SERVER_PROTOCOL_MAJOR;
    res.version_minor = okr_protocol_minor(r->srv->cfg);
    res.server_name = "okrd " OKR_VERSION;
    res.max_frame = (uint32_t)r->srv->cfg->max_frame;
    res.max_frame_before_login = (uint32_t)r->srv->cfg->max_frame_before_login;
    if (okr_protocol_minor(r->srv->cfg) >= OKR_PROTOCOL_LIMITS)
        res.max_key_results_per_objective =
            (uint32_t)(r->srv->cfg->max_key_results_per_objective > UINT32_MAX
                           ? UINT32_MAX
                           : r->srv->cfg->max_key_results_per_objective);
    if (okr_protocol_minor(r->srv->cfg) >= OKR_PROTOCOL_IMPORT)
        res.max_import_items = (uint32_t)r->srv->cfg->max_import_items; /* <= 1000000 */
    Okr__Response resp = OKR__RESPONSE__INIT;
    resp.result_case = OKR__RESPONSE__RESULT_HELLO;
    resp.hello = &res;
    okr_req_reply(r, &resp);
}

/* ---- shared by login and token auth ---- */

/* Claims a place among user's connections (max_connections_per_user) for
 * r's connection into *key; refuses r with UNAVAILABLE (and returns 1) when
 * the user holds all of them. */
static int session__claim_user(okr_req_t *r, const Okr__User *user, okr_count_key_t *key)
{
    char who[OKR_USERNAME_MAX + 16], msg[512];
    okr_count_key_user(user->id, key);
    snprintf(who, sizeof who, "user %s", user->username);
    if (okr_conn_claim_user(r->conn, key, who, msg, sizeof msg) == 0)
        return 0;
    memset(key, 0, sizeof *key);
    okr_req_fail(r, OKR_E_UNAVAILABLE, "%s", msg);
    return 1;
}

/* Logs c in as user; claimed is the place okr_conn_claim_user took for it. */
static void session__authenticate(okr_conn_t *c, const Okr__User *user, const uint8_t *token_hash,
                                  int64_t expires_at, const okr_count_key_t *claimed)
{
    uint64_t user_id = user->id;
    okr_conn_take_user(c, claimed);
    c->session_expires_at = expires_at;
    if (c->dashboard) {
        okr__dashboard_token__free_unpacked(c->dashboard, NULL);
        c->dashboard = NULL;
    }
    c->admin = user->role == OKR__ROLE__ROLE_ADMIN;
    c->authenticated = 1;
    c->user_id = user_id;
    memcpy(c->token_hash, token_hash, OKR_TOKEN_HASH_LEN);
    okr_frame_decoder_set_max(&c->frames, (uint32_t)c->srv->cfg->max_frame);
}

static void session__reply(okr_req_t *r, const char *token, Okr__User *user, int64_t expires_at)
{
    Okr__LoginResult res = OKR__LOGIN_RESULT__INIT;
    res.token = (char *)(token ? token : "");
    res.user = user;
    res.expires_at = expires_at;
    Okr__Response resp = OKR__RESPONSE__INIT;
    resp.result_case = OKR__RESPONSE__RESULT_LOGIN;
    resp.login = &res;
    okr_req_reply(r, &resp);
}

/* Milliseconds the caller must wait, by user (folded name) and by address. */
/* Refuses r with RATE_LIMITED (and returns 1) while its user (folded name,
 * or NULL) or its address must still wait after failed attempts. */
static int session__throttled(okr_req_t *r, const char *user_key)
{
    okr_server_t *srv = r->srv;
    uint64_t now = okr_mono_ms();
    uint64_t a = user_key ? okr_throttle_wait_ms(srv->throttle_user, user_key, now) : 0;
    uint64_t b = okr_throttle_wait_ms(srv->throttle_addr, r->conn->peer_ip, now);
    uint64_t wait = a > b ? a : b;
    if (wait == 0)
        return 0;
    okr_req_fail(r, OKR_E_RATE_LIMITED, "too many failed attempts; try again in %llu s",
                 (unsigned long long)((wait + 999) / 1000));
    return 1;
}

static void session__throttle_fail(okr_server_t *srv, const char *user_key, const char *ip)
{
    uint64_t now = okr_mono_ms();
    if (user_key)
        okr_throttle_fail(srv->throttle_user, user_key, now);
    okr_throttle_fail(srv->throttle_addr, ip, now);
}

/* ---- login ---- */

typedef struct login_state {
    okr_server_t *srv;
    char *user_key;        /* folded username: the throttle key */
    okr_count_key_t claim; /* the place claimed among the user's connections; len 0: none */
    Okr__UserRecord *rec;  /* NULL if no such user */
    char token[OKR_TOKEN_HEX_LEN + 1];
    uint8_t token_hash[OKR_TOKEN_HASH_LEN];
    int64_t expires_at;
    int changed; /* apply found the account changed since the password was checked */
    /* The user's oldest sessions apply deleted beyond max_sessions_per_user. */
    uint8_t (*evicted)[OKR_TOKEN_HASH_LEN];
    size_t nevicted;
} login_state_t;

static void login__free(void *arg)
{
    login_state_t *st = arg;
    okr_conn_unclaim_user(st->srv, &st->claim); /* a login that failed after the claim */
    free(st->user_key);
    if (st->rec)
        okr__user_record__free_unpacked(st->rec, NULL);
    OPENSSL_cleanse(st->token, sizeof st->token);
    free(st->evicted);
    free(st);
}

/* 1 if the account stored now is still the one whose password was checked
 * (read before the slow hash): active, with the same hash. An admin's reset
 * or deactivation that committed meanwhile ended every session; a session
 * opened on the old password after it must not survive it. 0 with *rc 0
 * if it changed, 0 with *rc set if it cannot be read. */
static int session__account_unchanged(okr_store_t *store, MDB_txn *txn, uint64_t user_id,
                                      const char *checked_hash, int *rc)
{
    Okr__UserRecord *now;
    *rc = okr_users_get(store, txn, user_id, &now);
    if (*rc != 0)
        return 0;
    int same = now->user->active && strcmp(now->password_hash, checked_hash) == 0;
    okr__user_record__free_unpacked(now, NULL);
    return same;
}

static int login__apply(okr_write_t *w, okr_store_t *store, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    login_state_t *st = r->state;
    int rc;
    st->changed = 0;
    if (!session__account_unchanged(store, txn, st->rec->user->id, st->rec->password_hash, &rc)) {
        st->changed = rc == 0;
        return rc != 0 ? rc : OKR_E_UNAUTHENTICATED;
    }
    Okr__SessionRecord sess = OKR__SESSION_RECORD__INIT;
    sess.user_id = st->rec->user->id;
    sess.created_at = okr_wall_ms();
    sess.expires_at = st->expires_at;
    sess.peer = r->conn->peer_ip; /* fixed since accept: safe to read here */
    rc = okr_session_store_put(store, txn, st->token_hash, &sess);
    free(st->evicted); /* from an earlier run of this apply (the map grew) */
    st->evicted = NULL;
    st->nevicted = 0;
    if (rc == 0)
        rc = okr_sessions_cap_user(store, txn, sess.user_id, r->srv->cfg->max_sessions_per_user,
                                   st->token_hash, sess.created_at, &st->evicted, &st->nevicted);
    return rc;
}

/* The sessions the login pushed out end now, on every connection using
 * them, as okr logout --everywhere ends them. */
static void login__end_evicted(okr_req_t *r, const login_state_t *st)
{
    if (st->nevicted == 0)
        return;
    okr_conn_end_sessions(r->srv, st->rec->user->id,
                          (const uint8_t(*)[OKR_TOKEN_HASH_LEN])st->evicted, st->nevicted, NULL);
    r->srv->sessions_evicted += st->nevicted;
    okr_info("conn %llu %s: user %s is over max_sessions_per_user (%llu): %zu oldest "
             "session%s ended",
             (unsigned long long)r->conn->id, r->conn->peer, st->rec->user->username,
             (unsigned long long)r->srv->cfg->max_sessions_per_user, st->nevicted,
             st->nevicted == 1 ? "" : "s");
}

static void login__committed(okr_write_t *w, int status)
{
    okr_req_t *r = okr_req_of_write(w);
    login_state_t *st = r->state;
    if (status != 0 && st->changed) {
        okr_req_fail(r, OKR_E_UNAUTHENTICATED,
                     "the password or the account changed while logging in; log in again");
        return;
    }
    if (status != 0) {
        okr_req_fail(r, status, "could not open a session: %s", okr_strerror(status));
        return;
    }
    okr_info("conn %llu %s: user %s logged in", (unsigned long long)r->conn->id, r->conn->peer,
             st->rec->user->username);
    login__end_evicted(r, st);
    session__authenticate(r->conn, st->rec->user, st->token_hash, st->expires_at, &st->claim);
    memset(&st->claim, 0, sizeof st->claim); /* the connection's now */
    session__reply(r, st->token, st->rec->user, st->expires_at);
}

static void login__verified(void *arg, int status, const char *encoded)
{
    (void)encoded;
    okr_req_t *r = arg;
    login_state_t *st = r->state;
    okr_server_t *srv = r->srv;
    if (status == OKR_E_INTERNAL) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot check the password (corrupt hash?)");
        return;
    }
    /* The same answer for an unknown user and a wrong password. */
    if (status != 0 || !st->rec) {
        session__throttle_fail(srv, st->user_key, r->conn->peer_ip);
        okr_info("conn %llu %s: failed login for \"%s\"", (unsigned long long)r->conn->id,
                 r->conn->peer, r->msg->login->username);
        okr_req_fail(r, OKR_E_UNAUTHENTICATED, "wrong username or password");
        return;
    }
    if (!st->rec->user->active) {
        okr_req_fail(r, OKR_E_UNAUTHENTICATED,
                     "this account is deactivated; ask an admin to restore it");
        return;
    }
    okr_throttle_success(srv->throttle_user, st->user_key);
    /* Only now, with the password checked: the refusal says the account
     * exists and is busy, which only its owner may learn. */
    if (session__claim_user(r, st->rec->user, &st->claim))
        return;
    if (okr_token_new(st->token) != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot make a session token");
        return;
    }
    okr_token_hash(st->token, st->token_hash);
    st->expires_at = okr_wall_ms() + (int64_t)srv->cfg->session_ttl_s * 1000;
    okr_req_submit_write(r, login__apply, login__committed);
}

void okr_handle_login(okr_req_t *r)
{
    const Okr__LoginRequest *in = r->msg->login;
    okr_server_t *srv = r->srv;
    char msg[256];
    if (okr_check_string("username", in->username, 1, OKR_USERNAME_MAX, msg, sizeof msg) ||
        okr_check_string("password", in->password, 1, OKR_PASSWORD_MAX, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return;
    }
    login_state_t *st = calloc(1, sizeof *st);
    if (!st || !(st->user_key = okr_key_fold_name(in->username))) {
        free(st);
        okr_req_fail(r, OKR_E_INTERNAL, "out of memory");
        return;
    }
    st->srv = srv;
    r->state = st;
    r->state_free = login__free;
    if (session__throttled(r, st->user_key))
        return;
    MDB_txn *txn;
    if (okr_store_read_begin(srv->store, &txn) != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    int rc = okr_users_find(srv->store, txn, in->username, &st->rec);
    okr_store_read_end(srv->store, txn);
    if (rc != 0 && rc != OKR_E_NOT_FOUND) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the user");
        return;
    }
    /* Unknown users are checked against a real hash too: equal cost. */
    const char *hash = st->rec ? st->rec->password_hash : srv->dummy_hash;
    if (okr_hasher_verify(srv->hasher, hash, in->password, login__verified, r) != 0)
        okr_req_fail(r, OKR_E_UNAVAILABLE, "the server is busy checking passwords; retry");
}

/* ---- token auth ---- */

static int session__token_valid(const char *token)
{
    if (strlen(token) != OKR_TOKEN_HEX_LEN)
        return 0;
    for (const char *p = token; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

/* A TV authenticates with a dashboard token: read-only, scope-bound. */
static void session__dashboard(okr_req_t *r, const char *secret)
{
    okr_conn_t *c = r->conn;
    Okr__DashboardToken *t = NULL;
    if (okr_dashboard_find(r->srv->store, secret, &t) != 0) {
        session__throttle_fail(r->srv, NULL, c->peer_ip);
        okr_req_fail(r, OKR_E_UNAUTHENTICATED,
                     "this dashboard token is unknown or revoked; ask an admin for a new one "
                     "(okr token create)");
        return;
    }
    /* A token's screens count against the token, not the admin who made it:
     * a leaked token cannot lock its maker out. */
    okr_count_key_t key;
    char who[256], msg[512];
    okr_count_key_dashboard(t->id, &key);
    snprintf(who, sizeof who, "dashboard token \"%.200s\"", t->label);
    if (okr_conn_claim_user(c, &key, who, msg, sizeof msg) != 0) {
        okr__dashboard_token__free_unpacked(t, NULL);
        okr_req_fail(r, OKR_E_UNAVAILABLE, "%s", msg);
        return;
    }
    okr_conn_take_user(c, &key);
    if (c->dashboard)
        okr__dashboard_token__free_unpacked(c->dashboard, NULL);
    okr_pubsub_forget(r->srv->pubsub, c);
    c->dashboard = t;
    c->authenticated = 1;
    c->admin = 0;
    c->user_id = 0;
    memset(c->token_hash, 0, sizeof c->token_hash);
    okr_frame_decoder_set_max(&c->frames, (uint32_t)r->srv->cfg->max_frame);
    okr_info("conn %llu %s: dashboard \"%s\" connected", (unsigned long long)c->id, c->peer,
             t->label);
    okr_dashboard_touch(r->srv, t->id);
    Okr__LoginResult res = OKR__LOGIN_RESULT__INIT;
    res.token = "";
    res.dashboard = t;
    Okr__Response resp = OKR__RESPONSE__INIT;
    resp.result_case = OKR__RESPONSE__RESULT_LOGIN;
    resp.login = &res;
    okr_req_reply(r, &resp);
}

void okr_handle_auth_token(okr_req_t *r)
{
    okr_server_t *srv = r->srv;
    const char *token = r->msg->auth_token->token;
    if (session__throttled(r, NULL))
        return;
    if (okr_dashboard_is_secret(token)) {
        session__dashboard(r, token);
        return;
    }
    uint8_t hash[OKR_TOKEN_HASH_LEN];
    Okr__User *user = NULL;
    int64_t expires_at = 0;
    int rc = OKR_E_UNAUTHENTICATED;
    if (session__token_valid(token)) {
        okr_token_hash(token, hash);
        rc = okr_session_check(srv->store, hash, &user, &expires_at);
    }
    if (rc != 0) {
        session__throttle_fail(srv, NULL, r->conn->peer_ip);
        okr_req_fail(r, OKR_E_UNAUTHENTICATED,
                     "the session has expired or was revoked; log in again");
        return;
    }
    okr_count_key_t key;
    if (session__claim_user(r, user, &key)) {
        okr__user__free_unpacked(user, NULL);
        return;
    }
    session__authenticate(r->conn, user, hash, expires_at, &key);
    session__reply(r, NULL, user, expires_at);
    okr__user__free_unpacked(user, NULL);
}

/* ---- logout, whoami, ping ---- */

/* What logout ends: this session, or (everywhere) every one of its user's. */
typedef struct logout_state {
    uint8_t hash[OKR_TOKEN_HASH_LEN]; /* a copy: the writer must not read the connection */
    uint64_t user_id;                 /* everywhere: this user's; 0: only the session hashed */
} logout_state_t;

static int logout__apply(okr_write_t *w, okr_store_t *store, MDB_txn *txn)
{
    const logout_state_t *st = okr_req_of_write(w)->state;
    if (st->user_id)
        return okr_sessions_delete_for_user(store, txn, st->user_id, NULL);
    return okr_sessions_delete(store, txn, st->hash);
}

static void logout__committed(okr_write_t *w, int status)
{
    okr_req_t *r = okr_req_of_write(w);
    const logout_state_t *st = r->state;
    if (status != 0) {
        okr_req_fail(r, status, "could not end the session: %s", okr_strerror(status));
        return;
    }
    /* Every connection using the sessions stops at once, pushes included. */
    if (st->user_id) {
        okr_info("conn %llu %s: user %s logged out everywhere", (unsigned long long)r->conn->id,
                 r->conn->peer, r->user->username);
        okr_conn_end_sessions(r->srv, st->user_id, NULL, 0, NULL);
    } else {
        okr_conn_end_sessions(r->srv, 0, &st->hash, 1, NULL);
    }
    okr_req_reply_empty(r);
}

void okr_handle_logout(okr_req_t *r)
{
    logout_state_t *st = calloc(1, sizeof *st);
    if (!st) {
        okr_req_fail(r, OKR_E_INTERNAL, "out of memory");
        return;
    }
    memcpy(st->hash, r->conn->token_hash, OKR_TOKEN_HASH_LEN);
    if (r->msg->logout->everywhere)
        st->user_id = r->user->id;
    r->state = st;
    r->state_free = free;
    okr_req_submit_write(r, logout__apply, logout__committed);
}

void okr_handle_whoami(okr_req_t *r)
{
    Okr__User *user = NULL;
    int64_t expires_at = 0;
    if (okr_session_check(r->srv->store, r->conn->token_hash, &user, &expires_at) != 0) {
        okr_req_fail(r, OKR_E_UNAUTHENTICATED, "the session has expired; log in again");
        return;
    }
    session__reply(r, NULL, user, expires_at);
    okr__user__free_unpacked(user, NULL);
}

void okr_handle_ping(okr_req_t *r)
{
    const Okr__PingRequest *in = r->msg->ping;
    if (in->payload.len > PING_PAYLOAD_MAX) {
        okr_req_fail(r, OKR_E_TOO_LARGE, "ping payload is limited to %d bytes", PING_PAYLOAD_MAX);
        return;
    }
    Okr__Pong pong = OKR__PONG__INIT;
    pong.payload = in->payload;
    pong.server_time = okr_wall_ms();
    Okr__Response resp = OKR__RESPONSE__INIT;
    resp.result_case = OKR__RESPONSE__RESULT_PONG;
    resp.pong = &pong;
    okr_req_reply(r, &resp);
}

/* ---- passwd: verify the old password, hash the new, store, end other sessions ---- */

typedef struct passwd_state {
    uint64_t user_id;
    char *user_key;
    char old_hash[OKR_HASH_ENCODED_MAX]; /* the hash the current password was checked against */
    char new_hash[OKR_HASH_ENCODED_MAX];
    uint8_t keep[OKR_TOKEN_HASH_LEN];
    int changed; /* apply found the account changed since that check */
} passwd_state_t;

static void passwd__free(void *arg)
{
    passwd_state_t *st = arg;
    free(st->user_key);
    free(st);
}

static int passwd__apply(okr_write_t *w, okr_store_t *store, MDB_txn *txn)
{
    passwd_state_t *st = okr_req_of_write(w)->state;
    /* An admin's reset that committed since the check ended this session
     * too: the old password must not then choose the next one. */
    int rc;
    st->changed = 0;
    if (!session__account_unchanged(store, txn, st->user_id, st->old_hash, &rc)) {
        st->changed = rc == 0;
        return rc != 0 ? rc : OKR_E_UNAUTHENTICATED;
    }
    Okr__UserRecord *rec;
    rc = okr_users_get(store, txn, st->user_id, &rec);
    if (rc != 0)
        return rc;
    char *old = rec->password_hash;
    rec->password_hash = st->new_hash;
    rc = okr_users_update(store, txn, rec, st->user_id);
    rec->password_hash = old;
    okr__user_record__free_unpacked(rec, NULL);
    if (rc == 0)
        rc = okr_sessions_delete_for_user(store, txn, st->user_id, st->keep);
    return rc;
}

static void passwd__committed(okr_write_t *w, int status)
{
    okr_req_t *r = okr_req_of_write(w);
    if (status != 0 && ((passwd_state_t *)r->state)->changed) {
        okr_req_fail(r, OKR_E_UNAUTHENTICATED,
                     "your password or account was changed meanwhile (by an admin?), so yours "
                     "was not: log in again");
        return;
    }
    if (status != 0) {
        okr_req_fail(r, status, "could not change the password: %s", okr_strerror(status));
        return;
    }
    okr_info("conn %llu %s: user %s changed their password", (unsigned long long)r->conn->id,
             r->conn->peer, r->user->username);
    passwd_state_t *st = r->state;
    okr_conn_end_sessions(r->srv, st->user_id, NULL, 0, st->keep);
    okr_req_reply_empty(r);
}

static void passwd__hashed(void *arg, int status, const char *encoded)
{
    okr_req_t *r = arg;
    passwd_state_t *st = r->state;
    if (status != 0 || strlen(encoded) >= sizeof st->new_hash) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot hash the new password");
        return;
    }
    strcpy(st->new_hash, encoded);
    okr_req_submit_write(r, passwd__apply, passwd__committed);
}

static void passwd__verified(void *arg, int status, const char *encoded)
{
    (void)encoded;
    okr_req_t *r = arg;
    passwd_state_t *st = r->state;
    if (status != 0) {
        session__throttle_fail(r->srv, st->user_key, r->conn->peer_ip);
        okr_req_fail(r, OKR_E_UNAUTHENTICATED, "the current password is wrong");
        return;
    }
    if (okr_hasher_hash(r->srv->hasher, r->msg->passwd->new_password, passwd__hashed, r) != 0)
        okr_req_fail(r, OKR_E_UNAVAILABLE, "the server is busy hashing passwords; retry");
}

void okr_handle_passwd(okr_req_t *r)
{
    const Okr__PasswdRequest *in = r->msg->passwd;
    okr_server_t *srv = r->srv;
    char msg[256];
    if (okr_check_string("old_password", in->old_password, 1, OKR_PASSWORD_MAX, msg, sizeof msg) ||
        okr_check_string("new_password", in->new_password, 1, OKR_PASSWORD_MAX, msg, sizeof msg) ||
        okr_password_check_policy(in->new_password, r->user->username, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return;
    }
    passwd_state_t *st = calloc(1, sizeof *st);
    if (!st || !(st->user_key = okr_key_fold_name(r->user->username))) {
        free(st);
        okr_req_fail(r, OKR_E_INTERNAL, "out of memory");
        return;
    }
    st->user_id = r->user->id;
    memcpy(st->keep, r->conn->token_hash, OKR_TOKEN_HASH_LEN);
    r->state = st;
    r->state_free = passwd__free;
    if (session__throttled(r, st->user_key))
        return;
    MDB_txn *txn;
    Okr__UserRecord *rec = NULL;
    if (okr_store_read_begin(srv->store, &txn) != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    int rc = okr_users_get(srv->store, txn, st->user_id, &rec);
    okr_store_read_end(srv->store, txn);
    if (rc != 0 || strlen(rec->password_hash) >= sizeof st->old_hash) {
        if (rec)
            okr__user_record__free_unpacked(rec, NULL);
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read your account");
        return;
    }
    strcpy(st->old_hash, rec->password_hash);
    rc = okr_hasher_verify(srv->hasher, rec->password_hash, in->old_password, passwd__verified, r);
    okr__user_record__free_unpacked(rec, NULL);
    if (rc != 0)
        okr_req_fail(r, OKR_E_UNAVAILABLE, "the server is busy checking passwords; retry");
}
