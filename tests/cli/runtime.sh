# rtctl run / exec: containers from a real image (the host's static busybox
# and a static probe program, imported by the image store), with real
# namespaces, mounts, credentials, capabilities and seccomp. Run as root.

# shellcheck source=tests/cli/ctr.bash
source "$TOP/tests/cli/ctr.bash"

test_pid1_hostname_env_workdir() {
    setup
    run rt run --rm --name web -e EXTRA=1 -e IMAGE_VAR=over bb:1 \
        sh -c 'echo pid=$$; echo host=$(hostname); echo file=$(cat /etc/hostname); echo var=$IMAGE_VAR;
               echo extra=$EXTRA; echo home=$HOME; echo hn=$HOSTNAME; echo cwd=$(pwd);
               grep -c . /etc/hosts >/dev/null && echo hosts=$(grep -c web /etc/hosts)'
    assert_rc 0
    for l in pid=1 host=web file=web var=over extra=1 home=/root hn=web cwd=/ hosts=1; do assert_line "$l"; done
    run rt run --rm -w /srv/new bb:1 probe cwd
    assert_rc 0 && assert_line /srv/new
    ! [ -e root/state/containers/web ] && ! [ -e root/run/containers/web ] ||
        { say "--rm left the container's directories"; return 1; }
}

test_root_credentials_and_capabilities() {
    setup
    run rt run --rm bb:1 sh -c 'id -u; id -g; cat /proc/self/status'
    assert_rc 0
    [ "$(sed -n 1,2p <<<"$out" | paste -sd' ')" = "0 0" ] || { say "ids: $out"; return 1; }
    # docker's default set, in bounding, permitted and effective; none
    # inheritable or ambient
    [ "$(field CapBnd)" = 00000000a80425fb ] && [ "$(field CapEff)" = 00000000a80425fb ] &&
        [ "$(field CapPrm)" = 00000000a80425fb ] && [ "$(field CapInh)" = 0000000000000000 ] &&
        [ "$(field CapAmb)" = 0000000000000000 ] || { say "$out"; return 1; }
    [ "$(field NoNewPrivs)" = 1 ] && [ "$(field Seccomp)" = 2 ] || { say "$out"; return 1; }
    # cap-drop and cap-add change the set
    run rt run --rm --cap-drop CHOWN --cap-drop net_raw --cap-add SYS_NICE bb:1 cat /proc/self/status
    [ "$(field CapEff)" = 00000000a88405fa ] || { say "$(field CapEff)"; return 1; }
    run rt run --rm --cap-drop ALL bb:1 cat /proc/self/status
    [ "$(field CapBnd)" = 0000000000000000 ] && [ "$(field CapEff)" = 0000000000000000 ]
}

test_non_root_user_groups_and_ambient_caps() {
    setup
    run rt run --rm -u app bb:1 sh -c 'echo ids=$(id -u) $(id -g) $(id -G); echo home=$HOME; cat /proc/self/status'
    assert_rc 0
    assert_line "ids=1000 1000 1000 2000"
    assert_line "home=/home/app"
    [ "$(field CapEff)" = 0000000000000000 ] && [ "$(field CapPrm)" = 0000000000000000 ] &&
        [ "$(field CapBnd)" = 00000000a80425fb ] && [ "$(field CapAmb)" = 0000000000000000 ] || { say "$out"; return 1; }
    # a non-root process keeps exactly what cap_add names, as ambient
    run rt run --rm -u app --cap-add NET_BIND_SERVICE bb:1 cat /proc/self/status
    [ "$(field CapEff)" = 0000000000000400 ] && [ "$(field CapAmb)" = 0000000000000400 ] || { say "$out"; return 1; }
    # numeric ids need no entry; name:group resolves the group in the image
    run rt run --rm -u 4321:5678 bb:1 sh -c 'echo $(id -u) $(id -g) $(id -G)'
    assert_rc 0 && assert_line "4321 5678 5678"
    run rt run --rm -u app:extra bb:1 sh -c 'echo $(id -u) $(id -g)'
    assert_rc 0 && assert_line "1000 2000"
    run rt run --rm -u nosuch bb:1 true
    assert_rc 1 && assert_in "$err" "user 'nosuch' is not in the image's /etc/passwd"
}

