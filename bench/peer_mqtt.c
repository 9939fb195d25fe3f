/* peer_mqtt.c — the fan-out workload of okr-bench through Mosquitto, for
 * bench/run-peers. Built by run-peers against Debian's libmosquitto-dev:
 *
 *   peer_mqtt --port N --cafile CA --subscribers S --rate R --size BYTES
 *             --duration S --warmup S [--server-pid PID]
 *
 * Same shape as okr-bench's fanout scenario: S subscribers (MQTT 3.1.1 over
 * TLS, QoS 0, one topic) driven from one thread with epoll through
 * libmosquitto's external-loop calls; one publisher on its own thread and
 * connection publishing at a fixed rate messages of the size of okrd's
 * events, carrying their sequence number and send time (CLOCK_MONOTONIC and
 * CLOCK_REALTIME). Prints one JSON object with the same keys as okr-bench's
 * fanout run.
 *
 * Two receipt times, measured as okr-bench measures okrd (bench/bconn.c):
 * the headline (p50_ms, ...) is when the message's TLS record reached the
 * subscriber's socket, as the kernel stamped it (SO_TIMESTAMPNS; a peek at
 * the socket before OpenSSL reads the next record, header then body); read_*
 * is when this thread had read and decoded it, which adds its own queueing
 * over a thousand sockets.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <mosquitto.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"
#include "peek.h"

#define TOPIC "okr/bench/cycle"

typedef struct sub {
    struct mosquitto *m;
    unsigned long long rx_ns; /* the kernel's receipt time of the record being read */
    int subscribed;
    long long last_k;
    unsigned long long received, out_of_order;
} sub_t;

static struct {
    const char *host, *cafile;
    int port, subscribers, size;
    double rate, duration, warmup;
    int server_pid;
} opt = {"127.0.0.1", NULL, 8883, 100, 222, 100, 10, 1, 0};

static sub_t *subs;
static int nsubscribed;
static hist_t hist;      /* send -> the kernel's receipt at the subscriber's socket */
static hist_t hist_read; /* send -> read and decoded by this thread */
static unsigned long long received_total, unstamped;
static unsigned long long first_send, last_recv;
static _Atomic unsigned long long published;
static _Atomic int publisher_done;
static unsigned run_id;

static unsigned long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static unsigned long long real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* The kernel's receipt time of the next bytes on fd (ns, CLOCK_REALTIME), or
 * 0 when there is nothing to read or no stamp. Consumes nothing. */
static unsigned long long peek_stamp(int fd)
{
    unsigned char hdr[5];
    uint64_t ns;
    return bench_peek_stamped(fd, hdr, sizeof hdr, &ns) > 0 ? (unsigned long long)ns : 0;
}

static unsigned long long proc_cpu_ns(int pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return 0;
    return (ut + st) * (1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK));
}

static unsigned long long self_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "peer_mqtt: %s: %s\n", what, mosquitto_strerror(rc));
    exit(1);
}

static void on_subscribe(struct mosquitto *m, void *arg, int mid, int n, const int *qos)
{
    (void)m;
    (void)mid;
    (void)n;
    (void)qos;
    sub_t *s = arg;
    if (!s->subscribed) {
        s->subscribed = 1;
        nsubscribed++;
    }
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
    (void)m;
    unsigned long long now = now_ns();
    sub_t *s = arg;
    unsigned run;
    long long k;
    unsigned long long sent, sent_real;
    char text[128];
    int len = msg->payloadlen < 127 ? msg->payloadlen : 127;
    memcpy(text, msg->payload, (size_t)len);
    text[len] = '\0';
    if (sscanf(text, "okrb %u %lld %llu %llu", &run, &k, &sent, &sent_real) != 4 || run != run_id)
        return;
    if (k <= s->last_k) {
        s->out_of_order++;
        return;
    }
    s->last_k = k;
    s->received++;
    received_total++;
    last_recv = now;
    hist_add(&hist_read, now > sent ? now - sent : 0);
    if (s->rx_ns)
        hist_add(&hist, s->rx_ns > sent_real ? s->rx_ns - sent_real : 0);
    else
        unstamped++;
}

static struct mosquitto *client_new(void *arg)
{
    struct mosquitto *m = mosquitto_new(NULL, 1, arg);
    if (!m)
        die("mosquitto_new", MOSQ_ERR_NOMEM);
    int rc = mosquitto_tls_set(m, opt.cafile, NULL, NULL, NULL, NULL);
    if (rc)
        die("tls_set", rc);
    mosquitto_tls_opts_set(m, 1, "tlsv1.3", NULL);
    mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
    return m;
}

/* ---- the publisher: its own thread and connection ---- */

/* Connected before the subscribers: libmosquitto's own loop thread uses
 * select(), which cannot watch a descriptor above FD_SETSIZE (1024), and
 * every client holds three (its socket and a socket pair). */
