/* rollup.h — keeping progress figures true up the alignment tree.
 *
 * After a write changes a key result (a check-in, a new target, a new or
 * removed key result) or an objective's key results or children, the handler
 * calls okr_rollup on the objective concerned, inside the same transaction.
 * It recomputes that objective (weighted key results, linked key results
 * taking their objective's progress, or the mean of its children when it has
 * no key results), stores it if its figures moved, and carries on to the
 * objective it is aligned to and to every key result linked to it (they take
 * its progress, not its status: beyond objective_id itself, only a move of
 * progress carries on), until nothing moves any more. Progress and status are server-kept figures: a
 * roll-up does not bump versions (editors do not conflict with it).
 */
#ifndef OKR_ROLLUP_H
#define OKR_ROLLUP_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "okr.pb-c.h"
#include "store.h"

/* Objectives whose figures a write moved, nearest first. */
typedef struct okr_updates {
    Okr__ProgressUpdate **items;
    size_t n, cap;
} okr_updates_t;

void okr_updates_free(okr_updates_t *u);

/* Recomputes objective_id and everything above it at now_ms. The objective
 * itself is always reported (even unchanged), ancestors only when they moved.
 * Returns 0 or an okr_err_t (OKR_E_FULL passes through for the writer). */
int okr_rollup(okr_store_t *s, MDB_txn *txn, uint64_t objective_id, int64_t now_ms,
               okr_updates_t *out);

/* Recomputes every objective of cycle_id at now_ms, as okr_rollup does one:
 * after the cycle's dates changed, its pace and so their status did. Reports
 * those that moved. Returns 0 or an okr_err_t. */
int okr_rollup_cycle(okr_store_t *s, MDB_txn *txn, uint64_t cycle_id, int64_t now_ms,
                     okr_updates_t *out);

/* What okr_rollup would compute for obj at now_ms, from its key results (or
 * its children) as stored, without writing anything: for checks (okrd
 * --check). Linked key results take their objective's stored progress.
 * Returns 0 or an okr_err_t. */
int okr_rollup_figures(okr_store_t *s, MDB_txn *txn, const Okr__Objective *obj, int64_t now_ms,
                       double *progress, Okr__ProgressStatus *status);

/* Progress of one key result as stored figures say (linked key results read
 * their objective). */
double okr_rollup_kr_progress(okr_store_t *s, MDB_txn *txn, const Okr__KeyResult *kr);

#endif
