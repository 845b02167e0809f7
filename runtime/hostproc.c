/* hostproc.c - a host service's process: a program of the host, run in the
 * host's namespaces and root, supervised as a container is.
 *
 * What sshd needs to administer the droplet is the host itself: its
 * users, its files, its network, every privilege root has. So a host
 * service (conf.d `host = true`) gets no namespace, no image, no
 * capability set or filter: the spec's user (from the host's /etc/passwd
 * and /etc/group), argv, environment, working directory, rlimits and
 * stdio, and a cgroup of its own, RT/NAME.host (a name no container can
 * have), with the spec's limits. The cgroup is what lets a stop end
 * every process the service left (kill_mode = control-group), or find
 * them at rtinit's end when they were kept (kill_mode = process: sshd's
 * sessions outlive a restart of sshd).
 *
 * The process is started the way ctr_spawn starts a container's, so that
 * rtinit's loop handles both alike: clone3 into the cgroup with a pidfd,
 * a sync socket that closes on exec or carries the reason the start
 * failed, the parent-death signal. Nothing is prepared in the child: the
 * user, groups and environment are resolved here first. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/fileio.h"
#include "../lib/util.h"
#include "../config/value.h"
#include "child.h"
#include "user.h"

extern char **environ;

/* What the child needs, all of it resolved before the clone. */
struct hostproc {
    struct user_ids ids;
    char **env;                 /* the spec's, and HOME when it has none */
    char home[300];
};

static void hostproc_free(struct hostproc *hp)
{
    free(hp->env);
    hp->env = NULL;
}

/* The user in the host's own /etc/passwd and /etc/group (the files, not
 * NSS: what a droplet has), and the environment. */
static int prepare(const struct ctr_spec *s, struct hostproc *hp, struct rt_err *err)
{
    memset(hp, 0, sizeof(*hp));
    struct arena a;
    arena_init(&a);
    jmp_buf jb;
    if (ARENA_TRY(&a, jb)) {
        arena_free(&a);
        return rt_error(err, ENOMEM, "out of memory");
    }
    const char *files[2] = {"/etc/passwd", "/etc/group"};
    char *text[2];
    for (int i = 0; i < 2; i++) {
        size_t len;
        int e;
        text[i] = read_small_file(&a, files[i], ETC_BUF, &len, NULL, &e);
        if (!text[i] && e != ENOENT) {
            arena_free(&a);
            return rt_error(err, e, "%s: reading the host's %s: %s", s->name, files[i], read_small_file_error(e));
        }
    }
    char msg[256];
    int r = user_resolve_in(s->user, text[0], text[1], "the host's", &hp->ids, msg, sizeof(msg));
    arena_free(&a);
    if (r < 0)
        return rt_error(err, EINVAL, "%s: %s", s->name, msg);
    size_t n = 0;
    bool has_home = false;
    while (s->env && s->env[n])
        has_home |= startswith(s->env[n++], "HOME=");
    if (!(hp->env = calloc(n + 2, sizeof(char *))))
        return rt_error(err, ENOMEM, "out of memory");
    memcpy(hp->env, s->env, n * sizeof(char *));
    if (!has_home) {
        snprintf(hp->home, sizeof(hp->home), "HOME=%s", hp->ids.home[0] ? hp->ids.home : "/");
        hp->env[n] = hp->home;
    }
    return 0;
}

/* A non-root process gets its stdout and stderr pipes (rtinit's, root's,
 * 0600) so that opening /dev/stdout works, as in a container; only
 * anonymous pipes, never a file or a terminal of whoever started us. */
static void own_stdio(struct child *ch, const struct user_ids *ids)
{
    if (ids->uid == 0)
        return;
    for (int fd = 1; fd < 3; fd++) {
        struct stat st;
        struct statfs sf;
        if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) || st.st_uid != 0 || fstatfs(fd, &sf) < 0 ||
            sf.f_type != PIPEFS_MAGIC)
            continue;
        if (fchown(fd, ids->uid, ids->gid) < 0)
            die(ch, "giving fd %d to %u:%u:", fd, (unsigned)ids->uid, (unsigned)ids->gid);
    }
}

