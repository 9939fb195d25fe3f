/* config.h — okrd's settings: defaults, the config file (INI, via inih) and
 * command-line flags.
 *
 * Every setting is one row of a table in config.c: its INI section and key,
 * its flag (--key with '_' written as '-'), its default and a line of help.
 * `okrd --help` and the README are generated from / kept in step with that
 * table. Precedence: defaults < config file < flags.
 */
#ifndef OKR_CONFIG_H
#define OKR_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OKR_DEFAULT_PORT 7433

/* Bounds of the queue settings, and of libuv's thread pool (its own). */
#define OKR_CONFIG_MAX_QUEUE 100000u
#define OKR_CONFIG_MAX_POOL  1024u
/* The most objectives and key results max_import_items may allow. */
#define OKR_CONFIG_MAX_IMPORT 1000000u

typedef struct okr_config {
    /* [server] */
    char *listen;              /* "127.0.0.1:7433" */
    char *data_dir;            /* "./okr-data" */
    char *port_file;           /* if set, the bound port is written here (tests) */
    char *log_level;           /* debug|info|warn|error */
    char *admin_password_file; /* first start: read the admin's password here */
    /* [tls] */
    char *cert_file; /* empty: generate a self-signed one in data_dir */
    char *key_file;
    char *cert_hosts; /* comma-separated names for the generated certificate */
    /* [limits] */
    uint64_t max_frame;
    uint64_t max_frame_before_login;
    uint64_t max_connections;
    uint64_t max_connections_per_ip;   /* from one remote address, 0 = no limit */
    uint64_t max_connections_per_user; /* logged in as one user or dashboard token, 0 = no limit */
    uint64_t max_inflight;             /* requests in progress per connection */
    uint64_t rate_limit_rps;           /* requests per second per connection, 0 = off */
    uint64_t rate_limit_burst;
    uint64_t out_queue_max;                 /* bytes queued to a slow reader before it is cut off */
    uint64_t out_queue_soft;                /* beyond this, queued events for one entity coalesce */
    uint64_t max_subscriptions;             /* per connection */
    uint64_t max_key_results_per_objective; /* live ones; 0 = no limit */
    uint64_t max_import_items;              /* objectives and key results per import */
    uint64_t trend_parallel;                /* trend computations at once on the thread pool */
    uint64_t trend_queue;                   /* trend requests waiting; beyond, refused */
    uint64_t trend_per_connection;          /* a connection's computing or waiting */
    uint64_t socket_sndbuf;                 /* kernel send buffer per connection, 0 = OS default */
    uint64_t replay_window_changes;         /* a resume further back gets a snapshot */
    uint64_t replay_window_s;
    uint64_t handshake_timeout_ms;
    uint64_t login_timeout_ms;
    uint64_t frame_timeout_ms;
    uint64_t idle_timeout_ms;
    uint64_t shutdown_timeout_ms;
    /* [auth] */
    uint64_t session_ttl_s;
    uint64_t kdf_memory_kib;
    uint64_t kdf_iterations;
    uint64_t hash_parallel;
    uint64_t hash_queue;
    uint64_t login_free_failures;
    uint64_t login_delay_base_ms;
    uint64_t login_delay_max_ms;
    uint64_t session_sweep_s;       /* expired sessions are deleted at start and this often */
    uint64_t max_sessions_per_user; /* a login beyond ends the user's oldest; 0 = no limit */
    /* [store] */
    uint64_t map_size_mib;
    uint64_t map_size_max_mib;
    /* [test] — for tests only, never in production */
    uint64_t test_commit_delay_ms; /* the writer sleeps this long before each commit */
    uint64_t test_trend_delay_ms;  /* each trend computation sleeps this long first */
    uint64_t test_protocol_minor;  /* the minor Hello announces (0: the real one) */
} okr_config_t;

/* Fills cfg with the defaults. Free with okr_config_free. */
void okr_config_defaults(okr_config_t *cfg);
void okr_config_free(okr_config_t *cfg);

/* Parses argv (flags, --config FILE, --help, --version). Returns 0 to run,
 * 1 if the program should exit 0 (help or version printed), or -1 after
 * printing a message for people to stderr (exit 2). */
int okr_config_from_args(okr_config_t *cfg, int argc, char **argv);

/* What okrd is asked to do: serve, or one of the maintenance modes that work
 * on the store and exit (okrd --check, okrd --restore FILE). Only a flag of
 * its own counts, not another flag's value: "--port-file --check" sets
 * port_file and serves. *at (may be NULL) is the mode flag's index in argv,
 * 0 when serving. */
typedef enum okr_mode { OKR_MODE_SERVE, OKR_MODE_CHECK, OKR_MODE_RESTORE } okr_mode_t;
okr_mode_t okr_config_mode(int argc, char **argv, int *at);

/* Reads settings from f, an INI file (the one --config names; name is used
 * in messages), over those already in cfg. Returns 0, or -1 after printing a
 * message for people to stderr, naming the file and the line where there is
 * one: a line that does not parse, an unknown setting or one in the wrong
 * section, a number that is not one, a line longer than okrd reads (about
 * 200 bytes), a read error (f names a directory), no memory. cfg then holds
 * the settings read before and after the bad line. Checks no setting against
 * another: okr_config_from_args does that once all are read. f stays open. */
int okr_config_load_stream(okr_config_t *cfg, FILE *f, const char *name);

/* Splits cfg->listen into host and port. Returns 0 or -1. */
int okr_config_listen_addr(const okr_config_t *cfg, char *host, size_t hostlen, uint16_t *port);

/* Prints every setting with its default (for --help). */
void okr_config_print_help(FILE *out);

#endif
