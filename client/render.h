/* render.h — how okr shows OKR figures to people: progress bars, status and
 * grade colours, dates, and values with their units. Colours are used only
 * when stdout is a terminal and NO_COLOR is not set.
 */
#ifndef OKR_RENDER_H
#define OKR_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "okr.pb-c.h"
#include "progress.h"

/* 1 if colours should be used on stdout. */
int okr_render_color(void);

/* p in [0,1] as a whole percent, rounded down: "100%" only when it is done,
 * and the same figure everywhere okr and okr-dash show one (bars, tables,
 * trends, the cycle's pace). NaN gives 0. */
int okr_render_pct(double p);

/* A progress bar of width cells for p in [0,1], e.g. "███████░░░  70%", into
 * buf (UTF-8; display width = width + 5). Coloured by status when colour is
 * on and status is not UNSPECIFIED. Returns buf. */
const char *okr_render_bar(double p, int width, Okr__ProgressStatus status, char *buf, size_t len);

/* "on track" / "at risk" / "off track", coloured green/yellow/red when on. */
const char *okr_render_status(Okr__ProgressStatus status, char *buf, size_t len);

/* "0.70 green" coloured by grade when on. */
const char *okr_render_score(double score, char *buf, size_t len);

/* A score as a number, "0.77": two decimals, rounded down like the
 * percentages (0.775 is shown beside 77%, and 0.699, yellow, never reads
 * 0.70). NaN gives 0.00. Returns buf. */
const char *okr_render_score_num(double score, char *buf, size_t len);

/* A value with its metric and unit: "42", "42%", "$1,200" style "1200 USD",
 * "done"/"not done" for boolean. */
const char *okr_render_value(const Okr__KeyResult *kr, double value, char *buf, size_t len);

/* A sparkline of progress values in [0, 1] ("▁▂▄▆█": eight heights), one
 * character per value; the latest ones if buf cannot hold them all (each
 * takes 3 bytes). Returns buf ("" for n == 0). */
const char *okr_render_spark(const double *values, size_t n, char *buf, size_t len);

/* A trend's last weeks (at most max, 64 at most), the last one replaced by
 * the progress now, so that a sparkline shown beside a live bar ends where
 * the bar is. "" for a trend of fewer than 2 points. Returns buf. */
const char *okr_render_spark_recent(const double *trend, size_t n, size_t max, double now,
                                    char *buf, size_t len);

/* Dates: ms since epoch to "2026-03-31" (local time); 0 gives "-". */
const char *okr_render_date(int64_t ms, char *buf, size_t len);

/* Parses "2026-03-31" (local midnight), "today", "+7d" (days from now) into
 * ms. Returns 0 or -1. end_of_day: 23:59:59.999 of that date instead. */
int okr_render_parse_date(const char *text, int end_of_day, int64_t *ms);

/* Parses a moment into ms: "2026-03-31 17:30" (or with a T, or with :SS
 * seconds), in local time; or a date as okr_render_parse_date reads it,
 * taken at its end (23:59:59.999), the figure as of that day. 0 or -1. */
int okr_render_parse_when(const char *text, int64_t *ms);

/* "3 days ago", "just now", "never" (0). */
const char *okr_render_ago(int64_t ms, int64_t now_ms, char *buf, size_t len);

/* ---- added for tables (okr_cli_table_add turns ESC into '?', so coloured
 * strings must not be put into a table's cells: colour them here instead) */

/* Copies s into buf cut to at most max_width display columns, never inside a
 * grapheme cluster (utf8proc), ending in "…" when something was cut. Returns
 * buf. */
const char *okr_render_truncate(const char *s, size_t max_width, char *buf, size_t len);

/* The SGR colour parameter ("32" green, "33" yellow, "31" red) of a status or
 * a grade, NULL for none; for okr_render_table_print. Static strings. */
const char *okr_render_status_sgr(Okr__ProgressStatus status);
const char *okr_render_grade_sgr(okr_grade_t grade);

/* Prints t like okr_cli_table_print (columns aligned by display width), and
 * when okr_render_color() is on, colours cell (row, col) with the SGR
 * parameter color(arg, row, col) returns (NULL: none; row 0 is the header).
 * color may be NULL. */
typedef const char *(*okr_render_cell_color_fn)(void *arg, size_t row, size_t col);
struct okr_cli_table;
void okr_render_table_print(const struct okr_cli_table *t, FILE *out,
                            okr_render_cell_color_fn color, void *arg);

#endif
