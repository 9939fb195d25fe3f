/* cmd_task.c — okr task: the initiatives under a key result (the seed's
 * "assign tasks to team members"): add, list, start, done, edit, rm.
 *
 * The protocol has no TaskGet: a task is read back as the newest state in
 * its change log (HistoryRequest), which every reader of the task may see.
 * Updates name the version read, so two people editing one task cannot
 * silently overwrite each other (CONFLICT). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_kit.h"
#include "json_out.h"
#include "okr_error.h"
#include "refs.h"
#include "render.h"

enum {
    OPT_ASSIGNEE = OKR_OPT_FIRST_COMMAND_OPT,
    OPT_DUE,
    OPT_KR,
    OPT_MINE,
    OPT_ALL,
    OPT_TITLE,
};

#define TASK_TITLE_MAX 1024

static const char task_usage[] =
    "Usage: okr task COMMAND [ARGS]\n"
    "\n"
    "Tasks are the work under a key result: who does what by when.\n"
    "\n"
    "Commands:\n"
    "  add KR TITLE [--assignee USER] [--due DATE]   add a task (assigned to you\n"
    "                                                by default)\n"
    "  list [--kr KR] [--mine] [--assignee USER] [--all]\n"
    "                                                list open tasks (yours by default)\n"
    "  start T                                       mark a task as being worked on\n"
    "  done T                                        mark a task done\n"
    "  edit T [--title TITLE] [--assignee USER] [--due DATE|none]\n"
    "                                                change a task\n"
    "  rm T                                          delete a task\n"
    "\n"
    "Run 'okr task COMMAND --help' for the details of one.\n"
    "\n"
    "Examples:\n"
    "  okr task add K34 \"Call the ten biggest customers\" --due +7d\n"
    "  okr task list\n"
    "  okr task start T5\n"
    "  okr task done T5\n";

static const char add_usage[] =
    "Usage: okr task add KR TITLE [--assignee USER] [--due DATE]\n"
    "\n"
    "Adds a task under a key result. The title may be several words, quoted or\n"
    "not.\n"
    "\n"
    "Options:\n"
    "  --assignee USER   who does it (default: you)\n"
    "  --due DATE        when it is due: 2026-03-31, today, or +7d (days from now)\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr task add K34 \"Call the ten biggest customers\" --due +7d\n"
    "  okr task add K34 整理客户反馈 --assignee lilei --due 2026-03-31\n";

static const char list_usage[] =
    "Usage: okr task list [--kr KR] [--mine] [--assignee USER] [--all]\n"
    "\n"
    "Lists open tasks (to do and doing): yours, those of a key result, or those\n"
    "of another user. Overdue tasks are marked.\n"
    "\n"
    "Options:\n"
    "  --kr KR           the tasks of this key result\n"
    "  --mine            only yours (the default without --kr)\n"
    "  --assignee USER   only this user's\n"
    "  --all             include done tasks\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr task list\n"
    "  okr task list --kr K34 --all\n"
    "  okr task list --assignee lilei --json\n";

static const char start_usage[] = "Usage: okr task start T\n"
                                  "\n"
                                  "Marks a task as being worked on (doing).\n"
                                  "\n"
                                  "Example:\n"
                                  "  okr task start T5\n";

static const char done_usage[] = "Usage: okr task done T\n"
                                 "\n"
                                 "Marks a task done.\n"
                                 "\n"
                                 "Example:\n"
                                 "  okr task done T5\n";

static const char edit_usage[] =
    "Usage: okr task edit T [--title TITLE] [--assignee USER] [--due DATE|none]\n"
    "\n"
    "Changes a task's title, assignee or due date (at least one of them).\n"
    "\n"
    "Options:\n"
    "  --title TITLE     the new title\n"
    "  --assignee USER   the new assignee\n"
    "  --due DATE        2026-03-31, today, +7d; none removes the due date\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr task edit T5 --due +14d\n"
    "  okr task edit T5 --assignee hanmeimei --title \"Call the top 20 customers\"\n";

static const char rm_usage[] = "Usage: okr task rm T\n"
                               "\n"
                               "Deletes a task (its history is kept).\n"
                               "\n"
                               "Example:\n"
                               "  okr task rm T5\n";

/* ---------------------------------------------------------------- helpers */

