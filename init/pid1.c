/* pid1.c - PID 1's own duties. See pid1.h. */
#include "pid1.h"

#include <blkid/blkid.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <linux/magic.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../config/mountopts.h"
#include "../lib/util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static bool is_fs(const char *path, long magic)
{
    struct statfs sf;
    return statfs(path, &sf) == 0 && sf.f_type == magic;
}

static void mount_once(const struct logger *lg, const char *src, const char *dst, const char *type,
                       unsigned long flags, const char *data, long magic)
{
    if (is_fs(dst, magic)) {
        /* /dev/pts and /dev/shm share magics with others: check it is a
         * mount of its own, not the parent's file system */
        struct stat a, b;
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%s/..", dst);
        if (stat(dst, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev)
            return;
    }
    if (mkdir(dst, 0755) < 0 && errno != EEXIST)
        log_msg(lg, LOG_ERR, "creating %s: %s", dst, strerror(errno));
    if (mount(src, dst, type, flags, data) < 0)
        log_msg(lg, LOG_ERR, "mounting %s on %s: %s", type, dst, strerror(errno));
}

static void console(void)
{
    int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return; /* nowhere to say it */
    for (int i = 0; i < 3; i++)
        dup2(fd, i); /* dup2 clears close-on-exec on 0-2 */
    if (fd > 2)
        close(fd);
    setsid();
    /* A console that cannot take more (a serial line held by flow
     * control) must not stop PID 1: a message that would wait is dropped
     * there; LOGDIR/rtinit.log has it. Only PID 1 and its log writer use
     * these fds: services get /dev/null and pipes. */
    int fl = fcntl(1, F_GETFL);
    if (fl < 0 || fcntl(1, F_SETFL, fl | O_NONBLOCK) < 0)
        fprintf(stderr, "rtinit: warning: the console stays blocking (%s): a stalled console can hold rtinit\n",
                strerror(errno));
}

/* The host's loopback: the kernel leaves lo down (the kernel gives it
 * 127.0.0.1 once it is up). What listens on 127.0.0.1, the checks of
 * host services (sshd's tcp = 22 is localhost:22), and ports published
 * on 127.0.0.1 need it. */
static void loopback_up(const struct logger *lg)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    /* Said once: after the re-exec into the sealed copy (rtinit.c) lo is
     * up already, and so is said nothing about. */
    bool was_up = false;
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0 || (!(was_up = ifr.ifr_flags & IFF_UP) &&
                                                      (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) < 0)))
        log_msg(lg, LOG_ERR, "bringing up lo: %s; nothing on 127.0.0.1 can be reached", strerror(errno));
    else if (!was_up)
        log_msg(lg, LOG_INFO, "lo is up (127.0.0.1)");
    if (s >= 0)
        close(s);
}

void pid1_early(const struct logger *lg)
{
    const unsigned long nosuid = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (chdir("/") < 0) {
        /* cannot fail for / */
    }
    umask(022);
    mount_once(lg, "devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755", TMPFS_MAGIC);
    console();
    mount_once(lg, "proc", "/proc", "proc", nosuid, NULL, PROC_SUPER_MAGIC);
    mount_once(lg, "sysfs", "/sys", "sysfs", nosuid, NULL, SYSFS_MAGIC);
    mount_once(lg, "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", TMPFS_MAGIC);
    mount_once(lg, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666",
               DEVPTS_SUPER_MAGIC);
    mount_once(lg, "tmpfs", "/dev/shm", "tmpfs", nosuid, "mode=1777", TMPFS_MAGIC);
    mount_once(lg, "cgroup2", "/sys/fs/cgroup", "cgroup2", nosuid, "nsdelegate", CGROUP2_SUPER_MAGIC);
    /* Every controller the kernel offers, for the services' cgroups. */
    char have[512] = "", want[600] = "";
    int fd = open("/sys/fs/cgroup/cgroup.controllers", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, have, sizeof(have) - 1);
        have[n > 0 ? n : 0] = '\0';
        close(fd);
    }
    size_t w = 0;
    for (char *tok = strtok(have, " \n"); tok; tok = strtok(NULL, " \n"))
        w += (size_t)snprintf(want + w, sizeof(want) - w, "%s+%s", w ? " " : "", tok);
    fd = open("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
    if (fd >= 0 && w && write(fd, want, w) < 0)
        log_msg(lg, LOG_WARN, "enabling cgroup controllers (%s): %s", want, strerror(errno));
    if (fd >= 0)
        close(fd);
    /* Ctrl-Alt-Del: a SIGINT to us, not an immediate reboot. */
    if (reboot(RB_DISABLE_CAD) < 0)
        log_msg(lg, LOG_WARN, "reboot(RB_DISABLE_CAD): %s", strerror(errno));
    loopback_up(lg);
}

