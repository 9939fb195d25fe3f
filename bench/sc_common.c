/* sc_common.c — helpers shared by the scenarios (see sc_common.h). */
#include "sc_common.h"

#include <stdio.h>

typedef struct sc_runner {
    sc_tick_fn tick;
    void *arg;
    uint64_t deadline;
    int result;
} sc_runner_t;

static void sc__on_tick(uv_timer_t *t)
{
    sc_runner_t *r = t->data;
    if (r->tick && r->tick(r->arg)) {
        r->result = 0;
        uv_stop(t->loop);
    } else if (bench_now_ns() >= r->deadline) {
        r->result = -1;
        uv_stop(t->loop);
    }
}

int sc_run(bench_loop_t *bl, sc_tick_fn tick, void *arg, unsigned tick_ms, double timeout_s)
{
    sc_runner_t r = {tick, arg, bench_now_ns() + (uint64_t)(timeout_s * 1e9), -1};
    uv_timer_t timer;
    uv_timer_init(&bl->loop, &timer);
    timer.data = &r;
    uv_timer_start(&timer, sc__on_tick, tick_ms, tick_ms);
    uv_run(&bl->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&timer);
    uv_close((uv_handle_t *)&timer, NULL);
    uv_run(&bl->loop, UV_RUN_NOWAIT); /* the timer's close callback */
    return r.result;
}

static int sc__all_closed(void *arg)
{
    return ((bench_loop_t *)arg)->open == 0;
}

void sc_close_all(bench_loop_t *bl, bconn_t *conns, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (conns[i].state != BCONN_IDLE && conns[i].state < BCONN_CLOSING)
            bconn_close(&conns[i]);
    if (bl->open && sc_run(bl, sc__all_closed, bl, 5, 30) != 0)
        fprintf(stderr, "okr-bench: %u connections did not close within 30 s\n", bl->open);
}

void sc_cpu_start(sc_cpu_t *c, const bench_env_t *env)
{
    c->t0 = bench_now_ns();
    c->server0 = env->okrd_pid > 0 ? bench_proc_cpu_ns(env->okrd_pid) : 0;
    c->self0 = bench_self_cpu_ns();
}

void sc_cpu_stop(const sc_cpu_t *c, const bench_env_t *env, json_t *obj)
{
    double wall = (double)(bench_now_ns() - c->t0);
    if (wall <= 0)
        return;
    if (env->okrd_pid > 0)
        json_object_set_new(
            obj, "server_cpu_pct",
            json_real(100.0 * (double)(bench_proc_cpu_ns(env->okrd_pid) - c->server0) / wall));
    json_object_set_new(obj, "generator_cpu_pct",
                        json_real(100.0 * (double)(bench_self_cpu_ns() - c->self0) / wall));
}

void bench_json_latency(json_t *obj, const char *prefix, const struct hist *h)
{
    char key[64];
    static const struct {
        const char *name;
        double q;
    } qs[] = {{"p50_ms", 0.5}, {"p99_ms", 0.99}, {"p999_ms", 0.999}, {"max_ms", 1.0}};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        snprintf(key, sizeof key, "%s%s", prefix, qs[i].name);
        json_object_set_new(obj, key, json_real((double)hist_quantile(h, qs[i].q) / 1e6));
    }
    snprintf(key, sizeof key, "%ssamples", prefix);
    json_object_set_new(obj, key, json_integer((json_int_t)h->count));
}
