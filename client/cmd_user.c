/* cmd_user.c — okr user add, list, deactivate, activate, role, passwd and edit
 * (admins). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "cmd_kit.h"
#include "okr_error.h"

enum {
    OPT_NAME = OKR_OPT_FIRST_COMMAND_OPT,
    OPT_ROLE,
    OPT_PASSWORD_STDIN,
    OPT_ALL,
};

static const char user_usage[] =
    "Usage: okr user COMMAND [ARGS]\n"
    "\n"
    "Manages the users of the server (admins only; anyone may change their own\n"
    "display name with edit).\n"
    "\n"
    "Commands:\n"
    "  add USERNAME [--name NAME] [--role admin|member] [--password-stdin]\n"
    "                               create a user\n"
    "  list [--all]                 list users (--all: also deactivated ones)\n"
    "  deactivate USERNAME          stop a user from logging in (history is kept)\n"
    "  activate USERNAME            let a deactivated user log in again\n"
    "  role USERNAME admin|member   change a user's role\n"
    "  passwd USERNAME [--password-stdin]\n"
    "                               set a new password for a user who forgot theirs\n"
    "                               (ends their sessions)\n"
    "  edit USERNAME --name NAME    change a user's display name (your own: any\n"
    "                               user)\n"
    "\n"
    "Run 'okr user COMMAND --help' for the details of one. Your own password is\n"
    "changed with 'okr passwd'.\n"
    "\n"
    "Examples:\n"
    "  okr user add bob --name \"Bob Chen\"\n"
    "  okr user list\n"
    "  okr user role bob admin\n"
    "  okr user passwd bob\n"
    "  okr user edit bob --name \"Bob Chen-Li\"\n"
    "  okr user activate bob\n";

static const char add_usage[] =
    "Usage: okr user add USERNAME [--name NAME] [--role admin|member] [--password-stdin]\n"
    "\n"
    "Creates a user (admins only). Asks twice for the new user's password,\n"
    "without echo.\n"
    "\n"
    "Options:\n"
    "  --name NAME        display name (default: the user name)\n"
    "  --role ROLE        admin or member (default: member)\n"
    "  --password-stdin   read the password from the first line of standard input\n"
    "\n"
    "Examples:\n"
    "  okr user add bob --name \"Bob Chen\"\n"
    "  okr user add 李雷 --name 李雷 --role admin\n"
    "  printf '%s\\n' \"$PW\" | okr user add carol --password-stdin --json\n";

static const char list_usage[] =
    "Usage: okr user list [--all]\n"
    "\n"
    "Lists users by user name: user name, display name, role and whether the\n"
    "account is active.\n"
    "\n"
    "Options:\n"
    "  --all   include deactivated users\n"
    "\n"
    "Examples:\n"
    "  okr user list\n"
    "  okr user list --all --json\n";

static const char deactivate_usage[] =
    "Usage: okr user deactivate USERNAME\n"
    "\n"
    "Deactivates a user (admins only): they can no longer log in, and their\n"
    "objectives, check-ins and comments are kept.\n"
    "\n"
    "Example:\n"
    "  okr user deactivate bob\n";

static const char activate_usage[] =
    "Usage: okr user activate USERNAME\n"
    "\n"
    "Reactivates a deactivated user (admins only): they may log in again with\n"
    "their password (if they forgot it: okr user passwd USERNAME). Refused for a\n"
    "user who is active.\n"
    "\n"
    "Examples:\n"
    "  okr user activate bob\n"
    "  okr user list --all\n";

static const char passwd_usage[] =
    "Usage: okr user passwd USERNAME [--password-stdin]\n"
    "\n"
    "Sets a new password for a user who forgot theirs (admins only). Asks twice\n"
    "for the new password, without echo. Every session of that user ends at\n"
    "once, on every device: they log in again with the new password. Your own\n"
    "password is changed with 'okr passwd', which asks for the current one.\n"
    "\n"
    "Options:\n"
    "  --password-stdin   read the password from the first line of standard input\n"
    "\n"
    "Examples:\n"
    "  okr user passwd bob\n"
    "  printf '%s\\n' \"$PW\" | okr user passwd bob --password-stdin --json\n";

static const char edit_usage[] =
    "Usage: okr user edit USERNAME --name NAME\n"
    "\n"
    "Changes a user's display name: your own, or anyone's if you are an admin.\n"
    "The user name, used to log in, stays.\n"
    "\n"
    "Options:\n"
    "  --name NAME   the new display name: 1 to 128 bytes, no control characters,\n"
    "                line breaks or text-direction overrides\n"
    "\n"
    "Examples:\n"
    "  okr user edit bob --name \"Bob Chen-Li\"\n"
    "  okr user edit lei --name 李雷 --json\n";

static const char role_usage[] = "Usage: okr user role USERNAME admin|member\n"
                                 "\n"
                                 "Changes a user's role (admins only).\n"
                                 "\n"
                                 "Examples:\n"
                                 "  okr user role bob admin\n"
                                 "  okr user role bob member\n";

/* Prints one user for people after an action: "Created bob (Bob Chen, member)." */
static void user__say(const char *verb, const Okr__User *u, const char *tail)
{
    char *name = okr_cli_sanitize(u->username, 0);
    char *display = okr_cli_sanitize(u->display_name, 0);
    printf("%s %s (%s, %s)%s\n", verb, name ? name : "?", display ? display : "",
           okr_cli_role_name(u->role), tail);
    free(name);
    free(display);
}

