/* layout.c — okr-dash's screen as text (see layout.h).
 *
 * Built in three steps: pick what to show (the cycle, its objectives in
 * display order, their figures at `now`); plan the pages (group headers and
 * cards placed on body rows, page by page); then write the lines of the
 * requested page. Every piece of text from the server goes through
 * line__add, which removes control characters (a title must not be able to
 * send escape sequences to the TV) and cuts it at a grapheme boundary to the
 * room left on the line.
 */
#include "layout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#include "progress.h"
#include "render.h"
#include "validate.h"

#define DAY_MS           86400000LL
#define STALE_DAYS       14
#define LAYOUT_TEXT_MAX  2048
#define LAYOUT_MIN_BAR   3
#define LAYOUT_TICK_TIME 6  /* "14:02 " or "27 Nov" */
#define LAYOUT_TREND_MAX 13 /* weeks in a card's sparkline: a quarter */

/* ---------------------------------------------------------------- lines */

/* Copies s into out with control characters (C0, DEL, C1) and line breaks
 * as spaces and invalid UTF-8 bytes as '?'. */
static void layout__clean(const char *s, char *out, size_t outlen)
{
    size_t n = s ? strlen(s) : 0, i = 0, o = 0;
    while (i < n && o + 5 < outlen) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0) {
            out[o++] = '?';
            i++;
            continue;
        }
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 || cp == 0x2029) {
            out[o++] = ' ';
        } else {
            memcpy(out + o, s + i, (size_t)k);
            o += (size_t)k;
        }
        i += (size_t)k;
    }
    out[o] = '\0';
}

static int line__reserve(dash_line_t *l, size_t more)
{
    if (l->len + more + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 128;
        while (cap < l->len + more + 1)
            cap *= 2;
        char *t = realloc(l->text, cap);
        if (!t)
            return -1;
        l->text = t;
        l->cap = cap;
    }
    if (l->nspans == l->capspans) {
        size_t cap = l->capspans ? l->capspans * 2 : 8;
        dash_span_t *s = realloc(l->spans, cap * sizeof *s);
        if (!s)
            return -1;
        l->spans = s;
        l->capspans = cap;
    }
    return 0;
}

/* Appends already clean text of display width w. */
static int line__raw(dash_line_t *l, const char *s, size_t w, unsigned attr)
{
    size_t n = strlen(s);
    if (n == 0)
        return 0;
    if (line__reserve(l, n) != 0)
        return -1;
    memcpy(l->text + l->len, s, n);
    /* Runs with the same attributes merge, so equal lines compare equal. */
    dash_span_t *last = l->nspans ? &l->spans[l->nspans - 1] : NULL;
    if (last && last->attr == attr && last->off + last->len == l->len)
        last->len += (uint32_t)n;
    else
        l->spans[l->nspans++] = (dash_span_t){(uint32_t)l->len, (uint32_t)n, attr};
    l->len += n;
    l->text[l->len] = '\0';
    l->width += w;
    return 0;
}

typedef struct layout {
    const dash_model_t *m;
    const dash_layout_opts_t *o;
    size_t w; /* frame width */
    int oom;
} layout_t;

/* Appends s (cleaned), cut with "…" to at most maxw columns and to what is
 * left of the line. */
static void line__add(layout_t *L, dash_line_t *l, const char *s, unsigned attr, size_t maxw)
{
    size_t room = L->w > l->width ? L->w - l->width : 0;
    /* Cut by the end of the line (not by the caller's limit): the rest of
     * the line has no room either. */
    int at_end = maxw >= room;
    if (maxw > room)
        maxw = room;
    if (l->clipped || !s || !s[0])
        return;
    if (maxw == 0) {
        l->clipped = 1;
        return;
    }
    char clean[LAYOUT_TEXT_MAX], cut[LAYOUT_TEXT_MAX];
    layout__clean(s, clean, sizeof clean);
    okr_render_truncate(clean, maxw, cut, sizeof cut);
    if (at_end && strcmp(cut, clean) != 0)
        l->clipped = 1;
    if (line__raw(l, cut, okr_display_width(cut), attr) != 0)
        L->oom = 1;
}

static void line__text(layout_t *L, dash_line_t *l, const char *s, unsigned attr)
{
    line__add(L, l, s, attr, SIZE_MAX);
}

/* Repeats a one-column string n times. */
static void line__fill(layout_t *L, dash_line_t *l, const char *unit, size_t n, unsigned attr)
{
    size_t room = L->w > l->width ? L->w - l->width : 0;
    if (n > room)
        n = room;
    size_t ul = strlen(unit);
    char buf[LAYOUT_TEXT_MAX];
    while (n > 0) {
        size_t k = 0, used = 0;
        while (k < n && used + ul < sizeof buf) {
            memcpy(buf + used, unit, ul);
            used += ul;
            k++;
        }
        buf[used] = '\0';
        if (line__raw(l, buf, k, attr) != 0) {
            L->oom = 1;
            return;
        }
        n -= k;
    }
}

static void line__pad_to(layout_t *L, dash_line_t *l, size_t col, unsigned attr)
{
    if (col > l->width)
        line__fill(L, l, " ", col - l->width, attr);
}

