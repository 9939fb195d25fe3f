/* placeholder: being written; every operation answers UNSUPPORTED for now */
#include "okr_error.h"
#include "request.h"

void okr_handle_key_result_create(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_key_result_update(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_key_result_get(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_key_result_list(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

void okr_handle_key_result_delete(okr_req_t *r)
{
    okr_req_fail(r, OKR_E_UNSUPPORTED, "not implemented yet");
}

