/* cmd_cycle.c — okr cycle add, list, show, edit, activate, close and
 * start-from. Changing cycles needs an admin; anyone may look. */
#include "cmd_kit.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"

enum {
    OPT_START = OKR_OPT_FIRST_COMMAND_OPT,
    OPT_END,
    OPT_NAME,
    OPT_ALL,
    OPT_COPY,
    OPT_COPY_UNFINISHED,
};

static const char cycle_usage[] =
    "Usage: okr cycle COMMAND [ARGS]\n"
    "\n"
    "Manages OKR cycles: a named period (usually a quarter) that objectives\n"
    "belong to. A cycle goes planning -> active -> closed; closing it freezes\n"
    "the scores. Changing cycles needs an admin. Cycles are named by their\n"
    "name (or #ID).\n"
    "\n"
    "Commands:\n"
    "  add NAME --start DATE --end DATE      create a cycle (in planning)\n"
    "  list [--all]                          list cycles (--all: also closed)\n"
    "  show CYCLE                            dates, state and its objectives\n"
    "  edit CYCLE [--name N] [--start D] [--end D]\n"
    "                                        rename a cycle or move its dates\n"
    "  activate CYCLE                        start a cycle (planning -> active)\n"
    "  close CYCLE                           close it: scores become final\n"
    "  start-from PREV NAME --start D --end D [--copy O1,O2 | --copy-unfinished]\n"
    "                                        a new cycle, objectives carried over\n"
    "\n"
    "Dates are YYYY-MM-DD in local time, 'today', or '+7d' (days from today).\n"
    "\n"
    "Examples:\n"
    "  okr cycle add 2026-Q1 --start 2026-01-01 --end 2026-03-31\n"
    "  okr cycle activate 2026-Q1\n"
    "  okr cycle close 2026-Q1\n"
    "  okr cycle start-from 2026-Q1 2026-Q2 --start 2026-04-01 --end 2026-06-30 \\\n"
    "      --copy-unfinished\n";

static const char add_usage[] = "Usage: okr cycle add NAME --start DATE --end DATE\n"
                                "\n"
                                "Creates a cycle in the planning state (admins only). The cycle "
                                "covers\n"
                                "the start date from midnight to the end of the end date.\n"
                                "\n"
                                "Options:\n"
                                "  --start DATE   first day: YYYY-MM-DD, today or +Nd\n"
                                "  --end DATE     last day\n"
                                "\n"
                                "Examples:\n"
                                "  okr cycle add 2026-Q1 --start 2026-01-01 --end 2026-03-31\n"
                                "  okr cycle add sprint-7 --start today --end +14d\n";

static const char list_usage[] = "Usage: okr cycle list [--all]\n"
                                 "\n"
                                 "Lists cycles: name, state and dates.\n"
                                 "\n"
                                 "Options:\n"
                                 "  --all   include closed cycles\n"
                                 "\n"
                                 "Examples:\n"
                                 "  okr cycle list\n"
                                 "  okr cycle list --all --json\n";

static const char show_usage[] = "Usage: okr cycle show CYCLE\n"
                                 "\n"
                                 "Shows a cycle (state, dates, how much of it has gone by) and "
                                 "its\n"
                                 "objectives in alignment order; for a closed cycle, with their "
                                 "scores.\n"
                                 "\n"
                                 "Examples:\n"
                                 "  okr cycle show 2026-Q1\n"
                                 "  okr cycle show 2026-Q1 --json\n";

static const char edit_usage[] = "Usage: okr cycle edit CYCLE [--name NAME] [--start DATE] [--end "
                                 "DATE]\n"
                                 "\n"
                                 "Changes a cycle that is not closed (admins only). Only what is "
                                 "given\n"
                                 "changes.\n"
                                 "\n"
                                 "Options:\n"
                                 "  --name NAME    rename it\n"
                                 "  --start DATE   move its first day\n"
                                 "  --end DATE     move its last day\n"
                                 "\n"
                                 "Examples:\n"
                                 "  okr cycle edit 2026-Q1 --end 2026-04-07\n"
                                 "  okr cycle edit Q1 --name 2026-Q1\n";

static const char activate_usage[] = "Usage: okr cycle activate CYCLE\n"
                                     "\n"
                                     "Starts a cycle: planning -> active (admins only). Commands "
                                     "without --cycle\n"
                                     "use the active cycle.\n"
                                     "\n"
                                     "Example:\n"
                                     "  okr cycle activate 2026-Q1\n";

