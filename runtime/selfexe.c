/* selfexe.c - run the runtime from a sealed copy of its own binary.
 *
 * A process that `exec` puts into a container is the runtime until it
 * calls execve(): for that moment its /proc/PID/exe, seen from inside the
 * container, is the runtime's binary. A container process with
 * CAP_SYS_PTRACE may open it (non-dumpable is no bar to that capability),
 * keep the fd, and once the runtime has exited reopen it for writing: the
 * next rtctl or rtinit run as root would run its code (CVE-2019-5736).
 *
 * So, as runc and crun do, the programs that enter containers re-execute
 * themselves from a memfd holding a copy of their binary, sealed against
 * every change: what a container can reach is that copy, which nobody
 * can write. It costs one copy of the binary (about 1.4 MB) and a second
 * start of the program, part of the 2.5 ms that rtctl exec costs more
 * now (docs/runtime.md), and once per boot for rtinit. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

bool ctr_sealed(void)
{
    int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (exe < 0)
        return false;
    int seals = fcntl(exe, F_GET_SEALS);
    close(exe);
    return seals >= 0 && (seals & SEALS) == SEALS;
}

int ctr_seal_self(char **argv, struct rt_err *err)
{
    int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (exe < 0)
        return rt_syserror(err, "opening /proc/self/exe to run from a sealed copy");
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    int seals = fcntl(exe, F_GET_SEALS);
    if (seals >= 0 && (seals & SEALS) == SEALS) {
        /* the copy already. execveat(fd, "") named the process after the
         * fd ("3"): give it its own name back, for ps and pgrep. */
        close(exe);
        prctl(PR_SET_NAME, base, 0, 0, 0);
        return 0;
    }
    struct stat st;
    if (fstat(exe, &st) < 0) {
        int e = errno;
        close(exe);
        return rt_error(err, e, "/proc/self/exe: %s", strerror(e));
    }
    int mfd = memfd_create(base, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd < 0) {
        int e = errno;
        close(exe);
        return rt_error(err, e, "memfd_create: %s", strerror(e));
    }
    off_t off = 0;
    while (off < st.st_size) {
        ssize_t n = sendfile(mfd, exe, &off, (size_t)(st.st_size - off));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            close(exe);
            close(mfd);
            return rt_error(err, e, "copying /proc/self/exe: %s", strerror(e));
        }
    }
    close(exe);
    if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0) {
        int e = errno;
        close(mfd);
        return rt_error(err, e, "sealing the copy of /proc/self/exe: %s", strerror(e));
    }
    syscall(SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
    int e = errno;
    close(mfd);
    return rt_error(err, e, "running the sealed copy of /proc/self/exe: %s", strerror(e));
}
