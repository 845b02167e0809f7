/* health.c - health checks. See health.h. */
#include "health.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../config/value.h"

static struct health_rule rule_of(const struct healthcheck *hc)
{
    return (struct health_rule){.retries = hc->retries,
                                .start_period_ms = hc->start_period_ms,
                                .interval_ms = hc->interval_ms,
                                .start_interval_ms = hc->start_interval_ms};
}

/* Everything but the results, which outlive a restart (they say why the
 * last run was stopped as unhealthy). */
void health_init(struct health *h, const struct healthcheck *hc, char *const *exec_argv, uint64_t now)
{
    memset(h, 0, offsetof(struct health, hist));
    h->hc = hc;
    h->exec_argv = exec_argv;
    h->state = hc ? HEALTH_STARTING : HEALTH_NONE;
    h->since = now;
    if (hc) {
        struct health_rule rule = rule_of(hc);
        h->next = health_next_ms(&rule, h->state, now, now);
    } else {
        h->next = UINT64_MAX;
    }
    h->fd = -1;
    h->outfd = -1;
    h->exec.pid = -1;
    h->exec.pidfd = -1;
    h->exec.lockfd = -1;
    h->exec.sync = -1;
    h->exec.cg.fd = -1;
    snprintf(h->last, sizeof(h->last), "no check yet");
}

static void close_output(struct health *h)
{
    if (h->outfd >= 0)
        close(h->outfd);
    h->outfd = -1;
}

bool health_on_output(struct health *h)
{
    char scrap[4096];
    for (int reads = 0; h->outfd >= 0 && reads < 16; reads++) {
        /* what fits is kept; the rest is read and dropped, so that a
         * chatty check never blocks on a full pipe */
        bool room = h->outlen < sizeof(h->out);
        ssize_t n = room ? read(h->outfd, h->out + h->outlen, sizeof(h->out) - h->outlen)
                         : read(h->outfd, scrap, sizeof(scrap));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n <= 0) {
            close_output(h);
            return false;
        }
        if (room)
            h->outlen += (uint16_t)n;
    }
    return h->outfd >= 0;
}

int health_outfd(const struct health *h)
{
    return h->outfd;
}

const struct health_result *health_latest(const struct health *h)
{
    return h->nhist ? &h->hist[(h->nhist - 1) % HEALTH_KEEP] : NULL;
}

static int64_t wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A probe's outcome: kept, and the state it leads to (decide.c). */
static enum health_event finish(struct health *h, bool ok, const char *why, uint64_t now)
{
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    if (h->outfd >= 0) /* the check has ended: what it wrote is in the pipe */
        health_on_output(h);
    close_output(h);
    h->busy = false;
    snprintf(h->last, sizeof(h->last), "%s", why);
    struct health_result *r = &h->hist[h->nhist++ % HEALTH_KEEP];
    r->at = h->began_wall;
    r->took_ms = now > h->began ? (uint32_t)(now - h->began) : 0;
    r->code = h->code;
    r->ok = ok;
    snprintf(r->summary, sizeof(r->summary), "%s", why);
    r->outlen = h->outlen;
    memcpy(r->out, h->out, h->outlen);
    struct health_rule rule = rule_of(h->hc);
    enum health_event ev = health_verdict(&rule, &h->state, &h->fails, h->since, now, ok);
    /* after the verdict: a service just found healthy goes to interval */
    h->next = health_next_ms(&rule, h->state, h->since, now);
    return ev;
}

