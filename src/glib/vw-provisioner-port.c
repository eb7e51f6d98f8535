#include <config.h>

/*
 * VwProvisioner: ports (plug, unplug, list) and leases (list).  Each
 * operation is a VwOpFunc run through the machinery of vw-provisioner.c.
 */

#include "vw-domif.h"
#include "vw-glib-private.h"

/* ------------------------------------------------------------ plug */

static gboolean
plug_run(VwProvisioner *self, VwOp *op, GError **error)
{
    VwPortRequest req = {
        .network = op->arg[0],
        .domain_uuid = op->arg[1],
        .domain_name = op->arg[2],
        .mac = op->arg[3],
        .tap = op->arg[4],
        .queues = op->number,
    };
    g_autoptr(GError) local = NULL;
    VwPortInfo *info;

    if (!vw_domif_tap_owner(&req.owner, &req.group, &local))
        return vw_error_propagate(error, g_steal_pointer(&local));
    info = vw_engine_port_plug(vw_prov_engine(self), &req, error);
    if (!info)
        return FALSE;
    op->result = vw_op_port_seen(self, op, info);
    vw_op_network_refresh(self, op, op->arg[0]);
    return TRUE;
}

static VwOp *
plug_op_new(const char *network, const char *domain_uuid, const char *domain_name, const char *mac,
            const char *tap, guint queues)
{
    VwOp *op = vw_op_new(plug_run, network, domain_uuid, domain_name, mac, tap);

    op->number = queues;
    op->result_free = g_object_unref;
    return op;
}

/**
 * vw_provisioner_plug_port:
 * @self: a #VwProvisioner
 * @network: an active network's name
 * @domain_uuid: the UUID of the NIC's domain
 * @domain_name: (nullable): the domain's name, for the lease's host name
 * @mac: the NIC's MAC address
 * @tap: (nullable): the tap's name, or %NULL for the one derived from
 *     (@domain_uuid, @mac), "vwt-" and 10 hex digits
 * @queues: 0 or 1 for a single-queue tap, more for a multi-queue one
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Plug a domain NIC into an active network: a lease (stable for the domain
 * UUID and MAC), a persistent tap owned by QEMU's user, a veth pair whose
 * peer is on the bridge, tc redirects tap <-> veth, and the lease in
 * dnsmasq's host list.  Plugging a plugged port returns it unchanged.  When
 * a step fails, what this call made is removed.  #VwProvisioner::port-added
 * is emitted when the port was not known.
 *
 * Returns: (transfer full): the port, or %NULL with @error set
 */
VwPort *
vw_provisioner_plug_port(VwProvisioner *self, const char *network, const char *domain_uuid,
                         const char *domain_name, const char *mac, const char *tap, guint queues,
                         GCancellable *cancellable, GError **error)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), NULL);
    g_return_val_if_fail(network != NULL && domain_uuid != NULL && mac != NULL, NULL);
    return vw_op_run_sync(self, plug_op_new(network, domain_uuid, domain_name, mac, tap, queues),
                          cancellable, error);
}

/**
 * vw_provisioner_plug_port_async:
 * @self: a #VwProvisioner
 * @network: an active network's name
 * @domain_uuid: the UUID of the NIC's domain
 * @domain_name: (nullable): the domain's name
 * @mac: the NIC's MAC address
 * @tap: (nullable): the tap's name, or %NULL for the derived one
 * @queues: the number of queues of the tap
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_plug_port() in a thread.
 */
void
vw_provisioner_plug_port_async(VwProvisioner *self, const char *network, const char *domain_uuid,
                               const char *domain_name, const char *mac, const char *tap,
                               guint queues, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VW_IS_PROVISIONER(self));
    g_return_if_fail(network != NULL && domain_uuid != NULL && mac != NULL);
    vw_op_run_async(self, plug_op_new(network, domain_uuid, domain_name, mac, tap, queues),
                    vw_provisioner_plug_port_async, cancellable, callback, user_data);
}

