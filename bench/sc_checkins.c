/* sc_checkins.c — durable check-ins: W writer connections, each sending
 * check-ins as fast as they are acknowledged; committed check-ins per second
 * and acknowledgement latency. Also the baseline the issue compares one
 * writer with: a bare LMDB put+commit loop on the same disk (and, from
 * sc_rtt.c, the loopback round trip that a waiting writer adds to it). */
#include "sc_common.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "okr_error.h"

typedef struct sc_writer {
    bconn_t c;
    sc_writers_t *ws;
    uint64_t kr;
    uint64_t sent_at;
    uint64_t n;
    int busy;
} sc_writer_t;

struct sc_writers {
    bench_env_t *env;
    bench_loop_t *bl;
    sc_writer_t *w;
    size_t n;
    size_t ready;
    int running;
    unsigned busy;
    uint64_t t_measure, t_end;
    hist_t h;
    uint64_t ok_measured, ok, errors, lost_conns;
    char first_error[256];
};

static void writers__send(sc_writer_t *w)
{
    char note[32];
    snprintf(note, sizeof note, "bench %llu", (unsigned long long)w->n);
    Okr__Request req;
    Okr__CheckInRequest ci;
    bench_checkin_req(&req, &ci, w->kr, (double)(w->n % 101), note);
    w->sent_at = bench_now_ns();
    if (bconn_send(&w->c, &req, NULL) != 0) {
        w->ws->errors++;
        return;
    }
    w->n++;
    w->busy = 1;
    w->ws->busy++;
}

static void writers__on_ready(bconn_t *c)
{
    sc_writer_t *w = c->data;
    w->ws->ready++;
}

static void writers__on_response(bconn_t *c, const Okr__Response *r, uint64_t now)
{
    sc_writer_t *w = c->data;
    sc_writers_t *ws = w->ws;
    w->busy = 0;
    ws->busy--;
    if (r->status != OKR__STATUS__STATUS_OK) {
        if (!ws->errors)
            snprintf(ws->first_error, sizeof ws->first_error, "check-in refused: %s",
                     r->message ? r->message : "");
        ws->errors++;
    } else {
        ws->ok++;
        if (now >= ws->t_measure && now <= ws->t_end) {
            hist_add(&ws->h, now - w->sent_at);
            ws->ok_measured++;
        }
    }
    if (ws->running && now < ws->t_end)
        writers__send(w);
}

static void writers__on_closed(bconn_t *c, int err)
{
    sc_writer_t *w = c->data;
    sc_writers_t *ws = w->ws;
    if (err) {
        if (!ws->errors)
            snprintf(ws->first_error, sizeof ws->first_error, "writer connection: %s", c->why);
        ws->errors++;
        ws->lost_conns++;
    }
    if (w->busy) {
        w->busy = 0;
        ws->busy--;
    }
}

static const bconn_cb_t writers_cb = {
    .on_ready = writers__on_ready,
    .on_response = writers__on_response,
    .on_closed = writers__on_closed,
};

sc_writers_t *sc_writers_new(bench_env_t *env, bench_loop_t *bl, size_t n)
{
    sc_writers_t *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->w = calloc(n ? n : 1, sizeof *ws->w);
    if (!ws->w) {
        free(ws);
        return NULL;
    }
    ws->env = env;
    ws->bl = bl;
    ws->n = n;
    hist_init(&ws->h);
    for (size_t i = 0; i < n; i++) {
        ws->w[i].ws = ws;
        ws->w[i].kr = env->krs[i % env->nkrs];
    }
    return ws;
}

static int writers__all_ready(void *arg)
{
    sc_writers_t *ws = arg;
    return ws->ready == ws->n || ws->bl->opening == 0;
}

