/* keys.c — LMDB key encoding: big-endian integers, folded usernames. */
#include "keys.h"

#include <stdlib.h>
#include <utf8proc.h>

void okr_key_put_u64(uint8_t out[OKR_KEY_U64_LEN], uint64_t v)
{
    for (int i = OKR_KEY_U64_LEN - 1; i >= 0; i--) {
        out[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

uint64_t okr_key_get_u64(const uint8_t in[OKR_KEY_U64_LEN])
{
    uint64_t v = 0;
    for (int i = 0; i < OKR_KEY_U64_LEN; i++)
        v = (v << 8) | in[i];
    return v;
}

void okr_key_put_u64_pair(uint8_t out[2 * OKR_KEY_U64_LEN], uint64_t a, uint64_t b)
{
    okr_key_put_u64(out, a);
    okr_key_put_u64(out + OKR_KEY_U64_LEN, b);
}

char *okr_key_fold_name(const char *name)
{
    if (name == NULL)
        return NULL;
    /* NFKC + case folding in one pass: "ALICE", "alice" and fullwidth
     * "ａｌｉｃｅ" all map to the same key. Invalid UTF-8 makes
     * utf8proc_map fail (and allocate nothing). */
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t n =
        utf8proc_map((const utf8proc_uint8_t *)name, 0, &out,
                     (utf8proc_option_t)(UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                         UTF8PROC_COMPAT | UTF8PROC_CASEFOLD));
    if (n < 0) {
        free(out); /* NULL on failure, but be safe */
        return NULL;
    }
    return (char *)out;
}
