/* cmd_import.c — okr import: objectives and key results from a CSV file,
 * the other half of okr export --format csv.
 *
 * The file is read and parsed before anything else (import_csv.c: a broken
 * file needs no server), then the names it uses are looked up on the server
 * (the cycle, every team, the owners it names, the server objectives its
 * parents name), the whole file is checked (import_plan.c) and only a file
 * without a single problem is created: as one import, all or nothing
 * (import_request.c, import_one.c), or from an okrd older than protocol 1.6
 * request by request (import_run.c). */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cmd_kit.h"
#include "import_csv.h"
#include "import_plan.h"
#include "import_run.h"
#include "okr_error.h"
#include "pipeline.h"
#include "view_model.h"

enum {
    OPT_CYCLE = OKR_OPT_FIRST_COMMAND_OPT,
    OPT_DRY_RUN,
};

/* A file this long shows a progress counter on a terminal. */
#define IMPORT_PROGRESS_FROM 50

static const char import_usage[] =
    "Usage: okr import FILE.csv [--cycle C] [--dry-run]\n"
    "\n"
    "Creates objectives and key results from a CSV file: one row each, a header\n"
    "row naming the columns, as okr export --format csv writes it and as a\n"
    "spreadsheet saves it (\"CSV UTF-8\"). The whole file is checked first; if\n"
    "any row is wrong, every problem is listed as FILE:LINE: and nothing is\n"
    "created. Then objectives are created parents first, then key results, then\n"
    "a check-in (note \"imported\") for each key result whose current value is not\n"
    "its start.\n"
    "\n"
    "Columns (in any order; blank means the default):\n"
    "  type              objective or key_result (required)\n"
    "  title             (required)\n"
    "  ref               a name for the row, like O1 or K7, for other rows to\n"
    "                    point at; used only inside the file\n"
    "  parent            an objective: the ref of the objective it aligns to, or\n"
    "                    an objective already on the server (O12) if no row has\n"
    "                    that ref. A key result: the ref of its objective\n"
    "                    (blank: the objective row above it)\n"
    "  owner, owner_kind a username (default: you), or a team's name with\n"
    "                    owner_kind team; a key result's owner is a person\n"
    "                    (default: its objective's owner)\n"
    "  team              the team a person's objective belongs to\n"
    "  kind              committed or aspirational\n"
    "  state             draft, or active (closed is read as active)\n"
    "  visibility        public or team (needs a team)\n"
    "  description\n"
    "  metric            number, percent, currency or boolean\n"
    "  unit, start, target, weight, current, confidence (0-10)\n"
    "  linked_objective  the ref of an objective aligned under this key\n"
    "                    result's objective, whose progress it takes\n"
    "  due_at            2026-03-31 or 2026-03-31T17:00:00Z\n"
    "  last_checkin_at   when current was true, in the same forms: the\n"
    "                    check-in is dated then if that is within the cycle so\n"
    "                    far (else it is dated when imported)\n"
    "The columns export computes (id, level, progress, status, score, ...) are\n"
    "ignored; other columns are ignored with a warning.\n"
    "\n"
    "The server checks every create as usual: you may create objectives you own\n"
    "and those of teams you lead. The whole file is one import, all or nothing:\n"
    "if the server refuses one row, it names the row and nothing is created.\n"
    "A file bigger than the server takes in one import (its max_import_items,\n"
    "10,000 objectives and key results by default, or its max_frame) is refused\n"
    "before anything is sent, saying how to split it; each part is then an import\n"
    "of its own. An okr server older than protocol 1.6 is sent one request per\n"
    "row instead: there a refusal midway stops the import, and okr says what was\n"
    "created (it stays) and what was not.\n"
    "\n"
    "Options:\n"
    "  --cycle CYCLE   the cycle the objectives go into (default: the current\n"
    "                  one); not a closed one\n"
    "  --dry-run       check the file and show what would be created; create\n"
    "                  nothing\n"
    "  --json          {cycle, complete, atomic, objectives:[{ref, line, id}],\n"
    "                  key_results:[...], checkins}\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Exit status: 0 all created; 2 the file has problems or is too big for one\n"
    "import (nothing created); 5 the server refused a row (nothing created; from an\n"
    "older server, what was created is listed).\n"
    "\n"
    "Examples:\n"
    "  okr import q2.csv --dry-run\n"
    "  okr import q2.csv --cycle 2026-Q2\n"
    "\n"
    "  # next quarter from this one: export, edit in a spreadsheet, import\n"
    "  okr export --format csv --cycle 2026-Q1 -o q2.csv\n"
    "  okr import q2.csv --cycle 2026-Q2\n"
    "\n"
    "  # the least a sheet needs (key results go under the objective above)\n"
    "  type,title,target\n"
    "  objective,Delight our customers,\n"
    "  key_result,Raise NPS from 30 to 50,50\n";

