/* test_writer.c — the group-commit writer, on a real libuv loop and a real
 * store in a temporary directory. Every test runs under a watchdog timer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"
#include "log.h"
#include "okr_error.h"
#include "store.h"
#include "writer.h"

#define WATCHDOG_MS 60000

typedef struct fixture {
    char dir[64];
    okr_store_t *store;
    uv_loop_t loop;
    uv_timer_t watchdog;
    bool timed_out;
    okr_writer_t *wr;

    int expect; /* uv_stop() once this many done()s ran */
    int done_count;
    int order_errors; /* done() out of submission order */
    bool stopped;
    int done_at_stop; /* done_count when on_stopped ran */

    /* The gate holds the writer thread inside one apply() so that the writes
     * submitted meanwhile form one group. */
    pthread_mutex_t gate_mu;
    pthread_cond_t gate_cv;
    bool gate_open;
    bool gate_entered; /* the writer thread is waiting at the gate */
} fixture_t;

typedef struct twrite {
    okr_write_t w;
    fixture_t *f;
    int index; /* submission order */
    uint64_t key;
    size_t vlen;
    int fail_with; /* apply writes, then returns this */
    bool gate;     /* apply waits for the gate */
    bool noop;     /* apply succeeds without changing anything */
    int applied;   /* apply() calls (retries count) */
    uint64_t id;   /* from next_id */
    int status;
    int done_calls;
} twrite_t;

/* ------------------------------------------------------------ fixture */

static void on_watchdog(uv_timer_t *t)
{
    fixture_t *f = t->data;
    fprintf(stderr, "watchdog: test took longer than %d ms\n", WATCHDOG_MS);
    f->timed_out = true;
    uv_stop(&f->loop);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/okr-test-writer-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(uv_timer_init(&f->loop, &f->watchdog), 0);
    f->watchdog.data = f;
    assert_int_equal(uv_timer_start(&f->watchdog, on_watchdog, WATCHDOG_MS, 0), 0);
    uv_unref((uv_handle_t *)&f->watchdog); /* only the writer keeps the loop alive */
    pthread_mutex_init(&f->gate_mu, NULL);
    pthread_cond_init(&f->gate_cv, NULL);
    *state = f;
    return 0;
}

static void open_store(fixture_t *f, size_t map_size, size_t map_size_max)
{
    okr_store_opts_t opts = {.dir = f->dir, .map_size = map_size, .map_size_max = map_size_max};
    char err[256];
    int rc = okr_store_open(&f->store, &opts, err, sizeof err);
    if (rc != 0)
        fail_msg("open: %s", err);
    assert_int_equal(okr_writer_start(&f->wr, &f->loop, f->store), 0);
}

static void on_stopped(void *arg)
{
    fixture_t *f = arg;
    assert_false(f->stopped);
    f->stopped = true;
    f->done_at_stop = f->done_count;
}

/* Stops the writer and runs the loop until on_stopped. */
static void stop_writer(fixture_t *f)
{
    okr_writer_stop(f->wr, on_stopped, f);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_false(f->timed_out);
    assert_true(f->stopped);
    f->wr = NULL;
}

/* Runs the loop until f->expect done()s ran. */
static void run_until_done(fixture_t *f, int expect)
{
    f->expect = expect;
    if (f->done_count < expect)
        uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_false(f->timed_out);
    assert_int_equal(f->done_count, expect);
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    if (f->wr != NULL && !f->timed_out)
        stop_writer(f);
    uv_close((uv_handle_t *)&f->watchdog, NULL);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    if (!f->timed_out) {
        assert_int_equal(uv_loop_close(&f->loop), 0);
        okr_store_close(f->store);
    }
    char path[128];
    snprintf(path, sizeof path, "%s/data.mdb", f->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", f->dir);
    unlink(path);
    rmdir(f->dir);
    pthread_cond_destroy(&f->gate_cv);
    pthread_mutex_destroy(&f->gate_mu);
    if (!f->timed_out)
        free(f);
    return 0;
}

/* ------------------------------------------------------------ writes */

static int apply_put(okr_write_t *w, okr_store_t *store, MDB_txn *txn)
{
    twrite_t *tw = w->data;
    fixture_t *f = tw->f;
    tw->applied++;
    if (tw->noop)
        return 0;
    if (tw->gate) {
        pthread_mutex_lock(&f->gate_mu);
        f->gate_entered = true;
        pthread_cond_broadcast(&f->gate_cv);
        while (!f->gate_open)
            pthread_cond_wait(&f->gate_cv, &f->gate_mu);
        pthread_mutex_unlock(&f->gate_mu);
    }
    int err = okr_store_next_id(store, txn, "test", &tw->id);
    if (err != 0)
        return err;
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, tw->key);
    uint8_t *val = malloc(tw->vlen);
    if (val == NULL)
        return OKR_E_NOMEM;
    memset(val, (int)(tw->key & 0xff), tw->vlen);
    err = okr_store_put(store, txn, OKR_DB_SESSIONS, key, sizeof key, val, tw->vlen);
    free(val);
    if (err != 0)
        return err;
    return tw->fail_with;
}

