/* control.c - rtinit's control socket, for rtctl.
 *
 * RUN/control.sock, mode 0600, SOCK_SEQPACKET: one request per
 * connection, one answer, then it is closed. Only root (SO_PEERCRED) is
 * answered, and only a root outside every container: a container's root
 * is uid 0 on the host too (no user namespaces), so a peer whose pid
 * namespace is one below rtinit's (a service, an rtctl exec) is refused
 * whatever its uid (peer_in_container). Requests and answers are JSON, versioned (lib/proto.h parses
 * and builds them; docs/protocol.md is the reference): status, health,
 * stop, start, restart, kill, reload, confd, poweroff, reboot, halt,
 * version.
 *
 * Nothing here blocks, and no client can make rtinit wait, stall or run
 * out of fds: a request is read when it has come whole (one SEQPACKET
 * message), and one longer than PROTO_MAX_REQUEST is refused unread (its
 * size is peeked with MSG_TRUNC); a connection that sends nothing is
 * dropped after CTL_IDLE_MS, by the loop's timer; at most CTL_MAX_CLIENTS
 * wait at once, the oldest dropped for a new one; the answer is sent
 * without waiting (a client that does not read loses it). A request that
 * takes time (stop) is answered when it is under way; rtctl follows it
 * with status. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "../config/value.h"
#include "../lib/fileio.h"
#include "../lib/proto.h"
#include "../lib/util.h"
#include "observe.h"
#include "sup.h"

#ifndef RT_VERSION
#define RT_VERSION "dev"
#endif

_Static_assert(PROTO_MAX_SERVICES >= CONF_MAX_SERVICES, "a request can name every service");

/* accept(2) out of fds: the listening socket is not watched for this
 * long, or its pending connection would wake the loop without end. */
#define CTL_EMFILE_PAUSE_MS 100

/* Refused requests and dropped connections are said, but at most one
 * line a second with a count: a client in a loop must not flood
 * rtinit.log. */
