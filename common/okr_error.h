/* okr_error.h — the one error enum of okr.
 *
 * 0 is success. The first block maps 1:1 to the protocol's Status codes
 * (proto/okr.proto); the second block is for failures that never cross the
 * wire as such (I/O, TLS, a closed connection) and map to STATUS_INTERNAL or
 * STATUS_UNAVAILABLE when they must be reported to a client. */
#ifndef OKR_ERROR_H
#define OKR_ERROR_H

#include "okr.pb-c.h"

typedef enum okr_err {
    OKR_OK = 0,
    OKR_E_BAD_REQUEST,
    OKR_E_UNAUTHENTICATED,
    OKR_E_FORBIDDEN,
    OKR_E_NOT_FOUND,
    OKR_E_CONFLICT,
    OKR_E_TOO_LARGE,
    OKR_E_RATE_LIMITED,
    OKR_E_UNAVAILABLE,
    OKR_E_INTERNAL,
    OKR_E_UNSUPPORTED,
    /* local only */
    OKR_E_IO,       /* a system call failed; errno tells more */
    OKR_E_NOMEM,    /* an allocation failed */
    OKR_E_PROTOCOL, /* the peer broke framing or the protocol */
    OKR_E_TLS,      /* handshake or verification failed */
    OKR_E_TIMEOUT,  /* a deadline passed */
    OKR_E_CLOSED,   /* the connection is gone */
    OKR_E_FULL,     /* the store's map reached its configured maximum */
} okr_err_t;

/* Returns a short English description; never NULL; static storage. */
const char *okr_strerror(int err);

/* Maps an okr_err_t to the protocol's Status, and back. Local-only errors
 * map to STATUS_INTERNAL (OKR_E_FULL to STATUS_UNAVAILABLE). */
Okr__Status okr_err_to_status(int err);
okr_err_t okr_status_to_err(Okr__Status status);

#endif
