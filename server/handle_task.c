/* handle_task.c — tasks (initiatives) under key results: the seed's "assign
 * tasks to team members".
 *
 * Who may do what (acl.h): whoever may edit the key result (its owner, its
 * objective's owner, the team's leads, admins) manages its tasks: creates,
 * edits every field, deletes. A task's assignee may change its state and
 * nothing else, so a member can move their own work along without being able
 * to reassign it.
 *
 * Decisions, for the next reader:
 *   - In an update, state UNSPECIFIED and assignee_id 0 keep the current
 *     values; title and due_at are replaced as sent (due_at 0 clears it).
 *   - A closed cycle freezes its tasks like the rest of it; an archived key
 *     result takes no new tasks, but its existing ones can still be moved
 *     along or deleted.
 *   - A task whose key result is gone or unreadable does not exist for the
 *     caller: NOT_FOUND, and it is left out of every list.
 */
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "clock.h"
#include "domain.h"
#include "okr_error.h"
#include "request.h"
#include "users.h"
#include "validate.h"

#define LIST_STOP 1 /* a list callback's "page full" */

/* Loads a key result and its objective if the caller may read them. Returns
 * 0 with *kr and *obj (caller frees both), OKR_E_NOT_FOUND, or another error;
 * records nothing on r, so each caller words its own refusal. */
static int task__scope(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t kr_id,
                       Okr__KeyResult **kr, Okr__Objective **obj)
{
    *kr = NULL;
    *obj = NULL;
    int rc = okr_kr_get(s, txn, kr_id, kr);
    if (rc == 0) {
        rc = okr_objective_get(s, txn, (*kr)->objective_id, obj);
        if (rc == 0 && !okr_acl_can_read_objective(s, txn, r->user, *obj))
            rc = OKR_E_NOT_FOUND;
    }
    if (rc != 0) {
        if (*obj)
            okr__objective__free_unpacked(*obj, NULL);
        if (*kr)
            okr__key_result__free_unpacked(*kr, NULL);
        *kr = NULL;
        *obj = NULL;
    }
    return rc;
}

/* Loads a task with its key result and objective, all readable by the
 * caller. Returns 0 (caller frees the three) or a refusal recorded on r. */
static int task__load(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t id, Okr__Task **task,
                      Okr__KeyResult **kr, Okr__Objective **obj)
{
    *kr = NULL;
    *obj = NULL;
    int rc = okr_task_get(s, txn, id, task);
    if (rc == 0) {
        rc = task__scope(r, s, txn, (*task)->key_result_id, kr, obj);
        if (rc != 0) {
            okr__task__free_unpacked(*task, NULL);
            *task = NULL;
        }
    }
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, OKR_E_NOT_FOUND, "no task T%llu", (unsigned long long)id);
    if (rc != 0)
        return okr_req_refuse(r, rc, "cannot read task T%llu", (unsigned long long)id);
    return 0;
}

static void task__free3(Okr__Task *task, Okr__KeyResult *kr, Okr__Objective *obj)
{
    if (task)
        okr__task__free_unpacked(task, NULL);
    if (kr)
        okr__key_result__free_unpacked(kr, NULL);
    if (obj)
        okr__objective__free_unpacked(obj, NULL);
}

/* A closed cycle freezes its tasks. */
static int task__cycle_open(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__Objective *obj)
{
    Okr__Cycle *cycle;
    int rc = okr_cycle_get(s, txn, obj->cycle_id, &cycle);
    if (rc != 0)
        return okr_req_refuse(r, rc == OKR_E_NOT_FOUND ? OKR_E_INTERNAL : rc,
                              "the cycle of O%llu is missing", (unsigned long long)obj->id);
    if (cycle->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED)
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST,
                            "cycle %s is closed: the tasks of its key results are frozen",
                            cycle->name);
    okr__cycle__free_unpacked(cycle, NULL);
    return rc;
}

