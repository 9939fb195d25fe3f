/* handle_team.c — the organisation's team tree (company -> department ->
 * team), its leads and members. Admins write (dispatch checks the role);
 * every logged-in user may read: teams are not secret, their objectives may be.
 *
 * Decisions where the contract is silent:
 *   - a parent or user named by id that does not exist is NOT_FOUND (as
 *     team_get says it), an archived parent or a deactivated user BAD_REQUEST;
 *   - an archived team keeps its place in the tree; a team that is not archived
 *     may not sit under an archived parent (so archiving goes bottom-up);
 *   - team_set_member that changes nothing (already a member with that role,
 *     or removing a non-member) answers the team as it is and records no
 *     change; removing works for deactivated users too (cleanup), adding
 *     needs an active user and a team that is not archived. */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "domain.h"
#include "log.h"
#include "okr_error.h"
#include "handle_named.h"
#include "request.h"
#include "users.h"
#include "validate.h"

/* Bounds a walk up the tree through corrupt data; real trees are shallow. */
#define TEAM_MAX_DEPTH 1000

/* Clears what an earlier run of apply left (the writer may run it twice). */
static void team__reset(okr_req_t *r)
{
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL);
}

/* Loads the team a write acts on. Returns 0 with *out, or a refusal. */
static int team__load(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t id, Okr__Team **out)
{
    int rc = okr_team_get(s, txn, id, out);
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, rc, "no team #%llu", (unsigned long long)id);
    if (rc != 0)
        return okr_req_refuse(r, OKR_E_INTERNAL, "cannot read team #%llu", (unsigned long long)id);
    return 0;
}

/* The parent a team (not archived unless team_archived) may hang under:
 * it exists and, for a team that is not archived, is not archived itself. */
static int team__check_parent(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t parent_id,
                              int team_archived)
{
    if (parent_id == 0)
        return 0;
    Okr__Team *parent;
    int rc = okr_team_get(s, txn, parent_id, &parent);
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, rc, "no parent team #%llu", (unsigned long long)parent_id);
    if (rc != 0)
        return okr_req_refuse(r, OKR_E_INTERNAL, "cannot read team #%llu",
                              (unsigned long long)parent_id);
    if (parent->archived && !team_archived)
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST,
                            "parent team \"%s\" is archived; choose another parent or unarchive it",
                            parent->name);
    okr__team__free_unpacked(parent, NULL);
    return rc;
}

/* Refuses a save that failed, naming the duplicate when that is why. */
static int team__save(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__Team *old,
                      const Okr__Team *team)
{
    int rc = okr_team_save(s, txn, old, team);
    if (rc == OKR_E_CONFLICT)
        return okr_req_refuse(r, rc, "a team named \"%s\" already exists", team->name);
    return rc;
}

/* Checks the fields of a name and description; 0 or a failed request. */
static int team__check_fields(okr_req_t *r, const char *name, const char *description)
{
    char msg[256];
    if (okr_check_string("name", name, 1, OKR_NAME_MAX, msg, sizeof msg) ||
        okr_check_string("description", description, 0, OKR_TEXT_MAX, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return -1;
    }
    return 0;
}

/* ---- create ---- */

static int create__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__TeamCreateRequest *in = r->msg->team_create;
    team__reset(r);
    int rc = team__check_parent(r, s, txn, in->parent_id, 0);
    if (rc != 0)
        return rc;
    Okr__Team t = OKR__TEAM__INIT;
    t.name = in->name;
    t.description = in->description;
    t.parent_id = in->parent_id;
    t.version = 1;
    t.created_at = t.updated_at = okr_wall_ms();
    rc = okr_entity_new_id(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_TEAM, &t.id);
    if (rc == 0)
        rc = team__save(r, s, txn, NULL, &t);
    if (rc == 0)
        rc = okr_change_record(s, txn, r->user->id, OKR__CHANGE_OP__CHANGE_OP_CREATE,
                               OKR__ENTITY_KIND__ENTITY_KIND_TEAM, t.id, &t.base, NULL, NULL);
    if (rc == 0)
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_TEAM, &t.base);
    return rc;
}

