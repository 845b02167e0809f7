# Container escapes, attempted from inside real containers: each test runs
# the attack the way a hostile image or a compromised service would, and
# asserts that it fails. docs/security.md lists them with the threat
# model. Run as root.

# shellcheck source=tests/cli/ctr.bash
source "$TOP/tests/cli/ctr.bash"

# The CVE-2019-5736 class: a container process with CAP_SYS_PTRACE watches
# /proc for the processes `rtctl exec` puts into the container, and tries
# to read a host file through their /proc/PID/root and to write the
# runtime's binary through their /proc/PID/exe. The exec'd processes come
# from a copy of rtctl, so a successful attack damages only the copy.
test_exec_gives_no_way_to_the_host_or_the_runtime_binary() {
    setup
    cp "$RTCTL" rtctl-copy
    local sum
    sum=$(sha256sum <rtctl-copy)
    echo "host-secret-$$" >secret
    rt run --name victim --cap-add SYS_PTRACE bb:1 probe snoop 6 "$PWD/secret" >snoop.out 2>&1 &
    local p=$!
    wait_running victim
    local n=0
    while kill -0 "$p" 2>/dev/null && [ "$n" -lt 400 ]; do
        timeout 10 ./rtctl-copy --root "$PWD/root" exec victim true >/dev/null 2>&1 || true
        n=$((n + 1))
    done
    wait "$p" || true
    rt rm victim >/dev/null 2>&1 || true
    echo "$(tail -n 1 snoop.out) over $n execs" >&2
    ! grep -q '^root-escape' snoop.out || { say "read a host file: $(cat snoop.out)"; return 1; }
    ! grep -q '^exe-written' snoop.out || { say "wrote the runtime's binary: $(grep exe-written snoop.out)"; return 1; }
    [ "$(sha256sum <rtctl-copy)" = "$sum" ] || { say "the runtime's binary changed"; return 1; }
    # the attack did see processes coming in: it was not vacuous
    grep -q 'kept [1-9]' snoop.out || { say "the snooper saw no exec'd process: $(cat snoop.out)"; return 1; }
    # what code injected with ptrace before exec would hold: exactly what
    # the exec'd program gets (the container's capability set, its filter,
    # no_new_privs), and no fd but stdio (and, for an instant, the sync
    # socket, whose messages rtctl takes only from the first stage)
    local seen
    seen=$(grep '^entering' snoop.out | sed -e 's/^entering [0-9]* //' -e 's/fds=socket:\[[0-9]*\]$/fds=-/' | sort -u)
    [ -n "$seen" ] || { say "no entering process seen: $(head -n 5 snoop.out)"; return 1; }
    [ "$seen" = "capeff=00000000a80c25fb seccomp=2 nnp=1 fds=-" ] ||
        { say "an entering process held: $seen"; return 1; }
}

# evil NAME ENTRIES: an image NAME:1 of busybox, the probe, an app user,
# and the given layer entries (JSON objects, comma-separated)
PROBE="$TMP/escapes-probe"
[ -x "$PROBE" ] || gcc -static -O2 -o "$PROBE" "$TOP/tests/runtime/probe.c"
evil() {
    printf '%s' '{"layers": [{"compress": "none", "entries": [
        {"name": "bin", "type": "dir"}, {"name": "bin/busybox", "src": "'"$(command -v busybox)"'", "mode": 493},
        {"name": "bin/sh", "type": "symlink", "target": "busybox"},
        {"name": "bin/cat", "type": "symlink", "target": "busybox"},
        {"name": "bin/probe", "src": "'"$PROBE"'", "mode": 493}, {"name": "tmp", "type": "dir", "mode": 1023},
        {"name": "etc", "type": "dir"}, {"name": "etc/passwd", "data": "root:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n"},
        '"$2"']}], "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]}}' >"$1.json"
    python3 "$MKIMAGE" "$1" "$1.json"
    rt image import -q "$1" "$1:1"
}

