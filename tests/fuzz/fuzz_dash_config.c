/* Fuzz target: okr-dash's settings (client/dash/config.c), from its INI
 * config file (dash_conf_load_stream) and from its command line
 * (dash_conf_parse).
 *
 * The input is read twice: as the config file's text, and as the arguments
 * after "okr-dash", cut at each NUL or newline byte (at most MAX_ARGS). Any
 * file the arguments name (--config, --token-file) opens as the input's text
 * itself, so no real file is read. Checks:
 *   - dash_conf_load_stream accepts the file, or refuses it (a wrong file,
 *     no memory) with a message, and leaves a rotation within 1 to 86400 s;
 *   - it never accepts a file with a line longer than inih reads (198 bytes
 *     and a newline, 199 at the end), which inih alone cuts short;
 *   - dash_conf_parse returns one of its results; a rejection (usage, file,
 *     memory) has a message that ends within err (a buffer of a size taken
 *     from the input, so ASan sees any overrun);
 *   - settings it accepts have a server, a non-empty token, a fingerprint or
 *     a CA, and every number within the limits okr-dash --help documents;
 *   - nothing leaks (ASan's leak check).
 * Seeds: tests/fuzz/corpus/dash_config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_util.h"

#define MAX_ARGS 16

typedef struct input {
    const uint8_t *data;
    size_t size;
} input_t;

static FILE *open_input(const char *path, void *arg)
{
    (void)path;
    const input_t *in = arg;
    /* fmemopen wants a buffer of at least one byte. */
    return in->size ? fmemopen((void *)in->data, in->size, "r") : fopen("/dev/null", "r");
}

static void check_limits(const dash_conf_t *c)
{
    FUZZ_REQUIRE(c->rotate_s >= 1 && c->rotate_s <= DASH_ROTATE_MAX_S);
    FUZZ_REQUIRE(c->width >= DASH_WIDTH_MIN && c->width <= DASH_SIZE_MAX);
    FUZZ_REQUIRE(c->height >= DASH_HEIGHT_MIN && c->height <= DASH_SIZE_MAX);
    FUZZ_REQUIRE(c->page >= 1 && c->page <= DASH_PAGE_MAX);
    FUZZ_REQUIRE(c->timeout_ms >= DASH_TIMEOUT_MIN_MS && c->timeout_ms <= DASH_TIMEOUT_MAX_MS);
    FUZZ_REQUIRE(c->once == 0 || c->once == 1);
}

/* Whether a line is longer than inih's 200-byte buffer holds with its
 * newline and NUL. */
static int has_long_line(const input_t *in)
{
    size_t start = 0;
    for (size_t i = 0; i <= in->size; i++)
        if (i == in->size || in->data[i] == '\n') {
            if (i - start > (i == in->size ? 199u : 198u))
                return 1;
            start = i + 1;
        }
    return 0;
}

static void fuzz_file(const input_t *in, size_t errlen)
{
    dash_conf_t c;
    dash_conf_defaults(&c);
    FILE *f = open_input("dash.ini", (void *)in);
    if (!f)
        abort();
    char *err = malloc(errlen);
    if (!err)
        abort();
    err[0] = '\0';
    dash_conf_rc_t rc = dash_conf_load_stream(&c, f, "dash.ini", err, errlen);
    fclose(f);
    FUZZ_REQUIRE(rc == DASH_CONF_OK || rc == DASH_CONF_BAD_FILE || rc == DASH_CONF_NOMEM);
    FUZZ_REQUIRE(memchr(err, '\0', errlen) != NULL);
    if (rc != DASH_CONF_OK)
        FUZZ_REQUIRE(errlen < 2 || err[0]);
    if (has_long_line(in))
        FUZZ_REQUIRE(rc != DASH_CONF_OK);
    check_limits(&c);
    dash_conf_free(&c);
    free(err);
}

static void fuzz_args(const input_t *in, size_t errlen)
{
    char *text = fuzz_string(in->data, in->size);
    for (size_t i = 0; i < in->size; i++)
        if (text[i] == '\n')
            text[i] = '\0';
    char *pieces[MAX_ARGS];
    size_t n = fuzz_split((const uint8_t *)text, in->size, 0, pieces, MAX_ARGS);
    free(text);
    char *argv[MAX_ARGS + 2] = {"okr-dash"};
    memcpy(argv + 1, pieces, n * sizeof pieces[0]);
    argv[n + 1] = NULL;
    char *err = malloc(errlen);
    if (!err)
        abort();
    dash_conf_t c;
    dash_conf_rc_t rc = dash_conf_parse(&c, (int)n + 1, argv, open_input, (void *)in, err, errlen);
    switch (rc) {
    case DASH_CONF_OK:
        FUZZ_REQUIRE(c.server && c.token && c.token[0] && (c.fingerprint || c.ca_file));
        check_limits(&c);
        break;
    case DASH_CONF_HELP:
    case DASH_CONF_VERSION:
        break;
    case DASH_CONF_USAGE:
    case DASH_CONF_BAD_FILE:
    case DASH_CONF_NOMEM:
        FUZZ_REQUIRE(memchr(err, '\0', errlen) != NULL && (errlen < 2 || err[0]));
        break;
    default:
        FUZZ_REQUIRE(!"a result dash_conf_parse documents");
    }
    dash_conf_free(&c);
    free(err);
    for (size_t i = 0; i < n; i++)
        free(pieces[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) {
        unsetenv("OKR_DASH_TOKEN"); /* the token comes from the input only */
        once = 1;
    }
    input_t in = {data, size};
    /* From 1 byte (only the NUL fits) to 256, from the last byte. */
    size_t errlen = 1 + (size ? data[size - 1] : 0);
    fuzz_file(&in, errlen);
    fuzz_args(&in, errlen);
    return 0;
}
