#!/usr/bin/env bash
# Integration: the alignment views against a real okrd — okr tree (and
# --live), okr export in every format, okr report after the cycle closes and
# okr review. A small organisation is made with the okr CLI: teams, a cycle,
# objectives aligned three levels deep, key results with Chinese titles,
# check-ins, comments and kudos. Every export is checked with a real parser
# (xmllint, Graphviz, python3's csv, jq) and its figures against the
# server's own (okr --json obj show).
# Usage: it_export.sh OKRD OKR
set -u
OKRD=$1
OKR=$2

. "$(dirname "$0")/lib.sh"
export OKR_CONFIG_DIR=$dir/config
export NO_COLOR=1
export LC_ALL=C.UTF-8
live_pid=""
extra_cleanup() { [ -n "$live_pid" ] && kill "$live_pid" 2>/dev/null; }

require_tools xmllint dot python3 jq

echo "admin-password-1" >"$dir/admin-pw"
start_okrd

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

T1="成为客户最喜爱的品牌"
T2='Grow revenue, "fast" & <safely>'
T3="Ship the platform 平台"
T4="提升亚太区销售额"
T5="Faster builds, fewer bugs"
setup obj add "$T1" --team Acme                                 # O1
setup obj add "$T2" --team 销售部 --parent O1                   # O2
setup obj add "$T3" --team Engineering --parent O1 --aspirational  # O3
setup obj add "$T4" --owner alice --in-team 销售部 --parent O2  # O4
setup obj add "$T5" --owner carol --in-team Engineering --parent O3 \
    -d $'Two lines,\nwith "quotes"'                              # O5
setup kr add O2 "新增客户数量达到 200" --target 200 --unit 客户 --weight 2 --owner alice  # K1
setup kr add O2 "Revenue, Q1" --metric currency --unit '$' --target 1200000 --weight 3   # K2
setup kr add O2 "亚太区渠道" --link O4 --target 1                                         # K3
setup kr add O4 "签约 10 家代理商" --target 10 --owner alice                               # K4
setup kr add O3 "构建时间低于 5 分钟" --start 20 --target 5 --unit min --owner bob         # K5
setup kr add O3 "Launch v2" --metric boolean --owner bob                                  # K6
setup kr add O5 "每次发布的缺陷数" --start 30 --target 10 --owner carol                    # K7
setup checkin K1 80 -c 7 -m "两个大客户"
setup checkin K2 300000 -c 5
setup checkin K4 4 -c 8 -m "good, week"
setup checkin K5 12 -c 4
setup checkin K7 22 -c 9
setup kudos K1 "两个大客户,太棒了!" --to alice
setup comment O3 "Launch | date? *soon*"
TITLES=("$T1" "$T2" "$T3" "$T4" "$T5")

# The server's figures, for comparison: every objective with its key results.
for o in 1 2 3 4 5; do
    okr --json obj show "O$o" >"$dir/obj$o.json" 2>/dev/null || not_ok "setup: obj show O$o"
done
jq -s '[.[] | {id: .objective.id, title: .objective.title, progress: .objective.progress,
              krs: [.key_results[] | {id, title, progress, current, target, weight}]}]' \
    "$dir"/obj[1-5].json >"$dir/server.json"

# ---- okr tree
expect 0 "okr tree --help" -- okr tree --help
expect 0 "okr tree" -- okr tree
cp "$dir/out" "$dir/tree.txt"
for t in "${TITLES[@]}"; do
    check "the tree shows '$t'" -- grep -qF -- "$t" "$dir/tree.txt"
done
check "the tree shows the weight shares" -- grep -q "w 2/6" "$dir/tree.txt"
check "the tree shows the linked key result" -- grep -q "w 1/6 ← O4" "$dir/tree.txt"
check "the tree shows the mean of children" -- grep -q "mean of 2 children" "$dir/tree.txt"
check "the tree draws branches" -- grep -q "└─ " "$dir/tree.txt"
check "the tree shows team owners" -- grep -q "销售部 (team)" "$dir/tree.txt"
# Chinese titles line up: every bar starts at the same display column.
check "the bars line up by display width" -- python3 - "$dir/tree.txt" <<'EOF'
import sys, unicodedata
cols = set()
for line in open(sys.argv[1], encoding="utf-8"):
    at = min([i for i, ch in enumerate(line) if ch in "█░▏▎▍▌▋▊▉"] or [-1])
    if at < 0:
        continue
    cols.add(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:at]))