static size_t layout__width(const char *s)
{
    char clean[LAYOUT_TEXT_MAX];
    layout__clean(s, clean, sizeof clean);
    return okr_display_width(clean);
}

static void line__free(dash_line_t *l)
{
    free(l->text);
    free(l->spans);
    memset(l, 0, sizeof *l);
}

int dash_line_equal(const dash_line_t *a, const dash_line_t *b)
{
    if (a->len != b->len || a->nspans != b->nspans)
        return 0;
    if (a->len && memcmp(a->text, b->text, a->len) != 0)
        return 0;
    for (size_t i = 0; i < a->nspans; i++)
        if (a->spans[i].off != b->spans[i].off || a->spans[i].len != b->spans[i].len ||
            a->spans[i].attr != b->spans[i].attr)
            return 0;
    return 1;
}

/* ---------------------------------------------------------------- words */

static const char *layout__team_name(const dash_model_t *m, uint64_t id, char *buf, size_t len)
{
    const Okr__Team *t = dash_model_team(m, id);
    if (t && t->name && t->name[0])
        snprintf(buf, len, "%s", t->name);
    else
        snprintf(buf, len, "team #%llu", (unsigned long long)id);
    return buf;
}

static const char *layout__user_name(const dash_model_t *m, uint64_t id, char *buf, size_t len)
{
    const char *name = dash_model_user_name(m, id);
    if (name)
        snprintf(buf, len, "%s", name);
    else
        snprintf(buf, len, "user #%llu", (unsigned long long)id);
    return buf;
}

const char *dash_scope_name(const dash_model_t *m, char *buf, size_t len)
{
    char name[512];
    switch (m->scope_kind) {
    case OKR__SCOPE_KIND__SCOPE_KIND_TEAM: {
        const Okr__Team *t = dash_model_team(m, m->scope_id);
        if (t && t->name && t->name[0])
            snprintf(name, sizeof name, "%s", t->name);
        else
            snprintf(name, sizeof name, "#%llu", (unsigned long long)m->scope_id);
        snprintf(buf, len, "Team %s", name);
        break;
    }
    case OKR__SCOPE_KIND__SCOPE_KIND_CYCLE: {
        const Okr__Cycle *c = dash_model_cycle(m, m->scope_id);
        if (c && c->name && c->name[0])
            snprintf(buf, len, "Cycle %s", c->name);
        else
            snprintf(buf, len, "Cycle #%llu", (unsigned long long)m->scope_id);
        break;
    }
    case OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE:
        snprintf(buf, len, "Objective O%llu", (unsigned long long)m->scope_id);
        break;
    default:
        snprintf(buf, len, "Organisation");
        break;
    }
    return buf;
}

static unsigned layout__status_color(Okr__ProgressStatus s)
{
    switch (s) {
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK:
        return DASH_COLOR_GREEN;
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK:
        return DASH_COLOR_YELLOW;
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK:
        return DASH_COLOR_RED;
    default:
        return DASH_COLOR_DEFAULT;
    }
}

static unsigned layout__grade_color(double score)
{
    switch (okr_score_grade(score)) {
    case OKR_GRADE_GREEN:
        return DASH_COLOR_GREEN;
    case OKR_GRADE_YELLOW:
        return DASH_COLOR_YELLOW;
    default:
        return DASH_COLOR_RED;
    }
}

static const char *layout__status_label(Okr__ProgressStatus s)
{
    switch (s) {
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK:
        return "ON TRACK";
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK:
        return "AT RISK";
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK:
        return "OFF TRACK";
    default:
        return "";
    }
}

/* Days between the local calendar dates of two times (b - a). */
static long layout__days_between(int64_t a_ms, int64_t b_ms)
{
    time_t ta = (time_t)(a_ms / 1000), tb = (time_t)(b_ms / 1000);
    struct tm a, b;
    if (!localtime_r(&ta, &a) || !localtime_r(&tb, &b))
        return (long)((b_ms - a_ms) / DAY_MS);
    /* Noon of each date, as UTC-free day numbers via timegm-like arithmetic. */
    a.tm_hour = b.tm_hour = 12;
    a.tm_min = b.tm_min = a.tm_sec = b.tm_sec = 0;
    a.tm_isdst = b.tm_isdst = -1;
    time_t na = mktime(&a), nb = mktime(&b);
    double d = difftime(nb, na) / 86400.0;
    return (long)floor(d + 0.5);
}

/* "34 days left", "last day", "ended 3 days ago", "starts in 4 days". */
static const char *layout__days_left(const Okr__Cycle *c, int64_t now, char *buf, size_t len)
{
    if (c->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED) {
        snprintf(buf, len, "closed");
        return buf;
    }
    if (now < c->start_at) {
        long d = layout__days_between(now, c->start_at);
        if (d <= 0)
            snprintf(buf, len, "starts today");
        else
            snprintf(buf, len, "starts in %ld day%s", d, d == 1 ? "" : "s");
        return buf;
    }
    long d = layout__days_between(now, c->end_at);
    if (now > c->end_at) {
        d = -d;
        if (d <= 0)
            snprintf(buf, len, "ended today");
        else
            snprintf(buf, len, "ended %ld day%s ago", d, d == 1 ? "" : "s");
    } else if (d <= 0) {
        snprintf(buf, len, "last day");
    } else {
        snprintf(buf, len, "%ld day%s left", d, d == 1 ? "" : "s");
    }
    return buf;
}