/* libkmod is opened for the boot and closed after: it pulls in the shared
 * libcrypto (for module signatures), 1.4 MB of pages that PID 1 would
 * otherwise carry for the machine's life. */
struct kmod_fns {
    void *dl;
    typeof(kmod_new) *new_ctx;
    typeof(kmod_load_resources) *load_resources;
    typeof(kmod_module_new_from_lookup) *lookup;
    typeof(kmod_list_next) *list_next;
    typeof(kmod_module_get_module) *get_module;
    typeof(kmod_module_probe_insert_module) *probe;
    typeof(kmod_module_get_name) *get_name;
    typeof(kmod_module_unref) *unref;
    typeof(kmod_module_unref_list) *unref_list;
    typeof(kmod_unref) *unref_ctx;
};

static int kmod_open(struct kmod_fns *k, const struct logger *lg)
{
    k->dl = dlopen("libkmod.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!k->dl) {
        log_msg(lg, LOG_ERR, "libkmod: %s; no module is loaded", dlerror());
        return -1;
    }
#define SYM(field, name)                                                                                     \
    if (!(*(void **)&k->field = dlsym(k->dl, name))) {                                                      \
        log_msg(lg, LOG_ERR, "libkmod: no %s; no module is loaded", name);                                  \
        dlclose(k->dl);                                                                                      \
        return -1;                                                                                           \
    }
    SYM(new_ctx, "kmod_new")
    SYM(load_resources, "kmod_load_resources")
    SYM(lookup, "kmod_module_new_from_lookup")
    SYM(list_next, "kmod_list_next")
    SYM(get_module, "kmod_module_get_module")
    SYM(probe, "kmod_module_probe_insert_module")
    SYM(get_name, "kmod_module_get_name")
    SYM(unref, "kmod_module_unref")
    SYM(unref_list, "kmod_module_unref_list")
    SYM(unref_ctx, "kmod_unref")
#undef SYM
    return 0;
}

static void load_modules(const struct droplet_conf *d, const struct logger *lg)
{
    if (!d->nmodules)
        return;
    struct kmod_fns k;
    if (kmod_open(&k, lg) < 0)
        return;
    struct kmod_ctx *ctx = k.new_ctx(NULL, NULL);
    if (!ctx) {
        log_msg(lg, LOG_ERR, "libkmod: cannot start; no module is loaded");
        dlclose(k.dl);
        return;
    }
    k.load_resources(ctx);
    char done[512] = "";
    size_t dl = 0;
    for (size_t i = 0; i < d->nmodules; i++) {
        struct kmod_list *list = NULL;
        int r = k.lookup(ctx, d->modules[i], &list);
        if (r < 0 || !list) {
            log_msg(lg, LOG_ERR, "module %s: not found for this kernel", d->modules[i]);
            continue;
        }
        for (struct kmod_list *it = list; it; it = k.list_next(list, it)) {
            struct kmod_module *m = k.get_module(it);
            r = k.probe(m, KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL, NULL, NULL);
            if (r < 0)
                log_msg(lg, LOG_ERR, "module %s: %s", k.get_name(m), strerror(-r));
            else if (dl < sizeof(done))
                dl += (size_t)snprintf(done + dl, sizeof(done) - dl, " %s", k.get_name(m));
            k.unref(m);
        }
        k.unref_list(list);
    }
    k.unref_ctx(ctx);
    dlclose(k.dl);
    if (dl)
        log_msg(lg, LOG_INFO, "kernel modules loaded:%s", done);
}

