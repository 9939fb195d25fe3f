/* cmd_admin.c — okr admin: server administration (admins only).
 * `okr admin stats`: the server's counters (connections, subscriptions,
 * commits, push fan-out) from a StatsRequest; `okr admin backup FILE`: an
 * online copy of the store written by the server (BackupRequest). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd_kit.h"
#include "okr_error.h"

static const char admin_usage[] = "Usage: okr admin COMMAND [ARGS]\n"
                                  "\n"
                                  "Server administration (admins only).\n"
                                  "\n"
                                  "Commands:\n"
                                  "  stats    the server's counters: connections, subscriptions,\n"
                                  "           commits, apply and commit times, events pushed,\n"
                                  "           fan-out time, trends, memory\n"
                                  "  backup   an online copy of the store, on the server\n"
                                  "\n"
                                  "Run 'okr admin COMMAND --help' for the details of one.\n"
                                  "\n"
                                  "Examples:\n"
                                  "  okr admin stats\n"
                                  "  okr admin stats --json\n"
                                  "  okr admin backup /var/backups/okr/2026-11-27.mdb\n";

static const char stats_usage[] =
    "Usage: okr admin stats\n"
    "\n"
    "Shows the server's counters (admins only):\n"
    "  connections        connections open now\n"
    "  subscriptions      live subscriptions (okr watch, dashboards)\n"
    "  queued bytes       output waiting for slow readers, all connections\n"
    "  commits            writer transactions since the server started, each made\n"
    "                     durable by its own syncs to disk (data, then meta page)\n"
    "  commits/s          commits per second over the last 10 seconds\n"
    "  writes             writes in them (several requests commit together)\n"
    "  fsyncs             flushes to disk: two per commit that changed something\n"
    "  events sent        event frames pushed to connections\n"
    "  events coalesced   events dropped for a newer state of the same entity\n"
    "                     (a slow reader's queue was over its cap)\n"
    "  slow disconnects   connections cut for being too slow to read\n"
    "  trends running     trend computations on the server's thread pool now\n"
    "                     (at most its trend_parallel)\n"
    "  trends waiting     trend requests queued behind them (at most trend_queue)\n"
    "  trends refused     trend requests refused since start: the queue was full\n"
    "  trend objectives   objectives computed for trend requests since start\n"
    "  refused, full      connections closed at accept since start: okrd held\n"
    "                     max_connections already\n"
    "  refused per IP     connections closed at accept since start: their address\n"
    "                     held max_connections_per_ip already\n"
    "  refused per user   logins refused since start: the user (or dashboard\n"
    "                     token) held max_connections_per_user already\n"
    "  sessions expired   expired login sessions deleted since start (okrd's\n"
    "                     session_sweep_s)\n"
    "  sessions evicted   sessions ended since start because their user logged in\n"
    "                     once more than max_sessions_per_user (the oldest go)\n"
    "  current seq        the newest committed change\n"
    "  fan-out last/max   time to push a commit group to its subscribers\n"
    "  fan-out p50/p99    the same over every commit group since start\n"
    "  apply p50/p99      per commit group, time running its writes (since start)\n"
    "  commit p50/p99     per commit group, time in the commit: page writes and\n"
    "                     syncs to disk (since start)\n"
    "  to writer p50/p99  per write, from the request to the writer thread starting\n"
    "                     it (includes waiting for the commit in progress)\n"
    "  back to loop       per write, from its commit to its acknowledgement leaving\n"
    "    p50/p99          the writer thread for the event loop\n"
    "  resident memory    the server's resident set size\n"
    "  started            when the server started\n"
    "\n"
    "Options:\n"
    "  --json   the fields as JSON (proto names; times in ms since the epoch,\n"
    "           durations in microseconds, sizes in bytes)\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr admin stats\n"
    "  okr admin stats --json | jq .events_sent\n";

/* "512 B", "1.5 KiB", "23.4 MiB", "1.2 GiB". */
static const char *admin__bytes(uint64_t n, char *buf, size_t len)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (n < 1024) {
        snprintf(buf, len, "%llu B", (unsigned long long)n);
        return buf;
    }
    double v = (double)n / 1024.0;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, len, "%.1f %s", v, units[u]);
    return buf;
}

