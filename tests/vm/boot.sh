#!/usr/bin/env bash
# tests/vm/boot.sh WORKDIR SCRIPT - boot Debian's kernel under QEMU (TCG)
# on a root disk holding this build's rtctl (with the libraries it links),
# a static busybox, the busybox test image (tests/runtime/mkbusybox.sh)
# and SCRIPT, which runs as PID 1 after a minimal set-up: /proc, /sys,
# devtmpfs, tmpfs /tmp and /run, cgroup2 at /sys/fs/cgroup with the
# memory, cpu, pids and io controllers enabled for children, and the
# overlay module. Everything the guest prints on its serial console goes
# to stdout; the machine powers off when SCRIPT ends.
#
# Until rtinit can be PID 1 (issue 5), this is how the runtime is tested
# with a full cgroup v2 hierarchy, which the development host lacks.
set -euo pipefail
work=$1 script=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=$(ls /lib/modules | sort -V | tail -n 1)
kernel=/boot/vmlinuz-$kver initrd=/boot/initrd.img-$kver
for f in "$kernel" "$initrd"; do
    [ -r "$f" ] || { echo "boot.sh: $f missing (apt-get install linux-image-amd64)" >&2; exit 1; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "boot.sh: qemu-system-x86_64 missing" >&2; exit 1; }

root=$work/root
rm -rf "$root" && mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,lib,lib64,usr/bin,img}
cp "$(command -v busybox)" "$root/bin/busybox"
for a in $(busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"; done
# rtctl and every shared library it loads, at the same paths
rtctl=$top/${BUILD:-build}/rtctl
cp "$rtctl" "$root/usr/bin/rtctl"
for lib in $(ldd "$rtctl" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"
done
mkdir -p "$root/lib/modules"
cp "/lib/modules/$kver/kernel/fs/overlayfs/overlay.ko" "$root/lib/modules/"
[ -d "$work/bbimg" ] || "$top/tests/runtime/mkbusybox.sh" "$work/bbimg" >/dev/null
cp -a "$work/bbimg/." "$root/img/"
printf 'nameserver 127.0.0.1\n' >"$root/etc/resolv.conf"
{
    printf '#!/bin/sh\nexport PATH=/usr/bin:/bin\n'
    printf 'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev\n'
    printf 'mount -t tmpfs tmp /tmp; mount -t tmpfs run /run\n'
    printf 'mount -t cgroup2 cgroup2 /sys/fs/cgroup\n'
    printf 'echo "+memory +cpu +pids +io" >/sys/fs/cgroup/cgroup.subtree_control\n'
    printf 'insmod /lib/modules/overlay.ko\n'
    printf 'echo RT-READY\n'
    cat "$script"
    printf '\necho RT-DONE\npoweroff -f\n'
} >"$root/sbin/rt-test-init"
chmod 755 "$root/sbin/rt-test-init"
rm -f "$work/disk.img"
mke2fs -q -t ext4 -d "$root" "$work/disk.img" 512M
timeout 600 qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -no-reboot \
    -kernel "$kernel" -initrd "$initrd" \
    -append "root=/dev/vda rw console=ttyS0 init=/sbin/rt-test-init quiet panic=-1" \
    -drive "file=$work/disk.img,format=raw,if=virtio" -nic none </dev/null
