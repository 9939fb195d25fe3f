/* creates.h — the writes that create an objective, a key result and a
 * check-in: one implementation each, shared by their own requests
 * (handle_objective.c, handle_key_result.c, handle_checkin.c) and by an
 * import (handle_import.c), which runs many of them in one transaction.
 *
 * The okr_*_check_* functions check a request's own fields on the loop
 * thread, before any write: 0, or OKR_E_BAD_REQUEST with why in msg (len
 * bytes, NUL-terminated). What names another record (an objective id, a key
 * result id) is the caller's to check.
 *
 * The others run on the writer thread, in the write's transaction: each
 * checks what it refers to in the store, authorises r's user, saves, keeps
 * the indexes, rolls progress up and records the entity's one Change. A
 * refusal is recorded on r (okr_req_refuse: r->error) and its okr_err_t
 * returned; the caller's transaction is then to be rolled back. None of them
 * sets r's result.
 */
#ifndef OKR_CREATES_H
#define OKR_CREATES_H

#include <lmdb.h>
#include <stddef.h>

#include "okr.pb-c.h"
#include "request.h"
#include "rollup.h"
#include "store.h"

/* An ObjectiveCreateRequest's objective: title, description, owner, team,
 * kind, visibility, a new objective's state, cycle_id set. */
int okr_objective_check_new(const Okr__Objective *in, char *msg, size_t len);

/* Creates in (as ObjectiveCreateRequest describes it: no owner means r's
 * user). On success *out is the new objective as stored after its roll-up
 * (the caller frees it with okr__objective__free_unpacked). */
int okr_objective_create(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__Objective *in,
                         Okr__Objective **out);

/* A KeyResultCreateRequest's key result: title, unit, figures, metric,
 * weight, measurable (objective_id is not looked at). */
int okr_key_result_check_new(const Okr__KeyResult *in, char *msg, size_t len);

/* Creates in under in->objective_id, within the server's
 * max_key_results_per_objective. On success *out is the new key result as
 * stored (the caller frees it with okr__key_result__free_unpacked). */
int okr_key_result_create(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__KeyResult *in,
                          Okr__KeyResult **out);

/* A CheckInRequest's value, confidence and note (key_result_id is not
 * looked at). */
int okr_checkin_check_request(const Okr__CheckInRequest *in, char *msg, size_t len);

/* A check-in written by okr_checkin_make: the record (its note points into
 * the request), the key result as it is after it (owned) and the objectives
 * it moved, nearest first (owned). Free with okr_checkin_made_free. */
typedef struct okr_checkin_made {
    Okr__CheckIn checkin;
    Okr__KeyResult *key_result;
    okr_updates_t ancestors;
} okr_checkin_made_t;

/* Checks in on in->key_result_id. On success fills *out; on failure *out
 * holds nothing to free. in must outlive *out. */
int okr_checkin_make(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__CheckInRequest *in,
                     okr_checkin_made_t *out);

void okr_checkin_made_free(okr_checkin_made_t *m);

#endif
