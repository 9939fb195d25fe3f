/* cmd_review.c — okr review: the agenda of the regular OKR meeting the seed
 * recommends (定期会议: track the key results, discuss problems, adjust).
 *
 * Four parts, each from the server's records:
 *   1. what moved since the last meeting: every key result checked in since
 *      --since, from its value before the first of those check-ins to its
 *      value after the last (CheckInList of the key results whose last
 *      check-in is that recent; the others cannot have moved), the biggest
 *      movement first; those checked in without a change are only named, as
 *      a meeting has nothing to say about them but that they were looked at;
 *   2. what is at risk or off track: objectives by their status, key
 *      results by their progress against the cycle's pace and confidence;
 *   3. what has gone stale: key results without a check-in for
 *      --stale-days (14), counted from their creation when they never had
 *      one, as the coach (okr lint) counts;
 *   4. the comments and kudos written since (CommentList of every objective
 *      and key result in scope).
 * From protocol 1.5 the server lists the cycle's check-ins and comments
 * since --since itself, a few pages for the whole agenda; an older server
 * is asked per key result and per target, pipelined. Each section shows
 * its --limit most important rows (25) and counts the rest.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cmd_kit.h"
#include "export.h"
#include "okr_error.h"
#include "pipeline.h"
#include "view_model.h"

enum {
    OPT_CYCLE = OKR_OPT_FIRST_COMMAND_OPT,
    OPT_TEAM,
    OPT_SINCE,
    OPT_STALE_DAYS,
    OPT_MD,
    OPT_LIMIT,
    OPT_ALL,
};

#define REVIEW_DAY_MS     (24LL * 3600 * 1000)
#define REVIEW_STALE_DAYS 14
/* Rows a section shows by default: an agenda a meeting can go through. A
 * whole organisation's review of thousands of key results would otherwise
 * be thousands of lines; what matters most comes first in each section. */
#define REVIEW_LIMIT     25
#define REVIEW_LIMIT_MAX 100000
#define REVIEW_TITLE_W   40
#define REVIEW_BODY_W    72
#define REVIEW_LINE_W    78

static const char review_usage[] =
    "Usage: okr review [--cycle C] [--team T] [--since 7d] [--stale-days N]\n"
    "                  [--limit N | --all] [--md]\n"
    "\n"
    "The agenda of the regular OKR meeting: what moved since the last one,\n"
    "what is at risk, what has gone stale, and the feedback given since.\n"
    "\n"
    "  1. Moved: each key result whose value changed since then, the biggest\n"
    "     movement first: from its value before to its value now, its\n"
    "     progress, the number of check-ins, who made the last one and its\n"
    "     note. Key results checked in without a change are named after it.\n"
    "  2. At risk or off track: objectives and key results behind the\n"
    "     cycle's pace or with a low confidence (see okr obj show --help).\n"
    "  3. Stale: key results with no check-in for --stale-days days: ask\n"
    "     their owners for one.\n"
    "  4. Comments and kudos written since then.\n"
    "\n"
    "Options:\n"
    "  --cycle CYCLE      the cycle (default: the current one)\n"
    "  --team TEAM        only the objectives of TEAM and those aligned below\n"
    "  --since WHEN       the last meeting: 7d (days ago, the default), 2w,\n"
    "                     36h, a date (2026-03-02), today or yesterday\n"
    "  --stale-days N     how long without a check-in is stale (default 14)\n"
    "  --limit N          rows shown in each section (default 25): the biggest\n"
    "                     moves, the furthest behind, the longest stale and the\n"
    "                     newest comments; the rest are counted\n"
    "  --all              every row (--json always has every one)\n"
    "  --md               Markdown, to paste into the meeting's notes\n"
    "  --json             the agenda as JSON\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr review\n"
    "  okr review --team 销售部 --since 14d\n"
    "  okr review --since 2026-03-02 --md > agenda.md\n";

typedef struct review_opts {
    const char *cycle, *team;
    int64_t since_ms;
    const char *since_text;
    unsigned stale_days;
    size_t limit; /* rows shown per section (text and Markdown) */
    int md;
} review_opts_t;

/* A key result that moved. */
typedef struct review_move {
    const okr_view_obj_t *o;
    const okr_view_kr_t *k;
    double from, to;
    size_t count;
    uint64_t last_author;
    int64_t first_time, last_time, note_time; /* with the ids, the order of check-ins */
    uint64_t first_id, last_id, note_id;
    char *last_note; /* owned */
} review_move_t;

/* A key result that has gone stale. */
typedef struct review_stale {
    const okr_view_obj_t *o;
    const okr_view_kr_t *k;
    int64_t days;
    int never;
} review_stale_t;

typedef struct review_target {
    const okr_view_obj_t *o;
    const okr_view_kr_t *k; /* NULL: the objective itself */
} review_target_t;

typedef struct review_comment {
    Okr__Comment *c; /* owned */
    review_target_t on;
} review_comment_t;

typedef struct review {
    okr_cli_t *cli;
    const okr_view_t *v;
    const char *mark; /* --team: 2 = in scope; NULL = everything */
    review_opts_t opts;
    const char *team_name;
    /* key results to read check-ins of, then the moves */
    review_target_t *krs;
    size_t nkrs;
    review_move_t *moves; /* the nchanged that changed first, then the rest */
    size_t nmoves, nchanged;
    review_stale_t *stale;
    size_t nstale;
    /* objectives and key results to read comments of, then the comments */
    review_target_t *targets;
    size_t ntargets;
    review_comment_t *comments;
    size_t ncomments, capcomments;
    int nomem;
} review_t;

/* ---------------------------------------------------------------- options */

