/* handle_import.c — an import (protocol 1.6): a whole plan of objectives,
 * key results and first check-ins created as one write, all or nothing.
 *
 * Each item is created by the very code of its own request (creates.h), so
 * it is checked, authorised, saved, indexed, rolled up and logged (one
 * Change each, which is what live clients receive) exactly as okr obj add,
 * okr kr add and okr checkin would; only here they share one transaction.
 * The first refusal rolls the whole of it back, and the reply names the item
 * in the message ("key result 7 of the import: ...", counting from 1) and in
 * ImportResult.refused_kind and refused_index.
 *
 * Decisions:
 *   - What the request says about itself (indexes, the order of parents,
 *     item counts, each item's own fields) is checked on the loop thread,
 *     before the write, so that a malformed import never holds the writer.
 *   - Objectives first (in request order, so a parent is created before its
 *     children), then every key result, then the check-ins: a key result may
 *     be linked to any objective of the import, and a check-in rolls up
 *     through objectives that all exist by then.
 *   - The number of objectives and key results is bounded by
 *     max_import_items: the writer thread, and with it every other write, is
 *     busy for the whole import.
 *   - Its changes reach subscribers as one commit group's (pubsub.c: each
 *     connection corked for the group, then its slow-reader queue): 10,000
 *     rows make 18,000 changes; beyond out_queue_soft a key result's create
 *     event gives way to its check-in's, which carries the key result as it
 *     is after it, and an organisation-wide subscriber stays under
 *     out_queue_max (bench/import-rows: no reader is cut).
 */
#include <stdio.h>
#include <stdlib.h>

#include "creates.h"
#include "okr_error.h"
#include "protocol.h"
#include "request.h"

/* The ids made so far, per item of the request; kept on the request so
 * that apply() needs no allocation for them (and may run twice). */
typedef struct import_state {
    uint64_t *obj_ids;
    uint64_t *kr_ids;
} import_state_t;

static void import__state_free(void *p)
{
    import_state_t *st = p;
    free(st->obj_ids);
    free(st->kr_ids);
    free(st);
}

/* ---- checks on the loop thread ---- */

/* One objective: 0, or OKR_E_BAD_REQUEST with why in msg. */
static int import__check_objective(const Okr__ImportRequest *in, size_t i, char *msg, size_t len)
{
    const Okr__ImportObjective *io = in->objectives[i];
    if (!io->objective) {
        snprintf(msg, len, "objective is missing");
        return OKR_E_BAD_REQUEST;
    }
    if (io->objective->cycle_id && io->objective->cycle_id != in->cycle_id) {
        snprintf(msg, len, "its cycle_id must be 0 or the import's, %llu",
                 (unsigned long long)in->cycle_id);
        return OKR_E_BAD_REQUEST;
    }
    if (io->has_parent_index && io->objective->parent_id) {
        snprintf(msg, len, "set parent_id or parent_index, not both");
        return OKR_E_BAD_REQUEST;
    }
    if (io->has_parent_index && io->parent_index >= i) {
        snprintf(msg, len,
                 "its parent (objective %u) is not an earlier objective of the import: parents "
                 "come before their children",
                 io->parent_index + 1);
        return OKR_E_BAD_REQUEST;
    }
    Okr__Objective o = *io->objective;
    o.cycle_id = in->cycle_id;
    return okr_objective_check_new(&o, msg, len);
}

