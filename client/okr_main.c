/* okr — the command-line client of okrd. Everything is in cli.c. */
#include "cli.h"

int main(int argc, char **argv)
{
    return okr_cli_main(argc, argv);
}
