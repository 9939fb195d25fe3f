/* cmd_kit.c — helpers shared by the OKR-domain commands (see cmd_kit.h). */
#include "cmd_kit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "okr_error.h"
#include "suggest.h"
#include "trend.h"

#define KIT_TREND_SPARK_SZ (3 * 12 + 1) /* a TREND cell: the last 12 weeks */
#define KIT_DAY_MS         (24LL * 3600 * 1000)
#define KIT_SINCE_MAX_D    3660 /* --since: ten years back at most */

/* ---------------------------------------------------------------- command line */

int okr_kit_options(okr_cli_t *cli, int argc, char **argv, const char *shortopts,
                    const struct option *longopts, okr_kit_opt_fn on_opt, void *arg)
{
    char opts[64];
    snprintf(opts, sizeof opts, ":h%s", shortopts ? shortopts : "");
    int opt;
    while ((opt = okr_cli_getopt(cli, argc, argv, opts, longopts)) != -1) {
        if (opt == 'h')
            return OKR_EXIT_OK;
        if (opt == '?' || !on_opt)
            return OKR_EXIT_USAGE;
        int rc = on_opt(cli, opt, arg);
        if (rc >= 0)
            return rc;
    }
    return -1;
}

int okr_kit_since(okr_cli_t *cli, const char *text, int64_t *ms)
{
    char *end;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (end != text && text[0] >= '0' && text[0] <= '9' && !errno && n >= 0 && end[0] && !end[1] &&
        strchr("dwh", end[0])) {
        int64_t unit = end[0] == 'h' ? 3600000LL : end[0] == 'w' ? 7 * KIT_DAY_MS : KIT_DAY_MS;
        /* the first test keeps n * unit from overflowing (hours are the least unit) */
        if (n > KIT_SINCE_MAX_D * 24 || (int64_t)n * unit > KIT_SINCE_MAX_D * KIT_DAY_MS)
            return okr_cli_usage_error(cli, "--since %s is too long ago", text);
        *ms = okr_wall_ms() - (int64_t)n * unit;
        return -1;
    }
    if (okr_render_parse_date(text, 0, ms) == 0)
        return -1;
    return okr_cli_usage_error(cli,
                               "--since takes 7d, 2w, 36h, a date like 2026-03-02, today or "
                               "yesterday, not '%s'",
                               text);
}

int okr_kit_positional(okr_cli_t *cli, int argc, char **argv, int min, int max, const char *what)
{
    int have = argc - optind;
    if (have < min)
        return okr_cli_usage_error(cli, "missing %s", what);
    if (have > max)
        return okr_cli_usage_error(cli, "unexpected argument '%s'%s", argv[optind + max],
                                   argv[optind + max][0] != '-' && max > 0
                                       ? " (quote a name or title that has spaces)"
                                       : "");
    return -1;
}

int okr_kit_begin(okr_cli_t *cli, const char *command, const char *usage, int argc, char **argv,
                  const char *shortopts, const struct option *longopts, okr_kit_opt_fn on_opt,
                  void *arg, int min, int max, const char *what)
{
    cli->command = command;
    cli->usage = usage;
    int rc = okr_kit_options(cli, argc, argv, shortopts, longopts, on_opt, arg);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, min, max, what);
    if (rc >= 0)
        return rc;
    /* The command's first request goes right behind the session's token
     * (okr_cli_connect_lazy). 0 or an exit code; 0 here means go on. */
    rc = okr_cli_connect_lazy(cli);
    return rc ? rc : -1;
}

int okr_kit_begin_ref(okr_cli_t *cli, const char *command, const char *usage, int argc, char **argv,
                      okr_ref_kind_t kind, const char *what, uint64_t *id)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = command;
    cli->usage = usage;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, NULL, NULL);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 1, 1, what);
    if (rc < 0)
        rc = okr_kit_ref(cli, argv[optind], kind, id);
    if (rc >= 0)
        return rc;
    rc = okr_cli_connect_lazy(cli);
    return rc ? rc : -1;
}

