#include <config.h>

/*
 * The life of networks: define, start, stop, undefine, autostart, list,
 * and the host-wide index claims.  Builds on vw-engine-state.c (the engine
 * object, state files, locks), vw-guard.c and vw-engine-subnet.c; never
 * calls the port file.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <limits.h>
#include <unistd.h>

#include "vw-atomic.h"
#include "vw-dnsmasq.h"
#include "vw-engine-net.h"
#include "vw-engine-subnet.h"
#include "vw-fault.h"
#include "vw-fs.h"
#include "vw-guard.h"
#include "vw-ipam.h"
#include "vw-json.h"
#include "vw-net-error.h"
#include "vw-netns.h"
#include "vw-nft.h"
#include "vw-util-error.h"


/* The MAC of the network's bridge: the one its <mac> gives, else a stable,
 * locally administered unicast MAC from its UUID (the same network gets the
 * same gateway MAC on every start). */
static void
engine_bridge_mac(const VwNetDef *def, guint8 mac[6])
{
    g_autoptr(GChecksum) sum = NULL;
    guint8 digest[32];
    gsize len = sizeof(digest);

    if (def->bridge_mac_set) {
        memcpy(mac, def->bridge_mac, sizeof(def->bridge_mac));
        return;
    }
    sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(sum, (const guchar *)"virtwire-bridge:", -1);
    g_checksum_update(sum, (const guchar *)def->uuid, -1);
    g_checksum_get_digest(sum, digest, &len);
    mac[0] = 0x02; /* locally administered, unicast */
    memcpy(mac + 1, digest, 5);
}

void
vw_network_info_free(VwNetworkInfo *info)
{
    if (!info)
        return;
    g_free(info->name);
    g_free(info->uuid);
    g_free(info->netns);
    g_free(info->bridge);
    g_free(info->partition);
    g_free(info->forward);
    g_free(info->ipv4);
    g_free(info->ipv6);
    g_free(info);
}

/*
 * A network's index names host-wide kernel resources (its netdev group, its
 * uplink's transit /30), so indexes are allocated host-wide, whatever the
 * root: one claim file per index in VW_INDEX_DIR holding "ROOT\nNAME\n",
 * under the lock file there.  A claim is live while that root's status of
 * that network says it is started with that index; stale claims (a root
 * that was deleted, a crash) are taken over.  Claims are read without
 * following a link, and never more than VW_CLAIM_MAX bytes of them.
 */

static char *
claim_text(VwEngine *engine, const char *name)
{
    return g_strdup_printf("%s\n%s\n", engine->paths->root, name);
}

static gboolean
claim_is_live(const char *path, guint index)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    g_autofree char *status = NULL;
    g_autoptr(VwJson) obj = NULL;

    if (!(text = vw_fs_read(path, VW_CLAIM_MAX, FALSE, NULL, NULL)))
        return FALSE;
    lines = g_strsplit(text, "\n", 3);
    if (g_strv_length(lines) < 2 || !g_path_is_absolute(lines[0]) ||
        !engine_name_check(lines[1], NULL))
        return FALSE;
    status = g_build_filename(lines[0], "run", "virtwire", "networks", lines[1], "status.json",
                              NULL);
    if (!engine_path_exists(status))
        return FALSE;
    obj = engine_read_json_object(status, NULL);
    return obj && (guint)vw_json_object_get_int_member_with_default(obj, "index", 0) == index;
}

VwLock *
engine_lock_indexes(GError **error)
{
    if (!vw_mkdir_p(VW_INDEX_DIR, 0755, error))
        return NULL;
    return vw_lock_acquire(VW_INDEX_DIR "/.lock", TRUE, VW_LOCK_TIMEOUT_MS, error);
}

/* With engine_lock_indexes() held until the status names the index. */
static gboolean
allocate_index(VwEngine *engine, const char *name, guint *index, GError **error)
{
    g_autofree char *mine = claim_text(engine, name);

    for (guint i = 1; i <= VW_INDEX_MAX; i++) {
        g_autofree char *path = g_strdup_printf(VW_INDEX_DIR "/%u", i);
        g_autofree char *text = NULL;

        text = vw_fs_read(path, VW_CLAIM_MAX, FALSE, NULL, NULL);
        if (text && !g_str_equal(text, mine) && claim_is_live(path, i))
            continue;
        if (!engine_write_runtime(path, mine, error))
            return FALSE;
        *index = i;
        return TRUE;
    }
    g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_FAILED,
                _("cannot start network '%s': %u networks are already active on this host"), name,
                VW_INDEX_MAX);
    return FALSE;
}

/* Drop the claim of @index if it is this network's. */
void
engine_release_index(VwEngine *engine, const char *name, guint index)
{
    g_autoptr(VwLock) lock = engine_lock_indexes(NULL);
    g_autofree char *path = g_strdup_printf(VW_INDEX_DIR "/%u", index);
    g_autofree char *mine = claim_text(engine, name);
    g_autofree char *text = NULL;

    if (lock && index && (text = vw_fs_read(path, VW_CLAIM_MAX, FALSE, NULL, NULL)) &&
        g_str_equal(text, mine))
        vw_file_remove(path, NULL);
}

/* ------------------------------------------------------------ define */

