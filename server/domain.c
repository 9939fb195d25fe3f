/* domain.c — OKR records, their indexes and change log entries in LMDB. */
#include "domain.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "keys.h"
#include "okr_error.h"

typedef struct entity_type {
    Okr__EntityKind kind;
    okr_db_t db;
    const ProtobufCMessageDescriptor *desc;
    const char *counter; /* the meta counter its ids come from */
} entity_type_t;

static const entity_type_t entity_types[] = {
    {OKR__ENTITY_KIND__ENTITY_KIND_USER, OKR_DB_USERS, &okr__user_record__descriptor, "user"},
    {OKR__ENTITY_KIND__ENTITY_KIND_TEAM, OKR_DB_TEAMS, &okr__team__descriptor, "team"},
    {OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, OKR_DB_CYCLES, &okr__cycle__descriptor, "cycle"},
    {OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, OKR_DB_OBJECTIVES, &okr__objective__descriptor,
     "objective"},
    {OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, OKR_DB_KEY_RESULTS, &okr__key_result__descriptor,
     "key_result"},
    {OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN, OKR_DB_CHECKINS, &okr__check_in__descriptor, "checkin"},
    {OKR__ENTITY_KIND__ENTITY_KIND_TASK, OKR_DB_TASKS, &okr__task__descriptor, "task"},
    {OKR__ENTITY_KIND__ENTITY_KIND_COMMENT, OKR_DB_COMMENTS, &okr__comment__descriptor, "comment"},
};

static const entity_type_t *entity__type(Okr__EntityKind kind)
{
    for (size_t i = 0; i < sizeof entity_types / sizeof entity_types[0]; i++)
        if (entity_types[i].kind == kind)
            return &entity_types[i];
    return NULL;
}

/* ---- records ---- */

int okr_entity_get(okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind, uint64_t id,
                   ProtobufCMessage **out)
{
    const entity_type_t *t = entity__type(kind);
    *out = NULL;
    if (!t || id == 0)
        return OKR_E_NOT_FOUND;
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, id);
    return okr_store_get_msg(s, txn, t->db, key, sizeof key, t->desc, out);
}

int okr_entity_new_id(okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind, uint64_t *id)
{
    const entity_type_t *t = entity__type(kind);
    return t ? okr_store_next_id(s, txn, t->counter, id) : OKR_E_INTERNAL;
}

#define TYPED_GET(fn, type, KIND)                                                                  \
    int fn(okr_store_t *s, MDB_txn *txn, uint64_t id, type **out)                                  \
    {                                                                                              \
        return okr_entity_get(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_##KIND, id,                    \
                              (ProtobufCMessage **)out);                                           \
    }

TYPED_GET(okr_team_get, Okr__Team, TEAM)
TYPED_GET(okr_cycle_get, Okr__Cycle, CYCLE)
TYPED_GET(okr_objective_get, Okr__Objective, OBJECTIVE)
TYPED_GET(okr_kr_get, Okr__KeyResult, KEY_RESULT)
TYPED_GET(okr_checkin_get, Okr__CheckIn, CHECKIN)
TYPED_GET(okr_task_get, Okr__Task, TASK)
TYPED_GET(okr_comment_get, Okr__Comment, COMMENT)

static int record__put(okr_store_t *s, MDB_txn *txn, okr_db_t db, uint64_t id,
                       const ProtobufCMessage *m)
{
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, id);
    return okr_store_put_msg(s, txn, db, key, sizeof key, m);
}

static int record__del(okr_store_t *s, MDB_txn *txn, okr_db_t db, uint64_t id)
{
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, id);
    int rc = okr_store_del(s, txn, db, key, sizeof key);
    return rc == OKR_E_NOT_FOUND ? 0 : rc;
}

/* ---- indexes ---- */

static int idx__put(okr_store_t *s, MDB_txn *txn, okr_db_t idx, uint64_t a, uint64_t b)
{
    uint8_t key[2 * OKR_KEY_U64_LEN];
    okr_key_put_u64_pair(key, a, b);
    return okr_store_put(s, txn, idx, key, sizeof key, "", 0);
}

