# The runtime under a full cgroup v2 hierarchy: Debian's kernel booted in
# QEMU (tests/vm/boot.sh), where cgroup2 has the memory, cpu, pids and io
# controllers this development host lacks. One boot, several checks.

test_limits_apply_and_oom_is_reported_under_full_cgroup2() {
    cat >guest.sh <<'GUEST'
R=/tmp/rt
rtctl --root $R image import -q --min-free 64M /img bb:1
rtctl --root $R run --rm --name oom --memory 32M bb:1 probe hog 200 >/dev/null; echo "RT-OOM rc=$?"
rtctl --root $R run --rm --name lim --memory 64M --cpus 0.5 --pids 20 --io-weight 200 bb:1 sleep 3 &
sleep 1.5
for f in memory.max memory.swap.max cpu.max pids.max io.weight; do echo "RT-CG $f $(cat /sys/fs/cgroup/rt*/lim/$f 2>&1 | head -n 1)"; done
wait $!; echo "RT-LIM rc=$?"
ls -d /sys/fs/cgroup/rt*/lim 2>/dev/null && echo "RT-LEFT lim"
rtctl --root $R run --rm --pids 8 bb:1 sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 2 & done; wait' 2>&1 |
    grep -q "can't fork" && echo "RT-PIDS refused"
rtctl --root $R run --rm --memory 64M bb:1 probe hog 16 | tail -n 1 | sed 's/^/RT-FITS /'
# the device program under a full hierarchy: a node is made, opening it refused
rtctl --root $R run --rm bb:1 sh -c 'mknod /dev/lc c 10 237 && probe open /dev/lc r; probe open /dev/null rw' | sed 's/^/RT-DEV /'
# rtctl stats under rtinit, with every controller: memory, pids and block
# I/O numbers, which the development host cannot give (docs/observe.md)
mkdir -p /tmp/c
: >/tmp/c/droplet.conf
printf '[service]\nimage = bb:1\nnetwork = none\nmemory_max = 64M\npids_max = 20\ncommand = sh -c "dd if=/dev/zero of=/tmp/f bs=1M count=4 2>/dev/null; while :; do :; done"\n' >/tmp/c/hog.conf
/usr/sbin/rtinit --conf /tmp/c --root $R >/tmp/rtinit.log 2>&1 &
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do rtctl --root $R status 2>/dev/null | grep -q '^hog *running' && break; sleep 0.5; done
echo "RT-STATS $(rtctl --root $R stats --no-stream --json hog)"
kill -TERM $!; wait $!
sed 's/^/RT-LOG /' /tmp/rtinit.log
GUEST
    run bash "$TOP/tests/vm/boot.sh" "$PWD" guest.sh
    assert_rc 0
    out=$(tr -d '\r' <<<"$out")
    assert_in "$out" RT-READY
    # the OOM killer ends the container, rtctl says so and exits 128+9
    assert_in "$out" "rtctl: error: oom: the kernel's OOM killer ended 1 process (memory limit reached)"
    assert_in "$out" "RT-OOM rc=137"
    assert_in "$out" "RT-CG memory.max 67108864"
    assert_in "$out" "RT-CG memory.swap.max 0"
    assert_in "$out" "RT-CG cpu.max 50000 100000"
    assert_in "$out" "RT-CG pids.max 20"
    assert_in "$out" "RT-CG io.weight default 200"
    assert_in "$out" "RT-LIM rc=0"
    assert_not_in "$out" "RT-LEFT"
    assert_in "$out" "RT-PIDS refused"
    assert_in "$out" "RT-FITS held 16 MiB"
    assert_in "$out" "RT-DEV open /dev/lc EPERM"
    assert_in "$out" "RT-DEV open /dev/null OK"
    # nothing is missing when the controllers exist
    assert_not_in "$out" "runs without"
    # rtctl stats: every number, from the cgroup's own files
    local st
    st=$(grep -o 'RT-STATS {.*' <<<"$out" | cut -c 10-)
    [ -n "$st" ] || { say "no stats: $out"; return 1; }
    TOP="$TOP" python3 "$TOP/tests/cli/schema.py" stats <<<"$st"
    jq -e '.services[0] | .memory_bytes > 1048576 and .memory_limit == 67108864 and .pids >= 1 and
        .pids_limit == 20 and .cpu_percent > 20 and (.blkio_write_bytes | type) == "number" and
        (has("limits_missing") | not)' <<<"$st" >/dev/null || { say "stats: $st"; return 1; }
    assert_in "$out" RT-DONE
}
