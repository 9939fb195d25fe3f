/* tls.c — TLS over a libuv TCP stream with OpenSSL memory BIOs.
 *
 * Data flow: socket -> net_in BIO -> SSL -> on_read; okr_tls_write -> SSL ->
 * net_out BIO -> out -> (one uv_write at a time) -> socket. After every OpenSSL
 * call the net_out BIO is drained into out (h2o's habit), so nothing OpenSSL
 * produced is ever forgotten in the BIO. When nothing is queued (the usual
 * case: a reader that keeps up) the ciphertext goes from the BIO straight to
 * the socket with one send(2) (tls__send_now), and only what the socket did
 * not take is kept in out: no buffer, no write request, no completion
 * callback and no change to the loop's poll set per message (fan-out makes
 * one such write per subscriber per event).
 *
 * Callbacks into the owner and reentrancy. on_handshake(OK) and on_read are
 * called from the libuv read callback; the owner may call any okr_tls_*
 * function from them, so after each one we look at the state again before
 * touching the connection further. Failures (on_error, and on_handshake with
 * OKR_E_TLS) are not reported where they are detected: that can be inside an
 * owner's call (okr_tls_write from its own on_read, say). They are recorded in
 * t->fail, the handle is closed at once, and the close callback reports them
 * right before on_close. The owner never sees a callback from inside its own
 * call, and the memory of t stays valid until on_close. A close the owner asked
 * for (okr_tls_close/okr_tls_shutdown) reports nothing but on_close.
 *
 * SIGPIPE: libuv writes with write(2), so a program using this layer must
 * ignore SIGPIPE (okrd and the clients do at start).
 */
#include "tls.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "okr_error.h"

enum {
    ST_INIT = 0,    /* initialised, not started */
    ST_HANDSHAKE,   /* reading, handshake in progress */
    ST_ESTABLISHED, /* application data flows */
    ST_SHUTDOWN,    /* close_notify sent, draining, then FIN, then waiting for the peer */
    ST_CLOSING,     /* uv_close called */
    ST_CLOSED,      /* close callback ran */
};

enum {
    F_SERVER = 1 << 0,
    F_ESTABLISHED = 1 << 1, /* the handshake completed once */
    F_HOLD = 1 << 2, /* writes go to pending (until the handshake and on_handshake are done) */
    F_OWNER_CLOSE = 1 << 3,      /* the owner asked to close: report nothing but on_close */
    F_FIN_SENT = 1 << 4,         /* uv_shutdown issued */
    F_FIN_DONE = 1 << 5,         /* uv_shutdown completed */
    F_PEER_DONE = 1 << 6,        /* the peer sent close_notify or EOF */
    F_CORK = 1 << 7,             /* writes go to pending until okr_tls_uncork */
    F_HANDSHAKE_CLOSED = 1 << 8, /* the peer closed before the handshake completed */
};

/* One TLS record of plaintext at most comes out of one SSL_read_ex. */
#define TLS__RECORD_MAX 16384
/* Ciphertext buffers larger than this are released once written, so that a
 * burst does not pin its peak memory on an idle connection. */
#define TLS__KEEP_BUF (256 * 1024)
/* uv_buf_t lengths are unsigned int; the owner bounds its queue far below. */
#define TLS__OUT_MAX ((size_t)UINT_MAX / 2)

/* Socket reads are copied into net_in before anything else runs, so one
 * buffer per thread is enough and no memory is held per idle connection. */
static _Thread_local char tls__rbuf[64 * 1024];
/* Ciphertext on its way from net_out to the socket, likewise. */
static _Thread_local uint8_t tls__wbuf[64 * 1024];

static void tls__on_closed(uv_handle_t *h);
static void tls__on_write(uv_write_t *req, int status);

/* Marks a peer that closed before the handshake completed: an end of file,
 * or a reset or a broken pipe when its close met our bytes on their way
 * (okrd closes at once a connection over its limits, and its client says
 * so). status is libuv's. */
