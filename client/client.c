/* client.c — the okr client library: one libuv loop, one TLS connection,
 * blocking calls that run the loop until their answer (or a deadline).
 *
 * Shape: okr_client_connect resolves, connects (trying each address in turn),
 * completes the handshake, verifies the server (CA or pin, and host name),
 * then exchanges Hello. Frames from the server are decoded in on_read:
 * responses are kept in a list until their waiter takes them (so pipelined
 * requests can be waited for in any order), events are queued and handed to
 * the event callback from the blocking call, outside uv_run, so the callback
 * may itself send requests.
 */
#include "client.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "frame.h"
#include "hostport.h"
#include "okr_error.h"
#include "paths.h"
#include "tls.h"
#include "tls_ctx.h"
#include "trust.h"

#define CLIENT_DEFAULT_TIMEOUT_MS 10000u
/* The server never sends more than 1 MiB; anything far above is not okrd. */
#define CLIENT_FRAME_MAX (16u * 1024u * 1024u)
/* How long okr_client_free waits for close_notify to be sent. */
#define CLIENT_SHUTDOWN_MS 1000u
/* Timed-out ids whose late responses are dropped on arrival. */
#define CLIENT_ABANDONED_MAX 64

typedef struct client_resp {
    struct client_resp *next;
    Okr__Response *resp;
} client_resp_t;

typedef struct client_event {
    struct client_event *next;
    Okr__Event *ev;
} client_event_t;

struct okr_client {
    uv_loop_t loop;
    uv_timer_t timer;
    SSL_CTX *ctx;
    okr_tls_t tls;
    uv_connect_t connect_req;
    okr_frame_decoder_t dec;

    /* options, copied */
    char host[OKR_HOST_MAX];
    uint16_t port;
    char hostport[OKR_HOSTPORT_MAX];
    char *ca_file;
    char *session_cache; /* TLS session ticket file, or NULL */
    char *known_servers;
    int trust_new;
    int (*confirm_new)(void *arg, const char *hostport, const char *fingerprint_hex);
    void *confirm_arg;
    uint32_t timeout_ms;
    char *client_name;
    char *auth_token; /* sent right behind Hello (opts.auth_token), or NULL */
    int defer_hello;  /* opts.defer_hello */

    /* connection state */
    int loop_ready, timer_ready;
    int tls_open;       /* okr_tls_init done, on_close not yet called */
    int connect_status; /* 1 while connecting; then 0 ok or a libuv error */
    int connecting;
    int handshake_done;
    int handshake_status;
    int verified;            /* the server passed the trust checks: frames are accepted */
    int failed;              /* sticky okr_err_t once the connection is unusable */
    int prompted;            /* confirm_new was asked during this connect */
    int pinned_new;          /* this connect stored a new pin */
    int64_t offered_until;   /* the offered session's ticket may be reused until then */
    Okr__Status conn_status; /* status of a connection-level error (id 0) */

    uint64_t next_id;
    uint64_t auth_id;  /* the pipelined AuthToken's request id until collected */
    uint64_t hello_id; /* Hello's request id until its answer is checked */
    client_resp_t *responses;
    client_event_t *events, **events_tail;
    uint64_t abandoned[CLIENT_ABANDONED_MAX];
    size_t n_abandoned;
    okr_event_fn event_fn;
    void *event_arg;
    int delivering;

    Okr__Response *hello; /* owns the HelloResult */
    char fingerprint[OKR_FINGERPRINT_LEN];
    char *token;
    int64_t expires_at;
    char err[2048];
};

__attribute__((format(printf, 2, 3))) static void client__err(okr_client_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
}

/* Marks the connection unusable with err (the first failure wins) and
 * closes it. Responses already received stay available. */
static void client__fail(okr_client_t *c, int err)
{
    if (!c->failed)
        c->failed = err;
    if (c->tls_open && !okr_tls_is_closing(&c->tls))
        okr_tls_close(&c->tls);
}

/* ---------------------------------------------------------------- the loop */

static void on_timer(uv_timer_t *t)
{
    (void)t; /* only wakes uv_run up */
}

typedef int (*client_cond_fn)(okr_client_t *c, const void *arg);

static void client__deliver_events(okr_client_t *c)
{
    /* Not re-entered: an event callback that makes a blocking call leaves
     * the events that arrive meanwhile to the outer delivery. */
    if (c->delivering)
        return;
    c->delivering = 1;
    while (c->events) {
        client_event_t *e = c->events;
        c->events = e->next;
        if (!c->events)
            c->events_tail = &c->events;
        if (c->event_fn)
            c->event_fn(c->event_arg, e->ev);
        okr__event__free_unpacked(e->ev, NULL);
        free(e);
    }
    c->delivering = 0;
}

/* Runs the loop until done() or timeout_ms pass. A deadline rather than one
 * long timer, so that a blocking call made from an event callback (which
 * restarts the timer) does not break the outer wait. Returns 0 or
 * OKR_E_TIMEOUT. */
static int client__run_until(okr_client_t *c, client_cond_fn done, const void *arg,
                             uint32_t timeout_ms)
{
    uv_update_time(&c->loop);
    uint64_t deadline = uv_now(&c->loop) + timeout_ms;
    for (;;) {
        client__deliver_events(c);
        if (done(c, arg))
            return 0;
        uv_update_time(&c->loop);
        uint64_t now = uv_now(&c->loop);
        if (now >= deadline)
            return OKR_E_TIMEOUT;
        uv_timer_start(&c->timer, on_timer, deadline - now, 0);
        uv_run(&c->loop, UV_RUN_ONCE);
        uv_timer_stop(&c->timer);
    }
}

