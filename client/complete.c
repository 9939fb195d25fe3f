/* complete.c — okr __complete (see complete.h): reads the words typed so far
 * as okr_cli_main and the commands read them, with the same tables, and
 * offers what may come next. */
#include "complete.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_kit.h"

#define COMPLETE_PATH_MAX 128 /* "team member add" */
#define COMPLETE_WORD_MAX 256 /* a candidate: "--visibility=public" */

/* What no table says. Each is checked against the command's own options
 * by the unit test, so a renamed option or command cannot leave one behind. */
static const okr_complete_hint_t complete_hints[] = {
    {NULL, "ca", 0, NULL},
    {"export", "format", 0, okr_export_format_word},
    {"export", "output", 0, NULL},
    {"import", NULL, 1, NULL},
    {"report", "format", 0, okr_report_format_word},
    {"obj add", "visibility", 0, okr_kit_visibility_word},
    {"obj edit", "kind", 0, okr_kit_kind_word},
    {"obj edit", "visibility", 0, okr_kit_visibility_word},
    {"obj edit", "state", 0, okr_obj_state_word},
    {"kr add", "metric", 0, okr_kit_metric_word},
    {"kr edit", "metric", 0, okr_kit_metric_word},
    {"user add", "role", 0, okr_cli_role_word},
    {"user role", NULL, 2, okr_cli_role_word},
};

#define COMPLETE_NHINTS (sizeof complete_hints / sizeof complete_hints[0])

const okr_complete_hint_t *okr_complete_hints(size_t *n)
{
    *n = COMPLETE_NHINTS;
    return complete_hints;
}

typedef struct complete {
    const char *cur; /* the word being typed */
    void (*emit)(void *arg, const char *candidate);
    void *arg;
} complete_t;

/* What the words before the one being typed say. */
typedef struct complete_scan {
    int end;                /* stop_at_first: the index of the first positional word */
    int npos;               /* positional words */
    int dashdash;           /* after "--": every word is positional */
    int value_of;           /* the word being typed is the value of an option */
    const char *value_name; /* that option's long name; NULL: a short one without */
} complete_scan_t;

/* Offers prefix (its first len bytes) and word as one candidate, if it
 * starts with the word being typed. */
static void complete__offer(const complete_t *c, const char *prefix, size_t len, const char *word)
{
    char cand[COMPLETE_WORD_MAX];
    int n = snprintf(cand, sizeof cand, "%.*s%s", (int)len, prefix, word);
    if (n > 0 && (size_t)n < sizeof cand && strncmp(cand, c->cur, strlen(c->cur)) == 0)
        c->emit(c->arg, cand);
}

/* For a word of short options ("-o", "-dTEXT"): 1 if the next word is the
 * value of its last one, with *name its long name (NULL: none). */
static int complete__short(const char *word, const char *shortopts, const struct option *longopts,
                           const char **name)
{
    for (const char *p = word + 1; *p; p++) {
        const char *at = *p != ':' && *p != '+' ? strchr(shortopts, *p) : NULL;
        if (!at || at[1] != ':')
            continue;
        if (p[1]) /* the value is the rest of the word */
            return 0;
        *name = NULL;
        for (const struct option *o = longopts; o && o->name; o++)
            if (!o->flag && o->val == *p)
                *name = o->name;
        return 1;
    }
    return 0;
}

/* Reads words[from .. to - 1] as getopt_long would with these options;
 * stop_at_first: up to the first positional word (okr's "+", the command). */
static void complete__scan(char **words, int from, int to, const struct option *longopts,
                           const char *shortopts, int stop_at_first, complete_scan_t *s)
{
    memset(s, 0, sizeof *s);
    s->end = to;
    for (int i = from; i < to; i++) {
        const char *w = words[i];
        if (s->dashdash || w[0] != '-' || w[1] == '\0') {
            if (stop_at_first) {
                s->end = i;
                return;
            }
            s->npos++;
            continue;
        }
        if (strcmp(w, "--") == 0) {
            s->dashdash = 1;
            continue;
        }
        const char *name = NULL;
        int takes_value;
        if (w[1] == '-') {
            const char *eq = strchr(w, '=');
            size_t len = eq ? (size_t)(eq - w - 2) : strlen(w + 2);
            const struct option *o = okr_cli_long_option(longopts, w + 2, len);
            takes_value = o && !eq && o->has_arg == required_argument;
            name = o ? o->name : NULL;
        } else {
            takes_value = complete__short(w, shortopts, longopts, &name);
        }
        if (takes_value && ++i == to) {
            s->value_of = 1;
            s->value_name = name;
        }
    }
}

static int complete__hint_for(const okr_complete_hint_t *h, const char *path)
{
    return !h->path || strcmp(h->path, path) == 0;
}

/* A hint's candidates: its words, after the first len bytes of prefix; or
 * file names. */
