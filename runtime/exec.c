/* exec.c - start a process inside a running container (ctr_exec). See
 * container.h. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/sched.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/util.h"
#include "seccomp.h"
#include "user.h"

#include "child.h"

/* ---------- exec ---------- */

#define MAX_RLIMITS 32

struct exec_state {
    struct ulimit rlimits[MAX_RLIMITS];
    size_t nrlimits;
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
    json_t *rl = NULL;
    if (json_unpack_ex(*root, &je, 0, "{s:i, s:I, s?s, s:s, s:o, s?o, s:I, s:I, s:b, s:i, s?s, s?s}", "pid", &pid,
                       "starttime", &start, "user", &st->user, "cwd", &st->cwd, "env", &st->env, "rlimits", &rl, "caps",
                       &caps, "cap_add", &add, "cap_add_all", &add_all, "seccomp", &mode, "seccomp_profile",
                       &st->profile, "cgroup", &st->cgroup) < 0 ||
        !json_is_array(st->env))
        return rt_error(err, EINVAL, "%s: %s", p, je.text);
    for (size_t i = 0; rl && i < json_array_size(rl) && st->nrlimits < MAX_RLIMITS; i++) {
        int res;
        json_int_t soft, hard;
        if (json_unpack(json_array_get(rl, i), "[i, I, I]", &res, &soft, &hard) < 0)
            return rt_error(err, EINVAL, "%s: rlimits: entry %zu is not [resource, soft, hard]", p, i);
        st->rlimits[st->nrlimits++] = (struct ulimit){.resource = res,
                                                      .soft = soft < 0 ? UNLIMITED : (uint64_t)soft,
                                                      .hard = hard < 0 ? UNLIMITED : (uint64_t)hard};
    }
    st->pid = pid;
    st->starttime = (unsigned long long)start;
    st->caps = (uint64_t)caps;
    st->ambient = add_all ? st->caps : (uint64_t)add & st->caps;
    st->seccomp = (enum seccomp_mode)mode;
    return 0;
}

/* Stage 1 waits for stage 2 and ends as it ended: the same exit status,
 * or the same signal raised on itself. Every other signal it gets (rtctl
 * exec forwards the terminal's, rtinit sends SIGKILL at a timeout, which
 * takes stage 2 with it through its parent-death signal) goes to stage 2.
 * All signals are blocked (since before the clone), so none is missed. */
static __attribute__((noreturn)) void wait_for_stage2(pid_t pid)
{
    sigset_t all;
    sigfillset(&all);
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0)
            continue;
        if (sig != SIGCHLD) {
            if (kill(pid, sig) < 0 && errno != ESRCH)
                _exit(127); /* cannot happen: our own child */
            continue;
        }
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r != pid)
            continue;
        if (WIFEXITED(status))
            _exit(WEXITSTATUS(status));
        int term = WTERMSIG(status);
        signal(term, SIG_DFL);
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, term);
        sigprocmask(SIG_UNBLOCK, &one, NULL);
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* no core of ours for its SIGSEGV */
        kill(getpid(), term);
        _exit(128 + term);
    }
}

/* Stage 1, forked in our own namespaces into the container's cgroup,
 * does everything: a session of its own (no terminal of ours reaches the
 * container: TIOCSTI), stdio in place and every other fd of the caller
 * closed (rtinit's include other containers' pidfds, cgroup directories
 * and its control socket), every namespace of the container joined (the
 * PID namespace only for its children), the container's user with its
 * capabilities, no_new_privs and seccomp filter, and the command found.
 * Only then does it fork stage 2, which execs, say "ok" to the caller, and
 * wait for stage 2 as its parent.
 *
 * Stage 2 is the only process the container can see, and from its first
 * instant it is nothing more than the program it is about to become: in
 * the container's mount namespace (its /proc/PID/root is never the
 * host's), with the container's credentials and filter (code injected
 * with ptrace, which CAP_SYS_PTRACE allows even into a non-dumpable
 * process, gains nothing), holding only stdio, and running a sealed copy
 * of our binary (selfexe.c), so its /proc/PID/exe gives nothing to write.
 * Nothing the caller waits for depends on it: a container that stops it
 * with SIGSTOP stalls that one exec, which a health check's timeout ends.
 * runc's nsexec is the model. */
