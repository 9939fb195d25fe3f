/* test_tls.c — the TLS layer end to end: a server and clients on one libuv
 * loop over 127.0.0.1, with a certificate generated for the run.
 *
 * Every test runs its loop under a watchdog timer: if it fires, everything
 * is closed, the loop ends and the test fails (rather than hanging). Peers are
 * freed only after the loop has ended, so that LeakSanitizer sees every
 * allocation of the layer released by its close callbacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <uv.h>

#include "okr_error.h"
#include "tls.h"
#include "tls_ctx.h"

#define WATCHDOG_MS 20000
#define BIG         (1024 * 1024)
#define MAX_PEERS   8

static struct {
    char dir[64];
    char cert[128], key[128];   /* hosts 127.0.0.1, localhost, ::1 */
    char cert2[128], key2[128]; /* another one, localhost only */
    char fp[OKR_FINGERPRINT_LEN];
    SSL_CTX *server_ctx;
    uint8_t *pattern; /* BIG bytes */
} g;

typedef struct harness harness_t;

/* How the server sets up a connection it accepts: okr_tls_init before the
 * accept; or okr_tls_init_tcp, the accept, then okr_tls_attach (okrd's way,
 * which decides on the connection before making TLS state for it); or
 * okr_tls_init_tcp, the accept, and a close without any TLS state (a
 * connection okrd refuses). */
enum { ACCEPT_INIT = 0, ACCEPT_ATTACH, ACCEPT_REFUSE };

typedef struct peer {
    okr_tls_t tls;
    harness_t *h;
    int is_server;
    uv_connect_t connect;
    struct peer *then; /* client to connect once this one closed */
    /* behaviour */
    const char *pre_connect; /* written before uv_tcp_connect */
    const char *post_start;  /* written right after okr_tls_start */
    int close_in_handshake;  /* like a client whose pin does not match */
    int shutdown_in_handshake;
    size_t big_pre; /* echo test: bytes of the pattern written before the handshake */
    size_t big_sent;
    size_t expect; /* shut down once this many bytes came back */
    /* observations */
    int hs_calls, hs_status;
    int err_calls, err_status;
    int reads, closed;
    int mismatch;
    int version;
    char alpn[16];
    char sni[64];
    char fp[OKR_FINGERPRINT_LEN];
    int host_ip, host_name, host_other; /* okr_tls_check_peer_host results */
    char peer_name[64];
    char local_name[64];
    char error[256];
    size_t pending_after_burst;
    uint8_t *rx;
    size_t rx_len, rx_cap;
} peer_t;

struct harness {
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_timer_t watchdog;
    struct sockaddr_in addr;
    int timed_out, finished;
    int expect; /* clients (and so server peers) in this test */
    int clients_closed, servers_closed;
    /* server behaviour */
    int server_echo;
    int server_close_on_read;
    size_t server_reply_then_shutdown; /* bytes of the pattern, then shutdown */
    int server_corked_then_shutdown;   /* three messages corked, uncorked, then shutdown */
    int server_accept;                 /* how on_connection sets a server peer up: ACCEPT_* */
    peer_t *clients[MAX_PEERS], *servers[MAX_PEERS];
    int nclients, nservers;
};

/* --- helpers ------------------------------------------------------------ */

static void fmt_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
    char ip[64] = "";
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        uv_ip4_name(a, ip, sizeof ip);
        snprintf(buf, len, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
    } else {
        snprintf(buf, len, "?");
    }
}

static void rx_append(peer_t *p, const uint8_t *data, size_t len)
{
    if (p->rx_len + len > p->rx_cap) {
        size_t cap = p->rx_cap ? p->rx_cap : 4096;
        while (cap < p->rx_len + len)
            cap *= 2;
        p->rx = realloc(p->rx, cap);
        assert_non_null(p->rx);
        p->rx_cap = cap;
    }
    memcpy(p->rx + p->rx_len, data, len);
    p->rx_len += len;
}

/* Writes the pattern from p->big_sent up to upto in chunks of varying size. */
static void send_pattern(peer_t *p, size_t upto)
{
    static uint32_t seed = 12345;
    while (p->big_sent < upto) {
        seed = seed * 1103515245u + 12345u;
        size_t n = 1 + (seed >> 8) % 8192;
        if (n > upto - p->big_sent)
            n = upto - p->big_sent;
        assert_int_equal(okr_tls_write(&p->tls, g.pattern + p->big_sent, n), 0);
        p->big_sent += n;
    }
}

static void h_finish(harness_t *h)
{
    if (h->finished)
        return;
    h->finished = 1;
    uv_close((uv_handle_t *)&h->listener, NULL);
    uv_close((uv_handle_t *)&h->watchdog, NULL);
}

static void h_check_done(harness_t *h)
{
    if (h->clients_closed == h->expect && h->servers_closed == h->nservers &&
        h->nservers >= h->expect)
        h_finish(h);
}

