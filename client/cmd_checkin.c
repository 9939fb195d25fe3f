/* cmd_checkin.c — okr checkin: the weekly heartbeat of a key result.
 *
 * Meant to be typed every week, so it takes values the way people say them:
 * "42", "42%", "+5", "done". Only a plain number goes straight to the server;
 * the other forms read the key result first (one more round trip) to turn
 * them into the value to record. */
#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "checkin_round.h"
#include "checkin_value.h"
#include "clock.h"
#include "cmd_kit.h"
#include "json_out.h"
#include "okr_error.h"
#include "refs.h"
#include "render.h"
#include "validate.h"

enum { OPT_CONFIDENCE = OKR_OPT_FIRST_COMMAND_OPT, OPT_NOTE, OPT_AT, OPT_ALL, OPT_STALE };

#define CHECKIN_MAX_ANCESTORS 8

static const char checkin_usage[] =
    "Usage: okr checkin KR VALUE [--confidence N] [-m NOTE] [--at WHEN]\n"
    "       okr checkin --all [--stale] [--at WHEN]\n"
    "\n"
    "Records this week's value of a key result (a check-in), then shows its new\n"
    "progress and how its objective and the objectives above it moved.\n"
    "\n"
    "With --all, the weekly round: each of your key results in turn (of active\n"
    "cycles; linked ones move with their objective) is shown where it stands,\n"
    "then its new value, confidence and note are asked for and recorded at\n"
    "once. Enter skips a key result (or keeps its confidence), q ends the\n"
    "round. Without a terminal the answers are read from standard input, one\n"
    "per line in that order.\n"
    "\n"
    "VALUE is one of:\n"
    "  42          the new value\n"
    "  =-3         a negative value (a bare -3 means \"3 less than now\")\n"
    "  +5, -3      relative to the current value\n"
    "  42%         for a percent key result: 42 percent. For any other key\n"
    "              result: 42% of the way from its start to its target\n"
    "              (start 10, target 30: 42% is 18.4); +10% moves it a tenth\n"
    "              of that way further\n"
    "  done, yes   a yes/no key result is done (1); for any other key result\n"
    "              done means its target is reached\n"
    "  undone, no  a yes/no key result is not done (0)\n"
    "Thousands separators are accepted: 1,200 or 1_200.\n"
    "\n"
    "Options:\n"
    "  -c, --confidence N   how sure you are the target will be reached, 0 to 10\n"
    "                       (also 7/10); 3 or less marks the key result off track\n"
    "  -m, --note NOTE      what happened this week\n"
    "  --at WHEN            a check-in made late: when the value was true. A day\n"
    "                       (2026-03-27, yesterday, -3d) means as of its end; a\n"
    "                       moment is \"2026-03-27 17:00\" (local time). It must be\n"
    "                       in the cycle and not before the key result's latest\n"
    "                       check-in; okr history marks it with the time it was\n"
    "                       recorded\n"
    "  --all                the weekly round, over all your key results\n"
    "  --stale              with --all: only those without a recent check-in\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr checkin K34 42\n"
    "  okr checkin K34 +5 -c 8 -m \"two big deals closed\"\n"
    "  okr checkin K12 60%\n"
    "  okr checkin K7 done -m \"launched on Monday\"\n"
    "  okr checkin K34 38 --at yesterday -m \"Friday's figure, entered late\"\n"
    "  okr checkin K34 42 --json\n"
    "  okr checkin --all\n"
    "  okr checkin --all --stale --at -3d\n";

typedef struct checkin_opts {
    int has_confidence;
    uint32_t confidence;
    const char *note;
    int64_t at; /* --at: when the value was true; 0 = now */
    int all;    /* --all: the weekly round */
    int stale;  /* --stale: the round's stale key results only */
} checkin_opts_t;

/* ---------------------------------------------------------------- the key result's value */

/* The value to record for a VALUE that needs the key result. Returns 0, or
 * prints why it cannot be used and returns an exit code. */