int okr_kit_dispatch(okr_cli_t *cli, int argc, char **argv, const char *group, const char *usage,
                     const okr_kit_sub_t *subs, size_t nsubs)
{
    cli->command = group;
    cli->usage = usage;
    for (size_t i = 0; argc >= 2 && i < nsubs; i++) {
        if (strcmp(argv[1], subs[i].name) == 0) {
            if (cli->probe)
                cli->probe->depth++;
            optind = 0;
            return subs[i].run(cli, argc - 1, argv + 1);
        }
    }
    if (cli->probe) { /* okr __complete: the sub-commands, and nothing run */
        cli->probe->subs = subs;
        cli->probe->nsubs = nsubs;
        return OKR_EXIT_OK;
    }
    char names[256] = "";
    for (size_t i = 0; i < nsubs; i++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", subs[i].name);
    }
    if (argc < 2)
        return okr_cli_usage_error(cli, "which one: %s?", names);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(usage, stdout);
        return OKR_EXIT_OK;
    }
    const char *sub_names[OKR_KIT_MAX_SUBS];
    for (size_t i = 0; i < nsubs && i < OKR_KIT_MAX_SUBS; i++)
        sub_names[i] = subs[i].name;
    const char *meant =
        okr_suggest(argv[1], sub_names, nsubs < OKR_KIT_MAX_SUBS ? nsubs : OKR_KIT_MAX_SUBS);
    if (meant)
        return okr_cli_usage_error(cli, "no command '%s'; did you mean 'okr %s %s'?", argv[1],
                                   group, meant);
    return okr_cli_usage_error(cli, "no command '%s' (%s)", argv[1], names);
}

int okr_kit_date_opt(okr_cli_t *cli, const char *opt, const char *value, int end_of_day,
                     int64_t *ms)
{
    if (okr_render_parse_date(value, end_of_day, ms) != 0)
        return okr_cli_usage_error(cli, "%s takes a date like 2026-03-31, today or +7d, not '%s'",
                                   opt, value);
    return -1;
}

int okr_kit_ref(okr_cli_t *cli, const char *text, okr_ref_kind_t kind, uint64_t *id)
{
    if (okr_ref_parse(text, kind, id) == 0)
        return -1;
    const char *what = kind == OKR_REF_OBJECTIVE    ? "an objective"
                       : kind == OKR_REF_KEY_RESULT ? "a key result"
                       : kind == OKR_REF_TASK       ? "a task"
                                                    : "a check-in";
    return okr_cli_usage_error(cli, "'%s' is not %s: use its id, like %c12", text, what,
                               (char)kind);
}

void okr_kit_puts(const char *s)
{
    char *safe = okr_cli_sanitize(s, 0);
    fputs(safe ? safe : "?", stdout);
    free(safe);
}

static void kit__comment_on(const Okr__Comment *c, char *buf, size_t len)
{
    if (c->key_result_id)
        okr_ref_format(OKR_REF_KEY_RESULT, c->key_result_id, buf, len);
    else
        okr_ref_format(OKR_REF_OBJECTIVE, c->objective_id, buf, len);
}

static void kit__user(okr_cli_t *cli, uint64_t id, uint64_t me)
{
    if (me && id == me)
        fputs("you", stdout);
    else
        okr_kit_puts(okr_ref_username(cli, id));
}

void okr_kit_comment_line(okr_cli_t *cli, const Okr__Comment *c, uint64_t me, size_t body_width)
{
    char date[64], ref[32], body[1024];
    int kudos = c->kind == OKR__COMMENT_KIND__COMMENT_KIND_KUDOS;
    kit__comment_on(c, ref, sizeof ref);
    char *safe = okr_cli_sanitize(c->body, 0);
    okr_render_truncate(safe ? safe : "?", body_width, body, sizeof body);
    free(safe);
    printf("  %s  %s  ", okr_render_date(c->time, date, sizeof date),
           kudos ? "\u2605 kudos" : "comment"); /* 7 columns each */
    kit__user(cli, c->author_id, me);
    if (kudos && c->to_user_id) {
        printf(" \u2192 ");
        kit__user(cli, c->to_user_id, me);
    }
    printf(" on %s: \u201c%s\u201d\n", ref, body);
}

