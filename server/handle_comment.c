/* handle_comment.c — comments and kudos on objectives and key results: the
 * seed's feedback and encouragement. Anyone who can read the target may
 * comment on it, in any cycle state (retrospectives happen after close). */
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "clock.h"
#include "cycle_scan.h"
#include "domain.h"
#include "log.h"
#include "okr_error.h"
#include "protocol.h"
#include "request.h"
#include "users.h"
#include "validate.h"

/* The objective a comment is about (*objective_id, or the key result's), if
 * user may read it: 0 with *obj (caller frees). OKR_E_NOT_FOUND when the key
 * result or the objective does not exist or user may not read it (what you
 * may not read does not exist for you), *objective_id left 0 when it was the
 * key result; another code when the store fails. */
static int comment__readable(okr_store_t *s, MDB_txn *txn, const Okr__User *user,
                             uint64_t *objective_id, uint64_t key_result_id, Okr__Objective **obj)
{
    *obj = NULL;
    if (key_result_id) {
        Okr__KeyResult *kr;
        int rc = okr_kr_get(s, txn, key_result_id, &kr);
        if (rc != 0)
            return rc;
        *objective_id = kr->objective_id;
        okr__key_result__free_unpacked(kr, NULL);
    }
    int rc = okr_objective_get(s, txn, *objective_id, obj);
    if (rc == 0 && !okr_acl_can_read_objective(s, txn, user, *obj)) {
        okr__objective__free_unpacked(*obj, NULL);
        *obj = NULL;
        rc = OKR_E_NOT_FOUND;
    }
    return rc;
}

/* The objective a comment is about: the target itself, or the key result's.
 * Returns 0 with *obj (caller frees), or a refusal recorded on r. */
static int comment__target(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t objective_id,
                           uint64_t key_result_id, Okr__Objective **obj)
{
    int rc = comment__readable(s, txn, r->user, &objective_id, key_result_id, obj);
    if (rc != 0 && objective_id == 0)
        return okr_req_refuse(r, OKR_E_NOT_FOUND, "no key result K%llu",
                              (unsigned long long)key_result_id);
    if (rc != 0)
        return okr_req_refuse(r, rc, "no objective O%llu", (unsigned long long)objective_id);
    return 0;
}

/* ---- create ---- */

static int create__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    const Okr__Comment *in = r->msg->comment_create->comment;
    Okr__Objective *obj = NULL;
    int rc = comment__target(r, s, txn, in->objective_id, in->key_result_id, &obj);
    if (rc != 0)
        return rc;
    okr__objective__free_unpacked(obj, NULL);
    if (in->to_user_id) {
        Okr__UserRecord *to;
        if (okr_users_get(s, txn, in->to_user_id, &to) != 0)
            return okr_req_refuse(r, OKR_E_BAD_REQUEST, "no user with id %llu to thank",
                                  (unsigned long long)in->to_user_id);
        okr__user_record__free_unpacked(to, NULL);
    }
    Okr__Comment c = OKR__COMMENT__INIT;
    c.objective_id = in->key_result_id ? 0 : in->objective_id;
    c.key_result_id = in->key_result_id;
    c.author_id = r->user->id;
    c.time = okr_wall_ms();
    c.body = in->body;
    c.kind = in->kind == OKR__COMMENT_KIND__COMMENT_KIND_UNSPECIFIED
                 ? OKR__COMMENT_KIND__COMMENT_KIND_COMMENT
                 : in->kind;
    c.to_user_id = in->to_user_id;
    rc = okr_entity_new_id(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_COMMENT, &c.id);
    if (rc == 0)
        rc = okr_comment_add(s, txn, &c);
    if (rc == 0)
        rc = okr_change_record(s, txn, r->user->id, OKR__CHANGE_OP__CHANGE_OP_CREATE,
                               OKR__ENTITY_KIND__ENTITY_KIND_COMMENT, c.id, &c.base, NULL, NULL);
    if (rc == 0)
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_COMMENT, &c.base);
    return rc;
}

