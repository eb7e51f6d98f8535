#include <config.h>

/*
 * Attach and detach (see vw-domif-libvirt.h), through the generated
 * wrappers: the domain's persistent definition is edited with xml/'s
 * editor and defined again, the running domain changed with
 * virDomainAttachDeviceFlags / DetachDeviceFlags and its live metadata.
 */

#include <glib/gi18n-lib.h>

#include "vw-cgroup.h"
#include "vw-domif-libvirt.h"
#include "vw-names.h"

#define MODEL_DEFAULT     "virtio"
#define PARTITION_DEFAULT "/machine"

/* The domain an operation works on. */
typedef struct {
    const char *label; /* as the caller named it, for messages */
    virConnectPtr conn;
    virDomainPtr dom;
    char uuid[VIR_UUID_STRING_BUFLEN];
    char *name;
    gboolean running;
    gboolean persistent; /* it has a definition beyond this run */
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
domain_open(virConnectPtr conn, const char *label, Domain *d, GError **error)
{
    g_auto(virError) err = VW_ERROR_INIT;
    const char *name;
    int active;
    int persistent;

    d->label = label;
    d->conn = conn;
    d->dom = vw_uuid_check(label, NULL) ? virDomainLookupByUUIDStringWrapper(conn, label, &err)
                                        : virDomainLookupByNameWrapper(conn, label, &err);
    if (!d->dom) {
        vw_libvirt_error_set(error, &err);
        g_prefix_error(error, _("cannot find domain '%s': "), label);
        return FALSE;
    }
    name = virDomainGetNameWrapper(d->dom, &err);
    if (!name || (active = virDomainIsActiveWrapper(d->dom, &err)) < 0 ||
        (persistent = virDomainIsPersistentWrapper(d->dom, &err)) < 0 ||
        virDomainGetUUIDStringWrapper(d->dom, d->uuid, &err) < 0)
        return vw_libvirt_error_set(error, &err);
    d->name = g_strdup(name);
    d->running = active == 1;
    d->persistent = persistent == 1;
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

static VwDomInfo *
domain_get_info(Domain *d, gboolean inactive, GError **error)
{
    g_autofree char *xml = domain_get_xml(d, inactive, error);

    return xml ? vw_dominfo_parse(xml, -1, error) : NULL;
}

/* Edit the persistent definition with @edit and define the result. */
typedef gboolean (*DomainEdit)(VwDomEditor *ed, const VwDomInfo *info, gconstpointer data,
                               GError **error);

static gboolean
domain_redefine(Domain *d, DomainEdit edit, gconstpointer data, GError **error)
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
    defined = virDomainDefineXMLWrapper(d->conn, edited, &err);
    if (!defined)
        return vw_libvirt_error_set(error, &err);
    return TRUE;
}

/*
 * Rewrite the live virtwire metadata: every virtwire port of the live XML
 * except @drop_mac, plus @add_mac on @add_network, so that the hook finds
 * a hot-plugged port when the domain stops.  No port left removes the
 * element.
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

/* What @affect means for @d, as virsh reads --current, --live, --config and
 * --persistent: into @live and @config. */
static gboolean
affect_resolve(VwDomifAffect affect, const Domain *d, gboolean *live, gboolean *config,
               GError **error)
{
    if (affect & ~(VW_DOMIF_AFFECT_LIVE | VW_DOMIF_AFFECT_CONFIG | VW_DOMIF_AFFECT_PERSISTENT)) {
        g_set_error(error, VW_DOMIF_ERROR, VW_DOMIF_ERROR_INVALID, _("invalid flags '%#x'"),
                    (guint)affect);
        return FALSE;
    }
    if ((affect & VW_DOMIF_AFFECT_LIVE) && !d->running) {
        g_set_error(error, VW_DOMIF_ERROR, VW_DOMIF_ERROR_INACTIVE,
                    _("domain '%s' is not running: a live change needs a running domain"),
                    d->label);
        return FALSE;
    }
    *live = (affect & VW_DOMIF_AFFECT_LIVE) ||
            ((affect & VW_DOMIF_AFFECT_PERSISTENT) && d->running) ||
            (affect == VW_DOMIF_AFFECT_CURRENT && d->running);
    *config = (affect & (VW_DOMIF_AFFECT_CONFIG | VW_DOMIF_AFFECT_PERSISTENT)) ||
              (affect == VW_DOMIF_AFFECT_CURRENT && !d->running);
    /* as libvirt: redefining a transient domain would make it persistent */
    if (*config && !d->persistent) {
        g_set_error(error, VW_DOMIF_ERROR, VW_DOMIF_ERROR_INVALID,
                    _("domain '%s' is transient: it has no persistent definition to change"),
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
edit_add_nic(VwDomEditor *ed, const VwDomInfo *info, gconstpointer data, GError **error)
{
    const Nic *nic = data;

    if (info->partition && !g_str_equal(info->partition, PARTITION_DEFAULT) &&
        !g_str_equal(info->partition, nic->partition)) {
        g_set_error(error, VW_DOMIF_ERROR, VW_DOMIF_ERROR_CONFLICT,
                    _("domain '%s' is in partition '%s', not '%s': a domain sits in the "
                      "partition of one network only"),
                    info->name, info->partition, nic->partition);
        return FALSE;
    }
    return vw_domeditor_add_interface(ed, nic->mac, nic->tap, nic->model, nic->queues, nic->network,
                                      error) &&
           vw_domeditor_set_partition(ed, nic->partition, error);
}

/* Undo a plug: a lease this attach made goes too, an older one stays. */
static void
port_rollback(VwEngine *engine, const Domain *d, const Nic *nic, const VwPortInfo *port)
{
    if (port->lease_created)
        vw_engine_port_release(engine, nic->network, d->uuid, nic->mac, NULL);
    else
        vw_engine_port_unplug(engine, nic->network, d->uuid, nic->mac, NULL);
}

/*
 * A MAC the running domain has already is refused before anything is
 * plugged: its port may be in use, and the rollback of a failed hot-plug
 * would tear it down.  The check is the editor's own, on the live XML.
 */
static gboolean
live_mac_free(Domain *d, const Nic *nic, GError **error)
{
    g_autofree char *xml = domain_get_xml(d, FALSE, error);
    g_autoptr(VwDomEditor) ed = xml ? vw_domeditor_new(xml, -1, error) : NULL;

    return ed && vw_domeditor_add_interface(ed, nic->mac, nic->tap, nic->model, nic->queues,
                                            nic->network, error);
}

/* Plug the port, then hot-plug the NIC and name it in the live metadata. */
static VwPortInfo *
attach_live(VwEngine *engine, Domain *d, const Nic *nic, const char *device, GError **error)
{
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

    if (!vw_domif_tap_owner(&req.owner, &req.group, error) || !live_mac_free(d, nic, error))
        return NULL;
    port = vw_engine_port_plug(engine, &req, error);
    if (!port)
        return NULL;
    if (virDomainAttachDeviceFlagsWrapper(d->dom, device, VIR_DOMAIN_AFFECT_LIVE, &err) < 0) {
        vw_libvirt_error_set(error, &err);
        g_prefix_error(error, _("cannot hot-plug interface '%s' into domain '%s': "), nic->mac,
                       d->name);
        port_rollback(engine, d, nic, port);
        return NULL;
    }
    if (!domain_set_live_ports(d, NULL, nic->mac, nic->network, error)) {
        virDomainDetachDeviceFlagsWrapper(d->dom, device, VIR_DOMAIN_AFFECT_LIVE, NULL);
        port_rollback(engine, d, nic, port);
        return NULL;
    }
    return g_steal_pointer(&port);
}

VwPortInfo *
vw_domif_attach(VwEngine *engine, virConnectPtr conn, const VwDomifAttach *req, GError **error)
{
    g_auto(Domain) d = { 0 };
    g_autofree char *mac = NULL;
    g_autofree char *partition = NULL;
    g_autofree char *device = NULL;
    g_autoptr(VwNetworkInfo) net = NULL;
    g_autoptr(VwPortInfo) port = NULL;
    VwPortNames names;
    gboolean live, config;
    guint8 bytes[6];
    Nic nic = {
        .network = req->network,
        .model = req->model ? req->model : MODEL_DEFAULT,
        .queues = req->queues,
    };

    g_return_val_if_fail(req->domain != NULL && req->network != NULL, NULL);
    if (!vw_domif_queues_check(nic.queues, error) ||
        (req->mac && !vw_mac_parse(req->mac, bytes, error)) ||
        !vw_domxml_network_check(nic.network, error) ||
        !(nic.partition = partition = vw_cgroup_partition_for_network(nic.network, error)) ||
        !(net = vw_engine_network_info(engine, nic.network, error)))
        return NULL;
    nic.mac = mac = req->mac ? vw_mac_canonical(req->mac)
                             : vw_domif_mac_generate(engine, nic.network, NULL, error);
    if (!mac || !domain_open(conn, req->domain, &d, error) ||
        !affect_resolve(req->affect, &d, &live, &config, error) ||
        !vw_port_names(d.uuid, nic.mac, &names, error))
        return NULL;
    nic.tap = names.tap;
    device = vw_domxml_format_interface(nic.mac, nic.tap, nic.model, nic.queues, error);
    if (!device)
        return NULL;

    if (live && !(port = attach_live(engine, &d, &nic, device, error)))
        return NULL;
    if (config && !domain_redefine(&d, edit_add_nic, &nic, error)) {
        if (port) {
            /* all or nothing: undo the hot-plug */
            virDomainDetachDeviceFlagsWrapper(d.dom, device, VIR_DOMAIN_AFFECT_LIVE, NULL);
            domain_set_live_ports(&d, nic.mac, NULL, NULL, NULL);
            port_rollback(engine, &d, &nic, port);
        }
        return NULL;
    }
    if (port)
        return g_steal_pointer(&port);
    /* in the definition only: plugged when the domain starts */
    port = g_new0(VwPortInfo, 1);
    port->network = g_strdup(nic.network);
    port->domain_uuid = g_strdup(d.uuid);
    port->domain_name = g_strdup(d.name);
    port->mac = g_steal_pointer(&mac);
    port->tap = g_strdup(names.tap);
    port->queues = nic.queues;
    return g_steal_pointer(&port);
}

/* ------------------------------------------------------------ detach */

static gboolean
edit_remove_nic(VwDomEditor *ed, const VwDomInfo *info, gconstpointer data, GError **error)
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

/* The engine's record of a port, or NULL. */
static VwPortInfo *
port_record(VwEngine *engine, const char *network, const char *uuid, const char *mac)
{
    g_autoptr(GPtrArray) ports = vw_engine_port_list(engine, network, NULL);

    for (guint i = 0; ports && i < ports->len; i++) {
        VwPortInfo *p = g_ptr_array_index(ports, i);

        if (g_ascii_strcasecmp(p->domain_uuid, uuid) == 0 && g_ascii_strcasecmp(p->mac, mac) == 0)
            return g_ptr_array_steal_index(ports, i);
    }
    return NULL;
}

void
vw_domif_detached_clear(VwDomifDetached *d)
{
    g_clear_pointer(&d->network, g_free);
    g_clear_pointer(&d->domain_uuid, g_free);
    g_clear_pointer(&d->mac, g_free);
    g_clear_pointer(&d->before, vw_port_info_free);
}

gboolean
vw_domif_detach(VwEngine *engine, virConnectPtr conn, const char *domain, const char *mac_text,
                VwDomifAffect affect, VwDomifDetached *out, GError **error)
{
    g_auto(Domain) d = { 0 };
    g_auto(VwDomifDetached) done = { 0 };
    g_autoptr(VwDomInfo) live_info = NULL;
    g_autoptr(VwDomInfo) config_info = NULL;
    g_autofree char *mac = NULL;
    VwDomIface *live_nic = NULL;
    VwDomIface *config_nic;
    gboolean live, config;
    guint8 bytes[6];

    g_return_val_if_fail(domain != NULL && mac_text != NULL, FALSE);
    if (!vw_mac_parse(mac_text, bytes, error))
        return FALSE;
    mac = vw_mac_canonical(mac_text);
    if (!domain_open(conn, domain, &d, error) ||
        !affect_resolve(affect, &d, &live, &config, error))
        return FALSE;
    config_nic = nic_find(&d, TRUE, mac, &config_info, error);
    if (!config_info)
        return FALSE;
    if (d.running && !(live_nic = nic_find(&d, FALSE, mac, &live_info, error)) && !live_info)
        return FALSE;
    if ((live && !live_nic) || (config && !config_nic)) {
        g_set_error(error, VW_DOMIF_ERROR, VW_DOMIF_ERROR_NOT_FOUND,
                    _("domain '%s' has no virtwire interface with MAC address '%s'"), d.label, mac);
        return FALSE;
    }
    done.network = g_strdup(live_nic ? live_nic->network : config_nic->network);
    done.domain_uuid = g_strdup(d.uuid);
    done.mac = g_strdup(mac);
    done.before = port_record(engine, done.network, d.uuid, mac);

    if (live && !detach_live(&d, live_nic, error))
        return FALSE;
    if (config && !domain_redefine(&d, edit_remove_nic, mac, error)) {
        /* The NIC has left the running domain: its port goes with it (the
         * hook would not find it at stop); the definition keeps the lease. */
        if (live)
            vw_engine_port_unplug(engine, done.network, d.uuid, mac, NULL);
        return FALSE;
    }
    /* The lease goes once the NIC is in neither the live domain nor its
     * definition; a port the live domain still uses stays plugged. */
    if ((live || !live_nic) && (config || !config_nic)) {
        if (!vw_engine_port_release(engine, done.network, d.uuid, mac, error))
            return FALSE;
    } else if (live && !vw_engine_port_unplug(engine, done.network, d.uuid, mac, error)) {
        return FALSE;
    }
    done.unplugged = live || !live_nic;
    if (out)
        *out = done, memset(&done, 0, sizeof(done));
    return TRUE;
}
