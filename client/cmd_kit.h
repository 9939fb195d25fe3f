/* cmd_kit.h — what the OKR-domain commands (team, cycle, obj, kr, score)
 * share: option and argument parsing, sub-command dispatch, calls that let
 * the caller handle a refusal, paging through lists, enum words, and the
 * objective and key result tables.
 *
 * Every function that returns an exit code has already printed the error
 * when it is not OKR_EXIT_OK.
 */
#ifndef OKR_CMD_KIT_H
#define OKR_CMD_KIT_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "json_out.h"
#include "kit_words.h"
#include "refs.h"
#include "render.h"

/* Title columns in tables are cut to this many display columns. */
#define OKR_KIT_TITLE_WIDTH 40
#define OKR_KIT_BAR_WIDTH   10

/* ---- command line */

/* Called for each command option; returns -1 to go on, or an exit code. */
typedef int (*okr_kit_opt_fn)(okr_cli_t *cli, int opt, void *arg);

/* Parses the options of a command (shortopts without the leading ":h", e.g.
 * "d:"). Returns -1 to go on (positional arguments start at optind),
 * OKR_EXIT_OK after --help, or an exit code. */
int okr_kit_options(okr_cli_t *cli, int argc, char **argv, const char *shortopts,
                    const struct option *longopts, okr_kit_opt_fn on_opt, void *arg);

/* A --since WHEN: "7d", "2w", "36h" (that long ago, at most ten years), or a
 * date for okr_render_parse_date ("2026-03-02", "today", "yesterday"): its
 * wall time in *ms and -1 to go on, else the usage error's exit code. */
int okr_kit_since(okr_cli_t *cli, const char *text, int64_t *ms);

/* Checks there are min..max positional arguments; -1 to go on, else the
 * usage error's exit code. what names the missing ones. */
int okr_kit_positional(okr_cli_t *cli, int argc, char **argv, int min, int max, const char *what);

/* Names the command, parses its options (on_opt and arg as okr_kit_options)
 * and its min..max positional arguments (what names the missing ones, as
 * okr_kit_positional), then connects with the saved session
 * (okr_cli_connect_auth). Returns -1 to go on (positional arguments start at
 * optind), or the exit code to return now: OKR_EXIT_OK after --help, a usage
 * error, or a failure to connect or log in. */
int okr_kit_begin(okr_cli_t *cli, const char *command, const char *usage, int argc, char **argv,
                  const char *shortopts, const struct option *longopts, okr_kit_opt_fn on_opt,
                  void *arg, int min, int max, const char *what);

/* okr_kit_begin for a command with no options of its own and one argument,
 * a reference of kind (what names it: "the objective (like O12)"), read into
 * *id before connecting, so that a bad one is a usage error without a
 * server. Returns -1 to go on, or the exit code to return now. */
int okr_kit_begin_ref(okr_cli_t *cli, const char *command, const char *usage, int argc, char **argv,
                      okr_ref_kind_t kind, const char *what, uint64_t *id);

typedef struct okr_kit_sub {
    const char *name;
    int (*run)(okr_cli_t *cli, int argc, char **argv);
} okr_kit_sub_t;

#define OKR_KIT_MAX_SUBS 16 /* sub-commands of one group */

/* Runs the sub-command named by argv[1] (argv[0] is the group, "team"); for
 * a name it does not know, the usage error says which one was likely meant.
 * In probe mode (cli.h) a name it does not know, or none, hands subs to
 * cli->probe instead. */
int okr_kit_dispatch(okr_cli_t *cli, int argc, char **argv, const char *group, const char *usage,
                     const okr_kit_sub_t *subs, size_t nsubs);

/* Parses a date option's value into *ms, or prints a usage error naming
 * the option. Returns -1 to go on or the exit code. */
int okr_kit_date_opt(okr_cli_t *cli, const char *opt, const char *value, int end_of_day,
                     int64_t *ms);

/* "O12" etc. into *id, or prints a usage error saying what a reference of
 * that kind looks like. Returns -1 to go on or the exit code. */
int okr_kit_ref(okr_cli_t *cli, const char *text, okr_ref_kind_t kind, uint64_t *id);

/* ---- printing (the enum words are in kit_words.h) */

