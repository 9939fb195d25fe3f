/* handle_trend.c — progress over time (TrendRequest, protocol 1.3).
 *
 * What the sparkline of okr obj show and okr-dash draws: each objective's
 * progress sampled at the ends of equal periods of its cycle so far. It is
 * computed when asked, from the check-ins (each dated, and kept in date
 * order per key result by handle_checkin.c), rather than stored: one more
 * write per check-in for a figure read far less often than written would
 * slow the path that matters most. Decisions, for the next reader:
 *   - Today's structure with the values it had then: the key results,
 *     weights and links an objective has now, each at its latest check-in
 *     dated at or before the time. A key result before its first check-in
 *     counts at its start.
 *   - The samples run to now, or to the cycle's close: check-ins made after
 *     its end date, before it is closed, are part of its story.
 *   - The recorded progress of each check-in is used as it was (a target
 *     edited since does not rewrite history); the last sample is the current
 *     progress, so a sparkline ends where the bar is.
 *   - Linked key results and aligned children are followed TREND_MAX_DEPTH
 *     deep: their progress already rolls up into what the caller may read,
 *     so following them reveals nothing new. A loop is impossible (the
 *     alignment tree refuses one) and the depth bounds the work anyway.
 *   - Reads only. Who may read what is checked on the loop; the walk runs
 *     on libuv's thread pool in a read transaction of its own (see
 *     "on the thread pool" below). A request is bounded by
 *     TREND_MAX_OBJECTIVES and TREND_MAX_POINTS, the requests computed and
 *     waiting by trend_parallel and trend_queue, and one connection's by
 *     trend_per_connection.
 *   - A dashboard token may ask for the objectives within its scope that it
 *     may see: the sparklines of okr-dash.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "clock.h"
#include "dashboard.h"
#include "domain.h"
#include "okr_error.h"
#include "progress.h"
#include "request.h"

#define TREND_MAX_OBJECTIVES 100
#define TREND_MAX_POINTS     60
#define TREND_MAX_DEPTH      8
#define TREND_PERIOD_MS      (7 * 86400000LL) /* points = 0: one a week */
#define TREND_STOP           (-1)             /* an index walk's "no need to go on" */

/* A nested objective's series, once computed. */
typedef struct trend_memo {
    uint64_t id;
    double *series;
} trend_memo_t;

typedef struct trend {
    okr_store_t *s;
    MDB_txn *txn;
    const int64_t *at; /* the sample times; the last one takes the current progress */
    size_t n;
    trend_memo_t *memo; /* the nested objectives computed so far */
    size_t nmemo;
    uint64_t computed; /* objectives walked (Stats: shows the memo at work) */
} trend_t;

static int trend__objective(trend_t *t, const Okr__Objective *obj, int depth, double *out,
                            Okr__ObjectiveTrend *detail);

/* A nested objective's series into out, computed once per request: one
 * reached again (several key results linked to it, a child also linked) is
 * copied, not walked again, so the work follows the objectives, not the
 * paths to them (five key results each linking the next level, eight
 * levels deep, would otherwise be 5^8 walks of the deepest). */
static int trend__nested(trend_t *t, const Okr__Objective *obj, int depth, double *out)
{
    for (size_t i = 0; i < t->nmemo; i++)
        if (t->memo[i].id == obj->id) {
            memcpy(out, t->memo[i].series, t->n * sizeof *out);
            return 0;
        }
    int rc = trend__objective(t, obj, depth, out, NULL);
    if (rc != 0)
        return rc;
    trend_memo_t *grown = realloc(t->memo, (t->nmemo + 1) * sizeof *grown);
    if (grown)
        t->memo = grown;
    double *copy = grown ? malloc(t->n * sizeof *copy) : NULL;
    if (!copy)
        return 0; /* not remembered: walked again if met again */
    memcpy(copy, out, t->n * sizeof *copy);
    t->memo[t->nmemo++] = (trend_memo_t){obj->id, copy};
    return 0;
}

static void trend__memo_free(trend_t *t)
{
    for (size_t i = 0; i < t->nmemo; i++)
        free(t->memo[i].series);
    free(t->memo);
    t->memo = NULL;
    t->nmemo = 0;
}

/* ---- sample times ---- */

/* Fills at[] (TREND_MAX_POINTS long) for a cycle; returns how many. The
 * samples run to now, or to the cycle's end date once it has passed (or
 * to its close, if it was closed early): a cycle closed weeks after its
 * end would otherwise end in weeks of flat line and squeeze the cycle
 * itself. Check-ins made after the end date still count: the last sample
 * is the current progress (see trend__objective). */
