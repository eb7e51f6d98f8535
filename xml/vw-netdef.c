/*
 * Guest-network definitions: parse, validate, format, compare.
 */
#include <config.h>

#include "vw-netdef.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "vw-mac.h"
#include "vw-xml-tree.h"

/* ------------------------------------------------------------------------ */
/* Addresses: validation compares numbers, 128-bit for IPv6, never text.    */

typedef struct {
    int family;
    guint8 bytes[16]; /* network byte order, so memcmp() orders addresses */
} VwAddr;

static gsize
vw_addr_len(int family)
{
    return family == AF_INET6 ? 16 : 4;
}

static guint
vw_addr_bits(int family)
{
    return family == AF_INET6 ? 128 : 32;
}

static const char *
vw_family_name(int family)
{
    return family == AF_INET6 ? "ipv6" : "ipv4";
}

static gboolean
vw_addr_parse(int family, const char *text, VwAddr *addr)
{
    memset(addr, 0, sizeof(*addr));
    addr->family = family;
    return text && inet_pton(family, text, addr->bytes) == 1;
}

static char *
vw_addr_to_string(const VwAddr *addr)
{
    char buf[INET6_ADDRSTRLEN];

    if (!inet_ntop(addr->family, addr->bytes, buf, sizeof(buf)))
        return NULL;
    return g_strdup(buf);
}

/* Canonical text of @text in @family, or NULL if it is not an address. */
static char *
vw_addr_canonical(int family, const char *text)
{
    VwAddr addr;

    if (!vw_addr_parse(family, text, &addr))
        return NULL;
    return vw_addr_to_string(&addr);
}

static int
vw_addr_cmp(const VwAddr *a, const VwAddr *b)
{
    g_assert(a->family == b->family);
    return memcmp(a->bytes, b->bytes, vw_addr_len(a->family));
}

/* Keep the first @prefix bits of @addr and clear (or, with @set_host, set)
 * the others: the network address (or the broadcast address). */
static void
vw_addr_mask(const VwAddr *addr, guint prefix, gboolean set_host, VwAddr *out)
{
    *out = *addr;
    for (gsize i = 0; i < vw_addr_len(addr->family); i++) {
        guint first_bit = (guint)i * 8;
        guint8 mask;

        if (prefix >= first_bit + 8)
            mask = 0xff;
        else if (prefix <= first_bit)
            mask = 0;
        else
            mask = (guint8)(0xff << (8 - (prefix - first_bit)));
        out->bytes[i] =
            set_host ? (guint8)(addr->bytes[i] | (guint8)~mask) : (guint8)(addr->bytes[i] & mask);
    }
}

static gboolean
vw_addr_in_subnet(const VwAddr *addr, const VwAddr *net, guint prefix)
{
    VwAddr a, n;

    vw_addr_mask(addr, prefix, FALSE, &a);
    vw_addr_mask(net, prefix, FALSE, &n);
    return vw_addr_cmp(&a, &n) == 0;
}

/* "10.0.0.0/24" for the subnet of @gateway. */
static char *
vw_subnet_to_string(const VwAddr *gateway, guint prefix)
{
    VwAddr net;
    g_autofree char *text = NULL;

    vw_addr_mask(gateway, prefix, FALSE, &net);
    text = vw_addr_to_string(&net);
    return g_strdup_printf("%s/%u", text, prefix);
}

/* Is @addr the network address (or, for IPv4, the broadcast address) of its
 * subnet?  /31, /32 (RFC 3021) and IPv6 /127, /128 (RFC 6164) reserve none. */
static gboolean
vw_addr_is_reserved(const VwAddr *addr, guint prefix, gboolean *broadcast)
{
    VwAddr net, bcast;

    *broadcast = FALSE;
    if (prefix + 2 > vw_addr_bits(addr->family))
        return FALSE;
    vw_addr_mask(addr, prefix, FALSE, &net);
    if (vw_addr_cmp(addr, &net) == 0)
        return TRUE;
    if (addr->family == AF_INET) {
        vw_addr_mask(addr, prefix, TRUE, &bcast);
        if (vw_addr_cmp(addr, &bcast) == 0) {
            *broadcast = TRUE;
            return TRUE;
        }
    }
    return FALSE;
}

/* A gateway must be an ordinary unicast address. */
static gboolean
vw_addr_is_unicast(const VwAddr *addr)
{
    static const guint8 zero[16];

    if (memcmp(addr->bytes, zero, vw_addr_len(addr->family)) == 0)
        return FALSE; /* unspecified */
    if (addr->family == AF_INET) {
        guint8 first = addr->bytes[0];

        /* 0/8 "this network", 127/8 loopback, 224/4 multicast, 240/4 reserved */
        return first != 0 && first != 127 && first < 224;
    }
    if (addr->bytes[0] == 0xff)
        return FALSE; /* multicast */
    if (memcmp(addr->bytes, zero, 15) == 0 && addr->bytes[15] == 1)
        return FALSE; /* loopback */
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Small checks shared by the parser and the validator.                     */

static gboolean G_GNUC_PRINTF(2, 3) vw_netdef_invalid(GError **error, const char *format, ...)
{
    va_list args;
    g_autofree char *message = NULL;

    va_start(args, format);
    message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error_literal(error, VW_XML_ERROR, VW_XML_ERROR_INVALID, message);
    return FALSE;
}

/* Like vw_netdef_invalid(), prefixed with the line of @node. */
static gboolean G_GNUC_PRINTF(3, 4)
    vw_netdef_invalid_at(GError **error, VwXmlNode *node, const char *format, ...)
{
    va_list args;
    g_autofree char *message = NULL;

    va_start(args, format);
    message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID, _("line %d: %s"), vw_xml_node_line(node),
                message);
    return FALSE;
}

static gboolean
vw_check_range(guint64 value, guint64 min, guint64 max, const char *attr, const char *elem,
               GError **error)
{
    g_autofree char *value_text = NULL;
    g_autofree char *min_text = NULL;
    g_autofree char *max_text = NULL;

    if (value >= min && value <= max)
        return TRUE;
    /* Numbers go in as text: G_GUINT64_FORMAT cannot appear in a msgid. */
    value_text = g_strdup_printf("%" G_GUINT64_FORMAT, value);
    min_text = g_strdup_printf("%" G_GUINT64_FORMAT, min);
    max_text = g_strdup_printf("%" G_GUINT64_FORMAT, max);
    return vw_netdef_invalid(error, _("invalid %s '%s' in %s: must be %s to %s"), attr, value_text,
                             elem, min_text, max_text);
}

/*
 * Names that end up as file names and netns names: 1..@max bytes of ASCII
 * letters, digits, '-' and '_', not starting with '-' or '.'.  This rules out
 * '/', '..', spaces and everything a shell or a path would interpret.
 */
static gboolean
vw_check_name(const char *value, gsize max, const char *what, GError **error)
{
    gsize len = strlen(value);

    if (len == 0 || len > max)
        return vw_netdef_invalid(error, _("invalid %s '%s': must be 1 to %u bytes long, not %u"),
                                 what, value, (guint)max, (guint)MIN(len, G_MAXUINT));
    if (value[0] == '-' || value[0] == '.')
        return vw_netdef_invalid(error, _("invalid %s '%s': must not start with '-' or '.'"), what,
                                 value);
    for (const char *p = value; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
            return vw_netdef_invalid(
                error, _("invalid %s '%s': must contain only ASCII letters, digits, '-' and '_'"),
                what, value);
    }
    return TRUE;
}

/* Interface names: 1..15 bytes of [A-Za-z0-9_.-], no leading '-', not "." or "..". */
static gboolean
vw_check_ifname(const char *value, const char *what, GError **error)
{
    gsize len = strlen(value);

    if (len == 0 || len > VW_NETDEF_IFNAME_MAX)
        return vw_netdef_invalid(error, _("invalid %s '%s': must be 1 to %u bytes long, not %u"),
                                 what, value, (guint)VW_NETDEF_IFNAME_MAX,
                                 (guint)MIN(len, G_MAXUINT));
    if (value[0] == '-' || g_str_equal(value, ".") || g_str_equal(value, ".."))
        return vw_netdef_invalid(
            error, _("invalid %s '%s': must not start with '-' or be '.' or '..'"), what, value);
    for (const char *p = value; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
            return vw_netdef_invalid(
                error,
                _("invalid %s '%s': must contain only ASCII letters, digits, '-', '_' and '.'"),
                what, value);
    }
    return TRUE;
}

