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
 *   probe exe PATH   every way to write the executable PATH (/proc/1/exe:
 *                    the container's init) from here: open it for
 *                    writing, reopen a read-only fd of it for writing,
 *                    map it shared and writable, truncate it; one line
 *                    each, "NAME ERRNO", then "seals HEX" (F_GET_SEALS)
 *   probe localnet GATEWAY PORT [FROM]
 *                    a UDP datagram for 127.0.0.1:PORT in a frame made by
 *                    hand, to GATEWAY's MAC address (CVE-2020-8558); prints
 *                    "answer: TEXT" or "no answer". With FROM: one from
 *                    FROM (127.0.0.2, say) for GATEWAY:PORT instead
 *   probe ctl PATH REQUEST
 *                    REQUEST (JSON) to the SOCK_SEQPACKET socket PATH (an
 *                    rtinit control socket), prints "uid N" and the
 *                    answer, or "connect ERRNO"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/sched.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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
    case ENXIO: return "ENXIO";
    case ENODEV: return "ENODEV";
    case EROFS: return "EROFS";
    case ETXTBSY: return "ETXTBSY";
    case ELOOP: return "ELOOP";
    case EIO: return "EIO";
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

static int open_cmd(const char *path, const char *mode)
{
    int flags = !strcmp(mode, "r") ? O_RDONLY : !strcmp(mode, "w") ? O_WRONLY : O_RDWR;
    errno = 0;
    int fd = open(path, flags | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    printf("open %s %s\n", path, fd < 0 ? ename(errno) : "OK");
    return 0;
}

#define SNOOP_MAX 4096

static int snoop(int seconds, const char *hostfile)
{
    static int exefd[SNOOP_MAX], exepid[SNOOP_MAX];
    static char seen[1 << 16];
    int nexe = 0, n = 0;
    char self[64], mine[256] = "";
    snprintf(self, sizeof(self), "%d", (int)getpid());
    ssize_t k = readlink("/proc/self/exe", mine, sizeof(mine) - 1);
    mine[k > 0 ? k : 0] = '\0';
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        DIR *d = opendir("/proc");
        if (!d)
            return perror("/proc"), 1;
        struct dirent *de;
        while ((de = readdir(d))) {
            int pid = atoi(de->d_name);
            if (pid <= 1 || pid >= (int)sizeof(seen) || seen[pid] || !strcmp(de->d_name, self))
                continue;
            char p[512], link[256];
            snprintf(p, sizeof(p), "/proc/%d/exe", pid);
            ssize_t m = readlink(p, link, sizeof(link) - 1);
            if (m <= 0)
                continue;
            link[m] = '\0';
            seen[pid] = 1;
            n++;
            if (!strcmp(link, mine) || strstr(link, "busybox"))
                continue;
            snprintf(p, sizeof(p), "/proc/%d/root%s", pid, hostfile);
            int fd = open(p, O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                char buf[128];
                ssize_t r = read(fd, buf, sizeof(buf) - 1);
                buf[r > 0 ? r : 0] = '\0';
                buf[strcspn(buf, "\n")] = '\0';
                printf("root-escape %d: %s\n", pid, buf);
                close(fd);
            }
            snprintf(p, sizeof(p), "/proc/%d/exe", pid);
            fd = open(p, O_PATH | O_CLOEXEC);
            if (fd < 0)
                continue;
            /* still the runtime's, not what it exec'd meanwhile (the
             * container's own files are not what this attack is after) */
            char again[256];
            snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
            m = readlink(p, again, sizeof(again) - 1);
            again[m > 0 ? m : 0] = '\0';
            if (strcmp(again, link) || nexe == SNOOP_MAX) {
                close(fd);
                continue;
            }
            exefd[nexe] = fd;
            exepid[nexe++] = pid;
            /* what code injected into it (ptrace) would hold */
            char st[4096] = "";
            snprintf(p, sizeof(p), "/proc/%d/status", pid);
            int sfd = open(p, O_RDONLY | O_CLOEXEC);
            ssize_t sn = sfd >= 0 ? read(sfd, st, sizeof(st) - 1) : -1;
            st[sn > 0 ? sn : 0] = '\0';
            if (sfd >= 0)
                close(sfd);
            const char *ce = strstr(st, "CapEff:\t"), *sc = strstr(st, "Seccomp:\t"), *nn = strstr(st, "NoNewPrivs:\t");
            /* fds past stdio, by what they are */
            char fdl[1024] = "";
            size_t fl = 0;
            snprintf(p, sizeof(p), "/proc/%d/fd", pid);
            DIR *fdd = opendir(p);
            for (struct dirent *fe; fdd && (fe = readdir(fdd));) {
                if (fe->d_name[0] == '.' || atoi(fe->d_name) < 3)
                    continue;
                char fp[1024], tgt[256];
                snprintf(fp, sizeof(fp), "%s/%s", p, fe->d_name);
                ssize_t tn = readlink(fp, tgt, sizeof(tgt) - 1);
                tgt[tn > 0 ? tn : 0] = '\0';
                int w = snprintf(fdl + fl, sizeof(fdl) - fl, "%s%s", fl ? "," : "", tgt);
                if (w > 0 && (size_t)w < sizeof(fdl) - fl)
                    fl += (size_t)w;
            }
            if (fdd)
                closedir(fdd);
            if (ce && sc && nn && fdd)
                printf("entering %d capeff=%.16s seccomp=%c nnp=%c fds=%s\n", pid, ce + 8, sc[9], nn[12],
                       fl ? fdl : "-");
        }
        closedir(d);
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while (t.tv_sec - t0.tv_sec < seconds);
    for (int i = 0; i < nexe; i++) {
        char p[64], link[256];
        snprintf(p, sizeof(p), "/proc/self/fd/%d", exefd[i]);
        ssize_t m = readlink(p, link, sizeof(link) - 1);
        link[m > 0 ? m : 0] = '\0';
        int fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd >= 0 && write(fd, "X", 1) == 1)
            printf("exe-written %d: %s\n", exepid[i], link);
        if (fd >= 0)
            close(fd);
    }
    printf("snooped %d processes, kept %d exe\n", n, nexe);
    return 0;
}

static int exe_cmd(const char *path)
{
    errno = 0;
    int w = open(path, O_WRONLY | O_CLOEXEC);
    printf("open-w %s\n", w < 0 ? ename(errno) : "OK");
    if (w >= 0) {
        errno = 0;
        printf("write %s\n", write(w, "x", 1) < 0 ? ename(errno) : "OK");
        close(w);
    }
    int r = open(path, O_RDONLY | O_CLOEXEC);
    if (r < 0)
        return printf("open-r %s\n", ename(errno)), 1;
    char again[64];
    snprintf(again, sizeof(again), "/proc/self/fd/%d", r);
    errno = 0;
    int rw = open(again, O_RDWR | O_CLOEXEC);
    printf("reopen-rw %s\n", rw < 0 ? ename(errno) : "OK");
    if (rw >= 0) {
        errno = 0;
        printf("pwrite %s\n", pwrite(rw, "x", 1, 0) < 0 ? ename(errno) : "OK");
        errno = 0;
        printf("ftruncate %s\n", ftruncate(rw, 0) < 0 ? ename(errno) : "OK");
        close(rw);
    }
    errno = 0;
    void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, r, 0);
    printf("mmap-shared-w %s\n", m == MAP_FAILED ? ename(errno) : "OK");
    errno = 0;
    int seals = fcntl(r, F_GET_SEALS);
    if (seals < 0)
        printf("seals %s\n", ename(errno));
    else
        printf("seals %x\n", (unsigned)seals);
    close(r);
    return 0;
}

