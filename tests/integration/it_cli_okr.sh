#!/usr/bin/env bash
# Integration: a whole OKR cycle through the okr binary against a real okrd,
# from setting up teams to closing the cycle — what an admin, a lead and a
# member type. Usage: it_cli_okr.sh OKRD OKR
set -u
OKRD=$1
OKR=$2

. "$(dirname "$0")/lib.sh"

echo "admin-password-1" >"$dir/admin-pw"
start_okrd

# ---- setting up: people, teams, a cycle
input=$dir/admin-pw as admin 0 "admin logs in" -- --trust login admin --password-stdin
for u in lena max; do
    echo "$u-password-1" >"$dir/$u-pw"
    input=$dir/$u-pw as admin 0 "add user $u" -- user add "$u" --password-stdin
done
as admin 0 "company team" -- team add Acme
as admin 0 "a department with a Chinese name" -- team add 销售部 --parent Acme
as admin 0 "lena leads it" -- team member add 销售部 lena --lead
as admin 0 "max is a member" -- team member add 销售部 max
as admin 0 "team tree" -- team list --tree
check "the tree shows the department" -- grep -q "销售部" "$dir/out"
as admin 0 "a cycle" -- cycle add 2026-Q1 --start 2026-01-01 --end 2026-03-31
as admin 0 "activate it" -- cycle activate 2026-Q1

# ---- objectives aligned company -> department -> person, key results
as admin 0 "company objective" -- --json obj add "Grow revenue 提高收入" --team Acme --cycle 2026-Q1
O1=O$(field '.id // .objective.id')
for u in lena max; do
    input=$dir/$u-pw as "$u" 0 "$u logs in" -- --trust login "$u" --password-stdin
done
as lena 0 "the lead adds the department's objective" -- \
    --json obj add "Win new customers 新增客户" --team 销售部 --parent "$O1"
O2=O$(field '.id // .objective.id')
as lena 0 "a key result for max" -- --json kr add "$O2" "New customers" --target 100 --owner max
K1=K$(field '.id // .key_result.id')
as lena 0 "a decrease-is-better key result" -- \
    --json kr add "$O2" "Churn" --start 10 --target 2 --unit % --weight 2
K2=K$(field '.id // .key_result.id')
as max 5 "a member cannot add key results to the department's objective" -- \
    kr add "$O2" "Sneaky" --target 5

# ---- the weekly check-in, forgiving values
as max 0 "max checks in 40" -- checkin "$K1" 40 --confidence 7 -m "good week"
as max 0 "and +10 the week after" -- --json checkin "$K1" +10
check "the key result is at 50" -- test "$(field '.. | .current? // empty' | head -1)" = 50
# a check-in made late, dated when its value was true
as lena 0 "lena enters February's churn late" -- checkin "$K2" 8 --at 2026-02-13 -m "from Feb"
check "it says which day it stands for" -- grep -q "dated 2026-02-13 23:59" "$dir/out"
as lena 5 "not before the key result's latest check-in" -- checkin "$K2" 9 --at 2026-02-01
check "the refusal names the latest one" -- grep -q "latest check-in is dated 2026-02-1" "$dir/err"
as lena 5 "not before the cycle" -- checkin "$K2" 9 --at "2025-12-31 10:00"
check "the refusal names the cycle" -- grep -q "cycle 2026-Q1 started" "$dir/err"
as lena 2 "not in the future" -- checkin "$K2" 9 --at +2d
check "the usage error says so" -- grep -q "in the future" "$dir/err"
as lena 2 "not a date" -- checkin "$K2" 9 --at someday
as lena 2 "an objective takes no check-in" -- checkin "$O2" 9
check "the error says where to check in" -- grep -q "is an objective: check in on one of its key results" "$dir/err"
as lena 0 "churn down to 6" -- checkin "$K2" 6
as lena 0 "the churn's history" -- history "$K2"
check "history shows the dated check-in first" -- \
    sh -c "grep -A1 '^DATE' '$dir/out' | grep -q '2026-02-13 23:59.*[*].*8%'"
