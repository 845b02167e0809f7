/* rtctl run, rtctl exec: one container in the foreground, as `docker run`
 * and `crun run` do it, through the same runtime calls rtinit makes.
 *
 * rtctl stays the container's parent: stdin, stdout and stderr pass
 * straight through (the container gets our fds 0-2), the signals a user
 * sends to rtctl are forwarded to the container's process, and rtctl
 * exits with the container's status (128+N when a signal N killed it).
 * With -t the process gets a pty of the container's own devpts instead,
 * and rtctl copies bytes between it and the user's terminal
 * (rtctl_tty.c). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../images/image.h"
#include "../config/ctlvol.h"
#include "../config/envfile.h"
#include "../lib/fileio.h"
#include "../lib/paths.h"
#include "../lib/util.h"
#include "../config/conf.h"
#include "../config/value.h"
#include "../netns/ipam.h"
#include "../config/device.h"
#include "../runtime/container.h"
#include "rtctl.h"
#include "rtctl_tty.h"

static const char usage_run[] =
    "rtctl run [-i] [-t] [--rm] [--name NAME] [-u USER] [-e NAME=VALUE] [-v SRC:DST[:ro]] [--tmpfs DST]\n"
    "           [-w DIR] [--hostname NAME] [--entrypoint PROG] [--read-only] [--init] [--net bridge|none|host]\n"
    "           [--memory SIZE] [--cpus N] [--pids N] [--io-weight N] [--cap-add CAP] [--cap-drop CAP]\n"
    "           [--seccomp default|unconfined|PATH] [--device HOST[:CONTAINER][:rwm]] IMAGE [COMMAND [ARG...]]";
static const char usage_exec[] = "rtctl exec [-i] [-t] [-u USER] [-e NAME=VALUE] [-w DIR] NAME COMMAND [ARG...]";

#define MAX_ITEMS 64

struct run_opts {
    bool rm, read_only, init;
    bool interactive, tty;       /* -i, -t */
    const char *name, *user, *workdir, *hostname, *entrypoint;
    const char *env[MAX_ITEMS];
    size_t nenv;
    struct ctr_mount mounts[MAX_ITEMS];
    size_t nmounts;
    struct ctr_device devices[MAX_ITEMS];
    size_t ndevices;
    enum net_mode net;
    struct cg_limits limits;
    uint64_t cap_add, cap_drop;
    bool cap_add_all, cap_drop_all;
    enum seccomp_mode seccomp;
    const char *profile;
    struct arena *a;
};

static int bad(struct rtctl *ctl, const char *opt, const char *arg, const char *why)
{
    log_msg(&ctl->log, LOG_ERR, "%s '%s': %s", opt, arg, why);
    return -1;
}

static int add_cap(struct rtctl *ctl, const char *opt, const char *arg, uint64_t *set, bool *all)
{
    if (!strcasecmp(arg, "ALL")) {
        *all = true;
        return 0;
    }
    int cap;
    const char *why;
    if (parse_capability(arg, &cap, &why) < 0)
        return bad(ctl, opt, arg, why);
    *set |= 1ULL << cap;
    return 0;
}