/* SIGSTOP every process that appears running something other than what
 * the container runs (busybox, us): exec's processes, caught before they
 * exec. For SECONDS. */
static int stopper(int seconds)
{
    static char seen[1 << 16];
    char mine[256] = "";
    ssize_t k = readlink("/proc/self/exe", mine, sizeof(mine) - 1);
    mine[k > 0 ? k : 0] = '\0';
    int stopped = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        DIR *d = opendir("/proc");
        if (!d)
            return perror("/proc"), 1;
        for (struct dirent *de; (de = readdir(d));) {
            int pid = atoi(de->d_name);
            if (pid <= 1 || pid >= (int)sizeof(seen) || seen[pid] || pid == getpid())
                continue;
            char p[64], link[256];
            snprintf(p, sizeof(p), "/proc/%d/exe", pid);
            ssize_t m = readlink(p, link, sizeof(link) - 1);
            /* a non-dumpable process (one entering) hides its exe */
            if (m <= 0 && errno != EACCES)
                continue;
            link[m > 0 ? m : 0] = '\0';
            seen[pid] = 1;
            if (strcmp(link, mine) && !strstr(link, "busybox") && kill(pid, SIGSTOP) == 0)
                stopped++;
        }
        closedir(d);
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while (t.tv_sec - t0.tv_sec < seconds);
    printf("stopped %d processes\n", stopped);
    return 0;
}

