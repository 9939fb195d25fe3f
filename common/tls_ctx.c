/* tls_ctx.c — okr's TLS policies, self-signed certificates, fingerprints.
 *
 * Every function leaves OpenSSL's (thread-local) error queue empty when it
 * returns, so a failure here never shows up as the cause of another
 * connection's failure later. */
#include "tls_ctx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* The ALPN wire format: length-prefixed. */
static const unsigned char ctx__alpn[] = "\x05" OKR_ALPN;
#define CTX__ALPN_LEN (sizeof ctx__alpn - 1)

#define CTX__GROUPS "X25519:P-256"

/* Fills err with "what: <first OpenSSL error>" and empties the queue. */
static void ctx__ssl_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ctx__ssl_err(char *err, size_t errlen, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!err || errlen == 0)
        return;
    if (e) {
        char reason[160];
        ERR_error_string_n(e, reason, sizeof reason);
        snprintf(err, errlen, "%s: %s", what, reason);
    } else {
        snprintf(err, errlen, "%s", what);
    }
}

static int ctx__is_ip(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* The address a certificate would name for host, into addr: host itself,
 * or a link-local IPv6 address without its zone ("fe80::1%eth0": the zone
 * says which interface, the certificate names fe80::1). 1 if host is an IP
 * address, 0 if it is a name. */
static int ctx__ip_of(const char *host, char addr[INET6_ADDRSTRLEN])
{
    const char *zone = strchr(host, '%');
    size_t len = zone ? (size_t)(zone - host) : strlen(host);
    if (len >= INET6_ADDRSTRLEN)
        return 0;
    memcpy(addr, host, len);
    addr[len] = '\0';
    unsigned char buf[sizeof(struct in6_addr)];
    return zone ? inet_pton(AF_INET6, addr, buf) == 1 : ctx__is_ip(addr);
}

/* --- contexts ----------------------------------------------------------- */

/* Picks "okr/1" from the client's list; a client that offers ALPN without it
 * speaks something else, so the handshake fails rather than guess. A client
 * that offers no ALPN never gets here and is accepted. */
static int ctx__alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                            const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    unsigned int i = 0;
    while (i < inlen) {
        unsigned int n = in[i];
        if (n == 0 || n > inlen - i - 1)
            break; /* malformed list */
        if (n == CTX__ALPN_LEN - 1 && memcmp(in + i + 1, ctx__alpn + 1, n) == 0) {
            *out = in + i + 1;
            *outlen = (unsigned char)n;
            return SSL_TLSEXT_ERR_OK;
        }
        i += n + 1;
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* What both sides share: TLS 1.3 and up, our groups, no renegotiation. */
static SSL_CTX *ctx__new(const SSL_METHOD *method, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(method);
    if (!ctx) {
        ctx__ssl_err(err, errlen, "SSL_CTX_new");
        return NULL;
    }
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
        SSL_CTX_set1_groups_list(ctx, CTX__GROUPS) != 1) {
        ctx__ssl_err(err, errlen, "TLS context setup");
        SSL_CTX_free(ctx);
        return NULL;
    }
    /* Meaningless in 1.3 (there is none), but says what we want if the
     * minimum version is ever lowered. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    /* An idle connection gives its read and write buffers (about 34 KiB)
     * back to the allocator: what ten thousand idle dashboards cost. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    return ctx;
}

/* Mozilla's "modern" profile: TLS 1.3 only, so no cipher list to maintain
 * (OpenSSL's 1.3 suites are all AEAD with forward secrecy). Groups X25519 and
 * P-256 cover every client we ship. One stateless session ticket per
 * handshake (OpenSSL sends two by default), key rotated per process: enough
 * for a client to resume, half the cost on every new connection. */
SSL_CTX *okr_tls_server_ctx(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
    ERR_clear_error();
    SSL_CTX *ctx = ctx__new(TLS_server_method(), err, errlen);
    if (!ctx)
        return NULL;
    SSL_CTX_set_alpn_select_cb(ctx, ctx__alpn_select, NULL);
    SSL_CTX_set_num_tickets(ctx, 1);
    /* The chain form accepts a leaf followed by intermediates. */
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        ctx__ssl_err(err, errlen, "cannot load certificate %s", cert_file);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
        ctx__ssl_err(err, errlen, "cannot load private key %s", key_file);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ctx__ssl_err(err, errlen, "private key %s does not match certificate %s", key_file,
                     cert_file);
        goto fail;
    }
    ERR_clear_error();
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *okr_tls_client_ctx(const char *ca_file, char *err, size_t errlen)
{
    ERR_clear_error();
    SSL_CTX *ctx = ctx__new(TLS_client_method(), err, errlen);
    if (!ctx)
        return NULL;
    /* Unlike most of OpenSSL, 0 means success here. */
    if (SSL_CTX_set_alpn_protos(ctx, ctx__alpn, CTX__ALPN_LEN) != 0) {
        ctx__ssl_err(err, errlen, "cannot set ALPN");
        goto fail;
    }
    if (ca_file) {
        if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
            ctx__ssl_err(err, errlen, "cannot load CA file %s", ca_file);
            goto fail;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        /* The caller pins the fingerprint after the handshake. */
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    ERR_clear_error();
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

int okr_tls_client_set_host(SSL *ssl, const char *host)
{
    ERR_clear_error();
    int ok;
    char addr[INET6_ADDRSTRLEN];
    if (ctx__ip_of(host, addr)) {
        /* RFC 6066: SNI carries DNS names only. */
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), addr) == 1;
    } else {
        ok = SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1;
        if (ok)
            SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }
    ERR_clear_error();
    return ok ? 0 : -1;
}

/* --- self-signed certificates ------------------------------------------- */

/* Writes data to path atomically: a temporary file in the same directory,
 * fsync, rename over path, fsync the directory so the rename survives a
 * crash. mkstemp creates the file 0600, so a key is never readable by others,
 * not even for a moment; fchmod then sets the final mode. */
static int ctx__write_atomic(const char *path, const void *data, size_t len, mode_t mode, char *err,
                             size_t errlen)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof ".tmpXXXXXX");
    char *dir = malloc(plen + 2);
    if (!tmp || !dir) {
        free(tmp);
        free(dir);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmpXXXXXX", sizeof ".tmpXXXXXX");
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, plen + 2, ".");
    else if (slash == path)
        snprintf(dir, plen + 2, "/");
    else
        snprintf(dir, plen + 2, "%.*s", (int)(slash - path), path);

    int rc = -1;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    const unsigned char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
            goto out_unlink;
        }
        p += n;
        left -= (size_t)n;
    }
    if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
        snprintf(err, errlen, "cannot sync %s: %s", tmp, strerror(errno));
        goto out_unlink;
    }
    if (close(fd) != 0) {
        fd = -1;
        snprintf(err, errlen, "cannot close %s: %s", tmp, strerror(errno));
        goto out_unlink;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        goto out_unlink;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0 || fsync(dfd) != 0) {
        snprintf(err, errlen, "cannot sync directory %s: %s", dir, strerror(errno));
        if (dfd >= 0)
            close(dfd);
        goto out; /* the file is in place; only its durability is in doubt */
    }
    close(dfd);
    rc = 0;
    goto out;
