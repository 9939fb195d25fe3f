/* cmd_token.c — okr token: dashboard tokens for office TVs (admins).
 *
 * A dashboard token is read-only and bound to a scope (a team, a cycle or
 * the organisation); okr-dash authenticates with it, so no password is ever
 * typed on a TV. `create` prints the secret once — the server keeps only its
 * SHA-256 — together with a ready-to-paste okr-dash command line and config
 * file that pin this server's certificate by its fingerprint.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_kit.h"
#include "okr_error.h"

enum {
    OPT_SCOPE = OKR_OPT_FIRST_COMMAND_OPT,
    OPT_LABEL,
    OPT_ALL,
};

#define TOKEN_LABEL_MAX 200

static const char token_usage[] =
    "Usage: okr token COMMAND [ARGS]\n"
    "\n"
    "Dashboard tokens (admins only): read-only credentials for okr-dash on an\n"
    "office TV, each bound to a scope: a team, a cycle or the organisation.\n"
    "A dashboard sees only its scope's objectives (a team-visible objective only\n"
    "on its own team's dashboard) and can change nothing.\n"
    "\n"
    "Commands:\n"
    "  create --scope S --label L   make a token; prints its secret once and the\n"
    "                               okr-dash command line to use it\n"
    "  list [--all]                 list tokens (--all: revoked ones too)\n"
    "  revoke ID                    revoke a token; dashboards using it are\n"
    "                               disconnected at once\n"
    "\n"
    "Run 'okr token COMMAND --help' for the details of one.\n"
    "\n"
    "Examples:\n"
    "  okr token create --scope team:Platform --label \"3rd floor TV\"\n"
    "  okr token list\n"
    "  okr token revoke 3\n";

static const char create_usage[] =
    "Usage: okr token create --scope team:NAME|cycle:NAME|org --label LABEL\n"
    "\n"
    "Makes a dashboard token (admins only) and prints its secret — only this\n"
    "once: the server keeps just a hash of it — with the okr-dash command line\n"
    "and config file that use it. They pin this server's certificate by its\n"
    "SHA-256 fingerprint, so the TV never asks whether to trust the server.\n"
    "\n"
    "Options:\n"
    "  --scope S     what the dashboard shows:\n"
    "                  team:NAME    a team's objectives (and its members')\n"
    "                  cycle:NAME   every objective of a cycle\n"
    "                  org          the whole organisation\n"
    "                (NAME may also be #ID)\n"
    "  --label L     what the token is for, e.g. \"3rd floor TV\" (shown in\n"
    "                okr token list)\n"
    "  --json        the token, its secret, the server and its fingerprint as JSON\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr token create --scope team:Platform --label \"3rd floor TV\"\n"
    "  okr token create --scope cycle:2026-Q1 --label \"Lobby\"\n"
    "  okr token create --scope org --label \"Board room\" --json\n";

static const char list_usage[] = "Usage: okr token list [--all]\n"
                                 "\n"
                                 "Lists dashboard tokens (admins only): id, label, scope, when "
                                 "it was made\n"
                                 "and when a dashboard last used it.\n"
                                 "\n"
                                 "Options:\n"
                                 "  --all    include revoked tokens\n"
                                 "  --json   as JSON\n"
                                 "\n"
                                 "Examples:\n"
                                 "  okr token list\n"
                                 "  okr token list --all --json\n";

static const char revoke_usage[] = "Usage: okr token revoke ID\n"
                                   "\n"
                                   "Revokes a dashboard token (admins only). Dashboards using it "
                                   "are\n"
                                   "disconnected at once and cannot connect again.\n"
                                   "\n"
                                   "Examples:\n"
                                   "  okr token revoke 3\n";

/* ---------------------------------------------------------------- words */

static const char *token__kind_word(Okr__ScopeKind k)
{
    switch (k) {
    case OKR__SCOPE_KIND__SCOPE_KIND_TEAM:
        return "team";
    case OKR__SCOPE_KIND__SCOPE_KIND_CYCLE:
        return "cycle";
    case OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE:
        return "objective";
    case OKR__SCOPE_KIND__SCOPE_KIND_ORG:
        return "org";
    default:
        return "unknown";
    }
}

static const char *token__scope_name(okr_cli_t *cli, const Okr__Scope *s);