/* A socket in the container's network namespace. */
static int socket_in(const struct health_target *t, char *why, size_t len)
{
    if (t->netns >= 0 && setns(t->netns, CLONE_NEWNET) < 0) {
        snprintf(why, len, "cannot enter the network namespace: %s", strerror(errno));
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int e = errno;
    if (t->netns >= 0 && setns(t->ownns, CLONE_NEWNET) < 0) {
        /* Cannot happen (our own namespace is always there); if it does,
         * say so loudly rather than work from the wrong one. */
        fprintf(stderr, "rtinit: error: returning to its own network namespace: %s\n", strerror(errno));
    }
    if (fd < 0)
        snprintf(why, len, "socket: %s", strerror(e));
    return fd;
}

static enum health_event connected(struct health *h, uint64_t now);

int health_start(struct health *h, const struct health_target *t, uint64_t now, enum health_event *ev)
{
    *ev = HE_NONE;
    h->busy = true;
    h->deadline = now + h->hc->timeout_ms;
    h->sent = false;
    h->blen = 0;
    h->began = now;
    h->began_wall = wall_ms();
    h->code = -1;
    h->outlen = 0;
    char why[160];
    if (h->hc->kind == HC_EXEC) {
        /* Never waited for here: the process entering the container
         * reports over h->fd, which the loop watches, and the check's
         * timeout ends it like any slow probe. Its output comes back
         * through a pipe the loop reads too (health_on_output). */
        struct rt_err err;
        int out[2];
        if (pipe2(out, O_CLOEXEC | O_NONBLOCK) < 0) {
            snprintf(why, sizeof(why), "a pipe for its output: %s", strerror(errno));
            *ev = finish(h, false, why, now);
            return -1;
        }
        /* the write end must block in the check: a program that gets
         * EAGAIN on stdout may fail for that alone */
        int fl = fcntl(out[1], F_GETFL);
        if (fl < 0 || fcntl(out[1], F_SETFL, fl & ~O_NONBLOCK) < 0) {
            snprintf(why, sizeof(why), "its output pipe: %s", strerror(errno));
            close(out[0]);
            close(out[1]);
            *ev = finish(h, false, why, now);
            return -1;
        }
        int stdio[3] = {t->devnull, out[1], out[1]};
        h->outfd = out[0];
        int r = t->host ? ctr_host_exec_spawn(t->host, t->main, h->exec_argv, stdio, &h->exec, &h->fd, &err)
                        : ctr_exec_spawn(t->state_dir, t->run_dir, t->name, NULL, h->exec_argv, stdio, &h->exec,
                                         &h->fd, &err);
        close(out[1]);
        if (r < 0) {
            *ev = finish(h, false, err.msg, now);
            return -1;
        }
        h->sent = true; /* watched for EPOLLIN only */
        return h->fd;
    }
    int fd = socket_in(t, why, sizeof(why));
    if (fd < 0) {
        *ev = finish(h, false, why, now);
        return -1;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(h->hc->port), .sin_addr.s_addr = htonl(h->hc->addr)};
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
        snprintf(why, sizeof(why), "connecting to port %u: %s", h->hc->port, strerror(errno));
        close(fd);
        *ev = finish(h, false, why, now);
        return -1;
    }
    h->fd = fd;
    /* To a loopback address the handshake is usually over when connect
     * returns: then the request goes now, and the loop waits only for the
     * answer (one wake-up per check instead of two). */
    struct sockaddr_in peer;
    socklen_t pl = sizeof(peer);
    if (getpeername(fd, (struct sockaddr *)&peer, &pl) == 0)
        *ev = connected(h, now);
    return h->fd;
}

/* The connection is up: a tcp check is done; an http check sends its
 * request. */
static enum health_event connected(struct health *h, uint64_t now)
{
    char why[160];
    if (h->hc->kind == HC_TCP) {
        snprintf(why, sizeof(why), "port %u accepts connections", h->hc->port);
        return finish(h, true, why, now);
    }
    char req[1024];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.0\r\nHost: %s:%u\r\nUser-Agent: rtinit-healthcheck\r\nConnection: close\r\n\r\n",
                     h->hc->path ? h->hc->path : "/", h->hc->host ? h->hc->host : "localhost", h->hc->port);
    /* a short request on a fresh connection fits the socket buffer */
    if (n < 0 || (size_t)n >= sizeof(req) || send(h->fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        snprintf(why, sizeof(why), "sending the request: %s", strerror(errno));
        return finish(h, false, why, now);
    }
    h->sent = true;
    return HE_NONE;
}

