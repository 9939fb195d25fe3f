/* cmd_tree.c — okr tree: the alignment tree of a cycle, from the company's
 * objectives down to people's, with progress bars, status, owners and how
 * each figure rolls up; --live keeps it current from pushed changes.
 *
 * Under each objective come its key results (with their weight share, "w
 * 2/5"); a key result linked to an aligned objective carries that objective
 * (and its subtree) under it, since that is where its progress comes from;
 * the other aligned objectives follow. Columns line up by display width, so
 * Chinese titles (two columns a character) stay in line.
 *
 * --live subscribes to the cycle over a live connection (live.h: reconnects
 * and resumes by itself), loads the tree over that same connection, and
 * applies each pushed change to the records it holds (the entity's new state,
 * and the progress of every objective the change moved); a redraw follows at
 * most every quarter second. After a reconnect the tree is loaded again, so
 * anything missed while away is right.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cmd_kit.h"
#include "live.h"
#include "okr_error.h"
#include "validate.h"
#include "view_model.h"

#ifndef OKR_VERSION
#define OKR_VERSION "0.0.0"
#endif

enum {
    OPT_CYCLE = OKR_OPT_FIRST_COMMAND_OPT,
    OPT_TEAM,
    OPT_DEPTH,
    OPT_LIVE,
    OPT_FOR,
    OPT_TREND,
};

#define TREE_TITLE_W   44 /* display columns of a title */
#define TREE_BAR_W     10
#define TREE_TREND_W   8  /* --trend: the last 8 weeks */
#define TREE_MAX_LEVEL 64 /* deeper alignment is cut with a note */
#define TREE_SLICE_MS  250u
#define TREE_MAX_FOR_S (366.0 * 86400.0)
#define SGR_FAINT      "2"

static const char tree_usage[] =
    "Usage: okr tree [--cycle C] [--team T] [--depth N] [--trend]\n"
    "                [--live [--for SECONDS]]\n"
    "\n"
    "Shows the alignment tree of a cycle: the company's objectives, and under\n"
    "each the key results that measure it and the objectives aligned to it,\n"
    "down to people's. Each line has a progress bar, the status (on track, at\n"
    "risk, off track; the score once the cycle is closed) and the owner, a\n"
    "person or a team (team).\n"
    "\n"
    "How the figures roll up: an objective's progress is the weighted mean of\n"
    "its key results, and each key result shows its share of the weight\n"
    "(\"w 2/5\"); a key result linked to an aligned objective (\"<- O7\") takes\n"
    "that objective's progress, and the objective is drawn under it; an\n"
    "objective without key results takes the plain mean of its aligned\n"
    "objectives (\"mean of 3 children\").\n"
    "\n"
    "Options:\n"
    "  --cycle CYCLE    the cycle (default: the current one)\n"
    "  --team TEAM      only the objectives of TEAM and those aligned below\n"
    "                   them, with the path up to the company's (faint)\n"
    "  --depth N        show N levels of objectives (1: the top ones only)\n"
    "  --trend          each objective's last weeks as a sparkline beside its\n"
    "                   bar, ending at its progress now (--json: \"trend\")\n"
    "  --live           keep the tree on screen and redraw it as changes are\n"
    "                   committed; Ctrl-C to stop\n"
    "  --for SECONDS    with --live: stop after this long\n"
    "  --json           the tree as nested JSON: each objective with its\n"
    "                   key_results and children (with --live: one compact\n"
    "                   object a line, at each change)\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr tree\n"
    "  okr tree --cycle 2026-Q1 --depth 2\n"
    "  okr tree --team 销售部\n"
    "  okr tree --live\n"
    "  okr tree --depth 2 --trend\n"
    "  okr tree --json | jq '.objectives[].title'\n";

typedef struct tree_opts {
    const char *cycle, *team;
    int depth; /* 0: all */
    int live;
    int trend; /* --trend: load and show the objectives' trends */
    uint64_t for_ms;
} tree_opts_t;

/* One line of the tree. */
typedef struct tree_row {
    char *prefix; /* box drawing, owned */
    int is_kr;
    int context;   /* an ancestor shown as the path to the selection */
    size_t obj;    /* objective index */
    size_t kr;     /* key result index, when is_kr */
    size_t hidden; /* a note: this many aligned objectives below (--depth) */
} tree_row_t;

