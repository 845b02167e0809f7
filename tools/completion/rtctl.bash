# bash completion for rtctl(8): verbs, options, services and images.
#
# Installed as share/bash-completion/completions/rtctl (make install); or
# `source tools/completion/rtctl.bash`. It needs nothing but bash: not the
# bash-completion package's helpers.
#
# What it completes comes from rtctl itself, so a new verb or option needs
# no change here: the verbs from `rtctl help --verbs`; a verb's options,
# which of them take a value, its subcommands and its operands from the
# help of `rtctl VERB --help` (its "usage:" lines, and the option lines
# that start with two spaces and a dash); services from `rtctl status
# --json` (rtinit must run), images from `rtctl image ls`.
# --conf and --root on the line are passed on to those calls.

# The words of the line, with those bash split at ':' (COMP_WORDBREAKS)
# joined again: "bb:1" is one image name. Sets _rtctl_w and _rtctl_cw.
_rtctl_join_words() {
    _rtctl_w=()
    _rtctl_cw=0
    local i w
    for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
        w=${COMP_WORDS[i]}
        if ((i > 0)) && [[ $COMP_WORDBREAKS == *:* ]] &&
            { [[ $w == : ]] || [[ ${COMP_WORDS[i - 1]} == : && ${#_rtctl_w[@]} -gt 1 ]]; }; then
            _rtctl_w[${#_rtctl_w[@]} - 1]+=$w
        else
            _rtctl_w+=("$w")
        fi
        ((i == COMP_CWORD)) && _rtctl_cw=$((${#_rtctl_w[@]} - 1))
    done
}

# The candidates in $@ that start with $cur, into COMPREPLY; the part of
# cur up to its last ':' taken off, as bash replaces only what follows.
_rtctl_reply() {
    local c
    COMPREPLY=()
    for c in "$@"; do
        [[ $c == "$cur"* ]] && COMPREPLY+=("$c")
    done
    if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
        local pre=${cur%"${cur##*:}"} i
        for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=${COMPREPLY[i]#"$pre"}; done
    fi
}

# Read `rtctl VERB --help`: _rtctl_opts (every option), _rtctl_optarg
# (option -> its value's placeholder, for those that take one),
# _rtctl_optsub (option -> the subcommand its text starts with, "rm: ...")
# and _rtctl_forms (the usage forms, without "rtctl ").
_rtctl_parse_help() {
    _rtctl_opts=()
    _rtctl_forms=()
    declare -gA _rtctl_optarg=() _rtctl_optsub=()
    local line spec part opt arg in_usage=0 p text
    local -a parts group
    while IFS= read -r line; do
        if [[ $line == "usage: rtctl "* || ($in_usage == 1 && $line == "       rtctl "*) ]]; then
            in_usage=1
            _rtctl_forms+=("${line#*rtctl }")
            continue
        fi
        if ((in_usage)) && [[ $line == "             "* ]]; then
            _rtctl_forms[${#_rtctl_forms[@]} - 1]+=" ${line#"${line%%[! ]*}"}"
            continue
        fi
        in_usage=0
        [[ $line == "  -"* ]] || continue
        spec=${line#  }
        spec=${spec%%  *}
        text=${line#"  $spec"}
        text=${text#"${text%%[! ]*}"}
        IFS=',' read -ra parts <<<"$spec"
        group=()
        arg=
        for part in "${parts[@]}"; do
            part=${part# }
            opt=${part%% *}
            [[ $part == *" "* ]] && arg=${part#* }
            group+=("$opt")
        done
        for p in "${group[@]}"; do
            _rtctl_opts+=("$p")
            [[ -n $arg ]] && _rtctl_optarg[$p]=$arg
            [[ $text =~ ^([a-z]+): ]] && _rtctl_optsub[$p]=${BASH_REMATCH[1]}
        done
    done < <("${_rtctl_cmd[@]}" "$@" --help 2>/dev/null)
}

# The operands' placeholders of a usage form, options left out:
# "logs [-f] [-n N] [SERVICE...]" -> SERVICE...
_rtctl_operands() {
    local form=$1 out= depth=0 group= c i
    for ((i = 0; i < ${#form}; i++)); do
        c=${form:i:1}
        if [[ $c == "[" ]]; then
            ((depth++ == 0)) && { group=; continue; }
        elif [[ $c == "]" ]]; then
            if ((--depth == 0)); then
                [[ $group == -* ]] || out+=" $group"
                continue
            fi
        fi
        if ((depth > 0)); then group+=$c; else out+=$c; fi
    done
    out=${out//[/}
    out=${out//]/}
    printf '%s\n' $out
}

# The services, from `rtctl status --json` (rtinit's answer, not the table
# a person reads, whose columns and colours may change): read by jq, or
# python3, or, with neither, by bash from the "name" field of each entry
# (rtctl indents by two: an entry's own fields, and only they, start with
# four spaces; a name with a quote or backslash, which conf.d never has,
# is left out).
_rtctl_services() {
    local json line re='^    "name": "([^"\\]*)",?$'
    json=$("${_rtctl_cmd[@]}" status --json 2>/dev/null) || return 0
    if command -v jq >/dev/null 2>&1; then
        jq -r '.[].name' <<<"$json" 2>/dev/null
    elif command -v python3 >/dev/null 2>&1; then
        python3 -c 'import json, sys
for s in json.load(sys.stdin):
    print(s["name"])' <<<"$json" 2>/dev/null
    else
        while IFS= read -r line; do
            [[ $line =~ $re ]] && printf '%s\n' "${BASH_REMATCH[1]}"
        done <<<"$json"
    fi
}

_rtctl_images() {
    "${_rtctl_cmd[@]}" image ls 2>/dev/null | awk 'NR > 1 { print $1 }'
}

# Candidates for a placeholder: SERVICE, IMAGE, PATH, DIR, VERB, SIGNAL, or
# literal alternatives (bridge|none|host).
_rtctl_complete_placeholder() {
    local ph=${1%...} verb=${2:-} alt
    local -a lits=()
    case $ph in
        SERVICE | SERVICE\|*)
            local -a s
            mapfile -t s < <(_rtctl_services)
            [[ $verb == logs ]] && s+=(rtinit)
            _rtctl_reply "${s[@]}" ;;
        IMAGE | NAME:TAG)
            [[ $ph == NAME:TAG ]] && return
            local -a im
            mapfile -t im < <(_rtctl_images)
            _rtctl_reply "${im[@]}" ;;
        VERB)
            local -a vs
            mapfile -t vs < <("${_rtctl_cmd[@]}" help --verbs 2>/dev/null)
            _rtctl_reply "${vs[@]}" ;;
        SIGNAL)
            mapfile -t COMPREPLY < <(compgen -A signal -- "$cur") ;;
        DIR)
            mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
        PATH | FILE | *PATH*)
            for alt in ${ph//|/ }; do [[ $alt == [a-z]* ]] && lits+=("$alt"); done
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            [[ ${#lits[@]} -gt 0 ]] && mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -W "${lits[*]}" -- "$cur") ;;
        *\|*)
            for alt in ${ph//|/ }; do [[ $alt == [a-z]* ]] && lits+=("$alt"); done
            _rtctl_reply "${lits[@]}" ;;
    esac
}

_rtctl() {
    local -a _rtctl_w _rtctl_cmd
    local _rtctl_cw
    _rtctl_join_words
    local cur=${_rtctl_w[_rtctl_cw]:-} prev=
    ((_rtctl_cw > 0)) && prev=${_rtctl_w[_rtctl_cw - 1]}
    COMPREPLY=()
    _rtctl_cmd=("${_rtctl_w[0]}")
    # --conf and --root, wherever they are, go to the rtctl run here too
    local i w verb= sub=
    local -a rest=()
    for ((i = 1; i < _rtctl_cw; i++)); do
        w=${_rtctl_w[i]}
        case $w in
            --conf | --root)
                ((i + 1 < _rtctl_cw)) && _rtctl_cmd+=("$w" "${_rtctl_w[i + 1]}")
                ((i++))
                continue ;;
            --conf=* | --root=*) _rtctl_cmd+=("$w"); continue ;;
        esac
        if [[ -z $verb && $w != -* ]]; then
            verb=$w
        elif [[ -n $verb ]]; then
            rest+=("$w")
        fi
    done
    case $prev in
        --conf | --root) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
    esac
    if [[ -z $verb ]]; then
        if [[ $cur == -* ]]; then
            _rtctl_reply --conf --root --help --version
        else
            _rtctl_complete_placeholder VERB
        fi
        return
    fi
    _rtctl_parse_help "$verb"
    # subcommands: the second word of each usage form, when it is one
    local -a subs=()
    local f
    for f in "${_rtctl_forms[@]}"; do
        read -r _ w _ <<<"$f"
        [[ $w =~ ^[a-z][a-z-]*$ ]] && subs+=("$w")
    done
    local -a operands=()
    local form=${_rtctl_forms[0]:-} skip=0
    for w in "${rest[@]}"; do
        if ((skip)); then skip=0; continue; fi
        if [[ $w == -* ]]; then
            [[ $w != *=* && -n ${_rtctl_optarg[$w]+x} ]] && skip=1
            continue
        fi
        operands+=("$w")
    done
    if ((${#subs[@]})); then
        if ((${#operands[@]} == 0)); then
            [[ $cur == -* ]] && _rtctl_reply "${_rtctl_opts[@]}" || _rtctl_reply "${subs[@]}"
            return
        fi
        sub=${operands[0]}
        operands=("${operands[@]:1}")
        for f in "${_rtctl_forms[@]}"; do
            read -r _ w _ <<<"$f"
            [[ $w == "$sub" ]] && form=$f
        done
        form=${form#* }
    fi
    form=${form#* }
    [[ $form == "$verb" || $form == "$sub" ]] && form=
    # the value of an option
    if [[ $prev == -* && -n ${_rtctl_optarg[$prev]+x} ]]; then
        _rtctl_complete_placeholder "${_rtctl_optarg[$prev]}" "$verb"
        return
    fi
    if [[ $cur == -* ]]; then
        local -a mine=()
        for w in "${_rtctl_opts[@]}"; do
            [[ -z $sub || -z ${_rtctl_optsub[$w]:-} || ${_rtctl_optsub[$w]} == "$sub" ]] && mine+=("$w")
        done
        _rtctl_reply "${mine[@]}"
        return
    fi
    local -a phs
    mapfile -t phs < <(_rtctl_operands "$form")
    local n=${#operands[@]} ph=
    if ((n < ${#phs[@]})); then
        ph=${phs[n]}
    elif ((${#phs[@]})) && [[ ${phs[${#phs[@]} - 1]} == *... ]]; then
        ph=${phs[${#phs[@]} - 1]}
    fi
    [[ -n $ph ]] && _rtctl_complete_placeholder "$ph" "$verb"
    return 0
}

complete -F _rtctl rtctl
