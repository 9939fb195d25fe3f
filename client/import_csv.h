/* import_csv.h — a CSV file as rows of named fields, for okr import.
 *
 * RFC 4180 as spreadsheets and okr export write it: a header row naming the
 * columns, fields separated by commas, a field with a comma, a quote or a
 * line break in double quotes with its quotes doubled, rows ended by CRLF or
 * LF (or CR), a UTF-8 byte order mark at the start skipped. Parsing is
 * Debian's libcsv in strict mode; this file adds what it does not do: line
 * numbers, the header's names, limits, and the checks a person needs to be
 * told about (not UTF-8, saved as UTF-16, a quote left open).
 *
 * Text is kept exactly as written: no spaces are trimmed (a title may start
 * with one); the plan trims what it reads as a word or a number. A row whose
 * fields are all empty is kept (the plan skips it), blank lines are not rows.
 *
 * No network, no globals: unit-tested and fuzzed (tests/unit/test_import.c,
 * tests/fuzz/fuzz_import.c).
 */
#ifndef OKR_IMPORT_CSV_H
#define OKR_IMPORT_CSV_H

#include <stddef.h>
#include <stdio.h>

#define OKR_CSV_MAX_BYTES (10u * 1024 * 1024) /* a file larger is refused */
#define OKR_CSV_MAX_ROWS  10000               /* data rows, the header not counted */
#define OKR_CSV_MAX_COLS  256                 /* columns the header may name */

typedef struct okr_csv_row {
    size_t line;   /* the line of the file the row starts on, from 1 */
    char **fields; /* ncols of them (missing ones ""), NUL-terminated UTF-8 */
} okr_csv_row_t;

typedef struct okr_csv {
    char **header; /* ncols column names as written (not trimmed) */
    size_t ncols;
    okr_csv_row_t *rows; /* the data rows, in file order */
    size_t nrows, caprows;
} okr_csv_t;

/* Reads data[0..len) (a whole file) into *t. Returns 0, or -1 with a message
 * for people in err ("a quoted field is not closed ...", to be shown after
 * "FILE:LINE: ") and *t empty; *line is then the line the problem is on (0
 * when none: the file as a whole, or out of memory). A file with only a
 * header has no rows (0). */
int okr_csv_parse(const char *data, size_t len, okr_csv_t *t, size_t *line, char *err,
                  size_t errlen);

/* Reads the whole of f (at most OKR_CSV_MAX_BYTES, else an error saying so)
 * and parses it as okr_csv_parse does. */
int okr_csv_read(FILE *f, okr_csv_t *t, size_t *line, char *err, size_t errlen);

/* The column named name (compared without case, spaces around the header's
 * name ignored), or -1. */
long okr_csv_column(const okr_csv_t *t, const char *name);

/* Row r's field in column col, or "" when col is -1. */
const char *okr_csv_field(const okr_csv_row_t *r, long col);

/* Frees everything t holds; t is left empty (safe to free twice). */
void okr_csv_free(okr_csv_t *t);

#endif