void okr_handle_comment_create(okr_req_t *r)
{
    const Okr__Comment *in = r->msg->comment_create->comment;
    char msg[256];
    if (!in) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "comment is missing");
        return;
    }
    if ((in->objective_id == 0) == (in->key_result_id == 0)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST,
                     "a comment is about exactly one objective or one key result");
        return;
    }
    if (okr_check_string("body", in->body, 1, OKR_TEXT_MAX, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return;
    }
    if (in->kind != OKR__COMMENT_KIND__COMMENT_KIND_UNSPECIFIED &&
        in->kind != OKR__COMMENT_KIND__COMMENT_KIND_COMMENT &&
        in->kind != OKR__COMMENT_KIND__COMMENT_KIND_KUDOS) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "kind must be comment or kudos");
        return;
    }
    okr_req_submit_write(r, create__apply, okr_req_write_done);
}

/* ---- list (oldest first, paged by comment id) ---- */

typedef struct list_ctx {
    okr_store_t *s;
    MDB_txn *txn;
    Okr__Comment **items;
    size_t n, limit;
    uint64_t next_after;
    int rc;
} list_ctx_t;

static int list__on_comment(void *arg, uint64_t id)
{
    list_ctx_t *l = arg;
    if (l->n == l->limit) {
        l->next_after = l->items[l->n - 1]->id;
        return 1; /* one more exists: this page is full */
    }
    Okr__Comment *c;
    int rc = okr_comment_get(l->s, l->txn, id, &c);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc != 0) {
        l->rc = rc;
        return 1;
    }
    l->items[l->n++] = c;
    return 0;
}

/* ---- a cycle's comments since a time (protocol 1.5), newest first ---- */

static int since__load(okr_store_t *s, MDB_txn *txn, uint64_t id, ProtobufCMessage **out)
{
    return okr_comment_get(s, txn, id, (Okr__Comment **)out);
}

/* Written since (ids ascend with the time, as for feedback), about an
 * objective of the cycle the caller may read or one of its key results. */
static int since__judge(okr_cycle_scan_t *cs, const ProtobufCMessage *m, int64_t since)
{
    const Okr__Comment *c = (const Okr__Comment *)m;
    if (c->time < since)
        return OKR_SINCE_STOP;
    int in = c->key_result_id ? okr_cycle_scan_key_result(cs, c->key_result_id)
                              : okr_cycle_scan_objective(cs, c->objective_id);
    return in ? OKR_SINCE_KEEP : OKR_SINCE_SKIP;
}

static void comment__list_since(okr_req_t *r, const Okr__CommentListRequest *in)
{
    okr_since_list_t l = {.load = since__load, .judge = since__judge};
    uint64_t next = 0;
    int rc = okr_since_list_read(r, &l, OKR__ENTITY_KIND__ENTITY_KIND_COMMENT, in->cycle_id,
                                 in->since, in->page, &next);
    if (rc == 0) {
        Okr__CommentList list = OKR__COMMENT_LIST__INIT;
        list.comments = (Okr__Comment **)l.items;
        list.n_comments = l.n;
        list.next_after_id = next;
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_COMMENT_LIST, &list.base);
    }
    okr_since_list_free(&l);
    okr_req_finish(r, rc);
}

