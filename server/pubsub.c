/* pubsub.c — fan-out of committed changes to subscribed connections. */
#include "pubsub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "acl.h"
#include "clock.h"
#include "conn.h"
#include "dashboard.h"
#include "domain.h"
#include "frame.h"
#include "keys.h"
#include "lhist.h"
#include "log.h"
#include "okr_error.h"
#include "pace.h"
#include "server.h"

#define PUSH_BUCKETS       1024 /* coalescing table of one slow connection */
#define PUSH_MAX_ENCODINGS 8    /* visibility classes kept per change */
#define PUSH_MAX_ANCESTORS 64   /* ancestors considered for filtering (a mask) */
#define PUSH_SNAPSHOT_MAX  100000
#define PUSH_MAX_TEAMS     1000 /* teams a team scope covers: itself and those below */
#define PUSH_RECENT        30   /* check-ins and comments a snapshot ends with */
#define PUSH_RECENT_SCAN   5000 /* how far back the change log is searched for them */

struct okr_sub {
    uint64_t id;
    Okr__ScopeKind kind;
    uint64_t scope_id;
    uint64_t from_seq; /* changes after this seq reached the client through it */
    uint64_t *teams;   /* team scope: the team and every team below it */
    size_t nteams;
    uint64_t *members; /* team scope: the members and leads of those teams */
    size_t nmembers;
    okr_sub_t *next;
};

struct okr_qevent {
    okr_qevent_t *next, *prev; /* queue order */
    okr_qevent_t *hnext;       /* coalescing bucket chain */
    uint64_t key;              /* the entity it is about */
    size_t len;
    uint8_t data[];
};

struct okr_pubsub {
    okr_server_t *srv;
    okr_conn_t *conns; /* connections with subscriptions */
    uint64_t published;
    uint64_t next_sub_id;
    uint64_t nsubs;
    uint64_t events_sent, coalesced, slow_disconnects;
    uint64_t fanout_last_us, fanout_max_us;
    okr_lhist_t fanout_us; /* one sample per commit group published */
    int64_t started_at;
    okr_conn_t **corked; /* corked for the commit group being fanned out, each ref'd */
    size_t ncorked, corked_cap;
};

/* One change being fanned out. */
typedef struct change_ctx {
    const Okr__Change *change;
    Okr__Objective *obj;  /* the objective it concerns; NULL for users, teams, cycles */
    Okr__Objective **anc; /* its ancestors' current records (NULL where gone) */
    size_t nanc;
    uint64_t key;
    struct {
        uint64_t mask;
        uint8_t *frame;
        size_t len;
    } enc[PUSH_MAX_ENCODINGS];
    size_t nenc;
} change_ctx_t;

static uint64_t entity_key(Okr__EntityKind kind, uint64_t id)
{
    return (uint64_t)kind << 56 | (id & ((UINT64_C(1) << 56) - 1));
}

/* ---- encoding ---- */

/* A frame for an event: 4-byte length + Envelope{event}. */
static uint8_t *encode_event(const Okr__Event *ev, size_t *len)
{
    Okr__Envelope env = OKR__ENVELOPE__INIT;
    env.msg_case = OKR__ENVELOPE__MSG_EVENT;
    env.event = (Okr__Event *)ev;
    size_t n = okr__envelope__get_packed_size(&env);
    uint8_t *buf = malloc(OKR_FRAME_HEADER + n);
    if (!buf)
        return NULL;
    okr_frame_put_header(buf, (uint32_t)n);
    okr__envelope__pack(&env, buf + OKR_FRAME_HEADER);
    *len = OKR_FRAME_HEADER + n;
    return buf;
}

/* The change as a receiver who may read the ancestors in mask sees it. */
static const uint8_t *ctx__frame(change_ctx_t *x, uint64_t mask, size_t *len)
{
    for (size_t i = 0; i < x->nenc; i++)
        if (x->enc[i].mask == mask) {
            *len = x->enc[i].len;
            return x->enc[i].frame;
        }
    Okr__Change filtered = *x->change;
    Okr__ProgressUpdate *kept[PUSH_MAX_ANCESTORS];
    size_t n = 0;
    for (size_t i = 0; i < x->nanc && i < PUSH_MAX_ANCESTORS; i++)
        if (mask & (UINT64_C(1) << i))
            kept[n++] = x->change->ancestors[i];
    filtered.ancestors = kept;
    filtered.n_ancestors = n;
    Okr__Event ev = OKR__EVENT__INIT;
    ev.seq = x->change->seq;
    ev.change = &filtered;
    uint8_t *frame = encode_event(&ev, len);
    if (frame && x->nenc < PUSH_MAX_ENCODINGS) {
        x->enc[x->nenc].mask = mask;
        x->enc[x->nenc].frame = frame;
        x->enc[x->nenc].len = *len;
        x->nenc++;
    } else if (frame) {
        /* More classes than cached: hand over a one-off copy, freed by the caller. */
        x->enc[PUSH_MAX_ENCODINGS - 1].mask = mask;
        free(x->enc[PUSH_MAX_ENCODINGS - 1].frame);
        x->enc[PUSH_MAX_ENCODINGS - 1].frame = frame;
        x->enc[PUSH_MAX_ENCODINGS - 1].len = *len;
    }
    return frame;
}

/* ---- the slow-reader queue ---- */

