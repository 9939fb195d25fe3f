/* auth.h — password hashing and session tokens.
 *
 * Passwords: argon2id (libargon2; OpenSSL 3.0 has no Argon2), 16-byte random
 * salt, encoded string with the parameters inside so they can be raised
 * later without invalidating old hashes. Defaults follow OWASP's password
 * storage guidance: m = 19 MiB, t = 2, p = 1. Verification is constant-time.
 *
 * Hashing takes tens of milliseconds and megabytes, so okrd never runs it on
 * the event loop: okr_hasher_t runs at most max_parallel jobs at once on
 * libuv's thread pool and queues at most max_queued more; beyond that a job is
 * refused with OKR_E_UNAVAILABLE (the server is busy; the client retries).
 *
 * Tokens: 256 random bits from the OS CSPRNG, given to the client as 64 hex
 * digits; the server stores only their SHA-256.
 */
#ifndef OKR_AUTH_H
#define OKR_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define OKR_TOKEN_HEX_LEN    64 /* characters, without the NUL */
#define OKR_TOKEN_HASH_LEN   32
#define OKR_PASSWORD_MIN     8    /* bytes */
#define OKR_PASSWORD_MAX     1024 /* bytes */
#define OKR_HASH_ENCODED_MAX 160

typedef struct okr_kdf_params {
    uint32_t memory_kib;  /* default 19456 */
    uint32_t iterations;  /* default 2 */
    uint32_t parallelism; /* default 1 */
} okr_kdf_params_t;

void okr_kdf_params_default(okr_kdf_params_t *p);

/* Blocking. Hashes password into out (NUL-terminated encoded argon2id string).
 * Returns 0 or OKR_E_INTERNAL. */
int okr_password_hash(const char *password, const okr_kdf_params_t *p, char *out, size_t outlen);

/* Blocking. Returns 0 if password matches encoded, OKR_E_UNAUTHENTICATED if
 * not, OKR_E_INTERNAL if encoded is malformed. */
int okr_password_verify(const char *encoded, const char *password);

/* Fills hex[OKR_TOKEN_HEX_LEN + 1] with a new random token. Returns 0 or
 * OKR_E_INTERNAL if the CSPRNG fails. */
int okr_token_new(char *hex);

/* SHA-256 of the token string. */
void okr_token_hash(const char *token, uint8_t out[OKR_TOKEN_HASH_LEN]);

/* ---- off-loop hashing ---- */

typedef struct okr_hasher okr_hasher_t;

/* status: 0, OKR_E_UNAUTHENTICATED (verify mismatch), OKR_E_INTERNAL.
 * encoded: the new hash for okr_hasher_hash (valid during the call only),
 * NULL for verify. Always called on the loop thread, exactly once per
 * accepted job, even while the hasher is being freed (status then as computed). */
typedef void (*okr_hash_done_fn)(void *arg, int status, const char *encoded);

okr_hasher_t *okr_hasher_new(uv_loop_t *loop, const okr_kdf_params_t *p, unsigned max_parallel,
                             unsigned max_queued);

/* Both copy their string arguments (and wipe the copies when done).
 * Return 0 if the job was accepted (cb will be called), or
 * OKR_E_UNAVAILABLE if the queue is full (cb is not called). */
int okr_hasher_hash(okr_hasher_t *h, const char *password, okr_hash_done_fn cb, void *arg);
int okr_hasher_verify(okr_hasher_t *h, const char *encoded, const char *password,
                      okr_hash_done_fn cb, void *arg);

/* Jobs accepted and not yet completed. A job no longer counts once its
 * callback runs, so a callback that sees 0 may free h. */
unsigned okr_hasher_busy(const okr_hasher_t *h);

/* The most jobs ever handed to the thread pool at once (never more than
 * max_parallel). For tests and stats. */
unsigned okr_hasher_running_peak(const okr_hasher_t *h);

/* Frees h (NULL is a no-op). Only valid when okr_hasher_busy(h) == 0;
 * aborts otherwise, since pending callbacks would use h. */
void okr_hasher_free(okr_hasher_t *h);

#endif
