/* test_dash_layout.c — okr-dash's model and layout (client/dash) with a fixed
 * data set fed in as events, compared with expected frames: an English
 * and a Chinese organisation at 80x24 and at TV sizes, pages, a highlighted
 * change, and the connection's states. Also: every frame at every size from
 * 1x1 to 200x70 keeps to its size, and titles cannot smuggle control
 * characters onto the screen.
 *
 * After an intended change of the layout, regenerate the expected files with
 *   OKR_DASH_UPDATE=1 build/tests/test_dash_layout
 * and review the diff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layout.h"
#include "model.h"
#include "validate.h"

#ifndef DASH_EXPECTED_DIR
#error "DASH_EXPECTED_DIR must name the directory of the expected frames"
#endif

/* 2026-11-27 10:00 UTC; the cycle runs through Q4 2026. */
#define NOW         1795773600000LL
#define Q4_START    1790812800000LL
#define Q4_END      1798761599999LL
#define Q3_START    1782864000000LL
#define Q3_END      1790812799999LL
#define HOUR        3600000LL
#define DAY         86400000LL
#define SCOPE_TEAM  10
#define MONO_CHANGE 1000000u

/* ---------------------------------------------------------------- events */

static uint64_t seq;

static void apply(dash_model_t *m, Okr__Change *ch, int snapshot)
{
    Okr__Event ev = OKR__EVENT__INIT;
    ev.seq = snapshot ? 0 : ++seq;
    ev.snapshot = snapshot;
    ev.change = ch;
    assert_int_equal(dash_model_apply(m, &ev, MONO_CHANGE), 1);
    assert_int_equal(m->oom, 0);
}

static void snapshot_done(dash_model_t *m)
{
    Okr__Event ev = OKR__EVENT__INIT;
    ev.seq = ++seq;
    ev.snapshot_done = 1;
    assert_int_equal(dash_model_apply(m, &ev, MONO_CHANGE), 1);
}

static void user(dash_model_t *m, uint64_t id, const char *username, const char *name)
{
    Okr__User u = OKR__USER__INIT;
    u.id = id;
    u.username = (char *)username;
    u.display_name = (char *)name;
    u.active = 1;
    Okr__Change ch = OKR__CHANGE__INIT;
    ch.kind = OKR__ENTITY_KIND__ENTITY_KIND_USER;
    ch.entity_id = id;
    ch.entity_case = OKR__CHANGE__ENTITY_USER;
    ch.user = &u;
    apply(m, &ch, 1);
}

static void team(dash_model_t *m, uint64_t id, const char *name, uint64_t parent)
{
    Okr__Team t = OKR__TEAM__INIT;
    t.id = id;
    t.name = (char *)name;
    t.parent_id = parent;
    Okr__Change ch = OKR__CHANGE__INIT;
    ch.kind = OKR__ENTITY_KIND__ENTITY_KIND_TEAM;
    ch.entity_id = id;
    ch.entity_case = OKR__CHANGE__ENTITY_TEAM;
    ch.team = &t;
    apply(m, &ch, 1);
}

static void cycle(dash_model_t *m, uint64_t id, const char *name, int64_t start, int64_t end,
                  Okr__CycleState state)
{
    Okr__Cycle c = OKR__CYCLE__INIT;
    c.id = id;
    c.name = (char *)name;
    c.start_at = start;
    c.end_at = end;
    c.state = state;
    Okr__Change ch = OKR__CHANGE__INIT;
    ch.kind = OKR__ENTITY_KIND__ENTITY_KIND_CYCLE;
    ch.entity_id = id;
    ch.entity_case = OKR__CHANGE__ENTITY_CYCLE;
    ch.cycle = &c;
    apply(m, &ch, 1);
}

typedef struct obj_spec {
    uint64_t id;
    const char *title;
    uint64_t cycle, owner_user, owner_team, team;
    int aspirational;
    Okr__ObjectiveState state;
    double progress, score;
    int live;
} obj_spec_t;

