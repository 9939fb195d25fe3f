/* refs_lookup.c — the half of refs.h that asks the server: teams, cycles and
 * users by name, the default cycle, and the per-process caches of user, team
 * and cycle names for display. (Parsing short ids is in refs.c.) */
#include "refs.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "okr_error.h"
#include "pipeline.h"

/* ---------------------------------------------------------------- calls */

/* Sends req. Returns 0 with *resp (OK, of kind expect); -1 when the server
 * answered NOT_FOUND (nothing printed, *resp NULL); else prints the error
 * and returns the exit code. quiet: print nothing at all on failure (for
 * display lookups, where "?" is enough). */
static int refs__call(okr_cli_t *cli, Okr__Request *req, Okr__Response__ResultCase expect,
                      Okr__Response **resp, int quiet)
{
    *resp = NULL;
    if (!cli->client)
        return quiet ? OKR_EXIT_ERROR
                     : okr_cli_fail(cli, OKR_EXIT_ERROR, "INTERNAL", "not connected");
    Okr__Response *r;
    int rc = okr_cli_request(cli, req, &r, quiet);
    if (rc)
        return rc;
    if (r->status == OKR__STATUS__STATUS_NOT_FOUND) {
        okr__response__free_unpacked(r, NULL);
        return -1;
    }
    if (r->status != OKR__STATUS__STATUS_OK) {
        int err = okr_status_to_err(r->status);
        int code =
            quiet ? okr_cli_exit_code(err)
                  : okr_cli_fail_err(cli, err, "%s",
                                     r->message && r->message[0] ? r->message : okr_strerror(err));
        okr__response__free_unpacked(r, NULL);
        return code;
    }
    if (r->result_case != expect) {
        okr__response__free_unpacked(r, NULL);
        return quiet ? OKR_EXIT_CONNECT
                     : okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL",
                                    "the server answered with an unexpected result; is it an "
                                    "older okrd?");
    }
    *resp = r;
    return 0;
}

/* "#12" into *id: 1 if text is a raw id, 0 if it is a name, -1 if it starts
 * with '#' but is not a valid id. */
static int refs__raw(const char *text, uint64_t *id)
{
    if (text[0] != '#')
        return 0;
    return okr_ref_parse(text, OKR_REF_OBJECTIVE, id) == 0 ? 1 : -1;
}

/* ---------------------------------------------------------------- caches */

typedef struct refs_name {
    uint64_t id;
    char *name;
} refs_name_t;

typedef struct refs_cache {
    refs_name_t *v;
    size_t n, cap;
} refs_cache_t;

static refs_cache_t refs_users, refs_teams, refs_cycles;

static const char *refs__cached(const refs_cache_t *c, uint64_t id)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].id == id)
            return c->v[i].name;
    return NULL;
}

/* Remembers id -> name (a copy); returns the cached copy, or NULL when out of
 * memory. The cache lives until the process exits, like the strings it
 * hands out. */
static const char *refs__remember(refs_cache_t *c, uint64_t id, const char *name)
{
    const char *have = refs__cached(c, id);
    if (have)
        return have;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        refs_name_t *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return NULL;
        c->v = v;
        c->cap = cap;
    }
    char *copy = strdup(name ? name : "");
    if (!copy)
        return NULL;
    c->v[c->n].id = id;
    c->v[c->n].name = copy;
    c->n++;
    return copy;
}

/* ---------------------------------------------------------------- fetched together */

enum { WANT_USER, WANT_TEAM, WANT_CYCLE };

static refs_cache_t *const refs_by_kind[] = {&refs_users, &refs_teams, &refs_cycles};

static void refs__want(okr_ref_wanted_t *w, int kind, uint64_t id)
{
    if (id == 0 || refs__cached(refs_by_kind[kind], id))
        return;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 32;
        okr_ref_want_t *grown = realloc(w->v, cap * sizeof *grown);
        if (!grown)
            return; /* asked for alone when it is named */
        w->v = grown;
        w->cap = cap;
    }
    w->v[w->n++] = (okr_ref_want_t){kind, id};
}

void okr_ref_want_user(okr_ref_wanted_t *w, uint64_t id)
{
    refs__want(w, WANT_USER, id);
}

void okr_ref_want_team(okr_ref_wanted_t *w, uint64_t id)
{
    refs__want(w, WANT_TEAM, id);
}

void okr_ref_want_cycle(okr_ref_wanted_t *w, uint64_t id)
{
    refs__want(w, WANT_CYCLE, id);
}

