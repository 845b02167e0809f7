#!/usr/bin/env bash
# Install the Debian packages that building, testing and the demo need.
# Idempotent: does nothing (and needs no network) when all are present.
set -euo pipefail

packages=(
    # build
    make gcc pkg-config git
    libcap-dev libseccomp-dev libmnl-dev libarchive-dev libinih-dev libjansson-dev libssl-dev
    libkmod-dev libblkid-dev libnftnl-dev
    # the containers' init (runtime/ctrinit): static with musl, about 30 KiB
    musl-tools
    # libarchive is linked statically (see the Makefile): the decompressors it needs
    zlib1g-dev libzstd-dev liblzma-dev libbz2-dev
    # fuzzing (libFuzzer ships with clang's runtime)
    clang libclang-rt-14-dev
    # tests: independent image tools to compare with, zstd layers; a static
    # busybox for the test image, file(1) to check it is static
    python3 umoci skopeo zstd attr busybox-static file
    # tests under a full cgroup v2 hierarchy: Debian's kernel booted in QEMU
    # and the demo droplet (tools/droplet): its Debian root by mmdebstrap
    linux-image-amd64 qemu-system-x86 e2fsprogs mmdebstrap
    # benchmarks: the runtimes we compare with
    bc crun runc curl util-linux
    # network tests: nft and ip to look at what rtinit made
    nftables iproute2
    # the man pages (docs/man) rendered and checked by tests/cli/rtctl.sh
    groff-base man-db
    # rtctl's --json checked against its JSON Schema, and rtinit's metrics
    # endpoint scraped by a real Prometheus and linted by promtool
    # (tests/cli/observe.sh, which runs its own in a network namespace; on
    # a machine with systemd the package also starts its prometheus.service,
    # which the tests never use); jq and curl to read the answers
    python3-jsonschema prometheus jq
    # sshd as a host service (tests/cli/hostsvc.sh runs Debian's sshd under
    # rtinit in a network namespace, on port 2222), and the client. On a
    # machine with systemd, installing openssh-server also starts its own
    # ssh.service on port 22, as any install of it does; the tests never use it.
    openssh-server openssh-client
    # the demo's images (images/demo/build.sh): Debian root file systems
    # made by mmdebstrap, which checks the archive's signatures with gpg
    mmdebstrap gpg debian-archive-keyring
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

# npm builds the demo's API (images/demo/api). Any npm will do, and one
# may come with a nodejs package other than Debian's (which then conflicts
# with Debian's npm): only a missing command asks for Debian's.
command -v npm >/dev/null || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#packages[@]} packages present"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo=sudo; else
        echo "deps: missing ${missing[*]}; run this as root" >&2
        exit 1
    fi
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
