/* placeholder: being written; every operation answers UNSUPPORTED for now */
#include "okr_error.h"
#include "request.h"

void okr_handle_team_create(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_team_update(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_team_get(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_team_list(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_team_set_member(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

