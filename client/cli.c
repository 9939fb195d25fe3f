/* cli.c — okr's command line: global options, dispatch, help, errors and
 * exit codes, and connecting (with the saved session) for the commands. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "complete.h"
#include "okr_error.h"
#include "paths.h"
#include "suggest.h"
#include "tls_ctx.h"
#include "trust.h"

#ifndef OKR_VERSION
#define OKR_VERSION "0.0.0"
#endif

#define CLI_DEFAULT_SERVER    "127.0.0.1:7433"
#define CLI_DEFAULT_TIMEOUT_S 10

static const char cli_usage[] =
    "Usage: okr [OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "okr is the command-line client of okrd, the real-time OKR server.\n"
    "\n"
    "Commands:\n"
    "  login [USERNAME]      log in and save the session\n"
    "  logout                end the session (the server revokes it)\n"
    "  whoami                show who you are logged in as\n"
    "  passwd                change your password\n"
    "  session               where you are logged in: list, revoke\n"
    "  user                  users: add, list, role, passwd, deactivate, activate\n"
    "                        (admins), edit (your own display name)\n"
    "  trust                 list or forget pinned server certificates\n"
    "  team                  teams: add, list, show, edit, rm, member\n"
    "  cycle                 OKR cycles (2026-Q1): add, list, show, edit, activate,\n"
    "                        close, start-from\n"
    "  obj                   objectives: add, list, show, edit, rm, archive\n"
    "  kr                    key results: add, list, show, edit, rm\n"
    "  score OBJ SCORE       score an objective of a closed cycle; --retro TEXT\n"
    "  checkin KR VALUE      record this week's value of a key result\n"
    "  history K|O|T         check-ins of a key result, or the change log\n"
    "  task                  tasks under key results: add, list, start, done, edit, rm\n"
    "  comment O|K TEXT      comment (okr comment list O|K to read them)\n"
    "  kudos O|K TEXT        thank someone: --to USER\n"
    "  mine                  your objectives, key results and open tasks\n"
    "  lint                  the OKR coach: what to fix in a cycle's OKRs\n"
    "  demo                  load a demo organisation into an empty server (admins)\n"
    "  watch                 show changes live as they are committed\n"
    "  tree                  the alignment tree of a cycle, live with --live\n"
    "  export                a cycle as HTML, SVG, Graphviz, CSV, JSON or Markdown\n"
    "  import FILE.csv       objectives and key results from a CSV file (as export\n"
    "                        writes it, or a spreadsheet)\n"
    "  report                the end-of-cycle report: scores by team\n"
    "  review                the agenda of this week's OKR meeting\n"
    "  token                 dashboard tokens for okr-dash: create, list, revoke\n"
    "  admin stats           the server's counters (admins)\n"
    "  completion bash|zsh   the shell's TAB completion of okr command lines\n"
    "  help [COMMAND]        show the help of a command\n"
    "\n"
    "Options (also accepted after the command):\n"
    "  --server HOST:PORT    the server (default: $OKR_SERVER, else the server of\n"
    "                        the saved session, else " CLI_DEFAULT_SERVER ")\n"
    "  --ca FILE             verify the server's certificate against this CA\n"
    "                        instead of pinning it\n"
    "  --trust               accept an unknown server's certificate and pin it,\n"
    "                        without asking (for scripts: compare the fingerprint\n"
    "                        okrd printed at startup first)\n"
    "  --json                machine-readable output on stdout; errors as\n"
    "                        {\"error\":{\"status\":...,\"message\":...}} on stderr\n"
    "  --timeout SECONDS     how long to wait for the server (default 10)\n"
    "  -h, --help            show help (also: okr COMMAND --help)\n"
    "  --version             show the version\n";

/* The rest of okr --help: a string literal may be at most 4095 bytes
 * (-Woverlength-strings), so the help is two (cli__put_usage). */
