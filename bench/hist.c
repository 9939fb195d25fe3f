/* hist.c — log-linear latency histogram (see hist.h). */
#include "hist.h"

#include <string.h>

void hist_init(hist_t *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

/* Values below 2*HIST_SUB have a bucket each; above, a power of two
 * 2^e is split into HIST_SUB equal buckets. */
static unsigned hist__index(uint64_t v)
{
    if (v < 2 * HIST_SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= 8 */
    uint64_t m = v >> (e - 7);                       /* in [128, 255] */
    unsigned idx = 2 * HIST_SUB + (e - 8) * HIST_SUB + (unsigned)(m - HIST_SUB);
    return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

/* The midpoint of bucket idx. */
static uint64_t hist__value(unsigned idx)
{
    if (idx < 2 * HIST_SUB)
        return idx;
    unsigned e = (idx - 2 * HIST_SUB) / HIST_SUB + 8;
    uint64_t m = (idx - 2 * HIST_SUB) % HIST_SUB + HIST_SUB;
    uint64_t lo = m << (e - 7);
    return lo + (UINT64_C(1) << (e - 7)) / 2;
}

void hist_add(hist_t *h, uint64_t ns)
{
    h->b[hist__index(ns)]++;
    h->count++;
    h->sum += (double)ns;
    if (ns < h->min)
        h->min = ns;
    if (ns > h->max)
        h->max = ns;
}

void hist_merge(hist_t *into, const hist_t *from)
{
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        into->b[i] += from->b[i];
    into->count += from->count;
    into->sum += from->sum;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
}

uint64_t hist_quantile(const hist_t *h, double q)
{
    if (h->count == 0)
        return 0;
    if (q >= 1.0)
        return h->max;
    uint64_t rank = (uint64_t)(q * (double)h->count) + 1;
    if (rank > h->count)
        rank = h->count;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t v = hist__value(i);
            if (v < h->min)
                v = h->min;
            if (v > h->max)
                v = h->max;
            return v;
        }
    }
    return h->max;
}

double hist_mean(const hist_t *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