out_unlink:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
out:
    free(tmp);
    free(dir);
    return rc;
}

/* Serialises through a memory BIO and writes atomically. The key goes
 * through a secure-memory BIO so its buffer is cleansed when freed. */
static int ctx__write_pem(const char *path, X509 *cert, EVP_PKEY *key, mode_t mode, char *err,
                          size_t errlen)
{
    BIO *bio = BIO_new(key ? BIO_s_secmem() : BIO_s_mem());
    if (!bio) {
        ctx__ssl_err(err, errlen, "out of memory");
        return -1;
    }
    int ok = key ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)
                 : PEM_write_bio_X509(bio, cert);
    if (!ok) {
        ctx__ssl_err(err, errlen, "cannot encode %s", path);
        BIO_free(bio);
        return -1;
    }
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    int rc = ctx__write_atomic(path, data, (size_t)len, mode, err, errlen);
    BIO_free(bio);
    return rc;
}

static int ctx__add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* subjectAltName built as structures, not as a config string, so that a host
 * containing "," or ":" cannot inject other names. */
static int ctx__add_san(X509 *x, const char *const *hosts, size_t nhosts)
{
    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    if (!names)
        return -1;
    int rc = -1;
    for (size_t i = 0; i < nhosts; i++) {
        GENERAL_NAME *gn = GENERAL_NAME_new();
        if (!gn)
            goto out;
        if (ctx__is_ip(hosts[i])) {
            ASN1_OCTET_STRING *ip = a2i_IPADDRESS(hosts[i]);
            if (!ip) {
                GENERAL_NAME_free(gn);
                goto out;
            }
            GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
        } else {
            ASN1_IA5STRING *dns = ASN1_IA5STRING_new();
            if (!dns || !ASN1_STRING_set(dns, hosts[i], -1)) {
                ASN1_IA5STRING_free(dns);
                GENERAL_NAME_free(gn);
                goto out;
            }
            GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
        }
        if (!sk_GENERAL_NAME_push(names, gn)) {
            GENERAL_NAME_free(gn);
            goto out;
        }
    }
    rc = X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) == 1 ? 0 : -1;
