/*
 * VwProvisioner: the entry point of the virtwire API.  It owns the engine
 * (guest networks, ports, leases under one root directory) and, opened on
 * first use by attach/detach, a libvirt connection.
 *
 * Every blocking call has an _async/_finish pair that runs it in GIO's
 * thread pool.  Objects are updated, and signals emitted, in the
 * thread-default main context the provisioner was created in.
 */
#pragma once

#if !defined(VIRTWIRE_INSIDE) && !defined(VIRTWIRE_COMPILATION)
#error "Only <virtwire.h> can be included directly."
#endif

#include <gio/gio.h>

#include "vw-dhcp-lease.h"
#include "vw-lease.h"
#include "vw-network.h"
#include "vw-port.h"

G_BEGIN_DECLS

/**
 * VwInterfaceFlags:
 * @VW_INTERFACE_CURRENT: the domain's current state, as virsh's
 *     --current (the default): a running domain is changed live only, a
 *     shut-off one in its persistent definition
 * @VW_INTERFACE_LIVE: change the running domain (hot-plug or unplug); an
 *     error when it is not running
 * @VW_INTERFACE_CONFIG: change the domain's persistent definition (for a
 *     running domain: from its next boot)
 * @VW_INTERFACE_PERSISTENT: as virsh's --persistent: the running domain
 *     and its definition when it runs, the definition when it is shut off
 *
 * What vw_provisioner_attach_interface() and
 * vw_provisioner_detach_interface() change, with the meaning of virsh's
 * --current, --live, --config and --persistent.  %VW_INTERFACE_LIVE and
 * %VW_INTERFACE_CONFIG together change both.
 */
typedef enum {
    VW_INTERFACE_CURRENT = 0,
    VW_INTERFACE_LIVE = 1 << 0,
    VW_INTERFACE_CONFIG = 1 << 1,
    VW_INTERFACE_PERSISTENT = 1 << 2,
} VwInterfaceFlags;

/**
 * VwStopFlags:
 * @VW_STOP_DEFAULT: refuse while ports are plugged
 * @VW_STOP_FORCE: stop even when ports are plugged (their guests lose the
 *     network)
 *
 * How vw_provisioner_stop_network_full() stops a network.
 */
typedef enum {
    VW_STOP_DEFAULT = 0,
    VW_STOP_FORCE = 1 << 0,
} VwStopFlags;

/**
 * VwNetworkXmlFlags:
 * @VW_NETWORK_XML_DEFAULT: the definition an active network runs with
 *     (net-define may have changed the stored one since it started); for an
 *     inactive network, the stored one
 * @VW_NETWORK_XML_INACTIVE: the stored definition, the one the next start
 *     uses, as virsh's net-dumpxml --inactive
 *
 * Which definition vw_provisioner_get_network_xml() returns.
 */
typedef enum {
    VW_NETWORK_XML_DEFAULT = 0,
    VW_NETWORK_XML_INACTIVE = 1 << 0,
} VwNetworkXmlFlags;

#define VW_TYPE_PROVISIONER (vw_provisioner_get_type())
G_DECLARE_FINAL_TYPE(VwProvisioner, vw_provisioner, VW, PROVISIONER, GObject)

VwProvisioner *vw_provisioner_new(const char *root, const char *uri, GCancellable *cancellable,
                                  GError **error);
const char *vw_provisioner_get_root(VwProvisioner *self);
const char *vw_provisioner_get_uri(VwProvisioner *self);

/* networks */
VwNetwork *vw_provisioner_define_network(VwProvisioner *self, const char *xml,
                                         GCancellable *cancellable, GError **error);
VwNetwork *vw_provisioner_define_network_full(VwProvisioner *self, const char *xml, char **warning,
                                              GCancellable *cancellable, GError **error);
