/* pace.h — an objective's status as of now, in what okrd sends.
 *
 * The status stored with an objective is from its last change (a roll-up).
 * Time moves its cycle's pace on without any write, so an objective nobody
 * checked in on for weeks would still show the status of its last check-in.
 * What okrd answers (get, lists, mine, a subscription's snapshot) is brought
 * to now with okr_status_now: the stored status or the pace's, the worse.
 * Objectives of a closed cycle, and closed or archived ones, keep theirs:
 * their cycle is over and their score speaks for them.
 *
 * A memo keeps the last cycle read: a page of objectives is mostly one
 * cycle's, so it costs one cycle read, not one per objective.
 */
#ifndef OKR_PACE_H
#define OKR_PACE_H

#include <lmdb.h>
#include <stdint.h>

#include "okr.pb-c.h"
#include "store.h"

typedef struct okr_pace_memo {
    int64_t now_ms;
    uint64_t cycle_id; /* 0: none read yet */
    int open;          /* the cycle exists and is not closed */
    double expected;   /* its expected progress at now_ms (0: no such cycle) */
} okr_pace_memo_t;

/* A memo for a request answered at now_ms. */
okr_pace_memo_t okr_pace_memo(int64_t now_ms);

/* The expected progress of cycle_id at the memo's now (0 when there is no
 * such cycle), read once per memo and cycle. */
double okr_pace_expected(okr_store_t *s, MDB_txn *txn, okr_pace_memo_t *m, uint64_t cycle_id);

/* Sets o->status to its status at the memo's now. */
void okr_pace_refresh(okr_store_t *s, MDB_txn *txn, okr_pace_memo_t *m, Okr__Objective *o);

#endif
