/* backup.h — online backup and restore of okrd's store.
 *
 * A backup is LMDB's own copy of the environment (mdb_env_copyfd2), taken in
 * one read transaction: a consistent snapshot of every write committed before
 * it began, while the writer keeps committing. It is written to PATH.tmp,
 * fsynced, moved to PATH without replacing anything there (link, then unlink
 * of the temporary), and the directory fsynced: PATH is either absent or a
 * whole backup, never half of one, even if the machine stops midway.
 *
 * The backup holds the store (data.mdb) only. The TLS certificate and key in
 * the data directory are separate files: back them up once, or clients will
 * have to pin a new certificate after a restore.
 */
#ifndef OKR_BACKUP_H
#define OKR_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

typedef struct okr_backup_info {
    uint64_t bytes;    /* size of the backup file */
    uint64_t last_seq; /* the newest change in it (its "seq" counter) */
    uint64_t schema;   /* its schema version */
    int64_t took_ms;
} okr_backup_info_t;

/* Checks that path can take a new backup: absolute, not too long, not an
 * existing file, in an existing directory. Returns 0, OKR_E_BAD_REQUEST or
 * OKR_E_CONFLICT (it exists) with a message for people in err. */
int okr_backup_check_path(const char *path, char *err, size_t errlen);

/* Writes a backup of s to path as described above. Blocks for as long as
 * the copy takes: call it off the event loop. compact leaves free pages out
 * (MDB_CP_COMPACT). While it runs the map cannot grow (growth waits for it).
 * Returns 0 with *info, or OKR_E_BAD_REQUEST, OKR_E_CONFLICT, OKR_E_IO or
 * OKR_E_INTERNAL with a message in err (nothing is left at path then). */
int okr_backup_write(okr_store_t *s, const char *path, int compact, okr_backup_info_t *info,
                     char *err, size_t errlen);

/* Reads the schema version and the last seq of a store file (a backup, or a
 * data.mdb) without locking or writing it. Returns 0, or OKR_E_BAD_REQUEST
 * with a message if it is not an okr store. */
int okr_backup_inspect(const char *file, okr_backup_info_t *info, char *err, size_t errlen);

/* okrd --restore FILE [--data-dir DIR | --config FILE]: copies the backup
 * FILE into DIR/data.mdb (atomically, as above) and exits; refuses when
 * DIR/data.mdb exists. argv is okrd's, with "--restore FILE" in it; the other
 * arguments are okrd's usual settings. Returns the exit code: 0 restored,
 * 1 refused or failed, 2 usage. */
int okr_restore_main(int argc, char **argv);

#endif