int sc_writers_open(sc_writers_t *ws, double timeout_s)
{
    /* The writers are few (at most hundreds): open them all at once. */
    for (size_t i = 0; i < ws->n; i++)
        if (bconn_open(&ws->w[i].c, ws->bl, &writers_cb, &ws->w[i]) != 0)
            ws->errors++;
    sc_run(ws->bl, writers__all_ready, ws, 5, timeout_s);
    if (ws->ready != ws->n) {
        bench_error(ws->env, "only %zu of %zu writer connections came up%s%s", ws->ready, ws->n,
                    ws->first_error[0] ? ": " : "", ws->first_error);
        return -1;
    }
    return 0;
}

static int writers__done(void *arg)
{
    sc_writers_t *ws = arg;
    return bench_now_ns() >= ws->t_end && ws->busy == 0;
}

void sc_writers_measure(sc_writers_t *ws, double warmup, double duration, const char *prefix,
                        json_t *obj)
{
    hist_init(&ws->h);
    ws->ok_measured = 0;
    uint64_t errors0 = ws->errors;
    uint64_t t0 = bench_now_ns();
    ws->t_measure = t0 + (uint64_t)(warmup * 1e9);
    ws->t_end = ws->t_measure + (uint64_t)(duration * 1e9);
    ws->running = 1;
    for (size_t i = 0; i < ws->n; i++)
        if (ws->w[i].c.state == BCONN_READY)
            writers__send(&ws->w[i]);
    if (sc_run(ws->bl, writers__done, ws, 5, warmup + duration + 60) != 0)
        bench_error(ws->env, "%u check-ins were not acknowledged within 60 s", ws->busy);
    ws->running = 0;
    char key[64];
    snprintf(key, sizeof key, "%scommitted_per_s", prefix);
    json_object_set_new(obj, key, json_real((double)ws->ok_measured / duration));
    snprintf(key, sizeof key, "%scheckins", prefix);
    json_object_set_new(obj, key, json_integer((json_int_t)ws->ok_measured));
    bench_json_latency(obj, prefix, &ws->h);
    if (ws->errors > errors0) {
        bench_error(ws->env, "%llu check-ins failed (%s)",
                    (unsigned long long)(ws->errors - errors0), ws->first_error);
        snprintf(key, sizeof key, "%serrors", prefix);
        json_object_set_new(obj, key, json_integer((json_int_t)(ws->errors - errors0)));
    }
}

void sc_writers_free(sc_writers_t *ws)
{
    if (!ws)
        return;
    for (size_t i = 0; i < ws->n; i++)
        if (ws->w[i].c.state != BCONN_IDLE && ws->w[i].c.state < BCONN_CLOSING)
            bconn_close(&ws->w[i].c);
    sc_close_all(ws->bl, NULL, 0);
    free(ws->w);
    free(ws);
}

static void stats_delta(json_t *obj, const Okr__Stats *a, const Okr__Stats *b, const hist_t *ack)
{
    if (!a || !b)
        return;
    uint64_t commits = b->commits - a->commits, writes = b->writes - a->writes;
    json_object_set_new(obj, "server_commits", json_integer((json_int_t)commits));
    json_object_set_new(obj, "server_writes", json_integer((json_int_t)writes));
    json_object_set_new(obj, "server_fsyncs", json_integer((json_int_t)(b->fsyncs - a->fsyncs)));
    json_object_set_new(obj, "writes_per_commit",
                        json_real(commits ? (double)writes / (double)commits : 0.0));
    sc_stats_split(obj, "", a, b, ack);
}

