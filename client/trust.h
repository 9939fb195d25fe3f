/* trust.h — pinned server certificates (trust on first use, like ssh's
 * known_hosts).
 *
 * The known-servers file has one pin per line: "host:port sha256hex", the
 * host:port in canonical form (hostport.h) and the SHA-256 fingerprint of the
 * server's certificate (DER) as 64 hex digits. Blank lines and lines starting
 * with '#' are comments; colons in a fingerprint are ignored, so the form okrd
 * prints ("AB:CD:...") may be pasted in. Lines that do not parse are kept as
 * they are by every rewrite and never match.
 *
 * Changes rewrite the whole file atomically (temporary file, fsync, rename)
 * with mode 0600 while holding an exclusive lock on its directory, which is
 * created with mode 0700 if missing; two okr processes pinning at once both
 * keep their pins, and other entries always survive.
 *
 * Every function takes the file's path, writes a message for people into err
 * when it fails (err may be NULL) and returns an okr_err_t.
 */
#ifndef OKR_TRUST_H
#define OKR_TRUST_H

#include <stddef.h>

#include "tls_ctx.h" /* OKR_FINGERPRINT_LEN */

typedef enum okr_trust_verdict {
    OKR_TRUST_UNKNOWN = 0, /* no pin for this server */
    OKR_TRUST_MATCH,       /* the pin matches */
    OKR_TRUST_MISMATCH,    /* a different certificate is pinned: refuse */
} okr_trust_verdict_t;

/* Finds the pin of hostport. Returns 0 and fills pin (lowercase hex), or
 * OKR_E_NOT_FOUND (no pin, or no file yet), or OKR_E_IO. */
int okr_trust_lookup(const char *path, const char *hostport, char pin[OKR_FINGERPRINT_LEN],
                     char *err, size_t errlen);

/* Compares fingerprint (hex, any case) with the pin of hostport. Returns 0
 * and sets *verdict (and pin, when one exists; pin may be NULL), or OKR_E_IO. */
int okr_trust_check(const char *path, const char *hostport, const char *fingerprint,
                    okr_trust_verdict_t *verdict, char pin[OKR_FINGERPRINT_LEN], char *err,
                    size_t errlen);

/* Pins fingerprint for hostport, replacing any earlier pin of hostport and
 * keeping every other line. Returns 0, OKR_E_BAD_REQUEST (not a SHA-256 hex
 * fingerprint, or hostport contains white space) or OKR_E_IO. */
int okr_trust_store(const char *path, const char *hostport, const char *fingerprint, char *err,
                    size_t errlen);

/* Removes the pin of hostport. Returns 0, OKR_E_NOT_FOUND or OKR_E_IO. */
int okr_trust_forget(const char *path, const char *hostport, char *err, size_t errlen);

/* Calls fn once per pin, in file order. fingerprint is lowercase hex; both
 * strings are valid only during the call. A missing file has no pins.
 * Returns 0 or OKR_E_IO. */
typedef void (*okr_trust_entry_fn)(void *arg, const char *hostport, const char *fingerprint);
int okr_trust_list(const char *path, okr_trust_entry_fn fn, void *arg, char *err, size_t errlen);

/* The same on a known-servers file's contents in memory, data[0..len)
 * (tests and fuzzers; data may be NULL when len is 0):
 *
 * okr_trust_parse calls fn once per pin, in order, as okr_trust_list does.
 *
 * okr_trust_edit writes into *out the contents with fingerprint pinned for
 * hostport in place of its first pin (appended when there is none; further
 * pins of hostport dropped), or, when fingerprint is NULL, with every pin of
 * hostport removed; every other line is kept. *out is malloc'd, *out_len
 * bytes, not NUL-terminated; the caller frees it. Returns 0,
 * OKR_E_BAD_REQUEST (as okr_trust_store), OKR_E_NOT_FOUND (removing, and no
 * pin) or OKR_E_NOMEM; *out is set only on 0. */
void okr_trust_parse(const char *data, size_t len, okr_trust_entry_fn fn, void *arg);
int okr_trust_edit(const char *data, size_t len, const char *hostport, const char *fingerprint,
                   char **out, size_t *out_len);

/* Normalises a fingerprint: drops ':' and lower-cases. Returns 0 if the
 * result is 64 hex digits, else -1. */
int okr_trust_normalize(const char *in, char out[OKR_FINGERPRINT_LEN]);

#endif
