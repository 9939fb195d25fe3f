/* import_run.h — okr import's writes: a checked plan (import_plan.h) created
 * on the server, pipelined.
 *
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

typedef struct okr_import_result {
    uint64_t *obj_ids;             /* per plan->objs: the new id, 0 if not created */
    uint64_t *kr_ids;              /* per plan->krs */
    unsigned char *checked;        /* per plan->krs: 1 when its check-in was written */
    size_t nobjs, nkrs, ncheckins; /* created */
    /* What stopped it (stopped != 0): the line of the row refused, what it
     * was ("objective", "key result", "check-in"), the error (okr_err_t)
     * and the server's or the connection's message. */
    int stopped;
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

void okr_import_result_free(okr_import_result_t *r);

#endif
