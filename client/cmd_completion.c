/* cmd_completion.c — okr completion bash|zsh: the scripts that make the
 * shell complete okr's command lines. Each only passes the words typed to
 * okr __complete (complete.h) and hands its answer to the shell, so that
 * what is offered comes from okr's own tables. */
#include "cli.h"

#include <stdio.h>

#include "cmd_kit.h"
#include "complete.h"

static const char completion_usage[] =
    "Usage: okr completion bash|zsh\n"
    "\n"
    "Prints a script with which bash or zsh complete okr's command lines on\n"
    "TAB: the commands, their sub-commands and --options (the global ones too),\n"
    "the words of options that take one of a fixed set (export --format,\n"
    "report --format, kr add --metric, obj edit --kind|--visibility|--state,\n"
    "user add --role, user role), and file names where a file goes (--ca FILE,\n"
    "export -o FILE, import FILE.csv). Type - then TAB for the options.\n"
    "\n"
    "Names of objectives, key results, teams, cycles and users are not\n"
    "completed: only the server knows them, and completing never connects,\n"
    "asks anything or waits.\n"
    "\n"
    "bash: in ~/.bashrc (or in this shell, for now)\n"
    "  source <(okr completion bash)\n"
    "or for everyone, where bash-completion looks:\n"
    "  okr completion bash > /usr/share/bash-completion/completions/okr\n"
    "\n"
    "zsh: in ~/.zshrc, after compinit\n"
    "  source <(okr completion zsh)\n"
    "or as a file in a directory of $fpath (then run compinit again):\n"
    "  okr completion zsh > ~/.zsh/completions/_okr\n"
    "\n"
    "The script asks okr itself what fits (okr __complete WORDS...), so it\n"
    "follows okr's commands and options as they change: an upgrade of okr\n"
    "needs no new script.\n"
    "\n"
    "Options: the global ones (okr --help).\n";

/* bash: the words as okr will read them (bash splits "--format=md" and
 * "host:7433" at COMP_WORDBREAKS), okr's candidates for the last, and file
 * names when okr says OKR_COMPLETE_FILES. */
static const char completion_bash[] =
    "# bash completion for okr. Load it with: source <(okr completion bash)\n"
    "# or install it as /usr/share/bash-completion/completions/okr.\n"
    "# okr itself says what fits (okr __complete WORDS...), from the tables it\n"
    "# reads its command line with; it never connects to the server.\n"
    "_okr_complete()\n"
    "{\n"
    "    local line=${COMP_LINE:0:COMP_POINT} words=() cur=\"\" i w glue\n"
    "    local okr out prefix cand files=0\n"
    "    # okr reads --format=md or host:7433 as one word, which bash splits at\n"
    "    # COMP_WORDBREAKS: glue back the pieces with no blank in between.\n"
    "    for ((i = 0; i <= COMP_CWORD; i++)); do\n"
    "        w=${COMP_WORDS[i]}\n"
    "        glue=1\n"
    "        [[ $line == [[:blank:]]* ]] && glue=0\n"
    "        line=${line#\"${line%%[![:blank:]]*}\"}\n"
    "        if ((i == COMP_CWORD)); then\n"
    "            w=$line\n"
    "            cur=$w\n"
    "        fi\n"
    "        if [[ $line == \"$w\"* ]]; then\n"
    "            line=${line#\"$w\"}\n"
    "        else # not where it was expected (a line before okr's?): after it\n"
    "            line=${line#*\"$w\"}\n"
    "            glue=0\n"
    "        fi\n"
    "        if ((glue && i > 1)); then\n"
    "            words[${#words[@]} - 1]+=$w\n"
    "        else\n"
    "            words+=(\"$w\")\n"
    "        fi\n"
    "    done\n"
    "    okr=${COMP_WORDS[0]}\n"
    "    [[ $okr == \\~/* ]] && okr=$HOME/${okr:2}\n"
    "    type -P \"$okr\" >/dev/null || okr=okr\n"
    "    out=$(\"$okr\" __complete \"${words[@]:1}\" 2>/dev/null) || return 0\n"
    "    # What bash replaces: the word after its last break (\"\" after \"--format=\").\n"
    "    [[ $cur =~ ^[=:]+$ ]] && cur=\"\"\n"
    "    prefix=${words[${#words[@]} - 1]}\n"
    "    prefix=${prefix%\"$cur\"}\n"
    "    COMPREPLY=()\n"
    "    while IFS= read -r cand; do\n"
    "        if [[ $cand == " OKR_COMPLETE_FILES " ]]; then\n"
    "            files=1\n"
    "        elif [[ -n $cand && $cand == \"$prefix\"* ]]; then\n"
    "            COMPREPLY+=(\"${cand#\"$prefix\"}\")\n"
    "        fi\n"
    "    done <<<\"$out\"\n"
    "    if ((files)); then\n"
    "        compopt -o filenames 2>/dev/null\n"
    "        while IFS= read -r cand; do\n"
    "            COMPREPLY+=(\"$cand\")\n"
    "        done < <(compgen -f -- \"$cur\")\n"
    "    fi\n"
    "    return 0\n"
    "}\n"
    "complete -F _okr_complete okr\n";

