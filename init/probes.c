/* probes.c - the health checks of running services, driven by the loop.
 *
 * health.c runs one probe and says what it found; this file starts the
 * due ones, watches their sockets and output in the epoll set, ends the
 * slow ones, and hands each verdict to lifecycle.c (lc_health). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "sup.h"
#include "svcspec.h"

/* A probe due within this much of a wake-up runs in it: services with
 * the same interval fall into step and share one wake-up. */
#define PROBE_SLACK_MS 10

/* The checks begin with the service; their ${VAR} come from the secrets
 * as the command's do (only words written in conf.d). The check is
 * copied into the start's arena: a reload may free the conf it came from
 * while the service runs on. */
void probes_begin(struct sup *s, struct svc *v, const struct ctr_spec *spec)
{
    const struct healthcheck *from = v->ps->hc;
    struct healthcheck *volatile hc = NULL; /* volatile: set after ARENA_TRY */
    char **volatile argv = NULL;
    const char *why = NULL;
    jmp_buf jb;
    if (ARENA_TRY(&v->a, jb)) { /* armed here, for this function's allocations only */
        v->a.oom = NULL;
        say(s, LOG_ERR, "%s: out of memory preparing its checks; they cannot run", v->name);
        health_init(&v->h, NULL, NULL, now_ms());
        return;
    }
    if (from) {
        hc = arena_alloc(&v->a, sizeof(*hc));
        *hc = *from;
        hc->url = from->url ? arena_strdup(&v->a, from->url) : NULL;
        hc->host = from->host ? arena_strdup(&v->a, from->host) : NULL;
        hc->path = from->path ? arena_strdup(&v->a, from->path) : NULL;
        hc->exec = (struct argv){0};
    }
    v->hspec = NULL;
    if (hc && hc->kind == HC_EXEC && spec->host) {
        /* what the check runs as, in the start's arena: a reload may
         * free the conf the spec points into while the service runs on */
        struct ctr_spec *h = arena_alloc(&v->a, sizeof(*h));
        *h = *spec;
        h->name = arena_strdup(&v->a, v->name);
        h->user = spec->user ? arena_strdup(&v->a, spec->user) : NULL;
        h->cwd = arena_strdup(&v->a, spec->cwd ? spec->cwd : "/");
        struct ulimit *rl = arena_alloc(&v->a, (spec->nrlimits + 1) * sizeof(*rl));
        memcpy(rl, spec->rlimits ? spec->rlimits : rl, spec->nrlimits * sizeof(*rl));
        h->rlimits = rl;
        h->argv = NULL;
        h->stdio[0] = h->stdio[1] = h->stdio[2] = -1;
        v->hspec = h; /* env and the rest were built into v->a already */
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
    v->a.oom = NULL;
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

void probes_end(struct sup *s, struct svc *v)
{
    /* Out of the set explicitly: a close alone leaves the registration
     * while a forked process (a check entering the container, before it
     * closes what it inherited) still holds the same file. */
    if (v->h.fd >= 0)
        sup_unwatch(s, v->h.fd);
    if (v->h.outfd >= 0)
        sup_unwatch(s, v->h.outfd);
    health_cancel(&v->h);
    v->h.hc = NULL;
    v->hspec = NULL; /* in the start's arena, with the checks */
    if (v->netns >= 0)
        close(v->netns);
    v->netns = -1;
}

/* The probe's fds into the epoll set. One that cannot be watched would
 * never end but by its timeout: it fails now instead, saying why. */
static void watch_probe(struct sup *s, struct svc *v, int fd, size_t i)
{
    uint32_t events = v->h.sent ? EPOLLIN : EPOLLIN | EPOLLOUT;
    if (fd >= 0 && sup_watch(s, fd, events, EV(EV_PROBE, i)) < 0) {
        say(s, LOG_ERR, "%s: watching its check: %s", v->name, strerror(errno));
        lc_health(s, v, health_on_timeout(&v->h, now_ms()));
        return;
    }
    int out = health_outfd(&v->h);
    if (out >= 0 && sup_watch(s, out, EPOLLIN, EV(EV_PROBEOUT, i)) < 0) {
        /* its output is not kept; the check itself goes on */
        say(s, LOG_WARN, "%s: watching its check's output: %s", v->name, strerror(errno));
        close(v->h.outfd);
        v->h.outfd = -1;
    }
}

void probes_run(struct sup *s)
{
    uint64_t now = now_ms();
    for (size_t i = 0; i < s->n; i++) {
        struct svc *v = &s->v[i];
        if (v->phase != RUNNING || !v->h.hc)
            continue;
        if (v->h.busy && now >= v->h.deadline) {
            lc_health(s, v, health_on_timeout(&v->h, now));
        } else if (!v->h.busy && now + PROBE_SLACK_MS >= v->h.next) {
            struct health_target t = {.netns = v->netns,
                                      .ownns = s->ownns,
                                      .devnull = s->devnull,
                                      .state_dir = s->paths->state_dir,
                                      .run_dir = s->paths->run_dir,
                                      .name = v->name,
                                      .host = v->hspec,
                                      .main = &v->c};
            enum health_event ev;
            v->checks++;
            int fd = health_start(&v->h, &t, now, &ev);
            if (v->h.busy)
                watch_probe(s, v, fd, i);
            lc_health(s, v, ev);
        }
    }
}

void probes_on_fd(struct sup *s, struct svc *v)
{
    if (v->h.fd < 0)
        return;
    int fd = v->h.fd;
    bool was_sent = v->h.sent;
    /* When the probe ends, health closes the socket, which takes it out
     * of the epoll set: no EPOLL_CTL_DEL (a syscall per check) needed. */
    enum health_event ev = health_on_fd(&v->h, now_ms());
    if (v->h.fd >= 0 && v->h.sent && !was_sent && sup_rewatch(s, fd, EPOLLIN, EV(EV_PROBE, v - s->v)) < 0) {
        say(s, LOG_ERR, "%s: watching its check: %s", v->name, strerror(errno));
        ev = health_on_timeout(&v->h, now_ms());
    }
    lc_health(s, v, ev);
}

void probes_on_output(struct sup *s, struct svc *v)
{
    (void)s;
    health_on_output(&v->h); /* at its end the fd is closed, and out of the set */
}
