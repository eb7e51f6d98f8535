#include <config.h>

/*
 * VwProvisioner: guest networks (define, undefine, start, stop, autostart,
 * XML, lookup, list).  Each operation is a VwOpFunc run through the machinery of
 * vw-provisioner.c, and three public functions: sync, _async and _finish.
 */

#include "vw-glib-private.h"

/* The network @name, refreshed from the engine, as op->result. */
static gboolean
network_result(VwProvisioner *self, VwOp *op, const char *name, GError **error)
{
    VwNetworkInfo *info = vw_engine_network_info(vw_prov_engine(self), name, error);

    if (!info)
        return FALSE;
    op->result = vw_op_network_seen(self, op, info);
    return TRUE;
}

static VwOp *
network_op_new(VwOpFunc run, const char *arg, gboolean object_result)
{
    VwOp *op = vw_op_new(run, arg, NULL, NULL, NULL, NULL);

    op->result_free = object_result ? g_object_unref : NULL;
    return op;
}

/* ------------------------------------------------------------ define */

static gboolean
define_run(VwProvisioner *self, VwOp *op, GError **error)
{
    g_autofree char *name =
        vw_engine_network_define_full(vw_prov_engine(self), op->arg[0], op->text_out, error);

    return name && network_result(self, op, name, error);
}

/**
 * vw_provisioner_define_network:
 * @self: a #VwProvisioner
 * @xml: the guest-network XML (untrusted: validated against the schema)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Validate @xml and store it as a persistent definition.  A network of the
 * same name is redefined only when the UUIDs match; a name, UUID, netns or
 * subnet that clashes with another network's is refused
 * (%VW_ERROR_EXISTS), bad XML too (%VW_ERROR_INVALID, naming the bad
 * value), and nothing is written.
 *
 * Returns: (transfer full): the network, or %NULL with @error set
 */
VwNetwork *
vw_provisioner_define_network(VwProvisioner *self, const char *xml, GCancellable *cancellable,
                              GError **error)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), NULL);
    g_return_val_if_fail(xml != NULL, NULL);
    return vw_op_run_sync(self, network_op_new(define_run, xml, TRUE), cancellable, error);
}

/**
 * vw_provisioner_define_network_full:
 * @self: a #VwProvisioner
 * @xml: the guest-network XML (untrusted), virtwire's or what `virsh
 *     net-dumpxml` prints for a libvirt network
 * @warning: (out) (optional) (nullable) (transfer full): set, once the
 *     network is defined, to one translated sentence naming what of @xml
 *     virtwire dropped as meaningless to it (libvirt's `delay`,
 *     `<nat><port>`...), or to %NULL when nothing was dropped
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * vw_provisioner_define_network(), and what of @xml was left out: what a
 * front end shows its user (virtwire net-define prints it as a warning).
 *
 * Returns: (transfer full): the network, or %NULL with @error set
 */
VwNetwork *
vw_provisioner_define_network_full(VwProvisioner *self, const char *xml, char **warning,
                                   GCancellable *cancellable, GError **error)
{
    VwOp *op;
    VwNetwork *network;

    if (warning)
        *warning = NULL;
    g_return_val_if_fail(VW_IS_PROVISIONER(self), NULL);
    g_return_val_if_fail(xml != NULL, NULL);
    op = network_op_new(define_run, xml, TRUE);
    /* run on this thread: the engine writes *warning itself */
    op->text_out = warning;
    network = vw_op_run_sync(self, op, cancellable, error);
    /* cancelled once defined: a failure has no warning */
    if (!network && warning)
        g_clear_pointer(warning, g_free);
    return network;
}

/**
 * vw_provisioner_define_network_async:
 * @self: a #VwProvisioner
 * @xml: the guest-network XML
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the network is defined
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_define_network() in a thread; finish it with
 * vw_provisioner_define_network_finish().
 */
void
vw_provisioner_define_network_async(VwProvisioner *self, const char *xml, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VW_IS_PROVISIONER(self));
    g_return_if_fail(xml != NULL);
    vw_op_run_async(self, network_op_new(define_run, xml, TRUE),
                    vw_provisioner_define_network_async, cancellable, callback, user_data);
}

/**
 * vw_provisioner_define_network_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the network, or %NULL with @error set
 */
