/* cmd_sessions.c — okr session list and okr session revoke: where you are
 * logged in, and ending one of those sessions (protocol 1.5).
 *
 * A session's ID is the start of the SHA-256 of its token, which the server
 * sends: not a secret (a hash cannot log in), so it is safe to show and to
 * type. okr shows 8 hex digits; revoke takes 6 or more.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "cmd_kit.h"
#include "okr_error.h"

enum { OPT_USER = OKR_OPT_FIRST_COMMAND_OPT };

#define SESSION_ID_SHOWN 8 /* hex digits of an id okr shows */

static const char session_usage[] =
    "Usage: okr session COMMAND [ARGS]\n"
    "\n"
    "Your login sessions: each okr login opens one, on the device it ran on, for\n"
    "the server's session lifetime (30 days by default).\n"
    "\n"
    "Commands:\n"
    "  list [--user NAME]   where you are logged in: each session's ID, when it\n"
    "                       was opened and expires, the address it was opened from;\n"
    "                       the one this okr uses is marked (admins: --user NAME)\n"
    "  revoke ID            end one of your sessions at once (admins: anyone's);\n"
    "                       okr logout ends this one, okr logout --everywhere all\n"
    "\n"
    "Run 'okr session COMMAND --help' for the details of one.\n"
    "\n"
    "Examples:\n"
    "  okr session list\n"
    "  okr session revoke 3fa2b9c1\n"
    "  okr session list --user bob --json\n";

static const char list_usage[] =
    "Usage: okr session list [--user NAME]\n"
    "\n"
    "Lists your live login sessions, newest first: ID, when each was opened and\n"
    "expires, and the address it was opened from. The session this okr uses is\n"
    "marked '*'. An ID is not a secret: it cannot be used to log in.\n"
    "\n"
    "Options:\n"
    "  --user NAME   someone else's sessions (admins only)\n"
    "  --json        as JSON: the user and their sessions\n"
    "\n"
    "Examples:\n"
    "  okr session list\n"
    "  okr session list --user bob\n"
    "  okr session list --json\n";

static const char revoke_usage[] =
    "Usage: okr session revoke ID\n"
    "\n"
    "Ends one of your login sessions (admins: anyone's) at once: a command or\n"
    "okr watch using it is logged out and must log in again. ID is as okr\n"
    "session list shows it (6 hex digits or more). The session this okr uses is\n"
    "ended with okr logout instead.\n"
    "\n"
    "Examples:\n"
    "  okr session list\n"
    "  okr session revoke 3fa2b9c1\n";

/* Connects, and refuses an okrd older than protocol 1.5, which would not
 * know the request. 0 or an exit code. */
static int session__connect(okr_cli_t *cli)
{
    int rc = okr_cli_connect_lazy(cli);
    return rc ? rc
              : okr_kit_require_protocol(cli, OKR_PROTOCOL_SESSIONS,
                                         "cannot list or end sessions; upgrade it. Meanwhile okr "
                                         "logout --everywhere ends every session of yours");
}

static json_t *session__json(const Okr__Session *s)
{
    return json_pack("{s:s, s:I, s:I, s:s, s:b}", "id", s->id, "created_at",
                     (json_int_t)s->created_at, "expires_at", (json_int_t)s->expires_at, "peer",
                     s->peer, "current", s->current);
}

/* ---------------------------------------------------------------- list */

static int list__opt(okr_cli_t *cli, int opt, void *arg)
{
    (void)cli;
    if (opt == OPT_USER)
        *(const char **)arg = optarg;
    return -1;
}

