/* conn.c — a client connection: TLS, framing, deadlines and its lifetime. */
#include "conn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "request.h"
#include "server.h"

/* How long a connection being closed politely may take to flush its last
 * frame and close_notify before it is cut. */
#define CONN_LINGER_MS 2000

static void conn__arm_timer(okr_conn_t *c);

static okr_conn_t *conn__of(okr_tls_t *t)
{
    return (okr_conn_t *)t->data;
}

/* ---- places in the per-address and per-user counts ---- */

static void conn__release_user(okr_conn_t *c)
{
    okr_counts_remove(c->srv->per_user, &c->user_key);
    memset(&c->user_key, 0, sizeof c->user_key);
}

/* A connection that is closing gives its places back at once: it serves no
 * more requests, and the client that closed it may already be reconnecting,
 * while its memory may wait for requests in flight. Idempotent. */
static void conn__release(okr_conn_t *c)
{
    conn__release_user(c);
    if (c->addr_counted) {
        okr_counts_remove(c->srv->per_ip, &c->addr_key);
        c->addr_counted = 0;
    }
}

int okr_conn_claim_user(okr_conn_t *c, const okr_count_key_t *key, const char *who, char *msg,
                        size_t len)
{
    okr_server_t *srv = c->srv;
    uint64_t max = srv->cfg->max_connections_per_user;
    uint64_t held = okr_counts_get(srv->per_user, key);
    if (held && okr_count_key_equal(&c->user_key, key))
        held--; /* c's own place, which this login would replace */
    if (max && held >= max) {
        srv->refused_per_user++;
        uint64_t refused;
        if (okr_counts_refused(srv->per_user, key, okr_mono_ms(), &refused)) {
            char name[64];
            okr_warn("refused %llu login%s as %s (%s): %llu connections open "
                     "(max_connections_per_user %llu)",
                     (unsigned long long)refused, refused == 1 ? "" : "s", who,
                     okr_count_key_name(key, name, sizeof name), (unsigned long long)held,
                     (unsigned long long)max);
        }
        snprintf(msg, len,
                 "%s already has %llu connections open (max_connections_per_user); close some "
                 "(okr watch, okr-dash) or ask an administrator to raise it",
                 who, (unsigned long long)held);
        return OKR_E_UNAVAILABLE;
    }
    if (okr_counts_add(srv->per_user, key) != 0) {
        snprintf(msg, len, "the server is out of memory; retry");
        return OKR_E_UNAVAILABLE;
    }
    return 0;
}

void okr_conn_take_user(okr_conn_t *c, const okr_count_key_t *key)
{
    conn__release_user(c);
    if (c->closing == 2) {
        okr_counts_remove(c->srv->per_user, key);
        return;
    }
    c->user_key = *key;
}

void okr_conn_unclaim_user(okr_server_t *srv, const okr_count_key_t *key)
{
    okr_counts_remove(srv->per_user, key);
}

void okr_conn_ref(okr_conn_t *c)
{
    c->refs++;
}

void okr_conn_unref(okr_conn_t *c)
{
    if (--c->refs > 0)
        return;
    if (c->srv->pubsub)
        okr_pubsub_forget(c->srv->pubsub, c);
    if (c->dashboard)
        okr__dashboard_token__free_unpacked(c->dashboard, NULL);
    conn__release(c); /* a login that completed after the close took a place */
    okr_frame_decoder_free(&c->frames);
    okr_server_conn_closed(c->srv, c);
    free(c);
}

static void conn__on_timer_closed(uv_handle_t *h)
{
    okr_conn_unref((okr_conn_t *)h->data);
}

/* The TLS handle is closed: the last step, apart from requests in flight. */
static void conn__on_tls_closed(okr_tls_t *t)
{
    okr_conn_t *c = conn__of(t);
    if (!c->admitted) {
        free(c); /* refused at accept: nothing else was made for it */
        return;
    }
    c->closing = 2;
    conn__release(c);
    if (!uv_is_closing((uv_handle_t *)&c->timer))
        uv_close((uv_handle_t *)&c->timer, conn__on_timer_closed);
    okr_conn_unref(c);
}