static const char close_usage[] = "Usage: okr cycle close CYCLE\n"
                                  "\n"
                                  "Closes a cycle (admins only): every objective gets its final "
                                  "score (its\n"
                                  "progress, 0.0 to 1.0) and no more check-ins or changes are "
                                  "taken. This\n"
                                  "cannot be undone. Prints the scores afterwards; owners may "
                                  "still\n"
                                  "override a score with a note: okr score O12 0.6 -m NOTE.\n"
                                  "\n"
                                  "Example:\n"
                                  "  okr cycle close 2026-Q1\n";

static const char start_from_usage[] =
    "Usage: okr cycle start-from PREV NAME --start DATE --end DATE\n"
    "                            [--copy O1,O2,... | --copy-unfinished]\n"
    "\n"
    "Creates the cycle NAME and copies objectives of the cycle PREV into it\n"
    "(admins only), with their key results reset to their start values.\n"
    "\n"
    "Options:\n"
    "  --start DATE         first day of the new cycle\n"
    "  --end DATE           last day of the new cycle\n"
    "  --copy O1,O2,...     copy these objectives\n"
    "  --copy-unfinished    copy every objective of PREV not yet at 100%\n"
    "\n"
    "Examples:\n"
    "  okr cycle start-from 2026-Q1 2026-Q2 --start 2026-04-01 --end 2026-06-30 \\\n"
    "      --copy-unfinished\n"
    "  okr cycle start-from 2026-Q1 2026-Q2 --start 2026-04-01 --end 2026-06-30 \\\n"
    "      --copy O3,O7\n";

/* ---------------------------------------------------------------- output */

static json_t *cycle__json_obj(const void *o)
{
    return okr_json_objective(o);
}

static json_t *cycle__json_cycle(const void *c)
{
    return okr_json_cycle(c);
}

/* "2026-01-01 .. 2026-03-31" */
static void cycle__dates(const Okr__Cycle *c, char *buf, size_t len)
{
    char a[32], b[32];
    snprintf(buf, len, "%s .. %s", okr_render_date(c->start_at, a, sizeof a),
             okr_render_date(c->end_at, b, sizeof b));
}

static int cycle__result(okr_cli_t *cli, Okr__Response *resp, const char *verb, const char *tail)
{
    if (!resp->cycle) {
        okr__response__free_unpacked(resp, NULL);
        return okr_kit_no_result(cli, "cycle");
    }
    if (cli->json) {
        okr_cli_print_json(okr_json_cycle(resp->cycle));
    } else {
        char dates[80];
        cycle__dates(resp->cycle, dates, sizeof dates);
        printf("%s cycle ", verb);
        okr_kit_puts(resp->cycle->name);
        printf(" (%s, %s).%s", okr_kit_cycle_state_name(resp->cycle->state), dates, tail);
    }
    okr__response__free_unpacked(resp, NULL);
    return OKR_EXIT_OK;
}

/* Sends a CycleUpdate with c (as read, then changed). */
static int cycle__update(okr_cli_t *cli, Okr__Cycle *c, const char *verb, const char *tail)
{
    Okr__CycleUpdateRequest u = OKR__CYCLE_UPDATE_REQUEST__INIT;
    u.cycle = c;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CYCLE_UPDATE;
    req.cycle_update = &u;
    Okr__Response *resp;
    int rc = okr_kit_call_change(cli, &req, OKR__RESPONSE__RESULT_CYCLE, &resp,
                                 "Someone else changed the cycle (or the name is taken): "
                                 "see 'okr cycle show', then run the command again.");
    return rc ? rc : cycle__result(cli, resp, verb, tail);
}

/* ---------------------------------------------------------------- options */

typedef struct cycle_opts {
    const char *start, *end, *name, *copy;
    int all, copy_unfinished;
} cycle_opts_t;

static int cycle__opt(okr_cli_t *cli, int opt, void *arg)
{
    cycle_opts_t *o = arg;
    switch (opt) {
    case OPT_START:
        o->start = optarg;
        return -1;
    case OPT_END:
        o->end = optarg;
        return -1;
    case OPT_NAME:
        o->name = optarg;
        return -1;
    case OPT_ALL:
        o->all = 1;
        return -1;
    case OPT_COPY:
        o->copy = optarg;
        return -1;
    case OPT_COPY_UNFINISHED:
        o->copy_unfinished = 1;
        return -1;
    }
    (void)cli;
    return OKR_EXIT_USAGE;
}

