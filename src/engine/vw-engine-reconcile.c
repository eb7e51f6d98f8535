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
#include "vw-engine-net.h"
#include "vw-engine-port.h"
#include "vw-fs.h"
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
    GHashTable *claimed_links; /* link names that port records claim */
} Reconcile;

/* What an active network claims, found under its lock. */
typedef struct {
    gboolean active;
    char *alias;   /* its identity */
    char *netns;   /* its netns */
    guint32 group; /* its netdev group */
    gboolean nat;  /* it wants its nftables table */
} Claims;

static void
claims_clear(Claims *c)
{
    g_free(c->alias);
    g_free(c->netns);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Claims, claims_clear)

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
            engine_port_file(r->engine, def->name, rec->domain_uuid, &rec->mac);

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

                if (db && vw_lease_db_release_mac(db, rec->domain_uuid, &rec->mac))
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
    if (!engine_update_dhcp_hosts(r->engine, def, NULL, &local))
        fail(r, local);
    else if (!engine_guard_sync(r->engine, def, &local))
        fail(r, local);
}

/*
 * Finish, resume or repair network @name, with its lock held; on success
 * record what of the kernel it claims.  Returns FALSE when it could not be
 * looked at (its pieces are then not collected).
 */
static gboolean
reconcile_network(Reconcile *r, const char *name, VwRtnl *host, Claims *c)
{
    g_autoptr(VwNetDef) def = NULL;
    NetStatus st;
    GError *local = NULL;

    if (!engine_read_status(r->engine, name, &st, &local)) {
        fail(r, local);
        return FALSE;
    }
    if (st.state == NET_INACTIVE)
        return TRUE;
    def = engine_load_running_def(r->engine, name, &local);
    if (!def) {
        fail(r, local);
        return FALSE;
    }
    if (st.state == NET_STOPPING) {
        NetStatus inactive = { NET_INACTIVE, 0 };

        if (!engine_net_stop_steps(r->engine, def, &st, &local) ||
            !engine_write_status(r->engine, name, &inactive, &local)) {
            fail(r, local);
            return FALSE;
        }
        engine_release_index(r->engine, name, st.index);
        r->report->networks_finished++;
        return TRUE;
    }
    if (st.state == NET_STARTING || !engine_net_is_whole(r->engine, def, &st)) {
        if (!engine_net_start_steps(r->engine, def, &st, &local)) {
            fail(r, local);
            return FALSE;
        }
        if (st.state == NET_STARTING) {
            st.state = NET_ACTIVE;
            if (!engine_write_status(r->engine, name, &st, &local)) {
                fail(r, local);
                return FALSE;
            }
            r->report->networks_finished++;
        } else {
            r->report->networks_repaired++;
        }
    }
    c->active = TRUE;
    c->alias = engine_network_alias(r->engine, def);
    c->netns = g_strdup(def->netns);
    c->group = engine_group(st.index);
    c->nat = def->forward == VW_FORWARD_NAT && def->ipv4;
    reconcile_ports(r, def, &st, host);
    return TRUE;
}

/*
 * The leases of domains that no longer exist, as CNI's GC releases them:
 * a lease whose domain is not in the live set (libvirt's domains, running
 * or not: a stopped domain keeps its lease) and has no port record (those
 * are reconcile_ports()'s) goes, in an active network or not.  With the
 * network's lock held.
 */
