/* kit_words.h — the words okr writes and reads for the domain's enums
 * (committed, team, percent, ...) and numbers as people type them. Shared by
 * the commands (cmd_kit.h includes it) and by what reads files people edit
 * (okr import's plan), so that a file written by okr export reads back with
 * the same words. No network, no state. */
#ifndef OKR_KIT_WORDS_H
#define OKR_KIT_WORDS_H

#include <stddef.h>

#include "okr.pb-c.h"

/* A word people type for one value of an enum. A table of them is both what
 * a command reads and what okr __complete offers, in that order. */
typedef struct okr_kit_word {
    const char *word;
    int value;
} okr_kit_word_t;

/* The value of s among words[0..n-1] into *value; 0, or -1 if none is s. */
int okr_kit_word_value(const okr_kit_word_t *words, size_t n, const char *s, int *value);

/* words[i].word, or NULL when i >= n. */
const char *okr_kit_word_at(const okr_kit_word_t *words, size_t n, size_t i);

/* A finite number ("12", "-3.5", "1e6") and nothing after it; 0 or -1. */
int okr_kit_parse_number(const char *s, double *out);

/* The word for each value (static strings). */
const char *okr_kit_kind_name(Okr__ObjectiveKind k);
const char *okr_kit_visibility_name(Okr__Visibility v);
const char *okr_kit_state_name(Okr__ObjectiveState s);
const char *okr_kit_cycle_state_name(Okr__CycleState s);
const char *okr_kit_metric_name(Okr__Metric m);

/* The value of a word, exactly as the *_name functions write it; 0 or -1. */
int okr_kit_parse_kind(const char *s, Okr__ObjectiveKind *k);
int okr_kit_parse_visibility(const char *s, Okr__Visibility *v);
int okr_kit_parse_metric(const char *s, Okr__Metric *m);

/* The i-th word the parse function of the same name reads, or NULL after
 * the last (static strings; what okr __complete offers). */
const char *okr_kit_kind_word(size_t i);
const char *okr_kit_visibility_word(size_t i);
const char *okr_kit_metric_word(size_t i);

/* The columns of okr export --format csv, in the order it writes them; okr
 * import reads the same names. */
extern const char *const okr_kit_csv_columns[];
extern const size_t okr_kit_csv_ncolumns;

#endif