static int refs__cmp_want(const void *a, const void *b)
{
    const okr_ref_want_t *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind - y->kind;
    return (x->id > y->id) - (x->id < y->id);
}

/* Sorts w and drops repeats and those cached meanwhile. */
static void refs__distinct(okr_ref_wanted_t *w)
{
    if (w->n > 1)
        qsort(w->v, w->n, sizeof *w->v, refs__cmp_want);
    size_t kept = 0;
    for (size_t i = 0; i < w->n; i++) {
        const okr_ref_want_t *x = &w->v[i];
        if ((kept == 0 || refs__cmp_want(&w->v[kept - 1], x) != 0) &&
            !refs__cached(refs_by_kind[x->kind], x->id))
            w->v[kept++] = *x;
    }
    w->n = kept;
}

static void refs__build_get(void *arg, size_t i, okr_pipe_req_t *r)
{
    const okr_ref_want_t *x = &((const okr_ref_wanted_t *)arg)->v[i];
    Okr__Request req = OKR__REQUEST__INIT;
    r->req = req;
    switch (x->kind) {
    case WANT_USER: {
        Okr__UserGetRequest g = OKR__USER_GET_REQUEST__INIT;
        r->u.user_get = g;
        r->u.user_get.id = x->id;
        r->req.op_case = OKR__REQUEST__OP_USER_GET;
        r->req.user_get = &r->u.user_get;
        break;
    }
    case WANT_TEAM: {
        Okr__TeamGetRequest g = OKR__TEAM_GET_REQUEST__INIT;
        r->u.team_get = g;
        r->u.team_get.id = x->id;
        r->req.op_case = OKR__REQUEST__OP_TEAM_GET;
        r->req.team_get = &r->u.team_get;
        break;
    }
    default: {
        Okr__CycleGetRequest g = OKR__CYCLE_GET_REQUEST__INIT;
        r->u.cycle_get = g;
        r->u.cycle_get.id = x->id;
        r->req.op_case = OKR__REQUEST__OP_CYCLE_GET;
        r->req.cycle_get = &r->u.cycle_get;
        break;
    }
    }
}

static int refs__on_get(void *arg, size_t i, const Okr__Response *resp)
{
    const okr_ref_want_t *x = &((const okr_ref_wanted_t *)arg)->v[i];
    if (x->kind == WANT_USER && resp->result_case == OKR__RESPONSE__RESULT_USER)
        refs__remember(&refs_users, x->id, resp->user->username);
    else if (x->kind == WANT_TEAM && resp->result_case == OKR__RESPONSE__RESULT_TEAM)
        refs__remember(&refs_teams, x->id, resp->team->name);
    else if (x->kind == WANT_CYCLE && resp->result_case == OKR__RESPONSE__RESULT_CYCLE)
        refs__remember(&refs_cycles, x->id, resp->cycle->name);
    return 0;
}

int okr_ref_fetch_wanted(okr_cli_t *cli, okr_ref_wanted_t *w)
{
    if (cli->me) /* known from the session's answer: no need to ask */
        refs__remember(&refs_users, cli->me->id, cli->me->username);
    refs__distinct(w);
    int rc = 0;
    if (w->n > 0 && cli->client)
        rc = okr_pipeline_quiet(cli, w->n, refs__build_get, refs__on_get, w);
    /* One question per id: what did not come (gone, hidden) is "?". */
    for (size_t i = 0; rc == 0 && i < w->n; i++)
        refs__remember(refs_by_kind[w->v[i].kind], w->v[i].id, "?");
    free(w->v);
    memset(w, 0, sizeof *w);
    return rc;
}

/* The name of one id of kind, asked for alone and quietly: "?" when it
 * cannot be had, cached too (one question per id). */
static const char *refs__name(okr_cli_t *cli, int kind, uint64_t id)
{
    static const Okr__Response__ResultCase expect[] = {
        OKR__RESPONSE__RESULT_USER, OKR__RESPONSE__RESULT_TEAM, OKR__RESPONSE__RESULT_CYCLE};
    if (id == 0)
        return "-";
    refs_cache_t *cache = refs_by_kind[kind];
    const char *name = refs__cached(cache, id);
    if (name)
        return name;
    if (kind == WANT_USER && cli->me && cli->me->id == id) {
        name = refs__remember(cache, id, cli->me->username);
        return name ? name : "?";
    }
    okr_ref_want_t want = {kind, id};
    okr_ref_wanted_t one = {&want, 1, 1};
    okr_pipe_req_t r;
    memset(&r, 0, sizeof r);
    refs__build_get(&one, 0, &r);
    Okr__Response *resp;
    if (refs__call(cli, &r.req, expect[kind], &resp, 1) == 0) {
        refs__on_get(&one, 0, resp);
        okr__response__free_unpacked(resp, NULL);
    }
    name = refs__remember(cache, id, "?"); /* the name on_get kept, if it did */
    return name ? name : "?";
}

