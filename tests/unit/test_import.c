/* Unit tests: okr import's CSV reader (import_csv.h) and the plan checked
 * from its rows (import_plan.h), with a made-up server's users, teams and
 * objectives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_csv.h"
#include "import_plan.h"
#include "import_request.h"

/* ---------------------------------------------------------------- the reader */

static void parse_ok(const char *text, okr_csv_t *t)
{
    char err[256];
    size_t line;
    int rc = okr_csv_parse(text, strlen(text), t, &line, err, sizeof err);
    if (rc != 0)
        fail_msg("line %zu: %s", line, err);
}

/* Parses text expecting an error on line; returns the message (static). */
static const char *parse_fails(const char *text, size_t len, size_t want_line)
{
    static char err[256];
    okr_csv_t t;
    size_t line;
    assert_int_equal(okr_csv_parse(text, len, &t, &line, err, sizeof err), -1);
    assert_int_equal(line, want_line);
    assert_null(t.rows);
    assert_true(err[0] != '\0');
    return err;
}

static void test_csv_quoting(void **state)
{
    (void)state;
    okr_csv_t t;
    parse_ok("type,title,description\r\n"
             "objective,\"Grow, then \"\"win\"\"\",plain\r\n"
             "key_result,\"two\nlines\",\r\n"
             "objective,last,no newline at the end",
             &t);
    assert_int_equal(t.ncols, 3);
    assert_string_equal(t.header[1], "title");
    assert_int_equal(t.nrows, 3);
    assert_string_equal(t.rows[0].fields[1], "Grow, then \"win\"");
    assert_int_equal(t.rows[0].line, 2);
    assert_string_equal(t.rows[1].fields[1], "two\nlines");
    assert_string_equal(t.rows[1].fields[2], "");
    assert_int_equal(t.rows[1].line, 3);
    assert_int_equal(t.rows[2].line, 5); /* the quoted line break counts */
    assert_string_equal(t.rows[2].fields[2], "no newline at the end");
    okr_csv_free(&t);
    okr_csv_free(&t); /* twice is safe */
}

static void test_csv_bom_lf_chinese_spaces(void **state)
{
    (void)state;
    okr_csv_t t;
    parse_ok("\xef\xbb\xbftype,title\n"
             "\n"
             "objective,提升客户满意度\n"
             "objective, keeps its spaces \n"
             "objective\n",
             &t);
    assert_string_equal(t.header[0], "type"); /* no BOM in the name */
    assert_int_equal(okr_csv_column(&t, "TYPE"), 0);
    assert_int_equal(okr_csv_column(&t, "title"), 1);
    assert_int_equal(okr_csv_column(&t, "ref"), -1);
    assert_int_equal(t.nrows, 3);
    assert_string_equal(t.rows[0].fields[1], "提升客户满意度");
    assert_int_equal(t.rows[0].line, 3); /* the blank line is no row */
    assert_string_equal(t.rows[1].fields[1], " keeps its spaces ");
    assert_string_equal(t.rows[2].fields[1], ""); /* a short row is filled */
    assert_string_equal(okr_csv_field(&t.rows[2], -1), "");
    okr_csv_free(&t);
}

static void test_csv_cr_line_ends(void **state)
{
    (void)state;
    okr_csv_t t;
    /* old Mac files end lines with CR alone: each is a line of its own */
    parse_ok("type,title\robjective,a\r\robjective,\"b\rc\"\robjective,d", &t);
    assert_int_equal(t.nrows, 3);
    assert_int_equal(t.rows[0].line, 2);
    assert_int_equal(t.rows[1].line, 4);
    assert_string_equal(t.rows[1].fields[1], "b\rc");
    assert_int_equal(t.rows[2].line, 6);
    okr_csv_free(&t);
}

