/* domain.h — the OKR entities in the store: records, their indexes, and the
 * change log entry every write makes.
 *
 * Records are the protocol's messages (Team, Cycle, Objective, KeyResult,
 * CheckIn, Task, Comment) keyed by big-endian id. The *_save functions take
 * the record as it was (NULL for a new one) and as it is to be, store it, and
 * move its index entries (and unique names) from the old values to the new
 * ones, so a handler never touches an index itself. They do not log changes:
 * each write calls okr_change_record once, after its last save.
 *
 * All functions take an open transaction (writes: the writer's). Returned
 * records are owned copies: free with protobuf_c_message_free_unpacked (or
 * the okr__x__free_unpacked of their type).
 */
#ifndef OKR_DOMAIN_H
#define OKR_DOMAIN_H

#include <lmdb.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "okr.pb-c.h"
#include "store.h"

#define OKR_NAME_MAX     128  /* team and cycle names, bytes */
#define OKR_TITLE_MAX    200  /* titles, bytes */
#define OKR_TEXT_MAX     4000 /* descriptions, notes, comments, bytes */
#define OKR_UNIT_MAX     32
#define OKR_PAGE_DEFAULT 100
#define OKR_PAGE_MAX     500

/* ---- records by id ---- */

/* 0, OKR_E_NOT_FOUND or OKR_E_INTERNAL. */
int okr_entity_get(okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind, uint64_t id,
                   ProtobufCMessage **out);

/* A new id for kind (1, 2, 3, ...; never reused). */
int okr_entity_new_id(okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind, uint64_t *id);

/* Typed shorthands for okr_entity_get. */
int okr_team_get(okr_store_t *s, MDB_txn *txn, uint64_t id, Okr__Team **out);
int okr_cycle_get(okr_store_t *s, MDB_txn *txn, uint64_t id, Okr__Cycle **out);
int okr_objective_get(okr_store_t *s, MDB_txn *txn, uint64_t id, Okr__Objective **out);
int okr_kr_get(okr_store_t *s, MDB_txn *txn, uint64_t id, Okr__KeyResult **out);
int okr_checkin_get(okr_store_t *s, MDB_txn *txn, uint64_t id, Okr__CheckIn **out);
int okr_task_get(okr_store_t *s, MDB_txn *txn, uint64_t id, Okr__Task **out);
int okr_comment_get(okr_store_t *s, MDB_txn *txn, uint64_t id, Okr__Comment **out);

/* Case-insensitive lookups by name: 0 with *id, or OKR_E_NOT_FOUND. */
int okr_team_find(okr_store_t *s, MDB_txn *txn, const char *name, uint64_t *id);
int okr_cycle_find(okr_store_t *s, MDB_txn *txn, const char *name, uint64_t *id);

/* ---- saving with indexes ---- */

/* Team: OKR_E_CONFLICT if another team has the name. */
int okr_team_save(okr_store_t *s, MDB_txn *txn, const Okr__Team *old, const Okr__Team *team);
/* Cycle: OKR_E_CONFLICT if another cycle has the name. */
int okr_cycle_save(okr_store_t *s, MDB_txn *txn, const Okr__Cycle *old, const Okr__Cycle *cycle);
int okr_objective_save(okr_store_t *s, MDB_txn *txn, const Okr__Objective *old,
                       const Okr__Objective *obj);
int okr_kr_save(okr_store_t *s, MDB_txn *txn, const Okr__KeyResult *old, const Okr__KeyResult *kr);
int okr_task_save(okr_store_t *s, MDB_txn *txn, const Okr__Task *old, const Okr__Task *task);
/* Check-ins and comments are append-only. */
int okr_checkin_add(okr_store_t *s, MDB_txn *txn, const Okr__CheckIn *checkin);
int okr_comment_add(okr_store_t *s, MDB_txn *txn, const Okr__Comment *comment);

/* Removal with every index entry. */
int okr_objective_delete(okr_store_t *s, MDB_txn *txn, const Okr__Objective *obj);
int okr_kr_delete(okr_store_t *s, MDB_txn *txn, const Okr__KeyResult *kr);
int okr_task_delete(okr_store_t *s, MDB_txn *txn, const Okr__Task *task);

/* ---- indexes ---- */

/* Calls fn(arg, b) for every (a, b) in idx with b > after, in ascending b,
 * until fn returns non-zero (which is then returned) or the entries end (0). */
typedef int (*okr_index_fn)(void *arg, uint64_t b);
int okr_index_each(okr_store_t *s, MDB_txn *txn, okr_db_t idx, uint64_t a, uint64_t after,
                   okr_index_fn fn, void *arg);

/* The same over every (a, b) in idx, in descending b: the newest first, ids
 * ascending with time. */
int okr_index_each_desc(okr_store_t *s, MDB_txn *txn, okr_db_t idx, uint64_t a, okr_index_fn fn,
                        void *arg);

/* 1 if (a, b) is in idx, else 0. */
int okr_index_has(okr_store_t *s, MDB_txn *txn, okr_db_t idx, uint64_t a, uint64_t b);

/* Number of entries under a. */
uint64_t okr_index_count(okr_store_t *s, MDB_txn *txn, okr_db_t idx, uint64_t a);

/* Calls fn(arg, id) for every record id of a whole entity database with
 * id > after, ascending, with the same stopping rule. */
int okr_entity_each(okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind, uint64_t after,
                    okr_index_fn fn, void *arg);

/* The same over every record id of kind below `before` (0: every one),
 * newest (highest) id first. */
int okr_entity_each_desc(okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind, uint64_t before,
                         okr_index_fn fn, void *arg);

/* ---- the change log ---- */

typedef struct okr_change_extra {
    Okr__ProgressUpdate **ancestors; /* objectives the write moved, nearest first */
    size_t n_ancestors;
    const Okr__KeyResult *key_result_after; /* for check-ins */
} okr_change_extra_t;

/* Appends the Change of one write (kind, id, op and the entity's new state,
 * which may be NULL for a delete), indexes it under the entity (and a
 * check-in also under its key result, a task and a comment under theirs), and
 * returns its seq in *seq if not NULL. extra may be NULL. */
int okr_change_record(okr_store_t *s, MDB_txn *txn, uint64_t actor_id, Okr__ChangeOp op,
                      Okr__EntityKind kind, uint64_t id, const ProtobufCMessage *entity,
                      const okr_change_extra_t *extra, uint64_t *seq);

/* Calls fn(arg, seq) for every change indexed under (kind, id) with
 * seq > after_seq, ascending; same stopping rule as okr_index_each. Read the
 * Change itself from OKR_DB_CHANGES (key: big-endian seq). */
int okr_change_each(okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind, uint64_t id,
                    uint64_t after_seq, okr_index_fn fn, void *arg);

/* ---- helpers ---- */

/* A deep copy of any message (NULL on allocation failure). */
ProtobufCMessage *okr_msg_dup(const ProtobufCMessage *m);

/* The page size a Page asks for: default when 0, capped at OKR_PAGE_MAX. */
uint32_t okr_page_limit(const Okr__Page *page);

/* page->after_id, or 0 when page is NULL. */
uint64_t okr_page_after(const Okr__Page *page);

#endif
