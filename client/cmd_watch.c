/* cmd_watch.c — okr watch: the changes to a scope as they are committed, one
 * line each, over a live connection that heals itself (live.h).
 *
 * The command connects once the usual way (okr_cli_connect_auth: trust
 * prompt, session, clear errors and exit codes) to resolve names into the
 * scope, then hands over to an okr_live_t with the same server and token and
 * closes that first connection. Names for ids (the actor of a change) are
 * looked up through the live connection, from inside the event callback,
 * which the client library allows; while it is down the id is shown instead.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cmd_kit.h"
#include "json_out.h"
#include "live.h"
#include "okr_error.h"
#include "refs.h"
#include "render.h"

#ifndef OKR_VERSION
#define OKR_VERSION "0.0.0"
#endif

enum {
    OPT_ORG = OKR_OPT_FIRST_COMMAND_OPT,
    OPT_TEAM,
    OPT_CYCLE,
    OPT_OBJECTIVE,
    OPT_SINCE,
    OPT_COUNT,
    OPT_FOR,
};

/* The run loop wakes this often to notice Ctrl-C, --count and --for. */
#define WATCH_SLICE_MS   250u
#define WATCH_TITLE_W    48
#define WATCH_BODY_W     60
#define WATCH_ANCESTORS  6
#define WATCH_LINE_MAX   4096
#define WATCH_MAX_FOR_S  (366.0 * 86400.0)
#define WATCH_DETAIL_MAX 300
#define WATCH_SAY_MS     10000u

static const char watch_usage[] =
    "Usage: okr watch [--org | --team TEAM | --cycle CYCLE | --objective O]\n"
    "                 [--since SEQ] [--count N] [--for SECONDS]\n"
    "\n"
    "Shows changes as they are committed, one line each: the time, who made the\n"
    "change, what changed with its new value, and how the objectives above it\n"
    "moved. For example:\n"
    "  10:42:07  alice  checked in K12 \"NPS\": 42 (60%)  O3 61% → O1 47%\n"
    "\n"
    "Runs until Ctrl-C (exit 0). When the connection to the server is lost it\n"
    "says \"reconnecting…\" on standard error and carries on by itself; the\n"
    "changes made meanwhile are shown when it is back, none twice.\n"
    "\n"
    "What to watch (one of; default: the current cycle, else the organisation):\n"
    "  --org              everything you may read\n"
    "  --team TEAM        a team's objectives and its members'\n"
    "  --cycle CYCLE      every objective of a cycle, and the cycle itself\n"
    "  --objective O      one objective (O12): its key results, check-ins,\n"
    "                     tasks and comments\n"
    "\n"
    "Options:\n"
    "  --since SEQ        first show the changes after SEQ (the seq of a change,\n"
    "                     as --json prints it); if the server no longer keeps\n"
    "                     them, it sends the scope's current state instead\n"
    "  --count N          exit after N changes (a snapshot's lines do not count)\n"
    "  --for SECONDS      exit after this long\n"
    "  --json             one compact JSON object per line: seq, time, actor,\n"
    "                     op, kind, entity_id, entity, ancestors (and\n"
    "                     key_result_after for a check-in)\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr watch\n"
    "  okr watch --team Sales\n"
    "  okr watch --objective O3 --json | jq .\n"
    "  okr watch --org --since 1200 --count 10\n";

typedef struct watch_opts {
    int nscope; /* how many of --org/--team/--cycle/--objective were given */
    int org;
    const char *team, *cycle, *objective;
    uint64_t since;
    uint64_t count;
    uint64_t for_ms;
} watch_opts_t;

typedef struct watch {
    okr_cli_t *cli;
    okr_live_t *live;
    uint64_t count; /* 0 = no limit */
    uint64_t printed;
    int any_event;
    int output_closed;           /* stdout went away (EPIPE): stop quietly */
    char said[WATCH_DETAIL_MAX]; /* the last "reconnecting" reason shown */
    uint64_t said_at;
} watch_t;