VwNetwork *
vw_provisioner_define_network_finish(VwProvisioner *self, GAsyncResult *result, GError **error)
{
    return vw_op_finish(self, result, vw_provisioner_define_network_async, error);
}

/* ------------------------------------------------------------ undefine */

static gboolean
undefine_run(VwProvisioner *self, VwOp *op, GError **error)
{
    if (!vw_engine_network_undefine(vw_prov_engine(self), op->arg[0], error))
        return FALSE;
    vw_op_network_forget(self, op, op->arg[0]);
    return TRUE;
}

/**
 * vw_provisioner_undefine_network:
 * @self: a #VwProvisioner
 * @name: a network's name
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Remove the network's definition, its autostart flag and its leases.  An
 * active network is refused (%VW_ERROR_ACTIVE): stop it first.
 *
 * Returns: %TRUE on success
 */
gboolean
vw_provisioner_undefine_network(VwProvisioner *self, const char *name, GCancellable *cancellable,
                                GError **error)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), FALSE);
    g_return_val_if_fail(name != NULL, FALSE);
    return vw_op_run_sync_boolean(self, network_op_new(undefine_run, name, FALSE), cancellable,
                                  error);
}

/**
 * vw_provisioner_undefine_network_async:
 * @self: a #VwProvisioner
 * @name: a network's name
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_undefine_network() in a thread.
 */
void
vw_provisioner_undefine_network_async(VwProvisioner *self, const char *name,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data)
{
    g_return_if_fail(VW_IS_PROVISIONER(self));
    g_return_if_fail(name != NULL);
    vw_op_run_async(self, network_op_new(undefine_run, name, FALSE),
                    vw_provisioner_undefine_network_async, cancellable, callback, user_data);
}

/**
 * vw_provisioner_undefine_network_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
vw_provisioner_undefine_network_finish(VwProvisioner *self, GAsyncResult *result, GError **error)
{
    return vw_op_finish_boolean(self, result, vw_provisioner_undefine_network_async, error);
}

/* ------------------------------------------------------------ start */

static gboolean
start_run(VwProvisioner *self, VwOp *op, GError **error)
{
    if (!vw_engine_network_start(vw_prov_engine(self), op->arg[0], error))
        return FALSE;
    vw_op_network_refresh(self, op, op->arg[0]);
    return TRUE;
}

/**
 * vw_provisioner_start_network:
 * @self: a #VwProvisioner
 * @name: a defined network's name
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Make the network: its netns, bridge, addresses, uplink and NAT (per its
 * forward mode), cgroup partition and dnsmasq.  Starting an active network
 * fails with %VW_ERROR_ACTIVE.  When a step fails, what the start made is
 * removed again.  The #VwNetwork, if the provisioner handed it out, is
 * refreshed.
 *
 * Returns: %TRUE on success
 */
gboolean
vw_provisioner_start_network(VwProvisioner *self, const char *name, GCancellable *cancellable,
                             GError **error)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), FALSE);
    g_return_val_if_fail(name != NULL, FALSE);
    return vw_op_run_sync_boolean(self, network_op_new(start_run, name, FALSE), cancellable, error);
}

/**
 * vw_provisioner_start_network_async:
 * @self: a #VwProvisioner
 * @name: a defined network's name
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_start_network() in a thread.
 */
void
vw_provisioner_start_network_async(VwProvisioner *self, const char *name, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VW_IS_PROVISIONER(self));
    g_return_if_fail(name != NULL);
    vw_op_run_async(self, network_op_new(start_run, name, FALSE),
                    vw_provisioner_start_network_async, cancellable, callback, user_data);
}

/**
 * vw_provisioner_start_network_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
vw_provisioner_start_network_finish(VwProvisioner *self, GAsyncResult *result, GError **error)
{
    return vw_op_finish_boolean(self, result, vw_provisioner_start_network_async, error);
}

/* ------------------------------------------------------------ stop */

static gboolean
stop_run(VwProvisioner *self, VwOp *op, GError **error)
{
    VwEngineStopFlags flags =
        (op->number & VW_STOP_FORCE) ? VW_ENGINE_STOP_FORCE : VW_ENGINE_STOP_DEFAULT;

    if (!vw_engine_network_stop_flags(vw_prov_engine(self), op->arg[0], flags, error))
        return FALSE;
    /* the stop removed every port of the network */
    vw_op_ports_prune(self, op, op->arg[0], NULL);
    vw_op_network_refresh(self, op, op->arg[0]);
    return TRUE;
}

