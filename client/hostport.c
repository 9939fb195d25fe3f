#include "hostport.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "okr_error.h"

int okr_host_is_ip_literal(const char *host)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1)
        return 1;
    /* inet_pton takes no zone ("%eth0"): try the address before it. */
    const char *zone = strchr(host, '%');
    char addr[INET6_ADDRSTRLEN];
    if (!zone || !zone[1] || strpbrk(zone + 1, ":%") || (size_t)(zone - host) >= sizeof addr)
        return 0;
    memcpy(addr, host, (size_t)(zone - host));
    addr[zone - host] = '\0';
    return inet_pton(AF_INET6, addr, buf) == 1;
}

static int hostport__port(const char *s, uint16_t *port)
{
    if (!*s || strlen(s) > 5)
        return -1;
    unsigned v = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return -1;
        v = v * 10 + (unsigned)(*s - '0');
    }
    if (v == 0 || v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

static int hostport__host(char host[OKR_HOST_MAX], const char *s, size_t n)
{
    if (n == 0 || n >= OKR_HOST_MAX)
        return -1;
    int in_zone = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        /* Host names, IPv4 and IPv6 literals (with a %zone) only. */
        if (!isalnum(ch) && ch != '.' && ch != '-' && ch != ':' && ch != '_' && ch != '%')
            return -1;
        in_zone |= ch == '%';
        /* Names are caseless; a zone is an interface name, which is not. */
        host[i] = in_zone ? (char)ch : (char)tolower(ch);
    }
    host[n] = '\0';
    return 0;
}

int okr_hostport_parse(const char *s, uint16_t default_port, char host[OKR_HOST_MAX],
                       uint16_t *port, char *err, size_t errlen)
{
    const char *host_start = s, *port_str = NULL;
    size_t host_len;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || (close[1] && close[1] != ':'))
            goto bad;
        host_start = s + 1;
        host_len = (size_t)(close - host_start);
        if (close[1] == ':')
            port_str = close + 2;
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':')) {
            host_len = strlen(s); /* a bare IPv6 literal */
        } else {
            host_len = colon ? (size_t)(colon - s) : strlen(s);
            port_str = colon ? colon + 1 : NULL;
        }
    }
    if (hostport__host(host, host_start, host_len) != 0)
        goto bad;
    /* Bracketed, or with a colon, it is an IPv6 address: "[a:b]" and "a:b"
     * would give a canonical form ("[a:b]:7433") that does not parse. A zone
     * ("%eth0") belongs to such an address only, never to a name. */
    if ((s[0] == '[' || strchr(host, ':')) && !okr_host_is_ip_literal(host))
        goto bad;
    if (strchr(host, '%') && !strchr(host, ':'))
        goto bad;
    *port = default_port;
    if (port_str && hostport__port(port_str, port) != 0) {
        snprintf(err, errlen, "bad port in '%s': expected a number from 1 to 65535", s);
        return OKR_E_BAD_REQUEST;
    }
    return 0;
bad:
    snprintf(err, errlen,
             "bad server address '%s': expected HOST, HOST:PORT or [IPv6]:PORT, "
             "e.g. okr.example.com:7433",
             s);
    return OKR_E_BAD_REQUEST;
}

void okr_hostport_format(const char *host, uint16_t port, char out[OKR_HOSTPORT_MAX])
{
    if (strchr(host, ':'))
        snprintf(out, OKR_HOSTPORT_MAX, "[%.*s]:%u", OKR_HOST_MAX - 1, host, (unsigned)port);
    else
        snprintf(out, OKR_HOSTPORT_MAX, "%.*s:%u", OKR_HOST_MAX - 1, host, (unsigned)port);
}

int okr_hostport_canon(const char *s, char out[OKR_HOSTPORT_MAX], char *err, size_t errlen)
{
    char host[OKR_HOST_MAX];
    uint16_t port;
    int rc = okr_hostport_parse(s, OKR_DEFAULT_PORT, host, &port, err, errlen);
    if (rc)
        return rc;
    okr_hostport_format(host, port, out);
    return 0;
}