static int idx__del(okr_store_t *s, MDB_txn *txn, okr_db_t idx, uint64_t a, uint64_t b)
{
    uint8_t key[2 * OKR_KEY_U64_LEN];
    okr_key_put_u64_pair(key, a, b);
    int rc = okr_store_del(s, txn, idx, key, sizeof key);
    return rc == OKR_E_NOT_FOUND ? 0 : rc;
}

/* Moves b's entry from old_a to new_a. An a of 0 means "no entry", so a
 * record without a parent (or owner) is simply not indexed under one. */
static int idx__move(okr_store_t *s, MDB_txn *txn, okr_db_t idx, uint64_t old_a, uint64_t new_a,
                     uint64_t b)
{
    if (old_a == new_a)
        return 0;
    int rc = old_a ? idx__del(s, txn, idx, old_a, b) : 0;
    if (rc == 0 && new_a)
        rc = idx__put(s, txn, idx, new_a, b);
    return rc;
}

int okr_index_each(okr_store_t *s, MDB_txn *txn, okr_db_t idx, uint64_t a, uint64_t after,
                   okr_index_fn fn, void *arg)
{
    if (after == UINT64_MAX)
        return 0;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, okr_store_dbi(s, idx), &cur) != 0)
        return OKR_E_INTERNAL;
    uint8_t start[2 * OKR_KEY_U64_LEN];
    okr_key_put_u64_pair(start, a, after + 1);
    MDB_val k = {sizeof start, start}, v;
    int rc = 0;
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0 && rc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 2 * OKR_KEY_U64_LEN || okr_key_get_u64(k.mv_data) != a)
            break;
        rc = fn(arg, okr_key_get_u64((const uint8_t *)k.mv_data + OKR_KEY_U64_LEN));
    }
    mdb_cursor_close(cur);
    return rc;
}

int okr_index_each_desc(okr_store_t *s, MDB_txn *txn, okr_db_t idx, uint64_t a, okr_index_fn fn,
                        void *arg)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, okr_store_dbi(s, idx), &cur) != 0)
        return OKR_E_INTERNAL;
    /* The last entry under a is the one before the first key above (a, max):
     * that is (a + 1, ...) or the end of the index. */
    uint8_t last[2 * OKR_KEY_U64_LEN];
    okr_key_put_u64_pair(last, a, UINT64_MAX);
    MDB_val k = {sizeof last, last}, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (mrc == MDB_NOTFOUND)
        mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    else if (mrc == 0 && (k.mv_size != sizeof last || memcmp(k.mv_data, last, sizeof last) != 0))
        mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
    int rc = 0;
    for (; mrc == 0 && rc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        if (k.mv_size < 2 * OKR_KEY_U64_LEN || okr_key_get_u64(k.mv_data) != a)
            break;
        rc = fn(arg, okr_key_get_u64((const uint8_t *)k.mv_data + OKR_KEY_U64_LEN));
    }
    mdb_cursor_close(cur);
    return rc;
}

int okr_index_has(okr_store_t *s, MDB_txn *txn, okr_db_t idx, uint64_t a, uint64_t b)
{
    uint8_t key[2 * OKR_KEY_U64_LEN];
    okr_key_put_u64_pair(key, a, b);
    MDB_val v;
    return okr_store_get(s, txn, idx, key, sizeof key, &v) == 0;
}

static int count__one(void *arg, uint64_t b)
{
    (void)b;
    ++*(uint64_t *)arg;
    return 0;
}

uint64_t okr_index_count(okr_store_t *s, MDB_txn *txn, okr_db_t idx, uint64_t a)
{
    uint64_t n = 0;
    okr_index_each(s, txn, idx, a, 0, count__one, &n);
    return n;
}

/* Every record id of kind: ascending from after + 1, or (desc) descending
 * from the last; the stopping rule of okr_index_each. */