static const char cli_usage_more[] =
    "\n"
    "Trust: the first time okr meets a server it shows the SHA-256 fingerprint of\n"
    "its certificate and asks whether to trust it (like ssh), then pins it in\n"
    "known_servers. A server whose certificate no longer matches its pin is\n"
    "refused until the pin is removed with 'okr trust --forget HOST:PORT'.\n"
    "\n"
    "Environment: OKR_TRACE=1: a line on stderr for each request sent and each\n"
    "answer received (to see where a slow command waits).\n"
    "\n"
    "Files, in $OKR_CONFIG_DIR, else $XDG_CONFIG_HOME/okr, else ~/.config/okr:\n"
    "  session.json          the saved session: server, user name and id, token\n"
    "                        (0600)\n"
    "  known_servers         pinned certificates, one \"HOST:PORT SHA256\" a line\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  internal or other error\n"
    "  2  usage error\n"
    "  3  cannot connect to the server, or TLS or trust failure\n"
    "  4  authentication: not logged in, wrong password, session expired, too\n"
    "     many login attempts\n"
    "  5  the server refused the request (forbidden, bad request, not found,\n"
    "     conflict, ...)\n"
    "\n"
    "Examples:\n"
    "  okr --server okr.example.com login alice\n"
    "  okr whoami\n"
    "  okr session list\n"
    "  okr user add bob --name \"Bob Chen\"\n"
    "  okr user list --all --json\n";

/* Prints usage: a command's, or okr's own in its two parts. */
static void cli__put_usage(const char *usage, FILE *out)
{
    fputs(usage, out);
    if (usage == cli_usage)
        fputs(cli_usage_more, out);
}

static const okr_cli_cmd_t cli_commands[] = {
    {"login", "log in and save the session", okr_cmd_login},
    {"logout", "end the session", okr_cmd_logout},
    {"whoami", "show who you are logged in as", okr_cmd_whoami},
    {"passwd", "change your password", okr_cmd_passwd},
    {"session", "your login sessions", okr_cmd_session},
    {"user", "manage users", okr_cmd_user},
    {"trust", "manage pinned server certificates", okr_cmd_trust},
    {"team", "manage teams", okr_cmd_team},
    {"cycle", "manage OKR cycles", okr_cmd_cycle},
    {"obj", "manage objectives", okr_cmd_obj},
    {"kr", "manage key results", okr_cmd_kr},
    {"score", "score an objective", okr_cmd_score},
    {"checkin", "record a check-in", okr_cmd_checkin},
    {"history", "check-ins and change log", okr_cmd_history},
    {"task", "manage tasks", okr_cmd_task},
    {"comment", "comment on an objective or key result", okr_cmd_comment},
    {"kudos", "give kudos", okr_cmd_kudos},
    {"mine", "what is yours", okr_cmd_mine},
    {"lint", "the OKR coach", okr_cmd_lint},
    {"demo", "load a demo organisation", okr_cmd_demo},
    {"watch", "show changes live", okr_cmd_watch},
    {"tree", "the alignment tree", okr_cmd_tree},
    {"export", "export a cycle", okr_cmd_export},
    {"import", "import objectives and key results from CSV", okr_cmd_import},
    {"report", "the end-of-cycle report", okr_cmd_report},
    {"review", "the OKR meeting's agenda", okr_cmd_review},
    {"token", "dashboard tokens", okr_cmd_token},
    {"admin", "server administration", okr_cmd_admin},
    {"completion", "shell completion", okr_cmd_completion},
};

#define CLI_NCOMMANDS (sizeof cli_commands / sizeof cli_commands[0])

const struct option okr_cli_longopts[] = {{"version", no_argument, NULL, OKR_OPT_VERSION},
                                          OKR_CLI_GLOBAL_LONGOPTS};

/* ---------------------------------------------------------------- errors */

static const char *const cli_status_names[] = {
    [OKR_OK] = "OK",
    [OKR_E_BAD_REQUEST] = "BAD_REQUEST",
    [OKR_E_UNAUTHENTICATED] = "UNAUTHENTICATED",
    [OKR_E_FORBIDDEN] = "FORBIDDEN",
    [OKR_E_NOT_FOUND] = "NOT_FOUND",
    [OKR_E_CONFLICT] = "CONFLICT",
    [OKR_E_TOO_LARGE] = "TOO_LARGE",
    [OKR_E_RATE_LIMITED] = "RATE_LIMITED",
    [OKR_E_UNAVAILABLE] = "UNAVAILABLE",
    [OKR_E_INTERNAL] = "INTERNAL",
    [OKR_E_UNSUPPORTED] = "UNSUPPORTED",
    [OKR_E_IO] = "IO",
    [OKR_E_NOMEM] = "NOMEM",
    [OKR_E_PROTOCOL] = "PROTOCOL",
    [OKR_E_TLS] = "TLS",
    [OKR_E_TIMEOUT] = "TIMEOUT",
    [OKR_E_CLOSED] = "CLOSED",
    [OKR_E_FULL] = "FULL",
};

