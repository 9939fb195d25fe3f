/* sc_common.h — what the scenarios share: opening many connections with a
 * bound on handshakes in flight, running a loop until a condition, and
 * measuring the server's and our own CPU over a window. */
#ifndef OKR_BENCH_SC_COMMON_H
#define OKR_BENCH_SC_COMMON_H

#include "bconn.h"
#include "bench.h"
#include "hist.h"

/* Runs bl's loop, calling tick every tick_ms, until tick returns non-zero
 * or timeout_s passes (then returns -1). */
typedef int (*sc_tick_fn)(void *arg);
int sc_run(bench_loop_t *bl, sc_tick_fn tick, void *arg, unsigned tick_ms, double timeout_s);

/* Closes conns[0..n) and runs the loop until every bconn of bl is closed. */
void sc_close_all(bench_loop_t *bl, bconn_t *conns, size_t n);

/* CPU use over a window. */
typedef struct sc_cpu {
    uint64_t t0, server0, self0;
} sc_cpu_t;
void sc_cpu_start(sc_cpu_t *c, const bench_env_t *env);
/* Adds server_cpu_pct and generator_cpu_pct (of one core) to obj. */
void sc_cpu_stop(const sc_cpu_t *c, const bench_env_t *env, json_t *obj);

/* Seconds as a double, from ns. */
static inline double sc_s(uint64_t ns)
{
    return (double)ns / 1e9;
}

/* Closed-loop check-in writers: each connection sends one check-in, waits for
 * its acknowledgement (which okrd sends only after the commit is durable),
 * and sends the next. Used by the checkins scenario and by the idle
 * scenario's active clients. */
typedef struct sc_writers sc_writers_t;

/* n writers on bl, writer i on key result env->krs[i % env->nkrs]. */
sc_writers_t *sc_writers_new(bench_env_t *env, bench_loop_t *bl, size_t n);
/* Opens them all (bounded handshakes in flight); 0 once every one is ready. */
int sc_writers_open(sc_writers_t *ws, double timeout_s);
/* Runs for warmup + duration seconds; latencies of acknowledgements received
 * in the measured window go to h. Adds committed_per_s, checkins, errors
 * and the latency figures (with prefix) to obj. */
void sc_writers_measure(sc_writers_t *ws, double warmup, double duration, const char *prefix,
                        json_t *obj);
/* Closes and frees. */
void sc_writers_free(sc_writers_t *ws);

/* okrd's own timings between two Stats readings a and b into obj, each key
 * with prefix: apply and commit per commit group (p50, p99, mean); with ack
 * (the acknowledgement latency the generator measured), what the rest of it
 * was: rest, and okrd's two hand-offs (queue: to the writer; handback: back
 * to the loop) and net, what is left; without ack (a fan-out run), the
 * fan-out of each commit group. */
void sc_stats_split(json_t *obj, const char *prefix, const Okr__Stats *a, const Okr__Stats *b,
                    const hist_t *ack);

/* sc_rtt.c: a bare loopback TCP round trip (no TLS) between okrd's CPU and
 * the generator's, one message the size of a writer's check-in on the wire
 * echoed back, over warmup + duration. Adds rtt_bytes, rtt_p50_ms, rtt_p99_ms,
 * rtt_p999_ms, rtt_max_ms, rtt_samples and rtt_mean_us to obj. Returns the
 * mean in µs, or 0 after a failure (counted, nothing added to obj). */
double sc_rtt_measure(bench_env_t *env, json_t *obj);

#endif
