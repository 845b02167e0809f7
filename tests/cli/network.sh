# The bridge network (issue 6), first increment: bridge and veths over
# rtnetlink, stable addresses, service names in /etc/hosts. Every test
# runs rtinit in a network namespace the test creates (ip netns add): the
# development host's own network is never touched. Run as root.

# shellcheck source=stack.bash
source "$TOP/tests/cli/stack.bash"

LOOP="trap \"exit 0\" TERM; while :; do sleep 0.1; done"

bridge_stack() {
    stack "$@"
    printf '[network]\nbridge = rtt0\nsubnet = 10.99.0.0/24\n' >>conf.d/droplet.conf
    sed -i '/^network = none$/d' conf.d/*.conf
}
only_the_stale_veth_left() { [ "$(in_ns ip -br link | grep '^rtv' | grep -vc '^rtvdeadbeef@')" = 0 ]; }
addr_of() { awk -v s="$1" '$1 == s { print $2 }' root/state/net/leases; }

test_two_services_reach_each_other_by_name() {
    netns
    bridge_stack web "command = sh -c 'mkdir -p /tmp/w; echo hello-from-web >/tmp/w/index.html; exec httpd -f -p 8080 -h /tmp/w'" \
        client "depends_on = web
command = sh -c 'cat /etc/hosts /etc/resolv.conf; while :; do wget -q -O - http://web:8080/ 2>&1; sleep 0.3; done'"
    printf 'dns = 10.99.0.53 10.99.0.54\n' >>conf.d/droplet.conf # (only written to resolv.conf; nothing is sent there)
    bg_start
    wait_until 10 grep -q 'Z hello-from-web$' root/log/client.log
    # the hosts file names every service; each has its own address on the bridge
    grep -qE 'Z 10\.99\.0\.[0-9]+	web$' root/log/client.log
    grep -qE 'Z 10\.99\.0\.[0-9]+	client$' root/log/client.log
    grep -q 'Z nameserver 10.99.0.53$' root/log/client.log && grep -q 'Z nameserver 10.99.0.54$' root/log/client.log
    [ -n "$(addr_of web)" ] && [ "$(addr_of web)" != "$(addr_of client)" ]
    in_ns ip -br link show rtt0 | grep -q UP
    [ "$(in_ns ip -br link | grep -c '^rtv')" = 2 ]
    # the bridge's address is the containers' route; forwarding is on
    in_ns ip -br addr show rtt0 | grep -q '10.99.0.1/24'
    [ "$(in_ns cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
    # a one-off container on the same bridge, its address given back by --rm
    run in_ns "$RTCTL" --conf conf.d --root "$PWD/root" run --rm --net bridge --name probe bb:1 \
        wget -q -O - "http://$(addr_of web):8080/"
    assert_rc 0 && assert_in "$out" "hello-from-web"
    [ -z "$(addr_of probe)" ] || { say "probe kept its lease"; return 1; }
    bg_stop
    # the veths went with their containers
    [ "$(in_ns ip -br link | grep -c '^rtv')" = 0 ]
}

test_a_service_keeps_its_address_across_restarts_and_rtinit_restarts() {
    netns
    bridge_stack a "command = sh -c '$LOOP'" b "command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state a running && wait_until 10 is_state b running
    local a b
    a=$(addr_of a) b=$(addr_of b)
    [ -n "$a" ] && [ -n "$b" ]
    "$RTCTL" --root "$PWD/root" restart a >/dev/null
    in_ns busybox ping -c 1 -W 2 "$a" >/dev/null
    # each start opens rtnetlink inside the container's namespace (a child
    # makes the socket there: rtinit never leaves its own); none is left
    local fds
    fds=$(ls "/proc/$bgpid/fd" | wc -l)
    for _ in 1 2 3 4 5; do "$RTCTL" --root "$PWD/root" restart a >/dev/null; done
    wait_until 10 is_state a running
    [ "$(ls "/proc/$bgpid/fd" | wc -l)" -le "$fds" ] || { say "rtinit's fds: $fds, then $(ls -l "/proc/$bgpid/fd")"; return 1; }
    [ "$(addr_of a)" = "$a" ]
    bg_stop
    # a service added in front (by name order) does not move the others
    printf '[service]\nimage = bb:1\nuser = app\ncommand = sh -c %s\n' "'$LOOP'" >conf.d/0first.conf
    bg_start
    wait_until 10 is_state a running && wait_until 10 is_state 0first running
    [ "$(addr_of a)" = "$a" ] && [ "$(addr_of b)" = "$b" ] || { say "$(cat root/state/net/leases)"; return 1; }
    in_ns busybox ping -c 1 -W 2 "$b" >/dev/null
    bg_stop
}

test_after_kill_9_of_rtinit_no_veth_or_rule_is_left() {
    netns
    bridge_stack a "ports = 8080:80
command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state a running
    # a veth that a crashed run left behind, on our bridge
    in_ns ip link add rtvdeadbeef type veth peer name stale0
    in_ns ip link set rtvdeadbeef master rtt0
    kill -9 "$bgpid"
    wait "$bgpid" 2>/dev/null || true
    # the container died with rtinit, and its veth with its namespace
    wait_until 10 only_the_stale_veth_left
    bg_start
    wait_until 10 is_state a running
    assert_in "$(cat out.txt)" "removed 1 veth left on rtt0 by an earlier run"
    [ "$(in_ns ip -br link | grep -c '^rtv')" = 1 ] || { say "$(in_ns ip -br link)"; return 1; }
    # the table the killed run left was replaced whole: one rule per chain
    # for the port, not two
    [ "$(in_ns nft list table ip rtinit | grep -c 'dnat to')" = 2 ] || { say "$(in_ns nft list table ip rtinit)"; return 1; }
    [ "$(in_ns nft list tables | grep -c rtinit)" = 1 ]
    bg_stop
}

test_a_fixed_ipv4_is_used_and_taken_back_from_a_lease() {
    netns
    bridge_stack a "command = sh -c '$LOOP'" b "command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state b running
    local b
    b=$(addr_of b)
    bg_stop
    # a asks for the address b had: b moves, a gets it
    printf 'ipv4 = %s\n' "$b" >>conf.d/a.conf
    bg_start
    wait_until 10 is_state a running && wait_until 10 is_state b running
    [ "$(addr_of a)" = "$b" ] && [ "$(addr_of b)" != "$b" ] || { say "$(cat root/state/net/leases)"; return 1; }
    assert_in "$(cat out.txt)" "b gets a new address: $b is now a's (ipv4)"
    in_ns busybox ping -c 1 -W 2 "$b" >/dev/null
    in_ns busybox ping -c 1 -W 2 "$(addr_of b)" >/dev/null
    bg_stop
}

out_get() { nsenter "--net=/run/netns/$OUT" timeout 3 busybox wget -q -O - "$1" 2>&1; }
ns_get() { in_ns timeout 3 busybox wget -q -O - "$1" 2>&1; }
# gets GETTER URL: the answer is web's page
gets() {
    local got
    got=$("$1" "$2")
    [ "$got" = hello-from-web ] || { say "$1 $2: $got"; return 1; }
}

test_published_ports_answer_and_nothing_else_does() {
    netns
    outside
    bridge_stack web "ports = 8080:8080 127.0.0.1:8002:8080
command = sh -c 'mkdir -p /tmp/w; echo hello-from-web >/tmp/w/index.html; httpd -p 8081 -h /tmp/w; exec httpd -f -p 8080 -h /tmp/w'"
    bg_start
    wait_until 10 is_state web running
    sleep 0.3
    local web
    web=$(addr_of web)
    # from the droplet itself: its own addresses and 127.0.0.1
    gets ns_get http://127.0.0.1:8080/
    gets ns_get http://192.168.77.1:8080/
    gets ns_get http://127.0.0.1:8002/
    # from outside: the published port only
    gets out_get http://192.168.77.1:8080/
    ! gets out_get http://192.168.77.1:8002/ 2>/dev/null || { say "127.0.0.1:8002 reached from outside"; return 1; }
    # an outside host that routes to the bridge's subnet through the droplet
    # (as a LAN neighbour can) reaches no port of a container directly
    ip netns exec "$OUT" ip route add 10.99.0.0/24 via 192.168.77.1
    ! gets out_get "http://$web:8081/" 2>/dev/null || { say "an unpublished port reached from outside"; return 1; }
    gets ns_get "http://$web:8081/" # from the droplet it is fine
    # one table, ours, which goes at the end
    in_ns nft list table ip rtinit >/dev/null
    bg_stop
    ! in_ns nft list table ip rtinit >/dev/null 2>&1 || { say "table left behind"; return 1; }
}

test_outbound_nat_shows_the_droplets_address() {
    netns
    outside
    mkdir -p www/cgi-bin
    printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "from $REMOTE_ADDR"\n' >www/cgi-bin/ip
    chmod 755 www/cgi-bin/ip
    ip netns exec "$OUT" busybox httpd -f -p 9000 -h "$PWD/www" </dev/null >/dev/null 2>&1 &
    at_exit "kill $!"
    bridge_stack app "command = sh -c 'sleep 0.5; timeout 3 wget -q -O - http://192.168.77.2:9000/cgi-bin/ip; $LOOP'"
    bg_start
    wait_until 10 grep -qs 'Z from ' root/log/app.log
    # (busybox httpd writes IPv4 peers as [::ffff:A.B.C.D])
    grep -qE 'Z from (\[::ffff:)?192\.168\.77\.1\]?$' root/log/app.log || { say "$(cat root/log/app.log)"; return 1; }
    bg_stop
}

test_a_reload_adds_a_name_to_the_running_services_hosts() {
    netns
    bridge_stack a "command = sh -c 'while :; do grep -q late /etc/hosts && echo sees-late && break; sleep 0.2; done; $LOOP'"
    bg_start
    wait_until 10 is_state a running
    local pid
    pid=$(field a 4)
    printf '[service]\nimage = bb:1\nuser = app\ncommand = sh -c %s\n' "'$LOOP'" >conf.d/late.conf
    run "$RTCTL" --root "$PWD/root" reload
    assert_rc 0 && assert_in "$out" "1 new (late)"
    wait_until 10 grep -qs 'Z sees-late$' root/log/a.log
    [ "$(field a 4)" = "$pid" ] || { say "a was restarted"; return 1; }
    bg_stop
}

# A one-off `rtctl run --net bridge` resolves the services' names as the
# services do: /etc/hosts is theirs as the running rtinit has it (RUN/net/
# hosts), with its own line, and resolv.conf has [network] dns. A run
# after a reload sees the new name; the file goes with rtinit.
test_a_one_off_container_resolves_the_services_names() {
    netns
    bridge_stack web "command = sh -c 'mkdir -p /tmp/w; echo hello-from-web >/tmp/w/index.html; exec httpd -f -p 8080 -h /tmp/w'"
    printf 'dns = 10.99.0.53\n' >>conf.d/droplet.conf
    bg_start
    wait_until 10 is_state web running
    wait_until 10 in_ns busybox wget -q -O /dev/null "http://$(addr_of web):8080/"
    run in_ns "$RTCTL" --conf conf.d --root "$PWD/root" run --rm --net bridge --name probe bb:1 \
        sh -c 'wget -q -O - http://web:8080/ && cat /etc/hosts /etc/resolv.conf && hostname -i'
    assert_rc 0 && assert_in "$out" "hello-from-web"
    grep -qxF "$(addr_of web)	web" <<<"$out" || { say "no line for web in: $out"; return 1; }
    grep -qxF "nameserver 10.99.0.53" <<<"$out" || { say "no nameserver in: $out"; return 1; }
    # its own name, at the address it had
    grep -qE '^10\.99\.0\.[0-9]+	probe$' <<<"$out" || { say "no line for probe in: $out"; return 1; }
    # a reload's new service is in the next one-off's hosts
    printf '[service]\nimage = bb:1\nuser = app\nnetwork = bridge\ncommand = sh -c %s\n' "'$LOOP'" >conf.d/late.conf
    run "$RTCTL" --root "$PWD/root" reload
    assert_rc 0
    wait_until 10 is_state late running
    run in_ns "$RTCTL" --conf conf.d --root "$PWD/root" run --rm --net bridge bb:1 sh -c 'ping -c 1 -W 2 late >/dev/null && echo late-answers'
    assert_rc 0 && assert_in "$out" "late-answers"
    [ -f root/run/net/hosts ] || { say "no root/run/net/hosts"; return 1; }
    bg_stop
    [ ! -e root/run/net/hosts ] || { say "root/run/net/hosts left after rtinit"; return 1; }
    # without rtinit: localhost and its own name only
    run in_ns "$RTCTL" --conf conf.d --root "$PWD/root" run --rm --net bridge --name alone bb:1 cat /etc/hosts
    assert_rc 0 && assert_in "$out" "localhost"
    assert_not_in "$out" "web"
    grep -qE '^10\.99\.0\.[0-9]+	alone$' <<<"$out" || { say "no line for alone in: $out"; return 1; }
}

# --- the droplet's loopback (CVE-2020-8558) ---

localnet() { in_ns cat /proc/sys/net/ipv4/conf/rtt0/route_localnet; }
localnet_is() { [ "$(localnet)" = "$1" ]; }
set_localnet() { in_ns sh -c "echo $1 >/proc/sys/net/ipv4/conf/${2:-rtt0}/route_localnet"; }
# udp_echo ADDR PORT LOG: a service of the droplet's own on ADDR:PORT
# (UDP): it answers what it gets, and notes it and its sender in LOG
udp_echo() {
    nsenter "--net=/run/netns/$NS" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
open(sys.argv[3], "a").close()
while True:
    data, peer = s.recvfrom(2048)
    with open(sys.argv[3], "a") as f:
        f.write("%s %s\n" % (peer[0], data.decode(errors="replace")))
    s.sendto(b"from " + sys.argv[1].encode(), peer)
' "$1" "$2" "$PWD/$3" </dev/null >/dev/null 2>&1 &
    at_exit "kill $!"
    wait_until 5 test -e "$3"
}
# attack PORT [FROM]: a one-off container on the bridge, root with the
# default capabilities (NET_RAW among them), sends the bridge's MAC
# address a datagram for 127.0.0.1:PORT (with FROM: one from FROM for the
# gateway's PORT); $out says whether an answer came back
attack() {
    run in_ns "$RTCTL" --conf conf.d --root "$PWD/root" run --rm --net bridge --name attacker bb:1 \
        probe localnet 10.99.0.1 "$@"
}
WEB="command = sh -c 'mkdir -p /tmp/w; echo hello-from-web >/tmp/w/index.html; exec httpd -f -p 8080 -h /tmp/w'"

test_a_container_cannot_reach_what_the_droplet_serves_on_127_0_0_1() {
    netns
    in_ns ip link set lo up
    # (no reverse path filter, as on the host by default: the second
    # attack below gets in without the guard whatever the host has)
    in_ns sh -c 'for c in all default; do echo 0 >/proc/sys/net/ipv4/conf/$c/rp_filter; done'
    bridge_stack web "ports = 127.0.0.1:8002:8080
$WEB"
    udp_echo 127.0.0.1 9100 loopback.log # on loopback only
    udp_echo 0.0.0.0 9101 any.log        # on every address, trusting 127.0.0.0/8, say
    bg_start
    wait_until 10 is_state web running
    sleep 0.3
    # a port published on 127.0.0.1 needs route_localnet, and answers there
    [ "$(localnet)" = 1 ] || { say "route_localnet is $(localnet)"; return 1; }
    gets ns_get http://127.0.0.1:8002/
    # but nothing from the bridge gets to 127.0.0.1, nor in from 127.0.0.2 ...
    attack 9100
    assert_rc 0 && assert_in "$out" "no answer"
    [ ! -s loopback.log ] || { say "a container reached 127.0.0.1:9100: $(cat loopback.log)"; return 1; }
    attack 9101 127.0.0.2
    assert_rc 0
    [ ! -s any.log ] || { say "a container passed for 127.0.0.2: $(cat any.log)"; return 1; }
    # ... because of the table's guard: without it, the same packets get
    # in, and the first is answered (as before the guard was there)
    in_ns nft flush chain ip rtinit from_bridge
    attack 9100
    assert_rc 0 && assert_in "$out" "answer: from 127.0.0.1"
    grep -q '^10\.99\.0\.[0-9]* rt-probe localnet$' loopback.log
    attack 9101 127.0.0.2
    grep -q '^127\.0\.0\.2 rt-probe localnet$' any.log
    bg_stop
}

test_route_localnet_is_on_only_while_a_port_answers_at_127_0_0_1() {
    netns
    outside
    set_localnet 0 default # (the bridge made in this namespace starts at 0 whatever the host has)
    bridge_stack web "ports = 192.168.77.1:8080:8080
$WEB"
    bg_start
    wait_until 10 is_state web running
    sleep 0.3
    # a port on another address is never reached at 127.0.0.1: off
    gets out_get http://192.168.77.1:8080/
    [ "$(localnet)" = 0 ] || { say "route_localnet on with no port at 127.0.0.1"; return 1; }
    # a port on 127.0.0.1 turns it on; the reload that removes it, off
    sed -i 's/^ports = .*/ports = 192.168.77.1:8080:8080 127.0.0.1:8002:8080/' conf.d/web.conf
    "$RTCTL" --root "$PWD/root" reload >/dev/null
    wait_until 10 localnet_is 1
    wait_until 10 gets ns_get http://127.0.0.1:8002/
    sed -i 's/^ports = .*/ports = 192.168.77.1:8080:8080/' conf.d/web.conf
    "$RTCTL" --root "$PWD/root" reload >/dev/null
    wait_until 10 localnet_is 0
    # so does a port on every address: 127.0.0.1 is one of them
    sed -i 's/^ports = .*/ports = 8081:8080/' conf.d/web.conf
    "$RTCTL" --root "$PWD/root" reload >/dev/null
    wait_until 10 localnet_is 1
    wait_until 10 gets ns_get http://127.0.0.1:8081/
    bg_stop
    [ "$(localnet)" = 0 ] || { say "route_localnet left on"; return 1; }
    [ ! -e root/state/net/route_localnet ]
}