const char *okr_cli_status_name(int err)
{
    if (err >= 0 && (size_t)err < sizeof cli_status_names / sizeof cli_status_names[0] &&
        cli_status_names[err])
        return cli_status_names[err];
    return "INTERNAL";
}

int okr_cli_exit_code(int err)
{
    switch ((okr_err_t)err) {
    case OKR_OK:
        return OKR_EXIT_OK;
    case OKR_E_UNAUTHENTICATED:
        return OKR_EXIT_AUTH;
    case OKR_E_BAD_REQUEST:
    case OKR_E_FORBIDDEN:
    case OKR_E_NOT_FOUND:
    case OKR_E_CONFLICT:
    case OKR_E_TOO_LARGE:
    case OKR_E_RATE_LIMITED:
    case OKR_E_UNAVAILABLE:
    case OKR_E_UNSUPPORTED:
    case OKR_E_FULL:
        return OKR_EXIT_REFUSED;
    case OKR_E_IO:
    case OKR_E_TLS:
    case OKR_E_TIMEOUT:
    case OKR_E_CLOSED:
    case OKR_E_PROTOCOL:
        return OKR_EXIT_CONNECT;
    case OKR_E_INTERNAL:
    case OKR_E_NOMEM:
        break;
    }
    return OKR_EXIT_ERROR;
}

static int cli__vfail(okr_cli_t *cli, int code, const char *status, const char *fmt, va_list ap)
{
    char msg[4096];
    vsnprintf(msg, sizeof msg, fmt, ap);
    char *safe = okr_cli_sanitize(msg, 1);
    if (cli->json) {
        json_t *j =
            json_pack("{s:{s:s, s:s}}", "error", "status", status, "message", safe ? safe : msg);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (text)
            fprintf(stderr, "%s\n", text);
        free(text);
        json_decref(j);
    } else {
        fprintf(stderr, "okr: %s\n", safe ? safe : msg);
    }
    free(safe);
    return code;
}

int okr_cli_fail(okr_cli_t *cli, int code, const char *status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli__vfail(cli, code, status, fmt, ap);
    va_end(ap);
    return code;
}

int okr_cli_fail_err(okr_cli_t *cli, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int code = okr_cli_exit_code(err);
    cli__vfail(cli, code, okr_cli_status_name(err), fmt, ap);
    va_end(ap);
    return code;
}

int okr_cli_usage_error(okr_cli_t *cli, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (cli->command)
        return okr_cli_fail(cli, OKR_EXIT_USAGE, "USAGE", "%s: %s\nRun 'okr %s --help' for usage.",
                            cli->command, msg, cli->command);
    return okr_cli_fail(cli, OKR_EXIT_USAGE, "USAGE", "%s\nRun 'okr --help' for usage.", msg);
}

void okr_cli_print_json(json_t *j)
{
    char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(j);
}

/* ---------------------------------------------------------------- options */

static int cli__global_opt(okr_cli_t *cli, int opt, const char *arg)
{
    switch (opt) {
    case OKR_OPT_SERVER:
        cli->server_arg = arg;
        cli->server_from_flag = 1;
        return 0;
    case OKR_OPT_CA:
        cli->ca_file = arg;
        return 0;
    case OKR_OPT_TRUST:
        cli->trust_new = 1;
        return 0;
    case OKR_OPT_JSON:
        cli->json = 1;
        return 0;
    case OKR_OPT_TIMEOUT: {
        char *end;
        errno = 0;
        double s = strtod(arg, &end);
        if (errno || end == arg || *end || !(s > 0) || s > 3600)
            return okr_cli_usage_error(cli, "--timeout takes seconds, from 0.001 to 3600");
        cli->timeout_ms = (uint32_t)(s * 1000 + 0.5);
        if (cli->timeout_ms == 0)
            cli->timeout_ms = 1;
        return 0;
    }
    }
    return -1;
}