check "and a note on what the mark means" -- grep -q "^\* made late" "$dir/out"
as lena 0 "the churn's change log" -- history "$K2" --changes
check "the log tells the day a late check-in stands for" -- grep -q "check-in 8%; dated 2026-02-13 23:59" "$dir/out"
as lena 0 "the churn's history, for scripts" -- --json history "$K2"
check "--json has both times of the dated one" -- \
    sh -c "jq -e '.checkins[0].recorded_at > .checkins[0].time and .checkins[1].recorded_at == .checkins[1].time' '$dir/out' >/dev/null"
as lena 0 "the department's objective, with its trend" -- obj show "$O2"
check "a sparkline of its weeks" -- grep -Eq "^  trend +[▁▂▃▄▅▆▇█]+  [0-9]+% → [0-9]+% over [0-9]+ weeks" "$dir/out"
check "and one per key result" -- grep -q "PROGRESS  *TREND" "$dir/out"
as lena 0 "the same for scripts" -- --json obj show "$O2"
check "--json has the trend, ending at the current progress" -- sh -c \
    "jq -e '(.trend.progress | length) >= 2 and .trend.progress[-1] == .objective.progress and (.trend.key_results | length) == 2' '$dir/out' >/dev/null"
as admin 0 "show the company objective" -- --json obj show "$O1"
# K1 0.5 (weight 1), K2 (10-6)/(10-2) = 0.5 (weight 2): O2 = 0.5, and O1 = O2.
check "the company objective rolled up to 50%" -- \
    test "$(field '.objective.progress')" = 0.5
as max 0 "history of the key result" -- history "$K1"
check "history lists both check-ins" -- test "$(grep -c '40\|50' "$dir/out")" -ge 2
as admin 0 "the department, with its objectives" -- team show 销售部
check "team show lists the team's objectives in the current cycle" -- \
    sh -c "grep -q '^Objectives in 2026-Q1 (1):' '$dir/out' && grep -q '^$O2 .*Win new customers 新增客户' '$dir/out'"
as admin 0 "the same for scripts" -- --json team show 销售部
check "--json has the cycle and the objectives" -- \
    sh -c "jq -e '.cycle == \"2026-Q1\" and (.objectives | length) == 1 and .objectives[0].title == \"Win new customers 新增客户\"' '$dir/out' >/dev/null"
as admin 0 "a team yet without objectives" -- team add Support --parent Acme
as admin 0 "it has no objectives" -- team show Support --cycle 2026-Q1
check "says how to add one" -- grep -q "No objectives in 2026-Q1. Add one: okr obj add" "$dir/out"

# ---- tasks, comments, kudos, the coach, what is mine
as lena 0 "a task for max" -- --json task add "$K1" Call ten customers --assignee max
T1=T$(field '.id // .task.id')
as max 0 "max finishes it" -- task done "$T1"
as max 0 "a comment" -- comment "$K1" "Two deals closing next week"
as lena 0 "kudos" -- kudos "$O2" "Great quarter so far" --to max
as admin 0 "the coach" -- lint --cycle 2026-Q1
check "the coach flags objectives with too few key results" -- grep -q "kr-count" "$dir/out"
as max 0 "mine" -- mine
check "mine lists max's key result" -- grep -q "New customers" "$dir/out"
check "and the kudos lena gave him this week" -- \
    grep -q "kudos  lena → you on $O2: “Great quarter so far”" "$dir/out"
check "but not his own comment" -- sh -c "! grep -q 'Two deals closing' '$dir/out'"
check "counted in the summary" -- grep -q "1 comment or kudos for you" "$dir/out"
as max 0 "mine, for scripts" -- --json mine
check "has the feedback, with the author's name" -- \
    sh -c "jq -e '(.feedback | length) == 1 and .feedback[0].body == \"Great quarter so far\" and .feedback[0].author == \"lena\" and .feedback[0].on == \"$O2\"' '$dir/out' >/dev/null"
as max 0 "mine without feedback" -- mine --no-feedback
check "shows none" -- sh -c "! grep -q 'Great quarter' '$dir/out'"
as max 0 "mine with feedback since yesterday" -- mine --since yesterday
check "still has the kudos" -- grep -q "Great quarter so far" "$dir/out"
as max 2 "--since takes a time" -- mine --since someday
as max 2 "--since and --no-feedback exclude each other" -- mine --since 2w --no-feedback

