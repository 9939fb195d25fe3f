/* cmd_mine.c — okr mine: what the caller owns (objectives, key results,
 * open tasks), the comments and kudos given to them lately (protocol 1.4),
 * and the stale check-in reminder printed after other commands. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_kit.h"
#include "json_out.h"
#include "okr_error.h"
#include "refs.h"
#include "render.h"

enum { OPT_CYCLE = OKR_OPT_FIRST_COMMAND_OPT, OPT_SINCE, OPT_NO_FEEDBACK };

#define MINE_BAR_WIDTH      OKR_KIT_BAR_WIDTH
#define MINE_TITLE_WIDTH    OKR_KIT_TITLE_WIDTH
#define MINE_BODY_WIDTH     60
#define MINE_SINCE_DEFAULT  "7d"
#define REMINDER_MAX_LISTED 5

static const char mine_usage[] =
    "Usage: okr mine [--cycle CYCLE] [--since WHEN | --no-feedback]\n"
    "\n"
    "Shows what is yours: your objectives with their progress, your key results\n"
    "with their values and when they were last checked in (stale ones marked),\n"
    "your open tasks with their due dates (overdue ones marked), and the\n"
    "feedback given to you: kudos to you, and comments and kudos by others on\n"
    "your objectives and key results, on every key result of your objectives\n"
    "(whoever owns it), and on those of the teams you lead, newest first (at\n"
    "most 50).\n"
    "\n"
    "Options:\n"
    "  --cycle CYCLE   only this cycle (default: every active cycle)\n"
    "  --since WHEN    feedback since then: 7d (days ago, the default), 2w,\n"
    "                  36h, a date like 2026-03-02, today or yesterday\n"
    "  --no-feedback   no feedback section\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr mine\n"
    "  okr mine --cycle 2026-Q1 --since 2w\n"
    "  okr mine --json\n";

typedef struct mine_opts {
    const char *cycle;
    const char *since_text; /* NULL: no feedback */
    int64_t since_ms;
    int feedback; /* options: -1 after --no-feedback; then 1: asked, and the server speaks 1.4 */
    uint64_t me;
} mine_opts_t;

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

/* Tables hold plain text (okr_cli_table turns ESC into '?'); colours are
 * given per cell to okr_render_table_print: sgr[row] for the columns
 * col_a and col_b. */
typedef struct mine_colors {
    const char **sgr;
    size_t col_a, col_b;
} mine_colors_t;

static const char *mine__color(void *arg, size_t row, size_t col)
{
    const mine_colors_t *c = arg;
    if (row == 0 || (col != c->col_a && col != c->col_b))
        return NULL;
    return c->sgr[row];
}

#define MINE_RED "31"

static int mine__objectives(okr_cli_t *cli, const Okr__MineResult *res)
{
    static const char *const header[] = {"ID", "OBJECTIVE", "PROGRESS", "STATUS"};
    size_t n = res->n_objectives;
    okr_cli_table_t t;
    const char **sgr = calloc(n + 1, sizeof *sgr);
    if (!sgr || okr_cli_table_init(&t, 4, header) != 0) {
        free(sgr);
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
    }
    int rc = OKR_EXIT_OK;
    for (size_t i = 0; rc == OKR_EXIT_OK && i < n; i++) {
        const Okr__Objective *o = res->objectives[i];
        char ref[32], title[512], bar[160];
        okr_ref_format(OKR_REF_OBJECTIVE, o->id, ref, sizeof ref);
        okr_render_truncate(o->title, MINE_TITLE_WIDTH, title, sizeof title);
        okr_render_bar(o->progress, MINE_BAR_WIDTH,
                       OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED, bar, sizeof bar);
        const char *row[] = {ref, title, bar, okr_status_name(o->status)};
        sgr[i + 1] = okr_render_status_sgr(o->status);
        if (okr_cli_table_add(&t, row) != 0)
            rc = okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
    }
    if (rc == OKR_EXIT_OK) {
        mine_colors_t colors = {sgr, 2, 3};
        okr_render_table_print(&t, stdout, mine__color, &colors);
    }
    okr_cli_table_free(&t);
    free(sgr);
    return rc;
}

