#include <config.h>

#include <string.h>

#include <glib/gi18n-lib.h>

#include "vw-names.h"
#include "vw-util-error.h"

#define VW_UUID_LEN 36


static const char *const vw_port_roles[] = { "tap", "host", "peer", NULL };

/* Syntax only: 8-4-4-4-12 hex digits. */
static gboolean
vw_uuid_is_valid(const char *uuid)
{
    if (!uuid || strlen(uuid) != VW_UUID_LEN)
        return FALSE;
    for (int i = 0; i < VW_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (uuid[i] != '-')
                return FALSE;
        } else if (!g_ascii_isxdigit(uuid[i])) {
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
vw_uuid_check(const char *uuid, GError **error)
{
    g_return_val_if_fail(uuid != NULL, FALSE);

    if (!vw_uuid_is_valid(uuid)) {
        g_autofree char *shown = g_strescape(uuid, NULL);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                    _("invalid UUID '%s': expected 8-4-4-4-12 hexadecimal digits"), shown);
        return FALSE;
    }
    return TRUE;
}

gboolean
vw_mac_parse(const char *text, guint8 mac[6], GError **error)
{
    guint8 bytes[6];

    g_return_val_if_fail(text != NULL, FALSE);

    if (!vw_mac_scan(text, bytes)) {
        g_autofree char *shown = g_strescape(text, NULL);
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                    _("invalid MAC address '%s': expected six hexadecimal pairs separated by ':'"),
                    shown);
        return FALSE;
    }
    if (bytes[0] & 0x01) {
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                    _("invalid MAC address '%s': a multicast address cannot name a NIC"), text);
        return FALSE;
    }
    if (!(bytes[0] | bytes[1] | bytes[2] | bytes[3] | bytes[4] | bytes[5])) {
        g_set_error(error, VW_UTIL_ERROR, VW_UTIL_ERROR_INVALID,
                    _("invalid MAC address '%s': all zeros"), text);
        return FALSE;
    }
    memcpy(mac, bytes, sizeof(bytes));
    return TRUE;
}

const char *
vw_mac_format(const VwMac *mac, char buf[VW_MAC_BUFSIZE])
{
    static const char hex[] = "0123456789abcdef";

    /* By hand, not printf: the lease database canonicalises every MAC it loads. */
    for (int i = 0; i < 6; i++) {
        buf[3 * i] = hex[mac->b[i] >> 4];
        buf[3 * i + 1] = hex[mac->b[i] & 0xf];
        buf[3 * i + 2] = i < 5 ? ':' : '\0';
    }
    return buf;
}

char *
vw_mac_canonical(const char *text)
{
    VwMac mac;
    char buf[VW_MAC_BUFSIZE];

    if (!text || !vw_mac_parse(text, mac.b, NULL))
        return NULL;
    return g_strdup(vw_mac_format(&mac, buf));
}

void
vw_port_names_mac(const char *uuid, const VwMac *mac, VwPortNames *out)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    char text[VW_MAC_BUFSIZE];
    const char *digest;

    g_checksum_update(sum, (const guchar *)uuid, -1);
    g_checksum_update(sum, (const guchar *)"/", 1);
    g_checksum_update(sum, (const guchar *)vw_mac_format(mac, text), -1);
    digest = g_checksum_get_string(sum); /* lowercase hex */

    g_snprintf(out->tap, sizeof(out->tap), "%s%.*s", VW_PORT_TAP_PREFIX, VW_PORT_HASH_DIGITS,
               digest);
    g_snprintf(out->host, sizeof(out->host), "%s%.*s", VW_PORT_HOST_PREFIX, VW_PORT_HASH_DIGITS,
               digest);
    g_snprintf(out->peer, sizeof(out->peer), "%s%.*s", VW_PORT_PEER_PREFIX, VW_PORT_HASH_DIGITS,
               digest);
}

