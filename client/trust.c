#include "trust.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#include "okr_error.h"
#include "paths.h"

/* A known-servers file of 1 MiB holds ~10000 pins: anything larger is not ours. */
#define TRUST_FILE_MAX (1024u * 1024u)

__attribute__((format(printf, 3, 4))) static void trust__err(char *err, size_t errlen,
                                                             const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int okr_trust_normalize(const char *in, char out[OKR_FINGERPRINT_LEN])
{
    size_t n = 0;
    for (; *in; in++) {
        if (*in == ':')
            continue;
        if (!isxdigit((unsigned char)*in) || n == OKR_FINGERPRINT_LEN - 1)
            return -1;
        out[n++] = (char)tolower((unsigned char)*in);
    }
    out[n] = '\0';
    return n == OKR_FINGERPRINT_LEN - 1 ? 0 : -1;
}

/* One parsed line. line/len cover the line without its '\n'. */
typedef struct trust_line {
    const char *line;
    size_t len;
    int is_pin;
    char hostport[256];
    char pin[OKR_FINGERPRINT_LEN];
} trust_line_t;

static void trust__parse_line(trust_line_t *l)
{
    char buf[512];
    l->is_pin = 0;
    if (l->len >= sizeof buf)
        return;
    memcpy(buf, l->line, l->len);
    buf[l->len] = '\0';
    char *save = NULL;
    char *hp = strtok_r(buf, " \t\r", &save);
    if (!hp || hp[0] == '#')
        return;
    char *fp = strtok_r(NULL, " \t\r", &save);
    if (!fp || strtok_r(NULL, " \t\r", &save) || strlen(hp) >= sizeof l->hostport)
        return;
    if (okr_trust_normalize(fp, l->pin) != 0)
        return;
    strcpy(l->hostport, hp);
    l->is_pin = 1;
}

/* Calls fn for each line of data; stops early when fn returns non-zero. */
typedef int (*trust_line_fn)(void *arg, trust_line_t *l);

static int trust__each_line(const char *data, size_t len, trust_line_fn fn, void *arg)
{
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        trust_line_t l = {.line = p, .len = nl ? (size_t)(nl - p) : (size_t)(end - p)};
        trust__parse_line(&l);
        int rc = fn(arg, &l);
        if (rc)
            return rc;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

static int trust__read(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
    char msg[512] = "";
    int rc = okr_paths_read_file(path, TRUST_FILE_MAX, data, len, msg, sizeof msg);
    if (rc == OKR_E_NOT_FOUND) {
        *data = NULL;
        *len = 0;
        return 0;
    }
    if (rc) {
        trust__err(err, errlen, "%s", msg);
        return OKR_E_IO;
    }
    return 0;
}

/* ---------------------------------------------------------------- reading */

typedef struct trust_find {
    const char *hostport;
    char *pin;
    int found;
} trust_find_t;

static int trust__find_cb(void *arg, trust_line_t *l)
{
    trust_find_t *f = arg;
    if (!l->is_pin || strcasecmp(l->hostport, f->hostport) != 0)
        return 0;
    memcpy(f->pin, l->pin, OKR_FINGERPRINT_LEN);
    f->found = 1;
    return 1;
}

int okr_trust_lookup(const char *path, const char *hostport, char pin[OKR_FINGERPRINT_LEN],
                     char *err, size_t errlen)
{
    char *data;
    size_t len;
    int rc = trust__read(path, &data, &len, err, errlen);
    if (rc)
        return rc;
    trust_find_t f = {.hostport = hostport, .pin = pin};
    if (data)
        trust__each_line(data, len, trust__find_cb, &f);
    free(data);
    return f.found ? 0 : OKR_E_NOT_FOUND;
}

int okr_trust_check(const char *path, const char *hostport, const char *fingerprint,
                    okr_trust_verdict_t *verdict, char pin[OKR_FINGERPRINT_LEN], char *err,
                    size_t errlen)
{
    char have[OKR_FINGERPRINT_LEN], want[OKR_FINGERPRINT_LEN];
    int rc = okr_trust_lookup(path, hostport, want, err, errlen);
    if (rc == OKR_E_NOT_FOUND) {
        *verdict = OKR_TRUST_UNKNOWN;
        return 0;
    }
    if (rc)
        return rc;
    if (pin)
        memcpy(pin, want, OKR_FINGERPRINT_LEN);
    *verdict = okr_trust_normalize(fingerprint, have) == 0 && strcmp(have, want) == 0
                   ? OKR_TRUST_MATCH
                   : OKR_TRUST_MISMATCH;
    return 0;
}

typedef struct trust_list {
    okr_trust_entry_fn fn;
    void *arg;
} trust_list_t;

static int trust__list_cb(void *arg, trust_line_t *l)
{
    trust_list_t *t = arg;
    if (l->is_pin)
        t->fn(t->arg, l->hostport, l->pin);
    return 0;
}

void okr_trust_parse(const char *data, size_t len, okr_trust_entry_fn fn, void *arg)
{
    trust_list_t t = {fn, arg};
    trust__each_line(data, len, trust__list_cb, &t);
}

int okr_trust_list(const char *path, okr_trust_entry_fn fn, void *arg, char *err, size_t errlen)
{
    char *data;
    size_t len;
    int rc = trust__read(path, &data, &len, err, errlen);
    if (rc)
        return rc;
    if (data)
        okr_trust_parse(data, len, fn, arg);
    free(data);
    return 0;
}

/* ---------------------------------------------------------------- rewriting */

typedef struct trust_edit {
    const char *hostport;
    const char *new_line; /* NULL: forget */
    char *out;
    size_t out_len;
    int matched;
} trust_edit_t;

static void trust__append(trust_edit_t *e, const char *s, size_t n)
{
    memcpy(e->out + e->out_len, s, n);
    e->out_len += n;
}

static int trust__edit_cb(void *arg, trust_line_t *l)
{
    trust_edit_t *e = arg;
    if (l->is_pin && strcasecmp(l->hostport, e->hostport) == 0) {
        /* The first pin of hostport is replaced in place; duplicates go. */
        if (e->new_line && !e->matched)
            trust__append(e, e->new_line, strlen(e->new_line));
        e->matched = 1;
        return 0;
    }
    trust__append(e, l->line, l->len);
    trust__append(e, "\n", 1);
    return 0;
}

/* Serialises rewrites between okr processes: an exclusive flock on the
 * directory (no lock file to leave behind). Returns the fd or -1. */
static int trust__lock(const char *path, char *err, size_t errlen)
{
    char dir[PATH_MAX], msg[512] = "";
    if (okr_paths_dirname(path, dir, sizeof dir) != 0) {
        trust__err(err, errlen, "path too long: %s", path);
        return -1;
    }
    if (okr_paths_mkdir(dir, 0700, msg, sizeof msg) != 0) {
        trust__err(err, errlen, "%s", msg);
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        trust__err(err, errlen, "cannot open %s: %s", dir, strerror(errno));
        return -1;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            trust__err(err, errlen, "cannot lock %s: %s", dir, strerror(errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* The file's contents data[0..len) with new_line in place of the pin of
 * hostport (NULL: without it) into *out (malloc'd, *out_len bytes, not
 * NUL-terminated). Returns 0, OKR_E_NOT_FOUND (removing, and no pin) or
 * OKR_E_NOMEM. */
static int trust__edit(const char *data, size_t len, const char *hostport, const char *new_line,
                       char **out, size_t *out_len)
{
    /* Output: at most the input, a '\n' the last line may lack, the new line. */
    size_t cap = len + 1 + (new_line ? strlen(new_line) : 0);
    trust_edit_t e = {.hostport = hostport, .new_line = new_line, .out = malloc(cap)};
    if (!e.out)
        return OKR_E_NOMEM;
    if (data)
        trust__each_line(data, len, trust__edit_cb, &e);
    if (new_line && !e.matched)
        trust__append(&e, new_line, strlen(new_line));
    if (!new_line && !e.matched) {
        free(e.out);
        return OKR_E_NOT_FOUND;
    }
    *out = e.out;
    *out_len = e.out_len;
    return 0;
}

static int trust__rewrite(const char *path, const char *hostport, const char *new_line, char *err,
                          size_t errlen)
{
    int lock = trust__lock(path, err, errlen);
    if (lock < 0)
        return OKR_E_IO;
    char *data, *out = NULL;
    size_t len, out_len = 0;
    int rc = trust__read(path, &data, &len, err, errlen);
    if (rc) {
        close(lock);
        return rc;
    }
    rc = trust__edit(data, len, hostport, new_line, &out, &out_len);
    if (rc == OKR_E_NOMEM) {
        trust__err(err, errlen, "out of memory");
    } else if (rc == OKR_E_NOT_FOUND) {
        trust__err(err, errlen, "no pin for %s in %s", hostport, path);
    } else {
        char msg[512] = "";
        rc = okr_paths_write_atomic(path, out, out_len, 0600, msg, sizeof msg);
        if (rc)
            trust__err(err, errlen, "%s", msg);
    }
    free(out);
    free(data);
    close(lock);
    return rc;
}

static int trust__check_hostport(const char *hostport, char *err, size_t errlen)
{
    size_t n = strlen(hostport);
    if (n == 0 || n >= sizeof((trust_line_t *)0)->hostport ||
        strpbrk(hostport, " \t\r\n#") != NULL) {
        trust__err(err, errlen, "bad server name '%s' for a pin", hostport);
        return OKR_E_BAD_REQUEST;
    }
    return 0;
}

/* The line that pins fingerprint for hostport, into line (TRUST_LINE_MAX
 * bytes); NULL fingerprint: only checks hostport (line may be NULL). Returns
 * 0 or OKR_E_BAD_REQUEST with a message in err. */
#define TRUST_LINE_MAX (sizeof((trust_line_t *)0)->hostport + OKR_FINGERPRINT_LEN + 2)
static int trust__pin_line(const char *hostport, const char *fingerprint, char *line, char *err,
                           size_t errlen)
{
    char fp[OKR_FINGERPRINT_LEN];
    int rc = trust__check_hostport(hostport, err, errlen);
    if (rc || !fingerprint)
        return rc;
    if (okr_trust_normalize(fingerprint, fp) != 0) {
        trust__err(err, errlen, "'%s' is not a SHA-256 fingerprint (64 hex digits)", fingerprint);
        return OKR_E_BAD_REQUEST;
    }
    snprintf(line, TRUST_LINE_MAX, "%s %s\n", hostport, fp);
    return 0;
}

int okr_trust_edit(const char *data, size_t len, const char *hostport, const char *fingerprint,
                   char **out, size_t *out_len)
{
    char line[TRUST_LINE_MAX];
    int rc = trust__pin_line(hostport, fingerprint, line, NULL, 0);
    if (rc)
        return rc;
    return trust__edit(data, len, hostport, fingerprint ? line : NULL, out, out_len);
}

int okr_trust_store(const char *path, const char *hostport, const char *fingerprint, char *err,
                    size_t errlen)
{
    char line[TRUST_LINE_MAX];
    int rc = trust__pin_line(hostport, fingerprint, line, err, errlen);
    if (rc)
        return rc;
    return trust__rewrite(path, hostport, line, err, errlen);
}

int okr_trust_forget(const char *path, const char *hostport, char *err, size_t errlen)
{
    int rc = trust__pin_line(hostport, NULL, NULL, err, errlen);
    if (rc)
        return rc;
    return trust__rewrite(path, hostport, NULL, err, errlen);
}
