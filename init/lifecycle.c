/* lifecycle.c - each service's life: every change of its state.
 *
 * s6-supervise's model: a service's state changes in one place. enter()
 * is that place; it checks each change against decide.c's table, and keeps
 * the note that says why the service is where it is (rtctl status shows
 * it). The decisions themselves (what an exit leads to, whether the
 * dependencies hold, the back-off) are decide.c's pure functions; this
 * file does what they decide: it starts processes, sends signals and
 * says what happened. control.c and reload.c change a service only
 * through the lc_* calls at the end. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../images/store.h"
#include "../config/value.h"
#include "sup.h"
#include "svcspec.h"

/* A service's process that has not exec'd its program after this is
 * killed (a mount that hangs, say): the loop never waits for it. */
#define START_TIMEOUT_MS 60000
/* A start that finds the image store locked (rtctl image gc holds it
 * for its whole run) tries again after this: the loop never waits for
 * the lock. */
#define STORE_RETRY_MS 250

/* The one place a service's state changes. A change the table does not
 * allow is a bug of ours: it is said loudly (tests look for "bug:") and
 * made anyway, since refusing would leave the service stuck. */
static __attribute__((format(printf, 4, 5))) void enter(struct sup *s, struct svc *v, enum phase to,
                                                        const char *note, ...)
{
    if (!phase_may(v->phase, to))
        say(s, LOG_ERR, "bug: %s: %s -> %s is not in the transition table", v->name, phase_name(v->phase),
            phase_name(to));
    v->phase = to;
    if (note) {
        va_list ap;
        va_start(ap, note);
        vsnprintf(v->note, sizeof(v->note), note, ap);
        va_end(ap);
    } else {
        v->note[0] = '\0';
    }
}

/* ---------- starting ---------- */

/* The start failed before a process existed: as an exit with status
 * 127, with why in the note. */
static void not_started(struct sup *s, struct svc *v, const char *why)
{
    say(s, LOG_ERR, "%s", why);
    snprintf(v->start_error, sizeof(v->start_error), "%s", why);
    lc_exited(s, v, 127 << 8);
}

/* The image store is locked: WAITING, to try again shortly. */
static void store_busy(struct sup *s, struct svc *v, uint64_t now)
{
    v->retry_at = now + STORE_RETRY_MS;
    if (!v->store_busy)
        say(s, LOG_INFO, "%s: the image store is locked (rtctl image gc?); starting once it is free", v->name);
    v->store_busy = true;
    snprintf(v->waiting, sizeof(v->waiting), "the image store (locked by rtctl image gc or an import)");
    enter(s, v, WAITING, NULL);
}

/* WAITING -> STARTING: build the spec and spawn. The loop does not wait
 * while the child builds its root: the sync socket says when it has
 * exec'd (lc_on_sync). */
