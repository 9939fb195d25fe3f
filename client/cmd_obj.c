/* cmd_obj.c — okr obj add, list, show, edit, rm and archive, and okr score.
 * Who may change what is the server's to decide (DESIGN.md section 2). */
#include "cmd_kit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "complete.h"
#include "trend.h"

enum {
    OPT_CYCLE = OKR_OPT_FIRST_COMMAND_OPT,
    OPT_OWNER,
    OPT_TEAM,
    OPT_IN_TEAM,
    OPT_PARENT,
    OPT_NO_PARENT,
    OPT_ASPIRATIONAL,
    OPT_VISIBILITY,
    OPT_DRAFT,
    OPT_ALL,
    OPT_TITLE,
    OPT_KIND,
    OPT_STATE,
    OPT_CLEAR,
    OPT_RETRO,
};

static const char obj_usage[] =
    "Usage: okr obj COMMAND [ARGS]\n"
    "\n"
    "Manages objectives: what you want to achieve this cycle, measured by 3 to 5\n"
    "key results (okr kr). An objective belongs to a cycle, is owned by a person\n"
    "or a team, and may be aligned to a parent objective. Objectives are named\n"
    "by their id, like O12.\n"
    "\n"
    "Commands:\n"
    "  add TITLE [--cycle C] [--owner USER | --team TEAM] [--parent O]\n"
    "      [--aspirational] [--visibility public|team] [-d DESC] [--draft]\n"
    "                              create an objective\n"
    "  list [--cycle C] [--team T] [--owner U] [--parent O] [--all]\n"
    "                              list objectives with their progress\n"
    "  show O                      an objective and its key results\n"
    "  edit O [--title T] [-d D] [--owner U | --team T] [--parent O | --no-parent]\n"
    "       [--kind K] [--visibility V] [--state draft|active]\n"
    "                              change an objective\n"
    "  rm O                        delete an objective with no key results\n"
    "  archive O                   archive an objective (kept, hidden from lists)\n"
    "\n"
    "Without --cycle, commands use the active cycle.\n"
    "\n"
    "Examples:\n"
    "  okr obj add \"Delight our customers\" --team Sales\n"
    "  okr obj add \"提升客户满意度\" --parent O3 --aspirational\n"
    "  okr obj list --team Sales\n"
    "  okr obj show O12\n";

static const char add_usage[] =
    "Usage: okr obj add TITLE [--cycle C] [--owner USER | --team TEAM]\n"
    "                   [--in-team TEAM] [--parent O] [--aspirational]\n"
    "                   [--visibility public|team] [-d DESC] [--draft]\n"
    "\n"
    "Creates an objective. It is yours unless --owner or --team says otherwise.\n"
    "\n"
    "Options:\n"
    "  --cycle CYCLE          the cycle (default: the parent's, else the active one)\n"
    "  --owner USER           owned by this person\n"
    "  --team TEAM            owned by this team\n"
    "  --in-team TEAM         for a person's objective: the team it belongs to\n"
    "                         (needed for --visibility team)\n"
    "  --parent O             align it to this objective (same cycle)\n"
    "  --aspirational         a stretch goal: about 0.7 is a good score (default:\n"
    "                         committed, expected to reach 1.0)\n"
    "  --visibility V         public (everyone, default) or team (the team, the\n"
    "                         leads above it, and admins)\n"
    "  -d, --description D    a longer description\n"
    "  --draft                create it as a draft\n"
    "\n"
    "Examples:\n"
    "  okr obj add \"Delight our customers\"\n"
    "  okr obj add \"Win APAC\" --team Sales --parent O3 --aspirational\n"
    "  okr obj add \"Hire two engineers\" --in-team Platform --visibility team --json\n";

static const char list_usage[] =
    "Usage: okr obj list [--cycle C] [--team T] [--owner U] [--parent O] [--all]\n"
    "\n"
    "Lists objectives in alignment order (children under their parents): id,\n"
    "title, owner, progress and status. Without filters: every objective of the\n"
    "active cycle.\n"
    "\n"
    "Options:\n"
    "  --cycle CYCLE   objectives of this cycle (default: the active one)\n"
    "  --team TEAM     objectives of this team\n"
    "  --owner USER    objectives this person owns\n"
    "  --parent O      objectives aligned to O (in O's cycle)\n"
    "  --all           include archived objectives\n"
    "\n"
    "Examples:\n"
    "  okr obj list\n"
    "  okr obj list --team Sales --cycle 2026-Q1\n"
    "  okr obj list --owner alice --json\n";

static const char show_usage[] =
    "Usage: okr obj show O\n"
    "\n"
    "Shows an objective: owner, team, cycle, kind, visibility, parent, progress\n"
    "against the expected pace and its status, then its key results with their\n"
    "figures, confidence and last check-in.\n"
    "\n"
    "Status: on track, at risk (more than 15 points behind the pace, or a\n"
    "confidence of 6 or less), off track (more than 30 points behind, or a\n"
    "confidence of 3 or less).\n"
    "\n"
    "Examples:\n"
    "  okr obj show O12\n"
    "  okr obj show O12 --json\n";

