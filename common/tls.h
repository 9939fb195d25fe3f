/* tls.h — TLS over a libuv TCP stream with OpenSSL memory BIOs, shared by
 * okrd and every client.
 *
 * The libuv socket carries ciphertext; OpenSSL never touches the socket. Bytes
 * read from the socket go into the read BIO; after every OpenSSL call the
 * write BIO is drained into an output buffer that is sent with at most one
 * uv_write in flight (writes made while one is in flight are coalesced into
 * the next). Plaintext written before the handshake completes is kept and
 * sent once it does.
 *
 * Ownership: okr_tls_t is meant to be embedded in the owner's connection
 * struct. The owner must not free that memory until on_close has been called
 * (libuv may still reference the handle until then). on_close is always the
 * last callback, and is called exactly once after okr_tls_close() or after
 * any fatal error the layer detects itself (it then closes on its own).
 */
#ifndef OKR_TLS_H
#define OKR_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct okr_tls okr_tls_t;

typedef struct okr_tls_callbacks {
    /* Handshake finished: status 0 (OKR_OK) or OKR_E_TLS with a reason in
     * okr_tls_last_error(). On failure the layer closes the connection itself
     * (on_close follows). A client checks the peer certificate here before
     * anything it queued is sent: pending plaintext is flushed only after
     * on_handshake returns, and only if the connection was not closed in it. */
    void (*on_handshake)(okr_tls_t *t, int status);
    /* Decrypted bytes from the peer. May be called many times per socket read.
     * The buffer is only valid during the call. The callback may call
     * okr_tls_close(); no further on_read follows then. */
    void (*on_read)(okr_tls_t *t, const uint8_t *data, size_t len);
    /* The peer closed (EOF or close_notify) or a read/write error happened:
     * status OKR_E_CLOSED, OKR_E_IO or OKR_E_TLS. Called at most once,
     * before on_close; the layer closes on its own afterwards. May be NULL. */
    void (*on_error)(okr_tls_t *t, int status);
    /* The handle is closed; the owner may free the memory now. */
    void (*on_close)(okr_tls_t *t);
    /* A socket write completed, so okr_tls_pending_bytes() went down: the
     * moment to hand over more output a slow reader was kept waiting for.
     * May be NULL. The callback may write and may close. */
    void (*on_drain)(okr_tls_t *t);
    /* Optional, for measurements (okr-bench reads the kernel's receipt time
     * of each TLS record this way); NULL in okrd and the client. Called right
     * before each read from the socket: returns the most bytes that read may
     * take (0: as many as the layer's buffer holds). It may peek at the
     * socket (recv with MSG_PEEK) but must not consume from it. */
    size_t (*on_before_read)(okr_tls_t *t, int fd);
    /* Optional, with on_before_read: the socket read returned n bytes of
     * ciphertext, about to be decrypted (on_read may follow). */
    void (*on_ciphertext)(okr_tls_t *t, const uint8_t *data, size_t n);
} okr_tls_callbacks_t;

struct okr_tls {
    uv_tcp_t tcp; /* tcp.data points back to this struct; do not change it */
    void *data;   /* free for the owner */
    /* private below */
    SSL *ssl;
    BIO *net_in;  /* ciphertext from the socket, read by OpenSSL */
    BIO *net_out; /* ciphertext produced by OpenSSL, drained to the socket */
    okr_tls_callbacks_t cb;
    uint8_t *out; /* ciphertext waiting for the socket */
    size_t out_len, out_cap;
    uint8_t *inflight; /* ciphertext handed to uv_write (swapped with out) */
    size_t inflight_len, inflight_cap;
    uv_write_t write_req;
    uv_shutdown_t shutdown_req; /* FIN after close_notify, see okr_tls_shutdown */
    uint8_t *pending;           /* plaintext written before the handshake finished */
    size_t pending_len, pending_cap;
    int state; /* private state machine */
    int flags;
    int fail;      /* okr_err_t to report from the close callback, 0 if none */
    char peer[64]; /* "ip:port", cached at start so it is there after close */
    char error[256];
};