static int cond_tls_closed(okr_client_t *c, const void *arg)
{
    (void)arg;
    return !c->tls_open;
}

/* Closes the connection now and waits for libuv to let go of the handle. */
static void client__close_now(okr_client_t *c)
{
    if (!c->tls_open)
        return;
    okr_tls_close(&c->tls); /* idempotent; also cuts a shutdown short */
    /* A close completes within one loop iteration; the bound is a guard. */
    client__run_until(c, cond_tls_closed, NULL, 5000);
}

/* ---------------------------------------------------------------- frames */

static int client__is_abandoned(okr_client_t *c, uint64_t id)
{
    for (size_t i = 0; i < c->n_abandoned; i++) {
        if (c->abandoned[i] == id) {
            c->abandoned[i] = c->abandoned[--c->n_abandoned];
            return 1;
        }
    }
    return 0;
}

static void client__abandon(okr_client_t *c, uint64_t id)
{
    if (c->n_abandoned == CLIENT_ABANDONED_MAX) /* forget the oldest */
        memmove(c->abandoned, c->abandoned + 1, (CLIENT_ABANDONED_MAX - 1) * sizeof(uint64_t));
    else
        c->n_abandoned++;
    c->abandoned[c->n_abandoned - 1] = id;
}

/* With OKR_TRACE set (and not "0"), the conversation on stderr: a line for
 * each request handed to TLS ("okr: -> whoami #3") and each answer taken off
 * the wire ("okr: <- #3 OK"). Requests sent before an answer was waited for
 * share one round trip: the lines show how a command's round trips go. */
int okr_client_tracing(void)
{
    static int on = -1;
    if (on < 0) {
        const char *t = getenv("OKR_TRACE");
        on = t && *t && strcmp(t, "0") != 0;
    }
    return on;
}

static void client__trace_request(const Okr__Request *req)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&okr__request__descriptor, req->op_case);
    fprintf(stderr, "okr: -> %s #%llu\n", f ? f->name : "?", (unsigned long long)req->id);
}

/* The server's last word before it closes: keep its message for people. */
static void client__conn_error(okr_client_t *c, const Okr__Response *r)
{
    c->conn_status = r->status;
    client__err(c, "the server closed the connection: %s (%s)",
                r->message && r->message[0] ? r->message : "no reason given",
                okr_strerror(okr_status_to_err(r->status)));
    client__fail(c, OKR_E_CLOSED);
}

static int client__on_response(okr_client_t *c, Okr__Envelope *env)
{
    Okr__Response *r = env->response;
    if (r->id == 0) {
        client__conn_error(c, r);
        return 1;
    }
    if (r->id > c->next_id) {
        client__err(c, "the server answered request %llu, which was never sent",
                    (unsigned long long)r->id);
        client__fail(c, OKR_E_PROTOCOL);
        return 1;
    }
    if (okr_client_tracing())
        fprintf(stderr, "okr: <- #%llu %s\n", (unsigned long long)r->id,
                r->status == OKR__STATUS__STATUS_OK ? "OK"
                                                    : okr_strerror(okr_status_to_err(r->status)));
    if (client__is_abandoned(c, r->id))
        return 0;
    client_resp_t *node = malloc(sizeof *node);
    if (!node) {
        client__err(c, "out of memory");
        client__fail(c, OKR_E_NOMEM);
        return 1;
    }
    /* Detach the response from the envelope: protobuf-c allocates each
     * sub-message separately, and frees none that is NULL. */
    node->resp = r;
    env->response = NULL;
    node->next = c->responses;
    c->responses = node;
    return 0;
}

static int client__on_event(okr_client_t *c, Okr__Envelope *env)
{
    client_event_t *node = malloc(sizeof *node);
    if (!node) {
        client__err(c, "out of memory");
        client__fail(c, OKR_E_NOMEM);
        return 1;
    }
    node->ev = env->event;
    env->event = NULL;
    node->next = NULL;
    *c->events_tail = node;
    c->events_tail = &node->next;
    return 0;
}

static int on_frame(void *arg, const uint8_t *payload, size_t len)
{
    okr_client_t *c = arg;
    Okr__Envelope *env = okr__envelope__unpack(NULL, len, payload);
    if (!env) {
        client__err(c, "the server sent a frame that is not an okr Envelope");
        client__fail(c, OKR_E_PROTOCOL);
        return 1;
    }
    int stop = 0;
    switch (env->msg_case) {
    case OKR__ENVELOPE__MSG_RESPONSE:
        stop = client__on_response(c, env);
        break;
    case OKR__ENVELOPE__MSG_EVENT:
        stop = client__on_event(c, env);
        break;
    default: /* a request from the server, or a kind added later: ignore */
        break;
    }
    okr__envelope__free_unpacked(env, NULL);
    return stop;
}

/* ---------------------------------------------------------------- TLS callbacks */

static void on_handshake(okr_tls_t *t, int status)
{
    okr_client_t *c = t->data;
    c->handshake_done = 1;
    c->handshake_status = status;
    if (status && okr_tls_closed_in_handshake(t))
        client__err(c,
                    "%s: %s\n(okrd closes a new connection at once when it holds as many as it "
                    "allows from one address or in all: max_connections_per_ip, "
                    "max_connections; try again shortly, or ask its administrator)",
                    c->hostport, okr_tls_last_error(t));
    else if (status)
        client__err(c, "%s: %s%s", c->hostport, okr_tls_last_error(t),
                    c->ca_file ? "\n(was okrd's certificate signed by the CA given with the "
                                 "CA file, and does it name this host?)"
                               : "");
    /* The trust checks run in okr_client_connect, outside the loop, since
     * they may ask a person; nothing is queued for sending until then. */
}

