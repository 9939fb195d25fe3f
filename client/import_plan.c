/* import_plan.c — rows of a CSV file checked and turned into what okr import
 * creates (see import_plan.h).
 *
 * Three passes over the rows: the first reads every row's own fields and
 * collects the refs; the second resolves what rows point at (parents,
 * linked objectives), which needs every ref; the third follows the alignment
 * to find loops and each objective's depth, and orders the objectives so
 * that a parent is created before its children. Problems are collected in
 * any order and sorted by line at the end. */
#include "import_plan.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kit_words.h"
#include "refs.h"
#include "render.h"
#include "suggest.h"

/* Problems kept (sorted by line at the end, the first OKR_PLAN_MAX_PROBLEMS
 * shown); beyond this they are only counted. */
#define PLAN_KEEP 1000

/* ---------------------------------------------------------------- columns */

enum {
    COL_TYPE,
    COL_REF,
    COL_PARENT,
    COL_TITLE,
    COL_OWNER,
    COL_OWNER_KIND,
    COL_TEAM,
    COL_KIND,
    COL_STATE,
    COL_VISIBILITY,
    COL_DESCRIPTION,
    COL_METRIC,
    COL_UNIT,
    COL_START,
    COL_TARGET,
    COL_WEIGHT,
    COL_CURRENT,
    COL_CONFIDENCE,
    COL_LINKED,
    COL_DUE_AT,
    COL_LAST_CHECKIN_AT,
    NCOLS
};

/* The columns read (each as okr export writes it, okr_kit_csv_columns); the
 * other columns export writes are what it computes, read past without a
 * word. */
static const char *const col_names[NCOLS] = {
    [COL_TYPE] = "type",
    [COL_REF] = "ref",
    [COL_PARENT] = "parent",
    [COL_TITLE] = "title",
    [COL_OWNER] = "owner",
    [COL_OWNER_KIND] = "owner_kind",
    [COL_TEAM] = "team",
    [COL_KIND] = "kind",
    [COL_STATE] = "state",
    [COL_VISIBILITY] = "visibility",
    [COL_DESCRIPTION] = "description",
    [COL_METRIC] = "metric",
    [COL_UNIT] = "unit",
    [COL_START] = "start",
    [COL_TARGET] = "target",
    [COL_WEIGHT] = "weight",
    [COL_CURRENT] = "current",
    [COL_CONFIDENCE] = "confidence",
    [COL_LINKED] = "linked_objective",
    [COL_DUE_AT] = "due_at",
    [COL_LAST_CHECKIN_AT] = "last_checkin_at",
};

/* ---------------------------------------------------------------- state */

typedef enum row_type { ROW_SKIP, ROW_OBJ, ROW_KR, ROW_BAD } row_type_t;

typedef struct plan_ref {
    const char *ref; /* trimmed */
    size_t row;
} plan_ref_t;

typedef struct plan_ctx {
    const okr_csv_t *t;
    const okr_plan_world_t *w;
    okr_plan_t *p;
    long col[NCOLS];
    row_type_t *types; /* per row */
    size_t *index;     /* per row: its index in p->objs or p->krs */
    size_t *above;     /* per key result row: the objective row above it, or NONE */
    plan_ref_t *refs;  /* sorted by ref, without case */
    size_t nrefs;
    const char **user_names, **team_names, **ref_names;
    size_t kept; /* problems kept so far */
    int nomem;
} plan_ctx_t;

/* ---------------------------------------------------------------- helpers */

static void plan__problem(plan_ctx_t *c, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void plan__problem(plan_ctx_t *c, size_t line, const char *fmt, ...)
{
    okr_plan_t *p = c->p;
    p->nproblems++;
    if (c->kept >= PLAN_KEEP)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *m = strdup(buf);
    if (!m) {
        c->nomem = 1;
        return;
    }
    p->problems[c->kept].line = line;
    p->problems[c->kept].message = m;
    p->problems[c->kept].order = c->kept;
    c->kept++;
}

/* A trimmed copy of s (spaces and tabs), owned by the plan: "" when out of
 * memory (and nomem set). */
static const char *plan__trim(plan_ctx_t *c, const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (s[n] == '\0')
        return s; /* nothing at the end to cut: s itself will do */
    const char *copy = okr_plan_strings_add(&c->p->owned, s, n);
    if (!copy) {
        c->nomem = 1;
        return "";
    }
    return copy;
}

/* Row r's field in column k, trimmed. */
static const char *plan__word(plan_ctx_t *c, const okr_csv_row_t *r, int k)
{
    return plan__trim(c, okr_csv_field(r, c->col[k]));
}

static const okr_plan_name_t *plan__find_name(const okr_plan_name_t *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].name && strcasecmp(v[i].name, s) == 0)
            return &v[i];
    return NULL;
}

/* "; did you mean "bob"?" for a name like s among names, or "". */
static const char *plan__hint(const char *s, const char *const *names, size_t n, char *buf,
                              size_t len)
{
    const char *m = n ? okr_suggest(s, names, n) : NULL;
    if (m)
        snprintf(buf, len, "; did you mean \"%s\"?", m);
    else
        buf[0] = '\0';
    return buf;
}

