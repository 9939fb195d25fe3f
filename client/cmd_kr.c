/* cmd_kr.c — okr kr add, list, show, edit and rm: the key results that
 * measure an objective. Check-ins themselves are `okr checkin`. */
#include "cmd_kit.h"
#include "trend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

enum {
    OPT_TARGET = OKR_OPT_FIRST_COMMAND_OPT,
    OPT_START,
    OPT_METRIC,
    OPT_UNIT,
    OPT_WEIGHT,
    OPT_OWNER,
    OPT_LINK,
    OPT_NO_LINK,
    OPT_DUE,
    OPT_NO_DUE,
    OPT_TITLE,
};

#define KR_SHOW_CHECKINS 10

static const char kr_usage[] =
    "Usage: okr kr COMMAND [ARGS]\n"
    "\n"
    "Manages key results: the 3 to 5 measurable results that say an objective\n"
    "is reached. Progress = (current - start) / (target - start), so a target\n"
    "below the start means \"lower is better\". Key results are named by their\n"
    "id, like K34; check in with 'okr checkin'.\n"
    "\n"
    "Commands:\n"
    "  add O TITLE --target N [--start N] [--metric M] [--unit U] [--weight W]\n"
    "      [--owner USER] [--link O] [--due DATE]\n"
    "                          add a key result to objective O\n"
    "  list O                  the key results of objective O\n"
    "  show K                  a key result and its last check-ins\n"
    "  edit K [...]            change a key result\n"
    "  rm K                    delete a key result\n"
    "\n"
    "Examples:\n"
    "  okr kr add O12 \"Reach 200 paying customers\" --target 200 --unit customers\n"
    "  okr kr add O12 \"Cut p95 latency\" --start 800 --target 200 --unit ms\n"
    "  okr kr add O12 \"Launch in Japan\" --metric boolean\n"
    "  okr kr show K34\n";

static const char add_usage[] =
    "Usage: okr kr add O TITLE --target N [--start N] [--metric M] [--unit U]\n"
    "                  [--weight W] [--owner USER] [--link O] [--due DATE]\n"
    "\n"
    "Adds a key result to objective O. It starts at its start value. An\n"
    "objective is best measured by 3-5 key results; the server allows at most\n"
    "max_key_results_per_objective (25 unless its administrator set another).\n"
    "\n"
    "Options:\n"
    "  --target N       the value that means done (not needed for boolean)\n"
    "  --start N        the value today (default 0); a target below it means\n"
    "                   lower is better\n"
    "  --metric M       number (default), percent, currency or boolean (done or\n"
    "                   not: start 0, target 1)\n"
    "  --unit U         shown with the values: customers, ms, USD, $\n"
    "  --weight W       its weight in the objective's progress (default 1)\n"
    "  --owner USER     who checks in on it (default: the objective's owner, or\n"
    "                   you for a team's objective)\n"
    "  --link O         take the progress of objective O (aligned to this one)\n"
    "                   instead of check-ins\n"
    "  --due DATE       when it is due (default: the end of the cycle)\n"
    "\n"
    "Examples:\n"
    "  okr kr add O12 \"Reach 200 paying customers\" --target 200 --unit customers\n"
    "  okr kr add O12 \"月活跃用户达到 5 万\" --target 50000 --owner bob\n"
    "  okr kr add O12 \"Raise NPS to 50\" --start 32 --target 50 --weight 2\n"
    "  okr kr add O12 \"Revenue\" --metric currency --unit $ --target 1200000\n"
    "  okr kr add O3 \"Sales wins APAC\" --link O12 --target 1\n";

static const char list_usage[] = "Usage: okr kr list O\n"
                                 "\n"
                                 "Lists the key results of objective O: figures, progress, "
                                 "confidence, last\n"
                                 "check-in and owner.\n"
                                 "\n"
                                 "Examples:\n"
                                 "  okr kr list O12\n"
                                 "  okr kr list O12 --json\n";

static const char show_usage[] = "Usage: okr kr show K\n"
                                 "\n"
                                 "Shows a key result and its last 10 check-ins (newest first).\n"
                                 "\n"
                                 "Examples:\n"
                                 "  okr kr show K34\n"
                                 "  okr kr show K34 --json\n";