static void objective(dash_model_t *m, const obj_spec_t *s)
{
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.id = s->id;
    o.title = (char *)s->title;
    o.cycle_id = s->cycle;
    o.owner_user_id = s->owner_user;
    o.owner_team_id = s->owner_team;
    o.team_id = s->team;
    o.kind = s->aspirational ? OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL
                             : OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_COMMITTED;
    o.visibility = OKR__VISIBILITY__VISIBILITY_PUBLIC;
    o.state = s->state ? s->state : OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE;
    o.progress = s->progress;
    o.score = s->score;
    o.status = OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK; /* recomputed */
    Okr__Change ch = OKR__CHANGE__INIT;
    ch.kind = OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE;
    ch.entity_id = s->id;
    ch.op = OKR__CHANGE_OP__CHANGE_OP_UPDATE;
    ch.entity_case = OKR__CHANGE__ENTITY_OBJECTIVE;
    ch.objective = &o;
    apply(m, &ch, !s->live);
}

typedef struct kr_spec {
    uint64_t id, objective;
    const char *title;
    Okr__Metric metric;
    const char *unit;
    double start, target, current;
    uint64_t owner;
    int confidence; /* -1: none */
    int64_t last_checkin;
} kr_spec_t;

static void key_result(dash_model_t *m, const kr_spec_t *s)
{
    Okr__KeyResult kr = OKR__KEY_RESULT__INIT;
    kr.id = s->id;
    kr.objective_id = s->objective;
    kr.title = (char *)s->title;
    kr.metric = s->metric ? s->metric : OKR__METRIC__METRIC_NUMBER;
    kr.unit = (char *)(s->unit ? s->unit : "");
    kr.start = s->start;
    kr.target = s->target;
    kr.current = s->current;
    kr.weight = 1;
    kr.owner_user_id = s->owner;
    kr.has_confidence = s->confidence >= 0;
    kr.confidence = s->confidence >= 0 ? (uint32_t)s->confidence : 0;
    kr.last_checkin_at = s->last_checkin;
    Okr__Change ch = OKR__CHANGE__INIT;
    ch.kind = OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT;
    ch.entity_id = s->id;
    ch.entity_case = OKR__CHANGE__ENTITY_KEY_RESULT;
    ch.key_result = &kr;
    apply(m, &ch, 1);
}

static void checkin(dash_model_t *m, uint64_t id, uint64_t kr, uint64_t author, int64_t time,
                    double value, double previous, const char *note)
{
    Okr__CheckIn c = OKR__CHECK_IN__INIT;
    c.id = id;
    c.key_result_id = kr;
    c.author_id = author;
    c.time = time;
    c.value = value;
    c.previous_value = previous;
    c.note = (char *)note;
    Okr__Change ch = OKR__CHANGE__INIT;
    ch.kind = OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN;
    ch.entity_id = id;
    ch.op = OKR__CHANGE_OP__CHANGE_OP_CREATE;
    ch.entity_case = OKR__CHANGE__ENTITY_CHECKIN;
    ch.checkin = &c;
    apply(m, &ch, 1);
}

static void comment(dash_model_t *m, uint64_t id, uint64_t objective, uint64_t author, uint64_t to,
                    int64_t time, const char *body, int kudos)
{
    Okr__Comment c = OKR__COMMENT__INIT;
    c.id = id;
    c.objective_id = objective;
    c.author_id = author;
    c.to_user_id = to;
    c.time = time;
    c.body = (char *)body;
    c.kind =
        kudos ? OKR__COMMENT_KIND__COMMENT_KIND_KUDOS : OKR__COMMENT_KIND__COMMENT_KIND_COMMENT;
    Okr__Change ch = OKR__CHANGE__INIT;
    ch.kind = OKR__ENTITY_KIND__ENTITY_KIND_COMMENT;
    ch.entity_id = id;
    ch.op = OKR__CHANGE_OP__CHANGE_OP_CREATE;
    ch.entity_case = OKR__CHANGE__ENTITY_COMMENT;
    ch.comment = &c;
    apply(m, &ch, 1);
}

/* A live check-in as okrd pushes it: the key result after it and the
 * recomputed objective. */