static int entity__scan(okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind, uint64_t after,
                        int desc, okr_index_fn fn, void *arg)
{
    const entity_type_t *t = entity__type(kind);
    if (!t || after == UINT64_MAX)
        return t ? 0 : OKR_E_INTERNAL;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, okr_store_dbi(s, t->db), &cur) != 0)
        return OKR_E_INTERNAL;
    /* ascending: from after + 1; descending: from below `after` (0: the
     * last), the key before the first one at or above it */
    uint8_t start[OKR_KEY_U64_LEN];
    okr_key_put_u64(start, desc ? after : after + 1);
    MDB_val k = {sizeof start, start}, v;
    int rc = 0, mrc;
    if (!desc)
        mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    else if (after == 0)
        mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    else if ((mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)) == 0)
        mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
    else if (mrc == MDB_NOTFOUND)
        mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST); /* every key is below it */
    for (; mrc == 0 && rc == 0; mrc = mdb_cursor_get(cur, &k, &v, desc ? MDB_PREV : MDB_NEXT))
        if (k.mv_size == OKR_KEY_U64_LEN)
            rc = fn(arg, okr_key_get_u64(k.mv_data));
    mdb_cursor_close(cur);
    return rc;
}

int okr_entity_each(okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind, uint64_t after,
                    okr_index_fn fn, void *arg)
{
    return entity__scan(s, txn, kind, after, 0, fn, arg);
}

int okr_entity_each_desc(okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind, uint64_t before,
                         okr_index_fn fn, void *arg)
{
    return entity__scan(s, txn, kind, before, 1, fn, arg);
}

/* ---- unique names (teams, cycles) ---- */

static int name__find(okr_store_t *s, MDB_txn *txn, okr_db_t db, const char *name, uint64_t *id)
{
    char *folded = okr_key_fold_name(name);
    if (!folded)
        return OKR_E_NOT_FOUND;
    MDB_val v;
    int rc = okr_store_get(s, txn, db, folded, strlen(folded), &v);
    free(folded);
    if (rc != 0)
        return rc;
    if (v.mv_size != OKR_KEY_U64_LEN)
        return OKR_E_INTERNAL;
    *id = okr_key_get_u64(v.mv_data);
    return 0;
}

/* Points name at id, releasing old_name (if any, and different). */
static int name__move(okr_store_t *s, MDB_txn *txn, okr_db_t db, const char *old_name,
                      const char *name, uint64_t id)
{
    char *folded = okr_key_fold_name(name);
    char *old_folded = old_name ? okr_key_fold_name(old_name) : NULL;
    int rc = folded ? 0 : OKR_E_BAD_REQUEST;
    if (rc == 0 && (!old_folded || strcmp(old_folded, folded) != 0)) {
        uint64_t owner;
        rc = name__find(s, txn, db, name, &owner);
        if (rc == 0 && owner != id) {
            rc = OKR_E_CONFLICT;
        } else if (rc == 0 || rc == OKR_E_NOT_FOUND) {
            rc = old_folded ? okr_store_del(s, txn, db, old_folded, strlen(old_folded)) : 0;
            if (rc == OKR_E_NOT_FOUND)
                rc = 0;
            uint8_t val[OKR_KEY_U64_LEN];
            okr_key_put_u64(val, id);
            if (rc == 0)
                rc = okr_store_put(s, txn, db, folded, strlen(folded), val, sizeof val);
        }
    }
    free(folded);
    free(old_folded);
    return rc;
}

int okr_team_find(okr_store_t *s, MDB_txn *txn, const char *name, uint64_t *id)
{
    return name__find(s, txn, OKR_DB_TEAMS_BY_NAME, name, id);
}

int okr_cycle_find(okr_store_t *s, MDB_txn *txn, const char *name, uint64_t *id)
{
    return name__find(s, txn, OKR_DB_CYCLES_BY_NAME, name, id);
}

/* ---- saving ---- */

