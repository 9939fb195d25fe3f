/* Fuzz target: okr __complete (client/complete.c), which reads whatever the
 * shell hands it: the words typed so far on an okr command line, any bytes,
 * a half-typed option, "--", "--format=", a word in Chinese.
 *
 * The input is split at NUL bytes into up to 24 words, the last being the
 * word typed (maybe empty). Checks:
 *   - every candidate is the file marker or starts with the word typed;
 *   - no candidate is empty, holds a newline (the script reads one a line)
 *     or comes twice;
 *   - nothing is printed, nothing connects (okr_complete has no client).
 * Seeds: tests/fuzz/corpus/complete. */
#include <stdlib.h>
#include <string.h>

#include "complete.h"
#include "fuzz_util.h"

#define MAX_WORDS 24
#define MAX_SEEN  512

typedef struct seen {
    const char *cur;
    char *cand[MAX_SEEN];
    size_t n;
} seen_t;

static void on_candidate(void *arg, const char *c)
{
    seen_t *s = arg;
    FUZZ_REQUIRE(c[0] != '\0');
    FUZZ_REQUIRE(!strchr(c, '\n'));
    if (strcmp(c, OKR_COMPLETE_FILES) != 0)
        FUZZ_REQUIRE(strncmp(c, s->cur, strlen(s->cur)) == 0);
    for (size_t i = 0; i < s->n; i++)
        FUZZ_REQUIRE(strcmp(s->cand[i], c) != 0);
    if (s->n < MAX_SEEN) {
        s->cand[s->n] = strdup(c);
        if (!s->cand[s->n])
            abort();
        s->n++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *words[MAX_WORDS];
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= size && n < MAX_WORDS; i++) {
        if (i < size && data[i] != '\0')
            continue;
        words[n] = malloc(i - start + 1);
        if (!words[n])
            abort();
        memcpy(words[n], data + start, i - start);
        words[n][i - start] = '\0';
        n++;
        start = i + 1;
    }
    seen_t s = {.cur = n ? words[n - 1] : ""};
    okr_complete(n, words, on_candidate, &s);
    for (size_t i = 0; i < s.n; i++)
        free(s.cand[i]);
    for (int i = 0; i < n; i++)
        free(words[i]);
    return 0;
}
