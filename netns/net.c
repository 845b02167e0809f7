/* net.c - the bridge and containers on it. See net.h. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link.h"

static int enable_forwarding(struct rt_err *err)
{
    int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return rt_syserror(err, "/proc/sys/net/ipv4/ip_forward");
    ssize_t n = write(fd, "1", 1);
    int e = errno;
    close(fd);
    if (n != 1)
        return rt_error(err, e, "turning on IPv4 forwarding: %s", strerror(e));
    return 0;
}

int net_bridge_up(const struct net_bridge *b, struct rt_err *err)
{
    struct nl n;
    if (nl_open(&n, -1, err) < 0)
        return -1;
    int r = -1, index = -1;
    if (nl_bridge_add(&n, b->name, b->mtu, err) < 0 || (index = nl_link_index(&n, b->name, err)) <= 0) {
        if (index == 0)
            rt_error(err, ENODEV, "bridge %s: created, then not found", b->name);
        goto out;
    }
    if (nl_addr_add(&n, index, b->gateway, b->prefix, err) < 0 || nl_link_up(&n, index, 0, err) < 0 ||
        enable_forwarding(err) < 0)
        goto out;
    r = 0;
out:
    nl_close(&n);
    return r;
}

/* FNV-1a: a short, stable name from a long one (interface names have at
 * most 15 characters; container names up to 63). */
void net_veth_name(const char *container, char out[16])
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)container; *p; p++)
        h = (h ^ *p) * 16777619u;
    snprintf(out, 16, NET_VETH_PREFIX "%08x", h);
}

int net_attach(const struct net_bridge *b, const char *container, int netns, uint32_t addr, struct rt_err *err)
{
    char veth[16];
    net_veth_name(container, veth);
    struct nl host, inside = {0};
    if (nl_open(&host, -1, err) < 0)
        return -1;
    int r = -1, br, old, idx, eth0, lo;
    err->msg[0] = '\0';
    if ((br = nl_link_index(&host, b->name, err)) < 0)
        goto out;
    if (!br) {
        rt_error(err, ENODEV, "bridge %s does not exist", b->name);
        goto out;
    }
    /* one left by a run that crashed, with the same name */
    if ((old = nl_link_index(&host, veth, err)) < 0 || (old > 0 && nl_link_del(&host, old, err) < 0))
        goto out;
    if (nl_veth_add(&host, veth, "eth0", netns, b->mtu, err) < 0 || (idx = nl_link_index(&host, veth, err)) <= 0 ||
        nl_link_up(&host, idx, br, err) < 0)
        goto out;
    if (nl_open(&inside, netns, err) < 0 || (eth0 = nl_link_index(&inside, "eth0", err)) <= 0 ||
        (lo = nl_link_index(&inside, "lo", err)) <= 0)
        goto out;
    if (nl_link_up(&inside, lo, 0, err) < 0 || nl_addr_add(&inside, eth0, addr, b->prefix, err) < 0 ||
        nl_link_up(&inside, eth0, 0, err) < 0 || nl_route_default(&inside, b->gateway, err) < 0)
        goto out;
    r = 0;
out:
    if (r < 0 && err->msg[0]) {
        char m[sizeof(err->msg)];
        snprintf(m, sizeof(m), "%s", err->msg);
        rt_error(err, err->errnum, "%s on bridge %s: %s", container, b->name, m);
    }
    nl_close(&inside);
    nl_close(&host);
    return r;
}

void net_detach(const char *container)
{
    char veth[16];
    net_veth_name(container, veth);
    struct nl n;
    struct rt_err err;
    if (nl_open(&n, -1, &err) < 0)
        return;
    int idx = nl_link_index(&n, veth, &err);
    if (idx > 0)
        nl_link_del(&n, idx, &err);
    nl_close(&n);
}

struct sweep {
    int master;
    int idx[256];
    char names[256][16];
    size_t n;
};

static void collect(void *ud, int index, const char *name, int master)
{
    struct sweep *w = ud;
    if (master == w->master && w->n < 256) {
        w->idx[w->n] = index;
        snprintf(w->names[w->n], 16, "%s", name);
        w->n++;
    }
}

int net_sweep(const char *bridge, int (*keep)(void *ud, const char *veth), void *ud, struct rt_err *err)
{
    struct nl n;
    if (nl_open(&n, -1, err) < 0)
        return -1;
    struct sweep *w = calloc(1, sizeof(*w));
    if (!w) {
        nl_close(&n);
        return rt_error(err, ENOMEM, "out of memory");
    }
    int removed = 0;
    if ((w->master = nl_link_index(&n, bridge, err)) <= 0) { /* no bridge: nothing of ours */
        int r = w->master < 0 ? -1 : 0;
        nl_close(&n);
        free(w);
        return r;
    }
    /* collected first: the dump must end before the socket takes another request */
    if (nl_links_with_prefix(&n, NET_VETH_PREFIX, collect, w, err) == 0)
        for (size_t i = 0; i < w->n; i++)
            if (!(keep && keep(ud, w->names[i])) && nl_link_del(&n, w->idx[i], err) == 0)
                removed++;
    nl_close(&n);
    free(w);
    return removed;
}
