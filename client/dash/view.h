/* view.h — okr-dash on a terminal with ncursesw: draws frames from
 * layout.h in three windows (header, body, footer), rewriting only the lines
 * that differ from the frame drawn before (wnoutrefresh + doupdate; never a
 * clear per event), and reads the keyboard without blocking.
 */
#ifndef OKR_DASH_VIEW_H
#define OKR_DASH_VIEW_H

#include "layout.h"

typedef struct dash_view dash_view_t;

/* Takes over the terminal (initscr). Returns NULL when it cannot (not a
 * terminal, out of memory), after printing why on stderr. */
dash_view_t *dash_view_open(void);

/* The terminal's size now. */
void dash_view_size(const dash_view_t *v, int *width, int *height);

/* Draws f and takes it over (frees the frame drawn before; f is emptied). */
void dash_view_draw(dash_view_t *v, dash_frame_t *f);

/* Forgets what is on the screen, so the next draw rewrites every line
 * (after a resize, or to repair a screen something else wrote to). */
void dash_view_invalidate(dash_view_t *v);

/* The next key, or -1 if none is waiting. KEY_RESIZE after a resize. */
int dash_view_key(dash_view_t *v);

/* Gives the terminal back (endwin) and frees v. NULL is a no-op. */
void dash_view_close(dash_view_t *v);

#endif
