/* import_run.c — a checked plan created on the server request by request,
 * for an okrd older than protocol 1.6 (see import_run.h). */
#include "import_run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "okr_error.h"
#include "pipeline.h"

/* Requests in flight at once: under okrd's max_inflight (128), as
 * pipeline.c's window. */
#define IMPORT_WINDOW 96
/* The progress counter is redrawn at most this often. */
#define IMPORT_PROGRESS_MS 100

typedef enum run_kind { RUN_OBJECTIVE, RUN_KEY_RESULT, RUN_CHECKIN } run_kind_t;

/* One request, built just before it is sent (okr_client_send packs it at
 * once, so this lives on the stack). */
typedef struct run_req {
    Okr__Request req;
    union {
        Okr__ObjectiveCreateRequest oc;
        Okr__KeyResultCreateRequest kc;
        Okr__CheckInRequest ci;
    } u;
    Okr__Objective o;
    Okr__KeyResult k;
} run_req_t;

typedef struct run {
    okr_cli_t *cli;
    const okr_plan_t *p;
    okr_import_result_t *r;
    int progress;
    size_t done, total; /* requests answered OK, and all the plan needs */
    uint64_t drawn_ms;
    okr_pipe_pace_t pace;
} run_t;

static void run__stop(run_t *run, size_t line, const char *what, int err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void run__stop(run_t *run, size_t line, const char *what, int err, const char *fmt, ...)
{
    okr_import_result_t *r = run->r;
    if (r->stopped)
        return;
    r->stopped = 1;
    r->line = line;
    r->what = what;
    r->err = err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
}

static void run__draw(run_t *run, int last)
{
    if (!run->progress)
        return;
    uint64_t now = okr_mono_ms();
    if (!last && now - run->drawn_ms < IMPORT_PROGRESS_MS)
        return;
    run->drawn_ms = now;
    if (last)
        fputs("\r\033[K", stderr);
    else
        fprintf(stderr, "\rimporting: %zu of %zu created", run->done, run->total);
    fflush(stderr);
}

/* ---------------------------------------------------------------- requests */

static void run__build(const run_t *run, run_kind_t kind, size_t i, run_req_t *q)
{
    const okr_plan_t *p = run->p;
    const okr_import_result_t *r = run->r;
    okr__request__init(&q->req);
    switch (kind) {
    case RUN_OBJECTIVE: {
        const okr_plan_obj_t *po = &p->objs[i];
        q->o = po->o;
        q->o.parent_id = po->parent != OKR_PLAN_NONE ? r->obj_ids[po->parent] : po->parent_id;
        okr__objective_create_request__init(&q->u.oc);
        q->u.oc.objective = &q->o;
        q->req.op_case = OKR__REQUEST__OP_OBJECTIVE_CREATE;
        q->req.objective_create = &q->u.oc;
        break;
    }
    case RUN_KEY_RESULT: {
        const okr_plan_kr_t *pk = &p->krs[i];
        q->k = pk->k;
        q->k.objective_id = r->obj_ids[pk->objective];
        q->k.linked_objective_id = pk->linked != OKR_PLAN_NONE ? r->obj_ids[pk->linked] : 0;
        okr__key_result_create_request__init(&q->u.kc);
        q->u.kc.key_result = &q->k;
        q->req.op_case = OKR__REQUEST__OP_KEY_RESULT_CREATE;
        q->req.key_result_create = &q->u.kc;
        break;
    }
    case RUN_CHECKIN: {
        const okr_plan_kr_t *pk = &p->krs[i];
        okr__check_in_request__init(&q->u.ci);
        q->u.ci.key_result_id = r->kr_ids[i];
        q->u.ci.value = pk->current;
        q->u.ci.has_confidence = pk->has_confidence;
        q->u.ci.confidence = pk->confidence;
        q->u.ci.note = "imported";
        /* dated as the file says (okrd 1.3 on; an older one would ignore it) */
        if (okr_client_server_speaks(run->cli->client, OKR_PROTOCOL_DATED_CHECKINS))
            q->u.ci.at = pk->checked_at;
        q->req.op_case = OKR__REQUEST__OP_CHECKIN;
        q->req.checkin = &q->u.ci;
        break;
    }
    }
}

/* The new id in an answer of kind, or 0 if it has none. */
static uint64_t run__new_id(run_kind_t kind, const Okr__Response *resp)
{
    switch (kind) {
    case RUN_OBJECTIVE:
        return resp->result_case == OKR__RESPONSE__RESULT_OBJECTIVE && resp->objective
                   ? resp->objective->id
                   : 0;
    case RUN_KEY_RESULT:
        return resp->result_case == OKR__RESPONSE__RESULT_KEY_RESULT && resp->key_result
                   ? resp->key_result->id
                   : 0;
    case RUN_CHECKIN:
        return resp->result_case == OKR__RESPONSE__RESULT_CHECKIN && resp->checkin &&
                       resp->checkin->checkin
                   ? resp->checkin->checkin->id
                   : 0;
    }
    return 0;
}

static const char *run__what(run_kind_t kind)
{
    return kind == RUN_OBJECTIVE ? "objective" : kind == RUN_KEY_RESULT ? "key result" : "check-in";
}

static void run__record(run_t *run, run_kind_t kind, size_t i, uint64_t id)
{
    okr_import_result_t *r = run->r;
    if (kind == RUN_OBJECTIVE) {
        r->obj_ids[i] = id;
        r->nobjs++;
    } else if (kind == RUN_KEY_RESULT) {
        r->kr_ids[i] = id;
        r->nkrs++;
    } else {
        r->checked[i] = 1;
        r->ncheckins++;
    }
    run->done++;
    run__draw(run, 0);
}

/* ---------------------------------------------------------------- a wave */

typedef struct run_slot {
    size_t item;
    uint64_t id, sent_ms;
    int tries;
} run_slot_t;

/* Sends the n items of one wave (items[]: indices in the plan's objs or krs)
 * with up to IMPORT_WINDOW in flight, and takes every answer. After a
 * refusal nothing more is sent, but what is in flight is still answered
 * and recorded. */
static void run__wave(run_t *run, run_kind_t kind, const size_t *items, size_t n)
{
    okr_client_t *c = run->cli->client;
    run_slot_t slots[IMPORT_WINDOW];
    size_t head = 0, count = 0, next = 0;
    size_t line_of = 0;
    while (next < n || count > 0) {
        while (!run->r->stopped && next < n && count < IMPORT_WINDOW) {
            run_req_t q;
            run__build(run, kind, items[next], &q);
            run_slot_t *s = &slots[(head + count) % IMPORT_WINDOW];
            s->item = items[next];
            s->tries = 0;
            s->sent_ms = okr_mono_ms();
            if (okr_client_send(c, &q.req, &s->id) != 0) {
                line_of = kind == RUN_OBJECTIVE ? run->p->objs[items[next]].line
                                                : run->p->krs[items[next]].line;
                run__stop(run, line_of, run__what(kind), OKR_E_CLOSED, "%s", okr_client_error(c));
                break;
            }
            count++;
            next++;
        }
        if (count == 0)
            break;
        run_slot_t s = slots[head];
        head = (head + 1) % IMPORT_WINDOW;
        count--;
        size_t line = kind == RUN_OBJECTIVE ? run->p->objs[s.item].line : run->p->krs[s.item].line;
        Okr__Response *resp;
        int rc = okr_client_wait(c, s.id, &resp);
        if (rc) {
            /* The connection is gone: the answers still in flight are lost,
             * so what they created (if anything) cannot be known. */
            run__stop(run, line, run__what(kind), rc, "%s", okr_client_error(c));
            return;
        }
        if (resp->status == OKR__STATUS__STATUS_RATE_LIMITED && s.tries < OKR_PIPE_RETRIES &&
            !run->r->stopped) {
            okr__response__free_unpacked(resp, NULL);
            okr_pipe_pace(&run->pace, s.sent_ms);
            run_req_t q;
            run__build(run, kind, s.item, &q);
            s.tries++;
            s.sent_ms = okr_mono_ms();
            if (okr_client_send(c, &q.req, &s.id) != 0) {
                run__stop(run, line, run__what(kind), OKR_E_CLOSED, "%s", okr_client_error(c));
                continue;
            }
            slots[(head + count) % IMPORT_WINDOW] = s;
            count++;
            continue;
        }
        uint64_t id = resp->status == OKR__STATUS__STATUS_OK ? run__new_id(kind, resp) : 0;
        if (id) {
            run__record(run, kind, s.item, id);
        } else {
            int err = resp->status == OKR__STATUS__STATUS_OK ? OKR_E_PROTOCOL
                                                             : okr_status_to_err(resp->status);
            run__stop(run, line, run__what(kind), err, "%s",
                      resp->message && resp->message[0] ? resp->message : okr_strerror(err));
        }
        okr__response__free_unpacked(resp, NULL);
    }
}

/* ---------------------------------------------------------------- the plan */

/* Stops r for want of memory; the exit code. */
static int run__nomem(okr_import_result_t *r)
{
    snprintf(r->message, sizeof r->message, "out of memory");
    r->stopped = 1;
    r->err = OKR_E_NOMEM;
    return OKR_EXIT_ERROR;
}

int okr_import_begin(okr_cli_t *cli, const okr_plan_t *p, okr_import_result_t *r)
{
    memset(r, 0, sizeof *r);
    int rc = okr_cli_settle(cli);
    if (rc)
        return rc;
    r->obj_ids = calloc(p->nobjs + 1, sizeof *r->obj_ids);
    r->kr_ids = calloc(p->nkrs + 1, sizeof *r->kr_ids);
    r->checked = calloc(p->nkrs + 1, 1);
    return r->obj_ids && r->kr_ids && r->checked ? 0 : run__nomem(r);
}

int okr_import_run(okr_cli_t *cli, const okr_plan_t *p, int progress, okr_import_result_t *r)
{
    int rc = okr_import_begin(cli, p, r);
    if (rc)
        return rc;
    size_t *items = malloc((p->nobjs > p->nkrs ? p->nobjs : p->nkrs) * sizeof *items + 1);
    if (!items)
        return run__nomem(r);
    run_t run = {.cli = cli,
                 .p = p,
                 .r = r,
                 .progress = progress,
                 .total = p->nobjs + p->nkrs + p->ncheckins};
    /* objectives, a wave per depth: the plan lists them by depth */
    for (size_t at = 0; at < p->nobjs && !r->stopped;) {
        size_t n = 0;
        int depth = p->objs[at].depth;
        while (at < p->nobjs && p->objs[at].depth == depth)
            items[n++] = at++;
        run__wave(&run, RUN_OBJECTIVE, items, n);
    }
    size_t n = 0;
    for (size_t i = 0; i < p->nkrs && !r->stopped; i++)
        items[n++] = i;
    if (!r->stopped)
        run__wave(&run, RUN_KEY_RESULT, items, n);
    n = 0;
    for (size_t i = 0; i < p->nkrs && !r->stopped; i++)
        if (p->krs[i].checkin)
            items[n++] = i;
    if (!r->stopped)
        run__wave(&run, RUN_CHECKIN, items, n);
    run__draw(&run, 1);
    free(items);
    return r->stopped ? okr_cli_exit_code(r->err) : OKR_EXIT_OK;
}

void okr_import_result_free(okr_import_result_t *r)
{
    free(r->obj_ids);
    free(r->kr_ids);
    free(r->checked);
    memset(r, 0, sizeof *r);
}
