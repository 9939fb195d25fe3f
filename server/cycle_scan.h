/* cycle_scan.h — which records belong to one cycle's objectives that the
 * caller may read, decided once per objective and key result in a request.
 *
 * The lists "since" (CheckInListRequest and CommentListRequest with
 * cycle_id, protocol 1.5: okr review's agenda in one request instead of one
 * per key result) walk the newest records of the whole store and keep
 * those of the cycle the caller may read. A week's check-ins come from a few
 * thousand key results of a few hundred objectives: each objective is read
 * and judged once, each key result's objective looked up once, through two
 * small hash tables (key_table.h) that live for the request.
 */
#ifndef OKR_CYCLE_SCAN_H
#define OKR_CYCLE_SCAN_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "key_table.h"
#include "store.h"

/* How many records one page looks at before it answers with what it has
 * (and a cursor to go on from): the loop is not held by a long walk. A
 * record costs about a microsecond to unpack and judge once its objective
 * is known, a few more the first time: a few milliseconds a page at most,
 * even when the store holds years of other cycles' records. */
#define OKR_CYCLE_SCAN_BUDGET 5000

typedef struct okr_cycle_scan {
    okr_store_t *s;
    MDB_txn *txn;
    const Okr__User *user;
    uint64_t cycle_id;
    okr_key_table_t *objectives; /* objective id -> 1 in the cycle and readable, 2 not */
    okr_key_table_t *krs;        /* key result id -> its objective (UINT64_MAX: none) */
    int rc;                      /* the first store error, 0 if none */
} okr_cycle_scan_t;

void okr_cycle_scan_init(okr_cycle_scan_t *cs, okr_store_t *s, MDB_txn *txn, const Okr__User *user,
                         uint64_t cycle_id);
void okr_cycle_scan_free(okr_cycle_scan_t *cs);

/* 1 if the objective (or the key result's objective) is in the cycle and
 * the user may read it, else 0: also when it does not exist, and when the
 * store fails or memory runs out (cs->rc is then set). */
int okr_cycle_scan_objective(okr_cycle_scan_t *cs, uint64_t objective_id);
int okr_cycle_scan_key_result(okr_cycle_scan_t *cs, uint64_t key_result_id);

/* ---- the walk of a list "since" ---- */

/* What a walk makes of a record: keep it, skip it, or stop (it is older
 * than asked, and so is every record below it). */
enum { OKR_SINCE_SKIP = 0, OKR_SINCE_KEEP = 1, OKR_SINCE_STOP = 2 };

typedef struct okr_since_list {
    okr_cycle_scan_t cs;
    int64_t since;
    /* the kind's record: read one (0, OKR_E_NOT_FOUND or another code), and
     * judge it against since and the cycle */
    int (*load)(okr_store_t *s, MDB_txn *txn, uint64_t id, ProtobufCMessage **out);
    int (*judge)(okr_cycle_scan_t *cs, const ProtobufCMessage *m, int64_t since);
    ProtobufCMessage **items; /* the page, newest first */
    size_t n, limit, examined;
    size_t budget; /* records looked at before a page ends; 0: OKR_CYCLE_SCAN_BUDGET */
    uint64_t last_kept;
    uint64_t next_below; /* where the next page starts; 0: the list is done */
    int rc;
} okr_since_list_t;

/* Walks the records of kind below `below` (0: from the newest), newest
 * first, into l->items (limit of them, allocated here), and sets
 * l->next_below when there may be more: below the last record kept when
 * the page is full, below the last one looked at when OKR_CYCLE_SCAN_BUDGET
 * records were. 0 or an OKR_E_* code. okr_since_list_free frees the items,
 * their messages and the scan. */
int okr_since_list_run(okr_since_list_t *l, Okr__EntityKind kind, uint64_t below);
void okr_since_list_free(okr_since_list_t *l);

/* A list request's "since" form, whole: checks cycle_id (it exists) and
 * since (given), reads the page of kind below page.after_id into l (whose
 * load and judge are set) and fills *next_after_id. 0, or a refusal
 * recorded on r (okr_req_refuse) for okr_req_finish. */
struct okr_req;
int okr_since_list_read(struct okr_req *r, okr_since_list_t *l, Okr__EntityKind kind,
                        uint64_t cycle_id, int64_t since, const Okr__Page *page,
                        uint64_t *next_after_id);

#endif
