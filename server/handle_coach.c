/* handle_coach.c — read-only views over the OKR store: the coach (lint), the
 * change history of one entity, and "what is mine".
 *
 * Everything here runs on the loop thread in one short read transaction and
 * shows only what the caller may read.
 *
 * Decisions, for the next reader:
 *   - lint and mine cap their lists (LINT_FINDINGS_MAX, MINE_LIST_MAX) rather
 *     than page them: they are summaries for people, not exports.
 *   - history: objectives, key results, check-ins, tasks and comments are
 *     readable through their objective. An entity that has since been deleted
 *     is judged by the last state its change log recorded, so its history
 *     stays readable to those who could read it (and hidden from others).
 *     Users, teams and cycles: any logged-in user. Progress figures of
 *     objectives the caller may not read are left out of each change.
 *   - mine lists open tasks of the given cycle, or (without one) of every
 *     cycle that is not closed: a closed cycle's tasks are frozen, so they
 *     are no longer work to do.
 */
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "clock.h"
#include "domain.h"
#include "keys.h"
#include "lint.h"
#include "okr_error.h"
#include "pace.h"
#include "request.h"

#define LIST_STOP         1 /* an index callback's "stop here" */
#define LINT_FINDINGS_MAX 1000
#define MINE_LIST_MAX     200
#define HISTORY_MAX_HOPS  4 /* check-in -> key result -> objective */
#define DAY_MS            INT64_C(86400000)

/* ================================================================ lint */

typedef struct kr_array {
    Okr__KeyResult **items;
    size_t n, cap;
} kr_array_t;

static void kr_array_free(kr_array_t *a)
{
    for (size_t i = 0; i < a->n; i++)
        okr__key_result__free_unpacked(a->items[i], NULL);
    free(a->items);
    a->items = NULL;
    a->n = a->cap = 0;
}

typedef struct lint_ctx {
    okr_req_t *r;
    okr_store_t *s;
    MDB_txn *txn;
    const Okr__Cycle *cycle;
    uint32_t stale_days;
    int64_t now;
    okr_lint_findings_t found;
    kr_array_t krs; /* the current objective's key results */
    uint32_t checked;
    int truncated;
    int rc;
} lint_ctx_t;

static int lint__on_kr(void *arg, uint64_t id)
{
    lint_ctx_t *l = arg;
    Okr__KeyResult *kr;
    int rc = okr_kr_get(l->s, l->txn, id, &kr);
    if (rc != 0)
        return rc == OKR_E_NOT_FOUND ? 0 : rc;
    if (l->krs.n == l->krs.cap) {
        size_t cap = l->krs.cap ? l->krs.cap * 2 : 8;
        Okr__KeyResult **grown = realloc(l->krs.items, cap * sizeof *grown);
        if (!grown) {
            okr__key_result__free_unpacked(kr, NULL);
            return OKR_E_NOMEM;
        }
        l->krs.items = grown;
        l->krs.cap = cap;
    }
    l->krs.items[l->krs.n++] = kr;
    return 0;
}

/* Lints one objective of the cycle (the team index may hold other cycles'). */
static int lint__on_objective(void *arg, uint64_t id)
{
    lint_ctx_t *l = arg;
    Okr__Objective *obj;
    int rc = okr_objective_get(l->s, l->txn, id, &obj);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc != 0) {
        l->rc = rc;
        return LIST_STOP;
    }
    if (obj->cycle_id != l->cycle->id ||
        obj->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED ||
        !okr_acl_can_read_objective(l->s, l->txn, l->r->user, obj)) {
        okr__objective__free_unpacked(obj, NULL);
        return 0;
    }
    rc = okr_index_each(l->s, l->txn, OKR_DB_IDX_OBJECTIVE_KRS, obj->id, 0, lint__on_kr, l);
    Okr__Objective *parent = NULL;
    if (rc == 0 && obj->parent_id && okr_objective_get(l->s, l->txn, obj->parent_id, &parent) != 0)
        parent = NULL; /* an unknown parent is not this rule set's business */
    if (rc == 0) {
        okr_lint_input_t in = {.objective = obj,
                               .key_results = (const Okr__KeyResult *const *)l->krs.items,
                               .n_key_results = l->krs.n,
                               .cycle = l->cycle,
                               .parent = parent};
        rc = okr_lint_objective(&in, l->stale_days, l->now, &l->found);
        l->checked++;
    }
    if (parent)
        okr__objective__free_unpacked(parent, NULL);
    kr_array_free(&l->krs);
    okr__objective__free_unpacked(obj, NULL);
    if (rc != 0) {
        l->rc = rc;
        return LIST_STOP;
    }
    if (l->found.n > LINT_FINDINGS_MAX) {
        l->truncated = 1;
        return LIST_STOP;
    }
    return 0;
}

