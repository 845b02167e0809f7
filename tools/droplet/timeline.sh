#!/usr/bin/env bash
# tools/droplet/timeline.sh OUT T_HEALTHY - the boot timeline of a running
# droplet (tools/demo.sh, tests/qemu/stack.sh): seconds since QEMU started
# for the kernel, the initrd, rtinit and each service's start and health,
# from the guest's /proc/uptime and rtinit.log read over SSH. T_HEALTHY is
# the host time ($EPOCHREALTIME) at which every service was seen healthy.
#
# Last, rtinit's own share of the boot: the CPU time PID 1 has used (its
# utime + stime: its own work, not the services' or their checks'), and
# the wall time from its start (its first console line) to its first
# service's start: what it does before anything runs.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$1 T_HEALTHY=$2
# shellcheck source=tools/droplet/lib.sh
source "$TOP/tools/droplet/lib.sh"
droplet_state "$OUT"
t_ssh0=$EPOCHREALTIME
# The log lines that make the timeline; the volume keeps earlier boots'
# lines, which the script drops by time. [logging] dir from droplet.conf.
# shellcheck disable=SC2016 # expanded on the droplet
guest=$(droplet_ssh "$OUT" 'cat /proc/uptime; date +%s.%N; getconf CLK_TCK; cut -d" " -f14,15,22 /proc/1/stat
    dir=$(sed -n "s/^dir *= *//p" /etc/rt/conf.d/droplet.conf)
    grep -E " (rtinit [^ ]+ starting|supervising|[a-z0-9_-]+ is (un)?healthy|[a-z0-9_-]+ .*restarting in|[a-z0-9_-]+ exited with status 0|[a-z0-9_-]+: started|block volume|uplink|kernel modules)" "${dir:-/var/log/rt}/rtinit.log"')
t_ssh1=$EPOCHREALTIME
# rtinit's start, from the console: it has no log file until the volume is
# mounted
hand_over=$(tr -d '\r' <"$OUT/serial.log" | sed -n 's/^rtinit: PID 1 (rtinit [^)]*), \([0-9.]*\) s after the kernel started$/\1/p' | tail -n 1)
HAND_OVER=$hand_over GUEST=$guest python3 - "$STARTED" "$t_ssh0" "$t_ssh1" "$T_HEALTHY" <<'PY'
import datetime, os, sys
started, s0, s1, healthy = map(float, sys.argv[1:5])
lines = os.environ["GUEST"].splitlines()
uptime = float(lines[0].split()[0]); now = float(lines[1]); hz = int(lines[2])
utime, stime, pid1_start = (int(x) for x in lines[3].split())
# the kernel's start on the host's clock: half-way through the SSH call, less the uptime
kernel = (s0 + s1) / 2 - uptime - started
boot_wall = now - uptime          # the kernel's start on the guest's clock
def row(t, what): print(f"{t:7.1f}  {what}")
row(0, "QEMU started")
row(kernel, "kernel started")
row(kernel + pid1_start / hz, "initrd started (PID 1, which execs rtinit once the root is mounted)")
hand_over = float(os.environ["HAND_OVER"]) if os.environ.get("HAND_OVER") else None
if hand_over is not None:
    row(kernel + hand_over, "rtinit started (the root mounted, the initrd's exec)")
first_rtinit = first_service = None
for l in lines[4:]:
    ts, _, msg = l.partition(" ")
    try:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        continue
    if t < boot_wall:  # an earlier boot's line
        continue
    msg = msg.removeprefix("rtinit: ")
    if first_rtinit is None:
        first_rtinit = t
    if first_service is None and ": started" in msg:
        first_service = t
    row(kernel + t - boot_wall, msg)
row(healthy - started, "every service healthy, as seen from the host over SSH")
cpu = (utime + stime) / hz
begin = hand_over if hand_over is not None else (first_rtinit - boot_wall if first_rtinit else 0)
since = (healthy - started) - kernel - begin
print(f"rtinit's share: {cpu:.2f} s of CPU as PID 1 in the {since:.1f} s from its start to all healthy"
      f" ({100 * cpu / since if since > 0 else 0:.1f}%)", end="")
if first_service and hand_over is not None:
    print(f"; {first_service - boot_wall - hand_over:.2f} s from its start to its first service's"
          " (modules, the volume, the uplink, conf.d, the images, the bridge)")
else:
    print()
PY