/* ---------------------------------------------------------------- what to show */

typedef struct shown {
    const dash_obj_t *d;
    uint64_t group; /* team id, 0 for people's own objectives */
    int rank;       /* of the group, for sorting */
    const char *group_name;
    double progress;
    Okr__ProgressStatus status;
    int closed; /* show the score */
    int highlight;
} shown_t;

typedef struct view {
    const Okr__Cycle *cycle; /* NULL when unknown */
    uint64_t cycle_id;
    double expected; /* < 0: unknown */
    shown_t *objs;
    size_t n, ngroups;
    char (*group_names)[256];
} view_t;

static int layout__candidate(const Okr__Objective *o)
{
    return o->state != OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_DRAFT &&
           o->state != OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED;
}

static size_t layout__count_in_cycle(const dash_model_t *m, uint64_t cycle_id)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nobjs; i++)
        if (m->objs[i].o->cycle_id == cycle_id && layout__candidate(m->objs[i].o))
            n++;
    return n;
}

/* The cycle to show (see layout.h). 0 when there is nothing at all. */
static uint64_t layout__pick_cycle(const dash_model_t *m)
{
    if (m->scope_kind == OKR__SCOPE_KIND__SCOPE_KIND_CYCLE)
        return m->scope_id;
    uint64_t best = 0;
    size_t best_n = 0;
    int64_t best_start = 0;
    for (size_t i = 0; i < m->ncycles; i++) {
        const Okr__Cycle *c = m->cycles[i];
        if (c->state != OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE)
            continue;
        size_t n = layout__count_in_cycle(m, c->id);
        if (n > best_n || (n == best_n && n > 0 && c->start_at > best_start)) {
            best = c->id;
            best_n = n;
            best_start = c->start_at;
        }
    }
    if (best)
        return best;
    /* No active cycle known: the newest one the objectives name. */
    for (size_t i = 0; i < m->nobjs; i++)
        if (layout__candidate(m->objs[i].o) && m->objs[i].o->cycle_id > best)
            best = m->objs[i].o->cycle_id;
    return best;
}

static uint64_t layout__group_of(const Okr__Objective *o)
{
    return o->owner_team_id ? o->owner_team_id : o->team_id;
}

/* People's own objectives (group 0) come last; a team scope's own team first. */
static int layout__group_rank(const dash_model_t *m, uint64_t g)
{
    if (m->scope_kind == OKR__SCOPE_KIND__SCOPE_KIND_TEAM && g == m->scope_id)
        return 0;
    return g ? 1 : 2;
}

static int layout__cmp_shown(const void *pa, const void *pb)
{
    const shown_t *a = pa, *b = pb;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    if (a->group != b->group) {
        int c = strcmp(a->group_name, b->group_name);
        if (c)
            return c;
        return a->group < b->group ? -1 : 1;
    }
    uint64_t ia = a->d->o->id, ib = b->d->o->id;
    return ia < ib ? -1 : ia > ib;
}

static void view__free(view_t *v)
{
    free(v->objs);
    free(v->group_names);
    memset(v, 0, sizeof *v);
}

static int view__build(const dash_model_t *m, const dash_layout_opts_t *o, view_t *v)
{
    memset(v, 0, sizeof *v);
    v->cycle_id = layout__pick_cycle(m);
    v->cycle = v->cycle_id ? dash_model_cycle(m, v->cycle_id) : NULL;
    v->expected = -1;
    int cycle_closed = v->cycle && v->cycle->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED;
    if (v->cycle && !cycle_closed)
        v->expected = okr_expected_progress(v->cycle->start_at, v->cycle->end_at, o->now_wall_ms);
    v->objs = calloc(m->nobjs ? m->nobjs : 1, sizeof *v->objs);
    v->group_names = calloc(m->nobjs ? m->nobjs : 1, sizeof *v->group_names);
    if (!v->objs || !v->group_names) {
        view__free(v);
        return -1;
    }
    for (size_t i = 0; i < m->nobjs; i++) {
        const dash_obj_t *d = &m->objs[i];
        const Okr__Objective *ob = d->o;
        if (!layout__candidate(ob) || ob->cycle_id != v->cycle_id)
            continue;
        shown_t *s = &v->objs[v->n];
        s->d = d;
        s->group = layout__group_of(ob);
        if (s->group)
            layout__team_name(m, s->group, v->group_names[v->n], sizeof v->group_names[v->n]);
        else
            snprintf(v->group_names[v->n], sizeof v->group_names[v->n], "People");
        s->group_name = v->group_names[v->n];
        s->rank = layout__group_rank(m, s->group);
        s->progress = okr_clamp01(ob->progress);
        s->closed = cycle_closed || ob->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED;
        s->status = ob->status;
        if (v->expected >= 0 && !s->closed) {
            int minc;
            dash_model_kr_count(m, ob->id, &minc);
            s->status = okr_progress_status(s->progress, v->expected, minc);
        }
        s->highlight = d->changed_ms && o->highlight_ms && o->now_mono_ms >= d->changed_ms &&
                       o->now_mono_ms - d->changed_ms < o->highlight_ms;
        v->n++;
    }
    qsort(v->objs, v->n, sizeof *v->objs, layout__cmp_shown);
    for (size_t i = 0; i < v->n; i++)
        if (i == 0 || v->objs[i].group != v->objs[i - 1].group)
            v->ngroups++;
    return 0;
}

