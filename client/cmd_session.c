/* cmd_session.c — okr login, logout, whoami and passwd. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "cmd_kit.h"
#include "okr_error.h"
#include "paths.h"

enum { OPT_PASSWORD_STDIN = OKR_OPT_FIRST_COMMAND_OPT, OPT_EVERYWHERE };

/* Options of the commands that read passwords. */
static const struct option password_longopts[] = {
    {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN}, OKR_CLI_GLOBAL_LONGOPTS};
static const struct option plain_longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};

/* Parses a command's options (longopts: its one flag, --password-stdin or
 * --everywhere, sets *flag) and at most max_pos positional arguments.
 * Returns -1 to go on, else the exit code to return (help shown, usage
 * error). */
static int session__parse(okr_cli_t *cli, int argc, char **argv, const struct option *longopts,
                          int *flag, int max_pos)
{
    int opt;
    while ((opt = okr_cli_getopt(cli, argc, argv, ":h", longopts)) != -1) {
        if (opt == 'h')
            return OKR_EXIT_OK;
        if ((opt == OPT_PASSWORD_STDIN || opt == OPT_EVERYWHERE) && flag) {
            *flag = 1;
            continue;
        }
        return OKR_EXIT_USAGE;
    }
    if (argc - optind > max_pos)
        return okr_cli_usage_error(cli, "unexpected argument '%s'", argv[optind + max_pos]);
    return -1;
}

static json_t *session__json(okr_cli_t *cli, const Okr__User *u, int64_t expires_at)
{
    return json_pack("{s:s, s:o, s:I}", "server", cli->server, "user", okr_cli_user_json(u),
                     "expires_at", (json_int_t)expires_at);
}

/* "alice (Alice Liu, admin)" */
static void session__print_user_line(const Okr__User *u, const char *prefix, const char *suffix)
{
    char *name = okr_cli_sanitize(u->username, 0);
    char *display = okr_cli_sanitize(u->display_name, 0);
    if (display && display[0])
        printf("%s%s (%s, %s)%s\n", prefix, name ? name : "?", display, okr_cli_role_name(u->role),
               suffix);
    else
        printf("%s%s (%s)%s\n", prefix, name ? name : "?", okr_cli_role_name(u->role), suffix);
    free(name);
    free(display);
}

/* ---------------------------------------------------------------- login */

static const char login_usage[] =
    "Usage: okr login [USERNAME] [--password-stdin]\n"
    "\n"
    "Logs in to the server and saves the session (server, user name and id, and\n"
    "token) in session.json in the okr config directory (mode 0600), so that\n"
    "later commands need no password. Asks for the user name if none is given,\n"
    "and for the password without echo. A new login replaces the saved session.\n"
    "\n"
    "Options:\n"
    "  --password-stdin   read the password from the first line of standard input\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr login alice\n"
    "  okr --server okr.example.com:7433 login alice\n"
    "  printf '%s\\n' \"$PASSWORD\" | okr login --password-stdin --trust alice\n";

static int login__username(okr_cli_t *cli, int argc, char **argv, char *buf, size_t len)
{
    if (optind < argc) {
        snprintf(buf, len, "%s", argv[optind]);
        return 0;
    }
    int rc = okr_cli_prompt("Username: ", 1, buf, len);
    if (rc == -1)
        return okr_cli_usage_error(cli, "give the USERNAME (there is no terminal to ask for it)");
    if (rc || !buf[0])
        return okr_cli_usage_error(cli, "no user name given");
    return 0;
}

static int login__password(okr_cli_t *cli, int from_stdin, const char *username, char *buf,
                           size_t len)
{
    char prompt[OKR_HOST_MAX + OKR_HOSTPORT_MAX + 32];
    snprintf(prompt, sizeof prompt, "Password for %s@%s: ", username, cli->server);
    int rc = from_stdin ? okr_cli_read_stdin_line(buf, len) : okr_cli_prompt(prompt, 0, buf, len);
    if (rc == -1)
        return okr_cli_usage_error(cli, "no terminal to read the password from; pipe it in with "
                                        "--password-stdin");
    if (rc == -3)
        return okr_cli_usage_error(cli, "the password is too long");
    if (rc || !buf[0])
        return okr_cli_usage_error(cli, "no password given");
    return 0;
}

