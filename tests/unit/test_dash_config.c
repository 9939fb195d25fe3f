/* test_dash_config.c — okr-dash's settings (client/dash/config.c): the
 * config file, the flags that win over it, and a flag's value that looks
 * like a flag, which is the value (as okrd reads it), not a flag. */
#define _GNU_SOURCE /* fopencookie: a file that fails to read */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "config.h"

/* Every file opens as text; the last path asked for is kept. */
typedef struct files {
    const char *text;
    char path[64];
    int opened;
} files_t;

static FILE *open_text(const char *path, void *arg)
{
    files_t *f = arg;
    snprintf(f->path, sizeof f->path, "%s", path);
    f->opened++;
    return fmemopen((void *)f->text, strlen(f->text), "r");
}

#define ARGC(a) ((int)(sizeof(a) / sizeof(a)[0]) - 1)

static dash_conf_rc_t parse(dash_conf_t *c, int argc, char **argv, files_t *files, char *err)
{
    return dash_conf_parse(c, argc, argv, open_text, files, err, 256);
}

static void test_file_then_flags(void **state)
{
    (void)state;
    files_t files = {.text = "[dash]\nserver = a.example:7433\nfingerprint = ab\n"
                             "token = dash-file\ntitle = 3rd floor\nrotate_seconds = 20\n"};
    char *argv[] = {"okr-dash", "--title", "Lobby", "--config", "dash.ini", "--once", NULL};
    dash_conf_t c;
    char err[256];
    assert_int_equal(parse(&c, ARGC(argv), argv, &files, err), DASH_CONF_OK);
    assert_string_equal(files.path, "dash.ini");
    assert_string_equal(c.server, "a.example:7433");
    assert_string_equal(c.token, "dash-file");
    assert_string_equal(c.title, "Lobby");
    assert_int_equal(c.rotate_s, 20);
    assert_int_equal(c.once, 1);
    assert_int_equal(c.width, DASH_ONCE_WIDTH);
    assert_int_equal(c.timeout_ms, DASH_TIMEOUT_MS);
    dash_conf_free(&c);
}

/* Settings indented under [dash] are each their own: inih alone reads an
 * indented line as the rest of the value above (the server would become
 * "fingerprint = ab"). */
static void test_indented(void **state)
{
    (void)state;
    files_t files = {.text = "[dash]\n  server = a.example:7433\n  fingerprint = ab\n"
                             "\ttoken = dash-file\n    title = 3rd floor\n"};
    char *argv[] = {"okr-dash", "--config", "dash.ini", "--once", NULL};
    dash_conf_t c;
    char err[256];
    assert_int_equal(parse(&c, ARGC(argv), argv, &files, err), DASH_CONF_OK);
    assert_string_equal(c.server, "a.example:7433");
    assert_string_equal(c.token, "dash-file");
    assert_string_equal(c.title, "3rd floor");
    dash_conf_free(&c);
}

/* "--token-file --help" reads the token from a file named --help. */
static void test_value_like_a_flag(void **state)
{
    (void)state;
    files_t files = {.text = "  dash-secret \n"};
    char *argv[] = {"okr-dash", "--server",     "a",      "--fingerprint",
                    "ab",       "--token-file", "--help", NULL};
    dash_conf_t c;
    char err[256];
    assert_int_equal(parse(&c, ARGC(argv), argv, &files, err), DASH_CONF_OK);
    assert_string_equal(c.token_file, "--help");
    assert_string_equal(files.path, "--help");
    assert_string_equal(c.token, "dash-secret");
    dash_conf_free(&c);
}

/* "--title --config x" is a title; no file is read. "--log --version" is
 * a log file, not the version. */
static void test_value_is_no_config_or_version(void **state)
{
    (void)state;
    files_t files = {.text = "[dash]\nserver = from-file\n"};
    char *argv[] = {"okr-dash", "--title", "--config", "--server", "a",         "--token",
                    "t",        "--ca",    "ca.pem",   "--log",    "--version", NULL};
    dash_conf_t c;
    char err[256];
    assert_int_equal(parse(&c, ARGC(argv), argv, &files, err), DASH_CONF_OK);
    assert_int_equal(files.opened, 0);
    assert_string_equal(c.title, "--config");
    assert_string_equal(c.server, "a");
    assert_string_equal(c.log, "--version");
    dash_conf_free(&c);
}

static void test_help_and_version(void **state)
{
    (void)state;
    files_t files = {.text = ""};
    char *help[] = {"okr-dash", "--server", "a", "-h", NULL};
    char *version[] = {"okr-dash", "--version", "--bogus", NULL};
    dash_conf_t c;
    char err[256];
    assert_int_equal(parse(&c, ARGC(help), help, &files, err), DASH_CONF_HELP);
    dash_conf_free(&c);
    assert_int_equal(parse(&c, ARGC(version), version, &files, err), DASH_CONF_VERSION);
    dash_conf_free(&c);
}

