/* Unit tests for the sessions' housekeeping (server/sessions.c) on a real
 * temporary LMDB store: the sweep in rounds, the cap per user, a user's
 * list, finding a session by a prefix of its id, and the index of sessions
 * by user (server/session_store.c) kept in step by every write and read
 * in their place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "okr_error.h"
#include "session_store.h"
#include "sessions.h"
#include "users.h"

#define NOW 1700000000000LL

typedef struct fixture {
    char dir[64];
    okr_store_t *store;
    MDB_txn *txn; /* one write transaction per test */
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/okr-sessions-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    okr_store_opts_t opts = {.dir = f->dir};
    char err[256];
    assert_int_equal(okr_store_open(&f->store, &opts, err, sizeof err), 0);
    assert_int_equal(okr_store_write_begin(f->store, &f->txn), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    okr_store_write_abort(f->store, f->txn);
    okr_store_close(f->store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void put_hash(fixture_t *f, const uint8_t hash[OKR_TOKEN_HASH_LEN], uint64_t user,
                     int64_t created, int64_t expires)
{
    Okr__SessionRecord rec = OKR__SESSION_RECORD__INIT;
    rec.user_id = user;
    rec.created_at = created;
    rec.expires_at = expires;
    rec.peer = "127.0.0.1";
    assert_int_equal(okr_session_store_put(f->store, f->txn, hash, &rec), 0);
}

/* A session whose hash starts with the bytes b0, b1 (the rest i). */
static void put(fixture_t *f, uint8_t b0, uint8_t b1, uint8_t i, uint64_t user, int64_t created,
                int64_t expires, uint8_t hash[OKR_TOKEN_HASH_LEN])
{
    memset(hash, i, OKR_TOKEN_HASH_LEN);
    hash[0] = b0;
    hash[1] = b1;
    put_hash(f, hash, user, created, expires);
}

static size_t entries(fixture_t *f, okr_db_t db)
{
    MDB_stat st;
    assert_int_equal(mdb_stat(f->txn, okr_store_dbi(f->store, db), &st), 0);
    return st.ms_entries;
}

static size_t count(fixture_t *f)
{
    return entries(f, OKR_DB_SESSIONS);
}

static size_t index_count(fixture_t *f)
{
    return entries(f, OKR_DB_IDX_USER_SESSIONS);
}

static int exists(fixture_t *f, const uint8_t hash[OKR_TOKEN_HASH_LEN])
{
    MDB_val v;
    return okr_store_get(f->store, f->txn, OKR_DB_SESSIONS, hash, OKR_TOKEN_HASH_LEN, &v) == 0;
}

/* Every session has its index entry, and there are no others. */
static void assert_index_in_step(fixture_t *f)
{
    MDB_cursor *cur;
    assert_int_equal(mdb_cursor_open(f->txn, okr_store_dbi(f->store, OKR_DB_SESSIONS), &cur), 0);
    MDB_val k, v;
    size_t n = 0;
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
        Okr__SessionRecord *rec = okr__session_record__unpack(NULL, v.mv_size, v.mv_data);
        assert_non_null(rec);
        uint8_t key[OKR_SESSION_INDEX_KEY_LEN];
        okr_session_index_key(key, rec->user_id, rec->created_at, k.mv_data);
        MDB_val e;
        if (okr_store_get(f->store, f->txn, OKR_DB_IDX_USER_SESSIONS, key, sizeof key, &e) != 0)
            fail_msg("session %02x... of user %llu has no index entry", ((uint8_t *)k.mv_data)[0],
                     (unsigned long long)rec->user_id);
        okr__session_record__free_unpacked(rec, NULL);
    }
    mdb_cursor_close(cur);
    assert_int_equal(index_count(f), n);
}

static void test_sweep_in_rounds(void **state)
{
    fixture_t *f = *state;
    uint8_t h[OKR_TOKEN_HASH_LEN], live[OKR_TOKEN_HASH_LEN];
    for (uint8_t i = 0; i < 7; i++) /* 7 expired (one exactly now), 3 live, interleaved */
        put(f, (uint8_t)(i * 20), 0, i, 1, NOW - 1000, i == 3 ? NOW : NOW - 1, h);
    put(f, 0x05, 0, 0xee, 2, NOW - 1000, NOW + 1, live);
    put(f, 0x55, 0, 0xee, 2, NOW - 1000, NOW + 1, h);
    put(f, 0xf0, 0, 0xee, 2, NOW - 1000, NOW + 60000, h);
    assert_int_equal(count(f), 10);

    /* Rounds of 4: each walks 4 and says where to go on. */
    size_t deleted, total = 0, rounds = 0;
    uint8_t next[OKR_TOKEN_HASH_LEN];
    int more = 1;
    const uint8_t *from = NULL;
    while (more) {
        assert_int_equal(okr_sessions_sweep(f->store, f->txn, NOW, from, 4, &deleted, next, &more),
                         0);
        assert_true(deleted <= 4);
        total += deleted;
        rounds++;
        from = next;
        assert_true(rounds <= 3);
    }
    assert_int_equal(rounds, 3);
    assert_int_equal(total, 7);
    assert_int_equal(count(f), 3);
    assert_true(exists(f, live));

    /* Nothing left to do: one round, nothing deleted, the end reached. */
    assert_int_equal(okr_sessions_sweep(f->store, f->txn, NOW, NULL, 1000, &deleted, next, &more),
                     0);
    assert_int_equal(deleted, 0);
    assert_int_equal(more, 0);
    assert_int_equal(okr_sessions_sweep(f->store, f->txn, NOW, NULL, 0, &deleted, next, &more),
                     OKR_E_BAD_REQUEST);
}

static void test_sweep_empty_store(void **state)
{
    fixture_t *f = *state;
    size_t deleted = 1;
    int more = 1;
    uint8_t next[OKR_TOKEN_HASH_LEN];
    assert_int_equal(okr_sessions_sweep(f->store, f->txn, NOW, NULL, 10, &deleted, next, &more), 0);
    assert_int_equal(deleted, 0);
    assert_int_equal(more, 0);
}

static void test_of_user_newest_first(void **state)
{
    fixture_t *f = *state;
    uint8_t h[OKR_TOKEN_HASH_LEN];
    put(f, 0x10, 0, 1, 7, NOW - 300, NOW + 1000, h);
    put(f, 0x20, 0, 2, 7, NOW - 100, NOW + 1000, h);
    put(f, 0x30, 0, 3, 7, NOW - 200, NOW - 1, h);   /* expired: not listed */
    put(f, 0x40, 0, 4, 8, NOW - 50, NOW + 1000, h); /* someone else's */
    put(f, 0x50, 0, 5, 7, NOW - 200, NOW + 1000, h);
    okr_session_entry_t *e;
    size_t n;
    assert_int_equal(okr_sessions_of_user(f->store, f->txn, 7, NOW, &e, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(e[0].hash[0], 0x20);
    assert_int_equal(e[1].hash[0], 0x50);
    assert_int_equal(e[2].hash[0], 0x10);
    assert_int_equal(e[0].user_id, 7);
    assert_string_equal(e[0].peer, "127.0.0.1");
    free(e);
    assert_int_equal(okr_sessions_of_user(f->store, f->txn, 99, NOW, &e, &n), 0);
    assert_int_equal(n, 0);
    assert_null(e);
}

static void test_cap_evicts_oldest(void **state)
{
    fixture_t *f = *state;
    uint8_t oldest[OKR_TOKEN_HASH_LEN], mid[OKR_TOKEN_HASH_LEN], newer[OKR_TOKEN_HASH_LEN];
    uint8_t expired[OKR_TOKEN_HASH_LEN], fresh[OKR_TOKEN_HASH_LEN], other[OKR_TOKEN_HASH_LEN];
    put(f, 0x90, 0, 1, 7, NOW - 400, NOW + 1000, oldest);
    put(f, 0x10, 0, 2, 7, NOW - 300, NOW + 1000, mid);
    put(f, 0x50, 0, 3, 7, NOW - 200, NOW + 1000, newer);
    put(f, 0x60, 0, 4, 7, NOW - 900, NOW - 1, expired);
    put(f, 0x70, 0, 5, 8, NOW - 999, NOW + 1000, other);
    /* The new one, stamped in the same millisecond as another would be. */
    put(f, 0x00, 0, 6, 7, NOW - 200, NOW + 1000, fresh);

    uint8_t(*ev)[OKR_TOKEN_HASH_LEN];
    size_t n;
    /* Under the cap: nothing goes but the user's expired one. */
    assert_int_equal(okr_sessions_cap_user(f->store, f->txn, 7, 4, fresh, NOW, &ev, &n), 0);
    assert_int_equal(n, 0);
    assert_null(ev);
    assert_false(exists(f, expired));

    /* Cap 2: the new one and the newest other stay; the two oldest go. */
    assert_int_equal(okr_sessions_cap_user(f->store, f->txn, 7, 2, fresh, NOW, &ev, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(ev[0], mid, OKR_TOKEN_HASH_LEN);
    assert_memory_equal(ev[1], oldest, OKR_TOKEN_HASH_LEN);
    free(ev);
    assert_true(exists(f, fresh));
    assert_true(exists(f, newer));
    assert_false(exists(f, mid));
    assert_false(exists(f, oldest));
    assert_true(exists(f, other));

    /* Cap 1 keeps the one named even when it is not the newest; 0 is none. */
    assert_int_equal(okr_sessions_cap_user(f->store, f->txn, 7, 0, NULL, NOW, &ev, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(okr_sessions_cap_user(f->store, f->txn, 7, 1, newer, NOW, &ev, &n), 0);
    assert_int_equal(n, 1);
    assert_memory_equal(ev[0], fresh, OKR_TOKEN_HASH_LEN);
    free(ev);
    assert_true(exists(f, newer));
    assert_int_equal(count(f), 2);
}

static void test_find_by_prefix(void **state)
{
    fixture_t *f = *state;
    uint8_t a[OKR_TOKEN_HASH_LEN], b[OKR_TOKEN_HASH_LEN], c[OKR_TOKEN_HASH_LEN];
    uint8_t old[OKR_TOKEN_HASH_LEN];
    put(f, 0xab, 0xcd, 0x11, 7, NOW - 10, NOW + 1000, a);
    put(f, 0xab, 0xcd, 0x22, 8, NOW - 10, NOW + 1000, b); /* shares 4 digits with a */
    put(f, 0xab, 0xce, 0x33, 7, NOW - 10, NOW + 1000, c);
    put(f, 0x12, 0x34, 0x56, 7, NOW - 10, NOW - 1, old);
    okr_session_entry_t e;
    char id[OKR_SESSION_ID_HEX + 1];
    okr_session_id(a, id);
    assert_string_equal(id, "abcd111111111111");

    assert_int_equal(okr_sessions_find(f->store, f->txn, "abcd11", 0, NOW, &e), 0);
    assert_memory_equal(e.hash, a, OKR_TOKEN_HASH_LEN);
    assert_int_equal(okr_sessions_find(f->store, f->txn, "ABCD2222", 0, NOW, &e), 0);
    assert_memory_equal(e.hash, b, OKR_TOKEN_HASH_LEN);
    /* Someone else's does not exist for user 8; 5 digits are too few. */
    assert_int_equal(okr_sessions_find(f->store, f->txn, "abcd1111", 8, NOW, &e), OKR_E_NOT_FOUND);
    assert_int_equal(okr_sessions_find(f->store, f->txn, "abcd11", 8, NOW, &e), OKR_E_NOT_FOUND);
    assert_int_equal(okr_sessions_find(f->store, f->txn, "abcd1", 0, NOW, &e), OKR_E_BAD_REQUEST);
    assert_int_equal(okr_sessions_find(f->store, f->txn, "abcd111", 0, NOW, &e), 0);
    /* x shares all but its last digit with a: ambiguous for anyone, but
     * only a is 7's. */
    uint8_t x[OKR_TOKEN_HASH_LEN];
    memcpy(x, a, sizeof x);
    x[OKR_TOKEN_HASH_LEN - 1] = 0x12;
    put_hash(f, x, 9, NOW - 10, NOW + 1000);
    assert_int_equal(okr_sessions_find(f->store, f->txn, "abcd11", 0, NOW, &e), OKR_E_CONFLICT);
    assert_int_equal(okr_sessions_find(f->store, f->txn, "abcd11", 7, NOW, &e), 0);
    assert_memory_equal(e.hash, a, OKR_TOKEN_HASH_LEN);
    assert_int_equal(okr_sessions_find(f->store, f->txn, "abce33", 7, NOW, &e), 0);
    assert_memory_equal(e.hash, c, OKR_TOKEN_HASH_LEN);
    /* Expired, unknown, not hex, too long. */
    assert_int_equal(okr_sessions_find(f->store, f->txn, "123456", 0, NOW, &e), OKR_E_NOT_FOUND);
    assert_int_equal(okr_sessions_find(f->store, f->txn, "ffffff", 0, NOW, &e), OKR_E_NOT_FOUND);
    assert_int_equal(okr_sessions_find(f->store, f->txn, "abcdxx", 0, NOW, &e), OKR_E_BAD_REQUEST);
    char longer[2 * OKR_TOKEN_HASH_LEN + 2];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(okr_sessions_find(f->store, f->txn, longer, 0, NOW, &e), OKR_E_BAD_REQUEST);
    /* The whole hash, 64 digits. */
    char full[2 * OKR_TOKEN_HASH_LEN + 1];
    for (size_t i = 0; i < OKR_TOKEN_HASH_LEN; i++)
        snprintf(full + 2 * i, 3, "%02x", c[i]);
    assert_int_equal(okr_sessions_find(f->store, f->txn, full, 0, NOW, &e), 0);
    assert_memory_equal(e.hash, c, OKR_TOKEN_HASH_LEN);
}

/* Every write keeps the index in step: put, put over the same hash,
 * delete, delete_for_user, the sweep and the cap. */
static void test_index_follows_writes(void **state)
{
    fixture_t *f = *state;
    uint8_t a[OKR_TOKEN_HASH_LEN], b[OKR_TOKEN_HASH_LEN], c[OKR_TOKEN_HASH_LEN];
    uint8_t d[OKR_TOKEN_HASH_LEN], x[OKR_TOKEN_HASH_LEN], h[OKR_TOKEN_HASH_LEN];
    put(f, 0x10, 0, 1, 7, NOW - 300, NOW + 1000, a);
    put(f, 0x20, 0, 2, 7, NOW - 200, NOW + 1000, b);
    put(f, 0x30, 0, 3, 7, NOW - 100, NOW - 1, c); /* expired */
    put(f, 0x40, 0, 4, 8, NOW - 100, NOW + 1000, d);
    put(f, 0x50, 0, 5, 9, NOW - 100, NOW + 1000, x);
    assert_int_equal(index_count(f), 5);
    assert_index_in_step(f);

    /* The same hash again, now another user's: filed under that user only. */
    put(f, 0x50, 0, 5, 8, NOW - 50, NOW + 1000, x);
    assert_int_equal(index_count(f), 5);
    assert_index_in_step(f);

    /* Deleting one, and one that is gone already. */
    assert_int_equal(okr_sessions_delete(f->store, f->txn, a), 0);
    assert_int_equal(okr_sessions_delete(f->store, f->txn, a), 0);
    assert_int_equal(index_count(f), 4);
    assert_index_in_step(f);

    /* The sweep takes the expired one with its entry. */
    size_t deleted;
    int more;
    assert_int_equal(okr_sessions_sweep(f->store, f->txn, NOW, NULL, 100, &deleted, h, &more), 0);
    assert_int_equal(deleted, 1);
    assert_false(exists(f, c));
    assert_int_equal(index_count(f), 3);
    assert_index_in_step(f);

    /* The cap, over two of user 8's. */
    uint8_t(*ev)[OKR_TOKEN_HASH_LEN];
    size_t n;
    assert_int_equal(okr_sessions_cap_user(f->store, f->txn, 8, 1, NULL, NOW, &ev, &n), 0);
    assert_int_equal(n, 1);
    assert_memory_equal(ev[0], d, OKR_TOKEN_HASH_LEN);
    free(ev);
    assert_int_equal(index_count(f), 2);
    assert_index_in_step(f);

    /* All of a user's but the one kept, then all. */
    put(f, 0x60, 0, 6, 7, NOW - 10, NOW + 1000, h);
    assert_int_equal(okr_sessions_delete_for_user(f->store, f->txn, 7, h), 0);
    assert_true(exists(f, h));
    assert_false(exists(f, b));
    assert_int_equal(index_count(f), 2);
    assert_index_in_step(f);
    assert_int_equal(okr_sessions_delete_for_user(f->store, f->txn, 7, NULL), 0);
    assert_int_equal(okr_sessions_delete_for_user(f->store, f->txn, 8, NULL), 0);
    assert_int_equal(count(f), 0);
    assert_int_equal(index_count(f), 0);
}

/* A session stored without its entry, as okrd never writes one. */
static void put_unindexed(fixture_t *f, uint8_t b0, uint64_t user, uint8_t hash[OKR_TOKEN_HASH_LEN])
{
    memset(hash, 0x77, OKR_TOKEN_HASH_LEN);
    hash[0] = b0;
    Okr__SessionRecord rec = OKR__SESSION_RECORD__INIT;
    rec.user_id = user;
    rec.created_at = NOW - 1;
    rec.expires_at = NOW + 1000;
    assert_int_equal(
        okr_store_put_msg(f->store, f->txn, OKR_DB_SESSIONS, hash, OKR_TOKEN_HASH_LEN, &rec.base),
        0);
}

/* The list, the cap and ending a user's sessions read the user's range of
 * the index, not every session: one missing from it is not seen, and an
 * entry without its session (or filed under the wrong user) is passed
 * over. */
static void test_index_is_what_is_read(void **state)
{
    fixture_t *f = *state;
    uint8_t a[OKR_TOKEN_HASH_LEN], hidden[OKR_TOKEN_HASH_LEN], other[OKR_TOKEN_HASH_LEN];
    put(f, 0x10, 0, 1, 7, NOW - 300, NOW + 1000, a);
    put(f, 0x20, 0, 2, 8, NOW - 300, NOW + 1000, other);
    put_unindexed(f, 0x30, 7, hidden);
    uint8_t key[OKR_SESSION_INDEX_KEY_LEN], ghost[OKR_TOKEN_HASH_LEN];
    memset(ghost, 0xee, sizeof ghost);
    okr_session_index_key(key, 7, NOW - 5, ghost);
    assert_int_equal(
        okr_store_put(f->store, f->txn, OKR_DB_IDX_USER_SESSIONS, key, sizeof key, "", 0), 0);
    okr_session_index_key(key, 7, NOW - 5, other); /* user 8's session, filed under 7 */
    assert_int_equal(
        okr_store_put(f->store, f->txn, OKR_DB_IDX_USER_SESSIONS, key, sizeof key, "", 0), 0);

    okr_session_entry_t *e;
    size_t n;
    assert_int_equal(okr_sessions_of_user(f->store, f->txn, 7, NOW, &e, &n), 0);
    assert_int_equal(n, 1);
    assert_memory_equal(e[0].hash, a, OKR_TOKEN_HASH_LEN);
    free(e);

    uint8_t(*ev)[OKR_TOKEN_HASH_LEN];
    assert_int_equal(okr_sessions_cap_user(f->store, f->txn, 7, 1, NULL, NOW, &ev, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(okr_sessions_delete_for_user(f->store, f->txn, 7, NULL), 0);
    assert_false(exists(f, a));
    assert_true(exists(f, hidden));
    assert_true(exists(f, other));
}

/* A user's range ends where the next user's starts, at both ends of the
 * ids too. */
static void test_index_user_ranges(void **state)
{
    fixture_t *f = *state;
    uint8_t h[OKR_TOKEN_HASH_LEN];
    const uint64_t users[] = {0, 1, 2, UINT64_MAX - 1, UINT64_MAX};
    for (uint8_t i = 0; i < 5; i++) {
        put(f, (uint8_t)(0x10 * i), 0, i, users[i], NOW - 100, NOW + 1000, h);
        put(f, (uint8_t)(0x10 * i), 1, i, users[i], NOW - 50, NOW + 1000, h);
    }
    for (size_t i = 0; i < 5; i++) {
        okr_session_entry_t *e;
        size_t n;
        assert_int_equal(okr_sessions_of_user(f->store, f->txn, users[i], NOW, &e, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(e[0].user_id, users[i]);
        assert_int_equal(e[0].created_at, NOW - 50);
        assert_int_equal(e[1].created_at, NOW - 100);
        free(e);
    }
    assert_int_equal(okr_sessions_delete_for_user(f->store, f->txn, UINT64_MAX, NULL), 0);
    assert_int_equal(okr_sessions_delete_for_user(f->store, f->txn, 0, NULL), 0);
    assert_int_equal(count(f), 6);
    assert_index_in_step(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sweep_in_rounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_empty_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_of_user_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_evicts_oldest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_by_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_follows_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_is_what_is_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_user_ranges, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
