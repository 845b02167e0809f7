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

/* The exec'd process: already in the container's PID namespace (it was
 * forked there) and cgroup; join the rest, then as a container's process. */
static __attribute__((noreturn)) void exec_child(struct child *ch, int pidfd, const char *user, const char *wd,
                                                 char *const *argv, const int *stdio)
{
    /* Not dumpable: processes in the container cannot open our
     * /proc/PID/exe (the runtime's binary, the CVE-2019-5736 class) or
     * ptrace us before execve replaces it. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        die(ch, "PR_SET_DUMPABLE:");
    reset_signals();
    for (int i = 0; stdio && i < 3; i++)
        if (stdio[i] >= 0 && stdio[i] != i && dup2(stdio[i], i) < 0)
            die(ch, "setting up fd %d:", i);
    if (setns(pidfd, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP) < 0)
        die(ch, "joining the container's namespaces:");
    close(pidfd);
    /* setns() put us at the container's root */
    become(ch, user, wd, NULL, 0, argv);
}

int ctr_exec(const char *state_dir, const char *run_dir, const char *name, const char *user, char *const *argv,
             const int *stdio, struct ctr *c, struct rt_err *err)
{
    ctr_init(c, name);
    if (!ctr_name_ok(name))
        return rt_error(err, EINVAL, "'%s' is not a valid container name", name);
    if ((size_t)snprintf(c->rdir, sizeof(c->rdir), "%s/containers/%s", run_dir, name) >= sizeof(c->rdir))
        return rt_error(err, ENAMETOOLONG, "%s: path too long", run_dir);
    json_t *root = NULL;
    struct exec_state st = {0};
    struct child *ch = calloc(1, sizeof(*ch));
    int target_fd = -1, own_pidns = -1, sv[2] = {-1, -1}, r = -1;
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
    struct rt_err cgerr;
    bool has_cg = st.cgroup && cg_open(&c->cg, st.cgroup, &cgerr) == 0;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        rt_syserror(err, "socketpair");
        goto out;
    }
    /* Fork straight into the container's PID namespace: the process is our
     * own child (waitable, with a pidfd) and PID n of the container. */
    own_pidns = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
    if (own_pidns < 0 || setns(target_fd, CLONE_NEWPID) < 0) {
        rt_syserror(err, "entering the PID namespace of %s", name);
        goto out;
    }
    struct clone_args ca = {
        .flags = CLONE_PIDFD | (has_cg ? CLONE_INTO_CGROUP : 0),
        .pidfd = (uint64_t)(uintptr_t)&c->pidfd,
        .exit_signal = SIGCHLD,
        .cgroup = has_cg ? (uint64_t)c->cg.fd : 0,
    };
    pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
    int clone_errno = errno;
    if (pid == 0) {
        close(sv[0]);
        ch->sock = sv[1];
        exec_child(ch, target_fd, user ? user : st.user, st.cwd, argv, stdio);
    }
    if (setns(own_pidns, CLONE_NEWPID) < 0) {
        /* cannot happen (our own namespace); never fork into theirs later */
        rt_syserror(err, "returning to our PID namespace");
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        goto out;
    }
    if (pid < 0) {
        if (clone_errno == ENOMEM) /* the namespace's init is gone */
            rt_error(err, ESRCH, "container %s is not running", name);
        else
            rt_error(err, clone_errno, "clone3: %s", strerror(clone_errno));
        goto out;
    }
    c->pid = pid;
    close(sv[1]);
    sv[1] = -1;
    char msg[MSG_MAX + 1];
    ssize_t n = read(sv[0], msg, MSG_MAX);
    if (n != 0) {
        msg[n > 0 ? n : 0] = '\0';
        waitpid(pid, NULL, 0);
        c->pid = -1;
        rt_error(err, EINVAL, "exec in %s: %s", name, n > 0 ? msg : "the process died before exec");
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
    if (own_pidns >= 0)
        close(own_pidns);
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    child_free(ch);
    json_decref(root);
    return r;
}

