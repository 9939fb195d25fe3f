/* sc_fanout.c — push fan-out: S subscribers on the bench cycle, one writer
 * checking in at a fixed rate; the time from the writer's send to each
 * subscriber's receipt, deliveries per second and events lost.
 *
 * Two receipt times per delivery. The headline (p50_ms, ...) is when the
 * event's bytes reached the subscriber's socket, as the kernel stamped them
 * (SO_TIMESTAMPNS, see bconn.c): what the server did, whatever order this
 * one generator thread then reads its thousand sockets in. read_* is when
 * the generator had read, decrypted and decoded it (what was measured
 * before): the first plus the generator's own queueing. peer_mqtt measures
 * Mosquitto both ways too, identically.
 *
 * Shape: the subscribers share one loop (this thread); the writer has its
 * own connection, loop and thread, so its sends keep their pace whatever the
 * subscribers are doing (bench/peer_mqtt.c has the same shape). Both run on
 * the generator's core. The writer puts its sequence number and its send
 * time in the check-in's note, on CLOCK_MONOTONIC (for the read time) and on
 * CLOCK_REALTIME (the clock of the kernel's receipt stamps); the note comes back in every pushed
 * event, so a subscriber knows the latency of each event and which one it is.
 *
 * okrd pushes a change only once its commit is durable: the latency includes
 * the commit. The writer's own send -> acknowledgement time (commit_*) is
 * reported beside it, to show that share.
 *
 * Lost: every check-in the server acknowledged must reach every subscriber,
 * once, in order. A subscriber counts what it received; a gap, a duplicate
 * or an event out of order is counted too. Events the server coalesced for
 * a slow reader (Event.coalesced) are counted as lost here: for a dashboard
 * that is by design, for this benchmark it means the generator fell behind.
 */
#include "sc_common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "okr_error.h"

#define FANOUT_DRAIN_S     10.0 /* wait this long after the last send for stragglers */
#define FANOUT_MAX_OPENING 256  /* handshakes in flight while subscribers connect */

typedef struct sub {
    bconn_t c;
    struct fanout *f;
    int subscribed;
    int64_t last_k;
    uint64_t last_seq;
    uint64_t received, out_of_order, coalesced;
} sub_t;

typedef struct fanout {
    bench_env_t *env;
    bench_loop_t bl;
    sub_t *subs;
    size_t n;
    unsigned run;
    size_t subscribed, failed;
    hist_t h;      /* send -> the kernel's receipt at the subscriber's socket */
    hist_t h_read; /* send -> read and decoded by this thread */
    uint64_t received, bytes, unstamped;
    uint64_t first_recv, last_recv;
    char first_error[256];
    /* the writer thread; read by this thread through atomics */
    bench_loop_t wbl;
    bconn_t wc;
    double rate;
    uint64_t w_start, w_end;
    uint64_t w_sent;
    uint64_t *w_sent_at; /* send time of each check-in, by its number */
    size_t w_cap;
    uint64_t w_first_id; /* the request id of check-in 0 */
    hist_t w_h;          /* the writer's send -> acknowledgement (the commit) */
    _Atomic uint64_t acked, w_errors;
    _Atomic int w_done;
    atomic_uint_fast64_t w_first_send, w_last_send;
    char w_error[256];
} fanout_t;

/* ---- subscribers (this thread) ---- */

static void sub__on_ready(bconn_t *c)
{
    sub_t *s = c->data;
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = OKR__SCOPE_KIND__SCOPE_KIND_CYCLE;
    scope.id = s->f->env->cycle_id;
    Okr__SubscribeRequest sr = OKR__SUBSCRIBE_REQUEST__INIT;
    sr.scope = &scope;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_SUBSCRIBE;
    req.subscribe = &sr;
    if (bconn_send(c, &req, NULL) != 0)
        s->f->failed++;
}

static void sub__on_response(bconn_t *c, const Okr__Response *r, uint64_t now)
{
    (void)now;
    sub_t *s = c->data;
    if (r->status == OKR__STATUS__STATUS_OK && r->result_case == OKR__RESPONSE__RESULT_SUBSCRIBE) {
        s->subscribed = 1;
        s->f->subscribed++;
    } else {
        if (!s->f->failed)
            snprintf(s->f->first_error, sizeof s->f->first_error, "subscribe refused: %s",
                     r->message ? r->message : "");
        s->f->failed++;
    }
}

