#include <config.h>

/*
 * Reconcile: make the kernel agree with the state files, and the state
 * files with the set of live domains.  Interrupted operations are finished
 * (stops, unplugs) or undone (plugs) or resumed (starts); what an active
 * network or a plugged port lacks is made again; links, netns, dnsmasq
 * processes, nftables tables and cgroup partitions that virtwire made but
 * nothing claims are collected.
 */

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "vw-atomic.h"
#include "vw-dnsmasq.h"
#include "vw-engine-private.h"
#include "vw-ipam.h"
#include "vw-names.h"
#include "vw-net-error.h"
#include "vw-guard.h"
#include "vw-netns.h"
#include "vw-nft.h"

typedef struct {
    VwEngine *engine;
    const char *const *live;
    VwReconcileReport *report;
    GError **error;
    gboolean ok;
    GHashTable *claimed_links;  /* link names that records claim */
    GHashTable *claimed_netns;  /* netns of active networks */
    GHashTable *claimed_tables; /* networks whose nft table is wanted */
    GHashTable *our_groups;     /* netdev groups of this root's active networks */
} Reconcile;

static void
fail(Reconcile *r, GError *local)
{
    r->ok = FALSE;
    engine_keep_first(r->error, local);
}

static gboolean
is_live(Reconcile *r, const char *uuid)
{
    if (!r->live)
        return TRUE;
    for (const char *const *p = r->live; *p; p++)
        if (g_ascii_strcasecmp(*p, uuid) == 0)
            return TRUE;
    return FALSE;
}

static void
claim_port(Reconcile *r, const PortRecord *rec)
{
    g_hash_table_add(r->claimed_links, g_strdup(rec->tap));
    g_hash_table_add(r->claimed_links, g_strdup(rec->host));
}

/* The ports of an active network, with its lock held. */
static void
reconcile_ports(Reconcile *r, const VwNetDef *def, const NetStatus *st, VwRtnl *host)
{
    g_autoptr(GPtrArray) ports = NULL;
    EngineNs ns = ENGINE_NS_INIT;
    GError *local = NULL;

    ports = engine_read_ports(r->engine, def->name, &local);
    if (!ports) {
        fail(r, local);
        return;
    }
    for (guint i = 0; i < ports->len; i++) {
        PortRecord *rec = ports->pdata[i];
        g_autofree char *path =
            engine_port_file(r->engine, def->name, rec->domain_uuid, rec->mac);

        if (!is_live(r, rec->domain_uuid)) {
            /* The domain is gone: its port and its lease go too. */
            g_autofree char *leases = vw_paths_leases_file(r->engine->paths, def->name);
            g_autoptr(VwLeaseDb) db = NULL;

            if (!engine_port_remove_plumbing(host, rec, FALSE, &local) ||
                !vw_file_remove(path, &local)) {
                fail(r, local);
                continue;
            }
            db = vw_lease_db_load(leases, def, &local);
            if (!db || (vw_lease_db_release_domain(db, rec->domain_uuid) &&
                        !vw_lease_db_save(db, &local))) {
                fail(r, local);
                continue;
            }
            r->report->ports_collected++;
            continue;
        }
        switch (rec->state) {
        case PORT_PLUGGED:
            claim_port(r, rec);
            if (engine_port_is_whole(host, rec))
                break;
            if (!engine_port_remove_plumbing(host, rec, TRUE, &local) ||
                !engine_port_plumb(host, &ns, def, st, rec, &local)) {
                fail(r, local);
                break;
            }
            r->report->ports_repaired++;
            break;
        case PORT_PLUGGING:
        case PORT_UNPLUGGING:
            /* An interrupted plug is undone (the hook that ran it failed,
             * or will run again); an interrupted unplug is finished. */
            if (!engine_port_remove_plumbing(host, rec, FALSE, &local)) {
                fail(r, local);
                break;
            }
            if (rec->state == PORT_PLUGGING && rec->new_lease) {
                g_autofree char *leases = vw_paths_leases_file(r->engine->paths, def->name);
                g_autoptr(VwLeaseDb) db = vw_lease_db_load(leases, def, NULL);

                if (db && vw_lease_db_release(db, rec->domain_uuid, rec->mac))
                    vw_lease_db_save(db, NULL);
            }
            if (!vw_file_remove(path, &local)) {
                fail(r, local);
                break;
            }
            r->report->ports_rolled_back++;
            break;
        }
    }
    engine_ns_clear(&ns);
    if (!engine_update_dhcp_hosts(r->engine, def, &local))
        fail(r, local);
    else if (!engine_guard_sync(r->engine, def, &local))
        fail(r, local);
}

