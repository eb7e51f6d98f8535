#include <config.h>

/*
 * VwDhcpLease: an immutable, reference-counted copy of one of dnsmasq's
 * leases (the engine's VwDnsmasqLease).  Unlike VwLease it is not cached
 * by the provisioner: each list is a fresh reading of dnsmasq's file.
 */

#include "vw-dhcp-lease-private.h"

/**
 * VwDhcpLease:
 *
 * One lease the guest network's DHCP server (dnsmasq) handed out: when it
 * expires, to which MAC address, which address, and the host name and
 * client id the client sent.  These are DHCP's own records, not virtwire's
 * reservations (#VwLease); a guest that never asked for an address has
 * none.  Read them with vw_provisioner_list_dhcp_leases().
 */
struct _VwDhcpLease {
    gint ref_count;
    char *network;
    gint64 expiry;
    char *mac;
    gboolean ipv6;
    char *address;
    guint prefix;
    char *hostname;
    char *client_id;
    char *iaid;
};

G_DEFINE_BOXED_TYPE(VwDhcpLease, vw_dhcp_lease, vw_dhcp_lease_ref, vw_dhcp_lease_unref)

VwDhcpLease *
vw_dhcp_lease_new_from_engine(const char *network, const VwDnsmasqLease *l)
{
    VwDhcpLease *self = g_new0(VwDhcpLease, 1);

    self->ref_count = 1;
    self->network = g_strdup(network);
    self->expiry = l->expiry;
    if (l->has_mac)
        self->mac = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", l->mac[0], l->mac[1],
                                    l->mac[2], l->mac[3], l->mac[4], l->mac[5]);
    self->ipv6 = l->ipv6;
    self->address = g_strdup(l->address);
    self->prefix = l->prefix;
    self->hostname = g_strdup(l->hostname);
    self->client_id = g_strdup(l->client_id);
    self->iaid = g_strdup(l->iaid);
    return self;
}

/**
 * vw_dhcp_lease_ref:
 * @lease: a #VwDhcpLease
 *
 * Returns: (transfer full): @lease, with one more reference
 */
VwDhcpLease *
vw_dhcp_lease_ref(VwDhcpLease *lease)
{
    g_return_val_if_fail(lease != NULL, NULL);
    g_atomic_int_inc(&lease->ref_count);
    return lease;
}

/**
 * vw_dhcp_lease_unref:
 * @lease: (transfer full) (nullable): a #VwDhcpLease
 *
 * Drop one reference; the last one frees @lease.
 */
void
vw_dhcp_lease_unref(VwDhcpLease *lease)
{
    if (!lease || !g_atomic_int_dec_and_test(&lease->ref_count))
        return;
    g_free(lease->network);
    g_free(lease->mac);
    g_free(lease->address);
    g_free(lease->hostname);
    g_free(lease->client_id);
    g_free(lease->iaid);
    g_free(lease);
}

/**
 * vw_dhcp_lease_get_network:
 * @lease: a #VwDhcpLease
 *
 * Returns: (transfer none): the guest network whose DHCP server handed out
 *     the lease
 */
const char *
vw_dhcp_lease_get_network(VwDhcpLease *lease)
{
    g_return_val_if_fail(lease != NULL, NULL);
    return lease->network;
}

/**
 * vw_dhcp_lease_get_expiry_time:
 * @lease: a #VwDhcpLease
 *
 * Returns: when the lease expires, in seconds since the Unix epoch, as
 *     dnsmasq recorded it; 0 for a lease that never expires
 */
gint64
vw_dhcp_lease_get_expiry_time(VwDhcpLease *lease)
{
    g_return_val_if_fail(lease != NULL, 0);
    return lease->expiry;
}

/**
 * vw_dhcp_lease_get_mac:
 * @lease: a #VwDhcpLease
 *
 * Returns: (transfer none) (nullable): the client's MAC address, lowercase;
 *     %NULL for a client that is not on Ethernet, or a DHCPv6 client whose
 *     DUID holds no MAC address
 */
const char *
vw_dhcp_lease_get_mac(VwDhcpLease *lease)
{
    g_return_val_if_fail(lease != NULL, NULL);
    return lease->mac;
}

/**
 * vw_dhcp_lease_get_protocol:
 * @lease: a #VwDhcpLease
 *
 * Returns: (transfer none): "ipv4" for a DHCPv4 lease, "ipv6" for a DHCPv6
 *     one (as virsh shows them)
 */
const char *
vw_dhcp_lease_get_protocol(VwDhcpLease *lease)
{
    g_return_val_if_fail(lease != NULL, NULL);
    return lease->ipv6 ? "ipv6" : "ipv4";
}

/**
 * vw_dhcp_lease_get_address:
 * @lease: a #VwDhcpLease
 *
 * Returns: (transfer none): the address handed out, in canonical form
 */
const char *
vw_dhcp_lease_get_address(VwDhcpLease *lease)
{
    g_return_val_if_fail(lease != NULL, NULL);
    return lease->address;
}

/**
 * vw_dhcp_lease_get_prefix:
 * @lease: a #VwDhcpLease
 *
 * Returns: the prefix length of the network's subnet the address is in
 */
guint
vw_dhcp_lease_get_prefix(VwDhcpLease *lease)
{
    g_return_val_if_fail(lease != NULL, 0);
    return lease->prefix;
}

/**
 * vw_dhcp_lease_get_hostname:
 * @lease: a #VwDhcpLease
 *
 * Returns: (transfer none) (nullable): the host name the client sent, or
 *     %NULL
 */
const char *
vw_dhcp_lease_get_hostname(VwDhcpLease *lease)
{
    g_return_val_if_fail(lease != NULL, NULL);
    return lease->hostname;
}

/**
 * vw_dhcp_lease_get_client_id:
 * @lease: a #VwDhcpLease
 *
 * Returns: (transfer none) (nullable): the client identifier (DHCPv4) or
 *     DUID (DHCPv6) the client sent, as colon-separated hexadecimal bytes,
 *     or %NULL
 */
const char *
vw_dhcp_lease_get_client_id(VwDhcpLease *lease)
{
    g_return_val_if_fail(lease != NULL, NULL);
    return lease->client_id;
}

/**
 * vw_dhcp_lease_get_iaid:
 * @lease: a #VwDhcpLease
 *
 * Returns: (transfer none) (nullable): the DHCPv6 identity association id
 *     (prefixed with "T" for a temporary address), or %NULL for DHCPv4
 */
const char *
vw_dhcp_lease_get_iaid(VwDhcpLease *lease)
{
    g_return_val_if_fail(lease != NULL, NULL);
    return lease->iaid;
}
