/* session_sweep.h — okrd deletes expired sessions without being asked.
 *
 * A login stores a session that nobody deletes when it expires (logout
 * deletes only live ones): a script logging in every few minutes would grow
 * the store for ever. So okrd sweeps: at start, then every session_sweep_s
 * seconds, in rounds of OKR_SESSION_SWEEP_BATCH sessions, each round one
 * write through the writer (okr_sessions_sweep), so that no round holds the
 * writer long. A round that leaves sessions to walk is followed by the next
 * on the next turn of the loop, other writes in between. One INFO line per
 * sweep that deleted any: "sessions: N expired removed".
 *
 * Loop thread only.
 */
#ifndef OKR_SESSION_SWEEP_H
#define OKR_SESSION_SWEEP_H

#include <stdint.h>

typedef struct okr_server okr_server_t;
typedef struct okr_session_sweep okr_session_sweep_t;

/* Starts sweeping on srv's loop: the first sweep on the loop's next turn.
 * srv->writer must be running. NULL if out of memory. */
okr_session_sweep_t *okr_session_sweep_start(okr_server_t *srv);

/* Expired sessions deleted since start (Stats); 0 for NULL. */
uint64_t okr_session_sweep_removed(const okr_session_sweep_t *sw);

/* Stops sweeping and frees sw once its timer has closed. Call once the
 * writer has stopped (no round is then in flight). NULL is ignored. */
void okr_session_sweep_close(okr_session_sweep_t *sw);

#endif
