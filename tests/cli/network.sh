# The bridge network (issue 6), first increment: bridge and veths over
# rtnetlink, stable addresses, service names in /etc/hosts. Every test
# runs rtinit in a network namespace the test creates (ip netns add): the
# development host's own network is never touched. Run as root.

# shellcheck source=stack.bash
source "$TOP/tests/cli/stack.bash"

LOOP="trap \"exit 0\" TERM; while :; do sleep 0.1; done"

# netns: a network namespace for this test, removed when it ends
netns() {
    NS=rt-test-$$-$RANDOM
    ip netns add "$NS"
    WRAP=(nsenter "--net=/run/netns/$NS")
    at_exit "ip netns del $NS"
}
# in_ns CMD...: run CMD in the test's namespace
in_ns() { nsenter "--net=/run/netns/$NS" "$@"; }
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

# outside: a second namespace on a veth to the test's "droplet" namespace,
# 192.168.77.2 there and 192.168.77.1 on the droplet side; it plays both a
# client on the LAN and a server on the internet
outside() {
    OUT=$NS-out
    ip netns add "$OUT"
    at_exit "ip netns del $OUT"
    in_ns ip link add rt-lan type veth peer name eth0 netns "$OUT"
    in_ns ip addr add 192.168.77.1/24 dev rt-lan
    in_ns ip link set rt-lan up
    in_ns ip link set lo up
    ip netns exec "$OUT" ip addr add 192.168.77.2/24 dev eth0
    ip netns exec "$OUT" ip link set eth0 up
    ip netns exec "$OUT" ip link set lo up
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
