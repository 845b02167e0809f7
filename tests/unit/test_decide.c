/* The supervisor's decisions (init/decide.c): what an exit leads to under
 * each restart policy, the back-off, dependency conditions, the health
 * verdict and the transition table. Pure functions: no process needed. */
#include <sys/wait.h>

#include "../../init/decide.h"
#include "t.h"

#define EXIT(code) ((code) << 8)      /* a wait status: exited with code */
#define KILLED(sig) (sig)             /* a wait status: killed by sig */

static const struct restart_rule always = {RESTART_ALWAYS, 0, 100, 60000};
static const struct restart_rule onfail3 = {RESTART_ON_FAILURE, 3, 100, 60000};
static const struct restart_rule no = {RESTART_NO, 0, 100, 60000};
static const struct restart_rule unless = {RESTART_UNLESS_STOPPED, 0, 100, 60000};

static struct exit_facts ran(int status, uint64_t up)
{
    return (struct exit_facts){.status = status, .ran = true, .uptime_ms = up};
}

TEST(decide_exit_restarts_by_policy)
{
    struct exit_facts f = ran(EXIT(1), 50);
    struct exit_verdict v = decide_exit(&always, &f, 0, 100);
    CHECK_INT(v.next, BACKOFF);
    CHECK_INT(v.why, XR_RESTART);
    CHECK_INT(v.delay, 100);
    CHECK_INT(v.backoff, 200);
    CHECK_INT(v.restarts, 1);
    CHECK(!v.ok);
    /* always restarts a success too; unless-stopped as well */
    f = ran(EXIT(0), 50);
    CHECK_INT(decide_exit(&always, &f, 0, 100).next, BACKOFF);
    CHECK_INT(decide_exit(&unless, &f, 0, 100).next, BACKOFF);
    /* on-failure: a success ends it as EXITED; a failure restarts */
    v = decide_exit(&onfail3, &f, 0, 100);
    CHECK_INT(v.next, EXITED);
    CHECK(v.ok);
    f = ran(KILLED(9), 50);
    CHECK_INT(decide_exit(&onfail3, &f, 0, 100).next, BACKOFF);
    /* no: a failure is FAILED, a success EXITED, never restarted */
    CHECK_INT(decide_exit(&no, &f, 0, 100).next, FAILED);
    CHECK_INT(decide_exit(&no, &f, 0, 100).why, XR_POLICY);
    f = ran(EXIT(0), 50);
    CHECK_INT(decide_exit(&no, &f, 0, 100).next, EXITED);
}

TEST(decide_exit_on_failure_stops_at_its_limit)
{
    struct exit_facts f = ran(EXIT(2), 10);
    CHECK_INT(decide_exit(&onfail3, &f, 2, 400).next, BACKOFF);
    struct exit_verdict v = decide_exit(&onfail3, &f, 3, 800);
    CHECK_INT(v.next, FAILED);
    CHECK_INT(v.why, XR_LIMIT);
    CHECK_INT(v.restarts, 3);
    /* could not start at all: a failure like any other */
    f = (struct exit_facts){.status = EXIT(127), .ran = false};
    CHECK_INT(decide_exit(&onfail3, &f, 3, 800).next, FAILED);
    CHECK(!decide_exit(&onfail3, &f, 0, 800).ok);
}

TEST(decide_exit_backoff_doubles_to_its_cap_and_resets_after_a_stable_run)
{
    struct restart_rule r = {RESTART_ALWAYS, 0, 100, 1000};
    uint64_t b = 100;
    uint64_t want[] = {100, 200, 400, 800, 1000, 1000};
    for (unsigned i = 0; i < 6; i++) {
        struct exit_facts f = ran(EXIT(1), 5);
        struct exit_verdict v = decide_exit(&r, &f, i, b);
        CHECK_INT(v.delay, want[i]);
        b = v.backoff;
    }
    /* up for BACKOFF_RESET_MS: the next failure starts from the beginning */
    struct exit_facts f = ran(EXIT(1), BACKOFF_RESET_MS);
    struct exit_verdict v = decide_exit(&r, &f, 6, b);
    CHECK_INT(v.delay, 100);
    CHECK_INT(v.backoff, 200);
    /* a cap of UINT64_MAX does not overflow */
    struct restart_rule big = {RESTART_ALWAYS, 0, 100, UINT64_MAX};
    f = ran(EXIT(1), 5);
    v = decide_exit(&big, &f, 0, UINT64_MAX / 2 + 1);
    CHECK(v.backoff == UINT64_MAX);
}