static const char *task__state_name(Okr__TaskState s)
{
    switch (s) {
    case OKR__TASK_STATE__TASK_STATE_TODO:
        return "todo";
    case OKR__TASK_STATE__TASK_STATE_DOING:
        return "doing";
    case OKR__TASK_STATE__TASK_STATE_DONE:
        return "done";
    default:
        return "?";
    }
}

static int64_t task__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "2026-03-31", "2026-03-31 (overdue)" or "-". */
static void task__due(const Okr__Task *t, int64_t now, char *buf, size_t len)
{
    char date[32];
    okr_render_date(t->due_at, date, sizeof date);
    if (t->due_at && t->due_at < now && t->state != OKR__TASK_STATE__TASK_STATE_DONE)
        snprintf(buf, len, "%s (overdue)", date);
    else
        snprintf(buf, len, "%s", date);
}

static int task__nomem(okr_cli_t *cli)
{
    return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
}

/* Exactly one positional T; sets *id. -1 to go on, else an exit code. */
static int task__one_ref(okr_cli_t *cli, int argc, char **argv, uint64_t *id)
{
    if (optind >= argc)
        return okr_cli_usage_error(cli, "missing the task, e.g. T5");
    if (argc - optind > 1)
        return okr_cli_usage_error(cli, "unexpected argument '%s'", argv[optind + 1]);
    if (okr_ref_parse(argv[optind], OKR_REF_TASK, id) != 0)
        return okr_cli_usage_error(cli, "'%s' is not a task: use its id, e.g. T5", argv[optind]);
    return -1;
}

/* Joins argv[from..argc) with spaces (an unquoted title). */
static int task__join(okr_cli_t *cli, int argc, char **argv, int from, char *buf, size_t len)
{
    buf[0] = '\0';
    size_t used = 0;
    for (int i = from; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (used + n + 2 > len)
            return okr_cli_usage_error(cli, "the title is longer than %zu bytes", len - 1);
        if (used)
            buf[used++] = ' ';
        memcpy(buf + used, argv[i], n + 1);
        used += n;
    }
    return -1;
}

static int task__parse_due(okr_cli_t *cli, const char *text, int allow_none, int64_t *ms)
{
    if (allow_none && strcmp(text, "none") == 0) {
        *ms = 0;
        return -1;
    }
    if (okr_render_parse_date(text, 1, ms) != 0)
        return okr_cli_usage_error(cli, "--due is a date like 2026-03-31, today or +7d, not '%s'",
                                   text);
    return -1;
}

/* Prints a task after an action: "T5 Call customers — doing, alice, due 2026-03-31". */
static void task__say(okr_cli_t *cli, const char *verb, const Okr__Task *t)
{
    if (cli->json) {
        okr_cli_print_json(okr_json_task(t));
        return;
    }
    char ref[32], due[64], kref[32];
    okr_ref_format(OKR_REF_TASK, t->id, ref, sizeof ref);
    okr_ref_format(OKR_REF_KEY_RESULT, t->key_result_id, kref, sizeof kref);
    if (t->due_at)
        task__due(t, task__now_ms(), due, sizeof due);
    else
        snprintf(due, sizeof due, "none");
    char *title = okr_cli_sanitize(t->title, 0);
    char *who =
        okr_cli_sanitize(t->assignee_id ? okr_ref_username(cli, t->assignee_id) : "nobody", 0);
    printf("%s %s %s (%s): %s, %s, due %s\n", verb, ref, title ? title : "", kref,
           task__state_name(t->state), who ? who : "?", due);
    free(title);
    free(who);
}