/**
 * vw_provisioner_plug_port_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the port, or %NULL with @error set
 */
VwPort *
vw_provisioner_plug_port_finish(VwProvisioner *self, GAsyncResult *result, GError **error)
{
    return vw_op_finish(self, result, vw_provisioner_plug_port_async, error);
}

/* ------------------------------------------------------------ unplug */

VwPortInfo *
vw_prov_port_record(VwProvisioner *self, const char *network, const char *domain_uuid,
                    const char *mac)
{
    g_autoptr(GPtrArray) ports = vw_engine_port_list(vw_prov_engine(self), network, NULL);

    for (guint i = 0; ports && i < ports->len; i++) {
        VwPortInfo *p = g_ptr_array_index(ports, i);

        if (g_ascii_strcasecmp(p->domain_uuid, domain_uuid) == 0 &&
            g_ascii_strcasecmp(p->mac, mac) == 0)
            return g_ptr_array_steal_index(ports, i);
    }
    return NULL;
}

static gboolean
unplug_run(VwProvisioner *self, VwOp *op, GError **error)
{
    VwPortInfo *before = vw_prov_port_record(self, op->arg[0], op->arg[1], op->arg[2]);

    if (!vw_engine_port_unplug(vw_prov_engine(self), op->arg[0], op->arg[1], op->arg[2], error)) {
        vw_port_info_free(before);
        return FALSE;
    }
    vw_op_port_gone(self, op, op->arg[0], op->arg[1], op->arg[2], before);
    vw_op_network_refresh(self, op, op->arg[0]);
    return TRUE;
}

/**
 * vw_provisioner_unplug_port:
 * @self: a #VwProvisioner
 * @network: the port's network
 * @domain_uuid: the UUID of the NIC's domain
 * @mac: the NIC's MAC address
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Remove the port's plumbing and keep its lease.  An absent port is
 * success.  #VwProvisioner::port-removed is emitted when there was a port.
 *
 * Returns: %TRUE on success
 */
gboolean
vw_provisioner_unplug_port(VwProvisioner *self, const char *network, const char *domain_uuid,
                           const char *mac, GCancellable *cancellable, GError **error)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), FALSE);
    g_return_val_if_fail(network != NULL && domain_uuid != NULL && mac != NULL, FALSE);
    return vw_op_run_sync_boolean(
        self, vw_op_new(unplug_run, network, domain_uuid, mac, NULL, NULL), cancellable, error);
}

/**
 * vw_provisioner_unplug_port_async:
 * @self: a #VwProvisioner
 * @network: the port's network
 * @domain_uuid: the UUID of the NIC's domain
 * @mac: the NIC's MAC address
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_unplug_port() in a thread.
 */
void
vw_provisioner_unplug_port_async(VwProvisioner *self, const char *network, const char *domain_uuid,
                                 const char *mac, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VW_IS_PROVISIONER(self));
    g_return_if_fail(network != NULL && domain_uuid != NULL && mac != NULL);
    vw_op_run_async(self, vw_op_new(unplug_run, network, domain_uuid, mac, NULL, NULL),
                    vw_provisioner_unplug_port_async, cancellable, callback, user_data);
}

/**
 * vw_provisioner_unplug_port_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
vw_provisioner_unplug_port_finish(VwProvisioner *self, GAsyncResult *result, GError **error)
{
    return vw_op_finish_boolean(self, result, vw_provisioner_unplug_port_async, error);
}

/* ------------------------------------------------------------ list ports */

static gboolean
list_ports_run(VwProvisioner *self, VwOp *op, GError **error)
{
    g_autoptr(GPtrArray) infos = vw_engine_port_list(vw_prov_engine(self), op->arg[0], error);
    GList *list = NULL;

    if (!infos)
        return FALSE;
    vw_op_ports_prune(self, op, op->arg[0], infos);
    g_ptr_array_set_free_func(infos, NULL);
    for (guint i = infos->len; i > 0; i--)
        list = g_list_prepend(list, vw_op_port_seen(self, op, infos->pdata[i - 1]));
    op->result = list;
    return TRUE;
}

