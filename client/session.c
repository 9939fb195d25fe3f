#include "session.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "okr_error.h"
#include "paths.h"

#define SESSION_FILE_MAX (64u * 1024u)

static char *session__string(json_t *root, const char *key)
{
    const char *v = json_string_value(json_object_get(root, key));
    return v && v[0] ? strdup(v) : NULL;
}

/* A positive integer, else 0 (missing, as in files from an older okr, or not
 * an id: the commands that use it then wait for the server's word). */
static uint64_t session__id(json_t *root, const char *key)
{
    json_t *v = json_object_get(root, key);
    json_int_t id = json_is_integer(v) ? json_integer_value(v) : 0;
    return id > 0 ? (uint64_t)id : 0;
}

int okr_session_parse(const char *data, size_t len, okr_session_t *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    json_error_t jerr;
    json_t *root = json_loadb(data, len, 0, &jerr);
    if (!json_is_object(root)) {
        snprintf(err, errlen, "is not a saved okr session (%s); remove it and log in again",
                 root ? "not an object" : jerr.text);
        json_decref(root);
        return OKR_E_PROTOCOL;
    }
    s->server = session__string(root, "server");
    s->username = session__string(root, "username");
    s->user_id = session__id(root, "user_id");
    s->token = session__string(root, "token");
    json_t *exp = json_object_get(root, "expires_at");
    s->expires_at = json_is_integer(exp) ? (int64_t)json_integer_value(exp) : 0;
    /* jansson keeps its own copy of the token: wipe it before freeing. */
    json_t *tok = json_object_get(root, "token");
    if (json_is_string(tok)) {
        char *p = (char *)json_string_value(tok);
        OPENSSL_cleanse(p, strlen(p));
    }
    json_decref(root);
    if (!s->server || !s->username || !s->token) {
        okr_session_clear(s);
        snprintf(err, errlen, "lacks the server, user name or token; log in again");
        return OKR_E_PROTOCOL;
    }
    return 0;
}

int okr_session_load(const char *path, okr_session_t *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    char *data;
    size_t len;
    int rc = okr_paths_read_file(path, SESSION_FILE_MAX, &data, &len, err, errlen);
    if (rc)
        return rc == OKR_E_NOT_FOUND ? rc : OKR_E_IO;
    char why[512];
    rc = okr_session_parse(data, len, s, why, sizeof why);
    OPENSSL_cleanse(data, len);
    free(data);
    if (rc)
        snprintf(err, errlen, "%s %s", path, why);
    return rc;
}

int okr_session_save(const char *path, const okr_session_t *s, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    if (okr_paths_dirname(path, dir, sizeof dir) != 0) {
        snprintf(err, errlen, "path too long: %s", path);
        return OKR_E_IO;
    }
    int rc = okr_paths_mkdir(dir, 0700, err, errlen);
    if (rc)
        return rc;
    json_t *root = json_pack("{s:s, s:s, s:I, s:s, s:I}", "server", s->server, "username",
                             s->username, "user_id", (json_int_t)s->user_id, "token", s->token,
                             "expires_at", (json_int_t)s->expires_at);
    if (root && !s->user_id)
        json_object_del(root, "user_id"); /* unknown: left out, as an older okr did */
    char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
    if (root) {
        json_t *tok = json_object_get(root, "token");
        char *p = (char *)json_string_value(tok);
        if (p)
            OPENSSL_cleanse(p, strlen(p));
    }
    json_decref(root);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return OKR_E_NOMEM;
    }
    size_t len = strlen(text);
    char *withnl = malloc(len + 2);
    if (!withnl) {
        OPENSSL_cleanse(text, len);
        free(text);
        snprintf(err, errlen, "out of memory");
        return OKR_E_NOMEM;
    }
    memcpy(withnl, text, len);
    withnl[len] = '\n';
    withnl[len + 1] = '\0';
    OPENSSL_cleanse(text, len);
    free(text);
    rc = okr_paths_write_atomic(path, withnl, len + 1, 0600, err, errlen);
    OPENSSL_cleanse(withnl, len + 1);
    free(withnl);
    return rc;
}

int okr_session_remove(const char *path, char *err, size_t errlen)
{
    if (unlink(path) == 0 || errno == ENOENT)
        return 0;
    snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
    return OKR_E_IO;
}

static void session__free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void okr_session_clear(okr_session_t *s)
{
    free(s->server);
    free(s->username);
    session__free_secret(s->token);
    memset(s, 0, sizeof *s);
}
