/* container.c - launching a container and entering one. See container.h.
 *
 * The child side runs between clone3() and execve(). It allocates nothing:
 * everything it needs (overlay options, capability sets, the compiled
 * seccomp program, buffers for /etc/passwd) is prepared by the parent,
 * and it reports failures as text over the sync socket, then _exit()s.
 * Its root is built by rootfs.c, its last steps are in child.c, and
 * entering a running container is exec.c. */
#include "container.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../images/store.h"
#include "../lib/fileio.h"
#include "../lib/paths.h"
#include "../lib/rmtree.h"
#include "../lib/util.h"
#include "seccomp.h"
#include "user.h"

#include "child.h"
#include "devices.h"

/* ---------- the child ---------- */

/* How long a start spends removing old writable layers before it goes on
 * (what is left waits for the next start): well inside rtinit's 60 s for
 * a start, and never the loop's time, since the child does it. */
#define TRASH_BUDGET_NS (20ull * 1000000000ull)

/* What prepare_dir put aside: the previous start's writable layer, and
 * what an earlier start left of older ones. Removed here, in the child,
 * so that rtinit's loop never waits on it; before anything of the new
 * container exists. Never fatal: a layer that cannot be removed (or not
 * in time) stays in trash/ for the next start to go on with. */
static void clear_trash(struct child *ch)
{
    char p[PATH_MAX + 16];
    snprintf(p, sizeof(p), "%s/trash", ch->dir);
    int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    rmtree_contents(fd, rmtree_now_ns() + TRASH_BUDGET_NS);
    close(fd);
}

static void lo_up(struct child *ch)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        die(ch, "bringing up lo:");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        die(ch, "bringing up lo:");
    close(s);
}

static __attribute__((noreturn)) void child_main(struct child *ch)
{
    const struct ctr_spec *s = ch->s;
    child_begin(ch, s->stdio);

    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        die(ch, "making mounts private:");
    if (s->fresh_layer)
        clear_trash(ch);
    if (chdir(ch->layers) < 0)
        die(ch, "%s:", ch->layers);
    if (mount("overlay", ch->rootfs, "overlay", MS_NODEV, ch->overlay) < 0)
        die(ch, "mounting the root file system (overlay):");
    int rootfd = open(ch->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        die(ch, "%s:", ch->rootfs);
    make_proc_sys(ch, rootfd);
    make_dev(ch, rootfd);
    make_mounts(ch, rootfd);

    /* The new root; the old one is detached, nothing of the host is left. */
    if (fchdir(rootfd) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        die(ch, "pivot_root:");
    close(rootfd);
    if (s->read_only && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NODEV, NULL) < 0)
        die(ch, "making the root read-only:");
    if (sethostname(s->hostname, strlen(s->hostname)) < 0)
        die(ch, "sethostname:");
    if (s->network != NET_HOST)
        lo_up(ch);
    /* -t: a pty of the container's devpts, mounted above (pty.c); we are
     * the session's leader (child_begin) */
    if (s->tty) {
        pty_make(ch, s->tty_rows, s->tty_cols);
        if (pty_take() < 0)
            die(ch, "making the terminal the controlling one:");
    }

    become_ready(ch, s->user, s->cwd, s->rlimits, s->nrlimits);
    become_exec(ch, s->argv, true);
}

/* ---------- the parent ---------- */

void child_free(struct child *ch)
{
    if (!ch)
        return;
    if (ch->caps_root)
        cap_free(ch->caps_root);
    if (ch->caps_user)
        cap_free(ch->caps_user);
    seccomp_prog_free(&ch->prog);
    free(ch->passwd);
    free(ch->group);
    free(ch->env);
    free(ch->devs);
    free(ch->guards);
    free(ch->initargv);
    if (ch->initfd >= 0)
        close(ch->initfd);
    free(ch);
}

bool ctr_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 63 || name[0] == '-' || name[n - 1] == '-')
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    return true;
}

uint64_t ctr_caps(const struct ctr_spec *s)
{
    uint64_t all = ~0ULL >> (63 - CAP_LAST_CAP);
    uint64_t caps = s->cap_drop_all ? 0 : CTR_DEFAULT_CAPS & ~s->cap_drop;
    caps |= s->cap_add_all ? all : s->cap_add;
    return caps & all;
}

