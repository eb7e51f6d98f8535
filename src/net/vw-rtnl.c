#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <linux/veth.h>

#include "vw-netns.h"
#include "vw-rtnl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define VW_RTNL_RCVBUF (4 * 1024 * 1024)
/* Room for one datagram of a dump (the kernel sends up to 32 KiB). */
#define VW_RTNL_RECV_SIZE 32768
#define VW_RTNL_DUMP_RETRIES 10

/* One netlink socket with the lock that covers a whole exchange on it. */
typedef struct {
    struct mnl_socket *nl;
    GMutex lock;
    guint32 seq;
    guint32 portid;
} VwNlSock;

struct _VwRtnl {
    VwNlSock tx;   /* transactions: request + ACK */
    VwNlSock dump; /* dumps only */
    int netns_fd;  /* the netns the sockets live in (for /proc/sys/net) */
    ino_t netns_ino;
};

/* ------------------------------------------------------------------ sockets */

static gboolean
nlsock_open(VwNlSock *s, GError **error)
{
    int one = 1;
    int rcvbuf = VW_RTNL_RCVBUF;

    s->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!s->nl)
        return vw_net_error_set_errno(error, errno, _("cannot open rtnetlink socket"));
    if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        mnl_socket_close(s->nl);
        s->nl = NULL;
        return vw_net_error_set_errno(error, e, _("cannot bind rtnetlink socket"));
    }
    /* Best effort: the kernel then says why a request failed, and echoes
     * only the header of our request in an error. */
    mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &one, sizeof(one));
    mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
    if (setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
                   sizeof(rcvbuf)) < 0)
        setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    s->portid = mnl_socket_get_portid(s->nl);
    s->seq = (guint32)time(NULL);
    g_mutex_init(&s->lock);
    return TRUE;
}

static void
nlsock_close(VwNlSock *s)
{
    if (!s->nl)
        return;
    mnl_socket_close(s->nl);
    s->nl = NULL;
    g_mutex_clear(&s->lock);
}

static gboolean
rtnl_open_here(gpointer data, GError **error)
{
    VwRtnl *rtnl = data;
    struct stat st;

    /* Keep the netns itself too: /proc/sys/net shows the netns of the
     * thread that looks, so sysctls of this handle's links are written from
     * inside it (vw_rtnl_sysctl_set). */
    rtnl->netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (rtnl->netns_fd < 0 || fstat(rtnl->netns_fd, &st) < 0)
        return vw_net_error_set_errno(error, errno, _("cannot open the network namespace of "
                                                      "an rtnetlink handle"));
    rtnl->netns_ino = st.st_ino;
    return nlsock_open(&rtnl->tx, error) && nlsock_open(&rtnl->dump, error);
}

VwRtnl *
vw_rtnl_open(int netns_fd, GError **error)
{
    g_autoptr(VwRtnl) rtnl = NULL;
    VwRtnlOpening *op;

    /* Sockets keep the netns they were created in: create them inside the
     * target netns on a short-lived thread, then use them from anywhere. */
    if (netns_fd >= 0) {
        op = vw_rtnl_open_begin(netns_fd, error);
        return op ? vw_rtnl_open_finish(op, error) : NULL;
    }
    rtnl = g_new0(VwRtnl, 1);
    rtnl->netns_fd = -1;
    if (!rtnl_open_here(rtnl, error))
        return NULL;
    return g_steal_pointer(&rtnl);
}

struct _VwRtnlOpening {
    VwRtnl *rtnl;
    VwNetnsJob *job;
};

VwRtnlOpening *
vw_rtnl_open_begin(int netns_fd, GError **error)
{
    g_autoptr(VwRtnl) rtnl = g_new0(VwRtnl, 1);
    VwRtnlOpening *op;
    VwNetnsJob *job;

    rtnl->netns_fd = -1;
    job = vw_netns_run_begin(netns_fd, rtnl_open_here, rtnl, error);
    if (!job)
        return NULL;
    op = g_new0(VwRtnlOpening, 1);
    op->rtnl = g_steal_pointer(&rtnl);
    op->job = job;
    return op;
}

VwRtnl *
vw_rtnl_open_finish(VwRtnlOpening *op, GError **error)
{
    g_autoptr(VwRtnl) rtnl = NULL;
    gboolean ok;

    g_return_val_if_fail(op != NULL, NULL);
    ok = vw_netns_run_finish(op->job, error);
    rtnl = op->rtnl;
    g_free(op);
    return ok ? g_steal_pointer(&rtnl) : NULL;
}

VwRtnl *
vw_rtnl_open_netns(const char *name, GError **error)
{
    int fd = vw_netns_open(name, error);
    VwRtnl *rtnl;

    if (fd < 0)
        return NULL;
    rtnl = vw_rtnl_open(fd, error);
    close(fd);
    return rtnl;
}

void
vw_rtnl_free(VwRtnl *rtnl)
{
    if (!rtnl)
        return;
    nlsock_close(&rtnl->tx);
    nlsock_close(&rtnl->dump);
    if (rtnl->netns_fd >= 0)
        close(rtnl->netns_fd);
    g_free(rtnl);
}

void
vw_link_free(VwLink *link)
{
    if (!link)
        return;
    g_free(link->name);
    g_free(link->kind);
    g_free(link->alias);
    g_free(link);
}

/* ------------------------------------------------------------ exchanges */

typedef struct {
    int errnum;        /* from NLMSG_ERROR, positive */
    char *extack;      /* the kernel's explanation, if any */
    mnl_cb_t data_cb;  /* for replies that carry data */
    void *data;
    gboolean interrupted; /* NLM_F_DUMP_INTR seen */
} Exchange;

static int
exchange_error_cb(const struct nlmsghdr *nlh, void *data)
{
    Exchange *ex = data;
    const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

    if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
        ex->errnum = EBADMSG;
        return MNL_CB_ERROR;
    }
    if (err->error == 0)
        return MNL_CB_STOP; /* the ACK */
    ex->errnum = -err->error;
    if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
        /* TLVs follow the echoed request; with NETLINK_CAP_ACK that is its
         * header only, unless the kernel says it echoed all of it. */
        size_t off = sizeof(*err);
        const struct nlattr *attr;
        if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
            off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
        mnl_attr_for_each(attr, nlh, off) {
            if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
                mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
                g_free(ex->extack);
                ex->extack = g_strdup(mnl_attr_get_str(attr));
            }
        }
    }
    return MNL_CB_ERROR;
}

/*
 * Walk one datagram.  Not mnl_cb_run(): it gives up at the first message
 * flagged NLM_F_DUMP_INTR, leaving the rest of the dump in the socket, while
 * we must read an interrupted dump to its end before retrying it.
 * Returns MNL_CB_OK to keep reading, MNL_CB_STOP when done, MNL_CB_ERROR.
 */
