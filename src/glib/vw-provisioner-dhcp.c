#include <config.h>

/*
 * VwProvisioner: what DHCP actually handed out (dnsmasq's leases), beside
 * virtwire's own reservations (vw_provisioner_list_leases()).
 */

#include "vw-dhcp-lease-private.h"
#include "vw-names.h"

void
vw_dhcp_lease_list_free(gpointer list)
{
    g_list_free_full(list, (GDestroyNotify)vw_dhcp_lease_unref);
}

static gboolean
list_dhcp_leases_run(VwProvisioner *self, VwOp *op, GError **error)
{
    g_autoptr(GPtrArray) leases = NULL;
    guint8 mac[6];
    GList *list = NULL;

    if (op->arg[1] && !vw_mac_parse(op->arg[1], mac, error))
        return FALSE;
    leases =
        vw_engine_dhcp_lease_list(vw_prov_engine(self), op->arg[0], op->arg[1] ? mac : NULL, error);
    if (!leases)
        return FALSE;
    for (guint i = leases->len; i > 0; i--)
        list =
            g_list_prepend(list, vw_dhcp_lease_new_from_engine(op->arg[0], leases->pdata[i - 1]));
    op->result = list;
    return TRUE;
}

static VwOp *
list_dhcp_leases_op_new(const char *network, const char *mac)
{
    VwOp *op = vw_op_new(list_dhcp_leases_run, network, mac, NULL, NULL, NULL);

    op->result_free = vw_dhcp_lease_list_free;
    return op;
}

/**
 * vw_provisioner_list_dhcp_leases:
 * @self: a #VwProvisioner
 * @network: a defined network's name
 * @mac: (nullable): only the leases of this MAC address ("xx:xx:xx:xx:xx:xx")
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Read what the network's DHCP server (dnsmasq) handed out and has not
 * expired, as `virsh net-dhcp-leases` does: DHCPv4 leases, then DHCPv6
 * ones, in dnsmasq's order.  An inactive network, or one whose guests
 * never asked, has none.  The leases are a fresh reading every time (not
 * cached objects).
 *
 * Returns: (transfer full) (element-type VwDhcpLease): the leases (%NULL
 *     when there are none, or with @error set)
 */
GList *
vw_provisioner_list_dhcp_leases(VwProvisioner *self, const char *network, const char *mac,
                                GCancellable *cancellable, GError **error)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), NULL);
    g_return_val_if_fail(network != NULL, NULL);
    return vw_op_run_sync(self, list_dhcp_leases_op_new(network, mac), cancellable, error);
}

/**
 * vw_provisioner_list_dhcp_leases_async:
 * @self: a #VwProvisioner
 * @network: a defined network's name
 * @mac: (nullable): only the leases of this MAC address
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_list_dhcp_leases() in a thread.
 */
void
vw_provisioner_list_dhcp_leases_async(VwProvisioner *self, const char *network, const char *mac,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data)
{
    g_return_if_fail(VW_IS_PROVISIONER(self));
    g_return_if_fail(network != NULL);
    vw_op_run_async(self, list_dhcp_leases_op_new(network, mac),
                    vw_provisioner_list_dhcp_leases_async, cancellable, callback, user_data);
}

/**
 * vw_provisioner_list_dhcp_leases_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type VwDhcpLease): the leases
 */
GList *
vw_provisioner_list_dhcp_leases_finish(VwProvisioner *self, GAsyncResult *result, GError **error)
{
    return vw_op_finish(self, result, vw_provisioner_list_dhcp_leases_async, error);
}
