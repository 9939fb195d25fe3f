/* test_config.c — okrd's settings (server/config.c): the config file read
 * from a stream, and flags whose values look like other flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config.h"

static int from_args(okr_config_t *cfg, const char *a, const char *b)
{
    char *argv[] = {"okrd", (char *)a, (char *)b, NULL};
    okr_config_defaults(cfg);
    return okr_config_from_args(cfg, 3, argv);
}

static void test_stream(void **state)
{
    (void)state;
    static const char text[] = "; okrd.ini\n"
                               "[server]\n"
                               "listen = 0.0.0.0:9000 ; all addresses\n"
                               "[limits]\n"
                               "max_inflight=7\n";
    okr_config_t cfg;
    okr_config_defaults(&cfg);
    FILE *f = fmemopen((void *)text, sizeof text - 1, "r");
    assert_non_null(f);
    assert_int_equal(okr_config_load_stream(&cfg, f, "okrd.ini"), 0);
    fclose(f);
    assert_string_equal(cfg.listen, "0.0.0.0:9000");
    assert_int_equal(cfg.max_inflight, 7);
    okr_config_free(&cfg);

    static const char bad[] = "[limits]\nmax_inflight = many\n";
    okr_config_defaults(&cfg);
    f = fmemopen((void *)bad, sizeof bad - 1, "r");
    assert_int_equal(okr_config_load_stream(&cfg, f, "bad.ini"), -1);
    fclose(f);
    okr_config_free(&cfg);
}

/* A flag's value is the value, whatever it looks like: the first pass (for
 * --help, --version and --config) used to take it for a flag of its own. */
static void test_flag_values(void **state)
{
    (void)state;
    okr_config_t cfg;
    assert_int_equal(from_args(&cfg, "--port-file", "--help"), 0);
    assert_string_equal(cfg.port_file, "--help");
    okr_config_free(&cfg);
    assert_int_equal(from_args(&cfg, "--data-dir", "--version"), 0);
    assert_string_equal(cfg.data_dir, "--version");
    okr_config_free(&cfg);
    assert_int_equal(from_args(&cfg, "--log-level=warn", "--max-inflight=3"), 0);
    assert_string_equal(cfg.log_level, "warn");
    assert_int_equal(cfg.max_inflight, 3);
    okr_config_free(&cfg);
    assert_int_equal(from_args(&cfg, "--no-such-setting", "5"), -1);
    okr_config_free(&cfg);
    assert_int_equal(from_args(&cfg, "--max-inflight", "-1"), -1);
    okr_config_free(&cfg);
}

static okr_mode_t mode_of(const char *a, const char *b, const char *c)
{
    char *argv[] = {"okrd", (char *)a, (char *)b, (char *)c, NULL};
    int argc = 1;
    while (argv[argc])
        argc++;
    return okr_config_mode(argc, argv, NULL);
}

/* The maintenance modes are flags of their own, never another flag's value. */
static void test_mode(void **state)
{
    (void)state;
    assert_int_equal(mode_of(NULL, NULL, NULL), OKR_MODE_SERVE);
    assert_int_equal(mode_of("--check", "--data-dir", "d"), OKR_MODE_CHECK);
    assert_int_equal(mode_of("--data-dir", "d", "--check"), OKR_MODE_CHECK);
    assert_int_equal(mode_of("--restore", "f.mdb", NULL), OKR_MODE_RESTORE);
    assert_int_equal(mode_of("--config", "okrd.ini", "--restore"), OKR_MODE_RESTORE);
    assert_int_equal(mode_of("--port-file", "--check", NULL), OKR_MODE_SERVE);
    assert_int_equal(mode_of("--data-dir", "--restore", NULL), OKR_MODE_SERVE);
    assert_int_equal(mode_of("--config", "--check", NULL), OKR_MODE_SERVE);
    assert_int_equal(mode_of("--port-file=x", "--check", NULL), OKR_MODE_CHECK);
    assert_int_equal(mode_of("--help", "--check", NULL), OKR_MODE_CHECK);
    /* where: the flag itself, not a value reading the same (what --check and
     * --restore strip before the usual parser) */
    char *argv[] = {"okrd", "--port-file", "--check", "--check", NULL};
    int at = -1;
    assert_int_equal(okr_config_mode(4, argv, &at), OKR_MODE_CHECK);
    assert_int_equal(at, 3);
    char *serve[] = {"okrd", "--data-dir", "d", NULL};
    assert_int_equal(okr_config_mode(3, serve, &at), OKR_MODE_SERVE);
    assert_int_equal(at, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_flag_values),
        cmocka_unit_test(test_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
