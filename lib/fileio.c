#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
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
