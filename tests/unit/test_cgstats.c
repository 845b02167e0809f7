/* runtime/cgstats.c: the cgroup files' formats, and a real cgroup2
 * directory's cpu.stat (every cgroup2 directory has one, controllers or
 * not). */
#include <fcntl.h>
#include <stdint.h>
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