/* Text that XML 1.0 can carry: valid UTF-8 without C0 controls but tab, LF, CR. */
static gboolean
vw_text_is_xml_safe(const char *text)
{
    if (!g_utf8_validate(text, -1, NULL))
        return FALSE;
    for (const char *p = text; *p; p++) {
        if ((guchar)*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
            return FALSE;
    }
    return TRUE;
}

/* One DNS label: 1..63 letters, digits or '-', not starting or ending with '-'. */
static gboolean
vw_dns_label_is_valid(const char *label, gsize len)
{
    if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-')
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isalnum(label[i]) && label[i] != '-')
            return FALSE;
    }
    return TRUE;
}

static gboolean
vw_dns_domain_is_valid(const char *domain)
{
    const char *label = domain;

    if (strlen(domain) > 253)
        return FALSE;
    for (;;) {
        const char *dot = strchr(label, '.');
        gsize len = dot ? (gsize)(dot - label) : strlen(label);

        if (!vw_dns_label_is_valid(label, len))
            return FALSE;
        if (!dot)
            return TRUE;
        label = dot + 1;
    }
}

static gboolean
vw_parse_u64(const char *text, guint64 *out)
{
    if (!text || !*text)
        return FALSE;
    for (const char *p = text; *p; p++) {
        if (!g_ascii_isdigit(*p))
            return FALSE;
    }
    return g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, out, NULL);
}

const char *
vw_forward_mode_to_string(VwForwardMode mode)
{
    switch (mode) {
    case VW_FORWARD_ISOLATED:
        return "isolated";
    case VW_FORWARD_NAT:
        return "nat";
    case VW_FORWARD_ROUTED:
        return "routed";
    }
    return NULL;
}

int
vw_forward_mode_from_string(const char *str)
{
    if (g_strcmp0(str, "isolated") == 0)
        return VW_FORWARD_ISOLATED;
    if (g_strcmp0(str, "nat") == 0)
        return VW_FORWARD_NAT;
    if (g_strcmp0(str, "routed") == 0)
        return VW_FORWARD_ROUTED;
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Construction and destruction.                                            */

void
vw_dhcp_range_free(VwDhcpRange *range)
{
    if (!range)
        return;
    g_free(range->start);
    g_free(range->end);
    g_free(range);
}

void
vw_dhcp_host_free(VwDhcpHost *host)
{
    if (!host)
        return;
    g_free(host->mac);
    g_free(host->ip);
    g_free(host->name);
    g_free(host);
}

VwIpDef *
vw_ip_def_new(int family)
{
    VwIpDef *ip = g_new0(VwIpDef, 1);

    ip->family = family;
    ip->ranges = g_ptr_array_new_with_free_func((GDestroyNotify)vw_dhcp_range_free);
    ip->hosts = g_ptr_array_new_with_free_func((GDestroyNotify)vw_dhcp_host_free);
    return ip;
}

void
vw_ip_def_free(VwIpDef *ip)
{
    if (!ip)
        return;
    g_free(ip->address);
    if (ip->ranges)
        g_ptr_array_unref(ip->ranges);
    if (ip->hosts)
        g_ptr_array_unref(ip->hosts);
    g_free(ip);
}

void
vw_netdef_free(VwNetDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->uuid);
    g_free(def->description);
    g_free(def->netns);
    g_free(def->bridge);
    g_free(def->forward_dev);
    vw_ip_def_free(def->ipv4);
    vw_ip_def_free(def->ipv6);
    g_free(def->dns_domain);
    if (def->dns_forwarders)
        g_ptr_array_unref(def->dns_forwarders);
    g_free(def);
}

/* ------------------------------------------------------------------------ */
/* Validation.                                                              */

typedef struct {
    VwAddr start;
    VwAddr end;
    const VwDhcpRange *range;
} VwRangeSpan;

static int
vw_range_span_cmp(const void *pa, const void *pb)
{
    const VwRangeSpan *a = pa;
    const VwRangeSpan *b = pb;

    return vw_addr_cmp(&a->start, &b->start);
}

static gboolean
vw_ip_def_validate_ranges(const VwIpDef *ip, const VwAddr *gateway, const char *subnet,
                          GError **error)
{
    const char *kind = ip->family == AF_INET6 ? "IPv6" : "IPv4";
    g_autofree VwRangeSpan *spans = NULL;
    guint n = ip->ranges ? ip->ranges->len : 0;

    if (n == 0)
        return TRUE;
    spans = g_new0(VwRangeSpan, n);
    for (guint i = 0; i < n; i++) {
        const VwDhcpRange *range = g_ptr_array_index(ip->ranges, i);
        VwRangeSpan *span = &spans[i];
        gboolean broadcast;

        span->range = range;
        if (!vw_addr_parse(ip->family, range->start, &span->start))
            return vw_netdef_invalid(error, _("invalid %s address '%s' in <range start>"), kind,
                                     range->start ? range->start : "");
        if (!vw_addr_parse(ip->family, range->end, &span->end))
            return vw_netdef_invalid(error, _("invalid %s address '%s' in <range end>"), kind,
                                     range->end ? range->end : "");
        if (vw_addr_cmp(&span->start, &span->end) > 0)
            return vw_netdef_invalid(error, _("DHCP range '%s'-'%s' starts after it ends"),
                                     range->start, range->end);
        if (!vw_addr_in_subnet(&span->start, gateway, ip->prefix) ||
            !vw_addr_in_subnet(&span->end, gateway, ip->prefix))
            return vw_netdef_invalid(error, _("DHCP range '%s'-'%s' is outside subnet '%s'"),
                                     range->start, range->end, subnet);
        if (vw_addr_is_reserved(&span->start, ip->prefix, &broadcast) ||
            vw_addr_is_reserved(&span->end, ip->prefix, &broadcast))
            return vw_netdef_invalid(
                error,
                _("DHCP range '%s'-'%s' includes the network or broadcast address of subnet '%s'"),
                range->start, range->end, subnet);
        if (vw_addr_cmp(gateway, &span->start) >= 0 && vw_addr_cmp(gateway, &span->end) <= 0)
            return vw_netdef_invalid(error, _("gateway '%s' lies inside DHCP range '%s'-'%s'"),
                                     ip->address, range->start, range->end);
    }

    /* Sorted by start, two ranges overlap iff some range starts at or
     * before the end of the one sorted just before it. */
    qsort(spans, n, sizeof(*spans), vw_range_span_cmp);
    for (guint i = 1; i < n; i++) {
        if (vw_addr_cmp(&spans[i].start, &spans[i - 1].end) <= 0)
            return vw_netdef_invalid(error, _("DHCP range '%s'-'%s' overlaps range '%s'-'%s'"),
                                     spans[i].range->start, spans[i].range->end,
                                     spans[i - 1].range->start, spans[i - 1].range->end);
    }
    return TRUE;
}

static gboolean
vw_ip_def_validate_hosts(const VwIpDef *ip, const VwAddr *gateway, const char *subnet,
                         GError **error)
{
    const char *kind = ip->family == AF_INET6 ? "IPv6" : "IPv4";
    g_autoptr(GHashTable) macs = NULL;
    g_autoptr(GHashTable) addrs = NULL;
    g_autoptr(GHashTable) names = NULL;

    if (!ip->hosts || ip->hosts->len == 0)
        return TRUE;
    /* Hash tables, not pairwise loops: a 1 MiB document holds ~15000 hosts. */
    macs = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, NULL);
    addrs = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, NULL);
    names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < ip->hosts->len; i++) {
        const VwDhcpHost *host = g_ptr_array_index(ip->hosts, i);
        guint8 mac[6];
        VwAddr addr;
        gboolean broadcast;
        GBytes *key;

        if (!host->mac)
            return vw_netdef_invalid(error, _("missing attribute '%s' in <%s>"), "mac", "host");
        if (!vw_mac_scan(host->mac, mac))
            return vw_netdef_invalid(error, _("invalid MAC address '%s' in <host>"), host->mac);
        if (mac[0] & 0x01)
            return vw_netdef_invalid(error, _("MAC address '%s' in <host> is a multicast address"),
                                     host->mac);
        if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
            return vw_netdef_invalid(error, _("MAC address '%s' in <host> is all zeros"),
                                     host->mac);
        if (!host->ip)
            return vw_netdef_invalid(error, _("missing attribute 'ip' in <host mac='%s'>"),
                                     host->mac);
        if (!vw_addr_parse(ip->family, host->ip, &addr))
            return vw_netdef_invalid(error, _("invalid %s address '%s' in <host mac='%s'>"), kind,
                                     host->ip, host->mac);
        if (!vw_addr_in_subnet(&addr, gateway, ip->prefix))
            return vw_netdef_invalid(error, _("host IP '%s' (MAC '%s') is outside subnet '%s'"),
                                     host->ip, host->mac, subnet);
        if (vw_addr_cmp(&addr, gateway) == 0)
            return vw_netdef_invalid(error, _("host IP '%s' (MAC '%s') is the gateway address"),
                                     host->ip, host->mac);
        if (vw_addr_is_reserved(&addr, ip->prefix, &broadcast))
            return vw_netdef_invalid(
                error,
                _("host IP '%s' (MAC '%s') is the network or broadcast address of subnet '%s'"),
                host->ip, host->mac, subnet);
        if (host->name && !vw_dns_label_is_valid(host->name, strlen(host->name)))
            return vw_netdef_invalid(error,
                                     _("invalid name '%s' in <host mac='%s'>: must be 1 to 63 "
                                       "ASCII letters, digits or '-', not starting or ending "
                                       "with '-'"),
                                     host->name, host->mac);

        key = g_bytes_new(mac, sizeof(mac));
        if (!g_hash_table_add(macs, key))
            return vw_netdef_invalid(error, _("duplicate host MAC '%s' in <ip address='%s'>"),
                                     host->mac, ip->address);
        key = g_bytes_new(addr.bytes, vw_addr_len(ip->family));
        if (!g_hash_table_add(addrs, key))
            return vw_netdef_invalid(error, _("duplicate host IP '%s' in <ip address='%s'>"),
                                     host->ip, ip->address);
        if (host->name && !g_hash_table_add(names, g_ascii_strdown(host->name, -1)))
            return vw_netdef_invalid(error, _("duplicate host name '%s' in <ip address='%s'>"),
                                     host->name, ip->address);
    }
    return TRUE;
}

