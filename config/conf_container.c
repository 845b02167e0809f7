/* conf_container.c - [service] keys that shape the container.
 *
 * image, entrypoint, hostname, ports, volumes, tmpfs, devices, read_only,
 * init, cap_add and cap_drop, seccomp, network and ipv4: what a container
 * is made of and how it meets the host. A host service (host = true) has
 * no container, and conf_service.c refuses these keys for it (network
 * but for network = host). */
#include "conf_int.h"

#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "ctlvol.h"
#include "device.h"
#include "../lib/fileio.h"
#include "imgvol.h"
#include "../lib/util.h"
#include "value.h"

void k_image(struct pctx *p, const char *v)
{
    const char *why = image_ref_check(v);
    if (why)
        bad(p, "'%s' is not a valid image reference: %s", v, why);
    p->svc->image = arena_strdup(A(p), v);
}

void k_entrypoint(struct pctx *p, const char *v)
{
    size_t before = p->cont ? p->svc->entrypoint.n : 0;
    set_argv(p, v, &p->svc->entrypoint);
    warn_argv_secrets(p, &p->svc->entrypoint, before);
    if (p->svc->entrypoint.n && !*p->svc->entrypoint.v[0])
        bad(p, "the program name is empty");
}

void k_hostname(struct pctx *p, const char *v)
{
    char *h = arena_strdup(A(p), v);
    const char *why = check_hostname(h);
    if (why)
        bad(p, "'%s' is not a valid hostname: %s", v, why);
    p->svc->hostname = h;
}

void k_ports(struct pctx *p, const char *v)
{
    struct port_map m = {.proto = IPPROTO_TCP, .at = p->at};
    char *s = arena_strdup(A(p), v);
    char *slash = strchr(s, '/');
    if (slash) {
        *slash = '\0';
        if (!strcasecmp(slash + 1, "udp"))
            m.proto = IPPROTO_UDP;
        else if (strcasecmp(slash + 1, "tcp")) {
            bad(p, "'%s': protocol must be tcp or udp", v);
            return;
        }
    }
    if (s[0] == '[') {
        bad(p, "'%s': IPv6 host addresses are not supported", v);
        return;
    }
    char *parts[4];
    int np = 0;
    for (char *q = s; np < 4;) {
        parts[np++] = q;
        char *c = strchr(q, ':');
        if (!c)
            break;
        *c = '\0';
        q = c + 1;
    }
    if (np == 1) {
        bad(p, "'%s': expected [HOSTIP:]HOST:CONTAINER (a random host port is not supported)", v);
        return;
    }
    if (np > 3) {
        bad(p, "'%s': expected [HOSTIP:]HOST:CONTAINER[/tcp|/udp]", v);
        return;
    }
    const char *hp = parts[np - 2], *cp = parts[np - 1];
    if (np == 3) {
        if (parse_ipv4(parts[0], &m.host_ip) < 0) {
            bad(p, "'%s': '%s' is not an IPv4 address", v, parts[0]);
            return;
        }
    }
    if (strchr(hp, '-') || strchr(cp, '-')) {
        bad(p, "'%s': port ranges are not supported; list each port", v);
        return;
    }
    if (parse_port(hp, strlen(hp), &m.host_port) < 0) {
        bad(p, "'%s': host port '%s' must be 1 to 65535", v, hp);
        return;
    }
    if (parse_port(cp, strlen(cp), &m.ctr_port) < 0) {
        bad(p, "'%s': container port '%s' must be 1 to 65535", v, cp);
        return;
    }
    struct svc_conf *svc = p->svc;
    for (size_t i = 0; i < svc->nports; i++) {
        struct port_map *o = &svc->ports[i];
        if (o->host_port == m.host_port && o->proto == m.proto &&
            (o->host_ip == m.host_ip || !o->host_ip || !m.host_ip)) {
            bad(p, "'%s': host port %u/%s is already published at line %d", v, m.host_port,
                m.proto == IPPROTO_UDP ? "udp" : "tcp", o->at.line);
            return;
        }
    }
    ARENA_PUSH(A(p), svc->ports, svc->nports, svc->capports, m);
}

