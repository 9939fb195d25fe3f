/* handle_cycle.c — OKR cycles (e.g. "2026-Q1"): planning -> active -> closed.
 * Admins write (dispatch checks the role); every logged-in user may read.
 *
 * Closing a cycle freezes it: every objective that is not archived gets its
 * score (its progress, unless a score was set by hand) and state CLOSED, and
 * the cycle refuses any further update. Starting a cycle from a previous one
 * copies the chosen objectives with their key results, reset to their start.
 *
 * Decisions where the contract is silent:
 *   - start_at and end_at are required (> 0) and end_at >= start_at; any
 *     length is accepted (DESIGN: 3-6 months is usual, not a rule);
 *   - cycle_update with state UNSPECIFIED keeps the current state; new
 *     dates recompute the status of the cycle's objectives (the pace moved)
 *     in the same write, its Change carrying those that moved;
 *   - closing stores the objectives' new state and score with version + 1
 *     (an editor holding the old version must reload: the state changed);
 *   - start_from: objective_ids may be empty (a new cycle only) and may list
 *     an id twice (copied once); copied key results lose their due date
 *     (it fell in the old cycle: 0 means the new cycle's end), their
 *     confidence and check-in time; archived key results are not copied. */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "domain.h"
#include "log.h"
#include "okr_error.h"
#include "progress.h"
#include "handle_named.h"
#include "request.h"
#include "rollup.h"
#include "validate.h"

/* The most objectives one start_from copies (one transaction). */
#define CYCLE_COPY_MAX 1000

/* Clears what an earlier run of apply left (the writer may run it twice). */
static void cycle__reset(okr_req_t *r)
{
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL);
}

/* Name and dates of a new or updated cycle; 0 or a failed request. */
static int cycle__check_fields(okr_req_t *r, const char *name, int64_t start_at, int64_t end_at)
{
    char msg[256];
    if (okr_check_string("name", name, 1, OKR_NAME_MAX, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return -1;
    }
    if (start_at <= 0 || end_at <= 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST,
                     "start_at and end_at are required (milliseconds since the Unix epoch)");
        return -1;
    }
    if (end_at < start_at) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "end_at must not be before start_at");
        return -1;
    }
    return 0;
}

static int cycle__load(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t id, Okr__Cycle **out)
{
    int rc = okr_cycle_get(s, txn, id, out);
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, rc, "no cycle #%llu", (unsigned long long)id);
    if (rc != 0)
        return okr_req_refuse(r, OKR_E_INTERNAL, "cannot read cycle #%llu", (unsigned long long)id);
    return 0;
}

static int cycle__save(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__Cycle *old,
                       const Okr__Cycle *cycle)
{
    int rc = okr_cycle_save(s, txn, old, cycle);
    if (rc == OKR_E_CONFLICT)
        return okr_req_refuse(r, rc, "a cycle named \"%s\" already exists", cycle->name);
    return rc;
}

/* A stale version: the current state goes back with CONFLICT. */
static int cycle__conflict(okr_req_t *r, const Okr__Cycle *cur, uint64_t had)
{
    int rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_CYCLE, &cur->base);
    if (rc != 0)
        return rc;
    return okr_req_refuse(r, OKR_E_CONFLICT,
                          "cycle \"%s\" was changed by someone else (version %llu, you had %llu); "
                          "reload and retry",
                          cur->name, (unsigned long long)cur->version, (unsigned long long)had);
}

/* A new cycle in PLANNING, saved (not yet logged). */
static int cycle__insert(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const char *name,
                         int64_t start_at, int64_t end_at, Okr__Cycle *c)
{
    okr__cycle__init(c);
    c->name = (char *)name;
    c->start_at = start_at;
    c->end_at = end_at;
    c->state = OKR__CYCLE_STATE__CYCLE_STATE_PLANNING;
    c->version = 1;
    c->created_at = c->updated_at = okr_wall_ms();
    int rc = okr_entity_new_id(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, &c->id);
    return rc ? rc : cycle__save(r, s, txn, NULL, c);
}

/* ---- create ---- */

static int create__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__CycleCreateRequest *in = r->msg->cycle_create;
    cycle__reset(r);
    Okr__Cycle c;
    int rc = cycle__insert(r, s, txn, in->name, in->start_at, in->end_at, &c);
    if (rc == 0)
        rc = okr_change_record(s, txn, r->user->id, OKR__CHANGE_OP__CHANGE_OP_CREATE,
                               OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, c.id, &c.base, NULL, NULL);
    if (rc == 0)
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_CYCLE, &c.base);
    return rc;
}