static void test_csv_errors(void **state)
{
    (void)state;
    const char *m;
    m = parse_fails("type,title\nobjective,\"open\nand never closed\n",
                    sizeof "type,title\nobjective,\"open\nand never closed\n" - 1, 2);
    assert_non_null(strstr(m, "not closed"));
    m = parse_fails("type,title\nobjective,ok\nobjective,bad\"quote\n",
                    sizeof "type,title\nobjective,ok\nobjective,bad\"quote\n" - 1, 3);
    assert_non_null(strstr(m, "quote"));
    m = parse_fails("\xff\xfet\0y\0", sizeof "\xff\xfet\0y\0" - 1, 1);
    assert_non_null(strstr(m, "UTF-16"));
    m = parse_fails("type,title\nobjective,caf\xe9\n", sizeof "type,title\nobjective,caf\xe9\n" - 1,
                    2);
    assert_non_null(strstr(m, "UTF-8"));
    m = parse_fails("type,title\nobjective,a\0b\n", sizeof "type,title\nobjective,a\0b\n" - 1, 2);
    assert_non_null(strstr(m, "NUL"));
    m = parse_fails("type,title\nobjective,a,,\nobjective,a,extra\n",
                    sizeof "type,title\nobjective,a,,\nobjective,a,extra\n" - 1, 3);
    assert_non_null(strstr(m, "more fields"));
    m = parse_fails("", sizeof "" - 1, 0);
    assert_non_null(strstr(m, "empty"));
}

static void test_csv_limits(void **state)
{
    (void)state;
    /* rows: one more than the limit */
    size_t n = OKR_CSV_MAX_ROWS + 1;
    char *text = malloc(16 + n * 4);
    assert_non_null(text);
    strcpy(text, "type\n");
    size_t len = strlen(text);
    for (size_t i = 0; i < n; i++) {
        memcpy(text + len, "o,\n", 3);
        len += 3;
    }
    const char *m = parse_fails(text, len, OKR_CSV_MAX_ROWS + 2);
    assert_non_null(strstr(m, "10000 rows"));
    free(text);
    /* size: checked before anything is parsed */
    m = parse_fails("x", (size_t)OKR_CSV_MAX_BYTES + 1, 0);
    assert_non_null(strstr(m, "10 MiB"));
    /* okr_csv_read stops reading past the limit */
    FILE *f = tmpfile();
    assert_non_null(f);
    char block[4096];
    memset(block, 'a', sizeof block);
    for (size_t i = 0; i <= OKR_CSV_MAX_BYTES / sizeof block; i++)
        assert_int_equal(fwrite(block, 1, sizeof block, f), sizeof block);
    rewind(f);
    okr_csv_t t;
    char err[256];
    size_t line;
    assert_int_equal(okr_csv_read(f, &t, &line, err, sizeof err), -1);
    assert_non_null(strstr(err, "10 MiB"));
    fclose(f);
}

/* ---------------------------------------------------------------- the plan */

static const okr_plan_name_t users[] = {
    {"alice", 1, 0}, {"bob", 2, 0}, {"carol", 3, 1}, /* deactivated */
};
static const okr_plan_name_t teams[] = {
    {"Sales", 10, 0}, {"Platform", 11, 0}, {"Old", 12, 1}, /* archived */
};
static const okr_plan_server_obj_t server_objs[] = {
    {100, 7, "2026-Q2", 0},
    {101, 6, "2026-Q1", 0}, /* another cycle */
    {102, 7, "2026-Q2", 1}, /* archived */
};
static const okr_plan_world_t world = {
    7, "2026-Q2", users, 3, teams, 3, server_objs, 3,
};

typedef struct planned {
    okr_csv_t t;
    okr_plan_t p;
    int rc;
} planned_t;

static void plan(planned_t *x, const char *text)
{
    parse_ok(text, &x->t);
    x->rc = okr_plan_build(&x->t, &world, &x->p);
}

static void unplan(planned_t *x)
{
    okr_plan_free(&x->p);
    okr_csv_free(&x->t);
}