/* --- peer callbacks ----------------------------------------------------- */

static void client_connect(peer_t *p);

static void on_handshake(okr_tls_t *t, int status)
{
    peer_t *p = t->data;
    SSL *ssl = okr_tls_ssl(t);
    p->hs_calls++;
    p->hs_status = status;
    snprintf(p->error, sizeof p->error, "%s", okr_tls_last_error(t));
    okr_tls_peer_name(t, p->peer_name, sizeof p->peer_name);
    if (status != OKR_OK)
        return;
    assert_true(okr_tls_is_established(t));
    const unsigned char *alpn = NULL;
    unsigned int alpn_len = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
    snprintf(p->alpn, sizeof p->alpn, "%.*s", (int)alpn_len, (const char *)alpn);
    p->version = SSL_version(ssl);
    if (p->is_server) {
        const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        snprintf(p->sni, sizeof p->sni, "%s", sni ? sni : "");
        if (p->h->server_reply_then_shutdown) {
            send_pattern(p, p->h->server_reply_then_shutdown);
            okr_tls_shutdown(t);
            okr_tls_shutdown(t); /* idempotent */
            assert_int_equal(okr_tls_write(t, "x", 1), OKR_E_CLOSED);
        }
        return;
    }
    assert_int_equal(okr_tls_peer_fingerprint(ssl, p->fp), 0);
    p->host_ip = okr_tls_check_peer_host(ssl, "127.0.0.1");
    p->host_name = okr_tls_check_peer_host(ssl, "localhost");
    p->host_other = okr_tls_check_peer_host(ssl, "example.com");
    if (p->close_in_handshake) {
        okr_tls_close(t);
        okr_tls_close(t); /* idempotent */
        assert_true(okr_tls_is_closing(t));
        assert_int_equal(okr_tls_write(t, "late", 4), OKR_E_CLOSED);
        return;
    }
    if (p->big_pre) /* held until on_handshake returns, after what came before */
        send_pattern(p, p->big_pre + 4096);
    if (p->shutdown_in_handshake)
        okr_tls_shutdown(t);
}

static void on_read(okr_tls_t *t, const uint8_t *data, size_t len)
{
    peer_t *p = t->data;
    harness_t *h = p->h;
    assert_false(okr_tls_is_closing(t)); /* no on_read after a close */
    p->reads++;
    if (p->is_server) {
        rx_append(p, data, len);
        if (h->server_corked_then_shutdown) {
            /* Collected, not encrypted, until the uncork; then one record. */
            okr_tls_cork(t);
            assert_int_equal(okr_tls_write(t, "one ", 4), 0);
            assert_int_equal(okr_tls_write(t, "two ", 4), 0);
            assert_int_equal(okr_tls_write(t, "three", 5), 0);
            assert_int_equal(okr_tls_pending_bytes(t), 13);
            assert_int_equal(okr_tls_uncork(t), 0);
            assert_int_equal(okr_tls_uncork(t), 0); /* not corked: nothing to do */
            /* Corked again: a shutdown sends what was collected first. */
            okr_tls_cork(t);
            assert_int_equal(okr_tls_write(t, " four", 5), 0);
            okr_tls_shutdown(t);
            return;
        }
        if (h->server_close_on_read) {
            okr_tls_close(t);
            return;
        }
        if (h->server_echo)
            assert_int_equal(okr_tls_write(t, data, len), 0);
        return;
    }
    if (p->big_pre) {
        /* Verify in place instead of keeping a megabyte. */
        if (p->rx_len + len > BIG || memcmp(g.pattern + p->rx_len, data, len) != 0)
            p->mismatch = 1;
        p->rx_len += len;
        if (p->reads == 1) {
            /* Established now: the rest goes straight through SSL_write.
             * What the socket takes at once is written at once; a small
             * send buffer makes sure most of it cannot be, and must wait. */
            uv_os_fd_t fd;
            int sndbuf = 16 * 1024;
            assert_int_equal(uv_fileno((uv_handle_t *)&t->tcp, &fd), 0);
            assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf), 0);
            send_pattern(p, BIG);
            p->pending_after_burst = okr_tls_pending_bytes(t);
        }
    } else {
        rx_append(p, data, len);
    }
    if (p->expect && p->rx_len >= p->expect)
        okr_tls_shutdown(t);
}

static void on_error(okr_tls_t *t, int status)
{
    peer_t *p = t->data;
    p->err_calls++;
    p->err_status = status;
    snprintf(p->error, sizeof p->error, "%s", okr_tls_last_error(t));
    okr_tls_close(t); /* allowed, and a no-op */
}

static void on_close(okr_tls_t *t)
{
    peer_t *p = t->data;
    harness_t *h = p->h;
    assert_false(p->closed); /* exactly once */
    p->closed = 1;
    assert_null(okr_tls_ssl(t));
    if (p->is_server) {
        h->servers_closed++;
    } else {
        h->clients_closed++;
        if (p->then && !h->timed_out)
            client_connect(p->then);
    }
    h_check_done(h);
}