static void on_done(okr_write_t *w, int status)
{
    twrite_t *tw = w->data;
    fixture_t *f = tw->f;
    if (tw->index != f->done_count)
        f->order_errors++;
    tw->status = status;
    tw->done_calls++;
    f->done_count++;
    if (f->done_count == f->expect)
        uv_stop(&f->loop);
}

static twrite_t *make_writes(fixture_t *f, int n, size_t vlen)
{
    twrite_t *tws = calloc((size_t)n, sizeof *tws);
    assert_non_null(tws);
    for (int i = 0; i < n; i++) {
        tws[i].w.apply = apply_put;
        tws[i].w.done = on_done;
        tws[i].w.data = &tws[i];
        tws[i].f = f;
        tws[i].index = i;
        tws[i].key = (uint64_t)i;
        tws[i].vlen = vlen;
    }
    return tws;
}

static void submit_all(fixture_t *f, twrite_t *tws, int from, int to)
{
    for (int i = from; i < to; i++)
        assert_int_equal(okr_writer_submit(f->wr, &tws[i].w), 0);
}

/* Waits until the writer thread holds tws[0] (alone) at the gate. */
static void wait_at_gate(fixture_t *f)
{
    pthread_mutex_lock(&f->gate_mu);
    while (!f->gate_entered)
        pthread_cond_wait(&f->gate_cv, &f->gate_mu);
    pthread_mutex_unlock(&f->gate_mu);
}

static void open_gate(fixture_t *f)
{
    pthread_mutex_lock(&f->gate_mu);
    f->gate_open = true;
    pthread_cond_broadcast(&f->gate_cv);
    pthread_mutex_unlock(&f->gate_mu);
}

/* Whether key is in the store (checked with a fresh read transaction). */
static bool has_key(fixture_t *f, uint64_t k, size_t vlen)
{
    MDB_txn *txn;
    assert_int_equal(okr_store_read_begin(f->store, &txn), 0);
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, k);
    MDB_val v;
    int err = okr_store_get(f->store, txn, OKR_DB_SESSIONS, key, sizeof key, &v);
    if (err == 0) {
        assert_int_equal(v.mv_size, vlen);
        assert_int_equal(((uint8_t *)v.mv_data)[vlen - 1], k & 0xff);
    } else {
        assert_int_equal(err, OKR_E_NOT_FOUND);
    }
    okr_store_read_end(f->store, txn);
    return err == 0;
}

static uint64_t counter(fixture_t *f)
{
    MDB_txn *txn;
    assert_int_equal(okr_store_read_begin(f->store, &txn), 0);
    uint64_t c = okr_store_counter(f->store, txn, "test");
    okr_store_read_end(f->store, txn);
    return c;
}

/* ------------------------------------------------------------ tests */

static void test_group_commit(void **state)
{
    fixture_t *f = *state;
    open_store(f, 0, 0);
    const int n = 1000;
    twrite_t *tws = make_writes(f, n, 100);
    submit_all(f, tws, 0, n);
    run_until_done(f, n);

    assert_int_equal(f->order_errors, 0);
    for (int i = 0; i < n; i++) {
        assert_int_equal(tws[i].status, 0);
        assert_int_equal(tws[i].done_calls, 1);
        assert_int_equal(tws[i].applied, 1);
    }
    okr_writer_stats_t st;
    okr_writer_get_stats(f->wr, &st);
    assert_int_equal(st.writes, (uint64_t)n);
    assert_int_equal(st.failed, 0);
    assert_int_equal(st.grows, 0);
    assert_true(st.commits >= 1);
    assert_true(st.commits <= (uint64_t)n / 10); /* group commit, not one fsync each */

    /* Ids were handed out in submission order, gap-free, and all is stored. */
    for (int i = 0; i < n; i++) {
        assert_int_equal(tws[i].id, (uint64_t)i + 1);
        assert_true(has_key(f, (uint64_t)i, 100));
    }
    assert_int_equal(counter(f), (uint64_t)n);
    stop_writer(f);
    free(tws);
}

