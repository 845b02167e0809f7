/* supervisor.c - rtinit's event loop and each service's life. See
 * supervisor.h; the parts are described in sup.h. */
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../images/store.h"
#include "../lib/fileio.h"
#include "../lib/util.h"
#include "../lib/value.h"
#include "sup.h"
#include "svcspec.h"

/* The restart back-off doubles from restart_backoff (100 ms) to
 * restart_backoff_max (60 s), docker's numbers, and goes back to the start
 * once a service has stayed up for 10 s. */
#define BACKOFF_RESET_MS 10000
/* A service's process that has not exec'd its program after this is
 * killed (a mount that hangs, say): the loop never waits for it. */
#define START_TIMEOUT_MS 60000
/* A probe due within this much of a wake-up runs in it: services with
 * the same interval fall into step and share one wake-up. */
#define PROBE_SLACK_MS 10
/* A log writer that died is started again after this. */
#define LOGW_RESTART_MS 1000
/* At the end, how long the log writer gets for the last lines. */
#define LOGW_STOP_MS 5000

uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* rtinit's own messages: the console now, and rtinit.log through the log
 * queue (flush_logs moves queued lines to the writer once per turn, so a
 * burst costs one pass, not one write per line). */
void say(struct sup *s, enum log_level lvl, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_msg(s->lg, lvl, "%s", msg);
    char line[1100];
    int n = snprintf(line, sizeof(line), "%s%s", lvl == LOG_ERR ? "error: " : lvl == LOG_WARN ? "warning: " : "", msg);
    uint64_t resumed;
    if (n > 0)
        logq_put(&s->ownq, NULL, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1, &resumed);
}

/* ---------- logs ---------- */

static void flush_logs(struct sup *s);
static void dropped_said(struct sup *s, const char *name, uint64_t n);

static void log_line(struct sup *s, struct svc *v, const char *text, size_t len)
{
    uint64_t resumed = 0;
    if (v->q.len > SVCLOG_QUEUE / 2) /* a burst: make room while the writer's pipe has some */
        flush_logs(s);
    if (logq_put(&v->q, v->name, text, len, &resumed) == LQ_RESUMED)
        dropped_said(s, v->name, resumed);
}

static void close_pipe(struct sup *s, struct svc *v)
{
    if (v->pipe < 0)
        return;
    if (v->blen)
        log_line(s, v, v->buf, v->blen);
    v->blen = 0;
    epoll_ctl(s->ep, EPOLL_CTL_DEL, v->pipe, NULL);
    close(v->pipe);
    v->pipe = -1;
}

/* Whatever the service wrote, line by line, into its queue. At most a
 * few reads per turn, so that one service cannot hold the loop. */
static void drain(struct sup *s, struct svc *v, int reads)
{
    while (reads-- > 0) {
        ssize_t n = read(v->pipe, v->buf + v->blen, sizeof(v->buf) - v->blen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            close_pipe(s, v);
            return;
        }
        v->blen += (size_t)n;
        char *start = v->buf, *nl;
        while ((nl = memchr(start, '\n', v->blen - (size_t)(start - v->buf)))) {
            log_line(s, v, start, (size_t)(nl - start));
            start = nl + 1;
        }
        v->blen -= (size_t)(start - v->buf);
        memmove(v->buf, start, v->blen);
        if (v->blen == sizeof(v->buf)) { /* a line longer than the buffer: in parts */
            log_line(s, v, v->buf, v->blen);
            v->blen = 0;
        }
    }
}

/* Move queued lines to the writer; when its pipe is full, wait for it
 * to drain (EPOLLOUT) rather than retry every turn. */
static void dropped_said(struct sup *s, const char *name, uint64_t n)
{
    say(s, LOG_WARN, "%s: %llu log line%s dropped: the log writer fell behind (a slow disk?)", name,
        (unsigned long long)n, n == 1 ? "" : "s");
}

static void flush_logs(struct sup *s)
{
    if (s->lw.fd < 0 || s->lw.full)
        return;
    int r = logw_flush(&s->lw, s->qs, s->n + 1);
    if (r == 1) { /* all written: notes of drops that no later line carried */
        bool noted = false;
        for (size_t i = 0; i < s->n; i++) {
            uint64_t n;
            if (s->v[i].q.dropped && logq_note(&s->v[i].q, s->v[i].name, &n)) {
                dropped_said(s, s->v[i].name, n);
                noted = true;
            }
        }
        if (noted)
            r = logw_flush(&s->lw, s->qs, s->n + 1);
    }
    if (r == 0) {
        struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = EV(EV_LOGW, 0)};
        epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lw.fd, &ev);
    }
}

