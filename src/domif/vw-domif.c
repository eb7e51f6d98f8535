#include <config.h>

/*
 * The libvirt-free domain-NIC use cases (see vw-domif.h): what the hook
 * runs at a domain's start and stop, and what the agent session runs when
 * a domain starts or stops behind its back.
 */

#include <net/if.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "vw-domif.h"
#include "vw-names.h"

G_DEFINE_QUARK(virtwire-domif-error-quark, vw_domif_error)

/* ------------------------------------------------------------ shared pieces */

gboolean
vw_domif_tap_owner(uid_t *uid, gid_t *gid, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (vw_engine_tap_owner(uid, gid, &local))
        return TRUE;
    g_set_error_literal(error, VW_DOMIF_ERROR, VW_DOMIF_ERROR_INVALID, local->message);
    return FALSE;
}

gboolean
vw_domif_queues_check(guint queues, GError **error)
{
    if (queues <= VW_DOMIF_QUEUES_MAX)
        return TRUE;
    g_set_error(error, VW_DOMIF_ERROR, VW_DOMIF_ERROR_INVALID,
                _("invalid number of queues '%u' (0 to %d)"), queues, VW_DOMIF_QUEUES_MAX);
    return FALSE;
}

/* Whether @leases (VwLeaseInfo) hold @mac, for any domain. */
static gboolean
mac_leased(GPtrArray *leases, const guint8 mac[6])
{
    for (guint i = 0; i < leases->len; i++) {
        const VwLeaseInfo *l = g_ptr_array_index(leases, i);
        guint8 other[6];

        if (l->mac && vw_mac_parse(l->mac, other, NULL) && memcmp(other, mac, 6) == 0)
            return TRUE;
    }
    return FALSE;
}

char *
vw_domif_mac_generate(VwEngine *engine, const char *network, GRand *rand, GError **error)
{
    g_autoptr(GPtrArray) leases = vw_engine_lease_list(engine, network, error);

    if (!leases)
        return NULL;
    /* 46 random bits: a collision is rare, and never kept */
    for (guint attempt = 0; attempt < 1000; attempt++) {
        guint8 mac[6];

        for (guint i = 0; i < 6; i++)
            mac[i] = (guint8)(rand ? g_rand_int_range(rand, 0, 256) : g_random_int_range(0, 256));
        mac[0] = (guint8)((mac[0] & 0xfc) | 0x02); /* locally administered, unicast */
        if (!mac_leased(leases, mac))
            return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                                   mac[4], mac[5]);
    }
    g_set_error(error, VW_DOMIF_ERROR, VW_DOMIF_ERROR_FAILED,
                _("cannot find a MAC address that network '%s' does not lease already"), network);
    return NULL;
}

GPtrArray *
vw_domif_ports(const VwDomInfo *info)
{
    GPtrArray *ports = g_ptr_array_new();

    for (guint i = 0; i < info->ifaces->len; i++) {
        VwDomIface *iface = g_ptr_array_index(info->ifaces, i);

        if (iface->network)
            g_ptr_array_add(ports, iface);
    }
    return ports;
}

static const char *
domain_label(const VwDomInfo *info)
{
    return info->name ? info->name : info->uuid;
}

/* Prefix @error with the port it is about. */
static void
error_prefix_port(GError **error, const VwDomInfo *info, const VwDomIface *iface)
{
    g_prefix_error(error, _("cannot plug interface %s of domain '%s' into virtwire network '%s': "),
                   iface->mac, domain_label(info), iface->network);
}

/*
 * What a port needs before the engine may touch anything: the domain's
 * UUID, a MAC, a managed='no' ethernet NIC, and a tap name that is free or
 * this port's own tap (the alias the engine gives it names network, domain
 * and MAC): a link of that name that is somebody else's is never touched.
 */