TEST(decide_exit_asked_to_stop_is_not_a_failure)
{
    /* stopped (rtctl stop, a reload, shutdown): EXITED, whatever the status */
    struct exit_facts f = ran(KILLED(15), 50);
    f.asked = true;
    CHECK_INT(decide_exit(&always, &f, 0, 100).next, EXITED);
    CHECK_INT(decide_exit(&always, &f, 0, 100).why, XR_STOPPED);
    f = ran(EXIT(1), 50);
    f.held = true;
    CHECK_INT(decide_exit(&always, &f, 0, 100).next, EXITED);
    f = ran(EXIT(1), 50);
    f.shutdown = true;
    f.again = true; /* a shutdown wins over a restart asked before it */
    CHECK_INT(decide_exit(&always, &f, 0, 100).next, EXITED);
    /* to start again (rtctl restart, reload, restart_dependents): WAITING, no count */
    f = ran(KILLED(15), 50);
    f.asked = f.again = true;
    struct exit_verdict v = decide_exit(&no, &f, 4, 100);
    CHECK_INT(v.next, WAITING);
    CHECK_INT(v.why, XR_AGAIN);
    CHECK_INT(v.restarts, 4);
    /* held beats again: rtctl stop after rtctl restart keeps it down */
    f.held = true;
    CHECK_INT(decide_exit(&always, &f, 0, 100).next, EXITED);
    /* removed from conf.d: EXITED, never restarted */
    f = ran(EXIT(1), 50);
    f.removed = true;
    CHECK_INT(decide_exit(&always, &f, 0, 100).why, XR_REMOVED);
}

TEST(decide_exit_unhealthy_is_a_failure_whatever_the_status)
{
    /* stopped as unhealthy, it exits 0 on SIGTERM: still a failure */
    struct exit_facts f = ran(EXIT(0), 50);
    f.asked = f.unhealthy = true;
    struct exit_verdict v = decide_exit(&onfail3, &f, 0, 100);
    CHECK_INT(v.next, BACKOFF);
    CHECK(!v.ok);
    CHECK_INT(decide_exit(&no, &f, 0, 100).next, FAILED);
}

TEST(dep_ready_by_condition)
{
    char why[256];
    struct dep_view d = {.name = "redis", .phase = STARTING};
    CHECK(!dep_ready(DEP_STARTED, &d, why, sizeof(why)));
    CHECK_STR(why, "redis to start");
    CHECK(!dep_ready(DEP_HEALTHY, &d, why, sizeof(why)));
    CHECK_STR(why, "redis to start and be healthy");
    d.phase = RUNNING;
    CHECK(dep_ready(DEP_STARTED, &d, why, sizeof(why)));
    CHECK(dep_ready(DEP_HEALTHY, &d, why, sizeof(why))); /* no check: running is healthy */
    d.has_check = true;
    d.last_check = "exit status 1";
    CHECK(!dep_ready(DEP_HEALTHY, &d, why, sizeof(why)));
    CHECK_STR(why, "redis to be healthy (last check: exit status 1)");
    d.healthy = true;
    CHECK(dep_ready(DEP_HEALTHY, &d, why, sizeof(why)));
    /* completed: exited with status 0, and only that */
    struct dep_view m = {.name = "migrate", .phase = RUNNING};
    CHECK(!dep_ready(DEP_COMPLETED, &m, why, sizeof(why)));
    CHECK_STR(why, "migrate to complete");
    m.phase = EXITED;
    CHECK(!dep_ready(DEP_COMPLETED, &m, why, sizeof(why)));
    CHECK_STR(why, "migrate to complete (it failed)");
    m.phase = FAILED;
    CHECK(!dep_ready(DEP_COMPLETED, &m, why, sizeof(why)));
    CHECK_STR(why, "migrate to complete (it failed)");
    m.phase = EXITED;
    m.done_ok = true;
    CHECK(dep_ready(DEP_COMPLETED, &m, why, sizeof(why)));
}

TEST(health_verdict_counts_failures_in_a_row)
{
    struct health_rule r = {.retries = 3, .start_period_ms = 0};
    enum health_state st = HEALTH_STARTING;
    unsigned fails = 0;
    CHECK_INT(health_verdict(&r, &st, &fails, 0, 10, true), HE_HEALTHY);
    CHECK_INT(health_verdict(&r, &st, &fails, 0, 20, true), HE_NONE); /* said once */
    CHECK_INT(health_verdict(&r, &st, &fails, 0, 30, false), HE_NONE);
    CHECK_INT(health_verdict(&r, &st, &fails, 0, 40, false), HE_NONE);
    CHECK_INT(st, HEALTH_HEALTHY); /* still healthy after 2 of 3 */
    CHECK_INT(fails, 2);
    CHECK_INT(health_verdict(&r, &st, &fails, 0, 50, true), HE_NONE); /* a success resets the count */
    CHECK_INT(fails, 0);
    for (int i = 0; i < 2; i++)
        CHECK_INT(health_verdict(&r, &st, &fails, 0, 60, false), HE_NONE);
    CHECK_INT(health_verdict(&r, &st, &fails, 0, 70, false), HE_UNHEALTHY);
    CHECK_INT(health_verdict(&r, &st, &fails, 0, 80, false), HE_NONE); /* said once */
    CHECK_INT(st, HEALTH_UNHEALTHY);
}