static const char edit_usage[] =
    "Usage: okr obj edit O [--title T] [-d DESC] [--owner USER | --team TEAM]\n"
    "                      [--in-team TEAM] [--parent O | --no-parent]\n"
    "                      [--kind committed|aspirational]\n"
    "                      [--visibility public|team] [--state draft|active]\n"
    "\n"
    "Changes an objective; only what is given changes. If someone else changed\n"
    "it meanwhile, nothing is written and its current state is shown.\n"
    "\n"
    "Options:\n"
    "  --title TITLE        a new title\n"
    "  -d, --description D  a new description\n"
    "  --owner USER         give it to this person\n"
    "  --team TEAM          give it to this team\n"
    "  --in-team TEAM       the team a person's objective belongs to\n"
    "  --parent O           align it to O\n"
    "  --no-parent          align it to nothing\n"
    "  --kind KIND          committed or aspirational\n"
    "  --visibility V       public or team\n"
    "  --state STATE        draft or active\n"
    "\n"
    "Examples:\n"
    "  okr obj edit O12 --title \"Delight every customer\"\n"
    "  okr obj edit O12 --team Sales --parent O3\n"
    "  okr obj edit O12 --state active\n";

static const char rm_usage[] = "Usage: okr obj rm O\n"
                               "\n"
                               "Deletes an objective that has no key results and no aligned "
                               "objectives\n"
                               "(a mistake). Anything else is archived instead: okr obj archive "
                               "O.\n"
                               "\n"
                               "Example:\n"
                               "  okr obj rm O12\n";

static const char archive_usage[] = "Usage: okr obj archive O\n"
                                    "\n"
                                    "Archives an objective: it leaves the lists and the "
                                    "roll-up, and keeps its\n"
                                    "key results, check-ins and history ('okr obj list --all' "
                                    "shows it).\n"
                                    "\n"
                                    "Example:\n"
                                    "  okr obj archive O12\n";

static const char score_usage[] =
    "Usage: okr score O SCORE -m NOTE\n"
    "       okr score O --clear\n"
    "       okr score O --retro TEXT\n"
    "\n"
    "Scores an objective of a closed cycle, or writes its retrospective.\n"
    "\n"
    "When a cycle closes, each objective is scored with its progress, from 0.0\n"
    "to 1.0. Its owner (or a lead of its team, or an admin) may override the\n"
    "score with a note saying why, e.g. when a key result turned out to be the\n"
    "wrong measure.\n"
    "\n"
    "Grading (Google's scale):\n"
    "  red      below 0.4   we failed to make real progress\n"
    "  yellow   0.4 to 0.7  progress, but short of what we wanted\n"
    "  green    0.7 or more we delivered\n"
    "A committed objective is expected to reach 1.0; an aspirational one about\n"
    "0.7 (always reaching 1.0 means the goals were not ambitious enough).\n"
    "\n"
    "Options:\n"
    "  -m, --note NOTE     why the score differs from the progress (required\n"
    "                      with SCORE)\n"
    "  --clear             drop the override: back to the computed score\n"
    "  --retro TEXT        the retrospective: what we learned\n"
    "\n"
    "Examples:\n"
    "  okr score O12 0.6 -m \"KR2 measured the wrong thing; customers are happier\"\n"
    "  okr score O12 --clear\n"
    "  okr score O12 --retro \"Start hiring a quarter earlier\"\n";

/* ---------------------------------------------------------------- options */

typedef struct obj_opts {
    const char *cycle, *owner, *team, *in_team, *parent, *visibility, *description, *title, *kind,
        *state, *note, *retro;
    int no_parent, aspirational, draft, all, clear;
} obj_opts_t;

static int obj__opt(okr_cli_t *cli, int opt, void *arg)
{
    obj_opts_t *o = arg;
    switch (opt) {
    case OPT_CYCLE:
        o->cycle = optarg;
        return -1;
    case OPT_OWNER:
        o->owner = optarg;
        return -1;
    case OPT_TEAM:
        o->team = optarg;
        return -1;
    case OPT_IN_TEAM:
        o->in_team = optarg;
        return -1;
    case OPT_PARENT:
        o->parent = optarg;
        return -1;
    case OPT_NO_PARENT:
        o->no_parent = 1;
        return -1;
    case OPT_ASPIRATIONAL:
        o->aspirational = 1;
        return -1;
    case OPT_VISIBILITY:
        o->visibility = optarg;
        return -1;
    case OPT_DRAFT:
        o->draft = 1;
        return -1;
    case OPT_ALL:
        o->all = 1;
        return -1;
    case OPT_TITLE:
        o->title = optarg;
        return -1;
    case OPT_KIND:
        o->kind = optarg;
        return -1;
    case OPT_STATE:
        o->state = optarg;
        return -1;
    case OPT_CLEAR:
        o->clear = 1;
        return -1;
    case OPT_RETRO:
        o->retro = optarg;
        return -1;
    case 'd':
        o->description = optarg;
        return -1;
    case 'm':
        o->note = optarg;
        return -1;
    }
    (void)cli;
    return OKR_EXIT_USAGE;
}