static int
exchange_run(const void *buf, size_t len, guint32 seq, guint32 portid, Exchange *ex)
{
    const struct nlmsghdr *nlh = buf;
    int left = (int)len;

    while (mnl_nlmsg_ok(nlh, left)) {
        int ret = MNL_CB_OK;

        if (!mnl_nlmsg_portid_ok(nlh, portid) || !mnl_nlmsg_seq_ok(nlh, seq)) {
            /* A reply to an older request on this socket: not ours. */
            nlh = mnl_nlmsg_next(nlh, &left);
            continue;
        }
        if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
            ex->interrupted = TRUE;
        switch (nlh->nlmsg_type) {
        case NLMSG_NOOP:
            break;
        case NLMSG_ERROR:
            ret = exchange_error_cb(nlh, ex);
            break;
        case NLMSG_DONE:
            ret = MNL_CB_STOP;
            break;
        case NLMSG_OVERRUN:
            ex->errnum = ENOBUFS;
            ret = MNL_CB_ERROR;
            break;
        default:
            if (ex->data_cb)
                ret = ex->data_cb(nlh, ex->data);
        }
        if (ret != MNL_CB_OK)
            return ret;
        nlh = mnl_nlmsg_next(nlh, &left);
    }
    return MNL_CB_OK;
}

/*
 * Send @nlh on @s and read until the ACK, the end of the dump, or an error.
 * The socket's lock covers the send and the whole receive.  On failure sets
 * @error to "WHAT: strerror (kernel explanation)".
 */
static gboolean
nlsock_exchange(VwNlSock *s, struct nlmsghdr *nlh, mnl_cb_t data_cb, void *data,
                gboolean *interrupted, GError **error, const char *what)
{
    g_autofree char *buf = g_malloc(VW_RTNL_RECV_SIZE);
    Exchange ex = { .data_cb = data_cb, .data = data };
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&s->lock);
    guint32 seq = ++s->seq;
    int ret;

    nlh->nlmsg_seq = seq;
    if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
        return vw_net_error_set_errno(error, errno, "%s", what);

    do {
        ssize_t n = mnl_socket_recvfrom(s->nl, buf, VW_RTNL_RECV_SIZE);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return vw_net_error_set_errno(error, errno, "%s", what);
        }
        ret = exchange_run(buf, (size_t)n, seq, s->portid, &ex);
    } while (ret == MNL_CB_OK);

    if (interrupted)
        *interrupted = ex.interrupted;
    if (ret < 0) {
        vw_net_error_set_errno(error, ex.errnum ? ex.errnum : errno, "%s", what);
        if (ex.extack && error && *error) {
            /* "WHAT: strerror (why, in the kernel's words)" */
            char *msg = g_strdup_printf("%s (%s)", (*error)->message, ex.extack);
            g_free((*error)->message);
            (*error)->message = msg;
        }
        g_free(ex.extack);
        return FALSE;
    }
    g_free(ex.extack);
    return TRUE;
}

static gboolean
rtnl_transact(VwRtnl *rtnl, struct nlmsghdr *nlh, mnl_cb_t data_cb, void *data, GError **error,
              const char *what)
{
    nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    return nlsock_exchange(&rtnl->tx, nlh, data_cb, data, NULL, error, what);
}

/* ------------------------------------------------------------ helpers */

/* @buf is a char[MNL_SOCKET_BUFFER_SIZE]; zeroed so that no padding byte
 * of a struct or attribute reaches the kernel uninitialised. */
static struct nlmsghdr *
msg_new(char *buf, guint16 type, guint16 flags)
{
    struct nlmsghdr *nlh;

    memset(buf, 0, MNL_SOCKET_BUFFER_SIZE);
    nlh = mnl_nlmsg_put_header(buf);

    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = flags;
    return nlh;
}

static struct ifinfomsg *
put_ifinfo(struct nlmsghdr *nlh, int ifindex)
{
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    return ifi;
}

static gboolean
check_names(const char *a, const char *b, GError **error)
{
    return vw_ifname_check(a, error) && (!b || vw_ifname_check(b, error));
}

/*
 * ifindex of @name in the handle's netns, or 0 with @error set.  An ioctl on
 * the handle's own socket answers in that socket's netns (the kernel falls
 * back to dev_ioctl for any socket family) with a lockless lookup, much
 * cheaper than an RTM_GETLINK round trip.
 */
static int
rtnl_ifindex(VwRtnl *rtnl, const char *name, GError **error)
{
    struct ifreq ifr = { 0 };

    g_strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
    if (ioctl(mnl_socket_get_fd(rtnl->tx.nl), SIOCGIFINDEX, &ifr) < 0) {
        vw_net_error_set_errno(error, errno, _("cannot look up link '%s'"), name);
        return 0;
    }
    return ifr.ifr_ifindex;
}

/* ------------------------------------------------------------ links */

static int
parse_linkinfo(const struct nlattr *attr, void *data)
{
    const struct nlattr **tb = data;
    int type = mnl_attr_get_type(attr);

    if (mnl_attr_type_valid(attr, IFLA_INFO_MAX) < 0)
        return MNL_CB_OK;
    tb[type] = attr;
    return MNL_CB_OK;
}

static int
parse_attr_link(const struct nlattr *attr, void *data)
{
    const struct nlattr **tb = data;
    int type = mnl_attr_get_type(attr);

    if (mnl_attr_type_valid(attr, IFLA_MAX) < 0)
        return MNL_CB_OK;
    tb[type] = attr;
    return MNL_CB_OK;
}

static VwLink *
link_from_msg(const struct nlmsghdr *nlh)
{
    const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
    const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
    VwLink *link;

    if (nlh->nlmsg_type != RTM_NEWLINK)
        return NULL;
    mnl_attr_parse(nlh, sizeof(*ifi), parse_attr_link, tb);
    if (!tb[IFLA_IFNAME])
        return NULL;
    link = g_new0(VwLink, 1);
    link->ifindex = ifi->ifi_index;
    link->up = (ifi->ifi_flags & IFF_UP) != 0;
    link->name = g_strdup(mnl_attr_get_str(tb[IFLA_IFNAME]));
    link->link_netnsid = -1;
    if (tb[IFLA_MTU])
        link->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
    if (tb[IFLA_MASTER])
        link->master = (int)mnl_attr_get_u32(tb[IFLA_MASTER]);
    if (tb[IFLA_GROUP])
        link->group = mnl_attr_get_u32(tb[IFLA_GROUP]);
    if (tb[IFLA_CARRIER])
        link->carrier = mnl_attr_get_u8(tb[IFLA_CARRIER]) != 0;
    if (tb[IFLA_IFALIAS] && mnl_attr_get_payload_len(tb[IFLA_IFALIAS]) > 0)
        link->alias = g_strndup(mnl_attr_get_payload(tb[IFLA_IFALIAS]),
                                mnl_attr_get_payload_len(tb[IFLA_IFALIAS]));
    if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6) {
        memcpy(link->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
        link->has_mac = TRUE;
    }
    if (tb[IFLA_LINK_NETNSID])
        link->link_netnsid = (int)mnl_attr_get_u32(tb[IFLA_LINK_NETNSID]);
    if (tb[IFLA_LINKINFO]) {
        const struct nlattr *info[IFLA_INFO_MAX + 1] = { 0 };
        mnl_attr_parse_nested(tb[IFLA_LINKINFO], parse_linkinfo, info);
        if (info[IFLA_INFO_KIND])
            link->kind = g_strdup(mnl_attr_get_str(info[IFLA_INFO_KIND]));
    }
    return link;
}