static int review__opt(okr_cli_t *cli, int opt, void *arg)
{
    review_opts_t *o = arg;
    switch (opt) {
    case OPT_CYCLE:
        o->cycle = optarg;
        return -1;
    case OPT_TEAM:
        o->team = optarg;
        return -1;
    case OPT_SINCE:
        o->since_text = optarg;
        return okr_kit_since(cli, optarg, &o->since_ms);
    case OPT_STALE_DAYS: {
        char *end;
        errno = 0;
        long d = strtol(optarg, &end, 10);
        if (errno || end == optarg || *end || d < 1 || d > 3650)
            return okr_cli_usage_error(cli, "--stale-days takes days from 1, not '%s'", optarg);
        o->stale_days = (unsigned)d;
        return -1;
    }
    case OPT_MD:
        o->md = 1;
        return -1;
    case OPT_LIMIT: {
        char *end;
        errno = 0;
        long n = strtol(optarg, &end, 10);
        if (errno || end == optarg || *end || n < 1 || n > REVIEW_LIMIT_MAX)
            return okr_cli_usage_error(cli, "--limit takes rows from 1 to %d, not '%s'",
                                       REVIEW_LIMIT_MAX, optarg);
        o->limit = (size_t)n;
        return -1;
    }
    case OPT_ALL:
        o->limit = SIZE_MAX;
        return -1;
    }
    return OKR_EXIT_USAGE;
}

/* ---------------------------------------------------------------- figures */

/* The progress a key result would have at value (its own figures). */
static double review__progress_at(const Okr__KeyResult *kr, double value)
{
    Okr__KeyResult at = *kr;
    at.current = value;
    return okr_kr_progress(&at);
}

/* "30 → 42 customers" */
static const char *review__span(const review_move_t *m, char *buf, size_t len)
{
    return okr_kit_span(m->k->kr, m->from, m->to, buf, len);
}

/* "+12 points" */
static int review__points(const review_move_t *m)
{
    double a = review__progress_at(m->k->kr, m->from), b = review__progress_at(m->k->kr, m->to);
    return (int)lround((b - a) * 100.0);
}

/* ---------------------------------------------------------------- gathering */

static int review__in_scope(const review_t *r, const okr_view_obj_t *o)
{
    return !r->mark || r->mark[o - r->v->objs] == 2;
}

static int review__active(const review_t *r, const okr_view_obj_t *o)
{
    return r->v->cycle->state == OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE &&
           o->o->state != OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED;
}

/* The key results to read, the stale ones, and the comment targets. */
static int review__plan(review_t *r)
{
    const okr_view_t *v = r->v;
    size_t nkr = 0;
    for (size_t i = 0; i < v->n; i++)
        nkr += v->objs[i].nkrs;
    r->krs = calloc(nkr ? nkr : 1, sizeof *r->krs);
    r->stale = calloc(nkr ? nkr : 1, sizeof *r->stale);
    r->targets = calloc(v->n + nkr + 1, sizeof *r->targets);
    if (!r->krs || !r->stale || !r->targets)
        return -1;
    int64_t limit = (int64_t)r->opts.stale_days * REVIEW_DAY_MS;
    for (size_t k = 0; k < v->n; k++) {
        const okr_view_obj_t *o = &v->objs[v->order[k]];
        if (!review__in_scope(r, o))
            continue;
        r->targets[r->ntargets++] = (review_target_t){o, NULL};
        for (size_t j = 0; j < o->nkrs; j++) {
            const okr_view_kr_t *kr = &o->krs[j];
            r->targets[r->ntargets++] = (review_target_t){o, kr};
            if (kr->kr->last_checkin_at >= r->opts.since_ms)
                r->krs[r->nkrs++] = (review_target_t){o, kr};
            /* stale as okr lint counts it: linked key results take their
             * progress from elsewhere and are never checked in */
            int never = kr->kr->last_checkin_at == 0;
            int64_t from = never ? kr->kr->created_at : kr->kr->last_checkin_at;
            if (review__active(r, o) && !kr->kr->linked_objective_id && from > 0 &&
                v->now_ms - from >= limit)
                r->stale[r->nstale++] =
                    (review_stale_t){o, kr, (v->now_ms - from) / REVIEW_DAY_MS, never};
        }
    }
    r->moves = calloc(r->nkrs ? r->nkrs : 1, sizeof *r->moves);
    if (!r->moves)
        return -1;
    for (size_t i = 0; i < r->nkrs; i++) {
        r->moves[i].o = r->krs[i].o;
        r->moves[i].k = r->krs[i].k;
    }
    return 0;
}

static void review__build_checkins(void *arg, size_t i, okr_pipe_req_t *q)
{
    review_t *r = arg;
    Okr__CheckInListRequest init = OKR__CHECK_IN_LIST_REQUEST__INIT;
    Okr__Page page = OKR__PAGE__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    q->u.checkin_list = init;
    q->page = page;
    q->page.limit = 500;
    q->u.checkin_list.key_result_id = r->krs[i].k->kr->id;
    q->u.checkin_list.page = &q->page;
    q->req = req;
    q->req.op_case = OKR__REQUEST__OP_CHECKIN_LIST;
    q->req.checkin_list = &q->u.checkin_list;
}

/* Whether check-in (time, id) comes before (t, i): by the date it is for,
 * then the order it was written in. */
static int review__before(int64_t time, uint64_t id, int64_t t, uint64_t i)
{
    return time < t || (time == t && id < i);
}

/* Adds a check-in since --since to move m, in whatever order they come:
 * the value before the first, the value after the last, the latest note. */
static int review__take_checkin(review_t *r, review_move_t *m, const Okr__CheckIn *ci)
{
    if (m->count == 0 || review__before(ci->time, ci->id, m->first_time, m->first_id)) {
        m->from = ci->previous_value;
        m->first_time = ci->time;
        m->first_id = ci->id;
    }
    if (m->count == 0 || review__before(m->last_time, m->last_id, ci->time, ci->id)) {
        m->to = ci->value;
        m->last_time = ci->time;
        m->last_id = ci->id;
        m->last_author = ci->author_id;
    }
    if (ci->note && ci->note[0] &&
        (!m->last_note || review__before(m->note_time, m->note_id, ci->time, ci->id))) {
        free(m->last_note);
        m->last_note = strdup(ci->note);
        m->note_time = ci->time;
        m->note_id = ci->id;
        if (!m->last_note) {
            r->nomem = 1;
            return OKR_EXIT_ERROR;
        }
    }
    m->count++;
    return 0;
}

