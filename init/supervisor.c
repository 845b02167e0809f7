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
#include <sys/resource.h>
#include <sys/epoll.h>
#include <poll.h>
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
#include "../config/value.h"
#include "observe.h"
#include "sup.h"
#include "svcspec.h"

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

int sup_watch(struct sup *s, int fd, uint32_t events, uint64_t tag)
{
    struct epoll_event ev = {.events = events, .data.u64 = tag};
    return epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
}

int sup_rewatch(struct sup *s, int fd, uint32_t events, uint64_t tag)
{
    struct epoll_event ev = {.events = events, .data.u64 = tag};
    return epoll_ctl(s->ep, EPOLL_CTL_MOD, fd, &ev);
}

void sup_unwatch(struct sup *s, int fd)
{
    /* Only ENOENT (not watched) or EBADF can come back, and either way
     * the fd is not in the set: nothing to do about it. */
    if (epoll_ctl(s->ep, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != ENOENT && errno != EBADF)
        say(s, LOG_WARN, "epoll_ctl(DEL, %d): %s", fd, strerror(errno));
}

static void close_pipe(struct sup *s, struct svc *v)
{
    if (v->pipe < 0)
        return;
    if (v->blen)
        log_line(s, v, v->buf, v->blen);
    v->blen = 0;
    sup_unwatch(s, v->pipe);
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

int sup_take_pipe(struct sup *s, struct svc *v, int fd)
{
    if (v->pipe >= 0) /* the previous run's: what is left in it, then close */
        drain(s, v, 64);
    close_pipe(s, v);
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0 || sup_watch(s, fd, EPOLLIN, EV(EV_PIPE, v - s->v)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    v->pipe = fd;
    return 0;
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
    /* Its pipe is full: wait for it to drain. Should the kernel refuse
     * to watch it, the queues are offered again at the next turn. */
    if (r == 0 && sup_watch(s, s->lw.fd, EPOLLOUT, EV(EV_LOGW, 0)) < 0)
        s->lw.full = false;
}

static void on_logw_writable(struct sup *s)
{
    sup_unwatch(s, s->lw.fd);
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
        sup_unwatch(s, s->lw.fd);
        close(s->lw.fd);
    }
    s->lw.fd = -1;
    s->lw.pid = -1;
    s->lw_restart = now_ms() + LOGW_RESTART_MS;
    say(s, LOG_ERR, "the log writer %s; starting another in %d ms", what, LOGW_RESTART_MS);
}

static void arm_timer(struct sup *s)
{
    uint64_t next = control_wakeup(s);
    if (s->lw_restart && s->lw_restart < next)
        next = s->lw_restart;
    if (metrics_wakeup(s) < next)
        next = metrics_wakeup(s);
    for (size_t i = 0; i < s->n; i++) {
        const struct svc *v = &s->v[i];
        if (lc_wakeup(s, v) < next)
            next = lc_wakeup(s, v);
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
    /* Cannot fail with these arguments; if it did, no deadline would
     * wake the loop: then it wakes every 100 ms, and says so once. */
    if (timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &it, NULL) < 0) {
        if (!s->timer_broken)
            say(s, LOG_ERR, "timerfd_settime: %s; waking every 100 ms instead", strerror(errno));
        s->timer_broken = true;
        s->armed_ok = false;
    }
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
        if (held_reaped(s, pid, status))
            continue;
        for (size_t i = 0; i < s->n; i++) {
            struct svc *v = &s->v[i];
            if (v->has_ctr && v->c.pid == pid) {
                lc_exited(s, v, status);
                break;
            }
            if (v->h.busy && v->h.exec.pid == pid) {
                lc_health(s, v, health_on_exit(&v->h, status, now_ms()));
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
    probes_end(s, v);
    close_pipe(s, v);
    arena_free(&v->a);
    logq_free(&v->q);
    free(v->dep_gen);
    v->dep_gen = NULL;
}

/* MOD of an fd that is in the set: it cannot fail but for a bug; if it
 * does, the fd is still watched under its old index, which is said. */
static void retag(struct sup *s, struct svc *v, int fd, uint32_t events, uint64_t tag)
{
    if (sup_rewatch(s, fd, events, tag) < 0)
        say(s, LOG_ERR, "%s: epoll_ctl(MOD): %s; its events may go astray", v->name, strerror(errno));
}

int sup_reindex(struct sup *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct svc *v = &s->v[i];
        if (v->pipe >= 0)
            retag(s, v, v->pipe, EPOLLIN, EV(EV_PIPE, i));
        if (v->h.fd >= 0)
            retag(s, v, v->h.fd, v->h.sent ? EPOLLIN : EPOLLIN | EPOLLOUT, EV(EV_PROBE, i));
        if (v->h.outfd >= 0)
            retag(s, v, v->h.outfd, EPOLLIN, EV(EV_PROBEOUT, i));
        if (v->has_ctr && v->c.sync >= 0 && v->phase == STARTING)
            retag(s, v, v->c.sync, EPOLLIN, EV(EV_SYNC, i));
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

void sup_shutdown(struct sup *s, int sig, const char *by)
{
    if (s->shutdown)
        return;
    say(s, LOG_INFO, "stopping every service (%s)", by);
    s->end = sig;
    s->shutdown = true;
}

/* The soft limit of open files up to the hard one: rtinit holds a few
 * fds per service (logs, pidfds, health checks) and its clients', and
 * the kernel gives PID 1 a soft limit of 1024. Out of fds anyway, the
 * listeners pause (control.c, metrics_http.c). What rtinit started with
 * is kept in s->nofile for the services whose ulimits set none
 * (svcspec.c), as systemd raises its own and gives services 1024. */
static void raise_nofile(struct sup *s)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
        say(s, LOG_WARN, "getrlimit(RLIMIT_NOFILE): %s; the limit of open files is left as it is", strerror(errno));
        return;
    }
    s->nofile = (struct ulimit){.resource = RLIMIT_NOFILE,
                                .soft = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur,
                                .hard = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_max};
    s->have_nofile = true;
    if (rl.rlim_cur >= rl.rlim_max)
        return;
    unsigned long long was = (unsigned long long)rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        say(s, LOG_WARN, "setrlimit(RLIMIT_NOFILE, %llu): %s; rtinit may open only %llu files",
            (unsigned long long)rl.rlim_max, strerror(errno), was);
}

int supervise(const struct plan *p, const struct skipped_svc *skipped, size_t nskipped, const struct rt_paths *paths,
              const struct logger *lg, int *end)
{
    *end = SIGTERM;
    struct sup s = {.p = p, .paths = paths, .lg = lg, .ep = -1, .sfd = -1, .tfd = -1, .ctl = -1, .end = SIGTERM};
    s.pid1 = getpid() == 1;
    raise_nofile(&s);
    s.skipped = skipped; /* the caller's; a reload that succeeds forgets them */
    s.nskipped = nskipped;
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
    if (!s.pid1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
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
    if (sup_watch(&s, s.sfd, EPOLLIN, EV(EV_SIGNAL, 0)) < 0 || sup_watch(&s, s.tfd, EPOLLIN, EV(EV_TIMER, 0)) < 0) {
        log_msg(lg, LOG_ERR, "setting up the event loop: epoll_ctl: %s", strerror(errno));
        return 1;
    }
    start_logw(&s);
    s.have_secrets = sup_load_secrets(&s, p->conf, &s.sa, &s.secrets);
    bridge_open(&s);
    s.ctl = control_open(&s);
    metrics_init(&s);
    held_load(&s);
    confd_remember(&s);
    say(&s, LOG_INFO, "supervising %zu service%s from %s", p->n, p->n == 1 ? "" : "s", p->conf->dir);

    bool done = false;
    while (!done) {
        lc_overdue(&s);
        metrics_step(&s);
        control_overdue(&s);
        if (s.shutdown) {
            done = lc_shutdown_step(&s);
        } else {
            probes_run(&s);
            lc_step(&s);
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
        metrics_idle(&s);
        int n = epoll_wait(s.ep, evs, 16, s.timer_broken ? 100 : -1);
        metrics_woke(&s);
        if (n < 0 && errno != EINTR) {
            /* Cannot happen with a valid set; if it does, the loop must
             * not spin on it: it polls the signals (reaping, shutdown)
             * every 100 ms, and the deadlines are read off the clock. */
            if (s.epoll_errors++ % 600 == 0)
                say(&s, LOG_ERR, "epoll_wait: %s; polling every 100 ms", strerror(errno));
            struct pollfd pf = {.fd = s.sfd, .events = POLLIN};
            if (poll(&pf, 1, 100) < 0 && errno != EINTR)
                pf.revents = POLLIN; /* read the signalfd anyway: it is non-blocking */
            n = 1;
            evs[0].data.u64 = EV(EV_SIGNAL, 0);
        }
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64;
            unsigned kind = EV_KIND(tag);
            struct svc *v = (kind == EV_PIPE || kind == EV_PROBE || kind == EV_SYNC || kind == EV_PROBEOUT) &&
                                    EV_INDEX(tag) < s.n
                                ? &s.v[EV_INDEX(tag)]
                                : NULL;
            if (kind == EV_SIGNAL) {
                struct signalfd_siginfo si;
                while (read(s.sfd, &si, sizeof(si)) == sizeof(si)) {
                    if (si.ssi_signo == SIGCHLD)
                        reap(&s);
                    else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT || si.ssi_signo == SIGUSR1 ||
                             si.ssi_signo == SIGUSR2) {
                        char sn[32];
                        sup_shutdown(&s, (int)si.ssi_signo, signal_name((int)si.ssi_signo, sn, sizeof(sn)));
                    } else if (si.ssi_signo == SIGHUP && !s.shutdown) {
                        char *msg = NULL;
                        say(&s, LOG_INFO, "SIGHUP: reloading %s", s.p->conf->dir);
                        sup_reload(&s, &msg);
                        free(msg);
                    }
                }
                reap(&s); /* SIGCHLD coalesces: never trust the count */
            } else if (kind == EV_TIMER) {
                metrics_timer(&s, s.armed);
                s.armed_ok = false; /* it fired: the next deadline must be set again */
                uint64_t ticks;
                if (read(s.tfd, &ticks, sizeof(ticks)) < 0) {
                    /* spurious or already read: the step looks at the clock */
                }
            } else if (kind == EV_PIPE && v) {
                if (v->pipe >= 0)
                    drain(&s, v, 4);
            } else if (kind == EV_PROBE && v) {
                probes_on_fd(&s, v);
            } else if (kind == EV_PROBEOUT && v) {
                probes_on_output(&s, v);
            } else if (kind == EV_CONTROL) {
                control_accept(&s);
            } else if (kind == EV_CLIENT) {
                control_request(&s, (int)EV_INDEX(tag));
            } else if (kind == EV_METRICS) {
                metrics_accept(&s);
            } else if (kind == EV_MCLIENT) {
                metrics_client(&s, (int)EV_INDEX(tag), evs[i].events);
            } else if (kind == EV_LOGW) {
                on_logw_writable(&s);
            } else if (kind == EV_SYNC && v) {
                lc_on_sync(&s, v);
            }
        }
    }
    say(&s, LOG_INFO, "every service is stopped");
    *end = s.end;
    /* A host service's cgroup outlives its process: what kill_mode =
     * process kept there (sshd's sessions), or what a stop killed and
     * that had not quite gone. rtinit leaves none behind. */
    for (size_t i = 0; i < s.n; i++) {
        struct svc *v = &s.v[i];
        if (v->c.host && v->c.cg.path[0] && cg_kill_remove(v->c.cg.path, 2000) < 0)
            say(&s, LOG_WARN, "%s: its cgroup %s: %s", v->name, v->c.cg.path,
                errno == EBUSY ? "its processes did not end within 2 s" : strerror(errno));
    }
    for (size_t i = 0; i < s.n; i++) {
        struct svc *v = &s.v[i];
        if (v->pipe >= 0) /* the last lines */
            drain(&s, v, 1024);
        close_pipe(&s, v);
    }
    held_finish(&s);
    control_close(&s);
    metrics_free(&s);
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