static void on_logw_writable(struct sup *s)
{
    epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lw.fd, NULL);
    s->lw.full = false;
    flush_logs(s);
}

static void start_logw(struct sup *s)
{
    const struct droplet_conf *d = &s->p->conf->droplet;
    const char *dir = d->logging.dir ? d->logging.dir : s->paths->log_dir;
    struct rt_err err;
    if (mkdir_p(dir, 0750, &err) < 0)
        say(s, LOG_WARN, "log directory: %s; logs are not kept", err.msg);
    s->lw_restart = 0;
    if (logw_start(&s->lw, dir, d->logging.max_size, d->logging.max_files ? d->logging.max_files : 1, &err) < 0) {
        say(s, LOG_ERR, "%s; trying again in %d ms (lines wait in bounded queues)", err.msg, LOGW_RESTART_MS);
        s->lw_restart = now_ms() + LOGW_RESTART_MS;
    }
}

/* The writer died (a crash, the OOM killer, a kill): its pipe is useless;
 * a new one comes after a pause, and the queues hold lines meanwhile. */
static void logw_died(struct sup *s, int status)
{
    char what[64], sig[32];
    if (WIFSIGNALED(status))
        snprintf(what, sizeof(what), "was killed by %s", signal_name(WTERMSIG(status), sig, sizeof(sig)));
    else
        snprintf(what, sizeof(what), "exited with status %d", WEXITSTATUS(status));
    if (s->lw.fd >= 0) {
        epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lw.fd, NULL);
        close(s->lw.fd);
    }
    s->lw.fd = -1;
    s->lw.pid = -1;
    s->lw_restart = now_ms() + LOGW_RESTART_MS;
    say(s, LOG_ERR, "the log writer %s; starting another in %d ms", what, LOGW_RESTART_MS);
}

/* ---------- starting and exits ---------- */

static void exited(struct sup *s, struct svc *v, int status);

/* The checks begin with the service; their ${VAR} come from the secrets
 * as the command's do (only words written in conf.d). The check is
 * copied into the start's arena: a reload may free the conf it came from
 * while the service runs on. */
static void start_health(struct sup *s, struct svc *v, const struct ctr_spec *spec)
{
    const struct healthcheck *from = v->ps->hc;
    struct healthcheck *hc = NULL;
    char **argv = NULL;
    const char *why = NULL;
    if (from) {
        hc = arena_alloc(&v->a, sizeof(*hc));
        *hc = *from;
        hc->url = from->url ? arena_strdup(&v->a, from->url) : NULL;
        hc->host = from->host ? arena_strdup(&v->a, from->host) : NULL;
        hc->path = from->path ? arena_strdup(&v->a, from->path) : NULL;
        hc->exec = (struct argv){0};
    }
    if (hc && hc->kind == HC_EXEC) {
        argv = svcspec_expand_argv(&v->a, &from->exec, s->have_secrets ? &s->secrets : NULL, &why);
        for (size_t i = 0; argv && i < from->exec.n; i++)
            if (argv[i] == from->exec.v[i]) /* a word of the image's, in the conf's memory */
                argv[i] = arena_strdup(&v->a, argv[i]);
        if (!argv) {
            say(s, LOG_ERR, "%s: healthcheck exec: %s; the check cannot run", v->name, why);
            hc = NULL;
        }
    }
    v->netns = -1;
    if (hc && hc->kind != HC_EXEC && spec->network != NET_HOST) {
        char p[64];
        snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)v->c.pid);
        v->netns = open(p, O_RDONLY | O_CLOEXEC);
        if (v->netns < 0) {
            say(s, LOG_ERR, "%s: %s: %s; the check cannot run", v->name, p, strerror(errno));
            hc = NULL;
        }
    }
    health_init(&v->h, hc, argv, now_ms());
}

static void stop_health(struct sup *s, struct svc *v)
{
    if (v->h.fd >= 0)
        epoll_ctl(s->ep, EPOLL_CTL_DEL, v->h.fd, NULL);
    health_cancel(&v->h);
    v->h.hc = NULL;
    if (v->netns >= 0)
        close(v->netns);
    v->netns = -1;
}

