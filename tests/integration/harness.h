/* harness.h — integration tests against a real okrd process.
 *
 * Each test server runs the real okrd binary on 127.0.0.1 with an ephemeral
 * port (okrd writes the bound port to a file), a temporary data directory and
 * a known first-admin password, over real TLS. Clients pin its certificate in
 * a known-servers file inside the same temporary directory. Password hashing
 * uses small argon2id parameters so the suite stays fast; the defaults are
 * exercised by the unit tests.
 */
#ifndef OKR_TEST_HARNESS_H
#define OKR_TEST_HARNESS_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "client.h"

#define TS_ADMIN_PASSWORD "admin-password-1"
#define TS_MAX_ARGS       32

typedef struct okr_test_server {
    pid_t pid;
    char dir[256]; /* temporary directory: data/, okrd.log, known_servers */
    char data_dir[300];
    char log_path[300];
    char known_servers[300];
    uint16_t port;
    const char *extra[TS_MAX_ARGS]; /* extra okrd arguments, NULL-terminated */
} okr_test_server_t;

/* Creates the directory (first call) and starts okrd; waits until it listens.
 * extra: additional okrd arguments (NULL-terminated array, or NULL). Fails
 * the test on error. */
void ts_start(okr_test_server_t *ts, const char *const *extra);

/* SIGTERM, waits for exit, asserts exit status 0. */
void ts_stop(okr_test_server_t *ts);

/* SIGKILL and reap. */
void ts_kill(okr_test_server_t *ts);

/* Stops the server if running and removes the directory. */
void ts_cleanup(okr_test_server_t *ts);

/* 1 if okrd is still running. */
int ts_alive(okr_test_server_t *ts);

/* A connected client (pins the server's certificate on first use). Fails
 * the test if it cannot connect. */
okr_client_t *ts_connect(okr_test_server_t *ts);

/* Connect and log in; fails the test if login fails. */
okr_client_t *ts_login(okr_test_server_t *ts, const char *user, const char *password);

/* Creates a user through an admin client. Returns the status as okr_err_t. */
int ts_create_user(okr_client_t *admin, const char *username, const char *password, Okr__Role role);

/* One request, returning the response status as okr_err_t (and the response
 * in *out if out is not NULL; free with okr__response__free_unpacked). */
int ts_call(okr_client_t *c, Okr__Request *req, Okr__Response **out);

/* A blocking TCP socket to the server (for raw, hostile tests); -1 on error. */
int ts_tcp_connect(okr_test_server_t *ts);

/* A blocking TLS connection (TLS 1.3, ALPN okr/1, no verification) for
 * frame-level tests. Returns NULL if the handshake fails. Free with
 * ts_tls_close. */
SSL *ts_tls_connect(okr_test_server_t *ts, int max_version);
void ts_tls_close(SSL *ssl);

/* Writes a framed Envelope{request} over raw TLS. */
int ts_tls_send_request(SSL *ssl, const Okr__Request *req);

/* Reads one frame and unpacks it (NULL on EOF/timeout/garbage).
 * Free with okr__envelope__free_unpacked. */
Okr__Envelope *ts_tls_read_envelope(SSL *ssl, int timeout_ms);

/* 1 if the peer closed the connection (EOF or reset) within timeout_ms. */
int ts_fd_closed_within(int fd, int timeout_ms);

/* Reads the whole log file into a malloc'd string. */
char *ts_read_log(okr_test_server_t *ts);

#endif
