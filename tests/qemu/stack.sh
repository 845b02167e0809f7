#!/usr/bin/env bash
# tests/qemu/stack.sh - `make check-qemu`: the real stack (images/demo:
# Redis, RabbitMQ, the NestJS api, the nginx gateway) in the droplet
# (tools/droplet), under QEMU, with rtinit as PID 1. One droplet is built
# and booted three times, and the checks run in the order an operator's
# week would bring them:
#
#   boot 1   to all healthy with the timeline; a request through the
#            gateway; only the gateway and SSH answer from outside; kill -9
#            of Redis; a health check made to fail; the memory and pids
#            limits; every rtctl verb an operator uses, on the real
#            stack; then a broken file is put in conf.d and `rtctl reboot`
#   boot 2   the broken file left out and said so, the rest up, the data
#            back; more data, then a power cut (QEMU killed with SIGKILL)
#   boot 3   the data back, the volume sound; `rtctl poweroff`, both disks
#            clean
#
# Test services beside the stack (tests/qemu/conf.d, busybox image bb:1):
# flaky (its health check made to fail), hog (over memory_max), bomb (a
# fork bomb under pids_max); broken.conf is copied in before the reboot.
#
# Prints "ok qemu: NAME" or "FAIL qemu: NAME" and the reason indented, as
# the other suites (tests/run). A check whose droplet is gone fails with
# that reason. Without the images (no Debian mirror: images/demo/build.sh
# exits 3) every check is skipped, and says so.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
BUILD=${BUILD:-build}
# shellcheck source=tools/droplet/lib.sh
source tools/droplet/lib.sh
# shellcheck source=tests/vm/lib.sh
source tests/vm/lib.sh

W=$(mktemp -d "${TMP:-/tmp}/qemu.XXXXXX")
OUT=$W/droplet
QEMU_PID=
cleanup() {
    if droplet_alive; then kill -9 "$QEMU_PID" 2>/dev/null; fi
    rm -rf "$W"
}
trap cleanup EXIT

CHECKS=(boot_to_all_healthy_with_the_timeline
    a_request_through_the_gateway_reaches_redis_and_rabbitmq
    only_the_gateway_and_ssh_answer_from_outside
    kill_9_of_redis_the_api_answers_again_without_a_restart
    a_failing_health_check_restarts_its_service
    memory_max_oom_kills_and_is_reported
    pids_max_stops_a_fork_bomb
    every_rtctl_verb_on_the_real_stack
    rtctl_reboot_stops_in_reverse_order_and_the_data_comes_back
    a_broken_file_at_boot_is_left_out_and_said_so
    a_power_cut_loses_no_acknowledged_data_and_the_volume_is_sound
    rtctl_poweroff_stops_in_reverse_order_and_leaves_clean_disks)

