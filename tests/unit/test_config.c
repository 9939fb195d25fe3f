/* test_config.c — okrd's settings (server/config.c): the config file read
 * from a stream, and flags whose values look like other flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

    /* Settings indented under their section are each their own (inih alone
     * would read the second as the rest of the first's value). */
    static const char indented[] = "[server]\n"
                                   "  listen = 127.0.0.1:7999\n"
                                   "  data_dir = /var/lib/okr\n"
                                   "[limits]\n"
                                   "\tmax_connections = 50\n"
                                   "  ; a comment\n";
    okr_config_defaults(&cfg);
    f = fmemopen((void *)indented, sizeof indented - 1, "r");
    assert_int_equal(okr_config_load_stream(&cfg, f, "okrd.ini"), 0);
    fclose(f);
    assert_string_equal(cfg.listen, "127.0.0.1:7999");
    assert_string_equal(cfg.data_dir, "/var/lib/okr");
    assert_int_equal(cfg.max_connections, 50);
    okr_config_free(&cfg);

    static const char bad[] = "[limits]\nmax_inflight = many\n";
    okr_config_defaults(&cfg);
    f = fmemopen((void *)bad, sizeof bad - 1, "r");
    assert_int_equal(okr_config_load_stream(&cfg, f, "bad.ini"), -1);
    fclose(f);
    okr_config_free(&cfg);
}

/* What goes to stderr between catch_stderr and caught_stderr. */
typedef struct catch
{
    FILE *f;
    int saved;
}
catch_t;

static void catch_stderr(catch_t *c)
{
    c->f = tmpfile();
    assert_non_null(c->f);
    fflush(stderr);
    c->saved = dup(STDERR_FILENO);
    assert_true(c->saved >= 0);
    assert_true(dup2(fileno(c->f), STDERR_FILENO) >= 0);
}

static void caught_stderr(catch_t *c, char *err, size_t errlen)
{
    fflush(stderr);
    assert_true(dup2(c->saved, STDERR_FILENO) >= 0);
    close(c->saved);
    rewind(c->f);
    size_t n = fread(err, 1, errlen - 1, c->f);
    err[n] = '\0';
    fclose(c->f);
}

/* okr_config_load_stream on f, its messages to stderr caught in err. */
static int load_caught(okr_config_t *cfg, FILE *f, char *err, size_t errlen)
{
    catch_t c;
    catch_stderr(&c);
    int rc = okr_config_load_stream(cfg, f, "okrd.ini");
    caught_stderr(&c, err, errlen);
    return rc;
}

/* from_args with its messages to stderr caught in err; frees the settings. */
static int args_caught(const char *a, const char *b, char *err, size_t errlen)
{
    okr_config_t cfg;
    catch_t c;
    catch_stderr(&c);
    int rc = from_args(&cfg, a, b);
    caught_stderr(&c, err, errlen);
    okr_config_free(&cfg);
    return rc;
}

/* Loads text from the defaults; returns what okr_config_load_stream did and
 * its messages in err. */
static int load_text(const char *text, char *err, size_t errlen)
{
    okr_config_t cfg;
    okr_config_defaults(&cfg);
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    int rc = load_caught(&cfg, f, err, errlen);
    fclose(f);
    okr_config_free(&cfg);
    return rc;
}

