/* suggest.c — "did you mean": see suggest.h. */
#include "suggest.h"

#include <stdint.h>
#include <string.h>

#define SUGGEST_MAX_LEN 32 /* longer words are not typos of a command */

static size_t suggest__min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Optimal string alignment distance (Damerau-Levenshtein without repeated
 * edits of one substring): insertions, deletions, substitutions and swaps of
 * two neighbouring letters each count 1. Both at most SUGGEST_MAX_LEN. */
static size_t suggest__distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            d[i][j] = suggest__min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < d[i][j])
                d[i][j] = d[i - 2][j - 2] + 1;
        }
    }
    return d[la][lb];
}

const char *okr_suggest(const char *typed, const char *const *names, size_t n)
{
    size_t lt = strlen(typed);
    if (lt == 0 || lt > SUGGEST_MAX_LEN)
        return NULL;
    const char *best = NULL, *prefix_of = NULL;
    size_t best_d = SIZE_MAX, prefixes = 0;
    for (size_t i = 0; i < n; i++) {
        size_t ln = strlen(names[i]);
        if (ln > SUGGEST_MAX_LEN)
            continue;
        if (ln > lt && strncmp(names[i], typed, lt) == 0) {
            prefix_of = names[i];
            prefixes++;
        }
        size_t limit = ln <= 4 ? 1 : 2;
        size_t d = suggest__distance(typed, lt, names[i], ln);
        if (d <= limit && d < best_d) {
            best = names[i];
            best_d = d;
        }
    }
    if (best)
        return best;
    return prefixes == 1 ? prefix_of : NULL;
}