static int mine__key_results(okr_cli_t *cli, const Okr__MineResult *res, int64_t now)
{
    static const char *const header[] = {"ID",       "KEY RESULT", "CURRENT \u2192 TARGET",
                                         "PROGRESS", "CONF",       "LAST CHECK-IN"};
    size_t n = res->n_key_results;
    okr_cli_table_t t;
    const char **sgr = calloc(n + 1, sizeof *sgr);
    if (!sgr || okr_cli_table_init(&t, 6, header) != 0) {
        free(sgr);
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
    }
    int rc = OKR_EXIT_OK;
    for (size_t i = 0; rc == OKR_EXIT_OK && i < n; i++) {
        const Okr__KeyResult *kr = res->key_results[i];
        char ref[32], title[512], figures[300], bar[160], conf[16], ago[64], last[96];
        okr_ref_format(OKR_REF_KEY_RESULT, kr->id, ref, sizeof ref);
        okr_render_truncate(kr->title, MINE_TITLE_WIDTH, title, sizeof title);
        okr_kit_figures(kr, figures, sizeof figures);
        okr_render_bar(kr->progress, MINE_BAR_WIDTH,
                       OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED, bar, sizeof bar);
        if (kr->has_confidence)
            snprintf(conf, sizeof conf, "%u/10", (unsigned)kr->confidence);
        else
            snprintf(conf, sizeof conf, "-");
        int stale = mine__is_stale(res, kr->id);
        if (kr->linked_objective_id)
            snprintf(last, sizeof last, "-");
        else
            snprintf(last, sizeof last, "%s%s",
                     okr_render_ago(kr->last_checkin_at, now, ago, sizeof ago),
                     stale ? " — stale" : "");
        const char *row[] = {ref, title, figures, bar, conf, last};
        sgr[i + 1] = stale ? MINE_RED : NULL;
        if (okr_cli_table_add(&t, row) != 0)
            rc = okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
    }
    if (rc == OKR_EXIT_OK) {
        mine_colors_t colors = {sgr, 5, 5};
        okr_render_table_print(&t, stdout, mine__color, &colors);
    }
    okr_cli_table_free(&t);
    free(sgr);
    return rc;
}

static int mine__tasks(okr_cli_t *cli, const Okr__MineResult *res, int64_t now, size_t *overdue)
{
    static const char *const header[] = {"ID", "STATE", "TASK", "DUE", "KR"};
    size_t n = res->n_tasks;
    okr_cli_table_t t;
    const char **sgr = calloc(n + 1, sizeof *sgr);
    if (!sgr || okr_cli_table_init(&t, 5, header) != 0) {
        free(sgr);
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
    }
    int rc = OKR_EXIT_OK;
    *overdue = 0;
    for (size_t i = 0; rc == OKR_EXIT_OK && i < n; i++) {
        const Okr__Task *task = res->tasks[i];
        char ref[32], kref[32], title[512], date[32], due[64];
        okr_ref_format(OKR_REF_TASK, task->id, ref, sizeof ref);
        okr_ref_format(OKR_REF_KEY_RESULT, task->key_result_id, kref, sizeof kref);
        okr_render_truncate(task->title, MINE_TITLE_WIDTH, title, sizeof title);
        okr_render_date(task->due_at, date, sizeof date);
        int late =
            task->due_at && task->due_at < now && task->state != OKR__TASK_STATE__TASK_STATE_DONE;
        *overdue += (size_t)late;
        snprintf(due, sizeof due, "%s%s", date, late ? " — overdue" : "");
        const char *row[] = {ref,
                             task->state == OKR__TASK_STATE__TASK_STATE_DOING ? "doing" : "todo",
                             title, due, kref};
        sgr[i + 1] = late ? MINE_RED : NULL;
        if (okr_cli_table_add(&t, row) != 0)
            rc = okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
    }
    if (rc == OKR_EXIT_OK) {
        mine_colors_t colors = {sgr, 3, 3};
        okr_render_table_print(&t, stdout, mine__color, &colors);
    }
    okr_cli_table_free(&t);
    free(sgr);
    return rc;
}

