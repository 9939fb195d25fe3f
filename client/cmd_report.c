/* cmd_report.c — okr report: the end-of-cycle report. Scores by team (how
 * many objectives, the average score and its grade), then every objective
 * with its kind and what that kind expects (committed 1.0, aspirational
 * about 0.7), its score and grade, and the notes people left: why a score
 * was overridden, and the retrospective.
 *
 * An objective counts for the team that owns it, else for the team it
 * belongs to; a person's objective outside any team is listed under "no
 * team". Before the cycle is closed the report still runs, on provisional
 * scores (each objective's progress), and says so.
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_kit.h"
#include "complete.h"
#include "export.h"
#include "view_model.h"

enum {
    OPT_CYCLE = OKR_OPT_FIRST_COMMAND_OPT,
    OPT_FORMAT,
    OPT_MD,
};

static const char report_usage[] =
    "Usage: okr report [--cycle C] [--format text|md]\n"
    "\n"
    "The end-of-cycle report, for the retrospective OKR practice holds at the\n"
    "end of every cycle: scores by team (objectives, average score, grade),\n"
    "then each team's objectives with their kind, score and grade, how they\n"
    "got there week by week (a sparkline), and the notes left on them (score\n"
    "overrides and retrospectives).\n"
    "\n"
    "Grades (Google's scale): red below 0.4, yellow below 0.7, green from 0.7.\n"
    "A committed objective is expected to reach 1.0; an aspirational one about\n"
    "0.7. Until the cycle is closed (okr cycle close), the scores shown are\n"
    "provisional: each objective's progress so far.\n"
    "\n"
    "Options:\n"
    "  --cycle CYCLE     the cycle (default: the one closed last, else the\n"
    "                    current one)\n"
    "  --format FORMAT   text (default) or md (Markdown, to paste into a wiki)\n"
    "  --md              the same as --format md\n"
    "  --json            the report as JSON\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr report\n"
    "  okr report --cycle 2026-Q1 --format md > q1-report.md\n"
    "  okr report --json | jq '.teams[] | {name, average}'\n";

typedef struct report_item {
    const okr_view_obj_t *o;
    double score;
} report_item_t;

typedef struct report_team {
    uint64_t id; /* 0: no team */
    const char *name;
    report_item_t *items;
    size_t n, cap;
    double sum;
} report_team_t;

typedef struct report {
    const okr_view_t *v;
    int final;
    report_team_t *teams;
    size_t nteams, capteams;
    size_t n;
    double sum;
    size_t committed, committed_met, aspirational, aspirational_met;
} report_t;

/* ---------------------------------------------------------------- figures */

static double report__score(const report_t *r, const okr_view_obj_t *o)
{
    double s = r->final || o->o->score_overridden ? o->o->score : o->o->progress;
    return isfinite(s) ? okr_clamp01(s) : 0.0;
}

static int report__met(const okr_view_obj_t *o, double score)
{
    return score + 1e-9 >= okr_score_expected(o->o->kind);
}

static double report__avg(double sum, size_t n)
{
    return n ? sum / (double)n : 0.0;
}

static report_team_t *report__team(okr_cli_t *cli, report_t *r, uint64_t id)
{
    for (size_t i = 0; i < r->nteams; i++)
        if (r->teams[i].id == id)
            return &r->teams[i];
    if (r->nteams == r->capteams) {
        size_t cap = r->capteams ? r->capteams * 2 : 8;
        report_team_t *grown = realloc(r->teams, cap * sizeof *grown);
        if (!grown)
            return NULL;
        r->teams = grown;
        r->capteams = cap;
    }
    report_team_t *t = &r->teams[r->nteams++];
    memset(t, 0, sizeof *t);
    t->id = id;
    t->name = id ? okr_ref_team_name(cli, id) : "no team";
    return t;
}