cap_t make_caps(uint64_t permitted, uint64_t inheritable)
{
    cap_t c = cap_init();
    if (!c)
        return NULL;
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
        cap_value_t v = cap;
        if (permitted & (1ULL << cap)) {
            cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET);
            cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET);
        }
        /* Only what must become ambient; otherwise empty (the
         * CVE-2022-29162 class). */
        if (inheritable & (1ULL << cap))
            cap_set_flag(c, CAP_INHERITABLE, 1, &v, CAP_SET);
    }
    return c;
}

static int write_file(const char *dir, const char *name, const char *text, struct rt_err *err)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return rt_syserror(err, "%s", p);
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) {
        close(fd);
        return rt_syserror(err, "writing %s", p);
    }
    close(fd);
    return 0;
}

/* Write text to dir/name, whole or not at all. */
static int write_file_in(const char *dir, const char *name, const char *text, struct rt_err *err)
{
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return rt_syserror(err, "%s", dir);
    return write_file_atomic(fd, name, text, strlen(text), err);
}

/* The layers the container is made of, one diff_id per line: `image gc`
 * keeps them while the container's directory exists. A restart from the
 * same image finds them written already. */
static int write_pins(const struct ctr_spec *s, const char *dir, struct rt_err *err)
{
    size_t len = s->nlayers * (DIGEST_HEX_LEN + 1);
    char *text = malloc(len + 1), *old = malloc(len + 2);
    if (!text || !old) {
        free(text);
        free(old);
        return rt_error(err, ENOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < s->nlayers; i++) {
        digest_hex(&s->layers[i], text + n);
        n += DIGEST_HEX_LEN;
        text[n++] = '\n';
    }
    text[n] = '\0';
    char p[PATH_MAX + 16];
    snprintf(p, sizeof(p), "%s/layers", dir);
    ssize_t k = -1;
    int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
        k = read(fd, old, len + 1);
        close(fd);
    }
    int r = k == (ssize_t)len && memcmp(old, text, len) == 0 ? 0 : write_file_in(dir, "layers", text, err);
    free(text);
    free(old);
    return r;
}

bool ctr_layers_pinned(const struct ctr_spec *s)
{
    char p[PATH_MAX];
    if ((size_t)snprintf(p, sizeof(p), "%s/containers/%s/layers", s->state_dir, s->name) >= sizeof(p))
        return false;
    size_t len = s->nlayers * (DIGEST_HEX_LEN + 1);
    char *want = malloc(len + 1), *have = malloc(len + 2);
    bool same = false;
    int fd = want && have ? open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    if (fd >= 0) {
        size_t n = 0;
        for (size_t i = 0; i < s->nlayers; i++) {
            digest_hex(&s->layers[i], want + n);
            n += DIGEST_HEX_LEN;
            want[n++] = '\n';
        }
        ssize_t k = read(fd, have, len + 1);
        same = k == (ssize_t)len && memcmp(want, have, len) == 0;
        close(fd);
    }
    free(want);
    free(have);
    return same;
}

/* Take the container's lock, RUN/containers/<name>/lock: one process runs
 * a container at a time (they would share its upper directory). The lock
 * goes with our process, whatever ends it; the file it is on must still
 * be the one at that path (a process that just released it may have
 * removed it). */
