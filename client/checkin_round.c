/* checkin_round.c — okr checkin --all: the weekly round (see checkin_round.h).
 *
 * Decisions, for the next reader:
 *   - Each answer is recorded at once, not at the end: a round stopped
 *     halfway (Ctrl-C, a call) keeps what was answered.
 *   - Answers come from the terminal when there is one, else one per line
 *     from standard input (value, confidence, note for each key result, an
 *     empty line for "skip" or "keep"), so that a script or a test can run
 *     the round; the prompts and answers are then echoed to standard output,
 *     which reads as the transcript of the round.
 *   - A value that does not parse, or does not fit the key result, is asked
 *     again with the reason; a refusal from the server (a closed cycle, a
 *     right taken away meanwhile) is reported and the round goes on.
 */
#include "checkin_round.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkin_value.h"
#include "client.h"
#include "clock.h"
#include "cmd_kit.h"
#include "json_out.h"
#include "refs.h"
#include "render.h"

#define ROUND_ANSWER_MAX 512
#define ROUND_TRIES      5 /* a value asked again at most this often */

typedef enum round_read {
    ROUND_ANSWERED,
    ROUND_EMPTY,
    ROUND_STOP, /* "q", or the end of the input */
} round_read_t;

/* What moved, for the summary: an objective's progress before and after. */
typedef struct round_moved {
    uint64_t objective_id;
    double before, after;
    int known_before; /* one of yours (in the MineResult): its progress before the round */
    Okr__ProgressStatus status;
    char title[OKR_KIT_TITLE_WIDTH * 4 + 8];
} round_moved_t;

typedef struct round {
    okr_cli_t *cli;
    const okr_checkin_round_opts_t *o;
    int tty;
    FILE *out; /* the round's transcript: stdout, or stderr under --json */
    const Okr__MineResult *mine;
    round_moved_t *moved;
    size_t nmoved;
    size_t recorded, skipped, refused;
    json_t *results; /* --json: the check-ins recorded */
} round_t;

int okr_checkin_server_dates(okr_cli_t *cli)
{
    return okr_kit_require_protocol(cli, OKR_PROTOCOL_DATED_CHECKINS,
                                    "cannot date a check-in: upgrade it, or check in without --at");
}

/* ---------------------------------------------------------------- asking */

/* One answer, trimmed of surrounding blanks. */
static round_read_t round__ask(round_t *r, const char *prompt, char *buf, size_t len)
{
    int rc;
    if (r->tty) {
        rc = okr_cli_prompt(prompt, 1, buf, len);
    } else {
        fputs(prompt, r->out);
        rc = okr_cli_read_stdin_line(buf, len);
        fprintf(r->out, "%s\n", rc == 0 ? buf : "");
    }
    if (rc != 0)
        return ROUND_STOP; /* the end of the input, or a line too long to be an answer */
    char *p = buf;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
        n--;
    memmove(buf, p, n);
    buf[n] = '\0';
    if (strcmp(buf, "q") == 0 || strcmp(buf, "quit") == 0)
        return ROUND_STOP;
    return buf[0] ? ROUND_ANSWERED : ROUND_EMPTY;
}

/* The value for kr, asked until it fits; ROUND_EMPTY: skipped. */
static round_read_t round__value(round_t *r, const Okr__KeyResult *kr, const char *ref, double *out)
{
    char answer[ROUND_ANSWER_MAX], why[ROUND_ANSWER_MAX + 64];
    const char *prompt = kr->metric == OKR__METRIC__METRIC_BOOLEAN
                             ? "  done? (done/undone; Enter: skip; q: stop) "
                             : "  new value (42, +5, 60%; Enter: skip; q: stop) ";
    for (int tries = 0; tries < ROUND_TRIES; tries++) {
        round_read_t got = round__ask(r, prompt, answer, sizeof answer);
        if (got != ROUND_ANSWERED)
            return got;
        okr_checkin_value_t val;
        if (okr_checkin_parse_value(answer, &val) != 0)
            snprintf(why, sizeof why, "'%s' is not a value", answer);
        else if (okr_checkin_resolve(kr, ref, &val, out, why, sizeof why) == 0)
            return ROUND_ANSWERED;
        fprintf(r->out,
                "  %s: give a number (42), a change (+5, -3), a share (60%%) or done/undone\n",
                why);
    }
    fprintf(r->out, "  skipped %s\n", ref);
    return ROUND_EMPTY;
}