/* ---------------------------------------------------------------- reading a task */

/* Reads task id: the newest state in its change log. On success *holder
 * owns the memory *task points into (free it with
 * okr__response__free_unpacked). Else prints why and returns an exit code. */
static int task__read(okr_cli_t *cli, uint64_t id, Okr__Response **holder, const Okr__Task **task)
{
    char ref[32];
    okr_ref_format(OKR_REF_TASK, id, ref, sizeof ref);
    *task = NULL;
    Okr__Response *keep = NULL; /* the page holding the newest change */
    const Okr__Change *last = NULL;
    uint64_t after = 0;
    int rc = 0;
    for (;;) {
        Okr__Page page = OKR__PAGE__INIT;
        page.after_id = after;
        page.limit = 500;
        Okr__HistoryRequest hr = OKR__HISTORY_REQUEST__INIT;
        hr.kind = OKR__ENTITY_KIND__ENTITY_KIND_TASK;
        hr.entity_id = id;
        hr.page = &page;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_HISTORY;
        req.history = &hr;
        Okr__Response *resp;
        rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_HISTORY, &resp);
        if (rc)
            break;
        const Okr__HistoryResult *h = resp->history;
        if (!h) {
            okr__response__free_unpacked(resp, NULL);
            rc = okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL", "the server sent no history");
            break;
        }
        if (h->n_changes > 0) {
            if (keep)
                okr__response__free_unpacked(keep, NULL);
            keep = resp;
            last = h->changes[h->n_changes - 1];
        }
        uint64_t next = h->next_after_id;
        if (keep != resp)
            okr__response__free_unpacked(resp, NULL);
        if (next == 0 || next <= after)
            break;
        after = next;
    }
    if (!rc && (!last || last->op == OKR__CHANGE_OP__CHANGE_OP_DELETE ||
                last->entity_case != OKR__CHANGE__ENTITY_TASK || !last->task)) {
        if (last && last->op == OKR__CHANGE_OP__CHANGE_OP_DELETE)
            rc = okr_cli_fail(cli, OKR_EXIT_REFUSED, "NOT_FOUND", "%s was deleted", ref);
        else
            rc = okr_cli_fail(cli, OKR_EXIT_REFUSED, "NOT_FOUND", "no task %s — see: okr task list",
                              ref);
    }
    if (rc) {
        if (keep)
            okr__response__free_unpacked(keep, NULL);
        *holder = NULL;
        return rc;
    }
    *holder = keep;
    *task = last->task;
    return 0;
}

/* Sends an update of task (carrying the version read). On CONFLICT says
 * what the task is now and that nothing was changed. */
static int task__update(okr_cli_t *cli, Okr__Task *t, const char *verb)
{
    Okr__TaskUpdateRequest up = OKR__TASK_UPDATE_REQUEST__INIT;
    up.task = t;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TASK_UPDATE;
    req.task_update = &up;
    Okr__Response *resp;
    int rc = okr_cli_request(cli, &req, &resp, 0);
    if (rc)
        return rc;
    char ref[32];
    okr_ref_format(OKR_REF_TASK, t->id, ref, sizeof ref);
    if (resp->status == OKR__STATUS__STATUS_CONFLICT) {
        char now[256] = "";
        if (resp->result_case == OKR__RESPONSE__RESULT_TASK && resp->task)
            snprintf(now, sizeof now, " (it is now %s, assigned to %s)",
                     task__state_name(resp->task->state),
                     resp->task->assignee_id ? okr_ref_username(cli, resp->task->assignee_id)
                                             : "nobody");
        okr__response__free_unpacked(resp, NULL);
        return okr_cli_fail(cli, OKR_EXIT_REFUSED, "CONFLICT",
                            "%s was changed by someone else while you were editing it%s; nothing "
                            "was changed — look at it with 'okr history %s' and run the command "
                            "again",
                            ref, now, ref);
    }
    if (resp->status != OKR__STATUS__STATUS_OK) {
        int err = okr_status_to_err(resp->status);
        rc = okr_cli_fail_err(
            cli, err, "%s", resp->message && resp->message[0] ? resp->message : okr_strerror(err));
        okr__response__free_unpacked(resp, NULL);
        return rc;
    }
    if (resp->result_case != OKR__RESPONSE__RESULT_TASK || !resp->task) {
        okr__response__free_unpacked(resp, NULL);
        return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL", "the server sent no task");
    }
    task__say(cli, verb, resp->task);
    okr__response__free_unpacked(resp, NULL);
    return OKR_EXIT_OK;
}