static void start(struct sup *s, struct svc *v)
{
    struct rt_err err;
    v->started_at = now_ms(); /* a start that fails did not stay up */
    arena_free(&v->a);
    arena_init(&v->a);
    v->desc = NULL; /* it was in a */
    jmp_buf jb;
    if (ARENA_TRY(&v->a, jb)) {
        say(s, LOG_ERR, "%s: out of memory preparing the start", v->name);
        exited(s, v, 127 << 8);
        return;
    }
    struct store st;
    v->spec = arena_alloc(&v->a, sizeof(*v->spec)); /* until the process has exec'd (ctr_spawned) */
    struct ctr_spec *spec = v->spec;
    v->start_failed = false;
    if (store_open(&st, s->paths, false, LOCK_SH, &err) < 0) {
        say(s, LOG_ERR, "%s: %s", v->name, err.msg);
        exited(s, v, 127 << 8);
        return;
    }
    struct svcspec_ctx x = {.conf = s->p->conf,
                            .paths = s->paths,
                            .store = &st,
                            .secrets = s->have_secrets ? &s->secrets : NULL,
                            .hosts = s->hosts,
                            .resolv = s->resolv};
    int r = 0;
    if (v->ps->svc->network == NET_BRIDGE) {
        struct ctr_net *net = arena_alloc(&v->a, sizeof(*net));
        r = bridge_for(s, v, net, &err);
        x.net = net;
    }
    if (r == 0)
        r = svcspec_build(&x, &v->a, v->ps, spec, &err);
    store_close(&st);
    if (r < 0) {
        say(s, LOG_ERR, "%s", err.msg);
        exited(s, v, 127 << 8);
        return;
    }
    v->desc = svcspec_describe(&x, &v->a, v->ps, spec);
    int pfd[2];
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || pipe2(pfd, O_CLOEXEC) < 0) {
        say(s, LOG_ERR, "%s: %s", v->name, strerror(errno));
        if (null >= 0)
            close(null);
        exited(s, v, 127 << 8);
        return;
    }
    spec->stdio[0] = null;
    spec->stdio[1] = spec->stdio[2] = pfd[1];
    /* Not ctr_start(): the loop does not wait while the child builds its
     * root; the sync socket says when it has exec'd (on_sync). */
    r = ctr_spawn(spec, &v->c, &err);
    close(null);
    close(pfd[1]);
    if (r < 0) {
        close(pfd[0]);
        ctr_release(&v->c, false);
        say(s, LOG_ERR, "%s", err.msg);
        exited(s, v, 127 << 8);
        return;
    }
    v->has_ctr = true;
    v->phase = STARTING;
    v->deadline = now_ms() + START_TIMEOUT_MS;
    fcntl(v->c.sync, F_SETFL, O_NONBLOCK);
    struct epoll_event sev = {.events = EPOLLIN, .data.u64 = EV(EV_SYNC, v - s->v)};
    epoll_ctl(s->ep, EPOLL_CTL_ADD, v->c.sync, &sev);
    v->generation++;
    for (size_t i = 0; v->dep_gen && i < v->ps->svc->ndeps; i++)
        v->dep_gen[i] = s->v[v->ps->deps[i]].generation;
    v->waiting[0] = '\0';
    if (v->pipe >= 0) /* the previous run's: what is left in it, then close */
        drain(s, v, 64);
    close_pipe(s, v);
    v->pipe = pfd[0];
    fcntl(v->pipe, F_SETFL, O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_PIPE, v - s->v)};
    epoll_ctl(s->ep, EPOLL_CTL_ADD, v->pipe, &ev);
}

/* The sync socket of a STARTING service: its program runs, or it failed
 * before (its exit comes to the reaper). */
static void forget_sync(struct sup *s, struct svc *v)
{
    if (v->c.sync >= 0)
        epoll_ctl(s->ep, EPOLL_CTL_DEL, v->c.sync, NULL);
}