static size_t trend__times(const Okr__Cycle *cycle, uint32_t points, int64_t now, int64_t *at)
{
    int closed = cycle->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED;
    int64_t from = cycle->start_at, to = now;
    if (closed && cycle->closed_at)
        to = cycle->closed_at;
    if (to > cycle->end_at && cycle->end_at > from)
        to = cycle->end_at;
    if (to <= from) { /* not started yet: only now */
        at[0] = to;
        return 1;
    }
    size_t n = points;
    if (n == 0) {
        int64_t periods = (to - from + TREND_PERIOD_MS - 1) / TREND_PERIOD_MS;
        n = periods < 2 ? 2 : periods > TREND_MAX_POINTS ? TREND_MAX_POINTS : (size_t)periods;
    }
    for (size_t i = 0; i < n; i++)
        at[i] = from + (int64_t)((double)(to - from) * (double)(i + 1) / (double)n);
    at[n - 1] = to;
    return n;
}

/* ---- a key result ---- */

typedef struct kr_walk {
    trend_t *t;
    double *out;
    size_t next;  /* the first sample not yet filled */
    double value; /* the progress as of the check-ins walked so far */
} kr_walk_t;

/* Check-ins come oldest first: each fills the samples before its date. */
static int trend__on_checkin(void *arg, uint64_t id)
{
    kr_walk_t *w = arg;
    Okr__CheckIn *c;
    int rc = okr_checkin_get(w->t->s, w->t->txn, id, &c);
    if (rc != 0)
        return rc == OKR_E_NOT_FOUND ? 0 : rc;
    while (w->next < w->t->n && w->t->at[w->next] < c->time)
        w->out[w->next++] = w->value;
    w->value = okr_clamp01(c->progress);
    okr__check_in__free_unpacked(c, NULL);
    return w->next == w->t->n ? TREND_STOP : 0; /* the rest are dated after the last sample */
}

static int trend__kr(trend_t *t, const Okr__KeyResult *kr, int depth, double *out)
{
    if (kr->linked_objective_id != 0 && depth < TREND_MAX_DEPTH) {
        Okr__Objective *linked;
        int rc = okr_objective_get(t->s, t->txn, kr->linked_objective_id, &linked);
        if (rc == 0) {
            rc = trend__nested(t, linked, depth + 1, out);
            okr__objective__free_unpacked(linked, NULL);
            for (size_t i = 0; rc == 0 && i < t->n; i++)
                out[i] = okr_kr_progress_linked(kr, out[i]);
        }
        if (rc != OKR_E_NOT_FOUND)
            return rc;
    }
    Okr__KeyResult at_start = *kr;
    at_start.current = kr->start;
    kr_walk_t w = {.t = t, .out = out, .value = okr_kr_progress(&at_start)};
    int rc = okr_index_each(t->s, t->txn, OKR_DB_IDX_KR_CHECKINS, kr->id, 0, trend__on_checkin, &w);
    if (rc > 0)
        return rc;
    while (w.next < t->n)
        out[w.next++] = w.value;
    out[t->n - 1] = okr_clamp01(kr->progress);
    return 0;
}

/* ---- an objective ---- */

/* The series an objective rolls up: one per key result, or per child. */
typedef struct parts {
    trend_t *t;
    int depth;
    double *series; /* n per part */
    double *weights;
    uint64_t *kr_ids;
    size_t count, cap;
} parts_t;

static double *parts__next(parts_t *p)
{
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        double *series = realloc(p->series, cap * p->t->n * sizeof *series);
        if (!series)
            return NULL;
        p->series = series;
        double *weights = realloc(p->weights, cap * sizeof *weights);
        if (!weights)
            return NULL;
        p->weights = weights;
        uint64_t *ids = realloc(p->kr_ids, cap * sizeof *ids);
        if (!ids)
            return NULL;
        p->kr_ids = ids;
        p->cap = cap;
    }
    return p->series + p->count * p->t->n;
}

static int parts__on_kr(void *arg, uint64_t kr_id)
{
    parts_t *p = arg;
    Okr__KeyResult *kr;
    int rc = okr_kr_get(p->t->s, p->t->txn, kr_id, &kr);
    if (rc != 0)
        return rc == OKR_E_NOT_FOUND ? 0 : rc;
    if (!kr->archived) {
        double *out = parts__next(p);
        rc = out ? trend__kr(p->t, kr, p->depth, out) : OKR_E_NOMEM;
        if (rc == 0) {
            p->weights[p->count] = kr->weight;
            p->kr_ids[p->count] = kr->id;
            p->count++;
        }
    }
    okr__key_result__free_unpacked(kr, NULL);
    return rc;
}

