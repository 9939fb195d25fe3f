/* check.c — okrd --check: verifies a store without writing to it.
 *
 * The checks are table-driven: one row per index says which entity its
 * entries name and which field of that entity the entry is filed under, and
 * the same row serves both directions (every entry has its record, every
 * record has its entry). Records are walked with raw cursors rather than
 * okr_entity_each so that a record that does not unpack is reported, not
 * skipped.
 */
#include "check.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "config.h"
#include "domain.h"
#include "keys.h"
#include "log.h"
#include "okr_error.h"
#include "progress.h"
#include "rollup.h"
#include "session_store.h"
#include "sessions.h"

#define CHECK_EPSILON   1e-9
#define CHECK_MAX_SHOWN 50
#define ULL(x)          ((unsigned long long)(x))

typedef struct check {
    okr_store_t *s;
    MDB_txn *txn;
    FILE *out;
    int64_t now;
    uint64_t problems;
    uint64_t records[OKR__ENTITY_KIND__ENTITY_KIND_COMMENT + 1];
    uint64_t index_entries, names, changes, first_seq, last_seq;
    uint64_t objectives_recomputed, krs_recomputed;
    uint64_t sessions, sessions_expired, tokens;
} check_t;

static void check__problem(check_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void check__problem(check_t *c, const char *fmt, ...)
{
    if (++c->problems > CHECK_MAX_SHOWN)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("  problem: ", c->out);
    vfprintf(c->out, fmt, ap);
    fputc('\n', c->out);
    va_end(ap);
}

/* ---- what is checked: entities, indexes, names ---- */

typedef uint64_t (*check_field_fn)(const ProtobufCMessage *m);

typedef struct kind_info {
    Okr__EntityKind kind;
    okr_db_t db;
    const ProtobufCMessageDescriptor *desc;
    const char *name;    /* for messages */
    const char *counter; /* the meta counter its ids come from */
} kind_info_t;

static const kind_info_t kinds[] = {
    {OKR__ENTITY_KIND__ENTITY_KIND_USER, OKR_DB_USERS, &okr__user_record__descriptor, "user",
     "user"},
    {OKR__ENTITY_KIND__ENTITY_KIND_TEAM, OKR_DB_TEAMS, &okr__team__descriptor, "team", "team"},
    {OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, OKR_DB_CYCLES, &okr__cycle__descriptor, "cycle", "cycle"},
    {OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, OKR_DB_OBJECTIVES, &okr__objective__descriptor,
     "objective", "objective"},
    {OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, OKR_DB_KEY_RESULTS, &okr__key_result__descriptor,
     "key result", "key_result"},
    {OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN, OKR_DB_CHECKINS, &okr__check_in__descriptor, "check-in",
     "checkin"},
    {OKR__ENTITY_KIND__ENTITY_KIND_TASK, OKR_DB_TASKS, &okr__task__descriptor, "task", "task"},
    {OKR__ENTITY_KIND__ENTITY_KIND_COMMENT, OKR_DB_COMMENTS, &okr__comment__descriptor, "comment",
     "comment"},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static const kind_info_t *check__kind(Okr__EntityKind kind)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (kinds[i].kind == kind)
            return &kinds[i];
    return NULL;
}

#define FIELD(fn, type, expr)                                                                      \
    static uint64_t fn(const ProtobufCMessage *m)                                                  \
    {                                                                                              \
        const type *x = (const type *)m;                                                           \
        return (expr);                                                                             \
    }

FIELD(team_parent, Okr__Team, x->parent_id)
FIELD(obj_cycle, Okr__Objective, x->cycle_id)
FIELD(obj_team, Okr__Objective, x->team_id)
FIELD(obj_owner, Okr__Objective, x->owner_user_id)
FIELD(obj_parent, Okr__Objective, x->parent_id)
FIELD(kr_objective, Okr__KeyResult, x->objective_id)
FIELD(kr_owner, Okr__KeyResult, x->owner_user_id)
FIELD(kr_linked, Okr__KeyResult, x->linked_objective_id)
FIELD(checkin_kr, Okr__CheckIn, x->key_result_id)
FIELD(task_kr, Okr__Task, x->key_result_id)
FIELD(task_assignee, Okr__Task, x->assignee_id)
FIELD(comment_objective, Okr__Comment, x->objective_id)
FIELD(comment_kr, Okr__Comment, x->objective_id ? 0 : x->key_result_id)

/* An index of (a, b) entries: b is a record of kind, filed under field(b). */
typedef struct index_info {
    okr_db_t idx;
    const char *name;
    Okr__EntityKind kind;
    check_field_fn field;
    int zero_too; /* records with field 0 are filed under 0 (root teams) */
} index_info_t;

static const index_info_t indexes[] = {
    {OKR_DB_IDX_TEAM_CHILDREN, "idx_team_children", OKR__ENTITY_KIND__ENTITY_KIND_TEAM, team_parent,
     1},
    {OKR_DB_IDX_CYCLE_OBJECTIVES, "idx_cycle_objectives", OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE,
     obj_cycle, 0},
    {OKR_DB_IDX_TEAM_OBJECTIVES, "idx_team_objectives", OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE,
     obj_team, 0},
    {OKR_DB_IDX_USER_OBJECTIVES, "idx_user_objectives", OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE,
     obj_owner, 0},
    {OKR_DB_IDX_CHILD_OBJECTIVES, "idx_child_objectives", OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE,
     obj_parent, 0},
    {OKR_DB_IDX_OBJECTIVE_KRS, "idx_objective_krs", OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT,
     kr_objective, 0},
    {OKR_DB_IDX_USER_KRS, "idx_user_krs", OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, kr_owner, 0},
    {OKR_DB_IDX_LINKED_KRS, "idx_linked_krs", OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, kr_linked,
     0},
    {OKR_DB_IDX_KR_CHECKINS, "idx_kr_checkins", OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN, checkin_kr,
     0},
    {OKR_DB_IDX_KR_TASKS, "idx_kr_tasks", OKR__ENTITY_KIND__ENTITY_KIND_TASK, task_kr, 0},
    {OKR_DB_IDX_USER_TASKS, "idx_user_tasks", OKR__ENTITY_KIND__ENTITY_KIND_TASK, task_assignee, 0},
    {OKR_DB_IDX_OBJECTIVE_COMMENTS, "idx_objective_comments", OKR__ENTITY_KIND__ENTITY_KIND_COMMENT,
     comment_objective, 0},
    {OKR_DB_IDX_KR_COMMENTS, "idx_kr_comments", OKR__ENTITY_KIND__ENTITY_KIND_COMMENT, comment_kr,
     0},
};
#define NINDEXES (sizeof indexes / sizeof indexes[0])

static const char *user_name(const ProtobufCMessage *m)
{
    const Okr__UserRecord *u = (const Okr__UserRecord *)m;
    return u->user ? u->user->username : NULL;
}

static const char *team_name(const ProtobufCMessage *m)
{
    return ((const Okr__Team *)m)->name;
}

static const char *cycle_name(const ProtobufCMessage *m)
{
    return ((const Okr__Cycle *)m)->name;
}

/* A unique-name index: folded name -> id (8 bytes). */
typedef struct name_info {
    okr_db_t db;
    const char *name;
    Okr__EntityKind kind;
    const char *(*name_of)(const ProtobufCMessage *m);
} name_info_t;

static const name_info_t names[] = {
    {OKR_DB_USERS_BY_NAME, "users_by_name", OKR__ENTITY_KIND__ENTITY_KIND_USER, user_name},
    {OKR_DB_TEAMS_BY_NAME, "teams_by_name", OKR__ENTITY_KIND__ENTITY_KIND_TEAM, team_name},
    {OKR_DB_CYCLES_BY_NAME, "cycles_by_name", OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, cycle_name},
};
#define NNAMES (sizeof names / sizeof names[0])

/* A reference from one record to another that must exist. */
typedef struct ref_info {
    Okr__EntityKind from, to;
    check_field_fn field;
    const char *what;
} ref_info_t;

static const ref_info_t refs[] = {
    {OKR__ENTITY_KIND__ENTITY_KIND_TEAM, OKR__ENTITY_KIND__ENTITY_KIND_TEAM, team_parent,
     "parent team"},
    {OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, obj_cycle,
     "cycle"},
    {OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, obj_parent,
     "parent objective"},
    {OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE,
     kr_objective, "objective"},
    {OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, kr_linked,
     "linked objective"},
    {OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, checkin_kr,
     "key result"},
    {OKR__ENTITY_KIND__ENTITY_KIND_TASK, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, task_kr,
     "key result"},
};
#define NREFS (sizeof refs / sizeof refs[0])

/* ---- small helpers ---- */

static int check__exists(check_t *c, okr_db_t db, const void *key, size_t klen)
{
    MDB_val v;
    return okr_store_get(c->s, c->txn, db, key, klen, &v) == 0;
}

static int check__record_exists(check_t *c, Okr__EntityKind kind, uint64_t id)
{
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, id);
    return check__exists(c, check__kind(kind)->db, key, sizeof key);
}

