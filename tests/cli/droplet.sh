# rtinit as the droplet's init: Debian's kernel boots rtinit as PID 1 in
# QEMU (tests/vm/droplet.sh) with the stack in tests/vm/droplet-conf.d and
# a block volume disk; Ctrl-Alt-Del takes it down.

test_rtinit_boots_as_pid1_runs_the_stack_and_reboots_cleanly() {
    run bash "$TOP/tests/vm/droplet.sh" "$PWD"
    assert_rc 0
    out=$(tr -d '\r' <<<"$out")
    # PID 1's own set-up: modules by libkmod, the volume found by its label
    assert_in "$out" "rtinit: kernel modules loaded: overlay veth bridge nf_tables nft_chain_nat nft_masq nft_nat nft_ct nft_fib_ipv4"
    assert_in "$out" "rtinit: block volume LABEL=rtvol (/dev/vdb) mounted on /mnt/vol"
    # /proc hides other users' processes ([droplet] proc_hidepid, on by default)
    assert_in "$out" "rtinit: /proc mounted with hidepid=invisible"
    # the droplet's loopback, and a host service checked on it
    assert_in "$out" "rtinit: lo is up (127.0.0.1)"
    assert_in "$out" "rtinit: hostd: started on the host (pid "
    assert_in "$out" "rtinit: hostd is healthy (port 8022 accepts connections)"
    # [uplink]: PID 1 configured QEMU's user-mode network, and web's
    # published port answered the host through QEMU's forwarding
    assert_in "$out" "rtinit: uplink ens3: 10.0.2.15/24 via 10.0.2.2"
    assert_in "$out" "RT-HOST-GOT: served-by-web-over-the-bridge"
    # the stack, in order, with full cgroup v2 (no limit reported missing)
    assert_in "$out" "rtinit: web is healthy (HTTP 200)"
    before "web is healthy (HTTP 200)" "api: started"
    assert_not_in "$out" "runs without"
    assert_not_in "$out" "the bridge's firewall"
    # Ctrl-Alt-Del is a SIGINT to PID 1: every service stops, dependents first
    assert_in "$out" "rtinit: stopping every service (SIGINT)"
    before "api: stopping" "web: stopping"
    assert_in "$out" "rtinit: every service is stopped"
    assert_not_in "$out" "remounting / read-only"
    assert_in "$out" "rtinit: rebooting"
    assert_not_in "$out" "Kernel panic"
    # the volume: unmounted cleanly, with the service's data and the logs
    e2fsck -fn vol.img >/dev/null 2>&1 || { say "the volume is not clean: $(e2fsck -fn vol.img 2>&1)"; return 1; }
    # api fetched it from web by name, over the bridge
    [ "$(debugfs -R 'cat /data/hello' vol.img 2>/dev/null)" = served-by-web-over-the-bridge ] ||
        { say "data/hello: $(debugfs -R 'cat /data/hello' vol.img 2>/dev/null)"; return 1; }
    # only root goes into the volume (services reach theirs by bind mounts)
    debugfs -R 'stat /' vol.img 2>/dev/null | grep -q 'Mode:  0700' ||
        { say "the volume's root: $(debugfs -R 'stat /' vol.img 2>/dev/null | head -3)"; return 1; }
    # the new named volume was given to the service's user (app, 1000)
    debugfs -R 'stat /data' vol.img 2>/dev/null | grep -q 'User:  1000   Group:  1000' ||
        { say "$(debugfs -R 'stat /data' vol.img 2>/dev/null | head -3)"; return 1; }
    debugfs -R 'cat /log/api.log' vol.img 2>/dev/null | grep -q 'Z api-bye$'
    debugfs -R 'cat /log/rtinit.log' vol.img 2>/dev/null | grep -q 'supervising 4 services'
    # the host service ran on the droplet, as root: PID 1 is rtinit there
    debugfs -R 'cat /log/hostd.log' vol.img 2>/dev/null | grep -q 'Z HOSTD lo=unknown uid=0 pid1=rtinit$' ||
        { say "hostd.log: $(debugfs -R 'cat /log/hostd.log' vol.img 2>/dev/null)"; return 1; }
    # peek, user app, sees the droplet's /proc with hidepid: itself, not PID 1
    local peek
    peek=$(debugfs -R 'cat /log/peek.log' vol.img 2>/dev/null)
    assert_in "$peek" "hidepid=invisible"
    assert_in "$peek" "PEEK pid1-hidden"
    assert_in "$peek" "PEEK self-visible"
    e2fsck -fn disk.img >/dev/null 2>&1 || { say "the root disk is not clean"; return 1; }
}