static int take_lock(const char *rdir, const char *name, struct ctr *c, struct rt_err *err)
{
    char p[PATH_MAX + 16];
    snprintf(p, sizeof(p), "%s/lock", rdir);
    for (int tries = 0; tries < 10; tries++) {
        c->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (c->lockfd < 0)
            return rt_syserror(err, "%s", p);
        if (flock(c->lockfd, LOCK_EX | LOCK_NB) < 0) {
            if (errno == EWOULDBLOCK)
                return rt_error(err, EBUSY, "container %s is already running", name);
            return rt_syserror(err, "locking %s", p);
        }
        struct stat a, b;
        if (fstat(c->lockfd, &a) == 0 && stat(p, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
            return 0;
        close(c->lockfd); /* removed under us: again */
        c->lockfd = -1;
    }
    return rt_error(err, EAGAIN, "%s: cannot take the lock", p);
}

/* A fresh writable layer: the previous one (upper/ and work/) goes into
 * trash/ by one rename each, so that this part, in rtinit's loop, costs
 * the same whatever the container left there; the child empties trash/
 * (clear_trash). A container may have made its root immutable: the flag
 * is cleared once. */
static int layer_aside(const char *dir, struct rt_err *err)
{
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return rt_syserror(err, "%s", dir);
    if (mkdirat(dfd, "trash", 0700) < 0 && errno != EEXIST)
        return rt_syserror(err, "creating %s/trash", dir);
    _cleanup_close_ int tfd = openat(dfd, "trash", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tfd < 0)
        return rt_syserror(err, "%s/trash", dir);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    static const char *const subs[] = {"upper", "work"};
    for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
        bool cleared = false;
        for (unsigned n = 0;; n++) {
            char name[96];
            snprintf(name, sizeof(name), "%s.%lld.%09ld.%u", subs[i], (long long)ts.tv_sec, ts.tv_nsec, n);
            if (renameat2(dfd, subs[i], tfd, name, RENAME_NOREPLACE) == 0 || errno == ENOENT)
                break;
            if (errno == EEXIST && n < 100)
                continue;
            if (errno == EPERM && !cleared && rmtree_clear_flags(dfd, subs[i]) == 0) {
                cleared = true;
                continue;
            }
            return rt_syserror(err, "moving the previous writable layer %s/%s aside", dir, subs[i]);
        }
    }
    return 0;
}

/* The container's two directories. What must outlive the process (the
 * writable layer: until --rm for rtctl run, until the next start for a
 * service; and the list of image layers it stands on, which keeps
 * `image gc` off them) is under STATE; what describes the running process
 * (its lock, state.json, the files bound on /etc, the mount point) is
 * under RUN, a tmpfs on the droplet, gone at reboot like the process. */
static int prepare_dir(const struct ctr_spec *s, struct child *ch, struct ctr *c, struct rt_err *err)
{
    if ((size_t)snprintf(ch->dir, sizeof(ch->dir), "%s/containers/%s", s->state_dir, s->name) >= sizeof(ch->dir) - 32 ||
        (size_t)snprintf(ch->rdir, sizeof(ch->rdir), "%s/containers/%s", s->run_dir, s->name) >= sizeof(ch->rdir) - 32)
        return rt_error(err, ENAMETOOLONG, "container %s: path too long", s->name);
    char p[PATH_MAX + 16];
    if (mkdir_p(ch->rdir, 0700, err) < 0 || take_lock(ch->rdir, s->name, c, err) < 0)
        return -1;
    /* ours from here: ctr_release may remove them */
    snprintf(c->rdir, sizeof(c->rdir), "%s", ch->rdir);
    snprintf(c->dir, sizeof(c->dir), "%s", ch->dir);
    if (mkdir_p(ch->dir, 0700, err) < 0 || write_pins(s, ch->dir, err) < 0 ||
        (s->fresh_layer && layer_aside(ch->dir, err) < 0))
        return -1;
    static const char *const subs[] = {"upper", "work"}, *const rsubs[] = {"rootfs", "etc", "empty"};
    for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
        snprintf(p, sizeof(p), "%s/%s", ch->dir, subs[i]);
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            return rt_syserror(err, "creating %s", p);
    }
    for (size_t i = 0; i < ARRAY_SIZE(rsubs); i++) {
        snprintf(p, sizeof(p), "%s/%s", ch->rdir, rsubs[i]);
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            return rt_syserror(err, "creating %s", p);
    }
    char hosts[1024];
    snprintf(hosts, sizeof(hosts), "127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost ip6-loopback\n", s->hostname);
    char hn[128];
    snprintf(hn, sizeof(hn), "%s\n", s->hostname);
    if (write_file(ch->rdir, "etc/hosts", s->hosts ? s->hosts : hosts, err) < 0 ||
        write_file(ch->rdir, "etc/hostname", hn, err) < 0)
        return -1;
    if (s->resolv_conf)
        return write_file(ch->rdir, "etc/resolv.conf", s->resolv_conf, err);
    /* the host's, as it is now */
    char buf[8192] = "";
    int fd = open("/etc/resolv.conf", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = '\0';
        close(fd);
    }
    return write_file(ch->rdir, "etc/resolv.conf", buf, err);
}

