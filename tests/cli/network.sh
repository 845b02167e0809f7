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
    bg_stop
    # a service added in front (by name order) does not move the others
    printf '[service]\nimage = bb:1\nuser = app\ncommand = sh -c %s\n' "'$LOOP'" >conf.d/0first.conf
    bg_start
    wait_until 10 is_state a running && wait_until 10 is_state 0first running
    [ "$(addr_of a)" = "$a" ] && [ "$(addr_of b)" = "$b" ] || { say "$(cat root/state/net/leases)"; return 1; }
    in_ns busybox ping -c 1 -W 2 "$b" >/dev/null
    bg_stop
}

# mac_of PID: the MAC address of eth0 in that process's network namespace
mac_of() { nsenter -t "$1" -n ip -br link show eth0 | awk '{ print $3 }'; }
# fetched N: the client has fetched web's page more than N times
fetched() { [ "$(grep -c 'Z hello-from-web$' root/log/client.log)" -gt "$1" ]; }

test_a_restarted_service_is_reached_at_once_by_its_peers() {
    netns
    bridge_stack web "restart = always
command = sh -c 'mkdir -p /tmp/w; echo hello-from-web >/tmp/w/index.html; exec httpd -f -p 8080 -h /tmp/w'" \
        client "depends_on = web
command = sh -c 'while :; do timeout 1 wget -q -O - http://web:8080/ 2>&1; sleep 0.1; done'"
    bg_start
    wait_until 10 grep -q 'Z hello-from-web$' root/log/client.log
    local pid web n
    pid=$(field web 4) web=$(addr_of web)
    # eth0's MAC follows the address (net.h): 02:42 and its 4 bytes
    local mac
    mac=$(printf '02:42:%02x:%02x:%02x:%02x' ${web//./ })
    [ "$(mac_of "$pid")" = "$mac" ] || { say "web $web: $(mac_of "$pid"), expected $mac"; return 1; }
    kill -9 "$pid"
    wait_until 10 pid_not web "$pid"
    [ "$(mac_of "$(field web 4)")" = "$mac" ]
    n=$(grep -c 'Z hello-from-web$' root/log/client.log)
    # The client reaches the new container at once: its ARP entry for
    # web's address still holds, being the same MAC. (With a new random
    # MAC each start it pointed at the old container's for 15-45 s, and
    # every fetch timed out meanwhile.)
    wait_until 3 fetched "$n"
    [ "$(field client 5)" = 0 ]
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
