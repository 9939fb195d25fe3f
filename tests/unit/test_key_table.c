/* test_key_table.c — the hash table of counts.c and throttle.c
 * (server/key_table.c): entries made, found and removed by key; values
 * zeroed, kept at their address through growing and shrinking, and not
 * mixed up between keys that share a bucket, a prefix or a length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "key_table.h"

typedef struct value {
    uint64_t n;
    void *link;
    char tag[24];
} value_t;

static okr_key_table_t *table(void)
{
    okr_key_table_t *t = okr_key_table_new(sizeof(value_t));
    assert_non_null(t);
    return t;
}

static value_t *add(okr_key_table_t *t, const char *key, int want_made)
{
    int made = -1;
    value_t *v = okr_key_table_add(t, key, strlen(key), &made);
    assert_non_null(v);
    assert_int_equal(made, want_made);
    return v;
}

static value_t *find(okr_key_table_t *t, const char *key)
{
    return okr_key_table_find(t, key, strlen(key));
}

static void test_add_find_remove(void **state)
{
    (void)state;
    okr_key_table_t *t = table();
    assert_int_equal(okr_key_table_size(t), 0);
    assert_null(find(t, "alice"));

    value_t *a = add(t, "alice", 1);
    static const value_t zero;
    assert_memory_equal(a, &zero, sizeof zero); /* made zeroed */
    a->n = 7;
    assert_ptr_equal(add(t, "alice", 0), a); /* the same entry, untouched */
    assert_int_equal(a->n, 7);
    assert_ptr_equal(find(t, "alice"), a);
    assert_int_equal(okr_key_table_size(t), 1);

    /* Keys are bytes with a length: a prefix, a longer key, another case,
     * the empty key and bytes past a NUL are all other keys. */
    value_t *b = add(t, "alic", 1);
    value_t *c = add(t, "alice2", 1);
    value_t *d = add(t, "Alice", 1);
    value_t *e = okr_key_table_add(t, "", 0, NULL);
    assert_non_null(e);
    value_t *f = okr_key_table_add(t, "alice\0x", 7, NULL);
    assert_non_null(f);
    assert_true(a != b && a != c && a != d && a != e && a != f);
    assert_ptr_equal(okr_key_table_find(t, "", 0), e);
    assert_ptr_equal(okr_key_table_find(t, "alice\0x", 7), f);
    assert_null(okr_key_table_find(t, "alice\0y", 7));
    assert_int_equal(okr_key_table_size(t), 6);

    /* The key is copied: the caller's buffer may change afterwards. */
    char buf[16];
    snprintf(buf, sizeof buf, "bob");
    value_t *bob = okr_key_table_add(t, buf, 3, NULL);
    snprintf(buf, sizeof buf, "xxx");
    assert_ptr_equal(find(t, "bob"), bob);
    assert_null(find(t, "xxx"));

    okr_key_table_remove(t, a);
    assert_null(find(t, "alice"));
    assert_ptr_equal(find(t, "alic"), b);
    assert_ptr_equal(find(t, "alice2"), c);
    assert_int_equal(okr_key_table_size(t), 6);
    value_t *again = add(t, "alice", 1); /* made anew, zeroed */
    assert_int_equal(again->n, 0);
    okr_key_table_free(t); /* frees every entry (LeakSanitizer checks) */
    okr_key_table_free(NULL);
}

/* A value of size 0 makes a set of keys. */
static void test_set_of_keys(void **state)
{
    (void)state;
    okr_key_table_t *t = okr_key_table_new(0);
    assert_non_null(t);
    int made = 0;
    void *v = okr_key_table_add(t, "k", 1, &made);
    assert_non_null(v);
    assert_int_equal(made, 1);
    assert_ptr_equal(okr_key_table_find(t, "k", 1), v);
    assert_null(okr_key_table_find(t, "j", 1));
    okr_key_table_remove(t, v);
    assert_int_equal(okr_key_table_size(t), 0);
    okr_key_table_free(t);
}

/* Keys that share a bucket are kept apart, and removing one from the
 * front, the middle or the end of its bucket's chain leaves the others. */
