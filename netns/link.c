/* link.c - rtnetlink requests with libmnl. See link.h. */
#include "link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/ip.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A socket of NETLINK_ROUTE in the network namespace netns, without the
 * caller ever leaving its own: a socket keeps the namespace it was made
 * in, so a child that shares our file table (CLONE_FILES, no copy of the
 * memory) enters netns, makes it, and puts it on the fd number slot we
 * reserved. Entering and coming back ourselves, as before, left no way
 * out when the way back failed but abort(), and this runs in PID 1 at a
 * container's start. The wait is for a child doing three syscalls. */
static int socket_in_netns(int netns, struct rt_err *err)
{
    int slot = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (slot < 0)
        return rt_syserror(err, "/dev/null");
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0);
    if (pid == 0) {
        if (setns(netns, CLONE_NEWNET) < 0)
            _exit(1);
        int sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (sk < 0)
            _exit(2);
        /* the table is shared: the socket moves to slot, for both of us */
        int r = dup3(sk, slot, O_CLOEXEC);
        close(sk);
        _exit(r < 0 ? 3 : 0);
    }
    if (pid < 0) {
        rt_syserror(err, "a process to open rtnetlink in the container's network namespace");
        close(slot);
        return -1;
    }
    int st;
    pid_t w;
    while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (w < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
        static const char *const what[] = {"", "entering the container's network namespace",
                                           "an rtnetlink socket in it", "placing the socket"};
        int code = w >= 0 && WIFEXITED(st) && WEXITSTATUS(st) < 4 ? WEXITSTATUS(st) : 0;
        close(slot);
        return rt_error(err, EIO, "rtnetlink in the container's network namespace: %s",
                        code ? what[code] : "its helper process failed");
    }
    return slot;
}

int nl_open(struct nl *n, int netns, struct rt_err *err)
{
    n->sk = NULL;
    if (netns >= 0) {
        int fd = socket_in_netns(netns, err);
        if (fd < 0)
            return -1;
        n->sk = mnl_socket_fdopen(fd);
        if (!n->sk) {
            int e = errno;
            close(fd);
            return rt_error(err, e, "rtnetlink socket: %s", strerror(e));
        }
    } else {
        n->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (!n->sk)
            return rt_error(err, errno, "rtnetlink socket: %s", strerror(errno));
    }
    if (mnl_socket_bind(n->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        mnl_socket_close(n->sk);
        n->sk = NULL;
        return rt_error(err, e, "rtnetlink socket: %s", strerror(e));
    }
    n->portid = mnl_socket_get_portid(n->sk);
    n->seq = (unsigned)time(NULL);
    return 0;
}

void nl_close(struct nl *n)
{
    if (n->sk)
        mnl_socket_close(n->sk);
    n->sk = NULL;
}

/* Send one request and wait for the kernel's answer; cb (may be NULL)
 * sees each message of a reply. The kernel's errno on failure. */
static int talk(struct nl *n, struct nlmsghdr *nlh, mnl_cb_t cb, void *ud)
{
    nlh->nlmsg_seq = ++n->seq;
    nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    if (mnl_socket_sendto(n->sk, nlh, nlh->nlmsg_len) < 0)
        return -errno;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    for (;;) {
        ssize_t len = mnl_socket_recvfrom(n->sk, buf, sizeof(buf));
        if (len < 0)
            return errno == EINTR ? -EINTR : -errno;
        int r = mnl_cb_run(buf, (size_t)len, n->seq, n->portid, cb, ud);
        if (r < 0)
            return -errno;
        if (r == MNL_CB_STOP)
            return 0;
    }
}

static struct nlmsghdr *link_msg(char *buf, uint16_t type, uint16_t flags, int index)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = flags;
    struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_index = index;
    return nlh;
}

struct index_ud {
    int index;
};

static int on_link(const struct nlmsghdr *nlh, void *data)
{
    struct index_ud *u = data;
    const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
    u->index = ifm->ifi_index;
    return MNL_CB_OK;
}

int nl_link_index(struct nl *n, const char *name, struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, 0, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    struct index_ud u = {0};
    int r = talk(n, nlh, on_link, &u);
    if (r == -ENODEV)
        return 0;
    if (r < 0)
        return rt_error(err, -r, "looking up link %s: %s", name, strerror(-r));
    return u.index;
}

/* A new link's request: name, MTU, and an open IFLA_LINKINFO of kind
 * (*li, for the caller to add to and close). */