test_seccomp_default_refuses_the_dangerous_calls() {
    setup
    run rt run --rm bb:1 probe syscalls
    assert_rc 0
    local bad
    bad=$(grep -vE ' EPERM$|^clone3 ENOSYS$|^clone_plain OK$|^socket_inet OK$' <<<"$out" || true)
    [ -z "$bad" ] || { say "not refused: $bad"; return 1; }
    [ "$(grep -c ' EPERM$' <<<"$out")" = 34 ] || { say "$out"; return 1; }
    assert_line "clone3 ENOSYS"
    assert_line "clone_plain OK"
    # the filter is what refuses them: unconfined, root lets keyctl through
    run rt run --rm --seccomp unconfined bb:1 probe syscalls
    assert_rc 0 && assert_line "keyctl OK" && assert_line "clone3 OK"
    run rt run --rm bb:1 cat /proc/self/status
    [ "$(field Seccomp)" = 2 ]
    run rt run --rm --seccomp unconfined bb:1 cat /proc/self/status
    [ "$(field Seccomp)" = 0 ]
}

test_root_in_the_container_cannot_unshare_mount_or_keyctl() {
    setup
    run rt run --rm bb:1 sh -c 'unshare -m true && echo unshare-worked; mount -t tmpfs none /mnt && echo mount-worked;
                                  probe syscalls | grep keyctl; true'
    assert_rc 0
    assert_not_in "$out" worked
    assert_line "keyctl EPERM"
    assert_in "$err" "unshare"
}

test_seccomp_profile_in_docker_format() {
    setup
    cat >deny-mkdir.json <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
EOF
    run rt run --rm --seccomp "$PWD/deny-mkdir.json" bb:1 sh -c 'mkdir /tmp/x; touch /tmp/y && echo touched'
    assert_rc 0
    assert_in "$err" "Permission denied"
    assert_line touched
    printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "NOPE"}]}' >bad.json
    run rt run --rm --seccomp "$PWD/bad.json" bb:1 true
    assert_rc 1 && assert_in "$err" "bad.json: syscalls[0].action"
}

test_proc_and_sys_masked_and_read_only() {
    setup
    run rt run --rm bb:1 sh -c 'echo keys=$(wc -c </proc/keys); echo acpi=$(ls /proc/acpi | wc -l);
        echo timer=$(wc -c </proc/timer_list);
        echo x >/proc/sys/kernel/hostname || echo procsys-ro; echo c >/proc/sysrq-trigger || echo sysrq-ro;
        touch /sys/x || echo sys-ro; grep -E " /(proc|sys) " /proc/mounts'
    assert_rc 0
    for l in keys=0 acpi=0 timer=0 procsys-ro sysrq-ro sys-ro; do assert_line "$l"; done
    assert_in "$out" " /sys sysfs ro,nosuid,nodev,noexec"
    assert_in "$out" " /proc proc rw,nosuid,nodev,noexec"
}

test_dev_is_minimal() {
    setup
    run rt run --rm bb:1 sh -c 'ls /dev | paste -sd" "; echo x >/dev/null && echo null-ok; ls /dev/pts'
    assert_rc 0
    assert_line "core fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero"
    assert_line null-ok
    assert_in "$out" ptmx
}

test_read_only_root_gives_erofs() {
    setup
    run rt run --rm --read-only --tmpfs /tmp bb:1 sh -c 'touch /x; touch /tmp/ok && echo tmp-ok'
    assert_rc 0
    assert_in "$err" "touch: /x: Read-only file system"
    assert_line tmp-ok
    run rt run --rm bb:1 sh -c 'touch /x && echo rw-ok'
    assert_line rw-ok
}

test_volumes_have_their_modes() {
    setup
    mkdir ro rw && echo hi >ro/f
    run rt run --rm -v "$PWD/ro:/in:ro" -v "$PWD/rw:/out" bb:1 \
        sh -c 'cat /in/f; touch /in/g || echo in-ro; echo made >/out/g; grep -E " /(in|out) " /proc/mounts'
    assert_rc 0
    assert_line hi && assert_line in-ro
    [ "$(cat rw/g)" = made ] || { say "rw volume not written"; return 1; }
    grep -E " /in " <<<"$out" | grep -q "ro,nosuid,nodev" || { say "$out"; return 1; }
    grep -E " /out " <<<"$out" | grep -q "rw,nosuid,nodev" || { say "$out"; return 1; }
    run rt run --rm -v /nonexistent-rt:/x bb:1 true
    assert_rc 2 && assert_in "$err" "-v '/nonexistent-rt:/x': the source does not exist"
}