/* --start and --end into ms (the end is the last millisecond of its day);
 * either may be absent when !required. -1 to go on, else an exit code. */
static int cycle__span(okr_cli_t *cli, const cycle_opts_t *o, int required, int64_t *start,
                       int64_t *end)
{
    if (required && (!o->start || !o->end))
        return okr_cli_usage_error(cli, "give the cycle's dates: --start DATE --end DATE");
    int rc;
    if (o->start && (rc = okr_kit_date_opt(cli, "--start", o->start, 0, start)) >= 0)
        return rc;
    if (o->end && (rc = okr_kit_date_opt(cli, "--end", o->end, 1, end)) >= 0)
        return rc;
    return -1;
}

/* ---------------------------------------------------------------- add, list */

static int cycle__add(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"start", required_argument, NULL, OPT_START},
                                             {"end", required_argument, NULL, OPT_END},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "cycle add";
    cli->usage = add_usage;
    cycle_opts_t o = {0};
    Okr__CycleCreateRequest c = OKR__CYCLE_CREATE_REQUEST__INIT;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, cycle__opt, &o);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 1, 1, "NAME (e.g. 2026-Q1)");
    if (rc < 0)
        rc = cycle__span(cli, &o, 1, &c.start_at, &c.end_at);
    if (rc >= 0)
        return rc;
    if (c.end_at < c.start_at)
        return okr_cli_usage_error(cli, "--end is before --start");
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    c.name = argv[optind];
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CYCLE_CREATE;
    req.cycle_create = &c;
    Okr__Response *resp;
    rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_CYCLE, &resp);
    if (rc)
        return rc;
    char tail[512], *safe = okr_cli_sanitize(c.name, 0);
    snprintf(tail, sizeof tail, "\nStart it when ready: okr cycle activate %s\n",
             safe ? safe : "NAME");
    free(safe);
    return cycle__result(cli, resp, "Created", tail);
}

static int cycle__fetch(okr_cli_t *cli, int include_closed, okr_kit_pages_t *out)
{
    Okr__Page page = OKR__PAGE__INIT;
    Okr__CycleListRequest lr = OKR__CYCLE_LIST_REQUEST__INIT;
    lr.page = &page;
    lr.include_closed = include_closed;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CYCLE_LIST;
    req.cycle_list = &lr;
    return okr_kit_fetch_all(cli, &req, &page, OKR__RESPONSE__RESULT_CYCLE_LIST, out);
}

static int cycle__list(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"all", no_argument, NULL, OPT_ALL},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cycle_opts_t o = {0};
    int rc = okr_kit_begin(cli, "cycle list", list_usage, argc, argv, "", longopts, cycle__opt, &o,
                           0, 0, "");
    if (rc >= 0)
        return rc;
    okr_kit_pages_t cycles;
    rc = cycle__fetch(cli, o.all, &cycles);
    if (rc)
        return rc;
    if (cli->json) {
        json_t *a = okr_kit_json_array(&cycles, cycle__json_cycle);
        if (!a)
            rc = okr_kit_nomem(cli);
        else
            okr_cli_print_json(json_pack("{s:o}", "cycles", a));
    } else if (cycles.n == 0) {
        printf("No cycles%s. An admin can create one: okr cycle add 2026-Q1 --start 2026-01-01 "
               "--end 2026-03-31\n",
               o.all ? "" : " (add --all to include closed ones)");
    } else {
        static const char *const header[] = {"NAME", "STATE", "START", "END", "ELAPSED"};
        okr_cli_table_t t;
        if (okr_cli_table_init(&t, 5, header) != 0) {
            okr_kit_pages_free(&cycles);
            return okr_kit_nomem(cli);
        }
        int64_t now = okr_wall_ms();
        for (size_t i = 0; rc == 0 && i < cycles.n; i++) {
            const Okr__Cycle *c = cycles.items[i];
            char start[32], end[32], elapsed[16], name[256];
            okr_render_truncate(c->name, OKR_KIT_TITLE_WIDTH, name, sizeof name);
            if (c->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED)
                snprintf(elapsed, sizeof elapsed, "-");
            else
                snprintf(elapsed, sizeof elapsed, "%d%%",
                         okr_render_pct(okr_expected_progress(c->start_at, c->end_at, now)));
            const char *row[] = {name, okr_kit_cycle_state_name(c->state),
                                 okr_render_date(c->start_at, start, sizeof start),
                                 okr_render_date(c->end_at, end, sizeof end), elapsed};
            if (okr_cli_table_add(&t, row) != 0)
                rc = okr_kit_nomem(cli);
        }
        if (!rc)
            okr_cli_table_print(&t, stdout);
        okr_cli_table_free(&t);
    }
    okr_kit_pages_free(&cycles);
    return rc;
}

