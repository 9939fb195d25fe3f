#!/usr/bin/env bash
# Integration: what okr shows when okrd is too busy to compute a trend. okrd
# runs with trend_parallel 1, trend_queue 1 and test_trend_delay_ms: two
# okr obj show in the background fill the queue for a while; meanwhile
# obj show and kr show still show the objective and the key result, with
# "not now" and the server's advice in place of the sparkline, and tree
# --trend and export say on stderr that trends are left out, and succeed.
# Afterwards the two in the background got their trends. okrd warns when
# UV_THREADPOOL_SIZE is set smaller than its settings need.
# Usage: it_cli_trend_busy.sh OKRD OKR
set -u
OKRD=$1
OKR=$2

. "$(dirname "$0")/lib.sh"
export OKR_CONFIG_DIR=$dir/config
export NO_COLOR=1
export LC_ALL=C.UTF-8
bg_pids=()
extra_cleanup() { [ "${#bg_pids[@]}" -gt 0 ] && kill "${bg_pids[@]}" 2>/dev/null; }

require_tools jq

delay_ms=6000
echo "admin-password-1" >"$dir/admin-pw"
okrd_args=(--trend-parallel 1 --trend-queue 1 --test-trend-delay-ms "$delay_ms")
# okrd sizes libuv's pool itself (hash_parallel 2 + trend_parallel 1 + 1 for
# backups); a smaller pool set by an administrator is kept, with a warning.
start_okrd UV_THREADPOOL_SIZE=3
admin_and_users
check "okrd warns that the administrator's pool is too small for its settings" -- \
    grep -q "UV_THREADPOOL_SIZE=3 is fewer threads than hash_parallel + trend_parallel + 1 = 4" \
    "$dir/okrd.log"

setup cycle add Busy --start -30d --end +60d
setup cycle activate Busy
setup obj add "Stay useful when busy" # O1
setup kr add O1 "Answers given" --target 100 # K1
setup checkin K1 40

# Two trends in the background: one computing, one waiting, for delay_ms
# each (their own timeout is longer than both).
for i in 1 2; do
    okr --timeout 60 obj show O1 >"$dir/bg$i.out" 2>"$dir/bg$i.err" &
    bg_pids+=($!)
done
for _ in $(seq 1 100); do
    okr --json admin stats >"$dir/out" 2>"$dir/err"
    [ "$(field .trends_waiting)" = 1 ] && break
    sleep 0.05
done
check "the queue is full (1 computing, 1 waiting)" -- \
    test "$(field .trends_running)/$(field .trends_waiting)" = 1/1

expect 0 "okr obj show while the server is busy" -- okr obj show O1
check "obj show still shows the objective" -- grep -q "Stay useful when busy" "$dir/out"
check "obj show says the trend is not there now, and why" -- grep -qE \
    "trend +not now: the server is computing too many trends \(1 waiting\); try again shortly" \
    "$dir/out"
expect 0 "okr kr show while the server is busy" -- okr kr show K1
check "kr show says the trend is not there now" -- grep -qE "trend +not now: " "$dir/out"
expect 0 "okr --json obj show while the server is busy" -- okr --json obj show O1
check "obj show --json has a null trend" -- test "$(field .trend)" = null
expect 0 "okr tree --trend while the server is busy" -- okr tree --trend
check "tree --trend shows the objective" -- grep -q "Stay useful when busy" "$dir/out"
check "tree --trend says on stderr that trends are left out" -- grep -q \
    "okr: warning: trends left out: the server is computing too many trends" "$dir/err"
expect 0 "okr export json while the server is busy" -- okr export --format json
check "export says on stderr that trends are left out" -- \
    grep -q "okr: warning: trends left out: " "$dir/err"
okr --json admin stats >"$dir/out" 2>"$dir/err"
check "okr admin stats counts the refusals" -- test "$(field .trends_refused)" -ge 5
check "the queue was still full: the checks above saw it busy" -- \
    test "$(field .trends_running)/$(field .trends_waiting)" = 1/1

for i in 1 2; do
    if wait "${bg_pids[$((i - 1))]}"; then ok "background obj show $i succeeded"; else
        not_ok "background obj show $i succeeded"
    fi
    check "background obj show $i has its trend" -- grep -qE "trend +.*40%" "$dir/bg$i.out"
done
bg_pids=()
expect 0 "okr tree --trend once the queue is empty" -- okr tree --trend
check "no warning then" -- test ! -s "$dir/err"

stop_okrd
finish
