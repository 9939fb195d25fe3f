/* import_csv.c — a CSV file as rows of named fields (see import_csv.h).
 *
 * libcsv does the quoting; it reports fields and row ends through two
 * callbacks but not where they were in the text. To give every row the line
 * it starts on, the text is fed to it one line (with its LF, CRLF or lone CR)
 * at a time: a row starts on the first line fed while no row was open, and
 * stays open until libcsv ends it (a quoted field may span several lines). */
#include "import_csv.h"

#include <csv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "validate.h"

typedef struct csv_ctx {
    okr_csv_t *t;
    char **cur; /* fields of the row being read, kept (up to the header's columns) */
    size_t ncur, capcur;
    size_t nseen;    /* fields of the row read, kept or not */
    size_t extra;    /* fields beyond the header's columns that are not empty */
    size_t line;     /* the line being fed */
    size_t row_line; /* the line the open row started on; 0: no row open */
    int failed;      /* an error is in err */
    size_t err_line;
    char *err;
    size_t errlen;
} csv_ctx_t;

static void csv__fail(csv_ctx_t *c, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void csv__fail(csv_ctx_t *c, size_t line, const char *fmt, ...)
{
    if (c->failed)
        return;
    c->failed = 1;
    c->err_line = line;
    va_list ap;
    va_start(ap, fmt);
    if (c->errlen)
        vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
}

static void csv__free_fields(char **f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(f[i]);
    free(f);
}

/* libcsv: one field ended (s is NUL-terminated, CSV_APPEND_NULL). */
static void on_field(void *s, size_t len, void *arg)
{
    csv_ctx_t *c = arg;
    if (c->failed)
        return;
    size_t line = c->row_line ? c->row_line : c->line;
    if (memchr(s, '\0', len)) {
        csv__fail(c, line, "a NUL byte: this is not a text file (save the sheet as CSV UTF-8)");
        return;
    }
    if (!okr_utf8_valid(s, len)) {
        csv__fail(c, line,
                  "not UTF-8 text: save the sheet as \"CSV UTF-8\" (a spreadsheet's plain CSV "
                  "may use another encoding)");
        return;
    }
    /* Past the header's columns only empty fields are allowed (spreadsheets
     * write trailing empty cells); they are not kept. */
    size_t limit = c->t->header ? c->t->ncols : OKR_CSV_MAX_COLS;
    if (c->nseen++ >= limit) {
        if (!c->t->header) {
            csv__fail(c, line, "the header names more than %d columns", OKR_CSV_MAX_COLS);
            return;
        }
        if (len)
            c->extra++;
        return;
    }
    if (c->ncur == c->capcur) {
        size_t cap = c->capcur ? c->capcur * 2 : 32;
        char **v = realloc(c->cur, cap * sizeof *v);
        if (!v) {
            csv__fail(c, 0, "out of memory");
            return;
        }
        c->cur = v;
        c->capcur = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        csv__fail(c, 0, "out of memory");
        return;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    c->cur[c->ncur++] = copy;
}

/* The header row: its fields become the column names. */
static void csv__take_header(csv_ctx_t *c)
{
    c->t->header = c->cur;
    c->t->ncols = c->ncur;
    c->cur = NULL;
    c->ncur = c->capcur = 0;
}

static void csv__take_row(csv_ctx_t *c, size_t line)
{
    okr_csv_t *t = c->t;
    if (c->extra) {
        csv__fail(c, line, "more fields than the header has columns (%zu)", t->ncols);
        return;
    }
    if (t->nrows >= OKR_CSV_MAX_ROWS) {
        csv__fail(c, line, "more than %d rows: split the file and import each part (parents first)",
                  OKR_CSV_MAX_ROWS);
        return;
    }
    if (t->nrows == t->caprows) {
        size_t cap = t->caprows ? t->caprows * 2 : 64;
        okr_csv_row_t *v = realloc(t->rows, cap * sizeof *v);
        if (!v) {
            csv__fail(c, 0, "out of memory");
            return;
        }
        t->rows = v;
        t->caprows = cap;
    }
    /* Every row has ncols fields: the missing ones are empty. */
    size_t have = c->ncur < t->ncols ? c->ncur : t->ncols;
    char **f = calloc(t->ncols ? t->ncols : 1, sizeof *f);
    if (!f) {
        csv__fail(c, 0, "out of memory");
        return;
    }
    memcpy(f, c->cur, have * sizeof *f);
    for (size_t i = have; i < t->ncols; i++)
        if (!(f[i] = calloc(1, 1))) {
            csv__free_fields(f, i);
            for (size_t k = 0; k < have; k++)
                c->cur[k] = NULL;
            csv__fail(c, 0, "out of memory");
            return;
        }
    c->ncur = 0; /* the fields moved to the row */
    t->rows[t->nrows].line = line;
    t->rows[t->nrows].fields = f;
    t->nrows++;
}

/* libcsv: a row ended. */
static void on_row(int term, void *arg)
{
    (void)term;
    csv_ctx_t *c = arg;
    size_t line = c->row_line ? c->row_line : c->line;
    c->row_line = 0;
    if (!c->failed) {
        if (!c->t->header)
            csv__take_header(c);
        else
            csv__take_row(c, line);
    }
    for (size_t i = 0; i < c->ncur; i++)
        free(c->cur[i]);
    c->ncur = 0;
    c->nseen = 0;
    c->extra = 0;
}

/* Keeps every byte of a field: a title may start or end with a space. */
static int csv__no_space(unsigned char ch)
{
    (void)ch;
    return 0;
}

/* 1 if s[0..n) holds nothing but CR and LF: a blank line, which libcsv does
 * not report as a row. */
static int csv__blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* The length of the line at s (n > 0 bytes left), with its end: LF, CRLF,
 * or a CR alone (as old Mac files and libcsv have it). */
static size_t csv__line_length(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            return i + 1;
        if (s[i] == '\r')
            return i + 1 < n && s[i + 1] == '\n' ? i + 2 : i + 1;
    }
    return n;
}

/* Feeds data to p line by line (see the top of the file). 0 or -1. */
static int csv__feed(struct csv_parser *p, csv_ctx_t *c, const char *data, size_t len)
{
    size_t at = 0;
    c->line = 1;
    while (at < len && !c->failed) {
        size_t n = csv__line_length(data + at, len - at);
        if (c->row_line == 0 && !csv__blank(data + at, n))
            c->row_line = c->line;
        size_t done = csv_parse(p, data + at, n, on_field, on_row, c);
        if (done != n && !c->failed)
            csv__fail(c, c->line,
                      csv_error(p) == CSV_EPARSE
                          ? "a quote in the wrong place (a field with a quote in it is written "
                            "in quotes, its quotes doubled: \"say \"\"hi\"\"\")"
                          : "out of memory");
        at += n;
        c->line++;
    }
    if (!c->failed && csv_fini(p, on_field, on_row, c) != 0)
        csv__fail(c, c->row_line ? c->row_line : c->line,
                  "a quoted field is not closed before the end of the file");
    return c->failed ? -1 : 0;
}

int okr_csv_parse(const char *data, size_t len, okr_csv_t *t, size_t *line, char *err,
                  size_t errlen)
{
    memset(t, 0, sizeof *t);
    *line = 0;
    if (errlen)
        err[0] = '\0';
    csv_ctx_t c = {.t = t, .err = err, .errlen = errlen};
    if (len > OKR_CSV_MAX_BYTES) {
        csv__fail(&c, 0, "the file is larger than %u MiB; split it and import each part",
                  OKR_CSV_MAX_BYTES / (1024 * 1024));
        return -1;
    }
    if (len >= 2 &&
        ((data[0] == '\xff' && data[1] == '\xfe') || (data[0] == '\xfe' && data[1] == '\xff'))) {
        csv__fail(&c, 1, "the file is UTF-16 text: save the sheet as \"CSV UTF-8\"");
        *line = 1;
        return -1;
    }
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) { /* the BOM spreadsheets write */
        data += 3;
        len -= 3;
    }
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        csv__fail(&c, 0, "out of memory");
        return -1;
    }
    csv_set_space_func(&p, csv__no_space);
    int rc = csv__feed(&p, &c, data, len);
    csv_free(&p);
    if (c.cur) {
        for (size_t i = 0; i < c.ncur; i++)
            free(c.cur[i]);
        free(c.cur);
    }
    if (rc == 0 && !t->header) {
        csv__fail(&c, 0,
                  "the file is empty: it needs a header row naming the columns (okr "
                  "import --help)");
        rc = -1;
    }
    if (rc != 0) {
        *line = c.err_line;
        okr_csv_free(t);
    }
    return rc;
}

