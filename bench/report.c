/* report.c — what the figures were measured on, and the human table. */
#include "bench.h"

#include <lmdb.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <uv.h>

#ifndef OKR_BENCH_BUILD_TYPE
#define OKR_BENCH_BUILD_TYPE ""
#endif
#ifndef OKR_BENCH_SANITIZE
#define OKR_BENCH_SANITIZE 0
#endif
#ifndef OKR_BENCH_C_FLAGS
#define OKR_BENCH_C_FLAGS ""
#endif

static void cpu_model(char *out, size_t len)
{
    snprintf(out, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *v = strchr(line, ':');
            if (v) {
                v += 1 + strspn(v + 1, " \t");
                v[strcspn(v, "\n")] = '\0';
                snprintf(out, len, "%s", v);
            }
            break;
        }
    }
    fclose(f);
}

static long long mem_total_kib(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    long long kib = 0;
    if (f) {
        if (fscanf(f, "MemTotal: %lld kB", &kib) != 1)
            kib = 0;
        fclose(f);
    }
    return kib;
}

/* Other work on the machine skews every figure: the load is recorded. */
json_t *bench_loadavg(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double a = 0, b = 0, c = 0;
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &a, &b, &c) != 3)
            a = b = c = 0;
        fclose(f);
    }
    json_t *j = json_array();
    json_array_append_new(j, json_real(a));
    json_array_append_new(j, json_real(b));
    json_array_append_new(j, json_real(c));
    return j;
}

json_t *bench_machine(void)
{
    json_t *m = json_object();
    char model[256];
    cpu_model(model, sizeof model);
    json_object_set_new(m, "cpu", json_string(model));
    json_object_set_new(m, "cores", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_set_new(m, "memory_mib", json_integer(mem_total_kib() / 1024));
    struct utsname u;
    if (uname(&u) == 0) {
        char k[400];
        snprintf(k, sizeof k, "%s %s %s", u.sysname, u.release, u.machine);
        json_object_set_new(m, "kernel", json_string(k));
    }
    json_object_set_new(m, "loadavg_start", bench_loadavg());
    json_object_set_new(m, "openssl", json_string(OpenSSL_version(OPENSSL_VERSION)));
    json_object_set_new(m, "libuv", json_string(uv_version_string()));
    json_object_set_new(m, "lmdb", json_string(mdb_version(NULL, NULL, NULL)));
    return m;
}

json_t *bench_build(void)
{
    json_t *b = json_object();
    json_object_set_new(b, "build_type",
                        json_string(OKR_BENCH_BUILD_TYPE[0] ? OKR_BENCH_BUILD_TYPE : "(none)"));
    json_object_set_new(b, "sanitizers",
                        json_string(OKR_BENCH_SANITIZE ? "address,undefined" : "none"));
    json_object_set_new(b, "c_flags", json_string(OKR_BENCH_C_FLAGS));
    json_object_set_new(b, "compiler", json_string(__VERSION__));
    return b;
}

/* ---- the table ---- */

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return v ? json_number_value(v) : -1;
}

/* "   -" when the figure is missing. */
static void cell(FILE *out, const json_t *o, const char *key, int width, int prec)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        fprintf(out, " %*s", width, "-");
    else
        fprintf(out, " %*.*f", width, prec, json_number_value(v));
}

/* One column of a table: a figure of the run, its width and decimals. */
typedef struct column {
    const char *key;
    int width, prec;
} column_t;

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* The rest of a row, after its first cell (which the caller prints). */
static void cells(FILE *out, const json_t *run, const column_t *cols, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cell(out, run, cols[i].key, cols[i].width, cols[i].prec);
    fputc('\n', out);
}

static int is(const json_t *run, const char *scenario)
{
    const char *s = json_string_value(json_object_get(run, "scenario"));
    return s && strcmp(s, scenario) == 0;
}

/* The check-ins table, then where a check-in's time goes: okrd's apply and
 * commit per group (from its Stats) and the rest of the acknowledgement,
 * beside the bare loops' own time per commit. */