/* Calls fn(c, key, val) for every entry of db; stops early if fn returns non-zero. */
typedef int (*check_entry_fn)(check_t *c, const void *ctx, const MDB_val *k, const MDB_val *v);

static int check__walk(check_t *c, okr_db_t db, check_entry_fn fn, const void *ctx)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(c->txn, okr_store_dbi(c->s, db), &cur) != 0)
        return OKR_E_INTERNAL;
    MDB_val k, v;
    int rc = 0;
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && rc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        rc = fn(c, ctx, &k, &v);
    mdb_cursor_close(cur);
    return rc;
}

/* ---- records: each one unpacks and has its index entries and references ---- */

static void check__record_indexes(check_t *c, const kind_info_t *k, uint64_t id,
                                  const ProtobufCMessage *m)
{
    for (size_t i = 0; i < NINDEXES; i++) {
        const index_info_t *ix = &indexes[i];
        if (ix->kind != k->kind)
            continue;
        uint64_t a = ix->field(m);
        if (a == 0 && !ix->zero_too)
            continue;
        uint8_t key[2 * OKR_KEY_U64_LEN];
        okr_key_put_u64_pair(key, a, id);
        if (!check__exists(c, ix->idx, key, sizeof key))
            check__problem(c, "%s %llu is missing from %s under %llu", k->name, ULL(id), ix->name,
                           ULL(a));
    }
    for (size_t i = 0; i < NNAMES; i++) {
        const name_info_t *n = &names[i];
        if (n->kind != k->kind)
            continue;
        const char *name = n->name_of(m);
        char *folded = name ? okr_key_fold_name(name) : NULL;
        MDB_val v;
        if (!folded)
            check__problem(c, "%s %llu has no valid name", k->name, ULL(id));
        else if (okr_store_get(c->s, c->txn, n->db, folded, strlen(folded), &v) != 0)
            check__problem(c, "%s %llu (\"%s\") is missing from %s", k->name, ULL(id), name,
                           n->name);
        else if (v.mv_size != OKR_KEY_U64_LEN || okr_key_get_u64(v.mv_data) != id)
            check__problem(c, "%s \"%s\" in %s names another record than %s %llu", n->name, name,
                           n->name, k->name, ULL(id));
        free(folded);
    }
    for (size_t i = 0; i < NREFS; i++) {
        const ref_info_t *r = &refs[i];
        uint64_t to = r->from == k->kind ? r->field(m) : 0;
        if (to != 0 && !check__record_exists(c, r->to, to))
            check__problem(c, "%s %llu refers to %s %llu, which does not exist", k->name, ULL(id),
                           r->what, ULL(to));
    }
}

