/* key_table.h — a hash table of entries found by a short byte string, for
 * keys that clients choose: remote addresses, user names, user ids.
 * okrd's connection counts (counts.c) and login throttling (throttle.c) keep
 * their entries in one each.
 *
 * The table owns its entries. Each holds a value of the size given to
 * okr_key_table_new, for the user's own fields (zeroed when the entry is
 * made), and a copy of its key. A value stays at its address until its
 * entry is removed or the table freed (growing or shrinking moves no
 * entry), so users may link values to each other (throttle.c keeps them in
 * the order of their latest failure).
 *
 * Its memory follows the entries it holds now, not the most it ever held:
 * the buckets are resized to keep between a quarter of an entry and one
 * entry per bucket, never fewer than OKR_KEY_TABLE_MIN_BUCKETS. The hash is
 * seeded from the CSPRNG, so nobody who does not know the seed can choose
 * keys that all fall into one bucket.
 *
 * Not thread-safe: okrd uses its tables on the loop thread only.
 */
#ifndef OKR_KEY_TABLE_H
#define OKR_KEY_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define OKR_KEY_TABLE_MIN_BUCKETS 16

typedef struct okr_key_table okr_key_table_t;

/* A table of no entries, whose values are value_size bytes each (0 is
 * allowed: a set of keys). NULL when out of memory. Free with
 * okr_key_table_free. */
okr_key_table_t *okr_key_table_new(size_t value_size);

/* Frees every entry and the table. NULL is allowed. */
void okr_key_table_free(okr_key_table_t *t);

/* The value of the entry whose key is the len bytes at key, or NULL. A key
 * may have any length, 0 included. */
void *okr_key_table_find(const okr_key_table_t *t, const void *key, size_t len);

/* The value of key's entry, made now if key has none: its value zeroed and
 * the key copied. *made (if not NULL) is 1 when the entry was made by this
 * call, else 0. NULL when out of memory: nothing made. */
void *okr_key_table_add(okr_key_table_t *t, const void *key, size_t len, int *made);

/* Removes and frees the entry of value (as returned by okr_key_table_find or
 * okr_key_table_add); value is invalid afterwards. */
void okr_key_table_remove(okr_key_table_t *t, void *value);

/* The number of entries. */
size_t okr_key_table_size(const okr_key_table_t *t);

/* The number of buckets now (for tests of growing and shrinking). */
size_t okr_key_table_buckets(const okr_key_table_t *t);

/* The hash t files key under; its bucket is the hash's low bits (for tests
 * that need keys sharing a bucket). */
uint64_t okr_key_table_hash(const okr_key_table_t *t, const void *key, size_t len);

#endif
