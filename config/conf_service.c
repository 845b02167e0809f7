/* conf_service.c - one service file (NAME.conf) as a whole.
 *
 * A service's defaults (svc_new), and conf_parse_service(): read the file
 * through the key table, then check what needs more than one key: a host
 * service's keys, the image, kill_mode, the name the file gives, the
 * health check's timing (conf_healthcheck.c), restart backoff, ports
 * without a bridge, mounts that land on one path, volumes on the root disk.
 * The keys themselves are in conf_process.c and conf_container.c. */
#include "conf_int.h"

#include <setjmp.h>
#include <signal.h>

#include "../lib/util.h"
#include "value.h"

/* ---------- service files ---------- */

static struct svc_conf *svc_new(struct conf *c, const char *file, const char *name)
{
    struct svc_conf *s = arena_alloc(&c->arena, sizeof(*s));
    s->file = file;
    s->name = arena_strdup(&c->arena, name);
    s->network = NET_BRIDGE;
    s->restart = RESTART_NO;
    s->stop_signal = SIGTERM;
    s->stop_timeout_ms = 10000;
    s->restart_backoff_ms = 100; /* docker's */
    s->restart_backoff_max_ms = 60000;
    s->seccomp = SECCOMP_DEFAULT;
    s->hc.interval_ms = 30000; /* docker's defaults */
    s->hc.timeout_ms = 30000;
    s->hc.retries = 3;
    s->hc.start_interval_ms = 5000;
    return s;
}

/* A host service (host = true) is a process of the host, in no container:
 * every key that shapes a container is refused at its line, saying why,
 * and the command must be written out (there is no image to give one). */
static void check_host_service(struct conf *c, struct svc_conf *s, struct src top)
{
    static const struct {
        enum conf_key k;
        const char *why;
    } container_only[] = {
        {K_IMAGE, "a host service runs a program of the host, not an image"},
        {K_ENTRYPOINT, "a host service has no image whose entrypoint this would replace; write the whole command "
                       "line in command"},
        {K_HOSTNAME, "a host service has the host's hostname ([droplet] hostname)"},
        {K_PORTS, "a host service is on the host's network and listens on the host's addresses itself; there is "
                  "nothing to publish"},
        {K_IPV4, "a host service has no address on the bridge: it is on the host's network"},
        {K_VOLUMES, "a host service sees the host's file systems as they are; there is no container root to mount "
                    "into"},
        {K_TMPFS, "a host service sees the host's file systems as they are; there is no container root to mount "
                  "into"},
        {K_READ_ONLY, "a host service's root is the host's own"},
        {K_DEVICES, "a host service has every device of the host"},
        {K_CAP_ADD, "a host service has its user's own privileges on the host (as root, all of them); there is no "
                    "capability set to change"},
        {K_CAP_DROP, "a host service has its user's own privileges on the host (as root, all of them); there is no "
                     "capability set to change"},
        {K_SECCOMP, "a host service runs without a seccomp filter"},
        {K_INIT, "a host service has no PID namespace of its own: rtinit reaps what it leaves"},
    };
    int hl = s->set[K_HOST].line;
    for (size_t i = 0; i < ARRAY_SIZE(container_only); i++)
        if (s->set[container_only[i].k].line)
            diag_error(&c->diags, s->set[container_only[i].k], conf_key_name(container_only[i].k),
                       "only for containers: %s (host = true, line %d)", container_only[i].why, hl);
    if (s->set[K_NETWORK].line && s->network != NET_HOST)
        diag_error(&c->diags, s->set[K_NETWORK], "network",
                   "only for containers: a host service is on the host's network, so only network = host fits "
                   "(host = true, line %d)",
                   hl);
    s->network = NET_HOST;
    if (!s->set[K_COMMAND].line)
        diag_error(&c->diags, top, "command",
                   "missing: a host service needs the command to run (there is no image to take one from)");
    else if (s->command.n == 0)
        diag_error(&c->diags, s->set[K_COMMAND], "command", "a host service needs a command to run; this one is empty");
}

