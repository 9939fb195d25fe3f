#!/usr/bin/env bash
# Integration: okr token and okr-dash end to end against a real okrd.
# Usage: it_dash.sh OKRD OKR OKR-DASH
#
# An admin makes teams A and B, a cycle, objectives (a team-only one for each
# team) and key results, and a dashboard token for team A. `okr-dash --once`
# prints team A's objectives and none of team B's. Then okr-dash runs full
# screen in a real terminal (tmux): it shows the objectives; a check-in made
# with okr appears within a second; when okrd restarts (same port and data)
# it shows "reconnecting" and then the right figures; a revoked token is
# said so on screen; q quits.
set -u
OKRD=$1
OKR=$2
DASH=$3

export LC_ALL=C.UTF-8 TZ=UTC
. "$(dirname "$0")/lib.sh"
export OKR_CONFIG_DIR=$dir/admin-config
export TMPDIR=$dir/tmp # okr-dash's private pin directory goes here
mkdir -p "$TMPDIR"
unset OKR_DASH_TOKEN
tmux_sock="okr-dash-it-$$"
extra_cleanup() { tmux -L "$tmux_sock" kill-server 2>/dev/null; }

echo "admin-password-1" >"$dir/admin-pw"
start_okrd

quiet() { "$@" >/dev/null 2>>"$dir/setup.err"; }

# ---- the organisation
okr --trust login admin --password-stdin <"$dir/admin-pw" >/dev/null
echo "alice-password-1" >"$dir/alice-pw"
quiet okr user add alice --name "Alice Liu" --password-stdin <"$dir/alice-pw"
quiet okr team add TeamA
quiet okr team add TeamB
quiet okr team member add TeamA alice --lead
quiet okr cycle add 2026-Q4 --start today --end +60d
quiet okr cycle activate 2026-Q4
quiet okr obj add "Alpha public goal" --team TeamA              # O1
quiet okr obj add "Alpha team-only goal" --team TeamA --visibility team # O2
quiet okr obj add "Beta team-only goal" --team TeamB --visibility team  # O3
quiet okr obj add "Beta public goal" --team TeamB               # O4
quiet okr obj add "提升华东区客户满意度" --team TeamA             # O5
quiet okr kr add O1 "Activation" --target 100                   # K1
quiet okr kr add O2 "Hidden work" --target 10                   # K2
quiet okr kr add O3 "Beta hidden work" --target 10              # K3
quiet okr kr add O5 "客户满意度" --start 70 --target 90          # K4
quiet okr checkin K4 80 -m "回访了二十家客户"
quiet okr kudos O1 "Great start" --to alice
check "the organisation was set up" -- test ! -s "$dir/setup.err"

# ---- okr token
expect 0 "okr token --help" -- okr token --help
expect 2 "token create needs --scope" -- okr token create --label TV
expect 2 "token create rejects a bad scope" -- okr token create --scope floor:3 --label TV
expect 5 "token create for an unknown team is refused" -- \
    okr token create --scope team:NoSuchTeam --label TV
expect 0 "token create --scope team:TeamA" -- \
    okr token create --scope team:TeamA --label "3rd floor TV"
cp "$dir/out" "$dir/create.out"
secret=$(grep -o -m1 'dash-[0-9a-f]\{64\}' "$dir/create.out")
fp=$(sed -n 's/^fingerprint = \([0-9a-f]\{64\}\)$/\1/p' "$dir/create.out")
check "it prints the secret once, as dash- and 64 hex digits" -- test -n "$secret"
check "it prints a ready okr-dash command line" -- \
    grep -q -- "okr-dash --server $S --fingerprint $fp --token $secret" "$dir/create.out"
check "and a config file" -- grep -q "^\[dash\]" "$dir/create.out"
check "the fingerprint is the server's certificate's" -- test "$fp" = \
    "$(openssl x509 -in "$dir/data/cert.pem" -outform DER | sha256sum | cut -d' ' -f1)"
token_id=$(sed -n 's/^Created dashboard token \([0-9]*\) .*/\1/p' "$dir/create.out")
expect 0 "token create --json" -- okr --json token create --scope org --label "Lobby"
check "--json has the secret, the scope and the fingerprint" -- test \
    "$(jq -r '[(.secret | startswith("dash-")), .token.scope.kind, .fingerprint] | join(" ")' \
        "$dir/out")" = "true org $fp"
org_id=$(jq -r .token.id "$dir/out")
org_secret=$(jq -r .secret "$dir/out")
expect 0 "token list" -- okr token list
check "token list shows both tokens with their scope" -- \
    sh -c "grep -q '3rd floor TV.*team TeamA' '$dir/out' && grep -q 'Lobby.*organisation' '$dir/out'"
