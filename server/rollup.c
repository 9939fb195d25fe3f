#include "rollup.h"

#include <math.h>
#include <stdlib.h>

#include "domain.h"
#include "okr_error.h"
#include "progress.h"

/* Bounds a walk through corrupt data; real trees are a few levels deep. */
#define ROLLUP_MAX_VISITS 10000
#define ROLLUP_EPSILON    1e-9

void okr_updates_free(okr_updates_t *u)
{
    for (size_t i = 0; i < u->n; i++) {
        if (u->items[i]->title != protobuf_c_empty_string)
            free(u->items[i]->title);
        free(u->items[i]);
    }
    free(u->items);
    u->items = NULL;
    u->n = u->cap = 0;
}

static int updates__add(okr_updates_t *u, uint64_t id, double progress, Okr__ProgressStatus status)
{
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 8;
        void *grown = realloc(u->items, cap * sizeof *u->items);
        if (!grown)
            return OKR_E_NOMEM;
        u->items = grown;
        u->cap = cap;
    }
    Okr__ProgressUpdate *p = malloc(sizeof *p);
    if (!p)
        return OKR_E_NOMEM;
    okr__progress_update__init(p);
    p->objective_id = id;
    p->progress = progress;
    p->status = status;
    u->items[u->n++] = p;
    return 0;
}

double okr_rollup_kr_progress(okr_store_t *s, MDB_txn *txn, const Okr__KeyResult *kr)
{
    if (kr->linked_objective_id == 0)
        return okr_kr_progress(kr);
    Okr__Objective *linked;
    if (okr_objective_get(s, txn, kr->linked_objective_id, &linked) != 0)
        return okr_kr_progress(kr);
    double p = okr_kr_progress_linked(kr, linked->progress);
    okr__objective__free_unpacked(linked, NULL);
    return p;
}

/* What one objective's figures are, from its key results or children. */
typedef struct figures {
    okr_store_t *s;
    MDB_txn *txn;
    double *progress, *weights;
    size_t n, cap;
    int min_confidence; /* -1: none known */
    int rc;
    int pure; /* compute only: do not refresh stored key result progress */
} figures_t;

static int figures__push(figures_t *f, double p, double w)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        double *np = realloc(f->progress, cap * sizeof *np);
        if (!np)
            return OKR_E_NOMEM;
        f->progress = np;
        double *nw = realloc(f->weights, cap * sizeof *nw);
        if (!nw)
            return OKR_E_NOMEM;
        f->weights = nw;
        f->cap = cap;
    }
    f->progress[f->n] = p;
    f->weights[f->n] = w;
    f->n++;
    return 0;
}

/* A key result's stored progress is refreshed here too: a linked one moves
 * whenever its objective does. */
static int figures__on_kr(void *arg, uint64_t kr_id)
{
    figures_t *f = arg;
    Okr__KeyResult *kr;
    int rc = okr_kr_get(f->s, f->txn, kr_id, &kr);
    if (rc != 0)
        return rc == OKR_E_NOT_FOUND ? 0 : rc;
    if (!kr->archived) {
        double p = okr_rollup_kr_progress(f->s, f->txn, kr);
        if (!f->pure && fabs(p - kr->progress) > ROLLUP_EPSILON) {
            kr->progress = p;
            rc = okr_kr_save(f->s, f->txn, kr, kr);
        }
        if (kr->has_confidence && !okr_progress_done(p) &&
            (f->min_confidence < 0 || (int)kr->confidence < f->min_confidence))
            f->min_confidence = (int)kr->confidence;
        if (rc == 0)
            rc = figures__push(f, p, kr->weight);
    }
    okr__key_result__free_unpacked(kr, NULL);
    return rc;
}

static int figures__on_child(void *arg, uint64_t child_id)
{
    figures_t *f = arg;
    Okr__Objective *child;
    int rc = okr_objective_get(f->s, f->txn, child_id, &child);
    if (rc != 0)
        return rc == OKR_E_NOT_FOUND ? 0 : rc;
    if (child->state != OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED)
        rc = figures__push(f, child->progress, 1.0);
    okr__objective__free_unpacked(child, NULL);
    return rc;
}

/* Computes obj's progress and status into the out parameters. */
static int rollup__compute(okr_store_t *s, MDB_txn *txn, const Okr__Objective *obj, int64_t now_ms,
                           int pure, double *progress, Okr__ProgressStatus *status)
{
    figures_t f = {.s = s, .txn = txn, .min_confidence = -1, .pure = pure};
    int rc = okr_index_each(s, txn, OKR_DB_IDX_OBJECTIVE_KRS, obj->id, 0, figures__on_kr, &f);
    if (rc == 0 && f.n > 0) {
        *progress = okr_weighted_progress(f.progress, f.weights, f.n);
    } else if (rc == 0) {
        rc = okr_index_each(s, txn, OKR_DB_IDX_CHILD_OBJECTIVES, obj->id, 0, figures__on_child, &f);
        *progress = okr_mean_progress(f.progress, f.n);
    }
    free(f.progress);
    free(f.weights);
    if (rc != 0)
        return rc;
    Okr__Cycle *cycle;
    double expected = 0;
    if (okr_cycle_get(s, txn, obj->cycle_id, &cycle) == 0) {
        expected = okr_expected_progress(cycle->start_at, cycle->end_at, now_ms);
        okr__cycle__free_unpacked(cycle, NULL);
    }
    *status = okr_progress_status(*progress, expected, f.min_confidence);
    return 0;
}

