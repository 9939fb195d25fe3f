/* frame.h — the wire framing: a 4-byte big-endian length N, then N bytes of
 * one protobuf Envelope.
 *
 * The decoder is incremental: feed it bytes as they arrive, in any split, and
 * it calls back once per complete frame. A length of 0 or above the current
 * limit is refused from the 4 header bytes alone, before anything is
 * allocated, and the decoder then refuses all further input (the connection
 * is to be closed). The limit can change between frames (64 KiB before login,
 * 1 MiB after, by default).
 */
#ifndef OKR_FRAME_H
#define OKR_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define OKR_FRAME_HEADER                   4
#define OKR_FRAME_MAX_DEFAULT              (1024u * 1024u)
#define OKR_FRAME_MAX_BEFORE_LOGIN_DEFAULT (64u * 1024u)

/* Called for each complete frame. payload is valid only during the call.
 * Return 0 to go on, non-zero to stop feeding (e.g. the connection closed);
 * okr_frame_feed then returns that value. */
typedef int (*okr_frame_cb)(void *arg, const uint8_t *payload, size_t len);

typedef struct okr_frame_decoder {
    uint32_t max; /* largest accepted payload */
    uint8_t header[OKR_FRAME_HEADER];
    size_t header_have;
    uint8_t *payload; /* allocated once the header is known */
    size_t payload_len;
    size_t payload_have;
    int failed;       /* sticky: a bad length was seen */
    uint32_t bad_len; /* the refused length, for the error message */
} okr_frame_decoder_t;

void okr_frame_decoder_init(okr_frame_decoder_t *d, uint32_t max);
void okr_frame_decoder_free(okr_frame_decoder_t *d);
void okr_frame_decoder_set_max(okr_frame_decoder_t *d, uint32_t max);

/* Feeds len bytes. Returns 0 when all were consumed; OKR_E_TOO_LARGE or
 * OKR_E_PROTOCOL (length 0) when a header was refused (sticky: every later
 * call returns the same); OKR_E_NOMEM; or the callback's non-zero value. */
int okr_frame_feed(okr_frame_decoder_t *d, const uint8_t *data, size_t len, okr_frame_cb cb,
                   void *arg);

/* 1 while a frame has started (some header or payload bytes are buffered)
 * but is not complete: the server's "a frame that started must finish"
 * deadline runs only then. */
int okr_frame_in_progress(const okr_frame_decoder_t *d);

/* Writes the 4-byte header for a payload of len bytes. */
void okr_frame_put_header(uint8_t out[OKR_FRAME_HEADER], uint32_t len);

#endif