static int plan__ref_cmp(const void *a, const void *b)
{
    const plan_ref_t *x = a, *y = b;
    int d = strcasecmp(x->ref, y->ref);
    return d ? d : (x->row > y->row) - (x->row < y->row);
}

/* The row whose ref is s, or NONE. */
static size_t plan__ref_row(const plan_ctx_t *c, const char *s)
{
    size_t lo = 0, hi = c->nrefs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcasecmp(c->refs[mid].ref, s);
        if (d == 0) {
            /* the first row with it: later ones were reported as duplicates */
            while (mid > 0 && strcasecmp(c->refs[mid - 1].ref, s) == 0)
                mid--;
            return c->refs[mid].row;
        }
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return OKR_PLAN_NONE;
}

static int plan__blank_row(const okr_csv_t *t, const okr_csv_row_t *r)
{
    for (size_t i = 0; i < t->ncols; i++)
        for (const char *s = r->fields[i]; *s; s++)
            if (*s != ' ' && *s != '\t')
                return 0;
    return 1;
}

/* A number column: blank gives def; else a finite number. 0, or -1 after
 * reporting it. */
static int plan__number(plan_ctx_t *c, size_t line, const char *name, const char *s, double def,
                        double *out)
{
    if (!s[0]) {
        *out = def;
        return 0;
    }
    if (okr_kit_parse_number(s, out) == 0)
        return 0;
    double v;
    char *end;
    v = strtod(s, &end);
    if (*end == '\0' && !isfinite(v))
        plan__problem(c, line, "%s \"%s\" is not a finite number", name, s);
    else
        plan__problem(c, line,
                      "%s \"%s\" is not a number (write it like 1200 or 0.5, without thousands "
                      "separators or units)",
                      name, s);
    return -1;
}

/* A moment column (due_at, last_checkin_at): blank, a date (the end of that
 * day, local time), or the moment okr export writes (2026-03-31T09:30:00Z). */
static int plan__moment(plan_ctx_t *c, size_t line, const char *name, const char *s, int64_t *ms)
{
    *ms = 0;
    if (!s[0])
        return 0;
    int y, mo, d, h, mi, sec;
    char z, end;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%c", &y, &mo, &d, &h, &mi, &sec, &z, &end) == 7 &&
        z == 'Z' && y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 &&
        h < 24 && mi >= 0 && mi < 60 && sec >= 0 && sec < 61) {
        struct tm tm = {.tm_year = y - 1900,
                        .tm_mon = mo - 1,
                        .tm_mday = d,
                        .tm_hour = h,
                        .tm_min = mi,
                        .tm_sec = sec};
        time_t t = timegm(&tm);
        if (t != (time_t)-1 && tm.tm_mday == d) { /* not 2026-02-31 */
            *ms = (int64_t)t * 1000;
            return 0;
        }
    } else if (strlen(s) == 10 && okr_render_parse_date(s, 1, ms) == 0) {
        return 0;
    }
    plan__problem(c, line, "%s \"%s\" is not a date (write 2026-03-31)", name, s);
    return -1;
}

static int plan__text(plan_ctx_t *c, size_t line, const char *name, const char *s, size_t max)
{
    if (strlen(s) <= max)
        return 0;
    plan__problem(c, line, "the %s is %zu bytes long; at most %zu are kept", name, strlen(s), max);
    return -1;
}

static int plan__title(plan_ctx_t *c, size_t line, const char *s)
{
    if (!plan__trim(c, s)[0]) {
        plan__problem(c, line, "the title is empty: every objective and key result needs one");
        return -1;
    }
    return plan__text(c, line, "title", s, OKR_PLAN_TITLE_MAX);
}

/* A user named in the owner column: its id into *id (0 for blank or "-",
 * which leave the choice to the server). 0 or -1 (reported). */
static int plan__user(plan_ctx_t *c, size_t line, const char *s, uint64_t *id)
{
    *id = 0;
    if (!s[0] || strcmp(s, "-") == 0)
        return 0;
    const okr_plan_name_t *u = plan__find_name(c->w->users, c->w->nusers, s);
    if (u && !u->inactive) {
        *id = u->id;
        return 0;
    }
    char hint[160];
    if (u)
        plan__problem(c, line, "owner \"%s\" is deactivated: give it to someone else", s);
    else if (plan__find_name(c->w->teams, c->w->nteams, s))
        plan__problem(c, line, "owner \"%s\" is a team, not a user: set owner_kind to team", s);
    else
        plan__problem(c, line, "owner \"%s\" is not a user%s", s,
                      plan__hint(s, c->user_names, c->w->nusers, hint, sizeof hint));
    return -1;
}

