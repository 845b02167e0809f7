/* Removing a tree a container wrote (lib/rmtree.h): nothing followed,
 * nothing outside touched, any depth with a handful of fds. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../lib/rmtree.h"
#include "t.h"

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

static void write_at(int dfd, const char *name, const char *text)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
        close(fd);
    }
}

static void set_flags(int dfd, const char *name, int flags, int dir)
{
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
    CHECK(fd >= 0);
    if (fd >= 0) {
        int f = 0;
        if (ioctl(fd, FS_IOC_GETFLAGS, &f) == 0) {
            f |= flags;
            CHECK(ioctl(fd, FS_IOC_SETFLAGS, &f) == 0);
        }
        close(fd);
    }
}

/* A container's worst: links out, a FIFO, a device node, a name with a
 * newline, a mode-0 directory, a hard link to a host file, immutable and
 * append-only entries, and a chain 3,000 directories deep. */
static void hostile_tree(const char *base, int top)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/canary", base);
    CHECK(symlinkat(p, top, "to-canary") == 0);
    CHECK(mkdirat(top, "d", 0755) == 0);
    CHECK(symlinkat("../../canary", top, "d/up") == 0);
    CHECK(symlinkat("/", top, "d/root") == 0);
    CHECK(mkfifoat(top, "fifo", 0600) == 0);
    write_at(top, "new\nline", "x");
    CHECK(mkdirat(top, "locked", 0755) == 0);
    write_at(top, "locked/f", "x");
    CHECK(fchmodat(top, "locked", 0, 0) == 0);
    snprintf(p, sizeof(p), "%s/canary/keep", base);
    CHECK(linkat(AT_FDCWD, p, top, "hardlink", 0) == 0);
    if (geteuid() == 0) {
        CHECK(mknodat(top, "null", S_IFCHR | 0666, makedev(1, 3)) == 0);
        write_at(top, "immutable", "x");
        set_flags(top, "immutable", FS_IMMUTABLE_FL, 0);
        CHECK(mkdirat(top, "appendonly", 0755) == 0);
        write_at(top, "appendonly/f", "x");
        set_flags(top, "appendonly", FS_APPEND_FL, 1);
    }
    int fd = dup(top);
    for (int i = 0; i < 3000 && fd >= 0; i++) {
        CHECK(mkdirat(fd, "n", 0755) == 0);
        if (i % 500 == 0)
            write_at(fd, "file", "x");
        int next = openat(fd, "n", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        close(fd);
        fd = next;
    }
    if (fd >= 0) {
        CHECK(symlinkat("/", fd, "bottom") == 0);
        close(fd);
    }
}

TEST(rmtree_removes_a_hostile_tree_and_nothing_else)
{
    char base[] = "/tmp/rmtree.XXXXXX";
    CHECK(mkdtemp(base) != NULL);
    int bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(bfd >= 0);
    CHECK(mkdirat(bfd, "canary", 0755) == 0);
    write_at(bfd, "canary/keep", "precious");
    CHECK(mkdirat(bfd, "top", 0755) == 0);
    int top = openat(bfd, "top", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(top >= 0);
    hostile_tree(base, top);
    close(top);
    /* with 32 fds at most: the depth must not cost any */
    struct rlimit old, low = {32, 32};
    getrlimit(RLIMIT_NOFILE, &old);
    low.rlim_max = old.rlim_max;
    int fds = count_fds();
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
    int r = rmtree_at(bfd, "top", 0);
    int e = errno;
    setrlimit(RLIMIT_NOFILE, &old);
    CHECK_INT(r, 0);
    if (r < 0)
        fprintf(stderr, "rmtree_at: %s\n", strerror(e));
    CHECK_INT(count_fds(), fds);
    struct stat st;
    CHECK(fstatat(bfd, "top", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
    char buf[32] = "";
    int fd = openat(bfd, "canary/keep", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 8);
    CHECK_STR(buf, "precious");
    CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_nlink == 1);
    if (fd >= 0)
        close(fd);
    CHECK(rmtree_at(bfd, "canary", 0) == 0);
    CHECK(rmtree_at(bfd, "gone", 0) == 0); /* nothing there: fine */
    close(bfd);
    CHECK(rmdir(base) == 0);
}

TEST(rmtree_stops_at_its_deadline_and_goes_on_later)
{
    char base[] = "/tmp/rmtree.XXXXXX";
    CHECK(mkdtemp(base) != NULL);
    int top = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(top >= 0);
    for (int i = 0; i < 50; i++) {
        char n[16];
        snprintf(n, sizeof(n), "f%d", i);
        write_at(top, n, "x");
    }
    CHECK(mkdirat(top, "d", 0755) == 0);
    write_at(top, "d/f", "x");
    errno = 0;
    CHECK_INT(rmtree_contents(top, 1), -1); /* long past */
    CHECK_INT(errno, ETIMEDOUT);
    CHECK_INT(rmtree_contents(top, rmtree_now_ns() + 10000000000ull), 0);
    struct stat st;
    CHECK(fstatat(top, "d", &st, 0) < 0 && fstatat(top, "f0", &st, 0) < 0);
    close(top);
    CHECK(rmdir(base) == 0);
}
