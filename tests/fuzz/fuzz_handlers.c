/* Fuzz target: okrd's request handlers, the real ones, in this process.
 *
 * On the first input a whole okrd starts on its own thread and libuv loop
 * (a temporary data directory, an ephemeral port on 127.0.0.1, tiny argon2id
 * parameters, no rate limit, no login delays), and one okr client connects
 * to it over TLS, logs in as the admin and builds a small world through
 * ordinary requests (users, teams, cycles, objectives, key results, a task,
 * a comment, a check-in), so that handlers fed small ids (1..3) get past
 * NOT_FOUND into their real work.
 *
 * Each input is the payload of one Request. It is decoded here and sent with
 * okr_client_call rather than as raw bytes: the client library then assigns
 * the id (a fuzzed id would be an answer the client never asked for, which it
 * treats as a protocol error) and packs it canonically, and the handler gets
 * exactly the message it would get from any client. Inputs that are not a
 * Request are skipped: the decoder is fuzz_envelope's job, and the server
 * would only close the connection. Any answer is fine, refusals included;
 * the bugs are what ASan and UBSan see in the server's threads, a server
 * that stops answering (no response within 5 s aborts) or one that cannot
 * be reached again after it closed the connection.
 *
 * The store keeps what earlier inputs wrote, so an input is not fully
 * reproducible alone: a crash found here may need the inputs before it (the
 * libFuzzer log lists them). A few requests would wreck the fixture rather
 * than test a handler, and are steered (see guard_request): a backup goes
 * into the temporary directory, never where the input says, and the admin
 * cannot be demoted (nor reset: user_set_password refuses the caller's own
 * password, and user_deactivate the caller, on the server). After a login, a token login, a logout
 * or any UNAUTHENTICATED answer the client reconnects and logs in as the admin again; a successful
 * passwd changes the password it uses.
 *
 * At exit the client disconnects and the server is stopped through a
 * uv_async (okr_server_stop on its own loop), its thread joined and the
 * directory removed, so LeakSanitizer sees a server that released
 * everything. Seeds: tests/fuzz/corpus/handlers, the request seeds without
 * their Envelope wrapper (rec-*, ...) and one request per other operation
 * (op-*). FUZZ_HANDLERS_VERBOSE=1 prints each operation and its answer. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "auth.h"
#include "client.h"
#include "config.h"
#include "keys.h"
#include "okr.pb-c.h"
#include "okr_error.h"
#include "server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_PASSWORD   "admin-password-1" /* as in the integration suite: seeds use it */
#define FZ_TIMEOUT_MS 5000u

static struct {
    int ready;
    char dir[64];
    char data_dir[128], port_file[128], pw_file[128], known[128], bk_dir[128];
    okr_config_t cfg;
    uv_loop_t loop;
    okr_server_t srv;
    uv_async_t stop;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int init_state;  /* 0 starting, 1 listening, -1 failed */
    int server_done; /* okr_server_run returned (under mu) */
    uint16_t port;
    okr_client_t *client;
    char password[OKR_PASSWORD_MAX + 1];
    int verbose; /* FUZZ_HANDLERS_VERBOSE=1: print each operation and its answer */
} fz = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_handlers: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* ---------------------------------------------------------------- the server */

static void on_stop(uv_async_t *a)
{
    uv_close((uv_handle_t *)a, NULL);
    okr_server_stop(&fz.srv);
}

static void set_state(int state)
{
    pthread_mutex_lock(&fz.mu);
    fz.init_state = state;
    pthread_cond_signal(&fz.cv);
    pthread_mutex_unlock(&fz.mu);
}

static void *server_main(void *arg)
{
    (void)arg;
    uv_loop_init(&fz.loop);
    if (okr_server_init(&fz.srv, &fz.loop, &fz.cfg) != 0) {
        set_state(-1);
        return NULL;
    }
    uv_async_init(&fz.loop, &fz.stop, on_stop);
    /* Unreferenced: if a signal stops the server (okrd's own SIGINT and
     * SIGTERM handlers, which replace libFuzzer's), the loop still ends. */
    uv_unref((uv_handle_t *)&fz.stop);
    set_state(1);
    okr_server_run(&fz.srv);
    pthread_mutex_lock(&fz.mu);
    fz.server_done = 1;
    if (!uv_is_closing((uv_handle_t *)&fz.stop))
        uv_close((uv_handle_t *)&fz.stop, NULL);
    pthread_mutex_unlock(&fz.mu);
    uv_run(&fz.loop, UV_RUN_DEFAULT);
    uv_loop_close(&fz.loop);
    return NULL;
}

static void set_string(char **field, const char *value)
{
    free(*field);
    *field = strdup(value);
    if (!*field)
        die("out of memory");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        die("cannot write %s", path);
}

