/* pubsub.h — real-time push (DESIGN.md section 4).
 *
 * Every committed write made one Change in the change log for each entity it
 * wrote (one, but for an import and a cycle started from another: one per
 * objective, key result and check-in they create). After each
 * batch of commits (okr_writer_on_committed) the loop thread reads the new
 * changes by seq and fans each one out to every connection with a
 * subscription that covers it and whose user may read it. Nothing is pushed
 * before its commit returned, so a pushed change is durable.
 *
 * Each change is encoded once per visibility class: the ancestors it moved
 * are filtered to those the receiver may read, and connections that may read
 * the same ancestors share one encoded frame.
 *
 * Slow readers: while a connection's TLS output is below the soft cap, events
 * go straight to it. Beyond, they wait in the connection's own queue, where an
 * event for an entity already queued replaces the older one (only the newest
 * state matters to a dashboard; a check-in is keyed by its key result). When
 * output plus queue exceed the hard cap the connection is closed with a
 * reason; its client resumes by seq. Replays and snapshots, bounded by the
 * replay window and the store, are exempt from the hard cap (a client that
 * resumes must be able to catch up), not from coalescing.
 *
 * Resume: a subscription may name the last seq its client saw. Changes after
 * it are replayed in order, skipping those the connection already received
 * through another of its subscriptions; if it is older than the replay window
 * (by count or by age), the scope's current state is sent as a snapshot.
 */
#ifndef OKR_PUBSUB_H
#define OKR_PUBSUB_H

#include <stddef.h>
#include <stdint.h>

#include "okr.pb-c.h"

typedef struct okr_server okr_server_t;
typedef struct okr_conn okr_conn_t;
typedef struct okr_pubsub okr_pubsub_t;
typedef struct okr_sub okr_sub_t;
typedef struct okr_qevent okr_qevent_t;

/* What pubsub keeps in each connection (embedded in okr_conn_t). */
typedef struct okr_push_state {
    okr_sub_t *subs;
    unsigned nsubs;
    okr_conn_t *prev, *next; /* in the list of connections with subscriptions */
    int listed;
    okr_qevent_t *head, *tail; /* events waiting for a slow reader */
    okr_qevent_t **buckets;    /* entity -> its queued event, for coalescing */
    size_t queued_bytes;
    size_t queued;
} okr_push_state_t;

okr_pubsub_t *okr_pubsub_new(okr_server_t *srv);
void okr_pubsub_free(okr_pubsub_t *ps);

/* The writer hook: publishes every change committed since the last call. */
void okr_pubsub_on_committed(void *arg);

/* Subscribes c (checks the scope exists and, for an objective, that the
 * caller may read it; replays or snapshots as described). Returns 0 and fills
 * out (whose strings are static), or an okr_err_t with a message in err. */
int okr_pubsub_subscribe(okr_pubsub_t *ps, okr_conn_t *c, const Okr__User *user,
                         const Okr__SubscribeRequest *req, Okr__SubscribeResult *out, char *err,
                         size_t errlen);

/* 0, or OKR_E_NOT_FOUND if c has no such subscription. */
int okr_pubsub_unsubscribe(okr_pubsub_t *ps, okr_conn_t *c, uint64_t subscription_id);

/* Drops every subscription of c and its queued events (logout, close). */
void okr_pubsub_forget(okr_pubsub_t *ps, okr_conn_t *c);

/* c's TLS output went down: move queued events on. */
void okr_pubsub_drain(okr_pubsub_t *ps, okr_conn_t *c);

/* Fills the pubsub and server figures of a Stats reply. fanout_hist points
 * into ps: pack out before ps changes. */
void okr_pubsub_stats(okr_pubsub_t *ps, Okr__Stats *out);

#endif