/* Tasks go to active users only. */
static int task__check_assignee(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t user_id)
{
    Okr__UserRecord *rec;
    int rc = okr_users_get(s, txn, user_id, &rec);
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST, "no user with id %llu to assign the task to",
                              (unsigned long long)user_id);
    if (rc != 0)
        return okr_req_refuse(r, rc, "cannot read user %llu", (unsigned long long)user_id);
    int active = rec->user && rec->user->active;
    okr__user_record__free_unpacked(rec, NULL);
    if (!active)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                              "user %llu is deactivated; assign the task to an active user",
                              (unsigned long long)user_id);
    return 0;
}

static int task__state_valid(Okr__TaskState st)
{
    return st == OKR__TASK_STATE__TASK_STATE_UNSPECIFIED ||
           st == OKR__TASK_STATE__TASK_STATE_TODO || st == OKR__TASK_STATE__TASK_STATE_DOING ||
           st == OKR__TASK_STATE__TASK_STATE_DONE;
}

/* The request's own fields, shared by create and update. Returns 0, or fails r. */
static int task__validate(okr_req_t *r, const Okr__Task *in)
{
    char msg[256];
    if (!in) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "task is missing");
        return -1;
    }
    if (okr_check_string("title", in->title, 1, OKR_TITLE_MAX, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return -1;
    }
    if (!task__state_valid(in->state)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "state must be todo, doing or done");
        return -1;
    }
    if (in->due_at < 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "due_at must be a time (ms since 1970) or 0 for none");
        return -1;
    }
    return 0;
}

/* ---- create ---- */

static int create__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL); /* apply may run twice */
    const Okr__Task *in = r->msg->task_create->task;
    Okr__KeyResult *kr;
    Okr__Objective *obj;
    int rc = task__scope(r, s, txn, in->key_result_id, &kr, &obj);
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, rc, "no key result K%llu", (unsigned long long)in->key_result_id);
    if (rc != 0)
        return okr_req_refuse(r, rc, "cannot read key result K%llu",
                              (unsigned long long)in->key_result_id);
    if (!okr_acl_can_manage_tasks(s, txn, r->user, obj, kr))
        rc = okr_req_refuse(r, OKR_E_FORBIDDEN,
                            "only the key result's owner, its objective's owner or the team's "
                            "leads may add tasks to K%llu",
                            (unsigned long long)kr->id);
    else if (kr->archived)
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST, "K%llu is archived; it takes no new tasks",
                            (unsigned long long)kr->id);
    if (rc == 0)
        rc = task__cycle_open(r, s, txn, obj);
    Okr__Task t = OKR__TASK__INIT;
    t.assignee_id = in->assignee_id ? in->assignee_id : r->user->id;
    if (rc == 0)
        rc = task__check_assignee(r, s, txn, t.assignee_id);
    task__free3(NULL, kr, obj);
    if (rc != 0)
        return rc;

    int64_t now = okr_wall_ms();
    t.key_result_id = in->key_result_id;
    t.title = in->title;
    t.state = in->state ? in->state : OKR__TASK_STATE__TASK_STATE_TODO;
    t.due_at = in->due_at;
    t.version = 1;
    t.created_at = now;
    t.updated_at = now;
    t.created_by = r->user->id;
    rc = okr_entity_new_id(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_TASK, &t.id);
    if (rc == 0)
        rc = okr_task_save(s, txn, NULL, &t);
    if (rc == 0)
        rc = okr_change_record(s, txn, r->user->id, OKR__CHANGE_OP__CHANGE_OP_CREATE,
                               OKR__ENTITY_KIND__ENTITY_KIND_TASK, t.id, &t.base, NULL, NULL);
    if (rc == 0)
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_TASK, &t.base);
    return rc;
}

void okr_handle_task_create(okr_req_t *r)
{
    const Okr__Task *in = r->msg->task_create->task;
    if (task__validate(r, in) != 0)
        return;
    if (in->key_result_id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "key_result_id is missing: name the key result");
        return;
    }
    okr_req_submit_write(r, create__apply, okr_req_write_done);
}

/* ---- update ---- */