static void tls__note_handshake_close(okr_tls_t *t, int status)
{
    if (t->state == ST_HANDSHAKE &&
        (status == UV_EOF || status == UV_ECONNRESET || status == UV_EPIPE))
        t->flags |= F_HANDSHAKE_CLOSED;
}
static void tls__shutdown_progress(okr_tls_t *t);

/* --- errors ------------------------------------------------------------- */

static void tls__set_error(okr_tls_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void tls__set_error(okr_tls_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->error, sizeof t->error, fmt, ap);
    va_end(ap);
}

/* Records why an OpenSSL call failed and empties the error queue, so nothing
 * is left behind for the next connection to misread. */
static void tls__set_ssl_error(okr_tls_t *t, const char *what, int ssl_err)
{
    char reason[160] = "";
    unsigned long e = ERR_get_error(); /* the earliest one is the cause */
    if (e)
        ERR_error_string_n(e, reason, sizeof reason);
    else if (ssl_err == SSL_ERROR_SYSCALL)
        snprintf(reason, sizeof reason, "unexpected end of data");
    else
        snprintf(reason, sizeof reason, "SSL error %d", ssl_err);
    ERR_clear_error();

    long vr = SSL_get_verify_result(t->ssl);
    if (vr != X509_V_OK)
        tls__set_error(t, "TLS %s failed: %s (certificate: %s)", what, reason,
                       X509_verify_cert_error_string(vr));
    else
        tls__set_error(t, "TLS %s failed: %s", what, reason);
}

/* Empties the thread's error queue before an SSL call, so that SSL_get_error
 * reads this call's failure. It is nearly always empty already: peeking is
 * much cheaper than OpenSSL 3's clear (16 slots), and this runs once per
 * message sent or read. */
static void tls__clear_errors(void)
{
    if (ERR_peek_error() != 0)
        ERR_clear_error();
}

/* --- output ------------------------------------------------------------- */

static int tls__reserve(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 4096;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return OKR_E_NOMEM;
        n *= 2;
    }
    uint8_t *p = realloc(*buf, n);
    if (!p)
        return OKR_E_NOMEM;
    *buf = p;
    *cap = n;
    return 0;
}

/* Makes room in out for n more bytes of ciphertext, within TLS__OUT_MAX. */
static int tls__make_room(okr_tls_t *t, size_t n)
{
    if (t->out_len + n > TLS__OUT_MAX) {
        tls__set_error(t, "TLS output buffer limit reached");
        return OKR_E_NOMEM;
    }
    if (tls__reserve(&t->out, &t->out_cap, t->out_len + n)) {
        tls__set_error(t, "out of memory");
        return OKR_E_NOMEM;
    }
    return 0;
}

/* Moves what OpenSSL produced from net_out to out. */
static int tls__drain_bio(okr_tls_t *t)
{
    size_t n = BIO_ctrl_pending(t->net_out);
    if (n == 0)
        return 0;
    int rc = tls__make_room(t, n);
    if (rc)
        return rc;
    size_t got = 0;
    if (BIO_read_ex(t->net_out, t->out + t->out_len, n, &got) != 1 || got != n) {
        ERR_clear_error();
        tls__set_error(t, "TLS output buffer read failed");
        return OKR_E_IO;
    }
    t->out_len += got;
    return 0;
}

/* Starts a uv_write of out unless one is in flight: the write callback sends
 * whatever accumulated meanwhile in one go (coalescing). The two buffers are
 * swapped rather than copied. */
