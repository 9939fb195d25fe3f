/* live.c — a self-healing live connection (see live.h).
 *
 * Shape: one okr_client_t at a time in l->c. Events reach live__on_client_event
 * from inside the client's blocking calls. While a subscription is being made
 * (okr_live_subscribe, or the re-subscriptions after a reconnect) they are
 * copied into l->queue instead of being delivered, for two reasons: the
 * subscription's id is not known until its answer is processed, and a
 * snapshot_done that came before it could not be matched to its scope; and
 * on_event is promised to be called from okr_live_run only. okr_live_run
 * delivers the queue first, so order is kept.
 *
 * Resume points. Each scope keeps `base`, the seq its subscription covered at
 * the latest when it was made: since_seq for a resume, current_seq for a
 * live-only one. At a reconnect it resumes from max(base, last_seq). The max
 * with base matters for a live-only subscription made before any event came:
 * changes up to current_seq were deliberately not wanted. A scope whose
 * snapshot was cut short resumes from its own base only, so that it gets its
 * snapshot again rather than skipping the rest of it.
 */
#include "live.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "clock.h"
#include "okr_error.h"

#define LIVE_BACKOFF_MIN_MS 200u
#define LIVE_BACKOFF_MAX_MS 15000u
#define LIVE_PING_MS        30000u
/* Seqs remembered to drop a repeat; a linear scan only runs for a seq not
 * above every remembered one (replays after a reconnect), so it is rare. */
#define LIVE_RECENT 4096
/* OKR_E_TLS this many attempts in a row is taken as final (see live.h). */
#define LIVE_TLS_FAILURES_FATAL 3
/* 2^LIVE_BACKOFF_SHIFT_MAX * backoff_min stays far from overflowing. */
#define LIVE_BACKOFF_SHIFT_MAX 20

typedef struct live_scope {
    Okr__ScopeKind kind;
    uint64_t id;
    uint64_t sub_id;      /* on the current connection; 0 = not subscribed there */
    uint64_t base;        /* see the top of this file */
    int resume;           /* the first subscription: resume (since_seq > 0) */
    int subscribed_once;  /* a subscription was made on some connection */
    int snapshot_pending; /* SubscribeResult.snapshot, snapshot_done not yet seen */
} live_scope_t;

struct okr_live {
    /* options, copied */
    okr_client_opts_t conn;
    char *host, *ca_file, *known_servers, *client_name, *token;
    uint32_t backoff_min_ms, backoff_max_ms, ping_interval_ms;
    void (*on_event)(void *arg, const Okr__Event *ev);
    void (*on_state)(void *arg, okr_live_state_t st, const char *detail,
                     uint64_t ms_since_last_event);
    void *arg;

    okr_client_t *c;
    okr_live_state_t state;
    live_scope_t *scopes;
    size_t nscopes, capscopes;
    uint64_t last_seq;

    uint64_t recent[LIVE_RECENT];
    size_t nrecent, recent_pos;
    uint64_t recent_max;

    Okr__Event **queue;
    size_t nqueue, capqueue;
    int buffering;    /* copy events into queue instead of delivering them */
    int in_callback;  /* inside on_event */
    int drop_pending; /* the connection is to be closed once on_event returns */

    unsigned attempt; /* failed reconnect attempts since the connection was lost */
    int tls_failures; /* OKR_E_TLS attempts in a row */
    uint64_t next_attempt_at;
    uint64_t last_event_at;
    uint64_t last_ping_at;
    int heartbeat_ping; /* Ping instead of Whoami (a dashboard token) */
    uint64_t rng;
    int fatal;
    char err[2048];
    char detail[2048]; /* why the connection was lost, for on_state */
};

__attribute__((format(printf, 2, 3))) static void live__err(okr_live_t *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, sizeof l->err, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- backoff */

uint64_t okr_spread_seed(const void *salt)
{
    uint64_t seed = okr_mono_ms() ^ (uint64_t)(uintptr_t)salt ^ ((uint64_t)getpid() << 32);
    return seed ? seed : 1; /* xorshift stays at 0 forever */
}

/* xorshift64*: jitter needs spread, not secrecy. */
uint64_t okr_spread(uint64_t *state, uint64_t bound)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x *= UINT64_C(2685821657736338717);
    return bound == UINT64_MAX ? x : x % (bound + 1);
}

