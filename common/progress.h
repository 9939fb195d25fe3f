/* progress.h — progress, roll-up, pace, status and grades: the one
 * implementation shared by okrd and every client (DESIGN.md section 1).
 *
 * Key result progress = clamp((current - start) / (target - start), 0, 1).
 * The one formula covers "decrease is better" (target < start). Boolean key
 * results are 0 or 1 (current >= 0.5 counts as done). A key result linked
 * to a child objective takes that objective's progress instead.
 *
 * Objective progress = weight-weighted mean of its key results' progress
 * (archived key results excluded); with no key results of its own it is the
 * mean of its aligned children's progress; with neither, 0.
 *
 * Expected progress at time t = elapsed share of the cycle, clamped to
 * [0, 1]; a cycle of zero length is fully elapsed from its start on.
 *
 * Status, from progress p, expected e and the latest confidence c (0..10,
 * when known):
 *   off track  if e - p > 0.30, or c <= 3
 *   at risk    if e - p > 0.15, or c <= 6
 *   on track   otherwise
 * Being ahead of pace never hurts; a low confidence overrides a good pace
 * because the person closest to the work says it will not be reached. A
 * figure at 100% is done and on track: a confidence given before it was
 * reached no longer counts, neither for the key result nor, in the minimum
 * over key results, for its objective.
 *
 * Grades of a score s (Google's scale): red s < 0.4, yellow 0.4 <= s < 0.7,
 * green s >= 0.7. Committed objectives are expected at 1.0, aspirational
 * ones at about 0.7 (okr_score_expected).
 */
#ifndef OKR_PROGRESS_H
#define OKR_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "okr.pb-c.h"

#define OKR_STATUS_AT_RISK_GAP          0.15
#define OKR_STATUS_OFF_TRACK_GAP        0.30
#define OKR_STATUS_AT_RISK_CONFIDENCE   6
#define OKR_STATUS_OFF_TRACK_CONFIDENCE 3

typedef enum okr_grade { OKR_GRADE_RED = 0, OKR_GRADE_YELLOW, OKR_GRADE_GREEN } okr_grade_t;

/* Progress of a key result from its own figures (metric, start, target,
 * current). Ignores linked_objective_id: see okr_kr_progress_linked. A key
 * result with target == start (not measurable) has progress 0. Non-finite
 * inputs give 0. */
double okr_kr_progress(const Okr__KeyResult *kr);

/* Progress of a key result given the progress of its linked objective
 * (used when kr->linked_objective_id != 0). Clamped to [0, 1]. */
double okr_kr_progress_linked(const Okr__KeyResult *kr, double linked_objective_progress);

/* Weighted mean of n progress values; weights <= 0 or non-finite count as 1.
 * Returns 0 when n == 0. */
double okr_weighted_progress(const double *progress, const double *weights, size_t n);

/* Plain mean of n values (children roll-up); 0 when n == 0. */
double okr_mean_progress(const double *progress, size_t n);

/* Expected progress at now_ms for a cycle [start_ms, end_ms], in [0, 1]. */
double okr_expected_progress(int64_t start_ms, int64_t end_ms, int64_t now_ms);

/* 1 when progress has reached 100%: done, whatever the confidence said. */
int okr_progress_done(double progress);

/* Status as documented above. confidence < 0 means unknown. */
Okr__ProgressStatus okr_progress_status(double progress, double expected, int confidence);

/* An objective's status now, from the one stored at its last change:
 * the cycle's pace has only moved on since (okrd recomputes a cycle's
 * objectives when its dates change), so the worse of that and what the pace
 * alone says now. A stored status of 0 (none) takes the pace's. */
Okr__ProgressStatus okr_status_now(Okr__ProgressStatus stored, double progress,
                                   double expected_now);

/* "on track", "at risk", "off track" (or "unknown"). */
const char *okr_status_name(Okr__ProgressStatus status);

okr_grade_t okr_score_grade(double score);

/* "red", "yellow", "green". */
const char *okr_grade_name(okr_grade_t grade);

/* The score a good result reaches for this kind: 1.0 committed, 0.7 aspirational. */
double okr_score_expected(Okr__ObjectiveKind kind);

/* Clamps to [0, 1]; NaN gives 0. */
double okr_clamp01(double v);

#endif