typedef struct import_opts {
    const char *cycle;
    int dry_run;
} import_opts_t;

static int import__opt(okr_cli_t *cli, int opt, void *arg)
{
    import_opts_t *o = arg;
    (void)cli;
    switch (opt) {
    case OPT_CYCLE:
        o->cycle = optarg;
        return -1;
    case OPT_DRY_RUN:
        o->dry_run = 1;
        return -1;
    }
    return OKR_EXIT_USAGE;
}

/* ---------------------------------------------------------------- reading the file */

/* Reads path ("-": standard input) into *t. 0 or an exit code (printed as
 * FILE:LINE: ...). */
static int import__read(okr_cli_t *cli, const char *path, okr_csv_t *t)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return okr_cli_fail(cli, OKR_EXIT_USAGE, "IO", "cannot read %s: %s", path, strerror(errno));
    char err[512];
    size_t line;
    int rc = okr_csv_read(f, t, &line, err, sizeof err);
    if (f != stdin)
        fclose(f);
    if (rc == 0)
        return 0;
    if (line)
        return okr_cli_fail(cli, OKR_EXIT_USAGE, "INVALID_FILE", "%s:%zu: %s", path, line, err);
    return okr_cli_fail(cli, OKR_EXIT_USAGE, "INVALID_FILE", "%s: %s", path, err);
}

/* ---------------------------------------------------------------- what the server knows */

typedef struct import_world {
    okr_plan_world_t w;
    okr_plan_name_t *users, *teams;
    size_t nusers, capusers, nteams;
    okr_plan_server_obj_t *objs;
    size_t nobjs;
    okr_plan_strings_t names;   /* the usernames the file names */
    uint64_t *obj_ids;          /* the server objectives the file names */
    okr_kit_pages_t team_pages; /* the teams' names point into these */
    Okr__Response *cycle;
    okr_plan_strings_t owned; /* the users' names */
    int nomem;
} import_world_t;

static const char *world__keep(import_world_t *iw, const char *s)
{
    const char *copy = okr_plan_strings_add(&iw->owned, s ? s : "", s ? strlen(s) : 0);
    if (!copy)
        iw->nomem = 1;
    return copy ? copy : "";
}

static void world__add_user(import_world_t *iw, const Okr__User *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < iw->nusers; i++)
        if (iw->users[i].id == u->id)
            return;
    if (iw->nusers == iw->capusers) {
        size_t cap = iw->capusers ? iw->capusers * 2 : 64;
        okr_plan_name_t *v = realloc(iw->users, cap * sizeof *v);
        if (!v) {
            iw->nomem = 1;
            return;
        }
        iw->users = v;
        iw->capusers = cap;
    }
    iw->users[iw->nusers++] = (okr_plan_name_t){world__keep(iw, u->username), u->id, !u->active};
}

static void world__free(import_world_t *iw)
{
    free(iw->users);
    free(iw->teams);
    free(iw->objs);
    free(iw->obj_ids);
    okr_plan_strings_free(&iw->names);
    okr_kit_pages_free(&iw->team_pages);
    if (iw->cycle)
        okr__response__free_unpacked(iw->cycle, NULL);
    okr_plan_strings_free(&iw->owned);
    memset(iw, 0, sizeof *iw);
}

