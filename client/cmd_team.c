/* cmd_team.c — okr team add, list, show, edit, rm and member add/rm.
 * Changing teams needs an admin (DESIGN.md section 2); anyone may look. */
#include "cmd_kit.h"

#include <stdlib.h>
#include <string.h>

enum {
    OPT_PARENT = OKR_OPT_FIRST_COMMAND_OPT,
    OPT_NO_PARENT,
    OPT_NAME,
    OPT_TREE,
    OPT_ALL,
    OPT_LEAD,
    OPT_CYCLE,
};

static const char team_usage[] =
    "Usage: okr team COMMAND [ARGS]\n"
    "\n"
    "Manages the organisation's tree of teams (company -> department -> team).\n"
    "Changing teams needs an admin; everyone may list and show them. Teams are\n"
    "named by their name (or #ID).\n"
    "\n"
    "Commands:\n"
    "  add NAME [--parent TEAM] [-d DESC]    create a team\n"
    "  list [--tree] [--all]                 list teams (--all: also archived)\n"
    "  show TEAM                             leads, members, parent and children\n"
    "  edit TEAM [--name N] [--parent P | --no-parent] [-d DESC]\n"
    "                                        rename, move or describe a team\n"
    "  rm TEAM                               archive a team (its history is kept)\n"
    "  member add TEAM USER [--lead]         add a member (or make one a lead)\n"
    "  member rm TEAM USER                   remove a member\n"
    "\n"
    "Run 'okr team COMMAND --help' for the details of one.\n"
    "\n"
    "Examples:\n"
    "  okr team add Acme\n"
    "  okr team add Engineering --parent Acme -d \"Builds the product\"\n"
    "  okr team member add Engineering alice --lead\n"
    "  okr team list --tree\n";

static const char add_usage[] = "Usage: okr team add NAME [--parent TEAM] [-d DESC]\n"
                                "\n"
                                "Creates a team (admins only). Team names are unique, ignoring "
                                "case.\n"
                                "\n"
                                "Options:\n"
                                "  --parent TEAM        the team it belongs to (default: none, a "
                                "root)\n"
                                "  -d, --description D  what the team does\n"
                                "\n"
                                "Examples:\n"
                                "  okr team add Acme\n"
                                "  okr team add 销售部 --parent Acme -d \"Sales, APAC\"\n";

static const char list_usage[] = "Usage: okr team list [--tree] [--all]\n"
                                 "\n"
                                 "Lists every team: name, parent, leads and number of members.\n"
                                 "\n"
                                 "Options:\n"
                                 "  --tree   show the organisation as a tree\n"
                                 "  --all    include archived teams\n"
                                 "\n"
                                 "Examples:\n"
                                 "  okr team list\n"
                                 "  okr team list --tree\n"
                                 "  okr team list --all --json\n";

static const char show_usage[] =
    "Usage: okr team show TEAM [--cycle C]\n"
    "\n"
    "Shows a team: description, parent, children, leads and members, then its\n"
    "objectives in the cycle (as okr obj list --team TEAM shows them).\n"
    "\n"
    "Options:\n"
    "  --cycle CYCLE   the cycle (default: the current one; none shown when no\n"
    "                  cycle is open or several are active)\n"
    "\n"
    "Examples:\n"
    "  okr team show Engineering\n"
    "  okr team show 销售部 --cycle 2026-Q1\n"
    "  okr team show '#3' --json\n";

static const char edit_usage[] =
    "Usage: okr team edit TEAM [--name NAME] [--parent TEAM | --no-parent] [-d DESC]\n"
    "\n"
    "Changes a team (admins only). Only what is given changes. The server\n"
    "refuses a parent that would put the team under itself.\n"
    "\n"
    "Options:\n"
    "  --name NAME          rename the team\n"
    "  --parent TEAM        move it under another team\n"
    "  --no-parent          make it a root\n"
    "  -d, --description D  replace the description\n"
    "\n"
    "Examples:\n"
    "  okr team edit Engineering --name R&D\n"
    "  okr team edit Platform --parent R&D\n";

