/* placeholder: being written; every operation answers UNSUPPORTED for now */
#include "okr_error.h"
#include "request.h"

void okr_handle_cycle_create(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_cycle_update(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_cycle_get(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_cycle_list(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_cycle_close(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_cycle_start_from(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