static void test_same_bucket(void **state)
{
    (void)state;
    okr_key_table_t *t = table();
    size_t mask = okr_key_table_buckets(t) - 1;
    char keys[5][16];
    int n = 0;
    for (int i = 0; n < 5; i++) {
        char k[16];
        snprintf(k, sizeof k, "key-%d", i);
        if ((okr_key_table_hash(t, k, strlen(k)) & mask) == 0)
            snprintf(keys[n++], sizeof keys[0], "%s", k);
    }
    value_t *v[5];
    for (int i = 0; i < 5; i++) {
        v[i] = add(t, keys[i], 1);
        v[i]->n = (uint64_t)i;
    }
    assert_int_equal(okr_key_table_buckets(t), OKR_KEY_TABLE_MIN_BUCKETS); /* 5 of 16 */
    for (int i = 0; i < 5; i++)
        assert_ptr_equal(find(t, keys[i]), v[i]);
    for (int r = 0; r < 5; r += 2) { /* a first, a middle and a last one */
        okr_key_table_remove(t, v[r]);
        assert_null(find(t, keys[r]));
        for (int i = r + 1; i < 5; i++) {
            assert_ptr_equal(find(t, keys[i]), v[i]);
            assert_int_equal(v[i]->n, (uint64_t)i);
        }
    }
    assert_ptr_equal(find(t, keys[1]), v[1]);
    assert_ptr_equal(find(t, keys[3]), v[3]);
    assert_int_equal(okr_key_table_size(t), 2);
    okr_key_table_free(t);
}

/* Two tables hash the same key differently (each has its own seed), and a
 * table always the same way. */
static void test_seeded(void **state)
{
    (void)state;
    okr_key_table_t *t = table(), *u = table();
    assert_int_equal(okr_key_table_hash(t, "k", 1), okr_key_table_hash(t, "k", 1));
    int differ = 0;
    for (int i = 0; i < 4; i++) {
        char k[8];
        snprintf(k, sizeof k, "%d", i);
        differ += okr_key_table_hash(t, k, strlen(k)) != okr_key_table_hash(u, k, strlen(k));
    }
    assert_true(differ > 0);
    okr_key_table_free(t);
    okr_key_table_free(u);
}

/* Past one entry per bucket the table doubles; under a quarter it halves,
 * down to OKR_KEY_TABLE_MIN_BUCKETS; no value moves meanwhile, and every key
 * is found throughout. */
static void test_grow_and_shrink(void **state)
{
    (void)state;
    enum { N = 5000 };
    okr_key_table_t *t = table();
    static value_t *v[N];
    char k[16];
    for (int i = 0; i < N; i++) {
        snprintf(k, sizeof k, "user%d", i);
        v[i] = add(t, k, 1);
        snprintf(v[i]->tag, sizeof v[i]->tag, "%s", k);
        v[i]->link = v[i > 0 ? i - 1 : 0];
        size_t b = okr_key_table_buckets(t);
        assert_true(okr_key_table_size(t) <= b);
        assert_int_equal(b & (b - 1), 0); /* a power of two */
    }
    assert_int_equal(okr_key_table_size(t), N);
    assert_int_equal(okr_key_table_buckets(t), 8192);
    for (int i = 0; i < N; i++) {
        snprintf(k, sizeof k, "user%d", i);
        assert_ptr_equal(find(t, k), v[i]);
        assert_string_equal(v[i]->tag, k);
        assert_ptr_equal(v[i]->link, v[i > 0 ? i - 1 : 0]);
    }

    for (int i = 0; i < N - 3; i++) {
        okr_key_table_remove(t, v[i]);
        size_t b = okr_key_table_buckets(t);
        assert_true(b == OKR_KEY_TABLE_MIN_BUCKETS || okr_key_table_size(t) >= b / 4);
    }
    assert_int_equal(okr_key_table_buckets(t), OKR_KEY_TABLE_MIN_BUCKETS);
    for (int i = N - 3; i < N; i++) {
        snprintf(k, sizeof k, "user%d", i);
        assert_ptr_equal(find(t, k), v[i]);
        assert_string_equal(v[i]->tag, k);
    }
    snprintf(k, sizeof k, "user%d", 0);
    assert_null(find(t, k));
    okr_key_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_find_remove), cmocka_unit_test(test_set_of_keys),
        cmocka_unit_test(test_same_bucket),     cmocka_unit_test(test_seeded),
        cmocka_unit_test(test_grow_and_shrink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