/* Fails unless the plan has a problem on line that contains text. */
static void has_problem(const planned_t *x, size_t line, const char *text)
{
    for (size_t i = 0; i < x->p.nkept; i++)
        if (x->p.problems[i].line == line && strstr(x->p.problems[i].message, text))
            return;
    for (size_t i = 0; i < x->p.nkept; i++)
        print_message("  %zu: %s\n", x->p.problems[i].line, x->p.problems[i].message);
    fail_msg("no problem on line %zu with \"%s\"", line, text);
}

static void no_problems(const planned_t *x)
{
    for (size_t i = 0; i < x->p.nkept; i++)
        print_message("  %zu: %s\n", x->p.problems[i].line, x->p.problems[i].message);
    assert_int_equal(x->rc, 0);
}

static void test_plan_export_round_trip(void **state)
{
    (void)state;
    planned_t x;
    /* the columns okr export writes, in its order, with computed ones filled */
    plan(&x, "type,id,ref,parent,level,title,owner,owner_kind,team,kind,state,visibility,metric,"
             "unit,start,current,target,weight,weight_share,linked_objective,progress,expected,"
             "status,confidence,last_checkin_at,due_at,score,grade,score_overridden,score_note,"
             "retrospective,description\r\n"
             "objective,5,O5,,1,Company goal,Sales,team,Sales,aspirational,active,public,,,,,,,,,"
             "0.5,0.4,on_track,,,,,,false,,,\"Why, and how\"\r\n"
             "key_result,9,K9,O5,2,Revenue,bob,user,Sales,,active,,currency,USD,100,150,200,2,"
             "0.5,,0.5,0.4,on_track,7,2026-03-01T10:00:00Z,2026-06-30T21:59:59Z,,,,,,\r\n"
             "key_result,10,K10,O5,2,Child done,alice,user,Sales,,active,,number,,0,0,1,1,0.5,"
             "O6,0,0.4,off_track,,,,,,,,,\r\n"
             "objective,6,O6,O5,2,提升客户满意度,alice,user,Platform,committed,draft,team,,,,,,,"
             ",,0,0.4,off_track,,,,,,false,,,\r\n"
             "objective,7,O7,O100,1,Under the server's,alice,user,,,,,,,,,,,,,,,,,,,,,,,,\r\n");
    no_problems(&x);
    assert_null(x.p.warning);
    assert_int_equal(x.p.nobjs, 3);
    assert_int_equal(x.p.nkrs, 2);
    /* parents first: O5 and O7 (depth 0) then O6 */
    assert_string_equal(x.p.objs[0].ref, "O5");
    assert_string_equal(x.p.objs[1].ref, "O7");
    assert_string_equal(x.p.objs[2].ref, "O6");
    assert_int_equal(x.p.objs[2].parent, 0);
    assert_int_equal(x.p.objs[2].depth, 1);
    assert_int_equal(x.p.max_depth, 1);
    assert_int_equal(x.p.objs[1].parent, OKR_PLAN_NONE);
    assert_int_equal(x.p.objs[1].parent_id, 100);
    const Okr__Objective *o5 = &x.p.objs[0].o;
    assert_int_equal(o5->owner_team_id, 10);
    assert_int_equal(o5->team_id, 10);
    assert_int_equal(o5->owner_user_id, 0);
    assert_int_equal(o5->cycle_id, 7);
    assert_int_equal(o5->kind, OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL);
    assert_string_equal(o5->description, "Why, and how");
    const Okr__Objective *o6 = &x.p.objs[2].o;
    assert_string_equal(o6->title, "提升客户满意度");
    assert_int_equal(o6->owner_user_id, 1);
    assert_int_equal(o6->team_id, 11);
    assert_int_equal(o6->visibility, OKR__VISIBILITY__VISIBILITY_TEAM);
    assert_int_equal(o6->state, OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_DRAFT);
    const okr_plan_kr_t *k9 = &x.p.krs[0];
    assert_int_equal(k9->objective, 0);
    assert_int_equal(k9->k.metric, OKR__METRIC__METRIC_CURRENCY);
    assert_string_equal(k9->k.unit, "USD");
    assert_true(k9->k.start == 100 && k9->k.target == 200 && k9->k.weight == 2);
    assert_int_equal(k9->k.owner_user_id, 2);
    assert_int_equal(k9->k.due_at, 1782856799000LL);
    assert_true(k9->checkin && k9->current == 150);
    assert_true(k9->has_confidence && k9->confidence == 7);
    const okr_plan_kr_t *k10 = &x.p.krs[1];
    assert_int_equal(k10->linked, 2); /* O6, after the reordering */
    assert_false(k10->checkin);
    assert_int_equal(x.p.ncheckins, 1);
    assert_int_equal(x.p.nproblems, 0);
    unplan(&x);
}

