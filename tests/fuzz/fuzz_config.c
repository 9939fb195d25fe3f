/* Fuzz target: okrd's settings, read from a config file (INI, through inih
 * and okr_config_load_stream) and from command-line flags
 * (okr_config_from_args).
 *
 * The input is the config file's text; after a "\0\0", if there is one, come
 * command-line arguments, one per NUL-separated piece. Checks:
 *   - a file that loads gives the very settings that its key = value lines
 *     give as --key=value flags (the lines read by inih here, unindented as
 *     the loader does);
 *   - okr_config_from_args returns -1, 0 or 1, and 0 only with settings that
 *     pass its own checks, among them a listen address that splits;
 *   - okr_config_listen_addr writes a NUL-terminated host that fits hostlen
 *     (an exact-size buffer, so ASan sees any overrun).
 * "--config" is left out of the arguments (it would read whatever file the
 * input names), and so are --help, -h and --version (they only print).
 * Seeds: tests/fuzz/corpus/config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config.h"
#include "fuzz_util.h"

#define MAX_ARGS 64

typedef struct args {
    char *v[MAX_ARGS + 1];
    int n;
} args_t;

static void args_add(args_t *a, char *arg)
{
    if (a->n < MAX_ARGS)
        a->v[a->n++] = arg;
    else
        free(arg);
    a->v[a->n] = NULL;
}

static void args_free(args_t *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->v[i]);
    a->n = 0;
}

/* okr_config_t is its strings, then its numbers (config.h). */
static void require_same(const okr_config_t *a, const okr_config_t *b)
{
    const char *pa = (const char *)a, *pb = (const char *)b;
    for (size_t off = offsetof(okr_config_t, listen); off < offsetof(okr_config_t, max_frame);
         off += sizeof(char *))
        FUZZ_REQUIRE(strcmp(*(char *const *)(pa + off), *(char *const *)(pb + off)) == 0);
    size_t nums = offsetof(okr_config_t, max_frame);
    FUZZ_REQUIRE(memcmp(pa + nums, pb + nums, sizeof *a - nums) == 0);
}

static void check_listen(const okr_config_t *cfg, size_t hostlen)
{
    char *host = malloc(hostlen);
    uint16_t port;
    if (!host)
        abort();
    if (okr_config_listen_addr(cfg, host, hostlen, &port) == 0)
        FUZZ_REQUIRE(strlen(host) < hostlen && host[0] && strstr(cfg->listen, host));
    free(host);
}

/* Runs okrd's flag parser on args (argv[0] added) from the defaults. */
static int from_args(okr_config_t *cfg, args_t *args)
{
    char *argv[MAX_ARGS + 2] = {"okrd"};
    memcpy(argv + 1, args->v, sizeof(char *) * (size_t)args->n);
    okr_config_defaults(cfg);
    int rc = okr_config_from_args(cfg, args->n + 1, argv);
    FUZZ_REQUIRE(rc == -1 || rc == 0 || rc == 1);
    if (rc == 0) {
        FUZZ_REQUIRE(cfg->max_frame_before_login >= 1024);
        FUZZ_REQUIRE(cfg->max_frame_before_login <= cfg->max_frame);
        FUZZ_REQUIRE(cfg->max_frame <= 64u * 1024 * 1024);
        FUZZ_REQUIRE(cfg->out_queue_soft <= cfg->out_queue_max);
        FUZZ_REQUIRE(cfg->max_inflight >= 1 && cfg->session_ttl_s >= 1);
        FUZZ_REQUIRE(cfg->trend_parallel >= 1 && cfg->trend_parallel <= 1022);
        FUZZ_REQUIRE(cfg->hash_parallel >= 1 && cfg->hash_parallel <= 1022);
        FUZZ_REQUIRE(cfg->trend_parallel + cfg->hash_parallel <= 1023);
        FUZZ_REQUIRE(cfg->trend_queue >= 1 && cfg->trend_queue <= 100000);
        FUZZ_REQUIRE(cfg->trend_per_connection >= 1 && cfg->trend_per_connection <= 100000);
        FUZZ_REQUIRE(cfg->hash_queue <= 100000);
        FUZZ_REQUIRE(cfg->test_commit_delay_ms <= 60000 && cfg->test_trend_delay_ms <= 60000);
        char host[256];
        uint16_t port;
        FUZZ_REQUIRE(okr_config_listen_addr(cfg, host, sizeof host, &port) == 0);
    }
    check_listen(cfg, 1 + strlen(cfg->listen) / 2);
    check_listen(cfg, 256);
    return rc;
}

/* Each key = value line of the file as a "--key=value" flag. */
static int on_line(void *arg, const char *section, const char *key, const char *value)
{
    (void)section;
    size_t n = strlen(key) + strlen(value) + 4;
    char *flag = malloc(n);
    if (!flag)
        abort();
    snprintf(flag, n, "--%s=%s", key, value);
    args_add(arg, flag);
    return 1;
}

/* inih's reader as okrd's loader feeds it: a line's leading blanks dropped
 * (common/ini_read.c: an indented line is itself, not more of the value
 * above it). */
static char *read_unindented(char *str, int num, void *stream)
{
    if (!fgets(str, num, stream))
        return NULL;
    size_t blanks = strspn(str, " \t");
    memmove(str, str + blanks, strlen(str + blanks) + 1);
    return str;
}

static void fuzz_file(const uint8_t *text, size_t size)
{
    okr_config_t file, flags;
    okr_config_defaults(&file);
    FILE *f = fmemopen((void *)text, size, "r");
    if (!f)
        abort();
    int rc = okr_config_load_stream(&file, f, "fuzz.ini");
    args_t lines = {.n = 0};
    rewind(f);
    ini_parse_stream(read_unindented, f, on_line, &lines);
    fclose(f);
    if (rc == 0 && lines.n < MAX_ARGS) {
        from_args(&flags, &lines);
        require_same(&file, &flags);
        okr_config_free(&flags);
    }
    args_free(&lines);
    okr_config_free(&file);
}

static int skipped(const char *arg)
{
    static const char *const skip[] = {"--config", "--help", "-h", "--version"};
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (strcmp(arg, skip[i]) == 0)
            return 1;
    return 0;
}

static void fuzz_args(const uint8_t *data, size_t size)
{
    char *pieces[MAX_ARGS];
    size_t n = fuzz_split(data, size, 0, pieces, MAX_ARGS);
    args_t args = {.n = 0};
    for (size_t i = 0; i < n; i++) {
        if (skipped(pieces[i]))
            free(pieces[i]);
        else
            args_add(&args, pieces[i]);
    }
    okr_config_t cfg;
    from_args(&cfg, &args);
    okr_config_free(&cfg);
    args_free(&args);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t file = size, at;
    if (fuzz_find(data, size, "\0\0", 2, &at))
        file = at;
    if (file > 0)
        fuzz_file(data, file);
    if (file + 2 <= size)
        fuzz_args(data + file + 2, size - file - 2);
    return 0;
}
