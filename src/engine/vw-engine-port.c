#include <config.h>

/*
 * Ports: a domain NIC plugged into a network.  In the host netns a tap
 * (QEMU opens it) and the host end of a veth pair, tc redirecting each one's
 * ingress out of the other; the veth's peer sits on the network's bridge.
 * The record in RUN/networks/NAME/ports/ is written before the kernel is
 * touched and says how far the plug or unplug got.
 */

#include <glib/gi18n-lib.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "vw-atomic.h"
#include "vw-dnsmasq.h"
#include "vw-engine-port.h"
#include "vw-fault.h"
#include "vw-fd.h"
#include "vw-guard.h"
#include "vw-ipam.h"
#include "vw-names.h"
#include "vw-net-error.h"
#include "vw-netns.h"
#include "vw-tap.h"

#define VW_QUEUES_MAX 256
/* Groups of links being unplugged: this bit + the tap's ifindex. */
#define VW_UNPLUG_GROUP_BASE 0x40000000u

void
vw_port_info_free(VwPortInfo *info)
{
    if (!info)
        return;
    g_free(info->network);
    g_free(info->domain_uuid);
    g_free(info->domain_name);
    g_free(info->mac);
    g_free(info->tap);
    g_free(info->host);
    g_free(info->peer);
    g_free(info->ipv4);
    g_free(info->ipv6);
    g_free(info->state);
    g_free(info);
}

void
vw_lease_info_free(VwLeaseInfo *info)
{
    if (!info)
        return;
    g_free(info->domain_uuid);
    g_free(info->domain_name);
    g_free(info->mac);
    g_free(info->ipv4);
    g_free(info->ipv6);
    g_free(info->hostname);
    g_free(info);
}

static VwPortInfo *
port_info(const PortRecord *rec, VwLeaseDb *db)
{
    VwPortInfo *info = g_new0(VwPortInfo, 1);
    const VwLeaseRecord *lease =
        db ? vw_lease_db_lookup_mac(db, rec->domain_uuid, &rec->mac) : NULL;
    char mac[VW_MAC_BUFSIZE];

    info->network = g_strdup(rec->network);
    info->domain_uuid = g_strdup(rec->domain_uuid);
    info->domain_name = g_strdup(rec->domain_name);
    info->mac = g_strdup(vw_mac_format(&rec->mac, mac));
    info->tap = g_strdup(rec->tap);
    info->host = g_strdup(rec->host);
    info->peer = g_strdup(rec->peer);
    info->queues = rec->queues;
    info->state = g_strdup(port_state_name(rec->state));
    if (lease) {
        info->ipv4 = g_strdup(lease->ipv4);
        info->ipv6 = g_strdup(lease->ipv6);
    }
    return info;
}

/* ------------------------------------------------------------ plumbing */

static gboolean
delete_link(VwRtnl *host, const char *name, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (vw_rtnl_link_delete(host, name, &local) ||
        g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND))
        return TRUE;
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
}

/*
 * Whether @link is this port's @role link: its alias says so, or it has no
 * alias yet (a crash between creating it and configuring it) and carries
 * the name derived from the port's identity.  Anything else with the same
 * name (a user's own tap given as target dev) is never touched.
 */
static gboolean
link_is_ours(const VwLink *link, const PortRecord *rec, const char *role)
{
    g_autofree char *alias =
        vw_port_alias_format_mac(rec->network, rec->domain_uuid, &rec->mac, role);
    VwPortNames names;

    if (link->alias && *link->alias)
        return g_str_equal(link->alias, alias);
    vw_port_names_mac(rec->domain_uuid, &rec->mac, &names);
    return g_str_equal(link->name, g_str_equal(role, "tap") ? names.tap : names.host);
}

/*
 * Delete the port's tap and host end (its peer goes with it), whatever
 * state they are in; links of the same names that are not the port's are
 * left alone.  RTM_DELLINK also removes a tap that QEMU still holds open.
 */
gboolean
engine_port_remove_plumbing(VwRtnl *host, const PortRecord *rec, gboolean keep_held_tap,
                            GError **error)
{
    g_autoptr(VwLink) tap = vw_rtnl_link_get(host, rec->tap, NULL);
    g_autoptr(VwLink) hend = vw_rtnl_link_get(host, rec->host, NULL);
    GError *local = NULL;
    gboolean ok = TRUE;

    if (tap && !link_is_ours(tap, rec, "tap"))
        g_clear_pointer(&tap, vw_link_free);
    if (hend && !link_is_ours(hend, rec, "host"))
        g_clear_pointer(&hend, vw_link_free);
    if (tap && keep_held_tap && tap->carrier) {
        /* QEMU has the tap open: deleting it would cut the guest off for
         * good (QEMU keeps the fd of a device that is gone).  Keep it and
         * take its redirect off; engine_port_plumb() builds the rest
         * around it. */
        if (!vw_rtnl_ingress_delete(host, rec->tap, &local) &&
            !g_error_matches(local, VW_NET_ERROR, VW_NET_ERROR_NOT_FOUND)) {
            ok = FALSE;
            engine_keep_first(error, local);
        } else {
            g_clear_error(&local);
        }
        local = NULL;
        g_clear_pointer(&tap, vw_link_free);
    }
    if (tap && hend) {
        /*
         * Both links in one request: a netdev group of their own, named
         * after the tap's ifindex (unique while the tap exists, and we hold
         * the network's lock), deleted at once.  The kernel then waits for
         * one RCU grace period instead of one per link (~15 ms each here).
         */
        const VwLinkConfig cfg = { .group = VW_UNPLUG_GROUP_BASE | (guint32)tap->ifindex };

        if (vw_rtnl_link_configure(host, rec->tap, &cfg, NULL) &&
            vw_rtnl_link_configure(host, rec->host, &cfg, NULL) &&
            vw_rtnl_link_delete_group(host, cfg.group, NULL))
            return TRUE;
    }
    if (tap && !delete_link(host, rec->tap, &local)) {
        ok = FALSE;
        engine_keep_first(error, local);
        local = NULL;
    }
    if (hend && !delete_link(host, rec->host, &local)) {
        ok = FALSE;
        engine_keep_first(error, local);
    }
    return ok;
}