static void start(struct sup *s, struct svc *v)
{
    struct rt_err err;
    uint64_t now = now_ms();
    struct store st;
    /* A host service has no image: it never needs the store. */
    bool host = v->ps->svc->host;
    /* LOCK_NB: rtctl image gc holds the store's lock for its whole run,
     * and PID 1 never waits for it. A service that ran before restarts
     * anyway when its container still pins every layer it needs (gc read
     * those pins under its lock, and keeps them); any other start is
     * tried again shortly. */
    bool unlocked = false;
    if (!host && store_open(&st, s->paths, false, LOCK_SH | LOCK_NB, &err) < 0) {
        if (err.errnum == EWOULDBLOCK && v->desc && store_open(&st, s->paths, false, 0, &err) == 0) {
            unlocked = true;
        } else if (err.errnum == EWOULDBLOCK) {
            store_busy(s, v, now);
            return;
        } else {
            v->started_at = now;
            not_started(s, v, err.msg);
            return;
        }
    }
    v->store_busy = false;
    v->started_at = now; /* a start that fails did not stay up */
    v->start_error[0] = '\0';
    arena_free(&v->a);
    arena_init(&v->a);
    v->desc = NULL; /* it was in a */
    jmp_buf jb;
    if (ARENA_TRY(&v->a, jb)) {
        v->a.oom = NULL;
        if (!host)
            store_close(&st);
        char why[128];
        snprintf(why, sizeof(why), "%s: out of memory preparing the start", v->name);
        not_started(s, v, why);
        return;
    }
    v->spec = arena_alloc(&v->a, sizeof(*v->spec)); /* until the process has exec'd (ctr_spawned) */
    struct ctr_spec *spec = v->spec;
    v->start_failed = false;
    struct svcspec_ctx x = {.conf = s->p->conf,
                            .paths = s->paths,
                            .store = host ? NULL : &st,
                            .secrets = s->have_secrets ? &s->secrets : NULL,
                            .hosts = s->hosts,
                            .resolv = s->resolv,
                            .nofile = s->have_nofile ? &s->nofile : NULL};
    int r = 0;
    if (v->ps->svc->network == NET_BRIDGE) {
        struct ctr_net *net = arena_alloc(&v->a, sizeof(*net));
        r = bridge_for(s, v, net, &err);
        x.net = net;
    }
    if (r == 0)
        r = svcspec_build(&x, &v->a, v->ps, spec, &err);
    if (r == 0 && unlocked && !ctr_layers_pinned(spec)) { /* a new image: it waits for the lock */
        v->a.oom = NULL;
        store_close(&st);
        store_busy(s, v, now);
        return;
    }
    if (r == 0)
        v->desc = svcspec_describe(&x, &v->a, v->ps, spec);
    /* jb ends with this function: a later allocation from v->a (the
     * checks, in probes_begin) arms its own */
    v->a.oom = NULL;
    if (!host)
        store_close(&st);
    if (r < 0) {
        not_started(s, v, err.msg);
        return;
    }
    int pfd[2];
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || pipe2(pfd, O_CLOEXEC) < 0) {
        snprintf(err.msg, sizeof(err.msg), "%s: %s", v->name, strerror(errno));
        if (null >= 0)
            close(null);
        not_started(s, v, err.msg);
        return;
    }
    spec->stdio[0] = null;
    spec->stdio[1] = spec->stdio[2] = pfd[1];
    r = ctr_spawn(spec, &v->c, &err);
    close(null);
    close(pfd[1]);
    if (r < 0) {
        close(pfd[0]);
        ctr_release(&v->c, false);
        not_started(s, v, err.msg);
        return;
    }
    v->has_ctr = true;
    v->generation++;
    for (size_t i = 0; v->dep_gen && i < v->ps->svc->ndeps; i++)
        v->dep_gen[i] = s->v[v->ps->deps[i]].generation;
    enter(s, v, STARTING, NULL);
    v->deadline = now_ms() + START_TIMEOUT_MS;
    v->waiting[0] = '\0';
    /* Its output and its sync socket must be watched: a pipe nobody reads
     * would stall the service, a sync socket nobody reads would leave it
     * STARTING until the timeout. Either failing ends the start. */
    if (sup_take_pipe(s, v, pfd[0]) < 0 || fcntl(v->c.sync, F_SETFL, O_NONBLOCK) < 0 ||
        sup_watch(s, v->c.sync, EPOLLIN, EV(EV_SYNC, v - s->v)) < 0) {
        say(s, LOG_ERR, "%s: watching its process: %s; stopping it", v->name, strerror(errno));
        snprintf(v->start_error, sizeof(v->start_error), "rtinit could not watch its process: %s", strerror(errno));
        v->start_failed = true;
        ctr_signal(&v->c, SIGKILL); /* the reaper finishes it */
    }
}

static void forget_sync(struct sup *s, struct svc *v)
{
    if (v->c.sync >= 0)
        sup_unwatch(s, v->c.sync);
}

/* STARTING -> RUNNING: the sync socket says its program runs, or that
 * it failed before (its exit comes to the reaper). */
