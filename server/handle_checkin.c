/* handle_checkin.c — check-ins: the weekly heartbeat of a key result.
 *
 * A check-in records a new value (and optionally a confidence) for a key
 * result, moves the key result's progress and, in the same transaction, the
 * progress of its objective and of every objective above it in the alignment
 * tree (okr_rollup). Check-ins are append-only: they are the key result's
 * history.
 *
 * Decisions, for the next reader:
 *   - A check-in is not an edit of the key result's definition: it does not
 *     bump the key result's version nor its updated_at, so someone editing
 *     the target never conflicts with this week's check-in.
 *   - Check-ins are taken in planning and active cycles, refused in closed
 *     ones (scores are frozen) and on archived key results or objectives.
 *   - A check-in may be dated earlier than it is made (`at`, protocol 1.3:
 *     "this was the figure on Friday"), within its cycle and after the key
 *     result's latest check-in; `recorded_at` keeps when it was written, and
 *     the change log, like every change, the time it happened. Status is
 *     still computed for now: the pace is the cycle's as of today.
 *   - A linked key result takes its progress from its child objective; its
 *     own value would be ignored, so it refuses check-ins and says where to
 *     check in instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "clock.h"
#include "creates.h"
#include "cycle_scan.h"
#include "domain.h"
#include "okr_error.h"
#include "protocol.h"
#include "request.h"
#include "rollup.h"
#include "validate.h"

#define CHECKIN_CONFIDENCE_MAX 10
/* How far ahead of okrd's clock a client's may run: a check-in dated up to
 * this far in the future is taken as made now, anything later is refused. */
#define CHECKIN_CLOCK_SKEW_MS (5 * 60 * 1000)
#define CHECKIN_TIME_FMT                                                                           \
    "%Y-%m-%d %H:%M UTC" /* in refusals: the server's time zone is no one's                        \
                          */
#define LIST_STOP 1      /* a list callback's "page full" */

/* Loads a key result and its objective, which the caller must be able to
 * read (what you may not read does not exist for you). Returns 0 with *kr and
 * *obj (caller frees both), or a refusal recorded on r. */
static int checkin__load(okr_req_t *r, okr_store_t *s, MDB_txn *txn, uint64_t kr_id,
                         Okr__KeyResult **kr, Okr__Objective **obj)
{
    *kr = NULL;
    *obj = NULL;
    int rc = okr_kr_get(s, txn, kr_id, kr);
    if (rc == 0) {
        rc = okr_objective_get(s, txn, (*kr)->objective_id, obj);
        if (rc == 0 && !okr_acl_can_read_objective(s, txn, r->user, *obj))
            rc = OKR_E_NOT_FOUND;
    }
    if (rc == 0)
        return 0;
    if (*obj)
        okr__objective__free_unpacked(*obj, NULL);
    if (*kr)
        okr__key_result__free_unpacked(*kr, NULL);
    *kr = NULL;
    *obj = NULL;
    if (rc == OKR_E_NOT_FOUND)
        return okr_req_refuse(r, OKR_E_NOT_FOUND, "no key result K%llu", (unsigned long long)kr_id);
    return okr_req_refuse(r, rc, "cannot read key result K%llu", (unsigned long long)kr_id);
}

/* The time the check-in is dated into *at: now, or the request's `at` for a
 * check-in made late. A dated check-in stays inside the cycle and after the
 * key result's latest one, so that history read in id order is in time
 * order and the key result's current value is its latest check-in's. */
static int checkin__dated(okr_req_t *r, const Okr__CheckInRequest *in, const Okr__KeyResult *kr,
                          const Okr__Cycle *cycle, int64_t now, int64_t *at)
{
    unsigned long long kid = (unsigned long long)kr->id;
    char asked[40], bound[40];
    *at = now;
    if (in->at == 0)
        return 0;
    okr_wall_format(in->at, CHECKIN_TIME_FMT, asked, sizeof asked);
    if (in->at > now + CHECKIN_CLOCK_SKEW_MS)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                              "a check-in cannot be dated in the future: %s is after the server's "
                              "time, %s",
                              asked, okr_wall_format(now, CHECKIN_TIME_FMT, bound, sizeof bound));
    if (in->at < cycle->start_at)
        return okr_req_refuse(
            r, OKR_E_BAD_REQUEST,
            "cycle %s %s %s: a check-in on K%llu cannot be dated %s, before it", cycle->name,
            cycle->start_at > now ? "starts" : "started",
            okr_wall_format(cycle->start_at, CHECKIN_TIME_FMT, bound, sizeof bound), kid, asked);
    if (in->at < kr->last_checkin_at)
        return okr_req_refuse(
            r, OKR_E_BAD_REQUEST,
            "K%llu's latest check-in is dated %s: a new one can be dated at or after it, not %s",
            kid, okr_wall_format(kr->last_checkin_at, CHECKIN_TIME_FMT, bound, sizeof bound),
            asked);
    if (in->at < now)
        *at = in->at;
    return 0;
}

