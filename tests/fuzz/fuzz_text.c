/* Fuzz target: text measured and cut for the terminal, where Chinese and
 * English must line up: okr_utf8_valid, okr_check_string and
 * okr_display_width (common/validate.c), okr_render_truncate
 * (client/render.c), okr_cli_sanitize and the tables of okr_cli_table_print
 * and okr_render_table_print (client/cli_io.c, client/render.c).
 *
 * Input: a width, a buffer length, then the text. Checks:
 *   - okr_utf8_valid agrees with utf8proc's own decoder (utf8proc_map) and
 *     NUL bytes; okr_check_string agrees with both and the byte limits;
 *   - a display width is at most the byte length;
 *   - okr_render_truncate never writes past len, ends its result with a NUL
 *     inside it, keeps it within max_width columns, returns the text itself
 *     when it fits, else a prefix of it (then "…" when there is room), and
 *     cuts valid UTF-8 only where utf8proc puts a grapheme boundary, so the
 *     result is valid UTF-8 too;
 *   - okr_cli_sanitize leaves no C0 or C1 control and no DEL (ESC would let
 *     a server's text drive the terminal);
 *   - a table made of the text's lines (cells cut at tabs) prints the same
 *     through both table printers, each line as wide as the columns before
 *     its last cell plus that cell, in display columns.
 * Seeds: tests/fuzz/corpus/text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "cli.h"
#include "fuzz_util.h"
#include "okr_error.h"
#include "render.h"
#include "validate.h"

#define MAX_ROWS 8
#define MAX_COLS 20

/* cli_io.c's password prompts report through okr_cli_fail, which is in
 * cli.c with the rest of the program; this target never prompts. */
int okr_cli_fail(okr_cli_t *cli, int code, const char *status, const char *fmt, ...)
{
    (void)cli, (void)code, (void)status, (void)fmt;
    abort();
}

static void check_valid(const uint8_t *data, size_t size)
{
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t n = utf8proc_map(data, (utf8proc_ssize_t)size, &mapped, 0);
    free(mapped);
    int want = n >= 0 && !memchr(data, 0, size);
    FUZZ_REQUIRE(okr_utf8_valid((const char *)data, size) == want);
}

static void check_string(const char *s)
{
    char msg[96];
    size_t n = strlen(s), max = n / 2 + 1;
    int valid = okr_utf8_valid(s, n);
    int rc = okr_check_string("field", s, 1, max, msg, sizeof msg);
    FUZZ_REQUIRE(rc == 0 || rc == OKR_E_BAD_REQUEST);
    FUZZ_REQUIRE((rc == 0) == (n >= 1 && n <= max && valid));
    FUZZ_REQUIRE((okr_check_string("field", s, 0, n, msg, sizeof msg) == 0) == (n == 0 || valid));
    FUZZ_REQUIRE(okr_display_width(s) <= n);
}

/* 1 if utf8proc starts a grapheme cluster at byte at of s (valid UTF-8). */
static int is_boundary(const char *s, size_t at)
{
    if (at == 0 || s[at] == '\0')
        return 1;
    utf8proc_uint8_t *marked = NULL;
    if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &marked,
                     UTF8PROC_NULLTERM | UTF8PROC_CHARBOUND) < 0)
        abort();
    size_t src = 0;
    int boundary = 0;
    for (const utf8proc_uint8_t *p = marked; *p && src <= at; p++) {
        if (*p == 0xff) {
            boundary = src == at;
            if (boundary)
                break;
            continue;
        }
        src++;
    }
    free(marked);
    return boundary;
}

static void check_truncate(const char *s, size_t max_width, size_t len)
{
    static const char ellipsis[] = "\u2026";
    char *buf = malloc(len ? len : 1);
    if (!buf)
        abort();
    buf[0] = 'x';
    FUZZ_REQUIRE(okr_render_truncate(s, max_width, buf, len) == buf);
    if (len == 0) {
        FUZZ_REQUIRE(buf[0] == 'x');
        free(buf);
        return;
    }
    size_t n = strlen(buf), sn = strlen(s);
    FUZZ_REQUIRE(n < len);
    FUZZ_REQUIRE(okr_display_width(buf) <= max_width);
    if (okr_display_width(s) <= max_width && sn < len)
        FUZZ_REQUIRE(strcmp(buf, s) == 0);
    size_t kept = n;
    if (n >= sizeof ellipsis - 1 && strcmp(buf + n - (sizeof ellipsis - 1), ellipsis) == 0 &&
        strcmp(buf, s) != 0)
        kept = n - (sizeof ellipsis - 1);
    FUZZ_REQUIRE(kept <= sn && memcmp(buf, s, kept) == 0);
    if (okr_utf8_valid(s, sn)) {
        FUZZ_REQUIRE(okr_utf8_valid(buf, n));
        FUZZ_REQUIRE(is_boundary(s, kept));
    }
    free(buf);
}

