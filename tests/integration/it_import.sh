#!/usr/bin/env bash
# Integration: okr import against a real okrd. A small organisation (a
# Chinese title, a team-owned objective, an aligned child, a linked key
# result, key results checked in away from their start) is exported to CSV,
# imported into a second cycle and exported again: what a person wrote
# (titles, alignment, owners, metrics, figures) must come back the same.
# Then: a file with problems creates nothing and says FILE:LINE for each;
# --dry-run creates nothing; a member the server refuses on one row creates
# nothing at all (an import is one write); --json; 200 rows, timed; a file
# over the server's max_import_items is refused before anything is sent; and
# from an okrd older than protocol 1.6, request by request, a member refused
# midway is told what was created and what was not.
# Usage: it_import.sh OKRD OKR
set -u
OKRD=$1
OKR=$2

. "$(dirname "$0")/lib.sh"
export OKR_CONFIG_DIR=$dir/config
export NO_COLOR=1
export LC_ALL=C.UTF-8

require_tools python3 jq script

echo "admin-password-1" >"$dir/admin-pw"
start_okrd


# objectives in a cycle, as the server counts them (the caller sees)
count_objs() { okr --json obj list --cycle "$1" 2>/dev/null | jq '.objectives | length'; }
# titles of a cycle's objectives, one a line
titles() { okr --json obj list --cycle "$1" 2>/dev/null | jq -r '.objectives[].title'; }

# ---- the organisation
admin_and_users alice bob carol
setup team add Acme
setup team add 销售部 --parent Acme
setup team add Engineering --parent Acme
setup team member add 销售部 alice --lead
setup team member add Engineering bob --lead
setup team member add Engineering carol
setup cycle add 2026-Q1 --start -30d --end +60d
setup cycle activate 2026-Q1
setup cycle add 2026-Q2 --start +61d --end +150d
setup cycle add 2026-Q3 --start +151d --end +240d

setup obj add "成为客户最喜爱的品牌" --team Acme -d $'Why: two lines,\nwith "quotes"'  # O1
setup obj add 'Grow revenue, "fast"' --team 销售部 --parent O1 --aspirational          # O2
setup obj add "提升亚太区销售额" --owner alice --in-team 销售部 --parent O2 --visibility team  # O3
setup obj add "Ship the platform" --owner bob --in-team Engineering --parent O1 --draft   # O4
setup kr add O2 "Revenue, Q1" --metric currency --unit '$' --target 1200000 --weight 3    # K1
setup kr add O2 "亚太区渠道" --link O3 --target 1                                         # K2
setup kr add O3 "签约 10 家代理商" --target 10 --owner alice                               # K3
setup kr add O4 "构建时间低于 5 分钟" --start 20 --target 5 --unit min --owner bob         # K4
setup kr add O4 "Launch v2" --metric boolean --owner bob                                  # K5
setup kr add O1 "NPS" --metric percent --start 30 --target 50 --owner carol               # K6
setup checkin K1 300000 -c 5
setup checkin K3 4 -c 8
setup checkin K4 12
setup checkin K5 done

# ---- export, import into 2026-Q2, export again
expect 0 "okr import --help" -- okr import --help
check "the help shows the round trip" -- grep -q "okr export --format csv --cycle 2026-Q1 -o q2.csv" "$dir/out"
expect 0 "okr help lists import" -- okr --help
check "okr --help names import" -- grep -q "import FILE.csv" "$dir/out"

expect 0 "export 2026-Q1 as CSV" -- okr export --format csv --cycle 2026-Q1 -o "$dir/q1.csv"
expect 0 "import it into 2026-Q2" -- okr import "$dir/q1.csv" --cycle 2026-Q2
check "the summary counts what was created" -- \
    grep -q "Created 4 objectives and 6 key results in 2026-Q2, with 4 check-ins" "$dir/out"
check "the mapping shows the file's refs and the new ids" -- \
    grep -qE "^O1 +O[0-9]+ +成为客户最喜爱的品牌" "$dir/out"
expect 0 "export 2026-Q2 as CSV" -- okr export --format csv --cycle 2026-Q2 -o "$dir/q2.csv"

# The columns a person writes, with refs replaced by the titles they point
# at (ids differ between the cycles), compared as sorted lists.
cat >"$dir/shape.py" <<'EOF'
import csv, sys
cols = ["type", "title", "owner", "owner_kind", "team", "kind", "state", "visibility",
        "metric", "unit", "start", "current", "target", "weight", "confidence",
        "due_at", "description"]
