/* bconn.c — many okr client connections on one libuv loop (see bconn.h). */
#include "bconn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "okr_error.h"
#include "peek.h"
#include "tls_ctx.h"

#define BCONN_FRAME_MAX (16u * 1024u * 1024u)

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bench_loop_init(bench_loop_t *bl, SSL_CTX *ctx, const struct sockaddr_in *addr,
                    const char *host, const char *fingerprint, const char *token)
{
    memset(bl, 0, sizeof *bl);
    if (uv_loop_init(&bl->loop) != 0)
        return -1;
    bl->ctx = ctx;
    bl->addr = *addr;
    bl->host = host;
    bl->fingerprint = fingerprint;
    bl->token = token;
    return 0;
}

static void bench_loop__close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void bench_loop_close(bench_loop_t *bl)
{
    uv_walk(&bl->loop, bench_loop__close_walk, NULL);
    uv_run(&bl->loop, UV_RUN_DEFAULT);
    uv_loop_close(&bl->loop);
}

__attribute__((format(printf, 3, 4))) static void bconn__fail(bconn_t *c, int err, const char *fmt,
                                                              ...)
{
    if (!c->err) {
        c->err = err;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->why, sizeof c->why, fmt, ap);
        va_end(ap);
    }
    if (c->state < BCONN_CLOSING) {
        c->state = BCONN_CLOSING;
        okr_tls_close(&c->tls);
    }
}

static int bconn__write(bconn_t *c, Okr__Request *req, uint64_t *id)
{
    req->id = ++c->next_id;
    Okr__Envelope env = OKR__ENVELOPE__INIT;
    env.msg_case = OKR__ENVELOPE__MSG_REQUEST;
    env.request = req;
    size_t len = okr__envelope__get_packed_size(&env);
    uint8_t stackbuf[1024];
    uint8_t *buf =
        len + OKR_FRAME_HEADER <= sizeof stackbuf ? stackbuf : malloc(OKR_FRAME_HEADER + len);
    if (!buf)
        return OKR_E_NOMEM;
    okr_frame_put_header(buf, (uint32_t)len);
    okr__envelope__pack(&env, buf + OKR_FRAME_HEADER);
    int rc = okr_tls_write(&c->tls, buf, OKR_FRAME_HEADER + len);
    if (buf != stackbuf)
        free(buf);
    if (rc == 0 && id)
        *id = req->id;
    return rc;
}

int bconn_send(bconn_t *c, Okr__Request *req, uint64_t *id)
{
    if (c->state != BCONN_READY)
        return OKR_E_CLOSED;
    return bconn__write(c, req, id);
}