void okr_handle_comment_list(okr_req_t *r)
{
    const Okr__CommentListRequest *in = r->msg->comment_list;
    okr_store_t *s = r->srv->store;
    int since_lists = okr_protocol_minor(r->srv->cfg) >= OKR_PROTOCOL_CYCLE_LISTS;
    if (since_lists && in->cycle_id && (in->objective_id || in->key_result_id)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "name an objective, a key result or a cycle, not two");
        return;
    }
    if (since_lists && in->cycle_id) {
        comment__list_since(r, in);
        return;
    }
    if ((in->objective_id == 0) == (in->key_result_id == 0)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "name exactly one objective or one key result");
        return;
    }
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    Okr__Objective *obj = NULL;
    int rc = comment__target(r, s, txn, in->objective_id, in->key_result_id, &obj);
    list_ctx_t l = {.s = s, .txn = txn, .limit = okr_page_limit(in->page)};
    if (rc == 0) {
        okr__objective__free_unpacked(obj, NULL);
        l.items = calloc(l.limit, sizeof *l.items);
        rc = l.items ? 0 : okr_req_refuse(r, OKR_E_INTERNAL, "out of memory");
    }
    if (rc == 0) {
        okr_db_t idx = in->key_result_id ? OKR_DB_IDX_KR_COMMENTS : OKR_DB_IDX_OBJECTIVE_COMMENTS;
        uint64_t target = in->key_result_id ? in->key_result_id : in->objective_id;
        okr_index_each(s, txn, idx, target, okr_page_after(in->page), list__on_comment, &l);
        rc = l.rc;
    }
    okr_store_read_end(s, txn);
    if (rc == 0) {
        Okr__CommentList list = OKR__COMMENT_LIST__INIT;
        list.comments = l.items;
        list.n_comments = l.n;
        list.next_after_id = l.next_after;
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_COMMENT_LIST, &list.base);
    }
    for (size_t i = 0; i < l.n; i++)
        okr__comment__free_unpacked(l.items[i], NULL);
    free(l.items);
    okr_req_finish(r, rc);
}

/* ---- feedback for okr mine (protocol 1.4) ---- */

/* Who hears of a comment or kudos, when someone else wrote it and they may
 * read what it is about (comment__readable):
 *   - the person it thanks (to_user_id);
 *   - the owner of the objective or key result it is about;
 *   - the owner of the objective a key result it is about measures: they
 *     answer for the objective, whoever owns the key result;
 *   - the leads of the team that owns the objective it is about, or the
 *     objective of its key result (a team's own objective has no person to
 *     tell but its leads).
 *
 * Comment ids ascend with their time (one writer, the wall clock), so the
 * newest are read first and the scan stops at the first one older than
 * asked. A busy organisation may write more than can be read for one mine:
 * no more than this many comments are looked at. */
#define FEEDBACK_SCAN_MAX 10000
#define FEEDBACK_STOP     (-1) /* the scan's "stop here", no error code */

#define FEEDBACK_LED_MAX 64 /* teams one person leads, looked at for feedback */

/* Which objective a key result measures is in its record, and this runs on
 * the loop: rather than read the key result of every comment, the key
 * results of the caller's objectives (and of the objectives of the teams
 * they lead) are read from the indexes once a request. People own a handful
 * of objectives a cycle with up to five key results each, so this many key
 * results, those of the newest objectives, cover years; no more objectives
 * than this are walked either. Past it (or without the memory for it) a set
 * is incomplete, and a comment on a key result not in it reads that key
 * result to find its objective, as all did before. */
#define FEEDBACK_KRS_MAX 512

typedef struct feedback_krs {
    uint64_t *ids; /* sorted once filled */
    size_t n, cap;
    size_t objectives; /* walked to fill it */
    int over;          /* incomplete: ask the key result */
} feedback_krs_t;

typedef struct feedback_ctx {
    okr_store_t *s;
    MDB_txn *txn;
    const Okr__User *me;
    int64_t since;
    Okr__Comment **items;
    size_t n, scanned;
    uint64_t led[FEEDBACK_LED_MAX]; /* the teams the caller leads */
    size_t nled;
    feedback_krs_t mine;     /* the key results of the objectives the caller owns */
    feedback_krs_t led_krs;  /* of the objectives in the teams they lead */
    feedback_krs_t *filling; /* the set a walk adds to */
    int rc;
} feedback_ctx_t;

/* What the indexes say of a comment, before any record is read. */
enum { FEEDBACK_NOT_MINE, FEEDBACK_MINE, FEEDBACK_MY_TEAMS };