/* A team by name into *id. what names the column in the message. */
static int plan__team(plan_ctx_t *c, size_t line, const char *what, const char *s, uint64_t *id)
{
    const okr_plan_name_t *t = plan__find_name(c->w->teams, c->w->nteams, s);
    if (t && !t->inactive) {
        *id = t->id;
        return 0;
    }
    char hint[160];
    if (t)
        plan__problem(c, line, "%s \"%s\" is archived: choose a live team", what, s);
    else
        plan__problem(c, line, "%s \"%s\" is not a team%s", what, s,
                      plan__hint(s, c->team_names, c->w->nteams, hint, sizeof hint));
    return -1;
}

/* A word column: one of words[0..n) or blank (*out = -1); else reported. */
static int plan__choice(plan_ctx_t *c, size_t line, const char *name, const char *s,
                        const char *const *words, size_t n, int *out)
{
    *out = -1;
    if (!s[0])
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, words[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    char list[256] = "", hint[160];
    for (size_t i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i == 0       ? ""
                 : i + 1 == n ? " or "
                              : ", ",
                 words[i]);
    plan__problem(c, line, "%s \"%s\" is not %s%s", name, s, list,
                  plan__hint(s, words, n, hint, sizeof hint));
    return -1;
}

/* ---------------------------------------------------------------- pass 1: each row */

static void plan__objective_row(plan_ctx_t *c, const okr_csv_row_t *r, okr_plan_obj_t *po)
{
    static const char *const owner_kinds[] = {"user", "team"};
    static const char *const kinds[] = {"committed", "aspirational"};
    static const char *const states[] = {"draft", "active", "closed"};
    static const char *const visibilities[] = {"public", "team"};
    size_t line = r->line;
    Okr__Objective *o = &po->o;
    o->cycle_id = c->w->cycle_id;
    o->title = (char *)okr_csv_field(r, c->col[COL_TITLE]);
    o->description = (char *)okr_csv_field(r, c->col[COL_DESCRIPTION]);
    plan__title(c, line, o->title);
    plan__text(c, line, "description", o->description, OKR_PLAN_TEXT_MAX);

    int owner_kind, kind, state, vis;
    const char *owner = plan__word(c, r, COL_OWNER), *team = plan__word(c, r, COL_TEAM);
    plan__choice(c, line, "owner_kind", plan__word(c, r, COL_OWNER_KIND), owner_kinds, 2,
                 &owner_kind);
    if (owner_kind == 1) {
        /* A team's objective belongs to that team. */
        const char *name = owner[0] ? owner : team;
        if (!name[0])
            plan__problem(c, line, "owner_kind is team but no team is named: fill in owner");
        else if (plan__team(c, line, "owner", name, &o->owner_team_id) == 0 && team[0] &&
                 strcasecmp(team, name) != 0)
            plan__problem(c, line,
                          "a team's objective belongs to that team: team is \"%s\" or blank, "
                          "not \"%s\"",
                          name, team);
        o->team_id = o->owner_team_id;
    } else {
        plan__user(c, line, owner, &o->owner_user_id);
        if (team[0])
            plan__team(c, line, "team", team, &o->team_id);
    }
    if (plan__choice(c, line, "kind", plan__word(c, r, COL_KIND), kinds, 2, &kind) == 0)
        o->kind = kind == 1 ? OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL
                            : OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_COMMITTED;
    /* closed (an export of a closed cycle) starts again as active */
    if (plan__choice(c, line, "state", plan__word(c, r, COL_STATE), states, 3, &state) == 0)
        o->state = state == 0 ? OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_DRAFT
                              : OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE;
    if (plan__choice(c, line, "visibility", plan__word(c, r, COL_VISIBILITY), visibilities, 2,
                     &vis) == 0) {
        o->visibility =
            vis == 1 ? OKR__VISIBILITY__VISIBILITY_TEAM : OKR__VISIBILITY__VISIBILITY_PUBLIC;
        if (vis == 1 && !team[0] && owner_kind != 1)
            plan__problem(c, line,
                          "visibility team needs a team: fill in team (the team that may see "
                          "it)");
    }
}

static void plan__kr_row(plan_ctx_t *c, const okr_csv_row_t *r, okr_plan_kr_t *pk)
{
    static const char *const metrics[] = {"number", "percent", "currency", "boolean"};
    static const Okr__Metric metric_of[] = {OKR__METRIC__METRIC_NUMBER, OKR__METRIC__METRIC_PERCENT,
                                            OKR__METRIC__METRIC_CURRENCY,
                                            OKR__METRIC__METRIC_BOOLEAN};
    size_t line = r->line;
    Okr__KeyResult *k = &pk->k;
    k->title = (char *)okr_csv_field(r, c->col[COL_TITLE]);
    plan__title(c, line, k->title);
    k->unit = (char *)plan__word(c, r, COL_UNIT);
    plan__text(c, line, "unit", k->unit, OKR_PLAN_UNIT_MAX);
    const char *kind = plan__word(c, r, COL_OWNER_KIND);
    if (kind[0] && strcmp(kind, "user") != 0)
        plan__problem(c, line, "owner_kind \"%s\": a key result is owned by a person (user)", kind);
    else
        plan__user(c, line, plan__word(c, r, COL_OWNER), &k->owner_user_id);
    int metric;
    plan__choice(c, line, "metric", plan__word(c, r, COL_METRIC), metrics, 4, &metric);
    k->metric = metric < 0 ? OKR__METRIC__METRIC_NUMBER : metric_of[metric];

    const char *start = plan__word(c, r, COL_START), *target = plan__word(c, r, COL_TARGET);
    int ok = plan__number(c, line, "start", start, 0, &k->start) == 0;
    ok &= plan__number(c, line, "target", target, 0, &k->target) == 0;
    if (k->metric == OKR__METRIC__METRIC_BOOLEAN) {
        if (ok && (k->start != 0 || (target[0] && k->target != 1)))
            plan__problem(c, line,
                          "a boolean key result goes from 0 (not done) to 1 (done): leave start "
                          "and target blank");
        k->start = 0;
        k->target = 1;
    } else if (!target[0]) {
        plan__problem(c, line, "no target: a key result needs the figure it aims for");
    } else if (ok && k->start == k->target) {
        plan__problem(c, line,
                      "start and target are both %.15g: a key result must be measurable (a "
                      "target other than its start)",
                      k->start);
    }
    if (plan__number(c, line, "weight", plan__word(c, r, COL_WEIGHT), 1, &k->weight) == 0 &&
        k->weight <= 0)
        plan__problem(c, line, "weight %.15g: a weight is above 0 (blank means 1)", k->weight);
    if (plan__number(c, line, "current", plan__word(c, r, COL_CURRENT), k->start, &pk->current) ==
            0 &&
        k->metric == OKR__METRIC__METRIC_BOOLEAN && pk->current != 0 && pk->current != 1)
        plan__problem(c, line, "current %.15g: a boolean key result is 0 (not done) or 1 (done)",
                      pk->current);
    const char *conf = plan__word(c, r, COL_CONFIDENCE);
    double cv;
    if (conf[0] && plan__number(c, line, "confidence", conf, 0, &cv) == 0) {
        if (cv < 0 || cv > 10 || cv != floor(cv))
            plan__problem(c, line, "confidence %s is not a whole number from 0 to 10", conf);
        pk->has_confidence = 1;
        pk->confidence = cv >= 0 && cv <= 10 ? (uint32_t)cv : 0;
    }
    plan__moment(c, line, "due_at", plan__word(c, r, COL_DUE_AT), &k->due_at);
    /* When current was true: its check-in is dated then if that is within
     * the cycle so far (a file from an earlier cycle is checked in now). */
    int64_t at;
    if (plan__moment(c, line, "last_checkin_at", plan__word(c, r, COL_LAST_CHECKIN_AT), &at) == 0 &&
        at >= c->w->cycle_start && at <= c->w->now_ms)
        pk->checked_at = at;
}

static row_type_t plan__type(plan_ctx_t *c, const okr_csv_row_t *r)
{
    static const char *const types[] = {"objective", "key_result"};
    if (plan__blank_row(c->t, r))
        return ROW_SKIP;
    const char *s = plan__word(c, r, COL_TYPE);
    int which;
    if (!s[0]) {
        plan__problem(c, r->line, "no type: write objective or key_result");
        return ROW_BAD;
    }
    if (plan__choice(c, r->line, "type", s, types, 2, &which) != 0)
        return ROW_BAD;
    return which == 0 ? ROW_OBJ : ROW_KR;
}

/* ---------------------------------------------------------------- the header */

/* 1 if okr export writes a column of this name. */
static int plan__is_exported(const char *name)
{
    for (size_t i = 0; i < okr_kit_csv_ncolumns; i++)
        if (strcasecmp(name, okr_kit_csv_columns[i]) == 0)
            return 1;
    return 0;
}

static int plan__header(plan_ctx_t *c)
{
    const okr_csv_t *t = c->t;
    for (int k = 0; k < NCOLS; k++)
        c->col[k] = okr_csv_column(t, col_names[k]);
    char unknown[512] = "";
    size_t nunknown = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        const char *name = plan__trim(c, t->header[i]);
        int known = plan__is_exported(name);
        for (int k = 0; k < NCOLS; k++)
            if (strcasecmp(name, col_names[k]) == 0) {
                known = 1;
                if (c->col[k] != (long)i)
                    plan__problem(c, 1, "the header names the column \"%s\" twice", name);
            }
        if (!known && name[0]) {
            if (nunknown++ < 8)
                snprintf(unknown + strlen(unknown), sizeof unknown - strlen(unknown), "%s\"%s\"",
                         nunknown > 1 ? ", " : "", name);
            else if (nunknown == 9)
                snprintf(unknown + strlen(unknown), sizeof unknown - strlen(unknown), ", ...");
        }
    }
    if (nunknown) {
        char buf[640];
        snprintf(buf, sizeof buf, "ignoring %s okr does not know: %s",
                 nunknown == 1 ? "a column" : "columns", unknown);
        if (!(c->p->warning = strdup(buf)))
            c->nomem = 1;
    }
    int missing = 0;
    static const int required[] = {COL_TYPE, COL_TITLE};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (c->col[required[i]] < 0) {
            plan__problem(c, 1,
                          "no \"%s\" column: the header must name at least type and title (and "
                          "ref and parent to connect rows; okr import --help)",
                          col_names[required[i]]);
            missing = 1;
        }
    return missing ? -1 : 0;
}