void okr_handle_team_create(okr_req_t *r)
{
    const Okr__TeamCreateRequest *in = r->msg->team_create;
    if (team__check_fields(r, in->name, in->description) != 0)
        return;
    okr_req_submit_write(r, create__apply, okr_req_write_done);
}

/* ---- update ---- */

/* Refuses a parent that is the team itself or below it: walking up from the
 * proposed parent must reach a root without meeting the team. */
static int update__check_loop(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__Team *team,
                              uint64_t parent_id)
{
    if (parent_id == team->id)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST, "team \"%s\" cannot be its own parent",
                              team->name);
    uint64_t id = parent_id;
    for (int depth = 0; id != 0; depth++) {
        if (id == team->id)
            return okr_req_refuse(
                r, OKR_E_BAD_REQUEST,
                "team #%llu is below team \"%s\" in the tree; making it the parent "
                "would make a loop",
                (unsigned long long)parent_id, team->name);
        if (depth == TEAM_MAX_DEPTH)
            return okr_req_refuse(r, OKR_E_INTERNAL, "the team tree above team #%llu is too deep",
                                  (unsigned long long)parent_id);
        Okr__Team *t;
        int rc = team__load(r, s, txn, id, &t);
        if (rc != 0)
            return rc;
        id = t->parent_id;
        okr__team__free_unpacked(t, NULL);
    }
    return 0;
}

typedef struct children_ctx {
    okr_store_t *s;
    MDB_txn *txn;
    uint64_t active, first_active;
    int rc;
} children_ctx_t;

static int update__on_child(void *arg, uint64_t id)
{
    children_ctx_t *c = arg;
    Okr__Team *t;
    int rc = okr_team_get(c->s, c->txn, id, &t);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc != 0) {
        c->rc = rc;
        return 1;
    }
    if (!t->archived && c->active++ == 0)
        c->first_active = id;
    okr__team__free_unpacked(t, NULL);
    return 0;
}

static int update__check_archive(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__Team *team)
{
    children_ctx_t c = {.s = s, .txn = txn};
    okr_index_each(s, txn, OKR_DB_IDX_TEAM_CHILDREN, team->id, 0, update__on_child, &c);
    if (c.rc != 0)
        return okr_req_refuse(r, OKR_E_INTERNAL, "cannot read the sub-teams of \"%s\"", team->name);
    if (c.active > 0)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                              "team \"%s\" still has %llu sub-team(s) that are not archived "
                              "(#%llu first); archive or move them first",
                              team->name, (unsigned long long)c.active,
                              (unsigned long long)c.first_active);
    return 0;
}

static int update__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__Team *in = r->msg->team_update->team;
    team__reset(r);
    Okr__Team *old;
    int rc = team__load(r, s, txn, in->id, &old);
    if (rc != 0)
        return rc;
    if (in->version != old->version) {
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_TEAM, &old->base);
        if (rc == 0)
            rc = okr_req_refuse(r, OKR_E_CONFLICT,
                                "team \"%s\" was changed by someone else (version %llu, you had "
                                "%llu); reload and retry",
                                old->name, (unsigned long long)old->version,
                                (unsigned long long)in->version);
        goto out;
    }
    if (in->parent_id != old->parent_id || (old->archived && !in->archived))
        rc = team__check_parent(r, s, txn, in->parent_id, in->archived);
    if (rc == 0 && in->parent_id != old->parent_id)
        rc = update__check_loop(r, s, txn, old, in->parent_id);
    if (rc == 0 && in->archived && !old->archived)
        rc = update__check_archive(r, s, txn, old);
    if (rc != 0)
        goto out;

    /* The new state borrows old's member lists and in's strings. */
    Okr__Team t = *old;
    t.name = in->name;
    t.description = in->description;
    t.parent_id = in->parent_id;
    t.archived = in->archived;
    t.version = old->version + 1;
    t.updated_at = okr_wall_ms();
    Okr__ChangeOp op = in->archived && !old->archived ? OKR__CHANGE_OP__CHANGE_OP_ARCHIVE
                                                      : OKR__CHANGE_OP__CHANGE_OP_UPDATE;
    rc = team__save(r, s, txn, old, &t);
    if (rc == 0)
        rc = okr_change_record(s, txn, r->user->id, op, OKR__ENTITY_KIND__ENTITY_KIND_TEAM, t.id,
                               &t.base, NULL, NULL);
    if (rc == 0)
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_TEAM, &t.base);
out:
    okr__team__free_unpacked(old, NULL);
    return rc;
}