/* The confidence: *has 0 when none is given and none was known. */
static round_read_t round__confidence(round_t *r, const Okr__KeyResult *kr, int *has, uint32_t *c)
{
    char answer[ROUND_ANSWER_MAX], prompt[96];
    *has = kr->has_confidence;
    *c = kr->has_confidence ? kr->confidence : 0;
    if (kr->has_confidence)
        snprintf(prompt, sizeof prompt, "  confidence 0-10 (Enter: %u) ", (unsigned)kr->confidence);
    else
        snprintf(prompt, sizeof prompt, "  confidence 0-10 (Enter: none) ");
    for (int tries = 0; tries < ROUND_TRIES; tries++) {
        round_read_t got = round__ask(r, prompt, answer, sizeof answer);
        if (got != ROUND_ANSWERED)
            return got;
        if (okr_checkin_parse_confidence(answer, c) == 0) {
            *has = 1;
            return ROUND_ANSWERED;
        }
        fprintf(r->out, "  the confidence is a whole number from 0 to 10, not '%s'\n", answer);
    }
    return ROUND_EMPTY; /* keep what it was */
}

/* ---------------------------------------------------------------- recording */

static const Okr__Objective *round__objective(const round_t *r, uint64_t id)
{
    for (size_t i = 0; i < r->mine->n_objectives; i++)
        if (r->mine->objectives[i]->id == id)
            return r->mine->objectives[i];
    return NULL;
}

/* Notes how the key result's objective moved (the first ancestor). */
static void round__note_moved(round_t *r, const Okr__CheckInResult *res)
{
    if (res->n_ancestors == 0)
        return;
    const Okr__ProgressUpdate *u = res->ancestors[0];
    for (size_t i = 0; i < r->nmoved; i++)
        if (r->moved[i].objective_id == u->objective_id) {
            r->moved[i].after = u->progress;
            r->moved[i].status = u->status;
            return;
        }
    round_moved_t *grown = realloc(r->moved, (r->nmoved + 1) * sizeof *grown);
    if (!grown)
        return; /* the summary leaves it out */
    r->moved = grown;
    const Okr__Objective *o = round__objective(r, u->objective_id);
    round_moved_t *m = &r->moved[r->nmoved++];
    *m = (round_moved_t){.objective_id = u->objective_id,
                         .before = o ? o->progress : 0,
                         .after = u->progress,
                         .known_before = o != NULL,
                         .status = u->status};
    /* a team's objective is not among yours: its title comes with the answer */
    okr_render_truncate(o          ? o->title
                        : u->title ? u->title
                                   : "",
                        OKR_KIT_TITLE_WIDTH, m->title, sizeof m->title);
}

/* Records one check-in. 0, or an exit code when the connection failed. */
static int round__record(round_t *r, const Okr__KeyResult *kr, const char *ref, double value,
                         int has_confidence, uint32_t confidence, const char *note)
{
    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = kr->id;
    ci.value = value;
    ci.has_confidence = has_confidence;
    ci.confidence = confidence;
    ci.note = (char *)note;
    ci.at = r->o->at;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CHECKIN;
    req.checkin = &ci;
    Okr__Response *resp;
    Okr__Status status;
    char msg[1024];
    int rc = okr_kit_try_call(r->cli, &req, OKR__RESPONSE__RESULT_CHECKIN, &resp, &status, msg,
                              sizeof msg);
    if (rc > 0)
        return rc;
    if (rc < 0) {
        fprintf(r->out, "  not recorded: %s\n", msg);
        r->refused++;
        return 0;
    }
    const Okr__CheckInResult *res = resp->checkin;
    if (res && res->key_result) {
        char was[96], now[96], bar[160];
        const Okr__KeyResult *after = res->key_result;
        okr_render_value(after, res->checkin ? res->checkin->previous_value : kr->current, was,
                         sizeof was);
        okr_render_value(after, after->current, now, sizeof now);
        okr_render_bar(after->progress, 10, OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED, bar,
                       sizeof bar);
        fprintf(r->out, "  \u2713 %s %s \u2192 %s  %s\n", ref, was, now, bar);
        round__note_moved(r, res);
        if (r->results && res->checkin)
            json_array_append_new(r->results, okr_json_checkin(res->checkin));
    }
    r->recorded++;
    okr__response__free_unpacked(resp, NULL);
    return 0;
}

/* ---------------------------------------------------------------- the round */

