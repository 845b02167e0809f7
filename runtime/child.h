/* child.h - what the container's side of the runtime shares, inside
 * runtime/ only: the state prepared for the process between clone and
 * execve (struct child), the steps that build its root (rootfs.c) and
 * that make it the container's process (child.c), and the parent's
 * helpers that ctr_spawn (container.c) and ctr_exec (exec.c) share.
 *
 * Everything the child calls allocates nothing: it runs between clone3()
 * and execve() and reports failures over the sync socket with die(). */
#ifndef RT_RUNTIME_CHILD_H
#define RT_RUNTIME_CHILD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/capability.h>
#include <sys/types.h>

#include "../lib/guarded.h"
#include "container.h"
#include "seccomp.h"
#include "user.h"

#define MSG_MAX 512
#define ETC_BUF (1 << 20) /* /etc/passwd and /etc/group, each */

/* A device node to make in the container's /dev, as it is on the host. */
struct dev_node {
    dev_t rdev;
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

/* Everything the child needs, prepared before clone3(). */
struct child {
    const struct ctr_spec *s;
    int sock;                   /* the child's end of the socketpair */
    char rootfs[PATH_MAX];      /* where the overlay is mounted */
    char layers[PATH_MAX];      /* the store's layers/, for short lowerdir paths */
    char overlay[8192];         /* mount options */
    char dir[PATH_MAX];         /* STATE/containers/<name>: upper, work, layers */
    char rdir[PATH_MAX];        /* RUN/containers/<name>: lock, state.json, etc/, rootfs, empty */
    uint64_t caps;              /* bounding set */
    uint64_t ambient;           /* what a non-root user keeps */
    cap_t caps_root, caps_user; /* permitted/effective/inheritable, as root or not */
    struct seccomp_prog prog;
    bool seccomp;
    char *passwd, *group;       /* ETC_BUF each */
    char **env;                 /* spec env + HOME, with a spare slot */
    size_t nenv;
    char home[300];
    struct dev_node *devs;      /* s->ndevices of them */
    struct file_id *guards;     /* directories some container can write (volumes.c) */
    size_t nguards;
    char record[PATH_MAX];      /* STATE/volumes.rw */
    char **initargv;            /* spec init: "ctrinit", "--", argv...; NULL without */
    int initfd;                 /* with initargv: the sealed memfd holding ctrinit; else -1 */
    bool tty;                   /* fds 0-2 are the slave of a pty made by pty_make: given to the user */
};

/* ---- in the child (child.c, rootfs.c) ---- */

/* Report "what: why" over the sync socket and _exit(127). A format ending
 * in ':' gets errno's text appended. */
__attribute__((noreturn, format(printf, 2, 3))) void die(struct child *ch, const char *fmt, ...);
long sys_openat2(int dirfd, const char *path, int flags, uint64_t resolve);
/* The container's root, mounted at rootfd: /proc and /sys (with the masked
 * and read-only paths), /dev, then the spec's volumes and tmpfs mounts and
 * the runtime's /etc files. */
void make_proc_sys(struct child *ch, int rootfd);
void make_dev(struct child *ch, int rootfd);
void make_mounts(struct child *ch, int rootfd);
/* The last steps, shared by a container's first process and by exec:
 * become_ready() resolves the user in the image's files and does
 * everything up to and including the seccomp filter (fds, working
 * directory, credentials, capabilities, no_new_privs); become_exec() sets
 * the parent-death signal and execs (with initargv: checks the command
 * in PATH, then execs the init from initfd, which runs it). A failure is
 * reported over the sync socket, or, by_socket false (exec's second
 * stage, which holds none), on stderr with status 127 or 126, as a shell
 * does. */
void become_ready(struct child *ch, const char *user, const char *wd, const struct ulimit *rlimits, size_t nrlimits);
__attribute__((noreturn)) void become_exec(struct child *ch, char *const *argv, bool by_socket);
/* Close every fd but 0, 1, 2, a and b (either may be -1). */
void close_fds_but(int a, int b);
/* Is prog a file we may execute, looked up as execvp would (in $PATH)? */
bool find_in_path(const char *prog);
void reset_signals(void);
/* The first steps of a new process, in the container or on the host:
 * wait for the parent's go (exit 127 when it gave up), default signals,
 * a session of its own with no controlling terminal (a container's
 * /dev/tty would otherwise be the terminal of whoever ran rtctl, and
 * TIOCSTI would type into it; a stop signals the service, never whoever
 * started rtinit), umask 022, stdio (NULL: as inherited). */
void child_begin(struct child *ch, const int *stdio);

/* pty.c: in the child, at the container's root and still root: a new pty
 * of the container's devpts (its /dev/pts/ptmx, checked to be one), sized
 * rows x cols (0 x 0: left alone), its master sent over ch->sock with the
 * word "pty" (SCM_RIGHTS) and closed, its slave made fds 0, 1 and 2 (not
 * the controlling terminal yet). pty_take() then makes fd 0 the
 * controlling terminal of the calling session leader (-1, errno). */
void pty_make(struct child *ch, unsigned short rows, unsigned short cols);
int pty_take(void);

/* ---- in the parent (container.c), shared with exec.c ---- */

/* pty.c: one message of a sync socket into msg (len bytes with the NUL):
 * its length (0: every end closed), or -1 with errno. *sender: the
 * sender's pid when the socket has SO_PASSCRED (else 0; sender may be
 * NULL). *fd: the pty's master when the message is the word "pty" with
 * one descriptor, else -1; every other descriptor received is closed.
 * sync_pty() then: is msg the word "pty"? fd (if any) goes to *tty when
 * want and *tty is still -1, and is closed otherwise. */
ssize_t sync_recv(int sock, char *msg, size_t len, int flags, pid_t *sender, int *fd);
bool sync_pty(const char *msg, int fd, bool want, int *tty);


void ctr_init(struct ctr *c, const char *name);
/* The cgroup parent of the containers (and host services) of state_dir:
 * "rt", or "rt-DEV-INO" for a state directory other than the system's. */
void ctr_cgroup_parent(const char *state_dir, char *out, size_t len);
void child_free(struct child *ch);
cap_t make_caps(uint64_t permitted, uint64_t inheritable);
int compile_seccomp(const char *state_dir, enum seccomp_mode mode, const char *profile, uint64_t caps,
                    struct seccomp_prog *p, struct rt_err *err);
unsigned long long proc_starttime(pid_t pid);
/* volumes.c: every directory in STATE/volumes.rw into ch->guards (in the
 * parent); and, in the child, the directory fd a read-write volume's
 * source was opened as, into the record unless it is there already. */
int volumes_guards(const struct ctr_spec *s, struct child *ch, struct rt_err *err);
void volumes_record(struct child *ch, int fd, const char *src);
/* hostproc.c: ctr_spawn and ctr_spawned for a spec with host set. */
int host_spawn(const struct ctr_spec *s, struct ctr *c, struct rt_err *err);
int host_spawned(const struct ctr_spec *s, struct ctr *c, struct rt_err *err);
/* ctrinit_fd.c: a new sealed memfd holding the containers' init (CLOEXEC). */
int ctrinit_memfd(struct rt_err *err);

#endif