/* ---------------------------------------------------------------- sizes and pages */

typedef struct sizes {
    int header, ticker, status, footer, body;
    int bar_rows, spacer, card;
} sizes_t;

static void layout__sizes(int h, sizes_t *z)
{
    z->header = h >= 14 ? 3 : (h >= 4 ? 1 : 0);
    z->ticker = h >= 60 ? 5 : h >= 40 ? 3 : h >= 20 ? 2 : h >= 14 ? 1 : 0;
    z->status = h >= 6;
    z->footer = (z->ticker ? 1 + z->ticker : 0) + z->status;
    z->body = h - z->header - z->footer;
    if (z->body < 1) {
        z->header = 0;
        z->footer = 0;
        z->ticker = 0;
        z->status = 0;
        z->body = h;
    }
    z->bar_rows = h >= 40 ? 2 : 1;
    z->spacer = h >= 30 ? 1 : 0;
    z->card = 2 + z->bar_rows;
}

typedef struct slot {
    int page, row;
    int header; /* 1: a group header (cont: repeated on a new page) */
    int cont;
    size_t idx; /* into view.objs */
} slot_t;

/* Places group headers and cards on pages. Returns the number of slots
 * (at most 2 * v->n) and sets *npages. */
static size_t layout__plan(const view_t *v, const sizes_t *z, slot_t *slots, int *npages)
{
    size_t ns = 0;
    int page = 0, used = 0;
    int headers = v->ngroups > 1;
    for (size_t i = 0; i < v->n; i++) {
        int first_in_group = i == 0 || v->objs[i].group != v->objs[i - 1].group;
        int gap = used > 0 ? z->spacer : 0;
        int need_header = headers && (first_in_group || used == 0);
        int need = (need_header ? 1 + gap : 0) + (need_header ? 0 : gap) + z->card;
        if (used > 0 && used + need > z->body) {
            page++;
            used = 0;
            gap = 0;
            need_header = headers;
        }
        if (need_header) {
            used += gap;
            slots[ns++] = (slot_t){page, used, 1, !first_in_group, i};
            used += 1;
            gap = 0;
        }
        used += gap;
        slots[ns++] = (slot_t){page, used, 0, 0, i};
        used += z->card;
    }
    *npages = page + 1;
    return ns;
}

/* ---------------------------------------------------------------- header and footer */

static void layout__header(layout_t *L, const view_t *v, dash_line_t *lines, int rows)
{
    const dash_layout_opts_t *o = L->o;
    char title[512], right[256], clock[64], days[64];
    if (o->title && o->title[0])
        snprintf(title, sizeof title, "%s", o->title);
    else
        dash_scope_name(L->m, title, sizeof title);
    time_t now = (time_t)(o->now_wall_ms / 1000);
    struct tm tm;
    if (!localtime_r(&now, &tm) || strftime(clock, sizeof clock, "%a %d %b %H:%M", &tm) == 0)
        clock[0] = '\0';
    if (v->cycle)
        snprintf(right, sizeof right, "%s · %s", clock,
                 layout__days_left(v->cycle, o->now_wall_ms, days, sizeof days));
    else
        snprintf(right, sizeof right, "%s", clock);

    dash_line_t *l = &lines[0];
    size_t rw = layout__width(right);
    size_t lw = L->w > rw + 3 ? L->w - rw - 3 : L->w;
    line__text(L, l, " ", 0);
    line__add(L, l, title, DASH_ATTR_BOLD | DASH_COLOR_CYAN, lw > 1 ? lw - 1 : 0);
    if (v->cycle_id && l->width + 4 < lw) {
        char cyc[300];
        if (v->cycle && v->cycle->name && v->cycle->name[0])
            snprintf(cyc, sizeof cyc, "%s", v->cycle->name);
        else
            snprintf(cyc, sizeof cyc, "cycle #%llu", (unsigned long long)v->cycle_id);
        if (L->m->scope_kind != OKR__SCOPE_KIND__SCOPE_KIND_CYCLE || (o->title && o->title[0])) {
            line__add(L, l, " · ", 0, lw - l->width);
            line__add(L, l, cyc, DASH_ATTR_BOLD, lw - l->width);
        }
    }
    if (L->w > rw + 3) {
        line__pad_to(L, l, L->w - rw - 1, 0);
        line__text(L, l, right, 0);
    }
    if (rows < 3)
        return;

    /* The summary. */
    l = &lines[1];
    size_t counts[4] = {0};
    double sum = 0;
    for (size_t i = 0; i < v->n; i++) {
        sum += v->objs[i].progress;
        if ((int)v->objs[i].status >= 0 && (int)v->objs[i].status < 4)
            counts[v->objs[i].status]++;
    }
    char buf[128];
    line__text(L, l, " ", 0);
    snprintf(buf, sizeof buf, "%zu objective%s", v->n, v->n == 1 ? "" : "s");
    line__text(L, l, buf, DASH_ATTR_BOLD);
    if (v->n) {
        snprintf(buf, sizeof buf, " · avg %d%%", okr_render_pct(sum / (double)v->n));
        line__text(L, l, buf, 0);
    }
    if (v->expected >= 0) {
        snprintf(buf, sizeof buf, " · pace %d%%", okr_render_pct(v->expected));
        line__text(L, l, buf, 0);
    }
    static const Okr__ProgressStatus order[] = {
        OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK,
        OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK,
        OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK,
    };
    for (size_t i = 0; i < 3; i++) {
        if (!counts[order[i]])
            continue;
        line__text(L, l, "  ", 0);
        line__text(L, l, "●", layout__status_color(order[i]));
        snprintf(buf, sizeof buf, " %zu %s", counts[order[i]], okr_status_name(order[i]));
        line__text(L, l, buf, 0);
    }
    line__fill(L, &lines[2], "─", L->w, DASH_ATTR_DIM);
}

