/* unpack.c - the safe layer writer; see unpack.h for the rules. */
#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../lib/arena.h"
#include "../lib/util.h"
#include "../config/value.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

/* How often the free space is looked at: a statvfs() per MiB written costs
 * well under 1% of writing it, and bounds how far below the floor a layer
 * can take the file system. Every entry counts as a tar header's worth,
 * so that a layer of empty files is checked too. */
#define FREE_CHECK_EVERY (1ULL << 20)
#define ENTRY_COST 512

/* A directory whose mtime is set when the layer is done (creating entries
 * inside it would change it again). */
struct dirfix {
    char *path;
    struct timespec times[2];
};

struct unpacker {
    int root;
    const char *what;
    struct rt_err *err;
    struct arena arena;
    /* The last parent directory opened: consecutive entries usually share
     * it, and reusing the fd saves a path resolution per file. */
    char parent[PATH_MAX];
    int parent_fd;
    bool parent_fd_stale;
    uid_t euid;                 /* who new files belong to, unless chowned */
    gid_t egid;
    struct stat parent_st;      /* of parent_fd, once asked for */
    bool parent_acl;            /* parent_fd has a default ACL */
    bool parent_st_valid;
    struct unpack_limits lim;
    struct unpack_stats *st;
    uint64_t unchecked;         /* bytes written since the free space was checked */
    struct dirfix *fix;
    size_t nfix, capfix;
    const char *entry; /* name of the entry being written, for messages */
    const char *path;  /* the same, cleaned */
};

static long sys_openat2(int dirfd, const char *path, struct open_how *how)
{
    return syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

/* Open a directory beneath root without following any symlink. */
static int open_beneath(int root, const char *path, int flags)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
    };
    return (int)sys_openat2(root, path, &how);
}

static int fail(struct unpacker *u, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct unpacker *u, int errnum, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (errnum)
        return rt_error(u->err, errnum, "%s: entry '%s': %s: %s", u->what, u->entry, msg, strerror(errnum));
    return rt_error(u->err, 0, "%s: entry '%s': %s", u->what, u->entry, msg);
}

/* "15.7 MiB": free space and floors read better rounded. */
static void iec(uint64_t b, char *out, size_t len)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (b < 1024) {
        snprintf(out, len, "%llu B", (unsigned long long)b);
        return;
    }
    double v = (double)b / 1024;
    size_t u = 0;
    while (v >= 1024 && u + 1 < ARRAY_SIZE(units))
        v /= 1024, u++;
    snprintf(out, len, "%.1f %s", v, units[u]);
}

/* Account for n more bytes written; once a MiB has gathered, stop if the
 * file system has fallen under the floor. A layer that would fill the
 * disk stops here, and the caller removes what it wrote. */
static int account(struct unpacker *u, uint64_t n)
{
    u->unchecked += n;
    if (!u->lim.min_free || u->unchecked < FREE_CHECK_EVERY)
        return 0;
    u->unchecked = 0;
    struct statvfs sv;
    if (fstatvfs(u->root, &sv) < 0)
        return rt_syserror(u->err, "%s: checking the free space of the store's file system", u->what);
    /* f_bavail, not f_bfree: what is left for the services, which do not
     * run as root, not the blocks the file system keeps back for root. */
    uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
    if (avail >= u->lim.min_free)
        return 0;
    char have[32], floor[32];
    iec(avail, have, sizeof(have));
    iec(u->lim.min_free, floor, sizeof(floor));
    return rt_error(u->err, ENOSPC,
                    "%s: stopped with %s left on the store's file system, under the floor of %s it must keep free; "
                    "lower the floor with --min-free (a size or a percentage)",
                    u->what, have, floor);
}

int unpack_clean_path(const char *in, char *out, size_t outlen, const char **why)
{
    size_t len = 0;
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t cl = e ? (size_t)(e - p) : strlen(p);
        if (cl == 1 && p[0] == '.') {
            /* "./x" and "x/./y": nothing */
        } else if (cl == 2 && p[0] == '.' && p[1] == '.') {
            *why = "'..' in the name";
            return -1;
        } else {
            if (cl > NAME_MAX) {
                *why = "a name component is longer than 255 bytes";
                return -1;
            }
            if (len + cl + 2 > outlen) {
                *why = "name too long";
                return -1;
            }
            if (len)
                out[len++] = '/';
            memcpy(out + len, p, cl);
            len += cl;
        }
        p += cl;
    }
    out[len] = '\0';
    return 0;
}

