/* test_store.c — the LMDB store, in a fresh temporary directory per test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"
#include "log.h"
#include "okr_error.h"
#include "store.h"

typedef struct fixture {
    char dir[64];
    okr_store_t *store;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/okr-test-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    okr_store_close(f->store);
    char path[128];
    snprintf(path, sizeof path, "%s/data.mdb", f->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", f->dir);
    unlink(path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void open_store(fixture_t *f, size_t map_size, size_t map_size_max)
{
    okr_store_opts_t opts = {.dir = f->dir, .map_size = map_size, .map_size_max = map_size_max};
    char err[256];
    int rc = okr_store_open(&f->store, &opts, err, sizeof err);
    if (rc != 0)
        fail_msg("open: %s", err);
}

static void reopen(fixture_t *f)
{
    okr_store_close(f->store);
    f->store = NULL;
    open_store(f, 0, 0);
}

static size_t page_size(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

/* ------------------------------------------------------------ tests */

static void test_open_creates_dir(void **state)
{
    fixture_t *f = *state;
    /* A missing data directory is created. */
    rmdir(f->dir);
    open_store(f, 0, 0);
    assert_int_equal(access(f->dir, F_OK), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/data.mdb", f->dir);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(okr_store_map_size(f->store), (size_t)64 << 20);
}

static void test_reopen_keeps_data(void **state)
{
    fixture_t *f = *state;
    open_store(f, 0, 0);
    MDB_txn *txn;
    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_put(f->store, txn, OKR_DB_SESSIONS, "k", 1, "hello", 5), 0);
    assert_int_equal(okr_store_write_commit(f->store, txn), 0);

    /* An aborted write leaves nothing behind. */
    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_put(f->store, txn, OKR_DB_SESSIONS, "x", 1, "gone", 4), 0);
    okr_store_write_abort(f->store, txn);

    reopen(f);
    MDB_val v;
    assert_int_equal(okr_store_read_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_get(f->store, txn, OKR_DB_SESSIONS, "k", 1, &v), 0);
    assert_int_equal(v.mv_size, 5);
    assert_memory_equal(v.mv_data, "hello", 5);
    assert_int_equal(okr_store_get(f->store, txn, OKR_DB_SESSIONS, "x", 1, &v), OKR_E_NOT_FOUND);
    /* Databases are separate namespaces. */
    assert_int_equal(okr_store_get(f->store, txn, OKR_DB_USERS, "k", 1, &v), OKR_E_NOT_FOUND);
    okr_store_read_end(f->store, txn);

    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_del(f->store, txn, OKR_DB_SESSIONS, "k", 1), 0);
    assert_int_equal(okr_store_del(f->store, txn, OKR_DB_SESSIONS, "k", 1), OKR_E_NOT_FOUND);
    assert_int_equal(okr_store_write_commit(f->store, txn), 0);
}