/* A writable copy of t (strings shared: t must outlive the copy). */
static Okr__Task task__copy(const Okr__Task *t)
{
    Okr__Task c = OKR__TASK__INIT;
    c.id = t->id;
    c.key_result_id = t->key_result_id;
    c.title = t->title;
    c.assignee_id = t->assignee_id;
    c.state = t->state;
    c.due_at = t->due_at;
    c.version = t->version;
    c.created_at = t->created_at;
    c.updated_at = t->updated_at;
    c.created_by = t->created_by;
    return c;
}

/* ---------------------------------------------------------------- add */

typedef struct add_opts {
    const char *assignee;
    const char *due;
} add_opts_t;

static int add__opt(okr_cli_t *cli, int opt, void *arg)
{
    (void)cli;
    add_opts_t *o = arg;
    if (opt == OPT_ASSIGNEE)
        o->assignee = optarg;
    else if (opt == OPT_DUE)
        o->due = optarg;
    else
        return OKR_EXIT_USAGE;
    return -1;
}

static int task__add(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"assignee", required_argument, NULL, OPT_ASSIGNEE},
                                             {"due", required_argument, NULL, OPT_DUE},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "task add";
    cli->usage = add_usage;
    add_opts_t o = {0};
    int rc = okr_kit_options(cli, argc, argv, "", longopts, add__opt, &o);
    if (rc >= 0)
        return rc;
    if (argc - optind < 2)
        return okr_cli_usage_error(cli,
                                   argc - optind == 0 ? "missing KR and TITLE" : "missing TITLE");
    uint64_t kr_id;
    if (okr_ref_parse(argv[optind], OKR_REF_KEY_RESULT, &kr_id) != 0)
        return okr_cli_usage_error(cli, "'%s' is not a key result: use its id, e.g. K34",
                                   argv[optind]);
    char title[TASK_TITLE_MAX];
    rc = task__join(cli, argc, argv, optind + 1, title, sizeof title);
    if (rc >= 0)
        return rc;
    int64_t due = 0;
    if (o.due && (rc = task__parse_due(cli, o.due, 0, &due)) >= 0)
        return rc;
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    /* 0 without --assignee: the server assigns it to the caller, so the
     * create can go with Hello and the token. */
    uint64_t assignee = 0;
    if (o.assignee && (rc = okr_ref_user(cli, o.assignee, &assignee)) != 0)
        return rc;
    Okr__Task t = OKR__TASK__INIT;
    t.key_result_id = kr_id;
    t.title = title;
    t.assignee_id = assignee;
    t.state = OKR__TASK_STATE__TASK_STATE_TODO;
    t.due_at = due;
    Okr__TaskCreateRequest create = OKR__TASK_CREATE_REQUEST__INIT;
    create.task = &t;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TASK_CREATE;
    req.task_create = &create;
    Okr__Response *resp;
    rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_TASK, &resp);
    if (rc)
        return rc;
    if (!resp->task) {
        okr__response__free_unpacked(resp, NULL);
        return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL", "the server sent no task");
    }
    task__say(cli, "Added", resp->task);
    okr__response__free_unpacked(resp, NULL);
    return OKR_EXIT_OK;
}

/* ---------------------------------------------------------------- list */

typedef struct list_opts {
    const char *kr;
    const char *assignee;
    int mine;
    int all;
} list_opts_t;

