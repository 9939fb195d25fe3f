#!/usr/bin/env bash
# Integration: how many round trips okr commands take. Over a network each
# one costs a round-trip time, so the CLI pipelines: Hello, the session's
# token and the command's first request leave together, and `okr checkin`
# sends the stale-check-in reminder's request behind its own. OKR_TRACE=1
# makes okr print each request it sends ("okr: -> whoami #3") and each answer
# it takes ("okr: <- #3 OK"); requests sent before the next answer share a
# round trip, so the rounds are the runs of "->" lines. A command that only
# reads, or only adds, sends the reminder's request with its own as well.
# (TLS's own round trip comes before them.) The order of those lines follows okr's code, not the
# timing, so the counts are exact.
# Usage: it_cli_round_trips.sh OKRD OKR
set -u
OKRD=$1
OKR=$2

. "$(dirname "$0")/lib.sh"

# rounds_taken: the rounds in the last okr run's trace ($dir/err).
rounds_taken() {
    grep -E '^okr: (->|<-) ' "$dir/err" |
        awk '/^okr: ->/ { if (!sending) n++; sending = 1; next } { sending = 0 } END { print n + 0 }'
}

# rounds DESCRIPTION MAX -- ARGS...: okr ARGS as admin exits 0, sends its
# first request with Hello, and takes at most MAX rounds.
rounds() {
    local desc=$1 max=$2
    shift 3
    OKR_TRACE=1 as admin 0 "$desc" -- "$@"
    local got first
    got=$(rounds_taken)
    first=$(grep -E '^okr: (->|<-) ' "$dir/err" | sed -n 3p)
    check "$desc: at most $max rounds (took $got)" -- [ "$got" -le "$max" ]
    check "$desc: its request goes with Hello and the token" -- \
        grep -q '^okr: -> [a-z_]* #3$' <<<"$first"
}

echo "admin-password-1" >"$dir/admin-pw"
start_okrd

input=$dir/admin-pw as admin 0 "admin logs in" -- --trust login admin --password-stdin
session=$dir/admin/session.json
as admin 0 "who admin is" -- --json whoami
admin_id=$(field .user.id)
check "login saved the user's name with the session" -- [ "$(jq -r .username "$session")" = admin ]
check "and the user's id" -- [ "$(jq -r .user_id "$session")" = "$admin_id" ]
as admin 0 "a cycle" -- --json cycle add Now --start "$(date -u -d '-10 days' +%Y-%m-%d)" \
    --end "$(date -u -d '+60 days' +%Y-%m-%d)"
cycle=$(field .id)
as admin 0 "activate it" -- cycle activate Now
as admin 0 "a team" -- team add Acme
as admin 0 "an objective" -- --json obj add "Ship it" --cycle Now --owner admin
as admin 0 "a key result" -- --json kr add "O$(jq -r '.id' "$dir/out")" "Signups" --target 100