static void split(char *path, const char **parent, const char **base)
{
    char *slash = strrchr(path, '/');
    if (slash) {
        *slash = '\0';
        *parent = path;
        *base = slash + 1;
    } else {
        *parent = "";
        *base = path;
    }
}

/* Create the missing directories of parent one component at a time,
 * each opened O_NOFOLLOW relative to the one before. */
static int make_parents(struct unpacker *u, const char *parent)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", parent);
    int cur = dup(u->root);
    if (cur < 0)
        return fail(u, errno, "dup");
    for (char *comp = buf; comp && *comp;) {
        char *slash = strchr(comp, '/');
        if (slash)
            *slash = '\0';
        if (startswith(comp, WH_PREFIX)) {
            close(cur);
            return fail(u, 0, "a whiteout name is used as a directory");
        }
        int next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT) {
            /* Directories a layer does not list get docker's defaults. */
            if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST) {
                int e = errno;
                close(cur);
                return fail(u, e, "creating parent directory '%s'", comp);
            }
            next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (next >= 0)
                fchmod(next, 0755); /* not whatever the umask left */
        }
        if (next < 0) {
            int e = errno;
            close(cur);
            if (e == ELOOP)
                return fail(u, 0, "its parent '%s' is a symlink; refusing to write through it", comp);
            if (e == ENOTDIR)
                return fail(u, 0, "its parent '%s' is not a directory", comp);
            return fail(u, e, "opening parent '%s'", comp);
        }
        close(cur);
        cur = next;
        comp = slash ? slash + 1 : NULL;
    }
    return cur;
}

/* The fd of the entry's parent directory, cached for the next entry.
 * For a whiteout, a parent that is not a directory means there is nothing
 * below it to hide: returns -2 (skip) instead of failing. */
static int parent_fd(struct unpacker *u, const char *parent, bool whiteout)
{
    if (!*parent)
        return u->root;
    if (u->parent_fd >= 0 && !u->parent_fd_stale && streq(u->parent, parent))
        return u->parent_fd;
    int fd = open_beneath(u->root, parent, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        if (errno == ELOOP)
            return fail(u, 0, "its parent is reached through a symlink; refusing to write through it");
        if (errno == ENOTDIR && whiteout)
            return -2;
        if (errno == ENOTDIR)
            return fail(u, 0, "a parent is not a directory");
        if (errno == EXDEV)
            return fail(u, 0, "a parent crosses a mount point");
        if (errno != ENOENT)
            return fail(u, errno, "opening its parent");
        fd = make_parents(u, parent);
        if (fd < 0)
            return -1;
    }
    if (u->parent_fd >= 0)
        close(u->parent_fd);
    u->parent_fd = fd;
    u->parent_fd_stale = false;
    u->parent_st_valid = false;
    snprintf(u->parent, sizeof(u->parent), "%s", parent);
    return fd;
}

/* Make room for a new entry called name: remove what is there, except a
 * directory when a directory is wanted (returns 1: keep it; 2: what was
 * removed was a whiteout this layer made). */
static int make_room(struct unpacker *u, int pfd, const char *name, bool want_dir)
{
    struct stat st;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return fail(u, errno, "stat");
    }
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
        if (unlinkat(pfd, name, 0) < 0)
            return fail(u, errno, "removing the whiteout it replaces");
        return 2;
    }
    if (S_ISDIR(st.st_mode)) {
        if (want_dir)
            return 1;
        /* The cached parent fd may be this very directory: forget it, so
         * that a later "name/x" is resolved again (and refused if name is
         * now a symlink) instead of landing in the removed directory. */
        u->parent[0] = '\0'; /* pfd may be the cached fd: keep it open, just never reuse it */
        u->parent_fd_stale = true;
        if (unlinkat(pfd, name, AT_REMOVEDIR) < 0) {
            if (errno == ENOTEMPTY || errno == EEXIST)
                return fail(u, 0, "replaces a directory that is not empty");
            return fail(u, errno, "removing the directory it replaces");
        }
        return 0;
    }
    if (unlinkat(pfd, name, 0) < 0)
        return fail(u, errno, "removing the entry it replaces");
    return 0;
}

