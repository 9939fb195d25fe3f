/* handle_key_result.c — key results: create, update, get, list and delete.
 *
 * A key result lives and dies with what its objective allows: the caller must
 * be able to read the objective (else the key result does not exist for
 * them), and writes need an open cycle and a live objective. Every write
 * recomputes the key result's progress and rolls its objective up.
 *
 * Decisions worth knowing:
 *   - Update: metric 0 and owner 0 keep what the key result has.
 *   - Delete removes a key result for good only when it has no history
 *     (check-ins, tasks, comments); otherwise it is archived, so the history
 *     keeps its subject. Either way it stops counting for its objective.
 *     Delete names the version it read; 0 means "do not check".
 *   - Lists leave archived key results out (get still shows one by id).
 *   - An objective holds at most max_key_results_per_objective live key
 *     results: every check-in rolls all of them up, and its page carries
 *     them all, so the count must stay small (the practice is 3-5).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "clock.h"
#include "creates.h"
#include "domain.h"
#include "okr_error.h"
#include "request.h"
#include "rollup.h"
#include "users.h"
#include "validate.h"

#define ULL(x) ((unsigned long long)(x))

/* ---- helpers ---- */

/* A key result's figures as the rules want them: a boolean is 0 -> 1, and a
 * weight of 0 means 1. */
static void kr__normalise(Okr__KeyResult *kr)
{
    if (kr->metric == OKR__METRIC__METRIC_BOOLEAN) {
        kr->start = 0;
        kr->target = 1;
    }
    if (kr->weight == 0)
        kr->weight = 1;
}

/* Checks the request's own fields (create and update): 0, or
 * OKR_E_BAD_REQUEST with why in msg. */
static int kr__check_fields(const Okr__KeyResult *in, char *msg, size_t len)
{
    if (okr_check_string("title", in->title, 1, OKR_TITLE_MAX, msg, len) ||
        okr_check_string("unit", in->unit, 0, OKR_UNIT_MAX, msg, len) ||
        okr_check_finite("start", in->start, msg, len) ||
        okr_check_finite("target", in->target, msg, len) ||
        okr_check_finite("weight", in->weight, msg, len))
        return OKR_E_BAD_REQUEST;
    const char *why = NULL;
    if ((unsigned)in->metric > OKR__METRIC__METRIC_BOOLEAN)
        why = "metric must be number, percent, currency or boolean";
    else if (in->weight < 0)
        why = "weight must be positive (0 means 1)";
    else if (in->metric != OKR__METRIC__METRIC_BOOLEAN && in->metric != 0 &&
             in->target == in->start)
        why = "target equals start: a key result must be measurable";
    if (!why)
        return 0;
    snprintf(msg, len, "%s", why);
    return OKR_E_BAD_REQUEST;
}

int okr_key_result_check_new(const Okr__KeyResult *in, char *msg, size_t len)
{
    int rc = kr__check_fields(in, msg, len);
    if (rc == 0 && in->metric == 0 && in->target == in->start) { /* metric 0 means number */
        snprintf(msg, len, "target equals start: a key result must be measurable");
        rc = OKR_E_BAD_REQUEST;
    }
    return rc;
}

/* The objective of a key result, readable by the caller. kr_id names the key
 * result in the refusal (0: name the objective). Returns 0 with *obj. */
static int kr__load_objective(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t objective_id,
                              uint64_t kr_id, Okr__Objective **obj)
{
    int rc = okr_objective_get(s, txn, objective_id, obj);
    if (rc == 0 && !okr_acl_can_read_objective(s, txn, r->user, *obj)) {
        okr__objective__free_unpacked(*obj, NULL);
        rc = OKR_E_NOT_FOUND; /* what you may not read does not exist for you */
    }
    if (rc != 0) {
        *obj = NULL;
        if (rc != OKR_E_NOT_FOUND)
            return okr_req_refuse(r, rc, "cannot read objective O%llu", ULL(objective_id));
        if (kr_id)
            return okr_req_refuse(r, OKR_E_NOT_FOUND, "no key result K%llu", ULL(kr_id));
        return okr_req_refuse(r, OKR_E_NOT_FOUND, "no objective O%llu", ULL(objective_id));
    }
    return 0;
}

