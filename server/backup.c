/* backup.c — online backup and restore of okrd's store.
 *
 * Why a read transaction around the copy: mdb_env_copyfd2 begins its own
 * read transaction, and okr_store_t's lock rule is that no transaction may be
 * open while the map is resized (store.h). Holding one through
 * okr_store_read_begin keeps that lock for the copy's whole duration.
 *
 * Why link() and not rename(): rename replaces an existing file without a
 * word; link fails with EEXIST, so a backup never overwrites a file someone
 * created at PATH after the check. Filesystems without hard links fall back
 * to a rename after a last check.
 */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "keys.h"
#include "log.h"
#include "okr_error.h"

#define BACKUP_TMP_SUFFIX ".tmp"

/* fsyncs the directory holding path, so a rename or link in it is durable. */
static int backup__sync_dir(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int okr_backup_check_path(const char *path, char *err, size_t errlen)
{
    if (!path || path[0] != '/') {
        snprintf(err, errlen,
                 "the backup path must be absolute: it names a file on the server's machine");
        return OKR_E_BAD_REQUEST;
    }
    size_t len = strlen(path);
    if (len + sizeof BACKUP_TMP_SUFFIX > PATH_MAX) {
        snprintf(err, errlen, "the backup path is too long");
        return OKR_E_BAD_REQUEST;
    }
    if (path[len - 1] == '/') {
        snprintf(err, errlen, "the backup path must name a file, not a directory");
        return OKR_E_BAD_REQUEST;
    }
    struct stat st;
    if (lstat(path, &st) == 0) {
        snprintf(err, errlen, "%s already exists; choose a new name (backups never replace a file)",
                 path);
        return OKR_E_CONFLICT;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a directory on the server", dir);
        return OKR_E_BAD_REQUEST;
    }
    return 0;
}

int okr_backup_inspect(const char *file, okr_backup_info_t *info, char *err, size_t errlen)
{
    memset(info, 0, sizeof *info);
    struct stat st;
    errno = 0;
    if (stat(file, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: %s", file, errno ? strerror(errno) : "not a regular file");
        return OKR_E_BAD_REQUEST;
    }
    info->bytes = (uint64_t)st.st_size;
    MDB_env *env;
    MDB_txn *txn = NULL;
    MDB_dbi meta;
    int rc = mdb_env_create(&env);
    if (rc != 0) {
        snprintf(err, errlen, "mdb_env_create: %s", mdb_strerror(rc));
        return OKR_E_INTERNAL;
    }
    /* No lock file, no writes: the file may be a backup on read-only media. */
    if ((rc = mdb_env_set_maxdbs(env, 64)) == 0 &&
        (rc = mdb_env_open(env, file, MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK, 0600)) == 0 &&
        (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) == 0)
        rc = mdb_dbi_open(txn, "meta", 0, &meta);
    static const char schema[] = "schema", seq[] = "seq";
    MDB_val k = {sizeof schema - 1, (void *)schema}, v;
    if (rc == 0)
        rc = mdb_get(txn, meta, &k, &v);
    if (rc == 0 && v.mv_size == OKR_KEY_U64_LEN) {
        info->schema = okr_key_get_u64(v.mv_data);
        k.mv_size = sizeof seq - 1;
        k.mv_data = (void *)seq;
        if (mdb_get(txn, meta, &k, &v) == 0 && v.mv_size == OKR_KEY_U64_LEN)
            info->last_seq = okr_key_get_u64(v.mv_data);
    } else if (rc == 0) {
        rc = MDB_INCOMPATIBLE;
    }
    if (txn)
        mdb_txn_abort(txn);
    mdb_env_close(env);
    if (rc != 0) {
        snprintf(err, errlen, "%s is not an okr store: %s", file, mdb_strerror(rc));
        return OKR_E_BAD_REQUEST;
    }
    return 0;
}

/* Moves tmp to path without replacing anything at path, durably. */
static int backup__publish(const char *tmp, const char *path, char *err, size_t errlen)
{
    int rc = link(tmp, path);
    if (rc != 0 && errno != EEXIST) {
        /* No hard links here (e.g. vfat): rename, after one last look. */
        struct stat st;
        if (lstat(path, &st) == 0)
            errno = EEXIST;
        else
            rc = rename(tmp, path);
    }
    if (rc != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(e));
        return e == EEXIST ? OKR_E_CONFLICT : OKR_E_IO;
    }
    unlink(tmp); /* after a rename it is gone already */
    if (backup__sync_dir(path) != 0) {
        snprintf(err, errlen, "cannot sync the directory of %s: %s", path, strerror(errno));
        return OKR_E_IO;
    }
    return 0;
}

/* Copies env into a new file tmp (O_EXCL) and syncs it. */
static int backup__copy(MDB_env *env, const char *tmp, unsigned flags, uint64_t *bytes, char *err,
                        size_t errlen)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        if (e == EEXIST)
            snprintf(err, errlen,
                     "%s exists: another backup is being written there, or one was "
                     "interrupted (then remove it)",
                     tmp);
        else
            snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(e));
        return e == EEXIST ? OKR_E_CONFLICT : OKR_E_IO;
    }
    int rc = mdb_env_copyfd2(env, fd, flags);
    int ret = 0;
    struct stat st;
    if (rc != 0) {
        snprintf(err, errlen, "copying the store failed: %s", mdb_strerror(rc));
        ret = rc == ENOSPC || rc == EIO ? OKR_E_IO : OKR_E_INTERNAL;
    } else if (fsync(fd) != 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot sync %s: %s", tmp, strerror(errno));
        ret = OKR_E_IO;
    } else {
        *bytes = (uint64_t)st.st_size;
    }
    if (close(fd) != 0 && ret == 0) {
        snprintf(err, errlen, "cannot close %s: %s", tmp, strerror(errno));
        ret = OKR_E_IO;
    }
    if (ret != 0)
        unlink(tmp);
    return ret;
}

