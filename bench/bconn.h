/* bconn.h — okr-bench's event-driven client connections.
 *
 * The client library (client.h) is blocking and runs one libuv loop per
 * client: right for okr and the tests, too heavy for thousands of
 * subscribers or idle connections from one generator core. A bconn is the
 * same protocol over the same transport (common/tls.h + common/frame.h), many
 * per loop: connect, TLS 1.3 handshake, the server's certificate checked
 * against the pinned fingerprint (and the host name, as the library does),
 * then Hello and AuthToken sent back to back (pipelined: one round trip after
 * the handshake). okr_client is still used for set-up and Stats (setup.c).
 *
 * One bench_loop_t per thread; a bconn lives on one loop. Its memory is the
 * caller's and must stay valid until on_closed has been called.
 */
#ifndef OKR_BENCH_BCONN_H
#define OKR_BENCH_BCONN_H

#include <netinet/in.h>
#include <stdint.h>
#include <uv.h>

#include "frame.h"
#include "okr.pb-c.h"
#include "tls.h"

typedef struct bench_loop {
    uv_loop_t loop;
    SSL_CTX *ctx;            /* shared; not owned */
    struct sockaddr_in addr; /* the server */
    const char *host;        /* for the certificate's name check */
    const char *fingerprint; /* expected SHA-256 of the server's certificate */
    const char *token;       /* session token every bconn authenticates with */
    unsigned open, opening;  /* bconns not yet closed; of which not ready */
} bench_loop_t;

typedef struct bconn bconn_t;

typedef struct bconn_cb {
    /* TLS, Hello and AuthToken done: the connection may send requests. */
    void (*on_ready)(bconn_t *c);
    /* A Response to a request sent with bconn_send. resp is valid during
     * the call only. now is the receipt time (ns, CLOCK_MONOTONIC). */
    void (*on_response)(bconn_t *c, const Okr__Response *resp, uint64_t now);
    /* An Event; valid during the call only. */
    void (*on_event)(bconn_t *c, const Okr__Event *ev, uint64_t now);
    /* The connection is gone (err 0 after bconn_close, else why it failed,
     * with a message in c->why). The memory may be reused from here on. */
    void (*on_closed)(bconn_t *c, int err);
    /* 1: stamp what arrives with the kernel's receipt time (SO_TIMESTAMPNS):
     * c->rx_ns is then set during on_response and on_event. It costs a peek
     * (recvmsg MSG_PEEK) per TLS record read. */
    int rx_stamp;
} bconn_cb_t;

enum { BCONN_IDLE, BCONN_CONNECTING, BCONN_HELLO, BCONN_READY, BCONN_CLOSING, BCONN_CLOSED };

struct bconn {
    okr_tls_t tls; /* tls.data points to this bconn */
    bench_loop_t *bl;
    const bconn_cb_t *cb;
    void *data; /* free for the scenario */
    uint64_t tag;
    okr_frame_decoder_t dec;
    uv_connect_t creq;
    int state;
    int err;            /* first failure, okr_err_t */
    int reset_on_close; /* SO_LINGER 0: close with RST, no TIME_WAIT left behind */
    uint64_t next_id, auth_id;
    uint64_t t_open;      /* ns when bconn_open was called */
    uint64_t t_connected; /* TCP connected */
    uint64_t t_handshake; /* TLS handshake done */
    /* With cb->rx_stamp: when the first byte of the frame being delivered
     * reached this socket (ns, CLOCK_REALTIME, the kernel's clock for
     * SO_TIMESTAMPNS); 0 if the kernel gave no time. */
    uint64_t rx_ns;
    /* private: TLS records on the socket, read one at a time when stamping */
    uint8_t rec_hdr[5];
    uint8_t rec_hdr_have;
    uint32_t rec_left; /* bytes of the current record's body not read yet */
    uint64_t peek_ns;  /* receipt time of the record at the read position */
    uint64_t rec_ns;   /* receipt time of the record being read */
    uint64_t chunk_ns; /* of the first record completed by the last read */
    uint64_t frame_ns; /* of the frame the decoder holds part of */
    char why[200];
};

/* Sets up bl on a new loop. Returns 0 or -1. */
int bench_loop_init(bench_loop_t *bl, SSL_CTX *ctx, const struct sockaddr_in *addr,
                    const char *host, const char *fingerprint, const char *token);

/* Closes the loop (every bconn must be closed: run it until bl->open is 0). */
void bench_loop_close(bench_loop_t *bl);

/* Starts connecting. c is zeroed by this call. Returns 0 (on_ready or
 * on_closed follows) or an okr_err_t (no callback follows). */
int bconn_open(bconn_t *c, bench_loop_t *bl, const bconn_cb_t *cb, void *data);

/* Sends a request (its id is assigned here). Returns 0 or an okr_err_t. If
 * id is not NULL it receives the request id. */
int bconn_send(bconn_t *c, Okr__Request *req, uint64_t *id);

/* Closes now (no close_notify). Idempotent; on_closed follows. */
void bconn_close(bconn_t *c);

/* Nanoseconds on CLOCK_MONOTONIC. */
uint64_t bench_now_ns(void);

/* Nanoseconds on CLOCK_REALTIME (the clock of the kernel's receipt times). */
uint64_t bench_real_ns(void);

#endif