def shape(path):
    rows = list(csv.DictReader(open(path, encoding="utf-8", newline="")))
    title = {r["ref"]: r["title"] for r in rows}
    out = []
    for r in rows:
        out.append(tuple([r[c] for c in cols] +
                         [title.get(r["parent"], ""), title.get(r["linked_objective"], "")]))
    return sorted(out)
a, b = shape(sys.argv[1]), shape(sys.argv[2])
if a != b:
    for x, y in zip(a, b):
        if x != y:
            print("q1:", x, "\nq2:", y)
    sys.exit(1)
print(len(a), "rows alike")
EOF
check "the second export has the first one's shape" -- python3 "$dir/shape.py" "$dir/q1.csv" "$dir/q2.csv"
check "the Chinese title came through" -- grep -q "提升亚太区销售额" "$dir/q2.csv"
kref=$(python3 -c 'import csv,sys; print([r["ref"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")) if r["title"] == "Revenue, Q1"][0])' "$dir/q2.csv")
expect 0 "the history of the imported key result" -- okr history "$kref"
check "its check-in is noted imported" -- grep -q "imported" "$dir/out"

# ---- a file with problems: nothing is created, each problem has its line
q2_before=$(count_objs 2026-Q2)
printf '%s\r\n' \
    'type,ref,parent,title,owner,metric,start,target,colour' \
    'objective,O1,O3,Loop one,alice,,,,' \
    'objective,O2,O1,Loop two,bobb,,,,' \
    'objective,O3,O2,Loop three,,,,,' \
    'key_result,K1,O1,Ratio,,ratio,0,1,' \
    'key_result,K2,O1,Flat,,,5,5,' \
    'key_result,K3,O9,Nowhere,,,0,nan,' \
    'objective,O4,,,,,,,' >"$dir/bad.csv"
expect 2 "a file with problems is refused (exit 2)" -- okr import "$dir/bad.csv" --cycle 2026-Q2
check "FILE:LINE: owner with did you mean" -- \
    grep -qF "$dir/bad.csv:3: owner \"bobb\" is not a user; did you mean \"bob\"?" "$dir/err"
check "FILE:LINE: the loop" -- grep -qF "$dir/bad.csv:2: the alignment makes a loop: O1 -> O3 -> O2 -> O1" "$dir/err"
check "FILE:LINE: the metric" -- grep -qF "$dir/bad.csv:5: metric \"ratio\" is not number, percent, currency or boolean" "$dir/err"
check "FILE:LINE: start == target" -- grep -qF "$dir/bad.csv:6: start and target are both 5" "$dir/err"
check "FILE:LINE: an unknown parent" -- grep -qF "$dir/bad.csv:7: parent O9 is not the ref of an objective in this file" "$dir/err"
check "FILE:LINE: a non-finite number" -- grep -qF "$dir/bad.csv:7: target \"nan\" is not a finite number" "$dir/err"
check "FILE:LINE: an empty title" -- grep -qF "$dir/bad.csv:8: the title is empty" "$dir/err"
check "the unknown column is one warning" -- grep -qF "ignoring a column okr does not know: \"colour\"" "$dir/err"
check "it says nothing was created" -- grep -q "problems in .*bad.csv; nothing was created" "$dir/err"
check "and nothing was" -- test "$(count_objs 2026-Q2)" = "$q2_before"
expect 2 "--json: the problems as JSON" -- okr --json import "$dir/bad.csv" --cycle 2026-Q2
check "--json problems have lines" -- \
    sh -c "jq -e '.error.status == \"INVALID_FILE\" and (.problems | length) == 7 and .warning != null and .problems[0].line == 2' '$dir/err' >/dev/null"

# more than 20 problems: 20 listed, the rest counted
{
    echo "type,title"
    for i in $(seq 1 25); do echo "objective,"; done
} >"$dir/many.csv"
expect 2 "25 empty titles" -- okr import "$dir/many.csv" --cycle 2026-Q2
check "20 are listed" -- test "$(grep -c 'the title is empty' "$dir/err")" = 20
check "the rest are counted" -- grep -q "and 5 more problems not listed" "$dir/err"

