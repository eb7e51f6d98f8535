#include <config.h>

/*
 * VwNetwork: read-only properties copied from the engine's VwNetworkInfo.
 * The provisioner keeps one object per network name and refreshes it, in
 * its main context, whenever an operation reads the network again.
 */

#include "vw-glib-private.h"

/**
 * VwNetwork:
 *
 * A guest network: a bridge in its own network namespace, with its
 * addressing, DHCP and cgroup partition.  Its properties are what the
 * #VwProvisioner saw last; they change (with #GObject::notify) when the
 * provisioner reads the network again, e.g. after
 * vw_provisioner_start_network() or vw_provisioner_list_networks().
 */
struct _VwNetwork {
    GObject parent_instance;
    char *name;
    char *uuid;
    char *netns;
    char *bridge;
    char *partition;
    char *forward;
    char *ipv4;
    char *ipv6;
    gboolean active;
    gboolean autostart;
    guint n_ports;
    guint n_leases;
};

G_DEFINE_TYPE(VwNetwork, vw_network, G_TYPE_OBJECT)

enum {
    PROP_0,
    PROP_NAME,
    PROP_UUID,
    PROP_NETNS,
    PROP_BRIDGE,
    PROP_PARTITION,
    PROP_FORWARD,
    PROP_IPV4,
    PROP_IPV6,
    PROP_ACTIVE,
    PROP_AUTOSTART,
    PROP_N_PORTS,
    PROP_N_LEASES,
    N_PROPS,
};

#define FIELD(f) G_STRUCT_OFFSET(VwNetwork, f)

/**
 * VwNetwork:name:
 *
 * The network's name.
 */
/**
 * VwNetwork:uuid:
 *
 * The network's UUID.
 */
/**
 * VwNetwork:netns:
 *
 * The network namespace the bridge lives in, as `ip netns` names it.
 */
/**
 * VwNetwork:bridge:
 *
 * The bridge's interface name inside #VwNetwork:netns.
 */
/**
 * VwNetwork:partition:
 *
 * The libvirt resource partition of its domains, "/virtwire/NAME".
 */
/**
 * VwNetwork:forward:
 *
 * The forward mode: "isolated", "nat" or "routed".
 */
/**
 * VwNetwork:ipv4:
 *
 * The IPv4 gateway with the subnet's prefix length ("192.0.2.1/24"), or
 * %NULL when the network has no IPv4 subnet.
 */
/**
 * VwNetwork:ipv6:
 *
 * The IPv6 gateway with the subnet's prefix length, or %NULL.
 */
/**
 * VwNetwork:active:
 *
 * Whether the network is running.
 */
/**
 * VwNetwork:autostart:
 *
 * Whether the network is started with the host.
 */
/**
 * VwNetwork:n-ports:
 *
 * The number of ports plugged (0 while the network is inactive).
 */
/**
 * VwNetwork:n-leases:
 *
 * The number of addresses leased.
 */
static const VwPropDesc descs[N_PROPS] = {
    [PROP_NAME] = { "name", "The network's name", G_TYPE_STRING, FIELD(name) },
    [PROP_UUID] = { "uuid", "The network's UUID", G_TYPE_STRING, FIELD(uuid) },
    [PROP_NETNS] = { "netns", "Its network namespace", G_TYPE_STRING, FIELD(netns) },
    [PROP_BRIDGE] = { "bridge", "Its bridge", G_TYPE_STRING, FIELD(bridge) },
    [PROP_PARTITION] = { "partition", "Partition of its domains", G_TYPE_STRING, FIELD(partition) },
    [PROP_FORWARD] = { "forward", "Forward mode", G_TYPE_STRING, FIELD(forward) },
    [PROP_IPV4] = { "ipv4", "IPv4 gateway/prefix", G_TYPE_STRING, FIELD(ipv4) },
    [PROP_IPV6] = { "ipv6", "IPv6 gateway/prefix", G_TYPE_STRING, FIELD(ipv6) },
    [PROP_ACTIVE] = { "active", "Whether it runs", G_TYPE_BOOLEAN, FIELD(active) },
    [PROP_AUTOSTART] = { "autostart", "Whether it starts at boot", G_TYPE_BOOLEAN,
                         FIELD(autostart) },
    [PROP_N_PORTS] = { "n-ports", "Ports plugged", G_TYPE_UINT, FIELD(n_ports) },
    [PROP_N_LEASES] = { "n-leases", "Addresses leased", G_TYPE_UINT, FIELD(n_leases) },
};

static GParamSpec *props[N_PROPS];

static void
vw_network_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
    vw_props_get(object, descs, N_PROPS, prop_id, value, pspec);
}

static void
vw_network_finalize(GObject *object)
{
    vw_props_clear(object, descs, N_PROPS);
    G_OBJECT_CLASS(vw_network_parent_class)->finalize(object);
}

static void
vw_network_class_init(VwNetworkClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->get_property = vw_network_get_property;
    object_class->finalize = vw_network_finalize;
    vw_props_install(object_class, descs, N_PROPS, props);
}

static void
vw_network_init(VwNetwork *self G_GNUC_UNUSED)
{
}

VwNetwork *
vw_network_new_from_info(const VwNetworkInfo *info)
{
    VwNetwork *self = g_object_new(VW_TYPE_NETWORK, NULL);

    vw_network_update(self, info);
    return self;
}

