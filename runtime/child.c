/* child.c - the container's process, between clone3() and execve(): its
 * user and groups from the image's files, rlimits, the fds it keeps, the
 * working directory, capabilities, no_new_privs and the seccomp filter,
 * in that order. Shared by a container's first process and by exec. See
 * child.h. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/fileio.h"
#include "../lib/util.h"
#include "seccomp.h"
#include "user.h"

#include "../config/value.h"
#include "child.h"

extern char **environ;

void die(struct child *ch, const char *fmt, ...)
{
    char msg[MSG_MAX];
    int e = errno;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof(msg) - 2 && strstr(fmt, "%m") == NULL && e && fmt[strlen(fmt) - 1] == ':')
        snprintf(msg + n, sizeof(msg) - (size_t)n, " %s", strerror(e));
    if (write(ch->sock, msg, strlen(msg)) < 0) {
        /* nothing left to tell anyone */
    }
    _exit(127);
}

long sys_openat2(int dirfd, const char *path, int flags, uint64_t resolve)
{
    struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = resolve};
    return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* A file of the image, read whole into buf (at most ETC_BUF - 1 bytes);
 * "" if it does not exist. */
static void read_etc(struct child *ch, const char *path, char *buf)
{
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT)
            return;
        die(ch, "reading %s:", path);
    }
    /* read with the runtime's privileges: a file of the image, not a
     * symlink into /proc or /sys (/etc/passwd -> /proc/kmsg would have us
     * read the host's kernel log for the container) */
    struct stat st;
    struct statfs sf;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fstatfs(fd, &sf) < 0 || sf.f_type == PROC_SUPER_MAGIC ||
        sf.f_type == SYSFS_MAGIC)
        die(ch, "%s is not a regular file of the image", path);
    size_t n = 0;
    for (;;) {
        ssize_t k = read(fd, buf + n, ETC_BUF - 1 - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            die(ch, "reading %s:", path);
        if (k == 0 || (n += (size_t)k) == ETC_BUF - 1)
            break;
    }
    buf[n] = '\0';
    close(fd);
}

/* Users, groups, capabilities: the order matters. Groups before the uid
 * changes (setgroups needs CAP_SETGID); keep the permitted set across
 * setresuid, then set the final sets; ambient last. */
