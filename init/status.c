/* status.c - what rtctl status and rtctl health show: the services'
 * state as JSON, built from the supervisor's state for the control socket
 * (control.c), which sends it as it is. Reads the state, changes nothing. */
#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../config/value.h"
#include "../lib/proto.h"
#include "observe.h"
#include "sup.h"

/* The health as rtctl reads it: the protocol's names (lib/proto.h;
 * decide.c checks that they name every state), "" when it does not run. */
static const char *health_name(const struct svc *v)
{
    enum health_state h = v->phase == RUNNING ? v->h.state : HEALTH_NONE;
    return (unsigned)h < PROTO_NHEALTH ? proto_health_names[h] : "";
}

/* The first line of what a check printed that says something, as valid
 * UTF-8 for JSON (other bytes become '?'); false when there is none. */
static bool first_line(const struct health_result *r, char *out, size_t len)
{
    size_t i = 0, n = 0;
    while (i < r->outlen && (r->out[i] == '\n' || r->out[i] == '\r' || r->out[i] == ' '))
        i++;
    for (; i < r->outlen && r->out[i] != '\n' && r->out[i] != '\r' && n + 1 < len; i++)
        out[n++] = (unsigned char)r->out[i] >= 0x20 && (unsigned char)r->out[i] < 0x7f ? r->out[i] : '?';
    out[n] = '\0';
    return n > 0;
}

/* The output as a JSON string: bytes that are not printable ASCII, tab
 * or newline become '?' (a check's output is the container's, and
 * arbitrary). */
static json_t *printable(const char *p, size_t n)
{
    char buf[HEALTH_OUT + 1];
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        buf[i] = (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' ? (char)c : '?';
    }
    buf[n] = '\0';
    return json_stringn(buf, n);
}

/* health NAME: the service's last checks, the oldest first. */
json_t *status_health_json(struct sup *s, const char *name)
{
    const struct svc *v = NULL;
    for (size_t i = 0; i < s->n && !v; i++)
        if (!strcmp(s->v[i].name, name) && s->v[i].ps)
            v = &s->v[i];
    if (!v)
        return NULL;
    json_t *o = json_pack("{s:s, s:s, s:i, s:b}", "name", v->name, "health", health_name(v), "fails",
                          (int)v->h.fails, "has_check", v->ps->hc != NULL);
    json_t *arr = json_array();
    if (!o || !arr) {
        json_decref(o);
        json_decref(arr);
        return NULL;
    }
    unsigned long first = v->h.nhist > HEALTH_KEEP ? v->h.nhist - HEALTH_KEEP : 0;
    for (unsigned long k = first; k < v->h.nhist; k++) {
        const struct health_result *r = &v->h.hist[k % HEALTH_KEEP];
        json_t *e = json_pack("{s:I, s:i, s:i, s:b, s:s}", "at_ms", (json_int_t)r->at, "took_ms", (int)r->took_ms,
                              "code", r->code, "ok", r->ok, "result", r->summary);
        if (e) {
            json_object_set_new(e, "output", printable(r->out, r->outlen));
            json_array_append_new(arr, e);
        }
    }
    json_object_set_new(o, "checks", arr);
    return o;
}

/* What it runs and where it can be reached: the image (as conf.d names
 * it, and the manifest digest its last start used), its network, its
 * address on the bridge, the ports it publishes. */
static void where(json_t *o, const struct svc *v)
{
    const struct svc_conf *c = v->ps ? v->ps->svc : NULL;
    if (c && c->image)
        json_object_set_new(o, "image", json_string(c->image));
    if (v->spec && v->spec->image && (v->has_ctr || v->generation)) {
        char d[DIGEST_STR_LEN + 1];
        digest_str(v->spec->image, d);
        json_object_set_new(o, "image_digest", json_string(d));
    }
    if (c)
        json_object_set_new(o, "network", json_string(c->host ? "host" : net_mode_name(c->network)));
    if (v->has_ctr && v->c.attached) {
        char ip[16];
        format_ipv4(v->c.addr, ip, sizeof(ip));
        json_object_set_new(o, "address", json_string(ip));
    }
    json_t *ports = json_array();
    for (size_t i = 0; c && ports && i < c->nports; i++) {
        const struct port_map *m = &c->ports[i];
        char ip[16];
        format_ipv4(m->host_ip, ip, sizeof(ip));
        json_array_append_new(ports, json_pack("{s:s, s:i, s:i, s:s}", "host_ip", ip, "host_port", (int)m->host_port,
                                               "container_port", (int)m->ctr_port, "proto",
                                               m->proto == IPPROTO_UDP ? "udp" : "tcp"));
    }
    if (ports)
        json_object_set_new(o, "ports", ports);
}

