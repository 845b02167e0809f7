# Watching the droplet (issue 14): rtctl status (ps), inspect and stats,
# their --json checked against docs/schema/rtctl.schema.json, numbers
# that move when a service burns CPU or gets traffic, and rtinit's
# Prometheus endpoint parsed by promtool and scraped by a real Prometheus.
# rtinit runs in a network namespace each test makes, with the busybox
# image; every request goes to that namespace's loopback or bridge.

# shellcheck source=stack.bash
source "$TOP/tests/cli/stack.bash"

rt() { "$RTCTL" --root "$PWD/root" "$@"; }
schema() { TOP="$TOP" python3 "$TOP/tests/cli/schema.py" "$@"; }
# the cgroup2 root's controllers: what the host can measure at all
cg_has() { grep -qw "$1" "$(findmnt -n -t cgroup2 -o TARGET | head -n 1)/cgroup.controllers"; }
jqr() { jq -r "$@"; }
is_health() { [ "$(field "$1" 3)" = "$2" ]; }

# a stack on the bridge, in a namespace whose loopback is up (a
# droplet's is: PID 1 brings it up; ip netns add leaves it down)
observe_stack() {
    netns
    in_ns ip link set lo up
    stack "$@"
    printf '[network]\nbridge = rtt0\nsubnet = 10.99.0.0/24\n' >>conf.d/droplet.conf
    sed -i '/^network = none$/d' conf.d/*.conf
}

WEB="command = sh -c 'mkdir -p /tmp/w; echo hello >/tmp/w/index.html; exec httpd -f -p 8080 -h /tmp/w'"
# busy while /v/go exists, idle otherwise: the same process both ways
TOGGLE="command = sh -c 'while :; do if [ -e /v/go ]; then i=0; while [ \$i -lt 20000 ]; do i=\$((i+1)); done; else sleep 0.1; fi; done'"

test_status_shows_image_address_ports_and_usage_and_its_json_follows_the_schema() {
    observe_stack web "$WEB
ports = 127.0.0.1:8080:8080
ports = 5353:53/udp
memory_max = 64M
[healthcheck]
http = http://localhost:8080/index.html
interval = 300ms
timeout = 200ms" \
        quiet "command = sh -c '$LOOP'"
    echo 'network = none' >>conf.d/quiet.conf
    bg_start
    wait_until 10 is_health web healthy
    run rt status --json
    assert_rc 0
    schema status <<<"$out"
    local digest addr
    digest=$(rt image inspect bb:1 | jqr .manifest_digest)
    addr=$(awk '$1 == "web" { print $2 }' root/state/net/leases)
    [ "$(jqr '.[] | select(.name == "web") | .image' <<<"$out")" = bb:1 ]
    [ "$(jqr '.[] | select(.name == "web") | .image_digest' <<<"$out")" = "$digest" ]
    [ "$(jqr '.[] | select(.name == "web") | .address' <<<"$out")" = "$addr" ]
    [ "$(jqr '.[] | select(.name == "quiet") | .network' <<<"$out")" = none ]
    [ "$(jqr '.[] | select(.name == "quiet") | has("address")' <<<"$out")" = false ]
    [ "$(jqr '[.[] | select(.name == "web") | .ports[] | "\(.host_ip):\(.host_port):\(.container_port)/\(.proto)"] | join(" ")' <<<"$out")" = "127.0.0.1:8080:8080/tcp 0.0.0.0:5353:53/udp" ]
    # CPU time: every cgroup2 directory counts it
    [ "$(jqr '.[] | select(.name == "web") | .cpu_usec | type' <<<"$out")" = number ]
    # memory and pids only where their controller is: never a made-up 0
    if cg_has memory; then
        [ "$(jqr '.[] | select(.name == "web") | .memory_limit' <<<"$out")" = 67108864 ]
    else
        [ "$(jqr '.[] | select(.name == "web") | has("memory_bytes")' <<<"$out")" = false ]
        jqr '.[] | select(.name == "web") | .limits_missing' <<<"$out" | grep -q "memory_max (the memory controller)"
    fi
    cg_has pids || [ "$(jqr '.[] | select(.name == "web") | has("pids")' <<<"$out")" = false ]
    # the table: the first five columns as always, then the rest, the note last
    run rt status
    assert_rc 0
    local row
    row=$(awk '$1 == "web"' <<<"$out")
    head -n 1 <<<"$out" | grep -qE '^SERVICE +STATE +HEALTH +PID +RESTARTS +UPTIME +CPU +MEM +IMAGE +ADDRESS +PORTS +NOTE$' ||
        { say "$out"; return 1; }
    grep -qE "^web +running +healthy +[0-9]+ +0 +[0-9]+s +[0-9.]+s +(-|[0-9.]+[KMG]?i?B) +bb:1@${digest:7:12} +$addr +127\.0\.0\.1:8080->8080,5353->53/udp +last check: HTTP 200" <<<"$row" ||
        { say "$out"; return 1; }
    cg_has memory || [ "$(awk '{ print $8 }' <<<"$row")" = - ]
    grep -qE '^quiet +running +- +[0-9]+ +0 +[0-9]+s +[0-9.]+s +[^ ]+ +bb:1@[0-9a-f]{12} +- +-$' <<<"$(awk '$1 == "quiet"' <<<"$out")" ||
        { say "$out"; return 1; }
    # no colour into a pipe; on a terminal colour, unless NO_COLOR
    ! grep -q $'\033' <<<"$out"
    script -qec "$RTCTL --root $PWD/root status" /dev/null | grep -q $'\033\[32mrunning'
    ! NO_COLOR=1 script -qec "$RTCTL --root $PWD/root status" /dev/null | grep -q $'\033'
    # SERVICE...: those only; ps is status; an unknown one is an error
    [ "$(rt ps quiet | awk 'NR > 1 { print $1 }')" = quiet ]
    [ "$(rt status --json quiet web | jqr 'map(.name) | join(" ")')" = "quiet web" ]
    run rt status web nope
    assert_rc 1
    assert_in "$err" "no service 'nope'"
    [ -z "$out" ]
    bg_stop
}

# the busybox image with secrets in its ENV: a URL with a password and a
# secret's name
ENVIMG_EXTRA='{"config": {"Env": ["PATH=/usr/bin:/bin", "CACHE_URL=redis://:img-pass-9@cache:6379/0", "IMAGE_TOKEN=img-token-7"]}}'

test_inspect_shows_the_running_configuration_redacted_and_the_container() {
    mkdir -p vol seen
    chmod 777 seen
    [ -d "$TMP/observe-envimg" ] || "$TOP/tests/runtime/mkbusybox.sh" "$TMP/observe-envimg" "$ENVIMG_EXTRA" >/dev/null
    rt image import -q "$TMP/observe-envimg" bb:1
    observe_stack web "environment = DB_PASSWORD=literal-secret-1
environment = FROM_SECRETS=\${TOKEN}
environment = DATABASE_URL=postgres://u:conf-pass-3@h/db
environment = BROKER=amqp://app:\${TOKEN}@mq
command = sh -c 'env >/seen/env; mkdir -p /tmp/w; echo hi >/tmp/w/index.html; exec httpd -f -p 8080 -h /tmp/w'
volumes = $PWD/vol:/data:ro
volumes = $PWD/seen:/seen
tmpfs = /scratch:size=1M
pids_max = 50
[healthcheck]
http = http://localhost:8080/index.html
interval = 300ms
timeout = 200ms" \
        quiet "command = sh -c '$LOOP'"
    # a file with an error: its service is left out at boot, the rest run
    printf '[service]\nimage = bb:1\nno_such_key = 1\n' >conf.d/broken.conf
    bg_start
    wait_until 10 is_health web healthy
    run rt inspect --json web
    assert_rc 0
    schema inspect <<<"$out"
    # the secrets: neither the literal nor ${TOKEN}'s value, nor a URL's
    # password in conf.d or in the image's ENV, anywhere
    assert_not_in "$out" "literal-secret-1"
    assert_not_in "$out" "s3cret"
    assert_not_in "$out" "-pass-"
    assert_not_in "$out" "img-token-7"
    jqr .config <<<"$out" | grep -qx 'environment = DB_PASSWORD=<redacted>'
    jqr .config <<<"$out" | grep -qx 'environment = FROM_SECRETS=${TOKEN}'
    jqr .config <<<"$out" | grep -qxF "environment = 'DATABASE_URL=postgres://u:***@h/db'"
    jqr .config <<<"$out" | grep -qxF 'environment = BROKER=amqp://app:${TOKEN}@mq'
    jqr .config <<<"$out" | grep -qxF '# environment from the image: CACHE_URL=redis://:***@cache:6379/0'
    jqr .config <<<"$out" | grep -qxF '# environment from the image: IMAGE_TOKEN=<redacted>'
    # what runs has every value whole: only what is shown is redacted
    grep -qx 'DATABASE_URL=postgres://u:conf-pass-3@h/db' seen/env
    grep -qx 'BROKER=amqp://app:s3cret@mq' seen/env
    grep -qx 'CACHE_URL=redis://:img-pass-9@cache:6379/0' seen/env
    grep -qx 'FROM_SECRETS=s3cret' seen/env
    # config check prints the conf as inspect does (of the files without errors)
    mkdir check.d
    cp conf.d/droplet.conf conf.d/web.conf check.d/
    run "$RTCTL" --root "$PWD/root" config check --conf check.d
    assert_in "$out" "environment = 'DATABASE_URL=postgres://u:***@h/db'"
    assert_not_in "$out" "-pass-"
    run rt inspect --json web
    [ "$(jqr .file <<<"$out")" = conf.d/web.conf ]
    # address, MAC (as rtinit sets it: 02:42 and the address), veth on the bridge
    local addr mac
    addr=$(awk '$1 == "web" { print $2 }' root/state/net/leases)
    mac=$(printf '02:42:%02x:%02x:%02x:%02x' ${addr//./ })
    [ "$(jqr .container.address <<<"$out")" = "$addr" ]
    [ "$(jqr .container.mac <<<"$out")" = "$mac" ]
    [ "$(jqr .container.gateway <<<"$out")" = 10.99.0.1 ]
    in_ns ip -br link show "$(jqr .container.veth <<<"$out")" | grep -q 'master rtt0\|UP'
    nsenter -t "$(jqr .status.pid <<<"$out")" -n ip -br link show eth0 | grep -q "$mac"
    # the mounts
    [ "$(jqr '.container.mounts[] | select(.destination == "/data") | "\(.type) \(.source) \(.read_only)"' <<<"$out")" = "bind $PWD/vol true" ]
    [ "$(jqr '.container.mounts[] | select(.destination == "/scratch") | .type' <<<"$out")" = tmpfs ]
    [ "$(jqr .limits.pids_max <<<"$out")" = 50 ]
    # the last checks, as rtctl health has them
    [ "$(jqr '.health.checks | length' <<<"$out")" -ge 1 ]
    [ "$(jqr '.health.checks[-1].result' <<<"$out")" = "HTTP 200" ]
    # for people: the same, said in lines
    run rt inspect web
    assert_rc 0
    assert_in "$out" "web: running, healthy, pid "
    assert_in "$out" "network    $addr on rtt0, gateway 10.99.0.1, MAC $mac"
    assert_in "$out" "mounts     $PWD/vol -> /data (ro)"
    assert_in "$out" "           tmpfs /scratch (size=1M"
    assert_in "$out" "  environment = DB_PASSWORD=<redacted>"
    assert_in "$out" "  environment = 'DATABASE_URL=postgres://u:***@h/db'"
    assert_not_in "$out" "literal-secret-1"
    assert_not_in "$out" "-pass-"
    run rt inspect nope
    assert_rc 1
    assert_in "$err" "no service 'nope'"
    # a service without a check: its MAC too, and its usage with its network
    run rt inspect --json quiet
    assert_rc 0
    schema inspect <<<"$out"
    addr=$(awk '$1 == "quiet" { print $2 }' root/state/net/leases)
    mac=$(printf '02:42:%02x:%02x:%02x:%02x' ${addr//./ })
    [ "$(jqr .container.mac <<<"$out")" = "$mac" ]
    nsenter -t "$(jqr .status.pid <<<"$out")" -n ip -br link show eth0 | grep -q "$mac"
    [ "$(jqr '.usage.net_rx_packets | type' <<<"$out")" = number ]
    [ "$(jqr '.status.cpu_usec | type' <<<"$out")" = number ]
    # the one left out at boot: its status entry (the error), nothing more
    run rt inspect --json broken
    assert_rc 0
    schema inspect <<<"$out"
    [ "$(jqr '.status.conf_error' <<<"$out")" = true ]
    [ "$(jqr 'keys | join(" ")' <<<"$out")" = "name status" ]
    # stopped: its state, no container or usage
    rt stop quiet >/dev/null
    wait_until 10 is_state quiet exited
    run rt inspect --json quiet
    assert_rc 0
    schema inspect <<<"$out"
    [ "$(jqr '.status.state' <<<"$out")" = exited ]
    [ "$(jqr 'has("container") or has("usage")' <<<"$out")" = false ]
    bg_stop
}

# stats_of SERVICE FIELD: from one rtctl stats --no-stream --json
stat_now() { rt stats --no-stream --json >stats.json && jqr ".services[] | select(.name == \"$1\") | .$2 // \"-\"" stats.json; }
cpu_above() { awk -v v="$(stat_now "$1" cpu_percent)" -v m="$2" 'BEGIN { exit !(v != "-" && v + 0 > m + 0) }'; }
cpu_below() { awk -v v="$(stat_now "$1" cpu_percent)" -v m="$2" 'BEGIN { exit !(v != "-" && v + 0 < m + 0) }'; }

test_stats_numbers_move_when_a_service_burns_cpu_and_gets_traffic() {
    mkdir -p v
    chmod 777 v
    observe_stack toggle "$TOGGLE
volumes = $PWD/v:/v" \
        web "$WEB"
    bg_start
    wait_until 10 is_state toggle running
    wait_until 10 is_state web running
    # idle: a sleep loop uses next to nothing
    wait_until 10 cpu_below toggle 10
    run rt stats --no-stream --json
    assert_rc 0
    schema stats --lines <<<"$out"
    local before
    before=$(jqr '.services[] | select(.name == "toggle") | .cpu_usec' <<<"$out")
    # the same process set to burn: its CPU % climbs, and its CPU time with it
    touch v/go
    wait_until 15 cpu_above toggle 20
    [ "$(stat_now toggle pid)" = "$(field toggle 4)" ]
    [ "$(stat_now toggle cpu_usec)" -gt $((before + 300000)) ]
    cpu_below web 10
    # and back
    rm v/go
    wait_until 15 cpu_below toggle 10
    # network: what the container receives and sends, counted on its veth
    local rx0 tx0 addr
    rx0=$(stat_now web net_rx_bytes) tx0=$(stat_now web net_tx_bytes)
    addr=$(awk '$1 == "web" { print $2 }' root/state/net/leases)
    for _ in 1 2 3 4 5; do in_ns busybox wget -q -O /dev/null "http://$addr:8080/index.html"; done
    [ "$(stat_now web net_rx_bytes)" -gt $((rx0 + 300)) ]
    [ "$(stat_now web net_tx_bytes)" -gt $((tx0 + 300)) ]
    # the table: every column, "-" where the host cannot measure
    run rt stats --no-stream
    assert_rc 0
    head -n 1 <<<"$out" | grep -qE '^SERVICE +STATE +CPU % +MEM +LIMIT +MEM % +PIDS +NET RX +NET TX +BLOCK READ +BLOCK WRITE$' ||
        { say "$out"; return 1; }
    grep -qE '^web +running +[0-9]+\.[0-9]{2}% ' <<<"$out" || { say "$out"; return 1; }
    if ! cg_has memory; then
        [ "$(awk '$1 == "web" { print $4, $5, $6 }' <<<"$out")" = "- - -" ] || { say "$out"; return 1; }
    fi
    # streaming: a JSON object a second, each after the first with rates
    timeout 3.6 "$RTCTL" --root "$PWD/root" stats --json web >stream.json || true
    [ "$(wc -l <stream.json)" -ge 2 ] || { say "$(cat stream.json)"; return 1; }
    schema stats --lines <stream.json
    [ "$(jqr '.services | map(.name) | join(" ")' <stream.json | sort -u)" = web ]
    jqr '.services[0].cpu_percent | type' <stream.json | grep -qx number
    run rt stats nope --no-stream
    assert_rc 1
    assert_in "$err" "no service 'nope'"
    bg_stop
}

# metrics PORT: the body of GET /metrics on the namespace's loopback
metrics() { in_ns curl -sS --max-time 5 "http://127.0.0.1:$1/metrics"; }
sample() { awk -v m="$2" '$1 == m { print $2 }' <<<"$1"; }

test_metrics_are_valid_prometheus_text_and_a_real_prometheus_scrapes_them() {
    command -v promtool >/dev/null && command -v prometheus >/dev/null ||
        { say "prometheus is not installed (tools/deps.sh installs it)"; return 1; }
    observe_stack web "$WEB
memory_max = 64M
[healthcheck]
http = http://localhost:8080/index.html
interval = 300ms
timeout = 200ms" \
        burn "command = sh -c 'while :; do :; done'" \
        bad "command = sh -c 'exit 3'
restart = on-failure:2
restart_backoff = 100ms"
    printf '[metrics]\nlisten = 127.0.0.1:9323\n' >>conf.d/droplet.conf
    # a file with an error: its service is left out at boot, and down
    printf '[service]\nimage = bb:1\nrestart = sometimes\n' >conf.d/broken.conf
    bg_start
    wait_until 10 is_health web healthy
    wait_until 10 is_state bad failed
    local m
    m=$(metrics 9323)
    promtool check metrics <<<"$m" || { say "$m"; return 1; }
    [ "$(sample "$m" 'rt_service_up{service="web"}')" = 1 ]
    [ "$(sample "$m" 'rt_service_up{service="bad"}')" = 0 ]
    [ "$(sample "$m" 'rt_service_state{service="bad",state="failed"}')" = 1 ]
    [ "$(sample "$m" 'rt_service_state{service="bad",state="running"}')" = 0 ]
    [ "$(sample "$m" 'rt_service_restarts_total{service="bad"}')" = 2 ]
    [ "$(sample "$m" 'rt_service_up{service="broken"}')" = 0 ]
    [ "$(sample "$m" 'rt_service_state{service="broken",state="failed"}')" = 1 ]
    [ "$(sample "$m" 'rt_service_health{service="web",health="healthy"}')" = 1 ]
    [ -z "$(sample "$m" 'rt_service_health{service="burn",health="healthy"}')" ] # no check, no health
    [ -n "$(sample "$m" 'rt_service_health_check_duration_seconds{service="web"}')" ]
    [ -n "$(sample "$m" 'rt_service_network_receive_bytes_total{service="web"}')" ]
    [ -n "$(sample "$m" 'rtinit_open_fds')" ] && [ "$(sample "$m" 'rtinit_resident_memory_bytes')" -gt 100000 ]
    [ "$(sample "$m" 'rtinit_loop_busy_seconds_count')" -gt 0 ]
    if cg_has memory; then
        [ "$(sample "$m" 'rt_service_memory_limit_bytes{service="web"}')" = 67108864 ]
    else
        assert_not_in "$m" "rt_service_memory_bytes"
    fi
    # a real scraper, in the same namespace, every second
    cat >prom.yml <<EOF
global: {scrape_interval: 1s, scrape_timeout: 900ms}
scrape_configs:
  - job_name: rtinit
    static_configs: [{targets: ['127.0.0.1:9323']}]
EOF
    in_ns prometheus --config.file=prom.yml --storage.tsdb.path=prom-data --web.listen-address=127.0.0.1:9090 \
        >prom.log 2>&1 &
    local prom=$!
    at_exit "kill $prom 2>/dev/null; wait $prom 2>/dev/null"
    q() { in_ns curl -sS --max-time 5 --data-urlencode "query=$1" http://127.0.0.1:9090/api/v1/query 2>/dev/null; }
    scraped() { [ "$(q 'up{job="rtinit"}' | jqr '.data.result[0].value[1]')" = 1 ]; }
    wait_until 40 scraped || { say "$(tail -n 20 prom.log)"; return 1; }
    # the burning service's CPU, as Prometheus computes it from the counter
    burning() { q 'rate(rt_service_cpu_seconds_total{service="burn"}[5s])' |
        jqr '.data.result[0].value[1] // 0' | awk '{ exit !($1 > 0.2) }'; }
    wait_until 20 burning || { say "$(q 'rt_service_cpu_seconds_total')"; return 1; }
    [ "$(q 'rt_service_up{service="web"}' | jqr '.data.result[0].value[1]')" = 1 ]
    [ "$(q 'rt_service_state{service="bad",state="failed"}' | jqr '.data.result[0].value[1]')" = 1 ]
    # a scrape of all of this costs the loop well under a millisecond
    say "render: $(sample "$(metrics 9323)" rtinit_metrics_render_seconds) s"
    kill "$prom"
    bg_stop
}

test_the_metrics_endpoint_never_holds_rtinits_loop() {
    observe_stack web "$WEB"
    printf '[metrics]\nlisten = 127.0.0.1:9323\n' >>conf.d/droplet.conf
    bg_start
    wait_until 10 is_state web running
    # 20 connections that say nothing: each new one takes the slot of the
    # oldest silent one; rtctl and a killed service are served meanwhile
    in_ns python3 - <<'EOF' &
import socket, time
held = []
for i in range(20):
    s = socket.create_connection(("127.0.0.1", 9323))
    held.append(s)
time.sleep(4)
EOF
    local holder=$! t0 t1
    sleep 0.5
    t0=$(date +%s%N)
    rt status >/dev/null
    t1=$(date +%s%N)
    [ $(((t1 - t0) / 1000000)) -lt 300 ] || { say "rtctl status took $(((t1 - t0) / 1000000)) ms"; return 1; }
    # a scrape while every slot is held by a silent one: answered at once
    t0=$(date +%s%N)
    run in_ns curl -sS --max-time 3 -o /dev/null -w '%{http_code}' http://127.0.0.1:9323/metrics
    t1=$(date +%s%N)
    [ "$out" = 200 ] || { say "status $out: $err"; return 1; }
    [ $(((t1 - t0) / 1000000)) -lt 500 ] || { say "the scrape took $(((t1 - t0) / 1000000)) ms"; return 1; }
    wait "$holder" || true
    wait_until 8 sh -c "nsenter --net=/run/netns/$NS curl -sf --max-time 2 http://127.0.0.1:9323/metrics | grep -q '^rtinit_metrics_evicted_total [1-9]'"
    # a request head too long, a wrong method, another path
    run in_ns curl -sS -o /dev/null -w '%{http_code}' -H "X-Long: $(head -c 3000 /dev/zero | tr '\0' x)" http://127.0.0.1:9323/metrics
    [ "$out" = 431 ]
    [ "$(in_ns curl -sS -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:9323/metrics)" = 405 ]
    [ "$(in_ns curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1:9323/)" = 404 ]
    [ "$(in_ns curl -sS -o /dev/null -w '%{http_code}' -I http://127.0.0.1:9323/metrics)" = 200 ]
    # a reload moves it; removing [metrics] turns it off
    sed -i 's/127.0.0.1:9323/127.0.0.1:9324/' conf.d/droplet.conf
    rt reload >/dev/null
    metrics 9324 | grep -q '^rt_service_up{service="web"} 1$'
    ! in_ns curl -sf --max-time 2 http://127.0.0.1:9323/metrics >/dev/null
    sed -i '/^\[metrics\]$/,$d' conf.d/droplet.conf
    rt reload >/dev/null
    ! in_ns curl -sf --max-time 2 http://127.0.0.1:9324/metrics >/dev/null
    [ -z "$(in_ns ss -Hltn)" ] || { say "still listening: $(in_ns ss -ltn)"; return 1; }
    bg_stop
}

# cpu_ticks: rtinit's user + system time, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$bgpid/stat"; }

# A scraper in a loop: the text is rendered at most once a second and
# served again meanwhile, so 200 scrapes in a row cost rtinit little and
# rtctl status stays fast. Idle connections at the client cap never keep
# a scraper out; a silent one is dropped after 1 s.
test_scrapes_in_a_loop_cost_rtinit_little_and_idle_clients_never_keep_a_scraper_out() {
    observe_stack web "$WEB" web2 "$WEB" web3 "$WEB"
    printf '[metrics]\nlisten = 127.0.0.1:9323\n' >>conf.d/droplet.conf
    bg_start
    wait_until 10 is_state web3 running
    local c0 c1 hz t0 t1
    hz=$(getconf CLK_TCK)
    c0=$(cpu_ticks)
    in_ns python3 - >loop.txt <<'PY' &
import time, urllib.request
t0 = time.monotonic()
bodies = set()
for i in range(200):
    with urllib.request.urlopen("http://127.0.0.1:9323/metrics", timeout=5) as r:
        assert r.status == 200
        bodies.add(r.read())
took = time.monotonic() - t0
print(f"{took:.3f} {len(bodies)}")
PY
    local loop=$!
    : >status_ms.txt
    while kill -0 $loop 2>/dev/null; do
        t0=$(date +%s%N)
        rt status >/dev/null
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000000)) >>status_ms.txt
        sleep 0.05
    done
    wait $loop || { say "the scrapes failed: $(cat loop.txt)"; return 1; }
    c1=$(cpu_ticks)
    local took bodies max
    read -r took bodies <loop.txt
    max=$(sort -n status_ms.txt | tail -n 1)
    say "200 scrapes in ${took} s: $bodies texts rendered, rtinit used $(((c1 - c0) * 1000 / hz)) ms of CPU; rtctl status during it: $(wc -l <status_ms.txt) runs, max $max ms"
    # one text a second (and one more for the second it started in)
    awk -v t="$took" -v b="$bodies" 'BEGIN { exit !(b <= t + 2) }' || { say "$bodies texts in $took s"; return 1; }
    [ $(((c1 - c0) * 1000 / hz)) -lt 500 ] || { say "rtinit used $(((c1 - c0) * 1000 / hz)) ms"; return 1; }
    [ "$max" -lt 300 ] || { say "rtctl status took $max ms"; return 1; }
    # the cap's number of silent connections, then a scrape: answered at
    # once; the silent ones are gone after their second
    in_ns python3 - >idle.txt <<'PY' || { say "a scrape was kept out: $(cat idle.txt)"; return 1; }
import socket, time, urllib.request
held = [socket.create_connection(("127.0.0.1", 9323)) for _ in range(4)]
time.sleep(0.2)
t0 = time.monotonic()
with urllib.request.urlopen("http://127.0.0.1:9323/metrics", timeout=5) as r:
    assert r.status == 200, r.status
    assert b"rt_service_up" in r.read()
took = time.monotonic() - t0
assert took < 0.5, took
time.sleep(1.5)
for s in held:
    s.settimeout(1)
    assert s.recv(1) == b"", "still open after 1.7 s"
print(f"a scrape with 4 idle clients held: {took * 1000:.0f} ms")
PY
    say "$(cat idle.txt)"
    bg_stop
}

# Out of fds, accept(2) fails with EMFILE and the connection stays
# pending: the listener pauses instead of waking the loop without end,
# and serves again once fds are back. rtinit raised its soft limit of
# open files to the hard one at start.
test_out_of_fds_the_metrics_listener_pauses_instead_of_spinning() {
    observe_stack web "$WEB"
    printf '[metrics]\nlisten = 127.0.0.1:9323\n' >>conf.d/droplet.conf
    bg_start
    wait_until 10 is_state web running
    local soft hard n c0 c1 hz
    read -r soft hard < <(awk '/^Max open files/ { print $4, $5 }' "/proc/$bgpid/limits")
    [ "$soft" = "$hard" ] || { say "soft limit $soft, hard $hard"; return 1; }
    hz=$(getconf CLK_TCK)
    n=$(ls "/proc/$bgpid/fd" | wc -l)
    prlimit --pid "$bgpid" --nofile=$((n + 2)):"$hard"
    in_ns python3 - <<'PY' &
import socket, time
held = [socket.create_connection(("127.0.0.1", 9323)) for _ in range(12)]
time.sleep(3)
PY
    local holder=$!
    sleep 0.5
    c0=$(cpu_ticks)
    sleep 2
    c1=$(cpu_ticks)
    wait $holder || true
    say "out of fds for 2 s: rtinit used $(((c1 - c0) * 1000 / hz)) ms of CPU"
    [ $(((c1 - c0) * 1000 / hz)) -lt 400 ] || { say "rtinit spun: $(((c1 - c0) * 1000 / hz)) ms of CPU in 2 s"; return 1; }
    assert_in "$(cat out.txt)" "metrics: accept: Too many open files; not accepting for 100 ms"
    # the connections gone, it serves again, with the low limit still set
    wait_until 5 sh -c "nsenter --net=/run/netns/$NS curl -sf --max-time 2 http://127.0.0.1:9323/metrics | grep -q '^rt_service_up{service=\"web\"} 1'"
    prlimit --pid "$bgpid" --nofile="$soft:$hard"
    rt status >/dev/null
    bg_stop
}
