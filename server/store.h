/* store.h — the LMDB environment of okrd.
 *
 * One environment in the data directory, every named database opened once at
 * open time, a schema version in the meta database, readers checked
 * (mdb_reader_check) at open. Values are packed protobuf messages from
 * proto/okr.proto, so disk and wire share one schema.
 *
 * Threads: read transactions are used by the event-loop thread, the write
 * transaction by the writer thread (writer.h). Growing the map needs no
 * transaction open in this process, so every transaction holds a shared lock
 * and growth takes it exclusively.
 */
#ifndef OKR_STORE_H
#define OKR_STORE_H

#include <lmdb.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "okr.pb-c.h"

/* 2: OKR_DB_IDX_USER_SESSIONS (migrate.h builds it from the sessions of a
 * version-1 store). */
#define OKR_SCHEMA_VERSION 2

/* Named databases. Add new ones at the end (and to the table in store.c). */
typedef enum okr_db {
    OKR_DB_META = 0,      /* string key -> value: "schema", counters          */
    OKR_DB_USERS,         /* user id (u64) -> UserRecord                       */
    OKR_DB_USERS_BY_NAME, /* folded username -> user id (u64)                  */
    OKR_DB_SESSIONS,      /* SHA-256(token) (32 bytes) -> SessionRecord        */
    OKR_DB_CHANGES,       /* seq (u64) -> Change                               */
    /* The OKR domain: id (u64) -> record, and names -> id. */
    OKR_DB_TEAMS,
    OKR_DB_TEAMS_BY_NAME,
    OKR_DB_CYCLES,
    OKR_DB_CYCLES_BY_NAME,
    OKR_DB_OBJECTIVES,
    OKR_DB_KEY_RESULTS,
    OKR_DB_CHECKINS,
    OKR_DB_TASKS,
    OKR_DB_COMMENTS,
    /* Indexes: key = big-endian (a, b) or (a, b, c), empty value. */
    OKR_DB_IDX_TEAM_CHILDREN,      /* (parent team, team)              */
    OKR_DB_IDX_CYCLE_OBJECTIVES,   /* (cycle, objective)               */
    OKR_DB_IDX_TEAM_OBJECTIVES,    /* (team, objective)                */
    OKR_DB_IDX_USER_OBJECTIVES,    /* (owner user, objective)          */
    OKR_DB_IDX_CHILD_OBJECTIVES,   /* (parent objective, objective)    */
    OKR_DB_IDX_OBJECTIVE_KRS,      /* (objective, key result)          */
    OKR_DB_IDX_USER_KRS,           /* (owner user, key result)         */
    OKR_DB_IDX_LINKED_KRS,         /* (linked objective, key result)   */
    OKR_DB_IDX_KR_CHECKINS,        /* (key result, check-in): by time  */
    OKR_DB_IDX_KR_TASKS,           /* (key result, task)               */
    OKR_DB_IDX_USER_TASKS,         /* (assignee, task)                 */
    OKR_DB_IDX_OBJECTIVE_COMMENTS, /* (objective, comment)             */
    OKR_DB_IDX_KR_COMMENTS,        /* (key result, comment)            */
    OKR_DB_IDX_ENTITY_CHANGES,     /* (entity kind, entity id, seq)    */
    OKR_DB_DASH_TOKENS,            /* token id -> DashboardToken       */
    OKR_DB_DASH_TOKEN_HASHES,      /* SHA-256(secret) -> token id      */
    OKR_DB_IDX_USER_SESSIONS,      /* (user, created_at, SHA-256(token)): session_store.h */
    OKR_DB__COUNT
} okr_db_t;

typedef struct okr_store okr_store_t;

typedef struct okr_store_opts {
    const char *dir;      /* data directory; created (0700) if missing */
    size_t map_size;      /* initial map size in bytes (default 64 MiB if 0) */
    size_t map_size_max;  /* growth stops here (default 64 GiB if 0) */
    unsigned max_readers; /* default 126 if 0 */
    /* Open an existing store read-only (MDB_RDONLY, e.g. okrd --check): the
     * directory is not created, nothing is written, and a store missing one
     * of the databases or the schema version is refused, as is one of an
     * older schema (a writable open upgrades it: migrate.h). Only read
     * transactions may be begun. */
    int read_only;
} okr_store_opts_t;