static bool overlay_xattr(const char *name)
{
    return startswith(name, "trusted.overlay.") || startswith(name, "user.overlay.");
}

/* Apply the entry's xattrs to fd (or, for a symlink, to pfd/name). */
static int set_xattrs(struct unpacker *u, struct archive_entry *e, int fd, int pfd, const char *name)
{
    const char *xname;
    const void *value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
        if (overlay_xattr(xname))
            return fail(u, 0, "sets the overlayfs attribute %s, which only this runtime may set", xname);
        int r;
        if (fd >= 0) {
            r = fsetxattr(fd, xname, value, size, 0);
        } else {
            /* No fsetxattr for symlinks: go through the parent's fd in
             * /proc, which names this exact directory, and do not follow
             * the final link. */
            char path[PATH_MAX];
            snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", pfd, name);
            r = lsetxattr(path, xname, value, size, 0);
        }
        if (r < 0)
            return fail(u, errno, "setting xattr %s", xname);
    }
    return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
    ts[1].tv_sec = archive_entry_mtime(e);
    ts[1].tv_nsec = archive_entry_mtime_is_set(e) ? archive_entry_mtime_nsec(e) : 0;
    if (archive_entry_atime_is_set(e)) {
        ts[0].tv_sec = archive_entry_atime(e);
        ts[0].tv_nsec = archive_entry_atime_nsec(e);
    } else {
        ts[0] = ts[1];
    }
}

static int owner(struct unpacker *u, struct archive_entry *e, uid_t *uid, gid_t *gid)
{
    la_int64_t a = archive_entry_uid(e), b = archive_entry_gid(e);
    if (a < 0 || a >= UINT32_MAX || b < 0 || b >= UINT32_MAX)
        return fail(u, 0, "owner %lld:%lld is out of range", (long long)a, (long long)b);
    *uid = (uid_t)a;
    *gid = (gid_t)b;
    return 0;
}

static int write_data(struct unpacker *u, struct archive *ar, int fd, struct archive_entry *e, uint64_t *bytes)
{
    la_int64_t end = 0;
    for (;;) {
        const void *buf;
        size_t size;
        la_int64_t off;
        int r = archive_read_data_block(ar, &buf, &size, &off);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN)
            return fail(u, 0, "reading its data: %s", archive_error_string(ar));
        const char *p = buf;
        size_t left = size;
        while (left) {
            ssize_t w = pwrite(fd, p, left, off);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return fail(u, errno, "writing");
            }
            p += w;
            left -= (size_t)w;
            off += w;
        }
        *bytes += size;
        if (off > end)
            end = off;
        if (account(u, size) < 0)
            return -1;
    }
    /* Sparse files end in a hole that no block covers. */
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > end && ftruncate(fd, archive_entry_size(e)) < 0)
        return fail(u, errno, "truncating");
    return 0;
}

/* What a file created in pfd starts with: its group (the directory's, if
 * it is setgid, else ours), and whether the directory has a default ACL
 * (which overrides the umask, so the mode must be set again). Cached with
 * the parent fd. */
static void new_file_defaults(struct unpacker *u, int pfd, gid_t *gid, bool *acl)
{
    struct stat st;
    bool has_acl;
    if (pfd == u->parent_fd && u->parent_st_valid) {
        st = u->parent_st;
        has_acl = u->parent_acl;
    } else {
        if (fstat(pfd, &st) < 0) {
            *gid = (gid_t)-1; /* unknown: forces the chown */
            *acl = true;      /* and the chmod */
            return;
        }
        has_acl = fgetxattr(pfd, "system.posix_acl_default", NULL, 0) > 0;
        if (pfd == u->parent_fd) {
            u->parent_st = st;
            u->parent_acl = has_acl;
            u->parent_st_valid = true;
        }
    }
    *gid = (st.st_mode & S_ISGID) ? st.st_gid : u->egid;
    *acl = has_acl;
}