static gboolean
check_clash(VwEngine *engine, const VwNetDef *def, GError **error)
{
    g_auto(GStrv) names = engine_defined_names(engine, error);

    if (!names)
        return FALSE;
    for (char **n = names; *n; n++) {
        g_autoptr(VwNetDef) other = NULL;
        g_autoptr(GError) local = NULL;

        if (g_str_equal(*n, def->name)) {
            other = engine_load_def(engine, *n, error);
            if (!other)
                return FALSE;
            if (!g_str_equal(other->uuid, def->uuid)) {
                g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS,
                            _("network '%s' already exists with UUID %s"), def->name,
                            other->uuid);
                return FALSE;
            }
            continue;
        }
        other = engine_load_def(engine, *n, &local);
        if (!other)
            continue; /* a broken file of another network does not block this one */
        if (g_str_equal(other->uuid, def->uuid)) {
            g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS,
                        _("UUID %s of network '%s' is already used by network '%s'"), def->uuid,
                        def->name, other->name);
            return FALSE;
        }
        if (g_str_equal(other->netns, def->netns)) {
            g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS,
                        _("netns '%s' of network '%s' is already used by network '%s'"),
                        def->netns, def->name, other->name);
            return FALSE;
        }
        if (vw_netdef_overlaps(def, other, &local)) {
            g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS,
                        _("network '%s' clashes with network '%s': %s"), def->name, other->name,
                        local->message);
            return FALSE;
        }
    }
    return TRUE;
}

char *
vw_engine_network_define(VwEngine *engine, const char *xml, GError **error)
{
    return vw_engine_network_define_full(engine, xml, NULL, error);
}

char *
vw_engine_network_define_full(VwEngine *engine, const char *xml, char **warning, GError **error)
{
    g_autoptr(VwNetDef) def = NULL;
    g_autoptr(VwLock) global = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *path = NULL;
    g_autofree char *text = NULL;
    g_auto(GStrv) ignored = NULL;

    g_return_val_if_fail(engine != NULL && xml != NULL, NULL);
    if (warning)
        *warning = NULL;
    def = vw_netdef_parse_full(xml, -1, &ignored, &local);
    if (!def) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INVALID,
                    _("invalid network definition: %s"), local->message);
        return NULL;
    }
    global = engine_lock_global(engine, error);
    if (!global || !check_clash(engine, def, error) || !engine_subnet_check(engine, def, error))
        return NULL;
    path = vw_paths_network_file(engine->paths, def->name);
    text = vw_netdef_format(def);
    if (!vw_file_write_atomic(path, text, -1, 0644, error))
        return NULL;
    if (warning && ignored) {
        g_autofree char *list = g_strjoinv(", ", ignored);

        *warning = g_strdup_printf(_("ignored what virtwire does not use: %s"), list);
    }
    return g_strdup(def->name);
}

static char *
autostart_file(VwEngine *engine, const char *name)
{
    g_autofree char *file = g_strconcat(name, ".xml", NULL);

    return g_build_filename(engine->paths->networks_dir, "autostart", file, NULL);
}

/* The autostart mark of @name: exactly the link "../NAME.xml" that
 * vw_engine_network_set_autostart() makes (it is read, never followed). */
static char *
autostart_target(const char *name)
{
    return g_strconcat("../", name, ".xml", NULL);
}

static gboolean
autostart_is_set(VwEngine *engine, const char *name)
{
    g_autofree char *link = autostart_file(engine, name);
    g_autofree char *target = autostart_target(name);

    return vw_fs_link_is(link, target);
}

gboolean
vw_engine_network_undefine(VwEngine *engine, const char *name, GError **error)
{
    g_autoptr(VwLock) global = NULL;
    g_autoptr(VwLock) lock = NULL;
    g_autoptr(VwNetDef) def = NULL;
    g_autofree char *path = NULL;
    g_autofree char *leases = NULL;
    g_autofree char *autostart = NULL;
    NetStatus st;

    g_return_val_if_fail(engine != NULL, FALSE);
    if (!engine_name_check(name, error))
        return FALSE;
    global = engine_lock_global(engine, error);
    lock = global ? engine_lock_network(engine, name, error) : NULL;
    if (!lock)
        return FALSE;
    def = engine_load_def(engine, name, error);
    if (!def || !engine_read_status(engine, name, &st, error))
        return FALSE;
    if (st.state != NET_INACTIVE) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_ACTIVE,
                    _("network '%s' is active: stop it before undefining it"), name);
        return FALSE;
    }
    path = vw_paths_network_file(engine->paths, name);
    leases = vw_paths_leases_file(engine->paths, name);
    autostart = autostart_file(engine, name);
    return vw_file_remove(autostart, error) && vw_file_remove(leases, error) &&
           vw_file_remove(path, error);
}

gboolean
vw_engine_network_set_autostart(VwEngine *engine, const char *name, gboolean autostart,
                                GError **error)
{
    g_autoptr(VwNetDef) def = NULL;
    g_autofree char *link = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *target = NULL;
    g_autoptr(GError) local = NULL;

    g_return_val_if_fail(engine != NULL, FALSE);
    if (!engine_name_check(name, error))
        return FALSE;
    def = engine_load_def(engine, name, error);
    if (!def)
        return FALSE;
    link = autostart_file(engine, name);
    if (!autostart)
        return vw_file_remove(link, error);
    dir = g_path_get_dirname(link);
    if (!vw_mkdir_p(dir, 0755, error))
        return FALSE;
    /* A relative symlink to the definition, as libvirt makes them. */
    target = autostart_target(name);
    if (!vw_fs_link_create(link, target, &local)) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_FAILED,
                    _("cannot mark network '%s' for autostart: %s"), name, local->message);
        return FALSE;
    }
    return TRUE;
}

gboolean
vw_engine_autostart(VwEngine *engine, GError **error)
{
    g_auto(GStrv) names = engine_defined_names(engine, error);
    gboolean ok = TRUE;

    if (!names)
        return FALSE;
    for (char **n = names; *n; n++) {
        GError *local = NULL;

        if (!autostart_is_set(engine, *n) || engine_net_is_active(engine, *n))
            continue;
        if (!vw_engine_network_start(engine, *n, &local)) {
            ok = FALSE;
            engine_keep_first(error, local);
        }
    }
    return ok;
}

