/* client.h — the okr client library: connect over TLS, verify the server,
 * say hello, send requests (pipelined, matched by id) and receive events.
 * Used by okr, okr-dash, okr-bench and the integration tests.
 *
 * The library runs its own libuv loop (one per okr_client_t); the blocking
 * calls below run that loop until their answer arrives or a deadline passes.
 * Not thread-safe: one thread per client.
 *
 * Trust: with opts.ca_file the server's chain is verified against that CA;
 * otherwise the SHA-256 fingerprint of the server's certificate must match the
 * pin stored for "host:port" in opts.known_servers_path (see trust.h). An
 * unknown server is trusted on first use only if opts.trust_new is set or
 * opts.confirm_new returns 1 (okr asks the person, like ssh); a pin that does
 * not match is always refused with OKR_E_TLS and a loud message. The host name
 * is checked against the certificate in both modes.
 *
 * libuv writes to sockets with write(2), so okr_client_connect sets SIGPIPE
 * to SIG_IGN if it is still SIG_DFL (a closed peer must not kill the process).
 */
#ifndef OKR_CLIENT_H
#define OKR_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "okr.pb-c.h"

#define OKR_PROTOCOL_MAJOR 1
#define OKR_PROTOCOL_MINOR 6

/* The protocol minors from which a server takes what older ones ignore. */
#define OKR_PROTOCOL_LOGOUT_EVERYWHERE   2 /* LogoutRequest.everywhere */
#define OKR_PROTOCOL_DATED_CHECKINS      3 /* CheckInRequest.at */
#define OKR_PROTOCOL_TREND               3 /* TrendRequest */
#define OKR_PROTOCOL_FEEDBACK            4 /* MineRequest.feedback_since */
#define OKR_PROTOCOL_SINCE_LISTS         5 /* {CheckIn,Comment}ListRequest cycle_id, since */
#define OKR_PROTOCOL_OBJECTIVES_WITH_KRS 5 /* ObjectiveListRequest.with_key_results */
#define OKR_PROTOCOL_SESSIONS            5 /* SessionListRequest, SessionRevokeRequest */
#define OKR_PROTOCOL_LIMITS              6 /* HelloResult.max_key_results_per_objective */
#define OKR_PROTOCOL_IMPORT              6 /* ImportRequest, HelloResult.max_import_items */

typedef struct okr_client okr_client_t;

typedef struct okr_client_opts {
    const char *host;               /* "127.0.0.1", "okr.example.com" */
    uint16_t port;                  /* default 7433 if 0 */
    const char *ca_file;            /* verify by CA; NULL = pinning */
    const char *known_servers_path; /* pin file; NULL = default in the config dir */
    int trust_new;                  /* accept and store an unknown server's pin */
    /* Asked when the server is unknown and trust_new is 0. Return 1 to trust
     * (the pin is then stored), 0 to refuse. NULL = refuse. */
    int (*confirm_new)(void *arg, const char *hostport, const char *fingerprint_hex);
    void *confirm_arg;
    uint32_t timeout_ms;     /* connect+handshake+hello, and each call; default 10000 */
    const char *client_name; /* sent in Hello, default "okr-client" */
    /* If set, a TLS session ticket from this server is kept in this file
     * (mode 0600) and offered on the next connection: a resumed handshake
     * skips the certificate signature, which is what makes a one-shot command
     * like `okr checkin` quick. The server is still verified (pin or CA):
     * the session carries its certificate. NULL = no resumption. */
    const char *session_cache_path;
    /* If set, an AuthToken with this token is sent right behind Hello, once
     * the server has been verified, without waiting (one round trip less);
     * okr_client_auth_token() with the same token then collects its answer.
     * NULL = authenticate later. */
    const char *auth_token;
    /* If set, okr_client_connect returns once Hello (and the token) are
     * queued, without waiting for the answer: the first okr_client_wait or
     * call takes it and checks the protocol version first, reporting a
     * refusal there. For one-shot commands, whose first requests can then
     * follow at once: what is sent before the first wait, call or poll leaves
     * with Hello in one TLS record.
     * okr_client_server_hello is NULL until then. */
    int defer_hello;
} okr_client_opts_t;

/* Connects, completes the TLS handshake, verifies the server and exchanges
 * Hello. On success *out is a ready client; on failure returns an okr_err_t
 * (OKR_E_IO: cannot connect, OKR_E_TLS: handshake or trust failed,
 * OKR_E_TIMEOUT, OKR_E_UNSUPPORTED: protocol version refused) and writes a
 * message for people into err. */