/* Type a character into the terminal on fd 0 (TIOCSTI): if the runtime
 * let its caller's terminal in, it would land in the caller's shell. */
static int tiocsti(void)
{
    char c = '#';
    errno = 0;
    report("tiocsti", ioctl(0, TIOCSTI, &c));
    errno = 0;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    report("dev_tty", fd);
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

/* ---------- localnet: a container's packets for the droplet's 127.0.0.1 ---------- */

/* The gateway's MAC address: a datagram to it (port 9, discard: nothing
 * there minds) makes the kernel ask (ARP), then the answer is in
 * /proc/net/arp. */
static int gateway_mac(struct in_addr gw, unsigned char mac[6])
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr = gw};
    if (s < 0 || connect(s, (struct sockaddr *)&to, sizeof(to)) < 0)
        return perror("gateway"), -1;
    if (send(s, "?", 1, 0) < 0)
        perror("gateway");
    close(s);
    char want[32];
    snprintf(want, sizeof(want), "%s", inet_ntoa(gw));
    for (int i = 0; i < 30; i++) {
        FILE *f = fopen("/proc/net/arp", "r");
        if (!f)
            return perror("/proc/net/arp"), -1;
        char line[256], ip[32];
        unsigned flags, m[6];
        while (fgets(line, sizeof(line), f))
            if (sscanf(line, "%31s %*s %x %x:%x:%x:%x:%x:%x", ip, &flags, &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) ==
                    8 &&
                !strcmp(ip, want) && (flags & 2)) {
                for (int k = 0; k < 6; k++)
                    mac[k] = (unsigned char)m[k];
                fclose(f);
                return 0;
            }
        fclose(f);
        usleep(100 * 1000);
    }
    fprintf(stderr, "no MAC address for %s\n", want);
    return -1;
}