static void on_sync(struct sup *s, struct svc *v)
{
    if (v->phase != STARTING || v->c.sync < 0)
        return;
    struct rt_err err;
    forget_sync(s, v);
    int r = ctr_spawned(v->spec, &v->c, &err);
    if (r == 1) { /* spurious: watch on */
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_SYNC, v - s->v)};
        epoll_ctl(s->ep, EPOLL_CTL_ADD, v->c.sync, &ev);
        return;
    }
    if (r < 0) {
        say(s, LOG_ERR, "%s", err.msg);
        v->start_failed = true; /* killed; the reaper finishes it */
        return;
    }
    v->phase = RUNNING;
    start_health(s, v, v->spec);
    say(s, LOG_INFO, "%s: started (pid %d)", v->name, (int)v->c.pid);
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

/* The service's process ended, or it could not start (status 127). */
static void exited(struct sup *s, struct svc *v, int status)
{
    uint64_t now = now_ms();
    stop_health(s, v);
    bool unhealthy = v->unhealthy, restart_now = v->again;
    v->unhealthy = v->again = false;
    if (v->has_ctr && v->c.sync >= 0) {
        /* Its exit came before the loop read the sync socket: a program
         * that ran and ended at once (the socket closed on exec), or a
         * start that failed (the reason is in the socket). */
        struct rt_err err;
        forget_sync(s, v);
        if (ctr_spawned(v->spec, &v->c, &err) < 0) {
            say(s, LOG_ERR, "%s", err.msg);
            v->start_failed = true;
        } else if (v->phase == STARTING) {
            say(s, LOG_INFO, "%s: started (pid %d)", v->name, (int)v->c.pid); /* and ended at once, below */
        }
    }
    bool ran = v->has_ctr && !v->start_failed;
    if (v->has_ctr) {
        uint64_t ooms = v->c.has_cgroup ? cg_oom_kills(&v->c.cg) : 0;
        if (ooms)
            say(s, LOG_ERR, "%s: the kernel's OOM killer ended %llu process%s (memory limit reached)", v->name,
                (unsigned long long)ooms, ooms == 1 ? "" : "es");
        v->c.pid = -1;
        ctr_release(&v->c, false);
        v->has_ctr = false;
    }
    char what[64];
    if (ran)
        describe(status, what, sizeof(what));
    else
        snprintf(what, sizeof(what), "could not start");
    v->done_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!v->ps) {
        say(s, LOG_INFO, "%s: stopped (%s); it is no longer in conf.d", v->name, what);
        v->phase = EXITED;
        return;
    }
    const struct svc_conf *c = v->ps->svc;
    if (restart_now && !s->shutdown && !v->held) {
        /* back to waiting: it starts again once its dependencies hold */
        say(s, LOG_INFO, "%s: stopped (%s); starting again", v->name, what);
        v->phase = WAITING;
        return;
    }
    if (s->shutdown || v->held || (v->phase == STOPPING && !unhealthy)) {
        say(s, LOG_INFO, "%s: stopped (%s)%s", v->name, what, v->held && !s->shutdown ? " by rtctl stop" : "");
        v->phase = EXITED;
        return;
    }
    if (unhealthy) { /* stopped for failing its checks: a failure, whatever its status */
        v->done_ok = false;
        snprintf(what, sizeof(what), "was stopped as unhealthy");
    }
    if (v->started_at && now - v->started_at >= BACKOFF_RESET_MS)
        v->backoff = c->restart_backoff_ms;
    bool again = c->restart == RESTART_ALWAYS || c->restart == RESTART_UNLESS_STOPPED ||
                 (c->restart == RESTART_ON_FAILURE && !v->done_ok);
    if (again && c->restart == RESTART_ON_FAILURE && c->restart_max && v->restarts >= c->restart_max) {
        say(s, LOG_ERR, "%s %s; not restarted: it failed %u times (restart = on-failure:%u)", v->name, what,
            v->restarts + 1, c->restart_max);
        v->phase = FAILED;
        return;
    }
    if (!again) {
        say(s, v->done_ok ? LOG_INFO : LOG_ERR, "%s %s (restart = %s)", v->name, what, restart_name(c->restart));
        v->phase = v->done_ok ? EXITED : FAILED;
        return;
    }
    v->phase = BACKOFF;
    v->deadline = now + v->backoff;
    v->restarts++;
    char d[32];
    format_duration_buf(d, sizeof(d), v->backoff);
    say(s, LOG_WARN, "%s %s; restarting in %s (restart %u)", v->name, what, d, v->restarts);
    v->backoff = v->backoff * 2 > c->restart_backoff_max_ms ? c->restart_backoff_max_ms : v->backoff * 2;
}