static const char rm_usage[] = "Usage: okr team rm TEAM\n"
                               "\n"
                               "Archives a team (admins only): it leaves the lists and the tree, "
                               "and its\n"
                               "objectives and history are kept. 'okr team list --all' still "
                               "shows it.\n"
                               "\n"
                               "Example:\n"
                               "  okr team rm Marketing\n";

static const char member_usage[] = "Usage: okr team member add|rm TEAM USER [--lead]\n"
                                   "\n"
                                   "Adds a user to a team or removes them (admins only). A user "
                                   "may be in\n"
                                   "several teams. Leads are members too.\n"
                                   "\n"
                                   "Commands:\n"
                                   "  add TEAM USER [--lead]   add a member; --lead makes them a "
                                   "lead\n"
                                   "                           (also for someone already in the "
                                   "team)\n"
                                   "  rm TEAM USER             remove them from the team\n"
                                   "\n"
                                   "Examples:\n"
                                   "  okr team member add Engineering alice --lead\n"
                                   "  okr team member add Engineering bob\n"
                                   "  okr team member rm Engineering bob\n";

static const char member_add_usage[] = "Usage: okr team member add TEAM USER [--lead]\n"
                                       "\n"
                                       "Adds USER to TEAM (admins only).\n"
                                       "\n"
                                       "Options:\n"
                                       "  --lead   as a lead: leads manage the team's objectives\n"
                                       "           and its members' tasks\n"
                                       "\n"
                                       "Examples:\n"
                                       "  okr team member add Engineering alice --lead\n"
                                       "  okr team member add Engineering bob\n";

static const char member_rm_usage[] = "Usage: okr team member rm TEAM USER\n"
                                      "\n"
                                      "Removes USER from TEAM (admins only). Their objectives "
                                      "and check-ins\n"
                                      "are kept.\n"
                                      "\n"
                                      "Example:\n"
                                      "  okr team member rm Engineering bob\n";

/* ---------------------------------------------------------------- output */

static void team__want_users(okr_ref_wanted_t *w, const uint64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        okr_ref_want_user(w, ids[i]);
}

/* The names team list shows (the leads'), asked for at once. */
static int team__fetch_leads(okr_cli_t *cli, const okr_kit_pages_t *teams)
{
    okr_ref_wanted_t w = {0};
    for (size_t i = 0; i < teams->n; i++) {
        const Okr__Team *t = teams->items[i];
        team__want_users(&w, t->lead_ids, t->n_lead_ids);
    }
    return okr_ref_fetch_wanted(cli, &w);
}

/* The names team show shows (its parent's, its members' and leads'), at once. */
static int team__fetch_people(okr_cli_t *cli, const Okr__Team *t)
{
    okr_ref_wanted_t w = {0};
    team__want_users(&w, t->member_ids, t->n_member_ids);
    team__want_users(&w, t->lead_ids, t->n_lead_ids);
    okr_ref_want_team(&w, t->parent_id);
    return okr_ref_fetch_wanted(cli, &w);
}

/* Usernames of ids, comma-separated, into buf. */
static void team__names(okr_cli_t *cli, const uint64_t *ids, size_t n, char *buf, size_t len)
{
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < n && used + 1 < len; i++) {
        snprintf(buf + used, len - used, "%s%s", i ? ", " : "", okr_ref_username(cli, ids[i]));
        used += strlen(buf + used);
    }
    if (n == 0)
        snprintf(buf, len, "-");
}

static int team__is_lead(const Okr__Team *t, uint64_t user)
{
    for (size_t i = 0; i < t->n_lead_ids; i++)
        if (t->lead_ids[i] == user)
            return 1;
    return 0;
}

static json_t *team__json(const void *t)
{
    return okr_json_team(t);
}

