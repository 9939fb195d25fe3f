#!/usr/bin/env bash
# Integration: okr session list and okr session revoke through the okr
# binary against a real okrd: where a user is logged in (this session
# marked), ending another session (its token then opens nothing), what a
# member may not do (another's list: FORBIDDEN; another's session: NOT_FOUND),
# the errors for an id that is unknown, malformed or the session in use, an
# admin's --user, the help and the TAB completion.
# Usage: it_cli_sessions.sh OKRD OKR
set -u
OKRD=$1
OKR=$2

. "$(dirname "$0")/lib.sh"
require_tools jq

echo "admin-password-1" >"$dir/admin-pw"
start_okrd

OKR_CONFIG_DIR=$dir/admin admin_and_users bob carol
echo "bob-password-1" >"$dir/bob-pw"
echo "carol-password-1" >"$dir/carol-pw"
# bob logs in on a laptop and a phone (two config directories), carol once.
input=$dir/bob-pw as bob 0 "bob logs in on his laptop" -- --trust login bob --password-stdin
input=$dir/bob-pw as bobphone 0 "and on his phone" -- --trust login bob --password-stdin
input=$dir/carol-pw as carol 0 "carol logs in" -- --trust login carol --password-stdin

# ---- the list
as bob 0 "okr session list" -- session list
check "it shows both of bob's sessions and where from" -- \
    test "$(grep -c ' 127[.]0[.]0[.]1$' "$dir/out")" = 2
check "and marks the one this okr uses" -- test "$(grep -c '^\*' "$dir/out")" = 1
as bob 0 "okr session list --json" -- --json session list
check "two sessions, one current, of bob" -- \
    test "$(jq -c '[(.sessions | length), ([.sessions[] | select(.current)] | length), .user.username, .total]' "$dir/out")" = '[2,1,"bob",2]'
mine=$(field '.sessions[] | select(.current) | .id')
phone=$(field '.sessions[] | select(.current | not) | .id')
check "ids are hex" -- sh -c "echo '$mine$phone' | grep -Eq '^[0-9a-f]{32}$'"
as bobphone 0 "the phone's list marks the phone's session" -- --json session list
check "its current one is the other" -- \
    test "$(field '.sessions[] | select(.current) | .id')" = "$phone"

# ---- what a member may not do
as carol 5 "carol may not list bob's sessions" -- session list --user bob
check "FORBIDDEN, saying whose she may see" -- grep -q "only admins may see another user's sessions" "$dir/err"
as carol 5 "carol may not end bob's session" -- session revoke "${phone:0:8}"
check "for her it does not exist" -- grep -q "no session ${phone:0:8} of yours" "$dir/err"
as bobphone 0 "so the phone is still logged in" -- whoami

# ---- errors
as bob 5 "bob cannot revoke the session he is using" -- session revoke "${mine:0:8}"
check "and is pointed to okr logout" -- grep -q "end it with okr logout" "$dir/err"
as bob 5 "an unknown id" -- session revoke 00000000
check "says so and where to look" -- grep -q "okr session list shows them" "$dir/err"
as bob 2 "an id that is not hex is a usage error" -- session revoke xyz123
as bob 2 "as is a missing one" -- session revoke

# ---- ending another session
as bob 0 "bob ends his phone's session" -- session revoke "${phone:0:8}"
check "okr says which" -- grep -q "Ended session ${phone:0:8}" "$dir/out"
as bobphone 4 "the phone must log in again" -- whoami
as bob 0 "bob's list" -- --json session list
check "has his laptop's session only" -- test "$(field '[.sessions[].id] | join(",")')" = "$mine"

# ---- an admin
as admin 0 "an admin lists bob's sessions" -- --json session list --user bob
check "the laptop's" -- test "$(field '.sessions[0].id')" = "$mine"
as admin 5 "a user who does not exist" -- session list --user nobody
as admin 0 "an admin ends bob's session" -- session revoke "${mine:0:8}"
as bob 4 "bob must log in again" -- whoami
as admin 0 "okr admin stats" -- admin stats
check "shows the sessions' counters" -- \
    sh -c "grep -q 'sessions expired' '$dir/out' && grep -q 'sessions evicted' '$dir/out'"

# ---- help and completion
as bob 0 "okr --help" -- --help
check "lists okr session" -- grep -q "session .*list, revoke" "$dir/out"
for sub in list revoke; do
    as bob 0 "okr session $sub --help" -- session "$sub" --help
    check "has an example" -- grep -q "  okr session $sub" "$dir/out"
done
as bob 0 "okr session --help" -- session --help
check "has examples" -- grep -q "okr session revoke 3fa2b9c1" "$dir/out"
expect 0 "okr __complete session" -- "$OKR" __complete session ""
check "offers list and revoke" -- test "$(tr '\n' ' ' <"$dir/out")" = "list revoke "
expect 0 "okr __complete session list --u" -- "$OKR" __complete session list --u
check "offers --user" -- grep -qx -- "--user" "$dir/out"

finish