void bconn_close(bconn_t *c)
{
    if (c->state >= BCONN_CLOSING)
        return;
    if (c->reset_on_close) {
        uv_os_fd_t fd;
        if (uv_fileno((uv_handle_t *)&c->tls.tcp, &fd) == 0) {
            struct linger lg = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
    }
    c->state = BCONN_CLOSING;
    okr_tls_close(&c->tls);
}

/* ---- frames ---- */

static void bconn__on_own_response(bconn_t *c, const Okr__Response *r)
{
    if (r->status != OKR__STATUS__STATUS_OK) {
        bconn__fail(c, okr_status_to_err(r->status), "%s refused: %s",
                    r->id == c->auth_id ? "AuthToken" : "Hello", r->message ? r->message : "");
        return;
    }
    if (r->id == c->auth_id) {
        c->state = BCONN_READY;
        c->bl->opening--;
        if (c->cb->on_ready)
            c->cb->on_ready(c);
    }
}

static int bconn__on_frame(void *arg, const uint8_t *payload, size_t len)
{
    bconn_t *c = arg;
    uint64_t now = bench_now_ns();
    c->rx_ns = c->frame_ns;
    Okr__Envelope *env = okr__envelope__unpack(NULL, len, payload);
    if (!env) {
        bconn__fail(c, OKR_E_PROTOCOL, "undecodable frame from the server");
        return 1;
    }
    if (env->msg_case == OKR__ENVELOPE__MSG_RESPONSE) {
        const Okr__Response *r = env->response;
        if (r->id == 0)
            bconn__fail(c, OKR_E_CLOSED, "the server closed the connection: %s",
                        r->message ? r->message : "");
        else if (r->id <= c->auth_id)
            bconn__on_own_response(c, r);
        else if (c->cb->on_response)
            c->cb->on_response(c, r, now);
    } else if (env->msg_case == OKR__ENVELOPE__MSG_EVENT && c->cb->on_event) {
        c->cb->on_event(c, env->event, now);
    }
    okr__envelope__free_unpacked(env, NULL);
    c->frame_ns = c->chunk_ns; /* the next frame starts in the same plaintext */
    return c->state >= BCONN_CLOSING;
}

/* ---- TLS callbacks ---- */

static void bconn__on_handshake(okr_tls_t *t, int status)
{
    bconn_t *c = t->data;
    if (status != 0) {
        if (!c->err) {
            c->err = OKR_E_TLS;
            snprintf(c->why, sizeof c->why, "TLS: %s", okr_tls_last_error(t));
        }
        return; /* the layer closes */
    }
    c->t_handshake = bench_now_ns();
    SSL *ssl = okr_tls_ssl(t);
    char fp[OKR_FINGERPRINT_LEN];
    if (okr_tls_peer_fingerprint(ssl, fp) != 0 || strcmp(fp, c->bl->fingerprint) != 0) {
        bconn__fail(c, OKR_E_TLS, "the server's certificate is not the pinned one");
        return;
    }
    if (okr_tls_check_peer_host(ssl, c->bl->host) != 0) {
        bconn__fail(c, OKR_E_TLS, "the certificate does not name %s", c->bl->host);
        return;
    }
    c->state = BCONN_HELLO;
    Okr__Hello hello = OKR__HELLO__INIT;
    hello.version_major = 1;
    hello.client_name = "okr-bench";
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_HELLO;
    req.hello = &hello;
    Okr__AuthTokenRequest auth = OKR__AUTH_TOKEN_REQUEST__INIT;
    auth.token = (char *)c->bl->token;
    Okr__Request areq = OKR__REQUEST__INIT;
    areq.op_case = OKR__REQUEST__OP_AUTH_TOKEN;
    areq.auth_token = &auth;
    if (bconn__write(c, &req, NULL) != 0 || bconn__write(c, &areq, &c->auth_id) != 0)
        bconn__fail(c, OKR_E_IO, "cannot send Hello");
}

static void bconn__on_read(okr_tls_t *t, const uint8_t *data, size_t len)
{
    bconn_t *c = t->data;
    if (c->state >= BCONN_CLOSING)
        return;
    if (!okr_frame_in_progress(&c->dec))
        c->frame_ns = c->chunk_ns;
    int rc = okr_frame_feed(&c->dec, data, len, bconn__on_frame, c);
    if (rc && c->state < BCONN_CLOSING)
        bconn__fail(c, OKR_E_PROTOCOL, "bad frame from the server (%s)", okr_strerror(rc));
}

static void bconn__on_error(okr_tls_t *t, int status)
{
    bconn_t *c = t->data;
    if (!c->err) {
        c->err = status;
        snprintf(c->why, sizeof c->why, "connection lost: %s", okr_tls_last_error(t));
    }
}

static void bconn__on_close(okr_tls_t *t)
{
    bconn_t *c = t->data;
    if (c->state < BCONN_READY)
        c->bl->opening--;
    c->state = BCONN_CLOSED;
    c->bl->open--;
    okr_frame_decoder_free(&c->dec);
    if (c->cb->on_closed)
        c->cb->on_closed(c, c->err);
}

/* ---- receipt times (cb->rx_stamp) ----
 *
 * The kernel stamps each segment with its arrival (SO_TIMESTAMPNS), and a
 * recvmsg reports the stamp of the last segment it read. To know when each
 * TLS record arrived, a stamping connection reads one record at a time:
 * before each read it peeks at the next record's header, which gives the
 * arrival of its first byte and its length, and lets the read take exactly
 * that record. A record the server wrote with one write(2) travels loopback
 * as one segment, so it is stamped exactly. OpenSSL reads a socket the same
 * way (header, then body), which is how peer_mqtt stamps Mosquitto's records.
 * Should a read ever take several records (a peek that found nothing yet),
 * what they carry is stamped with the first one's time, or 0 if unknown. */

static size_t bconn__before_read(okr_tls_t *t, int fd)
{
    bconn_t *c = t->data;
    if (c->rec_hdr_have > 0)
        return sizeof c->rec_hdr - c->rec_hdr_have;
    if (c->rec_left > 0)
        return c->rec_left;
    uint8_t hdr[sizeof c->rec_hdr];
    ssize_t n = bench_peek_stamped(fd, hdr, sizeof hdr, &c->peek_ns);
    if (n <= 0)
        return 0; /* nothing yet, or the end: the read itself will tell */
    if ((size_t)n < sizeof hdr)
        return (size_t)n;
    return sizeof hdr + ((size_t)hdr[3] << 8 | hdr[4]);
}

/* Follows the record boundaries through what the socket read returned. */
static void bconn__on_ciphertext(okr_tls_t *t, const uint8_t *p, size_t n)
{
    bconn_t *c = t->data;
    c->chunk_ns = 0;
    size_t i = 0;
    while (i < n) {
        if (c->rec_left == 0) { /* in a header */
            if (c->rec_hdr_have == 0) {
                c->rec_ns = c->peek_ns; /* a record starts here */
                c->peek_ns = 0;
            }
            c->rec_hdr[c->rec_hdr_have++] = p[i++];
            if (c->rec_hdr_have < sizeof c->rec_hdr)
                continue;
            c->rec_hdr_have = 0;
            c->rec_left = (uint32_t)c->rec_hdr[3] << 8 | c->rec_hdr[4];
        } else {
            size_t take = n - i < c->rec_left ? n - i : c->rec_left;
            i += take;
            c->rec_left -= (uint32_t)take;
        }
        if (c->rec_left == 0 && !c->chunk_ns)
            c->chunk_ns = c->rec_ns; /* complete: its plaintext is read next */
    }
}

static const okr_tls_callbacks_t bconn_tls_cb = {
    .on_handshake = bconn__on_handshake,
    .on_read = bconn__on_read,
    .on_error = bconn__on_error,
    .on_close = bconn__on_close,
};

static const okr_tls_callbacks_t bconn_tls_stamp_cb = {
    .on_handshake = bconn__on_handshake,
    .on_read = bconn__on_read,
    .on_error = bconn__on_error,
    .on_close = bconn__on_close,
    .on_before_read = bconn__before_read,
    .on_ciphertext = bconn__on_ciphertext,
};

static void bconn__on_connect(uv_connect_t *req, int status)
{
    bconn_t *c = req->data;
    if (c->state != BCONN_CONNECTING)
        return; /* closed meanwhile (UV_ECANCELED) */
    if (status < 0) {
        bconn__fail(c, OKR_E_IO, "connect: %s", uv_strerror(status));
        return;
    }
    c->t_connected = bench_now_ns();
    uv_tcp_nodelay(&c->tls.tcp, 1);
    uv_os_fd_t fd;
    int on = 1;
    if (c->cb->rx_stamp && uv_fileno((uv_handle_t *)&c->tls.tcp, &fd) == 0 &&
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
        bconn__fail(c, OKR_E_IO, "SO_TIMESTAMPNS: the kernel gives no receipt times");
        return;
    }
    if (okr_tls_start(&c->tls) != 0)
        bconn__fail(c, OKR_E_TLS, "cannot start TLS: %s", okr_tls_last_error(&c->tls));
}

int bconn_open(bconn_t *c, bench_loop_t *bl, const bconn_cb_t *cb, void *data)
{
    memset(c, 0, sizeof *c);
    c->bl = bl;
    c->cb = cb;
    c->data = data;
    c->t_open = bench_now_ns();
    int rc = okr_tls_init(&c->tls, &bl->loop, bl->ctx, 0,
                          cb->rx_stamp ? &bconn_tls_stamp_cb : &bconn_tls_cb);
    if (rc)
        return rc;
    c->tls.data = c;
    okr_frame_decoder_init(&c->dec, BCONN_FRAME_MAX);
    bl->open++;
    bl->opening++;
    c->state = BCONN_CONNECTING;
    okr_tls_client_set_host(okr_tls_ssl(&c->tls), bl->host);
    c->creq.data = c;
    int uvrc = uv_tcp_connect(&c->creq, &c->tls.tcp, (const struct sockaddr *)&bl->addr,
                              bconn__on_connect);
    if (uvrc)
        bconn__fail(c, OKR_E_IO, "connect: %s", uv_strerror(uvrc));
    return 0;
}