static void test_usage_errors(void **state)
{
    (void)state;
    static const struct {
        char *args[4];
        const char *says;
    } cases[] = {
        {{"--bogus"}, "unknown option '--bogus'"},
        {{"-xh"}, "unknown option '-x'"}, /* the letter, not the argument before */
        {{"--title"}, "option '--title' needs a value"},
        {{"stray"}, "unexpected argument 'stray'"},
        {{"--rotate", "0"}, "--rotate takes seconds"},
        {{"--timeout", "0.05"}, "--timeout takes seconds"},
        {{"--width", "19"}, "--width takes 20 to 1000"},
        {{"--token", "t"}, "no server"},
        {{"--server", "a", "--token", ""}, "no dashboard token"},
        {{"--server", "a", "--token", "t"}, "give --fingerprint"},
    };
    files_t files = {.text = ""};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[6] = {"okr-dash"};
        int argc = 1;
        for (int k = 0; k < 4 && cases[i].args[k]; k++)
            argv[argc++] = cases[i].args[k];
        dash_conf_t c;
        char err[256];
        assert_int_equal(parse(&c, argc, argv, &files, err), DASH_CONF_USAGE);
        if (!strstr(err, cases[i].says))
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err, cases[i].says);
        dash_conf_free(&c);
    }
}

#define NOT_KEY_VALUE "not a key = value line (each setting goes on one line, as name = value)"

