/* supervisor.c - rtinit's event loop. See supervisor.h. */
#include "supervisor.h"

#include <errno.h>
#include <jansson.h>
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
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../images/store.h"
#include "../lib/util.h"
#include "../lib/value.h"
#include "../runtime/container.h"
#include "health.h"
#include "svcspec.h"

/* The restart back-off doubles from restart_backoff (100 ms) to
 * restart_backoff_max (60 s), docker's numbers, and goes back to the start
 * once a service has stayed up for 10 s. */
#define BACKOFF_RESET_MS 10000
#define LOG_LINE 4096

enum phase { WAITING, RUNNING, STOPPING, BACKOFF, EXITED, FAILED };

struct svc {
    const struct plan_svc *ps;
    const char *name;
    enum phase phase;
    struct arena a;             /* this start's spec; freed at the next */
    struct ctr c;
    bool has_ctr;               /* c holds a process (running or stopping) */
    uint64_t deadline;          /* BACKOFF: start then; STOPPING: kill then */
    uint64_t backoff;           /* the next back-off */
    uint64_t started_at;
    unsigned restarts;
    bool done_ok;               /* exited with status 0 (for `completed`) */
    char waiting[256];          /* what a WAITING service waits for, as last said */
    int pipe;                   /* read end of its stdout/stderr, or -1 */
    int logfd;                  /* LOGDIR/NAME.log, or -1 */
    uint64_t logsize;
    char buf[LOG_LINE];         /* a line not yet ended */
    size_t blen;
    struct health h;            /* its checks, while it runs */
    int netns;                  /* its network namespace, for the probes; -1: the host's */
    bool unhealthy;             /* being stopped for failing its checks: restart it */
    bool cascade;               /* being stopped to follow a restarted dependency */
    unsigned generation;        /* starts so far */
    unsigned *dep_gen;          /* restart_dependents: each dependency's generation at our start */
};

/* What an epoll event is about: (index << 3) | kind; for EV_CLIENT the
 * index is the connection's fd. */
enum { EV_SIGNAL, EV_TIMER, EV_PIPE, EV_PROBE, EV_CONTROL, EV_CLIENT };
#define EV(kind, i) ((uint64_t)(i) << 3 | (kind))

struct sup {
    const struct plan *p;
    const struct rt_paths *paths;
    const struct logger *lg;
    struct svc *v;
    int ep, sfd, tfd, ownlog, ctl;
    int ownns, devnull;         /* our network namespace; /dev/null for probes */
    bool shutdown;
    const char *logdir;
    uint64_t max_size;
    unsigned max_files;
    struct arena a;             /* the secrets, for the supervisor's life */
    struct envfile secrets;
    bool have_secrets;
};

static uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* "2026-11-26T02:10:00.123Z " */
static size_t stamp(char *buf, size_t len)
{
    struct timespec t;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &t);
    gmtime_r(&t.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    return n + (size_t)snprintf(buf + n, len - n, ".%03ldZ ", t.tv_nsec / 1000000);
}

/* rtinit's own messages: the console (stderr) and LOGDIR/rtinit.log. */
static __attribute__((format(printf, 3, 4))) void say(struct sup *s, enum log_level lvl, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_msg(s->lg, lvl, "%s", msg);
    if (s->ownlog >= 0) {
        char line[1200];
        size_t n = stamp(line, sizeof(line));
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s\n", lvl == LOG_ERR ? "error: " : lvl == LOG_WARN ? "warning: " : "", msg);
        if (write(s->ownlog, line, n < sizeof(line) ? n : sizeof(line) - 1) < 0) {
            /* the console has it */
        }
    }
}

/* ---------- logs ---------- */

static int open_log(struct sup *s, const char *name, uint64_t *size)
{
    char p[PATH_MAX + 80];
    snprintf(p, sizeof(p), "%s/%s.log", s->logdir, name);
    int fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    struct stat st;
    *size = fd >= 0 && fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    return fd;
}

/* NAME.log -> NAME.log.1 -> ... -> NAME.log.(max_files-1); the oldest
 * goes. With max_files = 1 the log starts again empty. */
