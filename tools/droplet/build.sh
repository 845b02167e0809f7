#!/usr/bin/env bash
# tools/droplet/build.sh [OUT] - the demo droplet's disks (docs/demo.md):
#
#   OUT/root.img   ext4, label rtroot: a small Debian 12 root (mmdebstrap),
#                  rtinit as /sbin/init, rtctl, the kernel's modules that
#                  the stack needs, the stack's conf.d in /etc/rt/conf.d, a
#                  generated /etc/rt/secrets.env (0600), sshd's keys, and the
#                  images to import at first boot in /usr/share/rt/images
#   OUT/vol.img    ext4, the block volume, labelled as [volume] device =
#                  LABEL=... in the stack's droplet.conf says; made once and
#                  kept (it holds the services' data and logs), unless
#                  RT_DROPLET_FRESH=1
#   OUT/keys/      tools/sshkeys.sh: the host key and the operator's key
#                  (id_ed25519, for ssh -i), made once and kept
#   OUT/secrets.env  the stack's secrets, random, made with the volume and
#                  kept as long as it is (the services' data holds them)
#
# /etc/rt/conf.d is the droplet's own files, tools/droplet/base
# (droplet.conf: the VM's modules, [uplink], [volume] label, logs;
# import.conf; sshd.conf, a link to the shipped one), and the stack's
# service files, each that runs an image given depends_on =
# import:completed. The stack is a parameter (docs/demo.md, "Another
# stack"):
#   RT_DROPLET_STACK   a conf.d directory (default tools/droplet/stack, a
#                      busybox stand-in); its droplet.conf, if any, is not
#                      used; its secrets.keys or secrets.env.example names
#                      the secrets to make
#   RT_DROPLET_IMAGES  a directory of images to import at first boot: each
#                      entry an OCI layout directory or an archive (OCI or
#                      docker-save), or a link to one; one named NAME:TAG
#                      or NAME:TAG.tar is imported as NAME:TAG, another
#                      under the name it gives itself; default: the
#                      busybox test image as bb:1
#
# The Debian root (mmdebstrap's tarball) is cached in RT_DROPLET_CACHE
# (default ~/.cache/rt-droplet), keyed by the suite, variant, package list
# and mmdebstrap's version: only the first build downloads packages.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(realpath -m "${1:-$TOP/build/droplet}")
BUILD=${BUILD:-build}
BASE=$TOP/tools/droplet/base
STACK=${RT_DROPLET_STACK:-$TOP/tools/droplet/stack}
IMAGES=${RT_DROPLET_IMAGES:-}
CACHE=${RT_DROPLET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rt-droplet}
ROOT_SIZE=${RT_DROPLET_ROOT_SIZE:-2G}
VOL_SIZE=${RT_DROPLET_VOL_SIZE:-1G}
# shellcheck source=tests/vm/lib.sh
source "$TOP/tests/vm/lib.sh"

suite=bookworm
variant=essential
t0=$EPOCHREALTIME
for f in "$BUILD/rtinit" "$BUILD/rtctl"; do
    [ -x "$TOP/$f" ] || { echo "droplet: $TOP/$f missing (make)" >&2; exit 1; }
done
# essential is dpkg, a shell, coreutils, util-linux...; with it, the
# packages of the libraries rtinit and rtctl link (as ldd finds them
# here: libseccomp2, libmnl0...), libkmod2 (rtinit opens it with dlopen),
# sshd, and tools to look at the droplet with.
# The packages are named here, not only asked of dpkg: a CI machine's
# `dpkg -S` found none of them (its root then lacked libseccomp, and the
# kernel's exec of rtinit ended in ld.so's exit 127, a panic at boot).
# This is the runtime side of the Makefile's PKGS; an ASan build adds
# gcc's sanitizer runtimes; dpkg adds whatever else ldd lists.
linked=$(ldd "$TOP/$BUILD/rtinit" "$TOP/$BUILD/rtctl")
named=(libblkid1 libc6 libcap2 libinih1 libjansson4 libmnl0 libnftnl11 libseccomp2 zlib1g libzstd1)
grep -q 'libasan\.so\.8' <<<"$linked" && named+=(libasan8)
grep -q 'libubsan\.so\.1' <<<"$linked" && named+=(libubsan1)
mapfile -t libpkgs < <({
    printf '%s\n' "${named[@]}"
    for lib in $(grep -o '/[^ ]*\.so[^ ]*' <<<"$linked" | sort -u); do
        dpkg -S "*/$(basename "$lib")" 2>/dev/null | head -n 1 | cut -d: -f1 | grep . ||
            echo "droplet: dpkg -S does not know $lib (the named packages are used)" >&2
    done
} | sort -u)
packages=("${libpkgs[@]}" libkmod2 kmod openssh-server e2fsprogs iproute2 procps less)
[ -d "$STACK" ] || { echo "droplet: $STACK: no such directory" >&2; exit 1; }
CONF=$BASE
command -v mmdebstrap >/dev/null || { echo "droplet: mmdebstrap missing (tools/deps.sh)" >&2; exit 1; }
# shellcheck source=tools/droplet/lib.sh
source "$TOP/tools/droplet/lib.sh"
if [ -f "$OUT/state" ] && droplet_state "$OUT" && droplet_alive; then
    echo "droplet: $OUT is running (QEMU pid $QEMU_PID): stop it first (tools/droplet/stop.sh, make demo-stop)" >&2
    exit 1
