/* rtctl stop, start, restart, reload, poweroff, reboot, halt (status,
 * inspect and stats: rtctl_status.c, rtctl_stats.c):
 * requests to rtinit over its control socket (init/control.c). rtinit
 * answers at once and never waits; stop, start and restart then follow
 * the service's state here until it has changed, as docker's commands do.
 * reload --dry-run asks what a reload would do. poweroff, reboot and halt
 * return once rtinit (PID 1) has taken the request: the services stop and
 * the machine goes down after. */
#include <errno.h>
#include <jansson.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../lib/paths.h"
#include "../lib/util.h"
#include "rtctl.h"

static const char usage_stop[] = "rtctl stop [-t SECONDS] SERVICE...";
static const char usage_start[] = "rtctl start [-t SECONDS] SERVICE...";
static const char usage_restart[] = "rtctl restart [-t SECONDS] SERVICE...";
static const char usage_reload[] = "rtctl reload [--dry-run]";
static const char usage_poweroff[] = "rtctl poweroff";
static const char usage_reboot[] = "rtctl reboot";
static const char usage_halt[] = "rtctl halt";

/* Send one request to rtinit and read its one answer (malloc'd); an
 * error answer is said (unless quiet) and gives NULL. */
static char *ask_as(struct rtctl *ctl, const struct rt_paths *paths, const char *req, bool quiet)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(paths->socket) >= sizeof(sa.sun_path)) {
        log_msg(&ctl->log, LOG_ERR, "%s: path too long", paths->socket);
        return NULL;
    }
    strcpy(sa.sun_path, paths->socket);
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (errno == ENOENT || errno == ECONNREFUSED)
            log_msg(&ctl->log, LOG_ERR, "rtinit is not running (nothing answers at %s)", paths->socket);
        else
            log_msg(&ctl->log, LOG_ERR, "%s: %s", paths->socket, strerror(errno));
        return NULL;
    }
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s: %s", paths->socket, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20;
    char *buf = malloc(cap + 1);
    ssize_t n = buf ? recv(fd, buf, cap, 0) : -1;
    if (n <= 0) {
        log_msg(&ctl->log, LOG_ERR, "rtinit did not answer: %s", n < 0 ? strerror(errno) : "connection closed");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (startswith(buf, "error: ")) {
        if (!quiet)
            log_msg(&ctl->log, LOG_ERR, "%s", buf + 7);
        free(buf);
        return NULL;
    }
    return buf;
}

static char *ask(struct rtctl *ctl, const struct rt_paths *paths, const char *req)
{
    return ask_as(ctl, paths, req, false);
}

char *rtctl_ask(struct rtctl *ctl, const struct rt_paths *paths, const char *req, bool quiet)
{
    return ask_as(ctl, paths, req, quiet);
}

