/* layout.h — what okr-dash draws, as text: a frame of exactly height lines,
 * each at most width display columns, made of runs of text with attributes
 * (colour, bold, dim, reverse). Pure: no terminal, no clock of its own.
 * `okr-dash --once` prints a frame's text; the curses view (view.h) draws the
 * same frame with the attributes, so both show the same thing.
 *
 * The screen, top to bottom:
 *   header   the scope's name and cycle, the clock, the days left; a summary
 *            (objectives, average progress, pace, how many on track / at risk
 *            / off track); a rule
 *   body     one card per objective: its title and status; a large progress
 *            bar in the status colour with the cycle's expected progress
 *            (pace) marked on it; its owner, key results, progress against
 *            pace and days since the last check-in. Grouped by team when the
 *            scope holds several; cut into pages when they do not fit
 *   footer   a rule, the ticker (latest check-ins, kudos, comments), and a
 *            status line (page, and the connection's state)
 *
 * Sizes: cards grow (taller bars, a blank line between cards) and the ticker
 * gets more lines as the height grows; 80x24 is the smallest size designed
 * for, and everything still fits, cut, below it. Widths are display widths
 * (a CJK character counts 2); titles are cut at grapheme boundaries.
 *
 * Which objectives: those of one cycle — the scope's cycle for a cycle
 * token, else the active cycle holding most of the scope's objectives (else,
 * when no cycle is known to be active, the newest cycle among them) — that
 * are neither drafts nor archived. Status is recomputed against the pace at
 * `now` when the cycle is known (the server's figure is as old as the last
 * write), using the lowest confidence among the key results, as the server
 * does (common/progress.h).
 */
#ifndef OKR_DASH_LAYOUT_H
#define OKR_DASH_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* Attributes of a run: a colour in the low bits, flags above. */
enum dash_color {
    DASH_COLOR_DEFAULT = 0,
    DASH_COLOR_GREEN,
    DASH_COLOR_YELLOW,
    DASH_COLOR_RED,
    DASH_COLOR_CYAN,
    DASH_COLOR_COUNT,
};
#define DASH_ATTR_COLOR   0x0fu
#define DASH_ATTR_BOLD    0x10u
#define DASH_ATTR_DIM     0x20u
#define DASH_ATTR_REVERSE 0x40u

/* A run of text: bytes [off, off + len) of its line's text. */
typedef struct dash_span {
    uint32_t off, len;
    unsigned attr;
} dash_span_t;

typedef struct dash_line {
    char *text; /* UTF-8, NUL-terminated, no control characters */
    size_t len, cap;
    dash_span_t *spans;
    size_t nspans, capspans;
    size_t width; /* display columns */
    int clipped;  /* text was cut to fit: nothing more is added */
} dash_line_t;

/* What the connection looks like, for the status line's colour. */
typedef enum dash_link {
    DASH_LINK_NONE = 0, /* nothing to say (--once) */
    DASH_LINK_LIVE,
    DASH_LINK_CONNECTING,
    DASH_LINK_DOWN,
} dash_link_t;

typedef struct dash_layout_opts {
    int width, height;
    int page;              /* 0-based; taken modulo the number of pages */
    int64_t now_wall_ms;   /* for the clock, days left, pace, ages */
    uint64_t now_mono_ms;  /* the clock of dash_model_apply's now_ms */
    uint32_t highlight_ms; /* an objective changed this recently is highlighted */
    const char *title;     /* NULL: the scope's name */
    dash_link_t link;
    const char *status;  /* right of the status line, e.g. "live" */
    const char *message; /* shown instead of the objectives (connecting, an error) */
    int next_page_s;     /* > 0: "next page in N s" */
} dash_layout_opts_t;

typedef struct dash_frame {
    int width, height;
    dash_line_t *lines; /* height lines */
    int header_rows, body_rows, footer_rows;
    int page, npages;
    uint64_t *obj_ids; /* objectives shown, in order, and the page of each */
    int *obj_pages;
    size_t nobjs;
} dash_frame_t;

/* Lays the model out. Returns 0, or -1 when out of memory (out is then
 * empty). Free out with dash_frame_free. */
int dash_layout(const dash_model_t *m, const dash_layout_opts_t *o, dash_frame_t *out);

void dash_frame_free(dash_frame_t *f);

/* The page (0-based) an objective is on, or -1 when it is not shown. */
int dash_frame_page_of(const dash_frame_t *f, uint64_t objective_id);

/* 1 if two lines look the same (text and attributes). */
int dash_line_equal(const dash_line_t *a, const dash_line_t *b);

/* The frame as plain text: each line without trailing blanks, then '\n'.
 * Caller frees; NULL when out of memory. */
char *dash_frame_text(const dash_frame_t *f);

/* The scope's name for people: "Team Platform", "Cycle 2026-Q1",
 * "Organisation". Into buf; returns buf. */
const char *dash_scope_name(const dash_model_t *m, char *buf, size_t len);

#endif
