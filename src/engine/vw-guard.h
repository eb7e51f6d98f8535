/*
 * The guards of a network: what its guests may send, and where to.
 *
 * Anti-spoofing (<port spoofCheck>, on by default), like libvirt's
 * clean-traffic filter: in the network's netns, one nftables table of
 * family bridge, "vwg-NAME", hooked at bridge prerouting, sees every frame
 * a port (its bridge port "vwn-…") sends.  A frame passes only when its
 * source MAC is the port's; ARP only with the port's MAC and IPv4 address
 * (or 0.0.0.0: a probe); IPv4 only from the port's leased address, or a
 * DHCP request from 0.0.0.0; IPv6 only from the port's leased address, or
 * link-local (ICMPv6 and DHCPv6 requests only) or :: (DAD, MLD); a
 * neighbour advertisement only for a link-local or a leased target; no
 * router advertisements, redirects or DHCP answers from a guest; other
 * ether types only RARP (QEMU's announcement after a migration).  For a
 * family the network has no subnet of, addresses are not checked (there is
 * no lease to check against); the MAC always is.  What a port owns sits in
 * sets keyed by the bridge port's name ("vwn-…" . MAC, . IPv4, . IPv6), so a
 * plug adds set elements (a few netlink messages, no libnftables) and an
 * unplug removes them; a frame from a "vwn-…" port with no elements is
 * dropped.
 *
 * Host access (<forward hostAccess>, off by default), for nat and routed
 * networks: in the host netns, one table of family inet, "vwg-NAME", drops
 * what enters the host from the network's uplink ("vwu-…") unless it
 * answers the host (conntrack established/related) or is a DNS query of the
 * network's own dnsmasq (its upstream may be the host), and rejects what
 * the host would forward from that uplink to another virtwire network's
 * uplink ("vwu-*") unless it answers.  Rejected: TCP with a reset, the rest
 * with ICMP port unreachable, as if nothing listened.
 *
 * Every table carries the network's identity (virtwire:network:ROOTTAG:
 * NAME:UUID) in its comment; a table of the same name with another
 * identity, or none, is never changed or deleted: start refuses to go on.
 */
#pragma once

#include <glib.h>

#include "vw-engine-private.h"

G_BEGIN_DECLS

/* Name of both tables: this prefix + the network's name. */
#define VW_GUARD_TABLE_PREFIX "vwg-"

/* What one port owns, for its set elements. */
typedef struct {
    const char *peer; /* the port's bridge port in the netns (vwn-…) */
    const VwMac *mac;
    const char *ipv4; /* (nullable) its leased addresses */
    const char *ipv6;
} VwGuardPort;

/* Start step: make both tables as @def asks (or delete ours that it does
 * not ask for), with the elements of the network's plugged ports.  Refuses
 * a table of ours by name that carries another identity. */
gboolean engine_guard_start(VwEngine *engine, const VwNetDef *def, const NetStatus *status,
                            GError **error);

/* Stop step: delete the host table if it is ours (the netns table goes
 * with the netns).  No table, or another identity's, is left alone; a
 * table that cannot be read (EPERM, a timeout) fails the step. */
gboolean engine_guard_stop(VwEngine *engine, const VwNetDef *def, GError **error);

/* Whether the tables @def asks for exist and are ours. */
gboolean engine_guard_is_whole(VwEngine *engine, const VwNetDef *def, const NetStatus *status);

/* Plug: add the elements of @ports (idempotent).  When the table is missing
 * (a network started by an older virtwire), it is made first with the
 * elements of every plugged port. */
gboolean engine_guard_ports_add(VwEngine *engine, const VwNetDef *def, const VwGuardPort *ports,
                                guint n, GError **error);

/* Unplug: remove every element of the port of @rec (by its bridge port
 * name), whatever addresses they carry.  Nothing to do is no error. */
gboolean engine_guard_port_remove(VwEngine *engine, const PortRecord *rec, GError **error);

/* Reconcile: make the netns table again, with exactly the elements of the
 * plugged ports (drops those of ports that are gone). */
gboolean engine_guard_sync(VwEngine *engine, const VwNetDef *def, GError **error);

/* The networks of which this root has a host table, whatever their state
 * (gc visits each of them under its lock). */
char **engine_guard_host_networks(VwEngine *engine, GError **error);

/* Collection (gc), with the lock of network @network held: delete this
 * root's host table of @network when the network is not active;
 * *@collected counts it.  Tables of other roots and networks stay. */
gboolean engine_guard_collect(VwEngine *engine, const char *network, guint *collected,
                              GError **error);

G_END_DECLS
