#!/usr/bin/env bash
# Integration: okr demo, the first thing a new user sees (scripts/run loads
# it), against a real okrd: it loads, its check-ins are dated over the weeks
# they stand for (so history, the review and the coach read as after 8 real
# weeks), some key results went stale, and a second run refuses to load into
# a server that has objectives. Usage: it_cli_demo.sh OKRD OKR
set -u
OKRD=$1
OKR=$2

. "$(dirname "$0")/lib.sh"

echo "admin-password-1" >"$dir/admin-pw"
start_okrd

input=$dir/admin-pw as admin 0 "admin logs in" -- --trust login admin --password-stdin
as admin 0 "okr demo loads" -- demo
check "it says what it loaded" -- grep -q "check-ins over 8 weeks" "$dir/out"
as admin 5 "a second run refuses: the server has objectives" -- demo
check "and says what to do" -- grep -q "new --data-dir" "$dir/err"

echo demo-alice >"$dir/alice-pw"
input=$dir/alice-pw as alice 0 "a demo user logs in" -- --trust login alice --password-stdin
as alice 0 "alice's key results" -- --json mine
K=K$(field '[.key_results[] | select(.linked_objective_id == 0)][0].id')
check "alice owns key results" -- test "$K" != Knull
as alice 0 "the history of one" -- --json history "$K"
now=$(($(date +%s) * 1000))
check "it has a check-in a week for weeks" -- \
    sh -c "jq -e '.checkins | length >= 4' '$dir/out' >/dev/null"
check "dated in order, over more than five weeks, none in the future" -- \
    sh -c "jq -e --argjson now $now '[.checkins[].time] as \$t |
        (\$t == (\$t | sort)) and (\$t[-1] - \$t[0] > 35 * 86400000) and (\$t[-1] <= \$now)' \
        '$dir/out' >/dev/null"
check "each recorded when the demo ran" -- \
    sh -c "jq -e --argjson now $now '.checkins | all(.recorded_at >= .time and
        .recorded_at > \$now - 600000)' '$dir/out' >/dev/null"
as alice 0 "the history as people read it" -- history "$K"
check "marked as dated earlier" -- grep -q "^\* made late" "$dir/out"

as admin 0 "the coach" -- --json lint
check "finds key results that went stale" -- \
    sh -c "jq -e '[.findings[] | select(.rule == \"stale\")] | length >= 2' '$dir/out' >/dev/null"
as admin 0 "the meeting's agenda for the last week" -- --json review --since 7d
moved_week=$(field '.moved | length')
as admin 0 "and for the last four weeks" -- --json review --since 4w
moved_month=$(field '.moved | length')
check "a week moved fewer key results than a month (no longer all at once)" -- \
    test "$moved_week" -lt "$moved_month"

stop_okrd
finish
