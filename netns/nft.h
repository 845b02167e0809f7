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
 *
 * route_localnet is turned on for the bridge only, so 127.0.0.1 can be
 * DNAT'd there; other interfaces still drop packets for 127.0.0.0/8. */
#ifndef RT_NETNS_NFT_H
#define RT_NETNS_NFT_H

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

/* Replace table "ip rtinit" with these rules. */
int nft_apply(const struct nft_rules *r, struct rt_err *err);
/* Remove it (at shutdown). Missing is fine. */
int nft_remove(struct rt_err *err);

#endif
