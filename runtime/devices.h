/* devices.h - which device nodes a container may open: a cgroup v2 device
 * program (BPF_PROG_TYPE_CGROUP_DEVICE) on the container's cgroup.
 *
 * Without it, a container's root (CAP_MKNOD is in the default set) makes a
 * node for any host device, the disk included, and opens it; an image can
 * ship a 0666 node that even a process without capabilities opens. The
 * program allows what Docker's default allows, plus the devices the
 * service names on purpose:
 *
 *   mknod of any character or block device (a node alone is harmless)
 *   c 1:3 null, 1:5 zero, 1:7 full, 1:8 random, 1:9 urandom   rwm
 *   c 5:0 tty, 5:2 ptmx, 136:* the pts                        rwm
 *
 * and nothing else: not 5:1, the host's console. It is attached to a cgroup2 directory, which works
 * even where cgroup2 has no controllers (a hybrid host): device programs
 * need none. Every process of the container, exec'd ones included, is in
 * that cgroup, so one program covers `rtctl run`, `rtctl exec` and
 * rtinit's services and health checks. */
#ifndef RT_RUNTIME_DEVICES_H
#define RT_RUNTIME_DEVICES_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

/* One rule: type 'c', 'b' or 0 for both; major, minor or -1 for any;
 * access a set of CTR_DEV_READ, CTR_DEV_WRITE, CTR_DEV_MKNOD. */
struct dev_rule {
    char type;
    int64_t major, minor;
    unsigned access;
};

/* Load the program for Docker's default rules plus extra, and attach it to
 * the cgroup open at cgfd, replacing any program a stale cgroup of the
 * same name still has. */
int dev_attach(int cgfd, const struct dev_rule *extra, size_t nextra, struct rt_err *err);

#endif
