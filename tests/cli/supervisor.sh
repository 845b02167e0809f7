# rtinit as a plain supervisor (issue 5, first increment): a stack of real
# containers from the busybox test image, started in dependency order,
# restarted by policy with back-off, logged to files, stopped in reverse
# order on SIGTERM. Run as root.

BBIMG="$TMP/supervisor-busybox"
[ -d "$BBIMG" ] || "$TOP/tests/runtime/mkbusybox.sh" "$BBIMG" >/dev/null

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
    [ "$(grep -c 'once: started' <<<"$out")" = 1 ]
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

test_invalid_conf_is_refused_whole() {
    stack ok "command = true" bad "restart = sometimes"
    run "$RTINIT" --conf conf.d --root "$PWD/root"
    assert_rc 1
    assert_in "$err" "conf.d/bad.conf:5: restart: 'sometimes'"
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
    assert_in "$out" "app: stopped (exited with status 0); starting again with its dependencies"
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
    grep -qE '^db +running +starting +[0-9]+ +0  last check: connecting to port 9: Connection refused$' <<<"$out" ||
        { say "$out"; return 1; }
    grep -qE '^app +waiting +- +- +0  waiting for db to be healthy' <<<"$out" || { say "$out"; return 1; }
    [ "$rc_nobody" = 1 ] || { say "a user other than root was answered"; return 1; }
    # gone with rtinit
    [ ! -e root/run/control.sock ]
    run "$RTCTL" --root "$PWD/root" status
    assert_rc 1 && assert_in "$err" "rtinit is not running"
}
