/* exec.c - start a process inside a running container (ctr_exec). See
 * container.h. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../images/store.h"
#include "../lib/fileio.h"
#include "../lib/paths.h"
#include "../lib/util.h"
#include "seccomp.h"
#include "user.h"

#include "child.h"

/* ---------- exec ---------- */

struct exec_state {
    pid_t pid;
    unsigned long long starttime;
    const char *user, *cwd, *profile, *cgroup;
    json_t *env;
    uint64_t caps, ambient;
    enum seccomp_mode seccomp;
};

static int read_state(const char *dir, const char *name, json_t **root, struct exec_state *st, struct rt_err *err)
{
    char p[PATH_MAX + 16];
    snprintf(p, sizeof(p), "%s/state.json", dir);
    json_error_t je;
    *root = json_load_file(p, 0, &je);
    if (!*root) {
        if (access(p, F_OK) < 0)
            return rt_error(err, ENOENT, "no container named %s is running", name);
        return rt_error(err, EINVAL, "%s: %s", p, je.text);
    }
    int pid = 0, mode = 0, add_all = 0;
    json_int_t start = 0, caps = 0, add = 0;
    if (json_unpack_ex(*root, &je, 0, "{s:i, s:I, s?s, s:s, s:o, s:I, s:I, s:b, s:i, s?s, s?s}", "pid", &pid, "starttime",
                       &start, "user", &st->user, "cwd", &st->cwd, "env", &st->env, "caps", &caps, "cap_add", &add,
                       "cap_add_all", &add_all, "seccomp", &mode, "seccomp_profile", &st->profile, "cgroup",
                       &st->cgroup) < 0 ||
        !json_is_array(st->env))
        return rt_error(err, EINVAL, "%s: %s", p, je.text);
    st->pid = pid;
    st->starttime = (unsigned long long)start;
    st->caps = (uint64_t)caps;
    st->ambient = add_all ? st->caps : (uint64_t)add & st->caps;
    st->seccomp = (enum seccomp_mode)mode;
    return 0;
}

/* Close every fd but 0, 1, 2, a and b. */
static void close_all_but(int a, int b)
{
    int lo = a < b ? a : b, hi = a < b ? b : a;
    if (lo > 3)
        close_range(3, (unsigned)lo - 1, 0);
    if (hi > lo + 1)
        close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
    close_range((unsigned)hi + 1, ~0U, 0);
}

/* The first stage, forked in our own namespaces into the container's
 * cgroup, does everything: it joins every namespace of the container (the
 * PID namespace only for its children), becomes the container's user with
 * its capabilities, no_new_privs and seccomp filter, and checks that the
 * command exists. Only then does it fork the process that execs, as our
 * child (CLONE_PARENT), tell the caller its pid, and exit.
 *
 * The second stage is the only one the container can see, and from its
 * first instant it is nothing more than the process it is about to be: in
 * the container's mount namespace (its /proc/PID/root is never the
 * host's), with the container's credentials and filter (code injected
 * with ptrace, which CAP_SYS_PTRACE allows even into a non-dumpable
 * process, gains nothing), holding only stdio (not the sync socket: a
 * process the container stops with SIGSTOP never keeps the caller
 * waiting), and running a sealed copy of our binary (selfexe.c), so its
 * /proc/PID/exe gives nothing to write. runc's nsexec is the model. */
static __attribute__((noreturn)) void exec_stage1(struct child *ch, int pidfd, const char *user, const char *wd,
                                                  char *const *argv, const int *stdio)
{
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        die(ch, "PR_SET_DUMPABLE:");
    reset_signals();
    for (int i = 0; stdio && i < 3; i++)
        if (stdio[i] >= 0 && stdio[i] != i && dup2(stdio[i], i) < 0)
            die(ch, "setting up fd %d:", i);
    /* nothing of the caller's (rtinit's fds include other containers'
     * pidfds, cgroup directories and its control socket) */
    close_all_but(ch->sock, pidfd);
    if (setns(pidfd, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWPID) < 0)
        die(ch, "joining the container's namespaces:");
    close(pidfd);
    /* setns() put us at the container's root */
    become_ready(ch, user, wd, NULL, 0);
    if (!find_in_path(argv[0]))
        die(ch, "%s: not found in the container's PATH", argv[0]);
    /* clone, not clone3: the filter refuses clone3 (ENOSYS, as docker's);
     * with CLONE_PARENT the child's exit signal is ours, SIGCHLD */
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
    if (pid < 0) {
        if (errno == ENOMEM) /* the namespace's init is gone */
            die(ch, "the container is not running");
        die(ch, "clone:");
    }
    if (pid == 0) {
        close(ch->sock);
        become_exec(ch, argv, false);
    }
    char msg[32];
    int n = snprintf(msg, sizeof(msg), "pid %d", (int)pid);
    _exit(write(ch->sock, msg, (size_t)n) == n ? 0 : 127);
}

/* The first stage's one word: the second stage's pid ("pid N"), or why it
 * failed. Only its own messages count: SO_PASSCRED gives each message's
 * sender, which nobody can forge, so a process of the container that got
 * hold of the socket (the second stage has it for a moment, and ptrace can
 * take it) can neither speak for it nor, by keeping it open, keep us
 * waiting for an end of file. Reaps the first stage. */
