/* handle_named.h — reading a team or a cycle named by id or by name. */
#ifndef OKR_HANDLE_NAMED_H
#define OKR_HANDLE_NAMED_H

#include <stdint.h>

#include "okr.pb-c.h"
#include "request.h"

/* Answers r with the team or cycle (kind) whose id is id, or, when id is 0,
 * whose name is name (case-insensitive); NOT_FOUND and BAD_REQUEST say
 * which noun ("team", "cycle") was missing. */
void okr_reply_named(okr_req_t *r, Okr__EntityKind kind, uint64_t id, const char *name);

#endif