# init = true (rtctl run --init): the runtime's init is PID 1 of the
# container, executed from a sealed memfd (runtime/ctrinit_fd.c). From
# inside, as root with the default capabilities, with SYS_PTRACE, with
# ALL, and as a user, every way to write it fails; the host's root,
# keeping an fd of it until the container has ended and reopening it for
# writing, cannot change a byte either; the next start runs an intact init.
test_the_containers_init_cannot_be_written() {
    setup
    local want opts p
    want=$'open-w ETXTBSY\nreopen-rw ETXTBSY\nmmap-shared-w EACCES\nseals f'
    for opts in "" "--cap-add SYS_PTRACE" "--cap-add ALL" "-u app"; do
        # shellcheck disable=SC2086
        run rt run --rm --init $opts bb:1 probe exe /proc/1/exe
        assert_rc 0
        [ "$out" = "$want" ] || { say "${opts:-root}: $out"; return 1; }
    done
    "$RTCTL" --root "$PWD/root" run --rm --init --name v bb:1 sleep 30 &
    p=$!
    wait_running v
    python3 - "$(cpid v)" "$p" >attack.txt <<'PY'
import errno, mmap, os, signal, sys, time
pid, rtctl = int(sys.argv[1]), int(sys.argv[2])
fd = os.open(f"/proc/{pid}/exe", os.O_RDONLY)
os.kill(rtctl, signal.SIGTERM)
for _ in range(500):
    try:
        os.kill(pid, 0)
        time.sleep(0.01)
    except ProcessLookupError:
        break
print("ended" if not os.path.exists(f"/proc/{pid}") else "still running")
def attempt(name, f):
    try:
        f()
        print(name, "OK")
    except OSError as e:
        print(name, errno.errorcode[e.errno])
sys.stdout.flush()
w = os.open(f"/proc/self/fd/{fd}", os.O_RDWR)  # no longer executed: allowed
attempt("pwrite", lambda: os.pwrite(w, b"x", 0))
attempt("append", lambda: os.pwrite(w, b"x", os.fstat(w).st_size))
attempt("ftruncate", lambda: os.ftruncate(w, 0))
attempt("mmap-shared-w", lambda: mmap.mmap(w, 4096, mmap.MAP_SHARED, mmap.PROT_WRITE))
PY
    wait "$p" || true
    [ "$(paste -sd' ' attack.txt)" = "ended pwrite EPERM append EPERM ftruncate EPERM mmap-shared-w EPERM" ] ||
        { say "the host's root on the init's memfd: $(cat attack.txt)"; return 1; }
    # the next start: byte for byte the init the runtime embeds, and it works
    "$RTCTL" --root "$PWD/root" run --rm --init --name w bb:1 sleep 30 &
    p=$!
    wait_running w
    cmp "/proc/$(cpid w)/exe" "$(dirname "$RTCTL")/ctrinit" || { say "the next init differs"; return 1; }
    run rt exec w cat /proc/1/comm
    assert_rc 0 && [ "$out" = ctrinit ]
    kill -TERM "$p"
    rc=0; wait "$p" || rc=$?
    assert_rc 143
}

