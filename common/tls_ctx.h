/* tls_ctx.h — the TLS policies of okr, certificates and fingerprints.
 *
 * Server policy: TLS 1.3 only (Mozilla's "modern" profile: every client we
 * ship speaks 1.3, and it removes the cipher-suite configuration surface of
 * 1.2), key exchange groups X25519:P-256, renegotiation off, ALPN "okr/1"
 * required when the client offers ALPN.
 *
 * Client policy: TLS 1.3, ALPN "okr/1", and one of two ways to trust the
 * server: a CA file (full chain verification by OpenSSL) or a pinned SHA-256
 * fingerprint of the server's certificate checked by the caller after the
 * handshake (trust on first use). In both the host name is checked.
 */
#ifndef OKR_TLS_CTX_H
#define OKR_TLS_CTX_H

#include <openssl/ssl.h>
#include <stddef.h>

#define OKR_ALPN "okr/1"
/* Hex SHA-256: 64 lowercase hex digits + NUL. */
#define OKR_FINGERPRINT_LEN 65

/* Builds the server context from PEM files. Returns NULL and fills err on
 * failure (unreadable file, key/cert mismatch). Caller frees with SSL_CTX_free. */
SSL_CTX *okr_tls_server_ctx(const char *cert_file, const char *key_file, char *err, size_t errlen);

/* Builds a client context. With ca_file, the chain is verified against it
 * (SSL_VERIFY_PEER); with NULL, OpenSSL accepts any certificate and the caller
 * must compare okr_tls_peer_fingerprint() with its pin before sending
 * anything. Returns NULL and fills err on failure. */
SSL_CTX *okr_tls_client_ctx(const char *ca_file, char *err, size_t errlen);

/* Client side, before okr_tls_start: sends host as SNI when it is a DNS name
 * (never for an IP literal, RFC 6066) and makes OpenSSL check it against the
 * certificate during the handshake when the context verifies (CA file). With
 * a pinned fingerprint, call okr_tls_check_peer_host() in on_handshake
 * instead. host must not be NULL. Returns 0 or -1. */
int okr_tls_client_set_host(SSL *ssl, const char *host);

/* Writes a new self-signed ECDSA P-256 certificate (valid 10 years, SHA-256
 * signature, subjectAltName with each of hosts: IP addresses as iPAddress,
 * others as dNSName) and its private key, both PEM. The key file is created
 * with mode 0600; both are written atomically (temp file, fsync, rename).
 * Returns 0 or fills err and returns -1. */
int okr_tls_generate_self_signed(const char *cert_path, const char *key_path,
                                 const char *const *hosts, size_t nhosts, char *err, size_t errlen);

/* SHA-256 of the DER encoding of the first certificate in a PEM file, as
 * lowercase hex into out[OKR_FINGERPRINT_LEN]. Returns 0 or -1. */
int okr_tls_cert_file_fingerprint(const char *cert_path, char *out);

/* Same for the peer's certificate of an established connection. Returns 0,
 * or -1 if there is no peer certificate. */
int okr_tls_peer_fingerprint(SSL *ssl, char *out);

/* Checks that the peer certificate names host (a DNS name, or an IP address
 * literal compared as an address). Returns 0 if it does, -1 otherwise. */
int okr_tls_check_peer_host(SSL *ssl, const char *host);

/* Formats a hex fingerprint for people, "AB:CD:..." into out (at least 96 bytes). */
void okr_tls_fingerprint_pretty(const char *hex, char *out, size_t outlen);

#endif
