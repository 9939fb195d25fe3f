/* Integration: broken and hostile input against a real okrd. Each case must
 * get a clear refusal or a closed connection, and leave the server serving
 * everyone else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "frame.h"
#include "harness.h"
#include "it_raw.h"
#include "okr_error.h"

#define FRAME_TIMEOUT_MS 600
#define LOGIN_TIMEOUT_MS 2500

static okr_test_server_t server;

static int setup(void **state)
{
    (void)state;
    static const char *const extra[] = {"--frame-timeout-ms",
                                        "600",
                                        "--login-timeout-ms",
                                        "2500",
                                        "--handshake-timeout-ms",
                                        "2000",
                                        NULL};
    ts_start(&server, extra);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_stop(&server);
    ts_cleanup(&server);
    return 0;
}

/* The server is alive and a well-behaved client can still log in. */
static void assert_still_serving(void)
{
    assert_true(ts_alive(&server));
    okr_client_t *c = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    okr_client_free(c);
}

static void send_all(int fd, const void *data, size_t len)
{
    assert_int_equal(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void test_plaintext_garbage_on_tls_port(void **state)
{
    (void)state;
    int fd = ts_tcp_connect(&server);
    assert_true(fd >= 0);
    send_all(fd, "hello there, this is not TLS\r\n", 30);
    assert_true(ts_fd_closed_within(fd, 5000));
    close(fd);
    assert_still_serving();
}

static void test_http_on_tls_port(void **state)
{
    (void)state;
    int fd = ts_tcp_connect(&server);
    assert_true(fd >= 0);
    const char *http = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    send_all(fd, http, strlen(http));
    assert_true(ts_fd_closed_within(fd, 5000));
    close(fd);
    assert_still_serving();
}

static void test_tls12_client_refused(void **state)
{
    (void)state;
    SSL *ssl = ts_tls_connect(&server, TLS1_2_VERSION);
    assert_null(ssl); /* the server speaks TLS 1.3 only */
    SSL *ok = ts_tls_connect(&server, TLS1_3_VERSION);
    assert_non_null(ok);
    assert_string_equal(SSL_get_version(ok), "TLSv1.3");
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(ok, &alpn, &alpn_len);
    assert_int_equal(alpn_len, 5);
    assert_memory_equal(alpn, "okr/1", 5);
    ts_tls_close(ok);
    assert_still_serving();
}

static void test_silent_connection_closed_by_handshake_deadline(void **state)
{
    (void)state;
    int fd = ts_tcp_connect(&server);
    assert_true(fd >= 0);
    assert_true(ts_fd_closed_within(fd, 8000)); /* handshake_timeout_ms = 2000 */
    close(fd);
    assert_still_serving();
}

/* Sends raw bytes over TLS, expects one error response with id 0 and the
 * given status, then the connection closed. */
static void expect_connection_error(const void *bytes, size_t len, Okr__Status status)
{
    SSL *ssl = ts_tls_connect(&server, TLS1_3_VERSION);
    assert_non_null(ssl);
    assert_int_equal(SSL_write(ssl, bytes, (int)len), (int)len);
    Okr__Envelope *env = ts_tls_read_envelope(ssl, 5000);
    assert_non_null(env);
    assert_int_equal(env->msg_case, OKR__ENVELOPE__MSG_RESPONSE);
    assert_int_equal(env->response->id, 0);
    assert_int_equal(env->response->status, status);
    assert_true(strlen(env->response->message) > 0);
    okr__envelope__free_unpacked(env, NULL);
    assert_true(ts_fd_closed_within(SSL_get_fd(ssl), 5000));
    ts_tls_close(ssl);
    assert_still_serving();
}

static void test_length_zero(void **state)
{
    (void)state;
    static const uint8_t frame[] = {0, 0, 0, 0};
    expect_connection_error(frame, sizeof frame, OKR__STATUS__STATUS_BAD_REQUEST);
}

static void test_length_max(void **state)
{
    (void)state;
    static const uint8_t frame[] = {0xff, 0xff, 0xff, 0xff};
    expect_connection_error(frame, sizeof frame, OKR__STATUS__STATUS_TOO_LARGE);
}

static void test_over_limit_before_login(void **state)
{
    (void)state;
    uint8_t frame[4];
    okr_frame_put_header(frame, 64 * 1024 + 1); /* 64 KiB is the limit before login */
    expect_connection_error(frame, sizeof frame, OKR__STATUS__STATUS_TOO_LARGE);
}

static void test_garbage_protobuf(void **state)
{
    (void)state;
    static const uint8_t frame[] = {0, 0, 0, 6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    expect_connection_error(frame, sizeof frame, OKR__STATUS__STATUS_BAD_REQUEST);
}

static void test_nul_inside_a_string(void **state)
{
    (void)state;
    /* Envelope{request{id=2, login{username="a\0b", password="x"}}}. */
    static const uint8_t frame[] = {0,    0,    0,    14,   0x0a, 0x0c, 0x08, 0x02, 0x5a,
                                    0x08, 0x0a, 0x03, 0x61, 0x00, 0x62, 0x12, 0x01, 0x78};
    expect_connection_error(frame, sizeof frame, OKR__STATUS__STATUS_BAD_REQUEST);
}

static void test_truncated_frame_then_silence(void **state)
{
    (void)state;
    SSL *ssl = ts_tls_connect(&server, TLS1_3_VERSION);
    assert_non_null(ssl);
    static const uint8_t partial[] = {0, 0, 0, 100, 1, 2, 3};
    assert_int_equal(SSL_write(ssl, partial, sizeof partial), (int)sizeof partial);
    /* frame_timeout_ms closes it, long before the login deadline. */
    Okr__Envelope *env = ts_tls_read_envelope(ssl, 5000);
    assert_non_null(env);
    assert_non_null(strstr(env->response->message, "frame"));
    okr__envelope__free_unpacked(env, NULL);
    assert_true(ts_fd_closed_within(SSL_get_fd(ssl), 3000));
    ts_tls_close(ssl);
    assert_still_serving();
}

static void test_unknown_operation_keeps_connection(void **state)
{
    (void)state;
    SSL *ssl = ts_tls_connect(&server, TLS1_3_VERSION);
    assert_non_null(ssl);
    /* Envelope{request{id=7, field 99 = 1}}: an operation from the future. */
    static const uint8_t frame[] = {0, 0, 0, 7, 0x0a, 0x05, 0x08, 0x07, 0x98, 0x06, 0x01};
    assert_int_equal(SSL_write(ssl, frame, sizeof frame), (int)sizeof frame);
    Okr__Envelope *env = ts_tls_read_envelope(ssl, 5000);
    assert_non_null(env);
    assert_int_equal(env->response->id, 7);
    assert_int_equal(env->response->status, OKR__STATUS__STATUS_UNSUPPORTED);
    okr__envelope__free_unpacked(env, NULL);
    /* Still open: a Hello works afterwards. */
    Okr__Hello hello = OKR__HELLO__INIT;
    hello.version_major = 1;
    Okr__Request req = OKR__REQUEST__INIT;
    req.id = 8;
    req.op_case = OKR__REQUEST__OP_HELLO;
    req.hello = &hello;
    assert_int_equal(ts_tls_send_request(ssl, &req), 0);
    env = ts_tls_read_envelope(ssl, 5000);
    assert_non_null(env);
    assert_int_equal(env->response->id, 8);
    assert_int_equal(env->response->status, OKR__STATUS__STATUS_OK);
    okr__envelope__free_unpacked(env, NULL);
    ts_tls_close(ssl);
}

static void test_requests_before_hello_and_login(void **state)
{
    (void)state;
    SSL *ssl = ts_tls_connect(&server, TLS1_3_VERSION);
    assert_non_null(ssl);
    Okr__WhoamiRequest w = OKR__WHOAMI_REQUEST__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    req.id = 1;
    req.op_case = OKR__REQUEST__OP_WHOAMI;
    req.whoami = &w;
    assert_int_equal(ts_tls_send_request(ssl, &req), 0);
    Okr__Envelope *env = ts_tls_read_envelope(ssl, 5000);
    assert_non_null(env);
    assert_int_equal(env->response->status, OKR__STATUS__STATUS_BAD_REQUEST); /* Hello first */
    okr__envelope__free_unpacked(env, NULL);

    Okr__Hello hello = OKR__HELLO__INIT;
    hello.version_major = 1;
    Okr__Request h = OKR__REQUEST__INIT;
    h.id = 2;
    h.op_case = OKR__REQUEST__OP_HELLO;
    h.hello = &hello;
    assert_int_equal(ts_tls_send_request(ssl, &h), 0);
    env = ts_tls_read_envelope(ssl, 5000);
    assert_int_equal(env->response->status, OKR__STATUS__STATUS_OK);
    okr__envelope__free_unpacked(env, NULL);

    req.id = 3;
    assert_int_equal(ts_tls_send_request(ssl, &req), 0);
    env = ts_tls_read_envelope(ssl, 5000);
    assert_int_equal(env->response->id, 3);
    assert_int_equal(env->response->status, OKR__STATUS__STATUS_UNAUTHENTICATED);
    okr__envelope__free_unpacked(env, NULL);

    /* Not logging in at all: the login deadline closes the connection. */
    env = ts_tls_read_envelope(ssl, LOGIN_TIMEOUT_MS + 3000);
    assert_non_null(env);
    assert_int_equal(env->response->status, OKR__STATUS__STATUS_UNAUTHENTICATED);
    okr__envelope__free_unpacked(env, NULL);
    assert_true(ts_fd_closed_within(SSL_get_fd(ssl), 3000));
    ts_tls_close(ssl);
    assert_still_serving();
}

/* 1 for the operations a connection may use before it logs in. */
static int open_before_login(const char *op)
{
    static const char *const open[] = {"hello", "login", "auth_token", "ping"};
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++)
        if (strcmp(op, open[i]) == 0)
            return 1;
    return 0;
}

/* Every operation the protocol has, taken from the Request's descriptor so
 * that a new one is covered the day it is added, is refused before login
 * (but the four a login needs): no handler runs without a user to check. */
static void test_every_operation_needs_login(void **state)
{
    (void)state;
    SSL *ssl = ts_tls_connect(&server, TLS1_3_VERSION);
    assert_non_null(ssl);
    assert_int_equal(raw_hello(ssl), 0);
    Okr__Envelope *env;

    const ProtobufCMessageDescriptor *d = &okr__request__descriptor;
    size_t checked = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || f->type != PROTOBUF_C_TYPE_MESSAGE ||
            open_before_login(f->name))
            continue;
        /* The operation with an empty message: what it holds does not matter. */
        const ProtobufCMessageDescriptor *md = f->descriptor;
        ProtobufCMessage *op = calloc(1, md->sizeof_message);
        assert_non_null(op);
        protobuf_c_message_init(md, op);
        Okr__Request req = OKR__REQUEST__INIT;
        req.id = 100 + i;
        req.op_case = (Okr__Request__OpCase)f->id;
        memcpy((char *)&req + f->offset, &op, sizeof op);
        assert_int_equal(ts_tls_send_request(ssl, &req), 0);
        env = ts_tls_read_envelope(ssl, 5000);
        assert_non_null(env);
        if (env->response->status != OKR__STATUS__STATUS_UNAUTHENTICATED)
            fail_msg("%s before login: status %d, wanted UNAUTHENTICATED", f->name,
                     (int)env->response->status);
        assert_int_equal(env->response->id, 100 + i);
        okr__envelope__free_unpacked(env, NULL);
        free(op);
        checked++;
    }
    assert_true(checked > 40); /* the descriptor walk found the operations */
    ts_tls_close(ssl);
    assert_still_serving();
}