int okr_csv_read(FILE *f, okr_csv_t *t, size_t *line, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    *line = 0;
    /* One byte more than the limit tells a file at the limit from a larger one. */
    size_t cap = 64 * 1024, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len == cap) {
            if (cap > OKR_CSV_MAX_BYTES)
                break;
            size_t next =
                cap * 2 > (size_t)OKR_CSV_MAX_BYTES + 1 ? (size_t)OKR_CSV_MAX_BYTES + 1 : cap * 2;
            char *v = realloc(buf, next);
            if (!v) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = v;
            cap = next;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (ferror(f)) {
        free(buf);
        snprintf(err, errlen, "cannot read the file");
        return -1;
    }
    int rc = okr_csv_parse(buf, len, t, line, err, errlen);
    free(buf);
    return rc;
}

/* s without the spaces and tabs around it, compared with name without case. */
static int csv__name_is(const char *s, const char *name)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n == strlen(name) && strncasecmp(s, name, n) == 0;
}

long okr_csv_column(const okr_csv_t *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (csv__name_is(t->header[i], name))
            return (long)i;
    return -1;
}

const char *okr_csv_field(const okr_csv_row_t *r, long col)
{
    return col < 0 ? "" : r->fields[col];
}

void okr_csv_free(okr_csv_t *t)
{
    for (size_t i = 0; i < t->nrows; i++)
        csv__free_fields(t->rows[i].fields, t->ncols);
    free(t->rows);
    csv__free_fields(t->header, t->ncols);
    memset(t, 0, sizeof *t);
}