void okr_conn_close(okr_conn_t *c, const char *reason)
{
    if (c->closing == 2)
        return;
    if (reason)
        okr_info("conn %llu %s: closed: %s", (unsigned long long)c->id, c->peer, reason);
    c->closing = 2;
    conn__release(c);
    uv_timer_stop(&c->timer);
    okr_tls_close(&c->tls);
}

void okr_conn_shutdown(okr_conn_t *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    okr_tls_shutdown(&c->tls);
    /* A peer that stopped reading cannot hold the connection open: the
     * timer now cuts it after CONN_LINGER_MS. */
    conn__arm_timer(c);
}

void okr_conn_send_response(okr_conn_t *c, const Okr__Response *resp)
{
    if (c->closing == 2)
        return;
    Okr__Envelope env = OKR__ENVELOPE__INIT;
    env.msg_case = OKR__ENVELOPE__MSG_RESPONSE;
    env.response = (Okr__Response *)resp;
    size_t n = okr__envelope__get_packed_size(&env);
    uint8_t *buf = malloc(OKR_FRAME_HEADER + n);
    if (!buf) {
        okr_conn_close(c, "out of memory");
        return;
    }
    okr_frame_put_header(buf, (uint32_t)n);
    okr__envelope__pack(&env, buf + OKR_FRAME_HEADER);
    int rc = okr_tls_write(&c->tls, buf, OKR_FRAME_HEADER + n);
    free(buf);
    if (rc != 0) {
        okr_conn_close(c, "write failed");
        return;
    }
    if (okr_tls_pending_bytes(&c->tls) > c->srv->cfg->out_queue_max)
        okr_conn_close(c, "reader too slow: output queue over out_queue_max");
}

void okr_conn_fail(okr_conn_t *c, okr_err_t err, const char *fmt, ...)
{
    if (c->closing)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    okr_info("conn %llu %s: closing: %s", (unsigned long long)c->id, c->peer, msg);
    if (okr_tls_is_established(&c->tls)) {
        Okr__Response resp = OKR__RESPONSE__INIT;
        resp.id = 0;
        resp.status = okr_err_to_status(err);
        resp.message = msg;
        okr_conn_send_response(c, &resp);
    }
    okr_conn_shutdown(c);
}

void okr_conn_logout(okr_conn_t *c)
{
    if (c->srv->pubsub)
        okr_pubsub_forget(c->srv->pubsub, c);
    c->authenticated = 0;
    c->user_id = 0;
    c->session_expires_at = 0;
    conn__release_user(c);
    memset(c->token_hash, 0, sizeof c->token_hash);
    okr_frame_decoder_set_max(&c->frames, (uint32_t)c->srv->cfg->max_frame_before_login);
    /* The login deadline starts again here. Counted from accept, it has long
     * passed on a connection that was logged in for a while: the timer would
     * cut it at its next frame with "not logged in within", the answer to a
     * Login on it never arriving, so "log in again" could not be done. */
    c->logged_out_at = okr_mono_ms();
    if (!c->closing)
        conn__arm_timer(c);
}

/* 1 if c's token is hashed as one of the n in hashes. */
static int conn__token_in(const okr_conn_t *c, const uint8_t (*hashes)[OKR_TOKEN_HASH_LEN],
                          size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(c->token_hash, hashes[i], OKR_TOKEN_HASH_LEN) == 0)
            return 1;
    return 0;
}

void okr_conn_end_sessions(okr_server_t *srv, uint64_t user_id,
                           const uint8_t (*hashes)[OKR_TOKEN_HASH_LEN], size_t n,
                           const uint8_t *keep)
{
    if (!user_id && n == 0)
        return; /* names nothing: never every session of everyone */
    for (okr_conn_t *c = srv->conns; c; c = c->next) {
        if (!c->authenticated || c->dashboard || (user_id && c->user_id != user_id))
            continue;
        if ((n == 0 || conn__token_in(c, hashes, n)) &&
            !(keep && memcmp(c->token_hash, keep, OKR_TOKEN_HASH_LEN) == 0))
            okr_conn_logout(c);
    }
}

