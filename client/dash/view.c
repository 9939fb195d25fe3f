/* view.c — frames on the terminal with ncursesw (see view.h).
 *
 * The frame drawn last is kept; a new frame is compared with it line by
 * line and only lines that differ are written into their window. ncurses
 * then sends only the changed cells (doupdate), so a check-in repaints one
 * card and a tick of the clock one line. Windows are made again when the
 * frame's geometry changes (resize, or the size class of the layout).
 */
#include "view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct dash_view {
    WINDOW *win[3]; /* header, body, footer (NULL when 0 rows) */
    int rows[3];
    int width, height;
    dash_frame_t shown; /* what is on the screen; height 0: nothing */
    int colors;
};

dash_view_t *dash_view_open(void)
{
    if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
        fprintf(stderr, "okr-dash: needs a terminal (or use --once)\n");
        return NULL;
    }
    dash_view_t *v = calloc(1, sizeof *v);
    if (!v) {
        fprintf(stderr, "okr-dash: out of memory\n");
        return NULL;
    }
    if (!initscr()) {
        fprintf(stderr, "okr-dash: cannot initialise the terminal (is TERM set?)\n");
        free(v);
        return NULL;
    }
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    if (has_colors()) {
        start_color();
        use_default_colors();
        init_pair(DASH_COLOR_GREEN, COLOR_GREEN, -1);
        init_pair(DASH_COLOR_YELLOW, COLOR_YELLOW, -1);
        init_pair(DASH_COLOR_RED, COLOR_RED, -1);
        init_pair(DASH_COLOR_CYAN, COLOR_CYAN, -1);
        v->colors = 1;
    }
    /* stdscr is never written to; refreshing it once now keeps getch from
     * painting it over the windows later. */
    refresh();
    return v;
}

void dash_view_size(const dash_view_t *v, int *width, int *height)
{
    (void)v;
    *width = COLS;
    *height = LINES;
}

static void view__drop_windows(dash_view_t *v)
{
    for (int i = 0; i < 3; i++) {
        if (v->win[i])
            delwin(v->win[i]);
        v->win[i] = NULL;
        v->rows[i] = 0;
    }
}

void dash_view_invalidate(dash_view_t *v)
{
    dash_frame_free(&v->shown);
    view__drop_windows(v);
    clearok(curscr, TRUE);
}

/* Makes the windows for f's geometry; returns 1 if they are new. */
static int view__windows(dash_view_t *v, const dash_frame_t *f)
{
    int rows[3] = {f->header_rows, f->body_rows, f->footer_rows};
    if (f->width == v->width && f->height == v->height && rows[0] == v->rows[0] &&
        rows[1] == v->rows[1] && rows[2] == v->rows[2] && (v->win[0] || v->win[1] || v->win[2]))
        return 0;
    view__drop_windows(v);
    int y = 0;
    for (int i = 0; i < 3; i++) {
        if (rows[i] > 0) {
            v->win[i] = newwin(rows[i], f->width, y, 0);
            if (v->win[i]) {
                scrollok(v->win[i], FALSE);
                leaveok(v->win[i], TRUE);
            }
        }
        v->rows[i] = rows[i];
        y += rows[i];
    }
    v->width = f->width;
    v->height = f->height;
    return 1;
}

static attr_t view__attr(const dash_view_t *v, unsigned a, short *pair)
{
    attr_t out = A_NORMAL;
    if (a & DASH_ATTR_BOLD)
        out |= A_BOLD;
    if (a & DASH_ATTR_DIM)
        out |= A_DIM;
    if (a & DASH_ATTR_REVERSE)
        out |= A_REVERSE;
    unsigned color = a & DASH_ATTR_COLOR;
    *pair = v->colors && color < DASH_COLOR_COUNT ? (short)color : 0;
    return out;
}

static void view__line(dash_view_t *v, WINDOW *w, int y, const dash_line_t *l)
{
    wmove(w, y, 0);
    for (size_t i = 0; i < l->nspans; i++) {
        const dash_span_t *s = &l->spans[i];
        short pair;
        attr_t a = view__attr(v, s->attr, &pair);
        wattr_set(w, a, pair, NULL);
        /* The last cell of a window cannot be written without ERR (the
         * cursor cannot move past it); the text is still shown. */
        waddnstr(w, l->text + s->off, (int)s->len);
    }
    wattr_set(w, A_NORMAL, 0, NULL);
    if ((int)l->width < v->width)
        wclrtoeol(w);
}

void dash_view_draw(dash_view_t *v, dash_frame_t *f)
{
    int fresh = view__windows(v, f);
    int base = 0;
    for (int i = 0; i < 3; i++) {
        WINDOW *w = v->win[i];
        if (!w)
            continue;
        base = i == 0 ? 0 : i == 1 ? f->header_rows : f->header_rows + f->body_rows;
        int changed = fresh;
        for (int y = 0; y < v->rows[i]; y++) {
            int row = base + y;
            if (!fresh && v->shown.height == f->height &&
                dash_line_equal(&v->shown.lines[row], &f->lines[row]))
                continue;
            view__line(v, w, y, &f->lines[row]);
            changed = 1;
        }
        if (changed)
            wnoutrefresh(w);
    }
    doupdate();
    dash_frame_free(&v->shown);
    v->shown = *f;
    memset(f, 0, sizeof *f);
}

int dash_view_key(dash_view_t *v)
{
    (void)v;
    int ch = getch();
    return ch == ERR ? -1 : ch;
}

void dash_view_close(dash_view_t *v)
{
    if (!v)
        return;
    view__drop_windows(v);
    dash_frame_free(&v->shown);
    endwin();
    free(v);
}
