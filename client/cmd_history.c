/* cmd_history.c — okr history: a key result's check-ins, or the change log
 * (the audit trail) of an objective, a key result or a task. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
#include "kit_words.h"
#include "okr_error.h"
#include "refs.h"
#include "render.h"

enum { OPT_CHANGES = OKR_OPT_FIRST_COMMAND_OPT };

#define HISTORY_SUMMARY_MAX 512

static const char history_usage[] =
    "Usage: okr history K|O|T [--changes]\n"
    "\n"
    "For a key result (K34): its check-ins, oldest first — date, author, value,\n"
    "confidence, progress after the check-in, and the note.\n"
    "For an objective (O12) or a task (T5), or a key result with --changes: the\n"
    "change log — every committed change with its sequence number, time, who made\n"
    "it, the operation and what changed.\n"
    "\n"
    "Options:\n"
    "  --changes   for a key result: the change log instead of the check-ins\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr history K34\n"
    "  okr history O12\n"
    "  okr history K34 --changes --json\n";

/* ---------------------------------------------------------------- helpers */

static int history__protocol(okr_cli_t *cli, Okr__Response *resp, const char *what)
{
    if (resp)
        okr__response__free_unpacked(resp, NULL);
    return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL", "%s", what);
}

static int history__nomem(okr_cli_t *cli)
{
    return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
}

