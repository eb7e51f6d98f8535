#include <config.h>

/*
 * VwProvisioner: virtwire interfaces of libvirt domains (attach, detach).
 * An adapter over src/domif (vw_domif_attach(), vw_domif_detach()), which
 * holds the flow; this file runs it as a VwOp and updates the objects and
 * signals the provisioner hands out.
 */

#include "vw-domif-libvirt.h"
#include "vw-glib-private.h"

G_STATIC_ASSERT((int)VW_INTERFACE_CURRENT == (int)VW_DOMIF_AFFECT_CURRENT);
G_STATIC_ASSERT((int)VW_INTERFACE_LIVE == (int)VW_DOMIF_AFFECT_LIVE);
G_STATIC_ASSERT((int)VW_INTERFACE_CONFIG == (int)VW_DOMIF_AFFECT_CONFIG);
G_STATIC_ASSERT((int)VW_INTERFACE_PERSISTENT == (int)VW_DOMIF_AFFECT_PERSISTENT);

/* ------------------------------------------------------------ attach */

static gboolean
attach_run(VwProvisioner *self, VwOp *op, GError **error)
{
    g_autoptr(GError) local = NULL;
    virConnectPtr conn = vw_prov_connection(self, error);
    VwPortInfo *port;
    VwDomifAttach req = {
        .domain = op->arg[0],
        .network = op->arg[1],
        .mac = op->arg[2],
        .model = op->arg[3],
        .queues = op->number,
        .affect = (VwDomifAffect)op->flags,
    };

    if (!conn)
        return FALSE;
    port = vw_domif_attach(vw_prov_engine(self), conn, &req, &local);
    if (!port)
        return vw_error_propagate(error, g_steal_pointer(&local));
    if (port->state) {
        op->result = vw_op_port_seen(self, op, port);
        vw_op_network_refresh(self, op, req.network);
    } else {
        /* in the definition only: plugged when the domain starts */
        op->result = vw_port_new_from_info(port);
        vw_port_info_free(port);
    }
    return TRUE;
}

static VwOp *
attach_op_new(const char *domain, const char *network, const char *mac, const char *model,
              guint queues, VwInterfaceFlags flags)
{
    VwOp *op = vw_op_new(attach_run, domain, network, mac, model, NULL);

    op->number = queues;
    op->flags = flags;
    op->result_free = g_object_unref;
    return op;
}

/**
 * vw_provisioner_attach_interface:
 * @self: a #VwProvisioner
 * @domain: a libvirt domain's name or UUID
 * @network: a defined guest network's name
 * @mac: (nullable): the new NIC's MAC address, or %NULL for a random
 *     locally administered one that @network does not lease already
 * @model: (nullable): the NIC model, or %NULL for "virtio"
 * @queues: the number of queues (0 or 1: one; at most 256)
 * @flags: what to change, as virsh's flags: %VW_INTERFACE_CURRENT (0,
 *     the running domain if it runs, else its definition),
 *     %VW_INTERFACE_LIVE (hot-plug into the running domain; its network
 *     must be active), %VW_INTERFACE_CONFIG (the persistent definition),
 *     both, or %VW_INTERFACE_PERSISTENT
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Give @domain a NIC on @network: an <interface type='ethernet'> on the
 * port's tap, recorded in the domain's virtwire metadata, with the domain
 * moved into the network's resource partition.  With %VW_INTERFACE_LIVE the
 * port is plugged first (#VwProvisioner::port-added) and the NIC
 * hot-plugged.  Either every requested change is made or none: a failing
 * step undoes the ones before it.  Errors of libvirt are in the
 * %VW_LIBVIRT_ERROR domain with libvirt's code.
 *
 * Returns: (transfer full): the port; one in the definition only (not
 *     plugged, %VW_PORT_STATE_UNPLUGGED) when the running domain was not
 *     changed
 */
VwPort *
vw_provisioner_attach_interface(VwProvisioner *self, const char *domain, const char *network,
                                const char *mac, const char *model, guint queues,
                                VwInterfaceFlags flags, GCancellable *cancellable, GError **error)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), NULL);
    g_return_val_if_fail(domain != NULL && network != NULL, NULL);
    return vw_op_run_sync(self, attach_op_new(domain, network, mac, model, queues, flags),
                          cancellable, error);
}