static void start_server(void)
{
    snprintf(fz.dir, sizeof fz.dir, "/tmp/okr-fuzz-handlers-XXXXXX");
    if (!mkdtemp(fz.dir))
        die("mkdtemp failed");
    snprintf(fz.data_dir, sizeof fz.data_dir, "%s/data", fz.dir);
    snprintf(fz.port_file, sizeof fz.port_file, "%s/port", fz.dir);
    snprintf(fz.pw_file, sizeof fz.pw_file, "%s/admin-password", fz.dir);
    snprintf(fz.known, sizeof fz.known, "%s/known_servers", fz.dir);
    snprintf(fz.bk_dir, sizeof fz.bk_dir, "%s/backups", fz.dir);
    if (mkdir(fz.bk_dir, 0700) != 0)
        die("cannot create %s", fz.bk_dir);
    write_file(fz.pw_file, FZ_PASSWORD "\n");
    snprintf(fz.password, sizeof fz.password, "%s", FZ_PASSWORD);

    okr_config_defaults(&fz.cfg);
    set_string(&fz.cfg.listen, "127.0.0.1:0");
    set_string(&fz.cfg.data_dir, fz.data_dir);
    set_string(&fz.cfg.port_file, fz.port_file);
    set_string(&fz.cfg.admin_password_file, fz.pw_file);
    set_string(&fz.cfg.log_level, "error");
    fz.cfg.kdf_memory_kib = 64;
    fz.cfg.kdf_iterations = 1;
    fz.cfg.rate_limit_rps = 0;
    fz.cfg.login_free_failures = 1000000;
    fz.cfg.max_inflight = 1000;

    if (pthread_create(&fz.thread, NULL, server_main, NULL) != 0)
        die("cannot start the server thread");
    pthread_mutex_lock(&fz.mu);
    while (fz.init_state == 0)
        pthread_cond_wait(&fz.cv, &fz.mu);
    int state = fz.init_state;
    pthread_mutex_unlock(&fz.mu);
    if (state < 0)
        die("okr_server_init failed (see the log above)");

    /* okr_server_init wrote the port before it returned. */
    FILE *f = fopen(fz.port_file, "r");
    unsigned port = 0;
    if (!f || fscanf(f, "%u", &port) != 1 || port == 0 || port > 65535)
        die("cannot read the port from %s", fz.port_file);
    fclose(f);
    fz.port = (uint16_t)port;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Empties dir (keeping dir itself), or removes it too if keep is 0. */
static void remove_tree(const char *dir, int keep)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (keep)
        mkdir(dir, 0700);
}

static void stop_server(void)
{
    if (!fz.ready)
        return;
    fz.ready = 0;
    okr_client_free(fz.client);
    fz.client = NULL;
    pthread_mutex_lock(&fz.mu);
    if (!fz.server_done)
        uv_async_send(&fz.stop);
    pthread_mutex_unlock(&fz.mu);
    pthread_join(fz.thread, NULL);
    okr_config_free(&fz.cfg);
    remove_tree(fz.dir, 0);
}

/* ---------------------------------------------------------------- the client */

static void connect_admin(void)
{
    okr_client_opts_t o = {0};
    o.host = "127.0.0.1";
    o.port = fz.port;
    o.known_servers_path = fz.known;
    o.trust_new = 1;
    o.timeout_ms = FZ_TIMEOUT_MS;
    o.client_name = "fuzz-handlers";
    char err[1024];
    int rc = okr_client_connect(&fz.client, &o, err, sizeof err);
    pthread_mutex_lock(&fz.mu);
    int done = fz.server_done;
    pthread_mutex_unlock(&fz.mu);
    if (rc != 0 && done && fz.srv.stopping) {
        /* Only a signal stops it (this file stops it at exit only). Not
         * exit(): libFuzzer takes an exit inside the target for a crash. */
        fprintf(stderr, "fuzz_handlers: okrd was stopped by a signal; ending\n");
        stop_server();
        _exit(0);
    }
    if (rc != 0)
        die("cannot connect to the server (did it die?): %s: %s", okr_strerror(rc), err);
    rc = okr_client_login(fz.client, "admin", fz.password, NULL);
    if (rc != 0)
        die("cannot log in as admin: %s: %s", okr_strerror(rc), okr_client_error(fz.client));
}

static void reconnect(void)
{
    okr_client_free(fz.client);
    fz.client = NULL;
    connect_admin();
}