const struct option *okr_cli_long_option(const struct option *longopts, const char *name,
                                         size_t len)
{
    const struct option *found = NULL;
    for (const struct option *o = longopts; o && o->name; o++) {
        if (strncmp(o->name, name, len) != 0)
            continue;
        if (o->name[len] == '\0')
            return o; /* exact wins */
        if (found &&
            (found->has_arg != o->has_arg || found->flag != o->flag || found->val != o->val))
            return NULL; /* ambiguous: getopt_long refuses it */
        found = o;
    }
    return found;
}

int okr_cli_getopt(okr_cli_t *cli, int argc, char **argv, const char *shortopts,
                   const struct option *longopts)
{
    if (cli->probe) { /* okr __complete: the options, and nothing read */
        snprintf(cli->probe->shortopts, sizeof cli->probe->shortopts, "%s", shortopts);
        cli->probe->longopts = longopts;
        return 'h';
    }
    for (;;) {
        int before = optind;
        int opt = getopt_long(argc, argv, shortopts, longopts, NULL);
        if (opt == '?' || opt == ':') {
            const char *arg = argv[optind - 1 >= before ? optind - 1 : before];
            if (opt == ':')
                okr_cli_usage_error(cli, "option '%s' needs a value", arg);
            else if (optopt && optopt < 256)
                okr_cli_usage_error(cli, "unknown option '-%c'", optopt);
            else
                okr_cli_usage_error(cli, "unknown option '%s'", arg);
            return '?';
        }
        if (opt == 'h') {
            cli__put_usage(cli->usage, stdout);
            return 'h';
        }
        if (opt >= OKR_OPT_SERVER && opt < OKR_OPT_FIRST_COMMAND_OPT) {
            if (cli__global_opt(cli, opt, optarg) != 0)
                return '?';
            continue;
        }
        return opt;
    }
}

/* ---------------------------------------------------------------- session & server */

int okr_cli_config_file(okr_cli_t *cli, const char *name, char *out, size_t len, int create)
{
    char msg[512] = "";
    int rc = okr_paths_config_file(name, out, len, create, msg, sizeof msg);
    if (rc)
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "IO", "%s", msg);
    return 0;
}

int okr_cli_load_session(okr_cli_t *cli)
{
    if (cli->session_loaded)
        return cli->session_loaded > 0;
    cli->session_loaded = -1;
    char path[PATH_MAX];
    if (okr_paths_config_file(OKR_SESSION_FILE, path, sizeof path, 0, cli->config_err,
                              sizeof cli->config_err) != 0)
        return 0;
    int rc = okr_session_load(path, &cli->session, cli->config_err, sizeof cli->config_err);
    if (rc == 0)
        cli->session_loaded = 1;
    else if (rc != OKR_E_NOT_FOUND) /* a broken file: say so once, go on without */
        fprintf(stderr, "okr: warning: %s\n", cli->config_err);
    return cli->session_loaded > 0;
}

int okr_cli_resolve_server(okr_cli_t *cli)
{
    if (cli->server[0])
        return 0;
    const char *s = cli->server_arg;
    if (!s || !s[0])
        s = okr_cli_load_session(cli) ? cli->session.server : CLI_DEFAULT_SERVER;
    char msg[512];
    if (okr_hostport_parse(s, OKR_DEFAULT_PORT, cli->host, &cli->port, msg, sizeof msg) != 0) {
        if (cli->server_from_flag)
            return okr_cli_usage_error(cli, "%s", msg);
        return okr_cli_fail(cli, OKR_EXIT_USAGE, "USAGE", "%s (from %s)", msg,
                            cli->server_arg ? "$OKR_SERVER" : "the saved session");
    }
    okr_hostport_format(cli->host, cli->port, cli->server);
    return 0;
}

