/*
 * Subnets that must not capture the host's traffic.
 *
 * A nat or routed network routes its subnet from the host into its netns
 * (`SUBNET via 169.254.x.2 dev vwu-…`).  A subnet that overlaps a route or
 * an address of the host (prefix='1' is half the Internet; a subnet equal to
 * a host LAN steals that LAN) or the subnet of another nat/routed virtwire
 * network, of this root or of any other root on this host, would take
 * traffic that is not the network's own: refused at define and again at
 * start (the host changes).  An isolated network is alone in its netns and
 * may overlap anything; so is a subnet that the network does not forward
 * (nat and routed networks forward IPv4 only today, see README.md).
 *
 * What does not count: a default route (prefix 0), and the network's own
 * route through its own uplink (a network being redefined while active).
 */
#include <config.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include <glib/gi18n-lib.h>
#include <linux/rtnetlink.h>

#include "vw-engine-subnet.h"
#include "vw-fs.h"
#include "vw-json.h"
#include "vw-netdef.h"
#include "vw-xml-util.h"
#include "vw-rtnl.h"

/* A subnet in binary: family, network address, prefix. */
typedef struct {
    int family;
    guint8 addr[16];
    guint prefix;
} Subnet;

static guint
subnet_bits(int family)
{
    return family == AF_INET ? 32 : 128;
}

/* Parse "ADDRESS" or "ADDRESS/PREFIX" (with @prefix when there is none). */
static gboolean
subnet_parse(const char *text, guint prefix, Subnet *out)
{
    g_autofree char *addr = g_strdup(text);
    char *slash = strchr(addr, '/');

    memset(out, 0, sizeof(*out));
    if (slash) {
        guint64 n;

        *slash = '\0';
        if (!g_ascii_string_to_unsigned(slash + 1, 10, 0, 128, &n, NULL))
            return FALSE;
        prefix = (guint)n;
    }
    out->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(out->family, addr, out->addr) != 1 || prefix > subnet_bits(out->family))
        return FALSE;
    out->prefix = prefix;
    return TRUE;
}

/* Whether @a and @b (of one family) share an address: their first
 * MIN(prefix) bits are equal. */
static gboolean
subnet_overlaps(const Subnet *a, const Subnet *b)
{
    guint bits = MIN(a->prefix, b->prefix);

    if (a->family != b->family)
        return FALSE;
    for (guint i = 0; i < bits; i++) {
        guint8 mask = (guint8)(0x80 >> (i % 8));

        if ((a->addr[i / 8] & mask) != (b->addr[i / 8] & mask))
            return FALSE;
    }
    return TRUE;
}

/* "NETWORK/PREFIX" of @s. */
static char *
subnet_format(const Subnet *s)
{
    guint8 net[16] = { 0 };
    char text[INET6_ADDRSTRLEN];

    for (guint i = 0; i < s->prefix; i++)
        net[i / 8] |= s->addr[i / 8] & (guint8)(0x80 >> (i % 8));
    inet_ntop(s->family, net, text, sizeof(text));
    return g_strdup_printf("%s/%u", text, s->prefix);
}

/* The subnet of @def in @family that the network forwards to and from the
 * host, if any: IPv4 of a nat or routed network (IPv6 is not forwarded). */
static gboolean
forwarded_subnet(const VwNetDef *def, int family, Subnet *out)
{
    if (def->forward == VW_FORWARD_ISOLATED || family != AF_INET || !def->ipv4)
        return FALSE;
    return subnet_parse(def->ipv4->address, def->ipv4->prefix, out);
}

static gboolean
refuse(GError **error, const VwNetDef *def, const Subnet *mine, const char *what)
{
    g_autofree char *subnet = subnet_format(mine);

    g_set_error(error, VW_ENGINE_ERROR, VW_ENGINE_ERROR_EXISTS,
                _("subnet '%s' of %s network '%s' overlaps %s; a nat or routed network's subnet "
                  "must not take traffic of the host"),
                subnet, vw_forward_mode_to_string(def->forward), def->name, what);
    return FALSE;
}

/* Routes (main and local tables) and addresses of the host. */
static gboolean
check_host(const VwNetDef *def, int family, const Subnet *mine, GError **error)
{
    g_autoptr(VwRtnl) host = vw_rtnl_open(-1, error);
    g_autoptr(GPtrArray) routes = NULL;
    g_auto(GStrv) addrs = NULL;
    g_auto(GStrv) own_addrs = NULL;
    char uplink[IF_NAMESIZE];
    int own_oif;

    if (!host || !(routes = vw_rtnl_route_list(host, family, error)) ||
        !(addrs = vw_rtnl_addr_list(host, NULL, error)))
        return FALSE;
    engine_uplink_name(def, uplink);
    own_oif = (int)if_nametoindex(uplink);
    if (own_oif)
        own_addrs = vw_rtnl_addr_list(host, uplink, NULL);

    for (guint i = 0; i < routes->len; i++) {
        const VwRoute *r = routes->pdata[i];
        Subnet s = { .family = r->family, .prefix = r->prefix };
        char dev[IF_NAMESIZE] = "";

        if (r->table != RT_TABLE_MAIN && r->table != RT_TABLE_LOCAL)
            continue;
        if (r->prefix == 0 || r->type == RTN_MULTICAST)
            continue; /* a default route; IPv6's ff00::/8 */
        if (own_oif && r->oif == own_oif)
            continue; /* this network's own route */
        memcpy(s.addr, r->dst, sizeof(s.addr));
        if (!subnet_overlaps(mine, &s))
            continue;
        {
            g_autofree char *dst = subnet_format(&s);
            g_autofree char *what = NULL;

            if (r->oif && if_indextoname((unsigned)r->oif, dev))
                what = g_strdup_printf(_("the host's route to '%s' on link '%s'"), dst, dev);
            else
                what = g_strdup_printf(_("the host's route to '%s'"), dst);
            return refuse(error, def, mine, what);
        }
    }
    for (char **a = addrs; *a; a++) {
        Subnet s;

        if (!subnet_parse(*a, 0, &s) || s.family != family)
            continue;
        if (own_addrs && g_strv_contains((const char *const *)own_addrs, *a))
            continue;
        if (subnet_overlaps(mine, &s)) {
            g_autofree char *what = g_strdup_printf(_("the host's address '%s'"), *a);

            return refuse(error, def, mine, what);
        }
    }
    return TRUE;
}