# ---- the weekly round: each key result in turn, answers piped in
printf 'many\n55\n9\nround note\n' >"$dir/answers"
input=$dir/answers as max 0 "max's weekly round" -- checkin --all
check "it shows where the key result stands" -- grep -q "New customers" "$dir/out"
check "a value that is not one is asked again" -- grep -q "'many' is not a value" "$dir/out"
check "the answer is recorded" -- grep -q "✓ $K1 50 → 55" "$dir/out"
check "and summed up, with the objective it moved" -- \
    sh -c "grep -q 'Recorded 1 check-in' '$dir/out' && grep -q '$O2' '$dir/out'"
as max 0 "the key result now" -- --json kr show "$K1"
check "holds the round's value, confidence and note" -- \
    sh -c "jq -e '.key_result.current == 55 and .key_result.confidence == 9 and .checkins[0].note == \"round note\"' '$dir/out' >/dev/null"
printf '\n' >"$dir/answers"
input=$dir/answers as max 0 "a round with every key result skipped, for scripts" -- --json checkin --all
check "records nothing and says so" -- \
    sh -c "jq -e '(.checkins | length) == 0 and .skipped == 1' '$dir/out' >/dev/null"
# at a terminal (script(1) gives okr one): the answers are typed there
printf '56\r\r\r' | OKR_CONFIG_DIR=$dir/max script -qec "$OKR --server $S checkin --all" /dev/null \
    >"$dir/out" 2>&1
check "the round at a terminal records what is typed" -- grep -aq "✓ $K1 55 → 56" "$dir/out"
as max 2 "--all takes no key result" -- checkin --all "$K1" 5
as max 2 "nor -c" -- checkin --all -c 5
as max 2 "--stale goes with --all" -- checkin "$K1" 5 --stale
# a step down written "-1", among options: the options' own values stay theirs,
# even a note that looks like a number and an abbreviated --conf
as lena 0 "churn one point down, a note of '-2' (--note abbreviated)" -- --json checkin "$K2" -1 --no -2 --conf 6
check "the value went 6 → 5 and the note is '-2'" -- \
    sh -c "jq -e '.checkin.value == 5 and .checkin.note == \"-2\" and .checkin.confidence == 6' '$dir/out' >/dev/null"
as lena 2 "two values are one too many" -- checkin "$K2" -1 -2

# ---- an edit bumps the version (a stale one is refused: it_objective tests that)
as admin 0 "read the objective" -- --json obj show "$O2"
version=$(field '.objective.version')
as lena 0 "lena edits it" -- obj edit "$O2" --title "Win new customers in APAC"
as admin 0 "read it again" -- --json obj show "$O2"
check "its version moved on by one" -- test "$(field '.objective.version')" -eq $((version + 1))
check "with the new title" -- test "$(field '.objective.title')" = "Win new customers in APAC"

# ---- closing the cycle: scores, grades, override, retrospective
as admin 0 "close the cycle" -- cycle close 2026-Q1
as max 5 "no check-ins after close" -- checkin "$K1" 90
as lena 0 "the lead overrides the score with a note" -- \
    score "$O2" 0.7 -m "Two big deals slipped to Q2"
as lena 0 "and writes the retrospective" -- score "$O2" --retro "Start outreach earlier"
as admin 0 "the closed objective" -- --json obj show "$O2"
check "score is the override" -- test "$(field '.objective.score')" = 0.7
check "the retrospective is kept" -- \
    test "$(field '.objective.retrospective')" = "Start outreach earlier"
as admin 0 "the closed cycle's objectives" -- obj list --cycle 2026-Q1
check "are listed with their scores, not a status" -- \
    sh -c "grep -q '^ID .*KIND .*SCORE\$' '$dir/out' && grep -q '^ *$O2 .*0.70 green' '$dir/out'"
as admin 0 "the department in the closed cycle" -- team show 销售部 --cycle 2026-Q1
check "team show scores them too" -- grep -q "^ *$O2 .*0.70 green" "$dir/out"
as admin 0 "start the next cycle from this one" -- \
    cycle start-from 2026-Q1 2026-Q2 --start 2026-04-01 --end 2026-06-30 --copy-unfinished
as admin 0 "the new cycle has the copies" -- --json obj list --cycle 2026-Q2
check "unfinished objectives were copied" -- test "$(jq '[.. | .title? // empty] | length' "$dir/out")" -ge 1

stop_okrd
finish
