/* container.h - start a process in its own container, wait for it, enter it.
 *
 * One code path for rtctl run and for rtinit. The caller describes the
 * container (struct ctr_spec); ctr_start() does everything that can fail
 * in the parent first (cgroup, seccomp program, capability sets, the
 * container's directory), then clone3() into new namespaces and the
 * cgroup. The child waits on a socketpair until the parent has finished
 * (the network, in the bridge issue), builds its root, drops privileges,
 * loads the seccomp filter last and execs. Any failure in the child comes
 * back over the socketpair as a message; the socket closing on exec says
 * the container runs. */
#ifndef RT_CONTAINER_H
#define RT_CONTAINER_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../images/digest.h"
#include "../config/conf.h"
#include "../lib/err.h"
#include "../netns/net.h"
#include "cgroup.h"

struct ctr_mount {
    bool tmpfs;
    const char *src;             /* bind: host path */
    const char *dst;             /* path in the container */
    bool ro;
    unsigned long flags;         /* tmpfs: MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_RDONLY */
    const char *data;            /* tmpfs: "size=64M,mode=1777" */
    bool own;                    /* bind: a named volume: made if missing and, while it is empty
                                    and root's, given to the container's user (as docker does) */
};

/* A host device passed through on purpose (conf.d `devices`, rtctl run
 * --device): the node host is made at ctr in the container's /dev, and
 * the cgroup's device program allows it with access. */
#define CTR_DEV_READ  1u
#define CTR_DEV_WRITE 2u
#define CTR_DEV_MKNOD 4u
struct ctr_device {
    const char *host;            /* absolute path of a character or block device on the host */
    const char *ctr;             /* absolute path in the container (under /dev) */
    unsigned access;             /* CTR_DEV_READ | CTR_DEV_WRITE | CTR_DEV_MKNOD */
};

/* Where a container with network = bridge goes: the bridge and its
 * address there (netns/). */
struct ctr_net {
    struct net_bridge bridge;
    uint32_t addr;               /* host byte order */
};

struct ctr_spec {
    const char *name;            /* a DNS label: the cgroup and the directory use it */
    const char *state_dir;       /* STATE: containers/<name> (writable layer) and images/ */
    const char *run_dir;         /* RUN: containers/<name> (lock, state, mount point) */
    const struct digest *image;  /* the image's manifest digest (rtinit's services: status shows it); NULL */
    const struct digest *layers; /* diff_ids, base first */
    size_t nlayers;
    bool read_only;
    bool init;                   /* PID 1 is the runtime's init (ctrinit), which runs argv as its child,
                                    forwards signals to it and reaps zombies */
    bool tty;                    /* fds 0-2 a new pty of the container's devpts, its controlling terminal;
                                    the master comes back in ctr.tty (runtime/pty.c; rtctl run -t) */
    unsigned short tty_rows, tty_cols; /* with tty: its first size (0: none) */
    char *const *argv;           /* argv[0] looked up in the container's PATH */
    char *const *env;            /* NAME=value, NULL-terminated */
    const char *cwd;             /* absolute, in the container */
    const char *user;            /* "uid[:gid]" or names; NULL: root */
    const char *hostname;
    enum net_mode network;
    const struct ctr_net *net;   /* NET_BRIDGE: its place on the bridge; NULL: only lo */
    uint64_t cap_add, cap_drop;
    bool cap_add_all, cap_drop_all;
    enum seccomp_mode seccomp;
    const char *seccomp_profile;
    const struct ulimit *rlimits;
    size_t nrlimits;
    const struct ctr_mount *mounts;
    size_t nmounts;
    const struct ctr_device *devices;
    size_t ndevices;
    struct cg_limits limits;
    int stdio[3];                /* the container's fds 0, 1, 2 */
    const char *hosts;           /* contents of /etc/hosts, NULL: localhost and the hostname */
    const char *resolv_conf;     /* contents of /etc/resolv.conf, NULL: the host's */
    bool fresh_layer;            /* a new empty writable layer, the previous one removed (rtinit's
                                    services); false: kept across runs of the name (rtctl run) */
    bool host;                   /* not a container: a process of the host, in its namespaces and
                                    root, as user, with argv, env, cwd, rlimits, limits and stdio;
                                    nothing else of the spec applies (hostproc.c) */
    bool keep_children;          /* host: what the process leaves running is not killed when it
                                    ends (kill_mode = process); it stays in the cgroup */
};

struct ctr {
    char name[64];
    char dir[PATH_MAX];          /* STATE/containers/<name> */
    char rdir[PATH_MAX];         /* RUN/containers/<name> */
    pid_t pid;
    int pidfd;
    int lockfd;                  /* flock on <dir>/lock while it runs */
    int sync;                    /* ctr_spawn: readable when the process has exec'd or failed; -1 */
    uint64_t caps;               /* its capability set (recorded for exec) */
    struct cgroup cg;
    bool has_cgroup;
    bool attached;               /* its veth is on the bridge (removed by ctr_release) */
    bool init;                   /* started with spec init: its pid is ctrinit's */
    char bridge[16];             /* when attached: the bridge's name, */
    uint32_t addr;               /* and its address on it */
    bool host;                   /* a host process (spec host): no namespaces, no run directory */
    bool keep_children;          /* spec keep_children: ctr_release leaves its cgroup's other processes */
    int tty;                     /* spec tty, exec's tty: the pty's master, ours (closed by ctr_release); -1 */
    char missing[512];           /* limits not applied for want of a controller */
};

/* Does STATE/containers/<name>/layers already list exactly s's layers?
 * Then `image gc` keeps them (it reads those lists under the store's
 * lock), and a start may go on while gc holds that lock. */
bool ctr_layers_pinned(const struct ctr_spec *s);