/* Prints the team the server returned after an action: JSON or a sentence. */
static int team__result(okr_cli_t *cli, Okr__Response *resp, const char *fmt)
{
    if (!resp->team) {
        okr__response__free_unpacked(resp, NULL);
        return okr_kit_no_result(cli, "team");
    }
    if (cli->json) {
        okr_cli_print_json(okr_json_team(resp->team));
    } else {
        char *name = okr_cli_sanitize(resp->team->name, 0);
        printf(fmt, name ? name : "?");
        free(name);
    }
    okr__response__free_unpacked(resp, NULL);
    return OKR_EXIT_OK;
}

/* Sends a TeamUpdate with t (as read, then changed). */
static int team__update(okr_cli_t *cli, Okr__Team *t, const char *fmt)
{
    Okr__TeamUpdateRequest u = OKR__TEAM_UPDATE_REQUEST__INIT;
    u.team = t;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TEAM_UPDATE;
    req.team_update = &u;
    Okr__Response *resp;
    int rc = okr_kit_call_change(cli, &req, OKR__RESPONSE__RESULT_TEAM, &resp,
                                 "Someone else changed the team (or the name is taken): "
                                 "see 'okr team show', then run the command again.");
    return rc ? rc : team__result(cli, resp, fmt);
}

/* ---------------------------------------------------------------- add */

typedef struct team_opts {
    const char *parent;
    int no_parent;
    const char *name;
    const char *description;
    const char *cycle;
    int tree, all, lead;
} team_opts_t;

static int team__opt(okr_cli_t *cli, int opt, void *arg)
{
    team_opts_t *o = arg;
    switch (opt) {
    case OPT_PARENT:
        o->parent = optarg;
        return -1;
    case OPT_NO_PARENT:
        o->no_parent = 1;
        return -1;
    case OPT_NAME:
        o->name = optarg;
        return -1;
    case 'd':
        o->description = optarg;
        return -1;
    case OPT_TREE:
        o->tree = 1;
        return -1;
    case OPT_ALL:
        o->all = 1;
        return -1;
    case OPT_LEAD:
        o->lead = 1;
        return -1;
    case OPT_CYCLE:
        o->cycle = optarg;
        return -1;
    }
    (void)cli;
    return OKR_EXIT_USAGE;
}

static int team__add(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"parent", required_argument, NULL, OPT_PARENT},
                                             {"description", required_argument, NULL, 'd'},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    team_opts_t o = {0};
    int rc = okr_kit_begin(cli, "team add", add_usage, argc, argv, "d:", longopts, team__opt, &o, 1,
                           1, "NAME");
    if (rc >= 0)
        return rc;
    Okr__TeamCreateRequest c = OKR__TEAM_CREATE_REQUEST__INIT;
    c.name = argv[optind];
    c.description = (char *)(o.description ? o.description : "");
    if (o.parent && (rc = okr_ref_team(cli, o.parent, &c.parent_id)) != 0)
        return rc;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TEAM_CREATE;
    req.team_create = &c;
    Okr__Response *resp;
    rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_TEAM, &resp);
    return rc ? rc
              : team__result(cli, resp,
                             "Created team %s. Add people: okr team member add TEAM USER "
                             "[--lead]\n");
}

/* ---------------------------------------------------------------- list */

static int team__fetch(okr_cli_t *cli, uint64_t parent, int all, int archived, okr_kit_pages_t *out)
{
    Okr__Page page = OKR__PAGE__INIT;
    Okr__TeamListRequest lr = OKR__TEAM_LIST_REQUEST__INIT;
    lr.parent_id = parent;
    lr.all = all;
    lr.include_archived = archived;
    lr.page = &page;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TEAM_LIST;
    req.team_list = &lr;
    return okr_kit_fetch_all(cli, &req, &page, OKR__RESPONSE__RESULT_TEAM_LIST, out);
}