static gboolean
port_check(const VwDomInfo *info, const VwDomIface *iface, GError **error)
{
    g_autofree char *path = NULL;
    g_autofree char *alias = NULL;
    g_autofree char *want = NULL;

    if (!info->uuid || !iface->mac) {
        g_set_error(error, VW_DOMIF_ERROR, VW_DOMIF_ERROR_INVALID,
                    _("the XML of domain '%s' has no <uuid> or no MAC address for its virtwire "
                      "port on network '%s'"),
                    domain_label(info), iface->network);
        return FALSE;
    }
    if (!vw_dom_iface_is_unmanaged_tap(iface)) {
        g_set_error(error, VW_DOMIF_ERROR, VW_DOMIF_ERROR_INVALID,
                    _("interface %s of domain '%s' is a port of virtwire network '%s' but is not "
                      "<interface type='ethernet'> with <target dev='...' managed='no'/>"),
                    iface->mac, domain_label(info), iface->network);
        return FALSE;
    }
    if (!iface->target_dev)
        return TRUE; /* the engine derives the name from (UUID, MAC) */
    if (!vw_domxml_tap_check(iface->target_dev, error)) {
        error_prefix_port(error, info, iface);
        return FALSE;
    }
    path = g_strdup_printf("/sys/class/net/%s/ifalias", iface->target_dev);
    if (!g_file_get_contents(path, &alias, NULL, NULL)) {
        g_autofree char *dir = g_path_get_dirname(path);

        if (!g_file_test(dir, G_FILE_TEST_EXISTS))
            return TRUE; /* no such link */
    }
    want = vw_port_alias_format(iface->network, info->uuid, iface->mac, "tap");
    if (alias && want && g_str_equal(g_strchomp(alias), want))
        return TRUE;
    g_set_error(error, VW_DOMIF_ERROR, VW_DOMIF_ERROR_EXISTS,
                _("its tap name '%s' is taken by a link that is not this port's tap"),
                iface->target_dev);
    error_prefix_port(error, info, iface);
    return FALSE;
}

static void
request_fill(VwPortRequest *req, const VwDomInfo *info, const VwDomIface *iface, uid_t uid,
             gid_t gid)
{
    memset(req, 0, sizeof(*req));
    req->network = iface->network;
    req->domain_uuid = info->uuid;
    req->domain_name = info->name;
    req->mac = iface->mac;
    req->tap = iface->target_dev;
    req->queues = iface->queues;
    req->owner = uid;
    req->group = gid;
}

static void
report_take(VwDomifReport report, gpointer user_data, GError *error)
{
    if (report)
        report(error, user_data);
    g_error_free(error);
}

/* ------------------------------------------------------------ plug */

/* One plug of a domain: its ports and what was plugged of them. */
typedef struct {
    VwEngine *engine;
    const VwDomInfo *info;
    GPtrArray *ports;     /* (element-type VwDomIface) */
    VwPortInfo **plugged; /* [ports->len]: what this call plugged, else NULL */
    VwDomifReport report;
    gpointer user_data;
} Plug;

/* Undo the ports this call plugged, last first.  The domain is not running
 * (a start comes before QEMU), so a port that was plugged already is a
 * leftover and goes too; a lease this call made is freed, an older one kept. */
static void
plug_undo(Plug *p)
{
    for (guint j = p->ports->len; j-- > 0;) {
        const VwDomIface *iface = p->ports->pdata[j];
        g_autoptr(GError) local = NULL;
        gboolean ok;

        if (!p->plugged[j])
            continue;
        ok = p->plugged[j]->lease_created
                 ? vw_engine_port_release(p->engine, iface->network, p->info->uuid, iface->mac,
                                          &local)
                 : vw_engine_port_unplug(p->engine, iface->network, p->info->uuid, iface->mac,
                                         &local);
        if (!ok) {
            g_prefix_error(&local,
                           _("cannot remove the port of interface %s of domain '%s' from "
                             "virtwire network '%s' after the failed start: "),
                           iface->mac, domain_label(p->info), iface->network);
            report_take(p->report, p->user_data, g_steal_pointer(&local));
        }
    }
}

/* Plug the ports from @first on that are on its network, in one engine
 * call: one lock, one netns handle, one disk flush for all new leases. */