/* ---------------------------------------------------------------- show */

/* The cycle's objectives (every one, archived excluded) for show and close. */
static int cycle__objectives(okr_cli_t *cli, uint64_t cycle_id, okr_kit_pages_t *out)
{
    Okr__ObjectiveListRequest f = OKR__OBJECTIVE_LIST_REQUEST__INIT;
    f.cycle_id = cycle_id;
    return okr_kit_list_objectives(cli, &f, out);
}

static void cycle__describe(const Okr__Cycle *c)
{
    char dates[80], buf[64];
    printf("Cycle ");
    okr_kit_puts(c->name);
    printf("\n");
    okr_kit_field("state", okr_kit_cycle_state_name(c->state));
    cycle__dates(c, dates, sizeof dates);
    okr_kit_field("dates", dates);
    if (c->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED) {
        okr_kit_field("closed", okr_render_date(c->closed_at, buf, sizeof buf));
    } else {
        snprintf(buf, sizeof buf, "%d%% of the cycle",
                 okr_render_pct(okr_expected_progress(c->start_at, c->end_at, okr_wall_ms())));
        okr_kit_field("elapsed", buf);
    }
}

/* Prints the cycle and its objectives: JSON or text. */
static int cycle__print_with_objectives(okr_cli_t *cli, const Okr__Cycle *c, int has_scored,
                                        uint32_t scored)
{
    okr_kit_pages_t objs;
    int rc = cycle__objectives(cli, c->id, &objs);
    if (rc)
        return rc;
    int closed = c->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED;
    if (cli->json) {
        json_t *a = okr_kit_json_array(&objs, cycle__json_obj);
        json_t *j = a ? json_pack("{s:o, s:o}", "cycle", okr_json_cycle(c), "objectives", a) : NULL;
        if (j && has_scored)
            json_object_set_new(j, "objectives_scored", json_integer(scored));
        if (!j)
            rc = okr_kit_nomem(cli);
        else
            okr_cli_print_json(j);
    } else {
        cycle__describe(c);
        printf("\n");
        if (objs.n == 0)
            printf("No objectives in this cycle. Add one: okr obj add \"TITLE\" --cycle NAME\n");
        else
            rc = okr_kit_print_objectives(cli, (Okr__Objective *const *)objs.items, objs.n, 1,
                                          closed);
        if (closed && objs.n && !rc)
            printf("\nScores: red < 0.4, yellow < 0.7, green >= 0.7 (committed objectives are "
                   "expected\nat 1.0, aspirational ones at about 0.7). See: okr score --help\n");
    }
    okr_kit_pages_free(&objs);
    return rc;
}

static int cycle__show(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    int rc = okr_kit_begin(cli, "cycle show", show_usage, argc, argv, "", longopts, NULL, NULL, 1,
                           1, "CYCLE");
    if (rc >= 0)
        return rc;
    Okr__Response *resp;
    rc = okr_kit_get_cycle(cli, argv[optind], &resp);
    if (rc)
        return rc;
    rc = cycle__print_with_objectives(cli, resp->cycle, 0, 0);
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* ---------------------------------------------------------------- edit, activate */

static int cycle__edit(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"name", required_argument, NULL, OPT_NAME},
                                             {"start", required_argument, NULL, OPT_START},
                                             {"end", required_argument, NULL, OPT_END},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "cycle edit";
    cli->usage = edit_usage;
    cycle_opts_t o = {0};
    int64_t start = 0, end = 0;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, cycle__opt, &o);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 1, 1, "CYCLE");
    if (rc < 0)
        rc = cycle__span(cli, &o, 0, &start, &end);
    if (rc >= 0)
        return rc;
    if (!o.name && !o.start && !o.end)
        return okr_cli_usage_error(cli, "nothing to change: give --name, --start or --end");
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    Okr__Response *resp;
    rc = okr_kit_get_cycle(cli, argv[optind], &resp);
    if (rc)
        return rc;
    Okr__Cycle *c = resp->cycle;
    char *old_name = c->name;
    if (o.name)
        c->name = (char *)o.name;
    if (o.start)
        c->start_at = start;
    if (o.end)
        c->end_at = end;
    if (c->end_at < c->start_at) {
        c->name = old_name;
        okr__response__free_unpacked(resp, NULL);
        return okr_cli_usage_error(cli, "the cycle would end before it starts");
    }
    rc = cycle__update(cli, c, "Updated", "\n");
    c->name = old_name;
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

