/* json_out.c — the OKR domain's messages as JSON (see json_out.h).
 *
 * Built field by field rather than with one json_pack format: a double that
 * is not finite (which jansson refuses) becomes null instead of losing the
 * whole object, and a NULL string (protobuf-c never sends one, but a message
 * built by hand may have one) becomes "". */
#include "json_out.h"

#include <math.h>

/* ---------------------------------------------------------------- building */

typedef struct jb {
    json_t *obj;
    int failed;
} jb_t;

static void jb__set(jb_t *b, const char *key, json_t *value)
{
    if (!value || json_object_set_new(b->obj, key, value) != 0)
        b->failed = 1;
}

static void jb__uint(jb_t *b, const char *key, uint64_t v)
{
    jb__set(b, key, json_integer((json_int_t)v));
}

static void jb__int(jb_t *b, const char *key, int64_t v)
{
    jb__set(b, key, json_integer((json_int_t)v));
}

static void jb__real(jb_t *b, const char *key, double v)
{
    jb__set(b, key, isfinite(v) ? json_real(v) : json_null());
}

static void jb__str(jb_t *b, const char *key, const char *s)
{
    jb__set(b, key, json_string(s ? s : ""));
}

static void jb__bool(jb_t *b, const char *key, int v)
{
    jb__set(b, key, json_boolean(v));
}

static void jb__ids(jb_t *b, const char *key, const uint64_t *ids, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_integer((json_int_t)ids[i])) != 0)
            b->failed = 1;
    jb__set(b, key, a);
}

static jb_t jb__begin(void)
{
    jb_t b = {json_object(), 0};
    if (!b.obj)
        b.failed = 1;
    return b;
}

static json_t *jb__end(jb_t *b)
{
    if (b->failed) {
        json_decref(b->obj);
        return NULL;
    }
    return b->obj;
}

/* ---------------------------------------------------------------- enum names */

static const char *json__cycle_state(Okr__CycleState s)
{
    switch (s) {
    case OKR__CYCLE_STATE__CYCLE_STATE_PLANNING:
        return "planning";
    case OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE:
        return "active";
    case OKR__CYCLE_STATE__CYCLE_STATE_CLOSED:
        return "closed";
    default:
        return "unspecified";
    }
}

static const char *json__kind(Okr__ObjectiveKind k)
{
    switch (k) {
    case OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_COMMITTED:
        return "committed";
    case OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL:
        return "aspirational";
    default:
        return "unspecified";
    }
}

static const char *json__visibility(Okr__Visibility v)
{
    switch (v) {
    case OKR__VISIBILITY__VISIBILITY_PUBLIC:
        return "public";
    case OKR__VISIBILITY__VISIBILITY_TEAM:
        return "team";
    default:
        return "unspecified";
    }
}

static const char *json__objective_state(Okr__ObjectiveState s)
{
    switch (s) {
    case OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_DRAFT:
        return "draft";
    case OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE:
        return "active";
    case OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED:
        return "closed";
    case OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED:
        return "archived";
    default:
        return "unspecified";
    }
}

static const char *json__metric(Okr__Metric m)
{
    switch (m) {
    case OKR__METRIC__METRIC_NUMBER:
        return "number";
    case OKR__METRIC__METRIC_PERCENT:
        return "percent";
    case OKR__METRIC__METRIC_CURRENCY:
        return "currency";
    case OKR__METRIC__METRIC_BOOLEAN:
        return "boolean";
    default:
        return "unspecified";
    }
}

static const char *json__status(Okr__ProgressStatus s)
{
    switch (s) {
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK:
        return "on_track";
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK:
        return "at_risk";
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK:
        return "off_track";
    default:
        return "unspecified";
    }
}

static const char *json__task_state(Okr__TaskState s)
{
    switch (s) {
    case OKR__TASK_STATE__TASK_STATE_TODO:
        return "todo";
    case OKR__TASK_STATE__TASK_STATE_DOING:
        return "doing";
    case OKR__TASK_STATE__TASK_STATE_DONE:
        return "done";
    default:
        return "unspecified";
    }
}

