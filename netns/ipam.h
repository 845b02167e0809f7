/* ipam.h - stable addresses on the bridge's subnet.
 *
 * A service keeps its address across restarts and reboots: allocations
 * are kept in STATE/net/leases, one "NAME ADDRESS" a line, written
 * atomically (a crash leaves the old file or the new one). A service with
 * `ipv4 =` gets that address; the others get the lowest free one, never
 * the network, gateway or broadcast address. A lease whose service is gone
 * is kept until its address is needed, so a service removed and added back
 * finds its old address. */
#ifndef RT_NETNS_IPAM_H
#define RT_NETNS_IPAM_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

struct ipam_lease {
    char name[64];
    uint32_t addr;               /* host byte order */
};

struct ipam {
    uint32_t subnet, gateway;    /* host byte order */
    int prefix;
    struct ipam_lease *v;
    size_t n, cap;
    char path[4200];             /* STATE/net/leases */
};

/* Read the leases (none yet is fine). Leases outside the subnet (it
 * changed) are dropped. */
int ipam_open(struct ipam *m, const char *state_dir, uint32_t subnet, int prefix, uint32_t gateway,
              struct rt_err *err);
void ipam_close(struct ipam *m);

/* The address of name: fixed (0: none) or its lease or a new one, saved
 * before it returns. Fails when fixed is outside the subnet or another
 * service holds it, or the subnet is full. live(name) says whether a
 * lease's service is still configured (a lease of a gone one can be
 * taken back); NULL: every lease is live. */
int ipam_get(struct ipam *m, const char *name, uint32_t fixed, int (*live)(void *ud, const char *name), void *ud,
             uint32_t *out, struct rt_err *err);

/* The name that holds addr, or NULL. */
const char *ipam_holder(const struct ipam *m, uint32_t addr);
/* Forget name's lease (a container removed for good). */
int ipam_release(struct ipam *m, const char *name, struct rt_err *err);

#endif
