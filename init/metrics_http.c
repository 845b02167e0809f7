/* metrics_http.c - rtinit's Prometheus endpoint ([metrics] listen in
 * droplet.conf; off by default), served from the loop of PID 1 without
 * ever waiting on a client:
 *
 * - the listening socket and every client are non-blocking and in the
 *   loop's epoll set;
 * - at most METRICS_CLIENTS clients at once. A client has
 *   METRICS_HEAD_MS from its accept to send its request's head; when
 *   every slot is taken, a new connection evicts the oldest client still
 *   sending its head (rtinit_metrics_evicted_total), so idle connections
 *   never shut a scraper out; only when every slot is being answered is
 *   the new one closed at once with a 503 (rtinit_metrics_refused_total),
 *   so a flood costs an accept and a close;
 * - a request's head is read into a fixed METRICS_REQ buffer (longer: 431);
 * - the text is rendered at most once per METRICS_CACHE_MS and the same
 *   text served to every scrape meanwhile: a client scraping in a loop
 *   costs rtinit a copy, not every service's cgroup files and an
 *   rtnetlink dump each time;
 * - the answer is built once, whole, then written as the socket takes
 *   it; a client gets METRICS_CLIENT_MS from its accept to be done, then
 *   is closed wherever it is: a scraper that stops reading holds a slot
 *   for 5 s at most, never the loop;
 * - out of fds (accept's EMFILE, ENFILE), the listener is left out of the
 *   epoll set for METRICS_EMFILE_PAUSE_MS, as control.c does, or its
 *   pending connection would wake the level-triggered loop without end.
 *
 * HTTP/1.0 and 1.1, GET and HEAD of /metrics; each answer closes its
 * connection (Prometheus opens another for the next scrape). See
 * observe.h; docs/observe.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../config/value.h"
#include "observe.h"
#include "sup.h"

int metrics_init(struct sup *s)
{
    struct metrics *m = calloc(1, sizeof(*m));
    if (!m) {
        say(s, LOG_WARN, "metrics: out of memory; no metrics endpoint");
        return -1;
    }
    m->fd = -1;
    for (size_t i = 0; i < METRICS_CLIENTS; i++)
        m->c[i].fd = -1;
    loop_hist_init(&m->busy);
    loop_hist_init(&m->late);
    s->metrics = m;
    return 0;
}

static void drop(struct sup *s, struct metrics_client *c)
{
    if (c->fd < 0)
        return;
    sup_unwatch(s, c->fd);
    close(c->fd);
    free(c->resp);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

static void stop_listening(struct sup *s, struct metrics *m)
{
    if (m->fd < 0)
        return;
    if (!m->resume_at) /* paused: out of the epoll set already */
        sup_unwatch(s, m->fd);
    m->resume_at = 0;
    close(m->fd);
    m->fd = -1;
}

void metrics_free(struct sup *s)
{
    struct metrics *m = s->metrics;
    if (!m)
        return;
    for (size_t i = 0; i < METRICS_CLIENTS; i++)
        drop(s, &m->c[i]);
    stop_listening(s, m);
    free(m->cache);
    free(m);
    s->metrics = NULL;
}

static void start_listening(struct sup *s, struct metrics *m, uint32_t addr, uint16_t port)
{
    char ip[16], why[200];
    format_ipv4(addr, ip, sizeof(ip));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(addr)};
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    /* IP_FREEBIND: an address that is not there yet (the uplink's, at
     * boot) is bound now and answers once it is */
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
        sup_watch(s, fd, EPOLLIN, EV(EV_METRICS, 0)) < 0) {
        snprintf(why, sizeof(why), "%s:%u: %s", ip, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        /* said once for this address, not at every turn */
        if (strcmp(why, m->err))
            say(s, LOG_WARN, "metrics: cannot listen on %s; no metrics endpoint (fix [metrics] listen, then rtctl "
                             "reload)", why);
        snprintf(m->err, sizeof(m->err), "%s", why);
        return;
    }
    m->err[0] = '\0';
    m->fd = fd;
    say(s, LOG_INFO, "metrics: http://%s:%u/metrics", ip, port);
}

