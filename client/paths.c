#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "okr_error.h"

static int paths__fmt(char *out, size_t outlen, const char *a, const char *b)
{
    int n = snprintf(out, outlen, "%s%s", a, b);
    return n < 0 || (size_t)n >= outlen ? OKR_E_TOO_LARGE : 0;
}

/* $HOME, or the password database's idea of it (cron jobs, su -). */
static const char *paths__home(void)
{
    const char *home = getenv("HOME");
    if (home && home[0])
        return home;
    struct passwd *pw = getpwuid(getuid());
    return pw && pw->pw_dir && pw->pw_dir[0] ? pw->pw_dir : NULL;
}

int okr_paths_config_dir(char *out, size_t outlen, int create, char *err, size_t errlen)
{
    const char *env = getenv("OKR_CONFIG_DIR");
    const char *xdg = getenv("XDG_CONFIG_HOME");
    int rc;
    if (env && env[0]) {
        rc = paths__fmt(out, outlen, env, "");
    } else if (xdg && xdg[0] == '/') {
        rc = paths__fmt(out, outlen, xdg, "/okr");
    } else {
        const char *home = paths__home();
        if (!home) {
            snprintf(err, errlen,
                     "cannot find your home directory for the okr config directory; "
                     "set OKR_CONFIG_DIR");
            return OKR_E_IO;
        }
        rc = paths__fmt(out, outlen, home, "/.config/okr");
    }
    if (rc) {
        snprintf(err, errlen, "the okr config directory path is too long");
        return rc;
    }
    return create ? okr_paths_mkdir(out, 0700, err, errlen) : 0;
}

int okr_paths_config_file(const char *name, char *out, size_t outlen, int create_dir, char *err,
                          size_t errlen)
{
    char dir[PATH_MAX];
    int rc = okr_paths_config_dir(dir, sizeof dir, create_dir, err, errlen);
    if (rc)
        return rc;
    int n = snprintf(out, outlen, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= outlen) {
        snprintf(err, errlen, "path too long: %s/%s", dir, name);
        return OKR_E_TOO_LARGE;
    }
    return 0;
}

static int paths__mkdir_one(const char *dir, mode_t mode, char *err, size_t errlen)
{
    if (mkdir(dir, mode) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        snprintf(err, errlen, "%s exists and is not a directory", dir);
        return OKR_E_IO;
    }
    snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(errno));
    return OKR_E_IO;
}

int okr_paths_mkdir(const char *dir, mode_t mode, char *err, size_t errlen)
{
    char buf[PATH_MAX];
    if (paths__fmt(buf, sizeof buf, dir, "")) {
        snprintf(err, errlen, "path too long: %s", dir);
        return OKR_E_TOO_LARGE;
    }
    struct stat st;
    if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    /* Create each missing component from the top, like mkdir -p. */
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = paths__mkdir_one(buf, mode, err, errlen);
        *p = '/';
        if (rc)
            return rc;
    }
    return paths__mkdir_one(buf, mode, err, errlen);
}

int okr_paths_dirname(const char *path, char *out, size_t outlen)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return paths__fmt(out, outlen, ".", "");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= outlen)
        return OKR_E_TOO_LARGE;
    memcpy(out, path, n);
    out[n] = '\0';
    return 0;
}

static int paths__write_all(int fd, const unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The rename is only durable once the directory entry is on disk too. */
static void paths__fsync_dir(const char *path)
{
    char dir[PATH_MAX];
    if (okr_paths_dirname(path, dir, sizeof dir))
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static int paths__replace(const char *path, const void *data, size_t len, mode_t mode, int sync,
                          char *err, size_t errlen)
{
    char tmp[PATH_MAX];
    if (paths__fmt(tmp, sizeof tmp, path, ".tmp-XXXXXX")) {
        snprintf(err, errlen, "path too long: %s", path);
        return OKR_E_TOO_LARGE;
    }
    int fd = mkstemp(tmp); /* created 0600, never over an existing file */
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a temporary file beside %s: %s", path,
                 strerror(errno));
        return OKR_E_IO;
    }
    const char *what = NULL;
    if (fchmod(fd, mode) != 0)
        what = "set the mode of";
    else if (paths__write_all(fd, data, len) != 0)
        what = "write";
    else if (sync && fsync(fd) != 0)
        what = "sync";
    int saved = errno;
    if (close(fd) != 0 && !what) {
        what = "close";
        saved = errno;
    }
    if (!what && rename(tmp, path) != 0) {
        what = "rename into place";
        saved = errno;
    }
    if (what) {
        snprintf(err, errlen, "cannot %s %s: %s", what, what[0] == 'r' ? path : tmp,
                 strerror(saved));
        unlink(tmp);
        return OKR_E_IO;
    }
    if (sync)
        paths__fsync_dir(path);
    return 0;
}

int okr_paths_write_atomic(const char *path, const void *data, size_t len, mode_t mode, char *err,
                           size_t errlen)
{
    return paths__replace(path, data, len, mode, 1, err, errlen);
}

int okr_paths_write_cache(const char *path, const void *data, size_t len, mode_t mode, char *err,
                          size_t errlen)
{
    return paths__replace(path, data, len, mode, 0, err, errlen);
}

int okr_paths_read_file(const char *path, size_t max, char **data, size_t *len, char *err,
                        size_t errlen)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return OKR_E_NOT_FOUND;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return OKR_E_IO;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : OKR_E_NOMEM;
    while (!rc) {
        if (n + 1 >= cap) {
            if (cap > max) {
                snprintf(err, errlen, "%s is larger than %zu bytes", path, max);
                rc = OKR_E_TOO_LARGE;
                break;
            }
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                rc = OKR_E_NOMEM;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
                rc = OKR_E_IO;
            }
            break;
        }
    }
    fclose(f);
    if (!rc && n > max) {
        snprintf(err, errlen, "%s is larger than %zu bytes", path, max);
        rc = OKR_E_TOO_LARGE;
    }
    if (rc) {
        if (rc == OKR_E_NOMEM)
            snprintf(err, errlen, "out of memory reading %s", path);
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}
