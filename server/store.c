/* store.c — the LMDB environment of okrd.
 *
 * Locking: mdb_env_set_mapsize() may only run while this process has no
 * transaction open. Every transaction therefore holds s->lock shared from
 * begin to end, and okr_store_grow() takes it exclusively. The lock is
 * glibc's default reader-preferring rwlock, so a thread that opens a second
 * read transaction while holding one cannot deadlock against a waiting grow.
 */
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"
#include "log.h"
#include "migrate.h"
#include "okr_error.h"

#define STORE_MAX_DBS         64
#define STORE_DEFAULT_MAP     ((uint64_t)64 << 20)
#define STORE_DEFAULT_MAXMAP  ((uint64_t)64 << 30)
#define STORE_DEFAULT_READERS 126

/* Names of the databases, indexed by okr_db_t. Never rename one: the name is
 * what finds the data on disk. */
static const char *const store__db_names[OKR_DB__COUNT] = {
    [OKR_DB_META] = "meta",
    [OKR_DB_USERS] = "users",
    [OKR_DB_USERS_BY_NAME] = "users_by_name",
    [OKR_DB_SESSIONS] = "sessions",
    [OKR_DB_CHANGES] = "changes",
    [OKR_DB_TEAMS] = "teams",
    [OKR_DB_TEAMS_BY_NAME] = "teams_by_name",
    [OKR_DB_CYCLES] = "cycles",
    [OKR_DB_CYCLES_BY_NAME] = "cycles_by_name",
    [OKR_DB_OBJECTIVES] = "objectives",
    [OKR_DB_KEY_RESULTS] = "key_results",
    [OKR_DB_CHECKINS] = "checkins",
    [OKR_DB_TASKS] = "tasks",
    [OKR_DB_COMMENTS] = "comments",
    [OKR_DB_IDX_TEAM_CHILDREN] = "idx_team_children",
    [OKR_DB_IDX_CYCLE_OBJECTIVES] = "idx_cycle_objectives",
    [OKR_DB_IDX_TEAM_OBJECTIVES] = "idx_team_objectives",
    [OKR_DB_IDX_USER_OBJECTIVES] = "idx_user_objectives",
    [OKR_DB_IDX_CHILD_OBJECTIVES] = "idx_child_objectives",
    [OKR_DB_IDX_OBJECTIVE_KRS] = "idx_objective_krs",
    [OKR_DB_IDX_USER_KRS] = "idx_user_krs",
    [OKR_DB_IDX_LINKED_KRS] = "idx_linked_krs",
    [OKR_DB_IDX_KR_CHECKINS] = "idx_kr_checkins",
    [OKR_DB_IDX_KR_TASKS] = "idx_kr_tasks",
    [OKR_DB_IDX_USER_TASKS] = "idx_user_tasks",
    [OKR_DB_IDX_OBJECTIVE_COMMENTS] = "idx_objective_comments",
    [OKR_DB_IDX_KR_COMMENTS] = "idx_kr_comments",
    [OKR_DB_IDX_ENTITY_CHANGES] = "idx_entity_changes",
    [OKR_DB_DASH_TOKENS] = "dash_tokens",
    [OKR_DB_DASH_TOKEN_HASHES] = "dash_token_hashes",
    [OKR_DB_IDX_USER_SESSIONS] = "idx_user_sessions",
};

struct okr_store {
    MDB_env *env;
    MDB_dbi dbi[OKR_DB__COUNT];
    pthread_rwlock_t lock;
    /* Written under lock held exclusively; read without it by
     * okr_store_map_size(), hence atomic. */
    _Atomic size_t map_size;
    size_t map_size_max;
    size_t page_size;
};

int okr_store_err(int mdb_rc)
{
    switch (mdb_rc) {
    case MDB_SUCCESS:
        return OKR_OK;
    case MDB_NOTFOUND:
        return OKR_E_NOT_FOUND;
    case MDB_MAP_FULL:
        return OKR_E_FULL;
    default:
        return OKR_E_INTERNAL;
    }
}

