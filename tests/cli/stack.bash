# tests/cli/stack.bash - helpers for suites that run stacks under rtinit
# (supervisor.sh, network.sh); sourced, not a suite itself.

BBIMG="$TMP/supervisor-busybox"
[ -d "$BBIMG" ] || "$TOP/tests/runtime/mkbusybox.sh" "$BBIMG" >/dev/null

WRAP=()

# at_exit CMD: run CMD when the test ends, however it ends (before what
# was registered earlier: rtinit goes before the namespace it runs in)
CLEANUP=""
at_exit() {
    CLEANUP="$1; $CLEANUP"
    trap 'set +e; eval "$CLEANUP"' EXIT
}

# stack NAME TEXT...: conf.d with droplet.conf and services (all on the
# busybox image, user app, no network unless the text says otherwise)
stack() {
    mkdir -p conf.d
    printf '[droplet]\nsecrets = %s/secrets.env\n' "$PWD" >conf.d/droplet.conf
    while [ $# -gt 0 ]; do
        printf '[service]\nimage = bb:1\nuser = app\nnetwork = none\n%s\n' "$2" >"conf.d/$1.conf"
        shift 2
    done
    printf 'TOKEN=s3cret\n' >secrets.env
    chmod 600 secrets.env
    [ -d root/state/images ] || "$RTCTL" --root "$PWD/root" image import -q "$BBIMG" bb:1
}

# supervise SECONDS: run rtinit, send SIGTERM after SECONDS, wait; its
# output in out.txt, its status in $rc
supervise() {
    "$RTINIT" --conf conf.d --root "$PWD/root" >out.txt 2>&1 &
    local p=$!
    sleep "$1"
    kill -TERM $p
    rc=0
    timeout 30 tail --pid=$p -f /dev/null || { say "rtinit did not exit"; kill -9 $p; return 1; }
    wait $p || rc=$?
    out=$(grep -v '^conf.d/' out.txt)
}

# --- rtinit in the background, driven with rtctl ---

LOOP="trap \"exit 0\" TERM; while :; do sleep 0.1; done"

# bg_start: rtinit in the background ($bgpid), once its socket answers
# (with WRAP set, rtinit runs under it: WRAP=(nsenter --net=...))
bg_start() {
    "${WRAP[@]}" "$RTINIT" --conf conf.d --root "$PWD/root" >out.txt 2>&1 &
    bgpid=$!
    # a failed assertion ends the test's subshell: take rtinit (and a
    # log writer the test stopped) down with it
    at_exit "pkill -CONT -P $bgpid -x rtinit-log 2>/dev/null; kill -TERM $bgpid 2>/dev/null; timeout 20 tail --pid=$bgpid -f /dev/null"
    for _ in $(seq 200); do
        "$RTCTL" --root "$PWD/root" status >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    say "rtinit did not answer: $(cat out.txt)"; return 1
}
# bg_stop: SIGTERM, wait; $out is its output
bg_stop() {
    kill -TERM "$bgpid"
    timeout 30 tail --pid="$bgpid" -f /dev/null || { kill -9 "$bgpid"; say "rtinit did not exit"; return 1; }
    wait "$bgpid" || true
    out=$(grep -v '^conf.d/' out.txt)
}
# field SERVICE COLUMN: from rtctl status (2 state, 3 health, 4 pid, 5 restarts)
field() { "$RTCTL" --root "$PWD/root" status | awk -v s="$1" -v c="$2" '$1 == s { print $c }'; }
# wait_until SECONDS CMD...: until CMD succeeds
wait_until() {
    local t=$1; shift
    for _ in $(seq $((t * 20))); do "$@" && return 0; sleep 0.05; done
    say "timed out: $*"; say "$(cat out.txt)"; return 1
}
is_state() { [ "$(field "$1" 2)" = "$2" ]; }
pid_not() { local p; p=$(field "$1" 4); [ "$p" != "$2" ] && [ "$p" != - ] && [ -n "$p" ]; }

# --- network namespaces (network.sh, realstack.sh): rtinit never touches
# the host's own network ---

# netns: a network namespace for this test, removed when it ends
netns() {
    NS=rt-test-$$-$RANDOM
    ip netns add "$NS"
    WRAP=(nsenter "--net=/run/netns/$NS")
    at_exit "ip netns del $NS"
}
# in_ns CMD...: run CMD in the test's namespace
in_ns() { nsenter "--net=/run/netns/$NS" "$@"; }
# outside: a second namespace on a veth to the test's "droplet" namespace,
# 192.168.77.2 there and 192.168.77.1 on the droplet side; it plays both a
# client on the LAN and a server on the internet
outside() {
    OUT=$NS-out
    ip netns add "$OUT"
    at_exit "ip netns del $OUT"
    in_ns ip link add rt-lan type veth peer name eth0 netns "$OUT"
    in_ns ip addr add 192.168.77.1/24 dev rt-lan
    in_ns ip link set rt-lan up
    in_ns ip link set lo up
    ip netns exec "$OUT" ip addr add 192.168.77.2/24 dev eth0
    ip netns exec "$OUT" ip link set eth0 up
    ip netns exec "$OUT" ip link set lo up
}
