/*
 * Internals of VwDhcpLease shared with the provisioner; never installed.
 */
#pragma once

#include "vw-engine-dhcp.h"
#include "vw-glib-private.h"

G_BEGIN_DECLS

/* A new lease (one reference) copied from the engine's record of @network. */
VwDhcpLease *vw_dhcp_lease_new_from_engine(const char *network, const VwDnsmasqLease *l);

/* The leases of vw_provisioner_list_dhcp_leases() (a GList of VwDhcpLease). */
void vw_dhcp_lease_list_free(gpointer list);

G_END_DECLS
