/*
 * Persistent tap devices, made through /dev/net/tun (rtnetlink cannot
 * create them).
 */
#pragma once

#include <sys/types.h>

#include <glib.h>

G_BEGIN_DECLS

/**
 * VwTapFlags:
 * @VW_TAP_VNET_HDR: frames carry a virtio-net header (IFF_VNET_HDR)
 * @VW_TAP_MULTI_QUEUE: the tap accepts several queues (IFF_MULTI_QUEUE)
 *
 * Options of a tap, beyond IFF_TAP | IFF_NO_PI which every tap gets.
 */
typedef enum {
    VW_TAP_VNET_HDR = 1 << 0,
    VW_TAP_MULTI_QUEUE = 1 << 1,
} VwTapFlags;

/**
 * vw_tap_create:
 * @name: the tap's interface name, checked with vw_ifname_check()
 * @flags: #VwTapFlags
 * @owner: the user allowed to attach to the tap, or (uid_t)-1 for none
 * @group: the group allowed to attach to the tap, or (gid_t)-1 for none
 * @mac: (nullable) (array fixed-size=6): the MAC address, or NULL to keep
 *   the kernel's random one
 * @error: (out) (optional): where to report a failure
 *
 * Create the persistent tap @name (IFF_TAP | IFF_NO_PI plus @flags) in the
 * network namespace of the calling thread, owned by @owner / @group, with
 * @mac set before anything can enslave it.  The tap stays when this returns
 * and is left down.
 *
 * A device called @name, of any kind, is never attached to or changed: the
 * call fails with VW_NET_ERROR_EXISTS.  On any failure nothing is left
 * behind.
 *
 * Returns: TRUE on success
 */
gboolean vw_tap_create(const char *name, VwTapFlags flags, uid_t owner, gid_t group,
                       const guint8 *mac, GError **error);

/**
 * vw_tap_create_held: (skip)
 * @name: as for vw_tap_create()
 * @flags: as for vw_tap_create()
 * @owner: as for vw_tap_create()
 * @group: as for vw_tap_create()
 * @mac: (nullable) (array fixed-size=6): as for vw_tap_create()
 * @error: (out) (optional): where to report a failure
 *
 * vw_tap_create(), returning the file descriptor the tap was made through,
 * still attached to it as its one queue; the tap stays (persistent) when
 * it is closed.  Closing it detaches the queue, for which the kernel waits
 * for an RCU grace period (`__tun_detach()`, under the RTNL lock).  A
 * caller that goes on to add ingress qdiscs closes it after them: the first
 * filter on a new ingress qdisc waits for a grace period that began after
 * the qdisc (`mini_qdisc_pair_swap()`), and the close's usually serves both
 * (Linux 6.0 and later count an expedited grace period for that; not when a
 * normal one was already under way as the qdisc was made).
 *
 * Returns: the file descriptor (close-on-exec), or -1 with @error set; on
 *   failure nothing is left behind
 */
int vw_tap_create_held(const char *name, VwTapFlags flags, uid_t owner, gid_t group,
                       const guint8 *mac, GError **error);

/**
 * vw_tap_delete:
 * @name: the tap's interface name, checked with vw_ifname_check()
 * @error: (out) (optional): where to report a failure
 *
 * Remove the persistent tap @name from the network namespace of the calling
 * thread.  Fails with VW_NET_ERROR_NOT_FOUND when there is no such device and
 * with VW_NET_ERROR_INVALID when @name is not a tap.  A tap that a process
 * still holds open disappears when that process closes it; a single-queue
 * tap held open cannot be attached to, and the call fails with EBUSY.
 *
 * Returns: TRUE on success
 */
gboolean vw_tap_delete(const char *name, GError **error);

G_END_DECLS
