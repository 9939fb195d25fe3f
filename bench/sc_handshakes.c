/* sc_handshakes.c — new connections per second: TCP connect, TLS 1.3
 * handshake (okrd's ECDSA P-256 certificate, X25519), the certificate
 * checked against the pin, Hello and AuthToken (pipelined), answered. Each
 * connection is then dropped with a reset (SO_LINGER 0) so that no
 * TIME_WAIT piles up on the generator's ports, and a new one takes its
 * place: C connections are in progress at any time (--handshake-concurrency).
 * Full handshakes every time: the generator keeps no TLS sessions. */
#include "sc_common.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct hs {
    bench_env_t *env;
    bench_loop_t bl;
    bconn_t *conns;
    size_t n;
    uint64_t t_measure, t_end;
    uint64_t done, measured, failed;
    hist_t h, h_tcp, h_tls;
    char first_error[256];
} hs_t;

static const bconn_cb_t hs_cb;

static void hs__open(hs_t *x, bconn_t *c)
{
    if (bconn_open(c, &x->bl, &hs_cb, x) != 0) {
        x->failed++;
        return;
    }
    c->reset_on_close = 1;
}

static void hs__on_ready(bconn_t *c)
{
    hs_t *x = c->data;
    uint64_t now = bench_now_ns();
    x->done++;
    if (now >= x->t_measure && now <= x->t_end) {
        x->measured++;
        hist_add(&x->h, now - c->t_open);
        hist_add(&x->h_tcp, c->t_connected - c->t_open);
        hist_add(&x->h_tls, c->t_handshake - c->t_connected);
    }
    bconn_close(c);
}

static void hs__on_closed(bconn_t *c, int err)
{
    hs_t *x = c->data;
    if (err) {
        if (!x->failed)
            snprintf(x->first_error, sizeof x->first_error, "%s", c->why);
        x->failed++;
    }
    /* libuv is done with the handle once its close callback runs: the slot
     * can take the next connection at once. */
    if (bench_now_ns() < x->t_end && x->failed < 100)
        hs__open(x, c);
}

static const bconn_cb_t hs_cb = {
    .on_ready = hs__on_ready,
    .on_closed = hs__on_closed,
};

static int hs__done(void *arg)
{
    hs_t *x = arg;
    return bench_now_ns() >= x->t_end && x->bl.open == 0;
}

json_t *bench_sc_handshakes(bench_env_t *env)
{
    const bench_opts_t *o = env->o;
    json_t *obj = json_object();
    json_object_set_new(obj, "scenario", json_string("handshakes"));
    json_object_set_new(obj, "concurrency", json_integer(o->hs_conc));
    int errors0 = env->errors;
    hs_t *x = calloc(1, sizeof *x);
    if (x)
        x->conns = calloc(o->hs_conc ? o->hs_conc : 1, sizeof *x->conns);
    if (!x || !x->conns) {
        bench_error(env, "out of memory");
        free(x);
        json_object_set_new(obj, "errors", json_integer(1));
        return obj;
    }
    x->env = env;
    x->n = o->hs_conc;
    hist_init(&x->h);
    hist_init(&x->h_tcp);
    hist_init(&x->h_tls);
    bench_loop_init(&x->bl, env->ctx, &env->addr, env->host, env->fingerprint, env->token);
    bench_progress(env, "handshakes: %zu at a time, %.0f s...", x->n, o->warmup + o->duration);
    uint64_t t0 = bench_now_ns();
    x->t_measure = t0 + (uint64_t)(o->warmup * 1e9);
    x->t_end = x->t_measure + (uint64_t)(o->duration * 1e9);
    sc_cpu_t cpu;
    sc_cpu_start(&cpu, env);
    for (size_t i = 0; i < x->n; i++)
        hs__open(x, &x->conns[i]);
    if (sc_run(&x->bl, hs__done, x, 5, o->warmup + o->duration + 60) != 0)
        bench_error(env, "handshakes: connections still open 60 s after the end");
    sc_cpu_stop(&cpu, env, obj);
    sc_close_all(&x->bl, x->conns, x->n);
    bench_loop_close(&x->bl);
    json_object_set_new(obj, "handshakes_per_s", json_real((double)x->measured / o->duration));
    json_object_set_new(obj, "handshakes", json_integer((json_int_t)x->done));
    bench_json_latency(obj, "", &x->h);
    bench_json_latency(obj, "tcp_", &x->h_tcp);
    bench_json_latency(obj, "tls_", &x->h_tls);
    /* What one server core could take, from the server's CPU per handshake. */
    json_t *cpu_pct = json_object_get(obj, "server_cpu_pct");
    double wall = o->warmup + o->duration;
    if (cpu_pct && json_real_value(cpu_pct) > 0 && x->done)
        json_object_set_new(obj, "per_server_core_s",
                            json_real((double)x->done / (wall * json_real_value(cpu_pct) / 100.0)));
    if (x->failed)
        bench_error(env, "handshakes: %llu failed (%s)", (unsigned long long)x->failed,
                    x->first_error);
    bench_progress(env, "handshakes: %.0f/s, p99 %.2f ms", (double)x->measured / o->duration,
                   (double)hist_quantile(&x->h, 0.99) / 1e6);
    free(x->conns);
    free(x);
    json_object_set_new(obj, "errors", json_integer(env->errors - errors0));
    return obj;
}