static gboolean
vw_ip_def_validate(const VwIpDef *ip, GError **error)
{
    const char *kind = ip->family == AF_INET6 ? "IPv6" : "IPv4";
    g_autofree char *elem = NULL;
    g_autofree char *subnet = NULL;
    VwAddr gateway;
    gboolean broadcast;

    if (ip->family != AF_INET && ip->family != AF_INET6)
        return vw_netdef_invalid(error, _("unknown address family '%d' in <ip>"), ip->family);
    if (!ip->address)
        return vw_netdef_invalid(error, _("missing attribute '%s' in <%s>"), "address", "ip");
    if (!vw_addr_parse(ip->family, ip->address, &gateway))
        return vw_netdef_invalid(error, _("invalid %s address '%s' in <ip family='%s'>"), kind,
                                 ip->address, vw_family_name(ip->family));
    elem = g_strdup_printf("<ip address='%s'>", ip->address);
    if (!vw_check_range(ip->prefix, 0, vw_addr_bits(ip->family), "prefix", elem, error))
        return FALSE;
    if (!vw_addr_is_unicast(&gateway))
        return vw_netdef_invalid(
            error, _("invalid gateway '%s' in <ip>: must be a unicast address"), ip->address);
    subnet = vw_subnet_to_string(&gateway, ip->prefix);
    if (vw_addr_is_reserved(&gateway, ip->prefix, &broadcast)) {
        if (broadcast)
            return vw_netdef_invalid(error,
                                     _("gateway '%s' is the broadcast address of subnet '%s'"),
                                     ip->address, subnet);
        return vw_netdef_invalid(error, _("gateway '%s' is the network address of subnet '%s'"),
                                 ip->address, subnet);
    }
    return vw_ip_def_validate_ranges(ip, &gateway, subnet, error) &&
           vw_ip_def_validate_hosts(ip, &gateway, subnet, error);
}

static gboolean
vw_bandwidth_validate(const VwBandwidthDir *dir, const char *elem, GError **error)
{
    if (!dir->set)
        return TRUE;
    if (!vw_check_range(dir->average, 1, VW_NETDEF_BANDWIDTH_MAX, "average", elem, error))
        return FALSE;
    if (dir->peak && !vw_check_range(dir->peak, 1, VW_NETDEF_BANDWIDTH_MAX, "peak", elem, error))
        return FALSE;
    if (dir->burst && !vw_check_range(dir->burst, 1, VW_NETDEF_BANDWIDTH_MAX, "burst", elem, error))
        return FALSE;
    if (dir->peak && dir->peak < dir->average) {
        g_autofree char *peak = g_strdup_printf("%" G_GUINT64_FORMAT, dir->peak);
        g_autofree char *average = g_strdup_printf("%" G_GUINT64_FORMAT, dir->average);

        return vw_netdef_invalid(error, _("invalid peak '%s' in %s: lower than average '%s'"), peak,
                                 elem, average);
    }
    return TRUE;
}

static gboolean
vw_limit_validate(gint64 value, gint64 min, const char *attr, GError **error)
{
    g_autofree char *value_text = NULL;
    g_autofree char *min_text = NULL;

    if (value == VW_NETDEF_LIMIT_UNSET || value == VW_NETDEF_LIMIT_MAX || value >= min)
        return TRUE;
    value_text = g_strdup_printf("%" G_GINT64_FORMAT, value);
    min_text = g_strdup_printf("%" G_GINT64_FORMAT, min);
    return vw_netdef_invalid(error, _("invalid %s '%s' in <cgroup>: must be at least %s or 'max'"),
                             attr, value_text, min_text);
}