/* Between clone3 and execve: allocates nothing, reports over the socket
 * (die) and exits 127. */
static __attribute__((noreturn)) void host_child(struct child *ch, const struct ctr_spec *s, const struct hostproc *hp,
                                                 char *const *argv, const int *stdio, pid_t parent)
{
    child_begin(ch, stdio);
    close_fds_but(ch->sock, -1);
    for (size_t i = 0; i < s->nrlimits; i++) {
        const struct ulimit *u = &s->rlimits[i];
        struct rlimit rl = {u->soft == UNLIMITED ? RLIM_INFINITY : u->soft,
                            u->hard == UNLIMITED ? RLIM_INFINITY : u->hard};
        if (setrlimit(u->resource, &rl) < 0)
            die(ch, "setting the %s limit:", ulimit_name(u->resource) ? ulimit_name(u->resource) : "?");
    }
    /* the host's directory: never made here, unlike a container's */
    if (chdir(s->cwd ? s->cwd : "/") < 0)
        die(ch, "working directory %s:", s->cwd ? s->cwd : "/");
    own_stdio(ch, &hp->ids);
    if (setgroups(hp->ids.ngroups, hp->ids.groups) < 0 || setresgid(hp->ids.gid, hp->ids.gid, hp->ids.gid) < 0)
        die(ch, "setting groups:");
    if (setresuid(hp->ids.uid, hp->ids.uid, hp->ids.uid) < 0)
        die(ch, "setting user %u:", (unsigned)hp->ids.uid);
    /* As a container's: if rtinit goes, so does the service, which a new
     * rtinit then starts again. Set after the credentials change (which
     * clears it), then checked: the parent may have died before. The
     * processes the service forks do not inherit it (sshd's sessions). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        die(ch, "PR_SET_PDEATHSIG:");
    if (getppid() != parent)
        _exit(127);
    environ = hp->env;
    execvp(argv[0], argv);
    if (errno == ENOENT)
        die(ch, "%s: not found in PATH", argv[0]);
    die(ch, "executing %s:", argv[0]);
}

/* The process, in cgroup cgfd (-1: none); c gets its pid and pidfd,
 * *sync the parent's end of the socket. */
static int spawn(const struct ctr_spec *s, const struct hostproc *hp, char *const *argv, const int *stdio,
                 const struct cgroup *cg, struct ctr *c, int *sync, struct rt_err *err)
{
    *sync = -1;
    if (!argv || !argv[0] || !argv[0][0])
        return rt_error(err, EINVAL, "%s: nothing to run", s->name);
    struct child *ch = calloc(1, sizeof(*ch));
    if (!ch)
        return rt_error(err, ENOMEM, "out of memory");
    ch->sock = -1;
    ch->initfd = -1;
    int sv[2] = {-1, -1}, r = -1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        rt_syserror(err, "socketpair");
        goto out;
    }
    pid_t parent = getpid();
    /* Cloned where we are, then moved into the cgroup before it goes on
     * (it waits for "g"), and not with CLONE_INTO_CGROUP: unlike a
     * container's, this cgroup is used again after a cgroup.kill (what a
     * stop killed, what an earlier run left), and kernels that count
     * kills per cgroup (6.1x) compare a CLONE_INTO_CGROUP child with our
     * own cgroup's count, and kill it at birth. A migration is not. */
    struct clone_args ca = {
        .flags = CLONE_PIDFD,
        .pidfd = (uint64_t)(uintptr_t)&c->pidfd,
        .exit_signal = SIGCHLD,
    };
    pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
    if (pid > 0 && cg && cg_enter(cg, pid, err) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(c->pidfd);
        c->pidfd = -1;
        goto out;
    }
    if (pid < 0) {
        rt_syserror(err, "clone3");
        goto out;
    }
    if (pid == 0) {
        close(sv[0]);
        ch->sock = sv[1];
        host_child(ch, s, hp, argv, stdio, parent);
    }
    c->pid = pid;
    close(sv[1]);
    sv[1] = -1;
    if (write(sv[0], "g", 1) != 1) {
        rt_error(err, EINVAL, "starting %s: its process died", s->name);
        ctr_signal(c, SIGKILL);
        waitpid(pid, NULL, 0);
        c->pid = -1;
        close(c->pidfd);
        c->pidfd = -1;
        goto out;
    }
    *sync = sv[0];
    sv[0] = -1;
    r = 0;
out:
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    free(ch);
    return r;
}