static int review__page_checkins(void *arg, size_t i, const Okr__Response *resp)
{
    review_t *r = arg;
    if (resp->result_case != OKR__RESPONSE__RESULT_CHECKIN_LIST)
        return 0;
    const Okr__CheckInList *list = resp->checkin_list;
    for (size_t c = 0; c < list->n_checkins; c++) {
        const Okr__CheckIn *ci = list->checkins[c];
        if (ci->time >= r->opts.since_ms && review__take_checkin(r, &r->moves[i], ci) != 0)
            return OKR_EXIT_ERROR;
    }
    return 0;
}

static void review__build_comments(void *arg, size_t i, okr_pipe_req_t *q)
{
    review_t *r = arg;
    Okr__CommentListRequest init = OKR__COMMENT_LIST_REQUEST__INIT;
    Okr__Page page = OKR__PAGE__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    q->u.comment_list = init;
    q->page = page;
    q->page.limit = 500;
    if (r->targets[i].k)
        q->u.comment_list.key_result_id = r->targets[i].k->kr->id;
    else
        q->u.comment_list.objective_id = r->targets[i].o->o->id;
    q->u.comment_list.page = &q->page;
    q->req = req;
    q->req.op_case = OKR__REQUEST__OP_COMMENT_LIST;
    q->req.comment_list = &q->u.comment_list;
}

/* Keeps a comment written since --since on target t. */
static int review__take_comment(review_t *r, const review_target_t *t, const Okr__Comment *cm)
{
    if (r->ncomments == r->capcomments) {
        size_t cap = r->capcomments ? r->capcomments * 2 : 16;
        review_comment_t *grown = realloc(r->comments, cap * sizeof *grown);
        if (!grown) {
            r->nomem = 1;
            return OKR_EXIT_ERROR;
        }
        r->comments = grown;
        r->capcomments = cap;
    }
    Okr__Comment *copy = okr_view_dup(&cm->base);
    if (!copy) {
        r->nomem = 1;
        return OKR_EXIT_ERROR;
    }
    r->comments[r->ncomments++] = (review_comment_t){copy, *t};
    return 0;
}

static int review__page_comments(void *arg, size_t i, const Okr__Response *resp)
{
    review_t *r = arg;
    if (resp->result_case != OKR__RESPONSE__RESULT_COMMENT_LIST)
        return 0;
    const Okr__CommentList *list = resp->comment_list;
    for (size_t c = 0; c < list->n_comments; c++) {
        const Okr__Comment *cm = list->comments[c];
        if (cm->time >= r->opts.since_ms && review__take_comment(r, &r->targets[i], cm) != 0)
            return OKR_EXIT_ERROR;
    }
    return 0;
}

static int review__cmp_comment(const void *a, const void *b)
{
    const review_comment_t *x = a, *y = b;
    if (x->c->time != y->c->time)
        return x->c->time < y->c->time ? -1 : 1;
    return x->c->id < y->c->id ? -1 : x->c->id > y->c->id;
}

/* The longest without a check-in first, then by key result. */
static int review__cmp_stale(const void *a, const void *b)
{
    const review_stale_t *x = a, *y = b;
    if (x->days != y->days)
        return x->days > y->days ? -1 : 1;
    return x->k->kr->id < y->k->kr->id ? -1 : x->k->kr->id > y->k->kr->id;
}

static int review__changed(const review_move_t *m)
{
    return m->from != m->to;
}

/* What changed first, the biggest movement (either way) first; then the
 * latest check-in first. */
static int review__cmp_move(const void *a, const void *b)
{
    const review_move_t *x = a, *y = b;
    if (review__changed(x) != review__changed(y))
        return review__changed(x) ? -1 : 1;
    int px = abs(review__points(x)), py = abs(review__points(y));
    if (px != py)
        return px > py ? -1 : 1;
    if (x->last_time != y->last_time)
        return x->last_time > y->last_time ? -1 : 1;
    return x->k->kr->id < y->k->kr->id ? -1 : x->k->kr->id > y->k->kr->id;
}

/* ---------------------------------------------------------------- since (1.5) */

/* From protocol 1.5 the server lists a cycle's check-ins and comments since
 * a time itself, newest first, a few pages each: two streams of requests
 * instead of one per key result and one per objective and key result
 * (21,000 on an organisation of 2,000 objectives). Each record is matched
 * to the key result or target in the view by id; those outside it (another
 * team's, with --team) are passed over. */

typedef struct review_slot {
    uint64_t id;
    size_t at; /* index in r->moves or r->targets */
} review_slot_t;

typedef struct review_index {
    review_slot_t *moves, *objectives, *krs; /* by id */
    size_t nmoves, nobjectives, nkrs;
} review_index_t;

