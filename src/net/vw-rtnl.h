/*
 * rtnetlink over libmnl: links, addresses, routes and tc, in one netns.
 *
 * A VwRtnl handle belongs to one network namespace for its whole life: its
 * sockets are opened inside that netns (on a short-lived thread, never by
 * setns on the caller's thread) and then work from any thread.  It holds two
 * sockets: one for transactions (request + ACK) and one for dumps, each with
 * its own lock held across the send and the whole receive, so a dump in
 * progress on one thread never mixes with a change made on another thread
 * through the same handle.  Dumps are collected whole before they return, so
 * "list the links, then change each" simply works.
 */
#pragma once

#include <glib.h>

#include "vw-net-error.h"

G_BEGIN_DECLS

typedef struct _VwRtnl VwRtnl;

/**
 * vw_rtnl_open:
 * @netns_fd: an fd of the network namespace to work in, or -1 for the netns
 *   of the calling thread
 * @error: (out) (optional): set on failure
 *
 * Returns: (transfer full): a new handle, or NULL
 */
VwRtnl *vw_rtnl_open(int netns_fd, GError **error);

/**
 * VwRtnlOpening:
 *
 * A handle being opened inside another network namespace, on a thread of
 * its own (vw_rtnl_open_begin()).
 */
typedef struct _VwRtnlOpening VwRtnlOpening;

/**
 * vw_rtnl_open_begin: (skip)
 * @netns_fd: an fd of the network namespace to work in; kept open by the
 *   caller until vw_rtnl_open_finish().  Unlike vw_rtnl_open(), -1 is an
 *   error here: the calling thread's netns needs no thread.
 * @error: (out) (optional): set when @netns_fd is negative or the thread
 *   cannot be started
 *
 * vw_rtnl_open() of another namespace in two halves: the sockets are made
 * on a thread inside @netns_fd while the caller goes on.  Every opening
 * begun must be finished.
 *
 * Returns: (transfer full): the opening, or NULL
 */
VwRtnlOpening *vw_rtnl_open_begin(int netns_fd, GError **error);

/**
 * vw_rtnl_open_finish: (skip)
 * @op: (transfer full): from vw_rtnl_open_begin()
 * @error: (out) (optional): set on failure
 *
 * Wait for the opening to end and free @op.
 *
 * Returns: (transfer full): the new handle, or NULL
 */
VwRtnl *vw_rtnl_open_finish(VwRtnlOpening *op, GError **error);

/**
 * vw_rtnl_open_netns:
 * @name: a named network namespace (as `ip netns` names them)
 * @error: (out) (optional): set on failure
 *
 * Returns: (transfer full): a new handle working inside @name, or NULL
 */
VwRtnl *vw_rtnl_open_netns(const char *name, GError **error);

/**
 * vw_rtnl_free:
 * @rtnl: (nullable): a handle
 *
 * Close the handle's sockets.
 */
void vw_rtnl_free(VwRtnl *rtnl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwRtnl, vw_rtnl_free)

/* A link as the kernel reports it. */
typedef struct {
    int ifindex;
    char *name;
    char *kind;     /* "veth", "bridge", "tun", ...; NULL for none (e.g. lo) */
    char *alias;    /* NULL when unset */
    guint mtu;
    guint8 mac[6];
    gboolean has_mac;
    int master;     /* ifindex of the master, 0 for none */
    gboolean up;    /* IFF_UP administratively */
    int link_netnsid; /* peer's netns id for veth in another netns, -1 when none */
    guint32 group;    /* netdev group (IFLA_GROUP), 0 by default */
    gboolean carrier; /* IFLA_CARRIER, whatever the admin state; for a tap:
                       * some process (QEMU) has a queue of it open */
} VwLink;

/**
 * vw_link_free:
 * @link: (nullable): a link
 */
void vw_link_free(VwLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwLink, vw_link_free)

/**
 * vw_rtnl_veth_add:
 * @rtnl: a handle
 * @name: the name of the end in the handle's netns
 * @peer: the name of the other end
 * @peer_netns_fd: fd of the netns the peer is created in directly, or -1 to
 *   create it beside @name
 * @error: (out) (optional): set on failure
 *
 * Returns: TRUE when the pair was created
 */
gboolean vw_rtnl_veth_add(VwRtnl *rtnl, const char *name, const char *peer, int peer_netns_fd,
                          GError **error);

/**
 * vw_rtnl_bridge_add:
 * @rtnl: a handle
 * @name: the bridge's name
 * @error: (out) (optional): set on failure
 *
 * Create a bridge with STP off and forward delay 0.
 *
 * Returns: TRUE when created
 */