/* "14:02" today, else "27 Nov". */
static void layout__tick_time(int64_t t, int64_t now, char *buf, size_t len)
{
    time_t tt = (time_t)(t / 1000);
    struct tm tm;
    buf[0] = '\0';
    if (!t || !localtime_r(&tt, &tm))
        return;
    const char *fmt = layout__days_between(t, now) == 0 ? "%H:%M" : "%d %b";
    if (strftime(buf, len, fmt, &tm) == 0)
        buf[0] = '\0';
}

static void layout__quote(layout_t *L, dash_line_t *l, const char *text)
{
    if (!text || !text[0])
        return;
    char q[LAYOUT_TEXT_MAX];
    snprintf(q, sizeof q, "  \"%s\"", text);
    line__text(L, l, q, DASH_ATTR_DIM);
}

static void layout__objective_ref(layout_t *L, dash_line_t *l, uint64_t objective_id)
{
    const dash_obj_t *d = objective_id ? dash_model_objective(L->m, objective_id) : NULL;
    if (!d)
        return;
    line__text(L, l, " on ", 0);
    line__text(L, l, d->o->title, 0);
}

static void layout__tick(layout_t *L, const dash_tick_t *t, dash_line_t *l)
{
    char when[32], name[512], buf[512];
    layout__tick_time(t->time, L->o->now_wall_ms, when, sizeof when);
    line__text(L, l, " ", 0);
    line__text(L, l, when, DASH_ATTR_DIM);
    line__pad_to(L, l, 1 + LAYOUT_TICK_TIME + 1, 0);
    switch (t->kind) {
    case DASH_TICK_CHECKIN: {
        line__text(L, l, "✓ ", DASH_COLOR_GREEN | DASH_ATTR_BOLD);
        line__text(L, l, layout__user_name(L->m, t->author_id, name, sizeof name), DASH_ATTR_BOLD);
        line__text(L, l, "  ", 0);
        const Okr__KeyResult *kr = dash_model_key_result(L->m, t->key_result_id);
        if (kr) {
            char v[128], p[128];
            line__text(L, l, kr->title, 0);
            okr_render_value(kr, t->value, v, sizeof v);
            okr_render_value(kr, t->previous, p, sizeof p);
            snprintf(buf, sizeof buf, " → %s", v);
            line__text(L, l, buf, DASH_ATTR_BOLD);
            if (strcmp(v, p) != 0) {
                snprintf(buf, sizeof buf, " (was %s)", p);
                line__text(L, l, buf, 0);
            }
        } else {
            snprintf(buf, sizeof buf, "K%llu → %g", (unsigned long long)t->key_result_id, t->value);
            line__text(L, l, buf, 0);
        }
        break;
    }
    case DASH_TICK_KUDOS:
        line__text(L, l, "★ ", DASH_COLOR_YELLOW | DASH_ATTR_BOLD);
        line__text(L, l, layout__user_name(L->m, t->author_id, name, sizeof name), DASH_ATTR_BOLD);
        if (t->to_user_id) {
            line__text(L, l, " → ", 0);
            line__text(L, l, layout__user_name(L->m, t->to_user_id, name, sizeof name),
                       DASH_ATTR_BOLD);
        } else {
            layout__objective_ref(L, l, t->objective_id);
        }
        break;
    case DASH_TICK_COMMENT:
        line__text(L, l, "» ", DASH_COLOR_CYAN | DASH_ATTR_BOLD);
        line__text(L, l, layout__user_name(L->m, t->author_id, name, sizeof name), DASH_ATTR_BOLD);
        layout__objective_ref(L, l, t->objective_id);
        break;
    }
    layout__quote(L, l, t->text);
}

