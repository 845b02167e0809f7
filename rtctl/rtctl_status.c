/* rtctl status (alias ps) and rtctl inspect: the services rtinit
 * supervises, from its answers to "status" and "inspect NAME" (JSON,
 * init/status.c and init/inspect.c; docs/observe.md documents every
 * field, docs/schema/ has their JSON Schemas). --json prints rtinit's
 * answer as it is, indented; the table and the report are for people. */
#include <getopt.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/paths.h"
#include "../lib/proto.h"
#include "../lib/util.h"
#include "rtctl.h"
#include "rtctl_table.h"

static const char usage_status[] = "rtctl status [--json] [SERVICE...]";
static const char usage_inspect[] = "rtctl inspect [--json] SERVICE";

static int on_json(struct rtctl *ctl, int opt, const char *arg, void *ud)
{
    (void)ctl;
    (void)arg;
    if (opt != 'j')
        return -1;
    *(bool *)ud = true;
    return 0;
}

static const struct option json_opts[] = {{"json", no_argument, NULL, 'j'}, {0}};

/* rtinit's answer to verb (for service, or NULL), when it is JSON of the
 * kind wanted; NULL (said) with *code the exit status otherwise. */
static json_t *ask_json(struct rtctl *ctl, enum proto_verb verb, const char *service, json_type want, int *code)
{
    json_t *j = rtctl_ask_data(ctl, verb, service, false, code);
    if (j && json_typeof(j) != want) {
        log_msg(&ctl->log, LOG_ERR, "rtinit's answer to '%s' is not what rtctl expects", proto_verb_name(verb));
        json_decref(j);
        *code = EXIT_FAIL;
        return NULL;
    }
    return j;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (s)
        puts(s);
    free(s);
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static bool num(json_t *o, const char *k, json_int_t *v)
{
    json_t *j = json_object_get(o, k);
    if (!json_is_integer(j))
        return false;
    *v = json_integer_value(j);
    return true;
}

/* The note, as it always was: what the service waits for, its last
 * check, why it stopped; said first, whatever else: in no container, removed, held. */
static void note_of(json_t *o, char *note, size_t len)
{
    const char *waiting = str(o, "waiting_for"), *last = str(o, "last_check"), *why = str(o, "note"),
               *out = str(o, "last_output");
    json_int_t dropped = 0, fails = 0, retries = 0;
    num(o, "log_dropped", &dropped);
    num(o, "fails", &fails);
    num(o, "retries", &retries);
    size_t nn = 0;
    note[0] = '\0';
    /* a host service is in no container, with its user's privileges on
     * the host (root's, most often): said first, every time */
    if (json_is_true(json_object_get(o, "host")))
        nn += (size_t)snprintf(note + nn, len - nn, "on the host, in no container; ");
    if (json_is_true(json_object_get(o, "removed")))
        nn += (size_t)snprintf(note + nn, len - nn, "removed from conf.d; ");
    bool held = json_is_true(json_object_get(o, "held"));
    if (held)
        nn += (size_t)snprintf(note + nn, len - nn, "stopped by rtctl stop; ");
    if (dropped)
        nn += (size_t)snprintf(note + nn, len - nn, "%lld log lines dropped; ", (long long)dropped);
    if (nn >= len)
        nn = len - 1;
    /* a healthy service whose last check failed says so: "healthy" next
     * to "HTTP 404" alone reads as a contradiction */
    char failed[64] = "";
    if (fails && retries)
        snprintf(failed, sizeof(failed), " (failed %lld of %lld in a row)", (long long)fails, (long long)retries);
    if (waiting && *waiting)
        snprintf(note + nn, len - nn, "waiting for %s", waiting);
    else if (last)
        snprintf(note + nn, len - nn, "last check%s: %s%s%s", failed, last, out ? ": " : "", out ? out : "");
    else if (why && *why && !held)
        snprintf(note + nn, len - nn, "%s", why);
    else if (nn >= 2)
        note[nn - 2] = '\0';
}

static const char *state_colour(const char *st)
{
    if (!strcmp(st, "running"))
        return "32";
    if (!strcmp(st, "failed"))
        return "31";
    if (!strcmp(st, "exited"))
        return NULL;
    return "33"; /* on its way somewhere: waiting, starting, stopping, restarting */
}

static const char *health_colour(const char *h)
{
    return !strcmp(h, "healthy") ? "32" : !strcmp(h, "unhealthy") ? "31" : !strcmp(h, "starting") ? "33" : NULL;
}

/* 8080->80, 127.0.0.1:6379->6379, 53->53/udp; joined by commas */
static void ports_of(json_t *o, char *buf, size_t len)
{
    size_t n = 0, k;
    json_t *p;
    buf[0] = '\0';
    json_array_foreach(json_object_get(o, "ports"), k, p) {
        const char *ip = str(p, "host_ip"), *proto = str(p, "proto");
        json_int_t hp = 0, cp = 0;
        num(p, "host_port", &hp);
        num(p, "container_port", &cp);
        bool any = !ip || !strcmp(ip, "0.0.0.0");
        int w = snprintf(buf + n, len - n, "%s%s%s%lld->%lld%s", n ? "," : "", any ? "" : ip, any ? "" : ":",
                         (long long)hp, (long long)cp, proto && !strcmp(proto, "udp") ? "/udp" : "");
        if (w < 0 || (size_t)w >= len - n)
            break;
        n += (size_t)w;
    }
}

/* name@ and the first 12 hex digits of the manifest's digest */
static void image_of(json_t *o, char *buf, size_t len)
{
    const char *img = str(o, "image"), *d = str(o, "image_digest");
    buf[0] = '\0';
    if (!img)
        return;
    if (d && startswith(d, "sha256:"))
        snprintf(buf, len, "%s@%.12s", img, d + 7);
    else
        snprintf(buf, len, "%s", img);
}

enum { C_NAME, C_STATE, C_HEALTH, C_PID, C_RESTARTS, C_UPTIME, C_CPU, C_MEM, C_IMAGE, C_ADDR, C_PORTS, C_NOTE, NCOL };

static void status_row(struct tbl *t, json_t *o)
{
    if (tbl_row(t) < 0)
        return;
    const char *name = str(o, "name"), *state = str(o, "state"), *health = str(o, "health");
    state = state ? state : "?";
    json_int_t v;
    char buf[512];
    tbl_set(t, C_NAME, NULL, "%s", name ? name : "?");
    tbl_set(t, C_STATE, state_colour(state), "%s", state);
    if (health && *health)
        tbl_set(t, C_HEALTH, health_colour(health), "%s", health);
    if (num(o, "pid", &v) && v)
        tbl_set(t, C_PID, NULL, "%lld", (long long)v);
    tbl_set(t, C_RESTARTS, NULL, "%lld", num(o, "restarts", &v) ? (long long)v : 0LL);
    if (num(o, "up_ms", &v))
        tbl_set(t, C_UPTIME, NULL, "%s", fmt_duration((uint64_t)v, buf, sizeof(buf)));
    if (num(o, "cpu_usec", &v))
        tbl_set(t, C_CPU, NULL, "%s", fmt_cpu_time((uint64_t)v, buf, sizeof(buf)));
    if (num(o, "memory_bytes", &v))
        tbl_set(t, C_MEM, NULL, "%s", fmt_bytes((uint64_t)v, buf, sizeof(buf)));
    image_of(o, buf, sizeof(buf));
    if (*buf)
        tbl_set(t, C_IMAGE, NULL, "%s", buf);
    const char *addr = str(o, "address"), *net = str(o, "network");
    if (addr)
        tbl_set(t, C_ADDR, NULL, "%s", addr);
    else if (net && !strcmp(net, "host"))
        tbl_set(t, C_ADDR, NULL, "host");
    ports_of(o, buf, sizeof(buf));
    if (*buf)
        tbl_set(t, C_PORTS, NULL, "%s", buf);
    note_of(o, buf, sizeof(buf));
    tbl_set(t, C_NOTE, NULL, "%s", buf);
}

/* The entry of name (not one removed from conf.d), or NULL. */
static json_t *entry(json_t *arr, const char *name)
{
    size_t k;
    json_t *o;
    json_array_foreach(arr, k, o) {
        const char *n = str(o, "name");
        if (n && !strcmp(n, name) && !json_is_true(json_object_get(o, "removed")))
            return o;
    }
    return NULL;
}

int cmd_status(struct rtctl *ctl, int argc, char **argv)
{
    bool json = false;
    int i = rtctl_getopt(ctl, argc, argv, "j", json_opts, on_json, &json, usage_status);
    if (i < 0)
        return EXIT_USAGE;
    int code;
    json_t *arr = ask_json(ctl, PV_STATUS, NULL, JSON_ARRAY, &code);
    if (!arr)
        return code;
    /* SERVICE...: those, in the order given; one that is not there is an
     * error, and nothing is printed */
    if (i < argc) {
        json_t *some = json_array();
        for (int k = i; k < argc; k++) {
            json_t *o = entry(arr, argv[k]);
            if (!o) {
                log_msg(&ctl->log, LOG_ERR, "no service '%s' (rtctl status lists them)", argv[k]);
                json_decref(some);
                json_decref(arr);
                return EXIT_FAIL;
            }
            json_array_append(some, o);
        }
        json_decref(arr);
        arr = some;
    }
    if (json) {
        print_json(arr);
        json_decref(arr);
        return EXIT_OK;
    }
    static const char *const head[NCOL] = {"SERVICE", "STATE", "HEALTH", "PID", "RESTARTS", "UPTIME",
                                           "CPU",     "MEM",   "IMAGE",  "ADDRESS", "PORTS", "NOTE"};
    static const bool right[NCOL] = {[C_PID] = true, [C_RESTARTS] = true, [C_UPTIME] = true, [C_CPU] = true,
                                     [C_MEM] = true};
    struct tbl t;
    tbl_init(&t, tbl_colour_wanted(), head, right, NCOL);
    size_t k;
    json_t *o;
    json_array_foreach(arr, k, o)
        status_row(&t, o);
    tbl_print(&t, stdout);
    tbl_free(&t);
    json_decref(arr);
    if (i < argc)
        return EXIT_OK;
    /* an rtinit that does not know the request says nothing about it */
    json_t *confd = rtctl_ask_data(ctl, PV_CONFD, NULL, true, &code);
    if (confd && json_is_true(json_object_get(confd, "changed")))
        printf("\nconf.d has changed since the last reload (rtctl reload --dry-run shows what would change)\n");
    json_decref(confd);
    return EXIT_OK;
}

/* ---------- inspect ---------- */

static void line_kv(const char *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line_kv(const char *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%-10s ", k);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

static void print_usage_line(json_t *u)
{
    char a[32], b[32], line[512];
    json_int_t v, w;
    size_t n = 0;
    line[0] = '\0';
#define ADD(...) n += (size_t)snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0, __VA_ARGS__)
    if (num(u, "cpu_usec", &v))
        ADD("CPU %s", fmt_cpu_time((uint64_t)v, a, sizeof(a)));
    else
        ADD("CPU -");
    json_t *lim = json_object_get(u, "memory_limit");
    if (num(u, "memory_bytes", &v))
        ADD(", memory %s%s%s", fmt_bytes((uint64_t)v, a, sizeof(a)), json_is_integer(lim) ? " of " : "",
            json_is_integer(lim) ? fmt_bytes((uint64_t)json_integer_value(lim), b, sizeof(b)) : "");
    else
        ADD(", memory - (no memory controller)");
    if (num(u, "pids", &v)) {
        ADD(", %lld tasks", (long long)v);
        if (num(u, "pids_limit", &w))
            ADD(" of %lld", (long long)w);
    }
    if (num(u, "net_rx_bytes", &v) && num(u, "net_tx_bytes", &w)) {
        ADD(", network in %s", fmt_bytes((uint64_t)v, a, sizeof(a)));
        ADD(" out %s", fmt_bytes((uint64_t)w, a, sizeof(a)));
    }
    if (num(u, "blkio_read_bytes", &v) && num(u, "blkio_write_bytes", &w)) {
        ADD(", block read %s", fmt_bytes((uint64_t)v, a, sizeof(a)));
        ADD(" written %s", fmt_bytes((uint64_t)w, a, sizeof(a)));
    }
#undef ADD
    line_kv("usage", "%s", line);
}

static void print_inspect(json_t *j)
{
    json_t *st = json_object_get(j, "status"), *c = json_object_get(j, "container");
    const char *name = str(j, "name"), *health = str(st, "health");
    char note[512], buf[512];
    json_int_t v = 0;
    printf("%s: %s", name, str(st, "state") ? str(st, "state") : "?");
    if (health && *health)
        printf(", %s", health);
    if (num(st, "pid", &v) && v)
        printf(", pid %lld", (long long)v);
    if (num(st, "up_ms", &v))
        printf(", up %s", fmt_duration((uint64_t)v, buf, sizeof(buf)));
    printf(", %lld restart%s\n", num(st, "restarts", &v) ? (long long)v : 0LL, v == 1 ? "" : "s");
    note_of(st, note, sizeof(note));
    if (*note)
        line_kv("note", "%s", note);
    if (str(j, "file"))
        line_kv("file", "%s (stage %lld)", str(j, "file"), num(j, "stage", &v) ? (long long)v : 0LL);
    if (str(st, "image"))
        line_kv("image", "%s%s%s", str(st, "image"), str(st, "image_digest") ? "@" : "",
                str(st, "image_digest") ? str(st, "image_digest") : "");
    if (c) {
        const char *addr = str(c, "address");
        if (addr) {
            json_int_t prefix = 0;
            num(c, "prefix", &prefix);
            line_kv("network", "%s on %s, gateway %s, MAC %s, veth %s", addr, str(c, "bridge") ?: "?",
                    str(c, "gateway") ?: "?", str(c, "mac") ?: "?", str(c, "veth") ?: "?");
        } else {
            line_kv("network", "%s", str(st, "network") ? str(st, "network") : "-");
        }
        ports_of(st, buf, sizeof(buf));
        if (*buf)
            line_kv("ports", "%s", buf);
        if (str(c, "cgroup"))
            line_kv("cgroup", "%s", str(c, "cgroup"));
        json_t *u = json_object_get(j, "usage");
        if (u)
            print_usage_line(u);
        if (str(c, "limits_missing"))
            line_kv("limits", "not applied: %s", str(c, "limits_missing"));
        json_t *rootfs = json_object_get(c, "rootfs");
        if (rootfs)
            line_kv("root", "%lld image layers and %s%s", num(rootfs, "image_layers", &v) ? (long long)v : 0LL,
                    str(rootfs, "writable_layer") ?: "?",
                    json_is_true(json_object_get(rootfs, "read_only")) ? " (read-only)" : "");
        size_t k;
        json_t *m;
        json_array_foreach(json_object_get(c, "mounts"), k, m) {
            const char *type = str(m, "type");
            bool tmpfs = type && !strcmp(type, "tmpfs");
            if (tmpfs)
                snprintf(buf, sizeof(buf), "tmpfs %s (%s)", str(m, "destination") ?: "?", str(m, "options") ?: "");
            else
                snprintf(buf, sizeof(buf), "%s -> %s (%s%s)", str(m, "source") ?: "?", str(m, "destination") ?: "?",
                         json_is_true(json_object_get(m, "read_only")) ? "ro" : "rw",
                         json_is_true(json_object_get(m, "named_volume")) ? ", named volume" : "");
            line_kv(k ? "" : "mounts", "%s", buf);
        }
        json_array_foreach(json_object_get(c, "devices"), k, m)
            line_kv(k ? "" : "devices", "%s -> %s (%s)", str(m, "host") ?: "?", str(m, "container") ?: "?",
                    str(m, "access") ?: "?");
    }
    json_t *h = json_object_get(j, "health");
    if (h && json_is_true(json_object_get(h, "has_check"))) {
        size_t k;
        json_t *r;
        printf("\nlast health checks:\n");
        json_array_foreach(json_object_get(h, "checks"), k, r) {
            json_int_t at = 0, took = 0;
            num(r, "at_ms", &at);
            num(r, "took_ms", &took);
            time_t t = (time_t)(at / 1000);
            struct tm tm;
            char when[32] = "?";
            if (gmtime_r(&t, &tm))
                strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
            printf("  %s.%03dZ %5lldms %-4s %s\n", when, (int)(at % 1000), (long long)took,
                   json_is_true(json_object_get(r, "ok")) ? "ok" : "FAIL", str(r, "result") ?: "?");
        }
    }
    const char *conf = str(j, "config");
    if (conf) {
        printf("\nconfiguration as it runs (secret values redacted):\n");
        for (const char *p = conf; *p;) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p);
            printf("  %.*s\n", (int)len, p);
            p += len + (nl != NULL);
        }
    }
}

int cmd_inspect(struct rtctl *ctl, int argc, char **argv)
{
    bool json = false;
    int i = rtctl_getopt(ctl, argc, argv, "j", json_opts, on_json, &json, usage_inspect);
    if (i < 0)
        return EXIT_USAGE;
    if (argc - i != 1) {
        log_msg(&ctl->log, LOG_ERR, "%s\nusage: %s", i < argc ? "one service at a time" : "which service?",
                usage_inspect);
        return EXIT_USAGE;
    }
    int code;
    json_t *j = ask_json(ctl, PV_INSPECT, argv[i], JSON_OBJECT, &code);
    if (!j)
        return code;
    if (json)
        print_json(j);
    else
        print_inspect(j);
    json_decref(j);
    return EXIT_OK;
}