/* Initialises t and its TCP handle on loop. ctx must outlive t. is_server
 * selects accept vs connect behaviour. Returns 0 or OKR_E_NOMEM/OKR_E_IO;
 * on failure nothing needs closing. The same as okr_tls_init_tcp and then
 * okr_tls_attach. */
int okr_tls_init(okr_tls_t *t, uv_loop_t *loop, SSL_CTX *ctx, int is_server,
                 const okr_tls_callbacks_t *cb);

/* Initialises t's TCP handle only, without TLS state: a server accepts into
 * it (uv_accept on &t->tcp) and decides from the peer's address whether to
 * serve the connection before it pays for the SSL object and its buffers,
 * which okr_tls_attach then makes. A handle it refuses is closed with
 * okr_tls_close, which calls on_close and nothing else; okr_tls_start
 * refuses a handle not attached (OKR_E_INTERNAL). Returns 0 or OKR_E_IO;
 * on failure nothing needs closing. */
int okr_tls_init_tcp(okr_tls_t *t, uv_loop_t *loop, int is_server, const okr_tls_callbacks_t *cb);

/* Makes the TLS state of a handle from okr_tls_init_tcp, before
 * okr_tls_start. ctx must outlive t. Returns 0, OKR_E_NOMEM (t is as it
 * was: close it), or OKR_E_INTERNAL when t has its TLS state already or was
 * started. */
int okr_tls_attach(okr_tls_t *t, SSL_CTX *ctx);

/* The SSL object, for the client to set SNI/host checks before start and to
 * inspect the peer certificate in on_handshake. Owned by t; NULL before
 * okr_tls_attach. */
SSL *okr_tls_ssl(okr_tls_t *t);

/* Starts reading from the (accepted or connected) socket and begins the
 * handshake (a client sends its ClientHello now). Returns 0 or an error; on
 * error the caller should okr_tls_close(). */
int okr_tls_start(okr_tls_t *t);

/* Queues plaintext. Copies data. Before the handshake completes it is held and
 * sent afterwards. Returns 0, OKR_E_CLOSED if the connection is closing, or
 * OKR_E_NOMEM. */
int okr_tls_write(okr_tls_t *t, const void *data, size_t len);

/* From now on okr_tls_write only collects (copies) what it is given, until
 * okr_tls_uncork encrypts it all at once: several small messages for one
 * reader then leave in one TLS record (16 KiB each at most) and one write.
 * What is collected counts in okr_tls_pending_bytes. Idempotent. */
void okr_tls_cork(okr_tls_t *t);

/* Sends what was collected since okr_tls_cork and ends it. Returns 0,
 * OKR_E_CLOSED or OKR_E_NOMEM (as okr_tls_write). No-op if not corked. */
int okr_tls_uncork(okr_tls_t *t);

/* Bytes accepted by okr_tls_write (or their ciphertext) not yet written to the
 * socket: what a slow reader costs us. */
size_t okr_tls_pending_bytes(const okr_tls_t *t);

/* Sends close_notify, lets queued output drain (bounded by the owner's
 * deadline), then closes. Idempotent. */
void okr_tls_shutdown(okr_tls_t *t);

/* Closes now, dropping unsent output. Idempotent. on_close follows. */
void okr_tls_close(okr_tls_t *t);

/* 1 once the handshake completed successfully. */
int okr_tls_is_established(const okr_tls_t *t);

/* 1 once okr_tls_close()/shutdown was called or the layer is closing. */
int okr_tls_is_closing(const okr_tls_t *t);

/* Reason for the last failure, for logs and users; never NULL. */
const char *okr_tls_last_error(const okr_tls_t *t);

/* 1 if the peer closed the connection before the handshake completed,
 * without a TLS alert (an end of file, a reset, a broken pipe): what okrd
 * does to a connection over its limits. */
int okr_tls_closed_in_handshake(const okr_tls_t *t);

/* Peer address as "ip:port" into buf (for logs and throttling by address). */
void okr_tls_peer_name(const okr_tls_t *t, char *buf, size_t len);

#endif
