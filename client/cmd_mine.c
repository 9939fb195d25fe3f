/* cmd_mine.c — okr mine: what the caller owns (objectives, key results,
 * open tasks), and the stale check-in reminder printed after other commands. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_out.h"
#include "okr_error.h"
#include "refs.h"
#include "render.h"
#include "validate.h"

enum { OPT_CYCLE = OKR_OPT_FIRST_COMMAND_OPT };

#define MINE_BAR_WIDTH      10
#define REMINDER_MAX_LISTED 5

static const char mine_usage[] =
    "Usage: okr mine [--cycle CYCLE]\n"
    "\n"
    "Shows what is yours: your objectives with their progress, your key results\n"
    "with their values and when they were last checked in (stale ones marked),\n"
    "and your open tasks with their due dates (overdue ones marked).\n"
    "\n"
    "Options:\n"
    "  --cycle CYCLE   only this cycle (default: every active cycle)\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr mine\n"
    "  okr mine --cycle 2026-Q1\n"
    "  okr mine --json\n";

static int64_t mine__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int mine__is_stale(const Okr__MineResult *res, uint64_t kr_id)
{
    for (size_t i = 0; i < res->n_stale; i++)
        if (res->stale[i]->id == kr_id)
            return 1;
    return 0;
}

/* ---------------------------------------------------------------- text output */

/* The tables here hold coloured bars, which okr_cli_table would sanitize
 * (ESC is a control character), so the columns are padded here instead. */

static void mine__pad(const char *s, size_t width)
{
    fputs(s, stdout);
    for (size_t w = okr_display_width(s); w < width; w++)
        fputc(' ', stdout);
}

/* Widest display width of the sanitized strings, capped. */
static size_t mine__width(char **cells, size_t n, size_t min)
{
    size_t width = min;
    for (size_t i = 0; i < n; i++) {
        size_t w = cells[i] ? okr_display_width(cells[i]) : 0;
        if (w > width)
            width = w;
    }
    return width;
}

static void mine__free_cells(char **cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
}

static void mine__objectives(const Okr__MineResult *res)
{
    printf("Objectives (%zu)\n", res->n_objectives);
    char **titles = calloc(res->n_objectives + 1, sizeof *titles);
    if (!titles)
        return;
    for (size_t i = 0; i < res->n_objectives; i++)
        titles[i] = okr_cli_sanitize(res->objectives[i]->title, 0);
    size_t width = mine__width(titles, res->n_objectives, 5);
    for (size_t i = 0; i < res->n_objectives; i++) {
        const Okr__Objective *o = res->objectives[i];
        char ref[32], bar[160], status[64];
        okr_ref_format(OKR_REF_OBJECTIVE, o->id, ref, sizeof ref);
        okr_render_bar(o->progress, MINE_BAR_WIDTH, o->status, bar, sizeof bar);
        okr_render_status(o->status, status, sizeof status);
        printf("  ");
        mine__pad(ref, 7);
        mine__pad(titles[i] ? titles[i] : "", width + 2);
        printf("%s  %s\n", bar, status);
    }
    mine__free_cells(titles, res->n_objectives);
}