void metrics_step(struct sup *s)
{
    struct metrics *m = s->metrics;
    if (!m)
        return;
    uint32_t addr = s->p->conf->droplet.metrics.addr;
    uint16_t port = s->p->conf->droplet.metrics.port;
    if (addr != m->listen_addr || port != m->listen_port) {
        /* off, or moved by a reload: the old socket goes first */
        if (m->fd >= 0)
            say(s, LOG_INFO, "metrics: %s", port ? "moving" : "no longer served");
        stop_listening(s, m);
        m->err[0] = '\0';
        m->listen_addr = addr;
        m->listen_port = port;
        if (port)
            start_listening(s, m, addr, port);
    }
    uint64_t now = now_ms();
    for (size_t i = 0; i < METRICS_CLIENTS; i++)
        if (m->c[i].fd >= 0 && now >= m->c[i].deadline)
            drop(s, &m->c[i]);
    if (m->resume_at && now >= m->resume_at && m->fd >= 0) {
        m->resume_at = 0;
        if (sup_watch(s, m->fd, EPOLLIN, EV(EV_METRICS, 0)) < 0) {
            say(s, LOG_WARN, "metrics: epoll_ctl: %s; no metrics endpoint until a reload moves it", strerror(errno));
            close(m->fd);
            m->fd = -1;
        }
    }
    /* a text nobody will be served again: its memory back */
    if (m->cache && now - m->cache_at >= METRICS_CACHE_MS) {
        free(m->cache);
        m->cache = NULL;
    }
}

uint64_t metrics_wakeup(const struct sup *s)
{
    const struct metrics *m = s->metrics;
    uint64_t next = m && m->resume_at ? m->resume_at : UINT64_MAX;
    for (size_t i = 0; m && i < METRICS_CLIENTS; i++)
        if (m->c[i].fd >= 0 && m->c[i].deadline < next)
            next = m->c[i].deadline;
    return next;
}

void metrics_accept(struct sup *s)
{
    struct metrics *m = s->metrics;
    if (!m || m->fd < 0)
        return;
    /* a bounded number per turn: the rest wait in the backlog */
    for (int k = 0; k < 16; k++) {
        int fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                uint64_t now = now_ms();
                if (!m->emfile_said || now - m->emfile_said >= 10000) {
                    say(s, LOG_WARN, "metrics: accept: %s; not accepting for %d ms", strerror(errno),
                        METRICS_EMFILE_PAUSE_MS);
                    m->emfile_said = now;
                }
                sup_unwatch(s, m->fd);
                m->resume_at = now + METRICS_EMFILE_PAUSE_MS;
            }
            return;
        }
        size_t i = 0;
        while (i < METRICS_CLIENTS && m->c[i].fd >= 0)
            i++;
        if (i == METRICS_CLIENTS) {
            /* the oldest still sending its head makes room: a scraper
             * sends at once, an idle connection is what it looks like */
            size_t old = METRICS_CLIENTS;
            for (size_t j = 0; j < METRICS_CLIENTS; j++)
                if (!m->c[j].resp && (old == METRICS_CLIENTS || m->c[j].accepted < m->c[old].accepted))
                    old = j;
            if (old < METRICS_CLIENTS) {
                drop(s, &m->c[old]);
                m->evicted++;
                i = old;
            }
        }
        if (i == METRICS_CLIENTS) {
            static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
                                       "Content-Length: 0\r\n\r\n";
            if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
                /* it goes anyway */
            }
            close(fd);
            m->refused++;
            continue;
        }
        struct metrics_client *c = &m->c[i];
        memset(c, 0, sizeof(*c));
        c->fd = fd;
        c->accepted = now_ms();
        c->deadline = c->accepted + METRICS_HEAD_MS;
        if (sup_watch(s, fd, EPOLLIN, EV(EV_MCLIENT, i)) < 0) {
            close(fd);
            c->fd = -1;
        }
    }
}