sys.exit(0 if len(cols) == 1 else 1)
EOF
expect 0 "okr tree --depth 1" -- okr tree --depth 1
check "--depth 1 shows the top objective only" -- \
    sh -c "grep -qF '$T1' '$dir/out' && ! grep -qF '$T4' '$dir/out' && grep -q 'aligned objectives below' '$dir/out'"
expect 0 "okr tree --team 销售部" -- okr tree --team 销售部
check "--team shows the team's subtree and the path to it" -- \
    sh -c "grep -qF '$T1' '$dir/out' && grep -qF '$T4' '$dir/out' && ! grep -qF '$T5' '$dir/out'"
expect 0 "okr tree --json" -- okr --json tree
check "tree --json nests three levels" -- \
    test "$(jq -r '.objectives[0].children[] | select(.ref == "O2") | .children[0].title' "$dir/out")" = "$T4"
check "tree --json carries weight shares" -- \
    test "$(jq -r '.objectives[0].children[0].key_results[0].weight_label' "$dir/out")" = "2/6"
expect 2 "okr tree --depth 0 is a usage error" -- okr tree --depth 0
expect 0 "okr tree --trend" -- okr tree --trend
check "--trend draws each objective's weeks beside its bar" -- \
    test "$(grep -cE 'O[0-9]+  .*%  [▁▂▃▄▅▆▇█]{2,} ' "$dir/out")" -eq 5
check "and lines up every line" -- python3 - "$dir/out" <<'EOF'
import sys, unicodedata
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
rows = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8") if "%" in l and ("O" in l or "K" in l)]
cols = {w(l[: l.index("%") + 1]) for l in rows if "%" in l}
sys.exit(0 if len(cols) == 1 else 1)
EOF
expect 0 "okr tree --trend --json" -- okr --json tree --trend
check "--json has the trends" -- jq -e '.objectives[0].trend | length >= 2' "$dir/out"

# ---- okr tree --live: a check-in moves the tree on screen
okr tree --live --for 6 >"$dir/live.txt" 2>"$dir/live.err" &
live_pid=$!
for _ in $(seq 1 50); do
    grep -q "Ctrl-C" "$dir/live.txt" 2>/dev/null && break
    sleep 0.1
done
setup checkin K1 150 -c 8
wait "$live_pid"
code=$?
live_pid=""
check "tree --live exits 0 after --for" -- test "$code" -eq 0
check "tree --live redrew K1 at 75%" -- grep -q "K1 .* 75%" "$dir/live.txt"
check "tree --live drew the tree twice or more" -- \
    test "$(grep -c "^O1 " "$dir/live.txt")" -ge 2
for o in 1 2; do
    okr --json obj show "O$o" >"$dir/obj$o.json" 2>/dev/null
done
jq -s '[.[] | {id: .objective.id, title: .objective.title, progress: .objective.progress,
              krs: [.key_results[] | {id, title, progress, current, target, weight}]}]' \
    "$dir"/obj[1-5].json >"$dir/server.json"

# ---- okr export
expect 0 "okr export --help" -- okr export --help
expect 2 "an unknown format is a usage error" -- okr export --format pdf
expect 2 "no format is a usage error" -- okr export

expect 0 "export html" -- okr export --format html -o "$dir/okr.html"
check "the HTML file was written" -- test -s "$dir/okr.html"
check "no temporary file is left" -- sh -c "! ls '$dir' | grep -q tmp-"
check "the HTML is readable by others (not mkstemp's 0600)" -- \
    test "$(stat -c %a "$dir/okr.html")" != 600
xmllint --html --noout "$dir/okr.html" >"$dir/xmllint.txt" 2>&1
check "xmllint --html parses it (only SVG tags are unknown to libxml2's HTML 4 parser)" -- \
    sh -c "! grep -a 'error' '$dir/xmllint.txt' | grep -av -E 'Tag (svg|g|rect|text|tspan|path|title|polyline) invalid'"