static void on_read(okr_tls_t *t, const uint8_t *data, size_t len)
{
    okr_client_t *c = t->data;
    if (c->failed)
        return;
    if (!c->verified) {
        client__err(c, "%s sent data before it was verified", c->hostport);
        client__fail(c, OKR_E_PROTOCOL);
        return;
    }
    int rc = okr_frame_feed(&c->dec, data, len, on_frame, c);
    if (rc == OKR_E_TOO_LARGE) {
        client__err(c, "the server sent a frame of %u bytes (limit %u)", c->dec.bad_len,
                    c->dec.max);
        client__fail(c, OKR_E_PROTOCOL);
    } else if (rc == OKR_E_PROTOCOL) {
        client__err(c, "the server sent an empty frame");
        client__fail(c, OKR_E_PROTOCOL);
    } else if (rc == OKR_E_NOMEM) {
        client__err(c, "out of memory");
        client__fail(c, OKR_E_NOMEM);
    }
}

static void on_error(okr_tls_t *t, int status)
{
    okr_client_t *c = t->data;
    if (c->failed)
        return;
    if (status == OKR_E_CLOSED)
        client__err(c, "%s closed the connection", c->hostport);
    else
        client__err(c, "connection to %s lost: %s", c->hostport, okr_tls_last_error(t));
    c->failed = OKR_E_CLOSED;
}

static void on_close(okr_tls_t *t)
{
    okr_client_t *c = t->data;
    c->tls_open = 0;
    if (!c->failed)
        c->failed = OKR_E_CLOSED;
}

static const okr_tls_callbacks_t client_tls_cb = {
    .on_handshake = on_handshake,
    .on_read = on_read,
    .on_error = on_error,
    .on_close = on_close,
};

/* ---------------------------------------------------------------- connecting */

static void on_connect(uv_connect_t *req, int status)
{
    okr_client_t *c = req->data;
    c->connecting = 0;
    c->connect_status = status;
    if (status == 0 && c->tls_open && !okr_tls_is_closing(&c->tls)) {
        int rc = okr_tls_start(&c->tls);
        if (rc) {
            client__err(c, "cannot start TLS with %s: %s", c->hostport,
                        okr_tls_last_error(&c->tls));
            c->handshake_done = 1;
            c->handshake_status = rc;
            client__fail(c, OKR_E_TLS);
        }
    }
}

static int cond_connected(okr_client_t *c, const void *arg)
{
    (void)arg;
    return !c->connecting;
}

static int cond_handshake(okr_client_t *c, const void *arg)
{
    (void)arg;
    return c->handshake_done || !c->tls_open;
}

/* Resets the per-connection state for a fresh attempt. */
static void client__reset(okr_client_t *c)
{
    c->connect_status = 0;
    c->connecting = 0;
    c->handshake_done = 0;
    c->handshake_status = 0;
    c->verified = 0;
    c->failed = 0;
    c->conn_status = OKR__STATUS__STATUS_UNSPECIFIED;
    okr_frame_decoder_free(&c->dec);
    okr_frame_decoder_init(&c->dec, CLIENT_FRAME_MAX);
    while (c->responses) {
        client_resp_t *r = c->responses;
        c->responses = r->next;
        okr__response__free_unpacked(r->resp, NULL);
        free(r);
    }
    c->n_abandoned = 0;
}

/* ---- TLS session resumption (opts.session_cache_path) ---- */

/* Offers the saved session, if any: the server resumes it if it still can. */
static void client__offer_session(okr_client_t *c)
{
    SSL *ssl = okr_tls_ssl(&c->tls);
    SSL_set_app_data(ssl, c);
    c->offered_until = 0;
    if (!c->session_cache)
        return;
    BIO *in = BIO_new_file(c->session_cache, "r");
    if (!in)
        return;
    SSL_SESSION *sess = PEM_read_bio_SSL_SESSION(in, NULL, NULL, NULL);
    BIO_free(in);
    ERR_clear_error();
    if (sess) {
        /* Half its life: the server takes it back until the end. */
        int64_t life = (int64_t)SSL_SESSION_get_timeout(sess);
        int64_t hint = (int64_t)SSL_SESSION_get_ticket_lifetime_hint(sess);
        if (hint > 0 && hint < life)
            life = hint;
        c->offered_until = (int64_t)SSL_SESSION_get_time(sess) + life / 2;
        SSL_set_session(ssl, sess);
        SSL_SESSION_free(sess);
    }
}

/* A ticket arrived (after the handshake, in TLS 1.3): keep it for next time. */
static int client__on_new_session(SSL *ssl, SSL_SESSION *sess)
{
    okr_client_t *c = SSL_get_app_data(ssl);
    if (!c || !c->session_cache)
        return 0;
    /* Resumed with a ticket that is still young: keep using that one. A new
     * file on every command would cost more (a rename: the file system
     * starts writing it out) than the resumption saves. */
    if (SSL_session_reused(ssl) && (int64_t)time(NULL) < c->offered_until)
        return 0;
    BIO *mem = BIO_new(BIO_s_mem());
    char *data = NULL;
    long len = 0;
    if (mem && PEM_write_bio_SSL_SESSION(mem, sess) == 1)
        len = BIO_get_mem_data(mem, &data);
    char err[256];
    if (len > 0 &&
        okr_paths_write_cache(c->session_cache, data, (size_t)len, 0600, err, sizeof err) != 0)
        ERR_clear_error(); /* only an optimisation: the next connection does a full handshake */
    BIO_free(mem);
    return 0; /* we keep no reference */
}

