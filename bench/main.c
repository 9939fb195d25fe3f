/* main.c — okr-bench: measures okrd's speed, memory and scale.
 *
 *   okr-bench [--okrd PATH | --server HOST:PORT --admin-password-file FILE]
 *             [--scenarios checkins,fanout,idle,handshakes] [--writers 1,4,16,64]
 *             [--subscribers 100,1000,5000] [--rate 100] [--max-deliveries 100000]
 *             [--idle 10000] [--active 100]
 *             [--handshake-concurrency 16] [--duration 10] [--warmup 1]
 *             [--server-cpu 0] [--client-cpu 1] [--okrd-arg ARG]... [--json] [--smoke]
 *
 * Without --server it starts its own okrd (a fresh data directory, the
 * settings in server.c), pinned to --server-cpu, and pins itself to
 * --client-cpu. Figures go to stdout (a table, or JSON with --json); progress
 * to stderr. Exit status: 0 when every scenario ran without an error and no
 * event was lost, 1 otherwise, 2 for a usage error. Timings never decide the
 * exit status: CI runs --smoke to prove the tool works, not to judge speed.
 */
#define _GNU_SOURCE /* sched_setaffinity, nftw */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "bconn.h"

#ifndef OKRD_DEFAULT_PATH
#define OKRD_DEFAULT_PATH "okrd"
#endif

static uint64_t bench_t0;

void bench_progress(const bench_env_t *env, const char *fmt, ...)
{
    if (env->o->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "okr-bench [%6.1f s] ", (double)(bench_now_ns() - bench_t0) / 1e9);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void bench_error(bench_env_t *env, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "okr-bench: error: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    env->errors++;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: okr-bench [OPTIONS]\n"
        "Measures okrd: durable check-ins, push fan-out, idle connections, handshakes.\n"
        "\n"
        "  --okrd PATH               okrd to start (default: the one built beside this)\n"
        "  --server HOST:PORT        use a running okrd instead (IPv4 address)\n"
        "  --admin-user NAME         with --server (default admin)\n"
        "  --admin-password-file F   with --server\n"
        "  --scenarios LIST          checkins,fanout,idle,handshakes (default: all)\n"
        "  --writers LIST            checkins: writer connections (default 1,4,16,64)\n"
        "  --subscribers LIST        fanout: subscribers (default 100,1000,5000)\n"
        "  --rate N                  fanout: check-ins per second (default 100)\n"
        "  --max-deliveries N        fanout: lower the rate for a run where subscribers x rate\n"
        "                            would exceed N deliveries/s (default 100000; 0: never)\n"
        "  --idle N                  idle: connections held (default 10000)\n"
        "  --active N                idle: active clients meanwhile (default 100)\n"
        "  --handshake-concurrency N handshakes in progress at once (default 16)\n"
        "  --duration S              measured seconds per run (default 10)\n"
        "  --warmup S                seconds before measuring (default 1)\n"
        "  --server-cpu N            pin okrd to this CPU (default 0; -1: do not)\n"
        "  --client-cpu N            pin okr-bench to this CPU (default 1; -1: do not)\n"
        "  --okrd-arg ARG            pass ARG to okrd (repeat for each word)\n"
        "  --json                    print JSON instead of the table\n"
        "  --smoke                   every scenario, small numbers, ~2 s each (CI)\n"
        "  --keep                    keep the temporary directory (okrd's data and log)\n"
        "  --quiet                   no progress on stderr\n");
}

static int parse_list(const char *s, unsigned *out, size_t *n)
{
    *n = 0;
    char *copy = strdup(s), *save = NULL;
    if (!copy)
        return -1;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *end;
        unsigned long v = strtoul(tok, &end, 10);
        if (*end || end == tok || v > 1000000 || *n == BENCH_MAX_LIST) {
            free(copy);
            return -1;
        }
        out[(*n)++] = (unsigned)v;
    }
    free(copy);
    return *n ? 0 : -1;
}