static void layout__footer(layout_t *L, const sizes_t *z, const dash_frame_t *f, dash_line_t *lines)
{
    const dash_layout_opts_t *o = L->o;
    if (z->ticker) {
        line__fill(L, &lines[0], "─", L->w, DASH_ATTR_DIM);
        size_t shown = 0;
        for (; shown < L->m->nticks && (int)shown < z->ticker; shown++)
            layout__tick(L, &L->m->ticks[shown], &lines[1 + shown]);
        if (shown == 0)
            line__text(L, &lines[1], " No check-ins or kudos yet.", DASH_ATTR_DIM);
    }
    if (!z->status)
        return;
    int row = z->footer - 1;
    dash_line_t *l = &lines[row];
    char left[128] = "", right[512] = "";
    if (f->npages > 1) {
        if (o->next_page_s > 0)
            snprintf(left, sizeof left, " page %d/%d · next in %d s", f->page + 1, f->npages,
                     o->next_page_s);
        else
            snprintf(left, sizeof left, " page %d/%d", f->page + 1, f->npages);
    }
    unsigned rattr = 0;
    switch (o->link) {
    case DASH_LINK_LIVE:
        rattr = DASH_COLOR_GREEN | DASH_ATTR_BOLD;
        break;
    case DASH_LINK_CONNECTING:
        rattr = DASH_COLOR_YELLOW | DASH_ATTR_BOLD;
        break;
    case DASH_LINK_DOWN:
        rattr = DASH_COLOR_RED | DASH_ATTR_BOLD | DASH_ATTR_REVERSE;
        break;
    default:
        break;
    }
    if (o->status && o->status[0])
        snprintf(right, sizeof right, " %s ", o->status);
    size_t rw = layout__width(right);
    if (left[0])
        line__add(L, l, left, DASH_ATTR_DIM, L->w > rw ? L->w - rw : 0);
    if (right[0] && L->w >= rw) {
        line__pad_to(L, l, L->w - rw, 0);
        line__text(L, l, right, rattr);
    }
}

/* ---------------------------------------------------------------- cards */

static void layout__group_header(layout_t *L, const shown_t *s, int cont, dash_line_t *l)
{
    char buf[600];
    snprintf(buf, sizeof buf, "%s%s", s->group_name, cont ? " (continued)" : "");
    line__text(L, l, "── ", DASH_COLOR_CYAN);
    line__add(L, l, buf, DASH_COLOR_CYAN | DASH_ATTR_BOLD, L->w > 6 ? L->w - 6 : 0);
    line__text(L, l, " ", 0);
    line__fill(L, l, "─", L->w, DASH_COLOR_CYAN);
}

/* The bar: filled in eighths of a cell, the pace marked with a bold bar. */
static void layout__bar(layout_t *L, dash_line_t *l, size_t bw, double p, double expected,
                        unsigned color, unsigned hl)
{
    static const char *const eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    size_t units = (size_t)floor(okr_clamp01(p) * (double)bw * 8.0 + 0.5);
    size_t full = units / 8, part = units % 8;
    long marker = -1;
    if (expected >= 0) {
        marker = (long)floor(expected * (double)bw);
        if (marker >= (long)bw)
            marker = (long)bw - 1;
    }
    for (size_t i = 0; i < bw; i++) {
        if ((long)i == marker) {
            line__text(L, l, "┃", DASH_ATTR_BOLD | hl);
        } else if (i < full) {
            line__text(L, l, "█", color | hl);
        } else if (i == full && part) {
            line__text(L, l, eighths[part], color | hl);
        } else {
            line__text(L, l, "░", DASH_ATTR_DIM | hl);
        }
    }
}

static void layout__card_title(layout_t *L, const shown_t *s, dash_line_t *l, unsigned hl)
{
    char right[64] = "", delta[32] = "";
    unsigned rcolor;
    if (s->closed) {
        char num[16];
        snprintf(right, sizeof right, "SCORE %s",
                 okr_render_score_num(s->d->o->score, num, sizeof num));
        rcolor = layout__grade_color(s->d->o->score);
    } else {
        snprintf(right, sizeof right, "%s", layout__status_label(s->status));
        rcolor = layout__status_color(s->status);
    }
    if (s->highlight) {
        int diff = okr_render_pct(s->progress) - okr_render_pct(s->d->changed_from);
        if (diff > 0)
            snprintf(delta, sizeof delta, "▲ +%d  ", diff);
        else if (diff < 0)
            snprintf(delta, sizeof delta, "▼ %d  ", diff);
    }
    size_t rw = layout__width(right) + layout__width(delta);
    int with_right = L->w >= rw + 12;
    size_t tw = with_right ? L->w - rw - 4 : L->w - 1;
    line__text(L, l, " ", hl);
    line__add(L, l, s->d->o->title, DASH_ATTR_BOLD | hl, tw);
    if (with_right) {
        line__pad_to(L, l, L->w - rw - 1, hl);
        line__text(L, l, delta, DASH_ATTR_BOLD | hl);
        line__text(L, l, right, rcolor | DASH_ATTR_BOLD | hl);
    }
    line__pad_to(L, l, L->w, hl);
}

static void layout__card_bar(layout_t *L, const view_t *v, const shown_t *s, dash_line_t *l,
                             int first, unsigned hl)
{
    unsigned color =
        s->closed ? layout__grade_color(s->d->o->score) : layout__status_color(s->status);
    if (color == DASH_COLOR_DEFAULT)
        color = DASH_COLOR_CYAN;
    size_t bw = L->w > 7 + LAYOUT_MIN_BAR ? L->w - 7 : LAYOUT_MIN_BAR;
    line__text(L, l, " ", hl);
    layout__bar(L, l, bw, s->progress, s->closed ? -1 : v->expected, color, hl);
    if (first) {
        char pct[16];
        snprintf(pct, sizeof pct, " %4d%%", okr_render_pct(s->progress));
        line__text(L, l, pct, color | DASH_ATTR_BOLD | hl);
    }
    line__pad_to(L, l, L->w, hl);
}

