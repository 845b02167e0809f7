#!/usr/bin/env bash
# tools/demo.sh - the main job: check the shipped CodeCave stack in conf.d,
# then boot a demo droplet: Debian's kernel in QEMU with rtinit as PID 1,
# a block volume, and a small stack from the busybox test image (web with
# an HTTP health check, api waiting for it to be healthy and writing to the
# volume). Ctrl-Alt-Del is pressed once the stack is up, and rtinit takes
# the machine down cleanly. The real stack's images (Kong, the NestJS API,
# Meilisearch, RabbitMQ, Redis) cannot be fetched on this machine; the
# check shows how rtinit would run them.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
echo "== rtctl config check --conf conf.d (the shipped stack)"
"./$BUILD/rtctl" config check --conf conf.d
work=$(mktemp -d /tmp/rt-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo
echo "== booting the demo droplet (QEMU, software emulation: about 40 s)"
bash tests/vm/droplet.sh "$work" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/^c\(rtinit\)/\1/' | grep -v '^\[\|SeaBIOS\|Booting from ROM\|^c$' || true
echo
echo "== what the droplet left on its block volume"
echo "data/hello: $(debugfs -R 'cat /data/hello' "$work/vol.img" 2>/dev/null)"
debugfs -R 'cat /log/api.log' "$work/vol.img" 2>/dev/null | sed 's/^/log\/api.log: /'
if e2fsck -fn "$work/vol.img" >/dev/null 2>&1; then echo "the volume was unmounted cleanly"; else echo "the volume is NOT clean"; exit 1; fi
