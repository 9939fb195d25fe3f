/* import_one.c — a checked plan created as one import (protocol 1.6): one
 * request, one write on the server, all or nothing (see import_run.h). */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "import_run.h"
#include "okr_error.h"
#include "pipeline.h"

/* How long the server may take over the write: okrd creates every item in
 * one transaction, about a millisecond each on a slow disk, with room. */
#define IMPORT_WAIT_BASE_MS     30000u
#define IMPORT_WAIT_PER_ITEM_MS 10u

/* The row of the item the server refused (ImportResult.refused_kind, index). */
static void one__refused_row(const okr_plan_t *p, const Okr__ImportResult *res,
                             okr_import_result_t *r)
{
    r->what = "import";
    if (!res)
        return;
    size_t i = res->refused_index;
    if (res->refused_kind == OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE && i < p->nobjs) {
        r->what = "objective";
        r->line = p->objs[i].line;
    } else if (res->refused_kind == OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT && i < p->nkrs) {
        r->what = "key result";
        r->line = p->krs[i].line;
    } else if (res->refused_kind == OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN && i < p->nkrs) {
        r->what = "check-in";
        r->line = p->krs[i].line;
    }
}

/* The refusal's message without the server's "key result 7 of the import: ",
 * which counts items in the request's order: okr names the file's line. */
static const char *one__message(const char *m)
{
    const char *at = m ? strstr(m, " of the import: ") : NULL;
    return at ? at + strlen(" of the import: ") : m;
}

static void one__stop(okr_import_result_t *r, int err, const char *message)
{
    r->stopped = 1;
    r->err = err;
    snprintf(r->message, sizeof r->message, "%s",
             message && message[0] ? message : okr_strerror(err));
}

/* Takes an OK answer's ids. 0, or -1 when they do not match the plan. */
static int one__created(const okr_plan_t *p, const Okr__ImportResult *res, okr_import_result_t *r)
{
    if (!res || res->n_objective_ids != p->nobjs || res->n_key_result_ids != p->nkrs)
        return -1;
    for (size_t i = 0; i < p->nobjs; i++)
        r->obj_ids[i] = res->objective_ids[i];
    for (size_t j = 0; j < p->nkrs; j++) {
        r->kr_ids[j] = res->key_result_ids[j];
        r->checked[j] = (unsigned char)p->krs[j].checkin;
    }
    r->nobjs = p->nobjs;
    r->nkrs = p->nkrs;
    r->ncheckins = res->checkins;
    return 0;
}

/* Sends q and waits for its answer, again while it is RATE_LIMITED. */
static int one__call(okr_cli_t *cli, const okr_import_request_t *q, okr_import_result_t *r,
                     Okr__Response **resp)
{
    okr_client_t *c = cli->client;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_IMPORT_PLAN;
    req.import_plan = (Okr__ImportRequest *)&q->req;
    size_t items = q->req.n_objectives + q->req.n_key_results;
    uint32_t wait_ms = IMPORT_WAIT_BASE_MS + (uint32_t)items * IMPORT_WAIT_PER_ITEM_MS;
    if (cli->timeout_ms > wait_ms) /* --timeout asks for longer */
        wait_ms = cli->timeout_ms;
    okr_pipe_pace_t pace = {0};
    for (int tries = 0;; tries++) {
        uint64_t id, sent_ms = okr_mono_ms();
        int rc = okr_client_send(c, &req, &id);
        int sent = rc == 0;
        if (sent)
            rc = okr_client_wait_within(c, id, wait_ms, resp);
        if (rc) {
            one__stop(r, rc, okr_client_error(c));
            r->what = "import";
            r->unanswered = sent; /* the write may or may not have happened */
            r->unsent = !sent;
            return rc;
        }
        if ((*resp)->status != OKR__STATUS__STATUS_RATE_LIMITED || tries == OKR_PIPE_RETRIES)
            return 0;
        okr__response__free_unpacked(*resp, NULL);
        *resp = NULL;
        okr_pipe_pace(&pace, sent_ms);
    }
}

int okr_import_run_one(okr_cli_t *cli, const okr_plan_t *p, const okr_import_request_t *q,
                       int progress, okr_import_result_t *r)
{
    int rc = okr_import_begin(cli, p, r);
    if (rc)
        return rc;
    r->atomic = 1;
    if (progress) {
        fprintf(stderr, "importing: %zu records in one write", p->nobjs + p->nkrs + p->ncheckins);
        fflush(stderr);
    }
    Okr__Response *resp = NULL;
    rc = one__call(cli, q, r, &resp);
    if (progress) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    if (rc)
        return okr_cli_exit_code(rc);
    const Okr__ImportResult *res =
        resp->result_case == OKR__RESPONSE__RESULT_IMPORT_PLAN ? resp->import_plan : NULL;
    if (resp->status != OKR__STATUS__STATUS_OK) {
        one__refused_row(p, res, r);
        /* The item's number is the request's: okr names the file's line
         * instead, when the server said which item it was. */
        one__stop(r, okr_status_to_err(resp->status),
                  r->line ? one__message(resp->message) : resp->message);
    } else if (one__created(p, res, r) != 0) {
        one__stop(r, OKR_E_PROTOCOL, "the server's answer does not list what it created");
        r->what = "import";
    }
    okr__response__free_unpacked(resp, NULL);
    return r->stopped ? okr_cli_exit_code(r->err) : OKR_EXIT_OK;
}
