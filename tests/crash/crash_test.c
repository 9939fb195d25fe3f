/* Crash durability and online backup, against a real okrd.
 *
 * durability: writer threads (one client each) pipeline check-ins on several
 * key results and record every acknowledgement; okrd is killed with SIGKILL
 * at a random moment while they write, the crashed store is checked
 * (mdb_stat -a, okrd --check), okrd is restarted on the same data directory
 * and port, and then every acknowledged check-in must be there with its
 * value, and every figure must agree with a recomputation from the check-ins:
 * each check-in's previous value and progress, each key result's current
 * value and progress, each objective's progress, and the parent objective's
 * mean of its children. Rounds: $OKR_CRASH_ROUNDS (default 20); writers:
 * $OKR_CRASH_WRITERS (default 4).
 *
 * backup: the writers keep writing while an admin runs backup; the backup is
 * restored with okrd --restore into a fresh data directory, okrd --check
 * passes on it, and an okrd started on it has every check-in acknowledged
 * before the backup began.
 *
 * Usage: crash_test [durability|backup] (default: both).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "okr_error.h"
#include "progress.h"

#define DAY_MS         INT64_C(86400000)
#define NKRS           5
#define PIPELINE       8
#define MAX_WRITERS    16
#define DEFAULT_ROUNDS 20

/* ---------------------------------------------------------------- helpers */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int env_int(const char *name, int def, int min, int max)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    int n = atoi(v);
    return n < min ? min : n > max ? max : n;
}

/* Runs argv, returns its exit status (-1 if it did not exit normally).
 * quiet: its output goes to /dev/null. */
static int run(const char *const *argv, int quiet)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (quiet && (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)))
            _exit(126);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static Okr__Response *call_ok(okr_client_t *c, Okr__Request__OpCase op, void *body)
{
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = op;
    req.hello = body; /* every op member of the oneof shares one pointer slot */
    Okr__Response *resp = NULL;
    int rc = ts_call(c, &req, &resp);
    if (rc != OKR_OK)
        print_error("request %d failed: %s %s\n", (int)op, okr_strerror(rc),
                    resp && resp->message ? resp->message : okr_client_error(c));
    assert_int_equal(rc, OKR_OK);
    return resp;
}

/* ---------------------------------------------------------------- the OKRs */

/* A parent objective P with no key results of its own and two aligned
 * children: O1 with key results 0-2, O2 with 3-4. Key result 2 is "decrease
 * is better"; weights differ. */
typedef struct fixture {
    uint64_t parent, obj[2];
    uint64_t kr[NKRS];
    int kr_obj[NKRS];
    double start[NKRS], target[NKRS], weight[NKRS];
} fixture_t;

static const struct {
    int obj;
    double start, target, weight;
} kr_specs[NKRS] = {
    {0, 0, 100, 1}, {0, 10, 50, 2}, {0, 100, 20, 3}, {1, 0, 1000, 1}, {1, -50, 50, 1},
};

