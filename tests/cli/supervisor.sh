# rtinit as a plain supervisor (issue 5, first increment): a stack of real
# containers from the busybox test image, started in dependency order,
# restarted by policy with back-off, logged to files, stopped in reverse
# order on SIGTERM. Run as root.

# shellcheck source=stack.bash
source "$TOP/tests/cli/stack.bash"

test_dependency_order_secrets_and_logs() {
    stack migrate "command = sh -c 'echo migrating; sleep 0.3; echo migrated'" \
        api "depends_on = migrate:completed
environment = TOKEN=\${TOKEN}
command = sh -c 'echo api token=\$TOKEN; trap \"echo bye; exit 0\" TERM; while :; do sleep 0.1; done'" \
        web "depends_on = api:started
command = sh -c 'trap \"exit 0\" TERM; while :; do sleep 0.1; done'"
    supervise 3
    assert_rc 0
    assert_in "$out" "api: waiting for migrate to complete"
    assert_in "$out" "web: waiting for api to start"
    before "migrate exited with status 0" "api: started"
    before "api: started" "web: started"
    # the log: every line with a timestamp; the secret reached the process
    grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z migrating$' root/log/migrate.log || { say "$(cat root/log/migrate.log)"; return 1; }
    grep -q 'Z migrated$' root/log/migrate.log
    grep -q 'Z api token=s3cret$' root/log/api.log
    grep -q 'Z bye$' root/log/api.log
    grep -q 'supervising 3 services' root/log/rtinit.log
}

test_restart_with_back_off_until_the_limit() {
    stack flaky "restart = on-failure:3
command = sh -c 'echo crash; exit 3'"
    supervise 3
    assert_rc 0
    assert_in "$out" "flaky exited with status 3; restarting in 100ms (restart 1)"
    assert_in "$out" "flaky exited with status 3; restarting in 200ms (restart 2)"
    assert_in "$out" "flaky exited with status 3; restarting in 400ms (restart 3)"
    assert_in "$out" "flaky exited with status 3; not restarted: it failed 4 times (restart = on-failure:3)"
    [ "$(grep -c 'Z crash$' root/log/flaky.log)" = 4 ] || { say "$(cat root/log/flaky.log)"; return 1; }
}

test_a_clean_exit_is_not_restarted_on_failure_but_is_with_always() {
    stack once "restart = on-failure
command = true" \
        loop "restart = always
command = sh -c 'echo run; exit 0'"
    supervise 1
    assert_rc 0
    assert_in "$out" "once exited with status 0 (restart = on-failure)"
    [ "$(grep -c 'once: started' <<<"$out")" = 1 ] || { say "$out"; return 1; }
    [ "$(grep -c 'Z run$' root/log/loop.log)" -ge 3 ] || { say "$out"; return 1; }
}

test_sigterm_stops_dependents_first_then_exits_0() {
    stack db "command = sh -c 'trap \"echo db-down; exit 0\" TERM; while :; do sleep 0.1; done'" \
        app "depends_on = db:started
command = sh -c 'trap \"echo app-down; exit 0\" TERM; while :; do sleep 0.1; done'"
    supervise 2
    assert_rc 0
    before "app: stopping" "db: stopping"
    before "app: stopped" "db: stopping"
    assert_in "$out" "every service is stopped"
    # nothing left: no run state, no cgroup, no process
    [ -z "$(ls root/run/containers 2>/dev/null)" ] || { say "left: $(ls root/run/containers)"; return 1; }
    ! pgrep -f "app-down" >/dev/null
}

test_a_service_that_ignores_its_stop_signal_is_killed_after_stop_timeout() {
    stack stubborn "stop_timeout = 1s
command = sleep 1000"
    local t0=$SECONDS
    supervise 1
    assert_rc 0
    assert_in "$out" "stubborn: did not stop in time; killing every process in it"
    assert_in "$out" "stubborn: stopped (was killed by SIGKILL)"
    [ $((SECONDS - t0)) -lt 8 ] || { say "took $((SECONDS - t0)) s"; return 1; }
}

# A program with no SIGTERM handler (sleep here; node and busybox httpd
# alike) ignores SIGTERM as PID 1 and waits out stop_timeout; with
# init = true the runtime's init is PID 1, passes SIGTERM on, and the
# service stops at once. The times are in docs/rtinit.md (Stopping).
test_init_stops_a_program_without_a_handler_at_once() {
    stack plain "stop_timeout = 3s
command = sleep 1000" \
        inited "init = true
stop_timeout = 3s
command = sleep 1000" \
        web "init = true
stop_timeout = 3s
command = httpd -f -p 127.0.0.1:8080"
    bg_start
    wait_until 10 is_state plain running && wait_until 10 is_state inited running && wait_until 10 is_state web running
    local t0 ms_init ms_plain ms_web
    t0=$(date +%s%N)
    run "$RTCTL" --root "$PWD/root" stop inited
    ms_init=$(( ($(date +%s%N) - t0) / 1000000 ))
    assert_rc 0
    t0=$(date +%s%N)
    run "$RTCTL" --root "$PWD/root" stop web
    ms_web=$(( ($(date +%s%N) - t0) / 1000000 ))
    assert_rc 0
    t0=$(date +%s%N)
    run "$RTCTL" --root "$PWD/root" stop plain
    ms_plain=$(( ($(date +%s%N) - t0) / 1000000 ))
    assert_rc 0
    say "rtctl stop: sleep $ms_init ms and httpd $ms_web ms with init = true, sleep $ms_plain ms without"
    [ "$ms_init" -lt 1000 ] && [ "$ms_web" -lt 1000 ] || { say "with init: sleep $ms_init ms, httpd $ms_web ms"; return 1; }
    [ "$ms_plain" -ge 2900 ] || { say "without init: $ms_plain ms, expected the 3 s stop_timeout"; return 1; }
    bg_stop
    assert_in "$out" "inited: stopped (was killed by SIGTERM) by rtctl stop"
    assert_in "$out" "web: stopped (was killed by SIGTERM) by rtctl stop"
    assert_in "$out" "plain: did not stop in time; killing every process in it"
    assert_in "$out" "plain: stopped (was killed by SIGKILL) by rtctl stop"
}

# Under the init, the command's status is the service's: an exit status,
# or the signal that killed it (which the init, a PID 1, exits with as
# 128+N); a command missing from PATH fails the start as without init.
# ($$$$ in conf.d is the shell's $$.)
test_init_passes_the_commands_status_on() {
    stack three "init = true
command = sh -c 'exit 3'" \
        killed "init = true
command = sh -c 'kill -KILL \$\$\$\$'" \
        termed "init = true
command = sh -c 'kill -TERM \$\$\$\$'" \
        missing "init = true
command = nosuch"
    supervise 2
    assert_rc 0
    assert_in "$out" "three exited with status 3 (restart = no)"
    assert_in "$out" "killed was killed by SIGKILL (restart = no)"
    assert_in "$out" "termed was killed by SIGTERM (restart = no)"
    assert_in "$out" "starting missing: nosuch: not found in the container's PATH"
}

test_a_missing_secret_stops_only_that_service() {
    stack needs "environment = KEY=\${NOT_SET}
command = true" \
        fine "command = sh -c 'echo fine; trap \"exit 0\" TERM; while :; do sleep 0.1; done'"
    # a secrets file that is missing is only a warning in the check; the
    # service whose ${VAR} has no value then cannot start
    rm secrets.env
    supervise 1.5
    assert_rc 0
    assert_in "$out" "needs: environment KEY:"
    assert_in "$out" "NOT_SET"
    assert_in "$out" "needs could not start (restart = no)"
    assert_in "$out" "fine: started"
    assert_not_in "$(cat root/log/*.log)" "s3cret"
}

