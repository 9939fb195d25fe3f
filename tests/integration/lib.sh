# shellcheck shell=bash
# Shared helpers for the shell integration tests (it_*.sh). A script sources
# it near its top, after setting OKRD (and OKR where it runs the client):
#
#     . "$(dirname "$0")/lib.sh"
#
# Sourcing makes a private directory $dir under /tmp, zeroes the counters
# $passed and $failed, unsets OKR_SERVER (the tests name their server) and
# OKR_TRACE and OKR_RECORD_FRAMES (the tests read okr's stderr exactly), and
# sets an EXIT trap that kills okrd and removes $dir. A script ends with
# `finish`: its summary line, and its exit status is non-zero when any check
# failed.
#
# Each helper that runs a command keeps its output in $dir/out and $dir/err
# (the "last output"), which a failed check prints.

dir=$(mktemp -d "/tmp/okr-$(basename "$0" .sh)-XXXXXX")
unset OKR_SERVER OKR_TRACE OKR_RECORD_FRAMES
passed=0
failed=0
okrd_pid=""
port=""
S=""
# Extra okrd options for start_okrd, e.g. okrd_args=(--handshake-timeout-ms 10000).
okrd_args=()

# cleanup: the EXIT trap. It calls extra_cleanup first if the script defines
# one (for processes of its own), kills okrd, and removes $dir unless
# OKR_KEEP_TEST_DIR=1.
cleanup() {
    declare -F extra_cleanup >/dev/null && extra_cleanup
    [ -n "$okrd_pid" ] && kill -9 "$okrd_pid" 2>/dev/null
    if [ "${OKR_KEEP_TEST_DIR:-0}" = 1 ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT

# ok DESCRIPTION / not_ok DESCRIPTION: count and print one result. not_ok
# also prints the last output, if there is one: of each of stdout and stderr
# the first 60 lines, 4000 bytes at most.
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() {
    failed=$((failed + 1))
    echo "FAIL - $1"
    [ -f "$dir/out" ] && head -c 4000 "$dir/out" | head -n 60 | sed 's/^/    stdout: /'
    [ -f "$dir/err" ] && head -c 4000 "$dir/err" | head -n 60 | sed 's/^/    stderr: /'
}

# check DESCRIPTION -- COMMAND...: a plain assertion; COMMAND's status decides.
check() {
    local desc=$1
    shift 2
    if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# expect CODE DESCRIPTION -- COMMAND...: runs COMMAND (stdin from $input if
# set, else /dev/null) into the last output and checks its exit code.
expect() {
    local want=$1 desc=$2
    shift 3
    "$@" <"${input:-/dev/null}" >"$dir/out" 2>"$dir/err"
    local got=$?
    if [ "$got" -eq "$want" ]; then ok "$desc"; else not_ok "$desc (exit $got, wanted $want)"; fi
}

# okr ARGS...: the client $OKR against this test's okrd.
okr() { "$OKR" --server "$S" "$@"; }

# as USER CODE DESCRIPTION -- ARGS...: expect CODE of okr ARGS run as USER
# (its own configuration directory, $dir/USER).
as() {
    local user=$1 want=$2 desc=$3
    shift 4
    OKR_CONFIG_DIR=$dir/$user expect "$want" "$desc" -- okr "$@"
}

# setup ARGS...: okr ARGS as a quiet step of a test's set-up, into the last
# output; a failure is a failed check.
setup() {
    if ! okr "$@" </dev/null >"$dir/out" 2>"$dir/err"; then
        not_ok "setup: okr $*"
    fi
}

# admin_and_users USER...: logs in as admin (the password in $dir/admin-pw,
# trusting the server) and adds each USER with the password USER-password-1.
admin_and_users() {
    okr --trust login admin --password-stdin <"$dir/admin-pw" >/dev/null 2>&1
    check "admin logs in" -- test -s "$OKR_CONFIG_DIR/session.json"
    local u
    for u in "$@"; do
        echo "$u-password-1" | okr user add "$u" --password-stdin >/dev/null 2>&1 ||
            not_ok "setup: user add $u"
    done
}

# field JQ: a value from the last output, which is JSON.
field() { jq -r "$1" "$dir/out"; }

# free_port (scripts/free-port.sh): a port nothing uses, below the range of
# outgoing connections.
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/free-port.sh"

# start_okrd [ENV=VALUE...]: starts okrd in the background (ENV in its
# environment, $okrd_args on its command line) on $dir/data with the admin
# password in $dir/admin-pw, appending to $dir/okrd.log, and waits up to
# 60 s for its port. Sets okrd_pid, port and S (host:port). The first start
# picks a free port (free_port; another if a parallel test took it first); a
# restart keeps it, as the client's pins and sessions are per host:port, and
# waits for it to be free. Exits the script (status 1, okrd's log on stderr)
# if okrd did not come up: every check after would fail for that one reason.
start_okrd() {
    local picked=0
    [ -n "${port:-}" ] || picked=1
    for _ in $(seq 1 20); do
        [ "$picked" = 0 ] || port=$(free_port)
        rm -f "$dir/port"
        env "$@" "$OKRD" --data-dir "$dir/data" --listen "127.0.0.1:$port" \
            --port-file "$dir/port" --admin-password-file "$dir/admin-pw" \
            --kdf-memory-kib 1024 --kdf-iterations 1 "${okrd_args[@]}" >>"$dir/okrd.log" 2>&1 &
        okrd_pid=$!
        for _ in $(seq 1 600); do
            [ -s "$dir/port" ] && break
            kill -0 "$okrd_pid" 2>/dev/null || break # exited: the port was taken?
            sleep 0.1
        done
        if [ -s "$dir/port" ]; then
            S=127.0.0.1:$port
            return
        fi
        kill -TERM "$okrd_pid" 2>/dev/null
        wait "$okrd_pid" 2>/dev/null
        [ "$picked" = 1 ] || sleep 0.5
    done
    echo "okrd did not start (20 tries):" >&2
    cat "$dir/okrd.log" >&2
    exit 1
}

# stop_okrd: SIGTERM to okrd and wait for it; a check that it exited 0 (a
# sanitizer's report at exit does not), and returns its exit status.
stop_okrd() {
    local code
    kill -TERM "$okrd_pid"
    wait "$okrd_pid"
    code=$?
    okrd_pid=""
    if [ "$code" -ne 0 ]; then
        not_ok "okrd exited $code on SIGTERM"
        tail -n 40 "$dir/okrd.log" | sed 's/^/    okrd: /'
    fi
    return "$code"
}

# finish: the summary line; the status is 0 only when no check failed. A
# script ends with it.
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# require_tools TOOL...: stops the script (failing) unless every TOOL is on
# the PATH; scripts/deps installs them.
require_tools() {
    local tool
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null; then
            not_ok "$tool is missing: run scripts/deps"
            finish
            exit 1
        fi
    done
}