void okr_handle_cycle_create(okr_req_t *r)
{
    const Okr__CycleCreateRequest *in = r->msg->cycle_create;
    if (cycle__check_fields(r, in->name, in->start_at, in->end_at) != 0)
        return;
    okr_req_submit_write(r, create__apply, okr_req_write_done);
}

/* ---- update ---- */

static int update__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__Cycle *in = r->msg->cycle_update->cycle;
    cycle__reset(r);
    Okr__Cycle *old;
    int rc = cycle__load(r, s, txn, in->id, &old);
    if (rc != 0)
        return rc;
    if (old->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED) {
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_CYCLE, &old->base);
        if (rc == 0)
            rc = okr_req_refuse(r, OKR_E_BAD_REQUEST,
                                "cycle \"%s\" is closed: it and its scores are frozen", old->name);
    } else if (in->version != old->version) {
        rc = cycle__conflict(r, old, in->version);
    } else {
        Okr__Cycle c = *old; /* borrows old's strings but the name */
        c.name = in->name;
        c.start_at = in->start_at;
        c.end_at = in->end_at;
        if (in->state != OKR__CYCLE_STATE__CYCLE_STATE_UNSPECIFIED)
            c.state = in->state;
        c.version = old->version + 1;
        c.updated_at = okr_wall_ms();
        rc = cycle__save(r, s, txn, old, &c);
        /* New dates move the pace, and with it its objectives' status: the
         * change carries those that moved, for the live views. */
        okr_updates_t ups = {0};
        if (rc == 0 && (c.start_at != old->start_at || c.end_at != old->end_at))
            rc = okr_rollup_cycle(s, txn, c.id, c.updated_at, &ups);
        okr_change_extra_t extra = {.ancestors = ups.items, .n_ancestors = ups.n};
        if (rc == 0)
            rc =
                okr_change_record(s, txn, r->user->id, OKR__CHANGE_OP__CHANGE_OP_UPDATE,
                                  OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, c.id, &c.base, &extra, NULL);
        okr_updates_free(&ups);
        if (rc == 0)
            rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_CYCLE, &c.base);
    }
    okr__cycle__free_unpacked(old, NULL);
    return rc;
}

void okr_handle_cycle_update(okr_req_t *r)
{
    const Okr__Cycle *in = r->msg->cycle_update->cycle;
    if (!in || in->id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "cycle (with its id and version) is missing");
        return;
    }
    if (cycle__check_fields(r, in->name, in->start_at, in->end_at) != 0)
        return;
    if (in->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED) {
        okr_req_fail(r, OKR_E_BAD_REQUEST,
                     "a cycle is closed with cycle close (which scores its objectives), "
                     "not by an update");
        return;
    }
    if (in->state != OKR__CYCLE_STATE__CYCLE_STATE_UNSPECIFIED &&
        in->state != OKR__CYCLE_STATE__CYCLE_STATE_PLANNING &&
        in->state != OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "state must be planning or active");
        return;
    }
    okr_req_submit_write(r, update__apply, okr_req_write_done);
}

/* ---- get ---- */

void okr_handle_cycle_get(okr_req_t *r)
{
    const Okr__CycleGetRequest *in = r->msg->cycle_get;
    okr_reply_named(r, OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, in->id, in->name);
}

/* ---- list (every cycle by id, closed ones on request) ---- */

typedef struct list_ctx {
    okr_store_t *s;
    MDB_txn *txn;
    int include_closed;
    Okr__Cycle **items;
    size_t n, limit;
    uint64_t next_after;
    int rc;
} list_ctx_t;

static int list__on_cycle(void *arg, uint64_t id)
{
    list_ctx_t *l = arg;
    Okr__Cycle *c;
    int rc = okr_cycle_get(l->s, l->txn, id, &c);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc != 0) {
        l->rc = rc;
        return 1;
    }
    if (c->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED && !l->include_closed) {
        okr__cycle__free_unpacked(c, NULL);
        return 0;
    }
    if (l->n == l->limit) {
        okr__cycle__free_unpacked(c, NULL);
        l->next_after = l->items[l->n - 1]->id;
        return 1; /* one more exists: this page is full */
    }
    l->items[l->n++] = c;
    return 0;
}