/* last_checkin_at dates the imported check-in when it falls within the
 * cycle so far; a file from another cycle is checked in now. */
static void test_plan_checkin_dates(void **state)
{
    (void)state;
    static const char text[] = "type,ref,parent,title,start,current,target,last_checkin_at\n"
                               "objective,O1,,Goal,,,,\n"
                               "key_result,K1,O1,Dated,0,5,10,2026-03-01T10:00:00Z\n"
                               "key_result,K2,O1,Undated,0,5,10,\n"
                               "key_result,K3,O1,A day,0,5,10,2026-03-02\n";
    const int64_t march1 = 1772359200000LL; /* 2026-03-01T10:00:00Z */
    okr_plan_world_t w = world;
    w.cycle_start = march1 - 86400000LL;
    w.now_ms = march1 + 30 * 86400000LL;
    okr_csv_t t;
    okr_plan_t p;
    parse_ok(text, &t);
    assert_int_equal(okr_plan_build(&t, &w, &p), 0);
    assert_int_equal(p.krs[0].checked_at, march1);
    assert_int_equal(p.krs[1].checked_at, 0);
    assert_true(p.krs[2].checked_at > march1); /* the end of that day, local time */
    okr_plan_free(&p);
    /* imported into a cycle that starts later: checked in when imported */
    w.cycle_start = march1 + 86400000LL * 60;
    assert_int_equal(okr_plan_build(&t, &w, &p), 0);
    assert_int_equal(p.krs[0].checked_at, 0);
    okr_plan_free(&p);
    okr_csv_free(&t);

    planned_t x;
    plan(&x, "type,ref,parent,title,start,current,target,last_checkin_at\n"
             "objective,O1,,Goal,,,,\n"
             "key_result,K1,O1,Bad date,0,5,10,last Tuesday\n");
    has_problem(&x, 3, "last_checkin_at \"last Tuesday\" is not a date");
    unplan(&x);
}

/* The server's limit of key results per objective (its Hello): the row that
 * goes over is named once per objective; 0 checks nothing. */
static void test_plan_key_result_limit(void **state)
{
    (void)state;
    static const char text[] = "type,ref,parent,title,target\n"
                               "objective,O1,,Busy,\n"
                               "key_result,,,One,1\n"
                               "key_result,,,Two,2\n"
                               "key_result,,,Three,3\n"
                               "key_result,,,Four,4\n"
                               "objective,,,Quiet,\n"
                               "key_result,,,Only,1\n"
                               "key_result,,O1,Five,5\n"
                               "objective,,,Full,\n"
                               "key_result,,,A,1\n"
                               "key_result,,,B,2\n"
                               "key_result,,,C,3\n";
    okr_plan_world_t w = world;
    okr_csv_t t;
    okr_plan_t p;
    parse_ok(text, &t);
    assert_int_equal(okr_plan_build(&t, &w, &p), 0); /* no limit said */
    okr_plan_free(&p);
    w.max_key_results = 3;
    assert_int_equal(okr_plan_build(&t, &w, &p), 1);
    assert_int_equal(p.nproblems, 1); /* O1 once, though it gets 5; Full is at 3 */
    assert_int_equal(p.problems[0].line, 6);
    assert_non_null(strstr(p.problems[0].message, "objective O1 (line 2) gets more than 3 key "
                                                  "results, the most the server allows"));
    okr_plan_free(&p);
    w.max_key_results = 2;
    assert_int_equal(okr_plan_build(&t, &w, &p), 1);
    assert_int_equal(p.nproblems, 2);
    assert_int_equal(p.problems[1].line, 13);
    assert_non_null(strstr(p.problems[1].message, "the objective of line 10 gets more than 2"));
    okr_plan_free(&p);
    okr_csv_free(&t);
}

