#!/usr/bin/env bash
# Integration: the stale check-in reminder the okr binary prints after a
# command, against a real okrd. A key result goes stale after 14 days without
# a check-in, so the second half runs okrd 15 days ahead (libfaketime; the
# monotonic clock stays real). `okr checkin` sends the reminder's request
# right behind the check-in, so it may be answered before the check-in
# commits: the key result just checked in must never be listed.
# Usage: it_cli_reminder.sh OKRD OKR
set -u
OKRD=$1
OKR=$2

faketime_lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -1)
if [ -z "$faketime_lib" ]; then
    echo "libfaketime is missing: run scripts/deps (package faketime)" >&2
    exit 1
fi

. "$(dirname "$0")/lib.sh"

# reminder DESCRIPTION TEXT: the last command's stderr is exactly TEXT ("" = nothing).
reminder() {
    if [ "$(cat "$dir/err")" = "$2" ]; then ok "$1"; else not_ok "$1 (wanted: '$2')"; fi
}

echo "admin-password-1" >"$dir/admin-pw"
start_okrd

# ---- today: three key results of the admin's, none stale yet
input=$dir/admin-pw as admin 0 "admin logs in" -- --trust login admin --password-stdin
as admin 0 "a cycle around today" -- cycle add Now --start "$(date -u -d '-30 days' +%Y-%m-%d)" \
    --end "$(date -u -d '+60 days' +%Y-%m-%d)"
as admin 0 "activate it" -- cycle activate Now
as admin 0 "an objective" -- --json obj add "Ship it 发布" --cycle Now --owner admin
O=O$(jq -r '.id' "$dir/out")
for t in "Signups 注册" "Revenue" "NPS"; do
    as admin 0 "key result '$t'" -- --json kr add "$O" "$t" --target 100 --owner admin
done
as admin 0 "a check-in" -- checkin K1 10
reminder "no reminder while every key result is fresh" ""

# ---- 15 days later: all three are stale until checked in
stop_okrd
start_okrd ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    LD_PRELOAD="$faketime_lib" FAKETIME="+15d" FAKETIME_DONT_FAKE_MONOTONIC=1

as admin 0 "whoami, 15 days later" -- whoami
reminder "all three are stale" \
    "Reminder: 3 of your key results have had no check-in for 14 days: K1, K2, K3 — okr checkin K1 VALUE"
as admin 0 "okr mine with all three stale" -- mine
check "mine's summary points to the round of stale ones" -- \
    grep -q "3 key results without a check-in for 14 days: okr checkin --all --stale\." "$dir/out"

as admin 0 "a check-in on K2 (its reminder sent right behind it)" -- checkin K2 30
reminder "the key result just checked in is not listed" \
    "Reminder: 2 of your key results have had no check-in for 14 days: K1, K3 — okr checkin K1 VALUE"

as admin 0 "a relative check-in on K3 (reads the key result first)" -- checkin K3 +5
reminder "only K1 is left" \
    "Reminder: 1 of your key results has had no check-in for 14 days: K1 — okr checkin K1 VALUE"

# mine shows the stale key results itself, K1 among them: no reminder.
as admin 0 "okr mine, K1 still stale" -- mine
reminder "mine prints no reminder" ""
check "mine marks K1 stale" -- grep -q "^ *K1 .*— stale" "$dir/out"
check "and its summary names it" -- \
    grep -q "1 key result without a check-in for 14 days: okr checkin K1 VALUE\." "$dir/out"

as admin 0 "--json: no reminder on stderr" -- --json checkin K1 20
reminder "--json prints no reminder" ""

as admin 0 "whoami once all are checked in" -- whoami
reminder "nothing is stale any more" ""

stop_okrd
finish