gboolean
vw_netdef_validate(const VwNetDef *def, GError **error)
{
    g_return_val_if_fail(def != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (!def->name)
        return vw_netdef_invalid(error, _("missing <%s> in <network>"), "name");
    if (!vw_check_name(def->name, VW_NETDEF_NAME_MAX, "<name>", error))
        return FALSE;
    if (!def->uuid)
        return vw_netdef_invalid(error, _("missing <%s> in <network>"), "uuid");
    if (!g_uuid_string_is_valid(def->uuid))
        return vw_netdef_invalid(error, _("invalid <uuid> '%s': not a UUID"), def->uuid);
    if (def->description && !vw_text_is_xml_safe(def->description))
        return vw_netdef_invalid(error, _("invalid <description>: must be UTF-8 text without "
                                          "control characters other than tab and newline"));
    if (!def->netns)
        return vw_netdef_invalid(error, _("missing <%s> in <network>"), "netns");
    if (!vw_check_name(def->netns, VW_NETDEF_NETNS_MAX, "<netns name>", error))
        return FALSE;
    if (!def->bridge)
        return vw_netdef_invalid(error, _("missing <%s> in <network>"), "bridge");
    if (!vw_check_ifname(def->bridge, "<bridge name>", error))
        return FALSE;
    if (!vw_check_range(def->mtu, VW_NETDEF_MTU_MIN, VW_NETDEF_MTU_MAX, "mtu", "<bridge>", error))
        return FALSE;
    if (def->bridge_mac_set) {
        const guint8 *mac = def->bridge_mac;
        g_autofree char *text = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
                                                mac[2], mac[3], mac[4], mac[5]);

        if (mac[0] & 0x01)
            return vw_netdef_invalid(error, _("MAC address '%s' in <mac> is a multicast address"),
                                     text);
        if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
            return vw_netdef_invalid(error, _("MAC address '%s' in <mac> is all zeros"), text);
    }

    if (!vw_forward_mode_to_string(def->forward))
        return vw_netdef_invalid(error, _("unknown forward mode '%d' in <forward>"),
                                 (int)def->forward);
    if (def->forward_dev) {
        if (def->forward == VW_FORWARD_ISOLATED)
            return vw_netdef_invalid(
                error, _("invalid dev '%s' in <forward>: an uplink is not allowed with mode '%s'"),
                def->forward_dev, "isolated");
        if (!vw_check_ifname(def->forward_dev, "<forward dev>", error))
            return FALSE;
    }
    if (def->host_access && def->forward == VW_FORWARD_ISOLATED)
        return vw_netdef_invalid(error,
                                 _("invalid hostAccess 'yes' in <forward>: an isolated network "
                                   "has no way to the host"));

    if (def->ipv4) {
        if (def->ipv4->family != AF_INET)
            return vw_netdef_invalid(error, _("<ip> of family '%s' given as the IPv4 one"),
                                     vw_family_name(def->ipv4->family));
        if (!vw_ip_def_validate(def->ipv4, error))
            return FALSE;
    }
    if (def->ipv6) {
        if (def->ipv6->family != AF_INET6)
            return vw_netdef_invalid(error, _("<ip> of family '%s' given as the IPv6 one"),
                                     vw_family_name(def->ipv6->family));
        if (!vw_ip_def_validate(def->ipv6, error))
            return FALSE;
    }

    if (def->dns_domain && !vw_dns_domain_is_valid(def->dns_domain))
        return vw_netdef_invalid(error,
                                 _("invalid domain '%s' in <dns>: must be dot-separated labels "
                                   "of 1 to 63 ASCII letters, digits or '-', at most 253 bytes"),
                                 def->dns_domain);
    if (def->dns_forwarders && def->dns_forwarders->len > 0) {
        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

        for (guint i = 0; i < def->dns_forwarders->len; i++) {
            const char *addr = g_ptr_array_index(def->dns_forwarders, i);
            g_autofree char *canon = vw_addr_canonical(AF_INET, addr);

            if (!canon)
                canon = vw_addr_canonical(AF_INET6, addr);
            if (!canon)
                return vw_netdef_invalid(error,
                                         _("invalid addr '%s' in <forwarder>: not an IPv4 or "
                                           "IPv6 address"),
                                         addr ? addr : "");
            if (!g_hash_table_add(seen, g_steal_pointer(&canon)))
                return vw_netdef_invalid(error, _("duplicate <forwarder addr='%s'> in <dns>"),
                                         addr);
        }
    }

    if (!vw_bandwidth_validate(&def->in, "<inbound>", error) ||
        !vw_bandwidth_validate(&def->out, "<outbound>", error))
        return FALSE;

    if (def->cpu_weight != 0 &&
        !vw_check_range(def->cpu_weight, VW_NETDEF_CPU_WEIGHT_MIN, VW_NETDEF_CPU_WEIGHT_MAX,
                        "cpu_weight", "<cgroup>", error))
        return FALSE;
    if (!vw_limit_validate(def->memory_max, VW_NETDEF_MEMORY_MAX_MIN, "memory_max", error) ||
        !vw_limit_validate(def->pids_max, 1, "pids_max", error))
        return FALSE;
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Parsing.                                                                 */

static const char *const vw_no_names[] = { NULL };

/* An element that only carries attributes. */
static gboolean
vw_netdef_check_empty(VwXmlNode *node, const char *const *attrs, GError **error)
{
    return vw_xml_check_attrs(node, attrs, error) &&
           vw_xml_check_children(node, vw_no_names, error);
}

/* At most one child called @name; returns it (or NULL) in @out. */
static gboolean
vw_netdef_single_child(VwXmlNode *parent, const char *name, VwXmlNode **out, GError **error)
{
    VwXmlNode *node = vw_xml_child_first(parent, name);

    if (node) {
        VwXmlNode *again = vw_xml_child_next(node, name);

        if (again)
            return vw_netdef_invalid_at(error, again, _("more than one <%s> in <%s>"), name,
                                        vw_xml_node_name(parent));
    }
    *out = node;
    return TRUE;
}

/* A text-only element such as <name>: its content, or NULL if absent. */
static gboolean
vw_netdef_parse_text(VwXmlNode *parent, const char *name, char **out, GError **error)
{
    VwXmlNode *node;
    VwXmlNode *child;

    *out = NULL;
    if (!vw_netdef_single_child(parent, name, &node, error))
        return FALSE;
    if (!node)
        return TRUE;
    if (!vw_xml_check_attrs(node, vw_no_names, error))
        return FALSE;
    child = vw_xml_child_first(node, NULL);
    if (child)
        return vw_netdef_invalid_at(error, child, _("unknown element <%s> in <%s>"),
                                    vw_xml_node_name(child), name);
    *out = vw_xml_node_text(node);
    return TRUE;
}

static gboolean
vw_netdef_require_prop(VwXmlNode *node, const char *attr, char **out, GError **error)
{
    *out = vw_xml_node_prop(node, attr);
    if (*out)
        return TRUE;
    return vw_netdef_invalid_at(error, node, _("missing attribute '%s' in <%s>"), attr,
                                vw_xml_node_name(node));
}

/* An optional 'yes'/'no' attribute; @out untouched if absent. */
static gboolean
vw_netdef_parse_yes_no(VwXmlNode *node, const char *attr, const char *elem, gboolean *out,
                       GError **error)
{
    g_autofree char *text = vw_xml_node_prop(node, attr);

    if (!text)
        return TRUE;
    if (g_str_equal(text, "yes") || g_str_equal(text, "no")) {
        *out = g_str_equal(text, "yes");
        return TRUE;
    }
    vw_netdef_invalid_at(error, node, _("invalid %s '%s' in %s: must be 'yes' or 'no'"), attr,
                         text, elem);
    return FALSE;
}

/* An optional unsigned attribute within [min, max]; @out untouched if absent. */
static gboolean
vw_netdef_parse_uint(VwXmlNode *node, const char *attr, const char *elem, guint64 min, guint64 max,
                     guint64 *out, gboolean *present, GError **error)
{
    g_autofree char *text = vw_xml_node_prop(node, attr);
    guint64 value;

    if (present)
        *present = text != NULL;
    if (!text)
        return TRUE;
    if (!vw_parse_u64(text, &value)) {
        g_autofree char *min_text = g_strdup_printf("%" G_GUINT64_FORMAT, min);
        g_autofree char *max_text = g_strdup_printf("%" G_GUINT64_FORMAT, max);

        return vw_netdef_invalid_at(error, node,
                                    _("invalid %s '%s' in %s: must be a number from %s to %s"),
                                    attr, text, elem, min_text, max_text);
    }
    if (!vw_check_range(value, min, max, attr, elem, error))
        return FALSE;
    *out = value;
    return TRUE;
}

/* memory_max / pids_max: a number >= @min, or 'max'. */
static gboolean
vw_netdef_parse_limit(VwXmlNode *node, const char *attr, gint64 min, gint64 *out, GError **error)
{
    g_autofree char *text = vw_xml_node_prop(node, attr);
    guint64 value;

    *out = VW_NETDEF_LIMIT_UNSET;
    if (!text)
        return TRUE;
    if (g_str_equal(text, "max")) {
        *out = VW_NETDEF_LIMIT_MAX;
        return TRUE;
    }
    /* G_MAXINT64 itself means 'max', so numbers stop just below it. */
    if (!vw_parse_u64(text, &value) || value < (guint64)min || value >= (guint64)G_MAXINT64) {
        g_autofree char *min_text = g_strdup_printf("%" G_GINT64_FORMAT, min);

        return vw_netdef_invalid_at(error, node,
                                    _("invalid %s '%s' in <cgroup>: must be at least %s or 'max'"),
                                    attr, text, min_text);
    }
    *out = (gint64)value;
    return TRUE;
}

static void
vw_str_replace(char **slot, char *value)
{
    g_free(*slot);
    *slot = value;
}

/* Note a part of libvirt's network XML that virtwire accepts and drops
 * (see vw_netdef_parse_full()), once. */
static void G_GNUC_PRINTF(2, 3) vw_netdef_ignore(GPtrArray *ignored, const char *format, ...)
{
    va_list args;
    char *item;

    va_start(args, format);
    item = g_strdup_vprintf(format, args);
    va_end(args);
    for (guint i = 0; i < ignored->len; i++) {
        if (g_str_equal(g_ptr_array_index(ignored, i), item)) {
            g_free(item);
            return;
        }
    }
    g_ptr_array_add(ignored, item);
}

/* The prefix length of the IPv4 @netmask of @node (libvirt's
 * `<ip address='...' netmask='255.255.255.0'>`). */
static gboolean
vw_netdef_netmask_prefix(VwXmlNode *node, const VwIpDef *ip, const char *elem, const char *netmask,
                         guint *prefix, GError **error)
{
    VwAddr mask;
    guint32 host_bits;

    if (ip->family != AF_INET)
        return vw_netdef_invalid_at(error, node,
                                    _("invalid netmask '%s' in %s: only an IPv4 address takes a "
                                      "netmask, an IPv6 one a prefix"),
                                    netmask, elem);
    if (!vw_addr_parse(AF_INET, netmask, &mask))
        return vw_netdef_invalid_at(
            error, node, _("invalid netmask '%s' in %s: not an IPv4 netmask"), netmask, elem);
    /* Contiguous: the zero bits are all at the end, so they count up to 2^n - 1. */
    host_bits = ~(((guint32)mask.bytes[0] << 24) | ((guint32)mask.bytes[1] << 16) |
                  ((guint32)mask.bytes[2] << 8) | mask.bytes[3]);
    if (host_bits & (host_bits + 1))
        return vw_netdef_invalid_at(error, node,
                                    _("invalid netmask '%s' in %s: its one bits are not "
                                      "contiguous (a netmask is ones then zeros, as in "
                                      "'255.255.255.0')"),
                                    netmask, elem);
    *prefix = 32;
    for (; host_bits; host_bits >>= 1)
        (*prefix)--;
    return TRUE;
}

/* An address attribute: canonical text if it parses, else the raw text
 * (the validator then reports it with the right context). */
static char *
vw_netdef_take_addr(int family, char *text)
{
    char *canon = vw_addr_canonical(family, text);

    if (!canon)
        return text;
    g_free(text);
    return canon;
}

static gboolean
vw_netdef_parse_dhcp(VwXmlNode *dhcp, VwIpDef *ip, GError **error)
{
    static const char *const children[] = { "range", "host", NULL };
    static const char *const range_attrs[] = { "start", "end", NULL };
    static const char *const host_attrs[] = { "mac", "ip", "name", NULL };
    VwXmlNode *node;

    if (!vw_xml_check_attrs(dhcp, vw_no_names, error) ||
        !vw_xml_check_children(dhcp, children, error))
        return FALSE;

    VW_XML_FOREACH_CHILD(node, dhcp, "range")
    {
        g_autoptr(VwDhcpRange) range = g_new0(VwDhcpRange, 1);

        if (!vw_netdef_check_empty(node, range_attrs, error) ||
            !vw_netdef_require_prop(node, "start", &range->start, error) ||
            !vw_netdef_require_prop(node, "end", &range->end, error))
            return FALSE;
        range->start = vw_netdef_take_addr(ip->family, range->start);
        range->end = vw_netdef_take_addr(ip->family, range->end);
        g_ptr_array_add(ip->ranges, g_steal_pointer(&range));
    }

    VW_XML_FOREACH_CHILD(node, dhcp, "host")
    {
        g_autoptr(VwDhcpHost) host = g_new0(VwDhcpHost, 1);
        guint8 mac[6];

        if (!vw_netdef_check_empty(node, host_attrs, error) ||
            !vw_netdef_require_prop(node, "mac", &host->mac, error))
            return FALSE;
        if (vw_mac_scan(host->mac, mac)) {
            g_free(host->mac);
            host->mac = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
                                        mac[3], mac[4], mac[5]);
        }
        host->ip = vw_xml_node_prop(node, "ip");
        if (!host->ip)
            return vw_netdef_invalid_at(error, node, _("missing attribute 'ip' in <host mac='%s'>"),
                                        host->mac);
        host->ip = vw_netdef_take_addr(ip->family, host->ip);
        host->name = vw_xml_node_prop(node, "name");
        g_ptr_array_add(ip->hosts, g_steal_pointer(&host));
    }
    return TRUE;
}