static void
collect_leases(Reconcile *r, const char *name)
{
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
    if (!engine_read_status(r->engine, name, &st, &local)) {
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
        (st.state == NET_ACTIVE && !engine_update_dhcp_hosts(r->engine, def, NULL, &local))) {
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

/* The network name in @alias when it is one of this root's identities
 * ("virtwire:network:ROOTTAG:NAME:UUID"), else NULL. */
static char *
our_network_of(Reconcile *r, const char *alias)
{
    g_autofree char *ours = g_strdup_printf(VW_NETWORK_ALIAS_PREFIX "%s:", r->engine->root_tag);
    const char *rest, *colon;

    if (!alias || !g_str_has_prefix(alias, ours))
        return NULL;
    rest = alias + strlen(ours);
    colon = strchr(rest, ':');
    if (!colon || colon == rest)
        return NULL;
    return g_strndup(rest, colon - rest);
}

/* Whether @alias is the identity of this root's network @name (any UUID). */
static gboolean
network_is(Reconcile *r, const char *alias, const char *name)
{
    g_autofree char *net = our_network_of(r, alias);

    return net && g_str_equal(net, name);
}

/* What of the kernel carries this root's identity, by network name. */
typedef struct {
    GPtrArray *links; /* VwLink: network links (bridge end, uplink) in the host */
    GPtrArray *ports; /* VwLink: port links of a network defined in this root */
    GPtrArray *netns; /* names, marked as this network's (or its placeholders) */
    gboolean table;   /* its nftables table carries this root's identity */
} Found;

static void
found_free(Found *f)
{
    g_ptr_array_unref(f->links);
    g_ptr_array_unref(f->ports);
    g_ptr_array_unref(f->netns);
    g_free(f);
}

static Found *
found_of(GHashTable *found, const char *name)
{
    Found *f = g_hash_table_lookup(found, name);

    if (!f) {
        f = g_new0(Found, 1);
        f->links = g_ptr_array_new_with_free_func((GDestroyNotify)vw_link_free);
        f->ports = g_ptr_array_new_with_free_func((GDestroyNotify)vw_link_free);
        f->netns = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(found, g_strdup(name), f);
    }
    return f;
}

/*
 * List, without any lock, what carries this root's identity: host links
 * with its network alias (or a port alias of a network defined here),
 * netns marked with it, nftables tables whose comment is it (NAT and host
 * access).  Each is
 * looked at again under its network's lock before anything is deleted.
 */
static gboolean
find_ours(Reconcile *r, VwRtnl *host, char **names, GHashTable *found)
{
    g_autoptr(GPtrArray) links = NULL;
    g_autoptr(GPtrArray) ports = NULL;
    g_auto(GStrv) netns = NULL;
    g_auto(GStrv) tables = NULL;
    g_auto(GStrv) guarded = NULL;
    GError *local = NULL;

    links = vw_rtnl_link_list(host, VW_NETWORK_ALIAS_PREFIX, &local);
    ports = links ? vw_rtnl_link_list(host, VW_PORT_ALIAS_PREFIX, &local) : NULL;
    netns = ports ? vw_netns_list(&local) : NULL;
    tables = netns ? vw_nft_list_tables(VW_NFT_TABLE_PREFIX, &local) : NULL;
    guarded = tables ? engine_guard_host_networks(r->engine, &local) : NULL;
    if (!guarded) {
        fail(r, local);
        return FALSE;
    }
    for (guint i = 0; i < links->len; i++) {
        g_autofree char *net = our_network_of(r, ((VwLink *)links->pdata[i])->alias);

        if (net)
            g_ptr_array_add(found_of(found, net)->links, g_steal_pointer(&links->pdata[i]));
    }
    for (guint i = 0; i < ports->len; i++) {
        VwLink *l = ports->pdata[i];
        g_autofree char *net = NULL, *uuid = NULL, *mac = NULL, *role = NULL;

        if (vw_port_alias_parse(l->alias, &net, &uuid, &mac, &role) && is_defined(names, net))
            g_ptr_array_add(found_of(found, net)->ports, g_steal_pointer(&ports->pdata[i]));
    }
    for (char **n = netns; *n; n++) {
        g_autofree char *mark = vw_netns_get_mark(*n, NULL, NULL);
        g_autofree char *net = our_network_of(r, mark);

        if (net)
            g_ptr_array_add(found_of(found, net)->netns, g_strdup(*n));
    }
    for (char **t = tables; *t; t++) {
        const char *net = *t + strlen(VW_NFT_TABLE_PREFIX);
        g_autofree char *owner = NULL;
        g_autofree char *owner_net = NULL;

        if (!vw_nft_nat_get_owner(net, &owner, NULL))
            continue;
        owner_net = our_network_of(r, owner);
        if (owner_net && g_str_equal(owner_net, net))
            found_of(found, net)->table = TRUE;
    }
    /* A host-access table (vw-guard.c) is collected under its network's
     * lock too: the network is visited. */
    for (char **n = guarded; *n; n++)
        found_of(found, *n);
    return TRUE;
}

/* Delete what of network @name carries this root's identity and is not
 * claimed by it (@c), with its lock held. */
static void
collect_network(Reconcile *r, const char *name, const Claims *c, Found *f, VwRtnl *host)
{
    GError *local = NULL;

    for (guint i = 0; f && i < f->links->len; i++) {
        VwLink *l = f->links->pdata[i];
        g_autoptr(VwLink) now = NULL;

        if (c->active && g_strcmp0(l->alias, c->alias) == 0)
            continue;
        /* Deleted by name: make sure the name still carries that alias. */
        now = vw_rtnl_link_get(host, l->name, NULL);
        if (!now || g_strcmp0(now->alias, l->alias) != 0)
            continue;
        if (!vw_rtnl_link_delete(host, l->name, &local) &&
            !g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND)) {
            fail(r, local);
            continue;
        }
        g_clear_error(&local);
        r->report->links_collected++;
    }
    /* A port of another root's network of the same name is in that
     * network's group, never in ours. */
    for (guint i = 0; c->active && f && i < f->ports->len; i++) {
        VwLink *l = f->ports->pdata[i];

        if (g_hash_table_contains(r->claimed_links, l->name) || l->group != c->group)
            continue;
        if (!vw_rtnl_link_delete(host, l->name, &local) &&
            !g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND)) {
            fail(r, local);
            continue;
        }
        g_clear_error(&local);
        r->report->links_collected++;
    }
    for (guint i = 0; f && i < f->netns->len; i++) {
        const char *ns = f->netns->pdata[i];
        g_autofree char *mark = NULL;

        if (c->active && g_str_equal(ns, c->netns))
            continue;
        /* Whatever network of this root it names, it is deleted only with
         * that identity (checked again under the lock of /run/netns). */
        mark = vw_netns_get_mark(ns, NULL, NULL);
        if (!mark || !network_is(r, mark, name))
            continue;
        if (!vw_netns_delete_marked(ns, mark, &local)) {
            if (g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND) ||
                g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_EXISTS))
                g_clear_error(&local);
            else
                fail(r, local);
            continue;
        }
        r->report->netns_collected++;
    }
    if (f && f->table && !(c->active && c->nat)) {
        g_autofree char *owner = NULL;

        if (vw_nft_nat_get_owner(name, &owner, NULL) && owner && network_is(r, owner, name)) {
            if (!vw_nft_nat_delete(name, owner, &local))
                fail(r, local);
            else
                r->report->nft_collected++;
        }
    }
}

