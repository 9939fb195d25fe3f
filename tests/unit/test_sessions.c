/* Unit tests for the sessions' housekeeping (server/sessions.c) on a real
 * temporary LMDB store: the sweep in rounds, the cap per user, a user's
 * list, finding a session by a prefix of its id. */
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
    assert_int_equal(okr_sessions_put(f->store, f->txn, hash, &rec), 0);
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

static size_t count(fixture_t *f)
{
    MDB_stat st;
    assert_int_equal(mdb_stat(f->txn, okr_store_dbi(f->store, OKR_DB_SESSIONS), &st), 0);
    return st.ms_entries;
}

static int exists(fixture_t *f, const uint8_t hash[OKR_TOKEN_HASH_LEN])
{
    MDB_val v;
    return okr_store_get(f->store, f->txn, OKR_DB_SESSIONS, hash, OKR_TOKEN_HASH_LEN, &v) == 0;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sweep_in_rounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_empty_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_of_user_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_evicts_oldest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_by_prefix, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