test_route_localnet_is_put_back_after_exit_and_after_kill_9() {
    netns
    # the administrator's bridge, with route_localnet on: it stays on
    in_ns ip link add rtt0 type bridge
    set_localnet 1
    bridge_stack web "ports = 127.0.0.1:8002:8080
command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state web running
    [ "$(localnet)" = 1 ]
    bg_stop
    [ "$(localnet)" = 1 ] || { say "the administrator's route_localnet 1 became $(localnet)"; return 1; }
    # off; a run killed while it is on leaves it on, and the next run
    # puts back 0 (the value before the first), not the killed run's 1
    set_localnet 0
    bg_start
    wait_until 10 is_state web running
    [ "$(localnet)" = 1 ]
    kill -9 "$bgpid"
    wait "$bgpid" 2>/dev/null || true
    [ "$(localnet)" = 1 ]
    bg_start
    wait_until 10 is_state web running
    [ "$(localnet)" = 1 ]
    bg_stop
    [ "$(localnet)" = 0 ] || { say "route_localnet left at $(localnet) after a killed run"; return 1; }
}

# --- a restarted service answers at once (issue 12) ---
#
# A container's MAC address is made from its address (02:42 + the 4
# bytes), so a restarted one has the MAC address its peers and the
# gateway knew; the gateway's entries for it are pinned; it announces
# itself once its port on the bridge forwards. The outage is then the
# service's own start. `outage` measures it with any build (docs/rtinit.md
# has the numbers before and after).

