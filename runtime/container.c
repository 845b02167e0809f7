/* container.c - launching a container and entering one. See container.h.
 *
 * The child side runs between clone3() and execve(). It allocates nothing:
 * everything it needs (overlay options, capability sets, the compiled
 * seccomp program, buffers for /etc/passwd) is prepared by the parent,
 * and it reports failures as text over the sync socket, then _exit()s.
 *
 * Mounts inside the container's root are made on file descriptors: every
 * target is resolved with openat2(RESOLVE_IN_ROOT) relative to the root,
 * then mounted with move_mount() on that fd, so a symlink in the image
 * (even one swapped in meanwhile) cannot send a mount outside the root. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../images/store.h"
#include "../lib/fileio.h"
#include "../lib/paths.h"
#include "../lib/util.h"
#include "seccomp.h"
#include "user.h"

extern char **environ;

#define MSG_MAX 512
#define ETC_BUF (1 << 20) /* /etc/passwd and /etc/group, each */

/* Docker's masked and read-only paths. */
static const char *const masked[] = {
    "proc/acpi",        "proc/asound",      "proc/interrupts", "proc/kcore",      "proc/keys",
    "proc/latency_stats", "proc/timer_list", "proc/timer_stats", "proc/sched_debug", "proc/scsi",
    "sys/firmware",     "sys/devices/virtual/powercap",
};
static const char *const readonly[] = {"proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger"};

/* Everything the child needs, prepared before clone3(). */
struct child {
    const struct ctr_spec *s;
    int sock;                   /* the child's end of the socketpair */
    char rootfs[PATH_MAX];      /* where the overlay is mounted */
    char layers[PATH_MAX];      /* the store's layers/, for short lowerdir paths */
    char overlay[8192];         /* mount options */
    char dir[PATH_MAX];         /* STATE/containers/<name>: upper, work, layers */
    char rdir[PATH_MAX];        /* RUN/containers/<name>: lock, state.json, etc/, rootfs, empty */
    uint64_t caps;              /* bounding set */
    uint64_t ambient;           /* what a non-root user keeps */
    cap_t caps_root, caps_user; /* permitted/effective/inheritable, as root or not */
    struct seccomp_prog prog;
    bool seccomp;
    char *passwd, *group;       /* ETC_BUF each */
    char **env;                 /* spec env + HOME, with a spare slot */
    size_t nenv;
    char home[300];
};

/* ---------- the child ---------- */

static __attribute__((noreturn, format(printf, 2, 3))) void die(struct child *ch, const char *fmt, ...)
{
    char msg[MSG_MAX];
    int e = errno;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof(msg) - 2 && strstr(fmt, "%m") == NULL && e && fmt[strlen(fmt) - 1] == ':')
        snprintf(msg + n, sizeof(msg) - (size_t)n, " %s", strerror(e));
    if (write(ch->sock, msg, strlen(msg)) < 0) {
        /* nothing left to tell anyone */
    }
    _exit(127);
}

static long sys_openat2(int dirfd, const char *path, int flags, uint64_t resolve)
{
    struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = resolve};
    return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* An O_PATH fd for path inside the container's root, made if missing
 * (directories, and the last component as a file if !dir). Symlinks are
 * followed as the container would see them: never out of its root. */
static int target(struct child *ch, int rootfd, const char *path, bool dir)
{
    const uint64_t in_root = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    while (*path == '/')
        path++;
    int fd = (int)sys_openat2(rootfd, path, O_PATH, in_root);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    char prefix[PATH_MAX];
    size_t len = strlen(path);
    if (len >= sizeof(prefix))
        die(ch, "mount target /%s: too long", path);
    for (size_t i = 0; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        memcpy(prefix, path, i);
        prefix[i] = '\0';
        fd = (int)sys_openat2(rootfd, prefix, O_PATH, in_root);
        if (fd >= 0) {
            if (i < len)
                close(fd);
            continue;
        }
        if (errno != ENOENT)
            return -1;
        /* make the missing component in its (resolved) parent */
        const char *slash = memrchr(prefix, '/', i);
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - prefix) : 0, prefix);
        const char *base = slash ? slash + 1 : prefix;
        int pfd = *parent ? (int)sys_openat2(rootfd, parent, O_PATH | O_DIRECTORY, in_root) : dup(rootfd);
        if (pfd < 0)
            return -1;
        int r;
        if (i < len || dir) {
            r = mkdirat(pfd, base, 0755);
        } else {
            r = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (r >= 0)
                close(r), r = 0;
        }
        close(pfd);
        if (r < 0 && errno != EEXIST)
            return -1;
        fd = (int)sys_openat2(rootfd, prefix, O_PATH, in_root);
        if (fd < 0)
            return -1;
        if (i < len)
            close(fd);
    }
    return fd;
}