/* "team Platform", "cycle 2026-Q1", "organisation". */
static const char *token__scope_text(okr_cli_t *cli, const Okr__Scope *s, char *buf, size_t len)
{
    if (!s) {
        snprintf(buf, len, "?");
        return buf;
    }
    switch (s->kind) {
    case OKR__SCOPE_KIND__SCOPE_KIND_TEAM:
    case OKR__SCOPE_KIND__SCOPE_KIND_CYCLE:
        snprintf(buf, len, "%s %s", token__kind_word(s->kind), token__scope_name(cli, s));
        break;
    case OKR__SCOPE_KIND__SCOPE_KIND_ORG:
        snprintf(buf, len, "organisation");
        break;
    default:
        snprintf(buf, len, "%s #%llu", token__kind_word(s->kind), (unsigned long long)s->id);
        break;
    }
    return buf;
}

/* The scope's bare name ("Platform", "2026-Q1"); "" for the organisation. */
static const char *token__scope_name(okr_cli_t *cli, const Okr__Scope *s)
{
    if (s && s->kind == OKR__SCOPE_KIND__SCOPE_KIND_TEAM)
        return okr_ref_team_name(cli, s->id);
    if (s && s->kind == OKR__SCOPE_KIND__SCOPE_KIND_CYCLE)
        return okr_ref_cycle_name(cli, s->id);
    return "";
}

static json_t *token__json(okr_cli_t *cli, const Okr__DashboardToken *t)
{
    json_t *sc = json_pack(
        "{s:s, s:I, s:s}", "kind", token__kind_word(t->scope ? t->scope->kind : 0), "id",
        (json_int_t)(t->scope ? t->scope->id : 0), "name", token__scope_name(cli, t->scope));
    if (!sc)
        return NULL;
    return json_pack("{s:I, s:s, s:o, s:I, s:I, s:I, s:b}", "id", (json_int_t)t->id, "label",
                     t->label ? t->label : "", "scope", sc, "created_at", (json_int_t)t->created_at,
                     "created_by", (json_int_t)t->created_by, "last_used_at",
                     (json_int_t)t->last_used_at, "revoked", t->revoked);
}

/* ---------------------------------------------------------------- create */

typedef struct create_opts {
    const char *scope;
    const char *label;
} create_opts_t;

static int create__opt(okr_cli_t *cli, int opt, void *arg)
{
    (void)cli;
    create_opts_t *o = arg;
    if (opt == OPT_SCOPE)
        o->scope = optarg;
    else if (opt == OPT_LABEL)
        o->label = optarg;
    return -1;
}

/* Checks the --scope text before connecting. Returns -1 to go on or the
 * usage error's exit code; *kind and *name (into the text) are set. */
static int create__scope_syntax(okr_cli_t *cli, const char *text, Okr__ScopeKind *kind,
                                const char **name)
{
    *name = NULL;
    if (strcmp(text, "org") == 0 || strcmp(text, "organisation") == 0 ||
        strcmp(text, "organization") == 0) {
        *kind = OKR__SCOPE_KIND__SCOPE_KIND_ORG;
        return -1;
    }
    if (strncmp(text, "team:", 5) == 0) {
        *kind = OKR__SCOPE_KIND__SCOPE_KIND_TEAM;
        *name = text + 5;
    } else if (strncmp(text, "cycle:", 6) == 0) {
        *kind = OKR__SCOPE_KIND__SCOPE_KIND_CYCLE;
        *name = text + 6;
    }
    if (!*name || !**name)
        return okr_cli_usage_error(cli, "--scope is team:NAME, cycle:NAME or org (not '%s')", text);
    return -1;
}

/* The okr-dash command line and config file for the new token. */
static void create__print(okr_cli_t *cli, const Okr__TokenCreateResult *res, const char *fp)
{
    const Okr__DashboardToken *t = res->token;
    char scope[512];
    token__scope_text(cli, t->scope, scope, sizeof scope);
    char *label = okr_cli_sanitize(t->label, 0);
    printf("Created dashboard token %llu \"%s\" for %s.\n\n", (unsigned long long)t->id,
           label ? label : "", scope);
    free(label);
    printf("Its secret is shown only this once (the server keeps just a hash):\n\n"
           "  %s\n\n",
           res->secret);
    printf("On the TV, run:\n\n"
           "  okr-dash --server %s --fingerprint %s --token %s\n\n",
           cli->server, fp, res->secret);
    printf("or save this as dash.ini (chmod 600: the token is a password) and run\n"
           "okr-dash --config dash.ini:\n\n"
           "[dash]\n"
           "server = %s\n"
           "fingerprint = %s\n"
           "token = %s\n"
           "rotate_seconds = 15\n\n",
           cli->server, fp, res->secret);
    printf("If the TV reaches the server by another name, use that name instead of %s.\n"
           "Revoke it with: okr token revoke %llu\n",
           cli->server, (unsigned long long)t->id);
}