static int login__save(okr_cli_t *cli, const Okr__User *u, const char *typed_name)
{
    char path[PATH_MAX], msg[512];
    int rc = okr_cli_config_file(cli, OKR_SESSION_FILE, path, sizeof path, 1);
    if (rc)
        return rc;
    int named = u && u->username && u->username[0];
    okr_session_t s = {
        .server = cli->server,
        .username = named ? u->username : (char *)typed_name,
        .user_id = named ? u->id : 0, /* the id only beside the name it belongs to */
        .token = (char *)okr_client_token(cli->client),
        .expires_at = okr_client_expires_at(cli->client),
    };
    if (okr_session_save(path, &s, msg, sizeof msg) != 0)
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "IO", "logged in, but cannot save the session: %s",
                            msg);
    return 0;
}

int okr_cmd_login(okr_cli_t *cli, int argc, char **argv)
{
    cli->command = "login";
    cli->usage = login_usage;
    int from_stdin = 0;
    int rc = session__parse(cli, argc, argv, password_longopts, &from_stdin, 1);
    if (rc >= 0)
        return rc;
    char username[256], password[OKR_CLI_SECRET_MAX];
    rc = login__username(cli, argc, argv, username, sizeof username);
    if (rc)
        return rc;
    /* Connect first, like ssh: the server is verified before a password is typed. */
    rc = okr_cli_connect(cli);
    if (rc)
        return rc;
    rc = login__password(cli, from_stdin, username, password, sizeof password);
    if (rc)
        return rc;
    Okr__User *user = NULL;
    int err = okr_client_login(cli->client, username, password, &user);
    if (err == OKR_E_CLOSED && !from_stdin) {
        /* The server may drop a connection left idle while a person typed. */
        okr_client_free(cli->client);
        cli->client = NULL;
        rc = okr_cli_connect(cli);
        if (!rc)
            err = okr_client_login(cli->client, username, password, &user);
    }
    okr_cli_wipe(password, sizeof password);
    if (rc)
        return rc;
    if (err) {
        /* A throttled login is an authentication failure for the caller. */
        int code = err == OKR_E_RATE_LIMITED ? OKR_EXIT_AUTH : okr_cli_exit_code(err);
        return okr_cli_fail(cli, code, okr_cli_status_name(err), "login failed: %s",
                            okr_client_error(cli->client));
    }
    rc = login__save(cli, user, username);
    if (!rc) {
        int64_t exp = okr_client_expires_at(cli->client);
        if (cli->json && user) {
            okr_cli_print_json(session__json(cli, user, exp));
        } else if (user) {
            char when[64], suffix[128], prefix[OKR_HOSTPORT_MAX + 32];
            okr_cli_format_time(exp, when, sizeof when);
            snprintf(prefix, sizeof prefix, "Logged in to %s as ", cli->server);
            snprintf(suffix, sizeof suffix, ".\nThe session expires %s.", when);
            session__print_user_line(user, prefix, suffix);
        }
    }
    if (user)
        okr__user__free_unpacked(user, NULL);
    return rc;
}

/* ---------------------------------------------------------------- logout */

static const char logout_usage[] =
    "Usage: okr logout [--everywhere]\n"
    "\n"
    "Ends the saved session: the server revokes its token and session.json is\n"
    "removed. If the server cannot be reached the local session is removed all\n"
    "the same (exit status 3 says the server did not revoke it; the token then\n"
    "stays valid until it expires).\n"
    "\n"
    "Options:\n"
    "  --everywhere   end every session of yours, on every device (a lost laptop):\n"
    "                 each must log in again. Dashboard tokens are not sessions:\n"
    "                 see okr token revoke.\n"
    "\n"
    "Examples:\n"
    "  okr logout\n"
    "  okr logout --everywhere\n";

static const struct option logout_longopts[] = {{"everywhere", no_argument, NULL, OPT_EVERYWHERE},
                                                OKR_CLI_GLOBAL_LONGOPTS};