static const char edit_usage[] =
    "Usage: okr kr edit K [--title T] [--metric M] [--unit U] [--start N]\n"
    "                     [--target N] [--weight W] [--owner USER]\n"
    "                     [--link O | --no-link]\n"
    "                     [--due DATE | --no-due]\n"
    "\n"
    "Changes a key result; only what is given changes. Its current value is\n"
    "changed by check-ins (okr checkin), not here.\n"
    "\n"
    "Options:\n"
    "  --title TITLE    a new title\n"
    "  --metric M       number, percent, currency or boolean\n"
    "  --unit U         the unit shown with the values\n"
    "  --start N        the start value\n"
    "  --target N       the target value\n"
    "  --weight W       its weight in the objective's progress\n"
    "  --owner USER     who checks in on it\n"
    "  --link O         take the progress of objective O\n"
    "  --no-link        measure it by check-ins again\n"
    "  --due DATE       when it is due\n"
    "  --no-due         due at the end of the cycle\n"
    "\n"
    "Examples:\n"
    "  okr kr edit K34 --target 250\n"
    "  okr kr edit K34 --owner carol --due 2026-03-15\n";

static const char rm_usage[] = "Usage: okr kr rm K\n"
                               "\n"
                               "Deletes a key result. Its objective's progress is recomputed "
                               "without it.\n"
                               "\n"
                               "Example:\n"
                               "  okr kr rm K34\n";

/* ---------------------------------------------------------------- options */

typedef struct kr_opts {
    const char *target, *start, *metric, *unit, *weight, *owner, *link, *due, *title;
    int no_link, no_due;
} kr_opts_t;

static int kr__opt(okr_cli_t *cli, int opt, void *arg)
{
    kr_opts_t *o = arg;
    switch (opt) {
    case OPT_TARGET:
        o->target = optarg;
        return -1;
    case OPT_START:
        o->start = optarg;
        return -1;
    case OPT_METRIC:
        o->metric = optarg;
        return -1;
    case OPT_UNIT:
        o->unit = optarg;
        return -1;
    case OPT_WEIGHT:
        o->weight = optarg;
        return -1;
    case OPT_OWNER:
        o->owner = optarg;
        return -1;
    case OPT_LINK:
        o->link = optarg;
        return -1;
    case OPT_NO_LINK:
        o->no_link = 1;
        return -1;
    case OPT_DUE:
        o->due = optarg;
        return -1;
    case OPT_NO_DUE:
        o->no_due = 1;
        return -1;
    case OPT_TITLE:
        o->title = optarg;
        return -1;
    }
    (void)cli;
    return OKR_EXIT_USAGE;
}

/* The figures given on the command line, parsed. */
typedef struct kr_figures {
    double target, start, weight;
    Okr__Metric metric;
    uint64_t link;
    int64_t due;
} kr_figures_t;

/* Parses the numeric and reference options (no server needed). -1 to go
 * on, else an exit code. */
static int kr__parse_figures(okr_cli_t *cli, const kr_opts_t *o, kr_figures_t *f)
{
    if (o->target && okr_kit_parse_number(o->target, &f->target) != 0)
        return okr_cli_usage_error(cli, "--target takes a number, not '%s'", o->target);
    if (o->start && okr_kit_parse_number(o->start, &f->start) != 0)
        return okr_cli_usage_error(cli, "--start takes a number, not '%s'", o->start);
    if (o->weight && (okr_kit_parse_number(o->weight, &f->weight) != 0 || f->weight <= 0))
        return okr_cli_usage_error(cli, "--weight takes a number above 0, not '%s'", o->weight);
    if (o->metric && okr_kit_parse_metric(o->metric, &f->metric) != 0)
        return okr_cli_usage_error(
            cli, "--metric is number, percent, currency or boolean, not '%s'", o->metric);
    if (o->link && o->no_link)
        return okr_cli_usage_error(cli, "give --link or --no-link, not both");
    if (o->due && o->no_due)
        return okr_cli_usage_error(cli, "give --due or --no-due, not both");
    int rc;
    if (o->link && (rc = okr_kit_ref(cli, o->link, OKR_REF_OBJECTIVE, &f->link)) >= 0)
        return rc;
    if (o->due && (rc = okr_kit_date_opt(cli, "--due", o->due, 1, &f->due)) >= 0)
        return rc;
    return -1;
}