static void test_plan_minimal_sheet(void **state)
{
    (void)state;
    planned_t x;
    /* what a person types: no ref, no parent; key results go under the
     * objective above them; unknown columns are one warning */
    plan(&x, "Title,Type,Target,Notes,Color\n"
             "Ship it,objective,,,\n"
             "Users,key_result,1000,remember,\n"
             "Done,key_result,5,,red\n");
    no_problems(&x);
    assert_non_null(x.p.warning);
    assert_non_null(strstr(x.p.warning, "\"Notes\", \"Color\""));
    assert_int_equal(x.p.nkrs, 2);
    assert_int_equal(x.p.krs[1].objective, 0);
    assert_true(x.p.krs[0].k.start == 0 && x.p.krs[0].k.target == 1000);
    assert_true(x.p.krs[0].k.weight == 1);
    assert_int_equal(x.p.objs[0].o.owner_user_id, 0); /* the caller */
    assert_int_equal(x.p.ncheckins, 0);
    unplan(&x);
}

static void test_plan_missing_columns(void **state)
{
    (void)state;
    planned_t x;
    plan(&x, "ref,parent,owner\nO1,,alice\n");
    assert_int_equal(x.rc, 1);
    has_problem(&x, 1, "no \"type\" column");
    has_problem(&x, 1, "no \"title\" column");
    unplan(&x);
    plan(&x, "type,title,Title\nobjective,a,b\n");
    has_problem(&x, 1, "\"Title\" twice");
    unplan(&x);
    plan(&x, "type,title\n,,\n");
    assert_int_equal(x.rc, 1);
    has_problem(&x, 0, "no objectives or key results");
    unplan(&x);
}

