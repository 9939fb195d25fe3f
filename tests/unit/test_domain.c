/* Unit tests for the domain store (indexes, names, change log), the ACL rules
 * and the roll-up, on a real temporary LMDB store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "clock.h"
#include "cycle_scan.h"
#include "domain.h"
#include "keys.h"
#include "okr_error.h"
#include "rollup.h"

typedef struct fixture {
    char dir[64];
    okr_store_t *store;
    MDB_txn *txn; /* one write transaction per test */
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/okr-domain-XXXXXX");
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

static uint64_t new_id(fixture_t *f, Okr__EntityKind kind)
{
    uint64_t id;
    assert_int_equal(okr_entity_new_id(f->store, f->txn, kind, &id), 0);
    return id;
}

static uint64_t add_cycle(fixture_t *f, const char *name, int64_t start, int64_t end)
{
    Okr__Cycle c = OKR__CYCLE__INIT;
    c.id = new_id(f, OKR__ENTITY_KIND__ENTITY_KIND_CYCLE);
    c.name = (char *)name;
    c.start_at = start;
    c.end_at = end;
    c.state = OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE;
    assert_int_equal(okr_cycle_save(f->store, f->txn, NULL, &c), 0);
    return c.id;
}

static uint64_t add_objective(fixture_t *f, uint64_t cycle, uint64_t parent, uint64_t owner,
                              uint64_t team, Okr__Visibility vis)
{
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.id = new_id(f, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE);
    o.title = "objective";
    o.cycle_id = cycle;
    o.parent_id = parent;
    o.owner_user_id = owner;
    o.team_id = team;
    o.visibility = vis;
    o.state = OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE;
    assert_int_equal(okr_objective_save(f->store, f->txn, NULL, &o), 0);
    return o.id;
}

static uint64_t add_kr(fixture_t *f, uint64_t objective, double start, double target,
                       double current, double weight, uint64_t linked)
{
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.id = new_id(f, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT);
    k.objective_id = objective;
    k.title = "kr";
    k.metric = OKR__METRIC__METRIC_NUMBER;
    k.start = start;
    k.target = target;
    k.current = current;
    k.weight = weight;
    k.linked_objective_id = linked;
    assert_int_equal(okr_kr_save(f->store, f->txn, NULL, &k), 0);
    return k.id;
}

static double progress_of(fixture_t *f, uint64_t objective)
{
    Okr__Objective *o;
    assert_int_equal(okr_objective_get(f->store, f->txn, objective, &o), 0);
    double p = o->progress;
    okr__objective__free_unpacked(o, NULL);
    return p;
}

static int collect(void *arg, uint64_t b)
{
    uint64_t *out = arg;
    out[++out[0]] = b;
    return 0;
}