static gboolean
vw_netdef_parse_ip(VwXmlNode *node, VwNetDef *def, GError **error)
{
    static const char *const attrs[] = { "family", "address", "prefix", "netmask", NULL };
    static const char *const children[] = { "dhcp", NULL };
    g_autofree char *family = vw_xml_node_prop(node, "family");
    g_autofree char *netmask = vw_xml_node_prop(node, "netmask");
    g_autoptr(VwIpDef) ip = NULL;
    g_autofree char *elem = NULL;
    VwIpDef **slot;
    VwXmlNode *dhcp;
    guint64 prefix = 0;
    gboolean present;

    if (!vw_xml_check_attrs(node, attrs, error) || !vw_xml_check_children(node, children, error))
        return FALSE;
    if (!family || g_str_equal(family, "ipv4")) {
        ip = vw_ip_def_new(AF_INET);
        slot = &def->ipv4;
    } else if (g_str_equal(family, "ipv6")) {
        ip = vw_ip_def_new(AF_INET6);
        slot = &def->ipv6;
    } else {
        return vw_netdef_invalid_at(
            error, node, _("unknown family '%s' in <ip>: must be 'ipv4' or 'ipv6'"), family);
    }
    if (*slot)
        return vw_netdef_invalid_at(error, node,
                                    _("more than one <ip> of family '%s' in <network>"),
                                    vw_family_name(ip->family));

    if (!vw_netdef_require_prop(node, "address", &ip->address, error))
        return FALSE;
    if (!vw_addr_parse(ip->family, ip->address, &(VwAddr){ 0 }))
        return vw_netdef_invalid_at(error, node, _("invalid %s address '%s' in <ip family='%s'>"),
                                    ip->family == AF_INET6 ? "IPv6" : "IPv4", ip->address,
                                    vw_family_name(ip->family));
    ip->address = vw_netdef_take_addr(ip->family, ip->address);
    elem = g_strdup_printf("<ip address='%s'>", ip->address);
    if (!vw_netdef_parse_uint(node, "prefix", elem, 0, vw_addr_bits(ip->family), &prefix, &present,
                              error))
        return FALSE;
    if (netmask) {
        guint mask_prefix = 0;

        if (!vw_netdef_netmask_prefix(node, ip, elem, netmask, &mask_prefix, error))
            return FALSE;
        if (present && prefix != mask_prefix)
            return vw_netdef_invalid_at(error, node,
                                        _("netmask '%s' (prefix %u) and prefix '%u' in %s "
                                          "disagree"),
                                        netmask, mask_prefix, (guint)prefix, elem);
        prefix = mask_prefix;
        present = TRUE;
    }
    if (!present)
        return vw_netdef_invalid_at(error, node, _("missing attribute 'prefix' in %s"), elem);
    ip->prefix = (guint)prefix;

    if (!vw_netdef_single_child(node, "dhcp", &dhcp, error))
        return FALSE;
    if (dhcp && !vw_netdef_parse_dhcp(dhcp, ip, error))
        return FALSE;
    *slot = g_steal_pointer(&ip);
    return TRUE;
}

static gboolean
vw_netdef_parse_bandwidth_dir(VwXmlNode *parent, const char *name, VwBandwidthDir *dir,
                              GError **error)
{
    static const char *const attrs[] = { "average", "peak", "burst", NULL };
    g_autofree char *elem = g_strdup_printf("<%s>", name);
    VwXmlNode *node;
    gboolean present;

    if (!vw_netdef_single_child(parent, name, &node, error))
        return FALSE;
    if (!node)
        return TRUE;
    if (!vw_netdef_check_empty(node, attrs, error))
        return FALSE;
    dir->set = TRUE;
    if (!vw_netdef_parse_uint(node, "average", elem, 1, VW_NETDEF_BANDWIDTH_MAX, &dir->average,
                              &present, error))
        return FALSE;
    if (!present)
        return vw_netdef_invalid_at(error, node, _("missing attribute '%s' in <%s>"), "average",
                                    name);
    return vw_netdef_parse_uint(node, "peak", elem, 1, VW_NETDEF_BANDWIDTH_MAX, &dir->peak, NULL,
                                error) &&
           vw_netdef_parse_uint(node, "burst", elem, 1, VW_NETDEF_BANDWIDTH_MAX, &dir->burst, NULL,
                                error);
}

/* libvirt's <nat><address start end/><port start end/></nat> in <forward>:
 * checked, then dropped (virtwire masquerades to the uplink's address and
 * lets the kernel pick the ports). */
static gboolean
vw_netdef_parse_nat(VwXmlNode *forward, const VwNetDef *def, GPtrArray *ignored, GError **error)
{
    static const char *const children[] = { "address", "port", NULL };
    static const char *const range_attrs[] = { "start", "end", NULL };
    VwXmlNode *nat;
    VwXmlNode *node;

    if (!vw_netdef_single_child(forward, "nat", &nat, error))
        return FALSE;
    if (!nat)
        return TRUE;
    if (def->forward != VW_FORWARD_NAT)
        return vw_netdef_invalid_at(error, nat,
                                    _("<nat> in <forward> is only allowed with mode '%s', not "
                                      "'%s'"),
                                    "nat", vw_forward_mode_to_string(def->forward));
    if (!vw_xml_check_attrs(nat, vw_no_names, error) ||
        !vw_xml_check_children(nat, children, error))
        return FALSE;

    if (!vw_netdef_single_child(nat, "address", &node, error))
        return FALSE;
    if (node) {
        g_autofree char *start = NULL;
        g_autofree char *end = NULL;

        if (!vw_netdef_check_empty(node, range_attrs, error) ||
            !vw_netdef_require_prop(node, "start", &start, error))
            return FALSE;
        end = vw_xml_node_prop(node, "end");
        if (!vw_addr_parse(AF_INET, start, &(VwAddr){ 0 }))
            return vw_netdef_invalid_at(error, node, _("invalid %s address '%s' in %s"), "IPv4",
                                        start, "<nat><address start>");
        if (end && !vw_addr_parse(AF_INET, end, &(VwAddr){ 0 }))
            return vw_netdef_invalid_at(error, node, _("invalid %s address '%s' in %s"), "IPv4",
                                        end, "<nat><address end>");
        if (end)
            vw_netdef_ignore(ignored, "<nat><address start='%s' end='%s'/>", start, end);
        else
            vw_netdef_ignore(ignored, "<nat><address start='%s'/>", start);
    }

    if (!vw_netdef_single_child(nat, "port", &node, error))
        return FALSE;
    if (node) {
        guint64 start = 0;
        guint64 end = 0;
        gboolean present;
        gboolean end_present;

        if (!vw_netdef_check_empty(node, range_attrs, error) ||
            !vw_netdef_parse_uint(node, "start", "<nat><port>", 0, G_MAXUINT16, &start, &present,
                                  error) ||
            !vw_netdef_parse_uint(node, "end", "<nat><port>", 0, G_MAXUINT16, &end, &end_present,
                                  error))
            return FALSE;
        if (!present)
            return vw_netdef_invalid_at(error, node, _("missing attribute '%s' in <%s>"), "start",
                                        "port");
        if (end_present)
            vw_netdef_ignore(
                ignored, "<nat><port start='%" G_GUINT64_FORMAT "' end='%" G_GUINT64_FORMAT "'/>",
                start, end);
        else
            vw_netdef_ignore(ignored, "<nat><port start='%" G_GUINT64_FORMAT "'/>", start);
    }
    return TRUE;
}

