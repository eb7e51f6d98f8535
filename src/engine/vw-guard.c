#include <config.h>

/*
 * The guards of a network (see vw-guard.h): the anti-spoofing table in the
 * network's netns and the host-access table in the host netns.  Tables are
 * made with libnftables (vw_nft_run_commands(), rarely: start, repair);
 * a port's set elements, a table's identity and its deletion go through
 * nfnetlink directly (every plug and unplug: no libnftables to load, no
 * ruleset cache to fetch).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "vw-guard.h"
#include "vw-ipam.h"
#include "vw-names.h"
#include "vw-net-error.h"
#include "vw-netns.h"
#include "vw-nft.h"

#define KEY_IFNAME  16 /* IFNAMSIZ: a concatenation's ifname field */
#define KEY_MAX     (KEY_IFNAME + 16)
#define SOCK_BUFFER (4 << 20)
#define DUMP_TRIES  5

/* The sets of the netns table, and their key lengths after the ifname. */
typedef enum {
    SET_MAC,
    SET_IPV4,
    SET_IPV6,
    SET_ND_TARGET,
    SET_COUNT,
} GuardSet;

static const char *const set_names[SET_COUNT] = { "port_mac", "port_ipv4", "port_ipv6",
                                                  "port_nd_target" };
/* ether_addr is 6 bytes, padded to a 32-bit register in a concatenation. */
static const guint set_key_len[SET_COUNT] = { KEY_IFNAME + 8, KEY_IFNAME + 4, KEY_IFNAME + 16,
                                              KEY_IFNAME + 16 };

static char *
table_name(const VwNetDef *def)
{
    return g_strconcat(VW_GUARD_TABLE_PREFIX, def->name, NULL);
}

/* Whether @def asks for each table. */
static gboolean
wants_spoof_table(const VwNetDef *def)
{
    return !def->no_spoof_check;
}

static gboolean
wants_host_table(const VwNetDef *def)
{
    /* Only a network with an uplink reaches the host (engine_net_start_steps(), step 4). */
    return def->forward != VW_FORWARD_ISOLATED && def->ipv4 && !def->host_access;
}

/* ------------------------------------------------------------ nfnetlink */

typedef struct {
    struct mnl_socket *nl;
    guint32 portid;
    guint32 seq;
} GuardSock;

static void
guard_sock_free(GuardSock *s)
{
    if (!s)
        return;
    if (s->nl)
        mnl_socket_close(s->nl);
    g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GuardSock, guard_sock_free)

static gboolean
guard_sock_open_here(gpointer data, GError **error)
{
    GuardSock *s = data;
    struct timeval timeout = { 30, 0 };
    int size = SOCK_BUFFER;
    int one = 1;

    s->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (!s->nl)
        return vw_net_error_set_errno(error, errno, _("cannot open an nfnetlink socket"));
    if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0)
        return vw_net_error_set_errno(error, errno, _("cannot bind an nfnetlink socket"));
    /* Acknowledgements carry only the header of the request. */
    mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
    if (setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
        setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    if (setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
        setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    /* A bound against a kernel that never answers (nothing here waits
     * that long otherwise). */
    setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    s->portid = mnl_socket_get_portid(s->nl);
    s->seq = (guint32)g_get_monotonic_time();
    return TRUE;
}

static gpointer
guard_sock_close_run(gpointer data)
{
    guard_sock_free(data);
    return NULL;
}

/*
 * Close @s on a thread of its own.  Closing an nfnetlink socket waits for
 * nf_tables to free the transactions committed so far, after an RCU grace
 * period (4 to 15 ms here): the plug or unplug goes on meanwhile (its own
 * link work waits for grace periods too).  exit() does not wait for this
 * detached thread: a process that exits before it is done leaves the socket
 * to the kernel, which closes it at exit as it closes every descriptor
 * (the transactions were committed and answered before: nothing is lost).
 */
static void
guard_sock_close_later(GuardSock *s)
{
    GThread *t = g_thread_try_new("vw-guard-close", guard_sock_close_run, s, NULL);

    if (t)
        g_thread_unref(t);
    else
        guard_sock_free(s);
}

/* A socket in the named netns @netns (opened on a short-lived thread), or
 * in the calling thread's netns when @netns is NULL. */
static GuardSock *
guard_sock_open(const char *netns, GError **error)
{
    g_autoptr(GuardSock) s = g_new0(GuardSock, 1);
    gboolean ok;
    int fd;

    if (!netns)
        return guard_sock_open_here(s, error) ? g_steal_pointer(&s) : NULL;
    fd = vw_netns_open(netns, error);
    if (fd < 0)
        return NULL;
    ok = vw_netns_run(fd, guard_sock_open_here, s, error);
    close(fd);
    return ok ? g_steal_pointer(&s) : NULL;
}

/* Append one nf_tables message's header to @buf (MNL_SOCKET_BUFFER_SIZE). */
static struct nlmsghdr *
msg_put(void *buf, guint16 type, guint16 flags, guint8 family, guint32 seq)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct nfgenmsg *nfg;

    nlh->nlmsg_type = (guint16)((NFNL_SUBSYS_NFTABLES << 8) | type);
    nlh->nlmsg_flags = (guint16)(NLM_F_REQUEST | flags);
    nlh->nlmsg_seq = seq;
    nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
    nfg->nfgen_family = family;
    nfg->version = NFNETLINK_V0;
    nfg->res_id = 0;
    return nlh;
}