# poll_port URL FILE: from the test's namespace (the droplet), a GET
# started every 50 ms (each in the background, so one that waits for a
# lost SYN to be sent again does not hold up the next); the time of each
# answer (epoch seconds) is added to FILE
poll_port() {
    while :; do
        (in_ns timeout 1 busybox wget -q -O /dev/null "$1" && echo "$EPOCHREALTIME" >>"$2") 2>/dev/null &
        sleep 0.05
    done
}
# peer_times: the times of the peer's answers, from its log (rtinit
# stamps each line to the millisecond)
peer_times() { awk '/Z up$/ { print $1 }' root/log/peer.log | date -f - +%s.%N; }
# answered_after T FILE: an answer later than T in FILE
answered_after() { awk -v t="$1" '$1 > t { f = 1 } END { exit !f }' "$2"; }
# gap T FILE: the longest silence between two answers from 0.5 s before T
# on (the poller answers every 50 ms or so while web is up)
gap() {
    sort -n "$2" | awk -v t="$1" '$1 >= t - 0.5 { if (p && $1 - p > m) m = $1 - p; p = $1 } END { printf "%.2f", m }'
}
# until_listening OLDPID: once web runs again (a new pid) and listens on
# 8080 (seen in its namespace's /proc/net/tcp6, every 10 ms), LISTEN is
# the time
until_listening() {
    local p
    for _ in $(seq 500); do
        p=$(field web 4)
        [ -n "$p" ] && [ "$p" != - ] && [ "$p" != "$1" ] &&
            cat "/proc/$p/net/tcp" "/proc/$p/net/tcp6" 2>/dev/null | grep -q ':1F90 [0-9A-F]*:0000 0A' && break
        sleep 0.01
    done
    LISTEN=$EPOCHREALTIME
}
# outage WHAT CMD...: CMD (at T) stops web and rtinit starts it again;
# once both pollers have had an answer after it listened, the gaps each
# saw, printed, and checked against its own start (T to LISTEN) + 1 s.
# RECOVER (10 s) is how long to wait for the answers; longer to measure
# a build that has not this fix.
outage() {
    local what=$1 old t own p g ok=0
    shift
    old=$(field web 4)
    t=$EPOCHREALTIME
    "$@"
    until_listening "$old"
    own=$(awk -v a="$t" -v b="$LISTEN" 'BEGIN { printf "%.2f", b - a }')
    for _ in $(seq $((${RECOVER:-10} * 20))); do
        peer_times >peer.times
        answered_after "$LISTEN" peer.times && answered_after "$LISTEN" port.times && break
        sleep 0.05
    done
    p=$(gap "$t" peer.times) g=$(gap "$t" port.times)
    echo "    outage after $what: peer ${p} s, published port ${g} s (web listened ${own} s after it)"
    awk -v p="$p" -v g="$g" -v o="$own" 'BEGIN { exit !(p > 0 && g > 0 && p <= o + 1 && g <= o + 1) }' ||
        { say "outage after $what: peer $p s, published port $g s, more than web's own start $own s + 1 s"; ok=1; }
    return $ok
}
rtctl_quiet() { "$RTCTL" --root "$PWD/root" "$@" >/dev/null; }
mac_of() { printf '02:42:%02x:%02x:%02x:%02x' ${1//./ }; }
# port_of SERVICE: its veth, the host end of its eth0 (eth0@ifINDEX)
port_of() {
    local i
    i=$(nsenter -t "$(field "$1" 4)" -n ip -o link show eth0 | sed -n 's/.*eth0@if\([0-9]*\):.*/\1/p')
    in_ns ip -o link | awk -F': ' -v i="$i" '$1 == i { sub(/@.*/, "", $2); print $2 }'
}
# neigh_in PID ADDR: the neighbour entry for ADDR in PID's namespace
neigh_in() { nsenter -t "$1" -n ip neigh show "$2" dev eth0; }

test_a_restarted_service_answers_its_peers_and_its_published_port_at_once() {
    netns
    in_ns ip link set lo up
    # web stops at SIGTERM (httpd as PID 1 would not: a PID 1 has no
    # default action for it); peer polls it as poll_port does
    bridge_stack web "ports = 8080:8080
restart = always
command = sh -c 'mkdir -p /tmp/w; echo hello-from-web >/tmp/w/index.html; trap \"exit 0\" TERM; httpd -f -p 8080 -h /tmp/w & wait'" \
        peer "command = sh -c 'trap \"exit 0\" TERM; while :; do (timeout 1 wget -q -O /dev/null http://web:8080/ && echo up) 2>/dev/null & sleep 0.05; done'" \
        idle "command = sh -c '$LOOP'"
    bg_start
    wait_until 10 is_state web running && wait_until 10 is_state peer running && wait_until 10 is_state idle running
    poll_port http://127.0.0.1:8080/ "$PWD/port.times" &
    local poller=$!
    at_exit "kill $poller 2>/dev/null"
    wait_until 10 test -s port.times
    wait_until 10 grep -qs 'Z up$' root/log/peer.log
    # (EVENTS="restart" measures one alone, on a build without the fix:
    # the first one's outage can leave entries that shorten the next)
    local fail=0 e
    for e in ${EVENTS:-kill restart}; do
        sleep 1
        case $e in
        kill) outage "kill -9" kill -9 "$(field web 4)" || fail=1 ;;
        restart) outage "rtctl restart" rtctl_quiet restart web || fail=1 ;;
        esac
    done
    [ "$fail" = 0 ]
    # the MAC addresses: each container's from its address, the bridge's
    # from the gateway's; the peer's entry for web, the gateway's (pinned)
    # and the bridge's forwarding entry (pinned to web's port) all have it
    local web mac
    web=$(addr_of web) mac=$(mac_of "$(addr_of web)")
    in_ns ip -br link show rtt0 | grep -q ' 02:42:0a:63:00:01 ' || { say "$(in_ns ip -br link show rtt0)"; return 1; }
    assert_in "$(neigh_in "$(field peer 4)" "$web")" "lladdr $mac "
    assert_in "$(in_ns ip neigh show "$web" dev rtt0)" "lladdr $mac PERMANENT"
    local fdb
    fdb=$(in_ns bridge fdb show br rtt0 | grep "^$mac ")
    assert_in "$fdb" "$mac dev $(port_of web) " && assert_in "$fdb" " static" && assert_in "$fdb" " sticky"
    # the announcement: a container that holds a wrong entry for web and
    # sends it nothing has it right once web is back (with the peer and
    # the poller stopped, nothing else makes web send an ARP packet)
    "$RTCTL" --root "$PWD/root" stop peer >/dev/null
    kill "$poller"
    local idle
    idle=$(field idle 4)
    nsenter -t "$idle" -n ip neigh replace "$web" lladdr 02:00:00:00:00:01 dev eth0 nud stale
    assert_in "$(neigh_in "$idle" "$web")" "lladdr 02:00:00:00:00:01 "
    local old
    old=$(field web 4)
    "$RTCTL" --root "$PWD/root" restart web >/dev/null
    until_listening "$old"
    wait_until 1 eval 'neigh_in "$idle" "$web" | grep -q "lladdr $mac "' ||
        { say "idle's entry for web: $(neigh_in "$idle" "$web")"; return 1; }
    bg_stop
    # the gateway's entry went with the container
    [ -z "$(in_ns ip neigh show "$web" dev rtt0 | grep PERMANENT)" ] || { say "$(in_ns ip neigh show "$web" dev rtt0)"; return 1; }
}

