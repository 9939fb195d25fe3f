#!/usr/bin/env bash
# Integration: a TLS scan of a real okrd. sslscan must find TLS 1.3 and only
# TLS 1.3 (no SSLv2/SSLv3/TLS 1.0/1.1/1.2), and the key exchange groups
# X25519 and P-256 and no other; openssl s_client probes confirm the groups
# (X25519 and P-256 complete a handshake, P-384 and ffdhe2048 are refused).
#
# Trust: a client that verifies (against the system CAs) refuses okrd's
# self-signed certificate; only a client that does not verify connects
# without the pin or the CA. That the okr client refuses an unknown or changed
# certificate without --trust is tested in it_cli.sh ("unknown server refused
# without a terminal or --trust", "a changed certificate is refused").
#
# Usage: it_tlsscan.sh OKRD
set -u
OKRD=$1

if ! command -v sslscan >/dev/null; then
    echo "sslscan is not installed (scripts/deps installs it)" >&2
    exit 1
fi

. "$(dirname "$0")/lib.sh"

echo "admin-password-1" >"$dir/admin-pw"
okrd_args=(--handshake-timeout-ms 10000)
start_okrd

# ---- sslscan
timeout 120 sslscan --no-colour "$S" >"$dir/scan" 2>&1
sed 's/^/    sslscan: /' "$dir/scan" | grep -E "enabled|disabled|TLSv1.3 .*bits|Accepted|Preferred"

check "sslscan reached the server" -- grep -q "^TLSv1.3 *enabled" "$dir/scan"
for proto in SSLv2 SSLv3 TLSv1.0 TLSv1.1 TLSv1.2; do
    # A protocol the scan could not test (not compiled into its OpenSSL) is
    # not listed at all; a listed one must be disabled.
    if grep -q "^$proto " "$dir/scan"; then
        check "$proto is not offered" -- grep -q "^$proto *disabled" "$dir/scan"
    else
        ok "$proto is not offered (sslscan's OpenSSL cannot even try it)"
    fi
done
check "only TLSv1.3 is enabled" -- test "$(grep -cE '^(SSL|TLS)v[0-9.]+ +enabled' "$dir/scan")" -eq 1
check "every accepted cipher suite is TLS 1.3" -- \
    test "$(grep -E '^(Preferred|Accepted)' "$dir/scan" | grep -cv 'TLSv1.3')" -eq 0

# The groups section: the lines between "Key Exchange Group" and the next
# heading, e.g. "TLSv1.3  128 bits  secp256r1 (NIST P-256)".
awk '/Server Key Exchange Group/ {on = 1; next} /^ *$|^  [A-Z]/ {if (on) exit} on' \
    "$dir/scan" >"$dir/groups"
sed 's/^/    group: /' "$dir/groups"
check "X25519 is offered" -- grep -qi "x25519" "$dir/groups"
check "P-256 is offered" -- grep -q "secp256r1" "$dir/groups"
check "no other group is offered" -- test "$(grep -civE 'x25519|secp256r1' "$dir/groups")" -eq 0
check "exactly two groups" -- test "$(grep -c . "$dir/groups")" -eq 2

# ---- openssl s_client probes, one group at a time
probe() { # probe GROUP: 0 if a TLS 1.3 handshake with only GROUP completes
    echo | timeout 20 openssl s_client -connect "$S" -tls1_3 -groups "$1" -alpn okr/1 \
        >"$dir/probe" 2>&1 && grep -q "TLSv1.3" "$dir/probe"
}
check "X25519 handshake completes" -- probe X25519
check "P-256 handshake completes" -- probe P-256
check "P-384 handshake is refused" -- eval '! probe P-384'
check "ffdhe2048 handshake is refused" -- eval '! probe ffdhe2048'
check "TLS 1.2 handshake is refused" -- eval \
    '! (echo | timeout 20 openssl s_client -connect "$S" -tls1_2 >/dev/null 2>&1)'

# ---- trust: only a client that does not verify gets in without pin or CA
check "a verifying client refuses the self-signed certificate" -- eval \
    '! (echo | timeout 20 openssl s_client -connect "$S" -tls1_3 -verify_return_error \
        -verify_hostname localhost >"$dir/verify" 2>&1)'
check "  ...because verification failed" -- grep -qi "verify error\|certificate verify failed" \
    "$dir/verify"
check "a client that does not verify connects" -- eval \
    'echo | timeout 20 openssl s_client -connect "$S" -tls1_3 >/dev/null 2>&1'

stop_okrd
finish
