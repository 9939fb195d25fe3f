/* kit_words.h — the words okr writes and reads for the domain's enums
 * (committed, team, percent, ...) and numbers as people type them. Shared by
 * the commands (cmd_kit.h includes it) and by what reads files people edit
 * (okr import's plan), so that a file written by okr export reads back with
 * the same words. No network, no state. */
#ifndef OKR_KIT_WORDS_H
#define OKR_KIT_WORDS_H

#include "okr.pb-c.h"

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

/* The columns of okr export --format csv, in the order it writes them; okr
 * import reads the same names. */
extern const char *const okr_kit_csv_columns[];
extern const size_t okr_kit_csv_ncolumns;

#endif