/* -v SRC:DST[:ro|rw] */
static int add_volume(struct rtctl *ctl, struct run_opts *o, const char *arg)
{
    if (o->nmounts == MAX_ITEMS)
        return bad(ctl, "-v", arg, "too many mounts");
    char *s = arena_strdup(o->a, arg);
    char *dst = strchr(s, ':');
    if (!dst)
        return bad(ctl, "-v", arg, "expected SRC:DST[:ro]");
    *dst++ = '\0';
    char *mode = strchr(dst, ':');
    bool ro = false;
    if (mode) {
        *mode++ = '\0';
        if (streq(mode, "ro"))
            ro = true;
        else if (!streq(mode, "rw"))
            return bad(ctl, "-v", arg, "the mode must be ro or rw");
    }
    if (s[0] != '/' || dst[0] != '/')
        return bad(ctl, "-v", arg, "both paths must be absolute");
    struct stat st;
    if (stat(s, &st) < 0)
        return bad(ctl, "-v", arg, "the source does not exist on this host");
    bool escapes, dotdot;
    const char *src = normalize_path(o->a, s, &escapes, &dotdot);
    if (dotdot)
        return bad(ctl, "-v", arg, "'..' is not allowed in the source");
    struct rt_paths paths;
    struct rt_err err;
    char why[2 * PATH_MAX + 32];
    if (rt_paths_init(&paths, ctl->conf_dir, ctl->root, &err) < 0)
        return bad(ctl, "-v", arg, arena_strdup(o->a, err.msg));
    if (volume_exposes_control(src, paths.run_dir, why, sizeof(why))) {
        char msg[sizeof(why) + 128];
        snprintf(msg, sizeof(msg), "%s, the directory of rtinit's control socket: the container would get rtinit's "
                                   "control socket", why);
        return bad(ctl, "-v", arg, arena_strdup(o->a, msg));
    }
    o->mounts[o->nmounts++] = (struct ctr_mount){.src = src, .dst = dst, .ro = ro};
    return 0;
}

/* --device HOST[:CONTAINER][:rwm], as docker's */
static int add_device(struct rtctl *ctl, struct run_opts *o, const char *arg)
{
    if (o->ndevices == MAX_ITEMS)
        return bad(ctl, "--device", arg, "too many devices");
    struct device_spec d;
    const char *why;
    if (parse_device(o->a, arg, &d, &why) < 0)
        return bad(ctl, "--device", arg, why);
    o->devices[o->ndevices++] = (struct ctr_device){.host = d.host, .ctr = d.ctr, .access = d.access};
    return 0;
}

enum { O_RM = 1, O_NAME, O_TMPFS, O_HOSTNAME, O_ENTRY, O_RO, O_NET, O_MEM, O_CPUS, O_PIDS, O_CAPADD, O_CAPDROP,
       O_SECCOMP, O_IOW, O_DEVICE, O_INIT };