static uint64_t make_objective(okr_client_t *c, uint64_t cycle, uint64_t parent, const char *title)
{
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.title = (char *)title;
    o.cycle_id = cycle;
    o.parent_id = parent;
    Okr__ObjectiveCreateRequest oc = OKR__OBJECTIVE_CREATE_REQUEST__INIT;
    oc.objective = &o;
    Okr__Response *resp = call_ok(c, OKR__REQUEST__OP_OBJECTIVE_CREATE, &oc);
    uint64_t id = resp->objective->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

static void make_fixture(okr_client_t *admin, fixture_t *fx)
{
    Okr__CycleCreateRequest cc = OKR__CYCLE_CREATE_REQUEST__INIT;
    cc.name = "crash-Q1";
    cc.start_at = now_ms() - 10 * DAY_MS;
    cc.end_at = now_ms() + 80 * DAY_MS;
    Okr__Response *resp = call_ok(admin, OKR__REQUEST__OP_CYCLE_CREATE, &cc);
    Okr__Cycle cycle = *resp->cycle;
    cycle.state = OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE;
    Okr__CycleUpdateRequest cu = OKR__CYCLE_UPDATE_REQUEST__INIT;
    cu.cycle = &cycle;
    okr__response__free_unpacked(call_ok(admin, OKR__REQUEST__OP_CYCLE_UPDATE, &cu), NULL);
    uint64_t cycle_id = cycle.id;
    okr__response__free_unpacked(resp, NULL);

    fx->parent = make_objective(admin, cycle_id, 0, "Never lose a check-in");
    fx->obj[0] = make_objective(admin, cycle_id, fx->parent, "Survive SIGKILL");
    fx->obj[1] = make_objective(admin, cycle_id, fx->parent, "Restore from backup");
    for (int i = 0; i < NKRS; i++) {
        char title[64];
        snprintf(title, sizeof title, "Key result %d", i);
        Okr__KeyResult k = OKR__KEY_RESULT__INIT;
        k.objective_id = fx->obj[kr_specs[i].obj];
        k.title = title;
        k.metric = OKR__METRIC__METRIC_NUMBER;
        k.start = kr_specs[i].start;
        k.target = kr_specs[i].target;
        k.weight = kr_specs[i].weight;
        Okr__KeyResultCreateRequest kc = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
        kc.key_result = &k;
        Okr__Response *kr = call_ok(admin, OKR__REQUEST__OP_KEY_RESULT_CREATE, &kc);
        fx->kr[i] = kr->key_result->id;
        fx->kr_obj[i] = kr_specs[i].obj;
        fx->start[i] = kr_specs[i].start;
        fx->target[i] = kr_specs[i].target;
        fx->weight[i] = kr_specs[i].weight;
        okr__response__free_unpacked(kr, NULL);
    }
}

/* ---------------------------------------------------------------- acknowledgements */

typedef struct ack {
    uint64_t checkin_id;
    int kr; /* index into fixture_t.kr */
    double value;
} ack_t;

static struct {
    pthread_mutex_t lock;
    ack_t *items;
    size_t n, cap;
} acks = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};

static void ack_add(uint64_t id, int kr, double value)
{
    pthread_mutex_lock(&acks.lock);
    if (acks.n == acks.cap) {
        acks.cap = acks.cap ? acks.cap * 2 : 4096;
        acks.items = realloc(acks.items, acks.cap * sizeof *acks.items);
        if (!acks.items)
            abort();
    }
    acks.items[acks.n++] = (ack_t){id, kr, value};
    pthread_mutex_unlock(&acks.lock);
}

static size_t ack_count(void)
{
    pthread_mutex_lock(&acks.lock);
    size_t n = acks.n;
    pthread_mutex_unlock(&acks.lock);
    return n;
}

static void acks_reset(void)
{
    free(acks.items);
    acks.items = NULL;
    acks.n = acks.cap = 0;
}

/* ---------------------------------------------------------------- writers */

typedef struct writer {
    pthread_t thread;
    const okr_test_server_t *ts;
    const fixture_t *fx;
    const char *token;
    unsigned seed;
    atomic_int *stop;
    uint64_t sent, acked, refused;
} writer_t;

/* A value near the key result's range, on a quarter grid so it is exact. */
static double writer__value(writer_t *w, int kr)
{
    double lo = fmin(w->fx->start[kr], w->fx->target[kr]) - 5;
    double hi = fmax(w->fx->start[kr], w->fx->target[kr]) + 5;
    int steps = (int)((hi - lo) * 4);
    return lo + (double)(rand_r(&w->seed) % (steps + 1)) / 4.0;
}

/* Sends check-ins, PIPELINE in flight, until stopped or the connection dies.
 * No cmocka assertions here: they cannot jump out of a thread. */