static int tls__flush(okr_tls_t *t)
{
    if (t->inflight_len > 0 || t->out_len == 0)
        return 0;
    if (t->flags & F_FIN_SENT) { /* nothing may follow the FIN */
        t->out_len = 0;
        return 0;
    }
    uint8_t *b = t->inflight;
    size_t cap = t->inflight_cap;
    t->inflight = t->out;
    t->inflight_cap = t->out_cap;
    t->inflight_len = t->out_len;
    t->out = b;
    t->out_cap = cap;
    t->out_len = 0;

    uv_buf_t buf = uv_buf_init((char *)t->inflight, (unsigned int)t->inflight_len);
    int rc = uv_write(&t->write_req, (uv_stream_t *)&t->tcp, &buf, 1, tls__on_write);
    if (rc < 0) {
        t->inflight_len = 0;
        tls__note_handshake_close(t, rc);
        tls__set_error(t, "write: %s", uv_strerror(rc));
        return OKR_E_IO;
    }
    return 0;
}

/* Appends n bytes of ciphertext to out. */
static int tls__keep(okr_tls_t *t, const uint8_t *p, size_t n)
{
    int rc = tls__make_room(t, n);
    if (rc)
        return rc;
    memcpy(t->out + t->out_len, p, n);
    t->out_len += n;
    return 0;
}

/* Offers n bytes to the socket without waiting; *done is how many it took.
 * libuv's write queue is empty here (nothing in flight), so going around it
 * keeps the order. send(2) rather than uv_try_write's write(2): a socket
 * needs none of the file layer write(2) goes through first (a measurable
 * share of a fan-out to thousands), and MSG_NOSIGNAL makes a vanished peer
 * an error here, not a SIGPIPE. */