test_a_broken_service_file_at_boot_leaves_out_only_its_service() {
    # bad has an error; needsbad depends on it; ok and other are fine
    stack ok "command = sh -c 'echo ok-ran; $LOOP'" bad "restart = sometimes" \
        needsbad "depends_on = bad
command = true" other "depends_on = ok
command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state other running
    is_state ok running
    assert_in "$(cat out.txt)" "conf.d/bad.conf:5: restart: 'sometimes'"
    assert_in "$(cat out.txt)" "bad: not started: conf.d/bad.conf:5: restart:"
    assert_in "$(cat out.txt)" "needsbad: not started: conf.d/needsbad.conf:5: depends_on:"
    local st
    st=$("$RTCTL" --root "$PWD/root" status)
    grep -qE "^bad +failed +- +- +0( +[^ ]+){6} +not started: conf.d/bad.conf:5: restart: " <<<"$st" || { say "$st"; return 1; }
    grep -qE "^needsbad +failed .* not started: conf.d/needsbad.conf:5: depends_on: " <<<"$st" || { say "$st"; return 1; }
    run "$RTCTL" --root "$PWD/root" start bad
    assert_rc 1
    assert_in "$err" "bad was left out at boot: conf.d/bad.conf:5: restart:"
    # fixed and reloaded: both start, and the status forgets the errors
    sed -i 's/^restart = sometimes$/restart = no/' conf.d/bad.conf
    run "$RTCTL" --root "$PWD/root" reload
    assert_rc 0
    wait_until 10 grep -q "needsbad: started" out.txt
    ! "$RTCTL" --root "$PWD/root" status | grep -q "not started" || { "$RTCTL" --root "$PWD/root" status >&2; return 1; }
    bg_stop
}

test_a_broken_droplet_conf_is_refused_whole() {
    stack ok "command = true"
    printf '[volume]\ntimeout = soon\n' >>conf.d/droplet.conf
    run "$RTINIT" --conf conf.d --root "$PWD/root"
    assert_rc 1
    assert_in "$err" "conf.d/droplet.conf:4: timeout:"
    assert_in "$err" "nothing was started"
    [ ! -e root/log/ok.log ]
}

test_logs_rotate_by_size() {
    stack chatty "restart = no
command = sh -c 'i=0; while [ \$i -lt 3000 ]; do echo line \$i of a chatty service; i=\$((i+1)); done'"
    printf '[logging]\nmax_size = 64K\nmax_files = 3\n' >>conf.d/droplet.conf
    supervise 4
    assert_rc 0
    [ -f root/log/chatty.log.1 ] && [ -f root/log/chatty.log.2 ] && [ ! -e root/log/chatty.log.3 ] ||
        { say "$(ls -l root/log)"; return 1; }
    for f in root/log/chatty.log*; do
        [ "$(stat -c %s "$f")" -le 65536 ] || { say "$f is $(stat -c %s "$f") bytes"; return 1; }
    done
    # the newest lines are in the current file, none lost at a boundary
    grep -q 'Z line 2999 of a chatty service$' root/log/chatty.log
    local n
    n=$(cat root/log/chatty.log.2 root/log/chatty.log.1 root/log/chatty.log | grep -c 'of a chatty service$')
    local first
    first=$(head -n 1 root/log/chatty.log.2 | sed 's/.* line \([0-9]*\) .*/\1/')
    [ "$n" = $((3000 - first)) ] || { say "$n lines from $first"; return 1; }
}

test_healthy_waits_for_an_http_check_inside_the_container() {
    # web answers only after 1 s, on its own loopback (network none):
    # api starts only once rtinit's own HTTP probe gets a 200
    stack web "command = sh -c 'sleep 1; mkdir -p /tmp/w; echo ok >/tmp/w/index.html; exec httpd -f -p 8080 -h /tmp/w'
stop_timeout = 1s
[healthcheck]
http = http://localhost:8080/
interval = 300ms
timeout = 200ms
retries = 10" \
        api "depends_on = web:healthy
command = sh -c 'trap \"exit 0\" TERM; while :; do sleep 0.1; done'"
    supervise 4
    assert_rc 0
    assert_in "$out" "api: waiting for web to be healthy (last check: no check yet)"
    assert_in "$out" "api: waiting for web to be healthy (last check: connecting to port 8080: Connection refused)"
    before "web is healthy (HTTP 200)" "api: started"
    # no process was started for the checks: the container has only httpd
    ! grep -q "wget\|curl" root/log/web.log
}

test_exec_and_tcp_checks() {
    stack kv "command = sh -c 'sleep 0.5; exec nc -ll -p 6379 -e true'
stop_timeout = 1s
[healthcheck]
tcp = 6379
interval = 200ms
timeout = 100ms
retries = 20" \
        job "command = sh -c 'sleep 0.5; touch /tmp/ready; trap \"exit 0\" TERM; while :; do sleep 0.1; done'
[healthcheck]
exec = test -f /tmp/ready
interval = 300ms
timeout = 300ms" \
        app "depends_on = kv:healthy job:healthy
command = sh -c 'trap \"exit 0\" TERM; while :; do sleep 0.1; done'"
    supervise 5
    assert_rc 0
    assert_in "$out" "kv is healthy (port 6379 accepts connections)"
    assert_in "$out" "job is healthy (exit status 0)"
    before "kv is healthy" "app: started"
    before "job is healthy" "app: started"
}

# start_interval (docs/conf.md): with interval = 30s, a chain of two
# services that wait for each other's health is healthy in about 2 s, not
# 60; once healthy, checks go back to every interval; and a service with
# no start_period keeps the old timing (its first check 30 s after start).
test_start_interval_checks_often_only_while_starting_in_the_start_period() {
    local hc="[healthcheck]
tcp = 6379
interval = 30s
timeout = 1s
start_period = 20s
start_interval = 1s"
    stack a "command = sh -c 'exec nc -ll -p 6379 -e true'
stop_timeout = 1s
$hc" \
        b "depends_on = a:healthy
command = sh -c 'exec nc -ll -p 6379 -e true'
stop_timeout = 1s
$hc" \
        c "depends_on = b:healthy
command = sh -c '$LOOP'" \
        plain "command = sh -c 'exec nc -ll -p 6379 -e true'
stop_timeout = 1s
${hc/start_period = 20s
/}"
    grep -q start_period conf.d/plain.conf && { say "plain has a start_period"; return 1; }
    local t0
    t0=$(date +%s%N)
    bg_start
    wait_until 10 is_state c running
    local ms=$((($(date +%s%N) - t0) / 1000000))
    say "a, b healthy and c started in $ms ms (interval 30s, start_interval 1s)"
    [ "$ms" -lt 4000 ] || { say "$(cat out.txt)"; return 1; }
    [ "$(field a 3)" = healthy ] && [ "$(field b 3)" = healthy ]
    # no start_period: no check yet, the first comes after 30 s
    [ "$(field plain 3)" = starting ] || { say "$("$RTCTL" --root "$PWD/root" status)"; return 1; }
    [ "$("$RTCTL" --root "$PWD/root" health plain)" = "plain: starting" ] || { "$RTCTL" --root "$PWD/root" health plain; return 1; }
    # healthy: the next check is an interval away, not a start_interval
    sleep 2.5
    local h
    h=$("$RTCTL" --root "$PWD/root" health a)
    [ "$(grep -c ' ok ' <<<"$h")" = 1 ] || { say "$h"; return 1; }
    [ "$(grep -c 'FAIL' <<<"$h")" = 0 ] || { say "$h"; return 1; }
    bg_stop
    before "a is healthy" "b: started"
    before "b is healthy" "c: started"
}

test_an_unhealthy_service_is_stopped_and_restarted_by_its_policy() {
    stack sick "restart = always
command = sh -c 'trap \"exit 0\" TERM; while :; do sleep 0.1; done'
[healthcheck]
tcp = 9999
interval = 200ms
timeout = 100ms
retries = 2" \
        stays "restart = no
command = sh -c 'trap \"exit 0\" TERM; while :; do sleep 0.1; done'
[healthcheck]
tcp = 9999
interval = 200ms
timeout = 100ms
retries = 2"
    supervise 3
    assert_rc 0
    assert_in "$out" "sick is unhealthy: 2 checks failed in a row (last: connecting to port 9999: Connection refused); stopping it"
    assert_in "$out" "sick was stopped as unhealthy; restarting in 100ms (restart 1)"
    # restart = no: stopped and left stopped (docs/conf.md, restart)
    assert_in "$out" "stays was stopped as unhealthy (restart = no)"
    [ "$(grep -c 'stays: started' <<<"$out")" = 1 ]
}