static int overlay_options(const struct ctr_spec *s, struct child *ch, struct rt_err *err)
{
    if ((size_t)snprintf(ch->layers, sizeof(ch->layers), "%s/images/layers", s->state_dir) >= sizeof(ch->layers) ||
        (size_t)snprintf(ch->rootfs, sizeof(ch->rootfs), "%s/rootfs", ch->rdir) >= sizeof(ch->rootfs))
        return rt_error(err, ENAMETOOLONG, "%s: path too long", ch->dir);
    size_t n = 0;
    int w = snprintf(ch->overlay, sizeof(ch->overlay), "lowerdir=");
    n = (size_t)w;
    /* top first; the empty directory at the bottom keeps a one-layer or
     * zero-layer image an overlay too */
    for (size_t i = s->nlayers; i-- > 0;) {
        char hex[DIGEST_HEX_LEN + 1];
        digest_hex(&s->layers[i], hex);
        w = snprintf(ch->overlay + n, sizeof(ch->overlay) - n, "%s/fs:", hex);
        if (w < 0 || (size_t)w >= sizeof(ch->overlay) - n)
            return rt_error(err, E2BIG, "too many layers for one overlay mount");
        n += (size_t)w;
    }
    w = snprintf(ch->overlay + n, sizeof(ch->overlay) - n, "%s/empty,upperdir=%s/upper,workdir=%s/work", ch->rdir,
                 ch->dir, ch->dir);
    if (w < 0 || (size_t)w >= sizeof(ch->overlay) - n || n + (size_t)w >= 4000)
        return rt_error(err, E2BIG, "too many layers for one overlay mount");
    return 0;
}

/* The process's start time in clock ticks since boot (/proc/PID/stat,
 * field 22): with the pid, it names one process, never a reused pid. */
unsigned long long proc_starttime(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    char *p = strrchr(buf, ')'); /* comm may hold blanks and parens */
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* What `exec` needs to join the container, in RUN/containers/<name>. */
static int write_state(const struct ctr_spec *s, const struct ctr *c, uint64_t caps, struct rt_err *err)
{
    json_t *env = json_array();
    for (size_t i = 0; s->env && s->env[i]; i++)
        json_array_append_new(env, json_string(s->env[i]));
    /* the service's ulimits, for exec'd processes too: [resource, soft,
     * hard], -1 for unlimited */
    json_t *rl = json_array();
    for (size_t i = 0; i < s->nrlimits; i++)
        json_array_append_new(rl, json_pack("[i, I, I]", s->rlimits[i].resource,
                                            s->rlimits[i].soft == UNLIMITED ? (json_int_t)-1 : (json_int_t)s->rlimits[i].soft,
                                            s->rlimits[i].hard == UNLIMITED ? (json_int_t)-1 : (json_int_t)s->rlimits[i].hard));
    json_t *st = json_pack("{s:s, s:i, s:I, s:s*, s:s, s:o, s:o, s:I, s:I, s:b, s:i, s:s*, s:s*}", /* */
                           "name", s->name, "pid", (int)c->pid, "starttime", (json_int_t)proc_starttime(c->pid),
                           "user", s->user, "cwd", s->cwd, "env", env, "rlimits", rl, "caps", (json_int_t)caps, "cap_add",
                           (json_int_t)s->cap_add, "cap_add_all", s->cap_add_all, "seccomp", (int)s->seccomp,
                           "seccomp_profile", s->seccomp_profile, "cgroup", c->has_cgroup ? c->cg.path : NULL);
    char *text = st ? json_dumps(st, JSON_COMPACT) : NULL;
    json_decref(st);
    if (!text)
        return rt_error(err, ENOMEM, "out of memory");
    int r = write_file_in(c->rdir, "state.json", text, err);
    free(text);
    return r;
}

int compile_seccomp(const char *state_dir, enum seccomp_mode mode, const char *profile, uint64_t caps,
                           struct seccomp_prog *p, struct rt_err *err)
{
    memset(p, 0, sizeof(*p));
    if (mode == SECCOMP_UNCONFINED)
        return 0;
    char cache[PATH_MAX];
    snprintf(cache, sizeof(cache), "%s/seccomp", state_dir);
    return seccomp_compile(mode == SECCOMP_PROFILE ? profile : NULL, caps, cache, p, err);
}

static int attach(const struct ctr_spec *s, struct ctr *c, struct rt_err *err)
{
    char p[64];
    snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)c->pid);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rt_syserror(err, "%s", p);
    int r = net_attach(&s->net->bridge, s->name, fd, s->net->addr, err);
    close(fd);
    c->attached = r == 0;
    snprintf(c->bridge, sizeof(c->bridge), "%s", s->net->bridge.name);
    c->addr = s->net->addr;
    return r;
}