int host_spawn(const struct ctr_spec *s, struct ctr *c, struct rt_err *err)
{
    c->host = true;
    c->keep_children = s->keep_children;
    struct hostproc hp;
    if (prepare(s, &hp, err) < 0)
        return -1;
    /* the state directory names the cgroup's parent (ctr_cgroup_parent):
     * it must exist, even where no image was ever imported */
    if (mkdir_p(s->state_dir, 0700, err) < 0) {
        hostproc_free(&hp);
        return -1;
    }
    char parent[64], name[80];
    ctr_cgroup_parent(s->state_dir, parent, sizeof(parent));
    snprintf(name, sizeof(name), "%s.host", s->name);
    struct rt_err cgerr;
    if (cg_create_flags(&c->cg, parent, name, &s->limits, CG_JOIN, c->missing, sizeof(c->missing), &cgerr) == 0) {
        c->has_cgroup = true;
        /* What an earlier run left, when it did not mean to keep it: an
         * rtinit killed with -9 (the process itself died with it, its
         * parent-death signal). Kept processes (kill_mode = process)
         * stay, in the cgroup they were in. */
        if (!s->keep_children)
            cg_kill(&c->cg);
    } else if (cgerr.errnum == ENOENT) {
        /* Unlike a container, nothing depends on it but the clean-up: it
         * runs, and says so. */
        snprintf(c->missing, sizeof(c->missing),
                 "a cgroup of its own (this host has no cgroup2), so what it leaves running is not stopped with it, "
                 "and no limit applies");
    } else {
        hostproc_free(&hp);
        *err = cgerr;
        return -1;
    }
    int r = spawn(s, &hp, s->argv, s->stdio, c->has_cgroup ? &c->cg : NULL, c, &c->sync, err);
    hostproc_free(&hp);
    if (r < 0 && c->has_cgroup) {
        cg_destroy(&c->cg);
        c->has_cgroup = false;
    }
    return r;
}

/* The sync socket: closed by exec (0), not yet (1), or the reason the
 * start failed (-1). */
static int sync_word(int sock, struct ctr *c, const char *what, struct rt_err *err)
{
    char msg[MSG_MAX + 1];
    ssize_t n = recv(sock, msg, MSG_MAX, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 1;
    if (n == 0)
        return 0; /* exec'd; a child that died without a word: its exit is seen as any */
    msg[n > 0 ? n : 0] = '\0';
    ctr_signal(c, SIGKILL);
    return rt_error(err, EINVAL, "%s: %s", what, n > 0 ? msg : strerror(errno));
}

int host_spawned(const struct ctr_spec *s, struct ctr *c, struct rt_err *err)
{
    char what[128];
    snprintf(what, sizeof(what), "starting %s", s->name);
    int r = sync_word(c->sync, c, what, err);
    if (r == 1)
        return 1;
    close(c->sync);
    c->sync = -1;
    return r;
}

int ctr_host_exec_spawn(const struct ctr_spec *s, const struct ctr *main, char *const *argv, const int *stdio,
                        struct ctr *c, int *sync, struct rt_err *err)
{
    ctr_init(c, s->name);
    c->host = true;
    struct hostproc hp;
    if (prepare(s, &hp, err) < 0)
        return -1;
    /* in the service's cgroup, under its limits; not c's to remove */
    int r = spawn(s, &hp, argv, stdio, main && main->has_cgroup ? &main->cg : NULL, c, sync, err);
    hostproc_free(&hp);
    return r;
}

int ctr_host_exec_spawned(struct ctr *c, int sync, struct rt_err *err)
{
    char what[128];
    snprintf(what, sizeof(what), "exec beside %s", c->name);
    return sync_word(sync, c, what, err);
}