static int review__cmp_slot(const void *a, const void *b)
{
    const review_slot_t *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static const review_slot_t *review__find(const review_slot_t *v, size_t n, uint64_t id)
{
    review_slot_t key = {id, 0};
    return n ? bsearch(&key, v, n, sizeof *v, review__cmp_slot) : NULL;
}

static int review__index(const review_t *r, review_index_t *x)
{
    x->moves = calloc(r->nkrs + 1, sizeof *x->moves);
    x->objectives = calloc(r->ntargets + 1, sizeof *x->objectives);
    x->krs = calloc(r->ntargets + 1, sizeof *x->krs);
    if (!x->moves || !x->objectives || !x->krs)
        return -1;
    for (size_t i = 0; i < r->nkrs; i++)
        x->moves[x->nmoves++] = (review_slot_t){r->moves[i].k->kr->id, i};
    for (size_t i = 0; i < r->ntargets; i++) {
        const review_target_t *t = &r->targets[i];
        if (t->k)
            x->krs[x->nkrs++] = (review_slot_t){t->k->kr->id, i};
        else
            x->objectives[x->nobjectives++] = (review_slot_t){t->o->o->id, i};
    }
    qsort(x->moves, x->nmoves, sizeof *x->moves, review__cmp_slot);
    qsort(x->objectives, x->nobjectives, sizeof *x->objectives, review__cmp_slot);
    qsort(x->krs, x->nkrs, sizeof *x->krs, review__cmp_slot);
    return 0;
}

static void review__index_free(review_index_t *x)
{
    free(x->moves);
    free(x->objectives);
    free(x->krs);
}

/* One of the two lists being read, page by page. */
typedef struct review_since {
    Okr__Request__OpCase op; /* CHECKIN_LIST or COMMENT_LIST */
    uint64_t below;          /* the next page starts under it (0: the newest) */
    uint64_t id, sent_ms;    /* the request in flight (id 0: none) */
    int tries, done;
} review_since_t;

static int review__send_since(review_t *r, review_since_t *st)
{
    Okr__Page page = OKR__PAGE__INIT;
    page.limit = 500;
    page.after_id = st->below;
    Okr__CheckInListRequest checkins = OKR__CHECK_IN_LIST_REQUEST__INIT;
    Okr__CommentListRequest comments = OKR__COMMENT_LIST_REQUEST__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = st->op;
    if (st->op == OKR__REQUEST__OP_CHECKIN_LIST) {
        checkins.cycle_id = r->v->cycle->id;
        checkins.since = r->opts.since_ms;
        checkins.page = &page;
        req.checkin_list = &checkins;
    } else {
        comments.cycle_id = r->v->cycle->id;
        comments.since = r->opts.since_ms;
        comments.page = &page;
        req.comment_list = &comments;
    }
    st->sent_ms = okr_mono_ms();
    return okr_client_send(r->cli->client, &req, &st->id);
}

/* Takes one page's records; *next is where the following page starts. */
static int review__take_since(review_t *r, const review_index_t *x, const Okr__Response *resp,
                              uint64_t *next)
{
    if (resp->result_case == OKR__RESPONSE__RESULT_CHECKIN_LIST) {
        const Okr__CheckInList *list = resp->checkin_list;
        for (size_t i = 0; i < list->n_checkins; i++) {
            const Okr__CheckIn *ci = list->checkins[i];
            const review_slot_t *at = review__find(x->moves, x->nmoves, ci->key_result_id);
            if (at && review__take_checkin(r, &r->moves[at->at], ci) != 0)
                return OKR_EXIT_ERROR;
        }
        *next = list->next_after_id;
        return 0;
    }
    if (resp->result_case == OKR__RESPONSE__RESULT_COMMENT_LIST) {
        const Okr__CommentList *list = resp->comment_list;
        for (size_t i = 0; i < list->n_comments; i++) {
            const Okr__Comment *cm = list->comments[i];
            const review_slot_t *at =
                cm->key_result_id ? review__find(x->krs, x->nkrs, cm->key_result_id)
                                  : review__find(x->objectives, x->nobjectives, cm->objective_id);
            if (at && review__take_comment(r, &r->targets[at->at], cm) != 0)
                return OKR_EXIT_ERROR;
        }
        *next = list->next_after_id;
        return 0;
    }
    return okr_cli_fail(r->cli, OKR_EXIT_CONNECT, "PROTOCOL", "the server sent another answer");
}

/* Answers one stream's page (taking resp): the next request, a pause and
 * the same again, the end, or an exit code. */
static int review__answer_since(review_t *r, const review_index_t *x, review_since_t *st,
                                okr_pipe_pace_t *pace, Okr__Response *resp)
{
    int rc = 0;
    uint64_t next = 0;
    if (resp->status == OKR__STATUS__STATUS_RATE_LIMITED && st->tries++ < OKR_PIPE_RETRIES) {
        okr_pipe_pace(pace, st->sent_ms); /* and the same page again */
    } else if (resp->status != OKR__STATUS__STATUS_OK) {
        int err = okr_status_to_err(resp->status);
        rc =
            okr_cli_fail_err(r->cli, err, "%s",
                             resp->message && resp->message[0] ? resp->message : okr_strerror(err));
    } else if ((rc = review__take_since(r, x, resp, &next)) == 0) {
        st->tries = 0;
        if (next && st->below && next >= st->below)
            rc = okr_cli_fail(r->cli, OKR_EXIT_CONNECT, "PROTOCOL",
                              "the server repeated a page of a list");
        st->below = next;
        st->done = next == 0;
    }
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

static int review__gather_since(review_t *r)
{
    review_index_t x = {0};
    if (review__index(r, &x) != 0) {
        review__index_free(&x);
        r->nomem = 1;
        return OKR_EXIT_ERROR;
    }
    review_since_t streams[2] = {{.op = OKR__REQUEST__OP_CHECKIN_LIST},
                                 {.op = OKR__REQUEST__OP_COMMENT_LIST}};
    okr_pipe_pace_t pace = {0};
    okr_client_t *c = r->cli->client;
    int rc = 0;
    while (rc == 0 && !(streams[0].done && streams[1].done)) {
        /* both streams' next pages leave together: a round trip for both */
        for (int i = 0; rc == 0 && i < 2; i++)
            if (!streams[i].done && review__send_since(r, &streams[i]) != 0)
                rc = okr_cli_fail_err(r->cli, OKR_E_CLOSED, "%s", okr_client_error(c));
        for (int i = 0; i < 2; i++) {
            if (!streams[i].id)
                continue;
            Okr__Response *resp;
            int wrc = okr_client_wait(c, streams[i].id, &resp);
            streams[i].id = 0;
            if (rc == 0 && wrc)
                rc = okr_cli_fail_err(r->cli, wrc, "%s", okr_client_error(c));
            else if (wrc == 0 && rc == 0)
                rc = review__answer_since(r, &x, &streams[i], &pace, resp);
            else if (wrc == 0)
                okr__response__free_unpacked(resp, NULL);
        }
    }
    review__index_free(&x);
    return rc;
}

static int review__gather(review_t *r)
{
    okr_cli_t *cli = r->cli;
    if (review__plan(r) != 0)
        return okr_kit_nomem(cli);
    int rc;
    if (okr_client_server_speaks(cli->client, OKR_PROTOCOL_SINCE_LISTS)) {
        rc = review__gather_since(r);
    } else {
        rc = okr_pipeline(cli, r->nkrs, review__build_checkins, review__page_checkins, r);
        if (rc == 0)
            rc = okr_pipeline(cli, r->ntargets, review__build_comments, review__page_comments, r);
    }
    if (rc) {
        r->nmoves = r->nkrs; /* review__free frees the notes gathered so far */
        return r->nomem ? okr_kit_nomem(cli) : rc;
    }
    /* keep the key results that really moved (check-ins since, by time) */
    size_t kept = 0;
    for (size_t i = 0; i < r->nkrs; i++) {
        if (r->moves[i].count)
            r->moves[kept++] = r->moves[i];
        else
            free(r->moves[i].last_note);
    }
    r->nmoves = kept;
    if (r->nmoves > 1)
        qsort(r->moves, r->nmoves, sizeof *r->moves, review__cmp_move);
    while (r->nchanged < r->nmoves && review__changed(&r->moves[r->nchanged]))
        r->nchanged++;
    if (r->nstale > 1)
        qsort(r->stale, r->nstale, sizeof *r->stale, review__cmp_stale);
    if (r->ncomments > 1) /* comments is NULL when there are none */
        qsort(r->comments, r->ncomments, sizeof *r->comments, review__cmp_comment);
    /* names for the authors, while connected, all at once */
    okr_ref_wanted_t w = {0};
    for (size_t i = 0; i < r->nmoves; i++)
        okr_ref_want_user(&w, r->moves[i].last_author);
    for (size_t i = 0; i < r->ncomments; i++) {
        okr_ref_want_user(&w, r->comments[i].c->author_id);
        okr_ref_want_user(&w, r->comments[i].c->to_user_id);
    }
    return okr_ref_fetch_wanted(cli, &w);
}

static void review__free(review_t *r)
{
    for (size_t i = 0; i < r->nmoves; i++)
        free(r->moves[i].last_note);
    for (size_t i = 0; i < r->ncomments; i++)
        okr__comment__free_unpacked(r->comments[i].c, NULL);
    free(r->moves);
    free(r->krs);
    free(r->stale);
    free(r->targets);
    free(r->comments);
}

/* What is at risk: objectives first, off track before at risk. */
typedef struct review_risk {
    const okr_view_obj_t *o;
    const okr_view_kr_t *k;
    Okr__ProgressStatus status;
} review_risk_t;

static int review__cmp_risk(const void *a, const void *b)
{
    const review_risk_t *x = a, *y = b;
    if (!x->k != !y->k)
        return x->k ? 1 : -1;
    if (x->status != y->status)
        return x->status > y->status ? -1 : 1;
    double px = x->k ? x->k->kr->progress : x->o->o->progress;
    double py = y->k ? y->k->kr->progress : y->o->o->progress;
    if (px != py) /* the furthest behind first */
        return px < py ? -1 : 1;
    uint64_t ix = x->k ? x->k->kr->id : x->o->o->id, iy = y->k ? y->k->kr->id : y->o->o->id;
    return ix < iy ? -1 : ix > iy;
}

static review_risk_t *review__risks(const review_t *r, size_t *n)
{
    const okr_view_t *v = r->v;
    size_t cap = v->n + 1;
    for (size_t i = 0; i < v->n; i++)
        cap += v->objs[i].nkrs;
    review_risk_t *out = calloc(cap, sizeof *out);
    *n = 0;
    if (!out)
        return NULL;
    for (size_t k = 0; k < v->n; k++) {
        const okr_view_obj_t *o = &v->objs[v->order[k]];
        if (!review__in_scope(r, o) || !review__active(r, o))
            continue;
        if (o->o->status >= OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK)
            out[(*n)++] = (review_risk_t){o, NULL, o->o->status};
        for (size_t j = 0; j < o->nkrs; j++)
            if (o->krs[j].status >= OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK)
                out[(*n)++] = (review_risk_t){o, &o->krs[j], o->krs[j].status};
    }
    qsort(out, *n, sizeof *out, review__cmp_risk);
    return out;
}

/* "confidence 3/10", "23 points behind the pace", or both. */
static const char *review__why(const review_t *r, const review_risk_t *x, char *buf, size_t len)
{
    double p = x->k ? x->k->kr->progress : x->o->o->progress;
    int behind = (int)lround((r->v->expected - p) * 100.0);
    buf[0] = '\0';
    if (behind > 0)
        snprintf(buf, len, "%d%% vs %d%% expected", okr_render_pct(p),
                 okr_render_pct(r->v->expected));
    else
        snprintf(buf, len, "%d%%", okr_render_pct(p));
    if (x->k && x->k->kr->has_confidence) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, ", confidence %u/10", x->k->kr->confidence);
    }
    return buf;
}

