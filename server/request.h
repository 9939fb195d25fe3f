/* request.h — one request in progress, the operation table and dispatch.
 *
 * Every operation is one row of a table (dispatch.c): its oneof case, its
 * handler, and whether it needs a logged-in session, needs the admin role, or
 * writes. Dispatch enforces those flags before a handler runs, so a handler
 * only validates its own fields and does its work.
 *
 * A handler owns the okr_req_t it is given and must finish it exactly once,
 * with okr_req_reply() or okr_req_fail(), either right away or later from a
 * hasher or writer callback. Finishing frees the request; a reply for a
 * connection that has gone away is dropped.
 */
#ifndef OKR_REQUEST_H
#define OKR_REQUEST_H

#include <stdint.h>

#include "conn.h"
#include "okr.pb-c.h"
#include "server.h"
#include "writer.h"

typedef struct okr_req okr_req_t;

typedef void (*okr_handler_fn)(okr_req_t *r);

enum {
    OKR_OP_LOGIN = 1 << 0,     /* needs an authenticated session */
    OKR_OP_ADMIN = 1 << 1,     /* needs the admin role (implies LOGIN) */
    OKR_OP_WRITES = 1 << 2,    /* goes through the writer; refused while stopping */
    OKR_OP_DASHBOARD = 1 << 3, /* open to dashboard-token connections too */
};

typedef struct okr_op {
    Okr__Request__OpCase op;
    const char *name;
    okr_handler_fn handler;
    unsigned flags;
} okr_op_t;

struct okr_req {
    okr_conn_t *conn; /* holds a reference until the request finishes */
    okr_server_t *srv;
    uint64_t id;
    Okr__Request *msg; /* the decoded request; owned */
    const okr_op_t *op;
    Okr__User *user;   /* the caller, fresh from the store (NULL before login); owned */
    okr_write_t write; /* for handlers that write; write.data == this request */
    /* The reply's result and refusal message, which apply() may fill on the
     * writer thread (see okr_req_set_result and okr_req_refuse). */
    Okr__Response__ResultCase result_case;
    ProtobufCMessage *result; /* owned */
    char error[512];          /* room for an import's "key result 7 of the import: " too */
    /* Handler state, e.g. results computed by apply() on the writer thread.
     * Freed with state_free (if set) when the request finishes. */
    void *state;
    void (*state_free)(void *state);
};

/* Decodes one frame from c and runs its operation. */
void okr_dispatch_frame(okr_conn_t *c, const uint8_t *payload, size_t len);

/* Sends resp (id filled in here) and frees r. resp stays the caller's. */
void okr_req_reply(okr_req_t *r, Okr__Response *resp);

/* Replies with an empty OK result. */
void okr_req_reply_empty(okr_req_t *r);