json_t *bench_sc_checkins(bench_env_t *env, unsigned writers)
{
    const bench_opts_t *o = env->o;
    json_t *obj = json_object();
    json_object_set_new(obj, "scenario", json_string("checkins"));
    json_object_set_new(obj, "writers", json_integer(writers));
    int errors0 = env->errors;
    bench_loop_t bl;
    bench_loop_init(&bl, env->ctx, &env->addr, env->host, env->fingerprint, env->token);
    sc_writers_t *ws = sc_writers_new(env, &bl, writers);
    bench_progress(env, "checkins: %u writer%s, %.0f s...", writers, writers == 1 ? "" : "s",
                   o->warmup + o->duration);
    if (ws && sc_writers_open(ws, 60) == 0) {
        /* The warm-up on its own, so that okrd's timings (Stats before and
         * after) cover the same check-ins as the acknowledgement latency. */
        json_t *warm = json_object();
        if (o->warmup > 0 && warm)
            sc_writers_measure(ws, 0, o->warmup, "", warm);
        json_decref(warm);
        Okr__Stats *before = bench_stats(env);
        sc_cpu_t cpu;
        sc_cpu_start(&cpu, env);
        sc_writers_measure(ws, 0, o->duration, "", obj);
        sc_cpu_stop(&cpu, env, obj);
        Okr__Stats *after = bench_stats(env);
        stats_delta(obj, before, after, &ws->h);
        if (before)
            okr__stats__free_unpacked(before, NULL);
        if (after)
            okr__stats__free_unpacked(after, NULL);
        bench_progress(env, "checkins: %u writers: %.0f committed/s, p99 %.2f ms", writers,
                       json_real_value(json_object_get(obj, "committed_per_s")),
                       json_real_value(json_object_get(obj, "p99_ms")));
    } else if (!ws) {
        bench_error(env, "out of memory");
    }
    sc_writers_free(ws);
    bench_loop_close(&bl);
    json_object_set_new(obj, "errors", json_integer(env->errors - errors0));
    return obj;
}

/* ---- the bare LMDB baseline ---- */

#define LMDB_MAX_DBS  8
#define LMDB_MAX_PUTS 12

/* One put of a baseline transaction: in database db, either a new key at the
 * end (fixed == 0: the n-th key, after a one-byte prefix, like an id or seq
 * given out in order) or the same key again (fixed != 0: an existing record
 * overwritten), with a value of vlen bytes. */
typedef struct lmdb_put {
    unsigned db;
    unsigned fixed;
    unsigned klen, vlen;
} lmdb_put_t;

typedef struct lmdb_shape {
    const char *name;
    unsigned ndbs, nputs;
    lmdb_put_t puts[LMDB_MAX_PUTS];
    /* Records put in a database before the loop, so that its tree is as deep
     * as okrd's (the fixture's 101 key results, 21 objectives). */
    unsigned prefill[LMDB_MAX_DBS];
} lmdb_shape_t;

/* The "bare put+commit": one 256-byte record. */
static const lmdb_shape_t shape_one = {"1", 1, 1, {{0, 0, 8, 256}}};

/* A put in each of 6 databases (kept from the first version of this table). */
static const lmdb_shape_t shape_db6 = {"6",
                                       6,
                                       6,
                                       {{0, 0, 8, 256},
                                        {1, 0, 8, 256},
                                        {2, 0, 8, 256},
                                        {3, 0, 8, 256},
                                        {4, 0, 8, 256},
                                        {5, 0, 8, 256}}};

/* What one check-in writes in okrd (server/handle_checkin.c and what it
 * calls), on a key result with no linked or parent objectives: 9 puts in 7
 * databases. Value sizes are those of the bench's check-ins, rounded.
 *   meta                 the "checkin" id counter and the "seq" counter (2 overwrites)
 *   key_results          the key result, new value and progress (overwrite)
 *   objectives           its objective, new progress (overwrite, roll-up)
 *   checkins             the check-in (new, at the end)
 *   idx_kr_checkins      (key result, check-in) (new)
 *   changes              the change log entry (new, at the end)
 *   idx_entity_changes   (check-in, seq) and (key result, seq) (2 new)
 * key_results and objectives are filled first as the bench's fixture fills
 * them (101 and 21 records), so their trees have okrd's depth. */