# spoof NS SRC_MAC OP ARP_SHA ARP_SPA ARP_TPA DST_MAC: one ARP packet made
# by hand, sent from eth0 in the namespace NS: Ethernet source SRC_MAC,
# OP 1 (request) or 2 (reply), "ARP_SPA is at ARP_SHA"
spoof() {
    ip netns exec "$1" python3 -c '
import socket, struct, sys
src, op, sha, spa, tpa, dst = sys.argv[1:7]
mac = lambda m: bytes.fromhex(m.replace(":", ""))
frame = mac(dst) + mac(src) + struct.pack("!H", 0x0806)
frame += struct.pack("!HHBBH", 1, 0x0800, 6, 4, int(op)) + mac(sha) + socket.inet_aton(spa)
frame += (mac(dst) if op == "2" else bytes(6)) + socket.inet_aton(tpa)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.sendto(frame, ("eth0", 0))' "${@:2}"
}
# attack_web: from the attacker's namespace, "web's address is at the
# attacker's MAC address", told to the gateway (a reply) and to everyone
# (a gratuitous request), each sent with web's MAC address as the frame's
# source (which would teach the bridge that web is at the attacker's port)
attack_web() {
    local web mac
    web=$(addr_of web) mac=$(mac_of "$(addr_of web)")
    spoof "$ATT" "$mac" 2 02:00:00:00:0a:77 "$web" 10.99.0.1 02:42:0a:63:00:01
    spoof "$ATT" "$mac" 1 02:00:00:00:0a:77 "$web" "$web" ff:ff:ff:ff:ff:ff
}
gateway_sends_web_to() { in_ns ip neigh show "$(addr_of web)" dev rtt0 | grep -q "lladdr $1 "; }
bridge_sends_web_to() { in_ns bridge fdb show br rtt0 | grep -q "^$(mac_of "$(addr_of web)") dev $1 "; }