say() { printf '%s\n' "$*" >&2; }
assert_in() { grep -qF -- "$2" <<<"$1" || { say "missing: $2"; say "in: $(head -c 3000 <<<"$1")"; return 1; }; }
assert_not_in() { ! grep -qF -- "$2" <<<"$1" || { say "unexpected: $2"; return 1; }; }
# before TEXT A B: A's first line comes before B's first line in TEXT
before() {
    local a b
    a=$(grep -nF -- "$2" <<<"$1" | head -n 1 | cut -d: -f1)
    b=$(grep -nF -- "$3" <<<"$1" | head -n 1 | cut -d: -f1)
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] || { say "'$2' not before '$3'"; return 1; }
}
console() { tr -d '\r' <"$OUT/serial.log"; }
on() { droplet_ssh "$OUT" "$@"; }
# a service's column in `rtctl status` (2 state, 3 health, 4 pid, 5 restarts)
col() { awk -v s="$1" -v c="$2" '$1 == s {print $c}' <<<"$3"; }
# the gateway's published port from the host: curl's output, "HTTP nnn" last
http() { curl -sS -m 20 -w '\nHTTP %{http_code}' "$@" 2>&1; }
count_json() { http "http://127.0.0.1:$HTTP_PORT/api/events/count"; }
post_events() { # post_events N: N events through the gateway, each answered 201
    local i r
    for ((i = 0; i < $1; i++)); do
        r=$(http -X POST -H 'content-type: application/json' -d "{\"type\":\"qemu\",\"i\":$i}" \
            "http://127.0.0.1:$HTTP_PORT/api/events")
        [ "$(tail -n 1 <<<"$r")" = "HTTP 201" ] || { say "POST /api/events: $r"; return 1; }
    done
}
# expect_count N: GET /api/events/count says N in Redis and N in the queue
# (asked again, up to twice 5 s apart, while the answer's queued is null:
# the api gives RabbitMQ 2 s to say its queue's length, and under TCG on a
# loaded host that can pass; the count must be right each time)
expect_count() {
    local r i
    for i in 1 2 3; do
        r=$(count_json)
        grep -qF '"queued":null' <<<"$r" || break
        [ "$i" = 3 ] || { echo "    (the api had no queue length from RabbitMQ within 2 s; asked again)" >&3; sleep 5; }
    done
    assert_in "$r" "{\"count\":$1,\"queued\":$1}" || return 1
    assert_in "$r" "HTTP 200"
}

# wait_up SECONDS SERVICE...: until each SERVICE is running and healthy in
# `rtctl status` over SSH; the status on stdout. Fails with the last one
# seen (and the console's telling lines if QEMU has exited).
wait_up() {
    local limit=$1 end st s bad
    shift
    end=$((SECONDS + limit))
    while [ $SECONDS -lt $end ]; do
        droplet_alive || { say "QEMU has exited"; say "$(droplet_console "$OUT")"; return 1; }
        if st=$(on rtctl status 2>/dev/null); then
            bad=
            for s in "$@"; do
                [ "$(col "$s" 2 "$st")" = running ] && [ "$(col "$s" 3 "$st")" = healthy ] || bad=$s
            done
            [ -z "$bad" ] && { printf '%s\n' "$st"; return 0; }
        fi
        sleep 2
    done
    say "not all of $* healthy after ${limit}s:"
    say "${st:-(no answer over SSH)}"
    return 1
}
STACK=(redis mq api gateway flaky)

# boot: QEMU on the droplet's disks; then until the stack is healthy
boot() {
    RT_DROPLET_EXTRA_PORTS="6379 5672 15672 3001 8001 25672 4369" bash tools/droplet/run.sh "$OUT" >/dev/null ||
        { say "run.sh failed"; return 1; }
    droplet_state "$OUT"
    STATUS=$(wait_up "${1:-600}" "${STACK[@]}") || return 1
    T_HEALTHY=$EPOCHREALTIME
}

# wait_gone SECONDS: until QEMU has exited
wait_gone() {
    local i
    for ((i = 0; i < $1 * 5; i++)); do droplet_alive || return 0; sleep 0.2; done
    say "QEMU still runs after $1 s"
    return 1
}

# ---------------------------------------------------------------- checks

check_boot_to_all_healthy_with_the_timeline() {
    boot 900 || return 1
    printf '%s\n' "$STATUS" | sed 's/^/    /' >&3
    bash tools/droplet/timeline.sh "$OUT" "$T_HEALTHY" | sed 's/^/    /' >&3
    # the images came in at the first boot, and the others started meanwhile
    assert_in "$(console)" "rtinit: reloaded /etc/rt/conf.d: 0 changed"
    [ "$(col import 2 "$STATUS")" = exited ] || { say "import: $(awk '$1 == "import"' <<<"$STATUS")"; return 1; }
}

check_a_request_through_the_gateway_reaches_redis_and_rabbitmq() {
    post_events 5 || return 1
    expect_count 5
}