/* ---------------------------------------------------------------- output */

/* 'Added K34 to O12: "Title" (0 -> 200 customers).' */
static void kr__say(const char *verb, const Okr__KeyResult *kr)
{
    char ref[32], oref[32], span[300];
    printf("%s %s", verb, okr_ref_format(OKR_REF_KEY_RESULT, kr->id, ref, sizeof ref));
    printf(" of %s: \"", okr_ref_format(OKR_REF_OBJECTIVE, kr->objective_id, oref, sizeof oref));
    okr_kit_puts(kr->title);
    printf("\" (");
    okr_kit_puts(okr_kit_span(kr, kr->start, kr->target, span, sizeof span));
    printf(")\n");
}

/* Prints a key result's fields for people (kr show). A key result linked to
 * an objective has no figures or check-ins of its own: it shows the linked
 * objective (linked, when it could be read) and takes its status. */
static void kr__print_fields(okr_cli_t *cli, const Okr__KeyResult *kr,
                             const Okr__ObjectiveDetail *parent, const Okr__ObjectiveDetail *linked)
{
    char ref[32], buf[1024], a[128], b[128], bar[256];
    printf("%s  ", okr_ref_format(OKR_REF_KEY_RESULT, kr->id, ref, sizeof ref));
    okr_kit_puts(kr->title);
    printf("%s\n", kr->archived ? "  [archived]" : "");
    okr_ref_format(OKR_REF_OBJECTIVE, kr->objective_id, ref, sizeof ref);
    if (parent && parent->objective) {
        snprintf(buf, sizeof buf, "%s %s", ref, parent->objective->title);
        okr_kit_field("objective", buf);
    } else {
        okr_kit_field("objective", ref);
    }
    okr_kit_field("owner", okr_ref_username(cli, kr->owner_user_id));
    if (kr->linked_objective_id) {
        okr_ref_format(OKR_REF_OBJECTIVE, kr->linked_objective_id, ref, sizeof ref);
        snprintf(buf, sizeof buf, "%s%s%s (its progress is this key result's)", ref,
                 linked && linked->objective ? " " : "",
                 linked && linked->objective ? linked->objective->title : "");
        okr_kit_field("linked", buf);
    } else {
        snprintf(buf, sizeof buf, "%s%s%s%s", okr_kit_metric_name(kr->metric),
                 kr->unit && kr->unit[0] ? " (" : "", kr->unit ? kr->unit : "",
                 kr->unit && kr->unit[0] ? ")" : "");
        okr_kit_field("metric", buf);
        okr_kit_figures(kr, buf, sizeof buf);
        size_t used = strlen(buf);
        snprintf(buf + used, sizeof buf - used, "  (start %s%s)",
                 okr_render_value(kr, kr->start, a, sizeof a),
                 kr->target < kr->start ? ", lower is better" : "");
        okr_kit_field("figures", buf);
    }
    /* the status of a key result: its progress against the objective's pace,
     * or the linked objective's own status (which counts its confidences) */
    Okr__ProgressStatus status = OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED;
    if (kr->linked_objective_id && linked && linked->objective)
        status = linked->objective->status;
    else if (parent && isfinite(parent->expected))
        status = okr_progress_status(kr->progress, parent->expected,
                                     kr->has_confidence ? (int)kr->confidence : -1);
    char st[64];
    printf("  %-13s%s", "progress", okr_render_bar(kr->progress, 20, status, bar, sizeof bar));
    if (status != OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED && parent &&
        isfinite(parent->expected))
        printf("  expected %d%%", okr_render_pct(parent->expected));
    if (status != OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED)
        printf("  %s", okr_render_status(status, st, sizeof st));
    printf("\n");
    snprintf(buf, sizeof buf, "%g", kr->weight > 0 ? kr->weight : 1.0);
    okr_kit_field("weight", buf);
    if (kr->has_confidence) {
        snprintf(buf, sizeof buf, "%u/10", kr->confidence);
        okr_kit_field("confidence", buf);
    }
    if (kr->last_checkin_at)
        snprintf(buf, sizeof buf, "%s (%s)",
                 okr_render_ago(kr->last_checkin_at, okr_wall_ms(), a, sizeof a),
                 okr_render_date(kr->last_checkin_at, b, sizeof b));
    else
        snprintf(buf, sizeof buf, "never");
    if (!kr->linked_objective_id || kr->last_checkin_at)
        okr_kit_field("checked in", buf);
    okr_kit_field("due",
                  kr->due_at ? okr_render_date(kr->due_at, a, sizeof a) : "the end of the cycle");
}