static void test_plan_each_problem(void **state)
{
    (void)state;
    planned_t x;
    plan(&x, "type,ref,parent,title,owner,owner_kind,team,metric,start,target,weight,current,"
             "confidence,due_at,linked_objective,visibility,kind\n"
             /* 2 */ "objective,O1,,Fine,alice,,,,,,,,,,,,\n"
             /* 3 */ "objectiv,O2,,Typo,,,,,,,,,,,,,\n"
             /* 4 */ "objective,O3,,,bobb,,,,,,,,,,,,\n"
             /* 5 */ "key_result,K1,O1,Bad metric,,,,ratio,0,10,,,,,,,\n"
             /* 6 */ "key_result,K2,O1,Flat,,,,,5,5,,,,,,,\n"
             /* 7 */ "key_result,K3,O1,Inf,,,,,0,inf,,,,,,,\n"
             /* 8 */ "key_result,K4,O1,Words,,,,,0,\"1,000\",,,,,,,\n"
             /* 9 */ "key_result,K5,O99,Unknown parent,,,,,0,1,,,,,,,\n"
             /* 10 */ "objective,O4,,Team typo,Sals,team,,,,,,,,,,,\n"
             /* 11 */ "objective,O5,,Deactivated,carol,,,,,,,,,,,,\n"
             /* 12 */ "objective,O6,,Archived team,Old,team,,,,,,,,,,,\n"
             /* 13 */ "key_result,K6,O1,Weights,,,,,0,1,0,,11,someday,,,\n"
             /* 14 */ "objective,O1,,Same ref,,,,,,,,,,,,,\n"
             /* 15 */ "objective,O7,,Team needed,,,,,,,,,,,,team,stretch\n"
             /* 16 */ "key_result,K7,O1,Link not a child,,,,,0,1,,,,,O5,,\n"
             /* 17 */ "objective,O8,O101,Other cycle,,,,,,,,,,,,,\n"
             /* 18 */ "objective,O9,O102,Archived parent,,,,,,,,,,,,,\n"
             /* 19 */ "objective,O10,O555,Nowhere,,,,,,,,,,,,,\n"
             /* 20 */ "objective,O11,K1,Under a KR,,,,,,,,,,,,,\n"
             /* 21 */ "key_result,K8,O1,Bool,,,,boolean,0,5,,2,,,,,\n"
             /* 22 */ "objective,O12,,Sales,Sales,,,,,,,,,,,,\n"
             /* 23 */ "key_result,K9,O1,Team owned KR,Sales,team,,,0,1,,,,,,,\n");
    assert_int_equal(x.rc, 1);
    has_problem(&x, 3,
                "type \"objectiv\" is not objective or key_result; did you mean "
                "\"objective\"?");
    has_problem(&x, 4, "the title is empty");
    has_problem(&x, 4, "owner \"bobb\" is not a user; did you mean \"bob\"?");
    has_problem(&x, 5, "metric \"ratio\" is not number, percent, currency or boolean");
    has_problem(&x, 6, "start and target are both 5");
    has_problem(&x, 7, "target \"inf\" is not a finite number");
    has_problem(&x, 8, "target \"1,000\" is not a number");
    has_problem(&x, 9, "parent O99 is not the ref of an objective in this file");
    has_problem(&x, 10, "owner \"Sals\" is not a team; did you mean \"Sales\"?");
    has_problem(&x, 11, "owner \"carol\" is deactivated");
    has_problem(&x, 12, "owner \"Old\" is archived");
    has_problem(&x, 13, "weight 0");
    has_problem(&x, 13, "confidence 11");
    has_problem(&x, 13, "due_at \"someday\"");
    has_problem(&x, 14, "ref O1 is already the ref of line 2");
    has_problem(&x, 15, "visibility team needs a team");
    has_problem(&x, 15, "kind \"stretch\" is not committed or aspirational");
    has_problem(&x, 16, "linked_objective O5 is not aligned under");
    has_problem(&x, 17, "parent O101 is in cycle 2026-Q1, not 2026-Q2");
    has_problem(&x, 18, "parent O102 is archived");
    has_problem(&x, 19, "parent O555 is neither a ref in this file nor an objective on the server");
    has_problem(&x, 20, "parent K1 is a key result (line 5)");
    has_problem(&x, 21, "a boolean key result goes from 0");
    has_problem(&x, 21, "current 2");
    has_problem(&x, 22, "owner \"Sales\" is a team, not a user");
    has_problem(&x, 23, "a key result is owned by a person");
    /* sorted by line */
    for (size_t i = 1; i < x.p.nkept; i++)
        assert_true(x.p.problems[i - 1].line <= x.p.problems[i].line);
    assert_int_equal(x.p.nproblems, x.p.nkept);
    unplan(&x);
}

static void test_plan_loops(void **state)
{
    (void)state;
    planned_t x;
    plan(&x, "type,ref,parent,title\n"
             "objective,O1,O3,a\n"
             "objective,O2,O1,b\n"
             "objective,O3,O2,c\n"
             "objective,O4,O2,into the loop\n"
             "objective,O5,O5,itself\n"
             "objective,O6,,fine\n"
             "objective,O7,O6,fine too\n");
    assert_int_equal(x.rc, 1);
    has_problem(&x, 2, "the alignment makes a loop: O1 -> O3 -> O2 -> O1");
    has_problem(&x, 6, "the alignment makes a loop: O5 -> O5");
    assert_int_equal(x.p.nproblems, 2); /* one per loop; O4 leads into one, not reported */
    unplan(&x);
}

