# Host services (issue 13, "Getting in"): a service declared with
# `host = true` runs on the host, in no container, supervised as any
# other. Real processes under rtinit (a plain supervisor, --root DIR);
# anything that listens does so in a network namespace the test creates,
# and sshd there on port 2222: the development host's own port 22 is
# never touched. Run as root.

# shellcheck source=stack.bash
source "$TOP/tests/cli/stack.bash"

# hostconf NAME TEXT...: conf.d with droplet.conf and host services
hostconf() {
    mkdir -p conf.d
    : >conf.d/droplet.conf
    while [ $# -gt 0 ]; do
        printf '[service]\nhost = true\n%s\n' "$2" >"conf.d/$1.conf"
        shift 2
    done
}
netns() {
    NS=rt-test-$$-$RANDOM
    ip netns add "$NS"
    ip -n "$NS" link set lo up
    WRAP=(nsenter "--net=/run/netns/$NS")
    at_exit "ip netns del $NS"
}
in_ns() { nsenter "--net=/run/netns/$NS" "$@"; }
# the cgroup rtinit gives host service NAME of this test's root
cgroup_of() {
    printf '%s/rt-%x-%x/%s.host' "$(findmnt -t cgroup2 -n -o TARGET | head -n 1)" \
        "$(stat -c %d root/state)" "$(stat -c %i root/state)" "$1"
}
log_has() { grep -q -- "$2" "root/log/$1.log"; }
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
gone() { ! alive "$1"; }
# the pid a service printed as "child PID" in its log (its latest run's)
child_of() { grep -o 'child [0-9]*' "root/log/$1.log" | tail -n 1 | cut -d' ' -f2; }

LOOP_TERM='trap "echo got-term; exit 0" TERM; while :; do sleep 0.1; done'

test_a_host_service_runs_in_the_hosts_namespaces_as_its_user() {
    hostconf hs "command = sh -c 'for n in cgroup ipc mnt net pid user uts; do echo ns \$n \$(readlink /proc/self/ns/\$n); done; echo id \$(id -u):\$(id -g) home=\$HOME host=\${HOSTNAME-none}; echo cwd \$(pwd); cat /proc/self/cgroup; echo err >&2; $LOOP_TERM'
working_dir = /tmp
environment = GREETING=hello" \
        nob "user = nobody
command = sh -c 'echo id \$(id -u):\$(id -g) groups=\$(id -G) home=\$HOME; $LOOP_TERM'"
    run "$RTCTL" config check --conf conf.d
    assert_rc 0
    assert_in "$out" "# host service: in no container; runs on the host as root, with all of root's privileges"
    assert_in "$out" "# host service: in no container; runs on the host as nobody, in the host's namespaces"
    bg_start
    wait_until 10 log_has hs 'Z cwd ' && wait_until 10 log_has nob 'Z id '
    # every namespace is the host's (ours: rtinit runs in the test's)
    for n in cgroup ipc mnt net pid user uts; do
        grep -qF "Z ns $n $(readlink "/proc/self/ns/$n")" root/log/hs.log || { say "ns $n: $(cat root/log/hs.log)"; return 1; }
    done
    # root of the host, HOME from the host's passwd, no HOSTNAME of its own
    grep -q 'Z id 0:0 home=/root host=none$' root/log/hs.log
    grep -q 'Z cwd /tmp$' root/log/hs.log
    # stdout and stderr in its log, as a container's
    grep -q 'Z err$' root/log/hs.log
    # its own cgroup, which no container can have (a dot in its name)
    grep -qE "Z 0::/rt-[0-9a-f]+-[0-9a-f]+/hs\.host\$" root/log/hs.log || { say "$(cat root/log/hs.log)"; return 1; }
    [ -d "$(cgroup_of hs)" ]
    # the host's nobody, with its groups
    grep -q "Z id 65534:65534 groups=65534 home=/nonexistent\$" root/log/nob.log || { say "$(cat root/log/nob.log)"; return 1; }
    # rtctl status says where it runs
    run "$RTCTL" --root "$PWD/root" status
    grep -qE '^hs +running .* on the host, in no container$' <<<"$out" || { say "$out"; return 1; }
    bg_stop
    assert_in "$out" "hs: started on the host (pid "
    assert_in "$out" "hs: stopped (exited with status 0)"
    grep -q 'Z got-term$' root/log/hs.log
    # nothing left: no process, no cgroup
    [ ! -e "$(cgroup_of hs)" ] && [ ! -e "$(cgroup_of nob)" ] || { say "cgroup left"; return 1; }
}

test_a_host_service_is_restarted_by_policy_and_stopped_with_its_signal() {
    hostconf flaky "restart = on-failure:2
command = sh -c 'echo crash; exit 3'" \
        usr "stop_signal = SIGUSR1
stop_timeout = 5s
command = sh -c 'trap \"echo got-usr1; exit 0\" USR1; trap \"\" TERM; while :; do sleep 0.1; done'" \
        missing "command = /nonexistent/prog"
    bg_start
    wait_until 10 is_state flaky failed
    wait_until 10 is_state usr running
    local t0 t1
    t0=$(date +%s%N)
    "$RTCTL" --root "$PWD/root" stop usr >/dev/null
    t1=$(date +%s%N)
    # SIGUSR1, not SIGTERM (which it ignores): down at once, not at stop_timeout
    [ $(((t1 - t0) / 1000000)) -lt 2000 ] || { say "stop took $(((t1 - t0) / 1000000)) ms"; return 1; }
    log_has usr 'Z got-usr1$'
    bg_stop
    assert_in "$out" "flaky exited with status 3; restarting in 100ms (restart 1)"
    assert_in "$out" "flaky exited with status 3; restarting in 200ms (restart 2)"
    assert_in "$out" "flaky exited with status 3; not restarted: it failed 3 times (restart = on-failure:2)"
    [ "$(grep -c 'Z crash$' root/log/flaky.log)" = 3 ]
    assert_in "$out" "usr: stopping (SIGUSR1)"
    # a program that is not there: the start fails, saying why
    assert_in "$out" "starting missing: /nonexistent/prog: not found in PATH"
}

test_a_stop_kills_what_it_left_unless_kill_mode_is_process() {
    local spawn="sh -c 'sleep 1000 & echo child \$!; $LOOP_TERM'"
    hostconf group "command = $spawn" \
        keep "kill_mode = process
command = $spawn"
    bg_start
    wait_until 10 log_has group 'Z child ' && wait_until 10 log_has keep 'Z child '
    local g k
    g=$(child_of group) k=$(child_of keep)
    alive "$g" && alive "$k"
    grep -q "/group.host\$" "/proc/$g/cgroup" && grep -q "/keep.host\$" "/proc/$k/cgroup"
    # control-group (the default): what it left goes with it, as in a container
    "$RTCTL" --root "$PWD/root" stop group >/dev/null
    wait_until 5 gone "$g"
    # process: only the main process stops; the rest stays, in its cgroup
    "$RTCTL" --root "$PWD/root" stop keep >/dev/null
    sleep 0.3
    alive "$k" || { say "kill_mode = process killed its child"; return 1; }
    grep -q "/keep.host\$" "/proc/$k/cgroup"
    # ... across a new start, which takes the cgroup over
    "$RTCTL" --root "$PWD/root" start keep >/dev/null
    wait_until 10 is_state keep running
    wait_until 10 eval '[ "$(child_of keep)" != "$k" ]'
    alive "$k" && grep -q "/keep.host\$" "/proc/$(child_of keep)/cgroup"
    # a child left by an rtinit killed with -9 is killed by the next start (control-group)
    "$RTCTL" --root "$PWD/root" start group >/dev/null
    wait_until 10 eval '[ "$(child_of group)" != "$g" ]'
    g=$(child_of group)
    kill -9 "$bgpid"
    wait "$bgpid" 2>/dev/null || true
    alive "$g" || { say "the child went with rtinit"; return 1; }
    bg_start
    wait_until 10 is_state group running
    wait_until 5 gone "$g"
    # rtinit's end: what kill_mode = process kept goes too, and the cgroups
    local k2
    k2=$(child_of keep)
    bg_stop
    gone "$k" && gone "$k2" || { say "kept processes outlived rtinit"; return 1; }
    [ ! -e "$(cgroup_of keep)" ] && [ ! -e "$(cgroup_of group)" ] || { say "cgroup left"; return 1; }
}

test_stop_timeout_kills_a_host_service_that_ignores_its_signal() {
    local deaf="sh -c 'trap \"\" TERM; sleep 1000 & echo child \$!; while :; do sleep 0.1; done'"
    hostconf group "stop_timeout = 1s
command = $deaf" \
        keep "stop_timeout = 1s
kill_mode = process
command = $deaf"
    bg_start
    wait_until 10 log_has group 'Z child ' && wait_until 10 log_has keep 'Z child '
    local g k t0 t1
    g=$(child_of group) k=$(child_of keep)
    t0=$(date +%s%N)
    "$RTCTL" --root "$PWD/root" stop group keep >/dev/null
    t1=$(date +%s%N)
    [ $(((t1 - t0) / 1000000)) -ge 900 ] && [ $(((t1 - t0) / 1000000)) -lt 3000 ] ||
        { say "stop took $(((t1 - t0) / 1000000)) ms"; return 1; }
    # control-group: everything in the cgroup; process: the main one only
    wait_until 5 gone "$g"
    alive "$k" || { say "kill_mode = process killed the child at stop_timeout"; return 1; }
    bg_stop
    assert_in "$out" "group: did not stop in time; killing every process in it"
    assert_in "$out" "keep: did not stop in time; killing its main process (kill_mode = process)"
    assert_in "$out" "keep: stopped (was killed by SIGKILL)"
    gone "$k"
}

test_health_checks_of_a_host_service_run_on_the_host() {
    netns
    # the http server is on the namespace's loopback, where rtinit runs:
    # a host service's http and tcp checks are made from rtinit's own
    # network namespace, its exec checks run on the host as it does
    hostconf web "user = nobody
command = python3 -m http.server --bind 127.0.0.1 8731 --directory /
[healthcheck]
http = http://localhost:8731/
interval = 300ms
timeout = 250ms" \
        probe "user = nobody
command = sh -c '$LOOP_TERM'
[healthcheck]
exec = sh -c 'echo mnt=\$(readlink /proc/self/ns/mnt) uid=\$(id -u); cat /proc/self/cgroup'
interval = 300ms
timeout = 250ms" \
        sick "restart = no
command = sh -c '$LOOP_TERM'
[healthcheck]
tcp = 8799
interval = 200ms
timeout = 100ms
retries = 2"
    bg_start
    wait_until 15 eval '[ "$(field web 3)" = healthy ]'
    wait_until 10 eval '[ "$(field probe 3)" = healthy ]'
    run "$RTCTL" --root "$PWD/root" health probe
    assert_in "$out" "mnt=$(readlink /proc/self/ns/mnt) uid=65534"
    assert_in "$out" "/probe.host"
    run "$RTCTL" --root "$PWD/root" health web
    assert_in "$out" "HTTP/1.0 200 OK"
    wait_until 10 grep -q 'sick was stopped as unhealthy (restart = no)' out.txt
    bg_stop
    assert_in "$out" "web is healthy (HTTP 200)"
    assert_in "$out" "sick is unhealthy: 2 checks failed in a row (last: connecting to port 8799: Connection refused); stopping it"
}

# --- OpenSSH's sshd as a host service ---

# keys made for the test, as tools/sshkeys.sh makes them for a droplet:
# a host key, a client key, its public half in authorized_keys
sshd_setup() {
    netns
    bash "$TOP/tools/sshkeys.sh" keys >/dev/null
    printf '%s\n' "Port 2222" "ListenAddress 127.0.0.1" "HostKey $PWD/keys/ssh_host_ed25519_key" \
        "AuthorizedKeysFile $PWD/keys/authorized_keys" "PidFile none" "UsePAM no" \
        "StrictModes no" >sshd_config
    # the shipped sshd.conf's command, with this test's config file
    local cmd
    cmd=$(sed -n 's/^command = //p' "$SHIPPED/sshd.conf")
    [ -n "$cmd" ] || { say "no command in $SHIPPED/sshd.conf"; return 1; }
    cmd=${cmd//\/usr\/sbin\/sshd -D -e/\/usr\/sbin\/sshd -D -e -f $PWD\/sshd_config}
    # the host key is checked against the one made above
    SSHOPTS=(-p 2222 -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$PWD/keys/known_hosts" -o BatchMode=yes
        -o ConnectTimeout=5)
    hostconf sshd "command = $cmd
restart = always
${1:-kill_mode = process}
[healthcheck]
tcp = 2222
interval = 300ms
timeout = 250ms"
}
ssh_root() { in_ns ssh -i keys/id_ed25519 "${SSHOPTS[@]}" root@127.0.0.1 "$@"; }

test_sshd_as_a_host_service_lets_root_in_with_a_key_only() {
    sshd_setup
    bg_start
    wait_until 15 eval '[ "$(field sshd 3)" = healthy ]'
    # the key from the keys made above: in, as root, with rtctl at hand
    run ssh_root "$RTCTL" --root "$PWD/root" status
    assert_rc 0
    head -n 1 <<<"$out" | grep -qE '^SERVICE +STATE +HEALTH +PID +RESTARTS +UPTIME +CPU +MEM +IMAGE +ADDRESS +PORTS +NOTE$'
    grep -qE '^sshd +running +healthy +[0-9]+ +0( +[^ ]+){3} +- +host +- +on the host, in no container; last check: port 2222 accepts connections$' \
        <<<"$out" || { say "$out"; return 1; }
    # a session is the host's: its namespaces, root
    run ssh_root 'id -u; readlink /proc/self/ns/mnt'
    assert_in "$out" "$(readlink /proc/self/ns/mnt)"
    [ "$(head -n 1 <<<"$out")" = 0 ]
    # passwords and keyboard-interactive are not even offered
    run in_ns ssh "${SSHOPTS[@]}" -o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive \
        root@127.0.0.1 true
    assert_rc 255
    assert_in "$err" "root@127.0.0.1: Permission denied (publickey)."
    # another key is refused
    ssh-keygen -q -t ed25519 -N '' -f other
    run in_ns ssh -i other "${SSHOPTS[@]}" root@127.0.0.1 true
    assert_rc 255
    assert_in "$err" "Permission denied (publickey)"
    bg_stop
    assert_in "$out" "sshd: stopped (exited with status 0)"
    log_has sshd 'Server listening on 127.0.0.1 port 2222'
}

test_an_ssh_session_outlives_a_restart_of_sshd_with_kill_mode_process() {
    sshd_setup "kill_mode = process"
    bg_start
    wait_until 15 eval '[ "$(field sshd 3)" = healthy ]'
    local before
    before=$(field sshd 4)
    # the operator restarts sshd from inside an SSH session: the session
    # (sshd's child) is not the service's main process, and goes on
    run ssh_root "$RTCTL --root $PWD/root restart sshd && echo restarted && $RTCTL --root $PWD/root status"
    assert_rc 0
    assert_in "$out" "restarted"
    grep -qE '^sshd +running ' <<<"$out" || { say "$out"; return 1; }
    [ "$(field sshd 4)" != "$before" ]
    bg_stop
}

test_an_ssh_session_ends_with_sshd_under_kill_mode_control_group() {
    # why sshd.conf says kill_mode = process: with the default, a restart
    # of sshd kills every session, the operator's own included
    sshd_setup "kill_mode = control-group"
    bg_start
    wait_until 15 eval '[ "$(field sshd 3)" = healthy ]'
    run ssh_root "$RTCTL --root $PWD/root restart sshd; echo still-here"
    assert_rc 255
    assert_not_in "$out" "still-here"
    wait_until 15 eval '[ "$(field sshd 3)" = healthy ]'
    bg_stop
}

test_config_check_and_rtinit_check_of_host_services() {
    hostconf sshd "command = /usr/sbin/sshd -D -e" \
        ghost "user = rt-no-such-user
command = sleep 1"
    # no image store at all: a host service needs none, even where images
    # are required (rtinit --check, as at boot and at a reload)
    run "$RTINIT" --check --conf conf.d --root "$PWD/root"
    assert_rc 0
    assert_in "$out" "host = true"
    assert_in "$err" "conf.d/ghost.conf:3: user: warning: 'rt-no-such-user' is not a user in /etc/passwd here; ghost cannot start where it is missing"
    assert_in "$err" "conf.d: OK, 2 services, 1 warning"
    # where it is missing, it cannot start, and says why
    bg_start
    wait_until 10 grep -q "ghost could not start (restart = no)" out.txt
    assert_in "$(cat out.txt)" "ghost: user 'rt-no-such-user' is not in the host's /etc/passwd"
    run "$RTCTL" --root "$PWD/root" status
    assert_in "$out" "could not start: ghost: user 'rt-no-such-user' is not in the host's /etc/passwd"
    run "$RTCTL" --root "$PWD/root" exec sshd true
    assert_rc 1
    bg_stop
}