check "token list never shows a secret" -- sh -c "! grep -q 'dash-' '$dir/out'"
expect 0 "token revoke" -- okr token revoke "$org_id"
expect 0 "token list after revoking" -- okr token list
check "a revoked token is not listed" -- sh -c "! grep -q Lobby '$dir/out'"
expect 0 "token list --all --json" -- okr --json token list --all
check "--all lists the revoked one as revoked" -- \
    test "$(jq -r '.[] | select(.label == "Lobby") | .revoked' "$dir/out")" = true
expect 2 "token revoke needs an id" -- okr token revoke
ADMIN_CONFIG=$OKR_CONFIG_DIR
export OKR_CONFIG_DIR=$dir/alice-config
okr --trust login alice --password-stdin <"$dir/alice-pw" >/dev/null
expect 5 "a member cannot make tokens" -- okr token create --scope team:TeamA --label mine
expect 5 "nor list them" -- okr token list
export OKR_CONFIG_DIR=$ADMIN_CONFIG

# ---- okr-dash --once
printf '%s\n' "$secret" >"$dir/token"
dash() { "$DASH" --server "$S" --fingerprint "$fp" --token-file "$dir/token" "$@"; }
expect 0 "okr-dash --help" -- "$DASH" --help
check "--help documents --once and the config file" -- \
    sh -c "grep -q -- '--once' '$dir/out' && grep -q 'rotate_seconds' '$dir/out'"
expect 2 "okr-dash without a server is a usage error" -- "$DASH" --token x --fingerprint "$fp"
expect 2 "okr-dash rejects a malformed fingerprint" -- dash --fingerprint 12ab --once
expect 0 "okr-dash --once" -- dash --once --width 100 --height 30
cp "$dir/out" "$dir/once.out"
check "it shows team A's objectives" -- \
    sh -c "grep -q 'Alpha public goal' '$dir/once.out' && grep -q 'Alpha team-only goal' '$dir/once.out'"
check "Chinese titles are shown" -- grep -q "提升华东区客户满意度" "$dir/once.out"
check "not team B's team-only objective" -- sh -c "! grep -q 'Beta team-only' '$dir/once.out'"
check "nor team B's other objectives" -- sh -c "! grep -q 'Beta public' '$dir/once.out'"
check "the ticker shows the check-in and the kudos" -- \
    sh -c "grep -q '回访了二十家客户' '$dir/once.out' && grep -q 'Great start' '$dir/once.out'"
check "each card has its trend, a sparkline" -- \
    sh -c "grep 'Alpha public goal' -A3 '$dir/once.out' | grep -Eq '· [▁▂▃▄▅▆▇█]{2,} ·'"
check "the frame is 30 lines" -- test "$(wc -l <"$dir/once.out")" -eq 30
check "no line is wider than 100 columns" -- test "$(wc -L <"$dir/once.out")" -le 100
check "plain text: no escape codes" -- sh -c "! grep -q \$'\\x1b' '$dir/once.out'"
check "Chinese titles line up: their status ends where the English ones' does" -- test \
    "$(grep 'Alpha public goal' "$dir/once.out" | wc -L)" -eq \
    "$(grep '提升华东区客户满意度' "$dir/once.out" | head -1 | wc -L)"
expect 0 "okr-dash --once at 80x24" -- dash --once --width 80 --height 24
check "the 80x24 frame keeps to its size" -- \
    sh -c "test \$(wc -l <'$dir/out') -eq 24 && test \$(wc -L <'$dir/out') -le 80"
cat >"$dir/dash.ini" <<EOF
[dash]
server = $S
fingerprint = $fp
token = $secret
title = Third floor
rotate_seconds = 5
EOF
chmod 600 "$dir/dash.ini"
expect 0 "okr-dash --config FILE --once" -- "$DASH" --config "$dir/dash.ini" --once
check "the config's title is used" -- grep -q "Third floor" "$dir/out"
printf '[dash]\nserver = %s\nfrobnicate = 1\n' "$S" >"$dir/bad.ini"
expect 2 "an unknown config setting is refused" -- "$DASH" --config "$dir/bad.ini" --once
expect 3 "a wrong fingerprint is refused (no prompt)" -- \
    dash --fingerprint "$(printf '%064d' 0)" --once
printf 'dash-%064d\n' 0 >"$dir/bad-token"
expect 4 "an unknown token is refused" -- \
    "$DASH" --server "$S" --fingerprint "$fp" --token-file "$dir/bad-token" --once
expect 4 "a revoked token is refused" -- \
    "$DASH" --server "$S" --fingerprint "$fp" --token "$org_secret" --once