static void layout__meta_sep(layout_t *L, dash_line_t *l, unsigned hl)
{
    line__text(L, l, " · ", DASH_ATTR_DIM | hl);
}

/* The objective's last weeks as a sparkline, ending at its live progress;
 * "" when the server sent no trend. */
static const char *layout__trend(const shown_t *s, char *buf, size_t len)
{
    return okr_render_spark_recent(s->d->trend, s->d->ntrend, LAYOUT_TREND_MAX, s->progress, buf,
                                   len);
}

static void layout__card_meta(layout_t *L, const view_t *v, const shown_t *s, dash_line_t *l,
                              unsigned hl)
{
    const Okr__Objective *ob = s->d->o;
    char buf[600];
    line__text(L, l, "   ", hl);
    if (ob->owner_team_id)
        layout__team_name(L->m, ob->owner_team_id, buf, sizeof buf);
    else
        layout__user_name(L->m, ob->owner_user_id, buf, sizeof buf);
    line__text(L, l, buf, hl);
    /* Most telling first: a narrow screen cuts from the end. */
    if (s->closed) {
        layout__meta_sep(L, l, hl);
        snprintf(buf, sizeof buf, "final progress %d%%", okr_render_pct(s->progress));
        line__text(L, l, buf, hl);
    } else if (v->expected >= 0) {
        int d = okr_render_pct(s->progress) - okr_render_pct(v->expected);
        layout__meta_sep(L, l, hl);
        snprintf(buf, sizeof buf, "pace %d%%", okr_render_pct(v->expected));
        line__text(L, l, buf, hl);
        if (d >= 0)
            snprintf(buf, sizeof buf, " (+%d)", d);
        else
            snprintf(buf, sizeof buf, " (%d)", d);
        line__text(L, l, buf, layout__status_color(s->status) | hl);
    }
    if (layout__trend(s, buf, sizeof buf)[0]) {
        layout__meta_sep(L, l, hl);
        line__text(L, l, buf, layout__status_color(s->status) | hl);
    }
    int64_t last = dash_model_last_checkin(L->m, ob->id);
    layout__meta_sep(L, l, hl);
    if (!last) {
        line__text(L, l, "no check-in yet", (s->closed ? 0 : DASH_COLOR_YELLOW) | hl);
    } else {
        long days = layout__days_between(last, L->o->now_wall_ms);
        if (days <= 0)
            snprintf(buf, sizeof buf, "checked in today");
        else
            snprintf(buf, sizeof buf, "checked in %ld day%s ago", days, days == 1 ? "" : "s");
        unsigned a = !s->closed && days >= STALE_DAYS ? DASH_COLOR_YELLOW : 0;
        line__text(L, l, buf, a | hl);
    }
    size_t nkr = dash_model_kr_count(L->m, ob->id, NULL);
    if (!nkr)
        nkr = ob->key_result_count;
    layout__meta_sep(L, l, hl);
    snprintf(buf, sizeof buf, "%zu key result%s", nkr, nkr == 1 ? "" : "s");
    line__text(L, l, buf, hl);
    if (ob->kind == OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL) {
        layout__meta_sep(L, l, hl);
        line__text(L, l, "stretch", hl);
    }
    line__pad_to(L, l, L->w, hl);
}

/* Writes the card's row `r` (0: title, then bars, then meta). */
static void layout__card_row(layout_t *L, const view_t *v, const sizes_t *z, const shown_t *s,
                             int r, dash_line_t *l)
{
    unsigned hl = s->highlight ? DASH_ATTR_REVERSE : 0;
    if (r == 0)
        layout__card_title(L, s, l, hl);
    else if (r <= z->bar_rows)
        layout__card_bar(L, v, s, l, r == 1, hl);
    else
        layout__card_meta(L, v, s, l, hl);
}

#define LAYOUT_MSG_LINES 16

/* Word-wraps one paragraph into lines of at most w columns (a word wider
 * than that is cut). Returns the number of lines written to out. */
static size_t layout__wrap(const char *para, size_t w, char out[][LAYOUT_TEXT_MAX], size_t max)
{
    size_t n = 0;
    char line[LAYOUT_TEXT_MAX] = "";
    const char *p = para;
    while (*p && n < max) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if (e == p)
            break;
        char word[LAYOUT_TEXT_MAX];
        snprintf(word, sizeof word, "%.*s", (int)(e - p), p);
        char joined[2 * LAYOUT_TEXT_MAX];
        snprintf(joined, sizeof joined, "%s%s%s", line, line[0] ? " " : "", word);
        size_t jl = strlen(joined);
        if (layout__width(joined) <= w && jl < sizeof line) {
            memcpy(line, joined, jl + 1);
            p = e;
            continue;
        }
        if (line[0]) {
            snprintf(out[n++], LAYOUT_TEXT_MAX, "%s", line);
            line[0] = '\0';
            continue; /* the word starts the next line */
        }
        okr_render_truncate(word, w, out[n++], LAYOUT_TEXT_MAX);
        p = e;
    }
    if (line[0] && n < max)
        snprintf(out[n++], LAYOUT_TEXT_MAX, "%s", line);
    return n;
}

/* A message in the middle of the body: paragraphs split at '\n', wrapped,
 * each line centred. */
