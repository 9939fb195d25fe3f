#!/usr/bin/env bash
# Integration: okr against an okrd that says it speaks an older protocol
# (1.4, the test setting test_protocol_minor). What okr reads in a few
# requests from 1.5 on (a cycle's objectives with their key results, its
# check-ins and comments since a date, the linked objectives' status) it
# reads the old way, request by request, and shows the same; what only 1.5
# has (okr session) says that the server is older. Usage: it_cli_old_server.sh OKRD OKR
set -u
OKRD=$1
OKR=$2

. "$(dirname "$0")/lib.sh"
export OKR_CONFIG_DIR=$dir/config
export NO_COLOR=1
export LC_ALL=C.UTF-8

require_tools jq

echo "admin-password-1" >"$dir/admin-pw"
start_okrd
admin_and_users bob

setup team add Acme
setup cycle add 2026-Q1 --start -30d --end +60d
setup cycle activate 2026-Q1
setup obj add "提高客户满意度" --team Acme                          # O1
setup obj add "缩短首次响应时间" --team Acme --parent O1            # O2
setup kr add O1 "NPS from 32 to 50" --start 32 --target 50           # K1
setup kr add O1 "达成“缩短首次响应时间”" --link O2                  # K2
setup kr add O2 "Median first response in hours" --start 10 --target 2  # K3
setup checkin K3 6 -c 5 -m "faster"
setup checkin K1 40 -m "up"
setup checkin K1 41
setup comment O1 "Looks good"
setup kudos K1 "Thanks for the push" --to bob

# What each command shows, from okrd at 1.5 and then at "1.4": the same,
# but for what follows the clock (the pace, when it was made, the times of
# the trend's samples, the start of the review's week).
untimed() {
    jq -S 'walk(if type == "object" then del(.expected, .generated_at, .since, .at) else . end)'
}
views() {
    okr --json tree | untimed >"$dir/$1.tree"
    okr --json review | untimed >"$dir/$1.review"
    okr review >"$dir/$1.review.txt" 2>&1
    okr --json kr list O1 | untimed >"$dir/$1.krlist"
    okr --json obj show O1 | untimed >"$dir/$1.objshow"
    okr export --format json -o "$dir/$1.export" >/dev/null 2>&1
    untimed <"$dir/$1.export" >"$dir/$1.export.s"
}
views new
OKR_TRACE=1 okr review >/dev/null 2>"$dir/new.trace"

stop_okrd
okrd_args+=(--test-protocol-minor 4)
start_okrd
views old
OKR_TRACE=1 okr review >/dev/null 2>"$dir/old.trace"

for v in tree review review.txt krlist objshow export.s; do
    test -s "$dir/new.$v" || not_ok "no $v from okrd at 1.5"
    check "the $v is the same from an older okrd" -- cmp -s "$dir/new.$v" "$dir/old.$v"
done
check "the review has the check-ins and the comments" -- \
    sh -c "grep -q 'K1 .*32 → 41' '$dir/old.review.txt' && grep -q 'Looks good' '$dir/old.review.txt'"
# requests of one kind in a trace
sent() { grep -c "^okr: -> $1 " "$dir/$2.trace"; }
check "at 1.5 the review asks for the cycle's check-ins and comments once each" -- \
    test "$(sent checkin_list new) $(sent comment_list new) $(sent key_result_list new)" = "1 1 0"
check "from 1.4 it asks per key result, per objective and key result, per objective" -- \
    test "$(sent checkin_list old) $(sent comment_list old) $(sent key_result_list old)" = "2 5 2"
expect 5 "okr session list needs 1.5" -- okr session list
check "and says the server is older" -- grep -qi "older" "$dir/err"

stop_okrd
finish