test_only_stdio_reaches_the_container() {
    setup
    exec 7</dev/null 8>/dev/null
    run rt run --rm bb:1 probe fds
    exec 7<&- 8>&-
    assert_rc 0
    [ "$(paste -sd' ' <<<"$out")" = "0 1 2" ] || { say "fds: $out"; return 1; }
}

test_exit_codes_and_signals_come_back() {
    setup
    run rt run --rm bb:1 sh -c 'exit 42'
    assert_rc 42
    run rt run --rm bb:1 false
    assert_rc 1
    # a signal to rtctl goes to the container's process
    "$RTCTL" --root "$PWD/root" run --rm --name sig bb:1 sh -c 'trap "exit 3" TERM; echo ready; while :; do sleep 0.05; done' >sig.out &
    local p=$!
    for _ in $(seq 100); do grep -q ready sig.out 2>/dev/null && break; sleep 0.05; done
    kill -TERM $p
    rc=0; wait $p || rc=$?
    assert_rc 3
    # killed by a signal: 128+N
    rt run --rm --name kil bb:1 sleep 30 &
    p=$!
    wait_running kil
    kill -KILL "$(cpid kil)"
    rc=0; wait $p || rc=$?
    assert_rc 137
    ! [ -e root/state/containers/kil ] && ! [ -e root/run/containers/kil ]
}

# ms_since T0: milliseconds since T0 (date +%s%N)
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# --init: the runtime's own init (runtime/ctrinit) is PID 1, from a sealed
# memfd, and the command its child; statuses come back as without it
test_init_is_pid_1_and_passes_statuses_and_signals() {
    setup
    run rt run --rm --init bb:1 sh -c 'echo self=$$; echo init=$(cat /proc/1/comm); echo exe=$(readlink /proc/1/exe);
        echo fds=$(ls /proc/1/fd); echo mounts=$(grep -c ctrinit /proc/self/mountinfo)'
    assert_rc 0
    for l in self=2 init=ctrinit "exe=/memfd:ctrinit (deleted)" "fds=0 1 2" mounts=0; do assert_line "$l"; done
    run rt run --rm --init bb:1 sh -c 'exit 42'
    assert_rc 42
    run rt run --rm --init bb:1 sh -c 'kill -SEGV $$'
    assert_rc 139
    # a non-root user, no capabilities, a read-only root: the init needs none
    run rt run --rm --init -u app --cap-drop ALL --read-only bb:1 sh -c 'echo $(id -u) $$'
    assert_rc 0 && assert_line "1000 2"
    # a missing command: the error it is without --init, and nothing left
    run rt run --rm --init bb:1 /no/such/prog
    assert_rc 1 && assert_in "$err" "/no/such/prog: not found in the container's PATH"
    run rt run --rm --init bb:1 nosuch
    assert_rc 1 && assert_in "$err" "nosuch: not found in the container's PATH"
    local left
    left=$(find root/state/containers root/run/containers -mindepth 1 -maxdepth 1 2>/dev/null)
    [ -z "$left" ] || { say "failed runs left: $left"; return 1; }
    # sleep has no SIGTERM handler: as PID 1 it ignores SIGTERM, under the
    # init it gets it and dies at once
    local p t0 ms
    "$RTCTL" --root "$PWD/root" run --rm --init --name sl bb:1 sleep 1000 &
    p=$!
    wait_running sl
    t0=$(date +%s%N)
    kill -TERM $p
    rc=0; wait $p || rc=$?
    ms=$(ms_since "$t0")
    assert_rc 143
    [ "$ms" -lt 1000 ] || { say "--init: SIGTERM took $ms ms"; return 1; }
    echo "sleep under --init: SIGTERM to exit in $ms ms" >&2
}