static const char *json__comment_kind(Okr__CommentKind k)
{
    switch (k) {
    case OKR__COMMENT_KIND__COMMENT_KIND_COMMENT:
        return "comment";
    case OKR__COMMENT_KIND__COMMENT_KIND_KUDOS:
        return "kudos";
    default:
        return "unspecified";
    }
}

static const char *json__entity_kind(Okr__EntityKind k)
{
    switch (k) {
    case OKR__ENTITY_KIND__ENTITY_KIND_USER:
        return "user";
    case OKR__ENTITY_KIND__ENTITY_KIND_TEAM:
        return "team";
    case OKR__ENTITY_KIND__ENTITY_KIND_CYCLE:
        return "cycle";
    case OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE:
        return "objective";
    case OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT:
        return "key_result";
    case OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN:
        return "checkin";
    case OKR__ENTITY_KIND__ENTITY_KIND_TASK:
        return "task";
    case OKR__ENTITY_KIND__ENTITY_KIND_COMMENT:
        return "comment";
    default:
        return "unspecified";
    }
}

/* ---------------------------------------------------------------- messages */

json_t *okr_json_objective(const Okr__Objective *o)
{
    jb_t b = jb__begin();
    jb__uint(&b, "id", o->id);
    jb__str(&b, "title", o->title);
    jb__str(&b, "description", o->description);
    jb__uint(&b, "cycle_id", o->cycle_id);
    jb__uint(&b, "owner_user_id", o->owner_user_id);
    jb__uint(&b, "owner_team_id", o->owner_team_id);
    jb__uint(&b, "team_id", o->team_id);
    jb__uint(&b, "parent_id", o->parent_id);
    jb__str(&b, "kind", json__kind(o->kind));
    jb__str(&b, "visibility", json__visibility(o->visibility));
    jb__str(&b, "state", json__objective_state(o->state));
    jb__real(&b, "progress", o->progress);
    jb__str(&b, "status", json__status(o->status));
    jb__real(&b, "score", o->score);
    jb__bool(&b, "score_overridden", o->score_overridden);
    jb__str(&b, "score_note", o->score_note);
    jb__str(&b, "retrospective", o->retrospective);
    jb__uint(&b, "key_result_count", o->key_result_count);
    jb__uint(&b, "version", o->version);
    jb__int(&b, "created_at", o->created_at);
    jb__int(&b, "updated_at", o->updated_at);
    jb__uint(&b, "copied_from_id", o->copied_from_id);
    return jb__end(&b);
}

json_t *okr_json_key_result(const Okr__KeyResult *kr)
{
    jb_t b = jb__begin();
    jb__uint(&b, "id", kr->id);
    jb__uint(&b, "objective_id", kr->objective_id);
    jb__str(&b, "title", kr->title);
    jb__str(&b, "metric", json__metric(kr->metric));
    jb__str(&b, "unit", kr->unit);
    jb__real(&b, "start", kr->start);
    jb__real(&b, "target", kr->target);
    jb__real(&b, "current", kr->current);
    jb__real(&b, "weight", kr->weight);
    jb__uint(&b, "owner_user_id", kr->owner_user_id);
    /* confidence is meaningful only with has_confidence: null otherwise */
    jb__set(&b, "confidence",
            kr->has_confidence ? json_integer((json_int_t)kr->confidence) : json_null());
    jb__int(&b, "last_checkin_at", kr->last_checkin_at);
    jb__uint(&b, "linked_objective_id", kr->linked_objective_id);
    jb__real(&b, "progress", kr->progress);
    jb__uint(&b, "version", kr->version);
    jb__int(&b, "created_at", kr->created_at);
    jb__int(&b, "updated_at", kr->updated_at);
    jb__int(&b, "due_at", kr->due_at);
    jb__bool(&b, "archived", kr->archived);
    return jb__end(&b);
}

