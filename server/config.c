#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ini_read.h"
#include "protocol.h"

typedef enum { SETTING_STRING, SETTING_U64 } setting_type_t;

typedef struct setting {
    const char *section;
    const char *key;
    setting_type_t type;
    size_t offset;
    const char *def; /* default, as text */
    const char *help;
} setting_t;

#define S(sec, key, help, def)                                                                     \
    {                                                                                              \
        sec, #key, SETTING_STRING, offsetof(okr_config_t, key), def, help                          \
    }
#define N(sec, key, help, def)                                                                     \
    {                                                                                              \
        sec, #key, SETTING_U64, offsetof(okr_config_t, key), def, help                             \
    }

/* The one list of settings. Keep README.md's table in step with it. */
static const setting_t settings[] = {
    S("server", listen, "address and port to listen on", "127.0.0.1:7433"),
    S("server", data_dir, "where the store, certificate and key live", "./okr-data"),
    S("server", port_file, "write the bound port here once listening (tests, scripts)", ""),
    S("server", log_level, "debug, info, warn or error", "info"),
    S("server", admin_password_file, "first start: the admin's password, else one is generated",
      ""),
    S("tls", cert_file, "PEM certificate; empty: a self-signed one in data_dir", ""),
    S("tls", key_file, "PEM private key for cert_file", ""),
    S("tls", cert_hosts, "names and addresses for the generated certificate, comma-separated",
      "localhost,127.0.0.1,::1"),
    N("limits", max_frame, "largest frame accepted after login, bytes", "1048576"),
    N("limits", max_frame_before_login, "largest frame accepted before login, bytes", "65536"),
    N("limits", max_connections, "connections held at once; more are refused", "20000"),
    N("limits", max_connections_per_ip,
      "connections at once from one address; more are closed at accept (0 = no limit)", "1000"),
    N("limits", max_connections_per_user,
      "connections logged in at once as one user or dashboard token (0 = no limit)", "256"),
    N("limits", max_inflight, "requests in progress per connection", "128"),
    N("limits", rate_limit_rps, "requests per second per connection (0 = unlimited)", "1000"),
    N("limits", rate_limit_burst, "requests a connection may send in a burst", "2000"),
    N("limits", out_queue_max, "bytes queued to a slow reader before it is disconnected",
      "8388608"),
    N("limits", out_queue_soft, "bytes queued before events for one entity coalesce", "262144"),
    N("limits", max_subscriptions, "subscriptions per connection", "64"),
    N("limits", max_key_results_per_objective,
      "key results one objective may have; archived ones do not count (0 = no limit)", "25"),
    N("limits", max_import_items,
      "objectives and key results one import may create, in one write (1 to 1000000)", "10000"),
    N("limits", trend_parallel, "trend computations at once on the thread pool", "2"),
    N("limits", trend_queue, "trend requests waiting; beyond, they get UNAVAILABLE", "64"),
    N("limits", trend_per_connection,
      "trend requests one connection may have computing or waiting; beyond, UNAVAILABLE", "16"),
    N("limits", socket_sndbuf, "kernel send buffer per connection, bytes (0 = OS default)", "0"),
    N("push", replay_window_changes, "a resume further back than this many changes gets a snapshot",
      "100000"),
    N("push", replay_window_s, "a resume older than this many seconds gets a snapshot", "604800"),
    N("limits", handshake_timeout_ms, "TLS handshake must finish within", "10000"),
    N("limits", login_timeout_ms, "a connection must log in within", "30000"),
    N("limits", frame_timeout_ms, "a frame that started must arrive whole within", "10000"),
    N("limits", idle_timeout_ms, "a connection silent this long is closed (clients ping)",
      "300000"),
    N("limits", shutdown_timeout_ms, "on SIGTERM, wait this long for clients to drain", "5000"),
    N("auth", session_ttl_s, "session lifetime in seconds", "2592000"),
    N("auth", kdf_memory_kib, "argon2id memory per hash, KiB (OWASP: 19456)", "19456"),
    N("auth", kdf_iterations, "argon2id passes (OWASP: 2)", "2"),
    N("auth", hash_parallel, "password hashes computed at once", "2"),
    N("auth", hash_queue, "password hashes waiting; beyond, logins get UNAVAILABLE", "64"),
    N("auth", login_free_failures, "failed logins per user or address before delays", "3"),
    N("auth", login_delay_base_ms, "first delay after the free failures; doubles each time",
      "1000"),
    N("auth", login_delay_max_ms, "longest delay between login attempts", "300000"),
    N("auth", session_sweep_s, "expired sessions are deleted at start and then every this often, s",
      "3600"),
    N("auth", max_sessions_per_user,
      "sessions one user may hold; a login beyond ends their oldest (0 = no limit)", "100"),
    N("store", map_size_mib, "initial LMDB map size, MiB (grows when full)", "64"),
    N("store", map_size_max_mib, "the map never grows beyond this, MiB", "65536"),
    N("test", test_commit_delay_ms,
      "for tests only: the writer sleeps this long before each commit, ms", "0"),
    N("test", test_trend_delay_ms,
      "for tests only: each trend computation sleeps this long before it starts, ms", "0"),
    N("test", test_protocol_minor,
      "for tests only: the protocol minor Hello announces, as an older okrd (0: the real one)",
      "0"),
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

static char **setting__str(okr_config_t *cfg, const setting_t *s)
{
    return (char **)((char *)cfg + s->offset);
}

static uint64_t *setting__u64(okr_config_t *cfg, const setting_t *s)
{
    return (uint64_t *)((char *)cfg + s->offset);
}

/* Sets s from its text. where prefixes messages: "" for a flag, "FILE:LINE: "
 * for a config file's line. 0, or -1 after printing why. */
static int setting__set(okr_config_t *cfg, const setting_t *s, const char *value, const char *where)
{
    if (s->type == SETTING_STRING) {
        char *copy = strdup(value);
        if (!copy) {
            fprintf(stderr, "okrd: %sout of memory setting %s; free some memory and retry\n", where,
                    s->key);
            return -1;
        }
        free(*setting__str(cfg, s));
        *setting__str(cfg, s) = copy;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    if (errno || end == value || *end != '\0' || value[0] == '-') {
        fprintf(stderr, "okrd: %s%s must be a whole number (0 or more), got \"%s\"\n", where,
                s->key, value);
        return -1;
    }
    *setting__u64(cfg, s) = v;
    return 0;
}

static const setting_t *setting__find(const char *section, const char *key)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if ((!section || strcmp(settings[i].section, section) == 0) &&
            strcmp(settings[i].key, key) == 0)
            return &settings[i];
    return NULL;
}

void okr_config_defaults(okr_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < NSETTINGS; i++)
        if (setting__set(cfg, &settings[i], settings[i].def, "") != 0)
            abort(); /* a bad default is a bug in the table above */
}

