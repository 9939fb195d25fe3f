/* export_html.c — okr export --format html: one self-contained page for
 * leadership (and for a wiki or an e-mail attachment): the cycle's figures,
 * the alignment map, and a table of every objective and key result.
 *
 * Self-contained means: the CSS is inline, the map is inline SVG, there is
 * no script and no URL, so the page opens the same offline, in a mail
 * client, or years later. The markup is polyglot (every element closed,
 * every attribute quoted, no named entities but XML's), so an XML parser
 * reads it as well as a browser does; the tests check both.
 */
#include "export.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_kit.h"
#include "render.h"

/* No '<' or '&' in here: the page must stay well-formed XML. */
static const char html_css[] =
    ":root{--on:#2e7d32;--risk:#e6a100;--off:#c62828;--none:#757575;--line:#e0e0e0}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:#fafafa;color:#212121;font:14px/1.45 system-ui,-apple-system,"
    "'Segoe UI','Noto Sans','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif}\n"
    ".page{max-width:1400px;margin:0 auto;padding:24px}\n"
    "h1{font-size:22px;margin:0 0 4px}\n"
    "h2{font-size:17px;margin:28px 0 10px}\n"
    ".meta{color:#616161;margin:0 0 12px}\n"
    ".chips{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}\n"
    ".chip{border-radius:12px;padding:2px 10px;font-size:13px;border:1px solid var(--line);"
    "background:#fff}\n"
    ".chip b{margin-right:4px}\n"
    ".map{overflow:auto;border:1px solid var(--line);border-radius:8px;background:#fff}\n"
    ".map svg{display:block}\n"
    "table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line)}\n"
    "th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;"
    "vertical-align:top}\n"
    "th{background:#f5f5f5;font-weight:600;font-size:13px;position:sticky;top:0}\n"
    "td.num{text-align:right;white-space:nowrap}\n"
    "td.id{color:#757575;white-space:nowrap}\n"
    "tr.obj td{background:#fcfcfc;font-weight:600}\n"
    "tr.obj td.note,tr.kr td{font-weight:400}\n"
    ".bar{display:inline-block;width:90px;height:8px;border-radius:4px;background:#e0e0e0;"
    "vertical-align:middle;margin-right:6px;overflow:hidden}\n"
    ".bar span{display:block;height:100%}\n"
    ".on_track{color:var(--on)}.at_risk{color:#b57f00}.off_track{color:var(--off)}"
    ".unspecified{color:var(--none)}\n"
    ".bar .on_track{background:var(--on)}.bar .at_risk{background:var(--risk)}"
    ".bar .off_track{background:var(--off)}.bar .unspecified{background:var(--none)}\n"
    ".link{color:#616161;font-size:12px}\n"
    ".note{color:#424242;font-size:12px;white-space:pre-wrap}\n"
    ".foot{color:#757575;font-size:12px;margin-top:24px}\n"
    "@media print{body{background:#fff}.page{max-width:none;padding:0}"
    "th{position:static}.map{overflow:visible;border:0}}\n";

/* ---------------------------------------------------------------- pieces */

static void html__text(FILE *out, const char *s)
{
    okr_export_xml(out, s, 0);
}

static void html__bar(FILE *out, double progress, Okr__ProgressStatus st)
{
    fprintf(out,
            "<td class=\"num\"><span class=\"bar\"><span class=\"%s\" style=\"width:%d%%\">"
            "</span></span>%d%%</td>",
            okr_view_status_key(st), okr_render_pct(progress), okr_render_pct(progress));
}

#define HTML_SPARK_W 80 /* px: the trend of a whole cycle, however many weeks */
#define HTML_SPARK_H 16

/* The objective's trend as an inline SVG line, its title saying what it
 * shows; an empty cell without one. */
static void html__spark(FILE *out, const okr_view_obj_t *o)
{
    if (!o->trend || o->ntrend < 2) {
        fputs("<td></td>", out);
        return;
    }
    fprintf(out,
            "<td><svg class=\"spark\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "role=\"img\"><title>%d%% \u2192 %d%% over %zu weeks</title><polyline points=\"",
            HTML_SPARK_W, HTML_SPARK_H, HTML_SPARK_W, HTML_SPARK_H, okr_render_pct(o->trend[0]),
            okr_render_pct(o->trend[o->ntrend - 1]), o->ntrend);
    for (size_t i = 0; i < o->ntrend; i++)
        fprintf(out, "%s%.1f,%.1f", i ? " " : "",
                (double)i * (HTML_SPARK_W - 2) / (double)(o->ntrend - 1) + 1.0,
                (HTML_SPARK_H - 1.0) - okr_clamp01(o->trend[i]) * (HTML_SPARK_H - 2.0));
    fputs("\" fill=\"none\" stroke=\"#455a64\" stroke-width=\"1.5\"/></svg></td>", out);
}

