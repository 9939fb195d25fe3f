/* pipeline.c — many requests in one round trip (see pipeline.h). */
#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "okr_error.h"

/* Requests in flight at once: under okrd's max_inflight (128, beyond which
 * it refuses), with room for the few a command may have sent besides (the
 * stale check-in reminder's). */
#define PIPE_WINDOW 96

void okr_pipe_pace(okr_pipe_pace_t *p, uint64_t sent_ms)
{
    if (sent_ms < p->resumed_ms)
        return; /* a pause since it was sent already gave the budget time */
    if (okr_client_tracing())
        fprintf(stderr, "okr: rate limited: pausing %d ms\n", OKR_PIPE_PAUSE_MS);
    struct timespec ts = {OKR_PIPE_PAUSE_MS / 1000, (long)(OKR_PIPE_PAUSE_MS % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    p->resumed_ms = okr_mono_ms();
}

static uint64_t pipe__next_after(const Okr__Response *r)
{
    switch (r->result_case) {
    case OKR__RESPONSE__RESULT_KEY_RESULT_LIST:
        return r->key_result_list->next_after_id;
    case OKR__RESPONSE__RESULT_CHECKIN_LIST:
        return r->checkin_list->next_after_id;
    case OKR__RESPONSE__RESULT_COMMENT_LIST:
        return r->comment_list->next_after_id;
    case OKR__RESPONSE__RESULT_OBJECTIVE_LIST:
        return r->objective_list->next_after_id;
    default:
        return 0;
    }
}

/* Handles the answer to request i (taking resp) and fetches its further
 * pages one by one. 0 or an exit code. */
static int pipe__follow(okr_cli_t *cli, size_t i, Okr__Response *resp, uint64_t sent_ms,
                        okr_pipe_pace_t *pace, okr_pipe_build_fn build, okr_pipe_answer_fn answer,
                        void *arg, int quiet)
{
    uint64_t after = 0;
    int tries = 0;
    for (;;) {
        if (resp->status == OKR__STATUS__STATUS_RATE_LIMITED && tries++ < OKR_PIPE_RETRIES) {
            okr__response__free_unpacked(resp, NULL);
            okr_pipe_pace(pace, sent_ms);
        } else if (resp->status == OKR__STATUS__STATUS_NOT_FOUND ||
                   resp->status == OKR__STATUS__STATUS_FORBIDDEN ||
                   (quiet && resp->status != OKR__STATUS__STATUS_OK)) {
            okr__response__free_unpacked(resp, NULL);
            return 0;
        } else if (resp->status != OKR__STATUS__STATUS_OK) {
            int err = okr_status_to_err(resp->status);
            int code = okr_cli_fail_err(cli, err, "%s",
                                        resp->message && resp->message[0] ? resp->message
                                                                          : okr_strerror(err));
            okr__response__free_unpacked(resp, NULL);
            return code;
        } else {
            tries = 0;
            int rc = answer(arg, i, resp);
            uint64_t next = pipe__next_after(resp);
            okr__response__free_unpacked(resp, NULL);
            if (rc)
                return rc;
            if (next == 0)
                return 0;
            if (next <= after)
                return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL",
                                    "the server repeated a page of a list");
            after = next;
        }
        okr_pipe_req_t r;
        memset(&r, 0, sizeof r);
        build(arg, i, &r);
        r.page.after_id = after;
        sent_ms = okr_mono_ms();
        int rc = okr_client_call(cli->client, &r.req, &resp);
        if (rc)
            return okr_cli_fail_err(cli, rc, "%s", okr_client_error(cli->client));
    }
}

static int pipe__run(okr_cli_t *cli, size_t n, okr_pipe_build_fn build, okr_pipe_answer_fn answer,
                     void *arg, int quiet)
{
    /* A refused session is reported as such, not as n refused requests. */
    int settled = okr_cli_settle(cli);
    if (settled)
        return settled;
    uint64_t ids[PIPE_WINDOW], sent_ms[PIPE_WINDOW];
    okr_pipe_pace_t pace = {0};
    size_t sent = 0, done = 0;
    while (done < n) {
        while (sent < n && sent - done < PIPE_WINDOW) {
            okr_pipe_req_t r;
            memset(&r, 0, sizeof r);
            build(arg, sent, &r);
            sent_ms[sent % PIPE_WINDOW] = okr_mono_ms();
            int rc = okr_client_send(cli->client, &r.req, &ids[sent % PIPE_WINDOW]);
            if (rc)
                return okr_cli_fail_err(cli, rc, "%s", okr_client_error(cli->client));
            sent++;
        }
        Okr__Response *resp;
        int rc = okr_client_wait(cli->client, ids[done % PIPE_WINDOW], &resp);
        if (rc)
            return okr_cli_fail_err(cli, rc, "%s", okr_client_error(cli->client));
        rc = pipe__follow(cli, done, resp, sent_ms[done % PIPE_WINDOW], &pace, build, answer, arg,
                          quiet);
        if (rc)
            return rc;
        done++;
    }
    return 0;
}

int okr_pipeline(okr_cli_t *cli, size_t n, okr_pipe_build_fn build, okr_pipe_answer_fn answer,
                 void *arg)
{
    return pipe__run(cli, n, build, answer, arg, 0);
}

int okr_pipeline_quiet(okr_cli_t *cli, size_t n, okr_pipe_build_fn build, okr_pipe_answer_fn answer,
                       void *arg)
{
    return pipe__run(cli, n, build, answer, arg, 1);
}