static int logout__remove(okr_cli_t *cli)
{
    char path[PATH_MAX], msg[512];
    int rc = okr_cli_config_file(cli, OKR_SESSION_FILE, path, sizeof path, 0);
    if (rc)
        return rc;
    if (okr_session_remove(path, msg, sizeof msg) != 0)
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "IO", "%s", msg);
    return 0;
}

static int logout__done(okr_cli_t *cli, int everywhere, const char *note)
{
    if (cli->json)
        okr_cli_print_json(json_pack("{s:s, s:b, s:b}", "server", cli->server, "revoked", 1,
                                     "everywhere", everywhere));
    else
        printf("Logged out of %s%s%s.\n", cli->server,
               everywhere ? " on every device (each must log in again)" : "", note);
    return OKR_EXIT_OK;
}

int okr_cmd_logout(okr_cli_t *cli, int argc, char **argv)
{
    cli->command = "logout";
    cli->usage = logout_usage;
    int everywhere = 0;
    int rc = session__parse(cli, argc, argv, logout_longopts, &everywhere, 0);
    if (rc >= 0)
        return rc;
    rc = okr_cli_resolve_server(cli);
    if (rc)
        return rc;
    char canon[OKR_HOSTPORT_MAX], msg[4096];
    if (!okr_cli_load_session(cli) ||
        okr_hostport_canon(cli->session.server, canon, msg, sizeof msg) != 0 ||
        strcmp(canon, cli->server) != 0) {
        if (cli->json)
            okr_cli_print_json(json_pack("{s:s, s:b}", "server", cli->server, "revoked", 0));
        else
            printf("Not logged in to %s; nothing to do.\n", cli->server);
        return OKR_EXIT_OK;
    }
    /* The local session goes whatever the server says. */
    int removed = logout__remove(cli);
    if (removed)
        return removed;
    char when[64];
    okr_cli_format_time(cli->session.expires_at, when, sizeof when);
    int err = okr_cli_try_connect(cli, msg, sizeof msg);
    if (err)
        return okr_cli_fail(cli, err == OKR_E_NOMEM ? OKR_EXIT_ERROR : OKR_EXIT_CONNECT,
                            okr_cli_status_name(err),
                            "removed the local session, but could not reach %s to revoke it, "
                            "so its token stays valid on the server until %s.\n%s",
                            cli->server, when, msg);
    err = okr_client_auth_token(cli->client, cli->session.token, NULL);
    if (err == OKR_E_UNAUTHENTICATED && everywhere)
        return okr_cli_fail(cli, OKR_EXIT_AUTH, "UNAUTHENTICATED",
                            "removed the local session, which had already expired or been "
                            "revoked, so it cannot end the others: log in again, then run "
                            "okr logout --everywhere");
    if (err == OKR_E_UNAUTHENTICATED)
        return logout__done(cli, 0, " (the session had already expired or been revoked)");
    if (err)
        return okr_cli_fail_err(cli, err, "removed the local session, but %s did not revoke it: %s",
                                cli->server, okr_client_error(cli->client));
    /* An older okrd ignores a field it does not know: it can end this
     * session only, and okr says so rather than claim the others ended. */
    int older =
        everywhere && !okr_client_server_speaks(cli->client, OKR_PROTOCOL_LOGOUT_EVERYWHERE);
    Okr__LogoutRequest lo = OKR__LOGOUT_REQUEST__INIT;
    lo.everywhere = everywhere && !older;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_LOGOUT;
    req.logout = &lo;
    Okr__Response *resp;
    rc = okr_cli_call(cli, &req, 0, &resp);
    if (rc)
        return rc;
    okr__response__free_unpacked(resp, NULL);
    if (older)
        return okr_cli_fail(cli, OKR_EXIT_CONNECT, "UNSUPPORTED",
                            "ended this session only: %s is an older okrd that cannot end the "
                            "others. Upgrade it, or log in again and change your password (okr "
                            "passwd), which ends your other sessions too",
                            cli->server);
    return logout__done(cli, everywhere, "");
}

/* ---------------------------------------------------------------- whoami */

static const char whoami_usage[] =
    "Usage: okr whoami\n"
    "\n"
    "Shows the user of the saved session, as the server sees it, and when the\n"
    "session expires.\n"
    "\n"
    "Examples:\n"
    "  okr whoami\n"
    "  okr whoami --json\n";