# Commands that only read: Hello, the token, the request and the reminder's
# request in one round.
rounds "okr whoami" 1 -- whoami
check "whoami names the admin" -- grep -q "^admin" "$dir/out"
rounds "okr team list" 1 -- team list
# team show: the team; its children, the open cycles and the people's names
# at once; then its objectives in the current cycle.
rounds "okr team show Acme (looks the name up first)" 3 -- team show Acme
# The key result and its check-ins together, then its objective (for the
# text only).
rounds "okr kr show K1" 2 -- kr show K1
rounds "okr kr list O1 (the objective's detail has them)" 1 -- kr list O1
check "kr list shows the key result" -- grep -q "^K1 " "$dir/out"
check "kr show shows the key result" -- grep -q "^K1  Signups" "$dir/out"
rounds "okr --json kr show K1" 1 -- --json kr show K1
check "kr show --json has the key result" -- [ "$(field .key_result.id)" = 1 ]
as admin 5 "okr kr show of a key result that is not there" -- kr show K99
check "it says there is no K99" -- grep -q "no key result K99 (or it is not visible to you)" "$dir/err"
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
# Adding names no owner or assignee: the server makes it the caller's (a key
# result: its objective's owner's, when a person owns that), so the create
# goes with Hello and the token, and the reminder's request with it (nothing
# just added is stale). obj add still looks its cycle up first (the current
# one, or by name), and that lookup also gives the cycle's name for the
# answer; a cycle given by id is named after the create.
rounds "okr obj add (finds the current cycle first)" 2 -- obj add "Grow"
obj=$(grep -o 'O[0-9]*' "$dir/out" | head -n 1)
as admin 0 "the new objective" -- --json obj show "$obj"
check "its owner is the one who added it" -- [ "$(field .objective.owner_user_id)" = "$admin_id" ]
rounds "okr obj add --cycle NAME" 2 -- obj add "Grow again" --cycle Now
rounds "okr obj add --cycle #ID" 2 -- obj add "Grow more" --cycle "#$cycle"
rounds "okr kr add" 1 -- kr add "$obj" "Churn" --target 5
kr=$(grep -o 'K[0-9]*' "$dir/out" | head -n 1)
as admin 0 "the new key result" -- --json kr show "$kr"
check "its owner is the objective's" -- [ "$(field .key_result.owner_user_id)" = "$admin_id" ]
as admin 5 "okr kr add to an objective that is not there" -- kr add O99 "Nothing" --target 1
check "it says there is no O99" -- grep -q "no objective O99 (or it is not visible to you)" "$dir/err"
rounds "okr task add" 1 -- task add "$kr" "Call ten customers"
check "the task is the adder's" -- grep -q "todo, admin" "$dir/out"
# task list names the caller: by the user id saved with the session.
rounds "okr task list" 1 -- task list
check "task list lists the task" -- grep -q "Call ten customers" "$dir/out"

# Names are fetched together: a command that shows many people and teams
# asks for all their names at once, not one round trip each. An organisation
# of six people in three teams, each owning an objective with a key result.
for who in carol dave erin frank grace heidi; do
    input=$dir/admin-pw as admin 0 "$who is added" -- user add "$who" --password-stdin
done
for team in Sales Support Platform; do
    as admin 0 "team $team" -- team add "$team" --parent Acme
done
as admin 0 "carol leads Sales" -- team member add Sales carol --lead
as admin 0 "dave is in Sales" -- team member add Sales dave
as admin 0 "erin leads Support" -- team member add Support erin --lead
as admin 0 "frank is in Support" -- team member add Support frank
as admin 0 "grace leads Platform" -- team member add Platform grace --lead
as admin 0 "heidi is in Platform" -- team member add Platform heidi
for who in carol dave erin frank grace heidi; do
    as admin 0 "$who's objective" -- --json obj add "Goal of $who" --cycle Now --owner "$who"
    as admin 0 "its key result" -- kr add "O$(field .id)" "Measure of $who" --target 10
done
as admin 0 "a team's objective" -- obj add "Sales goal" --cycle Now --team Sales
names_shown() { # every one of the six in the output
    local who
    for who in carol dave erin frank grace heidi; do grep -q "$who" "$dir/out" || return 1; done
}
# One round for the cycle, one for the list, one for every name.
rounds "okr obj list names six owners and a team" 3 -- obj list
check "obj list shows every owner" -- names_shown
check "and the team that owns one" -- grep -q "Sales (team)" "$dir/out"
rounds "okr team list names three leads" 2 -- team list
check "team list shows the leads" -- grep -q "grace" "$dir/out"
rounds "okr team show Sales names its members" 3 -- team show Sales
check "team show shows them" -- grep -q "carol (lead), dave" "$dir/out"
check "and its objectives, owners named without another round" -- grep -q "Sales (team)" "$dir/out"
as admin 0 "heidi's objective" -- --json obj list --cycle Now
heidi_obj=$(jq -r '.objectives[] | select(.title == "Goal of heidi") | .id' "$dir/out")
rounds "okr obj show names its owner, key results' owners and cycle at once" 2 -- \
    obj show "O$heidi_obj"