/* One service's entry, its usage u already read. */
static json_t *entry(const struct svc *v, uint64_t now, const struct svc_usage *u)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s}", "name", v->name, "state", phase_name(v->phase), "health",
                          health_name(v), "pid", v->has_ctr ? (int)v->c.pid : 0, "restarts", (int)v->restarts,
                          "waiting_for", v->phase == WAITING ? v->waiting : "");
    if (!o)
        return NULL;
    if (v->phase == RUNNING)
        json_object_set_new(o, "up_ms", json_integer((json_int_t)(now - v->started_at)));
    if (v->note[0])
        json_object_set_new(o, "note", json_string(v->note));
    json_object_set_new(o, "starts", json_integer((json_int_t)v->generation));
    if (v->h.hc && v->phase == RUNNING) {
        json_object_set_new(o, "last_check", json_string(v->h.last));
        json_object_set_new(o, "fails", json_integer((json_int_t)v->h.fails));
        json_object_set_new(o, "retries", json_integer((json_int_t)v->h.hc->retries));
        const struct health_result *r = health_latest(&v->h);
        char line[201];
        if (r && first_line(r, line, sizeof(line)))
            json_object_set_new(o, "last_output", json_string(line));
    }
    if (v->checks)
        json_object_set_new(o, "checks", json_integer((json_int_t)v->checks));
    if (v->q.dropped_total)
        json_object_set_new(o, "log_dropped", json_integer((json_int_t)v->q.dropped_total));
    if (v->ps ? v->ps->svc->host : v->c.host) /* root on the host, in no container: said */
        json_object_set_new(o, "host", json_true());
    if (v->held)
        json_object_set_new(o, "held", json_true());
    if (!v->ps)
        json_object_set_new(o, "removed", json_true());
    where(o, v);
    usage_to_json(o, u, false);
    if (v->has_ctr && v->c.missing[0])
        json_object_set_new(o, "limits_missing", json_string(v->c.missing));
    return o;
}

/* A service left out at boot for errors in its file: that, and nothing
 * else. */
static json_t *skipped_entry(const struct skipped_svc *k)
{
    char note[sizeof(k->why) + 64];
    snprintf(note, sizeof(note), "not started: %s", k->why);
    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:b}", "name", k->name, "state", phase_name(FAILED),
                     "health", "", "pid", 0, "restarts", 0, "waiting_for", "", "note", note, "conf_error", 1);
}

json_t *status_json(struct sup *s)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    uint64_t now = now_ms();
    struct usage_round ur;
    usage_begin(&ur);
    for (size_t i = 0; i < s->n; i++) {
        struct svc_usage u;
        usage_read(&ur, &s->v[i], &u);
        json_t *o = entry(&s->v[i], now, &u);
        if (o)
            json_array_append_new(arr, o);
    }
    usage_end(&ur);
    for (size_t i = 0; i < s->nskipped; i++) {
        json_t *o = skipped_entry(&s->skipped[i]);
        if (o)
            json_array_append_new(arr, o);
    }
    return arr;
}

json_t *status_entry_json(struct sup *s, const char *name, const struct svc *v, const struct svc_usage *u)
{
    if (v)
        return entry(v, now_ms(), u);
    for (size_t i = 0; i < s->nskipped; i++)
        if (!strcmp(s->skipped[i].name, name))
            return skipped_entry(&s->skipped[i]);
    return NULL;
}