static __attribute__((noreturn)) void exec_stage1(struct child *ch, int pidfd, const char *user, const char *wd,
                                                  const struct exec_state *st, char *const *argv, const int *stdio,
                                                  const struct ctr_exec_opts *o)
{
    pid_t caller = getppid();
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        die(ch, "PR_SET_DUMPABLE:");
    reset_signals();
    if (setsid() < 0)
        die(ch, "setsid:");
    for (int i = 0; stdio && i < 3; i++)
        if (stdio[i] >= 0 && stdio[i] != i && dup2(stdio[i], i) < 0)
            die(ch, "setting up fd %d:", i);
    close_fds_but(ch->sock, pidfd);
    if (setns(pidfd, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWPID) < 0)
        die(ch, "joining the container's namespaces:");
    close(pidfd);
    /* setns() put us at the container's root: its devpts for -t (the
     * caller's fds 0-2 are replaced by the slave here) */
    if (o && o->tty)
        pty_make(ch, o->rows, o->cols);
    become_ready(ch, user, wd, st->rlimits, st->nrlimits);
    if (!find_in_path(argv[0]))
        die(ch, "%s: not found in the container's PATH", argv[0]);
    /* the credentials changed, which cleared it: if the caller goes, so
     * do we, and stage 2 with us */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != caller)
        _exit(127);
    sigset_t all, old;
    sigfillset(&all);
    if (sigprocmask(SIG_SETMASK, &all, &old) < 0)
        die(ch, "sigprocmask:");
    /* clone, not clone3: the filter refuses clone3 (ENOSYS, as docker's) */
    pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
    if (pid < 0) {
        if (errno == ENOMEM) /* the namespace's init is gone */
            die(ch, "the container is not running");
        die(ch, "clone:");
    }
    if (pid == 0) {
        close(ch->sock);
        if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
            _exit(127);
        /* -t: the command leads a session of its own in the container,
         * the pty its controlling terminal (job control, ^C, SIGWINCH) */
        if (ch->tty && (setsid() < 0 || pty_take() < 0)) {
            char msg[MSG_MAX];
            int n = snprintf(msg, sizeof(msg), "making the terminal the controlling one: %s\n", strerror(errno));
            if (n > 0 && write(2, msg, (size_t)n) < 0) {
                /* nobody to tell */
            }
            _exit(126);
        }
        become_exec(ch, argv, false);
    }
    if (write(ch->sock, "ok", 2) != 2)
        _exit(127);
    close(ch->sock);
    wait_for_stage2(pid);
}

/* Messages read by one call of stage1_word at most. Stage 1 sends two
 * (the pty, then its word); the rest can only come from a process of the
 * container that got hold of the socket, which may send without end.
 * rtinit (PID 1) calls this from its loop when the socket is readable:
 * after this many it gets back to everything else, and the check's own
 * timeout ends a stage 1 that never speaks. */
#define STAGE1_MSGS 8

/* Stage 1's one word: "ok" (stage 2 is made and execs), or why it failed.
 * Only its own messages count: SO_PASSCRED gives each message's sender,
 * which nobody can forge, so a process of the container that got hold of
 * the socket (stage 2 has it for a moment, and ptrace can take it) can
 * neither speak for it nor, by keeping it open, delay the answer. With
 * -t, "pty" comes first with the pty's master, kept in *tty; a descriptor
 * from anyone else is closed unread.
 *
 * It never blocks (MSG_DONTWAIT) and never loops without end: each
 * message is one read into a fixed buffer (a longer one is cut, the
 * socket keeps message boundaries), and at most STAGE1_MSGS are read, an
 * EINTR counting as one.
 * 0 "ok", 1 nothing yet, -1 failed. */
static int stage1_word(int sock, pid_t stage1, const char *name, int *tty, struct rt_err *err)
{
    for (int i = 0; i < STAGE1_MSGS; i++) {
        char msg[MSG_MAX + 1];
        pid_t from;
        int fd;
        ssize_t n = sync_recv(sock, msg, sizeof(msg), MSG_DONTWAIT, &from, &fd);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 1;
        if (n < 0)
            return rt_error(err, errno, "exec in %s: reading from the process entering it: %s", name,
                            strerror(errno));
        /* the end of the socket carries no sender; an empty message from
         * someone else is just another message of theirs */
        if (n == 0 && from == 0) /* every end closed: stage 1 died without a word */
            return rt_error(err, EINVAL, "exec in %s: the process died before exec", name);
        if (from != stage1) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        if (sync_pty(msg, fd, true, tty)) /* the terminal's master (-t), before "ok" */
            continue;
        if (!strcmp(msg, "ok"))
            return 0;
        if (!msg[0])
            return rt_error(err, EINVAL, "exec in %s: the process died before exec", name);
        if (strstr(msg, "is not running"))
            return rt_error(err, ESRCH, "container %s is not running", name);
        return rt_error(err, EINVAL, "exec in %s: %s", name, msg);
    }
    return 1; /* more to read: the caller comes back when it is readable */
}

/* Is NAME (up to '=') of e set in env[0..n)? Its index, else n. */
static size_t env_find(char **env, size_t n, const char *e)
{
    size_t klen = strcspn(e, "=");
    size_t i = 0;
    while (i < n && !(strncmp(env[i], e, klen) == 0 && env[i][klen] == '='))
        i++;
    return i;
}