static int
link_get_cb(const struct nlmsghdr *nlh, void *data)
{
    VwLink **out = data;

    if (!*out)
        *out = link_from_msg(nlh);
    return MNL_CB_OK;
}

static VwLink *
link_get(VwRtnl *rtnl, const char *name, int ifindex, GError **error)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = msg_new(buf, RTM_GETLINK, 0);
    VwLink *link = NULL;
    g_autofree char *what = NULL;

    put_ifinfo(nlh, ifindex);
    if (name) {
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        what = g_strdup_printf(_("cannot look up link '%s'"), name);
    } else {
        what = g_strdup_printf(_("cannot look up link with index %d"), ifindex);
    }
    mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
    if (!rtnl_transact(rtnl, nlh, link_get_cb, &link, error, what)) {
        vw_link_free(link);
        return NULL;
    }
    if (!link)
        vw_net_error_set_errno(error, ENODEV, "%s", what);
    return link;
}

VwLink *
vw_rtnl_link_get(VwRtnl *rtnl, const char *name, GError **error)
{
    g_return_val_if_fail(rtnl != NULL, NULL);
    if (!vw_ifname_check(name, error))
        return NULL;
    return link_get(rtnl, name, 0, error);
}

VwLink *
vw_rtnl_link_get_by_index(VwRtnl *rtnl, int ifindex, GError **error)
{
    g_return_val_if_fail(rtnl != NULL, NULL);
    if (ifindex <= 0) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID, _("invalid link index %d"),
                    ifindex);
        return NULL;
    }
    return link_get(rtnl, NULL, ifindex, error);
}

typedef struct {
    GPtrArray *links;
    const char *alias_prefix;
} LinkDump;

static int
link_dump_cb(const struct nlmsghdr *nlh, void *data)
{
    LinkDump *d = data;
    VwLink *link = link_from_msg(nlh);

    if (!link)
        return MNL_CB_OK;
    if (d->alias_prefix && (!link->alias || !g_str_has_prefix(link->alias, d->alias_prefix)))
        vw_link_free(link);
    else
        g_ptr_array_add(d->links, link);
    return MNL_CB_OK;
}

/*
 * Run a dump whose callback appends to *out (a field of @data).  A dump the
 * kernel marks interrupted was read to its end by nlsock_exchange(); its
 * result may be inconsistent, so it is started over.
 */
static GPtrArray *
rtnl_dump(VwRtnl *rtnl, struct nlmsghdr *request, mnl_cb_t cb, void *data, GPtrArray **out,
          GDestroyNotify free_item, const char *what, GError **error)
{
    for (int attempt = 0; attempt < VW_RTNL_DUMP_RETRIES; attempt++) {
        gboolean interrupted = FALSE;

        *out = g_ptr_array_new_with_free_func(free_item);
        if (!nlsock_exchange(&rtnl->dump, request, cb, data, &interrupted, error, what)) {
            g_clear_pointer(out, g_ptr_array_unref);
            return NULL;
        }
        if (!interrupted)
            return g_steal_pointer(out);
        g_clear_pointer(out, g_ptr_array_unref);
    }
    vw_net_error_set_errno(error, EAGAIN, _("%s: dump kept being interrupted"), what);
    return NULL;
}

GPtrArray *
vw_rtnl_link_list(VwRtnl *rtnl, const char *alias_prefix, GError **error)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    LinkDump d = { NULL, alias_prefix };

    g_return_val_if_fail(rtnl != NULL, NULL);
    nlh = msg_new(buf, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP);
    put_ifinfo(nlh, 0);
    mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    return rtnl_dump(rtnl, nlh, link_dump_cb, &d, &d.links, (GDestroyNotify)vw_link_free,
                     _("cannot list links"), error);
}

static gboolean
link_create(VwRtnl *rtnl, struct nlmsghdr *nlh, GError **error, const char *what)
{
    nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
    return rtnl_transact(rtnl, nlh, NULL, NULL, error, what);
}

gboolean
vw_rtnl_veth_add(VwRtnl *rtnl, const char *name, const char *peer, int peer_netns_fd,
                 GError **error)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    struct nlattr *linkinfo, *infodata, *peerinfo;
    g_autofree char *what = NULL;

    g_return_val_if_fail(rtnl != NULL, FALSE);
    if (!check_names(name, peer, error))
        return FALSE;
    nlh = msg_new(buf, RTM_NEWLINK, 0);
    put_ifinfo(nlh, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    /* One queue each way, asked for up front: without these the kernel
     * allocates one per CPU and then shrinks to one, which waits for an RCU
     * grace period per end (veth_init_queues). */
    mnl_attr_put_u32(nlh, IFLA_NUM_TX_QUEUES, 1);
    mnl_attr_put_u32(nlh, IFLA_NUM_RX_QUEUES, 1);
    linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
    infodata = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    peerinfo = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
    /* The peer's attributes follow its own ifinfomsg. */
    {
        struct ifinfomsg *pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
        pifi->ifi_family = AF_UNSPEC;
    }
    mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
    mnl_attr_put_u32(nlh, IFLA_NUM_TX_QUEUES, 1);
    mnl_attr_put_u32(nlh, IFLA_NUM_RX_QUEUES, 1);
    if (peer_netns_fd >= 0)
        mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (guint32)peer_netns_fd);
    mnl_attr_nest_end(nlh, peerinfo);
    mnl_attr_nest_end(nlh, infodata);
    mnl_attr_nest_end(nlh, linkinfo);
    what = g_strdup_printf(_("cannot add veth '%s'"), name);
    return link_create(rtnl, nlh, error, what);
}

gboolean
vw_rtnl_bridge_add(VwRtnl *rtnl, const char *name, GError **error)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    struct nlattr *linkinfo, *infodata;
    g_autofree char *what = NULL;

    g_return_val_if_fail(rtnl != NULL, FALSE);
    if (!vw_ifname_check(name, error))
        return FALSE;
    nlh = msg_new(buf, RTM_NEWLINK, 0);
    put_ifinfo(nlh, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
    infodata = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    mnl_attr_put_u32(nlh, IFLA_BR_STP_STATE, 0);
    mnl_attr_put_u32(nlh, IFLA_BR_FORWARD_DELAY, 0);
    mnl_attr_put_u8(nlh, IFLA_BR_MCAST_SNOOPING, 0);
    mnl_attr_nest_end(nlh, infodata);
    mnl_attr_nest_end(nlh, linkinfo);
    what = g_strdup_printf(_("cannot add bridge '%s'"), name);
    return link_create(rtnl, nlh, error, what);
}