void okr_handle_lint(okr_req_t *r)
{
    const Okr__LintRequest *in = r->msg->lint;
    okr_store_t *s = r->srv->store;
    if (in->cycle_id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "cycle_id is missing: name the cycle to check");
        return;
    }
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    Okr__Cycle *cycle = NULL;
    int rc = okr_cycle_get(s, txn, in->cycle_id, &cycle);
    if (rc != 0)
        rc = okr_req_refuse(r, rc,
                            rc == OKR_E_NOT_FOUND ? "no cycle %llu" : "cannot read cycle %llu",
                            (unsigned long long)in->cycle_id);
    if (rc == 0 && in->team_id) {
        Okr__Team *team;
        rc = okr_team_get(s, txn, in->team_id, &team);
        if (rc == 0)
            okr__team__free_unpacked(team, NULL);
        else
            rc = okr_req_refuse(r, rc,
                                rc == OKR_E_NOT_FOUND ? "no team %llu" : "cannot read team %llu",
                                (unsigned long long)in->team_id);
    }
    lint_ctx_t l = {.r = r,
                    .s = s,
                    .txn = txn,
                    .cycle = cycle,
                    .stale_days = in->stale_days ? in->stale_days : OKR_LINT_STALE_DAYS_DEFAULT,
                    .now = okr_wall_ms()};
    if (rc == 0) {
        int irc = in->team_id ? okr_index_each(s, txn, OKR_DB_IDX_TEAM_OBJECTIVES, in->team_id, 0,
                                               lint__on_objective, &l)
                              : okr_index_each(s, txn, OKR_DB_IDX_CYCLE_OBJECTIVES, in->cycle_id, 0,
                                               lint__on_objective, &l);
        rc = l.rc ? l.rc : (irc == LIST_STOP ? 0 : irc);
    }
    okr_store_read_end(s, txn);
    if (rc == 0) {
        Okr__LintResult res = OKR__LINT_RESULT__INIT;
        res.findings = l.found.items;
        res.n_findings = l.found.n > LINT_FINDINGS_MAX ? LINT_FINDINGS_MAX : l.found.n;
        res.objectives_checked = l.checked;
        res.truncated = l.truncated;
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_LINT, &res.base);
    }
    okr_lint_findings_free(&l.found);
    if (cycle)
        okr__cycle__free_unpacked(cycle, NULL);
    okr_req_finish(r, rc);
}

/* ================================================================ history */

static int history__kind_valid(Okr__EntityKind kind)
{
    return kind >= OKR__ENTITY_KIND__ENTITY_KIND_USER &&
           kind <= OKR__ENTITY_KIND__ENTITY_KIND_COMMENT;
}

static int history__get_change(okr_store_t *s, MDB_txn *txn, uint64_t seq, Okr__Change **out)
{
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, seq);
    return okr_store_get_msg(s, txn, OKR_DB_CHANGES, key, sizeof key, &okr__change__descriptor,
                             (ProtobufCMessage **)out);
}

typedef struct last_state {
    okr_store_t *s;
    MDB_txn *txn;
    ProtobufCMessage *entity; /* the newest recorded state; owned */
    int rc;
} last_state_t;

static int last_state__on_change(void *arg, uint64_t seq)
{
    last_state_t *ls = arg;
    Okr__Change *c;
    int rc = history__get_change(ls->s, ls->txn, seq, &c);
    if (rc == OKR_E_NOT_FOUND)
        return 0; /* beyond the change log's window */
    if (rc != 0) {
        ls->rc = rc;
        return LIST_STOP;
    }
    /* Every member of the entity oneof is a message pointer at one offset. */
    if (c->entity_case != OKR__CHANGE__ENTITY__NOT_SET && c->user) {
        ProtobufCMessage *copy = okr_msg_dup(&c->user->base);
        if (!copy) {
            okr__change__free_unpacked(c, NULL);
            ls->rc = OKR_E_NOMEM;
            return LIST_STOP;
        }
        if (ls->entity)
            protobuf_c_message_free_unpacked(ls->entity, NULL);
        ls->entity = copy;
    }
    okr__change__free_unpacked(c, NULL);
    return 0;
}