/* ---------------------------------------------------------------- pass 2: what rows point at */

/* The objective row a ref of the file names for row line, or NONE after
 * reporting it. what: "parent", "linked_objective". */
static size_t plan__objective_ref(plan_ctx_t *c, size_t line, const char *what, const char *s)
{
    size_t row = plan__ref_row(c, s);
    if (row != OKR_PLAN_NONE && c->types[row] == ROW_OBJ)
        return row;
    char hint[160];
    if (row != OKR_PLAN_NONE)
        plan__problem(c, line, "%s %s is a key result (line %zu), not an objective", what, s,
                      c->t->rows[row].line);
    else
        plan__problem(c, line, "%s %s is not the ref of any row in this file%s", what, s,
                      plan__hint(s, c->ref_names, c->nrefs, hint, sizeof hint));
    return OKR_PLAN_NONE;
}

static void plan__server_parent(plan_ctx_t *c, size_t line, const char *s, okr_plan_obj_t *po)
{
    uint64_t id;
    char hint[160];
    if (okr_ref_parse(s, OKR_REF_OBJECTIVE, &id) != 0) {
        plan__problem(c, line, "parent %s is not the ref of any row in this file%s", s,
                      plan__hint(s, c->ref_names, c->nrefs, hint, sizeof hint));
        return;
    }
    const okr_plan_server_obj_t *so = NULL;
    for (size_t i = 0; i < c->w->nobjectives && !so; i++)
        if (c->w->objectives[i].id == id)
            so = &c->w->objectives[i];
    if (!so)
        plan__problem(c, line,
                      "parent %s is neither a ref in this file nor an objective on the server "
                      "that you can see",
                      s);
    else if (so->cycle_id != c->w->cycle_id)
        plan__problem(c, line,
                      "parent %s is in cycle %s, not %s: an objective aligns within its cycle "
                      "(leave parent blank, or import into %s with --cycle)",
                      s, so->cycle_name ? so->cycle_name : "?",
                      c->w->cycle_name ? c->w->cycle_name : "?",
                      so->cycle_name ? so->cycle_name : "that cycle");
    else if (so->archived)
        plan__problem(c, line, "parent %s is archived: align to a live objective", s);
    else
        po->parent_id = id;
}