/* A copy of an event frame with Event.coalesced set, so the reader knows
 * states in between were skipped. Only on the slow path. NULL on failure. */
static uint8_t *mark_coalesced(const uint8_t *frame, size_t *len)
{
    Okr__Envelope *env =
        okr__envelope__unpack(NULL, *len - OKR_FRAME_HEADER, frame + OKR_FRAME_HEADER);
    uint8_t *out = NULL;
    if (env && env->msg_case == OKR__ENVELOPE__MSG_EVENT) {
        env->event->coalesced = 1;
        size_t n = okr__envelope__get_packed_size(env);
        out = malloc(OKR_FRAME_HEADER + n);
        if (out) {
            okr_frame_put_header(out, (uint32_t)n);
            okr__envelope__pack(env, out + OKR_FRAME_HEADER);
            *len = OKR_FRAME_HEADER + n;
        }
    }
    if (env)
        okr__envelope__free_unpacked(env, NULL);
    return out;
}

static void queue__unlink(okr_push_state_t *q, okr_qevent_t *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        q->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        q->tail = e->prev;
    if (q->buckets) {
        okr_qevent_t **p = &q->buckets[e->key % PUSH_BUCKETS];
        while (*p && *p != e)
            p = &(*p)->hnext;
        if (*p)
            *p = e->hnext;
    }
    q->queued_bytes -= e->len;
    q->queued--;
}

static void queue__clear(okr_push_state_t *q)
{
    while (q->head) {
        okr_qevent_t *e = q->head;
        queue__unlink(q, e);
        free(e);
    }
    free(q->buckets);
    q->buckets = NULL;
}

/* Sends or queues one frame for c. Beyond the soft cap an older queued event
 * for the same entity is dropped; beyond the hard cap the connection is cut
 * (unless catching up: replay and snapshot). */
static void push__send(okr_pubsub_t *ps, okr_conn_t *c, const uint8_t *frame, size_t len,
                       uint64_t key, int catching_up)
{
    const okr_config_t *cfg = ps->srv->cfg;
    okr_push_state_t *q = &c->push;
    if (c->closing)
        return;
    size_t out = okr_tls_pending_bytes(&c->tls);
    if (!q->head && out < cfg->out_queue_soft) {
        if (okr_tls_write(&c->tls, frame, len) == 0)
            ps->events_sent++;
        return;
    }
    if (!q->buckets && !(q->buckets = calloc(PUSH_BUCKETS, sizeof *q->buckets))) {
        okr_conn_close(c, "out of memory queueing events");
        return;
    }
    uint8_t *marked = NULL;
    for (okr_qevent_t *old = q->buckets[key % PUSH_BUCKETS]; old; old = old->hnext)
        if (old->key == key) {
            queue__unlink(q, old);
            free(old);
            ps->coalesced++;
            marked = mark_coalesced(frame, &len);
            if (marked)
                frame = marked;
            break;
        }
    okr_qevent_t *e = malloc(sizeof *e + len);
    if (!e) {
        free(marked);
        okr_conn_close(c, "out of memory queueing events");
        return;
    }
    e->key = key;
    e->len = len;
    memcpy(e->data, frame, len);
    free(marked);
    e->next = NULL;
    e->prev = q->tail;
    if (q->tail)
        q->tail->next = e;
    else
        q->head = e;
    q->tail = e;
    e->hnext = q->buckets[key % PUSH_BUCKETS];
    q->buckets[key % PUSH_BUCKETS] = e;
    q->queued_bytes += len;
    q->queued++;
    if (!catching_up && out + q->queued_bytes > cfg->out_queue_max) {
        ps->slow_disconnects++;
        okr_warn("conn %llu %s: %zu bytes of events waiting (hard cap %llu): too slow",
                 (unsigned long long)c->id, c->peer, out + q->queued_bytes,
                 (unsigned long long)cfg->out_queue_max);
        okr_conn_fail(c, OKR_E_UNAVAILABLE,
                      "too slow to read events (over %llu bytes waiting); resume by seq",
                      (unsigned long long)cfg->out_queue_max);
        queue__clear(q);
    }
}

void okr_pubsub_drain(okr_pubsub_t *ps, okr_conn_t *c)
{
    okr_push_state_t *q = &c->push;
    while (q->head && !c->closing &&
           okr_tls_pending_bytes(&c->tls) < ps->srv->cfg->out_queue_soft) {
        okr_qevent_t *e = q->head;
        queue__unlink(q, e);
        if (okr_tls_write(&c->tls, e->data, e->len) == 0)
            ps->events_sent++;
        free(e);
    }
    if (!q->head && q->buckets) {
        free(q->buckets);
        q->buckets = NULL;
    }
}

/* ---- scopes and visibility ---- */

