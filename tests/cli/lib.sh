#!/usr/bin/env bash
# tests/cli/lib.sh FILE - run every function test_* defined in FILE, each in
# its own subshell and scratch directory, printing "ok NAME" or "FAIL NAME"
# with the reason. Helpers for the tests are defined here.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
RTCTL="$TOP/$BUILD/rtctl"
RTINIT="$TOP/$BUILD/rtinit"
SHIPPED="$TOP/conf.d"

# run CMD... : capture stdout in $out, stderr in $err, status in $rc
run() {
    local o e
    o=$(mktemp) e=$(mktemp)
    rc=0
    "$@" >"$o" 2>"$e" || rc=$? # under set -e: capture the status, do not exit
    out=$(cat "$o") err=$(cat "$e")
    rm -f "$o" "$e"
}

say() { printf '%s\n' "$*" >&2; }
assert_rc() { [ "$rc" = "$1" ] || { say "exit status $rc, expected $1"; say "stderr: $err"; return 1; }; }
assert_in() { # assert_in "$haystack" needle
    grep -qF -- "$2" <<<"$1" || { say "missing: $2"; say "in: $(head -c 2000 <<<"$1")"; return 1; }
}
# before A B: the first line of $out containing A comes before the first with B
before() {
    local a b
    a=$(grep -nF -- "$1" <<<"$out" | head -n 1 | cut -d: -f1)
    b=$(grep -nF -- "$2" <<<"$out" | head -n 1 | cut -d: -f1)
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] || { say "'$1' not before '$2' in: $out"; return 1; }
}
assert_not_in() {
    ! grep -qF -- "$2" <<<"$1" || { say "unexpected: $2"; return 1; }
}
# skip REASON: end the test here as passed, the ok line saying
# "(skipped: REASON)". Only for what the machine cannot do at all (the
# real-stack suite without its package sources), never to hide a failure.
skip() {
    printf '%s\n' "$*" >"$SKIPPED"
    exit 0
}

# A conf.d with droplet.conf and the given service files, each given as
# NAME followed by its text, in $PWD/conf.d.
mkconf() {
    mkdir -p conf.d
    : >conf.d/droplet.conf
    while [ $# -gt 0 ]; do
        printf '%s\n' "$2" >"conf.d/$1.conf"
        shift 2
    done
}

# shellcheck disable=SC1090
source "$1"
# ONLY=REGEX runs only the tests whose names match (while developing);
# EXCEPT=REGEX leaves out those whose names match (tests/run's ASan pass).
for t in $(declare -F | awk '{print $3}' | grep '^test_' | grep -E -- "${ONLY:-.}" | grep -v -E -- "${EXCEPT:-^$}"); do
    dir=$(mktemp -d "${TMP:-/tmp}/cli.XXXXXX")
    log="$dir.log"
    SKIPPED="$dir.skipped"
    # Not "(cd && set -e && t)": bash ignores set -e inside a function
    # called from an && list, and a failed assertion would go unnoticed.
    # The subshell must run as a plain command for set -e to hold in it.
    (
        cd "$dir" || exit 1
        set -e
        "$t"
    ) 2>"$log"
    status=$?
    if [ "$status" = 0 ] && [ -s "$SKIPPED" ]; then
        echo "ok $(basename "$1" .sh): ${t#test_} (skipped: $(head -n 1 "$SKIPPED"))"
    elif [ "$status" = 0 ]; then
        echo "ok $(basename "$1" .sh): ${t#test_}"
    else
        echo "FAIL $(basename "$1" .sh): ${t#test_}"
        sed 's/^/  /' "$log"
    fi
    # A failed test may leave mounts behind: detach them before removing.
    awk -v d="$dir/" '{ if (index($5, d) == 1) print $5 }' /proc/self/mountinfo | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null; done
    rm -rf "$dir" "$log" "$SKIPPED"
done