static void plan__links(plan_ctx_t *c, size_t i)
{
    const okr_csv_row_t *r = &c->t->rows[i];
    const char *parent = plan__word(c, r, COL_PARENT);
    if (c->types[i] == ROW_OBJ) {
        okr_plan_obj_t *po = &c->p->objs[c->index[i]];
        if (!parent[0])
            return;
        size_t row = plan__ref_row(c, parent);
        if (row == OKR_PLAN_NONE)
            plan__server_parent(c, r->line, parent, po);
        else if ((row = plan__objective_ref(c, r->line, "parent", parent)) != OKR_PLAN_NONE)
            po->parent = c->index[row];
        return;
    }
    okr_plan_kr_t *pk = &c->p->krs[c->index[i]];
    if (!parent[0]) {
        if (c->above[i] == OKR_PLAN_NONE)
            plan__problem(c, r->line,
                          "a key result before any objective: fill in parent with its "
                          "objective's ref");
        else
            pk->objective = c->index[c->above[i]];
    } else {
        size_t row = plan__ref_row(c, parent);
        if (row == OKR_PLAN_NONE && okr_ref_parse(parent, OKR_REF_OBJECTIVE, &(uint64_t){0}) == 0)
            plan__problem(c, r->line,
                          "parent %s is not the ref of an objective in this file: key results "
                          "are imported with their objective",
                          parent);
        else if ((row = plan__objective_ref(c, r->line, "parent", parent)) != OKR_PLAN_NONE)
            pk->objective = c->index[row];
    }
}

/* A key result's linked objective: a child of its own objective, so after
 * every parent is known. */
static void plan__linked(plan_ctx_t *c, size_t i)
{
    const okr_csv_row_t *r = &c->t->rows[i];
    okr_plan_kr_t *pk = &c->p->krs[c->index[i]];
    const char *linked = plan__word(c, r, COL_LINKED);
    if (!linked[0])
        return;
    size_t row = plan__objective_ref(c, r->line, "linked_objective", linked);
    if (row == OKR_PLAN_NONE || pk->objective == OKR_PLAN_NONE)
        return;
    pk->linked = c->index[row];
    if (c->p->objs[pk->linked].parent != pk->objective) {
        const okr_plan_obj_t *own = &c->p->objs[pk->objective];
        plan__problem(c, r->line,
                      "linked_objective %s is not aligned under this key result's objective "
                      "%s (line %zu): a key result takes the progress of a child objective",
                      linked, own->ref[0] ? own->ref : "", own->line);
        pk->linked = OKR_PLAN_NONE;
    }
}