static int token__create(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"scope", required_argument, NULL, OPT_SCOPE},
                                             {"label", required_argument, NULL, OPT_LABEL},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "token create";
    cli->usage = create_usage;
    create_opts_t o = {0};
    int rc = okr_kit_options(cli, argc, argv, "", longopts, create__opt, &o);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 0, 0, "");
    if (rc >= 0)
        return rc;
    if (!o.scope)
        return okr_cli_usage_error(cli, "--scope is needed: team:NAME, cycle:NAME or org");
    if (!o.label || !o.label[0])
        return okr_cli_usage_error(cli, "--label is needed: what the token is for, e.g. "
                                        "\"3rd floor TV\"");
    if (strlen(o.label) > TOKEN_LABEL_MAX)
        return okr_cli_usage_error(cli, "--label is at most %d bytes", TOKEN_LABEL_MAX);
    Okr__ScopeKind kind = OKR__SCOPE_KIND__SCOPE_KIND_UNSPECIFIED;
    const char *name = NULL;
    if ((rc = create__scope_syntax(cli, o.scope, &kind, &name)) >= 0)
        return rc;
    if ((rc = okr_cli_connect_lazy(cli)) != 0)
        return rc;
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = kind;
    if (kind == OKR__SCOPE_KIND__SCOPE_KIND_TEAM && (rc = okr_ref_team(cli, name, &scope.id)))
        return rc;
    if (kind == OKR__SCOPE_KIND__SCOPE_KIND_CYCLE && (rc = okr_ref_cycle(cli, name, &scope.id)))
        return rc;
    Okr__TokenCreateRequest tc = OKR__TOKEN_CREATE_REQUEST__INIT;
    tc.scope = &scope;
    tc.label = (char *)o.label;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TOKEN_CREATE;
    req.token_create = &tc;
    Okr__Response *resp;
    if ((rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_TOKEN_CREATE, &resp)) != 0)
        return rc;
    const Okr__TokenCreateResult *res = resp->token_create;
    if (!res || !res->token || !res->secret || !res->secret[0]) {
        okr__response__free_unpacked(resp, NULL);
        return okr_kit_no_result(cli, "token");
    }
    const char *fp = okr_client_fingerprint(cli->client);
    if (cli->json) {
        json_t *tok = token__json(cli, res->token);
        json_t *j = tok ? json_pack("{s:o, s:s, s:s, s:s}", "token", tok, "secret", res->secret,
                                    "server", cli->server, "fingerprint", fp ? fp : "")
                        : NULL;
        rc = j ? OKR_EXIT_OK : okr_kit_nomem(cli);
        okr_cli_print_json(j);
    } else {
        create__print(cli, res, fp ? fp : "?");
        rc = OKR_EXIT_OK;
    }
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* ---------------------------------------------------------------- list */

static int list__opt(okr_cli_t *cli, int opt, void *arg)
{
    (void)cli;
    if (opt == OPT_ALL)
        *(int *)arg = 1;
    return -1;
}

/* Every page of the token list: responses kept in *pages (free each). */
typedef struct token_pages {
    Okr__Response **resp;
    size_t n, cap;
} token_pages_t;

static void token__pages_free(token_pages_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        okr__response__free_unpacked(p->resp[i], NULL);
    free(p->resp);
    memset(p, 0, sizeof *p);
}

static int token__fetch(okr_cli_t *cli, int all, token_pages_t *out)
{
    Okr__Page page = OKR__PAGE__INIT;
    Okr__TokenListRequest tl = OKR__TOKEN_LIST_REQUEST__INIT;
    tl.include_revoked = all;
    tl.page = &page;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TOKEN_LIST;
    req.token_list = &tl;
    for (;;) {
        Okr__Response *resp;
        int rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_TOKEN_LIST, &resp);
        if (rc)
            return rc;
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 4;
            Okr__Response **v = realloc(out->resp, cap * sizeof *v);
            if (!v) {
                okr__response__free_unpacked(resp, NULL);
                return okr_kit_nomem(cli);
            }
            out->resp = v;
            out->cap = cap;
        }
        out->resp[out->n++] = resp;
        uint64_t next = resp->token_list ? resp->token_list->next_after_id : 0;
        if (!next || next <= page.after_id)
            return 0;
        page.after_id = next;
    }
}

