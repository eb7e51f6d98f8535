/*
 * VwLease: an address a guest network keeps for one domain NIC.
 */
#pragma once

#if !defined(VIRTWIRE_INSIDE) && !defined(VIRTWIRE_COMPILATION)
#error "Only <virtwire.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

#define VW_TYPE_LEASE (vw_lease_get_type())
G_DECLARE_FINAL_TYPE(VwLease, vw_lease, VW, LEASE, GObject)

const char *vw_lease_get_network(VwLease *lease);
const char *vw_lease_get_domain_uuid(VwLease *lease);
const char *vw_lease_get_domain_name(VwLease *lease);
const char *vw_lease_get_mac(VwLease *lease);
const char *vw_lease_get_ipv4(VwLease *lease);
const char *vw_lease_get_ipv6(VwLease *lease);
const char *vw_lease_get_hostname(VwLease *lease);
gboolean vw_lease_get_static(VwLease *lease);

G_END_DECLS