/* One fixture request that must succeed; returns the response's result. */
static Okr__Response *must(Okr__Request *req)
{
    Okr__Response *resp = NULL;
    int rc = okr_client_call(fz.client, req, &resp);
    if (rc != 0)
        die("fixture request %d: %s: %s", (int)req->op_case, okr_strerror(rc),
            okr_client_error(fz.client));
    if (resp->status != OKR__STATUS__STATUS_OK)
        die("fixture request %d refused: %s", (int)req->op_case, resp->message);
    return resp;
}

static void must_free(Okr__Request *req)
{
    okr__response__free_unpacked(must(req), NULL);
}

static void make_user(const char *name, Okr__Role role)
{
    Okr__UserCreateRequest u = OKR__USER_CREATE_REQUEST__INIT;
    u.username = (char *)name;
    u.display_name = (char *)name;
    u.password = (char *)"member-password-1";
    u.role = role;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_USER_CREATE;
    req.user_create = &u;
    must_free(&req);
}

static void make_team(const char *name, uint64_t parent)
{
    Okr__TeamCreateRequest t = OKR__TEAM_CREATE_REQUEST__INIT;
    t.name = (char *)name;
    t.parent_id = parent;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TEAM_CREATE;
    req.team_create = &t;
    must_free(&req);
}

static void add_member(uint64_t team, uint64_t user)
{
    Okr__TeamSetMemberRequest m = OKR__TEAM_SET_MEMBER_REQUEST__INIT;
    m.team_id = team;
    m.user_id = user;
    m.role = OKR__TEAM_ROLE__TEAM_ROLE_MEMBER;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TEAM_SET_MEMBER;
    req.team_set_member = &m;
    must_free(&req);
}

static void make_cycle(const char *name, int64_t start, int64_t end)
{
    Okr__CycleCreateRequest c = OKR__CYCLE_CREATE_REQUEST__INIT;
    c.name = (char *)name;
    c.start_at = start;
    c.end_at = end;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CYCLE_CREATE;
    req.cycle_create = &c;
    must_free(&req);
}

static void make_objective(const char *title, uint64_t cycle, uint64_t team, uint64_t user,
                           uint64_t parent)
{
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.title = (char *)title;
    o.cycle_id = cycle;
    o.owner_team_id = team;
    o.owner_user_id = user;
    o.team_id = team;
    o.parent_id = parent;
    o.visibility = OKR__VISIBILITY__VISIBILITY_PUBLIC;
    Okr__ObjectiveCreateRequest oc = OKR__OBJECTIVE_CREATE_REQUEST__INIT;
    oc.objective = &o;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_OBJECTIVE_CREATE;
    req.objective_create = &oc;
    must_free(&req);
}

static void make_kr(const char *title, uint64_t objective, double start, double target)
{
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.objective_id = objective;
    k.title = (char *)title;
    k.start = start;
    k.target = target;
    Okr__KeyResultCreateRequest kc = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
    kc.key_result = &k;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_KEY_RESULT_CREATE;
    req.key_result_create = &kc;
    must_free(&req);
}

static void make_checkin(uint64_t kr, double value)
{
    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = kr;
    ci.value = value;
    ci.has_confidence = 1;
    ci.confidence = 7;
    ci.note = (char *)"on track";
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CHECKIN;
    req.checkin = &ci;
    must_free(&req);
}

static void make_task(uint64_t kr, const char *title)
{
    Okr__Task t = OKR__TASK__INIT;
    t.key_result_id = kr;
    t.title = (char *)title;
    Okr__TaskCreateRequest tc = OKR__TASK_CREATE_REQUEST__INIT;
    tc.task = &t;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TASK_CREATE;
    req.task_create = &tc;
    must_free(&req);
}

static void make_comment(uint64_t objective, const char *body)
{
    Okr__Comment c = OKR__COMMENT__INIT;
    c.objective_id = objective;
    c.body = (char *)body;
    Okr__CommentCreateRequest cc = OKR__COMMENT_CREATE_REQUEST__INIT;
    cc.comment = &c;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_COMMENT_CREATE;
    req.comment_create = &cc;
    must_free(&req);
}

/* Ids 1..3 of each kind exist (users: admin 1, lena 2, omar 3). */
static void build_world(void)
{
    make_user("lena", OKR__ROLE__ROLE_MEMBER);
    make_user("omar", OKR__ROLE__ROLE_MEMBER);
    make_team("Company", 0);
    make_team("Product", 1);
    make_team("Sales", 1);
    add_member(2, 2);
    add_member(3, 3);
    make_cycle("2026-Q1", 1767225600000LL, 1775001600000LL);
    make_cycle("2026-Q2", 1775001600000LL, 1782864000000LL);
    make_cycle("2027", 1798761600000LL, 1830297600000LL);
    make_objective("Grow the company", 1, 1, 0, 0);
    make_objective("Ship the product", 1, 2, 0, 1);
    make_objective("Learn to sell", 1, 0, 2, 1);
    make_kr("Customers", 1, 0, 100);
    make_kr("Churn", 1, 10, 2);
    make_kr("Releases", 2, 0, 4);
    make_checkin(1, 40);
    make_checkin(3, 1);
    make_task(1, "Call ten customers");
    make_task(3, "Cut the release");
    make_comment(1, "Good start");
    make_comment(2, "Needs a date");
}

