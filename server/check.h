/* check.h — okrd --check: verifies a store without writing to it.
 *
 * In one read transaction (a consistent snapshot, so it may run beside a
 * live okrd), it checks that:
 *   - every record unpacks, sits under its own id, and its id is not above
 *     its kind's id counter (or a later create would overwrite it);
 *   - every index agrees with its entities: each entry (a, b) names a record b
 *     whose field is a, and each record has the entries its fields call for;
 *     the same for the unique names (users, teams, cycles), the change
 *     index (kind, id, seq) and the index of login sessions by user (each
 *     session filed under its user and time, each entry naming a session
 *     filed so);
 *   - records refer to records that exist (a key result's objective, a
 *     check-in's key result, an objective's cycle and parent, ...);
 *   - every key result's and objective's stored progress equals a
 *     recomputation from its key results or children (okr_rollup_figures);
 *     the status is not compared, as it depends on the time it was computed;
 *   - the change log is gap-free up to the "seq" counter, each change under
 *     its own seq.
 */
#ifndef OKR_CHECK_H
#define OKR_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "store.h"

/* Checks s, printing counts and each problem found to out (the first 50
 * problems in full, then only their number). *problems is set to how many
 * were found. Returns 0 when the check ran (whatever it found), or an
 * okr_err_t if the store could not be read at all. */
int okr_check_store(okr_store_t *s, FILE *out, uint64_t *problems);

/* okrd --check [--data-dir DIR | --config FILE]: opens the store read-only
 * (MDB_RDONLY), checks it and prints what it found. argv is okrd's, with
 * "--check" somewhere in it; the other arguments are okrd's usual settings.
 * Returns the exit code: 0 sound, 1 problems found or the store cannot be
 * opened, 2 usage. */
int okr_check_main(int argc, char **argv);

#endif