# Orphans re-parented to PID 1: sleep as PID 1 never reaps them, the init
# does; exec still enters a container that runs under the init
test_init_reaps_orphans_and_exec_enters() {
    setup
    local orphans='sh -c "sleep 0.1 &"; sh -c "sleep 0.1 &"; exec sleep 30'
    "$RTCTL" --root "$PWD/root" run --rm --name plain bb:1 sh -c "$orphans" &
    local p1=$!
    "$RTCTL" --root "$PWD/root" run --rm --init --name inited -u app bb:1 sh -c "$orphans" &
    local p2=$!
    wait_running plain && wait_running inited
    sleep 0.6
    run rt exec plain ps -o stat,comm
    [ "$(grep -c '^Z' <<<"$out")" = 2 ] || { say "without init, expected 2 zombies: $out"; return 1; }
    run rt exec inited sh -c 'ps -o pid,stat,comm; echo ids=$(id -u); cat /proc/self/status'
    assert_rc 0
    ! grep -q '^ *[0-9]* *Z' <<<"$out" || { say "zombies under the init: $out"; return 1; }
    grep -qE '^ *1 +S +ctrinit$' <<<"$out" || { say "PID 1 is not the init: $out"; return 1; }
    assert_line "ids=1000"
    [ "$(field NoNewPrivs)" = 1 ] && [ "$(field Seccomp)" = 2 ] || { say "$out"; return 1; }
    run rt exec inited nope
    assert_rc 1 && assert_in "$err" "nope: not found in the container's PATH"
    # sleep as PID 1 ignores SIGTERM: SIGKILL; under the init it needs no more
    kill -KILL "$(cpid plain)"
    kill -TERM $p2
    rc=0; wait $p2 || rc=$?
    assert_rc 143
    wait $p1 || true
}

test_exec_enters_the_same_container() {
    setup
    rt run --rm --name svc -u app bb:1 sleep 30 >/dev/null &
    local p=$!
    wait_running svc
    run rt exec svc sh -c 'for n in pid mnt net uts ipc cgroup; do
        [ "$(readlink /proc/1/ns/$n)" = "$(readlink /proc/self/ns/$n)" ] && echo same-$n; done;
        echo ids=$(id -u) $(id -G); echo self=$$; cat /proc/self/status; echo cg=$(cat /proc/self/cgroup | grep ^0::)'
    assert_rc 0
    for n in pid mnt net uts ipc cgroup; do assert_line "same-$n"; done
    assert_line "ids=1000 1000 2000"
    assert_line "cg=0::/"
    [ "$(field NoNewPrivs)" = 1 ] && [ "$(field Seccomp)" = 2 ] && [ "$(field CapEff)" = 0000000000000000 ] &&
        [ "$(field CapBnd)" = 00000000a80425fb ] || { say "$out"; return 1; }
    grep -q '^self=[2-9]' <<<"$out" || { say "not in the container's PID namespace: $out"; return 1; }
    # the same cgroup, seen from the host
    local cpid
    cpid=$(cpid svc)
    run rt exec -u root svc sh -c 'id -u; sleep 0.2 & cat /proc/$!/cgroup >/dev/null; echo $$'
    assert_rc 0 && assert_line 0
    run rt exec svc sh -c 'exit 9'
    assert_rc 9
    run rt exec svc sh -c 'kill -SEGV $$'
    assert_rc 139
    run rt exec svc nope
    assert_rc 1 && assert_in "$err" "nope: not found in the container's PATH"
    run rt exec svc probe fds
    [ "$(paste -sd' ' <<<"$out")" = "0 1 2" ] || { say "fds: $out"; return 1; }
    [ "$(sed -n 's/^0:://p' /proc/"$cpid"/cgroup)" != "$(sed -n 's/^0:://p' /proc/self/cgroup)" ]
    kill -KILL "$cpid"
    wait $p || true
    run rt exec svc true
    assert_rc 1 && assert_in "$err" "no container named svc is running"
    run rt exec ../../etc true
    assert_rc 1 && assert_in "$err" "not a valid container name"
}

test_writable_layer_kept_until_rm() {
    setup
    run rt run --name keep bb:1 sh -c 'echo kept >/state'
    assert_rc 0
    run rt run --name keep bb:1 cat /state
    assert_rc 0 && assert_line kept
    # stopped: its writable layer stays, its run state does not
    [ -d root/state/containers/keep/upper ] && ! [ -e root/run/containers/keep ]
    # gc keeps the layers of a container even when no image names them
    rt image rm bb:1 >/dev/null
    rt image gc >/dev/null
    [ "$(ls root/state/images/layers | wc -l)" = 1 ] || { say "gc removed a container's layer"; return 1; }
    setup
    run rt run --rm --name keep bb:1 cat /state
    assert_rc 0 && assert_line kept
    ! [ -e root/state/containers/keep ]
    run rt run --rm --name keep bb:1 cat /state
    assert_rc 1
}

