/* nft.c - table "ip rtinit" with libnftnl, in one batch. See nft.h. */
#include "nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../lib/util.h"

#define TABLE "rtinit"
#define MAX_MSGS 1024

/* A batch of messages, each remembered with what it does, so that the
 * kernel's error for one names it. */
struct batch {
    struct mnl_nlmsg_batch *b;
    char *buf;
    uint32_t seq, first;
    char what[MAX_MSGS][48];
    unsigned n;                  /* messages that get an answer */
    bool full;
};

static struct nlmsghdr *next_msg(struct batch *bt, uint16_t type, uint16_t flags, const char *what)
{
    if (bt->n == MAX_MSGS) {
        bt->full = true;
        return NULL;
    }
    snprintf(bt->what[bt->n++], sizeof(bt->what[0]), "%s", what);
    return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), type, NFPROTO_IPV4, flags | NLM_F_ACK, bt->seq++);
}

static void done_msg(struct batch *bt)
{
    if (!mnl_nlmsg_batch_next(bt->b))
        bt->full = true;
}

static void put_table(struct batch *bt, uint16_t type, uint16_t flags, const char *what)
{
    struct nftnl_table *t = nftnl_table_alloc();
    if (!t) {
        bt->full = true;
        return;
    }
    nftnl_table_set_str(t, NFTNL_TABLE_NAME, TABLE);
    struct nlmsghdr *nlh = next_msg(bt, type, flags, what);
    if (nlh) {
        nftnl_table_nlmsg_build_payload(nlh, t);
        done_msg(bt);
    }
    nftnl_table_free(t);
}

static void put_chain(struct batch *bt, const char *name, const char *type, uint32_t hook, int prio)
{
    struct nftnl_chain *c = nftnl_chain_alloc();
    if (!c) {
        bt->full = true;
        return;
    }
    nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, TABLE);
    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
    nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
    nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
    nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
    nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
    char what[48];
    snprintf(what, sizeof(what), "chain %s", name);
    struct nlmsghdr *nlh = next_msg(bt, NFT_MSG_NEWCHAIN, NLM_F_CREATE, what);
    if (nlh) {
        nftnl_chain_nlmsg_build_payload(nlh, c);
        done_msg(bt);
    }
    nftnl_chain_free(c);
}

/* ---------- expressions ---------- */

static void add(struct nftnl_rule *r, struct nftnl_expr *e)
{
    if (e)
        nftnl_rule_add_expr(r, e);
}

static void meta(struct nftnl_rule *r, uint32_t key)
{
    struct nftnl_expr *e = nftnl_expr_alloc("meta");
    if (!e)
        return;
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
    add(r, e);
}

static void payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len)
{
    struct nftnl_expr *e = nftnl_expr_alloc("payload");
    if (!e)
        return;
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
    add(r, e);
}

static void cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
    struct nftnl_expr *e = nftnl_expr_alloc("cmp");
    if (!e)
        return;
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
    add(r, e);
}

/* reg1 = reg1 & mask (len bytes) */
static void and_mask(struct nftnl_rule *r, const void *mask, uint32_t len)
{
    struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
    if (!e)
        return;
    static const uint8_t zero[16];
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
    add(r, e);
}

static void ifname(struct nftnl_rule *r, uint32_t key, uint32_t op, const char *name)
{
    char buf[IFNAMSIZ] = {0};
    snprintf(buf, sizeof(buf), "%s", name);
    meta(r, key);
    cmp(r, op, buf, sizeof(buf));
}

static void net_is(struct nftnl_rule *r, uint32_t offset, uint32_t subnet, int prefix)
{
    uint32_t m = htonl(prefix ? 0xffffffffu << (32 - prefix) : 0), v = htonl(subnet);
    payload(r, NFT_PAYLOAD_NETWORK_HEADER, offset, 4);
    and_mask(r, &m, 4);
    cmp(r, NFT_CMP_EQ, &v, 4);
}

static void ct_bits(struct nftnl_rule *r, uint32_t key, uint32_t bits)
{
    struct nftnl_expr *e = nftnl_expr_alloc("ct");
    if (!e)
        return;
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
    add(r, e);
    uint32_t zero = 0;
    and_mask(r, &bits, 4);
    cmp(r, NFT_CMP_NEQ, &zero, 4);
}

static void verdict(struct nftnl_rule *r, int v)
{
    struct nftnl_expr *e = nftnl_expr_alloc("immediate");
    if (!e)
        return;
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)v);
    add(r, e);
}

static void immediate(struct nftnl_rule *r, uint32_t reg, const void *data, uint32_t len)
{
    struct nftnl_expr *e = nftnl_expr_alloc("immediate");
    if (!e)
        return;
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
    nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
    add(r, e);
}