/* Each objective's key results against the server's limit: the row that
 * goes over is named once per objective, which would otherwise be refused
 * halfway through the import. */
static void plan__kr_counts(plan_ctx_t *c)
{
    okr_plan_t *p = c->p;
    uint32_t max = c->w->max_key_results;
    if (max == 0 || p->nobjs == 0)
        return;
    size_t *count = calloc(p->nobjs, sizeof *count);
    if (!count) {
        c->nomem = 1;
        return;
    }
    for (size_t i = 0; i < p->nkrs; i++) {
        size_t o = p->krs[i].objective;
        if (o == OKR_PLAN_NONE || ++count[o] != (size_t)max + 1)
            continue;
        const okr_plan_obj_t *po = &p->objs[o];
        char what[96];
        if (po->ref[0])
            snprintf(what, sizeof what, "objective %.40s (line %zu)", po->ref, po->line);
        else
            snprintf(what, sizeof what, "the objective of line %zu", po->line);
        plan__problem(c, p->krs[i].line,
                      "%s gets more than %u key results, the most the server allows for one "
                      "objective: an objective is best measured by 3-5; split it or leave some "
                      "out",
                      what, (unsigned)max);
    }
    free(count);
}

/* ---------------------------------------------------------------- pass 3: alignment */

/* Sets every objective's depth, reporting each loop once. */
static void plan__depths(plan_ctx_t *c)
{
    okr_plan_t *p = c->p;
    /* state: 0 not seen, 1 on the walk now, 2 done */
    unsigned char *state = calloc(p->nobjs ? p->nobjs : 1, 1);
    size_t *walk = malloc((p->nobjs ? p->nobjs : 1) * sizeof *walk);
    if (!state || !walk) {
        c->nomem = 1;
        free(state);
        free(walk);
        return;
    }
    for (size_t i = 0; i < p->nobjs; i++) {
        size_t n = 0, at = i;
        while (at != OKR_PLAN_NONE && state[at] == 0) {
            state[at] = 1;
            walk[n++] = at;
            at = p->objs[at].parent;
        }
        int base = 0;
        if (at != OKR_PLAN_NONE && state[at] == 1) {
            /* A loop: from at round to at again. Name it from its first line. */
            size_t from = n;
            while (from > 0 && walk[from - 1] != at)
                from--;
            from--;
            char path[512] = "";
            size_t first = walk[from];
            for (size_t k = from; k < n; k++) {
                if (p->objs[walk[k]].line < p->objs[first].line)
                    first = walk[k];
            }
            size_t k = first;
            do {
                snprintf(path + strlen(path), sizeof path - strlen(path), "%s%s", p->objs[k].ref,
                         " -> ");
                k = p->objs[k].parent;
            } while (k != first && strlen(path) < sizeof path - 64);
            snprintf(path + strlen(path), sizeof path - strlen(path), "%s", p->objs[first].ref);
            plan__problem(c, p->objs[first].line,
                          "the alignment makes a loop: %s; one of them must align to something "
                          "else",
                          path);
            for (size_t m = from; m < n; m++) {
                p->objs[walk[m]].parent = OKR_PLAN_NONE; /* cut, so nothing walks it again */
                p->objs[walk[m]].depth = 0;
                state[walk[m]] = 2;
            }
            n = from;
            base = 1; /* the rest of the walk leads into the loop, now cut at depth 0 */
        } else if (at != OKR_PLAN_NONE) {
            base = p->objs[at].depth + 1;
        }
        for (size_t m = n; m-- > 0;) {
            p->objs[walk[m]].depth = base++;
            state[walk[m]] = 2;
        }
    }
    for (size_t i = 0; i < p->nobjs; i++)
        if (p->objs[i].depth > p->max_depth)
            p->max_depth = p->objs[i].depth;
    free(state);
    free(walk);
}

/* Orders the objectives by depth (file order within a depth), so that each
 * parent is created before its children, and renumbers what points at them. */
static void plan__order(plan_ctx_t *c)
{
    okr_plan_t *p = c->p;
    if (p->nobjs == 0)
        return;
    okr_plan_obj_t *sorted = malloc(p->nobjs * sizeof *sorted);
    size_t *to = malloc(p->nobjs * sizeof *to);
    if (!sorted || !to) {
        c->nomem = 1;
        free(sorted);
        free(to);
        return;
    }
    size_t n = 0;
    for (int d = 0; d <= p->max_depth; d++)
        for (size_t i = 0; i < p->nobjs; i++)
            if (p->objs[i].depth == d) {
                to[i] = n;
                sorted[n++] = p->objs[i];
            }
    for (size_t i = 0; i < n; i++)
        if (sorted[i].parent != OKR_PLAN_NONE)
            sorted[i].parent = to[sorted[i].parent];
    for (size_t i = 0; i < p->nkrs; i++) {
        if (p->krs[i].objective != OKR_PLAN_NONE)
            p->krs[i].objective = to[p->krs[i].objective];
        if (p->krs[i].linked != OKR_PLAN_NONE)
            p->krs[i].linked = to[p->krs[i].linked];
    }
    free(p->objs);
    p->objs = sorted;
    free(to);
}