static void test_plan_deep_chain_order(void **state)
{
    (void)state;
    /* children listed before their parents: still created parents first */
    planned_t x;
    plan(&x, "type,ref,parent,title,target\n"
             "key_result,K1,O3,kr of the deepest,10\n"
             "objective,O3,O2,deepest,\n"
             "objective,O2,O1,middle,\n"
             "objective,O1,,root,\n");
    no_problems(&x);
    assert_string_equal(x.p.objs[0].ref, "O1");
    assert_string_equal(x.p.objs[1].ref, "O2");
    assert_string_equal(x.p.objs[2].ref, "O3");
    assert_int_equal(x.p.objs[2].parent, 1);
    assert_int_equal(x.p.krs[0].objective, 2);
    assert_int_equal(x.p.max_depth, 2);
    unplan(&x);
}

static void test_plan_many_problems(void **state)
{
    (void)state;
    char text[8192] = "type,title\n";
    for (int i = 0; i < 30; i++)
        strcat(text, "objective,\n");
    planned_t x;
    plan(&x, text);
    assert_int_equal(x.rc, 1);
    assert_int_equal(x.p.nproblems, 30);
    assert_int_equal(x.p.problems[0].line, 2);
    assert_int_equal(x.p.problems[29].line, 31);
    unplan(&x);
}

static void test_plan_key_result_first(void **state)
{
    (void)state;
    planned_t x;
    plan(&x, "type,title,target\nkey_result,orphan,3\n");
    has_problem(&x, 2, "a key result before any objective");
    unplan(&x);
}

static void test_plan_lookups(void **state)
{
    (void)state;
    okr_csv_t t;
    parse_ok("type,ref,parent,owner,owner_kind,title\n"
             "objective,O1,O100,alice,,a\n"
             "objective,O2,O1,Bob,user,b\n"
             "objective,O3,o100,Sales,team,c\n"
             "objective,O4,O200,ALICE,,d\n"
             "key_result,K1,O1,-,,e\n"
             "objective,O5,X9,  dave  ,,f\n",
             &t);
    uint64_t *ids;
    size_t n;
    assert_int_equal(okr_plan_server_refs(&t, &ids, &n), 0);
    assert_int_equal(n, 2); /* O1 is in the file; O100 once */
    assert_int_equal(ids[0], 100);
    assert_int_equal(ids[1], 200);
    free(ids);
    okr_plan_strings_t names = {0};
    assert_int_equal(okr_plan_usernames(&t, &names), 0);
    assert_int_equal(names.n, 3); /* alice (once), Bob, dave; not the team, not "-" */
    assert_string_equal(names.v[0], "alice");
    assert_string_equal(names.v[1], "Bob");
    assert_string_equal(names.v[2], "dave");
    okr_plan_strings_free(&names);
    okr_csv_free(&t);
}

/* A plan as one ImportRequest (protocol 1.6): objectives in the plan's
 * order (parents first) pointing at earlier ones by index or at the
 * server's by id, key results by their objective's index, a link by index
 * with no check-in, the check-in noted "imported" and dated as planned. */