int okr_rollup_figures(okr_store_t *s, MDB_txn *txn, const Okr__Objective *obj, int64_t now_ms,
                       double *progress, Okr__ProgressStatus *status)
{
    *progress = 0;
    *status = OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED;
    return rollup__compute(s, txn, obj, now_ms, 1, progress, status);
}

/* The work list: objectives still to recompute. */
typedef struct pending {
    uint64_t *ids;
    size_t head, n, cap;
} pending_t;

static int pending__push(void *arg, uint64_t id)
{
    pending_t *q = arg;
    if (id == 0)
        return 0;
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        void *grown = realloc(q->ids, cap * sizeof *q->ids);
        if (!grown)
            return OKR_E_NOMEM;
        q->ids = grown;
        q->cap = cap;
    }
    q->ids[q->n++] = id;
    return 0;
}

/* Queues the objective of a key result linked to the one that moved. */
static int pending__push_kr_objective(void *arg, uint64_t kr_id)
{
    pending_t *q = ((void **)arg)[0];
    figures_t *f = ((void **)arg)[1];
    Okr__KeyResult *kr;
    int rc = okr_kr_get(f->s, f->txn, kr_id, &kr);
    if (rc != 0)
        return rc == OKR_E_NOT_FOUND ? 0 : rc;
    rc = pending__push(q, kr->objective_id);
    okr__key_result__free_unpacked(kr, NULL);
    return rc;
}

/* Recomputes the objectives queued in q, and what each move reaches, into
 * out; `always` (0: none) is reported even when it did not move. Frees q. */
static int rollup__run(okr_store_t *s, MDB_txn *txn, pending_t *q, uint64_t always, int64_t now_ms,
                       okr_updates_t *out)
{
    int rc = 0;
    size_t max_visits = q->n + ROLLUP_MAX_VISITS;
    for (size_t visits = 0; rc == 0 && q->head < q->n && visits < max_visits; visits++) {
        uint64_t id = q->ids[q->head++];
        Okr__Objective *obj;
        rc = okr_objective_get(s, txn, id, &obj);
        if (rc == OKR_E_NOT_FOUND) {
            rc = 0;
            continue;
        }
        if (rc != 0)
            break;
        double progress = 0;
        Okr__ProgressStatus status = OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED;
        rc = rollup__compute(s, txn, obj, now_ms, 0, &progress, &status);
        /* Parents and linked key results take an objective's progress, never
         * its status: a move of progress travels on to them, and any move of
         * the objective the roll-up is for (a new child's first figures must
         * reach its parent). A cycle's new dates move only statuses: none
         * travels. */
        int moved_progress = fabs(progress - obj->progress) > ROLLUP_EPSILON;
        int moved = moved_progress || status != obj->status;
        int travels = moved_progress || (moved && id == always);
        if (rc == 0 && moved) {
            obj->progress = progress;
            obj->status = status;
            rc = okr_objective_save(s, txn, obj, obj);
        }
        if (rc == 0 && (moved || id == always))
            rc = updates__add(out, id, progress, status);
        if (rc == 0 && travels) {
            rc = pending__push(q, obj->parent_id);
            figures_t f = {.s = s, .txn = txn};
            void *ctx[2] = {q, &f};
            if (rc == 0)
                rc = okr_index_each(s, txn, OKR_DB_IDX_LINKED_KRS, id, 0,
                                    pending__push_kr_objective, ctx);
        }
        okr__objective__free_unpacked(obj, NULL);
    }
    free(q->ids);
    return rc;
}

int okr_rollup(okr_store_t *s, MDB_txn *txn, uint64_t objective_id, int64_t now_ms,
               okr_updates_t *out)
{
    pending_t q = {0};
    int rc = pending__push(&q, objective_id);
    if (rc != 0) {
        free(q.ids);
        return rc;
    }
    return rollup__run(s, txn, &q, objective_id, now_ms, out);
}

int okr_rollup_cycle(okr_store_t *s, MDB_txn *txn, uint64_t cycle_id, int64_t now_ms,
                     okr_updates_t *out)
{
    pending_t q = {0};
    int rc = okr_index_each(s, txn, OKR_DB_IDX_CYCLE_OBJECTIVES, cycle_id, 0, pending__push, &q);
    if (rc != 0) {
        free(q.ids);
        return rc;
    }
    return rollup__run(s, txn, &q, 0, now_ms, out);
}
