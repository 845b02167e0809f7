/* rtctl status: what rtinit is doing with each service, asked over its
 * control socket. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../lib/paths.h"
#include "../lib/util.h"
#include "rtctl.h"

static const char usage_status[] = "rtctl status";

/* Send one request to rtinit and read its one answer (malloc'd). */
static char *ask(struct rtctl *ctl, const struct rt_paths *paths, const char *req)
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
        log_msg(&ctl->log, LOG_ERR, "%s", buf + 7);
        free(buf);
        return NULL;
    }
    return buf;
}

int cmd_status(struct rtctl *ctl, int argc, char **argv)
{
    int i = rtctl_getopt(ctl, argc, argv, "", NULL, NULL, NULL, usage_status);
    if (i < 0)
        return EXIT_USAGE;
    if (i < argc) {
        log_msg(&ctl->log, LOG_ERR, "unexpected argument '%s'\nusage: %s", argv[i], usage_status);
        return EXIT_USAGE;
    }
    struct rt_paths paths;
    struct rt_err err;
    if (rt_paths_init(&paths, ctl->conf_dir, ctl->root, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        return EXIT_FAIL;
    }
    char *text = ask(ctl, &paths, "status");
    if (!text)
        return EXIT_FAIL;
    json_error_t je;
    json_t *arr = json_loads(text, 0, &je);
    free(text);
    if (!json_is_array(arr)) {
        log_msg(&ctl->log, LOG_ERR, "rtinit's answer is not a status list: %s", je.text);
        json_decref(arr);
        return EXIT_FAIL;
    }
    printf("%-20s %-10s %-9s %7s %8s  %s\n", "SERVICE", "STATE", "HEALTH", "PID", "RESTARTS", "NOTE");
    size_t k;
    json_t *o;
    json_array_foreach(arr, k, o) {
        const char *name = "?", *state = "?", *health = "", *waiting = "", *last = NULL;
        int pid = 0, restarts = 0;
        json_unpack(o, "{s?s, s?s, s?s, s?i, s?i, s?s, s?s}", "name", &name, "state", &state, "health", &health,
                    "pid", &pid, "restarts", &restarts, "waiting_for", &waiting, "last_check", &last);
        char pids[16] = "-";
        if (pid)
            snprintf(pids, sizeof(pids), "%d", pid);
        char note[320] = "";
        if (*waiting)
            snprintf(note, sizeof(note), "waiting for %s", waiting);
        else if (last)
            snprintf(note, sizeof(note), "last check: %s", last);
        printf("%-20s %-10s %-9s %7s %8d  %s\n", name, state, *health ? health : "-", pids, restarts, note);
    }
    json_decref(arr);
    return EXIT_OK;
}