void okr_handle_cycle_list(okr_req_t *r)
{
    const Okr__CycleListRequest *in = r->msg->cycle_list;
    okr_store_t *s = r->srv->store;
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    list_ctx_t l = {.s = s,
                    .txn = txn,
                    .include_closed = in->include_closed,
                    .limit = okr_page_limit(in->page)};
    l.items = calloc(l.limit, sizeof *l.items);
    int rc = l.items ? 0 : okr_req_refuse(r, OKR_E_INTERNAL, "out of memory");
    if (rc == 0) {
        okr_entity_each(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, okr_page_after(in->page),
                        list__on_cycle, &l);
        rc = l.rc;
    }
    okr_store_read_end(s, txn);
    if (rc == 0) {
        Okr__CycleList list = OKR__CYCLE_LIST__INIT;
        list.cycles = l.items;
        list.n_cycles = l.n;
        list.next_after_id = l.next_after;
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_CYCLE_LIST, &list.base);
    }
    for (size_t i = 0; i < l.n; i++)
        okr__cycle__free_unpacked(l.items[i], NULL);
    free(l.items);
    okr_req_finish(r, rc);
}

/* ---- objective ids of a cycle, collected before the records change ---- */

typedef struct ids {
    uint64_t *v;
    size_t n, cap;
} ids_t;

static int ids__push(void *arg, uint64_t id)
{
    ids_t *a = arg;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        void *grown = realloc(a->v, cap * sizeof *a->v);
        if (!grown)
            return OKR_E_NOMEM;
        a->v = grown;
        a->cap = cap;
    }
    a->v[a->n++] = id;
    return 0;
}

/* ---- close ---- */

/* Scores one objective of the closing cycle; *scored is bumped if it was. */
static int close__objective(okr_store_t *s, MDB_txn *txn, uint64_t id, int64_t now,
                            uint32_t *scored)
{
    Okr__Objective *obj;
    int rc = okr_objective_get(s, txn, id, &obj);
    if (rc != 0)
        return rc == OKR_E_NOT_FOUND ? 0 : rc;
    if (obj->state != OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED) {
        Okr__Objective o = *obj;
        if (!o.score_overridden)
            o.score = okr_clamp01(o.progress);
        o.state = OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED;
        o.version = obj->version + 1;
        o.updated_at = now;
        rc = okr_objective_save(s, txn, obj, &o);
        if (rc == 0)
            ++*scored;
    }
    okr__objective__free_unpacked(obj, NULL);
    return rc;
}

static int close__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__CycleCloseRequest *in = r->msg->cycle_close;
    cycle__reset(r);
    Okr__Cycle *old;
    int rc = cycle__load(r, s, txn, in->id, &old);
    if (rc != 0)
        return rc;
    ids_t objs = {0};
    uint32_t scored = 0;
    int64_t now = okr_wall_ms();
    if (old->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED) {
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_CYCLE, &old->base);
        if (rc == 0)
            rc = okr_req_refuse(r, OKR_E_BAD_REQUEST, "cycle \"%s\" is already closed", old->name);
    } else if (in->version != old->version) {
        rc = cycle__conflict(r, old, in->version);
    } else {
        rc = okr_index_each(s, txn, OKR_DB_IDX_CYCLE_OBJECTIVES, old->id, 0, ids__push, &objs);
        for (size_t i = 0; rc == 0 && i < objs.n; i++)
            rc = close__objective(s, txn, objs.v[i], now, &scored);
        Okr__Cycle c = *old;
        c.state = OKR__CYCLE_STATE__CYCLE_STATE_CLOSED;
        c.closed_at = now;
        c.version = old->version + 1;
        c.updated_at = now;
        if (rc == 0)
            rc = cycle__save(r, s, txn, old, &c);
        if (rc == 0)
            rc = okr_change_record(s, txn, r->user->id, OKR__CHANGE_OP__CHANGE_OP_CLOSE,
                                   OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, c.id, &c.base, NULL, NULL);
        if (rc == 0) {
            Okr__CycleCloseResult res = OKR__CYCLE_CLOSE_RESULT__INIT;
            res.cycle = &c;
            res.objectives_scored = scored;
            rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_CYCLE_CLOSE, &res.base);
        }
    }
    free(objs.v);
    okr__cycle__free_unpacked(old, NULL);
    return rc;
}

/* Logs the close once it is durable (apply may run twice, or be rolled back). */
static void close__done(okr_write_t *w, int status)
{
    okr_req_t *r = okr_req_of_write(w);
    if (status == 0 && r->result_case == OKR__RESPONSE__RESULT_CYCLE_CLOSE) {
        const Okr__CycleCloseResult *res = (const Okr__CycleCloseResult *)r->result;
        okr_info("cycle %s closed: %u objectives scored", res->cycle->name,
                 (unsigned)res->objectives_scored);
    }
    okr_req_finish(r, status);
}

