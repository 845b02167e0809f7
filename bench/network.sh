#!/usr/bin/env bash
# bench/network.sh - network set-up for N containers (50): what rtinit does
# for each (netns/net.c over rtnetlink: a veth on the bridge, eth0 made in
# the container's namespace, its address, the default route, lo up, and
# its /etc/hosts written) against the same steps done with ip(8) commands,
# in the same run. Everything happens inside a network namespace made for
# the run; the host's network is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
N=${N:-50}
BASE=${BENCH_DIR:-/var/tmp/rt-bench-network}
[ "$(id -u)" = 0 ] || { echo "bench/network.sh: run as root" >&2; exit 1; }
make -s "${BUILD:-build}/netbench"
NB=$TOP/${BUILD:-build}/netbench

cleanup() {
    for d in "$BASE"/*/; do
        [ -d "$d" ] || continue
        for f in "$d"ns*; do umount "$f" 2>/dev/null || true; done
    done
    ip netns del rt-bench-host 2>/dev/null || true
    rm -rf "$BASE"
}
trap cleanup EXIT
cleanup
mkdir -p "$BASE/rt" "$BASE/ip"
ip netns add rt-bench-host
inhost() { ip netns exec rt-bench-host "$@"; }

# N namespaces for each side, as files (made before the clock starts)
mkns() {
    for ((i = 0; i < N; i++)); do
        touch "$1/ns$i"
        unshare --net="$1/ns$i" true
    done
}
mkns "$BASE/rt"
mkns "$BASE/ip"

rt_ms=$(inhost "$NB" "$N" "$BASE/rt" rtb0)

inhost ip link add rtb1 type bridge
inhost ip addr add 10.89.0.1/16 dev rtb1
inhost ip link set rtb1 up
t0=$(date +%s%N)
for ((i = 0; i < N; i++)); do
    ns=$BASE/ip/ns$i
    inhost ip link add "ipv$i" type veth peer name eth0 netns "$ns"
    inhost ip link set "ipv$i" master rtb1 up
    nsenter --net="$ns" ip addr add "10.89.$(((i + 2) / 256)).$(((i + 2) % 256))/16" dev eth0
    nsenter --net="$ns" ip link set eth0 up
    nsenter --net="$ns" ip link set lo up
    nsenter --net="$ns" ip route add default via 10.89.0.1
    printf '127.0.0.1\tlocalhost\n10.89.0.%d\tbench-%d\n' "$i" "$i" >"$BASE/ip/hosts$i.tmp"
    mv "$BASE/ip/hosts$i.tmp" "$BASE/ip/hosts$i"
done
ip_ms=$(echo "scale=3; ($(date +%s%N) - $t0) / 1000000" | bc)

printf 'network set-up for %d containers (veth, eth0 in the namespace, address, route, lo, hosts file):\n' "$N"
printf '  rtinit (rtnetlink, libmnl)  %8.2f ms per container   goal: under 5 ms\n' "$(echo "scale=3; $rt_ms / $N" | bc)"
printf '  ip(8) commands              %8.2f ms per container\n' "$(echo "scale=3; $ip_ms / $N" | bc)"
printf '  ratio ip / rtinit           %8.1f                    goal: at least 5\n' "$(echo "scale=3; $ip_ms / $rt_ms" | bc)"