static void live_checkin(dash_model_t *m, const kr_spec_t *after, uint64_t id, uint64_t author,
                         double previous, double objective_progress)
{
    Okr__KeyResult kr = OKR__KEY_RESULT__INIT;
    kr.id = after->id;
    kr.objective_id = after->objective;
    kr.title = (char *)after->title;
    kr.metric = after->metric ? after->metric : OKR__METRIC__METRIC_NUMBER;
    kr.unit = (char *)(after->unit ? after->unit : "");
    kr.start = after->start;
    kr.target = after->target;
    kr.current = after->current;
    kr.weight = 1;
    kr.owner_user_id = after->owner;
    kr.has_confidence = after->confidence >= 0;
    kr.confidence = after->confidence >= 0 ? (uint32_t)after->confidence : 0;
    kr.last_checkin_at = after->last_checkin;
    Okr__CheckIn c = OKR__CHECK_IN__INIT;
    c.id = id;
    c.key_result_id = after->id;
    c.author_id = author;
    c.time = after->last_checkin;
    c.value = after->current;
    c.previous_value = previous;
    c.note = "";
    Okr__ProgressUpdate up = OKR__PROGRESS_UPDATE__INIT;
    up.objective_id = after->objective;
    up.progress = objective_progress;
    up.status = OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK;
    Okr__ProgressUpdate *ups[] = {&up};
    Okr__Change ch = OKR__CHANGE__INIT;
    ch.kind = OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN;
    ch.entity_id = id;
    ch.op = OKR__CHANGE_OP__CHANGE_OP_CREATE;
    ch.entity_case = OKR__CHANGE__ENTITY_CHECKIN;
    ch.checkin = &c;
    ch.key_result_after = &kr;
    ch.ancestors = ups;
    ch.n_ancestors = 1;
    apply(m, &ch, 0);
}

/* ---------------------------------------------------------------- data sets */

static void common_cycles(dash_model_t *m)
{
    cycle(m, 1, "2026-Q4", Q4_START, Q4_END, OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE);
    cycle(m, 2, "2026-Q3", Q3_START, Q3_END, OKR__CYCLE_STATE__CYCLE_STATE_CLOSED);
}

static void build_en(dash_model_t *m)
{
    dash_model_init(m, OKR__SCOPE_KIND__SCOPE_KIND_TEAM, SCOPE_TEAM);
    seq = 100;
    user(m, 1, "alice", "Alice Liu");
    user(m, 2, "bob", "Bob Chen");
    user(m, 3, "carol", "");
    team(m, SCOPE_TEAM, "Platform", 0);
    team(m, 11, "Mobile", SCOPE_TEAM);
    common_cycles(m);
    obj_spec_t objs[] = {
        {100, "Ship the new onboarding flow", 1, 0, SCOPE_TEAM, SCOPE_TEAM, 0, 0, 0.72, 0, 0},
        {101, "Cut p95 API latency below 200 ms", 1, 1, 0, SCOPE_TEAM, 0, 0, 0.41, 0, 0},
        {102, "Make the mobile app the fastest in its class", 1, 0, 11, 11, 1, 0, 0.55, 0, 0},
        {103, "Hire two senior engineers", 1, 2, 0, SCOPE_TEAM, 0, 0, 0.0, 0, 0},
        {104, "A draft nobody should see", 1, 2, 0, SCOPE_TEAM, 0,
         OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_DRAFT, 0.1, 0, 0},
        {105, "Last quarter's objective", 2, 2, 0, SCOPE_TEAM, 0,
         OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED, 0.8, 0.8, 0},
        {106,
         "Rebuild the billing pipeline so that invoices, refunds and credit notes all go "
         "through one audited path",
         1, 3, 0, SCOPE_TEAM, 0, 0, 0.66, 0, 0},
        {107, "Publish the public status page", 1, 3, 0, 0, 0, 0, 0.9, 0, 0},
    };
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        objective(m, &objs[i]);
    kr_spec_t krs[] = {
        {200, 100, "Activation rate 40% -> 60%", OKR__METRIC__METRIC_PERCENT, "", 40, 60, 54, 1, 8,
         NOW - 2 * DAY},
        {201, 100, "Onboarding NPS", 0, "", 20, 50, 42, 1, 7, NOW - 5 * DAY},
        {202, 101, "p95 latency", 0, "ms", 450, 200, 348, 1, 5, NOW - 20 * DAY},
        {203, 102, "Cold start time", 0, "ms", 2400, 800, 1520, 2, -1, NOW - 1 * DAY},
        {204, 103, "Senior engineers hired", 0, "engineers", 0, 2, 0, 2, 3, 0},
        {205, 106, "Invoices through the new path", OKR__METRIC__METRIC_PERCENT, "", 0, 100, 66, 3,
         9, NOW - 3 * HOUR},
        {206, 107, "Status page live", OKR__METRIC__METRIC_BOOLEAN, "", 0, 1, 1, 3, 10,
         NOW - 6 * DAY},
    };
    for (size_t i = 0; i < sizeof krs / sizeof krs[0]; i++)
        key_result(m, &krs[i]);
    checkin(m, 300, 205, 3, NOW - 3 * HOUR, 66, 58, "Refunds moved over");
    checkin(m, 301, 203, 2, NOW - DAY - 2 * HOUR, 1520, 1710, "");
    checkin(m, 302, 200, 1, NOW - 2 * DAY, 54, 51, "New tour shipped to 50% of sign-ups");
    comment(m, 400, 100, 2, 1, NOW - 48 * 60000, "Great work on the tour, Alice!", 1);
    comment(m, 401, 101, 3, 0, NOW - 30 * 60000, "Is the cache change in this week?", 0);
    snapshot_done(m);
    /* Weekly trends (TrendRequest) for two objectives; the last point of
     * each is drawn from the live progress, not from here. 101 has more
     * weeks than a card shows: the latest 13. */
    const double onboarding[] = {0.05, 0.2, 0.31, 0.45, 0.52, 0.6, 0.0};
    assert_int_equal(dash_model_set_trend(m, 100, onboarding, 7), 0);
    double latency[16];
    for (size_t i = 0; i < 16; i++)
        latency[i] = i < 3 ? 1.0 : (double)i / 40.0; /* the first 3 are cut */
    assert_int_equal(dash_model_set_trend(m, 101, latency, 16), 0);
    assert_int_equal(dash_model_set_trend(m, 999, latency, 16), 0); /* not in the model: ignored */
}