static int checkin__resolve(okr_cli_t *cli, const Okr__KeyResult *kr, const char *ref,
                            const okr_checkin_value_t *val, double *out)
{
    char why[256];
    if (kr->linked_objective_id) {
        char oref[32];
        okr_ref_format(OKR_REF_OBJECTIVE, kr->linked_objective_id, oref, sizeof oref);
        return okr_cli_fail(cli, OKR_EXIT_REFUSED, "BAD_REQUEST",
                            "%s takes its progress from %s, which it is linked to: check in on "
                            "that objective's key results instead",
                            ref, oref);
    }
    if (okr_checkin_resolve(kr, ref, val, out, why, sizeof why) != 0)
        return okr_cli_usage_error(cli, "%s", why);
    return 0;
}

/* ---------------------------------------------------------------- server calls */

static int checkin__get_kr(okr_cli_t *cli, uint64_t id, Okr__Response **resp)
{
    Okr__KeyResultGetRequest get = OKR__KEY_RESULT_GET_REQUEST__INIT;
    get.id = id;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_KEY_RESULT_GET;
    req.key_result_get = &get;
    int rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_KEY_RESULT, resp);
    if (!rc && !(*resp)->key_result) {
        okr__response__free_unpacked(*resp, NULL);
        return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL", "the server sent no key result");
    }
    return rc;
}

/* Titles of the ancestors' objectives into titles[] (borrowed from res or
 * from details[], which the caller frees; NULL: not visible to the caller).
 * A server speaking protocol 1.1 sends them with the check-in; an older one
 * is asked for them, all requests together (pipelined). */
static void checkin__ancestor_titles(okr_cli_t *cli, const Okr__CheckInResult *res, size_t n,
                                     Okr__Response **details, const char **titles)
{
    const Okr__HelloResult *hello = okr_client_server_hello(cli->client);
    int sent_along = hello && hello->version_minor >= 1;
    for (size_t i = 0; i < n; i++) {
        details[i] = NULL;
        titles[i] = NULL;
        if (sent_along && res->ancestors[i]->title[0])
            titles[i] = res->ancestors[i]->title;
    }
    if (sent_along)
        return;
    uint64_t ids[CHECKIN_MAX_ANCESTORS];
    int sent[CHECKIN_MAX_ANCESTORS] = {0};
    for (size_t i = 0; i < n; i++) {
        Okr__ObjectiveGetRequest get = OKR__OBJECTIVE_GET_REQUEST__INIT;
        get.id = res->ancestors[i]->objective_id;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_OBJECTIVE_GET;
        req.objective_get = &get;
        sent[i] = okr_client_send(cli->client, &req, &ids[i]) == 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!sent[i] || okr_client_wait(cli->client, ids[i], &details[i]) != 0)
            continue;
        if (details[i]->status != OKR__STATUS__STATUS_OK || !details[i]->objective_detail ||
            !details[i]->objective_detail->objective) {
            okr__response__free_unpacked(details[i], NULL);
            details[i] = NULL;
            continue;
        }
        titles[i] = details[i]->objective_detail->objective->title;
    }
}

/* ---------------------------------------------------------------- output */

static void checkin__pad(const char *s, size_t width)
{
    fputs(s, stdout);
    for (size_t w = okr_display_width(s); w < width; w++)
        fputc(' ', stdout);
}