/* Shows the user the server returned: JSON or a sentence. */
static int user__result(okr_cli_t *cli, Okr__Response *resp, const char *verb, const char *tail)
{
    if (!resp->user) {
        okr__response__free_unpacked(resp, NULL);
        return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL", "the server sent no user");
    }
    if (cli->json)
        okr_cli_print_json(okr_cli_user_json(resp->user));
    else
        user__say(verb, resp->user, tail);
    okr__response__free_unpacked(resp, NULL);
    return OKR_EXIT_OK;
}

static int user__positional(okr_cli_t *cli, int argc, char **argv, int want, const char *what)
{
    int have = argc - optind;
    if (have < want)
        return okr_cli_usage_error(cli, "missing %s", what);
    if (have > want)
        return okr_cli_usage_error(cli, "unexpected argument '%s'", argv[optind + want]);
    return -1;
}

/* ---------------------------------------------------------------- add */

typedef struct add_opts {
    const char *name;
    Okr__Role role;
    int password_stdin;
} add_opts_t;

static int add__opt(okr_cli_t *cli, int opt, void *arg)
{
    add_opts_t *o = arg;
    switch (opt) {
    case OPT_NAME:
        o->name = optarg;
        return -1;
    case OPT_PASSWORD_STDIN:
        o->password_stdin = 1;
        return -1;
    case OPT_ROLE:
        if (okr_cli_parse_role(optarg, &o->role) != 0)
            return okr_cli_usage_error(cli, "--role is admin or member, not '%s'", optarg);
        return -1;
    }
    return OKR_EXIT_USAGE;
}

/* Logs in, then asks for a new password for username ("WHAT USERNAME: ",
 * twice without echo, or from stdin). Logged in first: a session that has
 * ended is said before anyone types, and a connection that has logged in is
 * not closed by okrd's login deadline while they do. 0 or an exit code. */
static int user__new_password(okr_cli_t *cli, const char *what, const char *username,
                              int from_stdin, char password[OKR_CLI_SECRET_MAX])
{
    int rc = okr_cli_connect_auth(cli);
    if (rc)
        return rc;
    char prompt[320];
    snprintf(prompt, sizeof prompt, "%s %s: ", what, username);
    return okr_cli_read_new_password(cli, from_stdin, prompt, password, OKR_CLI_SECRET_MAX);
}

static int user__add(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"name", required_argument, NULL, OPT_NAME},
        {"role", required_argument, NULL, OPT_ROLE},
        {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN},
        OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "user add";
    cli->usage = add_usage;
    add_opts_t o = {.role = OKR__ROLE__ROLE_MEMBER};
    int rc = okr_kit_options(cli, argc, argv, "", longopts, add__opt, &o);
    if (rc < 0)
        rc = user__positional(cli, argc, argv, 1, "USERNAME");
    if (rc >= 0)
        return rc;
    const char *username = argv[optind];
    char password[OKR_CLI_SECRET_MAX];
    rc = user__new_password(cli, "Password for the new user", username, o.password_stdin, password);
    if (rc)
        return rc;
    Okr__UserCreateRequest create = OKR__USER_CREATE_REQUEST__INIT;
    create.username = (char *)username;
    create.display_name = (char *)(o.name ? o.name : username);
    create.password = password;
    create.role = o.role;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_USER_CREATE;
    req.user_create = &create;
    Okr__Response *resp;
    rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_USER, &resp);
    okr_cli_wipe(password, sizeof password);
    return rc ? rc : user__result(cli, resp, "Created user", ".");
}

