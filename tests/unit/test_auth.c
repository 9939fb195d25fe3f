/* test_auth.c — password hashing, tokens, and the off-loop hasher (the
 * password policy: test_password_policy.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "auth.h"
#include "okr_error.h"

/* Small parameters keep the suite fast; one test uses the defaults. */
static const okr_kdf_params_t fast = {.memory_kib = 1024, .iterations = 1, .parallelism = 1};

/* ---- blocking hash and verify ---- */

static void test_hash_then_verify(void **state)
{
    (void)state;
    char enc[OKR_HASH_ENCODED_MAX];
    assert_int_equal(okr_password_hash("correct horse", &fast, enc, sizeof enc), 0);
    assert_int_equal(okr_password_verify(enc, "correct horse"), 0);
    assert_int_equal(okr_password_verify(enc, "correct horsf"), OKR_E_UNAUTHENTICATED);
    assert_int_equal(okr_password_verify(enc, ""), OKR_E_UNAUTHENTICATED);
}

static void test_encoded_format(void **state)
{
    (void)state;
    char enc[OKR_HASH_ENCODED_MAX];
    assert_int_equal(okr_password_hash("correct horse", &fast, enc, sizeof enc), 0);
    assert_non_null(strstr(enc, "$argon2id$"));
    assert_non_null(strstr(enc, "$v=19$"));
    assert_non_null(strstr(enc, "$m=1024,t=1,p=1$"));
}

static void test_salt_makes_hashes_differ(void **state)
{
    (void)state;
    char a[OKR_HASH_ENCODED_MAX], b[OKR_HASH_ENCODED_MAX];
    assert_int_equal(okr_password_hash("same password", &fast, a, sizeof a), 0);
    assert_int_equal(okr_password_hash("same password", &fast, b, sizeof b), 0);
    assert_string_not_equal(a, b);
    assert_int_equal(okr_password_verify(a, "same password"), 0);
    assert_int_equal(okr_password_verify(b, "same password"), 0);
}

static void test_verify_malformed(void **state)
{
    (void)state;
    char enc[OKR_HASH_ENCODED_MAX];
    assert_int_equal(okr_password_verify("", "whatever1"), OKR_E_INTERNAL);
    assert_int_equal(okr_password_verify("not a hash", "whatever1"), OKR_E_INTERNAL);
    assert_int_equal(okr_password_verify("$argon2id$v=19$m=1024,t=1,p=1$", "whatever1"),
                     OKR_E_INTERNAL);
    /* Another Argon2 variant is not accepted as argon2id. */
    assert_int_equal(okr_password_hash("whatever1", &fast, enc, sizeof enc), 0);
    memmove(enc + 8, enc + 9, strlen(enc + 9) + 1); /* "$argon2id$" -> "$argon2i$" */
    assert_int_equal(strncmp(enc, "$argon2i$", 9), 0);
    assert_int_equal(okr_password_verify(enc, "whatever1"), OKR_E_INTERNAL);
    assert_int_equal(okr_password_verify(NULL, "whatever1"), OKR_E_INTERNAL);
}

static void test_hash_out_too_small(void **state)
{
    (void)state;
    char enc[16];
    assert_int_equal(okr_password_hash("correct horse", &fast, enc, sizeof enc), OKR_E_INTERNAL);
    assert_string_equal(enc, "");
}

static void test_hash_bad_params(void **state)
{
    (void)state;
    okr_kdf_params_t p = fast;
    p.iterations = 0;
    char enc[OKR_HASH_ENCODED_MAX];
    assert_int_equal(okr_password_hash("correct horse", &p, enc, sizeof enc), OKR_E_INTERNAL);
    assert_string_equal(enc, "");
}

static void test_default_params(void **state)
{
    (void)state;
    okr_kdf_params_t p;
    okr_kdf_params_default(&p);
    assert_int_equal(p.memory_kib, 19456);
    assert_int_equal(p.iterations, 2);
    assert_int_equal(p.parallelism, 1);

    char enc[OKR_HASH_ENCODED_MAX];
    assert_int_equal(okr_password_hash("correct horse", &p, enc, sizeof enc), 0);
    assert_non_null(strstr(enc, "$argon2id$v=19$m=19456,t=2,p=1$"));
    assert_true(strlen(enc) < OKR_HASH_ENCODED_MAX);
    assert_int_equal(okr_password_verify(enc, "correct horse"), 0);
    assert_int_equal(okr_password_verify(enc, "wrong horse"), OKR_E_UNAUTHENTICATED);
}

/* ---- tokens ---- */

static void test_token_new(void **state)
{
    (void)state;
    char a[OKR_TOKEN_HEX_LEN + 1], b[OKR_TOKEN_HEX_LEN + 1];
    assert_int_equal(okr_token_new(a), 0);
    assert_int_equal(okr_token_new(b), 0);
    assert_int_equal(strlen(a), OKR_TOKEN_HEX_LEN);
    assert_int_equal(strspn(a, "0123456789abcdef"), OKR_TOKEN_HEX_LEN);
    assert_int_equal(strspn(b, "0123456789abcdef"), OKR_TOKEN_HEX_LEN);
    assert_string_not_equal(a, b);
}

