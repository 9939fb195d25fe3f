/* handle_backup.c — backup (admins): an online copy of the store.
 *
 * The copy runs on libuv's thread pool, never on the loop: it can take
 * seconds for a large store, and every other connection keeps being served
 * and every write keeps committing meanwhile (the copy reads one snapshot).
 * One backup runs at a time; a second request gets CONFLICT. The request
 * holds its connection until the copy ends, so a shutdown waits for it
 * instead of closing the store under it.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "log.h"
#include "okr_error.h"
#include "request.h"
#include "validate.h"

typedef struct backup_job {
    uv_work_t work;
    okr_req_t *r;
    okr_store_t *store;
    const char *path; /* in r->msg, which outlives the job */
    int compact;
    int rc;
    okr_backup_info_t info;
    char err[512];
} backup_job_t;

/* Loop thread only. */
static int backup_running;

static void backup__work(uv_work_t *w)
{
    backup_job_t *job = w->data;
    job->rc = okr_backup_write(job->store, job->path, job->compact, &job->info, job->err,
                               sizeof job->err);
}

static void backup__done(uv_work_t *w, int status)
{
    backup_job_t *job = w->data;
    okr_req_t *r = job->r;
    backup_running = 0;
    if (status != 0) {
        job->rc = OKR_E_INTERNAL;
        snprintf(job->err, sizeof job->err, "the backup could not run: %s", uv_strerror(status));
    }
    if (job->rc != 0) {
        okr_warn("backup to %s failed: %s", job->path, job->err);
        okr_req_fail(r, job->rc, "%s", job->err);
        free(job);
        return;
    }
    okr_info("backup: %s written: %llu bytes, changes up to seq %llu, %lld ms", job->path,
             (unsigned long long)job->info.bytes, (unsigned long long)job->info.last_seq,
             (long long)job->info.took_ms);
    Okr__BackupResult res = OKR__BACKUP_RESULT__INIT;
    res.path = (char *)job->path;
    res.bytes = job->info.bytes;
    res.last_seq = job->info.last_seq;
    res.took_ms = job->info.took_ms;
    Okr__Response resp = OKR__RESPONSE__INIT;
    resp.result_case = OKR__RESPONSE__RESULT_BACKUP;
    resp.backup = &res;
    okr_req_reply(r, &resp);
    free(job);
}

void okr_handle_backup(okr_req_t *r)
{
    const Okr__BackupRequest *in = r->msg->backup;
    char msg[512];
    int rc = okr_check_string("path", in->path, 1, PATH_MAX - 8, msg, sizeof msg);
    if (rc == 0)
        rc = okr_backup_check_path(in->path, msg, sizeof msg);
    if (rc != 0) {
        okr_req_fail(r, rc, "%s", msg);
        return;
    }
    if (r->srv->stopping) {
        okr_req_fail(r, OKR_E_UNAVAILABLE, "the server is shutting down");
        return;
    }
    if (backup_running) {
        okr_req_fail(r, OKR_E_CONFLICT, "a backup is already running; try again when it is done");
        return;
    }
    backup_job_t *job = calloc(1, sizeof *job);
    if (!job) {
        okr_req_fail(r, OKR_E_INTERNAL, "out of memory");
        return;
    }
    job->r = r;
    job->store = r->srv->store;
    job->path = in->path;
    job->compact = in->compact;
    job->work.data = job;
    rc = uv_queue_work(r->srv->loop, &job->work, backup__work, backup__done);
    if (rc != 0) {
        free(job);
        okr_req_fail(r, OKR_E_INTERNAL, "cannot start the backup: %s", uv_strerror(rc));
        return;
    }
    backup_running = 1;
    okr_info("backup: %s%s requested by %s", in->path, in->compact ? " (compacting)" : "",
             r->user->username);
}
