/* cgroup.c - cgroup v2 for containers. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/util.h"

int cg_mountpoint(char *out, size_t len, struct rt_err *err)
{
    out[0] = '\0';
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return rt_syserror(err, "/proc/self/mountinfo");
    char line[4096];
    while (fgets(line, sizeof(line), f)) {
        /* id parent maj:min root mountpoint options... - fstype source ... */
        char *sep = strstr(line, " - ");
        if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
            continue;
        char *p = line;
        for (int i = 0; i < 4 && p; i++)
            p = strchr(p + 1, ' ');
        if (!p)
            continue;
        char *end = strchr(p + 1, ' ');
        if (!end)
            continue;
        /* mountinfo escapes blanks as \040; cgroup mounts have none */
        snprintf(out, len, "%.*s", (int)(end - p - 1), p + 1);
        break;
    }
    fclose(f);
    return 0;
}

/* Write a value to a control file; 0, or -1 with errno. */
static int cg_write(int dirfd, const char *file, const char *value)
{
    int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, value, strlen(value));
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(value) ? 0 : -1;
}

static void read_small(int dirfd, const char *file, char *buf, size_t len)
{
    buf[0] = '\0';
    int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
}

/* Make sure the controller is enabled for children of dirfd; false if the
 * kernel or the hierarchy does not offer it here. */
static bool enable(int dirfd, const char *ctl)
{
    char have[512], on[512], plus[32];
    read_small(dirfd, "cgroup.subtree_control", on, sizeof(on));
    if (word_in_list(on, ctl))
        return true;
    read_small(dirfd, "cgroup.controllers", have, sizeof(have));
    if (!word_in_list(have, ctl))
        return false;
    snprintf(plus, sizeof(plus), "+%s", ctl);
    return cg_write(dirfd, "cgroup.subtree_control", plus) == 0;
}

static void note(char *missing, size_t mlen, const char *what, const char *ctl)
{
    size_t l = strlen(missing);
    snprintf(missing + l, mlen - l, "%s%s (the %s controller)", l ? ", " : "", what, ctl);
}

int cg_create(struct cgroup *cg, const char *parent, const char *name, const struct cg_limits *lim, char *missing, size_t mlen,
              struct rt_err *err)
{
    return cg_create_flags(cg, parent, name, lim, 0, missing, mlen, err);
}

int cg_create_flags(struct cgroup *cg, const char *parent, const char *name, const struct cg_limits *lim, unsigned flags,
                    char *missing, size_t mlen, struct rt_err *err)
{
    cg->fd = -1;
    missing[0] = '\0';
    char mnt[PATH_MAX];
    if (cg_mountpoint(mnt, sizeof(mnt), err) < 0)
        return -1;
    if (!mnt[0])
        return rt_error(err, ENOENT, "this host has no cgroup2 file system mounted");
    int n = snprintf(cg->path, sizeof(cg->path), "%s/%s/%s", mnt, parent, name);
    if (n < 0 || (size_t)n >= sizeof(cg->path))
        return rt_error(err, ENAMETOOLONG, "cgroup path too long");
    _cleanup_close_ int top = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top < 0)
        return rt_syserror(err, "%s", mnt);
    /* A container ending at the same moment may remove the parent
     * (cg_destroy) between our mkdir of it and of our cgroup: then again. */
    int rt = -1, r = -1;
    bool mem = false, cpu = false, pids = false, io = false, joined = false;
    for (int attempt = 0; attempt < 4; attempt++) {
        if (rt >= 0)
            close(rt);
        if (mkdirat(top, parent, 0755) < 0 && errno != EEXIST)
            return rt_syserror(err, "creating %s/%s", mnt, parent);
        rt = openat(top, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rt < 0)
            return rt_syserror(err, "%s/%s", mnt, parent);
        /* Enable every controller there is on the way down, limits or
         * not: their files are what rtctl status, stats and the metrics
         * read (cgstats.h). A controller missing at the top is missing
         * for good (a hybrid host keeps them in v1). */
        mem = enable(top, "memory") && enable(rt, "memory");
        cpu = enable(top, "cpu") && enable(rt, "cpu");
        pids = enable(top, "pids") && enable(rt, "pids");
        io = enable(top, "io") && enable(rt, "io");
        r = mkdirat(rt, name, 0755);
        if (r == 0)
            break;
        if (errno == ENOENT)
            continue;
        if (errno != EEXIST)
            break;
        /* Left by a container that is gone: take it over if it is empty. */
        if (unlinkat(rt, name, AT_REMOVEDIR) < 0) {
            if (errno == EBUSY && (flags & CG_JOIN)) {
                joined = true;
                r = 0;
                break;
            }
            if (errno == EBUSY) {
                close(rt);
                return rt_error(err, EBUSY, "%s still has processes: is the container running?", cg->path);
            }
            break;
        }
        r = mkdirat(rt, name, 0755);
        break;
    }
    if (r == 0)
        cg->fd = openat(rt, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int e = errno;
    close(rt);
    if (cg->fd < 0) {
        errno = e;
        return rt_syserror(err, "creating %s", cg->path);
    }
    char v[64];
    if (joined) {
        /* limits an earlier start set and this one does not: gone (a
         * controller that is not enabled has no file: nothing to undo) */
        if (!lim->memory_max)
            cg_write(cg->fd, "memory.max", "max");
        if (!lim->cpus_milli)
            cg_write(cg->fd, "cpu.max", "max");
        if (!lim->pids_max)
            cg_write(cg->fd, "pids.max", "max");
        if (!lim->io_weight)
            cg_write(cg->fd, "io.weight", "default 100");
    }
    if (lim->memory_max) {
        snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->memory_max);
        /* No swap beyond the limit: memory_max is what the service gets. */
        if (!mem || cg_write(cg->fd, "memory.max", v) < 0)
            note(missing, mlen, "memory_max", "memory");
        else
            cg_write(cg->fd, "memory.swap.max", "0");
    }
    if (lim->cpus_milli) {
        snprintf(v, sizeof(v), "%llu 100000", (unsigned long long)(lim->cpus_milli * 100));
        if (!cpu || cg_write(cg->fd, "cpu.max", v) < 0)
            note(missing, mlen, "cpus", "cpu");
    }
    if (lim->pids_max) {
        snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->pids_max);
        if (!pids || cg_write(cg->fd, "pids.max", v) < 0)
            note(missing, mlen, "pids_max", "pids");
    }
    if (lim->io_weight) {
        snprintf(v, sizeof(v), "default %u", lim->io_weight);
        if (!io || cg_write(cg->fd, "io.weight", v) < 0)
            note(missing, mlen, "io_weight", "io");
    }
    return 0;
}

