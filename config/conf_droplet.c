/* conf_droplet.c - droplet.conf: the host's own settings.
 *
 * Its sections' keys ([droplet] hostname, modules, secrets, proc_hidepid;
 * [volume]; [network]; [uplink]; [logging]), the defaults that apply when
 * droplet.conf is missing or silent, and conf_parse_droplet(), which reads
 * the file and then checks what needs two keys (the gateway in the subnet,
 * [uplink] against the bridge). */
#include "conf_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "value.h"

/* ---------- droplet.conf keys ---------- */

void k_d_hostname(struct pctx *p, const char *v)
{
    char *h = arena_strdup(A(p), v);
    const char *why = check_hostname(h);
    if (why)
        bad(p, "'%s' is not a valid hostname: %s", v, why);
    p->c->droplet.hostname = h;
}

void k_d_modules(struct pctx *p, const char *v)
{
    struct droplet_conf *d = &p->c->droplet;
    if (!*v)
        return; /* "modules =" loads nothing */
    for (const char *q = v; *q; q++) {
        if (!(isalnum((unsigned char)*q) || *q == '_' || *q == '-')) {
            bad(p, "'%s' is not a kernel module name", v);
            return;
        }
    }
    for (size_t i = 0; i < d->nmodules; i++)
        if (streq(d->modules[i], v))
            return; /* listing a module twice is harmless */
    size_t cap = d->nmodules + 1; /* modules vector has no cap field: grow exactly */
    char **nv = arena_alloc(A(p), (cap + 1) * sizeof(char *));
    if (d->nmodules)
        memcpy(nv, d->modules, d->nmodules * sizeof(char *));
    nv[d->nmodules++] = arena_strdup(A(p), v);
    d->modules = nv;
}

void k_d_secrets(struct pctx *p, const char *v)
{
    p->c->droplet.secrets = conf_relative(p, v); /* NULL after an error: nothing to read */
}

void k_d_proc_hidepid(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_bool(v, &p->c->droplet.proc_hidepid, &why) < 0)
        bad(p, "%s", why);
}

void k_v_device(struct pctx *p, const char *v)
{
    if (startswith(v, "LABEL=") || startswith(v, "UUID=") || startswith(v, "PARTUUID=") ||
        startswith(v, "PARTLABEL=")) {
        if (!strchr(v, '=')[1])
            bad(p, "'%s' names no label or UUID", v);
    } else if (!startswith(v, "/dev/")) {
        bad(p, "expected a device path under /dev, LABEL=..., UUID=..., PARTUUID=... or PARTLABEL=...");
    }
    p->c->droplet.volume.device = arena_strdup(A(p), v);
}

void k_v_fstype(struct pctx *p, const char *v)
{
    for (const char *q = v; *q; q++) {
        if (!(islower((unsigned char)*q) || isdigit((unsigned char)*q) || *q == '.' || *q == '_')) {
            bad(p, "'%s' is not a file system type (e.g. ext4, xfs)", v);
            return;
        }
    }
    p->c->droplet.volume.fstype = arena_strdup(A(p), v);
}

void k_v_mountpoint(struct pctx *p, const char *v)
{
    if (!check_abs_path(p, v, "the mountpoint"))
        return;
    bool esc;
    const char *n = normalize_path(A(p), v, &esc, NULL);
    if (streq(n, "/")) {
        bad(p, "the block volume cannot be mounted on /");
        return;
    }
    p->c->droplet.volume.mountpoint = n;
}

void k_v_options(struct pctx *p, const char *v)
{
    for (const char *q = v; *q; q++) {
        if (!(isalnum((unsigned char)*q) || strchr(",=_.-", *q))) {
            bad(p, "unexpected character '%c' in mount options", *q);
            return;
        }
    }
    p->c->droplet.volume.options = arena_strdup(A(p), v);
}

