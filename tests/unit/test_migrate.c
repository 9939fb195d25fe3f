/* test_migrate.c — opening a store of an older schema (server/migrate.c,
 * store.c): a version-1 store, made here as okrd 1 left one (sessions, no
 * index of them by user), is upgraded by a writable open and refused by a
 * read-only one; a newer store is refused either way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "okr_error.h"
#include "session_store.h"
#include "store.h"

#define NOW 1700000000000LL

typedef struct fixture {
    char dir[64];
    okr_store_t *store;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/okr-migrate-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    okr_store_close(f->store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static int try_open(fixture_t *f, int read_only, size_t map_size, char *err, size_t errlen)
{
    okr_store_close(f->store);
    f->store = NULL;
    okr_store_opts_t opts = {.dir = f->dir, .read_only = read_only, .map_size = map_size};
    return okr_store_open(&f->store, &opts, err, errlen);
}

static void open_ok(fixture_t *f, int read_only)
{
    char err[256];
    if (try_open(f, read_only, 0, err, sizeof err) != 0)
        fail_msg("open: %s", err);
}

static void set_version(okr_store_t *s, MDB_txn *txn, uint64_t version)
{
    uint8_t buf[OKR_KEY_U64_LEN];
    okr_key_put_u64(buf, version);
    assert_int_equal(okr_store_put(s, txn, OKR_DB_META, "schema", 6, buf, sizeof buf), 0);
}

static uint64_t version_of(fixture_t *f)
{
    MDB_txn *txn;
    MDB_val v;
    assert_int_equal(okr_store_read_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_get(f->store, txn, OKR_DB_META, "schema", 6, &v), 0);
    assert_int_equal(v.mv_size, OKR_KEY_U64_LEN);
    uint64_t version = okr_key_get_u64(v.mv_data);
    okr_store_read_end(f->store, txn);
    return version;
}

/* Session i: hash i (big-endian in the first bytes), user 1 + i % users,
 * opened i ms after NOW. */
static void session_hash(uint32_t i, uint8_t hash[OKR_TOKEN_HASH_LEN])
{
    memset(hash, 0x5a, OKR_TOKEN_HASH_LEN);
    okr_key_put_u64(hash, i);
}

/* A version-1 store: n sessions of `users` users stored as okrd 1 stored
 * them, one record that does not unpack, and no idx_user_sessions at all. */
static void make_v1(fixture_t *f, uint32_t n, uint64_t users)
{
    open_ok(f, 0);
    MDB_txn *txn;
    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t hash[OKR_TOKEN_HASH_LEN];
        session_hash(i, hash);
        Okr__SessionRecord rec = OKR__SESSION_RECORD__INIT;
        rec.user_id = 1 + i % users;
        rec.created_at = NOW + i;
        rec.expires_at = NOW + 1000000;
        rec.peer = "10.0.0.1";
        assert_int_equal(
            okr_store_put_msg(f->store, txn, OKR_DB_SESSIONS, hash, OKR_TOKEN_HASH_LEN, &rec.base),
            0);
    }
    uint8_t junk_hash[OKR_TOKEN_HASH_LEN];
    memset(junk_hash, 0xff, sizeof junk_hash);
    static const uint8_t junk[] = {0xff, 0xff, 0xff};
    assert_int_equal(okr_store_put(f->store, txn, OKR_DB_SESSIONS, junk_hash, sizeof junk_hash,
                                   junk, sizeof junk),
                     0);
    assert_int_equal(mdb_drop(txn, okr_store_dbi(f->store, OKR_DB_IDX_USER_SESSIONS), 1), 0);
    set_version(f->store, txn, 1);
    assert_int_equal(okr_store_write_commit(f->store, txn), 0);
    okr_store_close(f->store);
    f->store = NULL;
}

static size_t index_count(fixture_t *f)
{
    MDB_txn *txn;
    MDB_stat st;
    assert_int_equal(okr_store_read_begin(f->store, &txn), 0);
    assert_int_equal(mdb_stat(txn, okr_store_dbi(f->store, OKR_DB_IDX_USER_SESSIONS), &st), 0);
    okr_store_read_end(f->store, txn);
    return st.ms_entries;
}

typedef struct seen {
    int64_t created_at[8];
    size_t n;
} seen_t;

static int on_entry(void *arg, int64_t created_at, const uint8_t hash[OKR_TOKEN_HASH_LEN])
{
    seen_t *s = arg;
    uint8_t want[OKR_TOKEN_HASH_LEN];
    session_hash((uint32_t)(created_at - NOW), want);
    assert_memory_equal(hash, want, OKR_TOKEN_HASH_LEN);
    assert_true(s->n < 8);
    s->created_at[s->n++] = created_at;
    return 0;
}