/* Are v's dependencies met? If not, why, in *why. */
static bool deps_met(struct sup *s, struct svc *v, char *why, size_t len)
{
    const struct svc_conf *c = v->ps->svc;
    for (size_t i = 0; i < c->ndeps; i++) {
        struct svc *d = &s->v[v->ps->deps[i]];
        switch (c->deps[i].cond) {
        case DEP_HEALTHY:
            if (d->phase != RUNNING) {
                snprintf(why, len, "%s to start and be healthy", d->name);
                return false;
            }
            if (d->h.hc && d->h.state != HEALTH_HEALTHY) {
                snprintf(why, len, "%s to be healthy (last check: %s)", d->name, d->h.last);
                return false;
            }
            break;
        case DEP_STARTED:
            if (d->phase != RUNNING) {
                snprintf(why, len, "%s to start", d->name);
                return false;
            }
            break;
        case DEP_COMPLETED:
            if (d->phase != EXITED || !d->done_ok) {
                snprintf(why, len, "%s to complete%s", d->name,
                         d->phase == FAILED || (d->phase == EXITED && !d->done_ok) ? " (it failed)" : "");
                return false;
            }
            break;
        }
    }
    return true;
}

/* ---------- stopping ---------- */

void svc_stop(struct sup *s, struct svc *v)
{
    if (!v->has_ctr || !ALIVE(v))
        return;
    if (v->phase == STARTING) { /* whether it got to exec no longer matters */
        forget_sync(s, v);
        close(v->c.sync);
        v->c.sync = -1;
    }
    int sig = v->ps->stop_signal ? v->ps->stop_signal : SIGTERM;
    char name[32];
    say(s, LOG_INFO, "%s: stopping (%s)", v->name, signal_name(sig, name, sizeof(name)));
    ctr_signal(&v->c, sig);
    v->phase = STOPPING;
    uint64_t t = v->ps->svc->stop_timeout_ms;
    v->deadline = now_ms() + (t ? t : 10000);
    stop_health(s, v);
}

/* Shutdown: services stop by stage, the last stage first, so nothing
 * stops while something that depends on it still runs. True when every
 * service is down. */