static void test_request_from_plan(void **state)
{
    (void)state;
    planned_t x;
    plan(&x, "type,ref,parent,title,start,current,target,confidence,linked_objective\n"
             "key_result,K9,O5,Revenue,100,150,200,7,\n"
             "objective,O6,O5,Child,,,,,\n"
             "objective,O5,,Goal,,,,,\n"
             "objective,O7,O100,Under the server's,,,,,\n"
             "key_result,K10,O5,Child done,0,0,1,,O6\n");
    no_problems(&x);
    okr_import_request_t q;
    assert_int_equal(okr_import_request_build(&x.p, 7, &q), 0);
    const Okr__ImportRequest *r = &q.req;
    assert_int_equal(r->cycle_id, 7);
    assert_int_equal(r->n_objectives, 3);
    assert_int_equal(r->n_key_results, 2);
    for (size_t i = 0; i < 3; i++) {
        const Okr__ImportObjective *io = r->objectives[i];
        assert_int_equal(io->objective->cycle_id, 7);
        assert_string_equal(io->objective->title, x.p.objs[i].o.title);
        if (strcmp(x.p.objs[i].ref, "O6") == 0) {
            assert_true(io->has_parent_index);
            assert_string_equal(x.p.objs[io->parent_index].ref, "O5");
            assert_true(io->parent_index < i);
        } else if (strcmp(x.p.objs[i].ref, "O7") == 0) {
            assert_false(io->has_parent_index);
            assert_int_equal(io->objective->parent_id, 100);
        } else {
            assert_false(io->has_parent_index);
            assert_int_equal(io->objective->parent_id, 0);
        }
    }
    const Okr__ImportKeyResult *k9 = r->key_results[0], *k10 = r->key_results[1];
    assert_string_equal(x.p.objs[k9->objective_index].ref, "O5");
    assert_int_equal(k9->key_result->objective_id, 0);
    assert_non_null(k9->checkin);
    assert_true(k9->checkin->value == 150 && k9->checkin->has_confidence &&
                k9->checkin->confidence == 7);
    assert_string_equal(k9->checkin->note, "imported");
    assert_int_equal(k9->checkin->key_result_id, 0);
    assert_true(k10->has_linked_index);
    assert_string_equal(x.p.objs[k10->linked_index].ref, "O6");
    assert_int_equal(k10->key_result->linked_objective_id, 0);
    assert_null(k10->checkin);

    /* What the server takes in one import: 5 items, and this many bytes. */
    char msg[512];
    size_t frame = okr_import_request_frame_size(&q);
    Okr__Request req = OKR__REQUEST__INIT; /* as the client sends it, with the longest id */
    req.id = UINT64_MAX;
    req.op_case = OKR__REQUEST__OP_IMPORT_PLAN;
    req.import_plan = (Okr__ImportRequest *)r;
    Okr__Envelope env = OKR__ENVELOPE__INIT;
    env.msg_case = OKR__ENVELOPE__MSG_REQUEST;
    env.request = &req;
    assert_true(okr__envelope__get_packed_size(&env) <= frame);
    assert_int_equal(okr_import_request_fits(&q, 5, (uint32_t)frame, msg, sizeof msg), 0);
    assert_int_equal(okr_import_request_fits(&q, 0, 0, msg, sizeof msg), 0);
    assert_int_equal(okr_import_request_fits(&q, 2, 0, msg, sizeof msg), 1);
    assert_non_null(strstr(msg, "it has 5 objectives and key results, more than the 2 the server "
                                "takes in one import (its max_import_items): split it into 3 "
                                "files or more"));
    assert_int_equal(okr_import_request_fits(&q, 0, (uint32_t)frame - 1, msg, sizeof msg), 1);
    assert_non_null(strstr(msg, "(its max_frame): split it into 2 files or more"));
    okr_import_request_free(&q);
    unplan(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_csv_bom_lf_chinese_spaces),
        cmocka_unit_test(test_csv_cr_line_ends),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_csv_limits),
        cmocka_unit_test(test_plan_export_round_trip),
        cmocka_unit_test(test_plan_checkin_dates),
        cmocka_unit_test(test_plan_minimal_sheet),
        cmocka_unit_test(test_plan_missing_columns),
        cmocka_unit_test(test_plan_each_problem),
        cmocka_unit_test(test_plan_loops),
        cmocka_unit_test(test_plan_deep_chain_order),
        cmocka_unit_test(test_plan_many_problems),
        cmocka_unit_test(test_plan_key_result_first),
        cmocka_unit_test(test_plan_lookups),
        cmocka_unit_test(test_plan_key_result_limit),
        cmocka_unit_test(test_request_from_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