static void complete__hint(const complete_t *c, const okr_complete_hint_t *h, const char *prefix,
                           size_t len)
{
    if (!h->words) {
        c->emit(c->arg, OKR_COMPLETE_FILES);
        return;
    }
    const char *w;
    for (size_t i = 0; (w = h->words(i)) != NULL; i++)
        complete__offer(c, prefix, len, w);
}

/* The value of the option name of the command path, typed after the first
 * len bytes of the word ("--format=" of "--format=m"). */
static void complete__value(const complete_t *c, const char *path, const char *name, size_t len)
{
    for (size_t i = 0; name && i < COMPLETE_NHINTS; i++) {
        const okr_complete_hint_t *h = &complete_hints[i];
        if (h->option && strcmp(h->option, name) == 0 && complete__hint_for(h, path))
            complete__hint(c, h, c->cur, len);
    }
}

/* The position-th positional argument of the command path; okr's own ("")
 * is the command. */
static void complete__positional(const complete_t *c, const char *path, int position)
{
    const char *name;
    if (!path[0]) {
        for (size_t i = 0; (name = okr_cli_command_name(i)) != NULL; i++)
            complete__offer(c, "", 0, name);
        return;
    }
    for (size_t i = 0; i < COMPLETE_NHINTS; i++) {
        const okr_complete_hint_t *h = &complete_hints[i];
        if (!h->option && h->position == position && complete__hint_for(h, path))
            complete__hint(c, h, "", 0);
    }
}

/* The word being typed, after words the scan read, for the command path
 * with these options. */
static void complete__word(const complete_t *c, const char *path, const struct option *longopts,
                           const complete_scan_t *s)
{
    const char *cur = c->cur;
    if (s->value_of) {
        complete__value(c, path, s->value_name, 0);
        return;
    }
    if (s->dashdash || cur[0] != '-') {
        complete__positional(c, path, s->npos + 1);
        return;
    }
    const char *eq = strchr(cur, '=');
    if (cur[1] == '-' && eq) {
        const struct option *o = okr_cli_long_option(longopts, cur + 2, (size_t)(eq - cur - 2));
        if (o && o->has_arg != no_argument)
            complete__value(c, path, o->name, (size_t)(eq + 1 - cur));
        return;
    }
    for (const struct option *o = longopts; o && o->name; o++)
        complete__offer(c, "--", 2, o->name);
}

static void complete__subs(const complete_t *c, const okr_cli_probe_t *p)
{
    for (size_t i = 0; i < p->nsubs; i++)
        complete__offer(c, "", 0, p->subs[i].name);
}

/* okr help [COMMAND [SUB...]]: n words typed after help, before this one. */
static void complete__help(const complete_t *c, int n, char **words)
{
    const char *name;
    okr_cli_probe_t p;
    if (n == 0) {
        for (size_t i = 0; (name = okr_cli_command_name(i)) != NULL; i++)
            if (strcmp(name, "help") != 0)
                complete__offer(c, "", 0, name);
    } else if (okr_cli_probe(&p, n, words) == 0 && p.subs && p.depth == n) {
        complete__subs(c, &p);
    }
}

void okr_complete(int n, char **words, void (*emit)(void *arg, const char *candidate), void *arg)
{
    static char empty[] = "";
    char *none[] = {empty};
    if (n < 1) {
        n = 1;
        words = none;
    }
    complete_t c = {words[n - 1], emit, arg};
    complete_scan_t s;
    complete__scan(words, 0, n - 1, okr_cli_longopts, "h", 1, &s);
    if (s.end == n - 1) { /* still before the command */
        complete__word(&c, "", okr_cli_longopts, &s);
        return;
    }
    int first = s.end;
    if (strcmp(words[first], "help") == 0) {
        complete__help(&c, n - 2 - first, words + first + 1);
        return;
    }
    okr_cli_probe_t p;
    if (okr_cli_probe(&p, n - 1 - first, words + first) != 0)
        return;
    int next = first + p.depth; /* the first word after the command's names */
    if (p.subs) {
        if (next == n - 1)
            complete__subs(&c, &p);
        return;
    }
    char path[COMPLETE_PATH_MAX] = "";
    for (int i = first; i < next; i++) {
        size_t used = strlen(path);
        snprintf(path + used, sizeof path - used, "%s%s", used ? " " : "", words[i]);
    }
    complete__scan(words, next, n - 1, p.longopts, p.shortopts, 0, &s);
    complete__word(&c, path, p.longopts, &s);
}

static void complete__print(void *arg, const char *candidate)
{
    (void)arg;
    puts(candidate);
}

int okr_complete_main(int argc, char **argv)
{
    okr_complete(argc, argv, complete__print, NULL);
    return fflush(stdout) == 0 ? OKR_EXIT_OK : OKR_EXIT_ERROR;
}