/* Checks the option combinations add and edit share. -1 to go on. */
static int obj__check_opts(okr_cli_t *cli, const obj_opts_t *o, Okr__Visibility *vis,
                           Okr__ObjectiveKind *kind)
{
    if (o->owner && o->team)
        return okr_cli_usage_error(cli, "give --owner or --team, not both");
    if (o->team && o->in_team)
        return okr_cli_usage_error(cli, "--in-team is for a person's objective; --team already "
                                        "names the team");
    if (o->parent && o->no_parent)
        return okr_cli_usage_error(cli, "give --parent or --no-parent, not both");
    if (o->visibility && okr_kit_parse_visibility(o->visibility, vis) != 0)
        return okr_cli_usage_error(cli, "--visibility is public or team, not '%s'", o->visibility);
    if (o->kind && okr_kit_parse_kind(o->kind, kind) != 0)
        return okr_cli_usage_error(cli, "--kind is committed or aspirational, not '%s'", o->kind);
    return -1;
}

/* ---------------------------------------------------------------- output */

static json_t *obj__json(const void *o)
{
    return okr_json_objective(o);
}

static json_t *obj__detail_json(const Okr__ObjectiveDetail *d, const Okr__ObjectiveTrend *trend)
{
    json_t *krs = okr_json_key_results(d->key_results, d->n_key_results);
    if (!krs)
        return NULL;
    return json_pack("{s:o, s:o, s:o, s:I, s:f, s:o?}", "objective",
                     okr_json_objective(d->objective), "key_results", krs, "parent",
                     d->parent ? okr_json_objective(d->parent) : json_null(), "child_count",
                     (json_int_t)d->child_count, "expected",
                     isfinite(d->expected) ? d->expected : 0.0, "trend", okr_trend_json(trend));
}

/* Prints an objective with its key results for people; trend may be NULL,
 * and asked too (the trend request, to say when the server was too busy). */
static int obj__print_detail(okr_cli_t *cli, const Okr__ObjectiveDetail *d,
                             const Okr__ObjectiveTrend *trend, const okr_trend_t *asked)
{
    const Okr__Objective *o = d->objective;
    char ref[32], buf[1024], bar[256], status[64];
    /* every name shown below, asked for at once */
    okr_ref_wanted_t w = {0};
    okr_ref_want_team(&w, o->owner_team_id);
    okr_ref_want_user(&w, o->owner_team_id ? 0 : o->owner_user_id);
    okr_ref_want_team(&w, o->team_id);
    okr_ref_want_cycle(&w, o->cycle_id);
    for (size_t i = 0; i < d->n_key_results; i++)
        okr_ref_want_user(&w, d->key_results[i]->owner_user_id);
    int rc = okr_ref_fetch_wanted(cli, &w);
    if (rc)
        return rc;
    printf("%s  ", okr_ref_format(OKR_REF_OBJECTIVE, o->id, ref, sizeof ref));
    okr_kit_puts(o->title);
    if (o->state != OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE)
        printf("  [%s]", okr_kit_state_name(o->state));
    printf("\n");
    if (o->owner_team_id)
        snprintf(buf, sizeof buf, "%s (team)", okr_ref_team_name(cli, o->owner_team_id));
    else
        snprintf(buf, sizeof buf, "%s", okr_ref_username(cli, o->owner_user_id));
    okr_kit_field("owner", buf);
    if (o->team_id && o->team_id != o->owner_team_id)
        okr_kit_field("team", okr_ref_team_name(cli, o->team_id));
    okr_kit_field("cycle", okr_ref_cycle_name(cli, o->cycle_id));
    snprintf(buf, sizeof buf, "%s, %s", okr_kit_kind_name(o->kind),
             okr_kit_visibility_name(o->visibility));
    okr_kit_field("kind", buf);
    if (d->parent) {
        snprintf(buf, sizeof buf, "%s %s",
                 okr_ref_format(OKR_REF_OBJECTIVE, d->parent->id, ref, sizeof ref),
                 d->parent->title);
        okr_kit_field("parent", buf);
    } else if (o->parent_id) {
        snprintf(buf, sizeof buf, "%s (not visible to you)",
                 okr_ref_format(OKR_REF_OBJECTIVE, o->parent_id, ref, sizeof ref));
        okr_kit_field("parent", buf);
    }
    if (d->child_count) {
        snprintf(buf, sizeof buf, "%u objective%s (okr obj list --parent %s)", d->child_count,
                 d->child_count == 1 ? "" : "s",
                 okr_ref_format(OKR_REF_OBJECTIVE, o->id, ref, sizeof ref));
        okr_kit_field("aligned", buf);
    }
    /* The bar and status carry colour codes: printed directly, not through
     * okr_kit_field, which would sanitize them away. */
    printf("  %-13s%s  expected %d%%  %s\n", "progress",
           okr_render_bar(o->progress, 20, o->status, bar, sizeof bar), okr_render_pct(d->expected),
           okr_render_status(o->status, status, sizeof status));
    if (trend)
        okr_trend_print(trend, trend->progress, trend->n_progress);
    else
        okr_trend_print_busy(asked);
    if (o->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED || o->score_overridden) {
        char score[64];
        printf("  %-13s%s (expected for %s: %.1f)%s", "score",
               okr_render_score(o->score, score, sizeof score), okr_kit_kind_name(o->kind),
               okr_score_expected(o->kind), o->score_overridden ? ", overridden: " : "");
        if (o->score_overridden)
            okr_kit_puts(o->score_note);
        printf("\n");
    }
    if (o->description && o->description[0])
        okr_kit_field("description", o->description);
    if (o->retrospective && o->retrospective[0])
        okr_kit_field("retro", o->retrospective);
    printf("\n");
    if (d->n_key_results == 0) {
        printf("No key results yet. Add 3 to 5 that measure it: okr kr add %s \"TITLE\" "
               "--target N\n",
               okr_ref_format(OKR_REF_OBJECTIVE, o->id, ref, sizeof ref));
        return OKR_EXIT_OK;
    }
    printf("Key results (%zu):\n", d->n_key_results);
    return okr_kit_print_key_results(cli, d->key_results, d->n_key_results, d->expected, d->linked,
                                     d->n_linked, trend);
}