static void test_msg_round_trip(void **state)
{
    fixture_t *f = *state;
    open_store(f, 0, 0);

    Okr__User user = OKR__USER__INIT;
    user.id = 42;
    user.username = "alice";
    user.display_name = "Alice Liddell";
    user.role = OKR__ROLE__ROLE_ADMIN;
    user.active = 1;
    user.version = 3;
    user.created_at = 1700000000000;
    Okr__UserRecord rec = OKR__USER_RECORD__INIT;
    rec.user = &user;
    rec.password_hash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA";

    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, 42);
    MDB_txn *txn;
    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_put_msg(f->store, txn, OKR_DB_USERS, key, sizeof key, &rec.base), 0);
    assert_int_equal(okr_store_write_commit(f->store, txn), 0);

    reopen(f);
    ProtobufCMessage *m = NULL;
    assert_int_equal(okr_store_read_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_get_msg(f->store, txn, OKR_DB_USERS, key, sizeof key,
                                       &okr__user_record__descriptor, &m),
                     0);
    okr_store_read_end(f->store, txn); /* the message must outlive the txn */
    Okr__UserRecord *got = (Okr__UserRecord *)m;
    assert_non_null(got->user);
    assert_int_equal(got->user->id, 42);
    assert_string_equal(got->user->username, "alice");
    assert_string_equal(got->user->display_name, "Alice Liddell");
    assert_int_equal(got->user->role, OKR__ROLE__ROLE_ADMIN);
    assert_true(got->user->active);
    assert_int_equal(got->user->version, 3);
    assert_int_equal(got->user->created_at, 1700000000000);
    assert_string_equal(got->password_hash, rec.password_hash);
    protobuf_c_message_free_unpacked(m, NULL);

    /* Missing key. */
    okr_key_put_u64(key, 43);
    m = (ProtobufCMessage *)1;
    assert_int_equal(okr_store_read_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_get_msg(f->store, txn, OKR_DB_USERS, key, sizeof key,
                                       &okr__user_record__descriptor, &m),
                     OKR_E_NOT_FOUND);
    assert_null(m);
    okr_store_read_end(f->store, txn);

    /* Bytes that are not a UserRecord. */
    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    assert_int_equal(
        okr_store_put(f->store, txn, OKR_DB_USERS, key, sizeof key, "\xff\xff\xff\xff", 4), 0);
    assert_int_equal(okr_store_get_msg(f->store, txn, OKR_DB_USERS, key, sizeof key,
                                       &okr__user_record__descriptor, &m),
                     OKR_E_INTERNAL);
    assert_null(m);
    okr_store_write_abort(f->store, txn);

    /* An empty message packs to zero bytes and still round-trips. */
    Okr__UserRecord empty = OKR__USER_RECORD__INIT;
    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_put_msg(f->store, txn, OKR_DB_USERS, key, sizeof key, &empty.base),
                     0);
    assert_int_equal(okr_store_get_msg(f->store, txn, OKR_DB_USERS, key, sizeof key,
                                       &okr__user_record__descriptor, &m),
                     0);
    assert_null(((Okr__UserRecord *)m)->user);
    protobuf_c_message_free_unpacked(m, NULL);
    okr_store_write_abort(f->store, txn);
}

static void test_next_id(void **state)
{
    fixture_t *f = *state;
    open_store(f, 0, 0);
    MDB_txn *txn;
    uint64_t id;
    assert_int_equal(okr_store_read_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_counter(f->store, txn, "user"), 0);
    okr_store_read_end(f->store, txn);

    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    for (uint64_t want = 1; want <= 3; want++) {
        assert_int_equal(okr_store_next_id(f->store, txn, "user", &id), 0);
        assert_int_equal(id, want);
    }
    /* Counters are independent. */
    assert_int_equal(okr_store_next_id(f->store, txn, "objective", &id), 0);
    assert_int_equal(id, 1);
    assert_int_equal(okr_store_write_commit(f->store, txn), 0);

    reopen(f);
    assert_int_equal(okr_store_read_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_counter(f->store, txn, "user"), 3);
    okr_store_read_end(f->store, txn);
    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_next_id(f->store, txn, "user", &id), 0);
    assert_int_equal(id, 4);
    assert_int_equal(okr_store_counter(f->store, txn, "user"), 4);
    okr_store_write_abort(f->store, txn);

    /* The aborted increment is gone. */
    assert_int_equal(okr_store_read_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_counter(f->store, txn, "user"), 3);
    okr_store_read_end(f->store, txn);
}

static void test_append_change(void **state)
{
    fixture_t *f = *state;
    open_store(f, 0, 0);
    MDB_txn *txn;
    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    for (uint64_t want = 1; want <= 3; want++) {
        Okr__User user = OKR__USER__INIT;
        user.id = 100 + want;
        user.username = "u";
        Okr__Change c = OKR__CHANGE__INIT;
        c.time = 1000 + (int64_t)want;
        c.kind = OKR__ENTITY_KIND__ENTITY_KIND_USER;
        c.entity_id = user.id;
        c.entity_case = OKR__CHANGE__ENTITY_USER;
        c.user = &user;
        assert_int_equal(okr_store_append_change(f->store, txn, &c), 0);
        assert_int_equal(c.seq, want);
    }
    assert_int_equal(okr_store_write_commit(f->store, txn), 0);

    reopen(f);
    assert_int_equal(okr_store_read_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_counter(f->store, txn, "seq"), 3);
    /* The change log sorts by seq. */
    MDB_cursor *cur;
    assert_int_equal(mdb_cursor_open(txn, okr_store_dbi(f->store, OKR_DB_CHANGES), &cur), 0);
    MDB_val k, v;
    uint64_t want = 1;
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), want++) {
        assert_int_equal(k.mv_size, OKR_KEY_U64_LEN);
        assert_int_equal(okr_key_get_u64(k.mv_data), want);
        Okr__Change *c = okr__change__unpack(NULL, v.mv_size, v.mv_data);
        assert_non_null(c);
        assert_int_equal(c->seq, want);
        assert_int_equal(c->entity_id, 100 + want);
        assert_int_equal(c->entity_case, OKR__CHANGE__ENTITY_USER);
        assert_string_equal(c->user->username, "u");
        okr__change__free_unpacked(c, NULL);
    }
    assert_int_equal(rc, MDB_NOTFOUND);
    assert_int_equal(want, 4);
    mdb_cursor_close(cur);
    okr_store_read_end(f->store, txn);
}

