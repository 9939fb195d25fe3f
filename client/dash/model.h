/* model.h — what okr-dash knows about its scope, built from pushed events
 * only: cycles, teams, users' names, objectives, key results, and a ticker
 * of the latest check-ins, kudos and comments.
 *
 * No I/O and no terminal here: the dashboard's connection feeds events in
 * (dash_model_apply), layout.c turns the model into text, and the unit tests
 * build a model from events of their own.
 *
 * Snapshots (DESIGN.md section 4): the events of a snapshot (Event.snapshot)
 * are the scope's whole current state. When a snapshot ends (snapshot_done),
 * every objective and key result it did not mention is dropped, so a
 * dashboard that was away long enough to get a fresh snapshot after a
 * reconnect forgets what was deleted or moved out of its scope meanwhile.
 *
 * Ownership: the model owns copies of everything it keeps; pointers it
 * returns stay valid until the next dash_model_apply, dash_model_set_user or
 * dash_model_free.
 */
#ifndef OKR_DASH_MODEL_H
#define OKR_DASH_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "okr.pb-c.h"

/* Ticker items kept, newest first. */
#define DASH_TICKER_MAX 32

typedef enum dash_tick_kind {
    DASH_TICK_CHECKIN,
    DASH_TICK_KUDOS,
    DASH_TICK_COMMENT,
} dash_tick_kind_t;

/* One line of the ticker. */
typedef struct dash_tick {
    dash_tick_kind_t kind;
    uint64_t id; /* the check-in's or the comment's id */
    int64_t time;
    uint64_t author_id;
    uint64_t to_user_id; /* kudos: who is thanked (0: nobody named) */
    uint64_t key_result_id;
    uint64_t objective_id;
    double value, previous; /* check-in: the new and the previous value */
    char *text;             /* the note or the body (may be empty) */
} dash_tick_t;

/* An objective as shown, with what the dashboard adds to it. */
typedef struct dash_obj {
    Okr__Objective *o;   /* owned copy */
    uint64_t gen;        /* snapshot generation that last mentioned it */
    uint64_t changed_ms; /* clock (caller's, ms) of its last live change; 0: none */
    double changed_from; /* its progress before that change */
    double *trend;       /* its progress week by week (TrendRequest); NULL: not known */
    size_t ntrend;
} dash_obj_t;

typedef struct dash_kr {
    Okr__KeyResult *kr; /* owned copy */
    uint64_t gen;
} dash_kr_t;

typedef struct dash_user {
    uint64_t id;
    char *name; /* display name, else username; NULL while unknown */
    int tried;  /* a lookup was made (do not ask again) */
} dash_user_t;

typedef struct dash_model {
    Okr__ScopeKind scope_kind;
    uint64_t scope_id;

    dash_obj_t *objs; /* sorted by id */
    size_t nobjs, capobjs;
    dash_kr_t *krs; /* sorted by id */
    size_t nkrs, capkrs;
    Okr__Cycle **cycles; /* sorted by id */
    size_t ncycles, capcycles;
    Okr__Team **teams; /* sorted by id */
    size_t nteams, capteams;
    dash_user_t *users; /* sorted by id */
    size_t nusers, capusers;

    dash_tick_t ticks[DASH_TICKER_MAX]; /* newest first */
    size_t nticks;

    uint64_t last_seq; /* newest seq applied (a snapshot's counts at its end) */
    uint64_t gen;      /* current snapshot generation */
    int in_snapshot;   /* snapshot events are arriving */
    int complete;      /* a snapshot was completed: the view is whole */
    int oom;           /* an allocation failed: some event was not applied */
} dash_model_t;

void dash_model_init(dash_model_t *m, Okr__ScopeKind scope_kind, uint64_t scope_id);
void dash_model_free(dash_model_t *m);

/* Applies one event. now_ms is the caller's clock (monotonic ms), recorded on
 * objectives whose figures a live (not snapshot) event changed, for
 * highlighting. Returns 1 if anything shown may have changed, else 0. */
int dash_model_apply(dash_model_t *m, const Okr__Event *ev, uint64_t now_ms);

/* Lookups by id; NULL when unknown. */
const dash_obj_t *dash_model_objective(const dash_model_t *m, uint64_t id);
const Okr__KeyResult *dash_model_key_result(const dash_model_t *m, uint64_t id);
const Okr__Cycle *dash_model_cycle(const dash_model_t *m, uint64_t id);
const Okr__Team *dash_model_team(const dash_model_t *m, uint64_t id);
const char *dash_model_user_name(const dash_model_t *m, uint64_t id);

/* Names of users for ids that events mention (the dashboard asks the server
 * with UserGetRequest). name NULL records a lookup that failed, so it is
 * not asked again. Returns 0 or -1 (out of memory). */
int dash_model_set_user(dash_model_t *m, uint64_t id, const char *name);

/* Up to max user ids the model mentions (owners of objectives and key
 * results, ticker authors and recipients) whose names are unknown and were
 * not looked up yet. Returns how many were written to ids. */
size_t dash_model_unknown_users(const dash_model_t *m, uint64_t *ids, size_t max);

/* An objective's trend, from the server's TrendRequest: progress at the end
 * of each week of its cycle so far. The last point is replaced by the
 * objective's live progress when shown. Ignored for an objective the model
 * does not hold. Returns 0 or -1 (out of memory). */
int dash_model_set_trend(dash_model_t *m, uint64_t objective_id, const double *progress, size_t n);

/* Latest check-in time over an objective's key results (0: none). */
int64_t dash_model_last_checkin(const dash_model_t *m, uint64_t objective_id);

/* Key results of an objective in the model, and the lowest confidence among
 * those not yet done (-1 when none has one): okr_progress_status's rule. */
size_t dash_model_kr_count(const dash_model_t *m, uint64_t objective_id, int *min_confidence);

#endif