/* ---------------------------------------------------------------- add */

static int kr__add(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"target", required_argument, NULL, OPT_TARGET},
                                             {"start", required_argument, NULL, OPT_START},
                                             {"metric", required_argument, NULL, OPT_METRIC},
                                             {"unit", required_argument, NULL, OPT_UNIT},
                                             {"weight", required_argument, NULL, OPT_WEIGHT},
                                             {"owner", required_argument, NULL, OPT_OWNER},
                                             {"link", required_argument, NULL, OPT_LINK},
                                             {"due", required_argument, NULL, OPT_DUE},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "kr add";
    cli->usage = add_usage;
    kr_opts_t o = {0};
    kr_figures_t f = {.metric = OKR__METRIC__METRIC_NUMBER, .weight = 1};
    Okr__KeyResult kr = OKR__KEY_RESULT__INIT;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, kr__opt, &o);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 2, 2, "the objective and a TITLE");
    if (rc < 0)
        rc = okr_kit_ref(cli, argv[optind], OKR_REF_OBJECTIVE, &kr.objective_id);
    if (rc < 0)
        rc = kr__parse_figures(cli, &o, &f);
    if (rc >= 0)
        return rc;
    if (f.metric == OKR__METRIC__METRIC_BOOLEAN) {
        /* done or not: 0 -> 1 unless said otherwise */
        if (!o.target)
            f.target = 1;
    } else if (!o.target && !o.link) {
        return okr_cli_usage_error(cli, "give the value that means done: --target N");
    } else if (o.link && !o.target) {
        f.target = 1;
    }
    if (f.target == f.start)
        return okr_cli_usage_error(cli, "a key result must be measurable: --target must differ "
                                        "from --start (default 0)");
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    kr.title = argv[optind + 1];
    kr.metric = f.metric;
    kr.unit = (char *)(o.unit ? o.unit : "");
    kr.start = f.start;
    kr.target = f.target;
    kr.current = f.start;
    kr.weight = f.weight;
    kr.linked_objective_id = f.link;
    kr.due_at = f.due;
    /* Without --owner, owner 0: the server gives it to the objective's owner
     * when a person owns it, else to the one adding it. Asking for neither
     * first lets the create go with Hello and the token. */
    if (o.owner && (rc = okr_ref_user(cli, o.owner, &kr.owner_user_id)) != 0)
        return rc;
    Okr__KeyResultCreateRequest c = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
    c.key_result = &kr;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_KEY_RESULT_CREATE;
    req.key_result_create = &c;
    Okr__Response *resp;
    char obj_ref[32];
    okr_ref_format(OKR_REF_OBJECTIVE, kr.objective_id, obj_ref, sizeof obj_ref);
    /* its only NOT_FOUND: the objective (an owner or link unknown is a bad request) */
    rc = okr_kit_answer(cli, 0, &req, OKR__RESPONSE__RESULT_KEY_RESULT, &resp, OKR_KIT_NO_OBJECTIVE,
                        obj_ref);
    if (rc)
        return rc;
    if (!resp->key_result) {
        okr__response__free_unpacked(resp, NULL);
        return okr_kit_no_result(cli, "key result");
    }
    if (cli->json) {
        okr_cli_print_json(okr_json_key_result(resp->key_result));
    } else {
        char ref[32];
        kr__say("Added", resp->key_result);
        printf("Check in on it every week: okr checkin %s VALUE\n",
               okr_ref_format(OKR_REF_KEY_RESULT, resp->key_result->id, ref, sizeof ref));
    }
    okr__response__free_unpacked(resp, NULL);
    return OKR_EXIT_OK;
}

/* ---------------------------------------------------------------- list */