static void setup(void)
{
    if (fz.ready)
        return;
    fz.verbose = getenv("FUZZ_HANDLERS_VERBOSE") != NULL;
    start_server();
    fz.ready = 1;
    atexit(stop_server);
    connect_admin();
    build_world();
}

/* ---------------------------------------------------------------- the input */

static int is_admin_name(const char *name)
{
    char *folded = name ? okr_key_fold_name(name) : NULL;
    int yes = folded && strcmp(folded, "admin") == 0;
    free(folded);
    return yes;
}

/* A backup path is moved into bk_dir: "/a/b" becomes "<bk_dir>/a_b" (a
 * trailing '/' is kept so that refusal is still reached); a path the
 * validation refuses before touching the file system is left alone. */
static void guard_backup(Okr__BackupRequest *b)
{
    if (!b->path || b->path[0] != '/')
        return;
    size_t n = strlen(b->path), prefix = strlen(fz.bk_dir);
    char *p = malloc(prefix + n + 1);
    if (!p)
        die("out of memory");
    memcpy(p, fz.bk_dir, prefix);
    p[prefix] = '/';
    for (size_t i = 1; i < n; i++)
        p[prefix + i] = b->path[i] == '/' && i + 1 < n ? '_' : b->path[i];
    p[prefix + n] = '\0';
    free(b->path);
    b->path = p;
}

/* Keeps the fixture usable: see the top of the file. The strings replaced
 * are freed by okr__request__free_unpacked like the decoder's own. */
static void guard_request(Okr__Request *req)
{
    switch (req->op_case) {
    case OKR__REQUEST__OP_BACKUP:
        guard_backup(req->backup);
        break;
    case OKR__REQUEST__OP_USER_SET_ROLE:
        if (is_admin_name(req->user_set_role->username)) {
            free(req->user_set_role->username);
            req->user_set_role->username = strdup("not-the-admin");
            if (!req->user_set_role->username)
                die("out of memory");
        }
        break;
    default:
        break;
    }
}

static int needs_relogin(Okr__Request__OpCase op, const Okr__Response *resp)
{
    switch (op) {
    case OKR__REQUEST__OP_LOGIN:
    case OKR__REQUEST__OP_AUTH_TOKEN:
    case OKR__REQUEST__OP_LOGOUT:
        return 1;
    default:
        return resp->status == OKR__STATUS__STATUS_UNAUTHENTICATED;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    Okr__Request *req = okr__request__unpack(NULL, size, data);
    if (!req)
        return 0;
    guard_request(req);
    Okr__Request__OpCase op = req->op_case;
    char new_password[OKR_PASSWORD_MAX + 1] = "";
    if (op == OKR__REQUEST__OP_PASSWD && req->passwd->new_password)
        snprintf(new_password, sizeof new_password, "%s", req->passwd->new_password);

    Okr__Response *resp = NULL;
    int rc = okr_client_call(fz.client, req, &resp);
    okr__request__free_unpacked(req, NULL);
    if (rc == OKR_E_TIMEOUT)
        die("request op %d: no answer within %u ms: the server hangs", (int)op, FZ_TIMEOUT_MS);
    if (rc == OKR_E_PROTOCOL) /* a frame the client could not take: the server's fault */
        die("request op %d: %s", (int)op, okr_client_error(fz.client));
    if (rc != 0) {
        /* The server closed the connection: a legitimate answer to some
         * inputs. It must take the next one, though. */
        if (fz.verbose)
            fprintf(stderr, "op %d -> %s: %s\n", (int)op, okr_strerror(rc),
                    okr_client_error(fz.client));
        reconnect();
        return 0;
    }
    if (op == OKR__REQUEST__OP_PASSWD && resp->status == OKR__STATUS__STATUS_OK)
        snprintf(fz.password, sizeof fz.password, "%s", new_password);
    if (op == OKR__REQUEST__OP_BACKUP)
        remove_tree(fz.bk_dir, 1);
    if (fz.verbose)
        fprintf(stderr, "op %d -> status %d %s\n", (int)op, (int)resp->status,
                resp->message ? resp->message : "");
    if (needs_relogin(op, resp))
        reconnect();
    okr__response__free_unpacked(resp, NULL);
    return 0;
}