/* Like okr_store_err(), but logs what is a bug or an I/O failure. */
static int store__err(int mdb_rc, const char *what)
{
    int err = okr_store_err(mdb_rc);
    if (err == OKR_E_INTERNAL)
        okr_error("store: %s: %s", what, mdb_strerror(mdb_rc));
    return err;
}

static size_t store__clamp(uint64_t v)
{
    return v > SIZE_MAX ? SIZE_MAX : (size_t)v;
}

static size_t store__round_up(size_t v, size_t page)
{
    if (v % page == 0)
        return v;
    if (v > SIZE_MAX - page)
        return v - v % page;
    return v + (page - v % page);
}

static void store__fmt_size(char *buf, size_t len, size_t bytes)
{
    if (bytes % ((size_t)1 << 20) == 0)
        snprintf(buf, len, "%zu MiB", bytes >> 20);
    else
        snprintf(buf, len, "%zu KiB", bytes >> 10);
}

/* Creates dir (0700) if missing; fails if it exists and is not a directory. */
static int store__mkdir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (mkdir(dir, 0700) == 0)
        return OKR_OK;
    if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return OKR_OK;
    snprintf(err, errlen, "cannot create directory %s: %s", dir,
             errno == EEXIST ? "not a directory" : strerror(errno));
    return OKR_E_IO;
}

/* Opens database db of this build; a read-only open of a store that lacks it
 * fails (it cannot be created there). */
static int store__open_db(okr_store_t *s, MDB_txn *txn, okr_db_t db, int read_only, char *err,
                          size_t errlen)
{
    int rc = mdb_dbi_open(txn, store__db_names[db], read_only ? 0 : MDB_CREATE, &s->dbi[db]);
    if (rc == MDB_NOTFOUND && read_only)
        snprintf(err, errlen, "database %s is missing: %s", store__db_names[db],
                 db == OKR_DB_META ? "not an okr store"
                                   : "the store is damaged, or not an okr store");
    else if (rc != 0)
        snprintf(err, errlen, "cannot open database %s: %s", store__db_names[db], mdb_strerror(rc));
    return okr_store_err(rc);
}

static const char store__schema_key[] = "schema";

/* The store's schema version into *version (*is_new: none yet, a new
 * store), if this build may open it as asked: not newer than it knows,
 * and, read-only, not older either (upgrading writes). Else an okr_err_t,
 * and err says why and what to do. */
static int store__check_version(okr_store_t *s, MDB_txn *txn, int read_only, uint64_t *version,
                                int *is_new, char *err, size_t errlen)
{
    MDB_val k = {sizeof store__schema_key - 1, (void *)store__schema_key}, v;
    int rc = mdb_get(txn, s->dbi[OKR_DB_META], &k, &v);
    *version = 0;
    *is_new = rc == MDB_NOTFOUND;
    if (rc == MDB_NOTFOUND && read_only) {
        snprintf(err, errlen, "no schema version: not an okr store");
        return OKR_E_NOT_FOUND;
    }
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0) {
        snprintf(err, errlen, "cannot read schema version: %s", mdb_strerror(rc));
        return okr_store_err(rc);
    }
    if (v.mv_size != OKR_KEY_U64_LEN) {
        snprintf(err, errlen, "schema version record is corrupt (%zu bytes)", v.mv_size);
        return OKR_E_INTERNAL;
    }
    *version = okr_key_get_u64(v.mv_data);
    if (*version > OKR_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "schema version %llu is newer than this build supports (%d); run a newer okrd",
                 (unsigned long long)*version, OKR_SCHEMA_VERSION);
        return OKR_E_UNSUPPORTED;
    }
    if (*version < OKR_SCHEMA_VERSION && read_only) {
        snprintf(err, errlen,
                 "schema version %llu is older than this build's (%d): start okrd on it once to "
                 "upgrade it (a read-only open does not write)",
                 (unsigned long long)*version, OKR_SCHEMA_VERSION);
        return OKR_E_UNSUPPORTED;
    }
    return 0;
}