static int tls__send_now(okr_tls_t *t, const uint8_t *p, size_t n, size_t *done)
{
    *done = 0;
    uv_os_fd_t fd;
    if (uv_fileno((const uv_handle_t *)&t->tcp, &fd) != 0)
        return 0; /* not open yet: kept, and written once it is */
    ssize_t w;
    do
        w = send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    if (w >= 0) {
        *done = (size_t)w;
        return 0;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return 0;
    tls__note_handshake_close(t, uv_translate_sys_error(errno));
    tls__set_error(t, "write: %s", strerror(errno));
    return OKR_E_IO;
}

/* Nothing queued: net_out goes to the socket now, through one send(2) per
 * buffer-full; what the socket does not take is kept in out, in order. */
static int tls__output_direct(okr_tls_t *t)
{
    for (;;) {
        size_t got = 0;
        if (BIO_read_ex(t->net_out, tls__wbuf, sizeof tls__wbuf, &got) != 1 || got == 0)
            return 0; /* empty (a retry, not an error) */
        size_t done = 0;
        if (t->out_len == 0) {
            int rc = tls__send_now(t, tls__wbuf, got, &done);
            if (rc)
                return rc;
        }
        if (done < got) {
            int rc = tls__keep(t, tls__wbuf + done, got - done);
            if (rc)
                return rc;
        }
        if (got < sizeof tls__wbuf)
            return 0;
    }
}

/* Drain then flush: the step after every OpenSSL call. */
static int tls__output(okr_tls_t *t)
{
    int rc;
    if (t->inflight_len == 0 && t->out_len == 0 && !(t->flags & F_FIN_SENT))
        rc = tls__output_direct(t);
    else
        rc = tls__drain_bio(t);
    return rc ? rc : tls__flush(t);
}

/* --- closing ------------------------------------------------------------ */

/* Closes the handle now. With send_final, the ciphertext OpenSSL has left
 * (an alert, a close_notify) is offered to the socket once without waiting:
 * it tells the peer why, and a peer that does not read cannot stall us. */
static void tls__close_handle(okr_tls_t *t, int send_final)
{
    if (t->state >= ST_CLOSING)
        return;
    if (send_final && t->state != ST_INIT && tls__drain_bio(t) == 0 && t->out_len > 0 &&
        !(t->flags & F_FIN_SENT)) {
        uv_buf_t buf = uv_buf_init((char *)t->out, (unsigned int)t->out_len);
        (void)uv_try_write((uv_stream_t *)&t->tcp, &buf, 1); /* best effort */
    }
    t->state = ST_CLOSING;
    uv_close((uv_handle_t *)&t->tcp, tls__on_closed);
}

/* A failure the layer detected: remember it for the close callback (unless the
 * owner is already closing) and close. t->error is set by the caller.
 * send_final as in tls__close_handle: only when the socket still works. */
static void tls__fail(okr_tls_t *t, int status, int send_final)
{
    if (t->state >= ST_CLOSING)
        return;
    if (!(t->flags & F_OWNER_CLOSE) && !t->fail)
        t->fail = status;
    tls__close_handle(t, send_final);
}

static void tls__on_closed(uv_handle_t *h)
{
    okr_tls_t *t = h->data;
    t->state = ST_CLOSED;
    if (t->fail) {
        /* A failure before the handshake completed is a failed handshake. */
        if (!(t->flags & F_ESTABLISHED)) {
            if (t->cb.on_handshake)
                t->cb.on_handshake(t, OKR_E_TLS);
        } else if (t->cb.on_error) {
            t->cb.on_error(t, t->fail);
        }
    }
    SSL_free(t->ssl); /* frees both BIOs */
    t->ssl = NULL;
    t->net_in = t->net_out = NULL;
    free(t->out);
    free(t->inflight);
    free(t->pending);
    t->out = t->inflight = t->pending = NULL;
    t->out_len = t->out_cap = t->inflight_len = t->inflight_cap = 0;
    t->pending_len = t->pending_cap = 0;
    if (t->cb.on_close)
        t->cb.on_close(t);
}

/* --- shutdown ----------------------------------------------------------- */

static void tls__on_fin(uv_shutdown_t *req, int status)
{
    okr_tls_t *t = req->handle->data;
    if (t->state != ST_SHUTDOWN)
        return;
    t->flags |= F_FIN_DONE;
    if (status < 0 || (t->flags & F_PEER_DONE))
        tls__close_handle(t, 0);
}

/* In ST_SHUTDOWN: once every byte is written, send FIN; once the FIN is sent
 * and the peer is done too, close. Waiting for the peer's end before close(2)
 * keeps the kernel from answering unread input with a RST that could destroy
 * our last bytes in flight; the owner's deadline bounds the wait. */
static void tls__shutdown_progress(okr_tls_t *t)
{
    if (t->state != ST_SHUTDOWN)
        return;
    if (!(t->flags & F_FIN_SENT)) {
        if (t->inflight_len > 0 || t->out_len > 0)
            return;
        t->flags |= F_FIN_SENT;
        if (uv_shutdown(&t->shutdown_req, (uv_stream_t *)&t->tcp, tls__on_fin) < 0)
            tls__close_handle(t, 0);
        return;
    }
    if ((t->flags & F_FIN_DONE) && (t->flags & F_PEER_DONE))
        tls__close_handle(t, 0);
}

/* --- write completion --------------------------------------------------- */

/* Nothing in flight and nothing waiting: give the output buffers back, so an
 * idle connection (ten thousand dashboards) holds no output memory. The next
 * write allocates again: one malloc against one system call. */
static void tls__release_if_idle(okr_tls_t *t)
{
    if (t->state != ST_ESTABLISHED || t->inflight_len > 0 || t->out_len > 0)
        return;
    free(t->inflight);
    free(t->out);
    t->inflight = t->out = NULL;
    t->inflight_cap = t->out_cap = 0;
}

static void tls__on_write(uv_write_t *req, int status)
{
    okr_tls_t *t = req->handle->data;
    t->inflight_len = 0;
    if (t->state >= ST_CLOSING) /* includes UV_ECANCELED from uv_close */
        return;
    if (status < 0) {
        tls__note_handshake_close(t, status);
        tls__set_error(t, "write: %s", uv_strerror(status));
        tls__fail(t, t->state == ST_HANDSHAKE ? OKR_E_TLS : OKR_E_IO, 0);
        return;
    }
    if (t->inflight_cap > TLS__KEEP_BUF) {
        free(t->inflight);
        t->inflight = NULL;
        t->inflight_cap = 0;
    }
    if (tls__flush(t)) {
        tls__fail(t, t->state == ST_HANDSHAKE ? OKR_E_TLS : OKR_E_IO, 0);
        return;
    }
    tls__shutdown_progress(t);
    if (t->cb.on_drain && t->state == ST_ESTABLISHED)
        t->cb.on_drain(t);
    tls__release_if_idle(t);
}

/* --- plaintext out ------------------------------------------------------ */

static int tls__ssl_write(okr_tls_t *t, const void *data, size_t len)
{
    size_t written = 0;
    tls__clear_errors();
    int rc = SSL_write_ex(t->ssl, data, len, &written);
    if (rc != 1) {
        /* With memory BIOs there is no WANT_WRITE: any failure is fatal. */
        tls__set_ssl_error(t, "write", SSL_get_error(t->ssl, rc));
        tls__fail(t, OKR_E_TLS, 1); /* sends the alert, if any */
        return OKR_E_CLOSED;
    }
    rc = tls__output(t);
    if (rc) {
        tls__fail(t, OKR_E_IO, 0);
        return rc == OKR_E_NOMEM ? OKR_E_NOMEM : OKR_E_CLOSED;
    }
    return 0;
}

static int tls__hold(okr_tls_t *t, const void *data, size_t len)
{
    if (len > SIZE_MAX - t->pending_len ||
        tls__reserve(&t->pending, &t->pending_cap, t->pending_len + len))
        return OKR_E_NOMEM;
    memcpy(t->pending + t->pending_len, data, len);
    t->pending_len += len;
    return 0;
}

/* Sends what was written before the handshake finished, in order. */
static int tls__send_pending(okr_tls_t *t)
{
    t->flags &= ~F_HOLD;
    int rc = 0;
    if (t->pending_len > 0)
        rc = tls__ssl_write(t, t->pending, t->pending_len);
    free(t->pending);
    t->pending = NULL;
    t->pending_len = t->pending_cap = 0;
    return rc;
}

/* --- plaintext in ------------------------------------------------------- */

/* The peer sent close_notify while we were established: answer with ours
 * (best effort) and close. */
static void tls__peer_closed(okr_tls_t *t)
{
    ERR_clear_error();
    (void)SSL_shutdown(t->ssl);
    ERR_clear_error();
    tls__set_error(t, "connection closed by peer");
    tls__fail(t, OKR_E_CLOSED, 1);
}

/* SSL_read_ex until OpenSSL wants more input. In ST_SHUTDOWN records are
 * still read (to see the peer's close_notify) but not delivered. */
static void tls__read_records(okr_tls_t *t)
{
    uint8_t buf[TLS__RECORD_MAX];
    while (t->state == ST_ESTABLISHED || t->state == ST_SHUTDOWN) {
        size_t n = 0;
        tls__clear_errors();
        int rc = SSL_read_ex(t->ssl, buf, sizeof buf, &n);
        int err = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, rc);
        if (err == SSL_ERROR_SSL || err == SSL_ERROR_SYSCALL)
            tls__set_ssl_error(t, "read", err); /* before the queue changes */
        if (tls__output(t)) {
            tls__fail(t, OKR_E_IO, 0);
            return;
        }
        if (rc == 1) {
            if (t->state == ST_ESTABLISHED && t->cb.on_read)
                t->cb.on_read(t, buf, n);
            continue; /* the loop condition sees a close from on_read */
        }
        if (err == SSL_ERROR_WANT_READ)
            return;
        if (t->state == ST_SHUTDOWN) {
            /* close_notify or garbage: either way the peer is done. */
            ERR_clear_error();
            t->flags |= F_PEER_DONE;
            tls__shutdown_progress(t);
            return;
        }
        if (err == SSL_ERROR_ZERO_RETURN)
            tls__peer_closed(t);
        else
            tls__fail(t, OKR_E_TLS, 1);
        return;
    }
}