gboolean
engine_port_is_whole(VwRtnl *host, const PortRecord *rec)
{
    g_autoptr(VwLink) tap = vw_rtnl_link_get(host, rec->tap, NULL);
    g_autoptr(VwLink) h = tap ? vw_rtnl_link_get(host, rec->host, NULL) : NULL;

    return tap && h && tap->up && h->up;
}

/* The tap's own MAC: the guest's with the first byte 0xfe, as libvirt does,
 * so that the host end never answers for the guest's address. */
static VwMac
tap_mac(const VwMac *guest)
{
    VwMac mac = *guest;

    mac.b[0] = 0xfe;
    return mac;
}

void
engine_ns_clear(EngineNs *ns)
{
    if (ns->opening)
        vw_rtnl_free(vw_rtnl_open_finish(g_steal_pointer(&ns->opening), NULL));
    g_clear_pointer(&ns->rtnl, vw_rtnl_free);
    if (ns->fd >= 0)
        close(ns->fd);
    ns->fd = -1;
}

/*
 * One direction of <bandwidth> as a token bucket on the link it leaves by,
 * in libvirt's units as libvirt hands them to tc: average and peak in
 * kilobytes of 1000 bytes per second (tc's "kbps"), burst in kilobytes of
 * 1024 bytes (tc's "kb").  Without a burst, towards the guest a bucket of
 * 10 ms at the average rate (libvirt's htb takes about one frame; a tbf
 * needs room for a timer's slack), from the guest one second's worth (what
 * libvirt's ingress policer gets).  The bucket holds a whole frame at
 * least; a queue of 50 ms at the average rate waits for tokens (at least
 * two frames, at most 16 MiB), the rest is dropped.
 */
static gboolean
port_shape_set(VwRtnl *host, const char *link, const VwBandwidthDir *dir, gboolean to_guest,
               guint mtu, GError **error)
{
    const guint64 frame = (guint64)(mtu ? mtu : 1500) + 14 + 4; /* Ethernet + VLAN header */
    VwShape shape = { 0 };
    guint64 burst;

    shape.rate = dir->average * 1000;
    if (dir->peak > dir->average)
        shape.peak = dir->peak * 1000;
    if (dir->burst)
        burst = dir->burst * 1024;
    else
        burst = to_guest ? shape.rate / 100 : dir->average * 1024;
    shape.burst = (guint32)CLAMP(burst, frame, G_MAXUINT32);
    shape.frame = (guint32)frame;
    shape.limit = (guint32)CLAMP(shape.rate / 20, 2 * frame, 16u << 20);
    return vw_rtnl_shape_set(host, link, &shape, error);
}

