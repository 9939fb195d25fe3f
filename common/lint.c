/* lint.c — the OKR coach; see lint.h for the rules.
 *
 * Decisions beyond the header, for the next reader:
 *   - A key result linked to a child objective takes that objective's
 *     progress, so its own figures and check-ins do not matter: it is never
 *     "not-measurable" or "stale" (the child's own key results are linted).
 *   - A boolean key result is done or not whatever its start and target, so
 *     target == start is not a finding for it; non-finite figures still are.
 *   - "stale" skips closed objectives (nobody checks in on them any more) and
 *     key results with neither a check-in nor a creation time (age unknown).
 *     A key result exactly stale_days old is stale; stale_days 0 means
 *     OKR_LINT_STALE_DAYS_DEFAULT.
 *   - A cycle that ends before it starts is reported once per objective, on
 *     the objective; its key results' due dates are then not checked (every
 *     date would be "outside").
 */
#include "lint.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "okr_error.h"

#define LINT__DAY_MS  INT64_C(86400000)
#define LINT__MSG_MAX 512

/* Frees a finding built by lint__finding_new; tolerates unset strings. */
static void lint__finding_free(Okr__LintFinding *f)
{
    if (!f)
        return;
    if (f->rule != protobuf_c_empty_string)
        free(f->rule);
    if (f->title != protobuf_c_empty_string)
        free(f->title);
    if (f->message != protobuf_c_empty_string)
        free(f->message);
    free(f);
}

static int lint__push(okr_lint_findings_t *out, Okr__LintFinding *f)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 8;
        Okr__LintFinding **items = realloc(out->items, cap * sizeof *items);
        if (!items)
            return OKR_E_NOMEM;
        out->items = items;
        out->cap = cap;
    }
    out->items[out->n++] = f;
    return 0;
}

#if defined(__GNUC__)
__attribute__((format(printf, 6, 7)))
#endif
static int
lint__add(okr_lint_findings_t *out, const char *rule, Okr__EntityKind kind, uint64_t id,
          const char *title, const char *fmt, ...)
{
    char msg[LINT__MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap); /* a truncated message is still useful */
    va_end(ap);

    Okr__LintFinding *f = malloc(sizeof *f);
    if (!f)
        return OKR_E_NOMEM;
    okr__lint_finding__init(f);
    f->kind = kind;
    f->entity_id = id;
    char *r = strdup(rule), *t = strdup(title ? title : ""), *m = strdup(msg);
    if (r)
        f->rule = r;
    if (t)
        f->title = t;
    if (m)
        f->message = m;
    if (!r || !t || !m || lint__push(out, f) != 0) {
        lint__finding_free(f);
        return OKR_E_NOMEM;
    }
    return 0;
}

/* "2026-03-31" (UTC) for a time in ms. */
static void lint__date(int64_t ms, char *buf, size_t len)
{
    okr_wall_format(ms, "%Y-%m-%d", buf, len);
}

/* The cycle's name for people, or its id when it has none. */
static void lint__cycle_label(const Okr__Cycle *c, char *buf, size_t len)
{
    if (c->name && c->name[0])
        snprintf(buf, len, "%s", c->name);
    else
        snprintf(buf, len, "#%" PRIu64, c->id);
}

static int lint__cycle_valid(const Okr__Cycle *c)
{
    return c && c->end_at >= c->start_at;
}

/* ---------------------------------------------------------------- objective rules */

static int lint__objective_owner(const Okr__Objective *o, okr_lint_findings_t *out)
{
    if (o->owner_user_id != 0 || o->owner_team_id != 0)
        return 0;
    return lint__add(out, "no-owner", OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, o->id, o->title,
                     "O%" PRIu64 " has no owner: name the user or team accountable for it", o->id);
}

static int lint__kr_count(const Okr__Objective *o, size_t live, okr_lint_findings_t *out)
{
    if (live < OKR_LINT_KR_MIN)
        return lint__add(out, "kr-count", OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, o->id, o->title,
                         "O%" PRIu64 " has no key results; OKR practice is 3 to 5: add measurable "
                         "results that show when the objective is reached",
                         o->id);
    if (live > OKR_LINT_KR_MAX)
        return lint__add(out, "kr-count", OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, o->id, o->title,
                         "O%" PRIu64 " has %zu key results; OKR practice is 3 to 5: merge or drop "
                         "the least important",
                         o->id, live);
    return 0;
}

static int lint__cycle_dates(const Okr__Objective *o, const Okr__Cycle *c, okr_lint_findings_t *out)
{
    if (!c || lint__cycle_valid(c))
        return 0;
    char name[96], start[32], end[32];
    lint__cycle_label(c, name, sizeof name);
    lint__date(c->start_at, start, sizeof start);
    lint__date(c->end_at, end, sizeof end);
    return lint__add(out, "dates", OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, o->id, o->title,
                     "O%" PRIu64 "'s cycle %s ends (%s) before it starts (%s): fix the cycle's "
                     "dates",
                     o->id, name, end, start);
}

static int lint__cross_cycle(const Okr__Objective *o, const Okr__Objective *parent,
                             okr_lint_findings_t *out)
{
    if (!parent || parent->cycle_id == o->cycle_id)
        return 0;
    return lint__add(out, "cross-cycle", OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, o->id, o->title,
                     "O%" PRIu64 " is aligned to O%" PRIu64 ", which belongs to another cycle: "
                     "align it to an objective of the same cycle or remove the alignment",
                     o->id, parent->id);
}

/* ---------------------------------------------------------------- key result rules */

