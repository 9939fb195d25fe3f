/* placeholder: being written; every operation answers UNSUPPORTED for now */
#include "okr_error.h"
#include "request.h"

void okr_handle_lint(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_history(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_mine(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