/* Make the port's plumbing from scratch (the caller removed any leftover). */
gboolean
engine_port_plumb(VwRtnl *host, EngineNs *ns, const VwNetDef *def, const NetStatus *status,
                  PortRecord *rec, GError **error)
{
    g_autofree char *tap_alias = NULL;
    g_autofree char *host_alias = NULL;
    g_autofree char *peer_alias = NULL;
    VwTapFlags flags = VW_TAP_VNET_HDR;
    g_auto(VwFd) tap_fd = -1;
    VwMac mac = tap_mac(&rec->mac);
    gboolean keep_tap;

    if (ns->fd < 0) {
        ns->fd = vw_netns_open(def->netns, error);
        if (ns->fd < 0)
            return FALSE;
    }
    if (!ns->rtnl && !ns->opening) {
        ns->opening = vw_rtnl_open_begin(ns->fd, error);
        if (!ns->opening)
            return FALSE;
    }
    {
        /* A tap of this port that QEMU holds was kept by
         * engine_port_remove_plumbing(): plumb around it. */
        g_autoptr(VwLink) tap = vw_rtnl_link_get(host, rec->tap, NULL);

        keep_tap = tap && tap->carrier && link_is_ours(tap, rec, "tap");
    }
    tap_alias = vw_port_alias_format_mac(def->name, rec->domain_uuid, &rec->mac, "tap");
    host_alias = vw_port_alias_format_mac(def->name, rec->domain_uuid, &rec->mac, "host");
    peer_alias = vw_port_alias_format_mac(def->name, rec->domain_uuid, &rec->mac, "peer");
    {
        /* Taps and host ends join the network's netdev group: a stop
         * deletes them all in one batch.  They carry the guest's frames and
         * have no IPv6 of their own (no MLD reports flooded over the
         * bridge; the netns side gets that from the netns default). */
        const VwLinkConfig tap_cfg = { .mtu = def->mtu, .alias = tap_alias, .l2_only = TRUE,
                                       .no_ipv6 = TRUE, .group = engine_group(status->index) };
        const VwLinkConfig host_cfg = { .mtu = def->mtu, .alias = host_alias, .l2_only = TRUE,
                                        .no_ipv6 = TRUE, .group = engine_group(status->index) };
        const VwLinkConfig peer_cfg = { .master = def->bridge, .mtu = def->mtu,
                                        .alias = peer_alias, .l2_only = TRUE, .up = TRUE };

        if (rec->queues > 1)
            flags |= VW_TAP_MULTI_QUEUE;
        if (!keep_tap) {
            tap_fd = vw_tap_create_held(rec->tap, flags, (uid_t)rec->owner, (gid_t)rec->group,
                                        mac.b, error);
            if (tap_fd < 0)
                return FALSE;
        }
        if (!vw_rtnl_link_configure(host, rec->tap, &tap_cfg, error))
            return FALSE;
        vw_fault_point("port-plug:tap");
        if (!vw_rtnl_veth_add(host, rec->host, rec->peer, ns->fd, error))
            return FALSE;
        if (ns->opening) {
            ns->rtnl = vw_rtnl_open_finish(g_steal_pointer(&ns->opening), error);
            if (!ns->rtnl)
                return FALSE;
        }
        if (!vw_rtnl_link_configure(ns->rtnl, rec->peer, &peer_cfg, error) ||
            !vw_rtnl_link_configure(host, rec->host, &host_cfg, error))
            return FALSE;
        vw_fault_point("port-plug:veth");
    }
    /* The redirects go on while tap and host end are still down: grafting
     * an ingress qdisc onto a link that is up waits for an RCU grace period
     * (dev_deactivate), a few ms each.  The tap's creation fd is closed
     * between qdiscs and filters: the grace period its close waits for
     * serves the qdiscs' first filters too (see vw_tap_create_held()). */
    if (!vw_rtnl_ingress_add(host, rec->tap, error) ||
        !vw_rtnl_ingress_add(host, rec->host, error))
        return FALSE;
    /* <bandwidth>: a token bucket where each direction leaves the host,
     * grafted while the links are down too.  Towards the guest that is the
     * tap; from the guest the host end (the tap's ingress redirects out of
     * it).  A kept tap is up: its bucket is replaced in place.  A kept tap
     * never carries a bucket this definition lacks: taps are kept only by a
     * re-plug or a repair of an active network, whose running definition
     * (network.xml) is fixed from start to stop and made the tap; a stop
     * deletes every tap of the network (its netdev group, QEMU's open fd
     * or not), and a start first finishes a stop that did not, so a network
     * started again with another <bandwidth> plugs fresh taps only.  Hence
     * no qdisc deletion for an unset direction (a fresh port makes no extra
     * request). */
    if (def->in.set && !port_shape_set(host, rec->tap, &def->in, TRUE, def->mtu, error))
        return FALSE;
    if (def->out.set && !port_shape_set(host, rec->host, &def->out, FALSE, def->mtu, error))
        return FALSE;
    if (tap_fd >= 0) {
        vw_fd_close(tap_fd);
        tap_fd = -1;
    }
    if (!vw_rtnl_redirect_add(host, rec->tap, rec->host, error) ||
        !vw_rtnl_redirect_add(host, rec->host, rec->tap, error))
        return FALSE;
    vw_fault_point("port-plug:redirect");
    return vw_rtnl_link_set_up(host, rec->tap, TRUE, error) &&
           vw_rtnl_link_set_up(host, rec->host, TRUE, error);
}

/* ------------------------------------------------------------ tap owner */

/* A user by name or number; a name also gives its primary group. */
static gboolean
user_parse(const char *text, uid_t *uid, gid_t *primary)
{
    struct passwd pwbuf, *pw = NULL;
    char buf[4096];
    guint64 v;

    if (g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT32 - 1, &v, NULL)) {
        *uid = (uid_t)v;
        return TRUE;
    }
    if (getpwnam_r(text, &pwbuf, buf, sizeof(buf), &pw) != 0 || !pw)
        return FALSE;
    *uid = pw->pw_uid;
    *primary = pw->pw_gid;
    return TRUE;
}

/* A group by name or number. */
static gboolean
group_parse(const char *text, gid_t *gid)
{
    struct group grbuf, *gr = NULL;
    char buf[4096];
    guint64 v;

    if (g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT32 - 1, &v, NULL)) {
        *gid = (gid_t)v;
        return TRUE;
    }
    if (getgrnam_r(text, &grbuf, buf, sizeof(buf), &gr) != 0 || !gr)
        return FALSE;
    *gid = gr->gr_gid;
    return TRUE;
}

gboolean
vw_engine_tap_owner(uid_t *uid, gid_t *gid, GError **error)
{
    const char *env = g_getenv("VIRTWIRE_TAP_USER");
    const char *colon;
    g_autofree char *user = NULL;
    gid_t primary = (gid_t)-1;

    /*
     * By default a tap belongs to root (user and group 0): only root or a
     * process with CAP_NET_ADMIN can attach to it.  libvirt (libvirtd, as
     * root) opens a managed='no' tap itself and passes the descriptor to
     * QEMU, so QEMU's user needs no right on it; giving it one would let
     * any QEMU attach to any domain's tap (a multi-queue tap even takes a
     * second process).  A tap without owner and group is worse still: the
     * kernel lets anyone who can open /dev/net/tun attach to it.
     * VIRTWIRE_TAP_USER opts in to another owner, for a libvirt that runs
     * as a user (qemu:///session); empty asks for none.
     */
    *uid = 0;
    *gid = 0;
    if (!env)
        return TRUE;
    *uid = (uid_t)-1;
    *gid = (gid_t)-1;
    if (!*env)
        return TRUE;
    colon = strchr(env, ':');
    user = colon ? g_strndup(env, (gsize)(colon - env)) : g_strdup(env);
    if ((*user && !user_parse(user, uid, &primary)) ||
        (colon && (!*(colon + 1) || !group_parse(colon + 1, gid)))) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INVALID,
                    _("invalid VIRTWIRE_TAP_USER '%s': expected USER[:GROUP] naming an existing "
                      "user and group (names or numbers), or nothing for no owner"),
                    env);
        *uid = (uid_t)-1;
        *gid = (gid_t)-1;
        return FALSE;
    }
    if (!colon)
        *gid = primary;
    return TRUE;
}

