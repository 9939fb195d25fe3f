/* sc_rtt.c — the ceiling on one writer's check-in rate: a bare loopback TCP
 * round trip between the generator's core and okrd's, measured beside the bare
 * LMDB loops (bench_sc_lmdb). A writer that waits for each acknowledgement
 * pays a commit and a round trip per check-in and cannot overlap the two, so
 * 1e6 / (commit µs + round trip µs) bounds its rate even for a server that
 * costs nothing else.
 *
 * Two blocking sockets over 127.0.0.1 with TCP_NODELAY, no TLS: the echo side
 * on a thread where okrd runs (--server-cpu), the timing side on okr-bench's
 * own thread (--client-cpu); messages the size of a writer's check-in on the
 * wire, echoed back whole. */
#define _GNU_SOURCE /* cpu_set_t, sched_setaffinity */
#include "sc_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* TLS 1.3 adds to every record a 5-byte header, the inner content type and a
 * 16-byte AEAD tag. */
#define RTT_TLS_RECORD_OVERHEAD 22
#define RTT_MAX_BYTES           1024
/* The timing side gives up when an echo takes longer than this. */
#define RTT_TIMEOUT_S 10

/* The bytes one writer's check-in takes on the wire: the Envelope as bconn.c
 * packs it (request id and note as they are some 10,000 check-ins into a
 * run), its frame header and one TLS record's overhead. */
static size_t rtt__checkin_bytes(const bench_env_t *env)
{
    char note[32];
    snprintf(note, sizeof note, "bench %u", 10000u); /* writers__send's note */
    Okr__Request req;
    Okr__CheckInRequest ci;
    bench_checkin_req(&req, &ci, env->nkrs ? env->krs[0] : 1, 50, note);
    req.id = 10000;
    Okr__Envelope e = OKR__ENVELOPE__INIT;
    e.msg_case = OKR__ENVELOPE__MSG_REQUEST;
    e.request = &req;
    return OKR_FRAME_HEADER + okr__envelope__get_packed_size(&e) + RTT_TLS_RECORD_OVERHEAD;
}

/* Reads len bytes. Returns len, fewer when the stream ended first, or -1
 * (errno set). */
static ssize_t rtt__read_full(int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n > 0)
            got += (size_t)n;
        else if (n == 0)
            break;
        else if (errno != EINTR)
            return -1;
    }
    return (ssize_t)got;
}

/* Writes len bytes. Returns 0 or -1 (errno set). */
static int rtt__write_full(int fd, const uint8_t *buf, size_t len)
{
    size_t put = 0;
    while (put < len) {
        ssize_t n = write(fd, buf + put, len - put);
        if (n >= 0)
            put += (size_t)n;
        else if (errno != EINTR)
            return -1;
    }
    return 0;
}

/* Puts the calling thread where okrd runs: on cpu, or, with -1, on any CPU
 * (okrd unpinned was started before okr-bench pinned itself; a thread would
 * otherwise inherit the generator's CPU). Returns 0 or -1. */
