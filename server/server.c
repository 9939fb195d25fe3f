/* server.c — okrd's lifecycle: start, listen, accept, stop. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootstrap.h"
#include "conn.h"
#include "log.h"
#include "okr_error.h"
#include "session_sweep.h"

static void server__maybe_finish(okr_server_t *srv);

/* Writes the bound port atomically, so a test never reads half a number. */
static int server__write_port_file(const char *path, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%d\n", port);
    int ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    return ok && rename(tmp, path) == 0 ? 0 : -1;
}

static void server__on_connection(uv_stream_t *listener, int status)
{
    okr_server_t *srv = listener->data;
    if (status < 0) {
        okr_warn("accept: %s", uv_strerror(status));
        return;
    }
    okr_conn_accept(srv, listener);
}

static int server__listen(okr_server_t *srv)
{
    char host[256];
    uint16_t port;
    okr_config_listen_addr(srv->cfg, host, sizeof host, &port);
    struct sockaddr_storage addr;
    int rc = strchr(host, ':') ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr)
                               : uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
    if (rc != 0) {
        okr_error("listen: \"%s\" is not an IP address (use e.g. 127.0.0.1 or ::1)", host);
        return -1;
    }
    uv_tcp_init(srv->loop, &srv->listener);
    srv->listener.data = srv;
    rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&srv->listener, 511, server__on_connection);
    if (rc != 0) {
        okr_error("listen on %s: %s", srv->cfg->listen, uv_strerror(rc));
        return -1;
    }
    struct sockaddr_storage bound;
    int len = sizeof bound;
    uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &len);
    int bound_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                       : ((struct sockaddr_in *)&bound)->sin_port);
    okr_info("listening on %s port %d", host, bound_port);
    if (srv->cfg->port_file[0] && server__write_port_file(srv->cfg->port_file, bound_port) != 0) {
        okr_error("cannot write port_file %s: %s", srv->cfg->port_file, strerror(errno));
        return -1;
    }
    return 0;
}

static void server__on_signal(uv_signal_t *h, int signum)
{
    okr_server_t *srv = h->data;
    okr_info("received %s: shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
    okr_server_stop(srv);
}

/* libuv's thread pool hashes passwords (hash_parallel at once), computes
 * trends (trend_parallel) and copies backups (one): each its own thread, so
 * that a login never waits behind a dashboard's trends. libuv reads the
 * size once, when the pool is first used, so this runs before anything is
 * queued. An administrator's UV_THREADPOOL_SIZE is kept, with a warning
 * when it is too small for the settings. */
static void server__size_pool(const okr_config_t *cfg)
{
    unsigned long want = (unsigned long)(cfg->hash_parallel + cfg->trend_parallel + 1);
    if (want < 4) /* libuv's default */
        want = 4;
    const char *set = getenv("UV_THREADPOOL_SIZE");
    if (set && *set) {
        unsigned long have = strtoul(set, NULL, 10);
        if (have < want)
            okr_warn("UV_THREADPOOL_SIZE=%s is fewer threads than hash_parallel + "
                     "trend_parallel + 1 = %lu: logins may wait behind trends or backups",
                     set, want);
        return;
    }
    char text[24];
    snprintf(text, sizeof text, "%lu", want);
    setenv("UV_THREADPOOL_SIZE", text, 1);
}

int okr_server_init(okr_server_t *srv, uv_loop_t *loop, const okr_config_t *cfg)
{
    memset(srv, 0, sizeof *srv);
    srv->loop = loop;
    srv->cfg = cfg;
    int level = okr_log_parse_level(cfg->log_level);
    if (level < 0) {
        okr_error("log_level must be debug, info, warn or error");
        return -1;
    }
    okr_log_set_level((okr_log_level_t)level);
    server__size_pool(cfg);

    if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST) {
        okr_error("cannot create data_dir %s: %s", cfg->data_dir, strerror(errno));
        return -1;
    }
    char err[512];
    okr_store_opts_t so = {
        .dir = cfg->data_dir,
        .map_size = (size_t)cfg->map_size_mib << 20,
        .map_size_max = (size_t)cfg->map_size_max_mib << 20,
    };
    if (okr_store_open(&srv->store, &so, err, sizeof err) != 0) {
        okr_error("store: %s", err);
        return -1;
    }
    if (okr_bootstrap_tls(srv) != 0 || okr_bootstrap_users(srv) != 0)
        return -1;

    okr_kdf_params_t kdf;
    okr_kdf_params_default(&kdf);
    kdf.memory_kib = (uint32_t)cfg->kdf_memory_kib;
    kdf.iterations = (uint32_t)cfg->kdf_iterations;
    srv->hasher =
        okr_hasher_new(loop, &kdf, (unsigned)cfg->hash_parallel, (unsigned)cfg->hash_queue);
    okr_throttle_params_t tp;
    okr_throttle_params_default(&tp);
    tp.free_failures = (unsigned)cfg->login_free_failures;
    tp.base_ms = cfg->login_delay_base_ms;
    tp.max_ms = cfg->login_delay_max_ms;
    srv->throttle_user = okr_throttle_new(&tp);
    srv->throttle_addr = okr_throttle_new(&tp);
    srv->per_ip = okr_counts_new();
    srv->per_user = okr_counts_new();
    if (!srv->hasher || !srv->throttle_user || !srv->throttle_addr || !srv->per_ip ||
        !srv->per_user) {
        okr_error("out of memory");
        return -1;
    }
    if (okr_writer_start(&srv->writer, loop, srv->store) != 0) {
        okr_error("cannot start the writer thread");
        return -1;
    }
    srv->pubsub = okr_pubsub_new(srv);
    if (!srv->pubsub) {
        okr_error("out of memory");
        return -1;
    }
    okr_writer_on_committed(srv->writer, okr_pubsub_on_committed, srv->pubsub);
    okr_writer_set_commit_delay(srv->writer, (unsigned)cfg->test_commit_delay_ms);
    srv->session_sweep = okr_session_sweep_start(srv);
    if (!srv->session_sweep) {
        okr_error("out of memory");
        return -1;
    }
    uv_timer_init(loop, &srv->shutdown_timer);
    srv->shutdown_timer.data = srv;
    uv_signal_init(loop, &srv->sigint);
    uv_signal_init(loop, &srv->sigterm);
    srv->sigint.data = srv->sigterm.data = srv;
    uv_signal_start(&srv->sigint, server__on_signal, SIGINT);
    uv_signal_start(&srv->sigterm, server__on_signal, SIGTERM);
    return server__listen(srv);
}