static const lmdb_shape_t shape_checkin = {"checkin",
                                           7,
                                           9,
                                           {{0, 1, 7, 8},
                                            {0, 2, 3, 8},
                                            {1, 1, 8, 112},
                                            {2, 1, 8, 128},
                                            {3, 0, 8, 64},
                                            {4, 0, 16, 0},
                                            {5, 0, 8, 224},
                                            {6, 0, 24, 0},
                                            {6, 0, 24, 0}},
                                           {0, 101, 21}};

/* The key of put p in transaction n: a prefix byte (the put's place in the
 * shape, so two appends to one database are two runs of keys, as in
 * idx_entity_changes), then n big-endian; a fixed key is the same every time. */
static size_t lmdb__key(uint8_t *key, const lmdb_put_t *p, unsigned place, uint64_t n)
{
    memset(key, 0, p->klen);
    key[0] = (uint8_t)(place + 1);
    uint64_t v = p->fixed ? p->fixed : n;
    for (unsigned i = 0; i < 8 && i + 1 < p->klen; i++)
        key[p->klen - 1 - i] = (uint8_t)(v >> (8 * i));
    return p->klen;
}

/* Fills each database of shape that has a prefill count with that many
 * records for each of its fixed puts: that put's keys 1 .. prefill, so the
 * loop's own record is one of them. */
static int lmdb__prefill(MDB_txn *txn, const lmdb_shape_t *shape, const MDB_dbi *dbi)
{
    uint8_t value[256];
    memset(value, 0x5a, sizeof value);
    int rc = 0;
    for (unsigned i = 0; i < shape->nputs && !rc; i++) {
        const lmdb_put_t *p = &shape->puts[i];
        if (!p->fixed || !shape->prefill[p->db])
            continue;
        lmdb_put_t q = *p;
        for (unsigned n = 1; n <= shape->prefill[p->db] && !rc; n++) {
            uint8_t key[32];
            q.fixed = n;
            MDB_val k = {lmdb__key(key, &q, i, 0), key}, v = {q.vlen, value};
            rc = mdb_put(txn, dbi[q.db], &k, &v, 0);
        }
    }
    return rc;
}

/* A put+commit loop, each transaction making the puts of shape. Durable
 * commits, as okrd makes them. Returns commits per second, and fills the
 * latency. */
static double lmdb__loop(bench_env_t *env, const lmdb_shape_t *shape, hist_t *h)
{
    const bench_opts_t *o = env->o;
    char dir[320];
    snprintf(dir, sizeof dir, "%s/lmdb-baseline-%s", env->dir, shape->name);
    mkdir(dir, 0700);
    MDB_env *e = NULL;
    MDB_dbi dbi[LMDB_MAX_DBS];
    MDB_txn *txn;
    int rc = mdb_env_create(&e);
    if (!rc)
        rc = mdb_env_set_mapsize(e, (size_t)1 << 30);
    if (!rc)
        rc = mdb_env_set_maxdbs(e, LMDB_MAX_DBS);
    if (!rc)
        rc = mdb_env_open(e, dir, MDB_NOTLS, 0600); /* durable, as okrd opens it */
    if (!rc && !(rc = mdb_txn_begin(e, NULL, 0, &txn))) {
        for (unsigned i = 0; i < shape->ndbs && !rc; i++) {
            char name[16];
            snprintf(name, sizeof name, "db%u", i);
            rc = mdb_dbi_open(txn, name, MDB_CREATE, &dbi[i]);
        }
        if (!rc)
            rc = lmdb__prefill(txn, shape, dbi);
        rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
        txn = NULL;
    }
    uint8_t value[256];
    memset(value, 0x5a, sizeof value);
    uint64_t t0 = bench_now_ns();
    uint64_t t_measure = t0 + (uint64_t)(o->warmup * 1e9);
    uint64_t t_end = t_measure + (uint64_t)(o->duration * 1e9);
    uint64_t measured = 0;
    for (uint64_t n = 0, now = t0; !rc && now < t_end; n++) {
        rc = mdb_txn_begin(e, NULL, 0, &txn);
        for (unsigned i = 0; i < shape->nputs && !rc; i++) {
            const lmdb_put_t *p = &shape->puts[i];
            uint8_t key[32];
            MDB_val k = {lmdb__key(key, p, i, n), key}, v = {p->vlen, value};
            value[0] = (uint8_t)n; /* an overwrite changes the record */
            rc = mdb_put(txn, dbi[p->db], &k, &v, 0);
        }
        if (rc && txn)
            mdb_txn_abort(txn);
        else if (!rc)
            rc = mdb_txn_commit(txn);
        txn = NULL;
        uint64_t done = bench_now_ns();
        if (done >= t_measure && done <= t_end) {
            measured++;
            hist_add(h, done - now);
        }
        now = done;
    }
    if (rc)
        bench_error(env, "lmdb baseline: %s", mdb_strerror(rc));
    if (e)
        mdb_env_close(e);
    return (double)measured / o->duration;
}