/* A container's name: a DNS label (lowercase letters, digits, '-'; at most
 * 63), since it names a cgroup, a directory and a host. */
bool ctr_name_ok(const char *name);

/* Docker's default capability set. */
#define CTR_DEFAULT_CAPS                                                                                     \
    ((1ULL << 0) | (1ULL << 1) | (1ULL << 3) | (1ULL << 4) | (1ULL << 27) | (1ULL << 13) | (1ULL << 6) |     \
     (1ULL << 7) | (1ULL << 31) | (1ULL << 8) | (1ULL << 10) | (1ULL << 18) | (1ULL << 5) | (1ULL << 29))

/* The capability set a container gets: Docker's default minus cap_drop
 * plus cap_add. */
uint64_t ctr_caps(const struct ctr_spec *s);

/* On failure, c can still be given to ctr_release() (remove drops the
 * container's directory unless another process runs that container). */
int ctr_start(const struct ctr_spec *s, struct ctr *c, struct rt_err *err);
/* ctr_start() in two halves, for a caller that must not wait while the
 * child builds its root (rtinit's loop). ctr_spawn() returns once the
 * child runs (c->pid) and has been told to go; c->sync then becomes
 * readable when it has exec'd or failed, and ctr_spawned() says which:
 * 0 it runs, 1 not yet, -1 it failed (err says why; it was sent SIGKILL
 * and the caller reaps it, then calls ctr_release()). s must stay valid
 * until then. */
int ctr_spawn(const struct ctr_spec *s, struct ctr *c, struct rt_err *err);
int ctr_spawned(const struct ctr_spec *s, struct ctr *c, struct rt_err *err);
/* Wait for the container's process to end; *status as from waitpid. */
int ctr_wait(struct ctr *c, int *status, struct rt_err *err);
/* The command's wait status from the container's process's: with init,
 * an exit with 128+N (N a signal) is the command killed by N (a PID 1
 * cannot die of a signal it did not want, so the init exits so); status
 * unchanged otherwise. ctr_wait applies it; a caller that reaps the
 * process itself (rtinit) calls it. */
int ctr_exit_status(const struct ctr *c, int status);
int ctr_signal(struct ctr *c, int sig);
/* After the process ended: kill what is left in its cgroup, remove the
 * cgroup and the container's run directory; with remove, its state
 * directory (its writable layer) too. For a container started by
 * ctr_exec(), only closes what c holds. */
void ctr_release(struct ctr *c, bool remove);

/* What `rtctl exec` may change of the process it starts. */
struct ctr_exec_opts {
    const char *user;            /* NULL: the container's */
    const char *cwd;             /* absolute; NULL: the container's working directory */
    char *const *env;            /* NAME=value, NULL-terminated: set over the container's; NULL: none */
    bool tty;                    /* fds 0-2 a new pty of the container's devpts, in place of stdio (give
                                    /dev/null: the caller's terminal never goes in), the controlling
                                    terminal of the command, which has a session of its own; the master
                                    comes back in c->tty; TERM=xterm unless env or the container set it */
    unsigned short rows, cols;   /* with tty: its first size (0: none) */
};

/* Start argv inside the running container `name` (its namespaces, cgroup,
 * user, capabilities and seccomp filter, as recorded when it started);
 * o (NULL: nothing changed) may change its user, working directory and
 * environment, and give it a terminal; stdio (NULL: ours) gives its fds
 * 0, 1, 2. Refused unless the caller runs sealed (ctr_seal_self).
 *
 * The process that c then holds (pid, pidfd: ctr_wait, ctr_signal,
 * ctr_release(c, false), which leaves the container's cgroup alone) is the
 * caller's child outside the container, whose exit status is the
 * command's and which passes signals on to it (see exec.c).
 *
 * ctr_exec() returns when the command is started or has failed to.
 * ctr_exec_spawn() and ctr_exec_spawned() are its two halves, for a
 * caller that must not wait (rtinit's exec health checks): spawn returns
 * at once with *sync, an fd that becomes readable when there is news;
 * spawned then says 0 (it runs), 1 (not yet) or -1 (it failed: err; the
 * process ends by itself, to be reaped). The caller closes *sync. */
int ctr_exec(const char *state_dir, const char *run_dir, const char *name, const struct ctr_exec_opts *o,
             char *const *argv, const int *stdio, struct ctr *c, struct rt_err *err);
int ctr_exec_spawn(const char *state_dir, const char *run_dir, const char *name, const char *user, char *const *argv,
                   const int *stdio, struct ctr *c, int *sync, struct rt_err *err);
int ctr_exec_spawned(struct ctr *c, int sync, struct rt_err *err);

/* A command run as the host service whose process main holds would be
 * (spec: its user, environment, working directory and rlimits), on the
 * host, in main's cgroup: rtinit's exec health checks of a host service,
 * which ctr_exec cannot enter (there is no container). The halves work
 * as ctr_exec_spawn's: *sync becomes readable with news, and
 * ctr_host_exec_spawned says 0 (it runs), 1 (not yet) or -1 (it failed:
 * err; it ends by itself, to be reaped). The caller closes *sync. */
int ctr_host_exec_spawn(const struct ctr_spec *s, const struct ctr *main, char *const *argv, const int *stdio,
                        struct ctr *c, int *sync, struct rt_err *err);
int ctr_host_exec_spawned(struct ctr *c, int sync, struct rt_err *err);

/* Run this program from a sealed in-memory copy of its binary, so that a
 * process entering a container never has the runtime's binary, writable,
 * as its /proc/PID/exe (the CVE-2019-5736 class; see selfexe.c). Re-execs
 * with argv when not yet running from the copy; returns 0 when it is. */
int ctr_seal_self(char **argv, struct rt_err *err);
bool ctr_sealed(void);

#endif
