/* config.h — okr-dash's settings: its INI config file, its command-line
 * flags and $OKR_DASH_TOKEN (okr-dash --help describes them all).
 *
 * Flags win over the file, and a flag's value is always the next argument
 * even when it looks like a flag ("--token-file --help" names a file called
 * --help), as getopt_long reads it and as okrd does. Nothing here prints but
 * the warning about a config file others can read: the caller prints the
 * help, the version and the messages.
 */
#ifndef OKR_DASH_CONFIG_H
#define OKR_DASH_CONFIG_H

#include <stdint.h>
#include <stdio.h>

/* The defaults and limits that okr-dash --help documents. */
#define DASH_ROTATE_DEFAULT_S 15
#define DASH_ROTATE_MAX_S     86400
#define DASH_ONCE_WIDTH       100
#define DASH_ONCE_HEIGHT      30
#define DASH_WIDTH_MIN        20
#define DASH_HEIGHT_MIN       5
#define DASH_SIZE_MAX         1000 /* columns or lines */
#define DASH_PAGE_MAX         10000
#define DASH_TIMEOUT_MS       10000u
#define DASH_TIMEOUT_MIN_MS   100u
#define DASH_TIMEOUT_MAX_MS   3600000u
#define DASH_TOKEN_MAX        512 /* bytes of a --token-file's first line */

/* Every string is owned by the settings (NULL when not given); release them
 * with dash_conf_free. */
typedef struct dash_conf {
    char *server, *fingerprint, *ca_file, *token, *token_file, *title, *log;
    int rotate_s;
    int once, width, height, page;
    uint32_t timeout_ms;
} dash_conf_t;

typedef enum dash_conf_rc {
    DASH_CONF_OK,       /* settings complete: server, token, and a fingerprint or CA */
    DASH_CONF_HELP,     /* --help or -h: show the help */
    DASH_CONF_VERSION,  /* --version */
    DASH_CONF_USAGE,    /* a wrong or missing flag: message in err */
    DASH_CONF_BAD_FILE, /* --config's or --token-file's file cannot be read or is wrong: err */
    DASH_CONF_NOMEM,    /* out of memory: err */
} dash_conf_rc_t;

/* Opens the file --config or --token-file names, for reading; NULL with
 * errno set if it cannot. Tests give their own; NULL means fopen. */
typedef FILE *dash_conf_open_fn(const char *path, void *arg);

/* Sets c to the defaults: no strings, rotation, size, page and timeout as
 * documented. */
void dash_conf_defaults(dash_conf_t *c);

/* Reads INI settings ([dash] key = value) from f into c; name is the file's
 * name in messages. Returns DASH_CONF_OK, or with one message in err (the
 * first wrong line's, "NAME line 2: rotate_seconds must be 1 to 86400", or
 * one about the whole file):
 *   DASH_CONF_BAD_FILE  a line that does not parse, an unknown section or
 *                       setting, a bad value, a line longer than inih reads
 *                       (198 bytes), or a read error (f is a directory);
 *   DASH_CONF_NOMEM     out of memory.
 * c then holds the settings of the lines that were right. f stays open. */
dash_conf_rc_t dash_conf_load_stream(dash_conf_t *c, FILE *f, const char *name, char *err,
                                     size_t errlen);

/* All of okr-dash's settings from argv (argv[0] the program), the file
 * --config names, $OKR_DASH_TOKEN and the file --token-file names, opened
 * with open(path, arg) (fopen if open is NULL). c is set to the defaults
 * first; on any result release it with dash_conf_free. err, for the results
 * that have a message, is NUL-terminated within errlen. Uses getopt_long's
 * globals, so it is not thread-safe. */
dash_conf_rc_t dash_conf_parse(dash_conf_t *c, int argc, char **argv, dash_conf_open_fn *open,
                               void *arg, char *err, size_t errlen);

/* Frees the strings (wiping the token) and zeroes c. */
void dash_conf_free(dash_conf_t *c);

#endif
