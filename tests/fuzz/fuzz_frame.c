/* Fuzz target: the incremental frame decoder. The first byte picks the
 * limit, the second where to split the input; every frame handed out must
 * be within the limit, and the decoder must never read or leak out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "frame.h"

static int on_frame(void *arg, const uint8_t *payload, size_t len)
{
    uint32_t max = *(uint32_t *)arg;
    if (len == 0 || len > max)
        abort();
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < len; i++)
        sink ^= payload[i];
    (void)sink;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint32_t max = 1u + data[0] * 64u;
    size_t split = data[1] % (size - 1);
    data += 2;
    size -= 2;
    okr_frame_decoder_t d;
    okr_frame_decoder_init(&d, max);
    int rc = okr_frame_feed(&d, data, split, on_frame, &max);
    if (rc == 0)
        okr_frame_feed(&d, data + split, size - split, on_frame, &max);
    okr_frame_decoder_free(&d);
    return 0;
}