/* Connections that outstay shutdown_timeout_ms are cut. */
static void server__on_shutdown_timeout(uv_timer_t *t)
{
    okr_server_t *srv = t->data;
    okr_warn("shutdown: closing %llu connections that did not finish in time",
             (unsigned long long)srv->nconns);
    for (okr_conn_t *c = srv->conns; c; c = c->next)
        okr_conn_close(c, "server shutting down");
}

static void server__on_writer_stopped(void *arg)
{
    okr_server_t *srv = arg;
    srv->writer = NULL;
    srv->writer_stopped = 1;
    okr_info("shutdown: every commit finished; closing %llu connections",
             (unsigned long long)srv->nconns);
    for (okr_conn_t *c = srv->conns; c; c = c->next)
        okr_conn_shutdown(c);
    uv_timer_start(&srv->shutdown_timer, server__on_shutdown_timeout, srv->cfg->shutdown_timeout_ms,
                   0);
    server__maybe_finish(srv);
}

void okr_server_stop(okr_server_t *srv)
{
    if (srv->stopping)
        return;
    srv->stopping = 1;
    if (!uv_is_closing((uv_handle_t *)&srv->listener))
        uv_close((uv_handle_t *)&srv->listener, NULL);
    /* New requests now get UNAVAILABLE; what is queued still commits and
     * is acknowledged before any connection is closed. */
    okr_writer_stop(srv->writer, server__on_writer_stopped, srv);
}

/* The last step: nothing refers to the store or the hasher any more. */
static void server__maybe_finish(okr_server_t *srv)
{
    if (!srv->stopping || !srv->writer_stopped || srv->nconns > 0)
        return;
    if (uv_is_closing((uv_handle_t *)&srv->sigint))
        return;
    uv_close((uv_handle_t *)&srv->shutdown_timer, NULL);
    uv_close((uv_handle_t *)&srv->sigint, NULL);
    uv_close((uv_handle_t *)&srv->sigterm, NULL);
    okr_session_sweep_close(srv->session_sweep);
    srv->session_sweep = NULL;
    okr_hasher_free(srv->hasher);
    srv->hasher = NULL;
    okr_pubsub_free(srv->pubsub);
    srv->pubsub = NULL;
    okr_store_close(srv->store);
    srv->store = NULL;
    okr_info("shutdown: store closed");
}

void okr_server_conn_closed(okr_server_t *srv, okr_conn_t *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    server__maybe_finish(srv);
}

int okr_server_run(okr_server_t *srv)
{
    uv_run(srv->loop, UV_RUN_DEFAULT);
    okr_throttle_free(srv->throttle_user);
    okr_throttle_free(srv->throttle_addr);
    okr_counts_free(srv->per_ip);
    okr_counts_free(srv->per_user);
    SSL_CTX_free(srv->tls);
    okr_info("stopped");
    return 0;
}
