/* export_map.c — the alignment map as SVG (okr export --format svg, and the
 * map inside the HTML page), and what every writer shares: escaping,
 * colours, the words for a status.
 *
 * Layout: a tidy tree, top-down. Each objective is a box; the leaves of the
 * alignment tree take consecutive slots from left to right (in alignment
 * order), and a parent sits centred over its first and last child. Rows are
 * the alignment levels. Edges go from the top of a child to the bottom of
 * its parent. Text widths are estimated from display widths (a CJK
 * character is two columns), since nothing here can measure a font.
 */
#include "export.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#include "cmd_kit.h"
#include "render.h"

#define MAP_BOX_W    240
#define MAP_BOX_H    86
#define MAP_HGAP     28
#define MAP_VGAP     56
#define MAP_MARGIN   24
#define MAP_CAPTION  36
#define MAP_TITLE_W  30 /* display columns of a title line at 12.5px */
#define MAP_OWNER_W  24
#define MAP_BAR_W    170
#define MAP_MAX_ROWS 2 /* title lines */

#define MAP_FONT                                                                                   \
    "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK SC', 'PingFang SC', "       \
    "'Microsoft YaHei', sans-serif"

/* ---------------------------------------------------------------- shared */

void okr_export_xml(FILE *out, const char *s, int keep_newlines)
{
    if (!s)
        return;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t n = strlen(s), i = 0;
    while (i < n) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0) { /* not UTF-8: one byte becomes U+FFFD */
            fputs("\uFFFD", out);
            i++;
            continue;
        }
        switch (cp) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        case '\n':
            fputs(keep_newlines ? "\n" : " ", out);
            break;
        case '\t':
        case '\r':
            fputc(' ', out);
            break;
        default:
            /* XML 1.0 has no C0 controls; C1 and DEL are legal but unwelcome,
             * and U+FFFE/U+FFFF are not characters */
            if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff)
                fputs("\uFFFD", out);
            else
                fwrite(p + i, 1, (size_t)k, out);
        }
        i += (size_t)k;
    }
}

const char *okr_export_color(Okr__ProgressStatus s)
{
    switch (s) {
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK:
        return "#2e7d32";
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK:
        return "#e6a100";
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK:
        return "#c62828";
    default:
        return "#757575";
    }
}

const char *okr_export_tint(Okr__ProgressStatus s)
{
    switch (s) {
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK:
        return "#e8f5e9";
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK:
        return "#fff8e1";
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK:
        return "#ffebee";
    default:
        return "#f5f5f5";
    }
}

Okr__ProgressStatus okr_export_obj_status(const okr_view_t *v, const okr_view_obj_t *o)
{
    if (!okr_view_closed(v))
        return o->o->status;
    switch (okr_score_grade(o->o->score)) {
    case OKR_GRADE_GREEN:
        return OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK;
    case OKR_GRADE_YELLOW:
        return OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK;
    default:
        return OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK;
    }
}

const char *okr_export_obj_judgement(const okr_view_t *v, const okr_view_obj_t *o, char *buf,
                                     size_t len)
{
    char num[16];
    if (okr_view_closed(v))
        snprintf(buf, len, "%s %s", okr_render_score_num(o->o->score, num, sizeof num),
                 okr_grade_name(okr_score_grade(o->o->score)));
    else
        snprintf(buf, len, "%s", okr_status_name(o->o->status));
    return buf;
}

const char *okr_export_iso_time(int64_t ms, char *buf, size_t len)
{
    buf[0] = '\0';
    if (ms == 0)
        return buf;
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        buf[0] = '\0';
    return buf;
}

/* ---------------------------------------------------------------- layout */

typedef struct map_layout {
    double *x; /* left edge of each objective's box */
    double *y;
    double width, height;
} map_layout_t;