/* The cycle: --cycle or the current one, and not closed. */
static int world__cycle(okr_cli_t *cli, import_world_t *iw, const char *name)
{
    uint64_t id;
    int rc = okr_view_cycle_arg(cli, name, &id);
    if (rc)
        return rc;
    Okr__CycleGetRequest g = OKR__CYCLE_GET_REQUEST__INIT;
    g.id = id;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CYCLE_GET;
    req.cycle_get = &g;
    rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_CYCLE, &iw->cycle);
    if (rc)
        return rc;
    const Okr__Cycle *c = iw->cycle->cycle;
    if (!c)
        return okr_kit_no_result(cli, "cycle");
    if (c->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED)
        return okr_cli_usage_error(cli,
                                   "cycle %s is closed: its objectives are frozen; import into "
                                   "an open cycle with --cycle",
                                   c->name);
    iw->w.cycle_id = c->id;
    iw->w.cycle_name = c->name;
    iw->w.cycle_start = c->start_at;
    iw->w.now_ms = okr_wall_ms();
    return 0;
}

static int world__teams(okr_cli_t *cli, import_world_t *iw)
{
    Okr__TeamListRequest tl = OKR__TEAM_LIST_REQUEST__INIT;
    Okr__Page page = OKR__PAGE__INIT;
    tl.all = 1;
    tl.include_archived = 1;
    tl.page = &page;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TEAM_LIST;
    req.team_list = &tl;
    int rc = okr_kit_fetch_all(cli, &req, &page, OKR__RESPONSE__RESULT_TEAM_LIST, &iw->team_pages);
    if (rc)
        return rc;
    iw->teams = calloc(iw->team_pages.n + 1, sizeof *iw->teams);
    if (!iw->teams)
        return okr_kit_nomem(cli);
    for (size_t i = 0; i < iw->team_pages.n; i++) {
        const Okr__Team *t = iw->team_pages.items[i];
        iw->teams[iw->nteams++] = (okr_plan_name_t){t->name, t->id, t->archived};
    }
    return 0;
}

/* Users by name (the file's) or by id (the members of every team). */
typedef struct world_users {
    import_world_t *iw;
    const uint64_t *ids; /* NULL: by the names in iw->names */
} world_users_t;

static void world__build_user(void *arg, size_t i, okr_pipe_req_t *r)
{
    const world_users_t *wu = arg;
    okr__request__init(&r->req);
    okr__user_get_request__init(&r->u.user_get);
    if (wu->ids)
        r->u.user_get.id = wu->ids[i];
    else
        r->u.user_get.username = wu->iw->names.v[i];
    r->req.op_case = OKR__REQUEST__OP_USER_GET;
    r->req.user_get = &r->u.user_get;
}

static int world__user_answer(void *arg, size_t i, const Okr__Response *resp)
{
    world_users_t *wu = arg;
    (void)i;
    if (resp->result_case == OKR__RESPONSE__RESULT_USER)
        world__add_user(wu->iw, resp->user);
    return 0;
}

/* Everyone the caller can name, for "did you mean": every user for an
 * admin, else every member of every team. */
static int world__user_hints(okr_cli_t *cli, import_world_t *iw)
{
    if (cli->me && cli->me->role == OKR__ROLE__ROLE_ADMIN) {
        char *after = NULL;
        for (;;) {
            Okr__UserListRequest ul = OKR__USER_LIST_REQUEST__INIT;
            ul.after_username = after ? after : "";
            ul.include_inactive = 1;
            Okr__Request req = OKR__REQUEST__INIT;
            req.op_case = OKR__REQUEST__OP_USER_LIST;
            req.user_list = &ul;
            Okr__Response *resp;
            int rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_USER_LIST, &resp);
            free(after);
            after = NULL;
            if (rc)
                return rc;
            for (size_t i = 0; i < resp->user_list->n_users; i++)
                world__add_user(iw, resp->user_list->users[i]);
            if (resp->user_list->next_after && resp->user_list->next_after[0])
                after = strdup(resp->user_list->next_after);
            okr__response__free_unpacked(resp, NULL);
            if (!after)
                return 0;
        }
    }
    size_t n = 0, cap = 0;
    uint64_t *ids = NULL;
    for (size_t i = 0; i < iw->team_pages.n; i++) {
        const Okr__Team *t = iw->team_pages.items[i];
        for (size_t m = 0; m < t->n_member_ids; m++) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                uint64_t *v = realloc(ids, cap * sizeof *v);
                if (!v) {
                    free(ids);
                    return okr_kit_nomem(cli);
                }
                ids = v;
            }
            ids[n++] = t->member_ids[m];
        }
    }
    world_users_t wu = {iw, ids};
    int rc = n ? okr_pipeline_quiet(cli, n, world__build_user, world__user_answer, &wu) : 0;
    free(ids);
    return rc;
}