void okr_handle_team_update(okr_req_t *r)
{
    const Okr__Team *in = r->msg->team_update->team;
    if (!in || in->id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "team (with its id and version) is missing");
        return;
    }
    if (team__check_fields(r, in->name, in->description) != 0)
        return;
    okr_req_submit_write(r, update__apply, okr_req_write_done);
}

/* ---- get ---- */

void okr_handle_team_get(okr_req_t *r)
{
    const Okr__TeamGetRequest *in = r->msg->team_get;
    okr_reply_named(r, OKR__ENTITY_KIND__ENTITY_KIND_TEAM, in->id, in->name);
}

/* ---- list (children of a team, or every team; paged by team id) ---- */

typedef struct list_ctx {
    okr_store_t *s;
    MDB_txn *txn;
    int include_archived;
    Okr__Team **items;
    size_t n, limit;
    uint64_t next_after;
    int rc;
} list_ctx_t;

static int list__on_team(void *arg, uint64_t id)
{
    list_ctx_t *l = arg;
    Okr__Team *t;
    int rc = okr_team_get(l->s, l->txn, id, &t);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc != 0) {
        l->rc = rc;
        return 1;
    }
    if (t->archived && !l->include_archived) {
        okr__team__free_unpacked(t, NULL);
        return 0;
    }
    if (l->n == l->limit) {
        okr__team__free_unpacked(t, NULL);
        l->next_after = l->items[l->n - 1]->id;
        return 1; /* one more exists: this page is full */
    }
    l->items[l->n++] = t;
    return 0;
}

void okr_handle_team_list(okr_req_t *r)
{
    const Okr__TeamListRequest *in = r->msg->team_list;
    okr_store_t *s = r->srv->store;
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    list_ctx_t l = {.s = s,
                    .txn = txn,
                    .include_archived = in->include_archived,
                    .limit = okr_page_limit(in->page)};
    int rc = 0;
    if (!in->all && in->parent_id) {
        Okr__Team *parent;
        rc = okr_team_get(s, txn, in->parent_id, &parent);
        if (rc == 0)
            okr__team__free_unpacked(parent, NULL);
        else if (rc == OKR_E_NOT_FOUND)
            okr_req_refuse(r, rc, "no team #%llu", (unsigned long long)in->parent_id);
    }
    if (rc == 0) {
        l.items = calloc(l.limit, sizeof *l.items);
        rc = l.items ? 0 : okr_req_refuse(r, OKR_E_INTERNAL, "out of memory");
    }
    if (rc == 0) {
        uint64_t after = okr_page_after(in->page);
        if (in->all)
            okr_entity_each(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_TEAM, after, list__on_team, &l);
        else
            okr_index_each(s, txn, OKR_DB_IDX_TEAM_CHILDREN, in->parent_id, after, list__on_team,
                           &l);
        rc = l.rc;
    }
    okr_store_read_end(s, txn);
    if (rc == 0) {
        Okr__TeamList list = OKR__TEAM_LIST__INIT;
        list.teams = l.items;
        list.n_teams = l.n;
        list.next_after_id = l.next_after;
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_TEAM_LIST, &list.base);
    }
    for (size_t i = 0; i < l.n; i++)
        okr__team__free_unpacked(l.items[i], NULL);
    free(l.items);
    okr_req_finish(r, rc);
}

/* ---- set member ---- */

/* ids without id, then id appended if add; the caller frees *out. Sets
 * *changed when the result differs from ids. */