static void refused(struct sup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refused(struct sup *s, const char *fmt, ...)
{
    uint64_t now = now_ms();
    if (s->cc.said_at && now - s->cc.said_at < 1000) {
        s->cc.unsaid++;
        return;
    }
    char msg[RT_ERR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (s->cc.unsaid)
        say(s, LOG_WARN, "control socket: %s (and %lu more refused or dropped in the last second)", msg,
            s->cc.unsaid);
    else
        say(s, LOG_WARN, "control socket: %s", msg);
    s->cc.said_at = now;
    s->cc.unsaid = 0;
}

int control_open(struct sup *s)
{
    const char *path = s->paths->socket;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        say(s, LOG_WARN, "control socket %s: path too long; rtctl cannot reach rtinit", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    struct rt_err err;
    if (mkdir_p(s->paths->run_dir, 0755, &err) < 0) {
        say(s, LOG_WARN, "control socket %s: %s; rtctl cannot reach rtinit", path, err.msg);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    unlink(path); /* a socket left by an rtinit that is gone */
    mode_t old = umask(0177); /* 0600 from the start: no window where others can connect */
    int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (r < 0 || listen(fd, CTL_MAX_CLIENTS) < 0)
        goto fail;
    if (sup_watch(s, fd, EPOLLIN, EV(EV_CONTROL, 0)) < 0)
        goto fail; /* a socket nobody accepts on would only make rtctl hang */
    return fd;
fail:
    say(s, LOG_WARN, "control socket %s: %s; rtctl cannot reach rtinit", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Send the answer (text, malloc'd, freed here; NULL: memory ran out)
 * without waiting. An answer larger than the socket's send buffer (a
 * status of many services) gets a buffer that fits, once. */
static void answer(struct sup *s, int c, char *text)
{
    static const char oom[] = "{\"v\":1,\"ok\":false,\"error\":\"rtinit is out of memory\"}";
    const char *t = text ? text : oom;
    size_t len = strlen(t);
    ssize_t r = send(c, t, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r < 0 && (errno == EMSGSIZE || errno == EAGAIN) && len < (1u << 26)) {
        int size = (int)(len * 2 + 4096);
        if (setsockopt(c, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) == 0)
            r = send(c, t, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    /* EPIPE, ECONNRESET: the client went away or shut its reading side;
     * the answer is its to lose */
    if (r < 0 && errno != EPIPE && errno != ECONNRESET)
        refused(s, "an answer of %zu bytes was not sent: %s", len, strerror(errno));
    free(text);
}

/* Close a connection done with. What it sent and we did not read (a
 * request refused for its size, a second one) is dropped first, unread
 * (MSG_TRUNC with no buffer): closing over unread data resets the
 * connection, and the client would lose the answer that says why. */
static void hang_up(int c)
{
    for (int k = 0; k < 16 && recv(c, NULL, 0, MSG_DONTWAIT | MSG_TRUNC) > 0; k++) {
    }
    close(c);
}

static char *error_answer(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *error_answer(const char *fmt, ...)
{
    char msg[RT_ERR_MSG + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return proto_answer(false, msg, NULL);
}

/* ---------- the connections waiting for their request ---------- */

static void client_drop(struct sup *s, size_t i)
{
    sup_unwatch(s, s->cc.c[i].fd);
    hang_up(s->cc.c[i].fd);
    memmove(&s->cc.c[i], &s->cc.c[i + 1], (s->cc.n - i - 1) * sizeof(s->cc.c[0]));
    s->cc.n--;
}

static void client_add(struct sup *s, int c)
{
    if (s->cc.n == CTL_MAX_CLIENTS) {
        /* the oldest has had the longest to speak; rtctl speaks at once */
        answer(s, s->cc.c[0].fd, error_answer("request: none came, and %d other connections wait", CTL_MAX_CLIENTS));
        refused(s, "%d connections wait for their request; the oldest was dropped", CTL_MAX_CLIENTS);
        client_drop(s, 0);
    }
    if (sup_watch(s, c, EPOLLIN, EV(EV_CLIENT, (unsigned)c)) < 0) {
        close(c); /* rtctl sees the connection closed, and says rtinit did not answer */
        return;
    }
    s->cc.c[s->cc.n++] = (struct ctl_client){.fd = c, .deadline = now_ms() + CTL_IDLE_MS};
}

uint64_t control_wakeup(const struct sup *s)
{
    uint64_t t = s->cc.n ? s->cc.c[0].deadline : UINT64_MAX;
    if (s->cc.unsaid && s->cc.said_at + 1000 < t) /* the count of a burst, once it is over */
        t = s->cc.said_at + 1000;
    return s->cc.resume_at && s->cc.resume_at < t ? s->cc.resume_at : t;
}

void control_overdue(struct sup *s)
{
    uint64_t now = now_ms();
    /* all wait the same time, in the order they came: the first is the
     * first due */
    while (s->cc.n && s->cc.c[0].deadline <= now) {
        answer(s, s->cc.c[0].fd, error_answer("request: none came within %d ms", CTL_IDLE_MS));
        refused(s, "a connection sent no request within %d ms; dropped", CTL_IDLE_MS);
        client_drop(s, 0);
    }
    if (s->cc.unsaid && now >= s->cc.said_at + 1000) {
        say(s, LOG_WARN, "control socket: %lu more requests refused or connections dropped in the last second",
            s->cc.unsaid);
        s->cc.said_at = now;
        s->cc.unsaid = 0;
    }
    if (s->cc.resume_at && now >= s->cc.resume_at && s->ctl >= 0) {
        s->cc.resume_at = 0;
        if (sup_watch(s, s->ctl, EPOLLIN, EV(EV_CONTROL, 0)) < 0)
            say(s, LOG_ERR, "control socket: epoll_ctl: %s; rtctl cannot reach rtinit", strerror(errno));
    }
}

static char *dispatch(struct sup *s, const struct proto_req *req);

/* Read and answer c's request if it has come: false when it has not (c
 * keeps waiting), true when c is done with (answered or refused): the
 * caller closes it. */
static bool serve(struct sup *s, int c)
{
    char one;
    /* MSG_TRUNC: the length of the whole message, however long, without
     * reading it */
    ssize_t n = recv(c, &one, 1, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return false;
    if (n < 0)
        return true; /* reset by the client: nothing to answer */
    if (n == 0) {
        /* an empty message, or the end: a client that shut its writing
         * side (or went) without a request. Said to it, not logged: a
         * connect-and-close is how scripts ask "is rtinit up?" */
        answer(s, c, proto_answer(false, "request: empty", NULL));
        return true;
    }
    if ((size_t)n > PROTO_MAX_REQUEST) {
        refused(s, "a request of %zd bytes was refused (at most %d)", n, PROTO_MAX_REQUEST);
        answer(s, c, error_answer("request: %zd bytes; at most %d", n, PROTO_MAX_REQUEST));
        return true;
    }
    char *buf = malloc((size_t)n);
    if (!buf) {
        answer(s, c, NULL);
        return true;
    }
    ssize_t got = recv(c, buf, (size_t)n, MSG_DONTWAIT);
    struct proto_req *req = got == n ? malloc(sizeof(*req)) : NULL;
    struct rt_err err;
    if (got != n)
        answer(s, c, error_answer("request: read: %s", got < 0 ? strerror(errno) : "cut short"));
    else if (!req)
        answer(s, c, NULL);
    else if (proto_parse_request(buf, (size_t)n, req, &err) < 0) {
        refused(s, "a request was refused: %s", err.msg);
        answer(s, c, proto_answer(false, err.msg, NULL));
    } else {
        answer(s, c, dispatch(s, req));
    }
    free(req);
    free(buf);
    return true;
}

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5; older kernels say ENOPROTOOPT */
#endif

/* The pid of the process pidfd refers to, as /proc numbers it (its
 * fdinfo's "Pid:" line): 0 when /proc's namespace cannot see it, -1 when
 * it has ended or on an error. A fixed buffer: fdinfo of a pidfd is a few
 * short lines. */
static long pidfd_proc_pid(int pidfd)
{
    char p[64], buf[512];
    snprintf(p, sizeof(p), "/proc/self/fdinfo/%d", pidfd);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    const char *l = strstr(buf, "\nPid:");
    if (!l)
        return -1;
    char *end;
    long pid = strtol(l + 5, &end, 10);
    return end == l + 5 ? -1 : pid;
}

/* Is the peer of c (cr: its SO_PEERCRED) in a pid namespace below
 * rtinit's, i.e. inside a container? false: no (rtinit's own namespace,
 * or one above or beside it, where the kernel gives pid 0: rtctl on the
 * host of an rtinit run in `unshare -p`); true: yes, or it cannot be told
 * (*why says which), and the peer is refused.
 *
 * The pid SO_PEERCRED gives is the number the peer had at connect(), and
 * a number can be taken by another process once the peer has ended. So
 * the process is held by a pidfd (SO_PEERPIDFD, the peer itself, from
 * Linux 6.5; before, pidfd_open of the number, which is the peer unless
 * it ended and its number went round pid_max between its connect and this
 * accept), its /proc entry found by the pidfd's own fdinfo (right even
 * when /proc is of another pid namespace), and the process is checked to
 * still be alive after its namespace was read: alive, the number was its
 * own all along. A peer that ended is refused: it cannot read the answer.
 * The mount namespace is not looked at: `ip netns exec` gives an admin a
 * new one. A handful of syscalls, nothing allocated, nothing waited on. */
static bool peer_in_container(int c, const struct ucred *cr, char *why, size_t wlen)
{
    if (cr->pid <= 0)
        return false;
    struct stat own, peer;
    if (stat("/proc/self/ns/pid", &own) < 0) {
        snprintf(why, wlen, "rtinit's own pid namespace: %s", strerror(errno));
        return true;
    }
    int pidfd = -1;
    socklen_t l = sizeof(pidfd);
    int r = getsockopt(c, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &l);
    /* only a kernel without the option (ENOPROTOOPT) falls back to the
     * number: a kernel that has it says EINVAL or ESRCH for a peer that
     * has ended, and then the number may already be another process's */
    if (r < 0 && errno != ENOPROTOOPT) {
        snprintf(why, wlen, "pid %d: %s", (int)cr->pid,
                 errno == EINVAL || errno == ESRCH ? "gone before it was asked" : strerror(errno));
        return true;
    }
    if (r < 0 || l != sizeof(pidfd) || pidfd < 0) {
        pidfd = (int)syscall(SYS_pidfd_open, cr->pid, 0);
        if (pidfd < 0) {
            snprintf(why, wlen, "pid %d: %s", (int)cr->pid, errno == ESRCH ? "gone before it was asked" : strerror(errno));
            return true;
        }
    }
    bool in = true;
    long pp = pidfd_proc_pid(pidfd);
    char p[64];
    snprintf(p, sizeof(p), "/proc/%ld/ns/pid", pp);
    if (pp <= 0)
        snprintf(why, wlen, "pid %d: %s", (int)cr->pid, pp < 0 ? "gone before it was asked" : "not in rtinit's /proc");
    else if (stat(p, &peer) < 0)
        snprintf(why, wlen, "%s: %s", p, strerror(errno));
    else if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
        snprintf(why, wlen, "pid %d: gone before it was asked", (int)cr->pid);
    else if (peer.st_dev != own.st_dev || peer.st_ino != own.st_ino)
        snprintf(why, wlen, "pid %d is in a container (pid namespace %lu, rtinit's %lu)", (int)cr->pid,
                 (unsigned long)peer.st_ino, (unsigned long)own.st_ino);
    else
        in = false;
    close(pidfd);
    return in;
}

void control_accept(struct sup *s)
{
    /* bounded, so that a flood of connections cannot hold the loop; the
     * socket stays readable and the rest come at the next turn */
    for (int k = 0; k < CTL_MAX_CLIENTS; k++) {
        int c = accept4(s->ctl, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                refused(s, "accept: %s; not accepting for %d ms", strerror(errno), CTL_EMFILE_PAUSE_MS);
                sup_unwatch(s, s->ctl);
                s->cc.resume_at = now_ms() + CTL_EMFILE_PAUSE_MS;
            }
            return;
        }
        struct ucred cr;
        socklen_t l = sizeof(cr);
        if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &l) < 0 || cr.uid != 0) {
            refused(s, "uid %d refused: only root may use it", l == sizeof(cr) ? (int)cr.uid : -1);
            answer(s, c, proto_answer(false, "only root may use rtinit's control socket", NULL));
            hang_up(c);
            continue;
        }
        char why[160];
        if (peer_in_container(c, &cr, why, sizeof(why))) {
            refused(s, "root refused: %s", why);
            answer(s, c, error_answer("only root outside containers may use rtinit's control socket (%s)", why));
            hang_up(c);
            continue;
        }
        /* rtctl sends as soon as it is connected: most requests are
         * there already, and are answered without a turn of the loop */
        if (serve(s, c))
            hang_up(c);
        else
            client_add(s, c);
    }
}

void control_request(struct sup *s, int c)
{
    size_t i = 0;
    while (i < s->cc.n && s->cc.c[i].fd != c)
        i++;
    /* not ours (any more): an event for a connection dropped earlier in
     * the same turn; its fd may be another's now, so it is left alone */
    if (i == s->cc.n)
        return;
    if (serve(s, c))
        client_drop(s, i);
}

void control_close(struct sup *s)
{
    while (s->cc.n)
        client_drop(s, s->cc.n - 1);
    if (s->ctl < 0)
        return;
    close(s->ctl);
    unlink(s->paths->socket);
    s->ctl = -1;
}

/* ---------- rtctl stop / start / restart / kill ---------- */

static struct svc *find(struct sup *s, const char *name)
{
    for (size_t i = 0; i < s->p->n; i++)
        if (!strcmp(s->v[i].name, name))
            return &s->v[i];
    return NULL;
}

/* rtctl kill: the signal to the service's main process (a container's
 * first process, or its init), as docker kill. Nothing else changes: the
 * exit that follows is an exit like any, and the restart policy decides
 * (`always` restarts a service killed this way, `no` leaves it down). */
static bool kill_one(struct sup *s, struct svc *v, int sig, char **msg)
{
    char sn[32];
    signal_name(sig, sn, sizeof(sn));
    if (!v->has_ctr || !(ALIVE(v) || v->phase == STOPPING)) {
        *msg = strfmt("%s is not running (%s)", v->name, phase_name(v->phase));
        return false;
    }
    int pid = (int)v->c.pid;
    if (ctr_signal(&v->c, sig) < 0) {
        *msg = strfmt("%s: sending %s to pid %d: %s", v->name, sn, pid, strerror(errno));
        return false;
    }
    say(s, LOG_INFO, "%s: rtctl kill: %s sent to pid %d", v->name, sn, pid);
    *msg = strfmt("sent %s to %s (pid %d)", sn, v->name, pid);
    return true;
}

/* One service's part of stop, start, restart or kill: true with what
 * was done in *msg, or false with why not (malloc'd; NULL when memory ran
 * out). */
static bool act_one(struct sup *s, const struct proto_req *req, const char *name, bool *held_changed, char **msg)
{
    struct svc *v = find(s, name);
    for (size_t i = 0; !v && i < s->nskipped; i++)
        if (!strcmp(s->skipped[i].name, name)) {
            *msg = strfmt("%s was left out at boot: %s; fix it, then rtctl reload", name, s->skipped[i].why);
            return false;
        }
    if (!v) {
        *msg = strfmt("no service '%s' in %s", name, s->p->conf->dir);
        return false;
    }
    if (req->verb == PV_KILL)
        return kill_one(s, v, req->signal, msg);
    bool was_held = v->held;
    enum lc_verb lv = req->verb == PV_STOP ? LC_STOP : req->verb == PV_START ? LC_START : LC_RESTART;
    enum lc_answer ans = lc_request(s, v, lv);
    *held_changed |= v->held != was_held;
    switch (ans) {
    case LA_STOPPING:
        *msg = strfmt("stopping %s", name);
        break;
    case LA_ALREADY_STOPPING:
        *msg = strfmt("%s is stopping", name);
        break;
    case LA_NOT_RUNNING:
        *msg = strfmt("%s is not running", name);
        break;
    case LA_RESTARTING:
        *msg = strfmt("restarting %s", name);
        break;
    case LA_AFTER_STOP:
        *msg = strfmt("%s will start once it has stopped", name);
        break;
    case LA_ALREADY_RUNNING:
        *msg = strfmt("%s is already %s", name, v->phase == RUNNING ? "running" : "starting");
        break;
    case LA_WAITING:
        *msg = strfmt("%s is waiting for %s", name, v->waiting[0] ? v->waiting : "its dependencies");
        break;
    case LA_STARTING:
        *msg = strfmt("starting %s", name);
        break;
    }
    return true;
}

/* text + sep + more, the old text freed; NULL when memory ran out. */
static char *append(char *text, const char *sep, const char *more)
{
    char *t = text ? strfmt("%s%s%s", text, sep, more) : strdup(more);
    free(text);
    return t;
}

/* Each service named, in order. Every one is acted on even when another
 * is unknown (as docker stop does); the answer is ok only when all were,
 * its data the result of each:
 *   {"services":[{"name":"a","ok":true,"message":"stopping a"},...]} */
static char *act(struct sup *s, const struct proto_req *req)
{
    if (s->shutdown)
        return proto_answer(false, "rtinit is shutting down", NULL);
    json_t *res = json_array();
    char *messages = NULL, *errors = NULL;
    bool ok = true, held_changed = false, oom = !res;
    for (size_t i = 0; i < req->nservices; i++) {
        char *msg = NULL;
        bool one = act_one(s, req, req->services[i], &held_changed, &msg);
        ok &= one;
        if (!msg) {
            oom = true;
            continue;
        }
        json_t *e = json_pack("{s:s, s:b, s:s}", "name", req->services[i], "ok", one, one ? "message" : "error", msg);
        oom |= !e || json_array_append_new(res, e) < 0;
        if (one)
            oom |= !(messages = append(messages, "\n", msg));
        else
            oom |= !(errors = append(errors, "; ", msg));
        free(msg);
    }
    if (held_changed)
        held_save(s);
    char *text = oom ? NULL : proto_answer(ok, ok ? messages : errors, json_pack("{s:o}", "services", res));
    if (oom)
        json_decref(res);
    free(messages);
    free(errors);
    return text;
}

/* ---------- rtctl poweroff / reboot / halt ---------- */

/* Each request as the signal PID 1 takes for it (rtinit.c's end_for). */
static const struct {
    const char *verb, *doing;
    int sig;
} ends[] = {
    {"poweroff", "powering off", SIGTERM},
    {"reboot", "rebooting", SIGINT},
    {"halt", "halting", SIGUSR1},
};

static int end_index(int sig)
{
    return sig == SIGINT || sig == SIGUSR2 ? 1 : sig == SIGUSR1 ? 2 : 0;
}

/* The same path as the signal: the loop stops every service, then
 * supervise() returns it to rtinit.c, which ends the machine (pid1.c).
 * The answer goes before any of that happens, so that rtctl can say it
 * and exit, over SSH too. Not PID 1: rtinit is a supervisor on a host
 * that has its own init, and the end would only be rtinit's (never the
 * host's reboot(2)); refused, saying what does what. */
static char *power(struct sup *s, size_t k)
{
    if (!s->pid1) {
        pid_t me = getpid();
        return error_answer("rtinit is not PID 1 here (pid %d): %s would only stop its services, not the machine; "
                            "stop them with rtctl stop SERVICE..., or stop rtinit with kill -TERM %d",
                            (int)me, ends[k].verb, (int)me);
    }
    char msg[64];
    if (s->shutdown) {
        int now = end_index(s->end);
        if ((size_t)now != k)
            return error_answer("rtinit is already shutting down for a %s", ends[now].verb);
        snprintf(msg, sizeof(msg), "already %s", ends[k].doing);
        return proto_answer(true, msg, NULL);
    }
    char by[32];
    snprintf(by, sizeof(by), "rtctl %s", ends[k].verb);
    sup_shutdown(s, ends[k].sig, by);
    return proto_answer(true, ends[k].doing, NULL);
}


static char *reload(struct sup *s, bool dry)
{
    if (s->shutdown)
        return proto_answer(false, "rtinit is shutting down", NULL);
    char *msg = NULL;
    say(s, LOG_INFO, "rtctl reload%s: %s %s", dry ? " --dry-run" : "", dry ? "what would change in" : "reloading",
        s->p->conf->dir);
    int r = dry ? sup_reload_dry_run(s, &msg) : sup_reload(s, &msg);
    char *text = msg ? proto_answer(r == 0, msg, NULL) : NULL;
    free(msg);
    return text;
}

static char *dispatch(struct sup *s, const struct proto_req *req)
{
    switch (req->verb) {
    case PV_STATUS: {
        json_t *st = status_json(s);
        return st ? proto_answer(true, NULL, st) : NULL;
    }
    case PV_HEALTH: {
        json_t *h = status_health_json(s, req->services[0]);
        return h ? proto_answer(true, NULL, h)
                 : error_answer("no service '%s' in %s", req->services[0], s->p->conf->dir);
    }
    case PV_INSPECT: {
        json_t *j = inspect_json(s, req->services[0]);
        return j ? proto_answer(true, NULL, j)
                 : error_answer("no service '%s' in %s", req->services[0], s->p->conf->dir);
    }
    case PV_STATS: {
        json_t *j = stats_json(s);
        return j ? proto_answer(true, NULL, j) : NULL;
    }
    case PV_STOP:
    case PV_START:
    case PV_RESTART:
    case PV_KILL:
        return act(s, req);
    case PV_RELOAD:
        return reload(s, req->dry_run);
    case PV_CONFD: {
        int r = confd_changed(s);
        return r < 0 ? NULL : proto_answer(true, r ? "changed" : "unchanged", json_pack("{s:b}", "changed", r));
    }
    case PV_POWEROFF:
    case PV_REBOOT:
    case PV_HALT:
        return power(s, req->verb == PV_POWEROFF ? 0 : req->verb == PV_REBOOT ? 1 : 2);
    case PV_VERSION: {
        char msg[128];
        snprintf(msg, sizeof(msg), "rtinit %s (protocol %d)", RT_VERSION, PROTO_VERSION);
        return proto_answer(true, msg,
                            json_pack("{s:s, s:i, s:b}", "version", RT_VERSION, "protocol", PROTO_VERSION, "pid1", s->pid1));
    }
    case PV_NVERBS:
        break;
    }
    return error_answer("request: verb %d is not handled", (int)req->verb); /* proto.c knows a verb this file does not */
}