static int report__cmp_team(const void *a, const void *b)
{
    const report_team_t *x = a, *y = b;
    if (!x->id != !y->id)
        return x->id ? -1 : 1; /* "no team" last */
    return strcmp(x->name, y->name);
}

static int report__build(okr_cli_t *cli, const okr_view_t *v, report_t *r)
{
    memset(r, 0, sizeof *r);
    r->v = v;
    r->final = okr_view_closed(v);
    for (size_t k = 0; k < v->n; k++) {
        const okr_view_obj_t *o = &v->objs[v->order[k]];
        uint64_t team = o->o->owner_team_id ? o->o->owner_team_id : o->o->team_id;
        report_team_t *t = report__team(cli, r, team);
        if (!t)
            return -1;
        if (t->n == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 8;
            report_item_t *grown = realloc(t->items, cap * sizeof *grown);
            if (!grown)
                return -1;
            t->items = grown;
            t->cap = cap;
        }
        double s = report__score(r, o);
        t->items[t->n++] = (report_item_t){o, s};
        t->sum += s;
        r->n++;
        r->sum += s;
        if (o->o->kind == OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL) {
            r->aspirational++;
            r->aspirational_met += (size_t)report__met(o, s);
        } else {
            r->committed++;
            r->committed_met += (size_t)report__met(o, s);
        }
    }
    if (r->nteams > 1)
        qsort(r->teams, r->nteams, sizeof *r->teams, report__cmp_team);
    return 0;
}

static void report__free(report_t *r)
{
    for (size_t i = 0; i < r->nteams; i++)
        free(r->teams[i].items);
    free(r->teams);
}

/* "met", "short of 1.0" */
static const char *report__verdict(const report_item_t *it, char *buf, size_t len)
{
    double want = okr_score_expected(it->o->o->kind);
    if (report__met(it->o, it->score))
        snprintf(buf, len, "%s", want >= 1.0 ? "reached 1.0" : "reached 0.7");
    else
        snprintf(buf, len, "short of %.1f", want);
    return buf;
}

/* ---------------------------------------------------------------- text */

typedef struct report_colors {
    const char **sgr; /* per row */
    size_t col;
} report_colors_t;

static const char *report__color(void *arg, size_t row, size_t col)
{
    const report_colors_t *c = arg;
    return row && col == c->col ? c->sgr[row] : NULL;
}

static int report__table(okr_cli_t *cli, okr_cli_table_t *t, const char **sgr, size_t col)
{
    report_colors_t colors = {sgr, col};
    okr_render_table_print(t, stdout, report__color, &colors);
    okr_cli_table_free(t);
    free(sgr);
    (void)cli;
    return OKR_EXIT_OK;
}

static int report__text_teams(okr_cli_t *cli, const report_t *r)
{
    static const char *const header[] = {"TEAM", "OBJECTIVES", "AVERAGE", "GRADE"};
    okr_cli_table_t t;
    const char **sgr = calloc(r->nteams + 1, sizeof *sgr);
    if (!sgr || okr_cli_table_init(&t, 4, header) != 0) {
        free(sgr);
        return okr_kit_nomem(cli);
    }
    for (size_t i = 0; i < r->nteams; i++) {
        const report_team_t *tm = &r->teams[i];
        double avg = report__avg(tm->sum, tm->n);
        char n[32], a[32];
        snprintf(n, sizeof n, "%zu", tm->n);
        okr_render_score_num(avg, a, sizeof a);
        const char *row[] = {tm->name, n, a, okr_grade_name(okr_score_grade(avg))};
        sgr[i + 1] = okr_render_grade_sgr(okr_score_grade(avg));
        if (okr_cli_table_add(&t, row) != 0) {
            okr_cli_table_free(&t);
            free(sgr);
            return okr_kit_nomem(cli);
        }
    }
    return report__table(cli, &t, sgr, 3);
}

