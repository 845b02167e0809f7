/* supervisor.h - rtinit's event loop: start services in dependency order,
 * check their health, restart them by policy with back-off, log their
 * output, reload conf.d, answer rtctl, stop them in reverse order.
 *
 * One loop over epoll: a signalfd (SIGCHLD, SIGTERM, SIGINT, SIGHUP,
 * SIGUSR1, SIGUSR2), one timerfd armed for the nearest deadline (a
 * restart after back-off, a probe, a stop timeout), each service's output
 * pipe, its start's sync socket and its probe's socket, the control
 * socket and its clients, and the log writer's pipe when it is full.
 * Processes are reaped with waitpid(-1, WNOHANG) in a loop, since SIGCHLD
 * coalesces; orphans reparented to us are reaped the same way. Nothing in
 * the loop waits: a start goes on while the container's process builds
 * its root, logs go through bounded queues to a writer process
 * (svclog.h), probes are non-blocking sockets. The parts are in sup.h. */
#ifndef RT_SUPERVISOR_H
#define RT_SUPERVISOR_H

#include "../lib/log.h"
#include "../lib/paths.h"
#include "../config/plan.h"

#include <stddef.h>

/* A service rtinit left out at boot, its file having errors: rtctl
 * status lists it, failed, with the first error, until a reload takes a
 * conf.d with none. */
#define MAX_SKIPPED 64
struct skipped_svc {
    char name[64];
    char why[1024];
};

/* Run plan's services until SIGTERM, SIGINT, SIGUSR1 or SIGUSR2, then
 * stop them all and return 0 with that signal in *end (or 1 when the loop
 * could not be set up). p stays the caller's: a reload plans anew and
 * frees its own plans; p must outlive the call. */
int supervise(const struct plan *p, const struct skipped_svc *skipped, size_t nskipped, const struct rt_paths *paths,
              const struct logger *lg, int *end);

#endif