test_back_off_is_configurable_and_dependents_follow_a_restart() {
    stack db "restart = always
restart_backoff = 300ms
restart_backoff_max = 500ms
command = sh -c 'sleep 1; exit 1'" \
        app "depends_on = db:started
restart_dependents = true
command = sh -c 'trap \"exit 0\" TERM; while :; do sleep 0.1; done'"
    supervise 5
    assert_rc 0
    assert_in "$out" "db exited with status 1; restarting in 300ms (restart 1)"
    assert_in "$out" "db exited with status 1; restarting in 500ms (restart 2)"
    assert_in "$out" "db exited with status 1; restarting in 500ms (restart 3)"
    assert_in "$out" "app: restarting, since db was restarted (restart_dependents)"
    assert_in "$out" "app: stopped (exited with status 0); starting again"
    [ "$(grep -c 'app: started' <<<"$out")" -ge 2 ] || { say "$out"; return 1; }
}

test_a_new_named_volume_belongs_to_the_service_user() {
    stack app "volumes = data:/data
command = sh -c 'echo mine >/data/f && echo wrote; trap \"exit 0\" TERM; while :; do sleep 0.1; done'"
    printf '[volume]\nmountpoint = %s/vol\n' "$PWD" >>conf.d/droplet.conf
    mkdir -p vol/old && chown 0:0 vol/old && echo keep >vol/old/x
    sed -i 's|volumes = data:/data|volumes = data:/data old:/old|' conf.d/app.conf
    supervise 1.5
    assert_rc 0
    grep -q 'Z wrote$' root/log/app.log || { say "$(cat root/log/app.log) $out"; return 1; }
    [ "$(stat -c %u:%g vol/data)" = 1000:1000 ] && [ "$(cat vol/data/f)" = mine ]
    # a directory that already holds data keeps its owner
    [ "$(stat -c %u:%g vol/old)" = 0:0 ]
}

test_rtctl_status_over_the_control_socket() {
    stack db "command = sh -c 'trap \"exit 0\" TERM; while :; do sleep 0.1; done'
[healthcheck]
tcp = 9
interval = 200ms
timeout = 100ms
retries = 100" \
        app "depends_on = db:healthy
command = true"
    "$RTINIT" --conf conf.d --root "$PWD/root" >out.txt 2>&1 &
    local p=$!
    for _ in $(seq 100); do [ -S root/run/control.sock ] && break; sleep 0.05; done
    sleep 0.5
    run "$RTCTL" --root "$PWD/root" status
    local st=$out rc_st=$rc
    [ "$(stat -c %a root/run/control.sock)" = 600 ] || { say "mode $(stat -c %a root/run/control.sock)"; return 1; }
    run setpriv --reuid 65534 --regid 65534 --clear-groups "$RTCTL" --root "$PWD/root" status
    local rc_nobody=$rc
    kill -TERM $p
    wait $p || true
    out=$st rc=$rc_st
    assert_rc 0
    assert_in "$out" "SERVICE"
    grep -qE '^db +running +starting +[0-9]+ +0( +[^ ]+){6} +last check \(failed [0-9]+ of 100 in a row\): connecting to port 9: Connection refused$' <<<"$out" ||
        { say "$out"; return 1; }
    grep -qE '^app +waiting +- +- +0( +[^ ]+){6} +waiting for db to be healthy' <<<"$out" || { say "$out"; return 1; }
    [ "$rc_nobody" = 1 ] || { say "a user other than root was answered"; return 1; }
    # gone with rtinit
    [ ! -e root/run/control.sock ]
    run "$RTCTL" --root "$PWD/root" status
    assert_rc 3 && assert_in "$err" "rtinit is not running here (no $PWD/root/run/control.sock): start it, or check --root"
}

# rtctl poweroff, reboot and halt end the machine only when rtinit is its
# PID 1 (tests/cli/droplet.sh); here, a plain supervisor, they are refused
# saying so, and nothing stops. Like every request, root only.
test_poweroff_reboot_and_halt_are_refused_when_rtinit_is_not_pid_1() {
    stack db "command = sh -c '$LOOP'" \
        app "depends_on = db:started
command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state app running
    local db app v
    db=$(field db 4) app=$(field app 4)
    for v in poweroff reboot halt; do
        run "$RTCTL" --root "$PWD/root" $v
        assert_rc 1
        [ -z "$out" ] || { say "printed: $out"; return 1; }
        assert_in "$err" "rtctl: error: rtinit is not PID 1 here (pid $bgpid): $v would only stop its services, not the machine; stop them with rtctl stop SERVICE..., or stop rtinit with kill -TERM $bgpid"
    done
    run setpriv --reuid 65534 --regid 65534 --clear-groups "$RTCTL" --root "$PWD/root" poweroff
    assert_rc 1
    assert_in "$err" "control.sock: Permission denied" # the socket's mode 0600, before SO_PEERCRED
    run "$RTCTL" --root "$PWD/root" poweroff now
    assert_rc 2
    assert_in "$err" "unexpected argument 'now'"
    # nothing was stopped, nothing restarted, rtinit still answers
    sleep 0.5
    [ "$(field db 2) $(field app 2)" = "running running" ] && [ "$(field db 4)" = "$db" ] && [ "$(field app 4)" = "$app" ] ||
        { say "$("$RTCTL" --root "$PWD/root" status)"; return 1; }
    kill -0 "$bgpid"
    ! grep -q "stopping" out.txt || { say "$(cat out.txt)"; return 1; }
    bg_stop
    assert_in "$out" "stopping every service (SIGTERM)"
}

test_reload_restarts_what_changed_starts_new_stops_removed_and_leaves_the_rest() {
    stack keep "command = sh -c '$LOOP'" \
        change "environment = V=1
command = sh -c 'echo v=\$V; $LOOP'" \
        secret "environment = T=\${TOKEN}
command = sh -c 'echo t=\$T; $LOOP'" \
        gone "command = sh -c 'trap \"echo gone-bye; exit 0\" TERM; while :; do sleep 0.1; done'"
    bg_start
    for s in keep change secret gone; do wait_until 10 is_state $s running; done
    local keep change secret
    keep=$(field keep 4) change=$(field change 4) secret=$(field secret 4)
    sed -i 's/V=1/V=2/' conf.d/change.conf
    rm conf.d/gone.conf
    printf '[service]\nimage = bb:1\nuser = app\nnetwork = none\ncommand = sh -c %s\n' "'echo new; $LOOP'" >conf.d/new.conf
    printf 'TOKEN=t2\n' >secrets.env
    kill -HUP "$bgpid"
    wait_until 10 is_state new running
    wait_until 10 pid_not change "$change"
    wait_until 10 pid_not secret "$secret"
    [ "$(field keep 4)" = "$keep" ] || { say "keep was restarted"; return 1; }
    wait_until 10 grep -q 'gone: stopped (exited with status 0); it is no longer in conf.d' out.txt
    [ -z "$(field gone 2)" ] || { say "gone is still listed: $("$RTCTL" --root "$PWD/root" status)"; return 1; }
    grep -q 'Z gone-bye$' root/log/gone.log
    grep -q 'Z v=2$' root/log/change.log
    grep -q 'Z t=t2$' root/log/secret.log
    grep -q 'Z new$' root/log/new.log
    assert_in "$(cat out.txt)" "reloaded conf.d: 2 changed (change secret), 1 new (new), 1 removed (gone), 1 unchanged"
    # nothing changed: nothing restarts
    run "$RTCTL" --root "$PWD/root" reload
    assert_rc 0
    assert_in "$out" "0 changed, 0 new, 0 removed, 4 unchanged"
    bg_stop
}