static void checkin__print_text(okr_cli_t *cli, const Okr__CheckInResult *res)
{
    const Okr__KeyResult *kr = res->key_result;
    const Okr__CheckIn *ci = res->checkin;
    char ref[32], now[96], was[96], bar[160];
    okr_ref_format(OKR_REF_KEY_RESULT, kr->id, ref, sizeof ref);
    okr_render_value(kr, kr->current, now, sizeof now);
    okr_render_bar(kr->progress, 10, OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED, bar,
                   sizeof bar);
    char *title = okr_cli_sanitize(kr->title, 0);
    printf("%s %s\n", ref, title ? title : "");
    free(title);
    if (ci) {
        okr_render_value(kr, ci->previous_value, was, sizeof was);
        printf("  %s → %s  %s", was, now, bar);
        if (ci->has_confidence)
            printf("  confidence %u/10", (unsigned)ci->confidence);
        printf("\n");
        char when[64];
        if (okr_cli_checkin_dated(ci, when, sizeof when))
            printf("  dated %s\n", when);
    } else {
        printf("  now %s  %s\n", now, bar);
    }

    size_t n = res->n_ancestors < CHECKIN_MAX_ANCESTORS ? res->n_ancestors : CHECKIN_MAX_ANCESTORS;
    if (n == 0)
        return;
    Okr__Response *details[CHECKIN_MAX_ANCESTORS];
    const char *raw[CHECKIN_MAX_ANCESTORS];
    checkin__ancestor_titles(cli, res, n, details, raw);
    char *titles[CHECKIN_MAX_ANCESTORS];
    size_t width = 0;
    for (size_t i = 0; i < n; i++) {
        char cut[512];
        okr_render_truncate(raw[i] ? raw[i] : "(not visible to you)", OKR_KIT_TITLE_WIDTH, cut,
                            sizeof cut);
        titles[i] = okr_cli_sanitize(cut, 0);
        size_t w = titles[i] ? okr_display_width(titles[i]) : 0;
        if (w > width)
            width = w;
    }
    printf("Rolled up:\n");
    for (size_t i = 0; i < n; i++) {
        const Okr__ProgressUpdate *u = res->ancestors[i];
        char oref[32], status[64];
        okr_ref_format(OKR_REF_OBJECTIVE, u->objective_id, oref, sizeof oref);
        okr_render_bar(u->progress, 10, u->status, bar, sizeof bar);
        okr_render_status(u->status, status, sizeof status);
        printf("  %s", i == 0 ? "" : "↑ ");
        checkin__pad(oref, 6);
        checkin__pad(titles[i] ? titles[i] : "", width + (i == 0 ? 4 : 2));
        printf("%s  %s\n", bar, status);
        free(titles[i]);
        if (details[i])
            okr__response__free_unpacked(details[i], NULL);
    }
    if (res->n_ancestors > n)
        printf("  (and %zu more above)\n", res->n_ancestors - n);
}

static json_t *checkin__json(const Okr__CheckInResult *res)
{
    json_t *ancestors = json_array();
    for (size_t i = 0; ancestors && i < res->n_ancestors; i++)
        json_array_append_new(ancestors, okr_json_progress_update(res->ancestors[i]));
    return json_pack("{s:o?, s:o?, s:o?}", "checkin",
                     res->checkin ? okr_json_checkin(res->checkin) : NULL, "key_result",
                     okr_json_key_result(res->key_result), "ancestors", ancestors);
}

/* ---------------------------------------------------------------- command */

/* --at WHEN into *at (0: now). "today" is now; a moment later than now is
 * refused here rather than by the server, with the words the user typed. */
static int checkin__parse_at(okr_cli_t *cli, const char *text, int64_t *at)
{
    int64_t now = okr_wall_ms(), end_of_today;
    if (okr_render_parse_when(text, at) != 0)
        return okr_cli_usage_error(cli,
                                   "--at takes a day (2026-03-27, yesterday, -3d) or a moment "
                                   "(\"2026-03-27 17:00\"), not '%s'",
                                   text);
    if (*at > now && okr_render_parse_date("today", 1, &end_of_today) == 0 && *at == end_of_today)
        *at = 0; /* as of today: now */
    else if (*at > now)
        return okr_cli_usage_error(cli,
                                   "--at %s is in the future: a check-in records a value that is "
                                   "true now or was before",
                                   text);
    return -1;
}