static uint16_t ip_checksum(const void *p, size_t len)
{
    const uint16_t *w = p;
    uint32_t sum = 0;
    for (; len > 1; len -= 2)
        sum += *w++;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* The reply to sport from 127.0.0.1:port, if pkt (an IPv4 packet) is it. */
static const char *reply_in(const unsigned char *pkt, ssize_t n, int port, uint16_t sport, size_t *len)
{
    const struct iphdr *ip = (const struct iphdr *)pkt;
    if (n < (ssize_t)sizeof(*ip) || ip->version != 4 || ip->protocol != IPPROTO_UDP ||
        ip->saddr != htonl(INADDR_LOOPBACK))
        return NULL;
    size_t hl = (size_t)ip->ihl * 4;
    const struct udphdr *u = (const struct udphdr *)(pkt + hl);
    if ((size_t)n < hl + sizeof(*u) || u->source != htons((uint16_t)port) || u->dest != htons(sport))
        return NULL;
    *len = (size_t)n - hl - sizeof(*u);
    return (const char *)(u + 1);
}

static int localnet(const char *gateway, int port, const char *from)
{
    struct in_addr gw, src;
    if (!inet_aton(gateway, &gw) || port <= 0 || port > 65535 || (from && !inet_aton(from, &src)))
        return fprintf(stderr, "probe localnet: GATEWAY PORT [FROM]\n"), 2;
    unsigned ifindex = if_nametoindex("eth0");
    if (!ifindex)
        return perror("eth0"), 1;
    /* eth0's address: the source, so that a reply comes back here */
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0");
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0 || ioctl(s, SIOCGIFADDR, &ifr) < 0)
        return perror("eth0's address"), 1;
    close(s);
    unsigned char mac[6];
    if (gateway_mac(gw, mac) < 0)
        return 1;
    int ps = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
    struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = (int)ifindex};
    if (ps < 0 || bind(ps, (struct sockaddr *)&ll, sizeof(ll)) < 0)
        return perror("packet socket"), 1;
    static const char msg[] = "rt-probe localnet";
    uint16_t sport = (uint16_t)(40000 + getpid() % 20000);
    struct {
        struct iphdr ip;
        struct udphdr udp;
        char data[sizeof(msg) - 1];
    } __attribute__((packed)) pkt = {
        .ip = {.version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP, .tot_len = htons(sizeof(pkt)),
               .frag_off = htons(IP_DF),
               .saddr = from ? src.s_addr : ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr,
               .daddr = from ? gw.s_addr : htonl(INADDR_LOOPBACK)},
        .udp = {.source = htons(sport), .dest = htons((uint16_t)port), .len = htons(sizeof(pkt) - sizeof(pkt.ip))},
    };
    memcpy(pkt.data, msg, sizeof(pkt.data)); /* UDP checksum 0: none, allowed over IPv4 */
    pkt.ip.check = ip_checksum(&pkt.ip, sizeof(pkt.ip));
    ll.sll_halen = 6;
    memcpy(ll.sll_addr, mac, 6);
    for (int tries = 0; tries < 3; tries++) {
        if (sendto(ps, &pkt, sizeof(pkt), 0, (struct sockaddr *)&ll, sizeof(ll)) < 0)
            return perror("sending"), 1;
        struct timespec end, now;
        clock_gettime(CLOCK_MONOTONIC, &end);
        end.tv_nsec += 700 * 1000000L;
        end.tv_sec += end.tv_nsec / 1000000000L;
        end.tv_nsec %= 1000000000L;
        for (;;) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            long ms = (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
            struct pollfd pfd = {.fd = ps, .events = POLLIN};
            if (ms <= 0 || poll(&pfd, 1, (int)ms) <= 0)
                break;
            unsigned char buf[2048];
            ssize_t n = recv(ps, buf, sizeof(buf), 0);
            size_t len;
            const char *text = n > 0 ? reply_in(buf, n, port, sport, &len) : NULL;
            if (text) {
                printf("answer: %.*s\n", (int)len, text);
                return 0;
            }
        }
    }
    printf("no answer\n");
    return 0;
}

static int ctl_cmd(const char *path, const char *req)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    printf("uid %d\n", (int)getuid());
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        printf("connect %s\n", strerrorname_np(errno));
        return 1;
    }
    /* EPIPE: rtinit refused the connection as it came, said why and
     * closed; its answer waits to be read */
    if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0 && errno != EPIPE)
        return perror("send"), 1;
    static char buf[1 << 16];
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    if (n < 0)
        return perror("recv"), 1;
    buf[n] = '\0';
    printf("answer %s\n", buf);
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
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "localnet"))
        return localnet(argv[2], atoi(argv[3]), argc == 5 ? argv[4] : NULL);
    if (argc == 4 && !strcmp(argv[1], "open"))
        return open_cmd(argv[2], argv[3]);
    if (argc == 3 && !strcmp(argv[1], "exe"))
        return exe_cmd(argv[2]);
    if (argc == 2 && !strcmp(argv[1], "tiocsti"))
        return tiocsti();
    if (argc == 3 && !strcmp(argv[1], "stopper"))
        return stopper(atoi(argv[2]));
    if (argc == 4 && !strcmp(argv[1], "snoop"))
        return snoop(atoi(argv[2]), argv[3]);
    if (argc == 4 && !strcmp(argv[1], "ctl"))
        return ctl_cmd(argv[2], argv[3]);
    fprintf(stderr, "usage: probe syscalls|fds|cwd|mono|hog MIB|localnet GATEWAY PORT [FROM]|open PATH r|w|rw|"
                    "exe PATH|tiocsti|stopper SECONDS|snoop SECONDS HOSTFILE|ctl PATH REQUEST\n");
    return 2;
}
