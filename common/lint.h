/* lint.h — the OKR coach: what the seed article warns about, checked the same
 * way for every client (the server runs it and returns the findings).
 *
 * Rules (LintFinding.rule):
 *   kr-count        an objective with fewer than 1 or more than 5 key results
 *                   (the seed: 3-5 per objective)
 *   not-measurable  a key result whose target equals its start, or whose
 *                   figures are not finite
 *   no-owner        an objective with neither an owner user nor an owner team,
 *                   or a key result with no owner
 *   stale           a key result of an active cycle with no check-in for
 *                   stale_days (counted from its creation when it never had one)
 *   dates           a key result due outside its cycle, or a cycle that ends
 *                   before it starts
 *   cross-cycle     an objective aligned to a parent in another cycle
 * Archived objectives and key results are skipped.
 */
#ifndef OKR_LINT_H
#define OKR_LINT_H

#include <stddef.h>
#include <stdint.h>

#include "okr.pb-c.h"

#define OKR_LINT_KR_MIN             1
#define OKR_LINT_KR_MAX             5
#define OKR_LINT_STALE_DAYS_DEFAULT 14

/* One objective and what the rules need around it. */
typedef struct okr_lint_input {
    const Okr__Objective *objective;
    const Okr__KeyResult *const *key_results; /* its key results (any order) */
    size_t n_key_results;
    const Okr__Cycle *cycle;      /* its cycle */
    const Okr__Objective *parent; /* NULL if none or unknown */
} okr_lint_input_t;

/* Findings are appended to a growing array. Each finding and its strings are
 * allocated with malloc; free everything with okr_lint_findings_free. */
typedef struct okr_lint_findings {
    Okr__LintFinding **items;
    size_t n, cap;
} okr_lint_findings_t;

/* Checks one objective and its key results at now_ms. Returns 0, or
 * OKR_E_NOMEM (findings so far are kept). */
int okr_lint_objective(const okr_lint_input_t *in, uint32_t stale_days, int64_t now_ms,
                       okr_lint_findings_t *out);

void okr_lint_findings_free(okr_lint_findings_t *f);

#endif