int okr_team_save(okr_store_t *s, MDB_txn *txn, const Okr__Team *old, const Okr__Team *team)
{
    int rc = name__move(s, txn, OKR_DB_TEAMS_BY_NAME, old ? old->name : NULL, team->name, team->id);
    /* Roots are indexed under parent 0 too, so the tree can be listed from the top. */
    if (rc == 0 && (!old || old->parent_id != team->parent_id)) {
        if (old)
            rc = idx__del(s, txn, OKR_DB_IDX_TEAM_CHILDREN, old->parent_id, team->id);
        if (rc == 0)
            rc = idx__put(s, txn, OKR_DB_IDX_TEAM_CHILDREN, team->parent_id, team->id);
    }
    return rc ? rc : record__put(s, txn, OKR_DB_TEAMS, team->id, &team->base);
}

int okr_cycle_save(okr_store_t *s, MDB_txn *txn, const Okr__Cycle *old, const Okr__Cycle *cycle)
{
    int rc =
        name__move(s, txn, OKR_DB_CYCLES_BY_NAME, old ? old->name : NULL, cycle->name, cycle->id);
    return rc ? rc : record__put(s, txn, OKR_DB_CYCLES, cycle->id, &cycle->base);
}

int okr_objective_save(okr_store_t *s, MDB_txn *txn, const Okr__Objective *old,
                       const Okr__Objective *obj)
{
    uint64_t id = obj->id;
    int rc =
        idx__move(s, txn, OKR_DB_IDX_CYCLE_OBJECTIVES, old ? old->cycle_id : 0, obj->cycle_id, id);
    if (rc == 0)
        rc =
            idx__move(s, txn, OKR_DB_IDX_TEAM_OBJECTIVES, old ? old->team_id : 0, obj->team_id, id);
    if (rc == 0)
        rc = idx__move(s, txn, OKR_DB_IDX_USER_OBJECTIVES, old ? old->owner_user_id : 0,
                       obj->owner_user_id, id);
    if (rc == 0)
        rc = idx__move(s, txn, OKR_DB_IDX_CHILD_OBJECTIVES, old ? old->parent_id : 0,
                       obj->parent_id, id);
    return rc ? rc : record__put(s, txn, OKR_DB_OBJECTIVES, id, &obj->base);
}

int okr_kr_save(okr_store_t *s, MDB_txn *txn, const Okr__KeyResult *old, const Okr__KeyResult *kr)
{
    uint64_t id = kr->id;
    int rc = idx__move(s, txn, OKR_DB_IDX_OBJECTIVE_KRS, old ? old->objective_id : 0,
                       kr->objective_id, id);
    if (rc == 0)
        rc = idx__move(s, txn, OKR_DB_IDX_USER_KRS, old ? old->owner_user_id : 0, kr->owner_user_id,
                       id);
    if (rc == 0)
        rc = idx__move(s, txn, OKR_DB_IDX_LINKED_KRS, old ? old->linked_objective_id : 0,
                       kr->linked_objective_id, id);
    return rc ? rc : record__put(s, txn, OKR_DB_KEY_RESULTS, id, &kr->base);
}

int okr_task_save(okr_store_t *s, MDB_txn *txn, const Okr__Task *old, const Okr__Task *task)
{
    int rc = idx__move(s, txn, OKR_DB_IDX_KR_TASKS, old ? old->key_result_id : 0,
                       task->key_result_id, task->id);
    if (rc == 0)
        rc = idx__move(s, txn, OKR_DB_IDX_USER_TASKS, old ? old->assignee_id : 0, task->assignee_id,
                       task->id);
    return rc ? rc : record__put(s, txn, OKR_DB_TASKS, task->id, &task->base);
}

int okr_checkin_add(okr_store_t *s, MDB_txn *txn, const Okr__CheckIn *checkin)
{
    int rc = idx__put(s, txn, OKR_DB_IDX_KR_CHECKINS, checkin->key_result_id, checkin->id);
    return rc ? rc : record__put(s, txn, OKR_DB_CHECKINS, checkin->id, &checkin->base);
}