static int checkin__opt(okr_cli_t *cli, int opt, checkin_opts_t *o)
{
    switch (opt) {
    case 'c':
    case OPT_CONFIDENCE:
        if (okr_checkin_parse_confidence(optarg, &o->confidence) != 0)
            return okr_cli_usage_error(cli, "--confidence is a whole number from 0 to 10, not '%s'",
                                       optarg);
        o->has_confidence = 1;
        return -1;
    case 'm':
    case OPT_NOTE:
        o->note = optarg;
        return -1;
    case OPT_AT:
        return checkin__parse_at(cli, optarg, &o->at);
    case OPT_ALL:
        o->all = 1;
        return -1;
    case OPT_STALE:
        o->stale = 1;
        return -1;
    }
    return OKR_EXIT_USAGE;
}

/* 1 if arg is a negative number ("-3", "-2.5", "-10%") rather than an option. */
static int checkin__is_negative(const char *arg)
{
    if (arg[0] != '-' || !(isdigit((unsigned char)arg[1]) || arg[1] == '.'))
        return 0;
    for (const char *p = arg + 1; *p; p++)
        if (!isdigit((unsigned char)*p) && !strchr(".,_%", *p))
            return 0;
    return 1;
}

static const struct option checkin_longopts[] = {
    {"confidence", required_argument, NULL, OPT_CONFIDENCE},
    {"note", required_argument, NULL, OPT_NOTE},
    {"message", required_argument, NULL, OPT_NOTE},
    {"at", required_argument, NULL, OPT_AT},
    {"all", no_argument, NULL, OPT_ALL},
    {"stale", no_argument, NULL, OPT_STALE},
    OKR_CLI_GLOBAL_LONGOPTS};
static const char checkin_shortopts[] = ":hc:m:";

/* 1 if arg (an argv element) is an option that takes the next element as its
 * value, as getopt_long reads the options above: "-c", "--note", or a long
 * option abbreviated to a prefix only one option has ("--conf"). */
static int checkin__takes_value(const char *arg)
{
    if (arg[0] != '-' || !arg[1])
        return 0;
    if (arg[1] != '-') { /* "-c", but not "-c7" */
        const char *at = strchr(checkin_shortopts + 1, arg[1]);
        return !arg[2] && arg[1] != ':' && at && at[1] == ':';
    }
    const char *name = arg + 2;
    if (!*name || strchr(name, '='))
        return 0;
    const struct option *o = okr_cli_long_option(checkin_longopts, name, strlen(name));
    return o && o->has_arg == required_argument;
}

/* Parses the command line into o, *kr and *value; -1 to go on, else an exit
 * code. A relative "-3" would be taken for an option by getopt, so a
 * negative number is set aside first and counted as the VALUE. */
static int checkin__parse(okr_cli_t *cli, int argc, char **argv, checkin_opts_t *o, const char **kr,
                          const char **value)
{
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args)
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
    const char *negative = NULL;
    int n = 0, extra_negative = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && strcmp(argv[i - 1], "--") == 0) { /* the rest is positional */
            while (i < argc)
                args[n++] = argv[i++];
            break;
        }
        if (i > 0 && checkin__is_negative(argv[i]) && !checkin__takes_value(argv[i - 1])) {
            extra_negative += negative != NULL;
            negative = argv[i];
            continue;
        }
        args[n++] = argv[i];
    }
    int rc = -1, opt;
    while (rc < 0 &&
           (opt = okr_cli_getopt(cli, n, args, checkin_shortopts, checkin_longopts)) != -1) {
        if (opt == 'h')
            rc = OKR_EXIT_OK;
        else if (opt == '?')
            rc = OKR_EXIT_USAGE;
        else
            rc = checkin__opt(cli, opt, o);
    }
    if (rc < 0) {
        const char *pos[3] = {NULL, NULL, NULL};
        int have = 0;
        for (int i = optind; i < n && have < 3; i++)
            pos[have++] = args[i];
        if (negative && have < 3)
            pos[have++] = negative;
        have += extra_negative + (n - optind > 3 ? 1 : 0);
        if (o->all && have > 0)
            rc = okr_cli_usage_error(cli, "--all asks for every key result in turn: give no KR "
                                          "or VALUE with it");
        else if (o->all && (o->has_confidence || o->note))
            rc = okr_cli_usage_error(cli, "--all asks for each confidence and note: drop -c "
                                          "and -m");
        else if (o->stale && !o->all)
            rc = okr_cli_usage_error(cli, "--stale goes with --all: okr checkin --all --stale");
        else if (o->all)
            ; /* the round needs nothing more */
        else if (have < 2)
            rc = okr_cli_usage_error(cli, have == 0 ? "missing KR and VALUE" : "missing VALUE");
        else if (have > 2)
            rc = okr_cli_usage_error(cli, "too many arguments (quote a note: -m \"...\")");
        *kr = pos[0];
        *value = pos[1];
    }
    free(args);
    return rc;
}

