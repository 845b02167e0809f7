/* ctrinit - PID 1 of a container started with `init = true` (compose's
 * `init: true`) or `rtctl run --init`.
 *
 * Why: the kernel delivers to PID 1 of a PID namespace only the signals
 * it has a handler for (SIGKILL and SIGSTOP from outside excepted). node,
 * busybox httpd or sleep, run as PID 1, install no SIGTERM handler, so a
 * stop waited the whole stop_timeout and ended in SIGKILL. They also never
 * reap the orphans that are re-parented to PID 1, which stay zombies.
 *
 * What: the command runs as our child (execvp, in the container's PATH);
 * we forward it every signal we get, reap every process that ends, and
 * exit as the command exited. Like docker-init (tini without -g), signals
 * go to the command's process only, not to its process group: a program
 * that manages workers (nginx, a cluster of node) expects to be the one
 * told, and does the telling; a shell that does not exec its command
 * passes the signal on or dies, and then the kernel ends every process of
 * the namespace with us. We exit as soon as the command ends (the rest of
 * the namespace gets SIGKILL from the kernel then), as tini does.
 *
 * A PID 1 cannot die of a signal it did not ask for, not even one it
 * sends itself: when the command was killed by signal N we exit with
 * 128+N, as tini and a shell do, and the runtime reports it as killed
 * by N (ctr_exit_status in runtime/ctrinit_fd.c).
 *
 * How it gets here: built static (musl, ~20 KiB: any image, with or
 * without a libc, can run it), embedded in the runtime's binary, copied
 * for each start into a sealed memfd and executed from it as the last
 * step of the container's setup (runtime/ctrinit_fd.c, child.c). Nothing
 * is mounted into the container, and /proc/1/exe is a memfd nobody can
 * write. The runtime checked the command against the container's PATH
 * before; it blocked every signal before exec, so none sent while we
 * start is lost: they wait, pending, for sigwaitinfo.
 *
 * It runs with the container's credentials, capabilities and seccomp
 * filter: fork (plain clone), execve, wait4, kill, rt_sigprocmask,
 * rt_sigtimedwait, prctl, exit_group, write; with a terminal, ioctl and
 * setpgid.
 *
 * Usage (the runtime's): ctrinit -- COMMAND [ARG...] */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *a, const char *b)
{
    char msg[512];
    int n = snprintf(msg, sizeof(msg), "%s: %s\n", a, b);
    if (n > 0 && write(2, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1) < 0) {
        /* nobody to tell */
    }
}

int main(int argc, char **argv)
{
    /* exec'd from an fd, we are named after it ("3") in ps */
    prctl(PR_SET_NAME, "ctrinit", 0, 0, 0);
    int first = argc > 1 && !strcmp(argv[1], "--") ? 2 : 1;
    if (first >= argc) {
        say("ctrinit", "usage: ctrinit -- COMMAND [ARG...]");
        return 2;
    }
    /* Every signal we can block is kept for sigwaitinfo (the runtime
     * blocked them already; this is for a start by hand). A fault of our
     * own still kills us: the kernel forces those through a block. */
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &all, NULL) < 0) {
        say("ctrinit: sigprocmask", strerror(errno));
        return 127;
    }
    pid_t child = fork();
    if (child < 0) {
        say("ctrinit: fork", strerror(errno));
        return 127;
    }
    if (child == 0) {
        /* the command gets what a container's first process gets: default
         * dispositions (never changed here) and nothing blocked */
        /* With a terminal (rtctl run -t --init), the command's own
         * process group is its foreground one, as tini does it: ^C and
         * SIGWINCH go to the command, not to us as well (we would pass
         * them on a second time). Signals are still blocked: SIGTTOU
         * cannot stop us here. Without a terminal, nothing changes. */
        if (isatty(0) && setpgid(0, 0) == 0 && tcsetpgrp(0, getpid()) < 0) {
            /* the terminal stays the group's we share: still usable */
        }
        if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
            _exit(127);
        execvp(argv[first], argv + first);
        int e = errno;
        say(argv[first], strerror(e)); /* as a shell says it */
        _exit(e == ENOENT ? 127 : 126);
    }
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0)
            continue; /* EINTR: nothing else can happen */
        if (sig != SIGCHLD) {
            /* ESRCH: it just ended; its SIGCHLD is on its way */
            kill(child, sig);
            continue;
        }
        /* one SIGCHLD may stand for many: reap every one that ended */
        for (;;) {
            int status;
            pid_t p = waitpid(-1, &status, WNOHANG);
            if (p <= 0)
                break;
            if (p != child)
                continue; /* an orphan re-parented to us: reaped is all it needs */
            if (WIFEXITED(status))
                return WEXITSTATUS(status);
            return 128 + WTERMSIG(status);
        }
    }
}
