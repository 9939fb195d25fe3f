#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "frame.h"
#include "okr_error.h"

#ifndef OKRD_PATH
#error "OKRD_PATH must be defined by the build"
#endif

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int read_port(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int port = -1;
    if (fscanf(f, "%d", &port) != 1)
        port = -1;
    fclose(f);
    return port;
}

void ts_start(okr_test_server_t *ts, const char *const *extra)
{
    if (!ts->dir[0]) {
        snprintf(ts->dir, sizeof ts->dir, "/tmp/okr-it-XXXXXX");
        assert_non_null(mkdtemp(ts->dir));
        snprintf(ts->data_dir, sizeof ts->data_dir, "%s/data", ts->dir);
        snprintf(ts->log_path, sizeof ts->log_path, "%s/okrd.log", ts->dir);
        snprintf(ts->known_servers, sizeof ts->known_servers, "%s/known_servers", ts->dir);
        char pw[300];
        snprintf(pw, sizeof pw, "%s/admin-password", ts->dir);
        write_file(pw, TS_ADMIN_PASSWORD "\n");
    }
    if (extra) {
        size_t i = 0;
        for (; extra[i] && i + 1 < TS_MAX_ARGS; i++)
            ts->extra[i] = extra[i];
        ts->extra[i] = NULL;
    }
    char port_file[300], pw_file[300];
    snprintf(port_file, sizeof port_file, "%s/port", ts->dir);
    snprintf(pw_file, sizeof pw_file, "%s/admin-password", ts->dir);
    unlink(port_file);

    /* A restart keeps the port: pins are per host:port. */
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%u", (unsigned)ts->port);
    const char *argv[64] = {OKRD_PATH, "--data-dir",       ts->data_dir, "--listen",
                            listen,    "--port-file",      port_file,    "--admin-password-file",
                            pw_file,   "--kdf-memory-kib", "1024",       "--kdf-iterations",
                            "1"};
    size_t argc = 13;
    for (size_t i = 0; ts->extra[i] && argc < 62; i++)
        argv[argc++] = ts->extra[i];
    argv[argc] = NULL;

    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* okrd ends with the test: a test that fails between ts_start and
         * ts_stop would otherwise leave it running after the suite. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(127);
        int fd = open(ts->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(OKRD_PATH, (char *const *)argv);
        _exit(127);
    }
    ts->pid = pid;
    for (int waited = 0; waited < 60000; waited += 20) {
        int port = read_port(port_file);
        if (port > 0) {
            ts->port = (uint16_t)port;
            return;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            ts->pid = 0;
            char *log = ts_read_log(ts);
            fprintf(stderr, "okrd exited during start; log:\n%s\n", log ? log : "");
            free(log);
            fail_msg("okrd did not start");
        }
        sleep_ms(20);
    }
    fail_msg("okrd did not write its port file within 60 s");
}

/* Waits up to ms for pid; returns its status, or -1 on timeout. */
static int wait_exit(pid_t pid, int ms)
{
    for (int waited = 0; waited < ms; waited += 10) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return status;
        sleep_ms(10);
    }
    return -1;
}

void ts_stop(okr_test_server_t *ts)
{
    if (ts->pid <= 0)
        return;
    kill(ts->pid, SIGTERM);
    int status = wait_exit(ts->pid, 30000);
    if (status == -1) {
        kill(ts->pid, SIGKILL);
        waitpid(ts->pid, &status, 0);
        ts->pid = 0;
        fail_msg("okrd did not stop within 30 s of SIGTERM");
    }
    ts->pid = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char *log = ts_read_log(ts);
        fprintf(stderr, "okrd log:\n%s\n", log ? log : "");
        free(log);
        fail_msg("okrd exited with status %d (signal %d) after SIGTERM",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
}

void ts_kill(okr_test_server_t *ts)
{
    if (ts->pid <= 0)
        return;
    kill(ts->pid, SIGKILL);
    waitpid(ts->pid, NULL, 0);
    ts->pid = 0;
}

int ts_alive(okr_test_server_t *ts)
{
    if (ts->pid <= 0)
        return 0;
    int status;
    if (waitpid(ts->pid, &status, WNOHANG) == ts->pid) {
        ts->pid = 0;
        return 0;
    }
    return 1;
}

void ts_cleanup(okr_test_server_t *ts)
{
    ts_kill(ts);
    if (ts->dir[0] && strncmp(ts->dir, "/tmp/okr-it-", 12) == 0) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", ts->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", ts->dir);
    }
    memset(ts, 0, sizeof *ts);
}

char *ts_read_log(okr_test_server_t *ts)
{
    FILE *f = fopen(ts->log_path, "r");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf) {
        size_t got = fread(buf, 1, (size_t)n, f);
        buf[got] = '\0';
    }
    fclose(f);
    return buf;
}