static void mine__feedback(okr_cli_t *cli, const Okr__MineResult *res, const mine_opts_t *o)
{
    char date[64];
    okr_render_date(o->since_ms, date, sizeof date);
    if (!res->n_feedback) {
        printf("No comments or kudos for you since %s (", date);
        okr_kit_puts(o->since_text);
        printf(").\n");
        return;
    }
    printf("Feedback since %s (", date);
    okr_kit_puts(o->since_text);
    printf("):\n");
    for (size_t i = 0; i < res->n_feedback; i++)
        okr_kit_comment_line(cli, res->feedback[i], o->me, MINE_BODY_WIDTH);
}

static int mine__print(okr_cli_t *cli, const Okr__MineResult *res, const mine_opts_t *o)
{
    int64_t now = mine__now_ms();
    if (res->n_objectives == 0 && res->n_key_results == 0 && res->n_tasks == 0) {
        printf("Nothing is yours yet in the active cycles. See your team's objectives with "
               "'okr obj list', or start one with 'okr obj add'.\n");
        if (o->feedback) {
            printf("\n");
            mine__feedback(cli, res, o);
        }
        return OKR_EXIT_OK;
    }
    int rc = OKR_EXIT_OK;
    size_t overdue = 0;
    if (res->n_objectives) {
        rc = mine__objectives(cli, res);
        printf("\n");
    }
    if (rc == OKR_EXIT_OK && res->n_key_results) {
        rc = mine__key_results(cli, res, now);
        printf("\n");
    }
    if (rc == OKR_EXIT_OK && res->n_tasks) {
        rc = mine__tasks(cli, res, now, &overdue);
        printf("\n");
    }
    if (rc)
        return rc;
    if (o->feedback) {
        mine__feedback(cli, res, o);
        printf("\n");
    }
    printf("%zu objective%s, %zu key result%s, %zu open task%s.", res->n_objectives,
           res->n_objectives == 1 ? "" : "s", res->n_key_results,
           res->n_key_results == 1 ? "" : "s", res->n_tasks, res->n_tasks == 1 ? "" : "s");
    if (res->n_stale == 1) {
        char ref[32];
        printf(" 1 key result without a check-in for %u days: okr checkin %s VALUE.",
               (unsigned)res->stale_days,
               okr_ref_format(OKR_REF_KEY_RESULT, res->stale[0]->id, ref, sizeof ref));
    } else if (res->n_stale) {
        printf(" %zu key results without a check-in for %u days: okr checkin --all --stale.",
               res->n_stale, (unsigned)res->stale_days);
    }
    if (overdue)
        printf(" %zu task%s overdue: okr task done T, or okr task edit T --due DATE.", overdue,
               overdue == 1 ? "" : "s");
    if (!res->n_stale && !overdue)
        printf(" Everything is checked in and nothing is overdue.");
    if (o->feedback && res->n_feedback)
        printf(" %zu comment%s or kudos for you.", res->n_feedback,
               res->n_feedback == 1 ? "" : "s");
    printf("\n");
    return OKR_EXIT_OK;
}

static json_t *mine__json(okr_cli_t *cli, const Okr__MineResult *res, const mine_opts_t *o)
{
    json_t *objectives = json_array(), *key_results = json_array(), *tasks = json_array(),
           *stale = json_array(), *feedback = o->feedback ? json_array() : NULL;
    for (size_t i = 0; objectives && i < res->n_objectives; i++)
        json_array_append_new(objectives, okr_json_objective(res->objectives[i]));
    for (size_t i = 0; key_results && i < res->n_key_results; i++)
        json_array_append_new(key_results, okr_json_key_result(res->key_results[i]));
    for (size_t i = 0; tasks && i < res->n_tasks; i++)
        json_array_append_new(tasks, okr_json_task(res->tasks[i]));
    for (size_t i = 0; stale && i < res->n_stale; i++)
        json_array_append_new(stale, json_integer((json_int_t)res->stale[i]->id));
    for (size_t i = 0; feedback && i < res->n_feedback; i++)
        json_array_append_new(feedback, okr_kit_comment_json(cli, res->feedback[i]));
    json_t *doc = json_pack("{s:o?, s:o?, s:o?, s:o?, s:I}", "objectives", objectives,
                            "key_results", key_results, "tasks", tasks, "stale", stale,
                            "stale_days", (json_int_t)res->stale_days);
    /* Only when asked and answered (protocol 1.4): no empty "feedback" that
     * would say nobody wrote any. */
    if (doc && feedback) {
        json_object_set_new(doc, "feedback", feedback);
        json_object_set_new(doc, "feedback_since", json_integer((json_int_t)o->since_ms));
    } else {
        json_decref(feedback);
    }
    return doc;
}

