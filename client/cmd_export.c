/* cmd_export.c — okr export: a cycle's objectives and key results as a
 * self-contained HTML page, an SVG map, a Graphviz digraph, CSV, JSON or
 * Markdown (the writers are in export_*.c).
 *
 * -o FILE is written atomically, like every file okr writes: into a
 * temporary file beside it, flushed to disk, then renamed over FILE, so a
 * reader (a web server publishing the page, a spreadsheet) never sees half
 * an export, and a failed export leaves the old one in place.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd_kit.h"
#include "complete.h"
#include "export.h"
#include "view_model.h"

enum {
    OPT_FORMAT = OKR_OPT_FIRST_COMMAND_OPT,
    OPT_CYCLE,
};

static const char export_usage[] =
    "Usage: okr export --format FORMAT [--cycle C] [-o FILE]\n"
    "\n"
    "Exports every objective of a cycle you may read, with its key results and\n"
    "their figures, in alignment order.\n"
    "\n"
    "Formats:\n"
    "  html   one self-contained page: the alignment map (a box per objective\n"
    "         with its progress bar and status colour, lines to the objective\n"
    "         it supports) and a table of every objective and key result,\n"
    "         each objective with its week-by-week trend.\n"
    "         CSS and SVG inline, no scripts, nothing fetched: it opens offline\n"
    "  svg    the alignment map alone\n"
    "  dot    a Graphviz digraph (dot -Tpng): objectives as boxes coloured by\n"
    "         status, key results as notes, edges from child to parent\n"
    "  csv    one row per objective and per key result with every figure\n"
    "         (RFC 4180: quoted where needed, CRLF line ends, UTF-8)\n"
    "  json   every objective with its key results, figures and weekly trend\n"
    "  md     Markdown for a cycle review: a section per objective (with its\n"
    "         trend as a sparkline), a table of its key results\n"
    "\n"
    "Options:\n"
    "  --format FORMAT   html, svg, dot, csv, json or md (default: from the\n"
    "                    extension of -o FILE)\n"
    "  --cycle CYCLE     the cycle (default: the current one)\n"
    "  -o, --output FILE write FILE (atomically) instead of standard output\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr export --format html -o okr-2026-Q1.html\n"
    "  okr export --format dot | dot -Tsvg > alignment.svg\n"
    "  okr export --format csv --cycle 2026-Q1 -o q1.csv\n"
    "  okr export -o review.md\n";

typedef int (*export_fn)(FILE *out, const okr_view_t *v);

typedef struct export_format {
    const char *name;
    const char *ext; /* also accepted as the file's extension */
    export_fn write;
} export_format_t;

static const export_format_t export_formats[] = {
    {"html", "htm", okr_export_html},  {"svg", "svg", okr_export_svg},
    {"dot", "gv", okr_export_dot},     {"csv", "csv", okr_export_csv},
    {"json", "json", okr_export_json}, {"md", "markdown", okr_export_md},
};

#define EXPORT_NFORMATS (sizeof export_formats / sizeof export_formats[0])

const char *okr_export_format_word(size_t i)
{
    return i < EXPORT_NFORMATS ? export_formats[i].name : NULL;
}

typedef struct export_opts {
    const char *format, *cycle, *output;
} export_opts_t;

static int export__opt(okr_cli_t *cli, int opt, void *arg)
{
    export_opts_t *o = arg;
    (void)cli;
    switch (opt) {
    case OPT_FORMAT:
        o->format = optarg;
        return -1;
    case OPT_CYCLE:
        o->cycle = optarg;
        return -1;
    case 'o':
        o->output = optarg;
        return -1;
    }
    return OKR_EXIT_USAGE;
}

static const export_format_t *export__find(const char *name)
{
    for (size_t i = 0; name && i < EXPORT_NFORMATS; i++)
        if (strcmp(name, export_formats[i].name) == 0 || strcmp(name, export_formats[i].ext) == 0)
            return &export_formats[i];
    return NULL;
}