/* The host table of vw-guard.c of network @name when it is not active,
 * with its lock held. */
static void
collect_guards(Reconcile *r, const char *name)
{
    GError *local = NULL;

    if (!engine_guard_collect(r->engine, name, &r->report->nft_collected, &local))
        fail(r, local);
}

/* dnsmasq, cgroup partition and run directory of a network that is not
 * active (defined or not), with its lock held. */
static void
collect_inactive(Reconcile *r, const char *name)
{
    g_autofree char *run_dir = engine_net_run_dir(r->engine, name);
    g_autofree char *partition = NULL;
    const VwCgroupLayout *cg;
    GError *local = NULL;
    NetStatus st;

    if (!engine_read_status(r->engine, name, &st, NULL) || st.state != NET_INACTIVE)
        return;
    if (vw_dnsmasq_running(run_dir)) {
        if (!vw_dnsmasq_stop(run_dir, &local))
            fail(r, local);
        else
            r->report->dnsmasq_collected++;
    }
    /* A partition is named by the network's name only: one that holds
     * tasks is another root's network of the same name (ours has none
     * while it is not active) and stays. */
    cg = engine_cgroups(r->engine, NULL);
    partition = vw_cgroup_partition_for_network(name, NULL);
    if (cg && partition && vw_cgroup_partition_exists(cg, partition) &&
        !engine_partition_has_tasks(cg, partition)) {
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
    /* Read without following a symbolic link; none (or an unreadable
     * folder) is no names. */
    g_auto(GStrv) names = vw_fs_dir_list(base, NULL);
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();

    for (guint i = 0; names && names[i]; i++)
        if (engine_name_check(names[i], NULL))
            g_strv_builder_add(b, names[i]);
    return g_strv_builder_end(b);
}

static gint
cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

gboolean
vw_engine_reconcile(VwEngine *engine, const char *const *live_domains,
                    VwReconcileReport *report, GError **error)
{
    VwReconcileReport dummy;
    g_autoptr(VwRtnl) host = NULL;
    g_auto(GStrv) names = NULL;
    g_auto(GStrv) run_names = NULL;
    g_autoptr(GHashTable) links = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) found =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)found_free);
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);
    Reconcile r = { engine, live_domains, report ? report : &dummy, error, TRUE, links };
    gboolean found_ok;
    GHashTableIter it;
    gpointer key;

    g_return_val_if_fail(engine != NULL, FALSE);
    memset(r.report, 0, sizeof(*r.report));
    host = vw_rtnl_open(-1, error);
    if (!host)
        return FALSE;
    names = engine_defined_names(engine, error);
    if (!names)
        return FALSE;
    run_names = run_dir_names(engine);
    found_ok = find_ours(&r, host, names, found);

    /* Every network this root knows of or left something of, one at a time
     * under its lock, as start, stop, plug and unplug take it: what gc sees
     * of a network and what it does to it cannot interleave with them. */
    for (char **n = names; *n; n++)
        g_ptr_array_add(all, g_strdup(*n));
    for (char **n = run_names; *n; n++)
        if (!is_defined(names, *n))
            g_ptr_array_add(all, g_strdup(*n));
    g_hash_table_iter_init(&it, found);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (engine_name_check(key, NULL) &&
            !g_ptr_array_find_with_equal_func(all, key, g_str_equal, NULL))
            g_ptr_array_add(all, g_strdup(key));
    g_ptr_array_sort(all, cmp_names);

    for (guint i = 0; i < all->len; i++) {
        const char *name = all->pdata[i];
        g_autoptr(VwLock) lock = NULL;
        g_auto(Claims) c = { 0 };
        GError *local = NULL;
        gboolean looked = TRUE;

        lock = engine_lock_network(engine, name, &local);
        if (!lock) {
            fail(&r, local);
            continue;
        }
        /* Whatever its status says now (it may have been started since the
         * listing): finished, resumed or repaired first, and what it claims
         * is kept. */
        looked = reconcile_network(&r, name, host, &c);
        if (looked && is_defined(names, name))
            collect_leases(&r, name);
        /* A network that could not be looked at never loses its pieces;
         * nor is anything collected when the listing failed. */
        if (!looked || !found_ok)
            continue;
        collect_network(&r, name, &c, g_hash_table_lookup(found, name), host);
        collect_guards(&r, name);
        collect_inactive(&r, name);
    }
    return r.ok;
}