/* Prints "  label  value" with value sanitized (keep_newlines: a multi-line
 * value is indented under the label). */
void okr_kit_field(const char *label, const char *value);

/* Prints s sanitized (NULL is ""). */
void okr_kit_puts(const char *s);

/* ---- errors */

int okr_kit_nomem(okr_cli_t *cli);
int okr_kit_no_result(okr_cli_t *cli, const char *what);

/* Waits for the server's Hello and refuses, as UNSUPPORTED, a server older
 * than protocol minor: "SERVER is an older okrd that " and then, what it
 * cannot do and what to do instead. 0 or an exit code (printed). */
int okr_kit_require_protocol(okr_cli_t *cli, uint32_t minor, const char *cannot);

/* ---- calls */

/* Sends req. Returns 0 with *resp (OK, of kind expect unless 0); -1 when the
 * server refused: nothing printed, *status and msg (the server's message, or
 * a generic one) say why; else prints the error and returns an exit code. */
int okr_kit_try_call(okr_cli_t *cli, Okr__Request *req, Okr__Response__ResultCase expect,
                     Okr__Response **resp, Okr__Status *status, char *msg, size_t msglen);

/* okr_kit_try_call for a request sent ahead (sent: its id from
 * okr_cli_send), or sent now when sent is 0. */
int okr_kit_try_take(okr_cli_t *cli, uint64_t sent, Okr__Request *req,
                     Okr__Response__ResultCase expect, Okr__Response **resp, Okr__Status *status,
                     char *msg, size_t msglen);

/* Prints a refusal got from okr_kit_try_call, with a hint on a second line
 * (NULL: none). Returns the exit code. */
int okr_kit_refused(okr_cli_t *cli, Okr__Status status, const char *msg, const char *hint);

/* Sends a change (update, delete, close) of something read before, with its
 * version. Returns 0 with *resp (free it); else prints the error and returns
 * the exit code: a refusal with conflict_hint on a second line when the
 * server answered CONFLICT (someone else changed it meanwhile). */
int okr_kit_call_change(okr_cli_t *cli, Okr__Request *req, Okr__Response__ResultCase expect,
                        Okr__Response **resp, const char *conflict_hint);

/* Takes the answer to req, sent ahead with okr_cli_send (sent: its id) or
 * sent now (sent 0). 0 with *resp (OK, of kind expect unless 0; free it),
 * else prints the error and returns the exit code: a NOT_FOUND as
 * not_found_fmt, its one %s replaced by what ("O12"). */
int okr_kit_answer(okr_cli_t *cli, uint64_t sent, Okr__Request *req,
                   Okr__Response__ResultCase expect, Okr__Response **resp,
                   const char *not_found_fmt, const char *what);

/* okr_kit_answer's not_found_fmt for an objective and a key result. */
#define OKR_KIT_NO_OBJECTIVE "no objective %s (or it is not visible to you) — see: okr obj list"
#define OKR_KIT_NO_KEY_RESULT                                                                      \
    "no key result %s (or it is not visible to you) — see: okr kr list O12"

/* Gets an objective (ObjectiveDetail), key result, team or cycle by the name
 * or reference people type. 0 with *resp (free it), or an exit code. */
int okr_kit_get_objective(okr_cli_t *cli, const char *ref, Okr__Response **resp);
int okr_kit_get_objective_id(okr_cli_t *cli, uint64_t id, Okr__Response **resp);

/* MineRequest (cycle_id 0: every active cycle; stale_only: only the key
 * results without a recent check-in; feedback_since: the comments and kudos
 * for the caller written since then, wall ms, 0 = none; not asked of a
 * server known to be older than protocol 1.4). 0 with *resp holding a
 * MineResult, or an exit code (printed). */
int okr_kit_get_mine(okr_cli_t *cli, uint64_t cycle_id, int stale_only, int64_t feedback_since,
                     Okr__Response **resp);

/* One comment on one line: "  2026-11-26  ★ kudos  bob → alice on K12:
 * “body”", the body cut to body_width columns; the user me (0: nobody) is
 * "you". Names come from okr_ref_username: want and fetch them first. */
void okr_kit_comment_line(okr_cli_t *cli, const Okr__Comment *c, uint64_t me, size_t body_width);