json_t *okr_json_team(const Okr__Team *t)
{
    jb_t b = jb__begin();
    jb__uint(&b, "id", t->id);
    jb__str(&b, "name", t->name);
    jb__str(&b, "description", t->description);
    jb__uint(&b, "parent_id", t->parent_id);
    jb__ids(&b, "lead_ids", t->lead_ids, t->n_lead_ids);
    jb__ids(&b, "member_ids", t->member_ids, t->n_member_ids);
    jb__uint(&b, "version", t->version);
    jb__int(&b, "created_at", t->created_at);
    jb__int(&b, "updated_at", t->updated_at);
    jb__bool(&b, "archived", t->archived);
    return jb__end(&b);
}

json_t *okr_json_cycle(const Okr__Cycle *c)
{
    jb_t b = jb__begin();
    jb__uint(&b, "id", c->id);
    jb__str(&b, "name", c->name);
    jb__int(&b, "start_at", c->start_at);
    jb__int(&b, "end_at", c->end_at);
    jb__str(&b, "state", json__cycle_state(c->state));
    jb__uint(&b, "version", c->version);
    jb__int(&b, "created_at", c->created_at);
    jb__int(&b, "updated_at", c->updated_at);
    jb__int(&b, "closed_at", c->closed_at);
    return jb__end(&b);
}

json_t *okr_json_checkin(const Okr__CheckIn *ci)
{
    jb_t b = jb__begin();
    jb__uint(&b, "id", ci->id);
    jb__uint(&b, "key_result_id", ci->key_result_id);
    jb__uint(&b, "author_id", ci->author_id);
    jb__int(&b, "time", ci->time);
    jb__int(&b, "recorded_at", ci->recorded_at);
    jb__real(&b, "value", ci->value);
    jb__set(&b, "confidence",
            ci->has_confidence ? json_integer((json_int_t)ci->confidence) : json_null());
    jb__str(&b, "note", ci->note);
    jb__real(&b, "previous_value", ci->previous_value);
    jb__real(&b, "progress", ci->progress);
    return jb__end(&b);
}

json_t *okr_json_task(const Okr__Task *t)
{
    jb_t b = jb__begin();
    jb__uint(&b, "id", t->id);
    jb__uint(&b, "key_result_id", t->key_result_id);
    jb__str(&b, "title", t->title);
    jb__uint(&b, "assignee_id", t->assignee_id);
    jb__str(&b, "state", json__task_state(t->state));
    jb__int(&b, "due_at", t->due_at);
    jb__uint(&b, "version", t->version);
    jb__int(&b, "created_at", t->created_at);
    jb__int(&b, "updated_at", t->updated_at);
    jb__uint(&b, "created_by", t->created_by);
    return jb__end(&b);
}

json_t *okr_json_comment(const Okr__Comment *c)
{
    jb_t b = jb__begin();
    jb__uint(&b, "id", c->id);
    jb__uint(&b, "objective_id", c->objective_id);
    jb__uint(&b, "key_result_id", c->key_result_id);
    jb__uint(&b, "author_id", c->author_id);
    jb__int(&b, "time", c->time);
    jb__str(&b, "body", c->body);
    jb__str(&b, "kind", json__comment_kind(c->kind));
    jb__uint(&b, "to_user_id", c->to_user_id);
    return jb__end(&b);
}

json_t *okr_json_lint_finding(const Okr__LintFinding *f)
{
    jb_t b = jb__begin();
    jb__str(&b, "rule", f->rule);
    jb__str(&b, "kind", json__entity_kind(f->kind));
    jb__uint(&b, "entity_id", f->entity_id);
    jb__str(&b, "title", f->title);
    jb__str(&b, "message", f->message);
    return jb__end(&b);
}

json_t *okr_json_progress_update(const Okr__ProgressUpdate *u)
{
    jb_t b = jb__begin();
    jb__uint(&b, "objective_id", u->objective_id);
    jb__real(&b, "progress", u->progress);
    jb__str(&b, "status", json__status(u->status));
    if (u->title && u->title[0]) /* a check-in's reply, from okrd 1.1 on */
        jb__str(&b, "title", u->title);
    return jb__end(&b);
}

json_t *okr_json_key_results(Okr__KeyResult *const *krs, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, okr_json_key_result(krs[i])) != 0) {
            json_decref(a);
            a = NULL;
        }
    return a;
}
