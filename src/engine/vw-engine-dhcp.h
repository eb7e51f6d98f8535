/*
 * What DHCP actually handed out on a guest network: dnsmasq's own leases
 * (vw_dnsmasq_leases_read()), as `virsh net-dhcp-leases` shows libvirt's.
 * virtwire's reservations are the lease database's (vw_engine_lease_list()).
 */
#pragma once

#include <glib.h>

#include "vw-dnsmasq.h"
#include "vw-engine.h"

G_BEGIN_DECLS

/**
 * vw_engine_dhcp_lease_list:
 * @engine: an engine
 * @network: a defined network
 * @mac: (nullable) (array fixed-size=6): only the leases of this MAC address
 * @error: (out) (optional): set when @network is not defined or its
 *   dnsmasq lease file cannot be read
 *
 * The leases dnsmasq holds on @network and that have not expired, in the
 * order of its lease file (DHCPv4, then DHCPv6), each with the prefix of
 * the network's subnet of its family.  A network whose dnsmasq never wrote
 * a lease file (inactive, or no DHCP yet) has none.
 *
 * Returns: (transfer full) (element-type VwDnsmasqLease): the leases, or NULL
 */
GPtrArray *vw_engine_dhcp_lease_list(VwEngine *engine, const char *network, const guint8 *mac,
                                     GError **error);

G_END_DECLS