/* Only what this process may still hold can be given: a capability named
 * in cap_add outside our bounding set is refused by name; ALL and the
 * defaults are cut down to it. */
static int in_bounding_set(const struct ctr_spec *s, uint64_t *caps, struct rt_err *err)
{
    uint64_t bound = 0;
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
            bound |= 1ULL << cap;
    uint64_t missing = s->cap_add_all ? 0 : s->cap_add & ~bound;
    for (int cap = 0; missing && cap <= 63; cap++) {
        if (!(missing & (1ULL << cap)))
            continue;
        char *n = cap_to_name(cap), name[64];
        snprintf(name, sizeof(name), "%s", n && startswith(n, "cap_") ? n + 4 : n ? n : "?");
        cap_free(n);
        for (char *c = name; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        return rt_error(err, EPERM,
                        "capability %s is not in this host's bounding set (rtctl or rtinit runs without it), so no "
                        "container can be given it; remove it from cap_add",
                        name);
    }
    *caps &= bound;
    return 0;
}

/* Host devices the spec passes through: each must be a device node now;
 * the child makes the same node in the container's /dev, and the cgroup's
 * device program (devices.c) allows exactly those besides the defaults. */
static int devices(const struct ctr_spec *s, struct child *ch, struct ctr *c, struct rt_err *err)
{
    struct dev_rule *rules = NULL;
    if (s->ndevices) {
        rules = calloc(s->ndevices, sizeof(*rules));
        ch->devs = calloc(s->ndevices, sizeof(*ch->devs));
        if (!rules || !ch->devs) {
            free(rules);
            return rt_error(err, ENOMEM, "out of memory");
        }
    }
    for (size_t i = 0; i < s->ndevices; i++) {
        const struct ctr_device *d = &s->devices[i];
        struct stat st;
        if (d->host[0] != '/' || d->ctr[0] != '/' || !startswith(d->ctr, "/dev/")) {
            free(rules);
            return rt_error(err, EINVAL, "device %s:%s: both paths must be absolute, the second under /dev", d->host,
                            d->ctr);
        }
        if (stat(d->host, &st) < 0) {
            int e = errno;
            free(rules);
            return rt_error(err, e, "device %s: %s on this host", d->host, strerror(e));
        }
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
            free(rules);
            return rt_error(err, EINVAL, "device %s is not a character or block device", d->host);
        }
        ch->devs[i] = (struct dev_node){.rdev = st.st_rdev, .mode = st.st_mode, .uid = st.st_uid, .gid = st.st_gid};
        rules[i] = (struct dev_rule){.type = S_ISCHR(st.st_mode) ? 'c' : 'b',
                                     .major = major(st.st_rdev),
                                     .minor = minor(st.st_rdev),
                                     .access = d->access};
    }
    int r = dev_attach(c->cg.fd, rules, s->ndevices, err);
    free(rules);
    return r;
}

/* A ctr that holds nothing yet (what ctr_release can be given at once). */
void ctr_init(struct ctr *c, const char *name)
{
    memset(c, 0, sizeof(*c));
    c->pid = -1;
    c->pidfd = -1;
    c->lockfd = -1;
    c->sync = -1;
    c->tty = -1;
    c->cg.fd = -1;
    snprintf(c->name, sizeof(c->name), "%s", name);
}

void ctr_cgroup_parent(const char *state_dir, char *out, size_t len)
{
    /* Containers of another state directory (rtctl --root, tests) get
     * their own parent, so that equal names never share a cgroup. */
    snprintf(out, len, "rt");
    struct stat sd, def;
    if (stat(state_dir, &sd) == 0 &&
        !(stat(RT_DEFAULT_STATE_DIR, &def) == 0 && sd.st_ino == def.st_ino && sd.st_dev == def.st_dev))
        snprintf(out, len, "rt-%llx-%llx", (unsigned long long)sd.st_dev, (unsigned long long)sd.st_ino);
}

