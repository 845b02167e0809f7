# A service's life as an operator sees it (issue 12): why it is where it
# is (the status note, the health checks' output), rtctl restart -t that
# fails when the service is not back, and a PID 1 that never waits for
# the image store's lock. Stacks run under rtinit with the busybox image.

# shellcheck source=stack.bash
source "$TOP/tests/cli/stack.bash"

st() { "$RTCTL" --root "$PWD/root" status; }
checks_failed() { [ "$("$RTCTL" --root "$PWD/root" health "$1" | grep -c FAIL)" = "$2" ]; }
status_has() { st | grep -q -- "$1"; }
# the note: after SERVICE STATE HEALTH PID RESTARTS UPTIME CPU MEM IMAGE ADDRESS PORTS
note_of() { st | awk -v s="$1" '$1 == s' | sed -E 's/^([^ ]+ +){11}//'; }

test_an_exec_checks_output_is_kept_and_shown() {
    # redis-cli's answer to a missing password: status 1 alone says nothing
    stack kv "command = sh -c '$LOOP'
[healthcheck]
exec = sh -c 'echo NOAUTH Authentication required; echo second line >&2; exit 1'
interval = 200ms
timeout = 150ms
retries = 1000"
    bg_start
    wait_until 10 status_has "kv .*exit status 1: NOAUTH Authentication required"
    note_of kv | grep -q "^last check (failed [0-9]* of 1000 in a row): exit status 1: NOAUTH Authentication required$" ||
        { say "$(st)"; return 1; }
    wait_until 5 checks_failed kv 5
    local h
    h=$("$RTCTL" --root "$PWD/root" health kv)
    # five checks, the oldest first, each with its time, duration and output
    assert_in "$h" "kv: starting"
    [ "$(grep -cE '^[0-9-]{10}T[0-9:.]{12}Z +[0-9]+ms FAIL exit status 1$' <<<"$h")" = 5 ] || { say "$h"; return 1; }
    [ "$(grep -c '^    NOAUTH Authentication required$' <<<"$h")" = 5 ] || { say "$h"; return 1; }
    [ "$(grep -c '^    second line$' <<<"$h")" = 5 ] || { say "$h"; return 1; }
    # a service with no check, and one that is not there
    run "$RTCTL" --root "$PWD/root" health nope
    assert_rc 1
    assert_in "$err" "no service 'nope'"
    bg_stop
}

test_a_check_that_prints_a_lot_never_blocks_and_keeps_4_kib() {
    stack kv "command = sh -c '$LOOP'
[healthcheck]
exec = sh -c 'i=0; while [ \$i -lt 3000 ]; do echo line-\$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=\$((i+1)); done; exit 0'
interval = 300ms
timeout = 5s
retries = 3"
    bg_start
    wait_until 15 is_health kv healthy
    local h
    h=$("$RTCTL" --root "$PWD/root" health kv)
    assert_in "$h" "ok   exit status 0"
    # the first 4 KiB of each: line-0 ... and not the last line
    assert_in "$h" "    line-0-"
    ! grep -q "line-2999" <<<"$h" || { say "more than 4 KiB kept"; return 1; }
    bg_stop
}
is_health() { [ "$(field "$1" 3)" = "$2" ]; }

test_http_check_shows_its_status_line_and_a_healthy_service_says_its_last_check_failed() {
    # the page is there for the first checks, then gone: healthy, then
    # 404s that have not yet reached retries
    stack web "command = sh -c 'mkdir -p /tmp/w; echo ok >/tmp/w/index.html; (sleep 2; rm /tmp/w/index.html) & exec httpd -f -p 8080 -h /tmp/w'
[healthcheck]
http = http://localhost:8080/index.html
interval = 200ms
timeout = 150ms
retries = 1000"
    bg_start
    wait_until 10 is_health web healthy
    wait_until 10 status_has "web .*HTTP 404"
    note_of web | grep -q "^last check (failed [0-9]* of 1000 in a row): HTTP 404: HTTP/1.[01] 404 Not Found$" ||
        { say "$(st)"; return 1; }
    [ "$(field web 3)" = healthy ]
    assert_in "$("$RTCTL" --root "$PWD/root" health web)" "    HTTP/1.1 404 Not Found"
    bg_stop
}