/* The process entering the container for an exec probe has news. */
static enum health_event exec_on_fd(struct health *h, uint64_t now)
{
    struct rt_err err;
    int r = h->exec.host ? ctr_host_exec_spawned(&h->exec, h->fd, &err) : ctr_exec_spawned(&h->exec, h->fd, &err);
    if (r == 1)
        return HE_NONE;
    close(h->fd); /* out of the loop's epoll set with it */
    h->fd = -1;
    if (r == 0)
        return HE_NONE; /* it runs: its exit decides */
    /* it ends by itself; the loop reaps it as an orphan of ours */
    h->exec.pid = -1;
    ctr_release(&h->exec, false);
    return finish(h, false, err.msg, now);
}

enum health_event health_on_fd(struct health *h, uint64_t now)
{
    char why[160];
    if (h->hc->kind == HC_EXEC)
        return exec_on_fd(h, now);
    if (!h->sent) {
        int e = 0;
        socklen_t l = sizeof(e);
        if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
            e = errno;
        if (e == EINPROGRESS || e == EALREADY)
            return HE_NONE;
        if (e) {
            snprintf(why, sizeof(why), "connecting to port %u: %s", h->hc->port, strerror(e));
            return finish(h, false, why, now);
        }
        return connected(h, now);
    }
    ssize_t n = recv(h->fd, h->buf + h->blen, sizeof(h->buf) - 1 - h->blen, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return HE_NONE;
    if (n > 0)
        h->blen += (size_t)n;
    h->buf[h->blen] = '\0';
    /* the status line is all we need: "HTTP/1.1 200 OK" */
    char *sp = strchr(h->buf, ' ');
    if (sp && strlen(sp) >= 4) {
        int code = atoi(sp + 1);
        snprintf(why, sizeof(why), "HTTP %d", code);
        h->code = code;
        size_t line = strcspn(h->buf, "\r\n");
        h->outlen = (uint16_t)(line < sizeof(h->out) ? line : sizeof(h->out));
        memcpy(h->out, h->buf, h->outlen);
        return finish(h, code >= 200 && code <= 399, why, now);
    }
    if (n <= 0 || h->blen == sizeof(h->buf) - 1)
        return finish(h, false, n < 0 ? strerror(errno) : "no HTTP status line in the answer", now);
    return HE_NONE;
}

enum health_event health_on_exit(struct health *h, int status, uint64_t now)
{
    h->exec.pid = -1;
    ctr_release(&h->exec, false);
    char why[64], sig[32];
    if (WIFEXITED(status))
        snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(status));
    else
        snprintf(why, sizeof(why), "killed by %s", signal_name(WTERMSIG(status), sig, sizeof(sig)));
    h->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return finish(h, WIFEXITED(status) && WEXITSTATUS(status) == 0, why, now);
}

/* End a running exec probe. On the host, its process group too: what
 * the check started (a pipeline of sh -c) would otherwise run on in the
 * service's cgroup. The probe is not reaped yet, so its pid, which
 * names the group (setsid), cannot be anyone else's. */
static void kill_exec(struct health *h)
{
    if (h->exec.host)
        kill(-h->exec.pid, SIGKILL);
    ctr_signal(&h->exec, SIGKILL);
    h->exec.pid = -1;
    ctr_release(&h->exec, false);
}

enum health_event health_on_timeout(struct health *h, uint64_t now)
{
    char why[64], d[32];
    format_duration_buf(d, sizeof(d), h->hc->timeout_ms);
    snprintf(why, sizeof(why), "no answer within %s", d);
    if (h->hc->kind == HC_EXEC && h->exec.pid > 0) {
        /* reaped later as an orphan of ours; forget it here. SIGKILL to
         * the process outside the container takes the one inside with
         * it (its parent-death signal). */
        kill_exec(h);
    }
    return finish(h, false, why, now);
}

void health_cancel(struct health *h)
{
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    close_output(h);
    if (h->exec.pid > 0)
        kill_exec(h);
    h->busy = false;
    h->next = UINT64_MAX;
}

uint64_t health_wakeup(const struct health *h)
{
    if (!h->hc)
        return UINT64_MAX;
    return h->busy ? h->deadline : h->next;
}
