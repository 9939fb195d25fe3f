/* writer.c — the single writer of okrd, with group commit.
 *
 * Two lists cross the thread boundary, both under wr->mu:
 *   queue  loop -> writer thread: submitted, not yet taken;
 *   done   writer thread -> loop: committed (or failed), done() not yet run.
 * The writer thread takes the whole queue as one group, commits it in one
 * transaction (a group of one write without a nested transaction, the
 * common case with one client), appends it to done and wakes the loop with
 * uv_async_send(). Both lists are FIFO, so done() runs in submission order.
 *
 * Stopping: okr_writer_stop() sets stopping; the thread drains the queue,
 * sets exited and sends one last wakeup. The loop, seeing exited, delivers the
 * remaining done()s, joins the thread (which has nothing left to do but
 * return), closes the async handle, and finishes in the close callback.
 */
#include "writer.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "okr_error.h"

struct okr_writer {
    uv_loop_t *loop;
    okr_store_t *store;
    uv_async_t async;
    pthread_t thread;
    bool thread_started; /* loop thread only */
    bool closing;        /* loop thread only: uv_close() called */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* under mu */
    okr_write_t *queue_head, *queue_tail;
    okr_write_t *done_head, *done_tail;
    bool stopping;
    bool exited;
    okr_writer_stats_t stats;

    okr_lhist_t handback_us; /* loop thread only */

    void (*on_stopped)(void *arg);
    void *on_stopped_arg;
    void (*on_committed)(void *arg); /* loop thread, after each batch of done()s */
    void *on_committed_arg;
    unsigned commit_delay_ms; /* tests only: sleep before each commit */
};

/* ------------------------------------------------------------ writer thread */

/* What one group adds to wr->stats, merged under mu. */
typedef struct writer_delta {
    uint64_t commits, writes, failed, grows, fsyncs;
    int timed; /* apply_us and commit_us hold the committed attempt's times */
    uint64_t apply_us, commit_us;
} writer_delta_t;

static void writer__fail_group(okr_write_t *group, int status)
{
    for (okr_write_t *w = group; w != NULL; w = w->next)
        w->status = status;
}

/* Runs w's apply in its own nested transaction of txn: 0 or apply's error
 * (its changes rolled back alone), or OKR_E_FULL (map full: the caller aborts
 * the group). *no_child is set when the nested transaction could not even
 * begin (the caller fails the whole group). */
static int writer__apply_nested(okr_writer_t *wr, okr_write_t *w, MDB_txn *txn, bool *no_child)
{
    MDB_txn *child;
    int rc = mdb_txn_begin(okr_store_env(wr->store), txn, 0, &child);
    if (rc != 0) {
        if (rc == MDB_MAP_FULL)
            return OKR_E_FULL;
        okr_error("writer: cannot begin nested transaction: %s", mdb_strerror(rc));
        *no_child = true;
        return OKR_E_INTERNAL;
    }
    int err = w->apply(w, wr->store, child);
    if (err != 0) {
        mdb_txn_abort(child);
        return err;
    }
    rc = mdb_txn_commit(child); /* frees child, also on failure */
    if (rc == MDB_MAP_FULL)
        return OKR_E_FULL;
    if (rc != 0) {
        /* The parent may be marked broken now; its commit will say. */
        okr_error("writer: nested commit: %s", mdb_strerror(rc));
        return OKR_E_INTERNAL;
    }
    return 0;
}

/* One attempt at the group: every write in its own nested transaction of one
 * write transaction, then one commit. A group of one write needs no nested
 * transaction: it runs in the write transaction itself, which is aborted
 * (nothing to commit, no sync) if the write fails. Returns 0 when the group
 * is done (each w->status set, the commit made or failed for good), or
 * OKR_E_FULL when the map filled up and the whole group must be retried after
 * growing. On OKR_E_FULL no transaction is left open. */