void vw_provisioner_define_network_async(VwProvisioner *self, const char *xml,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
VwNetwork *vw_provisioner_define_network_finish(VwProvisioner *self, GAsyncResult *result,
                                                GError **error);

gboolean vw_provisioner_undefine_network(VwProvisioner *self, const char *name,
                                         GCancellable *cancellable, GError **error);
void vw_provisioner_undefine_network_async(VwProvisioner *self, const char *name,
                                           GCancellable *cancellable, GAsyncReadyCallback callback,
                                           gpointer user_data);
gboolean vw_provisioner_undefine_network_finish(VwProvisioner *self, GAsyncResult *result,
                                                GError **error);

gboolean vw_provisioner_start_network(VwProvisioner *self, const char *name,
                                      GCancellable *cancellable, GError **error);
void vw_provisioner_start_network_async(VwProvisioner *self, const char *name,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data);
gboolean vw_provisioner_start_network_finish(VwProvisioner *self, GAsyncResult *result,
                                             GError **error);

gboolean vw_provisioner_stop_network(VwProvisioner *self, const char *name,
                                     GCancellable *cancellable, GError **error);
void vw_provisioner_stop_network_async(VwProvisioner *self, const char *name,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data);
gboolean vw_provisioner_stop_network_finish(VwProvisioner *self, GAsyncResult *result,
                                            GError **error);
gboolean vw_provisioner_stop_network_full(VwProvisioner *self, const char *name, VwStopFlags flags,
                                          GCancellable *cancellable, GError **error);
void vw_provisioner_stop_network_full_async(VwProvisioner *self, const char *name,
                                            VwStopFlags flags, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
gboolean vw_provisioner_stop_network_full_finish(VwProvisioner *self, GAsyncResult *result,
                                                 GError **error);

gboolean vw_provisioner_set_network_autostart(VwProvisioner *self, const char *name,
                                              gboolean autostart, GCancellable *cancellable,
                                              GError **error);
void vw_provisioner_set_network_autostart_async(VwProvisioner *self, const char *name,
                                                gboolean autostart, GCancellable *cancellable,
                                                GAsyncReadyCallback callback, gpointer user_data);
gboolean vw_provisioner_set_network_autostart_finish(VwProvisioner *self, GAsyncResult *result,
                                                     GError **error);

VwNetwork *vw_provisioner_lookup_network(VwProvisioner *self, const char *name,
                                         GCancellable *cancellable, GError **error);
void vw_provisioner_lookup_network_async(VwProvisioner *self, const char *name,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
VwNetwork *vw_provisioner_lookup_network_finish(VwProvisioner *self, GAsyncResult *result,
                                                GError **error);

GList *vw_provisioner_list_networks(VwProvisioner *self, GCancellable *cancellable, GError **error);
void vw_provisioner_list_networks_async(VwProvisioner *self, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
GList *vw_provisioner_list_networks_finish(VwProvisioner *self, GAsyncResult *result,
                                           GError **error);

char *vw_provisioner_get_network_xml(VwProvisioner *self, const char *name, VwNetworkXmlFlags flags,
                                     GCancellable *cancellable, GError **error);
void vw_provisioner_get_network_xml_async(VwProvisioner *self, const char *name,
                                          VwNetworkXmlFlags flags, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
char *vw_provisioner_get_network_xml_finish(VwProvisioner *self, GAsyncResult *result,
                                            GError **error);

/* ports and leases */
VwPort *vw_provisioner_plug_port(VwProvisioner *self, const char *network, const char *domain_uuid,
                                 const char *domain_name, const char *mac, const char *tap,
                                 guint queues, GCancellable *cancellable, GError **error);
void vw_provisioner_plug_port_async(VwProvisioner *self, const char *network,
                                    const char *domain_uuid, const char *domain_name,
                                    const char *mac, const char *tap, guint queues,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
VwPort *vw_provisioner_plug_port_finish(VwProvisioner *self, GAsyncResult *result, GError **error);

gboolean vw_provisioner_unplug_port(VwProvisioner *self, const char *network,
                                    const char *domain_uuid, const char *mac,
                                    GCancellable *cancellable, GError **error);
void vw_provisioner_unplug_port_async(VwProvisioner *self, const char *network,
                                      const char *domain_uuid, const char *mac,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data);
gboolean vw_provisioner_unplug_port_finish(VwProvisioner *self, GAsyncResult *result,
                                           GError **error);

GList *vw_provisioner_list_ports(VwProvisioner *self, const char *network,
                                 GCancellable *cancellable, GError **error);
void vw_provisioner_list_ports_async(VwProvisioner *self, const char *network,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data);
GList *vw_provisioner_list_ports_finish(VwProvisioner *self, GAsyncResult *result, GError **error);

GList *vw_provisioner_list_leases(VwProvisioner *self, const char *network,
                                  GCancellable *cancellable, GError **error);
void vw_provisioner_list_leases_async(VwProvisioner *self, const char *network,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data);
GList *vw_provisioner_list_leases_finish(VwProvisioner *self, GAsyncResult *result, GError **error);

/* what DHCP handed out (dnsmasq's leases) */
GList *vw_provisioner_list_dhcp_leases(VwProvisioner *self, const char *network, const char *mac,
                                       GCancellable *cancellable, GError **error);
void vw_provisioner_list_dhcp_leases_async(VwProvisioner *self, const char *network,
                                           const char *mac, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
GList *vw_provisioner_list_dhcp_leases_finish(VwProvisioner *self, GAsyncResult *result,
                                              GError **error);

/* domain interfaces (libvirt) */
VwPort *vw_provisioner_attach_interface(VwProvisioner *self, const char *domain,
                                        const char *network, const char *mac, const char *model,
                                        guint queues, VwInterfaceFlags flags,
                                        GCancellable *cancellable, GError **error);
void vw_provisioner_attach_interface_async(VwProvisioner *self, const char *domain,
                                           const char *network, const char *mac, const char *model,
                                           guint queues, VwInterfaceFlags flags,
                                           GCancellable *cancellable, GAsyncReadyCallback callback,
                                           gpointer user_data);
VwPort *vw_provisioner_attach_interface_finish(VwProvisioner *self, GAsyncResult *result,
                                               GError **error);

gboolean vw_provisioner_detach_interface(VwProvisioner *self, const char *domain, const char *mac,
                                         VwInterfaceFlags flags, GCancellable *cancellable,
                                         GError **error);
void vw_provisioner_detach_interface_async(VwProvisioner *self, const char *domain, const char *mac,
                                           VwInterfaceFlags flags, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean vw_provisioner_detach_interface_finish(VwProvisioner *self, GAsyncResult *result,
                                                GError **error);

G_END_DECLS