void k_volumes(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    char *buf = arena_strdup(A(p), v);
    char *c1 = strchr(buf, ':');
    if (!c1) {
        bad(p, "'%s': expected SRC:DST[:ro]", v);
        return;
    }
    *c1 = '\0';
    char *dst = c1 + 1;
    char *c2 = strchr(dst, ':');
    bool ro = false;
    if (c2) {
        *c2 = '\0';
        for (char *opt = c2 + 1; opt;) {
            char *comma = strchr(opt, ',');
            if (comma)
                *comma = '\0';
            if (streq(opt, "ro"))
                ro = true;
            else if (streq(opt, "rw"))
                ro = false;
            else {
                bad(p, "'%s': unknown option '%s' (ro or rw)", v, opt);
                return;
            }
            opt = comma ? comma + 1 : NULL;
        }
    }
    if (!*buf) {
        bad(p, "'%s': empty source path", v);
        return;
    }
    if (buf[0] == '~') {
        bad(p, "'%s': '~' is not expanded; write the absolute path, or a path relative to the block volume (%s)",
            v, p->c->droplet.volume.mountpoint);
        return;
    }
    if (!*dst || dst[0] != '/') {
        bad(p, "'%s': the container path must be absolute", v);
        return;
    }
    bool esc, dd;
    const char *ndst = normalize_path(A(p), dst, &esc, &dd);
    if (dd) {
        bad(p, "'%s': '..' is not allowed in the container path", v);
        return;
    }
    if (streq(ndst, "/")) {
        bad(p, "'%s': cannot mount over the container's root", v);
        return;
    }
    const char *host;
    if (buf[0] == '/') {
        host = normalize_path(A(p), buf, &esc, &dd);
        if (dd) {
            bad(p, "'%s': '..' is not allowed in an absolute source path", v);
            return;
        }
    } else {
        const char *rel = normalize_path(A(p), buf, &esc, &dd);
        const char *base = p->c->droplet.volume.mountpoint;
        if (esc) {
            bad(p, "'%s': source escapes the block volume (%s)", v, base);
            return;
        }
        if (streq(rel, IMGVOL_DIR) || startswith(rel, IMGVOL_DIR "/")) {
            bad(p, "'%s': %s/%s holds the volumes that images declare (VOLUME), one per service and path; choose "
                   "another name",
                v, base, IMGVOL_DIR);
            return;
        }
        host = streq(rel, ".") ? base : arena_printf(A(p), "%s/%s", base, rel);
    }
    char why[2 * PATH_MAX + 32];
    if (volume_exposes_control(host, p->c->run_dir, why, sizeof(why))) {
        bad(p, "'%s': %s, the directory of rtinit's control socket: the container would get rtinit's control socket "
               "(and its root could power the droplet off); mount only the directories it needs",
            v, why);
        return;
    }
    for (size_t i = 0; i < s->nvolumes; i++) {
        if (streq(s->volumes[i].dst, ndst)) {
            bad(p, "'%s': %s is already mounted at line %d", v, ndst, s->volumes[i].at.line);
            return;
        }
    }
    struct volume vol = {arena_strdup(A(p), buf), host, ndst, ro, p->at};
    ARENA_PUSH(A(p), s->volumes, s->nvolumes, s->capvolumes, vol);
}

void k_tmpfs(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    char *buf = arena_strdup(A(p), v);
    char *colon = strchr(buf, ':');
    if (colon)
        *colon = '\0';
    if (buf[0] != '/') {
        bad(p, "'%s': the path must be absolute", v);
        return;
    }
    bool esc, dd;
    const char *path = normalize_path(A(p), buf, &esc, &dd);
    if (dd || streq(path, "/")) {
        bad(p, "'%s': %s", v, dd ? "'..' is not allowed" : "cannot mount over the container's root");
        return;
    }
    /* docker's defaults for --tmpfs: nosuid, nodev, noexec */
    unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    char data[256] = "";
    size_t dl = 0;
    for (char *opt = colon ? colon + 1 : NULL; opt && *opt;) {
        char *comma = strchr(opt, ',');
        if (comma)
            *comma = '\0';
        char *eq = strchr(opt, '=');
        const char *why = NULL;
        static const struct {
            const char *name;
            unsigned long set, clear;
        } fl[] = {
            {"noexec", MS_NOEXEC, 0}, {"exec", 0, MS_NOEXEC}, {"nosuid", MS_NOSUID, 0},
            {"suid", 0, MS_NOSUID},   {"nodev", MS_NODEV, 0}, {"dev", 0, MS_NODEV},
            {"ro", MS_RDONLY, 0},     {"rw", 0, MS_RDONLY},
        };
        bool known = false;
        for (size_t i = 0; !eq && i < ARRAY_SIZE(fl); i++) {
            if (streq(opt, fl[i].name)) {
                flags = (flags | fl[i].set) & ~fl[i].clear;
                known = true;
            }
        }
        if (!known && eq) {
            *eq = '\0';
            const char *val = eq + 1;
            if (streq(opt, "size")) {
                uint64_t b;
                size_t vl = strlen(val);
                if (vl > 1 && val[vl - 1] == '%') {
                    long long pct;
                    char tmp[8];
                    snprintf(tmp, sizeof(tmp), "%.*s", (int)(vl - 1), val);
                    if (vl > 5 || parse_int_range(tmp, 1, 100, &pct, &why) < 0)
                        why = "size percentage must be 1% to 100%";
                } else if (parse_size(val, &b, &why) == 0) {
                    if (b < 4096)
                        why = "size must be at least 4K";
                    /* The kernel reads only N[kKmMgG]; store what it reads,
                     * so "64MB" or "1.5G" mount as the check promised. */
                    val = format_size(A(p), b);
                }
                known = true;
            } else if (streq(opt, "mode")) {
                char *end;
                unsigned long m = strtoul(val, &end, 8);
                if (!*val || *end || m > 07777)
                    why = "mode must be octal, e.g. 1777";
                known = true;
            } else if (streq(opt, "uid") || streq(opt, "gid")) {
                if (!id_ok(val, strlen(val)))
                    why = "uid and gid must be numbers";
                known = true;
            } else if (streq(opt, "nr_inodes")) {
                long long n;
                if (parse_int_range(val, 1, 1LL << 40, &n, &why) < 0)
                    why = "nr_inodes must be a positive number";
                known = true;
            }
            if (known && !why) {
                int w = snprintf(data + dl, sizeof(data) - dl, "%s%s=%s", dl ? "," : "", opt, val);
                if (w < 0 || (size_t)w >= sizeof(data) - dl)
                    why = "options too long";
                else
                    dl += (size_t)w;
            }
            *eq = '=';
        }
        if (!known) {
            bad(p, "'%s': unknown tmpfs option '%s' (size, mode, uid, gid, nr_inodes, exec, suid, dev, ro)",
                v, opt);
            return;
        }
        if (why) {
            bad(p, "'%s': %s", v, why);
            return;
        }
        opt = comma ? comma + 1 : NULL;
    }
    for (size_t i = 0; i < s->ntmpfs; i++) {
        if (streq(s->tmpfs[i].path, path)) {
            bad(p, "'%s': %s is already a tmpfs at line %d", v, path, s->tmpfs[i].at.line);
            return;
        }
    }
    struct tmpfs_mount t = {path, arena_strdup(A(p), data), flags, p->at};
    ARENA_PUSH(A(p), s->tmpfs, s->ntmpfs, s->captmpfs, t);
}

