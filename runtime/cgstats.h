/* cgstats.h - what a container's cgroup v2 directory says it uses: CPU
 * time, memory, tasks, block I/O, and the limits in force.
 *
 * Each number comes from its controller's file and is only there when
 * the file is: on a hybrid host (controllers in v1, a cgroup2 mount with
 * none) memory.current, pids.current and io.stat do not exist, and the
 * caller says "-" rather than a number made up elsewhere. cpu.stat is
 * the exception: the kernel keeps usage_usec for every cgroup2 directory,
 * controller or not. Every read is of a small virtual file through the
 * cgroup's directory fd, with fixed buffers: cheap enough for PID 1's
 * loop (a few microseconds a file). io.stat, a line per block device,
 * is read whole in pieces, however many devices the machine has. */
#ifndef RT_CGSTATS_H
#define RT_CGSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CG_NOLIMIT UINT64_MAX

struct cg_stats {
    bool has_cpu;              /* cpu.stat */
    uint64_t cpu_usec, cpu_user_usec, cpu_system_usec;
    bool has_mem;              /* memory.current */
    uint64_t mem_bytes;
    bool has_mem_max;          /* memory.max: bytes, or CG_NOLIMIT for "max" */
    uint64_t mem_max;
    bool has_pids;             /* pids.current */
    uint64_t pids;
    bool has_pids_max;         /* pids.max: a count, or CG_NOLIMIT */
    uint64_t pids_max;
    bool has_io;               /* io.stat: every device's bytes added up */
    uint64_t io_rbytes, io_wbytes;
    bool has_oom;              /* memory.events */
    uint64_t oom_kills;
};

/* Read what dirfd (a cgroup2 directory) has; files that are missing
 * leave their has_ false. Never fails: an unreadable cgroup has nothing. */
void cg_stats_read(int dirfd, struct cg_stats *st);

/* The numbers of one "key value" line of a flat-keyed file (cpu.stat,
 * memory.events) and of io.stat's "MAJ:MIN rbytes=N wbytes=N ..." lines:
 * pure, for the unit tests. */
bool cg_flat_key(const char *text, const char *key, uint64_t *out);
void cg_io_sum(const char *text, uint64_t *rbytes, uint64_t *wbytes);

/* io.stat as it is read, piece by piece (a piece may end mid-line): its
 * bytes summed over every device, in fixed memory however many devices
 * there are. cg_io_end() is false when a line was too long to read (not
 * io.stat's format): the sums then miss it. */
struct cg_io {
    uint64_t rbytes, wbytes;
    char line[512];            /* the line so far; a real one is under 200 bytes */
    size_t len;
    bool skip, bad;
};
void cg_io_begin(struct cg_io *io);
void cg_io_feed(struct cg_io *io, const char *buf, size_t len);
bool cg_io_end(struct cg_io *io);
/* More than this much io.stat is not read (a "-", not a part's total):
 * a line per device is about 90 bytes, so some 11,000 devices. */
#define CG_IO_STAT_MAX (1024 * 1024)
/* memory.max, pids.max: a number or "max" (CG_NOLIMIT); false otherwise */
bool cg_limit_value(const char *text, uint64_t *out);

#endif