static int kr__list(okr_cli_t *cli, int argc, char **argv)
{
    uint64_t id;
    int rc = okr_kit_begin_ref(cli, "kr list", list_usage, argc, argv, OKR_REF_OBJECTIVE,
                               "the objective (like O12)", &id);
    if (rc >= 0)
        return rc;
    /* The objective's detail has its live key results, the pace that
     * colours their bars and the status of the objectives they are linked
     * to: one request, and a clear "no objective O12". */
    Okr__Response *got;
    rc = okr_kit_get_objective_id(cli, id, &got);
    if (rc)
        return rc;
    const Okr__ObjectiveDetail *d = got->objective_detail;
    if (cli->json) {
        json_t *a = okr_json_key_results(d->key_results, d->n_key_results);
        if (!a)
            rc = okr_kit_nomem(cli);
        else
            okr_cli_print_json(json_pack("{s:o}", "key_results", a));
    } else if (d->n_key_results == 0) {
        char ref[32];
        printf("No key results yet. Add 3 to 5: okr kr add %s \"TITLE\" --target N\n",
               okr_ref_format(OKR_REF_OBJECTIVE, id, ref, sizeof ref));
    } else {
        rc = okr_kit_print_key_results(cli, d->key_results, d->n_key_results,
                                       isfinite(d->expected) ? d->expected : -1, d->linked,
                                       d->n_linked, NULL);
    }
    okr__response__free_unpacked(got, NULL);
    return rc;
}

/* ---------------------------------------------------------------- show */

/* The names kr show shows (the owner's, the authors' of the check-ins from
 * first on), asked for at once. */
static int kr__fetch_names(okr_cli_t *cli, const Okr__KeyResult *kr, const okr_kit_pages_t *cis,
                           size_t first)
{
    okr_ref_wanted_t w = {0};
    okr_ref_want_user(&w, kr->owner_user_id);
    for (size_t i = first; i < cis->n; i++)
        okr_ref_want_user(&w, ((const Okr__CheckIn *)cis->items[i])->author_id);
    return okr_ref_fetch_wanted(cli, &w);
}

static int kr__print_checkins(okr_cli_t *cli, const Okr__KeyResult *kr, const okr_kit_pages_t *cis,
                              size_t first)
{
    static const char *const header[] = {"ID", "DATE", "AUTHOR", "VALUE", "CONF", "NOTE"};
    okr_cli_table_t t;
    if (okr_cli_table_init(&t, 6, header) != 0)
        return okr_kit_nomem(cli);
    int rc = OKR_EXIT_OK;
    for (size_t i = cis->n; rc == OKR_EXIT_OK && i-- > first;) {
        const Okr__CheckIn *ci = cis->items[i];
        char id[32], date[32], value[128], conf[16], note[512];
        okr_ref_format(OKR_REF_CHECKIN, ci->id, id, sizeof id);
        okr_render_date(ci->time, date, sizeof date);
        okr_render_value(kr, ci->value, value, sizeof value);
        if (ci->has_confidence)
            snprintf(conf, sizeof conf, "%u/10", ci->confidence);
        else
            snprintf(conf, sizeof conf, "-");
        okr_render_truncate(ci->note, 50, note, sizeof note);
        /* one line per check-in: a note's line breaks become spaces */
        for (char *p = note; *p; p++)
            if (*p == '\n' || *p == '\r' || *p == '\t')
                *p = ' ';
        const char *row[] = {id, date, okr_ref_username(cli, ci->author_id), value, conf, note};
        if (okr_cli_table_add(&t, row) != 0)
            rc = okr_kit_nomem(cli);
    }
    if (!rc)
        okr_cli_table_print(&t, stdout);
    okr_cli_table_free(&t);
    return rc;
}

/* Key result id (its KeyResult in *resp) and all its check-ins. Both need
 * only the id, so both requests go at once (after okr_cli_connect_lazy, with
 * Hello and the token); the key result's answer is taken first, so that a
 * missing one is reported as such. 0, or an exit code (nothing to free). */
