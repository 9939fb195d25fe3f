/* sc_idle.c — idle connections: N logged-in TLS connections opened in a
 * burst and held, the server's resident memory per connection, and the
 * latency of A active clients (closed-loop check-ins, as in the checkins
 * scenario) before the idle ones come and while they are held.
 *
 * Memory per connection = (Stats.resident_bytes with the N held - before
 * they were opened) / N: everything the server holds for them, OpenSSL's
 * buffers, libuv handles, kernel-side socket buffers excluded (they are not
 * in the process's resident set). okr-bench restarts the okrd it started
 * before this scenario when others ran first (main.c): their freed heap
 * would hold the idle connections' memory and hide it (7.7 KiB a connection
 * measured after the fan-out runs, 16.4 KiB on a fresh okrd).
 *
 * File descriptors: the generator needs one per connection, so the soft
 * RLIMIT_NOFILE is raised to the hard limit at start (main.c); if that is
 * still too low, N is lowered and the run says so. */
#include "sc_common.h"

#include <stdio.h>
#include <stdlib.h>

#define IDLE_MAX_OPENING 512 /* a burst: this many handshakes in flight */
#define IDLE_SETTLE_MS   1000

typedef struct idle {
    bench_env_t *env;
    size_t ready, failed, lost_after_ready;
    char first_error[256];
} idle_t;

static void idle__on_closed(bconn_t *c, int err)
{
    idle_t *x = c->data;
    if (!err)
        return;
    if (!x->failed && !x->lost_after_ready)
        snprintf(x->first_error, sizeof x->first_error, "%s", c->why);
    if (c->tag)
        x->lost_after_ready++;
    else
        x->failed++;
}

static void idle__on_ready(bconn_t *c)
{
    c->tag = 1; /* from here on, a close is a held connection lost */
    ((idle_t *)c->data)->ready++;
}

static const bconn_cb_t idle_cb = {
    .on_ready = idle__on_ready,
    .on_closed = idle__on_closed,
};

static int idle__settled(void *arg)
{
    (void)arg;
    return 0;
}

static json_int_t stat_rss(bench_env_t *env)
{
    Okr__Stats *s = bench_stats(env);
    json_int_t v = s ? (json_int_t)s->resident_bytes : 0;
    if (s)
        okr__stats__free_unpacked(s, NULL);
    return v;
}

/* Opens n idle connections in a burst; returns the seconds it took. */
static double idle__open(bench_loop_t *bl, bconn_t *conns, size_t n, idle_t *x)
{
    uint64_t t0 = bench_now_ns();
    size_t next = 0;
    while (next < n || bl->opening) {
        while (next < n && bl->opening < IDLE_MAX_OPENING)
            if (bconn_open(&conns[next++], bl, &idle_cb, x) != 0)
                x->failed++;
        uv_run(&bl->loop, UV_RUN_ONCE);
    }
    return sc_s(bench_now_ns() - t0);
}

json_t *bench_sc_idle(bench_env_t *env)
{
    const bench_opts_t *o = env->o;
    json_t *obj = json_object();
    json_object_set_new(obj, "scenario", json_string("idle"));
    int errors0 = env->errors;
    size_t n = o->idle;
    if (env->max_fds < n + o->active + 64) {
        size_t capped = env->max_fds > o->active + 64 ? env->max_fds - o->active - 64 : 0;
        bench_progress(env,
                       "idle: the open-files limit (%u) allows %zu connections, not %zu: raise "
                       "the hard limit (ulimit -Hn, /etc/security/limits.conf) for the full run",
                       env->max_fds, capped, n);
        json_object_set_new(obj, "idle_requested", json_integer((json_int_t)n));
        json_object_set_new(obj, "idle_capped_by_rlimit", json_integer((json_int_t)env->max_fds));
        n = capped;
    }
    json_object_set_new(obj, "idle", json_integer((json_int_t)n));
    json_object_set_new(obj, "active", json_integer(o->active));
    bench_loop_t bl;
    bench_loop_init(&bl, env->ctx, &env->addr, env->host, env->fingerprint, env->token);
    idle_t x = {.env = env};
    bconn_t *conns = calloc(n ? n : 1, sizeof *conns);
    sc_writers_t *ws = conns ? sc_writers_new(env, &bl, o->active) : NULL;
    if (!ws) {
        bench_error(env, "out of memory");
        goto out;
    }
    bench_progress(env, "idle: %u active clients, %.0f s without idle connections...", o->active,
                   o->warmup + o->duration);
    if (sc_writers_open(ws, 60) != 0)
        goto out;
    sc_writers_measure(ws, o->warmup, o->duration, "active_alone_", obj);

    json_int_t rss0 = stat_rss(env);
    bench_progress(env, "idle: opening %zu connections in a burst...", n);
    double secs = idle__open(&bl, conns, n, &x);
    json_object_set_new(obj, "open_s", json_real(secs));
    json_object_set_new(obj, "opened", json_integer((json_int_t)x.ready));
    json_object_set_new(obj, "open_per_s", json_real(secs > 0 ? (double)x.ready / secs : 0));
    if (x.ready != n) {
        bench_error(env, "idle: %zu of %zu connections failed (%s)", n - x.ready, n, x.first_error);
        goto out;
    }
    sc_run(&bl, idle__settled, NULL, IDLE_SETTLE_MS, IDLE_SETTLE_MS / 1000.0);
    json_int_t rss1 = stat_rss(env);
    json_object_set_new(obj, "server_rss_before", json_integer(rss0));
    json_object_set_new(obj, "server_rss_held", json_integer(rss1));
    double per = n ? (double)(rss1 - rss0) / (double)n : 0;
    json_object_set_new(obj, "bytes_per_conn", json_real(per));
    bench_progress(env, "idle: %zu held in %.1f s; server memory %.1f KiB per connection", n, secs,
                   per / 1024);

    bench_progress(env, "idle: %u active clients, %.0f s while they are held...", o->active,
                   o->warmup + o->duration);
    sc_cpu_t cpu;
    sc_cpu_start(&cpu, env);
    sc_writers_measure(ws, o->warmup, o->duration, "active_held_", obj);
    sc_cpu_stop(&cpu, env, obj);
    json_int_t rss2 = stat_rss(env);
    json_object_set_new(obj, "server_rss_after_active", json_integer(rss2));
    if (x.lost_after_ready)
        bench_error(env, "idle: %zu held connections were closed (%s)", x.lost_after_ready,
                    x.first_error);
    bench_progress(env, "idle: active p99 %.2f ms alone, %.2f ms with %zu held",
                   json_real_value(json_object_get(obj, "active_alone_p99_ms")),
                   json_real_value(json_object_get(obj, "active_held_p99_ms")), n);
out:
    if (conns) {
        bench_progress(env, "idle: closing...");
        for (size_t i = 0; i < n; i++)
            if (conns[i].state != BCONN_IDLE && conns[i].state < BCONN_CLOSING)
                bconn_close(&conns[i]);
    }
    sc_writers_free(ws); /* waits until every connection of the loop is closed */
    free(conns);
    bench_loop_close(&bl);
    json_object_set_new(obj, "errors", json_integer(env->errors - errors0));
    return obj;
}