/* The handshake completed: tell the owner, then send what it queued, unless
 * it closed in on_handshake. Returns 0 to go on reading records. */
static int tls__handshake_done(okr_tls_t *t)
{
    t->state = ST_ESTABLISHED;
    t->flags |= F_ESTABLISHED;
    if (t->cb.on_handshake)
        t->cb.on_handshake(t, OKR_OK);
    if (t->state >= ST_CLOSING)
        return -1;
    if (t->state == ST_ESTABLISHED && (t->flags & F_HOLD) && tls__send_pending(t))
        return -1;
    return t->state >= ST_CLOSING ? -1 : 0;
}

/* One SSL_do_handshake step. Returns 1 when complete, 0 when it needs more
 * input, or an okr_err_t with t->error set. Calls no owner callback. */
static int tls__handshake_step(okr_tls_t *t)
{
    ERR_clear_error();
    int rc = SSL_do_handshake(t->ssl);
    int err = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, rc);
    if (rc != 1 && err != SSL_ERROR_WANT_READ) {
        tls__set_ssl_error(t, "handshake", err);
        (void)tls__drain_bio(t); /* keep the alert for tls__close_handle */
        return OKR_E_TLS;
    }
    int orc = tls__output(t);
    if (orc)
        return orc;
    return rc == 1;
}