/* "850 µs", "12.3 ms", "1.20 s". */
static const char *admin__micros(uint64_t us, char *buf, size_t len)
{
    if (us < 1000)
        snprintf(buf, len, "%llu \u00b5s", (unsigned long long)us);
    else if (us < 1000000)
        snprintf(buf, len, "%.1f ms", (double)us / 1000.0);
    else
        snprintf(buf, len, "%.2f s", (double)us / 1000000.0);
    return buf;
}

/* "8 µs / 49 µs": a median and a 99th percentile. */
static const char *admin__p50_p99(uint64_t p50, uint64_t p99, char *buf, size_t len)
{
    char a[32], b[32];
    snprintf(buf, len, "%s / %s", admin__micros(p50, a, sizeof a), admin__micros(p99, b, sizeof b));
    return buf;
}

static const char *admin__count(uint64_t n, char *buf, size_t len)
{
    snprintf(buf, len, "%llu", (unsigned long long)n);
    return buf;
}

/* "2026-03-02 10:00 CET (3 h 12 min ago)". */
static const char *admin__started(int64_t ms, char *buf, size_t len)
{
    char when[64];
    okr_cli_format_time(ms, when, sizeof when);
    int64_t up = okr_wall_ms() - ms;
    if (ms <= 0 || up < 0) {
        snprintf(buf, len, "%s", when);
        return buf;
    }
    int64_t min = up / 60000;
    if (min < 60)
        snprintf(buf, len, "%s (%lld min ago)", when, (long long)min);
    else if (min < 48 * 60)
        snprintf(buf, len, "%s (%lld h %lld min ago)", when, (long long)(min / 60),
                 (long long)(min % 60));
    else
        snprintf(buf, len, "%s (%lld days ago)", when, (long long)(min / 1440));
    return buf;
}

static json_t *admin__stats_json(const Okr__Stats *s)
{
    json_t *j = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "connections",
        (json_int_t)s->connections, "subscriptions", (json_int_t)s->subscriptions, "queued_bytes",
        (json_int_t)s->queued_bytes, "commits", (json_int_t)s->commits, "writes",
        (json_int_t)s->writes, "events_sent", (json_int_t)s->events_sent, "events_coalesced",
        (json_int_t)s->events_coalesced, "slow_disconnects", (json_int_t)s->slow_disconnects,
        "current_seq", (json_int_t)s->current_seq, "fanout_last_us", (json_int_t)s->fanout_last_us,
        "fanout_max_us", (json_int_t)s->fanout_max_us, "resident_bytes",
        (json_int_t)s->resident_bytes, "started_at", (json_int_t)s->started_at);
    /* The writer's timings (the raw histograms stay on the wire: okr-bench
     * subtracts them). */
    const struct {
        const char *name;
        uint64_t v;
    } t[] = {{"apply_p50_us", s->apply_p50_us},
             {"apply_p99_us", s->apply_p99_us},
             {"commit_p50_us", s->commit_p50_us},
             {"commit_p99_us", s->commit_p99_us},
             {"timed_groups", s->timed_groups},
             {"apply_sum_us", s->apply_sum_us},
             {"commit_sum_us", s->commit_sum_us},
             {"queue_p50_us", s->queue_p50_us},
             {"queue_p99_us", s->queue_p99_us},
             {"handback_p50_us", s->handback_p50_us},
             {"handback_p99_us", s->handback_p99_us},
             {"fanout_p50_us", s->fanout_p50_us},
             {"fanout_p99_us", s->fanout_p99_us},
             {"fsyncs", s->fsyncs},
             {"trends_running", s->trends_running},
             {"trends_waiting", s->trends_waiting},
             {"trends_refused", s->trends_refused},
             {"trend_objectives", s->trend_objectives},
             {"connections_refused_full", s->connections_refused_full},
             {"connections_refused_per_ip", s->connections_refused_per_ip},
             {"logins_refused_per_user", s->logins_refused_per_user},
             {"sessions_expired", s->sessions_expired},
             {"sessions_evicted", s->sessions_evicted}};
    for (size_t i = 0; j && i < sizeof t / sizeof t[0]; i++) {
        if (json_object_set_new(j, t[i].name, json_integer((json_int_t)t[i].v)) != 0) {
            json_decref(j);
            j = NULL;
        }
    }
    if (j && json_object_set_new(j, "commits_per_s", json_real(s->commits_per_s)) != 0) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