/* A batch of messages, sent at once; every message asks for an ACK. */
typedef struct {
    GByteArray *buf;
    guint count; /* messages between BEGIN and END */
} Batch;

static void
batch_marker(Batch *b, guint16 type, guint32 seq)
{
    char hdr[64];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(hdr);
    struct nfgenmsg *nfg;

    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST;
    nlh->nlmsg_seq = seq;
    nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
    nfg->nfgen_family = AF_UNSPEC;
    nfg->version = NFNETLINK_V0;
    nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
    g_byte_array_append(b->buf, (const guint8 *)hdr, nlh->nlmsg_len);
}

/* Elements in one set-element message: a nest's length is 16 bits, so
 * NFTA_SET_ELEM_LIST_ELEMENTS holds at most ~1,480 IPv6 keys. */
#define ELEMS_PER_MSG 512

/* Add set-element messages (NEWSETELEM or DELSETELEM) carrying @keys (each
 * @key_len bytes) to @b, at most ELEMS_PER_MSG elements each.  Sequence
 * numbers are given when the batch is sent. */
static void
batch_elements(Batch *b, guint16 type, const char *table, const char *set,
               const GByteArray *keys, guint key_len)
{
    guint n = keys->len / key_len;
    gsize size = MNL_SOCKET_BUFFER_SIZE + (gsize)ELEMS_PER_MSG * (key_len + 32);
    g_autofree char *msg = g_malloc(size);

    for (guint first = 0; first < n; first += ELEMS_PER_MSG) {
        guint last = MIN(n, first + ELEMS_PER_MSG);
        struct nlmsghdr *nlh;
        struct nlattr *list;

        memset(msg, 0, size);
        nlh = msg_put(msg, type, NLM_F_ACK | (type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0),
                      NFPROTO_BRIDGE, 0);
        mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
        mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
        list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
        for (guint i = first; i < last; i++) {
            struct nlattr *elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
            struct nlattr *key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);

            mnl_attr_put(nlh, NFTA_DATA_VALUE, key_len, keys->data + (gsize)i * key_len);
            mnl_attr_nest_end(nlh, key);
            mnl_attr_nest_end(nlh, elem);
        }
        mnl_attr_nest_end(nlh, list);
        g_byte_array_append(b->buf, (const guint8 *)msg, nlh->nlmsg_len);
        b->count++;
    }
}

/*
 * Read the answers to the batch sent with sequence numbers @begin (its
 * BEGIN marker) to @end (its END marker): until @expected ACKs or errors of
 * its messages came back; the first error wins.  Only answers to this
 * socket (port id 0 from the kernel, or ours) within that range count: a
 * late answer to an earlier batch on the same socket is dropped.
 */
static int
read_acks(GuardSock *s, guint32 begin, guint32 end, guint expected)
{
    g_autofree char *buf = g_malloc(MNL_SOCKET_BUFFER_SIZE * 4);
    guint seen = 0;
    int first = 0;

    while (seen < expected) {
        ssize_t n = mnl_socket_recvfrom(s->nl, buf, MNL_SOCKET_BUFFER_SIZE * 4);
        const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
        int len = (int)n;

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return first ? first : errno;
        }
        for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
            const struct nlmsgerr *err;

            if (nlh->nlmsg_type != NLMSG_ERROR ||
                (nlh->nlmsg_pid != 0 && nlh->nlmsg_pid != s->portid) ||
                nlh->nlmsg_seq - begin > end - begin)
                continue;
            if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr)))
                return first ? first : EPROTO;
            err = mnl_nlmsg_get_payload(nlh);
            /* An answer to a marker: the batch was refused as a whole. */
            if (nlh->nlmsg_seq == begin || nlh->nlmsg_seq == end) {
                if (err->error)
                    return first ? first : -err->error;
                continue;
            }
            seen++;
            if (err->error && !first)
                first = -err->error;
        }
        /* After an error, take what is queued and stop (the kernel sends a
         * batch's answers together); anything later carries this batch's
         * sequence numbers, which no later batch reuses. */
        while (first && seen < expected &&
               recv(mnl_socket_get_fd(s->nl), buf, MNL_SOCKET_BUFFER_SIZE * 4, MSG_DONTWAIT) > 0)
            ;
        if (first)
            break;
    }
    return first;
}

/* Send @b as one transaction; 0 or the errno of the first failure.  Every
 * sending numbers the messages afresh, so a batch sent again (a retry)
 * never takes an answer to its earlier sending for its own. */
static int
batch_send(Batch *b, GuardSock *s)
{
    g_autoptr(GByteArray) all = g_byte_array_new();
    Batch whole = { all, 0 };
    guint32 begin, end;
    struct nlmsghdr *nlh = (struct nlmsghdr *)b->buf->data;
    int len = (int)b->buf->len;

    if (b->count == 0)
        return 0;
    begin = ++s->seq;
    batch_marker(&whole, NFNL_MSG_BATCH_BEGIN, begin);
    for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
        nlh->nlmsg_seq = ++s->seq;
    g_byte_array_append(all, b->buf->data, b->buf->len);
    end = ++s->seq;
    batch_marker(&whole, NFNL_MSG_BATCH_END, end);
    if (mnl_socket_sendto(s->nl, all->data, all->len) < 0)
        return errno;
    return read_acks(s, begin, end, b->count);
}