int ctr_spawn(const struct ctr_spec *s, struct ctr *c, struct rt_err *err)
{
    ctr_init(c, s->name);
    if (!ctr_name_ok(s->name))
        return rt_error(err, EINVAL, "'%s' is not a valid container name (a DNS label)", s->name);
    if (s->host) /* no container at all: hostproc.c */
        return host_spawn(s, c, err);
    struct child *ch = calloc(1, sizeof(*ch));
    if (!ch)
        return rt_error(err, ENOMEM, "out of memory");
    ch->s = s;
    ch->sock = -1;
    ch->initfd = -1;
    c->init = s->init;
    int sv[2] = {-1, -1};
    int r = -1;
    if (prepare_dir(s, ch, c, err) < 0 || overlay_options(s, ch, err) < 0)
        goto out;
    ch->caps = ctr_caps(s);
    if (in_bounding_set(s, &ch->caps, err) < 0)
        goto out;
    ch->ambient = s->cap_add_all ? ch->caps : s->cap_add & ch->caps;
    ch->caps_root = make_caps(ch->caps, 0);
    ch->caps_user = make_caps(ch->ambient, ch->ambient);
    ch->passwd = malloc(ETC_BUF);
    ch->group = malloc(ETC_BUF);
    size_t nenv = 0;
    while (s->env && s->env[nenv])
        nenv++;
    ch->env = calloc(nenv + 2, sizeof(char *));
    if (!ch->caps_root || !ch->caps_user || !ch->passwd || !ch->group || !ch->env) {
        rt_error(err, ENOMEM, "out of memory");
        goto out;
    }
    memcpy(ch->env, s->env, nenv * sizeof(char *));
    ch->nenv = nenv;
    ch->seccomp = s->seccomp != SECCOMP_UNCONFINED;
    if (compile_seccomp(s->state_dir, s->seccomp, s->seccomp_profile, ch->caps, &ch->prog, err) < 0)
        goto out;
    if (s->init) {
        size_t nargv = 0;
        while (s->argv[nargv])
            nargv++;
        if (!(ch->initargv = calloc(nargv + 3, sizeof(char *)))) {
            rt_error(err, ENOMEM, "out of memory");
            goto out;
        }
        ch->initargv[0] = (char *)"ctrinit";
        ch->initargv[1] = (char *)"--";
        memcpy(ch->initargv + 2, s->argv, nargv * sizeof(char *));
        if ((ch->initfd = ctrinit_memfd(err)) < 0)
            goto out;
    }

    struct rt_err cgerr;
    char parent[64];
    ctr_cgroup_parent(s->state_dir, parent, sizeof(parent));
    if (cg_create(&c->cg, parent, s->name, &s->limits, c->missing, sizeof(c->missing), &cgerr) == 0) {
        c->has_cgroup = true;
    } else if (cgerr.errnum == ENOENT) {
        /* The device program needs a cgroup2 directory: without one, a
         * container could open any device. Refuse rather than run it. */
        rt_error(err, ENOENT, "this host has no cgroup2 file system: a container's access to devices cannot be "
                              "restricted, so none is started (mount cgroup2, as systemd and rtinit do)");
        goto out;
    } else {
        *err = cgerr;
        goto out;
    }
    if (devices(s, ch, c, err) < 0 || volumes_guards(s, ch, err) < 0)
        goto out;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        rt_syserror(err, "socketpair");
        goto out;
    }
    struct clone_args ca = {
        .flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP | CLONE_PIDFD |
                 (s->network == NET_HOST ? 0 : CLONE_NEWNET) | (c->has_cgroup ? CLONE_INTO_CGROUP : 0),
        .pidfd = (uint64_t)(uintptr_t)&c->pidfd,
        .exit_signal = SIGCHLD,
        .cgroup = c->has_cgroup ? (uint64_t)c->cg.fd : 0,
    };
    pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
    if (pid < 0 && errno == EBUSY && c->has_cgroup) {
        /* A cgroup the kernel will not clone into (controllers in use
         * elsewhere): clone, then move the child before it runs. */
        ca.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
        ca.cgroup = 0;
        pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
        if (pid > 0 && cg_enter(&c->cg, pid, err) < 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            goto out;
        }
    }
    if (pid < 0) {
        rt_syserror(err, "clone3");
        goto out;
    }
    if (pid == 0) {
        close(sv[0]);
        ch->sock = sv[1];
        child_main(ch);
    }
    c->pid = pid;
    close(sv[1]);
    sv[1] = -1;
    /* Its network namespace exists now: the veth goes in before it runs. */
    if (s->network == NET_BRIDGE && s->net && attach(s, c, err) < 0) {
        ctr_signal(c, SIGKILL);
        waitpid(pid, NULL, 0);
        c->pid = -1;
        goto out;
    }
    if (write(sv[0], "g", 1) != 1) {
        rt_error(err, EINVAL, "starting %s: the container process died", s->name);
        ctr_signal(c, SIGKILL);
        waitpid(pid, NULL, 0);
        c->pid = -1;
        goto out;
    }
    c->sync = sv[0];
    sv[0] = -1;
    c->caps = ch->caps;
    r = 0;
