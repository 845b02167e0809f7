#!/usr/bin/env bash
# bench/supervisor.sh - rtinit supervising a stack, measured in one run:
#
#  1. memory: rtinit's RSS and private memory (smaps_rollup) while it
#     supervises five services with http checks every 100 ms, and its log
#     writer's;
#  2. health checks: rtinit's CPU time per 1,000 http checks (made from
#     its loop, no process per check) against the CPU time of 1,000
#     fork+exec of `curl -f` (the seed's check command) and of static
#     `busybox wget` against the same server, from inside the same
#     network namespace (what a check command costs, before the container
#     exec that docker adds);
#  3. restart latency: from a service's exit to its next exec at the
#     minimum back-off (10 ms, subtracted), from the service's own
#     CLOCK_MONOTONIC stamps; beside it, a whole `crun run` of the same
#     image, which is what a supervisor using crun would pay per restart.
#
# Goals (issue 5): under 2 MiB RSS, restart under 5 ms, checks at least
# 10x cheaper than a fork+exec per check.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
RTCTL=${RTCTL:-$TOP/build/rtctl}
RTINIT=${RTINIT:-$TOP/build/rtinit}
CHECKS=${CHECKS:-1000}
RESTARTS=${RESTARTS:-200}
BASE=${BENCH_DIR:-/var/tmp/rt-bench-supervisor}

[ "$(id -u)" = 0 ] || { echo "bench/supervisor.sh: run as root" >&2; exit 1; }
for t in crun busybox bc curl nsenter; do command -v $t >/dev/null || { echo "bench/supervisor.sh: $t missing (make deps)" >&2; exit 1; }; done

HUGETLB="" RTPID=""
cleanup() {
    [ -n "$RTPID" ] && kill -TERM "$RTPID" 2>/dev/null && wait "$RTPID" 2>/dev/null
    umount -l "$BASE/t" 2>/dev/null || true
    [ -n "$HUGETLB" ] && umount "$HUGETLB" 2>/dev/null && rmdir "$HUGETLB"
    rm -rf "$BASE"
}
trap cleanup EXIT
cleanup
mkdir -p "$BASE/t"
mount -t tmpfs -o size=1G rt-bench "$BASE/t"
cd "$BASE/t"
"$TOP/tests/runtime/mkbusybox.sh" img >/dev/null
"$RTCTL" --root "$PWD/root" image import -q img bb:1

st() { "$RTCTL" --root "$PWD/root" status; }
# total "checks" over every service, from the status JSON (rtctl status
# prints a table; the count is in the JSON, so ask through python)
checks() {
    python3 - "$PWD/root/run/control.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1]); s.send(b"status")
print(sum(e.get("checks", 0) for e in json.loads(s.recv(1 << 20))))
PY
}
cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; } # time on a CPU, in ns

# ---------- 1 and 2: the stack ----------
mkdir conf.d
printf '[droplet]\n' >conf.d/droplet.conf
for i in 1 2 3 4 5; do
    cat >conf.d/web$i.conf <<EOF
[service]
image = bb:1
user = app
network = none
command = sh -c 'mkdir -p /tmp/www && echo ok >/tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www'
[healthcheck]
http = http://localhost:8080/
interval = 100ms
timeout = 1s
EOF
done
"$RTINIT" --conf conf.d --root "$PWD/root" >rtinit.out 2>&1 &
RTPID=$!
for _ in $(seq 200); do [ "$(st 2>/dev/null | grep -c ' healthy ')" = 5 ] && break; sleep 0.1; done
[ "$(st | grep -c ' healthy ')" = 5 ] || { cat rtinit.out; st; exit 1; }
sleep 1
c0=$(checks) t0=$(cpu_ns "$RTPID")
while [ $(($(checks) - c0)) -lt "$CHECKS" ]; do sleep 0.5; done
c1=$(checks) t1=$(cpu_ns "$RTPID")
rtinit_cpu_ms=$(echo "scale=3; ($t1 - $t0) / 1000000 * 1000 / ($c1 - $c0)" | bc)
# RSS counts the pages of shared libraries this process touched (libc's
# alone are about 1.5 MB, shared with every process); Anonymous is the
# memory that is rtinit's own (heap, stack, buffers)
mem() { awk '/^Rss:/ {r=$2} /^Anonymous:/ {a=$2} END {print r, a}' "/proc/$1/smaps_rollup"; }
libc_rss() { awk '/^[0-9a-f]+-/ {n=$6} /^Rss:/ && n ~ /libc\.so/ {r+=$2} END {print r}' "/proc/$1/smaps"; }
[ -n "${BENCH_DEBUG:-}" ] && cp "/proc/$RTPID/smaps" /tmp/rtinit.smaps
read -r rss anon < <(mem "$RTPID")
libc=$(libc_rss "$RTPID")
LW=$(pgrep -P "$RTPID" -x rtinit-log)
read -r lw_rss lw_anon < <(mem "$LW")