/* One TCP connection and TLS handshake to addr. Returns 0 once the
 * handshake succeeded, OKR_E_IO if the TCP connect failed (the caller may try
 * the next address), OKR_E_TLS or OKR_E_TIMEOUT. */
static int client__attempt(okr_client_t *c, const struct sockaddr *addr, uint32_t timeout_ms)
{
    client__reset(c);
    int rc = okr_tls_init(&c->tls, &c->loop, c->ctx, 0, &client_tls_cb);
    if (rc) {
        client__err(c, "cannot create a socket: %s", okr_strerror(rc));
        return OKR_E_IO;
    }
    c->tls.data = c;
    c->tls_open = 1;
    /* SNI for DNS names, and the host checked in the handshake with a CA. */
    if (okr_tls_client_set_host(okr_tls_ssl(&c->tls), c->host) != 0) {
        client__err(c, "cannot use '%s' as the TLS host name", c->host);
        client__close_now(c);
        return OKR_E_TLS;
    }
    client__offer_session(c);
    c->connect_req.data = c;
    int uvrc = uv_tcp_connect(&c->connect_req, &c->tls.tcp, addr, on_connect);
    if (uvrc) {
        client__err(c, "cannot connect to %s: %s", c->hostport, uv_strerror(uvrc));
        client__close_now(c);
        return OKR_E_IO;
    }
    c->connecting = 1;
    rc = client__run_until(c, cond_connected, NULL, timeout_ms);
    if (rc == 0 && c->connect_status == 0)
        rc = client__run_until(c, cond_handshake, NULL, timeout_ms);
    if (rc == OKR_E_TIMEOUT) {
        client__err(c, "no answer from %s within %u ms (is okrd running there?)", c->hostport,
                    (unsigned)c->timeout_ms);
        client__close_now(c); /* cancels the connect: its callback runs first */
        return OKR_E_TIMEOUT;
    }
    if (c->connect_status) {
        client__err(c, "cannot connect to %s: %s%s", c->hostport, uv_strerror(c->connect_status),
                    c->connect_status == UV_ECONNREFUSED ? " (is okrd running there?)" : "");
        client__close_now(c);
        return OKR_E_IO;
    }
    if (!c->handshake_done || c->handshake_status) {
        if (!c->handshake_done)
            client__err(c, "%s closed the connection during the TLS handshake", c->hostport);
        client__close_now(c);
        return OKR_E_TLS;
    }
    return 0;
}

/* Resolves c->host: literals directly, names through getaddrinfo (the
 * system resolver bounds its own time). *res is freed with uv_freeaddrinfo. */
static int client__resolve(okr_client_t *c, struct addrinfo **res)
{
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)c->port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    if (okr_host_is_ip_literal(c->host))
        hints.ai_flags |= AI_NUMERICHOST;
    uv_getaddrinfo_t req;
    int rc = uv_getaddrinfo(&c->loop, &req, NULL, c->host, port, &hints); /* synchronous */
    if (rc) {
        client__err(c, "cannot resolve %s: %s", c->host, uv_strerror(rc));
        return OKR_E_IO;
    }
    *res = req.addrinfo;
    return 0;
}

static int client__connect_tcp_tls(okr_client_t *c)
{
    struct addrinfo *res = NULL;
    int rc = client__resolve(c, &res);
    if (rc)
        return rc;
    rc = OKR_E_IO;
    client__err(c, "cannot resolve %s: no address", c->host);
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        rc = client__attempt(c, ai->ai_addr, c->timeout_ms);
        if (rc != OKR_E_IO) /* connected, or a failure another address won't fix */
            break;
    }
    uv_freeaddrinfo(res);
    return rc;
}

/* ---------------------------------------------------------------- trust */

static void client__pin_mismatch(okr_client_t *c, const char *pin, const char *path)
{
    char want[96], got[96];
    okr_tls_fingerprint_pretty(pin, want, sizeof want);
    okr_tls_fingerprint_pretty(c->fingerprint, got, sizeof got);
    client__err(c,
                "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
                "@    WARNING: SERVER IDENTIFICATION HAS CHANGED!                  @\n"
                "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
                "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n"
                "Someone could be eavesdropping on you right now (man-in-the-middle attack),\n"
                "or the server's certificate has been replaced.\n"
                "The certificate pinned for %s has the SHA-256 fingerprint\n"
                "  expected: %s\n"
                "but the server presented\n"
                "  received: %s\n"
                "The pin is in %s.\n"
                "If the server's administrator confirms the new certificate (okrd prints its\n"
                "fingerprint when it starts), remove the old pin with\n"
                "  okr trust --forget %s\n"
                "(or delete the line for %s from that file) and connect again.\n"
                "Refusing to connect to %s.",
                c->hostport, want, got, path, c->hostport, c->hostport, c->hostport);
}

