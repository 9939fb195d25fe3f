/* import_request.c — a checked plan as one ImportRequest (see import_request.h). */
#include "import_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An Envelope around a Request around the import: the envelope's tag and
 * length (1 + 5), the request's id (1 + 10) and the import's tag and length
 * (2 + 5), at most. */
#define IMPORT_FRAME_OVERHEAD 24

void okr_import_request_free(okr_import_request_t *q)
{
    free(q->objs);
    free(q->objp);
    free(q->krs);
    free(q->krp);
    free(q->o);
    free(q->k);
    free(q->ci);
    memset(q, 0, sizeof *q);
}

static void request__objective(const okr_plan_t *p, uint64_t cycle_id, size_t i,
                               okr_import_request_t *q)
{
    const okr_plan_obj_t *po = &p->objs[i];
    Okr__ImportObjective *io = &q->objs[i];
    okr__import_objective__init(io);
    q->o[i] = po->o;
    q->o[i].cycle_id = cycle_id;
    q->o[i].parent_id = po->parent == OKR_PLAN_NONE ? po->parent_id : 0;
    io->objective = &q->o[i];
    io->has_parent_index = po->parent != OKR_PLAN_NONE;
    io->parent_index = io->has_parent_index ? (uint32_t)po->parent : 0;
    q->objp[i] = io;
}

static void request__key_result(const okr_plan_t *p, size_t j, okr_import_request_t *q)
{
    const okr_plan_kr_t *pk = &p->krs[j];
    Okr__ImportKeyResult *ik = &q->krs[j];
    okr__import_key_result__init(ik);
    q->k[j] = pk->k;
    q->k[j].objective_id = 0;
    q->k[j].linked_objective_id = 0;
    ik->key_result = &q->k[j];
    ik->objective_index = (uint32_t)pk->objective;
    ik->has_linked_index = pk->linked != OKR_PLAN_NONE;
    ik->linked_index = ik->has_linked_index ? (uint32_t)pk->linked : 0;
    if (pk->checkin) {
        Okr__CheckInRequest *ci = &q->ci[j];
        okr__check_in_request__init(ci);
        ci->value = pk->current;
        ci->has_confidence = pk->has_confidence;
        ci->confidence = pk->confidence;
        ci->note = (char *)"imported";
        ci->at = pk->checked_at;
        ik->checkin = ci;
    }
    q->krp[j] = ik;
}

int okr_import_request_build(const okr_plan_t *p, uint64_t cycle_id, okr_import_request_t *q)
{
    memset(q, 0, sizeof *q);
    size_t no = p->nobjs + 1, nk = p->nkrs + 1; /* + 1: never calloc(0) */
    q->objs = calloc(no, sizeof *q->objs);
    q->objp = calloc(no, sizeof *q->objp);
    q->o = calloc(no, sizeof *q->o);
    q->krs = calloc(nk, sizeof *q->krs);
    q->krp = calloc(nk, sizeof *q->krp);
    q->k = calloc(nk, sizeof *q->k);
    q->ci = calloc(nk, sizeof *q->ci);
    if (!q->objs || !q->objp || !q->o || !q->krs || !q->krp || !q->k || !q->ci) {
        okr_import_request_free(q);
        return -1;
    }
    okr__import_request__init(&q->req);
    q->req.cycle_id = cycle_id;
    for (size_t i = 0; i < p->nobjs; i++)
        request__objective(p, cycle_id, i, q);
    for (size_t j = 0; j < p->nkrs; j++)
        request__key_result(p, j, q);
    q->req.objectives = q->objp;
    q->req.n_objectives = p->nobjs;
    q->req.key_results = q->krp;
    q->req.n_key_results = p->nkrs;
    return 0;
}

size_t okr_import_request_frame_size(const okr_import_request_t *q)
{
    return okr__import_request__get_packed_size(&q->req) + IMPORT_FRAME_OVERHEAD;
}

int okr_import_request_fits(const okr_import_request_t *q, uint32_t max_items, uint32_t max_frame,
                            char *msg, size_t len)
{
    size_t items = q->req.n_objectives + q->req.n_key_results;
    size_t size = okr_import_request_frame_size(q);
    size_t parts;
    if (max_items && items > max_items) {
        parts = (items + max_items - 1) / max_items;
        snprintf(msg, len,
                 "it has %zu objectives and key results, more than the %u the server takes in "
                 "one import (its max_import_items)",
                 items, (unsigned)max_items);
    } else if (max_frame && size > max_frame) {
        parts = (size + max_frame - 1) / max_frame;
        snprintf(msg, len,
                 "it makes a request of %zu bytes, more than the %u the server takes in one "
                 "(its max_frame)",
                 size, (unsigned)max_frame);
    } else {
        return 0;
    }
    size_t used = strlen(msg);
    if (used < len)
        snprintf(msg + used, len - used,
                 ": split it into %zu files or more, each objective with its key results (a "
                 "parent in an earlier file is named by its new id, like O12), and import them "
                 "one by one; each import is all or nothing",
                 parts);
    return 1;
}
