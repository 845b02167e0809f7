/* supervisor.h - rtinit's event loop: start services in dependency order,
 * restart them by policy with back-off, write their logs, stop them in
 * reverse order.
 *
 * One loop over epoll: a signalfd (SIGCHLD, SIGTERM, SIGINT, SIGHUP), one
 * timerfd armed for the nearest deadline (a restart after back-off, a
 * stop timeout), and one pipe per running service for its stdout and
 * stderr. Processes are reaped with waitpid(-1, WNOHANG) in a loop, since
 * SIGCHLD coalesces; orphans reparented to us are reaped the same way.
 *
 * This increment of issue 5 supervises as a plain process (a child
 * subreaper), with health checks (health.c). Still to come: PID 1
 * duties, reload, the control socket. */
#ifndef RT_SUPERVISOR_H
#define RT_SUPERVISOR_H

#include "../lib/log.h"
#include "../lib/paths.h"
#include "../lib/plan.h"

/* Run plan's services until SIGTERM, SIGINT, SIGUSR1 or SIGUSR2, then
 * stop them all and return 0 with that signal in *end (or 1 when the loop
 * could not be set up). */
int supervise(const struct plan *p, const struct rt_paths *paths, const struct logger *lg, int *end);

#endif