gboolean
vw_rtnl_link_delete(VwRtnl *rtnl, const char *name, GError **error)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    g_autofree char *what = NULL;

    g_return_val_if_fail(rtnl != NULL, FALSE);
    if (!vw_ifname_check(name, error))
        return FALSE;
    nlh = msg_new(buf, RTM_DELLINK, 0);
    put_ifinfo(nlh, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    what = g_strdup_printf(_("cannot delete link '%s'"), name);
    return rtnl_transact(rtnl, nlh, NULL, NULL, error, what);
}

gboolean
vw_rtnl_link_delete_group(VwRtnl *rtnl, guint32 group, GError **error)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    g_autofree char *what = NULL;
    g_autoptr(GError) local = NULL;

    g_return_val_if_fail(rtnl != NULL, FALSE);
    if (group == 0) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                    _("refusing to delete the links of netdev group 0: it holds every link"));
        return FALSE;
    }
    nlh = msg_new(buf, RTM_DELLINK, 0);
    put_ifinfo(nlh, 0);
    mnl_attr_put_u32(nlh, IFLA_GROUP, group);
    what = g_strdup_printf(_("cannot delete the links of netdev group %u"), group);
    if (rtnl_transact(rtnl, nlh, NULL, NULL, &local, what))
        return TRUE;
    /* The kernel answers ENODEV when the group is empty. */
    if (g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND))
        return TRUE;
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
}

/* RTM_NEWLINK on an existing link, found by name; @fill adds the change. */
typedef void (*LinkFill)(struct nlmsghdr *nlh, struct ifinfomsg *ifi, const void *arg);

static gboolean
link_change(VwRtnl *rtnl, const char *name, LinkFill fill, const void *arg, GError **error,
            const char *what)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    struct ifinfomsg *ifi;

    nlh = msg_new(buf, RTM_NEWLINK, 0);
    ifi = put_ifinfo(nlh, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    fill(nlh, ifi, arg);
    return rtnl_transact(rtnl, nlh, NULL, NULL, error, what);
}

static void
fill_up(struct nlmsghdr *nlh G_GNUC_UNUSED, struct ifinfomsg *ifi, const void *arg)
{
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = *(const gboolean *)arg ? IFF_UP : 0;
}

gboolean
vw_rtnl_link_set_up(VwRtnl *rtnl, const char *name, gboolean up, GError **error)
{
    g_autofree char *what = NULL;

    g_return_val_if_fail(rtnl != NULL, FALSE);
    if (!vw_ifname_check(name, error))
        return FALSE;
    what = g_strdup_printf(up ? _("cannot bring link '%s' up") : _("cannot bring link '%s' down"),
                           name);
    return link_change(rtnl, name, fill_up, &up, error, what);
}

static void
fill_u32(struct nlmsghdr *nlh, struct ifinfomsg *ifi G_GNUC_UNUSED, const void *arg)
{
    const guint32 *a = arg; /* {type, value} */
    mnl_attr_put_u32(nlh, (guint16)a[0], a[1]);
}

gboolean
vw_rtnl_link_set_master(VwRtnl *rtnl, const char *name, const char *master, GError **error)
{
    guint32 arg[2] = { IFLA_MASTER, 0 };
    g_autofree char *what = NULL;

    g_return_val_if_fail(rtnl != NULL, FALSE);
    if (!check_names(name, master, error))
        return FALSE;
    if (master) {
        what = g_strdup_printf(_("cannot attach link '%s' to '%s'"), name, master);
        arg[1] = (guint32)rtnl_ifindex(rtnl, master, error);
        if (!arg[1]) {
            g_prefix_error(error, "%s: ", what);
            return FALSE;
        }
    } else {
        what = g_strdup_printf(_("cannot detach link '%s' from its master"), name);
    }
    return link_change(rtnl, name, fill_u32, arg, error, what);
}

gboolean
vw_rtnl_link_set_mtu(VwRtnl *rtnl, const char *name, guint mtu, GError **error)
{
    guint32 arg[2] = { IFLA_MTU, mtu };
    g_autofree char *what = NULL;

    g_return_val_if_fail(rtnl != NULL, FALSE);
    if (!vw_ifname_check(name, error))
        return FALSE;
    if (mtu < 68 || mtu > 65535) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                    _("invalid MTU %u for link '%s': must be 68 to 65535"), mtu, name);
        return FALSE;
    }
    what = g_strdup_printf(_("cannot set MTU %u on link '%s'"), mtu, name);
    return link_change(rtnl, name, fill_u32, arg, error, what);
}

static void
fill_mac(struct nlmsghdr *nlh, struct ifinfomsg *ifi G_GNUC_UNUSED, const void *arg)
{
    mnl_attr_put(nlh, IFLA_ADDRESS, 6, arg);
}

gboolean
vw_rtnl_link_set_mac(VwRtnl *rtnl, const char *name, const guint8 mac[6], GError **error)
{
    g_autofree char *what = NULL;

    g_return_val_if_fail(rtnl != NULL && mac != NULL, FALSE);
    if (!vw_ifname_check(name, error))
        return FALSE;
    what = g_strdup_printf(_("cannot set MAC %02x:%02x:%02x:%02x:%02x:%02x on link '%s'"), mac[0],
                           mac[1], mac[2], mac[3], mac[4], mac[5], name);
    if (mac[0] & 1) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID, _("%s: a multicast address"),
                    what);
        return FALSE;
    }
    return link_change(rtnl, name, fill_mac, mac, error, what);
}

static void
fill_alias(struct nlmsghdr *nlh, struct ifinfomsg *ifi G_GNUC_UNUSED, const void *arg)
{
    const char *alias = arg;
    /* An empty payload clears the alias. */
    mnl_attr_put(nlh, IFLA_IFALIAS, strlen(alias), alias);
}

gboolean
vw_rtnl_link_set_alias(VwRtnl *rtnl, const char *name, const char *alias, GError **error)
{
    g_autofree char *what = NULL;

    g_return_val_if_fail(rtnl != NULL && alias != NULL, FALSE);
    if (!vw_ifname_check(name, error))
        return FALSE;
    if (strlen(alias) >= IFALIASZ) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                    _("alias for link '%s' is too long: %zu bytes, at most %d"), name,
                    strlen(alias), IFALIASZ - 1);
        return FALSE;
    }
    what = g_strdup_printf(_("cannot set alias '%s' on link '%s'"), alias, name);
    return link_change(rtnl, name, fill_alias, alias, error, what);
}