/* A key result and its objective, for get and the writes on an existing one. */
static int kr__load(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t id, Okr__KeyResult **kr,
                    Okr__Objective **obj)
{
    *obj = NULL;
    int rc = okr_kr_get(s, txn, id, kr);
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, OKR_E_NOT_FOUND, "no key result K%llu", ULL(id));
    if (rc != 0)
        return okr_req_refuse(r, rc, "cannot read key result K%llu", ULL(id));
    rc = kr__load_objective(r, s, txn, (*kr)->objective_id, id, obj);
    if (rc != 0) {
        okr__key_result__free_unpacked(*kr, NULL);
        *kr = NULL;
    }
    return rc;
}

/* Writes need the objective's cycle open (and, for create and update, the
 * objective not archived). */
static int kr__check_writable(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__Objective *obj,
                              int need_live)
{
    Okr__Cycle *cycle;
    int rc = okr_cycle_get(s, txn, obj->cycle_id, &cycle);
    if (rc != 0)
        return okr_req_refuse(r, rc == OKR_E_NOT_FOUND ? OKR_E_INTERNAL : rc,
                              "cannot read the cycle of O%llu", ULL(obj->id));
    if (cycle->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED)
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST,
                            "cycle %s is closed: the key results of O%llu are frozen", cycle->name,
                            ULL(obj->id));
    else if (need_live && obj->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED)
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST,
                            "O%llu is archived: restore it before changing its key results",
                            ULL(obj->id));
    okr__cycle__free_unpacked(cycle, NULL);
    return rc;
}

static int kr__check_owner(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t user_id)
{
    Okr__UserRecord *rec;
    int rc = okr_users_get(s, txn, user_id, &rec);
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST, "no user with id %llu to own the key result",
                              ULL(user_id));
    if (rc != 0)
        return okr_req_refuse(r, rc, "cannot read user %llu", ULL(user_id));
    int active = rec->user && rec->user->active;
    okr__user_record__free_unpacked(rec, NULL);
    if (!active)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                              "user %llu is deactivated and cannot own a key result", ULL(user_id));
    return 0;
}

/* A key result may take the progress of a child objective: one aligned
 * directly under its own objective (and so in the same cycle). */
static int kr__check_linked(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t linked_id,
                            const Okr__Objective *obj)
{
    Okr__Objective *linked;
    int rc = okr_objective_get(s, txn, linked_id, &linked);
    if (rc == 0 && !okr_acl_can_read_objective(s, txn, r->user, linked)) {
        okr__objective__free_unpacked(linked, NULL);
        rc = OKR_E_NOT_FOUND;
    }
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST, "no objective O%llu to link", ULL(linked_id));
    if (rc != 0)
        return okr_req_refuse(r, rc, "cannot read objective O%llu", ULL(linked_id));
    if (linked->cycle_id != obj->cycle_id)
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST,
                            "O%llu is in another cycle: a key result links to a child objective "
                            "of the same cycle",
                            ULL(linked_id));
    else if (linked->parent_id != obj->id)
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST,
                            "O%llu is not aligned under O%llu: a key result can only take the "
                            "progress of a child objective (align it first)",
                            ULL(linked_id), ULL(obj->id));
    else if (linked->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED)
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST, "O%llu is archived: link a live objective",
                            ULL(linked_id));
    okr__objective__free_unpacked(linked, NULL);
    return rc;
}

/* Rolls up the objective, reloads the key result (unless deleted) into
 * *out (the caller frees it; NULL after a delete) and records the write's
 * one Change. */
