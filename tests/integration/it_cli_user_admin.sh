#!/usr/bin/env bash
# Integration: an admin's help for users, through the okr binary against a
# real okrd: okr user passwd (a forgotten password), activate (undoing
# deactivate) and edit --name (a display name). Usage: it_cli_user_admin.sh OKRD OKR
set -u
OKRD=$1
OKR=$2

. "$(dirname "$0")/lib.sh"

echo "admin-password-1" >"$dir/admin-pw"
start_okrd

echo "bob-password-1" >"$dir/bob-pw"
echo "bob-password-2" >"$dir/bob-pw2"
echo "carol-password-1" >"$dir/carol-pw"
echo "short" >"$dir/short-pw"

input=$dir/admin-pw as admin 0 "admin logs in" -- --trust login admin --password-stdin
input=$dir/bob-pw as admin 0 "add bob" -- user add bob --name "Bob Chen" --password-stdin
input=$dir/carol-pw as admin 0 "add carol (a member)" -- user add carol --password-stdin
input=$dir/bob-pw as bob 0 "bob logs in" -- --trust login bob --password-stdin
input=$dir/carol-pw as carol 0 "carol logs in" -- --trust login carol --password-stdin

# ---- help
as admin 0 "okr user --help" -- user --help
check "it lists passwd, activate and edit" -- \
    sh -c "grep -q 'passwd USERNAME' '$dir/out' && grep -q 'activate USERNAME' '$dir/out' &&
           grep -q 'edit USERNAME --name' '$dir/out'"
for sub in passwd activate edit; do
    as admin 0 "okr user $sub --help" -- user "$sub" --help
    check "okr user $sub --help has an example" -- grep -q "okr user $sub" "$dir/out"
done
as admin 2 "user edit without --name is a usage error" -- user edit bob
as admin 2 "user passwd without a user is a usage error" -- user passwd

# ---- a member may do none of it (FORBIDDEN: exit 5, and says why)
input=$dir/bob-pw2 as carol 5 "a member cannot reset a password" -- \
    user passwd bob --password-stdin
check "the refusal names the admin role" -- grep -q "only an admin may user_set_password" "$dir/err"
as carol 5 "a member cannot activate a user" -- user activate bob
check "the refusal names the admin role" -- grep -q "only an admin may user_activate" "$dir/err"
as carol 5 "a member cannot change another's display name" -- user edit bob --name "Bobby"
check "the refusal says whose name a member may change" -- \
    grep -q "only an admin may change another user's display name (yours: okr user edit carol" \
    "$dir/err"
as carol 0 "a member may change their own display name" -- user edit carol --name "卡罗尔 Carol"
as carol 0 "carol's whoami" -- whoami
check "it shows her new name" -- grep -q "卡罗尔 Carol" "$dir/out"
as carol 5 "FORBIDDEN in --json" -- --json user edit bob --name "Bobby"
check "the JSON error has status FORBIDDEN" -- \
    test "$(jq -r .error.status "$dir/err")" = FORBIDDEN
as bob 0 "bob's session still works after carol's attempts" -- whoami

# ---- unknown users (NOT_FOUND: exit 5)
input=$dir/bob-pw2 as admin 5 "reset the password of nobody" -- user passwd nobody --password-stdin
check "it says there is no such user" -- grep -q 'no user named "nobody"' "$dir/err"
as admin 5 "activate nobody" -- user activate nobody
check "it says there is no such user" -- grep -q 'no user named "nobody"' "$dir/err"
as admin 5 "rename nobody" -- --json user edit nobody --name "No One"
check "the JSON error has status NOT_FOUND" -- test "$(jq -r .error.status "$dir/err")" = NOT_FOUND

# ---- bad input (BAD_REQUEST: exit 5, with the rule)
input=$dir/short-pw as admin 5 "a too short password is refused" -- \
    user passwd bob --password-stdin
check "it says how long a password must be" -- grep -q "password must be at least" "$dir/err"
printf 'Qwertyuiop\n' >"$dir/common-pw"
input=$dir/common-pw as admin 5 "one of the most common passwords is refused" -- \
    user passwd bob --password-stdin
check "it says why and what to do" -- grep -q "this password is one of the most common ones, \
which are guessed first: choose another (a few unrelated words" "$dir/err"
printf 'dave2026\n' >"$dir/name-pw"
input=$dir/name-pw as admin 5 "a new user's own name as password is refused" -- \
    user add dave --password-stdin
check "it says why" -- grep -q "this password is made of the user name" "$dir/err"
as admin 0 "the users" -- user list
check "dave was not created" -- sh -c "! grep -qw dave '$dir/out'"
printf 'bob-password-1\nbobbob!!\n' >"$dir/bob-own"
input=$dir/bob-own as bob 5 "bob cannot make his name twice his password" -- passwd --password-stdin
check "it says why" -- grep -q "this password is made of the user name" "$dir/err"
printf '12345678\n' >"$dir/run-pw"
input=$dir/run-pw as admin 5 "a run of digits is refused" -- user passwd bob --password-stdin
check "it says why" -- grep -q "this password is a run of consecutive characters" "$dir/err"
as bob 0 "bob's session survives a refused reset" -- whoami
as admin 5 "a display name with a control character is refused" -- \
    user edit bob --name $'Bob\x1b[31mRed'