/* ------------------------------------------------------------ plug */

/* The engine's entry for a port: its network's name, UUID and MAC are
 * checked here, the MAC parsed into @mac; nothing below parses them again. */
static gboolean
request_check(const VwPortRequest *req, VwMac *mac, GError **error)
{
    if (!engine_name_check(req->network, error) || !vw_uuid_check(req->domain_uuid, error) ||
        !vw_mac_parse(req->mac, mac->b, error))
        return FALSE;
    if (req->tap && !vw_ifname_check(req->tap, error))
        return FALSE;
    if (req->queues > VW_QUEUES_MAX) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INVALID,
                    _("invalid queue count %u for the port of MAC %s: at most %d"), req->queues,
                    req->mac, VW_QUEUES_MAX);
        return FALSE;
    }
    return TRUE;
}

/* The network's running definition and status; INACTIVE unless active. */
static VwNetDef *
active_def(VwEngine *engine, const char *network, NetStatus *st, GError **error)
{
    if (!engine_read_status(engine, network, st, error))
        return NULL;
    if (st->state != NET_ACTIVE) {
        g_autoptr(VwNetDef) def = engine_load_def(engine, network, error);

        if (def)
            g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INACTIVE,
                        _("network '%s' is not active"), network);
        return NULL;
    }
    return engine_load_running_def(engine, network, error);
}

/* A lease database written on a thread of its own while the caller does
 * the port's kernel work (the write ends with two fsyncs). */
typedef struct {
    VwLeaseDb *db;
    GError *error;
    GThread *thread;
} LeaseSave;

static gpointer
lease_save_run(gpointer data)
{
    LeaseSave *save = data;

    vw_lease_db_save(save->db, &save->error);
    return NULL;
}

/* Start writing @db (which the caller leaves alone until
 * lease_save_finish()); NULL when the write must be done in line: under
 * fault injection (an injected exit must not land in a write) or when no
 * thread can be made. */
static LeaseSave *
lease_save_start(VwLeaseDb *db)
{
    g_autofree LeaseSave *save = NULL;

    if (vw_fault_armed())
        return NULL;
    save = g_new0(LeaseSave, 1);
    save->db = db;
    save->thread = g_thread_try_new("vw-lease-save", lease_save_run, save, NULL);
    return save->thread ? g_steal_pointer(&save) : NULL;
}

/* Wait for the write and free @save; FALSE with @error set when it failed. */
static gboolean
lease_save_finish(LeaseSave *save, GError **error)
{
    gboolean ok;

    g_thread_join(save->thread);
    ok = save->error == NULL;
    if (!ok)
        g_propagate_error(error, save->error);
    g_free(save);
    return ok;
}

/* The journal record of a plug of @req (@uuid lowercase) that is starting. */
static PortRecord *
plugging_record(const VwPortRequest *req, const char *uuid, const VwMac *mac,
                const VwPortNames *names)
{
    PortRecord *rec = g_new0(PortRecord, 1);

    rec->state = PORT_PLUGGING;
    rec->network = g_strdup(req->network);
    rec->domain_uuid = g_strdup(uuid);
    rec->domain_name = g_strdup(req->domain_name);
    rec->mac = *mac;
    rec->tap = g_strdup(req->tap ? req->tap : names->tap);
    rec->host = g_strdup(names->host);
    rec->peer = g_strdup(names->peer);
    rec->queues = MAX(req->queues, 1);
    rec->owner = req->owner == (uid_t)-1 ? -1 : (gint64)req->owner;
    rec->group = req->group == (gid_t)-1 ? -1 : (gint64)req->group;
    return rec;
}

/* One port of a vw_engine_ports_plug() call. */
typedef struct {
    const VwPortRequest *req;
    char *uuid; /* lowercase */
    VwMac mac;
    char mac_text[VW_MAC_BUFSIZE]; /* canonical */
    char *path;      /* its record */
    PortRecord *old; /* plugged and whole already: returned as it is */
    PortRecord *rec; /* being plugged by this call (the rollback undoes it) */
    gboolean created;   /* this call made its lease */
    gboolean lease_new; /* ... or an interrupted plug did: the rollback frees it */
    gboolean written;   /* this call wrote its record (the rollback removes it) */
    char *ipv4, *ipv6;  /* its lease, when found by vw_lease_db_peek() */
} PlugItem;

static void
plug_items_free(PlugItem *items, guint n)
{
    for (guint i = 0; i < n; i++) {
        g_free(items[i].uuid);
        g_free(items[i].path);
        g_clear_pointer(&items[i].old, port_record_free);
        g_clear_pointer(&items[i].rec, port_record_free);
        g_free(items[i].ipv4);
        g_free(items[i].ipv6);
    }
    g_free(items);
}

