#!/usr/bin/env bash
# Integration: the okr binary end to end against a real okrd, as a person or
# a script uses it. Usage: it_cli.sh OKRD OKR
set -u
OKRD=$1
OKR=$2

. "$(dirname "$0")/lib.sh"
export OKR_CONFIG_DIR=$dir/admin-config

echo "admin-password-1" >"$dir/admin-pw"
start_okrd

# ---- help and usage
expect 0 "okr --help" -- okr --help
check "help lists the commands" -- grep -q "login" "$dir/out"
expect 0 "okr login --help" -- okr login --help
expect 0 "okr user --help" -- okr user --help
expect 2 "unknown command is a usage error" -- okr frobnicate
expect 2 "a mistyped command is a usage error" -- okr chekin K1 40
check "that says which was meant" -- grep -q "did you mean 'okr checkin'" "$dir/err"
expect 2 "so is a mistyped sub-command" -- okr obj ad "Grow"
check "also with the one meant" -- grep -q "did you mean 'okr obj add'" "$dir/err"
expect 2 "unknown option is a usage error" -- okr --no-such-option whoami

# ---- trust on first use
expect 4 "whoami before login says not logged in" -- okr whoami
check "and says how to log in" -- grep -q "okr login" "$dir/err"
input=$dir/admin-pw expect 3 "unknown server refused without a terminal or --trust" -- \
    okr login admin --password-stdin
check "the refusal shows the fingerprint and --trust" -- grep -q -- "--trust" "$dir/err"
input=$dir/admin-pw expect 0 "login with --trust and --password-stdin" -- \
    okr --trust login admin --password-stdin
check "the pin is stored" -- grep -q "127.0.0.1:$port" "$OKR_CONFIG_DIR/known_servers"
check "session file is private (0600)" -- \
    test "$(stat -c %a "$OKR_CONFIG_DIR/session.json")" = 600
check "a TLS session ticket is kept for resumption, privately" -- \
    test "$(stat -c %a "$OKR_CONFIG_DIR"/tls-session-127.0.0.1_"$port".pem)" = 600

# ---- whoami, human and JSON
expect 0 "whoami" -- okr whoami
check "whoami names admin" -- grep -q "admin" "$dir/out"
expect 0 "whoami --json" -- okr --json whoami
check "whoami --json is JSON with the username" -- \
    test "$(jq -r '.. | .username? // empty' "$dir/out" | head -1)" = admin

# ---- users
echo "alice-password" >"$dir/alice-pw"
input=$dir/alice-pw expect 0 "user add with a Chinese display name" -- \
    okr user add alice --name "Alice 刘" --password-stdin
input=$dir/alice-pw expect 5 "adding the same user again is refused" -- \
    okr user add ALICE --password-stdin
expect 0 "user list" -- okr user list
check "user list shows alice and her name" -- grep -q "Alice 刘" "$dir/out"
expect 0 "user list --json" -- okr --json user list
check "user list --json has both users" -- \
    test "$(jq '[.. | .username? // empty] | length' "$dir/out")" -ge 2

# ---- a member is refused admin commands (exit 5)
ADMIN_CONFIG=$OKR_CONFIG_DIR
export OKR_CONFIG_DIR=$dir/alice-config
input=$dir/alice-pw expect 0 "alice logs in" -- okr --trust login alice --password-stdin
input=$dir/alice-pw expect 5 "alice cannot add users" -- okr user add bob --password-stdin
check "the refusal says why" -- grep -qi "admin" "$dir/err"
printf 'wrong-password\n' >"$dir/wrong-pw"
input=$dir/wrong-pw expect 4 "wrong password is an authentication error" -- \
    okr login alice --password-stdin
export OKR_CONFIG_DIR=$ADMIN_CONFIG

expect 0 "make alice an admin" -- okr user role alice admin
# A key result of alice's, which her session could check in on.
expect 0 "a cycle" -- okr cycle add Now --start "$(date -u -d '-10 days' +%Y-%m-%d)" \
    --end "$(date -u -d '+60 days' +%Y-%m-%d)"
expect 0 "activate it" -- okr cycle activate Now
expect 0 "an objective of alice's" -- okr --json obj add "Alice's" --cycle Now --owner alice
obj=$(field .id)
expect 0 "her key result" -- okr --json kr add "O$obj" "Signups" --target 100 --owner alice
kr=$(field .id)
expect 0 "deactivate alice" -- okr user deactivate alice
export OKR_CONFIG_DIR=$dir/alice-config
expect 4 "alice's session ended with her account" -- okr whoami
# okr checkin sends the check-in right behind the token: the token's refusal
# is what is reported, and nothing is checked in.
expect 4 "a check-in on an ended session: not logged in" -- okr checkin "K$kr" 40
check "it says the session ended" -- grep -q "expired or was revoked" "$dir/err"
export OKR_CONFIG_DIR=$ADMIN_CONFIG
expect 0 "the key result, as admin" -- okr --json kr show "K$kr"
check "nothing was checked in" -- \
    test "$(jq -c '[.key_result.current, .checkin_count]' "$dir/out")" = "[0,0]"

# ---- logout
expect 0 "logout" -- okr logout
expect 4 "whoami after logout" -- okr whoami

# ---- a changed certificate is refused loudly
stop_okrd && ok "okrd exits 0 on SIGTERM"
expect 3 "no server: connection error" -- okr whoami
rm -f "$dir/data/cert.pem" "$dir/data/key.pem"
start_okrd
input=$dir/admin-pw expect 3 "a changed certificate is refused even with --trust" -- \
    okr --trust login admin --password-stdin
check "the refusal is loud" -- grep -q "CHANGED" "$dir/err"
expect 0 "trust --forget removes the old pin" -- okr trust --forget "$S"
input=$dir/admin-pw expect 0 "then the new certificate can be trusted" -- \
    okr --trust login admin --password-stdin

stop_okrd
finish