static int map__layout(const okr_view_t *v, map_layout_t *m)
{
    m->x = calloc(v->n ? v->n : 1, sizeof *m->x);
    m->y = calloc(v->n ? v->n : 1, sizeof *m->y);
    if (!m->x || !m->y) {
        free(m->x);
        free(m->y);
        return -1;
    }
    /* leaves in alignment order take the slots */
    size_t slots = 0;
    int levels = 0;
    for (size_t k = 0; k < v->n; k++) {
        size_t i = v->order[k];
        const okr_view_obj_t *o = &v->objs[i];
        if (o->nkids == 0)
            m->x[i] = MAP_MARGIN + (double)slots++ * (MAP_BOX_W + MAP_HGAP);
        m->y[i] = MAP_MARGIN + MAP_CAPTION + (double)o->depth * (MAP_BOX_H + MAP_VGAP);
        if (o->depth + 1 > levels)
            levels = o->depth + 1;
    }
    /* parents over their children: children come after parents in the
     * order, so going backwards every child is placed first */
    for (size_t k = v->n; k-- > 0;) {
        size_t i = v->order[k];
        const okr_view_obj_t *o = &v->objs[i];
        if (o->nkids)
            m->x[i] = (m->x[o->kids[0]] + m->x[o->kids[o->nkids - 1]]) / 2.0;
    }
    m->width = 2.0 * MAP_MARGIN +
               (slots ? (double)slots * (MAP_BOX_W + MAP_HGAP) - MAP_HGAP : (double)MAP_BOX_W * 2);
    m->height = 2.0 * MAP_MARGIN + MAP_CAPTION +
                (levels ? (double)levels * (MAP_BOX_H + MAP_VGAP) - MAP_VGAP : 0.0);
    return 0;
}

/* ---------------------------------------------------------------- boxes */

/* Bytes of the longest prefix of s made of whole grapheme clusters that
 * fits in width display columns. */
static size_t map__fit(const char *s, size_t width)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t n = strlen(s), used = 0, w = 0, cluster_start = 0, cluster_w = 0;
    utf8proc_int32_t prev = -1, state = 0;
    while (used < n) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p + used, (utf8proc_ssize_t)(n - used), &cp);
        if (k <= 0) {
            cp = 0xfffd;
            k = 1;
        }
        if (prev < 0 || utf8proc_grapheme_break_stateful(prev, cp, &state)) {
            /* a new cluster starts: the previous one is whole */
            w += cluster_w;
            cluster_start = used;
            cluster_w = 0;
        }
        int cw = utf8proc_charwidth(cp);
        cluster_w += cw > 0 ? (size_t)cw : 0;
        if (w + cluster_w > width)
            return cluster_start;
        prev = cp;
        used += (size_t)k;
    }
    return n;
}

/* Splits title into up to MAP_MAX_ROWS lines of MAP_TITLE_W columns,
 * breaking at a space when there is one late enough; the last line ends in
 * an ellipsis when the title is longer. */
static void map__title_lines(const char *title, char lines[MAP_MAX_ROWS][512], int *n)
{
    const char *rest = title ? title : "";
    *n = 0;
    while (*n < MAP_MAX_ROWS && rest[0]) {
        char *line = lines[(*n)++];
        if (*n == MAP_MAX_ROWS) {
            okr_render_truncate(rest, MAP_TITLE_W, line, 512);
            return;
        }
        size_t k = map__fit(rest, MAP_TITLE_W);
        if (k > 500)
            k = 500;
        if (rest[k] != '\0') {
            for (size_t b = k; b > k / 2; b--)
                if (rest[b] == ' ') {
                    k = b;
                    break;
                }
        }
        if (k == 0) { /* a cluster wider than a line: cut it */
            okr_render_truncate(rest, MAP_TITLE_W, line, 512);
            return;
        }
        memcpy(line, rest, k);
        line[k] = '\0';
        rest += k;
        while (*rest == ' ')
            rest++;
    }
}