/**
 * vw_provisioner_stop_network:
 * @self: a #VwProvisioner
 * @name: a network's name
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * vw_provisioner_stop_network_full() with %VW_STOP_DEFAULT: refused while
 * ports are plugged.
 *
 * Returns: %TRUE on success
 */
gboolean
vw_provisioner_stop_network(VwProvisioner *self, const char *name, GCancellable *cancellable,
                            GError **error)
{
    return vw_provisioner_stop_network_full(self, name, VW_STOP_DEFAULT, cancellable, error);
}

static VwOp *
stop_op_new(const char *name, VwStopFlags flags)
{
    VwOp *op = network_op_new(stop_run, name, FALSE);

    op->number = flags;
    return op;
}

/**
 * vw_provisioner_stop_network_full:
 * @self: a #VwProvisioner
 * @name: a network's name
 * @flags: %VW_STOP_FORCE to stop a network whose ports are plugged
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Remove everything the start made, and every port of the network (leases
 * are kept; #VwProvisioner::port-removed is emitted for each port the
 * provisioner knew).  Refused with %VW_ERROR_BUSY, before anything is
 * changed, while domains are placed in the network's partition and, unless
 * @flags has %VW_STOP_FORCE, while ports are plugged (the message names
 * their domains, whose guests would lose the network); stopping an
 * inactive network fails with %VW_ERROR_INACTIVE.
 *
 * Returns: %TRUE on success
 */
gboolean
vw_provisioner_stop_network_full(VwProvisioner *self, const char *name, VwStopFlags flags,
                                 GCancellable *cancellable, GError **error)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), FALSE);
    g_return_val_if_fail(name != NULL, FALSE);
    return vw_op_run_sync_boolean(self, stop_op_new(name, flags), cancellable, error);
}

/**
 * vw_provisioner_stop_network_full_async:
 * @self: a #VwProvisioner
 * @name: a network's name
 * @flags: as for vw_provisioner_stop_network_full()
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_stop_network_full() in a thread.
 */
void
vw_provisioner_stop_network_full_async(VwProvisioner *self, const char *name, VwStopFlags flags,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data)
{
    g_return_if_fail(VW_IS_PROVISIONER(self));
    g_return_if_fail(name != NULL);
    vw_op_run_async(self, stop_op_new(name, flags), vw_provisioner_stop_network_full_async,
                    cancellable, callback, user_data);
}

/**
 * vw_provisioner_stop_network_full_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
vw_provisioner_stop_network_full_finish(VwProvisioner *self, GAsyncResult *result, GError **error)
{
    return vw_op_finish_boolean(self, result, vw_provisioner_stop_network_full_async, error);
}

/**
 * vw_provisioner_stop_network_async:
 * @self: a #VwProvisioner
 * @name: a network's name
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_stop_network() in a thread.
 */
void
vw_provisioner_stop_network_async(VwProvisioner *self, const char *name, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VW_IS_PROVISIONER(self));
    g_return_if_fail(name != NULL);
    vw_op_run_async(self, stop_op_new(name, VW_STOP_DEFAULT), vw_provisioner_stop_network_async,
                    cancellable, callback, user_data);
}

/**
 * vw_provisioner_stop_network_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
vw_provisioner_stop_network_finish(VwProvisioner *self, GAsyncResult *result, GError **error)
{
    return vw_op_finish_boolean(self, result, vw_provisioner_stop_network_async, error);
}

/* ------------------------------------------------------------ autostart */

static gboolean
autostart_run(VwProvisioner *self, VwOp *op, GError **error)
{
    if (!vw_engine_network_set_autostart(vw_prov_engine(self), op->arg[0], op->number != 0, error))
        return FALSE;
    vw_op_network_refresh(self, op, op->arg[0]);
    return TRUE;
}

static VwOp *
autostart_op_new(const char *name, gboolean autostart)
{
    VwOp *op = network_op_new(autostart_run, name, FALSE);

    op->number = autostart ? 1 : 0;
    return op;
}