/* The entity as stored or, once deleted, as its change log last recorded
 * it. 0 with *out (free with protobuf_c_message_free_unpacked), or
 * OKR_E_NOT_FOUND if neither knows it. */
static int history__entity(okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind, uint64_t id,
                           ProtobufCMessage **out)
{
    int rc = okr_entity_get(s, txn, kind, id, out);
    if (rc != OKR_E_NOT_FOUND)
        return rc;
    last_state_t ls = {.s = s, .txn = txn};
    okr_change_each(s, txn, kind, id, 0, last_state__on_change, &ls);
    if (ls.rc != 0) {
        if (ls.entity)
            protobuf_c_message_free_unpacked(ls.entity, NULL);
        return ls.rc;
    }
    *out = ls.entity;
    return ls.entity ? 0 : OKR_E_NOT_FOUND;
}

/* Whether the caller may read the history of (kind, id): 0, OKR_E_NOT_FOUND
 * (also for what they may not read) or an error. */
static int history__may_read(okr_req_t *r, okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind,
                             uint64_t id)
{
    for (int hop = 0; hop < HISTORY_MAX_HOPS; hop++) {
        ProtobufCMessage *m;
        int rc = history__entity(s, txn, kind, id, &m);
        if (rc != 0)
            return rc;
        uint64_t next = 0;
        Okr__EntityKind next_kind = OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT;
        switch (kind) {
        case OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE:
            rc = okr_acl_can_read_objective(s, txn, r->user, (Okr__Objective *)m) ? 0
                                                                                  : OKR_E_NOT_FOUND;
            protobuf_c_message_free_unpacked(m, NULL);
            return rc;
        case OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT:
            next = ((Okr__KeyResult *)m)->objective_id;
            next_kind = OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE;
            break;
        case OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN:
            next = ((Okr__CheckIn *)m)->key_result_id;
            break;
        case OKR__ENTITY_KIND__ENTITY_KIND_TASK:
            next = ((Okr__Task *)m)->key_result_id;
            break;
        case OKR__ENTITY_KIND__ENTITY_KIND_COMMENT: {
            const Okr__Comment *c = (Okr__Comment *)m;
            next = c->objective_id ? c->objective_id : c->key_result_id;
            if (c->objective_id)
                next_kind = OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE;
            break;
        }
        default: /* users, teams, cycles: every logged-in user */
            protobuf_c_message_free_unpacked(m, NULL);
            return 0;
        }
        protobuf_c_message_free_unpacked(m, NULL);
        if (next == 0)
            return OKR_E_NOT_FOUND;
        kind = next_kind;
        id = next;
    }
    return OKR_E_NOT_FOUND;
}

typedef struct history_ctx {
    okr_req_t *r;
    okr_store_t *s;
    MDB_txn *txn;
    Okr__Change **items;
    size_t n, limit;
    uint64_t next_after;
    int rc;
} history_ctx_t;

/* Leaves out the progress figures of objectives the caller may not read. */
static void history__filter_ancestors(history_ctx_t *h, Okr__Change *c)
{
    if (okr_acl_is_admin(h->r->user))
        return;
    size_t kept = 0;
    for (size_t i = 0; i < c->n_ancestors; i++) {
        Okr__ProgressUpdate *p = c->ancestors[i];
        Okr__Objective *obj;
        int readable = 0;
        if (okr_objective_get(h->s, h->txn, p->objective_id, &obj) == 0) {
            readable = okr_acl_can_read_objective(h->s, h->txn, h->r->user, obj);
            okr__objective__free_unpacked(obj, NULL);
        }
        if (readable)
            c->ancestors[kept++] = p;
        else
            okr__progress_update__free_unpacked(p, NULL);
    }
    c->n_ancestors = kept;
}

