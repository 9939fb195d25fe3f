/* handle_objective.c — objectives: create, update, get, list, archive, delete,
 * score and retrospective.
 *
 * Decisions worth knowing (DESIGN.md is silent on them):
 *   - An objective the caller may not read does not exist for them: NOT_FOUND,
 *     and it is never counted or listed. A parent they may not read is "no
 *     such objective" when they try to align under it.
 *   - An objective of a closed cycle is frozen: only its score and its
 *     retrospective may still be written.
 *   - Archive and delete name the version they read; 0 means "do not check"
 *     (scripts archiving by reference). Update always checks it.
 *   - Update: kind, visibility and state of 0, and an owner of 0/0, keep what
 *     the objective has; an archived objective may be restored to draft or
 *     active by an update; nothing becomes archived or closed through update.
 *   - Update never moves an objective to another cycle (a cycle_id other than
 *     its own is refused; 0 is fine).
 *   - Delete also refuses an objective a key result is linked to.
 *   - Get's child_count counts the readable children that are not archived
 *     (the ones its progress is the mean of).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "clock.h"
#include "creates.h"
#include "domain.h"
#include "okr_error.h"
#include "pace.h"
#include "progress.h"
#include "protocol.h"
#include "request.h"
#include "rollup.h"
#include "users.h"
#include "validate.h"

#define ULL(x) ((unsigned long long)(x))

/* Deeper than any real alignment tree; stops a walk through corrupt data. */
#define OBJ_MAX_DEPTH 1000

/* ---- helpers shared by the operations ---- */

/* Loads objective id if the caller may read it. Returns 0 with *out (caller
 * frees), or NOT_FOUND (or an internal error) recorded on r. */
static int obj__load_readable(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t id,
                              Okr__Objective **out)
{
    int rc = okr_objective_get(s, txn, id, out);
    if (rc == 0 && !okr_acl_can_read_objective(s, txn, r->user, *out)) {
        okr__objective__free_unpacked(*out, NULL);
        rc = OKR_E_NOT_FOUND; /* what you may not read does not exist for you */
    }
    if (rc != 0) {
        *out = NULL;
        if (rc != OKR_E_NOT_FOUND)
            return okr_req_refuse(r, rc, "cannot read objective O%llu", ULL(id));
        return okr_req_refuse(r, OKR_E_NOT_FOUND, "no objective O%llu", ULL(id));
    }
    return 0;
}

/* Loads the cycle of an objective. Returns 0 with *out (caller frees). */
static int obj__load_cycle(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t cycle_id,
                           Okr__Cycle **out)
{
    int rc = okr_cycle_get(s, txn, cycle_id, out);
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST, "no cycle with id %llu", ULL(cycle_id));
    if (rc != 0)
        return okr_req_refuse(r, rc, "cannot read cycle %llu", ULL(cycle_id));
    return 0;
}

static int obj__cycle_closed(const Okr__Cycle *cycle)
{
    return cycle->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED;
}

static int obj__refuse_closed(okr_req_t *r, const Okr__Cycle *cycle, uint64_t obj_id)
{
    if (obj_id)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                              "cycle %s is closed: O%llu is frozen (only its score and "
                              "retrospective may change)",
                              cycle->name, ULL(obj_id));
    return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                          "cycle %s is closed: no new objectives may be added to it", cycle->name);
}

/* Refuses a stale version with the current state attached. expected 0 skips
 * the check (archive and delete only). */
static int obj__check_version(okr_req_t *r, const Okr__Objective *cur, uint64_t expected)
{
    if (expected == cur->version)
        return 0;
    int rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_OBJECTIVE, &cur->base);
    if (rc != 0)
        return rc;
    return okr_req_refuse(r, OKR_E_CONFLICT,
                          "O%llu was changed by someone else (version %llu, you had %llu); "
                          "reload and retry",
                          ULL(cur->id), ULL(cur->version), ULL(expected));
}

/* The user who is to own an objective exists and is active. */
static int obj__check_owner_user(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t user_id)
{
    Okr__UserRecord *rec;
    int rc = okr_users_get(s, txn, user_id, &rec);
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST, "no user with id %llu to own the objective",
                              ULL(user_id));
    if (rc != 0)
        return okr_req_refuse(r, rc, "cannot read user %llu", ULL(user_id));
    int active = rec->user && rec->user->active;
    okr__user_record__free_unpacked(rec, NULL);
    if (!active)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                              "user %llu is deactivated and cannot own an objective", ULL(user_id));
    return 0;
}

/* A team an objective refers to exists (and, for an owner, is not archived). */
static int obj__check_team(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t team_id,
                           int as_owner)
{
    Okr__Team *team;
    int rc = okr_team_get(s, txn, team_id, &team);
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST, "no team with id %llu", ULL(team_id));
    if (rc != 0)
        return okr_req_refuse(r, rc, "cannot read team %llu", ULL(team_id));
    int archived = team->archived;
    char name[OKR_NAME_MAX + 1];
    snprintf(name, sizeof name, "%s", team->name);
    okr__team__free_unpacked(team, NULL);
    if (as_owner && archived)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST, "team %s is archived and cannot own objectives",
                              name);
    return 0;
}

