/* hist.h — a latency histogram in the manner of HdrHistogram: log-linear
 * buckets (128 per power of two, so every recorded value is kept within
 * 0.8 %), fixed size, no allocation while recording, mergeable.
 *
 * Values are nanoseconds. One histogram per thread; merge them at the end.
 */
#ifndef OKR_BENCH_HIST_H
#define OKR_BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB     128 /* sub-buckets per power of two */
#define HIST_BUCKETS (2 * HIST_SUB + 56 * HIST_SUB)

typedef struct hist {
    uint64_t count;
    uint64_t min, max;
    double sum;
    uint64_t b[HIST_BUCKETS];
} hist_t;

void hist_init(hist_t *h);
void hist_add(hist_t *h, uint64_t ns);
void hist_merge(hist_t *into, const hist_t *from);

/* The value at quantile q (0..1), in ns: the midpoint of its bucket, clamped
 * to [min, max]. 0 when the histogram is empty. */
uint64_t hist_quantile(const hist_t *h, double q);

/* Mean in ns, 0 when empty. */
double hist_mean(const hist_t *h);

#endif