static void sub__on_event(bconn_t *c, const Okr__Event *ev, uint64_t now)
{
    sub_t *s = c->data;
    fanout_t *f = s->f;
    const Okr__Change *ch = ev->change;
    if (!ch || ch->entity_case != OKR__CHANGE__ENTITY_CHECKIN || !ch->checkin->note)
        return;
    unsigned run;
    unsigned long long k, sent, sent_real;
    if (sscanf(ch->checkin->note, "okrb %u %llu %llu %llu", &run, &k, &sent, &sent_real) != 4 ||
        run != f->run)
        return;
    if (ev->seq <= s->last_seq || (int64_t)k <= s->last_k) {
        s->out_of_order++;
        return;
    }
    s->last_seq = ev->seq;
    s->last_k = (int64_t)k;
    s->received++;
    if (ev->coalesced)
        s->coalesced++;
    f->received++;
    f->bytes += okr__event__get_packed_size(ev);
    if (!f->first_recv)
        f->first_recv = now;
    f->last_recv = now;
    hist_add(&f->h_read, now > sent ? now - sent : 0);
    if (c->rx_ns)
        hist_add(&f->h, c->rx_ns > sent_real ? c->rx_ns - sent_real : 0);
    else
        f->unstamped++;
}

static void sub__on_closed(bconn_t *c, int err)
{
    sub_t *s = c->data;
    if (err) {
        if (!s->f->failed)
            snprintf(s->f->first_error, sizeof s->f->first_error, "subscriber: %s", c->why);
        s->f->failed++;
    }
}

static const bconn_cb_t sub_cb = {
    .on_ready = sub__on_ready,
    .on_response = sub__on_response,
    .on_event = sub__on_event,
    .on_closed = sub__on_closed,
    .rx_stamp = 1,
};

/* ---- the writer (its own thread and loop) ---- */

static void writer__on_ready(bconn_t *c)
{
    (void)c;
}

static void writer__on_response(bconn_t *c, const Okr__Response *r, uint64_t now)
{
    fanout_t *f = c->data;
    if (r->status == OKR__STATUS__STATUS_OK) {
        uint64_t k = r->id - f->w_first_id;
        if (r->id >= f->w_first_id && k < f->w_cap && f->w_sent_at[k])
            hist_add(&f->w_h, now - f->w_sent_at[k]);
        atomic_fetch_add(&f->acked, 1);
    } else {
        if (!atomic_load(&f->w_errors))
            snprintf(f->w_error, sizeof f->w_error, "check-in refused: %s",
                     r->message ? r->message : "");
        atomic_fetch_add(&f->w_errors, 1);
    }
}

static void writer__on_closed(bconn_t *c, int err)
{
    fanout_t *f = c->data;
    if (err) {
        snprintf(f->w_error, sizeof f->w_error, "writer connection: %s", c->why);
        atomic_fetch_add(&f->w_errors, 1);
    }
}

static const bconn_cb_t writer_cb = {
    .on_ready = writer__on_ready,
    .on_response = writer__on_response,
    .on_closed = writer__on_closed,
};

static int writer__ready(void *arg)
{
    fanout_t *f = arg;
    return f->wc.state != BCONN_CONNECTING && f->wc.state != BCONN_HELLO;
}

/* Sends what the pace says is due by now. */
static int writer__tick(void *arg)
{
    fanout_t *f = arg;
    uint64_t now = bench_now_ns();
    if (f->wc.state != BCONN_READY)
        return 1;
    if (now < f->w_end) {
        uint64_t due = (uint64_t)((double)(now - f->w_start) / 1e9 * f->rate) + 1;
        while (f->w_sent < due) {
            char note[128];
            uint64_t t = bench_now_ns(), t_real = bench_real_ns();
            snprintf(note, sizeof note, "okrb %u %llu %llu %llu", f->run,
                     (unsigned long long)f->w_sent, (unsigned long long)t,
                     (unsigned long long)t_real);
            Okr__Request req;
            Okr__CheckInRequest ci;
            bench_checkin_req(&req, &ci, f->env->fanout_kr, (double)(f->w_sent % 101), note);
            uint64_t id;
            if (bconn_send(&f->wc, &req, &id) != 0)
                return 1;
            if (!f->w_sent)
                f->w_first_id = id;
            if (f->w_sent < f->w_cap)
                f->w_sent_at[f->w_sent] = t;
            if (!f->w_sent)
                atomic_store(&f->w_first_send, t);
            atomic_store(&f->w_last_send, t);
            f->w_sent++;
        }
        return 0;
    }
    /* Done sending: wait for the acknowledgements. */
    return atomic_load(&f->acked) + atomic_load(&f->w_errors) >= f->w_sent;
}

static void *writer__main(void *arg)
{
    fanout_t *f = arg;
    if (bconn_open(&f->wc, &f->wbl, &writer_cb, f) == 0) {
        sc_run(&f->wbl, writer__ready, f, 1, 60);
        f->w_start = bench_now_ns();
        f->w_end = f->w_start + (uint64_t)((f->env->o->warmup + f->env->o->duration) * 1e9);
        if (f->wc.state == BCONN_READY)
            sc_run(&f->wbl, writer__tick, f, 1, f->env->o->warmup + f->env->o->duration + 60);
        sc_close_all(&f->wbl, &f->wc, 1);
    } else {
        atomic_fetch_add(&f->w_errors, 1);
    }
    atomic_store(&f->w_done, 1);
    return NULL;
}