/* The parent an objective is to be aligned under: it exists, the caller may
 * read it, it is in the same cycle and not archived. */
static int obj__check_parent(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t parent_id,
                             const Okr__Cycle *cycle)
{
    Okr__Objective *parent;
    int rc = okr_objective_get(s, txn, parent_id, &parent);
    if (rc == 0 && !okr_acl_can_read_objective(s, txn, r->user, parent)) {
        okr__objective__free_unpacked(parent, NULL);
        rc = OKR_E_NOT_FOUND;
    }
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST, "no objective O%llu to align under",
                              ULL(parent_id));
    if (rc != 0)
        return okr_req_refuse(r, rc, "cannot read objective O%llu", ULL(parent_id));
    if (parent->cycle_id != cycle->id) {
        Okr__Cycle *pc = NULL;
        okr_cycle_get(s, txn, parent->cycle_id, &pc);
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST,
                            "parent O%llu is in cycle %s, not %s: align within one cycle",
                            ULL(parent_id), pc ? pc->name : "?", cycle->name);
        if (pc)
            okr__cycle__free_unpacked(pc, NULL);
    } else if (parent->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED) {
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST,
                            "parent O%llu is archived: align under a live objective",
                            ULL(parent_id));
    }
    okr__objective__free_unpacked(parent, NULL);
    return rc;
}

/* Walks up from parent_id; refuses if the walk reaches obj_id. */
static int obj__check_no_loop(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t obj_id,
                              uint64_t parent_id)
{
    uint64_t at = parent_id;
    for (int depth = 0; at != 0; depth++) {
        if (at == obj_id || depth >= OBJ_MAX_DEPTH)
            return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                                  "aligning O%llu under O%llu would make a loop", ULL(obj_id),
                                  ULL(parent_id));
        Okr__Objective *o;
        int rc = okr_objective_get(s, txn, at, &o);
        if (rc == OKR_E_NOT_FOUND)
            return 0;
        if (rc != 0)
            return okr_req_refuse(r, rc, "cannot read objective O%llu", ULL(at));
        at = o->parent_id;
        okr__objective__free_unpacked(o, NULL);
    }
    return 0;
}

/* Rolls up objective_id (0: nothing) into u, which may already hold updates. */
static int obj__rollup(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t objective_id,
                       okr_updates_t *u)
{
    if (objective_id == 0)
        return 0;
    int rc = okr_rollup(s, txn, objective_id, okr_wall_ms(), u);
    if (rc != 0 && rc != OKR_E_FULL)
        return okr_req_refuse(r, rc, "cannot roll up progress from O%llu", ULL(objective_id));
    return rc;
}

/* Two roll-ups into one list may report one objective twice: keep its first
 * place (nearest first) with its latest figures. */
static void obj__updates_dedupe(okr_updates_t *u)
{
    size_t n = 0;
    for (size_t i = 0; i < u->n; i++) {
        size_t j = 0;
        while (j < n && u->items[j]->objective_id != u->items[i]->objective_id)
            j++;
        if (j < n) {
            u->items[j]->progress = u->items[i]->progress;
            u->items[j]->status = u->items[i]->status;
            free(u->items[i]);
        } else {
            u->items[n++] = u->items[i];
        }
    }
    u->n = n;
}

/* Records the one Change of a write about obj, with the roll-up's updates. */
static int obj__record(okr_req_t *r, okr_store_t *s, MDB_txn *txn, Okr__ChangeOp op,
                       const Okr__Objective *obj, okr_updates_t *u)
{
    okr_change_extra_t extra = {0};
    if (u) {
        obj__updates_dedupe(u);
        extra.ancestors = u->items;
        extra.n_ancestors = u->n;
    }
    return okr_change_record(s, txn, r->user->id, op, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE,
                             obj->id, &obj->base, &extra, NULL);
}

/* Records the one Change of a write about obj and sets the reply's result
 * to obj. */
static int obj__finish_write(okr_req_t *r, okr_store_t *s, MDB_txn *txn, Okr__ChangeOp op,
                             const Okr__Objective *obj, okr_updates_t *u)
{
    int rc = obj__record(r, s, txn, op, obj, u);
    if (rc == 0)
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_OBJECTIVE, &obj->base);
    return rc;
}

/* Reloads objective id (after a roll-up moved its figures) into *out (the
 * caller frees it) and records its write's Change. */
static int obj__reload_and_record(okr_req_t *r, okr_store_t *s, MDB_txn *txn, Okr__ChangeOp op,
                                  uint64_t id, okr_updates_t *u, Okr__Objective **out)
{
    int rc = okr_objective_get(s, txn, id, out);
    if (rc != 0) {
        *out = NULL;
        return okr_req_refuse(r, rc == OKR_E_NOT_FOUND ? OKR_E_INTERNAL : rc,
                              "objective O%llu vanished during its write", ULL(id));
    }
    rc = obj__record(r, s, txn, op, *out, u);
    if (rc != 0) {
        okr__objective__free_unpacked(*out, NULL);
        *out = NULL;
    }
    return rc;
}