check "okr-dash left no files behind" -- test -z "$(ls -A "$TMPDIR")"

# ---- dashboard tokens cannot write (the protocol side is in it_dash_token)
export OKR_CONFIG_DIR=$dir/tv-config
mkdir -p "$OKR_CONFIG_DIR"
printf '{"server":"%s","username":"dashboard","token":"%s","expires_at":0}\n' "$S" "$secret" \
    >"$OKR_CONFIG_DIR/session.json"
chmod 600 "$OKR_CONFIG_DIR/session.json"
printf '%s %s\n' "$S" "$fp" >"$OKR_CONFIG_DIR/known_servers"
chmod 600 "$OKR_CONFIG_DIR/known_servers"
"$OKR" --server "$S" checkin K1 99 >"$dir/out" 2>"$dir/err"
code=$?
check "a check-in with the dashboard token is refused (exit 4 or 5)" -- \
    sh -c "test $code -eq 4 || test $code -eq 5"
export OKR_CONFIG_DIR=$ADMIN_CONFIG
expect 0 "the key result did not move" -- okr --json kr show K1
check "K1 is still at its start" -- test "$(jq -r '.. | .current? // empty' "$dir/out" | head -1)" = 0

# ---- okr-dash full screen, in tmux
screen() { tmux -L "$tmux_sock" capture-pane -p -t dash 2>/dev/null; }
# wait_screen SECONDS PATTERN: 0 when the screen shows PATTERN in time.
wait_screen() {
    local until=$(($(date +%s%N) + $1 * 1000000000))
    while [ "$(date +%s%N)" -lt "$until" ]; do
        screen | grep -q -- "$2" && return 0
        sleep 0.05
    done
    return 1
}
tmux -L "$tmux_sock" new-session -d -s dash -x 120 -y 40 \
    "env LC_ALL=C.UTF-8 TZ=UTC TMPDIR='$TMPDIR' '$DASH' --server '$S' --fingerprint '$fp' \
     --token-file '$dir/token' --rotate 30 --log '$dir/dash.log' 2>'$dir/dash.err'; echo \$? >'$dir/dash.rc'"
check "okr-dash shows the scope's objectives" -- wait_screen 10 "Alpha public goal"
screen >"$dir/out"
check "with team A's team-only objective and none of team B's" -- sh -c \
    "grep -q 'Alpha team-only goal' '$dir/out' && ! grep -q 'Beta' '$dir/out'"
check "the link is live" -- wait_screen 5 "● live"
check "the screen is 40 lines of at most 120 columns" -- \
    sh -c "test \$(wc -l <'$dir/out') -eq 40 && test \$(wc -L <'$dir/out') -le 120"
start=$(date +%s%N)
quiet okr checkin K1 42 -m "tmux check-in"
if wait_screen 1 "42%"; then
    ok "a check-in appears within a second ($((($(date +%s%N) - start) / 1000000)) ms)"
else
    not_ok "a check-in appears within a second"
    screen
fi
check "and in the ticker" -- wait_screen 1 "tmux check-in"

tmux -L "$tmux_sock" resize-window -t dash -x 80 -y 24
check "after a resize to 80x24 it lays out again" -- wait_screen 3 "Alpha public goal"
screen >"$dir/out"
check "within 80 columns and 24 lines" -- \
    sh -c "test \$(wc -l <'$dir/out') -eq 24 && test \$(wc -L <'$dir/out') -le 80"
tmux -L "$tmux_sock" resize-window -t dash -x 120 -y 40

stop_okrd
check "when okrd stops it shows reconnecting" -- wait_screen 10 "reconnecting"
check "and still the last figures" -- wait_screen 1 "42%"
start_okrd
quiet okr checkin K1 77 -m "after the restart"
check "after okrd restarts it shows the new figures" -- wait_screen 30 "77%"
check "and is live again" -- wait_screen 30 "● live"
check "the change made meanwhile is in the ticker" -- wait_screen 5 "after the restart"

expect 0 "revoking the token while it is shown" -- okr token revoke "$token_id"
check "the screen says the token was refused" -- wait_screen 30 "refused this dashboard"

tmux -L "$tmux_sock" send-keys -t dash q
for _ in $(seq 1 50); do
    [ -s "$dir/dash.rc" ] && break
    sleep 0.1
done
check "q quits, with exit status 0" -- test "$(cat "$dir/dash.rc" 2>/dev/null)" = 0
check "no errors on stderr" -- test ! -s "$dir/dash.err"
check "the private pin directory is gone" -- test -z "$(ls -A "$TMPDIR")"
tmux -L "$tmux_sock" kill-server 2>/dev/null

stop_okrd
finish
