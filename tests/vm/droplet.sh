#!/usr/bin/env bash
# tests/vm/droplet.sh WORKDIR - boot rtinit as PID 1 (init=/usr/sbin/rtinit)
# under QEMU, with a conf.d, the busybox test image in /var/lib/rt and a
# second disk labelled "rtvol" as the block volume; once the stack runs,
# press Ctrl-Alt-Del (QEMU's monitor) and let rtinit take the machine
# down. Prints the serial console; leaves WORKDIR/vol.img to inspect.
set -euo pipefail
work=$1
# shellcheck source=tests/vm/lib.sh
source "$(dirname "$0")/lib.sh"
vm_check
root=$work/root
vm_root "$root"
vm_bin "$root" "$VM_TOP/${BUILD:-build}/rtinit" /usr/sbin/rtinit
vm_bin "$root" "$VM_TOP/${BUILD:-build}/rtctl" /usr/bin/rtctl
vm_modules "$root" overlay veth bridge nf_tables nft_chain_nat nft_masq nft_nat nft_ct nft_fib_ipv4 virtio_net
vm_busybox_image "$work/bbimg"
rm -rf "$work/imp"
"$VM_TOP/${BUILD:-build}/rtctl" --root "$work/imp" image import -q "$work/bbimg" bb:1
mkdir -p "$root/var/lib/rt" "$root/etc/rt"
# the droplet's users: peek.conf runs as app on the host
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/tmp:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' >"$root/etc/group"
mv "$work/imp/state/images" "$root/var/lib/rt/images"
cp -a "$(dirname "$0")/droplet-conf.d" "$root/etc/rt/conf.d"
rm -f "$work/disk.img" "$work/vol.img"
mke2fs -q -t ext4 -d "$root" "$work/disk.img" 512M >/dev/null
mke2fs -q -t ext4 -L rtvol "$work/vol.img" 64M >/dev/null
# QEMU's user-mode network: the droplet is 10.0.2.15 behind a NAT, and a
# free port of the host's loopback is forwarded to its port 8080 (web's
# published port); drive.py fetches it from the host
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export RT_VM_FETCH=http://127.0.0.1:$port/
exec python3 "$(dirname "$0")/drive.py" "$work" \
    qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -no-reboot \
    -kernel "$VM_KERNEL" -initrd "$VM_INITRD" \
    -append "root=/dev/vda rw console=ttyS0 init=/usr/sbin/rtinit quiet panic=-1" \
    -drive "file=$work/disk.img,format=raw,if=virtio" -drive "file=$work/vol.img,format=raw,if=virtio" \
    -nic "user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:$port-:8080" -monitor "unix:$work/monitor.sock,server,nowait"