okr_client_t *ts_connect(okr_test_server_t *ts)
{
    okr_client_opts_t opts = {
        .host = "127.0.0.1",
        .port = ts->port,
        .known_servers_path = ts->known_servers,
        .trust_new = 1,
        .timeout_ms = 15000,
        .client_name = "okr-tests",
    };
    okr_client_t *c = NULL;
    char err[1024];
    int rc = okr_client_connect(&c, &opts, err, sizeof err);
    if (rc != 0)
        fail_msg("cannot connect to okrd on port %u: %s", ts->port, err);
    return c;
}

okr_client_t *ts_login(okr_test_server_t *ts, const char *user, const char *password)
{
    okr_client_t *c = ts_connect(ts);
    int rc = okr_client_login(c, user, password, NULL);
    if (rc != 0)
        fail_msg("login as %s failed: %s (%s)", user, okr_strerror(rc), okr_client_error(c));
    return c;
}

int ts_call(okr_client_t *c, Okr__Request *req, Okr__Response **out)
{
    Okr__Response *resp = NULL;
    int rc = okr_client_call(c, req, &resp);
    if (rc != 0)
        return rc;
    rc = okr_status_to_err(resp->status);
    if (out)
        *out = resp;
    else
        okr__response__free_unpacked(resp, NULL);
    return rc;
}

int ts_create_user(okr_client_t *admin, const char *username, const char *password, Okr__Role role)
{
    Okr__UserCreateRequest uc = OKR__USER_CREATE_REQUEST__INIT;
    uc.username = (char *)username;
    uc.display_name = (char *)username;
    uc.password = (char *)password;
    uc.role = role;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_USER_CREATE;
    req.user_create = &uc;
    return ts_call(admin, &req, NULL);
}

int ts_tcp_connect(okr_test_server_t *ts)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(ts->port)};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void set_timeout(int fd, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

SSL *ts_tls_connect(okr_test_server_t *ts, int max_version)
{
    int fd = ts_tcp_connect(ts);
    if (fd < 0)
        return NULL;
    set_timeout(fd, 10000);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx,
                                  max_version == TLS1_2_VERSION ? TLS1_2_VERSION : TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, max_version);
    static const unsigned char alpn[] = "\x05okr/1";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);
    SSL *ssl = SSL_new(ctx);
    SSL_CTX_free(ctx); /* the SSL keeps its own reference */
    SSL_set_fd(ssl, fd);
    ERR_clear_error();
    if (SSL_connect(ssl) != 1) {
        ERR_clear_error();
        SSL_free(ssl);
        close(fd);
        return NULL;
    }
    return ssl;
}

void ts_tls_close(SSL *ssl)
{
    if (!ssl)
        return;
    int fd = SSL_get_fd(ssl);
    SSL_free(ssl);
    close(fd);
}

int ts_tls_send_request(SSL *ssl, const Okr__Request *req)
{
    Okr__Envelope env = OKR__ENVELOPE__INIT;
    env.msg_case = OKR__ENVELOPE__MSG_REQUEST;
    env.request = (Okr__Request *)req;
    size_t n = okr__envelope__get_packed_size(&env);
    uint8_t *buf = malloc(OKR_FRAME_HEADER + n);
    okr_frame_put_header(buf, (uint32_t)n);
    okr__envelope__pack(&env, buf + OKR_FRAME_HEADER);
    int ok = SSL_write(ssl, buf, (int)(OKR_FRAME_HEADER + n)) == (int)(OKR_FRAME_HEADER + n);
    free(buf);
    return ok ? 0 : -1;
}

static int read_exact(SSL *ssl, uint8_t *buf, size_t len)
{
    size_t have = 0;
    while (have < len) {
        int n = SSL_read(ssl, buf + have, (int)(len - have));
        if (n <= 0) {
            ERR_clear_error();
            return -1;
        }
        have += (size_t)n;
    }
    return 0;
}

Okr__Envelope *ts_tls_read_envelope(SSL *ssl, int timeout_ms)
{
    set_timeout(SSL_get_fd(ssl), timeout_ms);
    uint8_t hdr[4];
    if (read_exact(ssl, hdr, 4) != 0)
        return NULL;
    uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (n == 0 || n > 16u * 1024 * 1024)
        return NULL;
    uint8_t *buf = malloc(n);
    Okr__Envelope *env = NULL;
    if (read_exact(ssl, buf, n) == 0)
        env = okr__envelope__unpack(NULL, n, buf);
    free(buf);
    return env;
}

int ts_fd_closed_within(int fd, int timeout_ms)
{
    /* A real deadline: a peer that keeps sending must not use up the time
     * 50 ms at a time, and what it sent is read off in big bites. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t deadline = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 + timeout_ms;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t left = deadline - ((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
        if (left <= 0)
            return 0;
        if (poll(&p, 1, left > 50 ? 50 : (int)left) <= 0)
            continue;
        for (;;) {
            static char buf[64 * 1024];
            ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                return 1;
            if (n < 0)
                break;
        }
    }
}