int okr_comment_add(okr_store_t *s, MDB_txn *txn, const Okr__Comment *comment)
{
    int rc =
        comment->objective_id
            ? idx__put(s, txn, OKR_DB_IDX_OBJECTIVE_COMMENTS, comment->objective_id, comment->id)
            : idx__put(s, txn, OKR_DB_IDX_KR_COMMENTS, comment->key_result_id, comment->id);
    return rc ? rc : record__put(s, txn, OKR_DB_COMMENTS, comment->id, &comment->base);
}

int okr_objective_delete(okr_store_t *s, MDB_txn *txn, const Okr__Objective *obj)
{
    int rc = idx__move(s, txn, OKR_DB_IDX_CYCLE_OBJECTIVES, obj->cycle_id, 0, obj->id);
    if (rc == 0)
        rc = idx__move(s, txn, OKR_DB_IDX_TEAM_OBJECTIVES, obj->team_id, 0, obj->id);
    if (rc == 0)
        rc = idx__move(s, txn, OKR_DB_IDX_USER_OBJECTIVES, obj->owner_user_id, 0, obj->id);
    if (rc == 0)
        rc = idx__move(s, txn, OKR_DB_IDX_CHILD_OBJECTIVES, obj->parent_id, 0, obj->id);
    return rc ? rc : record__del(s, txn, OKR_DB_OBJECTIVES, obj->id);
}

int okr_kr_delete(okr_store_t *s, MDB_txn *txn, const Okr__KeyResult *kr)
{
    int rc = idx__move(s, txn, OKR_DB_IDX_OBJECTIVE_KRS, kr->objective_id, 0, kr->id);
    if (rc == 0)
        rc = idx__move(s, txn, OKR_DB_IDX_USER_KRS, kr->owner_user_id, 0, kr->id);
    if (rc == 0)
        rc = idx__move(s, txn, OKR_DB_IDX_LINKED_KRS, kr->linked_objective_id, 0, kr->id);
    return rc ? rc : record__del(s, txn, OKR_DB_KEY_RESULTS, kr->id);
}

int okr_task_delete(okr_store_t *s, MDB_txn *txn, const Okr__Task *task)
{
    int rc = idx__move(s, txn, OKR_DB_IDX_KR_TASKS, task->key_result_id, 0, task->id);
    if (rc == 0)
        rc = idx__move(s, txn, OKR_DB_IDX_USER_TASKS, task->assignee_id, 0, task->id);
    return rc ? rc : record__del(s, txn, OKR_DB_TASKS, task->id);
}

/* ---- the change log ---- */

static int change__index(okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind, uint64_t id,
                         uint64_t seq)
{
    uint8_t key[3 * OKR_KEY_U64_LEN];
    okr_key_put_u64_pair(key, (uint64_t)kind, id);
    okr_key_put_u64(key + 2 * OKR_KEY_U64_LEN, seq);
    return okr_store_put(s, txn, OKR_DB_IDX_ENTITY_CHANGES, key, sizeof key, "", 0);
}

/* Sets the Change's oneof to entity by kind. */
static void change__set_entity(Okr__Change *c, Okr__EntityKind kind, ProtobufCMessage *entity)
{
    if (!entity)
        return;
    switch (kind) {
    case OKR__ENTITY_KIND__ENTITY_KIND_USER:
        c->entity_case = OKR__CHANGE__ENTITY_USER;
        c->user = (Okr__User *)entity;
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_TEAM:
        c->entity_case = OKR__CHANGE__ENTITY_TEAM;
        c->team = (Okr__Team *)entity;
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_CYCLE:
        c->entity_case = OKR__CHANGE__ENTITY_CYCLE;
        c->cycle = (Okr__Cycle *)entity;
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE:
        c->entity_case = OKR__CHANGE__ENTITY_OBJECTIVE;
        c->objective = (Okr__Objective *)entity;
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT:
        c->entity_case = OKR__CHANGE__ENTITY_KEY_RESULT;
        c->key_result = (Okr__KeyResult *)entity;
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN:
        c->entity_case = OKR__CHANGE__ENTITY_CHECKIN;
        c->checkin = (Okr__CheckIn *)entity;
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_TASK:
        c->entity_case = OKR__CHANGE__ENTITY_TASK;
        c->task = (Okr__Task *)entity;
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_COMMENT:
        c->entity_case = OKR__CHANGE__ENTITY_COMMENT;
        c->comment = (Okr__Comment *)entity;
        break;
    default:
        break;
    }
}