void okr_handle_cycle_close(okr_req_t *r)
{
    if (r->msg->cycle_close->id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "id of the cycle to close is missing");
        return;
    }
    okr_req_submit_write(r, close__apply, close__done);
}

/* ---- start from a previous cycle ---- */

/* The objectives being copied: source ids (deduplicated, in request order)
 * and the ids of their copies. */
typedef struct copy_map {
    uint64_t *from, *to;
    size_t n;
} copy_map_t;

static uint64_t copy__mapped(const copy_map_t *m, uint64_t from)
{
    for (size_t i = 0; from != 0 && i < m->n; i++)
        if (m->from[i] == from)
            return m->to[i];
    return 0;
}

typedef struct copy_ctx {
    okr_store_t *s;
    MDB_txn *txn;
    const copy_map_t *map;
    uint64_t objective_id; /* the copy the key results go to */
    int64_t now;
    uint32_t copied;
    int rc;
} copy_ctx_t;

static int copy__on_kr(void *arg, uint64_t id)
{
    copy_ctx_t *c = arg;
    Okr__KeyResult *kr;
    int rc = okr_kr_get(c->s, c->txn, id, &kr);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc == 0 && !kr->archived) {
        Okr__KeyResult k = *kr; /* borrows kr's strings */
        k.objective_id = c->objective_id;
        k.current = kr->start;
        k.progress = 0;
        k.confidence = 0;
        k.has_confidence = 0;
        k.last_checkin_at = 0;
        k.linked_objective_id = copy__mapped(c->map, kr->linked_objective_id);
        k.due_at = 0;
        k.version = 1;
        k.created_at = k.updated_at = c->now;
        rc = okr_entity_new_id(c->s, c->txn, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, &k.id);
        if (rc == 0)
            rc = okr_kr_save(c->s, c->txn, NULL, &k);
        if (rc == 0)
            c->copied++;
    }
    if (kr)
        okr__key_result__free_unpacked(kr, NULL);
    if (rc != 0) {
        c->rc = rc;
        return 1;
    }
    return 0;
}

/* Copies source objective i of the map (already checked) into cycle_id. */
static int copy__objective(okr_store_t *s, MDB_txn *txn, const copy_map_t *map, size_t i,
                           uint64_t cycle_id, int64_t now)
{
    Okr__Objective *src;
    int rc = okr_objective_get(s, txn, map->from[i], &src);
    if (rc != 0)
        return rc == OKR_E_NOT_FOUND ? OKR_E_INTERNAL : rc;
    copy_ctx_t c = {.s = s, .txn = txn, .map = map, .objective_id = map->to[i], .now = now};
    rc = okr_index_each(s, txn, OKR_DB_IDX_OBJECTIVE_KRS, src->id, 0, copy__on_kr, &c);
    if (rc == 0)
        rc = c.rc;
    if (rc == 0) {
        static char empty[] = "";
        Okr__Objective o = *src; /* borrows src's strings */
        o.id = map->to[i];
        o.cycle_id = cycle_id;
        o.parent_id = copy__mapped(map, src->parent_id);
        o.state = OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE;
        o.progress = 0;
        o.status = OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED;
        o.score = 0;
        o.score_overridden = 0;
        o.score_note = empty;
        o.retrospective = empty;
        o.key_result_count = c.copied;
        o.version = 1;
        o.created_at = o.updated_at = now;
        o.copied_from_id = src->id;
        rc = okr_objective_save(s, txn, NULL, &o);
    }
    okr__objective__free_unpacked(src, NULL);
    return rc;
}

/* Checks that every requested objective is in the source cycle and builds
 * the map (deduplicated), with fresh ids for the copies. */
static int start__map(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__Cycle *from,
                      copy_map_t *map)
{
    const Okr__CycleStartFromRequest *in = r->msg->cycle_start_from;
    size_t n = in->n_objective_ids;
    map->from = calloc(n ? n : 1, sizeof *map->from);
    map->to = calloc(n ? n : 1, sizeof *map->to);
    if (!map->from || !map->to)
        return OKR_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        uint64_t id = in->objective_ids[i];
        if (copy__mapped(map, id))
            continue; /* listed twice */
        Okr__Objective *obj;
        int rc = okr_objective_get(s, txn, id, &obj);
        if (rc != 0 && rc != OKR_E_NOT_FOUND)
            return rc;
        int in_cycle = rc == 0 && obj->cycle_id == from->id;
        if (rc == 0)
            okr__objective__free_unpacked(obj, NULL);
        if (!in_cycle)
            return okr_req_refuse(r, OKR_E_BAD_REQUEST, "objective O%llu is not in cycle \"%s\"",
                                  (unsigned long long)id, from->name);
        map->from[map->n] = id;
        rc = okr_entity_new_id(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, &map->to[map->n]);
        if (rc != 0)
            return rc;
        map->n++;
    }
    return 0;
}