void
vw_network_update(VwNetwork *self, const VwNetworkInfo *info)
{
    GObject *obj = G_OBJECT(self);

    g_object_freeze_notify(obj);
    vw_object_set_string(obj, &self->name, info->name, props[PROP_NAME]);
    vw_object_set_string(obj, &self->uuid, info->uuid, props[PROP_UUID]);
    vw_object_set_string(obj, &self->netns, info->netns, props[PROP_NETNS]);
    vw_object_set_string(obj, &self->bridge, info->bridge, props[PROP_BRIDGE]);
    vw_object_set_string(obj, &self->partition, info->partition, props[PROP_PARTITION]);
    vw_object_set_string(obj, &self->forward, info->forward, props[PROP_FORWARD]);
    vw_object_set_string(obj, &self->ipv4, info->ipv4, props[PROP_IPV4]);
    vw_object_set_string(obj, &self->ipv6, info->ipv6, props[PROP_IPV6]);
    vw_object_set_boolean(obj, &self->active, info->active, props[PROP_ACTIVE]);
    vw_object_set_boolean(obj, &self->autostart, info->autostart, props[PROP_AUTOSTART]);
    vw_object_set_uint(obj, &self->n_ports, info->n_ports, props[PROP_N_PORTS]);
    vw_object_set_uint(obj, &self->n_leases, info->n_leases, props[PROP_N_LEASES]);
    g_object_thaw_notify(obj);
}

/**
 * vw_network_get_name:
 * @network: a #VwNetwork
 *
 * Returns: (transfer none): the #VwNetwork:name
 */
const char *
vw_network_get_name(VwNetwork *network)
{
    g_return_val_if_fail(VW_IS_NETWORK(network), NULL);
    return network->name;
}

/**
 * vw_network_get_uuid:
 * @network: a #VwNetwork
 *
 * Returns: (transfer none): the #VwNetwork:uuid
 */
const char *
vw_network_get_uuid(VwNetwork *network)
{
    g_return_val_if_fail(VW_IS_NETWORK(network), NULL);
    return network->uuid;
}

/**
 * vw_network_get_netns:
 * @network: a #VwNetwork
 *
 * Returns: (transfer none): the #VwNetwork:netns
 */
const char *
vw_network_get_netns(VwNetwork *network)
{
    g_return_val_if_fail(VW_IS_NETWORK(network), NULL);
    return network->netns;
}

/**
 * vw_network_get_bridge:
 * @network: a #VwNetwork
 *
 * Returns: (transfer none): the #VwNetwork:bridge
 */
const char *
vw_network_get_bridge(VwNetwork *network)
{
    g_return_val_if_fail(VW_IS_NETWORK(network), NULL);
    return network->bridge;
}

/**
 * vw_network_get_partition:
 * @network: a #VwNetwork
 *
 * Returns: (transfer none): the #VwNetwork:partition
 */
const char *
vw_network_get_partition(VwNetwork *network)
{
    g_return_val_if_fail(VW_IS_NETWORK(network), NULL);
    return network->partition;
}

/**
 * vw_network_get_forward:
 * @network: a #VwNetwork
 *
 * Returns: (transfer none): the #VwNetwork:forward mode
 */
const char *
vw_network_get_forward(VwNetwork *network)
{
    g_return_val_if_fail(VW_IS_NETWORK(network), NULL);
    return network->forward;
}

/**
 * vw_network_get_ipv4:
 * @network: a #VwNetwork
 *
 * Returns: (transfer none) (nullable): the #VwNetwork:ipv4 gateway
 */
const char *
vw_network_get_ipv4(VwNetwork *network)
{
    g_return_val_if_fail(VW_IS_NETWORK(network), NULL);
    return network->ipv4;
}

/**
 * vw_network_get_ipv6:
 * @network: a #VwNetwork
 *
 * Returns: (transfer none) (nullable): the #VwNetwork:ipv6 gateway
 */
const char *
vw_network_get_ipv6(VwNetwork *network)
{
    g_return_val_if_fail(VW_IS_NETWORK(network), NULL);
    return network->ipv6;
}

/**
 * vw_network_get_active:
 * @network: a #VwNetwork
 *
 * Returns: the #VwNetwork:active flag
 */
gboolean
vw_network_get_active(VwNetwork *network)
{
    g_return_val_if_fail(VW_IS_NETWORK(network), FALSE);
    return network->active;
}

/**
 * vw_network_get_autostart:
 * @network: a #VwNetwork
 *
 * Returns: the #VwNetwork:autostart flag
 */
gboolean
vw_network_get_autostart(VwNetwork *network)
{
    g_return_val_if_fail(VW_IS_NETWORK(network), FALSE);
    return network->autostart;
}

/**
 * vw_network_get_n_ports:
 * @network: a #VwNetwork
 *
 * Returns: the #VwNetwork:n-ports count
 */
guint
vw_network_get_n_ports(VwNetwork *network)
{
    g_return_val_if_fail(VW_IS_NETWORK(network), 0);
    return network->n_ports;
}

/**
 * vw_network_get_n_leases:
 * @network: a #VwNetwork
 *
 * Returns: the #VwNetwork:n-leases count
 */
guint
vw_network_get_n_leases(VwNetwork *network)
{
    g_return_val_if_fail(VW_IS_NETWORK(network), 0);
    return network->n_leases;
}