static int store__write_version(okr_store_t *s, MDB_txn *txn, char *err, size_t errlen)
{
    uint8_t buf[OKR_KEY_U64_LEN];
    okr_key_put_u64(buf, OKR_SCHEMA_VERSION);
    MDB_val k = {sizeof store__schema_key - 1, (void *)store__schema_key}, v = {sizeof buf, buf};
    int rc = mdb_put(txn, s->dbi[OKR_DB_META], &k, &v, 0);
    if (rc != 0)
        snprintf(err, errlen, "cannot write schema version: %s", mdb_strerror(rc));
    return okr_store_err(rc);
}

/* Opens every named database and checks the schema version; writable, it
 * writes the version of a new store, or upgrades an older one (migrate.h;
 * note then says what was done), all in one write transaction. The
 * version is checked before the other databases are opened, so a store
 * that cannot be opened as asked is refused for its version, not for a
 * database it lacks. */
static int store__init_dbs(okr_store_t *s, int read_only, char *note, size_t notelen, char *err,
                           size_t errlen)
{
    note[0] = '\0';
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, read_only ? MDB_RDONLY : 0, &txn);
    if (rc != 0) {
        snprintf(err, errlen, "cannot begin transaction: %s", mdb_strerror(rc));
        return okr_store_err(rc);
    }
    uint64_t version = 0;
    int is_new = 0;
    int ret = store__open_db(s, txn, OKR_DB_META, read_only, err, errlen);
    if (ret == 0)
        ret = store__check_version(s, txn, read_only, &version, &is_new, err, errlen);
    for (int i = 0; ret == 0 && i < OKR_DB__COUNT; i++)
        if (i != OKR_DB_META)
            ret = store__open_db(s, txn, (okr_db_t)i, read_only, err, errlen);
    if (ret == 0 && !read_only && version != OKR_SCHEMA_VERSION) {
        if (!is_new)
            ret = okr_store_migrate(s, txn, version, note, notelen, err, errlen);
        if (ret == 0)
            ret = store__write_version(s, txn, err, errlen);
    }
    if (ret != 0) {
        mdb_txn_abort(txn);
        return ret;
    }
    /* Committing (not aborting) keeps the handles, also of a read txn. */
    rc = mdb_txn_commit(txn);
    if (rc != 0) {
        snprintf(err, errlen, "cannot commit: %s", mdb_strerror(rc));
        return okr_store_err(rc);
    }
    return OKR_OK;
}

/* The map must not shrink below what the file already holds: a store grown
 * in an earlier run keeps its size even if the configured initial size is
 * smaller. */
static int store__adopt_file_size(okr_store_t *s, const char *dir, char *err, size_t errlen)
{
    MDB_envinfo info;
    int rc = mdb_env_info(s->env, &info);
    if (rc != 0) {
        snprintf(err, errlen, "mdb_env_info: %s", mdb_strerror(rc));
        return OKR_E_INTERNAL;
    }
    size_t want = info.me_mapsize;

    char path[4096];
    struct stat st;
    if ((size_t)snprintf(path, sizeof path, "%s/data.mdb", dir) < sizeof path &&
        stat(path, &st) == 0 && (uint64_t)st.st_size > want)
        want = store__round_up(store__clamp((uint64_t)st.st_size), s->page_size);
    if (want < s->map_size)
        want = s->map_size;

    if (want != info.me_mapsize) {
        rc = mdb_env_set_mapsize(s->env, want);
        if (rc != 0) {
            snprintf(err, errlen, "cannot set map size to %zu: %s", want, mdb_strerror(rc));
            return OKR_E_INTERNAL;
        }
        rc = mdb_env_info(s->env, &info);
        if (rc != 0) {
            snprintf(err, errlen, "mdb_env_info: %s", mdb_strerror(rc));
            return OKR_E_INTERNAL;
        }
    }
    s->map_size = info.me_mapsize;
    if (s->map_size > s->map_size_max)
        s->map_size_max = s->map_size;
    return OKR_OK;
}

