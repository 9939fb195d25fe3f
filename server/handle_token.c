/* handle_token.c — dashboard tokens: create, list, revoke (admins), and the
 * checks a dashboard connection passes (dashboard.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "clock.h"
#include "conn.h"
#include "dashboard.h"
#include "domain.h"
#include "keys.h"
#include "log.h"
#include "okr_error.h"
#include "request.h"
#include "server.h"
#include "validate.h"

/* Deeper than any organisation: stops a corrupt parent loop. */
#define DASH_MAX_DEPTH 64

int okr_dashboard_is_secret(const char *token)
{
    size_t plen = strlen(OKR_DASH_PREFIX);
    if (strncmp(token, OKR_DASH_PREFIX, plen) != 0 || strlen(token) != plen + OKR_TOKEN_HEX_LEN)
        return 0;
    for (const char *p = token + plen; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

static int dash__get(okr_store_t *s, MDB_txn *txn, uint64_t id, Okr__DashboardToken **out)
{
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, id);
    return okr_store_get_msg(s, txn, OKR_DB_DASH_TOKENS, key, sizeof key,
                             &okr__dashboard_token__descriptor, (ProtobufCMessage **)out);
}

static int dash__put(okr_store_t *s, MDB_txn *txn, const Okr__DashboardToken *t)
{
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, t->id);
    return okr_store_put_msg(s, txn, OKR_DB_DASH_TOKENS, key, sizeof key, &t->base);
}

int okr_dashboard_find(okr_store_t *s, const char *secret, Okr__DashboardToken **out)
{
    uint8_t hash[OKR_TOKEN_HASH_LEN];
    okr_token_hash(secret, hash);
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0)
        return OKR_E_UNAUTHENTICATED;
    MDB_val v;
    int rc = okr_store_get(s, txn, OKR_DB_DASH_TOKEN_HASHES, hash, sizeof hash, &v);
    if (rc == 0 && v.mv_size == OKR_KEY_U64_LEN)
        rc = dash__get(s, txn, okr_key_get_u64(v.mv_data), out);
    else if (rc == 0)
        rc = OKR_E_INTERNAL;
    okr_store_read_end(s, txn);
    if (rc == 0 && (*out)->revoked) {
        okr__dashboard_token__free_unpacked(*out, NULL);
        *out = NULL;
        rc = OKR_E_UNAUTHENTICATED;
    }
    return rc == 0 ? 0 : OKR_E_UNAUTHENTICATED;
}

int okr_dashboard_live(okr_store_t *s, uint64_t token_id)
{
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0)
        return 0;
    Okr__DashboardToken *t = NULL;
    int live = dash__get(s, txn, token_id, &t) == 0 && !t->revoked;
    if (t)
        okr__dashboard_token__free_unpacked(t, NULL);
    okr_store_read_end(s, txn);
    return live;
}

/* 1 if team_id is `root` or below it in the team tree. */
static int team__within(okr_store_t *s, MDB_txn *txn, uint64_t team_id, uint64_t root)
{
    for (int depth = 0; team_id != 0 && depth < DASH_MAX_DEPTH; depth++) {
        if (team_id == root)
            return 1;
        Okr__Team *t;
        if (okr_team_get(s, txn, team_id, &t) != 0)
            return 0;
        team_id = t->parent_id;
        okr__team__free_unpacked(t, NULL);
    }
    return 0;
}

int okr_dashboard_may_read(okr_store_t *s, MDB_txn *txn, const Okr__DashboardToken *token,
                           const Okr__Objective *obj)
{
    if (!obj || obj->visibility != OKR__VISIBILITY__VISIBILITY_TEAM)
        return 1;
    return token->scope && token->scope->kind == OKR__SCOPE_KIND__SCOPE_KIND_TEAM &&
           team__within(s, txn, obj->team_id, token->scope->id);
}

int okr_dashboard_scope_allowed(okr_store_t *s, MDB_txn *txn, const Okr__DashboardToken *token,
                                const Okr__Scope *scope)
{
    const Okr__Scope *own = token->scope;
    if (!own || !scope)
        return 0;
    if (own->kind == OKR__SCOPE_KIND__SCOPE_KIND_ORG)
        return 1;
    if (scope->kind == own->kind && scope->id == own->id)
        return 1;
    /* One objective of its team or cycle is within the scope too. */
    if (scope->kind != OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE)
        return 0;
    Okr__Objective *o;
    if (okr_objective_get(s, txn, scope->id, &o) != 0)
        return 0;
    int ok = own->kind == OKR__SCOPE_KIND__SCOPE_KIND_CYCLE
                 ? o->cycle_id == own->id
                 : team__within(s, txn, o->team_id ? o->team_id : o->owner_team_id, own->id);
    ok = ok && okr_dashboard_may_read(s, txn, token, o);
    okr__objective__free_unpacked(o, NULL);
    return ok;
}

