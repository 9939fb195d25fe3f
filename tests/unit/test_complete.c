/* Unit tests: okr __complete, the candidates behind okr completion bash|zsh
 * (complete.h), computed from okr's own command table, sub-command tables
 * and option arrays; and that every command and sub-command is reachable
 * that way, so that a new one cannot be left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_kit.h"
#include "complete.h"
#include "okr_error.h"

#define MAX_WORDS 16

/* The candidates, space-separated, in the order given. */
typedef struct got {
    char text[4096];
    size_t n;
} got_t;

static void collect(void *arg, const char *candidate)
{
    got_t *g = arg;
    size_t used = strlen(g->text);
    snprintf(g->text + used, sizeof g->text - used, "%s%s", used ? " " : "", candidate);
    g->n++;
}

/* Completes line, split at each space (so "obj " is "obj" and the empty
 * word being typed). */
static got_t *complete(const char *line)
{
    static got_t g;
    static char copy[512];
    char *words[MAX_WORDS];
    int n = 0;
    snprintf(copy, sizeof copy, "%s", line);
    words[n++] = copy;
    for (char *p = copy; *p && n < MAX_WORDS; p++) {
        if (*p == ' ') {
            *p = '\0';
            words[n++] = p + 1;
        }
    }
    memset(&g, 0, sizeof g);
    okr_complete(n, words, collect, &g);
    return &g;
}

static const char *candidates(const char *line)
{
    return complete(line)->text;
}

/* 1 if word is one of the candidates for line. */
static int offers(const char *line, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = complete(line)->text; *p; p += strcspn(p, " "), p += *p == ' ')
        if (len && strncmp(p, word, len) == 0 && (p[len] == ' ' || p[len] == '\0'))
            return 1;
    return 0;
}

/* A line typed after "okr" and the candidates for its last word, in order. */
typedef struct line_case {
    const char *line, *want;
} line_case_t;

static void check_lines(const line_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *got = candidates(cases[i].line);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("okr %s<TAB>: got '%s', wanted '%s'", cases[i].line, got, cases[i].want);
    }
}

#define CHECK_LINES(cases) check_lines(cases, sizeof cases / sizeof cases[0])

static void test_commands(void **state)
{
    (void)state;
    static const line_case_t cases[] = {
        {"ch", "checkin"},
        {"lo", "login logout"},
        {"co", "comment completion"},
        {"zzz", ""},
        /* after okr's own options, their values skipped */
        {"--json --server okr.example.com:7433 --timeout 3 rev", "review"},
        {"--server=h:1 rev", "review"},
        /* help COMMAND and help GROUP SUB */
        {"help obj a", "add archive"},
        {"help checkin ", ""},
    };
    CHECK_LINES(cases);
    assert_true(offers("", "obj"));
    assert_true(offers("", "help"));
    assert_false(offers("", OKR_COMPLETE_COMMAND)); /* hidden */
    assert_true(offers("help ", "checkin"));
    assert_false(offers("help ", "help"));
}

static void test_sub_commands(void **state)
{
    (void)state;
    static const line_case_t cases[] = {
        {"obj ", "add list show edit rm archive"},
        {"kr s", "show"},
        {"team member ", "add rm"},
        {"completion ", "bash zsh"},
        {"task l", "list ls"},
        /* not after a name the group does not have, nor for a command without */
        {"obj nosuch ", ""},
        {"checkin ", ""},
        {"nosuch ", ""},
    };
    CHECK_LINES(cases);
}

static void test_options(void **state)
{
    (void)state;
    static const line_case_t cases[] = {
        {"review --s", "--since --stale-days --server"},
        {"-", "--version --server --ca --trust --json --timeout --help"},
        {"team member add --", "--lead --server --ca --trust --json --timeout --help"},
        {"obj add --d", "--description --draft"},
        /* after positional arguments and option values, in any order */
        {"checkin K12 40 -m note --con", "--confidence"},
        {"export --cycle 2026-Q1 --ou", "--output"},
        /* after "--" everything is an argument */
        {"obj add -- --d", ""},
        /* a value is not an option: --note's here */
        {"checkin K12 40 --note --", ""},
    };
    CHECK_LINES(cases);
    /* a sub-command's, not its group's */
    assert_false(offers("obj list --", "--draft"));
    assert_true(offers("obj list --", "--all"));
}

static void test_values(void **state)
{
    (void)state;
    static const line_case_t cases[] = {
        {"export --format ", "html svg dot csv json md"},
        {"export --format=j", "--format=json"},
        {"export --form=s", "--form=svg"}, /* as typed */
        {"report --format ", "text md markdown"},
        {"kr add O1 Grow --metric p", "percent"},
        {"kr edit K1 --metric ", "number percent currency boolean"},
        {"obj edit O1 --state ", "draft active"},
        {"obj edit O1 --kind ", "committed aspirational"},
        {"obj add T --visibility ", "public team"},
        {"user add bob --role ", "admin member"},
        {"user role bob ", "admin member"},
        {"user role ", ""}, /* the user: the server knows */
        /* a value that is not one of a set: nothing, not the options */
        {"review --since ", ""},
        {"export --cycle --", ""},
    };
    CHECK_LINES(cases);
}

