/* lhist.c — log-bucket histogram of microseconds (see lhist.h). */
#include "lhist.h"

#include <string.h>

void okr_lhist_init(okr_lhist_t *h)
{
    memset(h, 0, sizeof *h);
}

size_t okr_lhist_index(uint64_t us)
{
    if (us < 2 * OKR_LHIST_SUB)
        return (size_t)us;
    unsigned e = 63u - (unsigned)__builtin_clzll(us); /* >= 5 */
    if (e > OKR_LHIST_TOP_EXP - 1)
        return OKR_LHIST_BUCKETS - 1;
    uint64_t m = us >> (e - 4); /* in [SUB, 2 * SUB) */
    return 2 * OKR_LHIST_SUB + (size_t)(e - 5) * OKR_LHIST_SUB + (size_t)(m - OKR_LHIST_SUB);
}

/* The midpoint of bucket idx. */
static uint64_t lhist__value(size_t idx)
{
    if (idx < 2 * OKR_LHIST_SUB)
        return idx;
    unsigned e = (unsigned)((idx - 2 * OKR_LHIST_SUB) / OKR_LHIST_SUB) + 5;
    uint64_t m = (idx - 2 * OKR_LHIST_SUB) % OKR_LHIST_SUB + OKR_LHIST_SUB;
    return (m << (e - 4)) + (UINT64_C(1) << (e - 4)) / 2;
}

void okr_lhist_add(okr_lhist_t *h, uint64_t us)
{
    h->b[okr_lhist_index(us)]++;
    h->count++;
    h->sum += us;
}

uint64_t okr_lhist_quantile(const okr_lhist_t *h, double q)
{
    if (h->count == 0)
        return 0;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    double r = q * (double)h->count;
    uint64_t rank = (uint64_t)r;
    if ((double)rank < r)
        rank++;
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < OKR_LHIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank)
            return lhist__value(i);
    }
    return lhist__value(OKR_LHIST_BUCKETS - 1);
}

double okr_lhist_mean(const okr_lhist_t *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0.0;
}

void okr_lhist_from_counts(okr_lhist_t *h, const uint64_t *counts, size_t n, uint64_t sum)
{
    okr_lhist_init(h);
    if (n > OKR_LHIST_BUCKETS)
        n = OKR_LHIST_BUCKETS;
    for (size_t i = 0; i < n; i++) {
        h->b[i] = counts[i];
        h->count += counts[i];
    }
    h->sum = sum;
}

void okr_lhist_sub(okr_lhist_t *out, const okr_lhist_t *later, const okr_lhist_t *earlier)
{
    uint64_t count = 0;
    for (size_t i = 0; i < OKR_LHIST_BUCKETS; i++) {
        uint64_t d = later->b[i] >= earlier->b[i] ? later->b[i] - earlier->b[i] : 0;
        out->b[i] = d;
        count += d;
    }
    out->sum = later->sum >= earlier->sum ? later->sum - earlier->sum : 0;
    out->count = count;
}

void okr_lhist_export(okr_lhist_t *h, uint64_t *p50, uint64_t *p99, uint64_t *sum, size_t *n,
                      uint64_t **buckets)
{
    *p50 = okr_lhist_quantile(h, 0.5);
    *p99 = okr_lhist_quantile(h, 0.99);
    *sum = h->sum;
    *n = okr_lhist_used(h);
    *buckets = h->b;
}

size_t okr_lhist_used(const okr_lhist_t *h)
{
    size_t n = OKR_LHIST_BUCKETS;
    while (n > 0 && h->b[n - 1] == 0)
        n--;
    return n;
}