int okr_change_record(okr_store_t *s, MDB_txn *txn, uint64_t actor_id, Okr__ChangeOp op,
                      Okr__EntityKind kind, uint64_t id, const ProtobufCMessage *entity,
                      const okr_change_extra_t *extra, uint64_t *seq)
{
    Okr__Change c = OKR__CHANGE__INIT;
    c.time = okr_wall_ms();
    c.actor_id = actor_id;
    c.kind = kind;
    c.entity_id = id;
    c.op = op;
    change__set_entity(&c, kind, (ProtobufCMessage *)entity);
    if (extra) {
        c.n_ancestors = extra->n_ancestors;
        c.ancestors = extra->ancestors;
        c.key_result_after = (Okr__KeyResult *)extra->key_result_after;
    }
    int rc = okr_store_append_change(s, txn, &c);
    if (rc == 0)
        rc = change__index(s, txn, kind, id, c.seq);
    /* Check-ins, tasks and comments also show in the history of what they are about. */
    if (rc == 0 && entity && kind == OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN)
        rc = change__index(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT,
                           c.checkin->key_result_id, c.seq);
    if (rc == 0 && entity && kind == OKR__ENTITY_KIND__ENTITY_KIND_TASK)
        rc = change__index(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, c.task->key_result_id,
                           c.seq);
    if (rc == 0 && entity && kind == OKR__ENTITY_KIND__ENTITY_KIND_COMMENT)
        rc = c.comment->objective_id
                 ? change__index(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE,
                                 c.comment->objective_id, c.seq)
                 : change__index(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT,
                                 c.comment->key_result_id, c.seq);
    if (rc == 0 && seq)
        *seq = c.seq;
    return rc;
}

int okr_change_each(okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind, uint64_t id,
                    uint64_t after_seq, okr_index_fn fn, void *arg)
{
    if (after_seq == UINT64_MAX)
        return 0;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, okr_store_dbi(s, OKR_DB_IDX_ENTITY_CHANGES), &cur) != 0)
        return OKR_E_INTERNAL;
    uint8_t start[3 * OKR_KEY_U64_LEN];
    okr_key_put_u64_pair(start, (uint64_t)kind, id);
    okr_key_put_u64(start + 2 * OKR_KEY_U64_LEN, after_seq + 1);
    MDB_val k = {sizeof start, start}, v;
    int rc = 0;
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0 && rc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *p = k.mv_data;
        if (k.mv_size != sizeof start || memcmp(p, start, 2 * OKR_KEY_U64_LEN) != 0)
            break;
        rc = fn(arg, okr_key_get_u64(p + 2 * OKR_KEY_U64_LEN));
    }
    mdb_cursor_close(cur);
    return rc;
}

/* ---- helpers ---- */

ProtobufCMessage *okr_msg_dup(const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return NULL;
    protobuf_c_message_pack(m, buf);
    ProtobufCMessage *copy = protobuf_c_message_unpack(m->descriptor, NULL, n, buf);
    free(buf);
    return copy;
}

uint32_t okr_page_limit(const Okr__Page *page)
{
    if (!page || page->limit == 0)
        return OKR_PAGE_DEFAULT;
    return page->limit > OKR_PAGE_MAX ? OKR_PAGE_MAX : page->limit;
}

uint64_t okr_page_after(const Okr__Page *page)
{
    return page ? page->after_id : 0;
}
