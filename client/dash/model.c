/* model.c — okr-dash's picture of its scope, from events (see model.h).
 *
 * Every collection is an array sorted by id: a snapshot of a whole
 * organisation is a few thousand records, and a binary search plus an
 * occasional memmove keeps both the snapshot and each live event cheap
 * without a hash table. Records are deep copies of the events' messages
 * (through their wire form: protobuf-c has no copy).
 */
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"

#define MODEL_EPSILON 1e-9

/* ---------------------------------------------------------------- sorted arrays */

typedef uint64_t (*model_key_fn)(const void *elem);

/* Index of the element with key id, or where it would go (*found = 0). */
static size_t model__search(const void *base, size_t n, size_t size, model_key_fn key, uint64_t id,
                            int *found)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t k = key((const char *)base + mid * size);
        if (k == id) {
            *found = 1;
            return mid;
        }
        if (k < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

/* Opens a zeroed slot at index i; returns it or NULL (out of memory). */
static void *model__insert_at(void **base, size_t *n, size_t *cap, size_t size, size_t i)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        void *nb = realloc(*base, ncap * size);
        if (!nb)
            return NULL;
        *base = nb;
        *cap = ncap;
    }
    char *b = *base;
    memmove(b + (i + 1) * size, b + i * size, (*n - i) * size);
    memset(b + i * size, 0, size);
    (*n)++;
    return b + i * size;
}

static void model__remove_at(void *base, size_t *n, size_t size, size_t i)
{
    char *b = base;
    memmove(b + i * size, b + (i + 1) * size, (*n - i - 1) * size);
    (*n)--;
}

static uint64_t model__obj_key(const void *e)
{
    return ((const dash_obj_t *)e)->o->id;
}

static uint64_t model__kr_key(const void *e)
{
    return ((const dash_kr_t *)e)->kr->id;
}

static uint64_t model__cycle_key(const void *e)
{
    return (*(Okr__Cycle *const *)e)->id;
}

static uint64_t model__team_key(const void *e)
{
    return (*(Okr__Team *const *)e)->id;
}

static uint64_t model__user_key(const void *e)
{
    return ((const dash_user_t *)e)->id;
}

/* ---------------------------------------------------------------- copies */

static ProtobufCMessage *model__copy(const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return NULL;
    protobuf_c_message_pack(msg, buf);
    ProtobufCMessage *copy = protobuf_c_message_unpack(msg->descriptor, NULL, len, buf);
    free(buf);
    return copy;
}

/* ---------------------------------------------------------------- init / free */

void dash_model_init(dash_model_t *m, Okr__ScopeKind scope_kind, uint64_t scope_id)
{
    memset(m, 0, sizeof *m);
    m->scope_kind = scope_kind;
    m->scope_id = scope_id;
}

static void model__tick_clear(dash_tick_t *t)
{
    free(t->text);
    memset(t, 0, sizeof *t);
}

/* Frees what an objective entry owns. */
static void model__obj_clear(dash_obj_t *d)
{
    okr__objective__free_unpacked(d->o, NULL);
    free(d->trend);
    d->o = NULL;
    d->trend = NULL;
    d->ntrend = 0;
}