/* Remembers names from a list so parents need no extra lookups... via the
 * refs cache: asking okr_ref_team_name for each is one call per unknown id,
 * so look them up in the list first. */
static const char *team__name_in(okr_cli_t *cli, const okr_kit_pages_t *p, uint64_t id)
{
    if (id == 0)
        return "-";
    for (size_t i = 0; i < p->n; i++) {
        const Okr__Team *t = p->items[i];
        if (t->id == id)
            return t->name;
    }
    return okr_ref_team_name(cli, id);
}

#define TREE_MAX_DEPTH 32

typedef struct tree_ctx {
    okr_cli_t *cli;
    const okr_kit_pages_t *teams;
    char *printed;
} tree_ctx_t;

static void team__tree_line(tree_ctx_t *c, const Okr__Team *t, const char *prefix,
                            const char *branch)
{
    char leads[512];
    team__names(c->cli, t->lead_ids, t->n_lead_ids, leads, sizeof leads);
    fputs(prefix, stdout);
    fputs(branch, stdout);
    okr_kit_puts(t->name);
    printf("  (%zu member%s", t->n_member_ids, t->n_member_ids == 1 ? "" : "s");
    if (t->n_lead_ids) {
        printf(", lead%s ", t->n_lead_ids == 1 ? "" : "s");
        okr_kit_puts(leads);
    }
    printf(")%s\n", t->archived ? " [archived]" : "");
}

/* Prints the children of parent under prefix, with box-drawing branches. */
static void team__tree(tree_ctx_t *c, uint64_t parent, const char *prefix, int depth)
{
    size_t last = (size_t)-1;
    for (size_t i = 0; i < c->teams->n; i++) {
        const Okr__Team *t = c->teams->items[i];
        if (!c->printed[i] && t->parent_id == parent && t->id != parent)
            last = i;
    }
    for (size_t i = 0; last != (size_t)-1 && i <= last; i++) {
        const Okr__Team *t = c->teams->items[i];
        if (c->printed[i] || t->parent_id != parent || t->id == parent)
            continue;
        c->printed[i] = 1;
        int is_last = i == last;
        team__tree_line(c, t, prefix, is_last ? "\u2514\u2500 " : "\u251c\u2500 ");
        if (depth >= TREE_MAX_DEPTH)
            continue;
        /* Each level adds at most 5 bytes ("│" is 3 in UTF-8, and 2 spaces). */
        char sub[TREE_MAX_DEPTH * 8 + 16];
        size_t used = strlen(prefix);
        if (used + 6 > sizeof sub)
            continue;
        memcpy(sub, prefix, used);
        strcpy(sub + used, is_last ? "   " : "\u2502  ");
        team__tree(c, t->id, sub, depth + 1);
    }
}

static void team__print_tree(okr_cli_t *cli, const okr_kit_pages_t *teams)
{
    tree_ctx_t c = {cli, teams, calloc(teams->n ? teams->n : 1, 1)};
    if (!c.printed)
        return;
    /* Roots: no parent, or a parent not in the list (e.g. archived). */
    for (size_t i = 0; i < teams->n; i++) {
        const Okr__Team *t = teams->items[i];
        int has_parent = 0;
        for (size_t j = 0; t->parent_id && j < teams->n; j++)
            if (((const Okr__Team *)teams->items[j])->id == t->parent_id && j != i)
                has_parent = 1;
        if (has_parent || c.printed[i])
            continue;
        c.printed[i] = 1;
        team__tree_line(&c, t, "", "");
        team__tree(&c, t->id, "", 1);
    }
    /* Anything left sits in a loop the server should have refused. */
    for (size_t i = 0; i < teams->n; i++)
        if (!c.printed[i])
            team__tree_line(&c, teams->items[i], "", "? ");
    free(c.printed);
}

