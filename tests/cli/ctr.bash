# tests/cli/ctr.bash - helpers for tests that run containers with rtctl
# from the test busybox image (tests/runtime/mkbusybox.sh: the host's
# static busybox, the static probe program, an app user). Sourced by
# runtime.sh and escapes.sh.
MKIMAGE="$TOP/tests/images/mkimage.py"
BBIMG="$TMP/runtime-busybox"
[ -d "$BBIMG" ] || "$TOP/tests/runtime/mkbusybox.sh" "$BBIMG" >/dev/null

# rt ARGS...: rtctl with this test's own root
rt() { timeout 60 "$RTCTL" --root "$PWD/root" "$@"; }
setup() { rt image import -q "$BBIMG" bb:1; }
field() { grep "^$1:" <<<"$out" | awk '{print $2}'; }
# wait_running NAME: until the container's state is written; cpid NAME: its host pid
wait_running() {
    for _ in $(seq 200); do [ -f "root/run/containers/$1/state.json" ] && return 0; sleep 0.05; done
    say "container $1 did not start"; return 1
}
cpid() { grep -o '"pid":[0-9]*' "root/run/containers/$1/state.json" | cut -d: -f2; }

# a "name=value" line of $out
assert_line() { grep -qxF -- "$1" <<<"$out" || { say "missing line: $1"; say "in: $out"; return 1; }; }

