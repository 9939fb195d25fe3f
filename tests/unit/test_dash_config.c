/* test_dash_config.c — okr-dash's settings (client/dash/config.c): the
 * config file, the flags that win over it, and a flag's value that looks
 * like a flag, which is the value (as okrd reads it), not a flag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void test_bad_files(void **state)
{
    (void)state;
    static const struct {
        const char *text, *says;
    } cases[] = {
        {"[dash]\nrotate_seconds = 0\n", "d.ini line 2: rotate_seconds must be 1 to 86400"},
        {"server = a\n", "d.ini line 1: unknown section [] (okr-dash reads [dash])"},
        {"[dash]\ncolour = red\n", "d.ini line 2: unknown setting 'colour'"},
        {"[dash]\nno equals sign\n", "d.ini line 2: not a key = value line"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        files_t files = {.text = cases[i].text};
        char *argv[] = {"okr-dash", "--config", "d.ini", NULL};
        dash_conf_t c;
        char err[256];
        assert_int_equal(parse(&c, ARGC(argv), argv, &files, err), DASH_CONF_BAD_FILE);
        assert_string_equal(err, cases[i].says);
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

int main(void)
{
    unsetenv("OKR_DASH_TOKEN");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_then_flags),
        cmocka_unit_test(test_value_like_a_flag),
        cmocka_unit_test(test_value_is_no_config_or_version),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
