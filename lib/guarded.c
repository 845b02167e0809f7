/* guarded.c - see guarded.h. */
#include "guarded.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_LINKS 40

static bool is_guard(int fd, const struct file_id *g, size_t n)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (g[i].dev == st.st_dev && g[i].ino == st.st_ino)
            return true;
    return false;
}

/* One component c in the directory dirfd: no symlink followed when
 * strict; made first when missing and mkdir_mode >= 0. */
static int step(int dirfd, const char *c, bool strict, bool last, int mkdir_mode)
{
    struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
                                      (strict ? RESOLVE_NO_SYMLINKS : 0)};
    int fd = (int)syscall(SYS_openat2, dirfd, c, &how, sizeof(how));
    if (fd < 0 && errno == ENOENT && mkdir_mode >= 0) {
        if (mkdirat(dirfd, c, last ? (mode_t)mkdir_mode : 0755) < 0 && errno != EEXIST)
            return -1;
        fd = (int)syscall(SYS_openat2, dirfd, c, &how, sizeof(how));
    }
    return fd;
}

int open_guarded(const char *path, const struct file_id *guards, size_t nguards, int mkdir_mode, char *where,
                 size_t wlen)
{
    /* todo: what is left to walk; a symlink's target is put in front */
    char todo[2 * PATH_MAX], walked[PATH_MAX] = "";
    if (path[0] != '/' || snprintf(todo, sizeof(todo), "%s", path) >= (int)sizeof(todo)) {
        errno = EINVAL;
        return -1;
    }
    int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    bool strict = is_guard(fd, guards, nguards);
    int links = 0;
    size_t pos = 0;
    for (;;) {
        while (todo[pos] == '/')
            pos++;
        if (!todo[pos])
            break;
        size_t len = strcspn(todo + pos, "/");
        char c[NAME_MAX + 1];
        if (len > NAME_MAX) {
            close(fd);
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(c, todo + pos, len);
        c[len] = '\0';
        pos += len;
        bool last = todo[pos + strspn(todo + pos, "/")] == '\0';
        if (!strcmp(c, "."))
            continue;
        size_t wl = strlen(walked);
        snprintf(walked + wl, sizeof(walked) - wl, "/%s", c);
        if (where)
            snprintf(where, wlen, "%s", walked);
        if (!strcmp(c, "..") && strict) {
            /* never back out of what a container can write */
            close(fd);
            errno = ELOOP;
            return -1;
        }
        int next = !strcmp(c, "..") ? openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC)
                                    : step(fd, c, strict, last, mkdir_mode);
        if (next < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        struct stat st;
        if (fstat(next, &st) < 0) {
            int e = errno;
            close(next);
            close(fd);
            errno = e;
            return -1;
        }
        if (S_ISLNK(st.st_mode) && strict) {
            /* (O_PATH | O_NOFOLLOW opens a symlink itself, even so) */
            close(next);
            close(fd);
            errno = ELOOP;
            return -1;
        }
        if (S_ISLNK(st.st_mode)) {
            /* followed as the kernel would: its target, then the rest */
            char target[PATH_MAX];
            ssize_t n = readlinkat(next, "", target, sizeof(target) - 1);
            close(next);
            if (n < 0 || ++links > MAX_LINKS) {
                close(fd);
                errno = n < 0 ? errno : ELOOP;
                return -1;
            }
            target[n] = '\0';
            char rest[2 * PATH_MAX];
            if (snprintf(rest, sizeof(rest), "%s/%s", target, todo + pos) >= (int)sizeof(rest) ||
                snprintf(todo, sizeof(todo), "%s", rest) >= (int)sizeof(todo)) {
                close(fd);
                errno = ENAMETOOLONG;
                return -1;
            }
            pos = 0;
            /* drop the link's own name from what was walked */
            char *slash = strrchr(walked, '/');
            if (slash)
                *slash = '\0';
            if (target[0] == '/') {
                close(fd);
                walked[0] = '\0';
                fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                    return -1;
                strict = strict || is_guard(fd, guards, nguards);
            }
            continue;
        }
        close(fd);
        fd = next;
        strict = strict || is_guard(fd, guards, nguards);
    }
    return fd;
}