check "it says why" -- grep -q "display_name must not contain control characters" "$dir/err"
as admin 5 "a display name with a right-to-left override is refused" -- \
    user edit bob --name $'Bob\xe2\x80\xaegnp.exe'
check "it says why" -- grep -q "text-direction overrides" "$dir/err"
as admin 0 "a name in Arabic script is fine" -- user edit bob --name "بوب"
as admin 5 "an empty display name is refused" -- user edit bob --name ""
check "it says how long it may be" -- grep -q "display_name must be" "$dir/err"
as admin 5 "a 129-byte display name is refused" -- user edit bob --name "$(printf 'x%.0s' $(seq 129))"
input=$dir/admin-pw as admin 5 "an admin's own password is refused here" -- \
    user passwd admin --password-stdin
check "and points to okr passwd" -- grep -q "okr passwd" "$dir/err"
as admin 0 "the admin's session is untouched" -- whoami

# ---- reset bob's password: his sessions end, the new password works
input=$dir/bob-pw2 as admin 0 "admin resets bob's password" -- user passwd bob --password-stdin
check "it says bob's sessions were ended" -- grep -q "every session of theirs was ended" "$dir/out"
as bob 4 "bob's old session is refused" -- whoami
check "as expired or revoked" -- grep -q "session expired or was revoked" "$dir/err"
input=$dir/bob-pw as bob 4 "bob cannot log in with the old password" -- login bob --password-stdin
input=$dir/bob-pw2 as bob 0 "bob logs in with the new one" -- login bob --password-stdin
as bob 0 "and works" -- whoami
as admin 0 "the admin's session is untouched by bob's reset" -- whoami
input=$dir/bob-pw as admin 0 "reset again, --json" -- --json user passwd bob --password-stdin
check "the answer is bob, without a hash" -- \
    sh -c "jq -e '.username == \"bob\" and .active == true' '$dir/out' >/dev/null &&
           ! grep -qi 'hash\|argon' '$dir/out'"

# ---- deactivate, then activate
as admin 0 "deactivate bob" -- user deactivate bob
input=$dir/bob-pw as bob 4 "a deactivated bob cannot log in" -- login bob --password-stdin
as admin 0 "activate bob" -- user activate bob
check "it says he can log in again" -- grep -q "Activated bob" "$dir/out"
input=$dir/bob-pw as bob 0 "bob logs in again" -- login bob --password-stdin
as bob 0 "and works" -- whoami
as admin 5 "activating an active user is refused" -- user activate bob
check "it says he is already active" -- grep -q "bob is already active" "$dir/err"
as admin 0 "deactivate carol, to activate her with --json" -- user deactivate carol
as admin 0 "activate carol, --json" -- --json user activate carol
check "the answer is carol, active" -- sh -c "jq -e '.username == \"carol\" and .active' '$dir/out' >/dev/null"

# ---- display names
as admin 0 "rename bob" -- user edit bob --name "Bob Chen-Li 陈"
check "it says so" -- grep -q "Bob Chen-Li 陈" "$dir/out"
as admin 0 "user list" -- user list
check "the list shows the new name" -- grep -q "Bob Chen-Li 陈" "$dir/out"
as admin 0 "rename with --json" -- --json user edit bob --name "Robert"
check "the answer has the new name, the same user name" -- \
    sh -c "jq -e '.display_name == \"Robert\" and .username == \"bob\"' '$dir/out' >/dev/null"
as bob 0 "a rename leaves bob logged in" -- whoami
check "whoami shows the new name" -- grep -q "Robert" "$dir/out"

# ---- a lost laptop: okr logout --everywhere ends every session of the user
# (bob's second device is the configuration directory bob2), and no one
# else's
input=$dir/carol-pw as carol 0 "carol logs in again (deactivating ended her session)" -- \
    login carol --password-stdin
input=$dir/bob-pw as bob2 0 "bob logs in on a second device" -- --trust login bob --password-stdin
as bob 0 "okr logout --help" -- logout --help
check "it tells of --everywhere" -- grep -q -- "--everywhere" "$dir/out"
as bob 0 "okr logout --everywhere" -- --json logout --everywhere
check "it says so" -- sh -c "jq -e '.revoked and .everywhere' '$dir/out' >/dev/null"
as bob 4 "this device is logged out" -- whoami
as bob2 4 "the other device is logged out too" -- whoami
check "it is told its session was revoked" -- \
    grep -q "the session expired or was revoked" "$dir/err"
as carol 0 "carol is still logged in" -- whoami
as admin 0 "and so is the admin" -- whoami
input=$dir/bob-pw as bob2 0 "bob logs in again" -- login bob --password-stdin
as bob2 0 "plain okr logout" -- logout
check "it ends this session only, and says nothing of every device" -- \
    sh -c "grep -q 'Logged out of' '$dir/out' && ! grep -q 'every device' '$dir/out'"

stop_okrd
finish
