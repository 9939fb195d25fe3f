#include "okr_error.h"

const char *okr_strerror(int err)
{
    switch ((okr_err_t)err) {
    case OKR_OK:
        return "ok";
    case OKR_E_BAD_REQUEST:
        return "bad request";
    case OKR_E_UNAUTHENTICATED:
        return "not authenticated";
    case OKR_E_FORBIDDEN:
        return "forbidden";
    case OKR_E_NOT_FOUND:
        return "not found";
    case OKR_E_CONFLICT:
        return "conflict";
    case OKR_E_TOO_LARGE:
        return "too large";
    case OKR_E_RATE_LIMITED:
        return "rate limited";
    case OKR_E_UNAVAILABLE:
        return "unavailable";
    case OKR_E_INTERNAL:
        return "internal error";
    case OKR_E_UNSUPPORTED:
        return "unsupported";
    case OKR_E_IO:
        return "i/o error";
    case OKR_E_NOMEM:
        return "out of memory";
    case OKR_E_PROTOCOL:
        return "protocol error";
    case OKR_E_TLS:
        return "tls error";
    case OKR_E_TIMEOUT:
        return "timed out";
    case OKR_E_CLOSED:
        return "connection closed";
    case OKR_E_FULL:
        return "store full";
    }
    return "unknown error";
}

Okr__Status okr_err_to_status(int err)
{
    switch ((okr_err_t)err) {
    case OKR_OK:
        return OKR__STATUS__STATUS_OK;
    case OKR_E_BAD_REQUEST:
        return OKR__STATUS__STATUS_BAD_REQUEST;
    case OKR_E_UNAUTHENTICATED:
        return OKR__STATUS__STATUS_UNAUTHENTICATED;
    case OKR_E_FORBIDDEN:
        return OKR__STATUS__STATUS_FORBIDDEN;
    case OKR_E_NOT_FOUND:
        return OKR__STATUS__STATUS_NOT_FOUND;
    case OKR_E_CONFLICT:
        return OKR__STATUS__STATUS_CONFLICT;
    case OKR_E_TOO_LARGE:
        return OKR__STATUS__STATUS_TOO_LARGE;
    case OKR_E_RATE_LIMITED:
        return OKR__STATUS__STATUS_RATE_LIMITED;
    case OKR_E_UNAVAILABLE:
        return OKR__STATUS__STATUS_UNAVAILABLE;
    case OKR_E_UNSUPPORTED:
        return OKR__STATUS__STATUS_UNSUPPORTED;
    case OKR_E_FULL:
        return OKR__STATUS__STATUS_UNAVAILABLE;
    default:
        return OKR__STATUS__STATUS_INTERNAL;
    }
}

okr_err_t okr_status_to_err(Okr__Status status)
{
    switch (status) {
    case OKR__STATUS__STATUS_OK:
        return OKR_OK;
    case OKR__STATUS__STATUS_BAD_REQUEST:
        return OKR_E_BAD_REQUEST;
    case OKR__STATUS__STATUS_UNAUTHENTICATED:
        return OKR_E_UNAUTHENTICATED;
    case OKR__STATUS__STATUS_FORBIDDEN:
        return OKR_E_FORBIDDEN;
    case OKR__STATUS__STATUS_NOT_FOUND:
        return OKR_E_NOT_FOUND;
    case OKR__STATUS__STATUS_CONFLICT:
        return OKR_E_CONFLICT;
    case OKR__STATUS__STATUS_TOO_LARGE:
        return OKR_E_TOO_LARGE;
    case OKR__STATUS__STATUS_RATE_LIMITED:
        return OKR_E_RATE_LIMITED;
    case OKR__STATUS__STATUS_UNAVAILABLE:
        return OKR_E_UNAVAILABLE;
    case OKR__STATUS__STATUS_UNSUPPORTED:
        return OKR_E_UNSUPPORTED;
    default:
        return OKR_E_INTERNAL;
    }
}