static void test_bad_files(void **state)
{
    (void)state;
    static const struct {
        const char *text, *says;
    } cases[] = {
        {"[dash]\nrotate_seconds = 0\n", "d.ini line 2: rotate_seconds must be 1 to 86400"},
        {"server = a\n", "d.ini line 1: unknown section [] (okr-dash reads [dash])"},
        {"[dash]\ncolour = red\n", "d.ini line 2: unknown setting 'colour'"},
        {"[dash]\nno equals sign\n", "d.ini line 2: " NOT_KEY_VALUE},
        /* The first wrong line's message, not the last's (inih goes on after
         * a wrong line) with the first's number. */
        {"[dash]\ncolour = red\nrotate_seconds = 0\n", "d.ini line 2: unknown setting 'colour'"},
        {"[dash]\nno equals sign\nrotate_seconds = 0\n", "d.ini line 2: " NOT_KEY_VALUE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        files_t files = {.text = cases[i].text};
        char *argv[] = {"okr-dash", "--config", "d.ini", NULL};
        dash_conf_t c;
        char err[256];
        assert_int_equal(parse(&c, ARGC(argv), argv, &files, err), DASH_CONF_BAD_FILE);
        if (strcmp(err, cases[i].says) != 0)
            fail_msg("case %zu: \"%s\", not \"%s\"", i, err, cases[i].says);
        dash_conf_free(&c);
    }
    files_t empty = {.text = "\n"};
    char *argv[] = {"okr-dash", "--server", "a", "--ca", "c", "--token-file", "t", NULL};
    dash_conf_t c;
    char err[256];
    assert_int_equal(parse(&c, ARGC(argv), argv, &empty, err), DASH_CONF_BAD_FILE);
    assert_string_equal(err, "t holds no token");
    dash_conf_free(&c);
}

/* "[dash]\nKEY = " and VALUE_LEN bytes of value, on line 2, then the lines
 * after (which set everything else, so that only the long line is wrong). */
static void long_line(char *buf, size_t len, const char *key, const char *value, const char *after)
{
    snprintf(buf, len, "[dash]\n%s = %s\n%s", key, value, after);
}

#define REST "server = a.example\nfingerprint = ab\ntoken = t\n"
#define TOO_LONG                                                                                   \
    "d.ini line 2: this line is longer than 198 bytes, more than okr-dash can read from a "        \
    "config file; "

/* A line longer than inih reads (198 bytes and its newline) is refused and
 * says what to do instead; it is no longer cut short, its rest read as a
 * line of its own: a value silently shortened, or replaced by the rest when
 * that starts with a blank (inih's continuation line), or a message about
 * the line after it. */
static void test_long_lines(void **state)
{
    (void)state;
    char a191[192], token[256], value[256], text[1024];
    memset(a191, 'a', sizeof a191 - 1);
    a191[sizeof a191 - 1] = '\0';
    /* A token pasted three times: it was cut, and "line 3: not a key =
     * value line" named the line after it. */
    static const char one[] = "dash-0123456789abcdef0123456789abcdef"
                              "0123456789abcdef0123456789abcdef";
    assert_int_equal(strlen(one), 69);
    snprintf(token, sizeof token, "%s%s%s", one, one, one);
    snprintf(value, sizeof value, "%s and the rest of the title", a191);
    char semi[256];
    snprintf(semi, sizeof semi, "%s;b", a191);
    static const char *const title = "shorten it, or give title with --title instead";
    const struct {
        const char *key, *value, *says;
    } cases[] = {
        {"token", token,
         "put the token alone on one line (token = dash-...), or give it with --token-file FILE "
         "or --token instead"},
        {"title", value, title}, /* was: title = "and the rest of the title" */
        {"server", semi,
         "shorten it, or give server with --server instead"}, /* was: 191 bytes of it */
        {"; a comment", value,
         "shorten it, or give the setting as a flag instead (okr-dash --help lists them)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long_line(text, sizeof text, cases[i].key, cases[i].value,
                  strcmp(cases[i].key, "token") == 0 ? "server = a\nfingerprint = ab\n" : REST);
        files_t files = {.text = text};
        char *argv[] = {"okr-dash", "--config", "d.ini", NULL};
        dash_conf_t c;
        char err[512];
        assert_int_equal(dash_conf_parse(&c, ARGC(argv), argv, open_text, &files, err, sizeof err),
                         DASH_CONF_BAD_FILE);
        if (strncmp(err, TOO_LONG, strlen(TOO_LONG)) != 0 ||
            strcmp(err + strlen(TOO_LONG), cases[i].says) != 0)
            fail_msg("case %zu: \"%s\"", i, err);
        dash_conf_free(&c);
    }

    /* The lines after it are still read, and the first wrong line is the one
     * named. */
    long_line(text, sizeof text, "title", value, "server = a.example\nno equals sign\n");
    FILE *f = fmemopen(text, strlen(text), "r");
    assert_non_null(f);
    dash_conf_t c;
    dash_conf_defaults(&c);
    char err[512];
    assert_int_equal(dash_conf_load_stream(&c, f, "d.ini", err, sizeof err), DASH_CONF_BAD_FILE);
    fclose(f);
    assert_string_equal(err + strlen(TOO_LONG), title);
    assert_null(c.title);
    assert_string_equal(c.server, "a.example");
    dash_conf_free(&c);

    /* 198 bytes and a newline fit; 199 do not. */
    memset(value, 'x', 190);
    value[190] = '\0';
    long_line(text, sizeof text, "title", value, "");
    assert_int_equal(strlen(strchr(text, '\n') + 1), 198 + 1);
    for (int more = 0; more < 2; more++) {
        f = fmemopen(text, strlen(text), "r");
        assert_non_null(f);
        dash_conf_defaults(&c);
        dash_conf_rc_t rc = dash_conf_load_stream(&c, f, "d.ini", err, sizeof err);
        fclose(f);
        if (!more) {
            assert_int_equal(rc, DASH_CONF_OK);
            assert_int_equal(strlen(c.title), 190);
        } else {
            assert_int_equal(rc, DASH_CONF_BAD_FILE);
            assert_string_equal(err + strlen(TOO_LONG), title);
        }
        dash_conf_free(&c);
        long_line(text, sizeof text, "title", strcat(value, "x"), "");
    }
}

/* A file that reads "[dash]\nserver = a\n", then fails. */
static ssize_t read_then_fail(void *cookie, char *buf, size_t size)
{
    const char **rest = cookie;
    size_t n = strlen(*rest);
    if (n == 0) {
        errno = EIO;
        return -1;
    }
    n = n < size ? n : size;
    memcpy(buf, *rest, n);
    *rest += n;
    return (ssize_t)n;
}

static FILE *open_failing(const char *path, void *arg)
{
    (void)path;
    static const cookie_io_functions_t io = {.read = read_then_fail};
    return fopencookie(arg, "r", io);
}

/* A file that cannot be read is refused, not taken for one that ended there
 * (inih's reading): a directory was an empty file. */
static void test_unreadable(void **state)
{
    (void)state;
    char *dir[] = {"okr-dash", "--server", "a", "--fingerprint", "ab", "--token", "t",
                   "--config", "/",        NULL};
    dash_conf_t c;
    char err[256];
    assert_int_equal(dash_conf_parse(&c, ARGC(dir), dir, NULL, NULL, err, sizeof err),
                     DASH_CONF_BAD_FILE);
    assert_string_equal(
        err, "cannot read /: Is a directory (--config takes an INI file, the one okr token "
             "create prints)");
    dash_conf_free(&c);

    const char *text = "[dash]\nserver = a\n";
    char *argv[] = {"okr-dash", "--fingerprint", "ab", "--token", "t", "--config", "d.ini", NULL};
    assert_int_equal(dash_conf_parse(&c, ARGC(argv), argv, open_failing, &text, err, sizeof err),
                     DASH_CONF_BAD_FILE);
    assert_string_equal(err, "cannot read d.ini past line 2: Input/output error");
    dash_conf_free(&c);
}

int main(void)
{
    unsetenv("OKR_DASH_TOKEN");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_then_flags),
        cmocka_unit_test(test_indented),
        cmocka_unit_test(test_value_like_a_flag),
        cmocka_unit_test(test_value_is_no_config_or_version),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_unreadable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
