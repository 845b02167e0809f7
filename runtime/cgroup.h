/* cgroup.h - one cgroup v2 directory per container, under "rt" (or
 * "rt-N" for a state directory other than the system's: see container.c).
 *
 * The cgroup2 mount is found in /proc/self/mountinfo (on a hybrid host it
 * is /sys/fs/cgroup/unified, often with no controllers; under rtinit as
 * PID 1 it is /sys/fs/cgroup with all of them). A limit whose controller
 * is not available is reported, never pretended: the caller gets the list
 * of what could not be applied. */
#ifndef RT_CGROUP_H
#define RT_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/err.h"

struct cg_limits {
    uint64_t memory_max;       /* bytes; 0 = none */
    uint64_t cpus_milli;       /* 1000 = one CPU; 0 = none */
    uint64_t pids_max;         /* 0 = none */
    unsigned io_weight;        /* io.weight 1-10000; 0 = the default */
};

struct cgroup {
    char path[PATH_MAX];       /* absolute directory of the container's cgroup */
    int fd;                    /* open on it, for clone3(CLONE_INTO_CGROUP) */
};

/* The cgroup2 mount point, or "" when the host has none. */
int cg_mountpoint(char *out, size_t len, struct rt_err *err);

/* Create (or take over an empty stale) cgroup <parent>/<name> and apply the
 * limits. missing gets a sentence naming the limits that could not be
 * applied for want of a controller ("" when all were). */
int cg_create(struct cgroup *cg, const char *parent, const char *name, const struct cg_limits *lim, char *missing, size_t mlen,
              struct rt_err *err);
/* cg_create with flags: CG_JOIN takes over the cgroup even while it has
 * processes (a host service whose sessions outlived it: hostproc.c),
 * setting every limit again, those not given back to none. */
#define CG_JOIN 1u
int cg_create_flags(struct cgroup *cg, const char *parent, const char *name, const struct cg_limits *lim, unsigned flags,
                    char *missing, size_t mlen, struct rt_err *err);

/* Kill every process in it (cgroup.kill, or one by one on older kernels). */
int cg_kill(const struct cgroup *cg);
/* Has the memory controller killed something in it (memory.events)? */
uint64_t cg_oom_kills(const struct cgroup *cg);
/* Remove it (it must be empty) and its parent if that is empty too, and
 * close the fd. */
void cg_destroy(struct cgroup *cg);
/* Kill what is in the cgroup at path and remove it (and its parent, if
 * empty), waiting up to timeout_ms for its processes to be gone: for the
 * end of rtinit, never its loop. 0 when it is gone. */
int cg_kill_remove(const char *path, int timeout_ms);
/* Move pid into it (for `exec`). */
int cg_enter(const struct cgroup *cg, pid_t pid, struct rt_err *err);
/* Open an existing cgroup by its absolute path (as cg_create made it). */
int cg_open(struct cgroup *cg, const char *path, struct rt_err *err);

#endif
