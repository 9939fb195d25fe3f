/* clock.h — the two clocks okr uses.
 *
 * Deadlines and throttling use the monotonic clock (never jumps); records and
 * log lines use wall-clock time in milliseconds since the Unix epoch. */
#ifndef OKR_CLOCK_H
#define OKR_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t okr_mono_ms(void);

/* Microseconds on CLOCK_MONOTONIC (for timings). */
uint64_t okr_mono_us(void);

/* Milliseconds since 1970-01-01T00:00:00Z. */
int64_t okr_wall_ms(void);

/* A wall-clock time in ms as UTC text with strftime's fmt, e.g.
 * "%Y-%m-%d %H:%M UTC"; "?" if the C library cannot say. Returns buf. */
const char *okr_wall_format(int64_t ms, const char *fmt, char *buf, size_t len);

#endif
