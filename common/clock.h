/* clock.h — the two clocks okr uses.
 *
 * Deadlines and throttling use the monotonic clock (never jumps); records and
 * log lines use wall-clock time in milliseconds since the Unix epoch. */
#ifndef OKR_CLOCK_H
#define OKR_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t okr_mono_ms(void);

/* Microseconds on CLOCK_MONOTONIC (for timings). */
uint64_t okr_mono_us(void);

/* Milliseconds since 1970-01-01T00:00:00Z. */
int64_t okr_wall_ms(void);

#endif
