/* probe.c - runs inside a container (built static, so any image can hold
 * it) and reports what the container lets it do.
 *
 *   probe syscalls   one line per system call the default seccomp profile
 *                    must refuse: "NAME ERRNO" (EPERM, or ENOSYS for
 *                    clone3); each call has arguments that would be
 *                    harmless if it were let through
 *   probe fds        the open file descriptors, one per line
 *   probe cwd        the working directory
 *   probe hog MIB    allocate and touch MIB MiB, one at a time, printing
 *                    how many it holds (for memory limits)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e)
{
    switch (e) {
    case 0: return "OK";
    case EPERM: return "EPERM";
    case ENOSYS: return "ENOSYS";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case ENOMEM: return "ENOMEM";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default: return "OTHER";
    }
}

static void report(const char *name, long r)
{
    printf("%s %s\n", name, r < 0 ? ename(errno) : "OK");
}

#define TRY(name, ...) (errno = 0, report(name, syscall(__VA_ARGS__)))

static int syscalls(void)
{
    /* KEYCTL_GET_KEYRING_ID of the session keyring, no create */
    TRY("keyctl", SYS_keyctl, 0, -3, 0);
    TRY("add_key", SYS_add_key, "user", "rt-probe", "x", 1, -3);
    TRY("request_key", SYS_request_key, "user", "rt-probe", NULL, 0);
    TRY("mount", SYS_mount, "none", "/nonexistent", "tmpfs", 0, NULL);
    TRY("umount2", SYS_umount2, "/nonexistent", 0);
    TRY("pivot_root", SYS_pivot_root, "/nonexistent", "/nonexistent");
    TRY("swapon", SYS_swapon, "/nonexistent", 0);
    TRY("swapoff", SYS_swapoff, "/nonexistent");
    TRY("reboot", SYS_reboot, 0, 0, 0, NULL); /* bad magic: EINVAL if let through */
    TRY("kexec_load", SYS_kexec_load, 0, 0, NULL, 0xdead0000UL);
    TRY("kexec_file_load", SYS_kexec_file_load, -1, -1, 0, NULL, 0xdead0000UL);
    TRY("init_module", SYS_init_module, NULL, 0, "");
    TRY("finit_module", SYS_finit_module, -1, "", 0);
    TRY("delete_module", SYS_delete_module, "rt_probe_none", 0);
    TRY("bpf", SYS_bpf, 0xdead, NULL, 0);
    TRY("perf_event_open", SYS_perf_event_open, NULL, 0, -1, -1, 0);
    TRY("userfaultfd", SYS_userfaultfd, 0);
    TRY("open_by_handle_at", SYS_open_by_handle_at, -1, NULL, 0);
    TRY("unshare", SYS_unshare, CLONE_NEWNS);
    TRY("setns", SYS_setns, -1, 0);
    TRY("acct", SYS_acct, NULL);
    TRY("quotactl", SYS_quotactl, 0, NULL, 0, NULL);
    TRY("syslog", SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
    TRY("settimeofday", SYS_settimeofday, NULL, NULL);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    TRY("clock_settime", SYS_clock_settime, 99 /* no such clock */, &ts);
    TRY("iopl", SYS_iopl, 0);
    TRY("ioperm", SYS_ioperm, 0, 0, 0);
    TRY("personality", SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */);
    TRY("io_uring_setup", SYS_io_uring_setup, 1, NULL);
    TRY("io_uring_enter", SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0);
    TRY("io_uring_register", SYS_io_uring_register, -1, 0, NULL, 0);
    errno = 0;
    int s = socket(38 /* AF_ALG */, SOCK_SEQPACKET, 0);
    report("socket_af_alg", s);
    errno = 0;
    s = socket(40 /* AF_VSOCK */, SOCK_STREAM, 0);
    report("socket_af_vsock", s);
    /* a clone that would make a namespace; the child (if any) exits */
    errno = 0;
    long r = syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, NULL, NULL, NULL, 0);
    if (r == 0)
        _exit(0);
    report("clone_newuts", r);
    struct clone_args ca = {.exit_signal = SIGCHLD};
    errno = 0;
    r = syscall(SYS_clone3, &ca, sizeof(ca));
    if (r == 0)
        _exit(0);
    report("clone3", r);
    /* and what must still work */
    errno = 0;
    r = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, 0);
    if (r == 0)
        _exit(0);
    report("clone_plain", r);
    errno = 0;
    s = socket(AF_INET, SOCK_STREAM, 0);
    report("socket_inet", s);
    return 0;
}

static int fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return perror("/proc/self/fd"), 1;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
            printf("%s\n", de->d_name);
    closedir(d);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && !strcmp(argv[1], "syscalls"))
        return syscalls();
    if (argc == 2 && !strcmp(argv[1], "fds"))
        return fds();
    if (argc == 2 && !strcmp(argv[1], "cwd")) {
        char buf[4096];
        if (!getcwd(buf, sizeof(buf)))
            return perror("getcwd"), 1;
        puts(buf);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "mono")) { /* for bench/supervisor.sh: when it ran */
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        printf("mono %lld\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "hog")) {
        int n = atoi(argv[2]);
        for (int i = 1; i <= n; i++) {
            char *p = malloc(1 << 20);
            if (!p)
                return perror("malloc"), 1;
            memset(p, i, 1 << 20);
            printf("held %d MiB\n", i);
        }
        return 0;
    }
    fprintf(stderr, "usage: probe syscalls|fds|cwd|mono|hog MIB\n");
    return 2;
}
