/* net.h - the bridge network: the bridge, and each container's place on it.
 *
 * The bridge (droplet.conf [network]) gets the gateway address and comes
 * up; IPv4 forwarding is turned on. A container with `network = bridge`
 * gets a veth pair: the host end, "rtv" and a hash of the container's
 * name, on the bridge; the other end created directly in the container's
 * network namespace as eth0, with its address, the default route via the
 * gateway, and lo up. Everything goes over rtnetlink (link.h). */
#ifndef RT_NETNS_NET_H
#define RT_NETNS_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/err.h"

#define NET_VETH_PREFIX "rtv"

struct net_bridge {
    const char *name;
    uint32_t subnet, gateway;    /* host byte order */
    int prefix;
    unsigned mtu;
};

/* The bridge up with its address (an existing one is reused). */
int net_bridge_up(const struct net_bridge *b, struct rt_err *err);
/* route_localnet of the bridge on (netns/nft.h says when it is needed),
 * or back to the value it had before rtinit first turned it on. That
 * value is kept in STATE/net/route_localnet ("BRIDGE VALUE") until it is
 * put back, so that a run that was killed with it on leaves the next one
 * the administrator's value, not its own. Off when it was never turned
 * on writes nothing: an administrator's 1 stays. A file that names
 * another bridge (the name changed) is put back on that one first. */
int net_localnet(const char *bridge, bool on, const char *state_dir, struct rt_err *err);
/* The host end's name for a container: NET_VETH_PREFIX + 8 hex digits. */
void net_veth_name(const char *container, char out[16]);
/* eth0's MAC address for a container at addr (host byte order): 02:42
 * and the address's four bytes, as Docker makes it. A service keeps its
 * address across restarts (ipam.h), and so its MAC: the neighbours'
 * ARP entries for it stay right, where a new random MAC each start left
 * every peer sending to the old one until its entry went stale (about
 * 30 s to a minute of timeouts after each restart). 02: locally
 * administered, unicast. */
void net_mac_of(uint32_t addr, uint8_t mac[6]);
/* Attach the container whose network namespace is netns: a veth (a left
 * over one of the same name is replaced), eth0 with addr and its MAC
 * (net_mac_of), the route. */
int net_attach(const struct net_bridge *b, const char *container, int netns, uint32_t addr, struct rt_err *err);
/* Remove its veth (it also goes with the namespace). */
void net_detach(const char *container);
/* Remove the veths of ours on bridge that no running container has
 * (after a crash): keep(ud, veth name) says which to keep (NULL: none).
 * Only this bridge's: another rtinit's bridge is not touched. The count
 * removed, or -1. */
int net_sweep(const char *bridge, int (*keep)(void *ud, const char *veth), void *ud, struct rt_err *err);

#endif