static void test_schema_newer_refused(void **state)
{
    fixture_t *f = *state;
    open_store(f, 0, 0);
    MDB_txn *txn;
    MDB_val v;
    assert_int_equal(okr_store_read_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_get(f->store, txn, OKR_DB_META, "schema", 6, &v), 0);
    assert_int_equal(v.mv_size, OKR_KEY_U64_LEN);
    assert_int_equal(okr_key_get_u64(v.mv_data), OKR_SCHEMA_VERSION);
    okr_store_read_end(f->store, txn);

    uint8_t buf[OKR_KEY_U64_LEN];
    okr_key_put_u64(buf, OKR_SCHEMA_VERSION + 1);
    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_put(f->store, txn, OKR_DB_META, "schema", 6, buf, sizeof buf), 0);
    assert_int_equal(okr_store_write_commit(f->store, txn), 0);
    okr_store_close(f->store);
    f->store = NULL;

    okr_store_opts_t opts = {.dir = f->dir};
    char err[256] = "";
    okr_store_t *s = (okr_store_t *)1;
    assert_int_not_equal(okr_store_open(&s, &opts, err, sizeof err), 0);
    assert_null(s);
    assert_non_null(strstr(err, "newer"));
    char want[64];
    snprintf(want, sizeof want, "schema version %d ", OKR_SCHEMA_VERSION + 1);
    assert_non_null(strstr(err, want));
}

static void test_open_bad_dir(void **state)
{
    fixture_t *f = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/data.mdb", f->dir);
    /* A file where the directory should be. */
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    okr_store_opts_t opts = {.dir = path};
    char err[256] = "";
    okr_store_t *s = NULL;
    assert_int_not_equal(okr_store_open(&s, &opts, err, sizeof err), 0);
    assert_null(s);
    assert_true(strlen(err) > 0);
}

/* Puts value number i (vlen bytes of a pattern) under key i, growing the map
 * whenever it is full. Returns 0, or OKR_E_FULL once it cannot grow. */
static int put_growing(okr_store_t *s, uint64_t i, size_t vlen, int *grows)
{
    uint8_t *val = malloc(vlen);
    assert_non_null(val);
    memset(val, (int)(i & 0xff), vlen);
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, i);
    int err;
    for (;;) {
        MDB_txn *txn;
        assert_int_equal(okr_store_write_begin(s, &txn), 0);
        err = okr_store_put(s, txn, OKR_DB_SESSIONS, key, sizeof key, val, vlen);
        if (err == 0)
            err = okr_store_write_commit(s, txn);
        else
            okr_store_write_abort(s, txn);
        if (err != OKR_E_FULL)
            break;
        err = okr_store_grow(s);
        if (err != 0)
            break;
        (*grows)++;
    }
    free(val);
    return err;
}

static void check_values(okr_store_t *s, uint64_t n, size_t vlen)
{
    MDB_txn *txn;
    assert_int_equal(okr_store_read_begin(s, &txn), 0);
    for (uint64_t i = 0; i < n; i++) {
        uint8_t key[OKR_KEY_U64_LEN];
        okr_key_put_u64(key, i);
        MDB_val v;
        assert_int_equal(okr_store_get(s, txn, OKR_DB_SESSIONS, key, sizeof key, &v), 0);
        assert_int_equal(v.mv_size, vlen);
        const uint8_t *p = v.mv_data;
        assert_int_equal(p[0], i & 0xff);
        assert_int_equal(p[vlen - 1], i & 0xff);
    }
    okr_store_read_end(s, txn);
}