int okr_client_connect(okr_client_t **out, const okr_client_opts_t *opts, char *err, size_t errlen);

/* Closes the connection (close_notify) and frees everything. NULL is a no-op. */
void okr_client_free(okr_client_t *c);

/* Sends req (its id is assigned by the library) and waits for the response.
 * On success returns 0 and *resp is the response (free with
 * okr__response__free_unpacked(*resp, NULL)); a non-OK Status is still a
 * success of the call: check (*resp)->status. Returns OKR_E_CLOSED,
 * OKR_E_TIMEOUT, OKR_E_PROTOCOL or OKR_E_NOMEM when no response came, with a
 * message in okr_client_error(). */
int okr_client_call(okr_client_t *c, Okr__Request *req, Okr__Response **resp);

/* Pipelining: sends req without waiting and returns its id in *id. */
int okr_client_send(okr_client_t *c, Okr__Request *req, uint64_t *id);

/* Waits for the response to an id returned by okr_client_send (responses to
 * other ids that arrive meanwhile are kept for their own wait). */
int okr_client_wait(okr_client_t *c, uint64_t id, Okr__Response **resp);

/* okr_client_wait with its own deadline instead of the client's timeout_ms:
 * for a request the server is known to take long over (an import). */
int okr_client_wait_within(okr_client_t *c, uint64_t id, uint32_t timeout_ms, Okr__Response **resp);

/* Whether OKR_TRACE asks for the conversation on stderr ("okr: -> whoami
 * #3", "okr: <- #3 OK"); callers add what they do between (a pause). */
int okr_client_tracing(void);

/* Events: called from inside any blocking call (or okr_client_poll) as
 * they arrive. ev is valid only during the call. */
typedef void (*okr_event_fn)(void *arg, const Okr__Event *ev);
void okr_client_on_event(okr_client_t *c, okr_event_fn fn, void *arg);

/* Runs the loop for at most timeout_ms, delivering events. Returns 0, or
 * OKR_E_CLOSED once the connection is gone. */
int okr_client_poll(okr_client_t *c, uint32_t timeout_ms);

/* Sends raw bytes on the TLS connection, bypassing framing. For tests of
 * the server's handling of broken clients only. */
int okr_client_send_raw(okr_client_t *c, const void *data, size_t len);

/* The server's Hello answer. Valid for the client's lifetime. */
const Okr__HelloResult *okr_client_server_hello(const okr_client_t *c);

/* 1 if the server's Hello said this major protocol version and at least
 * minor: a field that minor added is then understood, not ignored. 0 also
 * while Hello's answer is still to come. */
int okr_client_server_speaks(const okr_client_t *c, uint32_t minor);

/* SHA-256 fingerprint (hex) of the server's certificate. */
const char *okr_client_fingerprint(const okr_client_t *c);

/* The last error message; never NULL. */
const char *okr_client_error(const okr_client_t *c);

/* The Status of the connection-level error (a Response with id 0) the
 * server sent before closing, or STATUS_UNSPECIFIED if none came. Its
 * message is in okr_client_error(). */
Okr__Status okr_client_conn_status(const okr_client_t *c);

/* The server as "host:port" (canonical form, see hostport.h). */
const char *okr_client_hostport(const okr_client_t *c);

/* 1 if this connect pinned the server's certificate for the first time
 * (trust_new or confirm_new said yes), else 0. */
int okr_client_pinned_new(const okr_client_t *c);

/* 1 if the connection resumed a TLS session from opts.session_cache_path
 * (no certificate signature to make or check). */
int okr_client_resumed(const okr_client_t *c);

/* ---- convenience wrappers (each one blocking call) ---- */

/* Logs in with a password. On success returns 0, stores the session token in
 * the client (okr_client_token) and fills *user if user is not NULL (free
 * with okr__user__free_unpacked). Otherwise returns the server's status as an
 * okr_err_t with its message in okr_client_error(). */
int okr_client_login(okr_client_t *c, const char *username, const char *password, Okr__User **user);

/* Authenticates this connection with a token from an earlier login. */
int okr_client_auth_token(okr_client_t *c, const char *token, Okr__User **user);

/* The session token after a successful okr_client_login, else NULL. */
const char *okr_client_token(const okr_client_t *c);

/* When the session of the last successful okr_client_login or
 * okr_client_auth_token expires (ms since the epoch), else 0. */
int64_t okr_client_expires_at(const okr_client_t *c);

#endif