void okr_config_free(okr_config_t *cfg)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (settings[i].type == SETTING_STRING) {
            free(*setting__str(cfg, &settings[i]));
            *setting__str(cfg, &settings[i]) = NULL;
        }
}

/* Reading a config file: okr_ini_read (common/ini_read.h) runs inih and
 * tells what it found, with the line; the words, and okrd's advice, are
 * here. "FILE:LINE: " for messages about at's line. */
static const char *config__where(const okr_ini_at_t *at, char *buf, size_t len)
{
    snprintf(buf, len, "%s:%u: ", at->name, at->line);
    return buf;
}

static void config__on_problem(void *arg, const okr_ini_at_t *at, okr_ini_problem_t problem,
                               int code, const char *text)
{
    (void)arg;
    (void)text;
    char where[512];
    switch (problem) {
    case OKR_INI_LINE_TOO_LONG:
        fprintf(stderr,
                "okrd: %sthis line is longer than %d bytes, more than okrd can read from a config "
                "file; shorten it, or give this setting as a flag (--name value) instead\n",
                config__where(at, where, sizeof where), code);
        return;
    case OKR_INI_READ_ERROR:
        if (at->line == 0)
            fprintf(stderr, "okrd: cannot read config file %s: %s (--config names an INI file)\n",
                    at->name, strerror(code));
        else
            fprintf(stderr, "okrd: cannot read config file %s past line %u: %s\n", at->name,
                    at->line, strerror(code));
        return;
    case OKR_INI_NO_MEMORY:
        fprintf(stderr,
                "okrd: %s: out of memory while parsing the config file; free some memory and "
                "retry\n",
                at->name);
        return;
    case OKR_INI_PARSER_ERROR:
        fprintf(stderr, "okrd: %s: cannot parse the config file (inih error %d)\n", at->name, code);
        return;
    case OKR_INI_BAD_LINE:
        fprintf(stderr,
                "okrd: %scannot parse this line: expected [section], name = value or a "
                "; comment\n",
                config__where(at, where, sizeof where));
        return;
    }
}

