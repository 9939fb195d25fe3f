/* pipeline.h — many requests in one round trip, for the okr commands.
 *
 * okrd answers a connection's requests in order and takes up to
 * max_inflight (128) of them at once, so a command that needs many
 * independent answers (the key results of 60 objectives, the names of 40
 * people) sends them all before waiting for the first: one round trip per
 * window instead of one per request. Lists are followed page by page.
 */
#ifndef OKR_PIPELINE_H
#define OKR_PIPELINE_H

#include <stdint.h>

#include "cli.h"

/* One request of a pipeline, built by the caller's build function into the
 * storage here (the pipeline sets page.after_id when it fetches more pages
 * of a list). */
typedef struct okr_pipe_req {
    Okr__Request req;
    Okr__Page page;
    union {
        Okr__KeyResultListRequest kr_list;
        Okr__CheckInListRequest checkin_list;
        Okr__CommentListRequest comment_list;
        Okr__UserGetRequest user_get;
        Okr__TeamGetRequest team_get;
        Okr__CycleGetRequest cycle_get;
        Okr__ObjectiveGetRequest objective_get;
    } u;
} okr_pipe_req_t;

/* Fills r for request i: the request and its parameters; a list's with
 * r->page as its page. */
typedef void (*okr_pipe_build_fn)(void *arg, size_t i, okr_pipe_req_t *r);

/* Called with the answer to request i, each page of it for a list, in order
 * (resp is freed after the call; take nothing from it without copying). A
 * refused request (NOT_FOUND, FORBIDDEN: the item went away or was hidden
 * meanwhile) is skipped without a call. Returns 0, or an exit code to stop. */
typedef int (*okr_pipe_answer_fn)(void *arg, size_t i, const Okr__Response *resp);

/* RATE_LIMITED answers. okrd refuses what a connection sends beyond its
 * budget (rate_limit_rps, rate_limit_burst), so with a window in flight the
 * refusals come in runs: requests refused together were sent together, and
 * one pause serves them all. okr_pipe_pace pauses (OKR_PIPE_PAUSE_MS) for
 * the refusal of a request sent at sent_ms (okr_mono_ms) only when no pause
 * ended after it was sent; a request sent again after a pause and refused
 * again earns the next one. Zero-initialise. A request refused so is sent
 * again at most OKR_PIPE_RETRIES times. */
#define OKR_PIPE_PAUSE_MS 100
#define OKR_PIPE_RETRIES  100
typedef struct okr_pipe_pace {
    uint64_t resumed_ms; /* when the last pause ended */
} okr_pipe_pace_t;
void okr_pipe_pace(okr_pipe_pace_t *p, uint64_t sent_ms);

/* Sends n requests with up to a window of them in flight at once and
 * follows each list's pages. RATE_LIMITED answers are sent again, paced by
 * okr_pipe_pace. 0 or an exit code (printed). */
int okr_pipeline(okr_cli_t *cli, size_t n, okr_pipe_build_fn build, okr_pipe_answer_fn answer,
                 void *arg);

/* okr_pipeline for what is only shown (names): any refusal is skipped
 * without a word, as NOT_FOUND is; a failed connection still stops it. */
int okr_pipeline_quiet(okr_cli_t *cli, size_t n, okr_pipe_build_fn build, okr_pipe_answer_fn answer,
                       void *arg);

#endif