/* One line after an action: 'Created O12 "Title" (committed, public) in 2026-Q1.' */
static void obj__say(okr_cli_t *cli, const char *verb, const Okr__Objective *o)
{
    char ref[32];
    printf("%s %s \"", verb, okr_ref_format(OKR_REF_OBJECTIVE, o->id, ref, sizeof ref));
    okr_kit_puts(o->title);
    printf("\" (%s, %s, %s) in ", okr_kit_kind_name(o->kind),
           okr_kit_visibility_name(o->visibility), okr_kit_state_name(o->state));
    okr_kit_puts(okr_ref_cycle_name(cli, o->cycle_id));
    printf(".\n");
}

/* ---------------------------------------------------------------- add */

static int obj__add(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"cycle", required_argument, NULL, OPT_CYCLE},
        {"owner", required_argument, NULL, OPT_OWNER},
        {"team", required_argument, NULL, OPT_TEAM},
        {"in-team", required_argument, NULL, OPT_IN_TEAM},
        {"parent", required_argument, NULL, OPT_PARENT},
        {"aspirational", no_argument, NULL, OPT_ASPIRATIONAL},
        {"visibility", required_argument, NULL, OPT_VISIBILITY},
        {"description", required_argument, NULL, 'd'},
        {"draft", no_argument, NULL, OPT_DRAFT},
        OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "obj add";
    cli->usage = add_usage;
    obj_opts_t o = {0};
    Okr__Objective obj = OKR__OBJECTIVE__INIT;
    obj.visibility = OKR__VISIBILITY__VISIBILITY_PUBLIC;
    obj.kind = OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_COMMITTED;
    int rc = okr_kit_options(cli, argc, argv, "d:", longopts, obj__opt, &o);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 1, 1, "TITLE");
    if (rc < 0)
        rc = obj__check_opts(cli, &o, &obj.visibility, &obj.kind);
    if (rc < 0 && obj.visibility == OKR__VISIBILITY__VISIBILITY_TEAM && !o.team && !o.in_team)
        rc = okr_cli_usage_error(cli, "--visibility team needs a team: --team TEAM, or "
                                      "--in-team TEAM for a person's objective");
    if (rc >= 0)
        return rc;
    if (o.aspirational)
        obj.kind = OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL;
    obj.state = o.draft ? OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_DRAFT
                        : OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE;
    obj.title = argv[optind];
    obj.description = (char *)(o.description ? o.description : "");
    if (o.parent && (rc = okr_kit_ref(cli, o.parent, OKR_REF_OBJECTIVE, &obj.parent_id)) >= 0)
        return rc;
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    if (o.team) {
        if ((rc = okr_ref_team(cli, o.team, &obj.owner_team_id)) != 0)
            return rc;
        obj.team_id = obj.owner_team_id;
    } else {
        /* Without --owner, owner 0: the server makes the caller the owner,
         * so nothing waits for the session's answer to learn who that is. */
        if (o.owner && (rc = okr_ref_user(cli, o.owner, &obj.owner_user_id)) != 0)
            return rc;
        if (o.in_team && (rc = okr_ref_team(cli, o.in_team, &obj.team_id)) != 0)
            return rc;
    }
    /* The cycle: --cycle, else the parent's (alignment stays in one cycle),
     * else the default one. */
    if (o.cycle) {
        rc = okr_ref_cycle(cli, o.cycle, &obj.cycle_id);
    } else if (obj.parent_id) {
        Okr__Response *parent;
        rc = okr_kit_get_objective_id(cli, obj.parent_id, &parent);
        if (!rc) {
            obj.cycle_id = parent->objective_detail->objective->cycle_id;
            okr__response__free_unpacked(parent, NULL);
        }
    } else {
        rc = okr_ref_default_cycle(cli, &obj.cycle_id);
    }
    if (rc)
        return rc;
    Okr__ObjectiveCreateRequest c = OKR__OBJECTIVE_CREATE_REQUEST__INIT;
    c.objective = &obj;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_OBJECTIVE_CREATE;
    req.objective_create = &c;
    Okr__Response *resp;
    rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_OBJECTIVE, &resp);
    if (rc)
        return rc;
    if (!resp->objective) {
        okr__response__free_unpacked(resp, NULL);
        return okr_kit_no_result(cli, "objective");
    }
    if (cli->json) {
        okr_cli_print_json(okr_json_objective(resp->objective));
    } else {
        char ref[32];
        obj__say(cli, "Created", resp->objective);
        printf("Next, add 3 to 5 key results that measure it: okr kr add %s \"TITLE\" --target "
               "N\n",
               okr_ref_format(OKR_REF_OBJECTIVE, resp->objective->id, ref, sizeof ref));
    }
    okr__response__free_unpacked(resp, NULL);
    return OKR_EXIT_OK;
}