void dash_model_free(dash_model_t *m)
{
    for (size_t i = 0; i < m->nobjs; i++)
        model__obj_clear(&m->objs[i]);
    for (size_t i = 0; i < m->nkrs; i++)
        okr__key_result__free_unpacked(m->krs[i].kr, NULL);
    for (size_t i = 0; i < m->ncycles; i++)
        okr__cycle__free_unpacked(m->cycles[i], NULL);
    for (size_t i = 0; i < m->nteams; i++)
        okr__team__free_unpacked(m->teams[i], NULL);
    for (size_t i = 0; i < m->nusers; i++)
        free(m->users[i].name);
    for (size_t i = 0; i < m->nticks; i++)
        model__tick_clear(&m->ticks[i]);
    free(m->objs);
    free(m->krs);
    free(m->cycles);
    free(m->teams);
    free(m->users);
    memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- lookups */

const dash_obj_t *dash_model_objective(const dash_model_t *m, uint64_t id)
{
    int found;
    size_t i = model__search(m->objs, m->nobjs, sizeof *m->objs, model__obj_key, id, &found);
    return found ? &m->objs[i] : NULL;
}

static dash_obj_t *model__objective(dash_model_t *m, uint64_t id)
{
    return (dash_obj_t *)dash_model_objective(m, id);
}

const Okr__KeyResult *dash_model_key_result(const dash_model_t *m, uint64_t id)
{
    int found;
    size_t i = model__search(m->krs, m->nkrs, sizeof *m->krs, model__kr_key, id, &found);
    return found ? m->krs[i].kr : NULL;
}

const Okr__Cycle *dash_model_cycle(const dash_model_t *m, uint64_t id)
{
    int found;
    size_t i =
        model__search(m->cycles, m->ncycles, sizeof *m->cycles, model__cycle_key, id, &found);
    return found ? m->cycles[i] : NULL;
}

const Okr__Team *dash_model_team(const dash_model_t *m, uint64_t id)
{
    int found;
    size_t i = model__search(m->teams, m->nteams, sizeof *m->teams, model__team_key, id, &found);
    return found ? m->teams[i] : NULL;
}

const char *dash_model_user_name(const dash_model_t *m, uint64_t id)
{
    int found;
    size_t i = model__search(m->users, m->nusers, sizeof *m->users, model__user_key, id, &found);
    return found ? m->users[i].name : NULL;
}

int dash_model_set_trend(dash_model_t *m, uint64_t objective_id, const double *progress, size_t n)
{
    int found;
    size_t i =
        model__search(m->objs, m->nobjs, sizeof *m->objs, model__obj_key, objective_id, &found);
    if (!found)
        return 0;
    double *copy = n ? malloc(n * sizeof *copy) : NULL;
    if (n && !copy)
        return -1;
    if (n)
        memcpy(copy, progress, n * sizeof *copy);
    free(m->objs[i].trend);
    m->objs[i].trend = copy;
    m->objs[i].ntrend = n;
    return 0;
}

int64_t dash_model_last_checkin(const dash_model_t *m, uint64_t objective_id)
{
    int64_t last = 0;
    for (size_t i = 0; i < m->nkrs; i++) {
        const Okr__KeyResult *kr = m->krs[i].kr;
        if (kr->objective_id == objective_id && !kr->archived && kr->last_checkin_at > last)
            last = kr->last_checkin_at;
    }
    return last;
}

size_t dash_model_kr_count(const dash_model_t *m, uint64_t objective_id, int *min_confidence)
{
    size_t n = 0;
    int minc = -1;
    for (size_t i = 0; i < m->nkrs; i++) {
        const Okr__KeyResult *kr = m->krs[i].kr;
        if (kr->objective_id != objective_id || kr->archived)
            continue;
        n++;
        if (kr->has_confidence && !okr_progress_done(kr->progress) &&
            (minc < 0 || (int)kr->confidence < minc))
            minc = (int)kr->confidence;
    }
    if (min_confidence)
        *min_confidence = minc;
    return n;
}

/* ---------------------------------------------------------------- users */

int dash_model_set_user(dash_model_t *m, uint64_t id, const char *name)
{
    if (!id)
        return 0;
    int found;
    size_t i = model__search(m->users, m->nusers, sizeof *m->users, model__user_key, id, &found);
    dash_user_t *u =
        found ? &m->users[i]
              : model__insert_at((void **)&m->users, &m->nusers, &m->capusers, sizeof *m->users, i);
    if (!u)
        return -1;
    u->id = id;
    u->tried = 1;
    if (!name)
        return 0;
    char *copy = strdup(name);
    if (!copy)
        return -1;
    free(u->name);
    u->name = copy;
    return 0;
}

static int model__user_wanted(const dash_model_t *m, uint64_t id, const uint64_t *ids, size_t n)
{
    if (!id)
        return 0;
    int found;
    size_t i = model__search(m->users, m->nusers, sizeof *m->users, model__user_key, id, &found);
    if (found && (m->users[i].name || m->users[i].tried))
        return 0;
    for (size_t k = 0; k < n; k++)
        if (ids[k] == id)
            return 0;
    return 1;
}

size_t dash_model_unknown_users(const dash_model_t *m, uint64_t *ids, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nobjs && n < max; i++)
        if (model__user_wanted(m, m->objs[i].o->owner_user_id, ids, n))
            ids[n++] = m->objs[i].o->owner_user_id;
    for (size_t i = 0; i < m->nkrs && n < max; i++)
        if (model__user_wanted(m, m->krs[i].kr->owner_user_id, ids, n))
            ids[n++] = m->krs[i].kr->owner_user_id;
    for (size_t i = 0; i < m->nticks && n < max; i++) {
        if (model__user_wanted(m, m->ticks[i].author_id, ids, n))
            ids[n++] = m->ticks[i].author_id;
        if (n < max && model__user_wanted(m, m->ticks[i].to_user_id, ids, n))
            ids[n++] = m->ticks[i].to_user_id;
    }
    return n;
}

