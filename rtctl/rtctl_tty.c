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
 * signalfd and are passed to the process, whose end brings us back here,
 * even while our stdout is not being read (nothing here waits in a
 * write); SIGPIPE is ignored (a closed stdout is a failed write). The
 * modes the container's program set on the user's terminal through its
 * output (alternate screen, mouse, bracketed paste, hidden cursor) and
 * left set are reset at the end. Only SIGKILL and SIGSTOP cannot be
 * caught, as for any terminal program: after a SIGKILL the terminal
 * stays raw (`stty sane` or `reset` then). */
#include "rtctl_tty.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Between the pty and us: at most this much in flight each way. */
#define CHUNK 8192
/* After the process ended: see tty_link_run. */
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

/* Our stdout, written without ever blocking: a terminal nobody reads (a
 * stopped emulator, an ssh session gone quiet) or a pipe nobody drains
 * would otherwise hold rtctl in write() with every signal on the
 * signalfd unread, deaf to all but SIGKILL. Its file description is
 * shared with whoever started us (the shell), so O_NONBLOCK is not set on
 * it: a terminal or a FIFO is opened again, a description of our own,
 * non-blocking; a socket is written with MSG_DONTWAIT. Anything else (a
 * file) never waits for a reader. */
struct out {
    int fd;
    bool own;      /* fd is ours, opened again: close it */
    bool sock;     /* send(MSG_DONTWAIT) */
    bool nonblock; /* a write never blocks */
    bool tty;      /* a terminal: its modes are reset at the end */
};

static void out_open(struct out *o)
{
    *o = (struct out){.fd = 1, .tty = isatty(1)};
    struct stat st;
    int fl = fcntl(1, F_GETFL);
    if (fl < 0 || fstat(1, &st) < 0)
        return; /* writes fail, and are counted as such */
    o->nonblock = (fl & O_NONBLOCK) != 0;
    if (S_ISSOCK(st.st_mode)) {
        o->sock = o->nonblock = true;
    } else if (!o->nonblock && (o->tty || S_ISFIFO(st.st_mode))) {
        int fd = open("/proc/self/fd/1", O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0)
            o->fd = fd, o->own = o->nonblock = true;
    } else if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        o->nonblock = true; /* a file: written at once */
    }
}

/* Some of buf, as much as goes without waiting (-1 EAGAIN: none). A
 * blocking fd we could not open again (a hung-up terminal, a FIFO whose
 * reader went) gets at most PIPE_BUF once poll said POLLOUT, which a pipe
 * takes at once. */
static ssize_t out_write(const struct out *o, const char *buf, size_t len)
{
    if (o->sock)
        return send(o->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    return write(o->fd, buf, o->nonblock || len <= PIPE_BUF ? len : PIPE_BUF);
}

/* The terminal modes a program in the container may leave set when it
 * dies (or is killed) without putting them back: the alternate screen,
 * mouse reporting, bracketed paste, a hidden cursor. Each is "ESC [ ?
 * N h" to set, "ESC [ ? N l" to reset (the cursor the other way round).
 * Docker leaves them as they are; the user's terminal is then stuck on a
 * blank alternate screen, or prints mouse movements as garbage, until
 * `reset`. We reset them at the end, but only those the output we wrote
 * set and did not reset: "ESC [ ? 1049 l" sent to a terminal not in the
 * alternate screen restores a saved cursor (home, in xterm and VTE),
 * which would move the user's prompt to the top of the screen after any
 * session. So the output is followed through this small recogniser of
 * DEC private modes (and RIS, "ESC c", which resets them all): a whole
 * terminal emulator (libvterm) is not needed to know eight bits. */
static const struct {
    unsigned short mode;
    bool set_is_h; /* "h" sets it; false: "l" does (the cursor's visibility) */
} MODES[] = {{1049, true}, {1047, true}, {47, true},   {1000, true}, {1002, true},
             {1003, true}, {1006, true}, {2004, true}, {25, false}};

enum { SC_GROUND, SC_ESC, SC_CSI, SC_PRIV };
#define SC_PARAMS 16

struct modes {
    unsigned set; /* bit i: MODES[i] is left set */
    int state;
    unsigned short param[SC_PARAMS];
    int nparam;
};

static void modes_apply(struct modes *m, bool h)
{
    for (int p = 0; p < m->nparam; p++)
        for (size_t i = 0; i < sizeof(MODES) / sizeof(MODES[0]); i++)
            if (m->param[p] == MODES[i].mode) {
                if (h == MODES[i].set_is_h)
                    m->set |= 1u << i;
                else
                    m->set &= ~(1u << i);
            }
}

static void modes_scan(struct modes *m, const char *buf, size_t len)
{
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)buf[k];
        if (c == 0x1b) { /* ESC always starts again, in any state */
            m->state = SC_ESC;
            continue;
        }
        switch (m->state) {
        case SC_ESC:
            if (c == 'c')
                m->set = 0;
            m->state = c == '[' ? SC_CSI : SC_GROUND;
            break;
        case SC_CSI:
            m->state = c == '?' ? SC_PRIV : SC_GROUND;
            m->nparam = 1;
            m->param[0] = 0;
            break;
        case SC_PRIV:
            if (c >= '0' && c <= '9') {
                unsigned v = m->param[m->nparam - 1] * 10u + (c - '0');
                m->param[m->nparam - 1] = (unsigned short)(v > 65535 ? 65535 : v);
            } else if (c == ';' && m->nparam < SC_PARAMS) {
                m->param[m->nparam++] = 0;
            } else if (c != ';') {
                if (c == 'h' || c == 'l')
                    modes_apply(m, c == 'h');
                m->state = SC_GROUND;
            }
            break;
        default:
            break;
        }
    }
}