/* The comment of the table in NEWTABLE message @m ("" for none), and its
 * name in *@name when asked. */
static char *
table_msg_parse(const struct nlmsghdr *m, char **name)
{
    const struct nlattr *attr;
    char *comment = NULL;

    mnl_attr_for_each(attr, m, sizeof(struct nfgenmsg))
    {
        const guint8 *ud;
        guint16 ud_len;

        if (mnl_attr_get_type(attr) == NFTA_TABLE_NAME && name) {
            g_free(*name);
            *name = g_strndup(mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr));
            continue;
        }
        if (mnl_attr_get_type(attr) != NFTA_TABLE_USERDATA)
            continue;
        /* Type-length-value records; NFTNL_UDATA_TABLE_COMMENT is 0. */
        ud = mnl_attr_get_payload(attr);
        ud_len = mnl_attr_get_payload_len(attr);
        for (guint16 off = 0; off + 2 <= ud_len && off + 2 + ud[off + 1] <= ud_len;
             off += 2 + ud[off + 1]) {
            if (ud[off] == 0) {
                g_free(comment);
                comment = g_strndup((const char *)ud + off + 2, ud[off + 1]);
            }
        }
    }
    return comment ? comment : g_strdup("");
}

typedef void (*GuardMsgFunc)(const struct nlmsghdr *m, gpointer data);

/*
 * Send the request at the start of @buf (@size bytes, its sequence number
 * fresh) and hand each answer with that sequence number to @cb until the
 * kernel is done: NLMSG_DONE ends a dump, the ack (an NLMSG_ERROR of 0) any
 * other request.  Returns 0, the kernel's errno or the socket's;
 * *@interrupted says whether a dump was marked NLM_F_DUMP_INTR (its answers
 * are then not to be trusted: ask again).
 */
static int
guard_request(GuardSock *s, char *buf, gsize size, GuardMsgFunc cb, gpointer data,
              gboolean *interrupted)
{
    const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
    guint32 seq = nlh->nlmsg_seq;
    gboolean dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;

    *interrupted = FALSE;
    if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
        return errno;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(s->nl, buf, size);
        const struct nlmsghdr *m = (const struct nlmsghdr *)buf;
        int len = (int)n;

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
            if (m->nlmsg_seq != seq)
                continue;
            if (m->nlmsg_flags & NLM_F_DUMP_INTR)
                *interrupted = TRUE;
            if (m->nlmsg_type == NLMSG_DONE)
                return 0;
            if (m->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *err = mnl_nlmsg_get_payload(m);

                return err->error ? -err->error : dump ? EPROTO : 0;
            }
            cb(m, data);
        }
    }
}

static void
table_comment_msg(const struct nlmsghdr *m, gpointer data)
{
    char **comment = data;

    g_free(*comment);
    *comment = table_msg_parse(m, NULL);
}

/* The comment of table @family @table, in *@comment ("" when it has none);
 * 0, or ENOENT when there is no such table, or another errno. */
static int
table_comment(GuardSock *s, guint8 family, const char *table, char **comment)
{
    g_autofree char *buf = g_malloc(MNL_SOCKET_BUFFER_SIZE);
    struct nlmsghdr *nlh = msg_put(buf, NFT_MSG_GETTABLE, NLM_F_ACK, family, ++s->seq);
    gboolean interrupted;
    int e;

    *comment = NULL;
    mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table);
    e = guard_request(s, buf, MNL_SOCKET_BUFFER_SIZE, table_comment_msg, comment, &interrupted);
    if (e) {
        g_clear_pointer(comment, g_free);
        return e;
    }
    if (!*comment)
        *comment = g_strdup("");
    return 0;
}

typedef struct {
    GByteArray *keys;
    GuardSet set;
    const char *peer;
} SetDump;

static void
set_dump_msg(const struct nlmsghdr *m, gpointer data)
{
    const SetDump *d = data;
    const struct nlattr *attr;

    mnl_attr_for_each(attr, m, sizeof(struct nfgenmsg))
    {
        const struct nlattr *elem;

        if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS)
            continue;
        mnl_attr_for_each_nested(elem, attr)
        {
            const struct nlattr *a;

            mnl_attr_for_each_nested(a, elem)
            {
                const struct nlattr *v;

                if (mnl_attr_get_type(a) != NFTA_SET_ELEM_KEY)
                    continue;
                mnl_attr_for_each_nested(v, a)
                {
                    const guint8 *key = mnl_attr_get_payload(v);

                    if (mnl_attr_get_type(v) != NFTA_DATA_VALUE ||
                        mnl_attr_get_payload_len(v) != set_key_len[d->set] ||
                        strncmp((const char *)key, d->peer, KEY_IFNAME) != 0)
                        continue;
                    g_byte_array_append(d->keys, key, set_key_len[d->set]);
                }
            }
        }
    }
}

