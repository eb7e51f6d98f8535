/*
 * VwPort: one domain NIC plugged (or to be plugged) into a guest network.
 */
#pragma once

#if !defined(VIRTWIRE_INSIDE) && !defined(VIRTWIRE_COMPILATION)
#error "Only <virtwire.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * VwPortState:
 * @VW_PORT_STATE_UNPLUGGED: the NIC is in a domain's definition only; its
 *     plumbing is made when the domain starts
 * @VW_PORT_STATE_PLUGGING: a plug was interrupted; the next plug or
 *     reconcile finishes or undoes it
 * @VW_PORT_STATE_PLUGGED: tap, veth pair and redirects are in place
 * @VW_PORT_STATE_UNPLUGGING: an unplug was interrupted
 *
 * Where a port's plumbing stands.
 */
typedef enum {
    VW_PORT_STATE_UNPLUGGED,
    VW_PORT_STATE_PLUGGING,
    VW_PORT_STATE_PLUGGED,
    VW_PORT_STATE_UNPLUGGING,
} VwPortState;

#define VW_TYPE_PORT (vw_port_get_type())
G_DECLARE_FINAL_TYPE(VwPort, vw_port, VW, PORT, GObject)

const char *vw_port_get_network(VwPort *port);
const char *vw_port_get_domain_uuid(VwPort *port);
const char *vw_port_get_domain_name(VwPort *port);
const char *vw_port_get_mac(VwPort *port);
const char *vw_port_get_tap(VwPort *port);
const char *vw_port_get_host(VwPort *port);
const char *vw_port_get_peer(VwPort *port);
guint vw_port_get_queues(VwPort *port);
const char *vw_port_get_ipv4(VwPort *port);
const char *vw_port_get_ipv6(VwPort *port);
VwPortState vw_port_get_state(VwPort *port);

G_END_DECLS
