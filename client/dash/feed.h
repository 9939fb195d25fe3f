/* feed.h — okr-dash's events: the first view and then the live stream, kept
 * alive across lost connections and server restarts.
 *
 * Start (dash_feed_start): one plain connection (client.h) authenticates
 * with the dashboard token — its answer names the token's scope — then
 * subscribes with snapshot = true, fills the model up to snapshot_done, looks
 * up the owners' names and closes. `okr-dash --once` stops there.
 *
 * Live (dash_feed_pump): an okr_live_t (live.h) with the same token resumes
 * the scope from the snapshot's seq and keeps it up: after a lost connection
 * it reconnects with backoff and resumes from the newest seq seen (the
 * server replays what was missed, or sends a fresh snapshot, which the
 * model takes in whole). Users' names are looked up as events bring new ids;
 * the objectives' weekly trends (the cards' sparklines) are asked for at the
 * start and every 10 minutes (a minute after the server was too busy to
 * give them, the last ones kept meanwhile), their last point drawn from
 * live progress.
 *
 * Not thread-safe; one feed per process in practice.
 */
#ifndef OKR_DASH_FEED_H
#define OKR_DASH_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "layout.h"
#include "live.h"
#include "model.h"

typedef struct dash_feed {
    okr_client_opts_t conn; /* strings owned by the caller, alive as long as the feed */
    const char *token;      /* the dashboard secret; owned by the caller */
    dash_model_t model;
    int have_scope;
    Okr__ScopeKind scope_kind;
    uint64_t scope_id;
    char label[256]; /* the token's label */

    okr_live_t *live;
    int started;          /* the first snapshot is in the model */
    unsigned live_tries;  /* failed attempts to make the live connection */
    uint64_t next_try_ms; /* monotonic: when to try it again */
    dash_link_t link;
    uint64_t last_event_ms;   /* monotonic: the last event (or the snapshot) */
    uint64_t changed_ms;      /* monotonic: the model last changed */
    int fatal;                /* okr_err_t that retrying will not fix, else 0 */
    uint64_t trends_ms;       /* monotonic: the objectives' trends were last asked for */
    int no_trends;            /* the server cannot give trends (older than protocol 1.3) */
    int trends_busy;          /* the server was too busy last time: ask again sooner */
    uint64_t trends_retry_ms; /* how much sooner: about a minute, spread (okr_spread) */
    uint64_t rng;             /* okr_spread's state: dashboards retry at different times */
    int log;                  /* log connection events (okr_info, to stderr) */
    char error[1024];         /* why the last attempt failed, for people */
} dash_feed_t;

/* Sets up an idle feed; conn and token must outlive it. */
void dash_feed_init(dash_feed_t *f, const okr_client_opts_t *conn, const char *token);

/* Connects, authenticates, takes the snapshot and the names (blocking, at
 * most about three times conn->timeout_ms). Returns 0 (f->started), or an
 * okr_err_t with a message in f->error: OKR_E_IO / OKR_E_TIMEOUT /
 * OKR_E_CLOSED (cannot reach the server), OKR_E_TLS (certificate does not
 * match the pin), OKR_E_UNAUTHENTICATED (the token is unknown or revoked, or
 * is not a dashboard token), OKR_E_UNSUPPORTED (the server has no dashboard
 * tokens), OKR_E_FORBIDDEN / OKR_E_NOT_FOUND (the scope cannot be read),
 * OKR_E_PROTOCOL (no snapshot came). */
int dash_feed_start(dash_feed_t *f);

/* After a successful start: runs the live connection for up to timeout_ms
 * (making it first if needed), applying events to the model and looking up
 * new names. Returns 0, or an error that retrying will not fix (the token
 * was revoked: OKR_E_UNAUTHENTICATED; the scope became unreadable; the
 * certificate changed) with a message in f->error; the live connection is
 * then closed, and a later dash_feed_start may try again. */
int dash_feed_pump(dash_feed_t *f, uint32_t timeout_ms);

/* Closes everything and frees the model. */
void dash_feed_free(dash_feed_t *f);

#endif