/* Keys of the elements of @set whose ifname is @peer, appended to @keys. */
static int
set_dump_peer(GuardSock *s, const char *table, GuardSet set, const char *peer, GByteArray *keys)
{
    SetDump d = { keys, set, peer };

    for (guint attempt = 0; attempt < DUMP_TRIES; attempt++) {
        g_autofree char *buf = g_malloc(MNL_SOCKET_BUFFER_SIZE * 4);
        struct nlmsghdr *nlh =
            msg_put(buf, NFT_MSG_GETSETELEM, NLM_F_DUMP, NFPROTO_BRIDGE, ++s->seq);
        guint start = keys->len;
        gboolean interrupted;
        int e;

        mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
        mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set_names[set]);
        e = guard_request(s, buf, MNL_SOCKET_BUFFER_SIZE * 4, set_dump_msg, &d, &interrupted);
        if (e || !interrupted)
            return e;
        g_byte_array_set_size(keys, start);
    }
    return EINTR;
}

/* ------------------------------------------------------------ keys and text */

/* The key of @port in @set appended to @keys; FALSE when it has none. */
static gboolean
key_append(GByteArray *keys, GuardSet set, const VwGuardPort *port)
{
    guint8 key[KEY_MAX] = { 0 };

    g_strlcpy((char *)key, port->peer, KEY_IFNAME);
    switch (set) {
    case SET_MAC:
        memcpy(key + KEY_IFNAME, port->mac->b, sizeof(port->mac->b));
        break;
    case SET_IPV4:
        if (!port->ipv4 || inet_pton(AF_INET, port->ipv4, key + KEY_IFNAME) != 1)
            return FALSE;
        break;
    case SET_IPV6:
    case SET_ND_TARGET:
        if (!port->ipv6 || inet_pton(AF_INET6, port->ipv6, key + KEY_IFNAME) != 1)
            return FALSE;
        break;
    default:
        return FALSE;
    }
    g_byte_array_append(keys, key, set_key_len[set]);
    return TRUE;
}

/* "add element" commands for @ports. */
static void
append_elements(GString *cmds, const char *table, const VwGuardPort *ports, guint n)
{
    for (guint i = 0; i < n; i++) {
        const VwGuardPort *p = &ports[i];
        guint8 a6[16];
        char mac[VW_MAC_BUFSIZE];

        g_string_append_printf(cmds, "add element bridge %s port_mac { \"%s\" . %s }\n", table,
                               p->peer, vw_mac_format(p->mac, mac));
        if (p->ipv4)
            g_string_append_printf(cmds, "add element bridge %s port_ipv4 { \"%s\" . %s }\n", table,
                                   p->peer, p->ipv4);
        if (p->ipv6 && inet_pton(AF_INET6, p->ipv6, a6) == 1) {
            g_string_append_printf(cmds, "add element bridge %s port_ipv6 { \"%s\" . %s }\n", table,
                                   p->peer, p->ipv6);
            g_string_append_printf(cmds, "add element bridge %s port_nd_target { \"%s\" . 0x",
                                   table, p->peer);
            for (guint k = 0; k < 16; k++)
                g_string_append_printf(cmds, "%02x", a6[k]);
            g_string_append(cmds, " }\n");
        }
    }
}