/* Replies with status err and a message for people, and frees r. */
void okr_req_fail(okr_req_t *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Queues r's write (apply on the writer thread, done on the loop). On refusal
 * (server stopping) fails r with UNAVAILABLE and returns -1. */
int okr_req_submit_write(okr_req_t *r, okr_write_apply_fn apply, okr_write_done_fn done);

/* Sets the reply's result to a copy of msg (replacing an earlier one: apply
 * may run twice). Safe on the writer thread. Returns 0 or OKR_E_NOMEM. */
int okr_req_set_result(okr_req_t *r, Okr__Response__ResultCase rc, const ProtobufCMessage *msg);

/* Records why a request is refused and returns err, for apply():
 *   return okr_req_refuse(r, OKR_E_NOT_FOUND, "no objective O%llu", id);
 * A result set before (e.g. the current state with CONFLICT) is sent along. */
int okr_req_refuse(okr_req_t *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Replies with status OK (or err with r->error) and r->result; frees r. */
void okr_req_finish(okr_req_t *r, int err);

/* A done() for okr_req_submit_write that finishes the request with the
 * write's status, apply's refusal message and result. */
void okr_req_write_done(okr_write_t *w, int status);

/* The request a write belongs to. */
static inline okr_req_t *okr_req_of_write(okr_write_t *w)
{
    return (okr_req_t *)w->data;
}

/* Handlers, one file per domain. */
void okr_handle_hello(okr_req_t *r);
void okr_handle_login(okr_req_t *r);
void okr_handle_auth_token(okr_req_t *r);
void okr_handle_logout(okr_req_t *r);
void okr_handle_whoami(okr_req_t *r);
void okr_handle_ping(okr_req_t *r);
void okr_handle_passwd(okr_req_t *r);
void okr_handle_user_create(okr_req_t *r);
void okr_handle_user_list(okr_req_t *r);
void okr_handle_user_deactivate(okr_req_t *r);
void okr_handle_user_set_role(okr_req_t *r);
void okr_handle_user_get(okr_req_t *r);
void okr_handle_user_set_password(okr_req_t *r);
void okr_handle_user_activate(okr_req_t *r);
void okr_handle_user_set_name(okr_req_t *r);
/* handle_team.c */
void okr_handle_team_create(okr_req_t *r);
void okr_handle_team_update(okr_req_t *r);
void okr_handle_team_get(okr_req_t *r);
void okr_handle_team_list(okr_req_t *r);
void okr_handle_team_set_member(okr_req_t *r);
/* handle_cycle.c */
void okr_handle_cycle_create(okr_req_t *r);
void okr_handle_cycle_update(okr_req_t *r);
void okr_handle_cycle_get(okr_req_t *r);
void okr_handle_cycle_list(okr_req_t *r);
void okr_handle_cycle_close(okr_req_t *r);
void okr_handle_cycle_start_from(okr_req_t *r);
/* handle_objective.c */
void okr_handle_objective_create(okr_req_t *r);
void okr_handle_objective_update(okr_req_t *r);
void okr_handle_objective_get(okr_req_t *r);
void okr_handle_objective_list(okr_req_t *r);
void okr_handle_objective_archive(okr_req_t *r);
void okr_handle_objective_delete(okr_req_t *r);
void okr_handle_objective_score(okr_req_t *r);
void okr_handle_objective_retro(okr_req_t *r);
/* handle_key_result.c */
void okr_handle_key_result_create(okr_req_t *r);
void okr_handle_key_result_update(okr_req_t *r);
void okr_handle_key_result_get(okr_req_t *r);
void okr_handle_key_result_list(okr_req_t *r);
void okr_handle_key_result_delete(okr_req_t *r);
/* handle_checkin.c */
void okr_handle_checkin(okr_req_t *r);
void okr_handle_checkin_list(okr_req_t *r);
/* handle_task.c */
void okr_handle_task_create(okr_req_t *r);
void okr_handle_task_update(okr_req_t *r);
void okr_handle_task_list(okr_req_t *r);
void okr_handle_task_delete(okr_req_t *r);
/* handle_comment.c */
void okr_handle_comment_create(okr_req_t *r);
void okr_handle_comment_list(okr_req_t *r);
/* MineResult.feedback (protocol 1.4): the comments and kudos written at or
 * after since (wall ms) by others than r's user, newest first, at most
 * OKR_FEEDBACK_MAX, that are addressed to the user (to_user_id), about an
 * objective or key result the user owns or a key result of an objective the
 * user owns, or about an objective owned by a team the user leads or its key
 * results, and that the user may read. Fills items[0..*n) (the caller frees
 * each with okr__comment__free_unpacked, also on failure) from txn. Returns 0
 * or an OKR_E_ code. */
#define OKR_FEEDBACK_MAX 50
int okr_comment_feedback(okr_req_t *r, MDB_txn *txn, int64_t since,
                         Okr__Comment *items[OKR_FEEDBACK_MAX], size_t *n);
/* handle_coach.c: lint, history, mine */
void okr_handle_lint(okr_req_t *r);
void okr_handle_history(okr_req_t *r);
void okr_handle_mine(okr_req_t *r);
/* handle_trend.c */
void okr_handle_trend(okr_req_t *r);
/* handle_push.c */
void okr_handle_subscribe(okr_req_t *r);
void okr_handle_unsubscribe(okr_req_t *r);
void okr_handle_stats(okr_req_t *r);
/* handle_backup.c */
void okr_handle_backup(okr_req_t *r);
/* handle_token.c */
void okr_handle_token_create(okr_req_t *r);
void okr_handle_token_list(okr_req_t *r);
void okr_handle_token_revoke(okr_req_t *r);
/* handle_import.c */
void okr_handle_import(okr_req_t *r);
/* handle_session_list.c */
void okr_handle_session_list(okr_req_t *r);
void okr_handle_session_revoke(okr_req_t *r);

#endif
