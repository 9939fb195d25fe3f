/* sc_common.c — helpers shared by the scenarios (see sc_common.h). */
#include "sc_common.h"

#include <stdio.h>

#include "lhist.h"

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

/* out = a histogram's reading in b minus its reading in a (Stats carries
 * the raw buckets and the sum). */
static void split__delta(okr_lhist_t *out, const uint64_t *ca, size_t na, uint64_t sa,
                         const uint64_t *cb, size_t nb, uint64_t sb)
{
    okr_lhist_t earlier;
    okr_lhist_from_counts(&earlier, ca, na, sa);
    okr_lhist_from_counts(out, cb, nb, sb);
    okr_lhist_sub(out, out, &earlier);
}

/* Adds prefix + name = v to obj. */
static void split__set(json_t *obj, const char *prefix, const char *name, double v)
{
    char key[64];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    json_object_set_new(obj, key, json_real(v));
}

void sc_stats_split(json_t *obj, const char *prefix, const Okr__Stats *a, const Okr__Stats *b,
                    const hist_t *ack)
{
    okr_lhist_t apply, commit, queue, back, fanout;
    split__delta(&apply, a->apply_hist, a->n_apply_hist, a->apply_sum_us, b->apply_hist,
                 b->n_apply_hist, b->apply_sum_us);
    split__delta(&commit, a->commit_hist, a->n_commit_hist, a->commit_sum_us, b->commit_hist,
                 b->n_commit_hist, b->commit_sum_us);
    split__delta(&queue, a->queue_hist, a->n_queue_hist, a->queue_sum_us, b->queue_hist,
                 b->n_queue_hist, b->queue_sum_us);
    split__delta(&back, a->handback_hist, a->n_handback_hist, a->handback_sum_us, b->handback_hist,
                 b->n_handback_hist, b->handback_sum_us);
    split__delta(&fanout, a->fanout_hist, a->n_fanout_hist, a->fanout_sum_us, b->fanout_hist,
                 b->n_fanout_hist, b->fanout_sum_us);
    if (!ack && fanout.count > 0) { /* a fan-out run, on an okrd that times it */
        split__set(obj, prefix, "fanout_p50_us", (double)okr_lhist_quantile(&fanout, 0.5));
        split__set(obj, prefix, "fanout_p99_us", (double)okr_lhist_quantile(&fanout, 0.99));
    }
    if (commit.count == 0)
        return; /* an okrd without the timings */
    double apply_mean = okr_lhist_mean(&apply), commit_mean = okr_lhist_mean(&commit);
    split__set(obj, prefix, "apply_p50_us", (double)okr_lhist_quantile(&apply, 0.5));
    split__set(obj, prefix, "apply_p99_us", (double)okr_lhist_quantile(&apply, 0.99));
    split__set(obj, prefix, "apply_mean_us", apply_mean);
    split__set(obj, prefix, "commit_p50_us", (double)okr_lhist_quantile(&commit, 0.5));
    split__set(obj, prefix, "commit_p99_us", (double)okr_lhist_quantile(&commit, 0.99));
    split__set(obj, prefix, "commit_mean_us", commit_mean);
    char key[64];
    snprintf(key, sizeof key, "%stimed_groups", prefix);
    json_object_set_new(obj, key, json_integer((json_int_t)commit.count));
    if (!ack)
        return;
    double ack_mean = hist_mean(ack) / 1e3, ack_p50 = (double)hist_quantile(ack, 0.5) / 1e3;
    split__set(obj, prefix, "ack_mean_us", ack_mean);
    split__set(obj, prefix, "rest_mean_us", ack_mean - apply_mean - commit_mean);
    split__set(obj, prefix, "rest_p50_us",
               ack_p50 - (double)okr_lhist_quantile(&apply, 0.5) -
                   (double)okr_lhist_quantile(&commit, 0.5));
    if (queue.count == 0)
        return; /* an okrd without the hand-off timings */
    /* The rest without the two hand-offs (per write): the network, TLS, the
     * request's handling on the loop, the generator's turnaround. */
    double queue_mean = okr_lhist_mean(&queue), back_mean = okr_lhist_mean(&back);
    split__set(obj, prefix, "queue_mean_us", queue_mean);
    split__set(obj, prefix, "queue_p50_us", (double)okr_lhist_quantile(&queue, 0.5));
    split__set(obj, prefix, "queue_p99_us", (double)okr_lhist_quantile(&queue, 0.99));
    split__set(obj, prefix, "handback_mean_us", back_mean);
    split__set(obj, prefix, "handback_p50_us", (double)okr_lhist_quantile(&back, 0.5));
    split__set(obj, prefix, "handback_p99_us", (double)okr_lhist_quantile(&back, 0.99));
    split__set(obj, prefix, "net_mean_us",
               ack_mean - apply_mean - commit_mean - queue_mean - back_mean);
}
