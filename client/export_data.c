/* export_data.c — okr export as CSV, JSON, Graphviz and Markdown (see
 * export.h). All four list the objectives in alignment order, each with its
 * key results. */
#include "export.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_kit.h"
#include "render.h"

/* ---------------------------------------------------------------- CSV */

/* RFC 4180: a field with a comma, a quote, CR or LF is quoted, its quotes
 * doubled. Text is UTF-8 as it is (no BOM: a BOM breaks most CSV readers
 * other than Excel's). */
static void csv__field(FILE *out, const char *s)
{
    if (!s)
        s = "";
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

static void csv__num(FILE *out, double x)
{
    /* 15 significant digits: what a double holds exactly, and no "0.1000000001" */
    if (isfinite(x))
        fprintf(out, "%.15g", x);
}

static void csv__uint(FILE *out, uint64_t x)
{
    fprintf(out, "%llu", (unsigned long long)x);
}

static void csv__sep(FILE *out)
{
    fputc(',', out);
}

static void csv__objective(FILE *out, const okr_view_t *v, const okr_view_obj_t *o)
{
    const Okr__Objective *ob = o->o;
    char ref[32], buf[64];
    fputs("objective,", out);
    csv__uint(out, ob->id);
    csv__sep(out);
    fputs(okr_ref_format(OKR_REF_OBJECTIVE, ob->id, ref, sizeof ref), out);
    csv__sep(out);
    if (ob->parent_id)
        fputs(okr_ref_format(OKR_REF_OBJECTIVE, ob->parent_id, ref, sizeof ref), out);
    fprintf(out, ",%d,", o->depth + 1);
    csv__field(out, ob->title);
    csv__sep(out);
    csv__field(out, o->owner);
    fprintf(out, ",%s,", o->owner_team ? "team" : "user");
    csv__field(out, o->team);
    fprintf(out, ",%s,%s,%s,", okr_kit_kind_name(ob->kind), okr_kit_state_name(ob->state),
            okr_kit_visibility_name(ob->visibility));
    /* metric .. linked_objective are a key result's */
    fputs(",,,,,,,,", out);
    csv__num(out, ob->progress);
    csv__sep(out);
    csv__num(out, v->expected);
    fprintf(out, ",%s,,,,", okr_view_status_key(ob->status));
    if (okr_view_closed(v) || ob->score_overridden) {
        csv__num(out, ob->score);
        fprintf(out, ",%s", okr_grade_name(okr_score_grade(ob->score)));
    } else {
        fputc(',', out);
    }
    fprintf(out, ",%s,", ob->score_overridden ? "true" : "false");
    csv__field(out, ob->score_note);
    csv__sep(out);
    csv__field(out, ob->retrospective);
    csv__sep(out);
    csv__field(out, ob->description);
    fputs("\r\n", out);
    (void)buf;
}

static void csv__kr(FILE *out, const okr_view_t *v, const okr_view_obj_t *o, const okr_view_kr_t *k)
{
    const Okr__KeyResult *kr = k->kr;
    char ref[32], buf[64];
    fputs("key_result,", out);
    csv__uint(out, kr->id);
    csv__sep(out);
    fputs(okr_ref_format(OKR_REF_KEY_RESULT, kr->id, ref, sizeof ref), out);
    csv__sep(out);
    fputs(okr_ref_format(OKR_REF_OBJECTIVE, kr->objective_id, ref, sizeof ref), out);
    fprintf(out, ",%d,", o->depth + 2);
    csv__field(out, kr->title);
    csv__sep(out);
    csv__field(out, k->owner);
    fputs(",user,", out);
    csv__field(out, o->team);
    /* kind, state, visibility are an objective's */
    fprintf(out, ",,%s,,%s,", kr->archived ? "archived" : "active",
            okr_kit_metric_name(kr->metric));
    csv__field(out, kr->unit);
    csv__sep(out);
    csv__num(out, kr->start);
    csv__sep(out);
    csv__num(out, kr->current);
    csv__sep(out);
    csv__num(out, kr->target);
    csv__sep(out);
    csv__num(out, kr->weight);
    csv__sep(out);
    csv__num(out, k->share);
    csv__sep(out);
    if (kr->linked_objective_id)
        fputs(okr_ref_format(OKR_REF_OBJECTIVE, kr->linked_objective_id, ref, sizeof ref), out);
    csv__sep(out);
    csv__num(out, kr->progress);
    csv__sep(out);
    csv__num(out, v->expected);
    fprintf(out, ",%s,", okr_view_status_key(k->status));
    if (kr->has_confidence)
        fprintf(out, "%u", kr->confidence);
    csv__sep(out);
    fputs(okr_export_iso_time(kr->last_checkin_at, buf, sizeof buf), out);
    csv__sep(out);
    fputs(okr_export_iso_time(kr->due_at, buf, sizeof buf), out);
    /* score .. description are an objective's */
    fputs(",,,,,,\r\n", out);
}

int okr_export_csv(FILE *out, const okr_view_t *v)
{
    for (size_t c = 0; c < okr_kit_csv_ncolumns; c++)
        fprintf(out, "%s%s", c ? "," : "", okr_kit_csv_columns[c]);
    fputs("\r\n", out);
    for (size_t k = 0; k < v->n; k++) {
        const okr_view_obj_t *o = &v->objs[v->order[k]];
        csv__objective(out, v, o);
        for (size_t r = 0; r < o->nkrs; r++)
            csv__kr(out, v, o, &o->krs[r]);
    }
    return 0;
}

/* ---------------------------------------------------------------- JSON */

int okr_export_json(FILE *out, const okr_view_t *v)
{
    json_t *objs = json_array();
    for (size_t k = 0; objs && k < v->n; k++) {
        const okr_view_obj_t *o = &v->objs[v->order[k]];
        json_t *j = okr_view_objective_json(v, o, 1);
        if (!j || json_object_set_new(j, "level", json_integer(o->depth + 1)) != 0 ||
            json_array_append_new(objs, j) != 0) {
            json_decref(objs);
            objs = NULL;
        }
    }
    json_t *cycle = okr_view_cycle_json(v);
    json_t *doc = objs && cycle ? json_pack("{s:s, s:i, s:O, s:O}", "format", "okr-export",
                                            "version", 1, "cycle", cycle, "objectives", objs)
                                : NULL;
    json_decref(objs);
    json_decref(cycle);
    char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);
    if (!text)
        return -1;
    fprintf(out, "%s\n", text);
    free(text);
    return 0;
}

