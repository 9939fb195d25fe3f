/* cli.h — what the okr command-line client's files share: the parsed global
 * options, the connection, output (text or --json), terminal input and the
 * exit codes.
 *
 * Every command is `int run(okr_cli_t *cli, int argc, char **argv)` with
 * argv[0] the command's name; it returns an exit code (OKR_EXIT_*) and has
 * already printed any error when that is not OKR_EXIT_OK.
 */
#ifndef OKR_CLI_H
#define OKR_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "client.h"
#include "hostport.h"
#include "session.h"

enum okr_exit {
    OKR_EXIT_OK = 0,
    OKR_EXIT_ERROR = 1,   /* internal or other error */
    OKR_EXIT_USAGE = 2,   /* bad command line */
    OKR_EXIT_CONNECT = 3, /* cannot connect, TLS or trust failure */
    OKR_EXIT_AUTH = 4,    /* not logged in, wrong password, expired, rate-limited login */
    OKR_EXIT_REFUSED = 5, /* the server refused the request */
};

/* Option ids of the global options, which every command also accepts. */
enum okr_cli_opt {
    OKR_OPT_VERSION = 999, /* top level only */
    OKR_OPT_SERVER = 1000, /* global: SERVER .. TIMEOUT */
    OKR_OPT_CA,
    OKR_OPT_TRUST,
    OKR_OPT_JSON,
    OKR_OPT_TIMEOUT,
    OKR_OPT_FIRST_COMMAND_OPT, /* commands number their own options from here */
};

#define OKR_CLI_GLOBAL_LONGOPTS                                                                    \
    {"server", required_argument, NULL, OKR_OPT_SERVER},                                           \
        {"ca", required_argument, NULL, OKR_OPT_CA}, {"trust", no_argument, NULL, OKR_OPT_TRUST},  \
        {"json", no_argument, NULL, OKR_OPT_JSON},                                                 \
        {"timeout", required_argument, NULL, OKR_OPT_TIMEOUT}, {"help", no_argument, NULL, 'h'},   \
    {                                                                                              \
        NULL, 0, NULL, 0                                                                           \
    }

/* okr __complete (complete.h) runs the words typed so far as a command line
 * in probe mode: the command stops at its first okr_kit_dispatch or
 * okr_cli_getopt, which hand over the table they read the command line
 * with instead of reading it, and returns as after --help. Nothing is
 * printed, nothing connects. subs and longopts point to the commands'
 * static tables (valid for as long as the program runs). */
typedef struct okr_cli_probe {
    int depth; /* how many words named the command and its sub-commands */
    /* a group (okr_kit_dispatch) with no sub-command named: its sub-commands */
    const struct okr_kit_sub *subs;
    size_t nsubs;
    /* a command (okr_cli_getopt): its options, as given to getopt_long */
    char shortopts[64];
    const struct option *longopts;
} okr_cli_probe_t;

typedef struct okr_cli {
    const char *command; /* "user add": for messages and help hints */
    const char *usage;   /* the current command's help text */

    /* global options */
    const char *server_arg; /* --server, else $OKR_SERVER; NULL if neither */
    int server_from_flag;
    const char *ca_file;
    int trust_new;
    int json;
    uint32_t timeout_ms;

    /* resolved by okr_cli_resolve_server */
    char server[OKR_HOSTPORT_MAX];
    char host[OKR_HOST_MAX];
    uint16_t port;

    char config_err[512];
    okr_session_t session;
    int session_loaded;     /* 1: loaded, -1: none or unreadable */
    const char *send_token; /* sent behind Hello by okr_cli_try_connect, or NULL */
    int defer_hello;        /* okr_cli_try_connect: do not wait for Hello's answer */

    okr_client_t *client;
    Okr__User *me;       /* after okr_cli_connect_auth (or okr_cli_settle) */
    int auth_pending;    /* okr_cli_connect_lazy: the session's answer is still to come */
    uint64_t ahead_id;   /* the last request sent before that answer came; 0: none */
    uint64_t me_assumed; /* okr_cli_my_id: the saved user id lent before it came */

    /* The stale check-in reminder printed after a command (cmd_mine.c). */
    uint64_t reminder_id;   /* its request, sent ahead by okr_cli_connect_call; 0: not sent */
    uint64_t checked_in_kr; /* a key result this command checked in: never listed as stale */

    okr_cli_probe_t *probe; /* probe mode (okr_cli_probe), else NULL */
} okr_cli_t;