static struct nlmsghdr *new_link(char *buf, const char *name, unsigned mtu, const char *kind, struct nlattr **li)
{
    struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    if (mtu)
        mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
    *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
    return nlh;
}

int nl_bridge_add(struct nl *n, const char *name, unsigned mtu, struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlattr *li;
    struct nlmsghdr *nlh = new_link(buf, name, mtu, "bridge", &li);
    mnl_attr_nest_end(nlh, li);
    int r = talk(n, nlh, NULL, NULL);
    if (r == -EEXIST)
        return 1;
    if (r < 0)
        return rt_error(err, -r, "creating bridge %s: %s%s", name, strerror(-r),
                        r == -EOPNOTSUPP ? " (is the bridge module loaded?)" : "");
    return 0;
}

int nl_veth_add(struct nl *n, const char *name, const char *peer, int peer_netns, unsigned mtu, struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlattr *li;
    struct nlmsghdr *nlh = new_link(buf, name, mtu, "veth", &li);
    struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    struct nlattr *p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
    /* the peer's own ifinfomsg, then its attributes */
    struct ifinfomsg *pi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pi));
    pi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
    if (mtu)
        mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
    if (peer_netns >= 0)
        mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_netns);
    mnl_attr_nest_end(nlh, p);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, li);
    int r = talk(n, nlh, NULL, NULL);
    if (r < 0)
        return rt_error(err, -r, "creating veth %s: %s%s", name, strerror(-r),
                        r == -EOPNOTSUPP ? " (is the veth module loaded?)" : "");
    return 0;
}

int nl_link_up(struct nl *n, int index, int master, struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, index);
    struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
    ifm->ifi_flags = IFF_UP;
    ifm->ifi_change = IFF_UP;
    if (master > 0)
        mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
    int r = talk(n, nlh, NULL, NULL);
    if (r < 0)
        return rt_error(err, -r, "setting link %d up: %s", index, strerror(-r));
    return 0;
}

int nl_link_set_mac(struct nl *n, int index, const uint8_t mac[6], struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, index);
    mnl_attr_put(nlh, IFLA_ADDRESS, ETH_ALEN, mac);
    int r = talk(n, nlh, NULL, NULL);
    if (r < 0)
        return rt_error(err, -r, "setting the MAC address of link %d: %s", index, strerror(-r));
    return 0;
}

int nl_link_arp_notify(struct nl *n, int index, struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, index);
    /* net.ipv4.conf.IFNAME.arp_notify over rtnetlink: IFLA_AF_SPEC >
     * AF_INET > IFLA_INET_CONF > the setting's index, as its value */
    struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
    struct nlattr *inet = mnl_attr_nest_start(nlh, AF_INET);
    struct nlattr *conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
    mnl_attr_put_u32(nlh, IPV4_DEVCONF_ARP_NOTIFY, 1);
    mnl_attr_nest_end(nlh, conf);
    mnl_attr_nest_end(nlh, inet);
    mnl_attr_nest_end(nlh, spec);
    int r = talk(n, nlh, NULL, NULL);
    if (r < 0)
        return rt_error(err, -r, "turning on arp_notify on link %d: %s", index, strerror(-r));
    return 0;
}

/* RTM_GETLINK's answer, IFLA_LINKINFO > IFLA_INFO_SLAVE_DATA >
 * IFLA_BRPORT_STATE: what `ip -d link` shows as "bridge_slave state". */
static int on_port_attr(const struct nlattr *attr, void *data)
{
    struct nl_link *l = data;
    if (mnl_attr_get_type(attr) == IFLA_BRPORT_STATE && mnl_attr_validate(attr, MNL_TYPE_U8) >= 0)
        l->port_state = mnl_attr_get_u8(attr);
    return MNL_CB_OK;
}

static int on_linkinfo_attr(const struct nlattr *attr, void *data)
{
    if (mnl_attr_get_type(attr) == IFLA_INFO_SLAVE_DATA && mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0)
        mnl_attr_parse_nested(attr, on_port_attr, data);
    return MNL_CB_OK;
}

