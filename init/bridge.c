/* bridge.c - rtinit's side of the bridge network: the bridge itself,
 * every bridge service's stable address (netns/ipam.h), and the
 * /etc/hosts they share, which maps each service name and hostname to
 * its address. The veths are made by the runtime at each start
 * (runtime/container.c, netns/net.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/fileio.h"
#include "../lib/util.h"
#include "../config/value.h"
#include "../netns/nft.h"
#include "sup.h"

static bool uses_bridge(const struct plan *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->svcs[i].svc->network == NET_BRIDGE)
            return true;
    return false;
}

/* Is name a service of the plan? (A lease of a service that is gone may
 * be taken back.) */
static int live(void *ud, const char *name)
{
    const struct plan *p = ud;
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->svcs[i].svc->name, name))
            return 1;
    return 0;
}

/* A reload changed the names or addresses: the running bridge services
 * see the new /etc/hosts at once. The file is bind-mounted into each
 * container, so it is written in place (a rename would not reach them),
 * in one write, as docker does. */
static void rewrite_hosts(struct sup *s)
{
    size_t len = strlen(s->hosts);
    for (size_t i = 0; i < s->n; i++) {
        const struct svc *v = &s->v[i];
        if (!v->has_ctr || !v->c.rdir[0] || !v->ps || v->ps->svc->network != NET_BRIDGE)
            continue;
        char p[PATH_MAX + 16];
        snprintf(p, sizeof(p), "%s/etc/hosts", v->c.rdir);
        int fd = open(p, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue; /* not made yet: the start writes it */
        if (pwrite(fd, s->hosts, len, 0) != (ssize_t)len || ftruncate(fd, (off_t)len) < 0)
            say(s, LOG_WARN, "%s: updating its /etc/hosts: %s", v->name, strerror(errno));
        close(fd);
    }
}

/* RUN/net/hosts: the services' /etc/hosts as it is now, for `rtctl run
 * --net bridge`, whose one-off containers then resolve the services'
 * names as the services do (rtctl/rtctl_run.c). Replaced whole (a reader
 * gets the old file or the new one); gone with the bridge. */
#define HOSTS_DIR "net"
static void publish_hosts(struct sup *s)
{
    char dir[PATH_MAX + 8];
    snprintf(dir, sizeof(dir), "%s/" HOSTS_DIR, s->paths->run_dir);
    struct rt_err err;
    int fd = -1;
    if (mkdir_p(dir, 0755, &err) == 0 && (fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        rt_syserror(&err, "%s", dir);
    if (fd < 0 || write_file_atomic(fd, "hosts", s->hosts, strlen(s->hosts), &err) < 0)
        say(s, LOG_WARN, "the services' hosts for rtctl run: %s", err.msg);
    if (fd >= 0)
        close(fd);
}

static void unpublish_hosts(struct sup *s)
{
    char p[PATH_MAX + 16];
    snprintf(p, sizeof(p), "%s/" HOSTS_DIR "/hosts", s->paths->run_dir);
    if (unlink(p) < 0 && errno != ENOENT)
        say(s, LOG_WARN, "removing %s: %s", p, strerror(errno));
}

/* A fixed `ipv4` that a service without one holds from an earlier lease
 * is taken from it (it gets another at its next start). */
static void take_back_fixed(struct sup *s, const struct plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        const struct svc_conf *c = p->svcs[i].svc;
        if (c->network != NET_BRIDGE || !c->ipv4)
            continue;
        const char *holder = ipam_holder(&s->ipam, c->ipv4);
        const struct svc_conf *h = holder ? conf_find(p->conf, holder) : NULL;
        if (!holder || !strcmp(holder, c->name) || (h && h->ipv4 && h->network == NET_BRIDGE))
            continue;
        char as[32], hn[64];
        struct rt_err err;
        format_ipv4(c->ipv4, as, sizeof(as));
        snprintf(hn, sizeof(hn), "%s", holder); /* the lease goes, and its name with it */
        if (ipam_release(&s->ipam, hn, &err) < 0)
            say(s, LOG_ERR, "%s", err.msg);
        else if (h)
            say(s, LOG_WARN, "%s gets a new address: %s is now %s's (ipv4); it moves at its next start", hn, as,
                c->name);
    }
}

struct plan_out {
    char *hosts;
    size_t len, cap;
    struct nft_port ports[256];
    size_t nports;
};

/* One bridge service: its address, its line in /etc/hosts, its ports. */
static void place(struct sup *s, const struct plan *p, const struct svc_conf *c, struct plan_out *o)
{
    struct rt_err err;
    uint32_t a;
    if (ipam_get(&s->ipam, c->name, c->ipv4, live, (void *)p, &a, &err) < 0) {
        say(s, LOG_ERR, "%s", err.msg);
        return;
    }
    char as[32];
    format_ipv4(a, as, sizeof(as));
    bool other = c->hostname && strcmp(c->hostname, c->name);
    int n = snprintf(o->hosts + o->len, o->cap - o->len, "%s\t%s%s%s\n", as, c->name, other ? " " : "",
                     other ? c->hostname : "");
    if (n > 0 && (size_t)n < o->cap - o->len) /* names are at most 63 characters: it fits */
        o->len += (size_t)n;
    for (size_t k = 0; k < c->nports && o->nports < ARRAY_SIZE(o->ports); k++)
        o->ports[o->nports++] = (struct nft_port){.host_ip = c->ports[k].host_ip,
                                                  .host_port = c->ports[k].host_port,
                                                  .addr = a,
                                                  .port = c->ports[k].ctr_port,
                                                  .proto = c->ports[k].proto};
}

/* route_localnet on the bridge as the table just made needs it (or back
 * to what it was). Changed only after a table with the guard against
 * packets for 127.0.0.0/8 from the bridge is in (netns/nft.h); when
 * making one fails, the old table stays, and so does its setting. */
static void set_localnet(struct sup *s, bool on)
{
    struct rt_err err;
    if (net_localnet(s->bridge.name, on, s->paths->state_dir, &err) < 0)
        say(s, on ? LOG_ERR : LOG_WARN, "the bridge's route_localnet: %s%s", err.msg,
            on ? "; ports published on 127.0.0.1 do not answer there" : "");
}

void bridge_plan(struct sup *s)
{
    if (!s->net_on)
        return;
    const struct plan *p = s->p;
    struct plan_out *o = calloc(1, sizeof(*o));
    if (o) {
        o->cap = 128 + p->n * 200;
        o->hosts = malloc(o->cap);
    }
    if (!o || !o->hosts) {
        say(s, LOG_ERR, "out of memory building /etc/hosts");
        free(o);
        return;
    }
    o->len = (size_t)snprintf(o->hosts, o->cap, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    take_back_fixed(s, p);
    for (size_t i = 0; i < p->n; i++) /* the fixed addresses first */
        if (p->svcs[i].svc->network == NET_BRIDGE && p->svcs[i].svc->ipv4)
            place(s, p, p->svcs[i].svc, o);
    for (size_t i = 0; i < p->n; i++)
        if (p->svcs[i].svc->network == NET_BRIDGE && !p->svcs[i].svc->ipv4)
            place(s, p, p->svcs[i].svc, o);
    char *hosts = o->hosts;
    struct nft_port *ports = o->ports;
    size_t nports = o->nports;
    bool changed = !s->hosts || strcmp(s->hosts, hosts);
    free(s->hosts);
    s->hosts = hosts;
    if (changed) {
        rewrite_hosts(s);
        publish_hosts(s);
    }
    /* [network] dns: the services' nameservers (else the host's) */
    free(s->resolv);
    s->resolv = NULL;
    const struct droplet_conf *d = &p->conf->droplet;
    if (d->network.ndns && (s->resolv = malloc(d->network.ndns * 32 + 1))) {
        size_t rl = 0;
        for (size_t i = 0; i < d->network.ndns; i++) {
            char as[32];
            format_ipv4(d->network.dns[i], as, sizeof(as));
            rl += (size_t)sprintf(s->resolv + rl, "nameserver %s\n", as);
        }
    }
    /* NAT and the published ports, replaced at once */
    struct rt_err err;
    struct nft_rules rules = {.bridge = s->bridge.name,
                              .subnet = s->bridge.subnet,
                              .prefix = s->bridge.prefix,
                              .ports = ports,
                              .nports = nports};
    if (nft_apply(&rules, &err) < 0) {
        say(s, LOG_ERR, "the bridge's firewall: %s; no outbound NAT, no published ports", err.msg);
    } else {
        if (nports)
            say(s, LOG_INFO, "%zu port%s published (nftables table ip rtinit)", nports, nports == 1 ? "" : "s");
        set_localnet(s, nft_needs_localnet(&rules));
    }
    free(o);
}

void bridge_open(struct sup *s)
{
    unpublish_hosts(s); /* an earlier run's, killed before it removed it */
    if (!uses_bridge(s->p))
        return;
    const struct droplet_conf *d = &s->p->conf->droplet;
    s->bridge = (struct net_bridge){.name = d->network.bridge,
                                    .subnet = d->network.subnet,
                                    .gateway = d->network.gateway,
                                    .prefix = d->network.prefix,
                                    .mtu = d->network.mtu};
    snprintf(s->bridge_name, sizeof(s->bridge_name), "%s", d->network.bridge);
    s->bridge.name = s->bridge_name;
    struct rt_err err;
    if (net_bridge_up(&s->bridge, &err) < 0 ||
        ipam_open(&s->ipam, s->paths->state_dir, s->bridge.subnet, s->bridge.prefix, s->bridge.gateway, &err) < 0) {
        snprintf(s->net_err, sizeof(s->net_err), "%s", err.msg);
        say(s, LOG_ERR, "the bridge network: %s; services with network = bridge cannot start", err.msg);
        return;
    }
    /* veths a previous run left (it was killed, or crashed): none of ours
     * runs yet */
    int n = net_sweep(s->bridge.name, NULL, NULL, &err);
    if (n < 0)
        say(s, LOG_WARN, "the bridge network: %s", err.msg);
    else if (n > 0)
        say(s, LOG_INFO, "removed %d veth%s left on %s by an earlier run", n, n == 1 ? "" : "s", s->bridge.name);
    s->net_on = true;
    bridge_plan(s);
}

void bridge_close(struct sup *s)
{
    struct rt_err err;
    if (s->net_on && nft_remove(&err) < 0)
        say(s, LOG_WARN, "removing the bridge's firewall: %s", err.msg);
    if (s->net_on) /* whether the table went or not: back is always safe */
        set_localnet(s, false);
    if (s->net_on) {
        ipam_close(&s->ipam);
        unpublish_hosts(s);
    }
    free(s->hosts);
    s->hosts = NULL;
    free(s->resolv);
    s->resolv = NULL;
    s->net_on = false;
}

int bridge_for(struct sup *s, const struct svc *v, struct ctr_net *out, struct rt_err *err)
{
    if (!s->net_on)
        return rt_error(err, ENETDOWN, "%s: %s", v->name, s->net_err[0] ? s->net_err : "the bridge network is down");
    uint32_t a;
    if (ipam_get(&s->ipam, v->name, v->ps->svc->ipv4, live, (void *)s->p, &a, err) < 0)
        return -1;
    out->bridge = s->bridge;
    out->addr = a;
    return 0;
}
