#!/usr/bin/env bash
# Integration: a key result linked to an objective ("deliver O2") through the
# okr binary against a real okrd. It has no figures or check-ins of its own:
# its progress is the linked objective's, and so is its status, which counts
# the confidence of that objective's key results. Usage: it_cli_linked.sh OKRD OKR
set -u
OKRD=$1
OKR=$2

. "$(dirname "$0")/lib.sh"
export OKR_CONFIG_DIR=$dir/config
export NO_COLOR=1
export LC_ALL=C.UTF-8

require_tools jq script

echo "admin-password-1" >"$dir/admin-pw"
start_okrd
admin_and_users

setup team add Acme
setup cycle add 2026-Q1 --start -30d --end +60d
setup cycle activate 2026-Q1
setup obj add "提高客户满意度" --team Acme                          # O1
setup obj add "缩短首次响应时间" --team Acme --parent O1            # O2
setup kr add O1 "NPS from 32 to 50" --start 32 --target 50           # K1
setup kr add O1 "达成“缩短首次响应时间”" --link O2                  # K2
setup kr add O2 "Median first response in hours" --start 10 --target 2  # K3
# O2 well ahead of the pace (a third of the cycle gone, 75% done) but its
# owner has little confidence: the server calls it off track.
setup checkin K3 4 -c 2       # 6/8 = 75%
setup checkin K1 40.95 -c 8   # 8.95/18 = 49.7%: O1 at (49.7 + 75) / 2 = 62.4%

expect 0 "okr --json obj show O2" -- okr --json obj show O2
o2_status=$(field '.objective.status')
check "the linked objective is off track by its confidence" -- test "$o2_status" = off_track

expect 0 "okr tree" -- okr tree
check "the linked key result shows its objective's status, not one of its own" -- \
    grep -Eq "K2 .*← O2 .*off track" "$dir/out"

expect 0 "okr export --format json" -- okr export --format json -o "$dir/okr.json"
check "the export gives it the linked objective's status" -- \
    test "$(jq -r '.objectives[] | select(.id == 1) | .key_results[] | select(.id == 2) | .status' "$dir/okr.json")" = off_track

expect 0 "okr kr show K2" -- okr kr show K2
check "kr show names the linked objective" -- grep -q "^  linked  *O2 缩短首次响应时间" "$dir/out"
check "and takes its status" -- grep -Eq "^  progress .*75%.*off track" "$dir/out"
check "it shows no figures of its own" -- sh -c "! grep -q '^  figures' '$dir/out'"
check "nor a check-in it never had" -- sh -c "! grep -q '^  checked in' '$dir/out'"
check "and says where its check-ins are" -- grep -q "Its check-ins are those of O2's key results: okr obj show O2" "$dir/out"
check "not to check it in" -- sh -c "! grep -q 'okr checkin K2' '$dir/out'"

expect 0 "okr obj show O1" -- okr obj show O1
check "the progress is rounded down, as on every bar" -- grep -Eq "^  progress .* 62%  expected" "$dir/out"
check "and the trend ends at the same figure" -- grep -Eq "^  trend .* → 62% over" "$dir/out"
check "its row says where its figures come from" -- grep -Eq "^K2 .*\[O2\] +from O2 " "$dir/out"
check "and no last check-in" -- grep -Eq "^K2 .*from O2 .* - +- +admin$" "$dir/out"
# At a terminal (script(1) gives okr one) each bar is coloured by its
# status: K2's by O2's, off track (red), though O2 is ahead of the pace.
env -u NO_COLOR script -qec "'$OKR' --server '$S' obj show O1" /dev/null >"$dir/tty" 2>&1
check "at a terminal, K2's bar is red like O2's status" -- \
    grep -aq $'^K2 .*\033\[31m' "$dir/tty"
check "and K1's green, by its own" -- grep -aq $'^K1 .*\033\[32m' "$dir/tty"
env -u NO_COLOR script -qec "'$OKR' --server '$S' kr list O1" /dev/null >"$dir/tty" 2>&1
check "kr list colours K2 by O2's status too" -- grep -aq $'^K2 .*\033\[31m' "$dir/tty"
expect 0 "okr --json kr list O1" -- okr --json kr list O1
check "kr list --json has both key results" -- \
    test "$(jq -r '[.key_results[].id] | join(",")' "$dir/out")" = "1,2"

expect 0 "okr history K2" -- okr history K2
check "history says where its check-ins are" -- grep -q "Its check-ins are those of O2's key results: okr obj show O2" "$dir/out"
check "and does not ask for one of its own" -- sh -c "! grep -q 'okr checkin K2' '$dir/out'"

expect 5 "a check-in on it is refused" -- okr checkin K2 50
check "and says where to check in" -- grep -q "takes its progress from O2" "$dir/err"

stop_okrd
finish