/* One loop's figures under prefix: commits/s, latency, mean µs per commit
 * (also into *mean_us). Returns commits/s. */
static double lmdb__run(bench_env_t *env, const lmdb_shape_t *shape, const char *prefix,
                        json_t *obj, double *mean_us)
{
    hist_t h;
    hist_init(&h);
    double rate = lmdb__loop(env, shape, &h);
    *mean_us = hist_mean(&h) / 1e3;
    char key[64];
    snprintf(key, sizeof key, "%scommits_per_s", prefix);
    json_object_set_new(obj, key, json_real(rate));
    bench_json_latency(obj, prefix, &h);
    snprintf(key, sizeof key, "%smean_us", prefix);
    json_object_set_new(obj, key, json_real(*mean_us));
    return rate;
}

/* The loops, then the bare loopback round trip beside them (sc_rtt.c) and the
 * ceiling the two imply for one writer that waits for each acknowledgement:
 * even a server costing nothing but a 1-put commit could not acknowledge
 * faster than one commit plus one round trip. */
json_t *bench_sc_lmdb(bench_env_t *env)
{
    const bench_opts_t *o = env->o;
    json_t *obj = json_object();
    json_object_set_new(obj, "scenario", json_string("lmdb_baseline"));
    int errors0 = env->errors;
    bench_progress(env, "lmdb baseline: put+commit loops and a loopback round trip, 4 x %.0f s...",
                   o->warmup + o->duration);
    double commit_us, other_us;
    double one = lmdb__run(env, &shape_one, "", obj, &commit_us);
    double six = lmdb__run(env, &shape_db6, "db6_", obj, &other_us);
    double ci = lmdb__run(env, &shape_checkin, "shape_", obj, &other_us);
    json_object_set_new(obj, "shape_dbs", json_integer(shape_checkin.ndbs));
    json_object_set_new(obj, "shape_puts", json_integer(shape_checkin.nputs));
    bench_progress(env,
                   "lmdb baseline: %.0f commits/s (1 put), %.0f (6 databases), %.0f (a check-in's "
                   "%u puts in %u databases)",
                   one, six, ci, shape_checkin.nputs, shape_checkin.ndbs);
    double rtt_us = sc_rtt_measure(env, obj);
    if (rtt_us > 0 && commit_us > 0) {
        double ceiling = 1e6 / (commit_us + rtt_us);
        json_object_set_new(obj, "ceiling_per_s", json_real(ceiling));
        bench_progress(env,
                       "lmdb baseline: loopback round trip %.0f us (mean), so one waiting writer "
                       "could do at most %.0f/s (1-put commit + round trip: %.0f%% of the loop)",
                       rtt_us, ceiling, one > 0 ? ceiling / one * 100 : 0);
    }
    json_object_set_new(obj, "errors", json_integer(env->errors - errors0));
    return obj;
}