static volatile sig_atomic_t watch_stop;

static void watch__on_signal(int sig)
{
    (void)sig;
    watch_stop = 1;
}

/* ---------------------------------------------------------------- options */

static int watch__number(okr_cli_t *cli, const char *opt, const char *arg, uint64_t min,
                         uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-' || v < min)
        return okr_cli_usage_error(cli, "%s takes a whole number%s, not '%s'", opt,
                                   min ? " from 1" : "", arg);
    *out = (uint64_t)v;
    return -1;
}

static int watch__opt(okr_cli_t *cli, int opt, void *arg)
{
    watch_opts_t *o = arg;
    switch (opt) {
    case OPT_ORG:
        o->org = 1;
        o->nscope++;
        return -1;
    case OPT_TEAM:
        o->team = optarg;
        o->nscope++;
        return -1;
    case OPT_CYCLE:
        o->cycle = optarg;
        o->nscope++;
        return -1;
    case OPT_OBJECTIVE:
        o->objective = optarg;
        o->nscope++;
        return -1;
    case OPT_SINCE:
        return watch__number(cli, "--since", optarg, 1, &o->since);
    case OPT_COUNT:
        return watch__number(cli, "--count", optarg, 1, &o->count);
    case OPT_FOR: {
        double s;
        if (okr_kit_parse_number(optarg, &s) != 0 || !(s > 0) || s > WATCH_MAX_FOR_S)
            return okr_cli_usage_error(cli, "--for takes seconds (more than 0), not '%s'", optarg);
        o->for_ms = (uint64_t)(s * 1000.0 + 0.5);
        if (!o->for_ms)
            o->for_ms = 1;
        return -1;
    }
    }
    return OKR_EXIT_USAGE;
}

static int watch__parse(okr_cli_t *cli, int argc, char **argv, watch_opts_t *o)
{
    static const struct option longopts[] = {{"org", no_argument, NULL, OPT_ORG},
                                             {"team", required_argument, NULL, OPT_TEAM},
                                             {"cycle", required_argument, NULL, OPT_CYCLE},
                                             {"objective", required_argument, NULL, OPT_OBJECTIVE},
                                             {"since", required_argument, NULL, OPT_SINCE},
                                             {"count", required_argument, NULL, OPT_COUNT},
                                             {"for", required_argument, NULL, OPT_FOR},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    int rc = okr_kit_options(cli, argc, argv, "", longopts, watch__opt, o);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 0, 0, "");
    if (rc < 0 && o->nscope > 1)
        rc = okr_cli_usage_error(cli, "watch one scope: --org, --team, --cycle or --objective");
    return rc;
}

/* ---------------------------------------------------------------- the scope */

/* 1 if the server has a cycle that is not closed (the default scope then is
 * the current cycle), 0 if none, or -(exit code). */
static int watch__any_open_cycle(okr_cli_t *cli)
{
    Okr__Page page = OKR__PAGE__INIT;
    page.limit = 1;
    Okr__CycleListRequest lr = OKR__CYCLE_LIST_REQUEST__INIT;
    lr.page = &page;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CYCLE_LIST;
    req.cycle_list = &lr;
    Okr__Response *resp;
    int rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_CYCLE_LIST, &resp);
    if (rc)
        return -rc;
    int any = resp->cycle_list->n_cycles > 0;
    okr__response__free_unpacked(resp, NULL);
    return any;
}