test_an_invalid_reload_is_refused_whole_and_nothing_changes() {
    stack a "command = sh -c '$LOOP'" b "environment = V=1
command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state a running && wait_until 10 is_state b running
    local a b
    a=$(field a 4) b=$(field b 4)
    sed -i 's/V=1/V=2/' conf.d/b.conf
    rm conf.d/a.conf
    printf '[service]\nimage = bb:1\nrestart = sometimes\n' >conf.d/c.conf
    run "$RTCTL" --root "$PWD/root" reload
    assert_rc 1
    assert_in "$err" "conf.d/c.conf:3"
    assert_in "$err" "nothing was changed"
    kill -HUP "$bgpid"
    wait_until 5 grep -q 'reload refused' out.txt
    sleep 0.5
    [ "$(field a 4)" = "$a" ] && [ "$(field b 4)" = "$b" ] || { say "$("$RTCTL" --root "$PWD/root" status)"; return 1; }
    bg_stop
}

# bb_plus OUT: the busybox test image with one more layer (/etc/extra):
# the same base layer and config, so only the layers differ
bb_plus() {
    python3 - "$BBIMG" "$1" "$TOP/tests/images/mkimage.py" <<'PY'
import gzip, json, os, subprocess, sys, tempfile
src, out, mk = sys.argv[1:4]
blob = lambda d: open(os.path.join(src, "blobs/sha256", d.split(":")[1]), "rb").read()
man = json.loads(blob(json.load(open(os.path.join(src, "index.json")))["manifests"][0]["digest"]))
cfg = json.loads(blob(man["config"]["digest"]))
tmp = tempfile.mkdtemp()
open(os.path.join(tmp, "base.tar"), "wb").write(gzip.decompress(blob(man["layers"][0]["digest"])))
spec = {"name": "test/busybox:2", "config": cfg["config"],
        "layers": [{"raw": os.path.join(tmp, "base.tar")}, {"entries": [{"name": "etc/extra", "data": "2\n"}]}]}
json.dump(spec, open(os.path.join(tmp, "spec.json"), "w"))
subprocess.run([sys.executable, mk, out, os.path.join(tmp, "spec.json")], check=True)
PY
}

# the service lines of rtctl status (names, states, pids, restarts)
services() { "$RTCTL" --root "$PWD/root" status | grep -v '^conf.d has changed' | awk 'NF { print $1, $2, $4, $5 }'; }

test_a_reload_naming_a_missing_image_is_refused_and_the_service_keeps_running() {
    stack web "command = sh -c '$LOOP'" other "command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state web running && wait_until 10 is_state other running
    local before
    before=$(services)
    sed -i 's/^image = bb:1$/image = bb:404/' conf.d/web.conf
    sed -i 's/^command = /command = echo changed; /' conf.d/other.conf
    run "$RTCTL" --root "$PWD/root" reload
    assert_rc 1
    assert_in "$err" "conf.d/web.conf:2: image: bb:404 is not in the image store; import it with rtctl image import"
    assert_in "$err" "conf.d: 1 error; nothing was changed"
    assert_not_in "$out" "changed"
    run "$RTCTL" --root "$PWD/root" reload --dry-run
    assert_rc 1
    assert_in "$err" "conf.d/web.conf:2: image: bb:404 is not in the image store"
    kill -HUP "$bgpid"
    wait_until 5 grep -q 'bb:404 is not in the image store' out.txt
    sleep 0.5
    [ "$(services)" = "$before" ] || { say "before: $before"; say "after: $(services)"; return 1; }
    # rtinit --check says the same, and so does config check once there is a store
    run "$RTINIT" --check --conf conf.d --root "$PWD/root"
    assert_rc 1
    assert_in "$err" "conf.d/web.conf:2: image: bb:404 is not in the image store"
    local rerr=$err
    run "$RTCTL" --root "$PWD/root" config check --conf conf.d
    assert_rc 1
    [ "$err" = "$rerr" ] || { say "config check: $err"; say "rtinit --check: $rerr"; return 1; }
    bg_stop
}