static void check_sanitize(const char *s, int keep_newlines)
{
    char *out = okr_cli_sanitize(s, keep_newlines);
    FUZZ_REQUIRE(out && strlen(out) <= strlen(s));
    for (const unsigned char *p = (const unsigned char *)out; *p; p++) {
        FUZZ_REQUIRE(*p >= 0x20 || (*p == '\n' && keep_newlines));
        FUZZ_REQUIRE(*p != 0x7f);
        FUZZ_REQUIRE(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f));
    }
    free(out);
}

static char *print_table(const okr_cli_table_t *t, int render)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        abort();
    if (render)
        okr_render_table_print(t, f, NULL, NULL);
    else
        okr_cli_table_print(t, f);
    if (fclose(f) != 0)
        abort();
    return text;
}

/* Cells hold no '\n' (okr_cli_sanitize), so the text has a line per row. */
static void check_table_lines(const okr_cli_table_t *t, char *text)
{
    size_t ncols = t->ncols < 16 ? t->ncols : 16, width[16] = {0};
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < ncols; c++) {
            size_t w = okr_display_width(t->cells[r * t->ncols + c]);
            width[c] = w > width[c] ? w : width[c];
        }
    char *line = text;
    for (size_t r = 0; r < t->nrows; r++) {
        char *nl = strchr(line, '\n');
        FUZZ_REQUIRE(nl);
        *nl = '\0';
        /* padded up to the last cell with something in it, and no further */
        size_t last = ncols;
        while (last > 1 && !t->cells[r * t->ncols + last - 1][0])
            last--;
        size_t want = okr_display_width(t->cells[r * t->ncols + last - 1]);
        for (size_t c = 0; c + 1 < last; c++)
            want += width[c] + 2;
        FUZZ_REQUIRE(okr_display_width(line) == want);
        const char *first = t->cells[r * t->ncols];
        FUZZ_REQUIRE(strncmp(line, first, strlen(first)) == 0);
        line = nl + 1;
    }
    FUZZ_REQUIRE(*line == '\0');
}

static void check_table(const uint8_t *data, size_t size)
{
    char *rows[MAX_ROWS], *cells[MAX_COLS];
    size_t nrows = fuzz_split(data, size, '\n', rows, MAX_ROWS);
    okr_cli_table_t t = {0};
    for (size_t r = 0; r < nrows; r++) {
        size_t n = fuzz_split((const uint8_t *)rows[r], strlen(rows[r]), '\t', cells, MAX_COLS);
        const char *row[MAX_COLS];
        size_t ncols = r == 0 ? n : t.ncols;
        for (size_t c = 0; c < ncols; c++)
            row[c] = c < n ? cells[c] : "";
        if (r == 0 ? okr_cli_table_init(&t, ncols, row) : okr_cli_table_add(&t, row))
            abort();
        for (size_t c = 0; c < n; c++)
            free(cells[c]);
        free(rows[r]);
    }
    char *a = print_table(&t, 0), *b = print_table(&t, 1);
    FUZZ_REQUIRE(strcmp(a, b) == 0);
    check_table_lines(&t, a);
    free(a);
    free(b);
    okr_cli_table_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t max_width = data[0], len = data[1];
    data += 2;
    size -= 2;
    check_valid(data, size);
    char *s = fuzz_string(data, size);
    check_string(s);
    check_truncate(s, max_width, len);
    check_truncate(s, max_width, strlen(s) + 4);
    check_truncate(s, max_width % 8, 8);
    check_sanitize(s, 0);
    check_sanitize(s, 1);
    check_table(data, size);
    free(s);
    return 0;
}