static int rtt__pin_like_okrd(int cpu)
{
    if (cpu >= 0)
        return bench_pin_cpu(cpu);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    CPU_ZERO(&set);
    for (long i = 0; i < n && i < CPU_SETSIZE; i++)
        CPU_SET((int)i, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

typedef struct rtt_echo {
    int fd;
    size_t len;
    int cpu;        /* --server-cpu */
    int pin_failed; /* set by the thread */
    int err;        /* errno of a failed read or write; 0 otherwise */
    size_t torn;    /* bytes of a message cut short by the end of the stream */
} rtt_echo_t;

/* Echoes every message of e->len bytes until the stream ends, then shuts its
 * socket down so that the timing side never waits on an echo that will not
 * come. The socket is closed by the caller, after the join. */
static void *rtt__echo_main(void *arg)
{
    rtt_echo_t *e = arg;
    e->pin_failed = rtt__pin_like_okrd(e->cpu) != 0;
    uint8_t buf[RTT_MAX_BYTES];
    for (;;) {
        ssize_t n = rtt__read_full(e->fd, buf, e->len);
        if (n < 0) {
            e->err = errno;
            break;
        }
        if ((size_t)n < e->len) {
            e->torn = (size_t)n;
            break;
        }
        if (rtt__write_full(e->fd, buf, e->len) != 0) {
            e->err = errno;
            break;
        }
    }
    shutdown(e->fd, SHUT_RDWR);
    return NULL;
}

static int rtt__nodelay(int fd)
{
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int rtt__accept(int lfd)
{
    int fd;
    do
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    return fd;
}

/* A connected pair over 127.0.0.1: fds[0] the timing side's end (reads time
 * out after RTT_TIMEOUT_S), fds[1] the accepted one, both with TCP_NODELAY.
 * Returns 0, or -1 with the error counted and nothing left open. */
static int rtt__pair(bench_env_t *env, int fds[2])
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* port 0: any free one */
    socklen_t alen = sizeof a;
    struct timeval tv = {RTT_TIMEOUT_S, 0};
    int lfd = -1, cfd = -1, sfd = -1;
    const char *step = NULL;
    if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        step = "socket";
    else if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0)
        step = "bind 127.0.0.1:0";
    else if (listen(lfd, 1) != 0)
        step = "listen";
    else if (getsockname(lfd, (struct sockaddr *)&a, &alen) != 0)
        step = "getsockname";
    else if ((cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        step = "socket";
    else if (connect(cfd, (struct sockaddr *)&a, sizeof a) != 0)
        step = "connect";
    else if ((sfd = rtt__accept(lfd)) < 0)
        step = "accept";
    else if (rtt__nodelay(cfd) != 0 || rtt__nodelay(sfd) != 0)
        step = "TCP_NODELAY";
    else if (setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
        step = "SO_RCVTIMEO";
    if (step)
        bench_error(env, "loopback round trip: %s: %s", step, strerror(errno));
    if (lfd >= 0)
        close(lfd);
    if (step) {
        if (cfd >= 0)
            close(cfd);
        if (sfd >= 0)
            close(sfd);
        return -1;
    }
    fds[0] = cfd;
    fds[1] = sfd;
    return 0;
}

/* Sends a message, waits for its echo, over warmup + duration seconds; the
 * round trips that end in the measured window go to h. Returns NULL, or
 * what failed (errno set, 0 when it is not a system error). */
static const char *rtt__time(const bench_opts_t *o, int fd, size_t len, hist_t *h)
{
    uint8_t out[RTT_MAX_BYTES], in[RTT_MAX_BYTES];
    memset(out, 0x5a, len);
    uint64_t t0 = bench_now_ns();
    uint64_t t_measure = t0 + (uint64_t)(o->warmup * 1e9);
    uint64_t t_end = t_measure + (uint64_t)(o->duration * 1e9);
    for (uint64_t n = 0, now = t0; now < t_end; n++) {
        memcpy(out, &n, sizeof n); /* so that a stale echo shows */
        if (rtt__write_full(fd, out, len) != 0)
            return "write";
        ssize_t got = rtt__read_full(fd, in, len);
        if (got < 0)
            return "read";
        errno = 0;
        if ((size_t)got < len)
            return "the echo side closed the connection";
        if (memcmp(in, out, len) != 0)
            return "the echo differs from the message sent";
        uint64_t done = bench_now_ns();
        if (done >= t_measure && done <= t_end)
            hist_add(h, done - now);
        now = done;
    }
    return NULL;
}

double sc_rtt_measure(bench_env_t *env, json_t *obj)
{
    const bench_opts_t *o = env->o;
    size_t len = rtt__checkin_bytes(env);
    if (len > RTT_MAX_BYTES)
        len = RTT_MAX_BYTES;
    if (len < sizeof(uint64_t))
        len = sizeof(uint64_t);
    int fds[2];
    if (rtt__pair(env, fds) != 0)
        return 0;
    rtt_echo_t echo = {.fd = fds[1], .len = len, .cpu = o->server_cpu};
    pthread_t th;
    int rc = pthread_create(&th, NULL, rtt__echo_main, &echo);
    if (rc != 0) {
        bench_error(env, "loopback round trip: cannot start the echo thread: %s", strerror(rc));
        close(fds[0]);
        close(fds[1]);
        return 0;
    }
    hist_t h;
    hist_init(&h);
    const char *failed = rtt__time(o, fds[0], len, &h);
    int err = errno;
    shutdown(fds[0], SHUT_WR); /* the echo side reads the end of the stream and returns */
    pthread_join(th, NULL);
    close(fds[0]);
    close(fds[1]);
    if (echo.pin_failed)
        bench_progress(env,
                       "loopback round trip: cannot place the echo side as okrd (--server-cpu %d): "
                       "it ran on okr-bench's CPU",
                       o->server_cpu);
    if (failed && (err == EAGAIN || err == EWOULDBLOCK)) {
        bench_error(env, "loopback round trip: no echo within %d s", RTT_TIMEOUT_S);
        return 0;
    }
    if (failed) {
        bench_error(env, "loopback round trip: %s%s%s", failed, err ? ": " : "",
                    err ? strerror(err) : "");
        if (echo.err)
            bench_error(env, "loopback round trip: echo side: %s", strerror(echo.err));
        else if (echo.torn)
            bench_error(env,
                        "loopback round trip: echo side: the stream ended %zu bytes into "
                        "a message",
                        echo.torn);
        return 0;
    }
    json_object_set_new(obj, "rtt_bytes", json_integer((json_int_t)len));
    bench_json_latency(obj, "rtt_", &h);
    double mean_us = hist_mean(&h) / 1e3;
    json_object_set_new(obj, "rtt_mean_us", json_real(mean_us));
    return mean_us;
}