/**
 * vw_provisioner_set_network_autostart:
 * @self: a #VwProvisioner
 * @name: a defined network's name
 * @autostart: whether the network starts with the host
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
vw_provisioner_set_network_autostart(VwProvisioner *self, const char *name, gboolean autostart,
                                     GCancellable *cancellable, GError **error)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), FALSE);
    g_return_val_if_fail(name != NULL, FALSE);
    return vw_op_run_sync_boolean(self, autostart_op_new(name, autostart), cancellable, error);
}

/**
 * vw_provisioner_set_network_autostart_async:
 * @self: a #VwProvisioner
 * @name: a defined network's name
 * @autostart: whether the network starts with the host
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_set_network_autostart() in a thread.
 */
void
vw_provisioner_set_network_autostart_async(VwProvisioner *self, const char *name,
                                           gboolean autostart, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VW_IS_PROVISIONER(self));
    g_return_if_fail(name != NULL);
    vw_op_run_async(self, autostart_op_new(name, autostart),
                    vw_provisioner_set_network_autostart_async, cancellable, callback, user_data);
}

/**
 * vw_provisioner_set_network_autostart_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
vw_provisioner_set_network_autostart_finish(VwProvisioner *self, GAsyncResult *result,
                                            GError **error)
{
    return vw_op_finish_boolean(self, result, vw_provisioner_set_network_autostart_async, error);
}

/* ------------------------------------------------------------ XML */

static gboolean
xml_run(VwProvisioner *self, VwOp *op, GError **error)
{
    VwEngine *engine = vw_prov_engine(self);
    g_autoptr(VwNetDef) def = NULL;

    if (op->flags & VW_NETWORK_XML_INACTIVE)
        def = vw_engine_network_get_def(engine, op->arg[0], error);
    else
        def = vw_engine_network_get_live_def(engine, op->arg[0], error);
    if (!def)
        return FALSE;
    op->result = vw_netdef_format(def);
    return TRUE;
}

static VwOp *
xml_op_new(const char *name, VwNetworkXmlFlags flags)
{
    VwOp *op = vw_op_new(xml_run, name, NULL, NULL, NULL, NULL);

    op->result_free = g_free;
    op->flags = flags;
    return op;
}

/**
 * vw_provisioner_get_network_xml:
 * @self: a #VwProvisioner
 * @name: a defined network's name
 * @flags: %VW_NETWORK_XML_INACTIVE for the stored definition even when the
 *     network runs with another one
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The network's definition as virtwire's XML, as `virsh net-dumpxml`
 * prints a libvirt network's: what vw_provisioner_define_network() takes
 * back (net-edit edits it).  %VW_ERROR_NOT_FOUND, naming it, when no
 * network is called @name.
 *
 * Returns: (transfer full): the XML document, or %NULL with @error set
 */
char *
vw_provisioner_get_network_xml(VwProvisioner *self, const char *name, VwNetworkXmlFlags flags,
                               GCancellable *cancellable, GError **error)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), NULL);
    g_return_val_if_fail(name != NULL, NULL);
    return vw_op_run_sync(self, xml_op_new(name, flags), cancellable, error);
}

/**
 * vw_provisioner_get_network_xml_async:
 * @self: a #VwProvisioner
 * @name: a defined network's name
 * @flags: as for vw_provisioner_get_network_xml()
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_get_network_xml() in a thread.
 */
void
vw_provisioner_get_network_xml_async(VwProvisioner *self, const char *name, VwNetworkXmlFlags flags,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data)
{
    g_return_if_fail(VW_IS_PROVISIONER(self));
    g_return_if_fail(name != NULL);
    vw_op_run_async(self, xml_op_new(name, flags), vw_provisioner_get_network_xml_async,
                    cancellable, callback, user_data);
}

/**
 * vw_provisioner_get_network_xml_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the XML document, or %NULL with @error set
 */
char *
vw_provisioner_get_network_xml_finish(VwProvisioner *self, GAsyncResult *result, GError **error)
{
    return vw_op_finish(self, result, vw_provisioner_get_network_xml_async, error);
}

/* ------------------------------------------------------------ lookup */

