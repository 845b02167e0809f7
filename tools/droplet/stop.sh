#!/usr/bin/env bash
# tools/droplet/stop.sh [OUT] - power the demo droplet off cleanly:
# `rtctl poweroff` over SSH (rtinit, PID 1, stops every service,
# dependents first, unmounts the volume and powers off; QEMU then exits),
# or a SIGTERM to PID 1, which does the same, where that rtctl is older
# than the request or fails. Without SSH, it
# presses Ctrl-Alt-Del through QEMU's monitor (rtinit stops everything
# and reboots, which -no-reboot turns into QEMU's exit); QEMU is killed
# only if neither ends it in 90 s. Then checks the volume with e2fsck -n.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(realpath -m "${1:-$TOP/build/droplet}")
# shellcheck source=tools/droplet/lib.sh
source "$TOP/tools/droplet/lib.sh"
droplet_state "$OUT" || exit 0
wait_gone() {
    local i
    for ((i = 0; i < $1 * 5; i++)); do droplet_alive || return 0; sleep 0.2; done
    return 1
}
if droplet_alive; then
    echo "droplet: powering off (rtctl poweroff over SSH)"
    t0=$EPOCHREALTIME
    asked=0
    if droplet_ssh "$OUT" rtctl poweroff; then
        asked=1
    else
        echo "droplet: rtctl poweroff failed; kill -TERM 1 over SSH"
        droplet_ssh "$OUT" kill -TERM 1 && asked=1
    fi
    if [ $asked = 0 ] || ! wait_gone 60; then
        echo "droplet: no poweroff; Ctrl-Alt-Del through QEMU's monitor"
        python3 - "$OUT/monitor.sock" <<'PY' || true
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"sendkey ctrl-alt-delete\n"); time.sleep(0.5)
PY
        wait_gone 30 || { echo "droplet: QEMU still runs; killing it" >&2; kill "$QEMU_PID"; wait_gone 10 || true; }
    fi
    printf 'droplet: off in %.1f s\n' "$(bc <<<"$EPOCHREALTIME - $t0")"
fi
rm -f "$OUT/state"
if e2fsck -fn "$OUT/vol.img" >/dev/null 2>&1; then
    echo "droplet: the volume is clean (e2fsck -n)"
else
    echo "droplet: the volume is NOT clean: e2fsck -fn $OUT/vol.img" >&2
    exit 1
fi
