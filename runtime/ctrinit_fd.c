/* ctrinit_fd.c - the containers' init (runtime/ctrinit/main.c): the copy
 * embedded in our binary (runtime/ctrinit/blob.S), put into a sealed
 * memfd for each container that asks for it; and the exit status it
 * reports, read back. See child.h and container.h.
 *
 * Why a memfd, not a file bind-mounted read-only into the container (as
 * docker does with /sbin/docker-init): the container's child executes it
 * from the fd as its very last step (execveat, AT_EMPTY_PATH), so nothing
 * is added to the container's mounts, no host file is involved that could
 * be replaced between a check and the exec, and what the container can
 * reach of it (/proc/1/exe, or an fd reopened from it) is this copy,
 * sealed against every write, growth and shrink before any container
 * exists, like the runtime's own copy of itself (selfexe.c). A copy per
 * start, rather than one shared: about 30 KiB and a few microseconds,
 * and no state to keep between starts. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "container.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: executable even when vm.memfd_noexec = 1 */
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern const unsigned char rt_ctrinit_start[], rt_ctrinit_end[];

int ctrinit_memfd(struct rt_err *err)
{
    int fd = memfd_create("ctrinit", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (fd < 0 && errno == EINVAL) /* a kernel before 6.3: every memfd is executable */
        fd = memfd_create("ctrinit", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return rt_syserror(err, "the container's init: memfd_create");
    const unsigned char *p = rt_ctrinit_start;
    size_t left = (size_t)(rt_ctrinit_end - rt_ctrinit_start);
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            close(fd);
            return rt_error(err, e, "the container's init: writing its memfd: %s", strerror(e));
        }
        p += n;
        left -= (size_t)n;
    }
    if (fcntl(fd, F_ADD_SEALS, SEALS) < 0) {
        int e = errno;
        close(fd);
        return rt_error(err, e, "the container's init: sealing its memfd: %s", strerror(e));
    }
    return fd;
}

int ctr_exit_status(const struct ctr *c, int status)
{
    if (!c->init || !WIFEXITED(status))
        return status;
    int code = WEXITSTATUS(status);
    /* the init exits 128+N for a command killed by signal N (a PID 1
     * cannot die of it); as docker, we cannot tell that from a command
     * that exited 128+N itself */
    if (code > 128 && code - 128 < NSIG)
        return W_EXITCODE(0, code - 128);
    return status;
}