static void html__cell(FILE *out, const char *cls, const char *s)
{
    if (cls)
        fprintf(out, "<td class=\"%s\">", cls);
    else
        fputs("<td>", out);
    html__text(out, s);
    fputs("</td>", out);
}

static void html__header(FILE *out, const okr_view_t *v)
{
    char a[32], b[32], when[64];
    size_t counts[4] = {0}, nkrs = 0;
    double top = 0;
    for (size_t i = 0; i < v->n; i++) {
        Okr__ProgressStatus st = okr_export_obj_status(v, &v->objs[i]);
        counts[st <= 3 ? st : 0]++;
        nkrs += v->objs[i].nkrs;
    }
    for (size_t r = 0; r < v->nroots; r++)
        top += v->objs[v->roots[r]].o->progress;
    fputs("<h1>OKR alignment \u2014 ", out);
    html__text(out, v->cycle->name);
    fputs("</h1>\n<p class=\"meta\">", out);
    fprintf(out, "%s \u00b7 %s \u2013 %s \u00b7 ", okr_kit_cycle_state_name(v->cycle->state),
            okr_render_date(v->cycle->start_at, a, sizeof a),
            okr_render_date(v->cycle->end_at, b, sizeof b));
    if (okr_view_closed(v))
        fputs("scores are final", out);
    else
        fprintf(out, "%d%% of the cycle gone", okr_render_pct(v->expected));
    fprintf(out, " \u00b7 %zu objective%s, %zu key result%s \u00b7 generated %s</p>\n", v->n,
            v->n == 1 ? "" : "s", nkrs, nkrs == 1 ? "" : "s",
            okr_export_iso_time(v->now_ms, when, sizeof when));
    fputs("<div class=\"chips\">", out);
    if (v->nroots)
        fprintf(out, "<span class=\"chip\"><b>%d%%</b>mean progress of the top objectives</span>",
                okr_render_pct(top / (double)v->nroots));
    static const Okr__ProgressStatus order[] = {
        OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK,
        OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK,
        OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK,
    };
    for (size_t k = 0; k < 3; k++) {
        const char *word = okr_view_closed(v) ? okr_grade_name(k == 0   ? OKR_GRADE_GREEN
                                                               : k == 1 ? OKR_GRADE_YELLOW
                                                                        : OKR_GRADE_RED)
                                              : okr_status_name(order[k]);
        fprintf(out, "<span class=\"chip %s\"><b>%zu</b>%s</span>", okr_view_status_key(order[k]),
                counts[order[k]], word);
    }
    fputs("</div>\n", out);
}

/* ---------------------------------------------------------------- table */

static void html__objective_row(FILE *out, const okr_view_t *v, const okr_view_obj_t *o, int closed)
{
    char ref[32], buf[128], who[600];
    Okr__ProgressStatus st = okr_export_obj_status(v, o);
    fprintf(out, "<tr class=\"obj\" id=\"%s\"><td class=\"id\">%s</td>",
            okr_ref_format(OKR_REF_OBJECTIVE, o->o->id, ref, sizeof ref), ref);
    fprintf(out, "<td style=\"padding-left:%dpx\">", 8 + 20 * (o->depth > 10 ? 10 : o->depth));
    html__text(out, o->o->title);
    if (o->parent >= 0)
        fprintf(out, " <span class=\"link\">\u2192 %s</span>",
                okr_ref_format(OKR_REF_OBJECTIVE, v->objs[o->parent].o->id, buf, sizeof buf));
    fputs("</td>", out);
    snprintf(who, sizeof who, "%s%s", o->owner ? o->owner : "-", o->owner_team ? " (team)" : "");
    html__cell(out, NULL, who);
    html__cell(out, NULL, okr_kit_kind_name(o->o->kind));
    html__cell(out, "note", okr_view_rollup_label(o, buf, sizeof buf));
    fputs("<td></td><td></td><td></td>", out);
    html__bar(out, o->o->progress, st);
    html__spark(out, o);
    fprintf(out, "<td class=\"%s\">", okr_view_status_key(st));
    html__text(out, okr_export_obj_judgement(v, o, buf, sizeof buf));
    fputs("</td><td></td><td></td>", out);
    if (closed) {
        fputs("<td class=\"note\">", out);
        if (o->o->score_overridden) {
            fputs("Score overridden: ", out);
            okr_export_xml(out, o->o->score_note, 1);
        }
        if (o->o->retrospective && o->o->retrospective[0]) {
            fputs(o->o->score_overridden ? "\nRetrospective: " : "Retrospective: ", out);
            okr_export_xml(out, o->o->retrospective, 1);
        }
        fputs("</td>", out);
    }
    fputs("</tr>\n", out);
}

