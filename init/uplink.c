/* uplink.c - the droplet's own network, at boot, when rtinit is PID 1.
 *
 * A droplet booted with rtinit as init has nothing else to bring its
 * links up: no ifupdown, no systemd-networkd, no cloud-init. PID 1 sets
 * lo up (pid1.c, at the start) and the [uplink] of droplet.conf when it
 * names an address: the address on the interface, the interface up, the
 * default route. Over rtnetlink (netns/link.c), like the bridge; no `ip` runs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../config/value.h"
#include "../netns/link.h"
#include "pid1.h"

/* The interface may come a little after PID 1 starts (a driver module
 * loaded by `modules`, a slow bus): it is waited for this long. */
#define UPLINK_WAIT_MS 10000

struct names {
    char buf[256];
    size_t len;
};

static void add_name(void *ud, int index, const char *name, int master)
{
    struct names *l = ud;
    (void)index;
    (void)master;
    int w = snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%s%s", l->len ? ", " : "", name);
    if (w > 0 && (size_t)w < sizeof(l->buf) - l->len)
        l->len += (size_t)w;
}

static int wait_for_link(struct nl *n, const char *name, struct rt_err *err)
{
    for (int waited = 0;; waited += 100) {
        int idx = nl_link_index(n, name, err);
        if (idx != 0)
            return idx; /* found, or an error */
        if (waited >= UPLINK_WAIT_MS) {
            /* say which there are: the kernel's or udev's name may differ (ens3, enp0s3) */
            struct names l = {.len = 0};
            l.buf[0] = '\0';
            struct rt_err e2;
            if (nl_links_with_prefix(n, "", add_name, &l, &e2) < 0)
                snprintf(l.buf, sizeof(l.buf), "?");
            return rt_error(err, ENODEV, "no interface %s after %d s (there are: %s); set [uplink] interface", name,
                            UPLINK_WAIT_MS / 1000, l.buf);
        }
        nanosleep(&(struct timespec){.tv_nsec = 100 * 1000000L}, NULL);
    }
}

void pid1_uplink(const struct droplet_conf *d, const struct logger *lg)
{
    if (!d->uplink.address)
        return;
    struct nl n;
    struct rt_err err;
    if (nl_open(&n, -1, &err) < 0) {
        log_msg(lg, LOG_ERR, "uplink: %s; the droplet may be unreachable", err.msg);
        return;
    }
    if (d->uplink.address) {
        char a[16], g[16] = "";
        format_ipv4(d->uplink.address, a, sizeof(a));
        if (d->uplink.gateway)
            format_ipv4(d->uplink.gateway, g, sizeof(g));
        int idx = wait_for_link(&n, d->uplink.interface, &err);
        if (idx < 0 || nl_addr_add(&n, idx, d->uplink.address, d->uplink.prefix, &err) < 0 ||
            nl_link_up(&n, idx, 0, &err) < 0 || (d->uplink.gateway && nl_route_default(&n, d->uplink.gateway, &err) < 0))
            log_msg(lg, LOG_ERR, "uplink %s: %s; the droplet may be unreachable (fix [uplink] in droplet.conf)",
                    d->uplink.interface, err.msg);
        else
            log_msg(lg, LOG_INFO, "uplink %s: %s/%d%s%s", d->uplink.interface, a, d->uplink.prefix,
                    *g ? " via " : "", g);
    }
    nl_close(&n);
}
