/* dashboard.h — read-only dashboard tokens for office TVs.
 *
 * An admin makes a token bound to a scope (a team, a cycle or the
 * organisation). Its secret, "dash-" + 64 hex digits, is shown once; the
 * store keeps its SHA-256 (OKR_DB_DASH_TOKEN_HASHES) and the token record
 * (OKR_DB_DASH_TOKENS). A connection authenticated with it has no user: it
 * may only ping, look up user names, subscribe to its scope and ask for the
 * trends of objectives in it; it sees a
 * `team`-visible objective only when that objective belongs to its team or
 * a sub-team of it, and it writes nothing. Revoking a token closes the
 * connections using it. Tokens are credentials, not OKR entities, so their
 * writes make no change-log entry.
 */
#ifndef OKR_DASHBOARD_H
#define OKR_DASHBOARD_H

#include <lmdb.h>
#include <stdint.h>

#include "okr.pb-c.h"
#include "store.h"

#define OKR_DASH_PREFIX "dash-"

/* 1 if token looks like a dashboard secret ("dash-" + 64 lowercase hex). */
int okr_dashboard_is_secret(const char *token);

/* Finds the live (not revoked) token of a secret; *out is an owned copy.
 * Returns 0 or OKR_E_UNAUTHENTICATED. */
int okr_dashboard_find(okr_store_t *s, const char *secret, Okr__DashboardToken **out);

/* 1 if the token still exists and is not revoked (checked per request). */
int okr_dashboard_live(okr_store_t *s, uint64_t token_id);

/* 1 if a dashboard bound to token->scope may subscribe to scope. */
int okr_dashboard_scope_allowed(okr_store_t *s, MDB_txn *txn, const Okr__DashboardToken *token,
                                const Okr__Scope *scope);

/* 1 if the dashboard may see obj (public, or team-visible within its team). */
int okr_dashboard_may_read(okr_store_t *s, MDB_txn *txn, const Okr__DashboardToken *token,
                           const Okr__Objective *obj);

/* Records that a dashboard connected now (token list: "last used"), in
 * the background. */
typedef struct okr_server okr_server_t;
void okr_dashboard_touch(okr_server_t *srv, uint64_t token_id);

#endif
