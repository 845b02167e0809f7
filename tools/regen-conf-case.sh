#!/usr/bin/env bash
# tools/regen-conf-case.sh CASE... - print (and with -w, write) the stderr that
# `rtctl config check` gives for a tests/conf/cases/ case, run exactly as
# tests/run runs it (in a copy, after the case's setup). Read the output
# before writing it: `expected` is what the user should see.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
write=0
if [ "${1:-}" = -w ]; then write=1; shift; fi
for c in "$@"; do
    dir="$top/tests/conf/cases/$(basename "$c")"
    work=$(mktemp -d)
    cp -a "$dir/." "$work/"
    if [ -f "$work/setup" ]; then (cd "$work" && bash ./setup); fi
    (cd "$work" && "$top/${BUILD:-build}/rtctl" config check --conf conf.d >/dev/null 2>"$work/.stderr") || true
    echo "== $(basename "$dir")"
    cat "$work/.stderr"
    if [ $write = 1 ]; then cp "$work/.stderr" "$dir/expected"; fi
    rm -rf "$work"
done
