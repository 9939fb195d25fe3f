/* pace.c — an objective's status as of now (see pace.h). */
#include "pace.h"

#include "domain.h"
#include "progress.h"

okr_pace_memo_t okr_pace_memo(int64_t now_ms)
{
    return (okr_pace_memo_t){.now_ms = now_ms};
}

void okr_pace_refresh(okr_store_t *s, MDB_txn *txn, okr_pace_memo_t *m, Okr__Objective *o)
{
    if (o->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED ||
        o->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED)
        return;
    if (o->cycle_id != m->cycle_id) {
        Okr__Cycle *c;
        m->cycle_id = o->cycle_id;
        m->open = okr_cycle_get(s, txn, o->cycle_id, &c) == 0;
        if (m->open) {
            m->open = c->state != OKR__CYCLE_STATE__CYCLE_STATE_CLOSED;
            m->expected = okr_expected_progress(c->start_at, c->end_at, m->now_ms);
            okr__cycle__free_unpacked(c, NULL);
        }
    }
    if (m->open)
        o->status = okr_status_now(o->status, o->progress, m->expected);
}
