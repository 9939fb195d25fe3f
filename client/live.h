/* live.h — a self-healing live connection to okrd: subscriptions to scopes
 * (an objective, a team, a cycle, the organisation) whose events keep coming
 * across lost connections and server restarts.
 *
 * Built on okr_client (client.h). An okr_live_t holds at most one connection
 * at a time. When it is lost (the server closed it, the network failed, or a
 * ping got no answer), okr_live_run reconnects by itself: exponential backoff
 * with full jitter (each wait is uniform in [0, min(backoff_max, backoff_min *
 * 2^attempt)]), then authentication with the session token, then every scope
 * is subscribed again with resume = true and since_seq = the newest seq seen
 * (DESIGN.md section 4): the server replays what was missed, or sends a fresh
 * snapshot when that is older than its window. Nothing is delivered twice:
 * besides the server's guarantee, the newest few thousand seqs delivered are
 * remembered and a repeat is dropped (two scopes resumed from one seq would
 * otherwise each replay a change both cover).
 *
 * A heartbeat (WhoamiRequest) goes every ping_interval_ms: that keeps the
 * server's idle timeout away, finds a half-open connection (a TV whose Wi-Fi
 * went away) within ping_interval_ms + conn.timeout_ms, and notices a
 * connection the server logged out (reconnecting then tells whether the
 * session is really over).
 *
 * Errors are okr_err_t (okr_error.h). What cannot heal ends okr_live_run:
 * OKR_E_UNAUTHENTICATED (the token expired or was revoked), OKR_E_TLS (the
 * certificate no longer matches its pin, or cannot be verified: reported
 * after three attempts in a row fail that way, since a handshake cut short by
 * a restarting server looks the same at first), OKR_E_UNSUPPORTED (protocol
 * version refused), and OKR_E_FORBIDDEN / OKR_E_NOT_FOUND when a scope can no
 * longer be subscribed (the objective was deleted, access was withdrawn).
 *
 * Not thread-safe: one thread per okr_live_t, like okr_client_t.
 */
#ifndef OKR_LIVE_H
#define OKR_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"

typedef struct okr_live okr_live_t;

typedef enum okr_live_state {
    OKR_LIVE_CONNECTING,   /* inside okr_live_new, before the first connection is up */
    OKR_LIVE_CONNECTED,    /* authenticated, every scope subscribed */
    OKR_LIVE_RECONNECTING, /* the connection was lost; retrying with backoff */
} okr_live_state_t;

typedef struct okr_live_opts {
    /* How to connect. Copied by okr_live_new (the strings too); confirm_new
     * is only asked on the first connection: a reconnect never prompts. */
    okr_client_opts_t conn;
    /* Session token from an earlier login (AuthTokenRequest after each
     * connect). Copied; the copy is wiped when freed. Required. */
    const char *token;
    uint32_t backoff_min_ms;   /* first reconnect delay bound; 0 = 200 */
    uint32_t backoff_max_ms;   /* cap on the delay bound; 0 = 15000 */
    uint32_t ping_interval_ms; /* 0 = 30000 */
    /* Called for every event, in order, from okr_live_run only. ev (and
     * everything it points to) is valid during the call only. NULL: events
     * are tracked (okr_live_last_seq) and dropped. */
    void (*on_event)(void *arg, const Okr__Event *ev);
    /* Called when the connection is lost (RECONNECTING, detail says why:
     * from okr_live_run, or from okr_live_drop / okr_live_subscribe when it
     * happened there), after each failed reconnect attempt (RECONNECTING,
     * detail is that attempt's error) and when it is back (CONNECTED, detail
     * NULL), from okr_live_run. Not called for the first connection, which
     * okr_live_new reports by returning. ms_since_last_event: since the last
     * event was received, or since okr_live_new if none was. detail is valid
     * during the call only. May be NULL. */
    void (*on_state)(void *arg, okr_live_state_t st, const char *detail,
                     uint64_t ms_since_last_event);
    void *arg; /* passed to both callbacks */
} okr_live_opts_t;