/* ------------------------------------------------------------ start / stop steps */

/* The network address of @ip as "ADDRESS/PREFIX". */
static char *
subnet_of(const VwIpDef *ip)
{
    guint8 a[16] = { 0 };
    char text[INET6_ADDRSTRLEN];
    guint len = ip->family == AF_INET ? 4 : 16;

    if (inet_pton(ip->family, ip->address, a) != 1)
        return NULL;
    for (guint i = 0; i < len; i++) {
        guint bits = ip->prefix > i * 8 ? MIN(8, ip->prefix - i * 8) : 0;
        a[i] &= (guint8)(0xff00 >> bits);
    }
    inet_ntop(ip->family, a, text, sizeof(text));
    return g_strdup_printf("%s/%u", text, ip->prefix);
}

static gboolean
ok_or_exists(gboolean ok, GError **local, GError **error)
{
    if (ok)
        return TRUE;
    if (g_error_matches(*local, VW_NET_ERROR, VW_NET_ERROR_EXISTS)) {
        g_clear_error(local);
        return TRUE;
    }
    g_propagate_error(error, g_steal_pointer(local));
    return FALSE;
}

static gboolean
write_forwarding(gpointer data G_GNUC_UNUSED, GError **error)
{
    return g_file_set_contents_full("/proc/sys/net/ipv4/ip_forward", "1\n", -1,
                                    G_FILE_SET_CONTENTS_NONE, 0644, error);
}

static gboolean
partition_of(const VwNetDef *def, char **partition, GError **error)
{
    *partition = vw_cgroup_partition_for_network(def->name, error);
    return *partition != NULL;
}

static gboolean cgroup_has_tasks(const char *dir, const char *skip, char **where);

/*
 * A netns that this network made before netns were marked has no mark on
 * its lo, but its bridge carries the network's alias.  With @adopt, mark it.
 */
static gboolean
engine_netns_is_legacy_ours(const VwNetDef *def, const char *alias, gboolean adopt)
{
    g_autofree char *mark = NULL;
    g_autoptr(VwRtnl) ns = NULL;
    g_autoptr(VwLink) br = NULL;
    gboolean placeholder = TRUE;

    mark = vw_netns_get_mark(def->netns, &placeholder, NULL);
    if (!mark || *mark || placeholder)
        return FALSE;
    ns = vw_rtnl_open_netns(def->netns, NULL);
    br = ns ? vw_rtnl_link_get(ns, def->bridge, NULL) : NULL;
    if (!br || g_strcmp0(br->alias, alias) != 0)
        return FALSE;
    return !adopt || vw_rtnl_link_set_alias(ns, "lo", alias, NULL);
}

/* On a refusal (*@local) of a legacy netns of ours: mark it, clear *@local. */
static gboolean
engine_netns_adopt_legacy(const VwNetDef *def, const char *alias, GError **local)
{
    if (!g_error_matches(*local, VW_NET_ERROR, VW_NET_ERROR_EXISTS) ||
        !engine_netns_is_legacy_ours(def, alias, TRUE))
        return FALSE;
    g_clear_error(local);
    return TRUE;
}

/* Report @local (taken) as the reason why @def cannot start: an object of
 * someone else's in the way is a clash (VW_ENGINE_ERROR_EXISTS). */
static void
engine_refuse(const VwNetDef *def, GError *local, GError **error)
{
    gboolean foreign = g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_EXISTS) ||
                       g_error_matches(local, VW_NFT_ERROR, VW_NFT_ERROR_FOREIGN);

    g_set_error(error, VW_ENGINE_ERROR, foreign ? VW_ENGINE_ERROR_EXISTS : VW_ENGINE_ERROR_FAILED,
                _("cannot start network '%s': %s"), def->name, local->message);
    g_error_free(local);
}

/*
 * The uplink's veth pair: host end @hname, netns end VW_UPLINK_PEER in our
 * netns.  A host end that exists is used only when it carries @alias; one
 * without an alias is ours when our netns holds its peer (a crash between
 * making the pair and configuring it), and is made again; anything else is
 * refused and left alone.
 */
static gboolean
engine_uplink_add(const VwNetDef *def, const char *alias, VwRtnl *host, VwRtnl *ns, int nsfd,
                  const char *hname, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(VwLink) up = NULL;
    g_autoptr(VwLink) peer = NULL;

    if (vw_rtnl_veth_add(host, hname, VW_UPLINK_PEER, nsfd, &local))
        return TRUE;
    if (!g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_EXISTS)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    g_clear_error(&local);
    up = vw_rtnl_link_get(host, hname, NULL);
    if (up && g_strcmp0(up->alias, alias) == 0)
        return TRUE;
    if (up && up->alias) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS,
                    _("cannot start network '%s': link '%s' belongs to '%s'"), def->name, hname,
                    up->alias);
        return FALSE;
    }
    /* The peer's name in our netns is ours; deleting it deletes its pair. */
    peer = vw_rtnl_link_get(ns, VW_UPLINK_PEER, NULL);
    if (!peer || !vw_rtnl_link_delete(ns, VW_UPLINK_PEER, error))
        goto foreign;
    if (vw_rtnl_veth_add(host, hname, VW_UPLINK_PEER, nsfd, &local))
        return TRUE;
    if (!g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_EXISTS)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
foreign:
    if (error && *error)
        return FALSE;
    g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS,
                _("cannot start network '%s': link '%s' exists and is not virtwire's"), def->name,
                hname);
    return FALSE;
}

/* The host's route to the network's subnet through our uplink @hname; a
 * route to it that exists through another device is refused and kept. */