static gboolean
lookup_run(VwProvisioner *self, VwOp *op, GError **error)
{
    GError *local = NULL;
    g_autofree char *name = vw_engine_network_resolve(vw_prov_engine(self), op->arg[0], &local);

    /* by name or UUID, as virsh takes a network */
    if (name && network_result(self, op, name, &local))
        return TRUE;
    /* undefined behind our back: forget the object handed out before */
    if (g_error_matches(local, VW_ENGINE_ERROR, VW_ENGINE_ERROR_NOT_FOUND))
        vw_op_network_forget(self, op, op->arg[0]);
    g_propagate_error(error, local);
    return FALSE;
}

/**
 * vw_provisioner_lookup_network:
 * @self: a #VwProvisioner
 * @name: a network's name, or its UUID
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Read the network @name (a name or a UUID, as virsh takes both);
 * %VW_ERROR_NOT_FOUND, naming it, when no network has it.  The same #VwNetwork is returned (and refreshed) each time.
 *
 * Returns: (transfer full): the network, or %NULL with @error set
 */
VwNetwork *
vw_provisioner_lookup_network(VwProvisioner *self, const char *name, GCancellable *cancellable,
                              GError **error)
{
    g_return_val_if_fail(VW_IS_PROVISIONER(self), NULL);
    g_return_val_if_fail(name != NULL, NULL);
    return vw_op_run_sync(self, network_op_new(lookup_run, name, TRUE), cancellable, error);
}

/**
 * vw_provisioner_lookup_network_async:
 * @self: a #VwProvisioner
 * @name: a network's name
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_lookup_network() in a thread.
 */
void
vw_provisioner_lookup_network_async(VwProvisioner *self, const char *name,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data)
{
    g_return_if_fail(VW_IS_PROVISIONER(self));
    g_return_if_fail(name != NULL);
    vw_op_run_async(self, network_op_new(lookup_run, name, TRUE),
                    vw_provisioner_lookup_network_async, cancellable, callback, user_data);
}

/**
 * vw_provisioner_lookup_network_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the network, or %NULL with @error set
 */
VwNetwork *
vw_provisioner_lookup_network_finish(VwProvisioner *self, GAsyncResult *result, GError **error)
{
    return vw_op_finish(self, result, vw_provisioner_lookup_network_async, error);
}

/* ------------------------------------------------------------ list */

static gboolean
list_run(VwProvisioner *self, VwOp *op, GError **error)
{
    g_autoptr(GPtrArray) infos = vw_engine_network_list(vw_prov_engine(self), error);
    GList *list = NULL;

    if (!infos)
        return FALSE;
    vw_op_networks_prune(self, op, infos);
    /* the objects take the records */
    g_ptr_array_set_free_func(infos, NULL);
    for (guint i = infos->len; i > 0; i--)
        list = g_list_prepend(list, vw_op_network_seen(self, op, infos->pdata[i - 1]));
    op->result = list;
    return TRUE;
}

/**
 * vw_provisioner_list_networks:
 * @self: a #VwProvisioner
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Read every defined network, sorted by name.  Networks handed out before
 * are refreshed; those undefined since are forgotten.
 *
 * Returns: (transfer full) (element-type VwNetwork): the networks (%NULL
 *     when there are none, or with @error set)
 */
GList *
vw_provisioner_list_networks(VwProvisioner *self, GCancellable *cancellable, GError **error)
{
    VwOp *op;

    g_return_val_if_fail(VW_IS_PROVISIONER(self), NULL);
    op = network_op_new(list_run, NULL, FALSE);
    op->result_free = vw_object_list_free;
    return vw_op_run_sync(self, op, cancellable, error);
}

/**
 * vw_provisioner_list_networks_async:
 * @self: a #VwProvisioner
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: (closure): data for @callback
 *
 * Start vw_provisioner_list_networks() in a thread.
 */
void
vw_provisioner_list_networks_async(VwProvisioner *self, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
    VwOp *op;

    g_return_if_fail(VW_IS_PROVISIONER(self));
    op = network_op_new(list_run, NULL, FALSE);
    op->result_free = vw_object_list_free;
    vw_op_run_async(self, op, vw_provisioner_list_networks_async, cancellable, callback, user_data);
}

/**
 * vw_provisioner_list_networks_finish:
 * @self: a #VwProvisioner
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type VwNetwork): the networks
 */
GList *
vw_provisioner_list_networks_finish(VwProvisioner *self, GAsyncResult *result, GError **error)
{
    return vw_op_finish(self, result, vw_provisioner_list_networks_async, error);
}