static void *writer__run(void *arg)
{
    writer_t *w = arg;
    okr_client_opts_t opts = {
        .host = "127.0.0.1",
        .port = w->ts->port,
        .known_servers_path = w->ts->known_servers,
        .timeout_ms = 15000,
        .client_name = "okr-crash-test",
    };
    okr_client_t *c = NULL;
    char err[512];
    if (okr_client_connect(&c, &opts, err, sizeof err) != 0)
        return NULL;
    if (okr_client_auth_token(c, w->token, NULL) != 0) {
        okr_client_free(c);
        return NULL;
    }
    uint64_t ids[PIPELINE];
    int krs[PIPELINE];
    double values[PIPELINE];
    size_t head = 0, n = 0;
    int alive = 1;
    while (alive && (!*w->stop || n > 0)) {
        while (alive && !*w->stop && n < PIPELINE) {
            size_t slot = (head + n) % PIPELINE;
            krs[slot] = rand_r(&w->seed) % NKRS;
            values[slot] = writer__value(w, krs[slot]);
            Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
            ci.key_result_id = w->fx->kr[krs[slot]];
            ci.value = values[slot];
            Okr__Request req = OKR__REQUEST__INIT;
            req.op_case = OKR__REQUEST__OP_CHECKIN;
            req.checkin = &ci;
            if (okr_client_send(c, &req, &ids[slot]) != 0)
                alive = 0;
            else
                n++, w->sent++;
        }
        if (!alive || n == 0)
            break;
        Okr__Response *resp = NULL;
        if (okr_client_wait(c, ids[head], &resp) != 0) {
            alive = 0; /* killed: what is in flight was never acknowledged */
            break;
        }
        if (resp->status == OKR__STATUS__STATUS_OK && resp->checkin && resp->checkin->checkin) {
            ack_add(resp->checkin->checkin->id, krs[head], values[head]);
            w->acked++;
        } else {
            w->refused++;
        }
        okr__response__free_unpacked(resp, NULL);
        head = (head + 1) % PIPELINE;
        n--;
    }
    okr_client_free(c);
    return NULL;
}

static void writers_start(writer_t *ws, int n, const okr_test_server_t *ts, const fixture_t *fx,
                          const char *token, atomic_int *stop, unsigned seed)
{
    *stop = 0;
    for (int i = 0; i < n; i++) {
        ws[i] = (writer_t){
            .ts = ts, .fx = fx, .token = token, .seed = seed * 7919u + (unsigned)i, .stop = stop};
        assert_int_equal(pthread_create(&ws[i].thread, NULL, writer__run, &ws[i]), 0);
    }
}

static void writers_join(writer_t *ws, int n, atomic_int *stop)
{
    *stop = 1;
    for (int i = 0; i < n; i++)
        pthread_join(ws[i].thread, NULL);
}

/* ---------------------------------------------------------------- verification */

typedef struct kr_history {
    Okr__Response **pages;
    size_t npages;
    Okr__CheckIn **items; /* ascending id = commit order */
    size_t n, cap;
} kr_history_t;

static void history_free(kr_history_t *h)
{
    for (size_t i = 0; i < h->npages; i++)
        okr__response__free_unpacked(h->pages[i], NULL);
    free(h->pages);
    free(h->items);
    memset(h, 0, sizeof *h);
}

static void history_fetch(okr_client_t *c, uint64_t kr_id, kr_history_t *h)
{
    memset(h, 0, sizeof *h);
    uint64_t after = 0;
    do {
        Okr__Page page = OKR__PAGE__INIT;
        page.after_id = after;
        page.limit = 500;
        Okr__CheckInListRequest lr = OKR__CHECK_IN_LIST_REQUEST__INIT;
        lr.key_result_id = kr_id;
        lr.page = &page;
        Okr__Response *resp = call_ok(c, OKR__REQUEST__OP_CHECKIN_LIST, &lr);
        h->pages = realloc(h->pages, (h->npages + 1) * sizeof *h->pages);
        assert_non_null(h->pages);
        h->pages[h->npages++] = resp;
        const Okr__CheckInList *l = resp->checkin_list;
        if (h->n + l->n_checkins > h->cap) {
            h->cap = (h->n + l->n_checkins) * 2;
            h->items = realloc(h->items, h->cap * sizeof *h->items);
            assert_non_null(h->items);
        }
        for (size_t i = 0; i < l->n_checkins; i++)
            h->items[h->n++] = l->checkins[i];
        after = l->next_after_id;
    } while (after != 0);
}