/* ---- the run ---- */

static int fanout__subscribed(void *arg)
{
    fanout_t *f = arg;
    return f->subscribed + f->failed >= f->n;
}

/* Every subscriber has everything the writer got acknowledged. */
static int fanout__complete(void *arg)
{
    fanout_t *f = arg;
    if (!atomic_load(&f->w_done))
        return 0;
    uint64_t acked = atomic_load(&f->acked);
    for (size_t i = 0; i < f->n; i++)
        if (f->subs[i].c.state == BCONN_READY && f->subs[i].received < acked)
            return 0;
    return 1;
}

static void fanout__figures(fanout_t *f, json_t *obj)
{
    uint64_t acked = atomic_load(&f->acked);
    uint64_t lost = 0, out_of_order = 0, coalesced = 0;
    for (size_t i = 0; i < f->n; i++) {
        const sub_t *s = &f->subs[i];
        if (s->received < acked)
            lost += acked - s->received;
        out_of_order += s->out_of_order;
        coalesced += s->coalesced;
        lost += s->coalesced;
    }
    json_object_set_new(obj, "events_sent", json_integer((json_int_t)acked));
    json_object_set_new(obj, "deliveries", json_integer((json_int_t)f->received));
    json_object_set_new(obj, "lost", json_integer((json_int_t)lost));
    json_object_set_new(obj, "out_of_order", json_integer((json_int_t)out_of_order));
    json_object_set_new(obj, "coalesced", json_integer((json_int_t)coalesced));
    uint64_t t0 = atomic_load(&f->w_first_send);
    double span = f->last_recv > t0 ? sc_s(f->last_recv - t0) : 0;
    json_object_set_new(obj, "deliveries_per_s",
                        json_real(span > 0 ? (double)f->received / span : 0));
    json_object_set_new(obj, "event_bytes",
                        json_real(f->received ? (double)f->bytes / (double)f->received : 0));
    /* Should the kernel give no receipt times, the headline is the read time
     * (receipt_clock says which). */
    int kernel = f->h.count > 0;
    json_object_set_new(obj, "receipt_clock", json_string(kernel ? "kernel" : "generator"));
    json_object_set_new(obj, "unstamped", json_integer((json_int_t)f->unstamped));
    bench_json_latency(obj, "", kernel ? &f->h : &f->h_read);
    bench_json_latency(obj, "read_", &f->h_read);
    bench_json_latency(obj, "commit_", &f->w_h);
    if (lost || out_of_order)
        bench_error(f->env, "fanout: %llu events lost, %llu out of order (%llu coalesced)",
                    (unsigned long long)lost, (unsigned long long)out_of_order,
                    (unsigned long long)coalesced);
}

static void fanout__run(fanout_t *f, json_t *obj)
{
    bench_env_t *env = f->env;
    const bench_opts_t *o = env->o;
    /* At most FANOUT_MAX_OPENING handshakes in flight while they connect. */
    size_t next = 0;
    for (size_t i = 0; i < f->n; i++) {
        f->subs[i].f = f;
        f->subs[i].last_k = -1;
    }
    uint64_t t_open = bench_now_ns();
    while (next < f->n || f->bl.opening) {
        while (next < f->n && f->bl.opening < FANOUT_MAX_OPENING) {
            sub_t *s = &f->subs[next++];
            if (bconn_open(&s->c, &f->bl, &sub_cb, s) != 0)
                f->failed++;
        }
        uv_run(&f->bl.loop, UV_RUN_ONCE);
    }
    sc_run(&f->bl, fanout__subscribed, f, 5, 60);
    json_object_set_new(obj, "subscribe_s", json_real(sc_s(bench_now_ns() - t_open)));
    if (f->subscribed != f->n) {
        bench_error(env, "fanout: only %zu of %zu subscribers came up (%s)", f->subscribed, f->n,
                    f->first_error);
        return;
    }
    bench_progress(env, "fanout: %zu subscribed in %.1f s; writer at %.0f/s for %.0f s...", f->n,
                   sc_s(bench_now_ns() - t_open), f->rate, o->warmup + o->duration);
    Okr__Stats *before = bench_stats(env);
    sc_cpu_t cpu;
    sc_cpu_start(&cpu, env);
    pthread_t th;
    if (pthread_create(&th, NULL, writer__main, f) != 0) {
        bench_error(env, "cannot start the writer thread");
        return;
    }
    double budget = o->warmup + o->duration + 60 + FANOUT_DRAIN_S;
    int rc = sc_run(&f->bl, fanout__complete, f, 5, budget);
    if (rc != 0) /* the writer finished long ago or is stuck: give stragglers a moment */
        sc_run(&f->bl, fanout__complete, f, 5, FANOUT_DRAIN_S);
    pthread_join(th, NULL);
    sc_cpu_stop(&cpu, env, obj);
    Okr__Stats *after = bench_stats(env);
    if (before && after) {
        json_object_set_new(obj, "server_events_sent",
                            json_integer((json_int_t)(after->events_sent - before->events_sent)));
        json_object_set_new(
            obj, "server_coalesced",
            json_integer((json_int_t)(after->events_coalesced - before->events_coalesced)));
        json_object_set_new(
            obj, "server_slow_disconnects",
            json_integer((json_int_t)(after->slow_disconnects - before->slow_disconnects)));
        json_object_set_new(obj, "server_fanout_max_us",
                            json_integer((json_int_t)after->fanout_max_us));
        /* okrd's own commit and fan-out times: the writer's send ->
         * acknowledgement (commit_*) also has the generator's queueing in it. */
        sc_stats_split(obj, "server_", before, after, NULL);
    }
    if (before)
        okr__stats__free_unpacked(before, NULL);
    if (after)
        okr__stats__free_unpacked(after, NULL);
    if (atomic_load(&f->w_errors))
        bench_error(env, "fanout writer: %llu errors (%s)",
                    (unsigned long long)atomic_load(&f->w_errors), f->w_error);
    fanout__figures(f, obj);
}