check "the HTML is well-formed XML too" -- xmllint --noout "$dir/okr.html"
check "the HTML fetches nothing (no http:// or https://)" -- \
    sh -c "! grep -qiE 'https?://' '$dir/okr.html'"
check "the HTML has no script, link or src" -- \
    sh -c "! grep -qiE '<script|<link|src=|@import|url\\(' '$dir/okr.html'"
check "the HTML contains every objective title and key result" -- python3 - "$dir/okr.html" "$dir/server.json" <<'EOF'
import json, sys, xml.etree.ElementTree as ET
text = " ".join(" ".join(ET.parse(sys.argv[1]).getroot().itertext()).split())
server = json.load(open(sys.argv[2], encoding="utf-8"))
need = [o["title"] for o in server] + [k["title"] for o in server for k in o["krs"]]
missing = [t for t in need if " ".join(t.split()) not in text]
print("missing:", missing) if missing else None
sys.exit(1 if missing else 0)
EOF
check "the HTML has the map and the table" -- \
    sh -c "grep -q '<svg' '$dir/okr.html' && grep -q '<table>' '$dir/okr.html' && grep -q 'id=\"K7\"' '$dir/okr.html'"
check "the table draws each objective's trend" -- \
    sh -c "grep -q '<th>Trend</th>' '$dir/okr.html' && test \"\$(grep -o '<svg class=\"spark\"' '$dir/okr.html' | wc -l)\" -eq 5"

expect 0 "export svg" -- okr export --format svg -o "$dir/okr.svg"
check "the SVG is well-formed XML" -- xmllint --noout "$dir/okr.svg"
check "the SVG has a box per objective" -- \
    test "$(grep -c 'class="okr-obj"' "$dir/okr.svg")" -eq 5

expect 0 "export dot (to stdout)" -- okr export --format dot
cp "$dir/out" "$dir/okr.dot"
check "Graphviz parses the DOT" -- sh -c "dot -Tsvg '$dir/okr.dot' >'$dir/dot.svg'"
check "the DOT has child -> parent edges" -- grep -q "o4 -> o2;" "$dir/okr.dot"
check "the DOT escapes quotes" -- grep -qF 'Grow revenue, \"fast\" & <safely>' "$dir/okr.dot"

expect 0 "export csv" -- okr export -o "$dir/okr.csv"
check "the CSV round-trips and its figures are the server's" -- python3 - "$dir/okr.csv" "$dir/server.json" <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
server = json.load(open(sys.argv[2], encoding="utf-8"))
bad = []
objs = {r["id"]: r for r in rows if r["type"] == "objective"}
krs = {r["id"]: r for r in rows if r["type"] == "key_result"}
width = {len(r) for r in rows}
if width != {32} or any(None in r for r in rows):
    bad.append("ragged rows %s" % width)
for o in server:
    r = objs.get(str(o["id"]))
    if not r or r["title"] != o["title"] or abs(float(r["progress"]) - o["progress"]) > 1e-9:
        bad.append(("objective", o["id"], r and r["title"], r and r["progress"]))
    for k in o["krs"]:
        r = krs.get(str(k["id"]))
        if not r or r["title"] != k["title"]:
            bad.append(("kr title", k["id"]))
            continue
        for f in ("progress", "current", "target", "weight"):
            if abs(float(r[f]) - k[f]) > 1e-9:
                bad.append(("kr", k["id"], f, r[f], k[f]))
o5 = objs.get("5")
if not o5 or o5["description"] != 'Two lines,\nwith "quotes"':
    bad.append(("multi-line description", o5 and o5["description"]))
if len(rows) != 5 + 7:
    bad.append(("rows", len(rows)))
print(bad) if bad else None
sys.exit(1 if bad else 0)
EOF
check "the CSV has CRLF line ends (RFC 4180)" -- \
    test "$(head -1 "$dir/okr.csv" | od -An -c | tr -d ' \n' | tail -c 4)" = '\r\n'