/* The container's environment with o's NAME=value set over it (in place
 * of a variable of the same name, else added), in ch->env; with a
 * terminal, TERM=xterm unless the container or o set TERM, as docker's. */
static int exec_env(struct child *ch, json_t *env, char *const *add, bool tty, struct rt_err *err)
{
    size_t nenv = json_array_size(env), nadd = 0;
    while (add && add[nadd])
        nadd++;
    ch->env = calloc(nenv + nadd + 3, sizeof(char *));
    if (!ch->env)
        return rt_error(err, ENOMEM, "out of memory");
    for (size_t i = 0; i < nenv; i++) {
        const char *e = json_string_value(json_array_get(env, i));
        if (e)
            ch->env[ch->nenv++] = (char *)e;
    }
    for (size_t k = 0; k < nadd; k++) {
        size_t i = env_find(ch->env, ch->nenv, add[k]);
        ch->env[i] = add[k];
        if (i == ch->nenv)
            ch->nenv++;
    }
    if (tty && env_find(ch->env, ch->nenv, "TERM=") == ch->nenv)
        ch->env[ch->nenv++] = (char *)"TERM=xterm";
    return 0;
}

static int exec_spawn(const char *state_dir, const char *run_dir, const char *name, const struct ctr_exec_opts *o,
                      char *const *argv, const int *stdio, struct ctr *c, int *sync, struct rt_err *err)
{
    *sync = -1;
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
    ch->initfd = -1;
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
    if (!ch->caps_root || !ch->caps_user || !ch->passwd || !ch->group) {
        rt_error(err, ENOMEM, "out of memory");
        goto out;
    }
    if (exec_env(ch, st.env, o ? o->env : NULL, o && o->tty, err) < 0)
        goto out;
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
    /* Stage 1 starts in our own namespaces, in the container's cgroup
     * (so stage 2 is born there, under its device program). It is our
     * child: c's pid, pidfd, wait and signals are its. */
    struct clone_args ca = {
        .flags = CLONE_INTO_CGROUP | CLONE_PIDFD,
        .pidfd = (uint64_t)(uintptr_t)&c->pidfd,
        .exit_signal = SIGCHLD,
        .cgroup = (uint64_t)c->cg.fd,
    };
    pid_t stage1 = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
    if (stage1 == 0) {
        close(sv[0]);
        ch->sock = sv[1];
        exec_stage1(ch, target_fd, o && o->user ? o->user : st.user, o && o->cwd ? o->cwd : st.cwd, &st, argv,
                    stdio, o);
    }
    if (stage1 < 0) {
        rt_syserror(err, "clone3");
        goto out;
    }
    close(sv[1]);
    sv[1] = -1;
    c->pid = stage1;
    *sync = sv[0];
    sv[0] = -1;
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


int ctr_exec_spawn(const char *state_dir, const char *run_dir, const char *name, const char *user, char *const *argv,
                   const int *stdio, struct ctr *c, int *sync, struct rt_err *err)
{
    struct ctr_exec_opts o = {.user = user};
    return exec_spawn(state_dir, run_dir, name, &o, argv, stdio, c, sync, err);
}

int ctr_exec_spawned(struct ctr *c, int sync, struct rt_err *err)
{
    return stage1_word(sync, c->pid, c->name, &c->tty, err);
}

int ctr_exec(const char *state_dir, const char *run_dir, const char *name, const struct ctr_exec_opts *o,
             char *const *argv, const int *stdio, struct ctr *c, struct rt_err *err)
{
    int sync;
    if (exec_spawn(state_dir, run_dir, name, o, argv, stdio, c, &sync, err) < 0)
        return -1;
    /* stage 1 cannot be stopped from the container; a deadline all the
     * same, in case it is starved (the container's own cpu.max). Counted
     * on the clock: messages from others (ignored) must not stretch it. */
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int r = 1;
    for (t = t0; r == 1 && t.tv_sec - t0.tv_sec < 30; clock_gettime(CLOCK_MONOTONIC, &t)) {
        struct pollfd pf = {.fd = sync, .events = POLLIN};
        if (poll(&pf, 1, 100) < 0 && errno != EINTR)
            break;
        r = ctr_exec_spawned(c, sync, err);
    }
    close(sync);
    if (r == 1)
        rt_error(err, ETIMEDOUT, "exec in %s: no word from the process entering it in 30 s", name);
    if (r == 0 && o && o->tty && c->tty < 0) {
        rt_error(err, EINVAL, "exec in %s: no terminal came back", name);
        r = -1;
    }
    if (r != 0) {
        ctr_signal(c, SIGKILL);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        c->pid = -1;
        ctr_release(c, false);
        return -1;
    }
    return 0;
}