static int on_opt(struct rtctl *ctl, int opt, const char *arg, void *ud)
{
    struct run_opts *o = ud;
    const char *why;
    switch (opt) {
    case O_RM:
        o->rm = true;
        return 0;
    case 'i':
        o->interactive = true;
        return 0;
    case 't':
        o->tty = true;
        return 0;
    case O_NAME:
        o->name = arg;
        return 0;
    case 'u':
        o->user = arg;
        return 0;
    case 'w':
        if (arg[0] != '/')
            return bad(ctl, "-w", arg, "must be an absolute path");
        o->workdir = arg;
        return 0;
    case O_HOSTNAME:
        o->hostname = arg;
        return 0;
    case O_ENTRY:
        o->entrypoint = arg;
        return 0;
    case 'e': {
        const char *eq = strchr(arg, '=');
        size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
        if (!env_name_ok(arg, n))
            return bad(ctl, "-e", arg, "not a valid variable name");
        if (o->nenv == MAX_ITEMS)
            return bad(ctl, "-e", arg, "too many variables");
        /* -e NAME alone passes our value on, as docker does */
        if (!eq) {
            const char *v = getenv(arg);
            if (!v)
                return 0;
            arg = arena_printf(o->a, "%s=%s", arg, v);
        }
        o->env[o->nenv++] = arg;
        return 0;
    }
    case 'v':
        return add_volume(ctl, o, arg);
    case O_DEVICE:
        return add_device(ctl, o, arg);
    case O_TMPFS: {
        if (arg[0] != '/')
            return bad(ctl, "--tmpfs", arg, "must be an absolute path");
        if (o->nmounts == MAX_ITEMS)
            return bad(ctl, "--tmpfs", arg, "too many mounts");
        o->mounts[o->nmounts++] = (struct ctr_mount){
            .tmpfs = true, .dst = arg, .flags = MS_NOSUID | MS_NODEV, .data = "mode=1777,size=64m"};
        return 0;
    }
    case O_RO:
        o->read_only = true;
        return 0;
    case O_INIT:
        o->init = true;
        return 0;
    case O_NET:
        if (streq(arg, "none"))
            o->net = NET_NONE;
        else if (streq(arg, "host"))
            o->net = NET_HOST;
        else if (streq(arg, "bridge"))
            o->net = NET_BRIDGE;
        else
            return bad(ctl, "--net", arg, "expected bridge, none or host");
        return 0;
    case O_MEM:
        if (parse_size(arg, &o->limits.memory_max, &why) < 0)
            return bad(ctl, "--memory", arg, why);
        return 0;
    case O_CPUS:
        if (parse_decimal_milli(arg, &o->limits.cpus_milli, &why) < 0)
            return bad(ctl, "--cpus", arg, why);
        if (o->limits.cpus_milli == 0)
            return bad(ctl, "--cpus", arg, "must be more than 0");
        return 0;
    case O_PIDS: {
        long long n;
        if (parse_int_range(arg, 1, 1LL << 22, &n, &why) < 0)
            return bad(ctl, "--pids", arg, why);
        o->limits.pids_max = (uint64_t)n;
        return 0;
    }
    case O_IOW: {
        long long n;
        if (parse_int_range(arg, 1, 10000, &n, &why) < 0)
            return bad(ctl, "--io-weight", arg, why);
        o->limits.io_weight = (unsigned)n;
        return 0;
    }
    case O_CAPADD:
        return add_cap(ctl, "--cap-add", arg, &o->cap_add, &o->cap_add_all);
    case O_CAPDROP:
        return add_cap(ctl, "--cap-drop", arg, &o->cap_drop, &o->cap_drop_all);
    case O_SECCOMP:
        if (streq(arg, "default")) {
            o->seccomp = SECCOMP_DEFAULT;
        } else if (streq(arg, "unconfined")) {
            o->seccomp = SECCOMP_UNCONFINED;
        } else {
            if (access(arg, R_OK) < 0)
                return bad(ctl, "--seccomp", arg, "expected default, unconfined or a readable profile");
            o->seccomp = SECCOMP_PROFILE;
            o->profile = arg;
        }
        return 0;
    }
    return -1;
}

/* Block the signals we forward; they arrive on the returned signalfd. */
static int forward_signals(sigset_t *set)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};
    sigemptyset(set);
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
        sigaddset(set, sigs[i]);
    if (sigprocmask(SIG_BLOCK, set, NULL) < 0)
        return -1;
    return signalfd(-1, set, SFD_CLOEXEC);
}

/* Wait for the process, forwarding signals to it; its wait status. */
static int supervise(struct rtctl *ctl, struct ctr *c, int sfd, int *status)
{
    struct pollfd p[2] = {{.fd = c->pidfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
    for (;;) {
        int n = poll(p, sfd >= 0 ? 2 : 1, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            log_msg(&ctl->log, LOG_ERR, "poll: %s", strerror(errno));
            return -1;
        }
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) == sizeof(si))
                ctr_signal(c, (int)si.ssi_signo);
        }
        if (p[0].revents & (POLLIN | POLLHUP)) {
            struct rt_err err;
            if (ctr_wait(c, status, &err) < 0) {
                log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
                return -1;
            }
            return 0;
        }
    }
}

/* The fds the runtime starts the process with. -t: /dev/null for all
 * three (the pty replaces them inside the container: our terminal is
 * never passed in). Without -i, /dev/null for stdin, as docker gives:
 * a command that reads stdin must not eat the caller's (`while read s;
 * do rtctl exec "$s" ...; done <list` would run once), and -i is how to
 * pass it. */