/* ---------------------------------------------------------------- text */

/* How many of a section's n rows are shown (--limit, --all). */
static size_t review__shown(const review_t *r, size_t n)
{
    return n > r->opts.limit ? r->opts.limit : n;
}

/* Under a section cut short: how many rows it left out (`what`: "more", or
 * "earlier" for the comments, which keep the newest), and how to see them. */
static void review__more(const review_t *r, int md, size_t n, size_t shown, const char *what)
{
    if (shown >= n)
        return;
    if (md)
        printf("\n*\u2026 and %zu %s: okr review --all%s*\n", n - shown, what,
               r->team_name ? "" : ", or --team TEAM for one team's");
    else
        printf("  \u2026 and %zu %s: okr review --all%s\n", n - shown, what,
               r->team_name ? "" : ", or --team TEAM for one team's");
}

static void review__heading(int md, const char *title, size_t n)
{
    if (md)
        printf("\n## %s (%zu)\n\n", title, n);
    else
        printf("\n%s (%zu)\n", title, n);
}

static void review__target_ref(const review_target_t *t, char *buf, size_t len)
{
    if (t->k)
        okr_ref_format(OKR_REF_KEY_RESULT, t->k->kr->id, buf, len);
    else
        okr_ref_format(OKR_REF_OBJECTIVE, t->o->o->id, buf, len);
}

/* Colours the status column (col) of the risk table by row. */
typedef struct review_colors {
    const char **sgr;
    size_t col;
} review_colors_t;

static const char *review__color(void *arg, size_t row, size_t col)
{
    const review_colors_t *c = arg;
    return row && col == c->col ? c->sgr[row] : NULL;
}

/* Prints t indented by two spaces (through a memory stream, so the table
 * printer's colours and widths stay its own). */
static void review__table(okr_cli_table_t *t, const char **sgr, size_t col)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    review_colors_t colors = {sgr, col};
    if (mem) {
        okr_render_table_print(t, mem, sgr ? review__color : NULL, &colors);
        fclose(mem);
        for (char *line = text, *nl; line && *line; line = nl + 1) {
            nl = strchr(line, '\n');
            if (!nl)
                break;
            printf("  %.*s\n", (int)(nl - line), line);
        }
    }
    free(text);
    okr_cli_table_free(t);
}

