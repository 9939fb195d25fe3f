/* bench.h — okr-bench: what the parts share.
 *
 * main.c      options, the order of scenarios, exit status
 * server.c    starting and stopping okrd (pinned to its own core), /proc figures
 * setup.c     the fixture (bench user, cycle, objectives, key results) and Stats
 * bconn.c     event-driven client connections, many per loop
 * sc_*.c      the scenarios: checkins, fanout, idle, handshakes, and the bare
 *             LMDB put+commit baseline with a bare loopback round trip beside it
 * report.c    the machine, the build, the human table
 *
 * Every scenario returns its figures as a JSON object (jansson): the same
 * object is printed with --json and formatted as the table otherwise.
 */
#ifndef OKR_BENCH_H
#define OKR_BENCH_H

#include <jansson.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "okr.pb-c.h"

#define BENCH_MAX_LIST 16
#define BENCH_MAX_ARGS 32
#define BENCH_RATE_MIN 0.1 /* check-ins per second, fanout: the least --rate */

typedef struct bench_opts {
    const char *okrd_path;           /* okrd to start; NULL with server */
    const char *server;              /* HOST:PORT of a running okrd, or NULL */
    const char *admin_user;          /* with server */
    const char *admin_password_file; /* with server */
    const char *scenarios;           /* comma-separated */
    unsigned writers[BENCH_MAX_LIST];
    size_t nwriters;
    unsigned subscribers[BENCH_MAX_LIST];
    size_t nsubscribers;
    double rate;           /* fanout: check-ins per second */
    double max_deliveries; /* fanout: the rate is lowered so subscribers x rate stays under this (0:
                              no cap) */
    unsigned idle;         /* idle: connections held */
    unsigned active;       /* idle: active clients while they are held */
    unsigned hs_conc;      /* handshakes: connections being opened at once */
    double duration;       /* measured seconds per scenario run */
    double warmup;         /* seconds before measuring */
    int smoke, json, keep, quiet;
    int server_cpu, client_cpu; /* -1: do not pin */
    const char *okrd_args[BENCH_MAX_ARGS];
    size_t nokrd_args;
} bench_opts_t;

typedef struct bench_env {
    const bench_opts_t *o;
    /* the server */
    pid_t okrd_pid; /* 0 when not started by us */
    char dir[256];  /* our temporary directory */
    char data_dir[300], log_path[300], known_servers[300];
    char host[64];
    uint16_t port;
    struct sockaddr_in addr;
    char fingerprint[65];
    json_t *okrd_argv; /* the command line okrd was started with */
    char admin_password[128];
    /* the fixture */
    char admin_token[128];
    char token[128]; /* the bench user's session */
    uint64_t user_id, cycle_id;
    uint64_t *krs; /* key results for writers and active clients */
    size_t nkrs;
    uint64_t fanout_kr;
    SSL_CTX *ctx; /* client context shared by every bconn */
    unsigned max_fds;
    int errors; /* anything that went wrong in any scenario */
} bench_env_t;

/* Progress and warnings on stderr (not with --quiet). */
void bench_progress(const bench_env_t *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Errors on stderr, always; counts them in env->errors. */
void bench_error(bench_env_t *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* server.c */
int bench_server_start(bench_env_t *env);
void bench_server_stop(bench_env_t *env);
/* Stops okrd and starts it again on the same data (admin password, users,
 * sessions and fixture kept; a new port): a fresh process, for a figure that
 * must not inherit what earlier scenarios left in its heap. */
int bench_server_restart(bench_env_t *env);
/* CPU time (user + system) of a process, ns; 0 if unknown. */
uint64_t bench_proc_cpu_ns(pid_t pid);
/* CPU time of this process, ns. */
uint64_t bench_self_cpu_ns(void);
/* Pins the calling thread (and the threads it creates later) to cpu. */
int bench_pin_cpu(int cpu);

/* setup.c */
int bench_setup(bench_env_t *env);
/* Fetches the server's Stats as the admin. Caller frees with
 * okr__stats__free_unpacked. NULL (and an error counted) on failure. */
Okr__Stats *bench_stats(bench_env_t *env);
/* A CheckIn request for kr, value, note; the strings are the caller's. */
void bench_checkin_req(Okr__Request *req, Okr__CheckInRequest *ci, uint64_t kr, double value,
                       char *note);

/* Scenarios: each returns a JSON object with its figures, "errors" and,
 * where it applies, "lost"; never NULL. */
json_t *bench_sc_lmdb(bench_env_t *env);
json_t *bench_sc_checkins(bench_env_t *env, unsigned writers);
json_t *bench_sc_fanout(bench_env_t *env, unsigned subscribers);
json_t *bench_sc_idle(bench_env_t *env);
json_t *bench_sc_handshakes(bench_env_t *env);

/* report.c */
json_t *bench_machine(void);
json_t *bench_loadavg(void);
json_t *bench_build(void);
void bench_print_table(FILE *out, const json_t *report);

/* Common figures of a latency histogram into obj: p50/p99/p999/max in ms. */
struct hist;
void bench_json_latency(json_t *obj, const char *prefix, const struct hist *h);

#endif