static int kr__get_with_checkins(okr_cli_t *cli, uint64_t id, Okr__Response **resp,
                                 okr_kit_pages_t *cis)
{
    Okr__KeyResultGetRequest get = OKR__KEY_RESULT_GET_REQUEST__INIT;
    get.id = id;
    Okr__Request kr_req = OKR__REQUEST__INIT;
    kr_req.op_case = OKR__REQUEST__OP_KEY_RESULT_GET;
    kr_req.key_result_get = &get;
    Okr__Page page = OKR__PAGE__INIT;
    Okr__CheckInListRequest lr = OKR__CHECK_IN_LIST_REQUEST__INIT;
    lr.key_result_id = id;
    lr.page = &page;
    Okr__Request list_req = OKR__REQUEST__INIT;
    list_req.op_case = OKR__REQUEST__OP_CHECKIN_LIST;
    list_req.checkin_list = &lr;
    uint64_t kr_sent, list_sent;
    int rc = okr_cli_send(cli, &kr_req, &kr_sent);
    if (rc == 0)
        rc = okr_cli_send(cli, &list_req, &list_sent);
    if (rc)
        return rc;
    char ref[32];
    okr_ref_format(OKR_REF_KEY_RESULT, id, ref, sizeof ref);
    rc = okr_kit_answer(cli, kr_sent, &kr_req, OKR__RESPONSE__RESULT_KEY_RESULT, resp,
                        OKR_KIT_NO_KEY_RESULT, ref);
    if (rc)
        return rc;
    rc = okr_kit_fetch_all_sent(cli, list_sent, &list_req, &page,
                                OKR__RESPONSE__RESULT_CHECKIN_LIST, cis);
    if (rc) {
        okr__response__free_unpacked(*resp, NULL);
        *resp = NULL;
    }
    return rc;
}

/* An objective read beside kr show's other requests: the key result's own
 * (its title and the cycle's pace) or the one it links to (its title and
 * status). Not essential: a refusal leaves resp NULL. */
typedef struct kr_objective {
    Okr__ObjectiveGetRequest get;
    Okr__Request req;
    uint64_t sent;
    int pending;
    Okr__Response *resp;
} kr_objective_t;

/* Sends the request for objective id (none for 0). */
static int kr__objective_send(okr_cli_t *cli, uint64_t id, kr_objective_t *o)
{
    okr__objective_get_request__init(&o->get);
    okr__request__init(&o->req);
    o->get.id = id;
    o->req.op_case = OKR__REQUEST__OP_OBJECTIVE_GET;
    o->req.objective_get = &o->get;
    o->resp = NULL;
    o->pending = 0;
    if (!id)
        return 0;
    int rc = okr_cli_send(cli, &o->req, &o->sent);
    o->pending = rc == 0;
    return rc;
}

/* 0 with the answer or a refusal, else the exit code (already said). */
static int kr__objective_take(okr_cli_t *cli, kr_objective_t *o)
{
    if (!o->pending)
        return 0;
    o->pending = 0;
    Okr__Status status;
    char msg[256];
    int rc = okr_kit_try_take(cli, o->sent, &o->req, OKR__RESPONSE__RESULT_OBJECTIVE_DETAIL,
                              &o->resp, &status, msg, sizeof msg);
    return rc < 0 ? 0 : rc;
}

static const Okr__ObjectiveDetail *kr__objective_detail(const kr_objective_t *o)
{
    return o->resp ? o->resp->objective_detail : NULL;
}

static void kr__objective_free(kr_objective_t *o)
{
    if (o->resp)
        okr__response__free_unpacked(o->resp, NULL);
    o->resp = NULL;
}

/* kr show for people: the fields, the trend, then the latest check-ins. */
static int kr__show_text(okr_cli_t *cli, const Okr__KeyResult *kr, const okr_kit_pages_t *cis,
                         size_t first)
{
    kr_objective_t parent, linked;
    okr_trend_t trend;
    const Okr__ObjectiveTrend *t = NULL;
    /* everything goes out at once: one round trip for all */
    int rc = kr__objective_send(cli, kr->objective_id, &parent);
    if (rc == 0)
        rc = kr__objective_send(cli, kr->linked_objective_id, &linked);
    else
        kr__objective_send(cli, 0, &linked);
    okr_trend_send(cli, kr->objective_id, &trend);
    if (rc == 0)
        rc = kr__fetch_names(cli, kr, cis, first);
    if (rc == 0)
        rc = kr__objective_take(cli, &parent);
    if (rc == 0)
        rc = kr__objective_take(cli, &linked);
    if (rc == 0)
        rc = okr_trend_take(cli, &trend, &t);
    if (rc == 0) {
        kr__print_fields(cli, kr, kr__objective_detail(&parent), kr__objective_detail(&linked));
        const Okr__KeyResultTrend *series = okr_trend_kr(t, kr->id);
        if (series)
            okr_trend_print(t, series->progress, series->n_progress);
        else
            okr_trend_print_busy(&trend);
    }
    okr_trend_free(&trend);
    kr__objective_free(&parent);
    kr__objective_free(&linked);
    if (rc > 0) /* the connection failed: already said */
        return rc;
    printf("\n");
    char ref[32];
    if (cis->n == 0 && kr->linked_objective_id) {
        printf("Its check-ins are those of %s's key results: okr obj show %s\n",
               okr_ref_format(OKR_REF_OBJECTIVE, kr->linked_objective_id, ref, sizeof ref), ref);
        return 0;
    }
    if (cis->n == 0) {
        printf("No check-ins yet: okr checkin %s VALUE\n",
               okr_ref_format(OKR_REF_KEY_RESULT, kr->id, ref, sizeof ref));
        return 0;
    }
    if (cis->n > KR_SHOW_CHECKINS)
        printf("Check-ins (the last %d of %zu, newest first):\n", KR_SHOW_CHECKINS, cis->n);
    else
        printf("Check-ins (newest first):\n");
    return kr__print_checkins(cli, kr, cis, first);
}

