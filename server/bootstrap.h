/* bootstrap.h — what okrd does once at start: TLS material and the first admin. */
#ifndef OKR_BOOTSTRAP_H
#define OKR_BOOTSTRAP_H

#include "server.h"

/* Loads the configured certificate and key, or with none configured, the
 * ones in the data directory, generating a self-signed ECDSA P-256 pair there
 * on first start. Sets srv->tls and srv->fingerprint and prints the
 * fingerprint. Returns 0 or -1 after logging why. */
int okr_bootstrap_tls(okr_server_t *srv);

/* With no user in the store, creates the admin "admin" with the password from
 * admin_password_file or a generated one printed once on stdout. Also fills
 * srv->dummy_hash. Runs before the writer starts. Returns 0 or -1. */
int okr_bootstrap_users(okr_server_t *srv);

#endif
