/* rootfs.c - the container's root file system, built by the child
 * before pivot_root: /proc, /sys, /dev, volumes, tmpfs mounts and the
 * runtime's /etc files.
 *
 * Mounts inside the container's root are made on file descriptors: every
 * target is resolved with openat2(RESOLVE_IN_ROOT) relative to the root,
 * then mounted with move_mount() on that fd, so a symlink in the image
 * (even one swapped in meanwhile) cannot send a mount outside the root. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../lib/fileio.h"
#include "../lib/util.h"
#include "seccomp.h"
#include "user.h"

#include "child.h"

/* Docker's masked and read-only paths. */
/* Docker's masked and read-only paths. */
static const char *const masked[] = {
    "proc/acpi",        "proc/asound",      "proc/interrupts", "proc/kcore",      "proc/keys",
    "proc/latency_stats", "proc/timer_list", "proc/timer_stats", "proc/sched_debug", "proc/scsi",
    "sys/firmware",     "sys/devices/virtual/powercap",
};
static const char *const readonly[] = {"proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger"};

/* An O_PATH fd for path inside the container's root, made if missing
 * (directories, and the last component as a file if !dir). Symlinks are
 * followed as the container would see them: never out of its root. A
 * symlink to a missing path has that path made, inside the root, as
 * docker does (depth counts the symlinks followed so). */
static int target_at(struct child *ch, int rootfd, const char *path, bool dir, int depth)
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
        char link[PATH_MAX];
        ssize_t n = r < 0 && errno == EEXIST ? readlinkat(pfd, base, link, sizeof(link) - 1) : -1;
        close(pfd);
        if (n >= 0) {
            /* a dangling symlink: make what it points to, then go on */
            char next[PATH_MAX];
            link[n] = '\0';
            int w = link[0] == '/' ? snprintf(next, sizeof(next), "%s%s", link, path + i)
                                   : snprintf(next, sizeof(next), "%s%s%s%s", parent, *parent ? "/" : "", link, path + i);
            if (w < 0 || (size_t)w >= sizeof(next))
                die(ch, "mount target /%s: too long through the symbolic link /%s", path, prefix);
            if (depth >= 16) {
                errno = ELOOP;
                return -1;
            }
            return target_at(ch, rootfd, next, dir, depth + 1);
        }
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

static int target(struct child *ch, int rootfd, const char *path, bool dir)
{
    return target_at(ch, rootfd, path, dir, 0);
}

/* /proc, /sys or /dev at the root, where the kernel's file systems go: a
 * real directory of the image, or made. A symlink there is refused: the
 * file system would be mounted at its target, and the masked and
 * read-only paths, looked up at the real path, silently missed. */