static gboolean
plug_network(Plug *p, guint first, uid_t uid, gid_t gid, GError **error)
{
    const char *network = ((const VwDomIface *)p->ports->pdata[first])->network;
    g_autoptr(GArray) reqs = g_array_new(FALSE, FALSE, sizeof(VwPortRequest));
    g_autoptr(GArray) index = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autoptr(GPtrArray) done = NULL;
    guint failed = 0;

    for (guint j = first; j < p->ports->len; j++) {
        const VwDomIface *iface = p->ports->pdata[j];
        VwPortRequest req;

        if (!g_str_equal(iface->network, network))
            continue;
        request_fill(&req, p->info, iface, uid, gid);
        g_array_append_val(reqs, req);
        g_array_append_val(index, j);
    }
    done = vw_engine_ports_plug(p->engine, (const VwPortRequest *)(void *)reqs->data, reqs->len,
                                &failed, error);
    if (!done) {
        if (reqs->len == 1)
            failed = 0; /* the message names the interface, as for one port */
        if (failed < reqs->len)
            error_prefix_port(error, p->info, p->ports->pdata[g_array_index(index, guint, failed)]);
        else
            g_prefix_error(error,
                           _("cannot plug the interfaces of domain '%s' into virtwire network "
                             "'%s': "),
                           domain_label(p->info), network);
        /* The engine undid what it made; ports of this network that were
         * plugged before (leftovers: the domain is not running) go too. */
        for (guint k = 0; k < reqs->len; k++)
            vw_engine_port_unplug(p->engine, network, p->info->uuid,
                                  g_array_index(reqs, VwPortRequest, k).mac, NULL);
        return FALSE;
    }
    for (guint k = 0; k < done->len; k++)
        p->plugged[g_array_index(index, guint, k)] = g_steal_pointer(&done->pdata[k]);
    return TRUE;
}

gboolean
vw_domif_plug(const char *root, const VwDomInfo *info, VwDomifReport report, gpointer user_data,
              GError **error)
{
    g_autoptr(GPtrArray) ports = vw_domif_ports(info);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GError) local = NULL;
    g_autoptr(VwEngine) engine = NULL;
    Plug p = { NULL, info, ports, NULL, report, user_data };
    gboolean ok = TRUE;
    uid_t uid;
    gid_t gid;

    /* Check everything before anything is touched. */
    for (guint i = 0; i < ports->len; i++) {
        if (!port_check(info, ports->pdata[i], error))
            return FALSE;
    }
    if (ports->len == 0)
        return TRUE;
    if (!vw_domif_tap_owner(&uid, &gid, &local)) {
        g_propagate_prefixed_error(error, g_steal_pointer(&local), _("cannot start domain '%s': "),
                                   domain_label(info));
        return FALSE;
    }
    /* only now: opening the engine makes its state directories */
    p.engine = engine = vw_engine_open(root, &local);
    if (!engine) {
        g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                   _("cannot open the virtwire state for domain '%s': "),
                                   domain_label(info));
        return FALSE;
    }
    p.plugged = g_new0(VwPortInfo *, ports->len);
    for (guint i = 0; i < ports->len && ok; i++) {
        const VwDomIface *iface = ports->pdata[i];

        if (!g_hash_table_add(seen, iface->network))
            continue; /* plugged with the first port of its network */
        if (!plug_network(&p, i, uid, gid, error)) {
            plug_undo(&p);
            ok = FALSE;
        }
    }
    for (guint i = 0; i < ports->len; i++)
        vw_port_info_free(p.plugged[i]);
    g_free(p.plugged);
    return ok;
}

/* ------------------------------------------------------------ repair */

/* Whether the engine has a port of (@uuid, @mac) on @network. */
static gboolean
port_known(VwEngine *engine, GHashTable *cache, const char *network, const char *uuid,
           const char *mac)
{
    GPtrArray *ports = g_hash_table_lookup(cache, network);

    if (!ports) {
        ports = vw_engine_port_list(engine, network, NULL);
        if (!ports)
            ports = g_ptr_array_new();
        g_hash_table_insert(cache, (gpointer)network, ports);
    }
    for (guint i = 0; i < ports->len; i++) {
        const VwPortInfo *p = g_ptr_array_index(ports, i);

        if (g_ascii_strcasecmp(p->domain_uuid, uuid) == 0 && g_ascii_strcasecmp(p->mac, mac) == 0)
            return TRUE;
    }
    return FALSE;
}

