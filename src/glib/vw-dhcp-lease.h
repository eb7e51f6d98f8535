/*
 * VwDhcpLease: an address DHCP (the network's dnsmasq) actually handed out,
 * as `virsh net-dhcp-leases` shows one.
 */
#pragma once

#if !defined(VIRTWIRE_INSIDE) && !defined(VIRTWIRE_COMPILATION)
#error "Only <virtwire.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

#define VW_TYPE_DHCP_LEASE (vw_dhcp_lease_get_type())

typedef struct _VwDhcpLease VwDhcpLease;

GType vw_dhcp_lease_get_type(void) G_GNUC_CONST;

VwDhcpLease *vw_dhcp_lease_ref(VwDhcpLease *lease);
void vw_dhcp_lease_unref(VwDhcpLease *lease);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VwDhcpLease, vw_dhcp_lease_unref)

const char *vw_dhcp_lease_get_network(VwDhcpLease *lease);
gint64 vw_dhcp_lease_get_expiry_time(VwDhcpLease *lease);
const char *vw_dhcp_lease_get_mac(VwDhcpLease *lease);
const char *vw_dhcp_lease_get_protocol(VwDhcpLease *lease);
const char *vw_dhcp_lease_get_address(VwDhcpLease *lease);
guint vw_dhcp_lease_get_prefix(VwDhcpLease *lease);
const char *vw_dhcp_lease_get_hostname(VwDhcpLease *lease);
const char *vw_dhcp_lease_get_client_id(VwDhcpLease *lease);
const char *vw_dhcp_lease_get_iaid(VwDhcpLease *lease);

G_END_DECLS