static int team__list(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"tree", no_argument, NULL, OPT_TREE},
                                             {"all", no_argument, NULL, OPT_ALL},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    team_opts_t o = {0};
    int rc = okr_kit_begin(cli, "team list", list_usage, argc, argv, "", longopts, team__opt, &o, 0,
                           0, "");
    if (rc >= 0)
        return rc;
    okr_kit_pages_t teams;
    rc = team__fetch(cli, 0, 1, o.all, &teams);
    if (rc)
        return rc;
    if (!cli->json && (rc = team__fetch_leads(cli, &teams)) != 0) {
        okr_kit_pages_free(&teams);
        return rc;
    }
    if (cli->json) {
        json_t *a = okr_kit_json_array(&teams, team__json);
        if (!a)
            rc = okr_kit_nomem(cli);
        else
            okr_cli_print_json(json_pack("{s:o}", "teams", a));
    } else if (teams.n == 0) {
        printf("No teams%s. An admin can create one: okr team add NAME\n",
               o.all ? "" : " (add --all to include archived ones)");
    } else if (o.tree) {
        team__print_tree(cli, &teams);
    } else {
        static const char *const header[] = {"NAME", "PARENT", "LEADS", "MEMBERS"};
        okr_cli_table_t t;
        if (okr_cli_table_init(&t, 4, header) != 0) {
            okr_kit_pages_free(&teams);
            return okr_kit_nomem(cli);
        }
        for (size_t i = 0; rc == 0 && i < teams.n; i++) {
            const Okr__Team *tm = teams.items[i];
            char name[300], leads[512], members[32], cut[256];
            okr_render_truncate(tm->name, OKR_KIT_TITLE_WIDTH, cut, sizeof cut);
            snprintf(name, sizeof name, "%s%s", cut, tm->archived ? " (archived)" : "");
            team__names(cli, tm->lead_ids, tm->n_lead_ids, leads, sizeof leads);
            snprintf(members, sizeof members, "%zu", tm->n_member_ids);
            const char *row[] = {name, team__name_in(cli, &teams, tm->parent_id), leads, members};
            if (okr_cli_table_add(&t, row) != 0)
                rc = okr_kit_nomem(cli);
        }
        if (!rc)
            okr_cli_table_print(&t, stdout);
        okr_cli_table_free(&t);
    }
    okr_kit_pages_free(&teams);
    return rc;
}

/* ---------------------------------------------------------------- show */

/* The cycles a CycleList read, for team show's default one. */
static uint64_t team__default_cycle(const okr_kit_pages_t *cycles)
{
    return okr_ref_default_cycle_of((Okr__Cycle *const *)cycles->items, cycles->n);
}

static json_t *team__objective_json(const void *o)
{
    return okr_json_objective(o);
}

static void team__print(okr_cli_t *cli, const Okr__Team *t, const okr_kit_pages_t *children)
{
    char buf[4096];
    printf("Team ");
    okr_kit_puts(t->name);
    printf("%s\n", t->archived ? " (archived)" : "");
    if (t->description && t->description[0])
        okr_kit_field("description", t->description);
    okr_kit_field("parent", t->parent_id ? okr_ref_team_name(cli, t->parent_id) : "- (root)");
    buf[0] = '\0';
    for (size_t i = 0, used = 0; i < children->n && used + 1 < sizeof buf; i++) {
        const Okr__Team *c = children->items[i];
        snprintf(buf + used, sizeof buf - used, "%s%s", i ? ", " : "", c->name);
        used += strlen(buf + used);
    }
    okr_kit_field("children", children->n ? buf : "-");
    team__names(cli, t->lead_ids, t->n_lead_ids, buf, sizeof buf);
    okr_kit_field("leads", buf);
    buf[0] = '\0';
    for (size_t i = 0, used = 0; i < t->n_member_ids && used + 1 < sizeof buf; i++) {
        snprintf(buf + used, sizeof buf - used, "%s%s%s", i ? ", " : "",
                 okr_ref_username(cli, t->member_ids[i]),
                 team__is_lead(t, t->member_ids[i]) ? " (lead)" : "");
        used += strlen(buf + used);
    }
    okr_kit_field("members", t->n_member_ids ? buf : "- (add: okr team member add)");
    char id[32];
    snprintf(id, sizeof id, "#%llu", (unsigned long long)t->id);
    okr_kit_field("id", id);
}