static void mine__key_results(const Okr__MineResult *res, int64_t now)
{
    size_t n = res->n_key_results;
    printf("Key results (%zu)\n", n);
    char **titles = calloc(n + 1, sizeof *titles);
    char **values = calloc(n + 1, sizeof *values);
    if (!titles || !values) {
        free(titles);
        free(values);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const Okr__KeyResult *kr = res->key_results[i];
        char cur[96], target[96], both[200];
        titles[i] = okr_cli_sanitize(kr->title, 0);
        okr_render_value(kr, kr->current, cur, sizeof cur);
        if (kr->metric == OKR__METRIC__METRIC_BOOLEAN || kr->linked_objective_id) {
            snprintf(both, sizeof both, "%s", kr->linked_objective_id ? "linked" : cur);
        } else {
            okr_render_value(kr, kr->target, target, sizeof target);
            snprintf(both, sizeof both, "%s of %s", cur, target);
        }
        values[i] = okr_cli_sanitize(both, 0);
    }
    size_t tw = mine__width(titles, n, 5), vw = mine__width(values, n, 5);
    for (size_t i = 0; i < n; i++) {
        const Okr__KeyResult *kr = res->key_results[i];
        char ref[32], bar[160], ago[64];
        okr_ref_format(OKR_REF_KEY_RESULT, kr->id, ref, sizeof ref);
        okr_render_bar(kr->progress, MINE_BAR_WIDTH,
                       OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED, bar, sizeof bar);
        okr_render_ago(kr->last_checkin_at, now, ago, sizeof ago);
        printf("  ");
        mine__pad(ref, 7);
        mine__pad(titles[i] ? titles[i] : "", tw + 2);
        mine__pad(values[i] ? values[i] : "", vw + 2);
        printf("%s  %s%s%s\n", bar, kr->last_checkin_at ? "checked in " : "never checked in",
               kr->last_checkin_at ? ago : "",
               mine__is_stale(res, kr->id) ? "  STALE: check in" : "");
    }
    mine__free_cells(titles, n);
    mine__free_cells(values, n);
}

static size_t mine__tasks(const Okr__MineResult *res, int64_t now)
{
    size_t n = res->n_tasks, overdue = 0;
    printf("Open tasks (%zu)\n", n);
    char **titles = calloc(n + 1, sizeof *titles);
    if (!titles)
        return 0;
    for (size_t i = 0; i < n; i++)
        titles[i] = okr_cli_sanitize(res->tasks[i]->title, 0);
    size_t width = mine__width(titles, n, 5);
    for (size_t i = 0; i < n; i++) {
        const Okr__Task *t = res->tasks[i];
        char ref[32], kref[32], due[32];
        okr_ref_format(OKR_REF_TASK, t->id, ref, sizeof ref);
        okr_ref_format(OKR_REF_KEY_RESULT, t->key_result_id, kref, sizeof kref);
        okr_render_date(t->due_at, due, sizeof due);
        int late = t->due_at && t->due_at < now && t->state != OKR__TASK_STATE__TASK_STATE_DONE;
        overdue += late;
        printf("  ");
        mine__pad(ref, 7);
        mine__pad(t->state == OKR__TASK_STATE__TASK_STATE_DOING ? "doing" : "todo", 7);
        mine__pad(titles[i] ? titles[i] : "", width + 2);
        mine__pad(kref, 8);
        printf("due %s%s\n", due, late ? "  OVERDUE" : "");
    }
    mine__free_cells(titles, n);
    return overdue;
}

static void mine__print(const Okr__MineResult *res)
{
    int64_t now = mine__now_ms();
    if (res->n_objectives == 0 && res->n_key_results == 0 && res->n_tasks == 0) {
        printf("Nothing is yours yet in the active cycles. See the team's objectives with "
               "'okr obj list', or start one with 'okr obj add'.\n");
        return;
    }
    mine__objectives(res);
    printf("\n");
    mine__key_results(res, now);
    printf("\n");
    size_t overdue = mine__tasks(res, now);
    printf("\n");
    if (res->n_stale)
        printf("%zu key result%s without a check-in for %u days: okr checkin K VALUE\n",
               res->n_stale, res->n_stale == 1 ? "" : "s", (unsigned)res->stale_days);
    if (overdue)
        printf("%zu task%s overdue: okr task done T, or move it with okr task edit T --due DATE\n",
               overdue, overdue == 1 ? "" : "s");
    if (!res->n_stale && !overdue)
        printf("All your key results are checked in and no task is overdue.\n");
}