/* Opens (creating if needed) the store; a writable open of a store of an
 * older schema upgrades it first (migrate.h). Returns 0, or an okr_err_t
 * with a message in err (e.g. a schema version newer than this build
 * knows). */
int okr_store_open(okr_store_t **out, const okr_store_opts_t *opts, char *err, size_t errlen);

/* Closes the environment. No transaction may be open. NULL is a no-op. */
void okr_store_close(okr_store_t *s);

MDB_env *okr_store_env(okr_store_t *s);
MDB_dbi okr_store_dbi(okr_store_t *s, okr_db_t db);

/* Current map size in bytes (grows over time). */
size_t okr_store_map_size(okr_store_t *s);

/* A read-only transaction. Returns 0 or an okr_err_t. End it with
 * okr_store_read_end() on the same thread, soon: it pins old pages. */
int okr_store_read_begin(okr_store_t *s, MDB_txn **txn);
void okr_store_read_end(okr_store_t *s, MDB_txn *txn);

/* Write transaction, for the writer thread only (and for tests). */
int okr_store_write_begin(okr_store_t *s, MDB_txn **txn);
int okr_store_write_commit(okr_store_t *s,
                           MDB_txn *txn); /* MDB_MAP_FULL passes through as OKR_E_FULL */
void okr_store_write_abort(okr_store_t *s, MDB_txn *txn);

/* The id of the last committed transaction (mdb_txn_id of a write
 * transaction is the id it gets if its commit writes anything: a transaction
 * that changed nothing commits without writing or syncing). */
uint64_t okr_store_last_txnid(okr_store_t *s);

/* Doubles the map (capped by map_size_max). Must be called with no
 * transaction of this thread open; waits for other threads' transactions.
 * Returns 0, or OKR_E_FULL when already at the maximum. */
int okr_store_grow(okr_store_t *s);

/* Reads key from db and unpacks it as desc into *out (caller frees with
 * protobuf_c_message_free_unpacked(*out, NULL)). Returns 0, OKR_E_NOT_FOUND,
 * or OKR_E_INTERNAL if the stored bytes do not unpack. */
int okr_store_get_msg(okr_store_t *s, MDB_txn *txn, okr_db_t db, const void *key, size_t klen,
                      const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out);

/* Packs msg and stores it under key. Returns 0, OKR_E_FULL (MDB_MAP_FULL:
 * the writer grows the map and retries), or OKR_E_INTERNAL. */
int okr_store_put_msg(okr_store_t *s, MDB_txn *txn, okr_db_t db, const void *key, size_t klen,
                      const ProtobufCMessage *msg);

/* Raw get/put/del. get: 0 or OKR_E_NOT_FOUND (val points into the map,
 * valid until the transaction ends). put/del: 0, OKR_E_FULL, OKR_E_NOT_FOUND
 * (del of a missing key) or OKR_E_INTERNAL. */
int okr_store_get(okr_store_t *s, MDB_txn *txn, okr_db_t db, const void *key, size_t klen,
                  MDB_val *val);
int okr_store_put(okr_store_t *s, MDB_txn *txn, okr_db_t db, const void *key, size_t klen,
                  const void *val, size_t vlen);
int okr_store_del(okr_store_t *s, MDB_txn *txn, okr_db_t db, const void *key, size_t klen);

/* Meta counters (u64 in the meta database under name). next_id increments
 * and returns the new value (first call returns 1). get returns 0 if unset. */
int okr_store_next_id(okr_store_t *s, MDB_txn *txn, const char *name, uint64_t *out);
uint64_t okr_store_counter(okr_store_t *s, MDB_txn *txn, const char *name);

/* Appends a change to the change log: assigns change->seq from the "seq"
 * counter (gap-free, first is 1) and stores it. Returns 0 or an okr_err_t. */
int okr_store_append_change(okr_store_t *s, MDB_txn *txn, Okr__Change *change);

/* Maps an LMDB return code to okr_err_t (MDB_NOTFOUND -> OKR_E_NOT_FOUND,
 * MDB_MAP_FULL -> OKR_E_FULL, others OKR_E_INTERNAL). */
int okr_store_err(int mdb_rc);

#endif