/* libvirt's <interface dev='...'/> in <forward>: the uplink again (libvirt
 * writes it beside dev='...'), with a read-only connections='N' when the
 * network is active. */
static gboolean
vw_netdef_parse_forward_interface(VwXmlNode *forward, VwNetDef *def, GPtrArray *ignored,
                                  GError **error)
{
    static const char *const attrs[] = { "dev", "connections", NULL };
    g_autofree char *dev = NULL;
    VwXmlNode *node;
    guint64 connections = 0;
    gboolean present;

    if (!vw_netdef_single_child(forward, "interface", &node, error))
        return FALSE;
    if (!node)
        return TRUE;
    if (!vw_netdef_check_empty(node, attrs, error) ||
        !vw_netdef_require_prop(node, "dev", &dev, error) ||
        !vw_netdef_parse_uint(node, "connections", "<interface>", 0, G_MAXINT32, &connections,
                              &present, error))
        return FALSE;
    if (def->forward_dev && !g_str_equal(def->forward_dev, dev))
        return vw_netdef_invalid_at(error, node,
                                    _("<interface dev='%s'> in <forward> names another uplink "
                                      "than dev '%s'"),
                                    dev, def->forward_dev);
    if (!def->forward_dev)
        def->forward_dev = g_steal_pointer(&dev);
    if (present)
        vw_netdef_ignore(ignored, "connections='%" G_GUINT64_FORMAT "'", connections);
    return TRUE;
}

static VwNetDef *
vw_netdef_parse_doc(const VwXmlDoc *doc, GPtrArray *ignored, GError **error)
{
    static const char *const children[] = { "name",   "uuid", "description", "netns",
                                            "bridge", "mac",  "forward",     "ip",
                                            "domain", "dns",  "bandwidth",   "cgroup",
                                            "port",   NULL };
    static const char *const network_attrs[] = { "connections", NULL };
    static const char *const netns_attrs[] = { "name", NULL };
    static const char *const bridge_attrs[] = { "name", "stp", "delay", "mtu", NULL };
    static const char *const mac_attrs[] = { "address", NULL };
    static const char *const forward_attrs[] = { "mode", "dev", "hostAccess", NULL };
    static const char *const forward_children[] = { "nat", "interface", NULL };
    static const char *const domain_attrs[] = { "name", "localOnly", NULL };
    static const char *const port_attrs[] = { "spoofCheck", NULL };
    static const char *const dns_attrs[] = { "domain", NULL };
    static const char *const dns_children[] = { "forwarder", NULL };
    static const char *const forwarder_attrs[] = { "addr", NULL };
    static const char *const bandwidth_children[] = { "inbound", "outbound", NULL };
    static const char *const cgroup_attrs[] = { "cpu_weight", "memory_max", "pids_max", NULL };
    VwXmlNode *root = vw_xml_doc_root(doc);
    g_autoptr(VwNetDef) def = g_new0(VwNetDef, 1);
    g_autofree char *domain = NULL;
    VwXmlNode *node;
    VwXmlNode *child;
    guint64 value;
    gboolean present;

    def->mtu = VW_NETDEF_MTU_DEFAULT;
    def->forward = VW_FORWARD_ISOLATED;
    def->memory_max = VW_NETDEF_LIMIT_UNSET;
    def->pids_max = VW_NETDEF_LIMIT_UNSET;
    def->dns_forwarders = g_ptr_array_new_with_free_func(g_free);

    if (vw_xml_node_ns(root) && g_str_equal(vw_xml_node_name(root), "network")) {
        vw_netdef_invalid_at(error, root, _("root element <network> must not be in namespace '%s'"),
                             vw_xml_node_ns(root));
        return NULL;
    }
    if (!vw_xml_node_is(root, "network")) {
        vw_netdef_invalid_at(error, root, _("root element is <%s>, expected <network>"),
                             vw_xml_node_name(root));
        return NULL;
    }
    if (!vw_xml_check_attrs(root, network_attrs, error) ||
        !vw_xml_check_children(root, children, error))
        return NULL;
    /* libvirt's count of the guests on an active network */
    if (!vw_netdef_parse_uint(root, "connections", "<network>", 0, G_MAXINT32, &value, &present,
                              error))
        return NULL;
    if (present)
        vw_netdef_ignore(ignored, "connections='%" G_GUINT64_FORMAT "'", value);

    if (!vw_netdef_parse_text(root, "name", &def->name, error))
        return NULL;
    if (!def->name) {
        vw_netdef_invalid_at(error, root, _("missing <%s> in <network>"), "name");
        return NULL;
    }

    if (!vw_netdef_parse_text(root, "uuid", &def->uuid, error))
        return NULL;
    if (!def->uuid)
        def->uuid = g_uuid_string_random();
    else if (g_uuid_string_is_valid(def->uuid))
        vw_str_replace(&def->uuid, g_ascii_strdown(def->uuid, -1));

    if (!vw_netdef_parse_text(root, "description", &def->description, error))
        return NULL;
    if (def->description && !*def->description)
        g_clear_pointer(&def->description, g_free);

    if (!vw_netdef_single_child(root, "netns", &node, error))
        return NULL;
    if (node) {
        if (!vw_netdef_check_empty(node, netns_attrs, error) ||
            !vw_netdef_require_prop(node, "name", &def->netns, error))
            return NULL;
    } else {
        def->netns = g_strconcat(VW_NETDEF_NETNS_PREFIX, def->name, NULL);
    }

    if (!vw_netdef_single_child(root, "bridge", &node, error))
        return NULL;
    if (node) {
        g_autofree char *stp = NULL;

        if (!vw_netdef_check_empty(node, bridge_attrs, error))
            return NULL;
        def->bridge = vw_xml_node_prop(node, "name");
        stp = vw_xml_node_prop(node, "stp");
        if (stp && g_str_equal(stp, "on"))
            def->stp = TRUE;
        else if (stp && !g_str_equal(stp, "off")) {
            vw_netdef_invalid_at(error, node,
                                 _("invalid stp '%s' in <bridge>: must be 'on' or 'off'"), stp);
            return NULL;
        }
        value = def->mtu;
        if (!vw_netdef_parse_uint(node, "mtu", "<bridge>", VW_NETDEF_MTU_MIN, VW_NETDEF_MTU_MAX,
                                  &value, NULL, error))
            return NULL;
        def->mtu = (guint)value;
        /* libvirt's forward delay: virtwire's STP always uses the least one */
        if (!vw_netdef_parse_uint(node, "delay", "<bridge>", 0, G_MAXUINT32, &value, &present,
                                  error))
            return NULL;
        if (present)
            vw_netdef_ignore(ignored, "delay='%" G_GUINT64_FORMAT "'", value);
    }
    if (!def->bridge)
        def->bridge = g_strdup(VW_NETDEF_BRIDGE_DEFAULT);

    if (!vw_netdef_single_child(root, "mac", &node, error))
        return NULL;
    if (node) {
        g_autofree char *address = NULL;

        if (!vw_netdef_check_empty(node, mac_attrs, error) ||
            !vw_netdef_require_prop(node, "address", &address, error))
            return NULL;
        if (!vw_mac_scan(address, def->bridge_mac)) {
            vw_netdef_invalid_at(error, node, _("invalid MAC address '%s' in <mac>"), address);
            return NULL;
        }
        def->bridge_mac_set = TRUE;
    }

    if (!vw_netdef_single_child(root, "forward", &node, error))
        return NULL;
    if (node) {
        g_autofree char *mode = NULL;

        if (!vw_xml_check_attrs(node, forward_attrs, error) ||
            !vw_xml_check_children(node, forward_children, error))
            return NULL;
        mode = vw_xml_node_prop(node, "mode");
        if (mode) {
            /* "route" is libvirt's name of the routed mode */
            int m =
                g_str_equal(mode, "route") ? VW_FORWARD_ROUTED : vw_forward_mode_from_string(mode);

            if (m < 0) {
                vw_netdef_invalid_at(error, node,
                                     _("unknown forward mode '%s' in <forward>: must be "
                                       "'isolated', 'nat' or 'routed'"),
                                     mode);
                return NULL;
            }
            def->forward = (VwForwardMode)m;
        }
        def->forward_dev = vw_xml_node_prop(node, "dev");
        if (!vw_netdef_parse_yes_no(node, "hostAccess", "<forward>", &def->host_access, error) ||
            !vw_netdef_parse_nat(node, def, ignored, error) ||
            !vw_netdef_parse_forward_interface(node, def, ignored, error))
            return NULL;
    }

    if (!vw_netdef_single_child(root, "port", &node, error))
        return NULL;
    if (node) {
        gboolean spoof_check = TRUE;

        if (!vw_netdef_check_empty(node, port_attrs, error) ||
            !vw_netdef_parse_yes_no(node, "spoofCheck", "<port>", &spoof_check, error))
            return NULL;
        def->no_spoof_check = !spoof_check;
    }

    VW_XML_FOREACH_CHILD(node, root, "ip")
    {
        if (!vw_netdef_parse_ip(node, def, error))
            return NULL;
    }

    if (!vw_netdef_single_child(root, "dns", &node, error))
        return NULL;
    if (node) {
        if (!vw_xml_check_attrs(node, dns_attrs, error) ||
            !vw_xml_check_children(node, dns_children, error))
            return NULL;
        def->dns_domain = vw_xml_node_prop(node, "domain");
        VW_XML_FOREACH_CHILD(child, node, "forwarder")
        {
            char *addr = NULL;

            if (!vw_netdef_check_empty(child, forwarder_attrs, error) ||
                !vw_netdef_require_prop(child, "addr", &addr, error))
                return NULL;
            if (strchr(addr, ':'))
                addr = vw_netdef_take_addr(AF_INET6, addr);
            else
                addr = vw_netdef_take_addr(AF_INET, addr);
            g_ptr_array_add(def->dns_forwarders, addr);
        }
    }

    /* libvirt's <domain name='...'/>: the DNS domain, which virtwire's
     * dnsmasq always answers itself (libvirt's localOnly='yes') */
    if (!vw_netdef_single_child(root, "domain", &node, error))
        return NULL;
    if (node) {
        gboolean local_only = TRUE;

        if (!vw_netdef_check_empty(node, domain_attrs, error) ||
            !vw_netdef_require_prop(node, "name", &domain, error) ||
            !vw_netdef_parse_yes_no(node, "localOnly", "<domain>", &local_only, error))
            return NULL;
        if (def->dns_domain && !g_str_equal(def->dns_domain, domain)) {
            vw_netdef_invalid_at(error, node,
                                 _("<domain name='%s'> and <dns domain='%s'> disagree"), domain,
                                 def->dns_domain);
            return NULL;
        }
        vw_str_replace(&def->dns_domain, g_steal_pointer(&domain));
        if (!local_only)
            vw_netdef_ignore(ignored, "localOnly='no'");
    }

    if (!vw_netdef_single_child(root, "bandwidth", &node, error))
        return NULL;
    if (node) {
        if (!vw_xml_check_attrs(node, vw_no_names, error) ||
            !vw_xml_check_children(node, bandwidth_children, error) ||
            !vw_netdef_parse_bandwidth_dir(node, "inbound", &def->in, error) ||
            !vw_netdef_parse_bandwidth_dir(node, "outbound", &def->out, error))
            return NULL;
    }

    if (!vw_netdef_single_child(root, "cgroup", &node, error))
        return NULL;
    if (node) {
        value = 0;
        if (!vw_netdef_check_empty(node, cgroup_attrs, error) ||
            !vw_netdef_parse_uint(node, "cpu_weight", "<cgroup>", VW_NETDEF_CPU_WEIGHT_MIN,
                                  VW_NETDEF_CPU_WEIGHT_MAX, &value, NULL, error) ||
            !vw_netdef_parse_limit(node, "memory_max", VW_NETDEF_MEMORY_MAX_MIN, &def->memory_max,
                                   error) ||
            !vw_netdef_parse_limit(node, "pids_max", 1, &def->pids_max, error))
            return NULL;
        def->cpu_weight = (guint)value;
    }

    if (!vw_netdef_validate(def, error))
        return NULL;
    return g_steal_pointer(&def);
}

