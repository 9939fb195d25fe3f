/* pace.c — an objective's status as of now (see pace.h). */
#include "pace.h"

#include "domain.h"
#include "progress.h"

okr_pace_memo_t okr_pace_memo(int64_t now_ms)
{
    return (okr_pace_memo_t){.now_ms = now_ms};
}

double okr_pace_expected(okr_store_t *s, MDB_txn *txn, okr_pace_memo_t *m, uint64_t cycle_id)
{
    if (cycle_id != m->cycle_id) {
        Okr__Cycle *c;
        m->cycle_id = cycle_id;
        m->open = 0;
        m->expected = 0;
        if (okr_cycle_get(s, txn, cycle_id, &c) == 0) {
            m->open = c->state != OKR__CYCLE_STATE__CYCLE_STATE_CLOSED;
            m->expected = okr_expected_progress(c->start_at, c->end_at, m->now_ms);
            okr__cycle__free_unpacked(c, NULL);
        }
    }
    return m->expected;
}

void okr_pace_refresh(okr_store_t *s, MDB_txn *txn, okr_pace_memo_t *m, Okr__Objective *o)
{
    if (o->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED ||
        o->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED)
        return;
    double expected = okr_pace_expected(s, txn, m, o->cycle_id);
    if (m->open)
        o->status = okr_status_now(o->status, o->progress, expected);
}