static void test_failed_write_rolled_back_alone(void **state)
{
    fixture_t *f = *state;
    open_store(f, 0, 0);
    const int n = 11;
    twrite_t *tws = make_writes(f, n, 50);
    tws[0].gate = true;
    tws[3].fail_with = OKR_E_CONFLICT;
    tws[7].fail_with = OKR_E_BAD_REQUEST;
    submit_all(f, tws, 0, 1);
    wait_at_gate(f);
    submit_all(f, tws, 1, n); /* queued while the writer waits in tws[0] */
    open_gate(f);
    run_until_done(f, n);

    assert_int_equal(f->order_errors, 0);
    okr_writer_stats_t st;
    okr_writer_get_stats(f->wr, &st);
    assert_int_equal(st.commits, 2); /* the gate's group, then the other ten */
    assert_int_equal(st.writes, (uint64_t)n - 2);
    assert_int_equal(st.failed, 2);

    uint64_t next = 1;
    for (int i = 0; i < n; i++) {
        if (i == 3 || i == 7) {
            assert_int_equal(tws[i].status, tws[i].fail_with);
            assert_false(has_key(f, tws[i].key, 50));
        } else {
            assert_int_equal(tws[i].status, 0);
            assert_true(has_key(f, tws[i].key, 50));
            /* The failed writes' next_id calls were rolled back too. */
            assert_int_equal(tws[i].id, next++);
        }
    }
    assert_int_equal(counter(f), (uint64_t)n - 2);
    stop_writer(f);
    free(tws);
}

/* fsyncs counts LMDB's two flushes of each commit that wrote something: not
 * those of a transaction that changed nothing, nor of a failed write. */
static void test_fsyncs_counted(void **state)
{
    fixture_t *f = *state;
    open_store(f, 0, 0);
    twrite_t *tws = make_writes(f, 3, 50);
    tws[0].noop = true;
    tws[2].fail_with = OKR_E_CONFLICT;
    okr_writer_stats_t st;
    const struct {
        uint64_t commits, fsyncs;
    } want[] = {{1, 0}, {2, 2}, {2, 2}};
    for (int i = 0; i < 3; i++) {
        submit_all(f, tws, i, i + 1);
        run_until_done(f, i + 1);
        okr_writer_get_stats(f->wr, &st);
        assert_int_equal(st.commits, want[i].commits);
        assert_int_equal(st.fsyncs, want[i].fsyncs);
    }
    assert_int_equal(tws[0].status, 0);
    assert_int_equal(tws[1].status, 0);
    assert_int_equal(tws[2].status, OKR_E_CONFLICT);
    stop_writer(f);
    free(tws);
}

/* A write alone in its group runs without a nested transaction: when it
 * fails, the whole transaction is aborted (nothing committed, no sync), and
 * the next write sees none of its changes. Each group is timed once. */
static void test_single_write_failure_aborts(void **state)
{
    fixture_t *f = *state;
    open_store(f, 0, 0);
    twrite_t *tws = make_writes(f, 3, 50);
    tws[0].fail_with = OKR_E_CONFLICT;
    submit_all(f, tws, 0, 1);
    run_until_done(f, 1);
    okr_writer_stats_t st;
    okr_writer_get_stats(f->wr, &st);
    assert_int_equal(tws[0].status, OKR_E_CONFLICT);
    assert_int_equal(st.commits, 0);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.commit_us.count, 0);
    assert_false(has_key(f, tws[0].key, 50));
    assert_int_equal(counter(f), 0);

    submit_all(f, tws, 1, 2);
    run_until_done(f, 2);
    submit_all(f, tws, 2, 3);
    run_until_done(f, 3);
    assert_int_equal(f->order_errors, 0);
    okr_writer_get_stats(f->wr, &st);
    assert_int_equal(st.commits, 2);
    assert_int_equal(st.writes, 2);
    assert_int_equal(tws[1].status, 0);
    assert_int_equal(tws[1].id, 1); /* the failed write's next_id was rolled back */
    assert_int_equal(tws[2].id, 2);
    assert_true(has_key(f, tws[1].key, 50));
    assert_int_equal(counter(f), 2);
    /* One apply and one commit time per committed group. */
    assert_int_equal(st.commit_us.count, 2);
    assert_int_equal(st.apply_us.count, 2);
    /* Both hand-offs are timed for every write, the failed one too. */
    assert_int_equal(st.queue_us.count, 3);
    assert_int_equal(st.handback_us.count, 3);
    stop_writer(f);
    free(tws);
}