static int kr__show(okr_cli_t *cli, int argc, char **argv)
{
    uint64_t id;
    int rc = okr_kit_begin_ref(cli, "kr show", show_usage, argc, argv, OKR_REF_KEY_RESULT,
                               "the key result (like K34)", &id);
    if (rc >= 0)
        return rc;
    Okr__Response *resp;
    okr_kit_pages_t cis;
    rc = kr__get_with_checkins(cli, id, &resp, &cis);
    if (rc)
        return rc;
    const Okr__KeyResult *kr = resp->key_result;
    /* the list ascends by id, oldest first: the last ten are at the end */
    size_t first = cis.n > KR_SHOW_CHECKINS ? cis.n - KR_SHOW_CHECKINS : 0;
    if (cli->json) {
        json_t *a = json_array();
        for (size_t i = cis.n; a && i-- > first;)
            json_array_append_new(a, okr_json_checkin(cis.items[i]));
        json_t *j = a ? json_pack("{s:o, s:o, s:I}", "key_result", okr_json_key_result(kr),
                                  "checkins", a, "checkin_count", (json_int_t)cis.n)
                      : NULL;
        if (!j)
            rc = okr_kit_nomem(cli);
        else
            okr_cli_print_json(j);
    } else {
        rc = kr__show_text(cli, kr, &cis, first);
    }
    okr_kit_pages_free(&cis);
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* ---------------------------------------------------------------- edit */

static int kr__edit(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"title", required_argument, NULL, OPT_TITLE},
                                             {"target", required_argument, NULL, OPT_TARGET},
                                             {"start", required_argument, NULL, OPT_START},
                                             {"metric", required_argument, NULL, OPT_METRIC},
                                             {"unit", required_argument, NULL, OPT_UNIT},
                                             {"weight", required_argument, NULL, OPT_WEIGHT},
                                             {"owner", required_argument, NULL, OPT_OWNER},
                                             {"link", required_argument, NULL, OPT_LINK},
                                             {"no-link", no_argument, NULL, OPT_NO_LINK},
                                             {"due", required_argument, NULL, OPT_DUE},
                                             {"no-due", no_argument, NULL, OPT_NO_DUE},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "kr edit";
    cli->usage = edit_usage;
    kr_opts_t o = {0};
    kr_figures_t f = {0};
    uint64_t id;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, kr__opt, &o);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 1, 1, "the key result (like K34)");
    if (rc < 0)
        rc = okr_kit_ref(cli, argv[optind], OKR_REF_KEY_RESULT, &id);
    if (rc < 0)
        rc = kr__parse_figures(cli, &o, &f);
    if (rc >= 0)
        return rc;
    if (!o.title && !o.target && !o.start && !o.metric && !o.unit && !o.weight && !o.owner &&
        !o.link && !o.no_link && !o.due && !o.no_due)
        return okr_cli_usage_error(cli, "nothing to change: see okr kr edit --help");
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    uint64_t owner = 0;
    if (o.owner && (rc = okr_ref_user(cli, o.owner, &owner)) != 0)
        return rc;
    Okr__Response *resp;
    rc = okr_kit_get_key_result(cli, argv[optind], &resp);
    if (rc)
        return rc;
    Okr__KeyResult *kr = resp->key_result;
    char *old_title = kr->title, *old_unit = kr->unit;
    if (o.title)
        kr->title = (char *)o.title;
    if (o.unit)
        kr->unit = (char *)o.unit;
    if (o.metric)
        kr->metric = f.metric;
    if (o.start)
        kr->start = f.start;
    if (o.target)
        kr->target = f.target;
    if (o.weight)
        kr->weight = f.weight;
    if (o.owner)
        kr->owner_user_id = owner;
    if (o.link)
        kr->linked_objective_id = f.link;
    if (o.no_link)
        kr->linked_objective_id = 0;
    if (o.due)
        kr->due_at = f.due;
    if (o.no_due)
        kr->due_at = 0;
    if (kr->target == kr->start) {
        rc = okr_cli_usage_error(cli, "a key result must be measurable: the target would equal "
                                      "the start");
    } else {
        Okr__KeyResultUpdateRequest u = OKR__KEY_RESULT_UPDATE_REQUEST__INIT;
        u.key_result = kr; /* with the version read: the server checks it */
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_KEY_RESULT_UPDATE;
        req.key_result_update = &u;
        Okr__Response *upd;
        Okr__Status status = OKR__STATUS__STATUS_UNSPECIFIED;
        char msg[1024];
        rc = okr_kit_try_call(cli, &req, OKR__RESPONSE__RESULT_KEY_RESULT, &upd, &status, msg,
                              sizeof msg);
        if (rc < 0 && status == OKR__STATUS__STATUS_CONFLICT) {
            rc = okr_cli_fail(cli, OKR_EXIT_REFUSED, "CONFLICT",
                              "someone else changed %s since it was read (a check-in, maybe); "
                              "nothing was written. See it now with: okr kr show %s, then run "
                              "the edit again.",
                              argv[optind], argv[optind]);
        } else if (rc < 0) {
            rc = okr_kit_refused(cli, status, msg, NULL);
        } else if (rc == 0) {
            if (!upd->key_result)
                rc = okr_kit_no_result(cli, "key result");
            else if (cli->json)
                okr_cli_print_json(okr_json_key_result(upd->key_result));
            else
                kr__say("Updated", upd->key_result);
            okr__response__free_unpacked(upd, NULL);
        }
    }
    kr->title = old_title;
    kr->unit = old_unit;
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* ---------------------------------------------------------------- rm */