typedef struct okr_cli_cmd {
    const char *name;
    const char *summary;
    int (*run)(okr_cli_t *cli, int argc, char **argv);
} okr_cli_cmd_t;

int okr_cli_main(int argc, char **argv);

/* The options okr takes before the command: --version and the global ones. */
extern const struct option okr_cli_longopts[];

/* The name of the i-th command (the command table's, then "help"), or NULL
 * after the last. Static strings. */
const char *okr_cli_command_name(size_t i);

/* Runs argv (argv[0] a command's name, then the words typed after it) in
 * probe mode and fills *probe (see okr_cli_probe_t). Returns 0, or -1 when
 * argv[0] names no command ("help" included: it is not in the table). */
int okr_cli_probe(okr_cli_probe_t *probe, int argc, char **argv);

/* Commands (cmd_*.c). */
int okr_cmd_login(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_logout(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_whoami(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_passwd(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_session(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_user(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_trust(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_team(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_cycle(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_obj(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_kr(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_score(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_checkin(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_history(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_task(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_comment(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_kudos(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_lint(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_mine(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_demo(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_watch(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_tree(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_export(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_import(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_report(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_review(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_token(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_admin(okr_cli_t *cli, int argc, char **argv);
int okr_cmd_completion(okr_cli_t *cli, int argc, char **argv);

/* After a successful command on an authenticated connection (not in --json
 * mode, not after mine or logout): asks the server for the caller's stale
 * key results and, if there are any, prints one reminder line on stderr.
 * Never fails and never changes the exit status (cmd_mine.c). */
void okr_cli_stale_reminder(okr_cli_t *cli);

/* Sends the reminder's request now, without waiting (its answer is taken by
 * okr_cli_stale_reminder), when the command will print one. */
void okr_cli_reminder_send(okr_cli_t *cli);

/* 1 if nothing the current command does changes which key results are
 * stale (it only reads, or only adds), so that its reminder may be asked for
 * with its first request (cmd_mine.c). */
int okr_cli_reminder_early(const okr_cli_t *cli);

/* ---- command line (cli.c) ---- */

/* The long option --name means (name's first len bytes), as getopt_long
 * reads it: the option of that name, else the one it abbreviates; several
 * only when they are the same option ("--mess" for --message and --note);
 * NULL when none, or when ambiguous. */
const struct option *okr_cli_long_option(const struct option *longopts, const char *name,
                                         size_t len);

/* getopt_long over a command's argv with its longopts (which must end with
 * OKR_CLI_GLOBAL_LONGOPTS). Global options are applied to cli and skipped;
 * --help prints cli->usage and yields 'h'. Returns the next option id, -1 at
 * the end (positional arguments then start at optind), or '?' after printing
 * a usage error. Set cli->command and cli->usage first. In probe mode it
 * hands shortopts and longopts to cli->probe and yields 'h' at once. */
int okr_cli_getopt(okr_cli_t *cli, int argc, char **argv, const char *shortopts,
                   const struct option *longopts);

/* Prints "okr CMD: message" and the help hint; returns OKR_EXIT_USAGE. */
int okr_cli_usage_error(okr_cli_t *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- errors and output (cli.c) ---- */

/* Prints an error (stderr; as {"error":{"status","message"}} with --json) and
 * returns code. status is a short upper-case name ("FORBIDDEN", "TLS"). */
int okr_cli_fail(okr_cli_t *cli, int code, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Same for an okr_err_t: picks the exit code and status name from err. */
int okr_cli_fail_err(okr_cli_t *cli, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The exit code and status name for an okr_err_t. */
int okr_cli_exit_code(int err);
const char *okr_cli_status_name(int err);

/* Prints j (and takes the reference) as JSON on stdout. */
void okr_cli_print_json(json_t *j);

/* ---- connecting (cli.c) ---- */

/* Works out the server (--server, $OKR_SERVER, the saved session's, the
 * default) into cli->server/host/port. Returns 0 or an exit code. */
int okr_cli_resolve_server(okr_cli_t *cli);

/* Loads the saved session once (cli->session); returns 1 if there is one. */
int okr_cli_load_session(okr_cli_t *cli);

/* The path of a file in the config directory; returns 0 or an exit code. */
int okr_cli_config_file(okr_cli_t *cli, const char *name, char *out, size_t len, int create);

/* Connects to cli->server (resolved first) without printing: returns 0 or an
 * okr_err_t with the message in err. */
int okr_cli_try_connect(okr_cli_t *cli, char *err, size_t errlen);

/* Connects to the server (trust prompt on a terminal). 0 or an exit code. */
int okr_cli_connect(okr_cli_t *cli);

/* Connects and authenticates with the saved session's token; sets cli->me.
 * Prints "not logged in to HOST:PORT — run: okr login" (exit 4) when there is
 * no session for this server or the server refuses the token. */
int okr_cli_connect_auth(okr_cli_t *cli);

/* okr_cli_connect_auth without waiting for the answers to Hello and the
 * token: the first okr_cli_call or okr_cli_request sends its request right
 * behind them and takes their answers first (one round trip less), reporting
 * a refused session as okr_cli_connect_auth would. Before talking to the
 * server any other way (okr_client_*) or reading cli->me, call
 * okr_cli_settle. 0 or an exit code. */
int okr_cli_connect_lazy(okr_cli_t *cli);

/* Takes the answers okr_cli_connect_lazy left to come (sets cli->me); a
 * no-op otherwise. 0 or an exit code (the error printed): also exit 4 if
 * okr_cli_my_id lent a saved user id that the answer does not confirm. */
int okr_cli_settle(okr_cli_t *cli);

/* The logged-in user's id into *id, for a request that only reads. After
 * okr_cli_connect_lazy, before the token's answer has come, it is the id
 * saved with the session at login, so that the request can go with Hello
 * and the token; okr_cli_settle then checks it against the answer and stops
 * the command (exit 4) before it takes the request's answer. Never put it in
 * a write: a write sent ahead would be carried out before that check (the
 * server reads an owner or assignee of 0 in a create as the caller). Without
 * a saved id (a session saved by an older okr) it waits for the answer. 0 or
 * an exit code (the error printed). */
int okr_cli_my_id(okr_cli_t *cli, uint64_t *id);

/* okr_cli_connect_lazy, then okr_cli_call(req) with the reminder's request
 * right behind req: for one-shot commands like okr checkin. */
int okr_cli_connect_call(okr_cli_t *cli, Okr__Request *req, Okr__Response__ResultCase expect,
                         Okr__Response **resp);

/* Sends req and takes its answer, whatever its status (*resp; free it with
 * okr__response__free_unpacked). 0, or an exit code with the error printed
 * (unless quiet, for a failure of the connection). Works after
 * okr_cli_connect_lazy too. */
int okr_cli_request(okr_cli_t *cli, Okr__Request *req, Okr__Response **resp, int quiet);

/* Sends req and waits. Returns 0 with *resp (status OK, result of kind
 * expect, or any kind if expect is 0), else prints the error and returns an
 * exit code. Free *resp with okr__response__free_unpacked. */
int okr_cli_call(okr_cli_t *cli, Okr__Request *req, Okr__Response__ResultCase expect,
                 Okr__Response **resp);

/* Pipelining: okr_cli_request in two halves, so that requests that do not
 * need each other's answers share one round trip (after okr_cli_connect_lazy,
 * Hello's and the token's too). okr_cli_send sends req and returns its id in
 * *id without waiting: 0, or an exit code with the error printed. req (and
 * what it points to) must stay valid until its answer is taken: a request
 * sent ahead of the session's answer may be sent again. */
int okr_cli_send(okr_cli_t *cli, Okr__Request *req, uint64_t *id);

/* Takes the answer to a request sent with okr_cli_send (id, and req itself),
 * as okr_cli_request would; answers may be taken in any order. */
int okr_cli_take(okr_cli_t *cli, uint64_t id, Okr__Request *req, Okr__Response **resp, int quiet);

/* Likewise with okr_cli_call's checks (status OK, a result of kind expect). */
int okr_cli_take_call(okr_cli_t *cli, uint64_t id, Okr__Request *req,
                      Okr__Response__ResultCase expect, Okr__Response **resp);

/* ---- terminal input and formatting (cli_io.c) ---- */

#define OKR_CLI_SECRET_MAX 1024

/* 1 if a person is at a terminal we can ask (stdin is a tty and /dev/tty opens). */
int okr_cli_interactive(void);

/* Reads a line from the terminal (/dev/tty) after printing prompt there,
 * with or without echo. Strips the newline. Returns 0, -1 if there is no
 * terminal, -2 at end of input, -3 if the line does not fit. */
int okr_cli_prompt(const char *prompt, int echo, char *buf, size_t len);

/* Reads one line from stdin (for --password-stdin). Same returns. */
int okr_cli_read_stdin_line(char *buf, size_t len);

/* Reads a new password: twice without echo (must match), or one line from
 * stdin. Prints the error and returns an exit code, or 0. */
int okr_cli_read_new_password(okr_cli_t *cli, int from_stdin, const char *prompt, char *buf,
                              size_t len);

/* Wipes a secret buffer. */
void okr_cli_wipe(char *buf, size_t len);

/* confirm_new callback of okr_client_opts_t: shows the fingerprint, asks
 * "Trust this server? [y/N]". */
int okr_cli_confirm_new(void *arg, const char *hostport, const char *fingerprint_hex);

/* A copy of s safe to print on a terminal: control characters (C0, DEL,
 * C1) become '?'. keep_newlines keeps '\n'. NULL is "". Caller frees. */
char *okr_cli_sanitize(const char *s, int keep_newlines);

/* "admin", "member" or "unknown" / parses "admin" or "member" (0 or -1). */
const char *okr_cli_role_name(Okr__Role role);
int okr_cli_parse_role(const char *s, Okr__Role *role);

/* The i-th word okr_cli_parse_role reads, or NULL after the last. */
const char *okr_cli_role_word(size_t i);

/* "2026-11-27 10:35 CET" in local time, or "unknown" for 0. */
void okr_cli_format_time(int64_t ms, char *buf, size_t len);

/* For a check-in made late (okr checkin --at): the time it is dated, as
 * okr_cli_format_time writes it, in buf. NULL for one dated when it was
 * made (a client's clock a little ahead is not "late"). */
const char *okr_cli_checkin_dated(const Okr__CheckIn *ci, char *buf, size_t len);

/* A user as JSON (new reference). */
json_t *okr_cli_user_json(const Okr__User *u);

/* A text table whose columns line up by display width (CJK counts 2). */
typedef struct okr_cli_table {
    size_t ncols, nrows, cap; /* nrows includes the header */
    char **cells;             /* sanitized copies, row-major */
} okr_cli_table_t;

/* header has ncols names. Returns 0 or -1 (out of memory). */
int okr_cli_table_init(okr_cli_table_t *t, size_t ncols, const char *const *header);
int okr_cli_table_add(okr_cli_table_t *t, const char *const *row);
void okr_cli_table_print(const okr_cli_table_t *t, FILE *out);
void okr_cli_table_free(okr_cli_table_t *t);

#endif