static void masquerade(struct nftnl_rule *r)
{
    add(r, nftnl_expr_alloc("masq"));
}

static void put_rule(struct batch *bt, struct nftnl_rule *r, const char *what)
{
    struct nlmsghdr *nlh = next_msg(bt, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, what);
    if (nlh) {
        nftnl_rule_nlmsg_build_payload(nlh, r);
        done_msg(bt);
    }
    nftnl_rule_free(r);
}

static struct nftnl_rule *rule(struct batch *bt, const char *chain)
{
    struct nftnl_rule *r = nftnl_rule_alloc();
    if (!r) {
        bt->full = true;
        return NULL;
    }
    nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE);
    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
    nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
    return r;
}

/* A published port, in chain (prerouting or output). */
static void dnat_rule(struct batch *bt, const char *chain, const struct nft_port *p)
{
    struct nftnl_rule *r = rule(bt, chain);
    if (!r)
        return;
    if (p->host_ip) {
        uint32_t a = htonl(p->host_ip);
        payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
        cmp(r, NFT_CMP_EQ, &a, 4);
    } else { /* fib daddr type local */
        struct nftnl_expr *e = nftnl_expr_alloc("fib");
        if (e) {
            nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
            nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
            nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
            add(r, e);
        }
        uint32_t local = RTN_LOCAL;
        cmp(r, NFT_CMP_EQ, &local, 4);
    }
    uint8_t proto = (uint8_t)p->proto;
    meta(r, NFT_META_L4PROTO);
    cmp(r, NFT_CMP_EQ, &proto, 1);
    uint16_t hp = htons(p->host_port), cp = htons(p->port);
    payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
    cmp(r, NFT_CMP_EQ, &hp, 2);
    uint32_t ca = htonl(p->addr);
    immediate(r, NFT_REG_1, &ca, 4);
    immediate(r, NFT_REG_2, &cp, 2);
    struct nftnl_expr *e = nftnl_expr_alloc("nat");
    if (e) {
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
        add(r, e);
    }
    char what[48];
    snprintf(what, sizeof(what), "%s rule for port %u", chain, p->host_port);
    put_rule(bt, r, what);
}

/* ---------- sending ---------- */

static int send_batch(struct batch *bt, struct rt_err *err)
{
    struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        if (nl)
            mnl_socket_close(nl);
        return rt_error(err, e, "nftables socket: %s", strerror(e));
    }
    struct timeval tv = {.tv_sec = 5};
    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int r = 0;
    if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(bt->b), mnl_nlmsg_batch_size(bt->b)) < 0) {
        r = rt_syserror(err, "sending the nftables batch");
        goto out;
    }
    /* one answer per message: an ack, or the error of the one that failed */
    unsigned answers = 0;
    int first_err = 0;
    char buf[8192];
    while (answers < bt->n) {
        ssize_t len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
        if (len < 0) {
            if (errno == EINTR)
                continue;
            if (!first_err)
                r = rt_syserror(err, "waiting for nftables");
            break;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, (int)len); h = mnl_nlmsg_next(h, (int *)&len)) {
            if (h->nlmsg_type != NLMSG_ERROR)
                continue;
            answers++;
            const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
            if (e->error && !first_err) {
                first_err = -e->error;
                uint32_t k = h->nlmsg_seq - bt->first;
                r = rt_error(err, first_err, "nftables table ip %s, %s: %s%s", TABLE,
                             k < bt->n ? bt->what[k] : "?", strerror(first_err),
                             first_err == EOPNOTSUPP || first_err == ENOENT
                                 ? " (are the nf_tables and nft_nat modules loaded?)"
                                 : "");
            }
        }
        if (first_err)
            break; /* the batch is undone whole */
    }
out:
    mnl_socket_close(nl);
    return r;
}

/* A batch on the heap (its message notes are large), begun. */
static struct batch *batch_open(struct rt_err *err)
{
    struct batch *bt = calloc(1, sizeof(*bt));
    size_t size = 4 * 1024 * 1024; /* room for MAX_MSGS rules */
    if (!bt || !(bt->buf = malloc(size)) || !(bt->b = mnl_nlmsg_batch_start(bt->buf, size))) {
        if (bt)
            free(bt->buf);
        free(bt);
        rt_error(err, ENOMEM, "out of memory");
        return NULL;
    }
    bt->seq = (uint32_t)time(NULL);
    nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b), bt->seq++);
    mnl_nlmsg_batch_next(bt->b);
    bt->first = bt->seq;
    /* the table made if missing, so that deleting it never fails: a
     * clean slate in the same transaction */
    put_table(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE, "table");
    put_table(bt, NFT_MSG_DELTABLE, 0, "deleting the old table");
    return bt;
}

