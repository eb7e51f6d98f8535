#include <config.h>

/*
 * VwPort: read-only properties copied from the engine's VwPortInfo.  The
 * provisioner keeps one object per (network, domain UUID, MAC) while the
 * port is plugged.
 */

#include <string.h>

#include "vw-glib-private.h"

/**
 * VwPort:
 *
 * One domain NIC of a guest network: a tap in the host's network namespace
 * that QEMU opens, joined by tc redirects to a veth pair whose peer is on
 * the network's bridge.  Its properties are what the #VwProvisioner saw
 * last; they change (with #GObject::notify) when the provisioner reads the
 * port again.
 */
struct _VwPort {
    GObject parent_instance;
    char *network;
    char *domain_uuid;
    char *domain_name;
    char *mac;
    char *tap;
    char *host;
    char *peer;
    guint queues;
    char *ipv4;
    char *ipv6;
    VwPortState state;
};

G_DEFINE_TYPE(VwPort, vw_port, G_TYPE_OBJECT)

enum {
    PROP_0,
    PROP_NETWORK,
    PROP_DOMAIN_UUID,
    PROP_DOMAIN_NAME,
    PROP_MAC,
    PROP_TAP,
    PROP_HOST,
    PROP_PEER,
    PROP_QUEUES,
    PROP_IPV4,
    PROP_IPV6,
    PROP_STATE,
    N_PROPS,
};

#define FIELD(f) G_STRUCT_OFFSET(VwPort, f)

/**
 * VwPort:network:
 *
 * The guest network the port belongs to.
 */
/**
 * VwPort:domain-uuid:
 *
 * The UUID of the domain whose NIC this is.
 */
/**
 * VwPort:domain-name:
 *
 * The domain's name, when known.
 */
/**
 * VwPort:mac:
 *
 * The NIC's MAC address, lowercase.
 */
/**
 * VwPort:tap:
 *
 * The tap QEMU opens, in the host's network namespace.
 */
/**
 * VwPort:host:
 *
 * The host end of the veth pair (%NULL for a port not plugged).
 */
/**
 * VwPort:peer:
 *
 * The veth end on the bridge, in the network's namespace (%NULL for a port
 * not plugged).
 */
/**
 * VwPort:queues:
 *
 * The number of queues of the tap (0 or 1: one queue).
 */
/**
 * VwPort:ipv4:
 *
 * The IPv4 address leased to the NIC, or %NULL.
 */
/**
 * VwPort:ipv6:
 *
 * The IPv6 address leased to the NIC, or %NULL.
 */
/**
 * VwPort:state:
 *
 * Where the port's plumbing stands.
 */
static const VwPropDesc descs[N_PROPS] = {
    [PROP_NETWORK] = { "network", "Its guest network", G_TYPE_STRING, FIELD(network) },
    [PROP_DOMAIN_UUID] = { "domain-uuid", "Its domain's UUID", G_TYPE_STRING, FIELD(domain_uuid) },
    [PROP_DOMAIN_NAME] = { "domain-name", "Its domain's name", G_TYPE_STRING, FIELD(domain_name) },
    [PROP_MAC] = { "mac", "The NIC's MAC address", G_TYPE_STRING, FIELD(mac) },
    [PROP_TAP] = { "tap", "The tap", G_TYPE_STRING, FIELD(tap) },
    [PROP_HOST] = { "host", "Host end of the veth pair", G_TYPE_STRING, FIELD(host) },
    [PROP_PEER] = { "peer", "Bridge end of the veth pair", G_TYPE_STRING, FIELD(peer) },
    [PROP_QUEUES] = { "queues", "Queues of the tap", G_TYPE_UINT, FIELD(queues) },
    [PROP_IPV4] = { "ipv4", "Leased IPv4 address", G_TYPE_STRING, FIELD(ipv4) },
    [PROP_IPV6] = { "ipv6", "Leased IPv6 address", G_TYPE_STRING, FIELD(ipv6) },
    /* type filled in by class_init: VW_TYPE_PORT_STATE is not a constant */
    [PROP_STATE] = { "state", "Where the plumbing stands", G_TYPE_INVALID, FIELD(state) },
};

static GParamSpec *props[N_PROPS];

static void
vw_port_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
    vw_props_get(object, descs, N_PROPS, prop_id, value, pspec);
}

static void
vw_port_finalize(GObject *object)
{
    vw_props_clear(object, descs, N_PROPS);
    G_OBJECT_CLASS(vw_port_parent_class)->finalize(object);
}

static void
vw_port_class_init(VwPortClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    VwPropDesc table[N_PROPS];

    object_class->get_property = vw_port_get_property;
    object_class->finalize = vw_port_finalize;
    memcpy(table, descs, sizeof(table));
    table[PROP_STATE].type = VW_TYPE_PORT_STATE;
    vw_props_install(object_class, table, N_PROPS, props);
}

static void
vw_port_init(VwPort *self G_GNUC_UNUSED)
{
}

static VwPortState
port_state(const char *state)
{
    if (g_strcmp0(state, "plugged") == 0)
        return VW_PORT_STATE_PLUGGED;
    if (g_strcmp0(state, "plugging") == 0)
        return VW_PORT_STATE_PLUGGING;
    if (g_strcmp0(state, "unplugging") == 0)
        return VW_PORT_STATE_UNPLUGGING;
    return VW_PORT_STATE_UNPLUGGED;
}