/* The format from --format, else from the output file's extension. */
static int export__format(okr_cli_t *cli, const export_opts_t *o, const export_format_t **f)
{
    if (o->format) {
        *f = export__find(o->format);
        if (!*f)
            return okr_cli_usage_error(cli, "--format is html, svg, dot, csv, json or md, not '%s'",
                                       o->format);
        return -1;
    }
    const char *dot = o->output ? strrchr(o->output, '.') : NULL;
    const char *slash = o->output ? strrchr(o->output, '/') : NULL;
    if (dot && (!slash || dot > slash))
        *f = export__find(dot + 1);
    if (!*f)
        return okr_cli_usage_error(cli, "which format? --format html, svg, dot, csv, json or md");
    return -1;
}

/* ---------------------------------------------------------------- writing */

/* Writes v to path through a temporary file and a rename. 0 or an exit
 * code (printed). */
static int export__to_file(okr_cli_t *cli, const char *path, const export_format_t *f,
                           const okr_view_t *v)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return okr_kit_nomem(cli);
    snprintf(tmp, n + 16, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "IO", "cannot write %s: %s", path, strerror(e));
    }
    /* mkstemp makes it 0600; an export is as readable as any new file */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    FILE *out = fdopen(fd, "w");
    if (!out) {
        int e = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "IO", "cannot write %s: %s", path, strerror(e));
    }
    int rc = f->write(out, v);
    int e = 0;
    if (rc == 0 && (fflush(out) != 0 || ferror(out) || fsync(fileno(out)) != 0))
        e = errno ? errno : EIO;
    if (fclose(out) != 0 && !e && rc == 0)
        e = errno ? errno : EIO;
    if (rc == 0 && !e && rename(tmp, path) != 0)
        e = errno;
    if (rc != 0 || e) {
        unlink(tmp);
        free(tmp);
        if (rc != 0)
            return okr_kit_nomem(cli);
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "IO", "cannot write %s: %s", path, strerror(e));
    }
    free(tmp);
    return 0;
}

static int export__to_stdout(okr_cli_t *cli, const export_format_t *f, const okr_view_t *v)
{
    if (f->write(stdout, v) != 0)
        return okr_kit_nomem(cli);
    if (fflush(stdout) != 0 || ferror(stdout))
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "IO", "cannot write to standard output: %s",
                            strerror(errno ? errno : EIO));
    return 0;
}

int okr_cmd_export(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, NULL, OPT_FORMAT},
                                             {"cycle", required_argument, NULL, OPT_CYCLE},
                                             {"output", required_argument, NULL, 'o'},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "export";
    cli->usage = export_usage;
    optind = 0;
    export_opts_t o = {0};
    const export_format_t *f = NULL;
    int rc = okr_kit_options(cli, argc, argv, "o:", longopts, export__opt, &o);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 0, 0, "");
    if (rc < 0)
        rc = export__format(cli, &o, &f);
    if (rc >= 0)
        return rc;
    if (o.output && !o.output[0])
        return okr_cli_usage_error(cli, "-o needs a file name");
    if ((rc = okr_cli_connect_lazy(cli)) != 0)
        return rc;
    uint64_t cycle_id;
    if ((rc = okr_view_cycle_arg(cli, o.cycle, &cycle_id)) != 0)
        return rc;
    okr_view_t v;
    if ((rc = okr_view_load(cli, cycle_id, OKR_VIEW_TRENDS, &v)) != 0)
        return rc;
    if (o.output && strcmp(o.output, "-") != 0) {
        rc = export__to_file(cli, o.output, f, &v);
        if (rc == 0 && !cli->json)
            fprintf(stderr, "okr: wrote %s (%s, %zu objective%s)\n", o.output, f->name, v.n,
                    v.n == 1 ? "" : "s");
    } else {
        rc = export__to_stdout(cli, f, &v);
    }
    okr_view_free(&v);
    return rc;
}