static int review__text_moves(review_t *r)
{
    static const char *const header[] = {"ID",  "KEY RESULT", "MOVED",   "CHANGE",
                                         "NOW", "CHECK-INS",  "LAST BY", "NOTE"};
    okr_cli_table_t t;
    if (okr_cli_table_init(&t, 8, header) != 0)
        return -1;
    size_t shown = review__shown(r, r->nchanged);
    for (size_t i = 0; i < shown; i++) {
        const review_move_t *m = &r->moves[i];
        char ref[32], title[512], span[300], change[32], now[16], count[16], note[512];
        okr_render_truncate(m->k->kr->title, REVIEW_TITLE_W, title, sizeof title);
        snprintf(change, sizeof change, "%+d pts", review__points(m));
        snprintf(now, sizeof now, "%d%%", okr_render_pct(m->k->kr->progress));
        snprintf(count, sizeof count, "%zu", m->count);
        okr_render_truncate(m->last_note ? m->last_note : "", REVIEW_BODY_W / 2, note, sizeof note);
        const char *row[] = {okr_ref_format(OKR_REF_KEY_RESULT, m->k->kr->id, ref, sizeof ref),
                             title,
                             review__span(m, span, sizeof span),
                             change,
                             now,
                             count,
                             okr_ref_username(r->cli, m->last_author),
                             note};
        if (okr_cli_table_add(&t, row) != 0) {
            okr_cli_table_free(&t);
            return -1;
        }
    }
    review__table(&t, NULL, 0);
    review__more(r, 0, r->nchanged, shown, "more");
    return 0;
}

/* "Checked in without a change (3): K108, K239, K98", wrapped; in Markdown
 * one paragraph. */
static void review__unchanged(const review_t *r, int md)
{
    size_t n = r->nmoves - r->nchanged;
    if (!n)
        return;
    int col = printf(md ? "\n*Checked in without a change (%zu):*"
                        : "\n  Checked in without a change (%zu):",
                     n);
    size_t end = r->nchanged + review__shown(r, n);
    for (size_t i = r->nchanged; i < end; i++) {
        char ref[32];
        okr_ref_format(OKR_REF_KEY_RESULT, r->moves[i].k->kr->id, ref, sizeof ref);
        int len = (int)strlen(ref) + 2;
        if (!md && col + len > REVIEW_LINE_W)
            col = printf("\n   ");
        col += printf(" %s%s", ref, i + 1 < end ? "," : "");
    }
    if (end < r->nmoves)
        printf(" \u2026 and %zu more", r->nmoves - end);
    printf("\n");
}

static int review__text_risks(review_t *r, const review_risk_t *risks, size_t n)
{
    static const char *const header[] = {"ID", "TITLE", "STATUS", "WHY", "OWNER"};
    okr_cli_table_t t;
    size_t shown = review__shown(r, n);
    const char **sgr = calloc(shown + 1, sizeof *sgr);
    if (!sgr || okr_cli_table_init(&t, 5, header) != 0) {
        free(sgr);
        return -1;
    }
    for (size_t i = 0; i < shown; i++) {
        const review_risk_t *x = &risks[i];
        char ref[32], title[512], why[128];
        review__target_ref(&(review_target_t){x->o, x->k}, ref, sizeof ref);
        okr_render_truncate(x->k ? x->k->kr->title : x->o->o->title, REVIEW_TITLE_W, title,
                            sizeof title);
        const char *row[] = {ref, title, okr_status_name(x->status),
                             review__why(r, x, why, sizeof why), x->k ? x->k->owner : x->o->owner};
        sgr[i + 1] = okr_render_status_sgr(x->status);
        if (okr_cli_table_add(&t, row) != 0) {
            okr_cli_table_free(&t);
            free(sgr);
            return -1;
        }
    }
    review__table(&t, sgr, 2);
    free(sgr);
    review__more(r, 0, n, shown, "more");
    return 0;
}

static int review__text_stale(review_t *r)
{
    static const char *const header[] = {"ID", "KEY RESULT", "NO CHECK-IN FOR", "ASK"};
    okr_cli_table_t t;
    if (okr_cli_table_init(&t, 4, header) != 0)
        return -1;
    size_t shown = review__shown(r, r->nstale);
    for (size_t i = 0; i < shown; i++) {
        const review_stale_t *s = &r->stale[i];
        char ref[32], title[512], days[64];
        okr_render_truncate(s->k->kr->title, REVIEW_TITLE_W, title, sizeof title);
        snprintf(days, sizeof days, "%lld days%s", (long long)s->days,
                 s->never ? " (never checked in)" : "");
        const char *row[] = {okr_ref_format(OKR_REF_KEY_RESULT, s->k->kr->id, ref, sizeof ref),
                             title, days, s->k->owner};
        if (okr_cli_table_add(&t, row) != 0) {
            okr_cli_table_free(&t);
            return -1;
        }
    }
    review__table(&t, NULL, 0);
    review__more(r, 0, r->nstale, shown, "more");
    return 0;
}

static int review__text(review_t *r)
{
    okr_cli_t *cli = r->cli;
    const okr_view_t *v = r->v;
    char a[64], b[300];
    int bad = 0;
    printf("OKR review: ");
    okr_kit_puts(v->cycle->name);
    if (r->team_name) {
        printf(", team ");
        okr_kit_puts(r->team_name);
    }
    printf(" \u2014 since %s (", okr_render_date(r->opts.since_ms, a, sizeof a));
    okr_kit_puts(r->opts.since_text);
    printf("), %d%% of the cycle gone\n", okr_render_pct(v->expected));

    review__heading(0, "1. Moved since the last meeting", r->nchanged);
    if (!r->nmoves)
        printf("  No check-ins since then.\n");
    else if (!r->nchanged)
        printf("  No key result changed.\n");
    else
        bad |= review__text_moves(r);
    review__unchanged(r, 0);

    size_t nrisk;
    review_risk_t *risks = review__risks(r, &nrisk);
    bad |= !risks;
    review__heading(0, "2. At risk or off track", nrisk);
    if (!nrisk)
        printf("  Nothing: every objective and key result is on track.\n");
    else if (risks)
        bad |= review__text_risks(r, risks, nrisk);
    free(risks);

    snprintf(b, sizeof b, "3. Stale: no check-in for %u days or more", r->opts.stale_days);
    review__heading(0, b, r->nstale);
    if (!r->nstale)
        printf("  Nothing: every key result had a check-in in the last %u days.\n",
               r->opts.stale_days);
    else
        bad |= review__text_stale(r);

    review__heading(0, "4. Comments and kudos", r->ncomments);
    if (!r->ncomments)
        printf("  None since then.\n");
    size_t shown = review__shown(r, r->ncomments);
    review__more(r, 0, r->ncomments, shown, "earlier");
    for (size_t i = r->ncomments - shown; i < r->ncomments; i++)
        okr_kit_comment_line(cli, r->comments[i].c, 0, REVIEW_BODY_W);
    return bad ? -1 : 0;
}

