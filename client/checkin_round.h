/* checkin_round.h — okr checkin --all: the weekly round.
 *
 * The seed's rhythm is a check-in on every key result every week. Typing
 * `okr checkin K34 42` five times, looking up each id, is what makes people
 * skip it; the round asks for each of their key results in turn instead,
 * showing where it stands, and records each answer at once. */
#ifndef OKR_CHECKIN_ROUND_H
#define OKR_CHECKIN_ROUND_H

#include <stdint.h>

#include "cli.h"

typedef struct okr_checkin_round_opts {
    int stale_only; /* only the key results without a recent check-in */
    int64_t at;     /* --at: every check-in dated then; 0 = now */
} okr_checkin_round_opts_t;

/* Runs the round: your key results (of active cycles, not linked ones),
 * each shown, then its value, confidence and note asked for — from the
 * terminal, or one answer per line from standard input when it is not one.
 * Enter skips a key result, "q" or the end of input ends the round. Each
 * check-in is recorded as soon as it is answered; a refused one is reported
 * and the round goes on. Then a summary (or --json). An exit code. */
int okr_checkin_round(okr_cli_t *cli, const okr_checkin_round_opts_t *o);

/* Checks, after connecting, that the server can date a check-in (protocol
 * 1.3): an older one would ignore CheckInRequest.at and record the value as
 * of now. 0 or an exit code (printed). */
int okr_checkin_server_dates(okr_cli_t *cli);

#endif