expect 0 "export json" -- okr export --format json -o "$dir/okr.json"
check "jq parses the JSON" -- jq -e . "$dir/okr.json" >/dev/null
check "the JSON's figures are the server's" -- python3 - "$dir/okr.json" "$dir/server.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
server = json.load(open(sys.argv[2], encoding="utf-8"))
mine = {o["id"]: o for o in doc["objectives"]}
bad = []
for o in server:
    m = mine.get(o["id"])
    if not m or m["title"] != o["title"] or abs(m["progress"] - o["progress"]) > 1e-9:
        bad.append(o["id"])
        continue
    ks = {k["id"]: k for k in m["key_results"]}
    for k in o["krs"]:
        mk = ks.get(k["id"])
        if not mk or any(abs(mk[f] - k[f]) > 1e-9 for f in ("progress", "current", "target")):
            bad.append(("kr", k["id"]))
print(bad) if bad else None
sys.exit(1 if bad or len(doc["objectives"]) != 5 else 0)
EOF
check "the JSON has each objective's trend, ending at its progress" -- \
    jq -e 'all(.objectives[]; (.trend | length) >= 2 and .trend[-1] == .progress)' "$dir/okr.json"

expect 0 "export md" -- okr export --format md -o "$dir/okr.md"
check "the Markdown has the key result tables" -- \
    grep -q "^| Key result | Owner | Start | Current | Target | Weight |" "$dir/okr.md"
check "the Markdown has a row per key result" -- test "$(grep -c '^| K[0-9]' "$dir/okr.md")" -eq 7
check "the Markdown has a heading per top objective" -- grep -qF "## O1 $T1" "$dir/okr.md"
check "and each objective's trend" -- test "$(grep -c 'week by week [▁▂▃▄▅▆▇█]' "$dir/okr.md")" -eq 5
check "the Markdown escapes its punctuation" -- grep -qF '\& \<safely\>' "$dir/okr.md"

expect 1 "export into a missing directory fails" -- \
    okr export --format csv -o "$dir/no/such/dir/x.csv"
check "and says why" -- grep -q "cannot write" "$dir/err"

# ---- okr review
setup checkin K6 no -m "not yet"   # checked in, no change
expect 0 "okr review" -- okr review
check "review lists the moved key results" -- \
    sh -c "grep -q 'K1 .*0 → 150 客户' '$dir/out' && grep -q 'K7 ' '$dir/out'"
check "review names K6 as checked in without a change, not as moved" -- \
    sh -c "grep -q 'Checked in without a change (1): K6\$' '$dir/out' && ! grep -q '^  K6 .*pts' '$dir/out'"
expect 0 "okr review --md" -- okr review --md
cp "$dir/out" "$dir/review.md"
for k in K1 K2 K4 K5 K7; do
    check "review --md lists moved $k" -- grep -q "^| $k [^|]" "$dir/review.md"
done
check "review --md does not list K6 as moved" -- sh -c "! grep -q '^| K6 .*pts' '$dir/review.md'"
check "review --md names K6 as checked in without a change" -- \
    grep -qx '\*Checked in without a change (1):\* K6' "$dir/review.md"
check "review --md lists what is at risk" -- grep -q "off track" "$dir/review.md"
check "review --md lists the kudos" -- grep -q "两个大客户,太棒了!" "$dir/review.md"
expect 0 "okr review --json" -- okr --json review --team 销售部
check "review --json keeps to the team, the biggest movement first" -- \
    test "$(jq -r '[.moved[].ref] | join(",")' "$dir/out")" = "K1,K4,K2"
expect 0 "okr review --json, everyone" -- okr --json review
check "review --json keeps what did not change apart" -- \
    test "$(jq -r '[.unchanged[].ref] | join(",")' "$dir/out")" = "K6"
check "review --json puts the biggest movement first (ties: the latest first)" -- \
    test "$(jq -r '[.moved[].ref] | join(",")' "$dir/out")" = "K1,K5,K7,K4,K2"
expect 0 "okr review --limit 2" -- okr review --limit 2
check "each section shows the first two, the biggest movement first" -- \
    sh -c "grep -q '^  K1 ' '$dir/out' && grep -q '^  K5 ' '$dir/out' && ! grep -q '^  K7 ' '$dir/out'"