/* Collects the teams the caller leads: read once a request, not a comment. */
static int feedback__on_team(void *arg, uint64_t id)
{
    feedback_ctx_t *f = arg;
    if (f->nled == FEEDBACK_LED_MAX)
        return FEEDBACK_STOP;
    if (okr_acl_role_in(f->s, f->txn, id, f->me->id) == OKR_TEAM_ROLE_LEAD)
        f->led[f->nled++] = id;
    return 0;
}

static int feedback__leads(const feedback_ctx_t *f, uint64_t team_id)
{
    for (size_t i = 0; i < f->nled; i++)
        if (f->led[i] == team_id)
            return 1;
    return 0;
}

/* Whether objective_id is in a team the caller leads (its record says
 * whether the team also owns it). */
static int feedback__in_led_team(const feedback_ctx_t *f, uint64_t objective_id)
{
    for (size_t i = 0; i < f->nled; i++)
        if (okr_index_has(f->s, f->txn, OKR_DB_IDX_TEAM_OBJECTIVES, f->led[i], objective_id))
            return 1;
    return 0;
}

static int feedback__on_kr(void *arg, uint64_t id)
{
    feedback_krs_t *k = arg;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 32;
        uint64_t *grown = cap > FEEDBACK_KRS_MAX ? NULL : realloc(k->ids, cap * sizeof *grown);
        if (!grown) {
            k->over = 1;
            return FEEDBACK_STOP;
        }
        k->ids = grown;
        k->cap = cap;
    }
    k->ids[k->n++] = id;
    return 0;
}

static int feedback__on_objective(void *arg, uint64_t id)
{
    feedback_ctx_t *f = arg;
    feedback_krs_t *k = f->filling;
    if (++k->objectives > FEEDBACK_KRS_MAX) {
        k->over = 1;
        return FEEDBACK_STOP;
    }
    return okr_index_each(f->s, f->txn, OKR_DB_IDX_OBJECTIVE_KRS, id, 0, feedback__on_kr, k);
}

/* Adds to k the key results of the objectives under key in idx, those of
 * the newest objectives first (they are what people comment on). */
static int feedback__fill(feedback_ctx_t *f, feedback_krs_t *k, okr_db_t idx, uint64_t key)
{
    f->filling = k;
    int rc = okr_index_each_desc(f->s, f->txn, idx, key, feedback__on_objective, f);
    return rc == FEEDBACK_STOP ? 0 : rc;
}