/* ---- create ---- */

typedef struct create_state {
    char secret[sizeof OKR_DASH_PREFIX + OKR_TOKEN_HEX_LEN];
    uint8_t hash[OKR_TOKEN_HASH_LEN];
} create_state_t;

static void create__free(void *arg)
{
    OPENSSL_cleanse(arg, sizeof(create_state_t));
    free(arg);
}

static int create__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    create_state_t *st = r->state;
    const Okr__TokenCreateRequest *in = r->msg->token_create;
    const Okr__Scope *sc = in->scope;
    ProtobufCMessage *target = NULL;
    if (sc->kind == OKR__SCOPE_KIND__SCOPE_KIND_TEAM &&
        okr_entity_get(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_TEAM, sc->id, &target) != 0)
        return okr_req_refuse(r, OKR_E_NOT_FOUND, "no team #%llu", (unsigned long long)sc->id);
    if (sc->kind == OKR__SCOPE_KIND__SCOPE_KIND_CYCLE &&
        okr_entity_get(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, sc->id, &target) != 0)
        return okr_req_refuse(r, OKR_E_NOT_FOUND, "no cycle #%llu", (unsigned long long)sc->id);
    if (target)
        protobuf_c_message_free_unpacked(target, NULL);
    Okr__Scope scope = *sc;
    scope.id = sc->kind == OKR__SCOPE_KIND__SCOPE_KIND_ORG ? 0 : sc->id;
    Okr__DashboardToken t = OKR__DASHBOARD_TOKEN__INIT;
    t.label = in->label;
    t.scope = &scope;
    t.created_at = okr_wall_ms();
    t.created_by = r->user->id;
    int rc = okr_store_next_id(s, txn, "dash_token", &t.id);
    uint8_t id_key[OKR_KEY_U64_LEN];
    okr_key_put_u64(id_key, t.id);
    if (rc == 0)
        rc = dash__put(s, txn, &t);
    if (rc == 0)
        rc = okr_store_put(s, txn, OKR_DB_DASH_TOKEN_HASHES, st->hash, sizeof st->hash, id_key,
                           sizeof id_key);
    Okr__TokenCreateResult res = OKR__TOKEN_CREATE_RESULT__INIT;
    res.token = &t;
    res.secret = st->secret;
    if (rc == 0)
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_TOKEN_CREATE, &res.base);
    return rc;
}

void okr_handle_token_create(okr_req_t *r)
{
    const Okr__TokenCreateRequest *in = r->msg->token_create;
    char msg[256];
    if (!in->scope || (in->scope->kind != OKR__SCOPE_KIND__SCOPE_KIND_TEAM &&
                       in->scope->kind != OKR__SCOPE_KIND__SCOPE_KIND_CYCLE &&
                       in->scope->kind != OKR__SCOPE_KIND__SCOPE_KIND_ORG)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "a dashboard token's scope is a team, a cycle or org");
        return;
    }
    if (okr_check_string("label", in->label, 1, OKR_NAME_MAX, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s (say where the screen is)", msg);
        return;
    }
    create_state_t *st = calloc(1, sizeof *st);
    char hex[OKR_TOKEN_HEX_LEN + 1];
    if (!st || okr_token_new(hex) != 0) {
        free(st);
        okr_req_fail(r, OKR_E_INTERNAL, "cannot make a token");
        return;
    }
    strcpy(st->secret, OKR_DASH_PREFIX);
    strcat(st->secret, hex);
    OPENSSL_cleanse(hex, sizeof hex);
    okr_token_hash(st->secret, st->hash);
    r->state = st;
    r->state_free = create__free;
    okr_req_submit_write(r, create__apply, okr_req_write_done);
}

/* ---- list ---- */

typedef struct list_ctx {
    okr_store_t *s;
    MDB_txn *txn;
    int include_revoked;
    Okr__DashboardToken **items;
    size_t n, limit;
    uint64_t next_after;
} list_ctx_t;