int okr_cli_try_connect(okr_cli_t *cli, char *err, size_t errlen)
{
    if (cli->probe) { /* a command that would connect before reading its options */
        snprintf(err, errlen, "okr __complete never connects");
        return OKR_E_INTERNAL;
    }
    /* One resumable TLS session per server, beside the session token. */
    char session_cache[PATH_MAX], name[OKR_HOSTPORT_MAX + 32], perr[256];
    snprintf(name, sizeof name, "tls-session-%s.pem", cli->server);
    for (char *p = name; *p; p++)
        if (*p == ':' || *p == '/' || *p == '[' || *p == ']')
            *p = '_';
    int have_cache =
        okr_paths_config_file(name, session_cache, sizeof session_cache, 1, perr, sizeof perr) == 0;
    okr_client_opts_t opts = {
        .session_cache_path = have_cache ? session_cache : NULL,
        .host = cli->host,
        .port = cli->port,
        .ca_file = cli->ca_file,
        .trust_new = cli->trust_new,
        .confirm_new = okr_cli_interactive() ? okr_cli_confirm_new : NULL,
        .timeout_ms = cli->timeout_ms,
        .client_name = "okr " OKR_VERSION,
        .auth_token = cli->send_token,
        .defer_hello = cli->defer_hello,
    };
    int rc = okr_client_connect(&cli->client, &opts, err, errlen);
    if (rc)
        return rc;
    if (okr_client_pinned_new(cli->client) && !cli->json) {
        char pretty[96];
        okr_tls_fingerprint_pretty(okr_client_fingerprint(cli->client), pretty, sizeof pretty);
        fprintf(stderr, "okr: pinned the certificate of %s (SHA-256 %s)\n", cli->server, pretty);
    }
    return 0;
}

int okr_cli_connect(okr_cli_t *cli)
{
    int rc = okr_cli_resolve_server(cli);
    if (rc)
        return rc;
    char err[4096];
    rc = okr_cli_try_connect(cli, err, sizeof err);
    if (rc)
        return okr_cli_fail(cli, rc == OKR_E_NOMEM ? OKR_EXIT_ERROR : OKR_EXIT_CONNECT,
                            okr_cli_status_name(rc), "%s", err);
    return 0;
}

static int cli__not_logged_in(okr_cli_t *cli, const char *why)
{
    if (cli->server_from_flag)
        return okr_cli_fail(cli, OKR_EXIT_AUTH, "UNAUTHENTICATED",
                            "not logged in to %s%s — run: okr login --server %s", cli->server, why,
                            cli->server);
    return okr_cli_fail(cli, OKR_EXIT_AUTH, "UNAUTHENTICATED",
                        "not logged in to %s%s — run: okr login", cli->server, why);
}

/* 1 if connecting to cli->server needs no trust decision: a CA, --trust, or
 * a pin on file. */
static int cli__server_verifiable(okr_cli_t *cli)
{
    if (cli->ca_file || cli->trust_new)
        return 1;
    char path[PATH_MAX], pin[OKR_FINGERPRINT_LEN], msg[512];
    if (okr_paths_config_file(OKR_KNOWN_SERVERS_FILE, path, sizeof path, 0, msg, sizeof msg))
        return 0;
    return okr_trust_lookup(path, cli->server, pin, msg, sizeof msg) == 0;
}

/* 1 if the saved session belongs to cli->server; else writes why not. */
static int cli__session_matches(okr_cli_t *cli, char *why, size_t len)
{
    why[0] = '\0';
    if (!okr_cli_load_session(cli))
        return 0;
    char canon[OKR_HOSTPORT_MAX], msg[512];
    if (okr_hostport_canon(cli->session.server, canon, msg, sizeof msg) == 0 &&
        strcmp(canon, cli->server) == 0)
        return 1;
    snprintf(why, len, " (the saved session is for %s)", cli->session.server);
    return 0;
}

/* The checks every answer gets: an error status is reported (and the
 * answer freed), and so is a result of another kind than expect. */
static int cli__check_answer(okr_cli_t *cli, Okr__Response **resp, Okr__Response__ResultCase expect)
{
    Okr__Response *r = *resp;
    if (r->status != OKR__STATUS__STATUS_OK) {
        int err = okr_status_to_err(r->status);
        const char *said = r->message && r->message[0] ? r->message : okr_strerror(err);
        /* After Hello, UNSUPPORTED means an operation this okrd does not know. */
        int code = err == OKR_E_UNSUPPORTED
                       ? okr_cli_fail_err(cli, err,
                                          "the server is an older okrd that cannot do 'okr %s'; "
                                          "upgrade okrd (it said: %s)",
                                          cli->command ? cli->command : "?", said)
                       : okr_cli_fail_err(cli, err, "%s", said);
        okr__response__free_unpacked(r, NULL);
        *resp = NULL;
        return code;
    }
    if (expect && r->result_case != expect) {
        okr__response__free_unpacked(r, NULL);
        *resp = NULL;
        return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL",
                            "the server answered with an unexpected result; is it an older okrd?");
    }
    return 0;
}

/* Connects with the saved session's token sent right behind Hello; the
 * answer is collected by cli__auth_answer. */