/* ---------------------------------------------------------------- Markdown */

static void review__md(review_t *r)
{
    okr_cli_t *cli = r->cli;
    const okr_view_t *v = r->v;
    char a[64], b[300], ref[32];
    printf("# OKR review \u2014 ");
    okr_export_md_text(stdout, v->cycle->name);
    if (r->team_name) {
        printf(", ");
        okr_export_md_text(stdout, r->team_name);
    }
    printf("\n\n*Since %s (", okr_render_date(r->opts.since_ms, a, sizeof a));
    okr_export_md_text(stdout, r->opts.since_text);
    printf(") \u00b7 %d%% of the cycle gone*\n", okr_render_pct(v->expected));

    review__heading(1, "1. Moved since the last meeting", r->nchanged);
    if (!r->nmoves) {
        printf("No check-ins since then.\n");
    } else if (!r->nchanged) {
        printf("No key result changed.\n");
    } else {
        printf("| Key result | Objective | Moved | Change | Progress | Check-ins | Last by | "
               "Note |\n|---|---|---|--:|--:|--:|---|---|\n");
    }
    size_t shown = review__shown(r, r->nchanged);
    for (size_t i = 0; i < shown; i++) {
        const review_move_t *m = &r->moves[i];
        printf("| %s ", okr_ref_format(OKR_REF_KEY_RESULT, m->k->kr->id, ref, sizeof ref));
        okr_export_md_text(stdout, m->k->kr->title);
        printf(" | %s | ", okr_ref_format(OKR_REF_OBJECTIVE, m->o->o->id, ref, sizeof ref));
        okr_export_md_text(stdout, review__span(m, b, sizeof b));
        printf(" | %+d pts | %d%% | %zu | ", review__points(m), okr_render_pct(m->k->kr->progress),
               m->count);
        okr_export_md_text(stdout, okr_ref_username(cli, m->last_author));
        printf(" | ");
        okr_export_md_text(stdout, m->last_note);
        printf(" |\n");
    }
    review__more(r, 1, r->nchanged, shown, "more");
    review__unchanged(r, 1);

    size_t nrisk;
    review_risk_t *risks = review__risks(r, &nrisk);
    review__heading(1, "2. At risk or off track", nrisk);
    if (!nrisk)
        printf("Nothing: every objective and key result is on track.\n");
    else
        printf("| | Title | Status | Why | Owner |\n|---|---|---|---|---|\n");
    shown = review__shown(r, nrisk);
    for (size_t i = 0; risks && i < shown; i++) {
        const review_risk_t *x = &risks[i];
        review__target_ref(&(review_target_t){x->o, x->k}, ref, sizeof ref);
        printf("| %s | ", ref);
        okr_export_md_text(stdout, x->k ? x->k->kr->title : x->o->o->title);
        printf(" | %s %s | %s | ",
               x->status == OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK ? "\U0001F534"
                                                                            : "\U0001F7E1",
               okr_status_name(x->status), review__why(r, x, b, sizeof b));
        okr_export_md_text(stdout, x->k ? x->k->owner : x->o->owner);
        printf(" |\n");
    }
    review__more(r, 1, nrisk, shown, "more");
    free(risks);

    snprintf(b, sizeof b, "3. Stale: no check-in for %u days or more", r->opts.stale_days);
    review__heading(1, b, r->nstale);
    if (!r->nstale)
        printf("Nothing: every key result had a check-in in the last %u days.\n",
               r->opts.stale_days);
    shown = review__shown(r, r->nstale);
    for (size_t i = 0; i < shown; i++) {
        const review_stale_t *s = &r->stale[i];
        printf("- %s ", okr_ref_format(OKR_REF_KEY_RESULT, s->k->kr->id, ref, sizeof ref));
        okr_export_md_text(stdout, s->k->kr->title);
        printf(" \u2014 %s for %lld days; ask ", s->never ? "no check-in since created" : "none",
               (long long)s->days);
        okr_export_md_text(stdout, s->k->owner);
        printf("\n");
    }
    review__more(r, 1, r->nstale, shown, "more");

    review__heading(1, "4. Comments and kudos", r->ncomments);
    if (!r->ncomments)
        printf("None since then.\n");
    shown = review__shown(r, r->ncomments);
    review__more(r, 1, r->ncomments, shown, "earlier");
    for (size_t i = r->ncomments - shown; i < r->ncomments; i++) {
        const review_comment_t *cm = &r->comments[i];
        int kudos = cm->c->kind == OKR__COMMENT_KIND__COMMENT_KIND_KUDOS;
        review__target_ref(&cm->on, ref, sizeof ref);
        printf("- %s %s **", okr_render_date(cm->c->time, a, sizeof a),
               kudos ? "\u2b50" : "\U0001F4AC");
        okr_export_md_text(stdout, okr_ref_username(cli, cm->c->author_id));
        printf("**");
        if (kudos && cm->c->to_user_id) {
            printf(" \u2192 ");
            okr_export_md_text(stdout, okr_ref_username(cli, cm->c->to_user_id));
        }
        printf(" on %s: ", ref);
        okr_export_md_text(stdout, cm->c->body);
        printf("\n");
    }
}

/* ---------------------------------------------------------------- JSON */

