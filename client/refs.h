/* refs.h — how people name things on okr's command line, and turning those
 * names into ids with the server's help.
 *
 * Friendly short ids: objectives "O12", key results "K34", tasks "T5",
 * check-ins "C7" (the letter is case-insensitive; a bare number is accepted
 * where the kind is known). Teams and cycles are named by their name (or
 * "#ID"), users by username. okr_ref_format prints the short form.
 */
#ifndef OKR_REFS_H
#define OKR_REFS_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

typedef enum okr_ref_kind {
    OKR_REF_OBJECTIVE = 'O',
    OKR_REF_KEY_RESULT = 'K',
    OKR_REF_TASK = 'T',
    OKR_REF_CHECKIN = 'C',
} okr_ref_kind_t;

/* Parses "O12", "o12" or "12" (when the kind is known) into *id. Returns 0,
 * or -1 if text is not a reference of that kind. */
int okr_ref_parse(const char *text, okr_ref_kind_t kind, uint64_t *id);

/* Parses "O12" or "K34" when either is allowed (comments, history): sets
 * *kind and *id. Returns 0 or -1. */
int okr_ref_parse_any(const char *text, okr_ref_kind_t *kind, uint64_t *id);

/* "O12" into buf. Returns buf. */
const char *okr_ref_format(okr_ref_kind_t kind, uint64_t id, char *buf, size_t len);

/* Name lookups through the connected client (cli->client). Each returns 0 and
 * the id, or prints a clear error (e.g. "no team named 'Sales'") and returns
 * the exit code to use. "#12" is accepted as a raw id for teams and cycles. */
int okr_ref_team(okr_cli_t *cli, const char *name, uint64_t *id);
int okr_ref_cycle(okr_cli_t *cli, const char *name, uint64_t *id);
int okr_ref_user(okr_cli_t *cli, const char *username, uint64_t *id);

/* The cycle a command uses when --cycle is not given: the only active cycle,
 * else the most recent one not closed (the one covering today, else the
 * next to start, else the last to have started). Prints guidance and
 * returns the exit code when there is none or several are active. */
int okr_ref_default_cycle(okr_cli_t *cli, uint64_t *id);

/* The same choice among cycles a command read itself (a CycleList sent
 * beside its other requests), for a command that can do without one: 0
 * when there is none or several are active. Remembers their names. */
uint64_t okr_ref_default_cycle_of(Okr__Cycle *const *cycles, size_t n);

/* Username of a user id for display ("?" when unknown). Cached per process.
 * The returned string lives until the process exits. */
const char *okr_ref_username(okr_cli_t *cli, uint64_t id);

/* Team name of a team id for display ("?" when unknown). Cached likewise. */
const char *okr_ref_team_name(okr_cli_t *cli, uint64_t id);

/* Caches a team's name that a command read itself (a TeamGet), so that
 * naming it later costs no round trip. */
void okr_ref_remember_team(uint64_t id, const char *name);

/* Names for display, fetched together: a command that is about to name
 * many users, teams and cycles (okr_ref_username, okr_ref_team_name,
 * okr_ref_cycle_name) first says which, then okr_ref_fetch_wanted asks for
 * all those not cached yet in one pipeline (pipeline.h): one round trip for
 * dozens instead of one each. Zero-initialise; okr_ref_fetch_wanted frees
 * what it holds. */
typedef struct okr_ref_want {
    int kind; /* private: which cache */
    uint64_t id;
} okr_ref_want_t;

typedef struct okr_ref_wanted {
    okr_ref_want_t *v;
    size_t n, cap;
} okr_ref_wanted_t;

/* Adds an id to fetch (0 and names already cached are skipped). Out of
 * memory, the id is left out: it is then asked for alone, when it is named. */
void okr_ref_want_user(okr_ref_wanted_t *w, uint64_t id);
void okr_ref_want_team(okr_ref_wanted_t *w, uint64_t id);
void okr_ref_want_cycle(okr_ref_wanted_t *w, uint64_t id);

/* Fetches the names w wants and caches them ("?" for one that is not
 * there, not visible or refused), then frees w's list. 0, or an exit code
 * (printed) if the connection failed. */
int okr_ref_fetch_wanted(okr_cli_t *cli, okr_ref_wanted_t *w);

/* Cycle name of a cycle id for display ("?" when unknown). Cached likewise,
 * also with every cycle okr_ref_cycle and okr_ref_default_cycle saw, so that
 * naming the cycle a command just looked up costs no round trip. */
const char *okr_ref_cycle_name(okr_cli_t *cli, uint64_t id);

#endif