# QEMU's user-mode network forwards host ports to each of the droplet's
# ports named in boot(): only SSH and the gateway may answer; for the
# others the droplet refuses the connection (or has nothing there), which
# QEMU passes on as a closed connection with no byte.
check_only_the_gateway_and_ssh_answer_from_outside() {
    local got p g h
    got=$(python3 - "$SSH_PORT" "$HTTP_PORT" $EXTRA_PORTS <<'PY'
import socket, sys
def probe(port, send):
    try:
        s = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
        s.settimeout(3)
        if send: s.sendall(send)
        data = s.recv(64)
        return "answers " + repr(data[:24]) if data else "closed"
    except (socket.timeout, TimeoutError):
        return "silent"
    except OSError as e:
        return "refused (" + e.strerror + ")"
print("ssh", probe(sys.argv[1], b""))
print("gateway", probe(sys.argv[2], b"GET / HTTP/1.0\r\n\r\n"))
for m in sys.argv[3:]:
    g, h = m.split(":")
    print(g, probe(h, b"PING\r\nGET / HTTP/1.0\r\n\r\nAMQP\x00\x00\x09\x01"))
PY
)
    printf '%s\n' "$got" | sed 's/^/    /' >&3
    assert_in "$got" "ssh answers b'SSH-2.0"
    assert_in "$got" "gateway answers b'HTTP/1.1 404"
    for p in $EXTRA_PORTS; do
        g=${p%%:*}
        h=$(awk -v g="$g" '$1 == g' <<<"$got")
        case $h in
        *answers*) say "port $g answers from outside: $h"; return 1 ;;
        esac
    done
}