/* Creates a live connection and makes its first connection (connect, verify,
 * Hello, authenticate with the token). That first attempt is not retried:
 * its error is returned (OKR_E_IO, OKR_E_TIMEOUT, OKR_E_TLS,
 * OKR_E_UNAUTHENTICATED, OKR_E_UNSUPPORTED, OKR_E_NOMEM, OKR_E_BAD_REQUEST
 * for missing options) with a message for people in err, and *out is NULL.
 * A caller that wants to wait for a server that is not up yet calls it again.
 * On success *out is owned by the caller: release with okr_live_free. */
int okr_live_new(okr_live_t **out, const okr_live_opts_t *opts, char *err, size_t errlen);

/* Subscribes to scope (copied) and remembers it for every reconnect.
 * since_seq 0: live events only, from now on; otherwise the server first
 * replays the changes in scope after since_seq (or a snapshot).
 * Blocks until the server answers. Events that arrive meanwhile are kept for
 * the next okr_live_run. Returns 0; or the server's refusal
 * (OKR_E_BAD_REQUEST, OKR_E_FORBIDDEN, OKR_E_NOT_FOUND, OKR_E_UNSUPPORTED, ...)
 * with its message in okr_live_error(), and the scope is not remembered; or
 * OKR_E_NOMEM. When the connection is down or is lost during the call, the
 * scope is remembered, 0 is returned and okr_live_run subscribes it once it
 * has reconnected (a refusal then ends okr_live_run). */
int okr_live_subscribe(okr_live_t *l, const Okr__Scope *scope, uint64_t since_seq);

/* Pumps events for timeout_ms (0: only what is ready now), calling on_event
 * and on_state; reconnects as described above. May overrun timeout_ms by one
 * connection attempt (at most conn.timeout_ms per step). Returns 0 once
 * timeout_ms have passed, whether connected or not; or an error that cannot
 * heal (see the top of this file; message in okr_live_error()), after which
 * every further call returns the same error at once. Must not be called from
 * on_event or on_state. */
int okr_live_run(okr_live_t *l, uint32_t timeout_ms);

/* The newest seq seen: the highest seq of the events delivered (snapshot
 * events count only once their snapshot_done arrived, and then with the
 * snapshot's seq), or the newest committed seq when a live-only subscription
 * was made before any event arrived. 0 if none. */
uint64_t okr_live_last_seq(const okr_live_t *l);

/* The current state. */
okr_live_state_t okr_live_state(const okr_live_t *l);

/* Closes the current connection at once, as a network failure would: the
 * server drops its subscriptions, and the next okr_live_run reconnects (after
 * a backoff delay) and resumes. For tests and for a person's "reconnect
 * now". Safe to call from on_event (the close then happens after it
 * returns). No-op when there is no connection. */
void okr_live_drop(okr_live_t *l);

/* The current connection, or NULL while there is none. Owned by l: valid
 * until the next okr_live_run, okr_live_subscribe, okr_live_drop or
 * okr_live_free. It may be used for requests (e.g. name lookups from
 * on_event: events that arrive meanwhile are delivered after on_event
 * returns); do not free it or change its event callback. */
okr_client_t *okr_live_client(okr_live_t *l);

/* The last error message; never NULL. Valid until the next call on l. */
const char *okr_live_error(const okr_live_t *l);

/* Closes the connection and frees everything; events not yet delivered are
 * dropped. NULL is a no-op. Must not be called from a callback. */
void okr_live_free(okr_live_t *l);

/* Retries that must not all come at once (every dashboard of an office after
 * a server restart): okr_spread is a number in [0, bound] drawn with
 * xorshift64* from *state, which okr_spread_seed sets from the clock, the
 * process and salt. For spreading load, not for secrets. */
uint64_t okr_spread_seed(const void *salt);
uint64_t okr_spread(uint64_t *state, uint64_t bound);

#endif
