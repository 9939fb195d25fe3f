/* test_session.c — the saved login (client/session.c): what okr login writes
 * to session.json and what later commands read back, including files saved
 * by an older okr, which have no user id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "okr_error.h"
#include "session.h"

typedef struct fixture {
    char dir[64];   /* mkdtemp */
    char path[128]; /* dir/cfg/session.json: its directory made by the save */
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/okr-test-session-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/cfg/session.json", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cfg[96];
    snprintf(cfg, sizeof cfg, "%s/cfg", f->dir);
    unlink(f->path);
    rmdir(cfg);
    int rc = rmdir(f->dir);
    free(f);
    return rc;
}

/* Writes text as the session file, as a person or an older okr might have. */
static void write_session(const fixture_t *f, const char *text)
{
    char cfg[96];
    snprintf(cfg, sizeof cfg, "%s/cfg", f->dir);
    mkdir(cfg, 0700);
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static okr_session_t alice(uint64_t user_id)
{
    okr_session_t s = {
        .server = "okr.example.com:7433",
        .username = "alice",
        .user_id = user_id,
        .token = "secret-token",
        .expires_at = 1767225600000,
    };
    return s;
}

static void test_round_trip(void **state)
{
    fixture_t *f = *state;
    char err[512];
    okr_session_t saved = alice(7);
    assert_int_equal(okr_session_save(f->path, &saved, err, sizeof err), 0);
    okr_session_t s;
    assert_int_equal(okr_session_load(f->path, &s, err, sizeof err), 0);
    assert_string_equal(s.server, "okr.example.com:7433");
    assert_string_equal(s.username, "alice");
    assert_int_equal(s.user_id, 7);
    assert_string_equal(s.token, "secret-token");
    assert_int_equal(s.expires_at, 1767225600000);
    okr_session_clear(&s);
    assert_null(s.token);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

/* Saves alice's session with user_id and reads the file back as JSON. */
static json_t *saved_file(const fixture_t *f, uint64_t user_id)
{
    char err[512];
    okr_session_t saved = alice(user_id);
    assert_int_equal(okr_session_save(f->path, &saved, err, sizeof err), 0);
    json_error_t jerr;
    json_t *root = json_load_file(f->path, 0, &jerr);
    assert_non_null(root);
    return root;
}

/* The file's fields are the ones session.h shows, user_id beside the name. */
static void test_file_format(void **state)
{
    json_t *root = saved_file(*state, 7);
    assert_int_equal(json_object_size(root), 5);
    assert_int_equal(json_integer_value(json_object_get(root, "user_id")), 7);
    assert_string_equal(json_string_value(json_object_get(root, "username")), "alice");
    json_decref(root);
}

/* An unknown id (0) is left out, as an older okr wrote the file. */
static void test_unknown_id_left_out(void **state)
{
    json_t *root = saved_file(*state, 0);
    assert_null(json_object_get(root, "user_id"));
    assert_int_equal(json_object_size(root), 4);
    json_decref(root);
}

/* A file from an older okr (no user_id) is still a session; so is one whose
 * user_id is not an id: the id is then unknown (0). */
static void test_older_file(void **state)
{
    fixture_t *f = *state;
    static const char *const ids[] = {"", ", \"user_id\": \"7\"", ", \"user_id\": -3",
                                      ", \"user_id\": 0", ", \"user_id\": null"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char text[256], err[512];
        snprintf(text, sizeof text,
                 "{\"server\": \"a:7433\", \"username\": \"bob\"%s, \"token\": \"t\", "
                 "\"expires_at\": 5}\n",
                 ids[i]);
        write_session(f, text);
        okr_session_t s;
        assert_int_equal(okr_session_load(f->path, &s, err, sizeof err), 0);
        assert_string_equal(s.username, "bob");
        assert_int_equal(s.user_id, 0);
        assert_string_equal(s.token, "t");
        okr_session_clear(&s);
    }
}

static void test_not_a_session(void **state)
{
    fixture_t *f = *state;
    char err[512];
    okr_session_t s;
    assert_int_equal(okr_session_load(f->path, &s, err, sizeof err), OKR_E_NOT_FOUND);
    write_session(f, "{\"server\": \"a:7433\", \"user_id\": 7, \"token\": \"t\"}");
    assert_int_equal(okr_session_load(f->path, &s, err, sizeof err), OKR_E_PROTOCOL);
    assert_non_null(strstr(err, "log in again"));
    write_session(f, "[1, 2]");
    assert_int_equal(okr_session_load(f->path, &s, err, sizeof err), OKR_E_PROTOCOL);
    assert_int_equal(okr_session_remove(f->path, err, sizeof err), 0);
    assert_int_equal(okr_session_remove(f->path, err, sizeof err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_id_left_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_older_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_session, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