fi
mkdir -p "$OUT" "$CACHE"

# 1. Debian's root, from the cache when its inputs are the same
key=$(printf '%s\n' "$suite" "$variant" "${packages[@]}" "$(mmdebstrap --version)" | sha256sum | cut -c1-16)
tarball=$CACHE/debian-$suite-$variant-$key.tar
if [ -f "$tarball" ]; then
    echo "droplet: Debian $suite root from the cache ($tarball)"
else
    echo "droplet: Debian $suite root with mmdebstrap (first build: a few minutes): ${packages[*]}"
    mmdebstrap --quiet --format=tar --variant="$variant" --include="$(IFS=,; echo "${packages[*]}")" \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        "$suite" "$tarball.tmp"
    mv "$tarball.tmp" "$tarball"
    # older tarballs of other inputs are of no more use, but for the one
    # before: the ASan build's libraries make another key, and `make check`
    # with CHECK_ASAN=1 builds both in turn
    find "$CACHE" -name 'debian-*.tar' -printf '%T@ %p\n' | sort -rn | awk 'NR > 2 {print $2}' | xargs -r rm -f
fi
t_debian=$EPOCHREALTIME

root=$OUT/root
rm -rf "$root" && mkdir -p "$root"
tar -C "$root" -xpf "$tarball" --numeric-owner

# 2. rt: rtinit as /sbin/init, rtctl where an SSH session finds it
install -D -m 0755 "$TOP/$BUILD/rtinit" "$root/usr/sbin/rtinit"
install -D -m 0755 "$TOP/$BUILD/rtctl" "$root/usr/sbin/rtctl"
rm -f "$root/sbin/init" && ln -s /usr/sbin/rtinit "$root/sbin/init"
# rtinit was linked here, against this machine's libraries: the root's
# must satisfy it, or the kernel's first exec fails (ld.so exits 127) and
# the droplet panics at boot with nothing on the console to say why.
# ldd in the root (ld.so --list) needs no /proc and runs nothing of ours.
for f in rtinit rtctl; do
    if ! linked=$(chroot "$root" /usr/bin/ldd "/usr/sbin/$f" 2>&1) || grep -q 'not found' <<<"$linked"; then
        echo "droplet: $BUILD/$f cannot run in the Debian root (its libraries there):" >&2
        printf '%s\n' "$linked" | grep -v '=> /' >&2
        exit 1
    fi
done

# 3. the host kernel's modules that [droplet] modules names, with what
# they depend on (the same kernel boots: /boot's, tests/vm/lib.sh)
# shellcheck disable=SC2046
modules=$(sed -n 's/^[[:space:]]*modules[[:space:]]*=[[:space:]]*//p' "$CONF/droplet.conf" | head -n 1)
# shellcheck disable=SC2086
vm_modules "$root" $modules
depmod -b "$root" "$VM_KVER"