void k_v_timeout(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_duration(v, &p->c->droplet.volume.timeout_ms, &why) < 0)
        bad(p, "%s", why);
}

void k_n_bridge(struct pctx *p, const char *v)
{
    /* Linux interface names: at most 15 bytes, no '/', ':' or blanks. */
    if (strlen(v) > 15)
        bad(p, "'%s' is too long for an interface name (at most 15 characters)", v);
    else if (streq(v, ".") || streq(v, ".."))
        bad(p, "'%s' is not a valid interface name", v);
    else
        for (const char *q = v; *q; q++)
            if (*q == '/' || *q == ':' || isspace((unsigned char)*q) || !isprint((unsigned char)*q)) {
                bad(p, "'%s' is not a valid interface name", v);
                break;
            }
    p->c->droplet.network.bridge = arena_strdup(A(p), v);
}

void k_n_subnet(struct pctx *p, const char *v)
{
    const char *why;
    uint32_t net;
    int prefix;
    int r = parse_cidr(v, &net, &prefix, &why);
    p->subnet_bad = true; /* until proven good: the gateway is checked against it */
    if (r == -2) {
        char buf[16];
        format_ipv4(net, buf, sizeof(buf));
        bad(p, "host bits are set; the network is %s/%d", buf, prefix);
        return;
    }
    if (r < 0) {
        bad(p, "%s", why);
        return;
    }
    if (prefix < 8 || prefix > 29) {
        bad(p, "prefix length must be between /8 and /29");
        return;
    }
    p->subnet_bad = false;
    p->c->droplet.network.subnet = net;
    p->c->droplet.network.prefix = prefix;
}

void k_n_gateway(struct pctx *p, const char *v)
{
    if (parse_ipv4(v, &p->c->droplet.network.gateway) < 0)
        bad(p, "'%s' is not an IPv4 address", v);
}

void k_n_mtu(struct pctx *p, const char *v)
{
    const char *why;
    long long n;
    if (parse_int_range(v, 576, 65535, &n, &why) < 0)
        bad(p, "%s (576 to 65535)", why);
    else
        p->c->droplet.network.mtu = (unsigned)n;
}

void k_u_interface(struct pctx *p, const char *v)
{
    /* IFNAMSIZ - 1, and what a link name may hold */
    bool ok = *v && strlen(v) < 16 && !streq(v, ".") && !streq(v, "..");
    for (const char *q = v; ok && *q; q++)
        ok = isgraph((unsigned char)*q) && *q != '/' && *q != ':';
    if (!ok)
        bad(p, "'%s' is not a network interface name (at most 15 characters, no '/', ':' or spaces)", v);
    else
        p->c->droplet.uplink.interface = arena_strdup(A(p), v);
}

void k_u_address(struct pctx *p, const char *v)
{
    /* ADDRESS/PREFIX, host bits and all: the droplet's own address */
    const char *why;
    uint32_t net;
    int prefix;
    int r = parse_cidr(v, &net, &prefix, &why);
    if (r == -1) {
        bad(p, "%s (the droplet's address with its prefix, e.g. 203.0.113.7/24)", why);
        return;
    }
    if (prefix < 1 || prefix > 32) {
        bad(p, "prefix length must be between /1 and /32");
        return;
    }
    const char *slash = strchr(v, '/');
    char ip[32];
    snprintf(ip, sizeof(ip), "%.*s", (int)(slash - v), v);
    parse_ipv4(ip, &p->c->droplet.uplink.address);
    p->c->droplet.uplink.prefix = prefix;
}

void k_u_gateway(struct pctx *p, const char *v)
{
    if (parse_ipv4(v, &p->c->droplet.uplink.gateway) < 0)
        bad(p, "'%s' is not an IPv4 address", v);
}

/* [metrics] listen = ADDRESS:PORT. The metrics name every service and
 * say how it is doing: for the droplet's own scraper (or one reached
 * through an SSH tunnel), not for the internet; an address other than
 * loopback is taken as meant, and said. */