static int feedback__cmp_id(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void feedback__sort(feedback_krs_t *k)
{
    if (k->n)
        qsort(k->ids, k->n, sizeof *k->ids, feedback__cmp_id);
}

static int feedback__has(const feedback_krs_t *k, uint64_t id)
{
    return k->n && bsearch(&id, k->ids, k->n, sizeof *k->ids, feedback__cmp_id) != NULL;
}

/* Whether c (by someone else) is feedback for the caller, as far as the
 * indexes tell: addressed to them (to_user_id), about an objective or key
 * result they own, or about a key result of an objective they own
 * (FEEDBACK_MINE); or about an objective of a team they lead, or one of its
 * key results (FEEDBACK_MY_TEAMS: feedback when the team itself owns it,
 * which only the objective's record says). */
static int feedback__which(const feedback_ctx_t *f, const Okr__Comment *c)
{
    uint64_t me = f->me->id;
    if (c->to_user_id == me)
        return FEEDBACK_MINE;
    if (!c->key_result_id) {
        if (okr_index_has(f->s, f->txn, OKR_DB_IDX_USER_OBJECTIVES, me, c->objective_id))
            return FEEDBACK_MINE;
        return feedback__in_led_team(f, c->objective_id) ? FEEDBACK_MY_TEAMS : FEEDBACK_NOT_MINE;
    }
    uint64_t kr_id = c->key_result_id;
    if (feedback__has(&f->mine, kr_id) ||
        okr_index_has(f->s, f->txn, OKR_DB_IDX_USER_KRS, me, kr_id))
        return FEEDBACK_MINE;
    if (feedback__has(&f->led_krs, kr_id))
        return FEEDBACK_MY_TEAMS;
    int ask_mine = f->mine.over, ask_led = f->nled && f->led_krs.over;
    if (!ask_mine && !ask_led)
        return FEEDBACK_NOT_MINE;
    /* A set stopped at its cap: the key result's record says which
     * objective it measures, for this comment only. */
    Okr__KeyResult *kr;
    if (okr_kr_get(f->s, f->txn, kr_id, &kr) != 0)
        return FEEDBACK_NOT_MINE;
    uint64_t objective_id = kr->objective_id;
    okr__key_result__free_unpacked(kr, NULL);
    if (ask_mine && okr_index_has(f->s, f->txn, OKR_DB_IDX_USER_OBJECTIVES, me, objective_id))
        return FEEDBACK_MINE;
    if (ask_led && feedback__in_led_team(f, objective_id))
        return FEEDBACK_MY_TEAMS;
    return FEEDBACK_NOT_MINE;
}

static int feedback__on_comment(void *arg, uint64_t id)
{
    feedback_ctx_t *f = arg;
    if (f->n == OKR_FEEDBACK_MAX || ++f->scanned > FEEDBACK_SCAN_MAX)
        return FEEDBACK_STOP;
    Okr__Comment *c;
    int rc = okr_comment_get(f->s, f->txn, id, &c);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc != 0) {
        f->rc = rc;
        return FEEDBACK_STOP;
    }
    if (c->time < f->since) {
        okr__comment__free_unpacked(c, NULL);
        return FEEDBACK_STOP; /* and so are all the lower ids */
    }
    int which = c->author_id == f->me->id ? FEEDBACK_NOT_MINE : feedback__which(f, c);
    uint64_t objective_id = c->objective_id;
    Okr__Objective *obj = NULL;
    if (which != FEEDBACK_NOT_MINE &&
        comment__readable(f->s, f->txn, f->me, &objective_id, c->key_result_id, &obj) == 0 &&
        (which == FEEDBACK_MINE ||
         (obj->owner_team_id && feedback__leads(f, obj->owner_team_id)))) {
        f->items[f->n++] = c;
        c = NULL;
    }
    if (obj)
        okr__objective__free_unpacked(obj, NULL);
    if (c)
        okr__comment__free_unpacked(c, NULL);
    return 0;
}

int okr_comment_feedback(okr_req_t *r, MDB_txn *txn, int64_t since,
                         Okr__Comment *items[OKR_FEEDBACK_MAX], size_t *n)
{
    feedback_ctx_t f = {
        .s = r->srv->store, .txn = txn, .me = r->user, .since = since, .items = items};
    int rc =
        okr_entity_each(f.s, txn, OKR__ENTITY_KIND__ENTITY_KIND_TEAM, 0, feedback__on_team, &f);
    if (rc == FEEDBACK_STOP)
        rc = 0;
    if (rc == 0)
        rc = feedback__fill(&f, &f.mine, OKR_DB_IDX_USER_OBJECTIVES, f.me->id);
    for (size_t i = 0; rc == 0 && i < f.nled && !f.led_krs.over; i++)
        rc = feedback__fill(&f, &f.led_krs, OKR_DB_IDX_TEAM_OBJECTIVES, f.led[i]);
    if (rc == 0) {
        feedback__sort(&f.mine);
        feedback__sort(&f.led_krs);
        rc = okr_entity_each_desc(f.s, txn, OKR__ENTITY_KIND__ENTITY_KIND_COMMENT, 0,
                                  feedback__on_comment, &f);
    }
    free(f.mine.ids);
    free(f.led_krs.ids);
    *n = f.n;
    return f.rc ? f.rc : (rc == FEEDBACK_STOP ? 0 : rc);
}