static int world__users(okr_cli_t *cli, const okr_csv_t *t, import_world_t *iw)
{
    if (okr_plan_usernames(t, &iw->names) != 0)
        return okr_kit_nomem(cli);
    world_users_t wu = {iw, NULL};
    int rc = iw->names.n
                 ? okr_pipeline(cli, iw->names.n, world__build_user, world__user_answer, &wu)
                 : 0;
    if (rc || iw->nomem)
        return rc ? rc : okr_kit_nomem(cli);
    /* every name found: no need for hints */
    return iw->nusers < iw->names.n ? world__user_hints(cli, iw) : 0;
}

static void world__build_obj(void *arg, size_t i, okr_pipe_req_t *r)
{
    const import_world_t *iw = arg;
    okr__request__init(&r->req);
    okr__objective_get_request__init(&r->u.objective_get);
    r->u.objective_get.id = iw->obj_ids[i];
    r->req.op_case = OKR__REQUEST__OP_OBJECTIVE_GET;
    r->req.objective_get = &r->u.objective_get;
}

static int world__obj_answer(void *arg, size_t i, const Okr__Response *resp)
{
    import_world_t *iw = arg;
    (void)i;
    const Okr__Objective *o =
        resp->result_case == OKR__RESPONSE__RESULT_OBJECTIVE_DETAIL && resp->objective_detail
            ? resp->objective_detail->objective
            : NULL;
    if (o)
        iw->objs[iw->nobjs++] = (okr_plan_server_obj_t){
            o->id, o->cycle_id, NULL, o->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED};
    return 0;
}

/* The objectives on the server the file aligns to, with their cycles' names. */
static int world__objectives(okr_cli_t *cli, const okr_csv_t *t, import_world_t *iw)
{
    size_t n;
    if (okr_plan_server_refs(t, &iw->obj_ids, &n) != 0)
        return okr_kit_nomem(cli);
    if (n == 0)
        return 0;
    if (!(iw->objs = calloc(n, sizeof *iw->objs)))
        return okr_kit_nomem(cli);
    int rc = okr_pipeline(cli, n, world__build_obj, world__obj_answer, iw);
    if (rc)
        return rc;
    okr_ref_wanted_t want = {0};
    for (size_t i = 0; i < iw->nobjs; i++)
        okr_ref_want_cycle(&want, iw->objs[i].cycle_id);
    if ((rc = okr_ref_fetch_wanted(cli, &want)) != 0)
        return rc;
    for (size_t i = 0; i < iw->nobjs; i++)
        iw->objs[i].cycle_name = okr_ref_cycle_name(cli, iw->objs[i].cycle_id);
    return 0;
}

static int world__load(okr_cli_t *cli, const okr_csv_t *t, const char *cycle, import_world_t *iw)
{
    int rc = world__cycle(cli, iw, cycle);
    if (!rc)
        rc = world__teams(cli, iw);
    if (!rc)
        rc = world__users(cli, t, iw);
    if (!rc)
        rc = world__objectives(cli, t, iw);
    if (!rc && iw->nomem)
        rc = okr_kit_nomem(cli);
    iw->w.users = iw->users;
    iw->w.nusers = iw->nusers;
    iw->w.teams = iw->teams;
    iw->w.nteams = iw->nteams;
    iw->w.objectives = iw->objs;
    iw->w.nobjectives = iw->nobjs;
    /* Answered by now: world__cycle waited for the server. */
    if (!rc && okr_client_server_speaks(cli->client, OKR_PROTOCOL_LIMITS))
        iw->w.max_key_results = okr_client_server_hello(cli->client)->max_key_results_per_objective;
    return rc;
}

/* ---------------------------------------------------------------- problems */