static int model__user_record(dash_model_t *m, const Okr__User *u)
{
    const char *name = u->display_name && u->display_name[0] ? u->display_name : u->username;
    return dash_model_set_user(m, u->id, name && name[0] ? name : NULL);
}

/* ---------------------------------------------------------------- cycles and teams */

static int model__put_msg(void **base, size_t *n, size_t *cap, model_key_fn key, uint64_t id,
                          const ProtobufCMessage *msg)
{
    ProtobufCMessage *copy = model__copy(msg);
    if (!copy)
        return -1;
    int found;
    size_t i = model__search(*base, *n, sizeof(void *), key, id, &found);
    ProtobufCMessage **slot;
    if (found) {
        slot = (ProtobufCMessage **)*base + i;
        protobuf_c_message_free_unpacked(*slot, NULL);
    } else {
        slot = model__insert_at(base, n, cap, sizeof(void *), i);
        if (!slot) {
            protobuf_c_message_free_unpacked(copy, NULL);
            return -1;
        }
    }
    *slot = copy;
    return 0;
}

/* ---------------------------------------------------------------- objectives and key results */

static void model__mark_changed(dash_obj_t *d, double from, uint64_t now_ms)
{
    d->changed_from = from;
    d->changed_ms = now_ms ? now_ms : 1;
}

static void model__drop_objective_krs(dash_model_t *m, uint64_t objective_id)
{
    size_t w = 0;
    for (size_t i = 0; i < m->nkrs; i++) {
        if (m->krs[i].kr->objective_id == objective_id)
            okr__key_result__free_unpacked(m->krs[i].kr, NULL);
        else
            m->krs[w++] = m->krs[i];
    }
    m->nkrs = w;
}

static void model__remove_objective(dash_model_t *m, uint64_t id)
{
    int found;
    size_t i = model__search(m->objs, m->nobjs, sizeof *m->objs, model__obj_key, id, &found);
    if (found) {
        model__obj_clear(&m->objs[i]);
        model__remove_at(m->objs, &m->nobjs, sizeof *m->objs, i);
    }
    model__drop_objective_krs(m, id);
}

static int model__put_objective(dash_model_t *m, const Okr__Objective *o, int live, uint64_t now_ms)
{
    if (o->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED) {
        model__remove_objective(m, o->id);
        return 0;
    }
    Okr__Objective *copy = (Okr__Objective *)model__copy(&o->base);
    if (!copy)
        return -1;
    int found;
    size_t i = model__search(m->objs, m->nobjs, sizeof *m->objs, model__obj_key, o->id, &found);
    dash_obj_t *d;
    if (found) {
        d = &m->objs[i];
        double before = d->o->progress;
        int moved = fabs(before - o->progress) > MODEL_EPSILON || d->o->status != o->status;
        okr__objective__free_unpacked(d->o, NULL);
        d->o = copy;
        if (live && moved)
            model__mark_changed(d, before, now_ms);
    } else {
        d = model__insert_at((void **)&m->objs, &m->nobjs, &m->capobjs, sizeof *m->objs, i);
        if (!d) {
            okr__objective__free_unpacked(copy, NULL);
            return -1;
        }
        d->o = copy;
        if (live)
            model__mark_changed(d, copy->progress, now_ms);
    }
    d->gen = m->gen;
    return 0;
}