static int parts__on_child(void *arg, uint64_t child_id)
{
    parts_t *p = arg;
    Okr__Objective *child;
    int rc = okr_objective_get(p->t->s, p->t->txn, child_id, &child);
    if (rc != 0)
        return rc == OKR_E_NOT_FOUND ? 0 : rc;
    if (child->state != OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED) {
        double *out = parts__next(p);
        rc = out ? trend__nested(p->t, child, p->depth + 1, out) : OKR_E_NOMEM;
        if (rc == 0) {
            p->weights[p->count] = 1.0;
            p->kr_ids[p->count] = 0;
            p->count++;
        }
    }
    okr__objective__free_unpacked(child, NULL);
    return rc;
}

/* The key results' series into detail (owned by the reply). */
static int trend__detail(const parts_t *p, Okr__ObjectiveTrend *detail)
{
    size_t n = p->t->n;
    detail->key_results = calloc(p->count ? p->count : 1, sizeof *detail->key_results);
    if (!detail->key_results)
        return OKR_E_NOMEM;
    for (size_t k = 0; k < p->count; k++) {
        Okr__KeyResultTrend *kt = malloc(sizeof *kt);
        double *progress = malloc(n * sizeof *progress);
        if (!kt || !progress) {
            free(kt);
            free(progress);
            return OKR_E_NOMEM;
        }
        okr__key_result_trend__init(kt);
        kt->key_result_id = p->kr_ids[k];
        memcpy(progress, p->series + k * n, n * sizeof *progress);
        kt->progress = progress;
        kt->n_progress = n;
        detail->key_results[detail->n_key_results++] = kt;
    }
    return 0;
}

static int trend__objective(trend_t *t, const Okr__Objective *obj, int depth, double *out,
                            Okr__ObjectiveTrend *detail)
{
    parts_t p = {.t = t, .depth = depth};
    t->computed++;
    int rc = okr_index_each(t->s, t->txn, OKR_DB_IDX_OBJECTIVE_KRS, obj->id, 0, parts__on_kr, &p);
    int own = p.count > 0;
    if (rc == 0 && !own && depth < TREND_MAX_DEPTH)
        rc = okr_index_each(t->s, t->txn, OKR_DB_IDX_CHILD_OBJECTIVES, obj->id, 0, parts__on_child,
                            &p);
    double *column = rc == 0 ? malloc((p.count ? p.count : 1) * sizeof *column) : NULL;
    if (rc == 0 && !column)
        rc = OKR_E_NOMEM;
    for (size_t i = 0; rc == 0 && i < t->n; i++) {
        for (size_t k = 0; k < p.count; k++)
            column[k] = p.series[k * t->n + i];
        out[i] = own ? okr_weighted_progress(column, p.weights, p.count)
                     : okr_mean_progress(column, p.count);
    }
    free(column);
    if (rc == 0)
        out[t->n - 1] = okr_clamp01(obj->progress);
    if (rc == 0 && detail && own)
        rc = trend__detail(&p, detail);
    free(p.series);
    free(p.weights);
    free(p.kr_ids);
    return rc;
}

/* ---- the request ---- */

static void trend__free_reply(Okr__TrendResult *res)
{
    for (size_t i = 0; i < res->n_objectives; i++) {
        Okr__ObjectiveTrend *o = res->objectives[i];
        for (size_t k = 0; k < o->n_key_results; k++) {
            free(o->key_results[k]->progress);
            free(o->key_results[k]);
        }
        free(o->key_results);
        free(o->at);
        free(o->progress);
        free(o);
    }
    free(res->objectives);
}

/* 1 if the caller may read obj: a person by the usual rules, a dashboard
 * when obj is within its token's scope and visible to it. */
static int trend__may_read(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__Objective *obj)
{
    const Okr__DashboardToken *token = r->conn->dashboard;
    if (!token)
        return okr_acl_can_read_objective(s, txn, r->user, obj);
    Okr__Scope one = OKR__SCOPE__INIT;
    one.kind = OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE;
    one.id = obj->id;
    return okr_dashboard_scope_allowed(s, txn, token, &one) &&
           okr_dashboard_may_read(s, txn, token, obj);
}

/* Checks, on the loop, that the caller may read every objective asked for:
 * what you may not read does not exist for you. 0 or a refusal. */