int cg_open(struct cgroup *cg, const char *path, struct rt_err *err)
{
    if ((size_t)snprintf(cg->path, sizeof(cg->path), "%s", path) >= sizeof(cg->path))
        return rt_error(err, ENAMETOOLONG, "cgroup path too long");
    cg->fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg->fd < 0)
        return rt_syserror(err, "%s", cg->path);
    return 0;
}

int cg_kill(const struct cgroup *cg)
{
    if (cg->fd < 0)
        return -1;
    if (cg_write(cg->fd, "cgroup.kill", "1") == 0)
        return 0;
    /* Before Linux 5.14: one pass over the members. It never waits (PID 1
     * calls this); a process forked meanwhile is the caller's to find
     * when the cgroup will not go away. */
    char buf[65536];
    read_small(cg->fd, "cgroup.procs", buf, sizeof(buf));
    for (char *p = buf; *p;) {
        pid_t pid = (pid_t)strtol(p, &p, 10);
        if (pid > 0)
            kill(pid, SIGKILL);
        while (*p == '\n')
            p++;
    }
    return 0;
}

uint64_t cg_oom_kills(const struct cgroup *cg)
{
    char buf[1024];
    if (cg->fd < 0)
        return 0;
    read_small(cg->fd, "memory.events", buf, sizeof(buf));
    const char *p = strstr(buf, "oom_kill ");
    return p ? strtoull(p + 9, NULL, 10) : 0;
}

void cg_destroy(struct cgroup *cg)
{
    if (cg->fd >= 0)
        close(cg->fd);
    cg->fd = -1;
    if (!cg->path[0] || rmdir(cg->path) < 0)
        return;
    /* and the parent, once its last container is gone (EBUSY otherwise);
     * cg_create makes it again and enables its controllers */
    char *slash = strrchr(cg->path, '/');
    if (slash) {
        *slash = '\0';
        rmdir(cg->path);
        *slash = '/';
    }
}

int cg_enter(const struct cgroup *cg, pid_t pid, struct rt_err *err)
{
    char v[32];
    snprintf(v, sizeof(v), "%d", (int)pid);
    if (cg_write(cg->fd, "cgroup.procs", v) < 0)
        return rt_syserror(err, "moving %d into %s", (int)pid, cg->path);
    return 0;
}

int cg_kill_remove(const char *path, int timeout_ms)
{
    struct cgroup cg = {.fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (cg.fd < 0)
        return errno == ENOENT ? 0 : -1;
    cg_kill(&cg);
    close(cg.fd);
    for (int waited = 0;; waited += 10) {
        if (rmdir(path) == 0 || errno == ENOENT)
            break;
        if (errno != EBUSY || waited >= timeout_ms)
            return -1;
        nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
    }
    char parent[PATH_MAX];
    snprintf(parent, sizeof(parent), "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash) {
        *slash = '\0';
        rmdir(parent); /* EBUSY while other cgroups are in it */
    }
    return 0;
}
