/* view_model.c — a cycle's objectives and key results as an alignment tree
 * (see view_model.h). */
#include "view_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd_kit.h"
#include "json_out.h"
#include "okr_error.h"
#include "pipeline.h"
#include "trend.h"

/* ---------------------------------------------------------------- copies */

void *okr_view_dup(const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return NULL;
    protobuf_c_message_pack(m, buf);
    ProtobufCMessage *copy = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
    free(buf);
    return copy;
}

static void view__free_msg(void *m)
{
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
}

static void view__obj_free(okr_view_obj_t *o)
{
    for (size_t k = 0; k < o->nkrs; k++)
        view__free_msg(o->krs[k].kr);
    free(o->krs);
    free(o->kids);
    free(o->trend);
    view__free_msg(o->o);
    memset(o, 0, sizeof *o);
}

void okr_view_free(okr_view_t *v)
{
    for (size_t i = 0; i < v->n; i++)
        view__obj_free(&v->objs[i]);
    free(v->objs);
    free(v->order);
    free(v->roots);
    view__free_msg(v->cycle);
    memset(v, 0, sizeof *v);
}

/* ---------------------------------------------------------------- lookups */

okr_view_obj_t *okr_view_find(const okr_view_t *v, uint64_t id)
{
    size_t lo = 0, hi = v->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t have = v->objs[mid].o->id;
        if (have == id)
            return &v->objs[mid];
        if (have < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Where id is or would go in v->objs. */
static size_t view__slot(const okr_view_t *v, uint64_t id)
{
    size_t lo = 0, hi = v->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->objs[mid].o->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static okr_view_kr_t *view__find_kr(okr_view_obj_t *o, uint64_t id)
{
    for (size_t k = 0; k < o->nkrs; k++)
        if (o->krs[k].kr->id == id)
            return &o->krs[k];
    return NULL;
}

/* The objective holding key result id (any objective), or NULL. */
static okr_view_obj_t *view__kr_owner(const okr_view_t *v, uint64_t id, okr_view_kr_t **kr)
{
    for (size_t i = 0; i < v->n; i++) {
        okr_view_kr_t *k = view__find_kr(&v->objs[i], id);
        if (k) {
            *kr = k;
            return &v->objs[i];
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- names */

static void view__name_objective(okr_cli_t *cli, okr_view_obj_t *o)
{
    const Okr__Objective *obj = o->o;
    o->owner_team = obj->owner_team_id != 0;
    o->owner = o->owner_team ? okr_ref_team_name(cli, obj->owner_team_id)
                             : okr_ref_username(cli, obj->owner_user_id);
    o->team = obj->team_id ? okr_ref_team_name(cli, obj->team_id) : NULL;
}

static void view__name_kr(okr_cli_t *cli, okr_view_kr_t *k)
{
    k->owner = okr_ref_username(cli, k->kr->owner_user_id);
}

/* Every owner's and team's name the view will show, asked for at once. */
static int view__fetch_names(okr_cli_t *cli, const okr_view_t *v)
{
    okr_ref_wanted_t w = {0};
    for (size_t i = 0; i < v->n; i++) {
        const Okr__Objective *o = v->objs[i].o;
        okr_ref_want_user(&w, o->owner_user_id);
        okr_ref_want_team(&w, o->owner_team_id);
        okr_ref_want_team(&w, o->team_id);
        for (size_t k = 0; k < v->objs[i].nkrs; k++)
            okr_ref_want_user(&w, v->objs[i].krs[k].kr->owner_user_id);
    }
    return okr_ref_fetch_wanted(cli, &w);
}

/* ---------------------------------------------------------------- adding */

/* Appends a copy of kr to o (kept in id order). 0 or -1. */
static int view__add_kr(okr_view_obj_t *o, const Okr__KeyResult *kr)
{
    if (o->nkrs == o->capkrs) {
        size_t cap = o->capkrs ? o->capkrs * 2 : 8;
        okr_view_kr_t *grown = realloc(o->krs, cap * sizeof *grown);
        if (!grown)
            return -1;
        o->krs = grown;
        o->capkrs = cap;
    }
    Okr__KeyResult *copy = okr_view_dup(&kr->base);
    if (!copy)
        return -1;
    size_t at = o->nkrs;
    while (at > 0 && o->krs[at - 1].kr->id > kr->id)
        at--;
    memmove(o->krs + at + 1, o->krs + at, (o->nkrs - at) * sizeof *o->krs);
    memset(&o->krs[at], 0, sizeof o->krs[at]);
    o->krs[at].kr = copy;
    o->krs[at].owner = "-";
    o->nkrs++;
    return 0;
}

static void view__remove_kr(okr_view_obj_t *o, uint64_t id)
{
    for (size_t k = 0; k < o->nkrs; k++) {
        if (o->krs[k].kr->id != id)
            continue;
        view__free_msg(o->krs[k].kr);
        memmove(o->krs + k, o->krs + k + 1, (o->nkrs - k - 1) * sizeof *o->krs);
        o->nkrs--;
        return;
    }
}

/* Inserts a copy of obj (in id order); returns it, or NULL when out of
 * memory. The caller names it. */
static okr_view_obj_t *view__insert(okr_view_t *v, const Okr__Objective *obj)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        okr_view_obj_t *grown = realloc(v->objs, cap * sizeof *grown);
        if (!grown)
            return NULL;
        v->objs = grown;
        v->cap = cap;
    }
    Okr__Objective *copy = okr_view_dup(&obj->base);
    if (!copy)
        return NULL;
    size_t at = view__slot(v, obj->id);
    memmove(v->objs + at + 1, v->objs + at, (v->n - at) * sizeof *v->objs);
    memset(&v->objs[at], 0, sizeof v->objs[at]);
    v->objs[at].o = copy;
    v->objs[at].parent = -1;
    v->n++;
    return &v->objs[at];
}

static void view__remove(okr_view_t *v, uint64_t id)
{
    okr_view_obj_t *o = okr_view_find(v, id);
    if (!o)
        return;
    size_t at = (size_t)(o - v->objs);
    view__obj_free(o);
    memmove(v->objs + at, v->objs + at + 1, (v->n - at - 1) * sizeof *v->objs);
    v->n--;
}

/* ---------------------------------------------------------------- the tree */

static double view__weight(const Okr__KeyResult *kr)
{
    /* as okr_weighted_progress counts them */
    return isfinite(kr->weight) && kr->weight > 0 ? kr->weight : 1.0;
}

/* Parents, with any loop in the data (which okrd never allows) broken so the
 * tree stays a tree: an objective whose chain of parents does not end within
 * n steps becomes a root. */
static void view__link_parents(okr_view_t *v)
{
    for (size_t i = 0; i < v->n; i++) {
        okr_view_obj_t *p =
            v->objs[i].o->parent_id ? okr_view_find(v, v->objs[i].o->parent_id) : NULL;
        v->objs[i].parent = p && p != &v->objs[i] ? (long)(p - v->objs) : -1;
    }
    for (size_t i = 0; i < v->n; i++) {
        long at = v->objs[i].parent;
        size_t steps = 0;
        while (at >= 0 && steps <= v->n) {
            at = v->objs[at].parent;
            steps++;
        }
        if (at >= 0)
            v->objs[i].parent = -1;
    }
}

static int view__link_children(okr_view_t *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->objs[i].kids);
        v->objs[i].kids = NULL;
        v->objs[i].nkids = 0;
    }
    size_t *count = calloc(v->n ? v->n : 1, sizeof *count);
    if (!count)
        return -1;
    for (size_t i = 0; i < v->n; i++)
        if (v->objs[i].parent >= 0)
            count[v->objs[i].parent]++;
    int rc = 0;
    for (size_t i = 0; i < v->n && rc == 0; i++)
        if (count[i] && !(v->objs[i].kids = malloc(count[i] * sizeof(size_t))))
            rc = -1;
    /* ids ascend with i, so each child list is in id order */
    for (size_t i = 0; i < v->n && rc == 0; i++) {
        long p = v->objs[i].parent;
        if (p >= 0)
            v->objs[p].kids[v->objs[p].nkids++] = i;
    }
    free(count);
    return rc;
}

/* Alignment order, depth-first from each root, without recursion. */
static int view__order(okr_view_t *v)
{
    free(v->order);
    free(v->roots);
    v->nroots = 0;
    v->order = malloc((v->n ? v->n : 1) * sizeof *v->order);
    v->roots = malloc((v->n ? v->n : 1) * sizeof *v->roots);
    size_t *stack = malloc((v->n ? v->n : 1) * sizeof *stack);
    if (!v->order || !v->roots || !stack) {
        free(stack);
        return -1;
    }
    size_t out = 0;
    for (size_t r = 0; r < v->n; r++) {
        if (v->objs[r].parent >= 0)
            continue;
        v->roots[v->nroots++] = r;
        size_t sp = 0;
        stack[sp++] = r;
        v->objs[r].depth = 0;
        while (sp > 0) {
            size_t i = stack[--sp];
            v->order[out++] = i;
            okr_view_obj_t *o = &v->objs[i];
            for (size_t k = o->nkids; k-- > 0;) {
                v->objs[o->kids[k]].depth = o->depth + 1;
                stack[sp++] = o->kids[k];
            }
        }
    }
    free(stack);
    return 0;
}

int okr_view_reindex(okr_view_t *v)
{
    v->now_ms = okr_wall_ms();
    v->expected =
        v->cycle ? okr_expected_progress(v->cycle->start_at, v->cycle->end_at, v->now_ms) : 0.0;
    /* A status pushed with a change (or sent by an okrd before 1.6) is from
     * that change; the pace has moved on since. */
    int open = v->cycle && v->cycle->state != OKR__CYCLE_STATE__CYCLE_STATE_CLOSED;
    for (size_t i = 0; open && i < v->n; i++) {
        Okr__Objective *o = v->objs[i].o;
        if (o->state != OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED &&
            o->state != OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED)
            o->status = okr_status_now(o->status, o->progress, v->expected);
    }
    for (size_t i = 0; i < v->n; i++) {
        okr_view_obj_t *o = &v->objs[i];
        o->weight_total = 0;
        for (size_t k = 0; k < o->nkrs; k++)
            o->weight_total += view__weight(o->krs[k].kr);
        for (size_t k = 0; k < o->nkrs; k++) {
            okr_view_kr_t *kr = &o->krs[k];
            kr->share = o->weight_total > 0 ? view__weight(kr->kr) / o->weight_total : 0;
            /* a key result linked to an objective stands or falls with it */
            const okr_view_obj_t *linked =
                kr->kr->linked_objective_id ? okr_view_find(v, kr->kr->linked_objective_id) : NULL;
            kr->status =
                linked ? linked->o->status
                       : okr_progress_status(kr->kr->progress, v->expected,
                                             kr->kr->has_confidence ? (int)kr->kr->confidence : -1);
        }
    }
    view__link_parents(v);
    if (view__link_children(v) != 0)
        return -1;
    return view__order(v);
}

/* ---------------------------------------------------------------- loading */

int okr_view_cycle_arg(okr_cli_t *cli, const char *name, uint64_t *id)
{
    if (name)
        return okr_ref_cycle(cli, name, id);
    return okr_ref_default_cycle(cli, id);
}

typedef struct view_load {
    okr_view_t *v;
    int nomem;
} view_load_t;

static void view__build_krs(void *arg, size_t i, okr_pipe_req_t *r)
{
    view_load_t *l = arg;
    Okr__KeyResultListRequest init = OKR__KEY_RESULT_LIST_REQUEST__INIT;
    Okr__Page page = OKR__PAGE__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    r->u.kr_list = init;
    r->page = page;
    r->page.limit = 500;
    r->u.kr_list.objective_id = l->v->objs[i].o->id;
    r->u.kr_list.page = &r->page;
    r->req = req;
    r->req.op_case = OKR__REQUEST__OP_KEY_RESULT_LIST;
    r->req.key_result_list = &r->u.kr_list;
}

/* Adds kr to its objective in the view, unless it is archived, its
 * objective is not in the view, or it is there already. 0 or -1. */
static int view__take_kr(okr_view_t *v, const Okr__KeyResult *kr)
{
    okr_view_obj_t *o = okr_view_find(v, kr->objective_id);
    if (kr->archived || !o || view__find_kr(o, kr->id))
        return 0;
    return view__add_kr(o, kr);
}

static int view__page_krs(void *arg, size_t i, const Okr__Response *resp)
{
    view_load_t *l = arg;
    if (resp->result_case != OKR__RESPONSE__RESULT_KEY_RESULT_LIST)
        return 0;
    const Okr__KeyResultList *list = resp->key_result_list;
    for (size_t k = 0; k < list->n_key_results; k++) {
        if (list->key_results[k]->objective_id != l->v->objs[i].o->id)
            continue;
        if (view__take_kr(l->v, list->key_results[k]) != 0) {
            l->nomem = 1;
            return OKR_EXIT_ERROR;
        }
    }
    return 0;
}

/* The cycle and its objectives: both need only the cycle's id, so both
 * requests go at once; the cycle's answer is taken first, so that a missing
 * one is reported as such. 0 or an exit code. */
static int view__load_cycle(okr_cli_t *cli, uint64_t cycle_id, okr_view_t *v)
{
    Okr__CycleGetRequest g = OKR__CYCLE_GET_REQUEST__INIT;
    g.id = cycle_id;
    Okr__Request creq = OKR__REQUEST__INIT;
    creq.op_case = OKR__REQUEST__OP_CYCLE_GET;
    creq.cycle_get = &g;
    Okr__Page page = OKR__PAGE__INIT;
    Okr__ObjectiveListRequest f = OKR__OBJECTIVE_LIST_REQUEST__INIT;
    f.cycle_id = cycle_id;
    f.page = &page;
    f.with_key_results = 1; /* from 1.5; an older server ignores it */
    Okr__Request oreq = OKR__REQUEST__INIT;
    oreq.op_case = OKR__REQUEST__OP_OBJECTIVE_LIST;
    oreq.objective_list = &f;
    uint64_t cycle_sent, list_sent;
    int rc = okr_cli_send(cli, &creq, &cycle_sent);
    if (rc == 0)
        rc = okr_cli_send(cli, &oreq, &list_sent);
    Okr__Response *resp;
    if (rc == 0)
        rc = okr_cli_take_call(cli, cycle_sent, &creq, OKR__RESPONSE__RESULT_CYCLE, &resp);
    if (rc)
        return rc;
    if (resp->cycle)
        v->cycle = okr_view_dup(&resp->cycle->base);
    okr__response__free_unpacked(resp, NULL);
    if (!v->cycle)
        return okr_kit_nomem(cli);
    okr_kit_pages_t pages;
    rc = okr_kit_fetch_all_sent(cli, list_sent, &oreq, &page, OKR__RESPONSE__RESULT_OBJECTIVE_LIST,
                                &pages);
    if (rc)
        return rc;
    for (size_t i = 0; rc == 0 && i < pages.n; i++) {
        const Okr__Objective *o = pages.items[i];
        if (o->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED || okr_view_find(v, o->id))
            continue;
        if (!view__insert(v, o))
            rc = okr_kit_nomem(cli);
    }
    /* the key results that came with the pages (1.5) */
    for (size_t p = 0; rc == 0 && p < pages.nresp; p++) {
        const Okr__ObjectiveList *list = pages.resp[p]->objective_list;
        for (size_t k = 0; rc == 0 && list && k < list->n_key_results; k++)
            if (view__take_kr(v, list->key_results[k]) != 0)
                rc = okr_kit_nomem(cli);
    }
    okr_kit_pages_free(&pages);
    return rc;
}

/* ---------------------------------------------------------------- trends */

#define VIEW_TREND_BATCH 100 /* objectives a TrendRequest may name */

/* The trend requests in flight: sent before the names are asked for, taken
 * after, so that both share one round trip. */
typedef struct view_trends {
    uint64_t *ids;
    Okr__TrendRequest *in;
    Okr__Request *req;
    uint64_t *sent; /* 0: not sent */
    size_t n;
} view_trends_t;

static void view__trends_free(view_trends_t *t)
{
    free(t->ids);
    free(t->in);
    free(t->req);
    free(t->sent);
    memset(t, 0, sizeof *t);
}

/* Sends them (nothing to an okrd known to be older than 1.3). 0, or an exit
 * code when the connection failed. */
static int view__trends_send(okr_cli_t *cli, const okr_view_t *v, view_trends_t *t)
{
    memset(t, 0, sizeof *t);
    if (v->n == 0 || (okr_client_server_hello(cli->client) &&
                      !okr_client_server_speaks(cli->client, OKR_PROTOCOL_TREND)))
        return 0;
    size_t n = (v->n + VIEW_TREND_BATCH - 1) / VIEW_TREND_BATCH;
    t->ids = malloc(v->n * sizeof *t->ids);
    t->in = calloc(n, sizeof *t->in);
    t->req = calloc(n, sizeof *t->req);
    t->sent = calloc(n, sizeof *t->sent);
    if (!t->ids || !t->in || !t->req || !t->sent) {
        view__trends_free(t); /* no trends: the view is whole without them */
        return 0;
    }
    t->n = n;
    for (size_t i = 0; i < v->n; i++)
        t->ids[i] = v->objs[i].o->id;
    for (size_t b = 0; b < n; b++) {
        okr__trend_request__init(&t->in[b]);
        t->in[b].objective_ids = t->ids + b * VIEW_TREND_BATCH;
        size_t left = v->n - b * VIEW_TREND_BATCH;
        t->in[b].n_objective_ids = left < VIEW_TREND_BATCH ? left : VIEW_TREND_BATCH;
        okr__request__init(&t->req[b]);
        t->req[b].op_case = OKR__REQUEST__OP_TREND;
        t->req[b].trend = &t->in[b];
        int rc = okr_cli_send(cli, &t->req[b], &t->sent[b]);
        if (rc)
            return rc;
    }
    return 0;
}

/* Takes the answers into the view; a refusal leaves those trends out. One
 * because the server was too busy is said once, unless quiet: a report or
 * an export without them would otherwise look whole. */
static int view__trends_take(okr_cli_t *cli, okr_view_t *v, view_trends_t *t, int quiet)
{
    int rc = 0;
    for (size_t b = 0; rc == 0 && b < t->n; b++) {
        Okr__Response *resp = NULL;
        if (!t->sent[b] || (rc = okr_cli_take(cli, t->sent[b], &t->req[b], &resp, 1)) != 0)
            continue;
        char *busy = quiet ? NULL : okr_trend_busy_reason(resp);
        if (busy) {
            fprintf(stderr, "okr: warning: trends left out: %s\n", busy);
            free(busy);
            quiet = 1;
        }
        const Okr__TrendResult *res = resp->status == OKR__STATUS__STATUS_OK ? resp->trend : NULL;
        for (size_t i = 0; res && i < res->n_objectives; i++) {
            const Okr__ObjectiveTrend *ot = res->objectives[i];
            okr_view_obj_t *o = okr_view_find(v, ot->objective_id);
            double *copy = ot->n_progress ? malloc(ot->n_progress * sizeof *copy) : NULL;
            if (!o || !copy) {
                free(copy);
                continue;
            }
            memcpy(copy, ot->progress, ot->n_progress * sizeof *copy);
            free(o->trend);
            o->trend = copy;
            o->ntrend = ot->n_progress;
        }
        okr__response__free_unpacked(resp, NULL);
    }
    return rc;
}

int okr_view_load(okr_cli_t *cli, uint64_t cycle_id, int flags, okr_view_t *v)
{
    memset(v, 0, sizeof *v);
    int rc = view__load_cycle(cli, cycle_id, v);
    view_load_t l = {.v = v};
    view_trends_t trends = {0};
    /* An okrd older than 1.5 sent no key results with the objectives:
     * they are asked for, objective by objective. */
    if (rc == 0 && !okr_client_server_speaks(cli->client, OKR_PROTOCOL_OBJECTIVES_WITH_KRS))
        rc = okr_pipeline(cli, v->n, view__build_krs, view__page_krs, &l);
    if (rc && l.nomem)
        rc = okr_kit_nomem(cli);
    if (rc == 0 && (flags & OKR_VIEW_TRENDS))
        rc = view__trends_send(cli, v, &trends);
    if (rc == 0)
        rc = view__fetch_names(cli, v);
    if (rc == 0)
        rc = view__trends_take(cli, v, &trends, flags & OKR_VIEW_TRENDS_QUIET);
    view__trends_free(&trends);
    for (size_t i = 0; rc == 0 && i < v->n; i++) {
        view__name_objective(cli, &v->objs[i]);
        for (size_t k = 0; k < v->objs[i].nkrs; k++)
            view__name_kr(cli, &v->objs[i].krs[k]);
    }
    if (rc == 0 && okr_view_reindex(v) != 0)
        rc = okr_kit_nomem(cli);
    if (rc)
        okr_view_free(v);
    return rc;
}

/* ---------------------------------------------------------------- live changes */

static int view__apply_objective(okr_cli_t *cli, okr_view_t *v, const Okr__Change *ch)
{
    const Okr__Objective *o = ch->objective;
    uint64_t id = o ? o->id : ch->entity_id;
    int gone = ch->op == OKR__CHANGE_OP__CHANGE_OP_DELETE ||
               ch->op == OKR__CHANGE_OP__CHANGE_OP_ARCHIVE || !o ||
               o->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED ||
               o->cycle_id != v->cycle->id;
    okr_view_obj_t *have = okr_view_find(v, id);
    if (gone) {
        if (!have)
            return OKR_VIEW_SAME;
        view__remove(v, id);
        return OKR_VIEW_CHANGED;
    }
    if (have) {
        Okr__Objective *copy = okr_view_dup(&o->base);
        if (!copy)
            return -1;
        view__free_msg(have->o);
        have->o = copy;
    } else if (!(have = view__insert(v, o))) {
        return -1;
    }
    view__name_objective(cli, have);
    return OKR_VIEW_CHANGED;
}

/* Puts kr (its new state) into the view. */
static int view__put_kr(okr_cli_t *cli, okr_view_t *v, const Okr__KeyResult *kr, int gone)
{
    okr_view_kr_t *k = NULL;
    okr_view_obj_t *holder = view__kr_owner(v, kr->id, &k);
    if (gone || kr->archived) {
        if (!holder)
            return OKR_VIEW_SAME;
        view__remove_kr(holder, kr->id);
        return OKR_VIEW_CHANGED;
    }
    if (holder && holder->o->id != kr->objective_id) {
        view__remove_kr(holder, kr->id); /* moved (okrd does not do that today) */
        holder = NULL;
    }
    if (holder) {
        Okr__KeyResult *copy = okr_view_dup(&kr->base);
        if (!copy)
            return -1;
        view__free_msg(k->kr);
        k->kr = copy;
        view__name_kr(cli, k);
        return OKR_VIEW_CHANGED;
    }
    okr_view_obj_t *o = okr_view_find(v, kr->objective_id);
    if (!o)
        return OKR_VIEW_SAME;
    if (view__add_kr(o, kr) != 0)
        return -1;
    view__name_kr(cli, view__find_kr(o, kr->id));
    return OKR_VIEW_CHANGED;
}

static int view__apply_kr(okr_cli_t *cli, okr_view_t *v, const Okr__Change *ch)
{
    if (ch->key_result)
        return view__put_kr(cli, v, ch->key_result,
                            ch->op == OKR__CHANGE_OP__CHANGE_OP_DELETE ||
                                ch->op == OKR__CHANGE_OP__CHANGE_OP_ARCHIVE);
    if (ch->op == OKR__CHANGE_OP__CHANGE_OP_DELETE || ch->op == OKR__CHANGE_OP__CHANGE_OP_ARCHIVE) {
        okr_view_kr_t *k;
        okr_view_obj_t *holder = view__kr_owner(v, ch->entity_id, &k);
        if (!holder)
            return OKR_VIEW_SAME;
        view__remove_kr(holder, ch->entity_id);
        return OKR_VIEW_CHANGED;
    }
    return OKR_VIEW_SAME;
}

static int view__apply_cycle(okr_view_t *v, const Okr__Change *ch)
{
    if (ch->entity_id != v->cycle->id || !ch->cycle)
        return OKR_VIEW_SAME;
    /* Closing scores every objective: read them all again. */
    if (ch->op == OKR__CHANGE_OP__CHANGE_OP_CLOSE ||
        (ch->cycle->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED &&
         v->cycle->state != OKR__CYCLE_STATE__CYCLE_STATE_CLOSED))
        return OKR_VIEW_RELOAD;
    Okr__Cycle *copy = okr_view_dup(&ch->cycle->base);
    if (!copy)
        return -1;
    view__free_msg(v->cycle);
    v->cycle = copy;
    return OKR_VIEW_CHANGED;
}

int okr_view_apply(okr_cli_t *cli, okr_view_t *v, const Okr__Change *ch)
{
    int rc = OKR_VIEW_SAME;
    switch (ch->kind) {
    case OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE:
        rc = view__apply_objective(cli, v, ch);
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT:
        rc = view__apply_kr(cli, v, ch);
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN:
        if (ch->key_result_after)
            rc = view__put_kr(cli, v, ch->key_result_after, 0);
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_CYCLE:
        rc = view__apply_cycle(v, ch);
        break;
    default:
        break;
    }
    if (rc < 0 || rc == OKR_VIEW_RELOAD)
        return rc;
    /* The roll-up: the objectives this change moved, nearest first. */
    for (size_t i = 0; i < ch->n_ancestors; i++) {
        const Okr__ProgressUpdate *u = ch->ancestors[i];
        okr_view_obj_t *o = okr_view_find(v, u->objective_id);
        if (!o)
            continue;
        if (o->o->progress != u->progress || o->o->status != u->status)
            rc = OKR_VIEW_CHANGED;
        o->o->progress = u->progress;
        o->o->status = u->status;
    }
    if (rc == OKR_VIEW_CHANGED && okr_view_reindex(v) != 0)
        return -1;
    return rc;
}

/* ---------------------------------------------------------------- selections */

size_t okr_view_select_team(const okr_view_t *v, uint64_t team_id, char *mark)
{
    memset(mark, 0, v->n);
    size_t selected = 0;
    /* In alignment order a parent comes before its children, so one pass
     * carries the selection down. */
    for (size_t k = 0; k < v->n; k++) {
        size_t i = v->order[k];
        const okr_view_obj_t *o = &v->objs[i];
        if (o->o->team_id == team_id || o->o->owner_team_id == team_id ||
            (o->parent >= 0 && mark[o->parent] == 2)) {
            mark[i] = 2;
            selected++;
        }
    }
    for (size_t i = 0; i < v->n; i++) {
        if (mark[i] != 2)
            continue;
        for (long p = v->objs[i].parent; p >= 0 && mark[p] == 0; p = v->objs[p].parent)
            mark[p] = 1;
    }
    return selected;
}

/* ---------------------------------------------------------------- words */

const char *okr_view_status_key(Okr__ProgressStatus s)
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

int okr_view_closed(const okr_view_t *v)
{
    return v->cycle && v->cycle->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED;
}

/* %g without exponent noise: 2, 0.5, 1.25. */
static void view__num(double x, char *buf, size_t len)
{
    snprintf(buf, len, "%.4g", x);
}

const char *okr_view_share_label(const okr_view_obj_t *o, const okr_view_kr_t *k, char *buf,
                                 size_t len)
{
    char a[32], b[32];
    view__num(view__weight(k->kr), a, sizeof a);
    view__num(o->weight_total, b, sizeof b);
    snprintf(buf, len, "%s/%s", a, b);
    return buf;
}

const char *okr_view_rollup_key(const okr_view_obj_t *o)
{
    if (o->nkrs)
        return "key_results";
    return o->nkids ? "children" : "none";
}

const char *okr_view_rollup_label(const okr_view_obj_t *o, char *buf, size_t len)
{
    if (o->nkrs)
        snprintf(buf, len, "weighted mean of %zu key result%s", o->nkrs, o->nkrs == 1 ? "" : "s");
    else if (o->nkids)
        snprintf(buf, len, "mean of %zu child%s", o->nkids, o->nkids == 1 ? "" : "ren");
    else
        snprintf(buf, len, "no key results");
    return buf;
}

/* ---------------------------------------------------------------- JSON */

static int view__set(json_t *obj, const char *key, json_t *value)
{
    return value && json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

static json_t *view__real(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

json_t *okr_view_cycle_json(const okr_view_t *v)
{
    json_t *j = okr_json_cycle(v->cycle);
    if (!j)
        return NULL;
    int bad = view__set(j, "expected", view__real(v->expected));
    bad |= view__set(j, "generated_at", json_integer((json_int_t)v->now_ms));
    if (bad) {
        json_decref(j);
        return NULL;
    }
    return j;
}

json_t *okr_view_kr_json(const okr_view_obj_t *o, const okr_view_kr_t *k)
{
    json_t *j = okr_json_key_result(k->kr);
    if (!j)
        return NULL;
    char ref[32], share[64];
    int bad = view__set(
        j, "ref", json_string(okr_ref_format(OKR_REF_KEY_RESULT, k->kr->id, ref, sizeof ref)));
    bad |= view__set(j, "owner", json_string(k->owner ? k->owner : "-"));
    bad |= view__set(j, "weight_share", view__real(k->share));
    bad |=
        view__set(j, "weight_label", json_string(okr_view_share_label(o, k, share, sizeof share)));
    bad |= view__set(j, "status", json_string(okr_view_status_key(k->status)));
    if (bad) {
        json_decref(j);
        return NULL;
    }
    return j;
}

json_t *okr_view_objective_json(const okr_view_t *v, const okr_view_obj_t *o, int with_krs)
{
    (void)v;
    json_t *j = okr_json_objective(o->o);
    if (!j)
        return NULL;
    char ref[32];
    int bad = view__set(j, "ref",
                        json_string(okr_ref_format(OKR_REF_OBJECTIVE, o->o->id, ref, sizeof ref)));
    bad |= view__set(j, "owner", json_string(o->owner ? o->owner : "-"));
    bad |= view__set(j, "owner_kind", json_string(o->owner_team ? "team" : "user"));
    bad |= view__set(j, "team", o->team ? json_string(o->team) : json_null());
    bad |= view__set(j, "rollup", json_string(okr_view_rollup_key(o)));
    if (o->trend) { /* loaded with OKR_VIEW_TRENDS */
        json_t *a = json_array();
        for (size_t i = 0; a && i < o->ntrend; i++)
            if (json_array_append_new(a, json_real(o->trend[i])) != 0)
                bad = -1;
        bad |= view__set(j, "trend", a);
    }
    if (with_krs) {
        json_t *a = json_array();
        for (size_t k = 0; a && k < o->nkrs; k++)
            if (json_array_append_new(a, okr_view_kr_json(o, &o->krs[k])) != 0)
                bad = -1;
        bad |= view__set(j, "key_results", a);
    }
    if (bad) {
        json_decref(j);
        return NULL;
    }
    return j;
}
