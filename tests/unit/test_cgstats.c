/* runtime/cgstats.c: the cgroup files' formats, and a real cgroup2
 * directory's cpu.stat (every cgroup2 directory has one, controllers or
 * not). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runtime/cgroup.h"
#include "../../runtime/cgstats.h"
#include "t.h"

TEST(cgstats_flat_keys)
{
    const char *cpu = "usage_usec 16482436719\nuser_usec 11972763854\nsystem_usec 4509672864\nnice_usec 4000\n";
    uint64_t v = 0;
    CHECK(cg_flat_key(cpu, "usage_usec", &v));
    CHECK(v == 16482436719ULL);
    CHECK(cg_flat_key(cpu, "system_usec", &v));
    CHECK(v == 4509672864ULL);
    /* a key that only starts like another is not it */
    CHECK(!cg_flat_key("usage_usec_x 5\n", "usage_usec", &v));
    CHECK(!cg_flat_key(cpu, "throttled_usec", &v));
    CHECK(!cg_flat_key("", "usage_usec", &v));
    const char *ev = "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n";
    CHECK(cg_flat_key(ev, "oom_kill", &v));
    CHECK_INT((int)v, 2);
    CHECK(!cg_flat_key("oom_kill -1\n", "oom_kill", &v));
}

TEST(cgstats_io_stat_adds_devices)
{
    uint64_t r, w;
    cg_io_sum("8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
              "253:1 rbytes=100 wbytes=1 rios=1 wios=1 dbytes=0 dios=0\n",
              &r, &w);
    CHECK(r == 4196 && w == 8193);
    cg_io_sum("", &r, &w);
    CHECK(r == 0 && w == 0);
    cg_io_sum("8:0 rios=1 wbytes=7", &r, &w); /* no newline at the end, fields in any order */
    CHECK(r == 0 && w == 7);
}

/* io.stat of a machine with many block devices: n lines, device i
 * reading i * 1000 + 7 bytes and writing i * 3 (sums known). */
static char *many_devices(size_t n, uint64_t *r, uint64_t *w)
{
    size_t cap = n * 128 + 1, len = 0;
    char *t = malloc(cap);
    *r = *w = 0;
    for (size_t i = 0; t && i < n; i++) {
        uint64_t rb = i * 1000 + 7, wb = i * 3;
        len += (size_t)snprintf(t + len, cap - len, "%zu:%zu rbytes=%llu wbytes=%llu rios=%zu wios=%zu dbytes=0 dios=0\n",
                                259 + i / 16, i % 16, (unsigned long long)rb, (unsigned long long)wb, i, i);
        *r += rb;
        *w += wb;
    }
    return t;
}

TEST(cgstats_io_stat_longer_than_4k)
{
    uint64_t wr, ww, r, w;
    char *t = many_devices(200, &wr, &ww);
    CHECK(t != NULL);
    CHECK(strlen(t) > 3 * 4096);
    cg_io_sum(t, &r, &w);
    CHECK(r == wr && w == ww);
    /* fed in pieces of every size, lines cut anywhere: the same sums */
    size_t len = strlen(t);
    for (size_t piece = 1; piece < 200; piece += 13) {
        struct cg_io io;
        cg_io_begin(&io);
        for (size_t off = 0; off < len; off += piece)
            cg_io_feed(&io, t + off, len - off < piece ? len - off : piece);
        CHECK(cg_io_end(&io));
        CHECK(io.rbytes == wr && io.wbytes == ww);
    }
    /* a line longer than any of io.stat's: said, not summed in part */
    struct cg_io io;
    cg_io_begin(&io);
    char junk[2048];
    memset(junk, 'x', sizeof(junk));
    cg_io_feed(&io, "8:0 rbytes=5 wbytes=6\n", 22);
    cg_io_feed(&io, junk, sizeof(junk));
    cg_io_feed(&io, " rbytes=1000\n8:1 rbytes=1 wbytes=1\n", 35);
    CHECK(!cg_io_end(&io));
    CHECK(io.rbytes == 6 && io.wbytes == 7);
    free(t);
}

/* cg_stats_read through a directory fd, as rtinit reads a cgroup: a
 * plain directory holding the files stands for one whose io.stat is
 * 13 KiB (the whole of it counted), then more than CG_IO_STAT_MAX ("-"). */
TEST(cgstats_reads_a_long_io_stat_whole)
{
    char dir[] = "/tmp/rt-cgstats-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(dfd >= 0);
    int fd = openat(dfd, "cgroup.controllers", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0 && write(fd, "cpu io memory\n", 14) == 14);
    close(fd);
    uint64_t wr, ww;
    char *t = many_devices(200, &wr, &ww);
    CHECK(t != NULL);
    fd = openat(dfd, "io.stat", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0 && write(fd, t, strlen(t)) == (ssize_t)strlen(t));
    close(fd);
    struct cg_stats st;
    cg_stats_read(dfd, &st);
    CHECK(st.has_io);
    CHECK(st.io_rbytes == wr && st.io_wbytes == ww);
    free(t);
    /* too much to be io.stat: no number rather than part of one */
    t = many_devices(CG_IO_STAT_MAX / 60, &wr, &ww);
    CHECK(t != NULL && strlen(t) > CG_IO_STAT_MAX);
    fd = openat(dfd, "io.stat", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0 && write(fd, t, strlen(t)) == (ssize_t)strlen(t));
    close(fd);
    cg_stats_read(dfd, &st);
    CHECK(!st.has_io);
    free(t);
    CHECK(unlinkat(dfd, "io.stat", 0) == 0 && unlinkat(dfd, "cgroup.controllers", 0) == 0);
    close(dfd);
    CHECK(rmdir(dir) == 0);
}

TEST(cgstats_limits)
{
    uint64_t v = 0;
    CHECK(cg_limit_value("max\n", &v) && v == CG_NOLIMIT);
    CHECK(cg_limit_value("67108864\n", &v) && v == 67108864);
    CHECK(!cg_limit_value("maximum\n", &v));
    CHECK(!cg_limit_value("", &v));
}

TEST(cgstats_reads_a_real_cgroup)
{
    char mnt[4096];
    struct rt_err err;
    if (cg_mountpoint(mnt, sizeof(mnt), &err) < 0 || !mnt[0])
        return; /* no cgroup2 here: nothing to read */
    int fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(fd >= 0);
    struct cg_stats st;
    cg_stats_read(fd, &st);
    close(fd);
    /* the root's cpu.stat: the whole machine's CPU time so far */
    CHECK(st.has_cpu);
    CHECK(st.cpu_usec > 0);
    struct cg_stats none;
    cg_stats_read(-1, &none);
    CHECK(!none.has_cpu && !none.has_mem && !none.has_pids && !none.has_io);
}