static gboolean
engine_host_route_add(const VwNetDef *def, VwRtnl *host, const char *subnet, const char *gw,
                      const char *hname, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(VwLink) up = NULL;
    int oif = 0;

    if (vw_rtnl_route_add(host, subnet, gw, hname, &local))
        return TRUE;
    if (!g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_EXISTS)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    up = vw_rtnl_link_get(host, hname, error);
    if (!up || !vw_rtnl_route_get_oif(host, subnet, &oif, error))
        return FALSE;
    if (oif == up->ifindex)
        return TRUE;
    g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS,
                _("cannot start network '%s': the host already has a route to %s that does "
                  "not go through its uplink '%s'"),
                def->name, subnet, hname);
    return FALSE;
}

/*
 * Before a start journals anything: refuse, changing nothing, when a kernel
 * object the network would use exists and is not this network's (another
 * root's network of the same name, `ip netns add`, an admin's link, route or
 * table), or when the network's cgroup partition holds tasks (another root's
 * network of the same name).
 */
static gboolean
engine_net_check_foreign(VwEngine *engine, const VwNetDef *def, GError **error)
{
    g_autofree char *alias = engine_network_alias(engine, def);
    g_autoptr(GError) local = NULL;
    g_autofree char *mark = NULL;
    const VwCgroupLayout *cg;
    g_autofree char *partition = NULL;
    gboolean placeholder = FALSE;

    mark = vw_netns_get_mark(def->netns, &placeholder, &local);
    if (!mark && !g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND)) {
        engine_refuse(def, g_steal_pointer(&local), error);
        return FALSE;
    }
    if (mark && !g_str_equal(mark, alias) && !engine_netns_is_legacy_ours(def, alias, FALSE)) {
        if (*mark && !placeholder)
            g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS,
                        _("cannot start network '%s': netns '%s' exists and belongs to '%s'"),
                        def->name, def->netns, mark);
        else
            g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS,
                        _("cannot start network '%s': netns '%s' exists and is not virtwire's "
                          "(remove it, or name another netns)"),
                        def->name, def->netns);
        return FALSE;
    }
    if (def->forward != VW_FORWARD_ISOLATED && def->ipv4) {
        g_autoptr(VwRtnl) host = vw_rtnl_open(-1, error);
        g_autoptr(VwLink) up = NULL;
        g_autofree char *subnet = subnet_of(def->ipv4);
        char hname[16];
        int oif = 0;

        if (!host)
            return FALSE;
        engine_uplink_name(def, hname);
        up = vw_rtnl_link_get(host, hname, NULL);
        if (up && g_strcmp0(up->alias, alias) != 0) {
            g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS,
                        _("cannot start network '%s': link '%s' exists and is not this "
                          "network's"),
                        def->name, hname);
            return FALSE;
        }
        if (!vw_rtnl_route_get_oif(host, subnet, &oif, error))
            return FALSE;
        if (oif != 0 && (!up || oif != up->ifindex)) {
            g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS,
                        _("cannot start network '%s': the host already has a route to %s that "
                          "does not go through its uplink '%s'"),
                        def->name, subnet, hname);
            return FALSE;
        }
    }
    if (def->forward == VW_FORWARD_NAT && def->ipv4) {
        g_autofree char *owner = NULL;

        if (!vw_nft_nat_get_owner(def->name, &owner, error))
            return FALSE;
        if (owner && !g_str_equal(owner, alias)) {
            g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS,
                        _("cannot start network '%s': nftables table '%s%s' exists and is not "
                          "this network's"),
                        def->name, VW_NFT_TABLE_PREFIX, def->name);
            return FALSE;
        }
    }
    cg = engine_cgroups(engine, NULL);
    partition = cg ? vw_cgroup_partition_for_network(def->name, NULL) : NULL;
    if (partition && engine_partition_has_tasks(cg, partition)) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS,
                    _("cannot start network '%s': its cgroup partition '%s' holds tasks "
                      "(another state root's network of the same name?)"),
                    def->name, partition);
        return FALSE;
    }
    return TRUE;
}