static int on_get_attr(const struct nlattr *attr, void *data)
{
    struct nl_link *l = data;
    uint16_t type = mnl_attr_get_type(attr);
    if (type == IFLA_ADDRESS && mnl_attr_get_payload_len(attr) == ETH_ALEN) {
        memcpy(l->mac, mnl_attr_get_payload(attr), ETH_ALEN);
        l->has_mac = true;
    }
    if (type == IFLA_LINKINFO && mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0)
        mnl_attr_parse_nested(attr, on_linkinfo_attr, data);
    if (type == IFLA_STATS64 && mnl_attr_get_payload_len(attr) >= sizeof(struct rtnl_link_stats64)) {
        struct rtnl_link_stats64 st;
        memcpy(&st, mnl_attr_get_payload(attr), sizeof(st)); /* attributes are 4-byte aligned only */
        l->rx_bytes = st.rx_bytes;
        l->tx_bytes = st.tx_bytes;
        l->rx_packets = st.rx_packets;
        l->tx_packets = st.tx_packets;
        l->has_stats = true;
    }
    return MNL_CB_OK;
}

static int on_get(const struct nlmsghdr *nlh, void *data)
{
    mnl_attr_parse(nlh, sizeof(struct ifinfomsg), on_get_attr, data);
    return MNL_CB_OK;
}

int nl_link_get(struct nl *n, int index, struct nl_link *l, struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, 0, index);
    memset(l, 0, sizeof(*l));
    l->port_state = -1;
    int r = talk(n, nlh, on_get, l);
    if (r < 0)
        return rt_error(err, -r, "looking up link %d: %s", index, strerror(-r));
    return 0;
}

int nl_link_get_name(struct nl *n, const char *name, struct nl_link *l, struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, 0, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    memset(l, 0, sizeof(*l));
    l->port_state = -1;
    int r = talk(n, nlh, on_get, l);
    if (r == -ENODEV)
        return 0;
    if (r < 0)
        return rt_error(err, -r, "looking up link %s: %s", name, strerror(-r));
    return 1;
}

/* A neighbour request: family's ndmsg on index, state and flags. */
static struct nlmsghdr *neigh_msg(char *buf, uint16_t type, uint16_t flags, uint8_t family, int index,
                                  uint16_t state, uint8_t ntf)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = flags;
    struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
    ndm->ndm_family = family;
    ndm->ndm_ifindex = index;
    ndm->ndm_state = state;
    ndm->ndm_flags = ntf;
    return nlh;
}

static const char *ip_text(uint32_t addr, char s[INET_ADDRSTRLEN])
{
    struct in_addr in = {.s_addr = htonl(addr)};
    return inet_ntop(AF_INET, &in, s, INET_ADDRSTRLEN);
}

int nl_neigh_pin(struct nl *n, int index, uint32_t addr, const uint8_t mac[6], struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE], s[INET_ADDRSTRLEN];
    /* REPLACE: whatever an ARP packet put there before is overwritten */
    struct nlmsghdr *nlh =
        neigh_msg(buf, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, AF_INET, index, NUD_PERMANENT, 0);
    mnl_attr_put_u32(nlh, NDA_DST, htonl(addr));
    mnl_attr_put(nlh, NDA_LLADDR, ETH_ALEN, mac);
    int r = talk(n, nlh, NULL, NULL);
    if (r < 0)
        return rt_error(err, -r, "pinning the neighbour entry of %s: %s", ip_text(addr, s), strerror(-r));
    return 0;
}

int nl_neigh_unpin(struct nl *n, int index, uint32_t addr, struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE], s[INET_ADDRSTRLEN];
    struct nlmsghdr *nlh = neigh_msg(buf, RTM_DELNEIGH, 0, AF_INET, index, 0, 0);
    mnl_attr_put_u32(nlh, NDA_DST, htonl(addr));
    int r = talk(n, nlh, NULL, NULL);
    if (r < 0 && r != -ENOENT && r != -ENODEV)
        return rt_error(err, -r, "removing the neighbour entry of %s: %s", ip_text(addr, s), strerror(-r));
    return 0;
}

int nl_fdb_pin(struct nl *n, int port, const uint8_t mac[6], struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    /* NUD_NOARP: `bridge fdb add ... static` (NUD_PERMANENT would make it
     * one of the bridge's own addresses); NTF_MASTER: in the bridge's
     * table, not the port's; NTF_STICKY: frames with this source address
     * from another port do not move it there */
    struct nlmsghdr *nlh = neigh_msg(buf, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, AF_BRIDGE, port, NUD_NOARP,
                                     NTF_MASTER | NTF_STICKY);
    mnl_attr_put(nlh, NDA_LLADDR, ETH_ALEN, mac);
    int r = talk(n, nlh, NULL, NULL);
    if (r < 0)
        return rt_error(err, -r, "pinning %02x:%02x:%02x:%02x:%02x:%02x to link %d in the bridge's table: %s",
                        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], port, strerror(-r));
    return 0;
}

