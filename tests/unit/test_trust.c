/* test_trust.c — the known-servers file (client/trust.c), the config paths
 * and host:port forms it is keyed by. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostport.h"
#include "okr_error.h"
#include "paths.h"
#include "trust.h"

#define FP_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define FP_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define FP_C "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

typedef struct fixture {
    char root[64];  /* mkdtemp */
    char dir[128];  /* root/cfg, not created yet */
    char path[256]; /* dir/known_servers */
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->root, sizeof f->root, "/tmp/okr-test-trust-XXXXXX");
    if (!mkdtemp(f->root))
        return -1;
    snprintf(f->dir, sizeof f->dir, "%s/cfg", f->root);
    snprintf(f->path, sizeof f->path, "%s/known_servers", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
    char *data = NULL, err[256];
    size_t len;
    assert_int_equal(okr_paths_read_file(path, 1 << 20, &data, &len, err, sizeof err), 0);
    return data;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int count_entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_store_lookup(void **state)
{
    fixture_t *f = *state;
    char pin[OKR_FINGERPRINT_LEN], err[512];
    assert_int_equal(okr_trust_lookup(f->path, "a:7433", pin, err, sizeof err), OKR_E_NOT_FOUND);
    assert_int_equal(okr_trust_store(f->path, "a:7433", FP_A, err, sizeof err), 0);
    assert_int_equal(okr_trust_lookup(f->path, "a:7433", pin, err, sizeof err), 0);
    assert_string_equal(pin, FP_A);
    /* The port is part of the key. */
    assert_int_equal(okr_trust_lookup(f->path, "a:7434", pin, err, sizeof err), OKR_E_NOT_FOUND);
    char *text = slurp(f->path);
    assert_string_equal(text, "a:7433 " FP_A "\n");
    free(text);
}

static void test_modes(void **state)
{
    fixture_t *f = *state;
    char err[512];
    assert_int_equal(okr_trust_store(f->path, "a:7433", FP_A, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(f->dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* A file someone made world-readable is 0600 again after a rewrite. */
    chmod(f->path, 0644);
    assert_int_equal(okr_trust_store(f->path, "b:7433", FP_B, err, sizeof err), 0);
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* No temporary file left behind. */
    assert_int_equal(count_entries(f->dir), 1);
}

static void test_check(void **state)
{
    fixture_t *f = *state;
    char pin[OKR_FINGERPRINT_LEN], err[512];
    okr_trust_verdict_t v;
    assert_int_equal(okr_trust_check(f->path, "a:7433", FP_A, &v, pin, err, sizeof err), 0);
    assert_int_equal(v, OKR_TRUST_UNKNOWN);
    assert_int_equal(okr_trust_store(f->path, "a:7433", FP_A, err, sizeof err), 0);
    assert_int_equal(okr_trust_check(f->path, "a:7433", FP_A, &v, pin, err, sizeof err), 0);
    assert_int_equal(v, OKR_TRUST_MATCH);
    assert_int_equal(okr_trust_check(f->path, "a:7433", FP_B, &v, pin, err, sizeof err), 0);
    assert_int_equal(v, OKR_TRUST_MISMATCH);
    assert_string_equal(pin, FP_A); /* the expected one, for the warning */
    /* Upper case and colons compare equal. */
    assert_int_equal(okr_trust_check(f->path, "A:7433",
                                     "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:"
                                     "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF",
                                     &v, NULL, err, sizeof err),
                     0);
    assert_int_equal(v, OKR_TRUST_MATCH);
}

static void test_rewrite_keeps_others(void **state)
{
    fixture_t *f = *state;
    char pin[OKR_FINGERPRINT_LEN], err[512];
    assert_int_equal(mkdir(f->dir, 0700), 0);
    /* A hand-edited file: comment, blank line, pasted colon form, junk, no
     * newline at the end. */
    write_file(f->path, "# my servers\n"
                        "\n"
                        "a:7433 " FP_A "\n"
                        "junk line here\n"
                        "b:7433 FE:DC:BA:98:76:54:32:10:FE:DC:BA:98:76:54:32:10:"
                        "FE:DC:BA:98:76:54:32:10:FE:DC:BA:98:76:54:32:10\n"
                        "c:7433 " FP_C);
    assert_int_equal(okr_trust_lookup(f->path, "b:7433", pin, err, sizeof err), 0);
    assert_string_equal(pin, FP_B);
    /* Replacing a pin keeps its place and every other line. */
    assert_int_equal(okr_trust_store(f->path, "a:7433", FP_C, err, sizeof err), 0);
    char *text = slurp(f->path);
    assert_non_null(strstr(text, "# my servers\n\na:7433 " FP_C "\njunk line here\nb:7433 "));
    assert_non_null(strstr(text, "\nc:7433 " FP_C "\n"));
    free(text);
    /* Adding appends. */
    assert_int_equal(okr_trust_store(f->path, "[::1]:7433", FP_B, err, sizeof err), 0);
    assert_int_equal(okr_trust_lookup(f->path, "[::1]:7433", pin, err, sizeof err), 0);
    assert_string_equal(pin, FP_B);
    assert_int_equal(okr_trust_lookup(f->path, "c:7433", pin, err, sizeof err), 0);
    assert_string_equal(pin, FP_C);
    assert_int_equal(okr_trust_lookup(f->path, "junk", pin, err, sizeof err), OKR_E_NOT_FOUND);
}

static void test_forget(void **state)
{
    fixture_t *f = *state;
    char pin[OKR_FINGERPRINT_LEN], err[512];
    assert_int_equal(okr_trust_forget(f->path, "a:7433", err, sizeof err), OKR_E_NOT_FOUND);
    assert_int_equal(okr_trust_store(f->path, "a:7433", FP_A, err, sizeof err), 0);
    assert_int_equal(okr_trust_store(f->path, "b:7433", FP_B, err, sizeof err), 0);
    assert_int_equal(okr_trust_store(f->path, "c:7433", FP_C, err, sizeof err), 0);
    assert_int_equal(okr_trust_forget(f->path, "b:7433", err, sizeof err), 0);
    assert_int_equal(okr_trust_lookup(f->path, "b:7433", pin, err, sizeof err), OKR_E_NOT_FOUND);
    assert_int_equal(okr_trust_lookup(f->path, "a:7433", pin, err, sizeof err), 0);
    assert_int_equal(okr_trust_lookup(f->path, "c:7433", pin, err, sizeof err), 0);
    char *text = slurp(f->path);
    assert_string_equal(text, "a:7433 " FP_A "\nc:7433 " FP_C "\n");
    free(text);
    assert_int_equal(okr_trust_forget(f->path, "b:7433", err, sizeof err), OKR_E_NOT_FOUND);
    assert_non_null(strstr(err, "b:7433"));
}

static void collect(void *arg, const char *hostport, const char *fp)
{
    char *out = arg;
    strcat(out, hostport);
    strcat(out, "=");
    strncat(out, fp, 4);
    strcat(out, ";");
}

static void test_list(void **state)
{
    fixture_t *f = *state;
    char err[512], out[256] = "";
    assert_int_equal(okr_trust_list(f->path, collect, out, err, sizeof err), 0);
    assert_string_equal(out, "");
    assert_int_equal(okr_trust_store(f->path, "b:1", FP_B, err, sizeof err), 0);
    assert_int_equal(okr_trust_store(f->path, "a:2", FP_A, err, sizeof err), 0);
    assert_int_equal(okr_trust_list(f->path, collect, out, err, sizeof err), 0);
    assert_string_equal(out, "b:1=fedc;a:2=0123;");
}

static void test_bad_input(void **state)
{
    fixture_t *f = *state;
    char err[512];
    assert_int_equal(okr_trust_store(f->path, "a:7433", "abc", err, sizeof err), OKR_E_BAD_REQUEST);
    assert_int_equal(okr_trust_store(f->path, "a:7433", FP_A "00", err, sizeof err),
                     OKR_E_BAD_REQUEST);
    assert_int_equal(okr_trust_store(f->path, "a b:7433", FP_A, err, sizeof err),
                     OKR_E_BAD_REQUEST);
    assert_int_equal(okr_trust_store(f->path, "", FP_A, err, sizeof err), OKR_E_BAD_REQUEST);
    assert_int_equal(access(f->path, F_OK), -1); /* nothing written */
}

static void test_write_atomic(void **state)
{
    fixture_t *f = *state;
    char err[512], path[128];
    snprintf(path, sizeof path, "%s/x", f->root);
    assert_int_equal(okr_paths_write_atomic(path, "one\n", 4, 0600, err, sizeof err), 0);
    assert_int_equal(okr_paths_write_atomic(path, "two\n", 4, 0600, err, sizeof err), 0);
    char *text = slurp(path);
    assert_string_equal(text, "two\n");
    free(text);
    assert_int_equal(count_entries(f->root), 1);
    snprintf(path, sizeof path, "%s/missing/x", f->root);
    assert_int_equal(okr_paths_write_atomic(path, "a", 1, 0600, err, sizeof err), OKR_E_IO);
}

static void test_write_cache(void **state)
{
    fixture_t *f = *state;
    char err[512], path[128];
    snprintf(path, sizeof path, "%s/cache", f->root);
    assert_int_equal(okr_paths_write_cache(path, "one\n", 4, 0600, err, sizeof err), 0);
    assert_int_equal(okr_paths_write_cache(path, "two\n", 4, 0600, err, sizeof err), 0);
    char *text = slurp(path);
    assert_string_equal(text, "two\n");
    free(text);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(count_entries(f->root), 1); /* no temporary file left */
    snprintf(path, sizeof path, "%s/missing/x", f->root);
    assert_int_equal(okr_paths_write_cache(path, "a", 1, 0600, err, sizeof err), OKR_E_IO);
}

static void test_config_dir(void **state)
{
    fixture_t *f = *state;
    char out[PATH_MAX], err[512];
    setenv("OKR_CONFIG_DIR", f->dir, 1);
    assert_int_equal(okr_paths_config_dir(out, sizeof out, 1, err, sizeof err), 0);
    assert_string_equal(out, f->dir);
    struct stat st;
    assert_int_equal(stat(f->dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    unsetenv("OKR_CONFIG_DIR");
    setenv("XDG_CONFIG_HOME", "/x/y", 1);
    assert_int_equal(okr_paths_config_dir(out, sizeof out, 0, err, sizeof err), 0);
    assert_string_equal(out, "/x/y/okr");
    setenv("XDG_CONFIG_HOME", "relative", 1); /* ignored, as the XDG spec says */
    setenv("HOME", "/home/h", 1);
    assert_int_equal(okr_paths_config_dir(out, sizeof out, 0, err, sizeof err), 0);
    assert_string_equal(out, "/home/h/.config/okr");
    unsetenv("XDG_CONFIG_HOME");
    assert_int_equal(okr_paths_config_file("session.json", out, sizeof out, 0, err, sizeof err), 0);
    assert_string_equal(out, "/home/h/.config/okr/session.json");
}

static void test_hostport(void **state)
{
    (void)state;
    char out[OKR_HOSTPORT_MAX], host[OKR_HOST_MAX], err[256];
    uint16_t port;
    assert_int_equal(okr_hostport_canon("OKR.Example.com", out, err, sizeof err), 0);
    assert_string_equal(out, "okr.example.com:7433");
    assert_int_equal(okr_hostport_canon("127.0.0.1:9000", out, err, sizeof err), 0);
    assert_string_equal(out, "127.0.0.1:9000");
    assert_int_equal(okr_hostport_canon("[::1]:9000", out, err, sizeof err), 0);
    assert_string_equal(out, "[::1]:9000");
    assert_int_equal(okr_hostport_canon("::1", out, err, sizeof err), 0);
    assert_string_equal(out, "[::1]:7433");
    assert_int_equal(okr_hostport_parse("[fe80::1]", 1, host, &port, err, sizeof err), 0);
    assert_string_equal(host, "fe80::1");
    assert_int_equal(port, 1);
    assert_int_equal(okr_hostport_canon("a:0", out, err, sizeof err), OKR_E_BAD_REQUEST);
    assert_int_equal(okr_hostport_canon("a:65536", out, err, sizeof err), OKR_E_BAD_REQUEST);
    assert_int_equal(okr_hostport_canon("a:", out, err, sizeof err), OKR_E_BAD_REQUEST);
    assert_int_equal(okr_hostport_canon("", out, err, sizeof err), OKR_E_BAD_REQUEST);
    assert_int_equal(okr_hostport_canon("a b", out, err, sizeof err), OKR_E_BAD_REQUEST);
    assert_int_equal(okr_hostport_canon("[host]:1", out, err, sizeof err), OKR_E_BAD_REQUEST);
    assert_int_equal(okr_host_is_ip_literal("10.0.0.1"), 1);
    assert_int_equal(okr_host_is_ip_literal("::1"), 1);
    assert_int_equal(okr_host_is_ip_literal("localhost"), 0);
    /* Anything with a colon is an IPv6 address, so its canonical form,
     * bracketed, parses back (found by fuzz_hostport). */
    assert_int_equal(okr_hostport_canon(":::", out, err, sizeof err), OKR_E_BAD_REQUEST);
    assert_int_equal(okr_hostport_canon("a:b:c", out, err, sizeof err), OKR_E_BAD_REQUEST);
    assert_int_equal(okr_hostport_canon("fe80::1%eth0", out, err, sizeof err), 0);
    assert_string_equal(out, "[fe80::1%eth0]:7433");
    assert_int_equal(okr_hostport_canon(out, out, err, sizeof err), 0);
    assert_string_equal(out, "[fe80::1%eth0]:7433");
    assert_int_equal(okr_hostport_canon("fe80::1%", out, err, sizeof err), OKR_E_BAD_REQUEST);
    assert_int_equal(okr_hostport_canon("fe80::1%eth0:9", out, err, sizeof err), OKR_E_BAD_REQUEST);
    assert_int_equal(okr_host_is_ip_literal("fe80::1%eth0"), 1);
    assert_int_equal(okr_host_is_ip_literal("10.0.0.1%eth0"), 0);
    /* The address is caseless, the zone (an interface name) is not. */
    assert_int_equal(okr_hostport_canon("[FE80::A%Wlan0]:9", out, err, sizeof err), 0);
    assert_string_equal(out, "[fe80::a%Wlan0]:9");
    assert_int_equal(okr_hostport_canon("okr.example.com%eth0", out, err, sizeof err),
                     OKR_E_BAD_REQUEST); /* a zone on a name */
    assert_int_equal(okr_hostport_canon("10.0.0.1%eth0:9", out, err, sizeof err),
                     OKR_E_BAD_REQUEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrite_keeps_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_dir, setup, teardown),
        cmocka_unit_test(test_hostport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