/*
 * Every start of a domain after its first: the ports' leases exist and stay
 * as they are.  Then they are read from the lease file without loading the
 * whole database (which grows with the network), and nothing is written.
 * FALSE when any port needs the database (a lease to make, to change, or
 * that an interrupted plug made and a rollback would free).
 */
static gboolean
plug_items_peek(VwEngine *engine, const VwNetDef *def, PlugItem *items, guint n)
{
    g_autofree char *path = vw_paths_leases_file(engine->paths, def->name);
    g_autofree VwLeasePeek *leases = g_new0(VwLeasePeek, n);

    for (guint i = 0; i < n; i++) {
        if (items[i].lease_new)
            return FALSE;
        leases[i].domain_uuid = items[i].uuid;
        leases[i].domain_name = items[i].req->domain_name;
        leases[i].mac = items[i].mac_text;
    }
    if (!vw_lease_db_peek(path, def, leases, n))
        return FALSE;
    for (guint i = 0; i < n; i++) {
        items[i].ipv4 = leases[i].ipv4;
        items[i].ipv6 = leases[i].ipv6;
    }
    return TRUE;
}

/* Check @reqs and fill @items: one network, no port twice.  *@failed: the
 * request refused. */
static gboolean
plug_items_init(VwEngine *engine, const VwPortRequest *reqs, guint n, PlugItem *items,
                guint *failed, GError **error)
{
    for (guint i = 0; i < n; i++) {
        PlugItem *it = &items[i];

        *failed = i;
        if (!request_check(&reqs[i], &it->mac, error))
            return FALSE;
        if (!g_str_equal(reqs[i].network, reqs[0].network)) {
            g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INVALID,
                        _("ports plugged together must be on one network, not on '%s' and '%s'"),
                        reqs[0].network, reqs[i].network);
            return FALSE;
        }
        it->req = &reqs[i];
        it->uuid = g_ascii_strdown(reqs[i].domain_uuid, -1);
        vw_mac_format(&it->mac, it->mac_text);
        for (guint j = 0; j < i; j++) {
            if (g_str_equal(items[j].uuid, it->uuid) && vw_mac_equal(&items[j].mac, &it->mac)) {
                g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INVALID,
                            _("the port of MAC %s of domain %s is given twice"), it->mac_text,
                            it->uuid);
                return FALSE;
            }
        }
        it->path = engine_port_file(engine, reqs[i].network, it->uuid, &it->mac);
    }
    *failed = n;
    return TRUE;
}

/* The anti-spoofing elements of every port of the call (vw-guard.c), with
 * the addresses of their leases (@db, or what the peek found). */
static gboolean
plug_items_guard(VwEngine *engine, const VwNetDef *def, VwLeaseDb *db, const PlugItem *items,
                 guint n, GError **error)
{
    g_autofree VwGuardPort *ports = g_new0(VwGuardPort, n);

    for (guint i = 0; i < n; i++) {
        const PortRecord *rec = items[i].old ? items[i].old : items[i].rec;
        const VwLeaseRecord *lease =
            db ? vw_lease_db_lookup_mac(db, items[i].uuid, &items[i].mac) : NULL;

        ports[i].peer = rec->peer;
        ports[i].mac = &rec->mac;
        ports[i].ipv4 = lease ? lease->ipv4 : items[i].ipv4;
        ports[i].ipv6 = lease ? lease->ipv6 : items[i].ipv6;
    }
    return engine_guard_ports_add(engine, def, ports, n, error);
}

/*
 * With the lock held: keep the ports that are plugged and whole, clear what
 * is left of the others (an interrupted plug, or plumbing broken behind our
 * back; a tap that QEMU holds stays) and give them a fresh journal record.
 * A lease that an interrupted plug made stays marked as new.
 */
static gboolean
plug_items_prepare(VwRtnl *host, PlugItem *items, guint n, guint *failed, GError **error)
{
    for (guint i = 0; i < n; i++) {
        PlugItem *it = &items[i];
        g_autoptr(PortRecord) found = NULL;
        VwPortNames names;
        gboolean lease_was_new = FALSE;

        *failed = i;
        vw_port_names_mac(it->uuid, &it->mac, &names);
        if (engine_path_exists(it->path)) {
            found = engine_read_port(it->path, error);
            if (!found)
                return FALSE;
            if (found->state == PORT_PLUGGED && engine_port_is_whole(host, found)) {
                it->old = g_steal_pointer(&found); /* plugging twice: one port */
                continue;
            }
            if (!engine_port_remove_plumbing(host, found, TRUE, error))
                return FALSE;
            lease_was_new = found->state == PORT_PLUGGING && found->new_lease;
        }
        it->rec = plugging_record(it->req, it->uuid, &it->mac, &names);
        it->lease_new = lease_was_new;
    }
    *failed = n;
    return TRUE;
}

/* One vw_engine_ports_plug() call: what it works on, and what it did so far
 * (the rollback undoes exactly that, see plug_undo()). */
typedef struct {
    VwEngine *engine;
    const VwPortRequest *reqs;
    guint n;
    PlugItem *items;
    VwLock *lock;
    VwNetDef *def; /* the running definition */
    NetStatus st;
    VwRtnl *host;
    VwLeaseDb *db; /* NULL when every lease was peeked (nothing to write) */
    guint bad;     /* the port a failure concerns; n: none in particular */
    /* Done so far, besides each item's record (PlugItem.written): */
    gboolean saved;     /* the leases were saved */
    gboolean dhcp_told; /* dnsmasq was given the new leases */
} Plug;