/* The objectives part of team show for people. 0 or an exit code. */
static int team__print_objectives(okr_cli_t *cli, const Okr__Team *t, uint64_t cycle_id,
                                  const okr_kit_pages_t *objs)
{
    char *name = okr_cli_sanitize(t->name, 0);
    int rc = 0;
    printf("\n");
    if (!cycle_id) {
        printf("Its objectives: okr obj list --team '%s' --cycle CYCLE\n", name ? name : "?");
    } else if (objs->n == 0) {
        printf("No objectives in ");
        okr_kit_puts(okr_ref_cycle_name(cli, cycle_id));
        printf(". Add one: okr obj add \"TITLE\" --team '%s'\n", name ? name : "?");
    } else {
        printf("Objectives in ");
        okr_kit_puts(okr_ref_cycle_name(cli, cycle_id));
        printf(" (%zu):\n", objs->n);
        Okr__Objective *const *items = (Okr__Objective *const *)objs->items;
        rc = okr_kit_print_objectives(cli, items, objs->n, 1, okr_kit_all_scored(items, objs->n));
    }
    free(name);
    return rc;
}

/* What team show reads besides the team, in two rounds: its children, the
 * open cycles (for the default one) and the people's names at once; then
 * the team's objectives in the cycle. Their owners are the team or, mostly,
 * its members, whose names are known by then. */
typedef struct team_show {
    okr_kit_pages_t children, cycles, objs;
    uint64_t cycle_id; /* 0: no objectives shown */
} team_show_t;

static int team__show_fetch(okr_cli_t *cli, const team_opts_t *o, const Okr__Team *t,
                            team_show_t *sh)
{
    memset(sh, 0, sizeof *sh);
    int rc = o->cycle ? okr_ref_cycle(cli, o->cycle, &sh->cycle_id) : 0;
    Okr__Page cpage = OKR__PAGE__INIT;
    Okr__CycleListRequest cl = OKR__CYCLE_LIST_REQUEST__INIT;
    cl.page = &cpage;
    Okr__Request creq = OKR__REQUEST__INIT;
    creq.op_case = OKR__REQUEST__OP_CYCLE_LIST;
    creq.cycle_list = &cl;
    Okr__Page tpage = OKR__PAGE__INIT;
    Okr__TeamListRequest tl = OKR__TEAM_LIST_REQUEST__INIT;
    tl.parent_id = t->id;
    tl.page = &tpage;
    Okr__Request treq = OKR__REQUEST__INIT;
    treq.op_case = OKR__REQUEST__OP_TEAM_LIST;
    treq.team_list = &tl;
    uint64_t csent = 0, tsent = 0;
    if (!rc && !o->cycle)
        rc = okr_cli_send(cli, &creq, &csent);
    if (!rc)
        rc = okr_cli_send(cli, &treq, &tsent);
    if (!rc && !cli->json)
        rc = team__fetch_people(cli, t);
    if (!rc)
        rc = okr_kit_fetch_all_sent(cli, tsent, &treq, &tpage, OKR__RESPONSE__RESULT_TEAM_LIST,
                                    &sh->children);
    if (!rc && csent) {
        rc = okr_kit_fetch_all_sent(cli, csent, &creq, &cpage, OKR__RESPONSE__RESULT_CYCLE_LIST,
                                    &sh->cycles);
        sh->cycle_id = rc ? 0 : team__default_cycle(&sh->cycles);
    }
    if (!rc && sh->cycle_id) {
        Okr__ObjectiveListRequest f = OKR__OBJECTIVE_LIST_REQUEST__INIT;
        f.team_id = t->id;
        f.cycle_id = sh->cycle_id;
        rc = okr_kit_list_objectives(cli, &f, &sh->objs);
    }
    return rc;
}

