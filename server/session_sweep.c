/* session_sweep.c — okrd's sweep of expired sessions: see session_sweep.h. */
#include "session_sweep.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "clock.h"
#include "log.h"
#include "okr_error.h"
#include "server.h"
#include "sessions.h"

struct okr_session_sweep {
    okr_server_t *srv;
    uv_timer_t timer;
    okr_write_t write;
    /* The round in the writer: its clock (fixed before apply, which may run
     * twice), where it starts, and what apply found. */
    int64_t now;
    uint8_t from[OKR_TOKEN_HASH_LEN];
    int has_from;
    uint8_t next[OKR_TOKEN_HASH_LEN];
    int more;
    size_t deleted;
    uint64_t swept;   /* deleted by this sweep's rounds so far */
    uint64_t removed; /* since start */
};

static void sweep__on_timer(uv_timer_t *t);

static int sweep__apply(okr_write_t *w, okr_store_t *store, MDB_txn *txn)
{
    okr_session_sweep_t *sw = w->data;
    return okr_sessions_sweep(store, txn, sw->now, sw->has_from ? sw->from : NULL,
                              OKR_SESSION_SWEEP_BATCH, &sw->deleted, sw->next, &sw->more);
}

/* The next sweep, after the interval, starts from the first session. */
static void sweep__done_sweeping(okr_session_sweep_t *sw)
{
    if (sw->swept)
        okr_info("sessions: %llu expired removed", (unsigned long long)sw->swept);
    sw->swept = 0;
    sw->has_from = 0;
    uv_timer_start(&sw->timer, sweep__on_timer, sw->srv->cfg->session_sweep_s * 1000, 0);
}

static void sweep__done(okr_write_t *w, int status)
{
    okr_session_sweep_t *sw = w->data;
    if (status != 0) {
        okr_warn("sessions: could not delete expired sessions: %s; trying again in %llu s",
                 okr_strerror(status), (unsigned long long)sw->srv->cfg->session_sweep_s);
        sweep__done_sweeping(sw);
        return;
    }
    sw->swept += sw->deleted;
    sw->removed += sw->deleted;
    if (!sw->more) {
        sweep__done_sweeping(sw);
        return;
    }
    memcpy(sw->from, sw->next, sizeof sw->from);
    sw->has_from = 1;
    uv_timer_start(&sw->timer, sweep__on_timer, 0, 0);
}

static void sweep__on_timer(uv_timer_t *t)
{
    okr_session_sweep_t *sw = t->data;
    okr_server_t *srv = sw->srv;
    /* Stopping: the writer takes no more writes, and the expired sessions
     * wait for the next start. */
    if (srv->stopping || !srv->writer)
        return;
    sw->now = okr_wall_ms();
    sw->write = (okr_write_t){.apply = sweep__apply, .done = sweep__done, .data = sw};
    (void)okr_writer_submit(srv->writer, &sw->write); /* refused only while stopping */
}

okr_session_sweep_t *okr_session_sweep_start(okr_server_t *srv)
{
    okr_session_sweep_t *sw = calloc(1, sizeof *sw);
    if (!sw)
        return NULL;
    sw->srv = srv;
    uv_timer_init(srv->loop, &sw->timer);
    sw->timer.data = sw;
    uv_timer_start(&sw->timer, sweep__on_timer, 0, 0);
    return sw;
}

uint64_t okr_session_sweep_removed(const okr_session_sweep_t *sw)
{
    return sw ? sw->removed : 0;
}

static void sweep__on_close(uv_handle_t *h)
{
    free(h->data);
}

void okr_session_sweep_close(okr_session_sweep_t *sw)
{
    if (sw)
        uv_close((uv_handle_t *)&sw->timer, sweep__on_close);
}