int okr_store_open(okr_store_t **out, const okr_store_opts_t *opts, char *err, size_t errlen)
{
    char dummy[1];
    if (err == NULL || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    *out = NULL;
    if (opts == NULL || opts->dir == NULL) {
        snprintf(err, errlen, "no data directory");
        return OKR_E_BAD_REQUEST;
    }

    int ret = opts->read_only ? 0 : store__mkdir(opts->dir, err, errlen);
    if (ret != 0)
        return ret;

    okr_store_t *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return OKR_E_NOMEM;
    }
    if (pthread_rwlock_init(&s->lock, NULL) != 0) {
        free(s);
        snprintf(err, errlen, "cannot create lock");
        return OKR_E_INTERNAL;
    }
    long ps = sysconf(_SC_PAGESIZE);
    s->page_size = ps > 0 ? (size_t)ps : 4096;
    size_t initial = opts->map_size ? opts->map_size : store__clamp(STORE_DEFAULT_MAP);
    size_t max = opts->map_size_max ? opts->map_size_max : store__clamp(STORE_DEFAULT_MAXMAP);
    s->map_size = store__round_up(initial, s->page_size);
    s->map_size_max = max - max % s->page_size;
    if (s->map_size_max < s->map_size)
        s->map_size_max = s->map_size;

    int rc = mdb_env_create(&s->env);
    if (rc != 0) {
        snprintf(err, errlen, "mdb_env_create: %s", mdb_strerror(rc));
        pthread_rwlock_destroy(&s->lock);
        free(s);
        return OKR_E_INTERNAL;
    }
    if ((rc = mdb_env_set_maxdbs(s->env, STORE_MAX_DBS)) != 0 ||
        (rc = mdb_env_set_maxreaders(s->env, opts->max_readers ? opts->max_readers
                                                               : STORE_DEFAULT_READERS)) != 0 ||
        (rc = mdb_env_set_mapsize(s->env, s->map_size)) != 0) {
        snprintf(err, errlen, "cannot configure environment: %s", mdb_strerror(rc));
        ret = OKR_E_INTERNAL;
        goto fail;
    }
    /* Durable commits (no MDB_NOSYNC/MDB_NOMETASYNC); no MDB_WRITEMAP, which
     * nested transactions need; MDB_NOTLS because read transactions belong
     * to the loop, not to a thread. */
    rc = mdb_env_open(s->env, opts->dir, MDB_NOTLS | (opts->read_only ? MDB_RDONLY : 0), 0600);
    if (rc != 0) {
        snprintf(err, errlen, "cannot open %s: %s", opts->dir, mdb_strerror(rc));
        ret = rc == ENOENT || rc == EACCES ? OKR_E_IO : OKR_E_INTERNAL;
        goto fail;
    }

    int dead = 0;
    rc = mdb_reader_check(s->env, &dead);
    if (rc != 0) {
        snprintf(err, errlen, "mdb_reader_check: %s", mdb_strerror(rc));
        ret = OKR_E_INTERNAL;
        goto fail;
    }
    if ((ret = store__adopt_file_size(s, opts->dir, err, errlen)) != 0)
        goto fail;
    /* Upgrading writes at open: if that fills the map, it grows as the
     * writer's does (writer.h) and the upgrade starts again. */
    char upgraded[256];
    while ((ret = store__init_dbs(s, opts->read_only, upgraded, sizeof upgraded, err, errlen)) ==
               OKR_E_FULL &&
           !opts->read_only && okr_store_grow(s) == 0)
        err[0] = '\0';
    if (ret != 0)
        goto fail;
    if (upgraded[0])
        okr_info("store: upgraded %s to schema %d (%s)", opts->dir, OKR_SCHEMA_VERSION, upgraded);

    char sz[32], szmax[32];
    store__fmt_size(sz, sizeof sz, s->map_size);
    store__fmt_size(szmax, sizeof szmax, s->map_size_max);
    okr_info("store: opened %s%s (schema %d, map %s, max %s, %d stale readers cleared)", opts->dir,
             opts->read_only ? " read-only" : "", OKR_SCHEMA_VERSION, sz, szmax, dead);
    *out = s;
    return OKR_OK;
fail:
    mdb_env_close(s->env);
    pthread_rwlock_destroy(&s->lock);
    free(s);
    return ret;
}

