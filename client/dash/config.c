/* config.c — okr-dash's settings; see config.h. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "ini_read.h"

enum {
    OPT_SERVER = 1000,
    OPT_FINGERPRINT,
    OPT_CA,
    OPT_TOKEN,
    OPT_TOKEN_FILE,
    OPT_CONFIG,
    OPT_TITLE,
    OPT_ROTATE,
    OPT_TIMEOUT,
    OPT_ONCE,
    OPT_WIDTH,
    OPT_HEIGHT,
    OPT_PAGE,
    OPT_LOG,
    OPT_VERSION,
};

static const struct option conf_longopts[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"fingerprint", required_argument, NULL, OPT_FINGERPRINT},
    {"ca", required_argument, NULL, OPT_CA},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"title", required_argument, NULL, OPT_TITLE},
    {"rotate", required_argument, NULL, OPT_ROTATE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"once", no_argument, NULL, OPT_ONCE},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"height", required_argument, NULL, OPT_HEIGHT},
    {"page", required_argument, NULL, OPT_PAGE},
    {"log", required_argument, NULL, OPT_LOG},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Where a step writes its message. Steps return DASH_CONF_OK to go on. */
typedef struct conf_msg {
    char *err;
    size_t errlen;
} conf_msg_t;

__attribute__((format(printf, 3, 4))) static dash_conf_rc_t
conf__fail(const conf_msg_t *m, dash_conf_rc_t rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, m->errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static int conf__set(char **field, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

static int conf__int(const char *s, int min, int max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

void dash_conf_defaults(dash_conf_t *c)
{
    memset(c, 0, sizeof *c);
    c->rotate_s = DASH_ROTATE_DEFAULT_S;
    c->width = DASH_ONCE_WIDTH;
    c->height = DASH_ONCE_HEIGHT;
    c->page = 1;
    c->timeout_ms = DASH_TIMEOUT_MS;
}

void dash_conf_free(dash_conf_t *c)
{
    if (c->token) {
        OPENSSL_cleanse(c->token, strlen(c->token));
        free(c->token);
    }
    free(c->server);
    free(c->fingerprint);
    free(c->ca_file);
    free(c->token_file);
    free(c->title);
    free(c->log);
    memset(c, 0, sizeof *c);
}

/* ---------------------------------------------------------------- the file */

/* Reading the file: okr_ini_read (common/ini_read.h) runs inih and tells
 * what it found with the line. okr-dash shows one message: the problem on
 * the first line, or one about the whole file. */
typedef struct ini_ctx {
    dash_conf_t *conf;
    dash_conf_rc_t rc; /* DASH_CONF_OK until a problem */
    unsigned line;     /* the problem's line; 0: the whole file */
    char err[512];
} ini_ctx_t;

/* The settings that are strings: their key in the file, their flag, their
 * field. */
static const struct {
    const char *key;
    int opt;
    size_t off;
} conf_strings[] = {
    {"server", OPT_SERVER, offsetof(dash_conf_t, server)},
    {"fingerprint", OPT_FINGERPRINT, offsetof(dash_conf_t, fingerprint)},
    {"ca_file", OPT_CA, offsetof(dash_conf_t, ca_file)},
    {"token", OPT_TOKEN, offsetof(dash_conf_t, token)},
    {"token_file", OPT_TOKEN_FILE, offsetof(dash_conf_t, token_file)},
    {"title", OPT_TITLE, offsetof(dash_conf_t, title)},
    {"log", OPT_LOG, offsetof(dash_conf_t, log)},
};
#define NSTRINGS (sizeof conf_strings / sizeof conf_strings[0])

/* The string field for a file's key (opt 0) or a flag (key NULL); NULL if
 * the setting is no string. */
static char **conf__string_field(dash_conf_t *c, const char *key, int opt)
{
    for (size_t i = 0; i < NSTRINGS; i++)
        if (key ? strcmp(key, conf_strings[i].key) == 0 : opt == conf_strings[i].opt)
            return (char **)((char *)c + conf_strings[i].off);
    return NULL;
}

/* Keeps the message unless one about an earlier line, or the whole file,
 * is kept already. line 0: the whole file. */
__attribute__((format(printf, 4, 5))) static void
conf__file_fail(ini_ctx_t *x, unsigned line, dash_conf_rc_t rc, const char *fmt, ...)
{
    if (x->rc != DASH_CONF_OK && x->line <= line)
        return;
    x->rc = rc;
    x->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, sizeof x->err, fmt, ap);
    va_end(ap);
}

/* The flag (without its dashes) of the string setting that the start of a
 * config line sets, and the setting in key; NULL if it sets none. */
static const char *conf__line_flag(const char *text, char *key, size_t keylen)
{
    if (strncmp(text, "\xEF\xBB\xBF", 3) == 0) /* inih skips a UTF-8 BOM */
        text += 3;
    text += strspn(text, " \t");
    size_t n = strcspn(text, "=:");
    while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= keylen || !text[strcspn(text, "=:")])
        return NULL;
    memcpy(key, text, n);
    key[n] = '\0';
    for (size_t i = 0; i < NSTRINGS; i++)
        if (strcmp(key, conf_strings[i].key) == 0)
            for (const struct option *o = conf_longopts; o->name; o++)
                if (o->val == conf_strings[i].opt)
                    return o->name;
    return NULL;
}

/* A line too long: what to do instead depends on its setting. */
static void conf__line_too_long(ini_ctx_t *x, const okr_ini_at_t *at, int max, const char *text)
{
    char key[32], advice[160];
    const char *flag = conf__line_flag(text, key, sizeof key);
    if (flag && strcmp(key, "token") == 0)
        snprintf(advice, sizeof advice,
                 "put the token alone on one line (token = dash-...), or give it with "
                 "--token-file FILE or --token instead");
    else if (flag)
        snprintf(advice, sizeof advice, "shorten it, or give %s with --%s instead", key, flag);
    else
        snprintf(advice, sizeof advice,
                 "shorten it, or give the setting as a flag instead (okr-dash --help lists them)");
    conf__file_fail(x, at->line, DASH_CONF_BAD_FILE,
                    "%s line %u: this line is longer than %d bytes, more than okr-dash can read "
                    "from a config file; %s",
                    at->name, at->line, max, advice);
}

static void conf__on_problem(void *arg, const okr_ini_at_t *at, okr_ini_problem_t problem, int code,
                             const char *text)
{
    ini_ctx_t *x = arg;
    switch (problem) {
    case OKR_INI_LINE_TOO_LONG:
        conf__line_too_long(x, at, code, text);
        return;
    case OKR_INI_READ_ERROR:
        if (at->line == 0)
            conf__file_fail(x, 0, DASH_CONF_BAD_FILE,
                            "cannot read %s: %s (--config takes an INI file, the one okr token "
                            "create prints)",
                            at->name, strerror(code));
        else
            conf__file_fail(x, 0, DASH_CONF_BAD_FILE, "cannot read %s past line %u: %s", at->name,
                            at->line, strerror(code));
        return;
    case OKR_INI_NO_MEMORY:
        conf__file_fail(x, 0, DASH_CONF_NOMEM,
                        "%s: out of memory while reading it; free some memory and retry", at->name);
        return;
    case OKR_INI_PARSER_ERROR:
        conf__file_fail(x, 0, DASH_CONF_BAD_FILE, "cannot read %s (inih error %d)", at->name, code);
        return;
    case OKR_INI_BAD_LINE:
        conf__file_fail(x, at->line, DASH_CONF_BAD_FILE,
                        "%s line %u: not a key = value line (each setting goes on one line, as "
                        "name = value)",
                        at->name, at->line);
        return;
    }
}

static int conf__on_value(void *arg, const okr_ini_at_t *at, const char *section, const char *name,
                          const char *value)
{
    ini_ctx_t *x = arg;
    dash_conf_t *c = x->conf;
    if (strcmp(section, "dash") != 0) {
        conf__file_fail(x, at->line, DASH_CONF_BAD_FILE,
                        "%s line %u: unknown section [%s] (okr-dash reads [dash])", at->name,
                        at->line, section);
        return 0;
    }
    char **field = conf__string_field(c, name, 0);
    if (field) {
        if (conf__set(field, value) != 0) {
            conf__file_fail(x, at->line, DASH_CONF_NOMEM, "%s line %u: out of memory", at->name,
                            at->line);
            return 0;
        }
        return 1;
    }
    if (strcmp(name, "rotate_seconds") == 0) {
        if (conf__int(value, 1, DASH_ROTATE_MAX_S, &c->rotate_s) != 0) {
            conf__file_fail(x, at->line, DASH_CONF_BAD_FILE,
                            "%s line %u: rotate_seconds must be 1 to 86400", at->name, at->line);
            return 0;
        }
        return 1;
    }
    conf__file_fail(x, at->line, DASH_CONF_BAD_FILE, "%s line %u: unknown setting '%s'", at->name,
                    at->line, name);
    return 0;
}

dash_conf_rc_t dash_conf_load_stream(dash_conf_t *c, FILE *f, const char *name, char *err,
                                     size_t errlen)
{
    ini_ctx_t x = {.conf = c};
    if (okr_ini_read(f, name, conf__on_value, conf__on_problem, &x) == 0)
        return DASH_CONF_OK;
    if (errlen)
        snprintf(err, errlen, "%s", x.err);
    return x.rc != DASH_CONF_OK ? x.rc : DASH_CONF_BAD_FILE;
}

static dash_conf_rc_t conf__load(dash_conf_t *c, const char *path, dash_conf_open_fn *open,
                                 void *arg, const conf_msg_t *m)
{
    FILE *f = open ? open(path, arg) : fopen(path, "r");
    if (!f)
        return conf__fail(m, DASH_CONF_BAD_FILE, "cannot read %s: %s", path, strerror(errno));
    dash_conf_rc_t rc = dash_conf_load_stream(c, f, path, m->err, m->errlen);
    struct stat st;
    if (rc == DASH_CONF_OK && c->token && fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        fprintf(stderr, "okr-dash: warning: %s holds a token and others can read it (chmod 600)\n",
                path);
    fclose(f);
    return rc;
}

/* Reads the token from a file: its first line, without blanks around it. */
static dash_conf_rc_t conf__read_token(dash_conf_t *c, dash_conf_open_fn *open, void *arg,
                                       const conf_msg_t *m)
{
    FILE *fp = open ? open(c->token_file, arg) : fopen(c->token_file, "r");
    if (!fp)
        return conf__fail(m, DASH_CONF_BAD_FILE, "cannot read %s: %s", c->token_file,
                          strerror(errno));
    char buf[DASH_TOKEN_MAX];
    char *line = fgets(buf, sizeof buf, fp);
    fclose(fp);
    char *s = line ? line : buf;
    if (!line)
        buf[0] = '\0';
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    int rc = conf__set(&c->token, s);
    OPENSSL_cleanse(buf, sizeof buf);
    if (rc)
        return conf__fail(m, DASH_CONF_NOMEM, "out of memory");
    if (!c->token[0])
        return conf__fail(m, DASH_CONF_BAD_FILE, "%s holds no token", c->token_file);
    return DASH_CONF_OK;
}

/* ---------------------------------------------------------------- the flags */

/* First pass: --help, --version and --config only. */
static dash_conf_rc_t conf__first_pass(int argc, char **argv, const char **config,
                                       const conf_msg_t *m)
{
    opterr = 0;
    optind = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", conf_longopts, NULL)) != -1) {
        if (opt == 'h')
            return DASH_CONF_HELP;
        if (opt == OPT_VERSION)
            return DASH_CONF_VERSION;
        if (opt == OPT_CONFIG)
            *config = optarg;
        /* An unknown letter among others ("-xh") leaves optind on its
         * argument: name the letter, not the argument before. */
        if (opt == '?' && optopt > 0 && optopt < 128)
            return conf__fail(m, DASH_CONF_USAGE, "unknown option '-%c'", optopt);
        if (opt == '?')
            return conf__fail(m, DASH_CONF_USAGE, "unknown option '%s'", argv[optind - 1]);
        if (opt == ':')
            return conf__fail(m, DASH_CONF_USAGE, "option '%s' needs a value", argv[optind - 1]);
    }
    if (optind < argc)
        return conf__fail(m, DASH_CONF_USAGE, "unexpected argument '%s'", argv[optind]);
    return DASH_CONF_OK;
}

static dash_conf_rc_t conf__option(dash_conf_t *c, int opt, const char *arg, const conf_msg_t *m)
{
    double secs;
    char *end;
    if (opt == OPT_TOKEN_FILE) {
        free(c->token); /* the file wins over a token from the config */
        c->token = NULL;
    }
    char **field = conf__string_field(c, NULL, opt);
    if (field)
        return conf__set(field, arg) ? conf__fail(m, DASH_CONF_NOMEM, "out of memory")
                                     : DASH_CONF_OK;
    switch (opt) {
    case OPT_ROTATE:
        if (conf__int(arg, 1, DASH_ROTATE_MAX_S, &c->rotate_s) != 0)
            return conf__fail(m, DASH_CONF_USAGE, "--rotate takes seconds, 1 to 86400");
        return DASH_CONF_OK;
    case OPT_TIMEOUT:
        errno = 0;
        secs = strtod(arg, &end);
        if (errno || end == arg || *end || !(secs >= 0.1) || secs > 3600)
            return conf__fail(m, DASH_CONF_USAGE, "--timeout takes seconds, 0.1 to 3600");
        c->timeout_ms = (uint32_t)(secs * 1000 + 0.5);
        return DASH_CONF_OK;
    case OPT_ONCE:
        c->once = 1;
        return DASH_CONF_OK;
    case OPT_WIDTH:
        if (conf__int(arg, DASH_WIDTH_MIN, DASH_SIZE_MAX, &c->width) != 0)
            return conf__fail(m, DASH_CONF_USAGE, "--width takes 20 to 1000 columns");
        return DASH_CONF_OK;
    case OPT_HEIGHT:
        if (conf__int(arg, DASH_HEIGHT_MIN, DASH_SIZE_MAX, &c->height) != 0)
            return conf__fail(m, DASH_CONF_USAGE, "--height takes 5 to 1000 lines");
        return DASH_CONF_OK;
    case OPT_PAGE:
        if (conf__int(arg, 1, DASH_PAGE_MAX, &c->page) != 0)
            return conf__fail(m, DASH_CONF_USAGE, "--page takes a page number from 1");
        return DASH_CONF_OK;
    default:
        return DASH_CONF_OK; /* --config: done in the first pass */
    }
}

dash_conf_rc_t dash_conf_parse(dash_conf_t *c, int argc, char **argv, dash_conf_open_fn *open,
                               void *arg, char *err, size_t errlen)
{
    const conf_msg_t m = {err, errlen};
    const char *config = NULL;
    dash_conf_defaults(c);
    if (errlen)
        err[0] = '\0';
    dash_conf_rc_t rc = conf__first_pass(argc, argv, &config, &m);
    if (rc != DASH_CONF_OK)
        return rc;
    if (config && (rc = conf__load(c, config, open, arg, &m)) != DASH_CONF_OK)
        return rc;
    const char *env = getenv("OKR_DASH_TOKEN");
    if (env && env[0] && !c->token && !c->token_file && conf__set(&c->token, env))
        return conf__fail(&m, DASH_CONF_NOMEM, "out of memory");
    optind = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", conf_longopts, NULL)) != -1)
        if ((rc = conf__option(c, opt, optarg, &m)) != DASH_CONF_OK)
            return rc;
    if (!c->token && c->token_file && (rc = conf__read_token(c, open, arg, &m)) != DASH_CONF_OK)
        return rc;
    if (!c->server)
        return conf__fail(&m, DASH_CONF_USAGE,
                          "no server: give --server HOST:PORT (or server = in --config)");
    /* An empty token ("--token ''", "token =") is no token: the server
     * would only refuse it. */
    if (!c->token || !c->token[0])
        return conf__fail(&m, DASH_CONF_USAGE,
                          "no dashboard token: give --token-file FILE, --token or "
                          "$OKR_DASH_TOKEN (an admin makes one: okr token create)");
    if (!c->fingerprint && !c->ca_file)
        return conf__fail(&m, DASH_CONF_USAGE,
                          "give --fingerprint SHA256 (printed by okr token create) or "
                          "--ca FILE, so the server can be verified");
    return DASH_CONF_OK;
}