/* One key result and its check-in: 0, or OKR_E_BAD_REQUEST with why. */
static int import__check_key_result(const Okr__ImportRequest *in, size_t j, char *msg, size_t len)
{
    const Okr__ImportKeyResult *ik = in->key_results[j];
    if (!ik->key_result) {
        snprintf(msg, len, "key_result is missing");
        return OKR_E_BAD_REQUEST;
    }
    if (ik->key_result->objective_id || ik->key_result->linked_objective_id) {
        snprintf(msg, len,
                 "objective_id and linked_objective_id must be 0: an import names its "
                 "objectives by index");
        return OKR_E_BAD_REQUEST;
    }
    if (ik->objective_index >= in->n_objectives) {
        snprintf(msg, len, "its objective_index %u is not an objective of the import (it has %zu)",
                 ik->objective_index, in->n_objectives);
        return OKR_E_BAD_REQUEST;
    }
    if (ik->has_linked_index) {
        if (ik->linked_index >= in->n_objectives) {
            snprintf(msg, len, "its linked_index %u is not an objective of the import (it has %zu)",
                     ik->linked_index, in->n_objectives);
            return OKR_E_BAD_REQUEST;
        }
        const Okr__ImportObjective *linked = in->objectives[ik->linked_index];
        if (!linked->has_parent_index || linked->parent_index != ik->objective_index) {
            snprintf(msg, len,
                     "it is linked to objective %u of the import, which is not aligned under "
                     "its own objective %u: a key result takes the progress of a child objective",
                     ik->linked_index + 1, ik->objective_index + 1);
            return OKR_E_BAD_REQUEST;
        }
    }
    int rc = okr_key_result_check_new(ik->key_result, msg, len);
    if (rc != 0 || !ik->checkin)
        return rc;
    if (ik->checkin->key_result_id) {
        snprintf(msg, len, "its check-in's key_result_id must be 0 (it is this key result)");
        return OKR_E_BAD_REQUEST;
    }
    if ((rc = okr_checkin_check_request(ik->checkin, msg, len)) != 0)
        return rc;
    if (ik->has_linked_index) {
        snprintf(msg, len, "a linked key result takes its objective's progress: no check-in");
        return OKR_E_BAD_REQUEST;
    }
    return 0;
}

/* ---- the write ---- */

/* Names the refused item in the refusal's message and in the result. */
static int import__refused(okr_req_t *r, int err, Okr__EntityKind kind, size_t index)
{
    const char *what = kind == OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE ? "objective"
                       : kind == OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT
                           ? "key result"
                           : "the check-in of key result";
    char why[sizeof r->error];
    snprintf(why, sizeof why, "%s", r->error[0] ? r->error : okr_strerror(err));
    okr_req_refuse(r, err, "%s %zu of the import: %s", what, index + 1, why);
    Okr__ImportResult res = OKR__IMPORT_RESULT__INIT;
    res.refused_kind = kind;
    res.refused_index = (uint32_t)index;
    okr_req_set_result(r, OKR__RESPONSE__RESULT_IMPORT_PLAN, &res.base);
    return err;
}

static int import__objectives(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t *ids)
{
    const Okr__ImportRequest *in = r->msg->import_plan;
    for (size_t i = 0; i < in->n_objectives; i++) {
        const Okr__ImportObjective *io = in->objectives[i];
        Okr__Objective o = *io->objective; /* shallow: its strings stay the request's */
        o.cycle_id = in->cycle_id;
        if (io->has_parent_index)
            o.parent_id = ids[io->parent_index];
        Okr__Objective *made;
        int rc = okr_objective_create(r, s, txn, &o, &made);
        if (rc != 0)
            return import__refused(r, rc, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, i);
        ids[i] = made->id;
        okr__objective__free_unpacked(made, NULL);
    }
    return 0;
}

static int import__key_results(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const uint64_t *obj_ids,
                               uint64_t *ids)
{
    const Okr__ImportRequest *in = r->msg->import_plan;
    for (size_t j = 0; j < in->n_key_results; j++) {
        const Okr__ImportKeyResult *ik = in->key_results[j];
        Okr__KeyResult k = *ik->key_result;
        k.objective_id = obj_ids[ik->objective_index];
        k.linked_objective_id = ik->has_linked_index ? obj_ids[ik->linked_index] : 0;
        Okr__KeyResult *made;
        int rc = okr_key_result_create(r, s, txn, &k, &made);
        if (rc != 0)
            return import__refused(r, rc, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, j);
        ids[j] = made->id;
        okr__key_result__free_unpacked(made, NULL);
    }
    return 0;
}

