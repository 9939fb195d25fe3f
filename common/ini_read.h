/* ini_read.h — reads an INI config file with inih, line by line, for okrd and
 * okr-dash.
 *
 * inih alone keeps three failures quiet, and this reader catches them:
 *   - a read error ends inih's file as if it had ended there: --config naming
 *     a directory (fopen succeeds on Linux, the first read fails with EISDIR)
 *     read as an empty file;
 *   - a line longer than inih's buffer (200 bytes with its newline and NUL)
 *     is cut, and inih parses its rest as a line of its own: a value cut
 *     short, or replaced (a rest that starts with a blank continues the
 *     value), or a message about a line after it;
 *   - out of memory (inih's -2) has no line to report.
 * It also counts the lines, so every value and problem comes with its line,
 * and reads an indented line as itself (inih alone would make it more of the
 * value above it): settings may be indented under their [section].
 *
 * Wording is the caller's: each program says what to do in its own terms
 * (okrd: a flag; okr-dash: --token-file). Nothing here prints.
 */
#ifndef OKR_INI_READ_H
#define OKR_INI_READ_H

#include <stdio.h>

/* Where a value or a problem is. Valid during the callback only. */
typedef struct okr_ini_at {
    const char *name; /* the file's name, as given to okr_ini_read */
    unsigned line;    /* its line, from 1; see okr_ini_problem_t for problems */
} okr_ini_at_t;

typedef enum okr_ini_problem {
    /* at->line is longer than code bytes (its newline not counted). It is
     * skipped whole, and the lines after it are still read with their own
     * numbers. text is its first bytes, for naming its setting. */
    OKR_INI_LINE_TOO_LONG,
    /* Reading stopped with errno code after at->line lines (0: the file
     * could not be read at all, e.g. a directory). Nothing else is reported
     * after it. */
    OKR_INI_READ_ERROR,
    /* inih ran out of memory (at->line 0). */
    OKR_INI_NO_MEMORY,
    /* inih failed with its code, not one of its documented ones (at->line 0). */
    OKR_INI_PARSER_ERROR,
    /* at->line is neither [section], name = value (or name: value), a
     * comment nor blank. Only the first such line is reported (inih names
     * no other), and only if no line before it had a value on_value refused
     * (inih then names that line instead). */
    OKR_INI_BAD_LINE,
} okr_ini_problem_t;

/* Called for each name = value, section "" before any [section]. Returns 1
 * to accept it, 0 if it is wrong (the callback says why). */
typedef int okr_ini_value_fn(void *arg, const okr_ini_at_t *at, const char *section,
                             const char *name, const char *value);

/* Called for each problem, in the order found (lines in order, except
 * OKR_INI_BAD_LINE, found only at the end). text: see OKR_INI_LINE_TOO_LONG;
 * NULL for the others. */
typedef void okr_ini_problem_fn(void *arg, const okr_ini_at_t *at, okr_ini_problem_t problem,
                                int code, const char *text);

/* Reads f to its end, calling on_value for each value and on_problem for
 * each problem, both with arg. name is the file's name for at->name. f
 * stays open. Returns 0 if every line was read and every value accepted,
 * else -1. */
int okr_ini_read(FILE *f, const char *name, okr_ini_value_fn *on_value,
                 okr_ini_problem_fn *on_problem, void *arg);

#endif
