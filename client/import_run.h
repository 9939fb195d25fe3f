/* import_run.h — okr import's writes: a checked plan (import_plan.h) created
 * on the server, as one import (okrd 1.6 on: import_one.c) or, from an older
 * okrd, request by request, pipelined (import_run.c).
 *
 * One import (okr_import_run_one) is one request and one write on the
 * server: everything is created, or nothing is and the refused row is named.
 *
 * Request by request (okr_import_run):
 * The objectives go in waves, one per depth of the alignment (a child needs
 * its parent's new id), then every key result, then the check-ins; within a
 * wave up to IMPORT_WINDOW requests are in flight at once, so a file of 200
 * rows costs a handful of round trips, not 400. The server authorises each
 * create as for okr obj add and okr kr add; the first refusal stops the
 * import: nothing more is sent, the answers to what was already in flight
 * are still taken (some may have been created), and the result says exactly
 * what exists. Nothing created is undone.
 */
#ifndef OKR_IMPORT_RUN_H
#define OKR_IMPORT_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "import_plan.h"
#include "import_request.h"

typedef struct okr_import_result {
    uint64_t *obj_ids;             /* per plan->objs: the new id, 0 if not created */
    uint64_t *kr_ids;              /* per plan->krs */
    unsigned char *checked;        /* per plan->krs: 1 when its check-in was written */
    size_t nobjs, nkrs, ncheckins; /* created */
    /* What stopped it (stopped != 0): the line of the row refused, what it
     * was ("objective", "key result", "check-in"), the error (okr_err_t)
     * and the server's or the connection's message. */
    int stopped;
    int atomic;     /* the import was one write: a refusal created nothing */
    int unanswered; /* one write sent, but no answer came: made or not, unknown */
    int unsent;     /* the one write could not be sent: nothing was made */
    size_t line;
    const char *what;
    int err;
    char message[512];
} okr_import_result_t;

/* Creates plan through cli->client (connected, authenticated). progress: show
 * a counter on stderr (a terminal). Returns 0 when everything was created;
 * else the exit code for r->err, with r saying what was created and what
 * stopped it; nothing printed either way. Free r with okr_import_result_free. */
int okr_import_run(okr_cli_t *cli, const okr_plan_t *plan, int progress, okr_import_result_t *r);

/* Creates plan as one import: q, built from plan (import_request.h), in
 * one request and one write. Returns and fills r as okr_import_run does; on a
 * refusal nothing was created (r->atomic). progress: say on stderr (a
 * terminal) that it is waiting for the server. */
int okr_import_run_one(okr_cli_t *cli, const okr_plan_t *plan, const okr_import_request_t *q,
                       int progress, okr_import_result_t *r);

/* Takes the answers the connection has still to come (okr_cli_settle) and
 * sets r up for plan: every id 0, nothing created. 0, or the exit code
 * (printed, or with r saying it ran out of memory). */
int okr_import_begin(okr_cli_t *cli, const okr_plan_t *plan, okr_import_result_t *r);

void okr_import_result_free(okr_import_result_t *r);

#endif
