/* cli_io.c — okr's terminal input (passwords without echo, the trust
 * question) and output formatting (tables by display width, JSON users). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "kit_words.h"
#include "okr_error.h"
#include "render.h"
#include "tls_ctx.h"
#include "validate.h"

/* ---------------------------------------------------------------- terminal */

/* While echo is off, a signal must not leave the terminal silent: the
 * handler restores it and dies of the signal as it would have. */
static struct termios cli_saved_tio;
static volatile sig_atomic_t cli_tio_fd = -1;
static const int cli_fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define CLI_NSIG (sizeof cli_fatal_signals / sizeof cli_fatal_signals[0])

static void cli__on_signal(int sig)
{
    if (cli_tio_fd >= 0)
        tcsetattr(cli_tio_fd, TCSAFLUSH, &cli_saved_tio);
    signal(sig, SIG_DFL);
    raise(sig);
}

static int cli__echo_off(int fd, struct sigaction old[CLI_NSIG])
{
    if (tcgetattr(fd, &cli_saved_tio) != 0)
        return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cli__on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < CLI_NSIG; i++)
        sigaction(cli_fatal_signals[i], &sa, &old[i]);
    cli_tio_fd = fd;
    struct termios quiet = cli_saved_tio;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
    quiet.c_lflag |= ECHONL;
    return tcsetattr(fd, TCSAFLUSH, &quiet);
}

static void cli__echo_restore(int fd, const struct sigaction old[CLI_NSIG])
{
    tcsetattr(fd, TCSAFLUSH, &cli_saved_tio);
    cli_tio_fd = -1;
    for (size_t i = 0; i < CLI_NSIG; i++)
        sigaction(cli_fatal_signals[i], &old[i], NULL);
}

/* Reads one line from fd byte by byte (no stdio buffer keeps a copy of a
 * password, and nothing past the line is consumed). */
static int cli__read_line(int fd, char *buf, size_t len)
{
    size_t n = 0;
    int too_long = 0;
    for (;;) {
        char ch;
        ssize_t r = read(fd, &ch, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (n == 0 && !too_long)
                return -2;
            break;
        }
        if (ch == '\n')
            break;
        if (n + 1 < len)
            buf[n++] = ch;
        else
            too_long = 1;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    if (too_long) {
        okr_cli_wipe(buf, len);
        return -3;
    }
    return 0;
}

int okr_cli_interactive(void)
{
    if (!isatty(STDIN_FILENO))
        return 0;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

int okr_cli_prompt(const char *prompt, int echo, char *buf, size_t len)
{
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    fflush(stdout);
    if (write(fd, prompt, strlen(prompt)) < 0) {
        close(fd);
        return -1;
    }
    struct sigaction old[CLI_NSIG];
    int quiet = !echo && cli__echo_off(fd, old) == 0;
    int rc = cli__read_line(fd, buf, len);
    if (quiet)
        cli__echo_restore(fd, old);
    close(fd);
    return rc;
}

int okr_cli_read_stdin_line(char *buf, size_t len)
{
    return cli__read_line(STDIN_FILENO, buf, len);
}

void okr_cli_wipe(char *buf, size_t len)
{
    OPENSSL_cleanse(buf, len);
}

/* Password problems are usage errors (exit 2), but a --help hint would not help. */
#define CLI_PW_FAIL(cli, ...) okr_cli_fail(cli, OKR_EXIT_USAGE, "USAGE", __VA_ARGS__)

static int cli__secret_error(okr_cli_t *cli, int rc, int from_stdin)
{
    if (rc == -1)
        return CLI_PW_FAIL(cli, "no terminal to read the password from; pipe it in with "
                                "--password-stdin");
    if (rc == -3)
        return CLI_PW_FAIL(cli, "the password is longer than %d bytes", OKR_CLI_SECRET_MAX - 1);
    return CLI_PW_FAIL(cli, "no password given%s", from_stdin ? " on standard input" : "");
}

int okr_cli_read_new_password(okr_cli_t *cli, int from_stdin, const char *prompt, char *buf,
                              size_t len)
{
    int rc = from_stdin ? okr_cli_read_stdin_line(buf, len) : okr_cli_prompt(prompt, 0, buf, len);
    if (rc)
        return cli__secret_error(cli, rc, from_stdin);
    if (!buf[0])
        return CLI_PW_FAIL(cli, "the password must not be empty");
    if (from_stdin)
        return 0;
    char again[OKR_CLI_SECRET_MAX];
    rc = okr_cli_prompt("Repeat the password: ", 0, again, sizeof again);
    if (rc) {
        okr_cli_wipe(again, sizeof again);
        okr_cli_wipe(buf, len);
        return cli__secret_error(cli, rc, 0);
    }
    int same = strcmp(buf, again) == 0;
    okr_cli_wipe(again, sizeof again);
    if (!same) {
        okr_cli_wipe(buf, len);
        return CLI_PW_FAIL(cli, "the two passwords differ; nothing was changed");
    }
    return 0;
}

int okr_cli_confirm_new(void *arg, const char *hostport, const char *fingerprint_hex)
{
    (void)arg;
    char pretty[96], msg[1024], answer[16];
    okr_tls_fingerprint_pretty(fingerprint_hex, pretty, sizeof pretty);
    snprintf(msg, sizeof msg,
             "The authenticity of server '%s' can't be established.\n"
             "Its certificate's SHA-256 fingerprint is\n"
             "  %s\n"
             "Compare it with the fingerprint okrd printed when it started (or ask the\n"
             "server's administrator).\n"
             "Trust this server? [y/N] ",
             hostport, pretty);
    if (okr_cli_prompt(msg, 1, answer, sizeof answer) != 0)
        return 0;
    return strcmp(answer, "y") == 0 || strcmp(answer, "Y") == 0 || strcmp(answer, "yes") == 0 ||
           strcmp(answer, "YES") == 0 || strcmp(answer, "Yes") == 0;
}

/* ---------------------------------------------------------------- formatting */

char *okr_cli_sanitize(const char *s, int keep_newlines)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n' && keep_newlines) {
            out[o++] = '\n';
        } else if (ch < 0x20 || ch == 0x7f) {
            out[o++] = '?';
        } else if (ch == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
                   (unsigned char)s[i + 1] <= 0x9f) {
            out[o++] = '?'; /* a C1 control such as CSI (U+009B) */
            i++;
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o] = '\0';
    return out;
}

