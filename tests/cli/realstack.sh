# The real stack without QEMU (issue 13), the slowest suite: the demo's
# images of Redis, RabbitMQ, the NestJS API and the nginx gateway, built
# from Debian 12 packages and the npm registry (images/demo/build.sh; a
# cold build takes about 1.5 min, a cached one nothing), run with the
# demo's conf.d (images/demo/conf.d, the shipped health intervals) by
# rtinit as a plain supervisor in a network namespace the test creates.
# About 40 s with the images cached: the shipped 30 s intervals, but
# within each start_period checks run every start_interval (5 s) until
# the first passes. REALSTACK_INTERVAL=2s shortens the intervals while
# developing. Skipped, with a pass line saying so, only when the images
# cannot be built because the Debian mirror or the npm registry cannot be
# reached (build.sh's exit status 3); any other build failure fails.
# Measurements are printed on a line of their own (docs/demo.md).

# shellcheck source=stack.bash
source "$TOP/tests/cli/stack.bash"

SERVICES="redis mq api gateway"

# demo_images DIR: the demo's images in DIR (built, or from the cache),
# imported into the store; skips the test when they cannot be built
demo_images() {
    local t0=$SECONDS rc=0
    bash "$TOP/images/demo/build.sh" all "$1" >build.log 2>&1 || rc=$?
    if [ $rc = 3 ]; then
        skip "the demo images cannot be built here: the Debian mirror or the npm registry cannot be reached ($(grep -m 1 -E 'Temporary failure|Could not|Unable to connect|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONN|ENETUNREACH' build.log | sed 's/^ *//' | cut -c1-120))"
    fi
    [ $rc = 0 ] || { say "images/demo/build.sh failed (exit $rc):"; say "$(cat build.log)"; return 1; }
    BUILD_S=$((SECONDS - t0)) BUILD_CACHED=$(grep -c ': cached' build.log || true)
    for n in $SERVICES; do "$RTCTL" --root "$PWD/root" image import -q "$1/$n"; done
}