check "obj show shows them" -- grep -q "heidi" "$dir/out"
# The tree: the cycles, the cycle with its objectives and their key results
# (one list, protocol 1.5), the people named, the teams named. Report and
# export name the cycle on the command line: one round less.
rounds "okr tree names everyone at once" 4 -- tree
check "the tree shows every owner" -- names_shown
rounds "okr report names everyone at once" 3 -- report --cycle Now
check "the report shows the team with an objective" -- grep -q "Sales" "$dir/out"
rounds "okr export names everyone at once" 3 -- export --cycle Now --format md
check "the export shows every owner" -- names_shown
# The review: the tree's rounds, the cycle's check-ins and comments since the
# last meeting in one of them (CheckInList and CommentList by cycle, protocol
# 1.5: not one request per key result and per objective).
as admin 0 "a comment to review" -- comment "O$heidi_obj" "Looks good"
rounds "okr review reads the cycle's check-ins and comments at once" 4 -- review
check "the review shows the comment" -- grep -q "Looks good" "$dir/out"

# A session saved by an older okr has no user id: it still works, task list
# waiting for the session's answer to learn whose tasks to list.
cp "$session" "$dir/session.saved"
jq 'del(.user_id)' "$dir/session.saved" >"$session"
OKR_TRACE=1 as admin 0 "okr task list with a session without the user id" -- task list
check "it lists the task" -- grep -q "Call ten customers" "$dir/out"
check "it waits for the session's answer, as before: 3 rounds (took $(rounds_taken))" -- \
    [ "$(rounds_taken)" -eq 3 ]
rounds "okr task add with it" 1 -- task add "$kr" "Write the FAQ"

# A saved user id that is not the token's (a file edited by hand): task list
# stops before showing anything, and the adds never send it.
input=$dir/admin-pw as admin 0 "bob is added" -- --json user add bob --password-stdin
bob_id=$(field .id)
jq --argjson id "$bob_id" '.user_id = $id' "$dir/session.saved" >"$session"
as admin 4 "okr task list with bob's id in admin's session: exit 4" -- task list
check "it says the session is not its token's" -- \
    grep -q "the saved session says admin, id $bob_id, but its token is admin's" "$dir/err"
check "it lists nothing" -- [ ! -s "$dir/out" ]
as admin 0 "okr task add with that session" -- task add "$kr" "Not bob's"
check "the task is still the adder's" -- grep -q "todo, admin" "$dir/out"
jq '.username = "bob"' "$dir/session.saved" >"$session"
as admin 4 "okr task list with bob's name in admin's session: exit 4" -- task list
cp "$dir/session.saved" "$session"
as admin 0 "okr task list with the session put back" -- task list

# Without the trace, okr says nothing of it.
as admin 0 "okr whoami without OKR_TRACE" -- whoami
check "no trace lines" -- [ ! -s "$dir/err" ]

# A session the server no longer honours is still reported as such, with
# the request already on its way behind the token.
stop_okrd
# (Each expired token is a failed login: enough of them go free.)
okrd_args=(--session-ttl-s 1 --login-free-failures 100)
start_okrd
input=$dir/admin-pw as admin 0 "log in for one second" -- login admin --password-stdin
sleep 2
for cmd in whoami mine "obj list" "task list" "kr show K1" "obj add Late --cycle #$cycle" \
    "kr add O1 Late --target 3" "task add K1 Late"; do
    # shellcheck disable=SC2086 # the words of the command
    as admin 4 "okr $cmd with the session expired: exit 4" -- $cmd
    check "okr $cmd says the session expired" -- grep -q "the session expired or was revoked" "$dir/err"
done
# The adds went behind the refused token: none was carried out.
late_titles() { jq '[.. | .title? | select(. == "Late")] | length' "$dir/out"; }
stop_okrd
okrd_args=()
start_okrd
input=$dir/admin-pw as admin 0 "log in again" -- login admin --password-stdin
as admin 0 "the objectives" -- --json obj list --cycle Now
check "no objective was added with the session expired" -- [ "$(late_titles)" = 0 ]
as admin 0 "the key results of O1" -- --json kr list O1
check "no key result was added with the session expired" -- [ "$(late_titles)" = 0 ]
as admin 0 "the tasks of K1" -- --json task list --kr K1 --all
check "no task was added with the session expired" -- [ "$(late_titles)" = 0 ]

stop_okrd
finish