/* --- socket in ---------------------------------------------------------- */

static void tls__on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    size_t len = sizeof tls__rbuf;
    okr_tls_t *t = h->data;
    if (t->cb.on_before_read) {
        uv_os_fd_t fd;
        size_t want = uv_fileno(h, &fd) == 0 ? t->cb.on_before_read(t, fd) : 0;
        if (want > 0 && want < len)
            len = want;
    }
    *buf = uv_buf_init(tls__rbuf, (unsigned int)len);
}

static void tls__on_socket_end(okr_tls_t *t, int status)
{
    if (t->state == ST_SHUTDOWN) {
        t->flags |= F_PEER_DONE;
        if (status == UV_EOF)
            tls__shutdown_progress(t);
        else
            tls__close_handle(t, 0);
        return;
    }
    if (t->state == ST_HANDSHAKE) {
        tls__note_handshake_close(t, status);
        if (status == UV_EOF)
            tls__set_error(t, "connection closed during the TLS handshake");
        else
            tls__set_error(t, "TLS handshake: %s", uv_strerror(status));
        tls__fail(t, OKR_E_TLS, 0);
        return;
    }
    if (status == UV_EOF) {
        tls__set_error(t, "connection closed by peer without close_notify");
        tls__fail(t, OKR_E_CLOSED, 0);
    } else {
        tls__set_error(t, "read: %s", uv_strerror(status));
        tls__fail(t, OKR_E_IO, 0);
    }
}

static void tls__on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    okr_tls_t *t = s->data;
    if (nread == 0 || t->state >= ST_CLOSING)
        return;
    if (nread < 0) {
        tls__on_socket_end(t, (int)nread);
        return;
    }
    if (t->cb.on_ciphertext)
        t->cb.on_ciphertext(t, (const uint8_t *)buf->base, (size_t)nread);
    size_t w = 0;
    if (BIO_write_ex(t->net_in, buf->base, (size_t)nread, &w) != 1 || w != (size_t)nread) {
        ERR_clear_error();
        tls__set_error(t, "out of memory");
        tls__fail(t, t->state == ST_HANDSHAKE ? OKR_E_TLS : OKR_E_IO, 0);
        return;
    }
    if (t->state == ST_HANDSHAKE) {
        int rc = tls__handshake_step(t);
        if (rc == 0)
            return;
        if (rc != 1) {
            tls__fail(t, OKR_E_TLS, rc == OKR_E_TLS); /* the alert tells the peer why */
            return;
        }
        /* In TLS 1.3 the client's first data may share this read with its
         * Finished: fall through to read it. */
        if (tls__handshake_done(t))
            return;
    }
    tls__read_records(t);
}