static json_t *review__json(review_t *r)
{
    okr_cli_t *cli = r->cli;
    char ref[32];
    json_t *moved = json_array(), *unchanged = json_array(), *risk = json_array(),
           *stale = json_array(), *comments = json_array();
    int bad = !moved || !unchanged || !risk || !stale || !comments;
    for (size_t i = 0; !bad && i < r->nmoves; i++) {
        const review_move_t *m = &r->moves[i];
        json_t *j = json_pack(
            "{s:I, s:s, s:s, s:I, s:f, s:f, s:f, s:f, s:I, s:s, s:I, s:s}", "key_result_id",
            (json_int_t)m->k->kr->id, "ref",
            okr_ref_format(OKR_REF_KEY_RESULT, m->k->kr->id, ref, sizeof ref), "title",
            m->k->kr->title ? m->k->kr->title : "", "objective_id", (json_int_t)m->o->o->id, "from",
            isfinite(m->from) ? m->from : 0.0, "to", isfinite(m->to) ? m->to : 0.0, "progress_from",
            review__progress_at(m->k->kr, m->from), "progress",
            isfinite(m->k->kr->progress) ? m->k->kr->progress : 0.0, "checkins",
            (json_int_t)m->count, "last_by", okr_ref_username(cli, m->last_author), "last_at",
            (json_int_t)m->last_time, "last_note", m->last_note ? m->last_note : "");
        bad = json_array_append_new(i < r->nchanged ? moved : unchanged, j) != 0;
    }
    size_t nrisk;
    review_risk_t *risks = review__risks(r, &nrisk);
    bad |= !risks;
    for (size_t i = 0; !bad && i < nrisk; i++) {
        const review_risk_t *x = &risks[i];
        review__target_ref(&(review_target_t){x->o, x->k}, ref, sizeof ref);
        const char *title = x->k ? x->k->kr->title : x->o->o->title;
        double p = x->k ? x->k->kr->progress : x->o->o->progress;
        json_t *j = json_pack(
            "{s:s, s:s, s:s, s:s, s:f, s:s}", "kind", x->k ? "key_result" : "objective", "ref", ref,
            "title", title ? title : "", "status", okr_view_status_key(x->status), "progress",
            isfinite(p) ? p : 0.0, "owner", x->k ? x->k->owner : x->o->owner);
        bad = json_array_append_new(risk, j) != 0;
    }
    free(risks);
    for (size_t i = 0; !bad && i < r->nstale; i++) {
        const review_stale_t *s = &r->stale[i];
        json_t *j =
            json_pack("{s:I, s:s, s:s, s:I, s:b, s:s}", "key_result_id", (json_int_t)s->k->kr->id,
                      "ref", okr_ref_format(OKR_REF_KEY_RESULT, s->k->kr->id, ref, sizeof ref),
                      "title", s->k->kr->title ? s->k->kr->title : "", "days", (json_int_t)s->days,
                      "never", s->never, "owner", s->k->owner);
        bad = json_array_append_new(stale, j) != 0;
    }
    for (size_t i = 0; !bad && i < r->ncomments; i++) {
        json_t *j = okr_kit_comment_json(cli, r->comments[i].c);
        bad = !j || json_array_append_new(comments, j) != 0;
    }
    json_t *cycle = bad ? NULL : okr_view_cycle_json(r->v);
    json_t *doc = cycle
                      ? json_pack("{s:o, s:o, s:I, s:I, s:O, s:O, s:O, s:O, s:O}", "cycle", cycle,
                                  "team", r->team_name ? json_string(r->team_name) : json_null(),
                                  "since", (json_int_t)r->opts.since_ms, "stale_days",
                                  (json_int_t)r->opts.stale_days, "moved", moved, "unchanged",
                                  unchanged, "at_risk", risk, "stale", stale, "comments", comments)
                      : NULL;
    json_decref(moved);
    json_decref(unchanged);
    json_decref(risk);
    json_decref(stale);
    json_decref(comments);
    return doc;
}

/* ---------------------------------------------------------------- command */

int okr_cmd_review(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"cycle", required_argument, NULL, OPT_CYCLE},
        {"team", required_argument, NULL, OPT_TEAM},
        {"since", required_argument, NULL, OPT_SINCE},
        {"stale-days", required_argument, NULL, OPT_STALE_DAYS},
        {"md", no_argument, NULL, OPT_MD},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"all", no_argument, NULL, OPT_ALL},
        OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "review";
    cli->usage = review_usage;
    optind = 0;
    review_t r = {.cli = cli};
    r.opts.stale_days = REVIEW_STALE_DAYS;
    r.opts.limit = REVIEW_LIMIT;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, review__opt, &r.opts);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 0, 0, "");
    if (rc < 0 && !r.opts.since_text) {
        r.opts.since_text = "7d";
        rc = okr_kit_since(cli, "7d", &r.opts.since_ms);
    }
    if (rc >= 0)
        return rc;
    if ((rc = okr_cli_connect_lazy(cli)) != 0)
        return rc;
    uint64_t cycle_id, team_id = 0;
    if ((rc = okr_view_cycle_arg(cli, r.opts.cycle, &cycle_id)) != 0)
        return rc;
    if (r.opts.team) {
        if ((rc = okr_ref_team(cli, r.opts.team, &team_id)) != 0)
            return rc;
        r.team_name = okr_ref_team_name(cli, team_id);
    }
    okr_view_t v;
    if ((rc = okr_view_load(cli, cycle_id, 0, &v)) != 0)
        return rc;
    r.v = &v;
    char *mark = NULL;
    if (team_id) {
        mark = malloc(v.n ? v.n : 1);
        if (!mark)
            rc = okr_kit_nomem(cli);
        else
            okr_view_select_team(&v, team_id, mark);
        r.mark = mark;
    }
    if (rc == 0)
        rc = review__gather(&r);
    if (rc == 0 && cli->json) {
        json_t *j = review__json(&r);
        if (!j)
            rc = okr_kit_nomem(cli);
        else
            okr_cli_print_json(j);
    } else if (rc == 0 && r.opts.md) {
        review__md(&r);
    } else if (rc == 0 && review__text(&r) != 0) {
        rc = okr_kit_nomem(cli);
    }
    review__free(&r);
    free(mark);
    okr_view_free(&v);
    return rc;
}