json_t *bench_sc_fanout(bench_env_t *env, unsigned subscribers)
{
    static unsigned runs;
    json_t *obj = json_object();
    json_object_set_new(obj, "scenario", json_string("fanout"));
    json_object_set_new(obj, "subscribers", json_integer(subscribers));
    /* subscribers x rate deliveries per second: beyond max_deliveries the
     * run would measure a saturated machine, so the rate is lowered. */
    double rate = env->o->rate;
    if (env->o->max_deliveries > 0 && subscribers > 0 &&
        rate * subscribers > env->o->max_deliveries)
        rate = env->o->max_deliveries / subscribers;
    if (rate < BENCH_RATE_MIN) /* as --rate itself: fewer would measure next to nothing */
        rate = BENCH_RATE_MIN;
    json_object_set_new(obj, "rate", json_real(rate));
    json_object_set_new(obj, "rate_asked", json_real(env->o->rate));
    int errors0 = env->errors;
    fanout_t *f = calloc(1, sizeof *f);
    if (f)
        f->subs = calloc(subscribers ? subscribers : 1, sizeof *f->subs);
    if (!f || !f->subs) {
        bench_error(env, "out of memory");
        free(f);
        json_object_set_new(obj, "errors", json_integer(1));
        return obj;
    }
    f->env = env;
    f->n = subscribers;
    f->rate = rate;
    f->run = ++runs + (unsigned)getpid() * 100u;
    hist_init(&f->h);
    hist_init(&f->h_read);
    hist_init(&f->w_h);
    f->w_cap = (size_t)(f->rate * (env->o->warmup + env->o->duration)) + 64;
    f->w_sent_at = calloc(f->w_cap, sizeof *f->w_sent_at);
    if (!f->w_sent_at)
        f->w_cap = 0;
    bench_loop_init(&f->bl, env->ctx, &env->addr, env->host, env->fingerprint, env->token);
    bench_loop_init(&f->wbl, env->ctx, &env->addr, env->host, env->fingerprint, env->token);
    if (rate < env->o->rate)
        bench_progress(env, "fanout: %u subscribers at %.3g/s, not %.3g/s (--max-deliveries %.0f)",
                       subscribers, rate, env->o->rate, env->o->max_deliveries);
    bench_progress(env, "fanout: %u subscribers connecting...", subscribers);
    fanout__run(f, obj);
    for (size_t i = 0; i < f->n; i++)
        if (f->subs[i].c.state != BCONN_IDLE && f->subs[i].c.state < BCONN_CLOSING)
            bconn_close(&f->subs[i].c);
    sc_close_all(&f->bl, NULL, 0);
    bench_loop_close(&f->bl);
    bench_loop_close(&f->wbl);
    if (json_object_get(obj, "p99_ms"))
        bench_progress(env,
                       "fanout: %u subscribers: p99 %.2f ms at the socket, %.2f ms read; %.0f "
                       "deliveries/s, %lld lost",
                       subscribers, json_real_value(json_object_get(obj, "p99_ms")),
                       json_real_value(json_object_get(obj, "read_p99_ms")),
                       json_real_value(json_object_get(obj, "deliveries_per_s")),
                       (long long)json_integer_value(json_object_get(obj, "lost")));
    free(f->subs);
    free(f->w_sent_at);
    free(f);
    json_object_set_new(obj, "errors", json_integer(env->errors - errors0));
    return obj;
}