static void round__show(round_t *r, const Okr__KeyResult *kr, const char *ref, int64_t now)
{
    char figures[300], bar[160], ago[64];
    char *title = okr_cli_sanitize(kr->title, 0);
    fprintf(r->out, "\n%s  %s\n  %s  %s", ref, title ? title : "",
            okr_kit_figures(kr, figures, sizeof figures),
            okr_render_bar(kr->progress, 10, OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED, bar,
                           sizeof bar));
    free(title);
    if (kr->has_confidence)
        fprintf(r->out, "  confidence %u/10", (unsigned)kr->confidence);
    fprintf(r->out, "  checked in %s\n", okr_render_ago(kr->last_checkin_at, now, ago, sizeof ago));
}

/* One key result. 0 to go on, 1 to stop the round, or an exit code + 1. */
static int round__one(round_t *r, const Okr__KeyResult *kr, int64_t now)
{
    char ref[32], note[ROUND_ANSWER_MAX];
    okr_ref_format(OKR_REF_KEY_RESULT, kr->id, ref, sizeof ref);
    round__show(r, kr, ref, now);
    double value;
    round_read_t got = round__value(r, kr, ref, &value);
    if (got == ROUND_EMPTY)
        r->skipped++;
    if (got != ROUND_ANSWERED)
        return got == ROUND_STOP;
    int has_confidence;
    uint32_t confidence;
    if (round__confidence(r, kr, &has_confidence, &confidence) == ROUND_STOP)
        return 1;
    got = round__ask(r, "  note (Enter: none) ", note, sizeof note);
    if (got == ROUND_STOP)
        return 1;
    if (got == ROUND_EMPTY)
        note[0] = '\0';
    int rc = round__record(r, kr, ref, value, has_confidence, confidence, note);
    return rc ? rc + 1 : 0;
}

static void round__summary(const round_t *r)
{
    printf("\nRecorded %zu check-in%s", r->recorded, r->recorded == 1 ? "" : "s");
    if (r->skipped)
        printf(", skipped %zu", r->skipped);
    if (r->refused)
        printf(", %zu refused", r->refused);
    printf(".\n");
    for (size_t i = 0; i < r->nmoved; i++) {
        const round_moved_t *m = &r->moved[i];
        char ref[32], status[64];
        okr_ref_format(OKR_REF_OBJECTIVE, m->objective_id, ref, sizeof ref);
        printf("  %-6s ", ref);
        okr_kit_puts(m->title);
        if (m->known_before)
            printf("  %d%% \u2192", okr_render_pct(m->before));
        else
            printf("  now");
        printf(" %d%%  %s\n", okr_render_pct(m->after),
               okr_render_status(m->status, status, sizeof status));
    }
}

int okr_checkin_round(okr_cli_t *cli, const okr_checkin_round_opts_t *o)
{
    int rc = okr_cli_connect_lazy(cli);
    if (rc == 0 && o->at)
        rc = okr_checkin_server_dates(cli);
    if (rc)
        return rc;
    Okr__Response *resp;
    if ((rc = okr_kit_get_mine(cli, 0, o->stale_only, 0, &resp)) != 0)
        return rc;
    round_t r = {.cli = cli,
                 .o = o,
                 .tty = okr_cli_interactive(),
                 .out = cli->json ? stderr : stdout,
                 .mine = resp->mine};
    if (cli->json && !(r.results = json_array())) {
        okr__response__free_unpacked(resp, NULL);
        return okr_kit_nomem(cli);
    }
    size_t asked = 0;
    int64_t now = okr_wall_ms();
    int stop = 0;
    for (size_t i = 0; !stop && i < resp->mine->n_key_results; i++) {
        const Okr__KeyResult *kr = resp->mine->key_results[i];
        if (kr->archived || kr->linked_objective_id)
            continue; /* a linked one moves with its objective */
        asked++;
        stop = round__one(&r, kr, now);
    }
    if (stop > 1)
        rc = stop - 1;
    else if (cli->json)
        okr_cli_print_json(json_pack("{s:O, s:I, s:I}", "checkins", r.results, "skipped",
                                     (json_int_t)r.skipped, "refused", (json_int_t)r.refused));
    else if (asked == 0)
        printf("%s\n", o->stale_only ? "None of your key results is stale: nothing to check in."
                                     : "You own no key result to check in on (okr mine).");
    else
        round__summary(&r);
    if (rc == 0 && r.refused)
        rc = OKR_EXIT_REFUSED;
    json_decref(r.results);
    free(r.moved);
    okr__response__free_unpacked(resp, NULL);
    return rc;
}