/* Whether any port is to be plugged (the others are plugged and whole). */
static gboolean
plug_has_work(const Plug *p)
{
    for (guint i = 0; i < p->n; i++)
        if (p->items[i].rec)
            return TRUE;
    return FALSE;
}

static void
plug_clear(Plug *p)
{
    plug_items_free(p->items, p->n);
    g_clear_pointer(&p->db, vw_lease_db_free);
    g_clear_pointer(&p->host, vw_rtnl_free);
    g_clear_pointer(&p->def, vw_netdef_free);
    g_clear_pointer(&p->lock, vw_lock_release);
}

/*
 * Before anything is written: check the requests, take the lock, read the
 * network, clear what is left of ports that are not whole (see
 * plug_items_prepare()) and get the leases: peeked when they all exist and
 * stay as they are, else the database.
 */
static gboolean
plug_open(Plug *p, GError **error)
{
    if (!plug_items_init(p->engine, p->reqs, p->n, p->items, &p->bad, error))
        return FALSE;
    p->lock = engine_lock_network(p->engine, p->reqs[0].network, error);
    p->def = p->lock ? active_def(p->engine, p->reqs[0].network, &p->st, error) : NULL;
    p->host = p->def ? vw_rtnl_open(-1, error) : NULL;
    if (!p->host || !plug_items_prepare(p->host, p->items, p->n, &p->bad, error))
        return FALSE;
    if (plug_items_peek(p->engine, p->def, p->items, p->n))
        return TRUE;
    /* Ports that are whole already only need their addresses. */
    p->db = engine_load_leases(p->engine, p->def, plug_has_work(p) ? error : NULL);
    return p->db || !plug_has_work(p);
}

/* The journal first: each record says whether this plug made the lease
 * (for the rollback, and for reconcile should we die). */
static gboolean
plug_journal(Plug *p, GError **error)
{
    for (guint i = 0; i < p->n; i++) {
        PlugItem *it = &p->items[i];

        if (!it->rec)
            continue;
        it->created = p->db && vw_lease_db_lookup_mac(p->db, it->uuid, &it->mac) == NULL;
        it->lease_new = it->lease_new || it->created;
        it->rec->new_lease = it->lease_new;
    }
    for (guint i = 0; i < p->n; i++) {
        if (!p->items[i].rec)
            continue;
        if (!engine_write_port(p->items[i].path, p->items[i].rec, error)) {
            p->bad = i;
            return FALSE;
        }
        p->items[i].written = TRUE;
    }
    vw_fault_point("port-plug:journal");
    return TRUE;
}

/* The leases, in memory: saved by plug_links(). */
static gboolean
plug_leases(Plug *p, GError **error)
{
    for (guint i = 0; p->db && i < p->n; i++) {
        PlugItem *it = &p->items[i];

        if (it->rec &&
            !vw_lease_db_acquire_mac(p->db, it->uuid, it->req->domain_name, &it->mac, error)) {
            p->bad = i;
            return FALSE;
        }
    }
    return TRUE;
}

/* The ports' addresses are known now: their anti-spoofing elements go in
 * before their links exist (a frame of a port without them is dropped), and
 * the grace period nf_tables waits for after the commit overlaps the kernel
 * work of plug_links(). */
static gboolean
plug_guard(Plug *p, GError **error)
{
    if (!plug_items_guard(p->engine, p->def, p->db, p->items, p->n, error))
        return FALSE;
    vw_fault_point("port-plug:guard");
    return TRUE;
}

/*
 * The links of every port, while the new leases are saved.  Leases are
 * durable (fsync): written only when they change, so replugging a domain
 * (every restart) costs no disk flush.  New leases are flushed once for all
 * ports, overlapping the kernel work; both are done before dnsmasq may hand
 * the addresses out.  A failed save is the error reported (it came first).
 */
static gboolean
plug_links(Plug *p, GError **error)
{
    gboolean changed = p->db && vw_lease_db_is_dirty(p->db);
    LeaseSave *saver = changed ? lease_save_start(p->db) : NULL;
    EngineNs ns = ENGINE_NS_INIT;
    GError *plumb_error = NULL;
    guint bad = p->n;

    if (changed && !saver && !vw_lease_db_save(p->db, error))
        return FALSE;
    for (guint i = 0; i < p->n && !plumb_error; i++)
        if (p->items[i].rec &&
            !engine_port_plumb(p->host, &ns, p->def, &p->st, p->items[i].rec, &plumb_error))
            bad = i;
    engine_ns_clear(&ns);
    if (saver && !lease_save_finish(saver, error)) {
        g_clear_error(&plumb_error);
        return FALSE;
    }
    p->saved = changed;
    vw_fault_point("port-plug:lease");
    if (plumb_error) {
        p->bad = bad;
        g_propagate_error(error, plumb_error);
        return FALSE;
    }
    return TRUE;
}

/* dnsmasq's hosts, when a lease is new: made by this call, or by an
 * interrupted plug before it (then it may not be in the hosts yet). */
static gboolean
plug_dhcp(Plug *p, GError **error)
{
    gboolean changed = p->saved;

    for (guint i = 0; i < p->n; i++)
        changed = changed || p->items[i].lease_new;
    if (changed && !engine_update_dhcp_hosts(p->engine, p->def, p->db, error))
        return FALSE;
    p->dhcp_told = changed;
    vw_fault_point("port-plug:dhcp");
    return TRUE;
}