static int lint__measurable(const Okr__KeyResult *kr, okr_lint_findings_t *out)
{
    if (kr->linked_objective_id != 0)
        return 0;
    const char *bad = !isfinite(kr->start)     ? "start"
                      : !isfinite(kr->target)  ? "target"
                      : !isfinite(kr->current) ? "current value"
                                               : NULL;
    if (bad)
        return lint__add(out, "not-measurable", OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, kr->id,
                         kr->title,
                         "K%" PRIu64 " has a %s that is not a finite number: set finite start, "
                         "target and current values",
                         kr->id, bad);
    if (kr->metric != OKR__METRIC__METRIC_BOOLEAN && kr->target == kr->start)
        return lint__add(out, "not-measurable", OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, kr->id,
                         kr->title,
                         "K%" PRIu64 " has its target equal to its start (%g): set a target "
                         "that differs from the start so progress can be measured",
                         kr->id, kr->start);
    return 0;
}

static int lint__kr_owner(const Okr__KeyResult *kr, okr_lint_findings_t *out)
{
    if (kr->owner_user_id != 0)
        return 0;
    return lint__add(out, "no-owner", OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, kr->id, kr->title,
                     "K%" PRIu64 " has no owner: name the person who checks it in", kr->id);
}

static int lint__stale(const Okr__KeyResult *kr, const okr_lint_input_t *in, uint32_t stale_days,
                       int64_t now_ms, okr_lint_findings_t *out)
{
    if (!in->cycle || in->cycle->state != OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE)
        return 0;
    if (in->objective->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED ||
        kr->linked_objective_id != 0)
        return 0;
    int never = kr->last_checkin_at == 0;
    int64_t since = never ? kr->created_at : kr->last_checkin_at;
    if (since == 0 || since > now_ms)
        return 0;
    /* uint64_t: exact for since <= now_ms, where int64_t could overflow */
    uint64_t age_ms = (uint64_t)now_ms - (uint64_t)since;
    uint64_t limit_ms = (uint64_t)stale_days * (uint64_t)LINT__DAY_MS;
    if (age_ms < limit_ms)
        return 0;
    uint64_t days = age_ms / (uint64_t)LINT__DAY_MS;
    const char *ds = days == 1 ? "" : "s", *ls = stale_days == 1 ? "day" : "days";
    if (never)
        return lint__add(out, "stale", OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, kr->id, kr->title,
                         "K%" PRIu64 " has had no check-in since it was created %" PRIu64
                         " day%s ago (the coach asks for one every %" PRIu32
                         " %s): check in its current value and confidence",
                         kr->id, days, ds, stale_days, ls);
    return lint__add(out, "stale", OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, kr->id, kr->title,
                     "K%" PRIu64 " has had no check-in for %" PRIu64
                     " day%s (the coach asks for one every %" PRIu32
                     " %s): check in its current value and confidence",
                     kr->id, days, ds, stale_days, ls);
}

static int lint__due(const Okr__KeyResult *kr, const Okr__Cycle *c, okr_lint_findings_t *out)
{
    if (kr->due_at == 0 || !lint__cycle_valid(c))
        return 0;
    if (kr->due_at >= c->start_at && kr->due_at <= c->end_at)
        return 0;
    char name[96], due[32], start[32], end[32];
    lint__cycle_label(c, name, sizeof name);
    lint__date(kr->due_at, due, sizeof due);
    lint__date(c->start_at, start, sizeof start);
    lint__date(c->end_at, end, sizeof end);
    return lint__add(out, "dates", OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, kr->id, kr->title,
                     "K%" PRIu64 " is due %s, outside its cycle %s (%s to %s): move the due "
                     "date into the cycle",
                     kr->id, due, name, start, end);
}

static int lint__key_result(const Okr__KeyResult *kr, const okr_lint_input_t *in,
                            uint32_t stale_days, int64_t now_ms, okr_lint_findings_t *out)
{
    int rc;
    if ((rc = lint__measurable(kr, out)) != 0 || (rc = lint__kr_owner(kr, out)) != 0 ||
        (rc = lint__stale(kr, in, stale_days, now_ms, out)) != 0 ||
        (rc = lint__due(kr, in->cycle, out)) != 0)
        return rc;
    return 0;
}

/* ---------------------------------------------------------------- public */

int okr_lint_objective(const okr_lint_input_t *in, uint32_t stale_days, int64_t now_ms,
                       okr_lint_findings_t *out)
{
    if (!in || !in->objective || !out)
        return 0;
    const Okr__Objective *o = in->objective;
    if (o->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED)
        return 0;
    if (stale_days == 0)
        stale_days = OKR_LINT_STALE_DAYS_DEFAULT;
    size_t n = in->key_results ? in->n_key_results : 0, live = 0;
    for (size_t i = 0; i < n; i++)
        if (in->key_results[i] && !in->key_results[i]->archived)
            live++;

    int rc;
    if ((rc = lint__objective_owner(o, out)) != 0 || (rc = lint__kr_count(o, live, out)) != 0 ||
        (rc = lint__cycle_dates(o, in->cycle, out)) != 0 ||
        (rc = lint__cross_cycle(o, in->parent, out)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const Okr__KeyResult *kr = in->key_results[i];
        if (!kr || kr->archived)
            continue;
        if ((rc = lint__key_result(kr, in, stale_days, now_ms, out)) != 0)
            return rc;
    }
    return 0;
}

void okr_lint_findings_free(okr_lint_findings_t *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        lint__finding_free(f->items[i]);
    free(f->items);
    f->items = NULL;
    f->n = f->cap = 0;
}