/* With --json, the unknown columns' warning goes into the output doc. */
static json_t *import__warn(json_t *doc, const okr_plan_t *p)
{
    if (doc && p->warning)
        json_object_set_new(doc, "warning", json_string(p->warning));
    return doc;
}

static int import__problems(okr_cli_t *cli, const char *path, const okr_plan_t *p)
{
    size_t shown = p->nkept < OKR_PLAN_MAX_PROBLEMS ? p->nkept : OKR_PLAN_MAX_PROBLEMS;
    size_t more = p->nproblems - shown;
    if (cli->json) {
        json_t *list = json_array();
        for (size_t i = 0; list && i < shown; i++)
            json_array_append_new(list,
                                  json_pack("{s:I, s:s}", "line", (json_int_t)p->problems[i].line,
                                            "message", p->problems[i].message));
        json_t *doc = json_pack("{s:{s:s, s:s+}, s:o, s:I}", "error", "status", "INVALID_FILE",
                                "message", path, ": problems in the file; nothing was created",
                                "problems", list ? list : json_array(), "more", (json_int_t)more);
        char *text = doc ? json_dumps(import__warn(doc, p), JSON_COMPACT) : NULL;
        fprintf(stderr, "%s\n", text ? text : "{\"error\":{\"status\":\"INVALID_FILE\"}}");
        free(text);
        json_decref(doc);
        return OKR_EXIT_USAGE;
    }
    for (size_t i = 0; i < shown; i++) {
        char *m = okr_cli_sanitize(p->problems[i].message, 0);
        if (p->problems[i].line)
            fprintf(stderr, "%s:%zu: %s\n", path, p->problems[i].line, m ? m : "");
        else
            fprintf(stderr, "%s: %s\n", path, m ? m : "");
        free(m);
    }
    if (more)
        fprintf(stderr, "%s: and %zu more problem%s not listed\n", path, more,
                more == 1 ? "" : "s");
    fprintf(stderr, "okr import: %zu problem%s in %s; nothing was created\n", p->nproblems,
            p->nproblems == 1 ? "" : "s", path);
    return OKR_EXIT_USAGE;
}

/* ---------------------------------------------------------------- output */

/* "O5", or "line 14" for a row without a ref. */
static const char *import__name(const char *ref, size_t line, char *buf, size_t len)
{
    if (ref && ref[0])
        snprintf(buf, len, "%s", ref);
    else
        snprintf(buf, len, "line %zu", line);
    return buf;
}

/* One created (or planned, id 0) row as JSON. */
static json_t *import__row_json(const char *ref, size_t line, uint64_t id, const char *title)
{
    json_t *j =
        json_pack("{s:s?, s:I}", "ref", ref && ref[0] ? ref : NULL, "line", (json_int_t)line);
    if (j && id)
        json_object_set_new(j, "id", json_integer((json_int_t)id));
    if (j && title)
        json_object_set_new(j, "title", json_string(title));
    return j;
}

/* The rows of the plan as JSON: those created (r; ids) or, want_missing,
 * those not created; with r NULL (a dry run) every row with its title. */
static json_t *import__rows_json(const okr_plan_t *p, const okr_import_result_t *r, int krs,
                                 int want_missing)
{
    json_t *a = json_array();
    size_t n = krs ? p->nkrs : p->nobjs;
    for (size_t i = 0; a && i < n; i++) {
        const char *ref = krs ? p->krs[i].ref : p->objs[i].ref;
        size_t line = krs ? p->krs[i].line : p->objs[i].line;
        uint64_t id = r ? (krs ? r->kr_ids[i] : r->obj_ids[i]) : 0;
        if (r && (id == 0) != want_missing)
            continue;
        const char *title = r ? NULL : krs ? p->krs[i].k.title : p->objs[i].o.title;
        json_array_append_new(a, import__row_json(ref, line, id, title));
    }
    return a;
}