/* The rules a check-in must pass once the caller may make it; *at is the
 * time it is dated. */
static int checkin__rules(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__CheckInRequest *in,
                          const Okr__KeyResult *kr, const Okr__Objective *obj, int64_t now,
                          int64_t *at)
{
    unsigned long long kid = (unsigned long long)kr->id;
    if (kr->archived)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST, "K%llu is archived; it takes no check-ins",
                              kid);
    if (obj->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                              "O%llu is archived; its key results take no check-ins",
                              (unsigned long long)obj->id);
    Okr__Cycle *cycle;
    int rc = okr_cycle_get(s, txn, obj->cycle_id, &cycle);
    if (rc != 0)
        return okr_req_refuse(r, rc == OKR_E_NOT_FOUND ? OKR_E_INTERNAL : rc,
                              "the cycle of O%llu is missing", (unsigned long long)obj->id);
    if (cycle->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED)
        rc = okr_req_refuse(r, OKR_E_BAD_REQUEST,
                            "cycle %s is closed: its scores are final and K%llu takes no more "
                            "check-ins",
                            cycle->name, kid);
    if (rc == 0)
        rc = checkin__dated(r, in, kr, cycle, now, at);
    okr__cycle__free_unpacked(cycle, NULL);
    if (rc != 0)
        return rc;
    if (kr->linked_objective_id != 0)
        return okr_req_refuse(
            r, OKR_E_BAD_REQUEST,
            "K%llu takes its progress from O%llu; check in on O%llu's key results", kid,
            (unsigned long long)kr->linked_objective_id,
            (unsigned long long)kr->linked_objective_id);
    if (kr->metric == OKR__METRIC__METRIC_BOOLEAN && in->value != 0.0 && in->value != 1.0)
        return okr_req_refuse(r, OKR_E_BAD_REQUEST,
                              "K%llu is a yes/no key result: its value is 1 (done) or 0 (not "
                              "done), not %g",
                              kid, in->value);
    return 0;
}

/* ---- check in ---- */

/* The ancestors' titles for the caller's reply (not for the change log, which
 * is written already): the objectives the caller may read, "" for others. */
static int checkin__titles(okr_store_t *s, MDB_txn *txn, const Okr__User *user, okr_updates_t *ups)
{
    for (size_t i = 0; i < ups->n; i++) {
        Okr__Objective *obj;
        int rc = okr_objective_get(s, txn, ups->items[i]->objective_id, &obj);
        if (rc == OKR_E_NOT_FOUND)
            continue;
        if (rc != 0)
            return rc;
        if (okr_acl_can_read_objective(s, txn, user, obj)) {
            char *title = strdup(obj->title);
            if (!title) {
                okr__objective__free_unpacked(obj, NULL);
                return OKR_E_NOMEM;
            }
            ups->items[i]->title = title;
        }
        okr__objective__free_unpacked(obj, NULL);
    }
    return 0;
}

