/* trend.h — progress over time as okr shows it (TrendRequest, protocol
 * 1.3): asked for beside what a command already asks, so it costs no round
 * trip of its own, and left out without a word by an older okrd. */
#ifndef OKR_TREND_H
#define OKR_TREND_H

#include <jansson.h>
#include <stdint.h>

#include "cli.h"

/* One objective's trend in flight, then answered. */
typedef struct okr_trend {
    uint64_t objective_id;
    Okr__TrendRequest in;
    Okr__Request req;
    uint64_t sent; /* 0: not asked */
    Okr__Response *resp;
} okr_trend_t;

/* Asks for the objective's weekly trend without waiting (not when the
 * server is known to be older than 1.3). t must stay where it is until
 * okr_trend_take. Never fails the command: at worst nothing is asked. */
void okr_trend_send(okr_cli_t *cli, uint64_t objective_id, okr_trend_t *t);

/* Takes the answer: the trend, or NULL (not asked, refused, too busy, an
 * older okrd).
 * Valid until okr_trend_free. 0, or an exit code if the connection failed
 * (already printed). */
int okr_trend_take(okr_cli_t *cli, okr_trend_t *t, const Okr__ObjectiveTrend **out);

void okr_trend_free(okr_trend_t *t);

/* The series of one of the objective's key results, or NULL. */
const Okr__KeyResultTrend *okr_trend_kr(const Okr__ObjectiveTrend *t, uint64_t kr_id);

/* Prints the "trend" field line of a show command: the sparkline, then
 * "12% → 62% over 8 weeks". Nothing for fewer than 2 points. */
void okr_trend_print(const Okr__ObjectiveTrend *t, const double *progress, size_t n);

/* The server's reason when resp refused a trend as too busy (UNAVAILABLE:
 * asking again shortly gets it), made safe for a terminal; free it. NULL for
 * any other answer (or when out of memory). */
char *okr_trend_busy_reason(const Okr__Response *resp);

/* In place of that line when the server was too busy to compute the trend
 * (UNAVAILABLE: asking again shortly gets it), "trend  not now: " and the
 * server's reason; nothing for any other answer, or when t is NULL. */
void okr_trend_print_busy(const okr_trend_t *t);

/* For --json: {"at": [ms...], "progress": [...], "key_results": [{"id",
 * "progress"}...]}; JSON null for no trend, NULL when out of memory. */
json_t *okr_trend_json(const Okr__ObjectiveTrend *t);

/* Likewise for one key result: {"at", "progress"} or JSON null. */
json_t *okr_trend_kr_json(const Okr__ObjectiveTrend *t, uint64_t kr_id);

#endif