# 4. the stack: conf.d, secrets, the droplet's name
mkdir -p "$root/etc/rt/conf.d"
cp -L "$BASE"/*.conf "$root/etc/rt/conf.d/"
for f in "$STACK"/*.conf; do
    [ "$(basename "$f")" != droplet.conf ] || continue
    # every service that runs an image waits for the import (import.conf)
    if grep -q '^[[:space:]]*image[[:space:]]*=' "$f"; then
        sed '0,/^\[service\]/s//[service]\n# added by tools\/droplet\/build.sh: the image is imported at boot\ndepends_on = import:completed/' "$f"
    else
        cat "$f"
    fi >"$root/etc/rt/conf.d/$(basename "$f")"
done
keys=
for k in "$STACK/secrets.keys" "$STACK/secrets.env.example" "$STACK/../secrets.env.example"; do
    [ -f "$k" ] && { keys=$k; break; }
done
# The secrets live as long as the volume: RabbitMQ keeps the user and
# password of its first start in its database there, and refuses new ones
# (a rebuild that made new secrets for a kept volume left the api locked
# out of the queue). OUT/secrets.env is made with the volume, and a later
# build only adds the secrets it lacks.
if [ "${RT_DROPLET_FRESH:-0}" = 1 ] || [ ! -f "$OUT/vol.img" ]; then
    rm -f "$OUT/secrets.env"
fi
umask 077
[ -f "$OUT/secrets.env" ] || echo "# made by tools/droplet/build.sh at $(date -u +%FT%TZ), with the volume" >"$OUT/secrets.env"
if [ -n "$keys" ]; then
    sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\)\(=.*\)\{0,1\}[[:space:]]*$/\1/p' "$keys" | while read -r k; do
        # letters and digits: they go into URLs and quoted strings
        grep -q "^$k=" "$OUT/secrets.env" || printf '%s=%s\n' "$k" "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >>"$OUT/secrets.env"
    done
fi
umask 022
install -m 0600 "$OUT/secrets.env" "$root/etc/rt/secrets.env"
hostname=$(sed -n 's/^[[:space:]]*hostname[[:space:]]*=[[:space:]]*//p' "$CONF/droplet.conf" | head -n 1)
echo "${hostname:-droplet}" >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "${hostname:-droplet}" >"$root/etc/hosts"
printf 'nameserver 10.0.2.3\n' >"$root/etc/resolv.conf"
# root logs in with a key only: no password
sed -i 's/^root:[^:]*:/root:*:/' "$root/etc/shadow"

# 5. SSH: the keys (made once, kept in OUT/keys) installed where sshd looks
rm -f "$root"/etc/ssh/ssh_host_*
bash "$TOP/tools/sshkeys.sh" "$OUT/keys" "$root" >/dev/null

# 6. images imported at first boot by the import service (import.conf)
mkdir -p "$root/usr/share/rt/images" "$root/var/lib/rt"
if [ -z "$IMAGES" ]; then
    vm_busybox_image "$OUT/bbimg"
    cp -a "$OUT/bbimg" "$root/usr/share/rt/images/bb:1"
else
    cp -aL "$IMAGES"/. "$root/usr/share/rt/images/"
fi
install -m 0755 "$TOP/tools/droplet/import-images" "$root/usr/sbin/rt-import-images"

# 7. the disks
rm -f "$OUT/root.img"
mke2fs -q -t ext4 -L rtroot -d "$root" "$OUT/root.img" "$ROOT_SIZE" >/dev/null
label=$(sed -n 's/^[[:space:]]*device[[:space:]]*=[[:space:]]*LABEL=//p' "$CONF/droplet.conf" | head -n 1)
if [ "${RT_DROPLET_FRESH:-0}" = 1 ] || [ ! -f "$OUT/vol.img" ]; then
    rm -f "$OUT/vol.img"
    mke2fs -q -t ext4 ${label:+-L "$label"} "$OUT/vol.img" "$VOL_SIZE" >/dev/null
fi
# what run.sh forwards: the stack's first published port (ports =
# [IP:]HOST:CONTAINER[/tcp]: its HOST part), or RT_DROPLET_PORT
ports=$(cat "$root"/etc/rt/conf.d/*.conf | sed -n 's/^[[:space:]]*ports[[:space:]]*=[[:space:]]*//p' | head -n 1 | awk '{print $1}')
ports=${ports%/*}
IFS=: read -r -a parts <<<"$ports"
guest=${parts[${#parts[@]} - 2]:-}
echo "GUEST_PORT=${RT_DROPLET_PORT:-${guest:-80}}" >"$OUT/droplet.env"
rm -rf "$root"
t_end=$EPOCHREALTIME
printf 'droplet: %s (Debian root %.1f s, the rest %.1f s)\n' "$OUT" \
    "$(bc <<<"$t_debian - $t0")" "$(bc <<<"$t_end - $t_debian")"