gboolean vw_rtnl_bridge_add(VwRtnl *rtnl, const char *name, GError **error);

/**
 * vw_rtnl_link_delete:
 * @rtnl: a handle
 * @name: the link
 * @error: (out) (optional): set on failure (NOT_FOUND when absent)
 *
 * Returns: TRUE when deleted
 */
gboolean vw_rtnl_link_delete(VwRtnl *rtnl, const char *name, GError **error);

/**
 * vw_rtnl_link_delete_group:
 * @rtnl: a handle
 * @group: a netdev group other than 0 (the default group of every link)
 * @error: (out) (optional): set on failure
 *
 * Delete every link of @group in the handle's netns in one request, like
 * `ip link delete group GROUP`.  The kernel unregisters them as one batch,
 * with one RCU grace period instead of one per link, which makes tearing
 * down a network's taps far cheaper than deleting them one by one.  No link
 * in the group is success.
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_link_delete_group(VwRtnl *rtnl, guint32 group, GError **error);

/**
 * vw_rtnl_link_set_up:
 * @rtnl: a handle
 * @name: the link
 * @up: TRUE to bring it up, FALSE to bring it down
 * @error: (out) (optional): set on failure
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_link_set_up(VwRtnl *rtnl, const char *name, gboolean up, GError **error);

/**
 * vw_rtnl_link_set_master:
 * @rtnl: a handle
 * @name: the link
 * @master: (nullable): the bridge to enslave @name to, or NULL to release it
 * @error: (out) (optional): set on failure
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_link_set_master(VwRtnl *rtnl, const char *name, const char *master,
                                 GError **error);

/**
 * vw_rtnl_link_set_mtu:
 * @rtnl: a handle
 * @name: the link
 * @mtu: the new MTU (68..65535 is checked here; the kernel may refuse more)
 * @error: (out) (optional): set on failure
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_link_set_mtu(VwRtnl *rtnl, const char *name, guint mtu, GError **error);

/**
 * vw_rtnl_link_set_mac:
 * @rtnl: a handle
 * @name: the link
 * @mac: 6 bytes, a unicast address
 * @error: (out) (optional): set on failure
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_link_set_mac(VwRtnl *rtnl, const char *name, const guint8 mac[6],
                              GError **error);

/**
 * vw_rtnl_link_set_alias:
 * @rtnl: a handle
 * @name: the link
 * @alias: the interface alias (at most 127 bytes), "" to clear it
 * @error: (out) (optional): set on failure
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_link_set_alias(VwRtnl *rtnl, const char *name, const char *alias,
                                GError **error);

/**
 * vw_rtnl_link_set_netns:
 * @rtnl: a handle
 * @name: the link
 * @netns_fd: fd of the netns to move it to
 * @error: (out) (optional): set on failure
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_link_set_netns(VwRtnl *rtnl, const char *name, int netns_fd, GError **error);

/**
 * vw_rtnl_link_set_l2_only:
 * @rtnl: a handle
 * @name: the link
 * @error: (out) (optional): set on failure
 *
 * Make @name a pure layer-2 link for IPv6: no address generation
 * (`addrgenmode none`), so bringing it up creates no link-local address, no
 * routes and no duplicate address detection.  For the host side of a port
 * (tap, veth) and bridge ports, which carry frames but never address.  Call
 * it before the link goes up.
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_link_set_l2_only(VwRtnl *rtnl, const char *name, GError **error);

/* What vw_rtnl_link_configure() changes; a zero-filled struct changes nothing. */
typedef struct {
    const char *master; /* enslave to this link (NULL: leave as is) */
    guint mtu;          /* 0: leave as is */
    const char *alias;  /* NULL: leave as is */
    gboolean l2_only;   /* see vw_rtnl_link_set_l2_only() */
    gboolean up;        /* bring the link up */
    guint32 group;      /* netdev group (IFLA_GROUP); 0: leave as is */
    gboolean no_ipv6;   /* disable IPv6 on the link (sysctl disable_ipv6 = 1) */
    const guint8 *mac;  /* 6 bytes: set the link's address; NULL: leave as is */
} VwLinkConfig;