static int fixed_dir(struct child *ch, int rootfd, const char *name)
{
    int fd = (int)sys_openat2(rootfd, name, O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    if (fd < 0 && errno == ENOENT) {
        if (mkdirat(rootfd, name, 0755) < 0 && errno != EEXIST)
            die(ch, "creating /%s:", name);
        fd = (int)sys_openat2(rootfd, name, O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    }
    if (fd < 0 && errno == ELOOP)
        die(ch, "the image's /%s is a symbolic link: refused (the kernel's /%s is mounted only on a directory)", name,
            name);
    if (fd < 0 && errno == ENOTDIR)
        die(ch, "the image's /%s is not a directory: refused", name);
    if (fd < 0)
        die(ch, "opening /%s:", name);
    return fd;
}

/* A volume, tmpfs or /etc file must not land in /proc or /sys: an image
 * symlink (/data -> /proc/sys/kernel) would make that path writable, or
 * hide a mask (the CVE-2019-19921 class). */
static void check_target(struct child *ch, int tfd, const char *dst)
{
    struct statfs sf;
    if (fstatfs(tfd, &sf) < 0)
        die(ch, "mount target %s:", dst);
    if (sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC)
        die(ch, "mount target %s resolves into /%s (through a symbolic link in the image): refused", dst,
            sf.f_type == PROC_SUPER_MAGIC ? "proc" : "sys");
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

/* The host devices the spec passes through, as nodes in /dev (d): same
 * type, numbers, mode and owner as on the host, parent directories made
 * (/dev/net/tun). The cgroup's program allows opening exactly these. */
static void make_devices(struct child *ch, int d)
{
    const struct ctr_spec *s = ch->s;
    for (size_t i = 0; s && i < s->ndevices; i++) {
        const char *rel = s->devices[i].ctr + strlen("/dev/");
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", rel);
        for (char *c = strchr(dir, '/'); c; c = strchr(c + 1, '/')) {
            *c = '\0';
            if (mkdirat(d, dir, 0755) < 0 && errno != EEXIST)
                die(ch, "creating /dev/%s:", dir);
            *c = '/';
        }
        const struct dev_node *n = &ch->devs[i];
        int pfd = d;
        const char *slash = strrchr(rel, '/'), *base = slash ? slash + 1 : rel;
        if (slash) {
            dir[slash - rel] = '\0';
            pfd = (int)sys_openat2(d, dir, O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
            if (pfd < 0)
                die(ch, "opening /dev/%s:", dir);
        }
        unlinkat(pfd, base, 0); /* a default node of the same name gives way */
        if (mknodat(pfd, base, (n->mode & S_IFMT) | 0600, n->rdev) < 0 ||
            fchownat(pfd, base, n->uid, n->gid, AT_SYMLINK_NOFOLLOW) < 0 || fchmodat(pfd, base, n->mode & 07777, 0) < 0)
            die(ch, "creating the device %s:", s->devices[i].ctr);
        if (pfd != d)
            close(pfd);
    }
}

void make_dev(struct child *ch, int rootfd)
{
    int dev = fixed_dir(ch, rootfd, "dev");
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
    /* 0666 whatever the umask: a non-root process must write /dev/null */
    for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
        if (mknodat(d, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0 ||
            fchmodat(d, nodes[i].name, 0666, 0) < 0)
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
    make_devices(ch, d);
    close(d);
}

void make_proc_sys(struct child *ch, int rootfd)
{
    int p = fixed_dir(ch, rootfd, "proc");
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
    int s = fixed_dir(ch, rootfd, "sys");
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

/* A volume's source on the host, walked by lib/guarded.c: symlinks are
 * followed as the administrator wrote the path, but not below a directory
 * some container can write (ch->guards), where one could have been put
 * (named volumes `shared` and `shared/inner`); a named volume's directory
 * is made on the way, the same way. A refused link is named. */
static int volume_source(struct child *ch, const struct ctr_mount *m)
{
    char where[PATH_MAX] = "";
    int fd = open_guarded(m->src, ch->guards, ch->nguards, m->own ? 0755 : -1, where, sizeof(where));
    if (fd < 0 && errno == ELOOP)
        die(ch, "volume source %s: %s is a symbolic link in a directory that a container can write (refused: it "
                "could point anywhere on the host)",
            m->src, where);
    if (fd < 0)
        die(ch, "volume source %s: %s:", m->src, where[0] ? where : m->src);
    if (!m->ro)
        volumes_record(ch, fd, m->src);
    return fd;
}

void make_mounts(struct child *ch, int rootfd)
{
    const struct ctr_spec *s = ch->s;
    for (size_t i = 0; i < s->nmounts; i++) {
        const struct ctr_mount *m = &s->mounts[i];
        int sfd = m->tmpfs ? -1 : volume_source(ch, m);
        struct stat st;
        if (sfd >= 0 && fstat(sfd, &st) < 0)
            die(ch, "volume source %s:", m->src);
        bool dir = m->tmpfs || S_ISDIR(st.st_mode);
        int t = target(ch, rootfd, m->dst, dir);
        if (t < 0)
            die(ch, "mount target %s:", m->dst);
        check_target(ch, t, m->dst);
        int r;
        if (m->tmpfs) {
            /* nodev always: only /dev, which we fill, has device nodes */
            unsigned a = MOUNT_ATTR_NODEV | (m->flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) |
                         (m->flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0) | (m->flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0);
            r = fs_mount("tmpfs", m->data, a, t);
        } else {
            r = bind_tree(sfd, "", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (m->ro ? MOUNT_ATTR_RDONLY : 0), t);
            close(sfd);
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
        if (t >= 0)
            check_target(ch, t, dst);
        if (t < 0 || bind_tree(AT_FDCWD, src, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, t) < 0)
            die(ch, "mounting /%s:", dst);
        close(t);
    }
}