/* ---------------------------------------------------------------- teams */

int okr_ref_team(okr_cli_t *cli, const char *name, uint64_t *id)
{
    if (!name || !name[0])
        return okr_cli_usage_error(cli, "a team name is empty");
    int raw = refs__raw(name, id);
    if (raw < 0)
        return okr_cli_usage_error(cli, "'%s' is not a team id (use #12 or the team's name)", name);
    if (raw > 0)
        return 0;
    Okr__TeamGetRequest g = OKR__TEAM_GET_REQUEST__INIT;
    g.name = (char *)name;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TEAM_GET;
    req.team_get = &g;
    Okr__Response *resp;
    int rc = refs__call(cli, &req, OKR__RESPONSE__RESULT_TEAM, &resp, 0);
    if (rc < 0)
        return okr_cli_fail(cli, OKR_EXIT_REFUSED, "NOT_FOUND",
                            "no team named '%s' — see: okr team list", name);
    if (rc)
        return rc;
    *id = resp->team->id;
    refs__remember(&refs_teams, resp->team->id, resp->team->name);
    okr__response__free_unpacked(resp, NULL);
    return 0;
}

const char *okr_ref_team_name(okr_cli_t *cli, uint64_t id)
{
    return refs__name(cli, WANT_TEAM, id);
}

void okr_ref_remember_team(uint64_t id, const char *name)
{
    if (id && name)
        refs__remember(&refs_teams, id, name);
}

/* ---------------------------------------------------------------- users */

int okr_ref_user(okr_cli_t *cli, const char *username, uint64_t *id)
{
    if (!username || !username[0])
        return okr_cli_usage_error(cli, "a user name is empty");
    int raw = refs__raw(username, id);
    if (raw < 0)
        return okr_cli_usage_error(cli, "'%s' is not a user id (use the user name)", username);
    if (raw > 0)
        return 0;
    Okr__UserGetRequest g = OKR__USER_GET_REQUEST__INIT;
    g.username = (char *)username;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_USER_GET;
    req.user_get = &g;
    Okr__Response *resp;
    int rc = refs__call(cli, &req, OKR__RESPONSE__RESULT_USER, &resp, 0);
    if (rc < 0)
        return okr_cli_fail(cli, OKR_EXIT_REFUSED, "NOT_FOUND",
                            "no user named '%s' — see: okr user list", username);
    if (rc)
        return rc;
    *id = resp->user->id;
    refs__remember(&refs_users, resp->user->id, resp->user->username);
    okr__response__free_unpacked(resp, NULL);
    return 0;
}

const char *okr_ref_username(okr_cli_t *cli, uint64_t id)
{
    return refs__name(cli, WANT_USER, id);
}

/* ---------------------------------------------------------------- cycles */

int okr_ref_cycle(okr_cli_t *cli, const char *name, uint64_t *id)
{
    if (!name || !name[0])
        return okr_cli_usage_error(cli, "a cycle name is empty");
    int raw = refs__raw(name, id);
    if (raw < 0)
        return okr_cli_usage_error(cli, "'%s' is not a cycle id (use #12 or the cycle's name)",
                                   name);
    if (raw > 0)
        return 0;
    Okr__CycleGetRequest g = OKR__CYCLE_GET_REQUEST__INIT;
    g.name = (char *)name;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CYCLE_GET;
    req.cycle_get = &g;
    Okr__Response *resp;
    int rc = refs__call(cli, &req, OKR__RESPONSE__RESULT_CYCLE, &resp, 0);
    if (rc < 0)
        return okr_cli_fail(cli, OKR_EXIT_REFUSED, "NOT_FOUND",
                            "no cycle named '%s' — see: okr cycle list --all", name);
    if (rc)
        return rc;
    *id = resp->cycle->id;
    refs__remember(&refs_cycles, resp->cycle->id, resp->cycle->name);
    okr__response__free_unpacked(resp, NULL);
    return 0;
}