/* "  O3 retrospective: text", later lines indented under the first. */
static void report__note(uint64_t id, const char *label, const char *text)
{
    char ref[32];
    char *safe = okr_cli_sanitize(text, 1);
    printf("  %s %s: ", okr_ref_format(OKR_REF_OBJECTIVE, id, ref, sizeof ref), label);
    const char *p = safe ? safe : "?";
    for (const char *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
        printf("%.*s\n      ", (int)(nl - p), p);
    printf("%s\n", p);
    free(safe);
}

#define REPORT_SPARK_MAX 26 /* weeks: half a year */
#define REPORT_SPARK_SZ  (3 * REPORT_SPARK_MAX + 1)

/* How the objective got there, week by week ("" without a trend). */
static const char *report__spark(const report_item_t *it, char *buf, size_t len)
{
    const okr_view_obj_t *o = it->o;
    return okr_render_spark_recent(o->trend, o->ntrend, REPORT_SPARK_MAX, o->o->progress, buf, len);
}

static int report__text_team(okr_cli_t *cli, const report_team_t *tm)
{
    static const char *const header[] = {"ID",    "OBJECTIVE", "KIND",           "EXPECTS",
                                         "SCORE", "GRADE",     "OVER THE CYCLE", "RESULT"};
    okr_cli_table_t t;
    const char **sgr = calloc(tm->n + 1, sizeof *sgr);
    if (!sgr || okr_cli_table_init(&t, 8, header) != 0) {
        free(sgr);
        return okr_kit_nomem(cli);
    }
    for (size_t i = 0; i < tm->n; i++) {
        const report_item_t *it = &tm->items[i];
        const Okr__Objective *o = it->o->o;
        char id[32], title[512], want[16], score[32], verdict[64], result[96],
            spark[REPORT_SPARK_SZ];
        okr_ref_format(OKR_REF_OBJECTIVE, o->id, id, sizeof id);
        okr_render_truncate(o->title, OKR_KIT_TITLE_WIDTH, title, sizeof title);
        snprintf(want, sizeof want, "%.1f", okr_score_expected(o->kind));
        okr_render_score_num(it->score, score, sizeof score);
        snprintf(result, sizeof result, "%s%s", report__verdict(it, verdict, sizeof verdict),
                 o->score_overridden ? " (score overridden)" : "");
        const char *row[] = {id,
                             title,
                             okr_kit_kind_name(o->kind),
                             want,
                             score,
                             okr_grade_name(okr_score_grade(it->score)),
                             report__spark(it, spark, sizeof spark),
                             result};
        sgr[i + 1] = okr_render_grade_sgr(okr_score_grade(it->score));
        if (okr_cli_table_add(&t, row) != 0) {
            okr_cli_table_free(&t);
            free(sgr);
            return okr_kit_nomem(cli);
        }
    }
    report__table(cli, &t, sgr, 5);
    for (size_t i = 0; i < tm->n; i++) {
        const Okr__Objective *o = tm->items[i].o->o;
        int over = o->score_overridden, retro = o->retrospective && o->retrospective[0];
        if (!over && !retro)
            continue;
        if (over) {
            char why[64];
            snprintf(why, sizeof why, "score overridden (progress %d%%)",
                     okr_render_pct(o->progress));
            report__note(o->id, why, o->score_note);
        }
        if (retro)
            report__note(o->id, "retrospective", o->retrospective);
    }
    return OKR_EXIT_OK;
}

static int report__text(okr_cli_t *cli, const report_t *r)
{
    const okr_view_t *v = r->v;
    char date[32], score[64];
    printf("End-of-cycle report: ");
    okr_kit_puts(v->cycle->name);
    if (r->final)
        printf(" (closed %s)\n",
               okr_render_date(v->cycle->closed_at ? v->cycle->closed_at : v->cycle->end_at, date,
                               sizeof date));
    else
        printf(" (%s: provisional scores, from progress; final once the cycle is closed)\n",
               okr_kit_cycle_state_name(v->cycle->state));
    if (r->n == 0) {
        printf("No objectives in this cycle.\n");
        return OKR_EXIT_OK;
    }
    double avg = report__avg(r->sum, r->n);
    printf("%zu objective%s, average score %s", r->n, r->n == 1 ? "" : "s",
           okr_render_score(avg, score, sizeof score));
    if (r->committed)
        printf("; %zu of %zu committed reached 1.0", r->committed_met, r->committed);
    if (r->aspirational)
        printf("; %zu of %zu aspirational reached 0.7", r->aspirational_met, r->aspirational);
    printf("\n\nScores by team:\n");
    int rc = report__text_teams(cli, r);
    for (size_t i = 0; rc == OKR_EXIT_OK && i < r->nteams; i++) {
        printf("\n");
        okr_kit_puts(r->teams[i].name);
        printf(":\n");
        rc = report__text_team(cli, &r->teams[i]);
    }
    return rc;
}

/* ---------------------------------------------------------------- Markdown */

static const char *report__dot(double score)
{
    switch (okr_score_grade(score)) {
    case OKR_GRADE_GREEN:
        return "\U0001F7E2";
    case OKR_GRADE_YELLOW:
        return "\U0001F7E1";
    default:
        return "\U0001F534";
    }
}

static void report__md_quote(const char *label, const char *text)
{
    printf("> **%s:** ", label);
    const char *p = text ? text : "";
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, n);
        if (line)
            okr_export_md_text(stdout, line);
        free(line);
        if (!nl)
            break;
        printf("\n> ");
        p = nl + 1;
    }
    printf("\n\n");
}