static VwOp *
list_op_new(VwOpFunc run, const char *network)
{
    VwOp *op = vw_op_new(run, network, NULL, NULL, NULL, NULL);

    op->result_free = vw_object_list_free;
    return op;
}

/**
 * vw_provisioner_list_ports:
 * @self: a #VwProvisioner
 * @network: (nullable): a network's name, or %NULL for every network
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Read the ports, sorted by network and tap.  Ports handed out before are
 * refreshed; #VwProvisioner::port-added is emitted for ports not known
 * before (plugged by the libvirt hook, say) and #VwProvisioner::port-removed
 * for known ones that are gone.
 *
 * Returns: (transfer full) (element-type VwPort): the ports (%NULL when
 *     there are none, or with @error set)
 */
GList *
vw_provisioner_list_ports(VwProvisioner *self, const char *network, GCancellable *cancellable,
                          GError **error)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), NULL);
    return vw_op_run_sync(self, list_op_new(list_ports_run, network), cancellable, error);
}

/**
 * vw_provisioner_list_ports_async:
 * @self: a #VwProvisioner
 * @network: (nullable): a network's name, or %NULL for every network
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_list_ports() in a thread.
 */
void
vw_provisioner_list_ports_async(VwProvisioner *self, const char *network, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VW_IS_PROVISIONER(self));
    vw_op_run_async(self, list_op_new(list_ports_run, network), vw_provisioner_list_ports_async,
                    cancellable, callback, user_data);
}

/**
 * vw_provisioner_list_ports_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type VwPort): the ports
 */
GList *
vw_provisioner_list_ports_finish(VwProvisioner *self, GAsyncResult *result, GError **error)
{
    return vw_op_finish(self, result, vw_provisioner_list_ports_async, error);
}

/* ------------------------------------------------------------ list leases */

static gboolean
list_leases_run(VwProvisioner *self, VwOp *op, GError **error)
{
    g_autoptr(GPtrArray) infos = vw_engine_lease_list(vw_prov_engine(self), op->arg[0], error);
    GList *list = NULL;

    if (!infos)
        return FALSE;
    vw_op_leases_prune(self, op, op->arg[0], infos);
    g_ptr_array_set_free_func(infos, NULL);
    for (guint i = infos->len; i > 0; i--)
        list = g_list_prepend(list, vw_op_lease_seen(self, op, op->arg[0], infos->pdata[i - 1]));
    op->result = list;
    return TRUE;
}

/**
 * vw_provisioner_list_leases:
 * @self: a #VwProvisioner
 * @network: a defined network's name
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Read the network's leases, sorted by address.  Leases handed out before
 * are refreshed.
 *
 * Returns: (transfer full) (element-type VwLease): the leases (%NULL when
 *     there are none, or with @error set)
 */
GList *
vw_provisioner_list_leases(VwProvisioner *self, const char *network, GCancellable *cancellable,
                           GError **error)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), NULL);
    g_return_val_if_fail(network != NULL, NULL);
    return vw_op_run_sync(self, list_op_new(list_leases_run, network), cancellable, error);
}

/**
 * vw_provisioner_list_leases_async:
 * @self: a #VwProvisioner
 * @network: a defined network's name
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_list_leases() in a thread.
 */
void
vw_provisioner_list_leases_async(VwProvisioner *self, const char *network,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data)
{
    g_return_if_fail(VW_IS_PROVISIONER(self));
    g_return_if_fail(network != NULL);
    vw_op_run_async(self, list_op_new(list_leases_run, network), vw_provisioner_list_leases_async,
                    cancellable, callback, user_data);
}

/**
 * vw_provisioner_list_leases_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type VwLease): the leases
 */
GList *
vw_provisioner_list_leases_finish(VwProvisioner *self, GAsyncResult *result, GError **error)
{
    return vw_op_finish(self, result, vw_provisioner_list_leases_async, error);
}