static int do_file(struct unpacker *u, struct archive *ar, struct archive_entry *e, int pfd, const char *name,
                   uint64_t *bytes)
{
    uid_t uid;
    gid_t gid;
    mode_t mode = archive_entry_perm(e) & 07777;
    if (owner(u, e, &uid, &gid) < 0)
        return -1;
    /* Create with the final mode (the umask is 0 while unpacking); only if
     * something is in the way, make room and try again. */
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    _cleanup_close_ int fd = openat(pfd, name, flags, mode);
    if (fd < 0 && errno == EEXIST) {
        if (make_room(u, pfd, name, false) < 0)
            return -1;
        fd = openat(pfd, name, flags, mode);
    }
    if (fd < 0)
        return fail(u, errno, "creating");
    if (write_data(u, ar, fd, e, bytes) < 0)
        return -1;
    /* What it takes on disk, which a sparse file makes far less than its
     * size (file systems count delayed allocations in st_blocks too). */
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return fail(u, errno, "stat");
    u->st->disk += (uint64_t)sb.st_blocks * 512;
    /* Most files are root's: chown only when the new file's owner is not
     * already the entry's. chown clears setuid, setgid and file
     * capabilities, so the mode is set again after it, and xattrs
     * (security.capability among them) come last. A default ACL on the
     * directory replaced the mode we created with: set it again too. */
    gid_t new_gid;
    bool acl;
    new_file_defaults(u, pfd, &new_gid, &acl);
    bool chowned = uid != u->euid || gid != new_gid;
    if (chowned && fchown(fd, uid, gid) < 0)
        return fail(u, errno, "chown");
    if ((acl || (chowned && (mode & (S_ISUID | S_ISGID)))) && fchmod(fd, mode) < 0)
        return fail(u, errno, "chmod");
    if (set_xattrs(u, e, fd, -1, NULL) < 0)
        return -1;
    struct timespec ts[2];
    entry_times(e, ts);
    if (futimens(fd, ts) < 0)
        return fail(u, errno, "setting times");
    return 0;
}

static int do_dir(struct unpacker *u, struct archive_entry *e, int pfd, const char *name, const char *path)
{
    uid_t uid;
    gid_t gid;
    if (owner(u, e, &uid, &gid) < 0)
        return -1;
    int fd, keep = 0;
    if (!*path) {
        fd = dup(u->root);
    } else {
        keep = make_room(u, pfd, name, true);
        if (keep < 0)
            return -1;
        if (keep != 1 && mkdirat(pfd, name, 0700) < 0)
            return fail(u, errno, "mkdir");
        fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0)
        return fail(u, errno, "opening the directory");
    /* ".wh.d" then "d/" in one layer: d was deleted and made anew, so
     * nothing of the lower d may show through. */
    if (keep == 2 && fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0) {
        int saved = errno;
        close(fd);
        return fail(u, saved, "marking the directory opaque");
    }
    int r = -1;
    if (fchown(fd, uid, gid) < 0)
        fail(u, errno, "chown");
    else if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
        fail(u, errno, "chmod");
    else if (set_xattrs(u, e, fd, -1, NULL) == 0)
        r = 0;
    close(fd);
    if (r < 0)
        return -1;
    u->parent_st_valid = false; /* this directory may be the cached parent: its mode changed */
    struct dirfix f = {arena_strdup(&u->arena, path), {{0, 0}, {0, 0}}};
    entry_times(e, f.times);
    ARENA_PUSH(&u->arena, u->fix, u->nfix, u->capfix, f);
    return 0;
}

static int do_symlink(struct unpacker *u, struct archive_entry *e, int pfd, const char *name)
{
    const char *target = archive_entry_symlink(e);
    uid_t uid;
    gid_t gid;
    if (!target || !*target)
        return fail(u, 0, "symlink without a target");
    if (owner(u, e, &uid, &gid) < 0 || make_room(u, pfd, name, false) < 0)
        return -1;
    /* The target is stored as written: it is resolved later, inside the
     * container's root, never by us. */
    if (symlinkat(target, pfd, name) < 0)
        return fail(u, errno, "symlink");
    if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return fail(u, errno, "chown");
    if (set_xattrs(u, e, -1, pfd, name) < 0)
        return -1;
    struct timespec ts[2];
    entry_times(e, ts);
    if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return fail(u, errno, "setting times");
    return 0;
}