static int writer__attempt(okr_writer_t *wr, okr_write_t *group, writer_delta_t *delta)
{
    MDB_txn *txn;
    uint64_t t0 = okr_mono_us();
    int err = okr_store_write_begin(wr->store, &txn);
    if (err != 0) {
        writer__fail_group(group, err == OKR_E_FULL ? OKR_E_FULL : OKR_E_INTERNAL);
        return OKR_OK;
    }

    if (group->next == NULL) {
        err = group->apply(group, wr->store, txn);
        if (err != 0) {
            /* Also drops this thread's share of the store lock, which
             * okr_store_grow() needs exclusively. */
            okr_store_write_abort(wr->store, txn);
            if (err == OKR_E_FULL)
                return OKR_E_FULL;
            group->status = err;
            return OKR_OK;
        }
        group->status = 0;
    }
    for (okr_write_t *w = group->next != NULL ? group : NULL; w != NULL; w = w->next) {
        bool no_child = false;
        err = writer__apply_nested(wr, w, txn, &no_child);
        if (err == OKR_E_FULL || no_child) {
            /* Also drops this thread's share of the store lock. */
            okr_store_write_abort(wr->store, txn);
            if (err == OKR_E_FULL)
                return OKR_E_FULL;
            writer__fail_group(group, OKR_E_INTERNAL);
            return OKR_OK;
        }
        w->status = err;
    }

    uint64_t apply_us = okr_mono_us() - t0;
    if (wr->commit_delay_ms) {
        struct timespec ts = {wr->commit_delay_ms / 1000,
                              (long)(wr->commit_delay_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0)
            ;
    }
    uint64_t t1 = okr_mono_us();
    uint64_t id = mdb_txn_id(txn);
    err = okr_store_write_commit(wr->store, txn);
    if (err == OKR_E_FULL)
        return OKR_E_FULL;
    if (err != 0) {
        writer__fail_group(group, OKR_E_INTERNAL);
    } else {
        delta->commits++;
        if (okr_store_last_txnid(wr->store) == id)
            delta->fsyncs += 2; /* it wrote: pages, then the meta page */
        delta->timed = 1;
        delta->apply_us = apply_us;
        delta->commit_us = okr_mono_us() - t1;
    }
    return OKR_OK;
}

/* Commits group, growing the map as often as needed. Sets each w->status and
 * adds to delta (merged into wr->stats under mu by the caller). A write that
 * fails because the whole group failed counts as failed. */
static void writer__run_group(okr_writer_t *wr, okr_write_t *group, writer_delta_t *delta)
{
    for (;;) {
        int err = writer__attempt(wr, group, delta);
        if (err != OKR_E_FULL)
            break;
        err = okr_store_grow(wr->store);
        if (err != 0) {
            if (err != OKR_E_FULL)
                okr_error("writer: cannot grow the map: %s", okr_strerror(err));
            else
                okr_warn("writer: map is at its maximum; a group of writes fails");
            writer__fail_group(group, err == OKR_E_FULL ? OKR_E_FULL : OKR_E_INTERNAL);
            break;
        }
        delta->grows++;
    }
    for (okr_write_t *w = group; w != NULL; w = w->next) {
        if (w->status == 0)
            delta->writes++;
        else
            delta->failed++;
    }
}

/* Adds commits to the slot of second sec (under mu), reusing a slot whose
 * second is past the window. */
static void writer__count_rate(okr_writer_stats_t *s, uint64_t commits, uint64_t sec)
{
    size_t i = sec % OKR_WRITER_RATE_SLOTS;
    if (s->rate_sec[i] != sec) {
        s->rate_sec[i] = sec;
        s->rate_commits[i] = 0;
    }
    s->rate_commits[i] += commits;
}

static void *writer__main(void *arg)
{
    okr_writer_t *wr = arg;
    pthread_mutex_lock(&wr->mu);
    for (;;) {
        while (wr->queue_head == NULL && !wr->stopping)
            pthread_cond_wait(&wr->cv, &wr->mu);
        if (wr->queue_head == NULL)
            break; /* stopping and drained */
        okr_write_t *group = wr->queue_head, *last = wr->queue_tail;
        wr->queue_head = wr->queue_tail = NULL;
        /* Still under mu: the submitted times were written under it. */
        uint64_t taken = okr_mono_us();
        for (okr_write_t *w = group; w != NULL; w = w->next)
            okr_lhist_add(&wr->stats.queue_us, taken - w->submitted_us);
        pthread_mutex_unlock(&wr->mu);

        writer_delta_t delta = {0};
        writer__run_group(wr, group, &delta);
        uint64_t committed = okr_mono_us();
        for (okr_write_t *w = group; w != NULL; w = w->next)
            w->committed_us = committed;

        pthread_mutex_lock(&wr->mu);
        wr->stats.commits += delta.commits;
        wr->stats.fsyncs += delta.fsyncs;
        writer__count_rate(&wr->stats, delta.commits, okr_mono_ms() / 1000);
        wr->stats.writes += delta.writes;
        wr->stats.failed += delta.failed;
        wr->stats.grows += delta.grows;
        if (delta.timed) {
            okr_lhist_add(&wr->stats.apply_us, delta.apply_us);
            okr_lhist_add(&wr->stats.commit_us, delta.commit_us);
        }
        if (wr->done_tail != NULL)
            wr->done_tail->next = group;
        else
            wr->done_head = group;
        wr->done_tail = last;
        /* Woken outside mu, so the loop does not wake only to wait for it. The
         * handle outlives this call: the loop closes it after exited. */
        pthread_mutex_unlock(&wr->mu);
        uv_async_send(&wr->async);
        pthread_mutex_lock(&wr->mu);
    }
    wr->exited = true;
    pthread_mutex_unlock(&wr->mu);
    uv_async_send(&wr->async);
    return NULL;
}

/* ------------------------------------------------------------ loop thread */

static void writer__on_close(uv_handle_t *h)
{
    okr_writer_t *wr = h->data;
    void (*on_stopped)(void *) = wr->on_stopped;
    void *arg = wr->on_stopped_arg;
    pthread_cond_destroy(&wr->cv);
    pthread_mutex_destroy(&wr->mu);
    free(wr);
    if (on_stopped != NULL)
        on_stopped(arg);
}

static void writer__on_async(uv_async_t *h)
{
    okr_writer_t *wr = h->data;
    if (wr->closing)
        return;

    pthread_mutex_lock(&wr->mu);
    okr_write_t *w = wr->done_head;
    wr->done_head = wr->done_tail = NULL;
    bool exited = wr->exited;
    pthread_mutex_unlock(&wr->mu);

    bool delivered = w != NULL;
    uint64_t now = okr_mono_us();
    while (w != NULL) {
        okr_write_t *next = w->next; /* done() may free or resubmit w */
        w->next = NULL;
        okr_lhist_add(&wr->handback_us, now - w->committed_us);
        w->done(w, w->status);
        w = next;
    }
    /* Acknowledgements first, then the push of what they committed. */
    if (delivered && wr->on_committed)
        wr->on_committed(wr->on_committed_arg);

    /* exited was read after the thread queued its last group, so nothing is
     * left to deliver; the thread only has to return. */
    if (exited) {
        pthread_join(wr->thread, NULL);
        wr->thread_started = false;
        wr->closing = true;
        uv_close((uv_handle_t *)&wr->async, writer__on_close);
    }
}

int okr_writer_start(okr_writer_t **out, uv_loop_t *loop, okr_store_t *store)
{
    *out = NULL;
    okr_writer_t *wr = calloc(1, sizeof *wr);
    if (wr == NULL)
        return OKR_E_NOMEM;
    wr->loop = loop;
    wr->store = store;
    if (pthread_mutex_init(&wr->mu, NULL) != 0) {
        free(wr);
        return OKR_E_INTERNAL;
    }
    if (pthread_cond_init(&wr->cv, NULL) != 0) {
        pthread_mutex_destroy(&wr->mu);
        free(wr);
        return OKR_E_INTERNAL;
    }
    if (uv_async_init(loop, &wr->async, writer__on_async) != 0) {
        pthread_cond_destroy(&wr->cv);
        pthread_mutex_destroy(&wr->mu);
        free(wr);
        return OKR_E_INTERNAL;
    }
    wr->async.data = wr;

    /* Signals belong to the loop: the writer thread blocks them all, so a
     * SIGTERM never interrupts a commit. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&wr->thread, NULL, writer__main, wr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        okr_error("writer: cannot start thread (error %d)", rc);
        /* The handle can only be freed in its close callback; on_stopped is
         * NULL, so that callback just frees. */
        wr->closing = true;
        uv_close((uv_handle_t *)&wr->async, writer__on_close);
        return OKR_E_INTERNAL;
    }
    wr->thread_started = true;
    *out = wr;
    return OKR_OK;
}