/* ---------------------------------------------------------------- Graphviz */

/* The inside of a DOT double-quoted string: quotes and backslashes
 * escaped (a backslash would start an escape such as \N or \l), line
 * breaks and control characters as spaces. */
static void dot__text(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', out);
            fputc(*p, out);
        } else if (*p < 0x20 || *p == 0x7f) {
            fputc(' ', out);
        } else {
            fputc(*p, out);
        }
    }
}

/* A title cut for a node's label (the full one is in the tooltip). */
static void dot__title(FILE *out, const char *s)
{
    char cut[512];
    okr_render_truncate(s ? s : "", 40, cut, sizeof cut);
    dot__text(out, cut);
}

static void dot__objective(FILE *out, const okr_view_t *v, const okr_view_obj_t *o)
{
    Okr__ProgressStatus st = okr_export_obj_status(v, o);
    char ref[32], judge[64];
    okr_ref_format(OKR_REF_OBJECTIVE, o->o->id, ref, sizeof ref);
    fprintf(out, "  o%llu [label=\"%s ", (unsigned long long)o->o->id, ref);
    dot__title(out, o->o->title);
    fprintf(out, "\\n%d%% \u00b7 %s\\n", okr_render_pct(o->o->progress),
            okr_export_obj_judgement(v, o, judge, sizeof judge));
    dot__text(out, o->owner);
    fprintf(out, "%s\", tooltip=\"", o->owner_team ? " (team)" : "");
    dot__text(out, o->o->title);
    fprintf(out, "\", color=\"%s\", fillcolor=\"%s\"];\n", okr_export_color(st),
            okr_export_tint(st));
}

static void dot__kr(FILE *out, const okr_view_t *v, const okr_view_obj_t *o, const okr_view_kr_t *k)
{
    const Okr__KeyResult *kr = k->kr;
    char ref[32], figures[300], share[64];
    okr_kit_figures(kr, figures, sizeof figures);
    okr_ref_format(OKR_REF_KEY_RESULT, kr->id, ref, sizeof ref);
    Okr__ProgressStatus st =
        okr_view_closed(v) ? OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED : k->status;
    fprintf(out, "  k%llu [shape=note, label=\"%s ", (unsigned long long)kr->id, ref);
    dot__title(out, kr->title);
    fputs("\\n", out);
    dot__text(out, figures);
    fprintf(out, " \u00b7 %d%% \u00b7 w %s\", tooltip=\"", okr_render_pct(kr->progress),
            okr_view_share_label(o, k, share, sizeof share));
    dot__text(out, kr->title);
    fprintf(out, "\", color=\"%s\", fillcolor=\"#ffffff\"];\n", okr_export_color(st));
    fprintf(out, "  k%llu -> o%llu [style=dashed, arrowhead=none];\n", (unsigned long long)kr->id,
            (unsigned long long)kr->objective_id);
    if (kr->linked_objective_id && okr_view_find(v, kr->linked_objective_id))
        fprintf(out, "  o%llu -> k%llu [style=dotted, label=\"progress\", fontsize=9];\n",
                (unsigned long long)kr->linked_objective_id, (unsigned long long)kr->id);
}

