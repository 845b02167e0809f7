/* nft.h - the bridge network's firewall: one nftables table, "ip rtinit".
 *
 * Built with libnftnl and sent as one netlink batch, so it is replaced
 * atomically (the old table is deleted and the new one made in the same
 * transaction) and never seen half-made. No other table is touched.
 *
 *   postrouting (nat)  traffic from the subnet to anywhere but the bridge
 *                      is masqueraded (outbound NAT); so is traffic from
 *                      127.0.0.0/8 to the bridge (a published port reached
 *                      at 127.0.0.1 from the droplet itself)
 *   prerouting, output (nat)
 *                      each published port: to a local address (or to
 *                      HOSTIP only, when given), DNAT to the container
 *   forward (filter)   to the bridge from outside it: only replies and
 *                      published (DNAT'd) connections; the rest is dropped
 *   from_bridge (filter, prerouting, priority raw)
 *                      from the bridge to or from 127.0.0.0/8: dropped,
 *                      before conntrack and NAT see it
 *
 * A connection the droplet makes to 127.0.0.1:PORT that the output chain
 * DNATs to a container leaves by the bridge with source 127.0.0.1, and
 * its replies, un-masqueraded, arrive there for 127.0.0.1: the kernel
 * refuses both unless route_localnet is on for the bridge. rtinit turns
 * it on (netns/net.h, net_localnet) only while nft_needs_localnet, and
 * for the bridge only: other interfaces still drop packets for
 * 127.0.0.0/8. While it is on, a container could send the bridge packets
 * for 127.0.0.1 itself and reach what the droplet serves on loopback
 * only (CVE-2020-8558), or packets from 127.0.0.2 to what trusts
 * 127.0.0.0/8; from_bridge drops those. */
#ifndef RT_NETNS_NFT_H
#define RT_NETNS_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

struct nft_port {
    uint32_t host_ip;            /* 0: every local address */
    uint16_t host_port;
    uint32_t addr;               /* the container's, host byte order */
    uint16_t port;
    int proto;                   /* IPPROTO_TCP or IPPROTO_UDP */
};

struct nft_rules {
    const char *bridge;
    uint32_t subnet;             /* host byte order */
    int prefix;
    const struct nft_port *ports;
    size_t nports;
};

/* Does a published port of r answer at 127.0.0.1 from the droplet, so
 * that the bridge needs route_localnet? One on 127.0.0.0/8, or on every
 * local address (host_ip 0: the output chain's "fib daddr type local"
 * matches 127.0.0.1 too). One on another address of the droplet is never
 * reached at 127.0.0.1. */
bool nft_needs_localnet(const struct nft_rules *r);
/* Replace table "ip rtinit" with these rules. route_localnet is not
 * touched: see nft_needs_localnet. */
int nft_apply(const struct nft_rules *r, struct rt_err *err);
/* Remove it (at shutdown). Missing is fine. */
int nft_remove(struct rt_err *err);

#endif
