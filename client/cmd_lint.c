/* cmd_lint.c — okr lint: the OKR coach. The server checks a cycle's
 * objectives against what the seed article warns about (common/lint.h) and
 * this shows the findings. Findings are advice, not errors: exit 0. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_kit.h"
#include "json_out.h"
#include "okr_error.h"
#include "refs.h"

enum { OPT_CYCLE = OKR_OPT_FIRST_COMMAND_OPT, OPT_TEAM, OPT_STALE_DAYS };

#define LINT_MAX_RULES 16

static const char lint_usage[] =
    "Usage: okr lint [--cycle CYCLE] [--team TEAM] [--stale-days N]\n"
    "\n"
    "The OKR coach: checks the objectives of a cycle for what makes OKRs fail\n"
    "and says what to do about each finding:\n"
    "  kr-count        fewer than 1 or more than 5 key results (3 to 5 is best)\n"
    "  not-measurable  a key result whose target equals its start\n"
    "  no-owner        an objective or key result nobody owns\n"
    "  stale           a key result with no check-in for N days\n"
    "  dates           a key result due outside its cycle\n"
    "  cross-cycle     an objective aligned to one in another cycle\n"
    "Findings are advice: the exit status is 0 whenever the check ran.\n"
    "\n"
    "Options:\n"
    "  --cycle CYCLE     the cycle (default: the active one)\n"
    "  --team TEAM       only this team's objectives\n"
    "  --stale-days N    days without a check-in that make a key result stale\n"
    "                    (default: the server's, 14)\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr lint\n"
    "  okr lint --team Platform --stale-days 7\n"
    "  okr lint --cycle 2026-Q1 --json\n";

typedef struct lint_opts {
    const char *cycle;
    const char *team;
    uint32_t stale_days;
} lint_opts_t;

static int lint__parse(okr_cli_t *cli, int argc, char **argv, lint_opts_t *o)
{
    static const struct option longopts[] = {
        {"cycle", required_argument, NULL, OPT_CYCLE},
        {"team", required_argument, NULL, OPT_TEAM},
        {"stale-days", required_argument, NULL, OPT_STALE_DAYS},
        OKR_CLI_GLOBAL_LONGOPTS};
    int opt;
    while ((opt = okr_cli_getopt(cli, argc, argv, ":h", longopts)) != -1) {
        char *end;
        long days;
        switch (opt) {
        case 'h':
            return OKR_EXIT_OK;
        case OPT_CYCLE:
            o->cycle = optarg;
            break;
        case OPT_TEAM:
            o->team = optarg;
            break;
        case OPT_STALE_DAYS:
            errno = 0;
            days = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || days < 1 || days > 3650)
                return okr_cli_usage_error(cli, "--stale-days is a number of days from 1 to 3650");
            o->stale_days = (uint32_t)days;
            break;
        default:
            return OKR_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return okr_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    return -1;
}

static char lint__kind_letter(Okr__EntityKind kind)
{
    switch (kind) {
    case OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE:
        return OKR_REF_OBJECTIVE;
    case OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT:
        return OKR_REF_KEY_RESULT;
    case OKR__ENTITY_KIND__ENTITY_KIND_TASK:
        return OKR_REF_TASK;
    default:
        return 0;
    }
}

/* Counts per rule for the summary line, in order of first appearance. */
typedef struct lint_tally {
    const char *rule[LINT_MAX_RULES];
    size_t count[LINT_MAX_RULES];
    size_t n;
} lint_tally_t;

static void lint__tally(lint_tally_t *t, const char *rule)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->rule[i], rule) == 0) {
            t->count[i]++;
            return;
        }
    if (t->n < LINT_MAX_RULES) {
        t->rule[t->n] = rule;
        t->count[t->n++] = 1;
    }
}

static int lint__print(okr_cli_t *cli, const Okr__LintResult *res)
{
    lint_tally_t tally = {0};
    okr_cli_table_t table;
    static const char *const header[] = {"RULE", "ID", "TITLE", "WHAT TO DO"};
    if (okr_cli_table_init(&table, 4, header) != 0)
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
    for (size_t i = 0; i < res->n_findings; i++) {
        const Okr__LintFinding *f = res->findings[i];
        char ref[32] = "-";
        char letter = lint__kind_letter(f->kind);
        if (letter)
            okr_ref_format((okr_ref_kind_t)letter, f->entity_id, ref, sizeof ref);
        else if (f->entity_id)
            snprintf(ref, sizeof ref, "#%llu", (unsigned long long)f->entity_id);
        char title[512];
        okr_render_truncate(f->title, OKR_KIT_TITLE_WIDTH, title, sizeof title);
        const char *row[] = {f->rule, ref, title, f->message};
        if (okr_cli_table_add(&table, row) != 0) {
            okr_cli_table_free(&table);
            return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
        }
        lint__tally(&tally, f->rule);
    }
    unsigned checked = (unsigned)res->objectives_checked;
    if (res->n_findings == 0) {
        printf("No findings in %u objective%s: nothing for the coach to say.\n", checked,
               checked == 1 ? "" : "s");
    } else {
        okr_cli_table_print(&table, stdout);
        printf("\n%zu finding%s in %u objective%s (", res->n_findings,
               res->n_findings == 1 ? "" : "s", checked, checked == 1 ? "" : "s");
        for (size_t i = 0; i < tally.n; i++)
            printf("%s%s %zu", i ? ", " : "", tally.rule[i], tally.count[i]);
        printf(")%s\n", res->truncated ? "; there are more: narrow it with --team" : ".");
    }
    okr_cli_table_free(&table);
    return OKR_EXIT_OK;
}

int okr_cmd_lint(okr_cli_t *cli, int argc, char **argv)
{
    cli->command = "lint";
    cli->usage = lint_usage;
    lint_opts_t o = {0};
    int rc = lint__parse(cli, argc, argv, &o);
    if (rc >= 0)
        return rc;
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    Okr__LintRequest lr = OKR__LINT_REQUEST__INIT;
    rc = o.cycle ? okr_ref_cycle(cli, o.cycle, &lr.cycle_id)
                 : okr_ref_default_cycle(cli, &lr.cycle_id);
    if (rc)
        return rc;
    if (o.team && (rc = okr_ref_team(cli, o.team, &lr.team_id)) != 0)
        return rc;
    lr.stale_days = o.stale_days;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_LINT;
    req.lint = &lr;
    Okr__Response *resp;
    rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_LINT, &resp);
    if (rc)
        return rc;
    const Okr__LintResult *res = resp->lint;
    if (!res) {
        okr__response__free_unpacked(resp, NULL);
        return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL", "the server sent no findings");
    }
    if (cli->json) {
        json_t *findings = json_array();
        for (size_t i = 0; findings && i < res->n_findings; i++)
            json_array_append_new(findings, okr_json_lint_finding(res->findings[i]));
        okr_cli_print_json(
            json_pack("{s:I, s:I, s:o?, s:I, s:b}", "cycle_id", (json_int_t)lr.cycle_id, "team_id",
                      (json_int_t)lr.team_id, "findings", findings, "objectives_checked",
                      (json_int_t)res->objectives_checked, "truncated", (int)res->truncated));
        rc = OKR_EXIT_OK;
    } else {
        rc = lint__print(cli, res);
    }
    okr__response__free_unpacked(resp, NULL);
    return rc;
}
