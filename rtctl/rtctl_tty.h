/* rtctl_tty.h - the user's terminal joined to a container's pty, for
 * `rtctl run -t` and `rtctl exec -t` (as `docker run -it`, `docker exec
 * -it`). The pty itself is made in the container's devpts by the runtime
 * (runtime/pty.c); rtctl only holds its master. */
#ifndef RTCTL_TTY_H
#define RTCTL_TTY_H

#include <stdbool.h>
#include <termios.h>

#include "../runtime/container.h"
#include "rtctl.h"

struct tty_link {
    bool input;            /* -i: what the user types goes to the container */
    int term;              /* our terminal (0, else 1, for the size; 0 for input), -1: none */
    bool raw;              /* term 0 is in raw mode; saved is its mode to restore */
    struct termios saved;
};

/* Before the start: which of our fds is a terminal, and its size (0 x 0
 * without one). With input, stdin must be a terminal: -1 after saying so
 * (docker's "the input device is not a TTY"). */
int tty_link_init(struct rtctl *ctl, struct tty_link *t, bool input, unsigned short *rows, unsigned short *cols);

/* Once the process runs (c->tty its pty's master): our terminal in raw
 * mode (with input), bytes copied both ways until the process ends, the
 * signals of sfd handled (SIGWINCH: our size to the pty, whose foreground
 * process group the kernel tells; the rest passed to the process), then
 * our terminal put back as it was, on every way out. *status: the
 * process's wait status; -1 when waiting for it failed (said). */
int tty_link_run(struct rtctl *ctl, struct tty_link *t, struct ctr *c, int sfd, int *status);

#endif