static void layout__message(layout_t *L, const char *msg, dash_line_t *lines, int rows)
{
    if (rows <= 0)
        return;
    char wrapped[LAYOUT_MSG_LINES][LAYOUT_TEXT_MAX];
    size_t n = 0, w = L->w > 8 ? L->w - 4 : L->w;
    const char *p = msg;
    while (*p && n < LAYOUT_MSG_LINES) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char para[LAYOUT_TEXT_MAX];
        snprintf(para, sizeof para, "%.*s", (int)len, p);
        char clean[LAYOUT_TEXT_MAX];
        layout__clean(para, clean, sizeof clean);
        n += layout__wrap(clean, w, wrapped + n, LAYOUT_MSG_LINES - n);
        p = e ? e + 1 : p + len;
    }
    if ((int)n > rows)
        n = (size_t)rows;
    int top = (rows - (int)n) / 2;
    for (size_t i = 0; i < n; i++) {
        dash_line_t *l = &lines[top + (int)i];
        size_t lw = layout__width(wrapped[i]);
        if (lw < L->w)
            line__pad_to(L, l, (L->w - lw) / 2, 0);
        line__text(L, l, wrapped[i], i == 0 ? DASH_ATTR_BOLD : 0);
    }
}

/* ---------------------------------------------------------------- frame */

void dash_frame_free(dash_frame_t *f)
{
    for (int i = 0; f->lines && i < f->height; i++)
        line__free(&f->lines[i]);
    free(f->lines);
    free(f->obj_ids);
    free(f->obj_pages);
    memset(f, 0, sizeof *f);
}

int dash_frame_page_of(const dash_frame_t *f, uint64_t objective_id)
{
    for (size_t i = 0; i < f->nobjs; i++)
        if (f->obj_ids[i] == objective_id)
            return f->obj_pages[i];
    return -1;
}

static void layout__body(layout_t *L, const view_t *v, const sizes_t *z, dash_frame_t *f,
                         const slot_t *slots, size_t ns, dash_line_t *body)
{
    const dash_layout_opts_t *o = L->o;
    if (o->message && o->message[0]) {
        layout__message(L, o->message, body, z->body);
        return;
    }
    if (v->n == 0) {
        layout__message(L,
                        L->m->complete ? "No objectives to show in this cycle yet."
                                       : "Waiting for the server…",
                        body, z->body);
        return;
    }
    for (size_t i = 0; i < ns; i++) {
        const slot_t *s = &slots[i];
        if (s->page != f->page)
            continue;
        const shown_t *sh = &v->objs[s->idx];
        if (s->header) {
            if (s->row < z->body)
                layout__group_header(L, sh, s->cont, &body[s->row]);
            continue;
        }
        for (int r = 0; r < z->card && s->row + r < z->body; r++)
            layout__card_row(L, v, z, sh, r, &body[s->row + r]);
    }
}

int dash_layout(const dash_model_t *m, const dash_layout_opts_t *o, dash_frame_t *out)
{
    memset(out, 0, sizeof *out);
    int w = o->width > 0 ? o->width : 80, h = o->height > 0 ? o->height : 24;
    layout_t L = {.m = m, .o = o, .w = (size_t)w};
    view_t v;
    if (view__build(m, o, &v) != 0)
        return -1;
    sizes_t z;
    layout__sizes(h, &z);
    slot_t *slots = calloc(2 * v.n + 1, sizeof *slots);
    out->lines = calloc((size_t)h, sizeof *out->lines);
    out->obj_ids = calloc(v.n + 1, sizeof *out->obj_ids);
    out->obj_pages = calloc(v.n + 1, sizeof *out->obj_pages);
    out->width = w;
    out->height = h;
    if (!slots || !out->lines || !out->obj_ids || !out->obj_pages) {
        free(slots);
        view__free(&v);
        dash_frame_free(out);
        return -1;
    }
    size_t ns = layout__plan(&v, &z, slots, &out->npages);
    out->page = o->page >= 0 ? o->page % out->npages : 0;
    out->header_rows = z.header;
    out->body_rows = z.body;
    out->footer_rows = z.footer;
    for (size_t i = 0; i < ns; i++)
        if (!slots[i].header) {
            out->obj_ids[out->nobjs] = v.objs[slots[i].idx].d->o->id;
            out->obj_pages[out->nobjs] = slots[i].page;
            out->nobjs++;
        }
    if (z.header)
        layout__header(&L, &v, out->lines, z.header);
    layout__body(&L, &v, &z, out, slots, ns, out->lines + z.header);
    if (z.footer)
        layout__footer(&L, &z, out, out->lines + z.header + z.body);
    free(slots);
    view__free(&v);
    if (L.oom) {
        dash_frame_free(out);
        return -1;
    }
    return 0;
}

char *dash_frame_text(const dash_frame_t *f)
{
    size_t total = 1;
    for (int i = 0; i < f->height; i++)
        total += f->lines[i].len + 1;
    char *s = malloc(total), *p = s;
    if (!s)
        return NULL;
    for (int i = 0; i < f->height; i++) {
        size_t n = f->lines[i].len;
        while (n > 0 && f->lines[i].text[n - 1] == ' ')
            n--;
        if (n)
            memcpy(p, f->lines[i].text, n);
        p += n;
        *p++ = '\n';
    }
    *p = '\0';
    return s;
}