/* Reloads objective id, records its Change and sets the reply's result. */
static int obj__reload_and_finish(okr_req_t *r, okr_store_t *s, MDB_txn *txn, Okr__ChangeOp op,
                                  uint64_t id, okr_updates_t *u)
{
    Okr__Objective *obj;
    int rc = obj__reload_and_record(r, s, txn, op, id, u, &obj);
    if (rc == 0) {
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_OBJECTIVE, &obj->base);
        okr__objective__free_unpacked(obj, NULL);
    }
    return rc;
}

/* ---- field checks on the loop thread (create and update) ---- */

/* The request's own fields: 0, or OKR_E_BAD_REQUEST with why in msg. */
static int obj__check_fields(const Okr__Objective *in, char *msg, size_t len)
{
    if (okr_check_string("title", in->title, 1, OKR_TITLE_MAX, msg, len) ||
        okr_check_string("description", in->description, 0, OKR_TEXT_MAX, msg, len))
        return OKR_E_BAD_REQUEST;
    const char *why = NULL;
    char team[160];
    if (in->owner_user_id && in->owner_team_id) {
        why = "an objective has exactly one owner: set owner_user_id or owner_team_id, not both";
    } else if (in->owner_team_id && in->team_id && in->team_id != in->owner_team_id) {
        snprintf(team, sizeof team,
                 "a team-owned objective belongs to its owner team: team_id must be 0 or %llu",
                 ULL(in->owner_team_id));
        why = team;
    } else if ((unsigned)in->kind > OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL) {
        why = "kind must be committed or aspirational";
    } else if ((unsigned)in->visibility > OKR__VISIBILITY__VISIBILITY_TEAM) {
        why = "visibility must be public or team";
    } else if ((unsigned)in->state > OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED) {
        why = "state must be draft or active";
    }
    if (!why)
        return 0;
    snprintf(msg, len, "%s", why);
    return OKR_E_BAD_REQUEST;
}

int okr_objective_check_new(const Okr__Objective *in, char *msg, size_t len)
{
    int rc = obj__check_fields(in, msg, len);
    if (rc != 0)
        return rc;
    const char *why = NULL;
    uint64_t team = in->owner_team_id ? in->owner_team_id : in->team_id;
    if (in->cycle_id == 0)
        why = "cycle_id is required: every objective is in a cycle";
    else if (in->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED ||
             in->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED)
        why = "a new objective is draft or active";
    else if (in->visibility == OKR__VISIBILITY__VISIBILITY_TEAM && team == 0)
        why = "team visibility needs a team: set team_id";
    if (!why)
        return 0;
    snprintf(msg, len, "%s", why);
    return OKR_E_BAD_REQUEST;
}

/* ---- create ---- */

int okr_objective_create(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__Objective *in,
                         Okr__Objective **out)
{
    int64_t now = okr_wall_ms();
    *out = NULL;
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.title = in->title;
    o.description = in->description;
    o.cycle_id = in->cycle_id;
    o.owner_team_id = in->owner_team_id;
    o.owner_user_id = in->owner_team_id ? 0 : (in->owner_user_id ? in->owner_user_id : r->user->id);
    o.team_id = in->owner_team_id ? in->owner_team_id : in->team_id;
    o.parent_id = in->parent_id;
    o.kind = in->kind ? in->kind : OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_COMMITTED;
    o.visibility = in->visibility ? in->visibility : OKR__VISIBILITY__VISIBILITY_PUBLIC;
    o.state = in->state ? in->state : OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE;
    o.version = 1;
    o.created_at = now;
    o.updated_at = now;

    Okr__Cycle *cycle = NULL;
    int rc = obj__load_cycle(r, s, txn, o.cycle_id, &cycle);
    if (rc != 0)
        return rc;
    if (obj__cycle_closed(cycle))
        rc = obj__refuse_closed(r, cycle, 0);
    if (rc == 0 && o.owner_user_id)
        rc = obj__check_owner_user(r, s, txn, o.owner_user_id);
    if (rc == 0 && o.team_id)
        rc = obj__check_team(r, s, txn, o.team_id, o.owner_team_id != 0);
    if (rc == 0 && o.parent_id)
        rc = obj__check_parent(r, s, txn, o.parent_id, cycle);
    okr__cycle__free_unpacked(cycle, NULL);
    if (rc != 0)
        return rc;
    if (!okr_acl_can_edit_objective(s, txn, r->user, &o))
        return okr_req_refuse(r, OKR_E_FORBIDDEN,
                              "you may create objectives you own yourself, or those of teams you "
                              "lead; this one is neither");

    rc = okr_entity_new_id(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, &o.id);
    if (rc == 0)
        rc = okr_objective_save(s, txn, NULL, &o);
    if (rc != 0)
        return rc;
    /* Its own status against the cycle's pace, then the parent's mean of children. */
    okr_updates_t u = {0};
    rc = obj__rollup(r, s, txn, o.id, &u);
    if (rc == 0)
        rc = obj__rollup(r, s, txn, o.parent_id, &u);
    if (rc == 0)
        rc = obj__reload_and_record(r, s, txn, OKR__CHANGE_OP__CHANGE_OP_CREATE, o.id, &u, out);
    okr_updates_free(&u);
    return rc;
}