static void table_checkins(FILE *out, const json_t *runs)
{
    size_t i;
    json_t *run;
    int header = 0;
    json_array_foreach(runs, i, run)
    {
        if (is(run, "lmdb_baseline")) {
            fprintf(out,
                    "  bare LMDB put+commit on the same disk: %.0f commits/s (p99 %.2f ms); "
                    "with a put in each of 6 databases: %.0f commits/s (p99 %.2f ms)\n",
                    num(run, "commits_per_s"), num(run, "p99_ms"), num(run, "db6_commits_per_s"),
                    num(run, "db6_p99_ms"));
            if (json_object_get(run, "shape_commits_per_s"))
                fprintf(out,
                        "  bare loop shaped like a check-in (%.0f puts in %.0f databases): %.0f "
                        "commits/s (p99 %.2f ms); mean per commit: %.0f us (1 put), %.0f us "
                        "(check-in shape)\n",
                        num(run, "shape_puts"), num(run, "shape_dbs"),
                        num(run, "shape_commits_per_s"), num(run, "shape_p99_ms"),
                        num(run, "mean_us"), num(run, "shape_mean_us"));
            if (json_object_get(run, "ceiling_per_s"))
                fprintf(out,
                        "  bare loopback TCP round trip, okrd's core <-> the generator's (%.0f "
                        "bytes each way): p50 %.0f us, mean %.0f us; so a writer that waits for "
                        "each acknowledgement could do at most %.0f/s even if a check-in cost only "
                        "the 1-put commit (%.0f%% of the 1-put loop)\n",
                        num(run, "rtt_bytes"), num(run, "rtt_p50_ms") * 1e3,
                        num(run, "rtt_mean_us"), num(run, "ceiling_per_s"),
                        num(run, "ceiling_per_s") / num(run, "commits_per_s") * 100);
        }
        if (!is(run, "checkins"))
            continue;
        if (!header++)
            fprintf(out, "  %7s %12s %8s %8s %9s %8s %13s %9s %6s\n", "writers", "committed/s",
                    "p50 ms", "p99 ms", "p99.9 ms", "max ms", "writes/commit", "okrd cpu%",
                    "errors");
        static const column_t cols[] = {
            {"committed_per_s", 12, 0}, {"p50_ms", 8, 2}, {"p99_ms", 8, 2},
            {"p999_ms", 9, 2},          {"max_ms", 8, 2}, {"writes_per_commit", 13, 1},
            {"server_cpu_pct", 9, 0},   {"errors", 6, 0},
        };
        fprintf(out, "  %7.0f", num(run, "writers"));
        cells(out, run, cols, NCOLS(cols));
    }
    header = 0;
    json_array_foreach(runs, i, run)
    {
        if (!is(run, "checkins") || !json_object_get(run, "commit_mean_us"))
            continue;
        if (!header++)
            fprintf(out,
                    "  where an acknowledgement's time goes, us (okrd's timings per commit "
                    "group; rest = ack - apply - commit:\n  network, TLS, loop<->writer "
                    "hand-offs, waiting for the group in progress; of the rest, to writer and "
                    "back\n  are the two hand-offs (means per write), net what is left)\n"
                    "  %7s %9s %9s %9s %10s %10s %10s %9s %10s %9s %9s %9s\n",
                    "writers", "ack mean", "apply", "commit", "rest", "apply p50", "commit p50",
                    "apply p99", "commit p99", "to writer", "back", "net");
        static const column_t cols[] = {
            {"ack_mean_us", 9, 0},      {"apply_mean_us", 9, 0},  {"commit_mean_us", 9, 0},
            {"rest_mean_us", 10, 0},    {"apply_p50_us", 10, 0},  {"commit_p50_us", 10, 0},
            {"apply_p99_us", 9, 0},     {"commit_p99_us", 10, 0}, {"queue_mean_us", 9, 0},
            {"handback_mean_us", 9, 0}, {"net_mean_us", 9, 0},
        };
        fprintf(out, "  %7.0f", num(run, "writers"));
        cells(out, run, cols, NCOLS(cols));
    }
}

static void table_fanout(FILE *out, const json_t *runs)
{
    size_t i;
    json_t *run;
    int header = 0;
    json_array_foreach(runs, i, run)
    {
        if (!is(run, "fanout"))
            continue;
        if (!header++) {
            fprintf(out, "  %11s %6s %12s %26s %26s\n", "", "", "", "at the socket (kernel)",
                    "read by the generator");
            fprintf(out, "  %11s %6s %12s %8s %8s %8s %8s %8s %8s %6s %7s %9s %6s\n", "subscribers",
                    "rate/s", "deliveries/s", "p50 ms", "p99 ms", "max ms", "p50 ms", "p99 ms",
                    "max ms", "lost", "bytes", "okrd cpu%", "errors");
        }
        static const column_t cols[] = {
            {"rate", 6, 0},           {"deliveries_per_s", 12, 0},
            {"p50_ms", 8, 2},         {"p99_ms", 8, 2},
            {"max_ms", 8, 2},         {"read_p50_ms", 8, 2},
            {"read_p99_ms", 8, 2},    {"read_max_ms", 8, 2},
            {"lost", 6, 0},           {"event_bytes", 7, 0},
            {"server_cpu_pct", 9, 0}, {"errors", 6, 0},
        };
        fprintf(out, "  %11.0f", num(run, "subscribers"));
        cells(out, run, cols, NCOLS(cols));
    }
    header = 0;
    json_array_foreach(runs, i, run)
    {
        if (!is(run, "fanout") || !json_object_get(run, "server_fanout_p50_us"))
            continue;
        if (!header++)
            fprintf(
                out,
                "  okrd's own timings, us: each commit group's commit, and its fan-out (reading "
                "its changes\n  to the last subscriber's write)\n"
                "  %11s %6s %10s %10s %11s %11s\n",
                "subscribers", "rate/s", "commit p50", "commit p99", "fan-out p50", "fan-out p99");
        static const column_t cols[] = {
            {"rate", 6, 0},
            {"server_commit_p50_us", 10, 0},
            {"server_commit_p99_us", 10, 0},
            {"server_fanout_p50_us", 11, 0},
            {"server_fanout_p99_us", 11, 0},
        };
        fprintf(out, "  %11.0f", num(run, "subscribers"));
        cells(out, run, cols, NCOLS(cols));
    }
}