static int list__opt(okr_cli_t *cli, int opt, void *arg)
{
    (void)cli;
    list_opts_t *o = arg;
    switch (opt) {
    case OPT_KR:
        o->kr = optarg;
        return -1;
    case OPT_ASSIGNEE:
        o->assignee = optarg;
        return -1;
    case OPT_MINE:
        o->mine = 1;
        return -1;
    case OPT_ALL:
        o->all = 1;
        return -1;
    }
    return OKR_EXIT_USAGE;
}

typedef struct list_out {
    json_t *tasks;
    okr_cli_table_t table;
    size_t count, overdue;
    int64_t now;
} list_out_t;

static int list__add_page(okr_cli_t *cli, list_out_t *out, const Okr__TaskList *page,
                          uint64_t only_assignee)
{
    for (size_t i = 0; i < page->n_tasks; i++) {
        const Okr__Task *t = page->tasks[i];
        if (only_assignee && t->assignee_id != only_assignee)
            continue;
        if (t->due_at && t->due_at < out->now && t->state != OKR__TASK_STATE__TASK_STATE_DONE)
            out->overdue++;
        if (cli->json) {
            if (json_array_append_new(out->tasks, okr_json_task(t)) != 0)
                return -1;
        } else {
            char ref[32], kref[32], due[64];
            okr_ref_format(OKR_REF_TASK, t->id, ref, sizeof ref);
            okr_ref_format(OKR_REF_KEY_RESULT, t->key_result_id, kref, sizeof kref);
            task__due(t, out->now, due, sizeof due);
            const char *row[] = {
                ref,      task__state_name(t->state),
                t->title, t->assignee_id ? okr_ref_username(cli, t->assignee_id) : "-",
                due,      kref};
            if (okr_cli_table_add(&out->table, row) != 0)
                return -1;
        }
        out->count++;
    }
    return 0;
}

static int list__fetch(okr_cli_t *cli, uint64_t kr_id, uint64_t assignee, int all,
                       uint64_t only_assignee, list_out_t *out)
{
    uint64_t after = 0;
    for (;;) {
        Okr__Page page = OKR__PAGE__INIT;
        page.after_id = after;
        page.limit = 500;
        Okr__TaskListRequest lr = OKR__TASK_LIST_REQUEST__INIT;
        lr.key_result_id = kr_id;
        lr.assignee_id = kr_id ? 0 : assignee;
        lr.include_done = all;
        lr.page = &page;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_TASK_LIST;
        req.task_list = &lr;
        Okr__Response *resp;
        int rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_TASK_LIST, &resp);
        if (rc)
            return rc;
        if (!resp->task_list) {
            okr__response__free_unpacked(resp, NULL);
            return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL", "the server sent no task list");
        }
        if (list__add_page(cli, out, resp->task_list, only_assignee) != 0) {
            okr__response__free_unpacked(resp, NULL);
            return task__nomem(cli);
        }
        uint64_t next = resp->task_list->next_after_id;
        okr__response__free_unpacked(resp, NULL);
        if (next == 0)
            return 0;
        if (next <= after)
            return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL",
                                "the server repeated a page of the task list");
        after = next;
    }
}