# A container's root has CAP_MKNOD: it makes a node for a host device and
# opens it; an image ships a 0666 node that a process with no capability
# opens. loop-control (10:237) is a harmless host device to try it on.
test_host_devices_cannot_be_opened() {
    [ -c /dev/loop-control ] || modprobe loop 2>/dev/null || true
    [ -c /dev/loop-control ] || { say "no /dev/loop-control on this host"; return 1; }
    setup
    # mknod in /dev (the runtime's tmpfs): made, but the device program refuses it
    run rt run --rm bb:1 sh -c 'mknod /dev/lc c 10 237 && echo made; probe open /dev/lc r; probe open /dev/lc rw;
        mknod /dev/con c 5 1; probe open /dev/con r'
    assert_rc 0 && assert_line made && assert_line "open /dev/lc EPERM"
    # nor the host's console (5:1): its input, and output that looks like the kernel's
    assert_line "open /dev/con EPERM"
    # mknod anywhere else: the root is nodev
    run rt run --rm bb:1 sh -c 'mknod /tmp/lc c 10 237 && probe open /tmp/lc r'
    assert_rc 0 && assert_line "open /tmp/lc EACCES"
    # shipped in the image, 0666, opened with every capability dropped
    evil devimg '{"name": "data", "type": "dir"},
        {"name": "data/lc", "type": "chardev", "major": 10, "minor": 237, "mode": 438}'
    run rt run --rm -u app --cap-drop ALL devimg:1 probe open /data/lc rw
    assert_rc 0 && assert_line "open /data/lc EACCES"
    # what docker allows still works, as root and not
    run rt run --rm -u app --cap-drop ALL bb:1 sh -c 'for d in null zero full random urandom tty; do probe open /dev/$d rw; done'
    for d in null zero full random urandom; do assert_line "open /dev/$d OK"; done
    # a tmpfs mount is nodev too
    run rt run --rm --tmpfs /scratch bb:1 sh -c 'mknod /scratch/lc c 10 237 && probe open /scratch/lc r'
    assert_line "open /scratch/lc EACCES"
    # and exec'd processes are under the same program
    rt run --name devsvc bb:1 sleep 30 >/dev/null &
    local p=$!
    wait_running devsvc
    run rt exec devsvc sh -c 'mknod /dev/lc2 c 10 237; probe open /dev/lc2 r'
    kill "$p"; wait "$p" 2>/dev/null || true
    assert_line "open /dev/lc2 EPERM"
}

# --device passes one host device through, with the access asked for
test_device_option_passes_one_device_through() {
    [ -c /dev/loop-control ] || { say "no /dev/loop-control on this host"; return 1; }
    setup
    run rt run --rm --device /dev/loop-control:/dev/lc:r bb:1 sh -c 'ls -l /dev/lc; probe open /dev/lc r; probe open /dev/lc w'
    assert_rc 0 && assert_line "open /dev/lc OK" && assert_line "open /dev/lc EPERM"
    assert_in "$out" "10, 237"
    run rt run --rm --device /dev/loop-control bb:1 probe open /dev/loop-control rw
    assert_rc 0 && assert_line "open /dev/loop-control OK"
    run rt run --rm --device /etc/passwd bb:1 true
    assert_rc 1 && assert_in "$err" "/etc/passwd is not a character or block device"
    run rt run --rm --device /dev/loop-control:/dev/lc:x bb:1 true
    assert_rc 2 && assert_in "$err" "--device"
}