static int cli__connect_session(okr_cli_t *cli)
{
    int rc = okr_cli_resolve_server(cli);
    if (rc)
        return rc;
    char why[OKR_HOSTPORT_MAX + 64];
    if (!cli__session_matches(cli, why, sizeof why)) {
        /* Without a session the answer is "log in"; but a server we know is
         * still tried first, so a dead one is reported as such (exit 3).
         * An unknown one is not: a trust question would be beside the point. */
        if (cli__server_verifiable(cli)) {
            rc = okr_cli_connect(cli);
            if (rc)
                return rc;
        }
        return cli__not_logged_in(cli, why);
    }
    cli->send_token = cli->session.token; /* pipelined behind Hello */
    rc = okr_cli_connect(cli);
    cli->send_token = NULL;
    return rc;
}

static int cli__auth_answer(okr_cli_t *cli)
{
    int rc = okr_client_auth_token(cli->client, cli->session.token, &cli->me);
    if (rc == OKR_E_UNAUTHENTICATED)
        return cli__not_logged_in(cli, " (the session expired or was revoked)");
    if (rc == OKR_E_UNSUPPORTED || rc == OKR_E_PROTOCOL) /* Hello's answer, if deferred */
        return okr_cli_fail(cli, OKR_EXIT_CONNECT, okr_cli_status_name(rc), "%s",
                            okr_client_error(cli->client));
    if (rc)
        return okr_cli_fail_err(cli, rc, "%s", okr_client_error(cli->client));
    return 0;
}

int okr_cli_connect_auth(okr_cli_t *cli)
{
    int rc = cli__connect_session(cli);
    return rc ? rc : cli__auth_answer(cli);
}

int okr_cli_connect_lazy(okr_cli_t *cli)
{
    cli->defer_hello = 1;
    int rc = cli__connect_session(cli);
    cli->defer_hello = 0;
    if (rc == 0)
        cli->auth_pending = 1;
    return rc;
}

/* okr_cli_my_id lent the session's saved user id to a request sent ahead of
 * the token's answer: that answer must name the same user (id and name). If
 * it does not (a session file edited by hand), what was asked for is someone
 * else's: stop before it is used. */
static int cli__confirm_me(okr_cli_t *cli)
{
    uint64_t assumed = cli->me_assumed;
    const Okr__User *me = cli->me;
    if (!assumed || (me && me->id == assumed && me->username &&
                     strcmp(me->username, cli->session.username) == 0))
        return 0;
    char *saved = okr_cli_sanitize(cli->session.username, 0);
    char *real = okr_cli_sanitize(me ? me->username : "?", 0);
    char why[512];
    snprintf(why, sizeof why,
             " (the saved session says %s, id %llu, but its token is %s's, id %llu)",
             saved ? saved : "?", (unsigned long long)assumed, real ? real : "?",
             (unsigned long long)(me ? me->id : 0));
    free(saved);
    free(real);
    return cli__not_logged_in(cli, why);
}

int okr_cli_settle(okr_cli_t *cli)
{
    if (!cli->auth_pending)
        return 0;
    cli->auth_pending = 0;
    int rc = cli__auth_answer(cli);
    return rc ? rc : cli__confirm_me(cli);
}

int okr_cli_my_id(okr_cli_t *cli, uint64_t *id)
{
    if (cli->auth_pending && cli->session.user_id) {
        cli->me_assumed = cli->session.user_id; /* checked by okr_cli_settle */
        *id = cli->me_assumed;
        return 0;
    }
    int rc = okr_cli_settle(cli);
    if (rc)
        return rc;
    if (!cli->me)
        return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL",
                            "the server did not say whose session this is");
    *id = cli->me->id;
    return 0;
}

/* The exit code of a failed client call, printed unless quiet. */
static int cli__client_failed(okr_cli_t *cli, int rc, int quiet)
{
    return quiet ? okr_cli_exit_code(rc)
                 : okr_cli_fail_err(cli, rc, "%s", okr_client_error(cli->client));
}

/* Sends req without waiting. While Hello's and the token's answers are still
 * to come (okr_cli_connect_lazy), req goes right behind them (the server
 * takes requests in order, so it arrives authenticated; ahead_id marks it),
 * and with it the reminder's request if asked for or if the command may ask
 * for it early (okr_cli_reminder_early); all of it leaves in one TLS record
 * with the first wait. 0, or an exit code with the error printed (unless
 * quiet, for a failure of the connection; a refused session is reported
 * first). */