int nl_link_del(struct nl *n, int index, struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, RTM_DELLINK, 0, index);
    int r = talk(n, nlh, NULL, NULL);
    if (r < 0 && r != -ENODEV)
        return rt_error(err, -r, "removing link %d: %s", index, strerror(-r));
    return 0;
}

int nl_addr_add(struct nl *n, int index, uint32_t addr, int prefix, struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWADDR;
    nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = (unsigned char)prefix;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (unsigned)index;
    uint32_t a = htonl(addr);
    mnl_attr_put_u32(nlh, IFA_LOCAL, a);
    mnl_attr_put_u32(nlh, IFA_ADDRESS, a);
    if (prefix < 31) {
        uint32_t bcast = htonl(addr | (prefix ? 0xffffffffu >> prefix : 0xffffffffu));
        mnl_attr_put_u32(nlh, IFA_BROADCAST, bcast);
    }
    int r = talk(n, nlh, NULL, NULL);
    if (r < 0) {
        char s[INET_ADDRSTRLEN];
        struct in_addr in = {.s_addr = a};
        return rt_error(err, -r, "adding address %s/%d: %s", inet_ntop(AF_INET, &in, s, sizeof(s)), prefix,
                        strerror(-r));
    }
    return 0;
}

int nl_route_default(struct nl *n, uint32_t gw, struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWROUTE;
    nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
    rtm->rtm_family = AF_INET;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_BOOT;
    rtm->rtm_scope = RT_SCOPE_UNIVERSE;
    rtm->rtm_type = RTN_UNICAST;
    mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(gw));
    int r = talk(n, nlh, NULL, NULL);
    if (r < 0)
        return rt_error(err, -r, "adding the default route: %s", strerror(-r));
    return 0;
}

struct prefix_ud {
    const char *prefix;
    void (*fn)(void *ud, int index, const char *name, int master);
    void *ud;
};

struct link_attrs {
    const char *name;
    int master;
};

static int on_link_attr(const struct nlattr *attr, void *data)
{
    struct link_attrs *la = data;
    if (mnl_attr_get_type(attr) == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_STRING) >= 0)
        la->name = mnl_attr_get_str(attr);
    if (mnl_attr_get_type(attr) == IFLA_MASTER && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
        la->master = (int)mnl_attr_get_u32(attr);
    return MNL_CB_OK;
}

static int on_dump(const struct nlmsghdr *nlh, void *data)
{
    struct prefix_ud *u = data;
    const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
    struct link_attrs la = {0};
    mnl_attr_parse(nlh, sizeof(*ifm), on_link_attr, &la);
    if (la.name && !strncmp(la.name, u->prefix, strlen(u->prefix)))
        u->fn(u->ud, ifm->ifi_index, la.name, la.master);
    return MNL_CB_OK;
}

int nl_links_with_prefix(struct nl *n, const char *prefix,
                         void (*fn)(void *ud, int index, const char *name, int master), void *ud, struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, NLM_F_DUMP, 0);
    struct prefix_ud u = {prefix, fn, ud};
    int r = talk(n, nlh, on_dump, &u);
    if (r < 0)
        return rt_error(err, -r, "listing links: %s", strerror(-r));
    return 0;
}

struct stats_ud {
    const char *prefix;
    void (*fn)(void *ud, const char *name, const struct nl_link *l);
    void *ud;
};

static int on_stats_dump(const struct nlmsghdr *nlh, void *data)
{
    struct stats_ud *u = data;
    struct link_attrs la = {0};
    mnl_attr_parse(nlh, sizeof(struct ifinfomsg), on_link_attr, &la);
    if (!la.name || strncmp(la.name, u->prefix, strlen(u->prefix)))
        return MNL_CB_OK;
    struct nl_link l;
    memset(&l, 0, sizeof(l));
    l.port_state = -1;
    mnl_attr_parse(nlh, sizeof(struct ifinfomsg), on_get_attr, &l);
    u->fn(u->ud, la.name, &l);
    return MNL_CB_OK;
}

int nl_links_stats(struct nl *n, const char *prefix, void (*fn)(void *ud, const char *name, const struct nl_link *l),
                   void *ud, struct rt_err *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, NLM_F_DUMP, 0);
    struct stats_ud u = {prefix, fn, ud};
    int r = talk(n, nlh, on_stats_dump, &u);
    if (r < 0)
        return rt_error(err, -r, "listing links: %s", strerror(-r));
    return 0;
}