static void test_token_hash(void **state)
{
    (void)state;
    /* printf %s abc | sha256sum */
    static const uint8_t abc[OKR_TOKEN_HASH_LEN] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                                    0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                                    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                                    0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    uint8_t out[OKR_TOKEN_HASH_LEN];
    okr_token_hash("abc", out);
    assert_memory_equal(out, abc, sizeof abc);

    char tok[OKR_TOKEN_HEX_LEN + 1];
    uint8_t h1[OKR_TOKEN_HASH_LEN], h2[OKR_TOKEN_HASH_LEN];
    assert_int_equal(okr_token_new(tok), 0);
    okr_token_hash(tok, h1);
    okr_token_hash(tok, h2);
    assert_memory_equal(h1, h2, sizeof h1);
    tok[0] = tok[0] == '0' ? '1' : '0';
    okr_token_hash(tok, h2);
    assert_memory_not_equal(h1, h2, sizeof h1);
}

/* ---- off-loop hasher ---- */

enum job_kind { JOB_HASH, JOB_VERIFY_OK, JOB_VERIFY_WRONG, JOB_VERIFY_MALFORMED };

typedef struct job_rec {
    enum job_kind kind;
    int expect;
    int calls;
    int status;
    int order; /* completion order, from 0 */
    char encoded[OKR_HASH_ENCODED_MAX];
} job_rec_t;

typedef struct hasher_fixture {
    uv_loop_t loop;
    uv_thread_t loop_thread;
    okr_hasher_t *h;
    int completed;
    int off_thread_calls;
    unsigned max_busy_seen_in_cb;
} hasher_fixture_t;

static hasher_fixture_t *fx; /* one per test; callbacks reach it through here */

static void on_done(void *arg, int status, const char *encoded)
{
    job_rec_t *r = arg;
    uv_thread_t self = uv_thread_self();
    if (!uv_thread_equal(&self, &fx->loop_thread))
        fx->off_thread_calls++;
    r->calls++;
    r->status = status;
    r->order = fx->completed++;
    if (encoded != NULL)
        snprintf(r->encoded, sizeof r->encoded, "%s", encoded);
    unsigned busy = okr_hasher_busy(fx->h);
    if (busy > fx->max_busy_seen_in_cb)
        fx->max_busy_seen_in_cb = busy;
}

static int hasher_setup(void **state)
{
    fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    fx->loop_thread = uv_thread_self();
    *state = fx;
    return 0;
}

static int hasher_teardown(void **state)
{
    hasher_fixture_t *f = *state;
    okr_hasher_free(f->h);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    free(f);
    fx = NULL;
    return 0;
}

static int submit(okr_hasher_t *h, job_rec_t *r, const char *stored)
{
    switch (r->kind) {
    case JOB_HASH:
        r->expect = 0;
        return okr_hasher_hash(h, "new password", on_done, r);
    case JOB_VERIFY_OK:
        r->expect = 0;
        return okr_hasher_verify(h, stored, "right password", on_done, r);
    case JOB_VERIFY_WRONG:
        r->expect = OKR_E_UNAUTHENTICATED;
        return okr_hasher_verify(h, stored, "wrong password", on_done, r);
    case JOB_VERIFY_MALFORMED:
        r->expect = OKR_E_INTERNAL;
        return okr_hasher_verify(h, "$argon2id$garbage", "right password", on_done, r);
    }
    return -1;
}

static void test_hasher_bounds(void **state)
{
    hasher_fixture_t *f = *state;
    char stored[OKR_HASH_ENCODED_MAX];
    assert_int_equal(okr_password_hash("right password", &fast, stored, sizeof stored), 0);

    f->h = okr_hasher_new(&f->loop, &fast, 2, 8);
    assert_non_null(f->h);
    assert_int_equal(okr_hasher_busy(f->h), 0);

    enum { N = 20 };
    job_rec_t recs[N];
    memset(recs, 0, sizeof recs);
    int accepted = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        recs[i].kind = (enum job_kind)(i % 4);
        int rc = submit(f->h, &recs[i], stored);
        if (rc == 0) {
            accepted++;
            assert_true(i < 10); /* the first ten are accepted, in order */
        } else {
            assert_int_equal(rc, OKR_E_UNAVAILABLE);
            refused++;
        }
    }
    assert_int_equal(accepted, 10);
    assert_int_equal(refused, 10);
    assert_int_equal(okr_hasher_busy(f->h), 10);
    assert_int_equal(okr_hasher_running_peak(f->h), 2);
    /* Nothing completes before the loop runs. */
    assert_int_equal(f->completed, 0);

    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);

    assert_int_equal(f->completed, 10);
    assert_int_equal(f->off_thread_calls, 0);
    assert_true(f->max_busy_seen_in_cb <= 9);
    assert_int_equal(okr_hasher_busy(f->h), 0);
    assert_int_equal(okr_hasher_running_peak(f->h), 2);
    for (int i = 0; i < N; i++) {
        if (i >= 10) {
            assert_int_equal(recs[i].calls, 0);
            continue;
        }
        assert_int_equal(recs[i].calls, 1);
        assert_int_equal(recs[i].status, recs[i].expect);
        if (recs[i].kind == JOB_HASH) {
            assert_non_null(strstr(recs[i].encoded, "$argon2id$v=19$m=1024,t=1,p=1$"));
            assert_int_equal(okr_password_verify(recs[i].encoded, "new password"), 0);
        } else {
            assert_string_equal(recs[i].encoded, "");
        }
    }

    /* Capacity comes back once the jobs are done. */
    job_rec_t again = {.kind = JOB_VERIFY_OK};
    assert_int_equal(submit(f->h, &again, stored), 0);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(again.calls, 1);
    assert_int_equal(again.status, 0);
}