static const okr_tls_callbacks_t peer_cb = {on_handshake, on_read, on_error, on_close};

/* --- server ------------------------------------------------------------- */

static void on_connection(uv_stream_t *server, int status)
{
    harness_t *h = server->data;
    assert_int_equal(status, 0);
    assert_true(h->nservers < MAX_PEERS);
    peer_t *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->h = h;
    p->is_server = 1;
    h->servers[h->nservers++] = p;
    p->tls.data = p; /* set before init: init keeps it */
    if (h->server_accept == ACCEPT_INIT) {
        assert_int_equal(okr_tls_init(&p->tls, &h->loop, g.server_ctx, 1, &peer_cb), 0);
        assert_ptr_equal(p->tls.data, p);
        assert_int_equal(uv_accept(server, (uv_stream_t *)&p->tls.tcp), 0);
        assert_int_equal(okr_tls_start(&p->tls), 0);
        return;
    }
    assert_int_equal(okr_tls_init_tcp(&p->tls, &h->loop, 1, &peer_cb), 0);
    assert_ptr_equal(p->tls.data, p);
    assert_null(okr_tls_ssl(&p->tls));
    assert_int_equal(uv_accept(server, (uv_stream_t *)&p->tls.tcp), 0);
    if (h->server_accept == ACCEPT_REFUSE) {
        okr_tls_close(&p->tls);
        return;
    }
    assert_int_equal(okr_tls_start(&p->tls), OKR_E_INTERNAL); /* no TLS state yet */
    assert_int_equal(okr_tls_attach(&p->tls, g.server_ctx), 0);
    assert_non_null(okr_tls_ssl(&p->tls));
    assert_int_equal(okr_tls_attach(&p->tls, g.server_ctx), OKR_E_INTERNAL); /* has one */
    assert_int_equal(okr_tls_start(&p->tls), 0);
    assert_int_equal(okr_tls_attach(&p->tls, g.server_ctx), OKR_E_INTERNAL); /* started */
}

/* --- client ------------------------------------------------------------- */

static void on_connect(uv_connect_t *req, int status)
{
    peer_t *p = req->data;
    if (status < 0) {
        okr_tls_close(&p->tls);
        return;
    }
    struct sockaddr_storage ss;
    int len = (int)sizeof ss;
    assert_int_equal(uv_tcp_getsockname(&p->tls.tcp, (struct sockaddr *)&ss, &len), 0);
    fmt_addr(&ss, p->local_name, sizeof p->local_name);
    assert_int_equal(okr_tls_start(&p->tls), 0);
    assert_false(okr_tls_is_established(&p->tls));
    if (p->post_start)
        assert_int_equal(okr_tls_write(&p->tls, p->post_start, strlen(p->post_start)), 0);
    if (p->big_pre)
        send_pattern(p, p->big_pre);
}

static peer_t *client_new(harness_t *h, SSL_CTX *ctx, const char *host)
{
    assert_true(h->nclients < MAX_PEERS);
    peer_t *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->h = h;
    h->clients[h->nclients++] = p;
    assert_int_equal(okr_tls_init(&p->tls, &h->loop, ctx, 0, &peer_cb), 0);
    p->tls.data = p;
    if (host)
        assert_int_equal(okr_tls_client_set_host(okr_tls_ssl(&p->tls), host), 0);
    return p;
}

static void client_connect(peer_t *p)
{
    if (p->pre_connect)
        assert_int_equal(okr_tls_write(&p->tls, p->pre_connect, strlen(p->pre_connect)), 0);
    p->connect.data = p;
    assert_int_equal(
        uv_tcp_connect(&p->connect, &p->tls.tcp, (const struct sockaddr *)&p->h->addr, on_connect),
        0);
}

/* --- harness ------------------------------------------------------------ */

static void on_watchdog(uv_timer_t *timer)
{
    harness_t *h = timer->data;
    h->timed_out = 1;
    for (int i = 0; i < h->nclients; i++)
        okr_tls_close(&h->clients[i]->tls); /* idempotent, also if never connected */
    for (int i = 0; i < h->nservers; i++)
        okr_tls_close(&h->servers[i]->tls);
    h_finish(h);
}

static void h_init(harness_t *h, int expect)
{
    memset(h, 0, sizeof *h);
    h->expect = expect;
    assert_int_equal(uv_loop_init(&h->loop), 0);
    assert_int_equal(uv_tcp_init(&h->loop, &h->listener), 0);
    h->listener.data = h;
    assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &h->addr), 0);
    assert_int_equal(uv_tcp_bind(&h->listener, (const struct sockaddr *)&h->addr, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&h->listener, 16, on_connection), 0);
    int len = (int)sizeof h->addr;
    assert_int_equal(uv_tcp_getsockname(&h->listener, (struct sockaddr *)&h->addr, &len), 0);
    assert_int_not_equal(ntohs(h->addr.sin_port), 0);
    assert_int_equal(uv_timer_init(&h->loop, &h->watchdog), 0);
    h->watchdog.data = h;
    assert_int_equal(uv_timer_start(&h->watchdog, on_watchdog, WATCHDOG_MS, 0), 0);
}

