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

/* The words of the enums, in the order okr __complete offers them. */
static const okr_kit_word_t kit_kinds[] = {
    {"committed", OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_COMMITTED},
    {"aspirational", OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL},
};

static const okr_kit_word_t kit_visibilities[] = {
    {"public", OKR__VISIBILITY__VISIBILITY_PUBLIC},
    {"team", OKR__VISIBILITY__VISIBILITY_TEAM},
};

static const okr_kit_word_t kit_metrics[] = {
    {"number", OKR__METRIC__METRIC_NUMBER},
    {"percent", OKR__METRIC__METRIC_PERCENT},
    {"currency", OKR__METRIC__METRIC_CURRENCY},
    {"boolean", OKR__METRIC__METRIC_BOOLEAN},
};

#define KIT_NWORDS(t) (sizeof(t) / sizeof((t)[0]))

int okr_kit_word_value(const okr_kit_word_t *words, size_t n, const char *s, int *value)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, words[i].word) == 0) {
            *value = words[i].value;
            return 0;
        }
    }
    return -1;
}

const char *okr_kit_word_at(const okr_kit_word_t *words, size_t n, size_t i)
{
    return i < n ? words[i].word : NULL;
}

/* The word of value in words; the first word (the default) for one that is
 * not there, such as UNSPECIFIED. */
static const char *kit__word_of(const okr_kit_word_t *words, size_t n, int value)
{
    for (size_t i = 0; i < n; i++)
        if (words[i].value == value)
            return words[i].word;
    return words[0].word;
}

const char *okr_kit_kind_name(Okr__ObjectiveKind k)
{
    return kit__word_of(kit_kinds, KIT_NWORDS(kit_kinds), (int)k);
}

const char *okr_kit_visibility_name(Okr__Visibility v)
{
    return kit__word_of(kit_visibilities, KIT_NWORDS(kit_visibilities), (int)v);
}

const char *okr_kit_metric_name(Okr__Metric m)
{
    return kit__word_of(kit_metrics, KIT_NWORDS(kit_metrics), (int)m);
}

int okr_kit_parse_kind(const char *s, Okr__ObjectiveKind *k)
{
    int v;
    if (okr_kit_word_value(kit_kinds, KIT_NWORDS(kit_kinds), s, &v) != 0)
        return -1;
    *k = (Okr__ObjectiveKind)v;
    return 0;
}

int okr_kit_parse_visibility(const char *s, Okr__Visibility *v)
{
    int got;
    if (okr_kit_word_value(kit_visibilities, KIT_NWORDS(kit_visibilities), s, &got) != 0)
        return -1;
    *v = (Okr__Visibility)got;
    return 0;
}

int okr_kit_parse_metric(const char *s, Okr__Metric *m)
{
    int v;
    if (okr_kit_word_value(kit_metrics, KIT_NWORDS(kit_metrics), s, &v) != 0)
        return -1;
    *m = (Okr__Metric)v;
    return 0;
}

const char *okr_kit_kind_word(size_t i)
{
    return okr_kit_word_at(kit_kinds, KIT_NWORDS(kit_kinds), i);
}

const char *okr_kit_visibility_word(size_t i)
{
    return okr_kit_word_at(kit_visibilities, KIT_NWORDS(kit_visibilities), i);
}

const char *okr_kit_metric_word(size_t i)
{
    return okr_kit_word_at(kit_metrics, KIT_NWORDS(kit_metrics), i);
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
