/* lhist.h — a tiny log-bucket histogram of durations in microseconds, for
 * okrd's own timings (the writer's apply and commit times, the fan-out's,
 * exposed in Stats).
 *
 * Values below 2 * OKR_LHIST_SUB have a bucket each; above, every power of two
 * is split into OKR_LHIST_SUB equal buckets, so a quantile is within 1/32
 * (about 3 %) of a recorded value. Values of 2^OKR_LHIST_TOP_EXP µs (about 19
 * hours) and more share the last bucket. Fixed size, no allocation.
 *
 * The bucket layout is part of the protocol: Stats carries the raw bucket
 * counts (apply_hist, commit_hist, fanout_hist, ...), so a client can
 * subtract two readings and take quantiles of what happened in between
 * (okr_lhist_sub). Change it only together with a new Stats field.
 */
#ifndef OKR_LHIST_H
#define OKR_LHIST_H

#include <stddef.h>
#include <stdint.h>

#define OKR_LHIST_SUB     16 /* buckets per power of two */
#define OKR_LHIST_TOP_EXP 36
/* 2 * SUB exact buckets (0 .. 2 * SUB - 1), SUB per exponent 5 .. TOP_EXP - 1,
 * and one for everything from 2^TOP_EXP on. */
#define OKR_LHIST_BUCKETS (2 * OKR_LHIST_SUB + (OKR_LHIST_TOP_EXP - 5) * OKR_LHIST_SUB + 1)

typedef struct okr_lhist {
    uint64_t count;
    uint64_t sum; /* of the recorded values, µs */
    uint64_t b[OKR_LHIST_BUCKETS];
} okr_lhist_t;

/* Zeroes h. A zeroed okr_lhist_t is an empty histogram too. */
void okr_lhist_init(okr_lhist_t *h);

/* Records one value (µs). */
void okr_lhist_add(okr_lhist_t *h, uint64_t us);

/* The bucket a value falls in (for tests and for readers of raw counts). */
size_t okr_lhist_index(uint64_t us);

/* The value at quantile q (0..1), in µs: the midpoint of the bucket holding
 * the rank ceil(q * count) (at least 1). 0 when h is empty. */
uint64_t okr_lhist_quantile(const okr_lhist_t *h, double q);

/* Mean in µs, 0 when empty. */
double okr_lhist_mean(const okr_lhist_t *h);

/* Sets h from raw bucket counts (n of them, at most OKR_LHIST_BUCKETS; the
 * rest are zero) and the sum; count is their total. */
void okr_lhist_from_counts(okr_lhist_t *h, const uint64_t *counts, size_t n, uint64_t sum);

/* out = later - earlier, bucket by bucket (two readings of one growing
 * histogram); a bucket that went down (a restarted server) counts as 0. out
 * may be later. */
void okr_lhist_sub(okr_lhist_t *out, const okr_lhist_t *later, const okr_lhist_t *earlier);

/* How many leading buckets hold every non-zero count (0 when empty): what a
 * reader needs to be sent. */
size_t okr_lhist_used(const okr_lhist_t *h);

/* What Stats carries of h: its median, its 99th percentile, its sum and its
 * raw buckets (*n of them; *buckets points into h, so pack before h changes). */
void okr_lhist_export(okr_lhist_t *h, uint64_t *p50, uint64_t *p99, uint64_t *sum, size_t *n,
                      uint64_t **buckets);

#endif