/* A table: the file's ref, what it became, its title. */
static void import__print_rows(okr_cli_t *cli, const okr_plan_t *p, const okr_import_result_t *r)
{
    static const char *const header[] = {"IN THE FILE", "CREATED", "TITLE"};
    okr_cli_table_t t;
    if (okr_cli_table_init(&t, 3, header) != 0)
        return;
    int ok = 1;
    for (int krs = 0; krs < 2; krs++) {
        size_t n = krs ? p->nkrs : p->nobjs;
        for (size_t i = 0; i < n && ok; i++) {
            uint64_t id = krs ? r->kr_ids[i] : r->obj_ids[i];
            if (!id)
                continue;
            char name[64], made[32], title[256];
            import__name(krs ? p->krs[i].ref : p->objs[i].ref,
                         krs ? p->krs[i].line : p->objs[i].line, name, sizeof name);
            okr_ref_format(krs ? OKR_REF_KEY_RESULT : OKR_REF_OBJECTIVE, id, made, sizeof made);
            okr_render_truncate(krs ? p->krs[i].k.title : p->objs[i].o.title, OKR_KIT_TITLE_WIDTH,
                                title, sizeof title);
            const char *row[] = {name, made, title};
            ok = okr_cli_table_add(&t, row) == 0;
        }
    }
    if (ok)
        okr_cli_table_print(&t, stdout);
    else
        okr_kit_nomem(cli);
    okr_cli_table_free(&t);
}

static void import__print_dry_run(const char *path, const okr_plan_t *p, const char *cycle)
{
    static const char *const header[] = {"TYPE", "REF", "UNDER", "TITLE", "CHECK-IN"};
    okr_cli_table_t t;
    printf("%s would create %zu objective%s, %zu key result%s and %zu check-in%s in %s.\n", path,
           p->nobjs, p->nobjs == 1 ? "" : "s", p->nkrs, p->nkrs == 1 ? "" : "s", p->ncheckins,
           p->ncheckins == 1 ? "" : "s", cycle);
    printf("Nothing was created (--dry-run).\n\n");
    if (okr_cli_table_init(&t, 5, header) != 0)
        return;
    int ok = 1;
    for (int krs = 0; krs < 2; krs++) {
        size_t n = krs ? p->nkrs : p->nobjs;
        for (size_t i = 0; i < n && ok; i++) {
            char name[64], under[64] = "-", title[256], value[64] = "";
            size_t parent = krs ? p->krs[i].objective : p->objs[i].parent;
            if (parent != OKR_PLAN_NONE)
                import__name(p->objs[parent].ref, p->objs[parent].line, under, sizeof under);
            else if (!krs && p->objs[i].parent_id)
                okr_ref_format(OKR_REF_OBJECTIVE, p->objs[i].parent_id, under, sizeof under);
            if (krs && p->krs[i].checkin)
                snprintf(value, sizeof value, "%.15g", p->krs[i].current);
            okr_render_truncate(krs ? p->krs[i].k.title : p->objs[i].o.title, OKR_KIT_TITLE_WIDTH,
                                title, sizeof title);
            const char *row[] = {krs ? "key result" : "objective",
                                 import__name(krs ? p->krs[i].ref : p->objs[i].ref,
                                              krs ? p->krs[i].line : p->objs[i].line, name,
                                              sizeof name),
                                 under, title, value};
            ok = okr_cli_table_add(&t, row) == 0;
        }
    }
    if (ok)
        okr_cli_table_print(&t, stdout);
    okr_cli_table_free(&t);
}

static int import__dry_run(okr_cli_t *cli, const char *path, const okr_plan_t *p, const char *cycle)
{
    if (!cli->json) {
        import__print_dry_run(path, p, cycle);
        return OKR_EXIT_OK;
    }
    json_t *doc = json_pack("{s:b, s:s, s:o, s:o, s:I}", "dry_run", 1, "cycle", cycle, "objectives",
                            import__rows_json(p, NULL, 0, 0), "key_results",
                            import__rows_json(p, NULL, 1, 0), "checkins", (json_int_t)p->ncheckins);
    if (!doc)
        return okr_kit_nomem(cli);
    okr_cli_print_json(import__warn(doc, p));
    return OKR_EXIT_OK;
}