/* The volume's device: a path, LABEL= or UUID=, waited for up to the
 * configured time (a cloud volume may attach after the kernel boots). */
/* Without a block volume, the named volumes live on the root disk: the
 * mount point is bound onto itself nosuid and nodev, as the block volume
 * is mounted, so that a setuid binary or a device node a container leaves
 * in a volume is nothing on the host. */
static void bind_volume_root(const struct droplet_conf *d, const struct logger *lg)
{
    if (mkdir(d->volume.mountpoint, 0700) < 0 && errno != EEXIST) {
        log_msg(lg, LOG_ERR, "creating %s: %s", d->volume.mountpoint, strerror(errno));
        return;
    }
    if (mount(d->volume.mountpoint, d->volume.mountpoint, NULL, MS_BIND, NULL) < 0 ||
        mount(NULL, d->volume.mountpoint, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV, NULL) < 0)
        log_msg(lg, LOG_ERR, "making %s nosuid and nodev: %s", d->volume.mountpoint, strerror(errno));
}

/* Only root may go into the volume: services reach their volumes through
 * bind mounts, which need no way in from above; local users could
 * otherwise read the services' data. */
static void close_volume_root(const struct droplet_conf *d, const struct logger *lg)
{
    if (chmod(d->volume.mountpoint, 0700) < 0)
        log_msg(lg, LOG_ERR, "chmod 0700 %s: %s", d->volume.mountpoint, strerror(errno));
}

static void mount_volume(const struct droplet_conf *d, const struct logger *lg)
{
    if (!d->volume.device) {
        bind_volume_root(d, lg);
        close_volume_root(d, lg);
        return;
    }
    char *dev = NULL;
    uint64_t waited = 0, limit = d->volume.timeout_ms ? d->volume.timeout_ms : 30000;
    for (;;) {
        if (d->volume.device[0] == '/') {
            if (access(d->volume.device, F_OK) == 0)
                dev = strdup(d->volume.device);
        } else {
            blkid_cache cache = NULL;
            if (blkid_get_cache(&cache, "/dev/null") == 0) {
                dev = blkid_evaluate_tag(d->volume.device, NULL, &cache);
                blkid_put_cache(cache);
            }
        }
        if (dev || waited >= limit)
            break;
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL); /* boot, before the loop: nothing else to serve yet */
        waited += 100;
    }
    if (!dev) {
        log_msg(lg, LOG_ERR, "block volume %s did not appear in %llu ms; services that use it will fail",
                d->volume.device, (unsigned long long)limit);
        return;
    }
    if (mkdir(d->volume.mountpoint, 0755) < 0 && errno != EEXIST)
        log_msg(lg, LOG_ERR, "creating %s: %s", d->volume.mountpoint, strerror(errno));
    /* fstab's words (defaults, noatime...) are flags for mount(2), not
     * the file system's: ext4 refuses them as data (mountopts.h). The
     * volume holds data, never programs or devices for the host: nosuid
     * and nodev whatever the options say. */
    unsigned long flags = 0;
    char data[512];
    const char *why = NULL;
    if (mountopts_split(d->volume.options, &flags, data, sizeof(data), &why) < 0)
        log_msg(lg, LOG_ERR, "block volume %s: options: %s; not mounted", d->volume.device, why);
    else if (mount(dev, d->volume.mountpoint, d->volume.fstype ? d->volume.fstype : "ext4",
              flags | MS_NOSUID | MS_NODEV, data[0] ? data : NULL) < 0)
        log_msg(lg, LOG_ERR, "mounting the block volume %s (%s) on %s: %s", d->volume.device, dev,
                d->volume.mountpoint, strerror(errno));
    else
        log_msg(lg, LOG_INFO, "block volume %s (%s) mounted on %s", d->volume.device, dev, d->volume.mountpoint);
    close_volume_root(d, lg);
    free(dev);
}

/* Is /proc mounted with hidepid=invisible (hidepid=2 before Linux 5.8)?
 * From its super options in mountinfo, as the kernel shows them. */