/* A comment is about exactly one objective or key result, which exists. */
static void check__comment(check_t *c, uint64_t id, const Okr__Comment *cm)
{
    if ((cm->objective_id != 0) == (cm->key_result_id != 0))
        check__problem(c, "comment %llu must name exactly one objective or key result", ULL(id));
    else if (cm->objective_id &&
             !check__record_exists(c, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, cm->objective_id))
        check__problem(c, "comment %llu is about objective %llu, which does not exist", ULL(id),
                       ULL(cm->objective_id));
    else if (cm->key_result_id &&
             !check__record_exists(c, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, cm->key_result_id))
        check__problem(c, "comment %llu is about key result %llu, which does not exist", ULL(id),
                       ULL(cm->key_result_id));
}

/* A key result's stored progress is what its figures (or its linked
 * objective) say. Archived key results are left out: roll-ups skip them. */
static void check__kr_progress(check_t *c, const Okr__KeyResult *kr)
{
    if (kr->archived)
        return;
    c->krs_recomputed++;
    double p = okr_rollup_kr_progress(c->s, c->txn, kr);
    if (fabs(p - kr->progress) > CHECK_EPSILON)
        check__problem(c, "key result %llu: stored progress %.6f, recomputed %.6f", ULL(kr->id),
                       kr->progress, p);
}

