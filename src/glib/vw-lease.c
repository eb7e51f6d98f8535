#include <config.h>

/*
 * VwLease: read-only properties copied from the engine's VwLeaseInfo.  The
 * provisioner keeps one object per (network, domain UUID, MAC).
 */

#include "vw-glib-private.h"

/**
 * VwLease:
 *
 * The addresses a guest network keeps for one domain NIC, stable for its
 * domain UUID and MAC address; a lease outlives the port (unplugging keeps
 * it) and goes when the NIC is detached.  Its properties change (with
 * #GObject::notify) when vw_provisioner_list_leases() reads it again.
 */
struct _VwLease {
    GObject parent_instance;
    char *network;
    char *domain_uuid;
    char *domain_name;
    char *mac;
    char *ipv4;
    char *ipv6;
    char *hostname;
    gboolean is_static;
};

G_DEFINE_TYPE(VwLease, vw_lease, G_TYPE_OBJECT)

enum {
    PROP_0,
    PROP_NETWORK,
    PROP_DOMAIN_UUID,
    PROP_DOMAIN_NAME,
    PROP_MAC,
    PROP_IPV4,
    PROP_IPV6,
    PROP_HOSTNAME,
    PROP_STATIC,
    N_PROPS,
};

#define FIELD(f) G_STRUCT_OFFSET(VwLease, f)

/**
 * VwLease:network:
 *
 * The guest network that leased the addresses.
 */
/**
 * VwLease:domain-uuid:
 *
 * The UUID of the domain the lease is for.
 */
/**
 * VwLease:domain-name:
 *
 * The domain's name when the lease was last taken, or %NULL.
 */
/**
 * VwLease:mac:
 *
 * The NIC's MAC address, lowercase.
 */
/**
 * VwLease:ipv4:
 *
 * The IPv4 address, or %NULL.
 */
/**
 * VwLease:ipv6:
 *
 * The IPv6 address, or %NULL.
 */
/**
 * VwLease:hostname:
 *
 * The host name DNS gives the address, or %NULL.
 */
/**
 * VwLease:static:
 *
 * Whether the address comes from a static host of the network's definition.
 */
static const VwPropDesc descs[N_PROPS] = {
    [PROP_NETWORK] = { "network", "Its guest network", G_TYPE_STRING, FIELD(network) },
    [PROP_DOMAIN_UUID] = { "domain-uuid", "Its domain's UUID", G_TYPE_STRING, FIELD(domain_uuid) },
    [PROP_DOMAIN_NAME] = { "domain-name", "Its domain's name", G_TYPE_STRING, FIELD(domain_name) },
    [PROP_MAC] = { "mac", "The NIC's MAC address", G_TYPE_STRING, FIELD(mac) },
    [PROP_IPV4] = { "ipv4", "IPv4 address", G_TYPE_STRING, FIELD(ipv4) },
    [PROP_IPV6] = { "ipv6", "IPv6 address", G_TYPE_STRING, FIELD(ipv6) },
    [PROP_HOSTNAME] = { "hostname", "Host name", G_TYPE_STRING, FIELD(hostname) },
    [PROP_STATIC] = { "static", "Whether it is a static host", G_TYPE_BOOLEAN, FIELD(is_static) },
};

static GParamSpec *props[N_PROPS];

static void
vw_lease_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
    vw_props_get(object, descs, N_PROPS, prop_id, value, pspec);
}

static void
vw_lease_finalize(GObject *object)
{
    vw_props_clear(object, descs, N_PROPS);
    G_OBJECT_CLASS(vw_lease_parent_class)->finalize(object);
}

static void
vw_lease_class_init(VwLeaseClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->get_property = vw_lease_get_property;
    object_class->finalize = vw_lease_finalize;
    vw_props_install(object_class, descs, N_PROPS, props);
}

static void
vw_lease_init(VwLease *self G_GNUC_UNUSED)
{
}