static void drop_privileges(struct child *ch, const struct user_ids *ids)
{
    for (int cap = 0; cap <= 63; cap++)
        if (!(ch->caps & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            die(ch, "dropping capability %d from the bounding set:", cap);
    if (setgroups(ids->ngroups, ids->groups) < 0 || setresgid(ids->gid, ids->gid, ids->gid) < 0)
        die(ch, "setting groups:");
    if (ids->uid != 0) {
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresuid(ids->uid, ids->uid, ids->uid) < 0 ||
            prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
            die(ch, "setting user %u:", (unsigned)ids->uid);
    }
    if (cap_set_proc(ids->uid ? ch->caps_user : ch->caps_root) < 0)
        die(ch, "setting capabilities:");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        die(ch, "clearing ambient capabilities:");
    if (ids->uid != 0) {
        /* a non-root process keeps exactly what cap_add names */
        for (int cap = 0; cap <= 63; cap++)
            if ((ch->ambient & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                die(ch, "raising ambient capability %d:", cap);
    }
}

/* Without allocating (we are between clone and exec). */
static bool dir_is_empty(int fd)
{
    char buf[1024];
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
        for (long off = 0; off < n;) {
            const struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (const void *)(buf + off);
            if (strcmp(d->name, ".") && strcmp(d->name, ".."))
                return false;
            off += d->reclen;
        }
    return n == 0;
}

/* A new, empty volume directory belongs to the service's user, as docker
 * gives a new named volume the owner of the image's directory. Resolved in
 * the container's root without symlinks, changed through the fd. */
static void own_volumes(struct child *ch, const struct user_ids *ids)
{
    for (size_t i = 0; ch->s && i < ch->s->nmounts; i++) {
        const struct ctr_mount *m = &ch->s->mounts[i];
        if (!m->own || m->tmpfs || m->ro)
            continue;
        int fd = (int)sys_openat2(AT_FDCWD, m->dst, O_RDONLY | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
            die(ch, "volume %s:", m->dst);
        bool empty = dir_is_empty(fd);
        if (empty && st.st_uid == 0 && st.st_gid == 0 && (ids->uid || ids->gid) && fchown(fd, ids->uid, ids->gid) < 0)
            die(ch, "giving the new volume %s to %u:%u:", m->dst, (unsigned)ids->uid, (unsigned)ids->gid);
        close(fd);
    }
}

/* Say which limit the kernel refused and what bounds it: root may raise
 * a hard limit, but never nofile past fs.nr_open, and only with
 * CAP_SYS_RESOURCE, which a root in a sandbox or a container may lack
 * (then the hard limit we were started with is the most there is). */
static __attribute__((noreturn)) void rlimit_failed(struct child *ch, const struct ulimit *u)
{
    int e = errno;
    const char *name = ulimit_name(u->resource);
    char bound[160] = "";
    struct rlimit host;
    bool have_host = getrlimit(u->resource, &host) == 0 && host.rlim_max != RLIM_INFINITY;
    char nr_open[32] = "";
    if (u->resource == RLIMIT_NOFILE) {
        int fd = open("/proc/sys/fs/nr_open", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, nr_open, sizeof(nr_open) - 1) : -1;
        if (fd >= 0)
            close(fd);
        nr_open[n > 0 ? n : 0] = '\0';
        nr_open[strcspn(nr_open, "\n")] = '\0';
    }
    bool past_nr_open = *nr_open && (u->hard == UNLIMITED || u->hard > strtoull(nr_open, NULL, 10));
    if (e == EPERM && !past_nr_open && have_host && (u->hard == UNLIMITED || u->hard > host.rlim_max) &&
        prctl(PR_CAPBSET_READ, CAP_SYS_RESOURCE, 0, 0, 0) != 1)
        snprintf(bound, sizeof(bound),
                 "; raising the hard limit past %llu needs CAP_SYS_RESOURCE, which this process does not have",
                 (unsigned long long)host.rlim_max);
    else if (*nr_open)
        snprintf(bound, sizeof(bound), "; the kernel allows at most %s (fs.nr_open)", nr_open);
    else if (have_host)
        snprintf(bound, sizeof(bound), "; the host's hard limit is %llu", (unsigned long long)host.rlim_max);
    char soft[32], hard[32];
    snprintf(soft, sizeof(soft), u->soft == UNLIMITED ? "unlimited" : "%llu", (unsigned long long)u->soft);
    snprintf(hard, sizeof(hard), u->hard == UNLIMITED ? "unlimited" : "%llu", (unsigned long long)u->hard);
    die(ch, "setting the %s limit to %s:%s: %s%s", name ? name : "unknown", soft, hard, strerror(e), bound);
}

/* The container's stdin, stdout and stderr are the runtime's pipes,
 * root's and 0600: a non-root program that opens /dev/stdout (nginx as
 * www-data) would be refused. Give them to its user, as runc and crun do;
 * but only anonymous pipes, never a terminal, a file, a named FIFO or a
 * socket of whoever ran us. */
static void own_stdio(struct child *ch, const struct user_ids *ids)
{
    if (ids->uid == 0)
        return;
    /* A pty we made in the container's devpts (pty.c) is the user's, as
     * login makes a terminal its user's (group tty, mode 0620, as devpts
     * made it): `tty`, `script` and `ssh` open it again by its name. */
    if (ch->tty) {
        if (fchown(0, ids->uid, (gid_t)-1) < 0)
            die(ch, "giving the terminal to %u:", (unsigned)ids->uid);
        return;
    }
    for (int fd = 0; fd < 3; fd++) {
        struct stat st;
        if (fstat(fd, &st) < 0) {
            if (errno == EBADF)
                continue;
            die(ch, "fd %d:", fd);
        }
        /* an anonymous pipe only (pipefs): not a named FIFO or a socket
         * of whoever ran us, whose owner would change for good */
        struct statfs sf;
        if (!S_ISFIFO(st.st_mode) || st.st_uid != 0 || fstatfs(fd, &sf) < 0 || sf.f_type != PIPEFS_MAGIC)
            continue;
        if (fchown(fd, ids->uid, ids->gid) < 0)
            die(ch, "giving fd %d to %u:%u:", fd, (unsigned)ids->uid, (unsigned)ids->gid);
    }
}

/* Resolve the user in the image's files, set HOME, rlimits, close every
 * other fd, enter the working directory, drop privileges, load the
 * filter; become_exec() then execs (see child.h). */
void become_ready(struct child *ch, const char *user, const char *wd, const struct ulimit *rlimits, size_t nrlimits)
{
    read_etc(ch, "/etc/passwd", ch->passwd);
    read_etc(ch, "/etc/group", ch->group);
    struct user_ids ids;
    char msg[256];
    if (user_resolve(user, ch->passwd, ch->group, &ids, msg, sizeof(msg)) < 0)
        die(ch, "%s", msg);
    own_volumes(ch, &ids);
    own_stdio(ch, &ids);
    bool has_home = false;
    for (size_t i = 0; i < ch->nenv; i++)
        has_home |= startswith(ch->env[i], "HOME=");
    if (!has_home) {
        snprintf(ch->home, sizeof(ch->home), "HOME=%s", ids.home[0] ? ids.home : "/");
        ch->env[ch->nenv] = ch->home;
        ch->env[ch->nenv + 1] = NULL;
    }
    for (size_t i = 0; i < nrlimits; i++) {
        struct rlimit rl = {rlimits[i].soft == UNLIMITED ? RLIM_INFINITY : rlimits[i].soft,
                            rlimits[i].hard == UNLIMITED ? RLIM_INFINITY : rlimits[i].hard};
        if (setrlimit(rlimits[i].resource, &rl) < 0)
            rlimit_failed(ch, &rlimits[i]);
    }
    /* Nothing but 0, 1, 2 and the sync socket (closed by exec) may reach
     * the container: not before chdir either (the CVE-2024-21626 class).
     * With init, its memfd too: it is what we exec, and CLOEXEC. */
    close_fds_but(ch->sock, ch->initargv ? ch->initfd : -1);
    if (chdir(wd) < 0) {
        /* as docker: a missing working directory is made */
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s", wd);
        for (char *c = p + 1; *c; c++)
            if (*c == '/') {
                *c = '\0';
                mkdir(p, 0755);
                *c = '/';
            }
        if ((mkdir(p, 0755) < 0 && errno != EEXIST) || chdir(p) < 0)
            die(ch, "working directory %s:", wd);
    }
    char cwd[16];
    if (!getcwd(cwd, sizeof(cwd)) && errno != ERANGE)
        die(ch, "the working directory is outside the container");
    drop_privileges(ch, &ids);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die(ch, "no_new_privs:");
    if (ch->seccomp && seccomp_load_prog(&ch->prog) < 0)
        die(ch, "loading the seccomp filter:");
    environ = ch->env;
}

void become_exec(struct child *ch, char *const *argv, bool by_socket)
{
    /* If the runtime that started us dies, so do we (and with the first
     * process, the whole container): nothing runs unsupervised. Set after
     * the credentials change, which clears it; then make sure the parent
     * did not die before that: for the first process its end of the
     * socket would be closed; for exec's, whose parent is outside the
     * container's PID namespace, getppid() would no longer be 0. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        die(ch, "PR_SET_PDEATHSIG:");
    if (by_socket) {
        struct pollfd pf = {.fd = ch->sock, .events = POLLIN};
        if (poll(&pf, 1, 0) > 0 && (pf.revents & (POLLHUP | POLLERR)))
            _exit(127);
    } else if (getppid() != 0) {
        _exit(127);
    }
    if (ch->initargv) {
        /* The init runs the command (runtime/ctrinit/main.c). The command
         * is checked here, where a missing one is still the start's
         * failure, said as without init. Every signal is blocked across
         * the exec, so that one sent while the init starts waits for it
         * instead of being dropped (PID 1 without a handler). */
        if (!find_in_path(argv[0]))
            die(ch, "%s: not found in the container's PATH", argv[0]);
        sigset_t all;
        sigfillset(&all);
        if (sigprocmask(SIG_SETMASK, &all, NULL) < 0)
            die(ch, "sigprocmask:");
        syscall(SYS_execveat, ch->initfd, "", ch->initargv, environ, AT_EMPTY_PATH);
        die(ch, "executing the container's init:");
    }
    execvp(argv[0], argv);
    if (!by_socket) {
        /* no socket here (see exec.c): say it as a shell would */
        int e = errno;
        char msg[MSG_MAX];
        int n = snprintf(msg, sizeof(msg), "%s: %s\n", argv[0], strerror(e));
        if (n > 0 && write(2, msg, (size_t)n) < 0) {
            /* nothing left to tell anyone */
        }
        _exit(e == ENOENT ? 127 : 126);
    }
    if (errno == ENOENT)
        die(ch, "%s: not found in the container's PATH", argv[0]);
    die(ch, "executing %s:", argv[0]);
}

void close_fds_but(int a, int b)
{
    int keep[2] = {a < b ? a : b, a < b ? b : a};
    unsigned from = 3;
    for (int i = 0; i < 2; i++) {
        if (keep[i] < (int)from)
            continue;
        if ((unsigned)keep[i] > from)
            close_range(from, (unsigned)keep[i] - 1, 0);
        from = (unsigned)keep[i] + 1;
    }
    close_range(from, ~0U, 0);
}

bool find_in_path(const char *prog)
{
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const char *p = path; *p;) {
        const char *end = strchrnul(p, ':');
        char full[PATH_MAX];
        struct stat st;
        if (snprintf(full, sizeof(full), "%.*s/%s", (int)(end - p), end == p ? "." : p, prog) < (int)sizeof(full) &&
            stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
            return true;
        p = *end ? end + 1 : end;
    }
    return false;
}

/* A clean slate for signals: the exec'd program expects default
 * dispositions (an ignored signal would stay ignored across execve) and
 * an empty mask (the caller blocks the signals it forwards). */
void reset_signals(void)
{
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

void child_begin(struct child *ch, const int *stdio)
{
    char go;
    if (read(ch->sock, &go, 1) != 1)
        _exit(127); /* the parent gave up */
    reset_signals();
    if (setsid() < 0)
        die(ch, "setsid:");
    umask(022);
    for (int i = 0; stdio && i < 3; i++)
        if (stdio[i] >= 0 && stdio[i] != i && dup2(stdio[i], i) < 0)
            die(ch, "setting up fd %d:", i);
}
