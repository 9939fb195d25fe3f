/* writer.h — the single writer of okrd, with group commit.
 *
 * Every write goes through here. The writer thread takes all writes queued
 * since its last commit, runs each one's apply() in its own nested
 * transaction of one write transaction (a failing write is rolled back alone;
 * a group of one write runs in the write transaction itself, aborted if it
 * fails), commits once (one commit's syncs for the whole group; the
 * environment is opened without MDB_NOSYNC), and only then hands every write
 * back to the event loop, where done() runs. So an acknowledgement sent from
 * done() is durable.
 *
 * When the map is full (MDB_MAP_FULL from apply or commit), the whole group is
 * aborted, the map grown (okr_store_grow), and the group retried from the
 * start; apply() must therefore be safe to run again (it only touches the
 * transaction and its own result fields). If the map cannot grow, every write
 * of the group completes with OKR_E_FULL and nothing is committed.
 */
#ifndef OKR_WRITER_H
#define OKR_WRITER_H

#include <lmdb.h>
#include <uv.h>

#include "lhist.h"
#include "store.h"

typedef struct okr_writer okr_writer_t;
typedef struct okr_write okr_write_t;

/* Runs on the writer thread inside a nested transaction (or, alone in its
 * group, the write transaction). Returns 0 to keep its changes or an okr_err_t
 * to roll them back (the rest of the group still commits).
 * Must not touch anything owned by the loop thread except w->data's own
 * result fields. OKR_E_FULL means "map full": the group is retried. */
typedef int (*okr_write_apply_fn)(okr_write_t *w, okr_store_t *store, MDB_txn *txn);

/* Runs on the loop thread after the group commit returned (or failed).
 * status: apply's return, or the commit's error (OKR_E_FULL, OKR_E_INTERNAL)
 * if the group could not be committed. */
typedef void (*okr_write_done_fn)(okr_write_t *w, int status);

struct okr_write {
    okr_write_apply_fn apply;
    okr_write_done_fn done;
    void *data; /* the caller's */
    /* private */
    okr_write_t *next;
    int status;
    uint64_t submitted_us, committed_us; /* monotonic, for the hand-off timings */
};

/* Commits per second are counted over the last OKR_WRITER_RATE_WINDOW whole
 * seconds, in one slot per second (one more for the second in progress). */
#define OKR_WRITER_RATE_WINDOW 10
#define OKR_WRITER_RATE_SLOTS  (OKR_WRITER_RATE_WINDOW + 1)

typedef struct okr_writer_stats {
    uint64_t commits; /* transactions committed */
    /* Durable flushes: two per commit that changed anything (LMDB flushes
     * the pages with fdatasync, then writes the meta page with O_DSYNC). */
    uint64_t fsyncs;
    uint64_t writes; /* writes applied successfully */
    uint64_t failed; /* writes whose apply returned an error */
    uint64_t grows;  /* map growths */
    /* One sample per committed group: the time in apply (every write of the
     * group, with its nested transaction) and in the commit (mdb_txn_commit:
     * page writes and syncs), microseconds. A group retried after the map
     * grew counts its last attempt only. */
    okr_lhist_t apply_us;
    okr_lhist_t commit_us;
    /* The two hand-offs, one sample per write, microseconds. queue: from
     * okr_writer_submit() to the writer thread starting the write's group
     * (waking the writer; with several writers also the wait for the group in
     * progress). handback: from the group's commit returning to the write's
     * done() starting on the loop thread. */
    okr_lhist_t queue_us;
    okr_lhist_t handback_us;
    /* Commits in each recent second of the monotonic clock: rate_commits[i]
     * belongs to second rate_sec[i] (i = second % OKR_WRITER_RATE_SLOTS). */
    uint64_t rate_sec[OKR_WRITER_RATE_SLOTS];
    uint64_t rate_commits[OKR_WRITER_RATE_SLOTS];
} okr_writer_stats_t;

/* Commits per second over the last OKR_WRITER_RATE_WINDOW whole seconds
 * before now_ms (okr_mono_ms()); 0 when nothing was committed then. */
double okr_writer_commits_per_s(const okr_writer_stats_t *s, uint64_t now_ms);

/* Starts the writer thread. The caller keeps store open until the writer is
 * stopped. Returns 0 or an okr_err_t. */
int okr_writer_start(okr_writer_t **out, uv_loop_t *loop, okr_store_t *store);

/* Queues w (loop thread only). w must stay valid until its done() ran.
 * Returns 0, or OKR_E_UNAVAILABLE once stopping (done is not called then). */
int okr_writer_submit(okr_writer_t *wr, okr_write_t *w);

/* Stops accepting writes, lets the writer commit everything already queued,
 * delivers every done(), joins the thread, then calls on_stopped (on the loop
 * thread) and frees wr. The loop must keep running until on_stopped. */
void okr_writer_stop(okr_writer_t *wr, void (*on_stopped)(void *arg), void *arg);

/* fn(arg) runs on the loop thread after the done()s of every batch of
 * completed writes: the moment to publish what they committed (okrd's push
 * reads the change log from there). NULL removes it. */
void okr_writer_on_committed(okr_writer_t *wr, void (*fn)(void *arg), void *arg);

/* For tests only (setting test_commit_delay_ms): the writer thread sleeps ms
 * milliseconds right before committing each group, so a test can watch that
 * nothing is acknowledged or pushed before the commit returned. 0 (the
 * default) turns it off. Call before the first write is submitted. */
void okr_writer_set_commit_delay(okr_writer_t *wr, unsigned ms);

/* Counters and timings, read on the loop thread (a copy of some 17 KiB). */
void okr_writer_get_stats(okr_writer_t *wr, okr_writer_stats_t *out);

#endif
