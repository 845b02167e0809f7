#!/usr/bin/env bash
# tools/demo.sh - `make demo` (docs/demo.md): build the demo droplet's
# disks (tools/droplet/build.sh), boot it under QEMU (tools/droplet/run.sh),
# wait until every service is healthy, print `rtctl status` over SSH, the
# boot timeline and the gateway's answers to requests from the host; then
# leave it running. Ctrl-C (or `make demo-stop` from another terminal)
# powers it off cleanly. RT_DEMO_DETACH=1 returns at once instead of
# waiting, leaving the droplet to `make demo-stop`.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
BUILD=${BUILD:-build}
OUT=$TOP/$BUILD/droplet
# shellcheck source=tools/droplet/lib.sh
source tools/droplet/lib.sh

echo "== rtctl config check --conf conf.d (the shipped CodeCave stack)"
"./$BUILD/rtctl" config check --conf conf.d >/dev/null
# The stack: the real one (images/demo: redis, rabbitmq, the NestJS api,
# the nginx gateway; docs/demo.md) when it is in the tree, else the
# busybox stand-in of tools/droplet/stack. RT_DEMO_STACK=busybox forces
# the stand-in; RT_DROPLET_STACK and RT_DROPLET_IMAGES choose another.
if [ -z "${RT_DROPLET_STACK:-}" ] && [ "${RT_DEMO_STACK:-real}" = real ] && [ -x images/demo/build.sh ]; then
    echo
    echo "== building the real stack's images (images/demo/build.sh; cached once built)"
    bash images/demo/build.sh all "$TOP/$BUILD/demo-images"
    # only the images, not the .packages lists beside them
    rm -rf "$TOP/$BUILD/demo-import" && mkdir -p "$TOP/$BUILD/demo-import"
    for img in "$TOP/$BUILD/demo-images"/*; do
        [ -e "$img/index.json" ] && ln -s "$(readlink -f "$img")" "$TOP/$BUILD/demo-import/$(basename "$img")"
    done
    export RT_DROPLET_STACK=$TOP/images/demo/conf.d RT_DROPLET_IMAGES=$TOP/$BUILD/demo-import
    export RT_DROPLET_ROOT_SIZE=${RT_DROPLET_ROOT_SIZE:-4G}
fi
echo
echo "== building the demo droplet ($OUT)"
bash tools/droplet/build.sh "$OUT"
echo
echo "== booting it (QEMU, software emulation: about a minute)"
bash tools/droplet/run.sh "$OUT"
droplet_state "$OUT"
stop() { trap - INT TERM; echo; bash tools/droplet/stop.sh "$OUT"; exit 0; }
trap stop INT TERM
status=$(droplet_wait_healthy "$OUT" "${RT_DEMO_TIMEOUT:-400}") || { bash tools/droplet/stop.sh "$OUT" || true; exit 1; }
t_healthy=$EPOCHREALTIME
echo
echo "== ssh root@127.0.0.1 -p $SSH_PORT rtctl status"
printf '%s\n' "$status"

echo
echo "== boot timeline (seconds since QEMU started; guest times from /proc/uptime, the console and rtinit.log)"
bash tools/droplet/timeline.sh "$OUT" "$t_healthy"

echo
echo "== requests through the gateway's published port (127.0.0.1:$HTTP_PORT -> the droplet's $GUEST_PORT)"
url=http://127.0.0.1:$HTTP_PORT
echo "POST /api/events -> $(curl -sS -m 10 -X POST -H 'content-type: application/json' -d '{"type":"demo"}' \
    -w ' [HTTP %{http_code}]' "$url/api/events" 2>&1 || true)"
echo "GET /api/events/count -> $(curl -sS -m 10 -w ' [HTTP %{http_code}]' "$url/api/events/count" 2>&1 || true)"

echo
echo "The droplet runs. Log in:"
echo "  ssh -p $SSH_PORT -i $OUT/keys/id_ed25519 -o UserKnownHostsFile=$OUT/keys/known_hosts root@127.0.0.1"
echo "Its console: $OUT/serial.log. Stop it (a clean poweroff): make demo-stop"
if [ "${RT_DEMO_DETACH:-0}" = 1 ]; then trap - INT TERM; exit 0; fi
echo "or Ctrl-C here."
while droplet_alive; do sleep 1; done
trap - INT TERM
echo "droplet: QEMU has exited"