static int report__md(const report_t *r)
{
    const okr_view_t *v = r->v;
    char date[32];
    printf("# End-of-cycle report \u2014 ");
    okr_export_md_text(stdout, v->cycle->name);
    printf("\n\n");
    double avg = report__avg(r->sum, r->n);
    if (r->final)
        printf("*Closed %s",
               okr_render_date(v->cycle->closed_at ? v->cycle->closed_at : v->cycle->end_at, date,
                               sizeof date));
    else
        printf("*Provisional: the cycle is %s; scores are progress so far",
               okr_kit_cycle_state_name(v->cycle->state));
    char num[16];
    printf(" \u00b7 %zu objective%s \u00b7 average score %s %s %s", r->n, r->n == 1 ? "" : "s",
           okr_render_score_num(avg, num, sizeof num), report__dot(avg),
           okr_grade_name(okr_score_grade(avg)));
    if (r->committed)
        printf(" \u00b7 %zu of %zu committed reached 1.0", r->committed_met, r->committed);
    if (r->aspirational)
        printf(" \u00b7 %zu of %zu aspirational reached 0.7", r->aspirational_met, r->aspirational);
    printf("*\n\n## Scores by team\n\n| Team | Objectives | Average score | Grade |\n"
           "|---|--:|--:|---|\n");
    for (size_t i = 0; i < r->nteams; i++) {
        const report_team_t *tm = &r->teams[i];
        double a = report__avg(tm->sum, tm->n);
        printf("| ");
        okr_export_md_text(stdout, tm->name);
        printf(" | %zu | %s | %s %s |\n", tm->n, okr_render_score_num(a, num, sizeof num),
               report__dot(a), okr_grade_name(okr_score_grade(a)));
    }
    for (size_t i = 0; i < r->nteams; i++) {
        const report_team_t *tm = &r->teams[i];
        printf("\n## ");
        okr_export_md_text(stdout, tm->name);
        printf("\n\n| Objective | Kind | Expects | Score | Grade | Over the cycle | Result |\n"
               "|---|---|--:|--:|---|---|---|\n");
        for (size_t k = 0; k < tm->n; k++) {
            const report_item_t *it = &tm->items[k];
            char id[32], verdict[64], spark[REPORT_SPARK_SZ];
            printf("| %s ", okr_ref_format(OKR_REF_OBJECTIVE, it->o->o->id, id, sizeof id));
            okr_export_md_text(stdout, it->o->o->title);
            printf(" | %s | %.1f | %s%s | %s %s | %s | %s |\n", okr_kit_kind_name(it->o->o->kind),
                   okr_score_expected(it->o->o->kind),
                   okr_render_score_num(it->score, num, sizeof num),
                   it->o->o->score_overridden ? " (overridden)" : "", report__dot(it->score),
                   okr_grade_name(okr_score_grade(it->score)),
                   report__spark(it, spark, sizeof spark),
                   report__verdict(it, verdict, sizeof verdict));
        }
        printf("\n");
        for (size_t k = 0; k < tm->n; k++) {
            const Okr__Objective *o = tm->items[k].o->o;
            char id[32], label[96];
            okr_ref_format(OKR_REF_OBJECTIVE, o->id, id, sizeof id);
            if (o->score_overridden) {
                snprintf(label, sizeof label, "%s score overridden (progress %d%%)", id,
                         okr_render_pct(o->progress));
                report__md_quote(label, o->score_note);
            }
            if (o->retrospective && o->retrospective[0]) {
                snprintf(label, sizeof label, "%s retrospective", id);
                report__md_quote(label, o->retrospective);
            }
        }
    }
    return OKR_EXIT_OK;
}