/* Runs the loop to the end and checks that it ended by itself in time. */
static void h_run(harness_t *h)
{
    uv_run(&h->loop, UV_RUN_DEFAULT);
    assert_false(h->timed_out);
    assert_int_equal(uv_loop_close(&h->loop), 0); /* every handle closed */
    assert_int_equal(ERR_peek_error(), 0);        /* nothing left in the queue */
}

static void h_free(harness_t *h)
{
    for (int i = 0; i < h->nclients; i++) {
        free(h->clients[i]->rx);
        free(h->clients[i]);
    }
    for (int i = 0; i < h->nservers; i++) {
        free(h->servers[i]->rx);
        free(h->servers[i]);
    }
}

static SSL_CTX *pinned_client_ctx(void)
{
    char err[256] = "";
    SSL_CTX *ctx = okr_tls_client_ctx(NULL, err, sizeof err);
    assert_non_null(ctx);
    return ctx;
}

/* --- tests -------------------------------------------------------------- */

static void test_generate_cert(void **state)
{
    (void)state;
    struct stat st;
    assert_int_equal(stat(g.key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(g.cert, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);

    char a[OKR_FINGERPRINT_LEN], b[OKR_FINGERPRINT_LEN], c[OKR_FINGERPRINT_LEN];
    assert_int_equal(okr_tls_cert_file_fingerprint(g.cert, a), 0);
    assert_int_equal(okr_tls_cert_file_fingerprint(g.cert, b), 0);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 64);
    assert_int_equal(strspn(a, "0123456789abcdef"), 64);
    assert_int_equal(okr_tls_cert_file_fingerprint(g.cert2, c), 0);
    assert_string_not_equal(a, c);

    char pretty[96];
    okr_tls_fingerprint_pretty(a, pretty, sizeof pretty);
    assert_int_equal(strlen(pretty), 95);
    assert_int_equal(pretty[2], ':');
    assert_int_equal(strspn(pretty, "0123456789ABCDEF:"), 95);
    char small[8];
    okr_tls_fingerprint_pretty(a, small, sizeof small);
    assert_int_equal(strlen(small), 5); /* "AB:CD", truncated cleanly */

    /* Only the two pairs of files: no temporary file left behind. */
    DIR *d = opendir(g.dir);
    assert_non_null(d);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        files += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(files, 4);

    /* What is in the certificate. */
    FILE *f = fopen(g.cert, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    assert_int_equal(X509_get_version(x), X509_VERSION_3);
    assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
    assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(x, "::1", 0), 1);
    assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
    assert_int_not_equal(X509_check_host(x, "example.com", 0, 0, NULL), 1);
    int days = 0, secs = 0;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)),
                     1);
    assert_true(days >= 3650);
    const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
    assert_true(ASN1_STRING_length(serial) >= 15);
    EVP_PKEY *pub = X509_get0_pubkey(x);
    assert_non_null(pub);
    assert_true(EVP_PKEY_is_a(pub, "EC"));
    assert_int_equal(EVP_PKEY_get_bits(pub), 256);
    assert_int_equal(X509_check_ca(x), 0);
    X509_free(x);

    /* Failures fill err. */
    char err[256] = "";
    assert_int_equal(okr_tls_generate_self_signed(g.cert, g.key, NULL, 0, err, sizeof err), -1);
    assert_true(err[0] != '\0');
    assert_int_equal(okr_tls_cert_file_fingerprint("/nonexistent/cert.pem", a), -1);
    err[0] = '\0';
    assert_null(okr_tls_server_ctx(g.cert, g.key2, err, sizeof err)); /* key of another cert */
    assert_true(err[0] != '\0');
    err[0] = '\0';
    assert_null(okr_tls_server_ctx("/nonexistent/cert.pem", g.key, err, sizeof err));
    assert_true(err[0] != '\0');
    err[0] = '\0';
    assert_null(okr_tls_client_ctx("/nonexistent/ca.pem", err, sizeof err));
    assert_true(err[0] != '\0');
    assert_int_equal(ERR_peek_error(), 0);
}

/* Handshake, ALPN, TLS 1.3, SNI, fingerprints, host checks, data written
 * before the connection and before the handshake, clean shutdown. */
/* A name gets SNI and a host check; an address, also a link-local one with
 * its zone, an IP check on the address alone and no SNI (RFC 6066). */
