/* okrd — the okr server. See `okrd --help` and README.md. */
#include <signal.h>
#include <stdio.h>
#include <uv.h>

#include "backup.h"
#include "check.h"
#include "config.h"
#include "server.h"

int main(int argc, char **argv)
{
    /* Maintenance modes: they do their work on the store and exit. */
    switch (okr_config_mode(argc, argv, NULL)) {
    case OKR_MODE_CHECK:
        return okr_check_main(argc, argv);
    case OKR_MODE_RESTORE:
        return okr_restore_main(argc, argv);
    case OKR_MODE_SERVE:
        break;
    }
    okr_config_t cfg;
    okr_config_defaults(&cfg);
    int rc = okr_config_from_args(&cfg, argc, argv);
    if (rc != 0) {
        okr_config_free(&cfg);
        return rc > 0 ? 0 : 2;
    }
    /* A peer that vanished must not kill the server on the next write. */
    signal(SIGPIPE, SIG_IGN);
    /* Lines, not blocks, even when stdout is a pipe: the first admin's
     * password and the fingerprint are read by people and scripts. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    uv_loop_t loop;
    uv_loop_init(&loop);
    okr_server_t srv;
    if (okr_server_init(&srv, &loop, &cfg) != 0) {
        okr_config_free(&cfg);
        return 1;
    }
    rc = okr_server_run(&srv);
    uv_loop_close(&loop);
    okr_config_free(&cfg);
    return rc;
}