static void team__show_free(team_show_t *sh)
{
    okr_kit_pages_free(&sh->children);
    okr_kit_pages_free(&sh->cycles);
    okr_kit_pages_free(&sh->objs);
}

static int team__show(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"cycle", required_argument, NULL, OPT_CYCLE},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    team_opts_t o = {0};
    int rc = okr_kit_begin(cli, "team show", show_usage, argc, argv, "", longopts, team__opt, &o, 1,
                           1, "TEAM");
    if (rc >= 0)
        return rc;
    Okr__Response *resp;
    rc = okr_kit_get_team(cli, argv[optind], &resp);
    if (rc)
        return rc;
    const Okr__Team *t = resp->team;
    team_show_t sh;
    rc = team__show_fetch(cli, &o, t, &sh);
    if (!rc && cli->json) {
        json_t *kids = okr_kit_json_array(&sh.children, team__json);
        json_t *list = okr_kit_json_array(&sh.objs, team__objective_json);
        json_t *j = NULL;
        if (kids && list) /* json_pack takes them, also when it fails */
            j = json_pack(
                "{s:o, s:o, s:o, s:o}", "team", okr_json_team(t), "children", kids, "cycle",
                sh.cycle_id ? json_string(okr_ref_cycle_name(cli, sh.cycle_id)) : json_null(),
                "objectives", list);
        else {
            json_decref(kids);
            json_decref(list);
        }
        if (!j) {
            rc = okr_kit_nomem(cli);
        } else {
            okr_cli_print_json(j);
        }
    } else if (!rc) {
        team__print(cli, t, &sh.children);
        rc = team__print_objectives(cli, t, sh.cycle_id, &sh.objs);
    }
    team__show_free(&sh);
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* ---------------------------------------------------------------- edit, rm */

static int team__edit(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"name", required_argument, NULL, OPT_NAME},
                                             {"parent", required_argument, NULL, OPT_PARENT},
                                             {"no-parent", no_argument, NULL, OPT_NO_PARENT},
                                             {"description", required_argument, NULL, 'd'},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "team edit";
    cli->usage = edit_usage;
    team_opts_t o = {0};
    int rc = okr_kit_options(cli, argc, argv, "d:", longopts, team__opt, &o);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 1, 1, "TEAM");
    if (rc >= 0)
        return rc;
    if (o.parent && o.no_parent)
        return okr_cli_usage_error(cli, "give --parent or --no-parent, not both");
    if (!o.name && !o.parent && !o.no_parent && !o.description)
        return okr_cli_usage_error(cli,
                                   "nothing to change: give --name, --parent, --no-parent or -d");
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    uint64_t parent = 0;
    if (o.parent && (rc = okr_ref_team(cli, o.parent, &parent)) != 0)
        return rc;
    Okr__Response *resp;
    rc = okr_kit_get_team(cli, argv[optind], &resp);
    if (rc)
        return rc;
    Okr__Team *t = resp->team;
    /* Swap in the new strings only for the request, then put the owned ones
     * back so free_unpacked frees what it allocated. */
    char *old_name = t->name, *old_desc = t->description;
    if (o.name)
        t->name = (char *)o.name;
    if (o.description)
        t->description = (char *)o.description;
    if (o.parent)
        t->parent_id = parent;
    if (o.no_parent)
        t->parent_id = 0;
    rc = team__update(cli, t, "Updated team %s.\n");
    t->name = old_name;
    t->description = old_desc;
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