static int token__list_table(okr_cli_t *cli, const token_pages_t *p, int all)
{
    static const char *const header[] = {"ID", "LABEL", "SCOPE", "CREATED", "LAST USED", "STATE"};
    size_t ncols = all ? 6 : 5;
    okr_cli_table_t t;
    if (okr_cli_table_init(&t, ncols, header) != 0)
        return okr_kit_nomem(cli);
    size_t count = 0;
    for (size_t i = 0; i < p->n; i++) {
        const Okr__TokenList *tl = p->resp[i]->token_list;
        for (size_t k = 0; tl && k < tl->n_tokens; k++) {
            const Okr__DashboardToken *tok = tl->tokens[k];
            char id[32], scope[512], created[64], used[64];
            snprintf(id, sizeof id, "%llu", (unsigned long long)tok->id);
            token__scope_text(cli, tok->scope, scope, sizeof scope);
            okr_cli_format_time(tok->created_at, created, sizeof created);
            if (tok->last_used_at)
                okr_cli_format_time(tok->last_used_at, used, sizeof used);
            else
                snprintf(used, sizeof used, "never");
            const char *row[] = {id,   tok->label ? tok->label : "",       scope, created,
                                 used, tok->revoked ? "revoked" : "active"};
            if (okr_cli_table_add(&t, row) != 0) {
                okr_cli_table_free(&t);
                return okr_kit_nomem(cli);
            }
            count++;
        }
    }
    if (count == 0)
        printf("No dashboard tokens%s. Make one with: okr token create --scope team:NAME "
               "--label \"3rd floor TV\"\n",
               all ? "" : " in use");
    else
        okr_cli_table_print(&t, stdout);
    okr_cli_table_free(&t);
    return OKR_EXIT_OK;
}

static int token__list(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"all", no_argument, NULL, OPT_ALL},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    int all = 0;
    int rc = okr_kit_begin(cli, "token list", list_usage, argc, argv, "", longopts, list__opt, &all,
                           0, 0, "");
    if (rc >= 0)
        return rc;
    token_pages_t pages = {0};
    if ((rc = token__fetch(cli, all, &pages)) != 0) {
        token__pages_free(&pages);
        return rc;
    }
    if (cli->json) {
        json_t *arr = json_array();
        rc = arr ? OKR_EXIT_OK : okr_kit_nomem(cli);
        for (size_t i = 0; arr && i < pages.n; i++) {
            const Okr__TokenList *tl = pages.resp[i]->token_list;
            for (size_t k = 0; tl && k < tl->n_tokens; k++) {
                json_t *j = token__json(cli, tl->tokens[k]);
                if (!j || json_array_append_new(arr, j) != 0) {
                    json_decref(arr);
                    arr = NULL;
                    rc = okr_kit_nomem(cli);
                    break;
                }
            }
        }
        if (arr)
            okr_cli_print_json(arr);
    } else {
        rc = token__list_table(cli, &pages, all);
    }
    token__pages_free(&pages);
    return rc;
}

/* ---------------------------------------------------------------- revoke */

static int token__parse_id(const char *s, uint64_t *id)
{
    if (s[0] == '#')
        s++;
    if (s[0] < '0' || s[0] > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v == 0)
        return -1;
    *id = v;
    return 0;
}

static int token__revoke(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "token revoke";
    cli->usage = revoke_usage;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, NULL, NULL);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 1, 1, "the token's ID (see: okr token list)");
    if (rc >= 0)
        return rc;
    uint64_t id;
    if (token__parse_id(argv[optind], &id) != 0)
        return okr_cli_usage_error(cli, "'%s' is not a token ID (a number, see: okr token list)",
                                   argv[optind]);
    if ((rc = okr_cli_connect_lazy(cli)) != 0)
        return rc;
    Okr__TokenRevokeRequest tr = OKR__TOKEN_REVOKE_REQUEST__INIT;
    tr.id = id;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TOKEN_REVOKE;
    req.token_revoke = &tr;
    Okr__Response *resp;
    if ((rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_TOKEN, &resp)) != 0)
        return rc;
    if (!resp->token) {
        okr__response__free_unpacked(resp, NULL);
        return okr_kit_no_result(cli, "token");
    }
    if (cli->json) {
        json_t *j = token__json(cli, resp->token);
        rc = j ? OKR_EXIT_OK : okr_kit_nomem(cli);
        okr_cli_print_json(j);
    } else {
        char scope[512];
        char *label = okr_cli_sanitize(resp->token->label, 0);
        printf("Revoked dashboard token %llu \"%s\" (%s); dashboards using it are "
               "disconnected.\n",
               (unsigned long long)resp->token->id, label ? label : "",
               token__scope_text(cli, resp->token->scope, scope, sizeof scope));
        free(label);
        rc = OKR_EXIT_OK;
    }
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

int okr_cmd_token(okr_cli_t *cli, int argc, char **argv)
{
    static const okr_kit_sub_t subs[] = {
        {"create", token__create},
        {"list", token__list},
        {"revoke", token__revoke},
    };
    return okr_kit_dispatch(cli, argc, argv, "token", token_usage, subs,
                            sizeof subs / sizeof subs[0]);
}