static void
reconcile_network(Reconcile *r, const char *name, VwRtnl *host)
{
    g_autoptr(VwLock) lock = NULL;
    g_autoptr(VwNetDef) def = NULL;
    NetStatus st;
    GError *local = NULL;

    lock = engine_lock_network(r->engine, name, &local);
    if (!lock || !engine_read_status(r->engine, name, &st, &local)) {
        fail(r, local);
        return;
    }
    if (st.state == NET_INACTIVE)
        return;
    def = engine_load_running_def(r->engine, name, &local);
    if (!def) {
        fail(r, local);
        return;
    }
    if (st.state == NET_STOPPING) {
        g_autofree char *run_dir = engine_net_run_dir(r->engine, name);
        NetStatus inactive = { NET_INACTIVE, 0 };

        if (!engine_net_stop_steps(r->engine, def, &st, &local) ||
            !engine_write_status(r->engine, name, &inactive, &local)) {
            fail(r, local);
            return;
        }
        engine_release_index(r->engine, name, st.index);
        r->report->networks_finished++;
        return;
    }
    if (st.state == NET_STARTING || !engine_net_is_whole(r->engine, def, &st)) {
        if (!engine_net_start_steps(r->engine, def, &st, &local)) {
            fail(r, local);
            return;
        }
        if (st.state == NET_STARTING) {
            st.state = NET_ACTIVE;
            if (!engine_write_status(r->engine, name, &st, &local)) {
                fail(r, local);
                return;
            }
            r->report->networks_finished++;
        } else {
            r->report->networks_repaired++;
        }
    }
    g_hash_table_add(r->claimed_netns, g_strdup(def->netns));
    g_hash_table_add(r->our_groups, GUINT_TO_POINTER(engine_group(st.index)));
    if (def->forward == VW_FORWARD_NAT && def->ipv4)
        g_hash_table_add(r->claimed_tables, g_strdup(def->name));
    {
        /* The uplink's host end belongs to the network. */
        g_autoptr(GPtrArray) links = vw_rtnl_link_list(host, VW_NETWORK_ALIAS_PREFIX, NULL);
        g_autofree char *alias = engine_network_alias(r->engine, def);

        for (guint i = 0; links && i < links->len; i++) {
            VwLink *l = links->pdata[i];

            if (g_strcmp0(l->alias, alias) == 0)
                g_hash_table_add(r->claimed_links, g_strdup(l->name));
        }
    }
    reconcile_ports(r, def, &st, host);
}

/*
 * The leases of domains that no longer exist, as CNI's GC releases them:
 * a lease whose domain is not in the live set (libvirt's domains, running
 * or not: a stopped domain keeps its lease) and has no port record (those
 * are reconcile_ports()'s) goes, in an active network or not.
 */