int conf_parse_service(struct conf *c, const char *file, const char *name, const char *buf, size_t len)
{
    jmp_buf jb, *saved = c->arena.oom;
    if (ARENA_TRY(&c->arena, jb)) {
        c->arena.oom = saved;
        return -1;
    }
    const char *f = arena_strdup(&c->arena, file);
    struct svc_conf *s = svc_new(c, f, name);
    struct pctx p = {.c = c, .file = f, .svc = s, .set = s->set};
    parse_buffer(&p, buf, len);

    s->header = p.sec_at[SEC_SERVICE];
    s->hc.at = p.sec_at[SEC_HEALTHCHECK];
    struct src top = s->header.line ? s->header : (struct src){f, 1};
    if (!p.sec_at[SEC_SERVICE].line) {
        diag_error(&c->diags, (struct src){f, 1}, NULL, "no [service] section");
    } else if (s->host) {
        check_host_service(c, s, top);
    } else if (!s->set[K_IMAGE].line) {
        diag_error(&c->diags, top, "image",
                   "missing: every service needs an image (or host = true, to run a program of the host)");
    }
    if (!s->host && s->set[K_KILL_MODE].line)
        diag_error(&c->diags, s->set[K_KILL_MODE], "kill_mode",
                   "only for host services (host = true): every process of a container ends with it, when its PID "
                   "namespace does");
    if (!s->set[K_NAME].line) {
        const char *why = check_label(name, 63);
        if (why)
            diag_error(&c->diags, top, "name",
                       "the file name makes '%s' the service name, which %s; rename the file or set name =",
                       name, why);
    }
    check_healthcheck(c, s);
    if (s->restart_backoff_max_ms < s->restart_backoff_ms) {
        char a[32], b[32];
        format_duration_buf(a, sizeof(a), s->restart_backoff_max_ms);
        format_duration_buf(b, sizeof(b), s->restart_backoff_ms);
        diag_error(&c->diags, s->set[K_RESTART_BACKOFF_MAX].line ? s->set[K_RESTART_BACKOFF_MAX] : s->set[K_RESTART_BACKOFF],
                   s->set[K_RESTART_BACKOFF_MAX].line ? "restart_backoff_max" : "restart_backoff",
                   "restart_backoff_max (%s) is shorter than restart_backoff (%s)", a, b);
    }
    if (s->restart_dependents && !s->ndeps)
        diag_warn(&c->diags, s->set[K_RESTART_DEPENDENTS], "restart_dependents",
                  "%s has no depends_on, so there is nothing to follow", s->name);
    if (!s->hostname)
        s->hostname = s->name;
    if (s->nports && s->network != NET_BRIDGE && !s->host)
        diag_error(&c->diags, s->set[K_PORTS], "ports",
                   "publishing ports needs network = bridge (with network = %s there is nothing to forward to)",
                   net_mode_name(s->network));
    for (size_t i = 0; i < s->ntmpfs; i++)
        for (size_t j = 0; j < s->nvolumes; j++)
            if (streq(s->tmpfs[i].path, s->volumes[j].dst))
                diag_error(&c->diags, s->tmpfs[i].at, "tmpfs", "%s is also a volume (line %d)", s->tmpfs[i].path,
                           s->volumes[j].at.line);
    for (size_t i = 0; i < s->ndevices; i++) {
        for (size_t j = 0; j < s->nvolumes; j++)
            if (streq(s->devices[i].ctr, s->volumes[j].dst))
                diag_error(&c->diags, s->devices[i].at, "devices", "%s is also a volume (line %d)", s->devices[i].ctr,
                           s->volumes[j].at.line);
        for (size_t j = 0; j < s->ntmpfs; j++)
            if (streq(s->devices[i].ctr, s->tmpfs[j].path))
                diag_error(&c->diags, s->devices[i].at, "devices", "%s is also a tmpfs (line %d)", s->devices[i].ctr,
                           s->tmpfs[j].at.line);
    }
    if (!c->droplet.volume.device && !s->host) {
        for (size_t j = 0; j < s->nvolumes; j++) {
            if (s->volumes[j].src[0] != '/') {
                diag_warn(&c->diags, s->volumes[j].at, "volumes",
                          "'%s' is on the block volume, but droplet.conf sets no [volume] device: the data "
                          "will live on the root disk under %s",
                          s->volumes[j].src, c->droplet.volume.mountpoint);
                break;
            }
        }
    }
    if (c->nsvcs >= CONF_MAX_SERVICES) {
        diag_error(&c->diags, top, NULL, "too many services (at most %d)", CONF_MAX_SERVICES);
    } else {
        ARENA_PUSH(&c->arena, c->svcs, c->nsvcs, c->capsvcs, s);
    }
    c->arena.oom = saved;
    return 0;
}