/* ---------------------------------------------------------------- build */

static int plan__problem_cmp(const void *a, const void *b)
{
    const okr_plan_problem_t *x = a, *y = b;
    if (x->line != y->line)
        return (x->line > y->line) - (x->line < y->line);
    return (x->order > y->order) - (x->order < y->order);
}

static int plan__names(plan_ctx_t *c)
{
    const okr_plan_world_t *w = c->w;
    c->user_names = calloc(w->nusers + 1, sizeof *c->user_names);
    c->team_names = calloc(w->nteams + 1, sizeof *c->team_names);
    if (!c->user_names || !c->team_names)
        return -1;
    for (size_t i = 0; i < w->nusers; i++)
        c->user_names[i] = w->users[i].name ? w->users[i].name : "";
    for (size_t i = 0; i < w->nteams; i++)
        c->team_names[i] = w->teams[i].name ? w->teams[i].name : "";
    return 0;
}

/* Pass 1: types, refs, each row's own fields. */
static int plan__rows(plan_ctx_t *c)
{
    const okr_csv_t *t = c->t;
    okr_plan_t *p = c->p;
    size_t n = t->nrows;
    c->types = calloc(n + 1, sizeof *c->types);
    c->index = calloc(n + 1, sizeof *c->index);
    c->above = calloc(n + 1, sizeof *c->above);
    c->refs = calloc(n + 1, sizeof *c->refs);
    c->ref_names = calloc(n + 1, sizeof *c->ref_names);
    p->objs = calloc(n + 1, sizeof *p->objs);
    p->krs = calloc(n + 1, sizeof *p->krs);
    if (!c->types || !c->index || !c->above || !c->refs || !c->ref_names || !p->objs || !p->krs)
        return -1;
    size_t last_obj = OKR_PLAN_NONE;
    for (size_t i = 0; i < n && !c->nomem; i++) {
        const okr_csv_row_t *r = &t->rows[i];
        c->types[i] = plan__type(c, r);
        c->above[i] = last_obj;
        if (c->types[i] == ROW_SKIP || c->types[i] == ROW_BAD)
            continue;
        const char *ref = plan__word(c, r, COL_REF);
        if (ref[0])
            c->refs[c->nrefs++] = (plan_ref_t){ref, i};
        if (c->types[i] == ROW_OBJ) {
            okr_plan_obj_t *po = &p->objs[p->nobjs];
            Okr__Objective init = OKR__OBJECTIVE__INIT;
            *po = (okr_plan_obj_t){.line = r->line, .ref = ref, .parent = OKR_PLAN_NONE, .o = init};
            plan__objective_row(c, r, po);
            c->index[i] = p->nobjs++;
            last_obj = i;
        } else {
            okr_plan_kr_t *pk = &p->krs[p->nkrs];
            Okr__KeyResult init = OKR__KEY_RESULT__INIT;
            *pk = (okr_plan_kr_t){.line = r->line,
                                  .ref = ref,
                                  .objective = OKR_PLAN_NONE,
                                  .linked = OKR_PLAN_NONE,
                                  .k = init};
            plan__kr_row(c, r, pk);
            c->index[i] = p->nkrs++;
        }
    }
    qsort(c->refs, c->nrefs, sizeof *c->refs, plan__ref_cmp);
    for (size_t i = 0; i < c->nrefs; i++) {
        c->ref_names[i] = c->refs[i].ref;
        if (i > 0 && strcasecmp(c->refs[i].ref, c->refs[i - 1].ref) == 0) {
            size_t first = i - 1;
            while (first > 0 && strcasecmp(c->refs[first - 1].ref, c->refs[i].ref) == 0)
                first--;
            plan__problem(c, t->rows[c->refs[i].row].line,
                          "ref %s is already the ref of line %zu: every ref names one row",
                          c->refs[i].ref, t->rows[c->refs[first].row].line);
        }
    }
    return c->nomem ? -1 : 0;
}

static void plan__checkins(okr_plan_t *p)
{
    for (size_t i = 0; i < p->nkrs; i++) {
        okr_plan_kr_t *pk = &p->krs[i];
        /* a linked key result takes its figure from its child objective */
        pk->checkin = pk->linked == OKR_PLAN_NONE && pk->current != pk->k.start;
        p->ncheckins += (size_t)pk->checkin;
    }
}