/* End, send, free. */
static int batch_close(struct batch *bt, struct rt_err *err)
{
    nftnl_batch_end(mnl_nlmsg_batch_current(bt->b), bt->seq++);
    mnl_nlmsg_batch_next(bt->b);
    int r = bt->full ? rt_error(err, ENOMEM, "too many nftables rules (at most %d)", MAX_MSGS) : send_batch(bt, err);
    mnl_nlmsg_batch_stop(bt->b);
    free(bt->buf);
    free(bt);
    return r;
}

bool nft_needs_localnet(const struct nft_rules *rs)
{
    for (size_t i = 0; i < rs->nports; i++) {
        uint32_t ip = rs->ports[i].host_ip;
        if (!ip || (ip >> 24) == 127)
            return true;
    }
    return false;
}

/* Packets from the bridge for or from 127.0.0.0/8, dropped as they
 * arrive: before conntrack and NAT (priority raw), so by what the sender
 * wrote. None is legitimate: a container's own 127.0.0.1 is its lo, and
 * the replies of a published port reached at 127.0.0.1 come back to the
 * bridge's address (they were masqueraded), which conntrack turns into
 * 127.0.0.1 only after this. route_localnet on the bridge would let the
 * rest in: packets for 127.0.0.1 to the droplet's services that listen on
 * loopback only (CVE-2020-8558), and packets from 127.0.0.2 (say) to those
 * that trust 127.0.0.0/8. */
static void loopback_guard(struct batch *bt, const char *bridge)
{
    put_chain(bt, "from_bridge", "filter", NF_INET_PRE_ROUTING, -300);
    static const struct {
        uint32_t offset;
        const char *what;
    } field[] = {{16, "drop from the bridge to 127.0.0.0/8"}, {12, "drop from the bridge from 127.0.0.0/8"}};
    for (size_t i = 0; i < ARRAY_SIZE(field); i++) {
        struct nftnl_rule *r = rule(bt, "from_bridge");
        if (!r)
            return;
        ifname(r, NFT_META_IIFNAME, NFT_CMP_EQ, bridge);
        net_is(r, field[i].offset, 0x7f000000, 8);
        verdict(r, NF_DROP);
        put_rule(bt, r, field[i].what);
    }
}

int nft_apply(const struct nft_rules *rs, struct rt_err *err)
{
    struct batch *bt = batch_open(err);
    if (!bt)
        return -1;
    put_table(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE, "table");
    put_chain(bt, "prerouting", "nat", NF_INET_PRE_ROUTING, -100);
    put_chain(bt, "output", "nat", NF_INET_LOCAL_OUT, -100);
    put_chain(bt, "postrouting", "nat", NF_INET_POST_ROUTING, 100);
    put_chain(bt, "forward", "filter", NF_INET_FORWARD, 0);
    loopback_guard(bt, rs->bridge);

    struct nftnl_rule *r;
    /* outbound NAT: from the subnet, out of any interface but the bridge */
    if ((r = rule(bt, "postrouting"))) {
        net_is(r, 12, rs->subnet, rs->prefix);
        ifname(r, NFT_META_OIFNAME, NFT_CMP_NEQ, rs->bridge);
        masquerade(r);
        put_rule(bt, r, "masquerade from the subnet");
    }
    /* 127.0.0.1:PORT DNAT'd to the bridge: the container cannot answer 127.0.0.1 */
    if ((r = rule(bt, "postrouting"))) {
        net_is(r, 12, 0x7f000000, 8);
        ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ, rs->bridge);
        masquerade(r);
        put_rule(bt, r, "masquerade from 127.0.0.0/8");
    }
    for (size_t i = 0; i < rs->nports; i++) {
        dnat_rule(bt, "prerouting", &rs->ports[i]);
        dnat_rule(bt, "output", &rs->ports[i]);
    }
    /* forward, into the bridge from elsewhere: replies and published ports only */
    if ((r = rule(bt, "forward"))) {
        ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ, rs->bridge);
        ct_bits(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
        verdict(r, NF_ACCEPT);
        put_rule(bt, r, "forward: replies");
    }
    if ((r = rule(bt, "forward"))) {
        ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ, rs->bridge);
        ct_bits(r, NFT_CT_STATUS, IPS_DST_NAT);
        verdict(r, NF_ACCEPT);
        put_rule(bt, r, "forward: published ports");
    }
    if ((r = rule(bt, "forward"))) {
        ifname(r, NFT_META_OIFNAME, NFT_CMP_EQ, rs->bridge);
        ifname(r, NFT_META_IIFNAME, NFT_CMP_NEQ, rs->bridge);
        verdict(r, NF_DROP);
        put_rule(bt, r, "forward: the rest from outside");
    }
    return batch_close(bt, err);
}

int nft_remove(struct rt_err *err)
{
    struct batch *bt = batch_open(err);
    return bt ? batch_close(bt, err) : -1;
}