void okr_store_close(okr_store_t *s)
{
    if (s == NULL)
        return;
    mdb_env_close(s->env);
    pthread_rwlock_destroy(&s->lock);
    free(s);
}

MDB_env *okr_store_env(okr_store_t *s)
{
    return s->env;
}

MDB_dbi okr_store_dbi(okr_store_t *s, okr_db_t db)
{
    return s->dbi[db];
}

size_t okr_store_map_size(okr_store_t *s)
{
    return atomic_load(&s->map_size);
}

/* Begins a top-level transaction under the shared lock. If another process
 * grew the map (MDB_MAP_RESIZED), adopt its size once and retry. */
static int store__begin(okr_store_t *s, unsigned flags, MDB_txn **txn)
{
    *txn = NULL;
    for (int attempt = 0;; attempt++) {
        pthread_rwlock_rdlock(&s->lock);
        int rc = mdb_txn_begin(s->env, NULL, flags, txn);
        if (rc == 0)
            return OKR_OK;
        pthread_rwlock_unlock(&s->lock);
        if (rc != MDB_MAP_RESIZED || attempt > 0)
            return store__err(rc, "mdb_txn_begin");

        pthread_rwlock_wrlock(&s->lock);
        rc = mdb_env_set_mapsize(s->env, 0);
        MDB_envinfo info;
        if (rc == 0 && mdb_env_info(s->env, &info) == 0)
            atomic_store(&s->map_size, info.me_mapsize);
        pthread_rwlock_unlock(&s->lock);
        if (rc != 0)
            return store__err(rc, "mdb_env_set_mapsize");
    }
}

int okr_store_read_begin(okr_store_t *s, MDB_txn **txn)
{
    return store__begin(s, MDB_RDONLY, txn);
}

void okr_store_read_end(okr_store_t *s, MDB_txn *txn)
{
    if (txn == NULL)
        return;
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&s->lock);
}

int okr_store_write_begin(okr_store_t *s, MDB_txn **txn)
{
    return store__begin(s, 0, txn);
}

int okr_store_write_commit(okr_store_t *s, MDB_txn *txn)
{
    int rc = mdb_txn_commit(txn); /* frees txn, also on failure */
    pthread_rwlock_unlock(&s->lock);
    return store__err(rc, "commit");
}

uint64_t okr_store_last_txnid(okr_store_t *s)
{
    MDB_envinfo info;
    return mdb_env_info(s->env, &info) == 0 ? (uint64_t)info.me_last_txnid : 0;
}

void okr_store_write_abort(okr_store_t *s, MDB_txn *txn)
{
    if (txn == NULL)
        return;
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&s->lock);
}

int okr_store_grow(okr_store_t *s)
{
    pthread_rwlock_wrlock(&s->lock);
    size_t cur = atomic_load(&s->map_size);
    if (cur >= s->map_size_max) {
        pthread_rwlock_unlock(&s->lock);
        return OKR_E_FULL;
    }
    size_t next = cur > s->map_size_max / 2 ? s->map_size_max : cur * 2;
    int rc = mdb_env_set_mapsize(s->env, next);
    MDB_envinfo info;
    if (rc == 0 && (rc = mdb_env_info(s->env, &info)) == 0)
        atomic_store(&s->map_size, info.me_mapsize);
    pthread_rwlock_unlock(&s->lock);
    if (rc != 0)
        return store__err(rc, "grow");

    char sz[32];
    store__fmt_size(sz, sizeof sz, next);
    okr_info("store: map grown to %s", sz);
    return OKR_OK;
}

