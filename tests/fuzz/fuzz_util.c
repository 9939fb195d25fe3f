/* fuzz_util.c — see fuzz_util.h. */
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_fail(const char *what, const char *file, int line)
{
    fprintf(stderr, "%s:%d: invariant does not hold: %s\n", file, line, what);
    abort();
}

char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

size_t fuzz_split(const uint8_t *data, size_t size, uint8_t sep, char **pieces, size_t max)
{
    size_t n = 0;
    while (n + 1 < max) {
        const uint8_t *cut = size ? memchr(data, sep, size) : NULL;
        if (!cut)
            break;
        pieces[n++] = fuzz_string(data, (size_t)(cut - data));
        size -= (size_t)(cut - data) + 1;
        data = cut + 1;
    }
    pieces[n++] = fuzz_string(data, size);
    return n;
}

int fuzz_find(const uint8_t *data, size_t size, const void *needle, size_t n, size_t *at)
{
    for (size_t i = 0; n <= size && i <= size - n; i++)
        if (memcmp(data + i, needle, n) == 0) {
            *at = i;
            return 1;
        }
    return 0;
}