static int task__list(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"kr", required_argument, NULL, OPT_KR},
                                             {"assignee", required_argument, NULL, OPT_ASSIGNEE},
                                             {"mine", no_argument, NULL, OPT_MINE},
                                             {"all", no_argument, NULL, OPT_ALL},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "task list";
    cli->usage = list_usage;
    list_opts_t o = {0};
    int rc = okr_kit_options(cli, argc, argv, "", longopts, list__opt, &o);
    if (rc >= 0)
        return rc;
    if (optind < argc)
        return okr_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    if (o.mine && o.assignee)
        return okr_cli_usage_error(cli, "give --mine or --assignee, not both");
    uint64_t kr_id = 0;
    if (o.kr && okr_ref_parse(o.kr, OKR_REF_KEY_RESULT, &kr_id) != 0)
        return okr_cli_usage_error(cli, "--kr takes a key result, e.g. K34, not '%s'", o.kr);
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    /* The caller's id, saved with the session, lets the list go with Hello
     * and the token (okr_cli_my_id: a read, checked against the answer). */
    uint64_t assignee = 0;
    if (o.assignee)
        rc = okr_ref_user(cli, o.assignee, &assignee);
    else if (!kr_id || o.mine)
        rc = okr_cli_my_id(cli, &assignee);
    if (rc)
        return rc;
    /* With --kr the server lists by key result; an assignee filter is ours. */
    uint64_t only = kr_id && (o.mine || o.assignee) ? assignee : 0;

    list_out_t out = {.now = task__now_ms()};
    static const char *const header[] = {"ID", "STATE", "TITLE", "ASSIGNEE", "DUE", "KR"};
    if (cli->json ? !(out.tasks = json_array()) : okr_cli_table_init(&out.table, 6, header) != 0)
        return task__nomem(cli);
    rc = list__fetch(cli, kr_id, assignee, o.all, only, &out);
    if (!rc) {
        if (cli->json) {
            okr_cli_print_json(json_pack("{s:O}", "tasks", out.tasks));
        } else if (out.count == 0) {
            printf("No %stasks%s.\n", o.all ? "" : "open ",
                   kr_id        ? " for this key result"
                   : o.assignee ? " for this user"
                                : " for you");
        } else {
            okr_cli_table_print(&out.table, stdout);
            if (out.overdue)
                printf("%zu overdue.\n", out.overdue);
        }
    }
    json_decref(out.tasks);
    okr_cli_table_free(&out.table);
    return rc;
}

/* ---------------------------------------------------------------- start, done */

static int task__set_state(okr_cli_t *cli, int argc, char **argv, Okr__TaskState state)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    int done = state == OKR__TASK_STATE__TASK_STATE_DONE;
    cli->command = done ? "task done" : "task start";
    cli->usage = done ? done_usage : start_usage;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, NULL, NULL);
    uint64_t id = 0;
    if (rc < 0)
        rc = task__one_ref(cli, argc, argv, &id);
    if (rc >= 0)
        return rc;
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    Okr__Response *holder;
    const Okr__Task *cur;
    rc = task__read(cli, id, &holder, &cur);
    if (rc)
        return rc;
    if (cur->state == state) {
        if (cli->json)
            okr_cli_print_json(okr_json_task(cur));
        else
            task__say(cli, done ? "Already done:" : "Already started:", cur);
        okr__response__free_unpacked(holder, NULL);
        return OKR_EXIT_OK;
    }
    Okr__Task t = task__copy(cur);
    t.state = state;
    rc = task__update(cli, &t, done ? "Done:" : "Started");
    okr__response__free_unpacked(holder, NULL);
    return rc;
}

static int task__start(okr_cli_t *cli, int argc, char **argv)
{
    return task__set_state(cli, argc, argv, OKR__TASK_STATE__TASK_STATE_DOING);
}

static int task__done(okr_cli_t *cli, int argc, char **argv)
{
    return task__set_state(cli, argc, argv, OKR__TASK_STATE__TASK_STATE_DONE);
}

/* ---------------------------------------------------------------- edit */

typedef struct edit_opts {
    const char *title;
    const char *assignee;
    const char *due;
} edit_opts_t;

static int edit__opt(okr_cli_t *cli, int opt, void *arg)
{
    (void)cli;
    edit_opts_t *o = arg;
    if (opt == OPT_TITLE)
        o->title = optarg;
    else if (opt == OPT_ASSIGNEE)
        o->assignee = optarg;
    else if (opt == OPT_DUE)
        o->due = optarg;
    else
        return OKR_EXIT_USAGE;
    return -1;
}

