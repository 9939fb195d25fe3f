/* throttle.h — login throttling with growing delays.
 *
 * One table per kind of key (username, peer address). Each failed login adds
 * to the key's count; after `free_failures` failures, the key must wait
 * base_ms * 2^(extra failures - 1) (capped at max_ms) after its latest
 * failure before the next attempt is even checked. A success resets the key.
 * Entries idle longer than max_ms are forgotten. The table holds at most
 * `capacity` keys; when full, the entry whose last failure is oldest is
 * evicted, so memory stays bounded under a spray of addresses.
 */
#ifndef OKR_THROTTLE_H
#define OKR_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct okr_throttle okr_throttle_t;

typedef struct okr_throttle_params {
    unsigned free_failures; /* default 3 */
    uint64_t base_ms;       /* default 1000 */
    uint64_t max_ms;        /* default 300000 */
    size_t capacity;        /* default 10000 */
} okr_throttle_params_t;

void okr_throttle_params_default(okr_throttle_params_t *p);

okr_throttle_t *okr_throttle_new(const okr_throttle_params_t *p);
void okr_throttle_free(okr_throttle_t *t);

/* 0 if key may try now, else the milliseconds it must still wait. */
uint64_t okr_throttle_wait_ms(okr_throttle_t *t, const char *key, uint64_t now_ms);

void okr_throttle_fail(okr_throttle_t *t, const char *key, uint64_t now_ms);
void okr_throttle_success(okr_throttle_t *t, const char *key);

/* Number of keys tracked (for tests and stats). */
size_t okr_throttle_size(const okr_throttle_t *t);

#endif
