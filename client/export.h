/* export.h — the writers behind okr export: a cycle's alignment (an
 * okr_view_t, view_model.h) as a self-contained HTML page, an SVG map, a
 * Graphviz digraph, CSV, JSON or Markdown.
 *
 * Every writer only reads the view and writes to out; none of them touches
 * the network, so the output is the same for the same view (but for the
 * "generated" time, v->now_ms). Each returns 0, or -1 when out of memory;
 * write errors are left in ferror(out) for the caller to check.
 *
 * Escaping is each format's own, applied to every piece of text that comes
 * from people (titles, names, notes): entities for HTML and SVG (and
 * control characters, which XML 1.0 cannot carry, become U+FFFD), backslash
 * escapes in DOT strings, RFC 4180 quoting in CSV, backslash escapes of
 * Markdown's punctuation, and jansson for JSON.
 */
#ifndef OKR_EXPORT_H
#define OKR_EXPORT_H

#include <stdio.h>

#include "view_model.h"

/* One page: the header with the cycle's figures, the alignment map (an
 * inline SVG), and a table of every objective and key result. Inline CSS,
 * no scripts, nothing fetched; well-formed as XML too (polyglot markup). */
int okr_export_html(FILE *out, const okr_view_t *v);

/* The alignment map alone, as a standalone SVG document. */
int okr_export_svg(FILE *out, const okr_view_t *v);

/* The map as an <svg> element for an HTML page (no XML prolog, no
 * namespace: the HTML parser puts it in SVG's). */
int okr_export_map_inline(FILE *out, const okr_view_t *v);

/* digraph: objectives as boxes (progress, status colour), key results as
 * notes under them, edges child -> parent. */
int okr_export_dot(FILE *out, const okr_view_t *v);

/* One row per objective and per key result with every figure. */
int okr_export_csv(FILE *out, const okr_view_t *v);

/* {"cycle": ..., "objectives": [each with its key_results]}. */
int okr_export_json(FILE *out, const okr_view_t *v);

/* A cycle review in Markdown: a section per top objective, a subsection
 * per aligned one, each with a table of its key results. */
int okr_export_md(FILE *out, const okr_view_t *v);

/* ---- shared by the writers */

/* s as XML/HTML text or attribute value: & < > " ' as entities, control
 * characters as U+FFFD; newlines kept when keep_newlines. */
void okr_export_xml(FILE *out, const char *s, int keep_newlines);

/* s as the inside of a Markdown line (or table cell: '|' escaped too). */
void okr_export_md_text(FILE *out, const char *s);

/* The status colour of an objective (its grade's once the cycle is closed)
 * or of a key result, as "#rrggbb"; and a light tint of it for fills. */
const char *okr_export_color(Okr__ProgressStatus s);
const char *okr_export_tint(Okr__ProgressStatus s);

/* The status an objective is drawn with: its status, or for a closed cycle
 * the status that matches its grade (green on track, yellow at risk, red
 * off track). */
Okr__ProgressStatus okr_export_obj_status(const okr_view_t *v, const okr_view_obj_t *o);

/* "on track" / ..., or "0.70 green" for a closed cycle's objective. */
const char *okr_export_obj_judgement(const okr_view_t *v, const okr_view_obj_t *o, char *buf,
                                     size_t len);

/* ISO 8601 UTC, "2026-03-31T09:30:00Z"; "" for 0. */
const char *okr_export_iso_time(int64_t ms, char *buf, size_t len);

#endif