static void check__objective(check_t *c, const Okr__Objective *o)
{
    double p;
    Okr__ProgressStatus status;
    int rc = okr_rollup_figures(c->s, c->txn, o, c->now, &p, &status);
    c->objectives_recomputed++;
    if (rc != 0)
        check__problem(c, "objective %llu: cannot recompute its progress: %s", ULL(o->id),
                       okr_strerror(rc));
    else if (fabs(p - o->progress) > CHECK_EPSILON)
        check__problem(c, "objective %llu: stored progress %.6f, recomputed %.6f", ULL(o->id),
                       o->progress, p);
}

static int check__on_record(check_t *c, const void *ctx, const MDB_val *k, const MDB_val *v)
{
    const kind_info_t *kind = ctx;
    if (k->mv_size != OKR_KEY_U64_LEN) {
        check__problem(c, "%s database has a key of %zu bytes", kind->name, k->mv_size);
        return 0;
    }
    uint64_t id = okr_key_get_u64(k->mv_data);
    ProtobufCMessage *m = protobuf_c_message_unpack(kind->desc, NULL, v->mv_size, v->mv_data);
    if (!m) {
        check__problem(c, "%s %llu does not unpack (%zu bytes)", kind->name, ULL(id), v->mv_size);
        return 0;
    }
    c->records[kind->kind]++;
    /* Every record type has its id as field 1. */
    const Okr__UserRecord *ur = (const Okr__UserRecord *)m;
    uint64_t own_id = kind->kind == OKR__ENTITY_KIND__ENTITY_KIND_USER
                          ? (ur->user ? ur->user->id : 0)
                          : ((const Okr__Team *)m)->id;
    if (own_id != id)
        check__problem(c, "%s %llu is stored under id %llu", kind->name, ULL(own_id), ULL(id));
    uint64_t counter = okr_store_counter(c->s, c->txn, kind->counter);
    if (id > counter)
        check__problem(c, "%s %llu is above the id counter (%llu): a new %s would overwrite it",
                       kind->name, ULL(id), ULL(counter), kind->name);
    check__record_indexes(c, kind, id, m);
    if (kind->kind == OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT)
        check__kr_progress(c, (const Okr__KeyResult *)m);
    else if (kind->kind == OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE)
        check__objective(c, (const Okr__Objective *)m);
    else if (kind->kind == OKR__ENTITY_KIND__ENTITY_KIND_COMMENT)
        check__comment(c, id, (const Okr__Comment *)m);
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

/* ---- indexes: each entry names a record filed under it ---- */

static int check__on_index_entry(check_t *c, const void *ctx, const MDB_val *k, const MDB_val *v)
{
    (void)v;
    const index_info_t *ix = ctx;
    const kind_info_t *kind = check__kind(ix->kind);
    c->index_entries++;
    if (k->mv_size != 2 * OKR_KEY_U64_LEN) {
        check__problem(c, "%s has a key of %zu bytes", ix->name, k->mv_size);
        return 0;
    }
    uint64_t a = okr_key_get_u64(k->mv_data);
    uint64_t b = okr_key_get_u64((const uint8_t *)k->mv_data + OKR_KEY_U64_LEN);
    ProtobufCMessage *m;
    int rc = okr_entity_get(c->s, c->txn, ix->kind, b, &m);
    if (rc == OKR_E_NOT_FOUND) {
        check__problem(c, "%s (%llu, %llu): no %s %llu", ix->name, ULL(a), ULL(b), kind->name,
                       ULL(b));
        return 0;
    }
    if (rc != 0)
        return 0; /* does not unpack: reported by the record walk */
    uint64_t field = ix->field(m);
    if (field != a)
        check__problem(c, "%s (%llu, %llu): %s %llu is filed under %llu, not %llu", ix->name,
                       ULL(a), ULL(b), kind->name, ULL(b), ULL(field), ULL(a));
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

static int check__on_name(check_t *c, const void *ctx, const MDB_val *k, const MDB_val *v)
{
    const name_info_t *n = ctx;
    const kind_info_t *kind = check__kind(n->kind);
    c->names++;
    if (v->mv_size != OKR_KEY_U64_LEN) {
        check__problem(c, "%s \"%.*s\": value of %zu bytes", n->name, (int)k->mv_size,
                       (const char *)k->mv_data, v->mv_size);
        return 0;
    }
    uint64_t id = okr_key_get_u64(v->mv_data);
    ProtobufCMessage *m;
    int rc = okr_entity_get(c->s, c->txn, n->kind, id, &m);
    if (rc == OKR_E_NOT_FOUND) {
        check__problem(c, "%s \"%.*s\": no %s %llu", n->name, (int)k->mv_size,
                       (const char *)k->mv_data, kind->name, ULL(id));
        return 0;
    }
    if (rc != 0)
        return 0;
    const char *name = n->name_of(m);
    char *folded = name ? okr_key_fold_name(name) : NULL;
    if (!folded || strlen(folded) != k->mv_size || memcmp(folded, k->mv_data, k->mv_size) != 0)
        check__problem(c, "%s \"%.*s\" points at %s %llu, named \"%s\"", n->name, (int)k->mv_size,
                       (const char *)k->mv_data, kind->name, ULL(id), name ? name : "");
    free(folded);
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

/* ---- the change log ---- */

/* The (kind, id) a change is indexed under besides its own entity, if any. */
static int check__secondary(const Okr__Change *ch, Okr__EntityKind *kind, uint64_t *id)
{
    if (ch->entity_case == OKR__CHANGE__ENTITY_CHECKIN && ch->checkin) {
        *kind = OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT;
        *id = ch->checkin->key_result_id;
    } else if (ch->entity_case == OKR__CHANGE__ENTITY_TASK && ch->task) {
        *kind = OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT;
        *id = ch->task->key_result_id;
    } else if (ch->entity_case == OKR__CHANGE__ENTITY_COMMENT && ch->comment) {
        *kind = ch->comment->objective_id ? OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE
                                          : OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT;
        *id = ch->comment->objective_id ? ch->comment->objective_id : ch->comment->key_result_id;
    } else {
        return 0;
    }
    return 1;
}

/* "key result", or "kind 42" for a kind this build does not know. */
static const char *check__kind_name(uint64_t kind, char *buf, size_t len)
{
    for (size_t i = 0; i < NKINDS; i++)
        if ((uint64_t)kinds[i].kind == kind)
            return kinds[i].name;
    snprintf(buf, len, "kind %llu", ULL(kind));
    return buf;
}

static int check__change_indexed(check_t *c, Okr__EntityKind kind, uint64_t id, uint64_t seq)
{
    uint8_t key[3 * OKR_KEY_U64_LEN];
    okr_key_put_u64_pair(key, (uint64_t)kind, id);
    okr_key_put_u64(key + 2 * OKR_KEY_U64_LEN, seq);
    return check__exists(c, OKR_DB_IDX_ENTITY_CHANGES, key, sizeof key);
}

static int check__on_change(check_t *c, const void *ctx, const MDB_val *k, const MDB_val *v)
{
    (void)ctx;
    if (k->mv_size != OKR_KEY_U64_LEN) {
        check__problem(c, "changes has a key of %zu bytes", k->mv_size);
        return 0;
    }
    uint64_t seq = okr_key_get_u64(k->mv_data);
    if (c->changes == 0)
        c->first_seq = seq;
    else if (seq != c->last_seq + 1)
        check__problem(c, "change log gap: seq %llu follows %llu", ULL(seq), ULL(c->last_seq));
    c->changes++;
    c->last_seq = seq;
    Okr__Change *ch = okr__change__unpack(NULL, v->mv_size, v->mv_data);
    if (!ch) {
        check__problem(c, "change %llu does not unpack (%zu bytes)", ULL(seq), v->mv_size);
        return 0;
    }
    if (ch->seq != seq)
        check__problem(c, "change %llu is stored under seq %llu", ULL(ch->seq), ULL(seq));
    char b1[32];
    if (!check__change_indexed(c, ch->kind, ch->entity_id, seq))
        check__problem(c, "change %llu is missing from idx_entity_changes under %s %llu", ULL(seq),
                       check__kind_name(ch->kind, b1, sizeof b1), ULL(ch->entity_id));
    Okr__EntityKind kind2;
    uint64_t id2;
    if (check__secondary(ch, &kind2, &id2) && !check__change_indexed(c, kind2, id2, seq))
        check__problem(c, "change %llu is missing from idx_entity_changes under %s %llu", ULL(seq),
                       check__kind_name(kind2, b1, sizeof b1), ULL(id2));
    okr__change__free_unpacked(ch, NULL);
    return 0;
}

static int check__on_change_entry(check_t *c, const void *ctx, const MDB_val *k, const MDB_val *v)
{
    (void)ctx;
    (void)v;
    c->index_entries++;
    if (k->mv_size != 3 * OKR_KEY_U64_LEN) {
        check__problem(c, "idx_entity_changes has a key of %zu bytes", k->mv_size);
        return 0;
    }
    const uint8_t *p = k->mv_data;
    uint64_t kind = okr_key_get_u64(p), id = okr_key_get_u64(p + OKR_KEY_U64_LEN);
    uint64_t seq = okr_key_get_u64(p + 2 * OKR_KEY_U64_LEN);
    Okr__Change *ch = NULL;
    int rc = okr_store_get_msg(c->s, c->txn, OKR_DB_CHANGES, p + 2 * OKR_KEY_U64_LEN,
                               OKR_KEY_U64_LEN, &okr__change__descriptor, (ProtobufCMessage **)&ch);
    char b1[32], b2[32];
    if (rc == OKR_E_NOT_FOUND) {
        check__problem(c, "idx_entity_changes (%s %llu, seq %llu): no change %llu",
                       check__kind_name(kind, b1, sizeof b1), ULL(id), ULL(seq), ULL(seq));
        return 0;
    }
    if (rc != 0)
        return 0;
    Okr__EntityKind kind2;
    uint64_t id2;
    int own = (uint64_t)ch->kind == kind && ch->entity_id == id;
    int other = check__secondary(ch, &kind2, &id2) && (uint64_t)kind2 == kind && id2 == id;
    if (!own && !other)
        check__problem(c, "idx_entity_changes (%s %llu, seq %llu): change %llu is about %s %llu",
                       check__kind_name(kind, b1, sizeof b1), ULL(id), ULL(seq), ULL(seq),
                       check__kind_name(ch->kind, b2, sizeof b2), ULL(ch->entity_id));
    okr__change__free_unpacked(ch, NULL);
    return 0;
}

static void check__change_log(check_t *c)
{
    check__walk(c, OKR_DB_CHANGES, check__on_change, NULL);
    uint64_t counter = okr_store_counter(c->s, c->txn, "seq");
    if (c->changes == 0 && counter != 0)
        check__problem(c, "the seq counter is %llu but the change log is empty", ULL(counter));
    else if (c->changes > 0 && counter != c->last_seq)
        check__problem(c, "the seq counter is %llu but the last change is %llu", ULL(counter),
                       ULL(c->last_seq));
    check__walk(c, OKR_DB_IDX_ENTITY_CHANGES, check__on_change_entry, NULL);
}

/* ---- sessions and dashboard tokens ---- */

static int check__on_session(check_t *c, const void *ctx, const MDB_val *k, const MDB_val *v)
{
    (void)ctx;
    c->sessions++;
    Okr__SessionRecord *rec = okr__session_record__unpack(NULL, v->mv_size, v->mv_data);
    if (!rec) {
        check__problem(c, "a session record does not unpack (%zu bytes)", v->mv_size);
        return 0;
    }
    if (!check__record_exists(c, OKR__ENTITY_KIND__ENTITY_KIND_USER, rec->user_id))
        check__problem(c, "a session belongs to user %llu, who does not exist", ULL(rec->user_id));
    uint8_t key[OKR_SESSION_INDEX_KEY_LEN];
    char id[OKR_SESSION_ID_HEX + 1];
    if (k->mv_size != OKR_TOKEN_HASH_LEN) {
        check__problem(c, "sessions has a key of %zu bytes", k->mv_size);
    } else {
        okr_session_index_key(key, rec->user_id, rec->created_at, k->mv_data);
        okr_session_id(k->mv_data, id);
        if (!check__exists(c, OKR_DB_IDX_USER_SESSIONS, key, sizeof key))
            check__problem(c, "session %s is missing from idx_user_sessions under user %llu", id,
                           ULL(rec->user_id));
    }
    if (rec->expires_at <= c->now)
        c->sessions_expired++; /* not a problem: okrd deletes them (session_sweep_s) */
    okr__session_record__free_unpacked(rec, NULL);
    return 0;
}

/* An entry (user, created_at, hash) names a session that is filed so. */
static int check__on_session_entry(check_t *c, const void *ctx, const MDB_val *k, const MDB_val *v)
{
    (void)ctx;
    (void)v;
    c->index_entries++;
    if (k->mv_size != OKR_SESSION_INDEX_KEY_LEN) {
        check__problem(c, "idx_user_sessions has a key of %zu bytes", k->mv_size);
        return 0;
    }
    const uint8_t *p = k->mv_data, *hash = p + 2 * OKR_KEY_U64_LEN;
    uint64_t user = okr_key_get_u64(p);
    char id[OKR_SESSION_ID_HEX + 1];
    okr_session_id(hash, id);
    MDB_val sv;
    if (okr_store_get(c->s, c->txn, OKR_DB_SESSIONS, hash, OKR_TOKEN_HASH_LEN, &sv) != 0) {
        check__problem(c, "idx_user_sessions (user %llu, session %s): no such session", ULL(user),
                       id);
        return 0;
    }
    Okr__SessionRecord *rec = okr__session_record__unpack(NULL, sv.mv_size, sv.mv_data);
    if (!rec)
        return 0; /* reported by the walk of the sessions */
    uint8_t want[OKR_SESSION_INDEX_KEY_LEN];
    okr_session_index_key(want, rec->user_id, rec->created_at, hash);
    if (memcmp(want, p, sizeof want) != 0)
        check__problem(c,
                       "idx_user_sessions (user %llu, session %s, opened %lld): the session is "
                       "user %llu's, opened %lld",
                       ULL(user), id, (long long)okr_key_get_u64(p + OKR_KEY_U64_LEN),
                       ULL(rec->user_id), (long long)rec->created_at);
    okr__session_record__free_unpacked(rec, NULL);
    return 0;
}

static int check__on_token_hash(check_t *c, const void *ctx, const MDB_val *k, const MDB_val *v)
{
    (void)ctx;
    (void)k;
    c->tokens++;
    if (v->mv_size != OKR_KEY_U64_LEN ||
        !check__exists(c, OKR_DB_DASH_TOKENS, v->mv_data, OKR_KEY_U64_LEN))
        check__problem(c, "dash_token_hashes names a dashboard token that does not exist");
    return 0;
}

/* ---- the whole check ---- */

int okr_check_store(okr_store_t *s, FILE *out, uint64_t *problems)
{
    check_t c = {.s = s, .out = out, .now = okr_wall_ms()};
    *problems = 0;
    int rc = okr_store_read_begin(s, &c.txn);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < NKINDS; i++)
        check__walk(&c, kinds[i].db, check__on_record, &kinds[i]);
    for (size_t i = 0; i < NINDEXES; i++)
        check__walk(&c, indexes[i].idx, check__on_index_entry, &indexes[i]);
    for (size_t i = 0; i < NNAMES; i++)
        check__walk(&c, names[i].db, check__on_name, &names[i]);
    check__change_log(&c);
    check__walk(&c, OKR_DB_SESSIONS, check__on_session, NULL);
    check__walk(&c, OKR_DB_IDX_USER_SESSIONS, check__on_session_entry, NULL);
    check__walk(&c, OKR_DB_DASH_TOKEN_HASHES, check__on_token_hash, NULL);
    okr_store_read_end(s, c.txn);

    if (c.problems > CHECK_MAX_SHOWN)
        fprintf(out, "  ... and %llu more problems\n", ULL(c.problems - CHECK_MAX_SHOWN));
    fprintf(out,
            "records: %llu users, %llu teams, %llu cycles, %llu objectives, %llu key results, "
            "%llu check-ins, %llu tasks, %llu comments\n",
            ULL(c.records[OKR__ENTITY_KIND__ENTITY_KIND_USER]),
            ULL(c.records[OKR__ENTITY_KIND__ENTITY_KIND_TEAM]),
            ULL(c.records[OKR__ENTITY_KIND__ENTITY_KIND_CYCLE]),
            ULL(c.records[OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE]),
            ULL(c.records[OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT]),
            ULL(c.records[OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN]),
            ULL(c.records[OKR__ENTITY_KIND__ENTITY_KIND_TASK]),
            ULL(c.records[OKR__ENTITY_KIND__ENTITY_KIND_COMMENT]));
    fprintf(out, "indexes: %llu entries and %llu unique names checked both ways\n",
            ULL(c.index_entries), ULL(c.names));
    if (c.changes)
        fprintf(out, "change log: %llu changes, seq %llu to %llu\n", ULL(c.changes),
                ULL(c.first_seq), ULL(c.last_seq));
    else
        fprintf(out, "change log: empty\n");
    fprintf(out, "progress: %llu objectives and %llu key results recomputed\n",
            ULL(c.objectives_recomputed), ULL(c.krs_recomputed));
    fprintf(out,
            "sessions: %llu (%llu expired, deleted at okrd's next sweep), dashboard tokens: %llu\n",
            ULL(c.sessions), ULL(c.sessions_expired), ULL(c.tokens));
    *problems = c.problems;
    return 0;
}

/* okrd's arguments without the "--check" okr_config_mode found (not a
 * flag's value that reads the same), for the usual settings parser. */
static char **check__args(int argc, char **argv, int *n)
{
    int at;
    okr_config_mode(argc, argv, &at);
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args)
        return NULL;
    *n = 0;
    for (int i = 0; i < argc; i++)
        if (i == 0 || i != at)
            args[(*n)++] = argv[i];
    return args;
}

int okr_check_main(int argc, char **argv)
{
    int n;
    char **args = check__args(argc, argv, &n);
    if (!args)
        return 1;
    okr_config_t cfg;
    okr_config_defaults(&cfg);
    int rc = okr_config_from_args(&cfg, n, args);
    free(args);
    if (rc != 0) {
        okr_config_free(&cfg);
        return rc > 0 ? 0 : 2;
    }
    /* Only what goes wrong is logged; the findings go to stdout. */
    okr_log_set_level(OKR_LOG_WARN);
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/data.mdb", cfg.data_dir);
    if (stat(path, &st) != 0) {
        fprintf(stderr, "okrd --check: no store in %s (no data.mdb)\n", cfg.data_dir);
        okr_config_free(&cfg);
        return 1;
    }
    okr_store_opts_t so = {
        .dir = cfg.data_dir,
        .map_size = (size_t)cfg.map_size_mib << 20,
        .map_size_max = (size_t)cfg.map_size_max_mib << 20,
        .read_only = 1,
    };
    okr_store_t *s;
    char err[512];
    if (okr_store_open(&s, &so, err, sizeof err) != 0) {
        fprintf(stderr, "okrd --check: cannot open the store in %s: %s\n", cfg.data_dir, err);
        okr_config_free(&cfg);
        return 1;
    }
    printf("checking %s (%lld bytes, read-only)\n", path, (long long)st.st_size);
    uint64_t problems = 0;
    rc = okr_check_store(s, stdout, &problems);
    okr_store_close(s);
    okr_config_free(&cfg);
    if (rc != 0) {
        fprintf(stderr, "okrd --check: cannot read the store: %s\n", okr_strerror(rc));
        return 1;
    }
    if (problems) {
        printf("%llu problem%s found\n", ULL(problems), problems == 1 ? "" : "s");
        return 1;
    }
    printf("the store is sound\n");
    return 0;
}