/* Appends "; "-separated text to a summary buffer (truncating quietly). */
static void history__add(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void history__add(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 3 >= len)
        return;
    if (used > 0) {
        memcpy(buf + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

static int history__str_changed(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") != 0;
}

static const char *history__op_name(Okr__ChangeOp op)
{
    switch (op) {
    case OKR__CHANGE_OP__CHANGE_OP_CREATE:
        return "create";
    case OKR__CHANGE_OP__CHANGE_OP_UPDATE:
        return "update";
    case OKR__CHANGE_OP__CHANGE_OP_DELETE:
        return "delete";
    case OKR__CHANGE_OP__CHANGE_OP_ARCHIVE:
        return "archive";
    case OKR__CHANGE_OP__CHANGE_OP_CLOSE:
        return "close";
    default:
        return "?";
    }
}

static const char *history__task_state(Okr__TaskState s)
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

/* ---------------------------------------------------------------- change summaries */

/* Each summary says what the change did, comparing with the entity's state
 * in the previous change of the log (prev, NULL for the first one). Figures
 * the server keeps (progress, key result counts) move with every check-in
 * below, without a change of their own, so they are not compared: they
 * would be blamed on whatever change comes next. */

static void history__objective(okr_cli_t *cli, const Okr__Objective *o, const Okr__Objective *prev,
                               Okr__ChangeOp op, char *buf, size_t len)
{
    char a[32];
    if (op == OKR__CHANGE_OP__CHANGE_OP_CREATE || !prev) {
        history__add(buf, len, "created “%s” (%s)", o->title, okr_kit_state_name(o->state));
        if (o->parent_id)
            history__add(buf, len, "aligned to %s",
                         okr_ref_format(OKR_REF_OBJECTIVE, o->parent_id, a, sizeof a));
        return;
    }
    if (history__str_changed(o->title, prev->title))
        history__add(buf, len, "title “%s”", o->title);
    if (history__str_changed(o->description, prev->description))
        history__add(buf, len, "description changed");
    if (o->state != prev->state)
        history__add(buf, len, "%s → %s", okr_kit_state_name(prev->state),
                     okr_kit_state_name(o->state));
    if (o->parent_id != prev->parent_id)
        history__add(buf, len, "aligned to %s",
                     o->parent_id ? okr_ref_format(OKR_REF_OBJECTIVE, o->parent_id, a, sizeof a)
                                  : "nothing");
    if (o->owner_user_id != prev->owner_user_id && o->owner_user_id)
        history__add(buf, len, "owner %s", okr_ref_username(cli, o->owner_user_id));
    if (o->owner_team_id != prev->owner_team_id && o->owner_team_id)
        history__add(buf, len, "owner team %s", okr_ref_team_name(cli, o->owner_team_id));
    if (o->kind != prev->kind)
        history__add(buf, len, "%s",
                     o->kind == OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL ? "aspirational"
                                                                                 : "committed");
    if (o->visibility != prev->visibility)
        history__add(buf, len, "visible to %s",
                     o->visibility == OKR__VISIBILITY__VISIBILITY_TEAM ? "the team" : "everyone");
    char num[16];
    if (o->score != prev->score || o->score_overridden != prev->score_overridden)
        history__add(buf, len, "score %s%s", okr_render_score_num(o->score, num, sizeof num),
                     o->score_overridden ? " (overridden)" : "");
    if (history__str_changed(o->retrospective, prev->retrospective))
        history__add(buf, len, "retrospective written");
}

static void history__key_result(okr_cli_t *cli, const Okr__KeyResult *k, const Okr__KeyResult *prev,
                                Okr__ChangeOp op, char *buf, size_t len)
{
    char a[96], b[96];
    if (op == OKR__CHANGE_OP__CHANGE_OP_CREATE || !prev) {
        okr_render_value(k, k->start, a, sizeof a);
        okr_render_value(k, k->target, b, sizeof b);
        history__add(buf, len, "created “%s”: %s → %s", k->title, a, b);
        return;
    }
    if (history__str_changed(k->title, prev->title))
        history__add(buf, len, "title “%s”", k->title);
    if (k->start != prev->start || k->target != prev->target || k->metric != prev->metric ||
        history__str_changed(k->unit, prev->unit)) {
        okr_render_value(k, k->start, a, sizeof a);
        okr_render_value(k, k->target, b, sizeof b);
        history__add(buf, len, "now %s → %s", a, b);
    }
    if (k->current != prev->current) {
        okr_render_value(prev, prev->current, a, sizeof a);
        okr_render_value(k, k->current, b, sizeof b);
        history__add(buf, len, "value %s → %s", a, b);
    }
    if (k->weight != prev->weight)
        history__add(buf, len, "weight %g", k->weight);
    if (k->owner_user_id != prev->owner_user_id)
        history__add(buf, len, "owner %s",
                     k->owner_user_id ? okr_ref_username(cli, k->owner_user_id) : "nobody");
    if (k->linked_objective_id != prev->linked_objective_id)
        history__add(buf, len, "linked to %s",
                     k->linked_objective_id
                         ? okr_ref_format(OKR_REF_OBJECTIVE, k->linked_objective_id, a, sizeof a)
                         : "nothing");
    if (k->due_at != prev->due_at)
        history__add(buf, len, "due %s", okr_render_date(k->due_at, a, sizeof a));
    if (k->has_confidence && (!prev->has_confidence || k->confidence != prev->confidence))
        history__add(buf, len, "confidence %u/10", (unsigned)k->confidence);
    if (k->archived != prev->archived)
        history__add(buf, len, "%s", k->archived ? "archived" : "restored");
}

static void history__task(okr_cli_t *cli, const Okr__Task *t, const Okr__Task *prev,
                          Okr__ChangeOp op, char *buf, size_t len)
{
    char a[32];
    if (op == OKR__CHANGE_OP__CHANGE_OP_CREATE || !prev) {
        history__add(buf, len, "created “%s” for %s", t->title,
                     t->assignee_id ? okr_ref_username(cli, t->assignee_id) : "nobody");
        if (t->due_at)
            history__add(buf, len, "due %s", okr_render_date(t->due_at, a, sizeof a));
        return;
    }
    if (t->state != prev->state)
        history__add(buf, len, "%s → %s", history__task_state(prev->state),
                     history__task_state(t->state));
    if (history__str_changed(t->title, prev->title))
        history__add(buf, len, "title “%s”", t->title);
    if (t->assignee_id != prev->assignee_id)
        history__add(buf, len, "assigned to %s",
                     t->assignee_id ? okr_ref_username(cli, t->assignee_id) : "nobody");
    if (t->due_at != prev->due_at)
        history__add(buf, len, "due %s",
                     t->due_at ? okr_render_date(t->due_at, a, sizeof a) : "date removed");
}

/* The state carried by the previous change of the same kind, per kind. */
typedef struct history_prev {
    const Okr__Objective *objective;
    const Okr__KeyResult *key_result;
    const Okr__Task *task;
} history_prev_t;

static void history__summary(okr_cli_t *cli, const Okr__Change *c, history_prev_t *prev, char *buf,
                             size_t len)
{
    buf[0] = '\0';
    char a[96];
    if (c->op == OKR__CHANGE_OP__CHANGE_OP_DELETE) {
        history__add(buf, len, "deleted");
        return;
    }
    switch (c->entity_case) {
    case OKR__CHANGE__ENTITY_OBJECTIVE:
        history__objective(cli, c->objective, prev->objective, c->op, buf, len);
        prev->objective = c->objective;
        break;
    case OKR__CHANGE__ENTITY_KEY_RESULT:
        history__key_result(cli, c->key_result, prev->key_result, c->op, buf, len);
        prev->key_result = c->key_result;
        break;
    case OKR__CHANGE__ENTITY_TASK:
        history__task(cli, c->task, prev->task, c->op, buf, len);
        prev->task = c->task;
        break;
    case OKR__CHANGE__ENTITY_CHECKIN:
        if (c->key_result_after)
            okr_render_value(c->key_result_after, c->checkin->value, a, sizeof a);
        else
            snprintf(a, sizeof a, "%g", c->checkin->value);
        history__add(buf, len, "check-in %s", a);
        if (c->checkin->has_confidence)
            history__add(buf, len, "confidence %u/10", (unsigned)c->checkin->confidence);
        char when[64];
        if (okr_cli_checkin_dated(c->checkin, when, sizeof when))
            history__add(buf, len, "dated %s", when);
        if (c->key_result_after)
            prev->key_result = c->key_result_after;
        break;
    case OKR__CHANGE__ENTITY_COMMENT:
        history__add(buf, len, "%s: %s",
                     c->comment->kind == OKR__COMMENT_KIND__COMMENT_KIND_KUDOS ? "kudos"
                                                                               : "comment",
                     c->comment->body);
        break;
    default:
        break;
    }
    if (!buf[0])
        history__add(buf, len, "%s",
                     c->op == OKR__CHANGE_OP__CHANGE_OP_ARCHIVE ? "archived"
                     : c->op == OKR__CHANGE_OP__CHANGE_OP_CLOSE ? "closed"
                                                                : "no visible change");
}

/* ---------------------------------------------------------------- change log */

static json_t *history__change_json(okr_cli_t *cli, const Okr__Change *c, const char *summary)
{
    json_t *entity = NULL;
    switch (c->entity_case) {
    case OKR__CHANGE__ENTITY_OBJECTIVE:
        entity = okr_json_objective(c->objective);
        break;
    case OKR__CHANGE__ENTITY_KEY_RESULT:
        entity = okr_json_key_result(c->key_result);
        break;
    case OKR__CHANGE__ENTITY_TASK:
        entity = okr_json_task(c->task);
        break;
    case OKR__CHANGE__ENTITY_CHECKIN:
        entity = okr_json_checkin(c->checkin);
        break;
    case OKR__CHANGE__ENTITY_COMMENT:
        entity = okr_json_comment(c->comment);
        break;
    default:
        break;
    }
    json_t *ancestors = json_array();
    for (size_t i = 0; ancestors && i < c->n_ancestors; i++)
        json_array_append_new(ancestors, okr_json_progress_update(c->ancestors[i]));
    return json_pack("{s:I, s:I, s:I, s:s, s:s, s:s, s:o?, s:o?}", "seq", (json_int_t)c->seq,
                     "time", (json_int_t)c->time, "actor_id", (json_int_t)c->actor_id, "actor",
                     c->actor_id ? okr_ref_username(cli, c->actor_id) : "server", "op",
                     history__op_name(c->op), "summary", summary, "entity", entity, "ancestors",
                     ancestors);
}

typedef struct history_out {
    json_t *items;
    okr_cli_table_t table;
    size_t count;
    size_t dated; /* check-ins recorded well after the time they are dated */
} history_out_t;

/* Adds one page of changes. Kept pages stay alive (prev points into them). */
static int history__add_changes(okr_cli_t *cli, history_out_t *out, const Okr__HistoryResult *page,
                                history_prev_t *prev)
{
    for (size_t i = 0; i < page->n_changes; i++) {
        const Okr__Change *c = page->changes[i];
        char summary[HISTORY_SUMMARY_MAX], seq[32], when[64];
        history__summary(cli, c, prev, summary, sizeof summary);
        if (cli->json) {
            if (json_array_append_new(out->items, history__change_json(cli, c, summary)) != 0)
                return -1;
        } else {
            snprintf(seq, sizeof seq, "%llu", (unsigned long long)c->seq);
            okr_cli_format_time(c->time, when, sizeof when);
            const char *row[] = {seq, when,
                                 c->actor_id ? okr_ref_username(cli, c->actor_id) : "server",
                                 history__op_name(c->op), summary};
            if (okr_cli_table_add(&out->table, row) != 0)
                return -1;
        }
        out->count++;
    }
    return 0;
}

/* Fetches every page of the change log. The pages are kept until the end so
 * each summary can compare with the state before it. */
static int history__changes(okr_cli_t *cli, Okr__EntityKind kind, uint64_t id, const char *ref)
{
    history_out_t out = {0};
    static const char *const header[] = {"SEQ", "TIME", "BY", "OP", "WHAT"};
    if (cli->json ? !(out.items = json_array()) : okr_cli_table_init(&out.table, 5, header) != 0)
        return history__nomem(cli);
    Okr__Response **pages = NULL;
    size_t npages = 0;
    history_prev_t prev = {0};
    uint64_t after = 0;
    int rc = 0;
    for (;;) {
        Okr__Page page = OKR__PAGE__INIT;
        page.after_id = after;
        page.limit = 500;
        Okr__HistoryRequest hr = OKR__HISTORY_REQUEST__INIT;
        hr.kind = kind;
        hr.entity_id = id;
        hr.page = &page;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_HISTORY;
        req.history = &hr;
        Okr__Response *resp;
        rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_HISTORY, &resp);
        if (rc)
            break;
        Okr__Response **grown = realloc(pages, (npages + 1) * sizeof *pages);
        if (!grown) {
            okr__response__free_unpacked(resp, NULL);
            rc = history__nomem(cli);
            break;
        }
        pages = grown;
        pages[npages++] = resp;
        const Okr__HistoryResult *h = resp->history;
        if (!h) {
            rc = history__protocol(cli, NULL, "the server sent no history");
            break;
        }
        if (history__add_changes(cli, &out, h, &prev) != 0) {
            rc = history__nomem(cli);
            break;
        }
        if (h->next_after_id == 0)
            break;
        if (h->next_after_id <= after) {
            rc = history__protocol(cli, NULL, "the server repeated a page of the history");
            break;
        }
        after = h->next_after_id;
    }
    if (!rc) {
        if (cli->json)
            okr_cli_print_json(json_pack("{s:s, s:O}", "ref", ref, "changes", out.items));
        else if (out.count == 0)
            printf("No changes recorded for %s.\n", ref);
        else
            okr_cli_table_print(&out.table, stdout);
    }
    for (size_t i = 0; i < npages; i++)
        okr__response__free_unpacked(pages[i], NULL);
    free(pages);
    json_decref(out.items);
    okr_cli_table_free(&out.table);
    return rc;
}

/* ---------------------------------------------------------------- check-ins */

static int history__add_checkins(okr_cli_t *cli, history_out_t *out, const Okr__KeyResult *kr,
                                 const Okr__CheckInList *page)
{
    for (size_t i = 0; i < page->n_checkins; i++) {
        const Okr__CheckIn *ci = page->checkins[i];
        if (cli->json) {
            if (json_array_append_new(out->items, okr_json_checkin(ci)) != 0)
                return -1;
        } else {
            char when[64], value[96], conf[16], progress[16];
            if (okr_cli_checkin_dated(ci, when, sizeof when)) {
                strncat(when, "*", sizeof when - strlen(when) - 1);
                out->dated++;
            } else {
                okr_cli_format_time(ci->time, when, sizeof when);
            }
            okr_render_value(kr, ci->value, value, sizeof value);
            if (ci->has_confidence)
                snprintf(conf, sizeof conf, "%u/10", (unsigned)ci->confidence);
            else
                snprintf(conf, sizeof conf, "-");
            snprintf(progress, sizeof progress, "%d%%", okr_render_pct(ci->progress));
            const char *row[] = {when,     okr_ref_username(cli, ci->author_id),
                                 value,    conf,
                                 progress, ci->note ? ci->note : ""};
            if (okr_cli_table_add(&out->table, row) != 0)
                return -1;
        }
        out->count++;
    }
    return 0;
}

static int history__checkin_pages(okr_cli_t *cli, uint64_t kr_id, const Okr__KeyResult *kr,
                                  history_out_t *out)
{
    uint64_t after = 0;
    for (;;) {
        Okr__Page page = OKR__PAGE__INIT;
        page.after_id = after;
        page.limit = 500;
        Okr__CheckInListRequest lr = OKR__CHECK_IN_LIST_REQUEST__INIT;
        lr.key_result_id = kr_id;
        lr.page = &page;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_CHECKIN_LIST;
        req.checkin_list = &lr;
        Okr__Response *resp;
        int rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_CHECKIN_LIST, &resp);
        if (rc)
            return rc;
        const Okr__CheckInList *l = resp->checkin_list;
        if (!l)
            return history__protocol(cli, resp, "the server sent no check-in list");
        if (history__add_checkins(cli, out, kr, l) != 0) {
            okr__response__free_unpacked(resp, NULL);
            return history__nomem(cli);
        }
        uint64_t next = l->next_after_id;
        okr__response__free_unpacked(resp, NULL);
        if (next == 0)
            return 0;
        if (next <= after)
            return history__protocol(cli, NULL, "the server repeated a page of check-ins");
        after = next;
    }
}

static int history__checkins(okr_cli_t *cli, uint64_t kr_id, const char *ref)
{
    Okr__KeyResultGetRequest get = OKR__KEY_RESULT_GET_REQUEST__INIT;
    get.id = kr_id;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_KEY_RESULT_GET;
    req.key_result_get = &get;
    Okr__Response *kresp;
    int rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_KEY_RESULT, &kresp);
    if (rc)
        return rc;
    const Okr__KeyResult *kr = kresp->key_result;
    if (!kr)
        return history__protocol(cli, kresp, "the server sent no key result");
    history_out_t out = {0};
    static const char *const header[] = {"DATE", "BY", "VALUE", "CONFIDENCE", "PROGRESS", "NOTE"};
    if (cli->json ? !(out.items = json_array()) : okr_cli_table_init(&out.table, 6, header) != 0) {
        okr__response__free_unpacked(kresp, NULL);
        return history__nomem(cli);
    }
    rc = history__checkin_pages(cli, kr_id, kr, &out);
    if (!rc) {
        if (cli->json) {
            okr_cli_print_json(json_pack("{s:o?, s:O}", "key_result", okr_json_key_result(kr),
                                         "checkins", out.items));
        } else {
            char *title = okr_cli_sanitize(kr->title, 0);
            printf("%s %s\n", ref, title ? title : "");
            free(title);
            char linked[32];
            if (out.count == 0 && kr->linked_objective_id)
                /* It moves with its objective; the server refuses its own. */
                printf("Its check-ins are those of %s's key results: okr obj show %s\n",
                       okr_ref_format(OKR_REF_OBJECTIVE, kr->linked_objective_id, linked,
                                      sizeof linked),
                       linked);
            else if (out.count == 0)
                printf("No check-ins yet — record one: okr checkin %s VALUE\n", ref);
            else
                okr_cli_table_print(&out.table, stdout);
            if (out.dated)
                printf("* made late and dated earlier (okr checkin --at); --json has the time "
                       "each was recorded\n");
        }
    }
    okr__response__free_unpacked(kresp, NULL);
    json_decref(out.items);
    okr_cli_table_free(&out.table);
    return rc;
}