static void test_v1_upgraded(void **state)
{
    fixture_t *f = *state;
    make_v1(f, 10, 3);
    open_ok(f, 0);
    assert_int_equal(version_of(f), OKR_SCHEMA_VERSION);
    assert_int_equal(index_count(f), 10); /* the record that does not unpack is left out */

    /* User 2 had sessions 1, 4 and 7: filed under it, newest first. */
    MDB_txn *txn;
    seen_t seen = {0};
    assert_int_equal(okr_store_read_begin(f->store, &txn), 0);
    assert_int_equal(okr_session_index_each(f->store, txn, 2, on_entry, &seen), 0);
    okr_store_read_end(f->store, txn);
    assert_int_equal(seen.n, 3);
    assert_int_equal(seen.created_at[0], NOW + 7);
    assert_int_equal(seen.created_at[1], NOW + 4);
    assert_int_equal(seen.created_at[2], NOW + 1);

    /* Upgraded once: the next open finds version 2 and changes nothing. */
    open_ok(f, 0);
    assert_int_equal(version_of(f), OKR_SCHEMA_VERSION);
    assert_int_equal(index_count(f), 10);
    open_ok(f, 1);
}

static void test_v1_read_only_refused(void **state)
{
    fixture_t *f = *state;
    make_v1(f, 3, 1);
    char err[256] = "";
    assert_int_equal(try_open(f, 1, 0, err, sizeof err), OKR_E_UNSUPPORTED);
    assert_null(f->store);
    if (!strstr(err, "schema version 1 is older") || !strstr(err, "start okrd on it once"))
        fail_msg("read-only open said: %s", err);
    /* Nothing was written: a writable open still finds it at 1, and upgrades it. */
    open_ok(f, 0);
    assert_int_equal(version_of(f), OKR_SCHEMA_VERSION);
    assert_int_equal(index_count(f), 3);
}

static void test_newer_refused(void **state)
{
    fixture_t *f = *state;
    open_ok(f, 0);
    MDB_txn *txn;
    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    set_version(f->store, txn, OKR_SCHEMA_VERSION + 1);
    assert_int_equal(okr_store_write_commit(f->store, txn), 0);
    for (int read_only = 0; read_only <= 1; read_only++) {
        char err[256] = "";
        assert_int_equal(try_open(f, read_only, 0, err, sizeof err), OKR_E_UNSUPPORTED);
        char want[64];
        snprintf(want, sizeof want, "schema version %d is newer", OKR_SCHEMA_VERSION + 1);
        if (!strstr(err, want))
            fail_msg("open (read_only %d) said: %s", read_only, err);
    }
}

static void test_version_0_refused(void **state)
{
    fixture_t *f = *state;
    open_ok(f, 0);
    MDB_txn *txn;
    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    set_version(f->store, txn, 0);
    assert_int_equal(okr_store_write_commit(f->store, txn), 0);
    char err[256] = "";
    assert_int_equal(try_open(f, 0, 0, err, sizeof err), OKR_E_UNSUPPORTED);
    if (!strstr(err, "schema version 0 has no migration"))
        fail_msg("open said: %s", err);
}

/* A version-2 store without the index is damaged, not old. */
static void test_missing_database_read_only(void **state)
{
    fixture_t *f = *state;
    open_ok(f, 0);
    MDB_txn *txn;
    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    assert_int_equal(mdb_drop(txn, okr_store_dbi(f->store, OKR_DB_IDX_USER_SESSIONS), 1), 0);
    assert_int_equal(okr_store_write_commit(f->store, txn), 0);
    char err[256] = "";
    assert_int_not_equal(try_open(f, 1, 0, err, sizeof err), 0);
    if (!strstr(err, "database idx_user_sessions is missing: the store is damaged"))
        fail_msg("read-only open said: %s", err);
}

/* The upgrade writes at open: with the map no bigger than the file, it
 * fills it, and the map grows as the writer's does. */
static void test_upgrade_grows_full_map(void **state)
{
    fixture_t *f = *state;
    make_v1(f, 20000, 500);
    char err[256] = "";
    if (try_open(f, 0, 4096, err, sizeof err) != 0)
        fail_msg("open: %s", err);
    assert_int_equal(version_of(f), OKR_SCHEMA_VERSION);
    assert_int_equal(index_count(f), 20000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_v1_upgraded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1_read_only_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_0_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_database_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_grows_full_map, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