/* ---------------------------------------------------------------- command */

static int mine__opt(okr_cli_t *cli, int opt, void *arg)
{
    mine_opts_t *o = arg;
    switch (opt) {
    case OPT_CYCLE:
        o->cycle = optarg;
        return -1;
    case OPT_SINCE:
        if (o->feedback < 0)
            return okr_cli_usage_error(cli, "--since and --no-feedback exclude each other");
        o->since_text = optarg;
        return okr_kit_since(cli, optarg, &o->since_ms);
    case OPT_NO_FEEDBACK:
        if (o->since_text)
            return okr_cli_usage_error(cli, "--since and --no-feedback exclude each other");
        o->feedback = -1;
        return -1;
    default:
        return OKR_EXIT_USAGE;
    }
}

/* The names of the feedback's authors and of whom they thanked, in one go. */
static int mine__names(okr_cli_t *cli, const Okr__MineResult *res)
{
    okr_ref_wanted_t w = {0};
    for (size_t i = 0; i < res->n_feedback; i++) {
        okr_ref_want_user(&w, res->feedback[i]->author_id);
        okr_ref_want_user(&w, res->feedback[i]->to_user_id);
    }
    return okr_ref_fetch_wanted(cli, &w);
}

int okr_cmd_mine(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"cycle", required_argument, NULL, OPT_CYCLE},
                                             {"since", required_argument, NULL, OPT_SINCE},
                                             {"no-feedback", no_argument, NULL, OPT_NO_FEEDBACK},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "mine";
    cli->usage = mine_usage;
    optind = 0;
    mine_opts_t o = {0};
    int rc = okr_kit_options(cli, argc, argv, "", longopts, mine__opt, &o);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 0, 0, "");
    if (rc < 0 && o.feedback == 0 && !o.since_text) {
        o.since_text = MINE_SINCE_DEFAULT;
        rc = okr_kit_since(cli, MINE_SINCE_DEFAULT, &o.since_ms);
    }
    if (rc >= 0)
        return rc;
    if ((rc = okr_cli_connect_lazy(cli)) != 0)
        return rc;
    uint64_t cycle_id = 0;
    if (o.cycle && (rc = okr_ref_cycle(cli, o.cycle, &cycle_id)) != 0)
        return rc;
    /* 0 asks for none: a date before 1970 asks for all */
    int64_t since = o.feedback < 0 ? 0 : o.since_ms > 0 ? o.since_ms : 1;
    Okr__Response *resp;
    if ((rc = okr_kit_get_mine(cli, cycle_id, 0, since, &resp)) != 0)
        return rc;
    /* An older server says nothing about feedback, and nor does okr. */
    o.feedback = o.feedback == 0 && okr_client_server_speaks(cli->client, OKR_PROTOCOL_FEEDBACK);
    o.me = cli->me ? cli->me->id : 0;
    if (o.feedback)
        rc = mine__names(cli, resp->mine);
    if (rc == 0 && cli->json) {
        okr_cli_print_json(mine__json(cli, resp->mine, &o));
    } else if (rc == 0) {
        rc = mine__print(cli, resp->mine, &o);
    }
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* ---------------------------------------------------------------- the reminder */

/* Whether the command just run gets a reminder: not in --json mode; mine
 * shows the stale key results itself; after logout there is no one to remind. */
static int reminder__wanted(const okr_cli_t *cli)
{
    return !cli->json && !(cli->command && (strcmp(cli->command, "mine") == 0 ||
                                            strcmp(cli->command, "logout") == 0));
}

/* The commands that only read, and those that only add an objective, a key
 * result or a task: nothing they do changes which key results are stale (a
 * key result just added is not), so their reminder may be asked for with
 * their first request. */