void okr_handle_token_list(okr_req_t *r)
{
    const Okr__TokenListRequest *in = r->msg->token_list;
    okr_store_t *s = r->srv->store;
    list_ctx_t l = {
        .s = s, .include_revoked = in->include_revoked, .limit = okr_page_limit(in->page)};
    l.items = calloc(l.limit, sizeof *l.items);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    if (!l.items || okr_store_read_begin(s, &txn) != 0 ||
        mdb_cursor_open(txn, okr_store_dbi(s, OKR_DB_DASH_TOKENS), &cur) != 0) {
        if (txn)
            okr_store_read_end(s, txn);
        free(l.items);
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the tokens");
        return;
    }
    uint8_t start[OKR_KEY_U64_LEN];
    okr_key_put_u64(start, okr_page_after(in->page) + 1);
    MDB_val k = {sizeof start, start}, v;
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        Okr__DashboardToken *t = okr__dashboard_token__unpack(NULL, v.mv_size, v.mv_data);
        if (!t)
            continue;
        if (t->revoked && !l.include_revoked) {
            okr__dashboard_token__free_unpacked(t, NULL);
            continue;
        }
        if (l.n == l.limit) {
            l.next_after = l.items[l.n - 1]->id;
            okr__dashboard_token__free_unpacked(t, NULL);
            break;
        }
        l.items[l.n++] = t;
    }
    mdb_cursor_close(cur);
    okr_store_read_end(s, txn);
    Okr__TokenList list = OKR__TOKEN_LIST__INIT;
    list.tokens = l.items;
    list.n_tokens = l.n;
    list.next_after_id = l.next_after;
    int rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_TOKEN_LIST, &list.base);
    for (size_t i = 0; i < l.n; i++)
        okr__dashboard_token__free_unpacked(l.items[i], NULL);
    free(l.items);
    okr_req_finish(r, rc);
}

/* ---- revoke ---- */

static int revoke__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    uint64_t id = r->msg->token_revoke->id;
    Okr__DashboardToken *t;
    if (dash__get(s, txn, id, &t) != 0)
        return okr_req_refuse(r, OKR_E_NOT_FOUND, "no dashboard token %llu",
                              (unsigned long long)id);
    t->revoked = 1;
    int rc = dash__put(s, txn, t);
    if (rc == 0)
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_TOKEN, &t->base);
    okr__dashboard_token__free_unpacked(t, NULL);
    return rc;
}

/* Once committed, screens using the token go dark at once. */
static void revoke__committed(okr_write_t *w, int status)
{
    okr_req_t *r = okr_req_of_write(w);
    if (status == 0) {
        uint64_t id = r->msg->token_revoke->id;
        for (okr_conn_t *c = r->srv->conns; c; c = c->next)
            if (c->dashboard && c->dashboard->id == id)
                okr_conn_fail(c, OKR_E_UNAUTHENTICATED, "this dashboard token was revoked");
        okr_info("dashboard token %llu revoked by %s", (unsigned long long)id, r->user->username);
    }
    okr_req_write_done(w, status);
}

void okr_handle_token_revoke(okr_req_t *r)
{
    okr_req_submit_write(r, revoke__apply, revoke__committed);
}

/* ---- last use: bookkeeping written in the background ---- */

typedef struct touch {
    okr_write_t write;
    uint64_t id;
    int64_t at;
} touch_t;

static int touch__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    touch_t *t = w->data;
    Okr__DashboardToken *tok;
    if (dash__get(s, txn, t->id, &tok) != 0)
        return 0;
    tok->last_used_at = t->at;
    int rc = dash__put(s, txn, tok);
    okr__dashboard_token__free_unpacked(tok, NULL);
    return rc;
}

static void touch__done(okr_write_t *w, int status)
{
    (void)status; /* a lost "last used" stamp is not worth an error */
    free(w->data);
}

void okr_dashboard_touch(okr_server_t *srv, uint64_t token_id)
{
    touch_t *t = calloc(1, sizeof *t);
    if (!t || !srv->writer) {
        free(t);
        return;
    }
    t->id = token_id;
    t->at = okr_wall_ms();
    t->write.apply = touch__apply;
    t->write.done = touch__done;
    t->write.data = t;
    if (okr_writer_submit(srv->writer, &t->write) != 0)
        free(t);
}