gboolean
engine_net_start_steps(VwEngine *engine, const VwNetDef *def, NetStatus *status,
                       GError **error)
{
    g_autoptr(VwRtnl) ns = NULL;
    g_autoptr(VwRtnl) host = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *alias = NULL;
    g_autofree char *partition = NULL;
    g_autofree char *run_dir = engine_net_run_dir(engine, def->name);
    const VwCgroupLayout *cg;
    VwCgroupLimits limits;
    VwLinkConfig bridge_cfg = { 0 };
    guint8 bridge_mac[6];
    const VwLinkConfig up = { .up = TRUE };
    int nsfd = -1;
    gboolean ok = FALSE;
    GPid pid = 0;

    alias = engine_network_alias(engine, def);

    /* 1. the netns, marked as this network's (its lo carries the alias); a
     * placeholder of ours left by a crash is repaired, a netns or file of
     * that name that is not ours is refused */
    if (!vw_netns_create_marked(def->netns, alias, &local) &&
        !engine_netns_adopt_legacy(def, alias, &local)) {
        engine_refuse(def, g_steal_pointer(&local), error);
        return FALSE;
    }
    vw_fault_point("network-start:netns");

    /* 2. the bridge, marked as ours, and lo */
    nsfd = vw_netns_open(def->netns, error);
    if (nsfd < 0)
        return FALSE;
    ns = vw_rtnl_open(nsfd, error);
    if (!ns)
        goto out;
    /* Links made in the netns from now on (bridge ports, the uplink's end)
     * have no IPv6 of their own: a port's netns end would otherwise send
     * MLD reports to its guest.  The bridge gets IPv6 back when the network
     * has an IPv6 subnet. */
    if (!vw_rtnl_sysctl_set(ns, "net/ipv6/conf/default/disable_ipv6", "1", error))
        goto out;
    if (!vw_rtnl_bridge_add(ns, def->bridge, &local)) {
        /* In our own netns: a bridge without an alias is ours, left by a
         * crash before the alias was set; one with another alias is not. */
        g_autoptr(VwLink) br = NULL;

        if (!g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_EXISTS)) {
            g_propagate_error(error, g_steal_pointer(&local));
            goto out;
        }
        g_clear_error(&local);
        br = vw_rtnl_link_get(ns, def->bridge, error);
        if (!br)
            goto out;
        if (br->alias && !g_str_equal(br->alias, alias)) {
            g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS,
                        _("cannot start network '%s': link '%s' in netns '%s' belongs to '%s'"),
                        def->name, def->bridge, def->netns, br->alias);
            goto out;
        }
    }
    if (!vw_rtnl_bridge_set_stp(ns, def->bridge, def->stp, error))
        goto out;
    if (def->ipv6) {
        g_autofree char *key = g_strdup_printf("net/ipv6/conf/%s/disable_ipv6", def->bridge);

        if (!vw_rtnl_sysctl_set(ns, key, "0", error))
            goto out;
    }
    /* MTU and MAC set explicitly: the bridge's MAC (the guests' gateway)
     * then never follows its ports as they come and go, and the kernel
     * skips the walks over all ports it does for automatic values on every
     * port added (br_stp_recalculate_bridge_id, br_mtu_auto_adjust). */
    engine_bridge_mac(def, bridge_mac);
    bridge_cfg.mac = bridge_mac;
    bridge_cfg.mtu = def->mtu ? def->mtu : 1500;
    bridge_cfg.alias = alias;
    bridge_cfg.up = TRUE;
    if (!vw_rtnl_link_configure(ns, def->bridge, &bridge_cfg, error) ||
        !vw_rtnl_link_configure(ns, "lo", &up, error))
        goto out;
    vw_fault_point("network-start:bridge");

    /* 3. the gateway addresses */
    for (guint i = 0; i < 2; i++) {
        const VwIpDef *ip = i == 0 ? def->ipv4 : def->ipv6;
        g_autofree char *cidr = NULL;

        if (!ip)
            continue;
        cidr = g_strdup_printf("%s/%u", ip->address, ip->prefix);
        if (!ok_or_exists(vw_rtnl_addr_add(ns, def->bridge, cidr, &local), &local, error))
            goto out;
    }
    vw_fault_point("network-start:addresses");

    /* 4. the uplink (nat, routed): a veth pair host <-> netns, a transit /30,
     * routes both ways and forwarding on both sides */
    if (def->forward != VW_FORWARD_ISOLATED && def->ipv4) {
        char hname[16], haddr[32], naddr[32], hgw[32], ngw[32];
        g_autofree char *subnet = subnet_of(def->ipv4);
        VwLinkConfig hcfg = { .alias = alias, .up = TRUE, .group = engine_group(status->index) };

        engine_uplink_name(def, hname);
        engine_uplink_addrs(status->index, haddr, naddr, TRUE);
        engine_uplink_addrs(status->index, hgw, ngw, FALSE);
        host = vw_rtnl_open(-1, error);
        if (!host)
            goto out;
        if (!engine_uplink_add(def, alias, host, ns, nsfd, hname, error) ||
            !vw_rtnl_link_configure(host, hname, &hcfg, error) ||
            !vw_rtnl_link_configure(ns, VW_UPLINK_PEER, &up, error) ||
            !ok_or_exists(vw_rtnl_addr_add(host, hname, haddr, &local), &local, error) ||
            !ok_or_exists(vw_rtnl_addr_add(ns, VW_UPLINK_PEER, naddr, &local), &local, error) ||
            !ok_or_exists(vw_rtnl_route_add(ns, "default", hgw, VW_UPLINK_PEER, &local), &local,
                          error) ||
            !engine_host_route_add(def, host, subnet, ngw, hname, error) ||
            !vw_netns_run(nsfd, write_forwarding, NULL, error) ||
            !write_forwarding(NULL, error))
            goto out;
    }
    vw_fault_point("network-start:uplink");

    /* 5. masquerade */
    if (def->forward == VW_FORWARD_NAT && def->ipv4) {
        g_autofree char *subnet = subnet_of(def->ipv4);

        if (!vw_nft_nat_add(def->name, alias, subnet, NULL, def->forward_dev, &local)) {
            engine_refuse(def, g_steal_pointer(&local), error);
            goto out;
        }
    }
    vw_fault_point("network-start:nat");

    /* 5b. anti-spoofing (netns) and host access (host): vw-guard.c */
    if (!engine_guard_start(engine, def, status, error))
        goto out;
    vw_fault_point("network-start:guard");

    /* 6. the cgroup partition and its limits */
    cg = engine_cgroups(engine, error);
    if (!cg || !partition_of(def, &partition, error) ||
        !vw_cgroup_partition_create(cg, partition, error))
        goto out;
    limits.cpu_weight = def->cpu_weight;
    limits.memory_max = def->memory_max;
    limits.pids_max = def->pids_max;
    if (!vw_cgroup_partition_set_limits(cg, partition, &limits, error))
        goto out;
    vw_fault_point("network-start:cgroup");

    /* 7. dnsmasq, inside the netns, in the partition */
    if (def->ipv4 || def->ipv6) {
        if (!vw_mkdir_p(run_dir, 0755, error) || !engine_update_dhcp_hosts(engine, def, NULL, error) ||
            !vw_dnsmasq_start(def, run_dir, &pid, error) ||
            !vw_cgroup_partition_place(cg, partition, "dnsmasq", pid, NULL, NULL, error))
            goto out;
    }
    vw_fault_point("network-start:dnsmasq");
    ok = TRUE;
