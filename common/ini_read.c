/* ini_read.c — inih over our own line reader; see ini_read.h. */
#include "ini_read.h"

#include <errno.h>
#include <ini.h>
#include <string.h>

typedef struct ini_read {
    FILE *f;
    okr_ini_at_t at; /* at.line: lines read so far; a value's is the last */
    okr_ini_value_fn *on_value;
    okr_ini_problem_fn *on_problem;
    void *arg;
    unsigned first_refused; /* first line with a value on_value refused; 0: none */
    int read_errno;         /* the read error that ended the file early; 0: none */
    int failed;
} ini_read_t;

static void ini_read__problem(ini_read_t *r, unsigned line, okr_ini_problem_t problem, int code,
                              const char *text)
{
    okr_ini_at_t at = {r->at.name, line};
    r->failed = 1;
    r->on_problem(r->arg, &at, problem, code, text);
}

/* Drops the blanks a line starts with. inih reads an indented line after a
 * value as more of that value (INI_ALLOW_MULTILINE): settings indented
 * under their [section], as people write them, would each become the rest
 * of the one above ("listen" set to "max_connections = 50"). No okr setting
 * spans lines, so an indented line is read as the line it is. */
static void ini_read__unindent(char *line)
{
    size_t blanks = strspn(line, " \t");
    if (blanks)
        memmove(line, line + blanks, strlen(line + blanks) + 1);
}

/* An ini_reader (fgets's contract, num >= 2). Byte by byte rather than with
 * fgets, so that a NUL byte cannot hide how much of the line was read. A
 * line longer than inih's buffer is reported, read to its end and given to
 * inih as an empty line, so that inih's line numbers stay those of the file
 * and the lines after it are still checked. A read error ends the file for
 * inih; okr_ini_read reports it. */
static char *ini_read__line(char *str, int num, void *arg)
{
    ini_read_t *r = arg;
    size_t n = 0, max = (size_t)num - 1;
    int c = 0;
    errno = 0;
    while (n < max && c != '\n' && (c = getc(r->f)) != EOF)
        str[n++] = (char)c;
    if (ferror(r->f))
        goto read_error;
    if (n == 0)
        return NULL; /* the end of the file */
    r->at.line++;
    str[n] = '\0';
    ini_read__unindent(str);
    if (c == '\n' || c == EOF)
        return str;
    /* The buffer is full and the line goes on, unless the file ends here. */
    c = getc(r->f);
    if (c == EOF && !ferror(r->f))
        return str;
    while (c != '\n' && c != EOF)
        c = getc(r->f);
    if (ferror(r->f))
        goto read_error;
    ini_read__problem(r, r->at.line, OKR_INI_LINE_TOO_LONG, num - 2, str);
    strcpy(str, "\n");
    return str;
read_error:
    r->read_errno = errno ? errno : EIO;
    return NULL;
}

static int ini_read__on_value(void *arg, const char *section, const char *name, const char *value)
{
    ini_read_t *r = arg;
    if (r->on_value(r->arg, &r->at, section, name, value))
        return 1;
    r->failed = 1;
    if (!r->first_refused)
        r->first_refused = r->at.line;
    return 0;
}

int okr_ini_read(FILE *f, const char *name, okr_ini_value_fn *on_value,
                 okr_ini_problem_fn *on_problem, void *arg)
{
    ini_read_t r = {
        .f = f, .at = {name, 0}, .on_value = on_value, .on_problem = on_problem, .arg = arg};
    int rc = ini_parse_stream(ini_read__line, &r, ini_read__on_value, &r);
    if (r.read_errno)
        ini_read__problem(&r, r.at.line, OKR_INI_READ_ERROR, r.read_errno, NULL);
    else if (rc == -2)
        ini_read__problem(&r, 0, OKR_INI_NO_MEMORY, 0, NULL);
    else if (rc < 0)
        ini_read__problem(&r, 0, OKR_INI_PARSER_ERROR, rc, NULL);
    /* inih names only the first line in error, a value refused or a line
     * it could not parse: the latter if no value was refused there. */
    else if (rc > 0 && (unsigned)rc != r.first_refused)
        ini_read__problem(&r, (unsigned)rc, OKR_INI_BAD_LINE, 0, NULL);
    return rc == 0 && !r.failed ? 0 : -1;
}