int okr_checkin_make(okr_req_t *r, okr_store_t *s, MDB_txn *txn, const Okr__CheckInRequest *in,
                     okr_checkin_made_t *out)
{
    memset(out, 0, sizeof *out);
    okr__check_in__init(&out->checkin);
    Okr__KeyResult *kr;
    Okr__Objective *obj;
    int rc = checkin__load(r, s, txn, in->key_result_id, &kr, &obj);
    if (rc != 0)
        return rc;
    if (!okr_acl_can_checkin(s, txn, r->user, obj, kr))
        rc = okr_req_refuse(r, OKR_E_FORBIDDEN,
                            "only the key result's owner, its objective's owner, the team's "
                            "members or leads may check in on K%llu",
                            (unsigned long long)kr->id);
    int64_t now = okr_wall_ms(), at = now;
    if (rc == 0)
        rc = checkin__rules(r, s, txn, in, kr, obj, now, &at);
    okr__objective__free_unpacked(obj, NULL);
    if (rc != 0) {
        okr__key_result__free_unpacked(kr, NULL);
        return rc;
    }
    out->key_result = kr;

    Okr__CheckIn *c = &out->checkin;
    c->key_result_id = kr->id;
    c->author_id = r->user->id;
    c->time = at;
    c->recorded_at = now;
    c->value = in->value;
    c->has_confidence = in->has_confidence;
    c->confidence = in->has_confidence ? in->confidence : 0;
    c->note = in->note;
    c->previous_value = kr->current;

    /* The key result's figures; its version and updated_at stay (see above). */
    kr->current = in->value;
    if (in->has_confidence) {
        kr->has_confidence = 1;
        kr->confidence = in->confidence;
    }
    kr->last_checkin_at = at;
    kr->progress = okr_rollup_kr_progress(s, txn, kr);
    c->progress = kr->progress;

    okr_updates_t *ups = &out->ancestors;
    rc = okr_entity_new_id(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN, &c->id);
    if (rc == 0)
        rc = okr_kr_save(s, txn, kr, kr);
    if (rc == 0)
        rc = okr_checkin_add(s, txn, c);
    if (rc == 0)
        rc = okr_rollup(s, txn, kr->objective_id, now, ups);
    if (rc == 0) {
        okr_change_extra_t extra = {
            .ancestors = ups->items, .n_ancestors = ups->n, .key_result_after = kr};
        rc =
            okr_change_record(s, txn, r->user->id, OKR__CHANGE_OP__CHANGE_OP_CREATE,
                              OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN, c->id, &c->base, &extra, NULL);
    }
    if (rc != 0)
        okr_checkin_made_free(out);
    return rc;
}

void okr_checkin_made_free(okr_checkin_made_t *m)
{
    okr_updates_free(&m->ancestors);
    if (m->key_result)
        okr__key_result__free_unpacked(m->key_result, NULL);
    m->key_result = NULL;
}

static int checkin__apply(okr_write_t *w, okr_store_t *s, MDB_txn *txn)
{
    okr_req_t *r = okr_req_of_write(w);
    okr_req_set_result(r, OKR__RESPONSE__RESULT__NOT_SET, NULL); /* apply may run twice */
    okr_checkin_made_t made;
    int rc = okr_checkin_make(r, s, txn, r->msg->checkin, &made);
    if (rc != 0)
        return rc;
    rc = checkin__titles(s, txn, r->user, &made.ancestors);
    if (rc == 0) {
        Okr__CheckInResult res = OKR__CHECK_IN_RESULT__INIT;
        res.checkin = &made.checkin;
        res.key_result = made.key_result;
        res.ancestors = made.ancestors.items;
        res.n_ancestors = made.ancestors.n;
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_CHECKIN, &res.base);
    }
    okr_checkin_made_free(&made);
    return rc;
}

int okr_checkin_check_request(const Okr__CheckInRequest *in, char *msg, size_t len)
{
    if (okr_check_finite("value", in->value, msg, len))
        return OKR_E_BAD_REQUEST;
    if (in->has_confidence && in->confidence > CHECKIN_CONFIDENCE_MAX) {
        snprintf(msg, len, "confidence must be 0 to %d, not %u", CHECKIN_CONFIDENCE_MAX,
                 (unsigned)in->confidence);
        return OKR_E_BAD_REQUEST;
    }
    if (okr_check_string("note", in->note, 0, OKR_TEXT_MAX, msg, len))
        return OKR_E_BAD_REQUEST;
    return 0;
}

void okr_handle_checkin(okr_req_t *r)
{
    const Okr__CheckInRequest *in = r->msg->checkin;
    char msg[256];
    if (in->key_result_id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "key_result_id is missing: name the key result");
        return;
    }
    if (okr_checkin_check_request(in, msg, sizeof msg) != 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "%s", msg);
        return;
    }
    okr_req_submit_write(r, checkin__apply, okr_req_write_done);
}

/* ---- list (oldest first, paged by check-in id) ---- */

typedef struct list_ctx {
    okr_store_t *s;
    MDB_txn *txn;
    Okr__CheckIn **items;
    size_t n, limit;
    uint64_t next_after;
    int rc;
} list_ctx_t;