/* Every way a config file can fail says so, with the file and the line. */
static void test_stream_errors(void **state)
{
    (void)state;
    char err[2048];

    /* A line that does not parse: inih's line number, which this message
     * alone reports. */
    assert_int_equal(load_text("[server]\nlisten = 0.0.0.0:1\nno equals sign\n", err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "okrd.ini:3: cannot parse this line"));

    /* A bad value and an unknown setting, each with its own line; a setting
     * in the wrong section names the right one. */
    assert_int_equal(load_text("[limits]\n"
                               "max_inflight = many\n"
                               "; a comment\n"
                               "listen = 0.0.0.0:1\n"
                               "no_such_setting = 1\n",
                               err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "okrd.ini:2: max_inflight must be a whole number"));
    assert_non_null(strstr(err, "okrd.ini:4: listen belongs in section [server], not [limits]"));
    assert_non_null(strstr(err, "okrd.ini:5: unknown setting [limits] no_such_setting"));
    assert_null(strstr(err, "cannot parse")); /* no second message for line 2 */

    /* A line longer than inih's buffer: reported on its own line, not cut
     * short and its rest parsed as the next line (which inih does alone),
     * and the lines after it are still read with their own numbers. */
    char text[1024];
    char path[400];
    memset(path, 'd', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    snprintf(text, sizeof text, "[server]\ndata_dir = /%s\nlisten = 0.0.0.0:1\nbad\n", path);
    assert_int_equal(load_text(text, err, sizeof err), -1);
    assert_non_null(strstr(err, "okrd.ini:2: this line is longer than"));
    assert_non_null(strstr(err, "okrd.ini:4: cannot parse this line"));
    assert_null(strstr(err, "okrd.ini:3"));

    /* A long line, then a bad value: inih names the value's line, which
     * parsed; it is not called unparsable as well. */
    snprintf(text, sizeof text, "; %s\n[limits]\nmax_inflight = many\n", path);
    assert_int_equal(load_text(text, err, sizeof err), -1);
    assert_non_null(strstr(err, "okrd.ini:1: this line is longer than"));
    assert_non_null(strstr(err, "okrd.ini:3: max_inflight must be a whole number"));
    assert_null(strstr(err, "cannot parse"));

    /* A last line as long as the buffer takes (199 bytes: inih's 200 less
     * the NUL) with no newline after it still fits. */
    okr_config_t cfg;
    okr_config_defaults(&cfg);
    char fits[512] = "[server]\nlog_level=";
    size_t at = strlen(fits), line = strlen("log_level=");
    memset(fits + at, 'x', 199 - line);
    fits[at + 199 - line] = '\0';
    FILE *f = fmemopen(fits, strlen(fits), "r");
    assert_non_null(f);
    assert_int_equal(load_caught(&cfg, f, err, sizeof err), 0);
    fclose(f);
    assert_int_equal(strlen(cfg.log_level), 199 - line);
    okr_config_free(&cfg);
    /* One byte more does not. */
    strcat(fits, "x");
    assert_int_equal(load_text(fits, err, sizeof err), -1);
    assert_non_null(strstr(err, "okrd.ini:2: this line is longer than"));

    /* A directory opens, then reads as an error (inih took it for an empty
     * file). */
    okr_config_defaults(&cfg);
    f = fopen("/", "r");
    assert_non_null(f);
    assert_int_equal(load_caught(&cfg, f, err, sizeof err), -1);
    fclose(f);
    assert_non_null(strstr(err, "cannot read config file okrd.ini: Is a directory"));
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

/* trend_parallel, trend_queue and trend_per_connection (in [limits]) and
 * test_trend_delay_ms and test_protocol_minor (in [test]): their defaults,
 * the file, flags, and
 * their bounds, each refusal naming the setting; and hash_queue's bound. */
static void test_trend_limits(void **state)
{
    (void)state;
    okr_config_t cfg;
    okr_config_defaults(&cfg);
    assert_int_equal(cfg.trend_parallel, 2);
    assert_int_equal(cfg.trend_queue, 64);
    assert_int_equal(cfg.trend_per_connection, 16);
    assert_int_equal(cfg.test_trend_delay_ms, 0);
    assert_int_equal(cfg.test_protocol_minor, 0);
    okr_config_free(&cfg);
    assert_int_equal(from_args(&cfg, "--test-protocol-minor", "4"), 0);
    assert_int_equal(cfg.test_protocol_minor, 4);
    okr_config_free(&cfg);
    assert_int_equal(from_args(&cfg, "--test-protocol-minor", "99"), -1); /* newer than okrd */
    okr_config_free(&cfg);
    okr_config_defaults(&cfg);
    static const char text[] = "[limits]\ntrend_parallel = 3\ntrend_queue = 500\n"
                               "trend_per_connection = 7\n"
                               "[test]\ntest_trend_delay_ms = 300\n";
    FILE *f = fmemopen((void *)text, sizeof text - 1, "r");
    assert_non_null(f);
    assert_int_equal(okr_config_load_stream(&cfg, f, "okrd.ini"), 0);
    fclose(f);
    assert_int_equal(cfg.trend_parallel, 3);
    assert_int_equal(cfg.trend_queue, 500);
    assert_int_equal(cfg.trend_per_connection, 7);
    assert_int_equal(cfg.test_trend_delay_ms, 300);
    okr_config_free(&cfg);

    char err[1024];
    assert_int_equal(load_text("[auth]\ntrend_queue = 5\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "trend_queue belongs in section [limits], not [auth]"));

    /* with the default hash_parallel (2) and one thread for backups, libuv's
     * pool of 1024 leaves 1021 */
    assert_int_equal(from_args(&cfg, "--trend-parallel", "1021"), 0);
    assert_int_equal(cfg.trend_parallel, 1021);
    okr_config_free(&cfg);
    assert_int_equal(args_caught("--trend-parallel", "1022", err, sizeof err), -1);
    assert_non_null(strstr(err, "need hash_parallel + trend_parallel <= 1023, got 2 + 1022"));
    assert_int_equal(args_caught("--hash-parallel", "1022", err, sizeof err), -1);
    assert_non_null(strstr(err, "need hash_parallel + trend_parallel <= 1023, got 1022 + 2"));
    assert_int_equal(args_caught("--hash-parallel", "18446744073709551615", err, sizeof err), -1);
    assert_non_null(strstr(err, "need hash_parallel + trend_parallel <= 1023"));
    assert_int_equal(args_caught("--hash-queue", "100001", err, sizeof err), -1);
    assert_non_null(strstr(err, "need hash_queue <= 100000, got 100001"));
    assert_int_equal(from_args(&cfg, "--trend-per-connection", "100000"), 0);
    assert_int_equal(cfg.trend_per_connection, 100000);
    okr_config_free(&cfg);
    assert_int_equal(from_args(&cfg, "--trend-queue=100000", "--test-trend-delay-ms=60000"), 0);
    assert_int_equal(cfg.trend_queue, 100000);
    assert_int_equal(cfg.test_trend_delay_ms, 60000);
    okr_config_free(&cfg);

    static const char *const bad[][2] = {
        {"--trend-parallel", "0"},
        {"--trend-queue", "0"},
        {"--trend-queue", "100001"},
        {"--trend-per-connection", "0"},
        {"--trend-per-connection", "100001"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(args_caught(bad[i][0], bad[i][1], err, sizeof err), -1);
        assert_non_null(strstr(err, "need trend_parallel >= 1 and 1 <= trend_queue, "
                                    "trend_per_connection <= 100000, got "));
    }
    assert_int_equal(args_caught("--trend-queue", "many", err, sizeof err), -1);
    assert_non_null(strstr(err, "trend_queue must be a whole number"));
    assert_int_equal(args_caught("--test-trend-delay-ms", "60001", err, sizeof err), -1);
    assert_non_null(strstr(err, "test_trend_delay_ms are for tests, at most 60000"));
}

/* max_connections_per_ip and max_connections_per_user (in [limits]): their
 * defaults, the file, flags (0 = no limit), and a value that is no number
 * refused naming the setting; and their lines in okrd --help. */
static void test_connection_limits(void **state)
{
    (void)state;
    okr_config_t cfg;
    okr_config_defaults(&cfg);
    assert_int_equal(cfg.max_connections_per_ip, 1000);
    assert_int_equal(cfg.max_connections_per_user, 256);
    static const char text[] = "[limits]\nmax_connections_per_ip = 3\n"
                               "max_connections_per_user = 2\n";
    FILE *f = fmemopen((void *)text, sizeof text - 1, "r");
    assert_non_null(f);
    assert_int_equal(okr_config_load_stream(&cfg, f, "okrd.ini"), 0);
    fclose(f);
    assert_int_equal(cfg.max_connections_per_ip, 3);
    assert_int_equal(cfg.max_connections_per_user, 2);
    okr_config_free(&cfg);

    char err[1024];
    assert_int_equal(load_text("[auth]\nmax_connections_per_user = 5\n", err, sizeof err), -1);
    assert_non_null(
        strstr(err, "max_connections_per_user belongs in section [limits], not [auth]"));

    /* 0 turns a limit off (okr-bench: 10,000 connections from 127.0.0.1) */
    assert_int_equal(from_args(&cfg, "--max-connections-per-ip", "0"), 0);
    assert_int_equal(cfg.max_connections_per_ip, 0);
    assert_int_equal(cfg.max_connections_per_user, 256);
    okr_config_free(&cfg);
    assert_int_equal(from_args(&cfg, "--max-connections-per-user=0", "--max-connections-per-ip=7"),
                     0);
    assert_int_equal(cfg.max_connections_per_user, 0);
    assert_int_equal(cfg.max_connections_per_ip, 7);
    okr_config_free(&cfg);

    assert_int_equal(args_caught("--max-connections-per-ip", "-1", err, sizeof err), -1);
    assert_non_null(strstr(err, "max_connections_per_ip must be a whole number (0 or more)"));
    assert_int_equal(args_caught("--max-connections-per-user", "many", err, sizeof err), -1);
    assert_non_null(strstr(err, "max_connections_per_user must be a whole number (0 or more)"));
    assert_int_equal(
        args_caught("--max-connections-per-user", "18446744073709551616", err, sizeof err), -1);
    assert_non_null(strstr(err, "max_connections_per_user must be a whole number"));

    char *help = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&help, &len);
    assert_non_null(out);
    okr_config_print_help(out);
    fclose(out);
    const char *ip = strstr(help, "--max-connections-per-ip ");
    const char *user = strstr(help, "--max-connections-per-user ");
    assert_non_null(ip);
    assert_non_null(user);
    assert_non_null(strstr(ip, "(0 = no limit) (default: 1000)"));
    assert_non_null(strstr(user, "(0 = no limit) (default: 256)"));
    free(help);
}

/* Every setting okrd --help lists has its row in README.md's table. */
static void test_help_and_readme(void **state)
{
    (void)state;
    char *help = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&help, &len);
    assert_non_null(out);
    okr_config_print_help(out);
    fclose(out);
    assert_non_null(strstr(help, "--trend-parallel"));
    assert_non_null(strstr(help, "--trend-queue"));
    assert_non_null(strstr(help, "--test-trend-delay-ms"));

    FILE *f = fopen(OKR_README, "r");
    assert_non_null(f);
    static char readme[256 * 1024];
    size_t n = fread(readme, 1, sizeof readme - 1, f);
    readme[n] = '\0';
    fclose(f);
    size_t found = 0;
    for (const char *p = help; (p = strstr(p, "\n    --")) != NULL; found++) {
        p += strlen("\n    --");
        char key[80] = "`";
        size_t k = 1;
        for (; k < sizeof key - 2 && p[k - 1] && p[k - 1] != ' '; k++)
            key[k] = p[k - 1] == '-' ? '_' : p[k - 1];
        key[k] = '`';
        key[k + 1] = '\0';
        if (!strstr(readme, key))
            fail_msg("README.md's settings table has no %s", key);
    }
    assert_true(found >= 30);
    free(help);
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
        cmocka_unit_test(test_stream_errors),
        cmocka_unit_test(test_flag_values),
        cmocka_unit_test(test_trend_limits),
        cmocka_unit_test(test_help_and_readme),
        cmocka_unit_test(test_mode),
        cmocka_unit_test(test_connection_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