static int kr__record(okr_req_t *r, okr_store_t *s, MDB_txn *txn, Okr__ChangeOp op,
                      const Okr__KeyResult *kr, uint64_t objective_id, Okr__KeyResult **out)
{
    okr_updates_t u = {0};
    *out = NULL;
    int rc = okr_rollup(s, txn, objective_id, okr_wall_ms(), &u);
    if (rc != 0 && rc != OKR_E_FULL)
        rc = okr_req_refuse(r, rc, "cannot roll up progress from O%llu", ULL(objective_id));
    if (rc == 0 && op != OKR__CHANGE_OP__CHANGE_OP_DELETE) {
        rc = okr_kr_get(s, txn, kr->id, out);
        if (rc != 0) {
            *out = NULL;
            rc = okr_req_refuse(r, rc == OKR_E_NOT_FOUND ? OKR_E_INTERNAL : rc,
                                "key result K%llu vanished during its write", ULL(kr->id));
        }
    }
    const Okr__KeyResult *state = *out ? *out : kr;
    okr_change_extra_t extra = {.ancestors = u.items, .n_ancestors = u.n};
    if (rc == 0)
        rc = okr_change_record(s, txn, r->user->id, op, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT,
                               kr->id, &state->base, &extra, NULL);
    if (rc != 0 && *out) {
        okr__key_result__free_unpacked(*out, NULL);
        *out = NULL;
    }
    okr_updates_free(&u);
    return rc;
}

/* kr__record, and the reply's result set to the key result as it is after. */
static int kr__finish_write(okr_req_t *r, okr_store_t *s, MDB_txn *txn, Okr__ChangeOp op,
                            const Okr__KeyResult *kr, uint64_t objective_id)
{
    Okr__KeyResult *after;
    int rc = kr__record(r, s, txn, op, kr, objective_id, &after);
    if (rc == 0)
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_KEY_RESULT,
                                after ? &after->base : &kr->base);
    if (after)
        okr__key_result__free_unpacked(after, NULL);
    return rc;
}

/* Moves the objective's key_result_count by delta (a server-kept figure: no
 * version bump). */
static int kr__count(okr_store_t *s, MDB_txn *txn, Okr__Objective *obj, int delta)
{
    if (delta < 0 && obj->key_result_count == 0)
        return 0;
    obj->key_result_count = (uint32_t)((int64_t)obj->key_result_count + delta);
    return okr_objective_save(s, txn, obj, obj);
}

/* ---- create ---- */

int okr_key_result_create(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__KeyResult *in,
                          Okr__KeyResult **out)
{
    *out = NULL;
    Okr__Objective *obj;
    int rc = kr__load_objective(r, s, txn, in->objective_id, 0, &obj);
    if (rc != 0)
        return rc;
    rc = kr__check_writable(r, s, txn, obj, 1);
    if (rc == 0 && !okr_acl_can_edit_kr(s, txn, r->user, obj, NULL))
        rc = okr_req_refuse(r, OKR_E_FORBIDDEN,
                            "only O%llu's owner, a lead of its team or an admin may add key "
                            "results to it",
                            ULL(obj->id));
    uint64_t cap = r->srv->cfg->max_key_results_per_objective;
    if (rc == 0 && cap && obj->key_result_count >= cap)
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST,
                            "O%llu has %u key results, the most this server allows for one "
                            "objective (max_key_results_per_objective): an objective is best "
                            "measured by 3-5; remove one (okr kr rm) or split the objective",
                            ULL(obj->id), (unsigned)obj->key_result_count);
    int64_t now = okr_wall_ms();
    Okr__KeyResult kr = OKR__KEY_RESULT__INIT;
    kr.objective_id = obj->id;
    kr.title = in->title;
    kr.metric = in->metric ? in->metric : OKR__METRIC__METRIC_NUMBER;
    kr.unit = in->unit;
    kr.start = in->start;
    kr.target = in->target;
    kr.weight = in->weight;
    kr.owner_user_id = in->owner_user_id    ? in->owner_user_id
                       : obj->owner_user_id ? obj->owner_user_id
                                            : r->user->id;
    kr.linked_objective_id = in->linked_objective_id;
    kr.due_at = in->due_at;
    kr.version = 1;
    kr.created_at = now;
    kr.updated_at = now;
    kr__normalise(&kr);
    kr.current = kr.start;
    if (rc == 0)
        rc = kr__check_owner(r, s, txn, kr.owner_user_id);
    if (rc == 0 && kr.linked_objective_id)
        rc = kr__check_linked(r, s, txn, kr.linked_objective_id, obj);
    if (rc == 0)
        rc = okr_entity_new_id(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, &kr.id);
    if (rc == 0) {
        kr.progress = okr_rollup_kr_progress(s, txn, &kr);
        rc = okr_kr_save(s, txn, NULL, &kr);
    }
    if (rc == 0)
        rc = kr__count(s, txn, obj, +1);
    if (rc == 0)
        rc = kr__record(r, s, txn, OKR__CHANGE_OP__CHANGE_OP_CREATE, &kr, obj->id, out);
    okr__objective__free_unpacked(obj, NULL);
    return rc;
}