int okr_cmd_whoami(okr_cli_t *cli, int argc, char **argv)
{
    int rc = okr_kit_begin(cli, "whoami", whoami_usage, argc, argv, "", plain_longopts, NULL, NULL,
                           0, 0, "");
    if (rc >= 0)
        return rc;
    Okr__WhoamiRequest who = OKR__WHOAMI_REQUEST__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_WHOAMI;
    req.whoami = &who;
    Okr__Response *resp;
    rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_LOGIN, &resp);
    if (rc)
        return rc;
    const Okr__LoginResult *lr = resp->login;
    if (!lr->user) {
        okr__response__free_unpacked(resp, NULL);
        return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL", "the server sent no user");
    }
    if (cli->json) {
        okr_cli_print_json(session__json(cli, lr->user, lr->expires_at));
    } else {
        char when[64];
        okr_cli_format_time(lr->expires_at, when, sizeof when);
        session__print_user_line(lr->user, "", "");
        printf("server:   %s\n", cli->server);
        printf("session:  expires %s\n", when);
    }
    okr__response__free_unpacked(resp, NULL);
    return OKR_EXIT_OK;
}

/* ---------------------------------------------------------------- passwd */

static const char passwd_usage[] =
    "Usage: okr passwd [--password-stdin]\n"
    "\n"
    "Changes your password. Asks for the current password and twice for the new\n"
    "one, without echo. The new one is 8 bytes or more; the server refuses one\n"
    "that is guessed first (a very common password, your user name, 12345678,\n"
    "12121212): a few unrelated words make a strong one that is easy to remember.\n"
    "\n"
    "Options:\n"
    "  --password-stdin   read two lines from standard input: the current\n"
    "                     password, then the new one\n"
    "\n"
    "Examples:\n"
    "  okr passwd\n"
    "  printf '%s\\n%s\\n' \"$OLD\" \"$NEW\" | okr passwd --password-stdin\n";

static int passwd__read(okr_cli_t *cli, int from_stdin, char *old_pw, char *new_pw, size_t len)
{
    int rc = from_stdin ? okr_cli_read_stdin_line(old_pw, len)
                        : okr_cli_prompt("Current password: ", 0, old_pw, len);
    if (rc == -1)
        return okr_cli_usage_error(cli, "no terminal to read passwords from; pipe them in with "
                                        "--password-stdin (two lines: current, new)");
    if (rc || !old_pw[0])
        return okr_cli_usage_error(cli, "no current password given");
    if (from_stdin) {
        rc = okr_cli_read_stdin_line(new_pw, len);
        if (rc || !new_pw[0])
            return okr_cli_usage_error(cli, "no new password on the second line of standard "
                                            "input");
        return 0;
    }
    return okr_cli_read_new_password(cli, 0, "New password: ", new_pw, len);
}

int okr_cmd_passwd(okr_cli_t *cli, int argc, char **argv)
{
    cli->command = "passwd";
    cli->usage = passwd_usage;
    int from_stdin = 0;
    int rc = session__parse(cli, argc, argv, password_longopts, &from_stdin, 0);
    if (rc >= 0)
        return rc;
    rc = okr_cli_connect_auth(cli);
    if (rc)
        return rc;
    char old_pw[OKR_CLI_SECRET_MAX], new_pw[OKR_CLI_SECRET_MAX];
    rc = passwd__read(cli, from_stdin, old_pw, new_pw, sizeof old_pw);
    if (!rc) {
        Okr__PasswdRequest pw = OKR__PASSWD_REQUEST__INIT;
        pw.old_password = old_pw;
        pw.new_password = new_pw;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_PASSWD;
        req.passwd = &pw;
        Okr__Response *resp;
        rc = okr_cli_call(cli, &req, 0, &resp);
        if (!rc) {
            okr__response__free_unpacked(resp, NULL);
            if (cli->json)
                okr_cli_print_json(json_pack("{s:b}", "changed", 1));
            else
                printf("Password changed.\n");
        }
    }
    okr_cli_wipe(old_pw, sizeof old_pw);
    okr_cli_wipe(new_pw, sizeof new_pw);
    return rc;
}