static int kr__rm(okr_cli_t *cli, int argc, char **argv)
{
    uint64_t id;
    int rc = okr_kit_begin_ref(cli, "kr rm", rm_usage, argc, argv, OKR_REF_KEY_RESULT,
                               "the key result (like K34)", &id);
    if (rc >= 0)
        return rc;
    Okr__Response *got;
    rc = okr_kit_get_key_result(cli, argv[optind], &got);
    if (rc)
        return rc;
    Okr__KeyResultDeleteRequest d = OKR__KEY_RESULT_DELETE_REQUEST__INIT;
    d.id = id;
    d.version = got->key_result->version;
    okr__response__free_unpacked(got, NULL);
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_KEY_RESULT_DELETE;
    req.key_result_delete = &d;
    Okr__Response *resp;
    rc = okr_kit_call_change(cli, &req, 0, &resp,
                             "Someone else changed it meanwhile: look (okr kr show), then run the "
                             "command again.");
    if (rc)
        return rc;
    char ref[32];
    okr_ref_format(OKR_REF_KEY_RESULT, id, ref, sizeof ref);
    if (cli->json)
        okr_cli_print_json(json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1));
    else
        printf("Deleted %s.\n", ref);
    okr__response__free_unpacked(resp, NULL);
    return OKR_EXIT_OK;
}

/* ---------------------------------------------------------------- dispatch */

int okr_cmd_kr(okr_cli_t *cli, int argc, char **argv)
{
    static const okr_kit_sub_t subs[] = {
        {"add", kr__add},   {"list", kr__list}, {"show", kr__show},
        {"edit", kr__edit}, {"rm", kr__rm},
    };
    return okr_kit_dispatch(cli, argc, argv, "kr", kr_usage, subs, sizeof subs / sizeof subs[0]);
}