/* Check-in ids are given out in commit order, so ascending ids are oldest first. */
static int list__on_checkin(void *arg, uint64_t id)
{
    list_ctx_t *l = arg;
    if (l->n == l->limit) {
        l->next_after = l->items[l->n - 1]->id;
        return LIST_STOP; /* one more exists: this page is full */
    }
    Okr__CheckIn *c;
    int rc = okr_checkin_get(l->s, l->txn, id, &c);
    if (rc == OKR_E_NOT_FOUND)
        return 0;
    if (rc != 0) {
        l->rc = rc;
        return LIST_STOP;
    }
    l->items[l->n++] = c;
    return 0;
}

/* ---- a cycle's check-ins since a time (protocol 1.5), newest first ---- */

static int since__load(okr_store_t *s, MDB_txn *txn, uint64_t id, ProtobufCMessage **out)
{
    return okr_checkin_get(s, txn, id, (Okr__CheckIn **)out);
}

/* Dated since, on a key result of the cycle the caller may read. Ids follow
 * the time a check-in was written, and one dated late was written later
 * than it is dated: the walk ends at the first written before since. */
static int since__judge(okr_cycle_scan_t *cs, const ProtobufCMessage *m, int64_t since)
{
    const Okr__CheckIn *c = (const Okr__CheckIn *)m;
    int64_t written = c->recorded_at ? c->recorded_at : c->time; /* before 1.3: the same */
    if (written < since)
        return OKR_SINCE_STOP;
    if (c->time < since)
        return OKR_SINCE_SKIP;
    return okr_cycle_scan_key_result(cs, c->key_result_id) ? OKR_SINCE_KEEP : OKR_SINCE_SKIP;
}

static void checkin__list_since(okr_req_t *r, const Okr__CheckInListRequest *in)
{
    okr_since_list_t l = {.load = since__load, .judge = since__judge};
    uint64_t next = 0;
    int rc = okr_since_list_read(r, &l, OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN, in->cycle_id,
                                 in->since, in->page, &next);
    if (rc == 0) {
        Okr__CheckInList list = OKR__CHECK_IN_LIST__INIT;
        list.checkins = (Okr__CheckIn **)l.items;
        list.n_checkins = l.n;
        list.next_after_id = next;
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_CHECKIN_LIST, &list.base);
    }
    okr_since_list_free(&l);
    okr_req_finish(r, rc);
}

void okr_handle_checkin_list(okr_req_t *r)
{
    const Okr__CheckInListRequest *in = r->msg->checkin_list;
    okr_store_t *s = r->srv->store;
    int since_lists = okr_protocol_minor(r->srv->cfg) >= OKR_PROTOCOL_CYCLE_LISTS;
    if (since_lists && in->key_result_id && in->cycle_id) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "name a key result or a cycle, not both");
        return;
    }
    if (since_lists && in->cycle_id) {
        checkin__list_since(r, in);
        return;
    }
    if (in->key_result_id == 0) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "key_result_id is missing: name the key result");
        return;
    }
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    Okr__KeyResult *kr = NULL;
    Okr__Objective *obj = NULL;
    int rc = checkin__load(r, s, txn, in->key_result_id, &kr, &obj);
    list_ctx_t l = {.s = s, .txn = txn, .limit = okr_page_limit(in->page)};
    if (rc == 0) {
        okr__objective__free_unpacked(obj, NULL);
        okr__key_result__free_unpacked(kr, NULL);
        l.items = calloc(l.limit, sizeof *l.items);
        rc = l.items ? 0 : okr_req_refuse(r, OKR_E_INTERNAL, "out of memory");
    }
    if (rc == 0) {
        int irc = okr_index_each(s, txn, OKR_DB_IDX_KR_CHECKINS, in->key_result_id,
                                 okr_page_after(in->page), list__on_checkin, &l);
        rc = l.rc ? l.rc : (irc == LIST_STOP ? 0 : irc);
    }
    okr_store_read_end(s, txn);
    if (rc == 0) {
        Okr__CheckInList list = OKR__CHECK_IN_LIST__INIT;
        list.checkins = l.items;
        list.n_checkins = l.n;
        list.next_after_id = l.next_after;
        rc = okr_req_set_result(r, OKR__RESPONSE__RESULT_CHECKIN_LIST, &list.base);
    }
    for (size_t i = 0; i < l.n; i++)
        okr__check_in__free_unpacked(l.items[i], NULL);
    free(l.items);
    okr_req_finish(r, rc);
}