static int history__on_change(void *arg, uint64_t seq)
{
    history_ctx_t *h = arg;
    if (h->n == h->limit) {
        h->next_after = h->items[h->n - 1]->seq;
        return LIST_STOP; /* one more exists: this page is full */
    }
    Okr__Change *c;
    int rc = history__get_change(h->s, h->txn, seq, &c);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc != 0) {
        h->rc = rc;
        return LIST_STOP;
    }
    history__filter_ancestors(h, c);
    h->items[h->n++] = c;
    return 0;
}

void okr_handle_history(okr_req_t *r)
{
    const Okr__HistoryRequest *in = r->msg->history;
    okr_store_t *s = r->srv->store;
    if (!history__kind_valid(in->kind)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST,
                     "kind must be user, team, cycle, objective, key result, check-in, task or "
                     "comment");
        return;
    }
    if (in->entity_id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "entity_id is missing: name the entity");
        return;
    }
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    history_ctx_t h = {.r = r, .s = s, .txn = txn, .limit = okr_page_limit(in->page)};
    int rc = history__may_read(r, s, txn, in->kind, in->entity_id);
    if (rc == OKR_E_NOT_FOUND)
        rc = okr_req_refuse(r, rc, "nothing with id %llu of that kind",
                            (unsigned long long)in->entity_id);
    else if (rc != 0)
        rc = okr_req_refuse(r, rc, "cannot read the history of %llu",
                            (unsigned long long)in->entity_id);
    if (rc == 0) {
        h.items = calloc(h.limit, sizeof *h.items);
        rc = h.items ? 0 : okr_req_refuse(r, OKR_E_INTERNAL, "out of memory");
    }
    if (rc == 0) {
        int irc = okr_change_each(s, txn, in->kind, in->entity_id, okr_page_after(in->page),
                                  history__on_change, &h);
        rc = h.rc ? h.rc : (irc == LIST_STOP ? 0 : irc);
    }
    okr_store_read_end(s, txn);
    if (rc == 0) {
        Okr__HistoryResult res = OKR__HISTORY_RESULT__INIT;
        res.changes = h.items;
        res.n_changes = h.n;
        res.next_after_id = h.next_after;
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_HISTORY, &res.base);
    }
    for (size_t i = 0; i < h.n; i++)
        okr__change__free_unpacked(h.items[i], NULL);
    free(h.items);
    okr_req_finish(r, rc);
}

/* ================================================================ mine */

typedef struct cycle_seen {
    uint64_t id;
    Okr__CycleState state;
} cycle_seen_t;

typedef struct mine_ctx {
    okr_req_t *r;
    okr_store_t *s;
    MDB_txn *txn;
    uint64_t cycle_id; /* 0: every active cycle */
    int stale_only;
    int64_t now;
    cycle_seen_t *cycles; /* a small cache: people have OKRs in few cycles */
    size_t n_cycles, cap_cycles;
    Okr__Objective *objectives[MINE_LIST_MAX];
    Okr__KeyResult *krs[MINE_LIST_MAX];
    Okr__Task *tasks[MINE_LIST_MAX];
    Okr__KeyResult *stale[MINE_LIST_MAX];
    size_t n_objectives, n_krs, n_tasks, n_stale;
    Okr__Comment *feedback[OKR_FEEDBACK_MAX];
    size_t n_feedback;
    okr_pace_memo_t pace; /* the objectives' status as of now */
    int rc;
} mine_ctx_t;

/* A cycle's state (UNSPECIFIED if it is missing). */
static Okr__CycleState mine__cycle_state(mine_ctx_t *m, uint64_t cycle_id)
{
    for (size_t i = 0; i < m->n_cycles; i++)
        if (m->cycles[i].id == cycle_id)
            return m->cycles[i].state;
    Okr__CycleState state = OKR__CYCLE_STATE__CYCLE_STATE_UNSPECIFIED;
    Okr__Cycle *c;
    if (okr_cycle_get(m->s, m->txn, cycle_id, &c) == 0) {
        state = c->state;
        okr__cycle__free_unpacked(c, NULL);
    }
    if (m->n_cycles == m->cap_cycles) {
        size_t cap = m->cap_cycles ? m->cap_cycles * 2 : 8;
        cycle_seen_t *grown = realloc(m->cycles, cap * sizeof *grown);
        if (!grown)
            return state; /* only the cache is lost */
        m->cycles = grown;
        m->cap_cycles = cap;
    }
    m->cycles[m->n_cycles++] = (cycle_seen_t){cycle_id, state};
    return state;
}