static int admin__stats_table(okr_cli_t *cli, const Okr__Stats *s)
{
    char v[29][128];
    snprintf(v[4], sizeof v[4], "%.1f", s->commits_per_s);
    const char *const rows[][2] = {
        {"connections", admin__count(s->connections, v[0], sizeof v[0])},
        {"subscriptions", admin__count(s->subscriptions, v[1], sizeof v[1])},
        {"queued bytes", admin__bytes(s->queued_bytes, v[2], sizeof v[2])},
        {"commits", admin__count(s->commits, v[3], sizeof v[3])},
        {"commits/s", v[4]},
        {"writes", admin__count(s->writes, v[5], sizeof v[5])},
        {"fsyncs", admin__count(s->fsyncs, v[6], sizeof v[6])},
        {"events sent", admin__count(s->events_sent, v[7], sizeof v[7])},
        {"events coalesced", admin__count(s->events_coalesced, v[8], sizeof v[8])},
        {"slow disconnects", admin__count(s->slow_disconnects, v[9], sizeof v[9])},
        {"trends running", admin__count(s->trends_running, v[20], sizeof v[20])},
        {"trends waiting", admin__count(s->trends_waiting, v[21], sizeof v[21])},
        {"trends refused", admin__count(s->trends_refused, v[22], sizeof v[22])},
        {"trend objectives", admin__count(s->trend_objectives, v[23], sizeof v[23])},
        {"refused, full", admin__count(s->connections_refused_full, v[28], sizeof v[28])},
        {"refused per IP", admin__count(s->connections_refused_per_ip, v[24], sizeof v[24])},
        {"refused per user", admin__count(s->logins_refused_per_user, v[25], sizeof v[25])},
        {"sessions expired", admin__count(s->sessions_expired, v[26], sizeof v[26])},
        {"sessions evicted", admin__count(s->sessions_evicted, v[27], sizeof v[27])},
        {"current seq", admin__count(s->current_seq, v[10], sizeof v[10])},
        {"fan-out last", admin__micros(s->fanout_last_us, v[11], sizeof v[11])},
        {"fan-out max", admin__micros(s->fanout_max_us, v[12], sizeof v[12])},
        {"fan-out p50/p99",
         admin__p50_p99(s->fanout_p50_us, s->fanout_p99_us, v[13], sizeof v[13])},
        {"resident memory", admin__bytes(s->resident_bytes, v[14], sizeof v[14])},
        {"apply p50/p99", admin__p50_p99(s->apply_p50_us, s->apply_p99_us, v[15], sizeof v[15])},
        {"commit p50/p99", admin__p50_p99(s->commit_p50_us, s->commit_p99_us, v[16], sizeof v[16])},
        {"to writer p50/p99",
         admin__p50_p99(s->queue_p50_us, s->queue_p99_us, v[17], sizeof v[17])},
        {"back to loop p50/p99",
         admin__p50_p99(s->handback_p50_us, s->handback_p99_us, v[18], sizeof v[18])},
        {"started", admin__started(s->started_at, v[19], sizeof v[19])},
    };
    static const char *const header[] = {"STAT", "VALUE"};
    okr_cli_table_t t;
    if (okr_cli_table_init(&t, 2, header) != 0)
        return okr_kit_nomem(cli);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (okr_cli_table_add(&t, rows[i]) != 0) {
            okr_cli_table_free(&t);
            return okr_kit_nomem(cli);
        }
    }
    printf("Server %s\n", cli->server);
    okr_cli_table_print(&t, stdout);
    okr_cli_table_free(&t);
    return OKR_EXIT_OK;
}