/* ---------------------------------------------------------------- list */

static int obj__list(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"cycle", required_argument, NULL, OPT_CYCLE},
                                             {"team", required_argument, NULL, OPT_TEAM},
                                             {"owner", required_argument, NULL, OPT_OWNER},
                                             {"parent", required_argument, NULL, OPT_PARENT},
                                             {"all", no_argument, NULL, OPT_ALL},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "obj list";
    cli->usage = list_usage;
    obj_opts_t o = {0};
    Okr__ObjectiveListRequest f = OKR__OBJECTIVE_LIST_REQUEST__INIT;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, obj__opt, &o);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 0, 0, "");
    if (rc < 0 && o.parent)
        rc = okr_kit_ref(cli, o.parent, OKR_REF_OBJECTIVE, &f.parent_id);
    if (rc >= 0)
        return rc;
    rc = okr_cli_connect_lazy(cli);
    if (!rc && o.team)
        rc = okr_ref_team(cli, o.team, &f.team_id);
    if (!rc && o.owner)
        rc = okr_ref_user(cli, o.owner, &f.owner_user_id);
    /* Aligned children share their parent's cycle: no default needed. */
    if (!rc && o.cycle)
        rc = okr_ref_cycle(cli, o.cycle, &f.cycle_id);
    else if (!rc && !o.parent)
        rc = okr_ref_default_cycle(cli, &f.cycle_id);
    if (rc)
        return rc;
    f.include_archived = o.all;
    okr_kit_pages_t objs;
    rc = okr_kit_list_objectives(cli, &f, &objs);
    if (rc)
        return rc;
    if (cli->json) {
        json_t *a = okr_kit_json_array(&objs, obj__json);
        if (!a)
            rc = okr_kit_nomem(cli);
        else
            okr_cli_print_json(json_pack("{s:o}", "objectives", a));
    } else if (objs.n == 0) {
        printf("No objectives");
        if (f.cycle_id) {
            printf(" in cycle ");
            okr_kit_puts(okr_ref_cycle_name(cli, f.cycle_id));
        }
        printf("%s. Create one: okr obj add \"TITLE\"\n",
               o.all ? "" : " (add --all to include archived ones)");
    } else {
        rc = okr_kit_print_objectives(
            cli, (Okr__Objective *const *)objs.items, objs.n, 1,
            okr_kit_all_scored((Okr__Objective *const *)objs.items, objs.n));
    }
    okr_kit_pages_free(&objs);
    return rc;
}

/* ---------------------------------------------------------------- show */

