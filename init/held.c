/* held.c - STATE/held: the services rtctl stop left down, one name a
 * line. Kept for restart = unless-stopped, which (as in docker) stays
 * down until rtctl start, across restarts of rtinit and reboots; every
 * other policy starts with rtinit again.
 *
 * The file is written whole or not at all (write_file_atomic: a temporary
 * file, fsync, rename, fsync of the directory), so a power cut leaves the
 * old list or the new one, never a part. Those fsyncs wait on the disk,
 * which PID 1's loop must never do (a slow or failing disk would stall
 * every service's supervision, health checks and rtctl behind an rtctl
 * stop): a child writes the file, and the loop reaps it as it reaps the
 * others (held_reaped()). One child at a time, so that the files are
 * renamed in the order the changes happened: a change while one writes
 * is written by the next, once it is reaped. What a power cut can lose is
 * only the last changes, those whose child had not renamed its file yet
 * (milliseconds, or as long as the disk takes): the services stopped or
 * started then come up as before the change. At rtinit's end it waits for
 * the child and writes what is left (held_finish()), before the machine
 * is powered off.
 *
 * The child shares the loop's file table (CLONE_FILES), not a copy of it:
 * a copy would hold every descriptor open a little longer than the loop
 * (a container's lock, a client's socket, the log writer's pipe), and a
 * close in the loop meant to be seen by the other end would not be. It
 * opens and closes only its own (O_CLOEXEC, for what the loop forks
 * meanwhile); a child killed before it closed them (the OOM killer)
 * leaves those two open in rtinit, which is the lesser cost. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/fileio.h"
#include "sup.h"

/* The list into text; its length. */
static size_t held_text(const struct sup *s, char *text, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].held && n + strlen(s->v[i].name) + 2 < cap)
            n += (size_t)snprintf(text + n, cap - n, "%s\n", s->v[i].name);
    return n;
}

/* 0, or the errno of what failed (its message in err). */
static int held_write(const char *state_dir, const char *text, size_t n, struct rt_err *err)
{
    int dir = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        rt_syserror(err, "opening the directory");
        return errno ? errno : EIO;
    }
    int rc = write_file_atomic(dir, "held", text, n, err) < 0 ? (err->errnum ? err->errnum : EIO) : 0;
    close(dir);
    return rc;
}

static void held_failed(struct sup *s, const char *why)
{
    say(s, LOG_WARN, "%s/held: %s; after a restart of rtinit, services stopped by rtctl start again",
        s->paths->state_dir, why);
}

void held_save(struct sup *s)
{
    if (s->held_pid > 0) {
        s->held_again = true;
        return;
    }
    char text[CONF_MAX_SERVICES * 66 + 1];
    size_t n = held_text(s, text, sizeof(text));
    /* a raw clone, as fork() without its handlers: only the writing
     * below runs in the child, on a copy of this stack */
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0);
    if (pid == 0) {
        struct rt_err err;
        int rc = held_write(s->paths->state_dir, text, n, &err);
        _exit(rc > 0 && rc < 256 ? rc : rc ? EIO : 0);
    }
    if (pid > 0) {
        s->held_pid = pid;
        return;
    }
    /* no process to be had (out of memory, pids.max): written here, the
     * loop waiting on the disk this once rather than the list lost */
    struct rt_err err;
    if (held_write(s->paths->state_dir, text, n, &err))
        held_failed(s, err.msg);
}

bool held_reaped(struct sup *s, pid_t pid, int status)
{
    if (s->held_pid <= 0 || pid != s->held_pid)
        return false;
    s->held_pid = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status)) {
        char why[160];
        snprintf(why, sizeof(why), "writing it: %s", strerror(WEXITSTATUS(status)));
        held_failed(s, why);
    } else if (!WIFEXITED(status)) {
        held_failed(s, "its writer was killed");
    }
    if (s->held_again) {
        s->held_again = false;
        held_save(s);
    }
    return true;
}

/* At most HELD_FINISH_MS for the writer at the end: a child stuck in
 * fsync on a disk that no longer answers (a detached block volume) must
 * not keep the droplet from powering off; the list may then be stale,
 * and that is said. */
#define HELD_FINISH_MS 5000

void held_finish(struct sup *s)
{
    while (s->held_pid > 0) {
        int pfd = (int)syscall(SYS_pidfd_open, s->held_pid, 0);
        if (pfd >= 0) {
            struct pollfd p = {.fd = pfd, .events = POLLIN};
            int r;
            while ((r = poll(&p, 1, HELD_FINISH_MS)) < 0 && errno == EINTR)
                ;
            close(pfd);
            if (r == 0) {
                held_failed(s, "its writer did not finish within 5 s (the disk?); the list may be the one before");
                s->held_pid = 0;
                break;
            }
        }
        int status;
        pid_t pid = waitpid(s->held_pid, &status, 0);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0) { /* reaped by someone else: nothing to say */
            s->held_pid = 0;
            break;
        }
        held_reaped(s, pid, status);
    }
    /* held_reaped() started the next one, if any: waited for above */
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
