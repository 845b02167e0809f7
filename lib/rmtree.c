/* rmtree.c - see rmtree.h. */
#include "rmtree.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* getdents64's record (glibc's struct dirent64 has the same layout, but
 * its name array is sized; this is what the kernel writes). */
struct dent {
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

/* Everything one emptying carries along. */
struct rm {
    int top;             /* the directory being emptied */
    dev_t dev;           /* its file system: nothing elsewhere is touched */
    uint64_t deadline;   /* CLOCK_MONOTONIC ns, 0: none */
    uint64_t counter;    /* for fresh names in top */
    bool timed_out;
};

uint64_t rmtree_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool past(struct rm *r)
{
    if (r->deadline && rmtree_now_ns() >= r->deadline)
        r->timed_out = true;
    return r->timed_out;
}

static bool dots(const char *n)
{
    return n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'));
}

/* A bind mount of the same file system has the same st_dev: statx says
 * whether a directory is the root of a mount. */
static bool mount_root(int fd)
{
    struct statx stx;
    if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, 0, &stx) < 0)
        return true; /* unknown: not entered */
    return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int clear_fd_flags(int fd)
{
    int flags;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
        return errno == ENOTTY || errno == EOPNOTSUPP || errno == EINVAL ? 0 : -1; /* no flags here */
    if (!(flags & (FS_IMMUTABLE_FL | FS_APPEND_FL)))
        return 0;
    flags &= ~(FS_IMMUTABLE_FL | FS_APPEND_FL);
    return ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

int rmtree_clear_flags(int dirfd, const char *name)
{
    struct stat st, st2;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -1;
    /* Only these two can carry the flags (the ioctl on a device node
     * would go to its driver): a FIFO, socket, device or symlink is never
     * opened. */
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return 0;
    int fd = openat(dirfd, name,
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
    if (fd < 0)
        return -1;
    int r = -1;
    if (fstat(fd, &st2) == 0 && st2.st_dev == st.st_dev && st2.st_ino == st.st_ino &&
        (st2.st_mode & S_IFMT) == (st.st_mode & S_IFMT))
        r = clear_fd_flags(fd);
    else
        errno = ESTALE; /* swapped meanwhile: leave it */
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

/* Remove name in dir if it is anything but a directory, or an empty
 * directory; an immutable or append-only flag in the way is cleared once.
 * 1: removed (or already gone); 0: not, with *st filled when it is a
 * directory on our file system that still has entries; -1: not, for good
 * (another file system, or refused). */
static int remove_simple(struct rm *r, int dir, const char *name, struct stat *st)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (unlinkat(dir, name, 0) == 0 || errno == ENOENT)
            return 1;
        if (errno != EISDIR && errno != EPERM && errno != EACCES)
            return -1;
        if (fstatat(dir, name, st, AT_SYMLINK_NOFOLLOW) < 0)
            return errno == ENOENT ? 1 : -1;
        if (S_ISDIR(st->st_mode)) {
            if (st->st_dev != r->dev)
                return -1; /* a mount point: never entered */
            if (unlinkat(dir, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
                return 1;
            if (errno == ENOTEMPTY || errno == EEXIST)
                return 0;
            if (errno != EPERM && errno != EACCES)
                return -1;
        }
        /* EPERM: the entry's flags, or its directory's (append-only) */
        if (attempt == 0 && rmtree_clear_flags(dir, name) < 0 && errno != ENOENT)
            return -1;
    }
    return -1;
}

/* Move name in dir up into the top directory, under a fresh name. */
static int move_up(struct rm *r, int dir, const char *name)
{
    bool cleared = false;
    for (int tries = 0; tries < 64; tries++) {
        char fresh[32];
        snprintf(fresh, sizeof(fresh), ".rm-%llx", (unsigned long long)r->counter++);
        if (renameat2(dir, name, r->top, fresh, RENAME_NOREPLACE) == 0)
            return 0;
        if (errno == EEXIST)
            continue;
        if ((errno == EPERM || errno == EACCES) && !cleared) {
            cleared = true;
            if (rmtree_clear_flags(dir, name) == 0)
                continue;
        }
        return -1;
    }
    return -1;
}

/* The directory name in the top one, known as *st: what it holds is
 * removed or moved up into the top, then it is removed. 1 when something
 * changed. */
static int flatten(struct rm *r, const char *name, const struct stat *st)
{
    int sub = openat(r->top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (sub < 0)
        return 0;
    struct stat st2;
    if (fstat(sub, &st2) < 0 || st2.st_dev != st->st_dev || st2.st_ino != st->st_ino || mount_root(sub)) {
        close(sub); /* swapped meanwhile, or a mount: not ours to enter */
        return 0;
    }
    /* an append-only directory keeps its entries; an immutable one, too */
    clear_fd_flags(sub);
    int changed = 0;
    char buf[4096] __attribute__((aligned(8)));
    long n;
    while (!past(r) && (n = syscall(SYS_getdents64, sub, buf, sizeof(buf))) > 0) {
        for (long off = 0; off < n;) {
            const struct dent *d = (const void *)(buf + off);
            off += d->reclen;
            if (dots(d->name))
                continue;
            struct stat cst;
            int k = remove_simple(r, sub, d->name, &cst);
            if (k == 1 || (k == 0 && move_up(r, sub, d->name) == 0))
                changed = 1;
        }
    }
    close(sub);
    if (unlinkat(r->top, name, AT_REMOVEDIR) == 0)
        changed = 1;
    return changed;
}

int rmtree_contents(int dirfd, uint64_t deadline_ns)
{
    struct stat st;
    if (fstat(dirfd, &st) < 0)
        return -1;
    struct rm r = {.top = dirfd, .dev = st.st_dev, .deadline = deadline_ns};
    char buf[4096] __attribute__((aligned(8)));
    for (;;) {
        bool changed = false, left = false;
        if (lseek(dirfd, 0, SEEK_SET) < 0)
            return -1;
        long n;
        while ((n = syscall(SYS_getdents64, dirfd, buf, sizeof(buf))) > 0) {
            for (long off = 0; off < n;) {
                const struct dent *d = (const void *)(buf + off);
                off += d->reclen;
                if (dots(d->name))
                    continue;
                if (past(&r)) {
                    errno = ETIMEDOUT;
                    return -1;
                }
                struct stat cst;
                int k = remove_simple(&r, dirfd, d->name, &cst);
                if (k == 0 && flatten(&r, d->name, &cst))
                    changed = true;
                else if (k == 1)
                    changed = true;
                else
                    left = true;
            }
        }
        if (n < 0)
            return -1;
        if (r.timed_out) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (!left && !changed)
            return 0; /* a pass that found nothing: empty */
        if (!changed) {
            errno = ENOTEMPTY;
            return -1;
        }
    }
}

int rmtree_at(int dirfd, const char *name, uint64_t deadline_ns)
{
    struct stat st;
    struct rm r;
    if (fstat(dirfd, &st) < 0)
        return -1;
    r = (struct rm){.top = dirfd, .dev = st.st_dev};
    int k = remove_simple(&r, dirfd, name, &st);
    if (k == 1)
        return 0;
    if (k < 0)
        return -1;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    struct stat st2;
    if (fstat(fd, &st2) < 0 || st2.st_ino != st.st_ino || st2.st_dev != st.st_dev || mount_root(fd)) {
        close(fd);
        errno = EBUSY;
        return -1;
    }
    clear_fd_flags(fd);
    int c = rmtree_contents(fd, deadline_ns);
    int e = errno;
    close(fd);
    if (c < 0) {
        errno = e;
        return -1;
    }
    return unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT ? 0 : -1;
}
