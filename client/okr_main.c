/* okr — the command-line client of okrd. Everything is in cli.c. */
#include <openssl/ssl.h>

#include "cli.h"

int main(int argc, char **argv)
{
    /* A one-shot command: the process exit frees everything, so OpenSSL's own
     * clean-up at exit (about a twentieth of an `okr checkin`) is skipped. */
    OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT, NULL);
    return okr_cli_main(argc, argv);
}