/* Resolves the options into scope and a description for people. */
static int watch__scope(okr_cli_t *cli, const watch_opts_t *o, Okr__Scope *scope, char *what,
                        size_t len)
{
    int rc;
    if (o->team) {
        scope->kind = OKR__SCOPE_KIND__SCOPE_KIND_TEAM;
        if ((rc = okr_ref_team(cli, o->team, &scope->id)) != 0)
            return rc;
        snprintf(what, len, "team %s", okr_ref_team_name(cli, scope->id));
    } else if (o->objective) {
        scope->kind = OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE;
        if ((rc = okr_kit_ref(cli, o->objective, OKR_REF_OBJECTIVE, &scope->id)) >= 0)
            return rc;
        char ref[32];
        snprintf(what, len, "objective %s",
                 okr_ref_format(OKR_REF_OBJECTIVE, scope->id, ref, sizeof ref));
    } else if (o->cycle) {
        scope->kind = OKR__SCOPE_KIND__SCOPE_KIND_CYCLE;
        if ((rc = okr_ref_cycle(cli, o->cycle, &scope->id)) != 0)
            return rc;
        snprintf(what, len, "cycle %s", okr_ref_cycle_name(cli, scope->id));
    } else if (!o->org && (rc = watch__any_open_cycle(cli)) != 0) {
        if (rc < 0)
            return -rc;
        scope->kind = OKR__SCOPE_KIND__SCOPE_KIND_CYCLE;
        if ((rc = okr_ref_default_cycle(cli, &scope->id)) != 0)
            return rc;
        snprintf(what, len, "cycle %s", okr_ref_cycle_name(cli, scope->id));
    } else {
        scope->kind = OKR__SCOPE_KIND__SCOPE_KIND_ORG;
        scope->id = 0;
        snprintf(what, len, "the organisation");
    }
    return 0;
}

/* ---------------------------------------------------------------- words */

static const char *watch__op_verb(Okr__ChangeOp op)
{
    switch (op) {
    case OKR__CHANGE_OP__CHANGE_OP_CREATE:
        return "created";
    case OKR__CHANGE_OP__CHANGE_OP_UPDATE:
        return "updated";
    case OKR__CHANGE_OP__CHANGE_OP_DELETE:
        return "deleted";
    case OKR__CHANGE_OP__CHANGE_OP_ARCHIVE:
        return "archived";
    case OKR__CHANGE_OP__CHANGE_OP_CLOSE:
        return "closed";
    default:
        return "changed";
    }
}

static const char *watch__op_name(Okr__ChangeOp op)
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
        return "unspecified";
    }
}

static const char *watch__kind_name(Okr__EntityKind kind)
{
    switch (kind) {
    case OKR__ENTITY_KIND__ENTITY_KIND_USER:
        return "user";
    case OKR__ENTITY_KIND__ENTITY_KIND_TEAM:
        return "team";
    case OKR__ENTITY_KIND__ENTITY_KIND_CYCLE:
        return "cycle";
    case OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE:
        return "objective";
    case OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT:
        return "key_result";
    case OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN:
        return "checkin";
    case OKR__ENTITY_KIND__ENTITY_KIND_TASK:
        return "task";
    case OKR__ENTITY_KIND__ENTITY_KIND_COMMENT:
        return "comment";
    default:
        return "unspecified";
    }
}

static const char *watch__task_state(Okr__TaskState s)
{
    switch (s) {
    case OKR__TASK_STATE__TASK_STATE_TODO:
        return "to do";
    case OKR__TASK_STATE__TASK_STATE_DOING:
        return "doing";
    case OKR__TASK_STATE__TASK_STATE_DONE:
        return "done";
    default:
        return "?";
    }
}

/* ---------------------------------------------------------------- one line */

/* A line being built; appends are cut at its end. */
typedef struct line {
    char buf[WATCH_LINE_MAX];
    size_t used;
} line_t;