/* The rows not created, by the file's names: "  O5 O7 K3 (line 14) ...". */
static void import__print_missing(const okr_plan_t *p, const okr_import_result_t *r)
{
    size_t shown = 0, width = 2;
    for (int krs = 0; krs < 2; krs++) {
        size_t n = krs ? p->nkrs : p->nobjs;
        for (size_t i = 0; i < n; i++) {
            if ((krs ? r->kr_ids[i] : r->obj_ids[i]) != 0)
                continue;
            char name[64];
            char *safe = okr_cli_sanitize(import__name(krs ? p->krs[i].ref : p->objs[i].ref,
                                                       krs ? p->krs[i].line : p->objs[i].line, name,
                                                       sizeof name),
                                          0);
            size_t len = safe ? strlen(safe) + 1 : 2;
            printf("%s%s", shown == 0 ? "  " : width + len > 78 ? "\n  " : " ", safe ? safe : "?");
            width = (shown == 0 || width + len > 78 ? 2 : width) + len;
            free(safe);
            shown++;
        }
    }
    if (shown)
        printf("\n");
}

/* One import (protocol 1.6) refused, or unanswered: the whole of it. */
static int import__report_refused_one(okr_cli_t *cli, const char *path,
                                      const okr_import_result_t *r)
{
    int code;
    if (r->unanswered)
        code = okr_cli_fail_err(cli, r->err,
                                "%s: %s; the import is all or nothing, but whether it was made "
                                "is not known: look (okr obj list --cycle) before importing again",
                                path, r->message);
    else if (r->unsent)
        code =
            okr_cli_fail_err(cli, r->err, "%s: the import could not be sent: %s", path, r->message);
    else if (r->line)
        code = okr_cli_fail_err(cli, r->err, "%s:%zu: the %s was refused: %s", path, r->line,
                                r->what, r->message);
    else
        code = okr_cli_fail_err(cli, r->err, "%s: the import was refused: %s", path, r->message);
    if (!cli->json && !r->unanswered)
        printf("Nothing was created: an import is all or nothing.%s\n",
               r->line ? " Fix the file and import it again." : "");
    return code;
}

/* What the import did: everything, or what it created before it stopped. */
static int import__report(okr_cli_t *cli, const char *path, const okr_plan_t *p,
                          const okr_import_result_t *r, const char *cycle, int rc)
{
    if (cli->json) {
        json_t *doc = json_pack(
            "{s:s, s:b, s:b, s:o, s:o, s:I}", "cycle", cycle, "complete", rc == 0, "atomic",
            r->atomic, "objectives", import__rows_json(p, r, 0, 0), "key_results",
            import__rows_json(p, r, 1, 0), "checkins", (json_int_t)r->ncheckins);
        if (doc && rc) {
            json_object_set_new(doc, "error",
                                json_pack("{s:s, s:s, s:s, s:I}", "status",
                                          okr_cli_status_name(r->err), "message", r->message,
                                          "refused", r->what, "line", (json_int_t)r->line));
            /* Sent without an answer: what was made is not known. */
            if (r->unanswered)
                json_object_set_new(doc, "unanswered", json_true());
        }
        if (doc && rc && !r->unanswered) {
            json_object_set_new(doc, "not_created",
                                json_pack("{s:o, s:o, s:I}", "objectives",
                                          import__rows_json(p, r, 0, 1), "key_results",
                                          import__rows_json(p, r, 1, 1), "checkins",
                                          (json_int_t)(p->ncheckins - r->ncheckins)));
        }
        if (!doc)
            return okr_kit_nomem(cli);
        okr_cli_print_json(import__warn(doc, p));
    }
    if (rc && r->atomic)
        return import__report_refused_one(cli, path, r);
    if (rc) {
        int code = okr_cli_fail_err(cli, r->err, "%s:%zu: the %s was refused: %s", path, r->line,
                                    r->what, r->message);
        if (cli->json)
            return code;
        if (r->nobjs + r->nkrs) {
            printf("Created before the import stopped (they stay: remove them, or import the\n"
                   "rows not created from a file without these):\n");
            import__print_rows(cli, p, r);
        } else {
            printf("Nothing was created.\n");
        }
        size_t no = p->nobjs - r->nobjs, nk = p->nkrs - r->nkrs, nc = p->ncheckins - r->ncheckins;
        if (no + nk + nc)
            printf("Not created: %zu objective%s, %zu key result%s and %zu check-in%s.\n", no,
                   no == 1 ? "" : "s", nk, nk == 1 ? "" : "s", nc, nc == 1 ? "" : "s");
        import__print_missing(p, r);
        return code;
    }
    if (!cli->json) {
        printf("Created %zu objective%s and %zu key result%s in %s", r->nobjs,
               r->nobjs == 1 ? "" : "s", r->nkrs, r->nkrs == 1 ? "" : "s", cycle);
        if (r->ncheckins)
            printf(", with %zu check-in%s", r->ncheckins, r->ncheckins == 1 ? "" : "s");
        printf(" (from %s).\n", path);
        import__print_rows(cli, p, r);
    }
    return OKR_EXIT_OK;
}