/* The whole anti-spoofing table, replacing any table of that name. */
static char *
spoof_table_text(const VwNetDef *def, const char *table, const char *identity,
                 const VwGuardPort *ports, guint n)
{
    g_autoptr(GString) c = g_string_new(NULL);
    const char *t = table;

    g_string_append_printf(c, "add table bridge %s\ndelete table bridge %s\n", t, t);
    g_string_append_printf(c, "add table bridge %s { comment \"%s\"; }\n", t, identity);
    g_string_append_printf(c, "add set bridge %s port_mac { type ifname . ether_addr; }\n", t);
    g_string_append_printf(c, "add set bridge %s port_ipv4 { type ifname . ipv4_addr; }\n", t);
    g_string_append_printf(c, "add set bridge %s port_ipv6 { type ifname . ipv6_addr; }\n", t);
    /* The target of a neighbour advertisement, as raw bytes: nft 1.0.6 has
     * no "icmpv6 taddr". */
    g_string_append_printf(c, "add set bridge %s port_nd_target { typeof iifname . @th,64,128; }\n",
                           t);
    g_string_append_printf(c,
                           "add chain bridge %s from_port { type filter hook prerouting priority "
                           "-200; policy accept; }\n",
                           t);
    g_string_append_printf(c, "add chain bridge %s from_arp\n", t);
    g_string_append_printf(c, "add chain bridge %s from_ipv4\n", t);
    g_string_append_printf(c, "add chain bridge %s from_ipv6\n", t);

#define RULE(chain, ...)                                                                           \
    do {                                                                                           \
        g_string_append_printf(c, "add rule bridge %s %s ", t, chain);                             \
        g_string_append_printf(c, __VA_ARGS__);                                                    \
        g_string_append_c(c, '\n');                                                                \
    } while (0)

    /* Only ports: the bridge's own frames and any other bridge port (a
     * VXLAN, a test's veth) are not guests. */
    RULE("from_port", "iifname != \"%s*\" accept", VW_PORT_PEER_PREFIX);
    RULE("from_port", "iifname . ether saddr != @port_mac drop");
    RULE("from_port", "ether type arp jump from_arp");
    RULE("from_port", "ether type ip jump from_ipv4");
    RULE("from_port", "ether type ip6 jump from_ipv6");
    /* RARP: QEMU announces a migrated guest's MAC (checked above). */
    RULE("from_port", "ether type 0x8035 accept");
    /* Nothing else (VLAN tags would hide the addresses, STP frames the
     * bridge, ...), like clean-traffic's no-other-l2-traffic. */
    RULE("from_port", "drop");

    RULE("from_arp", "arp htype != 1 drop");
    RULE("from_arp", "arp ptype != ip drop");
    RULE("from_arp", "arp hlen != 6 drop");
    RULE("from_arp", "arp plen != 4 drop");
    RULE("from_arp", "iifname . arp saddr ether != @port_mac drop");
    if (def->ipv4) {
        RULE("from_arp", "arp saddr ip 0.0.0.0 accept");
        RULE("from_arp", "iifname . arp saddr ip @port_ipv4 accept");
        RULE("from_arp", "drop");
    } else {
        RULE("from_arp", "accept");
    }

    if (def->ipv4) {
        /* dnsmasq is the only DHCP server of the network. */
        RULE("from_ipv4", "udp sport 67 drop");
        RULE("from_ipv4", "iifname . ip saddr @port_ipv4 accept");
        RULE("from_ipv4",
             "ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept");
        RULE("from_ipv4", "drop");
    } else {
        RULE("from_ipv4", "accept");
    }

    if (def->ipv6) {
        /* dnsmasq is the only router and DHCPv6 server of the network. */
        RULE("from_ipv6", "icmpv6 type { nd-router-advert, nd-redirect } drop");
        RULE("from_ipv6", "udp sport 547 drop");
        /* A neighbour advertisement speaks for its target: only for a
         * link-local (not known to us) or the port's own address. */
        RULE("from_ipv6", "icmpv6 type nd-neighbor-advert @th,64,16 & 0xffc0 != 0xfe80 "
                          "iifname . @th,64,128 != @port_nd_target drop");
        RULE("from_ipv6", "iifname . ip6 saddr @port_ipv6 accept");
        RULE("from_ipv6",
             "ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld2-listener-report } accept");
        RULE("from_ipv6", "ip6 saddr fe80::/10 meta l4proto ipv6-icmp accept");
        RULE("from_ipv6", "ip6 saddr fe80::/10 udp sport 546 udp dport 547 accept");
        RULE("from_ipv6", "drop");
    } else {
        RULE("from_ipv6", "accept");
    }
    append_elements(c, t, ports, n);
    return g_string_free(g_steal_pointer(&c), FALSE);
}

/* The whole host-access table, replacing any table of that name. */
static char *
host_table_text(const char *table, const char *identity, const char *uplink, const char *ns_addr)
{
    g_autoptr(GString) c = g_string_new(NULL);
    const char *t = table;
    const char *reject = "meta l4proto tcp reject with tcp reset\n";
    const char *reject_rest = "reject with icmpx port-unreachable\n";

    g_string_append_printf(c, "add table inet %s\ndelete table inet %s\n", t, t);
    g_string_append_printf(c, "add table inet %s { comment \"%s\"; }\n", t, identity);
    g_string_append_printf(c,
                           "add chain inet %s input { type filter hook input priority 0; "
                           "policy accept; }\n",
                           t);
    g_string_append_printf(c,
                           "add chain inet %s forward { type filter hook forward priority 0; "
                           "policy accept; }\n",
                           t);
    /* To the host itself: answers, and the upstream DNS queries of the
     * network's dnsmasq (from the netns end of the uplink). */
    g_string_append_printf(c, "add rule inet %s input iifname != \"%s\" accept\n", t, uplink);
    g_string_append_printf(c, "add rule inet %s input ct state established,related accept\n", t);
    g_string_append_printf(c,
                           "add rule inet %s input ip saddr %s meta l4proto { tcp, udp } th dport "
                           "53 accept\n",
                           t, ns_addr);
    g_string_append_printf(c, "add rule inet %s input %s", t, reject);
    g_string_append_printf(c, "add rule inet %s input %s", t, reject_rest);
    /* To another virtwire network (its uplink): answers only. */
    g_string_append_printf(c, "add rule inet %s forward iifname != \"%s\" accept\n", t, uplink);
    g_string_append_printf(c, "add rule inet %s forward oifname != \"vwu-*\" accept\n", t);
    g_string_append_printf(c, "add rule inet %s forward ct state established,related accept\n", t);
    g_string_append_printf(c, "add rule inet %s forward %s", t, reject);
    g_string_append_printf(c, "add rule inet %s forward %s", t, reject_rest);
    return g_string_free(g_steal_pointer(&c), FALSE);
}

/* ------------------------------------------------------------ identity */

/*
 * Whether table @family @table may be (re)made or deleted by @identity's
 * network: absent (*@exists FALSE) or carrying @identity.  A table with
 * another identity or none is refused with a message naming it.
 */
