/* rtctl_tty.c - the user's terminal joined to a container's pty (see
 * rtctl_tty.h).
 *
 * Only bytes cross: what the user types is written to the pty's master,
 * what the container writes is read from it and written to our stdout.
 * The user's terminal is never given to the container, so nothing there
 * can change its mode, read its size behind our back or push input into
 * it (TIOCSTI); what it does to its own pty stays in the container.
 *
 * Our terminal is in raw mode while the process runs (the pty does the
 * line editing, echo and ^C for the container's side, as a terminal
 * emulator's pty does), and is put back before any message is printed and
 * on every way out: the signals a user sends to rtctl arrive on a
 * signalfd and are passed to the process, whose end brings us back here;
 * SIGPIPE is ignored (a closed stdout is a failed write). Only SIGKILL
 * and SIGSTOP cannot be caught, as for any terminal program (`reset` or
 * `stty sane` then). */
#include "rtctl_tty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

/* Between the pty and us: at most this much in flight each way. */
#define CHUNK 8192
/* After the process ended: what it wrote is read until the pty says no
 * writer is left (EIO), or nothing more came for QUIET_MS (a process it
 * left in the background holds the terminal), at most DRAIN_MS. */
#define QUIET_MS 100
#define DRAIN_MS 2000

int tty_link_init(struct rtctl *ctl, struct tty_link *t, bool input, unsigned short *rows, unsigned short *cols)
{
    *t = (struct tty_link){.input = input, .term = isatty(0) ? 0 : isatty(1) ? 1 : -1};
    *rows = *cols = 0;
    if (input && t->term != 0) {
        log_msg(&ctl->log, LOG_ERR,
                "-i with -t: stdin is not a terminal; without -t, stdin (a pipe or a file) is passed as it is");
        return -1;
    }
    struct winsize ws;
    if (t->term >= 0 && ioctl(t->term, TIOCGWINSZ, &ws) == 0) {
        *rows = ws.ws_row;
        *cols = ws.ws_col;
    }
    return 0;
}

/* Our size to the pty: the kernel sends SIGWINCH to its foreground group. */
static void resize(const struct tty_link *t, int master)
{
    struct winsize ws;
    if (t->term >= 0 && ioctl(t->term, TIOCGWINSZ, &ws) == 0)
        ioctl(master, TIOCSWINSZ, &ws);
}

/* All of buf to fd (our stdout may be non-blocking: it is shared with
 * whoever started us); false once it cannot be written any more. */
static bool write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            poll(&p, 1, 1000);
            continue;
        }
        if (n <= 0)
            return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The process ended: what it wrote before is still in the pty. */
static void drain(int master, bool *out_ok)
{
    char buf[CHUNK];
    long long end = now_ms() + DRAIN_MS;
    for (long long left = DRAIN_MS; left > 0; left = end - now_ms()) {
        struct pollfd p = {.fd = master, .events = POLLIN};
        int r = poll(&p, 1, left < QUIET_MS ? (int)left : QUIET_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        ssize_t n = read(master, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) /* EIO: no writer left */
            return;
        if (*out_ok)
            *out_ok = write_all(1, buf, (size_t)n);
    }
}

static void restore(struct tty_link *t)
{
    if (t->raw)
        tcsetattr(0, TCSANOW, &t->saved);
    t->raw = false;
}

int tty_link_run(struct rtctl *ctl, struct tty_link *t, struct ctr *c, int sfd, int *status)
{
    int m = c->tty;
    *status = -1;
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old_pipe);
    int fl = fcntl(m, F_GETFL);
    if (fl < 0 || fcntl(m, F_SETFL, fl | O_NONBLOCK) < 0) {
        log_msg(&ctl->log, LOG_ERR, "the terminal's master: %s", strerror(errno));
        return -1;
    }
    if (t->input && t->term == 0 && tcgetattr(0, &t->saved) == 0) {
        struct termios raw = t->saved;
        cfmakeraw(&raw);
        t->raw = tcsetattr(0, TCSANOW, &raw) == 0;
    }
    resize(t, m); /* it may have changed since the start */
    char in[CHUNK], out[CHUNK];
    size_t in_len = 0, in_off = 0;
    bool in_open = t->input, m_open = true, out_ok = true, ended = false;
    const char *failed = NULL;
    int failed_errno = 0;
    while (!ended) {
        struct pollfd p[4] = {
            {.fd = c->pidfd, .events = POLLIN},
            {.fd = sfd, .events = POLLIN},
            {.fd = m_open ? m : -1, .events = (short)(POLLIN | (in_len ? POLLOUT : 0))},
            {.fd = in_open && !in_len ? 0 : -1, .events = POLLIN},
        };
        if (poll(p, 4, -1) < 0) {
            if (errno == EINTR)
                continue;
            failed = "poll", failed_errno = errno;
            break;
        }
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGWINCH)
                    resize(t, m);
                else
                    ctr_signal(c, (int)si.ssi_signo);
            }
        }
        if (p[3].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(0, in, sizeof(in));
            if (n > 0)
                in_len = (size_t)n, in_off = 0;
            else if (n == 0 || (errno != EINTR && errno != EAGAIN))
                in_open = false; /* a terminal hung up */
        }
        if (m_open && in_len && (p[2].revents & POLLOUT)) {
            ssize_t n = write(m, in + in_off, in_len - in_off);
            if (n > 0 && (in_off += (size_t)n) == in_len)
                in_len = 0;
            else if (n < 0 && errno != EINTR && errno != EAGAIN)
                in_len = 0; /* nobody reads it any more */
        }
        if (m_open && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(m, out, sizeof(out));
            if (n > 0) {
                if (out_ok)
                    out_ok = write_all(1, out, (size_t)n);
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                m_open = false; /* EIO: every slave closed; the process may still run */
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP)) {
            if (m_open)
                drain(m, &out_ok);
            ended = true;
        }
    }
    restore(t);
    sigaction(SIGPIPE, &old_pipe, NULL);
    if (failed) {
        log_msg(&ctl->log, LOG_ERR, "%s: %s", failed, strerror(failed_errno));
        return -1;
    }
    struct rt_err err;
    if (ctr_wait(c, status, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        return -1;
    }
    return 0;
}
