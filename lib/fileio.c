#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

char *read_small_file(struct arena *a, const char *path, size_t max, size_t *len, struct stat *st, int *errnum)
{
    struct stat local;
    if (!st)
        st = &local;
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        *errnum = errno;
        return NULL;
    }
    if (fstat(fd, st) < 0) {
        *errnum = errno;
        return NULL;
    }
    if (!S_ISREG(st->st_mode)) {
        *errnum = EINVAL;
        return NULL;
    }
    if ((unsigned long long)st->st_size > max) {
        *errnum = EFBIG;
        return NULL;
    }
    /* Read one byte more than the size we saw, to notice a file that grew. */
    size_t cap = (size_t)st->st_size + 1, n = 0;
    char *buf = arena_alloc(a, cap + 1);
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            *errnum = errno;
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == cap) {
            *errnum = EFBIG;
            return NULL;
        }
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

const char *read_small_file_error(int errnum)
{
    switch (errnum) {
    case EINVAL:
        return "not a regular file";
    case EFBIG:
        return "file too large";
    default:
        return strerror(errnum);
    }
}

int write_file_atomic(int dirfd, const char *name, const void *data, size_t len, struct rt_err *err)
{
    char tmp[NAME_MAX + 1];
    snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int)getpid());
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return rt_syserror(err, "creating %s", tmp);
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            rt_syserror(err, "writing %s", tmp);
            close(fd);
            unlinkat(dirfd, tmp, 0);
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        rt_syserror(err, "writing %s", tmp);
        unlinkat(dirfd, tmp, 0);
        return -1;
    }
    if (renameat(dirfd, tmp, dirfd, name) < 0) {
        rt_syserror(err, "renaming %s", tmp);
        unlinkat(dirfd, tmp, 0);
        return -1;
    }
    if (fsync(dirfd) < 0)
        return rt_syserror(err, "syncing the directory of %s", name);
    return 0;
}

int mkdir_p(const char *path, mode_t mode, struct rt_err *err)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
        return rt_error(err, ENAMETOOLONG, "creating %s: %s", path, strerror(ENAMETOOLONG));
    for (char *c = p + 1; *c; c++)
        if (*c == '/') {
            *c = '\0';
            if (mkdir(p, 0755) < 0 && errno != EEXIST)
                return rt_syserror(err, "creating %s", p);
            *c = '/';
        }
    if (mkdir(p, mode) < 0 && errno != EEXIST)
        return rt_syserror(err, "creating %s", p);
    return 0;
}