typedef struct tree {
    okr_cli_t *cli;
    const okr_view_t *v;
    const char *mark; /* --team selection, NULL: everything */
    int depth;
    int trend; /* a TREND column */
    tree_row_t *rows;
    size_t n, cap;
    int nomem;
} tree_t;

static volatile sig_atomic_t tree_stop;

static void tree__on_signal(int sig)
{
    (void)sig;
    tree_stop = 1;
}

/* ---------------------------------------------------------------- options */

static int tree__opt(okr_cli_t *cli, int opt, void *arg)
{
    tree_opts_t *o = arg;
    switch (opt) {
    case OPT_CYCLE:
        o->cycle = optarg;
        return -1;
    case OPT_TEAM:
        o->team = optarg;
        return -1;
    case OPT_DEPTH: {
        char *end;
        errno = 0;
        long d = strtol(optarg, &end, 10);
        if (errno || end == optarg || *end || d < 1 || d > 1000)
            return okr_cli_usage_error(cli, "--depth takes a number of levels from 1, not '%s'",
                                       optarg);
        o->depth = (int)d;
        return -1;
    }
    case OPT_LIVE:
        o->live = 1;
        return -1;
    case OPT_TREND:
        o->trend = 1;
        return -1;
    case OPT_FOR: {
        double s;
        if (okr_kit_parse_number(optarg, &s) != 0 || !(s > 0) || s > TREE_MAX_FOR_S)
            return okr_cli_usage_error(cli, "--for takes seconds (more than 0), not '%s'", optarg);
        o->for_ms = (uint64_t)(s * 1000.0 + 0.5);
        if (!o->for_ms)
            o->for_ms = 1;
        return -1;
    }
    }
    return OKR_EXIT_USAGE;
}

/* ---------------------------------------------------------------- rows */

static void tree__rows_free(tree_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->rows[i].prefix);
    free(t->rows);
    t->rows = NULL;
    t->n = t->cap = 0;
}

static void tree__add(tree_t *t, const char *prefix, const char *branch, tree_row_t row)
{
    if (t->nomem)
        return;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        tree_row_t *grown = realloc(t->rows, cap * sizeof *grown);
        if (!grown) {
            t->nomem = 1;
            return;
        }
        t->rows = grown;
        t->cap = cap;
    }
    size_t a = strlen(prefix), b = strlen(branch);
    row.prefix = malloc(a + b + 1);
    if (!row.prefix) {
        t->nomem = 1;
        return;
    }
    memcpy(row.prefix, prefix, a);
    memcpy(row.prefix + a, branch, b + 1);
    t->rows[t->n++] = row;
}

/* "lead" + piece into a new string (NULL when out of memory). */
static char *tree__join(tree_t *t, const char *lead, const char *piece)
{
    size_t a = strlen(lead), b = strlen(piece);
    char *s = malloc(a + b + 1);
    if (!s) {
        t->nomem = 1;
        return NULL;
    }
    memcpy(s, lead, a);
    memcpy(s + a, piece, b + 1);
    return s;
}

static int tree__shown(const tree_t *t, size_t i)
{
    return !t->mark || t->mark[i] != 0;
}

/* The aligned child of o that key result k is linked to, or -1. */
static long tree__linked_kid(const tree_t *t, const okr_view_obj_t *o, const okr_view_kr_t *k)
{
    if (!k->kr->linked_objective_id)
        return -1;
    for (size_t c = 0; c < o->nkids; c++)
        if (t->v->objs[o->kids[c]].o->id == k->kr->linked_objective_id)
            return (long)o->kids[c];
    return -1;
}

/* 1 if child c of o is carried by one of o's key results. */
static int tree__carried(const tree_t *t, const okr_view_obj_t *o, size_t c)
{
    for (size_t k = 0; k < o->nkrs; k++)
        if (tree__linked_kid(t, o, &o->krs[k]) == (long)c)
            return 1;
    return 0;
}

static void tree__walk(tree_t *t, size_t i, const char *lead, int level);