static void map__box(FILE *out, const okr_view_t *v, const okr_view_obj_t *o, double x, double y)
{
    Okr__ProgressStatus st = okr_export_obj_status(v, o);
    const char *color = okr_export_color(st);
    char ref[32], judge[64], owner[512];
    okr_ref_format(OKR_REF_OBJECTIVE, o->o->id, ref, sizeof ref);
    okr_export_obj_judgement(v, o, judge, sizeof judge);
    fprintf(out, "<g class=\"okr-obj\" id=\"map-%s\">\n<title>%s ", ref, ref);
    okr_export_xml(out, o->o->title, 0);
    fprintf(out, " \u2014 %d%%, %s, ", okr_render_pct(o->o->progress), judge);
    okr_export_xml(out, o->owner, 0);
    fprintf(out, "%s</title>\n", o->owner_team ? " (team)" : "");
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" rx=\"8\" fill=\"#ffffff\" "
            "stroke=\"%s\" stroke-width=\"1.5\"/>\n",
            x, y, MAP_BOX_W, MAP_BOX_H, color);
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"6\" height=\"%d\" rx=\"3\" fill=\"%s\"/>\n",
            x, y, MAP_BOX_H, color);
    char lines[MAP_MAX_ROWS][512];
    int nlines;
    map__title_lines(o->o->title, lines, &nlines);
    for (int l = 0; l < nlines; l++) {
        fprintf(out,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12.5\" font-weight=\"600\" "
                "fill=\"#212121\">",
                x + 14, y + 20 + l * 16.0);
        okr_export_xml(out, lines[l], 0);
        fputs("</text>\n", out);
    }
    char who[600];
    snprintf(who, sizeof who, "%s%s", o->owner ? o->owner : "-", o->owner_team ? " (team)" : "");
    okr_render_truncate(who, MAP_OWNER_W, owner, sizeof owner);
    fprintf(out,
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#616161\">"
            "<tspan font-weight=\"600\">%s</tspan> \u00b7 ",
            x + 14, y + 56, ref);
    okr_export_xml(out, owner, 0);
    fprintf(out, " \u00b7 <tspan fill=\"%s\">%s</tspan></text>\n", color, judge);
    double p = okr_clamp01(o->o->progress);
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"8\" rx=\"4\" fill=\"#e0e0e0\"/>\n",
            x + 14, y + 68, MAP_BAR_W);
    if (p > 0)
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"8\" rx=\"4\" "
                "fill=\"%s\"/>\n",
                x + 14, y + 68, p * MAP_BAR_W, color);
    fprintf(out,
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#212121\" "
            "text-anchor=\"end\">%d%%</text>\n</g>\n",
            x + MAP_BOX_W - 10, y + 76, okr_render_pct(o->o->progress));
}

/* ---------------------------------------------------------------- the map */

static int map__write(FILE *out, const okr_view_t *v, int standalone)
{
    map_layout_t m;
    if (map__layout(v, &m) != 0)
        return -1;
    if (standalone)
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out,
            "<svg %swidth=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "font-family=\"" MAP_FONT "\">\n",
            standalone ? "xmlns=\"http://www.w3.org/2000/svg\" " : "", m.width, m.height, m.width,
            m.height);
    fputs("<title>OKR alignment map \u2014 ", out);
    okr_export_xml(out, v->cycle->name, 0);
    fputs("</title>\n", out);
    fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\"/>\n",
            m.width, m.height);
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"15\" font-weight=\"600\" fill=\"#212121\">",
            MAP_MARGIN, MAP_MARGIN + 8);
    okr_export_xml(out, v->cycle->name, 0);
    if (okr_view_closed(v))
        fprintf(out, " \u00b7 closed, scores final");
    else
        fprintf(out, " \u00b7 %d%% of the cycle gone", okr_render_pct(v->expected));
    fprintf(out, " \u00b7 %zu objective%s</text>\n", v->n, v->n == 1 ? "" : "s");
    if (v->n == 0)
        fprintf(out,
                "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#757575\">No objectives in "
                "this cycle.</text>\n",
                MAP_MARGIN, MAP_MARGIN + MAP_CAPTION + 12);
    /* edges first, so the boxes cover their ends */
    fputs("<g fill=\"none\" stroke=\"#9e9e9e\" stroke-width=\"1.5\">\n", out);
    for (size_t i = 0; i < v->n; i++) {
        long p = v->objs[i].parent;
        if (p < 0)
            continue;
        double cx = m.x[i] + MAP_BOX_W / 2.0, cy = m.y[i];
        double px = m.x[p] + MAP_BOX_W / 2.0, py = m.y[p] + MAP_BOX_H;
        fprintf(out, "<path d=\"M%.1f %.1f C%.1f %.1f %.1f %.1f %.1f %.1f\"/>\n", cx, cy, cx,
                cy - MAP_VGAP / 2.0, px, py + MAP_VGAP / 2.0, px, py);
    }
    fputs("</g>\n", out);
    for (size_t k = 0; k < v->n; k++) {
        size_t i = v->order[k];
        map__box(out, v, &v->objs[i], m.x[i], m.y[i]);
    }
    fputs("</svg>\n", out);
    free(m.x);
    free(m.y);
    return 0;
}

int okr_export_svg(FILE *out, const okr_view_t *v)
{
    return map__write(out, v, 1);
}

int okr_export_map_inline(FILE *out, const okr_view_t *v)
{
    return map__write(out, v, 0);
}