static int config__on_value(void *arg, const okr_ini_at_t *at, const char *section, const char *key,
                            const char *value)
{
    okr_config_t *cfg = arg;
    char where[512];
    config__where(at, where, sizeof where);
    const setting_t *s = setting__find(section, key);
    if (!s) {
        const setting_t *elsewhere = setting__find(NULL, key);
        if (elsewhere && section[0])
            fprintf(stderr, "okrd: %s%s belongs in section [%s], not [%s]\n", where, key,
                    elsewhere->section, section);
        else if (elsewhere)
            fprintf(stderr, "okrd: %s%s must come after a [%s] line\n", where, key,
                    elsewhere->section);
        else if (section[0])
            fprintf(stderr, "okrd: %sunknown setting [%s] %s (okrd --help lists them)\n", where,
                    section, key);
        else
            fprintf(stderr, "okrd: %sunknown setting %s (okrd --help lists them)\n", where, key);
        return 0;
    }
    return setting__set(cfg, s, value, where) == 0;
}

int okr_config_load_stream(okr_config_t *cfg, FILE *f, const char *name)
{
    return okr_ini_read(f, name, config__on_value, config__on_problem, cfg);
}

static int config__load_file(okr_config_t *cfg, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "okrd: cannot open config file %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = okr_config_load_stream(cfg, f, path);
    fclose(f);
    return rc;
}

void okr_config_print_help(FILE *out)
{
    fprintf(out, "Usage: okrd [--config FILE] [--SETTING VALUE]...\n"
                 "\n"
                 "okrd is the okr server: it keeps the OKR store in LMDB and serves okr clients\n"
                 "over TLS. With no options it listens on 127.0.0.1:7433, keeps its data in\n"
                 "./okr-data, makes a self-signed certificate on first start and prints its\n"
                 "fingerprint, and creates the first admin, printing the password once.\n"
                 "\n"
                 "Options:\n"
                 "  --config FILE   read settings from an INI file ([section] key = value)\n"
                 "  --help          show this help\n"
                 "  --version       show the version\n"
                 "  --check         verify the store in data_dir (read-only, safe beside a\n"
                 "                  running okrd), print what was found, exit 0 if sound\n"
                 "  --restore FILE  copy a backup (okr admin backup) into an empty data_dir\n"
                 "                  and exit; start okrd normally afterwards\n"
                 "\n"
                 "Settings (flag --name-with-dashes, or in the config file as [section] name):\n");
    const char *section = "";
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting_t *s = &settings[i];
        if (strcmp(section, s->section) != 0) {
            section = s->section;
            fprintf(out, "  [%s]\n", section);
        }
        char flag[64];
        snprintf(flag, sizeof flag, "--%s", s->key);
        for (char *p = flag; *p; p++)
            if (*p == '_')
                *p = '-';
        fprintf(out, "    %-26s %s (default: %s)\n", flag, s->help, s->def[0] ? s->def : "none");
    }
    fprintf(out, "\nSignals: SIGINT or SIGTERM stop accepting, finish in-flight commits, close\n"
                 "connections and the store, and exit 0.\n");
}