static int create__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL); /* apply may run twice */
    Okr__Objective *obj;
    int rc = okr_objective_create(r, s, txn, r->msg->objective_create->objective, &obj);
    if (rc == 0) {
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_OBJECTIVE, &obj->base);
        okr__objective__free_unpacked(obj, NULL);
    }
    return rc;
}

void okr_handle_objective_create(okr_req_t *r)
{
    const Okr__Objective *in = r->msg->objective_create->objective;
    char msg[256];
    if (!in) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "objective is missing");
        return;
    }
    if (okr_objective_check_new(in, msg, sizeof msg) != 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return;
    }
    okr_req_submit_write(r, create__apply, okr_req_write_done);
}

/* ---- update ---- */

/* The objective as it is to be: cur's fields with the request's edits. A
 * shallow copy: its strings belong to cur or to the request. */
static Okr__Objective update__next(const Okr__Objective *cur, const Okr__Objective *in)
{
    Okr__Objective next = *cur;
    next.title = in->title;
    next.description = in->description;
    if (in->owner_user_id || in->owner_team_id) {
        next.owner_user_id = in->owner_user_id;
        next.owner_team_id = in->owner_team_id;
    }
    next.team_id = next.owner_team_id ? next.owner_team_id : in->team_id;
    next.parent_id = in->parent_id;
    if (in->kind)
        next.kind = in->kind;
    if (in->visibility)
        next.visibility = in->visibility;
    if (in->state)
        next.state = in->state;
    next.version = cur->version + 1;
    next.updated_at = okr_wall_ms();
    return next;
}

/* Saves next, an edit of cur, as its next version. */
static int obj__save_next_version(okr_store_t *s, MDB_txn *txn, const Okr__Objective *cur,
                                  Okr__Objective *next)
{
    next->version = cur->version + 1;
    next->updated_at = okr_wall_ms();
    return okr_objective_save(s, txn, cur, next);
}

/* The rules an edit from cur to next must follow (the caller may edit cur,
 * the version matched, the cycle is open). */
static int update__check(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__Objective *cur,
                         const Okr__Objective *next, const Okr__Cycle *cycle)
{
    const Okr__Objective *in = r->msg->objective_update->objective;
    if (in->cycle_id && in->cycle_id != cur->cycle_id)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                              "O%llu stays in cycle %s: to carry it into another cycle, start "
                              "that cycle from this one",
                              ULL(cur->id), cycle->name);
    if (next->state != cur->state && next->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                              "archive an objective with archive (okr obj archive O%llu)",
                              ULL(cur->id));
    if (next->state != cur->state && next->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST, "objectives are closed by closing their cycle");
    if (next->visibility == OKR__VISIBILITY__VISIBILITY_TEAM && next->team_id == 0)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST, "team visibility needs a team: set team_id");
    int rc = 0;
    if (next->owner_user_id && next->owner_user_id != cur->owner_user_id)
        rc = obj__check_owner_user(r, s, txn, next->owner_user_id);
    if (rc == 0 && next->team_id && next->team_id != cur->team_id)
        rc = obj__check_team(r, s, txn, next->team_id, next->owner_team_id != 0);
    else if (rc == 0 && next->owner_team_id && next->owner_team_id != cur->owner_team_id)
        rc = obj__check_team(r, s, txn, next->owner_team_id, 1);
    if (rc == 0 && next->parent_id && next->parent_id != cur->parent_id) {
        rc = obj__check_parent(r, s, txn, next->parent_id, cycle);
        if (rc == 0)
            rc = obj__check_no_loop(r, s, txn, cur->id, next->parent_id);
    }
    if (rc == 0 && !okr_acl_can_edit_objective(s, txn, r->user, next))
        rc = okr_req_refuse(r, OKR_E_FORBIDDEN,
                            "after this edit you could no longer edit O%llu: you may only give "
                            "objectives to yourself or to teams you lead",
                            ULL(cur->id));
    return rc;
}

static int update__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__Objective *in = r->msg->objective_update->objective;
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL); /* apply may run twice */
    Okr__Objective *cur = NULL;
    int rc = obj__load_readable(r, s, txn, in->id, &cur);
    if (rc != 0)
        return rc;
    Okr__Cycle *cycle = NULL;
    if (!okr_acl_can_edit_objective(s, txn, r->user, cur))
        rc = okr_req_refuse(r, OKR_E_FORBIDDEN,
                            "you may edit objectives you own, or those of teams you lead; O%llu "
                            "is neither",
                            ULL(cur->id));
    if (rc == 0)
        rc = obj__check_version(r, cur, in->version);
    if (rc == 0)
        rc = obj__load_cycle(r, s, txn, cur->cycle_id, &cycle);
    if (rc == 0 && obj__cycle_closed(cycle))
        rc = obj__refuse_closed(r, cycle, cur->id);
    Okr__Objective next = update__next(cur, in);
    if (rc == 0)
        rc = update__check(r, s, txn, cur, &next, cycle);
    if (rc == 0)
        rc = okr_objective_save(s, txn, cur, &next);

    /* The parents' means of children move with a new parent or (un)archiving. */
    okr_updates_t u = {0};
    int was_archived = cur->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED;
    int is_archived = next.state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED;
    if (rc == 0 && (next.parent_id != cur->parent_id || was_archived != is_archived)) {
        rc = obj__rollup(r, s, txn, cur->parent_id, &u);
        if (rc == 0 && next.parent_id != cur->parent_id)
            rc = obj__rollup(r, s, txn, next.parent_id, &u);
    }
    if (rc == 0)
        rc = obj__reload_and_finish(r, s, txn, OKR__CHANGE_OP__CHANGE_OP_UPDATE, cur->id, &u);
    okr_updates_free(&u);
    if (cycle)
        okr__cycle__free_unpacked(cycle, NULL);
    okr__objective__free_unpacked(cur, NULL);
    return rc;
}