static void test_client_host(void **state)
{
    (void)state;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(ctx);
    static const struct {
        const char *host, *sni, *ip;
    } cases[] = {
        {"okr.example.com", "okr.example.com", NULL},
        {"127.0.0.1", NULL, "127.0.0.1"},
        {"::1", NULL, "0:0:0:0:0:0:0:1"},
        {"fe80::1%eth0", NULL, "FE80:0:0:0:0:0:0:1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        SSL *ssl = SSL_new(ctx);
        assert_non_null(ssl);
        assert_int_equal(okr_tls_client_set_host(ssl, cases[i].host), 0);
        const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        if (cases[i].sni)
            assert_string_equal(sni, cases[i].sni);
        else
            assert_null(sni);
        char *ip = X509_VERIFY_PARAM_get1_ip_asc(SSL_get0_param(ssl));
        if (cases[i].ip)
            assert_string_equal(ip, cases[i].ip);
        else
            assert_null(ip);
        OPENSSL_free(ip);
        SSL_free(ssl);
    }
    SSL_CTX_free(ctx);
}

static void test_handshake(void **state)
{
    (void)state;
    harness_t h;
    h_init(&h, 2);
    h.server_echo = 1;
    SSL_CTX *ctx = pinned_client_ctx();
    peer_t *byname = client_new(&h, ctx, "localhost");
    peer_t *byip = client_new(&h, ctx, "127.0.0.1");
    byname->pre_connect = byip->pre_connect = "hello ";
    byname->post_start = byip->post_start = "world";
    byname->expect = byip->expect = strlen("hello world");
    client_connect(byname);
    client_connect(byip);
    h_run(&h);
    SSL_CTX_free(ctx);

    char port[16];
    snprintf(port, sizeof port, ":%u", (unsigned)ntohs(h.addr.sin_port));
    for (int i = 0; i < 2; i++) {
        peer_t *c = h.clients[i];
        assert_int_equal(c->hs_calls, 1);
        assert_int_equal(c->hs_status, OKR_OK);
        assert_string_equal(c->alpn, OKR_ALPN);
        assert_int_equal(c->version, TLS1_3_VERSION);
        assert_string_equal(c->fp, g.fp);
        assert_int_equal(c->host_ip, 0);
        assert_int_equal(c->host_name, 0);
        assert_int_equal(c->host_other, -1);
        assert_int_equal(c->rx_len, 11);
        assert_memory_equal(c->rx, "hello world", 11);
        assert_int_equal(c->err_calls, 0); /* it asked to close */
        assert_true(c->closed);
        assert_true(strstr(c->peer_name, "127.0.0.1:") == c->peer_name);
        assert_non_null(strstr(c->peer_name, port));
    }
    assert_int_equal(h.nservers, 2);
    int sni_localhost = 0, sni_none = 0;
    for (int i = 0; i < 2; i++) {
        peer_t *s = h.servers[i];
        assert_int_equal(s->hs_status, OKR_OK);
        assert_string_equal(s->alpn, OKR_ALPN);
        assert_int_equal(s->version, TLS1_3_VERSION);
        assert_int_equal(s->rx_len, 11);
        assert_memory_equal(s->rx, "hello world", 11);
        /* The client's close_notify. */
        assert_int_equal(s->err_calls, 1);
        assert_int_equal(s->err_status, OKR_E_CLOSED);
        assert_true(s->closed);
        sni_localhost += strcmp(s->sni, "localhost") == 0;
        sni_none += s->sni[0] == '\0'; /* no SNI for an IP literal */
        /* The server sees the client's address. */
        assert_true(strcmp(s->peer_name, h.clients[0]->local_name) == 0 ||
                    strcmp(s->peer_name, h.clients[1]->local_name) == 0);
    }
    assert_int_equal(sni_localhost, 1);
    assert_int_equal(sni_none, 1);
    h_free(&h);
}

/* 1 MiB each way in many writes of varying size: part written before the
 * handshake, part inside on_handshake (held, must stay in order), the rest
 * once established; the server echoes each read with its own write. */
static void test_echo_big(void **state)
{
    (void)state;
    harness_t h;
    h_init(&h, 1);
    h.server_echo = 1;
    SSL_CTX *ctx = pinned_client_ctx();
    peer_t *c = client_new(&h, ctx, "localhost");
    c->big_pre = 100000;
    c->expect = BIG;
    client_connect(c);
    h_run(&h);
    SSL_CTX_free(ctx);

    assert_int_equal(c->hs_status, OKR_OK);
    assert_int_equal(c->big_sent, BIG);
    assert_int_equal(c->rx_len, BIG);
    assert_false(c->mismatch);
    assert_true(c->reads > 1);
    /* What the socket did not take waits, coalesced, and still arrives in order. */
    assert_true(c->pending_after_burst > 0);
    assert_int_equal(c->err_calls, 0);
    assert_true(c->closed);
    peer_t *s = h.servers[0];
    assert_int_equal(s->rx_len, BIG);
    assert_memory_equal(s->rx, g.pattern, BIG);
    assert_true(s->reads > 1);
    assert_int_equal(s->err_status, OKR_E_CLOSED);
    assert_true(s->closed);
    h_free(&h);
}

/* The server queues a lot, then shuts down: everything arrives before the
 * close_notify, which the client sees as OKR_E_CLOSED. */
static void test_server_shutdown_drains(void **state)
{
    (void)state;
    harness_t h;
    h_init(&h, 1);
    h.server_reply_then_shutdown = 300000;
    SSL_CTX *ctx = pinned_client_ctx();
    peer_t *c = client_new(&h, ctx, NULL);
    client_connect(c);
    h_run(&h);
    SSL_CTX_free(ctx);

    assert_int_equal(c->hs_status, OKR_OK);
    assert_int_equal(c->rx_len, 300000);
    assert_memory_equal(c->rx, g.pattern, 300000);
    assert_int_equal(c->err_calls, 1);
    assert_int_equal(c->err_status, OKR_E_CLOSED);
    assert_non_null(strstr(c->error, "closed"));
    assert_true(c->closed);
    peer_t *s = h.servers[0];
    assert_int_equal(s->err_calls, 0);
    assert_true(s->closed);
    h_free(&h);
}

/* Writes made while corked leave together, in order, in one record; a
 * shutdown while corked sends them before its close_notify. */
static void test_cork(void **state)
{
    (void)state;
    harness_t h;
    h_init(&h, 1);
    h.server_corked_then_shutdown = 1;
    SSL_CTX *ctx = pinned_client_ctx();
    peer_t *c = client_new(&h, ctx, NULL);
    c->post_start = "go";
    client_connect(c);
    h_run(&h);
    SSL_CTX_free(ctx);

    assert_int_equal(c->hs_status, OKR_OK);
    assert_int_equal(c->rx_len, 18);
    assert_memory_equal(c->rx, "one two three four", 18);
    assert_int_equal(c->reads, 2); /* one record per uncork */
    assert_int_equal(c->err_status, OKR_E_CLOSED);
    assert_true(c->closed);
    assert_true(h.servers[0]->closed);
    h_free(&h);
}

/* A TLS 1.2 client fails on both sides; the next client is served. */
static void test_tls12_rejected(void **state)
{
    (void)state;
    harness_t h;
    h_init(&h, 2);
    SSL_CTX *old = SSL_CTX_new(TLS_client_method());
    assert_non_null(old);
    assert_int_equal(SSL_CTX_set_max_proto_version(old, TLS1_2_VERSION), 1);
    SSL_CTX_set_verify(old, SSL_VERIFY_NONE, NULL);
    SSL_CTX *ctx = pinned_client_ctx();
    peer_t *bad = client_new(&h, old, NULL);
    peer_t *good = client_new(&h, ctx, "localhost");
    bad->pre_connect = "never sent";
    bad->then = good;
    good->shutdown_in_handshake = 1;
    good->post_start = "after";
    client_connect(bad);
    h_run(&h);
    SSL_CTX_free(old);
    SSL_CTX_free(ctx);

    assert_int_equal(bad->hs_calls, 1);
    assert_int_equal(bad->hs_status, OKR_E_TLS);
    assert_non_null(strstr(bad->error, "TLS handshake failed"));
    assert_int_equal(bad->err_calls, 0);
    assert_true(bad->closed);
    assert_int_equal(good->hs_status, OKR_OK);
    assert_true(good->closed);

    assert_int_equal(h.nservers, 2);
    peer_t *s0 = h.servers[0], *s1 = h.servers[1];
    assert_int_equal(s0->hs_calls, 1);
    assert_int_equal(s0->hs_status, OKR_E_TLS);
    assert_non_null(strstr(s0->error, "TLS handshake failed"));
    assert_int_equal(s0->err_calls, 0);
    assert_int_equal(s0->rx_len, 0);
    assert_true(s0->closed);
    assert_int_equal(s1->hs_status, OKR_OK);
    /* Written before the handshake, sent before the close_notify. */
    assert_int_equal(s1->rx_len, 5);
    assert_memory_equal(s1->rx, "after", 5);
    assert_true(s1->closed);
    h_free(&h);
}

/* ALPN: a client offering only something else is refused; a client offering
 * none is accepted. */
static void test_alpn(void **state)
{
    (void)state;
    harness_t h;
    h_init(&h, 2);
    SSL_CTX *h2 = SSL_CTX_new(TLS_client_method());
    SSL_CTX *none = SSL_CTX_new(TLS_client_method());
    assert_non_null(h2);
    assert_non_null(none);
    assert_int_equal(SSL_CTX_set_alpn_protos(h2, (const unsigned char *)"\x02h2", 3), 0);
    peer_t *a = client_new(&h, h2, NULL);
    peer_t *b = client_new(&h, none, NULL);
    b->shutdown_in_handshake = 1;
    client_connect(a);
    client_connect(b);
    h_run(&h);
    SSL_CTX_free(h2);
    SSL_CTX_free(none);

    assert_int_equal(a->hs_status, OKR_E_TLS);
    assert_non_null(strstr(a->error, "alert"));
    assert_int_equal(b->hs_status, OKR_OK);
    assert_string_equal(b->alpn, "");
    int ok = 0, failed = 0;
    for (int i = 0; i < h.nservers; i++) {
        ok += h.servers[i]->hs_status == OKR_OK && h.servers[i]->hs_calls == 1;
        failed += h.servers[i]->hs_status == OKR_E_TLS;
    }
    assert_int_equal(ok, 1);
    assert_int_equal(failed, 1);
    h_free(&h);
}

/* Verification by CA file: the right one passes (by name and by address),
 * another one fails, and so does a wrong host name. */
static void test_ca_verify(void **state)
{
    (void)state;
    harness_t h;
    h_init(&h, 4);
    char err[256] = "";
    SSL_CTX *right = okr_tls_client_ctx(g.cert, err, sizeof err);
    assert_non_null(right);
    SSL_CTX *wrong = okr_tls_client_ctx(g.cert2, err, sizeof err);
    assert_non_null(wrong);
    peer_t *byname = client_new(&h, right, "localhost");
    peer_t *byip = client_new(&h, right, "127.0.0.1");
    peer_t *otherca = client_new(&h, wrong, "localhost");
    peer_t *othername = client_new(&h, right, "example.com");
    byname->shutdown_in_handshake = byip->shutdown_in_handshake = 1;
    otherca->pre_connect = othername->pre_connect = "secret";
    for (int i = 0; i < h.nclients; i++)
        client_connect(h.clients[i]);
    h_run(&h);
    SSL_CTX_free(right);
    SSL_CTX_free(wrong);

    assert_int_equal(byname->hs_status, OKR_OK);
    assert_int_equal(byip->hs_status, OKR_OK);
    assert_int_equal(otherca->hs_status, OKR_E_TLS);
    assert_non_null(strstr(otherca->error, "certificate"));
    assert_int_equal(othername->hs_status, OKR_E_TLS);
    assert_non_null(strstr(othername->error, "certificate"));
    int ok = 0, failed = 0;
    for (int i = 0; i < h.nservers; i++) {
        ok += h.servers[i]->hs_status == OKR_OK;
        failed += h.servers[i]->hs_status == OKR_E_TLS;
        assert_int_equal(h.servers[i]->rx_len, 0); /* "secret" never left */
        assert_true(h.servers[i]->closed);
    }
    assert_int_equal(ok, 2);
    assert_int_equal(failed, 2);
    h_free(&h);
}

/* A client closing in on_handshake (pin mismatch) sends none of what it
 * queued. */
static void test_close_in_handshake(void **state)
{
    (void)state;
    harness_t h;
    h_init(&h, 1);
    SSL_CTX *ctx = pinned_client_ctx();
    peer_t *c = client_new(&h, ctx, "localhost");
    c->pre_connect = "secret";
    c->close_in_handshake = 1;
    client_connect(c);
    h_run(&h);
    SSL_CTX_free(ctx);

    assert_int_equal(c->hs_status, OKR_OK);
    assert_int_equal(c->err_calls, 0);
    assert_true(c->closed);
    peer_t *s = h.servers[0];
    assert_int_equal(s->rx_len, 0);
    assert_int_equal(s->reads, 0);
    /* Either its handshake saw the end, or it completed and then saw EOF. */
    assert_true(s->hs_status == OKR_E_TLS || s->err_status == OKR_E_CLOSED ||
                s->err_status == OKR_E_IO);
    assert_true(s->closed);
    h_free(&h);
}

/* The server closes inside its first on_read: no further on_read, although
 * more records arrived in the same socket read. */
static void test_close_in_read(void **state)
{
    (void)state;
    harness_t h;
    h_init(&h, 1);
    h.server_close_on_read = 1;
    SSL_CTX *ctx = pinned_client_ctx();
    peer_t *c = client_new(&h, ctx, NULL);
    /* Held until the handshake, then sent as one SSL_write: 3 records. */
    static char msg[40000];
    memset(msg, 'm', sizeof msg - 1);
    c->pre_connect = msg;
    client_connect(c);
    h_run(&h);
    SSL_CTX_free(ctx);

    peer_t *s = h.servers[0];
    assert_int_equal(s->reads, 1);
    assert_int_equal(s->err_calls, 0);
    assert_true(s->closed);
    assert_int_equal(c->hs_status, OKR_OK);
    assert_int_equal(c->err_calls, 1);
    assert_true(c->err_status == OKR_E_CLOSED || c->err_status == OKR_E_IO);
    assert_true(c->closed);
    h_free(&h);
}

/* A server that makes the TLS state after the accept (okr_tls_init_tcp,
 * then okr_tls_attach) serves as one that made it before. */
static void test_attach_after_accept(void **state)
{
    (void)state;
    harness_t h;
    h_init(&h, 1);
    h.server_accept = ACCEPT_ATTACH;
    h.server_echo = 1;
    SSL_CTX *ctx = pinned_client_ctx();
    peer_t *c = client_new(&h, ctx, "localhost");
    c->pre_connect = "hello";
    c->expect = 5;
    client_connect(c);
    h_run(&h);
    SSL_CTX_free(ctx);

    assert_int_equal(c->hs_status, OKR_OK);
    assert_string_equal(c->fp, g.fp);
    assert_int_equal(c->rx_len, 5);
    assert_memory_equal(c->rx, "hello", 5);
    peer_t *s = h.servers[0];
    assert_int_equal(s->hs_status, OKR_OK);
    assert_string_equal(s->alpn, OKR_ALPN);
    assert_int_equal(s->rx_len, 5);
    assert_true(s->closed);
    h_free(&h);
}

/* A connection closed before it has TLS state (refused at accept): the
 * server's side reports nothing but on_close, once; each client sees its
 * handshake fail, as from a server that closed at once. */
static void test_refuse_before_tls(void **state)
{
    (void)state;
    harness_t h;
    h_init(&h, 2);
    h.server_accept = ACCEPT_REFUSE;
    SSL_CTX *ctx = pinned_client_ctx();
    peer_t *c[2];
    for (int i = 0; i < 2; i++) {
        c[i] = client_new(&h, ctx, "localhost");
        c[i]->pre_connect = "not sent";
        client_connect(c[i]);
    }
    h_run(&h);
    SSL_CTX_free(ctx);

    for (int i = 0; i < 2; i++) {
        assert_int_equal(c[i]->hs_calls, 1);
        assert_int_equal(c[i]->hs_status, OKR_E_TLS);
        assert_non_null(strstr(c[i]->error, "handshake"));
        assert_int_equal(c[i]->reads, 0);
        assert_true(c[i]->closed);
    }
    assert_int_equal(h.nservers, 2);
    for (int i = 0; i < 2; i++) {
        peer_t *s = h.servers[i];
        assert_int_equal(s->hs_calls, 0);
        assert_int_equal(s->err_calls, 0);
        assert_int_equal(s->reads, 0);
        assert_true(s->closed);
    }
    h_free(&h);
}

/* --- fixture ------------------------------------------------------------ */

static int suite_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    snprintf(g.dir, sizeof g.dir, "/tmp/okr-tls-XXXXXX");
    if (!mkdtemp(g.dir))
        return -1;
    snprintf(g.cert, sizeof g.cert, "%s/cert.pem", g.dir);
    snprintf(g.key, sizeof g.key, "%s/key.pem", g.dir);
    snprintf(g.cert2, sizeof g.cert2, "%s/cert2.pem", g.dir);
    snprintf(g.key2, sizeof g.key2, "%s/key2.pem", g.dir);
    const char *hosts[] = {"127.0.0.1", "localhost", "::1"};
    const char *hosts2[] = {"localhost"};
    char err[256] = "";
    if (okr_tls_generate_self_signed(g.cert, g.key, hosts, 3, err, sizeof err) != 0 ||
        okr_tls_generate_self_signed(g.cert2, g.key2, hosts2, 1, err, sizeof err) != 0) {
        fprintf(stderr, "generate: %s\n", err);
        return -1;
    }
    if (okr_tls_cert_file_fingerprint(g.cert, g.fp) != 0)
        return -1;
    g.server_ctx = okr_tls_server_ctx(g.cert, g.key, err, sizeof err);
    if (!g.server_ctx) {
        fprintf(stderr, "server ctx: %s\n", err);
        return -1;
    }
    g.pattern = malloc(BIG);
    if (!g.pattern)
        return -1;
    for (size_t i = 0; i < BIG; i++)
        g.pattern[i] = (uint8_t)((i * 131u) ^ (i >> 9));
    return 0;
}

static int suite_teardown(void **state)
{
    (void)state;
    SSL_CTX_free(g.server_ctx);
    free(g.pattern);
    unlink(g.cert);
    unlink(g.key);
    unlink(g.cert2);
    unlink(g.key2);
    rmdir(g.dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_cert),
        cmocka_unit_test(test_client_host),
        cmocka_unit_test(test_handshake),
        cmocka_unit_test(test_echo_big),
        cmocka_unit_test(test_server_shutdown_drains),
        cmocka_unit_test(test_cork),
        cmocka_unit_test(test_tls12_rejected),
        cmocka_unit_test(test_alpn),
        cmocka_unit_test(test_ca_verify),
        cmocka_unit_test(test_close_in_handshake),
        cmocka_unit_test(test_close_in_read),
        cmocka_unit_test(test_attach_after_accept),
        cmocka_unit_test(test_refuse_before_tls),
    };
    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