static int obj__show(okr_cli_t *cli, int argc, char **argv)
{
    uint64_t id;
    int rc = okr_kit_begin_ref(cli, "obj show", show_usage, argc, argv, OKR_REF_OBJECTIVE,
                               "the objective (like O12)", &id);
    if (rc >= 0)
        return rc;
    /* the trend goes with the objective: one round trip for both */
    okr_trend_t trend;
    okr_trend_send(cli, id, &trend);
    Okr__Response *resp;
    const Okr__ObjectiveTrend *t = NULL;
    rc = okr_kit_get_objective_id(cli, id, &resp);
    if (rc == 0 && (rc = okr_trend_take(cli, &trend, &t)) != 0)
        okr__response__free_unpacked(resp, NULL);
    if (rc) {
        okr_trend_free(&trend);
        return rc;
    }
    if (cli->json) {
        json_t *j = obj__detail_json(resp->objective_detail, t);
        if (!j)
            rc = okr_kit_nomem(cli);
        else
            okr_cli_print_json(j);
    } else {
        rc = obj__print_detail(cli, resp->objective_detail, t, &trend);
    }
    okr_trend_free(&trend);
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* ---------------------------------------------------------------- edit */

/* After a CONFLICT: says so and shows the objective as it is now. */
static int obj__conflict(okr_cli_t *cli, uint64_t id)
{
    char ref[32];
    okr_ref_format(OKR_REF_OBJECTIVE, id, ref, sizeof ref);
    int code = okr_cli_fail(cli, OKR_EXIT_REFUSED, "CONFLICT",
                            "someone else changed %s since it was read; nothing was written. It "
                            "is now as below: run the edit again if it still applies.",
                            ref);
    Okr__Response *now;
    if (okr_kit_get_objective_id(cli, id, &now) != 0)
        return code;
    if (cli->json) {
        /* stdout still gets the current state, for a script to compare */
        okr_cli_print_json(obj__detail_json(now->objective_detail, NULL));
    } else {
        obj__print_detail(cli, now->objective_detail, NULL, NULL);
    }
    okr__response__free_unpacked(now, NULL);
    return code;
}

/* The states okr obj edit --state sets (archiving is okr obj archive). */
static const okr_kit_word_t obj_states[] = {
    {"draft", OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_DRAFT},
    {"active", OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE}};

#define OBJ_NSTATES (sizeof obj_states / sizeof obj_states[0])

const char *okr_obj_state_word(size_t i)
{
    return okr_kit_word_at(obj_states, OBJ_NSTATES, i);
}

/* Applies the edit options to o. Strings point into argv (the caller puts
 * the owned ones back before freeing). -1 to go on, else an exit code. */
static int obj__apply(okr_cli_t *cli, const obj_opts_t *opts, Okr__Objective *o,
                      Okr__Visibility vis, Okr__ObjectiveKind kind)
{
    int rc;
    if (opts->title)
        o->title = (char *)opts->title;
    if (opts->description)
        o->description = (char *)opts->description;
    if (opts->owner) {
        if ((rc = okr_ref_user(cli, opts->owner, &o->owner_user_id)) != 0)
            return rc;
        /* a team's objective given to a person stays in that team */
        o->owner_team_id = 0;
    }
    if (opts->team) {
        if ((rc = okr_ref_team(cli, opts->team, &o->owner_team_id)) != 0)
            return rc;
        o->owner_user_id = 0;
        o->team_id = o->owner_team_id;
    }
    if (opts->in_team && (rc = okr_ref_team(cli, opts->in_team, &o->team_id)) != 0)
        return rc;
    if (opts->parent &&
        (rc = okr_kit_ref(cli, opts->parent, OKR_REF_OBJECTIVE, &o->parent_id)) >= 0)
        return rc;
    if (opts->no_parent)
        o->parent_id = 0;
    if (opts->kind)
        o->kind = kind;
    if (opts->visibility)
        o->visibility = vis;
    if (opts->state) {
        int state;
        if (okr_kit_word_value(obj_states, OBJ_NSTATES, opts->state, &state) != 0)
            return okr_cli_usage_error(cli,
                                       "--state is draft or active, not '%s' (to archive: okr obj "
                                       "archive)",
                                       opts->state);
        o->state = (Okr__ObjectiveState)state;
    }
    return -1;
}

static int obj__edit(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"title", required_argument, NULL, OPT_TITLE},
        {"description", required_argument, NULL, 'd'},
        {"owner", required_argument, NULL, OPT_OWNER},
        {"team", required_argument, NULL, OPT_TEAM},
        {"in-team", required_argument, NULL, OPT_IN_TEAM},
        {"parent", required_argument, NULL, OPT_PARENT},
        {"no-parent", no_argument, NULL, OPT_NO_PARENT},
        {"kind", required_argument, NULL, OPT_KIND},
        {"visibility", required_argument, NULL, OPT_VISIBILITY},
        {"state", required_argument, NULL, OPT_STATE},
        OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "obj edit";
    cli->usage = edit_usage;
    obj_opts_t o = {0};
    Okr__Visibility vis = OKR__VISIBILITY__VISIBILITY_PUBLIC;
    Okr__ObjectiveKind kind = OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_COMMITTED;
    uint64_t id;
    int rc = okr_kit_options(cli, argc, argv, "d:", longopts, obj__opt, &o);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 1, 1, "the objective (like O12)");
    if (rc < 0)
        rc = obj__check_opts(cli, &o, &vis, &kind);
    if (rc < 0)
        rc = okr_kit_ref(cli, argv[optind], OKR_REF_OBJECTIVE, &id);
    if (rc >= 0)
        return rc;
    if (!o.title && !o.description && !o.owner && !o.team && !o.in_team && !o.parent &&
        !o.no_parent && !o.kind && !o.visibility && !o.state)
        return okr_cli_usage_error(cli, "nothing to change: see okr obj edit --help");
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    Okr__Response *resp;
    rc = okr_kit_get_objective_id(cli, id, &resp);
    if (rc)
        return rc;
    Okr__Objective *obj = resp->objective_detail->objective;
    char *old_title = obj->title, *old_desc = obj->description;
    rc = obj__apply(cli, &o, obj, vis, kind);
    if (rc < 0) {
        Okr__ObjectiveUpdateRequest u = OKR__OBJECTIVE_UPDATE_REQUEST__INIT;
        u.objective = obj; /* carries the version read: the server checks it */
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_OBJECTIVE_UPDATE;
        req.objective_update = &u;
        Okr__Response *upd;
        Okr__Status status = OKR__STATUS__STATUS_UNSPECIFIED;
        char msg[1024];
        rc = okr_kit_try_call(cli, &req, OKR__RESPONSE__RESULT_OBJECTIVE, &upd, &status, msg,
                              sizeof msg);
        if (rc < 0 && status == OKR__STATUS__STATUS_CONFLICT) {
            rc = obj__conflict(cli, id);
        } else if (rc < 0) {
            rc = okr_kit_refused(cli, status, msg, NULL);
        } else if (rc == 0 && !upd->objective) {
            okr__response__free_unpacked(upd, NULL);
            rc = okr_kit_no_result(cli, "objective");
        } else if (rc == 0) {
            if (cli->json)
                okr_cli_print_json(okr_json_objective(upd->objective));
            else
                obj__say(cli, "Updated", upd->objective);
            okr__response__free_unpacked(upd, NULL);
        }
    }
    obj->title = old_title;
    obj->description = old_desc;
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* ---------------------------------------------------------------- rm, archive */

