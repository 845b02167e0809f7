/* seccomp.c - building the container's system call filter with libseccomp. */
#include "seccomp.h"

#include <errno.h>
#include <malloc.h>
#include <jansson.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../images/digest.h"
#include "../lib/arena.h"
#include "../lib/fileio.h"
#include "../lib/util.h"
#include "../config/value.h"

/* ---------- the default profile ----------
 *
 * Docker's default (moby/profiles, seccomp/default.json) is the reference:
 * the same system calls are allowed, under the same conditions. Names the
 * installed libseccomp does not know (calls newer than it) are skipped. */

static const char *const allowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset", "chdir",
    "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
    "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
    "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
    "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve",
    "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
    "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl",
    "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
    "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_requeue",
    "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd", "getdents",
    "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
    "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
    "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname",
    "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "getxattrat",
    "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy",
    "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit",
    "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32",
    "lgetxattr", "link", "linkat", "listen", "listmount", "listxattr", "listxattrat", "llistxattr", "_llseek",
    "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier",
    "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2",
    "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "mseal", "msgctl",
    "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep",
    "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe",
    "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64",
    "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev",
    "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
    "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "removexattrat", "rename", "renameat",
    "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
    "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
    "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
    "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
    "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
    "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
    "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid", "setsockopt",
    "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "setxattrat", "shmat", "shmctl", "shmdt",
    "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall",
    "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statmount", "statx", "symlink", "symlinkat",
    "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
    "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create",
    "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate",
    "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "uretprobe", "utime", "utimensat",
    "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
    /* x86 only */
    "arch_prctl", "modify_ldt",
    /* kernels since 4.8 check ptrace against seccomp: safe to allow */
    "process_vm_readv", "process_vm_writev", "ptrace",
};

/* socket(2) families allowed: every family below AF_DECnet (12), and
 * these; AF_ALG (38) and AF_VSOCK (40) among those left out. */
static const int socket_families[] = {13, 14, 15, 16, 17, 18, 21, 22, 24, 26, 27, 28, 29,
                                      30, 31, 32, 33, 35, 36, 39, 41, 42, 43, 44, 45};
/* personality(2): the default persona and the few that mean "as it was". */
static const uint64_t personalities[] = {0, 8, 131072, 131080, 4294967295};