int okr_export_dot(FILE *out, const okr_view_t *v)
{
    fputs("digraph okr {\n  graph [rankdir=BT, labelloc=t, fontname=\"sans-serif\", "
          "nodesep=0.3, ranksep=0.5, label=\"OKR alignment \u2014 ",
          out);
    dot__text(out, v->cycle->name);
    if (okr_view_closed(v))
        fputs(" (closed)", out);
    else
        fprintf(out, " (%d%% of the cycle gone)", okr_render_pct(v->expected));
    fputs("\"];\n  node [shape=box, style=\"rounded,filled\", fontname=\"sans-serif\", "
          "fontsize=10, penwidth=1.5];\n  edge [color=\"#9e9e9e\"];\n",
          out);
    for (size_t k = 0; k < v->n; k++) {
        const okr_view_obj_t *o = &v->objs[v->order[k]];
        dot__objective(out, v, o);
        for (size_t r = 0; r < o->nkrs; r++)
            dot__kr(out, v, o, &o->krs[r]);
    }
    /* alignment: child -> parent */
    for (size_t k = 0; k < v->n; k++) {
        const okr_view_obj_t *o = &v->objs[v->order[k]];
        if (o->parent >= 0)
            fprintf(out, "  o%llu -> o%llu;\n", (unsigned long long)o->o->id,
                    (unsigned long long)v->objs[o->parent].o->id);
    }
    fputs("}\n", out);
    return 0;
}

/* ---------------------------------------------------------------- Markdown */

void okr_export_md_text(FILE *out, const char *s)
{
    /* CommonMark lets any ASCII punctuation be escaped with a backslash;
     * these are the ones that could start emphasis, code, links, HTML,
     * headings, strike-through, entities, or end a table cell ('!' needs
     * none: an image needs the '[' after it, which is escaped). */
    static const char special[] = "\\`*_[]<>|#~&";
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            fputc(' ', out);
        } else if (*p < 0x20 || *p == 0x7f) {
            fputc('?', out);
        } else {
            if (strchr(special, *p))
                fputc('\\', out);
            fputc(*p, out);
        }
    }
}

/* A multi-line note as a block quote, each line escaped. */
static void md__quote(FILE *out, const char *label, const char *s)
{
    fprintf(out, "> **%s:** ", label);
    const char *p = s ? s : "";
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = malloc(n + 1);
        if (line) {
            memcpy(line, p, n);
            line[n] = '\0';
            okr_export_md_text(out, line);
            free(line);
        }
        if (!nl)
            break;
        fputs("\n> ", out);
        p = nl + 1;
    }
    fputs("\n\n", out);
}