# the same checks as fork+exec, from inside web1's network namespace:
# `curl -f`, the seed's own check command, and static busybox wget, the
# cheapest fork+exec there is
pid=$(st | awk '$1 == "web1" { print $4 }')
TIMEFORMAT='%U %S'
fork_cpu() { # COMMAND: CPU ms per 1,000 runs of it
    local u s
    read -r u s < <( { time nsenter -t "$pid" -n bash -c "for ((i = 0; i < $CHECKS; i++)); do $1 >/dev/null || exit 1; done"; } 2>&1 )
    echo "scale=3; ($u + $s) * 1000 * 1000 / $CHECKS" | bc
}
curl_cpu_ms=$(fork_cpu "curl -sf http://127.0.0.1:8080/")
wget_cpu_ms=$(fork_cpu "busybox wget -q -O /dev/null http://127.0.0.1:8080/")
kill -TERM "$RTPID"; wait "$RTPID" || true; RTPID=""

# ---------- 3: restart latency ----------
rm conf.d/web*.conf
cat >conf.d/crash.conf <<EOF
[service]
image = bb:1
user = app
network = none
restart = always
restart_backoff = 10ms
restart_backoff_max = 10ms
command = probe mono
EOF
"$RTINIT" --conf conf.d --root "$PWD/root" >rtinit.out 2>&1 &
RTPID=$!
while [ "$(grep -c '^.*Z mono ' root/log/crash.log 2>/dev/null || echo 0)" -lt $((RESTARTS + 1)) ]; do sleep 0.2; done
kill -TERM "$RTPID"; wait "$RTPID" || true; RTPID=""
# gaps between consecutive starts, minus the 10 ms back-off; the median
restart_ms=$(awk '/Z mono / { t = $3; if (p) print (t - p) / 1e6 - 10; p = t }' root/log/crash.log | head -n "$RESTARTS" | sort -n |
    awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] }')

# crun: a whole run of the same image, for scale
if grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
    HUGETLB=$BASE/hugetlb
    mkdir -p "$HUGETLB" && mount -t cgroup -o hugetlb none "$HUGETLB"
fi
mnt=$("$RTCTL" --root "$PWD/root" image mount bb:1)
mkdir bundle && cp -a "$mnt" bundle/rootfs
"$RTCTL" --root "$PWD/root" image unmount bb:1
(cd bundle && crun spec && python3 - <<'EOF'
import json
c = json.load(open("config.json"))
c["process"]["args"] = ["/usr/bin/probe", "mono"]
c["process"]["terminal"] = False
json.dump(c, open("config.json", "w"), indent=1)
EOF
)
crun run -b bundle rt-bench-w >/dev/null
n=50
t0=$(date +%s%N)
for ((i = 0; i < n; i++)); do crun run -b bundle "rt-bench-$i" >/dev/null; done
crun_ms=$(echo "scale=2; ($(date +%s%N) - $t0) / $n / 1000000" | bc)

echo "rtinit supervising 5 services with http checks every 100 ms:"
printf '  rtinit RSS                 %6d KiB (libc %d KiB; its own, anonymous: %d KiB)   goal: under 2048 KiB\n' "$rss" "$libc" "$anon"
printf '  log writer RSS             %6d KiB (anonymous %d KiB)\n' "$lw_rss" "$lw_anon"
echo "CPU per 1,000 http checks:"
printf '  rtinit (in its loop)       %9s ms\n' "$rtinit_cpu_ms"
printf '  fork+exec of curl -f       %9s ms   (ratio %s)\n' "$curl_cpu_ms" "$(echo "scale=1; $curl_cpu_ms / $rtinit_cpu_ms" | bc)"
printf '  fork+exec of busybox wget  %9s ms   (ratio %s)\n' "$wget_cpu_ms" "$(echo "scale=1; $wget_cpu_ms / $rtinit_cpu_ms" | bc)"
echo "  goal: a fork+exec per check costs at least 10x rtinit's check"
echo "restart latency (exit to next exec, back-off subtracted), median of $RESTARTS:"
printf '  rtinit                     %8s ms   goal: under 5 ms\n' "$restart_ms"
printf '  one whole crun run         %8s ms\n' "$crun_ms"
printf '  ratio rtinit / crun run    %8s\n' "$(echo "scale=2; $restart_ms / $crun_ms" | bc)"