/* --- public ------------------------------------------------------------- */

static void tls__setup(okr_tls_t *t, int is_server, const okr_tls_callbacks_t *cb)
{
    void *data = t->data; /* the owner may have set it already */
    memset(t, 0, sizeof *t);
    t->data = data;
    t->cb = *cb;
    t->flags = F_HOLD | (is_server ? F_SERVER : 0);
}

/* The SSL object and its two memory BIOs. Returns 0, or OKR_E_NOMEM with
 * nothing made. */
static int tls__new_ssl(okr_tls_t *t, SSL_CTX *ctx)
{
    ERR_clear_error();
    t->ssl = SSL_new(ctx);
    t->net_in = BIO_new(BIO_s_mem());
    t->net_out = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->net_in || !t->net_out) {
        ERR_clear_error();
        BIO_free(t->net_in);
        BIO_free(t->net_out);
        SSL_free(t->ssl);
        t->ssl = NULL;
        t->net_in = t->net_out = NULL;
        return OKR_E_NOMEM;
    }
    SSL_set_bio(t->ssl, t->net_in, t->net_out);
    if (t->flags & F_SERVER)
        SSL_set_accept_state(t->ssl);
    else
        SSL_set_connect_state(t->ssl);
    return 0;
}

int okr_tls_init(okr_tls_t *t, uv_loop_t *loop, SSL_CTX *ctx, int is_server,
                 const okr_tls_callbacks_t *cb)
{
    tls__setup(t, is_server, cb);
    /* Everything that can fail comes before uv_tcp_init, so that a failure
     * leaves no handle to close. */
    int rc = tls__new_ssl(t, ctx);
    if (rc)
        return rc;
    rc = uv_tcp_init(loop, &t->tcp);
    if (rc < 0) {
        SSL_free(t->ssl);
        t->ssl = NULL;
        t->net_in = t->net_out = NULL;
        return OKR_E_IO;
    }
    t->tcp.data = t;
    return 0;
}

int okr_tls_init_tcp(okr_tls_t *t, uv_loop_t *loop, int is_server, const okr_tls_callbacks_t *cb)
{
    tls__setup(t, is_server, cb);
    if (uv_tcp_init(loop, &t->tcp) < 0)
        return OKR_E_IO;
    t->tcp.data = t;
    return 0;
}

int okr_tls_attach(okr_tls_t *t, SSL_CTX *ctx)
{
    if (t->ssl || t->state != ST_INIT)
        return OKR_E_INTERNAL;
    return tls__new_ssl(t, ctx);
}

SSL *okr_tls_ssl(okr_tls_t *t)
{
    return t->ssl;
}

int okr_tls_start(okr_tls_t *t)
{
    if (t->state != ST_INIT)
        return t->state >= ST_SHUTDOWN ? OKR_E_CLOSED : OKR_E_INTERNAL;
    if (!t->ssl)
        return OKR_E_INTERNAL; /* okr_tls_init_tcp without okr_tls_attach */
    okr_tls_peer_name(t, t->peer, sizeof t->peer);
    (void)uv_tcp_nodelay(&t->tcp, 1); /* we coalesce ourselves */
    int rc = uv_read_start((uv_stream_t *)&t->tcp, tls__on_alloc, tls__on_read);
    if (rc < 0) {
        tls__set_error(t, "read: %s", uv_strerror(rc));
        return OKR_E_IO;
    }
    t->state = ST_HANDSHAKE;
    /* A client's ClientHello leaves now; a server just waits for one. */
    rc = tls__handshake_step(t);
    if (rc == 0)
        return 0;
    /* Cannot complete without input; anything else is a failure, which a
     * failing call reports by its return value, not by a callback. */
    uv_read_stop((uv_stream_t *)&t->tcp);
    t->state = ST_INIT;
    return rc == 1 ? OKR_E_INTERNAL : rc;
}