static void test_files(void **state)
{
    (void)state;
    static const line_case_t cases[] = {
        {"import ", OKR_COMPLETE_FILES},
        {"import --dry-run q", OKR_COMPLETE_FILES},
        {"import --cycle 2026-Q2 ", OKR_COMPLETE_FILES},
        {"import q1.csv ", ""}, /* one file */
        {"export -o ", OKR_COMPLETE_FILES},
        {"export --output=o", OKR_COMPLETE_FILES},
        {"--ca ", OKR_COMPLETE_FILES},
        {"obj list --ca ", OKR_COMPLETE_FILES},
        {"obj add ", ""}, /* a title */
    };
    CHECK_LINES(cases);
}

static void test_utf8(void **state)
{
    (void)state;
    static const line_case_t cases[] = {
        {"obj add 提升客户满意度 --vis", "--visibility"},
        {"obj add --parent O3 \"增长 用户\" --visibility t", "team"},
        {"checkin K12 40 -m 本周完成 -",
         "--confidence --note --message --at --all --stale --server --ca --trust --json "
         "--timeout --help"},
        {"提升", ""},
        {"obj 提升 ", ""},
        {"--format=\xff\xfe", ""}, /* not even UTF-8 */
    };
    CHECK_LINES(cases);
}

/* ---- every command and sub-command is completable */

/* Checks the command (or group) named by the n words, and everything under
 * it: it is offered where it is typed, and it hands over its options. The
 * first problem goes into problem (stdout is not the terminal then). */
static void check_tree(char **words, int n, char *problem, size_t len)
{
    char line[256] = "";
    for (int i = 0; i < n; i++) {
        size_t used = strlen(line);
        snprintf(line + used, sizeof line - used, "%s ", words[i]);
    }
    /* offered after the words before it, and after help */
    char before[256], help[300];
    snprintf(before, sizeof before, "%.*s", (int)(strlen(line) - strlen(words[n - 1]) - 1), line);
    snprintf(help, sizeof help, "help %s", before);
    okr_cli_probe_t p;
    char dashes[300];
    snprintf(dashes, sizeof dashes, "%s--", line);
    if (problem[0])
        return;
    if (!offers(before, words[n - 1]) || !offers(help, words[n - 1]))
        snprintf(problem, len, "'%s' is not offered after 'okr %s'", words[n - 1], before);
    else if (okr_cli_probe(&p, n, words) != 0 || p.depth != n)
        snprintf(problem, len, "'okr %s' does not reach its command", line);
    else if (p.subs && (p.nsubs == 0 || n >= MAX_WORDS - 1))
        snprintf(problem, len, "'okr %s' has no sub-commands", line);
    else if (!p.subs && (!p.longopts || !offers(dashes, "--help") || !offers(dashes, "--server")))
        snprintf(problem, len, "'okr %s' hands no options to okr __complete", line);
    for (size_t i = 0; p.subs && !problem[0] && i < p.nsubs; i++) {
        words[n] = (char *)p.subs[i].name;
        check_tree(words, n + 1, problem, len);
    }
}

static void test_every_command(void **state)
{
    (void)state;
    /* Nothing may be printed on the way: it would be taken for candidates. */
    fflush(stdout);
    FILE *out = tmpfile();
    assert_non_null(out);
    int saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(out), STDOUT_FILENO) >= 0);
    char problem[512] = "";
    size_t ncommands = 0;
    const char *name;
    for (size_t i = 0; (name = okr_cli_command_name(i)) != NULL; i++) {
        if (strcmp(name, "help") == 0)
            continue;
        char *words[MAX_WORDS] = {(char *)name};
        check_tree(words, 1, problem, sizeof problem);
        ncommands++;
    }
    fflush(stdout);
    off_t printed = lseek(fileno(out), 0, SEEK_END);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    fclose(out);
    if (problem[0])
        fail_msg("%s", problem);
    assert_int_equal(printed, 0);
    assert_true(ncommands > 20);
}

/* The hints name commands and options that exist, and their words are there. */
static void test_hints(void **state)
{
    (void)state;
    size_t n;
    const okr_complete_hint_t *hints = okr_complete_hints(&n);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        const okr_complete_hint_t *h = &hints[i];
        const struct option *longopts = okr_cli_longopts;
        if (h->path) {
            char copy[128], *words[MAX_WORDS];
            int nw = 0;
            snprintf(copy, sizeof copy, "%s", h->path);
            for (char *save, *w = strtok_r(copy, " ", &save); w && nw < MAX_WORDS;
                 w = strtok_r(NULL, " ", &save))
                words[nw++] = w;
            okr_cli_probe_t p;
            if (okr_cli_probe(&p, nw, words) != 0 || p.depth != nw || !p.longopts)
                fail_msg("hint %zu: no command 'okr %s'", i, h->path);
            longopts = p.longopts;
        }
        if (h->option) {
            const struct option *o = longopts;
            while (o->name && strcmp(o->name, h->option) != 0)
                o++;
            if (!o->name || o->has_arg != required_argument)
                fail_msg("hint %zu: 'okr %s' has no --%s VALUE", i, h->path ? h->path : "",
                         h->option);
        } else {
            assert_non_null(h->path);
            assert_true(h->position >= 1);
        }
        if (h->words)
            assert_non_null(h->words(0));
    }
}

/* Probe mode never connects, even for a command that would before reading
 * its options. */
static void test_probe_never_connects(void **state)
{
    (void)state;
    okr_cli_probe_t p = {0};
    okr_cli_t cli = {.probe = &p};
    char err[128];
    assert_int_equal(okr_cli_try_connect(&cli, err, sizeof err), OKR_E_INTERNAL);
    assert_null(cli.client);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_sub_commands),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_every_command),
        cmocka_unit_test(test_hints),
        cmocka_unit_test(test_probe_never_connects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