int okr_plan_build(const okr_csv_t *t, const okr_plan_world_t *w, okr_plan_t *p)
{
    memset(p, 0, sizeof *p);
    plan_ctx_t c = {.t = t, .w = w, .p = p};
    p->problems = calloc(PLAN_KEEP, sizeof *p->problems);
    int rc = p->problems && plan__names(&c) == 0 ? 0 : -1;
    if (rc == 0 && plan__header(&c) == 0) {
        rc = plan__rows(&c);
        for (size_t i = 0; rc == 0 && i < t->nrows; i++)
            if (c.types[i] == ROW_OBJ || c.types[i] == ROW_KR)
                plan__links(&c, i);
        for (size_t i = 0; rc == 0 && i < t->nrows; i++)
            if (c.types[i] == ROW_KR)
                plan__linked(&c, i);
        if (rc == 0)
            plan__kr_counts(&c);
        if (rc == 0)
            plan__depths(&c);
        if (rc == 0 && !c.nomem)
            plan__order(&c);
        plan__checkins(p);
        if (rc == 0 && p->nobjs == 0 && p->nkrs == 0 && p->nproblems == 0)
            plan__problem(&c, 0, "no objectives or key results in the file, only its header");
    }
    if (c.nomem)
        rc = -1;
    p->nkept = c.kept;
    if (p->problems)
        qsort(p->problems, p->nkept, sizeof *p->problems, plan__problem_cmp);
    free(c.types);
    free(c.index);
    free(c.above);
    free(c.refs);
    free(c.ref_names);
    free(c.user_names);
    free(c.team_names);
    if (rc != 0)
        return -1;
    return p->nproblems ? 1 : 0;
}

void okr_plan_free(okr_plan_t *p)
{
    for (size_t i = 0; p->problems && i < p->nkept; i++)
        free(p->problems[i].message);
    okr_plan_strings_free(&p->owned);
    free(p->problems);
    free(p->objs);
    free(p->krs);
    free(p->warning);
    memset(p, 0, sizeof *p);
}

/* ---------------------------------------------------------------- what to look up */

const char *okr_plan_strings_add(okr_plan_strings_t *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    char *copy = strndup(s, len);
    if (copy)
        l->v[l->n++] = copy;
    return copy;
}

void okr_plan_strings_free(okr_plan_strings_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* s without the spaces around it, into buf (cut to fit). */
static const char *plan__trim_into(const char *s, char *buf, size_t len)
{
    while (*s == ' ' || *s == '\t')
        s++;
    snprintf(buf, len, "%s", s);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        buf[--n] = '\0';
    return buf;
}

int okr_plan_usernames(const okr_csv_t *t, okr_plan_strings_t *names)
{
    long owner = okr_csv_column(t, "owner"), kind = okr_csv_column(t, "owner_kind");
    for (size_t i = 0; owner >= 0 && i < t->nrows; i++) {
        char name[256], k[32];
        plan__trim_into(okr_csv_field(&t->rows[i], owner), name, sizeof name);
        plan__trim_into(okr_csv_field(&t->rows[i], kind), k, sizeof k);
        if (!name[0] || strcmp(name, "-") == 0 || strcmp(k, "team") == 0)
            continue;
        int seen = 0;
        for (size_t j = 0; j < names->n && !seen; j++)
            seen = strcasecmp(names->v[j], name) == 0;
        if (!seen && !okr_plan_strings_add(names, name, strlen(name))) {
            okr_plan_strings_free(names);
            return -1;
        }
    }
    return 0;
}

static int plan__str_cmp(const void *a, const void *b)
{
    return strcasecmp(*(char *const *)a, *(char *const *)b);
}

int okr_plan_server_refs(const okr_csv_t *t, uint64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    long ref = okr_csv_column(t, "ref"), parent = okr_csv_column(t, "parent");
    if (parent < 0)
        return 0;
    /* the file's refs, sorted, to tell O12 in the file from O12 on the server */
    okr_plan_strings_t l = {0};
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; ref >= 0 && i < t->nrows && rc == 0; i++) {
        char r[64];
        if (plan__trim_into(okr_csv_field(&t->rows[i], ref), r, sizeof r)[0] &&
            !okr_plan_strings_add(&l, r, strlen(r)))
            rc = -1;
    }
    char **refs = l.v;
    size_t nrefs = l.n;
    if (rc == 0 && nrefs)
        qsort(refs, nrefs, sizeof *refs, plan__str_cmp);
    for (size_t i = 0; i < t->nrows && rc == 0; i++) {
        char p[64];
        const char *key = p;
        uint64_t id;
        plan__trim_into(okr_csv_field(&t->rows[i], parent), p, sizeof p);
        if (!p[0] || okr_ref_parse(p, OKR_REF_OBJECTIVE, &id) != 0 ||
            (nrefs && bsearch(&key, refs, nrefs, sizeof *refs, plan__str_cmp)))
            continue;
        int seen = 0;
        for (size_t j = 0; j < *n && !seen; j++)
            seen = (*ids)[j] == id;
        if (seen)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            uint64_t *v = realloc(*ids, cap * sizeof *v);
            if (!v) {
                rc = -1;
                break;
            }
            *ids = v;
        }
        (*ids)[(*n)++] = id;
    }
    okr_plan_strings_free(&l);
    if (rc != 0) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return rc;
}
