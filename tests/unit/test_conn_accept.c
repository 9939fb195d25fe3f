/* test_conn_accept.c — okrd's accept path (conn.c) on a loop of the test's
 * own, with a listener on 127.0.0.1 and plain TCP clients.
 *
 * A connection over max_connections_per_ip or max_connections is closed at
 * accept: its client sees the end without a byte, its socket is closed
 * (the process holds as many descriptors after a flood as before), the
 * connections held go on, and OpenSSL is not asked for one byte of memory
 * for it. OpenSSL's allocator is counted (CRYPTO_set_mem_functions, before
 * OpenSSL allocates anything), so TLS state made for a connection about to
 * be refused (SSL_new, its BIOs) would show as allocations here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <uv.h>

#include "clock.h"
#include "config.h"
#include "conn.h"
#include "counts.h"
#include "log.h"
#include "server.h"

#define FLOOD       50
#define DEADLINE_MS 5000

/* ---- OpenSSL's allocations, counted ---- */

static unsigned long openssl_allocs;

static void *count_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    openssl_allocs++;
    return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    openssl_allocs++;
    return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    free(p);
}

/* ---- a server of conn.c alone ---- */

typedef struct fixture {
    uv_loop_t loop;
    uv_tcp_t listener;
    okr_config_t cfg;
    okr_server_t srv;
    struct sockaddr_in addr;
    int held[8];
    int nheld;
} fixture_t;

static void on_connection(uv_stream_t *listener, int status)
{
    fixture_t *f = listener->data;
    assert_int_equal(status, 0);
    okr_conn_accept(&f->srv, listener);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    okr_config_defaults(&f->cfg);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->srv.loop = &f->loop;
    f->srv.cfg = &f->cfg;
    f->srv.per_ip = okr_counts_new();
    f->srv.per_user = okr_counts_new();
    /* No certificate: nothing here gets as far as a handshake. */
    f->srv.tls = SSL_CTX_new(TLS_server_method());
    assert_non_null(f->srv.per_ip);
    assert_non_null(f->srv.per_user);
    assert_non_null(f->srv.tls);
    assert_int_equal(uv_tcp_init(&f->loop, &f->listener), 0);
    f->listener.data = f;
    assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &f->addr), 0);
    assert_int_equal(uv_tcp_bind(&f->listener, (const struct sockaddr *)&f->addr, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&f->listener, 128, on_connection), 0);
    int len = (int)sizeof f->addr;
    assert_int_equal(uv_tcp_getsockname(&f->listener, (struct sockaddr *)&f->addr, &len), 0);
    *state = f;
    return 0;
}

static int live_conns_is_zero(void *arg);
static void run_until(fixture_t *f, int (*cond)(void *), void *arg);

static int teardown(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < f->nheld; i++)
        close(f->held[i]);
    /* Each held connection sees its end in the handshake and closes. */
    run_until(f, live_conns_is_zero, f);
    uv_close((uv_handle_t *)&f->listener, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0); /* every handle closed and freed */
    okr_counts_free(f->srv.per_ip);
    okr_counts_free(f->srv.per_user);
    SSL_CTX_free(f->srv.tls);
    okr_config_free(&f->cfg);
    free(f);
    return 0;
}

/* Turns the loop until cond(arg), failing the test after DEADLINE_MS. */
static void run_until(fixture_t *f, int (*cond)(void *), void *arg)
{
    uint64_t deadline = okr_mono_ms() + DEADLINE_MS;
    while (!cond(arg)) {
        if (okr_mono_ms() > deadline)
            fail_msg("the condition did not come true within %d ms", DEADLINE_MS);
        uv_run(&f->loop, UV_RUN_NOWAIT);
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

static int live_conns_is_zero(void *arg)
{
    return ((fixture_t *)arg)->srv.nconns == 0;
}

typedef struct {
    fixture_t *f;
    uint64_t n;
} nconns_t;

static int nconns_reached(void *arg)
{
    nconns_t *w = arg;
    return w->f->srv.nconns == w->n;
}

/* A blocking connect: the kernel completes it from the listen backlog,
 * before the server has accepted anything. */
static int tcp_connect(fixture_t *f)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (const struct sockaddr *)&f->addr, sizeof f->addr), 0);
    return fd;
}

typedef struct {
    int fd;
    size_t bytes; /* what the server sent it */
    int closed;
} client_t;

static int client_closed(void *arg)
{
    client_t *c = arg;
    for (;;) {
        char buf[4096];
        ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            c->bytes += (size_t)n;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            c->closed = 1;
        return c->closed;
    }
}

/* 1 if the server has closed fd's connection (a peek, for the held ones). */
static int peer_gone(int fd)
{
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_DONTWAIT | MSG_PEEK);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Connects n clients the server keeps. */
static void hold(fixture_t *f, int n)
{
    for (int i = 0; i < n; i++)
        f->held[f->nheld++] = tcp_connect(f);
    nconns_t w = {f, (uint64_t)f->nheld};
    run_until(f, nconns_reached, &w);
}

/* FLOOD connections in a row, each of which the server must close at
 * accept, without a byte and without any allocation by OpenSSL; then
 * checks that the process's descriptors are as before and that the held
 * connections are untouched. */
static void flood_refused(fixture_t *f)
{
    int fds = open_fds();
    unsigned long allocs = openssl_allocs;
    for (int i = 0; i < FLOOD; i++) {
        client_t c = {.fd = tcp_connect(f)};
        run_until(f, client_closed, &c);
        assert_int_equal(c.bytes, 0);
        close(c.fd);
    }
    assert_int_equal(openssl_allocs - allocs, 0);
    assert_int_equal(open_fds(), fds);
    assert_int_equal(f->srv.nconns, (uint64_t)f->nheld);
    for (int i = 0; i < f->nheld; i++)
        assert_false(peer_gone(f->held[i]));
}

static void test_per_ip_refused_before_tls(void **state)
{
    fixture_t *f = *state;
    f->cfg.max_connections_per_ip = 3;
    unsigned long allocs = openssl_allocs;
    hold(f, 3);
    /* the counter sees TLS state: the connections held have theirs */
    assert_true(openssl_allocs > allocs);

    flood_refused(f);
    assert_int_equal(f->srv.refused_per_ip, FLOOD);
    assert_int_equal(f->srv.refused_full, 0);
    okr_count_key_t key; /* 127.0.0.1's: the port is not part of it */
    assert_int_equal(okr_count_key_addr((const struct sockaddr *)&f->addr, &key), 0);
    assert_int_equal(okr_counts_get(f->srv.per_ip, &key), 3);

    /* A place given back is taken by the next connection. */
    close(f->held[--f->nheld]);
    nconns_t w = {f, 2};
    run_until(f, nconns_reached, &w);
    hold(f, 1);
    assert_int_equal(okr_counts_get(f->srv.per_ip, &key), 3);
    assert_int_equal(f->srv.refused_per_ip, FLOOD);
}

static void test_full_refused_before_tls(void **state)
{
    fixture_t *f = *state;
    f->cfg.max_connections = 2;
    f->cfg.max_connections_per_ip = 0;
    hold(f, 2);
    flood_refused(f);
    assert_int_equal(f->srv.refused_full, FLOOD);
    assert_int_equal(f->srv.refused_per_ip, 0);
}

int main(void)
{
    /* Before OpenSSL allocates anything, or it keeps its own allocator. */
    if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free))
        return 1;
    signal(SIGPIPE, SIG_IGN);
    okr_log_set_level(OKR_LOG_ERROR); /* the refusals' warnings are the point, not news */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_per_ip_refused_before_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_refused_before_tls, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