/* @other is a nat/routed network whose forwarded subnet overlaps @mine. */
static gboolean
network_overlaps(const VwNetDef *other, int family, const Subnet *mine)
{
    Subnet s;

    return forwarded_subnet(other, family, &s) && subnet_overlaps(mine, &s);
}

/* This root's other definitions. */
static gboolean
check_definitions(VwEngine *engine, const VwNetDef *def, int family, const Subnet *mine,
                  GError **error)
{
    g_auto(GStrv) names = engine_defined_names(engine, error);

    if (!names)
        return FALSE;
    for (char **n = names; *n; n++) {
        g_autoptr(VwNetDef) other = NULL;

        if (g_str_equal(*n, def->name))
            continue;
        other = engine_load_def(engine, *n, NULL);
        if (other && network_overlaps(other, family, mine)) {
            g_autofree char *what = g_strdup_printf(
                _("%s network '%s'"), vw_forward_mode_to_string(other->forward), other->name);
            return refuse(error, def, mine, what);
        }
    }
    return TRUE;
}

/*
 * The started networks of every root on this host, found through their
 * host-wide index claims (VW_INDEX_DIR/N holds "ROOT\nNAME\n"; see
 * allocate_index() in vw-engine.c): a claim counts while ROOT's status of
 * NAME names index N, and the network's running definition is
 * ROOT/run/virtwire/networks/NAME/network.xml.
 */
static gboolean
check_started(VwEngine *engine, const VwNetDef *def, int family, const Subnet *mine, GError **error)
{
    /* No symbolic link in the index folder, a claim or another root's run
     * files is followed. */
    g_auto(GStrv) entries = vw_fs_dir_list(VW_INDEX_DIR, NULL);

    if (!entries)
        return TRUE; /* no network was ever started on this host */
    for (guint e = 0; entries[e]; e++) {
        const char *entry = entries[e];
        g_autofree char *xml = NULL;
        gsize xml_len = 0;
        g_autofree char *claim = g_build_filename(VW_INDEX_DIR, entry, NULL);
        g_autofree char *text = NULL;
        g_autofree char *run = NULL;
        g_autofree char *status_path = NULL;
        g_autofree char *xml_path = NULL;
        g_autoptr(VwJson) status = NULL;
        g_autoptr(VwNetDef) other = NULL;
        g_auto(GStrv) lines = NULL;
        guint64 index;

        if (!g_ascii_string_to_unsigned(entry, 10, 1, VW_INDEX_MAX, &index, NULL) ||
            !(text = vw_fs_read(claim, VW_CLAIM_MAX, FALSE, NULL, NULL)))
            continue;
        lines = g_strsplit(text, "\n", 3);
        if (g_strv_length(lines) < 2 || !g_path_is_absolute(lines[0]) ||
            !engine_name_check(lines[1], NULL))
            continue;
        if (g_str_equal(lines[0], vw_engine_get_root(engine)) && g_str_equal(lines[1], def->name))
            continue; /* this network itself */
        run = g_build_filename(lines[0], "run", "virtwire", "networks", lines[1], NULL);
        status_path = g_build_filename(run, "status.json", NULL);
        status = vw_json_parse_file(status_path, NULL);
        if (!status || vw_json_get_type(status) != VW_JSON_OBJECT ||
            (guint64)vw_json_object_get_int_member_with_default(status, "index", 0) != index)
            continue; /* a stale claim */
        xml_path = g_build_filename(run, "network.xml", NULL);
        xml = vw_fs_read(xml_path, VW_XML_MAX_BYTES, FALSE, &xml_len, NULL);
        other = xml ? vw_netdef_parse(xml, (gssize)xml_len, NULL) : NULL;
        if (other && network_overlaps(other, family, mine)) {
            g_autofree char *what = NULL;

            if (g_str_equal(lines[0], vw_engine_get_root(engine)))
                what = g_strdup_printf(_("active %s network '%s'"),
                                       vw_forward_mode_to_string(other->forward), other->name);
            else
                what = g_strdup_printf(_("active %s network '%s' of state root '%s'"),
                                       vw_forward_mode_to_string(other->forward), other->name,
                                       lines[0]);
            return refuse(error, def, mine, what);
        }
    }
    return TRUE;
}

gboolean
engine_subnet_check(VwEngine *engine, const VwNetDef *def, GError **error)
{
    static const int families[] = { AF_INET, AF_INET6 };

    g_return_val_if_fail(engine != NULL && def != NULL, FALSE);
    for (gsize i = 0; i < G_N_ELEMENTS(families); i++) {
        Subnet mine;

        if (!forwarded_subnet(def, families[i], &mine))
            continue;
        if (!check_definitions(engine, def, families[i], &mine, error) ||
            !check_started(engine, def, families[i], &mine, error) ||
            !check_host(def, families[i], &mine, error))
            return FALSE;
    }
    return TRUE;
}