static void build_zh(dash_model_t *m)
{
    dash_model_init(m, OKR__SCOPE_KIND__SCOPE_KIND_TEAM, SCOPE_TEAM);
    seq = 500;
    user(m, 1, "lilei", "李雷");
    user(m, 2, "hanmeimei", "韩梅梅");
    user(m, 3, "wang", "王小明");
    team(m, SCOPE_TEAM, "销售部", 0);
    team(m, 11, "华东区", SCOPE_TEAM);
    common_cycles(m);
    obj_spec_t objs[] = {
        {100, "提升华东区客户满意度", 1, 0, SCOPE_TEAM, SCOPE_TEAM, 0, 0, 0.70, 0, 0},
        {101, "新签约企业客户达到五十家，并完成首年续约率百分之九十的目标", 1, 1, 0, SCOPE_TEAM, 1,
         0, 0.38, 0, 0},
        {102, "上海办公室销售额翻一番", 1, 0, 11, 11, 0, 0, 0.52, 0, 0},
        {103, "Launch the 合作伙伴 program", 1, 2, 0, SCOPE_TEAM, 0, 0, 0.15, 0, 0},
    };
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        objective(m, &objs[i]);
    kr_spec_t krs[] = {
        {200, 100, "客户满意度从 72 提升到 85", 0, "分", 72, 85, 81, 1, 8, NOW - DAY},
        {201, 101, "新签约企业客户", 0, "家", 0, 50, 19, 1, 6, NOW - 9 * DAY},
        {202, 102, "季度销售额", OKR__METRIC__METRIC_CURRENCY, "¥", 1000000, 2000000, 1520000, 3, 7,
         NOW - 2 * DAY},
        {203, 103, "签约合作伙伴", 0, "家", 0, 10, 1, 2, 2, NOW - 16 * DAY},
    };
    for (size_t i = 0; i < sizeof krs / sizeof krs[0]; i++)
        key_result(m, &krs[i]);
    checkin(m, 300, 200, 1, NOW - 3 * HOUR, 81, 79, "本周回访了二十家客户");
    checkin(m, 301, 202, 3, NOW - 2 * DAY, 1520000, 1380000, "");
    comment(m, 400, 100, 2, 1, NOW - HOUR, "干得漂亮！", 1);
    snapshot_done(m);
}

/* ---------------------------------------------------------------- frames */

typedef struct out {
    char *text;
    size_t len;
} out_t;

static void out_add(out_t *o, const char *s)
{
    size_t n = strlen(s);
    o->text = realloc(o->text, o->len + n + 1);
    assert_non_null(o->text);
    memcpy(o->text + o->len, s, n + 1);
    o->len += n;
}