/* The cycle asked for, or any active one. */
static int mine__cycle_wanted(mine_ctx_t *m, uint64_t cycle_id)
{
    if (m->cycle_id)
        return cycle_id == m->cycle_id;
    return mine__cycle_state(m, cycle_id) == OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE;
}

/* An objective the caller can read and that is not archived; NULL otherwise. */
static Okr__Objective *mine__objective(mine_ctx_t *m, uint64_t id)
{
    Okr__Objective *obj;
    if (okr_objective_get(m->s, m->txn, id, &obj) != 0)
        return NULL;
    if (obj->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED ||
        !okr_acl_can_read_objective(m->s, m->txn, m->r->user, obj)) {
        okr__objective__free_unpacked(obj, NULL);
        return NULL;
    }
    return obj;
}

static int mine__on_objective(void *arg, uint64_t id)
{
    mine_ctx_t *m = arg;
    if (m->n_objectives == MINE_LIST_MAX)
        return LIST_STOP;
    Okr__Objective *obj = mine__objective(m, id);
    if (!obj)
        return 0;
    if (mine__cycle_wanted(m, obj->cycle_id)) {
        okr_pace_refresh(m->s, m->txn, &m->pace, obj);
        m->objectives[m->n_objectives++] = obj;
    } else
        okr__objective__free_unpacked(obj, NULL);
    return 0;
}

/* No check-in (or, never checked in, no creation) for the default period. */
static int mine__is_stale(mine_ctx_t *m, const Okr__KeyResult *kr, const Okr__Objective *obj)
{
    if (kr->linked_objective_id != 0 ||
        obj->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED ||
        (m->cycle_id && obj->cycle_id != m->cycle_id) ||
        mine__cycle_state(m, obj->cycle_id) != OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE)
        return 0;
    int64_t since = kr->last_checkin_at ? kr->last_checkin_at : kr->created_at;
    return since != 0 && since <= m->now &&
           m->now - since >= (int64_t)OKR_LINT_STALE_DAYS_DEFAULT * DAY_MS;
}

static int mine__on_kr(void *arg, uint64_t id)
{
    mine_ctx_t *m = arg;
    if ((m->stale_only || m->n_krs == MINE_LIST_MAX) && m->n_stale == MINE_LIST_MAX)
        return LIST_STOP;
    Okr__KeyResult *kr;
    int rc = okr_kr_get(m->s, m->txn, id, &kr);
    if (rc != 0)
        return 0;
    Okr__Objective *obj = kr->archived ? NULL : mine__objective(m, kr->objective_id);
    if (!obj) {
        okr__key_result__free_unpacked(kr, NULL);
        return 0;
    }
    if (m->n_stale < MINE_LIST_MAX && mine__is_stale(m, kr, obj)) {
        Okr__KeyResult *copy = (Okr__KeyResult *)okr_msg_dup(&kr->base);
        if (!copy) {
            m->rc = OKR_E_NOMEM;
            rc = LIST_STOP;
        } else {
            m->stale[m->n_stale++] = copy;
        }
    }
    if (!m->stale_only && m->n_krs < MINE_LIST_MAX && mine__cycle_wanted(m, obj->cycle_id)) {
        m->krs[m->n_krs++] = kr;
        kr = NULL;
    }
    if (kr)
        okr__key_result__free_unpacked(kr, NULL);
    okr__objective__free_unpacked(obj, NULL);
    return rc;
}

static int mine__on_task(void *arg, uint64_t id)
{
    mine_ctx_t *m = arg;
    if (m->n_tasks == MINE_LIST_MAX)
        return LIST_STOP;
    Okr__Task *t;
    if (okr_task_get(m->s, m->txn, id, &t) != 0)
        return 0;
    int keep = t->state != OKR__TASK_STATE__TASK_STATE_DONE;
    Okr__KeyResult *kr = NULL;
    Okr__Objective *obj = NULL;
    if (keep && okr_kr_get(m->s, m->txn, t->key_result_id, &kr) == 0)
        obj = mine__objective(m, kr->objective_id);
    keep =
        keep && obj &&
        (m->cycle_id ? obj->cycle_id == m->cycle_id
                     : mine__cycle_state(m, obj->cycle_id) != OKR__CYCLE_STATE__CYCLE_STATE_CLOSED);
    if (keep)
        m->tasks[m->n_tasks++] = t;
    else
        okr__task__free_unpacked(t, NULL);
    if (kr)
        okr__key_result__free_unpacked(kr, NULL);
    if (obj)
        okr__objective__free_unpacked(obj, NULL);
    return 0;
}