static void model__remove_kr(dash_model_t *m, uint64_t id)
{
    int found;
    size_t i = model__search(m->krs, m->nkrs, sizeof *m->krs, model__kr_key, id, &found);
    if (found) {
        okr__key_result__free_unpacked(m->krs[i].kr, NULL);
        model__remove_at(m->krs, &m->nkrs, sizeof *m->krs, i);
    }
}

static int model__put_kr(dash_model_t *m, const Okr__KeyResult *kr)
{
    if (kr->archived) {
        model__remove_kr(m, kr->id);
        return 0;
    }
    Okr__KeyResult *copy = (Okr__KeyResult *)model__copy(&kr->base);
    if (!copy)
        return -1;
    int found;
    size_t i = model__search(m->krs, m->nkrs, sizeof *m->krs, model__kr_key, kr->id, &found);
    dash_kr_t *d;
    if (found) {
        d = &m->krs[i];
        okr__key_result__free_unpacked(d->kr, NULL);
    } else {
        d = model__insert_at((void **)&m->krs, &m->nkrs, &m->capkrs, sizeof *m->krs, i);
        if (!d) {
            okr__key_result__free_unpacked(copy, NULL);
            return -1;
        }
    }
    d->kr = copy;
    d->gen = m->gen;
    return 0;
}

/* The recomputed figures a write carries: nearest objective first. */
static void model__ancestors(dash_model_t *m, const Okr__Change *ch, int live, uint64_t now_ms)
{
    for (size_t i = 0; i < ch->n_ancestors; i++) {
        const Okr__ProgressUpdate *u = ch->ancestors[i];
        dash_obj_t *d = u ? model__objective(m, u->objective_id) : NULL;
        if (!d)
            continue;
        double before = d->o->progress;
        int moved = fabs(before - u->progress) > MODEL_EPSILON || d->o->status != u->status;
        d->o->progress = u->progress;
        d->o->status = u->status;
        if (live && moved)
            model__mark_changed(d, before, now_ms);
    }
}

/* ---------------------------------------------------------------- ticker */

static int model__tick_same(const dash_tick_t *t, dash_tick_kind_t kind, uint64_t id)
{
    return t->id == id && (t->kind == DASH_TICK_CHECKIN) == (kind == DASH_TICK_CHECKIN);
}

/* Inserts t (taking its text) by time, newest first; a repeat replaces. */
static void model__tick_add(dash_model_t *m, dash_tick_t *t)
{
    for (size_t i = 0; i < m->nticks; i++)
        if (model__tick_same(&m->ticks[i], t->kind, t->id)) {
            model__tick_clear(&m->ticks[i]);
            memmove(&m->ticks[i], &m->ticks[i + 1], (m->nticks - i - 1) * sizeof *m->ticks);
            m->nticks--;
            break;
        }
    size_t pos = 0;
    while (pos < m->nticks && (m->ticks[pos].time > t->time ||
                               (m->ticks[pos].time == t->time && m->ticks[pos].id > t->id)))
        pos++;
    if (pos >= DASH_TICKER_MAX) {
        free(t->text);
        return;
    }
    if (m->nticks == DASH_TICKER_MAX) {
        model__tick_clear(&m->ticks[DASH_TICKER_MAX - 1]);
        m->nticks--;
    }
    memmove(&m->ticks[pos + 1], &m->ticks[pos], (m->nticks - pos) * sizeof *m->ticks);
    m->ticks[pos] = *t;
    m->nticks++;
}

static int model__checkin(dash_model_t *m, const Okr__CheckIn *ci)
{
    dash_tick_t t = {
        .kind = DASH_TICK_CHECKIN,
        .id = ci->id,
        .time = ci->time,
        .author_id = ci->author_id,
        .key_result_id = ci->key_result_id,
        .value = ci->value,
        .previous = ci->previous_value,
    };
    const Okr__KeyResult *kr = dash_model_key_result(m, ci->key_result_id);
    t.objective_id = kr ? kr->objective_id : 0;
    t.text = strdup(ci->note ? ci->note : "");
    if (!t.text)
        return -1;
    model__tick_add(m, &t);
    return 0;
}