static int trend__check(okr_req_t *r, okr_store_t *s, const Okr__TrendRequest *in)
{
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0)
        return okr_req_refuse(r, OKR_E_INTERNAL, "cannot read the store");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < in->n_objective_ids; i++) {
        uint64_t id = in->objective_ids[i];
        Okr__Objective *obj;
        rc = okr_objective_get(s, txn, id, &obj);
        if (rc == 0) {
            int readable = trend__may_read(r, s, txn, obj);
            okr__objective__free_unpacked(obj, NULL);
            rc = readable ? 0 : OKR_E_NOT_FOUND;
        }
        if (rc == OKR_E_NOT_FOUND)
            rc = okr_req_refuse(r, rc, "no objective O%llu", (unsigned long long)id);
        else if (rc != 0)
            rc = okr_req_refuse(r, rc, "cannot read objective O%llu", (unsigned long long)id);
    }
    okr_store_read_end(s, txn);
    return rc;
}

/* One objective's trend into a new entry of res; adds the objectives it
 * walked to *computed. */
static int trend__one(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t id, uint32_t points,
                      int64_t now, Okr__TrendResult *res, uint64_t *computed)
{
    Okr__Objective *obj;
    int rc = okr_objective_get(s, txn, id, &obj);
    if (rc == OKR_E_NOT_FOUND) /* deleted since it was checked */
        return okr_req_refuse(r, rc, "no objective O%llu", (unsigned long long)id);
    if (rc != 0)
        return okr_req_refuse(r, rc, "cannot read objective O%llu", (unsigned long long)id);
    Okr__Cycle *cycle;
    rc = okr_cycle_get(s, txn, obj->cycle_id, &cycle);
    if (rc != 0) {
        okr__objective__free_unpacked(obj, NULL);
        return okr_req_refuse(r, OKR_E_INTERNAL, "the cycle of O%llu is missing",
                              (unsigned long long)id);
    }
    int64_t times[TREND_MAX_POINTS];
    trend_t t = {.s = s, .txn = txn, .at = times};
    t.n = trend__times(cycle, points, now, times);
    okr__cycle__free_unpacked(cycle, NULL);

    Okr__ObjectiveTrend *o = malloc(sizeof *o);
    int64_t *at = malloc(t.n * sizeof *at);
    double *progress = malloc(t.n * sizeof *progress);
    if (!o || !at || !progress) {
        free(o);
        free(at);
        free(progress);
        okr__objective__free_unpacked(obj, NULL);
        return OKR_E_NOMEM;
    }
    okr__objective_trend__init(o);
    o->objective_id = id;
    memcpy(at, times, t.n * sizeof *at);
    o->at = at;
    o->n_at = t.n;
    o->progress = progress;
    o->n_progress = t.n;
    res->objectives[res->n_objectives++] = o; /* freed with res from here on */
    rc = trend__objective(&t, obj, 0, progress, o);
    *computed += t.computed;
    trend__memo_free(&t);
    okr__objective__free_unpacked(obj, NULL);
    return rc;
}

/* ---- on the thread pool ---- */

/* The walk over the check-ins is the work (a few ms for an organisation's
 * quarter, more for a year): it runs on libuv's pool, never on the loop, so
 * every other connection's pushes and answers go on meanwhile. At most
 * trend_parallel at once, at most trend_queue more waiting in order, and
 * beyond that refused at once (srv->trends): the pool also hashes
 * passwords, and logins must not wait behind dashboards; nor may a burst of
 * requests make the server hold more than it was sized for. */
struct okr_trend_job {
    uv_work_t work;
    okr_req_t *r;
    int64_t now;
    Okr__TrendResult res;
    int rc;
    uint64_t computed;     /* objectives walked (Stats) */
    okr_trend_job_t *next; /* queued behind the running ones */
};