static int create__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL); /* apply may run twice */
    Okr__KeyResult *kr;
    int rc = okr_key_result_create(r, s, txn, r->msg->key_result_create->key_result, &kr);
    if (rc == 0) {
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_KEY_RESULT, &kr->base);
        okr__key_result__free_unpacked(kr, NULL);
    }
    return rc;
}

void okr_handle_key_result_create(okr_req_t *r)
{
    const Okr__KeyResult *in = r->msg->key_result_create->key_result;
    if (!in) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "key_result is missing");
        return;
    }
    if (in->objective_id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "objective_id is required");
        return;
    }
    char msg[256];
    if (okr_key_result_check_new(in, msg, sizeof msg) != 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return;
    }
    okr_req_submit_write(r, create__apply, okr_req_write_done);
}

/* ---- update ---- */

static int update__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__KeyResult *in = r->msg->key_result_update->key_result;
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL);
    Okr__KeyResult *cur;
    Okr__Objective *obj;
    int rc = kr__load(r, s, txn, in->id, &cur, &obj);
    if (rc != 0)
        return rc;
    if (!okr_acl_can_edit_kr(s, txn, r->user, obj, cur))
        rc = okr_req_refuse(r, OKR_E_FORBIDDEN,
                            "only K%llu's owner, O%llu's owner, a lead of its team or an admin "
                            "may change it",
                            ULL(cur->id), ULL(obj->id));
    if (rc == 0 && in->version != cur->version) {
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_KEY_RESULT, &cur->base);
        if (rc == 0)
            rc = okr_req_refuse(r, OKR_E_CONFLICT,
                                "K%llu was changed by someone else (version %llu, you had %llu); "
                                "reload and retry",
                                ULL(cur->id), ULL(cur->version), ULL(in->version));
    }
    if (rc == 0)
        rc = kr__check_writable(r, s, txn, obj, 1);
    if (rc == 0 && cur->archived)
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST, "K%llu is archived", ULL(cur->id));

    /* A shallow copy: its strings belong to cur or to the request. */
    Okr__KeyResult next = *cur;
    next.title = in->title;
    if (in->metric)
        next.metric = in->metric;
    next.unit = in->unit;
    next.start = in->start;
    next.target = in->target;
    next.weight = in->weight;
    if (in->owner_user_id)
        next.owner_user_id = in->owner_user_id;
    next.linked_objective_id = in->linked_objective_id;
    next.due_at = in->due_at;
    next.version = cur->version + 1;
    next.updated_at = okr_wall_ms();
    kr__normalise(&next);
    if (rc == 0 && next.target == next.start)
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST,
                            "target equals start: a key result must be measurable");
    if (rc == 0 && next.owner_user_id != cur->owner_user_id)
        rc = kr__check_owner(r, s, txn, next.owner_user_id);
    if (rc == 0 && next.linked_objective_id && next.linked_objective_id != cur->linked_objective_id)
        rc = kr__check_linked(r, s, txn, next.linked_objective_id, obj);
    if (rc == 0) {
        next.progress = okr_rollup_kr_progress(s, txn, &next);
        rc = okr_kr_save(s, txn, cur, &next);
    }
    if (rc == 0)
        rc = kr__finish_write(r, s, txn, OKR__CHANGE_OP__CHANGE_OP_UPDATE, &next, obj->id);
    okr__objective__free_unpacked(obj, NULL);
    okr__key_result__free_unpacked(cur, NULL);
    return rc;
}