static void html__kr_row(FILE *out, const okr_view_t *v, const okr_view_obj_t *o,
                         const okr_view_kr_t *k, int closed)
{
    const Okr__KeyResult *kr = k->kr;
    char ref[32], buf[256];
    fprintf(out, "<tr class=\"kr\" id=\"%s\"><td class=\"id\">%s</td>",
            okr_ref_format(OKR_REF_KEY_RESULT, kr->id, ref, sizeof ref), ref);
    fprintf(out, "<td style=\"padding-left:%dpx\">", 8 + 20 * (o->depth > 10 ? 10 : o->depth) + 16);
    html__text(out, kr->title);
    if (kr->linked_objective_id)
        fprintf(out, " <span class=\"link\">\u2190 progress of %s</span>",
                okr_ref_format(OKR_REF_OBJECTIVE, kr->linked_objective_id, buf, sizeof buf));
    fputs("</td>", out);
    html__cell(out, NULL, k->owner);
    html__cell(out, NULL, okr_kit_metric_name(kr->metric));
    html__cell(out, "num", okr_view_share_label(o, k, buf, sizeof buf));
    if (kr->linked_objective_id) {
        /* its own values mean nothing: the progress is the objective's */
        fputs("<td class=\"num\">\u2013</td><td class=\"num\">\u2013</td>"
              "<td class=\"num\">\u2013</td>",
              out);
    } else {
        html__cell(out, "num", okr_render_value(kr, kr->start, buf, sizeof buf));
        html__cell(out, "num", okr_render_value(kr, kr->current, buf, sizeof buf));
        html__cell(out, "num", okr_render_value(kr, kr->target, buf, sizeof buf));
    }
    html__bar(out, kr->progress,
              closed ? OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED : k->status);
    fputs("<td></td>", out); /* the trend: the objective's */
    if (closed)
        fputs("<td></td>", out);
    else
        fprintf(out, "<td class=\"%s\">%s</td>", okr_view_status_key(k->status),
                okr_status_name(k->status));
    if (kr->has_confidence)
        fprintf(out, "<td class=\"num\">%u/10</td>", kr->confidence);
    else
        fputs("<td></td>", out);
    html__cell(out, "num",
               kr->last_checkin_at ? okr_render_date(kr->last_checkin_at, buf, sizeof buf)
                                   : "never");
    if (closed)
        fputs("<td></td>", out);
    fputs("</tr>\n", out);
    (void)v;
}

static void html__table(FILE *out, const okr_view_t *v)
{
    int closed = okr_view_closed(v);
    fputs("<table>\n<thead><tr><th>ID</th><th>Objective / key result</th><th>Owner</th>"
          "<th>Kind / metric</th><th>Weight</th><th>Start</th><th>Current</th><th>Target</th>"
          "<th>Progress</th><th>Trend</th>",
          out);
    fprintf(out, "<th>%s</th><th>Confidence</th><th>Last check-in</th>%s</tr></thead>\n<tbody>\n",
            closed ? "Score" : "Status", closed ? "<th>Notes</th>" : "");
    for (size_t k = 0; k < v->n; k++) {
        const okr_view_obj_t *o = &v->objs[v->order[k]];
        html__objective_row(out, v, o, closed);
        for (size_t r = 0; r < o->nkrs; r++)
            html__kr_row(out, v, o, &o->krs[r], closed);
    }
    fputs("</tbody>\n</table>\n", out);
}

/* ---------------------------------------------------------------- page */

int okr_export_html(FILE *out, const okr_view_t *v)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
          "<meta name=\"generator\" content=\"okr export\"/>\n<title>OKR alignment \u2014 ",
          out);
    html__text(out, v->cycle->name);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<div class=\"page\">\n",
            html_css);
    html__header(out, v);
    fputs("<h2>Alignment map</h2>\n<div class=\"map\">\n", out);
    if (okr_export_map_inline(out, v) != 0)
        return -1;
    fputs("</div>\n<h2>Objectives and key results</h2>\n", out);
    html__table(out, v);
    fprintf(out,
            "<p class=\"foot\">Key result progress = (current \u2212 start) / (target \u2212 "
            "start), from 0 to 1. An objective's progress is the weighted mean of its key "
            "results (Weight: each one's share); with none of its own, the mean of the "
            "objectives aligned to it. Status compares progress with the share of the cycle "
            "gone and the latest confidence: off track more than %.0f points behind or "
            "confidence %d or less, at risk more than %.0f points behind or confidence %d or "
            "less. Scores: red below 0.4, yellow below 0.7, green from 0.7; committed "
            "objectives are expected at 1.0, aspirational ones at about 0.7.</p>\n",
            OKR_STATUS_OFF_TRACK_GAP * 100, OKR_STATUS_OFF_TRACK_CONFIDENCE,
            OKR_STATUS_AT_RISK_GAP * 100, OKR_STATUS_AT_RISK_CONFIDENCE);
    fputs("</div>\n</body>\n</html>\n", out);
    return 0;
}