/* ---------------------------------------------------------------- JSON */

static json_t *report__item_json(const report_item_t *it)
{
    const Okr__Objective *o = it->o->o;
    char ref[32];
    json_t *trend = json_array(); /* week by week, as okr export's */
    for (size_t i = 0; trend && i < it->o->ntrend; i++)
        if (json_array_append_new(trend, json_real(it->o->trend[i])) != 0) {
            json_decref(trend);
            trend = NULL;
        }
    return json_pack(
        "{s:I, s:s, s:s, s:s, s:f, s:f, s:f, s:s, s:b, s:b, s:s, s:s, s:o}", "id",
        (json_int_t)o->id, "ref", okr_ref_format(OKR_REF_OBJECTIVE, o->id, ref, sizeof ref),
        "title", o->title ? o->title : "", "kind", okr_kit_kind_name(o->kind), "expected",
        okr_score_expected(o->kind), "score", it->score, "progress",
        isfinite(o->progress) ? o->progress : 0.0, "grade",
        okr_grade_name(okr_score_grade(it->score)), "met", report__met(it->o, it->score),
        "score_overridden", o->score_overridden, "score_note", o->score_note ? o->score_note : "",
        "retrospective", o->retrospective ? o->retrospective : "", "trend", trend);
}

static json_t *report__json(const report_t *r)
{
    json_t *teams = json_array();
    for (size_t i = 0; teams && i < r->nteams; i++) {
        const report_team_t *tm = &r->teams[i];
        json_t *items = json_array();
        for (size_t k = 0; items && k < tm->n; k++)
            if (json_array_append_new(items, report__item_json(&tm->items[k])) != 0) {
                json_decref(items);
                items = NULL;
            }
        double a = report__avg(tm->sum, tm->n);
        json_t *t = items
                        ? json_pack("{s:I, s:s, s:I, s:f, s:s, s:o}", "team_id", (json_int_t)tm->id,
                                    "name", tm->name, "objectives", (json_int_t)tm->n, "average", a,
                                    "grade", okr_grade_name(okr_score_grade(a)), "items", items)
                        : NULL;
        if (!t || json_array_append_new(teams, t) != 0) {
            json_decref(teams);
            teams = NULL;
        }
    }
    json_t *cycle = okr_view_cycle_json(r->v);
    if (!teams || !cycle) {
        json_decref(teams);
        json_decref(cycle);
        return NULL;
    }
    double avg = report__avg(r->sum, r->n);
    return json_pack("{s:o, s:b, s:{s:I, s:f, s:s, s:I, s:I, s:I, s:I}, s:o}", "cycle", cycle,
                     "final", r->final, "summary", "objectives", (json_int_t)r->n, "average", avg,
                     "grade", okr_grade_name(okr_score_grade(avg)), "committed",
                     (json_int_t)r->committed, "committed_met", (json_int_t)r->committed_met,
                     "aspirational", (json_int_t)r->aspirational, "aspirational_met",
                     (json_int_t)r->aspirational_met, "teams", teams);
}

