/* migrate.h — schema migrations: what takes a store written by an older
 * okrd to OKR_SCHEMA_VERSION (store.h).
 *
 * okr_store_open runs them on a writable open of an older store, in the
 * one write transaction that opens it and then writes the new version: a
 * crash midway leaves the old version and none of the migration, and the
 * next start does it again. A read-only open (okrd --check) refuses an
 * older store instead, saying to start okrd on it once.
 *
 * A migration step may only write within its transaction and must not
 * depend on the clock: if the map fills (OKR_E_FULL), the open aborts,
 * grows the map and runs every step again.
 */
#ifndef OKR_MIGRATE_H
#define OKR_MIGRATE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Migrates s from schema version from (1 <= from < OKR_SCHEMA_VERSION) to
 * OKR_SCHEMA_VERSION, one version at a time, in txn, where every database
 * of this build is open (and those the store lacked were just created
 * empty). It does not write the version: the caller does, in the same
 * transaction. On 0, note says what was done, for the log. Returns 0, or
 * OKR_E_UNSUPPORTED (no migration from there), OKR_E_FULL (grow the map
 * and start again) or another okr_err_t, with a message in err. */
int okr_store_migrate(okr_store_t *s, MDB_txn *txn, uint64_t from, char *note, size_t notelen,
                      char *err, size_t errlen);

#endif