int okr_backup_write(okr_store_t *s, const char *path, int compact, okr_backup_info_t *info,
                     char *err, size_t errlen)
{
    uint64_t t0 = okr_mono_ms();
    memset(info, 0, sizeof *info);
    int ret = okr_backup_check_path(path, err, errlen);
    if (ret != 0)
        return ret;
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s" BACKUP_TMP_SUFFIX, path);

    MDB_txn *pin;
    if ((ret = okr_store_read_begin(s, &pin)) != 0) {
        snprintf(err, errlen, "cannot read the store");
        return ret;
    }
    uint64_t bytes = 0;
    ret = backup__copy(okr_store_env(s), tmp, compact ? MDB_CP_COMPACT : 0, &bytes, err, errlen);
    okr_store_read_end(s, pin);
    if (ret != 0)
        return ret;

    /* The seq the copy holds, read from the copy itself: it also proves the
     * file opens as a store. */
    if ((ret = okr_backup_inspect(tmp, info, err, errlen)) != 0) {
        unlink(tmp);
        return OKR_E_INTERNAL;
    }
    if ((ret = backup__publish(tmp, path, err, errlen)) != 0) {
        unlink(tmp);
        return ret;
    }
    info->bytes = bytes;
    info->took_ms = (int64_t)(okr_mono_ms() - t0);
    return 0;
}

/* ---- okrd --restore ---- */

/* okrd's arguments without the "--restore FILE" okr_config_mode found (not
 * a flag's value that reads the same), for the usual settings parser. */
static char **restore__args(int argc, char **argv, int *n, const char **file)
{
    int at;
    okr_config_mode(argc, argv, &at);
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args)
        return NULL;
    *n = 0;
    *file = NULL;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && i == at) {
            *file = i + 1 < argc ? argv[++i] : NULL;
            continue;
        }
        args[(*n)++] = argv[i];
    }
    return args;
}

static int restore__into(const char *file, const char *dir)
{
    char err[1024];
    okr_backup_info_t info;
    if (okr_backup_inspect(file, &info, err, sizeof err) != 0) {
        fprintf(stderr, "okrd --restore: %s\n", err);
        return 1;
    }
    if (info.schema > OKR_SCHEMA_VERSION) {
        fprintf(stderr, "okrd --restore: %s has schema %llu, newer than this okrd (%d)\n", file,
                (unsigned long long)info.schema, OKR_SCHEMA_VERSION);
        return 1;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "okrd --restore: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    char data[PATH_MAX], tmp[PATH_MAX + 8];
    snprintf(data, sizeof data, "%s/data.mdb", dir);
    snprintf(tmp, sizeof tmp, "%s" BACKUP_TMP_SUFFIX, data);
    struct stat st;
    if (lstat(data, &st) == 0) {
        fprintf(stderr,
                "okrd --restore: %s already holds a store (%s); restore into an empty data "
                "directory, or move that file away first\n",
                dir, data);
        return 1;
    }
    /* A copy through LMDB rather than of the bytes: it reads the file as a
     * store, so a truncated or foreign file is refused, not installed. */
    MDB_env *env;
    int rc = mdb_env_create(&env);
    if (rc != 0) {
        fprintf(stderr, "okrd --restore: mdb_env_create: %s\n", mdb_strerror(rc));
        return 1;
    }
    if ((rc = mdb_env_set_maxdbs(env, 64)) == 0)
        rc = mdb_env_open(env, file, MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK, 0600);
    int ret = 1;
    uint64_t bytes = 0;
    if (rc != 0)
        fprintf(stderr, "okrd --restore: cannot open %s: %s\n", file, mdb_strerror(rc));
    else if (backup__copy(env, tmp, 0, &bytes, err, sizeof err) != 0 ||
             backup__publish(tmp, data, err, sizeof err) != 0)
        fprintf(stderr, "okrd --restore: %s\n", err);
    else
        ret = 0;
    mdb_env_close(env);
    if (ret != 0) {
        unlink(tmp);
        return ret;
    }
    printf("restored %s into %s: %llu bytes, changes up to seq %llu\n", file, data,
           (unsigned long long)bytes, (unsigned long long)info.last_seq);
    char cert[PATH_MAX + 16];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    if (stat(cert, &st) != 0)
        printf("note: %s has no certificate: okrd will make a new one, and clients must pin it "
               "again (or copy cert.pem and key.pem from the old data directory first)\n",
               dir);
    printf("start the server with: okrd --data-dir %s\n", dir);
    return 0;
}

int okr_restore_main(int argc, char **argv)
{
    int n;
    const char *file;
    char **args = restore__args(argc, argv, &n, &file);
    if (!args)
        return 1;
    okr_config_t cfg;
    okr_config_defaults(&cfg);
    int rc = okr_config_from_args(&cfg, n, args);
    free(args);
    if (rc != 0) {
        okr_config_free(&cfg);
        return rc > 0 ? 0 : 2;
    }
    if (!file || !file[0]) {
        fprintf(stderr,
                "okrd: --restore needs a backup file: okrd --restore FILE --data-dir DIR\n");
        okr_config_free(&cfg);
        return 2;
    }
    rc = restore__into(file, cfg.data_dir);
    okr_config_free(&cfg);
    return rc;
}