void lc_on_sync(struct sup *s, struct svc *v)
{
    if (v->phase != STARTING || v->c.sync < 0)
        return;
    struct rt_err err;
    forget_sync(s, v);
    int r = ctr_spawned(v->spec, &v->c, &err);
    if (r == 1) { /* spurious: watch on */
        if (sup_watch(s, v->c.sync, EPOLLIN, EV(EV_SYNC, v - s->v)) < 0) {
            say(s, LOG_ERR, "%s: watching its start: %s; stopping it", v->name, strerror(errno));
            v->start_failed = true;
            ctr_signal(&v->c, SIGKILL);
        }
        return;
    }
    if (r < 0) {
        say(s, LOG_ERR, "%s", err.msg);
        snprintf(v->start_error, sizeof(v->start_error), "%s", err.msg);
        v->start_failed = true; /* killed; the reaper finishes it */
        return;
    }
    enter(s, v, RUNNING, NULL);
    probes_begin(s, v, v->spec);
    say(s, LOG_INFO, "%s: started%s (pid %d)", v->name, v->c.host ? " on the host" : "", (int)v->c.pid);
    if (v->c.missing[0])
        say(s, LOG_WARN, "%s runs without %s", v->name, v->c.missing);
}

static void describe(int status, char *buf, size_t len)
{
    char sig[32];
    if (WIFSIGNALED(status))
        snprintf(buf, len, "was killed by %s", signal_name(WTERMSIG(status), sig, sizeof(sig)));
    else
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

/* ---------- exits ---------- */

/* The service's process ended, or it could not start (status 127):
 * decide_exit says what comes next. */
void lc_exited(struct sup *s, struct svc *v, int status)
{
    uint64_t now = now_ms();
    if (v->has_ctr) /* with init = true, its 128+N is the command killed by N */
        status = ctr_exit_status(&v->c, status);
    probes_end(s, v);
    struct exit_facts f = {.status = status,
                           .asked = v->phase == STOPPING,
                           .unhealthy = v->unhealthy,
                           .again = v->again,
                           .held = v->held,
                           .shutdown = s->shutdown,
                           .removed = !v->ps,
                           .uptime_ms = v->started_at && now > v->started_at ? now - v->started_at : 0};
    v->unhealthy = v->again = false;
    if (v->has_ctr && v->c.sync >= 0) {
        /* Its exit came before the loop read the sync socket: a program
         * that ran and ended at once (the socket closed on exec), or a
         * start that failed (the reason is in the socket). */
        struct rt_err err;
        forget_sync(s, v);
        if (ctr_spawned(v->spec, &v->c, &err) < 0) {
            say(s, LOG_ERR, "%s", err.msg);
            snprintf(v->start_error, sizeof(v->start_error), "%s", err.msg);
            v->start_failed = true;
        } else if (v->phase == STARTING) {
            say(s, LOG_INFO, "%s: started (pid %d)", v->name, (int)v->c.pid); /* and ended at once, below */
        }
    }
    f.ran = v->has_ctr && !v->start_failed;
    uint64_t ooms = 0;
    if (v->has_ctr) {
        ooms = v->c.has_cgroup ? cg_oom_kills(&v->c.cg) : 0;
        if (ooms)
            say(s, LOG_ERR, "%s: the kernel's OOM killer ended %llu process%s (memory limit reached)", v->name,
                (unsigned long long)ooms, ooms == 1 ? "" : "es");
        v->c.pid = -1;
        /* kill_mode = process keeps what the service left (sshd's
         * sessions), but not past the service's own removal */
        if (v->c.keep_children && !v->ps && v->c.has_cgroup)
            cg_kill(&v->c.cg);
        ctr_release(&v->c, false);
        v->has_ctr = false;
    }
    char what[64], note[sizeof(v->note)];
    /* A SIGKILL with an OOM kill counted in its cgroup: the status says
     * who sent it, so the operator looks at memory_max, not for a killer. */
    if (f.ran && ooms && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        snprintf(what, sizeof(what), "was killed by the OOM killer (memory_max)");
    else if (f.ran)
        describe(status, what, sizeof(what));
    else
        snprintf(what, sizeof(what), "could not start");
    /* the note says more than the log line: the reason a start failed */
    if (!f.ran && v->start_error[0])
        snprintf(note, sizeof(note), "could not start: %s", v->start_error);
    else
        snprintf(note, sizeof(note), "%s", what);
    struct restart_rule rule = {0};
    if (v->ps)
        rule = (struct restart_rule){.restart = v->ps->svc->restart,
                                     .max = v->ps->svc->restart_max,
                                     .backoff_ms = v->ps->svc->restart_backoff_ms,
                                     .backoff_max_ms = v->ps->svc->restart_backoff_max_ms};
    struct exit_verdict d = decide_exit(&rule, &f, v->restarts, v->backoff);
    v->done_ok = d.ok;
    v->backoff = d.backoff;
    v->restarts = d.restarts;
    char dur[32];
    switch (d.why) {
    case XR_REMOVED:
        say(s, LOG_INFO, "%s: stopped (%s); it is no longer in conf.d", v->name, what);
        enter(s, v, EXITED, "%s; removed from conf.d", note);
        return;
    case XR_AGAIN:
        say(s, LOG_INFO, "%s: stopped (%s); starting again", v->name, what);
        enter(s, v, WAITING, NULL);
        return;
    case XR_STOPPED:
        say(s, LOG_INFO, "%s: stopped (%s)%s", v->name, what, f.held && !f.shutdown ? " by rtctl stop" : "");
        enter(s, v, EXITED, "stopped (%s)", what);
        return;
    case XR_LIMIT:
        if (f.unhealthy)
            snprintf(what, sizeof(what), "was stopped as unhealthy");
        say(s, LOG_ERR, "%s %s; not restarted: it failed %u times (restart = on-failure:%u)", v->name, what,
            v->restarts + 1, rule.max);
        enter(s, v, FAILED, "%s; not restarted: it failed %u times (restart = on-failure:%u)",
              f.unhealthy ? what : note, v->restarts + 1, rule.max);
        return;
    case XR_POLICY:
        if (f.unhealthy)
            snprintf(what, sizeof(what), "was stopped as unhealthy");
        say(s, d.ok ? LOG_INFO : LOG_ERR, "%s %s (restart = %s)", v->name, what, restart_name(rule.restart));
        enter(s, v, d.next, "%s (restart = %s)", f.unhealthy ? what : note, restart_name(rule.restart));
        return;
    case XR_RESTART:
        if (f.unhealthy)
            snprintf(what, sizeof(what), "was stopped as unhealthy");
        format_duration_buf(dur, sizeof(dur), d.delay);
        say(s, LOG_WARN, "%s %s; restarting in %s (restart %u)", v->name, what, dur, v->restarts);
        enter(s, v, BACKOFF, "%s; restarting in %s (restart %u)", f.unhealthy ? what : note, dur, v->restarts);
        v->deadline = now + d.delay;
        return;
    }
}

/* ---------- stopping ---------- */

void lc_restart(struct sup *s, struct svc *v)
{
    v->again = true; /* lc_exited: WAITING, to start again once its dependencies hold */
    svc_stop(s, v);
}

void svc_stop(struct sup *s, struct svc *v)
{
    if (!v->has_ctr || !ALIVE(v))
        return;
    if (v->phase == STARTING) { /* whether it got to exec no longer matters */
        forget_sync(s, v);
        close(v->c.sync);
        v->c.sync = -1;
    }
    int sig = v->ps && v->ps->stop_signal ? v->ps->stop_signal : SIGTERM;
    char name[32];
    say(s, LOG_INFO, "%s: stopping (%s)", v->name, signal_name(sig, name, sizeof(name)));
    ctr_signal(&v->c, sig);
    enter(s, v, STOPPING, NULL);
    uint64_t t = v->ps ? v->ps->svc->stop_timeout_ms : 0;
    v->deadline = now_ms() + (t ? t : 10000);
    probes_end(s, v);
}

bool lc_shutdown_step(struct sup *s)
{
    unsigned top = 0;
    bool removed = false; /* removed by a reload and still stopping */
    for (size_t i = 0; i < s->n; i++) {
        struct svc *v = &s->v[i];
        if (v->phase == WAITING || v->phase == BACKOFF)
            enter(s, v, EXITED, "not started: rtinit is stopping");
        if (!v->ps)
            removed |= v->has_ctr;
        else if ((ALIVE(v) || v->phase == STOPPING) && v->ps->stage > top)
            top = v->ps->stage;
    }
    if (top == 0)
        return !removed;
    for (size_t i = 0; i < s->p->n; i++)
        if (ALIVE(&s->v[i]) && s->v[i].ps->stage == top)
            svc_stop(s, &s->v[i]);
    return false;
}

void lc_overdue(struct sup *s)
{
    uint64_t now = now_ms();
    for (size_t i = 0; i < s->n; i++) {
        struct svc *v = &s->v[i];
        if (v->phase == STARTING && now >= v->deadline) {
            say(s, LOG_ERR, "%s: its process did not get to run its program in %d s; killing it", v->name,
                START_TIMEOUT_MS / 1000);
            snprintf(v->start_error, sizeof(v->start_error), "its program did not run within %d s",
                     START_TIMEOUT_MS / 1000);
            v->start_failed = true;
            if (v->c.has_cgroup)
                cg_kill(&v->c.cg);
            ctr_signal(&v->c, SIGKILL);
            v->deadline = UINT64_MAX;
        }
        if (v->phase == STOPPING && now >= v->deadline) {
            if (v->c.keep_children) {
                say(s, LOG_WARN, "%s: did not stop in time; killing its main process (kill_mode = process)", v->name);
            } else {
                say(s, LOG_WARN, "%s: did not stop in time; killing every process in it", v->name);
                if (v->c.has_cgroup)
                    cg_kill(&v->c.cg);
            }
            ctr_signal(&v->c, SIGKILL);
            v->deadline = UINT64_MAX;
        }
    }
}

void lc_health(struct sup *s, struct svc *v, enum health_event ev)
{
    if (ev == HE_HEALTHY) {
        say(s, LOG_INFO, "%s is healthy (%s)", v->name, v->h.last);
    } else if (ev == HE_UNHEALTHY && v->phase == RUNNING) {
        /* Unlike docker, an unhealthy service does not keep running: it
         * is stopped, and its restart policy decides what comes next. */
        say(s, LOG_ERR, "%s is unhealthy: %u checks failed in a row (last: %s); stopping it", v->name, v->h.fails,
            v->h.last);
        v->unhealthy = true;
        svc_stop(s, v);
    }
}

/* ---------- dependencies and starts ---------- */

/* Are v's dependencies met? If not, why, in *why. */
static bool deps_met(struct sup *s, struct svc *v, char *why, size_t len)
{
    const struct svc_conf *c = v->ps->svc;
    for (size_t i = 0; i < c->ndeps; i++) {
        const struct svc *d = &s->v[v->ps->deps[i]];
        struct dep_view dv = {.name = d->name,
                              .phase = d->phase,
                              .has_check = d->h.hc != NULL,
                              .healthy = d->h.state == HEALTH_HEALTHY,
                              .last_check = d->h.last,
                              .done_ok = d->done_ok};
        if (!dep_ready(c->deps[i].cond, &dv, why, len))
            return false;
    }
    return true;
}

/* restart_dependents: a running service whose dependency has been
 * restarted since it started, and holds its condition again, restarts
 * too (compose does this only for restarts it makes itself). */
static void follow_dependencies(struct sup *s)
{
    for (size_t i = 0; i < s->p->n; i++) {
        struct svc *v = &s->v[i];
        if (v->phase != RUNNING || !v->dep_gen)
            continue;
        char why[256];
        for (size_t k = 0; k < v->ps->svc->ndeps; k++) {
            struct svc *d = &s->v[v->ps->deps[k]];
            if (d->generation == v->dep_gen[k] || !deps_met(s, v, why, sizeof(why)))
                continue;
            say(s, LOG_INFO, "%s: restarting, since %s was restarted (restart_dependents)", v->name, d->name);
            lc_restart(s, v);
            break;
        }
    }
}

/* A service removed by a reload and added back by the next may still be
 * stopping under the same name (one container per name). */
static bool name_free(struct sup *s, const struct svc *v, char *why, size_t len)
{
    for (size_t i = s->p->n; i < s->n; i++)
        if (s->v[i].has_ctr && !strcmp(s->v[i].name, v->name)) {
            snprintf(why, len, "its previous definition to stop");
            return false;
        }
    return true;
}

void lc_step(struct sup *s)
{
    uint64_t now = now_ms();
    follow_dependencies(s);
    /* in plan order, so that a service's dependencies come first */
    for (size_t i = 0; i < s->p->n; i++) {
        struct svc *v = &s->v[i];
        if (v->phase == BACKOFF && now >= v->deadline)
            enter(s, v, WAITING, NULL);
        if (v->phase != WAITING || (v->retry_at && now < v->retry_at))
            continue;
        v->retry_at = 0;
        char why[256];
        if (!deps_met(s, v, why, sizeof(why)) || !name_free(s, v, why, sizeof(why))) {
            if (strcmp(why, v->waiting)) {
                say(s, LOG_INFO, "%s: waiting for %s", v->name, why);
                snprintf(v->waiting, sizeof(v->waiting), "%s", why);
            }
            continue;
        }
        start(s, v);
    }
}

uint64_t lc_wakeup(const struct sup *s, const struct svc *v)
{
    if (v->phase == WAITING && v->retry_at && !s->shutdown)
        return v->retry_at;
    if ((v->phase == STOPPING || v->phase == STARTING) || (v->phase == BACKOFF && !s->shutdown))
        return v->deadline;
    return UINT64_MAX;
}

/* ---------- what control.c and reload.c ask ---------- */

void lc_hold_at_boot(struct sup *s, struct svc *v)
{
    v->held = true;
    enter(s, v, EXITED, "stopped by rtctl stop (restart = unless-stopped keeps it down)");
    say(s, LOG_INFO, "%s: left stopped, as rtctl stop left it (restart = unless-stopped)", v->name);
}

enum lc_answer lc_request(struct sup *s, struct svc *v, enum lc_verb verb)
{
    if (verb == LC_STOP) {
        v->held = true;
        if (ALIVE(v)) {
            say(s, LOG_INFO, "%s: rtctl stop", v->name);
            svc_stop(s, v);
            return LA_STOPPING;
        }
        if (v->phase == STOPPING)
            return LA_ALREADY_STOPPING;
        if (v->phase == WAITING || v->phase == BACKOFF) {
            enter(s, v, EXITED, "stopped by rtctl stop");
            say(s, LOG_INFO, "%s: rtctl stop: it will not start", v->name);
        }
        return LA_NOT_RUNNING;
    }
    /* start and restart */
    v->held = false;
    if (ALIVE(v) && verb == LC_RESTART) {
        say(s, LOG_INFO, "%s: rtctl restart", v->name);
        lc_restart(s, v);
        return LA_RESTARTING;
    }
    if (v->phase == STOPPING) {
        v->again = true; /* it comes back once it is down */
        return LA_AFTER_STOP;
    }
    if (ALIVE(v))
        return LA_ALREADY_RUNNING;
    if (v->phase == WAITING)
        return LA_WAITING;
    say(s, LOG_INFO, "%s: rtctl %s", v->name, verb == LC_RESTART ? "restart" : "start");
    /* from exited, failed or a back-off: now, with a fresh count */
    enter(s, v, WAITING, NULL);
    v->restarts = 0;
    v->backoff = v->ps->svc->restart_backoff_ms;
    v->waiting[0] = '\0';
    return LA_STARTING;
}

void lc_changed(struct sup *s, struct svc *v)
{
    if (v->held)
        return; /* rtctl stop holds: the new definition runs at rtctl start */
    if (v->phase == EXITED || v->phase == FAILED || v->phase == BACKOFF) {
        enter(s, v, WAITING, NULL);
        v->restarts = 0;
        v->done_ok = false;
    }
    v->backoff = v->ps->svc->restart_backoff_ms;
}

void lc_removed(struct sup *s, struct svc *v)
{
    v->again = false;
    if (!v->has_ctr)
        enter(s, v, EXITED, "removed from conf.d");
}