void okr_handle_objective_update(okr_req_t *r)
{
    const Okr__Objective *in = r->msg->objective_update->objective;
    if (!in) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "objective is missing");
        return;
    }
    if (in->id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "objective.id is required");
        return;
    }
    if (in->version == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST,
                     "objective.version is required: send the version you read (okr obj show)");
        return;
    }
    char msg[256];
    if (obj__check_fields(in, msg, sizeof msg) != 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return;
    }
    okr_req_submit_write(r, update__apply, okr_req_write_done);
}

/* ---- get ---- */

typedef struct detail_ctx {
    okr_req_t *r;
    okr_store_t *s;
    MDB_txn *txn;
    okr_pace_memo_t *pace;
    Okr__KeyResult **krs;
    size_t n, cap;
    uint32_t children;
    int rc;
} detail_ctx_t;

/* The linked objectives of d's key results that the caller may read, into
 * linked[] (d->n of room): their progress and status. How many. */
static size_t detail__linked(const detail_ctx_t *d, Okr__ProgressUpdate *linked,
                             Okr__ProgressUpdate **out)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++) {
        uint64_t id = d->krs[i]->linked_objective_id;
        Okr__Objective *o;
        if (!id || okr_objective_get(d->s, d->txn, id, &o) != 0)
            continue;
        if (okr_acl_can_read_objective(d->s, d->txn, d->r->user, o)) {
            okr_pace_refresh(d->s, d->txn, d->pace, o);
            okr__progress_update__init(&linked[n]);
            linked[n].objective_id = id;
            linked[n].progress = o->progress;
            linked[n].status = o->status;
            out[n] = &linked[n];
            n++;
        }
        okr__objective__free_unpacked(o, NULL);
    }
    return n;
}

static int detail__on_kr(void *arg, uint64_t id)
{
    detail_ctx_t *d = arg;
    Okr__KeyResult *kr;
    int rc = okr_kr_get(d->s, d->txn, id, &kr);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc != 0) {
        d->rc = rc;
        return 1;
    }
    if (kr->archived) {
        okr__key_result__free_unpacked(kr, NULL);
        return 0;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        void *grown = realloc(d->krs, cap * sizeof *d->krs);
        if (!grown) {
            okr__key_result__free_unpacked(kr, NULL);
            d->rc = OKR_E_NOMEM;
            return 1;
        }
        d->krs = grown;
        d->cap = cap;
    }
    d->krs[d->n++] = kr;
    return 0;
}

static int detail__on_child(void *arg, uint64_t id)
{
    detail_ctx_t *d = arg;
    Okr__Objective *child;
    int rc = okr_objective_get(d->s, d->txn, id, &child);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc != 0) {
        d->rc = rc;
        return 1;
    }
    if (child->state != OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED &&
        okr_acl_can_read_objective(d->s, d->txn, d->r->user, child))
        d->children++;
    okr__objective__free_unpacked(child, NULL);
    return 0;
}