enum {
    OPT_OKRD = 256,
    OPT_SERVER,
    OPT_ADMIN_USER,
    OPT_ADMIN_PW,
    OPT_SCENARIOS,
    OPT_WRITERS,
    OPT_SUBSCRIBERS,
    OPT_RATE,
    OPT_MAX_DELIVERIES,
    OPT_IDLE,
    OPT_ACTIVE,
    OPT_HS,
    OPT_DURATION,
    OPT_WARMUP,
    OPT_SERVER_CPU,
    OPT_CLIENT_CPU,
    OPT_OKRD_ARG,
    OPT_JSON,
    OPT_SMOKE,
    OPT_KEEP,
    OPT_QUIET,
    OPT_HELP,
};

static const struct option long_opts[] = {
    {"okrd", required_argument, NULL, OPT_OKRD},
    {"server", required_argument, NULL, OPT_SERVER},
    {"admin-user", required_argument, NULL, OPT_ADMIN_USER},
    {"admin-password-file", required_argument, NULL, OPT_ADMIN_PW},
    {"scenarios", required_argument, NULL, OPT_SCENARIOS},
    {"writers", required_argument, NULL, OPT_WRITERS},
    {"subscribers", required_argument, NULL, OPT_SUBSCRIBERS},
    {"rate", required_argument, NULL, OPT_RATE},
    {"max-deliveries", required_argument, NULL, OPT_MAX_DELIVERIES},
    {"idle", required_argument, NULL, OPT_IDLE},
    {"active", required_argument, NULL, OPT_ACTIVE},
    {"handshake-concurrency", required_argument, NULL, OPT_HS},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"server-cpu", required_argument, NULL, OPT_SERVER_CPU},
    {"client-cpu", required_argument, NULL, OPT_CLIENT_CPU},
    {"okrd-arg", required_argument, NULL, OPT_OKRD_ARG},
    {"json", no_argument, NULL, OPT_JSON},
    {"smoke", no_argument, NULL, OPT_SMOKE},
    {"keep", no_argument, NULL, OPT_KEEP},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (*end || end == s || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* The smoke run: every scenario, small numbers. Options given explicitly
 * after --smoke still win (they are applied in order). */
static void smoke_defaults(bench_opts_t *o)
{
    o->smoke = 1;
    o->writers[0] = 1;
    o->writers[1] = 4;
    o->nwriters = 2;
    o->subscribers[0] = 20;
    o->nsubscribers = 1;
    o->rate = 50;
    o->idle = 200;
    o->active = 10;
    o->hs_conc = 4;
    o->duration = 1.5;
    o->warmup = 0.5;
}

static int parse_args(bench_opts_t *o, int argc, char **argv)
{
    o->okrd_path = OKRD_DEFAULT_PATH;
    o->scenarios = "checkins,fanout,idle,handshakes";
    unsigned w[] = {1, 4, 16, 64}, s[] = {100, 1000, 5000};
    memcpy(o->writers, w, sizeof w);
    o->nwriters = 4;
    memcpy(o->subscribers, s, sizeof s);
    o->nsubscribers = 3;
    o->rate = 100;
    o->max_deliveries = 100000; /* what one core of a small machine carries (bench/RESULTS.md) */
    o->idle = 10000;
    o->active = 100;
    o->hs_conc = 16;
    o->duration = 10;
    o->warmup = 1;
    o->server_cpu = 0;
    o->client_cpu = 1;
    int c;
    double v;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case OPT_OKRD:
            o->okrd_path = optarg;
            break;
        case OPT_SERVER:
            o->server = optarg;
            break;
        case OPT_ADMIN_USER:
            o->admin_user = optarg;
            break;
        case OPT_ADMIN_PW:
            o->admin_password_file = optarg;
            break;
        case OPT_SCENARIOS:
            o->scenarios = optarg;
            break;
        case OPT_WRITERS:
            bad = parse_list(optarg, o->writers, &o->nwriters);
            break;
        case OPT_SUBSCRIBERS:
            bad = parse_list(optarg, o->subscribers, &o->nsubscribers);
            break;
        case OPT_RATE:
            bad = parse_num(optarg, BENCH_RATE_MIN, 1e6, &o->rate);
            break;
        case OPT_MAX_DELIVERIES:
            bad = parse_num(optarg, 0, 1e9, &o->max_deliveries);
            break;
        case OPT_IDLE:
            bad = parse_num(optarg, 0, 1e6, &v);
            o->idle = (unsigned)v;
            break;
        case OPT_ACTIVE:
            bad = parse_num(optarg, 1, 10000, &v);
            o->active = (unsigned)v;
            break;
        case OPT_HS:
            bad = parse_num(optarg, 1, 10000, &v);
            o->hs_conc = (unsigned)v;
            break;
        case OPT_DURATION:
            bad = parse_num(optarg, 0.1, 240, &o->duration);
            break;
        case OPT_WARMUP:
            bad = parse_num(optarg, 0, 60, &o->warmup);
            break;
        case OPT_SERVER_CPU:
            bad = parse_num(optarg, -1, 4096, &v);
            o->server_cpu = (int)v;
            break;
        case OPT_CLIENT_CPU:
            bad = parse_num(optarg, -1, 4096, &v);
            o->client_cpu = (int)v;
            break;
        case OPT_OKRD_ARG:
            bad = o->nokrd_args == BENCH_MAX_ARGS;
            if (!bad)
                o->okrd_args[o->nokrd_args++] = optarg;
            break;
        case OPT_JSON:
            o->json = 1;
            break;
        case OPT_SMOKE:
            smoke_defaults(o);
            break;
        case OPT_KEEP:
            o->keep = 1;
            break;
        case OPT_QUIET:
            o->quiet = 1;
            break;
        case OPT_HELP:
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
        if (bad) {
            fprintf(stderr, "okr-bench: bad value for %s: %s\n", argv[optind - 1], optarg);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "okr-bench: unexpected argument %s\n", argv[optind]);
        return -1;
    }
    if (o->server && !o->admin_password_file) {
        fprintf(stderr, "okr-bench: --server needs --admin-password-file\n");
        return -1;
    }
    return 0;
}