static const char *const reminder_early[] = {
    "whoami",      "history",      "lint",       "report",     "review",    "export",
    "admin stats", "comment list", "cycle list", "cycle show", "kr list",   "kr show",
    "obj list",    "obj show",     "task list",  "team list",  "team show", "token list",
    "user list",   "obj add",      "kr add",     "task add",
};

int okr_cli_reminder_early(const okr_cli_t *cli)
{
    for (size_t i = 0; cli->command && i < sizeof reminder_early / sizeof reminder_early[0]; i++)
        if (strcmp(cli->command, reminder_early[i]) == 0)
            return 1;
    return 0;
}

static void reminder__request(Okr__Request *req, Okr__MineRequest *mr)
{
    okr__mine_request__init(mr);
    mr->stale_only = 1;
    okr__request__init(req);
    req->op_case = OKR__REQUEST__OP_MINE;
    req->mine = mr;
}

void okr_cli_reminder_send(okr_cli_t *cli)
{
    if (!cli->client || cli->reminder_id || !reminder__wanted(cli))
        return;
    Okr__MineRequest mr;
    Okr__Request req;
    reminder__request(&req, &mr);
    uint64_t id;
    if (okr_client_send(cli->client, &req, &id) == 0)
        cli->reminder_id = id;
}

/* The reminder's answer: the one sent ahead if there is one, else asked now.
 * NULL when there is nothing to say or it failed. */
static Okr__Response *reminder__answer(okr_cli_t *cli)
{
    Okr__Response *resp = NULL;
    if (cli->reminder_id) {
        uint64_t id = cli->reminder_id;
        cli->reminder_id = 0;
        if (okr_client_wait(cli->client, id, &resp) != 0)
            return NULL;
        /* Sent ahead of the session's answer: refused if the token was held
         * back by login throttling. The session is good now: ask again. */
        if (resp->status != OKR__STATUS__STATUS_UNAUTHENTICATED)
            return resp;
        okr__response__free_unpacked(resp, NULL);
        resp = NULL;
    }
    Okr__MineRequest mr;
    Okr__Request req;
    reminder__request(&req, &mr);
    return okr_client_call(cli->client, &req, &resp) == 0 ? resp : NULL;
}

void okr_cli_stale_reminder(okr_cli_t *cli)
{
    /* A command that never talked to the server (its session's answer still
     * to come) gets no reminder either. */
    if (!cli->client || cli->auth_pending || !cli->me || !reminder__wanted(cli))
        return;
    /* A reminder is a courtesy: any failure (an older server, a timeout)
     * is silent and never changes the command's exit status. */
    Okr__Response *resp = reminder__answer(cli);
    if (!resp)
        return;
    const Okr__MineResult *res = resp->mine;
    if (resp->status != OKR__STATUS__STATUS_OK || resp->result_case != OKR__RESPONSE__RESULT_MINE ||
        !res) {
        okr__response__free_unpacked(resp, NULL);
        return;
    }
    /* A request sent ahead of a check-in may be answered before the check-in
     * commits: the key result just checked in is not stale. */
    char list[REMINDER_MAX_LISTED * 24 + 16] = "", first[32] = "";
    size_t used = 0, n = 0;
    for (size_t i = 0; i < res->n_stale; i++) {
        if (res->stale[i]->id == cli->checked_in_kr)
            continue;
        if (++n > REMINDER_MAX_LISTED)
            continue;
        char ref[32];
        okr_ref_format(OKR_REF_KEY_RESULT, res->stale[i]->id, ref, sizeof ref);
        if (n == 1)
            snprintf(first, sizeof first, "%s", ref);
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", n > 1 ? ", " : "", ref);
    }
    if (n > REMINDER_MAX_LISTED)
        snprintf(list + used, sizeof list - used, ", …");
    if (n > 0) {
        fflush(stdout); /* after the command's own output */
        fprintf(stderr,
                "Reminder: %zu of your key results %s had no check-in for %u days: %s — okr "
                "checkin %s VALUE\n",
                n, n == 1 ? "has" : "have", (unsigned)res->stale_days, list, first);
    }
    okr__response__free_unpacked(resp, NULL);
}
