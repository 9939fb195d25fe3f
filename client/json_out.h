/* json_out.h — the OKR domain's messages as JSON for `okr --json`.
 *
 * Each function returns a new reference (the caller owns it: pass it to
 * json_object_set_new / json_array_append_new / okr_cli_print_json, or
 * json_decref it), or NULL only when out of memory. The message is only read.
 *
 * Field names are the proto field names (snake_case). Enums are lower-case
 * words without their prefix ("active", "committed", "on_track"); times are
 * milliseconds since the epoch as integers; ids are integers (0 = none).
 */
#ifndef OKR_JSON_OUT_H
#define OKR_JSON_OUT_H

#include <jansson.h>

#include "okr.pb-c.h"

json_t *okr_json_objective(const Okr__Objective *o);
json_t *okr_json_key_result(const Okr__KeyResult *kr);
/* An array of n key results; NULL when out of memory. */
json_t *okr_json_key_results(Okr__KeyResult *const *krs, size_t n);
json_t *okr_json_team(const Okr__Team *t);
json_t *okr_json_cycle(const Okr__Cycle *c);
json_t *okr_json_checkin(const Okr__CheckIn *ci);
json_t *okr_json_task(const Okr__Task *t);
json_t *okr_json_comment(const Okr__Comment *c);
json_t *okr_json_lint_finding(const Okr__LintFinding *f);
json_t *okr_json_progress_update(const Okr__ProgressUpdate *u);

#endif
