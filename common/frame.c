#include "frame.h"

#include <stdlib.h>
#include <string.h>

#include "okr_error.h"

void okr_frame_decoder_init(okr_frame_decoder_t *d, uint32_t max)
{
    memset(d, 0, sizeof *d);
    d->max = max;
}

void okr_frame_decoder_free(okr_frame_decoder_t *d)
{
    free(d->payload);
    d->payload = NULL;
}

void okr_frame_decoder_set_max(okr_frame_decoder_t *d, uint32_t max)
{
    d->max = max;
}

int okr_frame_in_progress(const okr_frame_decoder_t *d)
{
    return d->header_have > 0;
}

void okr_frame_put_header(uint8_t out[OKR_FRAME_HEADER], uint32_t len)
{
    out[0] = (uint8_t)(len >> 24);
    out[1] = (uint8_t)(len >> 16);
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
}

/* Header complete: validate the length before allocating anything. */
static int frame__start_payload(okr_frame_decoder_t *d)
{
    uint32_t n = (uint32_t)d->header[0] << 24 | (uint32_t)d->header[1] << 16 |
                 (uint32_t)d->header[2] << 8 | (uint32_t)d->header[3];
    if (n == 0 || n > d->max) {
        d->failed = n == 0 ? OKR_E_PROTOCOL : OKR_E_TOO_LARGE;
        d->bad_len = n;
        return d->failed;
    }
    d->payload = malloc(n);
    if (!d->payload)
        return OKR_E_NOMEM;
    d->payload_len = n;
    d->payload_have = 0;
    return 0;
}

int okr_frame_feed(okr_frame_decoder_t *d, const uint8_t *data, size_t len, okr_frame_cb cb,
                   void *arg)
{
    if (d->failed)
        return d->failed;
    while (len > 0) {
        if (d->header_have < OKR_FRAME_HEADER) {
            size_t take = OKR_FRAME_HEADER - d->header_have;
            if (take > len)
                take = len;
            memcpy(d->header + d->header_have, data, take);
            d->header_have += take;
            data += take;
            len -= take;
            if (d->header_have < OKR_FRAME_HEADER)
                return 0;
            int rc = frame__start_payload(d);
            if (rc)
                return rc;
        }
        size_t take = d->payload_len - d->payload_have;
        if (take > len)
            take = len;
        memcpy(d->payload + d->payload_have, data, take);
        d->payload_have += take;
        data += take;
        len -= take;
        if (d->payload_have < d->payload_len)
            return 0;
        /* A whole frame: hand it over, then reset before the callback's
         * verdict so the decoder is consistent whatever the callback does. */
        uint8_t *payload = d->payload;
        size_t plen = d->payload_len;
        d->payload = NULL;
        d->header_have = 0;
        d->payload_len = d->payload_have = 0;
        int rc = cb(arg, payload, plen);
        free(payload);
        if (rc)
            return rc;
    }
    return 0;
}