/* ---------------------------------------------------------------- the cycle */

/* The cycle closed last, else the current one. */
static int report__default_cycle(okr_cli_t *cli, uint64_t *id)
{
    Okr__Page page = OKR__PAGE__INIT;
    Okr__CycleListRequest lr = OKR__CYCLE_LIST_REQUEST__INIT;
    lr.page = &page;
    lr.include_closed = 1;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CYCLE_LIST;
    req.cycle_list = &lr;
    okr_kit_pages_t cycles;
    int rc = okr_kit_fetch_all(cli, &req, &page, OKR__RESPONSE__RESULT_CYCLE_LIST, &cycles);
    if (rc)
        return rc;
    const Okr__Cycle *best = NULL;
    for (size_t i = 0; i < cycles.n; i++) {
        const Okr__Cycle *c = cycles.items[i];
        if (c->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED &&
            (!best || c->closed_at > best->closed_at))
            best = c;
    }
    if (best)
        *id = best->id;
    okr_kit_pages_free(&cycles);
    return best ? 0 : okr_ref_default_cycle(cli, id);
}

/* The words --format takes; the value: 1 for Markdown. */
static const okr_kit_word_t report_formats[] = {{"text", 0}, {"md", 1}, {"markdown", 1}};

#define REPORT_NFORMATS (sizeof report_formats / sizeof report_formats[0])

const char *okr_report_format_word(size_t i)
{
    return okr_kit_word_at(report_formats, REPORT_NFORMATS, i);
}

int okr_cmd_report(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"cycle", required_argument, NULL, OPT_CYCLE},
                                             {"format", required_argument, NULL, OPT_FORMAT},
                                             {"md", no_argument, NULL, OPT_MD},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "report";
    cli->usage = report_usage;
    optind = 0;
    const char *cycle = NULL, *format = "text";
    int opt;
    while ((opt = okr_cli_getopt(cli, argc, argv, ":h", longopts)) != -1) {
        if (opt == 'h')
            return OKR_EXIT_OK;
        if (opt == OPT_CYCLE)
            cycle = optarg;
        else if (opt == OPT_FORMAT)
            format = optarg;
        else if (opt == OPT_MD)
            format = "md";
        else
            return OKR_EXIT_USAGE;
    }
    int rc = okr_kit_positional(cli, argc, argv, 0, 0, "");
    if (rc >= 0)
        return rc;
    int md;
    if (okr_kit_word_value(report_formats, REPORT_NFORMATS, format, &md) != 0)
        return okr_cli_usage_error(cli, "--format is text or md, not '%s'", format);
    if ((rc = okr_cli_connect_lazy(cli)) != 0)
        return rc;
    uint64_t cycle_id;
    rc = cycle ? okr_ref_cycle(cli, cycle, &cycle_id) : report__default_cycle(cli, &cycle_id);
    if (rc)
        return rc;
    okr_view_t v;
    if ((rc = okr_view_load(cli, cycle_id, OKR_VIEW_TRENDS, &v)) != 0)
        return rc;
    report_t r;
    if (report__build(cli, &v, &r) != 0) {
        rc = okr_kit_nomem(cli);
    } else if (cli->json) {
        json_t *j = report__json(&r);
        if (!j)
            rc = okr_kit_nomem(cli);
        else
            okr_cli_print_json(j);
    } else if (md) {
        rc = report__md(&r);
    } else {
        rc = report__text(cli, &r);
    }
    report__free(&r);
    okr_view_free(&v);
    return rc;
}