static void
collect_leases(Reconcile *r, const char *name)
{
    g_autoptr(VwLock) lock = NULL;
    g_autoptr(VwNetDef) def = NULL;
    g_autoptr(VwLeaseDb) db = NULL;
    g_autoptr(GPtrArray) ports = NULL;
    g_autoptr(GPtrArray) leases = NULL;
    g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *path = NULL;
    guint released = 0;
    NetStatus st;
    GError *local = NULL;

    if (!r->live)
        return;
    lock = engine_lock_network(r->engine, name, &local);
    if (!lock || !engine_read_status(r->engine, name, &st, &local)) {
        fail(r, local);
        return;
    }
    def = st.state == NET_INACTIVE ? engine_load_def(r->engine, name, &local)
                                   : engine_load_running_def(r->engine, name, &local);
    ports = def ? engine_read_ports(r->engine, name, &local) : NULL;
    path = vw_paths_leases_file(r->engine->paths, name);
    db = ports ? vw_lease_db_load(path, def, &local) : NULL;
    if (!db) {
        fail(r, local);
        return;
    }
    leases = vw_lease_db_list(db);
    for (guint i = 0; i < leases->len; i++) {
        const VwLeaseRecord *l = leases->pdata[i];
        gboolean has_port = FALSE;

        if (is_live(r, l->domain_uuid))
            continue;
        for (guint j = 0; j < ports->len && !has_port; j++)
            has_port = g_ascii_strcasecmp(((PortRecord *)ports->pdata[j])->domain_uuid,
                                          l->domain_uuid) == 0;
        if (!has_port && !g_ptr_array_find_with_equal_func(gone, l->domain_uuid, g_str_equal, NULL))
            g_ptr_array_add(gone, g_strdup(l->domain_uuid));
    }
    g_clear_pointer(&leases, g_ptr_array_unref);
    for (guint i = 0; i < gone->len; i++)
        released += vw_lease_db_release_domain(db, gone->pdata[i]);
    if (released == 0)
        return;
    if (!vw_lease_db_save(db, &local) ||
        (st.state == NET_ACTIVE && !engine_update_dhcp_hosts(r->engine, def, &local))) {
        fail(r, local);
        return;
    }
    r->report->leases_collected += released;
}

static gboolean
is_defined(char **names, const char *name)
{
    return name && g_strv_contains((const char *const *)names, name);
}

/* Links in the host netns with a virtwire alias that nothing claims: ports
 * of networks of this root, and network links tagged with this root. */
static void
collect_links(Reconcile *r, VwRtnl *host, char **names)
{
    g_autofree char *ours = g_strdup_printf(VW_NETWORK_ALIAS_PREFIX "%s:", r->engine->root_tag);
    const char *prefixes[] = { VW_PORT_ALIAS_PREFIX, ours };
    GError *local = NULL;

    for (guint p = 0; p < G_N_ELEMENTS(prefixes); p++) {
        g_autoptr(GPtrArray) links = vw_rtnl_link_list(host, prefixes[p], &local);

        if (!links) {
            fail(r, local);
            return;
        }
        for (guint i = 0; i < links->len; i++) {
            VwLink *l = links->pdata[i];

            if (g_hash_table_contains(r->claimed_links, l->name))
                continue;
            if (p == 0) {
                g_autofree char *net = NULL, *uuid = NULL, *mac = NULL, *role = NULL;

                /* A port of another root's network of the same name is in
                 * that network's group, never in one of ours. */
                if (!vw_port_alias_parse(l->alias, &net, &uuid, &mac, &role) ||
                    !is_defined(names, net) ||
                    !g_hash_table_contains(r->our_groups, GUINT_TO_POINTER(l->group)))
                    continue;
            }
            if (!vw_rtnl_link_delete(host, l->name, &local) &&
                !g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND)) {
                fail(r, local);
                continue;
            }
            g_clear_error(&local);
            r->report->links_collected++;
        }
    }
}

/* A netns is this root's when a link in it carries this root's tag. */
static gboolean
netns_is_ours(Reconcile *r, const char *name)
{
    g_autofree char *ours = g_strdup_printf(VW_NETWORK_ALIAS_PREFIX "%s:", r->engine->root_tag);
    g_autoptr(VwRtnl) ns = vw_rtnl_open_netns(name, NULL);
    g_autoptr(GPtrArray) links = ns ? vw_rtnl_link_list(ns, ours, NULL) : NULL;

    return links && links->len > 0;
}

static void
collect_netns(Reconcile *r)
{
    g_auto(GStrv) names = NULL;
    GError *local = NULL;

    names = vw_netns_list(&local);
    if (!names) {
        fail(r, local);
        return;
    }
    for (char **n = names; *n; n++) {
        if (g_hash_table_contains(r->claimed_netns, *n) || !netns_is_ours(r, *n))
            continue;
        if (!vw_netns_delete(*n, &local)) {
            fail(r, local);
            continue;
        }
        r->report->netns_collected++;
    }
}