static int wants(const bench_opts_t *o, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = o->scenarios; (p = strstr(p, name)); p += len)
        if ((p == o->scenarios || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
            return 1;
    return 0;
}

/* The generator holds one descriptor per connection: raise the soft limit to
 * the hard one (okrd, started after this, inherits it). */
static unsigned raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur > 10000000 ? 10000000u : (unsigned)rl.rlim_cur;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int server_addr(bench_env_t *env, const char *hostport)
{
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof env->host)
        return -1;
    memcpy(env->host, hostport, (size_t)(colon - hostport));
    env->host[colon - hostport] = '\0';
    unsigned long port = strtoul(colon + 1, NULL, 10);
    if (port == 0 || port > 65535)
        return -1;
    env->port = (uint16_t)port;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(env->host, NULL, &hints, &res) != 0)
        return -1;
    env->addr = *(struct sockaddr_in *)res->ai_addr;
    env->addr.sin_port = htons(env->port);
    freeaddrinfo(res);
    return 0;
}

static const char *fs_type(const char *dir)
{
    struct statfs s;
    if (statfs(dir, &s) != 0)
        return "unknown";
    switch ((unsigned long)s.f_type) {
    case 0xEF53:
        return "ext4";
    case 0x01021994:
        return "tmpfs";
    case 0x58465342:
        return "xfs";
    case 0x9123683E:
        return "btrfs";
    case 0x794c7630:
        return "overlayfs";
    default:
        return "other";
    }
}

static json_t *okrd_info(const bench_env_t *env)
{
    const bench_opts_t *o = env->o;
    json_t *j = json_object();
    if (o->server) {
        json_object_set_new(j, "server", json_string(o->server));
        return j;
    }
    json_object_set(j, "argv", env->okrd_argv);
    char cpu[32];
    snprintf(cpu, sizeof cpu, "%d", o->server_cpu);
    json_object_set_new(j, "cpu", json_string(o->server_cpu >= 0 ? cpu : "any"));
    snprintf(cpu, sizeof cpu, "%d", o->client_cpu);
    json_object_set_new(j, "generator_cpu", json_string(o->client_cpu >= 0 ? cpu : "any"));
    json_object_set_new(j, "data_fs", json_string(fs_type(env->dir)));
    return j;
}