static int obj__rm_or_archive(okr_cli_t *cli, int argc, char **argv, int archive)
{
    uint64_t id;
    int rc = okr_kit_begin_ref(cli, archive ? "obj archive" : "obj rm",
                               archive ? archive_usage : rm_usage, argc, argv, OKR_REF_OBJECTIVE,
                               "the objective (like O12)", &id);
    if (rc >= 0)
        return rc;
    Okr__Response *got;
    rc = okr_kit_get_objective_id(cli, id, &got);
    if (rc)
        return rc;
    const Okr__ObjectiveDetail *d = got->objective_detail;
    char ref[32], hint[128];
    okr_ref_format(OKR_REF_OBJECTIVE, id, ref, sizeof ref);
    snprintf(hint, sizeof hint, "To keep it but hide it, archive it instead: okr obj archive %s",
             ref);
    uint64_t version = d->objective->version;
    size_t krs = d->n_key_results ? d->n_key_results : d->objective->key_result_count;
    uint32_t kids = d->child_count;
    okr__response__free_unpacked(got, NULL);
    if (!archive && (krs || kids))
        return okr_cli_fail(cli, OKR_EXIT_REFUSED, "BAD_REQUEST",
                            "%s has %zu key result%s and %u aligned objective%s: only an "
                            "objective with neither can be deleted.\n%s",
                            ref, krs, krs == 1 ? "" : "s", kids, kids == 1 ? "" : "s", hint);
    Okr__ObjectiveArchiveRequest ar = OKR__OBJECTIVE_ARCHIVE_REQUEST__INIT;
    Okr__ObjectiveDeleteRequest dr = OKR__OBJECTIVE_DELETE_REQUEST__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    if (archive) {
        ar.id = id;
        ar.version = version;
        req.op_case = OKR__REQUEST__OP_OBJECTIVE_ARCHIVE;
        req.objective_archive = &ar;
    } else {
        dr.id = id;
        dr.version = version;
        req.op_case = OKR__REQUEST__OP_OBJECTIVE_DELETE;
        req.objective_delete = &dr;
    }
    Okr__Response *resp;
    Okr__Status status = OKR__STATUS__STATUS_UNSPECIFIED;
    char msg[1024];
    rc = okr_kit_try_call(cli, &req, 0, &resp, &status, msg, sizeof msg);
    if (rc < 0)
        return okr_kit_refused(cli, status, msg,
                               status == OKR__STATUS__STATUS_CONFLICT
                                   ? "Someone else changed it meanwhile: look (okr obj show), "
                                     "then run the command again."
                               : archive ? NULL
                                         : hint);
    if (rc)
        return rc;
    if (cli->json)
        okr_cli_print_json(resp->objective ? okr_json_objective(resp->objective)
                                           : json_pack("{s:I, s:b}", "id", (json_int_t)id,
                                                       archive ? "archived" : "deleted", 1));
    else
        printf("%s %s.%s\n", archive ? "Archived" : "Deleted", ref,
               archive ? " Its key results, check-ins and history are kept." : "");
    okr__response__free_unpacked(resp, NULL);
    return OKR_EXIT_OK;
}

