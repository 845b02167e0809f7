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
#include "../netns/link.h"
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

/* Its eth0's MAC address as the kernel has it, read in its namespace. */
static void mac_json(json_t *o, const struct svc *v)
{
    struct nl nl;
    struct rt_err err;
    if (v->netns < 0 || nl_open(&nl, v->netns, &err) < 0)
        return;
    int index = nl_link_index(&nl, "eth0", &err);
    struct nl_link l;
    if (index > 0 && nl_link_get(&nl, index, &l, &err) == 0 && l.has_mac) {
        char mac[18];
        snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", l.mac[0], l.mac[1], l.mac[2], l.mac[3],
                 l.mac[4], l.mac[5]);
        json_object_set_new(o, "mac", json_string(mac));
    }
    nl_close(&nl);
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
        mac_json(o, v);
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
    /* its rtctl status entry, the same fields: status_json lists s->v
     * in order, then the services left out at boot for errors in their
     * files (which have that and nothing else) */
    struct svc *v = find(s, name);
    json_t *all = status_json(s), *st = NULL;
    if (v) {
        st = json_array_get(all, (size_t)(v - s->v));
        const char *n = json_string_value(json_object_get(st, "name"));
        if (!n || strcmp(n, name)) /* an entry was lost to out of memory */
            st = NULL;
    } else {
        for (size_t k = s->n; k < json_array_size(all) && !st; k++) {
            const char *n = json_string_value(json_object_get(json_array_get(all, k), "name"));
            if (n && !strcmp(n, name))
                st = json_array_get(all, k);
        }
    }
    json_t *o = st ? json_pack("{s:s, s:O}", "name", name, "status", st) : NULL;
    json_decref(all);
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
        struct usage_round r;
        struct svc_usage u;
        usage_begin(&r);
        usage_read(&r, v, &u);
        usage_end(&r);
        json_t *uo = json_object();
        usage_to_json(uo, &u, true);
        json_object_set_new(o, "usage", uo);
    }
    json_t *h = v->ps ? status_health_json(s, name) : NULL;
    if (h)
        json_object_set_new(o, "health", h);
    return o;
}