/* The records say "plugged"; a failure leaves the rollback to remove the
 * records written already too. */
static gboolean
plug_commit(Plug *p, GError **error)
{
    for (guint i = 0; i < p->n; i++) {
        PlugItem *it = &p->items[i];

        if (!it->rec)
            continue;
        it->rec->state = PORT_PLUGGED;
        it->rec->new_lease = FALSE;
        if (!engine_write_port(it->path, it->rec, error)) {
            p->bad = i;
            return FALSE;
        }
    }
    return TRUE;
}

/*
 * Undo what a failed plug did, last port first (never a tap QEMU holds):
 * for each port whose record this call wrote, its guard elements and
 * plumbing, then the leases this call (or an interrupted plug before it)
 * made, saved, and only then the records: a record is what lets reconcile
 * free its lease, so it goes after the lease.  dnsmasq's hosts are
 * rewritten when this call had given it the freed leases.
 */
static void
plug_undo(Plug *p)
{
    gboolean released = FALSE;

    for (guint i = p->n; i-- > 0;) {
        PlugItem *it = &p->items[i];

        if (!it->written)
            continue;
        engine_guard_port_remove(p->engine, it->rec, NULL);
        engine_port_remove_plumbing(p->host, it->rec, TRUE, NULL);
        /* On disk unless this call made it and its save never happened. */
        if (it->lease_new && vw_lease_db_release_mac(p->db, it->uuid, &it->mac) &&
            (p->saved || !it->created))
            released = TRUE;
    }
    if (released && !vw_lease_db_save(p->db, NULL))
        return; /* the records stay: reconcile frees their leases */
    if (released && p->dhcp_told)
        engine_update_dhcp_hosts(p->engine, p->def, p->db, NULL);
    for (guint i = p->n; i-- > 0;)
        if (p->items[i].written)
            vw_file_remove(p->items[i].path, NULL);
}

/* The ports, in the order of the requests. */
static GPtrArray *
plug_result(Plug *p)
{
    GPtrArray *ports = g_ptr_array_new_with_free_func((GDestroyNotify)vw_port_info_free);

    for (guint i = 0; i < p->n; i++) {
        const PlugItem *it = &p->items[i];
        VwPortInfo *info = port_info(it->old ? it->old : it->rec, p->db);

        if (!p->db) {
            info->ipv4 = g_strdup(it->ipv4);
            info->ipv6 = g_strdup(it->ipv6);
        }
        info->lease_created = it->created;
        g_ptr_array_add(ports, info);
    }
    return ports;
}

GPtrArray *
vw_engine_ports_plug(VwEngine *engine, const VwPortRequest *reqs, guint n, guint *failed,
                     GError **error)
{
    Plug p = { .engine = engine, .reqs = reqs, .n = n, .bad = n };
    GPtrArray *ports = NULL;
    GError *local = NULL;

    g_return_val_if_fail(engine != NULL && (reqs != NULL || n == 0), NULL);
    if (n == 0)
        return g_ptr_array_new_with_free_func((GDestroyNotify)vw_port_info_free);
    p.items = g_new0(PlugItem, n);
    /* Nothing is written before plug_open() succeeds; from there each step
     * notes in @p what it did, and plug_undo() undoes exactly that. */
    if (plug_open(&p, &local)) {
        if (!plug_has_work(&p) ||
            (plug_journal(&p, &local) && plug_leases(&p, &local) && plug_guard(&p, &local) &&
             plug_links(&p, &local) && plug_dhcp(&p, &local) && plug_commit(&p, &local)))
            ports = plug_result(&p);
        else
            plug_undo(&p);
    }
    if (!ports && failed)
        *failed = p.bad;
    if (local)
        g_propagate_error(error, local);
    plug_clear(&p);
    return ports;
}

VwPortInfo *
vw_engine_port_plug(VwEngine *engine, const VwPortRequest *req, GError **error)
{
    g_autoptr(GPtrArray) ports = NULL;

    g_return_val_if_fail(engine != NULL && req != NULL, NULL);
    ports = vw_engine_ports_plug(engine, req, 1, NULL, error);
    return ports ? g_ptr_array_steal_index(ports, 0) : NULL;
}

/* ------------------------------------------------------------ unplug */

/* With the network lock held: remove the port's plumbing and record. */
static gboolean
unplug_locked(VwEngine *engine, const char *network, const char *uuid, const VwMac *mac,
              GError **error)
{
    g_autofree char *path = engine_port_file(engine, network, uuid, mac);
    g_autoptr(PortRecord) rec = NULL;
    g_autoptr(VwRtnl) host = NULL;

    if (!engine_path_exists(path))
        return TRUE; /* an absent port is unplugged */
    rec = engine_read_port(path, error);
    host = rec ? vw_rtnl_open(-1, error) : NULL;
    if (!host)
        return FALSE;
    rec->state = PORT_UNPLUGGING;
    if (!engine_write_port(path, rec, error))
        return FALSE;
    vw_fault_point("port-unplug:journal");
    if (!engine_guard_port_remove(engine, rec, error))
        return FALSE;
    vw_fault_point("port-unplug:guard");
    if (!engine_port_remove_plumbing(host, rec, FALSE, error))
        return FALSE;
    vw_fault_point("port-unplug:links");
    return vw_file_remove(path, error);
}

/* The engine's entry for unplug and release: the network's name, the UUID
 * (lowercased into @uuid) and the MAC (parsed into @mac, when given) are
 * checked here, once. */