/**
 * vw_rtnl_sysctl_set:
 * @rtnl: a handle
 * @key: a name under /proc/sys, with slashes (`net/ipv6/conf/vwh-1/disable_ipv6`)
 * @value: what to write
 * @error: (out) (optional): set on failure, naming @key and @value
 *
 * Write a sysctl of the netns @rtnl is bound to.  /proc/sys/net shows the
 * netns of the thread that looks, so when the calling thread is elsewhere
 * the write is done on a short-lived thread inside the handle's netns.
 * Disabling IPv6 where the kernel has none (`ipv6.disable=1`) succeeds.
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_sysctl_set(VwRtnl *rtnl, const char *key, const char *value, GError **error);

/**
 * vw_rtnl_link_configure:
 * @rtnl: a handle
 * @name: the link
 * @config: the changes
 * @error: (out) (optional): set on failure
 *
 * Apply every change of @config to @name in one RTM_NEWLINK request, the
 * way `ip link set NAME addrgenmode none master BR mtu M alias A up` does.
 * The kernel applies the address-generation mode before it brings the link
 * up, so an L2-only link never gets a link-local address.  One request
 * instead of one per change matters when thousands of ports are plumbed.
 *
 * With @config->no_ipv6, IPv6 is disabled on the link first (a sysctl
 * write, see vw_rtnl_sysctl_set()).  `addrgenmode none` alone still lets
 * the link join multicast groups and send MLD reports; from the host side
 * of a port they are flooded to every port of the network's bridge, which
 * makes bringing up N ports cost O(N²).  A port's host-side links carry
 * the guest's frames and never need IPv6 of their own.
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_link_configure(VwRtnl *rtnl, const char *name, const VwLinkConfig *config,
                                GError **error);

/**
 * vw_rtnl_link_get:
 * @rtnl: a handle
 * @name: the link
 * @error: (out) (optional): set on failure (NOT_FOUND when absent)
 *
 * Returns: (transfer full): the link, or NULL
 */
VwLink *vw_rtnl_link_get(VwRtnl *rtnl, const char *name, GError **error);

/**
 * vw_rtnl_link_get_by_index:
 * @rtnl: a handle
 * @ifindex: the link's index
 * @error: (out) (optional): set on failure (NOT_FOUND when absent)
 *
 * Returns: (transfer full): the link, or NULL
 */
VwLink *vw_rtnl_link_get_by_index(VwRtnl *rtnl, int ifindex, GError **error);

/**
 * vw_rtnl_link_list:
 * @rtnl: a handle
 * @alias_prefix: (nullable): keep only links whose alias starts with this
 * @error: (out) (optional): set on failure
 *
 * Dump the links of the handle's netns (retrying a dump the kernel marks
 * interrupted).
 *
 * Returns: (transfer full) (element-type VwLink): the links, or NULL
 */
GPtrArray *vw_rtnl_link_list(VwRtnl *rtnl, const char *alias_prefix, GError **error);

/**
 * vw_rtnl_addr_add:
 * @rtnl: a handle
 * @name: the link
 * @cidr: "ADDRESS/PREFIX", IPv4 or IPv6
 * @error: (out) (optional): set on failure
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_addr_add(VwRtnl *rtnl, const char *name, const char *cidr, GError **error);

/**
 * vw_rtnl_addr_delete:
 * @rtnl: a handle
 * @name: the link
 * @cidr: "ADDRESS/PREFIX"
 * @error: (out) (optional): set on failure
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_addr_delete(VwRtnl *rtnl, const char *name, const char *cidr, GError **error);

/**
 * vw_rtnl_addr_list:
 * @rtnl: a handle
 * @name: (nullable): only addresses of this link; NULL for all
 * @error: (out) (optional): set on failure
 *
 * Returns: (transfer full): "ADDRESS/PREFIX" strings (IPv4 and IPv6, global
 *   and link scope), or NULL
 */
char **vw_rtnl_addr_list(VwRtnl *rtnl, const char *name, GError **error);

/**
 * vw_rtnl_route_add:
 * @rtnl: a handle
 * @dest: "ADDRESS/PREFIX", or "default" (IPv4) / "default6" (IPv6)
 * @gateway: (nullable): the next hop
 * @dev: (nullable): the output link
 * @error: (out) (optional): set on failure
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_route_add(VwRtnl *rtnl, const char *dest, const char *gateway, const char *dev,
                           GError **error);

/**
 * vw_rtnl_route_delete:
 * @rtnl: a handle
 * @dest: as for vw_rtnl_route_add()
 * @gateway: (nullable): the next hop
 * @dev: (nullable): the output link
 * @error: (out) (optional): set on failure
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_route_delete(VwRtnl *rtnl, const char *dest, const char *gateway,
                              const char *dev, GError **error);

/**
 * vw_rtnl_route_get_oif:
 * @rtnl: a handle
 * @dest: a destination "ADDRESS/PREFIX" (host bits are ignored)
 * @oif: (out): the ifindex of the output device of the main table's route to
 *     exactly @dest; 0 when there is none; -1 when that route has no single
 *     device (blackhole, multipath)
 * @error: (out) (optional): set on failure
 *
 * Returns: TRUE when the routes could be read
 */