/* With one slot, queued jobs run first in, first out. */
static void test_hasher_fifo(void **state)
{
    hasher_fixture_t *f = *state;
    f->h = okr_hasher_new(&f->loop, &fast, 1, 4);
    assert_non_null(f->h);

    job_rec_t recs[5];
    memset(recs, 0, sizeof recs);
    for (int i = 0; i < 5; i++) {
        recs[i].kind = JOB_HASH;
        assert_int_equal(submit(f->h, &recs[i], NULL), 0);
    }
    job_rec_t extra = {.kind = JOB_HASH};
    assert_int_equal(submit(f->h, &extra, NULL), OKR_E_UNAVAILABLE);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(recs[i].calls, 1);
        assert_int_equal(recs[i].order, i);
    }
    assert_int_equal(extra.calls, 0);
    assert_int_equal(okr_hasher_running_peak(f->h), 1);
}

/* max_queued 0: only the pool slots. */
static void test_hasher_no_queue(void **state)
{
    hasher_fixture_t *f = *state;
    f->h = okr_hasher_new(&f->loop, &fast, 1, 0);
    assert_non_null(f->h);
    job_rec_t a = {.kind = JOB_HASH}, b = {.kind = JOB_HASH};
    assert_int_equal(submit(f->h, &a, NULL), 0);
    assert_int_equal(submit(f->h, &b, NULL), OKR_E_UNAVAILABLE);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 0);
}

/* A callback may submit more work, and the last one may free the hasher. */
typedef struct chain_state {
    okr_hasher_t *h;
    int remaining;
    int calls;
    int freed;
} chain_state_t;

static void on_chain(void *arg, int status, const char *encoded)
{
    chain_state_t *c = arg;
    assert_int_equal(status, 0);
    assert_non_null(encoded);
    c->calls++;
    if (c->remaining > 0) {
        c->remaining--;
        assert_int_equal(okr_hasher_hash(c->h, "again and again", on_chain, c), 0);
    } else if (okr_hasher_busy(c->h) == 0) {
        okr_hasher_free(c->h);
        c->h = NULL;
        c->freed = 1;
    }
}

static void test_hasher_resubmit_and_free_in_cb(void **state)
{
    hasher_fixture_t *f = *state;
    chain_state_t c = {.remaining = 3};
    c.h = okr_hasher_new(&f->loop, &fast, 1, 0);
    assert_non_null(c.h);
    /* The only slot is taken and the queue holds nothing, yet the callback can
     * resubmit: the finished job has given its slot back. */
    assert_int_equal(okr_hasher_hash(c.h, "again and again", on_chain, &c), 0);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(c.calls, 4);
    assert_int_equal(c.freed, 1);
}

static void test_hasher_new_invalid(void **state)
{
    hasher_fixture_t *f = *state;
    assert_null(okr_hasher_new(NULL, &fast, 1, 1));
    assert_null(okr_hasher_new(&f->loop, &fast, 0, 1));
    okr_hasher_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_then_verify),
        cmocka_unit_test(test_encoded_format),
        cmocka_unit_test(test_salt_makes_hashes_differ),
        cmocka_unit_test(test_verify_malformed),
        cmocka_unit_test(test_hash_out_too_small),
        cmocka_unit_test(test_hash_bad_params),
        cmocka_unit_test(test_default_params),
        cmocka_unit_test(test_token_new),
        cmocka_unit_test(test_token_hash),
        cmocka_unit_test_setup_teardown(test_hasher_bounds, hasher_setup, hasher_teardown),
        cmocka_unit_test_setup_teardown(test_hasher_fifo, hasher_setup, hasher_teardown),
        cmocka_unit_test_setup_teardown(test_hasher_no_queue, hasher_setup, hasher_teardown),
        cmocka_unit_test_setup_teardown(test_hasher_resubmit_and_free_in_cb, hasher_setup,
                                        hasher_teardown),
        cmocka_unit_test_setup_teardown(test_hasher_new_invalid, hasher_setup, hasher_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