static void trend__work(uv_work_t *w)
{
    okr_trend_job_t *job = w->data;
    okr_req_t *r = job->r;
    const Okr__TrendRequest *in = r->msg->trend;
    okr_store_t *s = r->srv->store;
    if (r->srv->cfg->test_trend_delay_ms) /* tests only: a queue that stays full a while */
        uv_sleep((unsigned)r->srv->cfg->test_trend_delay_ms);
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0) {
        job->rc = okr_req_refuse(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    for (size_t i = 0; job->rc == 0 && i < in->n_objective_ids; i++)
        job->rc = trend__one(r, s, txn, in->objective_ids[i], in->points, job->now, &job->res,
                             &job->computed);
    okr_store_read_end(s, txn);
}

/* Frees a job that was enqueued, before its request is answered (which may
 * release the connection). */
static void trend__job_free(okr_trend_job_t *job)
{
    job->r->conn->trends--;
    trend__free_reply(&job->res);
    free(job);
}

static void trend__done(uv_work_t *w, int status);

static void trend__start(okr_trend_job_t *job)
{
    okr_trends_t *q = &job->r->srv->trends;
    q->running++;
    int rc = uv_queue_work(job->r->srv->loop, &job->work, trend__work, trend__done);
    if (rc != 0) { /* only for a NULL callback: not here */
        q->running--;
        okr_req_t *r = job->r;
        trend__job_free(job);
        okr_req_fail(r, OKR_E_INTERNAL, "cannot compute the trend: %s", uv_strerror(rc));
    }
}

/* Starts the oldest waiting jobs while there is room. One whose connection
 * is closing is not computed (nobody would read it), nor is any once the
 * server is stopping: shutdown waits for what runs, not for the queue. */
static void trend__next(okr_server_t *srv)
{
    okr_trends_t *q = &srv->trends;
    while (q->queue && q->running < srv->cfg->trend_parallel) {
        okr_trend_job_t *job = q->queue;
        q->queue = job->next;
        if (!q->queue)
            q->queue_tail = NULL;
        q->waiting--;
        if (!srv->stopping && !job->r->conn->closing) {
            trend__start(job);
            continue;
        }
        okr_req_t *r = job->r;
        trend__job_free(job);
        okr_req_fail(r, OKR_E_UNAVAILABLE, "the server is shutting down; try again shortly");
    }
}

static void trend__done(uv_work_t *w, int status)
{
    okr_trend_job_t *job = w->data;
    okr_req_t *r = job->r;
    okr_server_t *srv = r->srv;
    srv->trends.running--;
    srv->trends.objectives += job->computed;
    int rc = status != 0 ? okr_req_refuse(r, OKR_E_INTERNAL, "the trend could not be computed")
                         : job->rc;
    if (rc == 0)
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_TREND, &job->res.base);
    trend__job_free(job);
    okr_req_finish(r, rc);
    trend__next(srv);
}

/* Runs job now if there is room, else queues it (the caller checked that
 * the queue has room). */
static void trend__enqueue(okr_trend_job_t *job)
{
    okr_server_t *srv = job->r->srv;
    okr_trends_t *q = &srv->trends;
    job->r->conn->trends++;
    if (q->running < srv->cfg->trend_parallel) {
        trend__start(job);
        return;
    }
    if (q->queue_tail)
        q->queue_tail->next = job;
    else
        q->queue = job;
    q->queue_tail = job;
    q->waiting++;
}

void okr_handle_trend(okr_req_t *r)
{
    const Okr__TrendRequest *in = r->msg->trend;
    if (in->n_objective_ids == 0 || in->n_objective_ids > TREND_MAX_OBJECTIVES) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "name 1 to %d objectives, not %zu", TREND_MAX_OBJECTIVES,
                     in->n_objective_ids);
        return;
    }
    if (in->points == 1 || in->points > TREND_MAX_POINTS) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "points must be 2 to %d (or 0: one a week), not %u",
                     TREND_MAX_POINTS, (unsigned)in->points);
        return;
    }
    if (r->srv->stopping) {
        okr_req_fail(r, OKR_E_UNAVAILABLE, "the server is shutting down; try again shortly");
        return;
    }
    /* Full: refused before any reading, so that a flood costs the loop
     * little. Says nothing about the objectives, so it may come first. One
     * connection gets a share of the queue, not all of it: a client that
     * floods waits for its own answers, and everyone else's go on. */
    okr_trends_t *q = &r->srv->trends;
    if (r->conn->trends >= r->srv->cfg->trend_per_connection) {
        q->refused++;
        okr_req_fail(r, OKR_E_UNAVAILABLE,
                     "this connection already has %u trend requests computing or waiting (at "
                     "most %llu); wait for their answers",
                     r->conn->trends, (unsigned long long)r->srv->cfg->trend_per_connection);
        return;
    }
    if (q->running >= r->srv->cfg->trend_parallel && q->waiting >= r->srv->cfg->trend_queue) {
        q->refused++;
        okr_req_fail(r, OKR_E_UNAVAILABLE,
                     "the server is computing too many trends (%u waiting); try again shortly",
                     q->waiting);
        return;
    }
    int rc = trend__check(r, r->srv->store, in);
    if (rc != 0) {
        okr_req_finish(r, rc);
        return;
    }
    okr_trend_job_t *job = calloc(1, sizeof *job);
    Okr__ObjectiveTrend **slots = calloc(in->n_objective_ids, sizeof *slots);
    if (!job || !slots) {
        free(job);
        free(slots);
        okr_req_fail(r, OKR_E_INTERNAL, "out of memory");
        return;
    }
    job->r = r;
    job->now = okr_wall_ms();
    okr__trend_result__init(&job->res);
    job->res.objectives = slots;
    job->work.data = job;
    trend__enqueue(job);
}