int okr_cmd_checkin(okr_cli_t *cli, int argc, char **argv)
{
    cli->command = "checkin";
    cli->usage = checkin_usage;
    checkin_opts_t o = {0};
    const char *ref_text = NULL, *value_text = NULL;
    int rc = checkin__parse(cli, argc, argv, &o, &ref_text, &value_text);
    if (rc >= 0)
        return rc;
    if (o.all)
        return okr_checkin_round(cli,
                                 &(okr_checkin_round_opts_t){.stale_only = o.stale, .at = o.at});
    uint64_t kr_id;
    okr_ref_kind_t other;
    if (okr_ref_parse(ref_text, OKR_REF_KEY_RESULT, &kr_id) != 0) {
        if (okr_ref_parse_any(ref_text, &other, &kr_id) == 0 && other == OKR_REF_OBJECTIVE)
            return okr_cli_usage_error(cli,
                                       "%s is an objective: check in on one of its key results "
                                       "(okr obj show %s lists them)",
                                       ref_text, ref_text);
        return okr_cli_usage_error(cli, "'%s' is not a key result: use its id, e.g. K34", ref_text);
    }
    okr_checkin_value_t val;
    if (okr_checkin_parse_value(value_text, &val) != 0)
        return okr_cli_usage_error(cli,
                                   "'%s' is not a value: give a number (42), a change (+5, -3), "
                                   "a share (42%%) or done/undone",
                                   value_text);
    char ref[32];
    okr_ref_format(OKR_REF_KEY_RESULT, kr_id, ref, sizeof ref);

    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = kr_id;
    ci.value = val.number;
    ci.has_confidence = o.has_confidence;
    ci.confidence = o.confidence;
    ci.note = (char *)(o.note ? o.note : "");
    ci.at = o.at;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CHECKIN;
    req.checkin = &ci;
    Okr__Response *resp;
    cli->checked_in_kr = kr_id;
    if (okr_checkin_is_absolute(&val) && !o.at) {
        /* The usual case, and the one to keep quick: the check-in goes right
         * behind Hello and the token. */
        rc = okr_cli_connect_call(cli, &req, OKR__RESPONSE__RESULT_CHECKIN, &resp);
    } else {
        /* A change or a share needs the key result's figures first; they are
         * asked for right behind the session's token. A dated check-in waits
         * for Hello's answer, to know the server can date it. */
        rc = okr_cli_connect_lazy(cli);
        if (rc == 0 && o.at)
            rc = okr_checkin_server_dates(cli);
        Okr__Response *got = NULL;
        if (rc == 0 && !okr_checkin_is_absolute(&val))
            rc = checkin__get_kr(cli, kr_id, &got);
        if (rc == 0 && got) {
            rc = checkin__resolve(cli, got->key_result, ref, &val, &ci.value);
            okr__response__free_unpacked(got, NULL);
        }
        if (rc == 0)
            rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_CHECKIN, &resp);
    }
    if (rc)
        return rc;
    const Okr__CheckInResult *res = resp->checkin;
    if (!res || !res->key_result) {
        okr__response__free_unpacked(resp, NULL);
        return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL",
                            "the server sent no key result with the check-in");
    }
    if (cli->json)
        okr_cli_print_json(checkin__json(res));
    else
        checkin__print_text(cli, res);
    okr__response__free_unpacked(resp, NULL);
    return OKR_EXIT_OK;
}
