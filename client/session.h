/* session.h — the saved login of the okr command-line client.
 *
 * session.json in the config directory (paths.h) holds the server, the user
 * name and id and the session token of the last `okr login`, so later
 * commands can authenticate without a password. It is a secret: written
 * atomically with mode 0600 in a 0700 directory, and removed by `okr logout`.
 *
 *   {"server": "okr.example.com:7433", "username": "alice", "user_id": 7,
 *    "token": "...", "expires_at": 1767225600000}
 *
 * The user id lets a command name the caller in its first request without
 * waiting for the token's answer (okr_cli_my_id). A file saved by an older
 * okr has none; it is still a valid session, and those commands wait.
 */
#ifndef OKR_SESSION_H
#define OKR_SESSION_H

#include <stddef.h>
#include <stdint.h>

typedef struct okr_session {
    char *server; /* canonical host:port */
    char *username;
    uint64_t user_id; /* the user's id; 0 if unknown (a file without it) */
    char *token;
    int64_t expires_at; /* ms since the epoch; 0 if unknown */
} okr_session_t;

/* Reads path into s (owned by s; release with okr_session_clear). Returns 0,
 * OKR_E_NOT_FOUND (no saved session), OKR_E_PROTOCOL (the file is not a
 * session: message in err) or OKR_E_IO. */
int okr_session_load(const char *path, okr_session_t *s, char *err, size_t errlen);

/* Reads a session from the file's text data[0..len) (need not end in NUL)
 * into s, as okr_session_load does. Returns 0, or OKR_E_PROTOCOL with a
 * message in err that follows the file's name ("is not a saved okr session
 * ..."); s is then empty. */
int okr_session_parse(const char *data, size_t len, okr_session_t *s, char *err, size_t errlen);

/* Writes s to path atomically with mode 0600, creating the directory (0700);
 * user_id only if it is known (not 0). Returns 0, OKR_E_NOMEM or OKR_E_IO. */
int okr_session_save(const char *path, const okr_session_t *s, char *err, size_t errlen);

/* Removes path. Returns 0 (also if there was none) or OKR_E_IO. */
int okr_session_remove(const char *path, char *err, size_t errlen);

/* Frees the strings (wiping the token) and zeroes s. */
void okr_session_clear(okr_session_t *s);

#endif
