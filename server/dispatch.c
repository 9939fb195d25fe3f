/* dispatch.c — the operation table and the checks every request passes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "okr_error.h"
#include "request.h"
#include "dashboard.h"
#include "domain.h"
#include "users.h"

#define OP(field, FIELD, fn, flags)                                                                \
    {                                                                                              \
        OKR__REQUEST__OP_##FIELD, #field, fn, flags                                                \
    }

/* The one list of operations: what each needs before its handler runs. */
static const okr_op_t ops[] = {
    OP(hello, HELLO, okr_handle_hello, OKR_OP_DASHBOARD),
    OP(login, LOGIN, okr_handle_login, 0),
    OP(auth_token, AUTH_TOKEN, okr_handle_auth_token, OKR_OP_DASHBOARD),
    OP(ping, PING, okr_handle_ping, OKR_OP_DASHBOARD),
    OP(logout, LOGOUT, okr_handle_logout, OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(whoami, WHOAMI, okr_handle_whoami, OKR_OP_LOGIN),
    OP(passwd, PASSWD, okr_handle_passwd, OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(user_create, USER_CREATE, okr_handle_user_create, OKR_OP_ADMIN | OKR_OP_WRITES),
    OP(user_list, USER_LIST, okr_handle_user_list, OKR_OP_ADMIN),
    OP(user_deactivate, USER_DEACTIVATE, okr_handle_user_deactivate, OKR_OP_ADMIN | OKR_OP_WRITES),
    OP(user_set_role, USER_SET_ROLE, okr_handle_user_set_role, OKR_OP_ADMIN | OKR_OP_WRITES),
    OP(user_get, USER_GET, okr_handle_user_get, OKR_OP_LOGIN | OKR_OP_DASHBOARD),
    OP(user_set_password, USER_SET_PASSWORD, okr_handle_user_set_password,
       OKR_OP_ADMIN | OKR_OP_WRITES),
    OP(user_activate, USER_ACTIVATE, okr_handle_user_activate, OKR_OP_ADMIN | OKR_OP_WRITES),
    OP(user_set_name, USER_SET_NAME, okr_handle_user_set_name, OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(team_create, TEAM_CREATE, okr_handle_team_create, OKR_OP_ADMIN | OKR_OP_WRITES),
    OP(team_update, TEAM_UPDATE, okr_handle_team_update, OKR_OP_ADMIN | OKR_OP_WRITES),
    OP(team_get, TEAM_GET, okr_handle_team_get, OKR_OP_LOGIN | OKR_OP_DASHBOARD),
    OP(team_list, TEAM_LIST, okr_handle_team_list, OKR_OP_LOGIN | OKR_OP_DASHBOARD),
    OP(team_set_member, TEAM_SET_MEMBER, okr_handle_team_set_member, OKR_OP_ADMIN | OKR_OP_WRITES),
    OP(cycle_create, CYCLE_CREATE, okr_handle_cycle_create, OKR_OP_ADMIN | OKR_OP_WRITES),
    OP(cycle_update, CYCLE_UPDATE, okr_handle_cycle_update, OKR_OP_ADMIN | OKR_OP_WRITES),
    OP(cycle_get, CYCLE_GET, okr_handle_cycle_get, OKR_OP_LOGIN | OKR_OP_DASHBOARD),
    OP(cycle_list, CYCLE_LIST, okr_handle_cycle_list, OKR_OP_LOGIN | OKR_OP_DASHBOARD),
    OP(cycle_close, CYCLE_CLOSE, okr_handle_cycle_close, OKR_OP_ADMIN | OKR_OP_WRITES),
    OP(cycle_start_from, CYCLE_START_FROM, okr_handle_cycle_start_from,
       OKR_OP_ADMIN | OKR_OP_WRITES),
    OP(objective_create, OBJECTIVE_CREATE, okr_handle_objective_create,
       OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(objective_update, OBJECTIVE_UPDATE, okr_handle_objective_update,
       OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(objective_get, OBJECTIVE_GET, okr_handle_objective_get, OKR_OP_LOGIN),
    OP(objective_list, OBJECTIVE_LIST, okr_handle_objective_list, OKR_OP_LOGIN),
    OP(objective_archive, OBJECTIVE_ARCHIVE, okr_handle_objective_archive,
       OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(objective_delete, OBJECTIVE_DELETE, okr_handle_objective_delete,
       OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(objective_score, OBJECTIVE_SCORE, okr_handle_objective_score, OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(objective_retro, OBJECTIVE_RETRO, okr_handle_objective_retro, OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(key_result_create, KEY_RESULT_CREATE, okr_handle_key_result_create,
       OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(key_result_update, KEY_RESULT_UPDATE, okr_handle_key_result_update,
       OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(key_result_get, KEY_RESULT_GET, okr_handle_key_result_get, OKR_OP_LOGIN),
    OP(key_result_list, KEY_RESULT_LIST, okr_handle_key_result_list, OKR_OP_LOGIN),
    OP(key_result_delete, KEY_RESULT_DELETE, okr_handle_key_result_delete,
       OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(checkin, CHECKIN, okr_handle_checkin, OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(checkin_list, CHECKIN_LIST, okr_handle_checkin_list, OKR_OP_LOGIN),
    OP(task_create, TASK_CREATE, okr_handle_task_create, OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(task_update, TASK_UPDATE, okr_handle_task_update, OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(task_list, TASK_LIST, okr_handle_task_list, OKR_OP_LOGIN),
    OP(task_delete, TASK_DELETE, okr_handle_task_delete, OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(comment_create, COMMENT_CREATE, okr_handle_comment_create, OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(comment_list, COMMENT_LIST, okr_handle_comment_list, OKR_OP_LOGIN),
    OP(lint, LINT, okr_handle_lint, OKR_OP_LOGIN),
    OP(history, HISTORY, okr_handle_history, OKR_OP_LOGIN),
    OP(mine, MINE, okr_handle_mine, OKR_OP_LOGIN),
    OP(trend, TREND, okr_handle_trend, OKR_OP_LOGIN | OKR_OP_DASHBOARD),
    OP(subscribe, SUBSCRIBE, okr_handle_subscribe, OKR_OP_LOGIN | OKR_OP_DASHBOARD),
    OP(unsubscribe, UNSUBSCRIBE, okr_handle_unsubscribe, OKR_OP_LOGIN | OKR_OP_DASHBOARD),
    OP(stats, STATS, okr_handle_stats, OKR_OP_ADMIN),
    OP(backup, BACKUP, okr_handle_backup, OKR_OP_ADMIN),
    OP(token_create, TOKEN_CREATE, okr_handle_token_create, OKR_OP_ADMIN | OKR_OP_WRITES),
    OP(token_list, TOKEN_LIST, okr_handle_token_list, OKR_OP_ADMIN),
    OP(token_revoke, TOKEN_REVOKE, okr_handle_token_revoke, OKR_OP_ADMIN | OKR_OP_WRITES),
    /* Members their own, admins anyone's: checked by the handlers. */
    OP(session_list, SESSION_LIST, okr_handle_session_list, OKR_OP_LOGIN),
    OP(session_revoke, SESSION_REVOKE, okr_handle_session_revoke, OKR_OP_LOGIN | OKR_OP_WRITES),
    OP(import_plan, IMPORT_PLAN, okr_handle_import, OKR_OP_LOGIN | OKR_OP_WRITES),
};

static const okr_op_t *dispatch__find(Okr__Request__OpCase op)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i].op == op)
            return &ops[i];
    return NULL;
}

static void req__free(okr_req_t *r)
{
    if (r->result)
        protobuf_c_message_free_unpacked(r->result, NULL);
    if (r->state_free)
        r->state_free(r->state);
    if (r->user)
        okr__user__free_unpacked(r->user, NULL);
    okr__request__free_unpacked(r->msg, NULL);
    okr_conn_t *c = r->conn;
    c->inflight--;
    free(r);
    okr_conn_unref(c);
}

void okr_req_reply(okr_req_t *r, Okr__Response *resp)
{
    resp->id = r->id;
    if (resp->status == OKR__STATUS__STATUS_UNSPECIFIED)
        resp->status = OKR__STATUS__STATUS_OK;
    okr_conn_send_response(r->conn, resp);
    req__free(r);
}

void okr_req_reply_empty(okr_req_t *r)
{
    Okr__Response resp = OKR__RESPONSE__INIT;
    Okr__Empty empty = OKR__EMPTY__INIT;
    resp.result_case = OKR__RESPONSE__RESULT_EMPTY;
    resp.empty = &empty;
    okr_req_reply(r, &resp);
}

void okr_req_fail(okr_req_t *r, int err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    Okr__Response resp = OKR__RESPONSE__INIT;
    resp.status = okr_err_to_status(err);
    resp.message = msg;
    if (err == OKR_E_INTERNAL)
        okr_error("conn %llu: %s failed: %s", (unsigned long long)r->conn->id,
                  r->op ? r->op->name : "request", msg);
    okr_req_reply(r, &resp);
}

int okr_req_set_result(okr_req_t *r, Okr__Response__ResultCase rc, const ProtobufCMessage *msg)
{
    if (r->result)
        protobuf_c_message_free_unpacked(r->result, NULL);
    r->result = msg ? okr_msg_dup(msg) : NULL;
    r->result_case = r->result ? rc : OKR__RESPONSE__RESULT__NOT_SET;
    return msg && !r->result ? OKR_E_NOMEM : 0;
}

int okr_req_refuse(okr_req_t *r, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    return err;
}

void okr_req_finish(okr_req_t *r, int err)
{
    Okr__Response resp = OKR__RESPONSE__INIT;
    resp.status = okr_err_to_status(err);
    if (err == OKR_E_FULL) /* the writer's verdict, whatever apply() said */
        resp.message =
            (char *)"the store is full: its map reached map_size_max_mib; the operator must "
                    "raise map_size_max_mib and restart okrd (reads still work)";
    else if (err != 0)
        resp.message = r->error[0] ? r->error : (char *)okr_strerror(err);
    if (err == OKR_E_INTERNAL)
        okr_error("conn %llu: %s failed: %s", (unsigned long long)r->conn->id,
                  r->op ? r->op->name : "request", resp.message);
    if (r->result) {
        /* Every member of the result oneof is a message pointer at one offset. */
        resp.result_case = r->result_case;
        resp.empty = (Okr__Empty *)r->result;
    } else if (err == 0) {
        static Okr__Empty empty = OKR__EMPTY__INIT;
        resp.result_case = OKR__RESPONSE__RESULT_EMPTY;
        resp.empty = &empty;
    }
    okr_req_reply(r, &resp);
}

void okr_req_write_done(okr_write_t *w, int status)
{
    okr_req_finish(okr_req_of_write(w), status);
}

int okr_req_submit_write(okr_req_t *r, okr_write_apply_fn apply, okr_write_done_fn done)
{
    r->write.apply = apply;
    r->write.done = done;
    r->write.data = r;
    if (!r->srv->writer || okr_writer_submit(r->srv->writer, &r->write) != 0) {
        okr_req_fail(r, OKR_E_UNAVAILABLE, "the server is shutting down; try again shortly");
        return -1;
    }
    return 0;
}

/* Token bucket: rate_limit_rps tokens per second, at most rate_limit_burst. */
static int dispatch__rate_ok(okr_conn_t *c)
{
    const okr_config_t *cfg = c->srv->cfg;
    if (cfg->rate_limit_rps == 0)
        return 1;
    uint64_t now = okr_mono_ms();
    c->tokens += (double)(now - c->tokens_at) * (double)cfg->rate_limit_rps / 1000.0;
    if (c->tokens > (double)cfg->rate_limit_burst)
        c->tokens = (double)cfg->rate_limit_burst;
    c->tokens_at = now;
    if (c->tokens < 1.0)
        return 0;
    c->tokens -= 1.0;
    return 1;
}

/* A dashboard connection has no user: handlers that name the caller see a
 * read-only stand-in (id 0), after the token is re-checked for revocation. */
static int dispatch__load_dashboard(okr_req_t *r)
{
    okr_conn_t *c = r->conn;
    if (!okr_dashboard_live(r->srv->store, c->dashboard->id))
        return OKR_E_UNAUTHENTICATED;
    r->user = malloc(sizeof *r->user);
    if (!r->user)
        return OKR_E_NOMEM;
    okr__user__init(r->user);
    r->user->username = strdup("dashboard");
    r->user->display_name = strdup(c->dashboard->label);
    r->user->role = OKR__ROLE__ROLE_MEMBER;
    if (!r->user->username || !r->user->display_name)
        return OKR_E_NOMEM;
    return 0;
}

/* Re-checks the connection's session on every request that needs one, so a
 * logout elsewhere, an expiry or a deactivation takes effect at once. */
static int dispatch__load_caller(okr_req_t *r)
{
    okr_conn_t *c = r->conn;
    if (c->dashboard)
        return dispatch__load_dashboard(r);
    int rc = okr_session_check(r->srv->store, c->token_hash, &r->user, NULL);
    if (rc == 0)
        c->admin = r->user->role == OKR__ROLE__ROLE_ADMIN;
    if (rc != 0)
        okr_conn_logout(c);
    return rc;
}

static okr_req_t *req__new(okr_conn_t *c, Okr__Request *msg)
{
    okr_req_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->conn = c;
    r->srv = c->srv;
    r->id = msg->id;
    r->msg = msg;
    okr_conn_ref(c);
    c->inflight++;
    return r;
}

void okr_dispatch_frame(okr_conn_t *c, const uint8_t *payload, size_t len)
{
    Okr__Envelope *env = okr__envelope__unpack(NULL, len, payload);
    if (!env) {
        okr_conn_fail(c, OKR_E_BAD_REQUEST, "the frame is not a valid okr Envelope");
        return;
    }
    /* A string with an embedded NUL unpacks shorter than it was sent, so a
     * re-encoding of a different size means the request is not what it seems. */
    if (okr__envelope__get_packed_size(env) != len) {
        okr__envelope__free_unpacked(env, NULL);
        okr_conn_fail(c, OKR_E_BAD_REQUEST,
                      "the frame is not canonical protobuf (a string with a NUL byte?)");
        return;
    }
    if (env->msg_case != OKR__ENVELOPE__MSG_REQUEST) {
        okr__envelope__free_unpacked(env, NULL);
        okr_conn_fail(c, OKR_E_BAD_REQUEST, "clients may only send requests");
        return;
    }
    Okr__Request *msg = env->request;
    env->request = NULL;
    env->msg_case = OKR__ENVELOPE__MSG__NOT_SET;
    okr__envelope__free_unpacked(env, NULL);

    okr_req_t *r = req__new(c, msg);
    if (!r) {
        okr__request__free_unpacked(msg, NULL);
        okr_conn_fail(c, OKR_E_INTERNAL, "out of memory");
        return;
    }
    const okr_config_t *cfg = c->srv->cfg;
    if (!dispatch__rate_ok(c)) {
        okr_req_fail(r, OKR_E_RATE_LIMITED, "more than %llu requests per second; slow down",
                     (unsigned long long)cfg->rate_limit_rps);
        return;
    }
    if (c->inflight > cfg->max_inflight) {
        okr_req_fail(r, OKR_E_RATE_LIMITED,
                     "more than %llu requests in flight; wait for answers first",
                     (unsigned long long)cfg->max_inflight);
        return;
    }
    r->op = dispatch__find(msg->op_case);
    if (!r->op) {
        okr_req_fail(r, OKR_E_UNSUPPORTED,
                     "this server does not know that operation (is the client newer?)");
        return;
    }
    if (!c->hello_done && msg->op_case != OKR__REQUEST__OP_HELLO) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "send Hello first");
        return;
    }
    if (c->dashboard && !(r->op->flags & OKR_OP_DASHBOARD)) {
        okr_req_fail(r, OKR_E_FORBIDDEN,
                     "a dashboard token is read-only: it may only subscribe to its scope");
        return;
    }
    if (r->op->flags & (OKR_OP_LOGIN | OKR_OP_ADMIN)) {
        if (!c->authenticated) {
            okr_req_fail(r, OKR_E_UNAUTHENTICATED, "log in first");
            return;
        }
        int rc = dispatch__load_caller(r);
        if (rc != 0) {
            okr_req_fail(r, rc, "your session has expired or was revoked; log in again");
            return;
        }
        if ((r->op->flags & OKR_OP_ADMIN) && r->user->role != OKR__ROLE__ROLE_ADMIN) {
            okr_req_fail(r, OKR_E_FORBIDDEN, "only an admin may %s", r->op->name);
            return;
        }
    }
    if ((r->op->flags & OKR_OP_WRITES) && c->srv->stopping) {
        okr_req_fail(r, OKR_E_UNAVAILABLE, "the server is shutting down; try again shortly");
        return;
    }
    okr_debug("conn %llu: %s id=%llu", (unsigned long long)c->id, r->op->name,
              (unsigned long long)r->id);
    r->op->handler(r);
}