static void client__pin_unknown(okr_client_t *c)
{
    char got[96];
    okr_tls_fingerprint_pretty(c->fingerprint, got, sizeof got);
    client__err(c,
                "the server %s is not known yet; its certificate's SHA-256 fingerprint is\n"
                "  %s\n"
                "Check that it matches the fingerprint okrd printed when it started (or ask the\n"
                "server's administrator), then run again with --trust to pin it.",
                c->hostport, got);
}

static int client__known_servers(okr_client_t *c, char *path, size_t len)
{
    if (c->known_servers) {
        if (strlen(c->known_servers) >= len) {
            client__err(c, "path too long: %s", c->known_servers);
            return OKR_E_IO;
        }
        strcpy(path, c->known_servers);
        return 0;
    }
    char msg[512] = "";
    if (okr_paths_config_file(OKR_KNOWN_SERVERS_FILE, path, len, 0, msg, sizeof msg) != 0) {
        client__err(c, "%s", msg);
        return OKR_E_IO;
    }
    return 0;
}

static int client__check_pin(okr_client_t *c)
{
    char path[PATH_MAX], pin[OKR_FINGERPRINT_LEN], msg[1024] = "";
    okr_trust_verdict_t verdict;
    if (client__known_servers(c, path, sizeof path) != 0)
        return OKR_E_TLS;
    if (okr_trust_check(path, c->hostport, c->fingerprint, &verdict, pin, msg, sizeof msg)) {
        client__err(c, "cannot check the pin of %s: %s", c->hostport, msg);
        return OKR_E_TLS;
    }
    if (verdict == OKR_TRUST_MATCH)
        return 0;
    if (verdict == OKR_TRUST_MISMATCH) {
        client__pin_mismatch(c, pin, path);
        return OKR_E_TLS;
    }
    int trust = c->trust_new;
    if (!trust && c->confirm_new) {
        c->prompted = 1;
        trust = c->confirm_new(c->confirm_arg, c->hostport, c->fingerprint) == 1;
    }
    if (!trust) {
        if (c->prompted)
            client__err(c, "%s was not trusted; nothing was sent to it", c->hostport);
        else
            client__pin_unknown(c);
        return OKR_E_TLS;
    }
    if (okr_trust_store(path, c->hostport, c->fingerprint, msg, sizeof msg) != 0) {
        client__err(c, "cannot pin the certificate of %s: %s", c->hostport, msg);
        return OKR_E_TLS;
    }
    c->pinned_new = 1;
    return 0;
}

/* After the handshake: the certificate must name the host, and be either
 * verified by the CA (OpenSSL did that during the handshake) or pinned. */
static int client__verify(okr_client_t *c)
{
    SSL *ssl = okr_tls_ssl(&c->tls);
    if (okr_tls_peer_fingerprint(ssl, c->fingerprint) != 0) {
        client__err(c, "%s presented no certificate", c->hostport);
        return OKR_E_TLS;
    }
    if (okr_tls_check_peer_host(ssl, c->host) != 0) {
        client__err(c,
                    "the certificate of %s is not valid for the name '%s'.\n"
                    "Connect with a name or address the certificate lists, or give okrd a\n"
                    "certificate that includes '%s'.",
                    c->hostport, c->host, c->host);
        return OKR_E_TLS;
    }
    return c->ca_file ? 0 : client__check_pin(c);
}

/* ---------------------------------------------------------------- hello */

/* Sends Hello, and the token right behind it if there is one. */
static int client__hello_send(okr_client_t *c)
{
    Okr__Hello hello = OKR__HELLO__INIT;
    hello.version_major = OKR_PROTOCOL_MAJOR;
    hello.version_minor = OKR_PROTOCOL_MINOR;
    hello.client_name = c->client_name;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_HELLO;
    req.hello = &hello;
    int rc = okr_client_send(c, &req, &c->hello_id);
    if (rc)
        return rc;
    /* The server answers in order, so the token may follow Hello without
     * waiting: one round trip less for every one-shot command. */
    if (c->auth_token) {
        Okr__AuthTokenRequest auth = OKR__AUTH_TOKEN_REQUEST__INIT;
        auth.token = c->auth_token;
        Okr__Request areq = OKR__REQUEST__INIT;
        areq.op_case = OKR__REQUEST__OP_AUTH_TOKEN;
        areq.auth_token = &auth;
        if (okr_client_send(c, &areq, &c->auth_id) != 0)
            c->auth_id = 0; /* okr_client_auth_token will send it again */
    }
    return 0;
}

/* Takes Hello's answer and checks the server's protocol version. */
static int client__hello_answer(okr_client_t *c)
{
    uint64_t id = c->hello_id;
    c->hello_id = 0; /* okr_client_wait below must not come back here */
    Okr__Response *resp;
    int rc = okr_client_wait(c, id, &resp);
    if (rc)
        return rc;
    if (resp->status != OKR__STATUS__STATUS_OK) {
        rc = okr_status_to_err(resp->status);
        client__err(c, "%s refused protocol version %u.%u: %s", c->hostport, OKR_PROTOCOL_MAJOR,
                    OKR_PROTOCOL_MINOR,
                    resp->message && resp->message[0] ? resp->message : okr_strerror(rc));
        okr__response__free_unpacked(resp, NULL);
        return rc == OKR_E_UNSUPPORTED ? rc : OKR_E_PROTOCOL;
    }
    if (resp->result_case != OKR__RESPONSE__RESULT_HELLO) {
        client__err(c, "%s answered Hello without a HelloResult", c->hostport);
        okr__response__free_unpacked(resp, NULL);
        return OKR_E_PROTOCOL;
    }
    if (resp->hello->version_major != OKR_PROTOCOL_MAJOR) {
        client__err(c, "%s speaks okr protocol %u.%u; this client speaks %u.%u", c->hostport,
                    resp->hello->version_major, resp->hello->version_minor, OKR_PROTOCOL_MAJOR,
                    OKR_PROTOCOL_MINOR);
        okr__response__free_unpacked(resp, NULL);
        return OKR_E_UNSUPPORTED;
    }
    if (c->hello)
        okr__response__free_unpacked(c->hello, NULL);
    c->hello = resp;
    return 0;
}

