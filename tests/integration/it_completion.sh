#!/usr/bin/env bash
# Integration: okr completion bash|zsh. The scripts are loaded in a real bash
# and a real zsh and driven as the shell drives them on TAB (bash: COMP_LINE,
# COMP_POINT, COMP_WORDS split as bash splits them, COMP_CWORD; zsh: words,
# CURRENT, PREFIX), with the candidates coming from the okr binary (okr
# __complete). No server: completing never connects.
# Usage: it_completion.sh OKR
set -u
OKR=$1

. "$(dirname "$0")/lib.sh"
export OKR_CONFIG_DIR=$dir/config
export LC_ALL=C.UTF-8

require_tools bash zsh

# okr on the PATH, as people have it (the scripts run the okr typed).
mkdir -p "$dir/bin" "$dir/files" "$OKR_CONFIG_DIR"
ln -s "$OKR" "$dir/bin/okr"
export PATH=$dir/bin:$PATH
export OKR

# comp LINE: the candidates `okr completion bash` gives on TAB at the end of
# LINE, one a line, in the last output ($dir/out; sorted with SORT=1). bash
# is set up as on a TAB: COMP_WORDS split at blanks, with "=" and ":" words
# of their own (COMP_WORDBREAKS).
comp() {
    bash --norc --noprofile -c '
        source <(okr completion bash) || exit 9
        COMP_LINE=$1
        COMP_POINT=${#COMP_LINE}
        COMP_WORDS=()
        w=""
        for ((i = 0; i < ${#COMP_LINE}; i++)); do
            c=${COMP_LINE:i:1}
            case $c in
            " ") [[ -n $w ]] && COMP_WORDS+=("$w"); w="" ;;
            [=:]) [[ -n $w ]] && COMP_WORDS+=("$w"); w=""; COMP_WORDS+=("$c") ;;
            *) w+=$c ;;
            esac
        done
        [[ -n $w || $COMP_LINE == *" " ]] && COMP_WORDS+=("$w")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        _okr_complete || exit 8
        ((${#COMPREPLY[@]} == 0)) || printf "%s\n" "${COMPREPLY[@]}"
    ' comp "$1" >"$dir/out" 2>"$dir/err"
    if [ "${SORT:-0}" = 1 ]; then sort -o "$dir/out" "$dir/out"; fi
}

# gives SHELL LINE WANT...: comp (bash) or zcomp (zsh, below) LINE gives
# exactly WANT, in that order, and nothing on stderr.
gives() {
    local shell=$1 line=$2 got
    shift 2
    if [ "$shell" = bash ]; then comp "$line"; else zcomp "$line"; fi
    got=$(tr '\n' ' ' <"$dir/out")
    if [ "${got% }" = "$*" ] && [ ! -s "$dir/err" ]; then
        ok "$shell: '$line' TAB: $*"
    else
        not_ok "$shell: '$line' TAB: got '${got% }', wanted '$*'"
    fi
}
completes() { gives bash "$@"; }
zcompletes() { gives zsh "$@"; }

# ---- the command

expect 0 "okr completion --help" -- "$OKR" completion --help
check "it says how to load it in bash" -- grep -q 'source <(okr completion bash)' "$dir/out"
check "and in zsh" -- grep -q 'source <(okr completion zsh)' "$dir/out"
expect 0 "okr --help" -- "$OKR" --help
check "lists okr completion" -- grep -q 'completion bash|zsh' "$dir/out"
expect 2 "okr completion without a shell is a usage error" -- "$OKR" completion
expect 2 "so is a shell it has no script for" -- "$OKR" completion fish
expect 0 "okr completion bash" -- "$OKR" completion bash
check "is bash" -- bash -n "$dir/out"
expect 0 "okr completion zsh" -- "$OKR" completion zsh
check "is zsh" -- zsh -n "$dir/out"
expect 0 "loaded in bash, it completes okr" -- \
    bash --norc --noprofile -c 'source <(okr completion bash) && complete -p okr'
check "with its function" -- grep -q -- "-F _okr_complete okr" "$dir/out"

# ---- bash: commands, sub-commands, options, values

completes "okr ch" checkin
completes "okr rev" review
completes "okr co" comment completion
completes "okr obj " add list show edit rm archive
completes "okr team member " add rm
completes "okr completion " bash zsh
completes "okr help ob" obj
completes "okr help obj a" add archive
completes "okr review --s" --since --stale-days --server
completes "okr obj list --a" --all
completes "okr -" --version --server --ca --trust --json --timeout --help
completes "okr export --format " html svg dot csv json md
completes "okr export --format=" html svg dot csv json md
completes "okr export --format=c" csv
completes "okr report --cycle 2026-Q1 --format m" md markdown
completes "okr kr add O1 Grow --metric p" percent
completes "okr obj edit O3 --state " draft active
completes "okr user role bob " admin member
# after okr's own options, "host:7433" being one word to okr
completes "okr --server okr.example.com:7433 --json ob" obj
completes "okr --server=okr.example.com:7433 ob" obj
# the command as typed: a path
completes "$OKR ch" checkin
# nothing where only the server knows (a cycle, a key result)
completes "okr export --cycle "
completes "okr checkin "

# ---- bash: UTF-8 arguments before the word
completes "okr obj add 提升客户满意度 --vis" --visibility
completes "okr checkin K12 40 -m 本周完成了两个大客户 --con" --confidence
completes "okr obj add 增长 --parent O3 --visibility t" team
completes "okr 提升"

# ---- bash: file names where a file goes
touch "$dir/files/q1.csv" "$dir/files/q2.csv" "$dir/files/notes.txt"
cd "$dir/files" || exit 1
SORT=1 completes "okr import q" q1.csv q2.csv
SORT=1 completes "okr import --cycle 2026-Q2 " notes.txt q1.csv q2.csv
SORT=1 completes "okr export -o n" notes.txt
SORT=1 completes "okr export --output=q1" q1.csv
SORT=1 completes "okr --ca n" notes.txt
SORT=1 completes "okr obj list --ca n" notes.txt
completes "okr obj add n"
cd - >/dev/null || exit 1

# ---- never the network, never a file of okr's
expect 0 "okr __complete with a server that does not answer returns at once" -- \
    timeout 5 "$OKR" __complete --server 10.255.255.1:9 --timeout 3600 obj list --
check "and writes nothing in okr's configuration directory" -- \
    test -z "$(ls -A "$OKR_CONFIG_DIR")"

# ---- zsh

# zcomp LINE: the same with `okr completion zsh` in a zsh after compinit:
# _okr with words, CURRENT and PREFIX as zsh sets them, and compadd and
# _files standing in for zsh's (the latter prints FILES).
zcomp() {
    ZDUMP=$dir/zcompdump zsh -f -c '
        autoload -Uz compinit && compinit -u -d "$ZDUMP" || exit 7
        source <(okr completion zsh) || exit 9
        compadd() { [[ $1 == -- ]] && shift; print -l -- "$@"; }
        _files() { print FILES; }
        words=("${(@s: :)1}")
        CURRENT=${#words}
        PREFIX=${words[CURRENT]}
        _okr
    ' zcomp "$1" >"$dir/out" 2>"$dir/err"
}

expect 0 "okr completion zsh loads in zsh after compinit" -- \
    zsh -f -c 'autoload -Uz compinit && compinit -u -d "$1/zcompdump" &&
        source <(okr completion zsh) && print -r -- "$_comps[okr]"' zsh "$dir"
check "without a word on stderr" -- test ! -s "$dir/err"
check "and completes okr with _okr" -- grep -qx _okr "$dir/out"
zcompletes "okr ch" checkin
zcompletes "okr obj " add list show edit rm archive
zcompletes "okr review --s" --since --stale-days --server
zcompletes "okr export --format=" --format=html --format=svg --format=dot --format=csv \
    --format=json --format=md
zcompletes "okr obj add 提升客户满意度 --vis" --visibility
zcompletes "okr import " FILES

# as a file in $fpath, autoloaded by compinit
mkdir -p "$dir/zfunc"
"$OKR" completion zsh >"$dir/zfunc/_okr"
expect 0 "okr completion zsh also works as _okr in \$fpath" -- \
    zsh -f -c 'fpath=("$1/zfunc" $fpath); autoload -Uz compinit && compinit -u -d "$1/zdump2"
        compadd() { [[ $1 == -- ]] && shift; print -l -- "$@"; }
        [[ $_comps[okr] == _okr ]] || exit 3
        words=(okr ch); CURRENT=2; PREFIX=ch; _okr' zsh "$dir"
check "and completes there" -- grep -qx checkin "$dir/out"
expect 0 "without compinit, sourcing it says what is missing" -- \
    zsh -f -c 'source <(okr completion zsh)'
check "(compinit)" -- grep -q compinit "$dir/err"

finish