/* Creates the plan: as one import from an okrd of protocol 1.6 on, once it
 * is known to fit one (dry_run: only that check), else request by request. */
static int import__create(okr_cli_t *cli, const char *path, const okr_plan_t *p,
                          const okr_plan_world_t *w, int dry_run)
{
    okr_client_t *c = cli->client;
    int one = okr_client_server_speaks(c, OKR_PROTOCOL_IMPORT);
    if (dry_run && !one)
        return OKR_EXIT_OK;
    okr_import_request_t q = {0};
    if (one && okr_import_request_build(p, w->cycle_id, &q) != 0)
        return okr_kit_nomem(cli);
    const Okr__HelloResult *hello = okr_client_server_hello(c);
    char why[512];
    if (one && okr_import_request_fits(&q, hello->max_import_items, hello->max_frame, why,
                                       sizeof why) != 0) {
        okr_import_request_free(&q);
        return okr_cli_fail(cli, OKR_EXIT_USAGE, "TOO_LARGE",
                            "%s is too big for one import: %s; nothing was created", path, why);
    }
    if (dry_run) {
        okr_import_request_free(&q);
        return OKR_EXIT_OK;
    }
    okr_import_result_t r;
    int progress = !cli->json && isatty(STDERR_FILENO) &&
                   p->nobjs + p->nkrs + p->ncheckins >= IMPORT_PROGRESS_FROM;
    int rc =
        one ? okr_import_run_one(cli, p, &q, progress, &r) : okr_import_run(cli, p, progress, &r);
    if (rc == 0 || r.stopped)
        rc = import__report(cli, path, p, &r, w->cycle_name, rc);
    okr_import_result_free(&r);
    okr_import_request_free(&q);
    return rc;
}

/* ---------------------------------------------------------------- the command */

static int import__plan_and_create(okr_cli_t *cli, const char *path, const import_opts_t *o,
                                   const okr_csv_t *t)
{
    import_world_t iw = {0};
    okr_plan_t p = {0};
    int rc = world__load(cli, t, o->cycle, &iw);
    int built = rc ? -1 : okr_plan_build(t, &iw.w, &p);
    if (!rc && built < 0)
        rc = okr_kit_nomem(cli);
    if (rc) {
        okr_plan_free(&p);
        world__free(&iw);
        return rc;
    }
    if (p.warning && !cli->json)
        fprintf(stderr, "okr import: %s: %s\n", path, p.warning);
    const char *cycle = iw.w.cycle_name;
    if (built > 0) {
        rc = import__problems(cli, path, &p);
    } else {
        rc = import__create(cli, path, &p, &iw.w, o->dry_run);
        if (rc == 0 && o->dry_run)
            rc = import__dry_run(cli, path, &p, cycle);
    }
    okr_plan_free(&p);
    world__free(&iw);
    return rc;
}

int okr_cmd_import(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"cycle", required_argument, NULL, OPT_CYCLE},
                                             {"dry-run", no_argument, NULL, OPT_DRY_RUN},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "import";
    cli->usage = import_usage;
    optind = 0;
    import_opts_t o = {0};
    int rc = okr_kit_options(cli, argc, argv, "", longopts, import__opt, &o);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 1, 1, "FILE.csv");
    if (rc >= 0)
        return rc;
    const char *path = argv[optind];
    okr_csv_t t;
    if ((rc = import__read(cli, path, &t)) != 0)
        return rc;
    if ((rc = okr_cli_connect_lazy(cli)) == 0)
        rc = import__plan_and_create(cli, path, &o, &t);
    okr_csv_free(&t);
    return rc;
}