static bool proc_hidden(void)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return false;
    char *line = NULL;
    size_t cap = 0;
    bool hidden = false;
    while (!hidden && getline(&line, &cap, f) > 0) {
        char mnt[256];
        const char *sep = strstr(line, " - ");
        if (!sep || sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1 || strcmp(mnt, "/proc"))
            continue;
        hidden = strstr(sep, ",hidepid=invisible") || strstr(sep, ",hidepid=2");
    }
    free(line);
    fclose(f);
    return hidden;
}

/* [droplet] proc_hidepid: users other than root see only their own
 * processes in /proc, so not the arguments of others' (a password on a
 * command line). rtinit, root, still sees every process; each service
 * has its own PID namespace and /proc, which this does not change. A
 * remount of /proc, however it was mounted (by pid1_early or by the
 * initramfs), keeping its flags. */
static void proc_hidepid(const struct logger *lg)
{
    static const char *const opts[] = {"hidepid=invisible", "hidepid=2"}; /* the name is Linux 5.8's */
    unsigned long flags = MS_REMOUNT;
    struct statvfs sv;
    if (statvfs("/proc", &sv) == 0)
        flags |= (sv.f_flag & ST_RDONLY ? MS_RDONLY : 0) | (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) |
                 (sv.f_flag & ST_NODEV ? MS_NODEV : 0) | (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
    int err = 0;
    size_t i;
    for (i = 0; i < ARRAY_SIZE(opts); i++) {
        if (mount(NULL, "/proc", NULL, flags, opts[i]) == 0)
            break;
        err = errno;
    }
    if (i == ARRAY_SIZE(opts))
        log_msg(lg, LOG_ERR, "remounting /proc with hidepid: %s; every user sees every process", strerror(err));
    else if (!proc_hidden())
        log_msg(lg, LOG_ERR, "/proc was remounted with %s but does not show it; every user may see every process",
                opts[i]);
    else
        log_msg(lg, LOG_INFO, "/proc mounted with %s: users other than root see only their own processes", opts[i]);
}

void pid1_system(const struct conf *c, const struct logger *lg)
{
    /* on unless droplet.conf says no, even when conf.d cannot be read */
    if (!c || c->droplet.proc_hidepid)
        proc_hidepid(lg);
    if (!c)
        return;
    const struct droplet_conf *d = &c->droplet;
    if (d->hostname && sethostname(d->hostname, strlen(d->hostname)) < 0)
        log_msg(lg, LOG_ERR, "sethostname %s: %s", d->hostname, strerror(errno));
    load_modules(d, lg);
    pid1_uplink(d, lg);
    mount_volume(d, lg);
}

/* Every process but us: SIGTERM, a moment, then SIGKILL; reaped. */
static void kill_all(void)
{
    kill(-1, SIGTERM);
    for (int i = 0; i < 20; i++) { /* up to 2 s */
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (kill(-1, 0) < 0 && errno == ESRCH)
            break;
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
    }
    kill(-1, SIGKILL);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

void pid1_end(enum pid1_end how, const struct conf *c, const struct logger *lg)
{
    static const char *const what[] = {"powering off", "rebooting", "halting"};
    kill_all();
    sync();
    if (c && c->droplet.volume.device && umount2(c->droplet.volume.mountpoint, 0) < 0 &&
        mount(NULL, c->droplet.volume.mountpoint, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0 && errno != EINVAL)
        log_msg(lg, LOG_ERR, "unmounting the block volume: %s", strerror(errno));
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
        log_msg(lg, LOG_WARN, "remounting / read-only: %s", strerror(errno));
    sync();
    log_msg(lg, LOG_INFO, "%s", what[how]);
    int cmd = how == PID1_REBOOT ? RB_AUTOBOOT : how == PID1_HALT ? RB_HALT_SYSTEM : RB_POWER_OFF;
    reboot(cmd);
    /* reboot(2) only returns on failure; PID 1 must not exit */
    log_msg(lg, LOG_ERR, "reboot(2): %s; waiting forever", strerror(errno));
    for (;;)
        pause();
}