/* Loads what a change is about: its objective and its ancestors. */
static void ctx__load(okr_store_t *s, MDB_txn *txn, change_ctx_t *x)
{
    const Okr__Change *ch = x->change;
    uint64_t objective_id = 0, kr_id = 0;
    x->key = entity_key(ch->kind, ch->entity_id);
    switch (ch->entity_case) {
    case OKR__CHANGE__ENTITY_OBJECTIVE:
        x->obj = (Okr__Objective *)okr_msg_dup(&ch->objective->base);
        break;
    case OKR__CHANGE__ENTITY_KEY_RESULT:
        objective_id = ch->key_result->objective_id;
        break;
    case OKR__CHANGE__ENTITY_CHECKIN:
        /* A dashboard needs only the newest figures of a key result. */
        x->key = entity_key(OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, ch->checkin->key_result_id);
        if (ch->key_result_after)
            objective_id = ch->key_result_after->objective_id;
        else
            kr_id = ch->checkin->key_result_id;
        break;
    case OKR__CHANGE__ENTITY_TASK:
        kr_id = ch->task->key_result_id;
        break;
    case OKR__CHANGE__ENTITY_COMMENT:
        objective_id = ch->comment->objective_id;
        kr_id = ch->comment->key_result_id;
        break;
    default:
        break;
    }
    if (!objective_id && kr_id) {
        Okr__KeyResult *kr;
        if (okr_kr_get(s, txn, kr_id, &kr) == 0) {
            objective_id = kr->objective_id;
            okr__key_result__free_unpacked(kr, NULL);
        }
    }
    if (!x->obj && objective_id)
        okr_objective_get(s, txn, objective_id, &x->obj);
    x->nanc = ch->n_ancestors < PUSH_MAX_ANCESTORS ? ch->n_ancestors : PUSH_MAX_ANCESTORS;
    x->anc = x->nanc ? calloc(x->nanc, sizeof *x->anc) : NULL;
    if (!x->anc)
        x->nanc = 0;
    for (size_t i = 0; i < x->nanc; i++)
        okr_objective_get(s, txn, ch->ancestors[i]->objective_id, &x->anc[i]);
}

static void ctx__free(change_ctx_t *x)
{
    if (x->obj)
        okr__objective__free_unpacked(x->obj, NULL);
    for (size_t i = 0; i < x->nanc; i++)
        if (x->anc[i])
            okr__objective__free_unpacked(x->anc[i], NULL);
    free(x->anc);
    for (size_t i = 0; i < x->nenc; i++)
        free(x->enc[i].frame);
}