/* An objective's line and everything under it. */
static void tree__objective(tree_t *t, size_t c, const char *prefix, const char *branch,
                            const char *lead, int level)
{
    tree_row_t row = {.obj = c, .context = t->mark && t->mark[c] == 1};
    tree__add(t, prefix, branch, row);
    tree__walk(t, c, lead, level);
}

/* The lines under objective i (level: i's level, 1 for a root). */
static void tree__walk(tree_t *t, size_t i, const char *lead, int level)
{
    const okr_view_obj_t *o = &t->v->objs[i];
    int context = t->mark && t->mark[i] == 1;
    int kids_shown = (!t->depth || level < t->depth) && level < TREE_MAX_LEVEL;
    /* What goes under o, in order: key results (each with the child it is
     * linked to), then the other children. */
    size_t nkr = context ? 0 : o->nkrs, nkid = 0, hidden = 0;
    for (size_t c = 0; c < o->nkids; c++) {
        if (!tree__shown(t, o->kids[c]) || (!context && tree__carried(t, o, o->kids[c])))
            continue;
        if (kids_shown)
            nkid++;
        else
            hidden++;
    }
    size_t total = nkr + nkid + (hidden ? 1 : 0), at = 0;
    for (size_t k = 0; k < nkr && !t->nomem; k++, at++) {
        int last = at + 1 == total;
        tree_row_t row = {.is_kr = 1, .obj = i, .kr = k};
        tree__add(t, lead, last ? "\u2514\u2500 " : "\u251c\u2500 ", row);
        long c = tree__linked_kid(t, o, &o->krs[k]);
        if (c < 0 || !tree__shown(t, (size_t)c))
            continue;
        char *under = tree__join(t, lead, last ? "   " : "\u2502  ");
        if (!under)
            return;
        if (kids_shown) {
            char *inner = tree__join(t, under, "   ");
            if (inner)
                tree__objective(t, (size_t)c, under, "\u2514\u2500 ", inner, level + 1);
            free(inner);
        } else {
            tree_row_t note = {.obj = i, .hidden = 1};
            tree__add(t, under, "\u2514\u2500 ", note);
        }
        free(under);
    }
    for (size_t c = 0; c < o->nkids && kids_shown && !t->nomem; c++) {
        size_t kid = o->kids[c];
        if (!tree__shown(t, kid) || (!context && tree__carried(t, o, kid)))
            continue;
        int last = at + 1 == total;
        at++;
        char *inner = tree__join(t, lead, last ? "   " : "\u2502  ");
        if (inner)
            tree__objective(t, kid, lead, last ? "\u2514\u2500 " : "\u251c\u2500 ", inner,
                            level + 1);
        free(inner);
    }
    if (hidden) {
        tree_row_t note = {.obj = i, .hidden = hidden};
        tree__add(t, lead, "\u2514\u2500 ", note);
    }
}

static int tree__build(tree_t *t)
{
    const okr_view_t *v = t->v;
    for (size_t r = 0; r < v->nroots && !t->nomem; r++) {
        size_t i = v->roots[r];
        if (!tree__shown(t, i))
            continue;
        tree__objective(t, i, "", "", "", 1);
    }
    return t->nomem ? -1 : 0;
}

/* ---------------------------------------------------------------- text */

/* One row's cells as plain text (no colour). */
typedef struct tree_cells {
    char left[1024];  /* prefix, id, title */
    char rollup[128]; /* "w 2/5", "mean of 3 children" */
    double progress;
    Okr__ProgressStatus bar_status; /* the colour of the bar's filled part */
    char status[64];
    char owner[300];
    const char *status_sgr;
    char spark[3 * TREE_TREND_W + 1]; /* --trend: an objective's last weeks; "" for others */
} tree_cells_t;

static void tree__title(const char *title, size_t width, char *buf, size_t len)
{
    char *safe = okr_cli_sanitize(title, 0);
    okr_render_truncate(safe ? safe : "?", width, buf, len);
    free(safe);
}

static void tree__name(const char *name, char *buf, size_t len)
{
    char *safe = okr_cli_sanitize(name ? name : "-", 0);
    snprintf(buf, len, "%s", safe ? safe : "?");
    free(safe);
}