gboolean
vw_port_names(const char *domain_uuid, const char *mac, VwPortNames *out, GError **error)
{
    g_autofree char *uuid_lower = NULL;
    VwMac bytes;

    g_return_val_if_fail(domain_uuid != NULL, FALSE);
    g_return_val_if_fail(mac != NULL, FALSE);
    g_return_val_if_fail(out != NULL, FALSE);

    if (!vw_uuid_check(domain_uuid, error) || !vw_mac_parse(mac, bytes.b, error))
        return FALSE;
    uuid_lower = g_ascii_strdown(domain_uuid, -1);
    vw_port_names_mac(uuid_lower, &bytes, out);
    return TRUE;
}

static gboolean
vw_port_role_is_valid(const char *role)
{
    return role && g_strv_contains(vw_port_roles, role);
}

/* A network name as it may appear in an alias: non-empty, printable ASCII, no ':'. */
static gboolean
vw_alias_network_is_valid(const char *network, gsize len)
{
    if (len == 0)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isgraph(network[i]) || network[i] == ':')
            return FALSE;
    }
    return TRUE;
}

char *
vw_port_alias_format_mac(const char *network, const char *uuid, const VwMac *mac,
                         const char *role)
{
    char text[VW_MAC_BUFSIZE];

    g_return_val_if_fail(network != NULL && vw_alias_network_is_valid(network, strlen(network)),
                         NULL);
    g_return_val_if_fail(vw_port_role_is_valid(role), NULL);
    return g_strdup_printf(VW_PORT_ALIAS_PREFIX "%s:%s:%s:%s", network, uuid,
                           vw_mac_format(mac, text), role);
}

char *
vw_port_alias_format(const char *network, const char *domain_uuid, const char *mac,
                     const char *role)
{
    g_autofree char *uuid_lower = NULL;
    VwMac bytes;

    g_return_val_if_fail(vw_uuid_is_valid(domain_uuid), NULL);
    g_return_val_if_fail(mac && vw_mac_parse(mac, bytes.b, NULL), NULL);
    uuid_lower = g_ascii_strdown(domain_uuid, -1);
    return vw_port_alias_format_mac(network, uuid_lower, &bytes, role);
}

gboolean
vw_port_alias_parse(const char *alias, char **network, char **uuid, char **mac, char **role)
{
    const char *rest, *role_sep, *mac_start, *uuid_start;
    g_autofree char *uuid_text = NULL;
    g_autofree char *mac_text = NULL;
    g_autofree char *mac_lower = NULL;
    gsize net_len;

    if (!alias || !g_str_has_prefix(alias, VW_PORT_ALIAS_PREFIX))
        return FALSE;
    /* NETWORK:UUID:MAC:ROLE, read from the right: the MAC has ':' in it. */
    rest = alias + strlen(VW_PORT_ALIAS_PREFIX);
    role_sep = strrchr(rest, ':');
    if (!role_sep || !vw_port_role_is_valid(role_sep + 1))
        return FALSE;
    if ((gsize)(role_sep - rest) < VW_UUID_LEN + 1 + VW_MAC_TEXT_LEN + 2)
        return FALSE;
    mac_start = role_sep - VW_MAC_TEXT_LEN;
    uuid_start = mac_start - 1 - VW_UUID_LEN;
    if (mac_start[-1] != ':' || uuid_start[-1] != ':')
        return FALSE;
    net_len = (gsize)(uuid_start - 1 - rest);
    if (!vw_alias_network_is_valid(rest, net_len))
        return FALSE;
    uuid_text = g_ascii_strdown(uuid_start, VW_UUID_LEN);
    mac_text = g_strndup(mac_start, VW_MAC_TEXT_LEN);
    mac_lower = vw_mac_canonical(mac_text);
    if (!vw_uuid_is_valid(uuid_text) || !mac_lower)
        return FALSE;

    if (network)
        *network = g_strndup(rest, net_len);
    if (uuid)
        *uuid = g_steal_pointer(&uuid_text);
    if (mac)
        *mac = g_steal_pointer(&mac_lower);
    if (role)
        *role = g_strdup(role_sep + 1);
    return TRUE;
}