/* "--max-frame" -> "max_frame" into buf; NULL if arg is not a long flag. */
static const char *config__flag_key(const char *arg, char *buf, size_t len)
{
    if (strncmp(arg, "--", 2) != 0 || strlen(arg + 2) >= len)
        return NULL;
    strcpy(buf, arg + 2);
    for (char *p = buf; *p; p++)
        if (*p == '-')
            *p = '_';
    return buf;
}

/* Reads the flag at argv[*i]: "--key=value", or "--key" with its value in
 * the next argument (then *i moves on to it). Writes the key (dashes as '_')
 * into key and returns the value, or NULL if argv[*i] is no such flag. */
static const char *config__flag(int argc, char **argv, int *i, char key[64])
{
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    if (eq && eq - arg < 64) {
        char flag[64];
        memcpy(flag, arg, (size_t)(eq - arg));
        flag[eq - arg] = '\0';
        return config__flag_key(flag, key, 64) ? eq + 1 : NULL;
    }
    if (config__flag_key(arg, key, 64) && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

okr_mode_t okr_config_mode(int argc, char **argv, int *at)
{
    int where = 0;
    if (!at)
        at = &where;
    *at = 0;
    for (int i = 1; i < argc; i++) {
        *at = i;
        if (strcmp(argv[i], "--check") == 0)
            return OKR_MODE_CHECK;
        if (strcmp(argv[i], "--restore") == 0)
            return OKR_MODE_RESTORE;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
            strcmp(argv[i], "--version") == 0)
            continue;
        char key[64];
        config__flag(argc, argv, &i, key); /* steps over its value (--config's too) */
    }
    *at = 0;
    return OKR_MODE_SERVE;
}

int okr_config_from_args(okr_config_t *cfg, int argc, char **argv)
{
    /* The config file comes first whatever its position, so flags override it. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            okr_config_print_help(stdout);
            return 1;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("okrd %s\n", OKR_VERSION);
            return 1;
        }
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "okrd: --config needs a file name\n");
                return -1;
            }
            if (config__load_file(cfg, argv[++i]) != 0)
                return -1;
            continue;
        }
        /* Step over a flag's value: "--port-file --help" sets port_file. */
        char key[64];
        config__flag(argc, argv, &i, key);
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0) {
            i++;
            continue;
        }
        char key[64];
        const char *flag = argv[i];
        const char *value = config__flag(argc, argv, &i, key);
        const setting_t *s = value ? setting__find(NULL, key) : NULL;
        if (!s) {
            fprintf(stderr, "okrd: unknown or incomplete option \"%s\" (see okrd --help)\n", flag);
            return -1;
        }
        if (setting__set(cfg, s, value, "") != 0)
            return -1;
    }
    if (cfg->max_frame < 1024 || cfg->max_frame > 64u * 1024 * 1024 ||
        cfg->max_frame_before_login < 1024 || cfg->max_frame_before_login > cfg->max_frame) {
        fprintf(stderr, "okrd: need 1024 <= max_frame_before_login <= max_frame <= 64 MiB\n");
        return -1;
    }
    if (cfg->kdf_memory_kib < 8 || cfg->kdf_iterations < 1 || cfg->hash_parallel < 1) {
        fprintf(stderr, "okrd: kdf_memory_kib >= 8, kdf_iterations >= 1, hash_parallel >= 1\n");
        return -1;
    }
    if (cfg->hash_queue > OKR_CONFIG_MAX_QUEUE) {
        fprintf(stderr, "okrd: need hash_queue <= %u, got %llu\n", OKR_CONFIG_MAX_QUEUE,
                (unsigned long long)cfg->hash_queue);
        return -1;
    }
    /* An import is one write: the writer thread and every other write wait
     * for the whole of it. */
    if (cfg->max_import_items < 1 || cfg->max_import_items > OKR_CONFIG_MAX_IMPORT) {
        fprintf(stderr, "okrd: need 1 <= max_import_items <= %u, got %llu\n", OKR_CONFIG_MAX_IMPORT,
                (unsigned long long)cfg->max_import_items);
        return -1;
    }
    if (cfg->out_queue_soft < 1024 || cfg->out_queue_soft > cfg->out_queue_max) {
        fprintf(stderr, "okrd: need 1024 <= out_queue_soft <= out_queue_max\n");
        return -1;
    }
    if (cfg->trend_parallel < 1 || cfg->trend_queue < 1 ||
        cfg->trend_queue > OKR_CONFIG_MAX_QUEUE || cfg->trend_per_connection < 1 ||
        cfg->trend_per_connection > OKR_CONFIG_MAX_QUEUE) {
        fprintf(stderr,
                "okrd: need trend_parallel >= 1 and 1 <= trend_queue, trend_per_connection <= "
                "%u, got %llu, %llu and %llu\n",
                OKR_CONFIG_MAX_QUEUE, (unsigned long long)cfg->trend_parallel,
                (unsigned long long)cfg->trend_queue,
                (unsigned long long)cfg->trend_per_connection);
        return -1;
    }
    /* Each has a thread of libuv's pool to itself, and one is kept for
     * backups (okr_config_pool_size): 1024 is the most the pool can have. */
    if (cfg->hash_parallel >= OKR_CONFIG_MAX_POOL || cfg->trend_parallel >= OKR_CONFIG_MAX_POOL ||
        cfg->hash_parallel + cfg->trend_parallel + 1 > OKR_CONFIG_MAX_POOL) {
        fprintf(stderr, "okrd: need hash_parallel + trend_parallel <= %u, got %llu + %llu\n",
                OKR_CONFIG_MAX_POOL - 1, (unsigned long long)cfg->hash_parallel,
                (unsigned long long)cfg->trend_parallel);
        return -1;
    }
    /* session_ttl_s may be as short as 1 s so tests can watch a session expire. */
    if (cfg->test_commit_delay_ms > 60000 || cfg->test_trend_delay_ms > 60000) {
        fprintf(
            stderr,
            "okrd: test_commit_delay_ms and test_trend_delay_ms are for tests, at most 60000\n");
        return -1;
    }
    if (cfg->test_protocol_minor > OKR_SERVER_PROTOCOL_MINOR) {
        fprintf(stderr, "okrd: test_protocol_minor is at most %d (this okrd's), not %llu\n",
                OKR_SERVER_PROTOCOL_MINOR, (unsigned long long)cfg->test_protocol_minor);
        return -1;
    }
    if (cfg->max_inflight < 1 || cfg->max_connections < 1 || cfg->session_ttl_s < 1) {
        fprintf(stderr, "okrd: max_inflight and max_connections >= 1, session_ttl_s >= 1\n");
        return -1;
    }
    /* As short as 1 s for tests; a day at most, so the store cannot fill
     * with expired sessions between two sweeps of a forgotten setting. */
    if (cfg->session_sweep_s < 1 || cfg->session_sweep_s > 86400) {
        fprintf(stderr, "okrd: need 1 <= session_sweep_s <= 86400 (a day), got %llu\n",
                (unsigned long long)cfg->session_sweep_s);
        return -1;
    }
    char host[256];
    uint16_t port;
    if (okr_config_listen_addr(cfg, host, sizeof host, &port) != 0) {
        fprintf(stderr, "okrd: listen must be HOST:PORT (e.g. 127.0.0.1:7433), got \"%s\"\n",
                cfg->listen);
        return -1;
    }
    return 0;
}

int okr_config_listen_addr(const okr_config_t *cfg, char *host, size_t hostlen, uint16_t *port)
{
    const char *s = cfg->listen;
    const char *colon = strrchr(s, ':');
    if (!colon)
        return -1;
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') { /* [::1]:7433 */
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= hostlen)
        return -1;
    char *end;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || p > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (uint16_t)p;
    return 0;
}