static void test_unsupported_protocol_version(void **state)
{
    (void)state;
    SSL *ssl = ts_tls_connect(&server, TLS1_3_VERSION);
    assert_non_null(ssl);
    Okr__Hello hello = OKR__HELLO__INIT;
    hello.version_major = 2;
    Okr__Request req = OKR__REQUEST__INIT;
    req.id = 1;
    req.op_case = OKR__REQUEST__OP_HELLO;
    req.hello = &hello;
    assert_int_equal(ts_tls_send_request(ssl, &req), 0);
    Okr__Envelope *env = ts_tls_read_envelope(ssl, 5000);
    assert_non_null(env);
    assert_int_equal(env->response->status, OKR__STATUS__STATUS_UNSUPPORTED);
    assert_non_null(strstr(env->response->message, "version"));
    okr__envelope__free_unpacked(env, NULL);
    assert_true(ts_fd_closed_within(SSL_get_fd(ssl), 5000));
    ts_tls_close(ssl);
}

static void test_oversized_fields_refused(void **state)
{
    (void)state;
    okr_client_t *c = ts_connect(&server);
    char big[2048];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(okr_client_login(c, big, "password", NULL), OKR_E_BAD_REQUEST);
    Okr__PingRequest p = OKR__PING_REQUEST__INIT;
    p.payload.data = (uint8_t *)big;
    p.payload.len = sizeof big;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_PING;
    req.ping = &p;
    assert_int_equal(ts_call(c, &req, NULL), OKR_E_TOO_LARGE);
    okr_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plaintext_garbage_on_tls_port),
        cmocka_unit_test(test_http_on_tls_port),
        cmocka_unit_test(test_tls12_client_refused),
        cmocka_unit_test(test_silent_connection_closed_by_handshake_deadline),
        cmocka_unit_test(test_length_zero),
        cmocka_unit_test(test_length_max),
        cmocka_unit_test(test_over_limit_before_login),
        cmocka_unit_test(test_garbage_protobuf),
        cmocka_unit_test(test_nul_inside_a_string),
        cmocka_unit_test(test_truncated_frame_then_silence),
        cmocka_unit_test(test_unknown_operation_keeps_connection),
        cmocka_unit_test(test_requests_before_hello_and_login),
        cmocka_unit_test(test_every_operation_needs_login),
        cmocka_unit_test(test_unsupported_protocol_version),
        cmocka_unit_test(test_oversized_fields_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