static void md__objective(FILE *out, const okr_view_t *v, const okr_view_obj_t *o)
{
    char ref[32], buf[128];
    int level = o->depth + 2;
    fprintf(out, "%.*s %s ", level > 6 ? 6 : level, "######",
            okr_ref_format(OKR_REF_OBJECTIVE, o->o->id, ref, sizeof ref));
    okr_export_md_text(out, o->o->title);
    fputs("\n\n", out);
    fputs("**Owner** ", out);
    okr_export_md_text(out, o->owner);
    fprintf(out, "%s \u00b7 %s \u00b7 **%d%%** ", o->owner_team ? " (team)" : "",
            okr_kit_kind_name(o->o->kind), okr_render_pct(o->o->progress));
    if (okr_view_closed(v))
        fprintf(out, "\u00b7 score **%s** (expected %.1f)",
                okr_export_obj_judgement(v, o, buf, sizeof buf), okr_score_expected(o->o->kind));
    else
        fprintf(out, "(%s)", okr_status_name(o->o->status));
    fprintf(out, " \u00b7 %s", okr_view_rollup_label(o, buf, sizeof buf));
    if (o->parent >= 0)
        fprintf(out, " \u00b7 aligned to %s",
                okr_ref_format(OKR_REF_OBJECTIVE, v->objs[o->parent].o->id, ref, sizeof ref));
    if (o->trend && o->ntrend >= 2) {
        char spark[3 * 60 + 1];
        fprintf(out, " \u00b7 week by week %s",
                okr_render_spark(o->trend, o->ntrend, spark, sizeof spark));
    }
    fputs("\n\n", out);
    if (o->o->description && o->o->description[0])
        md__quote(out, "Description", o->o->description);
    if (o->o->score_overridden)
        md__quote(out, "Score overridden", o->o->score_note);
    if (o->o->retrospective && o->o->retrospective[0])
        md__quote(out, "Retrospective", o->o->retrospective);
    if (o->nkrs == 0)
        return;
    fputs("| Key result | Owner | Start | Current | Target | Weight | Progress | Confidence | "
          "Status |\n|---|---|--:|--:|--:|--:|--:|--:|---|\n",
          out);
    for (size_t r = 0; r < o->nkrs; r++) {
        const okr_view_kr_t *k = &o->krs[r];
        const Okr__KeyResult *kr = k->kr;
        fprintf(out, "| %s ", okr_ref_format(OKR_REF_KEY_RESULT, kr->id, ref, sizeof ref));
        okr_export_md_text(out, kr->title);
        if (kr->linked_objective_id)
            fprintf(out, " (\u2190 %s)",
                    okr_ref_format(OKR_REF_OBJECTIVE, kr->linked_objective_id, ref, sizeof ref));
        fputs(" | ", out);
        okr_export_md_text(out, k->owner);
        if (kr->linked_objective_id) {
            fputs(" | \u2013 | \u2013 | \u2013", out);
        } else {
            fputs(" | ", out);
            okr_export_md_text(out, okr_render_value(kr, kr->start, buf, sizeof buf));
            fputs(" | ", out);
            okr_export_md_text(out, okr_render_value(kr, kr->current, buf, sizeof buf));
            fputs(" | ", out);
            okr_export_md_text(out, okr_render_value(kr, kr->target, buf, sizeof buf));
        }
        fprintf(out, " | %s | %d%% | ", okr_view_share_label(o, k, buf, sizeof buf),
                okr_render_pct(kr->progress));
        if (kr->has_confidence)
            fprintf(out, "%u/10", kr->confidence);
        else
            fputs("\u2013", out);
        fprintf(out, " | %s |\n", okr_view_closed(v) ? "\u2013" : okr_status_name(k->status));
    }
    fputs("\n", out);
}

int okr_export_md(FILE *out, const okr_view_t *v)
{
    char a[32], b[32];
    fputs("# OKR review \u2014 ", out);
    okr_export_md_text(out, v->cycle->name);
    fprintf(out, "\n\n*%s \u00b7 %s \u2013 %s \u00b7 ", okr_kit_cycle_state_name(v->cycle->state),
            okr_render_date(v->cycle->start_at, a, sizeof a),
            okr_render_date(v->cycle->end_at, b, sizeof b));
    if (okr_view_closed(v))
        fputs("scores are final", out);
    else
        fprintf(out, "%d%% of the cycle gone", okr_render_pct(v->expected));
    fprintf(out, " \u00b7 %zu objective%s*\n\n", v->n, v->n == 1 ? "" : "s");
    if (v->n == 0) {
        fputs("No objectives in this cycle.\n", out);
        return 0;
    }
    /* the summary: every top objective with its figures */
    fprintf(out, "| Objective | Owner | Progress | %s |\n|---|---|--:|---|\n",
            okr_view_closed(v) ? "Score" : "Status");
    for (size_t r = 0; r < v->nroots; r++) {
        const okr_view_obj_t *o = &v->objs[v->roots[r]];
        char ref[32], buf[64];
        fprintf(out, "| %s ", okr_ref_format(OKR_REF_OBJECTIVE, o->o->id, ref, sizeof ref));
        okr_export_md_text(out, o->o->title);
        fputs(" | ", out);
        okr_export_md_text(out, o->owner);
        fprintf(out, "%s | %d%% | %s |\n", o->owner_team ? " (team)" : "",
                okr_render_pct(o->o->progress), okr_export_obj_judgement(v, o, buf, sizeof buf));
    }
    fputs("\n", out);
    for (size_t k = 0; k < v->n; k++)
        md__objective(out, v, &v->objs[v->order[k]]);
    return 0;
}