const char *okr_cli_role_name(Okr__Role role)
{
    switch (role) {
    case OKR__ROLE__ROLE_ADMIN:
        return "admin";
    case OKR__ROLE__ROLE_MEMBER:
        return "member";
    default:
        return "unknown";
    }
}

/* The roles as people type them, in the order okr __complete offers them. */
static const okr_kit_word_t cli_roles[] = {{"admin", OKR__ROLE__ROLE_ADMIN},
                                           {"member", OKR__ROLE__ROLE_MEMBER}};

#define CLI_NROLES (sizeof cli_roles / sizeof cli_roles[0])

int okr_cli_parse_role(const char *s, Okr__Role *role)
{
    int v;
    if (okr_kit_word_value(cli_roles, CLI_NROLES, s, &v) != 0)
        return -1;
    *role = (Okr__Role)v;
    return 0;
}

const char *okr_cli_role_word(size_t i)
{
    return okr_kit_word_at(cli_roles, CLI_NROLES, i);
}

void okr_cli_format_time(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms <= 0 || !localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm) == 0)
        snprintf(buf, len, "unknown");
}

#define CLI_LATE_MS 60000 /* recorded this much after its date: made late */

const char *okr_cli_checkin_dated(const Okr__CheckIn *ci, char *buf, size_t len)
{
    if (ci->recorded_at <= ci->time + CLI_LATE_MS)
        return NULL;
    okr_cli_format_time(ci->time, buf, len);
    return buf;
}

json_t *okr_cli_user_json(const Okr__User *u)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:b, s:I, s:I, s:I}", "id", (json_int_t)u->id,
                     "username", u->username ? u->username : "", "display_name",
                     u->display_name ? u->display_name : "", "role", okr_cli_role_name(u->role),
                     "active", (int)u->active, "version", (json_int_t)u->version, "created_at",
                     (json_int_t)u->created_at, "updated_at", (json_int_t)u->updated_at);
}

int okr_cli_table_init(okr_cli_table_t *t, size_t ncols, const char *const *header)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    return okr_cli_table_add(t, header);
}

int okr_cli_table_add(okr_cli_table_t *t, const char *const *row)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **cells = realloc(t->cells, cap * t->ncols * sizeof *cells);
        if (!cells)
            return -1;
        t->cells = cells;
        t->cap = cap;
    }
    char **dst = t->cells + t->nrows * t->ncols;
    for (size_t i = 0; i < t->ncols; i++) {
        dst[i] = okr_cli_sanitize(row[i], 0);
        if (!dst[i]) {
            while (i-- > 0)
                free(dst[i]);
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

void okr_cli_table_print(const okr_cli_table_t *t, FILE *out)
{
    okr_render_table_print(t, out, NULL, NULL);
}

void okr_cli_table_free(okr_cli_table_t *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}