gboolean vw_rtnl_route_get_oif(VwRtnl *rtnl, const char *dest, int *oif, GError **error);

/**
 * vw_rtnl_ingress_add:
 * @rtnl: a handle
 * @name: the link
 * @error: (out) (optional): set on failure
 *
 * Add the ingress qdisc (handle ffff:) to @name.
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_ingress_add(VwRtnl *rtnl, const char *name, GError **error);

/**
 * vw_rtnl_ingress_delete:
 * @rtnl: a handle
 * @name: the link
 * @error: (out) (optional): set on failure
 *
 * Remove the ingress qdisc of @name, and with it its filters.
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_ingress_delete(VwRtnl *rtnl, const char *name, GError **error);

/**
 * vw_rtnl_redirect_add:
 * @rtnl: a handle
 * @from: a link with an ingress qdisc
 * @to: the link every frame arriving on @from is sent out of
 * @error: (out) (optional): set on failure
 *
 * Add to @from's ingress a match-all `u32` filter (`match u32 0 0`) with the
 * action `mirred egress redirect dev TO`.  (`matchall` and `flower` are not
 * in every kernel; this is.)
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_redirect_add(VwRtnl *rtnl, const char *from, const char *to, GError **error);

/**
 * vw_rtnl_redirect_delete:
 * @rtnl: a handle
 * @from: the link whose ingress filters are removed
 * @error: (out) (optional): set on failure
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_redirect_delete(VwRtnl *rtnl, const char *from, GError **error);

/* ------------------------------------------------------------ route dump */

/**
 * VwRoute:
 * @family: AF_INET or AF_INET6
 * @dst: the destination's network address (4 or 16 bytes used)
 * @prefix: its prefix length (0 for a default route)
 * @table: the routing table (RT_TABLE_MAIN, RT_TABLE_LOCAL, ...)
 * @type: RTN_UNICAST, RTN_LOCAL, RTN_BROADCAST, ...
 * @oif: the output link's index, 0 when the route has none
 *
 * One route of a dump.
 */
typedef struct {
    int family;
    guint8 dst[16];
    guint prefix;
    guint32 table;
    guint8 type;
    int oif;
} VwRoute;

/**
 * vw_rtnl_route_list:
 * @rtnl: a handle
 * @family: AF_INET or AF_INET6
 * @error: (out) (optional): set on failure
 *
 * Dump the routes of @family in every table of the handle's netns
 * (retrying a dump the kernel marks interrupted).
 *
 * Returns: (transfer full) (element-type VwRoute): the routes, or NULL
 */
GPtrArray *vw_rtnl_route_list(VwRtnl *rtnl, int family, GError **error);
/* ------------------------------------------------------------ shaping, STP */

/* A token bucket for vw_rtnl_shape_set(), in bytes. */
typedef struct {
    guint64 rate;  /* the average rate, bytes per second (> 0) */
    guint64 peak;  /* the rate a burst goes out at, above @rate; 0: the link's own */
    guint32 burst; /* bytes the bucket holds (> 0): sent at once, or at @peak */
    guint32 frame; /* the largest frame the link carries (> 0); with @peak, the
                    * size of the peak's own bucket */
    guint32 limit; /* bytes queued waiting for tokens; beyond that, dropped */
} VwShape;

/**
 * vw_rtnl_shape_set:
 * @rtnl: a handle
 * @name: the link
 * @shape: the bucket
 * @error: (out) (optional): set on failure
 *
 * Make (or replace) the root qdisc of @name a token bucket filter (`tc
 * qdisc replace dev NAME root handle 1: tbf rate R burst B limit L [peakrate
 * P mtu F]`): what leaves @name goes at most at @shape->rate on average,
 * after a first @shape->burst bytes.  On a link that is down the graft waits
 * for no RCU grace period; on one that is up it does (dev_deactivate),
 * unless the same tbf is already there (then it is changed in place).  The
 * qdisc goes with the link.
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_shape_set(VwRtnl *rtnl, const char *name, const VwShape *shape, GError **error);

/**
 * vw_rtnl_bridge_set_stp:
 * @rtnl: a handle
 * @name: a bridge
 * @stp: whether the bridge runs the spanning tree protocol
 * @error: (out) (optional): set on failure
 *
 * Set IFLA_BR_STP_STATE of @name (`ip link set NAME type bridge stp_state
 * 0|1`).  Outside the host's netns the kernel runs STP itself; turning it
 * on raises a forward delay below 2 s (the least STP allows) to 2 s.
 *
 * Returns: TRUE on success
 */
gboolean vw_rtnl_bridge_set_stp(VwRtnl *rtnl, const char *name, gboolean stp, GError **error);

G_END_DECLS