static bool stop_step(struct sup *s)
{
    unsigned top = 0;
    bool removed = false; /* removed by a reload and still stopping */
    for (size_t i = 0; i < s->n; i++) {
        struct svc *v = &s->v[i];
        if (v->phase == WAITING || v->phase == BACKOFF)
            v->phase = EXITED;
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

/* ---------- the loop ---------- */

/* stop_timeout is up: SIGKILL to everything in the service. */
static void kill_overdue(struct sup *s)
{
    uint64_t now = now_ms();
    for (size_t i = 0; i < s->n; i++) {
        struct svc *v = &s->v[i];
        if (v->phase == STARTING && now >= v->deadline) {
            say(s, LOG_ERR, "%s: its process did not get to run its program in %d s; killing it", v->name,
                START_TIMEOUT_MS / 1000);
            v->start_failed = true;
            if (v->c.has_cgroup)
                cg_kill(&v->c.cg);
            ctr_signal(&v->c, SIGKILL);
            v->deadline = UINT64_MAX;
        }
        if (v->phase == STOPPING && now >= v->deadline) {
            say(s, LOG_WARN, "%s: did not stop in time; killing every process in it", v->name);
            if (v->c.has_cgroup)
                cg_kill(&v->c.cg);
            ctr_signal(&v->c, SIGKILL);
            v->deadline = UINT64_MAX;
        }
    }
}

static void health_event(struct sup *s, struct svc *v, enum health_event ev)
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

/* Probes that are due, and probes that took too long. */
static void probes(struct sup *s)
{
    uint64_t now = now_ms();
    for (size_t i = 0; i < s->n; i++) {
        struct svc *v = &s->v[i];
        if (v->phase != RUNNING || !v->h.hc)
            continue;
        if (v->h.busy && now >= v->h.deadline) {
            if (v->h.fd >= 0)
                epoll_ctl(s->ep, EPOLL_CTL_DEL, v->h.fd, NULL);
            health_event(s, v, health_on_timeout(&v->h, now));
        } else if (!v->h.busy && now + PROBE_SLACK_MS >= v->h.next) {
            struct health_target t = {.netns = v->netns,
                                      .ownns = s->ownns,
                                      .devnull = s->devnull,
                                      .state_dir = s->paths->state_dir,
                                      .run_dir = s->paths->run_dir,
                                      .name = v->name};
            enum health_event ev;
            v->checks++;
            int fd = health_start(&v->h, &t, now, &ev);
            if (fd >= 0) {
                struct epoll_event e = {.events = v->h.sent ? EPOLLIN : EPOLLIN | EPOLLOUT, .data.u64 = EV(EV_PROBE, i)};
                epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e);
            }
            health_event(s, v, ev);
        }
    }
}

static void on_probe_fd(struct sup *s, struct svc *v)
{
    if (v->h.fd < 0)
        return;
    int fd = v->h.fd;
    bool was_sent = v->h.sent;
    /* When the probe ends, health closes the socket, which takes it out
     * of the epoll set: no EPOLL_CTL_DEL (a syscall per check) needed. */
    enum health_event ev = health_on_fd(&v->h, now_ms());
    if (v->h.fd >= 0 && v->h.sent && !was_sent)
        epoll_ctl(s->ep, EPOLL_CTL_MOD, fd, &(struct epoll_event){.events = EPOLLIN, .data.u64 = EV(EV_PROBE, v - s->v)});
    health_event(s, v, ev);
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
            v->again = true;
            svc_stop(s, v);
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

/* Start what can start. */
static void step(struct sup *s)
{
    uint64_t now = now_ms();
    follow_dependencies(s);
    /* in plan order, so that a service's dependencies come first */
    for (size_t i = 0; i < s->p->n; i++) {
        struct svc *v = &s->v[i];
        if (v->phase == BACKOFF && now >= v->deadline) {
            v->phase = WAITING;
        }
        if (v->phase != WAITING)
            continue;
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

static void arm_timer(struct sup *s)
{
    uint64_t next = UINT64_MAX;
    if (s->lw_restart && s->lw_restart < next)
        next = s->lw_restart;
    for (size_t i = 0; i < s->n; i++) {
        const struct svc *v = &s->v[i];
        if ((v->phase == BACKOFF || v->phase == STOPPING || v->phase == STARTING) && v->deadline < next && !(s->shutdown && v->phase == BACKOFF))
            next = v->deadline;
        if (v->phase == RUNNING && !s->shutdown && health_wakeup(&v->h) < next)
            next = health_wakeup(&v->h);
    }
    if (s->armed_ok && next == s->armed)
        return; /* already set for that (the common case: nothing changed) */
    s->armed = next;
    s->armed_ok = true;
    struct itimerspec it = {0};
    if (next != UINT64_MAX) {
        next = next ? next : 1;
        it.it_value.tv_sec = (time_t)(next / 1000);
        it.it_value.tv_nsec = (long)(next % 1000) * 1000000;
    }
    timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &it, NULL);
}

static void reap(struct sup *s)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return;
        if (pid == s->lw.pid) {
            logw_died(s, status);
            continue;
        }
        for (size_t i = 0; i < s->n; i++) {
            struct svc *v = &s->v[i];
            if (v->has_ctr && v->c.pid == pid) {
                exited(s, v, status);
                break;
            }
            if (v->h.busy && v->h.exec.pid == pid) {
                health_event(s, v, health_on_exit(&v->h, status, now_ms()));
                break;
            }
        }
        /* else: an orphan that was reparented to us; reaped is all it needs */
    }
}


/* ---------- entries ---------- */

int svc_init(struct sup *s, struct svc *v, const struct plan_svc *ps)
{
    (void)s;
    memset(v, 0, sizeof(*v));
    v->ps = ps;
    snprintf(v->name, sizeof(v->name), "%s", ps->svc->name);
    v->phase = WAITING;
    v->backoff = ps->svc->restart_backoff_ms;
    if (ps->svc->restart_dependents && ps->svc->ndeps && !(v->dep_gen = calloc(ps->svc->ndeps, sizeof(unsigned))))
        return -1;
    v->pipe = v->netns = -1;
    v->c.pid = -1;
    v->c.sync = v->c.pidfd = v->c.lockfd = -1;
    health_init(&v->h, NULL, NULL, 0);
    arena_init(&v->a);
    if (logq_init(&v->q) < 0) {
        free(v->dep_gen);
        return -1;
    }
    return 0;
}

void svc_free(struct sup *s, struct svc *v)
{
    stop_health(s, v);
    close_pipe(s, v);
    arena_free(&v->a);
    logq_free(&v->q);
    free(v->dep_gen);
    v->dep_gen = NULL;
}

int sup_reindex(struct sup *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct svc *v = &s->v[i];
        if (v->pipe >= 0) {
            struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_PIPE, i)};
            epoll_ctl(s->ep, EPOLL_CTL_MOD, v->pipe, &ev);
        }
        if (v->h.fd >= 0) {
            struct epoll_event ev = {.events = v->h.sent ? EPOLLIN : EPOLLIN | EPOLLOUT, .data.u64 = EV(EV_PROBE, i)};
            epoll_ctl(s->ep, EPOLL_CTL_MOD, v->h.fd, &ev);
        }
        if (v->has_ctr && v->c.sync >= 0) {
            struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_SYNC, i)};
            epoll_ctl(s->ep, EPOLL_CTL_MOD, v->c.sync, &ev);
        }
    }
    struct logq **qs = realloc(s->qs, (s->n + 1) * sizeof(*qs));
    if (!qs)
        return -1; /* the old list stays; it is at least as long */
    s->qs = qs;
    s->qs[0] = &s->ownq;
    for (size_t i = 0; i < s->n; i++)
        s->qs[i + 1] = &s->v[i].q;
    return 0;
}