static int cli__send(okr_cli_t *cli, Okr__Request *req, uint64_t *id, int quiet, int reminder)
{
    int rc = okr_client_send(cli->client, req, id);
    if (rc) {
        int arc = okr_cli_settle(cli);
        return arc ? arc : cli__client_failed(cli, rc, quiet);
    }
    if (cli->auth_pending) {
        cli->ahead_id = *id;
        if (reminder || okr_cli_reminder_early(cli))
            okr_cli_reminder_send(cli);
    }
    return 0;
}

int okr_cli_send(okr_cli_t *cli, Okr__Request *req, uint64_t *id)
{
    return cli__send(cli, req, id, 0, 0);
}

int okr_cli_take(okr_cli_t *cli, uint64_t id, Okr__Request *req, Okr__Response **resp, int quiet)
{
    *resp = NULL;
    int rc = okr_cli_settle(cli);
    if (rc)
        return rc;
    rc = okr_client_wait(cli->client, id, resp);
    if (rc) /* not sent again: it may have been carried out */
        return cli__client_failed(cli, rc, quiet);
    /* Sent ahead of the session's answer and refused as not yet
     * authenticated (an AuthToken held back by login throttling): the
     * session is good now, so ask again. */
    if (id > cli->ahead_id || (*resp)->status != OKR__STATUS__STATUS_UNAUTHENTICATED)
        return 0;
    okr__response__free_unpacked(*resp, NULL);
    *resp = NULL;
    rc = okr_client_call(cli->client, req, resp);
    return rc ? cli__client_failed(cli, rc, quiet) : 0;
}

int okr_cli_take_call(okr_cli_t *cli, uint64_t id, Okr__Request *req,
                      Okr__Response__ResultCase expect, Okr__Response **resp)
{
    int rc = okr_cli_take(cli, id, req, resp, 0);
    return rc ? rc : cli__check_answer(cli, resp, expect);
}

/* Sends req and takes its answer, whatever its status (okr_cli_send and
 * okr_cli_take in one). */
static int cli__request(okr_cli_t *cli, Okr__Request *req, Okr__Response **resp, int quiet,
                        int reminder)
{
    *resp = NULL;
    uint64_t id;
    int rc = cli__send(cli, req, &id, quiet, reminder);
    return rc ? rc : okr_cli_take(cli, id, req, resp, quiet);
}

int okr_cli_request(okr_cli_t *cli, Okr__Request *req, Okr__Response **resp, int quiet)
{
    return cli__request(cli, req, resp, quiet, 0);
}

int okr_cli_connect_call(okr_cli_t *cli, Okr__Request *req, Okr__Response__ResultCase expect,
                         Okr__Response **resp)
{
    *resp = NULL;
    int rc = okr_cli_connect_lazy(cli);
    if (rc == 0)
        rc = cli__request(cli, req, resp, 0, 1);
    return rc ? rc : cli__check_answer(cli, resp, expect);
}

int okr_cli_call(okr_cli_t *cli, Okr__Request *req, Okr__Response__ResultCase expect,
                 Okr__Response **resp)
{
    int rc = cli__request(cli, req, resp, 0, 0);
    return rc ? rc : cli__check_answer(cli, resp, expect);
}

/* ---------------------------------------------------------------- dispatch */

static const okr_cli_cmd_t *cli__find(const char *name)
{
    for (size_t i = 0; i < CLI_NCOMMANDS; i++)
        if (strcmp(cli_commands[i].name, name) == 0)
            return &cli_commands[i];
    return NULL;
}

const char *okr_cli_command_name(size_t i)
{
    if (i < CLI_NCOMMANDS)
        return cli_commands[i].name;
    return i == CLI_NCOMMANDS ? "help" : NULL;
}

/* A usage error for a command okr does not have, with the one that was
 * likely meant: a near spelling, or the name okr gives a word people try. */
