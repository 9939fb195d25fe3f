/* placeholder: being written; every operation answers UNSUPPORTED for now */
#include "okr_error.h"
#include "request.h"

void okr_handle_checkin(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_checkin_list(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