/* The reset of what the output left set; written as far as it goes
 * without waiting (a terminal nobody reads gets none of it). */
static void modes_reset(const struct modes *m, const struct out *o)
{
    char buf[160];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(MODES) / sizeof(MODES[0]); i++)
        if (m->set & (1u << i))
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\033[?%u%c", MODES[i].mode,
                                  MODES[i].set_is_h ? 'l' : 'h');
    for (size_t off = 0; off < n;) {
        struct pollfd p = {.fd = o->fd, .events = POLLOUT};
        if (poll(&p, 1, 0) <= 0)
            return;
        ssize_t w = out_write(o, buf + off, n - off);
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void restore(struct tty_link *t)
{
    if (t->raw)
        tcsetattr(0, TCSANOW, &t->saved);
    t->raw = false;
}

static bool ends_us(int sig)
{
    return sig == SIGINT || sig == SIGTERM || sig == SIGHUP;
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
        sigaction(SIGPIPE, &old_pipe, NULL);
        return -1;
    }
    struct out o;
    out_open(&o);
    struct modes md = {0};
    if (t->input && t->term == 0 && tcgetattr(0, &t->saved) == 0) {
        struct termios raw = t->saved;
        cfmakeraw(&raw);
        t->raw = tcsetattr(0, TCSANOW, &raw) == 0;
    }
    resize(t, m); /* it may have changed since the start */
    char in[CHUNK], out[CHUNK];
    size_t in_len = 0, in_off = 0, out_len = 0, out_off = 0;
    bool in_open = t->input, m_open = true, out_ok = true, ended = false;
    /* once the process ended: what it wrote is still in the pty, read
     * until the pty says no writer is left (EIO), or nothing moved for
     * QUIET_MS (a process it left in the background holds the terminal,
     * or our stdout is not read), at most DRAIN_MS */
    long long last = 0, deadline = 0;
    const char *failed = NULL;
    int failed_errno = 0;
    for (;;) {
        if (ended) {
            long long now = now_ms();
            if ((!m_open && !out_len) || now - last >= QUIET_MS || now >= deadline)
                break;
        }
        struct pollfd p[5] = {
            {.fd = ended ? -1 : c->pidfd, .events = POLLIN},
            {.fd = sfd, .events = POLLIN},
            /* not polled while there is nothing to do with it: a hung-up
             * master's POLLHUP would make this loop spin */
            {.fd = m_open && (!out_len || in_len) ? m : -1,
             .events = (short)((out_len ? 0 : POLLIN) | (in_len ? POLLOUT : 0))},
            {.fd = in_open && !in_len ? 0 : -1, .events = POLLIN},
            {.fd = out_len ? o.fd : -1, .events = POLLOUT},
        };
        int timeout = -1;
        if (ended) {
            long long now = now_ms(), q = last + QUIET_MS - now, d = deadline - now;
            timeout = (int)(q < d ? q : d);
            timeout = timeout < 0 ? 0 : timeout;
        }
        if (poll(p, 5, timeout) < 0) {
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
                else if (!ended)
                    ctr_signal(c, (int)si.ssi_signo); /* its end brings us out */
                else if (ends_us((int)si.ssi_signo))
                    break; /* it is gone already: no more of its output */
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
        if (out_len && (p[4].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = out_write(&o, out + out_off, out_len - out_off);
            if (n > 0) {
                modes_scan(&md, out + out_off, (size_t)n);
                last = now_ms();
                if ((out_off += (size_t)n) == out_len)
                    out_len = 0;
            } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
                out_ok = false, out_len = 0; /* closed: what comes is read and dropped */
            }
        }
        if (m_open && !out_len && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(m, out, sizeof(out));
            if (n > 0) {
                last = now_ms();
                if (out_ok)
                    out_len = (size_t)n, out_off = 0;
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                m_open = false; /* EIO: every slave closed; the process may still run */
            }
        }
        if (!ended && (p[0].revents & (POLLIN | POLLHUP))) {
            ended = true;
            in_open = false; /* what the user types now is for the shell after us */
            in_len = 0;
            last = now_ms();
            deadline = last + DRAIN_MS;
        }
    }
    /* every way out: the modes the output left set, then our own terminal
     * as it was */
    if (o.tty && out_ok)
        modes_reset(&md, &o);
    restore(t);
    if (o.own)
        close(o.fd);
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