# Docker's default /dev works for a non-root user with no capability:
# /dev/null writable (0666 whatever the umask), urandom readable, and the
# container's stdout and stderr, pipes of the runtime, openable by path.
test_non_root_has_a_working_dev_and_stdio() {
    setup
    # stdout and stderr each a pipe, as rtinit gives them
    (rt run --rm -u app --cap-drop ALL bb:1 sh -c 'stat -c "%a %n" /dev/null /dev/zero /dev/urandom /dev/tty;
        echo x >/dev/null && echo null-ok; head -c 8 /dev/urandom | wc -c; echo to-stdout >/dev/stdout;
        echo to-stderr >/dev/stderr' | cat >out.txt) 2>&1 | cat >err.txt
    out=$(cat out.txt)
    assert_line "666 /dev/null" && assert_line "666 /dev/urandom" && assert_line "666 /dev/tty"
    assert_line null-ok && assert_line 8 && assert_line to-stdout
    grep -qx to-stderr err.txt || { say "stderr: $(cat err.txt)"; return 1; }
    # exec, as another user
    rt run --name stdio bb:1 sleep 30 >/dev/null &
    local p=$!
    wait_running stdio
    out=$(rt exec -u app stdio sh -c 'echo exec-stdout >/dev/stdout; echo x >/dev/null && echo exec-null' | cat)
    kill "$p"; wait "$p" 2>/dev/null || true
    assert_line exec-stdout && assert_line exec-null
    # a file or named FIFO of the caller is never given away
    rt run --rm -u app bb:1 true >owned.txt
    [ "$(stat -c %u owned.txt)" = 0 ] || { say "the caller's file was given to the container's user"; return 1; }
    mkfifo -m 600 fifo
    cat fifo >/dev/null &
    rt run --rm -u app bb:1 true >fifo
    wait
    [ "$(stat -c %u fifo)" = 0 ] || { say "the caller's FIFO was given to the container's user"; return 1; }
}

# An image whose /sys is a symlink would get sysfs at its target, and the
# masks silently skipped; /proc and /dev likewise. Refused, named.
test_kernel_file_systems_never_mounted_through_a_symlink() {
    evil syslink '{"name": "sys", "type": "symlink", "target": "/tmp"}'
    run rt run --rm syslink:1 true
    assert_rc 1 && assert_in "$err" "the image's /sys is a symbolic link"
    evil proclink '{"name": "proc", "type": "symlink", "target": "/tmp"}'
    run rt run --rm proclink:1 true
    assert_rc 1 && assert_in "$err" "the image's /proc is a symbolic link"
    evil devlink '{"name": "dev", "type": "symlink", "target": "/tmp"}'
    run rt run --rm devlink:1 true
    assert_rc 1 && assert_in "$err" "the image's /dev is a symbolic link"
}

# A volume or tmpfs target that an image symlink sends into /proc or /sys
# would make that path writable (the CVE-2019-19921 class).
test_mount_targets_never_land_in_proc_or_sys() {
    evil intoproc '{"name": "data", "type": "symlink", "target": "/proc/sys/kernel"},
        {"name": "cls", "type": "symlink", "target": "/sys/class"},
        {"name": "etc/hosts", "type": "symlink", "target": "/proc/sys/kernel/hostname"}'
    mkdir vol
    run rt run --rm --tmpfs /data intoproc:1 true
    assert_rc 1 && assert_in "$err" "mount target /data resolves into /proc (through a symbolic link in the image): refused"
    run rt run --rm -v "$PWD/vol:/cls" intoproc:1 true
    assert_rc 1 && assert_in "$err" "mount target /cls resolves into /sys"
    # the runtime's own /etc/hosts, through the image's symlink
    evil hostsproc '{"name": "etc/hosts", "type": "symlink", "target": "/proc/sys/kernel/hostname"}'
    run rt run --rm hostsproc:1 true
    assert_rc 1 && assert_in "$err" "mount target etc/hosts resolves into /proc"
}

# A target whose image symlink points at a missing path inside the root:
# the path is made inside the root, as docker does.
test_a_dangling_symlink_target_is_made_inside_the_root() {
    evil dangling '{"name": "data", "type": "symlink", "target": "/srv/app/data"},
        {"name": "up", "type": "symlink", "target": "../../../../outside"}'
    mkdir vol && echo marker >vol/m
    run rt run --rm -v "$PWD/vol:/data" dangling:1 cat /srv/app/data/m
    assert_rc 0 && assert_line marker
    run rt run --rm --tmpfs /up dangling:1 sh -c 'echo x >/outside/f && cat /outside/f'
    assert_rc 0 && assert_line x
    ! [ -e /outside ] || { say "made /outside on the host"; return 1; }
}

# Two volumes, one inside the other: the container that has the outer one
# replaces the inner one's directory with a symlink to /, and the next
# container given the inner one would get the host's root.
# (rtinit's named volumes: supervisor.sh, named_volumes_never_follow_...)
# Every source ever mounted read-write is remembered (STATE/volumes.rw):
# the later container needs no writable volume of its own to be refused,
# and another spelling of the same directory is caught too.
test_a_volume_source_swapped_for_a_symlink_is_refused() {
    setup
    # the link's target is a host directory with a secret (a link to /
    # is refused before that check: / holds rtinit's control socket)
    mkdir -p vols/shared/inner secdir && echo "host-secret-$$" >secdir/secret
    ln -s vols/shared alias
    run rt run --rm -v "$PWD/vols/shared:/s" bb:1 sh -c "rm -rf /s/inner && ln -s $PWD/secdir /s/inner && echo swapped"
    assert_rc 0 && assert_line swapped
    local why="is a symbolic link in a directory that a container can write"
    run rt run --rm -v "$PWD/vols/shared/inner:/x:ro" bb:1 cat /x/secret
    assert_rc 1 && assert_not_in "$out" "host-secret"
    assert_in "$err" "volume source $PWD/vols/shared/inner: $PWD/vols/shared/inner $why"
    run rt run --rm -v "$PWD/alias/inner:/x:ro" bb:1 cat /x/secret
    assert_rc 1 && assert_not_in "$out" "host-secret"
    assert_in "$err" "$why"
    run rt run --rm -v "$PWD/vols/shared:/s" bb:1 sh -c 'rm -f /s/inner && ln -s / /s/inner'
    run rt run --rm -v "$PWD/vols/shared/inner:/x:ro" bb:1 cat "/x$PWD/secdir/secret"
    [ "$rc" != 0 ] && assert_not_in "$out" "host-secret" && assert_in "$err" "the container would get rtinit's control socket"
    # what the administrator writes is followed as written: a host path
    # through a symlink above any writable directory works
    run rt run --rm -v "$PWD/alias:/r:ro" -v /etc/localtime:/etc/localtime:ro bb:1 ls /r
    assert_rc 0 && assert_line inner
    # the directory is known by what it is, not by its name: mounted rw
    # through an administrator's symlink, then renamed
    mkdir -p vols/real && ln -s "$PWD/vols/real" vols/link
    run rt run --rm -v "$PWD/vols/link:/s" bb:1 ln -s "$PWD/secdir" /s/inner
    assert_rc 0
    run rt run --rm -v "$PWD/vols/link/inner:/x:ro" bb:1 cat /x/secret
    assert_rc 1 && assert_not_in "$out" "host-secret" && assert_in "$err" "$why"
    mv vols/real vols/moved
    run rt run --rm -v "$PWD/vols/moved/inner:/x:ro" bb:1 cat /x/secret
    assert_rc 1 && assert_not_in "$out" "host-secret" && assert_in "$err" "$why"
    # a path no line of the record could hold is refused
    mkdir "nl
x"
    run rt run --rm -v "$PWD/nl
x:/s" bb:1 true
    assert_rc 1 && assert_in "$err" "a newline in a path is not allowed"
}

# A capability outside the runtime's own bounding set is named, not
# reported as "setting capabilities: Operation not permitted"; ALL is cut
# down to what the host has.
test_capabilities_the_host_lacks_are_named() {
    setup
    run setpriv --bounding-set -sys_boot "$RTCTL" --root "$PWD/root" run --rm --cap-add SYS_BOOT bb:1 true
    assert_rc 1 && assert_in "$err" "capability SYS_BOOT is not in this host's bounding set"
    run setpriv --bounding-set -sys_boot "$RTCTL" --root "$PWD/root" run --rm --cap-add ALL bb:1 grep CapEff /proc/self/status
    assert_rc 0
    local eff
    eff=$(awk '{print $2}' <<<"$out")
    [ $(( 0x$eff & (1 << 22) )) = 0 ] && [ $(( 0x$eff & (1 << 21) )) != 0 ] || { say "CapEff $eff"; return 1; }
}

# Run from a terminal, a container must not get that terminal as its
# controlling one: TIOCSTI would type commands into the administrator's
# root shell, and /dev/tty would be it. Each container and each exec is
# in a session of its own.
test_the_callers_terminal_is_not_the_containers() {
    setup
    script -qec "timeout 20 $RTCTL --root $PWD/root run -i --rm bb:1 probe tiocsti" /dev/null >run.txt </dev/null
    grep -q '^tiocsti EPERM' run.txt && grep -q '^dev_tty ENXIO' run.txt || { say "run: $(cat run.txt)"; return 1; }
    rt run --name tty bb:1 sleep 30 >/dev/null &
    local p=$!
    wait_running tty
    script -qec "timeout 20 $RTCTL --root $PWD/root exec -i tty probe tiocsti" /dev/null >exec.txt </dev/null
    kill "$p"; wait "$p" 2>/dev/null || true
    grep -q '^tiocsti EPERM' exec.txt && grep -q '^dev_tty ENXIO' exec.txt || { say "exec: $(cat exec.txt)"; return 1; }
}