/* ---- deadlines ---- */

/* When a connection not logged in is closed: login_timeout_ms after accept,
 * or after the session it had was ended. */
static uint64_t conn__login_due(const okr_conn_t *c)
{
    uint64_t from = c->logged_out_at ? c->logged_out_at : c->accepted_at;
    return from + c->srv->cfg->login_timeout_ms;
}

static void conn__on_timer(uv_timer_t *timer)
{
    okr_conn_t *c = timer->data;
    const okr_config_t *cfg = c->srv->cfg;
    if (c->closing) {
        okr_conn_close(c, "did not close in time");
        return;
    }
    uint64_t now = okr_mono_ms();
    if (!okr_tls_is_established(&c->tls)) {
        okr_conn_close(c, "TLS handshake timed out");
    } else if (c->frame_started_at && now >= c->frame_started_at + cfg->frame_timeout_ms) {
        okr_conn_fail(c, OKR_E_BAD_REQUEST, "a frame did not arrive whole within %llu ms",
                      (unsigned long long)cfg->frame_timeout_ms);
    } else if (!c->authenticated && now >= conn__login_due(c)) {
        if (c->logged_out_at)
            okr_conn_fail(c, OKR_E_UNAUTHENTICATED,
                          "the session ended (logged out, revoked or expired) and the connection "
                          "did not log in again within %llu ms",
                          (unsigned long long)cfg->login_timeout_ms);
        else
            okr_conn_fail(c, OKR_E_UNAUTHENTICATED, "not logged in within %llu ms",
                          (unsigned long long)cfg->login_timeout_ms);
    } else if (now >= c->last_frame_at + cfg->idle_timeout_ms) {
        okr_conn_fail(c, OKR_E_UNAVAILABLE, "idle for %llu ms (clients ping to stay connected)",
                      (unsigned long long)cfg->idle_timeout_ms);
    } else {
        conn__arm_timer(c); /* woke early: a deadline moved */
    }
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* One timer per connection, set to the nearest deadline that applies now. */
static void conn__arm_timer(okr_conn_t *c)
{
    const okr_config_t *cfg = c->srv->cfg;
    if (c->closing == 2)
        return;
    uint64_t now = okr_mono_ms();
    uint64_t due;
    if (c->closing) {
        due = now + CONN_LINGER_MS;
    } else {
        due = c->last_frame_at + cfg->idle_timeout_ms;
        if (!okr_tls_is_established(&c->tls))
            due = min_u64(due, c->accepted_at + cfg->handshake_timeout_ms);
        if (!c->authenticated)
            due = min_u64(due, conn__login_due(c));
        if (c->frame_started_at)
            due = min_u64(due, c->frame_started_at + cfg->frame_timeout_ms);
    }
    uv_timer_start(&c->timer, conn__on_timer, due > now ? due - now : 0, 0);
}

/* ---- TLS callbacks ---- */

static void conn__on_handshake(okr_tls_t *t, int status)
{
    okr_conn_t *c = conn__of(t);
    if (status != 0) {
        okr_info("conn %llu %s: TLS handshake failed: %s", (unsigned long long)c->id, c->peer,
                 okr_tls_last_error(t));
        c->closing = 2;
        conn__release(c);
        return;
    }
    okr_debug("conn %llu %s: TLS established", (unsigned long long)c->id, c->peer);
    conn__arm_timer(c);
}

static int conn__on_frame(void *arg, const uint8_t *payload, size_t len)
{
    okr_conn_t *c = arg;
    c->last_frame_at = okr_mono_ms();
    okr_dispatch_frame(c, payload, len);
    return c->closing ? 1 : 0;
}

static void conn__on_read(okr_tls_t *t, const uint8_t *data, size_t len)
{
    okr_conn_t *c = conn__of(t);
    if (c->closing)
        return;
    /* Hold a reference: a handler may close the connection mid-buffer. */
    okr_conn_ref(c);
    int rc = okr_frame_feed(&c->frames, data, len, conn__on_frame, c);
    if (rc == OKR_E_TOO_LARGE)
        okr_conn_fail(c, OKR_E_TOO_LARGE, "a frame of %u bytes is over the limit of %u",
                      (unsigned)c->frames.bad_len, (unsigned)c->frames.max);
    else if (rc == OKR_E_PROTOCOL)
        okr_conn_fail(c, OKR_E_BAD_REQUEST, "a frame length of 0 is not allowed");
    else if (rc == OKR_E_NOMEM)
        okr_conn_close(c, "out of memory");
    if (!c->closing) {
        if (!okr_frame_in_progress(&c->frames))
            c->frame_started_at = 0;
        else if (!c->frame_started_at)
            c->frame_started_at = okr_mono_ms();
        conn__arm_timer(c);
    }
    okr_conn_unref(c);
}

static void conn__on_error(okr_tls_t *t, int status)
{
    okr_conn_t *c = conn__of(t);
    if (!c->closing)
        okr_info("conn %llu %s: closed by peer: %s", (unsigned long long)c->id, c->peer,
                 status == OKR_E_CLOSED ? "end of stream" : okr_tls_last_error(t));
    c->closing = 2;
    conn__release(c);
    uv_timer_stop(&c->timer);
}

static void conn__on_drain(okr_tls_t *t)
{
    okr_conn_t *c = conn__of(t);
    if (c->push.head && c->srv->pubsub)
        okr_pubsub_drain(c->srv->pubsub, c);
}

static const okr_tls_callbacks_t conn_callbacks = {
    .on_drain = conn__on_drain,
    .on_handshake = conn__on_handshake,
    .on_read = conn__on_read,
    .on_error = conn__on_error,
    .on_close = conn__on_tls_closed,
};

/* ---- accepting ---- */

/* 1 if c's address holds max_connections_per_ip already (or its address
 * cannot be read: the peer is gone). Sets c->addr_key. A refusal is
 * counted for Stats and logged at most every OKR_COUNTS_LOG_EVERY_MS per
 * address: a flood of connections must not become a flood of log lines. */
static int conn__over_ip_limit(okr_conn_t *c)
{
    okr_server_t *srv = c->srv;
    struct sockaddr_storage ss;
    int sslen = (int)sizeof ss;
    if (uv_tcp_getpeername(&c->tls.tcp, (struct sockaddr *)&ss, &sslen) != 0 ||
        okr_count_key_addr((const struct sockaddr *)&ss, &c->addr_key) != 0) {
        okr_debug("conn %llu: closed: cannot read the peer's address", (unsigned long long)c->id);
        return 1;
    }
    uint64_t max = srv->cfg->max_connections_per_ip;
    uint64_t held = okr_counts_get(srv->per_ip, &c->addr_key);
    if (!max || held < max)
        return 0;
    srv->refused_per_ip++;
    uint64_t refused;
    if (okr_counts_refused(srv->per_ip, &c->addr_key, okr_mono_ms(), &refused)) {
        char name[64];
        okr_warn("refused %llu connection%s from %s: it has %llu open (max_connections_per_ip "
                 "%llu)",
                 (unsigned long long)refused, refused == 1 ? "" : "s",
                 okr_count_key_name(&c->addr_key, name, sizeof name), (unsigned long long)held,
                 (unsigned long long)max);
    }
    return 1;
}

/* 1 if max_connections are open. A full server under a flood logs one line
 * every OKR_COUNTS_LOG_EVERY_MS at most, with how many it refused since the
 * last, as the limits per address and user do. */
static int conn__server_full(okr_server_t *srv)
{
    if (srv->nconns < srv->cfg->max_connections)
        return 0;
    srv->refused_full++;
    srv->refused_full_unlogged++;
    uint64_t now = okr_mono_ms();
    if (!srv->refused_full_logged_ms ||
        now - srv->refused_full_logged_ms >= OKR_COUNTS_LOG_EVERY_MS) {
        okr_warn("refused %llu connection%s: %llu are open (max_connections %llu)",
                 (unsigned long long)srv->refused_full_unlogged,
                 srv->refused_full_unlogged == 1 ? "" : "s", (unsigned long long)srv->nconns,
                 (unsigned long long)srv->cfg->max_connections);
        srv->refused_full_logged_ms = now;
        srv->refused_full_unlogged = 0;
    }
    return 1;
}

/* 1 if c, accepted but not yet set up, is to be closed: the server is
 * stopping, or a limit is reached. Decided from its address and the counts
 * alone, so that a flood of refused connections (from one address, or at a
 * full server) costs a getpeername and a table lookup each, and no TLS
 * state, timer or place in srv->conns. */
static int conn__refused(okr_conn_t *c)
{
    okr_server_t *srv = c->srv;
    if (srv->stopping) {
        okr_tls_peer_name(&c->tls, c->peer, sizeof c->peer);
        okr_info("conn %llu %s: closed: server is stopping", (unsigned long long)c->id, c->peer);
        return 1;
    }
    /* logged by the checks, at most every few seconds, not once per connection */
    return conn__over_ip_limit(c) || conn__server_full(srv);
}

/* Sets up an admitted connection: its place in the counts and in
 * srv->conns, its timer, its TLS state, and starts the handshake. */
static void conn__serve(okr_conn_t *c)
{
    okr_server_t *srv = c->srv;
    c->admitted = 1;
    c->refs = 2; /* the TLS handle and the timer */
    uv_timer_init(srv->loop, &c->timer);
    c->timer.data = c;
    okr_frame_decoder_init(&c->frames, (uint32_t)srv->cfg->max_frame_before_login);
    c->accepted_at = c->last_frame_at = c->tokens_at = okr_mono_ms();
    c->tokens = (double)srv->cfg->rate_limit_burst;
    /* Linked before anything can fail, so close always finds it. */
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;

    okr_tls_peer_name(&c->tls, c->peer, sizeof c->peer);
    snprintf(c->peer_ip, sizeof c->peer_ip, "%s", c->peer);
    char *colon = strrchr(c->peer_ip, ':');
    if (colon)
        *colon = '\0';
    if (okr_counts_add(srv->per_ip, &c->addr_key) != 0) {
        okr_conn_close(c, "out of memory");
        return;
    }
    c->addr_counted = 1;
    if (okr_tls_attach(&c->tls, srv->tls) != 0) {
        okr_error("accept: cannot set up TLS");
        okr_conn_close(c, NULL);
        return;
    }
    uv_tcp_nodelay(&c->tls.tcp, 1);
    if (srv->cfg->socket_sndbuf) {
        /* A smaller kernel buffer per connection: memory per idle client,
         * and slow readers reach the server's own (coalescing) queue sooner. */
        int size = (int)srv->cfg->socket_sndbuf;
        uv_send_buffer_size((uv_handle_t *)&c->tls.tcp, &size);
    }
    okr_debug("conn %llu %s: accepted", (unsigned long long)c->id, c->peer);
    if (okr_tls_start(&c->tls) != 0) {
        okr_conn_close(c, "cannot start TLS");
        return;
    }
    conn__arm_timer(c);
}

void okr_conn_accept(okr_server_t *srv, uv_stream_t *listener)
{
    /* Only the socket's handle before the decision: its memory is the
     * connection's (libuv handles cannot move), and a refused one is freed
     * when the handle closes (conn__on_tls_closed). */
    okr_conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        okr_error("accept: out of memory");
        return;
    }
    c->tls.data = c;
    c->srv = srv;
    c->id = ++srv->accepted_total;
    if (okr_tls_init_tcp(&c->tls, srv->loop, 1, &conn_callbacks) != 0) {
        okr_error("accept: cannot set up the socket");
        free(c);
        return;
    }
    int rc = uv_accept(listener, (uv_stream_t *)&c->tls.tcp);
    if (rc != 0)
        okr_info("conn %llu: closed: accept failed: %s", (unsigned long long)c->id,
                 uv_strerror(rc));
    if (rc != 0 || conn__refused(c)) {
        /* uv_close closes the socket now; the peer sees its end at once */
        okr_tls_close(&c->tls);
        return;
    }
    conn__serve(c);
}
