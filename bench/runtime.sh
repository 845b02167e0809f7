#!/usr/bin/env bash
# bench/runtime.sh - start-to-exit time of a container running /bin/true:
# `rtctl run --rm --net none` against `crun run` and `runc run` on an
# equivalent bundle (the same busybox image, unpacked), and against the
# floor of the same namespaces made by unshare(1) with a fork and an exec.
# Measured in the same run, on the same machine; it prints ratios.
#
# Fairness: the bundle and rtctl's --root live on one tmpfs (crun and runc
# keep their own state on /run, a tmpfs too), and the tools take turns in
# rounds of ROUND containers, so that drift in the machine's speed hits
# all of them alike. `crun spec` sets no seccomp filter, so rtctl is
# measured both with --seccomp unconfined (the like-for-like comparison)
# and with its default filter (what a service gets).
#
# crun refuses this development host's hybrid cgroup layout while the
# hugetlb controller sits on cgroup2; the script moves it to a v1 mount
# for the duration, as the brief allows for benchmarks only.
set -euo pipefail
cd "$(dirname "$0")/.."
RTCTL=${RTCTL:-$PWD/build/rtctl}
N=${N:-100}
ROUND=${ROUND:-10}
BASE=${BENCH_DIR:-/var/tmp/rt-bench-runtime}

[ "$(id -u)" = 0 ] || { echo "bench/runtime.sh: run as root" >&2; exit 1; }
for t in crun runc unshare; do command -v $t >/dev/null || { echo "bench/runtime.sh: $t missing (make deps)" >&2; exit 1; }; done

HUGETLB=""
cleanup() {
    umount -l "$BASE/t" 2>/dev/null || true
    [ -n "$HUGETLB" ] && umount "$HUGETLB" 2>/dev/null && rmdir "$HUGETLB"
    rm -rf "$BASE"
}
trap cleanup EXIT
cleanup
mkdir -p "$BASE/t"
mount -t tmpfs -o size=1G rt-bench "$BASE/t"
cd "$BASE/t"

if grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
    HUGETLB=$BASE/hugetlb
    mkdir -p "$HUGETLB" && mount -t cgroup -o hugetlb none "$HUGETLB"
fi

"$OLDPWD/tests/runtime/mkbusybox.sh" img >/dev/null
"$RTCTL" --root "$PWD/root" image import -q img bb:1
mnt=$("$RTCTL" --root "$PWD/root" image mount bb:1)
mkdir bundle && cp -a "$mnt" bundle/rootfs
"$RTCTL" --root "$PWD/root" image unmount bb:1
(cd bundle && crun spec && python3 - <<'EOF'
import json
c = json.load(open("config.json"))
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
c["root"]["readonly"] = False   # rtctl's root is writable (overlay) too
json.dump(c, open("config.json", "w"), indent=1)
EOF
)

declare -A total
kinds=(rtctl rtctl-seccomp crun runc floor)
one() {
    case $1 in
        rtctl) "$RTCTL" --root "$PWD/root" run --rm --net none --seccomp unconfined bb:1 /bin/true ;;
        rtctl-seccomp) "$RTCTL" --root "$PWD/root" run --rm --net none bb:1 /bin/true ;;
        crun) crun run -b bundle "rt-bench-$2" ;;
        runc) runc run -b bundle "rt-bench-$2" ;;
        floor) unshare --mount --pid --uts --ipc --net --cgroup --fork /bin/true ;;
    esac
}
# warm up: page cache, the seccomp cache, first-run costs
for k in "${kinds[@]}"; do one "$k" 0 >/dev/null; total[$k]=0; done
for ((r = 0; r < N / ROUND; r++)); do
    for k in "${kinds[@]}"; do
        t0=$(date +%s%N)
        for ((i = 0; i < ROUND; i++)); do one "$k" "$i" >/dev/null; done
        total[$k]=$((total[$k] + $(date +%s%N) - t0))
    done
done

ms() { echo "scale=2; ${total[$1]} / $N / 1000000" | bc; }
ratio() { echo "scale=2; ${total[$1]} / ${total[$2]}" | bc; }
printf '%d sequential containers of /bin/true each (ms per container):\n' "$N"
for k in "${kinds[@]}"; do printf '  %-14s %6s ms\n' "$k" "$(ms "$k")"; done
echo "ratios (below 1: rtctl is faster):"
printf '  rtctl / crun                   %s\n' "$(ratio rtctl crun)"
printf '  rtctl / runc                   %s\n' "$(ratio rtctl runc)"
printf '  rtctl with seccomp / crun      %s\n' "$(ratio rtctl-seccomp crun)"
printf '  rtctl / unshare floor          %s\n' "$(ratio rtctl floor)"
printf '  rtctl with seccomp / floor     %s\n' "$(ratio rtctl-seccomp floor)"