VwLease *
vw_lease_new_from_info(const char *network, const VwLeaseInfo *info)
{
    VwLease *self = g_object_new(VW_TYPE_LEASE, NULL);

    vw_lease_update(self, network, info);
    return self;
}

void
vw_lease_update(VwLease *self, const char *network, const VwLeaseInfo *info)
{
    GObject *obj = G_OBJECT(self);

    g_object_freeze_notify(obj);
    vw_object_set_string(obj, &self->network, network, props[PROP_NETWORK]);
    vw_object_set_string(obj, &self->domain_uuid, info->domain_uuid, props[PROP_DOMAIN_UUID]);
    vw_object_set_string(obj, &self->domain_name, info->domain_name, props[PROP_DOMAIN_NAME]);
    vw_object_set_string(obj, &self->mac, info->mac, props[PROP_MAC]);
    vw_object_set_string(obj, &self->ipv4, info->ipv4, props[PROP_IPV4]);
    vw_object_set_string(obj, &self->ipv6, info->ipv6, props[PROP_IPV6]);
    vw_object_set_string(obj, &self->hostname, info->hostname, props[PROP_HOSTNAME]);
    vw_object_set_boolean(obj, &self->is_static, info->is_static, props[PROP_STATIC]);
    g_object_thaw_notify(obj);
}

/**
 * vw_lease_get_network:
 * @lease: a #VwLease
 *
 * Returns: (transfer none): the #VwLease:network
 */
const char *
vw_lease_get_network(VwLease *lease)
{
    g_return_val_if_fail(VW_IS_LEASE(lease), NULL);
    return lease->network;
}

/**
 * vw_lease_get_domain_uuid:
 * @lease: a #VwLease
 *
 * Returns: (transfer none): the #VwLease:domain-uuid
 */
const char *
vw_lease_get_domain_uuid(VwLease *lease)
{
    g_return_val_if_fail(VW_IS_LEASE(lease), NULL);
    return lease->domain_uuid;
}

/**
 * vw_lease_get_domain_name:
 * @lease: a #VwLease
 *
 * Returns: (transfer none) (nullable): the #VwLease:domain-name
 */
const char *
vw_lease_get_domain_name(VwLease *lease)
{
    g_return_val_if_fail(VW_IS_LEASE(lease), NULL);
    return lease->domain_name;
}

/**
 * vw_lease_get_mac:
 * @lease: a #VwLease
 *
 * Returns: (transfer none): the #VwLease:mac address
 */
const char *
vw_lease_get_mac(VwLease *lease)
{
    g_return_val_if_fail(VW_IS_LEASE(lease), NULL);
    return lease->mac;
}

/**
 * vw_lease_get_ipv4:
 * @lease: a #VwLease
 *
 * Returns: (transfer none) (nullable): the #VwLease:ipv4 address
 */
const char *
vw_lease_get_ipv4(VwLease *lease)
{
    g_return_val_if_fail(VW_IS_LEASE(lease), NULL);
    return lease->ipv4;
}

/**
 * vw_lease_get_ipv6:
 * @lease: a #VwLease
 *
 * Returns: (transfer none) (nullable): the #VwLease:ipv6 address
 */
const char *
vw_lease_get_ipv6(VwLease *lease)
{
    g_return_val_if_fail(VW_IS_LEASE(lease), NULL);
    return lease->ipv6;
}

/**
 * vw_lease_get_hostname:
 * @lease: a #VwLease
 *
 * Returns: (transfer none) (nullable): the #VwLease:hostname
 */
const char *
vw_lease_get_hostname(VwLease *lease)
{
    g_return_val_if_fail(VW_IS_LEASE(lease), NULL);
    return lease->hostname;
}

/**
 * vw_lease_get_static:
 * @lease: a #VwLease
 *
 * Returns: whether the lease is a #VwLease:static host
 */
gboolean
vw_lease_get_static(VwLease *lease)
{
    g_return_val_if_fail(VW_IS_LEASE(lease), FALSE);
    return lease->is_static;
}