static int tty_stdio(struct rtctl *ctl, bool tty, bool interactive, int stdio[3])
{
    stdio[0] = 0, stdio[1] = 1, stdio[2] = 2;
    if (!tty && interactive)
        return 0;
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        log_msg(&ctl->log, LOG_ERR, "/dev/null: %s", strerror(errno));
        return -1;
    }
    stdio[0] = fd;
    if (tty)
        stdio[1] = stdio[2] = fd;
    return 0;
}

/* The process runs: wait for it, through the terminal with -t. */
static int wait_process(struct rtctl *ctl, struct ctr *c, int sfd, struct tty_link *tl, int *status)
{
    if (c->tty >= 0)
        return tty_link_run(ctl, tl, c, sfd, status);
    return supervise(ctl, c, sfd, status);
}

static int exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return EXIT_FAIL;
}

/* Image env, then ours by name; PATH and HOSTNAME when missing. */
static char **make_env(struct arena *a, const struct image *img, const struct run_opts *o, const char *hostname)
{
    size_t n = 0;
    char **env = arena_alloc(a, (img->config.nenv + o->nenv + 4) * sizeof(char *));
    /* -t: TERM=xterm unless the image or -e say otherwise, as docker's */
    if (o->tty)
        env_put(a, env, &n, "TERM", 4, "xterm");
    for (size_t pass = 0; pass < 2; pass++) {
        size_t m = pass ? o->nenv : img->config.nenv;
        for (size_t i = 0; i < m; i++) {
            const char *e = pass ? o->env[i] : img->config.env[i];
            size_t klen = strcspn(e, "=");
            env_put(a, env, &n, e, klen, e[klen] ? e + klen + 1 : "");
        }
    }
    env_finish(a, env, &n, hostname);
    return env;
}

/* --net bridge: /etc/hosts names the services of the rtinit that runs,
 * as they have it (RUN/net/hosts, written by init/bridge.c), then this
 * container. Without a running rtinit, localhost and this container. A
 * snapshot: a reload that changes the services' names rewrites theirs,
 * not this one's. */
static const char *bridge_hosts(struct rtctl *ctl, struct arena *a, const struct rt_paths *paths, const char *name,
                                const char *hostname, uint32_t addr)
{
    char p[PATH_MAX + 16];
    snprintf(p, sizeof(p), "%s/net/hosts", paths->run_dir);
    size_t len = 0;
    int e = 0;
    const char *base = read_small_file(a, p, 1 << 20, &len, NULL, &e);
    if (!base && e != ENOENT)
        log_msg(&ctl->log, LOG_WARN, "%s: %s; the services' names are not in /etc/hosts", p,
                read_small_file_error(e));
    if (!base || !len || base[len - 1] != '\n' || memchr(base, '\0', len))
        base = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
    char as[32];
    format_ipv4(addr, as, sizeof(as));
    bool other = strcmp(hostname, name) != 0;
    return arena_printf(a, "%s%s\t%s%s%s\n", base, as, name, other ? " " : "", other ? hostname : "");
}