/* The status whose colour is a grade's: green, yellow, red. */
static Okr__ProgressStatus tree__grade_status(double score)
{
    switch (okr_score_grade(score)) {
    case OKR_GRADE_GREEN:
        return OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK;
    case OKR_GRADE_YELLOW:
        return OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK;
    default:
        return OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK;
    }
}

static void tree__cells(const tree_t *t, const tree_row_t *row, tree_cells_t *c)
{
    const okr_view_t *v = t->v;
    const okr_view_obj_t *o = &v->objs[row->obj];
    char ref[32], title[600], name[256];
    memset(c, 0, sizeof *c);
    if (row->hidden) {
        snprintf(c->left, sizeof c->left, "%s\u2026 %zu aligned objective%s below (--depth)",
                 row->prefix, row->hidden, row->hidden == 1 ? "" : "s");
        return;
    }
    if (row->is_kr) {
        const okr_view_kr_t *k = &o->krs[row->kr];
        tree__title(k->kr->title, TREE_TITLE_W, title, sizeof title);
        snprintf(c->left, sizeof c->left, "%s%s  %s", row->prefix,
                 okr_ref_format(OKR_REF_KEY_RESULT, k->kr->id, ref, sizeof ref), title);
        char share[64];
        okr_view_share_label(o, k, share, sizeof share);
        if (k->kr->linked_objective_id)
            snprintf(
                c->rollup, sizeof c->rollup, "w %s \u2190 %s", share,
                okr_ref_format(OKR_REF_OBJECTIVE, k->kr->linked_objective_id, ref, sizeof ref));
        else
            snprintf(c->rollup, sizeof c->rollup, "w %s", share);
        c->progress = k->kr->progress;
        c->bar_status = k->status;
        if (!okr_view_closed(v)) {
            snprintf(c->status, sizeof c->status, "%s", okr_status_name(k->status));
            c->status_sgr = okr_render_status_sgr(k->status);
        } else {
            c->bar_status = tree__grade_status(k->kr->progress);
        }
        tree__name(k->owner, c->owner, sizeof c->owner);
        return;
    }
    tree__title(o->o->title, TREE_TITLE_W, title, sizeof title);
    snprintf(c->left, sizeof c->left, "%s%s  %s%s", row->prefix,
             okr_ref_format(OKR_REF_OBJECTIVE, o->o->id, ref, sizeof ref), title,
             o->o->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_DRAFT ? " (draft)" : "");
    if (!o->nkrs && o->nkids)
        snprintf(c->rollup, sizeof c->rollup, "mean of %zu child%s", o->nkids,
                 o->nkids == 1 ? "" : "ren");
    else if (!o->nkrs)
        snprintf(c->rollup, sizeof c->rollup, "no key results");
    c->progress = o->o->progress;
    c->bar_status = o->o->status;
    if (t->trend) /* ending at the progress now: a live tree's too */
        okr_render_spark_recent(o->trend, o->ntrend, TREE_TREND_W, o->o->progress, c->spark,
                                sizeof c->spark);
    if (okr_view_closed(v)) {
        okr_grade_t g = okr_score_grade(o->o->score);
        /* once scored, the bar takes the grade's colour */
        c->bar_status = tree__grade_status(o->o->score);
        char num[16];
        snprintf(c->status, sizeof c->status, "%s %s",
                 okr_render_score_num(o->o->score, num, sizeof num), okr_grade_name(g));
        c->status_sgr = okr_render_grade_sgr(g);
    } else {
        snprintf(c->status, sizeof c->status, "%s", okr_status_name(o->o->status));
        c->status_sgr = okr_render_status_sgr(o->o->status);
    }
    tree__name(o->owner, name, sizeof name);
    snprintf(c->owner, sizeof c->owner, "%s%s", name, o->owner_team ? " (team)" : "");
}

static void tree__pad(FILE *out, size_t have, size_t want)
{
    for (; have < want; have++)
        fputc(' ', out);
}

/* Prints s, coloured with sgr when colour is on. */
static void tree__put(FILE *out, const char *s, const char *sgr, int color)
{
    if (color && sgr)
        fprintf(out, "\033[%sm%s\033[0m", sgr, s);
    else
        fputs(s, out);
}