void okr_handle_objective_get(okr_req_t *r)
{
    const Okr__ObjectiveGetRequest *in = r->msg->objective_get;
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
    Okr__Objective *obj = NULL, *parent = NULL;
    okr_pace_memo_t pace = okr_pace_memo(okr_wall_ms());
    detail_ctx_t d = {.r = r, .s = s, .txn = txn, .pace = &pace};
    int rc = obj__load_readable(r, s, txn, in->id, &obj);
    if (rc == 0) {
        okr_index_each(s, txn, OKR_DB_IDX_OBJECTIVE_KRS, obj->id, 0, detail__on_kr, &d);
        if (d.rc == 0)
            okr_index_each(s, txn, OKR_DB_IDX_CHILD_OBJECTIVES, obj->id, 0, detail__on_child, &d);
        rc = d.rc ? okr_req_refuse(r, OKR_E_INTERNAL, "cannot read O%llu's details", ULL(in->id))
                  : 0;
    }
    if (rc == 0 && obj->parent_id && okr_objective_get(s, txn, obj->parent_id, &parent) == 0 &&
        !okr_acl_can_read_objective(s, txn, r->user, parent)) {
        okr__objective__free_unpacked(parent, NULL);
        parent = NULL;
    }
    Okr__ProgressUpdate *linked = calloc(d.n + 1, sizeof *linked);
    Okr__ProgressUpdate **linked_ptrs = calloc(d.n + 1, sizeof *linked_ptrs);
    size_t nlinked = 0;
    if (rc == 0 && (!linked || !linked_ptrs))
        rc = okr_req_refuse(r, OKR_E_INTERNAL, "out of memory");
    if (rc == 0 && okr_protocol_minor(r->srv->cfg) >= OKR_PROTOCOL_CYCLE_LISTS)
        nlinked = detail__linked(&d, linked, linked_ptrs);
    double expected = 0;
    if (rc == 0) {
        expected = okr_pace_expected(s, txn, &pace, obj->cycle_id);
        okr_pace_refresh(s, txn, &pace, obj);
        if (parent)
            okr_pace_refresh(s, txn, &pace, parent);
    }
    okr_store_read_end(s, txn);
    if (rc == 0) {
        Okr__ObjectiveDetail detail = OKR__OBJECTIVE_DETAIL__INIT;
        detail.objective = obj;
        detail.key_results = d.krs;
        detail.n_key_results = d.n;
        detail.parent = parent;
        detail.child_count = d.children;
        detail.expected = expected;
        detail.linked = linked_ptrs;
        detail.n_linked = nlinked;
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_OBJECTIVE_DETAIL, &detail.base);
    }
    free(linked);
    free(linked_ptrs);
    for (size_t i = 0; i < d.n; i++)
        okr__key_result__free_unpacked(d.krs[i], NULL);
    free(d.krs);
    if (parent)
        okr__objective__free_unpacked(parent, NULL);
    if (obj)
        okr__objective__free_unpacked(obj, NULL);
    okr_req_finish(r, rc);
}

/* ---- list ---- */

/* With with_key_results (1.5), a page ends after the objective whose key
 * results bring it to this many: whole objectives, far under the frame. */
#define LIST_KRS_PAGE 1000

typedef struct list_ctx {
    okr_req_t *r;
    okr_store_t *s;
    MDB_txn *txn;
    const Okr__ObjectiveListRequest *in;
    okr_pace_memo_t pace;
    Okr__Objective **items;
    size_t n, limit;
    Okr__KeyResult **krs; /* with_key_results */
    size_t nkrs, capkrs;
    uint64_t next_after;
    int rc;
} list_ctx_t;

static int list__matches(const list_ctx_t *l, const Okr__Objective *o)
{
    const Okr__ObjectiveListRequest *in = l->in;
    if (in->cycle_id && o->cycle_id != in->cycle_id)
        return 0;
    if (in->team_id && o->team_id != in->team_id)
        return 0;
    if (in->owner_user_id && o->owner_user_id != in->owner_user_id)
        return 0;
    if (in->parent_id && o->parent_id != in->parent_id)
        return 0;
    if (in->roots_only && o->parent_id != 0)
        return 0;
    if (!in->include_archived && o->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED)
        return 0;
    return okr_acl_can_read_objective(l->s, l->txn, l->r->user, o);
}

static int list__on_kr(void *arg, uint64_t id)
{
    list_ctx_t *l = arg;
    Okr__KeyResult *kr;
    int rc = okr_kr_get(l->s, l->txn, id, &kr);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc == 0 && kr->archived) {
        okr__key_result__free_unpacked(kr, NULL);
        return 0;
    }
    if (rc == 0 && l->nkrs == l->capkrs) {
        size_t cap = l->capkrs ? l->capkrs * 2 : 64;
        Okr__KeyResult **grown = realloc(l->krs, cap * sizeof *grown);
        if (!grown) {
            okr__key_result__free_unpacked(kr, NULL);
            rc = OKR_E_NOMEM;
        } else {
            l->krs = grown;
            l->capkrs = cap;
        }
    }
    if (rc != 0) {
        l->rc = rc;
        return 1;
    }
    l->krs[l->nkrs++] = kr;
    return 0;
}

static int list__on_objective(void *arg, uint64_t id)
{
    list_ctx_t *l = arg;
    Okr__Objective *o;
    int rc = okr_objective_get(l->s, l->txn, id, &o);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc != 0) {
        l->rc = rc;
        return 1;
    }
    if (!list__matches(l, o)) {
        okr__objective__free_unpacked(o, NULL);
        return 0;
    }
    if (l->n == l->limit) {
        /* One more matches: this page is full. */
        okr__objective__free_unpacked(o, NULL);
        l->next_after = l->items[l->n - 1]->id;
        return 1;
    }
    okr_pace_refresh(l->s, l->txn, &l->pace, o);
    l->items[l->n++] = o;
    if (!l->in->with_key_results || okr_protocol_minor(l->r->srv->cfg) < OKR_PROTOCOL_CYCLE_LISTS)
        return 0;
    okr_index_each(l->s, l->txn, OKR_DB_IDX_OBJECTIVE_KRS, id, 0, list__on_kr, l);
    if (l->rc)
        return 1;
    if (l->nkrs >= LIST_KRS_PAGE) {
        l->next_after = id; /* the next page starts after this objective */
        return 1;
    }
    return 0;
}

