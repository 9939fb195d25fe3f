/* complete.h — okr __complete: what may come next on an okr command line,
 * for the shell's TAB (the scripts of okr completion bash|zsh call it).
 *
 * The candidates come from the tables okr reads its command line with, so
 * they cannot drift from it: the command table and okr_cli_longopts (cli.c),
 * and each command's sub-commands and options, which okr_cli_probe gets from
 * the command itself (its okr_kit_dispatch or okr_cli_getopt hands them
 * over, and nothing runs). What no table says — which options take a file
 * or one of a fixed set of words — is in the hints (okr_complete_hints),
 * whose words are the lists the commands read.
 *
 * It never connects, prompts, or reads a file: names of objectives, teams
 * or cycles, which only the server knows, are not completed.
 */
#ifndef OKR_COMPLETE_H
#define OKR_COMPLETE_H

#include <stddef.h>

/* The hidden command the completion scripts run: okr __complete WORDS... */
#define OKR_COMPLETE_COMMAND "__complete"

/* The line that asks the shell to complete a file name there (no candidate
 * starts with ':'); the scripts of okr completion look for it. */
#define OKR_COMPLETE_FILES ":files"

/* The i-th word of a fixed set, or NULL after the last. */
typedef const char *(*okr_complete_words_fn)(size_t i);

/* What the value of an option, or a positional argument, of a command is. */
typedef struct okr_complete_hint {
    const char *path;            /* the command ("obj edit"); NULL: every command, and okr */
    const char *option;          /* a long option's name, without "--"; NULL: positional */
    int position;                /* with option NULL: which argument, 1 the first */
    okr_complete_words_fn words; /* one of these words; NULL: a file name */
} okr_complete_hint_t;

/* The hints (a static table of *n). */
const okr_complete_hint_t *okr_complete_hints(size_t *n);

/* Calls emit(arg, candidate) for each candidate for words[n - 1], the word
 * being typed (maybe ""), after words[0 .. n - 2], the words typed before it
 * after "okr" (the shell's, unquoted or not: quotes do not matter here),
 * each once, in the order of okr's tables; and with OKR_COMPLETE_FILES when
 * a file name fits there. A candidate is the whole word ("--format=md" for
 * "--format=m"). n 0 is as one empty word. The strings passed to emit are
 * valid during the call only. */
void okr_complete(int n, char **words, void (*emit)(void *arg, const char *candidate), void *arg);

/* okr __complete WORDS...: okr_complete's candidates on stdout, one a line.
 * Returns the exit code (0). */
int okr_complete_main(int argc, char **argv);

/* The word lists the commands read, for the hints (in their cmd_*.c). */
const char *okr_export_format_word(size_t i);
const char *okr_report_format_word(size_t i);
const char *okr_obj_state_word(size_t i);

#endif