guint
vw_domif_repair(VwEngine *engine, const VwDomInfo *info, gboolean missing_only,
                VwDomifReport report, gpointer user_data)
{
    g_autoptr(GPtrArray) ports = vw_domif_ports(info);
    g_autoptr(GHashTable) known_ports =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_ptr_array_unref);
    g_autoptr(GError) local = NULL;
    guint plugged = 0;
    uid_t uid;
    gid_t gid;

    if (ports->len == 0)
        return 0;
    if (!vw_domif_tap_owner(&uid, &gid, &local)) {
        g_prefix_error(&local, _("domain '%s': "), domain_label(info));
        report_take(report, user_data, g_steal_pointer(&local));
        /* repair never fails: root's taps, never taps anyone may open */
        uid = 0;
        gid = 0;
    }
    for (guint i = 0; i < ports->len; i++) {
        const VwDomIface *iface = ports->pdata[i];
        g_autoptr(VwPortInfo) port = NULL;
        VwPortRequest req;
        gboolean known = info->uuid && iface->mac &&
                         port_known(engine, known_ports, iface->network, info->uuid, iface->mac);

        if (known && missing_only)
            continue;
        if (!known && iface->target_dev && vw_domxml_tap_check(iface->target_dev, NULL) &&
            if_nametoindex(iface->target_dev) != 0) {
            /* A running QEMU holds the tap it was started with, and a failed
             * plug would remove a tap that carries the port's alias. */
            g_set_error(&local, VW_DOMIF_ERROR, VW_DOMIF_ERROR_EXISTS,
                        _("cannot plug interface %s of running domain '%s' into virtwire network "
                          "'%s': its tap '%s' exists already (the domain holds it) and virtwire "
                          "does not take over a tap; restart the domain with virtwire's hook "
                          "installed"),
                        iface->mac, domain_label(info), iface->network, iface->target_dev);
            report_take(report, user_data, g_steal_pointer(&local));
            continue;
        }
        if (!port_check(info, iface, &local)) {
            report_take(report, user_data, g_steal_pointer(&local));
            continue;
        }
        request_fill(&req, info, iface, uid, gid);
        port = vw_engine_port_plug(engine, &req, &local);
        if (!port) {
            error_prefix_port(&local, info, iface);
            report_take(report, user_data, g_steal_pointer(&local));
            continue;
        }
        plugged++;
    }
    return plugged;
}

/* ------------------------------------------------------------ unplug, release */

static gboolean
unplug_one(VwEngine *engine, const char *uuid, const char *name, const char *network,
           const char *mac, VwDomifReport report, gpointer user_data)
{
    g_autoptr(GError) local = NULL;

    if (vw_engine_port_unplug(engine, network, uuid, mac, &local))
        return TRUE;
    g_prefix_error(&local,
                   _("cannot unplug interface %s of domain '%s' from virtwire network '%s': "), mac,
                   name ? name : uuid, network);
    report_take(report, user_data, g_steal_pointer(&local));
    return FALSE;
}

int
vw_domif_unplug(VwEngine *engine, const char *domain_uuid, const char *domain_name,
                GPtrArray *ports, VwDomifReport report, gpointer user_data)
{
    g_autoptr(GPtrArray) known = NULL;
    g_autoptr(GError) local = NULL;
    int n = 0;

    if (ports) {
        for (guint i = 0; i < ports->len; i++) {
            const VwDomIface *iface = ports->pdata[i];

            n += unplug_one(engine, domain_uuid, domain_name, iface->network, iface->mac, report,
                            user_data);
        }
        return n;
    }
    known = vw_engine_port_list(engine, NULL, &local);
    if (!known) {
        report_take(report, user_data, g_steal_pointer(&local));
        return -1;
    }
    for (guint i = 0; i < known->len; i++) {
        const VwPortInfo *p = known->pdata[i];

        if (g_ascii_strcasecmp(p->domain_uuid, domain_uuid) == 0)
            n += unplug_one(engine, domain_uuid, domain_name, p->network, p->mac, report,
                            user_data);
    }
    return n;
}

gboolean
vw_domif_release(VwEngine *engine, const char *domain_uuid, const char *network, GError **error)
{
    if (vw_engine_port_release(engine, network, domain_uuid, NULL, error))
        return TRUE;
    g_prefix_error(error,
                   _("cannot remove the ports and leases of vanished domain %s from virtwire "
                     "network '%s': "),
                   domain_uuid, network);
    return FALSE;
}