void okr_handle_key_result_update(okr_req_t *r)
{
    const Okr__KeyResult *in = r->msg->key_result_update->key_result;
    if (!in) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "key_result is missing");
        return;
    }
    if (in->id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "key_result.id is required");
        return;
    }
    if (in->version == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST,
                     "key_result.version is required: send the version you read");
        return;
    }
    char msg[256];
    if (kr__check_fields(in, msg, sizeof msg) != 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return;
    }
    okr_req_submit_write(r, update__apply, okr_req_write_done);
}

/* ---- get ---- */

void okr_handle_key_result_get(okr_req_t *r)
{
    const Okr__KeyResultGetRequest *in = r->msg->key_result_get;
    okr_store_t *s = r->srv->store;
    if (in->id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "id is required");
        return;
    }
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    Okr__KeyResult *kr = NULL;
    Okr__Objective *obj = NULL;
    int rc = kr__load(r, s, txn, in->id, &kr, &obj);
    okr_store_read_end(s, txn);
    if (rc == 0)
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_KEY_RESULT, &kr->base);
    if (kr)
        okr__key_result__free_unpacked(kr, NULL);
    if (obj)
        okr__objective__free_unpacked(obj, NULL);
    okr_req_finish(r, rc);
}

/* ---- list (by objective or by owner; paged by key result id) ---- */

typedef struct list_ctx {
    okr_req_t *r;
    okr_store_t *s;
    MDB_txn *txn;
    Okr__KeyResult **items;
    size_t n, limit;
    uint64_t next_after;
    uint64_t seen_objective; /* the last objective checked, and whether readable */
    int seen_readable;
    int rc;
} list_ctx_t;

static int list__readable(list_ctx_t *l, uint64_t objective_id)
{
    if (objective_id == l->seen_objective)
        return l->seen_readable;
    Okr__Objective *obj;
    int readable = 0;
    if (okr_objective_get(l->s, l->txn, objective_id, &obj) == 0) {
        readable = okr_acl_can_read_objective(l->s, l->txn, l->r->user, obj);
        okr__objective__free_unpacked(obj, NULL);
    }
    l->seen_objective = objective_id;
    l->seen_readable = readable;
    return readable;
}

static int list__on_kr(void *arg, uint64_t id)
{
    list_ctx_t *l = arg;
    Okr__KeyResult *kr;
    int rc = okr_kr_get(l->s, l->txn, id, &kr);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc != 0) {
        l->rc = rc;
        return 1;
    }
    if (kr->archived || !list__readable(l, kr->objective_id)) {
        okr__key_result__free_unpacked(kr, NULL);
        return 0;
    }
    if (l->n == l->limit) {
        okr__key_result__free_unpacked(kr, NULL);
        l->next_after = l->items[l->n - 1]->id;
        return 1; /* one more exists: this page is full */
    }
    l->items[l->n++] = kr;
    return 0;
}

