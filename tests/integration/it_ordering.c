/* Integration: no acknowledgement and no pushed event leaves okrd before the
 * commit of its write returned.
 *
 * okrd runs with test_commit_delay_ms = 1500: its writer sleeps that long
 * right before each mdb_txn_commit. One raw TLS client sends a check-in while
 * another is subscribed to the objective; the test watches both sockets on
 * the monotonic clock: not one byte may arrive before the delay has passed,
 * then the acknowledgement and the event arrive. Then a second check-in is
 * sent and okrd is killed with SIGKILL during the delay: neither socket saw
 * anything, and after a restart the check-in is absent — never acknowledged,
 * never pushed, never stored: consistent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "world.h"
#include "it_raw.h"
#include "okr_error.h"

#define DELAY_MS  1500
#define MARGIN_MS 100 /* timer and scheduling slack, never more than this early */

static okr_test_server_t server;

/* A cycle, a public objective in it and a key result 0 -> 100. */
static void make_kr(okr_client_t *admin, uint64_t *objective, uint64_t *kr)
{
    uint64_t cycle = tw_cycle(admin, "ordering", TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    *objective = tw_objective(admin, cycle, 0, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC,
                              "Ship only what is committed");
    *kr = tw_kr(admin, *objective, "Acknowledged after commit", 0, 100);
}

static int send_checkin(SSL *ssl, uint64_t id, uint64_t kr, double value)
{
    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = kr;
    ci.value = value;
    ci.note = "ordering";
    Okr__Request req = OKR__REQUEST__INIT;
    req.id = id;
    req.op_case = OKR__REQUEST__OP_CHECKIN;
    req.checkin = &ci;
    return ts_tls_send_request(ssl, &req);
}

/* Waits until ssl's socket is readable; returns the monotonic time it
 * became so, or 0 after timeout_ms. */
static uint64_t first_byte_at(SSL *ssl, int timeout_ms)
{
    uint64_t end = raw_now_ms() + (uint64_t)timeout_ms;
    while (raw_now_ms() < end)
        if (raw_readable(ssl, 5))
            return raw_now_ms();
    return 0;
}

static void test_ack_and_event_only_after_commit(void **state)
{
    (void)state;
    char delay[16];
    snprintf(delay, sizeof delay, "%d", DELAY_MS);
    const char *extra[] = {"--test-commit-delay-ms", delay, "--rate-limit-rps", "0", NULL};
    ts_start(&server, extra);

    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD); /* a write: delayed */
    uint64_t objective, kr;
    make_kr(admin, &objective, &kr);

    SSL *watcher = raw_login(&server, "admin", TS_ADMIN_PASSWORD);
    assert_non_null(watcher);
    assert_int_equal(raw_subscribe(watcher, OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE, objective),
                     OKR__STATUS__STATUS_OK);
    SSL *sender = raw_login(&server, "admin", TS_ADMIN_PASSWORD);
    assert_non_null(sender);
    /* Nothing is pending on either connection before the check-in. */
    assert_false(raw_readable(watcher, 200));
    assert_false(raw_readable(sender, 0));

    /* 1. The acknowledgement and the event wait for the commit. */
    uint64_t t0 = raw_now_ms();
    assert_int_equal(send_checkin(sender, 100, kr, 42), 0);
    uint64_t ack_at = first_byte_at(sender, 20000);
    uint64_t event_at = first_byte_at(watcher, 20000);
    assert_true(ack_at != 0 && event_at != 0);
    printf("commit delay %d ms: first byte of the ack after %llu ms, of the event after %llu ms\n",
           DELAY_MS, (unsigned long long)(ack_at - t0), (unsigned long long)(event_at - t0));
    assert_true(ack_at - t0 >= DELAY_MS - MARGIN_MS);
    assert_true(event_at - t0 >= DELAY_MS - MARGIN_MS);

    Okr__Envelope *env = ts_tls_read_envelope(sender, 5000);
    assert_non_null(env);
    assert_int_equal(env->msg_case, OKR__ENVELOPE__MSG_RESPONSE);
    assert_int_equal(env->response->id, 100);
    assert_int_equal(env->response->status, OKR__STATUS__STATUS_OK);
    okr__envelope__free_unpacked(env, NULL);
    env = ts_tls_read_envelope(watcher, 5000);
    assert_non_null(env);
    assert_int_equal(env->msg_case, OKR__ENVELOPE__MSG_EVENT);
    assert_int_equal(env->event->change->kind, OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN);
    assert_non_null(env->event->change->key_result_after);
    assert_true(fabs(env->event->change->key_result_after->current - 42) < 1e-9);
    okr__envelope__free_unpacked(env, NULL);

    /* 2. Killed during the delay: nothing was said, and nothing is stored. */
    t0 = raw_now_ms();
    assert_int_equal(send_checkin(sender, 101, kr, 77), 0);
    raw_sleep_ms(DELAY_MS / 2);
    assert_false(raw_readable(sender, 0));
    assert_false(raw_readable(watcher, 0));
    assert_true(raw_now_ms() - t0 < DELAY_MS - MARGIN_MS); /* still inside the delay */
    ts_kill(&server);
    ts_tls_close(sender);
    ts_tls_close(watcher);
    okr_client_free(admin);

    const char *plain[] = {"--rate-limit-rps", "0", NULL};
    ts_start(&server, plain);
    admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    Okr__CheckInListRequest cl = OKR__CHECK_IN_LIST_REQUEST__INIT;
    cl.key_result_id = kr;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CHECKIN_LIST;
    req.checkin_list = &cl;
    Okr__Response *resp = tw_call_ok(admin, &req);
    assert_int_equal(resp->checkin_list->n_checkins, 1);
    assert_true(fabs(resp->checkin_list->checkins[0]->value - 42) < 1e-9);
    okr__response__free_unpacked(resp, NULL);
    Okr__KeyResultGetRequest kg = OKR__KEY_RESULT_GET_REQUEST__INIT;
    kg.id = kr;
    okr__request__init(&req);
    req.op_case = OKR__REQUEST__OP_KEY_RESULT_GET;
    req.key_result_get = &kg;
    resp = tw_call_ok(admin, &req);
    assert_true(fabs(resp->key_result->current - 42) < 1e-9);
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(admin);
    ts_stop(&server);

    /* And the store is sound. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "'%s' --check --data-dir '%s' >/dev/null 2>&1", OKRD_PATH,
             server.data_dir);
    int status = system(cmd);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ts_cleanup(&server);
}

/* After a failure too: no okrd left running, no directory left behind. */
static int teardown(void **state)
{
    (void)state;
    ts_cleanup(&server);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ack_and_event_only_after_commit),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