static const Okr__CheckIn *history_find(const kr_history_t *h, uint64_t id)
{
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->items[mid]->id == id)
            return h->items[mid];
        if (h->items[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int near(double a, double b)
{
    return fabs(a - b) <= 1e-9;
}

/* The key result's figures from its check-ins alone; returns its progress. */
static double verify_kr(okr_client_t *c, const fixture_t *fx, int k, const kr_history_t *h)
{
    Okr__KeyResult model = OKR__KEY_RESULT__INIT;
    model.metric = OKR__METRIC__METRIC_NUMBER;
    model.start = fx->start[k];
    model.target = fx->target[k];
    double current = fx->start[k];
    for (size_t i = 0; i < h->n; i++) {
        const Okr__CheckIn *ci = h->items[i];
        if (i > 0)
            assert_true(ci->id > h->items[i - 1]->id);
        if (!near(ci->previous_value, current))
            fail_msg("K%llu check-in %llu: previous value %g, but the check-in before says %g",
                     (unsigned long long)fx->kr[k], (unsigned long long)ci->id, ci->previous_value,
                     current);
        current = ci->value;
        model.current = current;
        assert_true(near(ci->progress, okr_kr_progress(&model)));
    }
    model.current = current;
    double expected = okr_kr_progress(&model);

    Okr__KeyResultGetRequest g = OKR__KEY_RESULT_GET_REQUEST__INIT;
    g.id = fx->kr[k];
    Okr__Response *resp = call_ok(c, OKR__REQUEST__OP_KEY_RESULT_GET, &g);
    if (!near(resp->key_result->current, current) || !near(resp->key_result->progress, expected))
        fail_msg("K%llu: current %g progress %g, but its %zu check-ins say %g and %g",
                 (unsigned long long)fx->kr[k], resp->key_result->current,
                 resp->key_result->progress, h->n, current, expected);
    okr__response__free_unpacked(resp, NULL);
    return expected;
}

static double objective_progress(okr_client_t *c, uint64_t id)
{
    Okr__ObjectiveGetRequest g = OKR__OBJECTIVE_GET_REQUEST__INIT;
    g.id = id;
    Okr__Response *resp = call_ok(c, OKR__REQUEST__OP_OBJECTIVE_GET, &g);
    double p = resp->objective_detail->objective->progress;
    okr__response__free_unpacked(resp, NULL);
    return p;
}

typedef struct tally {
    size_t acknowledged, present, missing, stored;
} tally_t;

/* Checks the first n_acks acknowledgements and every figure. */
static tally_t verify(okr_client_t *c, const fixture_t *fx, size_t n_acks)
{
    kr_history_t h[NKRS];
    double progress[NKRS];
    tally_t t = {.acknowledged = n_acks};
    for (int k = 0; k < NKRS; k++) {
        history_fetch(c, fx->kr[k], &h[k]);
        progress[k] = verify_kr(c, fx, k, &h[k]);
        t.stored += h[k].n;
    }
    for (size_t i = 0; i < n_acks; i++) {
        const ack_t *a = &acks.items[i];
        const Okr__CheckIn *ci = history_find(&h[a->kr], a->checkin_id);
        if (ci && ci->value == a->value && ci->key_result_id == fx->kr[a->kr]) {
            t.present++;
        } else {
            t.missing++;
            if (t.missing <= 10)
                print_error("missing: check-in %llu on K%llu = %g%s\n",
                            (unsigned long long)a->checkin_id, (unsigned long long)fx->kr[a->kr],
                            a->value, ci ? " (stored with another value)" : "");
        }
    }
    double objp[2];
    for (int o = 0; o < 2; o++) {
        double p[NKRS], w[NKRS];
        size_t n = 0;
        for (int k = 0; k < NKRS; k++)
            if (fx->kr_obj[k] == o) {
                p[n] = progress[k];
                w[n++] = fx->weight[k];
            }
        objp[o] = okr_weighted_progress(p, w, n);
        double stored = objective_progress(c, fx->obj[o]);
        if (!near(stored, objp[o]))
            fail_msg("O%llu: progress %g, its key results say %g", (unsigned long long)fx->obj[o],
                     stored, objp[o]);
    }
    double parent = objective_progress(c, fx->parent);
    if (!near(parent, okr_mean_progress(objp, 2)))
        fail_msg("O%llu: progress %g, its children say %g", (unsigned long long)fx->parent, parent,
                 okr_mean_progress(objp, 2));
    for (int k = 0; k < NKRS; k++)
        history_free(&h[k]);
    return t;
}

/* mdb_stat -a and okrd --check on a data directory (no okrd running on it). */
static void check_store(const char *data_dir)
{
    const char *stat_argv[] = {"mdb_stat", "-a", data_dir, NULL};
    int rc = run(stat_argv, 1);
    if (rc != 0) {
        run(stat_argv, 0);
        fail_msg("mdb_stat -a %s exited %d", data_dir, rc);
    }
    const char *check_argv[] = {OKRD_PATH, "--check", "--data-dir", data_dir, NULL};
    rc = run(check_argv, 1);
    if (rc != 0) {
        run(check_argv, 0); /* again, showing what it found */
        fail_msg("okrd --check --data-dir %s exited %d", data_dir, rc);
    }
}

static const char *const server_args[] = {"--rate-limit-rps", "0", NULL};

/* ---------------------------------------------------------------- durability */

static void test_durability(void **state)
{
    (void)state;
    int rounds = env_int("OKR_CRASH_ROUNDS", DEFAULT_ROUNDS, 1, 100000);
    int nwriters = env_int("OKR_CRASH_WRITERS", 4, 1, MAX_WRITERS);
    unsigned seed =
        (unsigned)env_int("OKR_CRASH_SEED", (int)(time(NULL) & 0x7fffffff), 0, 0x7fffffff);
    print_message("crash test: %d rounds, %d writers, seed %u (OKR_CRASH_SEED to repeat)\n", rounds,
                  nwriters, seed);
    srand(seed);
    acks_reset();

    okr_test_server_t ts = {0};
    ts_start(&ts, server_args);
    okr_client_t *admin = ts_login(&ts, "admin", TS_ADMIN_PASSWORD);
    fixture_t fx;
    make_fixture(admin, &fx);
    char *token = strdup(okr_client_token(admin));
    okr_client_free(admin);

    writer_t ws[MAX_WRITERS];
    atomic_int stop = 0;
    tally_t t = {0};
    uint64_t sent = 0, refused = 0;
    for (int round = 1; round <= rounds; round++) {
        size_t before = ack_count();
        writers_start(ws, nwriters, &ts, &fx, token, &stop, seed + (unsigned)round);
        /* Kill while writes are flowing: after some acknowledgements, at a
         * random moment. */
        int min_acks = 20 + rand() % 200;
        for (int waited = 0; waited < 10000 && ack_count() < before + (size_t)min_acks; waited += 5)
            sleep_ms(5);
        sleep_ms(rand() % 250);
        ts_kill(&ts);
        writers_join(ws, nwriters, &stop);
        for (int i = 0; i < nwriters; i++) {
            sent += ws[i].sent;
            refused += ws[i].refused;
        }
        check_store(ts.data_dir);

        ts_start(&ts, server_args);
        okr_client_t *c = ts_connect(&ts);
        assert_int_equal(okr_client_auth_token(c, token, NULL), OKR_OK);
        t = verify(c, &fx, ack_count());
        okr_client_free(c);
        print_message("round %d: acknowledged %zu (+%zu), present %zu, missing %zu, stored %zu\n",
                      round, t.acknowledged, t.acknowledged - before, t.present, t.missing,
                      t.stored);
        assert_int_equal(t.missing, 0);
    }
    ts_stop(&ts); /* a clean exit after all that */
    check_store(ts.data_dir);
    print_message("acknowledged %zu, present %zu, missing %zu (sent %llu, refused %llu, "
                  "committed without acknowledgement %zu)\n",
                  t.acknowledged, t.present, t.missing, (unsigned long long)sent,
                  (unsigned long long)refused, t.stored - t.present);
    assert_int_equal(t.missing, 0);
    free(token);
    ts_cleanup(&ts);
    acks_reset();
}

/* ---------------------------------------------------------------- backup under load */

static int backup_call(okr_client_t *c, const char *path, int compact, Okr__Response **out)
{
    Okr__BackupRequest br = OKR__BACKUP_REQUEST__INIT;
    br.path = (char *)path;
    br.compact = compact;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_BACKUP;
    req.backup = &br;
    return ts_call(c, &req, out);
}

/* One backup taken under load, and what was acknowledged before it began. */
typedef struct shot {
    int compact;
    char path[400];
    size_t before;
} shot_t;

static void take_backup(okr_client_t *admin, shot_t *b, size_t min_acks)
{
    for (int waited = 0; waited < 20000 && ack_count() < min_acks; waited += 5)
        sleep_ms(5);
    b->before = ack_count();
    Okr__Response *resp = NULL;
    assert_int_equal(backup_call(admin, b->path, b->compact, &resp), OKR_OK);
    size_t during = ack_count() - b->before;
    const Okr__BackupResult *r = resp->backup;
    assert_non_null(r);
    print_message("backup (%s): %llu bytes, changes up to seq %llu, %lld ms, while %zu check-ins "
                  "were acknowledged\n",
                  b->compact ? "compacting" : "plain", (unsigned long long)r->bytes,
                  (unsigned long long)r->last_seq, (long long)r->took_ms, during);
    assert_string_equal(r->path, b->path);
    assert_true(r->bytes > 0 && r->last_seq > b->before);
    okr__response__free_unpacked(resp, NULL);
}

/* Restores b into a fresh server directory (whose certificate stays: the
 * pin is per port), checks the store, starts okrd on it and verifies. */
static void restore_and_verify(const fixture_t *fx, const shot_t *b, int nwriters)
{
    okr_test_server_t fresh = {0};
    ts_start(&fresh, server_args);
    ts_stop(&fresh);
    char file[400];
    snprintf(file, sizeof file, "%s/data.mdb", fresh.data_dir);
    const char *restore_argv[] = {OKRD_PATH,    "--restore",    b->path,
                                  "--data-dir", fresh.data_dir, NULL};
    assert_int_equal(run(restore_argv, 1), 1); /* refused: a store is there */
    assert_int_equal(unlink(file), 0);
    assert_int_equal(run(restore_argv, 0), 0);
    check_store(fresh.data_dir);

    ts_start(&fresh, server_args);
    okr_client_t *c = ts_login(&fresh, "admin", TS_ADMIN_PASSWORD);
    tally_t t = verify(c, fx, b->before);
    okr_client_free(c);
    print_message("restored %s backup: acknowledged before the backup %zu, present %zu, "
                  "missing %zu (%zu check-ins in the backup, %zu acknowledged in all)\n",
                  b->compact ? "compacting" : "plain", t.acknowledged, t.present, t.missing,
                  t.stored, ack_count());
    assert_int_equal(t.missing, 0);
    assert_true(t.stored >= b->before && t.stored <= ack_count() + (size_t)nwriters * PIPELINE);
    ts_stop(&fresh);
    ts_cleanup(&fresh);
}

static void test_backup(void **state)
{
    (void)state;
    acks_reset();
    okr_test_server_t ts = {0};
    ts_start(&ts, server_args);
    okr_client_t *admin = ts_login(&ts, "admin", TS_ADMIN_PASSWORD);
    fixture_t fx;
    make_fixture(admin, &fx);
    char *token = strdup(okr_client_token(admin));
    shot_t shots[2] = {{.compact = 1}, {.compact = 0}};
    for (int i = 0; i < 2; i++)
        snprintf(shots[i].path, sizeof shots[i].path, "%s/backup-%d.mdb", ts.dir, i);

    /* Refusals first: relative, existing, not an admin. */
    assert_int_equal(backup_call(admin, "backup.mdb", 1, NULL), OKR_E_BAD_REQUEST);
    assert_int_equal(backup_call(admin, ts.log_path, 1, NULL), OKR_E_CONFLICT);
    assert_int_equal(ts_create_user(admin, "mallory", "password-123", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);
    okr_client_t *member = ts_login(&ts, "mallory", "password-123");
    assert_int_equal(backup_call(member, shots[0].path, 1, NULL), OKR_E_FORBIDDEN);
    okr_client_free(member);

    /* Two backups while the writers write: compacting, then a plain copy
     * (which briefly takes LMDB's writer lock to read the meta pages). */
    writer_t ws[MAX_WRITERS];
    atomic_int stop = 0;
    int nwriters = env_int("OKR_CRASH_WRITERS", 4, 1, MAX_WRITERS);
    writers_start(ws, nwriters, &ts, &fx, token, &stop, (unsigned)time(NULL));
    take_backup(admin, &shots[0], 2000);
    take_backup(admin, &shots[1], ack_count() + 500);
    sleep_ms(200); /* and writes go on after them */
    writers_join(ws, nwriters, &stop);
    assert_int_equal(backup_call(admin, shots[0].path, 1, NULL), OKR_E_CONFLICT);
    okr_client_free(admin);
    ts_stop(&ts);

    for (int i = 0; i < 2; i++)
        restore_and_verify(&fx, &shots[i], nwriters);
    ts_cleanup(&ts);
    free(token);
    acks_reset();
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durability),
        cmocka_unit_test(test_backup),
    };
    if (argc > 1)
        cmocka_set_test_filter(strcmp(argv[1], "backup") == 0 ? "test_backup" : "test_durability");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