int okr_tls_write(okr_tls_t *t, const void *data, size_t len)
{
    if (t->state >= ST_SHUTDOWN)
        return OKR_E_CLOSED;
    if (len == 0)
        return 0;
    if (t->flags & (F_HOLD | F_CORK))
        return tls__hold(t, data, len);
    return tls__ssl_write(t, data, len);
}

void okr_tls_cork(okr_tls_t *t)
{
    if (t->state < ST_SHUTDOWN)
        t->flags |= F_CORK;
}

int okr_tls_uncork(okr_tls_t *t)
{
    if (!(t->flags & F_CORK))
        return 0;
    t->flags &= ~F_CORK;
    if (t->state >= ST_SHUTDOWN)
        return OKR_E_CLOSED; /* the layer dropped it (a shutdown sent it first) */
    if (t->flags & F_HOLD)
        return 0; /* still held for the handshake */
    return tls__send_pending(t);
}

size_t okr_tls_pending_bytes(const okr_tls_t *t)
{
    /* net_out is drained after every OpenSSL call: nothing waits there. */
    return t->pending_len + t->out_len + t->inflight_len;
}

void okr_tls_shutdown(okr_tls_t *t)
{
    if (t->state >= ST_SHUTDOWN)
        return;
    if (t->state != ST_ESTABLISHED) {
        /* No close_notify before the handshake: nothing was sent anyway. */
        okr_tls_close(t);
        return;
    }
    t->flags |= F_OWNER_CLOSE;
    /* Called from on_handshake, or corked: what was queued goes before close_notify. */
    int held = t->flags & (F_HOLD | F_CORK);
    t->flags &= ~F_CORK;
    if (held && tls__send_pending(t))
        return; /* failed and closing */
    t->state = ST_SHUTDOWN;
    ERR_clear_error();
    (void)SSL_shutdown(t->ssl); /* 0: sent ours; we do not wait for theirs here */
    ERR_clear_error();
    if (tls__output(t)) {
        tls__close_handle(t, 0);
        return;
    }
    tls__shutdown_progress(t);
}

void okr_tls_close(okr_tls_t *t)
{
    if (t->state >= ST_CLOSING)
        return;
    t->flags |= F_OWNER_CLOSE;
    tls__close_handle(t, 0);
}

int okr_tls_is_established(const okr_tls_t *t)
{
    return (t->flags & F_ESTABLISHED) != 0;
}

int okr_tls_is_closing(const okr_tls_t *t)
{
    return t->state >= ST_SHUTDOWN;
}

int okr_tls_closed_in_handshake(const okr_tls_t *t)
{
    return (t->flags & F_HANDSHAKE_CLOSED) != 0;
}

const char *okr_tls_last_error(const okr_tls_t *t)
{
    return t->error[0] ? t->error : "no error";
}

void okr_tls_peer_name(const okr_tls_t *t, char *buf, size_t len)
{
    if (len == 0)
        return;
    if (t->peer[0] && buf != t->peer) {
        snprintf(buf, len, "%s", t->peer);
        return;
    }
    struct sockaddr_storage ss;
    int sslen = (int)sizeof ss;
    char ip[INET6_ADDRSTRLEN] = "";
    if (t->state < ST_CLOSING && uv_tcp_getpeername(&t->tcp, (struct sockaddr *)&ss, &sslen) == 0) {
        if (ss.ss_family == AF_INET) {
            const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
            uv_ip4_name(a, ip, sizeof ip);
            snprintf(buf, len, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
            return;
        }
        if (ss.ss_family == AF_INET6) {
            const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
            uv_ip6_name(a, ip, sizeof ip);
            snprintf(buf, len, "[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
            return;
        }
    }
    snprintf(buf, len, "unknown");
}