gboolean
vw_rtnl_link_set_netns(VwRtnl *rtnl, const char *name, int netns_fd, GError **error)
{
    guint32 arg[2] = { IFLA_NET_NS_FD, (guint32)netns_fd };
    g_autofree char *what = NULL;

    g_return_val_if_fail(rtnl != NULL, FALSE);
    if (!vw_ifname_check(name, error))
        return FALSE;
    what = g_strdup_printf(_("cannot move link '%s' to another network namespace"), name);
    return link_change(rtnl, name, fill_u32, arg, error, what);
}

static void
fill_addrgen_none(struct nlmsghdr *nlh, struct ifinfomsg *ifi G_GNUC_UNUSED,
                  const void *arg G_GNUC_UNUSED)
{
    struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
    struct nlattr *inet6 = mnl_attr_nest_start(nlh, AF_INET6);

    mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
    mnl_attr_nest_end(nlh, inet6);
    mnl_attr_nest_end(nlh, spec);
}

gboolean
vw_rtnl_link_set_l2_only(VwRtnl *rtnl, const char *name, GError **error)
{
    g_autofree char *what = NULL;

    g_return_val_if_fail(rtnl != NULL, FALSE);
    if (!vw_ifname_check(name, error))
        return FALSE;
    what = g_strdup_printf(_("cannot turn off IPv6 address generation on link '%s'"), name);
    return link_change(rtnl, name, fill_addrgen_none, NULL, error, what);
}

typedef struct {
    const VwLinkConfig *config;
    guint32 master;
} ConfigureArg;

static void
fill_configure(struct nlmsghdr *nlh, struct ifinfomsg *ifi, const void *arg)
{
    const ConfigureArg *a = arg;
    const VwLinkConfig *c = a->config;

    if (c->mtu)
        mnl_attr_put_u32(nlh, IFLA_MTU, c->mtu);
    if (c->mac)
        mnl_attr_put(nlh, IFLA_ADDRESS, 6, c->mac);
    if (c->alias)
        mnl_attr_put(nlh, IFLA_IFALIAS, strlen(c->alias), c->alias);
    if (c->master)
        mnl_attr_put_u32(nlh, IFLA_MASTER, a->master);
    if (c->group)
        mnl_attr_put_u32(nlh, IFLA_GROUP, c->group);
    if (c->l2_only)
        fill_addrgen_none(nlh, ifi, NULL);
    if (c->up) {
        ifi->ifi_change = IFF_UP;
        ifi->ifi_flags = IFF_UP;
    }
}

/* ------------------------------------------------------------ sysctl */

typedef struct {
    const char *key;
    const char *value;
} SysctlArg;

static gboolean
sysctl_write_here(gpointer data, GError **error)
{
    const SysctlArg *arg = data;
    g_autofree char *path = g_strconcat("/proc/sys/", arg->key, NULL);
    size_t len = strlen(arg->value);
    int fd, e = 0;

    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        e = errno;
        /* IPv6 switched off at boot (ipv6.disable=1): nothing to disable. */
        if (e == ENOENT && g_str_has_prefix(arg->key, "net/ipv6/") &&
            g_str_has_suffix(arg->key, "/disable_ipv6") && strcmp(arg->value, "1") == 0 &&
            access("/proc/sys/net/ipv6", F_OK) < 0)
            return TRUE;
    } else {
        if (write(fd, arg->value, len) != (ssize_t)len)
            e = errno ? errno : EIO;
        close(fd);
    }
    if (e)
        return vw_net_error_set_errno(error, e, _("cannot set sysctl '%s' to '%s'"), arg->key,
                                      arg->value);
    return TRUE;
}

gboolean
vw_rtnl_sysctl_set(VwRtnl *rtnl, const char *key, const char *value, GError **error)
{
    SysctlArg arg = { key, value };
    struct stat st;

    g_return_val_if_fail(rtnl != NULL && key != NULL && value != NULL, FALSE);
    if (key[0] == '/' || strstr(key, "..")) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                    _("invalid sysctl name '%s'"), key);
        return FALSE;
    }
    /* The usual case, a handle of the caller's own netns, costs no thread. */
    if (stat("/proc/thread-self/ns/net", &st) == 0 && st.st_ino == rtnl->netns_ino)
        return sysctl_write_here(&arg, error);
    return vw_netns_run(rtnl->netns_fd, sysctl_write_here, &arg, error);
}

gboolean
vw_rtnl_link_configure(VwRtnl *rtnl, const char *name, const VwLinkConfig *config,
                       GError **error)
{
    ConfigureArg arg = { config, 0 };
    g_autofree char *what = NULL;

    g_return_val_if_fail(rtnl != NULL && config != NULL, FALSE);
    if (!check_names(name, config->master, error))
        return FALSE;
    if (config->mtu && (config->mtu < 68 || config->mtu > 65535)) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                    _("invalid MTU %u for link '%s': must be 68 to 65535"), config->mtu, name);
        return FALSE;
    }
    if (config->alias && strlen(config->alias) >= IFALIASZ) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                    _("alias for link '%s' is too long: %zu bytes, at most %d"), name,
                    strlen(config->alias), IFALIASZ - 1);
        return FALSE;
    }
    if (config->mac && (config->mac[0] & 1)) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                    _("cannot set MAC %02x:%02x:%02x:%02x:%02x:%02x on link '%s': a multicast "
                      "address"),
                    config->mac[0], config->mac[1], config->mac[2], config->mac[3],
                    config->mac[4], config->mac[5], name);
        return FALSE;
    }
    what = g_strdup_printf(_("cannot configure link '%s'"), name);
    if (config->master) {
        arg.master = (guint32)rtnl_ifindex(rtnl, config->master, error);
        if (!arg.master) {
            g_prefix_error(error, "%s: ", what);
            return FALSE;
        }
    }
    if (config->no_ipv6) {
        g_autofree char *key = g_strdup_printf("net/ipv6/conf/%s/disable_ipv6", name);

        if (!vw_rtnl_sysctl_set(rtnl, key, "1", error)) {
            g_prefix_error(error, "%s: ", what);
            return FALSE;
        }
    }
    return link_change(rtnl, name, fill_configure, &arg, error, what);
}

/* ------------------------------------------------------------ addresses */

typedef struct {
    int family;
    guint8 addr[16];
    guint prefix;
} Cidr;

static gboolean
cidr_parse(const char *text, gboolean need_prefix, Cidr *out, GError **error)
{
    g_autofree char *copy = g_strdup(text);
    char *slash = strchr(copy, '/');
    guint64 prefix = 0;
    guint max;

    memset(out, 0, sizeof(*out));
    if (slash)
        *slash = '\0';
    if (inet_pton(AF_INET, copy, out->addr) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, copy, out->addr) == 1)
        out->family = AF_INET6;
    else
        goto bad;
    max = out->family == AF_INET ? 32 : 128;
    if (slash) {
        if (!g_ascii_string_to_unsigned(slash + 1, 10, 0, max, &prefix, NULL))
            goto bad;
        out->prefix = (guint)prefix;
    } else if (need_prefix) {
        goto bad;
    } else {
        out->prefix = max;
    }
    return TRUE;

