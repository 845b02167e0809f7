/* pid1.h - what rtinit does only when it is PID 1, the droplet's init.
 *
 * Before anything else: /dev (devtmpfs) and the console on fds 0-2, then
 * /proc, /sys, /run, /dev/pts, /dev/shm and cgroup2 at /sys/fs/cgroup
 * with every controller it offers enabled for children (each only if it
 * is not mounted already: an initramfs moves some of them over).
 * Ctrl-Alt-Del becomes SIGINT. After conf.d is read: /proc remounted
 * with hidepid ([droplet] proc_hidepid), the hostname, the kernel modules
 * (libkmod), the block volume (by device, LABEL= or UUID=, libblkid;
 * waiting a bounded time for it to appear).
 *
 * At the end: every process still alive gets SIGTERM, then SIGKILL; file
 * systems are synced, the volume unmounted (or remounted read-only), the
 * root remounted read-only, and reboot(2) powers off, halts or reboots.
 * None of it can make PID 1 exit: a failed step is logged and the next
 * one runs. */
#ifndef RT_PID1_H
#define RT_PID1_H

#include "../config/conf.h"
#include "../lib/log.h"

/* The mounts and the console; call first. */
void pid1_early(const struct logger *lg);
/* /proc's hidepid, hostname, modules, volume, from droplet.conf (c may
 * be NULL when conf.d could not be read: then only hidepid, which is on
 * by default). */
void pid1_system(const struct conf *c, const struct logger *lg);
/* droplet.conf's [uplink] (uplink.c). */
void pid1_uplink(const struct droplet_conf *d, const struct logger *lg);

enum pid1_end { PID1_POWEROFF, PID1_REBOOT, PID1_HALT };
/* After every service has stopped. Never returns. */
__attribute__((noreturn)) void pid1_end(enum pid1_end how, const struct conf *c, const struct logger *lg);

#endif
