/* decide.h - the supervisor's decisions, as pure functions.
 *
 * What a service's exit leads to, how its back-off grows, whether its
 * dependencies hold, what a health probe's result means, and which state
 * may follow which. Nothing here reads a clock, a file or the supervisor's
 * state: the facts come in as arguments and the verdict goes out, so the
 * unit tests (tests/unit/test_decide.c) exercise every rule without a
 * process, and lifecycle.c is left with doing what was decided. */
#ifndef RT_DECIDE_H
#define RT_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../config/conf.h"

/* A service's state. STARTING: the process exists and builds its root;
 * RUNNING once it has exec'd its program. BACKOFF: waiting to restart. */
enum phase { WAITING, STARTING, RUNNING, STOPPING, BACKOFF, EXITED, FAILED, NPHASES };

/* The name rtctl status shows ("restarting" for BACKOFF). */
const char *phase_name(enum phase p);
/* The transition table: may a service go from one state to the other?
 * Every change of state goes through lifecycle.c's enter(), which asks. */
bool phase_may(enum phase from, enum phase to);

/* The restart back-off doubles from restart_backoff (100 ms) to
 * restart_backoff_max (60 s), docker's numbers, and goes back to the start
 * once a service has stayed up for this long. */
#define BACKOFF_RESET_MS 10000

struct restart_rule {
    enum restart_policy restart;
    unsigned max;                  /* on-failure:N; 0: no limit */
    uint64_t backoff_ms, backoff_max_ms;
};

/* What is known when a service's process has ended. */
struct exit_facts {
    int status;                    /* its wait status */
    bool ran;                      /* its program ran (false: it could not start) */
    bool asked;                    /* it was being stopped (svc_stop) */
    bool unhealthy;                /* ... because its checks failed */
    bool again;                    /* ... to start again at once (rtctl restart, reload, restart_dependents) */
    bool held;                     /* rtctl stop holds it down */
    bool shutdown;                 /* rtinit is stopping everything */
    bool removed;                  /* a reload took it out of conf.d */
    uint64_t uptime_ms;            /* how long it ran */
};

enum exit_reason {
    XR_REMOVED,                    /* EXITED: no longer in conf.d */
    XR_AGAIN,                      /* WAITING: asked to start again */
    XR_STOPPED,                    /* EXITED: asked to stop (rtctl stop, shutdown, reload) */
    XR_LIMIT,                      /* FAILED: on-failure:N reached */
    XR_POLICY,                     /* EXITED or FAILED: the policy does not restart it */
    XR_RESTART,                    /* BACKOFF: restarted after delay */
};

struct exit_verdict {
    enum phase next;               /* WAITING, BACKOFF, EXITED or FAILED */
    enum exit_reason why;
    bool ok;                       /* a success, for `completed` (status 0, not stopped as unhealthy) */
    uint64_t delay;                /* BACKOFF: how long before the restart */
    uint64_t backoff;              /* the back-off to use after this one */
    unsigned restarts;             /* the restart count after this */
};

/* A service with this rule, restarted `restarts` times so far and whose
 * next back-off is `backoff`, ended as f says: what now? */
struct exit_verdict decide_exit(const struct restart_rule *r, const struct exit_facts *f, unsigned restarts,
                                uint64_t backoff);

/* A dependency as the service that waits for it sees it. */
struct dep_view {
    const char *name;
    enum phase phase;
    bool has_check;                /* it has a healthcheck */
    bool healthy;                  /* ... and its last verdict is healthy */
    const char *last_check;        /* what its last probe found */
    bool done_ok;                  /* it exited with status 0 */
};

/* Does d meet cond? When not, what the service waits for, in why (as in
 * "waiting for redis to be healthy (last check: exit status 1)"). */
bool dep_ready(enum dep_cond cond, const struct dep_view *d, char *why, size_t len);

/* The health verdict (Docker's meaning of the settings): `retries`
 * failures in a row make a service unhealthy; failures within
 * `start_period` do not count while it has never been healthy. */
enum health_state { HEALTH_NONE, HEALTH_STARTING, HEALTH_HEALTHY, HEALTH_UNHEALTHY };
enum health_event { HE_NONE, HE_HEALTHY, HE_UNHEALTHY };

struct health_rule {
    unsigned retries;
    uint64_t start_period_ms;
    uint64_t interval_ms;
    uint64_t start_interval_ms;    /* during the start period (capped at interval_ms) */
};

/* A probe found ok (or not) at now, for a service started at since:
 * *state and *fails (failures in a row) move on; the event is what
 * changed (HE_NONE: nothing to act on). */
enum health_event health_verdict(const struct health_rule *r, enum health_state *state, unsigned *fails,
                                 uint64_t since, uint64_t now, bool ok);

/* When the next probe runs, for a service started at since whose last
 * probe ended at now (at its start: now == since) and whose health is now
 * state. Docker's start_interval: while the service has never been
 * healthy and its start period lasts, every start_interval (never longer
 * than interval), so that each link of a depends_on chain is seen healthy
 * soon after it is, not up to an interval later; otherwise, and with no
 * start period, every interval. */
uint64_t health_next_ms(const struct health_rule *r, enum health_state state, uint64_t since, uint64_t now);

#endif