# demo_conf: the demo's conf.d, with what differs between the droplet and
# this test machine: the secrets file and the volume's mount point here,
# no block volume (rtinit is not PID 1), and RabbitMQ's nofile limit no
# higher than this machine lets root raise it (a sandbox without
# CAP_SYS_RESOURCE; the droplet's root has it)
demo_conf() {
    cp -r "$TOP/images/demo/conf.d" conf.d
    "$TOP/images/demo/secrets.sh" "$PWD/secrets.env"
    sed -i -e "s|^secrets = .*|secrets = $PWD/secrets.env|" -e '/^\(device\|fstype\|options\|timeout\) = /d' \
        -e "s|^mountpoint = .*|mountpoint = $PWD/vol|" -e "s|^dir = .*|dir = $PWD/vol/app-logs/rt|" conf.d/droplet.conf
    local hard
    hard=$(ulimit -Hn)
    if [ "$hard" != unlimited ] && [ "$hard" -lt 65536 ] && ! (ulimit -Hn 65536) 2>/dev/null; then
        sed -i "s/^ulimits = nofile=65536:65536$/ulimits = nofile=$hard:$hard/" conf.d/mq.conf
    fi
    [ -z "${REALSTACK_INTERVAL:-}" ] || sed -i "s/^interval = .*/interval = $REALSTACK_INTERVAL/" conf.d/*.conf
}

secret() { sed -n "s/^$1=//p" secrets.env; }
all_healthy() {
    local s
    s=$("$RTCTL" --root "$PWD/root" status) || return 1
    [ "$(awk '$3 == "healthy"' <<<"$s" | wc -l)" = 4 ]
}
# post BODY: POST /api/events through the gateway's published port 80, at
# the droplet's 127.0.0.1; prints the body and the status
post() { in_ns curl -s -m 5 -X POST -H 'Content-Type: application/json' -d "$1" -w ' %{http_code}' http://127.0.0.1/api/events; }
answers_201() { [[ $(post '{"kind":"after-kill"}') == *' 201' ]]; }
# ms since $1 (date +%s%N)
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
uid_of() { awk '/^Uid:/ { print $2 }' "/proc/$1/status"; }

# settings FILE: its key = value lines, without comments or blank lines
settings() { grep -vE '^\s*(#|$)' "$1"; }

test_the_demo_conf_d_differs_from_the_shipped_one_only_where_its_images_do() {
    local demo="$TOP/images/demo/conf.d" shipped="$TOP/conf.d"
    # the same droplet
    diff <(settings "$shipped/droplet.conf") <(settings "$demo/droplet.conf")
    # Redis and RabbitMQ: only the image
    local f
    for f in redis mq; do
        diff <(settings "$shipped/$f.conf" | grep -v '^image = ') <(settings "$demo/$f.conf" | grep -v '^image = ')
        settings "$demo/$f.conf" | grep -qx "image = rt-demo/$f"
    done
    # the API: the image, and no search service
    diff <(settings "$shipped/api.conf" | grep -vE '^(image = |environment = MEILI_|depends_on = )') \
        <(settings "$demo/api.conf" | grep -vE '^(image|depends_on) = ')
    settings "$demo/api.conf" | grep -qx 'depends_on = mq:healthy redis:healthy'
    # the gateway is nginx, not Kong: the ports the internet and the
    # droplet's loopback reach are the shipped ones but 443 (no certificate)
    [ "$(settings "$demo/gateway.conf" | grep '^ports = ')" = "$(printf 'ports = 80:8000\nports = 127.0.0.1:8001:8001')" ]
    assert_in "$(settings "$shipped/gateway.conf")" "ports = 80:8000 443:8443"
    [ ! -e "$demo/search.conf" ]
}

test_the_demo_stack_runs_healthy_in_order_and_survives_a_kill_9_of_redis() {
    demo_images "$PWD/images"
    demo_conf
    # the demo's conf.d is valid with these images
    run "$RTCTL" config check --quiet --conf conf.d --root "$PWD/root"
    assert_rc 0
    netns
    outside # (also brings the droplet namespace's lo up)
    local t0
    t0=$(date +%s%N)
    bg_start
    wait_until 300 all_healthy
    local healthy_ms
    healthy_ms=$(ms_since "$t0")
    out=$(grep -v '^conf.d/' out.txt)
    # in dependency order: the API starts once Redis and RabbitMQ are healthy
    before "redis is healthy" "api: started"
    before "mq is healthy" "api: started"
    assert_in "$out" "api is healthy (HTTP 200)"
    # RabbitMQ's own start: from rtinit starting it to its listeners
    local mq_boot
    mq_boot=$(python3 - "$PWD/vol/app-logs/rt" <<'PY'
import re, sys, datetime
d = sys.argv[1]
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
start = next(l for l in open(d + "/rtinit.log") if "mq: started" in l).split()[0]
ready = next(l for l in open(d + "/mq.log") if "Server startup complete" in l).split()[0]
print("%.1f" % (t(ready) - t(start)).total_seconds())
PY
    )

    # Events through the gateway's published port, from the droplet ...
    local r
    for i in 1 2 3; do
        r=$(post "{\"n\":$i}")
        [ "$r" = "{\"count\":$i,\"published\":true} 201" ] || { say "POST $i: $r"; return 1; }
    done
    # ... read back from a client on the LAN, at the droplet's address:
    # the count in Redis, the messages waiting in RabbitMQ's queue
    r=$(nsenter "--net=/run/netns/$OUT" curl -s -m 5 http://192.168.77.1/api/events/count)
    [ "$r" = '{"count":3,"queued":3}' ] || { say "count: $r"; return 1; }
    r=$(nsenter "--net=/run/netns/$OUT" curl -s -m 5 -w ' %{http_code}' http://192.168.77.1/health)
    [ "$r" = '{"status":"ok","redis":"ok","rabbitmq":"ok"} 200' ] || { say "health: $r"; return 1; }
    # the loopback-only ports answer on the droplet and not from the LAN:
    # nginx's status (Kong's admin API in production) and RabbitMQ's
    # management API, with the user and vhost from the secrets
    in_ns curl -sf -m 5 http://127.0.0.1:8001/status | grep -q '^Active connections'
    in_ns curl -sf -m 5 -u "$(secret RABBITMQ_USER):$(secret RABBITMQ_PASS)" http://127.0.0.1:15672/api/vhosts |
        grep -q '"name":"codecave"'
    ! nsenter "--net=/run/netns/$OUT" curl -s -m 3 http://192.168.77.1:15672/ >/dev/null || { say "15672 reached from the LAN"; return 1; }
    ! nsenter "--net=/run/netns/$OUT" curl -s -m 3 http://192.168.77.1:8001/ >/dev/null || { say "8001 reached from the LAN"; return 1; }

    # No secret in any process's arguments (ps shows them), and no
    # service runs as root: each runs as its image's user
    local pw
    for pw in "$(secret REDIS_PASSWORD)" "$(secret RABBITMQ_PASS)"; do
        ! grep -qF -- "$pw" /proc/[0-9]*/cmdline 2>/dev/null || { say "a secret is in a command line"; return 1; }
    done
    local s u
    for s in $SERVICES; do
        u=$(uid_of "$(field "$s" 4)")
        [ -n "$u" ] && [ "$u" != 0 ] || { say "$s runs as uid '$u'"; return 1; }
    done
    [ "$(uid_of "$(field redis 4)")" = 901 ]
    [ "$(uid_of "$(field gateway 4)")" = 903 ]
    # the data is on the volume: Redis's append-only file, RabbitMQ's database
    ls vol/redis/appendonlydir/*.aof >/dev/null
    [ -d vol/rabbitmq/mnesia ]

    # kill -9 of Redis: rtinit restarts it, and the API, not restarted,
    # answers again (its connection comes back; Redis's MAC, following
    # its address, keeps the API's ARP entry right), with the count kept
    # in the append-only file on the volume
    local redis api api_restarts kill_ms
    redis=$(field redis 4) api=$(field api 4) api_restarts=$(field api 5)
    t0=$(date +%s%N)
    kill -9 "$redis"
    wait_until 10 pid_not redis "$redis"
    wait_until 20 answers_201
    kill_ms=$(ms_since "$t0")
    r=$(in_ns curl -s -m 5 http://127.0.0.1/api/events/count)
    [ "$r" = '{"count":4,"queued":4}' ] || { say "count after the kill: $r"; return 1; }
    [ "$(field api 4)" = "$api" ] && [ "$(field api 5)" = "$api_restarts" ] || { say "api was restarted: $("$RTCTL" --root "$PWD/root" status)"; return 1; }
    [ "$(field redis 5)" = 1 ]

    bg_stop
    assert_in "$out" "rtinit: every service is stopped"
    before "api: stopping" "redis: stopping"
    before "api: stopping" "mq: stopping"
    # on its own line, for the CI log (docs/demo.md)
    echo "  realstack: images $BUILD_S s ($BUILD_CACHED of 4 cached), all healthy ${healthy_ms} ms after rtinit started, RabbitMQ up ${mq_boot} s after its start, the API answering ${kill_ms} ms after kill -9 of Redis"
}