static int do_hardlink(struct unpacker *u, struct archive_entry *e, int pfd, const char *name)
{
    const char *why;
    char target[PATH_MAX];
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0)
        return fail(u, 0, "a hardlink entry that carries data");
    if (unpack_clean_path(archive_entry_hardlink(e), target, sizeof(target), &why) < 0)
        return fail(u, 0, "hardlink target: %s", why);
    if (!*target)
        return fail(u, 0, "hardlink to the layer root");
    if (streq(target, u->path))
        return 0; /* "f" linked to "f" (GNU tar writes these): nothing to do */
    const char *tparent, *tbase;
    split(target, &tparent, &tbase);
    _cleanup_close_ int tpfd = *tparent ? open_beneath(u->root, tparent, O_RDONLY | O_DIRECTORY) : dup(u->root);
    if (tpfd < 0) {
        if (errno == ELOOP)
            return fail(u, 0, "hardlink target is reached through a symlink");
        return fail(u, 0, "hardlink target '%s' is not in this layer", archive_entry_hardlink(e));
    }
    struct stat st;
    if (fstatat(tpfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return fail(u, 0, "hardlink target '%s' is not in this layer", archive_entry_hardlink(e));
    if (S_ISDIR(st.st_mode))
        return fail(u, 0, "hardlink to a directory");
    if (make_room(u, pfd, name, false) < 0)
        return -1;
    /* Flags 0: if the target is a symlink, link the symlink itself. */
    if (linkat(tpfd, tbase, pfd, name, 0) < 0)
        return fail(u, errno, "link");
    return 0;
}

static int do_special(struct unpacker *u, struct archive_entry *e, int pfd, const char *name, mode_t type)
{
    uid_t uid;
    gid_t gid;
    if (owner(u, e, &uid, &gid) < 0 || make_room(u, pfd, name, false) < 0)
        return -1;
    dev_t dev = type == S_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    if (mknodat(pfd, name, type | 0600, dev) < 0)
        return fail(u, errno, "mknod");
    /* The node was just created here, in a directory only we write to, so
     * naming it again is safe; AT_SYMLINK_NOFOLLOW where the kernel has it. */
    if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return fail(u, errno, "chown");
    if (fchmodat(pfd, name, archive_entry_perm(e) & 07777, 0) < 0)
        return fail(u, errno, "chmod");
    if (set_xattrs(u, e, -1, pfd, name) < 0)
        return -1;
    struct timespec ts[2];
    entry_times(e, ts);
    if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return fail(u, errno, "setting times");
    return 0;
}

/* ".wh.NAME": hide NAME of the layers below; ".wh..wh..opq": hide all of
 * the directory's lower contents. */
static int do_whiteout(struct unpacker *u, int pfd, const char *base)
{
    if (streq(base, WH_OPAQUE)) {
        if (fsetxattr(pfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
            return fail(u, errno, "marking the directory opaque");
        return 0;
    }
    const char *name = base + strlen(WH_PREFIX);
    if (!*name || streq(name, ".") || streq(name, ".."))
        return fail(u, 0, "a whiteout that names '%s'", *name ? name : "");
    if (startswith(name, WH_PREFIX))
        return fail(u, 0, "a whiteout of a whiteout");
    /* A whiteout hides only lower layers (OCI image spec): if this layer
     * already has NAME, NAME stays. */
    struct stat st;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return 0;
    if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
        return fail(u, errno, "creating the whiteout");
    return 0;
}

static int unpack_entry(struct unpacker *u, struct archive *ar, struct archive_entry *e)
{
    const char *why;
    char path[PATH_MAX];
    const char *raw = archive_entry_pathname(e);
    u->entry = raw ? raw : "(no name)";
    if (!raw)
        return fail(u, 0, "entry without a name");
    if (unpack_clean_path(raw, path, sizeof(path), &why) < 0)
        return fail(u, 0, "%s", why);
    u->path = path;
    mode_t type = archive_entry_filetype(e);
    bool hardlink = archive_entry_hardlink(e) != NULL;
    if (!*path) {
        /* An entry for the root ("./" or "/") may only describe it. */
        if (type != AE_IFDIR || hardlink)
            return fail(u, 0, "the layer root must be a directory");
        return do_dir(u, e, u->root, "", "");
    }
    char dirpath[PATH_MAX];
    memcpy(dirpath, path, strlen(path) + 1);
    const char *parent, *base;
    split(dirpath, &parent, &base);
    bool whiteout = startswith(base, WH_PREFIX);
    int pfd = parent_fd(u, parent, whiteout);
    if (pfd == -2)
        return 0; /* umoci writes "d/.wh.x" after replacing d with a file */
    if (pfd < 0)
        return -1;
    if (whiteout)
        return do_whiteout(u, pfd, base);
    if (hardlink)
        return do_hardlink(u, e, pfd, base);
    switch (type) {
    case AE_IFREG:
        /* A sparse file's data can be tiny and its size huge: count what
         * the entries declare against the limit too. */
        if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0) {
            u->st->declared += (uint64_t)archive_entry_size(e);
            if (u->lim.max_bytes && u->lim.declared_before + u->st->declared > u->lim.max_bytes) {
                char max[32];
                format_size_buf(max, sizeof(max), u->lim.max_bytes);
                return fail(u, 0, "the image's files declare more than %s (%llu bytes) in all (sparse files?); "
                                  "raise the per-image limit with --max-bytes",
                            max, (unsigned long long)u->lim.max_bytes);
            }
        }
        return do_file(u, ar, e, pfd, base, &u->st->bytes);
    case AE_IFDIR:
        return do_dir(u, e, pfd, base, path);
    case AE_IFLNK:
        return do_symlink(u, e, pfd, base);
    case AE_IFCHR:
        return do_special(u, e, pfd, base, S_IFCHR);
    case AE_IFBLK:
        return do_special(u, e, pfd, base, S_IFBLK);
    case AE_IFIFO:
        return do_special(u, e, pfd, base, S_IFIFO);
    default:
        return fail(u, 0, "unsupported entry type %o", (unsigned)type);
    }
}

/* Directory mtimes, last, through fresh symlink-free opens, in entry
 * order: of two entries for one directory, the later wins, as for its
 * mode. */
static int apply_dir_times(struct unpacker *u)
{
    for (size_t i = 0; i < u->nfix; i++) {
        struct dirfix *f = &u->fix[i];
        int fd = *f->path ? open_beneath(u->root, f->path, O_RDONLY | O_DIRECTORY) : dup(u->root);
        if (fd < 0)
            continue; /* replaced by something else later in the layer */
        int r = futimens(fd, f->times);
        close(fd);
        if (r < 0) {
            u->entry = f->path;
            return fail(u, errno, "setting times");
        }
    }
    return 0;
}

int unpack_tar(struct archive *ar, int rootfd, const struct unpack_limits *lim, struct unpack_stats *st,
               const char *what, struct rt_err *err)
{
    struct unpacker u = {.root = rootfd, .what = what, .err = err, .parent_fd = -1, .euid = geteuid(),
                         .egid = getegid(), .st = st, .unchecked = FREE_CHECK_EVERY /* check before the first */};
    if (lim)
        u.lim = *lim;
    arena_init(&u.arena);
    /* Modes are the image's, exactly: no umask while creating entries. */
    volatile mode_t old_umask = umask(0);
    jmp_buf jb;
    if (ARENA_TRY(&u.arena, jb)) {
        umask(old_umask);
        if (u.parent_fd >= 0)
            close(u.parent_fd);
        arena_free(&u.arena);
        return rt_error(err, ENOMEM, "%s: out of memory", what);
    }
    memset(st, 0, sizeof(*st));
    int r = 0;
    for (;;) {
        struct archive_entry *e;
        int ar_r = archive_read_next_header(ar, &e);
        if (ar_r == ARCHIVE_EOF)
            break;
        if (ar_r < ARCHIVE_WARN) {
            r = rt_error(err, 0, "%s: not a valid tar stream: %s", what, archive_error_string(ar));
            break;
        }
        if (u.lim.max_entries && st->entries >= u.lim.max_entries) {
            r = rt_error(err, 0, "%s: more than %llu entries (raise the limit with --max-entries)", what,
                         (unsigned long long)u.lim.max_entries);
            break;
        }
        st->entries++;
        if (account(&u, ENTRY_COST) < 0 || unpack_entry(&u, ar, e) < 0) {
            r = -1;
            break;
        }
    }
    if (r == 0)
        r = apply_dir_times(&u);
    umask(old_umask);
    if (u.parent_fd >= 0)
        close(u.parent_fd);
    arena_free(&u.arena);
    return r;
}
