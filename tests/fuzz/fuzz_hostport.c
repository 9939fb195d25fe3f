/* Fuzz target: server addresses as people type them (client/hostport.c):
 * okr_hostport_parse, okr_hostport_canon, okr_hostport_format and
 * okr_host_is_ip_literal. The first two bytes are the default port, the
 * rest the text. Checks:
 *   - a parsed host is 1 to 255 bytes of lowercase letters, digits and
 *     . - : _ %, NUL-terminated inside its buffer (exact-size buffers
 *     throughout, so ASan sees any overrun); the port is the one given, or
 *     the default;
 *   - a bracketed host, or one with a colon, is an IP address literal;
 *   - the canonical form parses back to the same host and port and is its
 *     own canonical form (it keys pins and saved sessions), and equals
 *     okr_hostport_format's;
 *   - a refusal leaves a NUL-terminated message within errlen.
 * Seeds: tests/fuzz/corpus/hostport. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "hostport.h"
#include "okr_error.h"

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        abort();
    return p;
}

static void check_host(const char *host)
{
    size_t n = strlen(host);
    FUZZ_REQUIRE(n > 0 && n < OKR_HOST_MAX);
    /* Folded to lower case up to a '%': a zone (an interface name) keeps its case. */
    const char *zone = strchr(host, '%');
    for (const char *p = host; *p; p++)
        FUZZ_REQUIRE(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
                     (zone && p > zone && isupper((unsigned char)*p)) || strchr(".-:_%", *p));
    if (strchr(host, ':'))
        FUZZ_REQUIRE(okr_host_is_ip_literal(host));
}

/* The canonical form of s: parses back to (host, port), and canonicalises
 * to itself. */
static void check_canon(const char *s, const char *host, uint16_t port)
{
    char *out = xmalloc(OKR_HOSTPORT_MAX), *again = xmalloc(OKR_HOSTPORT_MAX);
    char *host2 = xmalloc(OKR_HOST_MAX), err[160];
    uint16_t port2;
    FUZZ_REQUIRE(okr_hostport_canon(s, out, err, sizeof err) == 0);
    FUZZ_REQUIRE(strlen(out) < OKR_HOSTPORT_MAX);
    FUZZ_REQUIRE(okr_hostport_parse(out, 1, host2, &port2, err, sizeof err) == 0);
    FUZZ_REQUIRE(strcmp(host2, host) == 0 && port2 == port);
    FUZZ_REQUIRE(okr_hostport_canon(out, again, err, sizeof err) == 0);
    FUZZ_REQUIRE(strcmp(again, out) == 0);
    okr_hostport_format(host, port, again);
    FUZZ_REQUIRE(strcmp(again, out) == 0);
    free(host2);
    free(again);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint16_t default_port = (uint16_t)(data[0] << 8 | data[1]);
    char *s = fuzz_string(data + 2, size - 2);
    char *host = xmalloc(OKR_HOST_MAX);
    size_t errlen = 1 + data[0] % 64;
    char *err = xmalloc(errlen);
    uint16_t port = 0;
    int rc = okr_hostport_parse(s, default_port, host, &port, err, errlen);
    if (rc == 0) {
        check_host(host);
        if (s[0] == '[')
            FUZZ_REQUIRE(okr_host_is_ip_literal(host));
        FUZZ_REQUIRE(port != 0 || default_port == 0);
        uint16_t canon_port;
        FUZZ_REQUIRE(okr_hostport_parse(s, OKR_DEFAULT_PORT, host, &canon_port, err, errlen) == 0);
        FUZZ_REQUIRE(canon_port == port || port == default_port);
        check_canon(s, host, canon_port);
    } else {
        FUZZ_REQUIRE(rc == OKR_E_BAD_REQUEST && strlen(err) < errlen);
        char *out = xmalloc(OKR_HOSTPORT_MAX);
        FUZZ_REQUIRE(okr_hostport_canon(s, out, err, errlen) == OKR_E_BAD_REQUEST);
        free(out);
    }
    okr_host_is_ip_literal(s);
    free(err);
    free(host);
    free(s);
    return 0;
}