static void test_grow(void **state)
{
    fixture_t *f = *state;
    size_t small = 32 * page_size();
    open_store(f, small, 64 * small);
    assert_int_equal(okr_store_map_size(f->store), small);

    int grows = 0;
    const uint64_t n = 400;
    const size_t vlen = 2000;
    for (uint64_t i = 0; i < n; i++)
        assert_int_equal(put_growing(f->store, i, vlen, &grows), 0);
    assert_true(grows > 0);
    assert_true(okr_store_map_size(f->store) > small);
    assert_int_equal(okr_store_map_size(f->store), small << grows);
    check_values(f->store, n, vlen);

    /* A reopen with the small initial size keeps the grown file usable. */
    size_t grown = okr_store_map_size(f->store);
    okr_store_close(f->store);
    f->store = NULL;
    open_store(f, small, 64 * small);
    assert_true(okr_store_map_size(f->store) > small);
    assert_true(okr_store_map_size(f->store) <= grown);
    check_values(f->store, n, vlen);
    /* And still writable. */
    assert_int_equal(put_growing(f->store, n, vlen, &grows), 0);
    check_values(f->store, n + 1, vlen);
}

static void test_grow_capped(void **state)
{
    fixture_t *f = *state;
    size_t small = 32 * page_size();
    /* A maximum that is not a doubling of the initial size: the last growth
     * stops exactly at the cap. */
    size_t max = 3 * small;
    open_store(f, small, max);

    int grows = 0, err = 0;
    const size_t vlen = 3000;
    uint64_t stored = 0;
    while ((err = put_growing(f->store, stored, vlen, &grows)) == 0) {
        stored++;
        assert_true(stored < 10000);
    }
    assert_int_equal(err, OKR_E_FULL);
    assert_int_equal(grows, 2); /* 32 -> 64 -> 96 pages */
    assert_int_equal(okr_store_map_size(f->store), max);
    assert_int_equal(okr_store_grow(f->store), OKR_E_FULL);
    assert_true(stored > 10);
    check_values(f->store, stored, vlen);

    /* The failed value is not there. */
    MDB_txn *txn;
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, stored);
    MDB_val v;
    assert_int_equal(okr_store_read_begin(f->store, &txn), 0);
    assert_int_equal(okr_store_get(f->store, txn, OKR_DB_SESSIONS, key, sizeof key, &v),
                     OKR_E_NOT_FOUND);
    okr_store_read_end(f->store, txn);

    /* Deleting makes room again. */
    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    okr_key_put_u64(key, 0);
    assert_int_equal(okr_store_del(f->store, txn, OKR_DB_SESSIONS, key, sizeof key), 0);
    assert_int_equal(okr_store_write_commit(f->store, txn), 0);
}

static void test_concurrent_reads(void **state)
{
    fixture_t *f = *state;
    open_store(f, 0, 0);
    /* MDB_NOTLS: several read transactions at once on one thread, and a
     * write transaction alongside. */
    MDB_txn *r1, *r2, *w;
    assert_int_equal(okr_store_read_begin(f->store, &r1), 0);
    assert_int_equal(okr_store_write_begin(f->store, &w), 0);
    assert_int_equal(okr_store_put(f->store, w, OKR_DB_META, "x", 1, "1", 1), 0);
    assert_int_equal(okr_store_write_commit(f->store, w), 0);
    assert_int_equal(okr_store_read_begin(f->store, &r2), 0);
    MDB_val v;
    assert_int_equal(okr_store_get(f->store, r1, OKR_DB_META, "x", 1, &v), OKR_E_NOT_FOUND);
    assert_int_equal(okr_store_get(f->store, r2, OKR_DB_META, "x", 1, &v), 0);
    okr_store_read_end(f->store, r1);
    okr_store_read_end(f->store, r2);
    /* No transaction open: growing works. */
    assert_int_equal(okr_store_grow(f->store), 0);
    assert_int_equal(okr_store_map_size(f->store), (size_t)128 << 20);
}

static void test_err_map(void **state)
{
    (void)state;
    assert_int_equal(okr_store_err(0), OKR_OK);
    assert_int_equal(okr_store_err(MDB_NOTFOUND), OKR_E_NOT_FOUND);
    assert_int_equal(okr_store_err(MDB_MAP_FULL), OKR_E_FULL);
    assert_int_equal(okr_store_err(MDB_CORRUPTED), OKR_E_INTERNAL);
    assert_int_equal(okr_store_err(MDB_BAD_VALSIZE), OKR_E_INTERNAL);
}

int main(void)
{
    okr_log_set_level(OKR_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msg_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_newer_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_bad_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grow_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_reads, setup, teardown),
        cmocka_unit_test(test_err_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