static void test_map_full_grows_and_retries(void **state)
{
    fixture_t *f = *state;
    size_t small = 32 * (size_t)sysconf(_SC_PAGESIZE);
    open_store(f, small, (size_t)1 << 30);
    const int n = 200;
    const size_t vlen = 8192; /* overflow pages: the map fills quickly */
    twrite_t *tws = make_writes(f, n, vlen);
    submit_all(f, tws, 0, n);
    run_until_done(f, n);

    assert_int_equal(f->order_errors, 0);
    okr_writer_stats_t st;
    okr_writer_get_stats(f->wr, &st);
    assert_true(st.grows > 0);
    assert_int_equal(st.writes, (uint64_t)n);
    assert_int_equal(st.failed, 0);
    assert_true(okr_store_map_size(f->store) > small);
    for (int i = 0; i < n; i++) {
        assert_int_equal(tws[i].status, 0);
        assert_int_equal(tws[i].id, (uint64_t)i + 1); /* retries did not leave gaps */
        assert_true(has_key(f, tws[i].key, vlen));
    }
    assert_int_equal(counter(f), (uint64_t)n);
    stop_writer(f);
    free(tws);
}

static void test_map_capped_fails_group(void **state)
{
    fixture_t *f = *state;
    size_t small = 32 * (size_t)sysconf(_SC_PAGESIZE);
    open_store(f, small, 2 * small);
    const int n = 21;
    const size_t vlen = 16384; /* 20 * 16 KiB > 2 * 32 pages */
    twrite_t *tws = make_writes(f, n, vlen);
    tws[0].gate = true;
    tws[0].vlen = 100;
    submit_all(f, tws, 0, 1);
    wait_at_gate(f);
    submit_all(f, tws, 1, n);
    open_gate(f);
    run_until_done(f, n);

    assert_int_equal(f->order_errors, 0);
    assert_int_equal(tws[0].status, 0);
    assert_true(has_key(f, 0, 100));
    for (int i = 1; i < n; i++) {
        assert_int_equal(tws[i].status, OKR_E_FULL);
        assert_false(has_key(f, tws[i].key, vlen)); /* nothing partial */
    }
    assert_int_equal(counter(f), 1);
    okr_writer_stats_t st;
    okr_writer_get_stats(f->wr, &st);
    assert_int_equal(st.commits, 1);
    assert_int_equal(st.grows, 1);
    assert_int_equal(st.writes, 1);
    assert_int_equal(st.failed, (uint64_t)n - 1);
    assert_int_equal(okr_store_map_size(f->store), 2 * small);

    /* The writer carries on: a small write still commits. */
    twrite_t *more = make_writes(f, 1, 100);
    more[0].index = n;
    more[0].key = 1000;
    submit_all(f, more, 0, 1);
    run_until_done(f, n + 1);
    assert_int_equal(more[0].status, 0);
    assert_true(has_key(f, 1000, 100));
    assert_int_equal(counter(f), 2);
    stop_writer(f);
    free(more);
    free(tws);
}

/* The loop thread reads all the time while the writer thread grows the map:
 * growth waits for each read transaction to end, and reads see only
 * committed, monotonically growing state. */
typedef struct reader {
    fixture_t *f;
    uv_idle_t idle;
    uint64_t last;
    int reads;
} reader_t;

static void on_idle_read(uv_idle_t *h)
{
    reader_t *r = h->data;
    MDB_txn *txn;
    assert_int_equal(okr_store_read_begin(r->f->store, &txn), 0);
    uint64_t c = okr_store_counter(r->f->store, txn, "test");
    if (c > 0) {
        /* The last committed write is readable in the same snapshot. */
        uint8_t key[OKR_KEY_U64_LEN];
        okr_key_put_u64(key, c - 1);
        MDB_val v;
        assert_int_equal(okr_store_get(r->f->store, txn, OKR_DB_SESSIONS, key, sizeof key, &v), 0);
    }
    okr_store_read_end(r->f->store, txn);
    assert_true(c >= r->last);
    r->last = c;
    r->reads++;
}