out:
    if (nsfd >= 0)
        close(nsfd);
    return ok;
}

/* Whether every piece of an active network is there. */
gboolean
engine_net_is_whole(VwEngine *engine, const VwNetDef *def, const NetStatus *status)
{
    g_autoptr(VwRtnl) ns = NULL;
    g_autoptr(VwLink) br = NULL;
    g_autofree char *run_dir = engine_net_run_dir(engine, def->name);
    g_autofree char *partition = NULL;
    const VwCgroupLayout *cg;

    g_autofree char *alias = engine_network_alias(engine, def);
    g_autofree char *mark = vw_netns_get_mark(def->netns, NULL, NULL);

    /* Only our own pieces count (a placeholder's mark is no netns). */
    if (!mark || !g_str_equal(mark, alias) || !vw_netns_exists(def->netns))
        return FALSE;
    ns = vw_rtnl_open_netns(def->netns, NULL);
    br = ns ? vw_rtnl_link_get(ns, def->bridge, NULL) : NULL;
    if (!br)
        return FALSE;
    if ((def->ipv4 || def->ipv6) && !vw_dnsmasq_running(run_dir))
        return FALSE;
    if (def->forward != VW_FORWARD_ISOLATED && def->ipv4) {
        g_autoptr(VwRtnl) host = vw_rtnl_open(-1, NULL);
        g_autoptr(VwLink) up = NULL;
        char hname[16];

        engine_uplink_name(def, hname);
        up = host ? vw_rtnl_link_get(host, hname, NULL) : NULL;
        if (!up || g_strcmp0(up->alias, alias) != 0)
            return FALSE;
    }
    if (def->forward == VW_FORWARD_NAT && def->ipv4) {
        g_autofree char *owner = NULL;

        if (!vw_nft_nat_get_owner(def->name, &owner, NULL) || g_strcmp0(owner, alias) != 0)
            return FALSE;
    }
    if (!engine_guard_is_whole(engine, def, status))
        return FALSE;
    cg = engine_cgroups(engine, NULL);
    return cg && (partition = vw_cgroup_partition_for_network(def->name, NULL)) &&
           vw_cgroup_partition_exists(cg, partition);
}

/* A task in @dir or below, other than in the top-level leaf @skip. */
static gboolean
cgroup_has_tasks(const char *dir, const char *skip, char **where)
{
    g_autofree char *procs = g_build_filename(dir, "cgroup.procs", NULL);
    g_autofree char *text = NULL;
    g_autoptr(GDir) d = NULL;
    const char *f;

    if (g_file_get_contents(procs, &text, NULL, NULL) && text[0]) {
        *where = g_strdup(dir);
        return TRUE;
    }
    d = g_dir_open(dir, 0, NULL);
    while (d && (f = g_dir_read_name(d))) {
        g_autofree char *sub = g_build_filename(dir, f, NULL);

        if ((skip && g_str_equal(f, skip)) || !g_file_test(sub, G_FILE_TEST_IS_DIR))
            continue;
        if (cgroup_has_tasks(sub, NULL, where))
            return TRUE;
    }
    return FALSE;
}

gboolean
engine_partition_has_tasks(const VwCgroupLayout *cg, const char *partition)
{
    g_autoptr(GPtrArray) paths = vw_cgroup_partition_paths(cg, partition, NULL);

    for (guint i = 0; paths && i < paths->len; i++) {
        g_autofree char *where = NULL;

        if (cgroup_has_tasks(paths->pdata[i], NULL, &where))
            return TRUE;
    }
    return FALSE;
}

static gboolean
check_no_domains(VwEngine *engine, const VwNetDef *def, GError **error)
{
    const VwCgroupLayout *cg = engine_cgroups(engine, NULL);
    g_autofree char *partition = NULL;
    g_autoptr(GPtrArray) paths = NULL;

    if (!cg || !(partition = vw_cgroup_partition_for_network(def->name, NULL)))
        return TRUE;
    paths = vw_cgroup_partition_paths(cg, partition, NULL);
    for (guint i = 0; paths && i < paths->len; i++) {
        g_autofree char *where = NULL;

        if (cgroup_has_tasks(paths->pdata[i], "dnsmasq", &where)) {
            g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_BUSY,
                        _("network '%s' still has domains placed in its partition '%s' (%s): "
                          "shut them down first"),
                        def->name, partition, where);
            return FALSE;
        }
    }
    return TRUE;
}

/* Refuse to stop @def while ports are plugged, naming their domains. */
static gboolean
check_no_ports(VwEngine *engine, const VwNetDef *def, GError **error)
{
    g_autoptr(GPtrArray) ports = engine_read_ports(engine, def->name, error);
    g_autoptr(GPtrArray) domains = g_ptr_array_new();
    g_autofree char *list = NULL;

    if (!ports)
        return FALSE;
    for (guint i = 0; i < ports->len; i++) {
        const PortRecord *rec = ports->pdata[i];
        const char *who =
            rec->domain_name && *rec->domain_name ? rec->domain_name : rec->domain_uuid;

        if (rec->state != PORT_PLUGGED)
            continue;
        if (!g_ptr_array_find_with_equal_func(domains, who, g_str_equal, NULL))
            g_ptr_array_add(domains, (gpointer)who);
    }
    if (domains->len == 0)
        return TRUE;
    g_ptr_array_sort(domains, engine_cmp_names);
    g_ptr_array_add(domains, NULL);
    list = g_strjoinv("', '", (char **)domains->pdata);
    g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_BUSY,
                _("network '%s' has ports plugged for domains '%s': their guests would lose the "
                  "network; shut them down or detach their interfaces first, or force the stop"),
                def->name, list);
    return FALSE;
}