# kill -9 of Redis: rtinit restarts it; the api reconnects by itself. The
# times are the droplet's own (one clock): a client in the droplet asks
# the gateway for the count every 0.1 s from the kill on.
check_kill_9_of_redis_the_api_answers_again_without_a_restart() {
    local st api_pid api_restarts r t_kill t_back t_started t_ready
    st=$(on rtctl status) || return 1
    api_pid=$(col api 4 "$st") api_restarts=$(col api 5 "$st")
    # shellcheck disable=SC2016 # run on the droplet
    r=$(on 'pid=$(rtctl status | awk "\$1 == \"redis\" {print \$4}")
        get() { timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/80 && printf \"GET /api/events/count HTTP/1.0\r\n\r\n\" >&3 && head -n 1 <&3" 2>/dev/null; }
        get | grep -q " 200 " || { echo "NOT-ANSWERING-BEFORE"; exit 1; }
        echo "KILL $(date +%s.%N)"; kill -9 "$pid"
        down=0; end=$(( $(date +%s) + 60 ))
        while [ $(date +%s) -lt $end ]; do
            if get | grep -q " 200 "; then [ $down = 1 ] && { echo "BACK $(date +%s.%N)"; exit 0; }; else down=1; fi
            sleep 0.1
        done
        echo "NOT-BACK"') || { say "in the droplet: $r"; return 1; }
    t_kill=$(awk '$1 == "KILL" {print $2}' <<<"$r") t_back=$(awk '$1 == "BACK" {print $2}' <<<"$r")
    [ -n "$t_back" ] || { say "the api did not answer again within 60 s: $r"; return 1; }
    # rtinit's restart and Redis's own start, from their log lines
    # shellcheck disable=SC2016
    r=$(on 'grep " redis: started" /mnt/vol/log/rtinit.log | tail -n 1; grep "Ready to accept connections" /mnt/vol/log/redis.log | tail -n 1')
    t_started=$(python3 -c 'import sys, datetime as d; print(d.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=d.timezone.utc).timestamp())' "$(sed -n 1p <<<"$r" | cut -d' ' -f1)")
    t_ready=$(python3 -c 'import sys, datetime as d; print(d.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=d.timezone.utc).timestamp())' "$(sed -n 2p <<<"$r" | cut -d' ' -f1)")
    printf '    kill -9 of redis: restarted by rtinit after %.2f s, its own start %.2f s, the api answered %.2f s after the kill (%.2f s after Redis was ready)\n' \
        "$(bc <<<"$t_started - $t_kill")" "$(bc <<<"$t_ready - $t_started")" "$(bc <<<"$t_back - $t_kill")" "$(bc <<<"$t_back - $t_ready")" >&3
    (($(bc <<<"$t_started > $t_kill && $t_back - $t_kill <= $t_ready - $t_kill + 2"))) ||
        { say "the api came back $(bc <<<"$t_back - $t_ready") s after Redis was ready (limit 2 s)"; return 1; }
    st=$(on rtctl status)
    [ "$(col api 4 "$st")" = "$api_pid" ] && [ "$(col api 5 "$st")" = "$api_restarts" ] ||
        { say "the api was restarted: $st"; return 1; }
    [ "$(col redis 5 "$st")" = 1 ] || { say "redis restarts: $st"; return 1; }
    # and what was in Redis before is still there (appendonly)
    expect_count 5
}

check_a_failing_health_check_restarts_its_service() {
    local st
    on rtctl exec flaky rm /tmp/ok || { say "rtctl exec flaky rm /tmp/ok failed"; return 1; }
    local end=$((SECONDS + 60))
    while [ $SECONDS -lt $end ]; do
        st=$(on rtctl status)
        [ "$(col flaky 5 "$st")" = 1 ] && [ "$(col flaky 3 "$st")" = healthy ] && break
        sleep 1
    done
    [ "$(col flaky 5 "$st")" = 1 ] && [ "$(col flaky 3 "$st")" = healthy ] ||
        { say "flaky was not restarted and healthy again: $st"; return 1; }
    local log
    log=$(on grep flaky /mnt/vol/log/rtinit.log)
    assert_in "$log" "flaky is unhealthy"
    # a fresh container: /tmp/ok is back
    on rtctl exec flaky test -e /tmp/ok || { say "/tmp/ok missing after the restart"; return 1; }
}

check_memory_max_oom_kills_and_is_reported() {
    local st log
    st=$(on rtctl status)
    log=$(on grep hog /mnt/vol/log/rtinit.log)
    assert_in "$log" "hog: the kernel's OOM killer ended 1 process (memory limit reached)"
    [ "$(col hog 2 "$st")" = failed ] || { say "hog: $st"; return 1; }
    assert_in "$(awk '$1 == "hog"' <<<"$st")" "was killed by the OOM killer (memory_max) (restart = no)"
    [ "$(col hog 5 "$st")" = 0 ] || { say "hog was restarted (restart = no): $st"; return 1; }
    # the limit is the cgroup's, and it counted the kill
    # shellcheck disable=SC2016
    on 'cat /sys/fs/cgroup/rt/hog/memory.max 2>/dev/null || echo gone' | grep -qx -e 33554432 -e gone ||
        { say "memory.max: $(on cat /sys/fs/cgroup/rt/hog/memory.max 2>&1)"; return 1; }
}

check_pids_max_stops_a_fork_bomb() {
    local r
    # shellcheck disable=SC2016 # the container's shell expands it
    # the sleepers hold none of the SSH session's pipes, or it would wait for them
    r=$(on rtctl exec bomb sh -c "'while :; do sleep 2147483647 </dev/null >/dev/null 2>&1 & done'" 2>&1 || true)
    assert_in "$r" "can't fork"
    r=$(on 'cat /sys/fs/cgroup/rt/bomb/pids.max /sys/fs/cgroup/rt/bomb/pids.current; grep "^max " /sys/fs/cgroup/rt/bomb/pids.events')
    printf '%s\n' "$r" | paste -sd' ' | sed 's/^/    bomb: pids.max, pids.current, pids.events: /' >&3
    [ "$(sed -n 1p <<<"$r")" = 16 ] || { say "pids.max: $r"; return 1; }
    [ "$(sed -n 2p <<<"$r")" -le 16 ] || { say "pids.current: $r"; return 1; }
    [ "$(sed -n 3p <<<"$r" | awk '{print $2}')" -gt 0 ] || { say "no fork was refused: $r"; return 1; }
    # the droplet and the stack are untouched
    expect_count 5
}

# Every verb an operator uses on a day with the stack (tests/cli has each
# one in depth against busybox stacks; here the real services answer):
# the --json outputs checked against docs/schema/rtctl.schema.json.
check_every_rtctl_verb_on_the_real_stack() {
    local r st pid restarts s
    schema() { TOP="$TOP" python3 "$TOP/tests/cli/schema.py" "$@"; }
    r=$(on rtctl status --json) && schema status <<<"$r" || { say "status --json: $r"; return 1; }
    for s in redis mq api gateway; do
        python3 -c 'import json, sys; d = {x["name"]: x for x in json.loads(sys.argv[1])}; s = d[sys.argv[2]]; sys.exit(0 if s["state"] == "running" and s["health"] == "healthy" and s["address"] else 1)' "$r" "$s" ||
            { say "status --json of $s: $r"; return 1; }
    done
    st=$(on rtctl ps) && assert_in "$st" "gateway"
    # inspect: the container as it runs, the secrets in the api's URLs redacted
    r=$(on rtctl inspect api --json) && schema inspect <<<"$r" || { say "inspect api --json: $r"; return 1; }
    assert_in "$r" '"mac": "02:42:'
    INSPECT=$r
    r=$(on rtctl health redis) && assert_in "$r" "redis: healthy" && assert_in "$r" " ok " || { say "health redis: $r"; return 1; }
    r=$(on rtctl logs -n 2 redis api) || { say "logs: $r"; return 1; }
    grep -q '^redis' <<<"$r" && grep -q '^api' <<<"$r" || { say "logs -n 2 redis api: $r"; return 1; }
    r=$(on rtctl stats --no-stream --json) && schema stats --lines <<<"$r" || { say "stats: $r"; return 1; }
    python3 -c 'import json, sys; d = {x["name"]: x for x in json.loads(sys.argv[1])["services"]}; sys.exit(0 if d["api"]["memory_bytes"] > 10 << 20 else 1)' "$r" ||
        { say "stats: the api's memory: $r"; return 1; }
    # kill -s HUP: nginx reloads its configuration, and is neither restarted nor down
    st=$(on rtctl status) pid=$(col gateway 4 "$st") restarts=$(col gateway 5 "$st")
    on rtctl kill -s HUP gateway >/dev/null || { say "kill -s HUP gateway failed"; return 1; }
    sleep 1
    st=$(on rtctl status)
    [ "$(col gateway 4 "$st")" = "$pid" ] && [ "$(col gateway 5 "$st")" = "$restarts" ] || { say "after HUP: $st"; return 1; }
    expect_count 5 || return 1
    # restart -t: a fresh gateway, running again within the time, serving
    on rtctl restart -t 60 gateway >/dev/null || { say "restart -t 60 gateway failed"; return 1; }
    wait_up 120 gateway >/dev/null || return 1
    expect_count 5 || return 1
    # stop keeps a service down until start
    on rtctl stop flaky >/dev/null && st=$(on rtctl status) || { say "stop flaky failed"; return 1; }
    assert_in "$(awk '$1 == "flaky"' <<<"$st")" "stopped by rtctl stop" || return 1
    on rtctl start flaky >/dev/null || { say "start flaky failed"; return 1; }
    wait_up 120 flaky >/dev/null || return 1
    r=$(on rtctl config check --quiet 2>&1) || { say "config check: $r"; return 1; }
    r=$(on rtctl reload --dry-run 2>&1) && assert_in "$r" "0 changed" && assert_in "$r" "nothing was changed (dry run)" || { say "reload --dry-run: $r"; return 1; }
    r=$(on rtctl image ls) && assert_in "$r" "rt-demo/api" || { say "image ls: $r"; return 1; }
    # a one-off container on the bridge finds the services by name
    r=$(on rtctl run --rm --net bridge bb:1 cat /etc/hosts 2>&1) && assert_in "$r" "redis" || { say "run --net bridge: $r"; return 1; }
    r=$(on rtctl exec api node -e "'console.log(process.getuid())'") && [ "$r" != 0 ] || { say "exec api as its user: $r"; return 1; }
    r=$(on rtctl version) && assert_in "$r" "protocol" || return 1
    # last: inspect showed no secret, not even inside the api's REDIS_URL
    s=$(on 'grep ^REDIS_PASSWORD= /etc/rt/secrets.env | cut -d= -f2-')
    [ -n "$s" ] && assert_not_in "$INSPECT" "$s"
}

# The operator breaks a file, then reboots: rtctl reboot stops everything,
# dependents first, and the droplet boots again (-no-reboot makes QEMU
# exit; it is started again on the same disks).
check_rtctl_reboot_stops_in_reverse_order_and_the_data_comes_back() {
    cp tests/qemu/conf.d/broken.conf "$W/broken.conf"
    on 'cat >/etc/rt/conf.d/broken.conf' <"$W/broken.conf"
    local r c clean=yes
    r=$(on rtctl reboot 2>&1 || true)
    assert_in "$r" "rebooting"
    wait_gone 120
    # the shutdown's part of the console: a service restarted earlier (a
    # failed check) said "stopping" before it
    c=$(console | sed -n '/rtinit: stopping every service/,$p')
    e2fsck -fn "$OUT/vol.img" >/dev/null 2>&1 || clean=no
    # booted again before the verdict, so that what follows has a droplet
    boot 900
    printf '    boot 2: all healthy %.1f s after QEMU started\n' "$(bc <<<"$T_HEALTHY - $STARTED")" >&3
    assert_in "$c" "rtinit: stopping every service (rtctl reboot)"
    before "$c" "api: stopping" "redis: stopping"
    before "$c" "api: stopping" "mq: stopping"
    assert_in "$c" "rtinit: every service is stopped"
    assert_in "$c" "rtinit: rebooting"
    assert_not_in "$c" "Kernel panic"
    [ "$clean" = yes ] || { say "the volume was not clean after the reboot"; return 1; }
    expect_count 5
}

check_a_broken_file_at_boot_is_left_out_and_said_so() {
    local st
    assert_in "$(console)" "rtinit: error: broken: not started: /etc/rt/conf.d/broken.conf:" || return 1
    assert_in "$(console)" "restart: 'sometimes': expected no, always, on-failure[:N] or unless-stopped" || return 1
    st=$(on rtctl status)
    assert_in "$(awk '$1 == "broken"' <<<"$st")" "failed" || return 1
    assert_in "$st" "not started: /etc/rt/conf.d/broken.conf:" || return 1
    # fixed by removing it: the reload takes, and status forgets it
    on 'rm /etc/rt/conf.d/broken.conf && rtctl reload' >/dev/null || { say "reload after the fix failed"; return 1; }
    st=$(on rtctl status)
    assert_not_in "$st" "broken"
}

# A power cut: what the api acknowledged (Redis's appendonly file, synced
# every second; RabbitMQ's durable queue, persistent and confirmed
# messages) is back after the next boot, and the volume's journal makes
# it whole again (e2fsck -n on a copy after the journal is replayed).
check_a_power_cut_loses_no_acknowledged_data_and_the_volume_is_sound() {
    post_events 3 || return 1
    expect_count 8 || return 1
    sleep 2 # appendfsync everysec: what Redis acknowledged is on disk within a second
    kill -9 "$QEMU_PID"
    wait_gone 10 || return 1
    cp --sparse=always "$OUT/vol.img" "$W/vol-copy.img"
    e2fsck -E journal_only -y "$W/vol-copy.img" >/dev/null 2>&1 || true
    e2fsck -fn "$W/vol-copy.img" >"$W/fsck.log" 2>&1 || { say "the volume after the power cut: $(cat "$W/fsck.log")"; return 1; }
    rm -f "$W/vol-copy.img"
    boot 900 || return 1
    printf '    boot 3 (after the power cut): all healthy %.1f s after QEMU started\n' "$(bc <<<"$T_HEALTHY - $STARTED")" >&3
    expect_count 8
}

check_rtctl_poweroff_stops_in_reverse_order_and_leaves_clean_disks() {
    local r c
    r=$(on rtctl poweroff 2>&1 || true)
    assert_in "$r" "powering off"
    wait_gone 120
    c=$(console | sed -n '/rtinit: stopping every service/,$p')
    assert_in "$c" "rtinit: stopping every service (rtctl poweroff)"
    before "$c" "api: stopping" "redis: stopping"
    before "$c" "api: stopping" "mq: stopping"
    assert_in "$c" "rtinit: every service is stopped"
    assert_in "$c" "rtinit: powering off"
    e2fsck -fn "$OUT/vol.img" >"$W/fsck.log" 2>&1 || { say "the volume: $(cat "$W/fsck.log")"; return 1; }
    e2fsck -fn "$OUT/root.img" >"$W/fsck.log" 2>&1 || { say "the root disk: $(cat "$W/fsck.log")"; return 1; }
}

# ---------------------------------------------------------------- driver

# The stack: the demo's conf.d with the test services, the demo's images
# and the busybox one
images=$W/images stack=$W/stack
mkdir -p "$images" "$stack"
rc=0
bash images/demo/build.sh all "$W/demo-images" >"$W/images.log" 2>&1 || rc=$?
if [ "$rc" = 3 ]; then
    for c in "${CHECKS[@]}"; do echo "ok qemu: $c (skipped: $(tail -n 1 "$W/images.log"))"; done
    exit 0
fi
DEAD=
if [ "$rc" != 0 ]; then
    DEAD="images/demo/build.sh failed: $(tail -n 5 "$W/images.log")"
else
    for img in "$W/demo-images"/*; do
        [ -e "$img/index.json" ] && ln -s "$(readlink -f "$img")" "$images/$(basename "$img")"
    done
    vm_busybox_image "$W/bb"
    ln -s "$W/bb" "$images/bb:1"
    cp images/demo/conf.d/*.conf tests/qemu/conf.d/{flaky,hog,bomb}.conf "$stack/"
    cp images/demo/secrets.env.example "$stack/"
    RT_DROPLET_STACK=$stack RT_DROPLET_IMAGES=$images RT_DROPLET_ROOT_SIZE=4G \
        bash tools/droplet/build.sh "$OUT" >"$W/build.log" 2>&1 || DEAD="tools/droplet/build.sh failed: $(tail -n 5 "$W/build.log")"
fi

exec 3>&1
for c in "${CHECKS[@]}"; do
    if [ -n "$DEAD" ]; then
        echo "FAIL qemu: $c"
        echo "  $DEAD"
        continue
    fi
    t0=$SECONDS
    # each check in a subshell under set -e, as tests/cli/lib.sh runs a
    # test; what a check changes (a new QEMU, its ports) is in OUT/state
    (
        set -e
        "check_$c"
    ) 2>"$W/why"
    st=$?
    droplet_state "$OUT" 2>/dev/null || true
    if [ "$st" = 0 ]; then
        echo "ok qemu: $c ($((SECONDS - t0)) s)"
    else
        echo "FAIL qemu: $c"
        sed 's/^/  /' "$W/why" | head -n 40
        # a check that leaves no droplet behind takes the rest with it
        droplet_alive || DEAD="the droplet is not running (an earlier check failed)"
    fi
done