/* HOST[:CONTAINER][:PERMISSIONS]. Whether HOST is a device matters on
 * the machine that runs the service, which the start checks; here only
 * a warning. */
void k_devices(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    struct device_spec d;
    const char *why;
    if (parse_device(A(p), v, &d, &why) < 0) {
        bad(p, "'%s': %s", v, why);
        return;
    }
    for (size_t i = 0; i < s->ndevices; i++) {
        if (streq(s->devices[i].ctr, d.ctr)) {
            bad(p, "'%s': %s is already a device at line %d", v, d.ctr, s->devices[i].at.line);
            return;
        }
    }
    struct stat st;
    if (stat(d.host, &st) < 0)
        warn(p, "'%s': %s %s on this machine; the service cannot start where it is missing", v, d.host,
             errno == ENOENT ? "does not exist" : strerror(errno));
    else if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
        warn(p, "'%s': %s is not a character or block device on this machine; the service cannot start with it",
             v, d.host);
    struct device_map m = {d.host, d.ctr, d.access, p->at};
    ARENA_PUSH(A(p), s->devices, s->ndevices, s->capdevices, m);
}

void k_read_only(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_bool(v, &p->svc->read_only, &why) < 0)
        bad(p, "%s", why);
}

void k_init(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_bool(v, &p->svc->init, &why) < 0)
        bad(p, "%s", why);
}

static void caps(struct pctx *p, const char *v, uint64_t *mask, bool *all)
{
    if (!strcasecmp(v, "ALL")) {
        *all = true;
        return;
    }
    int cap;
    const char *why;
    if (parse_capability(v, &cap, &why) < 0) {
        bad(p, "'%s': %s", v, why);
        return;
    }
    *mask |= 1ULL << cap;
}

void k_cap_add(struct pctx *p, const char *v)
{
    caps(p, v, &p->svc->cap_add, &p->svc->cap_add_all);
}

void k_cap_drop(struct pctx *p, const char *v)
{
    caps(p, v, &p->svc->cap_drop, &p->svc->cap_drop_all);
}

void k_seccomp(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    if (streq(v, "default")) {
        s->seccomp = SECCOMP_DEFAULT;
        return;
    }
    if (streq(v, "unconfined")) {
        s->seccomp = SECCOMP_UNCONFINED;
        return;
    }
    s->seccomp = SECCOMP_PROFILE;
    s->seccomp_profile = conf_relative(p, v);
    if (!s->seccomp_profile)
        return;
    /* Read it now so a typo in the path or the JSON shows up in
     * `config check`, not when the service is started. */
    size_t len;
    int e;
    char *text = read_small_file(A(p), s->seccomp_profile, CONF_MAX_FILE_SIZE, &len, NULL, &e);
    if (!text) {
        bad(p, "%s: %s", s->seccomp_profile, read_small_file_error(e));
        return;
    }
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        bad(p, "%s:%d: %s", s->seccomp_profile, jerr.line, jerr.text);
        return;
    }
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "defaultAction")))
        bad(p, "%s: not a seccomp profile (no \"defaultAction\")", s->seccomp_profile);
    json_decref(j);
}

void k_network(struct pctx *p, const char *v)
{
    static const char *const modes[] = {"bridge", "none", "host"};
    for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
        if (streq(v, modes[i])) {
            p->svc->network = (enum net_mode)i;
            return;
        }
    }
    bad(p, "'%s': expected bridge, none or host", v);
}

void k_ipv4(struct pctx *p, const char *v)
{
    /* inside the subnet, and no other service's: the plan checks, once
     * droplet.conf and every service are read */
    if (parse_ipv4(v, &p->svc->ipv4) < 0 || !p->svc->ipv4)
        bad(p, "'%s' is not an IPv4 address", v);
}