/* The answer, whole: status line, headers, and for GET the body. */
static void answer(struct metrics_client *c, int code, const char *reason, const char *body, size_t blen, bool head)
{
    char *r = NULL;
    int n = asprintf(&r,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n"
                     "Cache-Control: no-store\r\n\r\n%.*s",
                     code, reason, code == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8",
                     blen, head ? 0 : (int)blen, body);
    if (n < 0) {
        c->resp = NULL;
        return;
    }
    c->resp = r;
    c->rsize = (size_t)n;
    c->sent = 0;
}

static void respond(struct sup *s, struct metrics_client *c)
{
    struct metrics *m = s->metrics;
    char method[8] = "", target[64] = "";
    /* "GET /metrics HTTP/1.1": the first line's first two words */
    if (sscanf(c->req, "%7s %63s", method, target) != 2) {
        static const char b[] = "bad request\n";
        answer(c, 400, "Bad Request", b, sizeof(b) - 1, false);
        return;
    }
    bool head = !strcmp(method, "HEAD");
    if (!head && strcmp(method, "GET")) {
        static const char b[] = "GET /metrics\n";
        answer(c, 405, "Method Not Allowed", b, sizeof(b) - 1, false);
        return;
    }
    size_t tl = strcspn(target, "?");
    if (tl != 8 || strncmp(target, "/metrics", 8)) {
        static const char b[] = "rtinit serves its metrics at /metrics\n";
        answer(c, 404, "Not Found", b, sizeof(b) - 1, head);
        return;
    }
    m->scrapes++;
    uint64_t now = now_ms();
    if (!m->cache || now - m->cache_at >= METRICS_CACHE_MS) {
        free(m->cache);
        m->cache = metrics_render(s, &m->clen);
        m->cache_at = now;
    }
    if (!m->cache) {
        static const char b[] = "out of memory\n";
        answer(c, 500, "Internal Server Error", b, sizeof(b) - 1, head);
        return;
    }
    answer(c, 200, "OK", m->cache, m->clen, head);
}

/* Write what the socket takes; true when all is sent. */
static bool push(struct metrics_client *c)
{
    while (c->sent < c->rsize) {
        ssize_t n = send(c->fd, c->resp + c->sent, c->rsize - c->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return false;
        if (n <= 0) {
            c->sent = c->rsize; /* gone: nothing more to do for it */
            break;
        }
        c->sent += (size_t)n;
    }
    return true;
}

void metrics_client(struct sup *s, int slot, uint32_t events)
{
    struct metrics *m = s->metrics;
    if (!m || slot < 0 || slot >= METRICS_CLIENTS || m->c[slot].fd < 0)
        return;
    struct metrics_client *c = &m->c[slot];
    if (!c->resp) {
        if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
            return;
        ssize_t n = recv(c->fd, c->req + c->rlen, sizeof(c->req) - 1 - c->rlen, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            drop(s, c);
            return;
        }
        c->rlen += (size_t)n;
        c->req[c->rlen] = '\0';
        if (!strstr(c->req, "\r\n\r\n") && !strstr(c->req, "\n\n")) {
            if (c->rlen < sizeof(c->req) - 1)
                return; /* not all of it yet */
            static const char b[] = "request head too long\n";
            answer(c, 431, "Request Header Fields Too Large", b, sizeof(b) - 1, false);
        } else {
            respond(s, c);
        }
        if (!c->resp) {
            drop(s, c);
            return;
        }
        c->deadline = c->accepted + METRICS_CLIENT_MS; /* its head came: the rest of its life to be answered */
    }
    if (!push(c)) {
        if (sup_rewatch(s, c->fd, EPOLLOUT, EV(EV_MCLIENT, slot)) < 0)
            drop(s, c);
        return;
    }
    /* all sent: the end of the answer, then gone (its unread bytes, if it
     * sent more, must not turn the close into a reset before it reads) */
    shutdown(c->fd, SHUT_WR);
    drop(s, c);
}