test_one_container_per_name() {
    setup
    rt run --rm --name one bb:1 sleep 30 &
    local p=$!
    wait_running one
    run rt run --rm --name one bb:1 true
    assert_rc 1 && assert_in "$err" "container one is already running"
    [ -f root/run/containers/one/state.json ] || { say "the failed start removed the running one's files"; return 1; }
    kill -KILL "$(cpid one)"
    wait $p || true
}

test_symlinks_in_the_image_stay_inside_its_root() {
    # /evil points out of the root, /proc is a symlink: a volume lands
    # inside the root, and a /proc that is not a fresh procfs is refused
    printf '%s' '{"layers": [{"compress": "none", "entries": [
        {"name": "bin", "type": "dir"}, {"name": "bin/busybox", "src": "'"$(command -v busybox)"'", "mode": 493},
        {"name": "bin/sh", "type": "symlink", "target": "busybox"},
        {"name": "bin/cat", "type": "symlink", "target": "busybox"},
        {"name": "etc", "type": "dir"}, {"name": "srv", "type": "dir"},
        {"name": "evil", "type": "symlink", "target": "../../../../../../../../srv"}]}],
        "config": {"Cmd": ["sh"]}}' >evil.json
    python3 "$MKIMAGE" evil evil.json
    rt image import -q evil evil:1
    mkdir vol && echo marker >vol/m
    run rt run --rm -v "$PWD/vol:/evil" evil:1 cat /srv/m
    assert_rc 0 && assert_line marker
    printf '%s' '{"layers": [{"compress": "none", "entries": [
        {"name": "bin", "type": "dir"}, {"name": "bin/busybox", "src": "'"$(command -v busybox)"'", "mode": 493},
        {"name": "tmp", "type": "dir"}, {"name": "proc", "type": "symlink", "target": "/tmp"}]}],
        "config": {"Cmd": ["/bin/busybox", "true"]}}' >proc.json
    python3 "$MKIMAGE" proc proc.json
    rt image import -q proc proc:1
    run rt run --rm proc:1
    assert_rc 1 && assert_in "$err" "the image's /proc is a symbolic link"
}

test_limits_are_applied_or_reported() {
    setup
    local mnt
    mnt=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
    run rt run --rm --name lim --memory 64M --pids 20 --cpus 0.5 --io-weight 200 bb:1 true
    assert_rc 0
    if grep -qw memory "$mnt/cgroup.controllers" 2>/dev/null; then
        assert_not_in "$err" "memory_max"
    else
        # this host's cgroup2 has no controllers: said once, not faked
        assert_in "$err" "lim runs without memory_max (the memory controller), cpus (the cpu controller), pids_max (the pids controller), io_weight (the io controller)"
    fi
    ! ls -d "$mnt"/rt*/lim 2>/dev/null || { say "the cgroup was left behind"; return 1; }
}

test_run_errors_name_what_is_wrong() {
    setup
    run rt run --rm nosuch:1 true
    assert_rc 1 && assert_in "$err" "no image named nosuch:1"
    run rt run --rm --name Bad_Name bb:1 true
    assert_rc 1 && assert_in "$err" "--name 'Bad_Name'"
    run rt run --rm --net bridge bb:1 true
    assert_rc 2 && assert_in "$err" "--net 'bridge': the bridge network is not available yet"
    run rt run --rm --memory lots bb:1 true
    assert_rc 2 && assert_in "$err" "--memory 'lots'"
    run rt run --rm --cap-add CAP_NOPE bb:1 true
    assert_rc 2 && assert_in "$err" "--cap-add 'CAP_NOPE'"
    run rt run --rm bb:1 /no/such/prog
    assert_rc 1 && assert_in "$err" "/no/such/prog"
    run rt run
    assert_rc 2 && assert_in "$err" "missing IMAGE"
    run rt exec onlyname
    assert_rc 2 && assert_in "$err" "missing COMMAND"
    local left
    left=$(find root/state/containers root/run/containers -mindepth 1 -maxdepth 1 2>/dev/null)
    [ -z "$left" ] || { say "failed runs left: $left"; return 1; }
}