json_t *okr_kit_comment_json(okr_cli_t *cli, const Okr__Comment *c)
{
    char ref[32];
    kit__comment_on(c, ref, sizeof ref);
    json_t *j = okr_json_comment(c);
    if (j &&
        (json_object_set_new(j, "on", json_string(ref)) != 0 ||
         json_object_set_new(j, "author", json_string(okr_ref_username(cli, c->author_id))) != 0)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

void okr_kit_field(const char *label, const char *value)
{
    char *safe = okr_cli_sanitize(value, 1);
    printf("  %-13s", label);
    const char *p = safe ? safe : "?";
    /* Continuation lines line up under the first one. */
    for (const char *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
        printf("%.*s\n  %-13s", (int)(nl - p), p, "");
    printf("%s\n", p);
    free(safe);
}

/* ---------------------------------------------------------------- errors */

int okr_kit_nomem(okr_cli_t *cli)
{
    return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
}

int okr_kit_no_result(okr_cli_t *cli, const char *what)
{
    return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL", "the server sent no %s", what);
}

int okr_kit_require_protocol(okr_cli_t *cli, uint32_t minor, const char *cannot)
{
    int rc = okr_cli_settle(cli);
    if (rc == 0 && !okr_client_server_speaks(cli->client, minor))
        rc = okr_cli_fail(cli, OKR_EXIT_REFUSED, "UNSUPPORTED", "%s is an older okrd that %s",
                          cli->server, cannot);
    return rc;
}

/* ---------------------------------------------------------------- calls */

int okr_kit_try_take(okr_cli_t *cli, uint64_t sent, Okr__Request *req,
                     Okr__Response__ResultCase expect, Okr__Response **resp, Okr__Status *status,
                     char *msg, size_t msglen)
{
    *resp = NULL;
    Okr__Response *r;
    int rc = sent ? okr_cli_take(cli, sent, req, &r, 0) : okr_cli_request(cli, req, &r, 0);
    if (rc)
        return rc;
    if (r->status != OKR__STATUS__STATUS_OK) {
        *status = r->status;
        snprintf(msg, msglen, "%s",
                 r->message && r->message[0] ? r->message
                                             : okr_strerror(okr_status_to_err(r->status)));
        okr__response__free_unpacked(r, NULL);
        return -1;
    }
    if (expect && r->result_case != expect) {
        okr__response__free_unpacked(r, NULL);
        return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL",
                            "the server answered with an unexpected result; is it an older okrd?");
    }
    *resp = r;
    return 0;
}

int okr_kit_try_call(okr_cli_t *cli, Okr__Request *req, Okr__Response__ResultCase expect,
                     Okr__Response **resp, Okr__Status *status, char *msg, size_t msglen)
{
    return okr_kit_try_take(cli, 0, req, expect, resp, status, msg, msglen);
}

int okr_kit_refused(okr_cli_t *cli, Okr__Status status, const char *msg, const char *hint)
{
    int err = okr_status_to_err(status);
    if (hint)
        return okr_cli_fail_err(cli, err, "%s\n%s", msg, hint);
    return okr_cli_fail_err(cli, err, "%s", msg);
}

int okr_kit_call_change(okr_cli_t *cli, Okr__Request *req, Okr__Response__ResultCase expect,
                        Okr__Response **resp, const char *conflict_hint)
{
    Okr__Status status = OKR__STATUS__STATUS_UNSPECIFIED;
    char msg[1024];
    int rc = okr_kit_try_call(cli, req, expect, resp, &status, msg, sizeof msg);
    if (rc < 0)
        return okr_kit_refused(cli, status, msg,
                               status == OKR__STATUS__STATUS_CONFLICT ? conflict_hint : NULL);
    return rc;
}

int okr_kit_answer(okr_cli_t *cli, uint64_t sent, Okr__Request *req,
                   Okr__Response__ResultCase expect, Okr__Response **resp,
                   const char *not_found_fmt, const char *what)
{
    Okr__Status status = OKR__STATUS__STATUS_UNSPECIFIED;
    char msg[1024];
    int rc = okr_kit_try_take(cli, sent, req, expect, resp, &status, msg, sizeof msg);
    if (rc >= 0)
        return rc;
    if (status == OKR__STATUS__STATUS_NOT_FOUND) {
        char text[512];
        snprintf(text, sizeof text, not_found_fmt, what);
        return okr_cli_fail(cli, OKR_EXIT_REFUSED, "NOT_FOUND", "%s", text);
    }
    return okr_kit_refused(cli, status, msg, NULL);
}

int okr_kit_get_objective_id(okr_cli_t *cli, uint64_t id, Okr__Response **resp)
{
    Okr__ObjectiveGetRequest g = OKR__OBJECTIVE_GET_REQUEST__INIT;
    g.id = id;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_OBJECTIVE_GET;
    req.objective_get = &g;
    char ref[32];
    okr_ref_format(OKR_REF_OBJECTIVE, id, ref, sizeof ref);
    int rc = okr_kit_answer(cli, 0, &req, OKR__RESPONSE__RESULT_OBJECTIVE_DETAIL, resp,
                            OKR_KIT_NO_OBJECTIVE, ref);
    if (rc == 0 && !(*resp)->objective_detail->objective) {
        okr__response__free_unpacked(*resp, NULL);
        *resp = NULL;
        return okr_kit_no_result(cli, "objective");
    }
    return rc;
}

int okr_kit_get_mine(okr_cli_t *cli, uint64_t cycle_id, int stale_only, int64_t feedback_since,
                     Okr__Response **resp)
{
    Okr__MineRequest mr = OKR__MINE_REQUEST__INIT;
    mr.cycle_id = cycle_id;
    mr.stale_only = stale_only;
    /* Sent ahead of Hello's answer, it goes: an older server ignores it. */
    if (!okr_client_server_hello(cli->client) ||
        okr_client_server_speaks(cli->client, OKR_PROTOCOL_FEEDBACK))
        mr.feedback_since = feedback_since;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_MINE;
    req.mine = &mr;
    int rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_MINE, resp);
    if (rc == 0 && !(*resp)->mine) {
        okr__response__free_unpacked(*resp, NULL);
        *resp = NULL;
        return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL", "the server sent nothing");
    }
    return rc;
}

int okr_kit_get_objective(okr_cli_t *cli, const char *ref, Okr__Response **resp)
{
    uint64_t id;
    int rc = okr_kit_ref(cli, ref, OKR_REF_OBJECTIVE, &id);
    return rc >= 0 ? rc : okr_kit_get_objective_id(cli, id, resp);
}

int okr_kit_get_key_result(okr_cli_t *cli, const char *ref, Okr__Response **resp)
{
    uint64_t id;
    int rc = okr_kit_ref(cli, ref, OKR_REF_KEY_RESULT, &id);
    if (rc >= 0)
        return rc;
    Okr__KeyResultGetRequest g = OKR__KEY_RESULT_GET_REQUEST__INIT;
    g.id = id;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_KEY_RESULT_GET;
    req.key_result_get = &g;
    char text[32];
    okr_ref_format(OKR_REF_KEY_RESULT, id, text, sizeof text);
    return okr_kit_answer(cli, 0, &req, OKR__RESPONSE__RESULT_KEY_RESULT, resp,
                          OKR_KIT_NO_KEY_RESULT, text);
}

int okr_kit_get_team(okr_cli_t *cli, const char *name, Okr__Response **resp)
{
    uint64_t id = 0;
    Okr__TeamGetRequest g = OKR__TEAM_GET_REQUEST__INIT;
    if (name[0] == '#') {
        int rc = okr_ref_team(cli, name, &id); /* parses "#12" without asking */
        if (rc)
            return rc;
        g.id = id;
    } else {
        g.name = (char *)name;
    }
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TEAM_GET;
    req.team_get = &g;
    int rc = okr_kit_answer(cli, 0, &req, OKR__RESPONSE__RESULT_TEAM, resp,
                            "no team named '%s' — see: okr team list", name);
    if (rc == 0)
        okr_ref_remember_team((*resp)->team->id, (*resp)->team->name);
    return rc;
}

int okr_kit_get_cycle(okr_cli_t *cli, const char *name, Okr__Response **resp)
{
    uint64_t id = 0;
    Okr__CycleGetRequest g = OKR__CYCLE_GET_REQUEST__INIT;
    if (name[0] == '#') {
        int rc = okr_ref_cycle(cli, name, &id);
        if (rc)
            return rc;
        g.id = id;
    } else {
        g.name = (char *)name;
    }
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CYCLE_GET;
    req.cycle_get = &g;
    return okr_kit_answer(cli, 0, &req, OKR__RESPONSE__RESULT_CYCLE, resp,
                          "no cycle named '%s' — see: okr cycle list --all", name);
}

/* ---------------------------------------------------------------- lists */

void okr_kit_pages_free(okr_kit_pages_t *p)
{
    for (size_t i = 0; i < p->nresp; i++)
        okr__response__free_unpacked(p->resp[i], NULL);
    free(p->resp);
    free(p->items);
    memset(p, 0, sizeof *p);
}

/* Keeps resp and appends its n items. 0 or -1 (resp is freed then). */
static int kit__pages_add(okr_kit_pages_t *p, Okr__Response *resp, void **items, size_t n)
{
    if (p->nresp == p->capresp) {
        size_t cap = p->capresp ? p->capresp * 2 : 8;
        Okr__Response **v = realloc(p->resp, cap * sizeof *v);
        if (!v)
            goto fail;
        p->resp = v;
        p->capresp = cap;
    }
    if (p->n + n > p->cap) {
        size_t cap = p->cap ? p->cap : 64;
        while (cap < p->n + n)
            cap *= 2;
        void **v = realloc(p->items, cap * sizeof *v);
        if (!v)
            goto fail;
        p->items = v;
        p->cap = cap;
    }
    p->resp[p->nresp++] = resp;
    if (n)
        memcpy(p->items + p->n, items, n * sizeof *items);
    p->n += n;
    return 0;
fail:
    okr__response__free_unpacked(resp, NULL);
    return -1;
}

/* The items and the cursor of one page of any list answer. */
static int kit__page_of(const Okr__Response *r, void ***items, size_t *n, uint64_t *next)
{
    switch (r->result_case) {
    case OKR__RESPONSE__RESULT_TEAM_LIST:
        *items = (void **)r->team_list->teams;
        *n = r->team_list->n_teams;
        *next = r->team_list->next_after_id;
        return 0;
    case OKR__RESPONSE__RESULT_CYCLE_LIST:
        *items = (void **)r->cycle_list->cycles;
        *n = r->cycle_list->n_cycles;
        *next = r->cycle_list->next_after_id;
        return 0;
    case OKR__RESPONSE__RESULT_OBJECTIVE_LIST:
        *items = (void **)r->objective_list->objectives;
        *n = r->objective_list->n_objectives;
        *next = r->objective_list->next_after_id;
        return 0;
    case OKR__RESPONSE__RESULT_KEY_RESULT_LIST:
        *items = (void **)r->key_result_list->key_results;
        *n = r->key_result_list->n_key_results;
        *next = r->key_result_list->next_after_id;
        return 0;
    case OKR__RESPONSE__RESULT_CHECKIN_LIST:
        *items = (void **)r->checkin_list->checkins;
        *n = r->checkin_list->n_checkins;
        *next = r->checkin_list->next_after_id;
        return 0;
    default:
        return -1;
    }
}

int okr_kit_fetch_all(okr_cli_t *cli, Okr__Request *req, Okr__Page *page,
                      Okr__Response__ResultCase expect, okr_kit_pages_t *out)
{
    return okr_kit_fetch_all_sent(cli, 0, req, page, expect, out);
}

int okr_kit_fetch_all_sent(okr_cli_t *cli, uint64_t sent, Okr__Request *req, Okr__Page *page,
                           Okr__Response__ResultCase expect, okr_kit_pages_t *out)
{
    memset(out, 0, sizeof *out);
    uint64_t after = 0;
    for (;;) {
        page->after_id = after;
        Okr__Response *resp;
        int rc = sent ? okr_cli_take_call(cli, sent, req, expect, &resp)
                      : okr_cli_call(cli, req, expect, &resp);
        sent = 0; /* the next pages are asked for now */
        if (rc) {
            okr_kit_pages_free(out);
            return rc;
        }
        void **items = NULL;
        size_t n = 0;
        uint64_t next = 0;
        if (kit__page_of(resp, &items, &n, &next) != 0) {
            okr__response__free_unpacked(resp, NULL);
            okr_kit_pages_free(out);
            return okr_kit_no_result(cli, "list");
        }
        if (kit__pages_add(out, resp, items, n) != 0) {
            okr_kit_pages_free(out);
            return okr_kit_nomem(cli);
        }
        if (next == 0)
            return 0;
        if (next <= after) { /* a cursor that does not move would loop */
            okr_kit_pages_free(out);
            return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL",
                                "the server repeated a page of a list");
        }
        after = next;
    }
}