void okr_handle_objective_list(okr_req_t *r)
{
    const Okr__ObjectiveListRequest *in = r->msg->objective_list;
    okr_store_t *s = r->srv->store;
    /* The most selective index among the filters given. */
    okr_db_t idx;
    uint64_t key;
    if (in->parent_id) {
        idx = OKR_DB_IDX_CHILD_OBJECTIVES;
        key = in->parent_id;
    } else if (in->owner_user_id) {
        idx = OKR_DB_IDX_USER_OBJECTIVES;
        key = in->owner_user_id;
    } else if (in->team_id) {
        idx = OKR_DB_IDX_TEAM_OBJECTIVES;
        key = in->team_id;
    } else if (in->cycle_id) {
        idx = OKR_DB_IDX_CYCLE_OBJECTIVES;
        key = in->cycle_id;
    } else {
        okr_req_fail(r, OKR_E_BAD_REQUEST,
                     "name a cycle, a team, an owner or a parent objective to list objectives");
        return;
    }
    if (in->roots_only && in->parent_id) {
        okr_req_fail(r, OKR_E_BAD_REQUEST,
                     "roots_only lists objectives aligned to nothing; it cannot go with parent_id");
        return;
    }
    list_ctx_t l = {.r = r,
                    .s = s,
                    .in = in,
                    .pace = okr_pace_memo(okr_wall_ms()),
                    .limit = okr_page_limit(in->page)};
    l.items = calloc(l.limit, sizeof *l.items);
    if (!l.items) {
        okr_req_fail(r, OKR_E_INTERNAL, "out of memory");
        return;
    }
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0) {
        free(l.items);
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    l.txn = txn;
    okr_index_each(s, txn, idx, key, okr_page_after(in->page), list__on_objective, &l);
    okr_store_read_end(s, txn);
    int rc = l.rc ? okr_req_refuse(r, OKR_E_INTERNAL, "cannot list objectives") : 0;
    if (rc == 0) {
        Okr__ObjectiveList list = OKR__OBJECTIVE_LIST__INIT;
        list.objectives = l.items;
        list.n_objectives = l.n;
        list.next_after_id = l.next_after;
        list.key_results = l.krs;
        list.n_key_results = l.nkrs;
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_OBJECTIVE_LIST, &list.base);
    }
    for (size_t i = 0; i < l.n; i++)
        okr__objective__free_unpacked(l.items[i], NULL);
    free(l.items);
    for (size_t i = 0; i < l.nkrs; i++)
        okr__key_result__free_unpacked(l.krs[i], NULL);
    free(l.krs);
    okr_req_finish(r, rc);
}

/* ---- archive and delete ---- */

/* What archive, delete, score and retro start with: the objective, readable
 * and editable by the caller. Returns 0 with *cur and *cycle (caller frees). */
static int obj__load_for_edit(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t id,
                              Okr__Objective **cur, Okr__Cycle **cycle, int allow_owner)
{
    *cycle = NULL;
    int rc = obj__load_readable(r, s, txn, id, cur);
    if (rc != 0)
        return rc;
    int allowed = okr_acl_can_edit_objective(s, txn, r->user, *cur) ||
                  (allow_owner && (*cur)->owner_user_id == r->user->id);
    if (!allowed)
        rc = okr_req_refuse(r, OKR_E_FORBIDDEN,
                            "only O%llu's owner, a lead of its team or an admin may do that",
                            ULL(id));
    if (rc == 0)
        rc = obj__load_cycle(r, s, txn, (*cur)->cycle_id, cycle);
    if (rc != 0) {
        okr__objective__free_unpacked(*cur, NULL);
        *cur = NULL;
    }
    return rc;
}

static int archive__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__ObjectiveArchiveRequest *in = r->msg->objective_archive;
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL);
    Okr__Objective *cur;
    Okr__Cycle *cycle;
    int rc = obj__load_for_edit(r, s, txn, in->id, &cur, &cycle, 0);
    if (rc != 0)
        return rc;
    if (in->version)
        rc = obj__check_version(r, cur, in->version);
    if (rc == 0 && obj__cycle_closed(cycle))
        rc = obj__refuse_closed(r, cycle, cur->id);
    if (rc == 0 && cur->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED)
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST, "O%llu is already archived", ULL(cur->id));
    Okr__Objective next = *cur;
    next.state = OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED;
    if (rc == 0)
        rc = obj__save_next_version(s, txn, cur, &next);
    okr_updates_t u = {0};
    if (rc == 0)
        rc = obj__rollup(r, s, txn, cur->parent_id, &u);
    if (rc == 0)
        rc = obj__reload_and_finish(r, s, txn, OKR__CHANGE_OP__CHANGE_OP_ARCHIVE, cur->id, &u);
    okr_updates_free(&u);
    okr__cycle__free_unpacked(cycle, NULL);
    okr__objective__free_unpacked(cur, NULL);
    return rc;
}

void okr_handle_objective_archive(okr_req_t *r)
{
    if (r->msg->objective_archive->id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "id is required");
        return;
    }
    okr_req_submit_write(r, archive__apply, okr_req_write_done);
}