static int admin__stats(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    int rc = okr_kit_begin(cli, "admin stats", stats_usage, argc, argv, "", longopts, NULL, NULL, 0,
                           0, "");
    if (rc >= 0)
        return rc;
    Okr__StatsRequest sr = OKR__STATS_REQUEST__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_STATS;
    req.stats = &sr;
    Okr__Response *resp;
    if ((rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_STATS, &resp)) != 0)
        return rc;
    if (!resp->stats) {
        okr__response__free_unpacked(resp, NULL);
        return okr_kit_no_result(cli, "statistics");
    }
    if (cli->json) {
        json_t *j = admin__stats_json(resp->stats);
        rc = j ? OKR_EXIT_OK : okr_kit_nomem(cli);
        okr_cli_print_json(j);
    } else {
        rc = admin__stats_table(cli, resp->stats);
    }
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

static const char backup_usage[] =
    "Usage: okr admin backup [--no-compact] FILE\n"
    "\n"
    "Makes the server write a copy of its whole store to FILE, while clients keep\n"
    "working (admins only). FILE is a path on the server's machine: absolute, and\n"
    "not an existing file. The copy is one consistent snapshot, written to\n"
    "FILE.tmp and renamed when complete, so FILE is always a whole backup. Restore\n"
    "it with: okrd --restore FILE --data-dir EMPTY_DIR.\n"
    "\n"
    "Options:\n"
    "  --no-compact   copy free pages too (faster, larger file)\n"
    "  --json         the result as JSON: path, bytes, last_seq, took_ms\n"
    "  (and the global options: okr --help; the wait is at least 10 minutes)\n"
    "\n"
    "Examples:\n"
    "  okr admin backup /var/backups/okr/$(date +%F).mdb\n";

enum { OPT_NO_COMPACT = OKR_OPT_FIRST_COMMAND_OPT };

static int admin__backup_opt(okr_cli_t *cli, int opt, void *arg)
{
    (void)cli;
    if (opt == OPT_NO_COMPACT)
        *(int *)arg = 0;
    return -1;
}

static int admin__backup(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"no-compact", no_argument, NULL, OPT_NO_COMPACT},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "admin backup";
    cli->usage = backup_usage;
    int compact = 1;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, admin__backup_opt, &compact);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 1, 1, "FILE (an absolute path on the server)");
    if (rc >= 0)
        return rc;
    const char *path = argv[optind];
    if (path[0] != '/')
        return okr_cli_usage_error(cli, "FILE is a path on the server's machine and must be "
                                        "absolute, like /var/backups/okr/today.mdb");
    /* A large store takes a while to copy. */
    if (cli->timeout_ms < 600000)
        cli->timeout_ms = 600000;
    if ((rc = okr_cli_connect_lazy(cli)) != 0)
        return rc;
    Okr__BackupRequest br = OKR__BACKUP_REQUEST__INIT;
    br.path = (char *)path;
    br.compact = compact;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_BACKUP;
    req.backup = &br;
    Okr__Response *resp;
    if ((rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_BACKUP, &resp)) != 0)
        return rc;
    const Okr__BackupResult *b = resp->backup;
    if (!b) {
        okr__response__free_unpacked(resp, NULL);
        return okr_kit_no_result(cli, "backup");
    }
    if (cli->json) {
        json_t *j = json_pack("{s:s, s:I, s:I, s:I}", "path", b->path ? b->path : "", "bytes",
                              (json_int_t)b->bytes, "last_seq", (json_int_t)b->last_seq, "took_ms",
                              (json_int_t)b->took_ms);
        rc = j ? OKR_EXIT_OK : okr_kit_nomem(cli);
        okr_cli_print_json(j);
    } else {
        char size[32];
        printf("Backup written on %s to %s: %s, changes up to #%llu, in %lld ms\n", cli->server,
               b->path, admin__bytes(b->bytes, size, sizeof size), (unsigned long long)b->last_seq,
               (long long)b->took_ms);
    }
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

int okr_cmd_admin(okr_cli_t *cli, int argc, char **argv)
{
    static const okr_kit_sub_t subs[] = {{"stats", admin__stats}, {"backup", admin__backup}};
    return okr_kit_dispatch(cli, argc, argv, "admin", admin_usage, subs,
                            sizeof subs / sizeof subs[0]);
}
