/* pty.c - a pseudo-terminal for `rtctl run -t` and `rtctl exec -t`,
 * made in the container's own devpts, as runc and crun make theirs (their
 * console socket).
 *
 * Why there and not on the host: a terminal is a device of the devpts it
 * was opened from. One from the host's /dev/ptmx would be a /dev/pts/N of
 * the host, listed in the host's /dev/pts, counted against its limit,
 * and a process of the container holding it would hold a host device. So
 * the process that is about to become the container's (the first process
 * after pivot_root, exec's first stage after setns) opens the container's
 * /dev/pts/ptmx, a devpts instance of its own (runtime/rootfs.c, make_dev),
 * keeps the slave as its fds 0, 1 and 2, and hands the master to the
 * runtime over the sync socket (SCM_RIGHTS). The runtime (rtctl) copies
 * bytes between the master and the user's terminal, which never enters
 * the container: no TIOCSTI reaches it, and the process holds nothing of
 * the host but the slave of its own pty. See child.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <linux/openat2.h>
#include <termios.h>
#include <unistd.h>

#include "child.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

#define PTY_WORD "pty"

void pty_make(struct child *ch, unsigned short rows, unsigned short cols)
{
    /* The path is the container's to change (its root may remount
     * /dev/pts): whatever is there must be a devpts' own ptmx, opened
     * without following a symlink; a devpts anyone in the container can
     * mount is a new instance, never the host's. O_NONBLOCK: no open of
     * some other device that waits (the cgroup's device program allows
     * only the defaults and --device's anyway). */
    int m = (int)sys_openat2(AT_FDCWD, "/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK,
                             RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    if (m < 0)
        die(ch, "opening the container's /dev/pts/ptmx for a terminal:");
    struct stat st;
    struct statfs sf;
    if (fstat(m, &st) < 0 || fstatfs(m, &sf) < 0)
        die(ch, "the container's /dev/pts/ptmx:");
    if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2) || sf.f_type != DEVPTS_SUPER_MAGIC)
        die(ch, "the container's /dev/pts/ptmx is not the ptmx of a devpts file system");
    int unlock = 0;
    struct winsize ws = {.ws_row = rows, .ws_col = cols};
    if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ((rows || cols) && ioctl(m, TIOCSWINSZ, &ws) < 0))
        die(ch, "setting up the terminal:");
    /* the slave of this master, not a path someone may have swapped */
    int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        die(ch, "opening the terminal's slave:");
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } cm;
    memset(&cm, 0, sizeof(cm));
    struct iovec iov = {.iov_base = (char *)PTY_WORD, .iov_len = strlen(PTY_WORD)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &m, sizeof(int));
    if (sendmsg(ch->sock, &mh, MSG_NOSIGNAL) != (ssize_t)iov.iov_len)
        die(ch, "handing the terminal to the runtime:");
    close(m); /* the runtime's alone from here: nothing in the container holds a master */
    for (int fd = 0; fd < 3; fd++)
        if (dup2(s, fd) < 0)
            die(ch, "the terminal as fd %d:", fd);
    close(s);
    ch->tty = true;
}

int pty_take(void)
{
    return ioctl(0, TIOCSCTTY, 0);
}

ssize_t sync_recv(int sock, char *msg, size_t len, int flags, pid_t *sender, int *fd)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(4 * sizeof(int))];
    } cm;
    *fd = -1;
    if (sender)
        *sender = 0;
    struct iovec iov = {.iov_base = msg, .iov_len = len - 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf)};
    /* CLOEXEC at once: a descriptor received must not reach a process
     * we start before we close it */
    ssize_t n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
    if (n < 0)
        return -1;
    msg[n] = '\0';
    /* Take what came; the kernel closed what did not fit (MSG_CTRUNC).
     * One descriptor with the word "pty" is the terminal; anything else
     * is closed, whoever sent it. */
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SCM_CREDENTIALS && sender && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
            struct ucred cred;
            memcpy(&cred, CMSG_DATA(c), sizeof(cred));
            *sender = cred.pid;
        } else if (c->cmsg_type == SCM_RIGHTS) {
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < k; i++) {
                int got;
                memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                if (*fd < 0 && k == 1 && !strcmp(msg, PTY_WORD))
                    *fd = got;
                else
                    close(got);
            }
        }
    }
    return n;
}

bool sync_pty(const char *msg, int fd, bool want, int *tty)
{
    bool is = !strcmp(msg, PTY_WORD);
    if (is && fd >= 0 && want && *tty < 0)
        *tty = fd;
    else if (fd >= 0)
        close(fd);
    return is;
}