int okr_store_get(okr_store_t *s, MDB_txn *txn, okr_db_t db, const void *key, size_t klen,
                  MDB_val *val)
{
    MDB_val k = {klen, (void *)key};
    return store__err(mdb_get(txn, s->dbi[db], &k, val), "get");
}

int okr_store_put(okr_store_t *s, MDB_txn *txn, okr_db_t db, const void *key, size_t klen,
                  const void *val, size_t vlen)
{
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    return store__err(mdb_put(txn, s->dbi[db], &k, &v, 0), "put");
}

int okr_store_del(okr_store_t *s, MDB_txn *txn, okr_db_t db, const void *key, size_t klen)
{
    MDB_val k = {klen, (void *)key};
    return store__err(mdb_del(txn, s->dbi[db], &k, NULL), "del");
}

int okr_store_get_msg(okr_store_t *s, MDB_txn *txn, okr_db_t db, const void *key, size_t klen,
                      const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out)
{
    *out = NULL;
    MDB_val v;
    int err = okr_store_get(s, txn, db, key, klen, &v);
    if (err != 0)
        return err;
    /* protobuf-c copies strings and bytes, so *out outlives the txn. */
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, v.mv_size, v.mv_data);
    if (m == NULL) {
        okr_error("store: %s record (%zu bytes) does not unpack as %s", store__db_names[db],
                  v.mv_size, desc->name);
        return OKR_E_INTERNAL;
    }
    *out = m;
    return OKR_OK;
}

int okr_store_put_msg(okr_store_t *s, MDB_txn *txn, okr_db_t db, const void *key, size_t klen,
                      const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    MDB_val k = {klen, (void *)key}, v = {n, NULL};
    /* Pack straight into the page LMDB reserved: no bounce buffer. */
    int rc = mdb_put(txn, s->dbi[db], &k, &v, MDB_RESERVE);
    if (rc != 0)
        return store__err(rc, "put");
    if (protobuf_c_message_pack(msg, v.mv_data) != n) {
        okr_error("store: packing %s gave an unexpected size", msg->descriptor->name);
        return OKR_E_INTERNAL;
    }
    return OKR_OK;
}

uint64_t okr_store_counter(okr_store_t *s, MDB_txn *txn, const char *name)
{
    MDB_val v;
    if (okr_store_get(s, txn, OKR_DB_META, name, strlen(name), &v) != 0)
        return 0;
    if (v.mv_size != OKR_KEY_U64_LEN) {
        okr_error("store: counter %s is corrupt (%zu bytes)", name, v.mv_size);
        return 0;
    }
    return okr_key_get_u64(v.mv_data);
}

int okr_store_next_id(okr_store_t *s, MDB_txn *txn, const char *name, uint64_t *out)
{
    size_t klen = strlen(name);
    MDB_val v;
    uint64_t cur = 0;
    int err = okr_store_get(s, txn, OKR_DB_META, name, klen, &v);
    if (err == 0) {
        if (v.mv_size != OKR_KEY_U64_LEN) {
            okr_error("store: counter %s is corrupt (%zu bytes)", name, v.mv_size);
            return OKR_E_INTERNAL;
        }
        cur = okr_key_get_u64(v.mv_data);
    } else if (err != OKR_E_NOT_FOUND) {
        return err;
    }
    if (cur == UINT64_MAX)
        return OKR_E_INTERNAL;

    uint8_t buf[OKR_KEY_U64_LEN];
    okr_key_put_u64(buf, cur + 1);
    err = okr_store_put(s, txn, OKR_DB_META, name, klen, buf, sizeof buf);
    if (err != 0)
        return err;
    *out = cur + 1;
    return OKR_OK;
}

int okr_store_append_change(okr_store_t *s, MDB_txn *txn, Okr__Change *change)
{
    uint64_t seq;
    int err = okr_store_next_id(s, txn, "seq", &seq);
    if (err != 0)
        return err;
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, seq);
    change->seq = seq;
    return okr_store_put_msg(s, txn, OKR_DB_CHANGES, key, sizeof key, &change->base);
}