static int cli__unknown(okr_cli_t *cli, const char *name)
{
    static const char *const words[][2] = {
        {"check-in", "checkin"}, {"objective", "obj"}, {"objectives", "obj"},
        {"key-result", "kr"},    {"keyresult", "kr"},  {"key-results", "kr"},
        {"keyresults", "kr"},    {"okrs", "mine"},     {"kudo", "kudos"},
    };
    const char *meant = NULL;
    for (size_t i = 0; i < sizeof words / sizeof words[0] && !meant; i++)
        if (strcasecmp(name, words[i][0]) == 0)
            meant = words[i][1];
    if (!meant) {
        const char *names[CLI_NCOMMANDS + 1];
        size_t n = 0;
        for (const char *c; n < CLI_NCOMMANDS + 1 && (c = okr_cli_command_name(n)) != NULL; n++)
            names[n] = c;
        meant = okr_suggest(name, names, n);
    }
    if (meant)
        return okr_cli_usage_error(cli, "'%s' is not an okr command; did you mean 'okr %s'?", name,
                                   meant);
    return okr_cli_usage_error(cli, "'%s' is not an okr command", name);
}

/* okr help [COMMAND...]: the command's own --help. */
static int cli__help(okr_cli_t *cli, int argc, char **argv)
{
    if (argc < 2) {
        cli__put_usage(cli_usage, stdout);
        return OKR_EXIT_OK;
    }
    const okr_cli_cmd_t *cmd = cli__find(argv[1]);
    if (!cmd)
        return cli__unknown(cli, argv[1]);
    /* argv[1..] + "--help": e.g. {"user", "add", "--help"} */
    char *args[8];
    int n = 0;
    for (int i = 1; i < argc && n < 6; i++)
        args[n++] = argv[i];
    args[n++] = "--help";
    args[n] = NULL;
    optind = 0;
    return cmd->run(cli, n, args);
}

static void cli__cleanup(okr_cli_t *cli)
{
    if (cli->me)
        okr__user__free_unpacked(cli->me, NULL);
    okr_client_free(cli->client);
    okr_session_clear(&cli->session);
}

int okr_cli_probe(okr_cli_probe_t *probe, int argc, char **argv)
{
    memset(probe, 0, sizeof *probe);
    const okr_cli_cmd_t *cmd = argc > 0 ? cli__find(argv[0]) : NULL;
    if (!cmd)
        return -1;
    okr_cli_t cli = {.usage = cli_usage, .probe = probe};
    probe->depth = 1;
    optind = 0;
    cmd->run(&cli, argc, argv);
    cli__cleanup(&cli);
    return 0;
}

int okr_cli_main(int argc, char **argv)
{
    /* The shell's completion script asks here, before anything else is read. */
    if (argc >= 2 && strcmp(argv[1], OKR_COMPLETE_COMMAND) == 0)
        return okr_complete_main(argc - 2, argv + 2);

    okr_cli_t cli = {.usage = cli_usage, .timeout_ms = CLI_DEFAULT_TIMEOUT_S * 1000};
    const char *env = getenv("OKR_SERVER");
    if (env && env[0])
        cli.server_arg = env;

    opterr = 0;
    optind = 0;
    int opt;
    /* '+': stop at the command; its options are its own. */
    while ((opt = okr_cli_getopt(&cli, argc, argv, "+:h", okr_cli_longopts)) != -1) {
        if (opt == 'h')
            return OKR_EXIT_OK;
        if (opt == OKR_OPT_VERSION) {
            printf("okr %s (protocol %d.%d)\n", OKR_VERSION, OKR_PROTOCOL_MAJOR,
                   OKR_PROTOCOL_MINOR);
            return OKR_EXIT_OK;
        }
        return OKR_EXIT_USAGE;
    }
    if (optind >= argc) {
        cli__put_usage(cli_usage, stderr);
        return OKR_EXIT_USAGE;
    }
    char **cmd_argv = argv + optind;
    int cmd_argc = argc - optind;
    const okr_cli_cmd_t *cmd = cli__find(cmd_argv[0]);
    int rc;
    optind = 0; /* glibc: re-initialise getopt for the command's argv */
    if (strcmp(cmd_argv[0], "help") == 0)
        rc = cli__help(&cli, cmd_argc, cmd_argv);
    else if (!cmd)
        rc = cli__unknown(&cli, cmd_argv[0]);
    else
        rc = cmd->run(&cli, cmd_argc, cmd_argv);
    if (rc == OKR_EXIT_OK && cli.client && cli.me)
        okr_cli_stale_reminder(&cli);
    cli__cleanup(&cli);
    return rc;
}