static int update__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL); /* apply may run twice */
    const Okr__Task *in = r->msg->task_update->task;
    unsigned long long tid = (unsigned long long)in->id;
    Okr__Task *cur;
    Okr__KeyResult *kr;
    Okr__Objective *obj;
    int rc = task__load(r, s, txn, in->id, &cur, &kr, &obj);
    if (rc != 0)
        return rc;
    int manager = okr_acl_can_manage_tasks(s, txn, r->user, obj, kr);
    if (!manager && !okr_acl_can_update_task_state(s, txn, r->user, obj, kr, cur))
        rc = okr_req_refuse(r, OKR_E_FORBIDDEN,
                            "only T%llu's assignee or the managers of its key result may change "
                            "it",
                            tid);
    if (rc == 0 && cur->version != in->version) {
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_TASK, &cur->base);
        if (rc == 0)
            rc = okr_req_refuse(r, OKR_E_CONFLICT,
                                "T%llu was changed by someone else (version %llu, you had %llu); "
                                "reload and retry",
                                tid, (unsigned long long)cur->version,
                                (unsigned long long)in->version);
    }
    Okr__Task t = *cur; /* shallow: cur owns the strings until it is freed below */
    t.title = in->title;
    t.assignee_id = in->assignee_id ? in->assignee_id : cur->assignee_id;
    t.state = in->state ? in->state : cur->state;
    t.due_at = in->due_at;
    if (rc == 0 && !manager &&
        (strcmp(t.title, cur->title) != 0 || t.assignee_id != cur->assignee_id ||
         t.due_at != cur->due_at))
        rc = okr_req_refuse(r, OKR_E_FORBIDDEN,
                            "as T%llu's assignee you may change only its state; ask the key "
                            "result's owner to change its title, assignee or due date",
                            tid);
    if (rc == 0)
        rc = task__cycle_open(r, s, txn, obj);
    if (rc == 0 && t.assignee_id != cur->assignee_id)
        rc = task__check_assignee(r, s, txn, t.assignee_id);
    if (rc == 0) {
        t.version = cur->version + 1;
        t.updated_at = okr_wall_ms();
        rc = okr_task_save(s, txn, cur, &t);
    }
    if (rc == 0)
        rc = okr_change_record(s, txn, r->user->id, OKR__CHANGE_OP__CHANGE_OP_UPDATE,
                               OKR__ENTITY_KIND__ENTITY_KIND_TASK, t.id, &t.base, NULL, NULL);
    if (rc == 0)
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_TASK, &t.base);
    task__free3(cur, kr, obj);
    return rc;
}

void okr_handle_task_update(okr_req_t *r)
{
    const Okr__Task *in = r->msg->task_update->task;
    if (task__validate(r, in) != 0)
        return;
    if (in->id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "id is missing: name the task");
        return;
    }
    okr_req_submit_write(r, update__apply, okr_req_write_done);
}

/* ---- delete ---- */

static int delete__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL); /* apply may run twice */
    const Okr__TaskDeleteRequest *in = r->msg->task_delete;
    unsigned long long tid = (unsigned long long)in->id;
    Okr__Task *cur;
    Okr__KeyResult *kr;
    Okr__Objective *obj;
    int rc = task__load(r, s, txn, in->id, &cur, &kr, &obj);
    if (rc != 0)
        return rc;
    if (!okr_acl_can_manage_tasks(s, txn, r->user, obj, kr))
        rc = okr_req_refuse(r, OKR_E_FORBIDDEN,
                            "only the key result's owner, its objective's owner or the team's "
                            "leads may delete T%llu",
                            tid);
    if (rc == 0 && cur->version != in->version) {
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_TASK, &cur->base);
        if (rc == 0)
            rc = okr_req_refuse(r, OKR_E_CONFLICT,
                                "T%llu was changed by someone else (version %llu, you had %llu); "
                                "reload and retry",
                                tid, (unsigned long long)cur->version,
                                (unsigned long long)in->version);
    }
    if (rc == 0)
        rc = task__cycle_open(r, s, txn, obj);
    if (rc == 0)
        rc = okr_task_delete(s, txn, cur);
    /* The last state goes with the change, so the key result's history shows it. */
    if (rc == 0)
        rc = okr_change_record(s, txn, r->user->id, OKR__CHANGE_OP__CHANGE_OP_DELETE,
                               OKR__ENTITY_KIND__ENTITY_KIND_TASK, cur->id, &cur->base, NULL, NULL);
    task__free3(cur, kr, obj);
    return rc;
}