static struct mosquitto *publisher_connect(void)
{
    struct mosquitto *m = client_new(NULL);
    int rc = mosquitto_connect(m, opt.host, opt.port, 60);
    if (rc)
        die("publisher connect", rc);
    return m;
}

static void *publisher_main(void *arg)
{
    struct mosquitto *m = arg;
    int rc;
    mosquitto_loop_start(m);
    char *payload = malloc((size_t)opt.size + 128);
    memset(payload, 'x', (size_t)opt.size + 128);
    unsigned long long start = now_ns();
    unsigned long long end = start + (unsigned long long)((opt.warmup + opt.duration) * 1e9);
    unsigned long long sent = 0;
    for (;;) {
        unsigned long long now = now_ns();
        if (now >= end)
            break;
        unsigned long long due = (unsigned long long)((double)(now - start) / 1e9 * opt.rate) + 1;
        while (sent < due) {
            unsigned long long t = now_ns(), t_real = real_ns();
            int n = snprintf(payload, 128, "okrb %u %llu %llu %llu ", run_id, sent, t, t_real);
            payload[n] = 'x'; /* padding after the header, up to size */
            rc = mosquitto_publish(m, NULL, TOPIC, opt.size > n ? opt.size : n, payload, 0, 0);
            if (rc)
                die("publish", rc);
            if (!sent)
                first_send = t;
            sent++;
            atomic_store(&published, sent);
        }
        struct timespec ts = {0, 1000000}; /* 1 ms ticks, like okr-bench's writer */
        nanosleep(&ts, NULL);
    }
    usleep(100000); /* let the library's thread write the last ones */
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, 0);
    mosquitto_destroy(m);
    free(payload);
    atomic_store(&publisher_done, 1);
    return NULL;
}

/* ---- the subscribers: one epoll thread ---- */

static void service(sub_t *s)
{
    SSL *ssl = mosquitto_ssl_get(s->m);
    int rc;
    do { /* TLS may hold whole records after the socket is empty */
        if (!ssl || SSL_pending(ssl) == 0) {
            /* OpenSSL reads the next record now: when did its first byte arrive? */
            /* 0 (nothing there yet): what the read below takes counts as
             * unstamped, as in okr-bench, rather than getting an older
             * record's time. */
            s->rx_ns = peek_stamp(mosquitto_socket(s->m));
        }
        rc = mosquitto_loop_read(s->m, 1);
    } while (rc == MOSQ_ERR_SUCCESS && ssl && SSL_pending(ssl) > 0);
    if (rc && rc != MOSQ_ERR_CONN_LOST)
        fprintf(stderr, "peer_mqtt: read: %s\n", mosquitto_strerror(rc));
    if (mosquitto_want_write(s->m))
        mosquitto_loop_write(s->m, 1);
}

static void poll_once(int ep, int timeout_ms)
{
    struct epoll_event evs[256];
    int n = epoll_wait(ep, evs, 256, timeout_ms);
    for (int i = 0; i < n; i++)
        service(&subs[evs[i].data.u32]);
}

