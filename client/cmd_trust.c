/* cmd_trust.c — okr trust: list and forget pinned server certificates. */
#include "cli.h"

#include <string.h>

#include "okr_error.h"
#include "paths.h"
#include "tls_ctx.h"
#include "trust.h"

enum { OPT_LIST = OKR_OPT_FIRST_COMMAND_OPT, OPT_FORGET };

static const char trust_usage[] =
    "Usage: okr trust --list\n"
    "       okr trust --forget HOST:PORT\n"
    "\n"
    "okr pins the SHA-256 fingerprint of each server's certificate the first\n"
    "time it connects (it asks on a terminal; --trust accepts without asking),\n"
    "and refuses a server whose certificate no longer matches its pin. The pins\n"
    "are in known_servers in the okr config directory, one \"HOST:PORT SHA256\"\n"
    "a line.\n"
    "\n"
    "Options:\n"
    "  --list               show the pinned servers\n"
    "  --forget HOST:PORT   remove the pin of a server whose certificate was\n"
    "                       replaced on purpose (check the new fingerprint okrd\n"
    "                       prints at startup before connecting again)\n"
    "\n"
    "Examples:\n"
    "  okr trust --list\n"
    "  okr trust --forget okr.example.com:7433\n";

typedef struct trust_out {
    okr_cli_t *cli;
    json_t *servers;
    okr_cli_table_t table;
    int failed;
} trust_out_t;

static void trust__entry(void *arg, const char *hostport, const char *fingerprint)
{
    trust_out_t *o = arg;
    if (o->cli->json) {
        o->failed |= json_array_append_new(
            o->servers, json_pack("{s:s, s:s}", "server", hostport, "fingerprint", fingerprint));
        return;
    }
    char pretty[96];
    okr_tls_fingerprint_pretty(fingerprint, pretty, sizeof pretty);
    const char *row[] = {hostport, pretty};
    o->failed |= okr_cli_table_add(&o->table, row);
}

static int trust__list(okr_cli_t *cli, const char *path)
{
    static const char *const header[] = {"SERVER", "SHA-256 FINGERPRINT"};
    trust_out_t o = {.cli = cli};
    if (cli->json ? !(o.servers = json_array()) : okr_cli_table_init(&o.table, 2, header) != 0)
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
    char msg[512];
    int rc = okr_trust_list(path, trust__entry, &o, msg, sizeof msg);
    if (rc)
        rc = okr_cli_fail(cli, OKR_EXIT_ERROR, "IO", "%s", msg);
    else if (o.failed)
        rc = okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
    else if (cli->json)
        okr_cli_print_json(json_pack("{s:s, s:O}", "file", path, "servers", o.servers));
    else if (o.table.nrows <= 1)
        printf("No pinned servers (%s).\n", path);
    else
        okr_cli_table_print(&o.table, stdout);
    json_decref(o.servers);
    okr_cli_table_free(&o.table);
    return rc;
}

static int trust__forget(okr_cli_t *cli, const char *path, const char *server)
{
    char hostport[OKR_HOSTPORT_MAX], msg[512];
    if (okr_hostport_canon(server, hostport, msg, sizeof msg) != 0)
        return okr_cli_usage_error(cli, "%s", msg);
    int rc = okr_trust_forget(path, hostport, msg, sizeof msg);
    if (rc == OKR_E_NOT_FOUND)
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOT_FOUND",
                            "no pin for %s in %s (see: okr trust --list)", hostport, path);
    if (rc)
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "IO", "%s", msg);
    if (cli->json)
        okr_cli_print_json(json_pack("{s:s, s:b}", "server", hostport, "forgotten", 1));
    else
        printf("Removed the pin of %s from %s.\n"
               "The next connection will show the server's fingerprint and ask again.\n",
               hostport, path);
    return OKR_EXIT_OK;
}

int okr_cmd_trust(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"list", no_argument, NULL, OPT_LIST},
                                             {"forget", required_argument, NULL, OPT_FORGET},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "trust";
    cli->usage = trust_usage;
    int list = 0, opt;
    const char *forget = NULL;
    while ((opt = okr_cli_getopt(cli, argc, argv, ":h", longopts)) != -1) {
        if (opt == 'h')
            return OKR_EXIT_OK;
        if (opt == OPT_LIST)
            list = 1;
        else if (opt == OPT_FORGET)
            forget = optarg;
        else
            return OKR_EXIT_USAGE;
    }
    if (optind < argc)
        return okr_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    if (list == !!forget)
        return okr_cli_usage_error(cli, "give one of --list or --forget HOST:PORT");
    char path[PATH_MAX];
    int rc = okr_cli_config_file(cli, OKR_KNOWN_SERVERS_FILE, path, sizeof path, 0);
    if (rc)
        return rc;
    return list ? trust__list(cli, path) : trust__forget(cli, path, forget);
}