/* The copies as stored after their roll-up, for the reply. */
static int start__result(okr_req_t *r, okr_store_t *s, MDB_txn *txn, Okr__Cycle *cycle,
                         const copy_map_t *map)
{
    Okr__CycleStartFromResult res = OKR__CYCLE_START_FROM_RESULT__INIT;
    res.cycle = cycle;
    res.objectives = calloc(map->n ? map->n : 1, sizeof *res.objectives);
    if (!res.objectives)
        return OKR_E_NOMEM;
    int rc = 0;
    while (rc == 0 && res.n_objectives < map->n) {
        rc =
            okr_objective_get(s, txn, map->to[res.n_objectives], &res.objectives[res.n_objectives]);
        if (rc == 0)
            res.n_objectives++;
    }
    if (rc == 0)
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_CYCLE_START_FROM, &res.base);
    for (size_t i = 0; i < res.n_objectives; i++)
        okr__objective__free_unpacked(res.objectives[i], NULL);
    free(res.objectives);
    return rc;
}

static int start__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__CycleStartFromRequest *in = r->msg->cycle_start_from;
    cycle__reset(r);
    Okr__Cycle *from;
    int rc = cycle__load(r, s, txn, in->from_cycle_id, &from);
    if (rc != 0)
        return rc;
    copy_map_t map = {0};
    okr_updates_t ups = {0};
    Okr__Cycle c = OKR__CYCLE__INIT;
    int64_t now = okr_wall_ms();
    rc = start__map(r, s, txn, from, &map);
    if (rc == 0)
        rc = cycle__insert(r, s, txn, in->name, in->start_at, in->end_at, &c);
    for (size_t i = 0; rc == 0 && i < map.n; i++)
        rc = copy__objective(s, txn, &map, i, c.id, now);
    /* Every copy gets its figures for the new cycle's pace; a roll-up goes
     * up the tree, so rolling up each copy covers the roots as well. */
    for (size_t i = 0; rc == 0 && i < map.n; i++)
        rc = okr_rollup(s, txn, map.to[i], now, &ups);
    if (rc == 0) {
        okr_change_extra_t extra = {.ancestors = ups.items, .n_ancestors = ups.n};
        rc = okr_change_record(s, txn, r->user->id, OKR__CHANGE_OP__CHANGE_OP_CREATE,
                               OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, c.id, &c.base, &extra, NULL);
    }
    if (rc == 0)
        rc = start__result(r, s, txn, &c, &map);
    okr_updates_free(&ups);
    free(map.from);
    free(map.to);
    okr__cycle__free_unpacked(from, NULL);
    return rc;
}

static void start__done(okr_write_t *w, int status)
{
    okr_req_t *r = okr_req_of_write(w);
    if (status == 0 && r->result_case == OKR__RESPONSE__RESULT_CYCLE_START_FROM) {
        const Okr__CycleStartFromResult *res = (const Okr__CycleStartFromResult *)r->result;
        okr_info("cycle %s started from cycle #%llu: %zu objectives copied", res->cycle->name,
                 (unsigned long long)r->msg->cycle_start_from->from_cycle_id, res->n_objectives);
    }
    okr_req_finish(r, status);
}

void okr_handle_cycle_start_from(okr_req_t *r)
{
    const Okr__CycleStartFromRequest *in = r->msg->cycle_start_from;
    if (in->from_cycle_id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "from_cycle_id is missing");
        return;
    }
    if (cycle__check_fields(r, in->name, in->start_at, in->end_at) != 0)
        return;
    if (in->n_objective_ids > CYCLE_COPY_MAX) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "at most %d objectives can be copied at once",
                     CYCLE_COPY_MAX);
        return;
    }
    for (size_t i = 0; i < in->n_objective_ids; i++) {
        if (in->objective_ids[i] == 0) {
            okr_req_fail(r, OKR_E_BAD_REQUEST, "objective_ids must not contain 0");
            return;
        }
    }
    okr_req_submit_write(r, start__apply, start__done);
}
