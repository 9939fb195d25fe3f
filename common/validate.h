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

#endif