static void run_scenarios(bench_env_t *env, json_t *runs)
{
    const bench_opts_t *o = env->o;
    if (wants(o, "checkins")) {
        if (!o->server)
            json_array_append_new(runs, bench_sc_lmdb(env));
        for (size_t i = 0; i < o->nwriters; i++)
            json_array_append_new(runs, bench_sc_checkins(env, o->writers[i]));
    }
    if (wants(o, "fanout"))
        for (size_t i = 0; i < o->nsubscribers; i++)
            json_array_append_new(runs, bench_sc_fanout(env, o->subscribers[i]));
    if (wants(o, "idle")) {
        /* Memory per connection on a fresh okrd: the heap that earlier
         * scenarios grew and freed (5,000 subscribers' TLS state) would
         * otherwise be reused by the idle connections and not counted. */
        if (env->okrd_pid && (wants(o, "checkins") || wants(o, "fanout"))) {
            bench_progress(env, "idle: restarting okrd, so that its memory starts from a fresh "
                                "heap");
            if (bench_server_restart(env) != 0)
                return;
        }
        json_array_append_new(runs, bench_sc_idle(env));
    }
    if (wants(o, "handshakes"))
        json_array_append_new(runs, bench_sc_handshakes(env));
}

int main(int argc, char **argv)
{
    bench_t0 = bench_now_ns();
    bench_opts_t o;
    memset(&o, 0, sizeof o);
    if (parse_args(&o, argc, argv) != 0) {
        usage(stderr);
        return 2;
    }
    bench_env_t env;
    memset(&env, 0, sizeof env);
    env.o = &o;
    env.max_fds = raise_nofile();
    signal(SIGPIPE, SIG_IGN);

    const char *tmp = getenv("TMPDIR");
    snprintf(env.dir, sizeof env.dir, "%s/okr-bench-XXXXXX", tmp && tmp[0] ? tmp : "/var/tmp");
    if (!mkdtemp(env.dir)) {
        fprintf(stderr, "okr-bench: cannot create %s: %s\n", env.dir, strerror(errno));
        return 1;
    }
    int started = 0;
    if (o.server) {
        if (server_addr(&env, o.server) != 0) {
            fprintf(stderr, "okr-bench: --server must be IPV4-HOST:PORT, got %s\n", o.server);
            return 2;
        }
    } else {
        bench_progress(&env, "starting %s (cpu %d); okr-bench on cpu %d", o.okrd_path, o.server_cpu,
                       o.client_cpu);
        started = bench_server_start(&env) == 0;
    }
    /* After the fork: okrd was pinned in its child, we pin ourselves now. */
    if (o.client_cpu >= 0 && bench_pin_cpu(o.client_cpu) != 0)
        bench_progress(&env, "cannot pin okr-bench to CPU %d (fewer CPUs?): not pinned",
                       o.client_cpu);

    json_t *report = json_object();
    json_object_set_new(report, "tool", json_string("okr-bench " OKR_VERSION));
    json_object_set_new(report, "machine", bench_machine());
    json_object_set_new(report, "build", bench_build());
    json_t *runs = json_array();
    if ((o.server || started) && bench_setup(&env) == 0) {
        bench_progress(&env, "fixture ready: cycle #%llu, %zu key results",
                       (unsigned long long)env.cycle_id, env.nkrs + 1);
        run_scenarios(&env, runs);
    }
    if (started)
        bench_server_stop(&env);
    json_object_set_new(report, "okrd", okrd_info(&env));
    json_object_set_new(report, "runs", runs);
    json_object_set_new(report, "loadavg_end", bench_loadavg());
    json_object_set_new(report, "errors", json_integer(env.errors));
    if (o.json) {
        json_dumpf(report, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
        fputc('\n', stdout);
    } else {
        bench_print_table(stdout, report);
    }
    json_decref(report);
    json_decref(env.okrd_argv);
    free(env.krs);
    if (env.ctx)
        SSL_CTX_free(env.ctx);
    if (o.keep)
        fprintf(stderr, "okr-bench: kept %s\n", env.dir);
    else
        nftw(env.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return env.errors ? 1 : 0;
}
