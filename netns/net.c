/* net.c - the bridge and containers on it. See net.h. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/fileio.h"
#include "link.h"

/* A sysctl, /proc/sys/PATH, as a number. */
static int knob_read(const char *path, int *v, struct rt_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rt_syserror(err, "%s", path);
    char buf[32];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return rt_error(err, e, "%s: %s", path, strerror(e));
    buf[n] = '\0';
    char *end;
    errno = 0;
    long l = strtol(buf, &end, 10);
    if (errno || end == buf || l < INT_MIN || l > INT_MAX)
        return rt_error(err, EINVAL, "%s: not a number: %.16s", path, buf);
    *v = (int)l;
    return 0;
}

static int knob_write(const char *path, int v, struct rt_err *err)
{
    char buf[16];
    int len = snprintf(buf, sizeof(buf), "%d", v);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return rt_syserror(err, "%s", path);
    ssize_t n = write(fd, buf, (size_t)len);
    int e = n < 0 ? errno : EIO;
    close(fd);
    if (n != len)
        return rt_error(err, e, "%s: %s", path, strerror(e));
    return 0;
}

static int enable_forwarding(struct rt_err *err)
{
    if (knob_write("/proc/sys/net/ipv4/ip_forward", 1, err) < 0) {
        char m[sizeof(err->msg)];
        snprintf(m, sizeof(m), "%s", err->msg);
        return rt_error(err, err->errnum, "turning on IPv4 forwarding: %s", m);
    }
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

/* ---------- route_localnet ---------- */

#define LOCALNET_SAVE "route_localnet" /* in STATE/net */

struct localnet_saved {
    char bridge[16];
    int value;
};

static void localnet_knob(const char *bridge, char *p, size_t n)
{
    snprintf(p, n, "/proc/sys/net/ipv4/conf/%s/route_localnet", bridge);
}

/* The value kept by an earlier call (of this run or a killed one): 1, 0
 * when there is none, -1 on an error. A garbled file counts as none; the
 * next on replaces it. */
static int saved_read(int dirfd, const char *dir, struct localnet_saved *sv, struct rt_err *err)
{
    int fd = openat(dirfd, LOCALNET_SAVE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? 0 : rt_syserror(err, "%s/%s", dir, LOCALNET_SAVE);
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return rt_syserror(err, "%s/%s", dir, LOCALNET_SAVE);
    }
    int n = fscanf(f, "%15s %d", sv->bridge, &sv->value);
    fclose(f);
    return n == 2 ? 1 : 0;
}

/* The bridge's value now, kept before it is changed; the file is synced
 * first, so that a crash right after the change still knows it. */
static int save_current(int dirfd, const char *bridge, const char *knob, struct rt_err *err)
{
    int v = 0;
    if (knob_read(knob, &v, err) < 0)
        return -1;
    char text[64];
    int n = snprintf(text, sizeof(text), "%s %d\n", bridge, v);
    return write_file_atomic(dirfd, LOCALNET_SAVE, text, (size_t)n, err);
}

/* The kept value back on its bridge, then forgotten. A bridge that is
 * gone has nothing to put back. */
static int put_back(int dirfd, const char *dir, const struct localnet_saved *sv, struct rt_err *err)
{
    char knob[128];
    localnet_knob(sv->bridge, knob, sizeof(knob));
    if (knob_write(knob, sv->value, err) < 0 && err->errnum != ENOENT)
        return -1;
    if (unlinkat(dirfd, LOCALNET_SAVE, 0) < 0 && errno != ENOENT)
        return rt_syserror(err, "%s/%s", dir, LOCALNET_SAVE);
    return 0;
}

int net_localnet(const char *bridge, bool on, const char *state_dir, struct rt_err *err)
{
    char dir[PATH_MAX], knob[128];
    snprintf(dir, sizeof(dir), "%s/net", state_dir);
    if (mkdir_p(dir, 0755, err) < 0)
        return -1;
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return rt_syserror(err, "%s", dir);
    struct localnet_saved sv;
    int r = -1, have = saved_read(dirfd, dir, &sv, err);
    if (have < 0)
        goto out;
    if (have && strcmp(sv.bridge, bridge)) { /* [network] bridge was renamed */
        if (put_back(dirfd, dir, &sv, err) < 0)
            goto out;
        have = 0;
    }
    localnet_knob(bridge, knob, sizeof(knob));
    if (!on)
        r = have ? put_back(dirfd, dir, &sv, err) : 0;
    else if (have || save_current(dirfd, bridge, knob, err) == 0) /* the first value is the one kept */
        r = knob_write(knob, 1, err);
out:
    close(dirfd);
    return r;
}

/* ---------- veths ---------- */

/* FNV-1a: a short, stable name from a long one (interface names have at
 * most 15 characters; container names up to 63). */
void net_veth_name(const char *container, char out[16])
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)container; *p; p++)
        h = (h ^ *p) * 16777619u;
    snprintf(out, 16, NET_VETH_PREFIX "%08x", h);
}

void net_mac_of(uint32_t addr, uint8_t mac[6])
{
    mac[0] = 0x02;
    mac[1] = 0x42;
    mac[2] = (uint8_t)(addr >> 24);
    mac[3] = (uint8_t)(addr >> 16);
    mac[4] = (uint8_t)(addr >> 8);
    mac[5] = (uint8_t)addr;
}

int net_attach(const struct net_bridge *b, const char *container, int netns, uint32_t addr, struct rt_err *err)
{
    char veth[16];
    net_veth_name(container, veth);
    uint8_t mac[6];
    net_mac_of(addr, mac);
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
    if (nl_veth_add(&host, veth, "eth0", netns, mac, b->mtu, err) < 0 || (idx = nl_link_index(&host, veth, err)) <= 0 ||
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