/**
 * vw_provisioner_attach_interface_async:
 * @self: a #VwProvisioner
 * @domain: a libvirt domain's name or UUID
 * @network: a defined guest network's name
 * @mac: (nullable): the new NIC's MAC address, or %NULL for a random one
 * @model: (nullable): the NIC model, or %NULL for "virtio"
 * @queues: the number of queues
 * @flags: what to change
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_attach_interface() in a thread.
 */
void
vw_provisioner_attach_interface_async(VwProvisioner *self, const char *domain, const char *network,
                                      const char *mac, const char *model, guint queues,
                                      VwInterfaceFlags flags, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VW_IS_PROVISIONER(self));
    g_return_if_fail(domain != NULL && network != NULL);
    vw_op_run_async(self, attach_op_new(domain, network, mac, model, queues, flags),
                    vw_provisioner_attach_interface_async, cancellable, callback, user_data);
}

/**
 * vw_provisioner_attach_interface_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the port, or %NULL with @error set
 */
VwPort *
vw_provisioner_attach_interface_finish(VwProvisioner *self, GAsyncResult *result, GError **error)
{
    return vw_op_finish(self, result, vw_provisioner_attach_interface_async, error);
}

/* ------------------------------------------------------------ detach */

static gboolean
detach_run(VwProvisioner *self, VwOp *op, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_auto(VwDomifDetached) done = { 0 };
    virConnectPtr conn = vw_prov_connection(self, error);

    if (!conn)
        return FALSE;
    if (!vw_domif_detach(vw_prov_engine(self), conn, op->arg[0], op->arg[1],
                         (VwDomifAffect)op->flags, &done, &local))
        return vw_error_propagate(error, g_steal_pointer(&local));
    if (done.unplugged)
        vw_op_port_gone(self, op, done.network, done.domain_uuid, done.mac,
                        g_steal_pointer(&done.before));
    vw_op_network_refresh(self, op, done.network);
    return TRUE;
}

static VwOp *
detach_op_new(const char *domain, const char *mac, VwInterfaceFlags flags)
{
    VwOp *op = vw_op_new(detach_run, domain, mac, NULL, NULL, NULL);

    op->flags = flags;
    return op;
}

/**
 * vw_provisioner_detach_interface:
 * @self: a #VwProvisioner
 * @domain: a libvirt domain's name or UUID
 * @mac: the MAC address of one of its virtwire NICs
 * @flags: what to change, as for vw_provisioner_attach_interface():
 *     %VW_INTERFACE_CURRENT (0), %VW_INTERFACE_LIVE (unplug from the
 *     running domain), %VW_INTERFACE_CONFIG (the persistent definition),
 *     both, or %VW_INTERFACE_PERSISTENT
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Remove the NIC @mac from @domain.  A domain without such a virtwire NIC
 * fails with %VW_ERROR_NOT_FOUND, naming both.  The port is unplugged once
 * the running domain no longer has the NIC (#VwProvisioner::port-removed),
 * and its lease released once neither the running domain nor the
 * definition has it.  The last virtwire NIC of a definition gives the
 * domain back to the default partition.
 *
 * Returns: %TRUE on success
 */
gboolean
vw_provisioner_detach_interface(VwProvisioner *self, const char *domain, const char *mac,
                                VwInterfaceFlags flags, GCancellable *cancellable, GError **error)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), FALSE);
    g_return_val_if_fail(domain != NULL && mac != NULL, FALSE);
    return vw_op_run_sync_boolean(self, detach_op_new(domain, mac, flags), cancellable, error);
}

/**
 * vw_provisioner_detach_interface_async:
 * @self: a #VwProvisioner
 * @domain: a libvirt domain's name or UUID
 * @mac: the MAC address of one of its virtwire NICs
 * @flags: what to change
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_detach_interface() in a thread.
 */
void
vw_provisioner_detach_interface_async(VwProvisioner *self, const char *domain, const char *mac,
                                      VwInterfaceFlags flags, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VW_IS_PROVISIONER(self));
    g_return_if_fail(domain != NULL && mac != NULL);
    vw_op_run_async(self, detach_op_new(domain, mac, flags), vw_provisioner_detach_interface_async,
                    cancellable, callback, user_data);
}

/**
 * vw_provisioner_detach_interface_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
vw_provisioner_detach_interface_finish(VwProvisioner *self, GAsyncResult *result, GError **error)
{
    return vw_op_finish_boolean(self, result, vw_provisioner_detach_interface_async, error);
}