int okr_kit_list_objectives(okr_cli_t *cli, Okr__ObjectiveListRequest *filter, okr_kit_pages_t *out)
{
    Okr__Page page = OKR__PAGE__INIT;
    filter->page = &page;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_OBJECTIVE_LIST;
    req.objective_list = filter;
    int rc = okr_kit_fetch_all(cli, &req, &page, OKR__RESPONSE__RESULT_OBJECTIVE_LIST, out);
    filter->page = NULL;
    return rc;
}

json_t *okr_kit_json_array(const okr_kit_pages_t *p, json_t *(*conv)(const void *item))
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < p->n; i++) {
        if (json_array_append_new(a, conv(p->items[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* ---------------------------------------------------------------- tables */

const char *okr_kit_owner(okr_cli_t *cli, const Okr__Objective *o, char *buf, size_t len)
{
    if (o->owner_team_id)
        snprintf(buf, len, "%s (team)", okr_ref_team_name(cli, o->owner_team_id));
    else
        snprintf(buf, len, "%s", okr_ref_username(cli, o->owner_user_id));
    return buf;
}

/* The owners' names of objs, asked for at once (okr_ref_fetch_wanted). */
static int kit__fetch_owners(okr_cli_t *cli, Okr__Objective *const *objs, size_t n)
{
    okr_ref_wanted_t owners = {0};
    for (size_t i = 0; i < n; i++) {
        if (objs[i]->owner_team_id)
            okr_ref_want_team(&owners, objs[i]->owner_team_id);
        else
            okr_ref_want_user(&owners, objs[i]->owner_user_id);
    }
    return okr_ref_fetch_wanted(cli, &owners);
}

/* Which cells to colour, by row (row 0 is the header). */
typedef struct kit_colors {
    const char **sgr; /* per row */
    size_t col_a, col_b;
} kit_colors_t;

static const char *kit__color(void *arg, size_t row, size_t col)
{
    const kit_colors_t *c = arg;
    if (row == 0 || (col != c->col_a && col != c->col_b))
        return NULL;
    return c->sgr[row];
}

/* Alignment order: each objective followed by its children (those in the
 * list), depth-first; depth[i] for indentation. Objectives whose parent is
 * not in the list are roots. A cycle in the data (which the server should
 * never allow) cannot loop: each objective is placed once. */
static int kit__tree_order(Okr__Objective *const *objs, size_t n, size_t *order, int *depth)
{
    char *placed = calloc(n ? n : 1, 1);
    size_t *stack = malloc((n ? n : 1) * sizeof *stack);
    int *sdepth = malloc((n ? n : 1) * sizeof *sdepth);
    if (!placed || !stack || !sdepth) {
        free(placed);
        free(stack);
        free(sdepth);
        return -1;
    }
    size_t out = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t r = 0; r < n; r++) {
            if (placed[r])
                continue;
            int is_root = 1;
            for (size_t j = 0; pass == 0 && j < n && objs[r]->parent_id; j++)
                if (objs[j]->id == objs[r]->parent_id && j != r)
                    is_root = 0;
            if (!is_root)
                continue;
            size_t sp = 0;
            stack[sp] = r;
            sdepth[sp++] = 0;
            placed[r] = 1;
            while (sp > 0) {
                sp--;
                size_t i = stack[sp];
                int d = sdepth[sp];
                order[out] = i;
                depth[out++] = d;
                /* push children in reverse so the lowest id comes out first */
                for (size_t j = n; j-- > 0;) {
                    if (!placed[j] && objs[j]->parent_id == objs[i]->id) {
                        placed[j] = 1;
                        stack[sp] = j;
                        sdepth[sp++] = d + 1;
                    }
                }
            }
        }
    }
    free(placed);
    free(stack);
    free(sdepth);
    return 0;
}

int okr_kit_all_scored(Okr__Objective *const *objs, size_t n)
{
    int closed = 0;
    for (size_t i = 0; i < n; i++) {
        if (objs[i]->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED)
            closed = 1;
        else if (objs[i]->state != OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED)
            return 0;
    }
    return closed;
}

int okr_kit_print_objectives(okr_cli_t *cli, Okr__Objective *const *objs, size_t n, int tree,
                             int scores)
{
    static const char *const header[] = {"ID", "TITLE", "OWNER", "PROGRESS", "STATUS"};
    static const char *const score_header[] = {"ID", "TITLE", "OWNER", "KIND", "PROGRESS", "SCORE"};
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    int *depth = calloc(n ? n : 1, sizeof *depth);
    const char **sgr = calloc(n + 1, sizeof *sgr);
    okr_cli_table_t t;
    int rc = OKR_EXIT_OK;
    if (!order || !depth || !sgr ||
        okr_cli_table_init(&t, scores ? 6 : 5, scores ? score_header : header) != 0) {
        free(order);
        free(depth);
        free(sgr);
        return okr_kit_nomem(cli);
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    if (tree && kit__tree_order(objs, n, order, depth) != 0)
        rc = okr_kit_nomem(cli);
    if (rc == OKR_EXIT_OK)
        rc = kit__fetch_owners(cli, objs, n);
    for (size_t k = 0; rc == OKR_EXIT_OK && k < n; k++) {
        const Okr__Objective *o = objs[order[k]];
        char id[32], title[600], cut[512], owner[256], bar[128], status[64], score[64];
        okr_ref_format(OKR_REF_OBJECTIVE, o->id, id, sizeof id);
        /* indentation eats into the title's width, never below 12 columns */
        int d = depth[k] > 8 ? 8 : depth[k];
        size_t room = OKR_KIT_TITLE_WIDTH - (size_t)d * 2;
        okr_render_truncate(o->title, room, cut, sizeof cut);
        snprintf(title, sizeof title, "%*s%s%s", d * 2, "", cut,
                 o->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_DRAFT      ? " (draft)"
                 : o->state == OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED ? " (archived)"
                                                                              : "");
        okr_kit_owner(cli, o, owner, sizeof owner);
        /* plain text in cells: okr_render_table_print adds the colour */
        okr_render_bar(o->progress, OKR_KIT_BAR_WIDTH,
                       OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED, bar, sizeof bar);
        snprintf(status, sizeof status, "%s", okr_status_name(o->status));
        char num[16];
        snprintf(score, sizeof score, "%s %s", okr_render_score_num(o->score, num, sizeof num),
                 okr_grade_name(okr_score_grade(o->score)));
        if (scores) {
            const char *row[] = {id, title, owner, okr_kit_kind_name(o->kind), bar, score};
            sgr[k + 1] = okr_render_grade_sgr(okr_score_grade(o->score));
            if (okr_cli_table_add(&t, row) != 0)
                rc = okr_kit_nomem(cli);
        } else {
            const char *row[] = {id, title, owner, bar, status};
            sgr[k + 1] = okr_render_status_sgr(o->status);
            if (okr_cli_table_add(&t, row) != 0)
                rc = okr_kit_nomem(cli);
        }
    }
    if (rc == OKR_EXIT_OK) {
        kit_colors_t colors = {sgr, scores ? 5 : 3, scores ? 5 : 4};
        okr_render_table_print(&t, stdout, kit__color, &colors);
    }
    okr_cli_table_free(&t);
    free(order);
    free(depth);
    free(sgr);
    return rc;
}

const char *okr_kit_span(const Okr__KeyResult *kr, double from, double to, char *buf, size_t len)
{
    char a[128], bare[128], b[128];
    okr_render_value(kr, from, a, sizeof a);
    okr_render_value(kr, to, b, sizeof b);
    /* "120 -> 200 customers": a unit written after the number once is enough */
    Okr__KeyResult plain = *kr;
    plain.unit = "";
    okr_render_value(&plain, from, bare, sizeof bare);
    size_t al = strlen(a), bl = strlen(bare);
    const char *unit = kr->unit ? kr->unit : "";
    if (unit[0] && al > bl && strncmp(a, bare, bl) == 0 && a[bl] == ' ' &&
        strcmp(a + bl + 1, unit) == 0)
        snprintf(buf, len, "%s \u2192 %s", bare, b);
    else
        snprintf(buf, len, "%s \u2192 %s", a, b);
    return buf;
}

const char *okr_kit_figures(const Okr__KeyResult *kr, char *buf, size_t len)
{
    /* its figures are the linked objective's key results' */
    if (kr->linked_objective_id) {
        char ref[32];
        snprintf(buf, len, "from %s",
                 okr_ref_format(OKR_REF_OBJECTIVE, kr->linked_objective_id, ref, sizeof ref));
        return buf;
    }
    /* done or not: the target says nothing more */
    if (kr->metric == OKR__METRIC__METRIC_BOOLEAN)
        return okr_render_value(kr, kr->current, buf, len);
    return okr_kit_span(kr, kr->current, kr->target, buf, len);
}

/* The status a key result's row is coloured by: its linked objective's when
 * known, else its own progress against the pace and its confidence. */
static Okr__ProgressStatus kit__kr_status(const Okr__KeyResult *kr, double expected,
                                          Okr__ProgressUpdate *const *linked, size_t nlinked)
{
    for (size_t i = 0; kr->linked_objective_id && i < nlinked; i++)
        if (linked[i]->objective_id == kr->linked_objective_id)
            return linked[i]->status;
    return okr_progress_status(kr->progress, expected,
                               kr->has_confidence ? (int)kr->confidence : -1);
}

int okr_kit_print_key_results(okr_cli_t *cli, Okr__KeyResult *const *krs, size_t n, double expected,
                              Okr__ProgressUpdate *const *linked, size_t nlinked,
                              const Okr__ObjectiveTrend *trend)
{
    static const char *const header[] = {"ID",    "TITLE", "CURRENT \u2192 TARGET", "PROGRESS",
                                         "TREND", "CONF",  "LAST CHECK-IN",         "OWNER"};
    static const char *const header_no_trend[] = {
        "ID", "TITLE", "CURRENT \u2192 TARGET", "PROGRESS", "CONF", "LAST CHECK-IN", "OWNER"};
    const char **sgr = calloc(n + 1, sizeof *sgr);
    okr_cli_table_t t;
    if (!sgr || okr_cli_table_init(&t, trend ? 8 : 7, trend ? header : header_no_trend) != 0) {
        free(sgr);
        return okr_kit_nomem(cli);
    }
    int64_t now = okr_wall_ms();
    okr_ref_wanted_t owners = {0};
    for (size_t i = 0; i < n; i++)
        okr_ref_want_user(&owners, krs[i]->owner_user_id);
    int rc = okr_ref_fetch_wanted(cli, &owners);
    for (size_t i = 0; rc == OKR_EXIT_OK && i < n; i++) {
        const Okr__KeyResult *kr = krs[i];
        char id[32], cut[512], title[600], figures[300], bar[128], conf[16], ago[64], link[32],
            spark[KIT_TREND_SPARK_SZ] = "";
        okr_ref_format(OKR_REF_KEY_RESULT, kr->id, id, sizeof id);
        okr_render_truncate(kr->title, OKR_KIT_TITLE_WIDTH - 4, cut, sizeof cut);
        link[0] = '\0';
        if (kr->linked_objective_id) {
            char ref[24];
            snprintf(link, sizeof link, " [%s]",
                     okr_ref_format(OKR_REF_OBJECTIVE, kr->linked_objective_id, ref, sizeof ref));
        }
        snprintf(title, sizeof title, "%s%s%s", cut, link, kr->archived ? " (archived)" : "");
        okr_kit_figures(kr, figures, sizeof figures);
        okr_render_bar(kr->progress, OKR_KIT_BAR_WIDTH,
                       OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED, bar, sizeof bar);
        if (kr->has_confidence)
            snprintf(conf, sizeof conf, "%u/10", kr->confidence);
        else
            snprintf(conf, sizeof conf, "-");
        if (kr->linked_objective_id && !kr->last_checkin_at)
            snprintf(ago, sizeof ago, "-"); /* never checked in: it takes O's progress */
        else
            okr_render_ago(kr->last_checkin_at, now, ago, sizeof ago);
        const Okr__KeyResultTrend *series = okr_trend_kr(trend, kr->id);
        if (series)
            okr_render_spark(series->progress, series->n_progress, spark, sizeof spark);
        const char *owner = okr_ref_username(cli, kr->owner_user_id);
        const char *with_trend[] = {id, title, figures, bar, spark, conf, ago, owner};
        const char *without[] = {id, title, figures, bar, conf, ago, owner};
        const char **row = trend ? with_trend : without;
        if (expected >= 0)
            sgr[i + 1] = okr_render_status_sgr(kit__kr_status(kr, expected, linked, nlinked));
        if (okr_cli_table_add(&t, row) != 0)
            rc = okr_kit_nomem(cli);
    }
    if (rc == OKR_EXIT_OK) {
        kit_colors_t colors = {sgr, 3, 3};
        okr_render_table_print(&t, stdout, kit__color, &colors);
    }
    okr_cli_table_free(&t);
    free(sgr);
    return rc;
}
