#!/usr/bin/env bash
# tools/droplet/run.sh [OUT] - boot the demo droplet that build.sh made in
# OUT (default build/droplet) under QEMU, in the background, and return:
# Debian's kernel and initrd from /boot, rtinit as PID 1 (root=/dev/vda),
# OUT/vol.img as the block volume, the serial console in OUT/serial.log.
# QEMU's user-mode network forwards two free ports of the host's loopback:
# one to the droplet's SSH (22), one to the stack's first published port.
# Writes OUT/state (lib.sh) for stop.sh and tools/demo.sh.
#   RT_DROPLET_MEM (MiB, default 2048), RT_DROPLET_CPUS (2),
#   RT_DROPLET_SSH_PORT, RT_DROPLET_HTTP_PORT (host ports; default: free ones)
#   RT_DROPLET_CMDLINE (kernel arguments in place of "quiet", e.g. "printk.time=1")
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(realpath -m "${1:-$TOP/build/droplet}")
# shellcheck source=tests/vm/lib.sh
source "$TOP/tests/vm/lib.sh"
# shellcheck source=tools/droplet/lib.sh
source "$TOP/tools/droplet/lib.sh"
vm_check
[ -f "$OUT/root.img" ] || { echo "droplet: $OUT/root.img missing (tools/droplet/build.sh)" >&2; exit 1; }
if [ -f "$OUT/state" ] && droplet_state "$OUT" && droplet_alive; then
    echo "droplet: already running (QEMU pid $QEMU_PID; tools/droplet/stop.sh)" >&2
    exit 1
fi
# shellcheck disable=SC1091
source "$OUT/droplet.env"
ssh_port=${RT_DROPLET_SSH_PORT:-$(droplet_free_port)}
http_port=${RT_DROPLET_HTTP_PORT:-$(droplet_free_port)}
# RT_DROPLET_EXTRA_PORTS="6379 5672": more of the droplet's ports, each
# forwarded from a free port of the host's loopback (as EXTRA_PORTS in
# OUT/state, GUEST:HOST ...), for tests that check they do NOT answer
extra=() extra_state=()
for p in ${RT_DROPLET_EXTRA_PORTS:-}; do
    h=$(droplet_free_port)
    extra+=("hostfwd=tcp:127.0.0.1:$h-:$p")
    extra_state+=("$p:$h")
done
nic="user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$ssh_port-:22,hostfwd=tcp:127.0.0.1:$http_port-:$GUEST_PORT"
[ ${#extra[@]} -eq 0 ] || nic+=$(printf ',%s' "${extra[@]}")
rm -f "$OUT/state" "$OUT/qemu.pid" "$OUT/serial.log" "$OUT/monitor.sock"
started=$EPOCHREALTIME
# root=/dev/vda, not LABEL=rtroot: a label is found by the initrd's udev
# and blkid, which an initrd made on a machine without udev lacks, and
# then it gives up on the root and panics; the root disk is always QEMU's
# first drive. (rtinit finds the volume's label itself, with libblkid.)
# -no-reboot: a reboot (rtinit's answer to Ctrl-Alt-Del) ends QEMU as a
# poweroff does, so that either leaves the disks closed and clean
qemu-system-x86_64 -accel tcg -m "${RT_DROPLET_MEM:-2048}" -smp "${RT_DROPLET_CPUS:-2}" \
    -display none -no-reboot -daemonize -pidfile "$OUT/qemu.pid" \
    -kernel "$VM_KERNEL" -initrd "$VM_INITRD" \
    -append "root=/dev/vda rw console=ttyS0 ${RT_DROPLET_CMDLINE:-quiet} panic=-1" \
    -drive "file=$OUT/root.img,format=raw,if=virtio" -drive "file=$OUT/vol.img,format=raw,if=virtio" \
    -nic "$nic" \
    -serial "file:$OUT/serial.log" -monitor "unix:$OUT/monitor.sock,server,nowait"
cat >"$OUT/state" <<STATE
QEMU_PID=$(cat "$OUT/qemu.pid")
SSH_PORT=$ssh_port
HTTP_PORT=$http_port
GUEST_PORT=$GUEST_PORT
STARTED=$started
EXTRA_PORTS="${extra_state[*]}"
STATE
echo "droplet: booting (QEMU pid $(cat "$OUT/qemu.pid")); ssh on 127.0.0.1:$ssh_port, port $GUEST_PORT on 127.0.0.1:$http_port; console in $OUT/serial.log"