static int stage1_result(int sock, pid_t stage1, const char *name, pid_t *pid, struct rt_err *err)
{
    char why[MSG_MAX + 1] = "";
    *pid = 0;
    bool said = false;
    while (!said) {
        struct pollfd pf = {.fd = sock, .events = POLLIN};
        int pr = poll(&pf, 1, 30000);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0) {
            snprintf(why, sizeof(why), "no word from the process entering it in 30 s");
            kill(stage1, SIGKILL);
            break;
        }
        char msg[MSG_MAX + 1];
        union {
            struct cmsghdr h;
            char buf[CMSG_SPACE(sizeof(struct ucred))];
        } ctl;
        struct iovec iov = {.iov_base = msg, .iov_len = MSG_MAX};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
        ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* every end closed: the first stage died without a word */
        msg[n] = '\0';
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        struct ucred cred = {0};
        if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS)
            memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
        if (cred.pid != stage1)
            continue;
        said = true;
        int p;
        if (sscanf(msg, "pid %d", &p) == 1 && p > 0)
            *pid = p;
        else
            snprintf(why, sizeof(why), "%s", msg);
    }
    while (waitpid(stage1, NULL, 0) < 0 && errno == EINTR)
        ;
    if (*pid)
        return 0;
    if (strstr(why, "is not running"))
        return rt_error(err, ESRCH, "container %s is not running", name);
    return rt_error(err, EINVAL, "exec in %s: %s", name, why[0] ? why : "the process died before exec");
}

int ctr_exec(const char *state_dir, const char *run_dir, const char *name, const char *user, char *const *argv,
             const int *stdio, struct ctr *c, struct rt_err *err)
{
    ctr_init(c, name);
    if (!ctr_name_ok(name))
        return rt_error(err, EINVAL, "'%s' is not a valid container name", name);
    if (!ctr_sealed())
        return rt_error(err, EPERM, "entering a container needs the runtime to run from a sealed copy of itself "
                                    "(ctr_seal_self)");
    if ((size_t)snprintf(c->rdir, sizeof(c->rdir), "%s/containers/%s", run_dir, name) >= sizeof(c->rdir))
        return rt_error(err, ENAMETOOLONG, "%s: path too long", run_dir);
    json_t *root = NULL;
    struct exec_state st = {0};
    struct child *ch = calloc(1, sizeof(*ch));
    int target_fd = -1, sv[2] = {-1, -1}, r = -1;
    if (!ch) {
        rt_error(err, ENOMEM, "out of memory");
        goto out;
    }
    ch->sock = -1;
    if (read_state(c->rdir, name, &root, &st, err) < 0)
        goto out;
    /* The recorded process, and not another that got its pid since. */
    target_fd = (int)syscall(SYS_pidfd_open, st.pid, 0);
    if (target_fd < 0 || proc_starttime(st.pid) != st.starttime) {
        rt_error(err, ESRCH, "container %s is not running", name);
        goto out;
    }
    ch->caps = st.caps;
    ch->ambient = st.ambient;
    ch->caps_root = make_caps(st.caps, 0);
    ch->caps_user = make_caps(st.ambient, st.ambient);
    ch->passwd = malloc(ETC_BUF);
    ch->group = malloc(ETC_BUF);
    size_t nenv = json_array_size(st.env);
    ch->env = calloc(nenv + 2, sizeof(char *));
    if (!ch->caps_root || !ch->caps_user || !ch->passwd || !ch->group || !ch->env) {
        rt_error(err, ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nenv; i++) {
        const char *e = json_string_value(json_array_get(st.env, i));
        if (e)
            ch->env[ch->nenv++] = (char *)e;
    }
    ch->seccomp = st.seccomp != SECCOMP_UNCONFINED;
    if (compile_seccomp(state_dir, st.seccomp, st.profile, st.caps, &ch->prog, err) < 0)
        goto out;
    /* The cgroup carries the device program: no process enters without it. */
    if (!st.cgroup || cg_open(&c->cg, st.cgroup, err) < 0) {
        if (st.cgroup)
            rt_error(err, ESRCH, "container %s is not running (its cgroup is gone)", name);
        else
            rt_error(err, EINVAL, "container %s has no cgroup to enter", name);
        goto out;
    }
    int on = 1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
        setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0) {
        rt_syserror(err, "socketpair");
        goto out;
    }
    /* Stage 1 starts in our own namespaces, in the container's cgroup. */
    struct clone_args ca = {
        .flags = CLONE_INTO_CGROUP,
        .exit_signal = SIGCHLD,
        .cgroup = (uint64_t)c->cg.fd,
    };
    pid_t stage1 = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
    if (stage1 == 0) {
        close(sv[0]);
        ch->sock = sv[1];
        exec_stage1(ch, target_fd, user ? user : st.user, st.cwd, argv, stdio);
    }
    if (stage1 < 0) {
        rt_syserror(err, "clone3");
        goto out;
    }
    close(sv[1]);
    sv[1] = -1;
    pid_t pid;
    if (stage1_result(sv[0], stage1, name, &pid, err) < 0)
        goto out;
    /* Our child (CLONE_PARENT): its pid cannot be reused before we reap it. */
    c->pid = pid;
    c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    siginfo_t si = {0};
    if (c->pidfd >= 0 && waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
        /* not our child: not what the first stage made */
        close(c->pidfd);
        c->pidfd = -1;
        rt_error(err, ECHILD, "exec in %s: the process it started is not ours", name);
        c->pid = -1;
        goto out;
    }
    if (c->pidfd < 0) {
        /* it runs, but cannot be watched: end it */
        rt_syserror(err, "pidfd_open");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        c->pid = -1;
        goto out;
    }
    r = 0;
out:
    if (r < 0 && c->pidfd >= 0) {
        close(c->pidfd);
        c->pidfd = -1;
    }
    /* the cgroup is the container's, not ours to remove */
    if (c->cg.fd >= 0)
        close(c->cg.fd);
    c->cg.fd = -1;
    if (target_fd >= 0)
        close(target_fd);
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    child_free(ch);
    json_decref(root);
    return r;
}

