/* it_raw.h — small helpers over the harness's raw TLS connections, shared by
 * the hostile-client tests (it_ordering, it_mapfull, it_hostile,
 * it_midsession, it_timing): a logged-in raw connection whose socket a test
 * can watch byte by byte, and a monotonic clock.
 *
 * Header-only (static functions) so each test stays one file; include it
 * after cmocka.h and harness.h. Envelopes returned are owned by the caller
 * (okr__envelope__free_unpacked).
 */
#ifndef OKR_IT_RAW_H
#define OKR_IT_RAW_H

#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/ssl.h>

#include "harness.h"

static inline uint64_t raw_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static inline void raw_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Sends req with the given id and reads envelopes until the response to it
 * (events before it are dropped). NULL on EOF or timeout. */
static inline Okr__Response *raw_call(SSL *ssl, Okr__Request *req, uint64_t id, int timeout_ms)
{
    req->id = id;
    if (ts_tls_send_request(ssl, req) != 0)
        return NULL;
    for (;;) {
        Okr__Envelope *env = ts_tls_read_envelope(ssl, timeout_ms);
        if (!env)
            return NULL;
        if (env->msg_case == OKR__ENVELOPE__MSG_RESPONSE &&
            (env->response->id == id || env->response->id == 0)) {
            Okr__Response *resp = env->response;
            env->response = NULL;
            env->msg_case = OKR__ENVELOPE__MSG__NOT_SET;
            okr__envelope__free_unpacked(env, NULL);
            return resp;
        }
        okr__envelope__free_unpacked(env, NULL);
    }
}

/* Hello on a raw connection; 0 if the server answered OK. */
static inline int raw_hello(SSL *ssl)
{
    Okr__Hello hello = OKR__HELLO__INIT;
    hello.version_major = 1;
    hello.client_name = "okr-hostile-tests";
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_HELLO;
    req.hello = &hello;
    Okr__Response *resp = raw_call(ssl, &req, 1, 15000);
    int ok = resp && resp->status == OKR__STATUS__STATUS_OK;
    if (resp)
        okr__response__free_unpacked(resp, NULL);
    return ok ? 0 : -1;
}

/* A raw TLS connection, Hello done and logged in as user; NULL on failure. */
static inline SSL *raw_login(okr_test_server_t *ts, const char *user, const char *password)
{
    SSL *ssl = ts_tls_connect(ts, TLS1_3_VERSION);
    if (!ssl)
        return NULL;
    if (raw_hello(ssl) != 0) {
        ts_tls_close(ssl);
        return NULL;
    }
    Okr__LoginRequest lr = OKR__LOGIN_REQUEST__INIT;
    lr.username = (char *)user;
    lr.password = (char *)password;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_LOGIN;
    req.login = &lr;
    Okr__Response *resp = raw_call(ssl, &req, 2, 30000);
    int ok = resp && resp->status == OKR__STATUS__STATUS_OK;
    if (resp)
        okr__response__free_unpacked(resp, NULL);
    if (!ok) {
        ts_tls_close(ssl);
        return NULL;
    }
    return ssl;
}

/* Subscribes a raw connection to a scope; returns the response status. */
static inline Okr__Status raw_subscribe(SSL *ssl, Okr__ScopeKind kind, uint64_t id)
{
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = kind;
    scope.id = id;
    Okr__SubscribeRequest sr = OKR__SUBSCRIBE_REQUEST__INIT;
    sr.scope = &scope;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_SUBSCRIBE;
    req.subscribe = &sr;
    Okr__Response *resp = raw_call(ssl, &req, 3, 15000);
    Okr__Status st = resp ? resp->status : OKR__STATUS__STATUS_UNSPECIFIED;
    if (resp)
        okr__response__free_unpacked(resp, NULL);
    return st;
}

/* 1 if the socket under ssl has bytes (or EOF) to read within timeout_ms, or
 * OpenSSL already holds decrypted bytes. */
static inline int raw_readable(SSL *ssl, int timeout_ms)
{
    if (SSL_pending(ssl) > 0)
        return 1;
    struct pollfd p = {.fd = SSL_get_fd(ssl), .events = POLLIN};
    return poll(&p, 1, timeout_ms) > 0;
}

#endif
