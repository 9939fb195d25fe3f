/* suggest.h — "did you mean": the known name closest to a mistyped one.
 *
 * For okr's commands and sub-commands, where a typo ("chekin", "obj ad")
 * otherwise costs a trip to --help. */
#ifndef OKR_SUGGEST_H
#define OKR_SUGGEST_H

#include <stddef.h>

/* The one of names[0..n) that typed most likely meant, or NULL when none is
 * close: within 1 edit for a name of up to 4 letters, 2 for longer ones (an
 * edit: a letter added, dropped, changed, or two neighbours swapped), or the
 * only name that typed is the beginning of. Ties go to the first name. */
const char *okr_suggest(const char *typed, const char *const *names, size_t n);

#endif