test_a_service_that_cannot_start_says_why_in_its_status() {
    stack bad "restart = always
restart_backoff = 2s
command = /no/such/program" \
        once "restart = no
command = sh -c 'exit 3'" \
        noimg "restart = always
restart_backoff = 2s
command = true"
    sed -i 's/^image = bb:1$/image = nothere:1/' conf.d/noimg.conf
    bg_start
    wait_until 10 is_state once failed
    wait_until 10 is_state bad restarting
    is_state noimg failed
    # the reason, not an empty note (the log says it too)
    note_of bad | grep -q "^could not start: starting bad: /no/such/program: .*; restarting in 2s (restart [0-9]*)$" ||
        { say "$(st)"; return 1; }
    # an image missing at boot: left out, with the conf.d line and what to do
    note_of noimg | grep -q "^not started: conf.d/noimg.conf:2: image: nothere:1 is not in the image store; import it" ||
        { say "$(st)"; return 1; }
    [ "$(note_of once)" = "exited with status 3 (restart = no)" ] || { say "$(st)"; return 1; }
    # rtctl start says why as well
    run "$RTCTL" --root "$PWD/root" start -t 1 once
    assert_rc 1
    assert_in "$err" "once failed to start: exited with status 3 (restart = no)"
    bg_stop
}

test_restart_t_fails_when_the_service_is_not_back_in_time() {
    stack dep "command = sh -c '$LOOP'" \
        app "depends_on = dep:started
command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state app running
    run "$RTCTL" --root "$PWD/root" restart -t 5 app
    assert_rc 0
    assert_in "$out" "app: running"
    # dep held down: app cannot come back; after -t 1 that is a failure
    "$RTCTL" --root "$PWD/root" stop dep >/dev/null
    run "$RTCTL" --root "$PWD/root" restart -t 1 app
    assert_rc 1
    assert_in "$err" "app is waiting after 1s, waiting for dep to start"
    bg_stop
}

# the image store's lock, held as `rtctl image gc` holds it, for $1 s
hold_store_lock() {
    flock -o -x root/state/images/store.lock sleep "$1" &
    holder=$!
    at_exit "kill $holder 2>/dev/null"
    wait_until 5 lock_taken
}
lock_taken() { ! flock -n -s root/state/images/store.lock true; }

test_a_held_image_store_lock_never_stalls_rtinit() {
    stack svc "restart = always
command = sh -c '$LOOP'" \
        new "restart = unless-stopped
command = sh -c '$LOOP'"
    # new has never run (rtctl stop left it down): no container pins its layers
    mkdir -p root/state
    echo new >root/state/held
    bg_start
    wait_until 10 is_state svc running
    hold_store_lock 10
    # the loop answers at once while the lock is held
    local t0 t1 i
    for i in 1 2 3 4 5; do
        t0=$(date +%s%3N)
        st >/dev/null
        t1=$(date +%s%3N)
        [ $((t1 - t0)) -lt 100 ] || { say "rtctl status took $((t1 - t0)) ms"; return 1; }
    done
    # a killed service that ran before restarts on time: its container
    # pins its layers, so its start needs no lock
    local p
    p=$(field svc 4)
    t0=$(date +%s%3N)
    kill -9 "$p"
    wait_until 3 pid_not svc "$p"
    wait_until 3 is_state svc running
    t1=$(date +%s%3N)
    [ $((t1 - t0)) -lt 1500 ] || { say "svc back after $((t1 - t0)) ms"; return 1; }
    # one that never ran waits for the lock, says so, and starts once it
    # is free
    "$RTCTL" --root "$PWD/root" start -t 0 new >/dev/null 2>&1 || true
    wait_until 3 status_has "new .*waiting for the image store"
    lock_taken
    kill "$holder"
    wait_until 5 is_state new running
    assert_in "$(cat out.txt)" "new: the image store is locked (rtctl image gc?); starting once it is free"
    bg_stop
}
