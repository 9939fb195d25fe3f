/* progress.c — see progress.h for the rules; this file says why, not what. */
#include "progress.h"

#include <math.h>

/* Thresholds are compared with a small tolerance: a gap of "exactly 0.30"
 * computed as 0.5 - 0.2 or a score of "exactly 0.7" computed as a sum can
 * land one ulp on either side, and a figure that prints as 0.70 must grade
 * the same however it was reached. 1e-9 is far below any shown precision. */
#define PROGRESS__EPS 1e-9

double okr_clamp01(double v)
{
    if (isnan(v) || v <= 0.0)
        return 0.0;
    if (v >= 1.0)
        return 1.0;
    return v;
}

/* (current - start) / (target - start), without overflowing to inf/inf for
 * huge finite figures: if a difference overflows, both are halved first
 * (halving cannot overflow, and the ratio is unchanged). */
static double progress__ratio(double start, double target, double current)
{
    double num = current - start, den = target - start;
    if (!isfinite(num) || !isfinite(den)) {
        num = current * 0.5 - start * 0.5;
        den = target * 0.5 - start * 0.5;
    }
    if (den == 0.0)
        return 0.0;
    return num / den;
}

double okr_kr_progress(const Okr__KeyResult *kr)
{
    if (!kr)
        return 0.0;
    if (kr->metric == OKR__METRIC__METRIC_BOOLEAN)
        return (isfinite(kr->current) && kr->current >= 0.5) ? 1.0 : 0.0;
    if (!isfinite(kr->start) || !isfinite(kr->target) || !isfinite(kr->current))
        return 0.0;
    if (kr->target == kr->start)
        return 0.0; /* not measurable: the coach reports it */
    return okr_clamp01(progress__ratio(kr->start, kr->target, kr->current));
}

double okr_kr_progress_linked(const Okr__KeyResult *kr, double linked_objective_progress)
{
    (void)kr; /* the linked objective's progress stands for the key result's own figures */
    return okr_clamp01(linked_objective_progress);
}

static double progress__weight(const double *weights, size_t i)
{
    if (!weights || !isfinite(weights[i]) || weights[i] <= 0.0)
        return 1.0;
    return weights[i];
}

double okr_weighted_progress(const double *progress, const double *weights, size_t n)
{
    if (!progress || n == 0)
        return 0.0;
    /* Weights are scaled by the largest so that neither sum can overflow,
     * however large the weights a client sent. */
    double wmax = 0.0;
    for (size_t i = 0; i < n; i++) {
        double w = progress__weight(weights, i);
        if (w > wmax)
            wmax = w;
    }
    double sum = 0.0, wsum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double w = progress__weight(weights, i) / wmax;
        sum += w * okr_clamp01(progress[i]);
        wsum += w;
    }
    if (!(wsum > 0.0))
        return 0.0;
    return okr_clamp01(sum / wsum);
}

double okr_mean_progress(const double *progress, size_t n)
{
    return okr_weighted_progress(progress, NULL, n);
}

double okr_expected_progress(int64_t start_ms, int64_t end_ms, int64_t now_ms)
{
    if (now_ms < start_ms)
        return 0.0;
    if (end_ms <= start_ms || now_ms >= end_ms)
        return 1.0;
    /* Differences in uint64_t: exact for any start < now < end, where the
     * signed subtraction could overflow for extreme times. */
    uint64_t elapsed = (uint64_t)now_ms - (uint64_t)start_ms;
    uint64_t length = (uint64_t)end_ms - (uint64_t)start_ms;
    return okr_clamp01((double)elapsed / (double)length);
}

int okr_progress_done(double progress)
{
    return progress >= 1.0 - PROGRESS__EPS;
}

Okr__ProgressStatus okr_progress_status(double progress, double expected, int confidence)
{
    if (okr_progress_done(progress))
        return OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK;
    double gap = okr_clamp01(expected) - okr_clamp01(progress);
    int known = confidence >= 0;
    if (gap > OKR_STATUS_OFF_TRACK_GAP + PROGRESS__EPS ||
        (known && confidence <= OKR_STATUS_OFF_TRACK_CONFIDENCE))
        return OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK;
    if (gap > OKR_STATUS_AT_RISK_GAP + PROGRESS__EPS ||
        (known && confidence <= OKR_STATUS_AT_RISK_CONFIDENCE))
        return OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK;
    return OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK;
}

Okr__ProgressStatus okr_status_now(Okr__ProgressStatus stored, double progress, double expected_now)
{
    Okr__ProgressStatus pace = okr_progress_status(progress, expected_now, -1);
    return (int)stored > (int)pace && (int)stored <= OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK
               ? stored
               : pace;
}

const char *okr_status_name(Okr__ProgressStatus status)
{
    switch (status) {
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK:
        return "on track";
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK:
        return "at risk";
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK:
        return "off track";
    default:
        return "unknown";
    }
}

okr_grade_t okr_score_grade(double score)
{
    double s = okr_clamp01(score); /* NaN grades red */
    if (s < 0.4 - PROGRESS__EPS)
        return OKR_GRADE_RED;
    if (s < 0.7 - PROGRESS__EPS)
        return OKR_GRADE_YELLOW;
    return OKR_GRADE_GREEN;
}

const char *okr_grade_name(okr_grade_t grade)
{
    switch (grade) {
    case OKR_GRADE_RED:
        return "red";
    case OKR_GRADE_YELLOW:
        return "yellow";
    case OKR_GRADE_GREEN:
        return "green";
    default:
        return "unknown";
    }
}

double okr_score_expected(Okr__ObjectiveKind kind)
{
    /* An objective of unspecified kind is held to the stricter bar: a
     * commitment unless someone said it is a stretch. */
    return kind == OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL ? 0.7 : 1.0;
}