void okr_handle_key_result_list(okr_req_t *r)
{
    const Okr__KeyResultListRequest *in = r->msg->key_result_list;
    okr_store_t *s = r->srv->store;
    if ((in->objective_id == 0) == (in->owner_user_id == 0)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "name exactly one objective or one owner");
        return;
    }
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    list_ctx_t l = {.r = r, .s = s, .txn = txn, .limit = okr_page_limit(in->page)};
    int rc = 0;
    if (in->objective_id) {
        Okr__Objective *obj;
        rc = kr__load_objective(r, s, txn, in->objective_id, 0, &obj);
        if (rc == 0)
            okr__objective__free_unpacked(obj, NULL);
    }
    if (rc == 0) {
        l.items = calloc(l.limit, sizeof *l.items);
        rc = l.items ? 0 : okr_req_refuse(r, OKR_E_INTERNAL, "out of memory");
    }
    if (rc == 0) {
        okr_db_t idx = in->objective_id ? OKR_DB_IDX_OBJECTIVE_KRS : OKR_DB_IDX_USER_KRS;
        uint64_t key = in->objective_id ? in->objective_id : in->owner_user_id;
        okr_index_each(s, txn, idx, key, okr_page_after(in->page), list__on_kr, &l);
        rc = l.rc ? okr_req_refuse(r, OKR_E_INTERNAL, "cannot list key results") : 0;
    }
    okr_store_read_end(s, txn);
    if (rc == 0) {
        Okr__KeyResultList list = OKR__KEY_RESULT_LIST__INIT;
        list.key_results = l.items;
        list.n_key_results = l.n;
        list.next_after_id = l.next_after;
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_KEY_RESULT_LIST, &list.base);
    }
    for (size_t i = 0; i < l.n; i++)
        okr__key_result__free_unpacked(l.items[i], NULL);
    free(l.items);
    okr_req_finish(r, rc);
}

/* ---- delete (or archive, when it has a history) ---- */

static int kr__has_history(okr_store_t *s, MDB_txn *txn, uint64_t id)
{
    return okr_index_count(s, txn, OKR_DB_IDX_KR_CHECKINS, id) > 0 ||
           okr_index_count(s, txn, OKR_DB_IDX_KR_TASKS, id) > 0 ||
           okr_index_count(s, txn, OKR_DB_IDX_KR_COMMENTS, id) > 0;
}

static int delete__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__KeyResultDeleteRequest *in = r->msg->key_result_delete;
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL);
    Okr__KeyResult *cur;
    Okr__Objective *obj;
    int rc = kr__load(r, s, txn, in->id, &cur, &obj);
    if (rc != 0)
        return rc;
    if (!okr_acl_can_edit_kr(s, txn, r->user, obj, cur))
        rc = okr_req_refuse(r, OKR_E_FORBIDDEN,
                            "only K%llu's owner, O%llu's owner, a lead of its team or an admin "
                            "may delete it",
                            ULL(cur->id), ULL(obj->id));
    if (rc == 0 && in->version && in->version != cur->version) {
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_KEY_RESULT, &cur->base);
        if (rc == 0)
            rc = okr_req_refuse(r, OKR_E_CONFLICT,
                                "K%llu was changed by someone else (version %llu, you had %llu); "
                                "reload and retry",
                                ULL(cur->id), ULL(cur->version), ULL(in->version));
    }
    if (rc == 0)
        rc = kr__check_writable(r, s, txn, obj, 0);
    if (rc == 0 && cur->archived)
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST, "K%llu is already archived", ULL(cur->id));
    Okr__KeyResult next = *cur;
    Okr__ChangeOp op = OKR__CHANGE_OP__CHANGE_OP_DELETE;
    if (rc == 0 && kr__has_history(s, txn, cur->id)) {
        op = OKR__CHANGE_OP__CHANGE_OP_ARCHIVE;
        next.archived = 1;
        next.version = cur->version + 1;
        next.updated_at = okr_wall_ms();
        rc = okr_kr_save(s, txn, cur, &next);
    } else if (rc == 0) {
        rc = okr_kr_delete(s, txn, cur);
    }
    if (rc == 0)
        rc = kr__count(s, txn, obj, -1);
    if (rc == 0)
        rc = kr__finish_write(r, s, txn, op, &next, obj->id);
    okr__objective__free_unpacked(obj, NULL);
    okr__key_result__free_unpacked(cur, NULL);
    return rc;
}

void okr_handle_key_result_delete(okr_req_t *r)
{
    if (r->msg->key_result_delete->id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "id is required");
        return;
    }
    okr_req_submit_write(r, delete__apply, okr_req_write_done);
}
