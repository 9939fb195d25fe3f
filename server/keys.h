/* keys.h — LMDB key encoding.
 *
 * Integers are stored big-endian so LMDB's byte-wise key order is numeric
 * order. Usernames are keyed by their case-folded form so lookups are
 * case-insensitive. */
#ifndef OKR_KEYS_H
#define OKR_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define OKR_KEY_U64_LEN 8

void okr_key_put_u64(uint8_t out[OKR_KEY_U64_LEN], uint64_t v);
uint64_t okr_key_get_u64(const uint8_t in[OKR_KEY_U64_LEN]);

/* Two ids, e.g. (parent, child) for an index: 16 bytes, sorts by a then b. */
void okr_key_put_u64_pair(uint8_t out[2 * OKR_KEY_U64_LEN], uint64_t a, uint64_t b);

/* Case-folds a UTF-8 username (NFKC + casefold, via utf8proc) into a newly
 * allocated string the caller frees with free(). Returns NULL if name is not
 * valid UTF-8 or on allocation failure. */
char *okr_key_fold_name(const char *name);

#endif