static int cycle__activate(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    int rc = okr_kit_begin(cli, "cycle activate", activate_usage, argc, argv, "", longopts, NULL,
                           NULL, 1, 1, "CYCLE");
    if (rc >= 0)
        return rc;
    Okr__Response *resp;
    rc = okr_kit_get_cycle(cli, argv[optind], &resp);
    if (rc)
        return rc;
    Okr__Cycle *c = resp->cycle;
    if (c->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED) {
        okr__response__free_unpacked(resp, NULL);
        return okr_cli_fail(cli, OKR_EXIT_REFUSED, "BAD_REQUEST",
                            "the cycle is closed and cannot be activated again; start a new one: "
                            "okr cycle start-from");
    }
    if (c->state == OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE && !cli->json) {
        printf("Cycle ");
        okr_kit_puts(c->name);
        printf(" is already active.\n");
        okr__response__free_unpacked(resp, NULL);
        return OKR_EXIT_OK;
    }
    c->state = OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE;
    rc = cycle__update(cli, c, "Activated", "\n");
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* ---------------------------------------------------------------- close */

static int cycle__close(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    int rc = okr_kit_begin(cli, "cycle close", close_usage, argc, argv, "", longopts, NULL, NULL, 1,
                           1, "CYCLE");
    if (rc >= 0)
        return rc;
    Okr__Response *got;
    rc = okr_kit_get_cycle(cli, argv[optind], &got);
    if (rc)
        return rc;
    if (got->cycle->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED) {
        okr__response__free_unpacked(got, NULL);
        return okr_cli_fail(cli, OKR_EXIT_REFUSED, "BAD_REQUEST",
                            "the cycle is already closed — its scores: okr cycle show %s",
                            argv[optind]);
    }
    Okr__CycleCloseRequest cr = OKR__CYCLE_CLOSE_REQUEST__INIT;
    cr.id = got->cycle->id;
    cr.version = got->cycle->version;
    okr__response__free_unpacked(got, NULL);
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CYCLE_CLOSE;
    req.cycle_close = &cr;
    Okr__Response *resp;
    rc = okr_kit_call_change(cli, &req, OKR__RESPONSE__RESULT_CYCLE_CLOSE, &resp,
                             "Someone else changed the cycle meanwhile: run the command again.");
    if (rc)
        return rc;
    const Okr__CycleCloseResult *res = resp->cycle_close;
    if (!res->cycle) {
        okr__response__free_unpacked(resp, NULL);
        return okr_kit_no_result(cli, "cycle");
    }
    if (!cli->json) {
        printf("Closed cycle ");
        okr_kit_puts(res->cycle->name);
        printf(": %u objective%s scored.\n\n", res->objectives_scored,
               res->objectives_scored == 1 ? "" : "s");
    }
    rc = cycle__print_with_objectives(cli, res->cycle, 1, res->objectives_scored);
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* ---------------------------------------------------------------- start-from */

/* "O1,O2,K3" -> ids (objectives only). -1 to go on, else an exit code. */
static int cycle__parse_copy(okr_cli_t *cli, const char *list, uint64_t **ids, size_t *n)
{
    char *copy = strdup(list);
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    *ids = calloc(cap, sizeof **ids);
    *n = 0;
    if (!copy || !*ids) {
        free(copy);
        return okr_kit_nomem(cli);
    }
    int rc = -1;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc < 0; tok = strtok_r(NULL, ",", &save))
        if (tok[0] && (rc = okr_kit_ref(cli, tok, OKR_REF_OBJECTIVE, &(*ids)[*n])) < 0)
            (*n)++;
    free(copy);
    if (rc < 0 && *n == 0)
        rc = okr_cli_usage_error(cli, "--copy takes objective ids like O3,O7");
    return rc;
}

/* The objectives of PREV whose progress is below 1 (archived ones left out). */
static int cycle__unfinished(okr_cli_t *cli, uint64_t prev, uint64_t **ids, size_t *n)
{
    okr_kit_pages_t objs;
    int rc = cycle__objectives(cli, prev, &objs);
    if (rc)
        return rc;
    *ids = calloc(objs.n ? objs.n : 1, sizeof **ids);
    *n = 0;
    if (!*ids) {
        okr_kit_pages_free(&objs);
        return okr_kit_nomem(cli);
    }
    for (size_t i = 0; i < objs.n; i++) {
        const Okr__Objective *o = objs.items[i];
        if (o->progress < 1.0 && o->state != OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED)
            (*ids)[(*n)++] = o->id;
    }
    okr_kit_pages_free(&objs);
    return 0;
}

static int cycle__start_from(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"start", required_argument, NULL, OPT_START},
        {"end", required_argument, NULL, OPT_END},
        {"copy", required_argument, NULL, OPT_COPY},
        {"copy-unfinished", no_argument, NULL, OPT_COPY_UNFINISHED},
        OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "cycle start-from";
    cli->usage = start_from_usage;
    cycle_opts_t o = {0};
    Okr__CycleStartFromRequest sf = OKR__CYCLE_START_FROM_REQUEST__INIT;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, cycle__opt, &o);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 2, 2, "PREV and NAME (e.g. 2026-Q1 2026-Q2)");
    if (rc < 0)
        rc = cycle__span(cli, &o, 1, &sf.start_at, &sf.end_at);
    if (rc >= 0)
        return rc;
    if (o.copy && o.copy_unfinished)
        return okr_cli_usage_error(cli, "give --copy or --copy-unfinished, not both");
    if (sf.end_at < sf.start_at)
        return okr_cli_usage_error(cli, "--end is before --start");
    uint64_t *ids = NULL;
    size_t n = 0;
    if (o.copy && (rc = cycle__parse_copy(cli, o.copy, &ids, &n)) >= 0) {
        free(ids);
        return rc;
    }
    rc = okr_cli_connect_lazy(cli);
    if (!rc)
        rc = okr_ref_cycle(cli, argv[optind], &sf.from_cycle_id);
    if (!rc && o.copy_unfinished)
        rc = cycle__unfinished(cli, sf.from_cycle_id, &ids, &n);
    if (rc) {
        free(ids);
        return rc;
    }
    sf.name = argv[optind + 1];
    sf.objective_ids = ids;
    sf.n_objective_ids = n;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CYCLE_START_FROM;
    req.cycle_start_from = &sf;
    Okr__Response *resp;
    rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_CYCLE_START_FROM, &resp);
    free(ids);
    if (rc)
        return rc;
    const Okr__CycleStartFromResult *res = resp->cycle_start_from;
    if (!res->cycle) {
        okr__response__free_unpacked(resp, NULL);
        return okr_kit_no_result(cli, "cycle");
    }
    if (cli->json) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < res->n_objectives; i++)
            json_array_append_new(a, okr_json_objective(res->objectives[i]));
        json_t *j =
            a ? json_pack("{s:o, s:o}", "cycle", okr_json_cycle(res->cycle), "objectives", a)
              : NULL;
        if (!j)
            rc = okr_kit_nomem(cli);
        else
            okr_cli_print_json(j);
    } else {
        char dates[80];
        cycle__dates(res->cycle, dates, sizeof dates);
        printf("Started cycle ");
        okr_kit_puts(res->cycle->name);
        printf(" (%s, %s) with %zu objective%s copied from ",
               okr_kit_cycle_state_name(res->cycle->state), dates, res->n_objectives,
               res->n_objectives == 1 ? "" : "s");
        okr_kit_puts(argv[optind]);
        fputs(res->n_objectives ? ":\n\n" : ".\n", stdout);
        if (res->n_objectives)
            rc = okr_kit_print_objectives(cli, res->objectives, res->n_objectives, 1, 0);
        if (!rc && res->cycle->state == OKR__CYCLE_STATE__CYCLE_STATE_PLANNING) {
            printf("\nStart it when ready: okr cycle activate ");
            okr_kit_puts(res->cycle->name);
            printf("\n");
        }
    }
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* ---------------------------------------------------------------- dispatch */

int okr_cmd_cycle(okr_cli_t *cli, int argc, char **argv)
{
    static const okr_kit_sub_t subs[] = {
        {"add", cycle__add},
        {"list", cycle__list},
        {"show", cycle__show},
        {"edit", cycle__edit},
        {"activate", cycle__activate},
        {"close", cycle__close},
        {"start-from", cycle__start_from},
    };
    return okr_kit_dispatch(cli, argc, argv, "cycle", cycle_usage, subs,
                            sizeof subs / sizeof subs[0]);
}