static json_t *mine__json(const Okr__MineResult *res)
{
    json_t *objectives = json_array(), *key_results = json_array(), *tasks = json_array(),
           *stale = json_array();
    for (size_t i = 0; objectives && i < res->n_objectives; i++)
        json_array_append_new(objectives, okr_json_objective(res->objectives[i]));
    for (size_t i = 0; key_results && i < res->n_key_results; i++)
        json_array_append_new(key_results, okr_json_key_result(res->key_results[i]));
    for (size_t i = 0; tasks && i < res->n_tasks; i++)
        json_array_append_new(tasks, okr_json_task(res->tasks[i]));
    for (size_t i = 0; stale && i < res->n_stale; i++)
        json_array_append_new(stale, json_integer((json_int_t)res->stale[i]->id));
    return json_pack("{s:o?, s:o?, s:o?, s:o?, s:I}", "objectives", objectives, "key_results",
                     key_results, "tasks", tasks, "stale", stale, "stale_days",
                     (json_int_t)res->stale_days);
}

/* ---------------------------------------------------------------- command */

int okr_cmd_mine(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"cycle", required_argument, NULL, OPT_CYCLE},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "mine";
    cli->usage = mine_usage;
    const char *cycle = NULL;
    int opt;
    while ((opt = okr_cli_getopt(cli, argc, argv, ":h", longopts)) != -1) {
        if (opt == 'h')
            return OKR_EXIT_OK;
        if (opt != OPT_CYCLE)
            return OKR_EXIT_USAGE;
        cycle = optarg;
    }
    if (optind < argc)
        return okr_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    int rc = okr_cli_connect_auth(cli);
    if (rc)
        return rc;
    Okr__MineRequest mr = OKR__MINE_REQUEST__INIT;
    if (cycle && (rc = okr_ref_cycle(cli, cycle, &mr.cycle_id)) != 0)
        return rc;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_MINE;
    req.mine = &mr;
    Okr__Response *resp;
    rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_MINE, &resp);
    if (rc)
        return rc;
    if (!resp->mine) {
        okr__response__free_unpacked(resp, NULL);
        return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL", "the server sent nothing");
    }
    if (cli->json)
        okr_cli_print_json(mine__json(resp->mine));
    else
        mine__print(resp->mine);
    okr__response__free_unpacked(resp, NULL);
    return OKR_EXIT_OK;
}

/* ---------------------------------------------------------------- the reminder */

void okr_cli_stale_reminder(okr_cli_t *cli)
{
    if (!cli->client || !cli->me || cli->json)
        return;
    /* mine shows the stale key results itself; after logout there is no one to remind. */
    if (cli->command && (strcmp(cli->command, "mine") == 0 || strcmp(cli->command, "logout") == 0))
        return;
    Okr__MineRequest mr = OKR__MINE_REQUEST__INIT;
    mr.stale_only = 1;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_MINE;
    req.mine = &mr;
    Okr__Response *resp;
    /* A reminder is a courtesy: any failure (an older server, a timeout)
     * is silent and never changes the command's exit status. */
    if (okr_client_call(cli->client, &req, &resp) != 0)
        return;
    const Okr__MineResult *res = resp->mine;
    if (resp->status != OKR__STATUS__STATUS_OK || resp->result_case != OKR__RESPONSE__RESULT_MINE ||
        !res || res->n_stale == 0) {
        okr__response__free_unpacked(resp, NULL);
        return;
    }
    char list[REMINDER_MAX_LISTED * 24 + 16] = "", first[32] = "";
    size_t used = 0;
    for (size_t i = 0; i < res->n_stale && i < REMINDER_MAX_LISTED; i++) {
        char ref[32];
        okr_ref_format(OKR_REF_KEY_RESULT, res->stale[i]->id, ref, sizeof ref);
        if (i == 0)
            snprintf(first, sizeof first, "%s", ref);
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", ref);
    }
    if (res->n_stale > REMINDER_MAX_LISTED)
        snprintf(list + used, sizeof list - used, ", …");
    fprintf(stderr,
            "Reminder: %zu of your key results %s had no check-in for %u days: %s — okr checkin "
            "%s VALUE\n",
            res->n_stale, res->n_stale == 1 ? "has" : "have", (unsigned)res->stale_days, list,
            first);
    okr__response__free_unpacked(resp, NULL);
}
