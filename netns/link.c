/* link.c - rtnetlink requests with libmnl. See link.h. */
#include "link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int nl_open(struct nl *n, int netns, struct rt_err *err)
{
    n->sk = NULL;
    int own = -1;
    if (netns >= 0) {
        own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (own < 0)
            return rt_syserror(err, "/proc/thread-self/ns/net");
        if (setns(netns, CLONE_NEWNET) < 0) {
            rt_syserror(err, "entering the container's network namespace");
            close(own);
            return -1;
        }
    }
    n->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    int e = errno;
    if (n->sk && mnl_socket_bind(n->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
        e = errno;
        mnl_socket_close(n->sk);
        n->sk = NULL;
    }
    if (own >= 0) {
        /* Back home. Failing that, this thread would go on in the
         * container's namespace: nothing may continue. */
        if (setns(own, CLONE_NEWNET) < 0)
            abort();
        close(own);
    }
    if (!n->sk)
        return rt_error(err, e, "rtnetlink socket: %s", strerror(e));
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

int nl_veth_add(struct nl *n, const char *name, const char *peer, int peer_netns, const uint8_t peer_mac[6],
                unsigned mtu, struct rt_err *err)
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
    if (peer_mac)
        mnl_attr_put(nlh, IFLA_ADDRESS, 6, peer_mac);
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
