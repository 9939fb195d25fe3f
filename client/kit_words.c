/* kit_words.c — the words okr writes and reads for the domain's enums, and
 * numbers as people type them (see kit_words.h). */
#include "kit_words.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int okr_kit_parse_number(const char *s, double *out)
{
    if (!s || !s[0])
        return -1;
    char *end;
    double v = strtod(s, &end);
    if (*end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

const char *okr_kit_kind_name(Okr__ObjectiveKind k)
{
    return k == OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL ? "aspirational" : "committed";
}

const char *okr_kit_visibility_name(Okr__Visibility v)
{
    return v == OKR__VISIBILITY__VISIBILITY_TEAM ? "team" : "public";
}

const char *okr_kit_state_name(Okr__ObjectiveState s)
{
    switch (s) {
    case OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_DRAFT:
        return "draft";
    case OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE:
        return "active";
    case OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED:
        return "closed";
    case OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED:
        return "archived";
    default:
        return "unknown";
    }
}

const char *okr_kit_cycle_state_name(Okr__CycleState s)
{
    switch (s) {
    case OKR__CYCLE_STATE__CYCLE_STATE_PLANNING:
        return "planning";
    case OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE:
        return "active";
    case OKR__CYCLE_STATE__CYCLE_STATE_CLOSED:
        return "closed";
    default:
        return "unknown";
    }
}

const char *okr_kit_metric_name(Okr__Metric m)
{
    switch (m) {
    case OKR__METRIC__METRIC_PERCENT:
        return "percent";
    case OKR__METRIC__METRIC_CURRENCY:
        return "currency";
    case OKR__METRIC__METRIC_BOOLEAN:
        return "boolean";
    default:
        return "number";
    }
}

int okr_kit_parse_kind(const char *s, Okr__ObjectiveKind *k)
{
    if (strcmp(s, "committed") == 0)
        *k = OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_COMMITTED;
    else if (strcmp(s, "aspirational") == 0)
        *k = OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL;
    else
        return -1;
    return 0;
}

int okr_kit_parse_visibility(const char *s, Okr__Visibility *v)
{
    if (strcmp(s, "public") == 0)
        *v = OKR__VISIBILITY__VISIBILITY_PUBLIC;
    else if (strcmp(s, "team") == 0)
        *v = OKR__VISIBILITY__VISIBILITY_TEAM;
    else
        return -1;
    return 0;
}

int okr_kit_parse_metric(const char *s, Okr__Metric *m)
{
    if (strcmp(s, "number") == 0)
        *m = OKR__METRIC__METRIC_NUMBER;
    else if (strcmp(s, "percent") == 0)
        *m = OKR__METRIC__METRIC_PERCENT;
    else if (strcmp(s, "currency") == 0)
        *m = OKR__METRIC__METRIC_CURRENCY;
    else if (strcmp(s, "boolean") == 0)
        *m = OKR__METRIC__METRIC_BOOLEAN;
    else
        return -1;
    return 0;
}

/* The header of okr export --format csv (export_data.c writes the rows in
 * this order); okr import reads the same names. */
const char *const okr_kit_csv_columns[] = {
    "type",
    "id",
    "ref",
    "parent",
    "level",
    "title",
    "owner",
    "owner_kind",
    "team",
    "kind",
    "state",
    "visibility",
    "metric",
    "unit",
    "start",
    "current",
    "target",
    "weight",
    "weight_share",
    "linked_objective",
    "progress",
    "expected",
    "status",
    "confidence",
    "last_checkin_at",
    "due_at",
    "score",
    "grade",
    "score_overridden",
    "score_note",
    "retrospective",
    "description",
};

const size_t okr_kit_csv_ncolumns = sizeof okr_kit_csv_columns / sizeof okr_kit_csv_columns[0];