/* ---------------------------------------------------------------- list */

static int list__opt(okr_cli_t *cli, int opt, void *arg)
{
    (void)cli;
    if (opt != OPT_ALL)
        return OKR_EXIT_USAGE;
    *(int *)arg = 1;
    return -1;
}

/* Collected pages: the JSON array or the table. */
typedef struct list_out {
    json_t *users;
    okr_cli_table_t table;
    size_t count;
} list_out_t;

static int list__add_page(okr_cli_t *cli, list_out_t *out, const Okr__UserList *page)
{
    for (size_t i = 0; i < page->n_users; i++) {
        const Okr__User *u = page->users[i];
        if (cli->json) {
            if (json_array_append_new(out->users, okr_cli_user_json(u)) != 0)
                return -1;
        } else {
            const char *row[] = {u->username, u->display_name, okr_cli_role_name(u->role),
                                 u->active ? "yes" : "no"};
            if (okr_cli_table_add(&out->table, row) != 0)
                return -1;
        }
        out->count++;
    }
    return 0;
}

/* Pages through the whole list: each request names the last user name seen. */
static int list__fetch(okr_cli_t *cli, int all, list_out_t *out)
{
    char *after = strdup("");
    if (!after)
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
    for (;;) {
        Okr__UserListRequest lr = OKR__USER_LIST_REQUEST__INIT;
        lr.after_username = after;
        lr.include_inactive = all;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_USER_LIST;
        req.user_list = &lr;
        Okr__Response *resp;
        int rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_USER_LIST, &resp);
        if (rc) {
            free(after);
            return rc;
        }
        const Okr__UserList *page = resp->user_list;
        rc = list__add_page(cli, out, page);
        const char *next = page->next_after ? page->next_after : "";
        int more = next[0] != '\0';
        if (more && strcmp(next, after) == 0) /* a cursor that does not move would loop */
            rc = -2;
        free(after);
        after = more && rc == 0 ? strdup(next) : NULL;
        okr__response__free_unpacked(resp, NULL);
        if (rc == -2)
            return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL",
                                "the server repeated a page of the user list");
        if (rc || (more && !after)) {
            free(after);
            return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
        }
        if (!more)
            return 0;
    }
}

static int user__list(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"all", no_argument, NULL, OPT_ALL},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    int all = 0;
    int rc = okr_kit_begin(cli, "user list", list_usage, argc, argv, "", longopts, list__opt, &all,
                           0, 0, "");
    if (rc >= 0)
        return rc;
    list_out_t out = {0};
    static const char *const header[] = {"USERNAME", "NAME", "ROLE", "ACTIVE"};
    if (cli->json ? !(out.users = json_array()) : okr_cli_table_init(&out.table, 4, header) != 0)
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
    rc = list__fetch(cli, all, &out);
    if (!rc) {
        if (cli->json) {
            okr_cli_print_json(json_pack("{s:O}", "users", out.users));
        } else if (out.count == 0) {
            printf("No users%s.\n", all ? "" : " (add --all to include deactivated ones)");
        } else {
            okr_cli_table_print(&out.table, stdout);
        }
    }
    json_decref(out.users);
    okr_cli_table_free(&out.table);
    return rc;
}

/* ---------------------------------------------------------------- deactivate, activate, role */

/* Sends an admin's change to one user and shows the user it answers with. */
static int user__change(okr_cli_t *cli, Okr__Request *req, const char *verb, const char *tail)
{
    Okr__Response *resp;
    int rc = okr_cli_call(cli, req, OKR__RESPONSE__RESULT_USER, &resp);
    return rc ? rc : user__result(cli, resp, verb, tail);
}

/* okr user deactivate|activate USERNAME: no options of their own, one user,
 * op is USER_DEACTIVATE or USER_ACTIVATE. */
static int user__one(okr_cli_t *cli, int argc, char **argv, Okr__Request__OpCase op)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    int activate = op == OKR__REQUEST__OP_USER_ACTIVATE;
    cli->command = activate ? "user activate" : "user deactivate";
    cli->usage = activate ? activate_usage : deactivate_usage;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, NULL, NULL);
    if (rc < 0)
        rc = user__positional(cli, argc, argv, 1, "USERNAME");
    if (rc >= 0)
        return rc;
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    Okr__UserDeactivateRequest d = OKR__USER_DEACTIVATE_REQUEST__INIT;
    Okr__UserActivateRequest a = OKR__USER_ACTIVATE_REQUEST__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = op;
    if (activate) {
        a.username = argv[optind];
        req.user_activate = &a;
        return user__change(cli, &req, "Activated", ": they can log in again.");
    }
    d.username = argv[optind];
    req.user_deactivate = &d;
    return user__change(cli, &req, "Deactivated",
                        ": they can no longer log in; their history is kept.");
}