void k_m_listen(struct pctx *p, const char *v)
{
    const char *colon = strrchr(v, ':');
    char ip[32];
    uint32_t addr;
    char *end;
    if (!colon || (size_t)(colon - v) >= sizeof(ip)) {
        bad(p, "'%s' is not ADDRESS:PORT (e.g. 127.0.0.1:9323)", v);
        return;
    }
    snprintf(ip, sizeof(ip), "%.*s", (int)(colon - v), v);
    if (parse_ipv4(ip, &addr) < 0) {
        bad(p, "'%s' is not an IPv4 address (e.g. 127.0.0.1:9323)", ip);
        return;
    }
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || port < 1 || port > 65535 || colon[1] == '-' || colon[1] == '+') {
        bad(p, "'%s' is not a port (1-65535)", colon + 1);
        return;
    }
    p->c->droplet.metrics.addr = addr;
    p->c->droplet.metrics.port = (uint16_t)port;
    if ((addr >> 24) != 127)
        warn(p, "the metrics on %s are served to whatever can reach that address, without authentication; "
                "127.0.0.1 keeps them on the droplet (a scraper elsewhere can use an SSH tunnel)",
             addr ? ip : "every address (0.0.0.0)");
}

void k_n_dns(struct pctx *p, const char *v)
{
    struct droplet_conf *d = &p->c->droplet;
    uint32_t a;
    if (parse_ipv4(v, &a) < 0) {
        bad(p, "'%s' is not an IPv4 address", v);
        return;
    }
    for (size_t i = 0; i < d->network.ndns; i++)
        if (d->network.dns[i] == a)
            return; /* listing one twice is harmless, as for modules */
    uint32_t *nv = arena_alloc(A(p), (d->network.ndns + 1) * sizeof(uint32_t));
    if (d->network.ndns)
        memcpy(nv, d->network.dns, d->network.ndns * sizeof(uint32_t));
    nv[d->network.ndns++] = a;
    d->network.dns = nv;
}

void k_l_dir(struct pctx *p, const char *v)
{
    if (!check_abs_path(p, v, "the log directory"))
        return;
    bool esc;
    p->c->droplet.logging.dir = normalize_path(A(p), v, &esc, NULL);
}

void k_l_max_size(struct pctx *p, const char *v)
{
    const char *why;
    uint64_t b;
    if (parse_size(v, &b, &why) < 0)
        bad(p, "%s", why);
    else if (b < 64 * 1024)
        bad(p, "at least 64K");
    else
        p->c->droplet.logging.max_size = b;
}

void k_l_max_files(struct pctx *p, const char *v)
{
    const char *why;
    long long n;
    if (parse_int_range(v, 1, 1000, &n, &why) < 0)
        bad(p, "%s (1 to 1000)", why);
    else
        p->c->droplet.logging.max_files = (unsigned)n;
}

/* ---------- droplet.conf ---------- */

void droplet_defaults(struct conf *c, const struct rt_paths *paths)
{
    struct droplet_conf *d = &c->droplet;
    static const char *const mods[] = {"bridge", "veth", "overlay", "nf_tables", "nft_chain_nat",
                                       "nft_masq", "nft_nat", "nft_ct", "nft_fib_ipv4", "ext4"};
    d->hostname = "droplet";
    d->proc_hidepid = true;
    d->modules = arena_alloc(&c->arena, (ARRAY_SIZE(mods) + 1) * sizeof(char *));
    for (size_t i = 0; i < ARRAY_SIZE(mods); i++)
        d->modules[i] = (char *)mods[i];
    d->nmodules = ARRAY_SIZE(mods);
    d->volume.fstype = "ext4";
    d->volume.mountpoint = "/mnt/volume";
    d->volume.options = "defaults";
    d->volume.timeout_ms = 30000;
    d->network.bridge = "rt0";
    parse_cidr("10.88.0.0/24", &d->network.subnet, &d->network.prefix, &(const char *){NULL});
    d->network.gateway = d->network.subnet + 1;
    d->network.mtu = 1500;
    d->logging.dir = arena_strdup(&c->arena, paths->log_dir);
    d->logging.max_size = 10 * 1024 * 1024;
    d->logging.max_files = 5;
    d->uplink.interface = "eth0";
}

