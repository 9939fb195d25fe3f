/* paths.h — where the okr clients keep their files, and how they write them.
 *
 * The config directory is $OKR_CONFIG_DIR, else $XDG_CONFIG_HOME/okr (when
 * that is an absolute path, as the XDG spec requires), else
 * $HOME/.config/okr (HOME from the password database if unset). It holds
 * secrets (session tokens) and trust decisions (pins), so it is created with
 * mode 0700 and files in it are written with mode 0600.
 *
 * Every function that fails writes a message for people into err (which
 * names the path and the reason) and returns an okr_err_t.
 */
#ifndef OKR_PATHS_H
#define OKR_PATHS_H

#include <stddef.h>
#include <sys/types.h>

#define OKR_KNOWN_SERVERS_FILE "known_servers"
#define OKR_SESSION_FILE       "session.json"

/* Writes the config directory into out. With create, makes it (and missing
 * parents) with mode 0700. Returns 0, OKR_E_IO (no home directory, cannot
 * create) or OKR_E_TOO_LARGE (path longer than outlen). */
int okr_paths_config_dir(char *out, size_t outlen, int create, char *err, size_t errlen);

/* out = <config dir>/<name>; with create_dir the directory is created. */
int okr_paths_config_file(const char *name, char *out, size_t outlen, int create_dir, char *err,
                          size_t errlen);

/* mkdir -p: creates dir and its missing parents with mode. Existing
 * directories are left as they are. Returns 0 or OKR_E_IO. */
int okr_paths_mkdir(const char *dir, mode_t mode, char *err, size_t errlen);

/* The directory part of path into out ("." when there is none). Returns 0 or
 * OKR_E_TOO_LARGE. */
int okr_paths_dirname(const char *path, char *out, size_t outlen);

/* Replaces path atomically with data: a temporary file in the same
 * directory (created with mode), write, fsync, rename over path, fsync the
 * directory. Readers see the old or the new content, never a mix; a crash
 * leaves at worst a stray temporary file. The directory must exist.
 * Returns 0 or OKR_E_IO. */
int okr_paths_write_atomic(const char *path, const void *data, size_t len, mode_t mode, char *err,
                           size_t errlen);

/* The same for a cache, which may be lost: readers still see the old or the
 * new content, but nothing is synced, so a power cut may leave the old one
 * or an empty file. For what is only an optimisation (the TLS session
 * ticket): two fsyncs would cost more than the cache saves. */
int okr_paths_write_cache(const char *path, const void *data, size_t len, mode_t mode, char *err,
                          size_t errlen);

/* Reads a whole file (at most max bytes) into a NUL-terminated buffer the
 * caller frees. Returns 0, OKR_E_NOT_FOUND (no such file), OKR_E_TOO_LARGE,
 * OKR_E_NOMEM or OKR_E_IO. */
int okr_paths_read_file(const char *path, size_t max, char **data, size_t *len, char *err,
                        size_t errlen);

#endif