# a broken CSV needs no server: a quote left open
printf 'type,title\nobjective,"never closed\n' >"$dir/open.csv"
expect 2 "an unclosed quote" -- "$OKR" --server 127.0.0.1:1 import "$dir/open.csv"
check "its line is named" -- grep -qF "$dir/open.csv:2: a quoted field is not closed" "$dir/err"
setup cycle add 2025-Q4 --start -200d --end -100d
setup cycle close 2025-Q4
expect 2 "a closed cycle is refused" -- okr import "$dir/q1.csv" --cycle 2025-Q4
check "it says why" -- grep -q "cycle 2025-Q4 is closed" "$dir/err"
expect 2 "no file" -- okr import "$dir/missing.csv"

# ---- --dry-run creates nothing
expect 0 "--dry-run" -- okr import "$dir/q1.csv" --cycle 2026-Q3 --dry-run
check "--dry-run says what would be created" -- \
    grep -q "would create 4 objectives, 6 key results and 4 check-ins in 2026-Q3" "$dir/out"
check "--dry-run created nothing" -- test "$(count_objs 2026-Q3)" = 0
expect 0 "--dry-run --json" -- okr --json import "$dir/q1.csv" --cycle 2026-Q3 --dry-run
check "--dry-run --json lists the rows" -- \
    sh -c "jq -e '.dry_run and (.objectives | length) == 4 and .checkins == 4' '$dir/out' >/dev/null"

# ---- --json, from a spreadsheet (BOM, CRLF, columns in another order)
printf '\xef\xbb\xbftitle,type,target,current,ref,owner\r\nFrom a sheet,objective,,,S1,carol\r\nCustomers,key_result,100,40,S2,carol\r\n' >"$dir/sheet.csv"
expect 0 "--json import" -- okr --json import "$dir/sheet.csv" --cycle 2026-Q3
check "--json: cycle, ids and check-ins" -- \
    sh -c "jq -e '.cycle == \"2026-Q3\" and .complete and .objectives[0].ref == \"S1\" and (.objectives[0].id > 0) and .key_results[0].ref == \"S2\" and .checkins == 1' '$dir/out' >/dev/null"
kid=$(field '.key_results[0].id')
expect 0 "the imported key result" -- okr --json kr show "K$kid"
check "has current 40 and owner carol" -- \
    sh -c "jq -e '.key_result.current == 40' '$dir/out' >/dev/null"

# ---- the last check-in's date, when it is within the cycle, dates the import's
when=$(date -u -d '-10 days' +%Y-%m-%dT10:00:00Z)
printf 'type,ref,title,target,current,last_checkin_at\nobjective,D1,Dated from the sheet,,,\nkey_result,D2,Calls,50,20,%s\n' \
    "$when" >"$dir/dated.csv"
expect 0 "import a sheet with its last check-in's date" -- okr --json import "$dir/dated.csv" --cycle 2026-Q1
kid=$(field '.key_results[0].id')
expect 0 "its history" -- okr --json history "K$kid"
check "the check-in is dated as the sheet says, recorded now" -- \
    sh -c "jq -e --argjson t $(($(date -u -d "$when" +%s) * 1000)) '.checkins[0].time == \$t and .checkins[0].recorded_at > \$t and .key_result.last_checkin_at == \$t' '$dir/out' >/dev/null"

# ---- a member refused on one row: the import is one write, nothing is created
echo "carol-password-1" | OKR_CONFIG_DIR=$dir/carol okr --trust login carol --password-stdin >/dev/null 2>&1
printf '%s\n' \
    'type,ref,parent,title,owner,owner_kind,target' \
    'objective,C1,,Carol'"'"'s own,carol,user,' \
    'objective,C2,,The team'"'"'s,Engineering,team,' \
    'key_result,C3,C1,Carol'"'"'s KR,carol,user,10' >"$dir/carol.csv"
q3_before=$(count_objs 2026-Q3)
as carol 5 "a member refused on one row exits 5" -- import "$dir/carol.csv" --cycle 2026-Q3
check "the refusal names the line" -- grep -q "carol.csv:3: the objective was refused: you may create" "$dir/err"
check "it says nothing was created" -- grep -q "Nothing was created: an import is all or nothing" "$dir/out"
check "and nothing was, not even carol's own objective" -- test "$(count_objs 2026-Q3)" = "$q3_before"
as carol 5 "the same with --json" -- --json import "$dir/carol.csv" --cycle 2026-Q3
check "--json: complete false, atomic, nothing created, all not created" -- \
    sh -c "jq -e '(.complete | not) and .atomic and (.objectives | length) == 0 and (.not_created.objectives | length) == 2 and .not_created.key_results[0].ref == \"C3\" and .error.status == \"FORBIDDEN\" and .error.line == 3' '$dir/out' >/dev/null"

