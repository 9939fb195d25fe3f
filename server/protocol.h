/* protocol.h — the protocol version okrd speaks (Hello).
 *
 * 1.1: titles in a CheckInResult's ancestors; 1.2: user_set_password,
 * user_activate, user_set_name; 1.3: dated check-ins, trends; 1.4:
 * MineRequest.feedback_since; 1.5: a cycle's check-ins and comments since a
 * time (CheckInListRequest and CommentListRequest cycle_id, since),
 * objectives listed with their key results
 * (ObjectiveListRequest.with_key_results), ObjectiveDetail.linked,
 * session_list, session_revoke; 1.6: HelloResult.max_key_results_per_objective,
 * import_plan (ImportRequest: a whole import as one write, all or nothing)
 * and HelloResult.max_import_items.
 */
#ifndef OKR_PROTOCOL_H
#define OKR_PROTOCOL_H

#include "config.h"

#define OKR_SERVER_PROTOCOL_MAJOR 1
#define OKR_SERVER_PROTOCOL_MINOR 6

/* The minor from which a request's field or a result's is known. */
#define OKR_PROTOCOL_CYCLE_LISTS 5 /* cycle_id, since, with_key_results, linked */
#define OKR_PROTOCOL_LIMITS      6 /* HelloResult.max_key_results_per_objective */
#define OKR_PROTOCOL_IMPORT      6 /* import_plan, HelloResult.max_import_items */

/* The minor this okrd speaks: its own, or the older one of the test setting
 * test_protocol_minor, whose later additions it then leaves out as an okrd
 * of that version would (ignores those fields of a request, sends none in
 * a result), so that tests can drive the clients' ways around them. */
static inline unsigned okr_protocol_minor(const okr_config_t *cfg)
{
    return cfg->test_protocol_minor ? (unsigned)cfg->test_protocol_minor
                                    : OKR_SERVER_PROTOCOL_MINOR;
}

#endif
