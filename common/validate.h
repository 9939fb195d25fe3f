/* validate.h — checks every request field passes before a handler sees it.
 *
 * Strings must be valid UTF-8 (checked with utf8proc) without NUL bytes and
 * within a byte limit; numbers must be finite. Each check writes a message
 * for people naming the field, so the client can say exactly what to fix. */
#ifndef OKR_VALIDATE_H
#define OKR_VALIDATE_H

#include <stddef.h>

/* 1 if s[0..len) is valid UTF-8 with no NUL byte, else 0. */
int okr_utf8_valid(const char *s, size_t len);

/* Validates a NUL-terminated protocol string field. min_len/max_len are in
 * bytes (min_len 0 allows empty). Returns 0 or OKR_E_BAD_REQUEST with a
 * message like "username must be 1 to 64 bytes of UTF-8" in msg. */
int okr_check_string(const char *field, const char *s, size_t min_len, size_t max_len, char *msg,
                     size_t msglen);

/* Returns 0 if v is finite, else OKR_E_BAD_REQUEST with a message. */
int okr_check_finite(const char *field, double v, char *msg, size_t msglen);

/* Display width of a UTF-8 string in terminal columns (East Asian wide
 * characters count 2, combining marks 0). Invalid bytes count 1 each. */
size_t okr_display_width(const char *s);

/* Byte length of the grapheme cluster at s (n > 0 bytes left), so that text
 * is cut only between clusters, and its display width in *width: the sum of
 * its code points' widths, as ncurses (okr-dash) and wcwidth-based
 * terminals count it. (Terminals that draw an emoji sequence, such as a
 * family joined by ZWJ, as one glyph show it narrower: they differ, and
 * okr-dash's cursor must agree with ncurses.) An invalid byte is a cluster
 * of its own, 1 column wide. */
size_t okr_utf8_cluster(const char *s, size_t n, size_t *width);

#endif