static void test_indexes_follow_saves(void **state)
{
    fixture_t *f = *state;
    uint64_t c1 = add_cycle(f, "2026-Q1", 0, 1000), c2 = add_cycle(f, "2026-Q2", 1000, 2000);
    uint64_t o = add_objective(f, c1, 0, 7, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    assert_int_equal(okr_index_count(f->store, f->txn, OKR_DB_IDX_CYCLE_OBJECTIVES, c1), 1);
    assert_int_equal(okr_index_count(f->store, f->txn, OKR_DB_IDX_USER_OBJECTIVES, 7), 1);

    /* Moving the objective to another cycle and owner moves its entries. */
    Okr__Objective *old;
    assert_int_equal(okr_objective_get(f->store, f->txn, o, &old), 0);
    Okr__Objective *moved = (Okr__Objective *)okr_msg_dup(&old->base);
    moved->cycle_id = c2;
    moved->owner_user_id = 8;
    assert_int_equal(okr_objective_save(f->store, f->txn, old, moved), 0);
    assert_int_equal(okr_index_count(f->store, f->txn, OKR_DB_IDX_CYCLE_OBJECTIVES, c1), 0);
    assert_int_equal(okr_index_count(f->store, f->txn, OKR_DB_IDX_CYCLE_OBJECTIVES, c2), 1);
    assert_int_equal(okr_index_count(f->store, f->txn, OKR_DB_IDX_USER_OBJECTIVES, 7), 0);
    assert_int_equal(okr_index_count(f->store, f->txn, OKR_DB_IDX_USER_OBJECTIVES, 8), 1);

    /* Delete removes every entry. */
    assert_int_equal(okr_objective_delete(f->store, f->txn, moved), 0);
    assert_int_equal(okr_index_count(f->store, f->txn, OKR_DB_IDX_CYCLE_OBJECTIVES, c2), 0);
    assert_int_equal(okr_index_count(f->store, f->txn, OKR_DB_IDX_USER_OBJECTIVES, 8), 0);
    Okr__Objective *gone;
    assert_int_equal(okr_objective_get(f->store, f->txn, o, &gone), OKR_E_NOT_FOUND);
    okr__objective__free_unpacked(old, NULL);
    okr__objective__free_unpacked(moved, NULL);
}

static void test_index_paging(void **state)
{
    fixture_t *f = *state;
    uint64_t c = add_cycle(f, "paging", 0, 1000);
    uint64_t ids[6];
    for (int i = 0; i < 6; i++)
        ids[i] = add_objective(f, c, 0, 1, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    uint64_t got[16] = {0};
    okr_index_each(f->store, f->txn, OKR_DB_IDX_CYCLE_OBJECTIVES, c, ids[2], collect, got);
    assert_int_equal(got[0], 3); /* strictly after ids[2], ascending */
    assert_int_equal(got[1], ids[3]);
    assert_int_equal(got[3], ids[5]);
    /* Other cycles' entries never leak into the range. */
    add_objective(f, c + 1000, 0, 1, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    memset(got, 0, sizeof got);
    okr_index_each(f->store, f->txn, OKR_DB_IDX_CYCLE_OBJECTIVES, c, 0, collect, got);
    assert_int_equal(got[0], 6);
}

/* okr_index_has: exactly the pairs saved; okr_entity_each_desc: every
 * record of a kind, newest first, stopping when the callback says so. */
static int collect_until_3(void *arg, uint64_t b)
{
    uint64_t *out = arg;
    out[++out[0]] = b;
    return out[0] == 3 ? 42 : 0;
}

static void test_index_has_and_newest_first(void **state)
{
    fixture_t *f = *state;
    uint64_t c = add_cycle(f, "desc", 0, 1000);
    uint64_t ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = add_objective(f, c, 0, 7, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    assert_int_equal(okr_index_has(f->store, f->txn, OKR_DB_IDX_USER_OBJECTIVES, 7, ids[2]), 1);
    assert_int_equal(okr_index_has(f->store, f->txn, OKR_DB_IDX_USER_OBJECTIVES, 8, ids[2]), 0);
    assert_int_equal(okr_index_has(f->store, f->txn, OKR_DB_IDX_USER_OBJECTIVES, 7, ids[4] + 1), 0);

    uint64_t got[16] = {0};
    assert_int_equal(okr_entity_each_desc(f->store, f->txn, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE,
                                          0, collect, got),
                     0);
    assert_int_equal(got[0], 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(got[1 + i], ids[4 - i]);
    /* a kind with no records at all */
    memset(got, 0, sizeof got);
    assert_int_equal(okr_entity_each_desc(f->store, f->txn, OKR__ENTITY_KIND__ENTITY_KIND_COMMENT,
                                          0, collect, got),
                     0);
    assert_int_equal(got[0], 0);
    /* below an id: a record's own id, one between records, one above all */
    memset(got, 0, sizeof got);
    okr_entity_each_desc(f->store, f->txn, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, ids[3], collect,
                         got);
    assert_int_equal(got[0], 3);
    assert_int_equal(got[1], ids[2]);
    assert_int_equal(got[3], ids[0]);
    memset(got, 0, sizeof got);
    okr_entity_each_desc(f->store, f->txn, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, ids[0], collect,
                         got);
    assert_int_equal(got[0], 0);
    memset(got, 0, sizeof got);
    okr_entity_each_desc(f->store, f->txn, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, ids[4] + 100,
                         collect, got);
    assert_int_equal(got[0], 5);
    assert_int_equal(got[1], ids[4]);
    /* the callback's non-zero stops the walk and is returned */
    memset(got, 0, sizeof got);
    assert_int_equal(okr_entity_each_desc(f->store, f->txn, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE,
                                          0, collect_until_3, got),
                     42);
    assert_int_equal(got[0], 3);
    assert_int_equal(got[3], ids[2]);
}

/* The walk of a list "since" (cycle_scan.c): only the cycle's records the
 * caller may read, newest first, stopping at the first older than since;
 * a page ends when full or when its budget of records looked at is spent,
 * and the next one goes on below without losing or repeating a record. */
static int load_comment(okr_store_t *s, MDB_txn *txn, uint64_t id, ProtobufCMessage **out)
{
    return okr_comment_get(s, txn, id, (Okr__Comment **)out);
}

static int judge_comment(okr_cycle_scan_t *cs, const ProtobufCMessage *m, int64_t since)
{
    const Okr__Comment *c = (const Okr__Comment *)m;
    if (c->time < since)
        return OKR_SINCE_STOP;
    return okr_cycle_scan_objective(cs, c->objective_id) ? OKR_SINCE_KEEP : OKR_SINCE_SKIP;
}

static uint64_t add_comment(fixture_t *f, uint64_t objective, int64_t time)
{
    Okr__Comment c = OKR__COMMENT__INIT;
    c.id = new_id(f, OKR__ENTITY_KIND__ENTITY_KIND_COMMENT);
    c.objective_id = objective;
    c.author_id = 1;
    c.time = time;
    c.body = "hello";
    assert_int_equal(okr_comment_add(f->store, f->txn, &c), 0);
    return c.id;
}

static void test_since_walk(void **state)
{
    fixture_t *f = *state;
    uint64_t cycle = add_cycle(f, "since", 0, 1000), other = add_cycle(f, "since-2", 0, 1000);
    uint64_t team = 77; /* the caller is in no team: its team-only objective is hidden */
    uint64_t mine = add_objective(f, cycle, 0, 5, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    uint64_t hidden = add_objective(f, cycle, 0, 6, team, OKR__VISIBILITY__VISIBILITY_TEAM);
    uint64_t elsewhere = add_objective(f, other, 0, 5, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    add_comment(f, mine, 10); /* before since */
    /* what the caller should get: the comments on `mine` since 100, newest
     * first, between others' it may not read and another cycle's */
    uint64_t want[3];
    size_t nwant = 0;
    for (int i = 6; i >= 0; i--) {
        uint64_t on = i % 3 == 0 ? mine : i % 3 == 1 ? hidden : elsewhere;
        uint64_t id = add_comment(f, on, 200 - i); /* ids and times ascend together */
        if (on == mine)
            want[2 - nwant++] = id;
    }
    assert_int_equal(nwant, 3);

    Okr__User user = OKR__USER__INIT;
    user.id = 5;
    user.role = OKR__ROLE__ROLE_MEMBER;
    for (size_t budget = 1; budget <= 9; budget += 4)
        for (size_t limit = 1; limit <= 4; limit += 3) {
            size_t got = 0;
            uint64_t below = 0;
            for (int pages = 0;; pages++) {
                assert_true(pages < 20);
                okr_since_list_t l = {
                    .load = load_comment, .judge = judge_comment, .since = 100, .limit = limit};
                l.budget = budget;
                okr_cycle_scan_init(&l.cs, f->store, f->txn, &user, cycle);
                assert_int_equal(
                    okr_since_list_run(&l, OKR__ENTITY_KIND__ENTITY_KIND_COMMENT, below), 0);
                assert_true(l.n <= limit);
                assert_true(l.examined <= budget);
                for (size_t i = 0; i < l.n; i++) {
                    assert_true(got < nwant);
                    assert_int_equal(((Okr__Comment *)l.items[i])->id, want[got]);
                    got++;
                }
                uint64_t next = l.next_below;
                okr_since_list_free(&l);
                if (!next)
                    break;
                assert_true(below == 0 || next < below);
                below = next;
            }
            assert_int_equal(got, nwant);
        }
}

/* okr_index_each_desc: one key's entries, newest first, whether a key
 * follows it in the index or it is the last; none for a key without
 * entries; the callback's stop. */
static void test_index_newest_first(void **state)
{
    fixture_t *f = *state;
    uint64_t ids[4];
    add_objective(f, 0, 0, 5, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC); /* the key below */
    for (int i = 0; i < 4; i++)
        ids[i] = add_objective(f, 0, 0, 7, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    add_objective(f, 0, 0, 5, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    uint64_t got[16] = {0};
    /* 7 is the last key */
    assert_int_equal(
        okr_index_each_desc(f->store, f->txn, OKR_DB_IDX_USER_OBJECTIVES, 7, collect, got), 0);
    assert_int_equal(got[0], 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(got[1 + i], ids[3 - i]);
    /* 8 follows it */
    uint64_t above = add_objective(f, 0, 0, 8, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    memset(got, 0, sizeof got);
    assert_int_equal(
        okr_index_each_desc(f->store, f->txn, OKR_DB_IDX_USER_OBJECTIVES, 7, collect, got), 0);
    assert_int_equal(got[0], 4);
    assert_int_equal(got[1], ids[3]);
    assert_int_equal(got[4], ids[0]);
    memset(got, 0, sizeof got);
    assert_int_equal(
        okr_index_each_desc(f->store, f->txn, OKR_DB_IDX_USER_OBJECTIVES, 8, collect, got), 0);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], above);
    /* no entries: between two keys, before the first, after the last */
    static const uint64_t empty[] = {6, 1, 9, UINT64_MAX};
    for (size_t i = 0; i < sizeof empty / sizeof *empty; i++) {
        memset(got, 0, sizeof got);
        assert_int_equal(okr_index_each_desc(f->store, f->txn, OKR_DB_IDX_USER_OBJECTIVES, empty[i],
                                             collect, got),
                         0);
        assert_int_equal(got[0], 0);
    }
    /* the callback's non-zero stops the walk and is returned */
    memset(got, 0, sizeof got);
    assert_int_equal(
        okr_index_each_desc(f->store, f->txn, OKR_DB_IDX_USER_OBJECTIVES, 7, collect_until_3, got),
        42);
    assert_int_equal(got[0], 3);
    assert_int_equal(got[3], ids[1]);
}

static void test_unique_names(void **state)
{
    fixture_t *f = *state;
    Okr__Team t = OKR__TEAM__INIT;
    t.id = new_id(f, OKR__ENTITY_KIND__ENTITY_KIND_TEAM);
    t.name = "Sales";
    assert_int_equal(okr_team_save(f->store, f->txn, NULL, &t), 0);
    Okr__Team u = OKR__TEAM__INIT;
    u.id = new_id(f, OKR__ENTITY_KIND__ENTITY_KIND_TEAM);
    u.name = "SALES";
    assert_int_equal(okr_team_save(f->store, f->txn, NULL, &u), OKR_E_CONFLICT);
    u.name = "销售";
    assert_int_equal(okr_team_save(f->store, f->txn, NULL, &u), 0);
    uint64_t id;
    assert_int_equal(okr_team_find(f->store, f->txn, "sales", &id), 0);
    assert_int_equal(id, t.id);
    assert_int_equal(okr_team_find(f->store, f->txn, "销售", &id), 0);
    assert_int_equal(id, u.id);
    /* Renaming frees the old name. */
    Okr__Team renamed = t;
    renamed.name = "Revenue";
    assert_int_equal(okr_team_save(f->store, f->txn, &t, &renamed), 0);
    assert_int_equal(okr_team_find(f->store, f->txn, "Sales", &id), OKR_E_NOT_FOUND);
    assert_int_equal(okr_team_find(f->store, f->txn, "revenue", &id), 0);
    /* Roots are listed under parent 0. */
    assert_int_equal(okr_index_count(f->store, f->txn, OKR_DB_IDX_TEAM_CHILDREN, 0), 2);
}

static void test_change_record_and_history(void **state)
{
    fixture_t *f = *state;
    Okr__CheckIn ci = OKR__CHECK_IN__INIT;
    ci.id = new_id(f, OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN);
    ci.key_result_id = 42;
    ci.value = 3;
    assert_int_equal(okr_checkin_add(f->store, f->txn, &ci), 0);
    uint64_t seq1, seq2;
    assert_int_equal(okr_change_record(f->store, f->txn, 5, OKR__CHANGE_OP__CHANGE_OP_CREATE,
                                       OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN, ci.id, &ci.base, NULL,
                                       &seq1),
                     0);
    assert_int_equal(okr_change_record(f->store, f->txn, 5, OKR__CHANGE_OP__CHANGE_OP_UPDATE,
                                       OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, 42, NULL, NULL,
                                       &seq2),
                     0);
    assert_true(seq2 == seq1 + 1);
    /* The check-in shows in its key result's history too, in order. */
    uint64_t got[8] = {0};
    okr_change_each(f->store, f->txn, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, 42, 0, collect,
                    got);
    assert_int_equal(got[0], 2);
    assert_int_equal(got[1], seq1);
    assert_int_equal(got[2], seq2);
    uint8_t key[8];
    okr_key_put_u64(key, seq1);
    Okr__Change *c;
    assert_int_equal(okr_store_get_msg(f->store, f->txn, OKR_DB_CHANGES, key, 8,
                                       &okr__change__descriptor, (ProtobufCMessage **)&c),
                     0);
    assert_int_equal(c->actor_id, 5);
    assert_int_equal(c->entity_case, OKR__CHANGE__ENTITY_CHECKIN);
    assert_true(c->checkin->value == 3);
    okr__change__free_unpacked(c, NULL);
}

/* Company O1 <- department O2 <- team O3 (with key results): a change at the
 * bottom moves all three, nearest first. */
static void test_rollup_three_levels(void **state)
{
    fixture_t *f = *state;
    uint64_t c = add_cycle(f, "rollup", 0, INT64_MAX / 2);
    uint64_t o1 = add_objective(f, c, 0, 1, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    uint64_t o2 = add_objective(f, c, o1, 1, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    uint64_t o3 = add_objective(f, c, o2, 1, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    add_kr(f, o3, 0, 100, 50, 1, 0);  /* 0.5 */
    add_kr(f, o3, 100, 20, 20, 3, 0); /* decrease is better, reached: 1.0, weight 3 */
    okr_updates_t ups = {0};
    assert_int_equal(okr_rollup(f->store, f->txn, o3, okr_wall_ms(), &ups), 0);
    assert_int_equal(ups.n, 3);
    assert_int_equal(ups.items[0]->objective_id, o3);
    assert_int_equal(ups.items[1]->objective_id, o2);
    assert_int_equal(ups.items[2]->objective_id, o1);
    assert_true(fabs(ups.items[0]->progress - 0.875) < 1e-9); /* (0.5 + 3 * 1) / 4 */
    assert_true(fabs(progress_of(f, o2) - 0.875) < 1e-9);
    assert_true(fabs(progress_of(f, o1) - 0.875) < 1e-9);
    okr_updates_free(&ups);

    /* A second child halves the department's mean; nothing moves twice. */
    uint64_t o4 = add_objective(f, c, o2, 1, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    assert_int_equal(okr_rollup(f->store, f->txn, o4, okr_wall_ms(), &ups), 0);
    assert_true(fabs(progress_of(f, o2) - 0.4375) < 1e-9);
    assert_true(fabs(progress_of(f, o1) - 0.4375) < 1e-9);
    okr_updates_free(&ups);
    /* Unchanged: only the objective itself is reported. */
    assert_int_equal(okr_rollup(f->store, f->txn, o4, okr_wall_ms(), &ups), 0);
    assert_int_equal(ups.n, 1);
    okr_updates_free(&ups);
}

static void test_rollup_linked_key_result(void **state)
{
    fixture_t *f = *state;
    uint64_t c = add_cycle(f, "linked", 0, INT64_MAX / 2);
    uint64_t parent = add_objective(f, c, 0, 1, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    uint64_t child = add_objective(f, c, parent, 1, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    add_kr(f, parent, 0, 10, 10, 1, 0);                   /* 1.0 */
    uint64_t link = add_kr(f, parent, 0, 1, 0, 1, child); /* takes the child's progress */
    add_kr(f, child, 0, 4, 1, 1, 0);                      /* 0.25 */
    okr_updates_t ups = {0};
    assert_int_equal(okr_rollup(f->store, f->txn, child, okr_wall_ms(), &ups), 0);
    okr_updates_free(&ups);
    assert_true(fabs(progress_of(f, child) - 0.25) < 1e-9);
    assert_true(fabs(progress_of(f, parent) - 0.625) < 1e-9);
    Okr__KeyResult *k;
    assert_int_equal(okr_kr_get(f->store, f->txn, link, &k), 0);
    assert_true(fabs(k->progress - 0.25) < 1e-9);
    okr__key_result__free_unpacked(k, NULL);
}

static void test_rollup_survives_a_parent_loop(void **state)
{
    fixture_t *f = *state;
    /* Corrupt data (the handlers refuse loops): the walk still ends. */
    uint64_t c = add_cycle(f, "loop", 0, INT64_MAX / 2);
    uint64_t a = add_objective(f, c, 0, 1, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    uint64_t b = add_objective(f, c, a, 1, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    Okr__Objective *oa;
    assert_int_equal(okr_objective_get(f->store, f->txn, a, &oa), 0);
    Okr__Objective *looped = (Okr__Objective *)okr_msg_dup(&oa->base);
    looped->parent_id = b;
    assert_int_equal(okr_objective_save(f->store, f->txn, oa, looped), 0);
    add_kr(f, b, 0, 2, 1, 1, 0);
    okr_updates_t ups = {0};
    assert_int_equal(okr_rollup(f->store, f->txn, b, okr_wall_ms(), &ups), 0);
    okr_updates_free(&ups);
    okr__objective__free_unpacked(oa, NULL);
    okr__objective__free_unpacked(looped, NULL);
}

static void test_acl_team_visibility(void **state)
{
    fixture_t *f = *state;
    /* Company (lead 1) -> Sales (lead 2, member 3). User 4 is outside. */
    Okr__Team company = OKR__TEAM__INIT, sales = OKR__TEAM__INIT;
    uint64_t lead1 = 1, lead2 = 2, member3 = 3;
    company.id = new_id(f, OKR__ENTITY_KIND__ENTITY_KIND_TEAM);
    company.name = "Company";
    company.n_lead_ids = 1;
    company.lead_ids = &lead1;
    assert_int_equal(okr_team_save(f->store, f->txn, NULL, &company), 0);
    sales.id = new_id(f, OKR__ENTITY_KIND__ENTITY_KIND_TEAM);
    sales.name = "Sales";
    sales.parent_id = company.id;
    sales.n_lead_ids = 1;
    sales.lead_ids = &lead2;
    sales.n_member_ids = 1;
    sales.member_ids = &member3;
    assert_int_equal(okr_team_save(f->store, f->txn, NULL, &sales), 0);

    Okr__Objective obj = OKR__OBJECTIVE__INIT;
    obj.owner_team_id = sales.id;
    obj.team_id = sales.id;
    obj.visibility = OKR__VISIBILITY__VISIBILITY_TEAM;
    Okr__User admin = OKR__USER__INIT, u = OKR__USER__INIT;
    admin.id = 99;
    admin.role = OKR__ROLE__ROLE_ADMIN;
    u.role = OKR__ROLE__ROLE_MEMBER;
    struct {
        uint64_t user;
        int read, edit, checkin;
    } rows[] = {
        {1, 1, 1, 1}, /* lead of the parent team */
        {2, 1, 1, 1}, /* lead of the team */
        {3, 1, 0, 1}, /* member: reads, checks in on the team's KRs, does not edit */
        {4, 0, 0, 0}, /* outsider */
    };
    Okr__KeyResult kr = OKR__KEY_RESULT__INIT;
    kr.owner_user_id = 2;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        u.id = rows[i].user;
        assert_int_equal(okr_acl_can_read_objective(f->store, f->txn, &u, &obj), rows[i].read);
        assert_int_equal(okr_acl_can_edit_objective(f->store, f->txn, &u, &obj), rows[i].edit);
        assert_int_equal(okr_acl_can_checkin(f->store, f->txn, &u, &obj, &kr), rows[i].checkin);
    }
    assert_true(okr_acl_can_read_objective(f->store, f->txn, &admin, &obj));
    assert_true(okr_acl_can_edit_objective(f->store, f->txn, &admin, &obj));
    /* Public objectives are readable by anyone. */
    obj.visibility = OKR__VISIBILITY__VISIBILITY_PUBLIC;
    u.id = 4;
    assert_true(okr_acl_can_read_objective(f->store, f->txn, &u, &obj));
    /* A member owns personal objectives; the KR owner may edit their KR. */
    Okr__Objective mine = OKR__OBJECTIVE__INIT;
    mine.owner_user_id = 4;
    assert_true(okr_acl_can_edit_objective(f->store, f->txn, &u, &mine));
    u.id = 2;
    assert_true(okr_acl_can_edit_kr(f->store, f->txn, &u, &mine, &kr));
    u.id = 3;
    assert_false(okr_acl_can_edit_kr(f->store, f->txn, &u, &mine, &kr));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_indexes_follow_saves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_has_and_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_since_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unique_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_record_and_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollup_three_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollup_linked_key_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollup_survives_a_parent_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acl_team_visibility, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