static void table_idle(FILE *out, const json_t *runs)
{
    size_t i;
    json_t *run;
    json_array_foreach(runs, i, run)
    {
        if (!is(run, "idle"))
            continue;
        fprintf(out,
                "  %.0f connections opened in %.1f s (%.0f/s) and held: okrd memory %.1f KiB "
                "per connection\n",
                num(run, "opened"), num(run, "open_s"), num(run, "open_per_s"),
                num(run, "bytes_per_conn") / 1024.0);
        fprintf(out,
                "  %.0f active clients (closed-loop check-ins): p99 %.2f ms alone, %.2f ms "
                "while held (%.0f/s and %.0f/s); errors %.0f\n",
                num(run, "active"), num(run, "active_alone_p99_ms"), num(run, "active_held_p99_ms"),
                num(run, "active_alone_committed_per_s"), num(run, "active_held_committed_per_s"),
                num(run, "errors"));
    }
}

static void table_handshakes(FILE *out, const json_t *runs)
{
    size_t i;
    json_t *run;
    json_array_foreach(runs, i, run)
    {
        if (!is(run, "handshakes"))
            continue;
        fprintf(out,
                "  %.0f/s with %.0f in progress (p50 %.2f ms, p99 %.2f ms); okrd cpu %.0f%% -> "
                "%.0f per okrd core-second; errors %.0f\n",
                num(run, "handshakes_per_s"), num(run, "concurrency"), num(run, "p50_ms"),
                num(run, "p99_ms"), num(run, "server_cpu_pct"), num(run, "per_server_core_s"),
                num(run, "errors"));
    }
}

void bench_print_table(FILE *out, const json_t *report)
{
    const json_t *m = json_object_get(report, "machine");
    const json_t *b = json_object_get(report, "build");
    const json_t *runs = json_object_get(report, "runs");
    fprintf(out, "okr-bench: %s, %lld cores, %s; build %s, sanitizers %s\n",
            json_string_value(json_object_get(m, "cpu")),
            (long long)json_integer_value(json_object_get(m, "cores")),
            json_string_value(json_object_get(m, "openssl")),
            json_string_value(json_object_get(b, "build_type")),
            json_string_value(json_object_get(b, "sanitizers")));
    const json_t *okrd = json_object_get(report, "okrd");
    const json_t *argv = json_object_get(okrd, "argv");
    if (argv) {
        size_t i;
        json_t *a;
        fprintf(out, "okrd (cpu %s):", json_string_value(json_object_get(okrd, "cpu")));
        json_array_foreach(argv, i, a) fprintf(out, " %s", json_string_value(a));
        fputc('\n', out);
    }
    fprintf(out, "\ndurable check-ins (each acknowledged after its commit is durable)\n");
    table_checkins(out, runs);
    fprintf(out, "\npush fan-out over TLS (send -> receipt)\n");
    table_fanout(out, runs);
    fprintf(out, "\nidle connections\n");
    table_idle(out, runs);
    fprintf(out, "\nhandshakes (TCP + TLS 1.3 + Hello + AuthToken)\n");
    table_handshakes(out, runs);
    const json_t *l0 = json_object_get(m, "loadavg_start"),
                 *l1 = json_object_get(report, "loadavg_end");
    if (l0 && l1)
        fprintf(out,
                "\nload average (1 min) at the start %.2f, at the end %.2f (other work on the "
                "machine skews the figures)\n",
                json_real_value(json_array_get(l0, 0)), json_real_value(json_array_get(l1, 0)));
    fprintf(out, "\n%s\n",
            json_integer_value(json_object_get(report, "errors")) ? "ERRORS: see above"
                                                                  : "no errors, no events lost");
}
