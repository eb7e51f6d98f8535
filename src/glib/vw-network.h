/*
 * VwNetwork: a guest network as the provisioner last saw it.
 */
#pragma once

#if !defined(VIRTWIRE_INSIDE) && !defined(VIRTWIRE_COMPILATION)
#error "Only <virtwire.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

#define VW_TYPE_NETWORK (vw_network_get_type())
G_DECLARE_FINAL_TYPE(VwNetwork, vw_network, VW, NETWORK, GObject)

const char *vw_network_get_name(VwNetwork *network);
const char *vw_network_get_uuid(VwNetwork *network);
const char *vw_network_get_netns(VwNetwork *network);
const char *vw_network_get_bridge(VwNetwork *network);
const char *vw_network_get_partition(VwNetwork *network);
const char *vw_network_get_forward(VwNetwork *network);
const char *vw_network_get_ipv4(VwNetwork *network);
const char *vw_network_get_ipv6(VwNetwork *network);
gboolean vw_network_get_active(VwNetwork *network);
gboolean vw_network_get_autostart(VwNetwork *network);
guint vw_network_get_n_ports(VwNetwork *network);
guint vw_network_get_n_leases(VwNetwork *network);

G_END_DECLS