static void rotate(struct sup *s, struct svc *v)
{
    char a[PATH_MAX + 80], b[PATH_MAX + 80];
    for (unsigned k = s->max_files - 1; k >= 1; k--) {
        if (k == 1)
            snprintf(a, sizeof(a), "%s/%s.log", s->logdir, v->name);
        else
            snprintf(a, sizeof(a), "%s/%s.log.%u", s->logdir, v->name, k - 1);
        snprintf(b, sizeof(b), "%s/%s.log.%u", s->logdir, v->name, k);
        rename(a, b);
    }
    if (s->max_files <= 1) {
        snprintf(a, sizeof(a), "%s/%s.log", s->logdir, v->name);
        unlink(a);
    }
    close(v->logfd);
    v->logfd = open_log(s, v->name, &v->logsize);
}

static void log_line(struct sup *s, struct svc *v, const char *text, size_t len)
{
    if (v->logfd < 0)
        return;
    char line[LOG_LINE + 64];
    size_t n = stamp(line, sizeof(line));
    if (len > sizeof(line) - n - 1)
        len = sizeof(line) - n - 1;
    memcpy(line + n, text, len);
    n += len;
    line[n++] = '\n';
    if (s->max_size && v->logsize + n > s->max_size && v->logsize > 0)
        rotate(s, v);
    if (v->logfd >= 0 && write(v->logfd, line, n) == (ssize_t)n)
        v->logsize += n;
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

/* Whatever the service wrote, line by line, into its log. */
static void drain(struct sup *s, struct svc *v)
{
    for (;;) {
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

/* ---------- starting and exits ---------- */

static void exited(struct sup *s, struct svc *v, int status);

/* Named volumes (a relative SRC) are directories on the block volume,
 * made on first use. */
static void make_volume_dirs(const struct svc_conf *c)
{
    for (size_t i = 0; i < c->nvolumes; i++) {
        if (c->volumes[i].src[0] == '/')
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s", c->volumes[i].host_path);
        for (char *q = p + 1; *q; q++)
            if (*q == '/') {
                *q = '\0';
                mkdir(p, 0755);
                *q = '/';
            }
        mkdir(p, 0755);
    }
}

/* The checks begin with the service; their ${VAR} come from the secrets
 * as the command's do (only words written in conf.d). */
static void start_health(struct sup *s, struct svc *v, const struct ctr_spec *spec)
{
    const struct healthcheck *hc = v->ps->hc;
    char **argv = NULL;
    const char *why = NULL;
    if (hc && hc->kind == HC_EXEC &&
        !(argv = svcspec_expand_argv(&v->a, &hc->exec, s->have_secrets ? &s->secrets : NULL, &why))) {
        say(s, LOG_ERR, "%s: healthcheck exec: %s; the check cannot run", v->name, why);
        hc = NULL;
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
    jmp_buf jb;
    if (ARENA_TRY(&v->a, jb)) {
        say(s, LOG_ERR, "%s: out of memory preparing the start", v->name);
        exited(s, v, 127 << 8);
        return;
    }
    struct store st;
    struct ctr_spec spec;
    if (store_open(&st, s->paths, false, LOCK_SH, &err) < 0) {
        say(s, LOG_ERR, "%s: %s", v->name, err.msg);
        exited(s, v, 127 << 8);
        return;
    }
    struct svcspec_ctx x = {.conf = s->p->conf,
                            .paths = s->paths,
                            .store = &st,
                            .secrets = s->have_secrets ? &s->secrets : NULL};
    int r = svcspec_build(&x, &v->a, v->ps, &spec, &err);
    store_close(&st);
    if (r < 0) {
        say(s, LOG_ERR, "%s", err.msg);
        exited(s, v, 127 << 8);
        return;
    }
    make_volume_dirs(v->ps->svc);
    int pfd[2];
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || pipe2(pfd, O_CLOEXEC) < 0) {
        say(s, LOG_ERR, "%s: %s", v->name, strerror(errno));
        if (null >= 0)
            close(null);
        exited(s, v, 127 << 8);
        return;
    }
    spec.stdio[0] = null;
    spec.stdio[1] = spec.stdio[2] = pfd[1];
    r = ctr_start(&spec, &v->c, &err);
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
    v->phase = RUNNING;
    v->generation++;
    for (size_t i = 0; v->dep_gen && i < v->ps->svc->ndeps; i++)
        v->dep_gen[i] = s->v[v->ps->deps[i]].generation;
    v->waiting[0] = '\0';
    if (v->pipe >= 0) /* the previous run's: what is left in it, then close */
        drain(s, v);
    close_pipe(s, v);
    v->pipe = pfd[0];
    fcntl(v->pipe, F_SETFL, O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_PIPE, v - s->v)};
    epoll_ctl(s->ep, EPOLL_CTL_ADD, v->pipe, &ev);
    start_health(s, v, &spec);
    if (v->logfd < 0)
        v->logfd = open_log(s, v->name, &v->logsize);
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
    bool ran = v->has_ctr;
    stop_health(s, v);
    bool unhealthy = v->unhealthy, cascade = v->cascade;
    v->unhealthy = v->cascade = false;
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
    const struct svc_conf *c = v->ps->svc;
    if (cascade && !s->shutdown) {
        /* back to waiting: it starts again once its dependencies hold */
        say(s, LOG_INFO, "%s: stopped (%s); starting again with its dependencies", v->name, what);
        v->phase = WAITING;
        return;
    }
    if (s->shutdown || (v->phase == STOPPING && !unhealthy)) {
        say(s, LOG_INFO, "%s: stopped (%s)", v->name, what);
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

static void stop(struct sup *s, struct svc *v)
{
    int sig = v->ps->stop_signal ? v->ps->stop_signal : SIGTERM;
    char name[32];
    say(s, LOG_INFO, "%s: stopping (%s)", v->name, signal_name(sig, name, sizeof(name)));
    ctr_signal(&v->c, sig);
    v->phase = STOPPING;
    uint64_t t = v->ps->svc->stop_timeout_ms;
    v->deadline = now_ms() + (t ? t : 10000);
}

/* Shutdown: services stop by stage, the last stage first, so nothing
 * stops while something that depends on it still runs. True when every
 * service is down. */
static bool stop_step(struct sup *s)
{
    unsigned top = 0;
    for (size_t i = 0; i < s->p->n; i++) {
        struct svc *v = &s->v[i];
        if (v->phase == WAITING || v->phase == BACKOFF)
            v->phase = EXITED;
        if ((v->phase == RUNNING || v->phase == STOPPING) && v->ps->stage > top)
            top = v->ps->stage;
    }
    if (top == 0)
        return true;
    for (size_t i = 0; i < s->p->n; i++)
        if (s->v[i].phase == RUNNING && s->v[i].ps->stage == top)
            stop(s, &s->v[i]);
    return false;
}

/* ---------- the loop ---------- */

/* stop_timeout is up: SIGKILL to everything in the service. */
static void kill_overdue(struct sup *s)
{
    uint64_t now = now_ms();
    for (size_t i = 0; i < s->p->n; i++) {
        struct svc *v = &s->v[i];
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
        stop(s, v);
    }
}

/* Probes that are due, and probes that took too long. */
static void probes(struct sup *s)
{
    uint64_t now = now_ms();
    for (size_t i = 0; i < s->p->n; i++) {
        struct svc *v = &s->v[i];
        if (v->phase != RUNNING || !v->h.hc)
            continue;
        if (v->h.busy && now >= v->h.deadline) {
            if (v->h.fd >= 0)
                epoll_ctl(s->ep, EPOLL_CTL_DEL, v->h.fd, NULL);
            health_event(s, v, health_on_timeout(&v->h, now));
        } else if (!v->h.busy && now >= v->h.next) {
            struct health_target t = {.netns = v->netns,
                                      .ownns = s->ownns,
                                      .devnull = s->devnull,
                                      .state_dir = s->paths->state_dir,
                                      .run_dir = s->paths->run_dir,
                                      .name = v->name};
            enum health_event ev;
            int fd = health_start(&v->h, &t, now, &ev);
            if (fd >= 0) {
                struct epoll_event e = {.events = EPOLLIN | EPOLLOUT, .data.u64 = EV(EV_PROBE, i)};
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
    enum health_event ev = health_on_fd(&v->h, now_ms());
    if (v->h.fd < 0)
        epoll_ctl(s->ep, EPOLL_CTL_DEL, fd, NULL); /* finished (health closed it; DEL of a closed fd is moot) */
    else if (v->h.sent)
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
            v->cascade = true;
            stop(s, v);
            break;
        }
    }
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
        if (!deps_met(s, v, why, sizeof(why))) {
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
    for (size_t i = 0; i < s->p->n; i++) {
        const struct svc *v = &s->v[i];
        if ((v->phase == BACKOFF || v->phase == STOPPING) && v->deadline < next && !(s->shutdown && v->phase == BACKOFF))
            next = v->deadline;
        if (v->phase == RUNNING && !s->shutdown && health_wakeup(&v->h) < next)
            next = health_wakeup(&v->h);
    }
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
        for (size_t i = 0; i < s->p->n; i++) {
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

/* ---------- the control socket ----------
 *
 * RUN/control.sock, mode 0600, SOCK_SEQPACKET: one request per
 * connection, one answer, then it is closed. Only root (SO_PEERCRED) is
 * answered. Requests: "status". Nothing here blocks: the connection is
 * watched until its request arrives, and the answer is sent without
 * waiting (a client that does not read loses it). */

static const char *const phase_names[] = {"waiting", "running", "stopping", "restarting", "exited", "failed"};
static const char *const health_names[] = {"", "starting", "healthy", "unhealthy"};

static int control_open(struct sup *s)
{
    const char *path = s->paths->socket;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        say(s, LOG_WARN, "control socket %s: path too long; rtctl cannot reach rtinit", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", s->paths->run_dir);
    for (char *q = dir + 1; *q; q++)
        if (*q == '/') {
            *q = '\0';
            mkdir(dir, 0755);
            *q = '/';
        }
    mkdir(dir, 0755);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    unlink(path); /* a socket left by an rtinit that is gone */
    mode_t old = umask(0177); /* 0600 from the start: no window where others can connect */
    int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (r < 0 || listen(fd, 16) < 0)
        goto fail;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_CONTROL, 0)};
    epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
    return fd;
fail:
    say(s, LOG_WARN, "control socket %s: %s; rtctl cannot reach rtinit", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

static void control_accept(struct sup *s)
{
    for (;;) {
        int c = accept4(s->ctl, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0)
            return;
        struct ucred cr;
        socklen_t l = sizeof(cr);
        if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &l) < 0 || cr.uid != 0) {
            static const char no[] = "error: only root may use rtinit's control socket";
            if (send(c, no, sizeof(no) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
                /* the client went away */
            }
            close(c);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_CLIENT, (unsigned)c)};
        if (epoll_ctl(s->ep, EPOLL_CTL_ADD, c, &ev) < 0)
            close(c);
    }
}

static json_t *status_json(struct sup *s)
{
    json_t *arr = json_array();
    uint64_t now = now_ms();
    for (size_t i = 0; i < s->p->n; i++) {
        const struct svc *v = &s->v[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s}", "name", v->name, "state", phase_names[v->phase],
                              "health", health_names[v->phase == RUNNING ? v->h.state : HEALTH_NONE], "pid",
                              v->has_ctr ? (int)v->c.pid : 0, "restarts", (int)v->restarts, "waiting_for",
                              v->phase == WAITING ? v->waiting : "");
        if (o && v->phase == RUNNING)
            json_object_set_new(o, "up_ms", json_integer((json_int_t)(now - v->started_at)));
        if (o && v->h.hc && v->phase == RUNNING)
            json_object_set_new(o, "last_check", json_string(v->h.last));
        json_array_append_new(arr, o);
    }
    return arr;
}

static void control_request(struct sup *s, int c)
{
    char req[256];
    ssize_t n = recv(c, req, sizeof(req) - 1, MSG_DONTWAIT);
    if (n < 0 && errno == EAGAIN)
        return; /* not yet */
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c, NULL);
    if (n > 0) {
        req[n] = '\0';
        char *text = NULL;
        if (!strcmp(req, "status")) {
            json_t *st = status_json(s);
            text = st ? json_dumps(st, JSON_COMPACT) : NULL;
            json_decref(st);
        } else {
            text = strdup("error: unknown request (known: status)");
        }
        if (text && send(c, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
            say(s, LOG_WARN, "control socket: the answer to '%s' was not sent: %s", req, strerror(errno));
        free(text);
    }
    close(c);
}

static void load_secrets(struct sup *s)
{
    const char *path = s->p->conf->droplet.secrets;
    if (!path)
        return;
    struct envfile_result res = {0};
    envfile_read(&s->a, path, &s->secrets, &res);
    if (res.errnum)
        say(s, LOG_WARN, "secrets file %s: %s; ${VAR} references without a default will stop services from starting",
            path, strerror(res.errnum));
    else
        s->have_secrets = true;
}

int supervise(const struct plan *p, const struct rt_paths *paths, const struct logger *lg, int *end)
{
    *end = SIGTERM;
    struct sup s = {.p = p, .paths = paths, .lg = lg, .ep = -1, .sfd = -1, .tfd = -1, .ownlog = -1, .ctl = -1};
    s.ownns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    s.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    const struct droplet_conf *d = &p->conf->droplet;
    s.logdir = d->logging.dir ? d->logging.dir : paths->log_dir;
    s.max_size = d->logging.max_size;
    s.max_files = d->logging.max_files ? d->logging.max_files : 1;
    arena_init(&s.a);
    jmp_buf jb;
    if (ARENA_TRY(&s.a, jb)) {
        log_msg(lg, LOG_ERR, "out of memory");
        return 1;
    }
    char p1[PATH_MAX];
    snprintf(p1, sizeof(p1), "%s", s.logdir);
    for (char *q = p1 + 1; *q; q++)
        if (*q == '/') {
            *q = '\0';
            mkdir(p1, 0755);
            *q = '/';
        }
    if (mkdir(p1, 0750) < 0 && errno != EEXIST)
        log_msg(lg, LOG_WARN, "log directory %s: %s; service logs are not kept", s.logdir, strerror(errno));
    snprintf(p1, sizeof(p1), "%s/rtinit.log", s.logdir);
    s.ownlog = open(p1, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);

    if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        say(&s, LOG_WARN, "cannot become a child subreaper: %s", strerror(errno));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    s.v = calloc(p->n, sizeof(*s.v));
    if (!s.v || sigprocmask(SIG_BLOCK, &set, NULL) < 0 || (s.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
        (s.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
        (s.ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        say(&s, LOG_ERR, "setting up the event loop: %s", strerror(errno));
        return 1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(EV_SIGNAL, 0)};
    epoll_ctl(s.ep, EPOLL_CTL_ADD, s.sfd, &ev);
    ev.data.u64 = EV(EV_TIMER, 0);
    epoll_ctl(s.ep, EPOLL_CTL_ADD, s.tfd, &ev);
    for (size_t i = 0; i < p->n; i++) {
        struct svc *v = &s.v[i];
        v->ps = &p->svcs[i];
        v->name = v->ps->svc->name;
        v->phase = WAITING;
        v->backoff = v->ps->svc->restart_backoff_ms;
        if (v->ps->svc->restart_dependents && v->ps->svc->ndeps)
            v->dep_gen = arena_alloc(&s.a, v->ps->svc->ndeps * sizeof(unsigned));
        v->pipe = v->logfd = v->netns = -1;
        health_init(&v->h, NULL, NULL, 0);
        arena_init(&v->a);
    }
    load_secrets(&s);
    s.ctl = control_open(&s);
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
            struct svc *v = kind == EV_PIPE || kind == EV_PROBE ? &s.v[tag >> 3] : NULL;
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
                    } else if (si.ssi_signo == SIGHUP) {
                        say(&s, LOG_WARN, "SIGHUP: reloading conf.d comes in a later increment of issue 5; nothing changed");
                    }
                }
                reap(&s); /* SIGCHLD coalesces: never trust the count */
            } else if (kind == EV_TIMER) {
                uint64_t ticks;
                if (read(s.tfd, &ticks, sizeof(ticks)) < 0) {
                    /* spurious or already read: the step looks at the clock */
                }
            } else if (kind == EV_PIPE) {
                if (v->pipe >= 0)
                    drain(&s, v);
            } else if (kind == EV_PROBE) {
                on_probe_fd(&s, v);
            } else if (kind == EV_CONTROL) {
                control_accept(&s);
            } else {
                control_request(&s, (int)(tag >> 3));
            }
        }
    }
    say(&s, LOG_INFO, "every service is stopped");
    for (size_t i = 0; i < p->n; i++) {
        if (s.v[i].pipe >= 0) /* the last lines: every writer is gone, so this ends */
            drain(&s, &s.v[i]);
        close_pipe(&s, &s.v[i]);
        if (s.v[i].logfd >= 0)
            close(s.v[i].logfd);
        arena_free(&s.v[i].a);
    }
    free(s.v);
    close(s.ep);
    close(s.sfd);
    close(s.tfd);
    if (s.ownlog >= 0)
        close(s.ownlog);
    if (s.ctl >= 0) {
        close(s.ctl);
        unlink(paths->socket);
    }
    if (s.ownns >= 0)
        close(s.ownns);
    if (s.devnull >= 0)
        close(s.devnull);
    arena_free(&s.a);
    return 0;
}