/* Remove @path and what is in it; a symbolic link in it is removed, never followed. */
static gboolean
remove_tree(const char *path, GError **error)
{
    return vw_fs_tree_remove(path, error);
}

/*
 * Remove everything a start made, in an order that is safe to resume at any
 * point; every step runs even when an earlier one failed, and the first
 * error is reported.  Leases and the definition stay.
 */
gboolean
engine_net_stop_steps(VwEngine *engine, const VwNetDef *def, const NetStatus *status,
                      GError **error)
{
    g_autofree char *run_dir = engine_net_run_dir(engine, def->name);
    g_autofree char *alias = engine_network_alias(engine, def);
    g_autofree char *partition = NULL;
    g_autoptr(VwRtnl) host = NULL;
    const VwCgroupLayout *cg;
    GError *local = NULL;
    gboolean ok = TRUE;

#define STEP(expr)                                                                                 \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            ok = FALSE;                                                                            \
            engine_keep_first(error, local);                                                       \
            local = NULL;                                                                          \
        }                                                                                          \
    } while (0)

    /* Every step removes only what carries this network's identity: a
     * rollback after a refused start leaves another's objects alone. */
    STEP(vw_dnsmasq_stop(run_dir, &local));
    vw_fault_point("network-stop:dnsmasq");
    if (def->forward == VW_FORWARD_NAT)
        STEP(vw_nft_nat_delete(def->name, alias, &local));
    vw_fault_point("network-stop:nat");
    STEP(engine_guard_stop(engine, def, &local));
    vw_fault_point("network-stop:guard");
    /* Taps, host ends of the ports' veths and the uplink: one batch. */
    host = vw_rtnl_open(-1, &local);
    STEP(host != NULL);
    if (host && status->index)
        STEP(vw_rtnl_link_delete_group(host, engine_group(status->index), &local));
    vw_fault_point("network-stop:links");
    /* The peers, the bridge and the uplink's netns end go with the netns
     * (or its placeholder, when a start died before mounting it); a netns
     * of that name that is not ours (EXISTS) stays. */
    if (!vw_netns_delete_marked(def->netns, alias, &local) &&
        (g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND) ||
         g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_EXISTS)))
        g_clear_error(&local);
    STEP(local == NULL);
    vw_fault_point("network-stop:netns");
    cg = engine_cgroups(engine, &local);
    STEP(cg != NULL);
    if (cg) {
        STEP(partition_of(def, &partition, &local));
        if (partition)
            STEP(vw_cgroup_partition_remove(cg, partition, &local));
    }
    vw_fault_point("network-stop:cgroup");
    if (ok) {
        /* Runtime files last: the port records and status are the trail. */
        g_autofree char *ports = g_build_filename(run_dir, "ports", NULL);
        STEP(remove_tree(ports, &local));
    }
#undef STEP
    return ok;
}

/* Remove the run directory except status.json, then status.json. */
static gboolean
clear_run_dir(VwEngine *engine, const char *name, GError **error)
{
    g_autofree char *run_dir = engine_net_run_dir(engine, name);
    NetStatus inactive = { NET_INACTIVE, 0 };
    NetStatus old;
    /* Listed without following a link at run_dir or above it. */
    g_auto(GStrv) files = vw_fs_dir_list(run_dir, error);

    if (!files)
        return FALSE;
    if (engine_read_status(engine, name, &old, NULL) && old.index)
        engine_release_index(engine, name, old.index);
    for (char **f = files; *f; f++) {
        g_autofree char *p = g_build_filename(run_dir, *f, NULL);
        struct stat st;

        if (g_str_equal(*f, "status.json"))
            continue;
        /* A link to a folder is a link: removed, never emptied. */
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode) ? !remove_tree(p, error)
                                                      : !vw_file_remove(p, error))
            return FALSE;
    }
    return engine_write_status(engine, name, &inactive, error) && remove_tree(run_dir, error);
}

/* ------------------------------------------------------------ start / stop */

gboolean
vw_engine_network_start(VwEngine *engine, const char *name, GError **error)
{
    g_autoptr(VwLock) lock = NULL;
    g_autoptr(VwNetDef) def = NULL;
    g_autofree char *run_dir = NULL;
    g_autofree char *snapshot = NULL;
    g_autofree char *text = NULL;
    NetStatus st;

    g_return_val_if_fail(engine != NULL, FALSE);
    if (!engine_name_check(name, error))
        return FALSE;
    lock = engine_lock_network(engine, name, error);
    if (!lock || !engine_read_status(engine, name, &st, error))
        return FALSE;
    if (st.state == NET_ACTIVE) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_ACTIVE,
                    _("network '%s' is already active"), name);
        return FALSE;
    }
    run_dir = engine_net_run_dir(engine, name);
    snapshot = g_build_filename(run_dir, "network.xml", NULL);
    if (st.state == NET_STOPPING) {
        /* Finish the interrupted stop first, with what it was stopping. */
        g_autoptr(VwNetDef) old = engine_load_running_def(engine, name, error);

        if (!old || !engine_net_stop_steps(engine, old, &st, error) ||
            !clear_run_dir(engine, name, error))
            return FALSE;
        st.state = NET_INACTIVE;
    }
    if (st.state == NET_STARTING) {
        def = engine_load_running_def(engine, name, error); /* resume as begun */
    } else {
        g_autoptr(VwLock) global = NULL;

        def = engine_load_def(engine, name, error);
        if (!def)
            return FALSE;
        /* Journal: the index and the definition, before the kernel is touched;
         * first the refusals, which change nothing: a subnet that takes the
         * host's or another network's traffic, objects of another identity. */
        global = engine_lock_indexes(error);
        if (!global || !engine_subnet_check(engine, def, error) ||
            !engine_net_check_foreign(engine, def, error) ||
            !allocate_index(engine, name, &st.index, error))
            return FALSE;
        st.state = NET_STARTING;
        text = vw_netdef_format(def);
        if (!vw_mkdir_p(run_dir, 0755, error) ||
            !engine_write_runtime(snapshot, text, error) ||
            !engine_write_status(engine, name, &st, error))
            return FALSE;
    }
    if (!def)
        return FALSE;
    vw_fault_point("network-start:begin");
    if (!engine_net_start_steps(engine, def, &st, error)) {
        /* Roll back; the first error stays the one reported. */
        if (engine_net_stop_steps(engine, def, &st, NULL))
            clear_run_dir(engine, name, NULL);
        return FALSE;
    }
    st.state = NET_ACTIVE;
    if (!engine_write_status(engine, name, &st, error))
        return FALSE;
    vw_fault_point("network-start:active");
    return TRUE;
}