/* zsh: compadd with okr's candidates, _files when it says so. Loaded
 * by source after compinit, or autoloaded from $fpath as _okr. */
static const char completion_zsh[] =
    "#compdef okr\n"
    "# zsh completion for okr. Load it after compinit with:\n"
    "#   source <(okr completion zsh)\n"
    "# or save it as _okr in a directory of $fpath.\n"
    "# okr itself says what fits (okr __complete WORDS...), from the tables it\n"
    "# reads its command line with; it never connects to the server.\n"
    "_okr() {\n"
    "    local okr=${(Q)words[1]} out line files=0\n"
    "    local -a cands\n"
    "    [[ $okr == \\~/* ]] && okr=$HOME/${okr#\\~/}\n"
    "    (( $+commands[$okr] )) || [[ -x $okr ]] || okr=okr\n"
    "    out=$(\"$okr\" __complete \"${(@)words[2,CURRENT-1]}\" \"$PREFIX\" 2>/dev/null) || return "
    "1\n"
    "    for line in \"${(@f)out}\"; do\n"
    "        if [[ $line == " OKR_COMPLETE_FILES " ]]; then\n"
    "            files=1\n"
    "        elif [[ -n $line ]]; then\n"
    "            cands+=(\"$line\")\n"
    "        fi\n"
    "    done\n"
    "    (( $#cands )) && compadd -- \"${cands[@]}\"\n"
    "    if (( files )); then\n"
    "        [[ $PREFIX == --*=* ]] && compset -P '*='\n"
    "        _files\n"
    "    fi\n"
    "    return 0\n"
    "}\n"
    "\n"
    "if [[ ${funcstack[1]} == _okr ]]; then\n"
    "    _okr \"$@\"\n"
    "elif (( $+functions[compdef] )); then\n"
    "    compdef _okr okr\n"
    "else\n"
    "    print -u2 \"okr: zsh completion needs compinit first: autoload -Uz compinit && "
    "compinit\"\n"
    "fi\n";

/* Prints script, after reading the options (the global ones and --help). */
static int completion__print(okr_cli_t *cli, int argc, char **argv, const char *command,
                             const char *script)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = command;
    cli->usage = completion_usage;
    int rc = okr_kit_options(cli, argc, argv, "", longopts, NULL, NULL);
    if (rc < 0)
        rc = okr_kit_positional(cli, argc, argv, 0, 0, "");
    if (rc >= 0)
        return rc;
    fputs(script, stdout);
    return fflush(stdout) == 0 ? OKR_EXIT_OK : OKR_EXIT_ERROR;
}

static int completion__bash(okr_cli_t *cli, int argc, char **argv)
{
    return completion__print(cli, argc, argv, "completion bash", completion_bash);
}

static int completion__zsh(okr_cli_t *cli, int argc, char **argv)
{
    return completion__print(cli, argc, argv, "completion zsh", completion_zsh);
}

int okr_cmd_completion(okr_cli_t *cli, int argc, char **argv)
{
    static const okr_kit_sub_t subs[] = {{"bash", completion__bash}, {"zsh", completion__zsh}};
    return okr_kit_dispatch(cli, argc, argv, "completion", completion_usage, subs,
                            sizeof subs / sizeof subs[0]);
}