out:
    GENERAL_NAMES_free(names);
    return rc;
}

/* A positive random 128-bit serial (RFC 5280 allows up to 20 octets). */
static int ctx__set_serial(X509 *x)
{
    unsigned char rnd[16];
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        return -1;
    rnd[0] &= 0x7f; /* DER INTEGER: keep it positive */
    BIGNUM *bn = BN_bin2bn(rnd, sizeof rnd, NULL);
    int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

static X509 *ctx__make_cert(EVP_PKEY *key, const char *const *hosts, size_t nhosts)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    X509_NAME *name = X509_get_subject_name(x);
    /* notBefore an hour back: a client whose clock is a little behind must
     * not see a certificate from the future. 10 years = 3652 days. */
    if (X509_set_version(x, X509_VERSION_3) != 1 || ctx__set_serial(x) != 0 ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), 3652, 0, NULL) || X509_set_pubkey(x, key) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)hosts[0], -1,
                                   -1, 0) != 1 ||
        X509_set_issuer_name(x, name) != 1 ||
        ctx__add_ext(x, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
        ctx__add_ext(x, NID_ext_key_usage, "serverAuth") != 0 ||
        ctx__add_ext(x, NID_subject_key_identifier, "hash") != 0 ||
        ctx__add_san(x, hosts, nhosts) != 0 || X509_sign(x, key, EVP_sha256()) <= 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}

int okr_tls_generate_self_signed(const char *cert_path, const char *key_path,
                                 const char *const *hosts, size_t nhosts, char *err, size_t errlen)
{
    if (nhosts == 0) {
        snprintf(err, errlen, "a certificate needs at least one host name");
        return -1;
    }
    for (size_t i = 0; i < nhosts; i++) {
        if (!hosts[i] || !hosts[i][0] || strlen(hosts[i]) > 253) {
            snprintf(err, errlen, "invalid host name for the certificate");
            return -1;
        }
    }
    ERR_clear_error();
    int rc = -1;
    X509 *cert = NULL;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    if (!key) {
        ctx__ssl_err(err, errlen, "cannot generate a P-256 key");
        goto out;
    }
    cert = ctx__make_cert(key, hosts, nhosts);
    if (!cert) {
        ctx__ssl_err(err, errlen, "cannot build the certificate");
        goto out;
    }
    /* Key first: a certificate on disk always has its key beside it. */
    if (ctx__write_pem(key_path, NULL, key, 0600, err, errlen) != 0 ||
        ctx__write_pem(cert_path, cert, NULL, 0644, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    X509_free(cert);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return rc;
}

/* --- fingerprints and names --------------------------------------------- */

static int ctx__fingerprint(const X509 *x, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32) {
        ERR_clear_error();
        return -1;
    }
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < n; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0x0f];
    }
    out[2 * n] = '\0';
    return 0;
}

int okr_tls_cert_file_fingerprint(const char *cert_path, char *out)
{
    FILE *f = fopen(cert_path, "r");
    if (!f)
        return -1;
    ERR_clear_error();
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    int rc = x ? ctx__fingerprint(x, out) : -1;
    X509_free(x);
    ERR_clear_error();
    return rc;
}

int okr_tls_peer_fingerprint(SSL *ssl, char *out)
{
    const X509 *x = SSL_get0_peer_certificate(ssl);
    return x ? ctx__fingerprint(x, out) : -1;
}

int okr_tls_check_peer_host(SSL *ssl, const char *host)
{
    X509 *x = SSL_get0_peer_certificate(ssl);
    if (!x || !host || !host[0])
        return -1;
    int ok;
    char addr[INET6_ADDRSTRLEN];
    if (ctx__ip_of(host, addr))
        ok = X509_check_ip_asc(x, addr, 0);
    else
        ok = X509_check_host(x, host, strlen(host), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL);
    ERR_clear_error();
    return ok == 1 ? 0 : -1;
}

void okr_tls_fingerprint_pretty(const char *hex, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    size_t o = 0;
    for (size_t i = 0; hex[i] && hex[i + 1]; i += 2) {
        size_t need = i ? 3 : 2; /* ":AB" or "AB" */
        if (o + need >= outlen)
            break;
        if (i)
            out[o++] = ':';
        for (int k = 0; k < 2; k++) {
            char c = hex[i + (size_t)k];
            out[o++] = (c >= 'a' && c <= 'f') ? (char)(c - 'a' + 'A') : c;
        }
    }
    out[o] = '\0';
}