static gboolean
table_is_ours(GuardSock *s, guint8 family, const char *table, const char *identity,
              const char *where, gboolean *exists, GError **error)
{
    g_autofree char *comment = NULL;
    int e = table_comment(s, family, table, &comment);

    *exists = FALSE;
    if (e == ENOENT)
        return TRUE;
    if (e) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_FAILED,
                    _("cannot read the nftables table '%s' in %s: %s"), table, where,
                    g_strerror(e));
        return FALSE;
    }
    *exists = TRUE;
    if (g_str_equal(comment, identity))
        return TRUE;
    if (!*comment)
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_FAILED,
                    _("cannot use the nftables table '%s' in %s for '%s': it was not made by "
                      "virtwire (no identity in its comment); remove it or rename the network"),
                    table, where, identity);
    else
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_FAILED,
                    _("cannot use the nftables table '%s' in %s for '%s': it belongs to '%s'"),
                    table, where, identity, comment);
    return FALSE;
}

static gboolean
table_delete(GuardSock *s, guint8 family, const char *table, const char *where, GError **error)
{
    g_autoptr(GByteArray) buf = g_byte_array_new();
    Batch b = { buf, 0 };
    char msg[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = msg_put(msg, NFT_MSG_DELTABLE, NLM_F_ACK, family, ++s->seq);
    int e;

    mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table);
    g_byte_array_append(buf, (const guint8 *)msg, nlh->nlmsg_len);
    b.count = 1;
    e = batch_send(&b, s);
    if (e == 0 || e == ENOENT)
        return TRUE;
    g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_FAILED,
                _("cannot delete the nftables table '%s' in %s: %s"), table, where, g_strerror(e));
    return FALSE;
}

/* ------------------------------------------------------------ the netns table */

/* The plugged ports of @def's network and their leases. */
typedef struct {
    GPtrArray *records;
    VwLeaseDb *db;
    GArray *ports; /* VwGuardPort, pointing into records and db */
} PluggedPorts;

static void
plugged_ports_clear(PluggedPorts *pp)
{
    g_clear_pointer(&pp->ports, g_array_unref);
    g_clear_pointer(&pp->db, vw_lease_db_free);
    g_clear_pointer(&pp->records, g_ptr_array_unref);
}

static gboolean
plugged_ports_load(VwEngine *engine, const VwNetDef *def, PluggedPorts *pp, GError **error)
{
    pp->ports = g_array_new(FALSE, TRUE, sizeof(VwGuardPort));
    pp->records = engine_read_ports(engine, def->name, error);
    if (!pp->records)
        return FALSE;
    for (guint i = 0; i < pp->records->len; i++) {
        const PortRecord *rec = pp->records->pdata[i];
        const VwLeaseRecord *lease;
        VwGuardPort port = { rec->peer, &rec->mac, NULL, NULL };

        if (rec->state != PORT_PLUGGED)
            continue;
        if (!pp->db && (def->ipv4 || def->ipv6)) {
            g_autofree char *path = vw_paths_leases_file(engine->paths, def->name);

            pp->db = vw_lease_db_load(path, def, error);
            if (!pp->db)
                return FALSE;
        }
        lease = pp->db ? vw_lease_db_lookup_mac(pp->db, rec->domain_uuid, &rec->mac) : NULL;
        if (lease) {
            port.ipv4 = lease->ipv4;
            port.ipv6 = lease->ipv6;
        }
        g_array_append_val(pp->ports, port);
    }
    return TRUE;
}

typedef struct {
    VwEngine *engine;
    const VwNetDef *def;
    const VwGuardPort *ports;
    guint n;
} SpoofJob;

/* Inside the netns: (re)make the table with @job's ports, or delete ours
 * when the definition turns the guard off. */
static gboolean
spoof_table_make_here(gpointer data, GError **error)
{
    SpoofJob *job = data;
    g_autofree char *table = table_name(job->def);
    g_autofree char *identity = engine_network_alias(job->engine, job->def);
    g_autofree char *where = g_strdup_printf(_("netns '%s'"), job->def->netns);
    g_autoptr(GuardSock) s = guard_sock_open(NULL, error);
    g_autofree char *text = NULL;
    g_autofree char *what = NULL;
    gboolean exists;

    if (!s || !table_is_ours(s, NFPROTO_BRIDGE, table, identity, where, &exists, error))
        return FALSE;
    if (!wants_spoof_table(job->def))
        return !exists || table_delete(s, NFPROTO_BRIDGE, table, where, error);
    text = spoof_table_text(job->def, table, identity, job->ports, job->n);
    what = g_strdup_printf(_("cannot make the anti-spoofing table '%s' of network '%s'"), table,
                           job->def->name);
    return vw_nft_run_commands(text, what, error);
}

static gboolean
spoof_table_make(VwEngine *engine, const VwNetDef *def, GError **error)
{
    PluggedPorts pp = { 0 };
    int fd = -1;
    gboolean ok = FALSE;

    if (wants_spoof_table(def) && !plugged_ports_load(engine, def, &pp, error))
        goto out;
    fd = vw_netns_open(def->netns, error);
    if (fd >= 0) {
        SpoofJob job = { engine, def, pp.ports ? (const VwGuardPort *)pp.ports->data : NULL,
                         pp.ports ? pp.ports->len : 0 };

        ok = vw_netns_run(fd, spoof_table_make_here, &job, error);
        close(fd);
    }
out:
    plugged_ports_clear(&pp);
    return ok;
}

gboolean
engine_guard_sync(VwEngine *engine, const VwNetDef *def, GError **error)
{
    g_return_val_if_fail(engine != NULL && def != NULL, FALSE);
    return spoof_table_make(engine, def, error);
}

