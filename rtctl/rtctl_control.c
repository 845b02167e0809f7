/* rtctl status, health, stop, start, restart, kill, reload, poweroff,
 * reboot, halt, version: requests to rtinit over its control socket
 * (init/control.c; the protocol is lib/proto.h, docs/protocol.md). rtinit
 * answers at once and never waits; stop, start and restart then follow
 * the services' state here until it has changed, as docker's commands do.
 * reload --dry-run asks what a reload would do. poweroff, reboot and halt
 * return once rtinit (PID 1) has taken the request: the services stop and
 * the machine goes down after.
 *
 * Exit statuses: 0 done, 1 rtinit refused or the service did not get
 * where it was asked to, 2 a wrong command line, 3 rtinit not reachable. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../config/value.h"
#include "../lib/paths.h"
#include "../lib/proto.h"
#include "../lib/util.h"
#include "rtctl.h"

#ifndef RT_VERSION
#define RT_VERSION "dev"
#endif

/* How long rtinit has to answer: it answers from its loop, at once, but
 * a reload reads and plans conf.d first. */
#define ANSWER_TIMEOUT_S 5

static const char usage_stop[] = "rtctl stop [-t SECONDS] SERVICE... | --all";
static const char usage_start[] = "rtctl start [-t SECONDS] SERVICE... | --all";
static const char usage_restart[] = "rtctl restart [-t SECONDS] SERVICE... | --all";
static const char usage_kill[] = "rtctl kill [-s SIGNAL] SERVICE...";
static const char usage_reload[] = "rtctl reload [--dry-run]";
static const char usage_poweroff[] = "rtctl poweroff";
static const char usage_reboot[] = "rtctl reboot";
static const char usage_halt[] = "rtctl halt";
static const char usage_health[] = "rtctl health SERVICE";
static const char usage_version[] = "rtctl version";

/* Connect to rtinit: the socket, or -1 with the exit status in *code
 * after saying what to do next. */