static int member__edit(const uint64_t *ids, size_t n, uint64_t id, int add, uint64_t **out,
                        size_t *n_out, int *changed)
{
    uint64_t *v = malloc((n + 1) * sizeof *v);
    if (!v)
        return OKR_E_NOMEM;
    size_t k = 0;
    int had = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == id)
            had = 1;
        else
            v[k++] = ids[i];
    }
    if (add)
        v[k++] = id;
    if (had != add)
        *changed = 1;
    *out = v;
    *n_out = k;
    return 0;
}

/* The user a set_member names, by id or username. */
static int member__user(okr_req_t *r, okr_store_t *s, MDB_txn *txn, Okr__UserRecord **rec)
{
    const Okr__TeamSetMemberRequest *in = r->msg->team_set_member;
    int rc = in->user_id ? okr_users_get(s, txn, in->user_id, rec)
                         : okr_users_find(s, txn, in->username, rec);
    if (rc == OKR_E_NOT_FOUND && in->user_id)
        return okr_req_refuse(r, rc, "no user with id %llu", (unsigned long long)in->user_id);
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, rc, "no user named \"%s\"", in->username);
    if (rc != 0)
        return okr_req_refuse(r, OKR_E_INTERNAL, "cannot read the user");
    return 0;
}

static int set_member__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__TeamSetMemberRequest *in = r->msg->team_set_member;
    int add = in->role != OKR__TEAM_ROLE__TEAM_ROLE_UNSPECIFIED;
    team__reset(r);
    Okr__Team *old;
    int rc = team__load(r, s, txn, in->team_id, &old);
    if (rc != 0)
        return rc;
    Okr__UserRecord *rec = NULL;
    uint64_t *leads = NULL, *members = NULL;
    rc = member__user(r, s, txn, &rec);
    if (rc != 0)
        goto out;
    const Okr__User *u = rec->user;
    if (add && !u->active) {
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST, "user \"%s\" is deactivated", u->username);
        goto out;
    }
    if (add && old->archived) {
        rc =
            okr_req_refuse(r, OKR_E_BAD_REQUEST,
                           "team \"%s\" is archived; unarchive it before adding people", old->name);
        goto out;
    }
    Okr__Team t = *old;
    int changed = 0;
    rc = member__edit(old->lead_ids, old->n_lead_ids, u->id,
                      in->role == OKR__TEAM_ROLE__TEAM_ROLE_LEAD, &leads, &t.n_lead_ids, &changed);
    if (rc == 0)
        rc = member__edit(old->member_ids, old->n_member_ids, u->id, add, &members, &t.n_member_ids,
                          &changed);
    if (rc != 0)
        goto out;
    if (!changed) { /* nothing to do: answer the team as it is */
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_TEAM, &old->base);
        goto out;
    }
    t.lead_ids = leads;
    t.member_ids = members;
    t.version = old->version + 1;
    t.updated_at = okr_wall_ms();
    rc = okr_team_save(s, txn, old, &t);
    if (rc == 0)
        rc = okr_change_record(s, txn, r->user->id, OKR__CHANGE_OP__CHANGE_OP_UPDATE,
                               OKR__ENTITY_KIND__ENTITY_KIND_TEAM, t.id, &t.base, NULL, NULL);
    if (rc == 0)
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_TEAM, &t.base);
out:
    free(leads);
    free(members);
    if (rec)
        okr__user_record__free_unpacked(rec, NULL);
    okr__team__free_unpacked(old, NULL);
    return rc;
}

void okr_handle_team_set_member(okr_req_t *r)
{
    const Okr__TeamSetMemberRequest *in = r->msg->team_set_member;
    char msg[256];
    if (in->team_id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "team_id is missing");
        return;
    }
    if (in->user_id == 0 &&
        okr_check_string("username", in->username, 1, OKR_USERNAME_MAX, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "name a user by id or username: %s", msg);
        return;
    }
    if (in->role != OKR__TEAM_ROLE__TEAM_ROLE_UNSPECIFIED &&
        in->role != OKR__TEAM_ROLE__TEAM_ROLE_MEMBER &&
        in->role != OKR__TEAM_ROLE__TEAM_ROLE_LEAD) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "role must be member, lead, or unspecified (remove)");
        return;
    }
    okr_req_submit_write(r, set_member__apply, okr_req_write_done);
}