static int all_received(void)
{
    unsigned long long want = atomic_load(&published);
    for (int i = 0; i < opt.subscribers; i++)
        if (subs[i].received < want)
            return 0;
    return 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: peer_mqtt --port N --cafile CA --subscribers S --rate R --size B "
                    "--duration S --warmup S [--server-pid PID]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port"))
            opt.port = atoi(v);
        else if (!strcmp(k, "--cafile"))
            opt.cafile = v;
        else if (!strcmp(k, "--host"))
            opt.host = v;
        else if (!strcmp(k, "--subscribers"))
            opt.subscribers = atoi(v);
        else if (!strcmp(k, "--rate"))
            opt.rate = atof(v);
        else if (!strcmp(k, "--size"))
            opt.size = atoi(v);
        else if (!strcmp(k, "--duration"))
            opt.duration = atof(v);
        else if (!strcmp(k, "--warmup"))
            opt.warmup = atof(v);
        else if (!strcmp(k, "--server-pid"))
            opt.server_pid = atoi(v);
        else
            usage();
    }
    if (!opt.cafile || opt.subscribers < 1 || opt.rate <= 0)
        usage();
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    mosquitto_lib_init();
    run_id = (unsigned)getpid();
    hist_init(&hist);
    hist_init(&hist_read);
    subs = calloc((size_t)opt.subscribers, sizeof *subs);
    struct mosquitto *pub = publisher_connect();
    int ep = epoll_create1(0);
    unsigned long long t_open = now_ns();
    for (int i = 0; i < opt.subscribers; i++) {
        sub_t *s = &subs[i];
        s->last_k = -1;
        s->m = client_new(s);
        mosquitto_subscribe_callback_set(s->m, on_subscribe);
        mosquitto_message_callback_set(s->m, on_message);
        int rc = mosquitto_connect(s->m, opt.host, opt.port, 600);
        if (rc)
            die("subscriber connect", rc);
        int on = 1;
        if (setsockopt(mosquitto_socket(s->m), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
            fprintf(stderr, "peer_mqtt: SO_TIMESTAMPNS: %s\n", strerror(errno));
            return 1;
        }
        rc = mosquitto_subscribe(s->m, NULL, TOPIC, 0);
        if (rc)
            die("subscribe", rc);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, mosquitto_socket(s->m), &ev);
        service(s); /* sends CONNECT/SUBSCRIBE if still queued */
        poll_once(ep, 0);
    }
    unsigned long long deadline = now_ns() + 60000000000ull; /* to subscribe */
    while (nsubscribed < opt.subscribers && now_ns() < deadline) {
        poll_once(ep, 10);
        for (int i = 0; i < opt.subscribers; i++)
            if (mosquitto_want_write(subs[i].m))
                mosquitto_loop_write(subs[i].m, 1);
    }
    if (nsubscribed < opt.subscribers) {
        fprintf(stderr, "peer_mqtt: only %d of %d subscribed\n", nsubscribed, opt.subscribers);
        return 1;
    }
    double subscribe_s = (double)(now_ns() - t_open) / 1e9;
    fprintf(stderr, "peer_mqtt: %d subscribed in %.1f s; publishing at %.0f/s for %.0f s...\n",
            opt.subscribers, subscribe_s, opt.rate, opt.warmup + opt.duration);

    unsigned long long srv0 = opt.server_pid ? proc_cpu_ns(opt.server_pid) : 0;
    unsigned long long self0 = self_cpu_ns(), wall0 = now_ns();
    pthread_t th;
    pthread_create(&th, NULL, publisher_main, pub);
    unsigned long long misc_at = 0, drain_deadline = 0;
    for (;;) {
        poll_once(ep, 5);
        unsigned long long now = now_ns();
        if (now - misc_at > 1000000000ull) { /* keepalives */
            for (int i = 0; i < opt.subscribers; i++)
                mosquitto_loop_misc(subs[i].m);
            misc_at = now;
        }
        if (atomic_load(&publisher_done)) {
            if (all_received())
                break;
            if (!drain_deadline)
                drain_deadline = now + 10000000000ull; /* stragglers: 10 s at most */
            else if (now > drain_deadline)
                break;
        }
    }
    pthread_join(th, NULL);
    double wall = (double)(now_ns() - wall0);
    unsigned long long sent = atomic_load(&published), lost = 0, ooo = 0;
    for (int i = 0; i < opt.subscribers; i++) {
        if (subs[i].received < sent)
            lost += sent - subs[i].received;
        ooo += subs[i].out_of_order;
    }
    double span = last_recv > first_send ? (double)(last_recv - first_send) / 1e9 : 0;
    /* Should the kernel give no receipt times, the headline is the read time
     * (receipt_clock says which), as in okr-bench. */
    const hist_t *head = hist.count > 0 ? &hist : &hist_read;
    printf("{\"scenario\": \"fanout\", \"peer\": \"mosquitto\", \"subscribers\": %d, "
           "\"rate\": %g, \"message_bytes\": %d, \"events_sent\": %llu, \"deliveries\": %llu, "
           "\"deliveries_per_s\": %.1f, \"lost\": %llu, \"out_of_order\": %llu, "
           "\"p50_ms\": %.4f, \"p99_ms\": %.4f, \"p999_ms\": %.4f, \"max_ms\": %.4f, "
           "\"subscribe_s\": %.3f, \"generator_cpu_pct\": %.1f, \"receipt_clock\": \"%s\", "
           "\"unstamped\": %llu, \"read_p50_ms\": %.4f, \"read_p99_ms\": %.4f, "
           "\"read_p999_ms\": %.4f, \"read_max_ms\": %.4f",
           opt.subscribers, opt.rate, opt.size, sent, received_total,
           span > 0 ? (double)received_total / span : 0, lost, ooo,
           (double)hist_quantile(head, 0.5) / 1e6, (double)hist_quantile(head, 0.99) / 1e6,
           (double)hist_quantile(head, 0.999) / 1e6, (double)hist_quantile(head, 1.0) / 1e6,
           subscribe_s, 100.0 * (double)(self_cpu_ns() - self0) / wall,
           head == &hist ? "kernel" : "generator", unstamped,
           (double)hist_quantile(&hist_read, 0.5) / 1e6,
           (double)hist_quantile(&hist_read, 0.99) / 1e6,
           (double)hist_quantile(&hist_read, 0.999) / 1e6,
           (double)hist_quantile(&hist_read, 1.0) / 1e6);
    if (opt.server_pid)
        printf(", \"server_cpu_pct\": %.1f",
               100.0 * (double)(proc_cpu_ns(opt.server_pid) - srv0) / wall);
    printf("}\n");
    for (int i = 0; i < opt.subscribers; i++) {
        mosquitto_disconnect(subs[i].m);
        mosquitto_destroy(subs[i].m);
    }
    mosquitto_lib_cleanup();
    free(subs);
    return lost || ooo ? 3 : 0;
}