test_a_container_cannot_take_another_ones_address_from_the_gateway() {
    netns
    in_ns ip link set lo up
    bridge_stack web "ports = 8080:8080
$WEB"
    bg_start
    wait_until 10 is_state web running
    # the attacker: a namespace on the bridge as a container is (what it
    # sends, a container's root can send with CAP_NET_RAW)
    ATT=$NS-att
    ip netns add "$ATT"
    at_exit "ip netns del $ATT"
    in_ns ip link add rtattack type veth peer name eth0 netns "$ATT"
    in_ns ip link set rtattack master rtt0 up
    ip netns exec "$ATT" ip link set eth0 address 02:00:00:00:0a:77
    ip netns exec "$ATT" ip addr add 10.99.0.200/24 dev eth0
    ip netns exec "$ATT" ip link set eth0 up
    wait_until 10 gets ns_get http://127.0.0.1:8080/
    local mac port
    mac=$(mac_of "$(addr_of web)") port=$(port_of web)
    for _ in 1 2 3 4 5; do attack_web; sleep 0.05; done
    # the gateway still sends web's traffic to web, and the bridge to its
    # port: the published port answers
    gateway_sends_web_to "$mac" || { say "$(in_ns ip neigh show "$(addr_of web)" dev rtt0)"; return 1; }
    bridge_sends_web_to "$port" || { say "$(in_ns bridge fdb show br rtt0)"; return 1; }
    gets ns_get http://127.0.0.1:8080/
    # without the pins (entries as the kernel makes them), the same
    # packets take both (web's own frames take the bridge's entry back:
    # it is checked after each try), and the published port no longer
    # answers
    in_ns ip neigh replace "$(addr_of web)" lladdr "$mac" dev rtt0 nud reachable
    in_ns bridge fdb replace "$mac" dev "$port" master dynamic
    local took=
    for _ in $(seq 20); do
        attack_web
        gateway_sends_web_to 02:00:00:00:0a:77 && bridge_sends_web_to rtattack && took=1 && break
        sleep 0.05
    done
    [ -n "$took" ] || { say "$(in_ns ip neigh show "$(addr_of web)" dev rtt0)"; say "$(in_ns bridge fdb show br rtt0 | grep -v self)"; return 1; }
    ! gets ns_get http://127.0.0.1:8080/ 2>/dev/null || { say "web answered through the attacker"; return 1; }
    bg_stop
}