static void tree__header(const tree_t *t, FILE *out, const char *team, size_t shown)
{
    const okr_view_t *v = t->v;
    char a[32], b[32];
    char *name = okr_cli_sanitize(v->cycle->name, 0);
    fprintf(out, "%s  %s, %s .. %s", name ? name : "?", okr_kit_cycle_state_name(v->cycle->state),
            okr_render_date(v->cycle->start_at, a, sizeof a),
            okr_render_date(v->cycle->end_at, b, sizeof b));
    free(name);
    if (okr_view_closed(v))
        fprintf(out, ", scores final");
    else
        fprintf(out, ", %d%% of the cycle gone", okr_render_pct(v->expected));
    if (team) {
        char *safe = okr_cli_sanitize(team, 0);
        fprintf(out, "  \u00b7  team %s: %zu objective%s", safe ? safe : "?", shown,
                shown == 1 ? "" : "s");
        free(safe);
    } else {
        fprintf(out, "  \u00b7  %zu objective%s", v->n, v->n == 1 ? "" : "s");
    }
    fputs("\n\n", out);
}

static int tree__print(tree_t *t, FILE *out, int color)
{
    tree_cells_t *cells = calloc(t->n ? t->n : 1, sizeof *cells);
    if (!cells)
        return -1;
    size_t wl = 0, wr = 0, ws = 0;
    for (size_t r = 0; r < t->n; r++) {
        tree__cells(t, &t->rows[r], &cells[r]);
        if (t->rows[r].hidden)
            continue;
        size_t w = okr_display_width(cells[r].left);
        wl = w > wl ? w : wl;
        w = okr_display_width(cells[r].rollup);
        wr = w > wr ? w : wr;
        w = okr_display_width(cells[r].status);
        ws = w > ws ? w : ws;
    }
    for (size_t r = 0; r < t->n; r++) {
        const tree_row_t *row = &t->rows[r];
        const tree_cells_t *c = &cells[r];
        /* a blank line between the trees of two top objectives */
        if (r > 0 && row->prefix[0] == '\0' && !row->is_kr && !row->hidden)
            fputc('\n', out);
        const char *faint = row->context ? SGR_FAINT : NULL;
        tree__put(out, c->left, faint, color);
        if (row->hidden) {
            fputc('\n', out);
            continue;
        }
        tree__pad(out, okr_display_width(c->left), wl + 2);
        fputs(c->rollup, out);
        tree__pad(out, okr_display_width(c->rollup), wr + 2);
        char bar[128];
        okr_render_bar(c->progress, TREE_BAR_W,
                       color ? c->bar_status : OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED,
                       bar, sizeof bar);
        fputs(bar, out);
        fputs("  ", out);
        if (t->trend) {
            fputs(c->spark, out);
            tree__pad(out, okr_display_width(c->spark), TREE_TREND_W + 2);
        }
        tree__put(out, c->status, c->status_sgr, color);
        tree__pad(out, okr_display_width(c->status), ws + 2);
        fprintf(out, "%s\n", c->owner);
    }
    free(cells);
    return 0;
}

/* ---------------------------------------------------------------- JSON */