VwPort *
vw_port_new_from_info(const VwPortInfo *info)
{
    VwPort *self = g_object_new(VW_TYPE_PORT, NULL);

    vw_port_update(self, info);
    return self;
}

void
vw_port_update(VwPort *self, const VwPortInfo *info)
{
    GObject *obj = G_OBJECT(self);
    VwPortState state = port_state(info->state);

    g_object_freeze_notify(obj);
    vw_object_set_string(obj, &self->network, info->network, props[PROP_NETWORK]);
    vw_object_set_string(obj, &self->domain_uuid, info->domain_uuid, props[PROP_DOMAIN_UUID]);
    vw_object_set_string(obj, &self->domain_name, info->domain_name, props[PROP_DOMAIN_NAME]);
    vw_object_set_string(obj, &self->mac, info->mac, props[PROP_MAC]);
    vw_object_set_string(obj, &self->tap, info->tap, props[PROP_TAP]);
    vw_object_set_string(obj, &self->host, info->host, props[PROP_HOST]);
    vw_object_set_string(obj, &self->peer, info->peer, props[PROP_PEER]);
    vw_object_set_uint(obj, &self->queues, info->queues, props[PROP_QUEUES]);
    vw_object_set_string(obj, &self->ipv4, info->ipv4, props[PROP_IPV4]);
    vw_object_set_string(obj, &self->ipv6, info->ipv6, props[PROP_IPV6]);
    if (self->state != state) {
        self->state = state;
        g_object_notify_by_pspec(obj, props[PROP_STATE]);
    }
    g_object_thaw_notify(obj);
}

/**
 * vw_port_get_network:
 * @port: a #VwPort
 *
 * Returns: (transfer none): the #VwPort:network
 */
const char *
vw_port_get_network(VwPort *port)
{
    g_return_val_if_fail(VW_IS_PORT(port), NULL);
    return port->network;
}

/**
 * vw_port_get_domain_uuid:
 * @port: a #VwPort
 *
 * Returns: (transfer none): the #VwPort:domain-uuid
 */
const char *
vw_port_get_domain_uuid(VwPort *port)
{
    g_return_val_if_fail(VW_IS_PORT(port), NULL);
    return port->domain_uuid;
}

/**
 * vw_port_get_domain_name:
 * @port: a #VwPort
 *
 * Returns: (transfer none) (nullable): the #VwPort:domain-name
 */
const char *
vw_port_get_domain_name(VwPort *port)
{
    g_return_val_if_fail(VW_IS_PORT(port), NULL);
    return port->domain_name;
}

/**
 * vw_port_get_mac:
 * @port: a #VwPort
 *
 * Returns: (transfer none): the #VwPort:mac address
 */
const char *
vw_port_get_mac(VwPort *port)
{
    g_return_val_if_fail(VW_IS_PORT(port), NULL);
    return port->mac;
}

/**
 * vw_port_get_tap:
 * @port: a #VwPort
 *
 * Returns: (transfer none): the #VwPort:tap
 */
const char *
vw_port_get_tap(VwPort *port)
{
    g_return_val_if_fail(VW_IS_PORT(port), NULL);
    return port->tap;
}

/**
 * vw_port_get_host:
 * @port: a #VwPort
 *
 * Returns: (transfer none) (nullable): the #VwPort:host end of the veth pair
 */
const char *
vw_port_get_host(VwPort *port)
{
    g_return_val_if_fail(VW_IS_PORT(port), NULL);
    return port->host;
}

/**
 * vw_port_get_peer:
 * @port: a #VwPort
 *
 * Returns: (transfer none) (nullable): the #VwPort:peer on the bridge
 */
const char *
vw_port_get_peer(VwPort *port)
{
    g_return_val_if_fail(VW_IS_PORT(port), NULL);
    return port->peer;
}

/**
 * vw_port_get_queues:
 * @port: a #VwPort
 *
 * Returns: the #VwPort:queues of the tap
 */
guint
vw_port_get_queues(VwPort *port)
{
    g_return_val_if_fail(VW_IS_PORT(port), 0);
    return port->queues;
}

/**
 * vw_port_get_ipv4:
 * @port: a #VwPort
 *
 * Returns: (transfer none) (nullable): the leased #VwPort:ipv4 address
 */
const char *
vw_port_get_ipv4(VwPort *port)
{
    g_return_val_if_fail(VW_IS_PORT(port), NULL);
    return port->ipv4;
}

/**
 * vw_port_get_ipv6:
 * @port: a #VwPort
 *
 * Returns: (transfer none) (nullable): the leased #VwPort:ipv6 address
 */
const char *
vw_port_get_ipv6(VwPort *port)
{
    g_return_val_if_fail(VW_IS_PORT(port), NULL);
    return port->ipv6;
}

/**
 * vw_port_get_state:
 * @port: a #VwPort
 *
 * Returns: the #VwPort:state
 */
VwPortState
vw_port_get_state(VwPort *port)
{
    g_return_val_if_fail(VW_IS_PORT(port), VW_PORT_STATE_UNPLUGGED);
    return port->state;
}
