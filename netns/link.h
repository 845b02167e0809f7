/* link.h - links, addresses and routes over rtnetlink, with libmnl.
 *
 * One request at a time, each acknowledged by the kernel: a failure comes
 * back as the kernel's errno with the operation named ("creating veth
 * rt-api: File exists"). A socket belongs to the network namespace it was
 * opened in; nl_open() with a namespace fd opens one in that namespace
 * (made by a child that enters it, the caller never leaving its own), so
 * a container's eth0 is configured without entering the container. No
 * `ip` command runs. */
#ifndef RT_NETNS_LINK_H
#define RT_NETNS_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib/err.h"

struct nl {
    struct mnl_socket *sk;
    unsigned seq, portid;
};

/* netns: a namespace fd to work in, or -1 for the caller's own. */
int nl_open(struct nl *n, int netns, struct rt_err *err);
void nl_close(struct nl *n);

/* The index of link name, 0 when there is none (or -1 with err). */
int nl_link_index(struct nl *n, const char *name, struct rt_err *err);
/* A bridge; an existing link of that name is left as it is (1). */
int nl_bridge_add(struct nl *n, const char *name, unsigned mtu, struct rt_err *err);
/* A veth pair: name here, peer created directly in the namespace
 * peer_netns (so it may be called eth0 there). */
int nl_veth_add(struct nl *n, const char *name, const char *peer, int peer_netns, unsigned mtu, struct rt_err *err);
/* Up (and, with master > 0, enslaved to that bridge). */
int nl_link_up(struct nl *n, int index, int master, struct rt_err *err);
int nl_link_del(struct nl *n, int index, struct rt_err *err);
int nl_link_set_mac(struct nl *n, int index, const uint8_t mac[6], struct rt_err *err);
/* net.ipv4.conf.<link>.arp_notify = 1: the kernel sends a gratuitous ARP
 * for each of the link's addresses when it comes up or its MAC address
 * changes. */
int nl_link_arp_notify(struct nl *n, int index, struct rt_err *err);
struct nl_link {
    uint8_t mac[6];
    bool has_mac;
    int port_state; /* as a bridge port: BR_STATE_* of linux/if_bridge.h; -1: not one */
    bool has_stats; /* IFLA_STATS64: the link's counters, as this end sees them */
    uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
};
int nl_link_get(struct nl *n, int index, struct nl_link *l, struct rt_err *err);
/* The same by name, in one request: 1, 0 when there is no such link, or
 * -1 with err. */
int nl_link_get_name(struct nl *n, const char *name, struct nl_link *l, struct rt_err *err);
/* A permanent neighbour entry addr (host byte order) -> mac on link
 * index, replacing what is there: ARP packets do not change it. */
int nl_neigh_pin(struct nl *n, int index, uint32_t addr, const uint8_t mac[6], struct rt_err *err);
/* The entry of addr removed (none is fine). */
int nl_neigh_unpin(struct nl *n, int index, uint32_t addr, struct rt_err *err);
/* mac in its bridge's forwarding table at port (a link on a bridge),
 * static and sticky: it stays there whatever source addresses other
 * ports send, and goes with the port. */
int nl_fdb_pin(struct nl *n, int port, const uint8_t mac[6], struct rt_err *err);
/* addr/prefix on the link (host byte order); an address it already has
 * is fine. */
int nl_addr_add(struct nl *n, int index, uint32_t addr, int prefix, struct rt_err *err);
/* The default route via gw (host byte order). */
int nl_route_default(struct nl *n, uint32_t gw, struct rt_err *err);

/* Every link whose name starts with prefix (for repair after a crash):
 * fn is called with each index, name and master (0: none). fn must not
 * use n: the dump is still being read. */
int nl_links_with_prefix(struct nl *n, const char *prefix,
                         void (*fn)(void *ud, int index, const char *name, int master), void *ud, struct rt_err *err);

/* Every link whose name starts with prefix, with its counters, in one
 * dump: fn gets each name and what nl_link_get would give (the veths'
 * counters for rtctl stats and the metrics). fn must not use n. */
int nl_links_stats(struct nl *n, const char *prefix, void (*fn)(void *ud, const char *name, const struct nl_link *l),
                   void *ud, struct rt_err *err);

#endif