__attribute__((format(printf, 2, 3))) static void line__add(line_t *l, const char *fmt, ...)
{
    if (l->used >= sizeof l->buf - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->buf + l->used, sizeof l->buf - l->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->used += (size_t)n < sizeof l->buf - l->used ? (size_t)n : sizeof l->buf - 1 - l->used;
}

/* Appends "\"title\"" sanitized and cut to width columns. */
static void line__quoted(line_t *l, const char *s, size_t width)
{
    char *safe = okr_cli_sanitize(s, 0);
    char cut[512];
    okr_render_truncate(safe ? safe : "", width, cut, sizeof cut);
    line__add(l, "\"%s\"", cut);
    free(safe);
}

static void line__name(line_t *l, const char *s)
{
    char *safe = okr_cli_sanitize(s, 0);
    line__add(l, "%s", safe ? safe : "?");
    free(safe);
}

/* "verb " or nothing for a snapshot's state line. */
static void line__verb(line_t *l, const char *verb)
{
    if (verb)
        line__add(l, "%s ", verb);
}

static void watch__ref(line_t *l, okr_ref_kind_t kind, uint64_t id)
{
    char ref[32];
    line__add(l, "%s", okr_ref_format(kind, id, ref, sizeof ref));
}

static void watch__checkin(line_t *l, const Okr__Change *ch)
{
    const Okr__CheckIn *ci = ch->checkin;
    const Okr__KeyResult *kr = ch->key_result_after;
    line__add(l, "checked in ");
    watch__ref(l, OKR_REF_KEY_RESULT, ci ? ci->key_result_id : kr ? kr->id : 0);
    if (kr) {
        line__add(l, " ");
        line__quoted(l, kr->title, WATCH_TITLE_W);
    }
    if (!ci)
        return;
    char value[128];
    if (kr)
        okr_render_value(kr, ci->value, value, sizeof value);
    else
        snprintf(value, sizeof value, "%g", ci->value);
    line__add(l, ": %s (%d%%)", value, okr_render_pct(kr ? kr->progress : ci->progress));
    if (ci->has_confidence)
        line__add(l, ", confidence %u/10", (unsigned)ci->confidence);
    char when[64];
    if (okr_cli_checkin_dated(ci, when, sizeof when))
        line__add(l, ", dated %s", when);
}

static void watch__key_result(line_t *l, const Okr__Change *ch, const char *verb)
{
    const Okr__KeyResult *kr = ch->key_result;
    line__verb(l, verb);
    watch__ref(l, OKR_REF_KEY_RESULT, kr ? kr->id : ch->entity_id);
    if (!kr)
        return;
    line__add(l, " ");
    line__quoted(l, kr->title, WATCH_TITLE_W);
    char buf[256];
    if (ch->op == OKR__CHANGE_OP__CHANGE_OP_CREATE)
        line__add(l, ": %s", okr_kit_span(kr, kr->start, kr->target, buf, sizeof buf));
    else if (ch->op != OKR__CHANGE_OP__CHANGE_OP_DELETE)
        line__add(l, ": %s (%d%%)", okr_render_value(kr, kr->current, buf, sizeof buf),
                  okr_render_pct(kr->progress));
}

static void watch__objective(line_t *l, const Okr__Change *ch, const char *verb)
{
    const Okr__Objective *o = ch->objective;
    line__verb(l, verb);
    watch__ref(l, OKR_REF_OBJECTIVE, o ? o->id : ch->entity_id);
    if (!o)
        return;
    line__add(l, " ");
    line__quoted(l, o->title, WATCH_TITLE_W);
    if (ch->op != OKR__CHANGE_OP__CHANGE_OP_DELETE)
        line__add(l, " (%d%%)", okr_render_pct(o->progress));
}

static void watch__task(line_t *l, const Okr__Change *ch, const char *verb)
{
    const Okr__Task *t = ch->task;
    line__verb(l, verb);
    line__add(l, "task ");
    watch__ref(l, OKR_REF_TASK, t ? t->id : ch->entity_id);
    if (!t)
        return;
    line__add(l, " ");
    line__quoted(l, t->title, WATCH_TITLE_W);
    line__add(l, " on ");
    watch__ref(l, OKR_REF_KEY_RESULT, t->key_result_id);
    if (ch->op != OKR__CHANGE_OP__CHANGE_OP_DELETE)
        line__add(l, " (%s)", watch__task_state(t->state));
}

static void watch__comment(okr_cli_t *cli, line_t *l, const Okr__Change *ch, const char *verb)
{
    const Okr__Comment *c = ch->comment;
    if (!c) {
        line__verb(l, verb);
        line__add(l, "comment %llu", (unsigned long long)ch->entity_id);
        return;
    }
    int kudos = c->kind == OKR__COMMENT_KIND__COMMENT_KIND_KUDOS;
    line__add(l, "%s", kudos ? "gave kudos" : "commented");
    if (kudos && c->to_user_id && cli->client) {
        line__add(l, " to ");
        line__name(l, okr_ref_username(cli, c->to_user_id));
    }
    line__add(l, " on ");
    if (c->objective_id)
        watch__ref(l, OKR_REF_OBJECTIVE, c->objective_id);
    else
        watch__ref(l, OKR_REF_KEY_RESULT, c->key_result_id);
    line__add(l, ": ");
    line__quoted(l, c->body, WATCH_BODY_W);
}

/* Team, cycle, user: "updated team Sales". */
static void watch__named(line_t *l, const Okr__Change *ch, const char *verb)
{
    line__verb(l, verb);
    line__add(l, "%s ", watch__kind_name(ch->kind));
    const char *name = NULL;
    if (ch->kind == OKR__ENTITY_KIND__ENTITY_KIND_TEAM && ch->team)
        name = ch->team->name;
    else if (ch->kind == OKR__ENTITY_KIND__ENTITY_KIND_CYCLE && ch->cycle)
        name = ch->cycle->name;
    else if (ch->kind == OKR__ENTITY_KIND__ENTITY_KIND_USER && ch->user)
        name = ch->user->username;
    if (name)
        line__name(l, name);
    else
        line__add(l, "#%llu", (unsigned long long)ch->entity_id);
    if (ch->kind == OKR__ENTITY_KIND__ENTITY_KIND_CYCLE && ch->cycle &&
        ch->op == OKR__CHANGE_OP__CHANGE_OP_UPDATE)
        line__add(l, " (%s)", okr_kit_cycle_state_name(ch->cycle->state));
}

/* What changed, with its new value. verb NULL: a snapshot's state. */
static void watch__what(okr_cli_t *cli, line_t *l, const Okr__Change *ch, const char *verb)
{
    switch (ch->kind) {
    case OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN:
        watch__checkin(l, ch);
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT:
        watch__key_result(l, ch, verb);
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE:
        watch__objective(l, ch, verb);
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_TASK:
        watch__task(l, ch, verb);
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_COMMENT:
        watch__comment(cli, l, ch, verb);
        break;
    default:
        watch__named(l, ch, verb);
        break;
    }
}

/* "  O3 61% → O1 47%": the objectives the change moved, nearest first. An
 * objective's own figure is on the line already: its chain starts at its
 * parent ("  → O1 47%"). */
static void watch__ancestors(line_t *l, const Okr__Change *ch)
{
    size_t first = 0;
    if (ch->kind == OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE && ch->n_ancestors > 0 &&
        ch->ancestors[0]->objective_id == ch->entity_id)
        first = 1;
    size_t end =
        ch->n_ancestors < first + WATCH_ANCESTORS ? ch->n_ancestors : first + WATCH_ANCESTORS;
    for (size_t i = first; i < end; i++) {
        line__add(l, "%s", i == 0 ? "  " : i == first ? "  \u2192 " : " \u2192 ");
        watch__ref(l, OKR_REF_OBJECTIVE, ch->ancestors[i]->objective_id);
        line__add(l, " %d%%", okr_render_pct(ch->ancestors[i]->progress));
    }
    if (ch->n_ancestors > end)
        line__add(l, " \u2192 \u2026");
}

/* "10:42:07", or "2026-03-02 10:42:07" when not today. */
static void watch__time(int64_t ms, char *buf, size_t len)
{
    if (ms <= 0)
        ms = okr_wall_ms();
    time_t t = (time_t)(ms / 1000), now = time(NULL);
    struct tm tm, today;
    if (!localtime_r(&t, &tm) || !localtime_r(&now, &today)) {
        snprintf(buf, len, "?");
        return;
    }
    int same_day = tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday;
    if (strftime(buf, len, same_day ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, len, "?");
}

/* The actor's user name, or "#id" when it cannot be looked up now. */
static void watch__actor(okr_cli_t *cli, uint64_t id, char *buf, size_t len)
{
    if (id == 0) {
        snprintf(buf, len, "okrd");
        return;
    }
    const char *name = cli->client ? okr_ref_username(cli, id) : "?";
    if (strcmp(name, "?") == 0) {
        snprintf(buf, len, "#%llu", (unsigned long long)id);
        return;
    }
    char *safe = okr_cli_sanitize(name, 0);
    snprintf(buf, len, "%s", safe ? safe : "?");
    free(safe);
}

static void watch__text(watch_t *w, const Okr__Event *ev)
{
    const Okr__Change *ch = ev->change;
    char when[64], who[128];
    watch__time(ch->time, when, sizeof when);
    /* A snapshot holds the state of each entity (no actor, no time: shown
     * as "(now)") and the scope's recent check-ins and comments, which are
     * shown like any change. */
    int state = ev->snapshot && ch->actor_id == 0 && ch->time == 0;
    if (state)
        snprintf(who, sizeof who, "(now)");
    else
        watch__actor(w->cli, ch->actor_id, who, sizeof who);
    line_t l = {.used = 0};
    line__add(&l, "%s  %s  ", when, who);
    watch__what(w->cli, &l, ch, state ? NULL : watch__op_verb(ch->op));
    watch__ancestors(&l, ch);
    printf("%s\n", l.buf);
}

/* ---------------------------------------------------------------- JSON */

static json_t *watch__entity_json(const Okr__Change *ch)
{
    switch (ch->entity_case) {
    case OKR__CHANGE__ENTITY_USER:
        return okr_cli_user_json(ch->user);
    case OKR__CHANGE__ENTITY_TEAM:
        return okr_json_team(ch->team);
    case OKR__CHANGE__ENTITY_CYCLE:
        return okr_json_cycle(ch->cycle);
    case OKR__CHANGE__ENTITY_OBJECTIVE:
        return okr_json_objective(ch->objective);
    case OKR__CHANGE__ENTITY_KEY_RESULT:
        return okr_json_key_result(ch->key_result);
    case OKR__CHANGE__ENTITY_CHECKIN:
        return okr_json_checkin(ch->checkin);
    case OKR__CHANGE__ENTITY_TASK:
        return okr_json_task(ch->task);
    case OKR__CHANGE__ENTITY_COMMENT:
        return okr_json_comment(ch->comment);
    default:
        return json_null();
    }
}

/* Sets key to value (taking it); -1 if value is NULL or the set fails. */
static int watch__set(json_t *obj, const char *key, json_t *value)
{
    return value && json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

static json_t *watch__event_json(watch_t *w, const Okr__Event *ev)
{
    const Okr__Change *ch = ev->change;
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = watch__set(j, "seq", json_integer((json_int_t)ev->seq));
    if (ch) {
        char who[128];
        watch__actor(w->cli, ch->actor_id, who, sizeof who);
        json_t *anc = json_array();
        for (size_t i = 0; anc && i < ch->n_ancestors; i++)
            if (json_array_append_new(anc, okr_json_progress_update(ch->ancestors[i])) != 0)
                bad = -1;
        bad |= watch__set(j, "time", json_integer((json_int_t)ch->time));
        bad |= watch__set(j, "actor_id", json_integer((json_int_t)ch->actor_id));
        /* A snapshot's state of an entity has no actor. */
        bad |= watch__set(j, "actor",
                          ev->snapshot && ch->actor_id == 0 ? json_null() : json_string(who));
        bad |= watch__set(j, "op", json_string(watch__op_name(ch->op)));
        bad |= watch__set(j, "kind", json_string(watch__kind_name(ch->kind)));
        bad |= watch__set(j, "entity_id", json_integer((json_int_t)ch->entity_id));
        bad |= watch__set(j, "entity", watch__entity_json(ch));
        bad |= watch__set(j, "ancestors", anc);
        if (ch->key_result_after)
            bad |= watch__set(j, "key_result_after", okr_json_key_result(ch->key_result_after));
    }
    if (ev->snapshot)
        bad |= watch__set(j, "snapshot", json_true());
    if (ev->snapshot_done)
        bad |= watch__set(j, "snapshot_done", json_true());
    if (bad) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static void watch__json(watch_t *w, const Okr__Event *ev)
{
    json_t *j = watch__event_json(w, ev);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (text)
        printf("%s\n", text);
    else
        fprintf(stderr, "okr: out of memory: change %llu not shown\n", (unsigned long long)ev->seq);
    free(text);
    json_decref(j);
}

/* ---------------------------------------------------------------- callbacks */

static void watch__on_event(void *arg, const Okr__Event *ev)
{
    watch_t *w = arg;
    if ((w->count && w->printed >= w->count) || w->output_closed)
        return;
    w->any_event = 1;
    /* Lookups (names for ids) go over the live connection. */
    w->cli->client = okr_live_client(w->live);
    if (!ev->change) {
        if (ev->snapshot_done) {
            if (w->cli->json)
                watch__json(w, ev);
            else
                fprintf(stderr, "okr: that was the state as of change %llu; changes follow\n",
                        (unsigned long long)ev->seq);
        }
    } else {
        if (w->cli->json)
            watch__json(w, ev);
        else
            watch__text(w, ev);
        if (!ev->snapshot) /* --count counts changes; a snapshot is shown whole */
            w->printed++;
    }
    w->cli->client = NULL;
    if (fflush(stdout) != 0 || ferror(stdout))
        w->output_closed = 1;
}

/* "12 s", "3 min", "2 h 5 min". */
static void watch__ago(uint64_t ms, char *buf, size_t len)
{
    uint64_t s = ms / 1000;
    if (s < 120)
        snprintf(buf, len, "%llu s", (unsigned long long)s);
    else if (s < 7200)
        snprintf(buf, len, "%llu min", (unsigned long long)(s / 60));
    else
        snprintf(buf, len, "%llu h %llu min", (unsigned long long)(s / 3600),
                 (unsigned long long)(s % 3600 / 60));
}

/* The first line of detail, sanitized, for one stderr line. */
static void watch__first_line(const char *detail, char *buf, size_t len)
{
    char *safe = okr_cli_sanitize(detail ? detail : "", 0);
    snprintf(buf, len, "%s", safe ? safe : "");
    free(safe);
    buf[strcspn(buf, "\n")] = '\0';
}

static void watch__on_state(void *arg, okr_live_state_t st, const char *detail,
                            uint64_t ms_since_last_event)
{
    watch_t *w = arg;
    char why[WATCH_DETAIL_MAX], ago[64];
    watch__first_line(detail, why, sizeof why);
    watch__ago(ms_since_last_event, ago, sizeof ago);
    uint64_t seq = okr_live_last_seq(w->live);
    if (w->cli->json) {
        json_t *j = st == OKR_LIVE_CONNECTED
                        ? json_pack("{s:s, s:I}", "state", "connected", "resumed_after_seq",
                                    (json_int_t)seq)
                        : json_pack("{s:s, s:I, s:s}", "state", "reconnecting", "last_event_ms_ago",
                                    (json_int_t)ms_since_last_event, "detail", why);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (text)
            fprintf(stderr, "%s\n", text);
        free(text);
        json_decref(j);
        return;
    }
    if (st == OKR_LIVE_CONNECTED) {
        fprintf(stderr, "okr: connected again; resumed after change %llu\n",
                (unsigned long long)seq);
        w->said[0] = '\0';
        return;
    }
    /* One line when the link goes down, then one when the reason changes or
     * every WATCH_SAY_MS: the retries themselves are not news. */
    uint64_t now = okr_mono_ms();
    if (strcmp(why, w->said) == 0 && now < w->said_at + WATCH_SAY_MS)
        return;
    snprintf(w->said, sizeof w->said, "%s", why);
    w->said_at = now;
    if (w->any_event)
        fprintf(stderr, "okr: reconnecting\u2026 (last event %s ago)%s%s\n", ago,
                why[0] ? ": " : "", why);
    else
        fprintf(stderr, "okr: reconnecting\u2026 (no event yet)%s%s\n", why[0] ? ": " : "", why);
}

/* ---------------------------------------------------------------- running */

/* Turns an error that ended the live connection into an exit code. */
static int watch__fatal(okr_cli_t *cli, int rc, const char *msg)
{
    if (rc == OKR_E_UNAUTHENTICATED)
        return okr_cli_fail(cli, OKR_EXIT_AUTH, "UNAUTHENTICATED",
                            "%s\nThe session expired or was revoked — run: okr login", msg);
    return okr_cli_fail_err(cli, rc, "%s", msg);
}

static int watch__open(okr_cli_t *cli, watch_t *w, const Okr__Scope *scope, uint64_t since)
{
    okr_live_opts_t opts = {
        .conn =
            {
                .host = cli->host,
                .port = cli->port,
                .ca_file = cli->ca_file,
                .trust_new = cli->trust_new,
                .timeout_ms = cli->timeout_ms,
                .client_name = "okr " OKR_VERSION " watch",
            },
        .token = cli->session.token,
        .on_event = watch__on_event,
        .on_state = watch__on_state,
        .arg = w,
    };
    char err[4096];
    int rc = okr_live_new(&w->live, &opts, err, sizeof err);
    if (rc)
        return watch__fatal(cli, rc, err);
    rc = okr_live_subscribe(w->live, scope, since);
    if (rc)
        return watch__fatal(cli, rc, okr_live_error(w->live));
    return 0;
}

static int watch__loop(okr_cli_t *cli, watch_t *w, uint64_t for_ms)
{
    uint64_t end = for_ms ? okr_mono_ms() + for_ms : 0;
    while (!watch_stop && !w->output_closed && !(w->count && w->printed >= w->count)) {
        uint32_t slice = WATCH_SLICE_MS;
        if (end) {
            uint64_t now = okr_mono_ms();
            if (now >= end)
                break;
            if (end - now < slice)
                slice = (uint32_t)(end - now);
        }
        int rc = okr_live_run(w->live, slice);
        if (rc)
            return watch__fatal(cli, rc, okr_live_error(w->live));
    }
    return OKR_EXIT_OK;
}

int okr_cmd_watch(okr_cli_t *cli, int argc, char **argv)
{
    cli->command = "watch";
    cli->usage = watch_usage;
    watch_opts_t o = {0};
    int rc = watch__parse(cli, argc, argv, &o);
    if (rc >= 0)
        return rc;
    if ((rc = okr_cli_connect_auth(cli)) != 0)
        return rc;
    Okr__Scope scope = OKR__SCOPE__INIT;
    char what[256];
    if ((rc = watch__scope(cli, &o, &scope, what, sizeof what)) != 0)
        return rc;

    watch_t w = {.cli = cli, .count = o.count};
    rc = watch__open(cli, &w, &scope, o.since);
    /* The first connection was for names only: the live one takes over. */
    okr_client_free(cli->client);
    cli->client = NULL;
    if (rc) {
        okr_live_free(w.live);
        return rc;
    }
    if (!cli->json) {
        char *safe = okr_cli_sanitize(what, 0);
        fprintf(stderr, "okr: watching %s on %s (Ctrl-C to stop)\n", safe ? safe : what,
                cli->server);
        free(safe);
    }

    /* Ctrl-C ends the watch with 0; a second one (SA_RESETHAND) kills at
     * once, should the first come while a reconnect attempt is blocking. */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watch__on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    watch_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    rc = watch__loop(cli, &w, o.for_ms);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    okr_live_free(w.live);
    return rc;
}