# The demo droplet (tools/droplet, docs/demo.md): a Debian root made with
# mmdebstrap (its tarball cached in ~/.cache/rt-droplet across runs),
# rtinit as /sbin/init, sshd as a host service, the busybox stack's image
# imported at boot. From the host's loopback: SSH with the key made at
# build time, never a password, and the published port; then a poweroff
# over SSH that leaves both disks clean.
test_debian_droplet_ssh_with_the_build_key_only_published_port_clean_poweroff() {
    local d=$PWD/droplet st
    run bash "$TOP/tools/droplet/build.sh" "$d"
    assert_rc 0
    run bash "$TOP/tools/droplet/run.sh" "$d"
    assert_rc 0
    # shellcheck source=tools/droplet/lib.sh
    source "$TOP/tools/droplet/lib.sh"
    droplet_state "$d"
    # whatever fails below, QEMU does not outlive the test
    trap 'droplet_alive && kill "$QEMU_PID"' EXIT
    st=$(droplet_wait_healthy "$d" 300) || { say "console: $(droplet_console "$d")"; return 1; }
    grep -qE '^import +exited ' <<<"$st" || { say "$st"; return 1; }
    assert_in "$st" "exited with status 0"
    grep -qE '^gateway +running +healthy ' <<<"$st" || { say "$st"; return 1; }
    grep -qE '^api +running +healthy ' <<<"$st" || { say "$st"; return 1; }
    grep -qE '^sshd +running ' <<<"$st" || { say "$st"; return 1; }
    # as PID 1, cgroup2 has every controller: memory is measured (observe.md)
    grep -qE '^gateway( +[^ ]+){6} +[0-9.]+[KMG]iB +bb:1@' <<<"$st" || { say "$st"; return 1; }
    # rtinit booted as /sbin/init; the image came in at boot from the root disk
    # [volume] options = defaults,noatime: the flag given to mount(2)
    run droplet_ssh "$d" 'grep " /mnt/vol " /proc/mounts'
    assert_in "$out" "nosuid,nodev,noatime"
    run droplet_ssh "$d" 'rtctl image ls; cat /var/log/rt/import.log /mnt/vol/log/import.log 2>/dev/null'
    # first boot: the image services are left out until the import job
    # has put their image in the store, and its reload adds them
    local serial
    serial=$(tr -d '\r' <"$d/serial.log")
    assert_in "$serial" "api: not started: /etc/rt/conf.d/api.conf:7: image: bb:1 is not in the image store"
    assert_in "$serial" "rtinit: supervising 2 services from /etc/rt/conf.d"
    assert_in "$serial" "reloaded /etc/rt/conf.d: 0 changed, 2 new (gateway api)"
    assert_in "$out" "bb:1"
    assert_in "$out" "import: bb:1 imported"
    # a password is refused: sshd offers public keys only
    run ssh -p "$SSH_PORT" -o UserKnownHostsFile="$d/keys/known_hosts" -o StrictHostKeyChecking=yes \
        -o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive \
        -o BatchMode=yes -o ConnectTimeout=10 root@127.0.0.1 true
    assert_rc 255
    assert_in "$err" "Permission denied (publickey)"
    # the gateway's published port, forwarded from the host's loopback
    run curl -sS -m 10 "http://127.0.0.1:$HTTP_PORT/"
    assert_in "$out" "served-by-the-gateway"
    # a clean poweroff: rtctl poweroff over SSH (not its fallback, kill
    # -TERM 1), the volume checked
    run bash "$TOP/tools/droplet/stop.sh" "$d"
    assert_rc 0
    assert_in "$out" "the volume is clean"
    assert_not_in "$out" "rtctl poweroff failed"
    droplet_alive && { say "QEMU still runs"; return 1; }
    assert_in "$(tr -d '\r' <"$d/serial.log")" "stopping every service (rtctl poweroff)"
    assert_in "$(tr -d '\r' <"$d/serial.log")" "rtinit: powering off"
    e2fsck -fn "$d/root.img" >/dev/null 2>&1 || { say "the root disk is not clean"; return 1; }
    [ "$(debugfs -R 'cat /data/hello' "$d/vol.img" 2>/dev/null)" = served-by-the-gateway ] ||
        { say "data/hello: $(debugfs -R 'cat /data/hello' "$d/vol.img" 2>&1)"; return 1; }
}

# A rebuild of the demo droplet keeps the volume, and with it the secrets
# the services' data was made with: RabbitMQ keeps its first user and
# password in its database and refuses new ones (a second `make demo` that
# made new secrets left the api locked out of the queue). A fresh volume
# (RT_DROPLET_FRESH=1) gets new ones. No QEMU: the disks only.
test_a_rebuild_keeps_the_secrets_its_volume_was_made_with() {
    local d=$PWD/droplet first again fresh
    # the real stack's conf.d: its secrets.env.example names the secrets
    export RT_DROPLET_STACK=$TOP/images/demo/conf.d
    run bash "$TOP/tools/droplet/build.sh" "$d"
    assert_rc 0
    first=$(debugfs -R 'cat /etc/rt/secrets.env' "$d/root.img" 2>/dev/null | grep -v '^#')
    [ -n "$first" ] || { say "no secrets in the root disk"; return 1; }
    [ "$(stat -c %a "$d/secrets.env")" = 600 ] || { say "secrets.env mode $(stat -c %a "$d/secrets.env")"; return 1; }
    run bash "$TOP/tools/droplet/build.sh" "$d"
    assert_rc 0
    again=$(debugfs -R 'cat /etc/rt/secrets.env' "$d/root.img" 2>/dev/null | grep -v '^#')
    [ "$first" = "$again" ] || { say "the secrets changed with the volume kept"; return 1; }
    RT_DROPLET_FRESH=1 run bash "$TOP/tools/droplet/build.sh" "$d"
    assert_rc 0
    fresh=$(debugfs -R 'cat /etc/rt/secrets.env' "$d/root.img" 2>/dev/null | grep -v '^#')
    [ -n "$fresh" ] && [ "$fresh" != "$first" ] || { say "a fresh volume kept the old secrets"; return 1; }
}
