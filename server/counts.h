/* counts.h — how many connections each remote address, user or dashboard
 * token holds now (max_connections_per_ip, max_connections_per_user).
 *
 * A hash table of the keys whose count is above 0: the first okr_counts_add
 * of a key makes its entry and the okr_counts_remove that brings it back to
 * 0 frees it, so the table never holds more entries than there are
 * connections (itself bounded by max_connections) and an address that comes
 * and goes leaves nothing behind.
 *
 * Each entry also remembers when a refusal for its key was last logged, so a
 * flood of refused connections or logins makes one log line every few
 * seconds per key, not one per refusal (okr_counts_refused).
 *
 * Keys are short byte strings made by okr_count_key_addr/_user/_dashboard;
 * one table may hold several kinds, which never compare equal. The table is
 * not thread-safe: okrd uses it on the loop thread only.
 */
#ifndef OKR_COUNTS_H
#define OKR_COUNTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A kind byte, then an IPv6 address (the longest key). */
#define OKR_COUNT_KEY_MAX 17

/* A refusal for a key is logged at most once this often (okr_counts_refused). */
#define OKR_COUNTS_LOG_EVERY_MS 5000

/* A key by value; len 0 is "no key" (a connection not logged in). */
typedef struct okr_count_key {
    uint8_t len;
    uint8_t bytes[OKR_COUNT_KEY_MAX];
} okr_count_key_t;

typedef struct okr_counts okr_counts_t;

/* The key of a peer's address: IPv4, or IPv6 by its full address. An
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack listener sees
 * for an IPv4 client) is the IPv4 address's key. Returns 0, or -1 (and a key
 * of len 0) for any other family. */
int okr_count_key_addr(const struct sockaddr *sa, okr_count_key_t *key);

/* The key of a user's connections, and of a dashboard token's (tokens have
 * their own ids: token 7 and user 7 are different keys). */
void okr_count_key_user(uint64_t user_id, okr_count_key_t *key);
void okr_count_key_dashboard(uint64_t token_id, okr_count_key_t *key);

/* 1 if a and b are the same key (two keys of len 0 are). */
int okr_count_key_equal(const okr_count_key_t *a, const okr_count_key_t *b);

/* Writes an address key as text ("192.0.2.1", "2001:db8::1"), a user's as
 * "user 7", a dashboard token's as "dashboard token 7"; buf is always
 * NUL-terminated. Returns buf. */
const char *okr_count_key_name(const okr_count_key_t *key, char *buf, size_t len);

/* A table of no keys. NULL when out of memory. Free with okr_counts_free. */
okr_counts_t *okr_counts_new(void);
void okr_counts_free(okr_counts_t *t);

/* The count of key now (0 if it has no entry). */
uint64_t okr_counts_get(const okr_counts_t *t, const okr_count_key_t *key);

/* Adds 1 to key's count. Returns 0, or -1 when out of memory (nothing
 * counted). A key of len 0 is never counted: -1. */
int okr_counts_add(okr_counts_t *t, const okr_count_key_t *key);

/* Takes 1 from key's count, freeing its entry at 0. A key with no entry
 * (never added, or a len of 0) is left alone. */
void okr_counts_remove(okr_counts_t *t, const okr_count_key_t *key);

/* Notes one refusal for key at now_ms (a monotonic clock). Returns 1 when it
 * should be logged: the first refusal of the key's entry, or the first one
 * OKR_COUNTS_LOG_EVERY_MS or more after the last logged one; *refused then
 * holds how many refusals that line stands for (this one and those not
 * logged since the last line). Returns 0 (and leaves *refused alone) when it
 * should not. A key with no entry is logged every time, as 1. */
int okr_counts_refused(okr_counts_t *t, const okr_count_key_t *key, uint64_t now_ms,
                       uint64_t *refused);

/* Keys with a count above 0 (for tests). */
size_t okr_counts_size(const okr_counts_t *t);

#endif
