/* cycle_scan.c — one cycle's readable objectives, judged once a request
 * (see cycle_scan.h). */
#include "cycle_scan.h"

#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "domain.h"
#include "okr_error.h"
#include "request.h"

#define VERDICT_IN  1
#define VERDICT_OUT 2

/* The value under key in t (made on first use), 0 when there is none. */
static uint64_t map__get(const okr_key_table_t *t, uint64_t key)
{
    const uint64_t *v = t ? okr_key_table_find(t, &key, sizeof key) : NULL;
    return v ? *v : 0;
}

static int map__put(okr_key_table_t **t, uint64_t key, uint64_t val)
{
    if (!*t && !(*t = okr_key_table_new(sizeof val)))
        return OKR_E_NOMEM;
    uint64_t *v = okr_key_table_add(*t, &key, sizeof key, NULL);
    if (!v)
        return OKR_E_NOMEM;
    *v = val;
    return 0;
}

void okr_cycle_scan_init(okr_cycle_scan_t *cs, okr_store_t *s, MDB_txn *txn, const Okr__User *user,
                         uint64_t cycle_id)
{
    memset(cs, 0, sizeof *cs);
    cs->s = s;
    cs->txn = txn;
    cs->user = user;
    cs->cycle_id = cycle_id;
}

void okr_cycle_scan_free(okr_cycle_scan_t *cs)
{
    okr_key_table_free(cs->objectives);
    okr_key_table_free(cs->krs);
    cs->objectives = cs->krs = NULL;
}

static int scan__fail(okr_cycle_scan_t *cs, int rc)
{
    if (!cs->rc)
        cs->rc = rc;
    return 0;
}

int okr_cycle_scan_objective(okr_cycle_scan_t *cs, uint64_t objective_id)
{
    if (objective_id == 0)
        return 0;
    uint64_t verdict = map__get(cs->objectives, objective_id);
    if (verdict)
        return verdict == VERDICT_IN;
    Okr__Objective *obj;
    int rc = okr_objective_get(cs->s, cs->txn, objective_id, &obj);
    if (rc != 0 && rc != OKR_E_NOT_FOUND)
        return scan__fail(cs, rc);
    verdict = rc == 0 && obj->cycle_id == cs->cycle_id &&
                      okr_acl_can_read_objective(cs->s, cs->txn, cs->user, obj)
                  ? VERDICT_IN
                  : VERDICT_OUT;
    if (rc == 0)
        okr__objective__free_unpacked(obj, NULL);
    if (map__put(&cs->objectives, objective_id, verdict) != 0)
        return scan__fail(cs, OKR_E_NOMEM);
    return verdict == VERDICT_IN;
}

int okr_cycle_scan_key_result(okr_cycle_scan_t *cs, uint64_t key_result_id)
{
    if (key_result_id == 0)
        return 0;
    uint64_t objective_id = map__get(cs->krs, key_result_id);
    if (!objective_id) {
        Okr__KeyResult *kr;
        int rc = okr_kr_get(cs->s, cs->txn, key_result_id, &kr);
        if (rc != 0 && rc != OKR_E_NOT_FOUND)
            return scan__fail(cs, rc);
        objective_id = rc == 0 ? kr->objective_id : UINT64_MAX;
        if (rc == 0)
            okr__key_result__free_unpacked(kr, NULL);
        if (map__put(&cs->krs, key_result_id, objective_id) != 0)
            return scan__fail(cs, OKR_E_NOMEM);
    }
    return objective_id != UINT64_MAX && okr_cycle_scan_objective(cs, objective_id);
}

/* ---- the walk of a list "since" ---- */

#define SINCE_STOP (-1) /* the walk's own "stop here", no error code */

static int since__on_record(void *arg, uint64_t id)
{
    okr_since_list_t *l = arg;
    ProtobufCMessage *m;
    int rc = l->load(l->cs.s, l->cs.txn, id, &m);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc != 0) {
        l->rc = rc;
        return SINCE_STOP;
    }
    int verdict = l->judge(&l->cs, m, l->since);
    if (l->cs.rc) {
        protobuf_c_message_free_unpacked(m, NULL);
        l->rc = l->cs.rc;
        return SINCE_STOP;
    }
    if (verdict == OKR_SINCE_STOP) {
        protobuf_c_message_free_unpacked(m, NULL);
        return SINCE_STOP; /* next_below stays 0: done */
    }
    if (verdict == OKR_SINCE_KEEP && l->n == l->limit) {
        protobuf_c_message_free_unpacked(m, NULL);
        l->next_below = l->last_kept; /* this one comes again */
        return SINCE_STOP;
    }
    if (verdict == OKR_SINCE_KEEP) {
        l->items[l->n++] = m;
        l->last_kept = id;
    } else
        protobuf_c_message_free_unpacked(m, NULL);
    if (++l->examined >= (l->budget ? l->budget : OKR_CYCLE_SCAN_BUDGET)) {
        l->next_below = id; /* looked at: the next page starts below it */
        return SINCE_STOP;
    }
    return 0;
}

int okr_since_list_run(okr_since_list_t *l, Okr__EntityKind kind, uint64_t below)
{
    l->items = calloc(l->limit ? l->limit : 1, sizeof *l->items);
    if (!l->items)
        return OKR_E_NOMEM;
    int rc = okr_entity_each_desc(l->cs.s, l->cs.txn, kind, below, since__on_record, l);
    if (l->rc)
        return l->rc;
    return rc == SINCE_STOP ? 0 : rc;
}

void okr_since_list_free(okr_since_list_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        protobuf_c_message_free_unpacked(l->items[i], NULL);
    free(l->items);
    l->items = NULL;
    l->n = 0;
    okr_cycle_scan_free(&l->cs);
}

int okr_since_list_read(okr_req_t *r, okr_since_list_t *l, Okr__EntityKind kind, uint64_t cycle_id,
                        int64_t since, const Okr__Page *page, uint64_t *next_after_id)
{
    *next_after_id = 0;
    if (since <= 0)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                              "since is missing: a list of a cycle starts at a time (ms)");
    okr_store_t *s = r->srv->store;
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0)
        return okr_req_refuse(r, OKR_E_INTERNAL, "cannot read the store");
    Okr__Cycle *cycle;
    int rc = okr_cycle_get(s, txn, cycle_id, &cycle);
    if (rc == 0) {
        okr__cycle__free_unpacked(cycle, NULL);
        okr_cycle_scan_init(&l->cs, s, txn, r->user, cycle_id);
        l->since = since;
        l->limit = okr_page_limit(page);
        rc = okr_since_list_run(l, kind, okr_page_after(page));
        *next_after_id = l->next_below;
    }
    okr_store_read_end(s, txn);
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, rc, "no cycle #%llu", (unsigned long long)cycle_id);
    if (rc != 0)
        return okr_req_refuse(r, rc, "cannot list the cycle's records");
    return 0;
}