/* The check-ins; *n counts them. */
static int import__checkins(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const uint64_t *kr_ids,
                            uint32_t *n)
{
    const Okr__ImportRequest *in = r->msg->import_plan;
    *n = 0;
    for (size_t j = 0; j < in->n_key_results; j++) {
        if (!in->key_results[j]->checkin)
            continue;
        Okr__CheckInRequest ci = *in->key_results[j]->checkin;
        ci.key_result_id = kr_ids[j];
        okr_checkin_made_t made;
        int rc = okr_checkin_make(r, s, txn, &ci, &made);
        if (rc != 0)
            return import__refused(r, rc, OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN, j);
        okr_checkin_made_free(&made);
        (*n)++;
    }
    return 0;
}

static int import__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__ImportRequest *in = r->msg->import_plan;
    import_state_t *st = r->state;
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL); /* apply may run twice */
    r->error[0] = '\0';
    uint32_t checkins = 0;
    int rc = import__objectives(r, s, txn, st->obj_ids);
    if (rc == 0)
        rc = import__key_results(r, s, txn, st->obj_ids, st->kr_ids);
    if (rc == 0)
        rc = import__checkins(r, s, txn, st->kr_ids, &checkins);
    if (rc != 0)
        return rc;
    Okr__ImportResult res = OKR__IMPORT_RESULT__INIT;
    res.objective_ids = st->obj_ids;
    res.n_objective_ids = in->n_objectives;
    res.key_result_ids = st->kr_ids;
    res.n_key_result_ids = in->n_key_results;
    res.checkins = checkins;
    return okr_req_set_result(r, OKR__RESPONSE__RESULT_IMPORT_PLAN, &res.base);
}

/* Everything the request says about itself; 0, or r failed. */
static int import__check(okr_req_t *r, const Okr__ImportRequest *in)
{
    uint64_t max = r->srv->cfg->max_import_items;
    size_t items = in->n_objectives + in->n_key_results;
    char msg[256];
    if (in->cycle_id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "cycle_id is required: every objective is in a cycle");
        return -1;
    }
    if (in->n_objectives == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST,
                     "an import needs at least one objective (its key results go under them)");
        return -1;
    }
    if (items > max) {
        okr_req_fail(r, OKR_E_TOO_LARGE,
                     "an import may create at most %llu objectives and key results "
                     "(max_import_items); this one has %zu: split it",
                     (unsigned long long)max, items);
        return -1;
    }
    for (size_t i = 0; i < in->n_objectives; i++)
        if (import__check_objective(in, i, msg, sizeof msg) != 0) {
            okr_req_fail(r, OKR_E_BAD_REQUEST, "objective %zu of the import: %s", i + 1, msg);
            return -1;
        }
    for (size_t j = 0; j < in->n_key_results; j++)
        if (import__check_key_result(in, j, msg, sizeof msg) != 0) {
            okr_req_fail(r, OKR_E_BAD_REQUEST, "key result %zu of the import: %s", j + 1, msg);
            return -1;
        }
    return 0;
}

void okr_handle_import(okr_req_t *r)
{
    const Okr__ImportRequest *in = r->msg->import_plan;
    /* As an okrd from before 1.6 would answer (test_protocol_minor). */
    if (okr_protocol_minor(r->srv->cfg) < OKR_PROTOCOL_IMPORT) {
        okr_req_fail(r, OKR_E_UNSUPPORTED,
                     "this server does not know that operation (is the client newer?)");
        return;
    }
    if (import__check(r, in) != 0)
        return;
    import_state_t *st = calloc(1, sizeof *st);
    if (st) {
        st->obj_ids = calloc(in->n_objectives, sizeof *st->obj_ids);
        st->kr_ids = calloc(in->n_key_results + 1, sizeof *st->kr_ids);
    }
    if (!st || !st->obj_ids || !st->kr_ids) {
        if (st)
            import__state_free(st);
        okr_req_fail(r, OKR_E_NOMEM, "out of memory for an import of %zu objectives",
                     in->n_objectives);
        return;
    }
    r->state = st;
    r->state_free = import__state_free;
    okr_req_submit_write(r, import__apply, okr_req_write_done);
}
