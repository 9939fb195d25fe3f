/* Fuzz target: the okr CLI's saved login, session.json (okr_session_parse,
 * which okr_session_load calls on the file's text).
 *
 * The input is the file's text. Checks:
 *   - a session that parses has a server, a user name and a non-empty token,
 *     each NUL-terminated valid UTF-8 (strings ASan sees the end of);
 *   - saved (okr_session_save, to a file in a private temporary directory)
 *     and loaded back (okr_session_load), it gives the very same fields;
 *   - a rejected input leaves s empty and a message that ends within err
 *     (a buffer of a size taken from the input, so ASan sees any overrun);
 *   - nothing leaks (ASan's leak check).
 * Seeds: tests/fuzz/corpus/session. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "okr_error.h"
#include "session.h"
#include "validate.h"

static char fuzz_dir[64];
static char fuzz_path[128];

static void remove_dir(void)
{
    unlink(fuzz_path);
    rmdir(fuzz_dir);
}

/* dir/session.json in a new directory, on tmpfs if there is one: saving
 * fsyncs, which a disk makes slow. Removed at exit. */
static const char *session_path(void)
{
    if (fuzz_path[0])
        return fuzz_path;
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/okr-fuzz-session-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(fuzz_dir))
        abort();
    snprintf(fuzz_path, sizeof fuzz_path, "%s/session.json", fuzz_dir);
    atexit(remove_dir);
    return fuzz_path;
}

static int utf8_valid(const char *s)
{
    return okr_utf8_valid(s, strlen(s));
}

static void check_round_trip(const okr_session_t *s)
{
    char err[512];
    const char *path = session_path();
    FUZZ_REQUIRE(okr_session_save(path, s, err, sizeof err) == 0);
    okr_session_t back;
    FUZZ_REQUIRE(okr_session_load(path, &back, err, sizeof err) == 0);
    FUZZ_REQUIRE(strcmp(back.server, s->server) == 0);
    FUZZ_REQUIRE(strcmp(back.username, s->username) == 0);
    FUZZ_REQUIRE(strcmp(back.token, s->token) == 0);
    FUZZ_REQUIRE(back.user_id == s->user_id && back.expires_at == s->expires_at);
    okr_session_clear(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy: the parser must not read past len. */
    char *text = malloc(size ? size : 1);
    if (!text)
        abort();
    if (size)
        memcpy(text, data, size);
    size_t errlen = 1 + (size ? data[0] % 200 : 0);
    char *err = malloc(errlen);
    if (!err)
        abort();
    okr_session_t s;
    int rc = okr_session_parse(text, size, &s, err, errlen);
    if (rc == 0) {
        FUZZ_REQUIRE(s.server && s.username && s.token && s.token[0]);
        FUZZ_REQUIRE(utf8_valid(s.server) && utf8_valid(s.username) && utf8_valid(s.token));
        FUZZ_REQUIRE(s.user_id <= INT64_MAX);
        check_round_trip(&s);
        okr_session_clear(&s);
    } else {
        FUZZ_REQUIRE(rc == OKR_E_PROTOCOL);
        FUZZ_REQUIRE(memchr(err, '\0', errlen) != NULL && (errlen < 2 || err[0]));
        FUZZ_REQUIRE(!s.server && !s.username && !s.token && !s.user_id && !s.expires_at);
    }
    free(err);
    free(text);
    return 0;
}