check "and counts the rest, saying how to see them" -- \
    grep -q "… and 3 more: okr review --all, or --team TEAM for one team's" "$dir/out"
expect 0 "okr review --limit 2 --md" -- okr review --limit 2 --md
check "the Markdown agenda is cut the same way" -- \
    sh -c "test \"\$(grep -c '^| K[0-9]* ' '$dir/out')\" -le 4 && grep -q '^\*… and 3 more' '$dir/out'"
expect 0 "okr review --all" -- okr review --all
check "--all shows every moved key result and no count" -- \
    sh -c "grep -q '^  K7 ' '$dir/out' && ! grep -q '… and' '$dir/out'"
expect 0 "okr --json review --limit 1" -- okr --json review --limit 1
check "--json has every row whatever the limit" -- \
    test "$(jq -r '[.moved[].ref] | join(",")' "$dir/out")" = "K1,K5,K7,K4,K2"
expect 2 "review --limit 0 is a usage error" -- okr review --limit 0
check "and says what it takes" -- grep -q "limit takes rows from 1" "$dir/err"
expect 2 "review --since nonsense is a usage error" -- okr review --since fortnight
expect 2 "review --since more than ten years back is a usage error" -- okr review --since 2000w
check "and says so" -- grep -q "too long ago" "$dir/err"
expect 0 "review --since 500w is within ten years" -- okr review --since 500w

# ---- close the cycle: okr report
setup cycle close 2026-Q1
setup score O3 --retro $'Ship earlier;\nhire sooner'
setup score O2 0.8 -m "Revenue came in after the quarter"
expect 0 "okr report --cycle 2026-Q1" -- okr report --cycle 2026-Q1
cp "$dir/out" "$dir/report.txt"
check "report lists scores by team" -- \
    sh -c "grep -q 'Scores by team' '$dir/report.txt' && grep -q '^销售部 ' '$dir/report.txt' && grep -q '^Engineering ' '$dir/report.txt'"
check "report grades the scores" -- grep -qE "(red|yellow|green)$" "$dir/report.txt"
check "report shows the kind's expectation" -- grep -q "aspirational  0.7" "$dir/report.txt"
check "report shows the override note" -- grep -q "Revenue came in after the quarter" "$dir/report.txt"
check "report shows the retrospective" -- grep -q "hire sooner" "$dir/report.txt"
check "report shows how each objective got there, week by week" -- \
    sh -c "grep -q 'OVER THE CYCLE' '$dir/report.txt' && test \"\$(grep -cE '^O[0-9]+ .*[▁▂▃▄▅▆▇█]{2,}' '$dir/report.txt')\" -eq 5"
expect 0 "okr report --json" -- okr --json report
check "report --json is final and scores are the server's" -- python3 - "$dir/out" "$OKR" "$S" <<'EOF'
import json, subprocess, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
bad = [] if doc["final"] else ["not final"]
for team in doc["teams"]:
    for it in team["items"]:
        got = json.loads(subprocess.run([sys.argv[2], "--server", sys.argv[3], "--json", "obj",
                                         "show", it["ref"]], capture_output=True).stdout)
        if abs(got["objective"]["score"] - it["score"]) > 1e-9:
            bad.append((it["ref"], it["score"], got["objective"]["score"]))
    want = sum(i["score"] for i in team["items"]) / len(team["items"])
    if abs(team["average"] - want) > 1e-9:
        bad.append((team["name"], "average"))
o2 = [i for t in doc["teams"] for i in t["items"] if i["ref"] == "O2"]
if not o2 or abs(o2[0]["score"] - 0.8) > 1e-9 or o2[0]["grade"] != "green":
    bad.append("O2's override")
print(bad) if bad else None
sys.exit(1 if bad else 0)
EOF
expect 0 "okr report --md" -- okr report --md
check "report --md has the team table" -- grep -q "^| Team | Objectives | Average score | Grade |" "$dir/out"
check "report --md has each objective's weeks" -- grep -q "| Over the cycle |" "$dir/out"
expect 0 "tree of a closed cycle shows scores" -- okr tree --cycle 2026-Q1
check "the closed tree grades objectives" -- grep -q "0.80 green" "$dir/out"

stop_okrd
finish