/* ---------------------------------------------------------------- command */

/* Parses "K34", "O12" or "T5". Returns 0 or -1. */
static int history__parse_ref(const char *text, okr_ref_kind_t *kind, uint64_t *id)
{
    if ((text[0] == 'T' || text[0] == 't') && okr_ref_parse(text, OKR_REF_TASK, id) == 0) {
        *kind = OKR_REF_TASK;
        return 0;
    }
    return okr_ref_parse_any(text, kind, id);
}

int okr_cmd_history(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"changes", no_argument, NULL, OPT_CHANGES},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "history";
    cli->usage = history_usage;
    int changes = 0, opt;
    while ((opt = okr_cli_getopt(cli, argc, argv, ":h", longopts)) != -1) {
        if (opt == 'h')
            return OKR_EXIT_OK;
        if (opt != OPT_CHANGES)
            return OKR_EXIT_USAGE;
        changes = 1;
    }
    if (optind >= argc)
        return okr_cli_usage_error(cli, "missing what to show: a key result (K34), an objective "
                                        "(O12) or a task (T5)");
    if (argc - optind > 1)
        return okr_cli_usage_error(cli, "unexpected argument '%s'", argv[optind + 1]);
    okr_ref_kind_t kind;
    uint64_t id;
    if (history__parse_ref(argv[optind], &kind, &id) != 0)
        return okr_cli_usage_error(cli,
                                   "'%s' is not a key result (K34), an objective (O12) or a "
                                   "task (T5)",
                                   argv[optind]);
    char ref[32];
    okr_ref_format(kind, id, ref, sizeof ref);
    int rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    switch (kind) {
    case OKR_REF_KEY_RESULT:
        return changes ? history__changes(cli, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, id, ref)
                       : history__checkins(cli, id, ref);
    case OKR_REF_OBJECTIVE:
        return history__changes(cli, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, id, ref);
    case OKR_REF_TASK:
        return history__changes(cli, OKR__ENTITY_KIND__ENTITY_KIND_TASK, id, ref);
    default:
        return okr_cli_usage_error(cli, "'%s' has no history", ref);
    }
}
