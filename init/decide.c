/* decide.c - the supervisor's decisions. See decide.h. */
#include "decide.h"

#include <stdio.h>
#include <sys/wait.h>

#include "../lib/proto.h"

/* The names are the control protocol's (lib/proto.h): rtctl reads them. */
_Static_assert(NPHASES == PROTO_NPHASES, "lib/proto.h names every phase");
_Static_assert(HEALTH_UNHEALTHY + 1 == PROTO_NHEALTH, "lib/proto.h names every health state");

const char *phase_name(enum phase p)
{
    return (unsigned)p < NPHASES ? proto_phase_names[p] : "?";
}

#define B(p) (1u << (p))
#define ENDS (B(WAITING) | B(BACKOFF) | B(EXITED) | B(FAILED)) /* what an exit leads to */

/* Each row: the states that may follow. A state may always be entered
 * again (its note changes). */
static const unsigned may[NPHASES] = {
    /* WAITING: it starts, or it could not (an exit without a process), or
     * rtctl stop or a shutdown takes it off the list */
    [WAITING] = B(STARTING) | ENDS,
    [STARTING] = B(RUNNING) | B(STOPPING) | ENDS,
    [RUNNING] = B(STOPPING) | ENDS,
    [STOPPING] = ENDS,
    /* its time comes; or rtctl stop, a shutdown */
    [BACKOFF] = B(WAITING) | B(EXITED),
    /* rtctl start, a reload that changed it */
    [EXITED] = B(WAITING),
    [FAILED] = B(WAITING) | B(EXITED),
};

bool phase_may(enum phase from, enum phase to)
{
    if ((unsigned)from >= NPHASES || (unsigned)to >= NPHASES)
        return false;
    return from == to || (may[from] & B(to));
}

struct exit_verdict decide_exit(const struct restart_rule *r, const struct exit_facts *f, unsigned restarts,
                                uint64_t backoff)
{
    struct exit_verdict v = {.restarts = restarts, .backoff = backoff};
    v.ok = f->ran && WIFEXITED(f->status) && WEXITSTATUS(f->status) == 0;
    if (f->removed) {
        v.next = EXITED;
        v.why = XR_REMOVED;
        return v;
    }
    if (f->again && !f->shutdown && !f->held) {
        /* back to waiting: it starts again once its dependencies hold */
        v.next = WAITING;
        v.why = XR_AGAIN;
        return v;
    }
    if (f->shutdown || f->held || (f->asked && !f->unhealthy)) {
        v.next = EXITED;
        v.why = XR_STOPPED;
        return v;
    }
    if (f->unhealthy) /* stopped for failing its checks: a failure, whatever its status */
        v.ok = false;
    if (f->uptime_ms >= BACKOFF_RESET_MS) /* it had settled: this is a new run of failures */
        v.backoff = r->backoff_ms;
    bool again = r->restart == RESTART_ALWAYS || r->restart == RESTART_UNLESS_STOPPED ||
                 (r->restart == RESTART_ON_FAILURE && !v.ok);
    if (again && r->restart == RESTART_ON_FAILURE && r->max && restarts >= r->max) {
        v.next = FAILED;
        v.why = XR_LIMIT;
        return v;
    }
    if (!again) {
        v.next = v.ok ? EXITED : FAILED;
        v.why = XR_POLICY;
        return v;
    }
    v.next = BACKOFF;
    v.why = XR_RESTART;
    v.delay = v.backoff;
    v.restarts = restarts + 1;
    v.backoff = v.backoff > r->backoff_max_ms / 2 ? r->backoff_max_ms : v.backoff * 2;
    if (v.backoff < r->backoff_ms) /* a max below the start (the conf refuses it; be safe) */
        v.backoff = r->backoff_ms;
    return v;
}

bool dep_ready(enum dep_cond cond, const struct dep_view *d, char *why, size_t len)
{
    switch (cond) {
    case DEP_HEALTHY:
        if (d->phase != RUNNING) {
            snprintf(why, len, "%s to start and be healthy", d->name);
            return false;
        }
        if (d->has_check && !d->healthy) {
            snprintf(why, len, "%s to be healthy (last check: %s)", d->name, d->last_check ? d->last_check : "none");
            return false;
        }
        return true;
    case DEP_STARTED:
        if (d->phase != RUNNING) {
            snprintf(why, len, "%s to start", d->name);
            return false;
        }
        return true;
    case DEP_COMPLETED:
        if (d->phase != EXITED || !d->done_ok) {
            snprintf(why, len, "%s to complete%s", d->name,
                     d->phase == FAILED || (d->phase == EXITED && !d->done_ok) ? " (it failed)" : "");
            return false;
        }
        return true;
    }
    snprintf(why, len, "%s (an unknown condition)", d->name);
    return false;
}

enum health_event health_verdict(const struct health_rule *r, enum health_state *state, unsigned *fails,
                                 uint64_t since, uint64_t now, bool ok)
{
    if (ok) {
        *fails = 0;
        if (*state == HEALTH_HEALTHY)
            return HE_NONE;
        *state = HEALTH_HEALTHY;
        return HE_HEALTHY;
    }
    /* still starting up: failures do not count */
    if (*state == HEALTH_STARTING && now < since + r->start_period_ms)
        return HE_NONE;
    ++*fails;
    if (*fails < r->retries || *state == HEALTH_UNHEALTHY)
        return HE_NONE;
    *state = HEALTH_UNHEALTHY;
    return HE_UNHEALTHY;
}

uint64_t health_next_ms(const struct health_rule *r, enum health_state state, uint64_t since, uint64_t now)
{
    uint64_t step = r->interval_ms;
    /* 0: not set (the conf never leaves it so; be safe from a busy loop) */
    if (state == HEALTH_STARTING && now < since + r->start_period_ms && r->start_interval_ms &&
        r->start_interval_ms < step)
        step = r->start_interval_ms;
    return now + step;
}