/* ---------------------------------------------------------------- public */

static char *client__strdup_opt(const char *s, int *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

static int client__init(okr_client_t *c, const okr_client_opts_t *opts)
{
    if (!opts->host || !opts->host[0]) {
        client__err(c, "no server host given");
        return OKR_E_BAD_REQUEST;
    }
    if (strlen(opts->host) >= sizeof c->host) {
        client__err(c, "server host name too long");
        return OKR_E_BAD_REQUEST;
    }
    strcpy(c->host, opts->host);
    c->port = opts->port ? opts->port : OKR_DEFAULT_PORT;
    okr_hostport_format(c->host, c->port, c->hostport);
    int oom = 0;
    c->ca_file = client__strdup_opt(opts->ca_file, &oom);
    c->session_cache = client__strdup_opt(opts->session_cache_path, &oom);
    c->known_servers = client__strdup_opt(opts->known_servers_path, &oom);
    c->client_name = client__strdup_opt(opts->client_name ? opts->client_name : "okr-client", &oom);
    c->auth_token = client__strdup_opt(opts->auth_token, &oom);
    c->defer_hello = opts->defer_hello;
    if (oom) {
        client__err(c, "out of memory");
        return OKR_E_NOMEM;
    }
    c->trust_new = opts->trust_new;
    c->confirm_new = opts->confirm_new;
    c->confirm_arg = opts->confirm_arg;
    c->timeout_ms = opts->timeout_ms ? opts->timeout_ms : CLIENT_DEFAULT_TIMEOUT_MS;
    c->events_tail = &c->events;
    okr_frame_decoder_init(&c->dec, CLIENT_FRAME_MAX);

    int uvrc = uv_loop_init(&c->loop);
    if (uvrc) {
        client__err(c, "cannot create an event loop: %s", uv_strerror(uvrc));
        return OKR_E_IO;
    }
    c->loop_ready = 1;
    uv_timer_init(&c->loop, &c->timer);
    c->timer_ready = 1;

    char msg[512] = "";
    c->ctx = okr_tls_client_ctx(c->ca_file, msg, sizeof msg);
    if (!c->ctx) {
        client__err(c, "cannot set up TLS: %s", msg);
        return OKR_E_TLS;
    }
    if (c->session_cache) {
        SSL_CTX_set_session_cache_mode(c->ctx,
                                       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(c->ctx, client__on_new_session);
    }
    return 0;
}

/* Connect, verify and hello, once. */
static int client__open(okr_client_t *c)
{
    int rc = client__connect_tcp_tls(c);
    if (rc)
        return rc;
    rc = client__verify(c);
    if (rc) {
        client__close_now(c);
        return rc;
    }
    c->verified = 1;
    /* A deferred Hello waits for what the caller sends behind it: all of it
     * leaves in one TLS record and one write with the first wait. */
    if (c->defer_hello)
        okr_tls_cork(&c->tls);
    rc = client__hello_send(c);
    if (rc == 0 && !c->defer_hello)
        rc = client__hello_answer(c);
    if (rc)
        client__close_now(c);
    return rc;
}

/* libuv writes to sockets with write(2): a peer that went away would kill
 * the process with SIGPIPE. Ignore it unless the program chose otherwise. */
static void client__ignore_sigpipe(void)
{
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_IGN;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGPIPE, &sa, NULL);
    }
}

int okr_client_connect(okr_client_t **out, const okr_client_opts_t *opts, char *err, size_t errlen)
{
    *out = NULL;
    client__ignore_sigpipe();
    okr_client_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return OKR_E_NOMEM;
    }
    int rc = client__init(c, opts);
    if (!rc)
        rc = client__open(c);
    /* While a person read the fingerprint the server may have given up on
     * the idle connection; the pin is stored now, so one more try is quiet. */
    if (rc == OKR_E_CLOSED && c->prompted) {
        c->prompted = 0;
        rc = client__open(c);
    }
    if (rc) {
        snprintf(err, errlen, "%s", c->err);
        okr_client_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void okr_client_free(okr_client_t *c)
{
    if (!c)
        return;
    c->event_fn = NULL;
    if (c->tls_open) {
        if (okr_tls_is_established(&c->tls) && !okr_tls_is_closing(&c->tls)) {
            okr_tls_shutdown(&c->tls); /* close_notify, drain, close */
            client__run_until(c, cond_tls_closed, NULL, CLIENT_SHUTDOWN_MS);
        }
        client__close_now(c);
    }
    if (c->timer_ready)
        uv_close((uv_handle_t *)&c->timer, NULL);
    if (c->loop_ready) {
        uv_run(&c->loop, UV_RUN_DEFAULT); /* runs the close callbacks */
        uv_loop_close(&c->loop);
    }
    if (c->ctx)
        SSL_CTX_free(c->ctx);
    client__reset(c);
    okr_frame_decoder_free(&c->dec);
    while (c->events) {
        client_event_t *e = c->events;
        c->events = e->next;
        okr__event__free_unpacked(e->ev, NULL);
        free(e);
    }
    if (c->hello)
        okr__response__free_unpacked(c->hello, NULL);
    if (c->token) {
        OPENSSL_cleanse(c->token, strlen(c->token));
        free(c->token);
    }
    if (c->auth_token) {
        OPENSSL_cleanse(c->auth_token, strlen(c->auth_token));
        free(c->auth_token);
    }
    free(c->ca_file);
    free(c->session_cache);
    free(c->known_servers);
    free(c->client_name);
    free(c);
}

static int client__check_open(okr_client_t *c)
{
    if (c->failed || !c->tls_open || okr_tls_is_closing(&c->tls)) {
        if (!c->failed)
            client__err(c, "the connection to %s is closed", c->hostport);
        return OKR_E_CLOSED;
    }
    return 0;
}

/* For tests: with OKR_RECORD_FRAMES=DIR set, each request's frame payload
 * (an Envelope) is also written to DIR/PID-N, the seeds of the fuzz corpora
 * (tests/fuzz). Payloads include any password sent: record test traffic only. */
static void client__record(const uint8_t *payload, size_t len)
{
    static unsigned n;
    const char *dir = getenv("OKR_RECORD_FRAMES");
    if (!dir || !*dir)
        return;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%ld-%04u", dir, (long)getpid(), ++n);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(payload, 1, len, f);
        fclose(f);
    }
}