bad:
    g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                need_prefix ? _("invalid address '%s': expected ADDRESS/PREFIX")
                            : _("invalid address '%s'"),
                text);
    return FALSE;
}

static gboolean
addr_change(VwRtnl *rtnl, guint16 type, const char *name, const char *cidr, GError **error)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    struct ifaddrmsg *ifa;
    g_autofree char *what = NULL;
    Cidr c;
    int ifindex;
    size_t alen;

    g_return_val_if_fail(rtnl != NULL, FALSE);
    if (!vw_ifname_check(name, error) || !cidr_parse(cidr, TRUE, &c, error))
        return FALSE;
    what = type == RTM_NEWADDR ? g_strdup_printf(_("cannot add address '%s' to link '%s'"), cidr, name)
                               : g_strdup_printf(_("cannot delete address '%s' from link '%s'"),
                                                 cidr, name);
    ifindex = rtnl_ifindex(rtnl, name, error);
    if (!ifindex) {
        g_prefix_error(error, "%s: ", what);
        return FALSE;
    }
    alen = c.family == AF_INET ? 4 : 16;
    nlh = msg_new(buf, type, type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0);
    ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
    ifa->ifa_family = (guint8)c.family;
    ifa->ifa_prefixlen = (guint8)c.prefix;
    ifa->ifa_index = (guint32)ifindex;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    mnl_attr_put(nlh, IFA_LOCAL, alen, c.addr);
    mnl_attr_put(nlh, IFA_ADDRESS, alen, c.addr);
    if (c.family == AF_INET && c.prefix < 31) {
        guint32 a, bcast;
        memcpy(&a, c.addr, 4);
        bcast = a | htonl(c.prefix ? (0xffffffffu >> c.prefix) : 0xffffffffu);
        mnl_attr_put_u32(nlh, IFA_BROADCAST, bcast);
    }
    return rtnl_transact(rtnl, nlh, NULL, NULL, error, what);
}

gboolean
vw_rtnl_addr_add(VwRtnl *rtnl, const char *name, const char *cidr, GError **error)
{
    return addr_change(rtnl, RTM_NEWADDR, name, cidr, error);
}

gboolean
vw_rtnl_addr_delete(VwRtnl *rtnl, const char *name, const char *cidr, GError **error)
{
    return addr_change(rtnl, RTM_DELADDR, name, cidr, error);
}

typedef struct {
    GPtrArray *out;
    int ifindex;
} AddrDump;

static int
parse_attr_addr(const struct nlattr *attr, void *data)
{
    const struct nlattr **tb = data;

    if (mnl_attr_type_valid(attr, IFA_MAX) < 0)
        return MNL_CB_OK;
    tb[mnl_attr_get_type(attr)] = attr;
    return MNL_CB_OK;
}

static int
addr_dump_cb(const struct nlmsghdr *nlh, void *data)
{
    AddrDump *d = data;
    const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
    const struct nlattr *tb[IFA_MAX + 1] = { 0 };
    const struct nlattr *a;
    char text[INET6_ADDRSTRLEN];

    if (nlh->nlmsg_type != RTM_NEWADDR || (d->ifindex && (int)ifa->ifa_index != d->ifindex))
        return MNL_CB_OK;
    mnl_attr_parse(nlh, sizeof(*ifa), parse_attr_addr, tb);
    a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
    if (!a || !inet_ntop(ifa->ifa_family, mnl_attr_get_payload(a), text, sizeof(text)))
        return MNL_CB_OK;
    g_ptr_array_add(d->out, g_strdup_printf("%s/%u", text, ifa->ifa_prefixlen));
    return MNL_CB_OK;
}

char **
vw_rtnl_addr_list(VwRtnl *rtnl, const char *name, GError **error)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    struct ifaddrmsg *ifa;
    AddrDump d = { 0 };
    GPtrArray *out;

    g_return_val_if_fail(rtnl != NULL, NULL);
    if (name) {
        if (!vw_ifname_check(name, error))
            return NULL;
        d.ifindex = rtnl_ifindex(rtnl, name, error);
        if (!d.ifindex)
            return NULL;
    }
    nlh = msg_new(buf, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP);
    ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
    ifa->ifa_family = AF_UNSPEC;
    out = rtnl_dump(rtnl, nlh, addr_dump_cb, &d, &d.out, g_free, _("cannot list addresses"),
                    error);
    if (!out)
        return NULL;
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

/* ------------------------------------------------------------ routes */

static gboolean
route_change(VwRtnl *rtnl, guint16 type, const char *dest, const char *gateway, const char *dev,
              GError **error)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    struct rtmsg *rtm;
    g_autofree char *what = NULL;
    Cidr d, gw;
    int ifindex = 0;

    g_return_val_if_fail(rtnl != NULL && dest != NULL, FALSE);
    if (g_str_equal(dest, "default")) {
        memset(&d, 0, sizeof(d));
        d.family = AF_INET;
    } else if (g_str_equal(dest, "default6")) {
        memset(&d, 0, sizeof(d));
        d.family = AF_INET6;
    } else if (!cidr_parse(dest, TRUE, &d, error)) {
        return FALSE;
    }
    if (gateway) {
        if (!cidr_parse(gateway, FALSE, &gw, error))
            return FALSE;
        if (gw.family != d.family) {
            g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                        _("gateway '%s' is not of the address family of route '%s'"), gateway,
                        dest);
            return FALSE;
        }
    }
    if (!gateway && !dev) {
        g_set_error(error, VW_NET_ERROR, VW_NET_ERROR_INVALID,
                    _("route '%s' needs a gateway or a device"), dest);
        return FALSE;
    }
    if (dev && !vw_ifname_check(dev, error))
        return FALSE;
    what = type == RTM_NEWROUTE ? g_strdup_printf(_("cannot add route '%s'"), dest)
                                : g_strdup_printf(_("cannot delete route '%s'"), dest);
    if (dev) {
        ifindex = rtnl_ifindex(rtnl, dev, error);
        if (!ifindex) {
            g_prefix_error(error, "%s: ", what);
            return FALSE;
        }
    }
    nlh = msg_new(buf, type, type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0);
    rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
    rtm->rtm_family = (guint8)d.family;
    rtm->rtm_dst_len = (guint8)d.prefix;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_STATIC;
    rtm->rtm_type = RTN_UNICAST;
    rtm->rtm_scope = gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    if (type == RTM_DELROUTE)
        rtm->rtm_scope = RT_SCOPE_NOWHERE;
    if (d.prefix)
        mnl_attr_put(nlh, RTA_DST, d.family == AF_INET ? 4 : 16, d.addr);
    if (gateway)
        mnl_attr_put(nlh, RTA_GATEWAY, gw.family == AF_INET ? 4 : 16, gw.addr);
    if (ifindex)
        mnl_attr_put_u32(nlh, RTA_OIF, (guint32)ifindex);
    return rtnl_transact(rtnl, nlh, NULL, NULL, error, what);
}