/* Checks the frame keeps to its size, then appends its text under a title. */
static void frame_add(out_t *o, const dash_model_t *m, const dash_layout_opts_t *opts,
                      const char *name)
{
    dash_frame_t f;
    assert_int_equal(dash_layout(m, opts, &f), 0);
    assert_int_equal(f.height, opts->height);
    for (int i = 0; i < f.height; i++)
        assert_true(f.lines[i].width <= (size_t)opts->width);
    char head[256];
    snprintf(head, sizeof head, "==== %s (%dx%d, page %d of %d) ====\n", name, opts->width,
             opts->height, f.page + 1, f.npages);
    out_add(o, head);
    char *text = dash_frame_text(&f);
    assert_non_null(text);
    out_add(o, text);
    free(text);
    dash_frame_free(&f);
}

static char *read_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    size_t got = fread(s, 1, (size_t)n, fp);
    s[got] = '\0';
    fclose(fp);
    return s;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Compares with DASH_EXPECTED_DIR/name; on a difference writes the actual
 * frames next to the test binary (name with "actual") and fails. */
static void compare(const out_t *o, const char *name)
{
    char path[1024], actual[1024];
    snprintf(path, sizeof path, "%s/%s", DASH_EXPECTED_DIR, name);
    const char *update = getenv("OKR_DASH_UPDATE");
    if (update && update[0] == '1') {
        write_file(path, o->text);
        return;
    }
    char *want = read_file(path);
    if (want && strcmp(want, o->text) == 0) {
        free(want);
        return;
    }
    snprintf(actual, sizeof actual, "%s.actual", name);
    write_file(actual, o->text);
    print_error("frames differ from %s; actual frames in %s (diff them; OKR_DASH_UPDATE=1 "
                "regenerates)\n",
                path, actual);
    free(want);
    fail();
}

static dash_layout_opts_t opts_at(int w, int h)
{
    dash_layout_opts_t o = {
        .width = w,
        .height = h,
        .now_wall_ms = NOW,
        .now_mono_ms = MONO_CHANGE + 2000,
        .highlight_ms = 5000,
        .link = DASH_LINK_LIVE,
        .status = "● live",
    };
    return o;
}

static void test_english(void **state)
{
    (void)state;
    dash_model_t m;
    build_en(&m);
    out_t o = {0};
    dash_layout_opts_t op = opts_at(80, 24);
    frame_add(&o, &m, &op, "80x24 first page");
    op.page = 1;
    op.next_page_s = 12;
    frame_add(&o, &m, &op, "80x24 second page");
    op = opts_at(120, 40);
    frame_add(&o, &m, &op, "TV 120x40");
    op = opts_at(100, 30);
    op.status = NULL;
    op.link = DASH_LINK_NONE;
    frame_add(&o, &m, &op, "--once 100x30");

    /* A live check-in moves an objective: it is highlighted with its change. */
    kr_spec_t after = {202, 101, "p95 latency", 0, "ms", 450, 200, 260, 1, 8, NOW - 60000};
    live_checkin(&m, &after, 303, 1, 348, 0.76);
    op = opts_at(80, 24);
    frame_add(&o, &m, &op, "80x24 after a live check-in");
    op.now_mono_ms = MONO_CHANGE + 60000;
    op.link = DASH_LINK_DOWN;
    op.status = "reconnecting… (last event 42 s ago)";
    frame_add(&o, &m, &op, "80x24 link down, highlight over");
    op.message = "Cannot show the dashboard yet.\nCannot connect to okr.example.com:7433: "
                 "connection refused — is okrd running, and is the address right?\nTrying "
                 "again in 8 s.";
    frame_add(&o, &m, &op, "80x24 with a message");
    compare(&o, "dash_expected_en.txt");
    free(o.text);
    dash_model_free(&m);
}

static void test_chinese(void **state)
{
    (void)state;
    dash_model_t m;
    build_zh(&m);
    out_t o = {0};
    dash_layout_opts_t op = opts_at(80, 24);
    frame_add(&o, &m, &op, "80x24");
    op = opts_at(100, 30);
    frame_add(&o, &m, &op, "100x30");
    op = opts_at(60, 20);
    frame_add(&o, &m, &op, "60x20");
    compare(&o, "dash_expected_zh.txt");
    free(o.text);
    dash_model_free(&m);
}