static int obj__rm(okr_cli_t *cli, int argc, char **argv)
{
    return obj__rm_or_archive(cli, argc, argv, 0);
}

static int obj__archive(okr_cli_t *cli, int argc, char **argv)
{
    return obj__rm_or_archive(cli, argc, argv, 1);
}

int okr_cmd_obj(okr_cli_t *cli, int argc, char **argv)
{
    static const okr_kit_sub_t subs[] = {
        {"add", obj__add},   {"list", obj__list}, {"show", obj__show},
        {"edit", obj__edit}, {"rm", obj__rm},     {"archive", obj__archive},
    };
    return okr_kit_dispatch(cli, argc, argv, "obj", obj_usage, subs, sizeof subs / sizeof subs[0]);
}

/* ---------------------------------------------------------------- score */

static int score__print(okr_cli_t *cli, const Okr__Objective *o, const char *what)
{
    if (cli->json) {
        okr_cli_print_json(okr_json_objective(o));
        return OKR_EXIT_OK;
    }
    char ref[32], score[64];
    printf("%s %s: ", what, okr_ref_format(OKR_REF_OBJECTIVE, o->id, ref, sizeof ref));
    printf("%s (%s: %.1f expected)%s\n", okr_render_score(o->score, score, sizeof score),
           okr_kit_kind_name(o->kind), okr_score_expected(o->kind),
           o->score_overridden ? ", overridden" : ", computed from progress");
    return OKR_EXIT_OK;
}

/* Sends one score or retro request and prints the objective it returns. */
static int score__send(okr_cli_t *cli, Okr__Request *req, uint64_t id, const char *what, int print)
{
    Okr__Response *resp;
    int rc = okr_cli_call(cli, req, 0, &resp);
    if (rc)
        return rc;
    if (print && resp->objective) {
        rc = score__print(cli, resp->objective, what);
    } else if (print) {
        /* Not every answer carries the objective: read it back. */
        Okr__Response *got;
        rc = okr_kit_get_objective_id(cli, id, &got);
        if (!rc) {
            rc = score__print(cli, got->objective_detail->objective, what);
            okr__response__free_unpacked(got, NULL);
        }
    }
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

int okr_cmd_score(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"note", required_argument, NULL, 'm'},
                                             {"clear", no_argument, NULL, OPT_CLEAR},
                                             {"retro", required_argument, NULL, OPT_RETRO},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "score";
    cli->usage = score_usage;
    optind = 0;
    obj_opts_t o = {0};
    uint64_t id;
    double score = 0;
    int rc = okr_kit_options(cli, argc, argv, "m:", longopts, obj__opt, &o);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 1, 2, "the objective (like O12)");
    if (rc < 0)
        rc = okr_kit_ref(cli, argv[optind], OKR_REF_OBJECTIVE, &id);
    if (rc >= 0)
        return rc;
    const char *score_arg = argc - optind == 2 ? argv[optind + 1] : NULL;
    if (score_arg && o.clear)
        return okr_cli_usage_error(cli, "give a SCORE or --clear, not both");
    if (!score_arg && !o.clear && !o.retro)
        return okr_cli_usage_error(cli, "give a SCORE with -m NOTE, --clear or --retro TEXT");
    if (score_arg && (okr_kit_parse_number(score_arg, &score) != 0 || score < 0 || score > 1))
        return okr_cli_usage_error(cli, "a score is from 0.0 to 1.0 (like 0.7), not '%s'",
                                   score_arg);
    if (score_arg && (!o.note || !o.note[0]))
        return okr_cli_usage_error(cli, "say why the score differs from the progress: -m NOTE");
    if (o.note && !score_arg)
        return okr_cli_usage_error(cli, "-m NOTE goes with a SCORE");
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    if (score_arg || o.clear) {
        Okr__ObjectiveScoreRequest sr = OKR__OBJECTIVE_SCORE_REQUEST__INIT;
        sr.id = id;
        sr.score = score;
        sr.note = (char *)(o.note ? o.note : "");
        sr.clear_override = o.clear;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_OBJECTIVE_SCORE;
        req.objective_score = &sr;
        /* with --retro too, the retro's answer is the one printed */
        rc = score__send(cli, &req, id, o.clear ? "Cleared the override of" : "Scored", !o.retro);
        if (rc)
            return rc;
    }
    if (o.retro) {
        Okr__ObjectiveRetroRequest rr = OKR__OBJECTIVE_RETRO_REQUEST__INIT;
        rr.id = id;
        rr.retrospective = (char *)o.retro;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_OBJECTIVE_RETRO;
        req.objective_retro = &rr;
        rc = score__send(cli, &req, id, "Saved the retrospective of", 1);
    }
    return rc;
}