gboolean
vw_rtnl_route_add(VwRtnl *rtnl, const char *dest, const char *gateway, const char *dev,
                  GError **error)
{
    return route_change(rtnl, RTM_NEWROUTE, dest, gateway, dev, error);
}

gboolean
vw_rtnl_route_delete(VwRtnl *rtnl, const char *dest, const char *gateway, const char *dev,
                     GError **error)
{
    return route_change(rtnl, RTM_DELROUTE, dest, gateway, dev, error);
}

gboolean
vw_rtnl_route_get_oif(VwRtnl *rtnl, const char *dest, int *oif, GError **error)
{
    g_autoptr(GPtrArray) routes = NULL;
    Cidr d;
    guint len;

    g_return_val_if_fail(rtnl != NULL && dest != NULL && oif != NULL, FALSE);
    *oif = 0;
    if (!cidr_parse(dest, TRUE, &d, error))
        return FALSE;
    /* The route's destination is the network: clear the host bits. */
    for (guint i = 0; i < 16; i++) {
        guint bits = d.prefix > i * 8 ? MIN(8, d.prefix - i * 8) : 0;

        d.addr[i] &= (guint8)(0xff00 >> bits);
    }
    routes = vw_rtnl_route_list(rtnl, d.family, error);
    if (!routes) {
        g_prefix_error(error, _("cannot look up route '%s': "), dest);
        return FALSE;
    }
    len = d.family == AF_INET ? 4 : 16;
    for (guint i = 0; i < routes->len; i++) {
        const VwRoute *r = routes->pdata[i];

        if (r->table == RT_TABLE_MAIN && r->prefix == d.prefix && memcmp(r->dst, d.addr, len) == 0) {
            *oif = r->oif ? r->oif : -1;
            break;
        }
    }
    return TRUE;
}

/* ------------------------------------------------------------ tc */

static struct tcmsg *
put_tcmsg(struct nlmsghdr *nlh, int ifindex, guint32 handle, guint32 parent, guint32 info)
{
    struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));

    tcm->tcm_family = AF_UNSPEC;
    tcm->tcm_ifindex = ifindex;
    tcm->tcm_handle = handle;
    tcm->tcm_parent = parent;
    tcm->tcm_info = info;
    return tcm;
}

static gboolean
ingress_change(VwRtnl *rtnl, guint16 type, const char *name, GError **error)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    g_autofree char *what = NULL;
    int ifindex;

    g_return_val_if_fail(rtnl != NULL, FALSE);
    if (!vw_ifname_check(name, error))
        return FALSE;
    what = type == RTM_NEWQDISC ? g_strdup_printf(_("cannot add ingress qdisc to link '%s'"), name)
                                : g_strdup_printf(_("cannot delete ingress qdisc of link '%s'"),
                                                  name);
    ifindex = rtnl_ifindex(rtnl, name, error);
    if (!ifindex) {
        g_prefix_error(error, "%s: ", what);
        return FALSE;
    }
    nlh = msg_new(buf, type, type == RTM_NEWQDISC ? NLM_F_CREATE | NLM_F_EXCL : 0);
    put_tcmsg(nlh, ifindex, TC_H_MAKE(TC_H_INGRESS, 0), TC_H_INGRESS, 0);
    mnl_attr_put_strz(nlh, TCA_KIND, "ingress");
    return rtnl_transact(rtnl, nlh, NULL, NULL, error, what);
}

gboolean
vw_rtnl_ingress_add(VwRtnl *rtnl, const char *name, GError **error)
{
    return ingress_change(rtnl, RTM_NEWQDISC, name, error);
}

gboolean
vw_rtnl_ingress_delete(VwRtnl *rtnl, const char *name, GError **error)
{
    return ingress_change(rtnl, RTM_DELQDISC, name, error);
}

#define VW_REDIRECT_PRIO 49152 /* what tc picks for a first filter */

gboolean
vw_rtnl_redirect_add(VwRtnl *rtnl, const char *from, const char *to, GError **error)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    struct nlattr *opts, *acts, *act, *actopts;
    g_autofree char *what = NULL;
    struct {
        struct tc_u32_sel sel;
        struct tc_u32_key key;
    } sel = { 0 };
    struct tc_mirred mirred = { 0 };
    int from_index, to_index;

    g_return_val_if_fail(rtnl != NULL, FALSE);
    if (!check_names(from, to, error))
        return FALSE;
    what = g_strdup_printf(_("cannot redirect ingress of link '%s' to '%s'"), from, to);
    from_index = rtnl_ifindex(rtnl, from, error);
    to_index = from_index ? rtnl_ifindex(rtnl, to, error) : 0;
    if (!to_index) {
        g_prefix_error(error, "%s: ", what);
        return FALSE;
    }
    nlh = msg_new(buf, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL);
    put_tcmsg(nlh, from_index, 0, TC_H_MAKE(TC_H_INGRESS, 0),
              TC_H_MAKE((guint32)VW_REDIRECT_PRIO << 16, htons(ETH_P_ALL)));
    mnl_attr_put_strz(nlh, TCA_KIND, "u32");
    opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
    /* match u32 0 0 at 0: every frame; terminal, with the action below. */
    sel.sel.nkeys = 1;
    sel.sel.flags = TC_U32_TERMINAL;
    mnl_attr_put(nlh, TCA_U32_SEL, sizeof(sel), &sel);
    acts = mnl_attr_nest_start(nlh, TCA_U32_ACT);
    act = mnl_attr_nest_start(nlh, 1);
    mnl_attr_put_strz(nlh, TCA_ACT_KIND, "mirred");
    actopts = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
    mirred.action = TC_ACT_STOLEN;
    mirred.eaction = TCA_EGRESS_REDIR;
    mirred.ifindex = (guint32)to_index;
    mnl_attr_put(nlh, TCA_MIRRED_PARMS, sizeof(mirred), &mirred);
    mnl_attr_nest_end(nlh, actopts);
    mnl_attr_nest_end(nlh, act);
    mnl_attr_nest_end(nlh, acts);
    mnl_attr_nest_end(nlh, opts);
    return rtnl_transact(rtnl, nlh, NULL, NULL, error, what);
}

gboolean
vw_rtnl_redirect_delete(VwRtnl *rtnl, const char *from, GError **error)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    g_autofree char *what = NULL;
    int ifindex;

    g_return_val_if_fail(rtnl != NULL, FALSE);
    if (!vw_ifname_check(from, error))
        return FALSE;
    what = g_strdup_printf(_("cannot delete the ingress redirect of link '%s'"), from);
    ifindex = rtnl_ifindex(rtnl, from, error);
    if (!ifindex) {
        g_prefix_error(error, "%s: ", what);
        return FALSE;
    }
    nlh = msg_new(buf, RTM_DELTFILTER, 0);
    put_tcmsg(nlh, ifindex, 0, TC_H_MAKE(TC_H_INGRESS, 0),
              TC_H_MAKE((guint32)VW_REDIRECT_PRIO << 16, htons(ETH_P_ALL)));
    return rtnl_transact(rtnl, nlh, NULL, NULL, error, what);
}

