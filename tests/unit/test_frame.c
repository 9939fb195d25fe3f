/* Unit tests for the incremental frame decoder (common/frame.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "okr_error.h"

#define MAX_FRAMES 8

typedef struct collected {
    size_t n;
    size_t len[MAX_FRAMES];
    uint8_t data[MAX_FRAMES][512];
    int stop_after; /* return non-zero after this many frames (0 = never) */
} collected_t;

static int collect(void *arg, const uint8_t *payload, size_t len)
{
    collected_t *c = arg;
    assert_true(c->n < MAX_FRAMES);
    assert_true(len <= sizeof c->data[0]);
    memcpy(c->data[c->n], payload, len);
    c->len[c->n++] = len;
    return c->stop_after && (int)c->n >= c->stop_after ? 42 : 0;
}

/* Three frames back to back: 1 byte, 300 bytes, 5 bytes. */
static size_t sample_stream(uint8_t *out)
{
    static const size_t lens[3] = {1, 300, 5};
    size_t off = 0;
    for (int f = 0; f < 3; f++) {
        okr_frame_put_header(out + off, (uint32_t)lens[f]);
        off += OKR_FRAME_HEADER;
        for (size_t i = 0; i < lens[f]; i++)
            out[off++] = (uint8_t)(f * 100 + i);
    }
    return off;
}

static void check_sample(const collected_t *c)
{
    assert_int_equal(c->n, 3);
    assert_int_equal(c->len[0], 1);
    assert_int_equal(c->len[1], 300);
    assert_int_equal(c->len[2], 5);
    for (int f = 0; f < 3; f++)
        for (size_t i = 0; i < c->len[f]; i++)
            assert_int_equal(c->data[f][i], (uint8_t)(f * 100 + i));
}

static void test_whole_stream_at_once(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t n = sample_stream(buf);
    okr_frame_decoder_t d;
    okr_frame_decoder_init(&d, 1024);
    collected_t c = {0};
    assert_int_equal(okr_frame_feed(&d, buf, n, collect, &c), 0);
    check_sample(&c);
    assert_false(okr_frame_in_progress(&d));
    okr_frame_decoder_free(&d);
}

/* Every way of cutting the stream in two, and in three. */
static void test_every_split(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t n = sample_stream(buf);
    for (size_t a = 0; a <= n; a++) {
        for (size_t b = a; b <= n; b++) {
            okr_frame_decoder_t d;
            okr_frame_decoder_init(&d, 1024);
            collected_t c = {0};
            assert_int_equal(okr_frame_feed(&d, buf, a, collect, &c), 0);
            assert_int_equal(okr_frame_feed(&d, buf + a, b - a, collect, &c), 0);
            assert_int_equal(okr_frame_feed(&d, buf + b, n - b, collect, &c), 0);
            check_sample(&c);
            okr_frame_decoder_free(&d);
        }
    }
}

static void test_byte_by_byte_in_progress(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t n = sample_stream(buf);
    okr_frame_decoder_t d;
    okr_frame_decoder_init(&d, 1024);
    collected_t c = {0};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(okr_frame_feed(&d, buf + i, 1, collect, &c), 0);
        /* In progress exactly when a frame has started and not completed. */
        int boundary = i + 1 == 5 || i + 1 == 5 + 304 || i + 1 == n;
        assert_int_equal(okr_frame_in_progress(&d), !boundary);
    }
    check_sample(&c);
    okr_frame_decoder_free(&d);
}

static void test_zero_length_refused(void **state)
{
    (void)state;
    uint8_t hdr[4] = {0, 0, 0, 0};
    okr_frame_decoder_t d;
    okr_frame_decoder_init(&d, 1024);
    collected_t c = {0};
    assert_int_equal(okr_frame_feed(&d, hdr, 4, collect, &c), OKR_E_PROTOCOL);
    assert_int_equal(c.n, 0);
    /* Sticky: nothing more is accepted. */
    assert_int_equal(okr_frame_feed(&d, hdr, 1, collect, &c), OKR_E_PROTOCOL);
    okr_frame_decoder_free(&d);
}

static void test_oversize_refused_before_allocation(void **state)
{
    (void)state;
    uint8_t hdr[4] = {0xff, 0xff, 0xff, 0xff};
    okr_frame_decoder_t d;
    okr_frame_decoder_init(&d, OKR_FRAME_MAX_DEFAULT);
    collected_t c = {0};
    assert_int_equal(okr_frame_feed(&d, hdr, 4, collect, &c), OKR_E_TOO_LARGE);
    assert_null(d.payload); /* nothing was allocated for the claimed length */
    assert_int_equal(d.bad_len, 0xffffffffu);
    okr_frame_decoder_free(&d);
}

static void test_limit_boundary_and_change(void **state)
{
    (void)state;
    uint8_t buf[4 + 100];
    memset(buf, 7, sizeof buf);
    okr_frame_put_header(buf, 100);
    okr_frame_decoder_t d;
    collected_t c = {0};
    okr_frame_decoder_init(&d, 100); /* exactly at the limit: accepted */
    assert_int_equal(okr_frame_feed(&d, buf, sizeof buf, collect, &c), 0);
    assert_int_equal(c.n, 1);
    okr_frame_decoder_set_max(&d, 99); /* one below: refused */
    assert_int_equal(okr_frame_feed(&d, buf, sizeof buf, collect, &c), OKR_E_TOO_LARGE);
    assert_int_equal(c.n, 1);
    okr_frame_decoder_free(&d);
}

static void test_callback_stops_feeding(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t n = sample_stream(buf);
    okr_frame_decoder_t d;
    okr_frame_decoder_init(&d, 1024);
    collected_t c = {.stop_after = 1};
    assert_int_equal(okr_frame_feed(&d, buf, n, collect, &c), 42);
    assert_int_equal(c.n, 1);
    okr_frame_decoder_free(&d);
}

static void test_truncated_frame_freed(void **state)
{
    (void)state;
    uint8_t buf[4 + 10] = {0};
    okr_frame_put_header(buf, 200);
    okr_frame_decoder_t d;
    okr_frame_decoder_init(&d, 1024);
    collected_t c = {0};
    assert_int_equal(okr_frame_feed(&d, buf, sizeof buf, collect, &c), 0);
    assert_true(okr_frame_in_progress(&d));
    assert_int_equal(c.n, 0);
    okr_frame_decoder_free(&d); /* LeakSanitizer checks the partial payload is freed */
}

static void test_header_encoding(void **state)
{
    (void)state;
    uint8_t h[4];
    okr_frame_put_header(h, 0x01020304);
    assert_memory_equal(h, "\x01\x02\x03\x04", 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_stream_at_once),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_byte_by_byte_in_progress),
        cmocka_unit_test(test_zero_length_refused),
        cmocka_unit_test(test_oversize_refused_before_allocation),
        cmocka_unit_test(test_limit_boundary_and_change),
        cmocka_unit_test(test_callback_stops_feeding),
        cmocka_unit_test(test_truncated_frame_freed),
        cmocka_unit_test(test_header_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