/* Entries of removed services that have stopped and whose last lines
 * have gone to the writer are dropped (they are all after the plan's). */
static void drop_gone(struct sup *s)
{
    size_t k = s->p->n;
    bool moved = false;
    for (size_t i = s->p->n; i < s->n; i++) {
        struct svc *v = &s->v[i];
        if (!v->has_ctr && v->pipe < 0 && !v->q.len) {
            svc_free(s, v);
            moved = true;
            continue;
        }
        if (k != i)
            s->v[k] = *v;
        k++;
    }
    if (moved) {
        s->n = k;
        if (sup_reindex(s) < 0) /* the old s->qs stays, longer than needed: harmless */
            say(s, LOG_ERR, "out of memory");
    }
}

bool sup_load_secrets(struct sup *s, const struct conf *c, struct arena *a, struct envfile *env)
{
    const char *path = c->droplet.secrets;
    memset(env, 0, sizeof(*env));
    if (!path)
        return false;
    struct envfile_result res = {0};
    envfile_read(a, path, env, &res);
    if (res.errnum) {
        say(s, LOG_WARN, "secrets file %s: %s; ${VAR} references without a default will stop services from starting",
            path, strerror(res.errnum));
        return false;
    }
    return true;
}

/* ---------- the loop ---------- */

int supervise(const struct plan *p, const struct rt_paths *paths, const struct logger *lg, int *end)
{
    *end = SIGTERM;
    struct sup s = {.p = p, .paths = paths, .lg = lg, .ep = -1, .sfd = -1, .tfd = -1, .ctl = -1};
    s.lw.pid = -1;
    s.lw.fd = -1;
    s.ownns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    s.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    arena_init(&s.sa);
    jmp_buf jb;
    if (ARENA_TRY(&s.sa, jb)) {
        log_msg(lg, LOG_ERR, "out of memory");
        return 1;
    }
    if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        log_msg(lg, LOG_WARN, "cannot become a child subreaper: %s", strerror(errno));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    s.n = p->n;
    s.v = calloc(p->n ? p->n : 1, sizeof(*s.v));
    if (!s.v || logq_init(&s.ownq) < 0 || sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
        (s.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
        (s.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
        (s.ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        log_msg(lg, LOG_ERR, "setting up the event loop: %s", strerror(errno));
        return 1;
    }
    for (size_t i = 0; i < p->n; i++)
        if (svc_init(&s, &s.v[i], &p->svcs[i]) < 0) {
            log_msg(lg, LOG_ERR, "out of memory");
            return 1;
        }
    if (sup_reindex(&s) < 0) {
        log_msg(lg, LOG_ERR, "out of memory");
        return 1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_SIGNAL, 0)};
    epoll_ctl(s.ep, EPOLL_CTL_ADD, s.sfd, &ev);
    ev.data.u64 = EV(EV_TIMER, 0);
    epoll_ctl(s.ep, EPOLL_CTL_ADD, s.tfd, &ev);
    start_logw(&s);
    s.have_secrets = sup_load_secrets(&s, p->conf, &s.sa, &s.secrets);
    bridge_open(&s);
    s.ctl = control_open(&s);
    held_load(&s);
    confd_remember(&s);
    say(&s, LOG_INFO, "supervising %zu service%s from %s", p->n, p->n == 1 ? "" : "s", p->conf->dir);

    bool done = false;
    while (!done) {
        kill_overdue(&s);
        if (s.shutdown) {
            done = stop_step(&s);
        } else {
            probes(&s);
            step(&s);
        }
        if (s.n > s.p->n)
            drop_gone(&s);
        if (s.lw_restart && now_ms() >= s.lw_restart)
            start_logw(&s);
        flush_logs(&s);
        if (done)
            break;
        arm_timer(&s);
        struct epoll_event evs[16];
        int n = epoll_wait(s.ep, evs, 16, -1);
        if (n < 0 && errno != EINTR) {
            say(&s, LOG_ERR, "epoll_wait: %s", strerror(errno));
            continue;
        }
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64;
            unsigned kind = tag & 7;
            struct svc *v =
                (kind == EV_PIPE || kind == EV_PROBE || kind == EV_SYNC) && (tag >> 3) < s.n ? &s.v[tag >> 3] : NULL;
            if (kind == EV_SIGNAL) {
                struct signalfd_siginfo si;
                while (read(s.sfd, &si, sizeof(si)) == sizeof(si)) {
                    if (si.ssi_signo == SIGCHLD)
                        reap(&s);
                    else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT || si.ssi_signo == SIGUSR1 ||
                             si.ssi_signo == SIGUSR2) {
                        char sn[32];
                        if (!s.shutdown) {
                            say(&s, LOG_INFO, "stopping every service (%s)",
                                signal_name((int)si.ssi_signo, sn, sizeof(sn)));
                            *end = (int)si.ssi_signo;
                        }
                        s.shutdown = true;
                    } else if (si.ssi_signo == SIGHUP && !s.shutdown) {
                        char *msg = NULL;
                        say(&s, LOG_INFO, "SIGHUP: reloading %s", s.p->conf->dir);
                        sup_reload(&s, &msg);
                        free(msg);
                    }
                }
                reap(&s); /* SIGCHLD coalesces: never trust the count */
            } else if (kind == EV_TIMER) {
                s.armed_ok = false; /* it fired: the next deadline must be set again */
                uint64_t ticks;
                if (read(s.tfd, &ticks, sizeof(ticks)) < 0) {
                    /* spurious or already read: the step looks at the clock */
                }
            } else if (kind == EV_PIPE && v) {
                if (v->pipe >= 0)
                    drain(&s, v, 4);
            } else if (kind == EV_PROBE && v) {
                on_probe_fd(&s, v);
            } else if (kind == EV_CONTROL) {
                control_accept(&s);
            } else if (kind == EV_CLIENT) {
                control_request(&s, (int)(tag >> 3));
            } else if (kind == EV_LOGW) {
                on_logw_writable(&s);
            } else if (kind == EV_SYNC && v) {
                on_sync(&s, v);
            }
        }
    }
    say(&s, LOG_INFO, "every service is stopped");
    for (size_t i = 0; i < s.n; i++) {
        struct svc *v = &s.v[i];
        if (v->pipe >= 0) /* the last lines */
            drain(&s, v, 1024);
        close_pipe(&s, v);
    }
    control_close(&s);
    confd_free(&s);
    bridge_close(&s);
    logw_stop(&s.lw, s.qs, s.n + 1, LOGW_STOP_MS);
    for (size_t i = 0; i < s.n; i++)
        svc_free(&s, &s.v[i]);
    free(s.v);
    free(s.qs);
    logq_free(&s.ownq);
    close(s.ep);
    close(s.sfd);
    close(s.tfd);
    if (s.ownns >= 0)
        close(s.ownns);
    if (s.devnull >= 0)
        close(s.devnull);
    if (s.owned)
        conf_free((struct conf *)s.owned->conf);
    arena_free(&s.sa);
    return 0;
}