static int task__edit(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"title", required_argument, NULL, OPT_TITLE},
                                             {"assignee", required_argument, NULL, OPT_ASSIGNEE},
                                             {"due", required_argument, NULL, OPT_DUE},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "task edit";
    cli->usage = edit_usage;
    edit_opts_t o = {0};
    int rc = okr_kit_options(cli, argc, argv, "", longopts, edit__opt, &o);
    uint64_t id = 0;
    if (rc < 0)
        rc = task__one_ref(cli, argc, argv, &id);
    if (rc >= 0)
        return rc;
    if (!o.title && !o.assignee && !o.due)
        return okr_cli_usage_error(cli, "nothing to change: give --title, --assignee or --due");
    if (o.title && !o.title[0])
        return okr_cli_usage_error(cli, "the title must not be empty");
    int64_t due = 0;
    if (o.due && (rc = task__parse_due(cli, o.due, 1, &due)) >= 0)
        return rc;
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    uint64_t assignee = 0;
    if (o.assignee && (rc = okr_ref_user(cli, o.assignee, &assignee)) != 0)
        return rc;
    Okr__Response *holder;
    const Okr__Task *cur;
    rc = task__read(cli, id, &holder, &cur);
    if (rc)
        return rc;
    Okr__Task t = task__copy(cur);
    if (o.title)
        t.title = (char *)o.title;
    if (o.assignee)
        t.assignee_id = assignee;
    if (o.due)
        t.due_at = due;
    rc = task__update(cli, &t, "Updated");
    okr__response__free_unpacked(holder, NULL);
    return rc;
}

/* ---------------------------------------------------------------- rm */

static int task__rm(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "task rm";
    cli->usage = rm_usage;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, NULL, NULL);
    uint64_t id = 0;
    if (rc < 0)
        rc = task__one_ref(cli, argc, argv, &id);
    if (rc >= 0)
        return rc;
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    Okr__Response *holder;
    const Okr__Task *cur;
    rc = task__read(cli, id, &holder, &cur);
    if (rc)
        return rc;
    Okr__TaskDeleteRequest del = OKR__TASK_DELETE_REQUEST__INIT;
    del.id = id;
    del.version = cur->version;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TASK_DELETE;
    req.task_delete = &del;
    Okr__Response *resp;
    rc = okr_cli_request(cli, &req, &resp, 0); /* prints why it failed */
    char ref[32];
    okr_ref_format(OKR_REF_TASK, id, ref, sizeof ref);
    if (rc == 0 && resp->status == OKR__STATUS__STATUS_CONFLICT) {
        rc = okr_cli_fail(cli, OKR_EXIT_REFUSED, "CONFLICT",
                          "%s was changed by someone else just now; nothing was deleted — look "
                          "at it with 'okr history %s' and run the command again",
                          ref, ref);
    } else if (rc == 0 && resp->status != OKR__STATUS__STATUS_OK) {
        int err = okr_status_to_err(resp->status);
        rc = okr_cli_fail_err(
            cli, err, "%s", resp->message && resp->message[0] ? resp->message : okr_strerror(err));
    } else if (rc == 0 && cli->json) {
        okr_cli_print_json(json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1));
    } else if (rc == 0) {
        char *title = okr_cli_sanitize(cur->title, 0);
        printf("Deleted %s %s\n", ref, title ? title : "");
        free(title);
    }
    if (resp)
        okr__response__free_unpacked(resp, NULL);
    okr__response__free_unpacked(holder, NULL);
    return rc;
}

/* ---------------------------------------------------------------- dispatch */

static const okr_kit_sub_t task_commands[] = {
    {"add", task__add},   {"list", task__list}, {"ls", task__list}, {"start", task__start},
    {"done", task__done}, {"edit", task__edit}, {"rm", task__rm},
};

int okr_cmd_task(okr_cli_t *cli, int argc, char **argv)
{
    return okr_kit_dispatch(cli, argc, argv, "task", task_usage, task_commands,
                            sizeof task_commands / sizeof task_commands[0]);
}
