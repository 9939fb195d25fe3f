/* import_request.h — a checked plan (import_plan.h) as one ImportRequest
 * (protocol 1.6), and whether it fits what the server takes in one import.
 *
 * The request refers to the plan's own objectives by their index in
 * plan->objs, which lists parents before children as the request needs;
 * key results by plan->krs. No network here: unit-tested and fuzzed.
 */
#ifndef OKR_IMPORT_REQUEST_H
#define OKR_IMPORT_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "import_plan.h"
#include "okr.pb-c.h"

typedef struct okr_import_request {
    Okr__ImportRequest req; /* what to send; points into the arrays below and the plan */
    /* private: the items req points at */
    Okr__ImportObjective *objs, **objp;
    Okr__ImportKeyResult *krs, **krp;
    Okr__Objective *o;
    Okr__KeyResult *k;
    Okr__CheckInRequest *ci;
} okr_import_request_t;

/* Builds q for plan p: every objective into cycle_id, every key result,
 * and a check-in (note "imported", dated as the plan says) for those that
 * have one. q points into p: keep p until okr_import_request_free(q).
 * Returns 0, or -1 out of memory (q then holds nothing). */
int okr_import_request_build(const okr_plan_t *p, uint64_t cycle_id, okr_import_request_t *q);

void okr_import_request_free(okr_import_request_t *q);

/* The largest frame q can make, as an Envelope's request with any id. */
size_t okr_import_request_frame_size(const okr_import_request_t *q);

/* Whether q fits one import of a server that takes max_items objectives
 * and key results (0: no limit said) in frames of max_frame bytes (0: not
 * said). 0 if so; else 1, with why and how to split the file in msg. */
int okr_import_request_fits(const okr_import_request_t *q, uint32_t max_items, uint32_t max_frame,
                            char *msg, size_t len);

#endif