TEST(health_verdict_start_period_forgives_until_first_healthy)
{
    struct health_rule r = {.retries = 1, .start_period_ms = 1000};
    enum health_state st = HEALTH_STARTING;
    unsigned fails = 0;
    CHECK_INT(health_verdict(&r, &st, &fails, 5000, 5500, false), HE_NONE);
    CHECK_INT(fails, 0);
    CHECK_INT(health_verdict(&r, &st, &fails, 5000, 6000, false), HE_UNHEALTHY); /* the period is over */
    /* healthy once: the start period no longer forgives */
    st = HEALTH_STARTING;
    fails = 0;
    CHECK_INT(health_verdict(&r, &st, &fails, 5000, 5100, true), HE_HEALTHY);
    CHECK_INT(health_verdict(&r, &st, &fails, 5000, 5200, false), HE_UNHEALTHY);
}

TEST(health_next_uses_start_interval_only_while_starting_in_the_start_period)
{
    /* interval 30s, start_period 20s, start_interval 1s; started at 5000 */
    struct health_rule r = {.retries = 3, .start_period_ms = 20000, .interval_ms = 30000, .start_interval_ms = 1000};
    CHECK_INT(health_next_ms(&r, HEALTH_STARTING, 5000, 5000), 6000);     /* the first probe: 1s after the start */
    CHECK_INT(health_next_ms(&r, HEALTH_STARTING, 5000, 6020), 7020);     /* from the end of the last one */
    CHECK_INT(health_next_ms(&r, HEALTH_STARTING, 5000, 24999), 25999);   /* still in the period */
    CHECK_INT(health_next_ms(&r, HEALTH_STARTING, 5000, 25000), 55000);   /* the period is over */
    CHECK_INT(health_next_ms(&r, HEALTH_HEALTHY, 5000, 7000), 37000);     /* healthy: interval */
    CHECK_INT(health_next_ms(&r, HEALTH_UNHEALTHY, 5000, 7000), 37000);   /* was healthy once: interval */
    /* no start period: interval, the first probe too (the old timing) */
    r.start_period_ms = 0;
    CHECK_INT(health_next_ms(&r, HEALTH_STARTING, 5000, 5000), 35000);
    /* never longer than interval */
    r = (struct health_rule){.start_period_ms = 60000, .interval_ms = 2000, .start_interval_ms = 5000};
    CHECK_INT(health_next_ms(&r, HEALTH_STARTING, 0, 0), 2000);
    /* not set (0): interval, never a busy loop */
    r = (struct health_rule){.start_period_ms = 60000, .interval_ms = 2000, .start_interval_ms = 0};
    CHECK_INT(health_next_ms(&r, HEALTH_STARTING, 0, 100), 2100);
}

TEST(phase_table_allows_the_lifecycle_and_nothing_else)
{
    /* the life of a service */
    CHECK(phase_may(WAITING, STARTING));
    CHECK(phase_may(STARTING, RUNNING));
    CHECK(phase_may(RUNNING, STOPPING));
    CHECK(phase_may(STOPPING, BACKOFF));
    CHECK(phase_may(BACKOFF, WAITING));
    CHECK(phase_may(RUNNING, FAILED));
    CHECK(phase_may(EXITED, WAITING));
    CHECK(phase_may(FAILED, WAITING));
    CHECK(phase_may(WAITING, BACKOFF)); /* could not start */
    /* never: a process state without a process, a stop of nothing */
    CHECK(!phase_may(WAITING, RUNNING));
    CHECK(!phase_may(EXITED, RUNNING));
    CHECK(!phase_may(BACKOFF, STARTING));
    CHECK(!phase_may(STOPPING, RUNNING));
    CHECK(!phase_may(EXITED, STOPPING));
    CHECK(!phase_may(FAILED, BACKOFF));
    CHECK(!phase_may(NPHASES, WAITING));
    for (int p = 0; p < NPHASES; p++)
        CHECK(phase_may((enum phase)p, (enum phase)p));
    CHECK_STR(phase_name(BACKOFF), "restarting");
    CHECK_STR(phase_name(NPHASES), "?");
}
