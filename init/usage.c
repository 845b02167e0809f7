/* usage.c - a service's usage as its cgroup and its veth count it, for
 * rtctl status, rtctl stats and the metrics. See observe.h. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../netns/net.h"
#include "observe.h"
#include "sup.h"

void usage_begin(struct usage_round *r)
{
    memset(r, 0, sizeof(*r));
}

void usage_end(struct usage_round *r)
{
    free(r->veths);
    memset(r, 0, sizeof(*r));
}

static void on_veth(void *ud, const char *name, const struct nl_link *l)
{
    struct usage_round *r = ud;
    if (!l->has_stats)
        return;
    if (r->nveths == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        struct veth_count *v = realloc(r->veths, cap * sizeof(*v));
        if (!v)
            return; /* that one goes uncounted: "-" */
        r->veths = v;
        r->cap = cap;
    }
    struct veth_count *c = &r->veths[r->nveths++];
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->rx_bytes = l->rx_bytes;
    c->tx_bytes = l->tx_bytes;
    c->rx_packets = l->rx_packets;
    c->tx_packets = l->tx_packets;
}

/* Its cgroup's numbers; false when it has no veth of its own to count. */
static bool read_cgroup(const struct svc *v, struct svc_usage *out)
{
    memset(out, 0, sizeof(*out));
    if (!v->has_ctr || !v->c.has_cgroup || v->c.cg.fd < 0)
        return false;
    out->measured = true;
    cg_stats_read(v->c.cg.fd, &out->cg);
    return v->c.attached; /* network none or host: no link of its own */
}

/* The host end of its veth counts the other way round: what it receives
 * the container sent. */
static void put_net(struct svc_usage *out, uint64_t rx_bytes, uint64_t tx_bytes, uint64_t rx_packets,
                    uint64_t tx_packets)
{
    out->has_net = true;
    out->rx_bytes = tx_bytes;
    out->tx_bytes = rx_bytes;
    out->rx_packets = tx_packets;
    out->tx_packets = rx_packets;
}

void usage_read(struct usage_round *r, const struct svc *v, struct svc_usage *out)
{
    if (!read_cgroup(v, out))
        return;
    if (!r->tried) {
        /* rtinit's namespace, where the bridge and the host ends are */
        struct nl nl;
        struct rt_err err;
        r->tried = true;
        if (nl_open(&nl, -1, &err) == 0) {
            nl_links_stats(&nl, NET_VETH_PREFIX, on_veth, r, &err);
            nl_close(&nl);
        }
    }
    char veth[16];
    net_veth_name(v->c.name, veth);
    for (size_t i = 0; i < r->nveths; i++) {
        const struct veth_count *c = &r->veths[i];
        if (!strcmp(c->name, veth)) {
            put_net(out, c->rx_bytes, c->tx_bytes, c->rx_packets, c->tx_packets);
            break;
        }
    }
}

void usage_read_one(const struct svc *v, struct svc_usage *out)
{
    if (!read_cgroup(v, out))
        return;
    struct nl nl;
    struct nl_link l;
    struct rt_err err;
    char veth[16];
    net_veth_name(v->c.name, veth);
    if (nl_open(&nl, -1, &err) < 0)
        return; /* uncounted: "-" */
    if (nl_link_get_name(&nl, veth, &l, &err) == 1 && l.has_stats)
        put_net(out, l.rx_bytes, l.tx_bytes, l.rx_packets, l.tx_packets);
    nl_close(&nl);
}

static void put_int(json_t *o, const char *k, uint64_t v)
{
    json_object_set_new(o, k, json_integer((json_int_t)v));
}

/* A limit: its number, or null for none ("max"). */
static void put_limit(json_t *o, const char *k, uint64_t v)
{
    json_object_set_new(o, k, v == CG_NOLIMIT ? json_null() : json_integer((json_int_t)v));
}

void usage_to_json(json_t *o, const struct svc_usage *u, bool with_io)
{
    const struct cg_stats *c = &u->cg;
    if (c->has_cpu) {
        put_int(o, "cpu_usec", c->cpu_usec);
        put_int(o, "cpu_user_usec", c->cpu_user_usec);
        put_int(o, "cpu_system_usec", c->cpu_system_usec);
    }
    if (c->has_mem)
        put_int(o, "memory_bytes", c->mem_bytes);
    if (c->has_mem_max)
        put_limit(o, "memory_limit", c->mem_max);
    if (c->has_oom)
        put_int(o, "oom_kills", c->oom_kills);
    if (c->has_pids)
        put_int(o, "pids", c->pids);
    if (c->has_pids_max)
        put_limit(o, "pids_limit", c->pids_max);
    if (!with_io)
        return;
    if (u->has_net) {
        put_int(o, "net_rx_bytes", u->rx_bytes);
        put_int(o, "net_tx_bytes", u->tx_bytes);
        put_int(o, "net_rx_packets", u->rx_packets);
        put_int(o, "net_tx_packets", u->tx_packets);
    }
    if (c->has_io) {
        put_int(o, "blkio_read_bytes", c->io_rbytes);
        put_int(o, "blkio_write_bytes", c->io_wbytes);
    }
}

json_t *stats_json(struct sup *s)
{
    json_t *top = json_object(), *arr = json_array();
    if (!top || !arr) {
        json_decref(top);
        json_decref(arr);
        return NULL;
    }
    struct usage_round r;
    usage_begin(&r);
    for (size_t i = 0; i < s->n; i++) {
        const struct svc *v = &s->v[i];
        if (!v->ps)
            continue; /* removed from conf.d, on its way out */
        json_t *o = json_pack("{s:s, s:s, s:i}", "name", v->name, "state", phase_name(v->phase), "pid",
                              v->has_ctr ? (int)v->c.pid : 0);
        if (!o)
            continue;
        struct svc_usage u;
        usage_read(&r, v, &u);
        usage_to_json(o, &u, true);
        if (v->has_ctr && v->c.missing[0])
            json_object_set_new(o, "limits_missing", json_string(v->c.missing));
        json_array_append_new(arr, o);
    }
    usage_end(&r);
    /* after the reads: a rate over two answers divides by the time
     * between them, and the reads are what take time here */
    json_object_set_new(top, "at_ms", json_integer((json_int_t)now_ms()));
    json_object_set_new(top, "services", arr);
    return top;
}