/* Calls allowed when the container holds a capability. */
static const struct {
    int cap;
    const char *names[28];
} by_cap[] = {
    {2 /* DAC_READ_SEARCH */, {"open_by_handle_at"}},
    {21 /* SYS_ADMIN */,
     {"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie",
      "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mount", "mount_setattr", "move_mount",
      "open_tree", "perf_event_open", "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog",
      "umount", "umount2", "unshare"}},
    {22 /* SYS_BOOT */, {"reboot"}},
    {18 /* SYS_CHROOT */, {"chroot"}},
    {16 /* SYS_MODULE */, {"delete_module", "init_module", "finit_module"}},
    {20 /* SYS_PACCT */, {"acct"}},
    {19 /* SYS_PTRACE */, {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"}},
    {17 /* SYS_RAWIO */, {"iopl", "ioperm"}},
    {25 /* SYS_TIME */, {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
    {26 /* SYS_TTY_CONFIG */, {"vhangup"}},
    {23 /* SYS_NICE */, {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
    {34 /* SYSLOG */, {"syslog"}},
    {39 /* BPF */, {"bpf"}},
    {38 /* PERFMON */, {"perf_event_open"}},
};

#define CAP_SYS_ADMIN_BIT 21
/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: a clone that
 * creates namespaces needs CAP_SYS_ADMIN. */
#define CLONE_NS_MASK 0x7E020000ULL

/* Add a rule; a name this libseccomp does not know, or that no one of our
 * architectures has, is not an error (the profile names calls of every
 * architecture and of newer kernels). */
static int add(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n, const struct scmp_arg_cmp *args,
               struct rt_err *err)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
        return 0;
    int r = seccomp_rule_add_array(ctx, action, nr, n, args);
    if (r == 0 || r == -EDOM || r == -EEXIST)
        return 0;
    return rt_error(err, -r, "seccomp: adding a rule for %s: %s", name, strerror(-r));
}

static scmp_filter_ctx new_ctx(uint32_t def, struct rt_err *err)
{
    scmp_filter_ctx ctx = seccomp_init(def);
    if (!ctx) {
        rt_error(err, ENOMEM, "seccomp: cannot create a filter");
        return NULL;
    }
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    /* x86_64 processes can still make 32-bit (int 0x80) and x32 calls:
     * filter those too. */
    if ((seccomp_arch_add(ctx, SCMP_ARCH_X86) < 0 && seccomp_arch_exist(ctx, SCMP_ARCH_X86) != 0) ||
        (seccomp_arch_add(ctx, SCMP_ARCH_X32) < 0 && seccomp_arch_exist(ctx, SCMP_ARCH_X32) != 0)) {
        seccomp_release(ctx);
        rt_error(err, EINVAL, "seccomp: cannot add the x86 and x32 architectures");
        return NULL;
    }
    return ctx;
}

/* Compile ctx into a BPF program we own, and release ctx. */
static int export(scmp_filter_ctx ctx, struct seccomp_prog *out, struct rt_err *err)
{
    int r = -1;
    int fd = memfd_create("rt-seccomp", MFD_CLOEXEC);
    if (fd < 0) {
        rt_syserror(err, "seccomp: memfd_create");
        goto out;
    }
    int e = seccomp_export_bpf(ctx, fd);
    if (e < 0) {
        rt_error(err, -e, "seccomp: compiling the filter: %s", strerror(-e));
        goto out;
    }
    off_t len = lseek(fd, 0, SEEK_END);
    if (len <= 0 || len % (off_t)sizeof(struct sock_filter) || len / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
        rt_error(err, EINVAL, "seccomp: the compiled filter has %lld bytes", (long long)len);
        goto out;
    }
    out->insns = malloc((size_t)len);
    if (!out->insns) {
        rt_error(err, ENOMEM, "out of memory");
        goto out;
    }
    if (pread(fd, out->insns, (size_t)len, 0) != len) {
        rt_syserror(err, "seccomp: reading the compiled filter");
        free(out->insns);
        out->insns = NULL;
        goto out;
    }
    out->len = (unsigned short)(len / (off_t)sizeof(struct sock_filter));
    r = 0;
out:
    if (fd >= 0)
        close(fd);
    seccomp_release(ctx);
    return r;
}

int seccomp_compile_default(uint64_t caps, struct seccomp_prog *out, struct rt_err *err)
{
    memset(out, 0, sizeof(*out));
    scmp_filter_ctx ctx = new_ctx(SCMP_ACT_ERRNO(EPERM), err);
    if (!ctx)
        return -1;
    bool sys_admin = caps & (1ULL << CAP_SYS_ADMIN_BIT);
    for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
        if (add(ctx, SCMP_ACT_ALLOW, allowed[i], 0, NULL, err) < 0)
            goto fail;
    struct scmp_arg_cmp lt = SCMP_A0(SCMP_CMP_LT, 12);
    if (add(ctx, SCMP_ACT_ALLOW, "socket", 1, &lt, err) < 0)
        goto fail;
    for (size_t i = 0; i < ARRAY_SIZE(socket_families); i++) {
        struct scmp_arg_cmp eq = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)socket_families[i]);
        if (add(ctx, SCMP_ACT_ALLOW, "socket", 1, &eq, err) < 0)
            goto fail;
    }
    for (size_t i = 0; i < ARRAY_SIZE(personalities); i++) {
        struct scmp_arg_cmp eq = SCMP_A0(SCMP_CMP_EQ, personalities[i]);
        if (add(ctx, SCMP_ACT_ALLOW, "personality", 1, &eq, err) < 0)
            goto fail;
    }
    for (size_t i = 0; i < ARRAY_SIZE(by_cap); i++) {
        if (!(caps & (1ULL << by_cap[i].cap)))
            continue;
        for (size_t k = 0; k < ARRAY_SIZE(by_cap[i].names) && by_cap[i].names[k]; k++)
            if (add(ctx, SCMP_ACT_ALLOW, by_cap[i].names[k], 0, NULL, err) < 0)
                goto fail;
    }
    if (!sys_admin) {
        /* clone without namespace flags; clone3 (whose flags live in
         * memory, where seccomp cannot look) says it does not exist. */
        struct scmp_arg_cmp noflags = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NS_MASK, 0);
        if (add(ctx, SCMP_ACT_ALLOW, "clone", 1, &noflags, err) < 0 ||
            add(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL, err) < 0)
            goto fail;
    }
    return export(ctx, out, err);
fail:
    seccomp_release(ctx);
    return -1;
}

/* ---------- Docker-format JSON profiles ---------- */

static int parse_action(const char *s, json_t *errno_ret, int def_errno, uint32_t *out)
{
    int e = json_is_integer(errno_ret) ? (int)json_integer_value(errno_ret) : def_errno;
    if (streq(s, "SCMP_ACT_ALLOW"))
        *out = SCMP_ACT_ALLOW;
    else if (streq(s, "SCMP_ACT_ERRNO"))
        *out = SCMP_ACT_ERRNO((uint32_t)e);
    else if (streq(s, "SCMP_ACT_KILL") || streq(s, "SCMP_ACT_KILL_THREAD"))
        *out = SCMP_ACT_KILL_THREAD;
    else if (streq(s, "SCMP_ACT_KILL_PROCESS"))
        *out = SCMP_ACT_KILL_PROCESS;
    else if (streq(s, "SCMP_ACT_TRAP"))
        *out = SCMP_ACT_TRAP;
    else if (streq(s, "SCMP_ACT_LOG"))
        *out = SCMP_ACT_LOG;
    else if (streq(s, "SCMP_ACT_TRACE"))
        *out = SCMP_ACT_TRACE((uint32_t)e);
    else
        return -1;
    return 0;
}

static int parse_op(const char *s, enum scmp_compare *op)
{
    static const struct {
        const char *name;
        enum scmp_compare op;
    } ops[] = {{"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
               {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
               {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
    for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
        if (streq(s, ops[i].name)) {
            *op = ops[i].op;
            return 0;
        }
    return -1;
}

/* Does this host's kernel have at least version "maj.min"? */
static bool kernel_at_least(const char *v)
{
    struct utsname u;
    unsigned a = 0, b = 0, x = 0, y = 0;
    if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &x, &y) != 2 || sscanf(v, "%u.%u", &a, &b) < 1)
        return true;
    return x > a || (x == a && y >= b);
}

/* includes/excludes: caps (all must be held / none may be), arches
 * (Docker's names: this is "amd64"), minKernel. */
static bool applies(json_t *inc, json_t *exc, uint64_t caps)
{
    json_t *v;
    size_t i;
    if (json_is_object(inc)) {
        json_array_foreach(json_object_get(inc, "caps"), i, v) {
            int cap;
            const char *why;
            if (!json_is_string(v) || parse_capability(json_string_value(v), &cap, &why) < 0 ||
                !(caps & (1ULL << cap)))
                return false;
        }
        json_t *arches = json_object_get(inc, "arches");
        if (json_array_size(arches)) {
            bool ours = false;
            json_array_foreach(arches, i, v) ours |= json_is_string(v) && (streq(json_string_value(v), "amd64") ||
                                                                           streq(json_string_value(v), "x86") ||
                                                                           streq(json_string_value(v), "x32"));
            if (!ours)
                return false;
        }
        json_t *mk = json_object_get(inc, "minKernel");
        if (json_is_string(mk) && !kernel_at_least(json_string_value(mk)))
            return false;
    }
    if (json_is_object(exc)) {
        json_array_foreach(json_object_get(exc, "caps"), i, v) {
            int cap;
            const char *why;
            if (json_is_string(v) && parse_capability(json_string_value(v), &cap, &why) == 0 && (caps & (1ULL << cap)))
                return false;
        }
        json_array_foreach(json_object_get(exc, "arches"), i, v) {
            if (json_is_string(v) && streq(json_string_value(v), "amd64"))
                return false;
        }
    }
    return true;
}

/* A profile file's bytes (at most 1 MiB), from an arena the caller frees.
 * The arena's out-of-memory jump lands here; nothing else is allocated
 * from it after we return. */
static char *read_profile(struct arena *a, const char *path, size_t *len, struct rt_err *err)
{
    jmp_buf jb;
    if (ARENA_TRY(a, jb)) {
        rt_error(err, ENOMEM, "out of memory");
        return NULL;
    }
    int e;
    char *text = read_small_file(a, path, 1 << 20, len, NULL, &e);
    if (!text)
        rt_error(err, e, "seccomp profile %s: %s", path, read_small_file_error(e));
    return text;
}

static int compile_profile(const char *path, const char *text, size_t len, uint64_t caps, struct seccomp_prog *out,
                           struct rt_err *err)
{
    memset(out, 0, sizeof(*out));
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return rt_error(err, EINVAL, "seccomp profile %s:%d: %s", path, je.line, je.text);
    scmp_filter_ctx ctx = NULL;
    int r = -1;
    json_t *def_errno = json_object_get(root, "defaultErrnoRet");
    int derr = json_is_integer(def_errno) ? (int)json_integer_value(def_errno) : EPERM;
    uint32_t def;
    json_t *da = json_object_get(root, "defaultAction");
    if (!json_is_string(da) || parse_action(json_string_value(da), def_errno, EPERM, &def) < 0) {
        rt_error(err, EINVAL, "seccomp profile %s: defaultAction: missing or not an action", path);
        goto out;
    }
    ctx = new_ctx(def, err);
    if (!ctx)
        goto out;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(root, "syscalls"), i, s) {
        if (!applies(json_object_get(s, "includes"), json_object_get(s, "excludes"), caps))
            continue;
        json_t *act = json_object_get(s, "action");
        uint32_t action;
        if (!json_is_string(act) || parse_action(json_string_value(act), json_object_get(s, "errnoRet"), derr, &action) < 0) {
            rt_error(err, EINVAL, "seccomp profile %s: syscalls[%zu].action: missing or unknown", path, i);
            goto out;
        }
        if (action == def)
            continue; /* libseccomp refuses rules that repeat the default */
        struct scmp_arg_cmp args[6];
        unsigned nargs = 0;
        bool split = false; /* two conditions on one argument: OR, so one rule each */
        size_t k;
        json_t *ar;
        json_array_foreach(json_object_get(s, "args"), k, ar) {
            enum scmp_compare op;
            json_t *idx = json_object_get(ar, "index"), *val = json_object_get(ar, "value"),
                   *v2 = json_object_get(ar, "valueTwo"), *o = json_object_get(ar, "op");
            if (nargs == 6 || !json_is_integer(idx) || json_integer_value(idx) < 0 || json_integer_value(idx) > 5 ||
                !json_is_integer(val) || !json_is_string(o) || parse_op(json_string_value(o), &op) < 0) {
                rt_error(err, EINVAL, "seccomp profile %s: syscalls[%zu].args[%zu]: not a condition", path, i, k);
                goto out;
            }
            for (unsigned q = 0; q < nargs; q++)
                split |= args[q].arg == (unsigned)json_integer_value(idx);
            args[nargs++] = (struct scmp_arg_cmp){(unsigned)json_integer_value(idx), op,
                                                  (scmp_datum_t)json_integer_value(val),
                                                  json_is_integer(v2) ? (scmp_datum_t)json_integer_value(v2) : 0};
        }
        json_t *names = json_object_get(s, "names");
        json_t *one = json_object_get(s, "name");
        size_t nn = json_is_array(names) ? json_array_size(names) : json_is_string(one) ? 1 : 0;
        for (size_t n = 0; n < nn; n++) {
            json_t *nm = json_is_array(names) ? json_array_get(names, n) : one;
            if (!json_is_string(nm))
                continue;
            if (split) {
                for (unsigned q = 0; q < nargs; q++)
                    if (add(ctx, action, json_string_value(nm), 1, &args[q], err) < 0)
                        goto out;
            } else if (add(ctx, action, json_string_value(nm), nargs, args, err) < 0) {
                goto out;
            }
        }
    }
    r = export(ctx, out, err);
    ctx = NULL;
out:
    if (ctx)
        seccomp_release(ctx);
    json_decref(root);
    return r;
}

int seccomp_compile_file(const char *path, uint64_t caps, struct seccomp_prog *out, struct rt_err *err)
{
    memset(out, 0, sizeof(*out));
    struct arena a;
    arena_init(&a);
    size_t len;
    const char *text = read_profile(&a, path, &len, err);
    int r = text ? compile_profile(path, text, len, caps, out, err) : -1;
    arena_free(&a);
    return r;
}

void seccomp_prog_free(struct seccomp_prog *p)
{
    free(p->insns);
    p->insns = NULL;
    p->len = 0;
}

int seccomp_load_prog(const struct seccomp_prog *p)
{
    struct sock_fprog prog = {.len = p->len, .filter = p->insns};
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* ---------- the cache ----------
 *
 * libseccomp takes ~17 ms to compile the default profile for three ABIs;
 * a container start takes less. The compiled program depends only on its
 * inputs, so it is kept under a key naming all of them: the rules (our
 * tables, or the profile's bytes), the capability set, the libseccomp
 * version and the kernel release (profiles may depend on it). */

#ifndef RT_SECCOMP_ID
#define RT_SECCOMP_ID "unversioned"
#endif

/* The cache key. For the default profile, its inputs are our tables,
 * identified by RT_SECCOMP_ID (the build's hash of this file), so no
 * hashing is needed at run time (the first use of libcrypto alone costs
 * about a millisecond). A profile file's bytes are hashed. */
static int cache_key(const char *text, size_t len, uint64_t caps, char *key, size_t klen, struct rt_err *err)
{
    const struct scmp_version *v = seccomp_version();
    struct utsname u;
    if (uname(&u) < 0)
        return rt_syserror(err, "uname");
    char hex[DIGEST_HEX_LEN + 1] = "default";
    if (text) {
        struct digest d;
        sha256_buf(text, len, &d);
        digest_hex(&d, hex);
    }
    /* the release may hold any character but '/': keep it out of the name */
    for (char *c = u.release; *c; c++)
        if (*c == '/')
            *c = '_';
    snprintf(key, klen, "%s-%s-%016llx-%u.%u.%u-%s", hex, RT_SECCOMP_ID, (unsigned long long)caps,
             v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, u.release);
    return 0;
}

static bool cache_load(const char *path, struct seccomp_prog *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
              st.st_size % (off_t)sizeof(struct sock_filter) == 0 &&
              st.st_size / (off_t)sizeof(struct sock_filter) <= BPF_MAXINSNS;
    if (ok) {
        out->insns = malloc((size_t)st.st_size);
        ok = out->insns && read(fd, out->insns, (size_t)st.st_size) == st.st_size;
        if (ok) {
            out->len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
        } else {
            free(out->insns);
            out->insns = NULL;
        }
    }
    close(fd);
    return ok;
}

/* Best effort: a cache that cannot be written only costs time. */
static void cache_store(const char *dir, const char *name, const struct seccomp_prog *p)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct rt_err ignored;
    write_file_atomic(fd, name, p->insns, (size_t)p->len * sizeof(struct sock_filter), &ignored);
    close(fd);
}

int seccomp_compile(const char *profile, uint64_t caps, const char *cache_dir, struct seccomp_prog *out,
                    struct rt_err *err)
{
    memset(out, 0, sizeof(*out));
    struct arena a;
    arena_init(&a);
    size_t len = 0;
    const char *text = profile ? read_profile(&a, profile, &len, err) : NULL;
    char key[512], name[520], path[PATH_MAX + 520];
    int r = -1;
    if (profile && !text)
        goto out;
    if (cache_dir) {
        if (cache_key(text, len, caps, key, sizeof(key), err) < 0)
            goto out;
        snprintf(name, sizeof(name), "%s.bpf", key);
        snprintf(path, sizeof(path), "%s/%s", cache_dir, name);
        if (cache_load(path, out)) {
            r = 0;
            goto out;
        }
    }
    r = text ? compile_profile(profile, text, len, caps, out, err) : seccomp_compile_default(caps, out, err);
    if (r == 0 && cache_dir)
        cache_store(cache_dir, name, out);
    /* libseccomp's working memory (about a megabyte for the default
     * profile) is freed, but stays in a long-running caller's heap, under
     * whatever was allocated after it: give it back. */
    malloc_trim(0);
out:
    arena_free(&a);
    return r;
}