/* Mount a new file system (fsopen/fsmount) on the fd tfd. */
static int fs_mount(const char *type, const char *opts, unsigned attrs, int tfd)
{
    int fs = fsopen(type, FSOPEN_CLOEXEC);
    if (fs < 0)
        return -1;
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", opts ? opts : "");
    int r = 0;
    for (char *o = buf; r == 0 && o && *o;) {
        char *comma = strchr(o, ',');
        if (comma)
            *comma = '\0';
        char *eq = strchr(o, '=');
        if (eq) {
            *eq = '\0';
            r = fsconfig(fs, FSCONFIG_SET_STRING, o, eq + 1, 0);
        } else {
            r = fsconfig(fs, FSCONFIG_SET_FLAG, o, NULL, 0);
        }
        o = comma ? comma + 1 : NULL;
    }
    if (r == 0)
        r = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
    int m = r == 0 ? fsmount(fs, FSMOUNT_CLOEXEC, attrs) : -1;
    int e = errno;
    close(fs);
    if (m < 0) {
        errno = e;
        return -1;
    }
    r = move_mount(m, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    e = errno;
    close(m);
    errno = e;
    return r;
}

/* Bind src (a path, or "" with srcfd) onto tfd, with attributes. */
static int bind_tree(int srcfd, const char *src, unsigned attrs, int tfd)
{
    int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | (*src ? 0 : AT_EMPTY_PATH);
    int t = open_tree(srcfd, src, (unsigned)flags);
    if (t < 0)
        return -1;
    int r = 0;
    if (attrs) {
        struct mount_attr a = {.attr_set = attrs};
        r = mount_setattr(t, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a));
    }
    if (r == 0)
        r = move_mount(t, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    int e = errno;
    close(t);
    errno = e;
    return r;
}

static void make_dev(struct child *ch, int rootfd)
{
    int dev = target(ch, rootfd, "dev", true);
    if (dev < 0 || fs_mount("tmpfs", "mode=755,size=65536k", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, dev) < 0)
        die(ch, "mounting /dev:");
    close(dev);
    int d = (int)sys_openat2(rootfd, "dev", O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
    if (d < 0)
        die(ch, "opening /dev:");
    static const struct {
        const char *name;
        unsigned major, minor;
    } nodes[] = {{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
    for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
        if (mknodat(d, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0)
            die(ch, "creating /dev/%s:", nodes[i].name);
    static const char *const links[][2] = {{"/proc/self/fd", "fd"},     {"/proc/self/fd/0", "stdin"},
                                           {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
                                           {"pts/ptmx", "ptmx"},        {"/proc/kcore", "core"}};
    for (size_t i = 0; i < ARRAY_SIZE(links); i++)
        if (symlinkat(links[i][0], d, links[i][1]) < 0)
            die(ch, "creating /dev/%s:", links[i][1]);
    static const struct {
        const char *dir, *type, *opts;
        unsigned attrs;
    } subs[] = {
        {"pts", "devpts", "newinstance,ptmxmode=0666,mode=0620,gid=5", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC},
        {"shm", "tmpfs", "mode=1777,size=65536k", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC},
        {"mqueue", "mqueue", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC},
    };
    for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
        if (mkdirat(d, subs[i].dir, 0755) < 0)
            die(ch, "creating /dev/%s:", subs[i].dir);
        int t = (int)sys_openat2(d, subs[i].dir, O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
        if (t < 0 || fs_mount(subs[i].type, subs[i].opts, subs[i].attrs, t) < 0)
            die(ch, "mounting /dev/%s:", subs[i].dir);
        close(t);
    }
    close(d);
}

static void make_proc_sys(struct child *ch, int rootfd)
{
    int p = target(ch, rootfd, "proc", true);
    if (p < 0 || fs_mount("proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, p) < 0)
        die(ch, "mounting /proc:");
    close(p);
    /* Write under /proc only once it is known to be a fresh procfs, not
     * something the image put there (the CVE-2019-16884 class). */
    p = (int)sys_openat2(rootfd, "proc", O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
    struct statfs sf;
    if (p < 0 || fstatfs(p, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
        die(ch, "/proc is not a procfs after mounting it");
    close(p);
    int s = target(ch, rootfd, "sys", true);
    if (s < 0 || fs_mount("sysfs", NULL,
                          MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, s) < 0)
        die(ch, "mounting /sys:");
    close(s);
    for (size_t i = 0; i < ARRAY_SIZE(masked); i++) {
        int t = (int)sys_openat2(rootfd, masked[i], O_PATH, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
        if (t < 0)
            continue; /* not on this kernel */
        struct stat st;
        int r = fstat(t, &st) < 0 ? -1
                : S_ISDIR(st.st_mode) ? fs_mount("tmpfs", "size=0", MOUNT_ATTR_RDONLY, t)
                                      : bind_tree(AT_FDCWD, "/dev/null", 0, t);
        if (r < 0)
            die(ch, "masking /%s:", masked[i]);
        close(t);
    }
    for (size_t i = 0; i < ARRAY_SIZE(readonly); i++) {
        int t = (int)sys_openat2(rootfd, readonly[i], O_PATH, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
        if (t < 0)
            continue;
        if (bind_tree(t, "", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, t) < 0)
            die(ch, "making /%s read-only:", readonly[i]);
        close(t);
    }
}

static void make_mounts(struct child *ch, int rootfd)
{
    const struct ctr_spec *s = ch->s;
    for (size_t i = 0; i < s->nmounts; i++) {
        const struct ctr_mount *m = &s->mounts[i];
        struct stat st;
        bool dir = m->tmpfs || (stat(m->src, &st) == 0 && S_ISDIR(st.st_mode));
        int t = target(ch, rootfd, m->dst, dir);
        if (t < 0)
            die(ch, "mount target %s:", m->dst);
        int r;
        if (m->tmpfs) {
            unsigned a = (m->flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) | (m->flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0) |
                         (m->flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0) | (m->flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0);
            r = fs_mount("tmpfs", m->data, a, t);
        } else {
            r = bind_tree(AT_FDCWD, m->src, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (m->ro ? MOUNT_ATTR_RDONLY : 0), t);
        }
        if (r < 0)
            die(ch, "mounting %s on %s:", m->tmpfs ? "tmpfs" : m->src, m->dst);
        close(t);
    }
    /* /etc/hosts, /etc/resolv.conf, /etc/hostname: ours, from the
     * container's directory */
    static const char *const files[] = {"hosts", "resolv.conf", "hostname"};
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        char src[PATH_MAX + 16], dst[32];
        snprintf(src, sizeof(src), "%s/etc/%s", ch->rdir, files[i]);
        snprintf(dst, sizeof(dst), "etc/%s", files[i]);
        int t = target(ch, rootfd, dst, false);
        if (t < 0 || bind_tree(AT_FDCWD, src, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, t) < 0)
            die(ch, "mounting /%s:", dst);
        close(t);
    }
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

/* A file of the image, read whole into buf (at most ETC_BUF - 1 bytes);
 * "" if it does not exist. */
static void read_etc(struct child *ch, const char *path, char *buf)
{
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT)
            return;
        die(ch, "reading %s:", path);
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        die(ch, "%s is not a regular file", path);
    size_t n = 0;
    for (;;) {
        ssize_t k = read(fd, buf + n, ETC_BUF - 1 - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            die(ch, "reading %s:", path);
        if (k == 0 || (n += (size_t)k) == ETC_BUF - 1)
            break;
    }
    buf[n] = '\0';
    close(fd);
}

/* Users, groups, capabilities: the order matters. Groups before the uid
 * changes (setgroups needs CAP_SETGID); keep the permitted set across
 * setresuid, then set the final sets; ambient last. */
static void drop_privileges(struct child *ch, const struct user_ids *ids)
{
    for (int cap = 0; cap <= 63; cap++)
        if (!(ch->caps & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            die(ch, "dropping capability %d from the bounding set:", cap);
    if (setgroups(ids->ngroups, ids->groups) < 0 || setresgid(ids->gid, ids->gid, ids->gid) < 0)
        die(ch, "setting groups:");
    if (ids->uid != 0) {
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresuid(ids->uid, ids->uid, ids->uid) < 0 ||
            prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
            die(ch, "setting user %u:", (unsigned)ids->uid);
    }
    if (cap_set_proc(ids->uid ? ch->caps_user : ch->caps_root) < 0)
        die(ch, "setting capabilities:");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        die(ch, "clearing ambient capabilities:");
    if (ids->uid != 0) {
        /* a non-root process keeps exactly what cap_add names */
        for (int cap = 0; cap <= 63; cap++)
            if ((ch->ambient & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                die(ch, "raising ambient capability %d:", cap);
    }
}

/* Without allocating (we are between clone and exec). */
static bool dir_is_empty(int fd)
{
    char buf[1024];
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
        for (long off = 0; off < n;) {
            const struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (const void *)(buf + off);
            if (strcmp(d->name, ".") && strcmp(d->name, ".."))
                return false;
            off += d->reclen;
        }
    return n == 0;
}

/* A new, empty volume directory belongs to the service's user, as docker
 * gives a new named volume the owner of the image's directory. Resolved in
 * the container's root without symlinks, changed through the fd. */
static void own_volumes(struct child *ch, const struct user_ids *ids)
{
    for (size_t i = 0; ch->s && i < ch->s->nmounts; i++) {
        const struct ctr_mount *m = &ch->s->mounts[i];
        if (!m->own || m->tmpfs || m->ro)
            continue;
        int fd = (int)sys_openat2(AT_FDCWD, m->dst, O_RDONLY | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
            die(ch, "volume %s:", m->dst);
        bool empty = dir_is_empty(fd);
        if (empty && st.st_uid == 0 && st.st_gid == 0 && (ids->uid || ids->gid) && fchown(fd, ids->uid, ids->gid) < 0)
            die(ch, "giving the new volume %s to %u:%u:", m->dst, (unsigned)ids->uid, (unsigned)ids->gid);
        close(fd);
    }
}

/* The last steps, shared by a container's first process and by `exec`:
 * resolve the user in the image's files, set HOME, rlimits, close every
 * other fd, enter the working directory, drop privileges, load the
 * filter, exec. */
static __attribute__((noreturn)) void become(struct child *ch, const char *user, const char *wd,
                                             const struct ulimit *rlimits, size_t nrlimits, char *const *argv)
{
    read_etc(ch, "/etc/passwd", ch->passwd);
    read_etc(ch, "/etc/group", ch->group);
    struct user_ids ids;
    char msg[256];
    if (user_resolve(user, ch->passwd, ch->group, &ids, msg, sizeof(msg)) < 0)
        die(ch, "%s", msg);
    own_volumes(ch, &ids);
    bool has_home = false;
    for (size_t i = 0; i < ch->nenv; i++)
        has_home |= startswith(ch->env[i], "HOME=");
    if (!has_home) {
        snprintf(ch->home, sizeof(ch->home), "HOME=%s", ids.home[0] ? ids.home : "/");
        ch->env[ch->nenv] = ch->home;
        ch->env[ch->nenv + 1] = NULL;
    }
    for (size_t i = 0; i < nrlimits; i++) {
        struct rlimit rl = {rlimits[i].soft == UNLIMITED ? RLIM_INFINITY : rlimits[i].soft,
                            rlimits[i].hard == UNLIMITED ? RLIM_INFINITY : rlimits[i].hard};
        if (setrlimit(rlimits[i].resource, &rl) < 0)
            die(ch, "setting the %d limit:", rlimits[i].resource);
    }
    /* Nothing but 0, 1, 2 and the sync socket (closed by exec) may reach
     * the container: not before chdir either (the CVE-2024-21626 class). */
    if (ch->sock > 3)
        close_range(3, (unsigned)ch->sock - 1, 0);
    close_range((unsigned)ch->sock + 1, ~0U, 0);
    if (chdir(wd) < 0) {
        /* as docker: a missing working directory is made */
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s", wd);
        for (char *c = p + 1; *c; c++)
            if (*c == '/') {
                *c = '\0';
                mkdir(p, 0755);
                *c = '/';
            }
        if ((mkdir(p, 0755) < 0 && errno != EEXIST) || chdir(p) < 0)
            die(ch, "working directory %s:", wd);
    }
    char cwd[16];
    if (!getcwd(cwd, sizeof(cwd)) && errno != ERANGE)
        die(ch, "the working directory is outside the container");
    drop_privileges(ch, &ids);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die(ch, "no_new_privs:");
    /* If the runtime that started us dies, so do we (and with the first
     * process, the whole container): nothing runs unsupervised. Set after
     * the credentials change, which clears it; then make sure the parent
     * did not die before that (its end of the socket would be closed). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        die(ch, "PR_SET_PDEATHSIG:");
    struct pollfd pf = {.fd = ch->sock, .events = POLLIN};
    if (poll(&pf, 1, 0) > 0 && (pf.revents & (POLLHUP | POLLERR)))
        _exit(127);
    if (ch->seccomp && seccomp_load_prog(&ch->prog) < 0)
        die(ch, "loading the seccomp filter:");
    environ = ch->env;
    execvp(argv[0], argv);
    if (errno == ENOENT)
        die(ch, "%s: not found in the container's PATH", argv[0]);
    die(ch, "executing %s:", argv[0]);
}

/* A clean slate for signals: the exec'd program expects default
 * dispositions (an ignored signal would stay ignored across execve) and
 * an empty mask (the caller blocks the signals it forwards). */
static void reset_signals(void)
{
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static __attribute__((noreturn)) void child_main(struct child *ch)
{
    const struct ctr_spec *s = ch->s;
    char go;
    if (read(ch->sock, &go, 1) != 1)
        _exit(127); /* the parent gave up */
    reset_signals();
    umask(022);
    for (int i = 0; i < 3; i++)
        if (s->stdio[i] >= 0 && s->stdio[i] != i && dup2(s->stdio[i], i) < 0)
            die(ch, "setting up fd %d:", i);

    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        die(ch, "making mounts private:");
    if (chdir(ch->layers) < 0)
        die(ch, "%s:", ch->layers);
    if (mount("overlay", ch->rootfs, "overlay", 0, ch->overlay) < 0)
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
    if (s->read_only && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
        die(ch, "making the root read-only:");
    if (sethostname(s->hostname, strlen(s->hostname)) < 0)
        die(ch, "sethostname:");
    if (s->network != NET_HOST)
        lo_up(ch);

    become(ch, s->user, s->cwd, s->rlimits, s->nrlimits, s->argv);
}

/* ---------- the parent ---------- */

static void child_free(struct child *ch)
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

static cap_t make_caps(uint64_t permitted, uint64_t inheritable)
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

/* The container's two directories. What must outlive the process (the
 * writable layer, and the list of image layers it stands on, which keeps
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
    if (mkdir_p(ch->dir, 0700, err) < 0 || write_pins(s, ch->dir, err) < 0)
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
static unsigned long long proc_starttime(pid_t pid)
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
    json_t *st = json_pack("{s:s, s:i, s:I, s:s*, s:s, s:o, s:I, s:I, s:b, s:i, s:s*, s:s*}", /* */
                           "name", s->name, "pid", (int)c->pid, "starttime", (json_int_t)proc_starttime(c->pid),
                           "user", s->user, "cwd", s->cwd, "env", env, "caps", (json_int_t)caps, "cap_add",
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

static int compile_seccomp(const char *state_dir, enum seccomp_mode mode, const char *profile, uint64_t caps,
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
    return r;
}

/* A ctr that holds nothing yet (what ctr_release can be given at once). */
static void ctr_init(struct ctr *c, const char *name)
{
    memset(c, 0, sizeof(*c));
    c->pid = -1;
    c->pidfd = -1;
    c->lockfd = -1;
    c->sync = -1;
    c->cg.fd = -1;
    snprintf(c->name, sizeof(c->name), "%s", name);
}

int ctr_spawn(const struct ctr_spec *s, struct ctr *c, struct rt_err *err)
{
    ctr_init(c, s->name);
    if (!ctr_name_ok(s->name))
        return rt_error(err, EINVAL, "'%s' is not a valid container name (a DNS label)", s->name);
    struct child *ch = calloc(1, sizeof(*ch));
    if (!ch)
        return rt_error(err, ENOMEM, "out of memory");
    ch->s = s;
    ch->sock = -1;
    int sv[2] = {-1, -1};
    int r = -1;
    if (prepare_dir(s, ch, c, err) < 0 || overlay_options(s, ch, err) < 0)
        goto out;
    ch->caps = ctr_caps(s);
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

    struct rt_err cgerr;
    /* Containers of another state directory (rtctl --root, tests) get
     * their own parent, so that equal names never share a cgroup. */
    char parent[64] = "rt";
    struct stat sd, def;
    if (stat(s->state_dir, &sd) == 0 && !(stat(RT_DEFAULT_STATE_DIR, &def) == 0 && sd.st_ino == def.st_ino &&
                                            sd.st_dev == def.st_dev))
        snprintf(parent, sizeof(parent), "rt-%llx-%llx", (unsigned long long)sd.st_dev, (unsigned long long)sd.st_ino);
    if (cg_create(&c->cg, parent, s->name, &s->limits, c->missing, sizeof(c->missing), &cgerr) == 0) {
        c->has_cgroup = true;
    } else if (cgerr.errnum == ENOENT) {
        snprintf(c->missing, sizeof(c->missing), "every limit (this host has no cgroup2 file system)");
    } else {
        *err = cgerr;
        goto out;
    }
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
    char msg[MSG_MAX + 1];
    ssize_t n = read(c->sync, msg, MSG_MAX);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
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
    c->pid = -1;
    return 0;
}

int ctr_signal(struct ctr *c, int sig)
{
    if (c->pidfd >= 0)
        return (int)syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0);
    return c->pid > 0 ? kill(c->pid, sig) : -1;
}

/* Remove the directory path and everything in it. */
static void rm_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char parent[PATH_MAX];
    if (!slash || slash == path)
        return;
    snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path), path);
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        rm_tree_at(fd, slash + 1);
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
    if (c->attached) /* it would go with the namespace, but not at once */
        net_detach(c->name);
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

/* ---------- exec ---------- */

struct exec_state {
    pid_t pid;
    unsigned long long starttime;
    const char *user, *cwd, *profile, *cgroup;
    json_t *env;
    uint64_t caps, ambient;
    enum seccomp_mode seccomp;
};

static int read_state(const char *dir, const char *name, json_t **root, struct exec_state *st, struct rt_err *err)
{
    char p[PATH_MAX + 16];
    snprintf(p, sizeof(p), "%s/state.json", dir);
    json_error_t je;
    *root = json_load_file(p, 0, &je);
    if (!*root) {
        if (access(p, F_OK) < 0)
            return rt_error(err, ENOENT, "no container named %s is running", name);
        return rt_error(err, EINVAL, "%s: %s", p, je.text);
    }
    int pid = 0, mode = 0, add_all = 0;
    json_int_t start = 0, caps = 0, add = 0;
    if (json_unpack_ex(*root, &je, 0, "{s:i, s:I, s?s, s:s, s:o, s:I, s:I, s:b, s:i, s?s, s?s}", "pid", &pid, "starttime",
                       &start, "user", &st->user, "cwd", &st->cwd, "env", &st->env, "caps", &caps, "cap_add", &add,
                       "cap_add_all", &add_all, "seccomp", &mode, "seccomp_profile", &st->profile, "cgroup",
                       &st->cgroup) < 0 ||
        !json_is_array(st->env))
        return rt_error(err, EINVAL, "%s: %s", p, je.text);
    st->pid = pid;
    st->starttime = (unsigned long long)start;
    st->caps = (uint64_t)caps;
    st->ambient = add_all ? st->caps : (uint64_t)add & st->caps;
    st->seccomp = (enum seccomp_mode)mode;
    return 0;
}

/* The exec'd process: already in the container's PID namespace (it was
 * forked there) and cgroup; join the rest, then as a container's process. */
static __attribute__((noreturn)) void exec_child(struct child *ch, int pidfd, const char *user, const char *wd,
                                                 char *const *argv, const int *stdio)
{
    /* Not dumpable: processes in the container cannot open our
     * /proc/PID/exe (the runtime's binary, the CVE-2019-5736 class) or
     * ptrace us before execve replaces it. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        die(ch, "PR_SET_DUMPABLE:");
    reset_signals();
    for (int i = 0; stdio && i < 3; i++)
        if (stdio[i] >= 0 && stdio[i] != i && dup2(stdio[i], i) < 0)
            die(ch, "setting up fd %d:", i);
    if (setns(pidfd, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP) < 0)
        die(ch, "joining the container's namespaces:");
    close(pidfd);
    /* setns() put us at the container's root */
    become(ch, user, wd, NULL, 0, argv);
}

int ctr_exec(const char *state_dir, const char *run_dir, const char *name, const char *user, char *const *argv,
             const int *stdio, struct ctr *c, struct rt_err *err)
{
    ctr_init(c, name);
    if (!ctr_name_ok(name))
        return rt_error(err, EINVAL, "'%s' is not a valid container name", name);
    if ((size_t)snprintf(c->rdir, sizeof(c->rdir), "%s/containers/%s", run_dir, name) >= sizeof(c->rdir))
        return rt_error(err, ENAMETOOLONG, "%s: path too long", run_dir);
    json_t *root = NULL;
    struct exec_state st = {0};
    struct child *ch = calloc(1, sizeof(*ch));
    int target_fd = -1, own_pidns = -1, sv[2] = {-1, -1}, r = -1;
    if (!ch) {
        rt_error(err, ENOMEM, "out of memory");
        goto out;
    }
    ch->sock = -1;
    if (read_state(c->rdir, name, &root, &st, err) < 0)
        goto out;
    /* The recorded process, and not another that got its pid since. */
    target_fd = (int)syscall(SYS_pidfd_open, st.pid, 0);
    if (target_fd < 0 || proc_starttime(st.pid) != st.starttime) {
        rt_error(err, ESRCH, "container %s is not running", name);
        goto out;
    }
    ch->caps = st.caps;
    ch->ambient = st.ambient;
    ch->caps_root = make_caps(st.caps, 0);
    ch->caps_user = make_caps(st.ambient, st.ambient);
    ch->passwd = malloc(ETC_BUF);
    ch->group = malloc(ETC_BUF);
    size_t nenv = json_array_size(st.env);
    ch->env = calloc(nenv + 2, sizeof(char *));
    if (!ch->caps_root || !ch->caps_user || !ch->passwd || !ch->group || !ch->env) {
        rt_error(err, ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nenv; i++) {
        const char *e = json_string_value(json_array_get(st.env, i));
        if (e)
            ch->env[ch->nenv++] = (char *)e;
    }
    ch->seccomp = st.seccomp != SECCOMP_UNCONFINED;
    if (compile_seccomp(state_dir, st.seccomp, st.profile, st.caps, &ch->prog, err) < 0)
        goto out;
    struct rt_err cgerr;
    bool has_cg = st.cgroup && cg_open(&c->cg, st.cgroup, &cgerr) == 0;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        rt_syserror(err, "socketpair");
        goto out;
    }
    /* Fork straight into the container's PID namespace: the process is our
     * own child (waitable, with a pidfd) and PID n of the container. */
    own_pidns = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
    if (own_pidns < 0 || setns(target_fd, CLONE_NEWPID) < 0) {
        rt_syserror(err, "entering the PID namespace of %s", name);
        goto out;
    }
    struct clone_args ca = {
        .flags = CLONE_PIDFD | (has_cg ? CLONE_INTO_CGROUP : 0),
        .pidfd = (uint64_t)(uintptr_t)&c->pidfd,
        .exit_signal = SIGCHLD,
        .cgroup = has_cg ? (uint64_t)c->cg.fd : 0,
    };
    pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
    int clone_errno = errno;
    if (pid == 0) {
        close(sv[0]);
        ch->sock = sv[1];
        exec_child(ch, target_fd, user ? user : st.user, st.cwd, argv, stdio);
    }
    if (setns(own_pidns, CLONE_NEWPID) < 0) {
        /* cannot happen (our own namespace); never fork into theirs later */
        rt_syserror(err, "returning to our PID namespace");
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        goto out;
    }
    if (pid < 0) {
        if (clone_errno == ENOMEM) /* the namespace's init is gone */
            rt_error(err, ESRCH, "container %s is not running", name);
        else
            rt_error(err, clone_errno, "clone3: %s", strerror(clone_errno));
        goto out;
    }
    c->pid = pid;
    close(sv[1]);
    sv[1] = -1;
    char msg[MSG_MAX + 1];
    ssize_t n = read(sv[0], msg, MSG_MAX);
    if (n != 0) {
        msg[n > 0 ? n : 0] = '\0';
        waitpid(pid, NULL, 0);
        c->pid = -1;
        rt_error(err, EINVAL, "exec in %s: %s", name, n > 0 ? msg : "the process died before exec");
        goto out;
    }
    r = 0;
out:
    if (r < 0 && c->pidfd >= 0) {
        close(c->pidfd);
        c->pidfd = -1;
    }
    /* the cgroup is the container's, not ours to remove */
    if (c->cg.fd >= 0)
        close(c->cg.fd);
    c->cg.fd = -1;
    if (target_fd >= 0)
        close(target_fd);
    if (own_pidns >= 0)
        close(own_pidns);
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    child_free(ch);
    json_decref(root);
    return r;
}
