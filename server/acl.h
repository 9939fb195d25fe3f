/* acl.h — who may do what (DESIGN.md section 2), checked on the server for
 * every request, inside the transaction that acts on it.
 *
 *   admin      everything
 *   team lead  the team's objectives and key results (and those of its
 *              sub-teams), and its members' tasks
 *   member     objectives and key results they own; check-ins on key
 *              results they own or their team owns; tasks assigned to them;
 *              comments anywhere they can read
 *   visibility `team`: readable only by the objective's team (members and
 *              leads), the leads of that team's ancestors, and admins
 *
 * Each function returns 1 (allowed) or 0. They read what they need (teams,
 * the objective of a key result) through txn.
 */
#ifndef OKR_ACL_H
#define OKR_ACL_H

#include <lmdb.h>
#include <stdint.h>

#include "okr.pb-c.h"
#include "store.h"

typedef enum okr_team_role {
    OKR_TEAM_ROLE_NONE = 0,
    OKR_TEAM_ROLE_MEMBER = 1,
    OKR_TEAM_ROLE_LEAD = 2,
} okr_team_role_t;

int okr_acl_is_admin(const Okr__User *user);

/* The user's role in one team (leads count as LEAD even if not listed as members). */
okr_team_role_t okr_acl_team_role(const Okr__Team *team, uint64_t user_id);

/* Role in team_id, read through txn (NONE if the team does not exist). */
okr_team_role_t okr_acl_role_in(okr_store_t *s, MDB_txn *txn, uint64_t team_id, uint64_t user_id);

/* 1 if user leads team_id or any of its ancestors. */
int okr_acl_leads_team_or_ancestor(okr_store_t *s, MDB_txn *txn, uint64_t team_id,
                                   uint64_t user_id);

int okr_acl_can_read_objective(okr_store_t *s, MDB_txn *txn, const Okr__User *user,
                               const Okr__Objective *obj);

/* Create (as described by obj), edit, archive, delete, score. */
int okr_acl_can_edit_objective(okr_store_t *s, MDB_txn *txn, const Okr__User *user,
                               const Okr__Objective *obj);

/* Create, edit and delete key results of obj; kr is NULL for a create. */
int okr_acl_can_edit_kr(okr_store_t *s, MDB_txn *txn, const Okr__User *user,
                        const Okr__Objective *obj, const Okr__KeyResult *kr);

int okr_acl_can_checkin(okr_store_t *s, MDB_txn *txn, const Okr__User *user,
                        const Okr__Objective *obj, const Okr__KeyResult *kr);

/* Create, edit (all fields) and delete tasks under kr. */
int okr_acl_can_manage_tasks(okr_store_t *s, MDB_txn *txn, const Okr__User *user,
                             const Okr__Objective *obj, const Okr__KeyResult *kr);

/* Change a task's state (and nothing else): its assignee, or a manager. */
int okr_acl_can_update_task_state(okr_store_t *s, MDB_txn *txn, const Okr__User *user,
                                  const Okr__Objective *obj, const Okr__KeyResult *kr,
                                  const Okr__Task *task);

#endif
