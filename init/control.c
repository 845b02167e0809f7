/* control.c - rtinit's control socket, for rtctl.
 *
 * RUN/control.sock, mode 0600, SOCK_SEQPACKET: one request per
 * connection, one answer, then it is closed. Only root (SO_PEERCRED) is
 * answered. Nothing here blocks: the connection is watched until its
 * request arrives, and the answer is sent without waiting (a client that
 * does not read loses it). A request that takes time (stop) is answered
 * when it is under way; rtctl follows it with status.
 *
 * Requests, answered with JSON (status) or text that starts with "ok:"
 * or "error:":
 *   status                  every service's state
 *   health NAME             its last checks, with what they printed
 *   inspect NAME            its configuration, container, usage, checks (inspect.c)
 *   stats                   every service's usage (usage.c)
 *   stop NAME               stop it and keep it down (rtctl stop)
 *   start NAME              start it again (also after a failure)
 *   restart NAME            stop it if it runs, start it again
 *   reload                  read conf.d again (as SIGHUP does)
 *   reload dry-run          say what a reload would do; change nothing
 *   confd                   "ok: changed" when conf.d on disk differs from
 *                           what runs (since the last load), else
 *                           "ok: unchanged" (rtctl status)
 *   poweroff, reboot, halt  as PID 1: what SIGTERM, SIGINT and SIGUSR1 do
 *                           (every service stopped, dependents first, the
 *                           volume unmounted, reboot(2)), answered first;
 *                           refused when rtinit is not PID 1 */
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
#include <sys/un.h>
#include <unistd.h>

#include "../lib/fileio.h"
#include "../lib/util.h"
#include "observe.h"
#include "sup.h"

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
    if (r < 0 || listen(fd, 16) < 0)
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

void control_accept(struct sup *s)
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
        if (sup_watch(s, c, EPOLLIN, EV(EV_CLIENT, (unsigned)c)) < 0)
            close(c); /* rtctl sees the connection closed, and says rtinit did not answer */
    }
}

/* ---------- rtctl stop / start / restart ---------- */

/* STATE/held: the services rtctl stop left down, one name a line. Kept
 * for restart = unless-stopped, which (as in docker) stays down until
 * rtctl start, across restarts of rtinit and reboots; every other policy
 * starts with rtinit again. */
static void held_save(struct sup *s)
{
    char text[CONF_MAX_SERVICES * 66 + 1];
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].held && n + strlen(s->v[i].name) + 2 < sizeof(text))
            n += (size_t)sprintf(text + n, "%s\n", s->v[i].name);
    int dir = open(s->paths->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct rt_err err;
    if (dir < 0 || write_file_atomic(dir, "held", text, n, &err) < 0)
        say(s, LOG_WARN, "%s/held: %s; after a restart of rtinit, services stopped by rtctl start again",
            s->paths->state_dir, dir < 0 ? strerror(errno) : err.msg);
    if (dir >= 0)
        close(dir);
}

void held_load(struct sup *s)
{
    char p[PATH_MAX + 8];
    snprintf(p, sizeof(p), "%s/held", s->paths->state_dir);
    FILE *f = fopen(p, "re");
    if (!f)
        return;
    char line[128];
    bool dropped = false;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        bool found = false;
        for (size_t i = 0; i < s->n; i++) {
            struct svc *v = &s->v[i];
            if (strcmp(v->name, line) || !v->ps)
                continue;
            found = v->ps->svc->restart == RESTART_UNLESS_STOPPED;
            if (found)
                lc_hold_at_boot(s, v);
        }
        dropped |= !found;
    }
    fclose(f);
    if (dropped)
        held_save(s);
}

static struct svc *find(struct sup *s, const char *name)
{
    for (size_t i = 0; i < s->p->n; i++)
        if (!strcmp(s->v[i].name, name))
            return &s->v[i];
    return NULL;
}

