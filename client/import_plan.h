/* import_plan.h — the rows of a CSV file (import_csv.h) checked and turned
 * into what okr import creates: objectives parents first, then key results,
 * then a check-in for each key result whose current value is not its start.
 *
 * The file's columns are those okr export --format csv writes, in any order.
 * A person filling a sheet needs only type (objective or key_result) and
 * title; ref names a row so that others can point at it, parent aligns an
 * objective (a ref in the file, else an objective on the server such as O12)
 * or places a key result under its objective (a ref in the file; blank: the
 * objective row above it). The rest is optional and blank means the default:
 * owner, owner_kind (user, team), team, kind (committed, aspirational),
 * state (draft, or active), visibility (public, team), description, metric
 * (number, percent, currency, boolean), unit, start, target, weight, current,
 * confidence, linked_objective (a ref in the file), due_at (2026-03-31 or
 * 2026-03-31T17:00:00Z). The columns export computes (id, level, progress,
 * expected, status, weight_share, last_checkin_at, score, grade,
 * score_overridden, score_note, retrospective) are ignored; any other column
 * is ignored with one warning that names them.
 *
 * Every row is checked before anything is created, and every problem found
 * is kept (up to OKR_PLAN_MAX_PROBLEMS, then only counted) with its line.
 * Names are looked up in an okr_plan_world_t that the caller fetched from the
 * server; nothing here touches the network, so it is unit-tested and fuzzed.
 * The server still authorises every create: the plan only says what the file
 * asks for.
 */
#ifndef OKR_IMPORT_PLAN_H
#define OKR_IMPORT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "import_csv.h"
#include "okr.pb-c.h"

#define OKR_PLAN_MAX_PROBLEMS 20 /* listed; the rest are counted */
#define OKR_PLAN_NONE         ((size_t)-1)

/* The server's limits (server/domain.h), checked here so that a long title
 * is reported with its line instead of as a refusal halfway through. */
#define OKR_PLAN_TITLE_MAX 200  /* bytes */
#define OKR_PLAN_TEXT_MAX  4000 /* descriptions */
#define OKR_PLAN_UNIT_MAX  32

/* ---- a list of strings, each a copy the list owns */

typedef struct okr_plan_strings {
    char **v;
    size_t n, cap;
} okr_plan_strings_t;

/* Adds a copy of s[0..len) (NUL-terminated); returns it, or NULL out of
 * memory. */
const char *okr_plan_strings_add(okr_plan_strings_t *l, const char *s, size_t len);

/* Frees every string and the list; l is left empty. */
void okr_plan_strings_free(okr_plan_strings_t *l);

/* ---- what the server knows, fetched by the caller */

typedef struct okr_plan_name {
    const char *name; /* a username or a team's name */
    uint64_t id;
    int inactive; /* a deactivated user, an archived team */
} okr_plan_name_t;

typedef struct okr_plan_server_obj {
    uint64_t id;
    uint64_t cycle_id;
    const char *cycle_name; /* for the message when it is another cycle's */
    int archived;
} okr_plan_server_obj_t;

typedef struct okr_plan_world {
    uint64_t cycle_id; /* where the objectives go */
    const char *cycle_name;
    /* Users and teams by name (compared without case): those the file names
     * that exist, and any others known, for "did you mean". */
    const okr_plan_name_t *users;
    size_t nusers;
    const okr_plan_name_t *teams;
    size_t nteams;
    /* The objectives on the server that parent names (okr_plan_server_refs),
     * those found and readable; one missing here does not exist for the
     * caller. */
    const okr_plan_server_obj_t *objectives;
    size_t nobjectives;
    int64_t cycle_start; /* its start, and now: a check-in may be dated within them */
    int64_t now_ms;
    /* The most live key results the server lets one objective have (its
     * Hello, from protocol 1.6); 0: no limit, or not said. */
    uint32_t max_key_results;
} okr_plan_world_t;

/* ---- the plan */

typedef struct okr_plan_obj {
    size_t line;
    const char *ref;    /* as in the file; "" when the row has none */
    size_t parent;      /* index in plan->objs, or OKR_PLAN_NONE */
    uint64_t parent_id; /* an objective on the server (when parent is NONE), or 0 */
    int depth;          /* 0: aligned to nothing in the file */
    Okr__Objective o;   /* what to create; cycle, owner, team, kind, visibility,
                           state, title, description set (parent_id: see above) */
} okr_plan_obj_t;

typedef struct okr_plan_kr {
    size_t line;
    const char *ref;
    size_t objective; /* index in plan->objs */
    size_t linked;    /* index in plan->objs, or OKR_PLAN_NONE */
    Okr__KeyResult k; /* title, metric, unit, start, target, weight, owner, due_at */
    int checkin;      /* 1: check in current (value below) after creating it */
    double current;
    int has_confidence;
    uint32_t confidence;
    int64_t
        checked_at; /* last_checkin_at, when within the cycle so far: the check-in's date; else 0 */
} okr_plan_kr_t;

typedef struct okr_plan_problem {
    size_t line; /* 0: the file as a whole */
    char *message;
    size_t order; /* private: the order it was found in */
} okr_plan_problem_t;

typedef struct okr_plan {
    okr_plan_obj_t *objs; /* parents before children (by depth, then file order) */
    size_t nobjs;
    okr_plan_kr_t *krs; /* in file order */
    size_t nkrs;
    size_t ncheckins;
    int max_depth;
    okr_plan_problem_t *problems; /* nkept of them, by line */
    size_t nkept;                 /* the first 1000 found; show the first OKR_PLAN_MAX_PROBLEMS */
    size_t nproblems;             /* all found */
    char *warning;                /* "ignoring columns okr does not know: ...", or NULL */
    okr_plan_strings_t owned;     /* private: trimmed copies of fields */
} okr_plan_t;

/* The objective ids the file's parent column names that no row of the file
 * has as its ref (O12 aligning to an objective already on the server):
 * *ids (malloc'd, no duplicates; free it) and *n. 0, or -1 out of memory. */
int okr_plan_server_refs(const okr_csv_t *t, uint64_t **ids, size_t *n);

/* The usernames the file's owner column names (trimmed, without "-" and the
 * owners of team-owned objectives), for the caller to look up: into *names
 * (empty before), no two the same without case. 0, or -1 out of memory. */
int okr_plan_usernames(const okr_csv_t *t, okr_plan_strings_t *names);

/* Checks every row of t against w and builds *plan. Returns 0 when the file
 * can be imported as it is; 1 when plan->nproblems > 0 (nothing to create);
 * -1 out of memory. The plan's strings point into t and w: keep them until
 * okr_plan_free. */
int okr_plan_build(const okr_csv_t *t, const okr_plan_world_t *w, okr_plan_t *plan);

void okr_plan_free(okr_plan_t *plan);

#endif