static int list__json(okr_cli_t *cli, const Okr__SessionList *l)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < l->n_sessions; i++) {
        json_t *j = session__json(l->sessions[i]);
        if (!j || json_array_append_new(arr, j) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    json_t *user = arr && l->user ? okr_cli_user_json(l->user) : NULL;
    json_t *out = user ? json_pack("{s:o, s:o, s:I}", "user", user, "sessions", arr, "total",
                                   (json_int_t)l->total)
                       : NULL;
    if (!out) {
        json_decref(arr);
        json_decref(user);
        return okr_kit_nomem(cli);
    }
    okr_cli_print_json(out);
    return OKR_EXIT_OK;
}

static int list__table(okr_cli_t *cli, const Okr__SessionList *l)
{
    char *name = okr_cli_sanitize(l->user ? l->user->username : "?", 0);
    if (l->n_sessions == 0) {
        printf("%s has no live sessions.\n", name ? name : "?");
        free(name);
        return OKR_EXIT_OK;
    }
    static const char *const header[] = {"", "ID", "OPENED", "EXPIRES", "FROM"};
    okr_cli_table_t t;
    if (okr_cli_table_init(&t, 5, header) != 0) {
        free(name);
        return okr_kit_nomem(cli);
    }
    for (size_t i = 0; i < l->n_sessions; i++) {
        const Okr__Session *s = l->sessions[i];
        char id[SESSION_ID_SHOWN + 1], opened[64], expires[64];
        snprintf(id, sizeof id, "%.*s", SESSION_ID_SHOWN, s->id);
        okr_cli_format_time(s->created_at, opened, sizeof opened);
        okr_cli_format_time(s->expires_at, expires, sizeof expires);
        const char *row[] = {s->current ? "*" : "", id, opened, expires, s->peer};
        if (okr_cli_table_add(&t, row) != 0) {
            okr_cli_table_free(&t);
            free(name);
            return okr_kit_nomem(cli);
        }
    }
    printf("Sessions of %s on %s (* this one):\n", name ? name : "?", cli->server);
    okr_cli_table_print(&t, stdout);
    okr_cli_table_free(&t);
    if (l->total > l->n_sessions)
        printf("... and %llu older ones.\n", (unsigned long long)(l->total - l->n_sessions));
    free(name);
    return OKR_EXIT_OK;
}

static int session__list(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"user", required_argument, NULL, OPT_USER},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "session list";
    cli->usage = list_usage;
    const char *user = NULL;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, list__opt, &user);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 0, 0, "");
    if (rc >= 0)
        return rc;
    if (user && !user[0])
        return okr_cli_usage_error(cli, "--user needs a user name");
    if ((rc = session__connect(cli)) != 0)
        return rc;
    Okr__SessionListRequest sl = OKR__SESSION_LIST_REQUEST__INIT;
    sl.username = (char *)(user ? user : "");
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_SESSION_LIST;
    req.session_list = &sl;
    Okr__Response *resp;
    if ((rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_SESSION_LIST, &resp)) != 0)
        return rc;
    if (!resp->session_list) {
        okr__response__free_unpacked(resp, NULL);
        return okr_kit_no_result(cli, "session list");
    }
    rc = cli->json ? list__json(cli, resp->session_list) : list__table(cli, resp->session_list);
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* ---------------------------------------------------------------- revoke */

static int session__revoke(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "session revoke";
    cli->usage = revoke_usage;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, NULL, NULL);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 1, 1, "the session's ID (see: okr session list)");
    if (rc >= 0)
        return rc;
    const char *id = argv[optind];
    size_t len = strlen(id);
    if (len < 6 || len > 64 || strspn(id, "0123456789abcdefABCDEF") != len)
        return okr_cli_usage_error(cli,
                                   "'%s' is not a session ID: 6 to 64 hex digits, as okr session "
                                   "list shows them",
                                   id);
    if ((rc = session__connect(cli)) != 0)
        return rc;
    Okr__SessionRevokeRequest sr = OKR__SESSION_REVOKE_REQUEST__INIT;
    sr.id = (char *)id;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_SESSION_REVOKE;
    req.session_revoke = &sr;
    Okr__Response *resp;
    if ((rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_SESSION, &resp)) != 0)
        return rc;
    const Okr__Session *s = resp->session;
    if (!s) {
        okr__response__free_unpacked(resp, NULL);
        return okr_kit_no_result(cli, "session");
    }
    if (cli->json) {
        json_t *j = session__json(s);
        rc = j ? OKR_EXIT_OK : okr_kit_nomem(cli);
        okr_cli_print_json(j);
    } else {
        char opened[64];
        okr_cli_format_time(s->created_at, opened, sizeof opened);
        char *peer = okr_cli_sanitize(s->peer, 0);
        printf("Ended session %.*s (opened %s from %s); whatever used it must log in again.\n",
               SESSION_ID_SHOWN, s->id, opened, peer ? peer : "?");
        free(peer);
        rc = OKR_EXIT_OK;
    }
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

int okr_cmd_session(okr_cli_t *cli, int argc, char **argv)
{
    static const okr_kit_sub_t subs[] = {
        {"list", session__list},
        {"revoke", session__revoke},
    };
    return okr_kit_dispatch(cli, argc, argv, "session", session_usage, subs,
                            sizeof subs / sizeof subs[0]);
}