static int ids__has(const uint64_t *ids, size_t n, uint64_t id)
{
    for (size_t i = 0; id && i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* A team's scope covers its sub-teams and the people in all of them. */
static int objective__in_team(const Okr__Objective *o, const okr_sub_t *sub)
{
    return ids__has(sub->teams, sub->nteams, o->team_id) ||
           ids__has(sub->teams, sub->nteams, o->owner_team_id) ||
           ids__has(sub->members, sub->nmembers, o->owner_user_id);
}

static int sub__matches(const okr_sub_t *sub, const change_ctx_t *x)
{
    const Okr__Change *ch = x->change;
    switch (sub->kind) {
    case OKR__SCOPE_KIND__SCOPE_KIND_ORG:
        return 1;
    case OKR__SCOPE_KIND__SCOPE_KIND_CYCLE:
        if (ch->kind == OKR__ENTITY_KIND__ENTITY_KIND_CYCLE)
            return ch->entity_id == sub->scope_id;
        return x->obj && x->obj->cycle_id == sub->scope_id;
    case OKR__SCOPE_KIND__SCOPE_KIND_TEAM:
        if (ch->kind == OKR__ENTITY_KIND__ENTITY_KIND_TEAM)
            return ids__has(sub->teams, sub->nteams, ch->entity_id);
        if (ch->kind == OKR__ENTITY_KIND__ENTITY_KIND_CYCLE)
            return 1; /* its objectives' cycles: names, dates, pace */
        if (x->obj && objective__in_team(x->obj, sub))
            return 1;
        for (size_t i = 0; i < x->nanc; i++)
            if (x->anc[i] && objective__in_team(x->anc[i], sub))
                return 1;
        return 0;
    case OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE:
        if (x->obj && x->obj->id == sub->scope_id)
            return 1;
        for (size_t i = 0; i < x->nanc; i++)
            if (x->change->ancestors[i]->objective_id == sub->scope_id)
                return 1;
        return 0;
    default:
        return 0;
    }
}

static int conn__may_read(okr_store_t *s, MDB_txn *txn, const okr_conn_t *c,
                          const Okr__Objective *o)
{
    if (c->dashboard)
        return okr_dashboard_may_read(s, txn, c->dashboard, o);
    if (!o || o->visibility != OKR__VISIBILITY__VISIBILITY_TEAM || c->admin)
        return 1;
    Okr__User u = OKR__USER__INIT;
    u.id = c->user_id;
    u.role = OKR__ROLE__ROLE_MEMBER;
    return okr_acl_can_read_objective(s, txn, &u, o);
}

/* Which ancestors c may read, as a mask over ctx->anc. */
static uint64_t conn__ancestor_mask(okr_store_t *s, MDB_txn *txn, const okr_conn_t *c,
                                    const change_ctx_t *x)
{
    uint64_t mask = 0;
    for (size_t i = 0; i < x->nanc; i++)
        if (x->anc[i] ? conn__may_read(s, txn, c, x->anc[i]) : 1)
            mask |= UINT64_C(1) << i;
    return mask;
}

/* Delivers one change to c if it may read it. */
static void push__offer(okr_pubsub_t *ps, okr_store_t *s, MDB_txn *txn, okr_conn_t *c,
                        change_ctx_t *x, int catching_up)
{
    if (!conn__may_read(s, txn, c, x->obj))
        return;
    size_t len;
    const uint8_t *frame = ctx__frame(x, conn__ancestor_mask(s, txn, c, x), &len);
    if (frame)
        push__send(ps, c, frame, len, x->key, catching_up);
}

/* ---- subscriptions ---- */

typedef struct id_list {
    uint64_t *ids;
    size_t n, cap;
} id_list_t;

static int ids__push(id_list_t *l, uint64_t id)
{
    if (ids__has(l->ids, l->n, id))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        void *grown = realloc(l->ids, cap * sizeof *l->ids);
        if (!grown)
            return OKR_E_NOMEM;
        l->ids = grown;
        l->cap = cap;
    }
    l->ids[l->n++] = id;
    return 0;
}

static int team__push_child(void *arg, uint64_t id)
{
    return ids__push(arg, id);
}

/* The team subtree of a team scope and its people, read through txn. */
static int sub__load_team_scope(okr_store_t *s, MDB_txn *txn, okr_sub_t *sub)
{
    id_list_t teams = {0}, people = {0};
    int rc = ids__push(&teams, sub->scope_id);
    for (size_t i = 0; rc == 0 && i < teams.n && i < PUSH_MAX_TEAMS; i++) {
        Okr__Team *t;
        if (okr_team_get(s, txn, teams.ids[i], &t) != 0) {
            rc = i == 0 ? OKR_E_NOT_FOUND : 0;
            continue;
        }
        for (size_t k = 0; rc == 0 && k < t->n_member_ids; k++)
            rc = ids__push(&people, t->member_ids[k]);
        for (size_t k = 0; rc == 0 && k < t->n_lead_ids; k++)
            rc = ids__push(&people, t->lead_ids[k]);
        okr__team__free_unpacked(t, NULL);
        if (rc == 0)
            rc = okr_index_each(s, txn, OKR_DB_IDX_TEAM_CHILDREN, teams.ids[i], 0, team__push_child,
                                &teams);
    }
    if (rc != 0) {
        free(teams.ids);
        free(people.ids);
        return rc;
    }
    free(sub->teams);
    free(sub->members);
    sub->teams = teams.ids;
    sub->nteams = teams.n;
    sub->members = people.ids;
    sub->nmembers = people.n;
    return 0;
}

static void sub__free(okr_sub_t *sub)
{
    free(sub->teams);
    free(sub->members);
    free(sub);
}

static void conn__list(okr_pubsub_t *ps, okr_conn_t *c)
{
    if (c->push.listed)
        return;
    c->push.listed = 1;
    c->push.prev = NULL;
    c->push.next = ps->conns;
    if (ps->conns)
        ps->conns->push.prev = c;
    ps->conns = c;
}

static void conn__unlist(okr_pubsub_t *ps, okr_conn_t *c)
{
    if (!c->push.listed)
        return;
    if (c->push.prev)
        c->push.prev->push.next = c->push.next;
    else
        ps->conns = c->push.next;
    if (c->push.next)
        c->push.next->push.prev = c->push.prev;
    c->push.listed = 0;
}

void okr_pubsub_forget(okr_pubsub_t *ps, okr_conn_t *c)
{
    while (c->push.subs) {
        okr_sub_t *sub = c->push.subs;
        c->push.subs = sub->next;
        sub__free(sub);
        ps->nsubs--;
    }
    c->push.nsubs = 0;
    queue__clear(&c->push);
    conn__unlist(ps, c);
}

int okr_pubsub_unsubscribe(okr_pubsub_t *ps, okr_conn_t *c, uint64_t subscription_id)
{
    for (okr_sub_t **p = &c->push.subs; *p; p = &(*p)->next)
        if ((*p)->id == subscription_id) {
            okr_sub_t *sub = *p;
            *p = sub->next;
            sub__free(sub);
            ps->nsubs--;
            if (--c->push.nsubs == 0)
                conn__unlist(ps, c);
            return 0;
        }
    return OKR_E_NOT_FOUND;
}

/* Reads one change by seq (caller frees), or NULL. */
static Okr__Change *change__get(okr_store_t *s, MDB_txn *txn, uint64_t seq)
{
    uint8_t key[OKR_KEY_U64_LEN];
    okr_key_put_u64(key, seq);
    Okr__Change *ch = NULL;
    if (okr_store_get_msg(s, txn, OKR_DB_CHANGES, key, sizeof key, &okr__change__descriptor,
                          (ProtobufCMessage **)&ch) != 0)
        return NULL;
    return ch;
}

/* 1 if seq already reached c through another subscription that matches it. */
static int conn__already_sent(const okr_conn_t *c, const okr_sub_t *except, uint64_t seq,
                              const change_ctx_t *x)
{
    for (const okr_sub_t *sub = c->push.subs; sub; sub = sub->next)
        if (sub != except && seq > sub->from_seq && sub__matches(sub, x))
            return 1;
    return 0;
}

static int pubsub__replay(okr_pubsub_t *ps, okr_store_t *s, MDB_txn *txn, okr_conn_t *c,
                          okr_sub_t *sub, uint64_t since, uint32_t *replayed)
{
    for (uint64_t seq = since + 1; seq <= ps->published && !c->closing; seq++) {
        Okr__Change *ch = change__get(s, txn, seq);
        if (!ch)
            continue;
        change_ctx_t x = {.change = ch};
        ctx__load(s, txn, &x);
        if (sub__matches(sub, &x) && !conn__already_sent(c, sub, seq, &x)) {
            push__offer(ps, s, txn, c, &x, 1);
            ++*replayed;
        }
        ctx__free(&x);
        okr__change__free_unpacked(ch, NULL);
    }
    return 0;
}

/* ---- snapshots ---- */

typedef struct snapshot {
    id_list_t objectives; /* sent already: a member's objective may be the team's too */
    okr_pubsub_t *ps;
    okr_store_t *s;
    MDB_txn *txn;
    okr_conn_t *c;
    okr_sub_t *sub;
    okr_pace_memo_t pace; /* the objectives' status as of now */
    size_t sent;
} snapshot_t;

static void snapshot__send(snapshot_t *sn, Okr__EntityKind kind, uint64_t id,
                           ProtobufCMessage *entity)
{
    Okr__Change ch = OKR__CHANGE__INIT;
    ch.seq = sn->ps->published;
    ch.kind = kind;
    ch.entity_id = id;
    ch.op = OKR__CHANGE_OP__CHANGE_OP_UPDATE;
    switch (kind) {
    case OKR__ENTITY_KIND__ENTITY_KIND_TEAM:
        ch.entity_case = OKR__CHANGE__ENTITY_TEAM;
        ch.team = (Okr__Team *)entity;
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_CYCLE:
        ch.entity_case = OKR__CHANGE__ENTITY_CYCLE;
        ch.cycle = (Okr__Cycle *)entity;
        break;
    case OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE:
        ch.entity_case = OKR__CHANGE__ENTITY_OBJECTIVE;
        ch.objective = (Okr__Objective *)entity;
        break;
    default:
        ch.entity_case = OKR__CHANGE__ENTITY_KEY_RESULT;
        ch.key_result = (Okr__KeyResult *)entity;
        break;
    }
    Okr__Event ev = OKR__EVENT__INIT;
    ev.seq = sn->ps->published;
    ev.change = &ch;
    ev.snapshot = 1;
    ev.subscription_id = sn->sub->id;
    size_t len;
    uint8_t *frame = encode_event(&ev, &len);
    if (frame)
        push__send(sn->ps, sn->c, frame, len, entity_key(kind, id), 1);
    free(frame);
    sn->sent++;
}

static int snapshot__on_kr(void *arg, uint64_t id)
{
    snapshot_t *sn = arg;
    Okr__KeyResult *kr;
    if (okr_kr_get(sn->s, sn->txn, id, &kr) != 0)
        return 0;
    if (!kr->archived)
        snapshot__send(sn, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, id, &kr->base);
    okr__key_result__free_unpacked(kr, NULL);
    return sn->sent >= PUSH_SNAPSHOT_MAX;
}

/* An objective in the sub's scope, readable by the connection: it and its key results. */
static int snapshot__on_objective(void *arg, uint64_t id)
{
    snapshot_t *sn = arg;
    if (ids__has(sn->objectives.ids, sn->objectives.n, id))
        return 0;
    Okr__Objective *o;
    if (okr_objective_get(sn->s, sn->txn, id, &o) != 0)
        return 0;
    Okr__Change probe = OKR__CHANGE__INIT;
    probe.kind = OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE;
    probe.entity_id = id;
    change_ctx_t x = {.change = &probe, .obj = o};
    int in_scope = o->state != OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED &&
                   sub__matches(sn->sub, &x) && conn__may_read(sn->s, sn->txn, sn->c, o);
    if (in_scope && ids__push(&sn->objectives, id) == 0) {
        okr_pace_refresh(sn->s, sn->txn, &sn->pace, o);
        snapshot__send(sn, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, id, &o->base);
        okr_index_each(sn->s, sn->txn, OKR_DB_IDX_OBJECTIVE_KRS, id, 0, snapshot__on_kr, sn);
    }
    okr__objective__free_unpacked(o, NULL);
    return sn->sent >= PUSH_SNAPSHOT_MAX;
}

static int snapshot__on_record(void *arg, uint64_t id, Okr__EntityKind kind)
{
    snapshot_t *sn = arg;
    ProtobufCMessage *m;
    if (okr_entity_get(sn->s, sn->txn, kind, id, &m) != 0)
        return 0;
    snapshot__send(sn, kind, id, m);
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

static int snapshot__on_team(void *arg, uint64_t id)
{
    return snapshot__on_record(arg, id, OKR__ENTITY_KIND__ENTITY_KIND_TEAM);
}

static int snapshot__on_cycle(void *arg, uint64_t id)
{
    return snapshot__on_record(arg, id, OKR__ENTITY_KIND__ENTITY_KIND_CYCLE);
}

/* The scope's latest check-ins and comments, oldest first, marked as part of
 * the snapshot: what a dashboard's ticker starts with. */
static void snapshot__recent(okr_pubsub_t *ps, okr_store_t *s, MDB_txn *txn, okr_conn_t *c,
                             okr_sub_t *sub)
{
    uint64_t found[PUSH_RECENT];
    size_t n = 0;
    uint64_t stop = ps->published > PUSH_RECENT_SCAN ? ps->published - PUSH_RECENT_SCAN : 0;
    for (uint64_t seq = ps->published; seq > stop && n < PUSH_RECENT; seq--) {
        Okr__Change *ch = change__get(s, txn, seq);
        if (!ch)
            continue;
        if (ch->kind == OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN ||
            ch->kind == OKR__ENTITY_KIND__ENTITY_KIND_COMMENT) {
            change_ctx_t x = {.change = ch};
            ctx__load(s, txn, &x);
            if (sub__matches(sub, &x) && conn__may_read(s, txn, c, x.obj))
                found[n++] = seq;
            ctx__free(&x);
        }
        okr__change__free_unpacked(ch, NULL);
    }
    while (n > 0) {
        Okr__Change *ch = change__get(s, txn, found[--n]);
        if (!ch)
            continue;
        change_ctx_t x = {.change = ch};
        ctx__load(s, txn, &x);
        Okr__Event ev = OKR__EVENT__INIT;
        ev.seq = ch->seq;
        ev.change = ch;
        ev.snapshot = 1;
        ev.subscription_id = sub->id;
        /* Only the ancestors the reader may see. */
        uint64_t mask = conn__ancestor_mask(s, txn, c, &x);
        Okr__ProgressUpdate *kept[PUSH_MAX_ANCESTORS];
        size_t nk = 0;
        for (size_t i = 0; i < x.nanc; i++)
            if (mask & (UINT64_C(1) << i))
                kept[nk++] = ch->ancestors[i];
        Okr__ProgressUpdate **all = ch->ancestors;
        size_t nall = ch->n_ancestors;
        ch->ancestors = kept;
        ch->n_ancestors = nk;
        size_t len;
        uint8_t *frame = encode_event(&ev, &len);
        ch->ancestors = all;
        ch->n_ancestors = nall;
        if (frame)
            push__send(ps, c, frame, len, x.key ^ ch->seq, 1);
        free(frame);
        ctx__free(&x);
        okr__change__free_unpacked(ch, NULL);
    }
}

static void pubsub__snapshot(okr_pubsub_t *ps, okr_store_t *s, MDB_txn *txn, okr_conn_t *c,
                             okr_sub_t *sub)
{
    snapshot_t sn = {
        .ps = ps, .s = s, .txn = txn, .c = c, .sub = sub, .pace = okr_pace_memo(okr_wall_ms())};
    switch (sub->kind) {
    case OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE:
        snapshot__on_objective(&sn, sub->scope_id);
        break;
    case OKR__SCOPE_KIND__SCOPE_KIND_CYCLE:
        snapshot__on_cycle(&sn, sub->scope_id);
        okr_index_each(s, txn, OKR_DB_IDX_CYCLE_OBJECTIVES, sub->scope_id, 0,
                       snapshot__on_objective, &sn);
        break;
    case OKR__SCOPE_KIND__SCOPE_KIND_TEAM:
        /* The cycles (for pace), the teams, their objectives and their people's. */
        okr_entity_each(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, 0, snapshot__on_cycle, &sn);
        for (size_t i = 0; i < sub->nteams; i++) {
            snapshot__on_team(&sn, sub->teams[i]);
            okr_index_each(s, txn, OKR_DB_IDX_TEAM_OBJECTIVES, sub->teams[i], 0,
                           snapshot__on_objective, &sn);
        }
        for (size_t i = 0; i < sub->nmembers; i++)
            okr_index_each(s, txn, OKR_DB_IDX_USER_OBJECTIVES, sub->members[i], 0,
                           snapshot__on_objective, &sn);
        break;
    default:
        okr_entity_each(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_TEAM, 0, snapshot__on_team, &sn);
        okr_entity_each(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, 0, snapshot__on_cycle, &sn);
        okr_entity_each(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, 0, snapshot__on_objective,
                        &sn);
        break;
    }
    free(sn.objectives.ids);
    snapshot__recent(ps, s, txn, c, sub);
    Okr__Event done = OKR__EVENT__INIT;
    done.seq = ps->published;
    done.snapshot_done = 1;
    done.subscription_id = sub->id;
    size_t len;
    uint8_t *frame = encode_event(&done, &len);
    if (frame)
        push__send(ps, c, frame, len, UINT64_MAX, 1);
    free(frame);
}

/* 1 if a resume after since can be served from the change log window. */
static int pubsub__in_window(okr_pubsub_t *ps, okr_store_t *s, MDB_txn *txn, uint64_t since,
                             uint64_t *first)
{
    const okr_config_t *cfg = ps->srv->cfg;
    uint64_t by_count =
        ps->published > cfg->replay_window_changes ? ps->published - cfg->replay_window_changes : 0;
    *first = by_count;
    if (since > ps->published || since < by_count)
        return 0;
    if (since == ps->published)
        return 1;
    Okr__Change *next = change__get(s, txn, since + 1);
    if (!next)
        return 0;
    int64_t oldest = okr_wall_ms() - (int64_t)cfg->replay_window_s * 1000;
    int fresh = next->time >= oldest;
    okr__change__free_unpacked(next, NULL);
    return fresh;
}

static int scope__check(okr_store_t *s, MDB_txn *txn, const Okr__User *user, const Okr__Scope *sc,
                        char *err, size_t errlen)
{
    ProtobufCMessage *m = NULL;
    int rc = 0;
    switch (sc->kind) {
    case OKR__SCOPE_KIND__SCOPE_KIND_ORG:
        return 0;
    case OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE:
        rc = okr_entity_get(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, sc->id, &m);
        /* (Dashboards, user id 0, are checked against their token instead.) */
        if (rc == 0 && user->id != 0 &&
            !okr_acl_can_read_objective(s, txn, user, (Okr__Objective *)m))
            rc = OKR_E_NOT_FOUND;
        if (rc)
            snprintf(err, errlen, "no objective O%llu", (unsigned long long)sc->id);
        break;
    case OKR__SCOPE_KIND__SCOPE_KIND_TEAM:
        rc = okr_entity_get(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_TEAM, sc->id, &m);
        if (rc)
            snprintf(err, errlen, "no team #%llu", (unsigned long long)sc->id);
        break;
    case OKR__SCOPE_KIND__SCOPE_KIND_CYCLE:
        rc = okr_entity_get(s, txn, OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, sc->id, &m);
        if (rc)
            snprintf(err, errlen, "no cycle #%llu", (unsigned long long)sc->id);
        break;
    default:
        snprintf(err, errlen, "scope must be an objective, a team, a cycle or the organisation");
        return OKR_E_BAD_REQUEST;
    }
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    return rc == OKR_E_NOT_FOUND ? OKR_E_NOT_FOUND : rc;
}

int okr_pubsub_subscribe(okr_pubsub_t *ps, okr_conn_t *c, const Okr__User *user,
                         const Okr__SubscribeRequest *req, Okr__SubscribeResult *out, char *err,
                         size_t errlen)
{
    okr_store_t *s = ps->srv->store;
    const Okr__Scope *sc = req->scope;
    if (!sc) {
        snprintf(err, errlen, "scope is missing");
        return OKR_E_BAD_REQUEST;
    }
    if (c->push.nsubs >= ps->srv->cfg->max_subscriptions) {
        snprintf(err, errlen, "at most %llu subscriptions per connection",
                 (unsigned long long)ps->srv->cfg->max_subscriptions);
        return OKR_E_RATE_LIMITED;
    }
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0) {
        snprintf(err, errlen, "cannot read the store");
        return OKR_E_INTERNAL;
    }
    int rc = scope__check(s, txn, user, sc, err, errlen);
    if (rc == 0 && c->dashboard && !okr_dashboard_scope_allowed(s, txn, c->dashboard, sc)) {
        snprintf(err, errlen, "this dashboard token is for another scope");
        rc = OKR_E_FORBIDDEN;
    }
    okr_sub_t *sub = rc ? NULL : calloc(1, sizeof *sub);
    if (!rc && !sub)
        rc = OKR_E_NOMEM;
    if (!rc) {
        sub->id = ++ps->next_sub_id;
        sub->kind = sc->kind;
        sub->scope_id = sc->kind == OKR__SCOPE_KIND__SCOPE_KIND_ORG ? 0 : sc->id;
        sub->from_seq = ps->published;
        if (sc->kind == OKR__SCOPE_KIND__SCOPE_KIND_TEAM)
            rc = sub__load_team_scope(s, txn, sub);
    }
    if (rc) {
        if (sub)
            sub__free(sub);
        okr_store_read_end(s, txn);
        return rc;
    }
    okr__subscribe_result__init(out);
    out->subscription_id = sub->id;
    out->current_seq = ps->published;
    uint64_t first = 0;
    int in_window = pubsub__in_window(ps, s, txn, req->since_seq, &first);
    out->window_first_seq = first;
    /* Linked before replaying so what it replays counts as sent through it. */
    sub->next = c->push.subs;
    c->push.subs = sub;
    c->push.nsubs++;
    ps->nsubs++;
    conn__list(ps, c);
    if (req->resume && in_window) {
        sub->from_seq = req->since_seq;
        pubsub__replay(ps, s, txn, c, sub, req->since_seq, &out->replayed);
        sub->from_seq = req->since_seq;
    } else if (req->resume || req->snapshot) {
        out->snapshot = 1;
        pubsub__snapshot(ps, s, txn, c, sub);
    }
    okr_store_read_end(s, txn);
    return 0;
}

/* ---- fan-out ---- */

/* A deactivated user stops receiving at once: their connections lose their
 * subscriptions and must log in again (they cannot). */
static void pubsub__user_changed(okr_pubsub_t *ps, const Okr__User *u)
{
    if (u->active)
        return;
    for (okr_conn_t *c = ps->conns, *next; c; c = next) {
        next = c->push.next;
        if (c->user_id == u->id)
            okr_conn_logout(c);
    }
}

static void pubsub__team_changed(okr_pubsub_t *ps, okr_store_t *s, MDB_txn *txn)
{
    for (okr_conn_t *c = ps->conns; c; c = c->push.next)
        for (okr_sub_t *sub = c->push.subs; sub; sub = sub->next)
            if (sub->kind == OKR__SCOPE_KIND__SCOPE_KIND_TEAM)
                sub__load_team_scope(s, txn, sub); /* the tree or its people moved */
}

static void pubsub__fanout(okr_pubsub_t *ps, okr_store_t *s, MDB_txn *txn, const Okr__Change *ch)
{
    if (ch->entity_case == OKR__CHANGE__ENTITY_USER)
        pubsub__user_changed(ps, ch->user);
    if (ch->entity_case == OKR__CHANGE__ENTITY_TEAM)
        pubsub__team_changed(ps, s, txn);
    change_ctx_t x = {.change = ch};
    ctx__load(s, txn, &x);
    int64_t now = okr_wall_ms();
    for (okr_conn_t *c = ps->conns, *next; c; c = next) {
        next = c->push.next; /* a send may close c; it stays listed until freed */
        if (!c->authenticated || c->closing)
            continue;
        if (!c->dashboard && c->session_expires_at && now > c->session_expires_at) {
            okr_conn_logout(c); /* an expired session receives nothing more */
            continue;
        }
        for (okr_sub_t *sub = c->push.subs; sub; sub = sub->next)
            if (ch->seq > sub->from_seq && sub__matches(sub, &x)) {
                push__offer(ps, s, txn, c, &x, 0);
                break; /* once per connection */
            }
    }
    ctx__free(&x);
}

/* Sends what c collected during a commit group. Events that went to the
 * slow-reader queue meanwhile (what was collected counts toward the soft
 * cap) are handed over now: the collected bytes may all have been written at
 * once, and then no write completion would come to drain the queue. */
static void pubsub__uncork(okr_pubsub_t *ps, okr_conn_t *c)
{
    if (okr_tls_uncork(&c->tls) != 0) {
        if (!c->closing)
            okr_conn_close(c, "write failed");
        return;
    }
    if (c->push.head)
        okr_pubsub_drain(ps, c);
}

/* Corks every listed connection for the commit group, remembering each. A
 * connection that cannot be remembered (no memory) is left uncorked: it gets
 * one write per event, which is only slower. */
static void pubsub__cork_all(okr_pubsub_t *ps)
{
    for (okr_conn_t *c = ps->conns; c; c = c->push.next) {
        if (c->closing)
            continue;
        if (ps->ncorked == ps->corked_cap) {
            size_t cap = ps->corked_cap ? 2 * ps->corked_cap : 64;
            okr_conn_t **grown = realloc(ps->corked, cap * sizeof *grown);
            if (!grown)
                return;
            ps->corked = grown;
            ps->corked_cap = cap;
        }
        okr_tls_cork(&c->tls);
        okr_conn_ref(c);
        ps->corked[ps->ncorked++] = c;
    }
}

void okr_pubsub_on_committed(void *arg)
{
    okr_pubsub_t *ps = arg;
    okr_store_t *s = ps->srv->store;
    MDB_txn *txn;
    if (!s || okr_store_read_begin(s, &txn) != 0)
        return;
    uint64_t newest = okr_store_counter(s, txn, "seq");
    uint64_t t0 = uv_hrtime();
    /* Several changes in this commit group: each connection collects its
     * events for the whole group and gets them in one TLS record and one
     * write (STYLE habit 4), not one of each per event. */
    if (ps->conns && newest > ps->published + 1)
        pubsub__cork_all(ps);
    for (uint64_t seq = ps->published + 1; ps->conns && seq <= newest; seq++) {
        Okr__Change *ch = change__get(s, txn, seq);
        if (!ch)
            continue;
        pubsub__fanout(ps, s, txn, ch);
        okr__change__free_unpacked(ch, NULL);
    }
    okr_store_read_end(s, txn);
    /* Those corked, also one that logged out or closed meanwhile: the
     * reference keeps it until it is uncorked. */
    for (size_t i = 0; i < ps->ncorked; i++) {
        pubsub__uncork(ps, ps->corked[i]);
        okr_conn_unref(ps->corked[i]);
    }
    ps->ncorked = 0;
    if (newest > ps->published) {
        ps->fanout_last_us = (uv_hrtime() - t0) / 1000;
        if (ps->fanout_last_us > ps->fanout_max_us)
            ps->fanout_max_us = ps->fanout_last_us;
        okr_lhist_add(&ps->fanout_us, ps->fanout_last_us);
    }
    ps->published = newest;
}

/* ---- lifecycle and stats ---- */

okr_pubsub_t *okr_pubsub_new(okr_server_t *srv)
{
    okr_pubsub_t *ps = calloc(1, sizeof *ps);
    if (!ps)
        return NULL;
    ps->srv = srv;
    ps->started_at = okr_wall_ms();
    MDB_txn *txn;
    if (okr_store_read_begin(srv->store, &txn) == 0) {
        ps->published = okr_store_counter(srv->store, txn, "seq");
        okr_store_read_end(srv->store, txn);
    }
    return ps;
}

void okr_pubsub_free(okr_pubsub_t *ps)
{
    if (!ps)
        return;
    free(ps->corked);
    free(ps);
}

static uint64_t resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%llu %llu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

void okr_pubsub_stats(okr_pubsub_t *ps, Okr__Stats *out)
{
    okr_server_t *srv = ps->srv;
    out->connections = srv->nconns;
    out->subscriptions = ps->nsubs;
    uint64_t queued = 0;
    for (okr_conn_t *c = srv->conns; c; c = c->next)
        queued += okr_tls_pending_bytes(&c->tls) + c->push.queued_bytes;
    out->queued_bytes = queued;
    if (srv->writer) {
        okr_writer_stats_t ws;
        okr_writer_get_stats(srv->writer, &ws);
        out->commits = ws.commits;
        out->writes = ws.writes;
    }
    out->events_sent = ps->events_sent;
    out->events_coalesced = ps->coalesced;
    out->slow_disconnects = ps->slow_disconnects;
    out->current_seq = ps->published;
    out->fanout_last_us = ps->fanout_last_us;
    out->fanout_max_us = ps->fanout_max_us;
    okr_lhist_export(&ps->fanout_us, &out->fanout_p50_us, &out->fanout_p99_us, &out->fanout_sum_us,
                     &out->n_fanout_hist, &out->fanout_hist);
    out->resident_bytes = resident_bytes();
    out->started_at = ps->started_at;
}