static void
collect_tables(Reconcile *r, char **names)
{
    g_auto(GStrv) tables = NULL;
    GError *local = NULL;

    tables = vw_nft_list_tables(VW_NFT_TABLE_PREFIX, &local);
    if (!tables) {
        fail(r, local);
        return;
    }
    for (char **t = tables; *t; t++) {
        const char *net = *t + strlen(VW_NFT_TABLE_PREFIX);

        if (!is_defined(names, net) || g_hash_table_contains(r->claimed_tables, net))
            continue;
        if (!vw_nft_nat_delete(net, &local)) {
            fail(r, local);
            continue;
        }
        r->report->nft_collected++;
    }
}

/* The host tables of vw-guard.c whose network is not active. */
static void
collect_guards(Reconcile *r)
{
    GError *local = NULL;

    if (!engine_guard_collect(r->engine, &r->report->nft_collected, &local))
        fail(r, local);
}

/* dnsmasq, cgroup partition and run directory of a network that is not
 * active (defined or not). */
static void
collect_inactive(Reconcile *r, const char *name)
{
    g_autofree char *run_dir = engine_net_run_dir(r->engine, name);
    g_autofree char *partition = NULL;
    const VwCgroupLayout *cg;
    GError *local = NULL;

    if (engine_net_is_active(r->engine, name))
        return;
    if (vw_dnsmasq_running(run_dir)) {
        if (!vw_dnsmasq_stop(run_dir, &local))
            fail(r, local);
        else
            r->report->dnsmasq_collected++;
    }
    cg = engine_cgroups(r->engine, NULL);
    partition = vw_cgroup_partition_for_network(name, NULL);
    if (cg && partition && vw_cgroup_partition_exists(cg, partition)) {
        if (!vw_cgroup_partition_remove(cg, partition, &local))
            fail(r, local);
        else
            r->report->cgroups_collected++;
    }
}

/* Names of the networks with a run directory (defined or not). */
static char **
run_dir_names(VwEngine *engine)
{
    g_autofree char *base = g_build_filename(engine->paths->run_dir, "networks", NULL);
    g_autoptr(GDir) dir = g_dir_open(base, 0, NULL);
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    const char *f;

    while (dir && (f = g_dir_read_name(dir)))
        if (engine_name_check(f, NULL))
            g_strv_builder_add(b, f);
    return g_strv_builder_end(b);
}

gboolean
vw_engine_reconcile(VwEngine *engine, const char *const *live_domains,
                    VwReconcileReport *report, GError **error)
{
    VwReconcileReport dummy;
    g_autoptr(VwRtnl) host = NULL;
    g_auto(GStrv) names = NULL;
    g_autoptr(GHashTable) links = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) netns = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) tables = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) groups = g_hash_table_new(NULL, NULL);
    Reconcile r = { engine, live_domains, report ? report : &dummy, error, TRUE,
                    links,  netns,        tables, groups };

    g_return_val_if_fail(engine != NULL, FALSE);
    memset(r.report, 0, sizeof(*r.report));
    host = vw_rtnl_open(-1, error);
    if (!host)
        return FALSE;
    names = engine_defined_names(engine, error);
    if (!names)
        return FALSE;
    for (char **n = names; *n; n++) {
        reconcile_network(&r, *n, host);
        collect_leases(&r, *n);
    }
    /* Collection needs every network's claims, so it comes last; it runs
     * only when every network could be looked at, so a network that could
     * not be read never loses its pieces. */
    if (r.ok) {
        g_auto(GStrv) run_names = run_dir_names(engine);

        collect_links(&r, host, names);
        collect_netns(&r);
        collect_tables(&r, names);
        collect_guards(&r);
        for (char **n = names; *n; n++)
            collect_inactive(&r, *n);
        for (char **n = run_names; *n; n++)
            if (!is_defined(names, *n))
                collect_inactive(&r, *n);
    }
    return r.ok;
}