static int run_main(struct rtctl *ctl, struct run_opts *o, int argc, char **argv)
{
    struct rt_paths paths;
    struct rt_err err;
    struct store st;
    struct image img;
    struct arena *a = o->a;
    if (rt_paths_init(&paths, ctl->conf_dir, ctl->root, &err) < 0 ||
        store_open(&st, &paths, false, LOCK_SH, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        return EXIT_FAIL;
    }
    int rc = EXIT_FAIL;
    if (image_load(&st, a, argv[0], &img, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        goto out;
    }
    if (image_check_runnable(&st, &img, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        goto out;
    }
    /* Docker's rules: --entrypoint replaces the image's ENTRYPOINT and
     * drops its CMD; a COMMAND given here replaces CMD. */
    size_t nargv = 0;
    char **args = arena_alloc(a, (size_t)(argc + (int)img.config.nentrypoint + (int)img.config.ncmd + 2) *
                                     sizeof(char *));
    if (o->entrypoint)
        args[nargv++] = (char *)o->entrypoint;
    else
        for (size_t i = 0; i < img.config.nentrypoint; i++)
            args[nargv++] = img.config.entrypoint[i];
    if (argc > 1)
        for (int i = 1; i < argc; i++)
            args[nargv++] = argv[i];
    else if (!o->entrypoint)
        for (size_t i = 0; i < img.config.ncmd; i++)
            args[nargv++] = img.config.cmd[i];
    args[nargv] = NULL;
    if (nargv == 0) {
        log_msg(&ctl->log, LOG_ERR, "image %s has no ENTRYPOINT or CMD: give a command", argv[0]);
        goto out;
    }
    char name[64];
    if (o->name) {
        if (!ctr_name_ok(o->name)) {
            log_msg(&ctl->log, LOG_ERR, "--name '%s': use lowercase letters, digits and '-' (at most 63)", o->name);
            goto out;
        }
        snprintf(name, sizeof(name), "%s", o->name);
    } else {
        unsigned char r[4];
        if (getrandom(r, sizeof(r), 0) != sizeof(r)) {
            log_msg(&ctl->log, LOG_ERR, "getrandom: %s", strerror(errno));
            goto out;
        }
        snprintf(name, sizeof(name), "run-%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
    }
    const char *hostname = o->hostname ? o->hostname : name;
    struct tty_link tl;
    unsigned short rows = 0, cols = 0;
    int stdio[3];
    if (o->tty && tty_link_init(ctl, &tl, o->interactive, &rows, &cols) < 0)
        goto out;
    struct ctr_spec spec = {
        .name = name,
        .state_dir = paths.state_dir,
        .run_dir = paths.run_dir,
        .layers = img.config.diff_ids,
        .nlayers = img.config.ndiff_ids,
        .read_only = o->read_only,
        .init = o->init,
        .argv = args,
        .env = make_env(a, &img, o, hostname),
        .cwd = o->workdir ? o->workdir : img.config.workdir ? img.config.workdir : "/",
        .user = o->user ? o->user : img.config.user,
        .hostname = hostname,
        .network = o->net,
        .cap_add = o->cap_add,
        .cap_drop = o->cap_drop,
        .cap_add_all = o->cap_add_all,
        .cap_drop_all = o->cap_drop_all,
        .seccomp = o->seccomp,
        .seccomp_profile = o->profile,
        .mounts = o->mounts,
        .nmounts = o->nmounts,
        .devices = o->devices,
        .ndevices = o->ndevices,
        .limits = o->limits,
        .tty = o->tty,
        .tty_rows = rows,
        .tty_cols = cols,
    };
    /* --net bridge: conf.d's [network] (its defaults without one), and an
     * address kept under the container's name, as a service's is */
    struct ctr_net net;
    struct ipam ipam = {0};
    bool leased = false;
    char bridge[16];
    if (o->net == NET_BRIDGE) {
        struct conf *cf = conf_load(&paths, &err);
        struct conf *dflt = cf ? NULL : conf_new(&paths, &err);
        const struct conf *use = cf ? cf : dflt;
        if (!use) {
            log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
            goto out;
        }
        const struct droplet_conf *d = &use->droplet;
        /* [network] dns: the services' nameservers, ours too */
        if (d->network.ndns) {
            char *rs = arena_alloc(a, d->network.ndns * 32 + 1);
            size_t rl = 0;
            for (size_t k = 0; k < d->network.ndns; k++) {
                char as[32];
                format_ipv4(d->network.dns[k], as, sizeof(as));
                rl += (size_t)sprintf(rs + rl, "nameserver %s\n", as);
            }
            spec.resolv_conf = rs;
        }
        snprintf(bridge, sizeof(bridge), "%s", d->network.bridge);
        net.bridge = (struct net_bridge){.name = bridge,
                                         .subnet = d->network.subnet,
                                         .gateway = d->network.gateway,
                                         .prefix = d->network.prefix,
                                         .mtu = d->network.mtu};
        conf_free(cf ? cf : dflt);
        if (net_bridge_up(&net.bridge, &err) < 0 ||
            ipam_open(&ipam, paths.state_dir, net.bridge.subnet, net.bridge.prefix, net.bridge.gateway, &err) < 0 ||
            (leased = true, ipam_get(&ipam, name, 0, NULL, NULL, &net.addr, &err) < 0)) {
            log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
            if (leased)
                ipam_close(&ipam);
            goto out;
        }
        spec.net = &net;
        spec.hosts = bridge_hosts(ctl, a, &paths, name, hostname, net.addr);
    }
    if (tty_stdio(ctl, o->tty, o->interactive, stdio) < 0)
        goto out_net;
    memcpy(spec.stdio, stdio, sizeof(stdio));
    sigset_t set;
    int sfd = forward_signals(&set);
    if (sfd < 0) {
        log_msg(&ctl->log, LOG_ERR, "signalfd: %s", strerror(errno));
        if (stdio[0] > 2)
            close(stdio[0]);
        goto out_net;
    }
    struct ctr c;
    int started = ctr_start(&spec, &c, &err);
    if (stdio[0] > 2)
        close(stdio[0]);
    if (started == 0 && o->tty && c.tty < 0) {
        /* cannot happen: the child sends it before it execs */
        rt_error(&err, EINVAL, "%s: no terminal came back", name);
        ctr_signal(&c, SIGKILL);
        ctr_wait(&c, &started, &err);
        started = -1;
    }
    if (started < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        close(sfd);
        ctr_release(&c, o->rm);
        goto out_net;
    }
    /* The layers are pinned by the container's directory now (gc keeps
     * them); the store need not stay locked while it runs. */
    store_close(&st);
    if (c.missing[0])
        log_msg(&ctl->log, LOG_WARN, "%s runs without %s", name, c.missing);
    int status = 0;
    if (wait_process(ctl, &c, sfd, &tl, &status) == 0) {
        rc = exit_code(status);
        uint64_t ooms = c.has_cgroup ? cg_oom_kills(&c.cg) : 0;
        if (ooms)
            log_msg(&ctl->log, LOG_ERR, "%s: the kernel's OOM killer ended %llu process%s (memory limit reached)",
                    name, (unsigned long long)ooms, ooms == 1 ? "" : "es");
    }
    close(sfd);
    ctr_release(&c, o->rm);
out_net:
    if (leased) {
        /* a container removed at its end gives its address back */
        if (o->rm && ipam_release(&ipam, name, &err) < 0)
            log_msg(&ctl->log, LOG_WARN, "%s", err.msg);
        ipam_close(&ipam);
    }
out:
    store_close(&st);
    return rc;
}

int cmd_run(struct rtctl *ctl, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"interactive", no_argument, NULL, 'i'},
        {"tty", no_argument, NULL, 't'},
        {"rm", no_argument, NULL, O_RM},
        {"name", required_argument, NULL, O_NAME},
        {"user", required_argument, NULL, 'u'},
        {"env", required_argument, NULL, 'e'},
        {"volume", required_argument, NULL, 'v'},
        {"workdir", required_argument, NULL, 'w'},
        {"tmpfs", required_argument, NULL, O_TMPFS},
        {"hostname", required_argument, NULL, O_HOSTNAME},
        {"entrypoint", required_argument, NULL, O_ENTRY},
        {"read-only", no_argument, NULL, O_RO},
        {"init", no_argument, NULL, O_INIT},
        {"net", required_argument, NULL, O_NET},
        {"network", required_argument, NULL, O_NET},
        {"memory", required_argument, NULL, O_MEM},
        {"cpus", required_argument, NULL, O_CPUS},
        {"pids", required_argument, NULL, O_PIDS},
        {"io-weight", required_argument, NULL, O_IOW},
        {"cap-add", required_argument, NULL, O_CAPADD},
        {"cap-drop", required_argument, NULL, O_CAPDROP},
        {"seccomp", required_argument, NULL, O_SECCOMP},
        {"device", required_argument, NULL, O_DEVICE},
        {0},
    };
    struct arena a;
    arena_init(&a);
    jmp_buf jb;
    int rc;
    if (ARENA_TRY(&a, jb)) {
        log_msg(&ctl->log, LOG_ERR, "out of memory");
        rc = EXIT_FAIL;
        goto out;
    }
    struct run_opts o = {.net = NET_NONE, .a = &a};
    int i = rtctl_getopt(ctl, argc, argv, "itu:e:v:w:", longopts, on_opt, &o, usage_run);
    if (i < 0) {
        rc = EXIT_USAGE;
        goto out;
    }
    if (i >= argc) {
        log_msg(&ctl->log, LOG_ERR, "missing IMAGE\nusage: %s", usage_run);
        rc = EXIT_USAGE;
        goto out;
    }
    if (geteuid() != 0) {
        log_msg(&ctl->log, LOG_ERR, "run needs root (namespaces, mounts, cgroups)");
        rc = EXIT_FAIL;
        goto out;
    }
    rc = run_main(ctl, &o, argc - i, argv + i);
out:
    arena_free(&a);
    return rc;
}

int cmd_exec(struct rtctl *ctl, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"interactive", no_argument, NULL, 'i'},
        {"tty", no_argument, NULL, 't'},
        {"user", required_argument, NULL, 'u'},
        {"env", required_argument, NULL, 'e'},
        {"workdir", required_argument, NULL, 'w'},
        {0},
    };
    struct arena a;
    arena_init(&a);
    jmp_buf jb;
    /* run's options, of which exec takes -i, -t, -u, -e and -w */
    struct run_opts o = {.a = &a};
    /* only the arena's allocations (before sfd and stdio change) jump */
    int rc = EXIT_FAIL, sfd = -1, stdio[3] = {-1, -1, -1};
    if (ARENA_TRY(&a, jb)) {
        log_msg(&ctl->log, LOG_ERR, "out of memory");
        goto out;
    }
    int i = rtctl_getopt(ctl, argc, argv, "itu:e:w:", longopts, on_opt, &o, usage_exec);
    if (i < 0) {
        rc = EXIT_USAGE;
        goto out;
    }
    if (argc - i < 2) {
        log_msg(&ctl->log, LOG_ERR, "missing %s\nusage: %s", i == argc ? "NAME" : "COMMAND", usage_exec);
        rc = EXIT_USAGE;
        goto out;
    }
    struct rt_paths paths;
    struct rt_err err;
    if (rt_paths_init(&paths, ctl->conf_dir, ctl->root, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        goto out;
    }
    char **env = arena_alloc(&a, (o.nenv + 1) * sizeof(char *));
    memcpy(env, o.env, o.nenv * sizeof(char *));
    env[o.nenv] = NULL;
    struct tty_link tl;
    struct ctr_exec_opts eo = {.user = o.user, .cwd = o.workdir, .env = env, .tty = o.tty};
    if ((o.tty && tty_link_init(ctl, &tl, o.interactive, &eo.rows, &eo.cols) < 0) || tty_stdio(ctl, o.tty, o.interactive, stdio) < 0)
        goto out;
    sigset_t set;
    sfd = forward_signals(&set);
    struct ctr c;
    if (sfd < 0 || ctr_exec(paths.state_dir, paths.run_dir, argv[i], &eo, argv + i + 1, stdio, &c, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", sfd < 0 ? strerror(errno) : err.msg);
        goto out;
    }
    if (stdio[0] > 2) /* /dev/null: -t's, or stdin's without -i */
        close(stdio[0]);
    stdio[0] = -1;
    int status = 0;
    if (wait_process(ctl, &c, sfd, &tl, &status) == 0)
        rc = exit_code(status);
    ctr_release(&c, false);
out:
    if (sfd >= 0)
        close(sfd);
    if (stdio[0] > 2)
        close(stdio[0]);
    arena_free(&a);
    return rc;
}
