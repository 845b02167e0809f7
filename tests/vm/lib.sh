# tests/vm/lib.sh - building root disks for QEMU tests (sourced).
# Debian's kernel and initrd boot them under TCG: KVM is not usable here.

VM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM_KVER=$(ls /lib/modules | sort -V | tail -n 1)
VM_KERNEL=/boot/vmlinuz-$VM_KVER
VM_INITRD=/boot/initrd.img-$VM_KVER

vm_check() {
    local f
    for f in "$VM_KERNEL" "$VM_INITRD"; do
        [ -r "$f" ] || { echo "vm: $f missing (apt-get install linux-image-amd64)" >&2; return 1; }
    done
    command -v qemu-system-x86_64 >/dev/null || { echo "vm: qemu-system-x86_64 missing" >&2; return 1; }
}

# vm_root DIR: a root with a static busybox and its applets, and the
# usual empty mount points
vm_root() {
    local root=$1 a
    rm -rf "$root" && mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,lib,lib64,usr/bin,usr/sbin,var,mnt}
    cp "$(command -v busybox)" "$root/bin/busybox"
    for a in $(busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"; done
    printf 'nameserver 127.0.0.1\n' >"$root/etc/resolv.conf"
}

# vm_bin DIR BIN DEST: copy BIN to DIR/DEST with every shared library it
# loads, at the same paths
vm_bin() {
    local root=$1 bin=$2 dest=$3 lib
    mkdir -p "$root$(dirname "$dest")"
    cp "$bin" "$root$dest"
    for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
        mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"
    done
    # rtinit opens libkmod with dlopen at boot (init/pid1.c): ldd does not see it
    if [ "$(basename "$bin")" = rtinit ]; then
        local kmod
        kmod=$(ldconfig -p | awk '$1 == "libkmod.so.2" && /x86-64/ && !found { print $NF; found = 1 }')
        for lib in "$kmod" $(ldd "$kmod" | grep -o '/[^ ]*'); do
            mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"
        done
    fi
}

# vm_modules DIR MODULE...: the modules (and what they depend on) with
# the depmod indexes, for libkmod or insmod
vm_modules() {
    local root=$1 m f
    shift
    local dst=$root/lib/modules/$VM_KVER
    mkdir -p "$dst"
    cp /lib/modules/"$VM_KVER"/modules.* "$dst/"
    for m in "$@"; do
        for f in $(modprobe -S "$VM_KVER" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" {print $2}'); do
            mkdir -p "$root$(dirname "$f")" && cp "$f" "$root$f"
        done
    done
}

# vm_image DIR: the busybox test image, built once per DIR's parent
vm_busybox_image() {
    local out=$1
    [ -d "$out" ] || "$VM_TOP/tests/runtime/mkbusybox.sh" "$out" >/dev/null
}
