/* health.h - a service's health checks, run from rtinit's event loop.
 *
 * `http` and `tcp` checks start no process: the socket is made inside the
 * container's network namespace (setns there and back; a socket keeps the
 * namespace it was made in; a host service's: rtinit's own), connected
 * without blocking, and watched by the loop. `exec` checks run the
 * command in the container through ctr_exec() (a host service's: on the
 * host, as the service runs, ctr_host_exec_spawn()); the loop reaps it
 * like any child. Docker's meaning of the
 * settings: a probe every `interval`, failed after `timeout`; `retries`
 * failures in a row make the service unhealthy; failures within
 * `start_period` do not count while it has never been healthy, and in
 * that time probes run every `start_interval` (5s, at most `interval`;
 * health_next_ms). Without a start period the first probe runs one
 * `interval` after the start.
 *
 * The last HEALTH_KEEP results are kept, each with its time, duration,
 * exit status or HTTP code, and up to HEALTH_OUT bytes of what the check
 * printed (an exec check's stdout and stderr, an HTTP answer's status
 * line): "exit status 1" says little, "NOAUTH Authentication required"
 * says why. They live in the entry, so a check allocates nothing. */
#ifndef RT_HEALTH_H
#define RT_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "../config/conf.h"
#include "../runtime/container.h"
#include "decide.h"

#define HEALTH_KEEP 5
#define HEALTH_OUT 4096

struct health_result {
    int64_t at;                    /* when it started: wall clock, ms since the epoch */
    uint32_t took_ms;
    int code;                      /* exec: exit status (128+N killed by N); http: the status; -1: none */
    bool ok;
    char summary[160];             /* as `last` below */
    uint16_t outlen;
    char out[HEALTH_OUT];          /* what it printed (the first HEALTH_OUT bytes) */
};

struct health {
    const struct healthcheck *hc;  /* NULL: the service has none */
    char *const *exec_argv;        /* exec: the words, ${VAR} expanded */
    enum health_state state;
    unsigned fails;                /* in a row */
    uint64_t since;                /* the service's start */
    uint64_t next;                 /* the next probe, when none is running */
    uint64_t deadline;             /* the running probe's timeout */
    bool busy;                     /* a probe is running */
    int fd;                        /* http/tcp: its socket, or -1 */
    bool sent;                     /* http: the request is written */
    char buf[128];                 /* http: the start of the answer */
    size_t blen;
    struct ctr exec;               /* exec: its process */
    char last[160];                /* what the last probe found */
    uint64_t began;                /* the running probe's start (monotonic ms) */
    int64_t began_wall;
    int outfd;                     /* exec: the read end of its output, or -1 */
    int code;                      /* the running probe's code so far */
    uint16_t outlen;
    char out[HEALTH_OUT];          /* the running probe's output so far */
    struct health_result hist[HEALTH_KEEP]; /* a ring: the newest at (nhist - 1) % HEALTH_KEEP */
    unsigned long nhist;           /* results so far */
};

/* Where probes go: the container's network namespace (-1 for the host's),
 * ours to come back to, and what ctr_exec needs. */
struct health_target {
    int netns, ownns;
    int devnull;                   /* exec probes' stdin */
    const char *state_dir, *run_dir, *name;
    const struct ctr_spec *host;   /* a host service: exec probes run on the host as it does, in main's
                                      cgroup (ctr_host_exec_spawn), not through ctr_exec; NULL: a container */
    const struct ctr *main;
};

void health_init(struct health *h, const struct healthcheck *hc, char *const *exec_argv, uint64_t now);

/* Start a probe (call when !busy and now >= next). Returns the socket to
 * watch, for EPOLLIN once the request is sent (h->sent) and for
 * EPOLLOUT too before; or -1 (an exec probe, or a probe that ended at
 * once: see the event in *ev). */
int health_start(struct health *h, const struct health_target *t, uint64_t now, enum health_event *ev);
/* An exec probe's output to watch (EPOLLIN) once health_start returned,
 * or -1. */
int health_outfd(const struct health *h);
/* It is readable: keep what fits, drop the rest; false at its end (the
 * fd is closed). */
bool health_on_output(struct health *h);
/* The newest result, or NULL. */
const struct health_result *health_latest(const struct health *h);

/* The socket is ready. */
enum health_event health_on_fd(struct health *h, uint64_t now);
/* The exec probe ended with this wait status. */
enum health_event health_on_exit(struct health *h, int status, uint64_t now);
/* now >= deadline with a probe running. */
enum health_event health_on_timeout(struct health *h, uint64_t now);
/* Drop a running probe (the service stops). */
void health_cancel(struct health *h);
/* When the loop must look again (UINT64_MAX: never). */
uint64_t health_wakeup(const struct health *h);

#endif