/* A comment as JSON (okr_json_comment) with "on" (O12 or K12) and "author"
 * (a name, as okr_kit_comment_line); NULL on allocation failure. */
json_t *okr_kit_comment_json(okr_cli_t *cli, const Okr__Comment *c);
int okr_kit_get_key_result(okr_cli_t *cli, const char *ref, Okr__Response **resp);
int okr_kit_get_team(okr_cli_t *cli, const char *name, Okr__Response **resp);
int okr_kit_get_cycle(okr_cli_t *cli, const char *name, Okr__Response **resp);

/* ---- lists: every page, in order */

/* The responses of all pages, kept alive, and pointers to their items. */
typedef struct okr_kit_pages {
    Okr__Response **resp;
    size_t nresp, capresp;
    void **items;
    size_t n, cap;
} okr_kit_pages_t;

/* Sends req again and again with page->after_id = the last next_after_id
 * until it is 0, collecting the items of a TEAM_LIST, CYCLE_LIST,
 * OBJECTIVE_LIST, KEY_RESULT_LIST or CHECKIN_LIST answer. page must be the
 * Page inside req. 0 or an exit code (out is freed then). */
int okr_kit_fetch_all(okr_cli_t *cli, Okr__Request *req, Okr__Page *page,
                      Okr__Response__ResultCase expect, okr_kit_pages_t *out);

/* okr_kit_fetch_all whose first page (page->after_id 0) was sent ahead with
 * okr_cli_send: sent is its id; req and page stay the caller's, as there. */
int okr_kit_fetch_all_sent(okr_cli_t *cli, uint64_t sent, Okr__Request *req, Okr__Page *page,
                           Okr__Response__ResultCase expect, okr_kit_pages_t *out);
void okr_kit_pages_free(okr_kit_pages_t *p);

/* Fetches the objectives matching the filter (its page is set here). */
int okr_kit_list_objectives(okr_cli_t *cli, Okr__ObjectiveListRequest *filter,
                            okr_kit_pages_t *out);

/* A JSON array of the items of pages with conv; NULL when out of memory. */
json_t *okr_kit_json_array(const okr_kit_pages_t *p, json_t *(*conv)(const void *item));

/* ---- tables */

/* "alice", or "Sales (team)" for a team-owned objective; into buf. */
const char *okr_kit_owner(okr_cli_t *cli, const Okr__Objective *o, char *buf, size_t len);

/* Prints objectives as a table: ID, TITLE, OWNER, PROGRESS, STATUS. tree: in
 * alignment order, children indented under their parents. scores: ID,
 * TITLE, OWNER, KIND, PROGRESS, SCORE instead (a closed cycle). 0 or an exit
 * code. */
int okr_kit_print_objectives(okr_cli_t *cli, Okr__Objective *const *objs, size_t n, int tree,
                             int scores);

/* 1 when the objectives are of a closed cycle: each closed (scored) or
 * archived, and at least one closed. Their table shows scores then. */
int okr_kit_all_scored(Okr__Objective *const *objs, size_t n);

/* Prints key results as a table: ID, TITLE, CURRENT -> TARGET, PROGRESS,
 * CONF, LAST CHECK-IN, OWNER. expected: the objective's expected progress
 * now, to colour each bar by its status (< 0: no colour); a key result
 * linked to an objective among linked[] (ObjectiveDetail.linked, 1.5) takes
 * that objective's status, as in okr tree. trend: the objective's (trend.h),
 * for a TREND column of the last weeks; NULL: none. */
int okr_kit_print_key_results(okr_cli_t *cli, Okr__KeyResult *const *krs, size_t n, double expected,
                              Okr__ProgressUpdate *const *linked, size_t nlinked,
                              const Okr__ObjectiveTrend *trend);

/* "120 -> 200 customers", "$1,200 -> $5,000", "not done" (boolean): the
 * current value and the target; "from O57" for a key result linked to an
 * objective, whose progress it takes. */
const char *okr_kit_figures(const Okr__KeyResult *kr, char *buf, size_t len);

/* The same for any two values: "0 -> 200 customers". */
const char *okr_kit_span(const Okr__KeyResult *kr, double from, double to, char *buf, size_t len);

#endif