static json_t *tree__node_json(const tree_t *t, size_t i, int level)
{
    const okr_view_obj_t *o = &t->v->objs[i];
    int context = t->mark && t->mark[i] == 1;
    json_t *j = okr_view_objective_json(t->v, o, !context);
    json_t *kids = json_array();
    if (!j || !kids) {
        json_decref(j);
        json_decref(kids);
        return NULL;
    }
    int kids_shown = (!t->depth || level < t->depth) && level < TREE_MAX_LEVEL;
    size_t hidden = 0;
    int bad = 0;
    for (size_t c = 0; c < o->nkids && !bad; c++) {
        if (!tree__shown(t, o->kids[c]))
            continue;
        if (!kids_shown) {
            hidden++;
            continue;
        }
        if (json_array_append_new(kids, tree__node_json(t, o->kids[c], level + 1)) != 0)
            bad = 1;
    }
    if (bad || json_object_set_new(j, "children", kids) != 0 ||
        json_object_set_new(j, "hidden_children", json_integer((json_int_t)hidden)) != 0 ||
        (context && json_object_set_new(j, "context", json_true()) != 0)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static json_t *tree__json(const tree_t *t, const char *team)
{
    json_t *roots = json_array();
    for (size_t r = 0; roots && r < t->v->nroots; r++) {
        size_t i = t->v->roots[r];
        if (tree__shown(t, i) && json_array_append_new(roots, tree__node_json(t, i, 1)) != 0) {
            json_decref(roots);
            roots = NULL;
        }
    }
    json_t *cycle = okr_view_cycle_json(t->v);
    if (!roots || !cycle) {
        json_decref(roots);
        json_decref(cycle);
        return NULL;
    }
    return json_pack("{s:o, s:o, s:o}", "cycle", cycle, "team",
                     team ? json_string(team) : json_null(), "objectives", roots);
}

/* ---------------------------------------------------------------- drawing */

typedef struct tree_ctx {
    okr_cli_t *cli;
    tree_opts_t opts;
    uint64_t cycle_id, team_id;
    const char *team_name;
} tree_ctx_t;

/* Renders v into out (text or JSON) as the options say. 0 or -1 (memory). */
static int tree__render(const tree_ctx_t *x, const okr_view_t *v, FILE *out, int color, int compact)
{
    char *mark = NULL;
    size_t shown = v->n;
    if (x->team_id) {
        mark = malloc(v->n ? v->n : 1);
        if (!mark)
            return -1;
        shown = okr_view_select_team(v, x->team_id, mark);
    }
    tree_t t = {
        .cli = x->cli, .v = v, .mark = mark, .depth = x->opts.depth, .trend = x->opts.trend};
    int rc = 0;
    if (x->cli->json) {
        json_t *j = tree__json(&t, x->team_name);
        char *text = j ? json_dumps(j, compact ? JSON_COMPACT : JSON_INDENT(2)) : NULL;
        if (text)
            fprintf(out, "%s\n", text);
        else
            rc = -1;
        free(text);
        json_decref(j);
    } else if (tree__build(&t) != 0) {
        rc = -1;
    } else {
        tree__header(&t, out, x->team_name, shown);
        if (v->n == 0)
            fprintf(out, "No objectives in this cycle yet: okr obj add \"TITLE\" --cycle NAME\n");
        else if (x->team_id && shown == 0)
            fprintf(out, "The team has no objectives in this cycle.\n");
        else
            rc = tree__print(&t, out, color);
    }
    tree__rows_free(&t);
    free(mark);
    return rc;
}

/* ---------------------------------------------------------------- live */

typedef struct tree_live {
    tree_ctx_t *x;
    okr_live_t *live;
    okr_view_t view;
    int have_view;
    Okr__Event **queue;
    size_t nqueue, capqueue;
    int reload, dirty, nomem, reconnecting;
    uint64_t last_seq;
    int64_t last_time;
    uint64_t frames;
} tree_live_t;

static void tree__on_event(void *arg, const Okr__Event *ev)
{
    tree_live_t *l = arg;
    if (!ev->change)
        return;
    if (l->nqueue == l->capqueue) {
        size_t cap = l->capqueue ? l->capqueue * 2 : 16;
        Okr__Event **q = realloc(l->queue, cap * sizeof *q);
        if (!q) {
            l->reload = 1; /* whatever is lost, a reload brings back */
            return;
        }
        l->queue = q;
        l->capqueue = cap;
    }
    Okr__Event *copy = okr_view_dup(&ev->base);
    if (!copy) {
        l->reload = 1;
        return;
    }
    l->queue[l->nqueue++] = copy;
}

static void tree__on_state(void *arg, okr_live_state_t st, const char *detail,
                           uint64_t ms_since_last_event)
{
    tree_live_t *l = arg;
    (void)ms_since_last_event;
    if (st == OKR_LIVE_CONNECTED) {
        l->reconnecting = 0;
        l->reload = 1;
    } else if (!l->reconnecting) {
        /* once per outage: the footer says so; each failed attempt does not */
        if (!l->x->cli->json) {
            char *why = okr_cli_sanitize(detail ? detail : "", 0);
            fprintf(stderr, "okr: reconnecting\u2026 %s\n", why ? why : "");
            free(why);
        }
        l->reconnecting = 1;
        l->dirty = 1;
    }
}

/* Applies the queued changes to the view. */
static void tree__drain(tree_live_t *l)
{
    okr_cli_t *cli = l->x->cli;
    for (size_t i = 0; i < l->nqueue; i++) {
        Okr__Event *ev = l->queue[i];
        if (l->have_view && !l->reload) {
            int rc = okr_view_apply(cli, &l->view, ev->change);
            if (rc < 0 || rc == OKR_VIEW_RELOAD)
                l->reload = 1;
            else if (rc == OKR_VIEW_CHANGED)
                l->dirty = 1;
        }
        if (ev->seq > l->last_seq && !ev->snapshot) {
            l->last_seq = ev->seq;
            l->last_time = ev->change->time;
        }
        okr__event__free_unpacked(ev, NULL);
    }
    l->nqueue = 0;
}

/* The trends fresh came without (the server was too busy this time) are
 * taken from old: a sparkline stays rather than blinks out, its last point
 * drawn from the live progress anyway. */
static void tree__keep_trends(okr_view_t *fresh, okr_view_t *old)
{
    for (size_t i = 0; i < fresh->n; i++) {
        okr_view_obj_t *o = &fresh->objs[i], *was = okr_view_find(old, o->o->id);
        if (o->trend || !was)
            continue;
        o->trend = was->trend;
        o->ntrend = was->ntrend;
        was->trend = NULL;
        was->ntrend = 0;
    }
}

/* Loads the view again over the live connection; keeps the old one when it
 * cannot. 0, or an exit code that ends the command. */
static int tree__reload(tree_live_t *l)
{
    okr_cli_t *cli = l->x->cli;
    if (!cli->client)
        return 0; /* not connected: after the reconnect */
    okr_view_t fresh;
    int flags = l->x->opts.trend ? OKR_VIEW_TRENDS | OKR_VIEW_TRENDS_QUIET : 0;
    int rc = okr_view_load(cli, l->x->cycle_id, flags, &fresh);
    if (rc == OKR_EXIT_CONNECT)
        return 0; /* the connection went: the reconnect reloads */
    if (rc)
        return rc;
    if (l->have_view) {
        tree__keep_trends(&fresh, &l->view);
        okr_view_free(&l->view);
    }
    l->view = fresh;
    l->have_view = 1;
    l->reload = 0;
    l->dirty = 1;
    return 0;
}

static void tree__frame(tree_live_t *l)
{
    okr_cli_t *cli = l->x->cli;
    int tty = !cli->json && isatty(STDOUT_FILENO);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return;
    if (tty)
        fputs("\033[H\033[2J", mem);
    else if (l->frames > 0 && !cli->json)
        fputc('\n', mem);
    int rc = tree__render(l->x, &l->view, mem, tty && okr_render_color(), 1);
    if (!cli->json) {
        char when[64] = "-";
        if (l->last_time > 0) {
            time_t t = (time_t)(l->last_time / 1000);
            struct tm tm;
            if (localtime_r(&t, &tm))
                strftime(when, sizeof when, "%H:%M:%S", &tm);
        }
        fprintf(mem, "\n%s", l->reconnecting ? "reconnecting\u2026" : "live");
        if (l->last_seq)
            fprintf(mem, " \u00b7 last change %llu at %s", (unsigned long long)l->last_seq, when);
        fprintf(mem, " \u00b7 Ctrl-C to stop\n");
    }
    fclose(mem);
    if (rc == 0)
        fwrite(text, 1, len, stdout);
    fflush(stdout);
    free(text);
    l->frames++;
    l->dirty = 0;
}

static int tree__live_fatal(okr_cli_t *cli, int rc, const char *msg)
{
    if (rc == OKR_E_UNAUTHENTICATED)
        return okr_cli_fail(cli, OKR_EXIT_AUTH, "UNAUTHENTICATED",
                            "%s\nThe session expired or was revoked \u2014 run: okr login", msg);
    return okr_cli_fail_err(cli, rc, "%s", msg);
}

static int tree__live_loop(tree_live_t *l, uint64_t for_ms)
{
    okr_cli_t *cli = l->x->cli;
    uint64_t end = for_ms ? okr_mono_ms() + for_ms : 0;
    int rc = 0;
    while (!tree_stop && rc == 0) {
        uint32_t slice = TREE_SLICE_MS;
        if (end) {
            uint64_t now = okr_mono_ms();
            if (now >= end)
                break;
            if (end - now < slice)
                slice = (uint32_t)(end - now);
        }
        int lrc = okr_live_run(l->live, slice);
        if (lrc)
            return tree__live_fatal(cli, lrc, okr_live_error(l->live));
        cli->client = okr_live_client(l->live);
        tree__drain(l);
        if (l->reload)
            rc = tree__reload(l);
        cli->client = NULL;
        if (rc == 0 && l->dirty && l->have_view)
            tree__frame(l);
    }
    return rc;
}

static int tree__live(tree_ctx_t *x)
{
    okr_cli_t *cli = x->cli;
    tree_live_t l = {.x = x};
    okr_live_opts_t opts = {
        .conn =
            {
                .host = cli->host,
                .port = cli->port,
                .ca_file = cli->ca_file,
                .trust_new = cli->trust_new,
                .timeout_ms = cli->timeout_ms,
                .client_name = "okr " OKR_VERSION " tree",
            },
        .token = cli->session.token,
        .on_event = tree__on_event,
        .on_state = tree__on_state,
        .arg = &l,
    };
    /* The first connection was for names; the live one takes over. */
    okr_client_free(cli->client);
    cli->client = NULL;
    char err[4096];
    int rc = okr_live_new(&l.live, &opts, err, sizeof err);
    if (rc)
        return tree__live_fatal(cli, rc, err);
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = OKR__SCOPE_KIND__SCOPE_KIND_CYCLE;
    scope.id = x->cycle_id;
    /* Subscribe first, then load: a change committed in between arrives as
     * an event and is applied over what was loaded. */
    rc = okr_live_subscribe(l.live, &scope, 0);
    if (rc) {
        rc = tree__live_fatal(cli, rc, okr_live_error(l.live));
    } else {
        cli->client = okr_live_client(l.live);
        rc = tree__reload(&l);
        cli->client = NULL;
    }
    if (rc == 0) {
        struct sigaction sa, old_int, old_term;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = tree__on_signal;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        tree_stop = 0;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        if (l.have_view)
            tree__frame(&l);
        rc = tree__live_loop(&l, x->opts.for_ms);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    cli->client = NULL;
    for (size_t i = 0; i < l.nqueue; i++)
        okr__event__free_unpacked(l.queue[i], NULL);
    free(l.queue);
    if (l.have_view)
        okr_view_free(&l.view);
    okr_live_free(l.live);
    return rc;
}

/* ---------------------------------------------------------------- command */

int okr_cmd_tree(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"cycle", required_argument, NULL, OPT_CYCLE},
                                             {"team", required_argument, NULL, OPT_TEAM},
                                             {"depth", required_argument, NULL, OPT_DEPTH},
                                             {"live", no_argument, NULL, OPT_LIVE},
                                             {"for", required_argument, NULL, OPT_FOR},
                                             {"trend", no_argument, NULL, OPT_TREND},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "tree";
    cli->usage = tree_usage;
    optind = 0;
    tree_ctx_t x = {.cli = cli};
    int rc = okr_kit_options(cli, argc, argv, "", longopts, tree__opt, &x.opts);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 0, 0, "");
    if (rc >= 0)
        return rc;
    if (x.opts.for_ms && !x.opts.live)
        return okr_cli_usage_error(cli, "--for goes with --live");
    if ((rc = okr_cli_connect_lazy(cli)) != 0)
        return rc;
    if ((rc = okr_view_cycle_arg(cli, x.opts.cycle, &x.cycle_id)) != 0)
        return rc;
    if (x.opts.team) {
        if ((rc = okr_ref_team(cli, x.opts.team, &x.team_id)) != 0)
            return rc;
        x.team_name = okr_ref_team_name(cli, x.team_id);
    }
    if (x.opts.live)
        return tree__live(&x);
    okr_view_t v;
    if ((rc = okr_view_load(cli, x.cycle_id, x.opts.trend ? OKR_VIEW_TRENDS : 0, &v)) != 0)
        return rc;
    if (tree__render(&x, &v, stdout, okr_render_color(), 0) != 0)
        rc = okr_kit_nomem(cli);
    okr_view_free(&v);
    return rc;
}