/* [uplink]: a gateway needs an address, on its network; and the
 * droplet's own network must not be the bridge's (its routes would
 * shadow each other). */
static void check_uplink(struct conf *c, bool subnet_bad)
{
    struct droplet_conf *d = &c->droplet;
    char a[16], g[16];
    if (d->set[K_U_GATEWAY].line && !d->set[K_U_ADDRESS].line) {
        diag_error(&c->diags, d->set[K_U_GATEWAY], "gateway", "[uplink] has a gateway but no address");
        return;
    }
    if (!d->uplink.address)
        return;
    uint32_t mask = d->uplink.prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> d->uplink.prefix);
    format_ipv4(d->uplink.address, a, sizeof(a));
    if (d->uplink.gateway && d->uplink.prefix < 32 &&
        (d->uplink.gateway & mask) != (d->uplink.address & mask)) {
        format_ipv4(d->uplink.gateway, g, sizeof(g));
        diag_error(&c->diags, d->set[K_U_GATEWAY], "gateway", "%s is not on the uplink's network (%s/%d)", g, a,
                   d->uplink.prefix);
    }
    uint32_t bmask = 0xffffffffu << (32 - d->network.prefix);
    uint32_t both = d->uplink.prefix < d->network.prefix ? mask : bmask;
    if (!subnet_bad && (d->uplink.address & both) == (d->network.subnet & both)) {
        char n[16];
        format_ipv4(d->network.subnet, n, sizeof(n));
        diag_error(&c->diags, d->set[K_U_ADDRESS], "address", "%s/%d overlaps the bridge's subnet %s/%d", a,
                   d->uplink.prefix, n, d->network.prefix);
    }
}

int conf_parse_droplet(struct conf *c, const char *file, const char *buf, size_t len)
{
    jmp_buf jb, *saved = c->arena.oom;
    if (ARENA_TRY(&c->arena, jb)) {
        c->arena.oom = saved;
        return -1;
    }
    struct droplet_conf *d = &c->droplet;
    struct pctx p = {.c = c, .file = arena_strdup(&c->arena, file), .droplet = true, .set = d->set};
    d->file = p.file;
    d->present = true;
    /* modules given in the file replace the default list */
    bool default_modules = true;
    char **defmods = d->modules;
    size_t ndef = d->nmodules;
    d->modules = NULL;
    d->nmodules = 0;
    parse_buffer(&p, buf, len);
    if (d->set[K_D_MODULES].line)
        default_modules = false;
    if (default_modules) {
        d->modules = defmods;
        d->nmodules = ndef;
    }
    /* The gateway is checked against the subnet once both are known. */
    uint32_t mask = 0xffffffffu << (32 - d->network.prefix);
    uint32_t bcast = d->network.subnet | ~mask;
    if (!d->set[K_N_GATEWAY].line) {
        d->network.gateway = d->network.subnet + 1;
    } else if (!p.subnet_bad && ((d->network.gateway & mask) != d->network.subnet ||
                                 d->network.gateway == d->network.subnet || d->network.gateway == bcast)) {
        char a[16], s[16];
        format_ipv4(d->network.gateway, a, sizeof(a));
        format_ipv4(d->network.subnet, s, sizeof(s));
        diag_error(&c->diags, d->set[K_N_GATEWAY], "gateway", "%s is not a host address in %s/%d", a, s,
                   d->network.prefix);
    }
    check_uplink(c, p.subnet_bad);
    c->arena.oom = saved;
    return 0;
}