# ---- 200 rows, timed
python3 - "$dir/big.csv" <<'EOF'
import sys
with open(sys.argv[1], "w", encoding="utf-8", newline="") as f:
    f.write("type,ref,parent,title,owner,start,target,current\r\n")
    for o in range(50):
        parent = "" if o < 5 else "O%d" % (o % 5)
        f.write("objective,O%d,%s,目标 %d,alice,,,\r\n" % (o, parent, o))
        for k in range(3):
            cur = 10 * k
            f.write("key_result,K%d_%d,O%d,KR %d of %d,bob,0,100,%d\r\n" % (o, k, o, k, o, cur))
EOF
before=$(count_objs 2026-Q3)
start_ns=$(date +%s%N)
expect 0 "200 rows import" -- okr import "$dir/big.csv" --cycle 2026-Q3
end_ns=$(date +%s%N)
ms=$(((end_ns - start_ns) / 1000000))
echo "# 200 rows (50 objectives, 150 key results, 100 check-ins) imported in $ms ms"
check "all 50 objectives are there" -- test "$(count_objs 2026-Q3)" = "$((before + 50))"
check "200 rows take under 5 s even under the sanitizers" -- test "$ms" -lt 5000

# ---- at a terminal (script(1) gives okr one): a counter on stderr while it
# works, cleared before the summary
setup cycle add 2027-Q1 --start +241d --end +330d
script -qec "'$OKR' --server '$S' import '$dir/big.csv' --cycle 2027-Q1" /dev/null \
    >"$dir/out" 2>&1
check "a terminal sees that the import is on its way" -- \
    grep -aq "importing: 300 records in one write" "$dir/out"
check "the counter is cleared before the summary" -- \
    grep -aqF $'\r\033[KCreated 50 objectives and 150 key results in 2027-Q1' "$dir/out"

# ---- a server that rations requests: okrd refuses what a connection sends
# beyond its budget (20 at once, then 200 a second). One import is one
# request, whatever the file's size.
stop_okrd
okrd_args+=(--rate-limit-rps 200 --rate-limit-burst 20)
start_okrd
setup cycle add 2027-Q2 --start +331d --end +420d
OKR_TRACE=1 okr import "$dir/big.csv" --cycle 2027-Q2 >"$dir/out" 2>"$dir/trace"
check "a rationed import still creates everything" -- \
    grep -q "Created 50 objectives and 150 key results in 2027-Q2" "$dir/out"
check "in one request" -- test "$(grep -c "^okr: -> import_plan " "$dir/trace")" = 1
# A read pipeline: a file whose rows align to 50 objectives on the server
# makes okr read each of them (pipelined) before it creates anything.
okr --json obj list --cycle 2027-Q2 >"$dir/out"
jq -r '.objectives[] | .id' "$dir/out" | head -50 |
    awk 'BEGIN { print "type,parent,title" } { printf "objective,O%s,Under %s\n", $1, $1 }' \
        >"$dir/aligned.csv"
check "50 parents on the server" -- test "$(wc -l <"$dir/aligned.csv")" = 51
OKR_TRACE=1 okr import "$dir/aligned.csv" --cycle 2027-Q2 --dry-run >"$dir/out" 2>"$dir/trace"
check "a rationed dry run checks the whole file" -- grep -q "would create 50 objectives" "$dir/out"
refused=$(grep -c "^okr: <- #[0-9]* rate limited" "$dir/trace")
pauses=$(grep -c "^okr: rate limited: pausing" "$dir/trace")
echo "# reading the parents: $refused answers refused, $pauses pauses"
check "the read pipeline paused once per run of refusals" -- \
    test "$refused" -gt 20 -a "$pauses" -ge 1 -a "$((pauses * 4))" -le "$refused"

# ---- a server that allows 3 key results per objective (it says so in its
# Hello): a file asking for more is refused before anything is created, and
# okr kr add beyond the limit is refused saying why; a removed one frees a place
stop_okrd
okrd_args=(--max-key-results-per-objective 3 --max-import-items 100)
start_okrd
setup cycle add 2027-Q3 --start +421d --end +510d
# ---- and that takes 100 objectives and key results in one import: a bigger
# file is refused before anything is sent, saying how to split it
expect 2 "a file over max_import_items" -- okr import "$dir/big.csv" --cycle 2027-Q3
check "says how to split it" -- grep -qF \
    "big.csv is too big for one import: it has 200 objectives and key results, more than the 100 the server takes in one import (its max_import_items): split it into 2 files or more" \
    "$dir/err"
