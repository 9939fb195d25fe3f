/* server.h — okrd's process-wide state and its lifecycle.
 *
 * One libuv loop owns the listener, every connection, the timers and the
 * signal handlers. Blocking work leaves the loop: password hashing and trends
 * go to the thread pool (okr_hasher_t, okr_trends_t), commits to the writer
 * thread (okr_writer_t).
 *
 * Shutdown (SIGINT/SIGTERM or okr_server_stop): stop accepting; refuse new
 * requests with UNAVAILABLE, and the trend requests still waiting; wait for
 * in-flight hashes, trends and commits (every acknowledged write stays
 * acknowledged); shut every connection down (TLS
 * close_notify), forcing them closed after shutdown_timeout_ms; stop the
 * writer; close LMDB; the loop then runs dry and okr_server_run returns 0.
 */
#ifndef OKR_SERVER_H
#define OKR_SERVER_H

#include <openssl/ssl.h>
#include <stdint.h>
#include <uv.h>

#include "auth.h"
#include "config.h"
#include "counts.h"
#include "pubsub.h"
#include "store.h"
#include "throttle.h"
#include "writer.h"

typedef struct okr_conn okr_conn_t;
typedef struct okr_trend_job okr_trend_job_t;
typedef struct okr_session_sweep okr_session_sweep_t;

/* The trend computations (handle_trend.c), on the loop thread only: at most
 * trend_parallel on libuv's thread pool, at most trend_queue waiting in
 * order; beyond that a request is refused with UNAVAILABLE. The counters
 * are for Stats. */
typedef struct okr_trends {
    okr_trend_job_t *queue, *queue_tail; /* waiting, oldest first */
    unsigned running;                    /* on the thread pool now */
    unsigned waiting;                    /* in the queue now */
    uint64_t refused;    /* refused since start: the queue or the connection's share full */
    uint64_t objectives; /* objectives computed since start (each once per request) */
} okr_trends_t;

typedef struct okr_server {
    uv_loop_t *loop;
    const okr_config_t *cfg;
    okr_store_t *store;
    okr_writer_t *writer;
    okr_hasher_t *hasher;
    okr_pubsub_t *pubsub;
    okr_throttle_t *throttle_user;
    okr_throttle_t *throttle_addr;
    SSL_CTX *tls;
    char fingerprint[65];
    uv_tcp_t listener;
    uv_signal_t sigint, sigterm;
    uv_timer_t shutdown_timer;
    okr_trends_t trends;
    okr_conn_t *conns; /* doubly linked list of live connections */
    uint64_t nconns;
    /* Connections per remote address (max_connections_per_ip) and logged in
     * per user or dashboard token (max_connections_per_user); conn.c keeps
     * them. Refused since start, for Stats. */
    okr_counts_t *per_ip;
    okr_counts_t *per_user;
    uint64_t refused_per_ip;
    uint64_t refused_per_user;
    /* Refused because max_connections were open: since start (Stats), since
     * the last log line, and when that was (one line every few seconds). */
    uint64_t refused_full, refused_full_unlogged, refused_full_logged_ms;
    uint64_t accepted_total;
    int stopping;
    int writer_stopped;
    /* A real argon2id hash of a random password: login verifies unknown
     * users against it, so "no such user" costs what "wrong password" does. */
    char dummy_hash[OKR_HASH_ENCODED_MAX];
    okr_session_sweep_t *session_sweep; /* deletes expired sessions (session_sweep.h) */
    uint64_t sessions_evicted;          /* ended by max_sessions_per_user since start */
} okr_server_t;

/* Opens the store, prepares TLS (generating a certificate on first start),
 * creates the first admin when the store has no user, and starts listening.
 * Returns 0, or -1 after logging why. */
int okr_server_init(okr_server_t *srv, uv_loop_t *loop, const okr_config_t *cfg);

/* Runs the loop until the server has stopped and released everything.
 * Returns the process exit code. */
int okr_server_run(okr_server_t *srv);

/* Begins the graceful shutdown described above. Idempotent. */
void okr_server_stop(okr_server_t *srv);

/* Called by conn.c when a connection is fully closed. */
void okr_server_conn_closed(okr_server_t *srv, okr_conn_t *c);

#endif