/* Every size keeps to its width and height, on every page. */
static void test_every_size(void **state)
{
    (void)state;
    dash_model_t en, zh;
    build_en(&en);
    build_zh(&zh);
    for (int w = 1; w <= 200; w += 7)
        for (int h = 1; h <= 70; h += 3)
            for (int page = 0; page < 3; page++) {
                dash_layout_opts_t op = opts_at(w, h);
                op.page = page;
                for (int k = 0; k < 2; k++) {
                    dash_frame_t f;
                    assert_int_equal(dash_layout(k ? &zh : &en, &op, &f), 0);
                    assert_int_equal(f.height, h);
                    for (int i = 0; i < h; i++) {
                        assert_true(f.lines[i].width <= (size_t)w);
                        assert_int_equal(okr_display_width(f.lines[i].text ? f.lines[i].text : ""),
                                         f.lines[i].width);
                    }
                    dash_frame_free(&f);
                }
            }
    dash_model_free(&en);
    dash_model_free(&zh);
}

/* A title with escape sequences and line breaks reaches the screen as
 * plain characters. */
static void test_control_characters(void **state)
{
    (void)state;
    dash_model_t m;
    dash_model_init(&m, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0);
    cycle(&m, 1, "2026-Q4", Q4_START, Q4_END, OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE);
    obj_spec_t s = {
        1, "Evil\x1b]0;pwned\x07 title\r\nsecond line\xc2\x9b", 1, 0, 5, 5, 0, 0, 0.5, 0, 0};
    objective(&m, &s);
    snapshot_done(&m);
    dash_layout_opts_t op = opts_at(80, 24);
    dash_frame_t f;
    assert_int_equal(dash_layout(&m, &op, &f), 0);
    char *text = dash_frame_text(&f);
    for (const char *p = text; *p; p++)
        assert_true(*p == '\n' || (unsigned char)*p >= 0x20);
    assert_null(strstr(text, "\xc2\x9b"));
    assert_non_null(strstr(text, "Evil ]0;pwned  title  second line"));
    free(text);
    dash_frame_free(&f);
    dash_model_free(&m);
}

/* A fresh snapshot after a reconnect forgets what it does not mention;
 * deletes and archives remove live. */
static void test_snapshot_sweep(void **state)
{
    (void)state;
    dash_model_t m;
    build_en(&m);
    assert_non_null(dash_model_objective(&m, 100));
    assert_non_null(dash_model_objective(&m, 101));
    /* A second snapshot with objective 100 only. */
    obj_spec_t s = {
        100, "Ship the new onboarding flow", 1, 0, SCOPE_TEAM, SCOPE_TEAM, 0, 0, 0.75, 0, 0};
    objective(&m, &s);
    snapshot_done(&m);
    assert_non_null(dash_model_objective(&m, 100));
    assert_null(dash_model_objective(&m, 101));
    assert_null(dash_model_key_result(&m, 202));
    assert_non_null(dash_model_cycle(&m, 1));
    assert_string_equal(dash_model_user_name(&m, 1), "Alice Liu");
    /* Archived live: gone. */
    s.state = OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED;
    s.live = 1;
    objective(&m, &s);
    assert_null(dash_model_objective(&m, 100));
    /* An empty snapshot empties the scope. */
    obj_spec_t t = {120, "New", 1, 0, SCOPE_TEAM, SCOPE_TEAM, 0, 0, 0.1, 0, 1};
    objective(&m, &t);
    assert_non_null(dash_model_objective(&m, 120));
    snapshot_done(&m);
    assert_int_equal(m.nobjs, 0);
    assert_int_equal(m.last_seq, seq);
    dash_model_free(&m);
}

/* Names still unknown are asked for once. */
static void test_unknown_users(void **state)
{
    (void)state;
    dash_model_t m;
    dash_model_init(&m, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0);
    obj_spec_t s = {1, "A", 1, 7, 0, 0, 0, 0, 0.5, 0, 0};
    objective(&m, &s);
    comment(&m, 9, 1, 8, 7, NOW, "thanks", 1);
    uint64_t ids[8];
    size_t n = dash_model_unknown_users(&m, ids, 8);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 7);
    assert_int_equal(ids[1], 8);
    assert_int_equal(dash_model_set_user(&m, 7, "Grace"), 0);
    assert_int_equal(dash_model_set_user(&m, 8, NULL), 0);
    assert_int_equal(dash_model_unknown_users(&m, ids, 8), 0);
    assert_string_equal(dash_model_user_name(&m, 7), "Grace");
    assert_null(dash_model_user_name(&m, 8));
    dash_model_free(&m);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_english),        cmocka_unit_test(test_chinese),
        cmocka_unit_test(test_every_size),     cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_snapshot_sweep), cmocka_unit_test(test_unknown_users),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
