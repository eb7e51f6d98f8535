#include <config.h>

/*
 * VwProvisioner: virtwire interfaces of libvirt domains (attach, detach),
 * through the generated wrappers.
 *
 * An attached NIC is an <interface type='ethernet'> on a pre-created tap
 * (<target dev='vwt-...' managed='no'/>), recorded in the domain's virtwire
 * <metadata>, with the domain in the network's <resource><partition>.  A
 * running domain is hot-plugged after its port is plugged (QEMU opens the
 * tap by name), and its live metadata names the port so that the hook
 * unplugs it when the domain stops.
 *
 * `virtwire attach-interface` / `detach-interface` (tools/virtwire.c) do
 * the same with their own copy of this flow (same xml/ and engine calls);
 * moving the CLI onto this file is left to a change of its own (its
 * messages, exit codes and translations must stay as they are).
 */

#include <glib/gi18n-lib.h>

#include "vw-cgroup.h"
#include "vw-domxml.h"
#include "vw-glib-private.h"
#include "vw-libvirt.h"
#include "vw-names.h"

#define MODEL_DEFAULT     "virtio"
#define PARTITION_DEFAULT "/machine"
#define QUEUES_MAX        256

/* The domain an operation works on. */
typedef struct {
    const char *label; /* as the caller named it, for messages */
    virDomainPtr dom;
    char uuid[VIR_UUID_STRING_BUFLEN];
    char *name;
    gboolean running;
} Domain;