/* Full jitter: uniform in [0, min(max, min * 2^attempt)]. */
static uint64_t live__backoff(okr_live_t *l)
{
    unsigned shift = l->attempt < LIVE_BACKOFF_SHIFT_MAX ? l->attempt : LIVE_BACKOFF_SHIFT_MAX;
    uint64_t bound = (uint64_t)l->backoff_min_ms << shift;
    if (bound > l->backoff_max_ms)
        bound = l->backoff_max_ms;
    return okr_spread(&l->rng, bound);
}

static void live__sleep_ms(uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    /* A signal cuts the sleep short; the caller's loop looks at the clock. */
    nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- seqs */

static int live__seen(const okr_live_t *l, uint64_t seq)
{
    if (seq > l->recent_max)
        return 0;
    for (size_t i = 0; i < l->nrecent; i++)
        if (l->recent[i] == seq)
            return 1;
    return 0;
}

static void live__remember(okr_live_t *l, uint64_t seq)
{
    l->recent[l->recent_pos] = seq;
    l->recent_pos = (l->recent_pos + 1) % LIVE_RECENT;
    if (l->nrecent < LIVE_RECENT)
        l->nrecent++;
    if (seq > l->recent_max)
        l->recent_max = seq;
}

static void live__saw_seq(okr_live_t *l, uint64_t seq)
{
    if (seq > l->last_seq)
        l->last_seq = seq;
}

static live_scope_t *live__scope_by_sub(okr_live_t *l, uint64_t sub_id)
{
    for (size_t i = 0; sub_id && i < l->nscopes; i++)
        if (l->scopes[i].sub_id == sub_id)
            return &l->scopes[i];
    return NULL;
}

/* ---------------------------------------------------------------- events */

static void live__deliver(okr_live_t *l, const Okr__Event *ev)
{
    l->last_event_at = okr_mono_ms();
    if (ev->snapshot_done) {
        /* The end of a snapshot (okrd sends it with snapshot unset and no
         * change): its seq counts from now on. */
        live_scope_t *s = live__scope_by_sub(l, ev->subscription_id);
        if (s) {
            s->snapshot_pending = 0;
            s->base = ev->seq;
        }
        live__saw_seq(l, ev->seq);
    } else if (ev->snapshot) {
        /* Every event of a snapshot carries the snapshot's seq: no repeat
         * check, and the seq counts only once the snapshot is whole. */
    } else if (ev->seq) {
        if (live__seen(l, ev->seq))
            return;
        live__remember(l, ev->seq);
        live__saw_seq(l, ev->seq);
    }
    if (l->on_event) {
        l->in_callback++;
        l->on_event(l->arg, ev);
        l->in_callback--;
    }
}

/* A deep copy of ev, through its wire form (protobuf-c has no copy). */
static Okr__Event *live__copy_event(const Okr__Event *ev)
{
    size_t len = okr__event__get_packed_size(ev);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return NULL;
    okr__event__pack(ev, buf);
    Okr__Event *copy = okr__event__unpack(NULL, len, buf);
    free(buf);
    return copy;
}

static int live__enqueue(okr_live_t *l, const Okr__Event *ev)
{
    if (l->nqueue == l->capqueue) {
        size_t cap = l->capqueue ? l->capqueue * 2 : 16;
        Okr__Event **q = realloc(l->queue, cap * sizeof *q);
        if (!q)
            return OKR_E_NOMEM;
        l->queue = q;
        l->capqueue = cap;
    }
    Okr__Event *copy = live__copy_event(ev);
    if (!copy)
        return OKR_E_NOMEM;
    l->queue[l->nqueue++] = copy;
    return 0;
}

static void live__lost(okr_live_t *l, const char *why);

static void live__on_client_event(void *arg, const Okr__Event *ev)
{
    okr_live_t *l = arg;
    if (!l->buffering) {
        live__deliver(l, ev);
        return;
    }
    if (live__enqueue(l, ev) != 0) {
        /* Not delivered and not counted: the resume after the reconnect
         * brings it again. */
        live__lost(l, "out of memory while receiving events");
    }
}

/* Delivers the queued events, in order. on_event may cause more to be queued
 * only through okr_live_subscribe, which appends: the loop picks them up. */
static void live__flush(okr_live_t *l)
{
    size_t i = 0;
    while (i < l->nqueue) {
        Okr__Event *ev = l->queue[i];
        l->queue[i] = NULL;
        i++;
        live__deliver(l, ev);
        okr__event__free_unpacked(ev, NULL);
    }
    l->nqueue = 0;
}

static void live__clear_queue(okr_live_t *l)
{
    for (size_t i = 0; i < l->nqueue; i++)
        if (l->queue[i])
            okr__event__free_unpacked(l->queue[i], NULL);
    l->nqueue = 0;
}

/* ---------------------------------------------------------------- state */

static uint64_t live__since_last_event(const okr_live_t *l)
{
    uint64_t now = okr_mono_ms();
    return now > l->last_event_at ? now - l->last_event_at : 0;
}

static void live__notify(okr_live_t *l, okr_live_state_t st, const char *detail)
{
    l->state = st;
    if (l->on_state)
        l->on_state(l->arg, st, detail, live__since_last_event(l));
}

/* Closes the connection now and forgets its subscriptions. */
static void live__close(okr_live_t *l)
{
    if (!l->c)
        return;
    okr_client_on_event(l->c, NULL, NULL);
    /* Events the client received but had not handed over yet go with it;
     * they were not counted, so the resume brings them again. */
    okr_client_free(l->c);
    l->c = NULL;
    l->drop_pending = 0;
    for (size_t i = 0; i < l->nscopes; i++)
        l->scopes[i].sub_id = 0;
}

/* The connection is gone (or must go): close it, unless that would free the
 * client under on_event's feet, and schedule the first reconnect. */
static void live__lost(okr_live_t *l, const char *why)
{
    if (why && why != l->detail)
        snprintf(l->detail, sizeof l->detail, "%s", why);
    if (l->in_callback || l->buffering) {
        /* Inside the client's own loop: close once it has returned. */
        l->drop_pending = 1;
        return;
    }
    int was_connected = l->c != NULL;
    live__close(l);
    l->attempt = 0;
    l->next_attempt_at = okr_mono_ms() + live__backoff(l);
    if (was_connected)
        live__notify(l, OKR_LIVE_RECONNECTING, l->detail);
}

static void live__apply_drop(okr_live_t *l)
{
    if (l->drop_pending && !l->in_callback && !l->buffering)
        live__lost(l, l->detail);
}

/* ---------------------------------------------------------------- subscribing */

/* Errors that another connection will not fix. */
static int live__permanent(int err)
{
    switch (err) {
    case OKR_E_BAD_REQUEST:
    case OKR_E_UNAUTHENTICATED:
    case OKR_E_FORBIDDEN:
    case OKR_E_NOT_FOUND:
    case OKR_E_CONFLICT:
    case OKR_E_TOO_LARGE:
    case OKR_E_UNSUPPORTED:
    case OKR_E_NOMEM:
        return 1;
    default:
        return 0;
    }
}

static const char *live__scope_name(Okr__ScopeKind kind)
{
    switch (kind) {
    case OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE:
        return "objective";
    case OKR__SCOPE_KIND__SCOPE_KIND_TEAM:
        return "team";
    case OKR__SCOPE_KIND__SCOPE_KIND_CYCLE:
        return "cycle";
    case OKR__SCOPE_KIND__SCOPE_KIND_ORG:
        return "organisation";
    default:
        return "scope";
    }
}

/* One SubscribeRequest on l->c for s. Returns 0 (s updated), a permanent
 * error (the server's refusal; message in l->err), or a transient one: the
 * connection failed or the server is busy (message in l->detail; the
 * caller treats the connection as lost). Events that arrive meanwhile are
 * queued. */
static int live__subscribe_on(okr_live_t *l, live_scope_t *s, uint64_t since, int resume)
{
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = s->kind;
    scope.id = s->id;
    Okr__SubscribeRequest sub = OKR__SUBSCRIBE_REQUEST__INIT;
    sub.scope = &scope;
    sub.resume = resume;
    sub.since_seq = since;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_SUBSCRIBE;
    req.subscribe = &sub;
    Okr__Response *resp = NULL;
    l->buffering++;
    int rc = okr_client_call(l->c, &req, &resp);
    l->buffering--;
    if (rc) {
        snprintf(l->detail, sizeof l->detail, "%s", okr_client_error(l->c));
        return rc == OKR_E_NOMEM ? OKR_E_NOMEM : OKR_E_CLOSED;
    }
    if (resp->status != OKR__STATUS__STATUS_OK) {
        rc = okr_status_to_err(resp->status);
        char msg[1024];
        snprintf(msg, sizeof msg, "cannot watch %s %llu: %s", live__scope_name(s->kind),
                 (unsigned long long)s->id,
                 resp->message && resp->message[0] ? resp->message : okr_strerror(rc));
        okr__response__free_unpacked(resp, NULL);
        if (live__permanent(rc)) {
            live__err(l, "%s", msg);
            return rc;
        }
        snprintf(l->detail, sizeof l->detail, "%s", msg);
        return OKR_E_UNAVAILABLE;
    }
    if (resp->result_case != OKR__RESPONSE__RESULT_SUBSCRIBE || !resp->subscribe) {
        okr__response__free_unpacked(resp, NULL);
        snprintf(l->detail, sizeof l->detail,
                 "the server answered a subscription without a result");
        return OKR_E_PROTOCOL;
    }
    const Okr__SubscribeResult *res = resp->subscribe;
    s->sub_id = res->subscription_id;
    s->snapshot_pending = res->snapshot;
    if (!resume) {
        s->base = res->current_seq;
        /* Nothing older is wanted: the resume point starts here. */
        if (l->last_seq == 0)
            l->last_seq = res->current_seq;
    } else if (!res->snapshot) {
        s->base = since;
    }
    s->subscribed_once = 1;
    okr__response__free_unpacked(resp, NULL);
    return 0;
}

/* The since_seq and resume flag for s on a new connection. */
static void live__resume_point(const okr_live_t *l, const live_scope_t *s, uint64_t *since,
                               int *resume)
{
    if (!s->subscribed_once) {
        *since = s->base;
        *resume = s->resume;
    } else if (s->snapshot_pending) {
        *since = s->base;
        *resume = 1;
    } else {
        *since = s->base > l->last_seq ? s->base : l->last_seq;
        *resume = 1;
    }
}

/* ---------------------------------------------------------------- connecting */

/* Connect, verify, Hello, AuthToken. 0 with l->c set, or an error with the
 * message in l->detail. */
static int live__open(okr_live_t *l, int first)
{
    okr_client_opts_t o = l->conn;
    if (!first)
        o.confirm_new = NULL; /* nobody may be there to answer */
    okr_client_t *c = NULL;
    int rc = okr_client_connect(&c, &o, l->detail, sizeof l->detail);
    if (rc)
        return rc;
    rc = okr_client_auth_token(c, l->token, NULL);
    if (rc) {
        if (rc == OKR_E_UNAUTHENTICATED)
            snprintf(l->detail, sizeof l->detail, "%s refused the session: %s (log in again)",
                     okr_client_hostport(c), okr_client_error(c));
        else
            snprintf(l->detail, sizeof l->detail, "%s", okr_client_error(c));
        okr_client_free(c);
        return rc;
    }
    okr_client_on_event(c, live__on_client_event, l);
    l->c = c;
    l->last_ping_at = okr_mono_ms();
    return 0;
}

/* Subscribes every scope on the new connection. */
static int live__resubscribe(okr_live_t *l)
{
    for (size_t i = 0; i < l->nscopes && l->c; i++) {
        live_scope_t *s = &l->scopes[i];
        uint64_t since;
        int resume;
        live__resume_point(l, s, &since, &resume);
        int rc = live__subscribe_on(l, s, since, resume);
        if (rc)
            return rc;
        if (l->drop_pending) /* out of memory while queueing */
            return OKR_E_NOMEM;
    }
    return 0;
}

/* One reconnect attempt. 0 when up; a permanent error (l->err); or a
 * transient one (l->detail). */
static int live__reconnect(okr_live_t *l)
{
    int rc = live__open(l, 0);
    if (rc == OKR_E_TLS && ++l->tls_failures < LIVE_TLS_FAILURES_FATAL)
        return OKR_E_IO; /* see live.h: give it another try or two */
    if (rc != OKR_E_TLS)
        l->tls_failures = 0;
    if (rc) {
        if (live__permanent(rc) || rc == OKR_E_TLS)
            live__err(l, "%s", l->detail);
        return rc;
    }
    rc = live__resubscribe(l);
    if (rc) {
        l->drop_pending = 0;
        live__close(l);
        return rc;
    }
    return 0;
}

static int live__fatal(int rc)
{
    return rc == OKR_E_TLS || (live__permanent(rc) && rc != OKR_E_NOMEM);
}

/* The disconnected half of okr_live_run: try when due. Returns 0 or a fatal
 * error. */
static int live__heal(okr_live_t *l)
{
    if (okr_mono_ms() < l->next_attempt_at)
        return 0;
    int rc = live__reconnect(l);
    if (rc == 0) {
        l->attempt = 0;
        l->tls_failures = 0;
        live__notify(l, OKR_LIVE_CONNECTED, NULL);
        return 0;
    }
    if (live__fatal(rc)) {
        l->fatal = rc;
        return rc;
    }
    if (l->attempt < UINT32_MAX)
        l->attempt++;
    l->next_attempt_at = okr_mono_ms() + live__backoff(l);
    live__notify(l, OKR_LIVE_RECONNECTING, l->detail);
    return 0;
}

/* The heartbeat: keeps the server's idle timeout away and proves the link
 * is alive. Whoami rather than Ping because it also needs the session: a
 * connection the server no longer counts as logged in (the user was
 * deactivated, the session revoked) is treated as lost, and the reconnect's
 * token authentication then says whether that is final. A dashboard token
 * (read-only, DESIGN.md section 2) may not ask Whoami: after its FORBIDDEN
 * the heartbeat is a Ping. */
static void live__ping(okr_live_t *l)
{
    Okr__WhoamiRequest who = OKR__WHOAMI_REQUEST__INIT;
    Okr__PingRequest ping = OKR__PING_REQUEST__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    if (l->heartbeat_ping) {
        req.op_case = OKR__REQUEST__OP_PING;
        req.ping = &ping;
    } else {
        req.op_case = OKR__REQUEST__OP_WHOAMI;
        req.whoami = &who;
    }
    Okr__Response *resp = NULL;
    l->last_ping_at = okr_mono_ms();
    int rc = okr_client_call(l->c, &req, &resp);
    int status = resp ? (int)resp->status : 0;
    if (resp)
        okr__response__free_unpacked(resp, NULL);
    if (rc == OKR_E_TIMEOUT)
        live__lost(l, "the server did not answer a heartbeat");
    else if (rc)
        live__lost(l, okr_client_error(l->c));
    else if (status == OKR__STATUS__STATUS_UNAUTHENTICATED)
        live__lost(l, "the server no longer counts this connection as logged in");
    else if (status == OKR__STATUS__STATUS_FORBIDDEN)
        l->heartbeat_ping = 1;
}

/* ---------------------------------------------------------------- public */

static char *live__dup(const char *s, int *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

static int live__copy_opts(okr_live_t *l, const okr_live_opts_t *opts)
{
    int oom = 0;
    l->conn = opts->conn;
    l->host = live__dup(opts->conn.host, &oom);
    l->ca_file = live__dup(opts->conn.ca_file, &oom);
    l->known_servers = live__dup(opts->conn.known_servers_path, &oom);
    l->client_name = live__dup(opts->conn.client_name, &oom);
    l->token = live__dup(opts->token, &oom);
    l->conn.host = l->host;
    l->conn.ca_file = l->ca_file;
    l->conn.known_servers_path = l->known_servers;
    l->conn.client_name = l->client_name;
    l->backoff_min_ms = opts->backoff_min_ms ? opts->backoff_min_ms : LIVE_BACKOFF_MIN_MS;
    l->backoff_max_ms = opts->backoff_max_ms ? opts->backoff_max_ms : LIVE_BACKOFF_MAX_MS;
    if (l->backoff_max_ms < l->backoff_min_ms)
        l->backoff_max_ms = l->backoff_min_ms;
    l->ping_interval_ms = opts->ping_interval_ms ? opts->ping_interval_ms : LIVE_PING_MS;
    l->on_event = opts->on_event;
    l->on_state = opts->on_state;
    l->arg = opts->arg;
    return oom ? OKR_E_NOMEM : 0;
}

int okr_live_new(okr_live_t **out, const okr_live_opts_t *opts, char *err, size_t errlen)
{
    *out = NULL;
    if (!opts->token || !opts->token[0]) {
        snprintf(err, errlen, "no session token given: log in first");
        return OKR_E_BAD_REQUEST;
    }
    if (!opts->conn.host || !opts->conn.host[0]) {
        snprintf(err, errlen, "no server host given");
        return OKR_E_BAD_REQUEST;
    }
    okr_live_t *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return OKR_E_NOMEM;
    }
    int rc = live__copy_opts(l, opts);
    if (rc) {
        snprintf(err, errlen, "out of memory");
        okr_live_free(l);
        return rc;
    }
    l->rng = okr_spread_seed(l);
    l->state = OKR_LIVE_CONNECTING;
    l->last_event_at = okr_mono_ms();
    rc = live__open(l, 1);
    if (rc) {
        snprintf(err, errlen, "%s", l->detail);
        okr_live_free(l);
        return rc;
    }
    l->state = OKR_LIVE_CONNECTED;
    *out = l;
    return 0;
}

int okr_live_subscribe(okr_live_t *l, const Okr__Scope *scope, uint64_t since_seq)
{
    if (l->fatal) {
        /* l->err still says why */
        return l->fatal;
    }
    if (l->nscopes == l->capscopes) {
        size_t cap = l->capscopes ? l->capscopes * 2 : 4;
        live_scope_t *v = realloc(l->scopes, cap * sizeof *v);
        if (!v) {
            live__err(l, "out of memory");
            return OKR_E_NOMEM;
        }
        l->scopes = v;
        l->capscopes = cap;
    }
    live_scope_t *s = &l->scopes[l->nscopes];
    memset(s, 0, sizeof *s);
    s->kind = scope->kind;
    s->id = scope->id;
    s->base = since_seq;
    s->resume = since_seq > 0;
    if (!l->c) {
        l->nscopes++; /* subscribed by the next reconnect */
        return 0;
    }
    int rc = live__subscribe_on(l, s, since_seq, since_seq > 0);
    if (rc && live__permanent(rc))
        return rc; /* not remembered */
    l->nscopes++;
    if (rc || l->drop_pending)
        live__lost(l, l->detail);
    return 0;
}

int okr_live_run(okr_live_t *l, uint32_t timeout_ms)
{
    if (l->fatal)
        return l->fatal;
    uint64_t deadline = okr_mono_ms() + timeout_ms;
    for (;;) {
        live__flush(l);
        live__apply_drop(l);
        uint64_t now = okr_mono_ms();
        if (!l->c) {
            int rc = live__heal(l);
            if (rc)
                return rc;
            if (l->c)
                continue;
            now = okr_mono_ms();
            if (now >= deadline)
                return 0;
            uint64_t until = l->next_attempt_at < deadline ? l->next_attempt_at : deadline;
            if (until > now)
                live__sleep_ms(until - now);
            continue;
        }
        if (now >= l->last_ping_at + l->ping_interval_ms) {
            live__ping(l);
            continue;
        }
        uint64_t until = l->last_ping_at + l->ping_interval_ms;
        if (deadline < until)
            until = deadline;
        int rc = okr_client_poll(l->c, (uint32_t)(until > now ? until - now : 0));
        if (rc && l->c)
            live__lost(l, okr_client_error(l->c));
        live__apply_drop(l);
        if (okr_mono_ms() >= deadline) {
            live__flush(l);
            return 0;
        }
    }
}

uint64_t okr_live_last_seq(const okr_live_t *l)
{
    return l->last_seq;
}

okr_live_state_t okr_live_state(const okr_live_t *l)
{
    return l->state;
}

void okr_live_drop(okr_live_t *l)
{
    if (!l->c)
        return;
    live__lost(l, "the connection was dropped");
}

okr_client_t *okr_live_client(okr_live_t *l)
{
    return l->c;
}

const char *okr_live_error(const okr_live_t *l)
{
    return l->err;
}

void okr_live_free(okr_live_t *l)
{
    if (!l)
        return;
    l->in_callback = 0;
    l->buffering = 0;
    live__close(l);
    live__clear_queue(l);
    free(l->queue);
    free(l->scopes);
    if (l->token) {
        OPENSSL_cleanse(l->token, strlen(l->token));
        free(l->token);
    }
    free(l->host);
    free(l->ca_file);
    free(l->known_servers);
    free(l->client_name);
    free(l);
}