static char *act(struct sup *s, const char *verb, const char *name)
{
    struct svc *v = find(s, name);
    for (size_t i = 0; !v && i < s->nskipped; i++)
        if (!strcmp(s->skipped[i].name, name))
            return strfmt("error: %s was left out at boot: %s; fix it, then rtctl reload", name, s->skipped[i].why);
    if (!v)
        return s->shutdown ? strdup("error: rtinit is shutting down")
                           : strfmt("error: no service '%s' in %s", name, s->p->conf->dir);
    if (s->shutdown)
        return strdup("error: rtinit is shutting down");
    bool was_held = v->held;
    enum lc_verb lv = !strcmp(verb, "stop") ? LC_STOP : !strcmp(verb, "start") ? LC_START : LC_RESTART;
    enum lc_answer ans = lc_request(s, v, lv);
    if (v->held != was_held)
        held_save(s);
    switch (ans) {
    case LA_STOPPING:
        return strfmt("ok: stopping %s", name);
    case LA_ALREADY_STOPPING:
        return strfmt("ok: %s is stopping", name);
    case LA_NOT_RUNNING:
        return strfmt("ok: %s is not running", name);
    case LA_RESTARTING:
        return strfmt("ok: restarting %s", name);
    case LA_AFTER_STOP:
        return strfmt("ok: %s will start once it has stopped", name);
    case LA_ALREADY_RUNNING:
        return strfmt("ok: %s is already %s", name, v->phase == RUNNING ? "running" : "starting");
    case LA_WAITING:
        return strfmt("ok: %s is waiting for %s", name, v->waiting[0] ? v->waiting : "its dependencies");
    case LA_STARTING:
        break;
    }
    return strfmt("ok: starting %s", name);
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
        return strfmt("error: rtinit is not PID 1 here (pid %d): %s would only stop its services, not the machine; "
                      "stop them with rtctl stop SERVICE..., or stop rtinit with kill -TERM %d",
                      (int)me, ends[k].verb, (int)me);
    }
    if (s->shutdown) {
        int now = end_index(s->end);
        return (size_t)now == k ? strfmt("ok: already %s", ends[k].doing)
                                : strfmt("error: rtinit is already shutting down for a %s", ends[now].verb);
    }
    char by[32];
    snprintf(by, sizeof(by), "rtctl %s", ends[k].verb);
    sup_shutdown(s, ends[k].sig, by);
    return strfmt("ok: %s", ends[k].doing);
}

void control_request(struct sup *s, int c)
{
    char req[256];
    ssize_t n = recv(c, req, sizeof(req) - 1, MSG_DONTWAIT);
    if (n < 0 && errno == EAGAIN)
        return; /* not yet */
    sup_unwatch(s, c);
    if (n > 0) {
        req[n] = '\0';
        char *text = NULL, *arg = strchr(req, ' ');
        if (arg)
            *arg++ = '\0';
        if (!strcmp(req, "status") && !arg) {
            json_t *st = status_json(s);
            text = st ? json_dumps(st, JSON_COMPACT) : NULL;
            json_decref(st);
        } else if (!strcmp(req, "health") && arg) {
            json_t *h = status_health_json(s, arg);
            text = h ? json_dumps(h, JSON_COMPACT) : strfmt("error: no service '%s' in %s", arg, s->p->conf->dir);
            json_decref(h);
        } else if (!strcmp(req, "inspect") && arg) {
            json_t *j = inspect_json(s, arg);
            text = j ? json_dumps(j, JSON_COMPACT) : strfmt("error: no service '%s' in %s", arg, s->p->conf->dir);
            json_decref(j);
        } else if (!strcmp(req, "stats") && !arg) {
            json_t *j = stats_json(s);
            text = j ? json_dumps(j, JSON_COMPACT) : NULL;
            json_decref(j);
        } else if ((!strcmp(req, "stop") || !strcmp(req, "start") || !strcmp(req, "restart")) && arg) {
            text = act(s, req, arg);
        } else if (!strcmp(req, "reload") && (!arg || !strcmp(arg, "dry-run"))) {
            if (s->shutdown) {
                text = strdup("error: rtinit is shutting down");
            } else {
                char *msg = NULL;
                say(s, LOG_INFO, "rtctl reload%s: %s %s", arg ? " --dry-run" : "",
                    arg ? "what would change in" : "reloading", s->p->conf->dir);
                int r = arg ? sup_reload_dry_run(s, &msg) : sup_reload(s, &msg);
                text = strfmt("%s %s", r == 0 ? "ok:" : "error:", msg ? msg : "out of memory");
                free(msg);
            }
        } else if (!arg && (!strcmp(req, "poweroff") || !strcmp(req, "reboot") || !strcmp(req, "halt"))) {
            size_t k = 0;
            while (strcmp(ends[k].verb, req))
                k++;
            text = power(s, k);
        } else if (!strcmp(req, "confd") && !arg) {
            int r = confd_changed(s);
            text = r < 0 ? strdup("error: out of memory") : strdup(r ? "ok: changed" : "ok: unchanged");
        } else {
            text = strdup("error: unknown request (known: status, health NAME, inspect NAME, stats, stop NAME, start NAME, restart NAME, "
                          "reload, reload dry-run, confd, poweroff, reboot, halt)");
        }
        if (text && send(c, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
            say(s, LOG_WARN, "control socket: the answer to '%s' was not sent: %s", req, strerror(errno));
        free(text);
    }
    close(c);
}

void control_close(struct sup *s)
{
    if (s->ctl < 0)
        return;
    close(s->ctl);
    unlink(s->paths->socket);
    s->ctl = -1;
}