test_reload_dry_run_says_what_would_change_and_changes_nothing() {
    stack keep "command = sh -c '$LOOP'" \
        change "environment = V=1
command = sh -c '$LOOP'" \
        img "command = sh -c '$LOOP'" \
        gone "command = sh -c '$LOOP'"
    bb_plus bb2 >/dev/null
    "$RTCTL" --root "$PWD/root" image import -q bb2 bb:2
    bg_start
    for s in keep change img gone; do wait_until 10 is_state $s running; done
    local before
    before=$(services)
    sed -i 's/V=1/V=2/' conf.d/change.conf
    sed -i 's/^image = bb:1$/image = bb:2/' conf.d/img.conf
    rm conf.d/gone.conf
    printf '[service]\nimage = bb:1\nuser = app\nnetwork = none\ncommand = sh -c %s\n' "'$LOOP'" >conf.d/new.conf
    run "$RTCTL" --root "$PWD/root" reload --dry-run
    assert_rc 0
    assert_in "$out" "would reload conf.d: 2 changed (change img), 1 new (new), 1 removed (gone), 1 unchanged"
    assert_in "$out" "  change: changed: environment (V)"
    grep -qE '^  img: changed: image layers \(\+ sha256:[0-9a-f]{12}\)$' <<<"$out" || { say "$out"; return 1; }
    assert_in "$out" "  new: new"
    assert_in "$out" "  gone: removed"
    assert_in "$out" "nothing was changed (dry run)"
    assert_not_in "$out" "keep:"
    sleep 0.5
    [ "$(services)" = "$before" ] || { say "before: $before"; say "after: $(services)"; return 1; }
    # the reload then does what the dry run said
    local dry=${out#would reload}
    run "$RTCTL" --root "$PWD/root" reload
    assert_rc 0
    [ "reloaded${dry%$'\n'nothing was changed (dry run)}" = "$out" ] || { say "dry run:$dry"; say "reload: $out"; return 1; }
    wait_until 10 is_state new running
    bg_stop
}

test_a_change_config_check_does_not_show_restarts_the_service() {
    # config check prints a health check's literal token as <redacted>,
    # whatever it is: the change is still one to what runs
    stack tok "command = sh -c '$LOOP'
[healthcheck]
exec = sh -c true --token=abc123
interval = 1s" \
        lim "ulimits = nofile=1024:2048
command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state tok running && wait_until 10 is_state lim running
    local tok lim printed
    tok=$(field tok 4) lim=$(field lim 4)
    printed=$("$RTCTL" --root "$PWD/root" config check --conf conf.d 2>/dev/null)
    sed -i 's/abc123/def456/' conf.d/tok.conf
    sed -i 's/nofile=1024:2048/nofile=1024:4096/' conf.d/lim.conf
    [ "$(grep -A2 '^\[healthcheck\]' <<<"$printed")" = "$("$RTCTL" --root "$PWD/root" config check --conf conf.d 2>/dev/null | grep -A2 '^\[healthcheck\]')" ] ||
        { say "config check prints the token's change"; return 1; }
    run "$RTCTL" --root "$PWD/root" reload
    assert_rc 0
    assert_in "$out" "reloaded conf.d: 2 changed (lim tok), 0 new, 0 removed, 0 unchanged"
    assert_in "$out" "  tok: changed: healthcheck"
    assert_in "$out" "  lim: changed: ulimits"
    assert_not_in "$out" "def456"
    wait_until 10 pid_not tok "$tok"
    wait_until 10 pid_not lim "$lim"
    bg_stop
}

# rtinit raises its own soft limit of open files to the hard one; a
# service gets what rtinit started with (as systemd's services get 1024,
# not systemd's own), or its own ulimits, and no reload sees a change
test_services_get_the_nofile_limit_rtinit_started_with_not_its_raised_one() {
    stack plain "command = sh -c '$LOOP'" \
        own "ulimits = nofile=512:1024
command = sh -c '$LOOP'"
    WRAP=(prlimit --nofile=1000:4000)
    bg_start
    wait_until 10 is_state plain running && wait_until 10 is_state own running
    local lim
    lim() { awk '/^Max open files/ { print $4, $5 }' "/proc/$1/limits"; }
    [ "$(lim "$bgpid")" = "4000 4000" ] || { say "rtinit: $(lim "$bgpid")"; return 1; }
    [ "$(lim "$(field plain 4)")" = "1000 4000" ] || { say "plain: $(lim "$(field plain 4)")"; return 1; }
    [ "$(lim "$(field own 4)")" = "512 1024" ] || { say "own: $(lim "$(field own 4)")"; return 1; }
    run "$RTCTL" --root "$PWD/root" reload --dry-run
    assert_rc 0 && assert_in "$out" "0 changed"
    bg_stop
}

test_a_cosmetic_change_to_conf_d_restarts_nothing() {
    stack a "environment = X=1
environment = Y=2
stop_timeout = 5s
command = sh -c '$LOOP'" \
        b "command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state a running && wait_until 10 is_state b running
    local before
    before=$(services)
    # comments, blank lines, spaces, keys and environment lines in another order
    printf '# the a service\n\n[service]\ncommand   =   sh -c %s\nstop_timeout=5000ms\nenvironment = Y=2\n' "'$LOOP'" >conf.d/a.conf
    printf '; set by hand\nenvironment = X=1\nuser=app\nnetwork = none\n\nimage = bb:1\n' >>conf.d/a.conf
    printf '\n# nothing else\n' >>conf.d/b.conf
    run "$RTCTL" --root "$PWD/root" reload
    assert_rc 0
    assert_in "$out" "reloaded conf.d: 0 changed, 0 new, 0 removed, 2 unchanged"
    sleep 0.5
    [ "$(services)" = "$before" ] || { say "before: $before"; say "after: $(services)"; return 1; }
    bg_stop
}

test_status_says_when_conf_d_differs_from_what_runs() {
    stack a "environment = T=\${TOKEN}
command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state a running
    local note="conf.d has changed since the last reload (rtctl reload --dry-run shows what would change)"
    run "$RTCTL" --root "$PWD/root" status
    assert_not_in "$out" "conf.d has changed"
    echo '# a comment' >>conf.d/a.conf
    run "$RTCTL" --root "$PWD/root" status
    assert_rc 0
    assert_in "$out" "$note"
    run "$RTCTL" --root "$PWD/root" reload
    assert_rc 0
    run "$RTCTL" --root "$PWD/root" status
    assert_not_in "$out" "conf.d has changed"
    # the secrets file counts too
    printf 'TOKEN=t2\n' >secrets.env
    run "$RTCTL" --root "$PWD/root" status
    assert_in "$out" "$note"
    run "$RTCTL" --root "$PWD/root" reload
    assert_in "$out" "1 changed (a)"
    run "$RTCTL" --root "$PWD/root" status
    assert_not_in "$out" "conf.d has changed"
    # a refused reload changes nothing: the note stays until conf.d is
    # what runs again
    printf '[service]\nimage = bb:1\nrestart = sometimes\n' >conf.d/bad.conf
    run "$RTCTL" --root "$PWD/root" reload
    assert_rc 1
    run "$RTCTL" --root "$PWD/root" status
    assert_in "$out" "$note"
    rm conf.d/bad.conf
    run "$RTCTL" --root "$PWD/root" status
    assert_not_in "$out" "conf.d has changed"
    bg_stop
}

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

test_a_reload_while_gc_holds_the_store_is_refused_at_once() {
    stack a "environment = V=1
command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state a running
    local pid t0 ms
    pid=$(field a 4)
    sed -i 's/V=1/V=2/' conf.d/a.conf
    # the store's lock, held as rtctl image gc holds it
    exec 9>>root/state/images/store.lock
    flock -x 9
    t0=$(date +%s%N)
    run "$RTCTL" --root "$PWD/root" reload
    ms=$(ms_since "$t0")
    assert_rc 1
    assert_in "$err" "the image store $PWD/root/state/images is busy (rtctl image gc holds it); nothing was changed; try again once it is done"
    [ "$ms" -lt 100 ] || { say "the refusal took $ms ms"; return 1; }
    run "$RTCTL" --root "$PWD/root" reload --dry-run
    assert_rc 1
    assert_in "$err" "is busy (rtctl image gc holds it)"
    kill -HUP "$bgpid"
    wait_until 5 grep -q 'is busy (rtctl image gc holds it)' out.txt
    # rtinit answers meanwhile, and nothing was restarted
    t0=$(date +%s%N)
    run "$RTCTL" --root "$PWD/root" status
    ms=$(ms_since "$t0")
    assert_rc 0
    [ "$ms" -lt 100 ] || { say "status took $ms ms"; return 1; }
    [ "$(field a 4)" = "$pid" ] || { say "a was restarted"; return 1; }
    exec 9>&-
    run "$RTCTL" --root "$PWD/root" reload
    assert_rc 0
    assert_in "$out" "1 changed (a)"
    wait_until 10 pid_not a "$pid"
    bg_stop
}

test_rtctl_stop_start_restart_and_unless_stopped_across_restarts() {
    stack keep "restart = unless-stopped
command = sh -c '$LOOP'" \
        always "restart = always
command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state keep running && wait_until 10 is_state always running
    run "$RTCTL" --root "$PWD/root" stop keep always
    assert_rc 0
    assert_in "$out" "keep: stopped"
    [ "$(field keep 2)" = exited ] && [ "$(field always 2)" = exited ]
    "$RTCTL" --root "$PWD/root" status | grep -q 'stopped by rtctl stop'
    # a stopped service stays down (the policy does not bring it back)
    sleep 0.5
    [ "$(field always 2)" = exited ]
    run "$RTCTL" --root "$PWD/root" start always
    assert_rc 0 && assert_in "$out" "always: running"
    local p
    p=$(field always 4)
    run "$RTCTL" --root "$PWD/root" restart always
    assert_rc 0
    [ "$(field always 4)" != "$p" ] || { say "same pid after restart"; return 1; }
    run "$RTCTL" --root "$PWD/root" stop nosuch
    assert_rc 1 && assert_in "$err" "no service 'nosuch'"
    run "$RTCTL" --root "$PWD/root" stop always
    bg_stop
    # after a restart of rtinit: unless-stopped stays down, always starts
    bg_start
    wait_until 10 is_state always running
    [ "$(field keep 2)" = exited ] || { say "keep: $(field keep 2)"; return 1; }
    assert_in "$(cat out.txt)" "keep: left stopped, as rtctl stop left it (restart = unless-stopped)"
    run "$RTCTL" --root "$PWD/root" start keep
    assert_rc 0
    bg_stop
    bg_start
    wait_until 10 is_state keep running
    bg_stop
}

# STATE/held waits on the disk (fsync) as it is written: never in
# rtinit's loop. A child writes it, one at a time, so a burst of stops and
# starts ends with the last state on disk, and across a restart.
test_held_is_written_by_a_child_not_the_loop_and_a_burst_ends_in_the_last_state() {
    stack a "restart = unless-stopped
command = sh -c '$LOOP'" \
        b "restart = unless-stopped
command = sh -c '$LOOP'" \
        c "restart = unless-stopped
command = sh -c '$LOOP'"
    bg_start
    for s in a b c; do wait_until 10 is_state $s running; done
    strace -f -y -qq -p "$bgpid" -e trace=fsync,rename,renameat,renameat2 -o strace.txt &
    local st=$!
    at_exit "kill $st 2>/dev/null"
    sleep 0.5
    local i
    for i in $(seq 10); do
        "$RTCTL" --root "$PWD/root" stop a b >/dev/null
        "$RTCTL" --root "$PWD/root" start a >/dev/null
        "$RTCTL" --root "$PWD/root" start b >/dev/null
        "$RTCTL" --root "$PWD/root" stop c b >/dev/null
        "$RTCTL" --root "$PWD/root" start c >/dev/null
    done
    wait_until 5 grep -qx b root/state/held
    sleep 0.3
    kill $st
    wait $st 2>/dev/null || true
    [ "$(cat root/state/held)" = b ] || { say "held: $(cat root/state/held)"; return 1; }
    # the file was fsynced and renamed, never by rtinit itself
    grep -q "fsync([0-9]*</.*/.held\.[0-9]*\.tmp>" strace.txt || { say "$(head -n 20 strace.txt)"; return 1; }
    ! grep -E "^$bgpid +(fsync|rename).*held" strace.txt || { say "rtinit wrote STATE/held itself"; return 1; }
    ! ls root/state/.held.* 2>/dev/null || { say "a temporary file left"; return 1; }
    [ "$(field b 2)" = exited ] && [ "$(field a 2)" = running ] && [ "$(field c 2)" = running ]
    # the last change, then an immediate end: written before rtinit ends
    "$RTCTL" --root "$PWD/root" stop a >/dev/null
    bg_stop
    [ "$(sort root/state/held | tr '\n' ' ')" = "a b " ] || { say "held: $(cat root/state/held)"; return 1; }
    bg_start
    wait_until 10 is_state c running
    [ "$(field a 2)" = exited ] && [ "$(field b 2)" = exited ] || { say "$("$RTCTL" --root "$PWD/root" status)"; return 1; }
    # no zombie writer under rtinit
    ! ps -o stat= --ppid "$bgpid" | grep -q Z || { say "$(ps -o pid,stat,comm --ppid "$bgpid")"; return 1; }
    bg_stop
}

test_kill_9_of_a_service_is_restarted_within_its_back_off_and_leaves_no_zombie() {
    stack svc "restart = always
command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state svc running
    local p
    p=$(field svc 4)
    kill -9 "$p"
    wait_until 3 pid_not svc "$p"
    assert_in "$(cat out.txt)" "svc was killed by SIGKILL; restarting in 100ms (restart 1)"
    # no zombie under rtinit
    ! ps -o stat= --ppid "$bgpid" | grep -q Z || { say "$(ps -o pid,stat,comm --ppid "$bgpid")"; return 1; }
    bg_stop
}

test_rtctl_logs_prints_follows_and_reaches_into_rotated_files() {
    stack talk "restart = no
command = sh -c 'i=0; while [ \$i -lt 5000 ]; do echo talk \$i; i=\$((i+1)); done; $LOOP'"
    printf '[logging]\nmax_size = 64K\nmax_files = 4\n' >>conf.d/droplet.conf
    bg_start
    wait_until 10 grep -q 'talk 4999$' root/log/talk.log
    run "$RTCTL" --root "$PWD/root" logs -n 3 talk
    assert_rc 0
    [ "$(wc -l <<<"$out")" = 3 ] && assert_in "$out" "talk 4999" && assert_in "$out" "talk 4997"
    # more lines than the current file holds: from the rotated ones, in order
    [ -e root/log/talk.log.2 ] || { say "$(ls root/log)"; return 1; }
    run "$RTCTL" --root "$PWD/root" logs -n 3000 talk
    [ "$(wc -l <<<"$out")" = 3000 ] || { say "$(wc -l <<<"$out") lines"; return 1; }
    [ "$(head -n 1 <<<"$out" | sed 's/.* talk //')" = 2000 ] || { say "$(head -n 2 <<<"$out")"; return 1; }
    [ "$(sed 's/.* talk //' <<<"$out" | sort -n | uniq | wc -l)" = 3000 ]
    run "$RTCTL" --root "$PWD/root" logs rtinit
    assert_in "$out" "talk: started"
    run "$RTCTL" --root "$PWD/root" logs ../etc
    assert_rc 1
    "$RTCTL" --root "$PWD/root" logs -f -n 0 talk >follow.txt &
    local f=$!
    sleep 0.5
    "$RTCTL" --root "$PWD/root" restart talk >/dev/null
    wait_until 10 grep -q 'talk 4999$' follow.txt
    kill $f
    bg_stop
}

test_a_stuck_log_writer_never_blocks_rtinit_and_dropped_lines_are_counted() {
    mkdir ctl && chmod 777 ctl
    stack flood "restart = no
volumes = $PWD/ctl:/ctl
command = sh -c 'echo first; sleep 1; i=0; while [ \$i -lt 60000 ]; do echo flooding line \$i of many; i=\$((i+1)); done; touch /ctl/flooded; while [ ! -e /ctl/go ]; do sleep 0.1; done; echo last; $LOOP'" \
        other "command = sh -c '$LOOP'
[healthcheck]
exec = true
interval = 200ms
timeout = 1s"
    bg_start
    wait_until 10 grep -q 'first$' root/log/flood.log
    local w
    w=$(pgrep -P "$bgpid" -x rtinit-log)
    [ -n "$w" ] || { say "no log writer"; return 1; }
    kill -STOP "$w"
    wait_until 30 test -e ctl/flooded
    # rtinit still answers at once, its checks still run, and it counts
    local t0 t1
    t0=$(date +%s%N)
    run "$RTCTL" --root "$PWD/root" status
    t1=$(date +%s%N)
    assert_rc 0
    [ $(((t1 - t0) / 1000000)) -lt 1000 ] || { say "status took $(((t1 - t0) / 1000000)) ms"; return 1; }
    assert_in "$out" "log lines dropped"
    [ "$(field other 3)" = healthy ]
    kill -CONT "$w"
    touch ctl/go
    wait_until 20 grep -q 'Z last$' root/log/flood.log
    grep -qE 'Z \[rtinit: [0-9]+ lines dropped here: the log writer fell behind\]$' root/log/flood.log
    bg_stop
    assert_in "$out" "flood: "
    assert_in "$out" "log lines dropped: the log writer fell behind"
}

test_after_1000_restarts_open_fds_and_memory_are_unchanged() {
    stack crash "restart = always
restart_backoff = 10ms
restart_backoff_max = 10ms
command = true" \
        web "command = sh -c 'mkdir -p /tmp/w && echo ok >/tmp/w/index.html && exec httpd -f -p 8080 -h /tmp/w'
[healthcheck]
http = http://localhost:8080/
interval = 100ms
timeout = 100ms"
    bg_start
    # counted while crash is stopped, so that no start is half-way
    measure() {
        "$RTCTL" --root "$PWD/root" stop crash >/dev/null
        fds=$(ls /proc/$bgpid/fd | wc -l) rss=$(awk '/^VmRSS/ {print $2}' /proc/$bgpid/status)
        "$RTCTL" --root "$PWD/root" start crash >/dev/null
    }
    wait_until 60 restarts_at_least 100
    measure
    local fd1=$fds rss1=$rss
    wait_until 120 restarts_at_least 1000
    measure
    bg_stop
    echo "rtinit after 100 restarts: $fd1 fds, RSS $rss1 KiB; after 1000 more: $fds fds, RSS $rss KiB"
    [ "$fd1" = "$fds" ] || return 1
    # (AddressSanitizer keeps freed memory in quarantine: RSS means
    # nothing under it)
    case $BUILD in *asan*) return 0 ;; esac
    [ "$rss" -le $((rss1 + 64)) ] || return 1
}
# rtctl start resets the count: these are restarts since the last start
restarts_at_least() { [ "$(field crash 5)" -ge "$1" ] 2>/dev/null; }