/* Why an objective cannot be deleted (0 if it can). */
static int delete__check_empty(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t id)
{
    if (okr_index_count(s, txn, OKR_DB_IDX_OBJECTIVE_KRS, id) > 0)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                              "O%llu has key results: archive it instead (okr obj archive O%llu)",
                              ULL(id), ULL(id));
    if (okr_index_count(s, txn, OKR_DB_IDX_CHILD_OBJECTIVES, id) > 0)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                              "O%llu has objectives aligned to it: archive it instead "
                              "(okr obj archive O%llu)",
                              ULL(id), ULL(id));
    if (okr_index_count(s, txn, OKR_DB_IDX_LINKED_KRS, id) > 0)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                              "a key result is linked to O%llu: archive it instead "
                              "(okr obj archive O%llu)",
                              ULL(id), ULL(id));
    return 0;
}

static int delete__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__ObjectiveDeleteRequest *in = r->msg->objective_delete;
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL);
    Okr__Objective *cur;
    Okr__Cycle *cycle;
    int rc = obj__load_for_edit(r, s, txn, in->id, &cur, &cycle, 0);
    if (rc != 0)
        return rc;
    if (in->version)
        rc = obj__check_version(r, cur, in->version);
    if (rc == 0 && obj__cycle_closed(cycle))
        rc = obj__refuse_closed(r, cycle, cur->id);
    if (rc == 0)
        rc = delete__check_empty(r, s, txn, cur->id);
    if (rc == 0)
        rc = okr_objective_delete(s, txn, cur);
    okr_updates_t u = {0};
    if (rc == 0)
        rc = obj__rollup(r, s, txn, cur->parent_id, &u);
    if (rc == 0)
        rc = obj__finish_write(r, s, txn, OKR__CHANGE_OP__CHANGE_OP_DELETE, cur, &u);
    okr_updates_free(&u);
    okr__cycle__free_unpacked(cycle, NULL);
    okr__objective__free_unpacked(cur, NULL);
    return rc;
}

void okr_handle_objective_delete(okr_req_t *r)
{
    if (r->msg->objective_delete->id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "id is required");
        return;
    }
    okr_req_submit_write(r, delete__apply, okr_req_write_done);
}

/* ---- score and retrospective ---- */

static int score__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__ObjectiveScoreRequest *in = r->msg->objective_score;
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL);
    Okr__Objective *cur;
    Okr__Cycle *cycle;
    int rc = obj__load_for_edit(r, s, txn, in->id, &cur, &cycle, 1);
    if (rc != 0)
        return rc;
    if (!obj__cycle_closed(cycle))
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST,
                            "cycle %s is not closed: scores are set when the cycle closes",
                            cycle->name);
    Okr__Objective next = *cur;
    if (in->clear_override) {
        next.score = okr_clamp01(cur->progress);
        next.score_overridden = 0;
        next.score_note = "";
    } else {
        next.score = in->score;
        next.score_overridden = 1;
        next.score_note = in->note;
    }
    if (rc == 0)
        rc = obj__save_next_version(s, txn, cur, &next);
    if (rc == 0)
        rc = obj__finish_write(r, s, txn, OKR__CHANGE_OP__CHANGE_OP_UPDATE, &next, NULL);
    okr__cycle__free_unpacked(cycle, NULL);
    okr__objective__free_unpacked(cur, NULL);
    return rc;
}

void okr_handle_objective_score(okr_req_t *r)
{
    const Okr__ObjectiveScoreRequest *in = r->msg->objective_score;
    char msg[256];
    if (in->id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "id is required");
        return;
    }
    if (!in->clear_override) {
        if (okr_check_finite("score", in->score, msg, sizeof msg)) {
            okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
            return;
        }
        if (in->score < 0.0 || in->score > 1.0) {
            okr_req_fail(r, OKR_E_BAD_REQUEST, "score must be between 0.0 and 1.0 (got %g)",
                         in->score);
            return;
        }
        if (okr_check_string("note", in->note, 1, OKR_TEXT_MAX, msg, sizeof msg)) {
            okr_req_fail(r, OKR_E_BAD_REQUEST, "%s: say why the score differs from the progress",
                         msg);
            return;
        }
    }
    okr_req_submit_write(r, score__apply, okr_req_write_done);
}

static int retro__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__ObjectiveRetroRequest *in = r->msg->objective_retro;
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL);
    Okr__Objective *cur;
    Okr__Cycle *cycle;
    int rc = obj__load_for_edit(r, s, txn, in->id, &cur, &cycle, 0);
    if (rc != 0)
        return rc;
    Okr__Objective next = *cur;
    next.retrospective = in->retrospective;
    rc = obj__save_next_version(s, txn, cur, &next);
    if (rc == 0)
        rc = obj__finish_write(r, s, txn, OKR__CHANGE_OP__CHANGE_OP_UPDATE, &next, NULL);
    okr__cycle__free_unpacked(cycle, NULL);
    okr__objective__free_unpacked(cur, NULL);
    return rc;
}

void okr_handle_objective_retro(okr_req_t *r)
{
    const Okr__ObjectiveRetroRequest *in = r->msg->objective_retro;
    char msg[256];
    if (in->id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "id is required");
        return;
    }
    if (okr_check_string("retrospective", in->retrospective, 0, OKR_TEXT_MAX, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return;
    }
    okr_req_submit_write(r, retro__apply, okr_req_write_done);
}
