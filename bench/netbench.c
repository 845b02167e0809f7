/* netbench N NSDIR BRIDGE - attach N network namespaces (NSDIR/ns0 ...,
 * bind-mounted namespace files made beforehand) to BRIDGE the way rtinit
 * does (netns/net.c: veth, eth0 in the namespace, address, route, lo up,
 * plus writing an /etc/hosts for it), and print the milliseconds it took.
 * bench/network.sh runs it beside the same steps done with ip(8). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fileio.h"
#include "../netns/net.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: netbench N NSDIR BRIDGE\n");
        return 2;
    }
    int n = atoi(argv[1]);
    struct net_bridge b = {.name = argv[3], .subnet = 0x0a580000, .gateway = 0x0a580001, .prefix = 16, .mtu = 1500};
    struct rt_err err;
    if (net_bridge_up(&b, &err) < 0) {
        fprintf(stderr, "netbench: %s\n", err.msg);
        return 1;
    }
    int dir = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        char p[4200], name[32], hosts[128];
        snprintf(p, sizeof(p), "%s/ns%d", argv[2], i);
        snprintf(name, sizeof(name), "bench-%d", i);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || net_attach(&b, name, fd, 0x0a580002 + (uint32_t)i, &err) < 0) {
            fprintf(stderr, "netbench: %s: %s\n", p, fd < 0 ? "cannot open" : err.msg);
            return 1;
        }
        close(fd);
        int len = snprintf(hosts, sizeof(hosts), "127.0.0.1\tlocalhost\n10.88.%d.%d\t%s\n", (i + 2) / 256,
                           (i + 2) % 256, name);
        snprintf(p, sizeof(p), "hosts%d", i);
        if (write_file_atomic(dir, p, hosts, (size_t)len, &err) < 0) {
            fprintf(stderr, "netbench: %s\n", err.msg);
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.3f\n", ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6));
    return 0;
}