out:
    if (r < 0 && c->has_cgroup) {
        cg_destroy(&c->cg);
        c->has_cgroup = false;
    }
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    child_free(ch);
    return r;
}

int ctr_spawned(const struct ctr_spec *s, struct ctr *c, struct rt_err *err)
{
    if (s->host)
        return host_spawned(s, c, err);
    char msg[MSG_MAX + 1];
    int fd;
    ssize_t n = sync_recv(c->sync, msg, sizeof(msg), 0, NULL, &fd);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 1;
    if (n > 0 && sync_pty(msg, fd, s->tty, &c->tty)) /* spec tty: the master, before the exec */
        return 1;
    close(c->sync);
    c->sync = -1;
    if (n != 0) {
        /* the child reports an error (and exits), or the read failed */
        msg[n > 0 ? n : 0] = '\0';
        ctr_signal(c, SIGKILL);
        return rt_error(err, EINVAL, "starting %s: %s", s->name, n > 0 ? msg : strerror(errno));
    }
    /* The socket closed on exec: it runs. (A child that died without a
     * word closes it too; its exit is seen as any exit.) */
    if (write_state(s, c, c->caps, err) < 0) {
        ctr_signal(c, SIGKILL);
        return -1;
    }
    return 0;
}

int ctr_start(const struct ctr_spec *s, struct ctr *c, struct rt_err *err)
{
    if (ctr_spawn(s, c, err) < 0)
        return -1;
    int r;
    while ((r = ctr_spawned(s, c, err)) == 1) /* the socket blocks: only EINTR comes back */
        ;
    if (r < 0) {
        waitpid(c->pid, NULL, 0);
        c->pid = -1;
        if (c->has_cgroup) {
            cg_destroy(&c->cg);
            c->has_cgroup = false;
        }
    }
    return r;
}

int ctr_wait(struct ctr *c, int *status, struct rt_err *err)
{
    for (;;) {
        pid_t p = waitpid(c->pid, status, 0);
        if (p == c->pid)
            break;
        if (p < 0 && errno != EINTR)
            return rt_syserror(err, "waiting for %s", c->name);
    }
    *status = ctr_exit_status(c, *status);
    c->pid = -1;
    return 0;
}

int ctr_signal(struct ctr *c, int sig)
{
    if (c->pidfd >= 0)
        return (int)syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0);
    return c->pid > 0 ? kill(c->pid, sig) : -1;
}

/* Remove the directory path and everything in it (a writable layer is
 * the container's: see lib/rmtree.h). */
static void rm_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char parent[PATH_MAX];
    if (!slash || slash == path)
        return;
    snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path), path);
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        rmtree_at(fd, slash + 1, 0);
        close(fd);
    }
}

void ctr_release(struct ctr *c, bool remove)
{
    if (c->has_cgroup) {
        /* Whatever the entrypoint left running. Usually nothing: the
         * kernel ends a PID namespace with its first process. No waiting
         * here: a cgroup still busy is left, and the next start of the
         * container takes it over once it is empty. */
        if (!c->keep_children) /* kill_mode = process: what it left runs on (hostproc.c) */
            cg_kill(&c->cg);
        cg_destroy(&c->cg);
        c->has_cgroup = false;
    }
    if (c->pidfd >= 0)
        close(c->pidfd);
    c->pidfd = -1;
    if (c->sync >= 0)
        close(c->sync);
    c->sync = -1;
    if (c->tty >= 0)
        close(c->tty);
    c->tty = -1;
    if (c->attached) /* it would go with the namespace, but not at once */
        net_detach(c->bridge, c->name, c->addr);
    c->attached = false;
    /* The process is gone: so is what described it. Only the process that
     * held the lock removes anything (a failed start against a running
     * container must not). */
    if (c->lockfd >= 0 && c->rdir[0])
        rm_dir(c->rdir);
    if (remove && c->lockfd >= 0 && c->dir[0])
        rm_dir(c->dir);
    if (c->lockfd >= 0)
        close(c->lockfd);
    c->lockfd = -1;
}