static int dial(struct rtctl *ctl, const char *path, int *code)
{
    *code = EXIT_FAIL;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        log_msg(&ctl->log, LOG_ERR, "%s: path too long for a socket; give a shorter --root", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        log_msg(&ctl->log, LOG_ERR, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
        return fd;
    int e = errno;
    close(fd);
    const char *next = ctl->root ? "start it, or check --root" : "start it, or give --root";
    if (e == ENOENT || e == ENOTDIR) {
        log_msg(&ctl->log, LOG_ERR, "rtinit is not running here (no %s): %s", path, next);
        *code = EXIT_UNREACHABLE;
    } else if (e == ECONNREFUSED) {
        /* the socket of an rtinit that was killed, not removed */
        log_msg(&ctl->log, LOG_ERR, "rtinit is not running here (nothing listens on %s): %s", path, next);
        *code = EXIT_UNREACHABLE;
    } else if (e == EACCES) {
        log_msg(&ctl->log, LOG_ERR, "%s: %s: only root may talk to rtinit (sudo rtctl ...)", path, strerror(e));
    } else {
        log_msg(&ctl->log, LOG_ERR, "%s: %s", path, strerror(e));
    }
    return -1;
}

/* One message from fd, whole, malloc'd in *out (its length in *len):
 * its size is peeked first, so any answer fits. */
static int receive(int fd, char **out, size_t *len)
{
    char one;
    ssize_t n = recv(fd, &one, 1, MSG_PEEK | MSG_TRUNC);
    if (n <= 0) {
        if (n == 0)
            errno = ECONNRESET;
        return -1;
    }
    char *buf = malloc((size_t)n);
    if (!buf)
        return -1;
    ssize_t got = recv(fd, buf, (size_t)n, 0);
    if (got != n) {
        free(buf);
        if (got >= 0)
            errno = EMSGSIZE;
        return -1;
    }
    *out = buf;
    *len = (size_t)n;
    return 0;
}

int rtctl_ask(struct rtctl *ctl, const struct proto_req *req, struct proto_ans *ans)
{
    memset(ans, 0, sizeof(*ans));
    struct rt_paths paths;
    struct rt_err err;
    if (rt_paths_init(&paths, ctl->conf_dir, ctl->root, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        return EXIT_FAIL;
    }
    int code;
    _cleanup_close_ int fd = dial(ctl, paths.socket, &code);
    if (fd < 0)
        return code;
    char *text = proto_request_text(req);
    if (!text) {
        log_msg(&ctl->log, LOG_ERR, "out of memory");
        return EXIT_FAIL;
    }
    struct timeval tv = {.tv_sec = ANSWER_TIMEOUT_S};
    ssize_t sent = -1;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0)
        sent = send(fd, text, strlen(text), MSG_NOSIGNAL);
    free(text);
    /* EPIPE: rtinit refused the connection itself (a peer it does not
     * answer), said why and closed before the request went; that answer
     * waits to be read */
    if (sent < 0 && errno != EPIPE) {
        log_msg(&ctl->log, LOG_ERR, "%s: sending the request: %s", paths.socket, strerror(errno));
        return EXIT_FAIL;
    }
    char *buf = NULL;
    size_t len = 0;
    if (receive(fd, &buf, &len) < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            log_msg(&ctl->log, LOG_ERR, "rtinit did not answer within %d s (is it stopped, or stuck?)",
                    ANSWER_TIMEOUT_S);
        else
            log_msg(&ctl->log, LOG_ERR, "rtinit did not answer: %s",
                    errno == ECONNRESET ? "connection closed" : strerror(errno));
        return EXIT_FAIL;
    }
    int r = proto_parse_answer(buf, len, ans, &err);
    free(buf);
    if (r < 0) {
        if (err.errnum == EPROTO)
            log_msg(&ctl->log, LOG_ERR,
                    "%s: rtctl and rtinit differ (rtinit runs from before an upgrade until it is restarted): "
                    "use the rtctl that came with it, or restart it (as PID 1: kill -INT 1 reboots)",
                    err.msg);
        else
            log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

/* rtctl_ask, and an answer that is not ok said as rtctl's error. */
static int ask_ok(struct rtctl *ctl, const struct proto_req *req, struct proto_ans *ans)
{
    int r = rtctl_ask(ctl, req, ans);
    if (r == EXIT_OK && !ans->ok) {
        log_msg(&ctl->log, LOG_ERR, "%s", ans->error);
        proto_ans_free(ans);
        r = EXIT_FAIL;
    }
    return r;
}

/* Every service's state (the array of status.c), or the exit status. */
static int get_status(struct rtctl *ctl, json_t **arr)
{
    struct proto_req req;
    struct proto_ans ans;
    proto_req_init(&req, PV_STATUS);
    int r = ask_ok(ctl, &req, &ans);
    if (r != EXIT_OK)
        return r;
    if (!json_is_array(ans.data)) {
        log_msg(&ctl->log, LOG_ERR, "rtinit's answer is not a status list");
        proto_ans_free(&ans);
        return EXIT_FAIL;
    }
    *arr = json_incref(ans.data);
    proto_ans_free(&ans);
    return EXIT_OK;
}

/* A command that takes no operands: its getopt, or EXIT_USAGE. */
static int no_operands(struct rtctl *ctl, int argc, char **argv, const char *usage_line)
{
    int i = rtctl_getopt(ctl, argc, argv, "", NULL, NULL, NULL, usage_line);
    if (i < 0)
        return EXIT_USAGE;
    if (i < argc) {
        log_msg(&ctl->log, LOG_ERR, "unexpected argument '%s'\nusage: %s", argv[i], usage_line);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* One request by verb, for at most one service: the answer's data (a new
 * reference; the caller checks its type), or NULL with *code the exit
 * status after saying why (quiet: an answer that is not ok is not said).
 * For status, inspect and stats (rtctl_status.c, rtctl_stats.c). */
json_t *rtctl_ask_data(struct rtctl *ctl, enum proto_verb verb, const char *service, bool quiet, int *code)
{
    struct proto_req req;
    struct proto_ans ans;
    struct rt_err err;
    proto_req_init(&req, verb);
    if (service && proto_req_add(&req, service, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        *code = EXIT_USAGE;
        return NULL;
    }
    int r = rtctl_ask(ctl, &req, &ans);
    if (r != EXIT_OK) {
        *code = r;
        return NULL;
    }
    if (!ans.ok) {
        if (!quiet)
            log_msg(&ctl->log, LOG_ERR, "%s", ans.error);
        proto_ans_free(&ans);
        *code = EXIT_FAIL;
        return NULL;
    }
    json_t *data = ans.data ? json_incref(ans.data) : json_null();
    proto_ans_free(&ans);
    *code = EXIT_OK;
    return data;
}

/* ---------- stop, start, restart, kill ---------- */

struct verb_opts {
    long timeout;  /* -t */
    bool all;      /* --all */
    int sig;       /* kill -s */
};

static int on_verb_opt(struct rtctl *ctl, int opt, const char *arg, void *ud)
{
    struct verb_opts *o = ud;
    if (opt == 'a') {
        o->all = true;
        return 0;
    }
    if (opt == 's') {
        const char *why;
        if (parse_signal(arg, &o->sig, &why) < 0) {
            log_msg(&ctl->log, LOG_ERR, "--signal: '%s': %s", arg, why);
            return -1;
        }
        return 0;
    }
    if (opt != 't')
        return -1;
    char *end;
    long v = strtol(arg, &end, 10);
    if (*end || end == arg || v < 0 || v > 86400) {
        log_msg(&ctl->log, LOG_ERR, "--timeout: '%s' is not a number of seconds (0 to 86400)", arg);
        return -1;
    }
    o->timeout = v;
    return 0;
}

/* One service's entry in a status list, or NULL. */
static json_t *entry(json_t *arr, const char *name)
{
    size_t k;
    json_t *o;
    json_array_foreach(arr, k, o) {
        const char *n = json_string_value(json_object_get(o, "name"));
        if (n && !strcmp(n, name) && !json_is_true(json_object_get(o, "removed")))
            return o;
    }
    return NULL;
}

static const char *field_str(json_t *o, const char *key)
{
    const char *v = o ? json_string_value(json_object_get(o, key)) : NULL;
    return v ? v : "";
}

static void sleep_ms(long ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

/* A service a stop, start or restart follows: its pid and count of
 * starts before the request, to tell its next run from this one. */
struct target {
    const char *name;
    json_int_t pid, starts;
    bool done;
};

#define S_RUNNING (proto_phase_names[2])
#define S_STOPPING (proto_phase_names[3])
#define S_STARTING (proto_phase_names[1])
#define S_EXITED (proto_phase_names[5])
#define S_FAILED (proto_phase_names[6])

/* Is t where verb wants it? 1 yes, 0 not yet, -1 it failed (said). */
static int arrived(struct rtctl *ctl, enum proto_verb verb, const struct target *t, json_t *o)
{
    const char *state = o ? field_str(o, "state") : "gone";
    json_int_t pid = json_integer_value(json_object_get(o, "pid"));
    json_int_t starts = json_integer_value(json_object_get(o, "starts"));
    if (verb == PV_STOP) {
        if (!strcmp(state, S_RUNNING) || !strcmp(state, S_STOPPING) || !strcmp(state, S_STARTING))
            return 0;
        printf("%s: stopped\n", t->name);
        return 1;
    }
    if (!strcmp(state, S_FAILED)) {
        const char *why = field_str(o, "note");
        log_msg(&ctl->log, LOG_ERR, "%s failed to start%s%s (rtctl logs %s)", t->name, *why ? ": " : "", why,
                t->name);
        return -1;
    }
    if (!strcmp(state, S_RUNNING) && (verb != PV_RESTART || pid != t->pid)) {
        printf("%s: running\n", t->name);
        return 1;
    }
    /* a one-off that ran and ended with status 0 (`restart = no`) */
    if (!strcmp(state, S_EXITED) && starts > t->starts) {
        const char *note = field_str(o, "note");
        printf("%s: ran and exited%s%s\n", t->name, *note ? ": " : "", note);
        return 1;
    }
    return 0;
}

/* Follow the targets until each is where verb wants it, for timeout
 * seconds at most; the worst exit status. */
static int follow(struct rtctl *ctl, enum proto_verb verb, struct target *t, size_t n, long timeout)
{
    int r = EXIT_OK;
    for (long waited = 0;; waited += 100) {
        json_t *arr;
        int q = get_status(ctl, &arr);
        if (q != EXIT_OK)
            return q;
        size_t left = 0;
        for (size_t i = 0; i < n; i++) {
            if (t[i].done)
                continue;
            json_t *o = entry(arr, t[i].name);
            int a = arrived(ctl, verb, &t[i], o);
            if (a < 0)
                r = EXIT_FAIL;
            if (a != 0) {
                t[i].done = true;
                continue;
            }
            if (waited < timeout * 1000) {
                left++;
                continue;
            }
            /* not what was asked within the time given: a failure, so that
             * a script (or a deploy) does not go on as if it were */
            const char *waiting = field_str(o, "waiting_for"), *why = field_str(o, "note");
            log_msg(&ctl->log, LOG_ERR, "%s is %s after %lds%s%s%s%s", t[i].name, o ? field_str(o, "state") : "gone",
                    timeout, *waiting ? ", waiting for " : "", waiting, *why && !*waiting ? ": " : "",
                    *waiting ? "" : why);
            r = EXIT_FAIL;
        }
        json_decref(arr);
        if (!left)
            return r;
        sleep_ms(100);
    }
}

/* Ask for verb on the named services at once, then follow them. Names
 * rtinit does not list are said and skipped (the rest are acted on, as
 * docker stop does); the worst exit status. */
static int act(struct rtctl *ctl, enum proto_verb verb, char **names, size_t n, long timeout)
{
    json_t *arr;
    int r = get_status(ctl, &arr);
    if (r != EXIT_OK)
        return r;
    struct target *t = calloc(n ? n : 1, sizeof(*t));
    struct proto_req *req = malloc(sizeof(*req));
    if (!t || !req) {
        log_msg(&ctl->log, LOG_ERR, "out of memory");
        json_decref(arr);
        free(t);
        free(req);
        return EXIT_FAIL;
    }
    proto_req_init(req, verb);
    size_t nt = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *o = entry(arr, names[i]);
        struct rt_err err;
        if (!o) {
            log_msg(&ctl->log, LOG_ERR, "no service '%s' (rtctl status lists them)", names[i]);
            r = EXIT_FAIL;
        } else if (proto_req_add(req, names[i], &err) == 0) {
            t[nt++] = (struct target){names[i], json_integer_value(json_object_get(o, "pid")),
                                      json_integer_value(json_object_get(o, "starts")), false};
        } /* else named twice: once is enough */
    }
    json_decref(arr);
    struct proto_ans ans;
    int q = nt ? rtctl_ask(ctl, req, &ans) : EXIT_OK;
    free(req);
    if (q != EXIT_OK || !nt) {
        free(t);
        return q != EXIT_OK ? q : r;
    }
    /* each service's own answer: those refused are said, and not followed */
    json_t *res = json_object_get(ans.data, "services");
    if (!ans.ok && !json_is_array(res)) {
        log_msg(&ctl->log, LOG_ERR, "%s", ans.error);
        r = EXIT_FAIL;
        for (size_t i = 0; i < nt; i++)
            t[i].done = true;
    }
    size_t k;
    json_t *e;
    json_array_foreach(res, k, e) {
        if (json_is_true(json_object_get(e, "ok")) || k >= nt)
            continue;
        log_msg(&ctl->log, LOG_ERR, "%s", field_str(e, "error"));
        t[k].done = true;
        r = EXIT_FAIL;
    }
    proto_ans_free(&ans);
    q = follow(ctl, verb, t, nt, timeout);
    free(t);
    return q > r ? q : r;
}

/* Every service rtinit runs (not those removed from conf.d, nor those
 * left out at boot), in its start order: by stage of dependencies, the
 * ones depended on first. *names points into *arr. */
static int all_services(struct rtctl *ctl, json_t **arr, char ***names, size_t *n)
{
    int r = get_status(ctl, arr);
    if (r != EXIT_OK)
        return r;
    *names = calloc(json_array_size(*arr) + 1, sizeof(char *));
    if (!*names) {
        json_decref(*arr);
        log_msg(&ctl->log, LOG_ERR, "out of memory");
        return EXIT_FAIL;
    }
    *n = 0;
    size_t k;
    json_t *o;
    json_array_foreach(*arr, k, o) {
        if (json_is_true(json_object_get(o, "removed")) || json_is_true(json_object_get(o, "conf_error")))
            continue;
        (*names)[(*n)++] = (char *)field_str(o, "name");
    }
    return EXIT_OK;
}

/* rtctl stop --all: one service at a time, the last to start first, each
 * down before the next is asked: what depends on a service never outlives
 * it (a service's status does not say what it depends on, so the reverse
 * of the start order is what keeps the order right). */
static int stop_all(struct rtctl *ctl, char **names, size_t n, long timeout)
{
    int r = EXIT_OK;
    for (size_t i = n; i-- > 0;) {
        int q = act(ctl, PV_STOP, &names[i], 1, timeout);
        if (q == EXIT_UNREACHABLE)
            return q;
        r = q > r ? q : r;
    }
    return r;
}

static int control_verb(struct rtctl *ctl, int argc, char **argv, enum proto_verb verb, const char *usage_line)
{
    static const struct option opts[] = {
        {"timeout", required_argument, NULL, 't'}, {"all", no_argument, NULL, 'a'}, {0}};
    struct verb_opts o = {.timeout = 60};
    int i = rtctl_getopt(ctl, argc, argv, "t:a", opts, on_verb_opt, &o, usage_line);
    if (i < 0)
        return EXIT_USAGE;
    if (o.all == (i < argc)) {
        log_msg(&ctl->log, LOG_ERR, "%s\nusage: %s", o.all ? "--all, or services by name, not both" : "which service?",
                usage_line);
        return EXIT_USAGE;
    }
    if (!o.all)
        return act(ctl, verb, argv + i, (size_t)(argc - i), o.timeout);
    json_t *arr;
    char **names;
    size_t n;
    int r = all_services(ctl, &arr, &names, &n);
    if (r != EXIT_OK)
        return r;
    /* restart --all: every service down, the dependents first, then every
     * one up again in the start order, as at boot; start --all: up only */
    if (verb != PV_START)
        r = stop_all(ctl, names, n, o.timeout);
    if (verb != PV_STOP && r != EXIT_UNREACHABLE && n) {
        int q = act(ctl, PV_START, names, n, o.timeout);
        r = q > r ? q : r;
    }
    free(names);
    json_decref(arr);
    return r;
}

int cmd_stop(struct rtctl *ctl, int argc, char **argv)
{
    return control_verb(ctl, argc, argv, PV_STOP, usage_stop);
}

int cmd_start(struct rtctl *ctl, int argc, char **argv)
{
    return control_verb(ctl, argc, argv, PV_START, usage_start);
}

int cmd_restart(struct rtctl *ctl, int argc, char **argv)
{
    return control_verb(ctl, argc, argv, PV_RESTART, usage_restart);
}

/* rtctl kill [-s SIGNAL] SERVICE...: the signal (SIGKILL unless given)
 * to each service's main process, as docker kill. rtctl does not wait:
 * what follows is the service's restart policy's (docs/rtinit.md). */
int cmd_kill(struct rtctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"signal", required_argument, NULL, 's'}, {0}};
    struct verb_opts o = {.sig = SIGKILL};
    int i = rtctl_getopt(ctl, argc, argv, "s:", opts, on_verb_opt, &o, usage_kill);
    if (i < 0)
        return EXIT_USAGE;
    if (i >= argc) {
        log_msg(&ctl->log, LOG_ERR, "which service?\nusage: %s", usage_kill);
        return EXIT_USAGE;
    }
    struct proto_req *req = malloc(sizeof(*req));
    if (!req) {
        log_msg(&ctl->log, LOG_ERR, "out of memory");
        return EXIT_FAIL;
    }
    proto_req_init(req, PV_KILL);
    req->signal = o.sig;
    int r = EXIT_OK;
    for (; i < argc; i++) {
        struct rt_err err;
        if (proto_req_add(req, argv[i], &err) < 0 && !strstr(err.msg, "named twice")) {
            log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
            r = EXIT_FAIL;
        }
    }
    struct proto_ans ans;
    int q = req->nservices ? rtctl_ask(ctl, req, &ans) : EXIT_OK;
    bool asked = req->nservices > 0;
    free(req);
    if (q != EXIT_OK || !asked)
        return q != EXIT_OK ? q : r;
    json_t *res = json_object_get(ans.data, "services");
    if (!json_is_array(res) && !ans.ok) {
        log_msg(&ctl->log, LOG_ERR, "%s", ans.error);
        r = EXIT_FAIL;
    }
    size_t k;
    json_t *e;
    json_array_foreach(res, k, e) {
        if (json_is_true(json_object_get(e, "ok"))) {
            printf("%s\n", field_str(e, "message"));
        } else {
            log_msg(&ctl->log, LOG_ERR, "%s", field_str(e, "error"));
            r = EXIT_FAIL;
        }
    }
    proto_ans_free(&ans);
    return r;
}

/* ---------- reload, poweroff, reboot, halt ---------- */

static int on_dry_run(struct rtctl *ctl, int opt, const char *arg, void *ud)
{
    (void)ctl;
    (void)arg;
    if (opt != 'n')
        return -1;
    *(bool *)ud = true;
    return 0;
}

/* A request whose answer is a message to print: rtinit's words, or its
 * error (exit 1). */
static int say_answer(struct rtctl *ctl, const struct proto_req *req)
{
    struct proto_ans ans;
    int r = ask_ok(ctl, req, &ans);
    if (r != EXIT_OK)
        return r;
    if (ans.message)
        printf("%s\n", ans.message);
    proto_ans_free(&ans);
    return EXIT_OK;
}

/* The answer's text: the summary, a line for each service that changes;
 * refused (an invalid conf.d, a missing image, the store busy): the
 * errors, exit 1, nothing changed. */
int cmd_reload(struct rtctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"dry-run", no_argument, NULL, 'n'}, {0}};
    bool dry = false;
    int i = rtctl_getopt(ctl, argc, argv, "n", opts, on_dry_run, &dry, usage_reload);
    if (i < 0)
        return EXIT_USAGE;
    if (i < argc) {
        log_msg(&ctl->log, LOG_ERR, "unexpected argument '%s'\nusage: %s", argv[i], usage_reload);
        return EXIT_USAGE;
    }
    struct proto_req req;
    proto_req_init(&req, PV_RELOAD);
    req.dry_run = dry;
    return say_answer(ctl, &req);
}

/* rtinit says "powering off" (or why not: it is not PID 1, or is already
 * going down for another end) before it stops anything; that is printed,
 * and rtctl is done. The stop itself takes as long as the services do
 * (stop_timeout each at most); the machine's console and rtinit.log
 * follow it. */
static int power_verb(struct rtctl *ctl, int argc, char **argv, enum proto_verb verb, const char *usage_line)
{
    int r = no_operands(ctl, argc, argv, usage_line);
    if (r != EXIT_OK)
        return r;
    struct proto_req req;
    proto_req_init(&req, verb);
    return say_answer(ctl, &req);
}

int cmd_poweroff(struct rtctl *ctl, int argc, char **argv)
{
    return power_verb(ctl, argc, argv, PV_POWEROFF, usage_poweroff);
}

int cmd_reboot(struct rtctl *ctl, int argc, char **argv)
{
    return power_verb(ctl, argc, argv, PV_REBOOT, usage_reboot);
}

int cmd_halt(struct rtctl *ctl, int argc, char **argv)
{
    return power_verb(ctl, argc, argv, PV_HALT, usage_halt);
}

/* ---------- version ---------- */

/* rtctl's version and protocol, then rtinit's: they differ after an
 * upgrade until rtinit is restarted (as PID 1, until the next boot).
 * Exit 3 when no rtinit answers, as docker version fails without its
 * daemon. */
int cmd_version(struct rtctl *ctl, int argc, char **argv)
{
    int r = no_operands(ctl, argc, argv, usage_version);
    if (r != EXIT_OK)
        return r;
    printf("rtctl %s (protocol %d)\n", RT_VERSION, PROTO_VERSION);
    fflush(stdout);
    struct proto_req req;
    proto_req_init(&req, PV_VERSION);
    return say_answer(ctl, &req);
}

/* ---------- health ---------- */

/* rtctl health SERVICE: its last checks, the oldest first, each with
 * what it printed (docker inspect's State.Health.Log). */
int cmd_health(struct rtctl *ctl, int argc, char **argv)
{
    int i = rtctl_getopt(ctl, argc, argv, "", NULL, NULL, NULL, usage_health);
    if (i < 0)
        return EXIT_USAGE;
    if (argc - i != 1) {
        log_msg(&ctl->log, LOG_ERR, "%s\nusage: %s", i < argc ? "one service at a time" : "which service?",
                usage_health);
        return EXIT_USAGE;
    }
    struct proto_req req;
    struct rt_err err;
    proto_req_init(&req, PV_HEALTH);
    if (proto_req_add(&req, argv[i], &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "no service '%s' (rtctl status lists them)", argv[i]);
        return EXIT_FAIL;
    }
    struct proto_ans ans;
    int r = ask_ok(ctl, &req, &ans);
    if (r != EXIT_OK)
        return r;
    json_t *o = ans.data;
    json_t *checks = json_object_get(o, "checks");
    if (!json_is_array(checks)) {
        log_msg(&ctl->log, LOG_ERR, "rtinit's answer is not a health report");
        proto_ans_free(&ans);
        return EXIT_FAIL;
    }
    const char *health = json_string_value(json_object_get(o, "health"));
    if (!json_is_true(json_object_get(o, "has_check")))
        printf("%s has no healthcheck\n", argv[i]);
    else
        printf("%s: %s\n", argv[i], health && *health ? health : "not running");
    size_t k;
    json_t *c;
    json_array_foreach(checks, k, c) {
        json_int_t at = json_integer_value(json_object_get(c, "at_ms"));
        time_t t = (time_t)(at / 1000);
        struct tm tm;
        char when[32] = "?";
        if (gmtime_r(&t, &tm))
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        const char *res = json_string_value(json_object_get(c, "result"));
        const char *out = json_string_value(json_object_get(c, "output"));
        printf("%s.%03dZ %5lldms %-4s %s\n", when, (int)(at % 1000),
               (long long)json_integer_value(json_object_get(c, "took_ms")),
               json_is_true(json_object_get(c, "ok")) ? "ok" : "FAIL", res ? res : "?");
        /* what it printed, indented, the last newline dropped */
        if (out && *out) {
            size_t n = strlen(out);
            while (n && out[n - 1] == '\n')
                n--;
            printf("    ");
            for (size_t m = 0; m < n; m++)
                fputs(out[m] == '\n' ? "\n    " : (char[]){out[m], 0}, stdout);
            putchar('\n');
        }
    }
    proto_ans_free(&ans);
    return EXIT_OK;
}