test_a_start_that_fails_inside_the_container_names_the_reason() {
    stack bad "restart = on-failure:1
command = /no/such/program" \
        good "command = sh -c '$LOOP'"
    supervise 1.5
    assert_rc 0
    assert_in "$out" "starting bad: /no/such/program:"
    assert_in "$out" "bad could not start; restarting in 100ms (restart 1)"
    assert_in "$out" "bad could not start; not restarted: it failed 2 times (restart = on-failure:1)"
    assert_in "$out" "good: started"
}

# ms since the epoch of the first line of rtinit.log holding TEXT
stamp_of() {
    local line
    line=$(grep -m 1 -F -- "$1" root/log/rtinit.log) || { say "no '$1' in rtinit.log"; return 1; }
    date -d "${line%%Z *}Z" +%s%3N
}

test_a_four_service_stack_starts_in_order_by_timestamps() {
    # the seed's shape: a database, a one-shot migration that needs it
    # healthy, an api that needs the migration done, a gateway that needs
    # the api healthy
    stack db "command = sh -c 'sleep 0.5; mkdir -p /tmp/w; exec httpd -f -p 5432 -h /tmp/w'
[healthcheck]
tcp = 5432
interval = 100ms
timeout = 100ms
start_period = 10s" \
        migrate "depends_on = db:healthy
command = sh -c 'echo migrating; sleep 0.3'" \
        api "depends_on = migrate:completed db:healthy
command = sh -c 'sleep 0.3; mkdir -p /tmp/w; echo ok >/tmp/w/index.html; exec httpd -f -p 8080 -h /tmp/w'
[healthcheck]
http = http://localhost:8080/
interval = 100ms
timeout = 100ms
start_period = 10s" \
        gateway "depends_on = api:healthy
command = sh -c '$LOOP'"
    bg_start
    wait_until 20 is_state gateway running
    bg_stop
    local t=() k=0
    for e in "db: started" "db is healthy" "migrate: started" "migrate exited with status 0" "api: started" \
        "api is healthy" "gateway: started"; do
        t[k]=$(stamp_of "$e")
        k=$((k + 1))
    done
    for ((k = 1; k < ${#t[@]}; k++)); do
        [ "${t[k - 1]}" -le "${t[k]}" ] || { say "out of order at step $k: ${t[*]}"; return 1; }
    done
    # and the waits were real: the migration ran 300 ms before api started
    [ $((t[4] - t[2])) -ge 300 ] || { say "migrate to api: $((t[4] - t[2])) ms"; return 1; }
    # reverse order on the way down
    out=$(cat root/log/rtinit.log)
    before "gateway: stopping" "api: stopping"
    before "api: stopping" "db: stopping"
}

# A service as a non-root user (the stack's user app) opens its stdout and
# stderr by path, as nginx does with /dev/stdout, and writes /dev/null: its
# pipes are given to its user, /dev's nodes are 0666.
test_a_non_root_service_opens_dev_stdout_and_dev_null() {
    stack web "restart = no
command = sh -c 'echo via-path >/dev/stdout; echo err-path >/dev/stderr; echo x >/dev/null && echo null-ok'"
    supervise 1.5
    assert_rc 0
    for l in via-path err-path null-ok; do
        grep -q "Z $l\$" root/log/web.log || { say "no '$l' in web.log: $(cat root/log/web.log)"; return 1; }
    done
}

# A limit the kernel refuses is named, with what bounds it.
test_a_refused_rlimit_is_named() {
    stack lim "restart = no
ulimits = nofile=2000000000:2000000000
command = true"
    supervise 1
    assert_in "$out" "setting the nofile limit to 2000000000:2000000000: Operation not permitted; the kernel allows at most"
    assert_in "$out" "(fs.nr_open)"
}

# A root without CAP_SYS_RESOURCE (a sandbox, a container) cannot raise a
# hard limit past the one it was started with: said so, rather than
# blaming fs.nr_open. (RabbitMQ's nofile=65536 on such a machine.)
test_a_hard_limit_past_ours_without_cap_sys_resource_is_named() {
    local hard
    hard=$(ulimit -Hn)
    stack lim "restart = no
ulimits = nofile=$((hard + 1)):$((hard + 1))
command = true"
    WRAP=(setpriv --bounding-set=-sys_resource)
    bg_start
    wait_until 10 grep -q 'lim could not start' out.txt
    bg_stop
    assert_in "$out" "setting the nofile limit to $((hard + 1)):$((hard + 1)): Operation not permitted; raising the hard limit past $hard needs CAP_SYS_RESOURCE, which this process does not have"
}

# The issue's attack on named volumes: with volumes `shared` and
# `shared/inner`, the service holding `shared` replaces `inner` with a
# symlink to /; the next start of the one holding `shared/inner` is refused
# (naming the link) instead of getting the host's root, and no directory is
# made through the link on the host.
test_named_volumes_never_follow_a_symlink_a_container_left() {
    echo "host-secret-$$" >secret
    stack outer "restart = no
user = root
volumes = shared:/s
command = sh -c 'rm -rf /s/inner && ln -s / /s/inner && ln -s $PWD/made /s/deep && echo swapped'" \
        inner "restart = no
depends_on = outer:completed
volumes = shared/inner:/x shared/deep/new:/y
command = sh -c 'cat /x$PWD/secret; echo done'"
    sed -i '0,/^user = app$/{/^user = app$/d}' conf.d/outer.conf
    printf '[volume]\nmountpoint = %s/vol\n' "$PWD" >>conf.d/droplet.conf
    supervise 2.5
    grep -q 'Z swapped$' root/log/outer.log || { say "$(cat root/log/outer.log 2>&1) $out"; return 1; }
    assert_not_in "$(cat root/log/inner.log 2>/dev/null)" "host-secret"
    assert_in "$out" "is a symbolic link in a directory that a container can write (refused: it could point anywhere on the host)"
    ! [ -e made ] || { say "a directory was made on the host through the container's symlink"; return 1; }
}

# A service stops (SIGSTOP) every process its exec health check puts into
# it, before it execs: rtinit must not wait for it. rtctl status answers at
# once throughout, and the check times out as any slow check does.
test_a_service_that_stops_its_exec_checks_never_stalls_rtinit() {
    stack stopper "user = root
command = probe stopper 6
[healthcheck]
exec = true
interval = 200ms
timeout = 300ms
retries = 100" \
        other "restart = always
command = sh -c 'sleep 0.5; exit 3'"
    sed -i '0,/^user = app$/{/^user = app$/d}' conf.d/stopper.conf
    bg_start
    local slow=0 t0 t1
    for _ in $(seq 20); do
        t0=$(date +%s%3N)
        timeout 5 "$RTCTL" --root "$PWD/root" status >/dev/null || { say "rtctl status failed or hung"; return 1; }
        t1=$(date +%s%3N)
        [ $((t1 - t0)) -lt 1000 ] || slow=$((slow + 1))
        sleep 0.2
    done
    [ "$slow" = 0 ] || { say "rtctl status took over 1 s $slow times"; return 1; }
    # the crash-looping service kept being restarted meanwhile
    [ "$(field other 5)" -ge 3 ] || { say "other restarted $(field other 5) times"; return 1; }
    bg_stop
    # and it did stop them: the attack ran
    grep -q 'stopped [1-9][0-9]* processes' root/log/stopper.log || { say "$(cat root/log/stopper.log)"; return 1; }
}

# A service that can write a parent of the block volume's mount point
# replaces the mount point with a symlink to /: a named volume then must
# not follow it (rtinit as a plain supervisor; as PID 1 the mount point is
# a mount, and cannot be renamed).
test_named_volumes_never_follow_a_swapped_mount_point() {
    echo "host-secret-$$" >secret
    stack a "restart = no
user = root
volumes = $PWD/mnt:/m
command = sh -c 'mv /m/volume /m/old && ln -s / /m/volume && echo swapped'" \
        b "restart = no
depends_on = a:completed
volumes = rt-test-never-made:/d
command = sh -c 'cat /d$PWD/secret; echo done'"
    sed -i '0,/^user = app$/{/^user = app$/d}' conf.d/a.conf
    mkdir -p mnt/volume
    printf '[volume]\nmountpoint = %s/mnt/volume\n' "$PWD" >>conf.d/droplet.conf
    supervise 2.5
    grep -q 'Z swapped$' root/log/a.log || { say "$(cat root/log/a.log 2>&1) $out"; return 1; }
    assert_not_in "$(cat root/log/b.log 2>/dev/null)" "host-secret"
    assert_in "$out" "is a symbolic link in a directory that a container can write"
    ! [ -e /rt-test-never-made ] || { say "made /rt-test-never-made on the host"; return 1; }
}

# A process exec'd into a service has the service's ulimits, not rtinit's.
test_exec_gets_the_services_ulimits() {
    stack svc "ulimits = nofile=512:1024
command = sh -c '$LOOP'"
    bg_start
    wait_until 5 is_state svc running
    run "$RTCTL" --root "$PWD/root" exec svc sh -c 'echo soft=$(ulimit -n) hard=$(ulimit -Hn)'
    local got=$out code=$rc
    bg_stop
    [ "$code" = 0 ] && assert_in "$got" "soft=512 hard=1024"
}

# ---- each start is a fresh container (issue 12) ----

# lines_are N REGEX FILE: N lines of FILE match
lines_are() { [ "$(grep -c -- "$2" "$3")" = "$1" ]; }

# bb_variant DIR EXTRA NAME: the busybox image with EXTRA (mkbusybox.sh),
# built once per run, imported as NAME
bb_variant() {
    [ -d "$TMP/supervisor-$1" ] || "$TOP/tests/runtime/mkbusybox.sh" "$TMP/supervisor-$1" "$2" >/dev/null
    "$RTCTL" --root "$PWD/root" image import -q "$TMP/supervisor-$1" "$3" >/dev/null
}

# The container writes a file, deletes one of the image's, and leaves the
# worst it can in its writable layer (symlinks to a host canary and to a
# volume it has, a FIFO, a device node, a name with a newline, a mode-0
# directory 1,000 deep); kill -9; the next start sees none of it, has the
# image's file back, and the old layer is gone with the canary intact.
test_each_start_is_a_fresh_container_and_the_old_layer_goes_safely() {
    mkdir -p canary vol scripts
    echo precious >canary/keep
    echo mine >vol/keep
    cat >scripts/run.sh <<SH
if [ -e /written ]; then echo stale-file; else echo no-stale-file; fi
[ -e /etc/group ] && echo image-file-present
echo x >/written
rm /etc/group
ln -s $PWD/canary /to-canary
ln -s /vol /to-vol
mkfifo /fifo
mknod /null2 c 1 3
touch "/new
line"
mkdir /deep && cd /deep
i=0; while [ \$i -lt 1000 ]; do mkdir d && cd d || exit 1; i=\$((i+1)); done
ln -s $PWD/canary canary; ln -s / root; echo x >file
cd / && chmod 000 /deep
echo ready
trap "exit 0" TERM; while :; do sleep 0.1; done
SH
    stack fresh "restart = always
user = root
volumes = $PWD/scripts:/scripts:ro $PWD/vol:/vol
command = sh /scripts/run.sh"
    sed -i '0,/^user = app$/{/^user = app$/d}' conf.d/fresh.conf
    bg_start
    wait_until 10 grep -q 'Z ready$' root/log/fresh.log
    local c=root/state/containers/fresh p
    [ -L "$c/upper/to-canary" ] && [ -p "$c/upper/fifo" ] && [ -d "$c/upper/deep" ] ||
        { say "not in the writable layer: $(ls -la "$c/upper")"; return 1; }
    p=$(field fresh 4)
    kill -9 "$p"
    wait_until 5 pid_not fresh "$p"
    wait_until 10 lines_are 2 'Z ready$' root/log/fresh.log
    [ "$(grep -c 'Z no-stale-file$' root/log/fresh.log)" = 2 ] && ! grep -q 'Z stale-file$' root/log/fresh.log &&
        [ "$(grep -c 'Z image-file-present$' root/log/fresh.log)" = 2 ] || { say "$(cat root/log/fresh.log)"; return 1; }
    # the old layer is removed, before the new container ran
    [ -d "$c/trash" ] && [ -z "$(ls -A "$c/trash")" ] || { say "left: $(ls -A "$c/trash")"; return 1; }
    [ "$(ls -A canary)" = keep ] && [ "$(cat canary/keep)" = precious ] && [ "$(ls -A vol)" = keep ] &&
        [ "$(cat vol/keep)" = mine ] || { say "canary: $(ls -la canary vol)"; return 1; }
    bg_stop
}

# A restart of rtinit (or a boot) starts its services fresh too.
test_a_restart_of_rtinit_gives_a_fresh_layer() {
    stack svc "command = sh -c 'if [ -e /home/app/mark ]; then echo stale; else echo fresh; fi; touch /home/app/mark; $LOOP'"
    bg_start
    wait_until 10 grep -q 'Z fresh$' root/log/svc.log
    [ -e root/state/containers/svc/upper/home/app/mark ]
    bg_stop
    bg_start
    wait_until 10 lines_are 2 'Z fresh$' root/log/svc.log
    ! grep -q 'Z stale$' root/log/svc.log || { say "$(cat root/log/svc.log)"; return 1; }
    bg_stop
}

# Rolling out web:2 leaves nothing of the web:1 container: not its
# patched files, not its layers' pins.
test_a_new_image_starts_with_nothing_of_the_old_layer() {
    stack web "user = root
command = sh -c 'cat /etc/web-version 2>/dev/null || echo version 1; [ -e /patched ] && echo patched; echo p >/patched; $LOOP'"
    sed -i -e '0,/^user = app$/{/^user = app$/d}' -e 's/^image = bb:1$/image = web:1/' conf.d/web.conf
    "$RTCTL" --root "$PWD/root" image import -q "$BBIMG" web:1
    bb_variant web2 '{"layers": [{"entries": [{"name": "etc/web-version", "data": "version 2\n"}]}]}' web:2
    bg_start
    wait_until 10 grep -q 'Z version 1$' root/log/web.log
    [ "$(wc -l <root/state/containers/web/layers)" = 1 ]
    local p
    p=$(field web 4)
    sed -i 's/^image = web:1$/image = web:2/' conf.d/web.conf
    run "$RTCTL" --root "$PWD/root" reload
    assert_rc 0
    wait_until 10 pid_not web "$p"
    wait_until 10 grep -q 'Z version 2$' root/log/web.log
    ! grep -q 'Z patched$' root/log/web.log || { say "$(cat root/log/web.log)"; return 1; }
    # web:2's two layers are what the container now pins against gc
    [ "$(wc -l <root/state/containers/web/layers)" = 2 ]
    [ -z "$(ls -A root/state/containers/web/trash)" ]
    bg_stop
}

# An image's VOLUME the service does not mount: a named volume of its own,
# kept across starts and listed by config check; one the service mounts
# as tmpfs is left to it, and /proc is refused with a warning.
test_an_image_volume_is_kept_across_starts_and_listed() {
    bb_variant vols '{"config": {"Volumes": {"/data": {}, "/cache": {}, "/proc": {}}}}' vols:1
    stack db "restart = always
tmpfs = /cache
command = sh -c 'echo run >>/data/runs; echo runs=\$(wc -l </data/runs); echo c >>/cache/x; $LOOP'"
    sed -i 's/^image = bb:1$/image = vols:1/' conf.d/db.conf
    printf '[volume]\nmountpoint = %s/vol\n' "$PWD" >>conf.d/droplet.conf
    run "$RTCTL" --root "$PWD/root" config check --conf conf.d
    assert_rc 0
    assert_in "$out" "# VOLUME /cache of the image: in the service's tmpfs at /cache
# VOLUME /data of the image: the named volume .image-volumes/db/data, kept across starts
volumes = $PWD/vol/.image-volumes/db/data:/data"
    assert_in "$out" "# VOLUME /proc of the image: not a volume (/proc is the runtime's): lost at each start"
    assert_in "$err" "conf.d/db.conf:2: volumes: warning: the image declares VOLUME /proc, which cannot be a volume (/proc is the runtime's): what db writes there is lost at each start"
    bg_start
    wait_until 10 grep -q 'Z runs=1$' root/log/db.log
    local p
    p=$(field db 4)
    kill -9 "$p"
    wait_until 5 pid_not db "$p"
    wait_until 10 grep -q 'Z runs=2$' root/log/db.log
    bg_stop
    bg_start
    wait_until 10 grep -q 'Z runs=3$' root/log/db.log
    bg_stop
    # on the block volume, given to the service's user; the tmpfs kept nothing
    [ "$(wc -l <vol/.image-volumes/db/data/runs)" = 3 ]
    [ "$(stat -c %u:%g vol/.image-volumes/db/data)" = 1000:1000 ]
    [ "$(ls vol/.image-volumes/db)" = data ]
}
