/* auth.c — argon2id password hashing, session tokens, and the off-loop hasher.
 *
 * The hasher keeps two counts on the loop thread: `running` jobs handed to
 * libuv's thread pool (at most max_parallel, so hashing cannot take every pool
 * thread from file I/O and DNS) and `queued` jobs waiting in a FIFO of at most
 * max_queued. When a job completes, the oldest queued one takes its slot.
 * Worker threads touch only their own job.
 */
#include "auth.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "okr_error.h"

#define SALT_LEN 16
#define HASH_LEN 32

void okr_kdf_params_default(okr_kdf_params_t *p)
{
    p->memory_kib = 19456;
    p->iterations = 2;
    p->parallelism = 1;
}

/* ---- blocking primitives ---- */

int okr_password_hash(const char *password, const okr_kdf_params_t *p, char *out, size_t outlen)
{
    if (out == NULL || outlen == 0)
        return OKR_E_INTERNAL;
    out[0] = '\0';
    if (password == NULL || p == NULL)
        return OKR_E_INTERNAL;

    size_t len = strlen(password);
    if (len > ARGON2_MAX_PWD_LENGTH)
        return OKR_E_INTERNAL;

    uint8_t salt[SALT_LEN];
    if (RAND_bytes(salt, sizeof salt) != 1)
        return OKR_E_INTERNAL;
    int rc = argon2id_hash_encoded(p->iterations, p->memory_kib, p->parallelism, password, len,
                                   salt, sizeof salt, HASH_LEN, out, outlen);
    if (rc != ARGON2_OK) {
        out[0] = '\0';
        okr_error("argon2id hash failed: %s", argon2_error_message(rc));
        return OKR_E_INTERNAL;
    }
    return 0;
}

int okr_password_verify(const char *encoded, const char *password)
{
    if (encoded == NULL || password == NULL)
        return OKR_E_INTERNAL;
    size_t len = strlen(password);
    if (len > ARGON2_MAX_PWD_LENGTH)
        return OKR_E_UNAUTHENTICATED; /* no stored hash can be of such a password */
    /* argon2id_verify recomputes with the parameters stored in encoded and
     * compares in constant time. */
    int rc = argon2id_verify(encoded, password, len);
    if (rc == ARGON2_OK)
        return 0;
    if (rc == ARGON2_VERIFY_MISMATCH)
        return OKR_E_UNAUTHENTICATED;
    okr_error("argon2id verify failed: %s", argon2_error_message(rc));
    return OKR_E_INTERNAL;
}

int okr_token_new(char *hex)
{
    static const char digits[] = "0123456789abcdef";
    uint8_t raw[OKR_TOKEN_HEX_LEN / 2];

    if (RAND_bytes(raw, sizeof raw) != 1) {
        hex[0] = '\0';
        return OKR_E_INTERNAL;
    }
    for (size_t i = 0; i < sizeof raw; i++) {
        hex[2 * i] = digits[raw[i] >> 4];
        hex[2 * i + 1] = digits[raw[i] & 0x0f];
    }
    hex[OKR_TOKEN_HEX_LEN] = '\0';
    OPENSSL_cleanse(raw, sizeof raw);
    return 0;
}

void okr_token_hash(const char *token, uint8_t out[OKR_TOKEN_HASH_LEN])
{
    unsigned int n = 0;
    /* EVP_Digest fails only when OpenSSL cannot allocate. The contract has no
     * error return, and any fixed fallback value would let unrelated tokens
     * share a hash (and so a session), so fail closed. */
    if (EVP_Digest(token, strlen(token), out, &n, EVP_sha256(), NULL) != 1 ||
        n != OKR_TOKEN_HASH_LEN) {
        okr_error("SHA-256 of a session token failed; aborting");
        abort();
    }
}

/* ---- off-loop hashing ---- */

enum hasher__kind { HASHER__HASH, HASHER__VERIFY };

typedef struct hasher__job {
    uv_work_t req; /* req.data unused; container is the job itself */
    okr_hasher_t *h;
    struct hasher__job *next; /* FIFO link while queued */
    enum hasher__kind kind;
    okr_kdf_params_t params;
    char *password;
    size_t password_len;
    char *encoded; /* verify: the stored hash; NULL for hash jobs */
    size_t encoded_len;
    okr_hash_done_fn cb;
    void *arg;
    int status;
    char out[OKR_HASH_ENCODED_MAX]; /* hash: the new encoded string */
} hasher__job_t;

struct okr_hasher {
    uv_loop_t *loop;
    okr_kdf_params_t params;
    unsigned max_parallel;
    unsigned max_queued;
    unsigned running; /* submitted to the pool, after_work not yet run */
    unsigned queued;  /* in the FIFO */
    unsigned peak;    /* highest `running` seen */
    hasher__job_t *head, *tail;
};

okr_hasher_t *okr_hasher_new(uv_loop_t *loop, const okr_kdf_params_t *p, unsigned max_parallel,
                             unsigned max_queued)
{
    if (loop == NULL || max_parallel == 0)
        return NULL;
    okr_hasher_t *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    h->loop = loop;
    if (p != NULL)
        h->params = *p;
    else
        okr_kdf_params_default(&h->params);
    h->max_parallel = max_parallel;
    h->max_queued = max_queued;
    return h;
}

static char *hasher__dup(const char *s, size_t *len)
{
    *len = strlen(s);
    char *d = malloc(*len + 1);
    if (d != NULL)
        memcpy(d, s, *len + 1);
    return d;
}

static void hasher__wipe_free(char *s, size_t len)
{
    if (s == NULL)
        return;
    OPENSSL_cleanse(s, len + 1);
    free(s);
}