static int paths_for(struct rtctl *ctl, struct rt_paths *paths)
{
    struct rt_err err;
    if (rt_paths_init(paths, ctl->conf_dir, ctl->root, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        return -1;
    }
    return 0;
}

static json_t *get_status(struct rtctl *ctl, const struct rt_paths *paths)
{
    char *text = ask(ctl, paths, "status");
    if (!text)
        return NULL;
    json_error_t je;
    json_t *arr = json_loads(text, 0, &je);
    free(text);
    if (!json_is_array(arr)) {
        log_msg(&ctl->log, LOG_ERR, "rtinit's answer is not a status list: %s", je.text);
        json_decref(arr);
        return NULL;
    }
    return arr;
}

/* ---------- stop, start, restart ---------- */

static int on_timeout(struct rtctl *ctl, int opt, const char *arg, void *ud)
{
    if (opt != 't')
        return -1;
    char *end;
    long v = strtol(arg, &end, 10);
    if (*end || end == arg || v < 0 || v > 86400) {
        log_msg(&ctl->log, LOG_ERR, "--timeout: '%s' is not a number of seconds (0 to 86400)", arg);
        return -1;
    }
    *(long *)ud = v;
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

static void sleep_ms(long ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

/* Ask, then follow the service's state until it is what verb wants:
 * stop: down; start: running; restart: running with another pid. */
static int act(struct rtctl *ctl, const struct rt_paths *paths, const char *verb, const char *name, long timeout)
{
    json_t *arr = get_status(ctl, paths);
    if (!arr)
        return -1;
    json_t *o = entry(arr, name);
    if (!o) {
        log_msg(&ctl->log, LOG_ERR, "no service '%s' (rtctl status lists them)", name);
        json_decref(arr);
        return -1;
    }
    json_int_t oldpid = json_integer_value(json_object_get(o, "pid"));
    json_decref(arr);
    char req[128];
    snprintf(req, sizeof(req), "%s %s", verb, name);
    char *ans = ask(ctl, paths, req);
    if (!ans)
        return -1;
    free(ans);
    bool stop = !strcmp(verb, "stop"), restart = !strcmp(verb, "restart");
    for (long waited = 0;; waited += 100) {
        if (!(arr = get_status(ctl, paths)))
            return -1;
        o = entry(arr, name);
        const char *state = o ? json_string_value(json_object_get(o, "state")) : "gone";
        state = state ? state : "?";
        json_int_t pid = o ? json_integer_value(json_object_get(o, "pid")) : 0;
        const char *waiting = o ? json_string_value(json_object_get(o, "waiting_for")) : NULL;
        bool down = strcmp(state, "running") && strcmp(state, "stopping") && strcmp(state, "starting");
        bool done = stop ? down
                         : (!strcmp(state, "running") && (!restart || pid != oldpid)) || !strcmp(state, "failed");
        if (done || waited >= timeout * 1000) {
            int r = 0;
            if (done && !strcmp(state, "failed") && !stop) {
                const char *why = o ? json_string_value(json_object_get(o, "note")) : NULL;
                log_msg(&ctl->log, LOG_ERR, "%s failed to start%s%s (rtctl logs %s)", name, why ? ": " : "",
                        why ? why : "", name);
                r = -1;
            } else if (done) {
                printf("%s: %s\n", name, stop ? "stopped" : "running");
            } else {
                /* not what was asked within the time given: a failure, so
                 * that a script (or a deploy) does not go on as if it were */
                const char *why = o ? json_string_value(json_object_get(o, "note")) : NULL;
                log_msg(&ctl->log, LOG_ERR, "%s is %s after %lds%s%s%s%s", name, state, timeout,
                        waiting && *waiting ? ", waiting for " : "", waiting && *waiting ? waiting : "",
                        why && *why && !(waiting && *waiting) ? ": " : "", why && *why && !(waiting && *waiting) ? why : "");
                r = -1;
            }
            json_decref(arr);
            return r;
        }
        json_decref(arr);
        sleep_ms(100);
    }
}

static int control_verb(struct rtctl *ctl, int argc, char **argv, const char *verb, const char *usage_line)
{
    static const struct option opts[] = {{"timeout", required_argument, NULL, 't'}, {0}};
    long timeout = 60;
    int i = rtctl_getopt(ctl, argc, argv, "t:", opts, on_timeout, &timeout, usage_line);
    if (i < 0)
        return EXIT_USAGE;
    if (i >= argc) {
        log_msg(&ctl->log, LOG_ERR, "which service?\nusage: %s", usage_line);
        return EXIT_USAGE;
    }
    struct rt_paths paths;
    if (paths_for(ctl, &paths) < 0)
        return EXIT_FAIL;
    int r = EXIT_OK;
    for (; i < argc; i++)
        if (act(ctl, &paths, verb, argv[i], timeout) < 0)
            r = EXIT_FAIL;
    return r;
}

int cmd_stop(struct rtctl *ctl, int argc, char **argv)
{
    return control_verb(ctl, argc, argv, "stop", usage_stop);
}

int cmd_start(struct rtctl *ctl, int argc, char **argv)
{
    return control_verb(ctl, argc, argv, "start", usage_start);
}

int cmd_restart(struct rtctl *ctl, int argc, char **argv)
{
    return control_verb(ctl, argc, argv, "restart", usage_restart);
}

static int on_dry_run(struct rtctl *ctl, int opt, const char *arg, void *ud)
{
    (void)ctl;
    (void)arg;
    if (opt != 'n')
        return -1;
    *(bool *)ud = true;
    return 0;
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
    struct rt_paths paths;
    if (paths_for(ctl, &paths) < 0)
        return EXIT_FAIL;
    char *ans = ask(ctl, &paths, dry ? "reload dry-run" : "reload");
    if (!ans)
        return EXIT_FAIL;
    printf("%s\n", startswith(ans, "ok: ") ? ans + 4 : ans);
    free(ans);
    return EXIT_OK;
}

/* ---------- poweroff, reboot, halt ---------- */

/* rtinit says "powering off" (or why not: it is not PID 1, or is already
 * going down for another end) before it stops anything; that is printed,
 * and rtctl is done. The stop itself takes as long as the services do
 * (stop_timeout each at most); the machine's console and rtinit.log
 * follow it. */
static int power_verb(struct rtctl *ctl, int argc, char **argv, const char *verb, const char *usage_line)
{
    int i = rtctl_getopt(ctl, argc, argv, "", NULL, NULL, NULL, usage_line);
    if (i < 0)
        return EXIT_USAGE;
    if (i < argc) {
        log_msg(&ctl->log, LOG_ERR, "unexpected argument '%s'\nusage: %s", argv[i], usage_line);
        return EXIT_USAGE;
    }
    struct rt_paths paths;
    if (paths_for(ctl, &paths) < 0)
        return EXIT_FAIL;
    char *ans = ask(ctl, &paths, verb);
    if (!ans)
        return EXIT_FAIL;
    printf("%s\n", startswith(ans, "ok: ") ? ans + 4 : ans);
    free(ans);
    return EXIT_OK;
}

int cmd_poweroff(struct rtctl *ctl, int argc, char **argv)
{
    return power_verb(ctl, argc, argv, "poweroff", usage_poweroff);
}

int cmd_reboot(struct rtctl *ctl, int argc, char **argv)
{
    return power_verb(ctl, argc, argv, "reboot", usage_reboot);
}

int cmd_halt(struct rtctl *ctl, int argc, char **argv)
{
    return power_verb(ctl, argc, argv, "halt", usage_halt);
}

/* ---------- health ---------- */

static const char usage_health[] = "rtctl health SERVICE";

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
    struct rt_paths paths;
    if (paths_for(ctl, &paths) < 0)
        return EXIT_FAIL;
    char req[128];
    if (snprintf(req, sizeof(req), "health %s", argv[i]) >= (int)sizeof(req)) {
        log_msg(&ctl->log, LOG_ERR, "no service '%s' (rtctl status lists them)", argv[i]);
        return EXIT_FAIL;
    }
    char *text = ask(ctl, &paths, req);
    if (!text)
        return EXIT_FAIL;
    json_error_t je;
    json_t *o = json_loads(text, 0, &je);
    free(text);
    json_t *checks = json_object_get(o, "checks");
    if (!json_is_array(checks)) {
        log_msg(&ctl->log, LOG_ERR, "rtinit's answer is not a health report: %s", je.text);
        json_decref(o);
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
    json_decref(o);
    return EXIT_OK;
}