gboolean
engine_guard_ports_add(VwEngine *engine, const VwNetDef *def, const VwGuardPort *ports, guint n,
                       GError **error)
{
    g_autofree char *table = NULL;
    g_autoptr(GuardSock) s = NULL;
    g_autoptr(GByteArray) buf = NULL;
    Batch b;
    int e;

    g_return_val_if_fail(engine != NULL && def != NULL && (ports || n == 0), FALSE);
    if (!wants_spoof_table(def) || n == 0)
        return TRUE;
    s = guard_sock_open(def->netns, error);
    if (!s)
        return FALSE;
    table = table_name(def);
    buf = g_byte_array_new();
    b.buf = buf;
    b.count = 0;
    for (guint set = 0; set < SET_COUNT; set++) {
        g_autoptr(GByteArray) keys = g_byte_array_new();

        for (guint i = 0; i < n; i++)
            key_append(keys, (GuardSet)set, &ports[i]);
        batch_elements(&b, NFT_MSG_NEWSETELEM, table, set_names[set], keys, set_key_len[set]);
    }
    e = batch_send(&b, s);
    if (e == ENOENT) {
        /* No table (started by an older virtwire, or removed behind our
         * back): make it with the plugged ports, then add these. */
        if (!spoof_table_make(engine, def, error))
            return FALSE;
        e = batch_send(&b, s);
    }
    guard_sock_close_later(g_steal_pointer(&s));
    if (e == 0)
        return TRUE;
    g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_FAILED,
                _("cannot add the port '%s' to the anti-spoofing table '%s' of network '%s': %s"),
                ports[0].peer, table, def->name, g_strerror(e));
    return FALSE;
}

gboolean
engine_guard_port_remove(VwEngine *engine, const PortRecord *rec, GError **error)
{
    g_autoptr(VwNetDef) def = NULL;
    g_autofree char *table = NULL;
    g_autoptr(GuardSock) s = NULL;
    g_autoptr(GByteArray) buf = NULL;
    Batch b;
    int e = 0;

    g_return_val_if_fail(engine != NULL && rec != NULL, FALSE);
    if (!engine_net_is_active(engine, rec->network))
        return TRUE; /* no netns, no table */
    def = engine_load_running_def(engine, rec->network, error);
    if (!def)
        return FALSE;
    if (!wants_spoof_table(def) || !vw_netns_exists(def->netns))
        return TRUE;
    s = guard_sock_open(def->netns, error);
    if (!s)
        return FALSE;
    table = table_name(def);
    buf = g_byte_array_new();
    b.buf = buf;
    b.count = 0;
    for (guint set = 0; set < SET_COUNT && !e; set++) {
        g_autoptr(GByteArray) keys = g_byte_array_new();

        e = set_dump_peer(s, table, (GuardSet)set, rec->peer, keys);
        if (!e)
            batch_elements(&b, NFT_MSG_DELSETELEM, table, set_names[set], keys,
                           set_key_len[set]);
    }
    if (!e)
        e = batch_send(&b, s);
    guard_sock_close_later(g_steal_pointer(&s));
    if (e == 0 || e == ENOENT)
        return TRUE;
    g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_FAILED,
                _("cannot remove the port '%s' from the anti-spoofing table '%s' of network "
                  "'%s': %s"),
                rec->peer, table, def->name, g_strerror(e));
    return FALSE;
}

/* ------------------------------------------------------------ the host table */

static gboolean
host_table_make(VwEngine *engine, const VwNetDef *def, const NetStatus *status, GError **error)
{
    g_autofree char *table = table_name(def);
    g_autofree char *identity = engine_network_alias(engine, def);
    g_autoptr(GuardSock) s = guard_sock_open(NULL, error);
    const char *where = _("the host");
    g_autofree char *text = NULL;
    g_autofree char *what = NULL;
    char uplink[16], host_addr[32], ns_addr[32];
    gboolean exists;

    if (!s || !table_is_ours(s, NFPROTO_INET, table, identity, where, &exists, error))
        return FALSE;
    if (!wants_host_table(def))
        return !exists || table_delete(s, NFPROTO_INET, table, where, error);
    engine_uplink_name(def, uplink);
    engine_uplink_addrs(status->index, host_addr, ns_addr, FALSE);
    text = host_table_text(table, identity, uplink, ns_addr);
    what = g_strdup_printf(_("cannot make the host-access table '%s' of network '%s'"), table,
                           def->name);
    return vw_nft_run_commands(text, what, error);
}

gboolean
engine_guard_start(VwEngine *engine, const VwNetDef *def, const NetStatus *status, GError **error)
{
    g_return_val_if_fail(engine != NULL && def != NULL && status != NULL, FALSE);
    return host_table_make(engine, def, status, error) && spoof_table_make(engine, def, error);
}

