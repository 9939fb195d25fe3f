/* world.h — shared request builders for the integration tests.
 *
 * Each helper sends one request over an okr_client_t and fails the running
 * cmocka test (fail_msg) if the server does not answer OK, so a test body
 * reads as the world it builds. They are for setup, not for the checks a test
 * is about: a test that expects a request to fail calls ts_call itself.
 *
 * Strings are borrowed for the duration of the call only. Responses and
 * results returned as pointers belong to the caller (see each function).
 */
#ifndef OKR_TEST_WORLD_H
#define OKR_TEST_WORLD_H

#include <stdint.h>

#include "client.h"

/* Times that put a cycle around "now" for any test run (2023 to 2030). */
#define TW_CYCLE_START_MS 1700000000000LL
#define TW_CYCLE_END_MS   1900000000000LL

/* Sends req; fails the test with the status and the server's message (or the
 * client's error) unless the status is OKR_OK. Returns the response: free it
 * with okr__response__free_unpacked. */
Okr__Response *tw_call_ok(okr_client_t *c, Okr__Request *req);

/* A request of operation op with body (the operation's message): every op of
 * the oneof shares one pointer slot. */
Okr__Request tw_request(Okr__Request__OpCase op, void *body);

/* tw_call_ok of tw_request(op, body). */
Okr__Response *tw_ok(okr_client_t *c, Okr__Request__OpCase op, void *body);

/* CycleCreate; returns the new cycle's id. */
uint64_t tw_cycle(okr_client_t *admin, const char *name, int64_t start_at, int64_t end_at);

/* A cycle from 10 days ago to 80 days ahead, made active; returns its id and,
 * if version is not NULL, its version. */
uint64_t tw_active_cycle(okr_client_t *admin, const char *name, uint64_t *version);

/* TeamCreate under parent (0: a top-level team); returns the new team's id. */
uint64_t tw_team(okr_client_t *admin, const char *name, uint64_t parent);

/* TeamSetMember by username with that role. */
void tw_team_member(okr_client_t *admin, uint64_t team, const char *username, Okr__TeamRole role);

/* ObjectiveCreate in cycle, under parent (0: none), owned by and shown in
 * team (0: none), with that visibility; returns the new objective's id. */
uint64_t tw_objective(okr_client_t *c, uint64_t cycle, uint64_t parent, uint64_t team,
                      Okr__Visibility vis, const char *title);

/* KeyResultCreate under objective, from start to target (metric left unset);
 * returns the new key result's id. */
uint64_t tw_kr(okr_client_t *c, uint64_t objective, const char *title, double start, double target);

/* CheckIn of value on kr with note (NULL: ""); the response is freed. */
void tw_checkin(okr_client_t *c, uint64_t kr, double value, const char *note);

/* Subscribe to a scope, with resume and since_seq as given; returns the
 * result by value (its scalar fields; the response is freed). */
Okr__SubscribeResult tw_subscribe(okr_client_t *c, Okr__ScopeKind kind, uint64_t id, int resume,
                                  uint64_t since);

/* Stats; the caller frees the result with okr__stats__free_unpacked. */
Okr__Stats *tw_stats(okr_client_t *admin);

#endif