int okr_client_send(okr_client_t *c, Okr__Request *req, uint64_t *id)
{
    int rc = client__check_open(c);
    if (rc)
        return rc;
    req->id = ++c->next_id;
    Okr__Envelope env = OKR__ENVELOPE__INIT;
    env.msg_case = OKR__ENVELOPE__MSG_REQUEST;
    env.request = req;
    size_t len = okr__envelope__get_packed_size(&env);
    if (len > UINT32_MAX) {
        client__err(c, "request too large to send (%zu bytes)", len);
        return OKR_E_TOO_LARGE;
    }
    uint8_t *buf = malloc(OKR_FRAME_HEADER + len);
    if (!buf) {
        client__err(c, "out of memory");
        return OKR_E_NOMEM;
    }
    okr_frame_put_header(buf, (uint32_t)len);
    okr__envelope__pack(&env, buf + OKR_FRAME_HEADER);
    client__record(buf + OKR_FRAME_HEADER, len);
    rc = okr_tls_write(&c->tls, buf, OKR_FRAME_HEADER + len);
    /* Requests may carry passwords: do not leave them in freed memory. */
    OPENSSL_cleanse(buf, OKR_FRAME_HEADER + len);
    free(buf);
    if (rc) {
        client__err(c, "cannot send to %s: %s", c->hostport, okr_strerror(rc));
        return rc;
    }
    if (okr_client_tracing())
        client__trace_request(req);
    if (id)
        *id = req->id;
    return 0;
}

static Okr__Response *client__take(okr_client_t *c, uint64_t id)
{
    for (client_resp_t **p = &c->responses; *p; p = &(*p)->next) {
        if ((*p)->resp->id == id) {
            client_resp_t *node = *p;
            Okr__Response *r = node->resp;
            *p = node->next;
            free(node);
            return r;
        }
    }
    return NULL;
}

static int cond_response(okr_client_t *c, const void *arg)
{
    uint64_t id = *(const uint64_t *)arg;
    for (client_resp_t *r = c->responses; r; r = r->next)
        if (r->resp->id == id)
            return 1;
    return c->failed != 0;
}

/* Sends what was sent behind a deferred Hello (okr_tls_cork in
 * client__open), before the first wait. A no-op when nothing is corked. */
static int client__uncork(okr_client_t *c)
{
    int rc = okr_tls_uncork(&c->tls);
    if (rc) {
        client__err(c, "cannot send to %s: %s", c->hostport, okr_strerror(rc));
        client__fail(c, rc);
    }
    return rc;
}

int okr_client_wait(okr_client_t *c, uint64_t id, Okr__Response **resp)
{
    return okr_client_wait_within(c, id, c->timeout_ms, resp);
}

int okr_client_wait_within(okr_client_t *c, uint64_t id, uint32_t timeout_ms, Okr__Response **resp)
{
    *resp = NULL;
    int urc = client__uncork(c);
    if (urc)
        return urc;
    if (c->hello_id) { /* deferred: Hello's answer is checked before any other */
        int hrc = client__hello_answer(c);
        if (hrc) {
            client__fail(c, hrc);
            return hrc;
        }
    }
    int rc = client__run_until(c, cond_response, &id, timeout_ms);
    *resp = client__take(c, id);
    if (*resp)
        return 0;
    if (rc == OKR_E_TIMEOUT) {
        client__abandon(c, id);
        client__err(c, "no answer from %s within %u ms", c->hostport, (unsigned)timeout_ms);
        return OKR_E_TIMEOUT;
    }
    /* The connection failed: its message is in c->err already. */
    return c->failed == OKR_E_NOMEM || c->failed == OKR_E_PROTOCOL ? c->failed : OKR_E_CLOSED;
}

int okr_client_call(okr_client_t *c, Okr__Request *req, Okr__Response **resp)
{
    uint64_t id;
    *resp = NULL;
    int rc = okr_client_send(c, req, &id);
    return rc ? rc : okr_client_wait(c, id, resp);
}

