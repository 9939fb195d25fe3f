/* hostport.h — "host:port" as people type it and as okr keys it.
 *
 * Accepted forms: "host", "host:port", "[v6addr]", "[v6addr]:port" and a bare
 * IPv6 literal ("::1", taken whole since it has several colons); an IPv6
 * address may carry its zone ("fe80::1%eth0"), and anything bracketed or
 * with a colon must be an address. The canonical form, used as the key of a
 * pin and of a saved session, has the host in lower case and always a port:
 * "okr.example.com:7433", "127.0.0.1:7433", "[::1]:7433",
 * "[fe80::1%eth0]:7433"; it parses back to the same host and port.
 */
#ifndef OKR_HOSTPORT_H
#define OKR_HOSTPORT_H

#include <stddef.h>
#include <stdint.h>

#define OKR_DEFAULT_PORT 7433
/* Longest host name (RFC 1035: 253) plus NUL, rounded up. */
#define OKR_HOST_MAX 256
/* "[" host "]:" port NUL */
#define OKR_HOSTPORT_MAX (OKR_HOST_MAX + 8)

/* Parses s into host (without brackets) and port (default_port when none is
 * given). Returns 0, or OKR_E_BAD_REQUEST with a message in err. */
int okr_hostport_parse(const char *s, uint16_t default_port, char host[OKR_HOST_MAX],
                       uint16_t *port, char *err, size_t errlen);

/* Writes the canonical "host:port" of (host, port) into out[OKR_HOSTPORT_MAX]. */
void okr_hostport_format(const char *host, uint16_t port, char out[OKR_HOSTPORT_MAX]);

/* Canonicalises a typed "host:port" into out. Returns 0 or OKR_E_BAD_REQUEST. */
int okr_hostport_canon(const char *s, char out[OKR_HOSTPORT_MAX], char *err, size_t errlen);

/* 1 if host is an IPv4 or IPv6 address literal, the latter with or without
 * a %zone (no SNI, compared as an address), 0 if it is a DNS name. */
int okr_host_is_ip_literal(const char *host);

#endif
