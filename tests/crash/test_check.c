/* Unit tests for okrd --check (server/check.c): a sound store passes, and each
 * kind of damage it is meant to find — a missing or stray index entry (the
 * records' indexes and the sessions' by user), a stale progress figure, a
 * gap in the change log, a record that does not unpack — is found, on a
 * real temporary LMDB store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "clock.h"
#include "domain.h"
#include "keys.h"
#include "okr_error.h"
#include "rollup.h"
#include "session_store.h"
#include "users.h"

#define DAY_MS INT64_C(86400000)

typedef struct fixture {
    char dir[64];
    okr_store_t *store;
    uint64_t cycle, parent, obj, kr[2], checkin;
} fixture_t;

static uint64_t new_id(okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind)
{
    uint64_t id;
    assert_int_equal(okr_entity_new_id(s, txn, kind, &id), 0);
    return id;
}

static void record(okr_store_t *s, MDB_txn *txn, Okr__EntityKind kind, uint64_t id,
                   const ProtobufCMessage *m)
{
    assert_int_equal(
        okr_change_record(s, txn, 1, OKR__CHANGE_OP__CHANGE_OP_CREATE, kind, id, m, NULL, NULL), 0);
}

static uint64_t add_objective(fixture_t *f, MDB_txn *txn, uint64_t parent)
{
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.id = new_id(f->store, txn, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE);
    o.title = "objective";
    o.cycle_id = f->cycle;
    o.parent_id = parent;
    o.owner_user_id = 1;
    assert_int_equal(okr_objective_save(f->store, txn, NULL, &o), 0);
    record(f->store, txn, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, o.id, &o.base);
    return o.id;
}

static uint64_t add_kr(fixture_t *f, MDB_txn *txn, double start, double target, double weight)
{
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.id = new_id(f->store, txn, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT);
    k.objective_id = f->obj;
    k.title = "key result";
    k.metric = OKR__METRIC__METRIC_NUMBER;
    k.start = start;
    k.target = target;
    k.current = start;
    k.weight = weight;
    k.owner_user_id = 1;
    assert_int_equal(okr_kr_save(f->store, txn, NULL, &k), 0);
    record(f->store, txn, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, k.id, &k.base);
    return k.id;
}

/* A check-in the way handle_checkin.c makes one: key result, roll-up, change. */
static uint64_t add_checkin(fixture_t *f, MDB_txn *txn, uint64_t kr_id, double value)
{
    Okr__KeyResult *kr;
    assert_int_equal(okr_kr_get(f->store, txn, kr_id, &kr), 0);
    Okr__CheckIn c = OKR__CHECK_IN__INIT;
    c.id = new_id(f->store, txn, OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN);
    c.key_result_id = kr_id;
    c.author_id = 1;
    c.time = okr_wall_ms();
    c.value = value;
    c.previous_value = kr->current;
    kr->current = value;
    kr->progress = okr_rollup_kr_progress(f->store, txn, kr);
    c.progress = kr->progress;
    assert_int_equal(okr_kr_save(f->store, txn, kr, kr), 0);
    assert_int_equal(okr_checkin_add(f->store, txn, &c), 0);
    okr_updates_t u = {0};
    assert_int_equal(okr_rollup(f->store, txn, kr->objective_id, c.time, &u), 0);
    okr_updates_free(&u);
    record(f->store, txn, OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN, c.id, &c.base);
    okr__key_result__free_unpacked(kr, NULL);
    return c.id;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/okr-check-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    okr_store_opts_t opts = {.dir = f->dir};
    char err[256];
    assert_int_equal(okr_store_open(&f->store, &opts, err, sizeof err), 0);
    MDB_txn *txn;
    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    Okr__Cycle c = OKR__CYCLE__INIT;
    c.id = f->cycle = new_id(f->store, txn, OKR__ENTITY_KIND__ENTITY_KIND_CYCLE);
    c.name = "2026-Q1";
    c.start_at = okr_wall_ms() - 10 * DAY_MS;
    c.end_at = okr_wall_ms() + 80 * DAY_MS;
    c.state = OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE;
    assert_int_equal(okr_cycle_save(f->store, txn, NULL, &c), 0);
    record(f->store, txn, OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, c.id, &c.base);
    f->parent = add_objective(f, txn, 0);
    f->obj = add_objective(f, txn, f->parent);
    f->kr[0] = add_kr(f, txn, 0, 100, 1);
    f->kr[1] = add_kr(f, txn, 50, 10, 3);
    f->checkin = add_checkin(f, txn, f->kr[0], 40);
    add_checkin(f, txn, f->kr[1], 30);
    add_checkin(f, txn, f->kr[0], 70);
    assert_int_equal(okr_store_write_commit(f->store, txn), 0);
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

static uint64_t problems(fixture_t *f)
{
    uint64_t n = 99;
    /* OKR_TEST_VERBOSE=1 shows what the check prints. */
    FILE *out = getenv("OKR_TEST_VERBOSE") ? stdout : fopen("/dev/null", "w");
    assert_non_null(out);
    assert_int_equal(okr_check_store(f->store, out, &n), 0);
    if (out != stdout)
        fclose(out);
    return n;
}

/* Runs fn in a write transaction and commits. */
static void damage(fixture_t *f, void (*fn)(fixture_t *f, MDB_txn *txn))
{
    MDB_txn *txn;
    assert_int_equal(okr_store_write_begin(f->store, &txn), 0);
    fn(f, txn);
    assert_int_equal(okr_store_write_commit(f->store, txn), 0);
}

static void test_sound_store_passes(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(problems(f), 0);
}

/* Expired sessions are counted, not problems: okrd deletes them itself. */
static void add_sessions(fixture_t *f, MDB_txn *txn)
{
    Okr__User u = OKR__USER__INIT;
    u.username = "pat";
    u.display_name = "Pat";
    u.role = OKR__ROLE__ROLE_MEMBER;
    u.active = 1;
    Okr__UserRecord rec = OKR__USER_RECORD__INIT;
    rec.user = &u;
    rec.password_hash = "x";
    assert_int_equal(okr_users_insert(f->store, txn, &rec, 0), 0);
    for (int i = 0; i < 3; i++) {
        uint8_t hash[OKR_TOKEN_HASH_LEN] = {(uint8_t)(i + 1)};
        Okr__SessionRecord sess = OKR__SESSION_RECORD__INIT;
        sess.user_id = u.id;
        sess.created_at = okr_wall_ms() - 40 * DAY_MS;
        sess.expires_at = okr_wall_ms() + (i == 0 ? DAY_MS : -DAY_MS); /* two have expired */
        assert_int_equal(okr_session_store_put(f->store, txn, hash, &sess), 0);
    }
}

/* What the check prints (the caller frees it); *n the problems found. */
static char *check_text(fixture_t *f, uint64_t *n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    *n = 99;
    assert_int_equal(okr_check_store(f->store, out, n), 0);
    fclose(out);
    return text;
}

static void test_expired_sessions_counted(void **state)
{
    fixture_t *f = *state;
    damage(f, add_sessions);
    uint64_t n;
    char *text = check_text(f, &n);
    assert_int_equal(n, 0);
    if (!strstr(text, "sessions: 3 (2 expired, deleted at okrd's next sweep)"))
        fail_msg("okrd --check said:\n%s", text);
    free(text);
}

/* The first of add_sessions' sessions (hash 01 00 ...) and its index key. */
static void first_session(fixture_t *f, MDB_txn *txn, uint8_t hash[OKR_TOKEN_HASH_LEN],
                          uint8_t key[OKR_SESSION_INDEX_KEY_LEN])
{
    memset(hash, 0, OKR_TOKEN_HASH_LEN);
    hash[0] = 1;
    Okr__SessionRecord *rec;
    assert_int_equal(okr_store_get_msg(f->store, txn, OKR_DB_SESSIONS, hash, OKR_TOKEN_HASH_LEN,
                                       &okr__session_record__descriptor, (ProtobufCMessage **)&rec),
                     0);
    okr_session_index_key(key, rec->user_id, rec->created_at, hash);
    okr__session_record__free_unpacked(rec, NULL);
}

static void drop_session_entry(fixture_t *f, MDB_txn *txn)
{
    add_sessions(f, txn);
    uint8_t hash[OKR_TOKEN_HASH_LEN], key[OKR_SESSION_INDEX_KEY_LEN];
    first_session(f, txn, hash, key);
    assert_int_equal(okr_store_del(f->store, txn, OKR_DB_IDX_USER_SESSIONS, key, sizeof key), 0);
}

static void test_missing_session_entry(void **state)
{
    fixture_t *f = *state;
    damage(f, drop_session_entry);
    uint64_t n;
    char *text = check_text(f, &n);
    if (n != 1 || !strstr(text, "session 0100000000000000 is missing from idx_user_sessions"))
        fail_msg("okrd --check found %llu problems:\n%s", (unsigned long long)n, text);
    free(text);
}

static void stray_session_entries(fixture_t *f, MDB_txn *txn)
{
    add_sessions(f, txn);
    uint8_t hash[OKR_TOKEN_HASH_LEN], key[OKR_SESSION_INDEX_KEY_LEN];
    first_session(f, txn, hash, key);
    /* The same session also filed under another user, at another time. */
    uint8_t other[OKR_SESSION_INDEX_KEY_LEN];
    okr_session_index_key(other, 999, 12345, hash);
    assert_int_equal(
        okr_store_put(f->store, txn, OKR_DB_IDX_USER_SESSIONS, other, sizeof other, "", 0), 0);
    /* An entry that names no session. */
    hash[0] = 0x42;
    okr_session_index_key(key, 1, 12345, hash);
    assert_int_equal(okr_store_put(f->store, txn, OKR_DB_IDX_USER_SESSIONS, key, sizeof key, "", 0),
                     0);
}

static void test_stray_session_entries(void **state)
{
    fixture_t *f = *state;
    damage(f, stray_session_entries);
    assert_int_equal(problems(f), 2);
}

static void drop_kr_index(fixture_t *f, MDB_txn *txn)
{
    uint8_t key[2 * OKR_KEY_U64_LEN];
    okr_key_put_u64_pair(key, f->obj, f->kr[1]);
    assert_int_equal(okr_store_del(f->store, txn, OKR_DB_IDX_OBJECTIVE_KRS, key, sizeof key), 0);
}

static void test_missing_index_entry(void **state)
{
    fixture_t *f = *state;
    damage(f, drop_kr_index);
    /* The record lacks its entry, and the objective's figures no longer
     * follow from the key results the index lists. */
    assert_true(problems(f) >= 1);
}

static void stray_index_entry(fixture_t *f, MDB_txn *txn)
{
    uint8_t key[2 * OKR_KEY_U64_LEN];
    okr_key_put_u64_pair(key, f->kr[1], f->checkin); /* filed under the wrong key result */
    assert_int_equal(okr_store_put(f->store, txn, OKR_DB_IDX_KR_CHECKINS, key, sizeof key, "", 0),
                     0);
    okr_key_put_u64_pair(key, f->obj, 999); /* names no key result */
    assert_int_equal(okr_store_put(f->store, txn, OKR_DB_IDX_OBJECTIVE_KRS, key, sizeof key, "", 0),
                     0);
}

static void test_stray_index_entries(void **state)
{
    fixture_t *f = *state;
    damage(f, stray_index_entry);
    assert_int_equal(problems(f), 2);
}

static void stale_progress(fixture_t *f, MDB_txn *txn)
{
    Okr__Objective *o;
    assert_int_equal(okr_objective_get(f->store, txn, f->parent, &o), 0);
    o->progress += 0.25;
    assert_int_equal(okr_objective_save(f->store, txn, o, o), 0);
    okr__objective__free_unpacked(o, NULL);
}

static void test_stale_progress(void **state)
{
    fixture_t *f = *state;
    damage(f, stale_progress);
    assert_int_equal(problems(f), 1);
}

static void change_gap(fixture_t *f, MDB_txn *txn)
{
    (void)f;
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, 3);
    assert_int_equal(okr_store_del(f->store, txn, OKR_DB_CHANGES, key, sizeof key), 0);
}

static void test_change_log_gap(void **state)
{
    fixture_t *f = *state;
    damage(f, change_gap);
    /* The gap, and the entity index entry that names the missing change. */
    assert_int_equal(problems(f), 2);
}

static void garbage_record(fixture_t *f, MDB_txn *txn)
{
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, f->checkin);
    static const uint8_t junk[] = {0xff, 0xff, 0xff};
    assert_int_equal(
        okr_store_put(f->store, txn, OKR_DB_CHECKINS, key, sizeof key, junk, sizeof junk), 0);
}

static void test_garbage_record(void **state)
{
    fixture_t *f = *state;
    damage(f, garbage_record);
    assert_true(problems(f) >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sound_store_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_sessions_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_index_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stray_index_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_session_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stray_session_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_progress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_log_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_record, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