static void test_reads_during_growth(void **state)
{
    fixture_t *f = *state;
    size_t small = 32 * (size_t)sysconf(_SC_PAGESIZE);
    open_store(f, small, (size_t)1 << 30);
    reader_t r = {.f = f};
    assert_int_equal(uv_idle_init(&f->loop, &r.idle), 0);
    r.idle.data = &r;
    assert_int_equal(uv_idle_start(&r.idle, on_idle_read), 0);

    const int n = 300;
    twrite_t *tws = make_writes(f, n, 6000);
    /* Submitted one by one from the loop, so there are many groups. */
    for (int i = 0; i < n; i++) {
        submit_all(f, tws, i, i + 1);
        if (i % 10 == 9)
            uv_run(&f->loop, UV_RUN_NOWAIT);
    }
    run_until_done(f, n);
    uv_close((uv_handle_t *)&r.idle, NULL);

    okr_writer_stats_t st;
    okr_writer_get_stats(f->wr, &st);
    assert_true(st.grows > 0);
    assert_int_equal(st.writes, (uint64_t)n);
    assert_true(r.reads > 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(tws[i].status, 0);
    stop_writer(f);
    free(tws);
}

static void test_stop_drains(void **state)
{
    fixture_t *f = *state;
    open_store(f, 0, 0);
    const int n = 50;
    twrite_t *tws = make_writes(f, n + 1, 100);
    submit_all(f, tws, 0, n);
    okr_writer_stop(f->wr, on_stopped, f);
    /* Refused once stopping; its done() is never called. */
    assert_int_equal(okr_writer_submit(f->wr, &tws[n].w), OKR_E_UNAVAILABLE);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_false(f->timed_out);
    assert_true(f->stopped);
    f->wr = NULL;

    assert_int_equal(f->done_at_stop, n); /* every done() before on_stopped */
    assert_int_equal(f->order_errors, 0);
    for (int i = 0; i < n; i++) {
        assert_int_equal(tws[i].status, 0);
        assert_int_equal(tws[i].done_calls, 1);
        assert_true(has_key(f, (uint64_t)i, 100));
    }
    assert_int_equal(tws[n].done_calls, 0);
    assert_false(has_key(f, (uint64_t)n, 100));
    free(tws);
}

static void test_stop_idle(void **state)
{
    fixture_t *f = *state;
    open_store(f, 0, 0);
    stop_writer(f);
    assert_int_equal(f->done_at_stop, 0);
}

/* done() of the last write stops the writer: the common shutdown path. */
static void on_done_then_stop(okr_write_t *w, int status)
{
    twrite_t *tw = w->data;
    on_done(w, status);
    if (tw->index == 4) /* the last of test_stop_from_done's five */
        okr_writer_stop(tw->f->wr, on_stopped, tw->f);
}

static void test_stop_from_done(void **state)
{
    fixture_t *f = *state;
    open_store(f, 0, 0);
    const int n = 5;
    twrite_t *tws = make_writes(f, n, 10);
    for (int i = 0; i < n; i++)
        tws[i].w.done = on_done_then_stop;
    f->expect = n + 1; /* never reached: the loop ends when the writer closes */
    submit_all(f, tws, 0, n);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_false(f->timed_out);
    assert_true(f->stopped);
    f->wr = NULL;
    assert_int_equal(f->done_count, n);
    assert_int_equal(counter(f), (uint64_t)n);
    free(tws);
}

/* Commits per second: the whole seconds of the last 10 before now count, the
 * second in progress and older ones do not. */
static void test_commits_per_s(void **state)
{
    (void)state;
    okr_writer_stats_t s;
    memset(&s, 0, sizeof s);
    /* Second 89 is one too old at 100.5 s, 90 and 95 count: 30 in 10 s. (Each
     * second has its own slot: 11 of them.) */
    const uint64_t secs[] = {89, 90, 95}, commits[] = {50, 10, 20};
    for (size_t i = 0; i < 3; i++) {
        s.rate_sec[secs[i] % OKR_WRITER_RATE_SLOTS] = secs[i];
        s.rate_commits[secs[i] % OKR_WRITER_RATE_SLOTS] = commits[i];
    }
    assert_true(okr_writer_commits_per_s(&s, 100500) > 2.99);
    assert_true(okr_writer_commits_per_s(&s, 100500) < 3.01);
    /* At 99.5 s second 89 is in the window too. */
    assert_true(okr_writer_commits_per_s(&s, 99500) > 7.99);
    assert_true(okr_writer_commits_per_s(&s, 99500) < 8.01);
    /* Twenty seconds later nothing is recent. */
    assert_true(okr_writer_commits_per_s(&s, 120000) == 0);
    /* The second in progress does not count yet. */
    memset(&s, 0, sizeof s);
    s.rate_sec[100 % OKR_WRITER_RATE_SLOTS] = 100;
    s.rate_commits[100 % OKR_WRITER_RATE_SLOTS] = 7;
    assert_true(okr_writer_commits_per_s(&s, 100500) == 0);
}

int main(void)
{
    okr_log_set_level(OKR_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_rolled_back_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_write_failure_aborts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsyncs_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_full_grows_and_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_capped_fails_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_during_growth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_drains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_idle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_from_done, setup, teardown),
        cmocka_unit_test(test_commits_per_s),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