static void hasher__job_free(hasher__job_t *job)
{
    hasher__wipe_free(job->password, job->password_len);
    hasher__wipe_free(job->encoded, job->encoded_len);
    OPENSSL_cleanse(job->out, sizeof job->out);
    free(job);
}

/* Runs on a pool thread. Wipes the password as soon as it is no longer
 * needed rather than waiting for the loop thread. */
static void hasher__work_cb(uv_work_t *req)
{
    hasher__job_t *job = (hasher__job_t *)req;

    if (job->kind == HASHER__HASH)
        job->status = okr_password_hash(job->password, &job->params, job->out, sizeof job->out);
    else
        job->status = okr_password_verify(job->encoded, job->password);
    OPENSSL_cleanse(job->password, job->password_len + 1);
}

static void hasher__after_work_cb(uv_work_t *req, int uv_status);

/* Hands job to the pool. uv_queue_work fails only for a NULL work_cb, so a
 * failure is a bug here, not a condition to report. */
static void hasher__submit(okr_hasher_t *h, hasher__job_t *job)
{
    int rc = uv_queue_work(h->loop, &job->req, hasher__work_cb, hasher__after_work_cb);
    if (rc != 0) {
        okr_error("uv_queue_work: %s; aborting", uv_strerror(rc));
        abort();
    }
    h->running++;
    if (h->running > h->peak)
        h->peak = h->running;
}

/* Moves queued jobs into free pool slots, oldest first. */
static void hasher__pump(okr_hasher_t *h)
{
    while (h->running < h->max_parallel && h->head != NULL) {
        hasher__job_t *job = h->head;
        h->head = job->next;
        if (h->head == NULL)
            h->tail = NULL;
        h->queued--;
        job->next = NULL;
        hasher__submit(h, job);
    }
}

/* Runs on the loop thread. The counts are updated and the next queued job is
 * started before the callback, so the callback sees busy without this job,
 * may submit more work, and may free h when busy has reached 0. */
static void hasher__after_work_cb(uv_work_t *req, int uv_status)
{
    hasher__job_t *job = (hasher__job_t *)req;
    okr_hasher_t *h = job->h;

    h->running--;
    hasher__pump(h);

    int status = uv_status == 0 ? job->status : OKR_E_INTERNAL; /* UV_ECANCELED */
    const char *encoded = NULL;
    if (job->kind == HASHER__HASH && status == 0)
        encoded = job->out;
    job->cb(job->arg, status, encoded);
    hasher__job_free(job);
}

static int hasher__accept(okr_hasher_t *h, hasher__job_t *job)
{
    if (h->running < h->max_parallel && h->head == NULL) {
        hasher__submit(h, job);
        return 0;
    }
    if (h->queued < h->max_queued) {
        if (h->tail != NULL)
            h->tail->next = job;
        else
            h->head = job;
        h->tail = job;
        h->queued++;
        return 0;
    }
    hasher__job_free(job);
    return OKR_E_UNAVAILABLE;
}

/* Allocation failures are reported as OKR_E_UNAVAILABLE too: the contract's
 * only refusal, and true enough (the server is short of resources; the
 * client may retry). */
static hasher__job_t *hasher__job_new(okr_hasher_t *h, enum hasher__kind kind, const char *password,
                                      okr_hash_done_fn cb, void *arg)
{
    hasher__job_t *job = calloc(1, sizeof *job);
    if (job == NULL)
        return NULL;
    job->h = h;
    job->kind = kind;
    job->params = h->params;
    job->cb = cb;
    job->arg = arg;
    job->password = hasher__dup(password, &job->password_len);
    if (job->password == NULL) {
        free(job);
        return NULL;
    }
    return job;
}

/* Jobs wait in the FIFO only while every pool slot is taken, so the hasher
 * is full exactly when both limits are reached. */
static int hasher__full(const okr_hasher_t *h)
{
    return h->running >= h->max_parallel && h->queued >= h->max_queued;
}

int okr_hasher_hash(okr_hasher_t *h, const char *password, okr_hash_done_fn cb, void *arg)
{
    if (hasher__full(h))
        return OKR_E_UNAVAILABLE; /* refuse before copying anything */
    hasher__job_t *job = hasher__job_new(h, HASHER__HASH, password, cb, arg);
    if (job == NULL)
        return OKR_E_UNAVAILABLE;
    return hasher__accept(h, job);
}

int okr_hasher_verify(okr_hasher_t *h, const char *encoded, const char *password,
                      okr_hash_done_fn cb, void *arg)
{
    if (hasher__full(h))
        return OKR_E_UNAVAILABLE;
    hasher__job_t *job = hasher__job_new(h, HASHER__VERIFY, password, cb, arg);
    if (job == NULL)
        return OKR_E_UNAVAILABLE;
    job->encoded = hasher__dup(encoded, &job->encoded_len);
    if (job->encoded == NULL) {
        hasher__job_free(job);
        return OKR_E_UNAVAILABLE;
    }
    return hasher__accept(h, job);
}

unsigned okr_hasher_busy(const okr_hasher_t *h)
{
    return h->running + h->queued;
}

unsigned okr_hasher_running_peak(const okr_hasher_t *h)
{
    return h->peak;
}

void okr_hasher_free(okr_hasher_t *h)
{
    if (h == NULL)
        return;
    if (h->running + h->queued != 0) {
        /* Pending after_work callbacks would use h after free. */
        okr_error("okr_hasher_free with %u jobs pending; aborting", h->running + h->queued);
        abort();
    }
    free(h);
}
