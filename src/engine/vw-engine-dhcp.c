#include <config.h>

#include <string.h>

#include "vw-engine-dhcp.h"
#include "vw-engine-private.h"

GPtrArray *
vw_engine_dhcp_lease_list(VwEngine *engine, const char *network, const guint8 *mac, GError **error)
{
    g_autoptr(VwNetDef) def = NULL;
    g_autoptr(GPtrArray) all = NULL;
    g_autofree char *run_dir = NULL;
    GPtrArray *out;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;

    g_return_val_if_fail(engine != NULL, NULL);
    g_return_val_if_fail(network != NULL, NULL);

    if (!engine_name_check(network, error))
        return NULL;
    def = engine_load_running_def(engine, network, error);
    if (!def)
        return NULL;
    run_dir = engine_net_run_dir(engine, network);
    all = vw_dnsmasq_leases_read(run_dir, error);
    if (!all)
        return NULL;
    out = g_ptr_array_new_with_free_func((GDestroyNotify)vw_dnsmasq_lease_free);
    for (guint i = 0; i < all->len; i++) {
        VwDnsmasqLease *l = all->pdata[i];
        const VwIpDef *ip = l->ipv6 ? def->ipv6 : def->ipv4;

        /* dnsmasq drops an expired lease from its file only when it next
         * rewrites it; virsh does not show one either. */
        if (l->expiry != 0 && l->expiry < now)
            continue;
        if (mac && (!l->has_mac || memcmp(l->mac, mac, 6) != 0))
            continue;
        l->prefix = ip ? ip->prefix : (l->ipv6 ? 128 : 32);
        g_ptr_array_add(out, g_steal_pointer(&all->pdata[i]));
    }
    return out;
}