/* ------------------------------------------------------------ route dump */

static int
parse_attr_route(const struct nlattr *attr, void *data)
{
    const struct nlattr **tb = data;

    if (mnl_attr_type_valid(attr, RTA_MAX) < 0)
        return MNL_CB_OK;
    tb[mnl_attr_get_type(attr)] = attr;
    return MNL_CB_OK;
}

typedef struct {
    GPtrArray *out;
    int family;
} RouteDump;

static int
route_dump_cb(const struct nlmsghdr *nlh, void *data)
{
    RouteDump *d = data;
    const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
    const struct nlattr *tb[RTA_MAX + 1] = { 0 };
    gsize len = rtm->rtm_family == AF_INET ? 4 : 16;
    VwRoute *r;

    if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != d->family)
        return MNL_CB_OK;
    mnl_attr_parse(nlh, sizeof(*rtm), parse_attr_route, tb);
    r = g_new0(VwRoute, 1);
    r->family = rtm->rtm_family;
    r->prefix = MIN(rtm->rtm_dst_len, len * 8);
    r->type = rtm->rtm_type;
    r->table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
    if (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) >= len)
        memcpy(r->dst, mnl_attr_get_payload(tb[RTA_DST]), len);
    if (tb[RTA_OIF])
        r->oif = (int)mnl_attr_get_u32(tb[RTA_OIF]);
    g_ptr_array_add(d->out, r);
    return MNL_CB_OK;
}

GPtrArray *
vw_rtnl_route_list(VwRtnl *rtnl, int family, GError **error)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    struct rtmsg *rtm;
    RouteDump d = { NULL, family };

    g_return_val_if_fail(rtnl != NULL, NULL);
    g_return_val_if_fail(family == AF_INET || family == AF_INET6, NULL);
    nlh = msg_new(buf, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP);
    rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
    rtm->rtm_family = (guint8)family;
    return rtnl_dump(rtnl, nlh, route_dump_cb, &d, &d.out, g_free, _("cannot list routes"), error);
}

/* ------------------------------------------------------------ shaping, STP */

/* tc's clock: the kernel counts token-bucket times in "ticks" of
 * 2^PSCHED_SHIFT ns (/proc/net/psched says 1000 ns are 64 ticks). */
#define VW_PSCHED_SHIFT 6

/* Ticks to send @bytes at @rate bytes/s, as tc computes buffer and mtu. */
static guint32
shape_ticks(guint64 rate, guint32 bytes)
{
    double ns = (double)bytes * 1e9 / (double)rate;
    double ticks = ns / (double)(1u << VW_PSCHED_SHIFT);

    return ticks >= (double)G_MAXUINT32 ? G_MAXUINT32 : (guint32)ticks;
}

static void
shape_ratespec(struct tc_ratespec *spec, guint64 rate)
{
    /* The link layer stated, so the kernel needs no rate table; rates of
     * 4 GB/s and more go in the 64-bit attribute beside. */
    spec->linklayer = TC_LINKLAYER_ETHERNET;
    spec->rate = rate >= G_MAXUINT32 ? G_MAXUINT32 : (guint32)rate;
}

gboolean
vw_rtnl_shape_set(VwRtnl *rtnl, const char *name, const VwShape *shape, GError **error)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    struct nlattr *opts;
    struct tc_tbf_qopt qopt = { 0 };
    g_autofree char *what = NULL;
    int ifindex;

    g_return_val_if_fail(rtnl != NULL, FALSE);
    g_return_val_if_fail(shape != NULL, FALSE);
    if (!vw_ifname_check(name, error))
        return FALSE;
    what = g_strdup_printf(_("cannot limit the rate of link '%s'"), name);
    if (shape->rate == 0 || shape->burst == 0 || shape->frame == 0 ||
        (shape->peak && shape->peak <= shape->rate)) {
        vw_net_error_set_errno(error, EINVAL, "%s", what);
        return FALSE;
    }
    ifindex = rtnl_ifindex(rtnl, name, error);
    if (!ifindex) {
        g_prefix_error(error, "%s: ", what);
        return FALSE;
    }
    nlh = msg_new(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE);
    put_tcmsg(nlh, ifindex, TC_H_MAKE(1u << 16, 0), TC_H_ROOT, 0);
    mnl_attr_put_strz(nlh, TCA_KIND, "tbf");
    opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
    shape_ratespec(&qopt.rate, shape->rate);
    qopt.limit = shape->limit;
    qopt.buffer = shape_ticks(shape->rate, shape->burst);
    if (shape->peak) {
        shape_ratespec(&qopt.peakrate, shape->peak);
        qopt.mtu = shape_ticks(shape->peak, shape->frame);
    }
    mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(qopt), &qopt);
    if (shape->rate >= G_MAXUINT32)
        mnl_attr_put_u64(nlh, TCA_TBF_RATE64, shape->rate);
    /* Sizes in bytes: the kernel derives its times from them exactly. */
    mnl_attr_put_u32(nlh, TCA_TBF_BURST, shape->burst);
    if (shape->peak) {
        if (shape->peak >= G_MAXUINT32)
            mnl_attr_put_u64(nlh, TCA_TBF_PRATE64, shape->peak);
        mnl_attr_put_u32(nlh, TCA_TBF_PBURST, shape->frame);
    }
    mnl_attr_nest_end(nlh, opts);
    return rtnl_transact(rtnl, nlh, NULL, NULL, error, what);
}

gboolean
vw_rtnl_bridge_set_stp(VwRtnl *rtnl, const char *name, gboolean stp, GError **error)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    struct nlattr *linkinfo, *infodata;
    g_autofree char *what = NULL;
    int ifindex;

    g_return_val_if_fail(rtnl != NULL, FALSE);
    if (!vw_ifname_check(name, error))
        return FALSE;
    what = g_strdup_printf(stp ? _("cannot turn STP on for bridge '%s'")
                               : _("cannot turn STP off for bridge '%s'"),
                           name);
    ifindex = rtnl_ifindex(rtnl, name, error);
    if (!ifindex) {
        g_prefix_error(error, "%s: ", what);
        return FALSE;
    }
    nlh = msg_new(buf, RTM_NEWLINK, 0);
    put_ifinfo(nlh, ifindex);
    linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
    infodata = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    /* Kernel STP in a netns other than the host's (the bridge-stp helper
     * is asked only in the initial one); turning it on raises the forward
     * delay to the least STP allows (2 s), as libvirt's delay='0' does. */
    mnl_attr_put_u32(nlh, IFLA_BR_STP_STATE, stp ? 1 : 0);
    mnl_attr_nest_end(nlh, infodata);
    mnl_attr_nest_end(nlh, linkinfo);
    return rtnl_transact(rtnl, nlh, NULL, NULL, error, what);
}