gboolean
engine_guard_stop(VwEngine *engine, const VwNetDef *def, GError **error)
{
    g_autofree char *table = NULL;
    g_autofree char *identity = NULL;
    g_autofree char *comment = NULL;
    g_autoptr(GuardSock) s = NULL;
    const char *where = _("the host");
    int e;

    g_return_val_if_fail(engine != NULL && def != NULL, FALSE);
    table = table_name(def);
    identity = engine_network_alias(engine, def);
    s = guard_sock_open(NULL, error);
    if (!s)
        return FALSE;
    /* No table, or another root's table of the same name (this network
     * never made it): left alone, silently.  A table that cannot be read
     * (EPERM, a timeout) fails the step: it may be ours, and would stay. */
    e = table_comment(s, NFPROTO_INET, table, &comment);
    if (e == ENOENT)
        return TRUE;
    if (e) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_FAILED,
                    _("cannot read the nftables table '%s' in %s: %s"), table, where,
                    g_strerror(e));
        return FALSE;
    }
    if (!g_str_equal(comment, identity))
        return TRUE;
    return table_delete(s, NFPROTO_INET, table, where, error);
}

gboolean
engine_guard_is_whole(VwEngine *engine, const VwNetDef *def, const NetStatus *status)
{
    g_autofree char *table = table_name(def);
    g_autofree char *identity = engine_network_alias(engine, def);
    gboolean exists;

    (void)status;
    if (wants_host_table(def)) {
        g_autoptr(GuardSock) s = guard_sock_open(NULL, NULL);

        if (!s || !table_is_ours(s, NFPROTO_INET, table, identity, "", &exists, NULL) || !exists)
            return FALSE;
    }
    if (wants_spoof_table(def)) {
        g_autoptr(GuardSock) s = guard_sock_open(def->netns, NULL);

        if (!s || !table_is_ours(s, NFPROTO_BRIDGE, table, identity, "", &exists, NULL) || !exists)
            return FALSE;
    }
    return TRUE;
}

typedef struct {
    GPtrArray *names;
    GPtrArray *comments;
} TableDump;

static void
table_dump_msg(const struct nlmsghdr *m, gpointer data)
{
    TableDump *d = data;
    char *name = NULL;

    g_ptr_array_add(d->comments, table_msg_parse(m, &name));
    g_ptr_array_add(d->names, name ? name : g_strdup(""));
}

/* The names and comments of the host's tables of family inet. */
static int
host_tables_dump(GuardSock *s, GPtrArray *names, GPtrArray *comments)
{
    TableDump d = { names, comments };

    for (guint attempt = 0; attempt < DUMP_TRIES; attempt++) {
        g_autofree char *buf = g_malloc(MNL_SOCKET_BUFFER_SIZE * 4);
        gboolean interrupted;
        int e;

        msg_put(buf, NFT_MSG_GETTABLE, NLM_F_DUMP, NFPROTO_INET, ++s->seq);
        g_ptr_array_set_size(names, 0);
        g_ptr_array_set_size(comments, 0);
        e = guard_request(s, buf, MNL_SOCKET_BUFFER_SIZE * 4, table_dump_msg, &d, &interrupted);
        if (e || !interrupted)
            return e;
    }
    return EINTR;
}

/*
 * The host tables of this root: the names of the networks whose host table
 * "vwg-NAME" carries this root's identity of network NAME, into @networks.
 * @s stays open for the caller.
 */
static gboolean
host_tables_ours(VwEngine *engine, GuardSock *s, GPtrArray *networks, GError **error)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) comments = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *mine = g_strdup_printf(VW_NETWORK_ALIAS_PREFIX "%s:", engine->root_tag);
    int e = host_tables_dump(s, names, comments);

    if (e) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_FAILED,
                    _("cannot list the nftables tables of the host: %s"), g_strerror(e));
        return FALSE;
    }
    for (guint i = 0; i < names->len; i++) {
        const char *table = names->pdata[i];
        const char *net = table + strlen(VW_GUARD_TABLE_PREFIX);
        g_autofree char *id_net = NULL;

        if (!g_str_has_prefix(table, VW_GUARD_TABLE_PREFIX))
            continue;
        id_net = g_strconcat(mine, net, ":", NULL);
        if (g_str_has_prefix(comments->pdata[i], id_net))
            g_ptr_array_add(networks, g_strdup(net));
    }
    return TRUE;
}

char **
engine_guard_host_networks(VwEngine *engine, GError **error)
{
    g_autoptr(GuardSock) s = NULL;
    g_autoptr(GPtrArray) networks = g_ptr_array_new_with_free_func(g_free);

    g_return_val_if_fail(engine != NULL, NULL);
    s = guard_sock_open(NULL, error);
    if (!s || !host_tables_ours(engine, s, networks, error))
        return NULL;
    g_ptr_array_add(networks, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&networks), FALSE);
}

gboolean
engine_guard_collect(VwEngine *engine, const char *network, guint *collected,
                     GError **error)
{
    g_autoptr(GuardSock) s = NULL;
    g_autoptr(GPtrArray) networks = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *table = NULL;

    g_return_val_if_fail(engine != NULL && network != NULL, FALSE);
    s = guard_sock_open(NULL, error);
    if (!s || !host_tables_ours(engine, s, networks, error))
        return FALSE;
    if (!g_ptr_array_find_with_equal_func(networks, network, g_str_equal, NULL) ||
        engine_net_is_active(engine, network))
        return TRUE;
    table = g_strconcat(VW_GUARD_TABLE_PREFIX, network, NULL);
    if (!table_delete(s, NFPROTO_INET, table, _("the host"), error))
        return FALSE;
    if (collected)
        (*collected)++;
    return TRUE;
}