static void mine__free(mine_ctx_t *m)
{
    for (size_t i = 0; i < m->n_objectives; i++)
        okr__objective__free_unpacked(m->objectives[i], NULL);
    for (size_t i = 0; i < m->n_krs; i++)
        okr__key_result__free_unpacked(m->krs[i], NULL);
    for (size_t i = 0; i < m->n_tasks; i++)
        okr__task__free_unpacked(m->tasks[i], NULL);
    for (size_t i = 0; i < m->n_stale; i++)
        okr__key_result__free_unpacked(m->stale[i], NULL);
    for (size_t i = 0; i < m->n_feedback; i++)
        okr__comment__free_unpacked(m->feedback[i], NULL);
    free(m->cycles);
    free(m);
}

void okr_handle_mine(okr_req_t *r)
{
    const Okr__MineRequest *in = r->msg->mine;
    okr_store_t *s = r->srv->store;
    if (in->feedback_since < 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST,
                     "feedback_since is a wall time in ms (0 = no feedback), not negative");
        return;
    }
    mine_ctx_t *m = calloc(1, sizeof *m); /* five arrays of pointers: too big for the stack */
    if (!m) {
        okr_req_fail(r, OKR_E_INTERNAL, "out of memory");
        return;
    }
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0) {
        free(m);
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    m->r = r;
    m->s = s;
    m->txn = txn;
    m->cycle_id = in->cycle_id;
    m->stale_only = in->stale_only;
    m->now = okr_wall_ms();
    m->pace = okr_pace_memo(m->now);
    int rc = 0;
    if (in->cycle_id) {
        Okr__Cycle *c;
        rc = okr_cycle_get(s, txn, in->cycle_id, &c);
        if (rc == 0)
            okr__cycle__free_unpacked(c, NULL);
        else
            rc = okr_req_refuse(r, rc,
                                rc == OKR_E_NOT_FOUND ? "no cycle %llu" : "cannot read cycle %llu",
                                (unsigned long long)in->cycle_id);
    }
    uint64_t me = r->user->id;
    int irc = 0;
    if (rc == 0 && !m->stale_only)
        irc = okr_index_each(s, txn, OKR_DB_IDX_USER_OBJECTIVES, me, 0, mine__on_objective, m);
    if (rc == 0 && irc != 0 && irc != LIST_STOP)
        rc = irc;
    if (rc == 0)
        irc = okr_index_each(s, txn, OKR_DB_IDX_USER_KRS, me, 0, mine__on_kr, m);
    if (rc == 0 && irc != 0 && irc != LIST_STOP)
        rc = irc;
    if (rc == 0 && !m->stale_only)
        irc = okr_index_each(s, txn, OKR_DB_IDX_USER_TASKS, me, 0, mine__on_task, m);
    if (rc == 0 && irc != 0 && irc != LIST_STOP)
        rc = irc;
    if (rc == 0)
        rc = m->rc;
    if (rc == 0 && in->feedback_since > 0)
        rc = okr_comment_feedback(r, txn, in->feedback_since, m->feedback, &m->n_feedback);
    okr_store_read_end(s, txn);
    if (rc == 0) {
        Okr__MineResult res = OKR__MINE_RESULT__INIT;
        res.objectives = m->objectives;
        res.n_objectives = m->n_objectives;
        res.key_results = m->krs;
        res.n_key_results = m->n_krs;
        res.tasks = m->tasks;
        res.n_tasks = m->n_tasks;
        res.stale = m->stale;
        res.n_stale = m->n_stale;
        res.stale_days = OKR_LINT_STALE_DAYS_DEFAULT;
        res.feedback = m->feedback;
        res.n_feedback = m->n_feedback;
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_MINE, &res.base);
    }
    mine__free(m);
    okr_req_finish(r, rc);
}