void okr_client_on_event(okr_client_t *c, okr_event_fn fn, void *arg)
{
    c->event_fn = fn;
    c->event_arg = arg;
}

static int cond_closed(okr_client_t *c, const void *arg)
{
    (void)arg;
    return c->failed != 0;
}

int okr_client_poll(okr_client_t *c, uint32_t timeout_ms)
{
    if (client__uncork(c))
        return OKR_E_CLOSED;
    if (timeout_ms == 0) {
        uv_run(&c->loop, UV_RUN_NOWAIT);
        client__deliver_events(c);
    } else {
        client__run_until(c, cond_closed, NULL, timeout_ms);
    }
    client__deliver_events(c);
    return c->failed ? OKR_E_CLOSED : 0;
}

int okr_client_send_raw(okr_client_t *c, const void *data, size_t len)
{
    int rc = client__check_open(c);
    if (!rc)
        rc = okr_tls_write(&c->tls, data, len);
    return rc;
}

const Okr__HelloResult *okr_client_server_hello(const okr_client_t *c)
{
    return c->hello ? c->hello->hello : NULL;
}

int okr_client_server_speaks(const okr_client_t *c, uint32_t minor)
{
    const Okr__HelloResult *h = okr_client_server_hello(c);
    return h && h->version_major == OKR_PROTOCOL_MAJOR && h->version_minor >= minor;
}

const char *okr_client_fingerprint(const okr_client_t *c)
{
    return c->fingerprint;
}

const char *okr_client_error(const okr_client_t *c)
{
    return c->err;
}

Okr__Status okr_client_conn_status(const okr_client_t *c)
{
    return c->conn_status;
}

const char *okr_client_hostport(const okr_client_t *c)
{
    return c->hostport;
}

int okr_client_resumed(const okr_client_t *c)
{
    return c->tls_open && SSL_session_reused(okr_tls_ssl((okr_tls_t *)&c->tls));
}

int okr_client_pinned_new(const okr_client_t *c)
{
    return c->pinned_new;
}

/* ---------------------------------------------------------------- wrappers */

/* Common tail of login and auth_token: checks the status and the result. */
static int client__login_result(okr_client_t *c, Okr__Response *resp, Okr__LoginResult **out)
{
    if (resp->status != OKR__STATUS__STATUS_OK) {
        int rc = okr_status_to_err(resp->status);
        client__err(c, "%s", resp->message && resp->message[0] ? resp->message : okr_strerror(rc));
        return rc;
    }
    if (resp->result_case != OKR__RESPONSE__RESULT_LOGIN || !resp->login) {
        client__err(c, "%s answered without a login result", c->hostport);
        return OKR_E_PROTOCOL;
    }
    *out = resp->login;
    return 0;
}

/* Takes the answer to a Login or AuthToken: keeps the token (for a login),
 * the expiry and the user, and frees resp. */
static int client__login_answer(okr_client_t *c, Okr__Response *resp, int keep_token,
                                Okr__User **user)
{
    Okr__LoginResult *lr = NULL;
    int rc = client__login_result(c, resp, &lr);
    if (!rc && keep_token) {
        if (!lr->token || !lr->token[0]) {
            client__err(c, "%s accepted the login but sent no session token", c->hostport);
            rc = OKR_E_PROTOCOL;
        } else {
            char *token = strdup(lr->token);
            if (!token) {
                client__err(c, "out of memory");
                rc = OKR_E_NOMEM;
            } else {
                if (c->token) {
                    OPENSSL_cleanse(c->token, strlen(c->token));
                    free(c->token);
                }
                c->token = token;
            }
        }
    }
    if (!rc)
        c->expires_at = lr->expires_at;
    if (!rc && user) {
        *user = lr->user; /* detached: sub-messages are separate allocations */
        lr->user = NULL;
    }
    if (resp->result_case == OKR__RESPONSE__RESULT_LOGIN && resp->login && resp->login->token)
        OPENSSL_cleanse(resp->login->token, strlen(resp->login->token));
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

static int client__login_call(okr_client_t *c, Okr__Request *req, int keep_token, Okr__User **user)
{
    Okr__Response *resp;
    if (user)
        *user = NULL;
    int rc = okr_client_call(c, req, &resp);
    return rc ? rc : client__login_answer(c, resp, keep_token, user);
}

int okr_client_login(okr_client_t *c, const char *username, const char *password, Okr__User **user)
{
    Okr__LoginRequest login = OKR__LOGIN_REQUEST__INIT;
    login.username = (char *)username;
    login.password = (char *)password;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_LOGIN;
    req.login = &login;
    return client__login_call(c, &req, 1, user);
}

int okr_client_auth_token(okr_client_t *c, const char *token, Okr__User **user)
{
    if (c->auth_id && c->auth_token && strcmp(token, c->auth_token) == 0) {
        uint64_t id = c->auth_id; /* already sent behind Hello: collect it */
        c->auth_id = 0;
        Okr__Response *resp;
        if (user)
            *user = NULL;
        int rc = okr_client_wait(c, id, &resp);
        return rc ? rc : client__login_answer(c, resp, 0, user);
    }
    Okr__AuthTokenRequest auth = OKR__AUTH_TOKEN_REQUEST__INIT;
    auth.token = (char *)token;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_AUTH_TOKEN;
    req.auth_token = &auth;
    return client__login_call(c, &req, 0, user);
}

const char *okr_client_token(const okr_client_t *c)
{
    return c->token;
}

int64_t okr_client_expires_at(const okr_client_t *c)
{
    return c->expires_at;
}