VwNetDef *
vw_netdef_parse_full(const char *xml, gssize len, GStrv *ignored, GError **error)
{
    g_autoptr(VwXmlDoc) doc = NULL;
    g_autoptr(GPtrArray) dropped = NULL;
    VwNetDef *def;

    g_return_val_if_fail(xml != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    if (ignored)
        *ignored = NULL;
    doc = vw_xml_parse(xml, len, _("guest network"), error);
    if (!doc)
        return NULL;
    dropped = g_ptr_array_new_with_free_func(g_free);
    def = vw_netdef_parse_doc(doc, dropped, error);
    if (def && ignored && dropped->len > 0) {
        g_ptr_array_add(dropped, NULL);
        *ignored = (GStrv)g_ptr_array_steal(dropped, NULL);
    }
    return def;
}

VwNetDef *
vw_netdef_parse(const char *xml, gssize len, GError **error)
{
    return vw_netdef_parse_full(xml, len, NULL, error);
}

VwNetDef *
vw_netdef_parse_file(const char *path, GError **error)
{
    g_autoptr(VwXmlDoc) doc = NULL;
    g_autoptr(GPtrArray) dropped = NULL;
    VwNetDef *def;

    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    doc = vw_xml_parse_file(path, _("guest network"), error);
    if (!doc)
        return NULL;
    dropped = g_ptr_array_new_with_free_func(g_free);
    def = vw_netdef_parse_doc(doc, dropped, error);
    if (!def)
        g_prefix_error(error, _("guest network XML '%s': "), path);
    return def;
}

/* ------------------------------------------------------------------------ */
/* Formatting and comparison.                                               */

static void
vw_format_attr(GString *buf, const char *name, const char *value)
{
    g_string_append_printf(buf, " %s='", name);
    vw_xml_escape_append(buf, value);
    g_string_append_c(buf, '\'');
}

static void
vw_format_attr_u64(GString *buf, const char *name, guint64 value)
{
    g_string_append_printf(buf, " %s='%" G_GUINT64_FORMAT "'", name, value);
}

static void
vw_format_text(GString *buf, const char *indent, const char *name, const char *value)
{
    g_string_append_printf(buf, "%s<%s>", indent, name);
    vw_xml_escape_append(buf, value);
    g_string_append_printf(buf, "</%s>\n", name);
}

static void
vw_format_ip(GString *buf, const VwIpDef *ip)
{
    gboolean has_dhcp = (ip->ranges && ip->ranges->len) || (ip->hosts && ip->hosts->len);

    g_string_append(buf, "  <ip");
    vw_format_attr(buf, "family", vw_family_name(ip->family));
    vw_format_attr(buf, "address", ip->address);
    vw_format_attr_u64(buf, "prefix", ip->prefix);
    if (!has_dhcp) {
        g_string_append(buf, "/>\n");
        return;
    }
    g_string_append(buf, ">\n    <dhcp>\n");
    for (guint i = 0; ip->ranges && i < ip->ranges->len; i++) {
        const VwDhcpRange *range = g_ptr_array_index(ip->ranges, i);

        g_string_append(buf, "      <range");
        vw_format_attr(buf, "start", range->start);
        vw_format_attr(buf, "end", range->end);
        g_string_append(buf, "/>\n");
    }
    for (guint i = 0; ip->hosts && i < ip->hosts->len; i++) {
        const VwDhcpHost *host = g_ptr_array_index(ip->hosts, i);

        g_string_append(buf, "      <host");
        vw_format_attr(buf, "mac", host->mac);
        vw_format_attr(buf, "ip", host->ip);
        if (host->name)
            vw_format_attr(buf, "name", host->name);
        g_string_append(buf, "/>\n");
    }
    g_string_append(buf, "    </dhcp>\n  </ip>\n");
}

static void
vw_format_bandwidth_dir(GString *buf, const char *name, const VwBandwidthDir *dir)
{
    if (!dir->set)
        return;
    g_string_append_printf(buf, "    <%s", name);
    vw_format_attr_u64(buf, "average", dir->average);
    if (dir->peak)
        vw_format_attr_u64(buf, "peak", dir->peak);
    if (dir->burst)
        vw_format_attr_u64(buf, "burst", dir->burst);
    g_string_append(buf, "/>\n");
}

static void
vw_format_limit(GString *buf, const char *name, gint64 value)
{
    if (value == VW_NETDEF_LIMIT_UNSET)
        return;
    if (value == VW_NETDEF_LIMIT_MAX)
        vw_format_attr(buf, name, "max");
    else
        g_string_append_printf(buf, " %s='%" G_GINT64_FORMAT "'", name, value);
}

char *
vw_netdef_format(const VwNetDef *def)
{
    g_autoptr(GString) buf = g_string_new("<network>\n");
    guint n_forwarders = def && def->dns_forwarders ? def->dns_forwarders->len : 0;

    g_return_val_if_fail(def != NULL, NULL);

    vw_format_text(buf, "  ", "name", def->name);
    vw_format_text(buf, "  ", "uuid", def->uuid);
    if (def->description)
        vw_format_text(buf, "  ", "description", def->description);

    g_string_append(buf, "  <netns");
    vw_format_attr(buf, "name", def->netns);
    g_string_append(buf, "/>\n  <bridge");
    vw_format_attr(buf, "name", def->bridge);
    vw_format_attr(buf, "stp", def->stp ? "on" : "off");
    vw_format_attr_u64(buf, "mtu", def->mtu);
    g_string_append(buf, "/>\n");
    if (def->bridge_mac_set) {
        const guint8 *mac = def->bridge_mac;

        g_string_append_printf(buf, "  <mac address='%02x:%02x:%02x:%02x:%02x:%02x'/>\n", mac[0],
                               mac[1], mac[2], mac[3], mac[4], mac[5]);
    }
    g_string_append(buf, "  <forward");
    vw_format_attr(buf, "mode", vw_forward_mode_to_string(def->forward));
    if (def->forward_dev)
        vw_format_attr(buf, "dev", def->forward_dev);
    if (def->host_access)
        vw_format_attr(buf, "hostAccess", "yes");
    g_string_append(buf, "/>\n");

    if (def->ipv4)
        vw_format_ip(buf, def->ipv4);
    if (def->ipv6)
        vw_format_ip(buf, def->ipv6);

    if (def->dns_domain || n_forwarders) {
        g_string_append(buf, "  <dns");
        if (def->dns_domain)
            vw_format_attr(buf, "domain", def->dns_domain);
        if (!n_forwarders) {
            g_string_append(buf, "/>\n");
        } else {
            g_string_append(buf, ">\n");
            for (guint i = 0; i < n_forwarders; i++) {
                g_string_append(buf, "    <forwarder");
                vw_format_attr(buf, "addr", g_ptr_array_index(def->dns_forwarders, i));
                g_string_append(buf, "/>\n");
            }
            g_string_append(buf, "  </dns>\n");
        }
    }

    if (def->in.set || def->out.set) {
        g_string_append(buf, "  <bandwidth>\n");
        vw_format_bandwidth_dir(buf, "inbound", &def->in);
        vw_format_bandwidth_dir(buf, "outbound", &def->out);
        g_string_append(buf, "  </bandwidth>\n");
    }

    if (def->no_spoof_check)
        g_string_append(buf, "  <port spoofCheck='no'/>\n");

    if (def->cpu_weight || def->memory_max != VW_NETDEF_LIMIT_UNSET ||
        def->pids_max != VW_NETDEF_LIMIT_UNSET) {
        g_string_append(buf, "  <cgroup");
        if (def->cpu_weight)
            vw_format_attr_u64(buf, "cpu_weight", def->cpu_weight);
        vw_format_limit(buf, "memory_max", def->memory_max);
        vw_format_limit(buf, "pids_max", def->pids_max);
        g_string_append(buf, "/>\n");
    }

    g_string_append(buf, "</network>\n");
    return g_string_free(g_steal_pointer(&buf), FALSE);
}

static gboolean
vw_ip_def_equal(const VwIpDef *a, const VwIpDef *b)
{
    guint na, nb;

    if (!a || !b)
        return a == b;
    if (a->family != b->family || a->prefix != b->prefix || g_strcmp0(a->address, b->address))
        return FALSE;

    na = a->ranges ? a->ranges->len : 0;
    nb = b->ranges ? b->ranges->len : 0;
    if (na != nb)
        return FALSE;
    for (guint i = 0; i < na; i++) {
        const VwDhcpRange *ra = g_ptr_array_index(a->ranges, i);
        const VwDhcpRange *rb = g_ptr_array_index(b->ranges, i);

        if (g_strcmp0(ra->start, rb->start) || g_strcmp0(ra->end, rb->end))
            return FALSE;
    }

    na = a->hosts ? a->hosts->len : 0;
    nb = b->hosts ? b->hosts->len : 0;
    if (na != nb)
        return FALSE;
    for (guint i = 0; i < na; i++) {
        const VwDhcpHost *ha = g_ptr_array_index(a->hosts, i);
        const VwDhcpHost *hb = g_ptr_array_index(b->hosts, i);

        if (g_strcmp0(ha->mac, hb->mac) || g_strcmp0(ha->ip, hb->ip) ||
            g_strcmp0(ha->name, hb->name))
            return FALSE;
    }
    return TRUE;
}

static gboolean
vw_bandwidth_dir_equal(const VwBandwidthDir *a, const VwBandwidthDir *b)
{
    if (a->set != b->set)
        return FALSE;
    return !a->set || (a->average == b->average && a->peak == b->peak && a->burst == b->burst);
}

gboolean
vw_netdef_equal(const VwNetDef *a, const VwNetDef *b)
{
    guint na, nb;

    if (!a || !b)
        return a == b;
    if (g_strcmp0(a->name, b->name) || g_strcmp0(a->uuid, b->uuid) ||
        g_strcmp0(a->description, b->description) || g_strcmp0(a->netns, b->netns) ||
        g_strcmp0(a->bridge, b->bridge) || !a->stp != !b->stp || a->mtu != b->mtu ||
        !a->bridge_mac_set != !b->bridge_mac_set ||
        (a->bridge_mac_set && memcmp(a->bridge_mac, b->bridge_mac, sizeof(a->bridge_mac))) ||
        a->forward != b->forward || g_strcmp0(a->forward_dev, b->forward_dev) ||
        !a->host_access != !b->host_access || !a->no_spoof_check != !b->no_spoof_check ||
        g_strcmp0(a->dns_domain, b->dns_domain))
        return FALSE;
    if (!vw_ip_def_equal(a->ipv4, b->ipv4) || !vw_ip_def_equal(a->ipv6, b->ipv6))
        return FALSE;

    na = a->dns_forwarders ? a->dns_forwarders->len : 0;
    nb = b->dns_forwarders ? b->dns_forwarders->len : 0;
    if (na != nb)
        return FALSE;
    for (guint i = 0; i < na; i++) {
        if (g_strcmp0(g_ptr_array_index(a->dns_forwarders, i),
                      g_ptr_array_index(b->dns_forwarders, i)))
            return FALSE;
    }

    return vw_bandwidth_dir_equal(&a->in, &b->in) && vw_bandwidth_dir_equal(&a->out, &b->out) &&
           a->cpu_weight == b->cpu_weight && a->memory_max == b->memory_max &&
           a->pids_max == b->pids_max;
}

gboolean
vw_netdef_overlaps(const VwNetDef *a, const VwNetDef *b, GError **error)
{
    const VwIpDef *pairs[2][2];

    g_return_val_if_fail(a != NULL, FALSE);
    g_return_val_if_fail(b != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    pairs[0][0] = a->ipv4;
    pairs[0][1] = b->ipv4;
    pairs[1][0] = a->ipv6;
    pairs[1][1] = b->ipv6;
    for (int i = 0; i < 2; i++) {
        const VwIpDef *ia = pairs[i][0];
        const VwIpDef *ib = pairs[i][1];
        VwAddr ga, gb;
        g_autofree char *subnet_a = NULL;
        g_autofree char *subnet_b = NULL;

        if (!ia || !ib || ia->family != ib->family)
            continue;
        if (!vw_addr_parse(ia->family, ia->address, &ga) ||
            !vw_addr_parse(ib->family, ib->address, &gb))
            continue;
        /* Two prefixes overlap iff they agree on the shorter prefix. */
        if (!vw_addr_in_subnet(&ga, &gb, MIN(ia->prefix, ib->prefix)))
            continue;
        subnet_a = vw_subnet_to_string(&ga, ia->prefix);
        subnet_b = vw_subnet_to_string(&gb, ib->prefix);
        g_set_error(error, VW_XML_ERROR, VW_XML_ERROR_INVALID,
                    _("subnet '%s' of network '%s' overlaps subnet '%s' of network '%s'"), subnet_a,
                    a->name, subnet_b, b->name);
        return TRUE;
    }
    return FALSE;
}