static int model__comment(dash_model_t *m, const Okr__Comment *c)
{
    dash_tick_t t = {
        .kind =
            c->kind == OKR__COMMENT_KIND__COMMENT_KIND_KUDOS ? DASH_TICK_KUDOS : DASH_TICK_COMMENT,
        .id = c->id,
        .time = c->time,
        .author_id = c->author_id,
        .to_user_id = c->to_user_id,
        .key_result_id = c->key_result_id,
        .objective_id = c->objective_id,
    };
    if (!t.objective_id && t.key_result_id) {
        const Okr__KeyResult *kr = dash_model_key_result(m, t.key_result_id);
        t.objective_id = kr ? kr->objective_id : 0;
    }
    t.text = strdup(c->body ? c->body : "");
    if (!t.text)
        return -1;
    model__tick_add(m, &t);
    return 0;
}

/* ---------------------------------------------------------------- snapshots */

/* The end of a snapshot: what it did not mention is gone. */
static void model__sweep(dash_model_t *m)
{
    size_t w = 0;
    for (size_t i = 0; i < m->nobjs; i++) {
        if (m->objs[i].gen == m->gen)
            m->objs[w++] = m->objs[i];
        else
            model__obj_clear(&m->objs[i]);
    }
    m->nobjs = w;
    w = 0;
    for (size_t i = 0; i < m->nkrs; i++) {
        if (m->krs[i].gen == m->gen)
            m->krs[w++] = m->krs[i];
        else
            okr__key_result__free_unpacked(m->krs[i].kr, NULL);
    }
    m->nkrs = w;
}

/* ---------------------------------------------------------------- events */

static int model__entity(dash_model_t *m, const Okr__Change *ch, int live, uint64_t now_ms)
{
    int deleted = ch->op == OKR__CHANGE_OP__CHANGE_OP_DELETE;
    switch (ch->entity_case) {
    case OKR__CHANGE__ENTITY_USER:
        return ch->user ? model__user_record(m, ch->user) : 0;
    case OKR__CHANGE__ENTITY_TEAM:
        return ch->team ? model__put_msg((void **)&m->teams, &m->nteams, &m->capteams,
                                         model__team_key, ch->team->id, &ch->team->base)
                        : 0;
    case OKR__CHANGE__ENTITY_CYCLE:
        return ch->cycle ? model__put_msg((void **)&m->cycles, &m->ncycles, &m->capcycles,
                                          model__cycle_key, ch->cycle->id, &ch->cycle->base)
                         : 0;
    case OKR__CHANGE__ENTITY_OBJECTIVE:
        if (deleted || !ch->objective) {
            model__remove_objective(m, ch->entity_id);
            return 0;
        }
        return model__put_objective(m, ch->objective, live, now_ms);
    case OKR__CHANGE__ENTITY_KEY_RESULT:
        if (deleted || !ch->key_result) {
            model__remove_kr(m, ch->entity_id);
            return 0;
        }
        return model__put_kr(m, ch->key_result);
    case OKR__CHANGE__ENTITY_CHECKIN:
        /* A snapshot's check-ins are history for the ticker: the figures they
         * carry may be older than the snapshot's own records. */
        if (live && ch->key_result_after && model__put_kr(m, ch->key_result_after) != 0)
            return -1;
        return ch->checkin ? model__checkin(m, ch->checkin) : 0;
    case OKR__CHANGE__ENTITY_COMMENT:
        return ch->comment && !deleted ? model__comment(m, ch->comment) : 0;
    default:
        return 0;
    }
}

int dash_model_apply(dash_model_t *m, const Okr__Event *ev, uint64_t now_ms)
{
    if (ev->snapshot_done) {
        if (!m->in_snapshot)
            m->gen++; /* an empty snapshot: the scope holds nothing */
        model__sweep(m);
        m->in_snapshot = 0;
        m->complete = 1;
        if (ev->seq > m->last_seq)
            m->last_seq = ev->seq;
        return 1;
    }
    const Okr__Change *ch = ev->change;
    if (!ch)
        return 0;
    int live = !ev->snapshot;
    if (ev->snapshot && !m->in_snapshot) {
        m->in_snapshot = 1;
        m->gen++;
    }
    if (live && ev->seq > m->last_seq)
        m->last_seq = ev->seq;
    if (model__entity(m, ch, live, now_ms) != 0)
        m->oom = 1;
    if (live)
        model__ancestors(m, ch, live, now_ms);
    return 1;
}