expect 2 "a dry run of it" -- okr import "$dir/big.csv" --cycle 2027-Q3 --dry-run
check "says so too" -- grep -qF "big.csv is too big for one import" "$dir/err"
check "nothing was created" -- test "$(count_objs 2027-Q3)" = 0
printf '%s\n' 'type,ref,title,target' 'objective,L1,Crowded,' 'key_result,,A,1' \
    'key_result,,B,2' 'key_result,,C,3' 'key_result,,D,4' >"$dir/crowded.csv"
expect 2 "a file with 4 key results under one objective" -- \
    okr import "$dir/crowded.csv" --cycle 2027-Q3
check "the row that goes over is named, with the limit" -- grep -qF \
    "$dir/crowded.csv:6: objective L1 (line 2) gets more than 3 key results, the most the server allows" \
    "$dir/err"
check "nothing was created" -- test "$(count_objs 2027-Q3)" = 0
head -n 5 "$dir/crowded.csv" >"$dir/three.csv"
expect 0 "3 key results under one objective import" -- okr --json import "$dir/three.csv" --cycle 2027-Q3
oid=$(field '.objectives[0].id')
expect 5 "a 4th key result by hand" -- okr kr add "O$oid" "D" --target 4
check "is refused, saying what to do" -- grep -q \
    "O$oid has 3 key results, the most this server allows for one objective (max_key_results_per_objective).*okr kr rm" \
    "$dir/err"
kid=$(okr --json kr list "O$oid" | jq -r '.key_results[0].id')
expect 0 "one removed" -- okr kr rm "K$kid"
expect 0 "frees a place" -- okr kr add "O$oid" "D" --target 4

# ---- an okrd older than 1.6 (test_protocol_minor) has no import request:
# okr creates the rows one request each, pipelined, and a member refused
# midway is told what was created (it stays) and what was not
stop_okrd
okrd_args=(--test-protocol-minor 5 --rate-limit-rps 200 --rate-limit-burst 20)
start_okrd
setup cycle add 2027-Q4 --start +511d --end +600d
as carol 5 "from an older okrd, a member refused midway exits 5" -- import "$dir/carol.csv" --cycle 2027-Q4
check "the refusal names the line" -- grep -q "carol.csv:3: the objective was refused" "$dir/err"
check "what was created is listed" -- grep -qE "^C1 +O[0-9]+ +Carol's own" "$dir/out"
check "what was not is counted" -- grep -q "Not created: 1 objective, 1 key result and 0 check-ins" "$dir/out"
titles 2027-Q4 >"$dir/q4-titles"
check "carol's objective exists" -- grep -qx "Carol's own" "$dir/q4-titles"
check "the team's does not" -- sh -c "! grep -q \"The team's\" '$dir/q4-titles'"
as carol 5 "the same with --json" -- --json import "$dir/carol.csv" --cycle 2027-Q4
check "--json: complete false, not atomic, the mapping, what was not created" -- \
    sh -c "jq -e '(.complete | not) and (.atomic | not) and .objectives[0].ref == \"C1\" and .not_created.objectives[0].ref == \"C2\" and .not_created.key_results[0].ref == \"C3\" and .error.status == \"FORBIDDEN\"' '$dir/out' >/dev/null"
# The server rations requests (20 at once, then 200 a second): the answers
# refused together were sent together, so one pause lets them all through:
# the import's writes wait once per run of refusals, not once per refused
# request (which took a 10,000-row import 47 s at the defaults).
OKR_TRACE=1 okr import "$dir/big.csv" --cycle 2027-Q4 >"$dir/out" 2>"$dir/trace"
check "from an older okrd a rationed import still creates everything" -- \
    grep -q "Created 50 objectives and 150 key results in 2027-Q4" "$dir/out"
check "one request per row (and again when rationed), no import request" -- \
    test "$(grep -c "^okr: -> import_plan " "$dir/trace")" = 0 -a \
    "$(grep -c "^okr: -> objective_create " "$dir/trace")" -ge 50
refused=$(grep -c "^okr: <- #[0-9]* rate limited" "$dir/trace")
pauses=$(grep -c "^okr: rate limited: pausing" "$dir/trace")
echo "# import from an older okrd: $refused answers refused, $pauses pauses"
check "the server did refuse some of the import" -- test "$refused" -gt 20
check "and okr paused once per run of them, not per refusal" -- \
    test "$pauses" -ge 1 -a "$((pauses * 4))" -le "$refused"

finish
