/* conn.h — one client connection: TLS, framing, deadlines, request intake.
 *
 * Lifecycle: accepted -> TLS handshake (deadline handshake_timeout_ms) ->
 * Hello -> login (deadline login_timeout_ms from accept) -> requests. Once a
 * frame's first byte arrived, the whole frame must arrive within
 * frame_timeout_ms; a connection with no frame for idle_timeout_ms is closed
 * (clients send ping). A protocol error (bad length, undecodable envelope,
 * output queue over out_queue_max) gets one error Response with id 0 where
 * possible, then the connection is closed; no other connection is affected.
 *
 * Memory: the connection is freed only after its TLS handle and its timer are
 * closed and no request of it is still in flight (refcount), so a commit that
 * completes after its client left finds valid memory and simply drops the
 * reply.
 */
#ifndef OKR_CONN_H
#define OKR_CONN_H

#include <stdint.h>
#include <uv.h>

#include "auth.h"
#include "counts.h"
#include "frame.h"
#include "okr_error.h"
#include "okr.pb-c.h"
#include "pubsub.h"
#include "tls.h"

typedef struct okr_server okr_server_t;

typedef struct okr_conn {
    okr_tls_t tls;
    okr_server_t *srv;
    struct okr_conn *prev, *next;
    uv_timer_t timer;
    okr_frame_decoder_t frames;
    /* 0 while accepted and not yet admitted, and for good once refused at
     * accept: then only tls.tcp is set up (no TLS state, no timer, not in
     * srv->conns) and the connection is freed when that handle closes. */
    int admitted;
    unsigned refs;     /* tls handle + timer + requests in flight */
    unsigned inflight; /* requests accepted and not answered */
    unsigned trends;   /* trend requests computing or waiting (trend_per_connection) */
    int closing;
    int hello_done;
    /* The session this connection is logged in with (authenticated = 1). */
    int authenticated;
    int admin;                  /* the user's role as of their latest request */
    int64_t session_expires_at; /* wall-clock ms; pushes stop after it */
    /* Set when authenticated with a dashboard token (then user_id is 0):
     * read-only, bound to the token's scope. Owned. */
    Okr__DashboardToken *dashboard;
    uint64_t user_id;
    uint8_t token_hash[OKR_TOKEN_HASH_LEN];
    /* Deadlines, on the monotonic clock (ms). */
    uint64_t accepted_at;
    /* When its session was ended under it (okr_conn_logout); 0 if never.
     * login_timeout_ms then counts from here, not from accepted_at. */
    uint64_t logged_out_at;
    uint64_t frame_started_at; /* 0 when no frame is in progress */
    uint64_t last_frame_at;
    /* Token bucket for rate_limit_rps. */
    double tokens;
    uint64_t tokens_at;
    char peer[64];    /* "ip:port" */
    char peer_ip[64]; /* "ip", the key for throttling by address */
    /* Its address's key in srv->per_ip (max_connections_per_ip), counted
     * there while addr_counted is 1. */
    okr_count_key_t addr_key;
    int addr_counted;
    /* Whom it is logged in as (the user, or the dashboard token), counted in
     * srv->per_user (max_connections_per_user); len 0: nobody. */
    okr_count_key_t user_key;
    uint64_t id;           /* connection number, for logs */
    okr_push_state_t push; /* subscriptions and events waiting (pubsub.c) */
} okr_conn_t;

/* Accepts a pending connection on the listener. Drops it when the server is
 * stopping or a limit is reached: max_connections (counted in
 * srv->refused_full), or max_connections_per_ip for its address (counted in
 * srv->refused_per_ip); either is logged once every OKR_COUNTS_LOG_EVERY_MS
 * at most (per address), so a flood does not flood the log. A dropped
 * connection's socket is closed at once, before any TLS state, timer or
 * buffer is made for it: the client sees the connection end without a
 * byte. */
void okr_conn_accept(okr_server_t *srv, uv_stream_t *listener);

/* Sends a Response (its id already set). Packs it into a frame; on
 * failure or when the connection is closing, drops it. If the connection's
 * output queue exceeds out_queue_max it is closed (a reader too slow). */
void okr_conn_send_response(okr_conn_t *c, const Okr__Response *resp);

/* Sends an error Response with id 0 and closes gracefully (close_notify after
 * the reply). For protocol errors and refused protocol versions. */
void okr_conn_fail(okr_conn_t *c, okr_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Closes now. Idempotent. */
void okr_conn_close(okr_conn_t *c, const char *reason);

/* Graceful close: TLS close_notify, then close. */
void okr_conn_shutdown(okr_conn_t *c);

/* Ends sessions on every connection using them, at once (pushes included),
 * in one walk of the connections: those of user_id (if not 0) whose token is
 * hashed as one of the n in hashes (n 0: any), except the one hashed as keep
 * (may be NULL). Such a connection is told nothing and stays open: its next
 * request gets UNAUTHENTICATED, and it may log in again within
 * login_timeout_ms, else it is closed. */
void okr_conn_end_sessions(okr_server_t *srv, uint64_t user_id,
                           const uint8_t (*hashes)[OKR_TOKEN_HASH_LEN], size_t n,
                           const uint8_t *keep);

/* Ends c's session (logged out, subscriptions dropped); c has
 * login_timeout_ms from now to log in again. */
void okr_conn_logout(okr_conn_t *c);

/* max_connections_per_user, in two steps around the work a login does.
 *
 * Before c is authenticated as key (okr_count_key_user, or
 * okr_count_key_dashboard for a dashboard token), okr_conn_claim_user
 * claims a place for it: returns 0 with key counted once more, or
 * OKR_E_UNAVAILABLE when key holds max_connections_per_user already, after
 * writing a message for people into msg (who names key in it: "user alice")
 * and counting the refusal (srv->refused_per_user, a log line at most every
 * OKR_COUNTS_LOG_EVERY_MS per key). c's own place, if it is logged in as
 * key already, is not counted against it: logging in again as oneself is
 * never refused.
 *
 * Then either okr_conn_take_user (c is now logged in as key: the claim
 * becomes c's place, and the place of whom c was logged in as before is
 * given back; on a connection already closed, the claim is given back), or
 * okr_conn_unclaim_user (the login failed). okr_conn_logout and closing
 * give c's place back. */
int okr_conn_claim_user(okr_conn_t *c, const okr_count_key_t *key, const char *who, char *msg,
                        size_t len);
void okr_conn_take_user(okr_conn_t *c, const okr_count_key_t *key);
void okr_conn_unclaim_user(okr_server_t *srv, const okr_count_key_t *key);

void okr_conn_ref(okr_conn_t *c);
void okr_conn_unref(okr_conn_t *c);

#endif
