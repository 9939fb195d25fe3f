/* view_model.h — the alignment model behind okr tree, export, report and
 * review: every objective of one cycle that the caller may read, each with
 * its key results, its owner's name and its place in the alignment tree.
 *
 * It is loaded from the server once (okr_view_load: the cycle and every page
 * of ObjectiveList by cycle, with the key results in the same pages from
 * protocol 1.5; from an older server, KeyResultList per objective, pipelined)
 * and can be kept current from pushed changes (okr_view_apply, for okr tree
 * --live).
 * The figures (progress, status, score) are the server's, never recomputed
 * here, but for two: a key result's status, which the server does not keep,
 * is derived with okr_progress_status from its progress, the cycle's pace and
 * its confidence, or is the status of the objective it is linked to; and an
 * objective's status is brought to now with okr_status_now (a pushed one is
 * from its change, and the pace has moved on since).
 *
 * Roots: an objective is a root of the view when it is aligned to nothing, or
 * to an objective that is not in the view (archived, of another cycle, or
 * not visible to the caller). Children are in id order.
 *
 * Names (owners, teams) come from the per-process caches of refs.h; the
 * pointers stay valid until the process exits. Everything else in an
 * okr_view_t is owned by it and freed by okr_view_free.
 */
#ifndef OKR_VIEW_MODEL_H
#define OKR_VIEW_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cli.h"

typedef struct okr_view_kr {
    Okr__KeyResult *kr; /* owned */
    const char *owner;  /* username, "-" when none (process cache) */
    double share;       /* weight / the objective's total weight, 0..1 */
    Okr__ProgressStatus status;
} okr_view_kr_t;

typedef struct okr_view_obj {
    Okr__Objective *o;  /* owned */
    const char *owner;  /* a username, or a team's name when owner_team */
    int owner_team;     /* 1: owned by a team */
    const char *team;   /* name of o->team_id; NULL when none */
    okr_view_kr_t *krs; /* in id order */
    size_t nkrs, capkrs;
    double weight_total; /* sum of the key results' weights (<= 0 counts 1) */
    long parent;         /* index of the parent in the view; -1 for a root */
    size_t *kids;        /* indices of the aligned children in the view */
    size_t nkids;
    int depth;     /* 0 for a root */
    double *trend; /* OKR_VIEW_TRENDS: its progress week by week, the last now; else NULL */
    size_t ntrend;
} okr_view_obj_t;

typedef struct okr_view {
    Okr__Cycle *cycle; /* owned */
    int64_t now_ms;    /* when the figures were judged (okr_view_reindex) */
    double expected;   /* the cycle's expected progress at now_ms */
    okr_view_obj_t *objs;
    size_t n, cap; /* objs sorted by objective id */
    size_t *order; /* every objective in alignment order: each root (by id),
                      then its children depth-first */
    size_t *roots; /* indices of the roots, by id */
    size_t nroots;
} okr_view_t;

/* ---- loading */

/* Resolves --cycle's value (a name or #ID) into *id; NULL: the current cycle
 * (okr_ref_default_cycle). 0 or an exit code (printed). */
int okr_view_cycle_arg(okr_cli_t *cli, const char *name, uint64_t *id);

#define OKR_VIEW_TRENDS       1 /* okr_view_load: each objective's weekly trend too */
#define OKR_VIEW_TRENDS_QUIET 2 /* with it: say nothing when the server is too busy */

/* Loads cycle_id's objectives and key results through cli->client (connected
 * and authenticated). Archived objectives and key results are left out.
 * With OKR_VIEW_TRENDS in flags, also each objective's trend (TrendRequest,
 * asked with the names: no round trip of its own; left NULL by an okrd
 * older than protocol 1.3, and when the server refuses, which it does when
 * too busy: that is said on stderr, unless OKR_VIEW_TRENDS_QUIET, and the
 * view is loaded without those trends). Returns 0, or an exit code after
 * printing the error (*v is then empty). */
int okr_view_load(okr_cli_t *cli, uint64_t cycle_id, int flags, okr_view_t *v);

/* Frees everything v owns; v is left empty (safe to free twice). */
void okr_view_free(okr_view_t *v);

/* Recomputes the tree (parents, children, depths, order, roots), the weight
 * shares, the expected progress at now and the key results' status. Called
 * by load and apply; 0 or -1 when out of memory. */
int okr_view_reindex(okr_view_t *v);

/* The objective with this id, or NULL. */
okr_view_obj_t *okr_view_find(const okr_view_t *v, uint64_t id);

/* ---- live changes */

typedef enum okr_view_change {
    OKR_VIEW_SAME = 0,    /* nothing in the view moved */
    OKR_VIEW_CHANGED = 1, /* updated in place: redraw */
    OKR_VIEW_RELOAD = 2,  /* cannot be applied in place: load again */
} okr_view_change_t;

/* Applies a pushed change: the entity's new state (objective, key result,
 * the key result after a check-in, the cycle) and the recomputed progress
 * of the objectives it moved (Change.ancestors). New owners' names are
 * looked up through cli->client. Returns an okr_view_change_t, or -1 when
 * out of memory (the view is then unchanged or only partly updated: reload
 * it). */
int okr_view_apply(okr_cli_t *cli, okr_view_t *v, const Okr__Change *ch);

/* ---- selections */

/* Marks what a --team filter shows, into mark[v->n]: 2 for the objectives
 * of team_id (its team or owner team) and everything aligned below them, 1
 * for their ancestors (shown as the path to them), 0 for the rest. Returns
 * how many are marked 2. */
size_t okr_view_select_team(const okr_view_t *v, uint64_t team_id, char *mark);

/* ---- words and figures */

/* "on_track", "at_risk", "off_track", "unspecified" (as in --json). */
const char *okr_view_status_key(Okr__ProgressStatus s);

/* 1 when the cycle is closed (scores are final). */
int okr_view_closed(const okr_view_t *v);

/* A key result's weight share as a fraction of weights: "2/5", "1/3",
 * "0.5/1.5". */
const char *okr_view_share_label(const okr_view_obj_t *o, const okr_view_kr_t *k, char *buf,
                                 size_t len);

/* How the objective's progress rolls up, for people: "weighted mean of 3
 * key results", "mean of 2 children", "no key results". */
const char *okr_view_rollup_label(const okr_view_obj_t *o, char *buf, size_t len);

/* "key_results", "children" or "none". */
const char *okr_view_rollup_key(const okr_view_obj_t *o);

/* ---- JSON (new references, NULL when out of memory) */

/* The cycle with the view's "expected" and "generated_at". */
json_t *okr_view_cycle_json(const okr_view_t *v);

/* An objective (okr_json_objective) plus "ref", "owner", "owner_kind"
 * ("user"/"team"), "team", "rollup" and, when with_krs, "key_results"
 * (okr_view_kr_json each). */
json_t *okr_view_objective_json(const okr_view_t *v, const okr_view_obj_t *o, int with_krs);

/* A key result (okr_json_key_result) plus "ref", "owner", "weight_share",
 * "weight_label" ("2/5") and "status". */
json_t *okr_view_kr_json(const okr_view_obj_t *o, const okr_view_kr_t *k);

/* A deep copy of a protobuf-c message through its wire form (protobuf-c has
 * no copy); free it with protobuf_c_message_free_unpacked. NULL when out of
 * memory. */
void *okr_view_dup(const ProtobufCMessage *m);

#endif
