#include "acl.h"

#include "domain.h"

/* Deeper than any real organisation; stops a corrupt parent loop. */
#define ACL_MAX_DEPTH 64

int okr_acl_is_admin(const Okr__User *user)
{
    return user && user->role == OKR__ROLE__ROLE_ADMIN;
}

okr_team_role_t okr_acl_team_role(const Okr__Team *team, uint64_t user_id)
{
    for (size_t i = 0; i < team->n_lead_ids; i++)
        if (team->lead_ids[i] == user_id)
            return OKR_TEAM_ROLE_LEAD;
    for (size_t i = 0; i < team->n_member_ids; i++)
        if (team->member_ids[i] == user_id)
            return OKR_TEAM_ROLE_MEMBER;
    return OKR_TEAM_ROLE_NONE;
}

okr_team_role_t okr_acl_role_in(okr_store_t *s, MDB_txn *txn, uint64_t team_id, uint64_t user_id)
{
    Okr__Team *team;
    if (team_id == 0 || okr_team_get(s, txn, team_id, &team) != 0)
        return OKR_TEAM_ROLE_NONE;
    okr_team_role_t role = okr_acl_team_role(team, user_id);
    okr__team__free_unpacked(team, NULL);
    return role;
}

int okr_acl_leads_team_or_ancestor(okr_store_t *s, MDB_txn *txn, uint64_t team_id, uint64_t user_id)
{
    for (int depth = 0; team_id != 0 && depth < ACL_MAX_DEPTH; depth++) {
        Okr__Team *team;
        if (okr_team_get(s, txn, team_id, &team) != 0)
            return 0;
        int leads = okr_acl_team_role(team, user_id) == OKR_TEAM_ROLE_LEAD;
        team_id = team->parent_id;
        okr__team__free_unpacked(team, NULL);
        if (leads)
            return 1;
    }
    return 0;
}

int okr_acl_can_read_objective(okr_store_t *s, MDB_txn *txn, const Okr__User *user,
                               const Okr__Objective *obj)
{
    if (okr_acl_is_admin(user) || obj->visibility != OKR__VISIBILITY__VISIBILITY_TEAM)
        return 1;
    if (obj->owner_user_id == user->id)
        return 1;
    return okr_acl_role_in(s, txn, obj->team_id, user->id) != OKR_TEAM_ROLE_NONE ||
           okr_acl_leads_team_or_ancestor(s, txn, obj->team_id, user->id);
}

int okr_acl_can_edit_objective(okr_store_t *s, MDB_txn *txn, const Okr__User *user,
                               const Okr__Objective *obj)
{
    if (okr_acl_is_admin(user))
        return 1;
    /* A member may own objectives personally (unless placed in a team they
     * are not in); everything of a team is its leads'. */
    if (obj->owner_user_id == user->id && obj->owner_team_id == 0 &&
        (obj->team_id == 0 ||
         okr_acl_role_in(s, txn, obj->team_id, user->id) != OKR_TEAM_ROLE_NONE ||
         okr_acl_leads_team_or_ancestor(s, txn, obj->team_id, user->id)))
        return 1;
    uint64_t team = obj->owner_team_id ? obj->owner_team_id : obj->team_id;
    return team != 0 && okr_acl_leads_team_or_ancestor(s, txn, team, user->id);
}

int okr_acl_can_edit_kr(okr_store_t *s, MDB_txn *txn, const Okr__User *user,
                        const Okr__Objective *obj, const Okr__KeyResult *kr)
{
    if (okr_acl_can_edit_objective(s, txn, user, obj))
        return 1;
    return kr && kr->owner_user_id == user->id;
}

int okr_acl_can_checkin(okr_store_t *s, MDB_txn *txn, const Okr__User *user,
                        const Okr__Objective *obj, const Okr__KeyResult *kr)
{
    if (okr_acl_can_edit_kr(s, txn, user, obj, kr))
        return 1;
    /* "their team owns": a member of the team that owns the objective. */
    return obj->owner_team_id != 0 &&
           okr_acl_role_in(s, txn, obj->owner_team_id, user->id) != OKR_TEAM_ROLE_NONE;
}

int okr_acl_can_manage_tasks(okr_store_t *s, MDB_txn *txn, const Okr__User *user,
                             const Okr__Objective *obj, const Okr__KeyResult *kr)
{
    return okr_acl_can_edit_kr(s, txn, user, obj, kr);
}

int okr_acl_can_update_task_state(okr_store_t *s, MDB_txn *txn, const Okr__User *user,
                                  const Okr__Objective *obj, const Okr__KeyResult *kr,
                                  const Okr__Task *task)
{
    return task->assignee_id == user->id || okr_acl_can_manage_tasks(s, txn, user, obj, kr);
}