void okr_handle_task_delete(okr_req_t *r)
{
    if (r->msg->task_delete->id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "id is missing: name the task");
        return;
    }
    okr_req_submit_write(r, delete__apply, okr_req_write_done);
}

/* ---- list (ascending id, paged; done tasks only when asked) ---- */

typedef struct list_ctx {
    okr_req_t *r;
    okr_store_t *s;
    MDB_txn *txn;
    int include_done;
    int check_read; /* by assignee: leave out tasks under key results the caller cannot read */
    Okr__Task **items;
    size_t n, limit;
    uint64_t next_after;
    int rc;
} list_ctx_t;

static int list__on_task(void *arg, uint64_t id)
{
    list_ctx_t *l = arg;
    Okr__Task *t;
    int rc = okr_task_get(l->s, l->txn, id, &t);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc != 0) {
        l->rc = rc;
        return LIST_STOP;
    }
    int keep = l->include_done || t->state != OKR__TASK_STATE__TASK_STATE_DONE;
    if (keep && l->check_read) {
        Okr__KeyResult *kr;
        Okr__Objective *obj;
        rc = task__scope(l->r, l->s, l->txn, t->key_result_id, &kr, &obj);
        keep = rc == 0;
        task__free3(NULL, kr, obj);
        if (rc != 0 && rc != OKR_E_NOT_FOUND) {
            okr__task__free_unpacked(t, NULL);
            l->rc = rc;
            return LIST_STOP;
        }
    }
    if (!keep) {
        okr__task__free_unpacked(t, NULL);
        return 0;
    }
    if (l->n == l->limit) {
        okr__task__free_unpacked(t, NULL);
        l->next_after = l->items[l->n - 1]->id;
        return LIST_STOP; /* one more exists: this page is full */
    }
    l->items[l->n++] = t;
    return 0;
}

void okr_handle_task_list(okr_req_t *r)
{
    const Okr__TaskListRequest *in = r->msg->task_list;
    okr_store_t *s = r->srv->store;
    if ((in->key_result_id == 0) == (in->assignee_id == 0)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "name exactly one key result or one assignee");
        return;
    }
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    list_ctx_t l = {.r = r,
                    .s = s,
                    .txn = txn,
                    .include_done = in->include_done,
                    .check_read = in->key_result_id == 0,
                    .limit = okr_page_limit(in->page)};
    int rc = 0;
    if (in->key_result_id) {
        Okr__KeyResult *kr;
        Okr__Objective *obj;
        rc = task__scope(r, s, txn, in->key_result_id, &kr, &obj);
        task__free3(NULL, kr, obj);
        if (rc == OKR_E_NOT_FOUND)
            rc =
                okr_req_refuse(r, rc, "no key result K%llu", (unsigned long long)in->key_result_id);
        else if (rc != 0)
            rc = okr_req_refuse(r, rc, "cannot read key result K%llu",
                                (unsigned long long)in->key_result_id);
    }
    if (rc == 0) {
        l.items = calloc(l.limit, sizeof *l.items);
        rc = l.items ? 0 : okr_req_refuse(r, OKR_E_INTERNAL, "out of memory");
    }
    if (rc == 0) {
        okr_db_t idx = in->key_result_id ? OKR_DB_IDX_KR_TASKS : OKR_DB_IDX_USER_TASKS;
        uint64_t a = in->key_result_id ? in->key_result_id : in->assignee_id;
        int irc = okr_index_each(s, txn, idx, a, okr_page_after(in->page), list__on_task, &l);
        rc = l.rc ? l.rc : (irc == LIST_STOP ? 0 : irc);
    }
    okr_store_read_end(s, txn);
    if (rc == 0) {
        Okr__TaskList list = OKR__TASK_LIST__INIT;
        list.tasks = l.items;
        list.n_tasks = l.n;
        list.next_after_id = l.next_after;
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_TASK_LIST, &list.base);
    }
    for (size_t i = 0; i < l.n; i++)
        okr__task__free_unpacked(l.items[i], NULL);
    free(l.items);
    okr_req_finish(r, rc);
}