static int user__deactivate(okr_cli_t *cli, int argc, char **argv)
{
    return user__one(cli, argc, argv, OKR__REQUEST__OP_USER_DEACTIVATE);
}

static int user__activate(okr_cli_t *cli, int argc, char **argv)
{
    return user__one(cli, argc, argv, OKR__REQUEST__OP_USER_ACTIVATE);
}

static int user__role(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "user role";
    cli->usage = role_usage;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, NULL, NULL);
    if (rc < 0)
        rc = user__positional(cli, argc, argv, 2, "USERNAME and ROLE (admin or member)");
    if (rc >= 0)
        return rc;
    const char *username = argv[optind];
    Okr__Role role;
    if (okr_cli_parse_role(argv[optind + 1], &role) != 0)
        return okr_cli_usage_error(cli, "the role is admin or member, not '%s'", argv[optind + 1]);
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    Okr__UserSetRoleRequest sr = OKR__USER_SET_ROLE_REQUEST__INIT;
    sr.username = (char *)username;
    sr.role = role;
    sr.version = 0; /* no read-modify-write here: the role given is the role wanted */
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_USER_SET_ROLE;
    req.user_set_role = &sr;
    return user__change(cli, &req, "Updated", ".");
}

/* ---------------------------------------------------------------- passwd, edit */

static int passwd__opt(okr_cli_t *cli, int opt, void *arg)
{
    (void)cli;
    if (opt != OPT_PASSWORD_STDIN)
        return OKR_EXIT_USAGE;
    *(int *)arg = 1;
    return -1;
}

static int user__passwd(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN}, OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "user passwd";
    cli->usage = passwd_usage;
    int from_stdin = 0;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, passwd__opt, &from_stdin);
    if (rc < 0)
        rc = user__positional(cli, argc, argv, 1, "USERNAME");
    if (rc >= 0)
        return rc;
    const char *username = argv[optind];
    char password[OKR_CLI_SECRET_MAX];
    rc = user__new_password(cli, "New password for", username, from_stdin, password);
    if (rc)
        return rc;
    Okr__UserSetPasswordRequest sp = OKR__USER_SET_PASSWORD_REQUEST__INIT;
    sp.username = (char *)username;
    sp.new_password = password;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_USER_SET_PASSWORD;
    req.user_set_password = &sp;
    rc = user__change(cli, &req, "Set a new password for",
                      ": every session of theirs was ended; they log in again with it.");
    okr_cli_wipe(password, sizeof password);
    return rc;
}

static int edit__opt(okr_cli_t *cli, int opt, void *arg)
{
    (void)cli;
    if (opt != OPT_NAME)
        return OKR_EXIT_USAGE;
    *(const char **)arg = optarg;
    return -1;
}

static int user__edit(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"name", required_argument, NULL, OPT_NAME},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    const char *name = NULL;
    cli->command = "user edit";
    cli->usage = edit_usage;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, edit__opt, &name);
    if (rc < 0)
        rc = user__positional(cli, argc, argv, 1, "USERNAME");
    if (rc < 0 && !name)
        rc = okr_cli_usage_error(cli, "nothing to change: give --name NAME");
    if (rc >= 0)
        return rc;
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    Okr__UserSetNameRequest sn = OKR__USER_SET_NAME_REQUEST__INIT;
    sn.username = argv[optind];
    sn.display_name = (char *)name;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_USER_SET_NAME;
    req.user_set_name = &sn;
    return user__change(cli, &req, "Updated", ".");
}

/* ---------------------------------------------------------------- dispatch */

static const okr_kit_sub_t user_commands[] = {
    {"add", user__add},           {"list", user__list}, {"deactivate", user__deactivate},
    {"activate", user__activate}, {"role", user__role}, {"passwd", user__passwd},
    {"edit", user__edit},
};

int okr_cmd_user(okr_cli_t *cli, int argc, char **argv)
{
    return okr_kit_dispatch(cli, argc, argv, "user", user_usage, user_commands,
                            sizeof user_commands / sizeof user_commands[0]);
}
