#!/usr/bin/env bash
# Integration: how many round trips okr commands take. Over a network each
# one costs a round-trip time, so the CLI pipelines: Hello, the session's
# token and the command's first request leave together, and `okr checkin`
# sends the stale-check-in reminder's request behind its own. OKR_TRACE=1
# makes okr print each request it sends ("okr: -> whoami #3") and each answer
# it takes ("okr: <- #3 OK"); requests sent before the next answer share a
# round trip, so the rounds are the runs of "->" lines. A command that only
# reads sends the reminder's request with its own as well. (TLS's own round trip
# comes before them.) The order of those lines follows okr's code, not the
# timing, so the counts are exact.
# Usage: it_cli_round_trips.sh OKRD OKR
set -u
OKRD=$1
OKR=$2

. "$(dirname "$0")/lib.sh"

# rounds DESCRIPTION MAX -- ARGS...: okr ARGS as admin exits 0, sends its
# first request with Hello, and takes at most MAX rounds.
rounds() {
    local desc=$1 max=$2
    shift 3
    OKR_TRACE=1 as admin 0 "$desc" -- "$@"
    local got first
    got=$(grep -E '^okr: (->|<-) ' "$dir/err" |
        awk '/^okr: ->/ { if (!sending) n++; sending = 1; next } { sending = 0 } END { print n + 0 }')
    first=$(grep -E '^okr: (->|<-) ' "$dir/err" | sed -n 3p)
    check "$desc: at most $max rounds (took $got)" -- [ "$got" -le "$max" ]
    check "$desc: its request goes with Hello and the token" -- \
        grep -q '^okr: -> [a-z_]* #3$' <<<"$first"
}

echo "admin-password-1" >"$dir/admin-pw"
start_okrd

input=$dir/admin-pw as admin 0 "admin logs in" -- --trust login admin --password-stdin
as admin 0 "a cycle" -- cycle add Now --start "$(date -u -d '-10 days' +%Y-%m-%d)" \
    --end "$(date -u -d '+60 days' +%Y-%m-%d)"
as admin 0 "activate it" -- cycle activate Now
as admin 0 "a team" -- team add Acme
as admin 0 "an objective" -- --json obj add "Ship it" --cycle Now --owner admin
as admin 0 "a key result" -- --json kr add "O$(jq -r '.id' "$dir/out")" "Signups" --target 100

# Commands that only read: Hello, the token, the request and the reminder's
# request in one round.
rounds "okr whoami" 1 -- whoami
check "whoami names the admin" -- grep -q "^admin" "$dir/out"
rounds "okr team list" 1 -- team list
rounds "okr team show Acme (looks the name up first)" 2 -- team show Acme
# Its own three requests, each needing the one before.
rounds "okr kr show K1" 3 -- kr show K1
# A check-in: the reminder rides along.
rounds "okr checkin K1 10" 1 -- checkin K1 10
check "the check-in took" -- grep -q "10" "$dir/out"
# A change needs the key result's figures first, and its reminder waits for
# the check-in: two rounds more.
rounds "okr checkin K1 +5" 3 -- checkin K1 +5
check "the change was applied" -- grep -q "15" "$dir/out"
# mine shows the stale key results itself: no reminder after it.
rounds "okr mine" 1 -- mine
rounds "okr obj list (finds the current cycle first)" 2 -- obj list
# Without the trace, okr says nothing of it.
as admin 0 "okr whoami without OKR_TRACE" -- whoami
check "no trace lines" -- [ ! -s "$dir/err" ]

# A session the server no longer honours is still reported as such, with
# the request already on its way behind the token.
stop_okrd
okrd_args=(--session-ttl-s 1)
start_okrd
input=$dir/admin-pw as admin 0 "log in for one second" -- login admin --password-stdin
sleep 2
for cmd in whoami mine "obj list"; do
    # shellcheck disable=SC2086 # the words of the command
    as admin 4 "okr $cmd with the session expired: exit 4" -- $cmd
    check "okr $cmd says the session expired" -- grep -q "the session expired or was revoked" "$dir/err"
done

stop_okrd
finish