static gboolean
port_args_check(const char *network, const char *domain_uuid, const char *mac, char **uuid,
                VwMac *out, GError **error)
{
    if (!engine_name_check(network, error) || !vw_uuid_check(domain_uuid, error) ||
        (mac && !vw_mac_parse(mac, out->b, error)))
        return FALSE;
    *uuid = g_ascii_strdown(domain_uuid, -1);
    return TRUE;
}

gboolean
vw_engine_port_unplug(VwEngine *engine, const char *network, const char *domain_uuid,
                      const char *mac, GError **error)
{
    g_autoptr(VwLock) lock = NULL;
    g_autofree char *uuid = NULL;
    VwMac bytes;

    g_return_val_if_fail(engine != NULL, FALSE);
    if (!port_args_check(network, domain_uuid, mac, &uuid, &bytes, error))
        return FALSE;
    if (!mac) {
        g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_INVALID,
                    _("unplugging a port of network '%s' needs a MAC address"), network);
        return FALSE;
    }
    lock = engine_lock_network(engine, network, error);
    return lock && unplug_locked(engine, network, uuid, &bytes, error);
}

gboolean
vw_engine_port_release(VwEngine *engine, const char *network, const char *domain_uuid,
                       const char *mac, GError **error)
{
    g_autoptr(VwLock) lock = NULL;
    g_autoptr(VwNetDef) def = NULL;
    g_autoptr(VwLeaseDb) db = NULL;
    g_autoptr(GPtrArray) ports = NULL;
    g_autofree char *uuid = NULL;
    VwMac bytes;
    gboolean changed;

    g_return_val_if_fail(engine != NULL, FALSE);
    if (!port_args_check(network, domain_uuid, mac, &uuid, &bytes, error))
        return FALSE;
    lock = engine_lock_network(engine, network, error);
    if (!lock)
        return FALSE;
    def = engine_load_def(engine, network, error);
    if (!def)
        return FALSE;
    ports = engine_read_ports(engine, network, error);
    if (!ports)
        return FALSE;
    for (guint i = 0; i < ports->len; i++) {
        const PortRecord *rec = ports->pdata[i];

        if (g_str_equal(rec->domain_uuid, uuid) && (!mac || vw_mac_equal(&rec->mac, &bytes)) &&
            !unplug_locked(engine, network, uuid, &rec->mac, error))
            return FALSE;
    }
    db = engine_load_leases(engine, def, error);
    if (!db)
        return FALSE;
    changed = mac ? vw_lease_db_release_mac(db, uuid, &bytes)
                  : vw_lease_db_release_domain(db, uuid) > 0;
    if (!changed)
        return TRUE;
    if (!vw_lease_db_save(db, error))
        return FALSE;
    return !engine_net_is_active(engine, network) ||
           engine_update_dhcp_hosts(engine, def, NULL, error);
}

/* ------------------------------------------------------------ listing */

GPtrArray *
vw_engine_port_list(VwEngine *engine, const char *network, GError **error)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)vw_port_info_free);
    g_auto(GStrv) names = NULL;

    g_return_val_if_fail(engine != NULL, NULL);
    if (network) {
        if (!engine_name_check(network, error))
            return NULL;
        names = g_new0(char *, 2);
        g_autoptr(VwNetDef) def = NULL;

        names[0] = g_strdup(network);
        def = engine_load_def(engine, network, error);
        if (!def)
            return NULL;
    } else {
        names = engine_defined_names(engine, error);
        if (!names)
            return NULL;
    }
    for (char **n = names; *n; n++) {
        g_autoptr(GPtrArray) ports = NULL;
        g_autoptr(VwNetDef) def = NULL;
        g_autoptr(VwLeaseDb) db = NULL;

        if (!engine_net_is_active(engine, *n))
            continue;
        ports = engine_read_ports(engine, *n, error);
        if (!ports)
            return NULL;
        def = engine_load_running_def(engine, *n, NULL);
        db = def ? engine_load_leases(engine, def, NULL) : NULL;
        for (guint i = 0; i < ports->len; i++)
            g_ptr_array_add(out, port_info(ports->pdata[i], db));
    }
    return g_steal_pointer(&out);
}

GPtrArray *
vw_engine_lease_list(VwEngine *engine, const char *network, GError **error)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)vw_lease_info_free);
    g_autoptr(VwNetDef) def = NULL;
    g_autoptr(VwLeaseDb) db = NULL;
    g_autoptr(GPtrArray) all = NULL;

    g_return_val_if_fail(engine != NULL, NULL);
    if (!engine_name_check(network, error))
        return NULL;
    def = engine_load_def(engine, network, error);
    db = def ? engine_load_leases(engine, def, error) : NULL;
    if (!db)
        return NULL;
    all = vw_lease_db_list(db);
    for (guint i = 0; i < all->len; i++) {
        const VwLeaseRecord *l = all->pdata[i];
        VwLeaseInfo *info = g_new0(VwLeaseInfo, 1);

        info->domain_uuid = g_strdup(l->domain_uuid);
        info->domain_name = g_strdup(l->domain_name);
        info->mac = g_strdup(l->mac);
        info->ipv4 = g_strdup(l->ipv4);
        info->ipv6 = g_strdup(l->ipv6);
        info->hostname = g_strdup(l->hostname);
        info->is_static = l->is_static;
        g_ptr_array_add(out, info);
    }
    return g_steal_pointer(&out);
}