const char *okr_ref_cycle_name(okr_cli_t *cli, uint64_t id)
{
    return refs__name(cli, WANT_CYCLE, id);
}

/* What the default-cycle search found across all pages.
 *
 * With no active cycle, "the most recent one not closed" is read as the one
 * people mean: the cycle whose dates cover today, else the next one to
 * start, else the last one to have started. A far-future cycle planned
 * early (2027-Q3 while 2027-Q1 is next) must not win just by its dates. */
typedef struct refs_pick {
    int64_t now;
    uint64_t active_id;
    size_t active_count;
    char active_names[256];
    uint64_t current_id, next_id, past_id;
    int64_t current_start, next_start, past_start;
} refs_pick_t;

static void refs__consider(refs_pick_t *pick, const Okr__Cycle *c)
{
    if (c->state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED)
        return;
    if (c->state == OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE) {
        pick->active_id = c->id;
        size_t used = strlen(pick->active_names);
        snprintf(pick->active_names + used, sizeof pick->active_names - used, "%s%s",
                 pick->active_count ? ", " : "", c->name ? c->name : "?");
        pick->active_count++;
    }
    /* Ties go to the newer cycle (ids ascend through the pages). */
    if (c->start_at <= pick->now && pick->now <= c->end_at) {
        if (!pick->current_id || c->start_at >= pick->current_start) {
            pick->current_id = c->id;
            pick->current_start = c->start_at;
        }
    } else if (c->start_at > pick->now) {
        if (!pick->next_id || c->start_at < pick->next_start) {
            pick->next_id = c->id;
            pick->next_start = c->start_at;
        }
    } else if (!pick->past_id || c->start_at >= pick->past_start) {
        pick->past_id = c->id;
        pick->past_start = c->start_at;
    }
}

/* Reads every cycle not closed into pick. 0 or an exit code (printed). */
static int refs__pick_cycles(okr_cli_t *cli, refs_pick_t *pick)
{
    uint64_t after = 0;
    for (;;) {
        Okr__Page page = OKR__PAGE__INIT;
        page.after_id = after;
        Okr__CycleListRequest lr = OKR__CYCLE_LIST_REQUEST__INIT;
        lr.page = &page;
        lr.include_closed = 0;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_CYCLE_LIST;
        req.cycle_list = &lr;
        Okr__Response *resp;
        int rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_CYCLE_LIST, &resp);
        if (rc)
            return rc;
        const Okr__CycleList *list = resp->cycle_list;
        for (size_t i = 0; i < list->n_cycles; i++) {
            refs__consider(pick, list->cycles[i]);
            refs__remember(&refs_cycles, list->cycles[i]->id, list->cycles[i]->name);
        }
        uint64_t next = list->next_after_id;
        okr__response__free_unpacked(resp, NULL);
        if (next == 0)
            return 0;
        if (next <= after) /* a cursor that does not move would loop */
            return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL",
                                "the server repeated a page of the cycle list");
        after = next;
    }
}

/* The only active cycle, else the current, next or last one; 0 for none or
 * several active. */
static uint64_t refs__picked(const refs_pick_t *pick)
{
    if (pick->active_count)
        return pick->active_count == 1 ? pick->active_id : 0;
    return pick->current_id ? pick->current_id : pick->next_id ? pick->next_id : pick->past_id;
}

int okr_ref_default_cycle(okr_cli_t *cli, uint64_t *id)
{
    refs_pick_t pick = {.now = okr_wall_ms()};
    int rc = refs__pick_cycles(cli, &pick);
    if (rc)
        return rc;
    if (pick.active_count > 1)
        return okr_cli_fail(cli, OKR_EXIT_USAGE, "USAGE",
                            "several cycles are active (%s): say which one with --cycle NAME",
                            pick.active_names);
    if ((*id = refs__picked(&pick)) != 0)
        return 0;
    return okr_cli_fail(cli, OKR_EXIT_ERROR, "NO_CYCLE",
                        "there is no open cycle — an admin can create one: okr cycle add 2026-Q1 "
                        "--start 2026-01-01 --end 2026-03-31 (or name a closed one with --cycle)");
}

uint64_t okr_ref_default_cycle_of(Okr__Cycle *const *cycles, size_t n)
{
    refs_pick_t pick = {.now = okr_wall_ms()};
    for (size_t i = 0; i < n; i++) {
        refs__consider(&pick, cycles[i]);
        refs__remember(&refs_cycles, cycles[i]->id, cycles[i]->name);
    }
    return refs__picked(&pick);
}
