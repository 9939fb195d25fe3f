/* log.h — one line per event that matters, with a UTC timestamp, to stderr.
 *
 * Format: "2026-11-27T10:35:04.123Z LEVEL message". Thread-safe (one fprintf
 * per line). */
#ifndef OKR_LOG_H
#define OKR_LOG_H

typedef enum { OKR_LOG_DEBUG = 0, OKR_LOG_INFO, OKR_LOG_WARN, OKR_LOG_ERROR } okr_log_level_t;

/* Lines below this level are dropped. Default OKR_LOG_INFO. */
void okr_log_set_level(okr_log_level_t level);

/* Parses "debug", "info", "warn" or "error"; returns -1 for anything else. */
int okr_log_parse_level(const char *name);

void okr_log(okr_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define okr_debug(...) okr_log(OKR_LOG_DEBUG, __VA_ARGS__)
#define okr_info(...)  okr_log(OKR_LOG_INFO, __VA_ARGS__)
#define okr_warn(...)  okr_log(OKR_LOG_WARN, __VA_ARGS__)
#define okr_error(...) okr_log(OKR_LOG_ERROR, __VA_ARGS__)

#endif
