/* inspect.c - rtctl inspect NAME: one service as it runs. Its effective
 * configuration as `rtctl config check` prints it (config/plan_print.c:
 * secrets redacted, the image's defaults said), its state as rtctl status
 * has it, its container (address, MAC address, mounts, devices, limits),
 * its usage and its last health checks. The environment of the running
 * start holds the secrets' values, so it is never sent. See observe.h. */
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "../config/device.h"
#include "../config/value.h"
#include "../netns/net.h"
#include "observe.h"
#include "sup.h"

static struct svc *find(struct sup *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i].name, name))
            return &s->v[i];
    return NULL;
}

/* The effective configuration, as config check prints it. */
static json_t *config_text(const struct plan_svc *ps)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    plan_print_service(ps, f, false);
    json_t *j = fclose(f) == 0 ? json_stringn(text, len) : NULL;
    free(text);
    return j;
}

static json_t *mounts_json(const struct ctr_spec *sp)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < sp->nmounts; i++) {
        const struct ctr_mount *m = &sp->mounts[i];
        json_t *o = m->tmpfs ? json_pack("{s:s, s:s, s:b, s:s}", "type", "tmpfs", "destination", m->dst, "read_only",
                                         (m->flags & MS_RDONLY) != 0, "options", m->data ? m->data : "")
                             : json_pack("{s:s, s:s, s:s, s:b, s:b}", "type", "bind", "source", m->src,
                                         "destination", m->dst, "read_only", m->ro, "named_volume", m->own);
        if (o)
            json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *devices_json(const struct ctr_spec *sp)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < sp->ndevices; i++) {
        const struct ctr_device *d = &sp->devices[i];
        char acc[4] = "";
        size_t n = 0;
        if (d->access & CTR_DEV_READ)
            acc[n++] = 'r';
        if (d->access & CTR_DEV_WRITE)
            acc[n++] = 'w';
        if (d->access & CTR_DEV_MKNOD)
            acc[n++] = 'm';
        acc[n] = '\0';
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "host", d->host, "container", d->ctr, "access", acc));
    }
    return arr;
}

/* Its eth0's MAC address: rtinit gives it 02:42 and the address
 * (net_mac, netns/net.c) and pins the gateway's neighbour entry to it, so
 * it is known without asking the container's namespace (which would mean
 * setns() into it and back, in PID 1). */
static void mac_json(json_t *o, uint32_t addr)
{
    uint8_t m[6];
    char mac[18];
    net_mac(addr, m);
    snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    json_object_set_new(o, "mac", json_string(mac));
}

static json_t *container_json(struct sup *s, const struct svc *v)
{
    const struct ctr_spec *sp = v->spec;
    json_t *o = json_pack("{s:s, s:i, s:b}", "name", v->c.name[0] ? v->c.name : v->name, "pid", (int)v->c.pid, "host",
                          v->c.host);
    if (!o)
        return NULL;
    if (v->c.has_cgroup)
        json_object_set_new(o, "cgroup", json_string(v->c.cg.path));
    if (!v->c.host) {
        json_object_set_new(o, "rootfs", json_pack("{s:s, s:i, s:b}", "writable_layer", v->c.dir, "image_layers",
                                                   (int)(sp ? sp->nlayers : 0), "read_only", sp && sp->read_only));
        if (sp && sp->hostname)
            json_object_set_new(o, "hostname", json_string(sp->hostname));
    }
    if (v->c.attached) {
        char ip[16], veth[16];
        format_ipv4(v->c.addr, ip, sizeof(ip));
        json_object_set_new(o, "address", json_string(ip));
        json_object_set_new(o, "bridge", json_string(v->c.bridge));
        if (s->net_on) {
            format_ipv4(s->bridge.gateway, ip, sizeof(ip));
            json_object_set_new(o, "gateway", json_string(ip));
            json_object_set_new(o, "prefix", json_integer(s->bridge.prefix));
        }
        net_veth_name(v->c.name, veth);
        json_object_set_new(o, "veth", json_string(veth));
        mac_json(o, v->c.addr);
    }
    if (sp) {
        json_object_set_new(o, "mounts", mounts_json(sp));
        json_object_set_new(o, "devices", devices_json(sp));
    }
    if (v->c.missing[0])
        json_object_set_new(o, "limits_missing", json_string(v->c.missing));
    return o;
}

/* What conf.d asks for; what is in force is in usage (memory_limit,
 * pids_limit) when the controller is there. */
static json_t *limits_json(const struct svc_conf *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (c->memory_max)
        json_object_set_new(o, "memory_max", json_integer((json_int_t)c->memory_max));
    if (c->cpus_milli)
        json_object_set_new(o, "cpus", json_real((double)c->cpus_milli / 1000.0));
    if (c->pids_max)
        json_object_set_new(o, "pids_max", json_integer((json_int_t)c->pids_max));
    if (c->io_weight)
        json_object_set_new(o, "io_weight", json_integer(c->io_weight));
    return o;
}

json_t *inspect_json(struct sup *s, const char *name)
{
    /* its rtctl status entry, built alone: one read of its cgroup and
     * one of its veth serve the entry and the usage */
    struct svc *v = find(s, name);
    struct svc_usage u;
    if (v)
        usage_read_one(v, &u);
    json_t *st = status_entry_json(s, name, v, v ? &u : NULL);
    json_t *o = st ? json_pack("{s:s, s:o}", "name", name, "status", st) : NULL;
    if (!o || !v)
        return o;
    if (v->ps) {
        json_object_set_new(o, "file", json_string(v->ps->svc->file));
        json_object_set_new(o, "stage", json_integer(v->ps->stage));
        json_object_set_new(o, "config", config_text(v->ps));
        json_object_set_new(o, "limits", limits_json(v->ps->svc));
    }
    if (v->has_ctr) {
        json_object_set_new(o, "container", container_json(s, v));
        json_t *uo = json_object();
        if (uo) {
            usage_to_json(uo, &u, true);
            json_object_set_new(o, "usage", uo);
        }
    }
    json_t *h = v->ps ? status_health_json(s, name) : NULL;
    if (h)
        json_object_set_new(o, "health", h);
    return o;
}