gboolean
vw_engine_network_stop(VwEngine *engine, const char *name, GError **error)
{
    return vw_engine_network_stop_flags(engine, name, VW_ENGINE_STOP_FORCE, error);
}

gboolean
vw_engine_network_stop_flags(VwEngine *engine, const char *name, VwEngineStopFlags flags,
                             GError **error)
{
    g_autoptr(VwLock) lock = NULL;
    g_autoptr(VwNetDef) def = NULL;
    NetStatus st;

    g_return_val_if_fail(engine != NULL, FALSE);
    if (!engine_name_check(name, error))
        return FALSE;
    lock = engine_lock_network(engine, name, error);
    if (!lock || !engine_read_status(engine, name, &st, error))
        return FALSE;
    if (st.state == NET_INACTIVE) {
        g_autoptr(VwNetDef) known = engine_load_def(engine, name, error);

        if (!known)
            return FALSE;
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INACTIVE,
                    _("network '%s' is not active"), name);
        return FALSE;
    }
    def = engine_load_running_def(engine, name, error);
    if (!def)
        return FALSE;
    if (st.state != NET_STOPPING) {
        if (!check_no_domains(engine, def, error))
            return FALSE;
        if (!(flags & VW_ENGINE_STOP_FORCE) && !check_no_ports(engine, def, error))
            return FALSE;
        st.state = NET_STOPPING;
        if (!engine_write_status(engine, name, &st, error))
            return FALSE;
    }
    vw_fault_point("network-stop:begin");
    return engine_net_stop_steps(engine, def, &st, error) && clear_run_dir(engine, name, error);
}

/* ------------------------------------------------------------ info */

static VwNetworkInfo *
network_info(VwEngine *engine, const char *name, GError **error)
{
    g_autoptr(VwNetDef) def = engine_load_def(engine, name, error);
    g_autofree char *leases_path = NULL;
    VwNetworkInfo *info;
    NetStatus st;

    if (!def)
        return NULL;
    info = g_new0(VwNetworkInfo, 1);
    info->name = g_strdup(def->name);
    info->uuid = g_strdup(def->uuid);
    info->netns = g_strdup(def->netns);
    info->bridge = g_strdup(def->bridge);
    info->partition = vw_cgroup_partition_for_network(def->name, NULL);
    info->forward = g_strdup(vw_forward_mode_to_string(def->forward));
    if (def->ipv4)
        info->ipv4 = g_strdup_printf("%s/%u", def->ipv4->address, def->ipv4->prefix);
    if (def->ipv6)
        info->ipv6 = g_strdup_printf("%s/%u", def->ipv6->address, def->ipv6->prefix);
    info->autostart = autostart_is_set(engine, name);
    info->active = engine_read_status(engine, name, &st, NULL) && st.state == NET_ACTIVE;
    if (info->active) {
        g_autoptr(GPtrArray) ports = engine_read_ports(engine, name, NULL);

        for (guint i = 0; ports && i < ports->len; i++)
            if (((PortRecord *)ports->pdata[i])->state == PORT_PLUGGED)
                info->n_ports++;
    }
    leases_path = vw_paths_leases_file(engine->paths, name);
    {
        g_autoptr(VwLeaseDb) db = vw_lease_db_load(leases_path, def, NULL);
        g_autoptr(GPtrArray) all = db ? vw_lease_db_list(db) : NULL;

        info->n_leases = all ? all->len : 0;
    }
    return info;
}

VwNetworkInfo *
vw_engine_network_info(VwEngine *engine, const char *name, GError **error)
{
    g_return_val_if_fail(engine != NULL, NULL);
    if (!engine_name_check(name, error))
        return NULL;
    return network_info(engine, name, error);
}

GPtrArray *
vw_engine_network_list(VwEngine *engine, GError **error)
{
    g_auto(GStrv) names = NULL;
    g_autoptr(GPtrArray) out =
        g_ptr_array_new_with_free_func((GDestroyNotify)vw_network_info_free);

    g_return_val_if_fail(engine != NULL, NULL);
    names = engine_defined_names(engine, error);
    if (!names)
        return NULL;
    for (char **n = names; *n; n++) {
        VwNetworkInfo *info = network_info(engine, *n, error);

        if (!info)
            return NULL;
        g_ptr_array_add(out, info);
    }
    return g_steal_pointer(&out);
}

VwNetDef *
vw_engine_network_get_def(VwEngine *engine, const char *name, GError **error)
{
    g_return_val_if_fail(engine != NULL, NULL);
    if (!engine_name_check(name, error))
        return NULL;
    return engine_load_def(engine, name, error);
}