static int team__rm(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    int rc =
        okr_kit_begin(cli, "team rm", rm_usage, argc, argv, "", longopts, NULL, NULL, 1, 1, "TEAM");
    if (rc >= 0)
        return rc;
    Okr__Response *resp;
    rc = okr_kit_get_team(cli, argv[optind], &resp);
    if (rc)
        return rc;
    if (resp->team->archived && !cli->json) {
        printf("Team ");
        okr_kit_puts(resp->team->name);
        printf(" is already archived.\n");
        okr__response__free_unpacked(resp, NULL);
        return OKR_EXIT_OK;
    }
    resp->team->archived = 1;
    rc = team__update(cli, resp->team, "Archived team %s (its objectives and history are kept).\n");
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* ---------------------------------------------------------------- member */

static int member__set(okr_cli_t *cli, int argc, char **argv, int add)
{
    static const struct option add_longopts[] = {{"lead", no_argument, NULL, OPT_LEAD},
                                                 OKR_CLI_GLOBAL_LONGOPTS};
    static const struct option rm_longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    team_opts_t o = {0};
    int rc = okr_kit_begin(cli, add ? "team member add" : "team member rm",
                           add ? member_add_usage : member_rm_usage, argc, argv, "",
                           add ? add_longopts : rm_longopts, team__opt, &o, 2, 2, "TEAM and USER");
    if (rc >= 0)
        return rc;
    const char *team = argv[optind], *user = argv[optind + 1];
    Okr__TeamSetMemberRequest sm = OKR__TEAM_SET_MEMBER_REQUEST__INIT;
    if ((rc = okr_ref_team(cli, team, &sm.team_id)) != 0)
        return rc;
    /* The server resolves the user name itself; "#12" is an id. */
    if (user[0] == '#') {
        if ((rc = okr_ref_user(cli, user, &sm.user_id)) != 0)
            return rc;
    } else {
        sm.username = (char *)user;
    }
    sm.role = !add     ? OKR__TEAM_ROLE__TEAM_ROLE_UNSPECIFIED
              : o.lead ? OKR__TEAM_ROLE__TEAM_ROLE_LEAD
                       : OKR__TEAM_ROLE__TEAM_ROLE_MEMBER;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TEAM_SET_MEMBER;
    req.team_set_member = &sm;
    Okr__Response *resp;
    rc = okr_cli_call(cli, &req, 0, &resp);
    if (rc)
        return rc;
    if (cli->json) {
        okr_cli_print_json(resp->team
                               ? okr_json_team(resp->team)
                               : json_pack("{s:s, s:s, s:s}", "team", team, "user", user, "role",
                                           !add     ? "none"
                                           : o.lead ? "lead"
                                                    : "member"));
    } else {
        char *u = okr_cli_sanitize(user, 0), *t = okr_cli_sanitize(team, 0);
        if (add)
            printf("%s is now a %s of %s.\n", u ? u : "?", o.lead ? "lead" : "member", t ? t : "?");
        else
            printf("Removed %s from %s.\n", u ? u : "?", t ? t : "?");
        free(u);
        free(t);
    }
    okr__response__free_unpacked(resp, NULL);
    return OKR_EXIT_OK;
}

static int member__add(okr_cli_t *cli, int argc, char **argv)
{
    return member__set(cli, argc, argv, 1);
}

static int member__rm(okr_cli_t *cli, int argc, char **argv)
{
    return member__set(cli, argc, argv, 0);
}

static int team__member(okr_cli_t *cli, int argc, char **argv)
{
    static const okr_kit_sub_t subs[] = {{"add", member__add}, {"rm", member__rm}};
    return okr_kit_dispatch(cli, argc, argv, "team member", member_usage, subs,
                            sizeof subs / sizeof subs[0]);
}

/* ---------------------------------------------------------------- dispatch */

int okr_cmd_team(okr_cli_t *cli, int argc, char **argv)
{
    static const okr_kit_sub_t subs[] = {
        {"add", team__add},   {"list", team__list}, {"show", team__show},
        {"edit", team__edit}, {"rm", team__rm},     {"member", team__member},
    };
    return okr_kit_dispatch(cli, argc, argv, "team", team_usage, subs,
                            sizeof subs / sizeof subs[0]);
}