static void
domain_clear(Domain *d)
{
    g_clear_pointer(&d->dom, vw_autoptr_release_virDomain);
    g_clear_pointer(&d->name, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Domain, domain_clear)

/* Look @label up as a UUID, else as a name. */
static gboolean
domain_open(VwProvisioner *self, const char *label, Domain *d, GError **error)
{
    g_auto(virError) err = VW_ERROR_INIT;
    virConnectPtr conn = vw_prov_connection(self, error);
    const char *name;
    int active;

    if (!conn)
        return FALSE;
    d->label = label;
    d->dom = vw_uuid_check(label, NULL) ? virDomainLookupByUUIDStringWrapper(conn, label, &err)
                                        : virDomainLookupByNameWrapper(conn, label, &err);
    if (!d->dom) {
        vw_libvirt_error_set(error, &err);
        g_prefix_error(error, _("cannot find domain '%s': "), label);
        return FALSE;
    }
    name = virDomainGetNameWrapper(d->dom, &err);
    active = virDomainIsActiveWrapper(d->dom, &err);
    if (!name || active < 0 || virDomainGetUUIDStringWrapper(d->dom, d->uuid, &err) < 0)
        return vw_libvirt_error_set(error, &err);
    d->name = g_strdup(name);
    d->running = active == 1;
    return TRUE;
}

/* The persistent (@inactive) or live XML, g_malloc'd. */
static char *
domain_get_xml(Domain *d, gboolean inactive, GError **error)
{
    g_auto(virError) err = VW_ERROR_INIT;
    char *xml = virDomainGetXMLDescWrapper(d->dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0, &err);
    char *copy;

    if (!xml) {
        vw_libvirt_error_set(error, &err);
        return NULL;
    }
    copy = g_strdup(xml);
    free(xml); /* libvirt's allocation */
    return copy;
}

/* The parsed XML; NULL with @error set when it cannot be read. */
static VwDomInfo *
domain_get_info(Domain *d, gboolean inactive, GError **error)
{
    g_autofree char *xml = domain_get_xml(d, inactive, error);

    return xml ? vw_dominfo_parse(xml, -1, error) : NULL;
}

/* Edit the persistent definition with @edit and define the result. */
typedef gboolean (*DomainEdit)(VwDomEditor *ed, const VwDomInfo *info, gpointer data,
                               GError **error);

static gboolean
domain_redefine(VwProvisioner *self, Domain *d, DomainEdit edit, gpointer data, GError **error)
{
    g_auto(virError) err = VW_ERROR_INIT;
    g_autofree char *xml = domain_get_xml(d, TRUE, error);
    g_autoptr(VwDomInfo) info = NULL;
    g_autoptr(VwDomEditor) ed = NULL;
    g_autofree char *edited = NULL;
    g_autoptr(virDomain) defined = NULL;

    if (!xml || !(info = vw_dominfo_parse(xml, -1, error)) ||
        !(ed = vw_domeditor_new(xml, -1, error)) || !edit(ed, info, data, error))
        return FALSE;
    edited = vw_domeditor_format(ed);
    defined = virDomainDefineXMLWrapper(vw_prov_connection(self, NULL), edited, &err);
    if (!defined)
        return vw_libvirt_error_set(error, &err);
    return TRUE;
}

/*
 * Rewrite the live virtwire metadata: every virtwire port of the live XML
 * except @drop_mac, plus @add_mac on @add_network.  No port left removes
 * the element.
 */
static gboolean
domain_set_live_ports(Domain *d, const char *drop_mac, const char *add_mac, const char *add_network,
                      GError **error)
{
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(VwDomInfo) info = domain_get_info(d, FALSE, error);
    g_autoptr(GString) ports = g_string_new(NULL);

    if (!info)
        return FALSE;
    for (guint i = 0; i < info->ifaces->len; i++) {
        const VwDomIface *nic = g_ptr_array_index(info->ifaces, i);

        if (nic->network && nic->mac && g_strcmp0(nic->mac, drop_mac) != 0 &&
            g_strcmp0(nic->mac, add_mac) != 0)
            g_string_append_printf(ports, "<%s:port mac=\"%s\" network=\"%s\"/>",
                                   VW_METADATA_PREFIX, nic->mac, nic->network);
    }
    if (add_mac)
        g_string_append_printf(ports, "<%s:port mac=\"%s\" network=\"%s\"/>", VW_METADATA_PREFIX,
                               add_mac, add_network);
    if (ports->len > 0) {
        g_string_prepend(ports, "<" VW_METADATA_PREFIX ":ports xmlns:" VW_METADATA_PREFIX
                                "=\"" VW_METADATA_NS "\">");
        g_string_append(ports, "</" VW_METADATA_PREFIX ":ports>");
    }
    if (virDomainSetMetadataWrapper(d->dom, VIR_DOMAIN_METADATA_ELEMENT,
                                    ports->len ? ports->str : NULL, VW_METADATA_PREFIX,
                                    VW_METADATA_NS, VIR_DOMAIN_AFFECT_LIVE, &err) < 0)
        return vw_libvirt_error_set(error, &err);
    return TRUE;
}

static VwInterfaceFlags
flags_effective(guint flags)
{
    return (flags & (VW_INTERFACE_LIVE | VW_INTERFACE_CONFIG)) ? flags : VW_INTERFACE_CONFIG;
}

static gboolean
domain_check_running(const Domain *d, VwInterfaceFlags flags, GError **error)
{
    if ((flags & VW_INTERFACE_LIVE) && !d->running) {
        g_set_error(error, VW_ERROR, VW_ERROR_INACTIVE,
                    _("domain '%s' is not running: a live change needs a running domain"),
                    d->label);
        return FALSE;
    }
    return TRUE;
}

/* ------------------------------------------------------------ attach */

/* What an attach adds. */
typedef struct {
    const char *network;
    const char *partition;
    const char *mac;
    const char *model;
    const char *tap;
    guint queues;
} Nic;

static gboolean
edit_add_nic(VwDomEditor *ed, const VwDomInfo *info, gpointer data, GError **error)
{
    const Nic *nic = data;

    if (info->partition && !g_str_equal(info->partition, PARTITION_DEFAULT) &&
        !g_str_equal(info->partition, nic->partition)) {
        g_set_error(error, VW_ERROR, VW_ERROR_CONFLICT,
                    _("domain '%s' is in partition '%s', not '%s': a domain sits in the "
                      "partition of one network only"),
                    info->name, info->partition, nic->partition);
        return FALSE;
    }
    return vw_domeditor_add_interface(ed, nic->mac, nic->tap, nic->model, nic->queues, nic->network,
                                      error) &&
           vw_domeditor_set_partition(ed, nic->partition, error);
}

/* Whether the network already leases an address to (@uuid, @mac). */
static gboolean
lease_exists(VwEngine *engine, const char *network, const char *uuid, const char *mac)
{
    g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine, network, NULL);

    for (guint i = 0; leases && i < leases->len; i++) {
        const VwLeaseInfo *l = g_ptr_array_index(leases, i);
        if (g_ascii_strcasecmp(l->domain_uuid, uuid) == 0 && g_ascii_strcasecmp(l->mac, mac) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Undo a plug: a lease this attach made goes too, an older one stays. */
static void
port_rollback(VwEngine *engine, const Domain *d, const Nic *nic, gboolean lease_was_there)
{
    if (lease_was_there)
        vw_engine_port_unplug(engine, nic->network, d->uuid, nic->mac, NULL);
    else
        vw_engine_port_release(engine, nic->network, d->uuid, nic->mac, NULL);
}

/* Plug the port, then hot-plug the NIC and name it in the live metadata. */
static VwPortInfo *
attach_live(VwProvisioner *self, Domain *d, const Nic *nic, const char *device,
            gboolean lease_was_there, GError **error)
{
    VwEngine *engine = vw_prov_engine(self);
    g_auto(virError) err = VW_ERROR_INIT;
    g_autoptr(VwPortInfo) port = NULL;
    VwPortRequest req = {
        .network = nic->network,
        .domain_uuid = d->uuid,
        .domain_name = d->name,
        .mac = nic->mac,
        .tap = nic->tap,
        .queues = nic->queues,
    };

    if (!vw_tap_owner_default(&req.owner, &req.group, error))
        return NULL;
    port = vw_engine_port_plug(engine, &req, error);
    if (!port)
        return NULL;
    if (virDomainAttachDeviceFlagsWrapper(d->dom, device, VIR_DOMAIN_AFFECT_LIVE, &err) < 0) {
        vw_libvirt_error_set(error, &err);
        g_prefix_error(error, _("cannot hot-plug interface '%s' into domain '%s': "), nic->mac,
                       d->name);
        port_rollback(engine, d, nic, lease_was_there);
        return NULL;
    }
    if (!domain_set_live_ports(d, NULL, nic->mac, nic->network, error)) {
        virDomainDetachDeviceFlagsWrapper(d->dom, device, VIR_DOMAIN_AFFECT_LIVE, NULL);
        port_rollback(engine, d, nic, lease_was_there);
        return NULL;
    }
    return g_steal_pointer(&port);
}

static char *
mac_random(void)
{
    return g_strdup_printf("52:54:00:%02x:%02x:%02x", g_random_int_range(0, 256),
                           g_random_int_range(0, 256), g_random_int_range(0, 256));
}

static gboolean
attach_run(VwProvisioner *self, VwOp *op, GError **error)
{
    VwInterfaceFlags flags = flags_effective(op->flags);
    g_auto(Domain) d = { 0 };
    g_autofree char *mac = NULL;
    g_autofree char *partition = NULL;
    g_autofree char *device = NULL;
    g_autoptr(VwNetworkInfo) net = NULL;
    g_autoptr(VwPortInfo) port = NULL;
    VwPortNames names;
    guint8 bytes[6];
    gboolean leased;
    Nic nic = {
        .network = op->arg[1],
        .model = op->arg[3] ? op->arg[3] : MODEL_DEFAULT,
        .queues = op->number,
    };

    if (nic.queues > QUEUES_MAX) {
        g_set_error(error, VW_ERROR, VW_ERROR_INVALID, _("invalid number of queues '%u' (0 to %u)"),
                    nic.queues, QUEUES_MAX);
        return FALSE;
    }
    if (op->arg[2] && !vw_mac_parse(op->arg[2], bytes, error))
        return FALSE;
    nic.mac = mac = op->arg[2] ? vw_mac_canonical(op->arg[2]) : mac_random();
    if (!vw_domxml_network_check(nic.network, error) ||
        !(nic.partition = partition = vw_cgroup_partition_for_network(nic.network, error)) ||
        !(net = vw_engine_network_info(vw_prov_engine(self), nic.network, error)) ||
        !domain_open(self, op->arg[0], &d, error) || !domain_check_running(&d, flags, error) ||
        !vw_port_names(d.uuid, nic.mac, &names, error))
        return FALSE;
    nic.tap = names.tap;
    device = vw_domxml_format_interface(nic.mac, nic.tap, nic.model, nic.queues, error);
    if (!device)
        return FALSE;

    leased = lease_exists(vw_prov_engine(self), nic.network, d.uuid, nic.mac);
    if ((flags & VW_INTERFACE_LIVE) && !(port = attach_live(self, &d, &nic, device, leased, error)))
        return FALSE;
    if ((flags & VW_INTERFACE_CONFIG) && !domain_redefine(self, &d, edit_add_nic, &nic, error)) {
        if (port) {
            /* all or nothing: undo the hot-plug */
            virDomainDetachDeviceFlagsWrapper(d.dom, device, VIR_DOMAIN_AFFECT_LIVE, NULL);
            domain_set_live_ports(&d, nic.mac, NULL, NULL, NULL);
            port_rollback(vw_prov_engine(self), &d, &nic, leased);
        }
        return FALSE;
    }
    if (port) {
        op->result = vw_op_port_seen(self, op, g_steal_pointer(&port));
        vw_op_network_refresh(self, op, nic.network);
    } else {
        /* in the definition only: plugged when the domain starts */
        VwPortInfo pending = {
            .network = (char *)nic.network,
            .domain_uuid = d.uuid,
            .domain_name = d.name,
            .mac = mac,
            .tap = names.tap,
            .queues = nic.queues,
        };
        op->result = vw_port_new_from_info(&pending);
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
 *     52:54:00:xx:xx:xx one
 * @model: (nullable): the NIC model, or %NULL for "virtio"
 * @queues: the number of queues (0 or 1: one; at most 256)
 * @flags: %VW_INTERFACE_LIVE to hot-plug into the running domain (its
 *     network must be active), %VW_INTERFACE_CONFIG to change its
 *     persistent definition (the default), or both
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
 *     plugged, %VW_PORT_STATE_UNPLUGGED) without %VW_INTERFACE_LIVE
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
edit_remove_nic(VwDomEditor *ed, const VwDomInfo *info, gpointer data, GError **error)
{
    const char *mac = data;
    gboolean others = FALSE;

    for (guint i = 0; i < info->ifaces->len; i++) {
        const VwDomIface *nic = g_ptr_array_index(info->ifaces, i);
        others |= nic->network && g_strcmp0(nic->mac, mac) != 0;
    }
    if (!vw_domeditor_remove_interface(ed, mac, error))
        return FALSE;
    /* libvirt refuses to start a domain whose partition is missing: the
     * last virtwire NIC gives the domain back to the default partition */
    if (!others && info->partition && g_str_has_prefix(info->partition, "/virtwire/"))
        return vw_domeditor_set_partition(ed, PARTITION_DEFAULT, error);
    return TRUE;
}

/* The virtwire NIC with @mac in the domain's live or persistent XML. */
static VwDomIface *
nic_find(Domain *d, gboolean inactive, const char *mac, VwDomInfo **info, GError **error)
{
    VwDomIface *nic;

    *info = domain_get_info(d, inactive, error);
    if (!*info)
        return NULL;
    nic = vw_dominfo_find_iface(*info, mac);
    return nic && nic->network ? nic : NULL;
}

static gboolean
detach_live(Domain *d, const VwDomIface *nic, GError **error)
{
    g_auto(virError) err = VW_ERROR_INIT;
    g_autofree char *device = vw_domxml_format_interface(
        nic->mac, nic->target_dev, nic->model ? nic->model : MODEL_DEFAULT, nic->queues, error);

    if (!device)
        return FALSE;
    if (virDomainDetachDeviceFlagsWrapper(d->dom, device, VIR_DOMAIN_AFFECT_LIVE, &err) < 0) {
        vw_libvirt_error_set(error, &err);
        g_prefix_error(error, _("cannot unplug interface '%s' from domain '%s': "), nic->mac,
                       d->name);
        return FALSE;
    }
    return domain_set_live_ports(d, nic->mac, NULL, NULL, error);
}

static gboolean
detach_run(VwProvisioner *self, VwOp *op, GError **error)
{
    VwEngine *engine = vw_prov_engine(self);
    VwInterfaceFlags flags = flags_effective(op->flags);
    gboolean live = (flags & VW_INTERFACE_LIVE) != 0;
    gboolean config = (flags & VW_INTERFACE_CONFIG) != 0;
    g_auto(Domain) d = { 0 };
    g_autoptr(VwDomInfo) live_info = NULL;
    g_autoptr(VwDomInfo) config_info = NULL;
    g_autofree char *mac = NULL;
    g_autofree char *network = NULL;
    VwDomIface *live_nic = NULL;
    VwDomIface *config_nic;
    VwPortInfo *before;
    guint8 bytes[6];

    if (!vw_mac_parse(op->arg[1], bytes, error))
        return FALSE;
    mac = vw_mac_canonical(op->arg[1]);
    if (!domain_open(self, op->arg[0], &d, error) || !domain_check_running(&d, flags, error))
        return FALSE;
    config_nic = nic_find(&d, TRUE, mac, &config_info, error);
    if (!config_info)
        return FALSE;
    if (d.running && !(live_nic = nic_find(&d, FALSE, mac, &live_info, error)) && !live_info)
        return FALSE;
    if ((live && !live_nic) || (config && !config_nic)) {
        g_set_error(error, VW_ERROR, VW_ERROR_NOT_FOUND,
                    _("domain '%s' has no virtwire interface with MAC address '%s'"), d.label, mac);
        return FALSE;
    }
    network = g_strdup(live_nic ? live_nic->network : config_nic->network);
    before = vw_prov_port_record(self, network, d.uuid, mac);

    if ((live && !detach_live(&d, live_nic, error)) ||
        (config && !domain_redefine(self, &d, edit_remove_nic, mac, error))) {
        vw_port_info_free(before);
        return FALSE;
    }
    /* The lease goes once the NIC is in neither the live domain nor its
     * definition; a port the live domain still uses stays plugged. */
    if ((live || !live_nic) && (config || !config_nic)) {
        if (!vw_engine_port_release(engine, network, d.uuid, mac, error)) {
            vw_port_info_free(before);
            return FALSE;
        }
    } else if (live && !vw_engine_port_unplug(engine, network, d.uuid, mac, error)) {
        vw_port_info_free(before);
        return FALSE;
    }
    if (live || !live_nic)
        vw_op_port_gone(self, op, network, d.uuid, mac, before);
    else
        vw_port_info_free(before);
    vw_op_network_refresh(self, op, network);
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
 * @flags: %VW_INTERFACE_LIVE to unplug from the running domain,
 *     %VW_INTERFACE_CONFIG to change its persistent definition (the
 *     default), or both
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