int okr_writer_submit(okr_writer_t *wr, okr_write_t *w)
{
    w->next = NULL;
    w->status = 0;
    w->submitted_us = okr_mono_us();
    pthread_mutex_lock(&wr->mu);
    if (wr->stopping) {
        pthread_mutex_unlock(&wr->mu);
        return OKR_E_UNAVAILABLE;
    }
    if (wr->queue_tail != NULL)
        wr->queue_tail->next = w;
    else
        wr->queue_head = w;
    wr->queue_tail = w;
    pthread_mutex_unlock(&wr->mu);
    /* Signalled after unlocking, so the writer does not wake only to wait for
     * mu (the writer re-checks the queue under mu; cv lives until the close
     * callback, after the thread was joined). */
    pthread_cond_signal(&wr->cv);
    return OKR_OK;
}

void okr_writer_stop(okr_writer_t *wr, void (*on_stopped)(void *arg), void *arg)
{
    pthread_mutex_lock(&wr->mu);
    if (wr->stopping) {
        pthread_mutex_unlock(&wr->mu);
        okr_error("writer: stop called twice");
        return;
    }
    wr->stopping = true;
    wr->on_stopped = on_stopped;
    wr->on_stopped_arg = arg;
    pthread_cond_signal(&wr->cv);
    pthread_mutex_unlock(&wr->mu);
}

double okr_writer_commits_per_s(const okr_writer_stats_t *s, uint64_t now_ms)
{
    uint64_t now = now_ms / 1000, n = 0;
    for (size_t i = 0; i < OKR_WRITER_RATE_SLOTS; i++)
        if (s->rate_sec[i] < now && s->rate_sec[i] + OKR_WRITER_RATE_WINDOW >= now)
            n += s->rate_commits[i];
    return (double)n / OKR_WRITER_RATE_WINDOW;
}

void okr_writer_get_stats(okr_writer_t *wr, okr_writer_stats_t *out)
{
    pthread_mutex_lock(&wr->mu);
    *out = wr->stats;
    pthread_mutex_unlock(&wr->mu);
    out->handback_us = wr->handback_us;
}

void okr_writer_set_commit_delay(okr_writer_t *wr, unsigned ms)
{
    wr->commit_delay_ms = ms;
}

void okr_writer_on_committed(okr_writer_t *wr, void (*fn)(void *arg), void *arg)
{
    wr->on_committed = fn;
    wr->on_committed_arg = arg;
}
