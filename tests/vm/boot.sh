#!/usr/bin/env bash
# tests/vm/boot.sh WORKDIR SCRIPT - boot Debian's kernel under QEMU (TCG)
# on a root disk holding this build's rtctl and rtinit (with the libraries
# they link),
# a static busybox, the busybox test image (tests/runtime/mkbusybox.sh)
# and SCRIPT, which runs as PID 1 after a minimal set-up: /proc, /sys,
# devtmpfs, tmpfs /tmp and /run, cgroup2 at /sys/fs/cgroup with the
# memory, cpu, pids and io controllers enabled for children, and the
# overlay module. Everything the guest prints on its serial console goes
# to stdout; the machine powers off when SCRIPT ends.
#
# This tests the runtime under a full cgroup v2 hierarchy, which the
# development host lacks (rtinit only as a supervisor, for rtctl stats);
# tests/vm/droplet.py boots rtinit itself as init.
set -euo pipefail
work=$1 script=$2
# shellcheck source=tests/vm/lib.sh
source "$(dirname "$0")/lib.sh"
vm_check
root=$work/root
vm_root "$root"
vm_bin "$root" "$VM_TOP/${BUILD:-build}/rtctl" /usr/bin/rtctl
vm_bin "$root" "$VM_TOP/${BUILD:-build}/rtinit" /usr/sbin/rtinit
vm_modules "$root" overlay
vm_busybox_image "$work/bbimg"
mkdir -p "$root/img" && cp -a "$work/bbimg/." "$root/img/"
{
    printf '#!/bin/sh\nexport PATH=/usr/bin:/bin\n'
    printf 'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev\n'
    printf 'mount -t tmpfs tmp /tmp; mount -t tmpfs run /run\n'
    printf 'mount -t cgroup2 cgroup2 /sys/fs/cgroup\n'
    printf 'echo "+memory +cpu +pids +io" >/sys/fs/cgroup/cgroup.subtree_control\n'
    printf 'modprobe overlay\n'
    printf 'echo RT-READY\n'
    cat "$script"
    printf '\necho RT-DONE\npoweroff -f\n'
} >"$root/sbin/rt-test-init"
chmod 755 "$root/sbin/rt-test-init"
rm -f "$work/disk.img"
mke2fs -q -t ext4 -d "$root" "$work/disk.img" 512M
timeout 600 qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -no-reboot \
    -kernel "$VM_KERNEL" -initrd "$VM_INITRD" \
    -append "root=/dev/vda rw console=ttyS0 init=/sbin/rt-test-init quiet panic=-1" \
    -drive "file=$work/disk.img,format=raw,if=virtio" -nic none </dev/null
